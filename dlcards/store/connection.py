"""Opening the progress database and the plumbing every query uses.

Durability: WAL mode, `synchronous=FULL`, and every write is one `BEGIN IMMEDIATE` transaction,
committed before the program goes on. A busy timeout lets two terminals study at once.
sqlite-utils (slow to import) is loaded only to migrate an older file (a new one gets the
current schema at once, `schema.create_fresh`); everyday reads and writes use the standard
library's sqlite3. SQLite errors become one-line `StoreError`s.

Safety before anything is written (measured at 100,000 cards and 1,000,000 reviews, 219 MB, in
`bench/run.py --safety`):

- on open: the path must be a regular file (a FIFO would hang `open()`), the header must be an
  SQLite header with a valid page size and a file size that is a whole number of pages, and
  every dlcards table must be there (a few microseconds);
- before a process's first write to them: `PRAGMA integrity_check` of the tables a session
  writes besides the log (SESSION_TABLES: O(cards), about 0.6 s at 100,000 cards with their
  indexes); a deck sync that adds no card checks only the tables it changes (SYNC_TABLES, the
  cards: about 0.37 s), on a connection of its own in a thread started before it parses the
  changed decks (`check_tables_in_background`), and waits for it only if its diff changes a
  card (a deck file saved with no card changed writes only `meta`); a later write checks the
  rest;
- the rest of the file (the log above all) by `PRAGMA integrity_check` of the whole file: a
  study or quiz session starts it on its own connection in a thread while the learner reads
  the first card (`check_in_background`), and its first write waits for it; an import runs it
  the same way while it reads the Anki file (else while it reads the log inside its
  transaction, `_write(whole_file=True)`), and its dry run too, which writes nothing
  (`check_file_in_background`, `refuse_damaged`); any other writer that appends to the log
  runs it before writing;
- before the first write of each day: a verified backup (`dlcards.store.backup`), whose
  `PRAGMA integrity_check` of the whole file is the daily full check (recorded in `meta`).

A damaged database stops the command with one line before anything is written.
"""

from __future__ import annotations

import errno
import os
import sqlite3
import stat
import time
from collections.abc import Callable, Container, Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    import threading

    from typing_extensions import Self

    from dlcards.settings import Settings
    from dlcards.store.rows import Unsuspended

from dlcards.cores import cores
from dlcards.errors import StoreError
from dlcards.interrupts import committing, writing
from dlcards.paths import default_db
from dlcards.store.count import NONE_PENDING_ID, PENDING_RANGE, PENDING_SQL, file_alone
from dlcards.store.count import PENDING_FILES as PENDING_FILES
from dlcards.store.schema import SCHEMA_VERSION

BUSY_TIMEOUT_S = 5.0
WAL_SIZE_LIMIT = 64 * 1024 * 1024
"""Bytes of -wal file kept after a checkpoint resets the log (SQLite's journal_size_limit)."""
PARALLEL_CHECK_BYTES = 16 * 1024 * 1024
"""A file of this size or more has its tables checked on two connections at once (a thread
and its connection cost more than checking a small file's tables one after another)."""
SQLITE_MAGIC = b"SQLite format 3\x00"
TABLES = ("meta", "cards", "sm2", "fsrs", "sessions", "reviews", "quiz_results")
SESSION_TABLES = ("meta", "cards", "sm2", "fsrs", "sessions", "quiz_results")
"""The tables a session writes besides appending to the log: checked before every process's
first write (the log by the whole file's check: daily, and in the background of a study
session)."""
SYNC_TABLES = ("meta", "cards")
"""The session tables a deck sync changes when it adds no card."""
NEW_CARD_TABLES = ("meta", "cards", "sm2", "fsrs")
"""The session tables a deck sync changes when it adds cards: their memories too."""
CARD_FLAGS = ("cards",)
"""The session tables a suspension or unsuspension changes: the card's row (its triggers keep
the tallies, which are no session table)."""
MEMORY_TABLES = ("cards", "sm2", "fsrs")
"""The session tables a reset changes: the cards' marks and their memories."""
UPSERT_META = (
    "INSERT INTO meta (key, value) VALUES (?, ?) "
    "ON CONFLICT(key) DO UPDATE SET value = excluded.value"
)
"""One meta key set to a value, (key, value), in the caller's transaction."""
CHECKED_KEY = "integrity_checked"  # meta: the day of the last full check (with the backup)
DOCTOR = "run `dlcards doctor` to repair it or restore a backup"

T = TypeVar("T")


class LockedError(StoreError):
    """Another program held the write lock for longer than the busy timeout."""


NOTHING_LOST = "nothing was lost"
"""The outcome of a write the database refused (rolled back whole), said when its error line
stands alone (`DlcardsError.outcome`)."""


class DiskFullError(StoreError):
    """The disk (or the user's quota) has no room for the write; the transaction was rolled
    back, so trying again once there is room writes it whole."""

    def __init__(self, message: str, path: Path, outcome: str | None = None) -> None:
        super().__init__(message, outcome=outcome)
        self.path = path


def _disk_full(path: Path) -> bool:
    try:
        st = os.statvfs(path.parent)
    except (OSError, AttributeError):  # pragma: no cover - no statvfs on Windows
        return False
    return st.f_bavail * st.f_frsize < 1 << 20


SQLITE_ERRORS = (sqlite3.Error, UnicodeDecodeError)
"""What a call into SQLite raises when the file is damaged or cannot be used: SQLite's errors,
and UnicodeDecodeError when its error message quotes bytes of the file that are not UTF-8 (a
flipped byte in the schema: "malformed database schema (name) - near ...", which the sqlite3
module decodes strictly and cannot)."""


def unreadable_message(err: BaseException) -> bool:
    """SQLite's message quoted bytes of the file that are not UTF-8: Python 3.11's sqlite3
    raises UnicodeDecodeError, 3.10's a DatabaseError with no message at all (found running
    the suite on 3.10: `error: database p.db: ` and nothing more)."""
    return isinstance(err, UnicodeDecodeError) or (
        isinstance(err, sqlite3.DatabaseError) and not str(err)
    )


def says_corrupt(err: BaseException) -> bool:
    """Whether SQLite's error says the file it read is damaged (SQLITE_CORRUPT, SQLITE_NOTADB)."""
    text = str(err).lower()
    return "not a database" in text or "malformed" in text or "corrupt" in text


def translate_error(
    path: Path, err: sqlite3.Error | UnicodeDecodeError, waited: float = BUSY_TIMEOUT_S
) -> StoreError:
    """An SQLite error as one line for the user (locked, read-only, full disk, damaged, ...);
    `waited`: how long a lock was waited for."""
    if unreadable_message(err):  # a message quoting the file's damaged bytes
        return StoreError(
            f"database {path} is corrupt (its schema is not readable text); {DOCTOR}, or pass "
            "another --db"
        )
    text = str(err).lower()
    if "locked" in text or "busy" in text:
        return LockedError(
            f"database {path} is locked by another program (waited {waited:g} s); "
            "close it or try again"
        )
    if "full" in text or ("disk i/o" in text and _disk_full(path)):
        return DiskFullError(
            f"the disk is full: cannot use database {path}; free some space and try again",
            path,
            NOTHING_LOST,
        )
    if "readonly" in text or "read-only" in text:
        return StoreError(_read_only(path))
    if says_corrupt(err):
        return StoreError(
            f"database {path} is corrupt or not a dlcards database; {DOCTOR}, or pass another --db"
        )
    if "unable to open" in text:
        return StoreError(f"cannot open database {path}; check the path and its permissions")
    if "no such table" in text or "no such column" in text:
        return StoreError(f"database {path} is damaged ({err}); {DOCTOR}")
    if "disk i/o" in text:
        from dlcards.fileio import file_size_limit

        limit = file_size_limit()
        if limit is not None:  # EFBIG: a write past `ulimit -f` (SQLite says "disk I/O error")
            return StoreError(
                f"cannot write database {path}: the file size limit (ulimit -f: "
                f"{limit // 1024:,} KB) stops its files growing; raise it and try again",
                outcome=NOTHING_LOST,
            )
        if log_short_of_index(path):
            return StoreError(
                f"cannot use database {path}: its write-ahead log {path.name}-wal holds fewer "
                f"commits than its index {path.name}-shm says: it was deleted or emptied while "
                "another program (a dlcards session?) had the database open; quit that "
                "program (a deleted log it still holds goes into the file at its next write), "
                "then try again, or run `dlcards doctor`"
            )
        return StoreError(f"cannot write database {path}: {err}")
    return StoreError(f"database {path}: {err}")


def log_short_of_index(path: Path) -> bool:
    """Whether the -wal beside `path` is shorter than the frames the -shm's header says it
    holds: the log was deleted (a process that had the database open still appends to the
    deleted file) or emptied, and every other process joining the index read frames past the
    log's end: "disk I/O error" for every command, `doctor` included (torture runs: `rm
    p.db-wal`, `truncate -s 0 p.db-wal` under `study`)."""
    from dlcards.store.walcheck import INDEX_READ, frames_bytes, index_state

    try:  # never released: a connection of this process may lock it
        state = index_state(os.pread(hold(f"{path}-shm")[1], INDEX_READ, 0))
    except OSError:
        return False
    try:
        log = os.stat(f"{path}-wal").st_size
    except OSError:
        log = 0
    return state is not None and state[0] > 0 and log < frames_bytes(state)


def _read_only(path: Path) -> str:
    """Why the database cannot be written: the file, or its folder (SQLite writes its journal
    and write-ahead log next to the file, so a read-only folder refuses writes too), or a
    file SQLite keeps beside it (a `-shm` made read-only while a session had it open: every
    other terminal was told the database itself was read-only, which it was not)."""
    folder = path.parent
    file_itself = os.access(path, os.F_OK) and not os.access(path, os.W_OK)
    if not file_itself and not os.access(folder, os.W_OK):
        return (
            f"the folder {folder} is read-only, and SQLite writes its journal next to the "
            f"database {path.name}; check the folder's permissions or pass --db"
        )
    for end in ("-wal", "-shm"):
        side = Path(f"{path}{end}")
        if not file_itself and os.path.exists(side) and not os.access(side, os.W_OK):
            return (
                f"cannot write database {path}: {side.name} beside it ({_SIDE_ROLE[end]}) is "
                "read-only; make it writable (chmod u+w), or pass --db"
            )
    return f"database {path} is read-only; check its permissions or pass --db"


def _mounted_read_only(path: Path) -> bool:
    """Whether the folder of `path` is on a file system mounted read-only."""
    try:
        return bool(os.statvfs(path.parent).f_flag & os.ST_RDONLY)
    except (OSError, AttributeError):  # pragma: no cover - no statvfs on Windows
        return False


def unwritable(path: Path) -> str | None:
    """Why the database at `path` cannot be written (the file, its folder or the file
    system is read-only), as the one line a write is refused with; None when it can be (or,
    for a file not there yet, can be made)."""
    mounted_read_only = _mounted_read_only(path)
    if mounted_read_only and not os.path.lexists(path):
        return (
            f"database {path} cannot be made: {path.parent} is on a read-only file system "
            "(remount it read-write, or pass --db)"
        )
    if mounted_read_only:
        return (
            f"database {path} is on a read-only file system; it can be read but nothing can "
            "be saved to it (remount it read-write, or pass --db)"
        )
    file_ok = os.access(path, os.W_OK) or not os.path.lexists(path)
    if file_ok and os.access(path.parent, os.W_OK):
        return None
    return _read_only(path)


def _connect_read_only(path: Path, patience: float) -> sqlite3.Connection:
    """A connection that only reads the database at `path`, which cannot be written (as
    `sqlite3 -readonly` opens it). In WAL mode SQLite reads through the log's shared-memory
    index (`-shm`), which it makes beside the file when it can. Where it cannot (a read-only
    folder or mount), the file alone is the database when no log with content is beside it:
    it is opened immutable (no index, no locks), which is safe because nothing can be
    writing it (a writer makes the log before its first write, and a read-only mount has
    none). A log with content there but no index SQLite can make cannot be read with the
    file (the file alone would lack the log's commits): one line says so. A file nothing but
    root can write, beside no log with content, is read alone too (`count.file_alone`): in a
    writable folder SQLite would make the log and its index beside it and, not allowed to
    write, leave them there."""
    uri = path.resolve().as_uri()

    def alone() -> sqlite3.Connection:  # the file alone, immutable: nothing made beside it
        return sqlite3.connect(
            f"{uri}?mode=ro&immutable=1", uri=True, isolation_level=None, check_same_thread=False
        )

    if file_alone(str(path)):  # else SQLite makes a log and its index it cannot delete
        return alone()
    conn = sqlite3.connect(
        f"{uri}?mode=ro", uri=True, timeout=patience, isolation_level=None,
        check_same_thread=False,
    )  # fmt: skip
    try:
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        return conn
    except sqlite3.OperationalError as err:
        conn.close()
        text = str(err).lower()
        if "readonly" not in text and "read-only" not in text and "unable to open" not in text:
            raise
    log = Path(f"{path}-wal")
    if _has_content(log):
        raise StoreError(
            f"cannot read database {path}: its write-ahead log {log.name} holds commits not yet "
            f"in the file, and SQLite cannot make the log's index {path.name}-shm in the "
            f"read-only folder {path.parent}; make the folder writable, or read a copy of both"
        )
    return alone()


def _translate_os(path: Path, err: OSError | sqlite3.Error | UnicodeDecodeError) -> StoreError:
    if isinstance(err, SQLITE_ERRORS):
        return translate_error(path, err)
    if err.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG):
        return StoreError(f"the disk is full: cannot back up {path}; free some space")
    return StoreError(f"cannot back up {path}: {err.strerror or err}")


def existing_file(path: Path) -> bool:
    """True if `path` is a regular file, False if nothing is there; a StoreError (one line,
    at once, before SQLite opens it) for a directory, FIFO, device, socket, a symlink loop or a
    broken symlink."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        if os.path.islink(path):
            raise StoreError(
                f"database path {path} is a symbolic link to a missing file; pass a file with --db"
            ) from None
        return False
    except OSError as err:
        if err.errno == errno.ELOOP:
            raise StoreError(
                f"database path {path} is a symbolic link loop; pass a file with --db"
            ) from None
        raise StoreError(f"cannot use database path {path}: {err.strerror}") from None
    if stat.S_ISREG(st.st_mode):
        return True
    raise StoreError(
        f"database path {path} is {_kind(st.st_mode)}, not a file; pass a file with --db"
    )


def _kind(mode: int) -> str:
    """What a file that is not a regular one is, in words."""
    return (
        "a directory"
        if stat.S_ISDIR(mode)
        else "a FIFO (named pipe)"
        if stat.S_ISFIFO(mode)
        else "a socket"
        if stat.S_ISSOCK(mode)
        else "a device"
        if stat.S_ISCHR(mode) or stat.S_ISBLK(mode)
        else "not a regular file"
    )


SIDE_FILES = ("-wal", "-shm", "-journal")
"""The files SQLite keeps beside a database: its write-ahead log, the log's index, and the
rollback journal."""


def check_side_files(path: Path) -> None:
    """Each file SQLite keeps beside the database, when there, must be a regular file: one
    that is a directory, a FIFO, a device (a link to /dev/full) or a dangling link stopped
    SQLite with "unable to open database file", "disk I/O error" or "attempt to write a
    readonly database", which named neither the file nor the cause. A StoreError naming it."""
    for end in SIDE_FILES:
        side = Path(f"{path}{end}")
        try:
            st = os.stat(side)
        except FileNotFoundError:
            if os.path.islink(side):
                raise StoreError(
                    f"cannot use database {path}: {side.name} beside it is a symbolic link to "
                    "a missing file; remove the link"
                ) from None
            continue
        except OSError as err:
            raise StoreError(f"cannot use database {path}: {side.name}: {err.strerror}") from None
        if not stat.S_ISREG(st.st_mode):
            raise StoreError(
                f"cannot use database {path}: {side.name} beside it (where SQLite keeps "
                f"{_SIDE_ROLE[end]}) is {_kind(st.st_mode)}, not a file; remove it"
            )


_SIDE_ROLE = {
    "-wal": "its write-ahead log",
    "-shm": "the write-ahead log's index",
    "-journal": "its rollback journal",
}


class NotADatabase(StoreError):
    """The database's path holds another kind of file (`other_kind`)."""


def page_size(head: bytes) -> int | None:
    """The page size the first 100 bytes of an SQLite file give (65,536 is written as 1), or
    None when they are no SQLite header or the size is no power of two from 512."""
    if len(head) < 100 or head[:16] != SQLITE_MAGIC:
        return None
    size = int.from_bytes(head[16:18], "big")
    size = 65536 if size == 1 else size
    return size if size >= 512 and not size & (size - 1) else None


def made_elsewhere(version: int, tables: Container[str]) -> bool:
    """Whether an SQLite file of schema `version` holding `tables` is another program's (an
    Anki collection given as the database): tables, and none of dlcards's migrations. The
    rule every command opens a file by (`Connection._prepare`), `doctor` checks and
    `doctor --restore` refuses to replace by."""
    return not version and bool(tables) and "_sqlite_migrations" not in tables


def other_kind(head: bytes) -> str | None:
    """What a file whose first bytes are `head` is when it is plainly another kind of file
    than a database: a deck (YAML text), an Anki package (zip) or a dlcards backup (gzip);
    None otherwise (a damaged database among them). A deck file given as the database was
    called "corrupt", with `dlcards doctor` and a restore as the way out: a restore over it
    put a database in the deck's place."""
    if head.startswith(b"PK\x03\x04"):
        return "a zip file (an Anki package? `dlcards import anki FILE` imports one)"
    if head.startswith(b"\x1f\x8b"):
        return "a gzip file (a backup? `dlcards doctor --restore FILE` puts one back)"
    if b"\0" in head:
        return None
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError as err:
        if err.start < len(head) - 3:  # (else a character cut at the end of the bytes read)
            return None
        text = head[: err.start].decode("utf-8")
    import re

    if re.search(r"^(topic|title|cards|- id) *:", text, re.M):
        return "a deck file (YAML text)"
    return None


def check_header(path: Path) -> None:
    """The first 100 bytes must be an SQLite header with a valid page size, and the file a
    whole number of pages: catches a truncated or overwritten file in microseconds. A -wal
    left by a process that is gone must not lose committed writes when SQLite replays it
    (`walcheck.log_damage`)."""
    try:
        st = path.stat()
        size = st.st_size
        held = _Watch.held.get((st.st_dev, st.st_ino))
        if held is not None:  # read through the descriptor this process holds (`_Watch`)
            head = os.pread(held[0], 100, 0)
        else:  # no connection of this process has it open: closing drops no lock of its
            with path.open("rb") as fh:
                head = fh.read(100)
    except OSError as err:
        raise StoreError(f"cannot read database {path}: {err.strerror}") from None
    if not head:
        return  # an empty file: SQLite makes it a database
    page = page_size(head)
    if page is None:
        kind = other_kind(head)
        if kind is not None:  # no database at all: nothing to repair or restore
            raise NotADatabase(
                f"database {path} is {kind}, not a dlcards database; pass the progress "
                "database with --db (or DLCARDS_DB)"
            )
        raise StoreError(
            f"database {path} is corrupt or not a dlcards database (not an SQLite file); "
            f"{DOCTOR}, or pass another --db"
        )
    if size % page:
        raise StoreError(
            f"database {path} is damaged (its size, {size:,} bytes, is not a whole number of "
            f"{page}-byte pages: truncated?); {DOCTOR}"
        )
    # the number of pages the header gives (valid when its version stamp is the file's change
    # counter): a file cut short at a page boundary has fewer, unless a journal or log beside
    # it is still to be played back (a write stopped half-way; SQLite mends it on opening)
    pages = int.from_bytes(head[28:32], "big")
    if (
        head[92:96] == head[24:28]
        and size < pages * page
        and not any(_has_content(Path(f"{path}{end}")) for end in ("-journal", "-wal"))
    ):
        raise StoreError(
            f"database {path} is damaged (cut short: {size // page:,} of its {pages:,} pages "
            f"are there); {DOCTOR}"
        )
    if held is None:  # no connection of this process: the log is replayed on opening
        from dlcards.store.walcheck import log_damage

        damage = log_damage(path)
        if damage is not None:
            raise StoreError(f"database {path} is damaged: {damage}; nothing was written; {DOCTOR}")


def _backups_beside(path: Path) -> str | None:
    """Where the backups of a database at `path` are and how to put the newest back, when
    there are any: for a database emptied or deleted by mistake."""
    from dlcards.store import backup

    found = backup.backups(path)
    if not found:
        return None
    return (
        f"are in {backup.folder_of(path)}: `dlcards doctor --restore {found[0].path.name}` "
        "puts the newest back"
    )


EMPTY_GROWS_S = 1.0
"""How long an empty database file made a moment ago is watched for another dlcards making it
(its first bytes come within milliseconds) before it is refused as emptied."""
EMPTY_NEW_S = 2.0  # an empty file whose last change is older than this is not being made


def _refuse_emptied(path: Path) -> None:
    """An empty file where the database was (its backups are there): emptied by mistake (a
    shell's `>`, a failed copy or sync), not a new database to start in its place. One made in
    the last seconds may be another dlcards's new database: it is not refused once it grows
    (two first commands started at once, beside a deleted database's backups)."""
    if (where := _backups_beside(path)) is None:
        _refuse_emptied_log(path)
        return
    deadline = time.monotonic() + EMPTY_GROWS_S
    try:
        while (st := path.stat()).st_size == 0:
            if time.time() - st.st_mtime >= EMPTY_NEW_S or time.monotonic() >= deadline:
                break
            time.sleep(0.02)
        else:
            return  # it grew: another dlcards made it
    except OSError:
        return  # gone meanwhile: the open makes it anew
    raise StoreError(
        f"database {path} is an empty file, and backups of it {where} (or delete the empty "
        "file to start a new database)"
    )


def _refuse_emptied_log(path: Path) -> None:
    """An empty file at `path` with no backups beside it, but a -wal with commits: the file
    was emptied after a session was killed, or under one. SQLite, opening it, takes the empty
    file for a new database and deletes that log, and with it every grade in it (a torture
    run: `: > p.db` after a SIGKILL of `study`, then `dlcards due`: 5 grades gone without a
    word). No dlcards makes such a pair: a new database's file gets its header (WAL mode)
    before its log gets a frame. Refused in one line, the log kept."""
    wal, shm = Path(f"{path}-wal"), Path(f"{path}-shm")
    if not _has_content(wal):
        return
    raise StoreError(
        f"database {path} is an empty file, but {wal.name} beside it holds the last commits "
        "of the one that was there (emptied after a session was killed, or while one had it "
        f"open); put the file back, or move {wal.name} and {shm.name} away to start a new "
        "database"
    )


UNIX_SHM_DMS = 128
"""The byte of a -shm that every process using the index read-locks while it has it open
(sqlite3.c's UNIX_SHM_DMS: 8 lock bytes after the 120 bytes of the index's header)."""


def _index_in_use(shm: Path) -> bool:
    """Whether a process has the write-ahead log's index `shm` open (SQLite's read lock on its
    DMS byte): a lock probe, taken and dropped at once."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - no POSIX locks: no one is seen using it
        return False
    try:
        fd = os.open(shm, os.O_RDWR)
    except OSError:
        return False
    try:
        try:
            fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB, 1, UNIX_SHM_DMS)
        except OSError:
            return True
        fcntl.lockf(fd, fcntl.LOCK_UN, 1, UNIX_SHM_DMS)
        return False
    finally:
        os.close(fd)


def refuse_orphaned_log(path: Path) -> None:
    """No file at `path`, but the -wal of one that was there (deleted, or moved by `mv`
    while a session had it open) with commits in it, or its -shm still in use: a new
    database made at the path took them as its own, and SQLite deleted that log as a new
    file's (a torture run: `mv p.db q.db` under `study`, then `dlcards suspend gd-1`: "disk
    I/O error", and q.db's 700 KB of commits were gone with its -wal, q.db no database at
    all). A StoreError, before anything is made."""
    wal, shm = Path(f"{path}-wal"), Path(f"{path}-shm")
    if _has_content(wal):
        what = f"{wal.name} beside it holds the last commits of the one that was there"
    elif shm.exists() and _index_in_use(shm):
        what = f"{shm.name} beside it is in use by a program that has the one that was there open"
    else:
        return
    if existing_file(path):
        # made since the caller looked, by another dlcards (two first commands at once on a
        # new database: `config new_per_day 7` was refused as if this log were an orphan's):
        # the log and its index are that database's, opened with it
        return
    from dlcards.store import backup

    found = backup.backups(path)
    restore = (
        f"run `dlcards doctor --restore {found[0].path.name}` to put the newest backup back "
        "with the grades the log holds, or "
        if found
        else ""
    )
    raise StoreError(
        f"there is no database at {path}, but {what} (deleted or moved while open); put it "
        f"back, or {restore}move {wal.name} and {shm.name} away to start a new database"
    )


def say_backups_of_another(path: Path, notice: Callable[[str], None] | None = None) -> None:
    """A database made at `path` where backups of one are (deleted, or moved): said (by
    `notice`, standard error if None), with the newest."""
    if (where := _backups_beside(path)) is not None:
        (notice or _to_stderr)(
            f"note: there was no database at {path}, so a new one was made; backups of "
            f"the one that was there {where}"
        )


def _file_key(path: Path) -> tuple[int, int] | None:
    """The (device, inode) of the file at `path`; None when nothing is there."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_dev, st.st_ino)


def _has_content(path: Path) -> bool:
    try:
        return path.stat().st_size > 0
    except OSError:
        return False


def problem_lines(rows: Iterable[object]) -> list[str]:
    """The problems in rows of `PRAGMA integrity_check` (of the file or of a table), a line
    each: SQLite gives some as one row of several lines under a heading (`*** in database
    main ***`), which is no problem, nor is its "ok"."""
    lines = (line.strip() for row in rows for line in str(row).splitlines())
    return [
        line
        for line in lines
        if line and line != "ok" and not (line.startswith("*** ") and line.endswith(" ***"))
    ]


def _damaged(path: Path, problems: list[str]) -> StoreError:
    return StoreError(
        f"database {path} is damaged ({'; '.join(problems[:2])}); nothing was written. "
        f"{DOCTOR[0].upper()}{DOCTOR[1:]}"
    )


class FileCheck:
    """`PRAGMA integrity_check` of the whole file (or of `tables` and their indexes) on a
    connection of its own, in a thread (the sqlite3 module lets go of the GIL while SQLite
    works): the learner reads the first card, the sync parses the decks, or an import reads
    the log and decides its rows, meanwhile. In WAL
    mode it reads one snapshot (the committed state a write would change) and blocks no
    writer."""

    def __init__(self, path: Path, tables: Sequence[str] | None = None) -> None:
        self.path = path
        self.tables = tuple(tables) if tables is not None else None
        self.problems: list[str] | None = None
        self._conn: sqlite3.Connection | None = None
        import threading  # here: a command that checks nothing does not import it (~1 ms)

        self._thread = threading.Thread(target=self._run, name="dlcards-check", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            conn = sqlite3.connect(
                self.path, timeout=BUSY_TIMEOUT_S, isolation_level=None, check_same_thread=False
            )
            self._conn = conn
            try:
                conn.execute("PRAGMA query_only = 1")
                if self.tables is None:
                    from dlcards.store.backup import integrity_problems

                    self.problems = integrity_problems(conn)
                else:
                    self.problems = problem_lines(
                        r[0]
                        for table in self.tables
                        for r in conn.execute(f"PRAGMA integrity_check('{table}')")
                    )
            finally:
                conn.close()
        except SQLITE_ERRORS as err:  # "database disk image is malformed" and the like
            self.problems = [str(err)]

    @property
    def done(self) -> bool:
        return not self._thread.is_alive()

    def cancel(self) -> None:
        """Stop the check (the program is ending before its first write)."""
        conn = self._conn
        if conn is not None and not self.done:
            try:
                conn.interrupt()
            except sqlite3.ProgrammingError:  # the check ended (and closed it) meanwhile
                pass
        self._thread.join(timeout=BUSY_TIMEOUT_S)

    def result(self) -> list[str]:
        """The problems found (empty: the file is sound), once the check has finished."""
        self._thread.join()
        return self.problems if self.problems is not None else ["the check did not finish"]


MOVED = "was moved or renamed (it is still on disk, under another name)"
"""What `_Watch` says of a file no longer at its path but not deleted: the learner's data is
all there, with its -wal and -shm still at the old path; moving it back is the way out."""


class _Watch:
    """The database file this process opened, watched before each commit: a file deleted,
    replaced (a rename over it), emptied, cut short or overwritten by another program while
    it is open is not seen by SQLite, which goes on committing to the -wal (of a file it can no
    longer read whole, or of one no longer at the path): grades said to be saved were lost at
    the next `doctor --restore`. One descriptor of the file is held for the whole process and
    shared by its connections to it: closing a descriptor of a file drops every POSIX lock the
    process holds on it, SQLite's own included (its shared lock, which keeps another
    process's last connection from deleting the -wal under it), so it is closed only when no
    connection of this process has the file open. Each check is an `os.stat` of the path, an
    `os.fstat` of the descriptor and a 100-byte `pread` (a few microseconds; a commit with
    `synchronous=FULL` is milliseconds)."""

    held: dict[tuple[int, int], list[int]] = {}  # (device, inode) -> [descriptor, users]

    def __init__(self, path: Path) -> None:
        self.path = path
        self.key, self.fd = hold(str(path))  # shared with this process's other connections
        head = os.pread(self.fd, 100, 0)
        self.stamp = head[16:24]  # page size, format versions, reserved bytes, fractions
        self.page = page_size(head) or 4096
        self.seen = os.fstat(self.fd).st_size

    def problem(self) -> str | None:
        """What another program did to the file, or None when it is still the one opened."""
        try:
            now = os.stat(self.path)
        except FileNotFoundError:
            if os.fstat(self.fd).st_nlink > 0:  # still linked somewhere: `mv`, not `rm`
                return MOVED
            return "was deleted"
        except OSError as err:
            return f"cannot be looked at ({err.strerror})"
        if (now.st_dev, now.st_ino) != self.key:
            return "was replaced by another file"
        size = os.fstat(self.fd).st_size
        if size == 0:
            return "was emptied (0 bytes)"
        head = os.pread(self.fd, 100, 0)
        if head[:16] != SQLITE_MAGIC or head[16:24] != self.stamp:
            return "was overwritten (its first bytes are no longer its SQLite header)"
        if size % self.page:
            return f"was cut short mid-page ({size:,} bytes)"
        # Fewer pages than its header gives, and fewer than at the last check: cut short. A
        # checkpoint writes page 1 first, so the file is briefly shorter than its header while
        # it grows (never shorter than before), and a checkpoint that shrinks it (after a
        # restore) writes the smaller count first.
        pages = int.from_bytes(head[28:32], "big")
        if head[92:96] == head[24:28] and size < pages * self.page and size < self.seen:
            return f"was cut short (from {self.seen:,} to {size:,} bytes)"
        self.seen = size
        return None

    def copy_to(self, target: Path) -> None:
        """The file as the held descriptor reads it (the one this process opened, even when
        deleted or replaced at the path) copied to `target`, without closing a descriptor of
        it (which would drop SQLite's locks)."""
        size = os.fstat(self.fd).st_size
        with target.open("wb") as out:
            at = 0
            while at < size and (chunk := os.pread(self.fd, 1 << 20, at)):
                out.write(chunk)
                at += len(chunk)
            out.flush()
            os.fsync(out.fileno())

    def release(self) -> None:
        release_held(self.key)


def hold(path: str) -> tuple[tuple[int, int], int]:
    """A descriptor of the file at `path` (its key and the descriptor), held in `_Watch.held`
    (one per file and process, counted) until `release_held`: closing any descriptor of a file
    drops every POSIX lock the process holds on it, and SQLite's connections lock the database
    file and the -shm so (a look at the -shm through a descriptor opened and closed again took
    them: another terminal then wrote into a log it no longer knew was in use). OSError if it
    cannot be opened."""
    st = os.stat(path)
    entry = _Watch.held.get((st.st_dev, st.st_ino))
    if entry is not None:  # held already by this process: that descriptor
        entry[1] += 1
        return (st.st_dev, st.st_ino), entry[0]
    fd = os.open(path, os.O_RDONLY)
    st = os.fstat(fd)
    key = (st.st_dev, st.st_ino)
    entry = _Watch.held.get(key)
    if entry is None:
        entry = _Watch.held[key] = [fd, 0]
    else:  # replaced meanwhile by a file held already: this descriptor is never closed
        _NEVER_CLOSED.append(fd)
    entry[1] += 1
    return key, entry[0]


def release_held(key: tuple[int, int]) -> None:
    """One user fewer of a descriptor `hold` gave (closed with its last: after the caller's
    connections to the file are closed)."""
    entry = _Watch.held.get(key)
    if entry is None:
        return
    entry[1] -= 1
    if entry[1] <= 0:
        del _Watch.held[key]
        os.close(entry[0])


_NEVER_CLOSED: list[int] = []


class FileGoneError(StoreError):
    """The database file was deleted, replaced, emptied, cut short or overwritten by another
    program while this process had it open; what this process saved is kept beside it."""


class Connection:
    """An open progress database. Use `open(path)` and `close()` (or `with`)."""

    fresh_schema = True
    """A brand-new file gets the current schema at once (`schema.create_fresh`); False: the
    migrations one by one, as an older file gets them (what `create_fresh` is checked
    against)."""

    still_open = 0
    """How many are open in this process: `dlcards.quick.script` ends a command without the
    interpreter's teardown only when none is (a connection closed at the teardown would
    checkpoint the log into the file and remove its -wal)."""

    def __init__(self, path: Path, conn: sqlite3.Connection) -> None:
        self.path = path
        self.conn = conn
        self._open = True
        Connection.still_open += 1
        self.guarded = False  # the checks before this process's first write are done
        self.checked_tables: set[str] = set()  # the session tables checked by this process
        self.file_check: FileCheck | None = None  # the whole file's, run in the background
        self.table_check: FileCheck | None = None  # some session tables', in the background
        self.whole_checked = False  # the whole file was checked by this process (or today's)
        self.backups = True  # automatic daily backups (and the daily full check)
        self.patience = BUSY_TIMEOUT_S  # how long another program's lock is waited for
        self.notice: Callable[[str], None] = _to_stderr
        self.made_fresh = False  # this process gave a brand-new file its schema
        # the path the database is known by: `path`, or the one a database being built in a
        # file beside it will have (`Connection.build`), which names its backups
        self.home = path
        self.watch: _Watch | None = None  # the file, checked before each commit
        self.gone: FileGoneError | None = None  # what another program did to it, once found
        self.pending: list[tuple[int, tuple[Any, ...]]] = []  # the open write's log rows
        self.logged: dict[int, tuple[Any, ...]] = {}  # log rows this process committed
        # where each of them was made among the learner's actions (`salvage.Place`), by log
        # id: kept with it by `_rescue`, to place it when it is added back
        self.places: dict[int, Any] = {}
        self.version: int | None = None  # SQLite's data_version when `logged` was last pruned
        # the log row of the grade being given (`giving`), as decided from what the learner saw:
        # kept by `_rescue` when the damage is found before the grade's own row is written
        self.refusing: Callable[[], tuple[Any, ...]] | None = None
        # the suspensions this process's grades made as leeches, by log id: what the flag's
        # time of change was before, for the grade's undo (`Store.undo`)
        self.leech_suspended: dict[int, Unsuspended] = {}
        self.taking_back: int | None = None  # the log id of the grade being undone (`undoing`)
        self.opened_ns = time.time_ns()  # undos recorded since are another terminal's (`_rescue`)
        self.read_only: str | None = None  # why nothing can be written, for a file only read
        self.snapshotting = False  # in a block of reads from one snapshot (`Reports.snapshot`)
        self.log_key: tuple[int, int] | None = None  # the -wal's (device, inode), once open
        self.log_lost = False  # the -wal was deleted or replaced under this process
        self.log_cut = False  # the -wal was emptied or cut short under it (`walcheck.log_cut`)
        self.indexes_held: dict[tuple[int, int], int] = {}  # -shm files read through (`hold`)
        self.wrote = False  # a write of this connection's was committed (`_write`)
        self.preparing = 0  # >0: in a write's checks first (the day's check and its write)
        self.joined = False  # in a `one_transaction` block: its writes commit at its end
        self.index_key: tuple[int, int] | None = None  # the -shm's (device, inode), once open
        self.index_size = 0  # the -shm's size when last looked at (SQLite never shrinks it)
        self.index_lost = False  # the -shm was deleted, replaced or cut short under it

    @classmethod
    def open(
        cls, path: Path | None = None, patience: float | None = None, home: Path | None = None
    ) -> Self:
        """The store at `path` (the default database), made if missing. `patience`: how long
        another program's lock is waited for, from the first read on (a shell prompt's count
        waits half a second while a first sync writes a new file); None: BUSY_TIMEOUT_S, read
        at the call (not bound when this was defined: a test that shortens it shortens it).
        `home`: `path` is a new file being built for a database at `home` (`build`): its
        journal is kept in memory and nothing is fsynced; its backups are named for `home`."""
        if patience is None:
            patience = BUSY_TIMEOUT_S
        path = (path or default_db()).expanduser()
        existed = existing_file(path)
        check_side_files(path)
        read_only = None
        if existed:
            check_header(path)
            read_only = unwritable(path)
            if path.stat().st_size == 0:
                if read_only is not None:  # no database in it, and none can be made
                    raise StoreError(read_only)
                _refuse_emptied(path)
        else:
            refuse_orphaned_log(path)
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as err:
                raise StoreError(
                    f"cannot create directory {path.parent} for the database: {err.strerror}"
                ) from None
            if not os.access(path.parent, os.W_OK):
                why = (
                    "it is on a read-only file system"
                    if _mounted_read_only(path)
                    else ("permission denied")
                )
                raise StoreError(f"cannot create database in {path.parent}: {why}")
        sidecars = [Path(f"{path}-wal"), Path(f"{path}-shm")]
        had = [p.exists() for p in sidecars]
        try:
            if read_only is not None:
                conn = _connect_read_only(path, patience)
            else:
                conn = sqlite3.connect(
                    path, timeout=patience, isolation_level=None, check_same_thread=False
                )
        except SQLITE_ERRORS as err:
            raise translate_error(path, err) from None
        store = cls(path, conn)
        store.patience = patience
        store.home = home or path
        store.read_only = read_only
        try:
            store._prepare()
            if store.made_fresh and not existed:
                say_backups_of_another(path, store.notice)
            try:
                store.watch = _Watch(path)
            except OSError:  # pragma: no cover - gone or unreadable at once: the write says
                store.watch = None
            if read_only is None:
                store.log_key = _file_key(Path(f"{path}-wal"))
                store._mark_index()
        except SQLITE_ERRORS as err:
            store.close()
            _drop_empty(sidecars, had)
            raise translate_error(path, err, patience) from None
        except StoreError:
            store.close()
            _drop_empty(sidecars, had)
            raise
        return store

    def _prepare(self) -> None:
        version = self.conn.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise StoreError(
                f"database {self.path} was made by a newer dlcards (schema {version}, this "
                f"version knows {SCHEMA_VERSION}); upgrade dlcards to use it"
            )
        if version == 0:
            rows = self.conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
            if made_elsewhere(version, {r[0] for r in rows}):
                raise StoreError(
                    f"database {self.path} is an SQLite file that dlcards did not create; "
                    "pass another path with --db"
                )
        self.conn.execute(f"PRAGMA busy_timeout = {int(self.patience * 1000)}")
        if version < SCHEMA_VERSION and self.read_only is not None:
            if not version:  # an empty SQLite file: no database in it, and none can be made
                raise StoreError(self.read_only)
            raise StoreError(
                f"database {self.path} was made by an older dlcards (schema {version}) and "
                f"must be upgraded to schema {SCHEMA_VERSION} before this one can read it, "
                f"which writes to it; {self.read_only}"
            )
        if version < SCHEMA_VERSION:
            if version > 0 and self.backups:
                self._backup_before_migration(version)
            self._migrate()
        _set_pragmas(self.conn)
        if self.building:  # thrown away if anything fails: fsynced once, whole (`build`)
            self.conn.execute("PRAGMA synchronous = OFF")
        present = {
            r[0] for r in self.conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        }
        missing = [t for t in TABLES if t not in present]
        if missing:
            raise StoreError(
                f"database {self.path} is damaged: table{'s' if len(missing) > 1 else ''} "
                f"{', '.join(missing)} {'are' if len(missing) > 1 else 'is'} missing; {DOCTOR}"
            )

    @property
    def building(self) -> bool:
        """Whether this is a new database being built beside its path (`build`)."""
        return self.home != self.path

    @classmethod
    def build(cls, path: Path, fill: Callable[[Self], T]) -> T | None:
        """When there is no file at `path`: a new database made beside it, `fill`ed, and put
        there whole (`dlcards.store.build`); what `fill` returned. None (nothing made) when a
        file is there, is put there meanwhile, or none can be built beside it."""
        from dlcards.store.build import build

        return build(cls, path, fill)

    def _backup_before_migration(self, version: int) -> None:
        from dlcards.store import backup

        try:
            backup.make(self.conn, self.path, date.today(), event=f"schema-{version}")
        except backup.DamagedError:
            raise
        except (OSError, *SQLITE_ERRORS) as err:
            raise StoreError(
                f"cannot back up database {self.path} before upgrading it (schema {version} to "
                f"{SCHEMA_VERSION}): {getattr(err, 'strerror', None) or err}; nothing was changed"
            ) from None

    def backup_before(self, event: str, day: date) -> Any:
        """A verified backup before `event` (a reset of studied cards), which no later backup
        replaces; a StoreError (the event is then not done) when it cannot be made."""
        from dlcards.store import backup

        try:
            return backup.make(self.conn, self.path, day, event)
        except backup.DamagedError:
            raise
        except (OSError, *SQLITE_ERRORS) as err:
            raise StoreError(
                f"cannot back up database {self.path} before the {event}: "
                f"{getattr(err, 'strerror', None) or err}; nothing was changed"
            ) from None

    # checks before the first write ----------------------------------------------------------

    def backup_now(self, day: date) -> Any:
        """A verified backup now (`dlcards backup`): a `dlcards.store.backup.Backup`, which
        no later backup replaces (the day's automatic one stays too)."""
        from dlcards.store import backup

        try:
            made = backup.make(self.conn, self.path, day, backup.MANUAL, placing=committing)
        except backup.DamagedError:
            raise
        except (OSError, *SQLITE_ERRORS) as err:
            raise _translate_os(self.path, err) from None
        return made

    def daily_check_due(self, today: date | None = None) -> bool:
        """Whether the next write runs the daily full check and backup (none can, on a
        database that cannot be written: the write is refused first)."""
        if self.guarded or self.read_only is not None:
            return False
        day = (today or date.today()).isoformat()
        return self._call(
            lambda: (
                self.conn.execute(
                    "SELECT 1 FROM meta WHERE key = ? AND value = ?", (CHECKED_KEY, day)
                ).fetchone()
                is None
            )
        )

    def guard_writes(
        self,
        today: date | None = None,
        whole_file: bool = False,
        tables: Sequence[str] = SESSION_TABLES,
    ) -> None:
        """The checks before this process's first write (see the module docstring). Study calls
        it before showing the first card; `_write` calls it otherwise. With `whole_file`, the
        rest of the file is checked too, now (unless the daily check or an earlier call did).
        `tables`: the session tables the coming write changes (a deck sync: the cards), each
        checked once per process; a later write to the others checks them then.
        Raises StoreError (one line, nothing written) when the database is damaged, or
        cannot be written (`read_only`)."""
        if self.read_only is not None:
            raise StoreError(self.read_only)
        if self.file_check is not None:
            self.refuse_damaged()
            self.guarded = True  # the whole file covers every table
            self._drop_table_check()
        if self.guarded and (self.whole_checked or not whole_file):
            return
        day = today or date.today()
        try:
            checked = self.conn.execute(
                "SELECT value FROM meta WHERE key = ?", (CHECKED_KEY,)
            ).fetchone()
            if checked is None or checked[0] != day.isoformat():
                self._daily_check(day)
            elif whole_file:
                from dlcards.store.backup import integrity_problems

                problems = integrity_problems(self.conn)
                if problems:
                    raise _damaged(self.path, problems)
                self.whole_checked = True
            elif not self.guarded:
                todo = [t for t in tables if t not in self.checked_tables]
                problems = []
                pending = self.table_check
                if pending is not None and pending.tables and set(todo) & set(pending.tables):
                    self.table_check = None
                    problems = pending.result()
                    if problems:
                        raise _damaged(self.path, problems)
                    self.checked_tables.update(pending.tables)
                    todo = [t for t in todo if t not in pending.tables]
                problems += self._check_tables(todo)
                if problems:
                    raise _damaged(self.path, problems)
                self.checked_tables.update(todo)
                if not self.checked_tables.issuperset(SESSION_TABLES):
                    return  # the rest before a write that changes them
        except SQLITE_ERRORS as err:
            raise self._failed(err) from None
        self.guarded = True

    def refuse_locked(self) -> None:
        """Raise LockedError (one line, nothing written) when another program holds the write
        lock for longer than this store's patience (BUSY_TIMEOUT_S): for a command that
        writes elsewhere before it writes here (`import anki --to-yaml`'s decks), so that a
        lock already held stops it before its first write anywhere. Takes the lock and gives
        it back at once."""
        if self.gone is not None:
            raise self.gone
        if self.read_only is not None:
            raise StoreError(self.read_only)
        try:
            self.conn.execute("BEGIN IMMEDIATE")
            self.conn.execute("ROLLBACK")
        except SQLITE_ERRORS as err:
            if self.conn.in_transaction:
                with _quiet():
                    self.conn.execute("ROLLBACK")
            raise self._failed(err) from None

    def _check_tables(self, tables: Sequence[str]) -> list[str]:
        """`PRAGMA integrity_check` of each of `tables`; the problems found. In a file of
        PARALLEL_CHECK_BYTES or more, a second connection in a thread takes tables from the
        same list (the sqlite3 module lets go of the GIL while SQLite works): at 100,000 cards
        the cards, sm2 and fsrs checks take 0.18, 0.47 and 0.12 s, 0.77 s one after the other
        and 0.47 s so on 2 cores. The thread's connection reads the committed state, which is
        this one's: nothing is written before the check."""
        import threading

        todo = list(tables)
        found: dict[str, list[str]] = {}
        lock = threading.Lock()

        def take() -> str | None:
            with lock:
                return todo.pop(0) if todo else None

        def work(conn: sqlite3.Connection) -> None:
            while (table := take()) is not None:
                rows = conn.execute(f"PRAGMA integrity_check('{table}')").fetchall()
                found[table] = problem_lines(r[0] for r in rows)

        helper: threading.Thread | None = None
        failed: list[sqlite3.Error | UnicodeDecodeError] = []
        if len(todo) > 1 and cores() > 1 and self._file_bytes() >= PARALLEL_CHECK_BYTES:

            def second() -> None:
                try:
                    conn = sqlite3.connect(
                        self.path, timeout=BUSY_TIMEOUT_S, isolation_level=None,
                        check_same_thread=False,
                    )  # fmt: skip
                    try:
                        conn.execute("PRAGMA query_only = 1")
                        work(conn)
                    finally:
                        conn.close()
                except SQLITE_ERRORS as err:
                    failed.append(err)

            helper = threading.Thread(target=second, name="dlcards-check-tables", daemon=True)
            helper.start()
        try:
            work(self.conn)
        finally:
            if helper is not None:
                helper.join()
        if failed:
            raise failed[0]  # a malformed page and the like: translated by the caller
        return [problem for table in tables for problem in found[table]]

    def _file_bytes(self) -> int:
        row = self.conn.execute(
            "SELECT page_count * page_size FROM pragma_page_count(), pragma_page_size()"
        ).fetchone()
        return int(row[0]) if row else 0

    def check_in_background(self, today: date | None = None) -> None:
        """Before a session that appends to the log: the daily check now if it is due (it
        makes the day's backup); else the whole file's check, which covers the session tables
        too, in a thread while the first card is read. The first write waits for it
        (`guard_writes` once `checking` is over tells a session between cards)."""
        if self.read_only is not None:
            raise StoreError(self.read_only)
        if self.whole_checked or self.file_check is not None:
            return
        if self.daily_check_due(today):
            self.guard_writes(today)
            return
        self.check_file_in_background()

    def check_file_in_background(self) -> None:
        """Start the whole file's check in a thread for a command that only reads, but whose
        answer a damaged database would make wrong (an import's dry run: a damaged index of
        the log's Anki ids answered "would import 11,191 reviews" of answers all imported, and
        the import then refused): no daily check, no backup, nothing written.
        `refuse_damaged` waits for it. Not on a database that cannot be written: on a
        read-only file system the check's own connection cannot open it (it makes no -shm
        there), which read as "damaged (unable to open database file)"."""
        if self.whole_checked or self.file_check is not None or self.read_only is not None:
            return
        self._drop_table_check()  # the whole file's check covers those tables
        self.file_check = FileCheck(self.path)

    def refuse_damaged(self) -> None:
        """Raise StoreError (one line, nothing written) when the whole file's check started
        by `check_file_in_background` found the database damaged; waits for it."""
        if self.file_check is None:
            return
        problems = self.file_check.result()
        if problems:  # kept: every later write is refused too
            raise _damaged(self.path, problems)
        self.file_check = None
        self.whole_checked = True

    def check_tables_in_background(self, tables: Sequence[str], today: date | None = None) -> bool:
        """Start the check of `tables` (session tables a coming write may change) in a thread,
        for a later `guard_writes` that names them to wait for; False when there is nothing to
        start: they are checked already, or the daily check is due (it checks everything and
        makes the day's backup, so it runs in the foreground)."""
        todo = [t for t in tables if t not in self.checked_tables]
        if (
            self.read_only is not None
            or self.guarded
            or not todo
            or self.file_check is not None
            or self.table_check is not None
            or self.daily_check_due(today)
        ):
            return False
        self.table_check = FileCheck(self.path, todo)
        return True

    def _drop_table_check(self) -> None:
        if self.table_check is not None:
            self.table_check.cancel()
            self.table_check = None

    @property
    def checking(self) -> bool:
        """Whether the background check of the whole file is still running."""
        return self.file_check is not None and not self.file_check.done

    def _daily_check(self, day: date) -> None:
        """A verified backup (its integrity check is the full check of the database); if no
        backup can be written (a full disk), the check runs on the database itself."""
        from dlcards.store import backup

        if self.building:
            # a file being built is this process's own, new, and holds nothing of the
            # learner's (a first sync's cards); it may never be the database (a deck fails,
            # the build is dropped), and its backup would then be taken for one of a database
            # that was there (`say_backups_of_another`). The day's check and backup are the
            # built database's first write's, once it is at its path.
            self.guarded = self.whole_checked = True
            self._drop_table_check()
            return
        done = False
        if self.backups and not self._nothing_to_back_up():
            try:
                backup.make(self.conn, self.home, day)
                done = True
            except backup.DamagedError:
                raise
            except (OSError, *SQLITE_ERRORS) as err:
                if isinstance(err, SQLITE_ERRORS) and says_corrupt(err):
                    # the database read for its copy is damaged: said once, as the check
                    # below says it (a warning that no backup was made, then "corrupt or not
                    # a dlcards database" from the check's own read, were two lines)
                    raise backup.DamagedError(str(_damaged(self.path, [str(err)]))) from None
                reason = getattr(err, "strerror", None) or str(err)
                self.notice(f"warning: could not back up {self.home} today: {reason}")
        if not done:
            problems = backup.integrity_problems(self.conn)
            if problems:
                raise backup.DamagedError(str(_damaged(self.path, problems)))
        self.guarded = self.whole_checked = True
        self._drop_table_check()
        self.set_meta(CHECKED_KEY, day.isoformat())
        from dlcards.fileio import clean_stale_temps
        from dlcards.store.build import clear_stale

        # what a build killed between its link and the removal of its own name left: a
        # second, hidden name of this file (which would keep its space once the file is
        # replaced); building files of killed first syncs too
        clear_stale(self.home)
        # the backup a killed `doctor --restore` was unpacking beside it (as big as the
        # database: 71 MB at 30,000 cards), which only the next restore removed
        clean_stale_temps(self.home.parent, self.home.name)

    def _nothing_to_back_up(self) -> bool:
        """Whether the database holds no review and no quiz answer while backups of it exist:
        its backup would take the place of the day's backup or rotate out an earlier day's
        (a file deleted or emptied by mistake and made again, its first study of the day).
        The backups stay as they are until it holds something of the learner's."""
        from dlcards.store import backup

        row = self.conn.execute(
            "SELECT NOT EXISTS (SELECT 1 FROM reviews) AND NOT EXISTS (SELECT 1 FROM quiz_results)"
        ).fetchone()
        return bool(row[0]) and bool(backup.backups(self.home))

    def _has_table(self, name: str) -> bool:
        row = self.conn.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (name,)
        ).fetchone()
        return row is not None

    def _migrate(self) -> None:
        from dlcards.store.schema import create_fresh, is_empty, migrate

        if self.building:  # a new file's pages are not journaled: its rollback, in memory
            self.conn.execute("PRAGMA journal_mode = MEMORY")
        else:
            mode = self.conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            if str(mode).lower() != "wal":  # pragma: no cover - e.g. a network file system
                self.conn.execute("PRAGMA journal_mode = DELETE")
        self.conn.execute("BEGIN IMMEDIATE")  # one migrator at a time
        try:
            # a brand-new file gets the schema the migrations make at once (`create_fresh`)
            if self.fresh_schema and is_empty(self.conn):
                create_fresh(self.conn)
                self.made_fresh = True
                self.conn.execute(f"PRAGMA application_id = {NONE_PENDING_ID}")
            else:
                migrate(self.conn)
            self.conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
            self.conn.execute("COMMIT")
        except BaseException:
            if self.conn.in_transaction:
                self.conn.execute("ROLLBACK")
            raise

    def close(self) -> None:
        self._drop_table_check()
        if self.file_check is not None:
            self.file_check.cancel()
            self.file_check = None
        # not through a stale index (see `_rejoin_index`), nor from a log cut short: its
        # checkpoint would copy into the file the zeros read where the frames were (`_gone`)
        if self._index_moved() or self.log_cut:
            with _read_locked_elsewhere(self.path):
                self.conn.close()
        else:
            self.conn.close()
        if self.watch is not None:
            self.watch.release()
            self.watch = None
        for key in self.indexes_held:  # after the connection: no lock of its is left to drop
            release_held(key)
        self.indexes_held = {}
        if self._open:
            self._open = False
            Connection.still_open -= 1

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def waiting_at_most(self, seconds: float) -> Iterator[None]:
        """In the block, another program's write lock is waited for `seconds` at most, not
        BUSY_TIMEOUT_S (a shell prompt's count does not hang while an import writes)."""
        before = self.patience
        self.conn.execute(f"PRAGMA busy_timeout = {int(seconds * 1000)}")
        self.patience = seconds
        try:
            yield
        finally:
            self.conn.execute(f"PRAGMA busy_timeout = {int(before * 1000)}")
            self.patience = before

    # plumbing -------------------------------------------------------------------------------

    def _call(self, fn: Callable[[], T]) -> T:
        if self.gone is None and self.read_only is None and not self.conn.in_transaction:
            self._rejoin_index()  # a read through an index cut short is a SIGBUS
        try:
            return fn()
        except SQLITE_ERRORS as err:
            raise self._failed(err) from None

    @contextmanager
    def one_transaction(self) -> Iterator[None]:
        """The block's writes (`_write`s, each with its checks) in one transaction, begun by
        the first of them, in its place (a deck sync's, in its turn: `sync_if_needed`), and
        committed at the block's end: all of them or none. For `import anki --to-yaml`, whose
        new decks' cards and their reviews were synced and merged in two transactions, so
        that a merge that failed (a lock taken meanwhile, a damaged file, Ctrl-C, `kill`) left
        the cards in the database without their decks or reviews. An error in the block rolls
        everything back; a stop (Ctrl-C, SIGTERM) held from the commit on
        (`interrupts.committing`) is noted at this commit, not at each write's."""
        if self.joined:  # inside another: one transaction already
            yield
            return
        self.joined = True
        try:
            yield
        except BaseException:
            if self.conn.in_transaction:
                with _quiet():
                    self.conn.execute("ROLLBACK")
            raise
        finally:
            self.joined = False
        if not self.conn.in_transaction:  # the block wrote nothing
            return
        try:
            self._still_whole()
        except BaseException:
            if self.conn.in_transaction:
                with _quiet():
                    self.conn.execute("ROLLBACK")
            raise
        self._commit(announce=True)

    def _still_whole(self) -> None:
        """Before a write's commit: the file is still this connection's, and its -shm too
        (StoreError, for the caller to roll back)."""
        self._still_ours()
        if self._index_moved():
            raise StoreError(
                f"{self._index_gone()} while this was being saved; nothing of it was "
                "saved: try again"
            )

    def _commit(self, announce: bool) -> None:
        """COMMIT the write transaction, and note what it logged. `announce`: the write asked
        for (not the day's check before it): a stop from here on waits for the caller's end
        (an import's, `interrupts.committing`)."""
        if announce:
            committing()
        try:
            self.conn.execute("COMMIT")
        except SQLITE_ERRORS as err:
            if self.conn.in_transaction:
                self.conn.execute("ROLLBACK")
            raise self._failed(err) from None
        self.logged.update(self.pending)
        self.pending = []
        self.wrote = True
        self._keep_log()

    @contextmanager
    def _write(
        self, tables: Sequence[str] = SESSION_TABLES, whole_file: bool = False
    ) -> Iterator[sqlite3.Connection]:
        """One IMMEDIATE transaction: committed on success, rolled back on any error.
        `tables`: the session tables it changes (checked first, `guard_writes`).

        `whole_file`: the checks of `guard_writes(whole_file=True)`, for a write that reads
        much before it writes (an import); but when they come down to the whole file's
        integrity check (not done by this process yet, no daily check due, none running), it
        runs on a connection of its own in a thread (`FileCheck`) while the transaction
        reads, instead of before it: started once the write lock is held, it checks the
        committed state this transaction changes and no other process can change meanwhile.
        The block calls `guard_writes()` before its first write, which waits for the check
        (a damaged file: StoreError, the transaction rolled back, nothing written); the
        commit waits for it in any case. At 100,000 cards the check takes 0.5 s, the import's
        reads and decisions before its first write longer."""
        if self.gone is not None:
            raise self.gone
        if self.read_only is not None:
            raise StoreError(self.read_only)
        if self.joined and self.conn.in_transaction:  # a later write of `one_transaction`'s
            try:
                self.guard_writes(whole_file=whole_file, tables=tables)
                yield self.conn
            except BaseException as err:
                if self.conn.in_transaction:
                    with _quiet():
                        self.conn.execute("ROLLBACK")
                if isinstance(err, SQLITE_ERRORS):
                    raise self._failed(err) from None
                raise
            return
        self._rejoin_index()
        background = (
            whole_file
            and not self.whole_checked
            and self.file_check is None
            and not self.daily_check_due()
        )
        if not background:
            self.preparing += 1
            try:
                self.guard_writes(whole_file=whole_file, tables=tables)
            finally:
                self.preparing -= 1
        try:
            self.conn.execute("BEGIN IMMEDIATE")
        except SQLITE_ERRORS as err:
            raise self._failed(err) from None
        writing()  # a save the learner asked for is now committed and recorded, or not at all
        self.pending = []
        if background:
            self._drop_table_check()  # the whole file's check covers those tables
            self.file_check = FileCheck(self.path)
        try:
            self._forget_taken_back()
            yield self.conn
            if background:
                self.guard_writes()  # the check started above, if the block did not wait
            self._still_whole()
        except BaseException as err:
            if self.conn.in_transaction:
                with _quiet():
                    self.conn.execute("ROLLBACK")
            if isinstance(err, SQLITE_ERRORS) and (gone := self._gone()) is not None:
                raise gone from None  # a read failed on the damaged file
            if isinstance(err, FileGoneError):
                raise
            check = self.file_check if background else None
            if check is not None:  # the check this transaction started, not waited for
                self.file_check = None
                if not isinstance(err, SQLITE_ERRORS):
                    check.cancel()
                elif problems := check.result():  # a read failed: say why, if it was damage
                    raise _damaged(self.path, problems) from None
            if isinstance(err, SQLITE_ERRORS):
                raise self._failed(err) from None
            raise
        else:
            if self.joined and not self.preparing:
                return  # the first write of `one_transaction`'s: committed at its end
            self._commit(announce=not self.preparing)

    @contextmanager
    def giving(self, row: Callable[[], tuple[Any, ...]]) -> Iterator[None]:
        """In the block, a grade is being given: `row` makes its log row (REVIEW_COLUMNS'
        values) as the caller would decide it from what it last read. If the file is found
        damaged before the grade's own write has its row (a read fails at its start: an emptied
        file, once another connection has committed, is read again), `_rescue` keeps that row:
        a grade the learner gave is never dropped, whatever read failed first."""
        before = self.refusing
        self.refusing = row
        try:
            yield
        finally:
            self.refusing = before

    @contextmanager
    def undoing(self, review_id: int) -> Iterator[None]:
        """In the block, the grade logged under `review_id` by this process is being taken
        back: if the file is found damaged before the undo commits, `_rescue` keeps the undo
        (the grade is not kept, and is recorded as undone), as it keeps a grade refused."""
        self.taking_back = review_id
        try:
            yield
        finally:
            self.taking_back = None

    def _forget_taken_back(self) -> None:
        """Drop from `logged` the grades no longer in the log since another program
        committed (a `dlcards undo` in another terminal, a restore): else a later rescue kept
        them, and `doctor --restore` brought back a grade the learner took back. Asked inside
        each write transaction (the log as it is now); a query only when another connection
        has committed since the last one (SQLite's `data_version`)."""
        from dlcards.store.salvage import identity

        if not self.logged:
            return
        version = int(self.conn.execute("PRAGMA data_version").fetchone()[0])
        if version == self.version:
            return
        self.version = version
        gone = [
            review_id
            for review_id, row in self.logged.items()
            if self.conn.execute(
                "SELECT 1 FROM reviews WHERE card_id = ? AND at = ?", identity(row)
            ).fetchone()
            is None
        ]
        for review_id in gone:
            del self.logged[review_id]
            self.places.pop(review_id, None)

    def _failed(self, err: sqlite3.Error | UnicodeDecodeError) -> StoreError:
        """The error to raise for an SQLite error on this connection: FileGoneError (after
        `_rescue`) when the file was damaged under this process, as a read fails on a file
        emptied or cut short once another terminal has committed (this process then reads
        pages from the file again: a grade undone there, say); else its one line."""
        return self._gone() or translate_error(self.path, err, self.patience)

    def _keep_log(self) -> None:
        """After a commit: the write-ahead log this connection writes must still be the file at
        `{path}-wal`. Another program deleting it (a cleaner, a sync tool that leaves side
        files out) left SQLite appending to the deleted file, where every grade since the last
        checkpoint was lost when the process was killed, each said to be saved (a torture
        run: 4 grades saved, the log deleted, SIGKILL, 0 left). The deleted log is
        checkpointed into the database file itself (TRUNCATE: it and its index start again
        empty) and, once all of it is there, the connection is opened again on the log at the
        path (`_reopen`); while another reader keeps the checkpoint from finishing, each commit
        is checkpointed so. A warning says so once."""
        if self.log_key is None:
            return
        if _file_key(Path(f"{self.path}-wal")) == self.log_key:
            return
        if not self.log_lost:
            self.log_lost = True
            self.notice(
                f"warning: the write-ahead log {self.path.name}-wal beside {self.path} was "
                "deleted or replaced by another program; what this dlcards had saved in it is "
                "copied into the database file itself"
            )
        done = None
        with _quiet():  # a checkpoint that cannot finish (another reader) copies what it can
            done = self.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        # all of the deleted log is in the file now: the connection takes up the log at the
        # path, which the other programs write through the index it shares with them (it went
        # on reading and writing its own deleted log by that index: another terminal's commit
        # after this checkpoint, then this one's next, made the file "malformed")
        if done is not None and done[0] == 0:
            self._reopen()

    def _mark_index(self) -> None:
        """Take note of the -shm this connection maps (just opened, or opened again)."""
        try:
            st = os.stat(f"{self.path}-shm")
        except OSError:
            self.index_key = None
            return
        self.index_key, self.index_size = (st.st_dev, st.st_ino), st.st_size

    def _index_moved(self) -> bool:
        """Whether the -shm at the path is no longer the file this connection maps, or was cut
        shorter than it (SQLite, which only ever grows it while it is open, would then touch
        a mapped page past its end: a SIGBUS killed the process, `Bus error`, at its next
        read or grade)."""
        if self.index_key is None:
            return False
        try:
            st = os.stat(f"{self.path}-shm")
        except OSError:
            return True
        if (st.st_dev, st.st_ino) != self.index_key or st.st_size < self.index_size:
            return True
        self.index_size = st.st_size
        return False

    def _index_gone(self) -> str:
        return (
            f"cannot save to database {self.path}: {self.path.name}-shm beside it (the "
            "write-ahead log's index) was deleted, replaced or cut short by another program"
        )

    def _rejoin_index(self) -> None:
        """Before a write: the write-ahead log's index (`{path}-shm`) this connection maps must
        still be the file at the path. Another program deleting or replacing it (a cleaner, a
        sync tool) split the terminals in two: the next dlcards made a new index and saw none
        of this one's locks, so each wrote its commits over the other's in the log (a torture
        run: `rm p.db-shm` under `study`, `dlcards suspend gd-1` said "suspended", the
        session's next grades overwrote it, and `doctor --check` found nothing wrong). SQLite
        keeps one index per file for a whole process, so this connection is closed, while a
        child process's read lock keeps that close from checkpointing the log through the
        stale index or deleting it (`_read_locked_elsewhere`), and opened again: it then maps
        the index the other programs use, and its writes join theirs. A warning says so once.
        """
        if not self._index_moved():
            return
        if self.gone is not None or (self.watch is not None and self.watch.problem()):
            return  # the file itself was changed: not opened again (`_still_ours` refuses)
        self._keep_log()  # a log deleted too: its commits into the file (and opened again)
        if not self._index_moved():
            return
        if not self._reopen():
            raise StoreError(
                f"{self._index_gone()}, and this dlcards cannot take up the new one safely; "
                "nothing more was saved: quit and start again"
            )

    def _reopen(self) -> bool:
        """Close this connection, while a child process's read lock keeps that close from
        checkpointing the log through what this connection maps or deleting the log and its
        index (`_read_locked_elsewhere`), and open it again: it then maps the -shm and writes
        the -wal at the path, as the other programs do. False (nothing done) when that cannot
        be done safely: another connection of this process has the file open (SQLite's index
        is shared by the whole process), or no child process can hold the lock."""
        if self.watch is not None and _Watch.held.get(self.watch.key, [0, 1])[1] > 1:
            return False
        moved = self._index_moved()
        restart = self.file_check is not None
        self._drop_table_check()
        if self.file_check is not None:
            self.file_check.cancel()
            self.file_check = None
        with _read_locked_elsewhere(self.path) as held:
            if not held:
                if restart:
                    self.file_check = FileCheck(self.path)
                return False
            self.conn.close()
        try:
            self.conn = sqlite3.connect(
                self.path, timeout=self.patience, isolation_level=None, check_same_thread=False
            )
            self.conn.execute(f"PRAGMA busy_timeout = {int(self.patience * 1000)}")
            _set_pragmas(self.conn)
            self.conn.execute("SELECT count(*) FROM sqlite_master").fetchone()  # maps the index
        except SQLITE_ERRORS as err:
            self.gone = FileGoneError(
                self._rescue(f"could not be opened again after its side files changed ({err})")
            )
            raise self.gone from None
        self.log_key = _file_key(Path(f"{self.path}-wal"))
        self._mark_index()
        self.version = None
        if moved and not self.index_lost:
            self.index_lost = True
            self.notice(
                f"warning: {self.path.name}-shm beside {self.path} (the write-ahead log's "
                "index) was deleted, replaced or cut short by another program; this dlcards "
                "opened the database again so that its writes and other terminals' are all kept"
            )
        if restart:
            self.file_check = FileCheck(self.path)
        return True

    def _still_ours(self) -> None:
        """Before a commit: the file is still the one this process opened, whole (`_Watch`);
        else the write is not committed (FileGoneError, after `_rescue`)."""
        if (gone := self._gone()) is not None:
            raise gone

    def _gone(self) -> FileGoneError | None:
        """What another program did to the file or to its log (found once: the rescue is made
        then)."""
        if self.gone is None and self.watch is not None:
            problem = self.watch.problem()
            if (  # its own commits lost with the log it still writes (a log deleted or
                # replaced is `_keep_log`'s; another program's lost commits, SQLite's error)
                problem is None
                and self.wrote
                and self.log_key is not None
                and _file_key(Path(f"{self.path}-wal")) == self.log_key
            ):
                from dlcards.store.walcheck import log_cut

                index = self._index_held()
                problem = None if index is None else log_cut(self.path, index)
                self.log_cut = problem is not None
            if problem is not None and self.building:
                # the file a first sync was building: nothing of the learner's is in it, and
                # there is no database to keep a copy of or to point doctor at
                self.gone = FileGoneError(
                    f"the file dlcards was making database {self.home} in {problem} by "
                    "another program; no database was made: run the command again"
                )
            elif problem is not None:
                self.gone = FileGoneError(self._rescue(problem))
        return self.gone

    def _index_held(self) -> int | None:
        """A descriptor of the -shm at the path, held while this connection is open (`hold`):
        read through it, never one opened and closed again."""
        try:
            st = os.stat(f"{self.path}-shm")
        except OSError:
            return None
        key = (st.st_dev, st.st_ino)
        if key not in self.indexes_held:
            try:
                key, fd = hold(f"{self.path}-shm")
            except OSError:
                return None
            self.indexes_held[key] = fd
        return self.indexes_held[key]

    def _rescue(self, problem: str) -> str:
        """Keep what this process did, once the file is found damaged under it: the log rows
        it saved (and the one refused) in `backups/{stem}-kept-{stamp}.json`, and the file as
        it reads it (the one it opened, even deleted or replaced) with its -wal in
        `backups/{stem}-damaged-{stamp}.db`, before this process's close checkpoints the -wal
        into a damaged file. `dlcards doctor --restore` adds to a backup the grades these
        hold that it lacks. Returns the line for the learner."""
        import shutil
        from datetime import datetime

        from dlcards.store import backup
        from dlcards.store.rows import REVIEW_COLUMNS
        from dlcards.store.salvage import (
            DAMAGED_MARK,
            KEPT_MARK,
            identity,
            record_undone,
            undone_path,
            undone_since,
            write_kept,
        )

        # the grades undone in another terminal since this process opened the file (each undo
        # is recorded before it commits: `Store.undo`), which it could not prune from what it
        # saved once the file could not be read (`_forget_taken_back`), are not kept
        # an undo refused here (`taking_back`): the learner took the grade back, so it is not
        # kept either, and is recorded as undone (the raw copy's log still holds it), unless
        # the undo recorded it before its commit was refused
        logged = dict(self.logged)
        back = logged.pop(self.taking_back, None) if self.taking_back is not None else None
        undone = undone_since(self.path, self.opened_ns)
        logged = {rid: row for rid, row in logged.items() if identity(row) not in undone}
        rows = [*logged.values(), *(row for _, row in self.pending)]
        places = [self.places.get(rid) for rid in [*logged, *(rid for rid, _ in self.pending)]]
        refused = [row for _, row in self.pending]  # the open write's: found before its commit
        if self.refusing is not None:
            given = self.refusing()
            mark = REVIEW_COLUMNS.index("reviewed_at")
            if not any((r[0], r[mark]) == (given[0], given[mark]) for r in rows):
                # its place in the log after the card's grades before it, as `Store.grade`
                # puts it (a clock set back since would put it before them)
                at = REVIEW_COLUMNS.index("at")
                latest = max((r[at] for r in rows if r[0] == given[0]), default=given[at])
                if latest >= given[at]:
                    given = (*given[:at], latest + 1, *given[at + 1 :])
                rows.append(given)
                places.append(None)
                refused = [given]
        stamp = datetime.now().strftime("%Y-%m-%dT%H%M%S.%f")[:-3]
        folder = backup.folder_of(self.path)
        kept: list[str] = []
        grade = REVIEW_COLUMNS.index("grade")
        wanted = (
            ([_grades(len(rows), refused)] if rows else [])
            + ([f"the undo of grade {back[grade]} on {back[0]}, refused"] if back else [])
            + (["the file as this program had it"] if self.watch is not None else [])
        )
        failed: OSError | None = None
        raw = folder / f"{self.path.stem}{DAMAGED_MARK}{stamp}.db"
        try:
            folder.mkdir(exist_ok=True)
            if rows:
                target = folder / f"{self.path.stem}{KEPT_MARK}{stamp}.json"
                write_kept(target, self.path, rows, places)
                kept.append(f"{wanted[0]} ({target.name})")
            if back is not None:  # kept as done: a copy that holds it does not bring it back
                record_undone(self.path, identity(back), done=True)
                kept.append(f"{wanted[len(kept)]} ({undone_path(self.path).name})")
            if self.watch is not None:
                self.watch.copy_to(raw)
                wal = Path(f"{self.path}-wal")
                if wal.exists():
                    shutil.copyfile(wal, Path(f"{raw}-wal"))
                kept.append(f"{wanted[-1]} ({raw.name})")
        except OSError as err:  # a full disk: no cut-short copy left to be salvaged from
            failed = err
            if self.watch is not None and len(kept) < len(wanted):
                for made in (raw, Path(f"{raw}-wal")):
                    made.unlink(missing_ok=True)
        found = backup.backups(self.path)
        todo = (
            f"move it back to {self.path} (its {self.path.name}-wal, which holds its last "
            "commits, stayed there) and start again"
            if problem == MOVED
            else "run `dlcards doctor` to add the kept grades to it (the file itself is sound)"
            if self.log_cut
            else f"run `dlcards doctor --restore {found[0].path.name}` to put the newest backup "
            "back with the grades it lacks"
            if found
            else "keep them and run `dlcards doctor`"
        )
        said = f"kept in {folder}: {' and '.join(kept)}" if kept else ""
        if failed is not None:
            lost = " nor ".join(wanted[len(kept) :]) or "anything"
            why = failed.strerror or str(failed)
            not_kept = f"could not keep {lost} in {folder} ({why})"
            said = f"{said}, but {not_kept}" if said else not_kept
        return (
            f"database {self.path} {problem} while this dlcards had it open, and nothing more "
            f"is written to it; {said}; {todo}"
        )

    # settings ------------------------------------------------------------------------------

    def stored_settings(self) -> dict[str, str]:
        """The settings as stored (text), without the sync bookkeeping."""
        return self._call(lambda: stored_settings_in(self.conn))

    def settings(self) -> Settings:
        """The checked settings."""
        return self._checked(self.stored_settings())

    def _settings_in(self, c: sqlite3.Connection) -> Settings:
        """The checked settings inside a write transaction: the ones that hold until it
        commits (no `config` in another process can change them meanwhile)."""
        return self._checked(stored_settings_in(c))

    def _checked(self, stored: dict[str, str]) -> Settings:
        from dlcards.settings import Settings

        return Settings.from_stored(stored, where=f"database {self.path}")

    def get_meta(self, key: str) -> str | None:
        row = self._call(
            lambda: self.conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        )
        return row[0] if row else None

    def delete_meta(self, key: str) -> None:
        with self._write(("meta",)) as c:  # no trigger on meta: no other table is touched
            c.execute("DELETE FROM meta WHERE key = ?", (key,))

    def set_meta(self, key: str, value: str) -> None:
        with self._write(("meta",)) as c:
            c.execute(UPSERT_META, (key, value))

    def record_pending(self, key: str, value: str) -> None:
        """Keep the record `value` of file writes (`PENDING_FILES` + its writer's token), the
        header's mark of none kept taken back in the same transaction (`NONE_PENDING_ID`)."""
        if not key.startswith(PENDING_FILES):
            raise ValueError(f"not a record of file writes: {key}")
        with self._write(("meta",)) as c:
            c.execute(UPSERT_META, (key, value))
            c.execute("PRAGMA application_id = 0")

    def forget_pending(self, key: str | None = None) -> None:
        """Drop the record of file writes at `key` (None: none), and mark the header as
        keeping none (`NONE_PENDING_ID`) when no other is left, in the same transaction. No
        write at all when there is nothing to change (each command's open calls it)."""

        def marked() -> bool:
            return bool(self.conn.execute("PRAGMA application_id").fetchone()[0] == NONE_PENDING_ID)

        if key is None and self._call(marked):
            return
        with self._write(("meta",)) as c:
            if key is not None:
                c.execute("DELETE FROM meta WHERE key = ?", (key,))
            if not c.execute(PENDING_SQL, PENDING_RANGE).fetchone()[0] and not marked():
                c.execute(f"PRAGMA application_id = {NONE_PENDING_ID}")

    def pending_files(self) -> dict[str, str]:
        """The records of file writes not yet made part of this database (`PENDING_FILES`),
        by key: those of commands killed before their commit, for the next to undo. Nothing
        (no query) for a database that cannot be written, which no command could tidy."""
        if self.read_only is not None or self.gone is not None:
            return {}
        rows = self._call(
            lambda: self.conn.execute(
                "SELECT key, value FROM meta WHERE key >= ? AND key < ?", PENDING_RANGE
            ).fetchall()
        )
        return dict(rows)


def _set_pragmas(conn: sqlite3.Connection) -> None:
    """What every connection that writes the database sets (besides its busy timeout)."""
    conn.execute("PRAGMA synchronous = FULL")
    conn.execute("PRAGMA foreign_keys = ON")
    # the -wal a big write grew (an import of a million reviews: ~270 MB) shrinks back to
    # this at the next reset of the log, instead of staying while any terminal is open
    conn.execute(f"PRAGMA journal_size_limit = {WAL_SIZE_LIMIT}")


SHARED_FIRST = 0x40000000 + 2
"""The first byte SQLite's unix VFS read-locks for a connection's SHARED lock on a database
file (`PENDING_BYTE + 2`, sqlite3.c's SHARED_FIRST); a connection closing takes an EXCLUSIVE
lock (a write lock on those bytes) before it checkpoints the log and deletes it."""

_HOLD_SHARED = (
    "import fcntl, os, stat, sys\n"
    # not blocking: the path may be a FIFO by now (the database deleted and one made in its
    # place), whose open() waits for a writer for ever (`Store.close` hung with it)
    "fd = os.open(sys.argv[1], os.O_RDONLY | os.O_NONBLOCK)\n"
    "if not stat.S_ISREG(os.fstat(fd).st_mode):\n"
    "    sys.exit(1)\n"
    "fcntl.lockf(fd, fcntl.LOCK_SH, 1, int(sys.argv[2]))\n"
    "sys.stdout.write('held')\n"
    "sys.stdout.flush()\n"
    "sys.stdin.read()\n"
)


@contextmanager
def _read_locked_elsewhere(path: Path) -> Iterator[bool]:
    """In the block, a child process read-locks the database's first SHARED byte, as a
    connection of another program does: a connection of this process closed meanwhile cannot
    take its EXCLUSIVE lock, so it neither checkpoints the log nor deletes it and its index.
    (A lock of this process could not: POSIX locks of one process never conflict, and
    another SQLite connection of this process would share the index being dropped.) Yields
    whether the lock is held."""
    import subprocess
    import sys

    try:
        proc = subprocess.Popen(
            [sys.executable, "-I", "-S", "-c", _HOLD_SHARED, str(path), str(SHARED_FIRST)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
        )  # fmt: skip
    except OSError:
        yield False
        return
    assert proc.stdin is not None and proc.stdout is not None
    try:
        yield proc.stdout.read(4) == b"held"
    finally:
        proc.stdin.close()
        proc.stdout.close()
        proc.wait()


def stored_settings_in(c: sqlite3.Connection) -> dict[str, str]:
    rows = c.execute("SELECT key, value FROM meta").fetchall()
    return {k: v for k, v in rows if k != "deck_signature"}


@contextmanager
def _quiet() -> Iterator[None]:
    """A rollback on a connection whose file is damaged may fail too: the error said is the
    one that stopped the write."""
    try:
        yield
    except SQLITE_ERRORS:
        pass


def _grades(n: int, refused: Sequence[tuple[Any, ...]] = ()) -> str:
    """The grades a rescue keeps, the ones just refused named (not saved: only kept)."""
    from dlcards.console import plural
    from dlcards.store.rows import REVIEW_COLUMNS

    said = f"the {plural(n, 'grade')} given here"
    if not refused:
        return said
    grade = REVIEW_COLUMNS.index("grade")
    named = ", ".join(f"grade {r[grade]} on {r[0]}" for r in refused)
    return f"{said} ({'the last, ' if n > len(refused) else ''}{named}, refused)"


def _to_stderr(message: str) -> None:
    from dlcards.stdio import say

    say(message)


def _drop_empty(sidecars: list[Path], had: list[bool]) -> None:
    """Remove the -wal/-shm files a failed open created (e.g. on a full disk): a -wal only when
    empty (it holds no commit), the -shm (an index of the -wal, rebuilt from it) when this
    open created it."""
    for path, existed in zip(sidecars, had, strict=True):
        try:
            if not existed and (path.name.endswith("-shm") or path.stat().st_size == 0):
                path.unlink()
        except OSError:
            pass
