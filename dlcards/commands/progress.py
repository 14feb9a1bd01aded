"""`dlcards due`, `stats`, `suspend`, `unsuspend`, `reset`: the collection's progress."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import typer

from dlcards.commands.common import clock, schedule_of, synced_store, today_from
from dlcards.commands.options import DbOption, DecksOption, JsonOption, TodayOption, TopicOption


def due(
    decks: list[str] | None = DecksOption,
    db: str | None = DbOption,
    today: str | None = TodayOption,
    json_: bool = JsonOption,
    count: bool = typer.Option(
        False,
        "--count",
        help="Print one number: cards due today plus new cards still allowed today "
        "(fast, for a shell prompt or status bar).",
    ),
) -> None:
    """How many cards are due today and how many are new, per topic; how many due reviews wait
    beyond the daily review cap (reviews_per_day), most overdue first."""
    from dlcards.commands import run

    run.due(decks or (), db, today, json_, count)


def _streak(days: list[date], today: date) -> int:
    """Consecutive days with reviews, ending today (or yesterday, if today has none yet)."""
    have = set(days)
    start = today if today in have else today - timedelta(days=1)
    n = 0
    while start - timedelta(days=n) in have:
        n += 1
    return n


def stats(
    decks: list[str] | None = DecksOption,
    db: str | None = DbOption,
    today: str | None = TodayOption,
    json_: bool = JsonOption,
) -> None:
    """Progress: cards by state, reviews, retention, ease, leeches, streak, 30-day forecast."""
    from dlcards.console import out, print_json

    day = today_from(today)
    with synced_store(db, decks or ()) as store:
        from dlcards.recall import LOW_RECALL
        from dlcards.stats import (
            RETENTION_WINDOWS,
            heatmap,
            histograms,
            overview,
            retention_counts,
            retention_since,
            tally_of,
        )

        week, month, ever = store.review_counts(
            day, day - timedelta(days=6), day - timedelta(days=29), date.min
        )
        streak = _streak(store.study_days(day - timedelta(days=3660), day), day)
        schedule = schedule_of(store)
        scheduler = schedule.name
        # summed by SQL, unless reviews logged after `day` must be taken back first
        tally = None if store.has_later(day) else store.card_tally(scheduler)
        cards = tally if tally is not None else tally_of(store.card_rows(scheduler, as_of=day))
        view = overview(cards, day, schedule.active.curve)
        calendar = heatmap(
            {
                date.fromisoformat(c.day): c.reviews
                for c in store.reviews_by_day(day - timedelta(days=7 * 53), day)
            },
            day,
        )
        windows = (day - timedelta(days=b) for _, b in RETENTION_WINDOWS)
        retention_rows = store.true_retention(day, *windows, date.min)
        retention = retention_counts(retention_rows, day)
        retention_ever = retention_since(retention_rows, date.min)
        bins = histograms(cards, scheduler)
    recall = view.recall
    data: dict[str, Any] = {
        "today": day.isoformat(),
        "cards": view.cards,
        "reviews": {
            "last_7_days": week.reviews,
            "last_30_days": month.reviews,
            "total": ever.reviews,
        },
        # Retention is Anki's true retention: answers to cards reviewed before (the table's
        # "all" column); "passed" counts every graded answer, a new card's first one too.
        "retention": {
            "last_30_days": retention["overall"]["30 days"]["all"]["retention"],
            "total": retention_ever["retention"],
        },
        "passed": {
            "last_30_days": round(month.passed / month.scheduled, 4) if month.scheduled else None,
            "total": round(ever.passed / ever.scheduled, 4) if ever.scheduled else None,
        },
        "average_ef": view.average_ef,
        "scheduler": scheduler,
        "recall": {
            "average": round(recall.average, 4) if recall.average is not None else None,
            "below_0_8": recall.below,
            "threshold": LOW_RECALL,
        },
        "leeches": [
            {"id": cid, "topic": topic, "lapses": n, "suspended": held}
            for cid, topic, n, held in view.leeches
        ],
        "streak_days": streak,
        "forecast": [{"day": d.isoformat(), "due": n} for d, n in view.forecast],
        "heatmap": {
            "first": calendar.first.isoformat(),
            "today": calendar.today.isoformat(),
            "weeks": calendar.weeks,
            "peak": calendar.peak,
            "total": calendar.total,
            "days_studied": calendar.days_studied,
        },
        "true_retention": retention,
        "histograms": {
            name: [{"bin": label, "cards": n} for label, n in counts]
            for name, counts in bins.items()
        },
    }
    if json_:
        print_json(data)
        return
    _render_stats(out(), data)


def _render_stats(console: Any, data: dict[str, Any]) -> None:
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
            "below; passed: every graded answer, a new card's first one too",
            style="dim",
        )
    )
    if data["leeches"]:
        console.print(
            "leeches (lapses): "
            + ", ".join(f"{x['id']} ({x['lapses']}, {x['topic']})" for x in data["leeches"])
            + "; see `dlcards list --leeches`"
        )
    console.print(forecast_chart(data["forecast"], console.width))
    from dlcards.commands.stats_views import heatmap_view, histogram_view, retention_view

    width = min(console.width, 60)  # each view is 60 columns wide, or the terminal's width
    console.print(heatmap_view(data, width))
    console.print(retention_view(data, width))
    titles = {
        "interval": "interval, days",
        "ease": "ease (SM-2)",
        "stability": "stability, days (FSRS)",
        "difficulty": "difficulty, 1-10 (FSRS)",
    }
    for name, bins in data["histograms"].items():
        console.print(histogram_view(titles[name], bins, width=width))


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
    title = f"due reviews, next {days} days: {total} in all, most {most} on one day"
    if len(title) + 6 > width:
        title = f"due, next {days} days: {total}, most {most}/day"
    return Panel(text, title=title, title_align="left", expand=False)


def suspend(
    card_ids: list[str] = typer.Argument(..., help="Card ids to suspend."),
    decks: list[str] | None = DecksOption,
    db: str | None = DbOption,
) -> None:
    """Keep cards out of study sessions (progress is kept)."""
    _set_suspended(card_ids, True, decks, db)


def unsuspend(
    card_ids: list[str] = typer.Argument(..., help="Card ids to bring back."),
    decks: list[str] | None = DecksOption,
    db: str | None = DbOption,
) -> None:
    """Bring suspended cards back into study sessions."""
    _set_suspended(card_ids, False, decks, db)


def _set_suspended(
    card_ids: list[str], flag: bool, decks: list[str] | None, db: str | None
) -> None:
    from dlcards.catalog import load_catalog
    from dlcards.console import out, plural

    catalog = load_catalog(decks or ())
    for cid in card_ids:
        catalog.card(cid)  # unknown ids fail before anything is written
    ids = list(dict.fromkeys(catalog.card(cid).id for cid in card_ids))
    with synced_store(db, decks or ()) as store:
        changed = store.set_suspended(ids, flag)
    word = "suspended" if flag else "unsuspended"
    console = out()
    if changed:
        console.print(f"{word} {plural(len(changed), 'card')}: " + ", ".join(changed))
    already = [cid for cid in ids if cid not in changed]
    if already:
        state = "suspended" if flag else "not suspended"
        console.print(f"already {state}: " + ", ".join(already))


def reset(
    card_id: str | None = typer.Argument(None, help="Card id to reset."),
    topic: list[str] | None = TopicOption,
    all_: bool = typer.Option(False, "--all", help="Reset every card."),
    yes: bool = typer.Option(False, "--yes", "-y", help="Do not ask for confirmation."),
    decks: list[str] | None = DecksOption,
    db: str | None = DbOption,
) -> None:
    """Make cards new again (their review history is kept)."""
    from dlcards.catalog import load_catalog
    from dlcards.console import out, plural
    from dlcards.errors import UsageError

    catalog = load_catalog(decks or ())
    if card_id and (topic or all_):
        raise UsageError("give a card id, or --topic, or --all, not several")
    if card_id:
        ids = [catalog.card(card_id).id]
        what = f"card {card_id}"
    elif topic:
        ids = [c.id for c in catalog.select(topic)]
        what = f"{plural(len(ids), 'card')} of {', '.join(topic)}"
    elif all_:
        ids = [c.id for c in catalog.cards]
        what = f"all {len(ids)} cards"
    else:
        raise UsageError("say what to reset: a card id, --topic T, or --all")
    if not yes:
        import sys

        if not sys.stdin.isatty():
            raise UsageError("reset asks for confirmation; pass --yes to confirm without a prompt")
        typer.confirm(f"Reset {what} to new? Their review history is kept.", abort=True)
    with synced_store(db, decks or ()) as store:
        studied = store.reset(ids, clock())
    if studied:
        out().print(f"reset {what} ({plural(studied, 'card')} had been studied)")
    else:
        out().print(f"nothing to reset: {what} had never been studied")
