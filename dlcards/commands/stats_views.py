"""The views of `dlcards stats` beyond the summary: the review heatmap, true retention and the
memory histograms. Each takes the `stats --json` data and returns a rich renderable 61
columns wide (or `width`, in a narrower terminal: the heatmap then shows the latest weeks that
fit, the retention table only percentages), so they read the same in any terminal.
"""

from __future__ import annotations

import re
import sys
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from dlcards.console import as_shown, counted

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

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

    parts, title = heatmap_parts(data, width, encoding)
    return _panel(Text.assemble(*parts), title, width)


def heatmap_parts(
    data: dict[str, Any], width: int = WIDTH, encoding: str = "utf-8"
) -> tuple[list[tuple[str, str]], str]:
    """`heatmap_view`'s text as the (text, style) pieces it is appended from, and its title."""
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

    text: list[tuple[str, str]] = []
    months = [" "] * len(weeks)
    for w in range(len(weeks)):
        monday = first + timedelta(days=7 * w)
        starts = [monday + timedelta(days=d) for d in range(7)]
        starts = [day for day in starts if day.day == 1]
        # a month begun in the last two weeks shown: its name ends at the last week (it was
        # left out, and on 2026-12-07 December's reviews stood under `Nov`, unnamed)
        at = min(w, len(weeks) - 3)
        if starts and at >= 0:
            name = MONTHS[starts[0].month - 1]
            if all(m == " " for m in months[max(0, at - 1) : at + 3]):
                months[at : at + 3] = list(name)
    text.append(("    " + "".join(months).rstrip() + "\n", "dim"))
    for d in range(7):
        text.append((f"{ROW_LABELS[d]:<4}", "dim"))
        for w, column in enumerate(weeks):
            n = column[d]
            if n is None:
                text.append((" ", ""))
            elif first + timedelta(days=7 * w + d) == today:
                text.append((TODAY_MARK, "bold red"))
            else:
                step = heat_level(n, peak)
                text.append((levels[step], LEVEL_STYLES[step]))
        text.append(("\n", ""))
    text.append(("    less ", "dim"))
    for step in range(5):
        text.append((levels[step], LEVEL_STYLES[step]))
    text.append((" more", "dim"))
    # "◆ today" under the scale where both do not fit on a line (under 34 columns it wrapped
    # to the panel's edge, `today` alone under the day labels)
    legend = len("less ") + len(levels) + len(" more") + len(f"  {TODAY_MARK} today")
    mark = f"  {TODAY_MARK} today" if legend <= width - 8 else f"\n    {TODAY_MARK} today"
    text.append((mark, "dim"))
    since = first.isoformat()
    from dlcards.console import plural, wrap_tokens
    from dlcards.lite import GLUE

    def with_unit(n: int, word: str) -> str:  # a count and its unit kept on one line
        return plural(n, word).replace(" ", GLUE)

    said = f"{with_unit(total, 'review')} on {with_unit(days, 'day')} since {since}"
    # wrapped under itself, not at the border: `since 2025-12-01` at 40 columns; a count
    # never ends a line without its unit (`busiest day: 2026-11-14, 60` / `reviews`); ASCII
    # and GLUE, a cell a character (measured without rich)
    lines = wrap_tokens(said, width - 4 - 4, breaks=" ", cells=len)
    if busiest is not None:
        n, day = busiest
        peak_said = f"busiest day: {day.isoformat()}, {with_unit(n, 'review')}"
        lines += wrap_tokens(peak_said, width - 4 - 4, breaks=" ", cells=len)
    for line in lines:  # wrapped: the glued spaces are spaces again, for any console
        text.append((f"\n    {line.replace(GLUE, ' ')}", "dim"))
    title = "reviews per day, past year" if shown == len(hm["weeks"]) else f"reviews, {shown} weeks"
    return text, title


def _pct(cell: dict[str, Any], counts: bool = True) -> str:
    r = cell["retention"]
    n = cell["passed"] + cell["failed"]
    if r is None:
        return "–"
    return f"{r:.1%} ({counted(n)})" if counts else f"{r:.0%}"


def retention_view(data: dict[str, Any], width: int = WIDTH) -> Any:
    """True retention (passed / reviewed, of cards reviewed before) per window and card age,
    then per topic (all ages) for each window."""
    from rich.table import Table

    tr = data["true_retention"]
    inner = width - 4  # the panel's borders and padding
    windows, headers, cells, wide = _overall_cells(tr, width)
    ages = RETENTION_AGES
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
        rows, stacked, plain = _topic_table(tr, headers, inner)
        if stacked:  # the topics on lines of their own
            parts += ["", _narrow_grid(headers, rows, inner, stacked=True)]
            return _retention_panel(parts, width)
        if plain is None:
            from dlcards.console import wrap_name

            topics = Table(box=None, header_style="bold", pad_edge=False, padding=(0, 1))
            # the numbers whole ("100%" was cut to "10…" at 40 columns while the topic kept 14
            # cells), the topic whole too: wrapped at its hyphens in what is left (cut to 14
            # cells, `regularizatio…` read as a topic of its own)
            room = inner - sum(2 + max(len(h), 4) for h in headers)
            topics.add_column("topic", style="cyan", no_wrap=True, overflow="fold")
            for header in headers:
                topics.add_column(header, justify="right", no_wrap=True)
            for topic, *values in rows:
                topics.add_row("\n".join(wrap_name(topic, room)), *values)
        parts += ["", plain or topics]
    return _retention_panel(parts, width)


RETENTION_AGES = ("young", "mature", "all")


def _overall_cells(
    tr: dict[str, Any], width: int
) -> tuple[list[str], list[str], list[list[str]], int]:
    """The overall retention table's windows, their short headers (`7d`), its cells (a row a
    window, a column an age) and its width as a rich Table lays it out."""
    windows = list(tr["overall"])
    headers = [window.replace(" days", "d") for window in windows]
    counts = width >= WIDTH
    cells = [[_pct(tr["overall"][w][a], counts) for a in RETENTION_AGES] for w in windows]
    # two spaces between columns (padding 1 on each side, none at the edges)
    wide = max(map(len, windows), default=0) + sum(
        2 + max(len(age), *(len(row[i]) for row in cells)) for i, age in enumerate(RETENTION_AGES)
    )
    return windows, headers, cells, wide


def _topic_table(
    tr: dict[str, Any], headers: list[str], inner: int
) -> tuple[list[list[str]], bool, Any]:
    """The retention per topic: its rows (topic, then a percentage a window), whether the
    topics go on lines of their own (too narrow for a column of them), and the plain table of
    the rows (`PlainTable`; None when rich must lay them out)."""
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
    if inner - numbers < min(longest, max(10, piece)):
        return rows, True, None
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
    return rows, False, plain


RETENTION_NOTE = (
    "answers to cards reviewed before (a new card's first answer is not one); "
    "young: < 21 days since the card's review before; mature: 21 or more"
)
RETENTION_TITLE = "true retention (passed: grade ≥ 3)"


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

    parts += [Text(RETENTION_NOTE, style="dim")]
    return _panel(Group(*parts), RETENTION_TITLE, width)


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

    return _panel(Text.assemble(*histogram_parts(bins, unit, width, suspended)), title, width)


def histogram_parts(
    bins: list[dict[str, Any]], unit: str = "cards", width: int = WIDTH, suspended: int = 0
) -> list[tuple[str, str]]:
    """`histogram_view`'s text as the (text, style) pieces it is appended from."""
    peak = max((b["cards"] for b in bins), default=0)
    if not peak:  # the bins hold the reviewed cards in study: a suspended card is in none
        said = f"no reviewed {unit} outside the suspended ones" if suspended else ""
        return [(said or f"no reviewed {unit} yet", "dim")]
    # measured as the terminal shows them: in ASCII "≥ 2.7" is ">= 2.7", a cell wider
    labels = [as_shown(b["bin"]) for b in bins]
    label_w = max(map(len, labels), default=4)
    count_w = max(len(counted(peak)), 1)
    bar_w = max(1, width - 4 - label_w - count_w - 3)
    text: list[tuple[str, str]] = []
    for i, b in enumerate(bins):
        n = b["cards"]
        eighths = round(n / peak * bar_w * 8) if peak else 0
        if n and not eighths:
            eighths = 1
        bar = "█" * (eighths // 8) + (" ▏▎▍▌▋▊▉"[eighths % 8] if eighths % 8 else "")
        text.append((f"{labels[i]:>{label_w}} ", "dim"))
        text.append((f"{counted(n):>{count_w}} ", "bold"))
        text.append((bar, "cyan"))
        if i < len(bins) - 1:
            text.append(("\n", ""))
    return text


def _panel(body: Any, title: str, width: int, padding: tuple[int, int] = (0, 1)) -> Any:
    """A panel of the statistics; a title too long for its border is cut after a whole word
    with `…` (rich would crop it mid-number: "most 4318" for "most 43183/day")."""
    from rich.panel import Panel

    from dlcards.stdio import cut_mark
    from dlcards.view import shorten

    mark = cut_mark()
    title = as_shown(title)  # fitted as shown: in ASCII "grade ≥ 3" is a cell wider
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


STATS_NOTE = (
    "retention: answers to cards reviewed before, as in the true retention table below; "
    "passed: every scheduled answer (not re-drills), a new card's first one too"
)

HISTOGRAM_TITLES = {
    "interval": "interval, days",
    "ease": "ease (SM-2)",
    "stability": "stability, days (FSRS)",
    "difficulty": "difficulty, 1-10 (FSRS)",
}


def summary_rows(data: dict[str, Any]) -> tuple[list[tuple[str, str, str]], list[tuple[str, str]]]:
    """The two tables at the top of `stats`: the cards by state as (state, its colour, count),
    and the activity as (label, value)."""

    def pct(x: float | None) -> str:
        return f"{x:.0%}" if x is not None else "–"

    cards = [
        (key, color, f"{data['cards'][key]:,}")
        for key, color in (
            ("new", "blue"),
            ("learning", "red"),
            ("young", "yellow"),
            ("mature", "green"),
            ("suspended", "dim"),
        )
    ]
    activity = [
        ("reviews, 7 days", f"{data['reviews']['last_7_days']:,}"),
        ("reviews, 30 days", f"{data['reviews']['last_30_days']:,}"),
        ("retention, 30 days", pct(data["retention"]["last_30_days"])),
        ("retention, all", pct(data["retention"]["total"])),
        ("passed, 30 days", pct(data["passed"]["last_30_days"])),
        ("passed, all", pct(data["passed"]["total"])),
    ]
    if data["scheduler"] == "fsrs":  # SM-2's ease schedules nothing under FSRS
        difficulty = data["average_difficulty"]
        activity.append(("average difficulty", f"{difficulty:.2f}" if difficulty else "–"))
    else:
        activity.append(
            ("average ease", f"{data['average_ef']:.2f}" if data["average_ef"] else "–")
        )
    activity += [
        ("streak", f"{data['streak_days']:,} day{'s' if data['streak_days'] != 1 else ''}"),
        ("leeches", f"{len(data['leeches']):,}"),
        ("predicted recall", pct(data["recall"]["average"])),
        ("cards below 80%", f"{data['recall']['below_0_8']:,}"),
        ("scheduler", data["scheduler"]),
    ]
    return cards, activity


def render_stats(console: Any, data: dict[str, Any]) -> None:
    from rich.columns import Columns
    from rich.panel import Panel
    from rich.table import Table
    from rich.text import Text

    card_rows, activity_rows = summary_rows(data)
    cards = Table.grid(padding=(0, 2))
    cards.add_column(style="bold")
    cards.add_column(justify="right")
    for key, color, value in card_rows:
        cards.add_row(f"[{color}]{key}[/]", value)
    activity = Table.grid(padding=(0, 2))
    activity.add_column(style="bold")
    activity.add_column(justify="right")
    for label, value in activity_rows:
        activity.add_row(label, value)
    console.print(
        Columns(
            [
                Panel(cards, title="cards", title_align="left"),
                Panel(activity, title="activity", title_align="left"),
            ]
        )
    )
    console.print(Text(STATS_NOTE, style="dim"))
    if data["leeches"]:
        console.print(leeches_line(data["leeches"], console.width))
    console.print(forecast_chart(data["forecast"], console.width))
    width = min(console.width, WIDTH)  # each view as wide, or as the terminal
    console.print(heatmap_view(data, width, console.encoding))
    console.print(retention_view(data, width))
    held = data["cards"]["suspended"]
    for name, bins in data["histograms"].items():
        console.print(histogram_view(HISTOGRAM_TITLES[name], bins, width=width, suspended=held))


def leeches_line(leeches: list[dict[str, Any]], width: int) -> Any:
    """The leeches, `id (lapses, topic)` each, in lines of `width` cells broken only between
    leeches (at 60 columns `mlp-6 (2,` ended a line and `mlp)` began the next); one longer
    than a line is on a line of its own, folded there. Plain text: a `[` in a topic or an
    id is not rich markup."""
    from rich.text import Text

    return Text("\n".join(leech_phrases(leeches, width)), overflow="fold")


def leech_phrases(
    leeches: list[dict[str, Any]], width: int, cells: Callable[[str], int] | None = None
) -> list[str]:
    """`leeches_line`'s lines (`cells`: as `dlcards.view.phrases` measures)."""
    from dlcards.view import phrases

    items = [f"{x['id']} ({counted(x['lapses'])}, {x['topic']})" for x in leeches]
    parts = ["leeches (lapses):", *(f"{item}," for item in items[:-1])]
    parts += [f"{items[-1]};", "see `dlcards list --leeches`"]
    return phrases(parts, width, sep=" ", cells=cells)


def forecast_chart(rows: list[dict[str, Any]], width: int = 80, height: int = 6) -> Any:
    """A column chart, one bar per day with eighth-blocks for the top of each bar, that fits in
    `width` columns: bars two columns apart when there is room, else side by side, else fewer
    days. The axis and the day marks never wrap."""
    from rich.panel import Panel
    from rich.text import Text

    parts, title = forecast_parts(rows, width, height)
    if title is None:
        return Text.assemble(*parts)
    return Panel(Text.assemble(*parts), title=title, title_align="left", expand=False)


def forecast_parts(
    rows: list[dict[str, Any]], width: int = 80, height: int = 6
) -> tuple[list[tuple[str, str]], str | None]:
    """`forecast_chart`'s text as the (text, style) pieces it is appended from, and its panel's
    title (None: nothing is due, a line without a panel)."""
    counts = [r["due"] for r in rows]
    peak = max(counts, default=0)
    if not peak:
        return [(f"Nothing is due in the next {len(counts)} days.", "dim")], None
    label_width = len(counted(max(counts)))
    room = max(width - 4 - label_width - 3, 7)  # panel border and padding, the axis label
    step = 2 if 2 * len(counts) <= room else 1
    counts = counts[: room // step]
    peak = max(counts) or peak
    blocks = " ▁▂▃▄▅▆▇█"
    text: list[tuple[str, str]] = []
    for level in range(height, 0, -1):
        top = f"{counted(peak):>{label_width}} ┤ "
        axis = top if level == height else " " * label_width + " │ "
        text.append((axis, "dim"))
        for n in counts:
            eighths = round(n / peak * height * 8)
            if n and not eighths:
                eighths = 1
            fill = max(0, min(8, eighths - (level - 1) * 8))
            text.append((blocks[fill] + " " * (step - 1), "green"))
        text.append(("\n", ""))
    text.append((f"{'0':>{label_width}} └" + "─" * (step * len(counts) + 1) + "\n", "dim"))
    marks = [" "] * max(room, step * len(counts))  # a mark may reach past the last bar
    for i in range(0, len(counts), 7):
        mark = "today" if i == 0 else f"+{i}d"
        at = i * step
        if at + len(mark) <= len(marks) and all(c == " " for c in marks[max(at - 1, 0) : at]):
            marks[at : at + len(mark)] = mark
    text.append((" " * (label_width + 3) + "".join(marks).rstrip(), "dim"))
    days, total, most = len(counts), counted(sum(counts)), counted(max(counts))
    # the longest title that fits the border, each a whole statement (rich would crop it
    # mid-number: "most 4318" for "most 43183/day" at 40 columns)
    titles = (
        f"due reviews, next {days} days: {total} in all, most {most} on one day",
        f"due, next {days} days: {total}, most {most}/day",
        f"due, next {days} days: {total}",
        f"due, {days} days: {total}",
        f"due: {total}",
    )
    return text, next((t for t in titles if len(t) + 6 <= width), titles[-1])


# --- the same screen without rich ---------------------------------------------------------------

ONE_CELL = frozenset("─│╭╮╰╯┤└·░▒▓█◆≥–▁▂▃▄▅▆▇▏▎▍▌▋▊▉")
"""The characters of the views beyond printable ASCII: one cell each, as rich measures them."""

Line = list[tuple[str, str]]  # (text, style) segments, as `dlcards.lite` prints them


def write_stats(data: dict[str, Any]) -> bool:
    """`render_stats` of `data` written to stdout without rich, byte for byte what rich writes
    (importing rich and laying out its panels, tables and columns was ~40% of `stats`'s time
    at 100,000 cards): in a UTF-8 console `WIDTH` columns or wider, where every text is
    printable ASCII or one of `ONE_CELL` and every line fits where the views put it; else
    False, writing nothing (rich prints it: a narrow terminal, long or wide topic names, a
    leech longer than a line, a Windows console). tests/test_stats_views.py compares the
    bytes with rich's."""
    from dlcards.lite import Screen, put

    screen = Screen.detect()
    encoding = (getattr(sys.stdout, "encoding", None) or "utf-8").lower()
    if screen is None or screen.width < WIDTH or not encoding.startswith("utf"):
        return False
    lines = stats_lines(data, screen.width)
    if lines is None or not all(_one_cell(text) for line in lines for text, _ in line):
        return False
    text = screen.emit(lines)
    if text is None:
        return False
    put(text)
    return True


def stats_lines(data: dict[str, Any], width: int) -> list[Line] | None:
    """The lines `render_stats` prints on a console `width` columns wide (`WIDTH` or more),
    as segments; None for what only rich lays out (see `write_stats`)."""
    from dlcards.lite import GLUE

    if width < WIDTH:
        return None
    lines = _summary_lines(data, width)
    if lines is None:
        return None
    lines += _wrapped(STATS_NOTE, "dim", width)
    if data["leeches"]:  # lines broken between leeches; one longer than a line: rich folds it
        said = leech_phrases(data["leeches"], width, cells=len)
        if not all(_one_cell(line) and len(line) <= width for line in said):
            return None
        lines += [[(line, "")] for line in said]
    parts, title = forecast_parts(data["forecast"], width)
    if title is None:
        lines += _wrapped(*parts[0], width)
    else:
        body = _text_lines(parts)
        widest = max(map(_width, body))
        boxed = _boxed(title, body, min(width - 2, max(widest + 2, len(title) + 4)) + 2)
        if boxed is None:
            return None
        lines += boxed
    parts, title = heatmap_parts(data, WIDTH)
    views = [_boxed(title, _text_lines(parts), WIDTH), _retention_lines(data)]
    held = data["cards"]["suspended"]
    for name, bins in data["histograms"].items():
        body = _text_lines(histogram_parts(bins, width=WIDTH, suspended=held))
        views.append(_boxed(HISTOGRAM_TITLES[name], body, WIDTH))
    for view in views:
        if view is None:
            return None
        lines += view
    # a space no line is broken at is written as a space (`dlcards.console.out`)
    return [[(text.replace(GLUE, " "), style) for text, style in line] for line in lines]


def _summary_lines(data: dict[str, Any], width: int) -> list[Line] | None:
    """The cards and the activity: two panels side by side (rich's Columns of Panels of
    `Table.grid(padding=(0, 2))`), or None when they do not fit on a line."""
    card_rows, activity_rows = summary_rows(data)
    grid = max(len(k) for k, _, _ in card_rows), max(len(v) for _, _, v in card_rows)
    cards: list[Line] = []
    for key, color, value in card_rows:
        pad = " " * (grid[0] - len(key))
        cards.append(
            [(key, f"bold {color}"), *([(pad, "bold")] if pad else []), ("  ", "bold")]
            + [(value.rjust(grid[1]), "")]
        )
    label_w, value_w = max(len(k) for k, _ in activity_rows), max(len(v) for _, v in activity_rows)
    activity: list[Line] = [
        [(label.ljust(label_w), "bold"), ("  ", "bold"), (value.rjust(value_w), "")]
        for label, value in activity_rows
    ]
    left = _boxed("cards", cards, max(sum(grid) + 2, len("cards") + 2) + 4)
    right = _boxed("activity", activity, max(label_w + 2 + value_w, len("activity") + 2) + 4)
    if left is None or right is None or len(left) > len(right):
        return None
    left_w, right_w = _width(left[0]), _width(right[0])
    if left_w + 1 + right_w > width:
        return None  # rich puts one under the other
    blank: Line = [(" " * left_w, "")]
    return [
        [*(left[i] if i < len(left) else blank), (" ", ""), *line] for i, line in enumerate(right)
    ]


def _retention_lines(data: dict[str, Any]) -> list[Line] | None:
    """`retention_view` at `WIDTH`: the overall table, the topics' plain table, the note."""
    from dlcards.console import PlainTable

    tr = data["true_retention"]
    inner = WIDTH - 4
    windows, headers, cells, wide = _overall_cells(tr, WIDTH)
    overall = PlainTable.of(
        [("", "bold", "left"), *((age, "", "right") for age in RETENTION_AGES)],
        [[window, *row] for window, row in zip(windows, cells, strict=True)],
        inner,
    )
    if wide > inner or overall is None:
        return None
    body: list[Line] = overall.segments()
    if tr["topics"]:
        _, stacked, plain = _topic_table(tr, headers, inner)
        if stacked or plain is None:
            return None
        body += [[], *plain.segments()]
    body += _wrapped(RETENTION_NOTE, "dim", inner)
    return _boxed(RETENTION_TITLE, body, WIDTH)


def _text_lines(parts: list[tuple[str, str]]) -> list[Line]:
    """A text appended from `parts` ((text, style) pieces), cut into its lines as rich cuts a
    Text at its newlines."""
    lines: list[Line] = [[]]
    for text, style in parts:
        for i, piece in enumerate(text.split("\n")):
            if i:
                lines.append([])
            if piece:
                lines[-1].append((piece, style))
    return lines


def _wrapped(text: str, style: str, width: int) -> list[Line]:
    """A rich Text of `text` in `style`, printed `width` wide: its lines (`dlcards.lite`)."""
    from dlcards.lite import glued, wrap

    return [list(line) for line in wrap([(glued(text, width), style)], width)]


def _width(line: Line) -> int:
    return sum(len(text) for text, _ in line)


def _one_cell(text: str) -> bool:
    return all(" " <= ch <= "~" or ch in ONE_CELL for ch in text)


def _boxed(title: str, body: list[Line], width: int) -> list[Line] | None:
    """`body` in rich's Panel `width` wide (rounded box, the title at the left, padding
    (0, 1)); None where rich would cut the title or wrap a line."""
    inner = width - 4
    if len(title) + 2 > inner or any(_width(line) > inner for line in body):
        return None
    boxed: list[Line] = [[(f"╭─ {title} " + "─" * (inner - len(title) - 2) + "─╮", "")]]
    for line in body:
        boxed.append([("│ ", ""), *line, (" " * (inner - _width(line)) + " │", "")])
    boxed.append([("╰" + "─" * (width - 2) + "╯", "")])
    return boxed
