"""`dlcards study`: the daily session.

In a terminal, single keys: Space/Enter reveals, 0-5 grades, u undoes, s skips, q quits.
When standard input is not a terminal the same session runs on a line protocol (an empty line
reveals, `0`-`5` grades, `u`, `s`, `q`), so sessions can be scripted and tested.
"""

from __future__ import annotations

import sys
import time
from typing import TYPE_CHECKING

import typer

from dlcards.commands.common import DbOption, TodayOption, clock, today_from
from dlcards.commands.options import DecksOption, TagOption, TopicOption
from dlcards.settings import NEW_PER_DAY_MAX, REVIEWS_MAX
from dlcards.terminal import KeyInput, LineInput, Quit, run_until_stopped

if TYPE_CHECKING:
    from rich.console import Console, RenderableType

    from dlcards.catalog import Catalog
    from dlcards.deck import Card
    from dlcards.session import StudySession
    from dlcards.sm2 import Grade

KEYS_HELP = r"\[Space] show answer   \[s] skip   \[u] undo   \[q] quit"


# --- screen -------------------------------------------------------------------------------------


def _days(n: int) -> str:
    if n < 30:
        return f"{n}d"
    if n < 365:
        return f"{n / 30:.1f}mo".replace(".0mo", "mo")
    return f"{n / 365:.1f}y".replace(".0y", "y")


def _header(session: StudySession, title: str) -> RenderableType:
    from rich.progress_bar import ProgressBar
    from rich.table import Table

    left = session.remaining()
    done = session.position
    total = session.total
    grid = Table.grid(expand=True, padding=(0, 0, 0, 2))
    grid.add_column(ratio=1, no_wrap=True, overflow="ellipsis")
    grid.add_column(justify="right")
    grid.add_row(
        f"[bold]dlcards study[/bold] · {title}",
        f"card {min(done + 1, total)} of {total}   "
        f"[blue]new {left['new']}[/blue] · [green]due {left['due']}[/green] · "
        f"[red]again {left['redrill']}[/red]",
    )
    bar = ProgressBar(total=max(total, 1), completed=done, width=None)
    outer = Table.grid(expand=True)
    outer.add_row(grid)
    outer.add_row(bar)
    return outer


def _grade_bar(preview: dict[Grade, int] | None) -> RenderableType:
    """Each grade key with its meaning and the interval it would give (as Anki labels buttons)."""
    from rich.table import Table

    from dlcards.sm2 import SHORT_LABELS, Grade

    table = Table.grid(padding=(0, 3))
    names, whens = [], []
    for g in Grade:
        color = "red" if g < Grade.HARD else "yellow" if g == Grade.HARD else "green"
        names.append(f"[bold {color}]{int(g)}[/] {SHORT_LABELS[g]}")
        again = " ↺" if g < Grade.GOOD else ""
        if preview is None:
            whens.append("[dim]↺[/dim]" if again else "[dim]done[/dim]")
        else:
            whens.append(f"[dim]{_days(preview[g])}{again}[/dim]")
        table.add_column()
    table.add_row(*names)
    table.add_row(*whens)
    return table


def _summary(session: StudySession, elapsed: float, next_due: object) -> RenderableType:
    from rich.panel import Panel
    from rich.table import Table

    from dlcards.sm2 import SHORT_LABELS, Grade

    s = session.summary
    table = Table.grid(padding=(0, 2))
    table.add_column(style="bold")
    table.add_column()
    table.add_row("cards", str(len(s.cards)))
    table.add_row(
        "grades",
        str(s.reviews)
        + (
            "   "
            + "  ".join(f"{g}·{SHORT_LABELS[Grade(g)]}: {n}" for g, n in sorted(s.grades.items()))
            if s.grades
            else ""
        ),
    )
    table.add_row("re-drills", str(s.redrills))
    minutes, seconds = divmod(int(elapsed), 60)
    table.add_row("time", f"{minutes}m {seconds:02d}s")
    table.add_row(
        "retention",
        f"{s.retention:.0%} of first answers correct" if s.retention is not None else "–",
    )
    table.add_row("next due", str(next_due) if next_due else "nothing scheduled")
    return Panel(table, title="[bold]Session summary[/bold]", title_align="left", expand=False)


# --- the session loop -----------------------------------------------------------------------------


def _run(
    session: StudySession,
    catalog: Catalog,
    console: Console,
    keys: KeyInput | LineInput,
) -> None:
    from dlcards.sm2 import Grade
    from dlcards.view import card_panel, math_extras

    titles = catalog.topic_titles()
    message = ""
    while not session.done:
        item = session.current
        assert item is not None
        card = catalog.card(item.card_id)  # loads only the decks of the cards shown
        title = titles[card.topic]
        kind_label = {"due": "review", "new": "new card", "redrill": "again (re-drill)"}[item.kind]

        def draw(
            reveal: bool,
            extra: list[RenderableType],
            card: Card = card,
            title: str = title,
            kind_label: str = kind_label,
        ) -> None:
            if keys.interactive:
                console.clear()
                console.print(_header(session, title))
            else:
                left = session.remaining()
                console.print(
                    f"\n[bold]card {session.position + 1} of {session.total}[/bold] · {title} · "
                    f"new {left['new']} · due {left['due']} · again {left['redrill']}"
                )
            console.print(card_panel(card, title, reveal, subtitle=kind_label, extra=extra))

        draw(False, [])
        if message and keys.interactive:
            console.print(f"[dim]{message}[/dim]")
        message = ""
        console.print(f"[dim]{KEYS_HELP}[/dim]")
        started = time.monotonic()
        grades = {str(g) for g in range(6)}
        key = keys.next({"reveal", "s", "u", "q"} | grades)
        if key == "reveal":
            if keys.interactive:
                draw(True, math_extras(card))
            else:
                console.print(
                    card_panel(card, title, True, subtitle=kind_label, extra=math_extras(card))
                )
            console.print(_grade_bar(session.preview()))
            console.print(
                r"[dim]grade 0-5 · \[u] undo · \[s] skip · \[q] quit"
                " · ↺ comes back this session[/dim]"
            )
            key = keys.next({"s", "u", "q"} | grades)
        if key == "q":
            raise Quit("q")
        if key == "s":
            session.skip()
            message = f"skipped {card.id}"
            continue
        if key == "u":
            undone = session.undo()
            message = (
                f"undid grade {undone.grade} on {undone.card_id}" if undone else "nothing to undo"
            )
            if not keys.interactive:
                console.print(f"[yellow]{message}[/yellow]")
            continue
        grade = Grade(int(key))
        row = session.grade(grade, round(time.monotonic() - started, 1))
        if row.kind == "scheduled":
            message = f"{card.id}: {grade} → next in {_days(session.interval(row))}"
        else:
            message = f"{card.id}: re-drill graded {int(grade)}"
        if not keys.interactive:
            console.print(f"[dim]saved: {message}[/dim]")


def study(
    topic: list[str] | None = TopicOption,
    tag: str | None = TagOption,
    new: int | None = typer.Option(
        None,
        "--new",
        min=0,
        max=NEW_PER_DAY_MAX,
        metavar="N",
        help="New cards allowed today (default: the new_per_day setting, 20; counted across "
        "sessions).",
    ),
    reviews: int | None = typer.Option(
        None,
        "--reviews",
        min=0,
        max=REVIEWS_MAX,
        metavar="N",
        help=f"At most N due reviews in this session (0 to {REVIEWS_MAX}).",
    ),
    decks: list[str] | None = DecksOption,
    db: str | None = DbOption,
    today: str | None = TodayOption,
) -> None:
    """Study today's cards: due reviews, then new cards, then re-drills of misses."""
    from dlcards.catalog import load_catalog
    from dlcards.commands.common import opened_store, schedule_of, sync_if_needed
    from dlcards.console import out
    from dlcards.session import Limits, StudySession

    day = today_from(today)
    console = out()
    with opened_store(db) as store:
        catalog = sync_if_needed(store, decks or ()) or load_catalog(decks or ())
        topics = list(topic or ())
        catalog.check_topics(topics)
        allowed = [c.id for c in catalog.select(topics, tag)] if tag else None
        settings = store.settings()
        schedule = schedule_of(store)
        by = schedule.name
        new_limit = new if new is not None else settings.new_per_day
        session = StudySession(
            store, schedule, allowed, day, clock, Limits(new_limit, reviews), topics
        )
        if session.done:
            nxt = store.next_due(day, by)
            console.print(
                "Nothing to study today"
                + (f"; the next review is due on {nxt}." if nxt else ".")
                + (
                    " New cards for today are used up (raise with --new)."
                    if store.new_ids(by, topics, 1)
                    else ""
                )
            )
            return
        keys: KeyInput | LineInput = (
            KeyInput() if sys.stdin.isatty() and sys.stdout.isatty() else LineInput(console)
        )
        started = time.monotonic()
        try:
            ending, code = run_until_stopped(
                lambda: _run(session, catalog, console, keys), "Session complete."
            )
        finally:
            session.finish()
        saved = session.summary.reviews
        if keys.interactive:
            console.clear()
        still_due = bool(store.due_ids(day, by, topics))
        next_due = day if still_due else store.next_due(day, by)
        console.print(_summary(session, time.monotonic() - started, next_due))
        console.print(f"{ending} {saved} grade{'s' if saved != 1 else ''} saved.")
    if code:
        raise typer.Exit(code)
