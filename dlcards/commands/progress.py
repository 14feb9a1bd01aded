"""`dlcards due`, `stats`, `suspend`, `unsuspend`, `unleech`, `reset`: the collection's
progress."""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING

import typer

from dlcards.commands.common import (
    catalog_with,
    clock,
    deck_card,
    decks_as_committed,
    synced_store,
)
from dlcards.commands.options import DbOption, DecksOption, JsonOption, TodayOption

if TYPE_CHECKING:
    from collections.abc import Callable
    from datetime import date
    from pathlib import Path

    from dlcards.catalog import Catalog
    from dlcards.errors import UsageError
    from dlcards.settings import Settings
    from dlcards.store.actions import Action, Floor
    from dlcards.store.core import Rebuild, Store, StudyGrade
    from dlcards.store.merge import Redecide
    from dlcards.store.resets import ResetRecord


def due(
    decks: list[str] | None = DecksOption,
    db: str | None = DbOption,
    today: str | None = TodayOption,
    json_: bool = JsonOption,
    count: bool = typer.Option(
        False,
        "--count",
        help="Print one number: cards due today, new cards still allowed today and "
        "re-drills still owed today (fast, for a shell prompt or status bar).",
    ),
) -> None:
    """How many cards are due today and how many are new, per topic; how many due reviews wait
    beyond the daily review cap (reviews_per_day), most overdue first."""
    from dlcards.commands import run

    run.due(decks or (), db, today, json_, count)


def stats(
    decks: list[str] | None = DecksOption,
    db: str | None = DbOption,
    today: str | None = TodayOption,
    json_: bool = JsonOption,
) -> None:
    """Progress: cards by state, reviews, retention, ease, leeches, streak, 30-day forecast,
    a year's review heatmap, true retention, and histograms of intervals and ease (under FSRS,
    stability and difficulty)."""
    from dlcards.commands import run

    run.stats(decks or (), db, today, json_)


def suspend(
    card_ids: list[str] = typer.Argument(..., help="Card ids to suspend.", metavar="ID..."),
    decks: list[str] | None = DecksOption,
    db: str | None = DbOption,
) -> None:
    """Keep cards out of study sessions (progress is kept)."""
    _set_suspended(card_ids, True, decks, db)


def unsuspend(
    card_ids: list[str] = typer.Argument(..., help="Card ids to bring back.", metavar="ID..."),
    decks: list[str] | None = DecksOption,
    db: str | None = DbOption,
) -> None:
    """Bring suspended cards back into study sessions."""
    _set_suspended(card_ids, False, decks, db)


def unleech(
    card_ids: list[str] = typer.Argument(
        ..., help="Card ids to take the leech mark off.", metavar="ID..."
    ),
    decks: list[str] | None = DecksOption,
    db: str | None = DbOption,
) -> None:
    """Take the leech mark off cards you rewrote, as removing Anki's `leech` tag does: their
    lapses, review log and schedule are kept. A card the leech rule suspended stays suspended
    (`dlcards unsuspend ID` brings it back), as in Anki. The rule marks it again when its
    lapses reach the next firing (every half leech_threshold of lapses past the threshold)."""
    from dlcards.console import echo, listed, plural
    from dlcards.terminal import saved_once_committed, stops_as_ctrl_c

    ids = _known_ids(card_ids, decks, db, "unleeched")
    # `kill` or a closed terminal ends it as Ctrl-C does, in one line saying whether the
    # change was made (it died as SIGKILL would: exit -15, not a word, its -wal left)
    with (
        stops_as_ctrl_c(unsaved="stopped: nothing was unleeched"),
        synced_store(db, decks or (), writes=True) as store,
    ):
        done = saved_once_committed(
            lambda: store.unleech(ids, clock()),
            lambda done: _stopped_done("unleeched", [cid for cid, _ in done]),
        )
    if done:
        names = [cid for cid, _ in done]
        echo(
            f"unleeched {plural(len(done), 'card')}: {listed(names)} (lapses, review log and "
            "schedule kept)"
        )
    held = [cid for cid, suspended in done if suspended]
    if held:  # Anki's removal of the tag leaves the card suspended too: said, with the way back
        one = len(held) == 1
        echo(
            f"still suspended: {listed(held)}; `dlcards unsuspend "
            f"{held[0] if one else 'ID...'}` brings {'it' if one else 'them'} back into study"
        )
    unleeched = {cid for cid, _ in done}
    left = [cid for cid in ids if cid not in unleeched]
    if left:
        echo(f"not {'a leech' if len(left) == 1 else 'leeches'}, left as is: {listed(left)}")


def _set_suspended(
    card_ids: list[str], flag: bool, decks: list[str] | None, db: str | None
) -> None:
    from dlcards.console import echo, listed, plural
    from dlcards.terminal import saved_once_committed, stops_as_ctrl_c

    word = "suspended" if flag else "unsuspended"
    ids = _known_ids(card_ids, decks, db, word)
    # `kill` or a closed terminal ends it as Ctrl-C does, in one line saying whether the
    # change was made (it died as SIGKILL would: exit -15, not a word, its -wal left)
    with (
        stops_as_ctrl_c(unsaved=f"stopped: nothing was {word}"),
        synced_store(db, decks or (), writes=True) as store,
    ):
        changed = saved_once_committed(
            lambda: store.set_suspended(ids, flag), partial(_stopped_done, word)
        )
        # a leech brought back keeps its mark (as Anki keeps the tag): said, with its way off
        leeches = [] if flag or not changed else sorted(set(changed) & store.leech_cards())
    if changed:
        echo(f"{word} {plural(len(changed), 'card')}: " + listed(changed))
    if leeches:
        named = " ".join(leeches) if len(leeches) <= 3 else "ID..."
        echo(
            f"still {'a leech' if len(leeches) == 1 else 'leeches'}: {listed(leeches)}; "
            f"`dlcards unleech {named}` takes the mark off once you have rewritten "
            f"{'it' if len(leeches) == 1 else 'them'}"
        )
    done = set(changed)  # a list searched for each id was quadratic: 10,000 ids, 1.7 s
    already = [cid for cid in ids if cid not in done]
    if already:  # left as they were
        echo(("already suspended: " if flag else "not suspended, left as is: ") + listed(already))


def _stopped_done(word: str, changed: list[str]) -> str:
    """The line of a `suspend`, `unsuspend` or `unleech` stopped once its change was saved."""
    from dlcards.console import listed, plural

    if not changed:
        return f"stopped: nothing was {word} (no card needed it)"
    return f"stopped: {word} {plural(len(changed), 'card')}: {listed(changed)} (saved)"


def _known_ids(
    card_ids: list[str], decks: list[str] | None, db: str | None, done: str
) -> list[str]:
    """The cards `card_ids` name, each once, in the order given; an id in no deck is refused
    before anything is written (a UsageError: one such id with the ids it may have meant, more
    counted and named, saying nothing was `done`)."""
    from dlcards.console import counted, escaped, listed

    decks_as_committed(db)  # a killed import's decks are not the learner's
    catalog = catalog_with(card_ids, decks or ())
    # unknown ids fail before anything is written, named in the one line (the first LISTED)
    from dlcards.errors import UsageError

    ids: list[str] = []
    unknown: list[tuple[str, UsageError | None]] = []
    for cid in card_ids:
        if catalog.topic_of(cid.strip()) is None:
            # in no deck: its refusal (the ids it may have meant, among every id of the
            # decks; whether the database kept its log) is worked out below, only if it is
            # the one such id (50 such ids at 100,000 cards: 15 s of CPU, none of it said)
            unknown.append((cid, None))
            continue
        try:
            ids.append(deck_card(catalog, cid, db).id)
        except UsageError as err:  # its deck file saved without it since the index was read
            unknown.append((cid, err))
    named = list(dict.fromkeys(f"'{escaped(cid.strip())}'" for cid, _ in unknown))
    if len(named) == 1:  # its own line, with the ids it may have meant
        cid, refused = unknown[0]
        raise refused or _refusal(catalog, cid, db)
    if named:
        raise UsageError(
            f"{counted(len(named))} of the card ids are in no deck: {listed(named)}; nothing was "
            f"{done} (see `dlcards list`)"
        )
    return list(dict.fromkeys(ids))


def _refusal(catalog: Catalog, card_id: str, db: str | None) -> UsageError:
    """The one line `deck_card` refuses an id in no deck with."""
    from dlcards.console import escaped
    from dlcards.errors import UsageError

    try:
        deck_card(catalog, card_id, db)
    except UsageError as err:
        return err
    return UsageError(f"unknown card id '{escaped(card_id.strip())}'")  # found meanwhile


def undo(
    db: str | None = DbOption,
) -> None:
    """Take back your newest action, as Anki's Edit > Undo does: a grade given in `dlcards
    study` (its log row deleted, the card's schedule replayed from the rest of its log), a
    `dlcards reset` (its cards get back their schedules), a `suspend` or `unsuspend` (the
    study `!` too) or an `unleech` (the card's flag, or its leech mark, as it was). Run it
    again to take back the one before. A suspension changed since by `import anki` is not a
    learner action: undo says that it cannot take that one back, and the next undo goes on
    to the one before."""
    from dlcards.commands.common import checked_db
    from dlcards.errors import StoreError
    from dlcards.store import existing_file
    from dlcards.terminal import stops_as_ctrl_c

    path = checked_db(db)
    if not existing_file(path):  # not made here: a typo in --db is not a new, empty collection
        raise StoreError(f"no database at {path}; nothing to undo (pass --db?)")
    # Ctrl-C, `kill` or a closed terminal says in one line whether the action was taken back:
    # "Interrupted." alone, with the grade taken back, sent the learner to run it again,
    # which takes back the one before; a `kill` ended it as SIGKILL would (exit -15, no word)
    with stops_as_ctrl_c(unsaved="stopped: nothing was undone"):
        _undo_newest(path)


ATTEMPTS = 20
"""How many times `undo` picks the newest action again when another terminal's undo took
back the one it picked meanwhile (each time, that terminal took one back: two undos at once
take back two actions)."""


def _undo_newest(path: Path) -> None:
    from dlcards.commands.common import not_before_the_log
    from dlcards.console import echo
    from dlcards.days import today_from
    from dlcards.store import Store

    given = today_from(None)  # DLCARDS_TODAY, checked before anything is taken back
    with Store.open(path) as store:

        def today() -> date:
            # the day the card's due date is said from ("due today", "3 days overdue"),
            # reckoned once the thing is taken back: a grade taken back may have been the
            # only one of the log's newest day, which `day_by_clock` had taken for today
            # (a clock ahead, set right), and the day is then the clock's own
            return not_before_the_log(store, given, None)

        for _ in range(ATTEMPTS):
            # the newest of the last study grade, action and reset (`Store.newest_undo`);
            # each is taken back only if still the newest inside its write transaction: a
            # grade, reset or action another terminal commits between the two is picked again
            pick = store.newest_undo()
            if pick is None:
                echo(
                    "nothing to undo: no grade given in `dlcards study`, reset, suspension, "
                    "unsuspension or unleech is left to take back"
                )
                return
            if pick.floor is not None:
                echo(_floor_line(pick.floor))
                return
            if pick.action is not None:
                done = _undo_action(store, pick.action, today)
            elif pick.reset is not None:
                done = _undo_reset(store, *pick.reset, today)
            elif pick.blocked is not None:
                done = _drop_reset(store, *pick.blocked)
            else:
                assert pick.grade is not None
                done = _undo_grade(store, pick.grade, today)
            if done:
                return
    echo("nothing undone: other terminals' undos took back what it found; run it again")


def _floor_line(floor: Floor) -> str:
    """What `undo` says when the newest is at or before its floor (`actions.Floor`)."""
    from datetime import datetime

    from dlcards.store.actions import KEEP, RESETS_PRUNED, RESTORED, RESTORED_UNKEPT

    if floor.why == RESETS_PRUNED:
        return (
            "nothing older to undo: the reset record beside the backups keeps the newest "
            "resets it has room for, and an older one no longer kept stands before the rest"
        )
    if floor.why == RESTORED_UNKEPT:
        when = datetime.fromtimestamp(floor.made_ns / 1e9).strftime("%Y-%m-%d %H:%M")
        return (
            f"nothing older to undo: `dlcards doctor --restore` put a backup of an older "
            f"dlcards, which kept no record of suspensions and unleeches, over a damaged file "
            f"({when}); undo does not go back past that restore"
        )
    if floor.why == RESTORED:
        when = datetime.fromtimestamp(floor.made_ns / 1e9).strftime("%Y-%m-%d %H:%M")
        return (
            "nothing older to undo: `dlcards doctor --restore` carried over a change made "
            f"{when} (a suspension, unleech or reset since its backup) that undo holds no "
            "record of; undo does not go back past it"
        )
    return (
        f"nothing older to undo: undo keeps the newest {KEEP:,} suspensions, unsuspensions "
        "and unleeches, and an older one no longer kept stands before the rest"
    )


def _undo_grade(store: Store, last: StudyGrade, today: Callable[[], date]) -> bool:
    """Take back the grade `last` (`Store.last_study_grade`) if it is still the newest;
    False when it was taken back meanwhile (another terminal's undo), or another terminal
    committed a newer grade, reset or action (the caller picks again)."""
    from dlcards.console import echo
    from dlcards.grading import redecider
    from dlcards.scheduling import Schedule
    from dlcards.terminal import saved_once_committed

    review_id, card_id, grade, stamp, day = last

    def rules(settings: Settings) -> tuple[Rebuild, Redecide]:
        schedule = Schedule.from_settings(settings)
        return schedule.replay, redecider(schedule, settings)

    when = stamp[:16].replace("T", " ")
    if not stamp.startswith(day):  # studied as another day (--today): say which
        when += f", as the study day {day}"
    row = saved_once_committed(
        lambda: store.undo(review_id, rules, newest=True),
        lambda row: (
            f"stopped: nothing was undone ({TAKEN_BACK})"
            if row is None
            else f"stopped: undid grade {grade} on {card_id} (given {when})"
        ),
    )
    if row is None:  # taken back meanwhile (another terminal's undo)
        return False
    schedule = Schedule.from_settings(store.settings())
    due = None if row.after.is_new else schedule.due(row.after)
    now = _is_now(store, card_id, due, today(), new="new again")
    echo(f"undid grade {grade} on {card_id} (given {when}); {now}")
    return True


def _is_now(store: Store, card_id: str, due: date | None, today: date, new: str = "new") -> str:
    """What a card an undo gave back is now, as `show` says it: `gd-2 is due today`, `gd-2 is
    new`; a suspended card is in no queue, so its due date holds once it is unsuspended
    (`gd-2 is suspended, due today once unsuspended`). It said `is due` of a suspended card
    (an undone reset of a card the leech rule had suspended, a grade undone after an Anki
    import suspended its card), which `show`, `due` and `study` never put in a queue."""
    from dlcards.days import due_words

    suspended = store.suspensions([card_id]).get(card_id)
    if suspended is None or not suspended.suspended:
        return f"{card_id} is {due_words(due, today)}" if due else f"{card_id} is {new}"
    if due is None:
        return f"{card_id} is {new}, and suspended"
    return f"{card_id} is suspended, {due_words(due, today)} once unsuspended"


TAKEN_BACK = "that grade was taken back meanwhile, or is no longer the newest"

_ACTION_NAMES = {"suspend": "suspension", "unsuspend": "unsuspension", "unleech": "unleech"}


def _undo_action(store: Store, action: Action, today: Callable[[], date]) -> bool:
    """Take back a `suspend`, `unsuspend`, study `!` or `unleech` (`Store.undo_action`); False
    when another terminal's undo took it back meanwhile. One whose card's columns were changed
    since by no learner action (`import anki`, `doctor`) is said not taken back and dropped,
    and the command ends (exit 1): the next undo goes on to the action before."""
    from datetime import datetime

    from dlcards.console import echo, listed, plural
    from dlcards.store.actions import Blocked
    from dlcards.terminal import saved_once_committed

    when = datetime.fromtimestamp(action.made_ns / 1e9).strftime("%Y-%m-%d %H:%M")
    ids = [ch.card_id for ch in action.cards]
    named = ids[0] if len(ids) == 1 else f"{plural(len(ids), 'card')}: {listed(ids)}"
    what = f"the {_ACTION_NAMES[action.kind]} of {named} (made {when})"
    back = saved_once_committed(
        lambda: store.undo_action(action.id),
        lambda back: (
            f"stopped: took back {what}"
            if back is not None and not isinstance(back, Blocked)
            else "stopped: nothing was undone"
        ),
    )
    if back is None:
        return False
    if isinstance(back, Blocked):
        card = back.changed[0]
        mark = "leech mark" if action.kind == "unleech" else "suspension"
        more = f" (and {plural(len(back.changed) - 1, 'other card')}'s)" if back.changed[1:] else ""
        # said once: its record is dropped (`actions.take_back`), and the next undo goes on
        # to the action before (it stopped here for good, every undo the same refusal); the
        # change is not said to be an import's: a `doctor --restore` makes such changes too
        echo(
            f"nothing undone: cannot take back {what}, the {mark} of {card}{more} was changed "
            "since by no learner action (`dlcards import anki` or `doctor`), which undo does "
            "not take back; it is dropped: `dlcards undo` again takes back the one before"
        )
        raise typer.Exit(1)
    echo(f"took back {what}; {_card_now(store, action, today)}")
    return True


def _card_now(store: Store, action: Action, today: Callable[[], date]) -> str:
    """What the cards of a taken-back action are now, in words."""
    from dlcards.scheduling import Schedule

    ids = [ch.card_id for ch in action.cards]
    one = len(ids) == 1
    if action.kind == "unsuspend":
        return f"{ids[0]} is suspended again" if one else "they are suspended again"
    if action.kind == "unleech":
        flags = store.suspensions(ids)
        held = " (and suspended)" if any(f.suspended for f in flags.values()) else ""
        return (f"{ids[0]} is a leech again" if one else "they are leeches again") + held
    if not one:
        return "they are back in study"
    schedule = Schedule.from_settings(store.settings())
    return _is_now(store, ids[0], schedule.due(store.memory(ids[0])), today())


def _undo_reset(
    store: Store, made: ResetRecord, left: list[str], today: Callable[[], date]
) -> bool:
    """Take back reset `made`, whose cards `left` are as it left them: their reset points,
    leech marks and memories as they were before it. False when another terminal's undo took
    it back meanwhile."""
    from datetime import datetime

    from dlcards.commands.common import replay_for
    from dlcards.console import echo, plural
    from dlcards.scheduling import Schedule
    from dlcards.terminal import saved_once_committed

    when = datetime.fromtimestamp(made.made_ns / 1e9).strftime("%Y-%m-%d %H:%M")
    named = left[0] if len(left) == 1 else plural(len(left), "card")
    back = saved_once_committed(
        lambda: store.undo_reset(made, replay_for, newest=True),
        lambda back: (
            f"stopped: undid the reset of {named} (made {when})"
            if back
            else f"stopped: nothing was undone ({RESET_TAKEN_BACK})"
        ),
    )
    if not back:  # another terminal's undo took it back meanwhile
        return False
    named = back[0] if len(back) == 1 else plural(len(back), "card")
    said = f"undid the reset of {named} (made {when})"
    if len(back) == 1:
        schedule = Schedule.from_settings(store.settings())
        said += "; " + _is_now(store, back[0], schedule.due(store.memory(back[0])), today())
    else:
        said += "; their schedules are as they were"
    studied = len(made.cards) - len(back)
    if studied:
        said += f" ({plural(studied, 'other card')} studied or reset since stay as they are)"
    echo(said)
    return True


def _drop_reset(store: Store, made: ResetRecord, studied: list[str]) -> bool:
    """Say that reset `made` cannot be taken back, its cards `studied` since by answers no
    study grade gave (an `import anki`'s), and drop it (`Store.drop_reset`): the next undo
    goes on to the one before (it passed over it without a word, to an older grade, as if
    that were the newest). False when it is no longer the newest (the caller picks again);
    said, the command ends (exit 1)."""
    from datetime import datetime

    from dlcards.console import echo, listed, plural
    from dlcards.terminal import saved_once_committed

    when = datetime.fromtimestamp(made.made_ns / 1e9).strftime("%Y-%m-%d %H:%M")
    ids = [card.card_id for card in made.cards]
    named = ids[0] if len(ids) == 1 else plural(len(ids), "card")
    were = studied[0] if len(studied) == 1 else f"{plural(len(studied), 'card')} of it"
    if len(studied) > 1 and len(studied) <= 3:
        were = listed(studied)
    dropped = saved_once_committed(
        lambda: store.drop_reset(made), lambda _: "stopped: nothing was undone"
    )
    if not dropped:
        return False
    echo(
        f"nothing undone: cannot take back the reset of {named} (made {when}), {were} "
        f"{'was' if len(studied) == 1 else 'were'} studied since outside `dlcards study` "
        "(`dlcards import anki`), which undo does not take back; it is dropped: `dlcards "
        "undo` again takes back the one before"
    )
    raise typer.Exit(1)


def _reset_made(what: str, studied: int, chosen: int) -> str:
    """What a reset of `chosen` cards (`what`: `30 cards of perceptron`) changed: the
    `studied` ones; the others were new already and are as they were. It said `reset 30 cards
    of perceptron (29 cards had been studied)`, and its undo `undid the reset of 29 cards`:
    the reset keeps, and the undo names, the cards it changed."""
    if studied == chosen:
        return what
    new = chosen - studied
    return f"{studied} of {what} ({new} {'was' if new == 1 else 'were'} new already)"


RESET_TAKEN_BACK = "that reset was taken back meanwhile, or is no longer the newest"


def reset(
    card_id: str | None = typer.Argument(None, help="Card id to reset.", metavar="[ID]"),
    topic: list[str] | None = typer.Option(
        None,
        "--topic",
        "-t",
        help="Reset every card of this topic (repeatable).",
        metavar="TOPIC",
    ),
    all_: bool = typer.Option(False, "--all", help="Reset every card."),
    yes: bool = typer.Option(False, "--yes", "-y", help="Do not ask for confirmation."),
    decks: list[str] | None = DecksOption,
    db: str | None = DbOption,
) -> None:
    """Make cards new again (their review history is kept)."""
    from dlcards.console import echo, plural
    from dlcards.errors import UsageError

    decks_as_committed(db)  # a killed import's decks are not the learner's
    catalog = catalog_with([card_id] if card_id else [], decks or ())
    if sum(map(bool, (card_id, topic, all_))) > 1:
        raise UsageError("give a card id, or --topic, or --all, not several")
    if card_id:
        ids = [deck_card(catalog, card_id, db).id]
        what = f"card {ids[0]}"
    elif topic:
        ids = catalog.ids(topic)
        what = f"{plural(len(ids), 'card')} of {', '.join(topic)}"
    elif all_:
        ids = catalog.ids()
        what = f"all {plural(len(ids), 'card')}"
    else:
        raise UsageError("say what to reset: a card id, --topic T, or --all")
    if not yes:
        import sys

        if not sys.stdin.isatty():
            raise UsageError("reset asks for confirmation; pass --yes to confirm without a prompt")
    from dlcards.terminal import saved_once_committed, stops_as_ctrl_c, stops_once_saved

    def said(studied: int) -> str:  # the line of a stop once the reset is saved
        if not studied:
            return "stopped: nothing was reset (new already)"
        made = _reset_made(what, studied, len(ids))
        return f"stopped: reset {made}, saved (the review history is kept)"

    # a database that cannot be written is refused before the question (`writes`); `kill` or
    # a closed terminal ends it as Ctrl-C does, saying whether the reset was made (a reset
    # answered y is made first, `until_saved`); one landing in the commit of `--yes` ended it
    # with the reset made and not a word
    with (
        stops_as_ctrl_c(unsaved="nothing reset"),  # as n says
        synced_store(db, decks or (), writes=True) as store,
    ):
        if yes:
            studied = saved_once_committed(lambda: store.reset(ids, clock()), said)
        else:
            from dlcards.commands.common import until_saved
            from dlcards.console import out
            from dlcards.stdio import confirm

            store.guard_reset(ids)  # a damaged database is refused before the question too
            history = "Its" if len(ids) == 1 else "Their"
            try:
                answer = confirm(f"Reset {what} to new? {history} review history is kept.")
            except KeyboardInterrupt:  # Ctrl-C, Ctrl-D: no, said by the block as n says it
                raise
            if not answer:
                echo("nothing reset")
                raise typer.Exit(1)
            # the y is kept: a lock another program took while the question was on screen
            # is waited for, saying so, as a grade waits (it failed after 5 s of silence)
            now = clock()
            store.backup_before_reset(ids, now)

            def made() -> int:  # a stop held by `until_saved` says it was made
                studied = store.reset(ids, now, backed_up=True)
                stops_once_saved(said(studied))
                return studied

            studied = until_saved(
                out(),
                made,
                kept="the reset you answered y to is kept and will be made",
                lost="nothing was reset",
                store=store,
            )
    if studied and len(ids) == 1:
        echo(f"reset {what}; its review history is kept")
    elif studied:
        echo(f"reset {_reset_made(what, studied, len(ids))}; their review history is kept")
    else:
        # new already: never studied, or reset before (its log stays, as a reset keeps it)
        are = "is" if card_id or len(ids) == 1 else "are"
        echo(f"nothing to reset: {what} {are} new already")
