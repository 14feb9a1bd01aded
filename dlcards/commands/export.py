"""`dlcards export anki | text | reviews`: take the cards (and progress) to Anki or elsewhere."""

from __future__ import annotations

import itertools
import os
import sys
from contextlib import ExitStack
from dataclasses import dataclass
from enum import Enum
from functools import partial
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import typer

from dlcards.commands.common import (
    database_of,
    decks_as_committed,
    opened_store,
    today_from,
)
from dlcards.commands.options import DbOption, DecksOption, TagOption, TodayOption, TopicOption
from dlcards.console import counted, echo, plural
from dlcards.errors import StoreError, UsageError, cause_of
from dlcards.stdio import say

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
    from datetime import date

    from dlcards.catalog import Catalog, DeckInfo
    from dlcards.deck import Card
    from dlcards.export import Target
    from dlcards.export.anki import AnkiNote, CardProgress, Package
    from dlcards.scheduling import Schedule
    from dlcards.store import Store
    from dlcards.store.rows import ExportedNote

export_app = typer.Typer(
    name="export",
    help="Export the cards to Anki (.apkg or plain text), or the review log to CSV/JSON.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
)

ForceOption = typer.Option(
    False,
    "--force",
    "-f",
    help="Replace the output file if it exists (a FIFO or device is written into, not replaced).",
)


class ReviewFormat(str, Enum):
    csv = "csv"
    json = "json"


@dataclass
class _Counts:
    """What the package holds, counted while its notes stream through."""

    notes: int = 0
    learned: int = 0
    due: int = 0  # as `dlcards due` counts them: suspended cards are neither due nor new
    new: int = 0
    suspended: int = 0
    # (learned, new and suspended: each card in one of them, as `stats` counts its cards; a
    # suspended reviewed card was counted as reviewed and as suspended, a suspended new one as
    # suspended alone, and the three added up to more than the notes)


def _selected(catalog: Catalog, topic: list[str] | None, tag: str | None) -> Iterator[list[Card]]:
    """The selected cards, one deck's at a time; UsageError now if there are none."""
    chunks = catalog.stream(topic or (), tag)
    for chunk in chunks:
        if chunk:
            return itertools.chain([chunk], chunks)
    where = f" in {', '.join(topic)}" if topic else ""
    raise UsageError(f"no cards have the tag '{tag}'{where}" if tag else "no cards to export")


def _progress(store: Store, schedule: Schedule, card_ids: Sequence[str]) -> dict[str, CardProgress]:
    """Each card's schedule as the active scheduler has it (FSRS's interval, due date and
    memory state when FSRS is active)."""
    from dlcards.export.anki import CardProgress
    from dlcards.memory import Memory
    from dlcards.scheduling import Fsrs

    fsrs = schedule.active if isinstance(schedule.active, Fsrs) else None
    retention = None if fsrs is None else fsrs.retention
    decay = None if fsrs is None else fsrs.parameters[20]  # FSRS-6's w[20], as Anki holds it
    stored = store.memories(list(card_ids))
    answers = store.answer_counts(list(card_ids))  # Anki's reps: answers, not a streak
    last_answers = store.last_answers(list(card_ids))
    never_synced = (Memory(), None)  # made once, not per card
    out = {}
    for card_id in card_ids:
        memory, flags = stored.get(card_id, never_synced)
        out[card_id] = CardProgress(
            due=None if memory.is_new else schedule.due(memory),
            interval=schedule.interval(memory),
            ef=memory.sm2.ef,
            repetitions=answers.get(card_id, 0),
            lapses=memory.sm2.lapses,
            stability=None if fsrs is None else memory.fsrs.stability,
            difficulty=None if fsrs is None else memory.fsrs.difficulty,
            suspended=bool(flags and flags.suspended),
            leech=bool(flags and flags.leech),
            last_answer=last_answers.get(card_id),
            retention=retention,
            decay=decay,
        )
    return out


# Below this many cards a package is rendered here: forking workers would cost more than it saves.
PARALLEL_MIN_CARDS = 20_000
# A worker's item: consecutive decks of at least this many cards together (a larger deck alone).
ITEM_MIN_CARDS = 1_000


def _runs(chosen: Sequence[DeckInfo], least: int) -> list[list[str]]:
    """The topics of `chosen` in order, cut into runs of consecutive decks of at least `least`
    cards (the last run may have fewer). The shipped decks are small (10 to 50 cards) and hold
    the math cards, and a worker that renders one imports numpy for its computation (~0.2 s of
    CPU): rendered a deck an item, they went to both workers, and both imported it."""
    runs: list[list[str]] = []
    run: list[str] = []
    size = 0
    placed: set[str] = set()  # a topic of two files (`own_cards:`) in one run: streamed once
    for info in chosen:
        if info.topic not in placed:
            placed.add(info.topic)
            run.append(info.topic)
        size += info.size
        if size >= least:
            runs.append(run)
            run, size = [], 0
    if run:
        runs.append(run)
    return runs


def _note_chunks(
    catalog: Catalog,
    topic: list[str] | None,
    tag: str | None,
    stack: ExitStack,
    parallel_min: int | None = None,
) -> Iterator[list[AnkiNote]]:
    """The selected cards' notes, a deck's or a few small decks' at a time, in deck order;
    UsageError now if there are none. A large selection (of whole decks: no --tag) is rendered
    by worker processes, a run of decks each (`_runs`, dlcards.export.parallel), forked now and
    ended with `stack`."""
    from dlcards.export.anki import AnkiNote, anki_notes
    from dlcards.export.parallel import ordered_map, workers

    titles, decks = catalog.topic_titles(), catalog.anki_decks()
    catalog.check_topics(topic or ())
    chosen = [info for info in catalog.infos if not topic or info.topic in topic]
    size = sum(info.size for info in chosen)
    least = PARALLEL_MIN_CARDS if parallel_min is None else parallel_min
    processes = workers() if tag is None and size >= least else 0
    if not processes:
        return (anki_notes(cards, titles, decks) for cards in _selected(catalog, topic, tag))
    runs = _runs(chosen, ITEM_MIN_CARDS)

    def run_notes(index: int) -> list[tuple[Any, ...]]:  # plain tuples unpickle fastest
        return [
            tuple(note)
            for cards in catalog.stream(runs[index])
            for note in anki_notes(cards, titles, decks)
        ]

    chunks = stack.enter_context(ordered_map(run_notes, len(runs), processes))
    return ([AnkiNote._make(note) for note in notes] for notes in chunks)


def _dated(
    items: Iterable[tuple[AnkiNote, CardProgress | None]],
    before: Mapping[str, str],
    edited: dict[str, int],
    changed: list[ExportedNote],
) -> Iterator[tuple[AnkiNote, CardProgress | None]]:
    """`items`, each note's digest compared as it passes with the one its card's last export
    wrote (`before`): a note that differs is added to `changed`, and its time in `edited` made
    one second newer than the time this export would give it (`note_time`), which is the time
    of the note Anki holds unless a deck edit moved it since: a change of the engine's or the
    HTML's words (the deck as it was) reaches Anki, and an edit made in Anki after that note
    still wins, as any newer edit does (dating it with the export's own time would have
    overwritten it). So is a note whose digest is unknown (`UNKNOWN_DIGEST`: its card was in
    the database an older dlcards exported from, which kept none): Anki holds it in that
    dlcards's rendering, and recorded alone it never took this one (until an edit of its
    card). A note not exported since its digest was kept (none) is only recorded. A note
    written in its own Anki note type (`AnkiNote.notetype`, a note added on the phone) is only
    recorded: only an edit of its card's text replaces the learner's note, never a change of
    dlcards's rendering (its bytes here carry fields, the title's among them, that its note
    type does not show). A note with media files is dated at least a second after the newest
    of them changed (`media_time`): its digest holds their bytes, and a file changed under its
    name is an edit made then."""
    from dlcards.export.anki import media_time, note_digest, note_time
    from dlcards.store.rows import ExportedNote

    for note, progress in items:
        digest = note_digest(note)
        was = before.get(note.card_id)
        if was != digest:
            at = None
            if was is not None and note.card_id in edited and note.notetype is None:
                # a media file changed under its name (the digest holds its bytes) dates the
                # note from the file's change: a second change before this export's record was
                # kept (a database that could not take it) is then newer still, where one
                # second over the stale time gave it the time Anki had from the first
                last = max(note_time(edited[note.card_id], 0), media_time(note))
                at = edited[note.card_id] = last + 1
            changed.append(ExportedNote(note.card_id, digest, at))
        yield note, progress


def _package_items(
    chunks: Iterable[list[AnkiNote]],
    progress: Callable[[Sequence[str]], dict[str, CardProgress]] | None,
    day: date,
    counts: _Counts,
) -> Iterator[tuple[AnkiNote, CardProgress | None]]:
    """Each card's note and progress (None without --with-progress), a deck at a time."""
    for notes in chunks:
        if progress is None:
            counts.notes += len(notes)
            yield from zip(notes, itertools.repeat(None))
            continue
        states = progress([note.card_id for note in notes])
        for note in notes:
            item = states.get(note.card_id)
            counts.notes += 1
            if item is not None:
                if item.suspended:
                    counts.suspended += 1
                elif item.due is not None:
                    counts.learned += 1
                    counts.due += item.due <= day
                else:
                    counts.new += 1
            yield note, item


_PACKAGE_SUFFIXES = (".apkg", ".colpkg", ".anki2", ".anki21", ".zip")
_TEXT_SUFFIXES = (".txt", ".tsv", ".csv")


def _of_its_kind(output: str, kind: str) -> None:
    """Refuse a file name that says the other kind of export: Anki reads a file by its
    name's suffix, so a package named `.txt` (or a text file named `.apkg`) is misread
    there, and the learner meant the other command."""
    from dlcards.console import escaped

    suffix = Path(output).suffix.lower() if output != "-" else ""
    if kind == "anki" and suffix in _TEXT_SUFFIXES:
        raise UsageError(
            f"-o {escaped(output)} names a text file, but export anki writes an Anki package: "
            f"name it {Path(output).stem}.apkg, or run `dlcards export text` for Anki's text "
            "format"
        )
    if kind == "text" and suffix in _PACKAGE_SUFFIXES:
        raise UsageError(
            f"-o {escaped(output)} names an Anki package, but export text writes Anki's text "
            f"format: name it {Path(output).stem}.txt, or run `dlcards export anki` for a "
            "package"
        )


@export_app.command("anki", short_help="An Anki package (.apkg)")
def anki(
    output: str = typer.Option(
        "dlcards.apkg",
        "--output",
        "-o",
        help="The package to write (- for standard output).",
        metavar="FILE.apkg",
    ),
    topic: list[str] | None = TopicOption,
    tag: str | None = TagOption,
    with_progress: bool = typer.Option(
        False,
        "--with-progress",
        help="Include each card's schedule from the active scheduler (interval, due, ease, "
        "reps, lapses, suspension, a leech's `leech` tag; FSRS's memory state when FSRS is "
        "active); import with scheduling on.",
    ),
    force: bool = ForceOption,
    decks: list[str] | None = DecksOption,
    db: str | None = DbOption,
    today: str | None = TodayOption,
) -> None:
    """An Anki package: deck "Deep Learning", one subdeck per topic; re-import updates notes."""
    from dlcards.catalog import deck_files, load_catalog
    from dlcards.commands.common import not_before_the_log, schedule_of
    from dlcards.export import stopped_line, target_for, unwritten, write_output
    from dlcards.export.anki import distinct_guids, package_timestamp, write_package
    from dlcards.settings import DAY_STARTS_AT
    from dlcards.terminal import stops_as_ctrl_c

    day = today_from(today)
    target = target_for(output, force, database_of(db))
    _of_its_kind(output, "anki")
    if target.is_stdout and sys.stdout.isatty():
        raise UsageError(
            f"-o {output} would write the binary package to the terminal; redirect it to a file "
            "or a pipe"
        )
    decks_as_committed(db)  # a killed import's decks are not the learner's
    catalog = load_catalog(decks or ())
    with ExitStack() as stack:
        # `kill`: the partial files removed, as Ctrl-C, saying whether the package was written
        stack.enter_context(stops_as_ctrl_c(unsaved=stopped_line(target)))
        chunks = _note_chunks(catalog, topic, tag, stack)  # workers fork before the store opens
        # the store, synced: when each card's text changed is its note's time (a deck edit
        # reaches Anki for the cards it changed; an edit made in Anki to another is kept)
        store: Store | None = None
        # why the store does not hold the decks as they are now (None: it does), said once
        # the package is written, in the one line of what the database did not keep
        unsynced: Unsynced | None = None
        try:
            store = stack.enter_context(opened_store(db, decks=decks or ()))
        except StoreError as err:
            if with_progress:
                raise _refused(err, target) from None
            # the cards do not need the progress database: export them, say what differs
            unsynced = Unsynced(cause_of(err))
        if store is not None:
            unsynced = _sync_for_export(store, catalog, decks or (), with_progress, target)
        progress = None
        schedule = None
        if with_progress and store is not None:
            # (a scheduler change left half done is finished first, writing: a database that
            # cannot be written says so, and that the export without progress needs none)
            schedule = schedule_of(store, "export without --with-progress", unwritten(target))
        reading = stack.enter_context(ExitStack())  # closed once the package is written
        if store is not None:
            # the notes' times, the GUIDs and each card's progress from one state of the
            # collection: a grade another terminal commits during the export is in all of them
            # or in none (its memory and its answer count alike)
            reading.enter_context(store.snapshot())
        if schedule is not None and store is not None:
            day = not_before_the_log(store, day, today)
            progress = partial(_progress, store, schedule)
        counts = _Counts()
        items = _package_items(chunks, progress, day, counts)
        timestamp = package_timestamp(deck_files(decks or ()))
        # SOURCE_DATE_EPOCH: one time for every note, for a reproducible package
        reproducible = bool(os.environ.get("SOURCE_DATE_EPOCH", "").strip())
        edited = None if store is None or reproducible else store.edit_times()
        if edited is not None and store is not None and unsynced and not unsynced.held:
            # the times a sync would give the edited cards (each its deck file's), not the
            # stale ones: the next export, after the sync, dates every note as this one does
            edited |= _edit_times_as_synced(store, catalog, topic or ())
        if edited is not None and store is not None and schedule is not None:
            # a leech's note carries Anki's `leech` tag (with progress): dated from the mark's
            # change, so that Anki, which replaces only an older note, takes the tag or its
            # removal for a note it already has
            for cid, at in store.leech_mark_times().items():
                edited[cid] = max(edited.get(cid, timestamp), at)
        changed: list[ExportedNote] = []
        if edited is not None and store is not None:
            # a note whose bytes differ from the last export's with no edit dating it (a
            # dlcards that words the engine's steps otherwise) is dated a second newer than
            # the note Anki holds, which Anki replaces only with a newer one
            items = _dated(items, store.exported_hashes(), edited, changed)
        # each card's Anki ids come from when it came into dlcards: the same in every package
        added = None if store is None or reproducible else store.added_times()
        # cards converted from Anki notes keep those notes' GUIDs: Anki keeps its note
        guids = distinct_guids(store.anki_guids(), catalog.deck_guids()) if store else {}
        # the decks the learner renamed or moved in Anki, where an import saw their cards
        anki_decks = store.anki_decks() if store is not None else {}
        if store is not None and store.anki_decks_unseen():
            _say_decks_unseen()
        _warn_of_unkept_guids(catalog, topic or (), guids)
        # Anki counts the package's due days from the learner's day start, as `due` does
        starts_at = store.settings().day_starts_at if store is not None else DAY_STARTS_AT
        # the leeches' notes: whether each carries the `leech` tag, kept once it is written
        leeches = store.leech_cards() if store is not None else set()
        written: list[Package] = []
        write_output(
            target,
            force,
            lambda fh: written.append(
                write_package(
                    items, fh, timestamp, edited, guids, starts_at, added, anki_decks, leeches
                )
            ),
        )
        reading.close()
        _keep_records(store, changed, written[0].leech_notes, unsynced, timestamp)
    summary = (
        f"wrote {target.shown}: {plural(counts.notes, 'note')} in "
        f"{plural(written[0].decks, 'deck')}"
    )
    if with_progress:
        summary += (
            f"; progress for {plural(counts.learned, 'reviewed card')} ({counted(counts.due)} due "
            f"by {day.isoformat()}), {counted(counts.new)} new"
        )
        if counts.suspended:
            summary += f", {counted(counts.suspended)} suspended"
    (say if target.is_stdout else echo)(summary)


def _synced(store: Store, decks: Sequence[str]) -> bool:
    """Whether the store holds the decks as they are now (its last sync saw these files)."""
    from dlcards.catalog import deck_files, files_signature

    return store.is_synced(files_signature(deck_files(decks)))


@dataclass(frozen=True)
class Unsynced:
    """Why the store does not hold the decks as they are now, for `export anki`'s one line
    of what the database did not keep: `why`, the line of the database's error (read-only,
    locked, full); `locked`, whether another program held the write lock for the sync's
    whole wait (the records after the package are then tried without another)."""

    why: str
    locked: bool = False
    held: bool = False  # the store holds the decks' text all the same (`holds_decks`)


def _refused(err: StoreError, target: Target) -> StoreError:
    """`err`, which stops an export before its package is written, saying that nothing was
    exported (`export.unwritten`) where it says what was kept (a full disk's "nothing was
    lost", which said nothing of the package)."""
    from dlcards.export import unwritten

    if err.outcome is None:
        return err
    return StoreError(err.cause, err.exit_code, unwritten(target))


def _sync_for_export(
    store: Store, catalog: Catalog, decks: Sequence[str], with_progress: bool, target: Target
) -> Unsynced | None:
    """The decks synced into `store`; None when it holds them now, else why it does not. A
    database that cannot be written is not synced (the sync's note, "what it holds is
    shown", came before the export's own line: two lines where one says it). A sync that
    fails (another program holds the lock, the disk is full) leaves the store open as it
    is, read for the cards' times, GUIDs and digests; with `with_progress` it is refused
    (the progress of cards the database does not hold as they are), in one line saying what
    to do. A store that could not take the sync but holds the decks' text all the same (a
    deck file saved again as it was: `_held`) is as one synced, but for its error: a
    locked one is not waited for again."""
    from dlcards.commands.common import holds_decks, sync_if_needed
    from dlcards.export import unwritten
    from dlcards.store.connection import LockedError

    if store.read_only is not None:
        held = _synced(store, decks) or holds_decks(store, catalog)
        return None if held else Unsynced(store.read_only)
    try:
        sync_if_needed(store, decks)
    except LockedError as err:
        if holds_decks(store, catalog):
            return Unsynced(cause_of(err), locked=True, held=True)
        if with_progress:
            raise StoreError(
                f"database {store.path} is locked by another program (waited "
                f"{store.patience:g} s), and --with-progress needs the decks' changes synced "
                "into it first: close that program and export again, or export without "
                "--with-progress",
                outcome=unwritten(target),
            ) from None
        return Unsynced(cause_of(err), locked=True)
    except StoreError as err:
        if holds_decks(store, catalog):
            return Unsynced(cause_of(err), held=True)
        if with_progress:
            if err.outcome is None:
                raise
            raise StoreError(
                f"{err.cause}; --with-progress needs the decks' changes synced into it "
                "first, or export without --with-progress",
                err.exit_code,
                unwritten(target),
            ) from None
        return Unsynced(cause_of(err))
    return None


def _edit_times_as_synced(store: Store, catalog: Catalog, topics: Sequence[str]) -> dict[str, int]:
    """`Store.edit_times_as_synced` of the chosen topics' decks (all if none)."""
    import time

    from dlcards.catalog import stamp_time

    chosen = set(topics)
    titles = catalog.topic_titles()
    decks = (
        (catalog.deck_of(info).cards, titles[info.topic], stamp_time(info.stamp))
        for info in catalog.infos
        if not chosen or info.topic in chosen
    )
    return store.edit_times_as_synced(decks, int(time.time()))


def _keep_records(
    store: Store | None,
    changed: Sequence[ExportedNote],
    leech_notes: Mapping[str, tuple[int, bool]],
    unsynced: Unsynced | None,
    package_time: int,
) -> None:
    """Keep the small records of what the written package holds, in one transaction: each
    changed note's digest and time (`Store.record_exports`), and what the leeches' notes hold
    of Anki's `leech` tag (`Store.remember_leech_tags`: a note sent without it and found so
    by a later `import anki` was not untagged by the learner; a tag sent counts only once an
    import has found it in Anki, as the package may never be imported there). What the
    database did not keep (`unsynced`: the decks' changes; the records, when it cannot take
    them) is said in one line, with what that means for the next run. A store that does not
    hold the decks (`unsynced`) keeps no digest: the next export, after the sync, dates
    those notes as this one did, and records them (a digest kept over a card's old text and
    time dated its note otherwise then). A store whose sync waited for another program's
    lock is not waited for again: one wait, not two (two lines and ~10 s, the busy timeout
    twice). No store (it could not be opened): every note carried the package's time
    (`package_time`, s), which replaces in Anki each note edited there before it, said with
    that time."""
    from contextlib import nullcontext
    from datetime import datetime

    if store is None:
        if unsynced is not None:
            when = datetime.fromtimestamp(package_time).strftime("%Y-%m-%d %H:%M")
            say(
                f"warning: {unsynced.why}; the package is written, but every note carries the "
                f"package's time, not its card's ({when}: imported into Anki, it replaces a "
                "note edited there before then), and nothing of this export is kept in the "
                "database"
            )
        return
    held = unsynced is not None and unsynced.held  # as synced: said if its records fail
    failed = None if unsynced is None or held else unsynced.why
    lost: list[str] = []
    digests = (
        f"the digests of {plural(len(changed), 'changed note')} (the next export dates "
        "those notes as this one did, and keeps them)"
    )
    if unsynced is not None and not held:
        lost.append("the decks' changes (the next command that can write to it syncs them)")
        if changed:
            lost.append(digests)
        changed = []
    try:
        with store.waiting_at_most(0) if unsynced and unsynced.locked else nullcontext():
            with store.one_transaction():
                store.record_exports(changed)
                store.remember_leech_tags(leech_notes, seen=False)
    except StoreError as err:
        failed = failed or cause_of(err)
        if changed:
            lost.append(digests)
        untagged = sum(not tagged for _, tagged in leech_notes.values())
        if untagged:
            lost.append(
                f"that the notes of {plural(untagged, 'leech', 'leeches')} go without the "
                f"`leech` tag ({_UNTAGGED_UNKEPT})"
            )
    if failed is not None and lost:
        say(f"warning: {failed}; the package is written, but not kept: {'; '.join(lost)}")


_UNTAGGED_UNKEPT = (
    "imported into Anki, the next `import anki` may read that as your removal of the tag: "
    "export again once the database can be written, which keeps it"
)
"""What a record not kept of leeches' notes sent without the `leech` tag means, and what to
do (`export anki`, `export text`)."""


def _say_decks_unseen() -> None:
    """Say that no import saw where the topics' cards live in Anki (`Store.anki_decks_unseen`:
    a database an older dlcards imported into): each deck is named by its title, and one the
    learner renamed or moved there would be made again, empty, and take the new cards."""
    say(
        "warning: no `import anki` has seen where your cards live in Anki since this database "
        "was upgraded; each topic's deck is named by its title, so a deck you renamed or moved "
        "there is made again, empty: run `dlcards import anki` on a package exported from your "
        "collection first, then export again"
    )


def _kept_for_anki(db: str | None) -> tuple[dict[str, str], dict[str, str], set[str]]:
    """`Store.anki_guids`, `Store.anki_decks` and `Store.leech_cards` of the database, read
    without creating one (none before it exists, or when it cannot be read: the notes then
    take the GUIDs made from their card ids, and the decks named from their topics)."""
    from dlcards.commands.common import existing_store
    from dlcards.errors import StoreError

    try:
        with existing_store(db) as store:
            if store is None:
                return {}, {}, set()
            if store.anki_decks_unseen():
                _say_decks_unseen()
            return store.anki_guids(), store.anki_decks(), store.leech_cards()
    except StoreError as err:
        say(f"warning: {cause_of(err)}; notes converted from Anki get GUIDs of their own")
        return {}, {}, set()


def _sent_untagged(db: str | None, leeches: Iterable[str]) -> None:
    """Keep that the text file's notes of these leeches carry no `leech` tag: Anki's text
    import replaces a note's tags with the file's, and dates the note at that import (at
    the earliest now, the file written). A tag an earlier package gave them, gone after that
    import, was not the learner's removal (`Store.remember_leech_tags`)."""
    import time

    from dlcards.commands.common import existing_store

    now = int(time.time())
    notes = dict.fromkeys(leeches, (now, False))
    if not notes:
        return
    try:
        with existing_store(db) as store:
            if store is not None:
                store.remember_leech_tags(notes, seen=False)
    except StoreError as err:
        say(
            f"warning: {cause_of(err)}; the file is written, but not kept: that its notes "
            f"of {plural(len(notes), 'leech', 'leeches')} carry no `leech` tag "
            f"({_UNTAGGED_UNKEPT})"
        )


def _warn_of_unkept_guids(catalog: Catalog, topics: Sequence[str], kept: Mapping[str, str]) -> None:
    """Say which cards of `topics` (all if none) were converted from Anki notes of one card
    and have no GUID of their note, in their deck (`anki_guid:`) or the database (`kept`):
    decks an older dlcards converted. Exported, each is a new note, a copy beside its note in
    the collection it came from; an import of an export of that collection keeps the GUIDs
    (`anki_progress.unkept_guids`). A card of a note of several cards (`-2`, another cloze
    of it) is a note of its own by design, and not named."""
    import re
    from collections import Counter

    from dlcards.console import listed

    converted = re.compile(r"(anki-[0-9a-f]{10})(-c?[0-9]+)?")
    matched = [
        (cid, m)
        for cid in catalog.ids(topics)
        if cid.startswith("anki-") and (m := converted.fullmatch(cid))
    ]
    per_note = Counter(m.group(1) for _, m in matched)
    made = [
        cid
        for cid, m in matched
        if per_note[m.group(1)] == 1 and (m.group(2) or "-c").startswith("-c")
        and cid not in kept
    ]  # fmt: skip
    if made:
        made = [cid for cid in made if cid not in catalog.anki_guids(made)]
    if made:
        go = "goes" if len(made) == 1 else "go"
        say(
            f"warning: {plural(len(made), 'card')} converted from Anki notes before dlcards "
            f"kept their GUIDs ({listed(sorted(made))}) {go} as new notes, copies beside the "
            "notes in the collection they came from; import an export of that collection "
            "first (dlcards import anki FILE), which keeps the GUIDs"
        )


@export_app.command("text", short_help="Anki's plain-text import format")
def text(
    output: str = typer.Option(
        "dlcards.txt",
        "--output",
        "-o",
        help="The text file to write (- for standard output).",
        metavar="FILE.txt",
    ),
    topic: list[str] | None = TopicOption,
    tag: str | None = TagOption,
    force: bool = ForceOption,
    decks: list[str] | None = DecksOption,
    db: str | None = DbOption,
) -> None:
    """Anki's plain-text import format (tab-separated, with header lines); same notes as .apkg.

    The notes use the "dlcards" note type, which importing the .apkg once creates.
    """
    import io

    from dlcards.catalog import load_catalog
    from dlcards.export import stopped_line, target_for, write_output
    from dlcards.export.anki import distinct_guids
    from dlcards.export.text import write_text
    from dlcards.terminal import stops_as_ctrl_c

    # as the .apkg: a card converted from an Anki note is that note, and a deck renamed in
    # Anki keeps its name
    guids, anki_decks, leeches = _kept_for_anki(db)
    sent: set[str] = set()  # the leeches whose notes the file holds

    target = target_for(output, force, database_of(db))
    _of_its_kind(output, "text")
    catalog = load_catalog(decks or ())
    guids = distinct_guids(guids, catalog.deck_guids())
    _warn_of_unkept_guids(catalog, topic or (), guids)
    written = [0]
    with ExitStack() as stack:
        # `kill`: the partial file removed, as Ctrl-C, saying whether the file was written
        stack.enter_context(stops_as_ctrl_c(unsaved=stopped_line(target)))
        # the notes as `export anki` renders them, a deck's at a time (by worker processes
        # for a large selection), each chunk written as it comes: 100,000 notes held at once
        # were most of 680 MB
        chunks = _note_chunks(catalog, topic, tag, stack)

        def write(fh: IO[bytes]) -> None:
            for n, notes in enumerate(chunks):
                buf = io.StringIO()
                write_text(notes, buf, header=n == 0, guids=guids, decks=anki_decks)
                fh.write(buf.getvalue().encode("utf-8"))
                written[0] += len(notes)
                if leeches:
                    sent.update(note.card_id for note in notes if note.card_id in leeches)

        write_output(target, force, write)
    _sent_untagged(db, sorted(sent))
    (say if target.is_stdout else echo)(f"wrote {target.shown}: {plural(written[0], 'note')}")


@export_app.command("reviews", short_help="The review log, as CSV or JSON")
def reviews(
    output: str | None = typer.Option(
        None, "--output", "-o", help="File to write (default: standard output).", metavar="FILE"
    ),
    format_: ReviewFormat | None = typer.Option(
        None,
        "--format",
        help="The format, csv or json (default: from the file name, else csv).",
        metavar="FORMAT",
    ),
    force: bool = ForceOption,
    db: str | None = DbOption,
) -> None:
    """The whole review log, one row per review with every column, for analysis elsewhere."""
    from dlcards.export import STDOUT, stopped_line, target_for, write_output
    from dlcards.terminal import stops_as_ctrl_c

    target = target_for(STDOUT if output is None else output, force, database_of(db))
    suffix = Path(target.shown).suffix.lower()
    fmt = format_ or (ReviewFormat.json if suffix == ".json" else ReviewFormat.csv)
    written = [0]
    with (
        stops_as_ctrl_c(unsaved=stopped_line(target)),
        opened_store(db) as store,
        store.review_log() as (columns, chunks),
    ):
        # written as read, a chunk of rows at a time (the log is checked before the first)
        stream = _reviews_json if fmt is ReviewFormat.json else _reviews_csv
        write_output(target, force, lambda fh: stream(fh, columns, chunks, written))
    if not target.is_stdout:
        echo(f"wrote {target.shown}: {plural(written[0], 'review')}")


def _reviews_csv(
    fh: IO[bytes], columns: list[str], chunks: Iterable[list[tuple[Any, ...]]], written: list[int]
) -> None:
    """The header line, then each chunk of rows as CSV, encoded and written as it comes (the
    header with the first, so that a log whose first chunk fails its check writes nothing);
    `written[0]` counts the rows."""
    header = _csv_text([columns])
    for rows in chunks:
        fh.write((header + _csv_text(rows)).encode("utf-8"))
        header = ""
        written[0] += len(rows)
    if header:
        fh.write(header.encode("utf-8"))


def _csv_text(rows: Sequence[Sequence[Any]], nul_refused: bool = sys.version_info < (3, 11)) -> str:
    """`rows` as `csv.writer` writes them. Python 3.10's refuses a NUL in a value (3.11's
    writes it as it is, not quoted): there, each NUL is written as a character no value
    holds, and turned back after."""
    import csv
    import io

    nul = _stand_in(rows) if nul_refused else None
    if nul is not None:
        rows = [[_swap(v, "\0", nul) for v in row] for row in rows]
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(rows)
    return buf.getvalue() if nul is None else buf.getvalue().replace(nul, "\0")


def _stand_in(rows: Sequence[Sequence[Any]]) -> str | None:
    """A character that none of `rows`' text holds; None when no value holds a NUL."""
    texts = [v for row in rows for v in row if isinstance(v, str)]
    if not any("\0" in t for t in texts):
        return None
    return next(c for c in map(chr, range(0xF0000, 0x110000)) if not any(c in t for t in texts))


def _swap(value: Any, old: str, new: str) -> Any:
    return value.replace(old, new) if isinstance(value, str) else value


def _reviews_json(
    fh: IO[bytes], columns: list[str], chunks: Iterable[list[tuple[Any, ...]]], written: list[int]
) -> None:
    """The rows as `json.dumps([dict(zip(columns, row)), ...], indent=2, ensure_ascii=False)`
    and a newline writes them, byte for byte (tests compare them), written a chunk at a time:
    each value as that encoder writes it (`_json_encoder`), each object's lines indented as a
    list item's. `written[0]` counts the rows."""
    value = _json_encoder()
    keys = [f"    {value(name)}: " for name in columns]
    first = True
    for rows in chunks:
        parts = []
        for row in rows:
            body = ",\n".join([k + value(v) for k, v in zip(keys, row, strict=True)])
            parts.append(f"{'[' if first else ','}\n  {{\n{body}\n  }}")
            first = False
        fh.write("".join(parts).encode("utf-8"))
        written[0] += len(rows)
    fh.write(b"[]\n" if first else b"\n]\n")


def _json_encoder() -> Callable[[Any], str]:
    """A function writing a value as `json.dumps(value, ensure_ascii=False)` does, without its
    Python-level encoder for the common types (a log's values are text, integers, floats and
    nulls): a million rows of 22 values, 40 -> ~10 s."""
    import json
    from json.encoder import encode_basestring  # the C one, as json.dumps uses

    inf = float("inf")

    def value(v: Any) -> str:
        kind = type(v)
        if kind is str:
            return encode_basestring(v)
        if v is None:
            return "null"
        if kind is int:
            return int.__repr__(v)
        if kind is float:
            if v != v:
                return "NaN"
            if v == inf or v == -inf:
                return "Infinity" if v > 0 else "-Infinity"
            return float.__repr__(v)
        return json.dumps(v, ensure_ascii=False)  # anything else as json.dumps (or its error)

    return value
