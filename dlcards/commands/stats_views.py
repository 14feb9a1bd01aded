"""The views of `dlcards stats` beyond the summary: the review heatmap, true retention and the
memory histograms. Each takes the `stats --json` data and returns a rich renderable 61
columns wide (or `width`, in a narrower terminal: the heatmap then shows the latest weeks that
fit, the retention table only percentages), so they read the same in any terminal.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Iterable

WIDTH = 61
"""The views' width: the heatmap's year (53 weeks after the day labels) with a cell of margin
inside each border."""
LEVELS = "·░▒▓█"  # no reviews, then the four steps of the scale: readable without colour too
ASCII_LEVELS = ".:+*#"
"""LEVELS for a terminal that cannot show them, lightest to darkest: spelled one by one
(· as the * of a product, ░ as .), a day with no reviews looked busier than a day with a
few (`less *.:%# more`)."""
LEVEL_STYLES = ("dim", "green4", "green3", "green1", "bold bright_green")
TODAY_MARK = "◆"
ROW_LABELS = ("Mon", "", "Wed", "", "Fri", "", "")
MONTHS = "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split()


def heatmap_view(data: dict[str, Any], width: int = WIDTH, encoding: str = "utf-8") -> Any:
    """A calendar of reviews per day: weeks as columns (oldest left), days as rows (Monday on
    top), a five-step scale, today marked ◆, month names over the weeks they start; the year,
    or the latest weeks that fit `width`. `encoding`: the terminal's (ASCII_LEVELS where it
    cannot show LEVELS)."""
    from rich.text import Text

    levels = LEVELS
    try:
        LEVELS.encode(encoding)
    except (UnicodeEncodeError, LookupError):
        levels = ASCII_LEVELS

    from dlcards.stats import heat_level

    hm = data["heatmap"]
    today = date.fromisoformat(hm["today"])
    # borders, a cell of margin inside each (at 60 columns `Mon` touched the left border),
    # the day labels
    shown = max(1, min(len(hm["weeks"]), width - 4 - 4))
    weeks: list[list[int | None]] = hm["weeks"][-shown:]
    first = date.fromisoformat(hm["first"]) + timedelta(weeks=len(hm["weeks"]) - shown)
    # the scale, the busiest day and the sums are those of the weeks shown: in a narrower
    # terminal the footer and the title speak of the same weeks
    counted = [n for column in weeks for n in column if n]
    peak, total, days = max(counted, default=0), sum(counted), len(counted)
    # the busiest day's date (the latest of a tie), named with its count
    busiest = max(
        (
            (n, first + timedelta(days=7 * w + d))
            for w, column in enumerate(weeks)
            for d, n in enumerate(column)
            if n
        ),
        default=None,
    )

    text = Text()
    months = [" "] * len(weeks)
    for w in range(len(weeks)):
        monday = first + timedelta(days=7 * w)
        starts = [monday + timedelta(days=d) for d in range(7)]
        starts = [day for day in starts if day.day == 1]
        if starts and w + 3 <= len(weeks):
            name = MONTHS[starts[0].month - 1]
            if all(m == " " for m in months[max(0, w - 1) : w + 3]):
                months[w : w + 3] = list(name)
    text.append("    " + "".join(months).rstrip() + "\n", style="dim")
    for d in range(7):
        text.append(f"{ROW_LABELS[d]:<4}", style="dim")
        for w, column in enumerate(weeks):
            n = column[d]
            if n is None:
                text.append(" ")
            elif first + timedelta(days=7 * w + d) == today:
                text.append(TODAY_MARK, style="bold red")
            else:
                step = heat_level(n, peak)
                text.append(levels[step], style=LEVEL_STYLES[step])
        text.append("\n")
    text.append("    less ", style="dim")
    for step in range(5):
        text.append(levels[step], style=LEVEL_STYLES[step])
    text.append(" more", style="dim")
    # "◆ today" under the scale where both do not fit on a line (under 34 columns it wrapped
    # to the panel's edge, `today` alone under the day labels)
    legend = len("less ") + len(levels) + len(" more") + len(f"  {TODAY_MARK} today")
    mark = f"  {TODAY_MARK} today" if legend <= width - 8 else f"\n    {TODAY_MARK} today"
    text.append(mark, style="dim")
    since = first.isoformat()
    from dlcards.console import plural, wrap_tokens
    from dlcards.lite import GLUE

    def with_unit(n: int, word: str) -> str:  # a count and its unit kept on one line
        return plural(n, word).replace(" ", GLUE)

    said = f"{with_unit(total, 'review')} on {with_unit(days, 'day')} since {since}"
    # wrapped under itself, not at the border: `since 2025-12-01` at 40 columns; a count
    # never ends a line without its unit (`busiest day: 2026-11-14, 60` / `reviews`)
    lines = wrap_tokens(said, width - 4 - 4, breaks=" ")
    if busiest is not None:
        n, day = busiest
        peak_said = f"busiest day: {day.isoformat()}, {with_unit(n, 'review')}"
        lines += wrap_tokens(peak_said, width - 4 - 4, breaks=" ")
    for line in lines:  # wrapped: the glued spaces are spaces again, for any console
        text.append(f"\n    {line.replace(GLUE, ' ')}", style="dim")
    title = "reviews per day, past year" if shown == len(hm["weeks"]) else f"reviews, {shown} weeks"
    return _panel(text, title, width)


def _pct(cell: dict[str, Any], counts: bool = True) -> str:
    r = cell["retention"]
    n = cell["passed"] + cell["failed"]
    if r is None:
        return "–"
    return f"{r:.1%} ({n})" if counts else f"{r:.0%}"


def retention_view(data: dict[str, Any], width: int = WIDTH) -> Any:
    """True retention (passed / reviewed, of cards reviewed before) per window and card age,
    then per topic (all ages) for each window."""
    from rich.table import Table

    tr = data["true_retention"]
    inner = width - 4  # the panel's borders and padding
    windows = list(tr["overall"])
    headers = [window.replace(" days", "d") for window in windows]
    ages = ("young", "mature", "all")
    counts = width >= WIDTH
    cells = [[_pct(tr["overall"][w][a], counts) for a in ages] for w in windows]
    # two spaces between columns (padding 1 on each side, none at the edges)
    wide = max(map(len, windows), default=0) + sum(
        2 + max(len(age), *(len(row[i]) for row in cells)) for i, age in enumerate(ages)
    )
    parts: list[Any]
    if wide <= inner:  # a row a window, a column an age
        overall = Table(box=None, header_style="bold", pad_edge=False, padding=(0, 1))
        overall.add_column("", style="bold", no_wrap=True)
        for age in ages:
            overall.add_column(age, justify="right", no_wrap=True)
        for window, row in zip(windows, cells, strict=True):
            overall.add_row(window, *row)
        parts = [overall]
    else:  # too narrow (30 columns cut "100%" to "10…"): a row an age, a column a window
        rows = [[age, *(_pct(tr["overall"][w][age], False) for w in windows)] for age in ages]
        parts = [_narrow_grid(headers, rows, inner, stacked=False)]
    if tr["topics"]:
        from dlcards.console import PlainTable

        rows = [
            [
                topic,
                *(
                    "–" if c["all"]["retention"] is None else f"{c['all']['retention']:.0%}"
                    for c in windows_of.values()
                ),
            ]
            for topic, windows_of in tr["topics"].items()
        ]
        numbers = sum(2 + max(len(h), 4) for h in headers)  # a column each, "100%" at most
        longest = max(len(row[0]) for row in rows)
        # a topic's longest piece between hyphens: narrower than that, it would be folded
        piece = max(len(part) for row in rows for part in re.split(r"(?<=[-_ /])", row[0]))
        if inner - numbers < min(longest, max(10, piece)):  # the topics on lines of their own
            parts += ["", _narrow_grid(headers, rows, inner, stacked=True)]
            return _retention_panel(parts, width)
        # a row a topic: at 50 topics rich's layout pass was a third of the statistics' screen
        plain = (
            PlainTable.of(
                [("topic", "cyan", "left"), *((h, "", "right") for h in headers)],
                rows,
                inner,
            )
            if all(len(row[0]) <= 14 for row in rows)
            else None
        )
        if plain is None:
            from dlcards.console import wrap_name

            topics = Table(box=None, header_style="bold", pad_edge=False, padding=(0, 1))
            # the numbers whole ("100%" was cut to "10…" at 40 columns while the topic kept 14
            # cells), the topic whole too: wrapped at its hyphens in what is left (cut to 14
            # cells, `regularizatio…` read as a topic of its own)
            room = inner - numbers
            topics.add_column("topic", style="cyan", no_wrap=True, overflow="fold")
            for header in headers:
                topics.add_column(header, justify="right", no_wrap=True)
            for topic, *values in rows:
                topics.add_row("\n".join(wrap_name(topic, room)), *values)
        parts += ["", plain or topics]
    return _retention_panel(parts, width)


LABEL_W = len("mature")
"""The row labels' column of a narrow retention table (`_narrow_grid`)."""


def _narrow_grid(headers: list[str], rows: list[list[str]], inner: int, stacked: bool) -> Any:
    """Retention on a narrow screen, a column a window (`today`, `7d`, ...; each as wide as
    "100%" at least, one space apart, none before the first: its header, `today`, is wider
    than any value) after a column of labels: each row's (`young`, `mature`, `all`), or,
    `stacked`, on lines of its own above its numbers (a topic, wrapped at its hyphens when
    longer than the line). 30 columns fit."""
    from rich.text import Text

    from dlcards.console import wrap_name

    widths = [max(len(h), 4) for h in headers]

    def line(cells: list[str]) -> str:
        return " ".join(f"{c:>{w}}" for c, w in zip(cells, widths, strict=True))

    text = Text(f"{'topic' if stacked else '':<{LABEL_W}}" + line(headers), "bold")
    for label, *values in rows:
        text.append("\n")
        if stacked:
            text.append("\n".join(wrap_name(label, inner)), style="cyan")
            text.append("\n" + " " * LABEL_W + line(values))
        else:
            text.append(f"{label:<{LABEL_W}}", style="bold")
            text.append(line(values))
    return text


def _retention_panel(parts: list[Any], width: int) -> Any:
    from rich.console import Group
    from rich.text import Text

    note = (
        "answers to cards reviewed before (a new card's first answer is not one); "
        "young: < 21 days since the card's review before; mature: 21 or more"
    )
    parts += [Text(note, style="dim")]
    return _panel(Group(*parts), "true retention (passed: grade ≥ 3)", width)


def histogram_view(
    title: str,
    bins: list[dict[str, Any]],
    unit: str = "cards",
    width: int = WIDTH,
    suspended: int = 0,
) -> Any:
    """Horizontal bars, one per bin, scaled to the largest. `suspended`: the suspended cards,
    which no bin holds (with none in any bin, the empty view says why)."""
    from rich.text import Text

    peak = max((b["cards"] for b in bins), default=0)
    label_w = max((len(b["bin"]) for b in bins), default=4)
    count_w = max(len(str(peak)), 1)
    bar_w = max(1, width - 4 - label_w - count_w - 3)
    text = Text()
    for i, b in enumerate(bins):
        n = b["cards"]
        eighths = round(n / peak * bar_w * 8) if peak else 0
        if n and not eighths:
            eighths = 1
        bar = "█" * (eighths // 8) + (" ▏▎▍▌▋▊▉"[eighths % 8] if eighths % 8 else "")
        text.append(f"{b['bin']:>{label_w}} ", style="dim")
        text.append(f"{n:>{count_w}} ", style="bold")
        text.append(bar, style="cyan")
        if i < len(bins) - 1:
            text.append("\n")
    if not peak:  # the bins hold the reviewed cards in study: a suspended card is in none
        said = f"no reviewed {unit} outside the suspended ones" if suspended else ""
        text = Text(said or f"no reviewed {unit} yet", style="dim")
    return _panel(text, title, width)


def _panel(body: Any, title: str, width: int, padding: tuple[int, int] = (0, 1)) -> Any:
    """A panel of the statistics; a title too long for its border is cut after a whole word
    with `…` (rich would crop it mid-number: "most 4318" for "most 43183/day")."""
    from rich.panel import Panel

    from dlcards.stdio import cut_mark
    from dlcards.view import shorten

    mark = cut_mark()
    title = shorten(title, max(width - 6, 1)) or title[: max(width - 6 - len(mark), 0)] + mark
    return Panel(body, title=title, title_align="left", width=width, padding=padding)


def streak_of(days: Iterable[date], today: date) -> int:
    """Consecutive days with reviews, ending today (or yesterday, if today has none yet).
    `days`: the days with reviews up to today, newest first, each once; taken only up to the
    streak's first gap."""
    start: date | None = None
    n = 0
    for day in days:
        if start is None:
            start = today if day == today else today - timedelta(days=1)
        if day != start - timedelta(days=n):
            break
        n += 1
    return n


def render_stats(console: Any, data: dict[str, Any]) -> None:
    from rich.columns import Columns
    from rich.panel import Panel
    from rich.table import Table
    from rich.text import Text

    def pct(x: float | None) -> str:
        return f"{x:.0%}" if x is not None else "–"

    cards = Table.grid(padding=(0, 2))
    cards.add_column(style="bold")
    cards.add_column(justify="right")
    for key, color in (
        ("new", "blue"),
        ("learning", "red"),
        ("young", "yellow"),
        ("mature", "green"),
        ("suspended", "dim"),
    ):
        cards.add_row(f"[{color}]{key}[/]", str(data["cards"][key]))
    activity = Table.grid(padding=(0, 2))
    activity.add_column(style="bold")
    activity.add_column(justify="right")
    activity.add_row("reviews, 7 days", str(data["reviews"]["last_7_days"]))
    activity.add_row("reviews, 30 days", str(data["reviews"]["last_30_days"]))
    activity.add_row("retention, 30 days", pct(data["retention"]["last_30_days"]))
    activity.add_row("retention, all", pct(data["retention"]["total"]))
    activity.add_row("passed, 30 days", pct(data["passed"]["last_30_days"]))
    activity.add_row("passed, all", pct(data["passed"]["total"]))
    if data["scheduler"] == "fsrs":  # SM-2's ease schedules nothing under FSRS
        difficulty = data["average_difficulty"]
        activity.add_row("average difficulty", f"{difficulty:.2f}" if difficulty else "–")
    else:
        activity.add_row("average ease", f"{data['average_ef']:.2f}" if data["average_ef"] else "–")
    activity.add_row(
        "streak", f"{data['streak_days']} day{'s' if data['streak_days'] != 1 else ''}"
    )
    activity.add_row("leeches", str(len(data["leeches"])))
    activity.add_row("predicted recall", pct(data["recall"]["average"]))
    activity.add_row("cards below 80%", str(data["recall"]["below_0_8"]))
    activity.add_row("scheduler", data["scheduler"])
    console.print(
        Columns(
            [
                Panel(cards, title="cards", title_align="left"),
                Panel(activity, title="activity", title_align="left"),
            ]
        )
    )
    console.print(
        Text(
            "retention: answers to cards reviewed before, as in the true retention table "
            "below; passed: every scheduled answer (not re-drills), a new card's first one too",
            style="dim",
        )
    )
    if data["leeches"]:
        console.print(leeches_line(data["leeches"], console.width))
    console.print(forecast_chart(data["forecast"], console.width))
    width = min(console.width, WIDTH)  # each view as wide, or as the terminal
    console.print(heatmap_view(data, width, console.encoding))
    console.print(retention_view(data, width))
    titles = {
        "interval": "interval, days",
        "ease": "ease (SM-2)",
        "stability": "stability, days (FSRS)",
        "difficulty": "difficulty, 1-10 (FSRS)",
    }
    held = data["cards"]["suspended"]
    for name, bins in data["histograms"].items():
        console.print(histogram_view(titles[name], bins, width=width, suspended=held))


def leeches_line(leeches: list[dict[str, Any]], width: int) -> Any:
    """The leeches, `id (lapses, topic)` each, in lines of `width` cells broken only between
    leeches (at 60 columns `mlp-6 (2,` ended a line and `mlp)` began the next); one longer
    than a line is on a line of its own, folded there. Plain text: a `[` in a topic or an
    id is not rich markup."""
    from rich.text import Text

    from dlcards.view import phrases

    items = [f"{x['id']} ({x['lapses']}, {x['topic']})" for x in leeches]
    parts = ["leeches (lapses):", *(f"{item}," for item in items[:-1])]
    parts += [f"{items[-1]};", "see `dlcards list --leeches`"]
    return Text("\n".join(phrases(parts, width, sep=" ")), overflow="fold")


def forecast_chart(rows: list[dict[str, Any]], width: int = 80, height: int = 6) -> Any:
    """A column chart, one bar per day with eighth-blocks for the top of each bar, that fits in
    `width` columns: bars two columns apart when there is room, else side by side, else fewer
    days. The axis and the day marks never wrap."""
    from rich.panel import Panel
    from rich.text import Text

    counts = [r["due"] for r in rows]
    peak = max(counts, default=0)
    if not peak:
        return Text(f"Nothing is due in the next {len(counts)} days.", style="dim")
    label_width = len(str(peak))
    room = max(width - 4 - label_width - 3, 7)  # panel border and padding, the axis label
    step = 2 if 2 * len(counts) <= room else 1
    counts = counts[: room // step]
    peak = max(counts) or peak
    blocks = " ▁▂▃▄▅▆▇█"
    text = Text()
    for level in range(height, 0, -1):
        axis = f"{peak:>{label_width}} ┤ " if level == height else " " * label_width + " │ "
        text.append(axis, style="dim")
        for n in counts:
            eighths = round(n / peak * height * 8)
            if n and not eighths:
                eighths = 1
            fill = max(0, min(8, eighths - (level - 1) * 8))
            text.append(blocks[fill] + " " * (step - 1), style="green")
        text.append("\n")
    text.append(f"{'0':>{label_width}} └" + "─" * (step * len(counts) + 1) + "\n", style="dim")
    marks = [" "] * max(room, step * len(counts))  # a mark may reach past the last bar
    for i in range(0, len(counts), 7):
        mark = "today" if i == 0 else f"+{i}d"
        at = i * step
        if at + len(mark) <= len(marks) and all(c == " " for c in marks[max(at - 1, 0) : at]):
            marks[at : at + len(mark)] = mark
    text.append(" " * (label_width + 3) + "".join(marks).rstrip(), style="dim")
    days, total, most = len(counts), sum(counts), max(counts)
    # the longest title that fits the border, each a whole statement (rich would crop it
    # mid-number: "most 4318" for "most 43183/day" at 40 columns)
    titles = (
        f"due reviews, next {days} days: {total} in all, most {most} on one day",
        f"due, next {days} days: {total}, most {most}/day",
        f"due, next {days} days: {total}",
        f"due, {days} days: {total}",
        f"due: {total}",
    )
    title = next((t for t in titles if len(t) + 6 <= width), titles[-1])
    return Panel(text, title=title, title_align="left", expand=False)
