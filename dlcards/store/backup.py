"""Backups of the progress database, as Anki makes them: automatic, online, verified, rotated.

A backup is made with SQLite's online backup API (a consistent snapshot even while another
terminal studies) into a temporary file in `backups/` beside the database. The copy is checked
with `PRAGMA integrity_check` (this is also the daily full check of the database: the copy is
page for page what the database holds), compressed with gzip, read back and compared with the
copy's SHA-256, and only then renamed into place. A damaged database never replaces a good
backup.

When: before the first write of each day (`{stem}-YYYY-MM-DD.db.gz`), on `dlcards backup`
(`{stem}-manual-YYYY-MM-DD.db.gz`), and before an event: every schema migration
(`{stem}-before-schema-N-YYYY-MM-DD.db.gz`), a repair or a restore by `dlcards doctor`
(`before-doctor`, `before-restore`), a reset of studied cards (`before-reset`); and after a
restore that added salvaged grades to the backup (`after-salvage`: the newest backup, which a
session left open across the restore names when it finds the file replaced). A day's
backup is replaced by a later one of the same day (the automatic one is made once a day); a
manual or an event backup never is: a second one of a kind on one day is
`…-YYYY-MM-DD-2.db.gz`, and so on (the state before the first restore of a day is what a
second restore must not lose).

Rotation (restic's `forget --keep-daily 7 --keep-weekly 4 --keep-monthly 12`): of the daily
backups, the newest of each of the last 7 days that have one, of the last 4 ISO weeks and of
the last 12 months are kept; of the event backups, the newest 3, and of the manual ones, the
newest 3.
"""

from __future__ import annotations

import errno
import gzip
import hashlib
import os
import re
import shutil
import sqlite3
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from stat import S_ISREG

from dlcards.errors import StoreError
from dlcards.fileio import fsync_folder
from dlcards.paths import BACKUPS
from dlcards.store.connection import problem_lines

KEEP_DAILY, KEEP_WEEKLY, KEEP_MONTHLY, KEEP_EVENT, KEEP_MANUAL = 7, 4, 12, 3, 3
MANUAL = "manual"  # `make`'s event for `dlcards backup`
AFTER_SALVAGE = "after-salvage"  # `make`'s event for the database a restore added grades to
FOLDER = BACKUPS
SUFFIX = ".db.gz"
_CHUNK = 1 << 20


class DamagedError(StoreError):
    """The database failed its integrity check (nothing was written)."""


@dataclass(frozen=True)
class Backup:
    path: Path
    day: date
    kind: str  # "daily" | "event" | "manual"
    size: int


def folder_of(db: Path) -> Path:
    return db.parent / FOLDER


def _pattern(db: Path) -> re.Pattern[str]:
    stem = re.escape(db.stem)
    return re.compile(
        rf"^{stem}-(?:before-(?P<event>schema-\d+|doctor|restore|reset)-|(?P<after>{AFTER_SALVAGE})-"
        rf"|(?P<manual>{MANUAL})-)?"
        rf"(?P<day>\d{{4}}-\d{{2}}-\d{{2}})(?:-(?P<n>[2-9]|[1-9]\d+))?" + re.escape(SUFFIX) + "$"
    )


def backups(db: Path, today: date | None = None) -> list[Backup]:
    """The backups of `db`, newest first; those dated after `today` (the system's date) last,
    newest first among them: made while the clock was set ahead, they are not the newest state
    (a backup restored as "the newest" would lose what was done since), and rotation counts
    them after every other."""
    folder = folder_of(db)
    if not folder.is_dir():
        return []
    pattern = _pattern(db)
    found = []
    for entry in folder.iterdir():
        m = pattern.match(entry.name)
        if not m:
            continue
        try:  # another process may be rotating the folder meanwhile
            day = date.fromisoformat(m["day"])
            st = entry.stat()
        except (ValueError, OSError):
            continue
        if not S_ISREG(st.st_mode):  # a FIFO or folder of a backup's name: none to restore
            continue
        kind = "event" if m["event"] or m["after"] else MANUAL if m["manual"] else "daily"
        found.append((day, st.st_mtime_ns, Backup(entry, day, kind, st.st_size)))
    now = today or date.today()
    found.sort(key=lambda t: (t[0] <= now, t[0], t[1]), reverse=True)
    return [b for _, _, b in found]


def keep(found: list[Backup]) -> set[Path]:
    """The backups rotation keeps (see the module docstring); `found` newest first."""
    kept: set[Path] = set()
    daily = [b for b in found if b.kind == "daily"]
    for period, count in (
        (lambda d: d, KEEP_DAILY),
        (lambda d: d.isocalendar()[:2], KEEP_WEEKLY),
        (lambda d: (d.year, d.month), KEEP_MONTHLY),
    ):
        seen: list[object] = []
        for b in daily:
            key = period(b.day)
            if key not in seen:
                if len(seen) == count:
                    break
                seen.append(key)
                kept.add(b.path)
    kept.update(b.path for b in [b for b in found if b.kind == "event"][:KEEP_EVENT])
    kept.update(b.path for b in [b for b in found if b.kind == MANUAL][:KEEP_MANUAL])
    return kept


def rotate(db: Path, today: date | None = None, made: Path | None = None) -> list[Path]:
    """Delete the backups rotation does not keep; returns them. `made`: the backup just made,
    kept whatever its date: it holds the state of now, and the date in its name can be older
    than those of the backups kept (a past day's, or a clock set back): rotation took it at
    once, and the event it was made before (a reset) was refused, "No such file or directory"."""
    found = backups(db, today)
    kept = keep(found)
    if made is not None:
        kept.add(made)
    gone = []
    for b in found:
        if b.path not in kept:
            b.path.unlink(missing_ok=True)
            gone.append(b.path)
    return gone


def integrity_problems(conn: sqlite3.Connection, limit: int = 20) -> list[str]:
    """`PRAGMA integrity_check`'s findings, one per problem (empty when the file is sound).
    SQLite gives some as one row of several lines, the first a heading (`*** in database
    main ***`): each line is a problem of its own, and the heading none."""
    return problem_lines(r[0] for r in conn.execute(f"PRAGMA integrity_check({int(limit)})"))


_INDEX_PROBLEM = re.compile(
    r"row \d+ missing from index \S+|wrong # of entries in index \S+|"
    r"non-unique entry in index \S+"
)


def only_index_problems(problems: list[str]) -> bool:
    """Whether each of `problems` (`integrity_problems`) is an index that does not match its
    table, which rebuilding the indexes mends; damaged pages are not mended that way."""
    return all(_INDEX_PROBLEM.fullmatch(p) for p in problems)


def backup_name(db: Path, day: date, event: str | None = None, n: int = 1) -> str:
    """`event`: None for the daily backup, MANUAL for `dlcards backup`, AFTER_SALVAGE after a
    restore that added salvaged grades, else "schema-N", "doctor", "restore" or "reset"; `n`:
    its number that day (the first has none)."""
    middle = (
        ""
        if event is None
        else f"{event}-"
        if event in (MANUAL, AFTER_SALVAGE)
        else f"before-{event}-"
    )
    number = f"-{n}" if n > 1 else ""
    return f"{db.stem}-{middle}{day.isoformat()}{number}{SUFFIX}"


def _put_in_place(packed: Path, folder: Path, db: Path, day: date, event: str | None) -> Path:
    """Move the finished backup to its name: a day's backup replaces the day's earlier one;
    an event's takes the first free number (a hard link, which fails on an existing name, so
    two processes never take the same one)."""
    if event is None:
        target = folder / backup_name(db, day)
        os.replace(packed, target)
        return target
    # after the highest number of the day's of this kind: after a rotation took the oldest,
    # the newest still has the highest number (the names keep their order)
    head = re.escape(backup_name(db, day, event).removesuffix(SUFFIX))
    same = re.compile(rf"{head}(?:-(\d+))?{re.escape(SUFFIX)}")
    taken = (int(m[1] or 1) for p in folder.iterdir() if (m := same.fullmatch(p.name)))
    n = max(taken, default=0) + 1
    while True:
        target = folder / backup_name(db, day, event, n)
        try:
            os.link(packed, target)
        except FileExistsError:
            n += 1
            continue
        except OSError:  # no hard links here (some network or FAT file systems)
            if target.exists():
                n += 1
                continue
            os.replace(packed, target)
            return target
        packed.unlink()
        return target


def _make_folder(folder: Path) -> None:
    """The backups folder, made if missing; an OSError saying what is there instead when
    something that is not a folder has its name (mkdir says only "File exists")."""
    try:
        folder.mkdir(exist_ok=True)
    except FileExistsError:
        try:
            os.stat(folder)
            what = "a file"  # or a link to one: mkdir follows a link to a folder
        except OSError as err:
            what = "a symbolic link loop" if err.errno == errno.ELOOP else "a broken symbolic link"
        raise OSError(errno.ENOTDIR, f"{folder} is {what}, not a folder") from None


def make(
    conn: sqlite3.Connection,
    db: Path,
    day: date,
    event: str | None = None,
    placing: Callable[[], None] | None = None,
) -> Backup:
    """Back `conn` (the database at `db`) up now, verified; then rotate. `placing` is called
    once the verified copy is about to be put in place (`dlcards backup`: from then on a stop
    waits for the backup's end, which it says was made).

    Raises DamagedError when the database fails its integrity check (no backup is written),
    OSError or sqlite3.Error when the backup cannot be written (e.g. the disk is full)."""
    from dlcards.fileio import clean_stale_temps

    folder = folder_of(db)
    _make_folder(folder)
    clean_stale_temps(folder)  # what a backup killed mid-way left
    snapshot, packed = (_temp(folder, db.stem) for _ in range(2))
    try:
        dest = sqlite3.connect(snapshot, check_same_thread=False)  # checked on another thread
        try:
            conn.backup(dest)  # every page in one step: one consistent snapshot
            dest.execute("PRAGMA journal_mode = DELETE")  # no -wal beside the copy
            # The check and the compression both only read the copy: the check runs in
            # SQLite's C code on a thread of its own (without the GIL) while the copy is
            # compressed and read back here; nothing is put in place before both are done.
            # Interrupted (Ctrl-C, twice even), the check is stopped and its thread waited
            # for before the copy's connection is closed (`cores.Background`).
            from dlcards.cores import Background

            checked = Background(
                lambda: integrity_problems(dest), dest.interrupt, "dlcards-backup-check"
            )
            failed: OSError | None = None
            try:
                digest = _compress(snapshot, packed)
                written = _gunzip_digest(packed)
            except OSError as err:  # reported after the check: a damaged file comes first
                failed = err
            except BaseException:
                checked.stop()
                raise
            problems = checked.result()
        finally:
            dest.close()
        if problems:
            raise DamagedError(
                f"database {db} is damaged ({'; '.join(problems[:2])}); nothing was written. "
                "Run `dlcards doctor` to repair it or restore a backup"
            )
        if failed is not None:
            raise failed
        if written != digest:  # read back what was written
            raise OSError(f"backup of {db} did not read back as written")
        if placing is not None:
            placing()
        target = _put_in_place(packed, folder, db, day, event)
        fsync_folder(folder)
    finally:
        snapshot.unlink(missing_ok=True)
        packed.unlink(missing_ok=True)
    rotate(db, made=target)
    kind = "daily" if event is None else MANUAL if event == MANUAL else "event"
    return Backup(target, day, kind, target.stat().st_size)


def _temp(folder: Path, stem: str) -> Path:
    """A temporary file named as `dlcards.fileio.atomic_write` names them (with the process id,
    so a killed process's leftovers are recognised and removed)."""
    fd, name = tempfile.mkstemp(prefix=f".{stem}.{os.getpid()}-", suffix=".tmp", dir=folder)
    os.close(fd)
    return Path(name)


def _compress(source: Path, target: Path) -> str:
    h = hashlib.sha256()
    with source.open("rb") as src, target.open("wb") as raw:
        with gzip.GzipFile(filename="", mode="wb", fileobj=raw, compresslevel=1, mtime=0) as gz:
            while chunk := src.read(_CHUNK):
                h.update(chunk)
                gz.write(chunk)
        raw.flush()
        os.fsync(raw.fileno())
    return h.hexdigest()


def _gunzip_digest(path: Path) -> str:
    h = hashlib.sha256()
    with gzip.open(path, "rb") as gz:  # gzip checks its CRC-32 and length at the end
        while chunk := gz.read(_CHUNK):
            h.update(chunk)
    return h.hexdigest()


def unpack(backup: Path, target: Path) -> None:
    """Decompress a backup (or copy an uncompressed one) to `target`; raises OSError."""
    with backup.open("rb") as fh:
        magic = fh.read(2)
    opener = gzip.open if magic == b"\x1f\x8b" else open
    with opener(backup, "rb") as src, target.open("wb") as dst:
        shutil.copyfileobj(src, dst, _CHUNK)
        dst.flush()
        os.fsync(dst.fileno())


def copy_damaged(db: Path, stamp: str, held: int | None = None) -> Path:
    """A raw copy of a database that fails its check (and its -wal), before a repair touches
    it: `backups/{stem}-damaged-{stamp}.db` (empty, beside the copy of its -wal, for a file
    deleted under a session that still holds its -wal). Not rotated; raises OSError.
    `held`: a descriptor of the file to read it through, kept open by the caller while its
    connection is open (closing a descriptor of our own would drop every POSIX lock the
    process holds on the file, SQLite's included)."""
    folder = folder_of(db)
    _make_folder(folder)
    target = folder / f"{db.stem}-damaged-{stamp}.db"
    try:
        if held is None and not db.exists():  # deleted: its -wal is all that is left
            target.write_bytes(b"")
        elif held is None:
            shutil.copyfile(db, target)
        else:
            with target.open("wb") as out:
                at = 0
                while chunk := os.pread(held, _CHUNK, at):
                    out.write(chunk)
                    at += len(chunk)
        wal = Path(f"{db}-wal")
        if wal.exists():
            shutil.copyfile(wal, Path(f"{target}-wal"))
    except OSError:  # no cut-short copy left behind to be taken for the database
        for made in (target, Path(f"{target}-wal")):
            made.unlink(missing_ok=True)
        raise
    return target
