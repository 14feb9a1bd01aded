"""The day's due count, the statements `Store.due_count` runs, and that count read with sqlite3
alone for a shell prompt (`dlcards.prompt`): this module imports no other part of the store.
"""

from __future__ import annotations

try:  # the C module the sqlite3 package wraps: the same connect and errors, without the date
    # adapters of sqlite3.dbapi2, whose datetime is a tenth of a shell prompt's count
    import _sqlite3 as sqlite3
except ImportError:  # pragma: no cover (an interpreter that has only the package)
    import sqlite3  # type: ignore[no-redef]

from dlcards import SCHEMA_VERSION

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing (a prompt's cost)
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

DUE_TABLES = {"sm2": "sm2", "fsrs": "fsrs"}  # each scheduler's table of due dates
OBSERVED_KEY = "deck_observed"
"""meta: what `dlcards.prompt.observe` saw of the deck files before they were listed for the
deck signature, then that signature (`observed_value`), written by the sync that wrote it."""
FAST_WAIT_S = 0.2  # how long the prompt's fast path waits for a lock before the full command
PENDING_FILES = "files_pending:"
"""The meta keys of the records of file writes a command made before its commit, each with a
key of its own (`import anki --to-yaml`'s decks, `fileio.Replaced.record`): written and
committed before the first folder or file is made, deleted by the transaction whose commit
makes the files the database's. One found by another process, its writer gone, is undone
(`commands.common.undo_killed_writes`); a command that reads the decks without opening the
store asks `pending_files_at` first (`commands.common.decks_as_committed`)."""
PENDING_SQL = "SELECT EXISTS (SELECT 1 FROM meta WHERE key >= ? AND key < ?)"
PENDING_RANGE = (PENDING_FILES, PENDING_FILES[:-1] + chr(ord(PENDING_FILES[-1]) + 1))
NONE_PENDING_ID = 0x646C6364  # "dlcd"
"""The database's `PRAGMA application_id` while it keeps no record of file writes
(`PENDING_FILES`): set by the transaction that made its schema or that saw the last record go,
and taken back (0, SQLite's default) by the one that writes a record. SQLite reads it from the
file's header, without parsing the schema (0.3 ms, against 3 ms for a query of `meta`): what
`pending_files_at` asks first. Any other value (a database of an older dlcards, one a record is
kept in) means: look in `meta`. (An older dlcards that writes a record into a database this
one marked leaves the mark: the two versions side by side on one database are not
supported.)"""
REBUILD_PENDING = "rebuild_pending"
"""meta: set while `config` rebuilds every card's FSRS state; still there, the rebuild was
killed half-way and `commands.common.schedule_of` finishes it."""

FSRS_LOG_STALE = "fsrs_log_stale"
"""meta: set when the log's FSRS states before each review (`reviews.fsrs_before`) may not be
what the FSRS replay gives now (a rebuild of the memories, an import): the first look at a
past day under FSRS writes them again (`Store.fresh_fsrs_log`)."""
MARK_FSRS_LOG_STALE = f"INSERT OR REPLACE INTO meta (key, value) VALUES ('{FSRS_LOG_STALE}', '1')"
"""Set FSRS_LOG_STALE, in the caller's transaction: what each writer of that kind runs."""

HAS_LATER_SQL = "SELECT EXISTS (SELECT 1 FROM reviews WHERE day > ?)"
AHEAD_DAYS = 2
"""How far past the local date the log's newest day may be and still be today: places on
Earth are at most 26 hours apart, so after a flight west the last reviews can be dated up to
two calendar days ahead of the local date. Further ahead is a wrong clock, not a time zone
(`commands.common.day_by_clock`)."""
NEWEST_SQL = (  # the log's newest day, whether it is a day, how many days after ?, its last `at`
    "SELECT n.day, date(n.day, '+0 days') IS n.day, julianday(n.day) - julianday(?), "
    "(SELECT max(at) FROM reviews WHERE day = n.day AND typeof(at) = 'integer') "
    "FROM (SELECT max(day) AS day FROM review_days) n"
)
DUE_TALLY_SQL = (  # the tally of due dates (`schema.DUE_TRIGGERS`): (due, new) cards
    "SELECT sum(cards) FILTER (WHERE due != '' AND due <= ?), "
    "sum(cards) FILTER (WHERE due = '') FROM due_tally "
    "WHERE sched = ? AND suspended = 0"
)
REVIEWS_TODAY_SQL = (  # what counts against the daily review cap
    "SELECT count(DISTINCT card_id) FROM reviews WHERE day = ? AND kind = 'scheduled'"
)
NEW_INTRODUCED_SQL = (  # new cards that got their first scheduled grade on the day
    "SELECT count(DISTINCT card_id) FROM reviews WHERE day = ? AND kind = 'scheduled' "
    "AND last_review_before IS NULL"
)
REDRILL_BELOW = 4
"""A card whose last grade of the day is below this is owed a re-drill that day (SM-2's step
7: `session.REDRILL_BELOW`, sm2.Grade.GOOD; a number here, as this module reads the database
without the scheduler's modules)."""
REDRILLS_OWED_FROM = (  # the active cards whose last grade on a day (?) was below a grade (?)
    "FROM reviews r JOIN cards c ON c.id = r.card_id WHERE r.day = ? "
    "AND r.grade < ? AND c.retired = 0 AND c.suspended = 0 AND NOT EXISTS (SELECT 1 FROM "
    "reviews l WHERE l.card_id = r.card_id AND l.day = r.day AND (l.at, l.id) > (r.at, r.id))"
)
"""The re-drills owed on a day: counted here (REDRILLS_OWED_SQL), listed by
`Store.redrills_due`."""
REDRILLS_OWED_SQL = f"SELECT count(*) {REDRILLS_OWED_FROM}"


# Damage the tally would count without a word (a due that is not a day, a reviewed card with no
# due): `due` and its prompt count refuse it as `show` does, and `Store.check_due_dates` names
# the card. Cheap: a walk of the tally, and of the reviewed cards' tally for SM-2. (`date(d)`
# alone keeps 2026-02-30; a modifier makes SQLite normalise it, so it differs from `d`; year
# 0000, which SQLite takes and Python's dates do not, is below 0001-01-01.)
DUE_DAMAGE_SQL = {
    "sm2": "SELECT EXISTS (SELECT 1 FROM due_tally WHERE sched = 'sm2' AND due != '' "
    "AND (due < '0001-01-01' OR date(due, '+0 days') IS NOT due)) "
    "OR EXISTS (SELECT 1 FROM sm2_tally WHERE due = '')",
    "fsrs": "SELECT EXISTS (SELECT 1 FROM due_tally WHERE sched = 'fsrs' AND due != '' "
    "AND (due < '0001-01-01' OR date(due, '+0 days') IS NOT due)) "
    "OR EXISTS (SELECT 1 FROM fsrs WHERE stability IS NOT NULL AND nullif(due, '') IS NULL)",
}


def due_damaged(execute: Callable[..., Any]) -> bool:
    """Whether either scheduler's due dates hold damage (DUE_DAMAGE_SQL), on a connection's
    `execute`."""
    return any(execute(sql).fetchone()[0] for sql in DUE_DAMAGE_SQL.values())


DUE_DAMAGE_KEY = "due_damage"
"""meta: set by `schema.DUE_GUARDS` when a write leaves a due date that is not a day (or none
on a reviewed card): only then do `due`, its prompt count, `stats` and `study` pay for
DUE_DAMAGE_SQL's walk (~3 ms at 100,000 cards). `doctor` clears it once the damage is gone."""
DUE_DAMAGED_ROW_SQL = {  # the first card DUE_DAMAGE_SQL found: (card id, due)
    "sm2": "SELECT card_id, due FROM sm2 WHERE CASE WHEN nullif(due, '') IS NULL THEN "
    "last_review IS NOT NULL ELSE due < '0001-01-01' OR date(due, '+0 days') IS NOT due END "
    "ORDER BY card_id LIMIT 1",
    "fsrs": "SELECT card_id, due FROM fsrs WHERE CASE WHEN nullif(due, '') IS NULL THEN "
    "stability IS NOT NULL ELSE due < '0001-01-01' OR date(due, '+0 days') IS NOT due END "
    "ORDER BY card_id LIMIT 1",
}


def observed_value(observed: str, signature: str) -> str:
    """The meta value of OBSERVED_KEY: an observation and the signature it was taken for."""
    return f"{observed}\x1d{signature}"


def today_total(
    due: int, new: int, reviewed: int, introduced: int, new_per_day: int, cap: int | None
) -> int:
    """The cards of the day's schedule: `due` due and `new` new cards within the day's limits
    (`dlcards.limits`), `reviewed` cards having had their scheduled grade today, `introduced`
    of them new."""
    from dlcards.limits import cap_left, today_counts

    due_today, new_today = today_counts(
        due, new, new_per_day - introduced, cap_left(cap, reviewed if cap is not None else 0)
    )
    return due_today + new_today


def redrills_owed(execute: Callable[..., Any], day: str) -> int:
    """The re-drills still owed on `day` (REDRILLS_OWED_SQL; `Store.redrills_due` lists them):
    part of the prompt's number, as they are of `study`'s day and of `due`'s "to re-drill".
    None of them is due or new that day (its grade moved its due date past the day)."""
    return int(execute(REDRILLS_OWED_SQL, (day, REDRILL_BELOW)).fetchone()[0])


def tally_count(
    execute: Callable[..., Any], day: str, sched: str, new_per_day: int, cap: int | None
) -> int:
    """The prompt's number (`today_total`, plus `redrills_owed`) from the due tally, the count
    when no review is logged after `day`: `execute` a connection's, `sched` the active
    scheduler's table of due dates."""
    due, new = execute(DUE_TALLY_SQL, (day, sched)).fetchone()
    reviewed = execute(REVIEWS_TODAY_SQL, (day,)).fetchone()[0] if cap is not None else 0
    introduced = execute(NEW_INTRODUCED_SQL, (day,)).fetchone()[0]
    total = today_total(int(due or 0), int(new or 0), reviewed, introduced, new_per_day, cap)
    return total + redrills_owed(execute, day)


def clock_s() -> float:
    """The clock, in seconds since the epoch (the prompt's `commands.common.clock`)."""
    import time

    return time.time()


def study_day(starts_at: int, at: float | None = None) -> str:
    """`days.local_study_day` as ISO text, with `time` alone (datetime costs a prompt ~3 ms):
    at the moment `at` (seconds since the epoch; default: now)."""
    import time

    now = time.localtime(at)
    if now.tm_hour >= starts_at:
        return time.strftime("%Y-%m-%d", now)
    # the day before, at noon (mktime normalises day 0 to the last of the month before)
    before = time.mktime((now.tm_year, now.tm_mon, now.tm_mday - 1, 12, 0, 0, 0, 0, -1))
    return time.strftime("%Y-%m-%d", time.localtime(before))


def clock_day(execute: Callable[..., Any], day: str, now: float) -> str | None:
    """`commands.common.day_by_clock` for a local study day `day` before the log's newest
    day, at `now` (seconds since the epoch): that newest day when it is up to AHEAD_DAYS
    later and its reviews were given before now (a flight west), else `day` (a clock set
    back: the reviews it dated are past, `Reports.take_clock_day`). Either way no review
    after it is to be taken back, and the due tally counts as of it. None when the newest
    day is not a day (the full command says so)."""
    newest, valid, later, given = execute(NEWEST_SQL, (day,)).fetchone()
    if not valid or later is None:
        return None
    if 0 < later <= AHEAD_DAYS and (given is None or given <= now * 1000):
        return str(newest)
    return day


def log_whole(path: str) -> bool:
    """Whether a plain sqlite3 connection may open the database at `path` here without losing
    what its `-wal` holds (`log_problem`)."""
    return log_problem(path) is None


def log_problem(path: str) -> str | None:
    """Why a plain sqlite3 connection must not open the database at `path` here, in words:
    opening it would lose what its `-wal` holds. None when it may (a log more than its header
    is read only then, by a module of its own, `walcheck.log_damage`: a prompt's cost).
    Opening a log a killed session left, a connection that closes as the last one
    checkpoints it and deletes it: one damaged, SQLite replays it up to the damage only, and
    the grades committed after it are gone; beside an emptied file (0 bytes), SQLite takes
    the file for a new database and deletes the whole log, read-only connection or not. The
    store refuses both in one line before SQLite opens the file, and `doctor --restore`
    salvages the log's grades (`connection.check_header`). A file beside it that is no
    regular file (a FIFO: SQLite's open of it waits for a writer for ever; a directory, a
    device) is refused by the store in one line too (`connection.check_side_files`)."""
    import os
    import stat

    for end in ("-wal", "-shm", "-journal"):
        side = f"{path}{end}"
        try:
            if not stat.S_ISREG(os.stat(side).st_mode):
                return f"{os.path.basename(side)} beside it is not a regular file"
        except FileNotFoundError:
            if os.path.islink(side):
                return f"{os.path.basename(side)} beside it is a link to a missing file"
        except OSError as err:
            return f"{os.path.basename(side)}: {err.strerror}"
    try:
        if os.stat(f"{path}-wal").st_size <= 32:  # walcheck.HEADER: no frame in it
            if not os.path.exists(f"{path}-shm"):
                return None  # (an index may say it held some: `walcheck.cut_short`)
        elif os.stat(path).st_size == 0:
            return "it is an empty file beside a write-ahead log that holds commits"
    except FileNotFoundError:
        if not os.path.exists(f"{path}-shm"):
            return None  # no log; or no file, which the caller looks for
    except OSError:
        return None
    from dlcards.store.walcheck import log_damage

    return log_damage(path)


WAL_HEADER_BYTES = 32
"""A write-ahead log's header, which it has before its first frame (`walcheck.HEADER`)."""


def file_alone(path: str) -> bool:
    """Whether a reader may take the file at `path` alone as the database and open it
    immutable (`mode=ro&immutable=1`: no index, no locks, no file made beside it), because
    SQLite would otherwise make files beside it that no read-only connection can remove, and
    nothing can be writing it. A read-only connection (`mode=ro`, or a plain one that SQLite
    opens read-only) of a database in WAL mode makes its log and the log's index (`-wal`,
    `-shm`) beside the file when they are not both there, with the file's mode, and cannot
    delete them on close (that takes the write lock only a connection that may write can
    take): `due`, `show`, `stats`, `search`, `list` on a file of mode 0444 in a writable
    folder left an empty `p.db-wal` and a `p.db-shm` of mode 0444, which stopped every write
    once the file was made writable again. True when:

    - the file is in WAL mode (a rollback-journal database is read without a file beside it);
    - no log with a frame is beside it (the file alone then holds every commit), and the log
      and its index are not both there (SQLite reads through them then, making nothing);
    - nothing but root can open it to write: no write permission for anyone, or a folder this
      process cannot write (the premise `connection._connect_read_only` already reads a
      read-only folder's file alone on); a writer makes the log before its first write and a
      read-only file allows none, so the file cannot change while it is read."""
    import os
    import stat

    try:
        st = os.stat(path)
        with open(path, "rb") as file:
            header = file.read(20)
    except OSError:
        return False
    if not stat.S_ISREG(st.st_mode) or len(header) < 20 or header[18:20] != b"\x02\x02":
        return False
    log, index = f"{path}-wal", f"{path}-shm"
    try:
        if os.stat(log).st_size > WAL_HEADER_BYTES:
            return False  # its commits are read through an index (made if need be)
        has_log = True
    except FileNotFoundError:
        has_log = False
    except OSError:
        return False
    if has_log and os.path.exists(index):
        return False
    no_writer = not st.st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH)
    return no_writer or not os.access(os.path.dirname(os.path.abspath(path)), os.W_OK)


def reading_uri(path: str) -> str:
    """The URI a connection that only reads the database at `path` opens it with: `mode=rw`
    (which never creates the file) wherever the file and its folder may be written, since in
    WAL mode only a connection that may write deletes the log and its index it made, as the
    last one to close (it writes nothing else); where they may not, `mode=ro`, immutable when
    the file alone is the database (`file_alone`), so that the read leaves no file beside
    it."""
    import os

    if os.sep == "/":  # a file: URI without pathlib (a prompt's cost): SQLite decodes %XX,
        # and ? and # would end the path
        escaped = os.path.abspath(path).replace("%", "%25").replace("?", "%3f")
        uri = "file:" + escaped.replace("#", "%23")
    else:  # pragma: no cover - Windows: a drive and backslashes, as pathlib spells them
        from pathlib import Path

        uri = Path(path).resolve().as_uri()
    if os.access(path, os.W_OK) and os.access(os.path.dirname(os.path.abspath(path)), os.W_OK):
        return f"{uri}?mode=rw"
    return f"{uri}?mode=ro&immutable=1" if file_alone(path) else f"{uri}?mode=ro"


def prompt_count(path: str, day: str | None, observed: str) -> int | None:
    """`dlcards due --count` for `day` (None: the study day now, `study_day`, at the
    collection's `day_starts_at`) from the database at `path` read with sqlite3 alone,
    when the full command would print it without changing anything first: the database at this
    schema, no FSRS rebuild pending, the deck files seen as the last sync saw them
    (`observed`), valid settings, no review logged after a day given (the day by the clock
    takes those as past, or moves to theirs: `clock_day`). None otherwise (the full command
    answers, and reports what is wrong)."""
    from dlcards.errors import DlcardsError
    from dlcards.settings import Settings

    if not log_whole(path):
        return None  # SQLite would drop what the log holds: the full command says so
    try:
        # a writer that holds the file whole (an exclusive lock, as a program working in
        # rollback-journal mode takes) is not waited out: the full command then waits its half
        # second and says so
        conn = sqlite3.connect(
            reading_uri(path), uri=True, timeout=FAST_WAIT_S, isolation_level=None
        )
    except sqlite3.Error:
        return None
    try:
        conn.execute("PRAGMA query_only = 1")
        if conn.execute("PRAGMA user_version").fetchone()[0] != SCHEMA_VERSION:
            return None  # a migration first
        meta = dict(conn.execute("SELECT key, value FROM meta").fetchall())
        signature = meta.get("deck_signature")
        if signature is None or REBUILD_PENDING in meta:
            return None
        if meta.get(OBSERVED_KEY) != observed_value(observed, signature):
            return None  # a deck changed, or the last sync was of other decks: a sync first
        settings = Settings.from_stored(meta)
        if day is None:
            now = clock_s()
            day = study_day(settings.day_starts_at, now)
            if conn.execute(HAS_LATER_SQL, (day,)).fetchone()[0]:
                day = clock_day(conn.execute, day, now)
                if day is None:
                    return None  # a damaged day: the full command names it
        elif conn.execute(HAS_LATER_SQL, (day,)).fetchone()[0]:
            return None  # the count as of an earlier day given reads the log
        sched = DUE_TABLES[settings.scheduler]
        if DUE_DAMAGE_KEY in meta and conn.execute(DUE_DAMAGE_SQL[sched]).fetchone()[0]:
            return None  # the full command names the damage
        return tally_count(conn.execute, day, sched, settings.new_per_day, settings.review_cap)
    except (sqlite3.Error, ValueError, TypeError, KeyError, DlcardsError):
        return None
    finally:
        conn.close()


def pending_files_at(path: str) -> bool:
    """Whether the database at `path` may hold a record of file writes not yet its own
    (`PENDING_FILES`), read with sqlite3 alone (the file's header, `NONE_PENDING_ID`: a third
    of a millisecond; else a query, a few; opening the store takes a tenth of a second): for a
    command that reads the deck folders without opening the store, which must open it first
    when it does (its decks may be a killed import's). False when there is no database; True
    when it cannot be read here (the store says why, when a command opens it)."""
    import os

    if not os.path.isfile(path) or os.path.getsize(path) == 0:
        return False  # (an empty file holds no record)
    if not log_whole(path):
        return True  # not opened here: the store refuses it without replaying the log
    try:
        conn = sqlite3.connect(
            reading_uri(path), uri=True, timeout=FAST_WAIT_S, isolation_level=None
        )
    except sqlite3.Error:
        return True
    try:
        conn.execute("PRAGMA query_only = 1")
        if conn.execute("PRAGMA application_id").fetchone()[0] == NONE_PENDING_ID:
            return False  # read from the header, without the schema
        return bool(conn.execute(PENDING_SQL, PENDING_RANGE).fetchone()[0])
    except (sqlite3.Error, UnicodeDecodeError):  # (a damaged schema's message, not text)
        return True
    finally:
        conn.close()
