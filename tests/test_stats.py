"""The pure statistics pass: buckets, ease, leeches, forecast and recall from card rows."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dlcards.scheduling import Fsrs, Sm2
from dlcards.settings import DEFAULT_FSRS_PARAMETERS
from dlcards.stats import overview
from dlcards.store.rows import StatsRow

TODAY = date(2026, 11, 26)


def test_overview_from_rows() -> None:
    rows = [
        # id, suspended, reps, ef, lapses, last_review, due, interval, stability
        StatsRow("new", 0, 0, 250, 0, None, None, 0, None),
        StatsRow("lrn", 0, 1, 250, 0, "2026-11-25", "2026-11-26", 1, None),
        # overdue: counted today
        StatsRow("relearn", 0, 0, 170, 9, "2026-11-20", "2026-11-21", 1, None, "t", leech=1),
        StatsRow("young", 0, 3, 250, 0, "2026-11-20", "2026-12-05", 15, None),
        # beyond 30 days
        StatsRow("mature", 0, 5, 290, 8, "2026-12-01", "2027-01-10", 40, None, "u", leech=1),
        # 8 lapses but not marked (the leech rule decides, at grade time): not a leech
        StatsRow("unmarked", 0, 5, 290, 8, "2026-12-01", "2027-01-10", 40, None),
        # suspended: only counted
        StatsRow("held", 1, 4, 250, 12, "2026-10-01", "2026-10-31", 30, None, "t", leech=1),
    ]
    view = overview(rows, TODAY, Sm2().curves)
    assert view.cards == {"new": 1, "learning": 2, "young": 1, "mature": 2, "suspended": 1}
    assert view.average_ef == pytest.approx((250 + 170 + 250 + 290 + 290) / 5 / 100, abs=0.005)
    assert view.leeches == [
        ("held", "t", 12, True),
        ("relearn", "t", 9, False),
        ("mature", "u", 8, False),
    ]
    forecast = dict(view.forecast)
    assert len(view.forecast) == 30 and forecast[TODAY] == 2
    assert forecast[date(2026, 12, 5)] == 1 and sum(forecast.values()) == 3
    assert view.recall.cards == 5
    assert view.recall.below == 1  # "relearn": 6 days past a 1-day interval
    assert view.recall.average is not None and 0 < view.recall.average < 1


def test_empty_collection() -> None:
    view = overview([], TODAY, Sm2().curves)
    assert view.average_ef is None and view.recall.average is None
    assert sum(n for _, n in view.forecast) == 0


@pytest.mark.parametrize("width", [40, 60, 80, 120])
def test_forecast_chart_fits_the_width(width: int) -> None:
    """Every day with a review gets a bar (all 30 from 60 columns up), and neither the axis nor
    the day marks wrap (issue 12)."""
    import io
    from datetime import timedelta

    from rich.cells import cell_len
    from rich.console import Console

    from dlcards.commands.stats_views import forecast_chart

    start = date(2026, 11, 26)
    rows = [{"day": (start + timedelta(days=i)).isoformat(), "due": i + 1} for i in range(30)]
    screen = io.StringIO()
    console = Console(file=screen, width=width, color_system=None, legacy_windows=False)
    console.print(forecast_chart(rows, width))
    lines = screen.getvalue().splitlines()
    assert max(cell_len(line) for line in lines) <= width
    axis = [line for line in lines if "└" in line]
    assert len(axis) == 1 and axis[0].rstrip(" │").endswith("─")
    bottom = next(line for line in reversed(lines) if "│ " in line and "█" in line)
    bars = sum(ch in "▁▂▃▄▅▆▇█" for ch in bottom)
    shown = 30 if width >= 60 else bars
    assert bars == shown and bars >= 20
    assert "today" in lines[-2] and "+7d" in lines[-2]


def _fsrs_easy_first_interval(retention: float) -> int:
    """The days py-fsrs itself schedules a new card answered Easy (no steps, no fuzz)."""
    from datetime import datetime, timezone

    from fsrs import Card, Rating, Scheduler

    at = datetime(2026, 11, 26, tzinfo=timezone.utc)
    sched = Scheduler(desired_retention=retention, learning_steps=(), enable_fuzzing=False)
    card, _ = sched.review_card(Card(), Rating.Easy, at)
    return (card.due - at).days


@pytest.mark.parametrize(("scheduler", "retention"), [("sm2", None), ("fsrs", 0.9), ("fsrs", 0.8)])
def test_cards_by_state_follow_the_active_schedulers_interval(
    scheduler: str, retention: float | None
) -> None:
    """Two new cards answered 5 and one of them suspended. SM-2 has the other due tomorrow
    (learning); FSRS holds it as long as py-fsrs says (8 days at 0.9: young; 28 at 0.8:
    mature, 21 days or more). Under FSRS, stats counted it learning whatever its interval, by
    SM-2's count of passes in a row, though every screen's mature/young counts are the active
    scheduler's."""
    import json

    from typer.testing import CliRunner

    from dlcards.cli import app

    runner = CliRunner()
    if scheduler == "fsrs":
        assert runner.invoke(app, ["config", "scheduler", "fsrs"]).exit_code == 0
        setting = ["config", "desired_retention", str(retention)]
        assert runner.invoke(app, setting).exit_code == 0
    script = "\n5\n\n5\nq\n"
    study = ["study", "--today", "2026-11-26", "--new", "2", "--topic", "gd"]
    result = runner.invoke(app, study, input=script)
    assert result.exit_code == 0 and "2 grades saved" in result.output
    shown = json.loads(runner.invoke(app, ["show", "gd-1", "--json"]).output)["state"]
    assert runner.invoke(app, ["suspend", "gd-2"]).exit_code == 0
    interval = 1 if retention is None else _fsrs_easy_first_interval(retention)
    assert shown["interval"] == interval
    state = "learning" if interval <= 1 else "mature" if interval >= 21 else "young"
    result = runner.invoke(app, ["stats", "--json", "--today", "2026-11-26"])
    assert result.exit_code == 0, result.output
    cards = json.loads(result.output)["cards"]
    reviewed = {k: cards[k] for k in ("learning", "young", "mature")}
    assert reviewed == {k: int(k == state) for k in reviewed}
    assert cards["suspended"] == 1


@pytest.mark.parametrize("scheduler", ["sm2", "fsrs"])
def test_reviews_after_today_have_not_happened_yet(scheduler: str) -> None:
    """stats --today before the reviews: the cards are as they were then (issue 12)."""
    import json

    from typer.testing import CliRunner

    from dlcards.cli import app

    runner = CliRunner()
    if scheduler == "fsrs":
        assert runner.invoke(app, ["config", "scheduler", "fsrs"]).exit_code == 0

    def stats(day: str) -> dict:  # type: ignore[type-arg]
        result = runner.invoke(app, ["stats", "--json", "--today", day])
        assert result.exit_code == 0, result.output
        return json.loads(result.output)  # type: ignore[no-any-return]

    before = stats("2026-11-20")
    script = "\n4\n\n5\n\n4\nq\n"
    result = runner.invoke(app, ["study", "--today", "2026-11-26", "--new", "3"], input=script)
    assert result.exit_code == 0 and "3 grades saved" in result.output
    after = stats("2026-11-26")
    assert after["cards"]["new"] == before["cards"]["new"] - 3
    assert after["forecast"] != before["forecast"]
    earlier = stats("2026-11-20")
    assert earlier["cards"] == before["cards"]
    assert earlier["recall"] == before["recall"]
    assert earlier["average_ef"] == before["average_ef"]
    assert earlier["forecast"] == before["forecast"]
    assert earlier["reviews"]["total"] == 0


@pytest.mark.parametrize("scheduler", ["sm2", "fsrs"])
def test_due_before_the_reviews_counts_the_cards_as_they_were(scheduler: str) -> None:
    """due --today before the reviews: the studied cards are new again then (issue 12)."""
    import json

    from typer.testing import CliRunner

    from dlcards.cli import app

    runner = CliRunner()
    if scheduler == "fsrs":
        assert runner.invoke(app, ["config", "scheduler", "fsrs"]).exit_code == 0

    def due(day: str) -> dict:  # type: ignore[type-arg]
        result = runner.invoke(app, ["due", "--json", "--today", day])
        assert result.exit_code == 0, result.output
        return json.loads(result.output)  # type: ignore[no-any-return]

    before = due("2026-11-20")
    script = "\n4\n\n5\n\n4\nq\n"
    result = runner.invoke(app, ["study", "--today", "2026-11-20", "--new", "3"], input=script)
    assert result.exit_code == 0 and "3 grades saved" in result.output
    result = runner.invoke(app, ["study", "--today", "2026-12-30", "--new", "0"], input=script)
    assert result.exit_code == 0 and "3 grades saved" in result.output
    assert due("2026-11-20")["new"] == before["new"] - 3  # studied that day
    assert due("2026-12-29")["due"] == 3  # due then: their next reviews were on the 30th
    assert due("2026-12-30")["due"] == 0
    assert due("2026-11-19")["new"] == before["new"]  # not studied yet
    assert due("2026-11-19")["topics"] == before["topics"]


def test_show_before_a_review_shows_the_card_as_it_was() -> None:
    """show --today before some of a card's reviews: as the earlier grades left it (issue 12)."""
    import json

    from typer.testing import CliRunner

    from dlcards.cli import app

    runner = CliRunner()

    def state(day: str) -> dict:  # type: ignore[type-arg]
        result = runner.invoke(app, ["show", "perceptron-1", "--json", "--today", day])
        assert result.exit_code == 0, result.output
        return json.loads(result.output)["state"]  # type: ignore[no-any-return]

    for day in ("2026-11-20", "2026-11-21"):
        result = runner.invoke(app, ["study", "--today", day, "--new", "1"], input="\n5\nq\n")
        assert result.exit_code == 0 and "1 grade saved" in result.output
    assert state("2026-11-19")["status"] == "new" and state("2026-11-19")["recall"] is None
    first = state("2026-11-20")  # SM-2: one review, interval 1, due the 21st
    assert (first["repetitions"], first["interval"], first["due"]) == (1, 1, "2026-11-21")
    second = state("2026-11-21")
    assert (second["repetitions"], second["interval"], second["due"]) == (2, 6, "2026-11-27")


def test_retention_and_true_retention_count_the_same_answers() -> None:
    """After studying only new cards, `stats` said "retention, 30 days 75%" while the true
    retention table said – everywhere (issue 12): the first counted every graded answer, a new
    card's first one too, the second only answers to cards reviewed before (as Anki's true
    retention). Now both say "retention" for the second, and "passed" names the first, and the
    screen says what each counts."""
    import json

    from typer.testing import CliRunner

    from dlcards.cli import app

    runner = CliRunner()

    def study(day: str, grades: str) -> None:
        script = "".join(f"\n{g}\n" for g in grades) + "q\n"
        result = runner.invoke(app, ["study", "--today", day, "--new", "4"], input=script)
        assert result.exit_code == 0, result.output

    def stats(day: str) -> tuple[dict, list[str]]:  # type: ignore[type-arg]
        data = json.loads(runner.invoke(app, ["stats", "--json", "--today", day]).output)
        return data, runner.invoke(app, ["stats", "--today", day]).output.splitlines()

    result = runner.invoke(
        app, ["study", "--today", "2026-11-26", "--new", "4"], input="\n4\n\n2\nq\n"
    )  # the session's summary names it as stats does
    assert "passed     50% of first answers (grade 3 or more)" in result.output, result.output
    runner.invoke(app, ["undo"])
    runner.invoke(app, ["undo"])
    study("2026-11-26", "4253")  # four new cards: 3 of 4 answers passed, none reviewed before
    data, screen = stats("2026-11-27")
    assert data["passed"] == {"last_30_days": 0.75, "total": 0.75}
    assert data["retention"] == {"last_30_days": None, "total": None}
    assert any(re.search(r"retention, 30 days +– ", line) for line in screen), screen
    assert any(re.search(r"passed, 30 days +75% ", line) for line in screen), screen
    assert any(re.search(r"30 days +– +– +– ", line) for line in screen), screen  # the table
    said = " ".join(screen)
    assert "retention: answers to cards reviewed before" in said
    assert "passed: every scheduled answer (not re-drills), a new card's first one too" in said

    study("2026-11-27", "5111")  # the same four again: 1 of 4 passed
    data, screen = stats("2026-11-27")
    assert data["retention"] == {"last_30_days": 0.25, "total": 0.25}
    assert data["passed"] == {"last_30_days": 0.5, "total": 0.5}  # 4 of the 8 answers
    table = data["true_retention"]["overall"]["30 days"]["all"]
    assert (table["passed"], table["failed"]) == (1, 3)
    assert any(re.search(r"retention, 30 days +25% ", line) for line in screen), screen


@settings(max_examples=300, deadline=None)
@given(
    rows=st.lists(
        st.tuples(
            st.integers(-30, 40_000),
            st.integers(-1, 36_500),
            st.none() | st.floats(0, 40_000, allow_nan=False, allow_infinity=False),
            st.integers(0, 10),
        ),
        max_size=30,
    ),
    fitted=st.booleans(),
)
def test_the_curves_of_many_rows_are_the_curve_of_each(
    rows: list[tuple[int, int, float | None, int]], fitted: bool
) -> None:
    """The statistics' batch (one pass over every group of cards) gives each row exactly what
    the scheduler's curve gives it, a new card's None, a zero interval's or stability's None,
    and elapsed days before the review counted as 0."""
    parameters = tuple(w * 1.01 for w in DEFAULT_FSRS_PARAMETERS) if fitted else None
    for scheduler in (Sm2(), Fsrs(parameters=parameters) if parameters else Fsrs()):
        assert scheduler.curves(rows) == [scheduler.curve(e, i, s) for e, i, s, _ in rows]


# --- the streak: the days studied, newest first, read up to the streak's first gap -----------


def _reference_streak(days: set[date], today: date) -> int:
    """The streak as `stats` counted it from every day studied (a set of all of them)."""
    from datetime import timedelta

    start = today if today in days else today - timedelta(days=1)
    n = 0
    while start - timedelta(days=n) in days:
        n += 1
    return n


@settings(max_examples=60, deadline=None)
@given(
    back=st.sets(st.integers(0, 400), max_size=300),
    run=st.sampled_from([0, 1, 63, 64, 65, 191, 192, 193]),
    today_studied=st.booleans(),
)
def test_the_streak_read_newest_first_is_the_streak_of_every_day(
    tmp_path_factory: pytest.TempPathFactory, back: set[int], run: int, today_studied: bool
) -> None:
    """`Reports.study_days_newest` (ranges of the day tally, each twice the one before) and
    `streak_of` give the streak counted from every day studied, across the ranges' edges; a
    day after the one asked about is not read."""
    from datetime import timedelta

    from dlcards.commands.stats_views import streak_of
    from dlcards.store import Store

    days = {TODAY - timedelta(days=1 + n) for n in range(run)}  # a run from yesterday
    days |= {TODAY - timedelta(days=run + 2 + n) for n in back}  # after a gap, anything
    if today_studied:
        days.add(TODAY)
    later = TODAY + timedelta(days=3)
    path = tmp_path_factory.mktemp("streak") / "s.db"
    with Store.open(path) as store:
        store.conn.executemany(
            "INSERT INTO review_days (day, reviews, scheduled, passed) VALUES (?, 1, 1, 1)",
            [(d.isoformat(),) for d in [*days, later]],
        )
        store.conn.commit()
        newest = list(store.study_days_newest(TODAY))
        assert newest == sorted(days, reverse=True)
        assert streak_of(store.study_days_newest(TODAY), TODAY) == _reference_streak(days, TODAY)
        assert streak_of(iter(newest), later) == _reference_streak(days, later)


def test_the_streak_takes_the_days_up_to_its_first_gap() -> None:
    """`stats` read and parsed every day ever studied (16,464 at bench's 1,000,000 reviews) to
    count a streak: `streak_of` now stops at the first gap, and the store reads the days a
    range at a time (64 days first)."""
    from datetime import timedelta

    from dlcards.commands.stats_views import streak_of

    taken: list[date] = []

    def days() -> Iterator[date]:
        for n in [*range(5), *range(6, 5000)]:
            taken.append(TODAY - timedelta(days=n))
            yield taken[-1]

    assert streak_of(days(), TODAY) == 5
    assert len(taken) == 6  # the five of the streak and the first one after its gap


def test_every_figure_is_of_one_state_of_the_collection(monkeypatch: pytest.MonkeyPatch) -> None:
    """A grade another terminal commits while `stats` reads is in all of its figures or in
    none: here the day's tally gains 100 reviews (what a grade's triggers write) once `stats`
    has read it; the week's count and the heatmap's last week, read after, are without them."""
    import json
    import os
    import sqlite3
    from datetime import timedelta

    from typer.testing import CliRunner

    from dlcards.cli import app

    runner = CliRunner()
    script = "\n4\n\n5\n\n4\nq\n"
    result = runner.invoke(app, ["study", "--today", "2026-11-26", "--new", "3"], input=script)
    assert result.exit_code == 0 and "3 grades saved" in result.output
    db = os.environ["DLCARDS_DB"]
    connect, fired = sqlite3.connect, []

    def tracing(*args, **kwargs):  # type: ignore[no-untyped-def]
        conn = connect(*args, **kwargs)

        def trace(sql: str) -> None:  # (called as a statement starts)
            if "review_days" in sql and sql.lstrip().upper().startswith("SELECT"):
                fired.append(sql)
            if len(fired) == 2:  # the tally read once already: the second read, as it starts
                fired.append("written")
                other = connect(db, isolation_level=None)
                other.execute(
                    "UPDATE review_days SET reviews = reviews + 100 WHERE day = ?", ("2026-11-26",)
                )
                other.close()

        conn.set_trace_callback(trace)
        return conn

    monkeypatch.setattr(sqlite3, "connect", tracing)
    result = runner.invoke(app, ["stats", "--json", "--today", "2026-11-26"])
    assert result.exit_code == 0, result.output
    assert "written" in fired  # the other terminal's write happened while stats read
    data = json.loads(result.output)
    first = date.fromisoformat(data["heatmap"]["first"])
    week = sum(
        n or 0
        for w, column in enumerate(data["heatmap"]["weeks"])
        for d, n in enumerate(column)
        if TODAY - timedelta(days=6) <= first + timedelta(days=7 * w + d) <= TODAY
    )
    assert data["reviews"]["last_7_days"] == week == 3


def test_due_counts_one_state_of_the_collection(monkeypatch: pytest.MonkeyPatch) -> None:
    """`due` reads its counts from one snapshot too: a new card another terminal grades while
    `due` reads is in the cards left new and in the day's new cards taken, or in neither."""
    import json
    import os
    import sqlite3
    from datetime import datetime, timezone
    from pathlib import Path

    import helpers as h
    from typer.testing import CliRunner

    from dlcards.cli import app
    from dlcards.store import Store

    runner = CliRunner()
    day = "2026-11-26"
    before = json.loads(runner.invoke(app, ["due", "--json", "--today", day]).output)
    db = os.environ["DLCARDS_DB"]
    connect, reads = sqlite3.connect, []

    def tracing(*args, **kwargs):  # type: ignore[no-untyped-def]
        conn = connect(*args, **kwargs)

        def trace(sql: str) -> None:  # (called as a statement starts)
            if reads or sql.lstrip().startswith("SELECT t.topic"):  # the topics' counts
                reads.append(sql)
                if len(reads) == 2:  # read: another terminal grades a new card before the next
                    monkeypatch.setattr(sqlite3, "connect", connect)
                    with Store.open(Path(db)) as other:
                        at = datetime(2026, 11, 26, 9, tzinfo=timezone.utc)
                        h.grade(other, "perceptron-1", 4, date(2026, 11, 26), at)

        conn.set_trace_callback(trace)
        return conn

    monkeypatch.setattr(sqlite3, "connect", tracing)
    result = runner.invoke(app, ["due", "--json", "--today", day])
    assert result.exit_code == 0, result.output
    assert len(reads) >= 2  # the grade came while `due` read
    after = json.loads(result.output)
    states = {(before["new"], before["new_today"]), (before["new"] - 1, before["new_today"] - 1)}
    assert (after["new"], after["new_today"]) in states


def test_show_reads_a_card_of_one_state_of_the_collection(monkeypatch: pytest.MonkeyPatch) -> None:
    """`show` reads the card's memory, flags and log from one snapshot: a grade another
    terminal commits while it reads gives the card as it was before the grade or as it is
    after, never its memory of one and its log of the other."""
    import json
    import os
    import sqlite3
    from datetime import datetime, timezone
    from pathlib import Path

    import helpers as h
    from typer.testing import CliRunner

    from dlcards.cli import app
    from dlcards.store import Store

    runner = CliRunner()
    args = ["show", "gd-23", "--json", "--today", "2026-11-26"]
    assert runner.invoke(app, ["due"]).exit_code == 0  # the database, synced
    db = os.environ["DLCARDS_DB"]

    def graded() -> None:
        with Store.open(Path(db)) as other:
            at = datetime(2026, 11, 26, 9, tzinfo=timezone.utc)
            h.grade(other, "gd-23", 4, date(2026, 11, 26), at)

    before = json.loads(runner.invoke(app, args).output)
    connect, reads = sqlite3.connect, []

    def tracing(*args, **kwargs):  # type: ignore[no-untyped-def]
        conn = connect(*args, **kwargs)

        def trace(sql: str) -> None:  # (called as a statement starts)
            if "FROM reviews" in sql and not reads:  # the card's log, its memory read
                reads.append(sql)
                monkeypatch.setattr(sqlite3, "connect", connect)
                graded()

        conn.set_trace_callback(trace)
        return conn

    monkeypatch.setattr(sqlite3, "connect", tracing)
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert reads  # the grade came while `show` read
    seen = json.loads(result.output)
    after = json.loads(runner.invoke(app, args).output)
    assert before["state"] != after["state"]
    assert seen["state"] in (before["state"], after["state"])
