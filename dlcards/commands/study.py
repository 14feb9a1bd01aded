"""`dlcards study`: the daily session.

In a terminal, single keys: Space/Enter reveals, 0-5 grades (once the answer shows), u undoes,
s skips, ! suspends the card, e edits it in $EDITOR, q quits.
When standard input is not a terminal the same session runs on a line protocol (an empty line
reveals, `0`-`5` grades, `u`, `s`, `!`, `e`, `q`), so sessions can be scripted and tested.
"""

from __future__ import annotations

import sys
import time
from contextlib import nullcontext
from functools import partial
from typing import TYPE_CHECKING

from dlcards.commands.common import (
    FULL_DISK_PATIENCE_S,
    clock,
    end_saved,
    today_from,
    until_saved,
)
from dlcards.terminal import (
    KeyInput,
    LineInput,
    Quit,
    pastes_marked,
    resizes_noted,
    run_until_stopped,
)

if TYPE_CHECKING:
    from collections.abc import Callable, Collection, Sequence
    from datetime import date

    from rich.console import Console, RenderableType

    from dlcards.catalog import Catalog
    from dlcards.deck import Card
    from dlcards.session import Item, Limits, StudySession, Suspended
    from dlcards.sm2 import Grade
    from dlcards.store import Store

# --- screen -------------------------------------------------------------------------------------


def _days(n: int) -> str:
    """An interval of `n` days as Anki labels its answer buttons (rslib timespan.rs): days
    below a month (365/12 days, so 30 days is `30d`), then months, then years (365 days), to
    one decimal rounded half up, `.0` left out. Months of 30 days said `12.1mo` of 364 days,
    under a year."""
    if n < 365 / 12:
        return f"{n}d"
    amount, unit = (n / (365 / 12), "mo") if n < 365 else (n / 365, "y")
    tenths = int(amount * 10 + 0.5)
    return f"{tenths // 10}{unit}" if tenths % 10 == 0 else f"{tenths / 10:.1f}{unit}"


def _header(session: StudySession, title: str, width: int, bar: bool = True) -> RenderableType:
    """`dlcards study · Topic` on the left, the counts on the right, a progress bar below.

    When both do not fit on one line the prefix goes first, then the counts get a line of
    their own, so the topic stays readable at any width. `bar=False` (a short terminal) leaves
    the progress bar out."""
    from rich.cells import cell_len
    from rich.console import Group
    from rich.table import Table
    from rich.text import Text

    from dlcards.console import as_shown, counted

    title = as_shown(title)  # measured as the terminal shows it, in cells (日本 is four)

    left = session.remaining()
    done, total = session.position, session.total
    counts = Text.assemble(
        (f"new {counted(left['new'])}", "blue"),
        " · ",
        (f"due {counted(left['due'])}", "green"),
        " · ",
        (f"again {counted(left['redrill'])}", "red"),
    )
    full = Text.assemble(("dlcards study", "bold"), f" · {title}")
    at = f"card {counted(min(done + 1, total))} of {counted(total)}"
    filled = width * min(done, total) // max(total, 1)
    progress = Text.assemble(("━" * filled, "blue"), ("─" * (width - filled), "dim"))
    below = [progress] if bar else []
    rows: list[tuple[Text, Text]]
    if full.cell_len + 2 + len(at) + 3 + counts.cell_len <= width:
        rows = [(full, Text(at + "   ") + counts)]
    elif (
        cell_len(title)
        + 2
        + len(short := f"{counted(min(done + 1, total))}/{counted(total)} · ")
        + counts.cell_len
        <= width
    ):
        rows = [(Text(title, style="bold"), Text(short) + counts)]
    else:
        from dlcards.view import shorten

        # the position and the counts under the title: on one line when they fit, else on as
        # many as they need, each count whole (cut, `due 20` read `due 2…`)
        parts = [Text(at), *counts.split(" · ")]
        lines = [parts[0]]
        for part in parts[1:]:
            if lines[-1].cell_len + 3 + part.cell_len <= width:
                lines[-1] = lines[-1] + " · " + part
            else:
                lines.append(part)
        for line in lines:
            line.no_wrap, line.overflow = True, "ellipsis"
        return Group(
            Text(shorten(title, width) or title, style="bold", no_wrap=True, overflow="ellipsis"),
            *lines,
            *below,
        )
    grid = Table.grid(expand=True, padding=(0, 0, 0, 2))
    grid.add_column(ratio=1, no_wrap=True, overflow="ellipsis")
    grid.add_column(justify="right", no_wrap=True)
    for row in rows:
        grid.add_row(*row)
    return Group(grid, *below)


def grade_legend(
    preview: dict[Grade, int] | None, width: int, suspending: Collection[Grade] = ()
) -> RenderableType:
    """Each grade key with its meaning and the interval it would give (as Anki labels buttons),
    in aligned columns: six across when they fit, else two rows of three, else three of two.
    A grade below 4 brings the card back today (↺), unless it makes the card a leech that is
    suspended (`suspending`): then `leech`."""
    from rich.console import Group
    from rich.text import Text

    from dlcards.sm2 import SHORT_LABELS, Grade

    cells: list[tuple[Text, Text]] = []
    for g in Grade:
        color = "red" if g < Grade.HARD else "yellow" if g == Grade.HARD else "green"
        name = Text.assemble((str(int(g)), f"bold {color}"), f" {SHORT_LABELS[g]}")
        again = " leech" if g in suspending else " ↺" if g < Grade.GOOD else ""
        if preview is None:
            when = Text("↺" if again else "done", style="dim")
        else:
            when = Text(f"{_days(preview[g])}{again}", style="dim")
        cells.append((name, when))
    from dlcards.console import in_encoding, out

    # measured as the terminal shows them: "↺" is "(again)" where it cannot be shown
    cells = [(in_encoding(a, out().encoding), in_encoding(b, out().encoding)) for a, b in cells]

    def layout(per_row: int, gap: int) -> list[Text] | None:
        widths = [
            max(max(cells[i][0].cell_len, cells[i][1].cell_len) for i in range(c, 6, per_row))
            for c in range(per_row)
        ]
        if sum(widths) + gap * (per_row - 1) > width:
            return None
        lines = []
        for start in range(0, 6, per_row):
            for part in (0, 1):
                line = Text()
                for c, i in enumerate(range(start, min(start + per_row, 6))):
                    cell = cells[i][part]
                    line += cell
                    if c < per_row - 1 and i < 5:
                        line += " " * (widths[c] - cell.cell_len + gap)
                lines.append(line)
        return lines

    for per_row, gap in ((6, 3), (6, 2), (3, 2), (2, 2), (1, 1)):
        lines = layout(per_row, gap)
        if lines is not None:
            return Group(*lines)
    return Group(*(Text.assemble(name, " ", when) for name, when in cells))


def key_hints(keys: KeyInput | LineInput, revealed: bool, width: int, legend: bool = True) -> str:
    """The keys that work now, in words that fit the terminal and the input mode; `legend`:
    whether the grade legend is shown above them (else they name the grade keys). In a
    terminal, the longest wording that fits on one line: a hint that wraps takes a row from
    the card (at 40x10 the answer was then out of view). Where no line holds every key (below
    61 columns with the answer shown, 60 on the question) the hint is two lines, never a key
    left out down to 40 columns: the first is the shorter wording of before, which a tiny
    terminal keeps alone (`pager`), the second the card's own keys (! and e)."""
    if not keys.interactive:  # each within 80 columns, a pipe's width
        if revealed:
            return _once(
                "grade 0-5 · u undo · s skip · ! suspend · e edit · q quit · ↺ again today"
            )
        return "empty line: show answer · 0-5 · s skip · u undo · ! suspend · e edit · q quit"
    wordings: list[str]
    if revealed:  # the card's own keys (! and e) named first, where they fit
        wordings = [
            r"grade 0-5 · \[u] undo · \[s] skip · \[!] suspend · \[e] edit · \[q] quit · "
            "↺ comes back this session",
            "grade 0-5 · u undo · s skip · ! suspend · e edit · q quit · ↺ again today",
        ]
        if legend:  # the grade keys are named just above, the ↺ on them keeps its words
            wordings += [
                "u undo · s skip · ! suspend · e edit · q quit · ↺ again today",
                "u undo · s skip · ! suspend · e edit · q quit · ↺ comes back",  # 60 columns
                "u undo · s skip · q quit · ↺ again today\n! suspend · e edit",
                "u undo · s skip · q quit\n! suspend · e edit · ↺ again today",
                "u undo · s skip · q quit\n! suspend · e edit",
                "u undo · s skip · q quit",
            ]
        else:  # no legend: the grade keys come first
            wordings += [
                "grade 0-5 · u undo · s skip · ! suspend · e edit · q quit",
                "grade 0-5 · u undo · s skip · q quit\n! suspend · e edit",
                "grade 0-5 · u undo · q quit\ns skip · ! suspend · e edit",
                "grade 0-5 · u undo · s skip · q quit",
                "grade 0-5 · u undo · q quit",
                "grade 0-5 · q quit",
                "0-5 · q",
            ]
    else:
        wordings = [
            r"\[Space] show answer   \[s] skip   \[u] undo   \[!] suspend   \[e] edit   \[q] quit",
            "Space answer · s skip · u undo · ! suspend · e edit · q quit",
            "Space answer · s skip · u undo · q quit\n! suspend · e edit",
            "Space answer · s skip · q quit\nu undo · ! suspend · e edit",
            "Space answer · s skip · u undo · q quit",
            "Space answer · s skip · q quit",
            "Space answer · q quit",
            "Space · q quit",
            "Space · q",
        ]
    from rich.cells import cell_len

    from dlcards.console import as_shown

    wordings = [_once(w) for w in wordings]

    def fits(wording: str) -> bool:  # as the terminal shows it ("↺" may be "(again)")
        lines = as_shown(wording.replace("\\[", "[")).split("\n")
        return all(cell_len(line) <= width for line in lines)

    return next((w for w in wordings if fits(w)), wordings[-1])


def _once(hint: str) -> str:
    """`hint` with `↺ again today` as `↺ comes back` where the terminal spells ↺ `(again)`:
    `(again) again today` said it twice."""
    from dlcards.console import as_shown

    return hint.replace("↺ again today", "↺ comes back") if as_shown("↺") != "↺" else hint


def leech_notice(card_id: str, lapses: int, action: str, grade: object = None) -> str:
    """What the study screen says when a grade makes a card a leech; with the `grade` that
    made it one suspended, the grade's own line too (`gd-1: 0 → a leech (2 lapses), now
    suspended: …`, not `next in 1d`, a date it has in no queue)."""
    from dlcards.console import plural

    if action == "suspend":
        advice = (
            f"rewrite or split it (`dlcards edit {card_id}`), then `dlcards unleech {card_id}` "
            f"and `dlcards unsuspend {card_id}`"
        )
        if grade is not None:
            return (
                f"{card_id}: {grade} → a leech ({plural(lapses, 'lapse')}), now suspended: {advice}"
            )
        return f"{card_id} is a leech ({plural(lapses, 'lapse')}) and is now suspended: {advice}"
    return (
        f"{card_id} is a leech ({plural(lapses, 'lapse')}), tagged as one "
        f"(`dlcards list --leeches`): consider rewriting it (`dlcards edit {card_id}`), then "
        f"`dlcards unleech {card_id}`"
    )


# --- the session loop -----------------------------------------------------------------------------


def _kind_label(session: StudySession, item: Item) -> str:
    """What the card is in this session: a review, a new card, or a re-drill, also when
    another terminal graded it today after this session queued it, or it was reviewed on a
    later day than the session's (`--today` in the past, a clock set back): its grade here is
    then a re-drill, as the grade keys say, and "new card" on it was untrue."""
    if item.kind != "redrill" and session.preview() is None:
        last = session.store.memory(item.card_id).last_review
        if last is not None and last > session.today:  # a day given, or a clock set back
            return f"again (re-drill: reviewed {last.isoformat()}, a later day)"
        return "again (re-drill: graded today in another session)"
    return {"due": "review", "new": "new card", "redrill": "again (re-drill)"}[item.kind]


def _limits_reached(due_out: int, new_out: int, limits: Limits) -> str:
    """The line saying which cards the day's limits took out of the session."""
    from dlcards.console import counted, plural

    parts = [plural(due_out, "due review")] if due_out else []
    parts += [plural(new_out, "new card")] if new_out else []
    cap = "unlimited" if limits.per_day is None else counted(limits.per_day)
    verb = "waits" if due_out + new_out == 1 else "wait"
    return (
        f"today's limits are reached ({plural(limits.new, 'new card')}, review cap {cap}, counted "
        f"across sessions): {' and '.join(parts)} {verb} for another day"
    )


def _run(
    session: StudySession,
    catalog: Catalog,
    console: Console,
    keys: KeyInput | LineInput,
    patience: float | None,
    decks: Sequence[str] = (),
    unsaid: list[str] | None = None,
) -> None:
    """The session's cards, one screen each, until it is done. `unsaid`: filled with the
    lines of cards that left the session after the last card shown (their deck deleted, say),
    which no card's screen said when none came after: the caller says them under the
    summary."""
    from rich.text import Text

    from dlcards.console import counted, echo, escaped
    from dlcards.errors import DeckError, UsageError
    from dlcards.session import Suspended
    from dlcards.sm2 import Grade
    from dlcards.view import card_panel, math_extras

    if unsaid is None:
        unsaid = []
    titles = catalog.topic_titles()
    grades = {str(g) for g in range(6)}
    on_card = {"s", "u", "q", "!", "e"}  # the keys that work on either side of a card
    message = ""
    broken = ""  # the error of deck files saved broken meanwhile, said once
    failed: dict[str, str] = {}  # the deck files' signature that did not load, and why
    # the card ids of the decks the session last looked at: a card a deck gains joins it
    looked_at, ids = catalog, set(catalog.ids())
    looked = True  # whether the last look took the deck files (not mid-save)

    def take_decks_now(on_screen: bool = False) -> tuple[Catalog, Catalog, str]:
        """The session's look at the decks (before each card, and while a card waits for a
        key): `catalog` as they are now, and what the screen says of it: a deck saved with
        an error (once), the cards they gained that join the session. Deck files mid-save
        are not waited for: the session goes on with the decks as they were, and its next
        look takes them once they have been left alone (`catalog.DECKS_GONE_S`). Returns
        the decks before the look and after it, and the lines. `on_screen`: the current card
        is shown, waiting for its key: the cards that join come after it."""
        nonlocal catalog, broken, looked_at, ids, titles, looked
        before = catalog
        catalog, said, looked = _decks_now(session, catalog, decks, console, patience, failed)
        if not looked:
            return before, catalog, ""
        lines = said if said and said != broken else ""
        broken = said
        if catalog is not looked_at:  # synced: the cards added meanwhile join, as in Anki
            gained = [c for c in catalog.ids() if c not in ids]
            looked_at, ids = catalog, set(catalog.ids())
            said = _joined(session, *session.take_in(gained, on_screen)) if gained else ""
            lines = _also(lines, said) if said else lines
        titles = catalog.topic_titles()
        return before, catalog, lines

    # the last card graded: a limit raised meanwhile may let more in (`refilled`)
    while not session.done or session.refilled():
        if session.rolled_over():  # a new study day: its cards come in a new session
            return
        # the decks as they are now: a deck saved in another terminal (`dlcards edit`, an
        # editor) shows its new text from the next card, and a card it took out leaves
        said = take_decks_now()[2]
        if said:
            message = _also(message, said)
            if not keys.interactive:
                echo(escaped(said), "yellow", console=console)
        # the day's limits as they are now: changed by `dlcards config`, or reached by grades
        # in another terminal, they hold from the next card
        due_out, new_out, limits = session.keep_to_limits()
        if due_out or new_out:
            if session.done:  # said under the summary
                session.ended_by_limits = (due_out, new_out, limits)
                return
            said = _limits_reached(due_out, new_out, limits)
            message = _also(message, said)
            if not keys.interactive:  # else on the next card's screen
                echo(escaped(said), "yellow", console=console)
        if not session.store.checking:  # the background check's verdict, between cards
            session.store.guard_writes()
        item = session.current
        assert item is not None
        if catalog.topic_of(item.card_id) is None:  # an edit here took it out of its deck
            # with every other card to come that no deck has now, in one line (a deck deleted
            # said a line for each of its cards, all on the next card's screen)
            to_come = session.queue[session.position :]
            said = _in_no_deck(
                session.leave({i.card_id for i in to_come if not catalog.topic_of(i.card_id)})
            )
            message = _also(message, said)
            unsaid.append(said)
            if not keys.interactive:
                echo(escaped(said), "yellow", console=console)
            continue
        # suspended since the session began (`dlcards suspend` in another terminal, an Anki
        # import of the phone's suspension), or retired by a sync there: as the database says
        # now, as Anki's queues leave out a card suspended meanwhile
        gone = session.store.out_of_study(item.card_id)
        if gone is not None:
            session.leave({item.card_id})
            why = "suspended meanwhile" if gone == "suspended" else "in no deck now"
            said = f"{item.card_id} is {why}: it leaves the session"
            message = _also(message, said)
            unsaid.append(said)
            if not keys.interactive:
                echo(escaped(said), "yellow", console=console)
            continue
        try:
            card = catalog.card(item.card_id)  # loads only the decks of the cards shown
        except (DeckError, UsageError) as err:  # its deck file saved without it, or broken
            # since the look above (which found the files mid-save, or the session's
            # catalog had not read that deck yet): the deck is read once it has settled
            if not looked:
                time.sleep(0.1)  # mid-save: looked at again (before the card) in a moment
                continue
            session.leave({item.card_id})
            said = f"{item.card_id} cannot be shown ({err}): it leaves the session"
            message = _also(message, said)
            unsaid.append(said)
            if not keys.interactive:
                echo(escaped(said), "yellow", console=console)
            continue
        title = titles[card.topic]
        kind_label = _kind_label(session, item)
        started = time.monotonic()
        unsaid.clear()  # said on this card's screen

        seen: list[str | None] = [None]  # the deck files' signature at the answer's look
        shown = [card]  # the card as on screen (redrawn when its deck changes meanwhile)

        def unchanged(
            grading: bool = False, shown: list[Card] = shown, seen: list[str | None] = seen
        ) -> bool:
            """Whether the card shown is still as its deck has it, asked when its answer is
            (a deck saved in another terminal while the question was read changes what the
            answer would show; the session goes on with the synced decks), and when it is
            graded (`grading`): then only if a deck file changed since the answer's look, so
            that a grade is given without reading the database first (a file damaged
            meanwhile refuses it, and the grade is kept: `Store.giving`). Deck files
            mid-save are the decks as they were: the card as shown."""
            nonlocal catalog, looked
            files = _deck_signature(decks)
            if grading and files is not None and files == seen[0]:
                return True
            now, _, looked = _decks_now(session, catalog, decks, console, patience, failed)
            if looked:
                seen[0] = files
            if now is catalog:
                return True
            catalog = now
            return now.topic_of(shown[0].id) is not None and _same_face(
                now.card(shown[0].id), shown[0]
            )

        ticked: list[str | None] = [None]  # the deck files' signature at the last idle look

        def refresh(
            on_screen: Card, shown: list[Card] = shown, ticked: list[str | None] = ticked
        ) -> tuple[Card | None, str] | None:
            """While the card waits for a key (every `terminal.IDLE_LOOK_S`): when a deck
            file changed, the decks as they are now, and what the screen shows for it. None
            when nothing changed (or the files are mid-save: looked at again next time);
            the card as it is now (its new text, when its deck changed it: shown at once,
            as Anki's reviewer redraws a card whose note was edited) with a line to say;
            None for the card when no deck has it now (it leaves the session)."""
            files = _deck_signature(decks)
            if files is None or files == ticked[0]:
                return None
            was = broken
            before, after, lines = take_decks_now(on_screen=True)
            if not looked:
                return None
            ticked[0] = files
            if was and not broken:  # the error on screen is no longer so
                fixed = "the decks load again: the session goes on with them"
                lines = _also(fixed, lines) if lines else fixed
            if after is before:
                return (on_screen, lines) if lines else None
            if after.topic_of(on_screen.id) is None:
                return None, lines
            try:
                now = after.card(on_screen.id)
            except (DeckError, UsageError):  # its deck saved again meanwhile: next time
                ticked[0] = None
                return None
            if _same_face(now, on_screen):
                return (on_screen, lines) if lines else None
            shown[0] = now
            said = f"{now.id} was changed in its deck: here it is as it is now"
            return now, _also(said, lines) if lines else said

        if keys.interactive:
            key = card_screen(
                session, card, title, kind_label, message, console, keys, unchanged, refresh
            )
            card = shown[0]
        else:
            left = session.remaining()
            console.print(  # the title as it is: a `[draft]` in it is no markup
                Text.assemble(
                    "\n",
                    (f"card {counted(session.position + 1)} of {counted(session.total)}", "bold"),
                    f" · {title} · new {counted(left['new'])} · due {counted(left['due'])} · "
                    f"again {counted(left['redrill'])}",
                )
            )
            console.print(card_panel(card, title, False, subtitle=kind_label))
            console.print(key_hints(keys, False, console.width), style="dim")
            key = keys.next({"reveal"} | on_card | grades)
            if key == "reveal" and not unchanged(False):
                key = "changed"
            if key == "reveal":
                extra = math_extras(card)
                console.print(card_panel(card, title, True, subtitle=kind_label, extra=extra))
                preview = session.preview()
                console.print(grade_legend(preview, console.width, session.suspending))
                console.print(key_hints(keys, True, console.width), style="dim")
                key = keys.next(on_card | grades)
                if key in grades and not unchanged(True):
                    key = "changed on the answer"
        message = ""
        if key.startswith("changed"):  # shown again from its question as it is now, or it leaves
            titles = catalog.topic_titles()
            if catalog.topic_of(card.id) is not None:
                message = f"{card.id} was changed in its deck meanwhile: here it is as it is now"
                if key == "changed on the answer":  # the grade was for text no longer there
                    message = (
                        f"{card.id} was changed in its deck while its answer was shown: not "
                        "graded; here it is as it is now"
                    )
                if not keys.interactive:
                    echo(escaped(message), "yellow", console=console)
            continue
        if key == "q":
            raise Quit("q")
        if key == "s":
            session.skip()
            message = f"skipped {card.id}"
            continue
        if key == "!":
            suspended = until_saved(
                console,
                session.suspend,
                f"the suspension of {card.id} will be saved",
                f"{card.id} was not suspended",
                patience,
                session.store,
            )
            if suspended.changed:
                message = (
                    f"{card.id} suspended: u brings it back now, `dlcards unsuspend {card.id}` "
                    "later"
                )
            else:
                message = (
                    f"{card.id} was suspended already (in another terminal): it leaves the session"
                )
            if not keys.interactive:
                echo(escaped(message), "yellow", console=console)
            continue
        if key == "e":
            message, catalog = _edit(session, card, catalog, decks, console, keys, patience)
            titles = catalog.topic_titles()
            if not keys.interactive:
                echo(escaped(message), "yellow", console=console)
            continue
        if key == "u":
            undone = until_saved(
                console,
                session.undo,
                "the undo will be done",
                "nothing was undone",
                patience,
                session.store,
            )
            if undone is None:  # `u` takes back this session's own; an older one is undo's
                message = "nothing to undo in this session (`dlcards undo` takes back earlier ones)"
            elif isinstance(undone, Suspended):
                message = _unsuspended(undone)
            elif undone[1]:
                message = f"undid grade {undone[0].grade} on {undone[0].card_id}"
            else:  # undone elsewhere, or a backup restored: not in the log to take back
                message = (
                    f"grade {undone[0].grade} on {undone[0].card_id} is no longer in the log "
                    "(undone in another terminal, or the database restored from a backup): "
                    "nothing deleted"
                )
            if not keys.interactive:
                echo(message, "yellow", console=console)
            continue
        grade = Grade(int(key))
        seconds = round(time.monotonic() - started, 1)
        if session.store.checking:
            console.print("[dim]checking the database before the first save…[/dim]")
        shown_with = session.settings  # what the intervals on the keys were computed with
        row = until_saved(
            console,
            partial(session.grade, grade, seconds),
            f"grade {int(grade)} on {card.id} is kept and will be saved",
            f"grade {int(grade)} on {card.id} was not saved",
            patience,
            session.store,
        )
        if row.leech == "suspend":  # out of every queue: "next in 1d" said it comes back
            message = f"{card.id}: {grade} → suspended, a leech"
        elif row.kind == "scheduled":
            message = f"{card.id}: {grade} → next in {_days(session.interval(row))}"
            if session.settings != shown_with:  # `config` in another terminal meanwhile
                message += f" (settings changed in another terminal: {session.schedule.name})"
        else:
            message = f"{card.id}: re-drill graded {int(grade)}"
        if _redrill_queued(session):  # "next in 1d" alone read as "see you tomorrow"
            message += ", again this session"
        if not keys.interactive:
            echo(f"saved: {message}", "dim", console=console)
        if row.leech is not None:
            notice = leech_notice(card.id, row.after.sm2.lapses, row.leech)
            echo(notice, "bold yellow", console=console)
            if keys.interactive and row.leech == "suspend":  # one sentence: grade, then why
                message = leech_notice(card.id, row.after.sm2.lapses, row.leech, grade)
            elif keys.interactive:  # the grade's own line too: the notice does not say it
                message = _also(message, notice)


def _redrill_queued(session: StudySession) -> bool:
    """Whether the grade just given sent its card to the end of this session (a grade below
    4: SM-2's same-day re-drill), as the legend's ↺ says; not a leech the grade suspended."""
    from dlcards.session import Graded

    last = session.actions[-1] if session.actions else None
    return isinstance(last, Graded) and last.queued


def _decks_now(
    session: StudySession,
    catalog: Catalog,
    decks: Sequence[str],
    console: Console,
    patience: float | None,
    failed: dict[str, str],
) -> tuple[Catalog, str, bool]:
    """The decks the session goes on with: synced into the store when a deck file changed
    since (a card edited or taken out in another terminal; the same check every command runs
    first: the files' signature), else `catalog` as it is; and a line when the files changed
    do not load (a deck saved with an error, a deck folder moved away: the session goes on
    with the decks as they were, as `e` does when an edit is given up on). `failed` keeps the
    signature of files that did not load and the line: while they stay as they are, they are
    not parsed again before every card (a broken deck of 2,000 cards: ~0.15 s a card). And
    whether the deck files were taken: False when they were found mid-save (missing, not
    loading, or without cards, and changed less than `catalog.DECKS_GONE_S` before): the
    session is not kept waiting for the save, it goes on with `catalog` and looks again
    later; no card leaves it and none is retired for a file that blinked."""
    from dlcards.catalog import Unsettled
    from dlcards.commands.common import sync_if_needed
    from dlcards.errors import DeckError, UsageError

    def signature() -> str | None:
        return _deck_signature(decks)

    if failed and failed.get("at") == signature():
        return catalog, failed["said"], True
    failed.clear()
    try:
        synced = until_saved(
            console,
            partial(sync_if_needed, session.store, decks, wait=False),
            "the decks changed on disk will be synced",
            "the decks changed on disk were not synced",
            patience,
            session.store,
        )
    except Unsettled:  # mid-save: the decks as they were, for now
        return catalog, "", False
    except (DeckError, UsageError) as err:  # a deck saved broken, a deck folder moved
        said = f"{err}; the session goes on with the decks as they were"
        at = signature()
        if at is not None:
            failed.update(at=at, said=said)
        return catalog, said, True
    return (catalog, "", True) if synced is None else (synced, "", True)


def _deck_signature(decks: Sequence[str]) -> str | None:
    """The deck files' signature (`catalog.files_signature`: a stat of each), None when they
    cannot be listed; no database is read."""
    from dlcards.catalog import deck_files, files_signature
    from dlcards.errors import DeckError, UsageError

    try:
        return files_signature(deck_files(decks))
    except (DeckError, UsageError, OSError):
        return None


def _same_face(now: Card, shown: Card) -> bool:
    """Whether a card reads as it was shown: its place in its file aside (a card added above
    it moves it, and changes nothing it shows)."""
    return now._replace(file="", line=0) == shown._replace(file="", line=0)


def _unsuspended(undone: Suspended) -> str:
    """What `u` says when it takes back a suspension."""
    cid = undone.item.card_id
    if undone.changed:
        return f"{cid} unsuspended: back in the session"
    return f"{cid} back in the session (still suspended: another terminal suspended it)"


def _edit(
    session: StudySession,
    card: Card,
    catalog: Catalog,
    decks: Sequence[str],
    console: Console,
    keys: KeyInput | LineInput,
    patience: float | None,
) -> tuple[str, Catalog]:
    """`e`: the card on screen edited in $EDITOR as `dlcards edit ID` does it (a built-in deck
    refused, the decks checked after, an error reopened). Returns the line to show and the
    decks the session goes on with: as saved, synced into the store, when the edit is saved;
    as they were when the editor failed or the deck was left with an error. The card keeps its
    place and its schedule (progress is keyed by id); cards no deck has any more leave."""
    import subprocess

    from dlcards.commands.common import sync_if_needed
    from dlcards.commands.edit import edit_card
    from dlcards.errors import DeckError, DlcardsError

    if keys.interactive:
        console.clear()  # the edit's own lines (an error, "open again?") on a clean screen
    try:
        # a script's standard input is the session's: the editor must not read it
        done = edit_card(card.id, decks, None if keys.interactive else subprocess.DEVNULL)
    except DeckError as err:
        return f"{err}; the session goes on with {card.id} as it was", catalog
    except DlcardsError as err:
        return f"{card.id} not edited: {err}", catalog
    synced = until_saved(
        console,
        partial(sync_if_needed, session.store, decks),
        "the edited decks will be synced",
        "the edit is saved in the deck but not yet in the database",
        patience,
        session.store,
    )
    catalog = synced or done.after
    gone = {i.card_id for i in session.queue[session.position :]}
    gone = {cid for cid in gone if catalog.topic_of(cid) is None}
    left = session.leave(gone)
    if done.card is None and done.renamed is not None:
        return (
            f"{card.id} is now {done.renamed}: it leaves the session, a new card, and "
            f"{card.id}'s progress stays under {card.id} (change the id back to keep it)"
        ), catalog
    if done.card is None:
        return f"{card.id} is in no deck now: it leaves the session (its progress is kept)", catalog
    others = [cid for cid in left if cid != card.id]
    also = f"; {', '.join(others)} left the session (in no deck now)" if others else ""
    if not done.changed:
        return f"{card.id} unchanged: the editor saved no change to it{also}", catalog
    return f"{card.id} edited (its schedule is kept){also}", catalog


def card_screen(
    session: StudySession,
    card: Card,
    title: str,
    kind_label: str,
    message: str,
    console: Console,
    keys: KeyInput | LineInput,
    unchanged: Callable[[bool], bool] | None = None,
    refresh: Callable[[Card], tuple[Card | None, str] | None] | None = None,
) -> str:
    """One card in a real terminal: the question, then the answer once revealed, scrolled
    with j/k when the card is taller than the terminal. Returns the key that ends the card:
    a grade, s, u, !, e or q; or "changed" when the answer is asked for and `unchanged` says
    the card is no longer as shown (its deck saved meanwhile), "changed on the answer" when
    a grade is given and it says so (the grade would be of text no longer the card's).
    `refresh(card)`: asked while a key is awaited, every `terminal.IDLE_LOOK_S` (no CPU spent
    between), what to show now that the decks may have changed (see `_run`): a card given
    is drawn at once, on the side it is on, with the line given; no card (no deck has it
    now) ends the screen as "changed"."""
    from rich.text import Text

    from dlcards.pager import paint
    from dlcards.view import COMPACT_BELOW, Block, card_panel, compact_screen, math_extras

    grades = {str(g) for g in range(6)}
    revealed, offset = False, 0
    extra: list[Block] = []
    note = ""  # what a look while the card waited found (said on either side)
    redrawn = False  # the card drawn anew with its deck's new text
    while True:
        width = console.width
        compact = compact_screen(console)
        body = card_panel(card, title, revealed, kind_label, extra, compact=compact)
        bottom: list[RenderableType] = []
        if message and not revealed:
            bottom.append(Text(message, style="dim"))
        if note:
            bottom.append(Text(note, style="yellow"))
        if revealed:
            preview = session.preview()
            bottom.append(grade_legend(preview, width, session.suspending))
        bottom.append(Text.from_markup(key_hints(keys, revealed, width), style="dim"))
        pinned = 0
        if revealed:  # the question's lines: they stay in view while the answer scrolls
            question = card_panel(card, title, False, kind_label, compact=compact)
            pinned = len(console.render_lines(question, console.options, pad=False)) - 1
        top = [_header(session, title, width, bar=console.height >= COMPACT_BELOW)]
        # the hints alone when a tiny terminal has no room for the legend: they name the grades
        alone = Text.from_markup(key_hints(keys, revealed, width, legend=False), style="dim")
        # revealed, the question and the answer's first two lines (after the blank between
        # them) in view without `j`: in a short terminal the header and the legend give way
        below = pinned + 3 if revealed else 0
        if redrawn:  # keys typed before the card's new text is drawn are not for it
            keys.drop_typed()
            redrawn = False
        offset, most, page = paint(console, top, body, bottom, offset, pinned, alone, below)
        # a grade only once the answer is on screen: a key pressed twice (or typed ahead)
        # must not grade the next card unseen; on the question a digit gets the keys' hint
        allowed = {"s", "u", "q", "!", "e"} | (grades if revealed else {"reveal"})
        allowed |= ({"j", "k"} if most else set()) | {"redraw"}
        size = console.size
        key = keys.next(allowed | ({"idle"} if refresh is not None else set()))
        while key == "idle" and refresh is not None:
            with keys.held():  # a key typed while the look runs is not echoed over the card
                now = refresh(card)
            if now is not None or console.size != size:  # a resize missed between waits
                break
            key = keys.next(allowed | {"idle"})
        if key == "idle" and now is not None:
            if now[0] is None:  # in no deck now: it leaves (said by the session)
                return "changed"
            if now[0] is not card:
                card, redrawn = now[0], True
                extra = math_extras(card) if revealed else []
            note = now[1]
            message = ""  # the note says what is new: the line of before may be no longer so
            continue
        page = max(1, page - 1)  # a page down keeps one line of the last page in view
        if key == "j":
            offset += page
        elif key == "k":
            offset -= page
        elif key == "reveal":
            if unchanged is not None and not unchanged(False):
                return "changed"
            revealed, offset, extra, note = True, 0, math_extras(card), ""
        elif key in ("redraw", "idle"):  # the terminal changed size: drawn at the new one
            pass
        elif key in grades and unchanged is not None and not unchanged(True):
            return "changed on the answer"  # a grade of text no longer the card's
        else:
            return key


def summary_panel(session: StudySession, next_due: object) -> RenderableType:
    from rich.panel import Panel
    from rich.table import Table

    from dlcards.console import counted, listed
    from dlcards.sm2 import SHORT_LABELS, Grade
    from dlcards.view import Phrases

    s = session.summary
    table = Table.grid(padding=(0, 2))
    table.add_column(style="bold", no_wrap=True)
    table.add_column()
    table.add_row("cards", counted(len(s.cards)))
    # each count as the legend names its grade (`4 good: 1`; it said `4·good`, in ASCII
    # `4*good`), the line broken between counts only
    counts = [f"{g} {SHORT_LABELS[Grade(g)]}: {counted(n)}" for g, n in sorted(s.grades.items())]
    table.add_row("grades", Phrases([f"{counted(s.reviews)} ", *counts], sep="  "))
    table.add_row("re-drills", counted(s.redrills))
    if s.suspended:  # with `!`: out of the session, neither graded nor a re-drill
        ids = listed(s.suspended)
        table.add_row(
            "suspended",
            f"{counted(len(s.suspended))}   {ids} (`dlcards unsuspend ID` brings one back)",
        )
    minutes, seconds = divmod(round(s.seconds), 60)
    # the cap on each answer's time, said where an answer was timed (a session with none
    # said "0m 00s (≤ 1 min per card)")
    capped = " (≤ 1 min per card)" if s.reviews or s.redrills else ""
    table.add_row("time", f"{minutes}m {seconds:02d}s{capped}")
    table.add_row(  # what `stats` calls passed (its retention counts only cards seen before)
        "passed",
        f"{s.retention:.0%} of first answers (grade 3 or more)" if s.retention is not None else "–",
    )
    table.add_row("next due", str(next_due) if next_due else "nothing scheduled")
    return Panel(table, title="[bold]Session summary[/bold]", title_align="left", expand=False)


SEARCH_COMMAND = "dlcards study --search"
"""The command a `--search` query is given to, as a line that gives it again names it."""


def run(
    topic: Sequence[str],
    tag: str | None,
    new: int | None,
    reviews: int | None,
    search: str | None,
    decks: Sequence[str],
    db: str | None,
    today: str | None,
) -> int:
    """`dlcards study` once its options are parsed (by typer, `dlcards.commands.study_cli`, or
    by the fast path, `dlcards.quick`): its exit code."""
    from dlcards.catalog import load_catalog
    from dlcards.commands.common import (
        day_by_clock,
        not_before_the_log,
        opened_store,
        schedule_of,
        sync_if_needed,
    )
    from dlcards.console import counted, echo, escaped, out, plural
    from dlcards.days import given_day
    from dlcards.session import REDRILL_BELOW, Limits, StudySession

    day = today_from(today)
    console = out()
    with opened_store(db, decks=decks) as store:
        day = not_before_the_log(store, day, today, clock())
        catalog = sync_if_needed(store, decks, writes=True) or load_catalog(decks)
        topics = list(topic)
        catalog.check_topics(topics)
        allowed = None
        if tag is not None:  # from the synced cards' tags: no deck is read to choose them
            from dlcards.deck import given_tag

            tag = given_tag(tag)  # given to the quick entry point too (`dlcards.quick`)
            # an empty tag (`--tag "$UNSET"`) is no tag: an error, as in `list`, not all cards
            allowed = store.tagged(tag, topics) if tag.strip() else []
            if not allowed:
                catalog.check_tag(tag)  # an unknown tag is the error; a known one: none here
        settings = store.settings()
        schedule = schedule_of(store)
        by = schedule.name
        store.check_due_dates(by)  # before a card is shown, as `due` and `show` refuse it
        if search is not None:
            from dlcards.commands.common import unknown_names, with_decks
            from dlcards.search import parse_words, shell_quotes_after

            query = with_decks(parse_words([search], SEARCH_COMMAND), decks, catalog, store)
            found = [hit.id for hit in store.search(query, day, by)[0]]
            if not found:  # a topic or tag no deck has is the error `search` gives
                unknown_names(query, decks, catalog)
            if allowed is not None:  # both: the found cards that carry the tag
                tagged = set(allowed)
                found = [c for c in found if c in tagged]
            allowed = found
        new_limit = new if new is not None else settings.new_per_day
        cap = settings.review_cap
        # the day by the clock, asked again before each card; a given day (--today) stays
        day_at = None if today is not None or given_day() else partial(day_by_clock, store)
        limits = Limits(new_limit, reviews, cap, new_setting=new is None, cap_setting=True)
        session = StudySession(store, allowed, day, clock, limits, topics, day_at)
        if session.done:
            if session.beyond_cap:
                echo(
                    f"The daily review cap ({counted(cap or 0)}) is reached: "
                    f"{plural(session.beyond_cap, 'due review')} "
                    f"{'waits' if session.beyond_cap == 1 else 'wait'} for tomorrow, most "
                    "overdue first (raise it with `dlcards config reviews_per_day N`)."
                )
            elif search is not None and not allowed:
                echo(
                    f"No card matches the search '{escaped(search)}'; nothing to study."
                    + shell_quotes_after([search], SEARCH_COMMAND)
                )
            else:
                echo(_nothing_to_study(store, by, day, topics, allowed, tag, new, reviews))
            return 0
        # The checks before the first write (and, once a day, the verified backup) run now, not
        # on the first grade: a damaged database stops here with one line, nothing written.
        if store.daily_check_due():
            console.print("[dim]checking and backing up the database (once a day)…[/dim]")
        interactive = sys.stdin.isatty() and sys.stdout.isatty()
        # a script has no one to free space on a full disk: it waits a little, then stops
        patience = None if interactive else FULL_DISK_PATIENCE_S
        until_saved(
            console,
            store.check_in_background,
            "the session starts then",
            "nothing was written",
            patience,
            store,
            hold_stops=False,  # a `kill` during the day's check and backup stops it at once
        )
        keys = KeyInput(console=console) if interactive else LineInput(console)
        stopped, code = True, 0
        unsaid: list[str] = []  # cards that left after the last card shown (`_run`)
        try:
            with pastes_marked() if keys.interactive else nullcontext(), resizes_noted():
                ending, code = run_until_stopped(
                    lambda: _run(session, catalog, console, keys, patience, decks, unsaid),
                    "Session complete.",
                )
            stopped = False
        finally:
            end_saved(console, store, session.finish, stopped, "session", patience, code)
        saved = session.summary.reviews
        if keys.interactive:
            console.clear()
        if session.new_day is not None:  # the summary's "today" is the new day
            day, ending = session.new_day, "Session ended."
        # due reviews and the re-drills still owed today (they come back in the next session),
        # by the scheduler active now (`config` in another terminal may have switched it)
        from dlcards.scheduling import Schedule

        at_end = store.settings()  # read again: a `config` elsewhere may have changed them
        by = at_end.scheduler
        scope = None if allowed is None else set(allowed)
        if scope is None:
            waiting = store.count_due(day, by, topics)
            redrills = len(store.redrills_due(day, int(REDRILL_BELOW), topics))
        else:  # the session's search or tag: the cards it could study, not the collection
            waiting = len(store.due_ids(day, by, topics, within=scope))
            owed = store.redrills_due(day, int(REDRILL_BELOW), topics)
            redrills = sum(1 for c in owed if c in scope)
        next_due: object
        # as `due` counts them: the due reviews the daily review cap still allows today, and
        # those beyond it (they wait for tomorrow)
        from dlcards.limits import cap_left

        cap = at_end.review_cap
        left = cap_left(cap, store.reviews_today(day)) if waiting else None
        now = waiting if left is None else min(waiting, left)
        beyond = waiting - now
        # the new cards the day's limit still allows in this session's cards (the skipped, or
        # those of a session quit early), as `due` counts them and `dlcards study` would take
        # them: by the collection's limits, as the due reviews above, not the session's own
        # (--new 3 leaves the day's other 17 to a plain `dlcards study`)
        from dlcards.session import plan

        day_limits = Limits(at_end.new_per_day, None, cap)
        schedule_now = Schedule.from_settings(at_end)
        fresh = len(plan(store, schedule_now, day, day_limits, topics, scope).new)
        if redrills or now or fresh:
            # today, and what is left of it: a session quit before the end, a re-drill owed,
            # or cards another terminal or a scheduler change made due
            parts = [plural(now, "due review")] if now else []
            parts += [plural(fresh, "new card")] if fresh else []
            parts += [plural(redrills, "re-drill")] if redrills else []
            listed = " and ".join([", ".join(parts[:-1]), parts[-1]] if len(parts) > 2 else parts)
            from dlcards.console import counted

            more = (
                f"; {counted(beyond)} more beyond the daily cap of {counted(cap or 0)}"
                if beyond
                else ""
            )
            next_due = f"{day} (today: {listed} left{more})"
        elif waiting:  # the daily review cap holds them: tomorrow, as `due` says
            from datetime import timedelta

            verb = "waits" if waiting == 1 else "wait"
            next_due = (
                f"{day + timedelta(days=1)} ({plural(waiting, 'due review')} {verb} beyond "
                f"today's cap of {cap})"
            )
        else:
            next_due = store.next_due(day, by, topics, allowed)
        console.print(summary_panel(session, next_due))
        kept = saved if session.session_id is None else store.session_reviews(session.session_id)
        if kept < saved:  # `dlcards undo` or `doctor --restore` elsewhere took some back
            gone = saved - kept
            console.print(
                f"{ending} {plural(saved, 'grade')} saved; {gone} of them "
                f"{'is' if gone == 1 else 'are'} no longer in the log (undone in another "
                "terminal, or the database restored from a backup meanwhile)."
            )
        else:
            held = len(session.summary.suspended)  # `!`: saved at once, as grades are
            also = f" and {plural(held, 'suspension')}" if held else ""
            console.print(f"{ending} {plural(saved, 'grade')}{also} saved.")
        if unsaid and keys.interactive:  # the screen that would have said them never came
            echo(escaped("; ".join(unsaid)), "yellow", console=console)
        if session.ended_by_limits is not None:
            console.print(_limits_reached(*session.ended_by_limits))
        if session.new_day is not None:
            hour = at_end.day_starts_at
            console.print(
                f"The study day changed at {hour:02d}:00 (day_starts_at): it is now {day}. "
                "Run `dlcards study` again for the new day's cards."
            )
    return code


def _in_no_deck(card_ids: Sequence[str]) -> str:
    """What the screen says of cards that leave the session because no deck has them now."""
    from dlcards.console import listed

    if len(card_ids) == 1:
        return f"{card_ids[0]} is in no deck now: it leaves the session"
    return f"{listed(card_ids)} are in no deck now: they leave the session"


def _joined(session: StudySession, joined: Sequence[str], waiting: Sequence[str]) -> str:
    """What the screen says of the cards the decks gained during the session: those that
    joined it, and the new ones the day's new-card limit leaves for another day."""
    from dlcards.console import listed

    parts = []
    if joined:
        verb = (
            "is in a deck now: it joins" if len(joined) == 1 else "are in the decks now: they join"
        )
        parts.append(f"{listed(joined)} {verb} the session")
    if waiting:
        limit = session.limits.now(session.store.settings()).new
        verb = "waits" if len(waiting) == 1 else "wait"
        parts.append(
            f"{listed(waiting)} {verb} for another day: today's new-card limit ({limit}) is reached"
        )
    return "; ".join(parts)


def _also(message: str, more: str) -> str:
    """The line under the next card: what the last key did (a grade's next interval, say), and
    what happened before that card came (it is not lost to the second)."""
    return f"{message}; {more}" if message else more


def _cap_reached(store: Store, day: date) -> bool:
    """No review, new or due, is left under the daily review cap today."""
    from dlcards.limits import cap_left

    cap = store.settings().review_cap
    return cap is not None and cap_left(cap, store.reviews_today(day)) == 0


def _all_suspended(store: Store, ids: list[str]) -> bool:
    """Whether every card of `ids` is suspended (read up to the first that is not)."""
    for card_id in ids:
        flags = store.card_flags(card_id)
        if flags is None or not flags.suspended:
            return False
    return True


def _nothing_to_study(
    store: Store,
    by: str,
    day: date,
    topics: list[str],
    allowed: list[str] | None,
    tag: str | None,
    new: int | None,
    reviews: int | None,
) -> str:
    """Why the session is empty, honestly: no card has the tag, the limits given allow no
    cards, the day's new cards are used up, or nothing is due."""
    from dlcards.console import escaped, plural

    where = f" in {', '.join(topics)}" if topics else ""
    if allowed is not None and not allowed:
        return f"No card{where} has the tag '{escaped(tag or '')}'; nothing to study."
    if allowed and _all_suspended(store, allowed):  # `--tag leech`: suspended by the rule
        shown = " ".join(allowed[:3]) + (" ..." if len(allowed) > 3 else "")
        chosen = f"with the tag '{escaped(tag)}'" if tag is not None else "the search finds"
        one = len(allowed) == 1
        return (
            f"{'The' if one else 'All'} {plural(len(allowed), 'card')} {chosen} "
            f"{'is' if one else 'are'} suspended; nothing to study "
            f"(`dlcards unsuspend {escaped(shown)}` brings {'it' if one else 'them'} back)."
        )
    wanted = set(allowed) if allowed is not None else None
    waiting_due = store.due_ids(day, by, topics, within=wanted)
    waiting_new = store.new_ids(by, topics, None, as_of=day, within=wanted)
    if reviews == 0 and new == 0:
        return "Nothing to study: --reviews 0 and --new 0 allow no cards."
    reasons = []
    if reviews == 0 and waiting_due:
        reasons.append(f"--reviews 0 leaves out {plural(len(waiting_due), 'due review')}")
    if waiting_new:
        if new == 0:
            reasons.append("--new 0 allows no new cards")
        elif new is None and store.settings().new_per_day == 0:
            reasons.append("the new_per_day setting is 0 (raise it with --new or `dlcards config`)")
        elif _cap_reached(store, day):  # new cards count against the review cap, as in Anki
            cap = store.settings().review_cap
            reasons.append(
                f"the daily review cap ({cap}) leaves no room for new cards (raise it with "
                "`dlcards config reviews_per_day N`)"
            )
        elif new is not None and (done := store.new_introduced(day)) >= new:
            # counted across sessions: `--new 2` after 7 new cards today gives none more
            reasons.append(
                f"--new {new} counts the {plural(done, 'new card')} already studied today "
                f"(--new {done + 1} or more for others)"
            )
        else:
            reasons.append("new cards for today are used up (raise with --new)")
    if reviews == 0 and waiting_due:  # due now: the limit given leaves them out, not the day
        return "Nothing to study with these limits." + "".join(
            f" {r[0].upper()}{r[1:]}." for r in reasons
        )
    nxt = store.next_due(day, by, topics, allowed)
    text = "Nothing to study today" + (f"; the next review is due on {nxt}." if nxt else ".")
    return text + "".join(f" {r[0].upper()}{r[1:]}." for r in reasons)
