"""`dlcards import anki FILE`: bring reviews done in Anki back, or Anki decks in as YAML."""

from __future__ import annotations

import os
import tempfile
from collections import Counter
from collections.abc import Container, Iterable, Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager, nullcontext, suppress
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from dlcards.commands.common import (
    anki_deck_names,
    existing_store,
    opened_store,
    schedule_of,
    sync_if_needed,
    synced_store,
)
from dlcards.commands.options import DbOption, DecksOption
from dlcards.console import echo, listed, quoted

if TYPE_CHECKING:
    from dlcards.catalog import Catalog
    from dlcards.fileio import Replaced
    from dlcards.importers.anki_file import Collection
    from dlcards.importers.anki_notes import Converted, YamlDeck
    from dlcards.store import Store
    from dlcards.store.rows import ImportedReview, Suspension


@contextmanager
def _unpacking_folder(prefix: str) -> Iterator[str]:
    """A new folder of this user's alone in the temporary folder, removed with what it holds
    at the block's end. Its removal is arranged before it is made: TemporaryDirectory makes
    it first, and a `kill` whose KeyboardInterrupt (`stops_as_ctrl_c`) came right after the
    mkdir, before TemporaryDirectory had arranged the removal, left the folder behind. Its
    name holds this process's id: the folders of imports that were killed outright (SIGKILL)
    are removed here first (`fileio.clean_stale_folders`)."""
    import secrets
    import shutil

    from dlcards.fileio import clean_stale_folders

    clean_stale_folders(prefix)
    folder: str | None = None
    try:
        while True:
            name = f"{prefix}{os.getpid()}-{secrets.token_hex(6)}"
            folder = os.path.join(tempfile.gettempdir(), name)
            try:
                os.mkdir(folder, 0o700)
                break
            except FileExistsError:  # another's: not to be removed
                folder = None
        yield folder
    finally:
        if folder is not None:
            shutil.rmtree(folder, ignore_errors=True)


import_app = typer.Typer(
    name="import",
    help="Import from Anki: reviews done there, or its decks as dlcards YAML decks.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
)


@import_app.command("anki", short_help="Reviews from Anki, or its decks as YAML")
def anki(
    file: str = typer.Argument(
        ..., help="An .apkg or .colpkg exported from Anki, or a collection.anki2.", metavar="FILE"
    ),
    to_yaml: str | None = typer.Option(
        None,
        "--to-yaml",
        help="Write the file's notes as dlcards YAML decks in DIR (one per Anki deck), with "
        "their media, and bring their review history along.",
        metavar="DIR",
    ),
    dry_run: bool = typer.Option(
        False, "--dry-run", "-n", help="Show what would be imported, per topic; write nothing."
    ),
    force: bool = typer.Option(
        False, "--force", help="With --to-yaml: write over deck files already in DIR."
    ),
    decks: list[str] | None = DecksOption,
    db: str | None = DbOption,
) -> None:
    """Reviews done in Anki on cards dlcards exported (recognised by their GUID) join the
    log in time order, and each card's schedule is replayed from the merged log. Export from
    Anki with "Include scheduling information" ticked. A card suspended or unsuspended in
    Anki after dlcards last changed its flag takes Anki's (the newer change wins). A leech
    whose note's `leech` tag (sent by `export anki --with-progress`, or seen by an import) was
    removed in Anki is unleeched, as by `dlcards unleech`. A deck renamed or moved in Anki
    keeps its name: `export anki` names it as Anki does. Importing a file twice adds
    nothing."""
    from dlcards.errors import StoreError, UsageError, nonempty
    from dlcards.terminal import stops_as_ctrl_c

    # what was asked for is checked before the database is opened
    nonempty(file, "FILE", "the .apkg, .colpkg or .anki2 file")
    if to_yaml is not None:
        nonempty(to_yaml, "--to-yaml", "the folder for the decks")
    elif force:  # it replaces deck files --to-yaml writes: alone, it would be ignored
        raise UsageError("--force replaces the deck files --to-yaml writes; add --to-yaml DIR")
    # The first call probes the temporary folder with a file of its own, which a signal
    # arriving in the middle would leave behind: probe it before signals stop the import.
    tempfile.gettempdir()
    # `kill` or a closed terminal ends the import as Ctrl-C does, from the database's opening
    # (before the file is read) to its closing after the report: the unpacked files removed,
    # a merge's transaction rolled back, the database closed (no -wal left beside it); one
    # line says nothing was imported (it ended with exit 143 and not a word), or once the
    # merge committed, that it was (`_stopped_line`); a dry run ends as a killed `ls` does
    from dlcards.console import escaped

    unsaved = None if dry_run else escaped(f"stopped: nothing was imported from {file}")
    saved: list[bool] = []  # [True] once the import's transaction committed
    try:
        with (
            stops_as_ctrl_c(unsaved=unsaved),
            _checked_meanwhile(db, dry_run) as opened,
            _taken_back_unless_committed() as (written, stack),
        ):
            _import(file, to_yaml, dry_run, force, decks, db, opened, written, stack, saved)
    except StoreError as err:
        if dry_run or saved or NOTHING_IMPORTED in str(err):
            raise
        # what the import left, said of the import: a full disk's "nothing was lost" said
        # nothing of it, and a database refused at once (read-only) nothing at all
        raise StoreError(err.cause, err.exit_code, NOTHING_IMPORTED) from None


NOTHING_IMPORTED = "nothing was imported"
"""The outcome of an import that failed before its transaction committed (the decks it
wrote taken back with it), as its error line says it."""


@contextmanager
def _checked_meanwhile(db: str | None, dry_run: bool) -> Iterator[Store | None]:
    """The database, opened before the file is read, with the whole file's check running in
    a thread while the import reads and converts the file (`Store.check_in_background`): the
    merge's first write waits for it, as it waited for the check the merge started itself
    (a phone's file of 100,000 notes and 300,000 answers into a log of 1,000,000 reviews:
    the check takes ~3.5 s, reading and converting the file ~3 s). A dry run's check writes
    nothing (no daily check, no backup): it waits for it before it answers
    (`Store.refuse_damaged`), as a damaged database answers wrongly. No check when the
    database cannot be written or the daily check is due (that check makes the day's backup,
    in the foreground, at the first write, as before); None before the database exists."""
    from dlcards.errors import StoreError

    with existing_store(db) as store:
        if store is not None and store.read_only is not None and not dry_run:
            # nothing can be imported into it: said at once, before the file is read (the
            # merge refused it after a note that the decks' changes were not synced)
            raise StoreError(store.read_only)
        if store is not None and dry_run:
            store.check_file_in_background()
        elif store is not None and store.read_only is None and not store.daily_check_due():
            store.check_in_background()
        yield store


@contextmanager
def _taken_back_unless_committed() -> Iterator[tuple[Replaced, ExitStack]]:
    """For the import: `--to-yaml`'s decks, their cards and their reviews land together or
    not at all. The deck files are written first, recording in the database what they
    replace (`fileio.Replaced.record`, committed before the first file is in place); then
    the new decks' sync, the merge of the reviews and the rest are one transaction
    (`Store.one_transaction`), whose commit drops that record. A failure or a stop before
    the commit (a lock taken meanwhile by another program, a damaged or full database,
    Ctrl-C, `kill`) rolls the transaction back and takes the deck files back here; a process
    killed outright (SIGKILL) leaves the record, and the next command to open the database
    takes them back from it (`common.undo_killed_writes`). A database error after the deck
    files were written (a lock taken meanwhile) says that they are taken back: its line said
    only that the database was locked, not what became of the decks the learner may have
    seen appear. Yields the record of the files written, and a stack for what the import
    opens (closed after the files are taken back)."""
    from dlcards.errors import StoreError, cause_of
    from dlcards.fileio import Replaced

    written = Replaced()
    with ExitStack() as stack:
        try:
            yield written, stack
        except BaseException as err:
            decks = bool(written.files)
            written.undo()
            _forget_record(written)
            if decks and isinstance(err, StoreError):
                raise StoreError(
                    f"{cause_of(err)}; the deck files it wrote are taken back: {NOTHING_IMPORTED}",
                    err.exit_code,
                ) from None
            raise


_RECORDS: dict[int, tuple[Store, str]] = {}  # a Replaced's (by id) record: its store and key


def _forget_record(written: Replaced) -> None:
    """The record of `written` dropped from its database once its files are taken back (best
    effort: left, the next command finds its writer gone and finds nothing to undo)."""

    kept = _RECORDS.pop(id(written), None)
    if kept is not None:
        store, key = kept
        # not another wait for a lock that may be why it stopped
        with suppress(Exception), store.waiting_at_most(0.2):
            store.forget_pending(key)


def _record_in(store: Store, written: Replaced) -> None:
    """`written`'s record kept in `store` (committed) before its first file is in place."""
    import json

    from dlcards.store.connection import PENDING_FILES

    key = f"{PENDING_FILES}{written.token}"

    def ready(record: dict[str, object]) -> None:
        _RECORDS[id(written)] = (store, key)
        store.record_pending(key, json.dumps(record))

    written.ready = ready


def _import(
    file: str,
    to_yaml: str | None,
    dry_run: bool,
    force: bool,
    decks: list[str] | None,
    db: str | None,
    opened: Store | None,
    written: Replaced,
    stack: ExitStack,
    saved: list[bool],
) -> None:
    import time

    from dlcards.catalog import load_catalog
    from dlcards.console import plural
    from dlcards.errors import UsageError
    from dlcards.importers import anki_file, anki_progress

    path = Path(file).expanduser()
    extra = list(decks or ())
    with _unpacking_folder("dlcards-anki-") as tmp:
        collection = anki_file.read(path, Path(tmp), with_media=to_yaml is not None)
        if not collection.notes:
            raise UsageError(f"{path} holds no notes: nothing to import")
        stored, starts_at, converted_guids = _collection_facts(db, opened)
        if to_yaml is not None:
            # every note's answers may come in: refused before any deck is written
            anki_file.refuse_answers_ahead(collection, starts_at)
        catalog = load_catalog(extra)
        # the GUIDs the decks give their cards (`anki_guid:`) over the database's: a fresh
        # database (a new machine) knows none of them, and the deck file is the truth (read
        # for the notes that need one, from their decks only)
        named = anki_progress.renamed_notes(collection, catalog.deck_guids())
        converted_guids = {**converted_guids, **catalog.anki_guids(named)}
        # and the cards the database keeps that no deck has now: a phone's reviews of a card
        # removed from its deck join its log (as `show` says it is kept), never "unknown"
        retired = {cid: t for cid, t in stored.items() if catalog.topic_of(cid) is None}
        known = {*catalog.ids(), *retired}
        cards = anki_progress.dlcards_cards(collection, known, converted_guids)
        # cards converted before their decks kept their notes' GUIDs: kept now, so that
        # `export anki` writes each as its note, not a copy beside it
        unkept = anki_progress.unkept_guids(collection, cards, converted_guids)
        # notes another dlcards exported, of cards no deck here has (other decks, another
        # --decks): named as such, never as notes "dlcards does not know"
        elsewhere = {
            nid: cid
            for nid, cid in anki_progress.dlcards_notes(collection).items()
            if cid not in known
        }
        new_topics: dict[str, str] = {}
        guids = dict(unkept)  # a converted card -> its Anki note's GUID
        note_times: dict[str, int] = {}  # a card converted now -> when its note changed
        said: list[str] = []  # what --to-yaml wrote, said once its reviews are merged
        if to_yaml is not None:
            out = Path(to_yaml).expanduser()
            if opened is None and not dry_run:
                # made (with the decks there are) before the new decks are written: they are
                # recorded in it, and synced with their reviews in one transaction
                opened = stack.enter_context(opened_store(db, decks=extra))
                sync_if_needed(opened, extra, writes=True)
            if opened is not None:
                # decks only for a database that can take their answers: a damaged one (its
                # check ran while the file was read) or one that cannot be written is
                # refused before a deck is written (or said it would be), as "nothing was
                # written" says
                if dry_run:
                    opened.refuse_damaged()
                else:
                    opened.guard_writes(whole_file=True)
                    opened.refuse_locked()  # nothing is written while another writes
                    _record_in(opened, written)
            converted, said = _to_yaml(
                collection, path, out, catalog, dry_run, force, retired, elsewhere,
                anki_progress.exported_converted(collection, converted_guids), written,
                _exported_decks(db, opened, catalog),
            )  # fmt: skip
            if dry_run:  # nothing to wait for
                for line in said:
                    echo(line)
                said = []
            cards.update(converted.cards)
            new_topics = converted.topics
            guids.update(converted.guids)
            # when each note converted into one card last changed in Anki: its card's text
            changed = {n.guid: n.mod for n in collection.notes if n.mod > 0}
            note_times = {c: changed[g] for c, g in converted.guids.items() if g in changed}
            if not dry_run and converted.decks:
                extra.append(str(out))
                catalog = load_catalog(extra)
        elif not cards and elsewhere:
            raise UsageError(
                f"{path}: its notes are cards dlcards exported from decks not loaded here "
                f"({listed(sorted(elsewhere.values()))}); pass their folder with --decks DIR"
            )
        elif not cards:
            raise UsageError(
                f"{path} has no notes that dlcards exported; to bring its decks in, "
                "add --to-yaml DIR (for decks converted by --to-yaml before, pass their "
                "folder with --decks DIR)"
            )
        else:  # only dlcards's cards' answers come in: another deck's clock is not ours
            anki_file.refuse_answers_ahead(collection, starts_at, cards=cards)
    early = anki_progress.answers_before_2000(collection, cards)  # a clock gone back
    # each review's study day, as the collection's own day_starts_at hour gives a grade
    result = anki_progress.convert(collection, cards, starts_at)
    moved: list[str] = []  # the cards whose reset point the import moves (would move)
    leeches: dict[str, Suspension] = {}  # the flags the merge's leech actions changed
    scheduled = anki_progress.carries_scheduling(collection)
    # a file without scheduling has every card active: no suspension is taken from it
    now = int(time.time())
    there = anki_progress.anki_suspensions(collection, cards, now) if scheduled else {}
    ahead = anki_progress.changed_ahead(collection, cards, now) if scheduled else {}
    buried = anki_progress.buried_cards(collection, cards) if scheduled else []
    # Anki's way to take a leech's mark off: its note's `leech` tag removed (a file without
    # scheduling has every such tag dropped by Anki's export: it says nothing of them)
    untagged = anki_progress.untagged_notes(collection, cards) if scheduled else {}
    tagged = anki_progress.tagged_notes(collection, cards) if scheduled else {}
    unleeched: list[tuple[str, bool]] = []
    # the Anki deck each topic's cards live in, which `export anki` names from now on (the
    # learner renamed or moved it there); a file without scheduling says nothing of it: Anki's
    # export without it makes a filtered deck a normal one, holding the cards it had borrowed
    exported_as = _exported_decks(db, opened, catalog)
    decks_seen = (
        anki_progress.home_decks(
            collection,
            cards,
            lambda cid: catalog.topic_of(cid) or new_topics.get(cid),
            exported_as,
        )
        if scheduled
        else {}
    )
    moved_decks = {t: d for t, d in decks_seen.items() if exported_as.get(t, d) != d}
    # answers no card here can take: of converted notes' cards no deck here has (a cloze taken
    # out of its note's text, a card taken out of its deck) and of cards deleted in Anki; each
    # card is named once, and again only when more answers of it come (`Store.told_unplaced`)
    exported = anki_progress.exported_notes(collection, known, converted_guids)
    others = anki_progress.converted_others(collection, cards, exported)
    of_others = _answers_of_cards(collection, others)
    # of a card deleted in Anki, the answers an earlier import took while its note was there
    # are in the log: not "not imported"
    deleted_ids = anki_progress.deleted_answers(collection) if result.deleted else {}
    imported_before: set[int] = set()
    if deleted_ids:
        with existing_store(db) as store_now:
            if store_now is not None:
                imported_before = store_now.held_anki_ids(
                    i for ids in deleted_ids.values() for i in ids
                )
    of_deleted = {
        c: n for c, ids in deleted_ids.items() if (n := sum(i not in imported_before for i in ids))
    }
    of_previews = anki_progress.preview_answers(collection) if result.previews else {}
    theirs = _answers_of(collection, elsewhere, cards)  # note -> answers
    # cards Anki added to a dlcards note (a reverse card): their note is known, not them
    more = anki_progress.extra_cards(collection, cards, exported)
    extra_notes = {c.note: more[c.id] for c in collection.cards if c.id in more}
    of_extra = _answers_of(collection, extra_notes, cards)
    # also said once: answers to cards here dated before 2000 (a clock gone back) and answers
    # to cards Anki added to a dlcards note (a reverse card): every later file of the
    # collection holds them too, and nothing the learner does here takes them
    kinds = {
        "answers": {**of_others, **of_deleted},
        "previews": of_previews,
        "early": early,
        "extra": of_extra,
    }
    left_out = {f"{kind}:{key}": n for kind, counts in kinds.items() for key, n in counts.items()}
    told: dict[str, int] = {}

    def newer(here: Mapping[str, Suspension]) -> dict[str, Suspension]:
        return anki_progress.newer_suspensions(there, here)

    flips: dict[str, Suspension] = {}  # of what `follow` writes, the flags it changes
    before: dict[str, Suspension] = {}  # the flags `follow` was given, in its transaction

    def follow(here: Mapping[str, Suspension]) -> dict[str, Suspension]:
        flips.clear()
        flips.update(newer(here))
        before.clear()
        before.update(here)
        return {**anki_progress.agreeing_later(there, here), **flips}

    if dry_run:
        if opened is not None:  # a damaged database's answer would be wrong
            opened.refuse_damaged()
        added = [r.card_id for r in _new_reviews(db, result.reviews)]
        moved = _resets_to_move(db, result.resets, result.reviews)
        leeches = _leech_changes(db, result.reviews, result.resets)
        here = _stored_suspensions(db, there)
        here_ahead = _stored_suspensions(db, ahead)
        here_buried = _stored_suspensions(db, buried)
        taken = newer(here)
        with existing_store(db) as store:
            unleeched = [] if store is None else store.unleech_untagged(untagged, write=False)
            told = {} if store is None else store.told_unplaced()
    else:
        from dlcards.grading import merge_rules
        from dlcards.terminal import stops_held_from_commit, stops_once_saved

        with _synced(db, extra, opened) as store:
            schedule_of(store)  # finishes a switch a killed `config` left half done
            # the new decks' cards, their reviews, the notes' GUIDs and the suspensions
            # taken from Anki: one transaction, all of them or none; a stop once it commits
            # waits for the import's last step
            with stops_held_from_commit() as stopped:
                with store.one_transaction():
                    if opened is not None:  # (else synced as the database was opened)
                        sync_if_needed(opened, extra, writes=True)
                    held = store.suspensions(there)
                    added = store.merge_reviews(result.reviews, merge_rules, result.resets, moved)
                    # after the merge, which may have made the leech the tag's removal takes off
                    unleeched = store.unleech_untagged(untagged)
                    # what each leech's note holds there now: a tag found is read as removed
                    # when a later file has the note without it; a note found without it
                    # newer than the one an export sent did not take the tag (Anki keeps the
                    # newer note), and a tag sent in an older one is not read as removed
                    found = {cid: (mod // 1000, False) for cid, mod in untagged.items()}
                    found |= {cid: (mod, True) for cid, mod in tagged.items()}
                    store.remember_leech_tags(found, seen=True)
                    told = store.told_unplaced()
                    store.remember_unplaced(left_out)
                    store.remember_anki_guids(guids)  # exported back, each is its Anki note
                    store.remember_anki_decks(decks_seen)
                    store.date_edits(note_times)  # ... as new as its note in Anki
                    # a leech the merge suspends (or a leech's suspension it takes back) is its
                    # own change, said as such (not as one "changed here later")
                    merged = store.suspensions(there)
                    leeches = {
                        cid: s
                        for cid, s in merged.items()
                        if cid in held and held[cid].suspended != s.suspended
                    }
                    # after the merge: a leech it suspends is a change made now, newer than Anki's
                    followed = store.follow_suspensions(follow, there)
                    kept = _RECORDS.get(id(written))
                    if kept is not None:  # the decks are the database's with this commit
                        store.forget_pending(kept[1])
                written.keep()  # the decks' cards and reviews are in: the decks stay
                saved.append(True)
                _RECORDS.pop(id(written), None)
                # saved: a stop from now on says so, at the end of the import's block
                stops_once_saved(_stopped_line(path, added))
            stop = stopped()
            if stop is not None:
                raise stop
            for line in said:
                echo(line)
            taken = dict(flips)
            here = {**before, **followed}  # as the transaction left them
            here_ahead = store.suspensions(ahead)
            here_buried = store.suspensions(buried)
    topic_of = {
        cid: catalog.topic_of(cid) or new_topics.get(cid) or retired.get(cid, "?")
        for cid in set(added)
    }
    _report("would import" if dry_run else "imported", path, added, topic_of)
    for topic, deck in sorted(moved_decks.items()):
        echo(
            f"  {'would name' if dry_run else 'named'} the Anki deck of {topic} "
            f"{quoted(deck)}, as in Anki, where its cards are: `export anki` writes it so"
        )
    if unkept:
        n = len(unkept)
        echo(
            f"  {'would keep' if dry_run else 'kept'} the Anki notes of {plural(n, 'card')} "
            f"converted before dlcards kept them ({listed(sorted(unkept))}): `export anki` "
            f"writes {'it as that note' if n == 1 else 'them as those notes'}, not a copy"
        )
    # (a card this import converted is in its deck now, though an import stopped before its
    # merge had synced it into the database and taken its deck back)
    gone = sorted(set(added) & (retired.keys() - new_topics.keys()))
    if gone:
        echo(
            f"  {plural(sum(1 for cid in added if cid in gone), 'review')} of "
            f"{plural(len(gone), 'card')} in no deck now ({listed(gone)}): kept in their log, "
            "as `show` says, and "
            "counted again if a deck has the id"
        )
    unknown = result.unknown_reviews - result.deleted - sum(theirs.values())
    unknown -= sum(of_extra.values()) + sum(of_others.values())
    if unknown:
        answered_notes = {c.note for c in collection.cards if c.id in of_others}
        notes = result.unknown_notes - len(theirs) - len(of_extra) - len(answered_notes)
        echo(
            f"not imported: {plural(unknown, 'review')} of {plural(notes, 'note')} dlcards "
            "does not know" + ("" if to_yaml else " (add --to-yaml DIR to bring those notes in)")
        )
    new_extra = _untold(told, "extra", of_extra)
    if new_extra:  # said once: the same answers stay in every later export of the collection
        answered = sorted({extra_notes[n] for n in new_extra})
        echo(
            f"not imported: {plural(sum(new_extra.values()), 'review')} of cards Anki added "
            f"to {plural(len(answered), 'dlcards note')} ({listed(answered)}; a reverse card, "
            "say): a dlcards card is its note's first card, whose reviews are imported; said "
            "once"
        )
    _unplaced(collection, others, _untold(told, "answers", of_others))
    if theirs:
        echo(
            f"not imported: {plural(sum(theirs.values()), 'review')} of "
            f"{plural(len(theirs), 'card')} dlcards exported from decks not loaded here "
            f"({listed(sorted(elsewhere[n] for n in theirs))}); pass their folder with "
            "--decks DIR to bring them in"
        )
    deleted = sum(_untold(told, "answers", of_deleted).values())
    if deleted:  # said once: the same answers stay in every later export of the collection
        echo(
            f"not imported: {plural(deleted, 'review')} of cards deleted in Anki (the "
            "file keeps their log but not their notes, so nothing says which cards they were; "
            "said once)"
        )
    if moved:  # only the cards whose point moves: importing the same file again moves none
        echo(
            f"reset in Anki: {plural(len(moved), 'card')}, each starting over from "
            "its last reset there (as after `dlcards reset`; earlier reviews stay in the log)"
        )
    previews = sum(_untold(told, "previews", of_previews).values())
    if previews:  # said once: they stay in every later export's log
        echo(
            f"not imported: {plural(previews, 'preview answer')} from Anki's filtered "
            "decks that do not reschedule (Anki leaves them out of scheduling too; said once)"
        )
    new_early = sum(_untold(told, "early", early).values())
    if new_early:  # said once: the same answers stay in every later export of the collection
        echo(
            f"not imported: {plural(new_early, 'answer')} dated before 2000 (the clock of "
            "the device that gave them had gone back, as one without its battery does to "
            "1970): no one can tell when they were given; said once"
        )
    _suspensions(dry_run, there, here, taken, leeches)
    # whether each stays suspended: as the flags are after the import (taken from Anki too)
    after = {**here, **taken} if dry_run else here
    _unleeched(
        dry_run, [(cid, after[cid].suspended if cid in after else s) for cid, s in unleeched]
    )
    _ahead(ahead, here_ahead)
    _buried(here_buried)
    if collection.scheduler_unsure:
        echo(
            f"{path} does not say which of Anki's schedulers logged its answers to cards in "
            "learning: read as V2's and v3's (Again, Hard, Good, Easy), as Anki reads them; if "
            "that Anki used its old V1 scheduler (Again, Good, Easy), each Hard here was a Good "
            "and each Good an Easy: export the whole collection (.colpkg) from it, which says"
        )
    if not collection.revlog and any(card.studied for card in collection.cards):
        # scheduling without its log: a package `export anki --with-progress` made, say
        echo(
            f"{path} carries its cards' schedules but no review log, so there are no "
            "reviews to bring back: study the cards in Anki, then export from Anki with "
            '"Include scheduling information" ticked'
        )
    elif not scheduled:
        # nothing studied or suspended there looks the same: neither says which it was
        echo(
            f"{path} shows no scheduling: no review history, every card new and active, as in "
            'a file Anki exported without "Include scheduling information" (or `dlcards export '
            "anki` without --with-progress); no reviews or suspensions are taken from it (if "
            "it was ticked, unsuspend here what you unsuspended there)"
        )
    elif not collection.revlog:  # its suspensions were read above
        echo(f"{path} has no review history: no card in it was answered in Anki")


def _stopped_line(path: Path, added: Sequence[str]) -> str:
    """The one line of an import stopped (Ctrl-C, `kill`, a closed terminal) once its writes
    had begun or once they were saved (`terminal.stops_once_saved`): they were finished
    first, so it says what is in the database now."""
    from dlcards.console import plural

    return (
        f"stopped: the import from {path} was finished first and is saved "
        f"({plural(len(added), 'review')} of {plural(len(set(added)), 'card')} added); "
        "`dlcards import anki` of the file again shows what it holds"
    )


def _differing(
    there: Mapping[str, Suspension],
    here: Mapping[str, Suspension],
    held: bool,
    leave_out: Container[str] = (),
) -> list[str]:
    """The cards `held` (suspended, or not) in `there` and the other way in `here`, sorted."""
    return sorted(
        cid for cid, s in there.items()
        if s.suspended == held and cid in here and here[cid].suspended != held
        and cid not in leave_out
    )  # fmt: skip


def _ahead(ahead: Mapping[str, Suspension], here: Mapping[str, Suspension]) -> None:
    """Name the cards whose flag differs from Anki's, where Anki changed them at a time to
    come (a device's clock ahead: `anki_progress.changed_ahead`), so that it was not taken."""
    from datetime import datetime

    from dlcards.console import plural

    for held, where, command in (
        (True, "in Anki, not here", "suspend"),
        (False, "here, not in Anki", "unsuspend"),
    ):
        ids = _differing(ahead, here, held)
        if ids:
            first = min(ahead[cid].changed or 0 for cid in ids)
            try:
                when = f"{datetime.fromtimestamp(first).astimezone():%Y-%m-%d %H:%M}"
            except (OverflowError, OSError, ValueError):  # past any calendar (a damaged file)
                when = "after the year 9999"
            echo(
                f"suspended {where}: {plural(len(ids), 'card')} ({listed(ids)}), not taken: "
                f"Anki changed {'it' if len(ids) == 1 else 'them'} at a time to come "
                f"({when}, the device's clock ahead); `dlcards {command} ID...` to match Anki"
            )


def _buried(here: Mapping[str, Suspension]) -> None:
    """Name the cards buried in Anki (for its day: not suspended there) that are suspended
    here: their flag is left as it is (`anki_progress.buried_cards`)."""
    from dlcards.console import plural

    ids = sorted(cid for cid, s in here.items() if s.suspended)
    if ids:
        them = "it" if len(ids) == 1 else "them"
        echo(
            f"suspended here, buried in Anki: {plural(len(ids), 'card')} ({listed(ids)}), "
            f"left as {them} {'is' if len(ids) == 1 else 'are'} here (burying lasts a day in "
            f"Anki and says nothing of a suspension); `dlcards unsuspend ID...` to study "
            f"{them} here"
        )


def _untold(told: Mapping[str, int], kind: str, counts: Mapping[int, int]) -> dict[int, int]:
    """Of `counts` (Anki card or note id -> answers left out, of one `kind` of
    `Store.told_unplaced`), those an import has not said with as many answers before."""
    return {key: n for key, n in counts.items() if n > told.get(f"{kind}:{key}", 0)}


def _unplaced(collection: Collection, others: Mapping[int, str], new: Mapping[int, int]) -> None:
    """Name the cards of converted notes that no deck here has whose answers the file holds
    and no import said with as many answers before (`others`: Anki card id -> the id it would
    have here; `new`: their counts, `_untold`): a cloze taken out of its note's text (Anki's
    empty card), or a card taken out of its deck, each with what to do."""
    from dlcards.console import plural
    from dlcards.importers.anki_progress import empty_clozes

    empty = empty_clozes(collection, new)
    for cards, why in (
        (
            [c for c in new if c in empty],
            "no longer in {its} note's text: an empty card in Anki, which its Tools > Empty "
            "Cards deletes; said once",
        ),
        (
            [c for c in new if c not in empty],
            "taken out of {its} deck: put it back there to bring {its} reviews in; said once",
        ),
    ):
        if cards:
            why = why.format(its="its" if len(cards) == 1 else "their")
            echo(
                f"not imported: {plural(sum(new[c] for c in cards), 'review')} of "
                f"{plural(len(cards), 'card')} of converted notes that no deck here has "
                f"({listed(sorted(others[c] for c in cards))}): {why}"
            )


def _answers_of_cards(collection: Collection, cards: Container[int]) -> dict[int, int]:
    """How many answers the file holds of each of these Anki cards that have some."""
    from dlcards.importers.anki_progress import is_answer

    if not cards:
        return {}
    out: Counter[int] = Counter()
    for row in collection.revlog:
        if row.card in cards and is_answer(row):
            out[row.card] += 1
    return dict(out)


def _answers_of(
    collection: Collection, notes: Mapping[int, str], cards: Mapping[int, str]
) -> dict[int, int]:
    """How many answers the file holds of each of these notes that have some, counting only
    the cards not imported (not in `cards`)."""
    from dlcards.importers.anki_progress import is_answer

    if not notes:
        return {}
    note_of = {c.id: c.note for c in collection.cards if c.note in notes and c.id not in cards}
    out: Counter[int] = Counter()
    for row in collection.revlog:
        if row.card in note_of and is_answer(row):
            out[note_of[row.card]] += 1
    return dict(out)


def _suspensions(
    dry_run: bool,
    there: Mapping[str, Suspension],
    here: Mapping[str, Suspension],
    taken: Mapping[str, Suspension],
    leeches: Mapping[str, Suspension],
) -> None:
    """Say which flags the merge's leech actions changed (`leeches`), which the import took
    from Anki (the newer change wins: `anki_progress.newer_suspensions`), and which cards are
    still suspended on one side only because dlcards changed them later, with the command
    that would match Anki."""
    from dlcards.console import plural

    def spaced(ids: Sequence[str]) -> str:  # as a command takes them
        return " ".join(ids[:5]) + (" ..." if len(ids) > 5 else "")

    for flag in (True, False):
        ids = sorted(cid for cid, s in leeches.items() if s.suspended == flag)
        if not ids:
            continue
        n, them = plural(len(ids), "card"), "it" if len(ids) == 1 else "them"
        if dry_run:
            echo(
                f"would suspend {n} the imported reviews would make a leech ({spaced(ids)}), "
                "as leech_action says"
                if flag
                else f"would unsuspend {n} ({spaced(ids)}): with the imported reviews in the "
                f"log, no review would make {them} a leech any more"
            )
            continue
        echo(
            f"suspended {n} the imported reviews made a leech ({spaced(ids)}), as leech_action "
            f"says; `dlcards unsuspend ID...` to study {them} again"
            if flag
            else f"unsuspended {n} ({spaced(ids)}): with the imported reviews in the log, no "
            f"review makes {them} a leech any more"
        )
    if taken:
        parts = []
        for flag, verb in ((True, "suspend"), (False, "unsuspend")):
            ids = sorted(cid for cid, s in taken.items() if s.suspended == flag)
            done = f"would {verb}" if dry_run else f"{verb}ed"
            if ids:  # "unsuspended 0 cards" says nothing
                parts.append(f"{done} {plural(len(ids), 'card')} ({spaced(ids)})")
        echo(f"as in Anki, where they changed later: {', '.join(parts)}")
    # what is left different (after a dry run: what would be)
    after = {cid: taken.get(cid, s) for cid, s in here.items()}
    for held, where, command in (
        (True, "in Anki, not here", "suspend"),
        (False, "here, not in Anki", "unsuspend"),
    ):
        ids = _differing(there, after, held, leeches)
        if ids:
            echo(
                f"suspended {where}: {plural(len(ids), 'card')} ({spaced(ids)}), changed "
                f"later here or in a newer import, and kept; `dlcards {command} ID...` to match "
                "Anki"
            )


def _unleeched(dry_run: bool, unleeched: Sequence[tuple[str, bool]]) -> None:
    """Say which leeches lost their mark because their note's `leech` tag was removed in
    Anki, and which of them stay suspended (as after `dlcards unleech`)."""
    from dlcards.console import plural

    if not unleeched:
        return
    ids = sorted(cid for cid, _ in unleeched)
    held = sorted(cid for cid, suspended in unleeched if suspended)
    verb = "would take" if dry_run else "took"
    echo(
        f"{verb} the leech mark off {plural(len(ids), 'card')} ({' '.join(ids)}) whose note's "
        "`leech` tag was removed in Anki, as `dlcards unleech` does: lapses, log and schedule "
        "kept"
        + (
            f"; still suspended ({' '.join(held)}): `dlcards unsuspend ID...` to study "
            f"{'it' if len(held) == 1 else 'them'} again"
            if held
            else ""
        )
    )


def _stored_suspensions(db: str | None, cards: Iterable[str]) -> dict[str, Suspension]:
    """The flags the database holds for these cards; a card it does not hold yet (no database
    yet, or a deck the import's sync would add) as the sync would add it: active, its flag never
    changed here."""
    from dlcards.store.rows import Suspension

    cards = list(cards)
    with existing_store(db) as store:
        held = {} if store is None else store.suspensions(cards)
    return {cid: held.get(cid, Suspension(False, None)) for cid in cards}


@contextmanager
def _synced(db: str | None, decks: Sequence[str], opened: Store | None) -> Iterator[Store]:
    """`synced_store`; or the store opened before the file was read (`_checked_meanwhile`)
    or before the decks were written, when there is one, for its caller to sync in its
    transaction."""
    if opened is None:
        with synced_store(db, decks, writes=True) as store:
            yield store
        return
    yield opened


def _exported_decks(db: str | None, opened: Store | None, catalog: Catalog) -> dict[str, str]:
    """The Anki deck `export anki` names for each topic now (`common.anki_deck_names`), from
    the database `opened`, else the one at `db` if there is one."""
    with nullcontext(opened) if opened is not None else existing_store(db) as store:
        return anki_deck_names(catalog, store)


def _collection_facts(
    db: str | None, opened: Store | None = None
) -> tuple[dict[str, str], int, dict[str, str]]:
    """Every card the database knows, in a deck now or not (id -> topic), its
    `day_starts_at`, and the Anki GUIDs of the cards converted from notes of one card
    (`Store.anki_guids`); no card, the default hour and no GUID before the database exists.
    `opened`: the store already open, if any."""
    from dlcards.settings import DAY_STARTS_AT

    with nullcontext(opened) if opened is not None else existing_store(db) as store:
        if store is None:
            return {}, DAY_STARTS_AT, {}
        cards = dict(store.query("SELECT id, topic FROM cards"))
        return cards, store.settings().day_starts_at, store.anki_guids()


def _new_reviews(db: str | None, rows: Sequence[ImportedReview]) -> list[ImportedReview]:
    """What an import would add, without writing (no database yet: all of them)."""
    with existing_store(db) as store:
        if store is None:
            return list({r.anki_id: r for r in rows}.values())
        return store.new_reviews(rows)


def _leech_changes(
    db: str | None, rows: Sequence[ImportedReview], resets: Mapping[str, int]
) -> dict[str, Suspension]:
    """The flags an import's leech decisions would change, without writing. Before the
    database exists, as the import would decide them in the one it makes: an empty database
    with the default settings, made in a folder of its own in the temporary folder and removed
    (its cards all new, none suspended; enough lapses in the file still make a leech)."""
    from dlcards.grading import merge_rules
    from dlcards.store import Store
    from dlcards.store.rows import Suspension

    with existing_store(db) as store:
        if store is not None:
            changes = store.leech_changes(rows, merge_rules, resets)
            return {cid: Suspension(flag, None) for cid, flag in changes.items()}
    with (
        _unpacking_folder("dlcards-dry-run-") as folder,
        Store.open(Path(folder) / "dlcards.db") as scratch,
    ):
        changes = scratch.leech_changes(rows, merge_rules, resets)
    return {cid: Suspension(flag, None) for cid, flag in changes.items()}


def _resets_to_move(
    db: str | None, resets: Mapping[str, int], rows: Sequence[ImportedReview]
) -> list[str]:
    """The cards whose reset point an import of `rows` would move, without writing (no
    database yet: every card reset in Anki that `rows` study before its reset)."""
    from dlcards.store.merge import studied_before_reset

    with existing_store(db) as store:
        if store is None:
            return studied_before_reset(resets, rows)
        return store.resets_to_move(resets, rows)


def _report(verb: str, path: Path, card_ids: Sequence[str], topic_of: Mapping[str, str]) -> None:
    from dlcards.console import plural

    head = (
        f"{verb} {plural(len(card_ids), 'review')} of {plural(len(set(card_ids)), 'card')} "
        f"from {path}"
    )
    if not card_ids:
        echo(f"{head}: nothing new")
        return
    echo(head + ":")
    for topic, count in sorted(Counter(topic_of[cid] for cid in card_ids).items()):
        echo(f"  {topic}: {plural(count, 'review')}")


def _topics_beside(out: Path) -> set[str]:
    """The topics of the deck files already in `out` that a conversion would not write over:
    those whose file is not named after its topic (`custom.yaml` of topic `mine`), so that no
    deck written beside them takes one (a file that does not parse is left to the commands
    that load it)."""
    from dlcards.catalog import read_deck
    from dlcards.errors import DeckError
    from dlcards.prompt import is_deck_name

    topics = set()
    for file in sorted(out.iterdir()) if out.is_dir() else ():
        if not is_deck_name(file.name) or not file.is_file():
            continue
        try:
            topic = read_deck(file).topic
        except (DeckError, OSError):
            continue
        if file.name != f"{topic}.yaml":
            topics.add(topic)
    return topics


def _holds(path: Path, deck: YamlDeck, source: str) -> bool:
    """Whether deck file `path` holds exactly what `--to-yaml` writes for `deck` now."""
    from dlcards.importers.anki_notes import deck_yaml

    try:
        return path.read_bytes() == deck_yaml(deck, source).encode("utf-8")
    except OSError:
        return False


def _to_yaml(
    collection: Collection,
    source: Path,
    out: Path,
    catalog: Catalog,
    dry_run: bool,
    force: bool,
    retired: Mapping[str, str],
    elsewhere: Mapping[int, str],
    exported: Mapping[int, str],
    written: Replaced,
    topic_decks: Mapping[str, str] | None = None,
) -> tuple[Converted, list[str]]:
    """The notes as YAML decks, written to `out` unless `dry_run`; reports what it did.
    A deck file already in `out` is written over only with `force` (else nothing is
    written). Notes dlcards exported are not converted: those of cards here (in a deck or
    kept in the database), `exported`'s (note id -> card: cards converted before, exported
    with their Anki note's GUID), and `elsewhere`'s, of cards from decks not loaded (a copy of
    such a card under another id would be studied beside the card itself once its deck is).
    What was written is recorded in `written` (for the caller to undo if the merge fails);
    the report's lines are returned with the result, for the caller to show once the decks
    are there to stay."""
    said: list[str] = []
    echo = said.append
    from dlcards.console import plural
    from dlcards.errors import UsageError
    from dlcards.export.anki import note_guids
    from dlcards.importers.anki_notes import convert_notes, write_decks

    if out.exists() and not out.is_dir():
        raise UsageError(f"--to-yaml {out} is a file, not a directory; give a folder for the decks")
    here = out.resolve()
    try:
        str(here).encode("utf-8")
    except UnicodeEncodeError:  # the decks could be written, never loaded (`deck_files`)
        shown = os.fsencode(here).decode("utf-8", "backslashreplace")
        raise UsageError(
            f"--to-yaml {shown}: the folder's name is not UTF-8 text; give another folder"
        ) from None
    # from the index (the decks' files are resolved paths): no card is loaded
    taken = {info.topic for info in catalog.infos if info.file.parent != here}
    taken |= _topics_beside(out)
    # notes of cards dlcards exported, in a deck or kept in the database from one
    guids = set(note_guids([*catalog.ids(), *retired, *elsewhere.values()]))
    guids |= {n.guid for n in collection.notes if n.id in exported}  # one note per GUID
    # cards an earlier --to-yaml converted into decks of another folder: the same ids
    before = {cid for info in catalog.infos if info.file.parent != here for cid in info.ids}
    # of those, the cards of a note kept without its note type (an older dlcards's decks):
    # only the decks that hold a note's GUID are read
    kept = [i.topic for i in catalog.infos if i.guid_text and i.file.parent != here]
    untyped = {
        card.id: card.file
        for cards in (catalog.stream(kept) if kept else ())
        for card in cards
        if card.anki_guid is not None and card.anki_note_type is None
    }
    # the Anki deck of each topic whose deck file is not in `out` (`topic_decks`: as `export
    # anki` names it): a note added there on the phone is the topic's own card
    defining = catalog.defining()
    joined = {
        name.casefold(): (topic, defining[topic].title)
        for topic, name in (topic_decks or {}).items()
        if topic in defining and defining[topic].file.parent != here
    }
    result = convert_notes(collection, taken, guids, before, untyped, joined)
    # a deck file that holds what this import writes is not written over: an import whose
    # merge failed after it wrote the decks (a locked database) is simply run again
    there = [
        out / d.file_name
        for d in result.decks
        if (out / d.file_name).exists() and not _holds(out / d.file_name, d, source.name)
    ]
    if there and not force:  # the dry run says it too: the import would write nothing
        names = ", ".join(str(p) for p in there[:3]) + (", ..." if len(there) > 3 else "")
        raise UsageError(
            f"--to-yaml would write over {plural(len(there), 'deck file')} already in "
            f"{out} ({names}); add --force to replace {'it' if len(there) == 1 else 'them'}, "
            "or give another folder (nothing written)"
        )
    if not dry_run:
        try:
            write_decks(result, out, source.name, written)
        except OSError as err:
            raise UsageError(
                f"cannot write the decks to {out}: {err.strerror or err}",
                outcome=f"no deck written; {NOTHING_IMPORTED}",
            ) from None
    verb = "would write" if dry_run else "wrote"
    cards = sum(len(d.cards) for d in result.decks)
    media = f" and {plural(len(result.media), 'media file')}" if result.media else ""
    if result.decks:
        echo(
            f"{verb} {plural(len(result.decks), 'deck')} with {plural(cards, 'card')}{media} "
            f"to {out}"
        )
    else:  # (and no folder made for it: `write_decks`)
        echo(f"{verb} no deck: no note of {source.name} makes a new card")
    if result.missing:
        echo(
            f"  {plural(len(result.missing), 'media file')} the cards show "
            f"{'is' if len(result.missing) == 1 else 'are'} not in {source.name} "
            f"({listed(result.missing)}): the cards name "
            f"{'it' if len(result.missing) == 1 else 'them'} in {out / 'media'}; export from "
            'Anki with "Include media" ticked, or copy them there from Anki\'s media folder'
        )
    for name, count in sorted(result.skipped.items()):
        why = result.why.get(name, "cannot convert it")
        echo(f"  skipped {plural(count, 'note')} of note type {quoted(name)}: {why}")
    for name, count in sorted(result.empty.items()):
        echo(
            f"  skipped {plural(count, 'card')} of note type {quoted(name)} with an empty "
            "question or answer: a dlcards card needs both"
        )
    for name, count in sorted(result.no_cloze.items()):
        echo(
            f"  skipped {plural(count, 'card')} of note type {quoted(name)} with no cloze of its "
            "number in the note's text: Anki shows an error for such a card (Tools > Empty "
            "Cards removes it)"
        )
    for tag, anki in result.merged.items():
        echo(
            f"  Anki's tags {' and '.join(map(quoted, anki))} are one tag here, {quoted(tag)} "
            "(a dlcards tag has no spaces or control characters)"
        )
    if result.before:
        echo(
            f"  skipped {plural(result.before, 'card')} converted before, in the decks loaded "
            "here (their reviews come in)"
        )
    if result.untyped:
        files = sorted(set(result.untyped.values()))
        echo(
            f"  {plural(len(result.untyped), 'card')} converted by an older dlcards "
            f"({listed(sorted(result.untyped))}) keep no `anki_note_type:` in the deck: "
            'exported, the note is "conflicting" in Anki, which takes no edit made here; move '
            f"{listed(files)} out of the decks and run this import again to convert anew (the "
            "same card ids: the reviews stay)"
        )
    if result.exported - len(elsewhere):
        echo(
            f"  skipped {plural(result.exported - len(elsewhere), 'note')} dlcards exported "
            "(already here)"
        )
    if elsewhere:
        echo(
            f"  skipped {plural(len(elsewhere), 'note')} of cards dlcards exported from decks "
            f"not loaded here ({listed(sorted(elsewhere.values()))}); pass their folder with "
            "--decks DIR to bring them in"
        )
    if result.decks and not dry_run:
        echo(f"  study them with --decks {out} (or add it to DLCARDS_DECKS)")
    return result, said
