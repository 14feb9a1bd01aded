"""`dlcards doctor`'s work on the database: find what is wrong, say it in plain words, repair
what can be repaired, restore a backup.

Checks, in order: the file (a regular SQLite file, whole pages), SQLite's own
`PRAGMA integrity_check`, the tables, the foreign keys, every stored value, and every card's
memory against the replay of its review log (the log is the truth). Repairs: indexes rebuilt
(`REINDEX`, which fixes the most common damage, an index that disagrees with its table), rows
whose card or session is gone re-attached (a placeholder retired card keeps their reviews), a
review's bad day taken from its timestamp, missing memory rows added, and every memory that
differs from its log rebuilt from it. Before repairing, the database is backed up (a raw copy
when it fails its integrity check). What cannot be repaired (a damaged table, a missing table,
a log row without a valid grade) is said, with the newest backup to restore.
"""

from __future__ import annotations

import json
import os
import sqlite3
import stat
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from contextlib import closing, suppress
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple, Protocol

from dlcards.errors import DlcardsError, StoreError, quoted
from dlcards.memory import EF_START, Memory
from dlcards.paths import restore_mark
from dlcards.store import backup
from dlcards.store.connection import (
    BUSY_TIMEOUT_S,
    EMPTY_NEW_S,
    SQLITE_ERRORS,
    TABLES,
    DiskFullError,
    NotADatabase,
    check_header,
    check_side_files,
    existing_file,
    made_elsewhere,
    other_kind,
    translate_error,
    unreadable_message,
    unwritable,
)
from dlcards.store.count import MARK_FSRS_LOG_STALE
from dlcards.store.rows import (
    AFTER_RESET,
    ALL_MEMORIES,
    LEECH_FROM_LOG,
    NO_RESET,
    SELECT_MEMORY,
    TIME_ORDER,
    UPDATE_SM2,
    UPSERT_FSRS,
    LogEntry,
    day_of,
    fsrs_values,
    grade_of,
    memory_from,
    sm2_values,
)
from dlcards.store.schema import SCHEMA_VERSION, epoch_ms

if TYPE_CHECKING:
    from dlcards.store.salvage import Undone


class Replay(Protocol):
    """A card's memory from its log of scheduled grades (and its stored memory), the way the
    stored settings ask."""

    def __call__(self, history: Sequence[LogEntry], stored: Memory) -> Memory: ...

    def many(
        self, logs: Mapping[str, Sequence[LogEntry]], stored: Mapping[str, Memory]
    ) -> dict[str, Memory] | None:
        """Every card's replay at once (the same results), or None to replay card by card."""


ReplayFor = Callable[[Mapping[str, str]], Replay]
"""The replay the stored settings ask for (raises DlcardsError for a bad stored setting)."""
CHUNK = 500


@dataclass
class Finding:
    """One check's result: `problem` None means it found nothing wrong."""

    check: str
    problem: str | None = None
    repaired: str | None = None  # what was done about it
    fatal: bool = False  # cannot be repaired here: restore a backup


@dataclass
class Report:
    path: Path
    findings: list[Finding] = field(default_factory=list)
    summary: str = ""
    taken_out: int = 0  # log rows no replay could read, taken out by the repair
    salvage: str = ""  # a damaged file: how many grades the newest backup lacks can be salvaged
    repairing: bool = False  # a repair has begun (what a stop says: `dlcards doctor`)

    @property
    def healthy(self) -> bool:
        return all(f.problem is None or f.repaired for f in self.findings)

    def add(self, finding: Finding) -> Finding:
        self.findings.append(finding)
        return finding


def _connect(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(path, timeout=BUSY_TIMEOUT_S, isolation_level=None)
    conn.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_S * 1000)}")
    return conn


def _read_in_place(path: Path) -> sqlite3.Connection:
    """The database in a folder that cannot be written (a read-only mount or folder), opened
    to be read as it is: SQLite could make none of its files beside it (the shared memory of
    the write-ahead log), so it reads the file alone, which holds everything when no log with
    content is there. With one there (written before the folder became read-only), the file
    alone is not the database: a StoreError says so."""
    log = Path(f"{path}-wal")
    if log.exists() and log.stat().st_size > 0:
        raise StoreError(
            f"cannot check {path}: its folder {path.parent} is read-only, and the database's "
            f"write-ahead log {log.name} beside it must be opened with it; check a copy of the "
            "folder, or make the folder writable"
        )
    uri = f"{path.resolve().as_uri()}?mode=ro&immutable=1"
    return sqlite3.connect(uri, uri=True, isolation_level=None)


def _elsewhere_in_place(path: Path) -> bool:
    """Whether `path` is a whole SQLite file `made_elsewhere`, read as it is on the disk
    (nothing written beside it); False for a damaged file, or one SQLite cannot read."""
    try:
        with closing(_read_in_place(path)) as conn:
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            rows = conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
            return made_elsewhere(version, {r[0] for r in rows})
    except (StoreError, OSError, *SQLITE_ERRORS):
        return False


def _reading(path: Path) -> sqlite3.Connection:
    """The database in a folder that can be written: opened as a writer opens it, but a file
    nothing but root can write read alone (`count.file_alone`), since SQLite, not allowed to
    write it, would leave the log and its index it made beside it."""
    from dlcards.store.count import file_alone

    return _read_in_place(path) if file_alone(str(path)) else _connect(path)


def _newest_backup_hint(path: Path) -> str:
    found = backup.backups(path)
    if not found:
        return "no backup of it exists; keep the file and ask for help"
    return f"restore the newest backup: dlcards doctor --restore {found[0].path}"


def _unreadable_hint(path: Path) -> str | None:
    """What to do when the file cannot be read for its permissions (not damage: a backup
    would lose what was done since); None when it can be read."""
    if os.access(path, os.R_OK):
        return None
    return (
        f"{path} cannot be read with its permissions (is it yours? `ls -l` shows them); give "
        "yourself read and write access (`chmod u+rw`), no backup is needed"
    )


def _missing(tables: list[str]) -> str:
    return (
        f"table {tables[0]} is missing"
        if len(tables) == 1
        else (f"tables {', '.join(tables)} are missing")
    )


def _plural(n: int, word: str) -> str:
    from dlcards.console import plural

    return plural(n, word)


def _not_damage(err: BaseException) -> bool:
    """An SQLite error that says nothing about the file's contents: a lock, a full disk, a
    read-only place, an I/O error or a side file (-wal, -shm) SQLite cannot open or grow (a
    full disk shows as a "disk I/O error" when the -shm cannot grow). Restoring a backup would
    mend none of these, and would lose what was done since it (found by a torture run:
    `doctor` on a full disk advised a restore of a sound database)."""
    text = str(err).lower()
    words = ("locked", "busy", "full", "readonly", "read-only", "disk i/o", "unable to open")
    return isinstance(err, sqlite3.Error) and any(word in text for word in words)


def examine(
    path: Path,
    replay_for: ReplayFor,
    repair: bool,
    now: datetime,
    report: Report | None = None,
) -> Report:
    """Check the database at `path` (and repair it when `repair`). `replay_for(settings)`
    rebuilds a card's memory from its log the way the stored settings ask. A file that needs
    a backup restored gets `salvage`: what a restore of the newest would put back. `report`:
    the one to fill (its caller reads it if the check is stopped: whether a repair began)."""
    report = _examine_file(path, replay_for, repair, now, report or Report(path))
    if report.healthy:  # sound, but grades a session kept may not be in it
        _add_kept(path, report, replay_for if repair else None)
    fatal = any(f.fatal for f in report.findings)
    if not report.healthy and fatal and _unreadable_hint(path) is None:
        report.salvage = salvage_note(path)
    return report


def _examine_file(
    path: Path, replay_for: ReplayFor, repair: bool, now: datetime, report: Report
) -> Report:
    if not existing_file(path):
        raise StoreError(f"no database at {path}; nothing to check (pass --db?)")
    check_side_files(path)  # a side file that is no file: not damage, no backup to restore
    _wait_for_its_maker(path)
    try:
        check_header(path)
        if path.stat().st_size == 0:
            raise StoreError(f"{path} is an empty file (0 bytes): no database is in it")
    except NotADatabase:
        raise  # a deck, a package, a backup: nothing to check, and no backup to restore
    except (StoreError, OSError) as err:
        report.add(
            Finding("file", str(err) if isinstance(err, StoreError) else err.strerror, fatal=True)
        )
        report.summary = _unreadable_hint(path) or _newest_backup_hint(path)
        return report
    report.add(Finding("file"))
    held = _held(path)  # a repair's raw copy reads through it, closed after the connection
    try:
        _open_and_examine(path, report, replay_for, repair, now, held)
    finally:
        if held is not None:
            os.close(held)
    return report


def _wait_for_its_maker(path: Path) -> None:
    """An empty file another dlcards made a moment ago (SQLite makes it at its first read, and
    writes it at its first transaction: `doctor --check` started beside `config new_per_day
    7` on a new database) is waited for, EMPTY_NEW_S at most, by its size alone: checked at
    once, it was reported "FAILED file: ... is an empty file (0 bytes)". An empty file with a
    log that holds something is no file being made (one cut to 0 bytes, its grades in the log
    for the salvage): checked at once, and SQLite is not asked (it would take that log for a
    stale one and drop it). The schema a maker has written and not yet committed is waited
    for on the doctor's own connection (`_made_meanwhile`)."""
    deadline = time.monotonic() + EMPTY_NEW_S
    while time.monotonic() < deadline and _changed_within(path, EMPTY_NEW_S):
        try:
            if path.stat().st_size or Path(f"{path}-wal").stat().st_size:
                return
        except FileNotFoundError:
            pass  # no log: SQLite's maker has not switched it to WAL mode yet
        except OSError:
            return
        time.sleep(0.02)


_VERSION_AND_TABLES = (
    "SELECT user_version, (SELECT count(*) FROM sqlite_master) FROM pragma_user_version"
)
"""The file's schema version and whether it has tables, read in one snapshot."""


def _made_meanwhile(conn: sqlite3.Connection, path: Path) -> int:
    """The file's user_version, or the one its maker commits: a file with no table changed a
    moment ago is another dlcards's new database before its first commit (its header written
    when it switched to WAL mode), waited for EMPTY_NEW_S at most. Checked at once it was
    reported "tables meta, cards, sm2, reviews are missing; keep the file and ask for help".
    The version and the tables are read together: read apart, the maker's commit could come
    between them, and its tables were found with version 0 ("schema 0: the next command
    upgrades it", exit 1: a fresh clone's suite, once)."""
    deadline = time.monotonic() + EMPTY_NEW_S
    version, tables = conn.execute(_VERSION_AND_TABLES).fetchone()
    while (
        not version
        and not tables
        and time.monotonic() < deadline
        and _changed_within(path, EMPTY_NEW_S)
    ):
        time.sleep(0.02)
        version, tables = conn.execute(_VERSION_AND_TABLES).fetchone()
    return int(version)


def _changed_within(path: Path, seconds: float) -> bool:
    newest = 0.0
    for file in (path, Path(f"{path}-wal")):
        with suppress(OSError):
            newest = max(newest, file.stat().st_mtime)
    return time.time() - newest < seconds


def _open_and_examine(
    path: Path, report: Report, replay_for: ReplayFor, repair: bool, now: datetime, held: int | None
) -> None:
    """`examine` once the file is known to be there: opened with SQLite, checked, closed."""
    try:
        if not os.access(path.parent, os.W_OK):
            conn = _read_in_place(path)
            repair = False  # nothing can be written there: what is found is said, not repaired
        else:
            conn = _reading(path)
    except SQLITE_ERRORS as err:
        if _not_damage(err):
            raise translate_error(path, err) from None
        report.add(Finding("open", f"SQLite cannot open it: {err}", fatal=True))
        report.summary = _newest_backup_hint(path)
        return
    try:
        _examine(conn, report, replay_for, repair, now, held)
    except SQLITE_ERRORS as err:
        if _not_damage(err):
            raise translate_error(path, err) from None  # not damage: say what it is
        said = (  # SQLite's message quoted the file's damaged bytes, which are not text
            "its schema is damaged (SQLite's message quotes bytes that are not text)"
            if unreadable_message(err)
            else str(err)
        )
        report.add(Finding("database", f"SQLite stopped the check: {said}", fatal=True))
        report.summary = _newest_backup_hint(path)
    finally:
        conn.close()


def _examine(
    conn: sqlite3.Connection,
    report: Report,
    replay_for: ReplayFor,
    repair: bool,
    now: datetime,
    held: int | None = None,
) -> None:
    """The checks (and repairs) on the open connection. `held`: a descriptor of the file, open
    until after the connection closes, that a repair's raw copy reads through."""
    path = report.path
    version = _made_meanwhile(conn, path)
    if version > SCHEMA_VERSION:
        report.add(
            Finding("schema", f"made by a newer dlcards (schema {version}); upgrade", fatal=True)
        )
        return
    stamp = now.strftime("%Y-%m-%dT%H%M%S")
    backed_up = False

    # 1. SQLite's own check of every page and index
    problems = backup.integrity_problems(conn)
    if problems:
        finding = report.add(
            Finding(
                "integrity",
                f"SQLite's integrity check found {_plural(len(problems), 'problem')}"
                f"{'+' if len(problems) >= 20 else ''}: {problems[0]}",
            )
        )
        if not repair and not backup.only_index_problems(problems):
            # damaged pages, which rebuilding the indexes (the repair) does not mend
            finding.fatal = True
            report.summary = _newest_backup_hint(path)
            return
        if repair:
            report.repairing = True
            copy = backup.copy_damaged(path, stamp, held)
            backed_up = True
            conn.execute("REINDEX")
            left = backup.integrity_problems(conn)
            if left:
                finding.fatal = True
                finding.problem = (
                    f"{finding.problem} (rebuilding the indexes left: {left[0]}; copy kept: {copy})"
                )
                report.summary = _newest_backup_hint(path)
                return
            finding.repaired = f"indexes rebuilt; the damaged file was copied to {copy}"
        else:
            return
    else:
        report.add(Finding("integrity"))

    # 2. tables
    present = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    if made_elsewhere(version, present):  # not damage, and not "keep the file and ask for help"
        report.add(Finding("tables", "an SQLite file that dlcards did not create", fatal=True))
        report.summary = (
            "it is not a dlcards database; doctor leaves it as it is (pass yours with --db)"
        )
        return
    required = TABLES if version == SCHEMA_VERSION else ("meta", "cards", "sm2", "reviews")
    missing = [t for t in required if t not in present]
    if missing:
        report.add(Finding("tables", _missing(missing), fatal=True))
        report.summary = _newest_backup_hint(path)
        return
    report.add(Finding("tables"))
    if version < SCHEMA_VERSION:
        report.add(Finding("schema", f"schema {version}: the next command upgrades it"))
        return  # the checks below know the current schema only

    def before_repair() -> None:
        nonlocal backed_up
        report.repairing = True
        if not backed_up:
            backup.make(conn, path, now.date(), event="doctor")
            backed_up = True

    # 3. foreign keys: rows whose card or session is gone
    _foreign_keys(conn, report, repair, now, before_repair)

    # 4. every stored value; 5. memories against the log
    replay: Replay | None = None
    try:
        replay = replay_for(_meta(conn))
    except DlcardsError as err:
        report.add(Finding("settings", str(err)))
    _memories(conn, report, replay, replay_for, repair, before_repair)
    # 6. the statistics' tallies against the log
    _tallies(conn, report, repair, before_repair)
    # 7. the search index: whole, and holding each active card's text once
    _search(conn, report, repair, before_repair)
    pending = conn.execute("SELECT 1 FROM meta WHERE key = 'rebuild_pending'").fetchone()
    if repair and report.healthy and pending:  # memories rebuilt: so is an interrupted rebuild
        conn.execute("DELETE FROM meta WHERE key = 'rebuild_pending'")
    from dlcards.store.count import DUE_DAMAGE_KEY, due_damaged

    noted = conn.execute("SELECT 1 FROM meta WHERE key = ?", (DUE_DAMAGE_KEY,)).fetchone()
    if repair and report.healthy and noted:  # due dates mended: `due` need not walk them
        if not due_damaged(conn.execute):
            conn.execute("DELETE FROM meta WHERE key = ?", (DUE_DAMAGE_KEY,))
    if not report.healthy:
        report.summary = _newest_backup_hint(path)


def _foreign_keys(
    conn: sqlite3.Connection,
    report: Report,
    repair: bool,
    now: datetime,
    before_repair: Callable[[], None],
) -> None:
    rows = conn.execute("PRAGMA foreign_key_check").fetchall()
    if not rows:
        report.add(Finding("foreign keys"))
        return
    by_table: dict[tuple[str, str], list[int]] = {}
    for table, rowid, parent, _fk in rows:
        by_table.setdefault((table, parent), []).append(rowid)
    words = "; ".join(
        f"{_plural(len(ids), 'row')} of {table} point to a missing {parent[:-1]}"
        for (table, parent), ids in sorted(by_table.items())
    )
    finding = report.add(Finding("foreign keys", words))
    if not repair:
        return
    before_repair()
    done = []
    conn.execute("BEGIN IMMEDIATE")
    try:
        for (table, parent), ids in by_table.items():
            marks = ",".join("?" * len(ids))
            if parent == "sessions" and table == "reviews":
                # a grade of a session is a grade given in `dlcards study` (a quiz logs
                # none): its session is put back as that study session, as a restore puts
                # back a salvaged grade's (`_add_salvaged`). Cleared, the grade was no study
                # grade for `dlcards undo`, which took back an older grade or action instead
                conn.execute(
                    "INSERT OR IGNORE INTO sessions (id, kind, day, started_at) SELECT "
                    "session_id, 'study', min(day), substr(min(reviewed_at), 1, 19) FROM reviews "
                    f"WHERE rowid IN ({marks}) GROUP BY session_id",
                    ids,
                )
                done.append(f"{table}: their study sessions re-added")
            elif parent == "sessions":
                conn.execute(f"UPDATE {table} SET session_id = NULL WHERE rowid IN ({marks})", ids)
                done.append(f"{table}: session cleared")
            elif parent == "cards" and table in ("sm2", "fsrs"):
                conn.execute(f"DELETE FROM {table} WHERE rowid IN ({marks})", ids)
                done.append(f"{table}: memory rows of missing cards removed")
            elif parent == "cards":
                # keep the log: a placeholder card, retired until a deck has its id again
                conn.execute(
                    "INSERT OR IGNORE INTO cards (id, topic, position, content_hash, retired, "
                    f"suspended, added) SELECT DISTINCT card_id, '?', 1000000000, '', 1, 0, ? "
                    f"FROM {table} WHERE rowid IN ({marks})",
                    [now.isoformat(timespec="seconds"), *ids],
                )
                done.append(f"{table}: kept, their cards re-added as retired")
        conn.execute("DELETE FROM meta WHERE key = 'deck_signature'")  # the next command syncs
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    finding.repaired = "; ".join(done)


_TALLIED = {
    "sm2_tally": "the memories",
    "fsrs_tally": "the memories",
    "due_tally": "the cards' due dates",
    "topic_tally": "the cards' topics",
    "retention_totals": "retention_days",
}


def _tallies(
    conn: sqlite3.Connection, report: Report, repair: bool, before_repair: Callable[[], None]
) -> None:
    """The tallies `stats` reads (kept by triggers) against the log they sum."""
    from dlcards.store.schema import (
        DUE_TRIGGERS,
        MEMORY_TRIGGERS,
        TALLY_DAYS_SQL,
        TALLY_DUE_SQL,
        TALLY_MEMORY_SQL,
        TALLY_RETENTION_SQL,
        TALLY_TOPIC_SQL,
        TALLY_TOTALS_SQL,
        TALLY_TRIGGERS,
        fill_due_tally,
        fill_fsrs_tally,
        fill_memory_tally,
        fill_tallies,
        fsrs_tally_triggers,
        tally_fsrs_sql,
    )

    tallies = (
        ("review_days", "day, reviews, scheduled, passed", TALLY_DAYS_SQL),
        ("retention_days", "topic, mature, passed, day, reviews", TALLY_RETENTION_SQL),
        ("retention_totals", "topic, mature, passed, reviews", TALLY_TOTALS_SQL),
        ("sm2_tally", "last_review, interval, due, cards, learning, ef", TALLY_MEMORY_SQL),
        ("fsrs_tally", "interval, due, stability, difficulty, cards", tally_fsrs_sql()),
        ("due_tally", "sched, topic, due, suspended, cards", TALLY_DUE_SQL),
        ("topic_tally", "sched, topic, suspended, cards", TALLY_TOPIC_SQL),
    )
    made = {r[0]: r[1] for r in conn.execute("SELECT name, type FROM sqlite_master")}
    # a tally is made from the rest: one that is gone is made again (its triggers then fail
    # every write, and `due` and `stats` say the file is damaged and to run doctor)
    absent = [table for table, _, _ in tallies if made.get(table) != "table"]
    gone = [
        name
        for sql in TALLY_TRIGGERS + MEMORY_TRIGGERS + fsrs_tally_triggers() + DUE_TRIGGERS
        if made.get(name := sql.split()[2]) != "trigger"
    ]
    conn.execute("BEGIN")  # each tally and its sum in one snapshot: a grade meanwhile is in both
    try:
        # compared as multisets of rows, not sorted: a sort of a damaged row (bytes where text
        # is, `UPDATE topic_tally SET topic = X'00'`) beside the others raised a TypeError
        wrong = [
            table
            for table, columns, sql in tallies
            if table not in absent
            and not any(gone_table in sql for gone_table in absent)  # (totals of a tally)
            and Counter(conn.execute(f"SELECT {columns} FROM {table}"))
            != Counter(conn.execute(sql))
        ]
    finally:
        conn.execute("COMMIT")
    if not absent and not gone and not wrong:
        report.add(Finding("statistics"))
        return
    problems = [f"table {table} is missing" for table in absent]
    problems += [f"{table} differs from {_TALLIED.get(table, 'the review log')}" for table in wrong]
    problems += [f"trigger {name} is missing" for name in gone]
    finding = report.add(Finding("statistics", "; ".join(problems)))
    if not repair:
        return
    before_repair()
    conn.execute("BEGIN IMMEDIATE")
    try:
        for table in absent:
            conn.execute(_made_as(table))
        fill_tallies(conn.execute)
        fill_memory_tally(conn.execute)
        fill_fsrs_tally(conn.execute)
        fill_due_tally(conn.execute)
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    finding.repaired = "the statistics' tallies and their triggers rebuilt"


def _made_as(table: str) -> str:
    """The CREATE statement of `table` in a new database (`fresh_schema`)."""
    from dlcards.store.fresh_schema import STATEMENTS

    return next(
        sql
        for sql in STATEMENTS
        if sql.startswith((f"CREATE TABLE {table} ", f'CREATE TABLE "{table}" '))
    )


INDEX_CHECK_WAIT_MS = 500
"""How long `doctor --check` waits for the write lock FTS5's own check takes: another
dlcards commits in milliseconds; another program's long write is not waited out."""


def _search_problems(conn: sqlite3.Connection, wait: bool = True) -> list[str]:
    """What is wrong with the search index: FTS5's own check of its index against its text,
    then its rows against the active cards (each has one, with the text its digest names; one
    with no digest yet gets its row from the next sync, as after a repair). FTS5's check is
    a command written as an INSERT, which takes the write lock: on a read-only file, and
    without `wait` (a check, which writes nothing) when another program holds the lock past
    INDEX_CHECK_WAIT_MS, it is left out and the rows are compared (a write-ahead log lets
    them be read meanwhile); with `wait`, the lock is waited for as any write waits."""
    from dlcards.store.rows import search_hash

    try:
        waited = None
        if not wait:
            waited = conn.execute("PRAGMA busy_timeout").fetchone()[0]
            conn.execute(f"PRAGMA busy_timeout = {min(waited, INDEX_CHECK_WAIT_MS)}")
        try:  # it needs write access, and writes nothing
            conn.execute("INSERT INTO card_search (card_search) VALUES ('integrity-check')")
        except sqlite3.OperationalError as err:
            held = not wait and any(word in str(err) for word in ("locked", "busy"))
            if "readonly" not in str(err) and not held:
                raise
        finally:
            if waited is not None:
                conn.execute(f"PRAGMA busy_timeout = {waited}")
        rows = conn.execute(
            "SELECT c.id, c.search_hash, s.card_id, s.question, s.answer, s.erratum, s.note, "
            "s.tags FROM cards c LEFT JOIN card_search s ON s.rowid = c.search_rowid "
            "WHERE c.retired = 0"
        ).fetchall()
        orphans = conn.execute(
            "SELECT count(*) FROM card_search WHERE rowid NOT IN "
            "(SELECT search_rowid FROM cards WHERE retired = 0 AND search_rowid IS NOT NULL)"
        ).fetchone()[0]
    except (sqlite3.DatabaseError, UnicodeDecodeError) as err:
        if any(word in str(err) for word in ("locked", "busy")):
            raise
        return [f"is damaged (FTS5's check: {err})"]
    # a card with no digest has its row to come from the next sync (as a repair leaves it)
    missing = sum(r[2] is None and r[1] is not None for r in rows)
    wrong = sum(r[2] is not None and (r[2] != r[0] or search_hash(r[3:]) != r[1]) for r in rows)
    problems = []
    if missing:
        problems.append(f"misses {_plural(missing, 'card')}")
    if wrong:
        problems.append(f"holds other text than was indexed for {_plural(wrong, 'card')}")
    if orphans:
        problems.append(f"has {_plural(orphans, 'row')} of no active card")
    return problems


def _search(
    conn: sqlite3.Connection, report: Report, repair: bool, before_repair: Callable[[], None]
) -> None:
    """The search index checked; repaired by making it again, empty, for the next command's
    sync to fill from the decks (their text is not in the database otherwise)."""
    from dlcards.store.schema import CARD_SEARCH_TABLE

    problems = _search_problems(conn, wait=repair)
    if not problems:
        report.add(Finding("search"))
        return
    finding = report.add(Finding("search", "the search index " + "; ".join(problems)))
    if not repair:
        return
    before_repair()
    conn.execute("BEGIN IMMEDIATE")
    try:
        conn.execute("DROP TABLE card_search")
        conn.execute(CARD_SEARCH_TABLE)
        conn.execute("UPDATE cards SET search_hash = NULL, search_rowid = NULL")
        conn.execute("DELETE FROM meta WHERE key = 'deck_signature'")  # the next command syncs
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    finding.repaired = "made again; the next command fills it from the decks"


def _memories(
    conn: sqlite3.Connection,
    report: Report,
    replay: Replay | None,
    replay_for: ReplayFor,
    repair: bool,
    before_repair: Callable[[], None],
) -> None:
    """Stored values and each card's memory against the replay of its log."""
    cards = [
        (cid, reset)
        for cid, reset in conn.execute("SELECT id, coalesce(reset_after, 0) FROM cards")
    ]
    # memory rows every card must have
    lacking = [
        cid
        for (cid,) in conn.execute(
            "SELECT c.id FROM cards c LEFT JOIN sm2 s ON s.card_id = c.id WHERE s.card_id IS NULL"
        )
    ]
    # a review without its time (`at`, schema 6) has no place in the replay order
    untimed = conn.execute("SELECT id, reviewed_at, day FROM reviews WHERE at IS NULL").fetchall()
    if untimed:
        finding = report.add(
            Finding("log", f"{_plural(len(untimed), 'review')} without a time to order it by")
        )
        if repair:
            before_repair()
            _in_chunks(
                conn,
                "UPDATE reviews SET at = ? WHERE id = ?",
                [(_ms(stamp, day), rid) for rid, stamp, day in untimed],
            )
            finding.repaired = "each time taken from the review's timestamp (or its day)"

    # the log, checked row by row (bad days taken from the timestamp when it has one), and
    # the memories, read in one snapshot: a grade committed meanwhile is in both or in neither
    def snapshot(
        bad_rows: list[int],
    ) -> tuple[dict[str, list[LogEntry]], dict[str, str], list[tuple[str, int]], dict[str, Any]]:
        conn.execute("BEGIN")
        try:
            read = _read_logs(conn, [cid for cid, _ in cards], whole=True, bad_rows=bad_rows)
            return (*read, {row[0]: row[1:] for row in conn.execute(ALL_MEMORIES)})
        finally:
            conn.execute("COMMIT")

    bad_rows: list[int] = []
    logs, bad_log, fix_days, memories = snapshot(bad_rows)
    if repair and bad_rows:  # rows no replay can read: taken out, and the log read again
        _drop_unreplayable(conn, report, bad_rows, bad_log, before_repair)
        logs, bad_log, fix_days, memories = snapshot([])

    bad_values: dict[str, str] = {}
    stored_of: dict[str, Memory | None] = {}
    for cid, _ in cards:
        row = memories.get(cid)
        stored_of[cid] = None
        if row is not None:
            try:
                stored_of[cid] = memory_from(row, cid)
            except StoreError as err:
                bad_values[cid] = str(err).split("; run")[0]
    replayable = [cid for cid, _ in cards if cid not in bad_log]
    wants: dict[str, Memory] | None = None
    if replay is not None:  # every card at once when the replay can (SM-2 on arrays)
        wants = replay.many(
            {cid: logs.get(cid, []) for cid in replayable},
            {cid: stored_of[cid] or Memory() for cid in replayable},
        )
    differ: list[str] = []
    rebuilt: list[str] = []
    for cid in replayable:
        if replay is None:
            break
        stored = stored_of[cid]
        if wants is not None:
            want = wants[cid]
        else:
            want = replay(logs.get(cid, []), stored or Memory())
        if stored is None or want != stored:
            if stored is not None:
                differ.append(cid)
            rebuilt.append(cid)

    if fix_days:
        finding = report.add(
            Finding("log", f"{_plural(len(fix_days), 'review')} with a day that is not a date")
        )
        if repair:
            before_repair()
            _in_chunks(conn, "UPDATE reviews SET day = ? WHERE id = ?", fix_days)
            finding.repaired = "each day taken from the review's timestamp"
    if bad_log:  # only when checking: a repair took them out above
        first = next(iter(bad_log.items()))
        report.add(
            Finding(
                "log",
                f"{_plural(len(bad_log), 'card')} with a log row that cannot be replayed "
                f"(card {first[0]}: {first[1]}); `dlcards doctor` takes such rows out, the "
                "backup it makes first keeps them",
            )
        )
    if (
        not fix_days
        and not bad_log
        and not untimed
        and not any(f.check == "log" for f in report.findings)
    ):
        report.add(Finding("log"))

    # a topic that is not text (bytes: `due` stopped with a TypeError in its table)
    untopical = [r[0] for r in conn.execute("SELECT id FROM cards WHERE typeof(topic) != 'text'")]
    if bad_values or lacking or untopical:
        first_bad = next(iter(bad_values.values()), "")
        words = []
        if bad_values:
            words.append(f"{_plural(len(bad_values), 'card')} with bad stored values ({first_bad})")
        if lacking:
            words.append(f"{_plural(len(lacking), 'card')} without a memory row")
        if untopical:
            words.append(
                f"{_plural(len(untopical), 'card')} whose topic is not text (card {untopical[0]})"
            )
        finding = report.add(Finding("values", "; ".join(words)))
        done = []
        if repair and untopical:
            before_repair()
            _topics_from_the_decks(conn)
            done.append("topics taken from the decks again by the next command")
        if repair and replay is not None and (bad_values or lacking):
            done.append("memories rebuilt from the log")
        finding.repaired = "; ".join(done) or None
    else:
        report.add(Finding("values"))

    if replay is None:
        report.add(Finding("memories", "not compared: the settings cannot be read", fatal=True))
        return
    if differ:
        report.add(
            Finding(
                "memories",
                f"{_plural(len(differ), 'card')} whose memory differs from the replay of its log "
                f"(e.g. {', '.join(differ[:3])})",
                repaired="rebuilt from the log" if repair else None,
            )
        )
    else:
        report.add(Finding("memories"))
    if repair and (rebuilt or lacking):
        before_repair()
        _write_memories(conn, lacking, rebuilt, replay_for)


def _topics_from_the_decks(conn: sqlite3.Connection) -> None:
    """Each topic that is not text emptied, and the deck signature dropped: the next command's
    sync compares every card with its deck and writes its topic (a retired card's, when it
    comes back)."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        conn.execute("UPDATE cards SET topic = '' WHERE typeof(topic) != 'text'")
        conn.execute("DELETE FROM meta WHERE key = 'deck_signature'")
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise


def _ms(stamp: object, day: object) -> int:
    for text in (stamp, f"{day}T00:00:00"):
        try:
            return epoch_ms(str(text))
        except (ValueError, OverflowError, OSError):
            continue
    return 0


def _day_from_stamp(stamp: object) -> date | None:
    if not isinstance(stamp, str):
        return None
    try:
        return datetime.fromisoformat(stamp).date()
    except ValueError:
        return None


def _in_chunks(conn: sqlite3.Connection, sql: str, params: list[tuple[Any, ...]]) -> None:
    for start in range(0, len(params), CHUNK):
        conn.execute("BEGIN IMMEDIATE")
        try:
            conn.executemany(sql, params[start : start + CHUNK])
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise


def _write_memories(
    conn: sqlite3.Connection, lacking: list[str], rebuilt: list[str], replay_for: ReplayFor
) -> None:
    """Add the missing memory rows and rebuild the memories of `rebuilt` from their logs. Each
    chunk's transaction reads again what it replays (the settings, each card's log and
    memory): a grade, an undo or a `config` committed since the check is replayed, not
    overwritten."""
    _in_chunks(
        conn,
        "INSERT OR IGNORE INTO sm2 (card_id, ef, repetitions, interval, lapses) "
        "VALUES (?, ?, 0, 0, 0)",
        [(cid, EF_START) for cid in lacking],
    )
    _in_chunks(conn, "INSERT OR IGNORE INTO fsrs (card_id) VALUES (?)", [(c,) for c in lacking])
    for start in range(0, len(rebuilt), CHUNK):
        conn.execute("BEGIN IMMEDIATE")
        try:
            replay = replay_for(_meta(conn))
            part = rebuilt[start : start + CHUNK]
            logs, bad_log, _ = _read_logs(conn, part)
            sm2_rows, fsrs_rows = [], []
            for cid in part:
                row = conn.execute(SELECT_MEMORY, (cid,)).fetchone()
                if cid in bad_log or row is None:
                    continue  # the card or its log changed meanwhile: the next check says
                try:
                    stored = memory_from(row, cid)
                except StoreError:
                    stored = Memory()
                after = replay(logs.get(cid, []), stored)
                sm2_rows.append((*sm2_values(after.sm2), cid))
                fsrs_rows.append((cid, *fsrs_values(after.fsrs)))
            conn.executemany(UPDATE_SM2, sm2_rows)
            conn.executemany(UPSERT_FSRS, fsrs_rows)
            # the log's FSRS states before each grade may be stale too (`Store.fresh_fsrs_log`)
            conn.execute(MARK_FSRS_LOG_STALE)
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise


def _meta(conn: sqlite3.Connection) -> dict[str, str]:
    return dict(conn.execute("SELECT key, value FROM meta").fetchall())


def _drop_unreplayable(
    conn: sqlite3.Connection,
    report: Report,
    bad_rows: Sequence[int],
    bad_log: Mapping[str, str],
    before_repair: Callable[[], None],
) -> None:
    """Take out of the log the rows no replay can read (a grade outside 0-5, a day that is
    no date and no timestamp to take it from, an unknown kind): what they recorded is lost
    already, and keeping them blocks every later grade of their cards. Restoring a backup
    instead would lose the valid grades given since; the backup made before this repair keeps
    the rows as they were. Their cards are then replayed from what is left."""
    first = next(iter(bad_log.items()))
    finding = report.add(
        Finding(
            "log",
            f"{_plural(len(bad_rows), 'log row')} that cannot be replayed, of "
            f"{_plural(len(bad_log), 'card')} (card {first[0]}: {first[1]})",
        )
    )
    before_repair()
    _in_chunks(conn, "DELETE FROM reviews WHERE id = ?", [(rid,) for rid in bad_rows])
    report.taken_out = len(bad_rows)
    finding.repaired = (
        "taken out of the log, and their cards replayed from the rest (the backup made before "
        "this repair keeps them)"
    )


def _read_logs(
    conn: sqlite3.Connection,
    card_ids: Sequence[str],
    whole: bool = False,
    bad_rows: list[int] | None = None,
) -> tuple[dict[str, list[LogEntry]], dict[str, str], list[tuple[str, int]]]:
    """The scheduled grades since the reset of each of `card_ids`, in the store's order
    (rows.TIME_ORDER, rows.AFTER_RESET); the cards with a log row that cannot be replayed
    (and why; each such row's id added to `bad_rows`); and the (day, review id) of rows whose
    day is taken from their timestamp. `whole`: every row of the log is read, those of cards
    that are gone too."""
    logs: dict[str, list[LogEntry]] = {cid: [] for cid in card_ids}
    bad_log: dict[str, str] = {}
    bad = [] if bad_rows is None else bad_rows
    fix_days: list[tuple[str, int]] = []
    where, params = "", list(card_ids)
    if not whole:
        where = f"WHERE r.card_id IN ({','.join('?' * len(params))}) "
    else:
        params = []
    days: dict[object, date | None] = {}  # each day's text parsed once (a log has few days)
    for rid, cid, day, grade, kind, stamp, after_reset in conn.execute(
        "SELECT r.id, r.card_id, r.day, r.grade, r.kind, r.reviewed_at, "
        f"{AFTER_RESET} FROM reviews r LEFT JOIN cards c ON c.id = r.card_id "
        f"{where}ORDER BY r.card_id, {TIME_ORDER}",
        params,
    ):
        parsed = days.get(day, date.min) if isinstance(day, str) else date.min
        if parsed is date.min:
            try:
                parsed = day_of(day, cid, "reviews.day")
            except StoreError:
                parsed = _day_from_stamp(stamp)
                if parsed is None:
                    bad_log.setdefault(
                        cid, f"review {rid} has day {quoted(str(day)[:20])}, not a date"
                    )
                    bad.append(rid)
                    continue
                fix_days.append((parsed.isoformat(), rid))
            else:
                if isinstance(day, str):
                    days[day] = parsed
        if type(grade) is int and 0 <= grade <= 5:
            g = grade
        else:
            try:
                g = grade_of(grade, cid)
            except StoreError:
                bad_log.setdefault(
                    cid, f"review {rid} has grade {quoted(str(grade)[:20])}, not 0-5"
                )
                bad.append(rid)
                continue
        if kind not in ("scheduled", "redrill"):
            bad_log.setdefault(cid, f"review {rid} has kind {quoted(str(kind)[:20])}")
            bad.append(rid)
            continue
        if kind == "scheduled" and after_reset and parsed is not None:
            logs.setdefault(cid, []).append(LogEntry(parsed, g))
    return logs, bad_log, fix_days


# --- restore ----------------------------------------------------------------------------------


def find_backup(db: Path, name: str) -> Path:
    """A backup given as a path, or as a file name in the database's backups folder."""
    given = Path(name).expanduser()
    for candidate in (given, backup.folder_of(db) / name):
        if candidate.is_file():
            return candidate
    raise StoreError(
        f"no backup {name}; `dlcards backup --list` lists them (in {backup.folder_of(db)})"
    )


def restore(
    db: Path,
    source: Path,
    now: datetime,
    replay_for: ReplayFor | None = None,
    tell: Callable[[str, str], None] | None = None,
) -> tuple[str, str]:
    """Replace the database at `db` with the backup `source`, after checking the backup and
    backing up what is there now. Over a damaged or missing database, the grades the backup
    lacks are salvaged (`_salvage_into`) and each card they touch is replayed from its log
    (with `replay_for`). Returns a one-line account of the restore, and one of the salvage
    ("" over a sound database: a restore then goes back to the backup, as asked); `tell`
    is given them first, before the restore's mark is removed (`_mark_restore`): a restore
    killed between the two is told by the next command, never by neither."""
    from dlcards.fileio import clean_stale_temps

    folder = db.parent
    with suppress(OSError), db.open("rb") as fh:
        kind = other_kind(fh.read(100))
        if kind is not None:  # a restore put a database in a deck file's place
            raise StoreError(
                f"{db} is {kind}, not a dlcards database: a restore would replace it; pass "
                "the progress database with --db; nothing was changed"
            )
    if _elsewhere_in_place(db):  # a restore put a database in another program's file's place
        raise StoreError(
            f"{db} is an SQLite file that dlcards did not create, not a dlcards database: a "
            "restore would replace it; pass the progress database with --db; nothing was changed"
        )
    if (why := unwritable(db)) is not None:  # said so, not a temporary file's EROFS
        raise StoreError(f"cannot restore backup {source}: {why}; nothing was changed")
    clean_stale_temps(folder)
    fd, name = tempfile.mkstemp(prefix=f".{db.name}.{os.getpid()}-", suffix=".tmp", dir=folder)
    os.close(fd)
    unpacked = Path(name)
    try:
        try:
            backup.unpack(source, unpacked)
        except (OSError, EOFError) as err:
            if _no_room(db, err):
                raise DiskFullError(
                    f"the disk is full: cannot unpack backup {source} beside {db}; free some "
                    "space and try again (nothing was changed)",
                    db,
                ) from None
            raise StoreError(f"cannot read backup {source}: {err}") from None
        try:
            check_header(unpacked)
            src = _connect(unpacked)
        except (StoreError, *SQLITE_ERRORS):
            raise StoreError(f"backup {source} is not a dlcards database") from None
        try:
            problems = backup.integrity_problems(src)
            if problems:
                raise StoreError(f"backup {source} is damaged too ({problems[0]}); try another")
            tables = {r[0] for r in src.execute("SELECT name FROM sqlite_master")}
            version = src.execute("PRAGMA user_version").fetchone()[0]
            if "reviews" not in tables or "cards" not in tables:
                what = "an empty file" if not tables else "not a dlcards database"
                raise StoreError(f"backup {source} is {what}; try another")
            if version > SCHEMA_VERSION:
                raise StoreError(
                    f"backup {source} was made by a newer dlcards (schema {version}); upgrade "
                    "dlcards to restore it"
                )
            salvaging = _Salvaging(db, source, replay_for)
            held = src.execute("SELECT count(*) FROM reviews").fetchone()[0]  # the backup's
            left = _orphaned_log(db)
            saved = _save_and_replace(src, db, unpacked, now, salvaging)
            reviews = src.execute("SELECT count(*) FROM reviews").fetchone()[0]
            last = src.execute("SELECT max(day) FROM reviews").fetchone()[0]
        finally:
            src.close()
    finally:
        unpacked.unlink(missing_ok=True)
    try:  # put in place as a file: in the backup's rollback-journal mode
        conn = _connect(db)
        try:
            _in_wal_mode(conn)
            salvaging.back_up(conn, now)
        finally:
            conn.close()
    except SQLITE_ERRORS:
        pass
    moved = salvaging.consume()
    saved = moved.get(saved, saved) if saved is not None else None
    kept = f"; the database it replaced is in {saved}" if saved else ""
    if saved is not None and left:  # no file: the -wal a deleted file left
        kept = f"; the -wal its deleted file left is in {saved}-wal"
    # the reviews the restored log holds, those the backup held told apart from those added
    count = _plural(reviews, "review")
    if salvaging.added or salvaging.removed:
        kept_of_backup = held - len(salvaging.removed)
        count += (
            f" ({kept_of_backup:,} from the backup, {salvaging.added:,} salvaged that it lacked)"
        )
    said = f"restored {db} from {source}: {count}{f', the last on {last}' if last else ''}{kept}"
    line = salvaging.line()
    if tell is not None:
        tell(said, line)
    restore_mark(db).unlink(missing_ok=True)  # done and told: nothing for the next command
    return said, line


RESTORE_KEY = "restored_by"
"""The meta key a restore writes into the copy it puts in place: its mark's token."""


def _mark_restore(src: sqlite3.Connection, db: Path, salvaging: _Salvaging) -> None:
    """Before the copy of the backup `src` over `db`: a token written into `src` (and so into
    the database once the copy commits) and into a mark beside the backups, with what the
    restore's end does (`_put_aside`). A restore killed outright (SIGKILL, a power cut) from
    here on left the database as it was or restored, whole (the copy is one transaction),
    but not a word, and, restored, its salvaged files not put aside (a later restore of an
    older backup brought their grades back); the next command reads the mark
    (`interrupted_restore`), tells which, and finishes."""
    import json
    import secrets

    token = secrets.token_hex(8)
    src.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (RESTORE_KEY, token))
    mark = {
        "token": token,
        "pid": os.getpid(),
        "source": str(salvaging.source),
        "used": [str(p) for p in salvaging.used],
        "damaged": salvaging.damaged,
    }
    folder = backup.folder_of(db)
    temp = folder / f".restore-of-{db.name}.{os.getpid()}.tmp"
    temp.write_text(json.dumps(mark), encoding="utf-8")
    os.replace(temp, restore_mark(db))


def interrupted_restore(db: Path) -> str | None:
    """A restore of `db` killed outright (its mark there, its process gone,
    `_mark_restore`): finished when the copy was in place (its salvaged files put aside),
    the mark removed, and one line saying which database is there; None when there is no
    such mark (or its restore still runs)."""
    import json

    mark = restore_mark(db)
    try:
        found = json.loads(mark.read_text(encoding="utf-8"))
        token, pid, source = str(found["token"]), int(found["pid"]), str(found["source"])
        used, damaged = [Path(p) for p in found["used"]], bool(found["damaged"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    from dlcards.store.count import log_whole

    if not log_whole(str(db)):
        return None  # told once the log is dealt with (opening it here would lose it)
    try:
        os.kill(pid, 0)
        return None  # its restore is still running (in another terminal)
    except ProcessLookupError:
        pass
    except OSError:
        return None
    try:
        with closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True)) as conn:
            row = conn.execute("SELECT value FROM meta WHERE key = ?", (RESTORE_KEY,)).fetchone()
    except SQLITE_ERRORS:
        row = None
    restored = row is not None and row[0] == token
    if restored:
        _put_aside(db, used, damaged)
    mark.unlink(missing_ok=True)
    if restored:
        return (
            f"note: the restore of {db} from {source} was killed once the backup was in "
            "place: the database is the restored one (the restore is finished now)"
        )
    return (
        f"note: the restore of {db} from {source} was killed before the backup was in "
        "place: the database is as it was, nothing restored"
    )


RESTORE_TRIES = 3
"""How many times a restore saves the database again when another terminal wrote to it
between the save and the copy of the backup over it."""


class _Written(Exception):
    """The database was written to after the snapshot of it that the restore saved."""


def _data_version(conn: sqlite3.Connection | None) -> int | None:
    if conn is None:
        return None
    try:
        return int(conn.execute("PRAGMA data_version").fetchone()[0])
    except SQLITE_ERRORS:  # too damaged to tell: the copy goes ahead as before
        return None


def _unchanged(conn: sqlite3.Connection | None, version: int | None) -> bool:
    return _data_version(conn) == version


def _save_and_replace(
    src: sqlite3.Connection, db: Path, unpacked: Path, now: datetime, salvaging: _Salvaging
) -> Path | None:
    """Save the database at `db` (`_save_current`), then copy the backup `src` over it. A
    grade another terminal commits between the two would be in neither (a torture run): the
    copy checks, once it holds the database's write lock, that nothing was committed since the
    save's snapshot (SQLite's `data_version`, read on one connection before the save), and if
    something was, takes nothing over and saves the database again (in place of the save it
    supersedes).

    A file that fails its header check (emptied, cut short, overwritten) is never opened with
    SQLite: opening a 0-byte file deletes its -wal, which may hold the only copy of the
    grades since the backup (found by a restore that lost them all). It is copied as it is,
    salvaged from, and replaced as a file; no dlcards writes to such a file meanwhile (each
    checks the file before it commits: `connection._Watch`)."""
    for _ in range(RESTORE_TRIES):
        watch: sqlite3.Connection | None = None
        unopenable = _unopenable(db) or _orphaned_log(db)
        held = _held(db)  # a raw copy reads through it while `watch` is open: locks kept
        try:
            watch = _connect(db) if db.exists() and not unopenable else None
        except SQLITE_ERRORS:
            watch = None
        _in_wal_mode(watch)
        try:
            version = _data_version(watch)
            if unopenable:
                saved: Path | None = _copy_damaged(db, now)
            else:
                saved = _save_current(db, now, held)
                _keep_ids_unused(src, db)
            damaged = saved is None or saved.name.endswith(".db")  # a raw copy, or no file
            salvaging.into(src, saved if damaged else None, damaged)
            _mark_restore(src, db, salvaging)
            try:
                _replace(src, db, unpacked, partial(_unchanged, watch, version), as_file=unopenable)
            except _Written:  # the next save holds all this one does, and what came since
                restore_mark(db).unlink(missing_ok=True)
                if saved is not None:
                    saved.unlink(missing_ok=True)
                continue
            except BaseException:  # the copy taken back (`_replace`): nothing restored
                restore_mark(db).unlink(missing_ok=True)
                raise
            return saved
        finally:
            if watch is not None:
                watch.close()
            if held is not None:
                os.close(held)
    raise StoreError(
        f"database {db} kept changing while it was being restored (another dlcards is "
        "writing to it); nothing was changed: stop it and run the restore again"
    )


def _keep_ids_unused(src: sqlite3.Connection, db: Path) -> None:
    """Carry the database's id counters (SQLite's AUTOINCREMENT sequences) over to the backup
    that replaces it, where they are higher: a review or session id handed out before the
    restore is never handed out again, so a study session left open across the restore cannot
    take another grade for its own (its undo deletes by id)."""
    try:
        conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
        try:
            counters = conn.execute("SELECT name, seq FROM sqlite_sequence").fetchall()
        finally:
            conn.close()
    except SQLITE_ERRORS:  # a database too damaged to read: nothing to carry over
        return
    present = {r[0] for r in src.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    if "sqlite_sequence" not in present:
        return
    for name, seq in counters:
        # the actions' counter too into a backup made before their table (schema 35): the
        # table its migration (or the restore: `_actions_as_restored`) makes goes on from it
        if (name not in present and name != "learner_actions") or not isinstance(seq, int):
            continue
        updated = src.execute(
            "UPDATE sqlite_sequence SET seq = max(seq, ?) WHERE name = ?", (seq, name)
        ).rowcount
        if not updated:
            src.execute("INSERT INTO sqlite_sequence (name, seq) VALUES (?, ?)", (name, seq))


def _held(db: Path) -> int | None:
    """A descriptor of the file (None: no file), for a raw copy made while a connection to it
    is open: closing a descriptor of its own would drop the process's POSIX locks on it."""
    try:
        return os.open(db, os.O_RDONLY)
    except OSError:
        return None


def _save_current(db: Path, now: datetime, held: int | None = None) -> Path | None:
    if not db.exists():
        return None
    try:
        conn = _connect(db)
        try:
            return backup.make(conn, db, now.date(), event="restore").path
        finally:
            conn.close()
    except (StoreError, OSError, *SQLITE_ERRORS) as err:
        if _no_room(db, err):  # a sound file with no room for its copy: nothing changes
            raise DiskFullError(
                f"the disk is full: cannot back up {db} before restoring over it; free some "
                "space and try again (nothing was changed)",
                db,
            ) from None
        return backup.copy_damaged(db, now.strftime("%Y-%m-%dT%H%M%S"), held)


def _no_room(db: Path, err: BaseException) -> bool:
    """Whether `err` (making a backup of `db`) is a full disk rather than a damaged file (a
    torture run: a restore on a nearly full disk took the sound file for damaged and left a
    cut-short raw copy of it in backups/)."""
    import errno

    if isinstance(err, DiskFullError):
        return True
    if isinstance(err, OSError):
        return err.errno in (errno.ENOSPC, errno.EDQUOT)
    if isinstance(err, sqlite3.Error):
        return isinstance(translate_error(db, err), DiskFullError)
    return False


def _replace(
    src: sqlite3.Connection,
    db: Path,
    unpacked: Path,
    unchanged: Callable[[], bool],
    as_file: bool = False,
) -> None:
    """Copy every page of `src` into the database at `db` with SQLite's backup API (under its
    write lock: other terminals see the old or the new database, never a mix); a database too
    damaged to take it is replaced as a file. `unchanged` is asked once the write lock is held
    (after the first page: SQLite keeps the destination's write transaction open between
    steps); False raises _Written, and the copy is rolled back, nothing taken over.

    From here on, a stop (Ctrl-C, a `kill`, a closed terminal) is noted, not raised
    (`interrupts.committing`, in the command's `terminal.stops_held_from_commit`): a `kill`
    in the middle ended the restore at once, not a word said, the database restored or not
    and its salvaged files not put aside. While pages remain to copy, a stop gives the copy
    up, rolled back whole (`interrupts.GivenUp`: the database as it was); once the last page
    is copied (SQLite committed it), the restore goes on to its end."""
    from dlcards.interrupts import GivenUp, committing, given_up

    checked: list[bool] = []
    committing()
    if as_file:
        _put_in_place(unpacked, db)
        return

    def step(status: int, remaining: int, total: int) -> None:
        if not checked:
            checked.append(True)
            if not unchanged():
                raise _Written
        if remaining and given_up():
            raise GivenUp

    try:
        dest = _connect(db)
        try:
            src.backup(dest, pages=1, progress=step)
            dest.execute("PRAGMA journal_mode = WAL")
        finally:
            dest.close()
        return
    except SQLITE_ERRORS:
        pass
    _put_in_place(unpacked, db)


def _put_in_place(unpacked: Path, db: Path) -> None:
    """Replace the file at `db` (and its -wal and -shm) by the backup `unpacked` (put in
    WAL mode by `restore` once its connection to `unpacked` is closed), with the mode the
    file had (a new file's, by the umask, where there was none): the unpacked file is a
    private temporary one (0600), and a damaged 0644 database came back 0600."""
    from dlcards.fileio import umask

    try:
        mode = stat.S_IMODE(os.stat(db).st_mode)
    except OSError:
        mode = 0o666 & ~umask()
    os.chmod(unpacked, mode)
    for side in (Path(f"{db}-wal"), Path(f"{db}-shm")):
        side.unlink(missing_ok=True)
    os.replace(unpacked, db)


def _in_wal_mode(conn: sqlite3.Connection | None) -> None:
    """Put the database of `conn` in WAL mode, as dlcards keeps its databases, if it is not;
    nothing when another connection keeps it from it. A backup is kept in rollback-journal
    mode, and a restore that put it in place as a file left it so: the next restore failed
    ("kept changing while it was being restored"), as the copy's write lock keeps a
    rollback-journal database from being read, so its check that nothing was committed
    meanwhile could not read it."""
    if conn is None:
        return
    try:
        if conn.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
            conn.execute("PRAGMA journal_mode = WAL")
    except SQLITE_ERRORS:
        pass


def _orphaned_log(db: Path) -> bool:
    """Whether no file is at `db` but a -wal or -shm is: a file deleted while a session had
    it open, whose log (and its grades) that session still holds. A new database made at the
    path opened them as its own, SQLite read the deleted file's pages into it, and the
    restored database could not be read ("disk I/O error"): the -wal is copied and salvaged
    as a damaged file's, and both are removed before the backup is put at the path."""
    return not db.exists() and any(Path(f"{db}{end}").exists() for end in ("-wal", "-shm"))


def _unopenable(db: Path) -> bool:
    """Whether the file at `db` fails the header check (or is empty): not to be opened."""
    if not db.exists():
        return False
    try:
        check_header(db)
        return db.stat().st_size == 0
    except (StoreError, OSError):
        return True


def _copy_damaged(db: Path, now: datetime) -> Path:
    try:
        return backup.copy_damaged(db, now.strftime("%Y-%m-%dT%H%M%S"))
    except OSError as err:
        raise StoreError(
            f"cannot copy the damaged database {db} before restoring over it: "
            f"{err.strerror or err}; nothing was changed"
        ) from None


class _Salvaging:
    """What a restore of `source` salvages: over a damaged database, the raw copy of it just
    made, and the raw copies and kept grades made since the backup (by sessions that found
    their database damaged under them, `Connection._rescue`, and by `doctor`); over a sound
    one, only the grades a session kept since the backup (its file was deleted or replaced,
    and a database made anew at the path since is sound, and lacks them). Once the restore
    is done they are renamed (`-salvaged-`, `.merged.json`): a later restore of an older
    backup, on purpose, does not bring them back."""

    def __init__(self, db: Path, source: Path, replay_for: ReplayFor | None) -> None:
        self.db = db
        self.source = source
        self.replay_for = replay_for
        self.added = 0
        self.damaged = False
        self.used: list[Path] = []
        self.made: Path | None = None
        self.moved: dict[Path, Path] = {}  # the files salvaged from, renamed by `consume`
        self.marked: list[str] = []  # cards reset or (un)suspended since the backup
        self.carried: list[_Carried] = []  # those changes (`_actions_as_restored`)
        self.places: dict[tuple[str, int], Any] = {}  # where kept grades were made
        self.dropped: set[tuple[str, int]] = set()  # grades taken back since it: not put back
        self.removed: set[tuple[str, int]] = set()  # those of them the backup held

    def into(self, src: sqlite3.Connection, copy: Path | None, damaged: bool) -> None:
        from dlcards.store import salvage

        self.damaged = damaged
        try:
            since = self.source.stat().st_mtime_ns
        except OSError:
            since = 0
        found = [
            p for p in salvage.sources(self.db, since) if damaged or p.suffix == ".json"
        ]  # over a sound database, only what a session kept (see the class docstring)
        paths = [*([copy] if copy is not None else []), *found]
        got = salvage.salvage(paths)
        self.used = sorted(set(self.used) | set(got.sources) | set(found))
        marked, carried = _carry_card_marks(src, [p for p in paths if p.suffix == ".db"])
        self.carried.extend(carried)
        # the grades taken back since the backup stay taken back: none is salvaged, and over
        # a damaged file (the restore puts back what was done since) the backup's go too
        undone = salvage.still_undone(salvage.undone_since(self.db, since), got)
        rows = [r for r in got.rows if salvage.identity(r) not in undone]
        self.dropped |= {salvage.identity(r) for r in got.rows} & undone.keys()
        if damaged:
            self.removed |= _take_back(src, undone, self.replay_for)
            self.dropped |= self.removed
        self.added += _add_salvaged(src, rows, self.replay_for, self.db, got.places)
        if marked and self.replay_for is not None:
            _write_memories(src, [], marked, self.replay_for)
        self.marked = sorted(set(self.marked) | set(marked))
        self.places.update(got.places)
        _actions_as_restored(src, self.carried, damaged, self.places)

    def back_up(self, conn: sqlite3.Connection, now: datetime) -> None:
        """Back up the restored database when grades were added to the backup: else the
        newest backup is older than it, and a session left open across the restore (its file
        replaced under it) named that one to restore with its kept grades, which went back
        to it and dropped every grade this restore added. Not made (the restore stands): a
        backup that cannot be written."""
        if not self.added and not self.marked and not self.dropped:
            return
        try:
            self.made = backup.make(conn, self.db, now.date(), event=backup.AFTER_SALVAGE).path
        except (OSError, StoreError, *SQLITE_ERRORS):
            self.made = None

    def line(self) -> str:
        if not self.damaged and not self.used:
            return ""
        names = ", ".join(self.moved.get(p, p).name for p in self.used) or "nothing readable"
        made = f"; the result is backed up in {self.made.name}" if self.made else ""
        marked = (
            f" and the resets or suspensions of {_plural(len(self.marked), 'card')} made since"
            if self.marked
            else ""
        )
        dropped = (
            f"; {_plural(len(self.dropped), 'grade')} undone since (`dlcards undo`, `u`) "
            "stayed undone"
            if self.dropped
            else ""
        )
        return (
            f"salvaged {_plural(self.added, 'grade')} the backup {self.source.name} lacked"
            f"{marked} (from {names}); each card they touch was replayed from its log"
            f"{dropped}{made}"
        )

    def consume(self) -> dict[Path, Path]:
        """Rename the files salvaged from (see the class docstring); returns where each one
        renamed went, for a line that names one of them."""
        self.moved = _put_aside(self.db, self.used, self.damaged)
        return self.moved


def _put_aside(db: Path, used: Sequence[Path], damaged: bool) -> dict[Path, Path]:
    """What a restore does once its copy is in place (`_Salvaging.consume`): the files it
    salvaged from renamed, and over a sound database the record of undos retired."""
    from dlcards.store.salvage import DAMAGED_MARK, MERGED_SUFFIX

    moved: dict[Path, Path] = {}
    if not damaged:  # the database goes back to the backup, as asked: the undos
        _retire_undone(db)  # done before this restore are no longer to be applied
    for path in used:
        if path.suffix == ".json":
            target = path.with_name(path.name.removesuffix(".json") + MERGED_SUFFIX)
        else:
            target = path.with_name(path.name.replace(DAMAGED_MARK, "-salvaged-", 1))
        for end in ("", "-wal"):
            try:
                os.replace(f"{path}{end}", f"{target}{end}")
            except OSError:
                continue
            if not end:
                moved[path] = target
    return moved


def _retire_undone(db: Path) -> None:
    """Rename the record of the grades taken back (`salvage.undone_path`) aside: a later
    restore over a damaged file applies only the undos done after this restore (the one it
    replaced them with, over a sound database, may hold grades undone before, on purpose)."""
    from dlcards.store.salvage import undone_path

    path = undone_path(db)
    stamp = datetime.now().strftime("%Y-%m-%dT%H%M%S.%f")
    try:
        os.replace(path, path.with_name(f"{path.stem}-{stamp}.retired.jsonl"))
    except OSError:
        pass


def _actions_as_restored(
    src: sqlite3.Connection,
    carried: Sequence[_Carried],
    damaged: bool,
    places: Mapping[tuple[str, int], Any] | None = None,
) -> None:
    """Make the undo records (`store.actions`) of the restored copy `src` agree with the log
    and cards it holds now. A leech grade's record whose grade the restore took out goes
    with it. The cards `carried` got a suspension, unleech or reset made since the backup
    (`_carry_card_marks`), which no log row or action of `src` holds (its record was in the
    file replaced): undo cannot take it back, and taking back anything older (an action of
    the backup, a grade given before it) skipped over it, or said the card was changed by
    `import anki`. Undo goes back no further than the newest such change (`actions.Floor`:
    after the newest grade made before it, `_newest_before`, and after every action `src`
    holds), and the actions before it are deleted; a grade salvaged from after it is still
    taken back. A kept grade is placed against the changes by where its session kept it was
    made (`places`, by identity: `actions.Place`), not by its time.

    A backup made before schema 35 keeps no actions: over a sound database it is what it
    was (its table made at the next open, empty); over a damaged one, what the restore made
    of the actions since is not known (their records were in the file replaced), and undo
    goes back no further than the restore (the table made here, with its floor: the
    migration of schema 35 keeps it)."""
    import time

    from dlcards.store import actions
    from dlcards.store.schema import learner_actions

    tables = {r[0] for r in src.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    if "learner_actions" not in tables:
        if not damaged:
            return
        src.execute("BEGIN IMMEDIATE")
        try:
            learner_actions(src)
            seq = src.execute(
                "SELECT max(coalesce((SELECT max(seq) FROM sqlite_sequence WHERE name = "
                "'reviews'), 0), coalesce((SELECT max(id) FROM reviews), 0))"
            ).fetchone()[0]
            low = actions.Floor(
                int(seq), time.time_ns(), actions.RESTORED_UNKEPT, actions.reserve_id(src)
            )
            actions.raise_floor(src, low)
            src.execute("COMMIT")
        except BaseException:
            src.execute("ROLLBACK")
            raise
        return
    src.execute("BEGIN IMMEDIATE")
    try:
        actions.forget_gone_grades(src)
        if carried:
            at = max(point.at for point in carried)  # the newest carried change's time, ms
            # after every action the backup holds (made before it), whatever log id it
            # was made after (one whose grade was undone before the backup: above the log)
            marks = ", ".join("?" * len(actions.UNDOABLE))
            before, placed_after = _newest_before(src, carried, places)
            seq = max(
                before,
                src.execute(
                    f"SELECT coalesce(max(seq), 0) FROM learner_actions WHERE kind IN ({marks})",
                    actions.UNDOABLE,
                ).fetchone()[0],
            )
            # after every action `src` holds, unless a kept grade made after the change is
            # placed after that grade (`actions.place_kept`): then before the first action
            # id such a grade was made after (the actions `src` holds are before it)
            acted = min((at.acted for at in placed_after if at.after == seq), default=None)
            low = actions.Floor(
                int(seq),
                at * 1_000_000,
                actions.RESTORED,
                actions.reserve_id(src) if acted is None else acted,
            )
            actions.raise_floor(src, low)
            actions.forget_covered(src)
        src.execute("COMMIT")
    except BaseException:
        src.execute("ROLLBACK")
        raise


def _newest_before(
    src: sqlite3.Connection,
    carried: Sequence[_Carried],
    places: Mapping[tuple[str, int], Any] | None = None,
) -> tuple[int, list[Any]]:
    """The id in `src` of its newest grade made before one of the changes `carried`: placed
    by the ids of the raw copy each change is carried from (a grade of that copy at or below
    the id the change was made after came before it), as they were made; a kept grade that
    copy does not hold, by the log id its session kept (`places`: `actions.Place`, in the
    numbering of the file it was logged in, which that copy has); by time (ms) only a grade
    neither holds, or a change whose place among its grades is not known (a suspension's
    time is whole seconds: all of its second; a grade given in it after the suspension was
    said older, and undo never took it back; a grade given on a clock set back since, after
    the change, was said older, and undo said there was nothing older to undo). A kept grade
    added back where it was made (`actions.place_kept`) is placed after the row before it:
    the newest such row of one made before counts; and those made after are returned too
    (their `actions.GradeAt`), for the floor to stay below them."""
    from dlcards.store import actions, salvage

    places = places or {}
    timed = max((p.at for p in carried if p.after is None), default=None)
    placed: dict[Path, tuple[int, int]] = {}  # by raw copy: the highest id and time
    for p in carried:
        if p.after is not None:
            held = placed.get(p.raw, (p.after, p.at))
            placed[p.raw] = (max(held[0], p.after), max(held[1], p.at))
    ids = {raw: salvage.review_ids_in(raw) for raw in placed}

    def made_before(cid: str, when: int) -> bool:
        before = timed is not None and when <= timed
        kept = places.get((cid, when))
        for raw, (after, moment) in placed.items():
            raw_id = ids[raw].get((cid, when))
            if raw_id is None and kept is not None:
                raw_id = kept.rid
            before = before or (when <= moment if raw_id is None else raw_id <= after)
        return before

    where = actions.placed_grades(src)
    newest = 0
    for rid, cid, when in src.execute("SELECT id, card_id, at FROM reviews ORDER BY id DESC"):
        if type(when) is not int or rid in where:
            continue
        if made_before(str(cid), when):
            newest = int(rid)
            break
    after_it = []
    for rid, cid, when in src.execute(
        "SELECT r.id, r.card_id, r.at FROM reviews r JOIN json_each(?) j ON r.id = j.value",
        (json.dumps(sorted(where)),),
    ):
        if type(when) is not int:
            continue
        if made_before(str(cid), when):
            newest = max(newest, where[rid].after)
        else:
            after_it.append(where[rid])
    return newest, after_it


def _carry_card_marks(
    src: sqlite3.Connection, raws: Sequence[Path]
) -> tuple[list[str], list[_Carried]]:
    """Carry over to the restored copy `src` each card's reset point and suspension that the
    raw copies `raws` hold and are newer than its own: `dlcards reset` and `suspend` write no
    log row, so the salvaged grades did not bring them back (a reset done in another terminal
    before the file was damaged was undone by the restore, the card studied again). A reset
    point's tie-break (`reset_after`, a log id, not kept across a restore) becomes the
    backup's last row of the card at that very moment, if any: a salvaged grade at it came
    after the reset (a grade is never put before a card's reset point). Returns the cards
    changed (to replay), and each change carried over (`_Carried`, for undo's floor)."""
    from dlcards.store import salvage

    newest: dict[str, dict[str, Any]] = {}
    origin: dict[str, dict[str, Path]] = {}  # the raw copy each card's mark is carried from
    for raw in raws:
        for cid, marks in salvage.card_marks_in(raw).items():
            have = newest.setdefault(cid, dict(marks))
            came = origin.setdefault(cid, dict.fromkeys(marks, raw))
            for when, cols in (
                ("reset_at", ("reset_at", "reset_after", "leech")),
                ("suspended_changed", ("suspended", "suspended_changed")),
                ("unleech_at", ("unleech_at", "unleech_after")),
            ):
                if (marks[when] or -1) > (have[when] or -1):
                    have.update({c: marks[c] for c in cols})
                    came[when] = raw
    if not newest:
        return [], []
    points: list[_Carried] = []
    base = src.execute("SELECT coalesce(max(id), 0) FROM reviews").fetchone()[0]
    moved: list[str] = []
    src.execute("BEGIN IMMEDIATE")
    try:
        for cid, marks in sorted(newest.items()):
            row = src.execute(
                f"SELECT coalesce(reset_at, {NO_RESET}), coalesce(suspended_changed, -1) "
                "FROM cards WHERE id = ?",
                (cid,),
            ).fetchone()
            if row is None:
                continue
            if marks["reset_at"] is not None and marks["reset_at"] > row[0]:
                after = src.execute(
                    "SELECT coalesce(max(id), 0) FROM reviews WHERE card_id = ? AND at = ? "
                    "AND id <= ?",
                    (cid, marks["reset_at"], base),
                ).fetchone()[0]
                src.execute(
                    "UPDATE cards SET reset_at = ?, reset_after = ?, leech = ? WHERE id = ?",
                    (marks["reset_at"], after, int(bool(marks["leech"])), cid),
                )
                moved.append(cid)
                raw = origin[cid]["reset_at"]
                points.append(_Carried(raw, marks["reset_after"], int(marks["reset_at"])))
            unleeched = marks["unleech_at"]
            held = _unleech_at(src, cid)
            if unleeched is not None and held is not None and unleeched > held:
                # `dlcards unleech` since the backup: its point (its tie-break as a reset
                # point's), and the mark as the log has it after both points
                after = src.execute(
                    "SELECT coalesce(max(id), 0) FROM reviews WHERE card_id = ? AND at = ? "
                    "AND id <= ?",
                    (cid, unleeched, base),
                ).fetchone()[0]
                src.execute(
                    "UPDATE cards SET unleech_at = ?, unleech_after = ? WHERE id = ?",
                    (unleeched, after, cid),
                )
                src.execute(f"UPDATE cards SET leech = {LEECH_FROM_LOG} WHERE id = ?", (cid,))
                if cid not in moved:
                    moved.append(cid)
                raw = origin[cid]["unleech_at"]
                points.append(_Carried(raw, marks["unleech_after"], int(unleeched)))
            changed = marks["suspended_changed"]
            if changed is not None and changed > row[1] and marks["suspended"] is not None:
                src.execute(
                    "UPDATE cards SET suspended = ?, suspended_changed = ? WHERE id = ?",
                    (marks["suspended"], changed, cid),
                )
                if cid not in moved:
                    moved.append(cid)
                raw = origin[cid]["suspended_changed"]
                made = _suspension_made_after(raw, cid, int(marks["suspended"]), int(changed))
                # (its time is whole seconds: without its action, all of its second)
                points.append(_Carried(raw, made, int(changed) * 1000 + 999))
        src.execute("COMMIT")
    except BaseException:
        src.execute("ROLLBACK")
        raise
    return moved, points


class _Carried(NamedTuple):
    """A change carried over from the raw copy `raw` (`_carry_card_marks`): the log id of
    that copy it was made after (`after`: a grade of that copy under a higher id came after
    it; None when not known), and its time (ms), which places it among the grades that copy
    does not hold, or all of them when `after` is not known."""

    raw: Path
    after: int | None
    at: int


def _suspension_made_after(raw: Path, card_id: str, suspended: int, changed: int) -> int | None:
    """The log id of `raw` that the suspension or unsuspension of `card_id` it holds (as
    `suspended`, `changed`) was made after: its action's `seq` (`store.actions`: the newest
    that left the card so; a leech grade's suspension, the grade's id); None when `raw`
    keeps no such action (made before schema 35, pruned, an `import anki`'s change)."""
    from dlcards.store import actions, salvage

    found = None
    for aid, kind, seq, text in salvage.actions_in(raw):
        if kind not in (*actions.UNDOABLE, "grade"):
            continue
        try:
            cards = json.loads(text)
        except ValueError:
            continue
        for held in cards if isinstance(cards, list) else []:
            if isinstance(held, list) and len(held) == 3 and held[0] == card_id:
                if held[2] == [suspended, changed] and (found is None or aid > found[0]):
                    found = (aid, seq)
    return None if found is None else int(found[1])


def _unleech_at(src: sqlite3.Connection, card_id: str) -> int | None:
    """The card's unleech point's moment in `src` (NO_RESET: none; None: a file without
    them, a backup made before schema 29, which keeps none)."""
    try:
        row = src.execute("SELECT unleech_at FROM cards WHERE id = ?", (card_id,)).fetchone()
    except sqlite3.OperationalError:  # no such column
        return None
    return NO_RESET if row is None or row[0] is None else int(row[0])


def _take_back(
    src: sqlite3.Connection, undone: Mapping[tuple[str, int], Undone], replay_for: ReplayFor | None
) -> set[tuple[str, int]]:
    """Delete from the restored copy `src` the log rows of the grades taken back (by
    identity), as their undo did, and replay their cards; returns those it held. A grade that
    had suspended its card as a leech takes its effects with it, as `Store.undo` does: the
    leech mark as the rest of the log has it, and the card unsuspended with the time of change
    its undo gave, unless the flag changed after the undo (carried over from a damaged copy)."""
    if not undone:
        return set()
    held = {
        (str(cid), int(at)): leech
        for cid, at, leech in src.execute(
            "SELECT card_id, at, leech FROM reviews WHERE at IS NOT NULL"
        )
        if (cid, at) in undone
    }
    if not held:
        return set()
    src.execute("BEGIN IMMEDIATE")
    try:
        src.executemany("DELETE FROM reviews WHERE card_id = ? AND at = ?", sorted(held))
        for (cid, at), leech in sorted(held.items()):
            done = undone[cid, at]
            if leech is not None:
                src.execute(f"UPDATE cards SET leech = {LEECH_FROM_LOG} WHERE id = ?", (cid,))
            if leech == "suspend" and done.unsuspends:
                src.execute(
                    "UPDATE cards SET suspended = 0, suspended_changed = ? WHERE id = ? AND "
                    "suspended != 0 AND coalesce(suspended_changed, 0) <= ?",
                    (done.unsuspended, cid, done.when_ns // 1_000_000_000),
                )
        src.execute("COMMIT")
    except BaseException:
        src.execute("ROLLBACK")
        raise
    if replay_for is not None:
        _write_memories(src, [], sorted({cid for cid, _ in held}), replay_for)
    return set(held)


def _resets_after(db: Path, added: Sequence[tuple[int, int]]) -> dict[tuple[int, int], int]:
    """The resets of `db`'s record made after a grade of `added` (its log id and time, ms)
    whose `seq` is below that id: by (made_ns, seq), the highest such id."""
    from dlcards.store import resets

    placed: dict[tuple[int, int], int] = {}
    for made in resets.records(db):
        for rid, at in added:
            key = (made.made_ns, made.seq)
            if made.made_ns > at * 1_000_000 and placed.get(key, made.seq) < rid:
                placed[key] = rid
    return placed


def _kept_at(
    src: sqlite3.Connection,
    added: Sequence[tuple[int, int]],
    places: Mapping[tuple[str, int], Any],
) -> dict[int, Any]:
    """Where each kept grade of `added` (its new log id in `src` and its `at`) was made, by
    the `actions.Place` its session kept (`places`, by identity): after the log's row before
    it, found in `src` by its identity (or, itself added back, after that one: the first of
    them held before the loss), and the last action id then. By log id, for
    `actions.place_kept`; a grade whose row before it is neither is left out (placed by its
    time). Every grade `src` holds under an id above that row's was logged after the file
    lost this one (a file keeps the commits before what it loses), and is newer."""
    from dlcards.store import actions

    if not places:
        return {}
    cards = dict(
        src.execute(
            "SELECT r.id, r.card_id FROM reviews r JOIN json_each(?) j ON r.id = j.value",
            (json.dumps([rid for rid, _ in added]),),
        ).fetchall()
    )
    new = {(str(cards[rid]), at): rid for rid, at in added if rid in cards}
    out: dict[int, Any] = {}
    for key, rid in new.items():
        place = places.get(key)
        if place is None:
            continue
        first, seen = place, {key}
        while first.prev is not None and first.prev in new and first.prev not in seen:
            seen.add(first.prev)  # lost with it, and added back: placed after it
            first = places.get(first.prev)
            if first is None:
                break
        if first is None:
            continue
        if first.prev is None:
            after = 0
        else:
            row = src.execute(
                "SELECT id FROM reviews WHERE card_id = ? AND at = ?", first.prev
            ).fetchone()
            if row is None or first.prev in new:
                continue
            after = int(row[0])
        # the actions after the first lost: those `src` holds under ids up to its last
        # action id were made before it (a file keeps the commits before what it loses)
        out[rid] = actions.GradeAt(after, first.acted, place.rid, key[1])
    return out


def _add_salvaged(
    src: sqlite3.Connection,
    rows: Sequence[tuple[Any, ...]],
    replay_for: ReplayFor | None,
    db: Path | None = None,
    places: Mapping[tuple[str, int], Any] | None = None,
) -> int:
    """Add to the restored copy `src` the salvaged log rows it lacks (by identity: card and
    `at`), a card it lacks as a retired placeholder (as the foreign-key repair keeps a review
    whose card is gone; the next sync takes it back if a deck has it), then replay each
    touched card from its log. Returns how many rows were added.

    A kept grade whose place its session kept (`places`, by identity: `actions.Place`) is
    placed where it was made (`_kept_at`, `actions.place_kept`): logged under an id above the
    grades given after it, undo took it back before them. One without is placed among the
    actions and resets by its time (`actions.place_added_grades`)."""
    from dlcards.store.rows import INSERT_REVIEW, REVIEW_COLUMNS
    from dlcards.store.salvage import identity

    have = set(src.execute("SELECT card_id, at FROM reviews"))
    new = [r for r in rows if identity(r) not in have]
    if not new:
        return 0
    sessions = {r[0] for r in src.execute("SELECT id FROM sessions")}
    cards = {r[0] for r in src.execute("SELECT id FROM cards")}
    at_session = REVIEW_COLUMNS.index("session_id")
    at_day, at_stamp = REVIEW_COLUMNS.index("day"), REVIEW_COLUMNS.index("reviewed_at")
    lacking = sorted({r[0] for r in new} - cards)
    # a grade's session the copy lacks (begun after the backup) is put back as the study
    # session it was, as a grade puts back its session (`Store.grade`): a grade of no
    # session is no grade given in `dlcards study` for `dlcards undo`, which then took back
    # an older grade or action of the backup, with these newer ones left in the log
    begun: dict[int, tuple[str, str]] = {}
    for r in new:
        if type(r[at_session]) is int and r[at_session] not in sessions:
            begun.setdefault(r[at_session], (str(r[at_day]), str(r[at_stamp])[:19]))
    src.execute("BEGIN IMMEDIATE")
    try:
        src.executemany(
            "INSERT OR IGNORE INTO sessions (id, kind, day, started_at) VALUES (?, 'study', ?, ?)",
            [(sid, day, stamp) for sid, (day, stamp) in sorted(begun.items())],
        )
        sessions |= set(begun)
        src.executemany(
            "INSERT OR IGNORE INTO cards (id, topic, position, content_hash, retired, suspended, "
            "added) VALUES (?, '?', 1000000000, '', 1, 0, ?)",
            [(cid, datetime.now().astimezone().isoformat(timespec="seconds")) for cid in lacking],
        )
        if lacking:
            src.execute("DELETE FROM meta WHERE key = 'deck_signature'")  # the next one syncs
        src.executemany(
            INSERT_REVIEW,
            [
                (*r[:at_session], r[at_session] if r[at_session] in sessions else None,
                 *r[at_session + 1 :])
                for r in new
            ],
        )  # fmt: skip
        tables = {r[0] for r in src.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        if "learner_actions" in tables:  # (none in a backup made before schema 35)
            from dlcards.store import actions

            added = src.execute(
                "SELECT r.id, r.at FROM reviews r JOIN json_each(?) j ON r.card_id = "
                "json_extract(j.value, '$[0]') AND r.at = json_extract(j.value, '$[1]')",
                (json.dumps([list(identity(r)) for r in new]),),
            ).fetchall()
            placing = [(int(rid), int(at)) for rid, at in added]
            kept = _kept_at(src, placing, places or {})
            actions.place_kept(src, kept)
            placing = [(rid, at) for rid, at in placing if rid not in kept]
            actions.place_added_grades(src, placing)
            if db is not None:
                actions.place_resets(src, _resets_after(db, placing))
        src.execute("COMMIT")
    except BaseException:
        src.execute("ROLLBACK")
        raise
    if replay_for is not None:
        _write_memories(src, lacking, sorted({r[0] for r in new}), replay_for)
    return len(new)


def _add_kept(db: Path, report: Report, replay_for: ReplayFor | None) -> None:
    """The grades a session kept when it found the database damaged under it (its write-ahead
    log emptied or cut short, `Connection._rescue`: the file itself was left sound, without
    the log's last writes), which the sound database does not hold and no restore has added:
    a finding, and with `replay_for` (a repair) added to its log, each card they touch
    replayed, and the kept files renamed `.merged.json`. (Else "No problems found" stood over
    grades the learner gave, and a restore of the newest backup, which over a sound file takes
    only the kept grades, dropped the grades the file held since that backup.)"""
    from dlcards.store import salvage

    kept = [p for p in salvage.sources(db, 0) if p.suffix == ".json"]
    if not kept:
        return
    got = salvage.salvage(kept)
    undone = salvage.still_undone(salvage.undone_since(db, 0), got)
    rows = [r for r in got.rows if salvage.identity(r) not in undone]
    writable = os.access(db.parent, os.W_OK)
    try:
        with closing(_reading(db) if writable else _read_in_place(db)) as conn:
            have = {(str(c), int(a)) for c, a in conn.execute("SELECT card_id, at FROM reviews")}
            lacking = [r for r in rows if salvage.identity(r) not in have]
            if not lacking:
                return
            names = ", ".join(p.name for p in kept)
            problem = (
                f"{_plural(len(lacking), 'grade')} a session kept when it found the database "
                f"damaged under it ({names}) {'is' if len(lacking) == 1 else 'are'} not in it"
            )
            if replay_for is None or not writable:  # a check, or a folder nothing is written to
                report.add(Finding("kept grades", problem))
                return
            report.repairing = True
            added = _add_salvaged(conn, lacking, replay_for, db, got.places)
    except (*SQLITE_ERRORS, OSError, StoreError) as err:
        report.add(Finding("kept grades", f"cannot be added: {err}"))
        return
    for path in kept:
        with suppress(OSError):
            path.rename(path.with_name(path.name[: -len(".json")] + salvage.MERGED_SUFFIX))
    report.add(
        Finding(
            "kept grades",
            problem,
            repaired=f"added {_plural(added, 'grade')} to the log, each card they touch "
            "replayed from it",
        )
    )


def salvage_note(db: Path) -> str:
    """One line for `dlcards doctor` on a damaged file: how many grades the newest backup
    lacks can be salvaged (from the file and its -wal as they are, and the raw copies and kept
    grades made since that backup), which `doctor --restore` puts back."""
    from dlcards.store import salvage

    found = backup.backups(db)
    if not found:
        return ""
    newest = found[0]
    try:
        since = newest.path.stat().st_mtime_ns
    except OSError:
        since = 0
    paths = [*([db] if db.exists() else []), *salvage.sources(db, since)]
    got = salvage.salvage(paths)
    try:
        have = _identities(newest.path, db)
    except (OSError, EOFError, *SQLITE_ERRORS):
        return ""
    undone = salvage.still_undone(salvage.undone_since(db, since), got)
    lacking = len(got.identities - have - undone.keys())
    return (
        f"{_plural(lacking, 'grade')} the newest backup ({newest.path.name}) lacks can be "
        f"salvaged from the damaged file and what sessions kept; "
        f"`dlcards doctor --restore {newest.path.name}` puts the backup back with them"
    )


def _identities(source: Path, db: Path) -> set[tuple[str, int]]:
    fd, name = tempfile.mkstemp(prefix=f".{db.name}.{os.getpid()}-", suffix=".tmp", dir=db.parent)
    os.close(fd)
    unpacked = Path(name)
    try:
        backup.unpack(source, unpacked)
        conn = sqlite3.connect(f"{unpacked.resolve().as_uri()}?mode=ro", uri=True)
        try:
            return set(conn.execute("SELECT card_id, at FROM reviews"))
        finally:
            conn.close()
    finally:
        unpacked.unlink(missing_ok=True)
