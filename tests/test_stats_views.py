"""`stats`: the review heatmap, true retention and the memory histograms, in `stats --json`
(checked against the log they come from) and on screen (snapshots at 60 and 120 columns)."""

from __future__ import annotations

import io
import json
import os
import re
import sys
from collections import Counter
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import helpers as h
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rich.console import Console
from typer.testing import CliRunner

from dlcards.catalog import load_catalog
from dlcards.cli import app
from dlcards.commands.stats_views import (
    TODAY_MARK,
    heatmap_view,
    histogram_view,
    render_stats,
    retention_view,
)
from dlcards.settings import DEFAULT_FSRS_PARAMETERS
from dlcards.simulate import fsrs_review_log
from dlcards.stats import heatmap

runner = CliRunner()
TODAY = date(2026, 11, 26)  # a Thursday
START = TODAY - timedelta(days=400)
SNAPSHOTS = Path(__file__).parent / "snapshots"


def cli(*args: str) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.output


@pytest.fixture(scope="module")
def simulated(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    """The log and the database folder it was imported into, kept by the first test that asks
    (in its isolated environment) for the others to copy."""
    return {"folder": tmp_path_factory.mktemp("simulated")}


@pytest.fixture
def log(simulated: dict[str, object]) -> dict[str, list[tuple[date, int]]]:
    """A year and more of a simulated learner's reviews of 120 built-in cards, in the db (the
    simulation and the import are made once per module, ~0.3 s; each test gets a copy)."""
    import copy
    import shutil

    data = Path(os.environ["DLCARDS_DB"]).parent
    kept = simulated["folder"] / "data"  # type: ignore[operator]
    if "log" not in simulated:
        ids = [c.id for c in load_catalog().cards][:120]
        log = fsrs_review_log(ids, DEFAULT_FSRS_PARAMETERS, START, 401, seed=3)
        h.import_log(log, datetime(2026, 1, 1, tzinfo=timezone.utc))
        shutil.copytree(data, kept)
        simulated["log"] = log
    else:
        shutil.copytree(kept, data, dirs_exist_ok=True)
    return copy.deepcopy(simulated["log"])  # type: ignore[return-value]


def stats_json() -> dict:
    return json.loads(cli("stats", "--json", "--today", TODAY.isoformat()))


def test_heatmap_counts_every_review_of_the_past_year(log: dict) -> None:
    data = stats_json()["heatmap"]
    per_day = Counter(day for history in log.values() for day, _ in history)
    first = date.fromisoformat(data["first"])
    assert first.weekday() == 0 and first <= TODAY - timedelta(days=364)
    assert len(data["weeks"]) == 53 and all(len(w) == 7 for w in data["weeks"])
    for w, week in enumerate(data["weeks"]):
        for d, n in enumerate(week):
            day = first + timedelta(days=7 * w + d)
            assert n == (None if day > TODAY else per_day.get(day, 0)), day
    assert data["peak"] == max(n for day, n in per_day.items() if first <= day <= TODAY)
    assert data["total"] == sum(n for day, n in per_day.items() if first <= day <= TODAY)


def test_heatmap_scale_steps() -> None:
    hm = heatmap({TODAY: 8, TODAY - timedelta(1): 1, TODAY - timedelta(2): 4}, TODAY)
    assert [hm.level(n) for n in (None, 0, 1, 2, 3, 4, 5, 8)] == [0, 0, 1, 1, 2, 2, 3, 4]


def test_a_narrow_heatmap_sums_the_weeks_it_shows(log: dict) -> None:
    """At 40 columns the heatmap shows 32 weeks, but its footer counted the whole year
    ("… since 2025-11-24"): the footer, the busiest day and the scale are now the shown
    weeks'."""
    import re

    data = stats_json()
    per_day = Counter(day for history in log.values() for day, _ in history)
    for width, weeks in ((40, 32), (60, 52), (61, 53)):
        console = Console(file=io.StringIO(), width=width, color_system=None)
        console.print(heatmap_view(data, width))
        shown = console.file.getvalue()  # type: ignore[attr-defined]
        first = date.fromisoformat(data["heatmap"]["first"]) + timedelta(weeks=53 - weeks)
        counts = {day: n for day, n in per_day.items() if first <= day <= TODAY}
        footer = " ".join(line.strip("│ ") for line in shown.splitlines()[-5:])
        said = re.search(r"([\d,]+) reviews on ([\d,]+) days? since (\S+)", footer)
        assert said is not None, shown
        total = f"{sum(counts.values()):,}"  # a count as every count is shown: 1,047
        assert said.groups() == (total, f"{len(counts):,}", first.isoformat())
        peak = max(counts.values())
        busiest = max(day for day, n in counts.items() if n == peak)  # the latest of a tie
        assert f"busiest day: {busiest.isoformat()}, {peak:,} reviews" in footer
        title = "reviews per day, past year" if weeks == 53 else f"reviews, {weeks} weeks"
        assert title in shown.splitlines()[0]


@pytest.mark.parametrize("today", [date(2026, 12, 7), date(2026, 12, 14), date(2026, 12, 1)])
def test_the_heatmap_names_a_month_begun_in_its_last_weeks(today: date) -> None:
    """Found in tmux on 2026-12-07 after a week of reviews: December began in the heatmap's
    next-to-last week, too near its end for a name three columns wide, so the month line ended
    `… Oct Nov` and every review stood under November's name. The name ends at the last
    week instead, where the month before's leaves a space for it (on 2026-12-01 `Nov` ends
    too near the last week to leave room: no name, as before)."""
    from dlcards.commands.stats_views import heatmap_parts

    counts = {today - timedelta(days=n): 5 for n in range(7)}
    data = {"heatmap": heatmap(counts, today).as_json()}
    for width in (40, 61):
        parts, _ = heatmap_parts(data, width)
        month_line = "".join(text for text, _ in parts).splitlines()[0]
        weeks = min(53, width - 8)
        # the weeks' columns start after the 4 cells of the day labels
        last = month_line[4 : 4 + weeks].rstrip()
        if today.day >= 7:  # December began two weeks or more before the last week's end
            assert last.endswith("Dec") and len(last) >= weeks - 1, month_line
            assert last[:-3].rstrip().endswith("Nov"), month_line
        else:
            assert last.endswith("Nov"), month_line


@pytest.mark.parametrize("width", [30, 40, 60, 61, 80, 100, 160])
def test_the_heatmap_keeps_a_cell_of_margin_inside_its_borders(log: dict, width: int) -> None:
    """At 60 columns the day labels touched the panel's left border (`│Mon ····`) and the
    current week its right one: every line inside the panel has a blank cell at each side."""
    console = console_at(width)
    console.print(heatmap_view(stats_json(), min(width, 61)))
    lines = console.file.getvalue().splitlines()  # type: ignore[attr-defined]
    inside = lines[1:-1]
    assert any("Mon" in line for line in inside), lines
    for line in inside:
        assert line.startswith("│ ") and line.endswith(" │"), (width, line)
    assert max(len(line) for line in lines) <= width


def test_the_heatmap_in_ascii_keeps_its_scale_in_order(
    log: dict, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With LC_ALL=C the heatmap's cells were spelled one by one: a day with no reviews (·)
    as `*` and the lightest step (░) as `.`, so the legend read `less *.:%# more` and an
    idle day looked busier than a day of one review. In ASCII the scale is `.:+*#`."""
    from dlcards.console import out

    data = stats_json()
    with h.ascii_terminal(monkeypatch, 61) as raw:
        render_stats(out(), data)
    shown = re.sub(r"\x1b\[[0-9;]*m", "", raw.getvalue().decode("ascii"))
    assert "less .:+*# more  @ today" in shown, shown
    grid = [line for line in shown.splitlines() if line.startswith(("| Mon ", "| Wed "))]
    idle = [w for w, week in enumerate(data["heatmap"]["weeks"]) if week[0] == 0]
    assert idle and all(grid[0][6 + w] == "." for w in idle), grid[0]


def test_each_leech_stays_on_one_line(log: dict) -> None:
    """At 60 columns the leeches' line was wrapped by words, inside a leech (`mlp-6 (2,` at the
    end of a line, `mlp)` at the start of the next): it now breaks between leeches only."""
    data = stats_json()
    data["leeches"] = [
        {"id": f"{topic}-{n}", "lapses": 8 + n, "topic": topic}
        for n, topic in enumerate(["perceptron", "mlp", "mlp", "backprop", "gd", "mlp", "vgp"])
    ]
    items = [f"{x['id']} ({x['lapses']}, {x['topic']})" for x in data["leeches"]]
    for width in range(30, 101):
        shown = render(data, width).splitlines()
        start = next(n for n, line in enumerate(shown) if line.startswith("leeches (lapses):"))
        end = next(n for n in range(start, len(shown)) if shown[n].startswith("╭"))
        lines = shown[start:end]
        assert all(len(line) <= width for line in lines), (width, lines)
        for item in items:
            assert any(item in line for line in lines), (width, item, lines)
        assert " ".join(lines).endswith("; see `dlcards list --leeches`"), lines


def test_true_retention_per_window_age_and_topic(log: dict) -> None:
    data = stats_json()["true_retention"]
    catalog = load_catalog()
    expected: Counter[tuple[str, str, str, bool]] = Counter()
    for card_id, history in log.items():
        topic = catalog.card(card_id).topic
        for (before, _), (day, grade) in zip(history, history[1:], strict=False):
            age = "mature" if (day - before).days >= 21 else "young"
            for window, back in (("today", 0), ("7 days", 6), ("30 days", 29), ("365 days", 364)):
                if TODAY - timedelta(days=back) <= day <= TODAY:
                    for who in ("*", topic):
                        for a in (age, "all"):
                            expected[(who, window, a, grade >= 3)] += 1
    for window, cells in data["overall"].items():
        for age, cell in cells.items():
            assert cell["passed"] == expected[("*", window, age, True)], (window, age)
            assert cell["failed"] == expected[("*", window, age, False)], (window, age)
            n = cell["passed"] + cell["failed"]
            assert cell["retention"] == (round(cell["passed"] / n, 4) if n else None)
    for topic, windows in data["topics"].items():
        for window, cells in windows.items():
            assert cells["all"]["passed"] == expected[(topic, window, "all", True)]
    assert data["overall"]["365 days"]["mature"]["passed"] > 0


def test_histograms_cover_every_reviewed_card(log: dict) -> None:
    data = stats_json()
    bins = data["histograms"]
    reviewed = sum(data["cards"][k] for k in ("learning", "young", "mature"))
    assert set(bins) == {"interval", "ease"}
    assert sum(b["cards"] for b in bins["interval"]) == reviewed
    assert sum(b["cards"] for b in bins["ease"]) == reviewed
    # an independent count of one bin from each card's own state
    long = 0
    for card_id in log:
        state = json.loads(cli("show", card_id, "--json", "--today", TODAY.isoformat()))["state"]
        long += state["interval"] > 365
    assert {b["bin"]: b["cards"] for b in bins["interval"]}["> 1y"] == long
    cli("config", "scheduler", "fsrs")
    data = stats_json()
    fsrs = data["histograms"]
    assert set(fsrs) == {"interval", "stability", "difficulty"}
    assert sum(b["cards"] for b in fsrs["difficulty"]) == reviewed


def test_under_fsrs_the_average_is_fsrss_difficulty_not_sm2s_ease(log: dict) -> None:
    """SM-2's ease schedules nothing under FSRS: the overview shows FSRS's average difficulty
    there (each reviewed card's, as the database holds it), and the ease under SM-2."""
    import re
    import sqlite3
    from contextlib import closing

    assert "average ease" in render(stats_json(), 120)
    cli("config", "scheduler", "fsrs")
    data = stats_json()
    with closing(sqlite3.connect(os.environ["DLCARDS_DB"])) as conn:
        (mean,) = conn.execute(
            "SELECT avg(f.difficulty) FROM fsrs f JOIN cards c ON c.id = f.card_id "
            "WHERE c.retired = 0 AND c.suspended = 0 AND f.stability IS NOT NULL"
        ).fetchone()
    assert 1 <= data["average_difficulty"] <= 10
    assert data["average_difficulty"] == pytest.approx(mean, abs=0.005)
    shown = render(data, 120)
    assert re.search(rf"average difficulty +{data['average_difficulty']:.2f} ", shown), shown
    assert "average ease" not in shown


def console_at(width: int) -> Console:
    return Console(file=io.StringIO(), width=width, color_system=None, force_terminal=False)


def render(data: dict, width: int) -> str:
    console = console_at(width)
    render_stats(console, data)
    return console.file.getvalue()  # type: ignore[attr-defined,no-any-return]


@pytest.mark.parametrize("width", [60, 120])
def test_views_snapshot(log: dict, width: int) -> None:
    data = stats_json()
    text = render(data, width)
    for view in (heatmap_view(data), retention_view(data)) + tuple(
        histogram_view(name, bins) for name, bins in data["histograms"].items()
    ):
        console = console_at(width)
        console.print(view)
        assert max(len(line) for line in console.file.getvalue().splitlines()) <= 61
    assert max(len(line) for line in text.splitlines()) <= width
    snapshot = SNAPSHOTS / f"stats_{width}.txt"
    if os.environ.get("DLCARDS_UPDATE_SNAPSHOTS"):
        snapshot.write_text(text, encoding="utf-8")
    assert text == snapshot.read_text(encoding="utf-8")


def test_true_retention_never_cuts_a_number_or_a_topic_on_a_narrow_screen(log: dict) -> None:
    """At 30 columns the table cut "100%" to "10…", "365 days" to "365 da…" and the topics'
    numbers to "8…" (a UX sweep). Below the width its columns need, it turns (a row an age, a
    column a window) and each topic goes on a line of its own above its numbers."""
    data = stats_json()
    tr = data["true_retention"]
    percents = {
        f"{cell['retention']:.0%}"
        for cells in tr["overall"].values()
        for cell in cells.values()
        if cell["retention"] is not None
    }
    for width in range(30, 61):
        console = console_at(width)
        console.print(retention_view(data, width))
        shown = console.file.getvalue()  # type: ignore[attr-defined]
        lines = shown.splitlines()
        assert max(len(line) for line in lines) <= width
        body = [line for line in lines[1:] if "answers to" not in line]
        assert not [line for line in body if re.search(r"\d…|\w…", line)], (width, shown)
        if width < 60:  # from 60 columns on, with a decimal and the answers counted
            assert all(p in shown for p in percents), (width, shown)
        for topic in tr["topics"]:
            assert topic in shown, (width, topic)


def test_a_long_topic_in_true_retention_is_wrapped_whole_not_cut(log: dict) -> None:
    """At 60 columns the per-topic table cut `regularization-and-generalization-in-very-deep-
    networks` to `regularizatio…` (14 cells, with room for 31): now it is wrapped at its
    hyphens in the room its column has, or on lines of its own above its numbers."""
    data = stats_json()
    topic = "regularization-and-generalization-in-very-deep-networks"
    topics = data["true_retention"]["topics"]
    topics[topic] = topics[next(iter(topics))]
    for width in range(30, 62):
        console = console_at(width)
        console.print(retention_view(data, width))
        lines = console.file.getvalue().splitlines()  # type: ignore[attr-defined]
        assert max(len(line) for line in lines) <= width
        body = [line.strip("│ ") for line in lines[1:-1]]
        assert not [line for line in body if "…" in line], (width, lines)
        firsts = "".join(line.split(" ")[0] for line in body)
        assert topic in firsts, (width, lines)
        if width >= 50:  # room beside the numbers: wrapped in its column, at hyphens
            assert any(line.startswith("regularization-and- ") for line in body), lines


@pytest.mark.parametrize("color", [False, True])
def test_retention_topics_print_the_same_bytes_without_richs_table(
    log: dict, color: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The per-topic retention table goes through console.PlainTable when its cells are plain:
    the same bytes as rich's Table at every width, a topic with no reviews ('–') and a topic
    too long for its column (then rich's Table, which cuts it) among them."""
    import copy
    import io

    from rich.console import Console

    import dlcards.console as dc

    data = stats_json()
    topics = data["true_retention"]["topics"]
    first = next(iter(topics))
    for cell in topics[first].values():
        cell["all"]["retention"] = None
    long = copy.deepcopy(data)
    long["true_retention"]["topics"]["a-topic-longer-than-14"] = topics[first]

    def shown(d: dict, width: int) -> str:
        out = io.StringIO()
        console = Console(
            file=out, width=width, force_terminal=color, no_color=not color,
            highlight=False, soft_wrap=False, color_system="standard" if color else None,
        )  # fmt: skip
        console.print(retention_view(d, min(width, 60)))
        return out.getvalue()

    taken: list[bool] = []
    real = dc.PlainTable.of

    def spy(*args: object) -> object:
        table = real(*args)  # type: ignore[arg-type]
        taken.append(table is not None)
        return table

    for d in (data, long):
        for width in range(20, 121, 7):
            monkeypatch.setattr(dc.PlainTable, "of", spy)
            plain = shown(d, width)
            monkeypatch.setattr(dc.PlainTable, "of", lambda *a: None)
            assert plain == shown(d, width), width
    assert any(taken)  # the plain table was printed, not only rich's


@pytest.mark.parametrize("width", [24, 30, 40, 44, 50, 60, 80])
def test_the_forecast_title_is_a_whole_statement_at_any_width(width: int) -> None:
    """At 40 columns the forecast's title read "due, next 28 days: 60327, most 4318": rich
    cropped "most 43183/day" mid-number. The title is now the longest whole one that fits."""
    import re

    from dlcards.commands.stats_views import forecast_chart

    rows = [{"due": n} for n in [43183, 2000, 1500, *([700] * 27)]]
    console = Console(file=io.StringIO(), width=width, color_system=None)
    console.print(forecast_chart(rows, width))
    top = console.file.getvalue().splitlines()[0]  # type: ignore[attr-defined]
    title = re.fullmatch(r"╭─ (.*?) ─+╮", top)
    assert title is not None, top
    days = re.search(r"(\d+) days", title[1])
    shown = int(days[1]) if days else 0
    total = sum(r["due"] for r in rows[:shown]) if shown else None
    whole = (
        r"due( reviews)?(, next \d+ days|, \d+ days)?: \d{1,3}(,\d{3})*"
        r"( in all, most 43,183 on one day|, most 43,183/day)?"
    )
    assert re.fullmatch(whole, title[1]), top
    if total is not None:
        assert f": {total:,}" in title[1]
    assert len(top) <= width


def test_stats_help_names_every_view_it_shows() -> None:
    """A helper's UX run: `stats --help` said "... leeches, streak, 30-day forecast" and
    nothing of the year's heatmap, true retention and the interval and ease histograms that
    the command prints after them."""
    shown = " ".join(runner.invoke(app, ["stats", "--help"]).output.split())
    for view in ("forecast", "heatmap", "true retention", "histograms"):
        assert view in shown, view


def test_one_review_is_said_in_the_singular() -> None:
    """After a single review the heatmap's footer said `1 reviews on 1 day`."""
    result = runner.invoke(app, ["study", "--today", "2026-11-26", "--new", "1"], input="\n4\nq\n")
    assert result.exit_code == 0, result.output
    data = json.loads(cli("stats", "--json", "--today", "2026-11-26"))
    console = Console(file=io.StringIO(), width=60, color_system=None)
    console.print(heatmap_view(data, 60))
    footer = " ".join(console.file.getvalue().split())  # type: ignore[attr-defined]
    assert "1 review on 1 day since" in footer, footer


def test_a_histogram_of_only_suspended_cards_does_not_say_none_was_reviewed() -> None:
    """The histograms count the reviewed cards in study. With the one reviewed card suspended
    (a leech), they said "no reviewed cards yet" over a card list of one reviewed card."""
    new = " ".join(cli("stats", "--today", "2026-11-26").split())
    assert "no reviewed cards yet" in new and "suspended ones" not in new  # none reviewed
    result = runner.invoke(app, ["study", "--today", "2026-11-26", "--new", "1"], input="\n4\nq\n")
    assert result.exit_code == 0, result.output
    card = json.loads(cli("show", "perceptron-1", "--json"))  # the first new card: answered
    assert card["state"]["last_review"] == "2026-11-26", card
    assert runner.invoke(app, ["suspend", "perceptron-1"]).exit_code == 0
    shown = " ".join(cli("stats", "--today", "2026-11-26").split())
    assert "no reviewed cards yet" not in shown
    assert "no reviewed cards outside the suspended ones" in shown


@pytest.mark.parametrize("width", [40, 42, 50])
def test_a_long_topic_gives_way_to_the_retention_numbers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, width: int
) -> None:
    """A torture run: at 40 columns the true-retention table by topic showed `100%` as `10…`
    (and the `365d` header as `36…`) while a long topic kept its 14 cells. The numbers are
    whole, and the topic too (wrapped at its hyphens, or on a line of its own)."""
    import re as _re

    from typer.testing import CliRunner

    from dlcards.cli import app
    from dlcards.console import out

    deck = tmp_path / "long.yaml"
    deck.write_text(
        "topic: regularisation-and-dropout\ntitle: Regularisation and dropout\ncards:\n"
        "  - {id: reg-1, question: q?, answer: a}\n",
        encoding="utf-8",
    )
    runner = CliRunner()
    for day in ("2026-12-01", "2026-12-02"):
        done = runner.invoke(
            app, ["study", "--decks", str(deck), "--topic", "regularisation-and-dropout",
                  "--today", day], input="\n4\nq\n",
        )  # fmt: skip
        assert done.exit_code == 0, done.output
    monkeypatch.setenv("COLUMNS", str(width))
    monkeypatch.setenv("TTY_COMPATIBLE", "1")
    out.cache_clear()
    shown = runner.invoke(app, ["stats", "--decks", str(deck), "--today", "2026-12-02"]).output
    plain = _re.sub(r"\x1b\[[0-9;]*m", "", shown)
    header = next(line for line in plain.splitlines() if "topic " in line and "today" in line)
    at = plain.splitlines().index(header)
    rows = " ".join(plain.splitlines()[at + 1 : at + 3])  # beside its topic, or under it
    assert header.split()[2:-1] == ["today", "7d", "30d", "365d"], plain
    assert _re.findall(r"\S+%", rows) == ["100%"] * 4, plain
    assert "regularisation-and-dropout" in rows or "regularisation-and- " in rows, plain


@pytest.mark.parametrize("width", [24, 30, 33, 34, 40, 61])
def test_the_heatmaps_legend_lines_up_under_the_weeks(log: dict, width: int) -> None:
    """At 30 columns the legend `less ·░▒▓█ more  ◆ today` wrapped at the panel's edge, and
    `today` stood alone under the day labels, cut from its ◆: every line under the grid now
    starts in the weeks' column, and the mark keeps its word."""
    console = console_at(width)
    console.print(heatmap_view(stats_json(), min(width, 61)))
    lines = console.file.getvalue().splitlines()  # type: ignore[attr-defined]
    under = lines[lines.index(next(line for line in lines if "less" in line)) : -1]
    for line in under:
        assert line.startswith("│     ") and not line.startswith("│      "), (width, line)
    assert any(f"{TODAY_MARK} today" in line for line in under), lines


@pytest.mark.parametrize("width", [40, 44, 48])
def test_the_heatmaps_counts_keep_their_units(log: dict, width: int) -> None:
    """Found in tmux at 40 columns: the heatmap's footer ended a line with `busiest day:
    2026-11-14, 60` and began the next with `reviews`. A count and its unit stay together
    (and are written with a space, whatever console prints them)."""
    data = stats_json()
    text = render(data, width)
    footer = text[text.index("reviews on") - 12 :]
    footer = footer[: footer.index("╰")]
    lines = [line.strip("│ ") for line in footer.splitlines()]
    assert "\U0010fffd" not in footer
    assert any(line.startswith("busiest day:") for line in lines), lines
    for line in lines:  # no count at a line's end with its unit on the next
        assert not re.search(r"(^|[ ,])\d+$", line), lines
        assert not line.startswith(("review", "day")), lines


# --- the screen without rich: the bytes rich prints ----------------------------------------------

STATS_ENVIRONMENTS = st.fixed_dictionaries(
    {
        "TTY_COMPATIBLE": st.none() | st.sampled_from(["0", "1"]),
        "FORCE_COLOR": st.none() | st.sampled_from(["", "1"]),
        "TERM": st.none() | st.sampled_from(["dumb", "xterm", "xterm-256color", "xterm-kitty"]),
        "COLORTERM": st.none() | st.sampled_from(["truecolor", "24bit", ""]),
        "NO_COLOR": st.none() | st.sampled_from(["", "1"]),
        "COLUMNS": st.none() | st.sampled_from(["40", "60", "61", "62", "80", "100", "160"]),
        "LINES": st.none(),
    }
)
TOPIC_NAMES = ["syn01", "linear-regression", "ml", "gd", "a-very-long-topic-name", "tôpic", "x[y]"]


@st.composite
def stats_data(draw: st.DrawFn) -> dict:
    """`stats --json`'s data as `run.stats` builds it, of a random collection: counts small
    and large, percentages or none, a forecast with or without anything due, a year of days,
    topics short, long or not ASCII, and leeches or none."""
    from dlcards.bins import DAY_LABELS, DIFFICULTY_BINS, EASE_BINS
    from dlcards.stats import RETENTION_WINDOWS, retention_counts

    count = st.integers(0, 10) | st.integers(0, 10**7)
    share = st.none() | st.floats(0, 1)
    today = TODAY - timedelta(days=draw(st.integers(0, 6)))
    days = draw(st.dictionaries(st.integers(0, 400), st.integers(1, 5000), max_size=60))
    calendar = heatmap({today - timedelta(days=d): n for d, n in days.items()}, today)
    topics = draw(st.lists(st.sampled_from(TOPIC_NAMES), max_size=4, unique=True))
    starts = [(today - timedelta(days=b)).isoformat() for _, b in RETENTION_WINDOWS]
    rows = [
        (topic, draw(st.booleans()), since, draw(count), draw(count))
        for topic in topics
        for since in starts
        if draw(st.booleans())
    ]
    scheduler = draw(st.sampled_from(["sm2", "fsrs"]))
    names = ["interval", *(("stability", "difficulty") if scheduler == "fsrs" else ("ease",))]
    labels = {
        "interval": list(DAY_LABELS),
        "stability": list(DAY_LABELS),
        "difficulty": [f"{a:g}" for a in DIFFICULTY_BINS],
        "ease": [f"{a:.1f}" for a in EASE_BINS],
    }
    leech = st.fixed_dictionaries(
        {"id": st.sampled_from(["gd-1", "syn01-23"]), "topic": st.sampled_from(TOPIC_NAMES),
         "lapses": st.integers(8, 30), "suspended": st.booleans()}
    )  # fmt: skip
    ef = draw(st.none() | st.floats(1.3, 4))
    return {
        "today": today.isoformat(),
        "cards": {k: draw(count) for k in ("new", "learning", "young", "mature", "suspended")},
        "reviews": {"last_7_days": draw(count), "last_30_days": draw(count), "total": 0},
        "retention": {"last_30_days": draw(share), "total": draw(share)},
        "passed": {"last_30_days": draw(share), "total": draw(share)},
        "average_ef": ef,
        "average_difficulty": draw(st.none() | st.floats(1, 10)),
        "scheduler": scheduler,
        "recall": {"average": draw(share), "below_0_8": draw(count), "threshold": 0.8},
        "leeches": draw(
            st.lists(leech, max_size=2) if draw(st.integers(0, 3)) == 0 else st.just([])
        ),
        "streak_days": draw(st.integers(0, 6000)),
        "forecast": [
            {"day": (today + timedelta(days=i)).isoformat(), "due": n}
            for i, n in enumerate(draw(st.lists(count, min_size=30, max_size=30)))
        ],
        "heatmap": calendar.as_json(),
        "true_retention": retention_counts(rows, today),
        "histograms": {
            name: [{"bin": label, "cards": draw(count)} for label in labels[name]] for name in names
        },
    }


def _screen(data: dict) -> None:
    """The statistics' screen as rich prints it."""
    from rich.style import Style

    from dlcards.console import out

    # rich keeps each style's codes on the style (`Style._ansi`), worked out for the colour
    # system of the first console that printed it: a process has one, this test many
    for name in dir(Style):
        cached = getattr(Style, name, None)
        if hasattr(cached, "cache_clear"):
            cached.cache_clear()
    render_stats(out(), data)


@settings(max_examples=150, deadline=None)
@given(
    data=stats_data(),
    env=STATS_ENVIRONMENTS,
    tty=st.booleans(),
    sizes=st.tuples(*[st.none() | st.sampled_from([0, 60, 100, 160])] * 3),
    encoding=st.sampled_from([None, "utf-8", "UTF-8", "ascii", "latin-1"]),
)
def test_stats_without_rich_prints_the_bytes_rich_prints(
    data: dict,
    env: dict[str, str | None],
    tty: bool,
    sizes: tuple[int | None, ...],
    encoding: str | None,
) -> None:
    """`write_stats` (the statistics' screen without importing rich) writes what rich writes
    for the same data, in every environment rich tells apart; where it cannot, it writes
    nothing and rich prints it."""
    from dlcards.commands.stats_views import write_stats

    done: list[bool] = []
    with pytest.MonkeyPatch.context() as mp:
        ours = h.printed(mp, env, tty, sizes, lambda: done.append(write_stats(data)), encoding)
        if not done[0]:  # the command prints it with rich then: nothing may be written before
            assert ours == ""
            return
        theirs = h.printed(mp, env, tty, sizes, lambda: _screen(data), encoding)
    assert ours == theirs


@pytest.mark.parametrize("width", ["61", "100", "160"])
@pytest.mark.parametrize(
    "env",
    [
        {},
        {"TTY_COMPATIBLE": "1", "TERM": "xterm-256color"},
        {"TTY_COMPATIBLE": "1", "TERM": "xterm"},
        {"TTY_COMPATIBLE": "1", "COLORTERM": "truecolor", "NO_COLOR": "1"},
    ],
)
@pytest.mark.parametrize("leeches", [0, 9])
def test_the_collections_stats_are_printed_without_rich(
    log: dict, width: str, env: dict[str, str], leeches: int
) -> None:
    """The simulated year's statistics (topics of the built-in decks; no leech, or nine over
    several lines), in a pipe and on terminals of 8 and 256 colours: written without rich, the
    same bytes."""
    data = stats_json()
    assert not data["leeches"] and data["true_retention"]["topics"]
    data["leeches"] = [
        {"id": f"gd-{n}", "topic": "gradient-descent", "lapses": 20 - n, "suspended": n % 2 == 0}
        for n in range(leeches)
    ]
    done: list[bool] = []

    def fast() -> None:
        from dlcards.commands.stats_views import write_stats

        done.append(write_stats(data))

    with pytest.MonkeyPatch.context() as mp:
        ours = h.printed(mp, {**env, "COLUMNS": width}, False, None, fast, "utf-8")
        theirs = h.printed(mp, {**env, "COLUMNS": width}, False, None, lambda: _screen(data))
    assert done == [True]
    assert ours == theirs


def test_the_summarys_counts_of_a_thousand_or_more_have_thousands_separators() -> None:
    """Found at a long history: the summary said "streak 1095 days" and "reviews, 30 days
    6000", where `stats`' other counts, `simulate` and the README write 1,095 and 6,000
    (`show` said "63220 days overdue" too: tests/test_due_words.py)."""
    from dlcards.commands.stats_views import summary_rows

    done = runner.invoke(app, ["stats", "--json", "--today", "2026-11-26"])
    assert done.exit_code == 0, done.output
    data = json.loads(done.output)
    data["streak_days"] = 1095  # three years, a day at a time
    data["reviews"]["last_7_days"] = 1400
    data["reviews"]["last_30_days"] = 6000
    data["cards"]["new"] = 100_000
    data["recall"]["below_0_8"] = 2500
    cards, activity = summary_rows(data)
    said = dict(activity)
    assert said["streak"] == "1,095 days"
    assert said["reviews, 7 days"] == "1,400" and said["reviews, 30 days"] == "6,000"
    assert said["cards below 80%"] == "2,500"
    assert {state: count for state, _, count in cards}["new"] == "100,000"


def test_histogram_labels_line_up_in_ascii(monkeypatch: pytest.MonkeyPatch) -> None:
    """With LC_ALL=C the ease histogram's last label, `≥ 2.7`, is printed `>= 2.7`: the labels
    were padded to the width of `≥ 2.7` as written, so that one line stood a cell out (`|   >=
    2.7  8 ####` under `| 2.5-2.7 19 ###`) and its count and bar out of their columns. The
    labels are now measured as the terminal shows them."""
    from dlcards.console import out

    bins = [{"bin": "2.3-2.5", "cards": 25}, {"bin": "2.5-2.7", "cards": 19}]
    bins.append({"bin": "≥ 2.7", "cards": 8})
    with h.ascii_terminal(monkeypatch, 60) as raw:
        out().print(histogram_view("ease (SM-2)", bins, width=60))
    shown = re.sub(r"\x1b\[[0-9;]*m", "", raw.getvalue().decode("ascii"))
    rows = [line for line in shown.splitlines() if "#" in line]
    assert [row.index(" #") for row in rows] == [12, 12, 12], rows
    assert rows[-1].startswith("|  >= 2.7  8 #"), rows


def test_a_view_title_fits_its_border_in_ascii(monkeypatch: pytest.MonkeyPatch) -> None:
    """With LC_ALL=C at 40 columns the true retention view's title, `(passed: grade ≥ 3)`, was
    fitted to the border as written and printed `>=`, a cell wider: the top line read
    `+- true retention (passed: grade >= 3)-+`, the title against the corner. Titles are now
    measured as the terminal shows them."""
    from rich.text import Text

    from dlcards.commands.stats_views import RETENTION_TITLE, _panel
    from dlcards.console import out

    with h.ascii_terminal(monkeypatch, 40) as raw:
        out().print(_panel(Text("x"), RETENTION_TITLE, 40))
    top = re.sub(r"\x1b\[[0-9;]*m", "", raw.getvalue().decode("ascii")).splitlines()[0]
    assert len(top) == 40 and top.startswith("+- true retention"), top
    assert re.fullmatch(r"\+- \S.*\S -+\+", top), top  # a space each side of the title


def test_histogram_labels_on_utf8_make_no_console(monkeypatch: pytest.MonkeyPatch) -> None:
    """`stats` on a UTF-8 terminal is written without rich (`write_stats`): the labels'
    measure as shown (above) first asked the console for its encoding, which made one and
    imported rich.console (seen with python -X importtime at 160 columns). Standard output
    is asked first: on UTF-8 no console is made."""
    import dlcards.console
    from dlcards.commands.stats_views import histogram_parts

    def no_console() -> None:
        raise AssertionError("a rich console was made")

    monkeypatch.setattr(sys, "stdout", io.TextIOWrapper(io.BytesIO(), encoding="utf-8"))
    monkeypatch.setattr(dlcards.console, "out", no_console)
    bins = [{"bin": "2.5-2.7", "cards": 19}, {"bin": "≥ 2.7", "cards": 8}]
    text = "".join(piece for piece, _ in histogram_parts(bins, width=60))
    assert "  ≥ 2.7  8 " in text, text
