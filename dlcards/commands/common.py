"""Helpers the commands share: the day, the clock, and an open, synced store. Free of the CLI
framework, so that the fast path (dlcards.quick) runs commands without it."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, nullcontext, suppress
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, TextIO, TypeVar
from weakref import WeakKeyDictionary

from dlcards.days import today_from as today_from
from dlcards.store.count import AHEAD_DAYS as AHEAD_DAYS
from dlcards.store.count import REBUILD_PENDING as REBUILD_PENDING

if TYPE_CHECKING:
    from rich.console import Console

    from dlcards.catalog import Catalog, DeckInfo, Loading
    from dlcards.deck import Card
    from dlcards.scheduling import Schedule
    from dlcards.search import Query
    from dlcards.settings import Settings
    from dlcards.store import Store
    from dlcards.store.core import Rebuild

T = TypeVar("T")


def not_before_the_log(
    store: Store, day: date, option: str | None, now: datetime | None = None
) -> date:
    """The study day `day` (`today_from(option)`) when a day was given (--today,
    DLCARDS_TODAY), else the study day by the clock at `now` (`day_by_clock`)."""
    from dlcards.days import given_day

    if option is not None or given_day():
        return day
    return day_by_clock(store, now)


def day_by_clock(store: Store, now: datetime | None = None) -> date:
    """The local study day at `now` (default: the clock) by the collection's `day_starts_at`
    hour, moved forward to the log's newest day when that is up to AHEAD_DAYS ahead: studied
    in Tokyo and opened in Hawaii, the reviews already given are not in the future, their
    cards are not due again, and a new grade is not logged before them. A zone moves the
    date, not the moment: the newest review was given before now. When the clock says it was
    given later, the clock was set back (it was ahead, and was set right), and the local day
    is today, as Anki's day follows the clock: kept at the log's day, the day of a clock two
    weeks ahead set right jumped two days ahead ten days later. Further ahead too, the local
    day stays. The store then reads the reviews logged after it as past
    (`Reports.take_clock_day`). A study session asks it again before each card (the day may
    change under it). The shell prompt's count reckons the same day (`count.clock_day`)."""
    from dlcards.days import local_study_day

    moment = now or clock()
    day = local_study_day(store.settings().day_starts_at, moment)  # the collection's own hour
    newest = store.newest_review_day()
    if newest is not None and 0 < (newest - day).days <= AHEAD_DAYS:
        given = store.newest_moment_on(newest)
        if given is None or given <= moment.timestamp() * 1000:
            day = newest  # a time zone west: the reviews' moments are past, their day is ours
    store.take_clock_day(day)  # reviews logged after it are past (a clock set back), not future
    return day


def clock() -> datetime:
    return datetime.now().astimezone()


def schedule_of(store: Store, instead: str = "", outcome: str | None = None) -> Schedule:
    """The collection's schedulers, the active one chosen by its settings (finishing a rebuild
    that a killed `config` left half done). A database that cannot be written, holding such a
    rebuild, is refused in one line that says why this command must write to it and what to
    do (`instead`: what else the learner can run, `outcome`: what the refusal left): it said
    only that the database was read-only, to a command (`export anki --with-progress`) that
    writes nothing otherwise."""
    from dlcards.scheduling import Schedule

    if store.get_meta(REBUILD_PENDING) is not None:
        if store.read_only is not None:
            from dlcards.errors import StoreError

            switch = store.settings().scheduler
            raise StoreError(
                f"database {store.path} holds a change of scheduler to {switch} left half done "
                f"(a `dlcards config scheduler {switch}` stopped before every card's state was "
                "rebuilt from its review log), and finishing it writes to the database, which "
                f"cannot be written ({store.read_only}): make it writable, then run this again "
                f"or `dlcards due`, either of which finishes it{instead and f'; or {instead}'}",
                outcome=outcome or "nothing was written",
            )
        store.rebuild_all(replay_for)
        store.delete_meta(REBUILD_PENDING)
    return Schedule.from_settings(store.settings())


def replay_for(settings: Settings) -> Rebuild:
    """The rebuild of a card's memory from its log that the settings ask for."""
    from dlcards.scheduling import Schedule

    return Schedule.from_settings(settings).replay


def db_path(option: str | None) -> Path | None:
    """The database `--db` names; None when it is not given. An empty one (`--db "$UNSET"`) is
    an error: taken for "not given", it would open the default collection instead."""
    if option is None:
        return None
    if not option.strip():
        from dlcards.errors import UsageError

        raise UsageError("--db is empty; give the database file (is a variable unset?)")
    return Path(option).expanduser()


def database_of(db: str | None) -> Path:
    """The database `--db` (or DLCARDS_DB, or the default) names, whether it exists or not:
    for a command that must never write over it (an export's `-o`)."""
    from dlcards.paths import db_location

    return db_location(db_path(db))[0]


def checked_db(db: str | None) -> Path:
    """The database the command opens. One the user named (`--db` or DLCARDS_DB) must be in a
    directory that exists, so that a typo is not taken for a new, empty collection; the default
    location is created on first use."""
    from dlcards.errors import StoreError
    from dlcards.paths import db_location

    path, named = db_location(db_path(db))
    if named and not path.exists() and not path.parent.is_dir():
        what = "is not a directory" if path.parent.exists() else "does not exist"
        raise StoreError(
            f"cannot create database {path}: {path.parent} {what}; "
            "check the path (--db or DLCARDS_DB) or create the directory"
        )
    return path


def read_db(db: str | None) -> Path:
    """The database a command that only reads opens (`show`), which it does not create when
    it is not there: `checked_db`'s checks, and for a file not there yet, the one a writing
    command would make first (its directory writable), so that a path no command could use
    is an error here too, not a collection in which nothing was studied."""
    from dlcards.errors import StoreError
    from dlcards.paths import db_location
    from dlcards.store import existing_file

    path = checked_db(db)
    if existing_file(path) or not db_location(db_path(db))[1]:
        return path  # there, or the default location, made at the first write
    import tempfile  # (~4 ms, with shutil and random: not for a file that is there)

    try:  # a file made and removed beside it: what the first write would do (as root too)
        with tempfile.NamedTemporaryFile(dir=path.parent, prefix=".dlcards-probe-"):
            pass
    except OSError as err:
        raise StoreError(
            f"cannot create database {path}: {err.strerror or err}; check the path "
            "(--db or DLCARDS_DB)"
        ) from None
    return path


@contextmanager
def opened_store(
    db: str | None,
    patience: float | None = None,
    decks: Sequence[str] | None = None,
    notice: bool = True,
) -> Iterator[Store]:
    """The store of `--db` (or the default), closed after the block; `patience`: see
    `Store.open`. `decks`: for a command that syncs them next (`sync_if_needed`, `notice` as
    there): a database not there yet is made with them in it (`built_first`)."""
    from dlcards.store import Store

    path = checked_db(db)
    said_interrupted_restore(path)
    catalog = None if decks is None else built_first(path, decks, notice)
    if decks is None:
        after_a_build(path, notice)
    store = Store.open(path, patience)
    if catalog is not None:
        _built[store] = catalog
    try:
        undo_killed_writes(store)
        yield store
    finally:
        store.close()


def said_interrupted_restore(path: Path) -> None:
    """A `doctor --restore` of the database at `path` killed outright: which database is
    there now, said in one line, and the restore finished (`doctor.interrupted_restore`)."""
    from dlcards.paths import restore_mark

    if not restore_mark(path).exists():  # (a stat: the store's heavier modules only after)
        return
    from dlcards.stdio import say
    from dlcards.store.doctor import interrupted_restore

    line = interrupted_restore(path)
    if line is not None:
        say(line)


def undo_killed_writes(store: Store) -> None:
    """The file writes recorded in `store` (`Store.pending_files`) by a command killed
    outright (SIGKILL) before its commit, undone before this command reads a deck or writes:
    the deck files of an `import anki --to-yaml` whose cards and reviews were never committed
    (`fileio.undo_record`), so that the decks, the cards and the log agree. Best effort: a
    record that cannot be undone or forgotten now (a lock) is for the next command."""
    import json

    from dlcards.errors import DlcardsError
    from dlcards.fileio import undo_record

    try:
        pending = store.pending_files()
    except DlcardsError:
        return
    for key, value in pending.items():
        try:
            record = json.loads(value)
        except ValueError:
            record = None
        if record is not None and not undo_record(record):
            continue  # its writer still runs
        with suppress(DlcardsError):
            store.forget_pending(key)
    if not pending and store.read_only is None:
        # the header's mark of none kept, for `decks_as_committed`: written once, by the
        # first command to open a database an older dlcards made (not waited for: a writer
        # holding the lock now leaves it to the next command)
        with suppress(DlcardsError), store.waiting_at_most(0):
            store.forget_pending()


def decks_as_committed(db: str | None) -> None:
    """For a command that reads the deck folders without opening the store first (`topics`,
    `list`, `show`, `check`, `add`, `edit`, the exports): the deck files of an import killed
    outright before its commit taken back first (`undo_killed_writes`), as the next command
    that opens the store takes them back; else the killed import's decks were read as the
    learner's until then. The store is opened only when the database holds such a record
    (`store.count.pending_files_at`: the file's header, a third of a millisecond, where a
    query of `meta` took 3-4 ms of `show`'s and `topics`'s ~140 and ~85; opening the store, a
    tenth of a second). Best effort: a database that cannot be opened now is left to the
    commands that need it (they say why)."""
    from dlcards.errors import DlcardsError
    from dlcards.store.count import pending_files_at

    if not pending_files_at(str(database_of(db))):
        return
    with suppress(DlcardsError), existing_store(db):
        pass  # (opening it takes the files back)


_built: WeakKeyDictionary[Store, Catalog] = WeakKeyDictionary()
"""The decks' catalog of a store whose database this process just built with them in it
(`built_first`): what its `sync_if_needed` gives."""


def after_a_build(path: Path, notice: bool) -> None:
    """With no database at `path` and another process building one beside it (a first sync,
    `built_first`), wait for its turn to end before making one at the path: a command that
    does not sync (`config`, `doctor`, `backup`) made an empty database there meanwhile, the
    build could not be put in its place, and the first sync was done again into that file
    (100,000 cards: 3.3 -> 7.8 s)."""
    from dlcards.store import existing_file
    from dlcards.store.build import under_way

    if not existing_file(path) and under_way(path):
        with _sync_turn(path, notice):
            pass


def built_first(path: Path, decks: Sequence[str], notice: bool) -> Catalog | None:
    """With no database at `path`, the first sync's: the database built beside it with the
    decks in it and put there whole (`Store.build`: its commit writes no log to copy again,
    0.3-0.5 s of a first sync of 100,000 cards), in this process's turn (`_sync_turn`); the
    catalog read. None when a file is there (made by another process while this one waited for
    its turn) or none was built (`Connection.open` then makes it, and the sync fills it)."""
    from dlcards.store import Store, existing_file

    if existing_file(path):
        return None
    from dlcards.catalog import DECKS_SETTLE_S, Unsettled, deck_files, files_signature, settled
    from dlcards.cores import gc_paused
    from dlcards.prompt import observe

    def attempt(looked: int | None) -> Catalog | None:
        observed = None if decks else observe()
        files = deck_files(decks)
        signature = files_signature(files)

        def build(store: Store) -> Catalog:
            try:
                return _sync(store, decks, files, signature, observed, notice)
            except FileNotFoundError as err:  # not the database's: a deck file being saved
                if looked is not None:
                    raise Unsettled(DECKS_SETTLE_S) from None
                from dlcards.errors import UsageError

                raise UsageError(
                    f"deck file {err.filename} was removed while it was read; try again"
                ) from None

        with _sync_turn(path, notice), gc_paused():
            return Store.build(path, build)

    # a deck file renamed away by an editor saving it, between its listing and its read, was
    # said as "cannot make database …: No such file or directory" (`settled` waits for it)
    return settled(attempt, decks)


@contextmanager
def existing_store(db: str | None) -> Iterator[Store | None]:
    """`opened_store` when the database is there; None before it exists (nothing created),
    for a command that only reads what a database may hold (an import's dry run, say)."""
    from dlcards.paths import default_db

    if not (db_path(db) or default_db()).exists():
        yield None
        return
    with opened_store(db) as store:
        yield store


def catalog_with(card_ids: Sequence[str], decks: Sequence[str]) -> Catalog:
    """`load_catalog(decks)`, looked at again while the deck files settle when a card id of
    `card_ids` is in no deck (its deck file saved by an editor just then, missing or half
    written for a moment: `dlcards show ID` said the card was in no deck now)."""
    from dlcards.catalog import Unsettled, load_catalog, settled

    def attempt(looked: int | None) -> Catalog:
        catalog = load_catalog(decks)
        if looked is not None and any(catalog.topic_of(c.strip()) is None for c in card_ids):
            raise Unsettled(found=catalog)  # said by `deck_card`, once the files are as saved
        return catalog

    return settled(attempt, decks)


def deck_card(catalog: Catalog, card_id: str, db: str | None) -> Card:
    """`catalog.card(card_id)`. An id no deck has that the database knows (its deck dropped
    it, whether a sync has retired it yet or not; its log is kept) is refused saying so, not as
    an unknown id: a learner who studied it is told where it went."""
    from dlcards.errors import UsageError

    try:
        return catalog.card(card_id)
    except UsageError:
        card_id = card_id.strip()
        reviews = _retired_reviews(card_id, db)
        if reviews is None:
            raise
    from dlcards.console import escaped, plural

    raise UsageError(
        f"card '{escaped(card_id)}' is in no deck now: its deck no longer has it; its log "
        f"({plural(reviews, 'review')}) is kept and comes back with it if a deck has the id again"
    )


def _retired_reviews(card_id: str, db: str | None) -> int | None:
    """`Store.retired_reviews` in the database the command would open; None when there is
    none yet or it cannot be read (the id is then simply unknown)."""
    from dlcards.errors import DlcardsError
    from dlcards.store import Store

    try:
        path = checked_db(db)
        if not path.is_file():
            return None
        with Store.open(path) as store:
            return store.retired_reviews(card_id)
    except DlcardsError:
        return None


def sync_if_needed(
    store: Store,
    decks: Sequence[str],
    notice: bool = True,
    writes: bool = False,
    wait: bool = True,
    wait_gone: bool = True,
) -> Catalog | None:
    """Sync the decks into the store when a deck file changed; returns the catalog if loaded.
    `notice`: a sync that parses many megabytes says so on a terminal's standard error while
    it runs (`reading_notice`); False for a shell prompt's count. `writes`: the command writes
    to the database next, so one that cannot be written is refused now, in one line (a note
    that the decks' changes are not in it, "what it holds is shown", would precede a refusal
    and show nothing). A deck file found missing, not loading, or with cards gone is waited
    for until the deck files have been left alone for `catalog.DECKS_SETTLE_S` (an editor's
    save half done is none of those a moment later), and cards are retired only from deck
    files left alone for `catalog.DECKS_GONE_S`. `wait` False (a study session): nothing is
    waited for, and `catalog.Unsettled` is raised instead (nothing written); `wait_gone` False
    (a prompt's count): the same for cards gone only, an error is said as by `wait`."""
    if writes and store.read_only is not None:
        from dlcards.errors import StoreError

        raise StoreError(store.read_only)
    if (built := _built.pop(store, None)) is not None:
        return built  # the decks this process just built the database with (`opened_store`)
    from dlcards.catalog import settled

    # a deck file that is missing, does not load or lost cards may be an editor's save half
    # done: taken as the learner's only once the deck files have been left alone a while
    return settled(
        lambda looked: _sync_as_found(store, decks, notice, looked), decks, wait, wait_gone
    )


def _sync_as_found(
    store: Store, decks: Sequence[str], notice: bool, looked: int | None
) -> Catalog | None:
    """`sync_if_needed`'s one look at the deck files, and their sync when they changed. With
    `looked` (when the look began), cards the decks no longer have are not retired while the
    deck files are settling (`catalog.Unsettled`, nothing written): not before they have been
    left alone for `catalog.DECKS_GONE_S`."""
    from dlcards.catalog import deck_files, files_signature
    from dlcards.prompt import observe

    # what `dlcards due --count` alone compares, seen before the files are listed: a file
    # added or saved meanwhile then differs from it, and that count leaves it to a sync
    observed = None if decks else observe()
    if observed is not None and _as_last_synced(store, observed):
        return None  # what `due --count` trusts: the files the last sync listed, unchanged
    files = deck_files(decks)
    signature = files_signature(files)
    if store.is_synced(signature):
        return None
    if store.read_only is not None:  # shown as it is: nothing can be written to it
        if notice and not _holds_as_found(store, decks, files):
            from dlcards.stdio import say

            say(
                f"note: database {store.path} cannot be written, so the decks' changes since "
                "it was last synced are not in it; what it holds is shown"
            )
        return None
    from dlcards.cores import gc_paused

    # a big sync makes a parsed card, its digests and its rows per card (the parse's workers
    # send them as objects): the collector would walk them all again and again
    retiring = None
    if looked is not None:
        from dlcards.catalog import DECKS_GONE_S, Unsettled, settling

        at = looked

        def retiring(ids: Sequence[str]) -> None:
            if settling(decks, at, quiet=DECKS_GONE_S) is not None:
                raise Unsettled(DECKS_GONE_S)

    from dlcards.terminal import stops_as_ctrl_c

    def stopped() -> str:
        """The line of a stop in the sync of a reading command (`due` after a deck edit):
        whether the changes were taken in, as a stopped writer says whether its change was
        made (a `kill` died of the signal, not a word, its -wal left). A writer's own block
        takes the stop and says its own line instead."""
        try:
            done = store.is_synced(signature)
        except Exception:  # (the database gone from under it: its own line comes later)
            return "stopped: the decks' changes may not have been synced into the database"
        if done:
            return "stopped: the decks' changes were synced into the database"
        return "stopped: the decks' changes were not synced; the next command syncs them"

    with stops_as_ctrl_c(unsaved=stopped), _sync_turn(store.path, notice), gc_paused():
        if store.is_synced(signature):  # another process synced them while this one waited
            return None
        return _sync(store, decks, files, signature, observed, notice, retiring)


def _sync(
    store: Store,
    decks: Sequence[str],
    files: Sequence[Path],
    signature: str,
    observed: str | None,
    notice: bool,
    retiring: Callable[[Sequence[str]], None] | None = None,
) -> Catalog:
    """`sync_if_needed`'s sync, in this process's turn (`_sync_turn`). `retiring`: asked
    before cards are retired (`Store.sync_decks`)."""
    from dlcards.catalog import Loading, stamp_time
    from dlcards.store.rows import DeckPart

    # the check of the tables the sync writes, in a thread from here on (SQLite works without
    # the GIL): reading the deck cache's index and the decks go on meanwhile
    checking = _check_sync_tables_in_background(store)
    from functools import partial

    loading = Loading(decks, files=files, digests=True)
    if loading.pooled:  # a big parse in other processes: the sync writes each deck as it comes
        stamps = loading.stamps
        parts = [
            DeckPart(
                str(f),
                stamps[f],
                partial(loading.cards, f),
                stamp_time(stamps[f]),
                partial(loading.title, f),
                partial(loading.premade, f),
            )
            for f in files
        ]
        with reading_notice(loading, sys.stderr if notice else None):
            store.sync_decks(
                parts,
                signature,
                clock(),
                observed,
                before_commit=loading.catalog,
                retiring=retiring,
            )
            return loading.catalog()
    catalog = loading.catalog() if checking else _loaded_while_checking(store, loading)

    def part(info: DeckInfo, title: str) -> DeckPart:  # its file: resolved
        return DeckPart(
            str(info.file),
            info.stamp,
            lambda: catalog.deck_of(info).cards,
            stamp_time(info.stamp),
            lambda: title,
            digests=partial(loading.digests, info.file),
        )

    # each file's cards, under its topic's title (a file of the learner's own cards of a
    # topic, `own_cards:`, under the title of the file that defines it)
    titles = catalog.topic_titles()
    parts = [part(i, titles[i.topic]) for i in catalog.infos]
    store.sync_decks(parts, signature, clock(), observed, retiring=retiring)
    return catalog


SYNC_TURN_WAIT_S = 300.0
"""How long a sync waits at most for another process's (a first sync of a million cards
would take about half a minute on this project's machine)."""


@contextmanager
def _sync_turn(db: Path, wait: bool) -> Iterator[None]:
    """Syncs take turns, one process at a time: an exclusive lock on the deck cache's folder
    (`fileio.folder_lock`, gone with its process, a killed one included) for the sync's whole
    reading and writing. Three terminals opened at once on a new collection of 100,000 cards
    each parsed every deck and then waited for the others' write: two failed "locked by
    another program (waited 5 s)", and all three did the work. Now the first syncs and the
    others wait for it, then find the decks synced and read nothing. While one waits, a line
    on standard error says so, when that is a terminal. With `wait` False (a shell prompt's
    count) a sync under way is not waited for: StoreError at once, one line and no number.
    (The count used to parse every deck beside the first sync of 100,000 cards, slowing it,
    and failed on the database's lock 3 s later.) Without a cache folder to lock (none can be
    made) the sync goes ahead unlocked. The wait lasts SYNC_TURN_WAIT_S at most: a sync
    stopped with Ctrl-Z holds the turn, and a script must not hang on it."""
    from contextlib import ExitStack

    from dlcards.errors import StoreError
    from dlcards.fileio import folder_lock
    from dlcards.paths import cache_dir

    with ExitStack() as turn, ExitStack() as notice:

        def waiting() -> None:
            with suppress(OSError, ValueError):
                if sys.stderr.isatty():
                    line = "waiting for another dlcards to finish reading the decks…"
                    notice.enter_context(status_line(line, sys.stderr))

        folder = cache_dir() / "decks"
        try:
            folder.mkdir(parents=True, exist_ok=True)
            turn.enter_context(folder_lock(folder, waiting, block=wait, timeout=SYNC_TURN_WAIT_S))
        except BlockingIOError:  # another sync under way, not to be waited for
            raise StoreError(
                f"database {db}: another dlcards is reading the decks into it; try again "
                "when it is done"
            ) from None
        except TimeoutError:  # stopped (Ctrl-Z) or stuck: said, not waited for for ever
            raise StoreError(
                f"database {db}: another dlcards has been reading the decks into it for "
                f"{SYNC_TURN_WAIT_S:g} s (is one stopped with Ctrl-Z?); try again when it is "
                "done"
            ) from None
        except OSError:  # no folder to lock here (a read-only cache): unlocked
            pass
        notice.close()  # the line taken back before the sync's own
        yield


@contextmanager
def reading_notice(loading: Loading, stream: TextIO | None) -> Iterator[None]:
    """While the block runs, one line on `stream` when it is a terminal: how many deck files
    of how many megabytes are being read (a first sync of a big collection parses for
    seconds). The line is taken back after, so what the command prints is as without it."""
    if stream is None or not stream.isatty():
        yield
        return
    from dlcards.console import plural

    size = 0
    for file in loading.fresh:
        with suppress(OSError):
            size += file.stat().st_size
    files = plural(len(loading.fresh), "deck file")
    line = f"reading {files} ({size / 1e6:,.0f} MB) into the database…"
    with status_line(line, stream):
        yield


@contextmanager
def status_line(line: str, stream: TextIO) -> Iterator[None]:
    """`line` on one row of terminal `stream` while the block runs (cut to the terminal's
    width, or the carriage return would not take it all back), then taken back."""
    try:
        width = os.get_terminal_size(stream.fileno()).columns
    except (OSError, ValueError, AttributeError):  # no fileno, or not a terminal's
        width = 80
    if len(line) >= width:
        mark = "…"
        try:
            mark.encode(getattr(stream, "encoding", None) or "utf-8")
        except (UnicodeEncodeError, LookupError):  # spelled "..." (dlcards.stdio): 3 cells
            mark = "..."
        line = line[: max(width - 1 - len(mark), 0)] + mark
    try:
        stream.write(line + "\r")
        stream.flush()
    except (OSError, ValueError):  # a closed or broken terminal: nothing to take back
        line = ""
    try:
        yield
    finally:
        if line:
            with suppress(OSError, ValueError):
                stream.write(" " * len(line) + "\r")
                stream.flush()


def holds_decks(store: Store, catalog: Catalog) -> bool:
    """Whether `store` holds the decks of `catalog` as a sync would leave them
    (`Store.holds_decks`), when it cannot take the sync: their files saved again (or touched)
    since it last did, their text as it was. The deck files' signature is made from their
    times: a save of the same text differs from it, and so does every look at a file saved in
    the moments before the sync that kept it (`prompt.file_version`'s racy versions)."""
    titles = catalog.topic_titles()
    return store.holds_decks(
        [(catalog.deck_of(info).cards, titles[info.topic]) for info in catalog.infos]
    )


def _holds_as_found(store: Store, decks: Sequence[str], files: Sequence[Path]) -> bool:
    """`holds_decks` of the deck `files` as found (a deck file saved again as it was is no
    change of the decks); False when they do not load (what is wrong is said where they are
    used)."""
    from dlcards.catalog import load_catalog
    from dlcards.errors import DlcardsError

    try:
        return holds_decks(store, load_catalog(decks, files=files))
    except (DlcardsError, OSError):
        return False


def _as_last_synced(store: Store, observed: str) -> bool:
    """Whether the deck files are as the last sync saw them before it listed them (`observed`,
    `dlcards.prompt.observe`): then the signature it stored is theirs, and listing and
    stat-ing every file again (`deck_files`, `files_signature`: ~3 ms for 59 files) would
    find it so."""
    from dlcards.store.count import OBSERVED_KEY, observed_value

    signature = store.get_meta("deck_signature")
    return signature is not None and store.get_meta(OBSERVED_KEY) == observed_value(
        observed, signature
    )


def _check_sync_tables_in_background(store: Store) -> bool:
    """The check of the tables a sync writes (but meta, which its transaction checks first)
    started in a thread, for the sync's first write to wait for; False if not started."""
    from dlcards.store.connection import SYNC_TABLES

    return store.check_tables_in_background([t for t in SYNC_TABLES if t != "meta"])


def _loaded_while_checking(store: Store, loading: Loading) -> Catalog:
    """The decks' catalog, parsed while the checks before the sync's write that could not be
    left to the background (`_check_sync_tables_in_background`: the day's first, with its
    backup) run in a thread: the sync waits for the longer of the two, not their sum. (Left to
    the background, they are waited for only if the sync changes the cards: a deck file
    touched but not changed writes no card.) The thread uses the store's connection: an
    interruption (Ctrl-C) stops its statement and waits for it to end before the store can
    be closed (`cores.Background`)."""
    from dlcards.cores import Background
    from dlcards.store.connection import SYNC_TABLES

    checking = Background(
        lambda: store.guard_writes(tables=SYNC_TABLES), store.conn.interrupt, "dlcards-guard"
    )
    try:
        catalog = loading.catalog()
    except Exception:  # a broken deck: reported once the check has ended, as before
        checking.wait()
        raise
    except BaseException:  # Ctrl-C: the check is stopped, not waited out
        checking.stop()
        raise
    checking.result()
    return catalog


def unknown_names(query: Query, decks: Sequence[str], catalog: Catalog | None = None) -> None:
    """For a search that matched nothing: a topic or tag it names (whole, no wildcard) that no
    deck has is the error `list --tag`, `study --topic` and `quiz` give (UsageError), not "no
    card matches" (a helper's UX run: `search tag:nope` exited 0 where `list --tag nope` said
    the tag is unknown). `search`, `study --search` and `quiz --search` say it alike; called on
    no hit only, so a search that finds cards never loads the decks for it."""
    named = [
        f
        for f in query.every_filter()
        if f.kind in ("topic", "tag")
        and not any(c in f.value for c in "*?[")
        # `leech` is the tag of a leech (Anki's): none now is no unknown tag
        and not (f.kind == "tag" and f.value == "leech")
    ]
    if not named:
        return
    if catalog is None:
        from dlcards.catalog import load_catalog

        catalog = load_catalog(decks)
    for f in named:
        if f.kind == "topic":
            catalog.check_topics([f.value], given=f.given or None)
        else:
            catalog.check_tag(f.value, given=f.given or None)


def with_decks(
    query: Query, decks: Sequence[str], catalog: Catalog | None = None, store: Store | None = None
) -> Query:
    """A search's `deck:` filters as the topics they name, from the decks' titles, or the
    Anki decks `store` saw the topics' cards in (`Store.anki_decks`: `export anki` names them
    so); the catalog is loaded, from its cache, only for a query that has one."""
    from dlcards.search import resolve_decks

    if not any(f.kind == "deck" for f in query.every_filter()):
        return query
    if catalog is None:
        from dlcards.catalog import load_catalog

        catalog = load_catalog(decks)
    return resolve_decks(query, catalog.topic_titles(), anki_deck_names(catalog, store))


def anki_deck_names(catalog: Catalog, store: Store | None) -> dict[str, str]:
    """Each topic's deck in Anki, as `export anki` names it: the one an import saw its cards
    in (`Store.anki_decks`), else its deck file's `anki_deck:` or its title's
    (`Catalog.anki_decks`)."""
    return {**catalog.anki_decks(), **(store.anki_decks() if store is not None else {})}


@contextmanager
def synced_store(db: str | None, decks: Sequence[str], writes: bool = False) -> Iterator[Store]:
    """`opened_store` with the decks synced (`writes`: as `sync_if_needed` takes it)."""
    with opened_store(db, decks=decks) as store:
        sync_if_needed(store, decks, writes=writes)
        yield store


FULL_DISK_RETRY_S = 1.0
"""How often a save the disk had no room for is tried again."""
LOCK_TRY_S = 0.2
"""How long one try of a save waits in SQLite for another program's write lock before it is
tried again (`until_saved`, when given the store): SQLite's wait sleeps through signals, so a
Ctrl-C during a long lock is felt within this, not at the end of the 5 s busy timeout."""
LOCK_NOTICE_S = 1.0
"""How long a save waits for a lock before the learner is told what it waits for (a grade in
another terminal holds it for a moment: not worth a line)."""
HANGUP_SAVE_S = 10.0
"""How long a save waiting for a lock or for room goes on after a `kill` (SIGTERM) or a closed
terminal (SIGHUP) before the program stops without it (`until_saved`)."""
FULL_DISK_PATIENCE_S = 3.0
"""How long a session fed by a script (no terminal: no one to free space) keeps trying a save
the disk has no room for, before it stops and says what was not saved."""


TYPE_AHEAD_S = 0.5
"""A save that took this long or longer throws away the keys typed meanwhile (`keys_held`):
they were typed without seeing what the save was waiting for."""


def until_saved(
    console: Console,
    save: Callable[[], T],
    kept: str = "your grade is kept and will be saved",
    lost: str = "your grade was not saved",
    patience: float | None = None,
    store: Store | None = None,
    hold_stops: bool = True,
) -> T:
    """Run a write the learner asked for until it is saved: when another program holds the
    database (another dlcards: a long `config scheduler fsrs`, a big sync) or the disk is
    full, say so (`kept`) and keep trying rather than drop the grade. Each failed try rolled
    back whole, so a retry writes it once. Ctrl-C still stops the program, and then says what
    was not saved (`lost`); once a try's write transaction holds the lock, after that try
    (`interrupts.ctrl_c_held`):
    a save is never left committed and unrecorded by the caller (with `hold_stops`);
    a `kill` or a closed terminal (`terminal.stops_held`) lets the save go on for HANGUP_SAVE_S
    at most, then stops the program as Ctrl-C does (after the save, or saying what was not
    saved); not with `hold_stops` False (a check, which no one asked to keep). A full disk
    is tried for `patience` seconds (None: until Ctrl-C), then a DiskFullError says what was
    not saved. While it saves, keys typed in a terminal are not echoed, and are
    not kept when the save took TYPE_AHEAD_S or more (`terminal.keys_held`): none may grade
    the next card unseen. With `store` (the one `save` writes), each try waits LOCK_TRY_S at
    most for a lock, so that Ctrl-C is felt at once."""
    import time
    from contextlib import ExitStack

    from dlcards.console import escaped
    from dlcards.interrupts import CtrlC, ctrl_c_held
    from dlcards.store import DiskFullError, LockedError
    from dlcards.terminal import Hangup, StopsHeld, keys_held, stops_held

    noted: type[Exception] | None = None
    done = False
    ctrl_c = CtrlC()
    start = time.monotonic()
    deadline = None if patience is None else start + patience
    stopping: float | None = None  # when a `kill` or a closed terminal asked to stop
    held = ExitStack()
    try:
        # from the first try: a lock is waited for before the first LockedError, and keys
        # typed meanwhile must neither show nor grade the next card
        held.enter_context(keys_held(flush_after=TYPE_AHEAD_S))
        stops = held.enter_context(stops_held() if hold_stops else nullcontext(StopsHeld()))
        if store is not None:
            held.enter_context(store.waiting_at_most(LOCK_TRY_S))
        while True:
            tried = time.monotonic()
            if stops.signals:
                if stopping is None:
                    stopping = tried
                elif tried - stopping >= HANGUP_SAVE_S:
                    raise Hangup(stops.signals[0])  # given up: said below, as after Ctrl-C
            try:
                with ctrl_c_held() if hold_stops else nullcontext(CtrlC()) as ctrl_c:
                    saved = save()
                    done = True  # Ctrl-C from here on: after the save, not "not saved"
                break
            except LockedError:
                if ctrl_c.pressed:  # while this try held the lock: rolled back, given up
                    raise KeyboardInterrupt from None
                now = time.monotonic()
                if now - tried < LOCK_TRY_S / 2:  # refused without a wait: do not spin
                    time.sleep(LOCK_TRY_S / 2)
                if noted is not LockedError and (store is None or now - start >= LOCK_NOTICE_S):
                    # two lines: one was 105 characters with a card's id, wrapped mid-way;
                    # "another program": the lock may be any SQLite writer's (it said "another
                    # dlcards" of the sqlite3 shell's or a database browser's)
                    console.print(
                        "waiting for another program to finish writing…\n"
                        f"  ({kept}; Ctrl-C to give up)",
                        style="yellow",
                        markup=False,
                        highlight=False,
                    )
                    noted = LockedError
            except DiskFullError as err:
                if ctrl_c.pressed:
                    raise KeyboardInterrupt from None
                if deadline is not None and time.monotonic() >= deadline:
                    raise DiskFullError(
                        f"the disk is full: cannot write database {err.path}, so {lost}; "
                        "free some space and try again",
                        err.path,
                    ) from None
                if noted is not DiskFullError:
                    console.print(
                        f"the disk holding {escaped(str(err.path))} is full: free some "
                        f"space on it\n  ({kept} then; Ctrl-C to give up)",
                        style="yellow",
                        markup=False,
                        highlight=False,
                    )
                    noted = DiskFullError
                time.sleep(FULL_DISK_RETRY_S)
    except KeyboardInterrupt:
        if noted is not None and not done:
            with suppress(OSError):  # a closed terminal: no one to tell
                console.print(
                    f"{lost[0].upper()}{lost[1:]}.", style="red", markup=False, highlight=False
                )
        raise
    finally:
        held.close()
    if ctrl_c.pressed:  # during the save's write: now that it is saved and recorded
        raise KeyboardInterrupt
    if stops.signals:  # the `kill` or the closed terminal, now that the save is made
        raise Hangup(stops.signals[0])
    return saved


END_WAIT_S = 0.5
"""After Ctrl-C, how long a session's end time waits for another program's write lock: its
grades are saved already, and a learner who pressed Ctrl-C is not kept for the busy timeout."""


def end_saved(
    console: Console,
    store: Store,
    end: Callable[[], object],
    stopped: bool,
    what: str,
    patience: float | None,
    code: int = 0,
) -> None:
    """Write a session's end time (`what`: "session" or "quiz"). After an error (`stopped`)
    as it can, quietly: the error that stopped it is the one said; after Ctrl-C (`code`
    INTERRUPTED, or a signal's: a closed terminal, a `kill`) quietly too, waiting END_WAIT_S
    at most for a lock. Else `until_saved`."""
    from dlcards.errors import StoreError

    if code > 128:
        with suppress(StoreError), store.waiting_at_most(END_WAIT_S):
            end()
        return
    if stopped:
        with suppress(StoreError):
            end()
        return
    until_saved(
        console,
        end,
        f"the {what}'s end will be saved",
        f"the {what}'s end time was not saved (its {'grades' if what == 'session' else 'answers'} "
        "were)",
        patience,
        store,
    )
