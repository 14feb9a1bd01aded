"""A new database built in a file beside its path and put there whole (`Connection.build`).

A first sync writes every card, the search index and the indexes in one transaction. In WAL
mode with `synchronous=FULL` its commit wrote the whole file as log (bench's 100,000 cards:
~110 MB, fsynced), which a checkpoint then copied into the database file again: 0.3-0.5 s of
a 3.7 s first sync, after the parse has ended. With no file at the path, the database is built
instead in a file of its own in the same folder (`.NAME.building-RANDOM`), its rollback journal
in memory and nothing fsynced while it fills; then it is switched to WAL mode, fsynced once, and
linked to the path. `os.link` fails when a file is there: another program made one meanwhile
(a `dlcards stats` run during the build); the build is then dropped and the caller uses that
file, as if there had been one from the start. (A rename would silently replace it.) The
folder is fsynced, and the building file's name removed. Where the file system makes no hard
links (tried on the empty file first), or flock is missing, nothing is built: the database is
made at the path, as it was before.

What a kill leaves, at any point: no file at the path and a building file (removed by the next
build: nothing opens one as a database), or the whole database at the path (and, killed between
the link and the removal, its second name: removed by the next day's first write, harmless
meanwhile). A building file is held with an exclusive `flock` for as long as it is built: a
build started meanwhile by a process that does not take its turn with this one (another cache
folder) leaves it alone.
"""

from __future__ import annotations

import errno
import os
import secrets
import sqlite3
import stat
from collections.abc import Callable
from contextlib import suppress
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from dlcards.errors import StoreError
from dlcards.store.connection import (
    NOTHING_LOST,
    SIDE_FILES,
    SQLITE_ERRORS,
    DiskFullError,
    check_side_files,
    existing_file,
    refuse_orphaned_log,
    say_backups_of_another,
    translate_error,
)

if TYPE_CHECKING:
    from dlcards.store.connection import Connection

C = TypeVar("C", bound="Connection")
T = TypeVar("T")

MARK = ".building-"
"""In the name of a file a database is being built in: `.{name}{MARK}{random}` beside it."""


def building_prefix(path: Path) -> str:
    """The start of the name of every file a database for `path` is built in."""
    return f".{path.name}{MARK}"


def build(kind: type[C], path: Path, fill: Callable[[C], T]) -> T | None:
    """`Connection.build`: see the module docstring. Checks what `Connection.open` checks of a
    path with no file (a -wal with commits of one that was there: StoreError); leaves to it
    what it says of a folder where nothing can be made (None returned)."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - no flock (Windows): made at the path, as before
        return None
    if existing_file(path):
        return None
    check_side_files(path)
    refuse_orphaned_log(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError:
        return None  # `Connection.open` says why
    clear_stale(path)
    temp: Path | None
    try:
        fd, temp = _new_file(path)
    except OSError:  # a read-only or full folder: `Connection.open` says why
        return None
    store: C | None = None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        if not _still_named(fd, temp):  # pragma: no cover - a race of two cache folders
            return None  # removed as stale by a build that does not take turns with this one
        if not _links(temp):  # no hard links here (a FAT stick): made at the path, as before
            return None
        store = kind.open(temp, home=path)
        say_backups_of_another(path, store.notice)  # as `Connection.open` says it
        value = fill(store)
        store.close()  # its background checks with it: none holds the file
        store = None
        if not _still_named(fd, temp) or not _to_wal(temp) or not _still_named(fd, temp):
            raise _deleted(path)  # by another program, while it was built
        os.fsync(fd)
        if _has_log(path):  # a -wal appeared: not taken as this file's (`Connection.open`)
            return None
        try:
            os.link(temp, path)
        except OSError:  # a file there (another program's), or no hard links here
            return None
        _unlink(temp)
        temp = None
        from dlcards.fileio import fsync_folder

        fsync_folder(path.parent)
    except StoreError as err:
        raise _named(err, temp, path) from None
    except SQLITE_ERRORS as err:
        raise translate_error(path, err) from None
    except OSError as err:
        raise _os_error(path, err) from None
    finally:
        if store is not None:
            with suppress(*SQLITE_ERRORS, StoreError):
                store.close()
        if temp is not None:
            _remove(temp)
        os.close(fd)  # its flock with it: the file is at `path`, or gone
    return value


def under_way(path: Path) -> bool:
    """Whether a file to build a database for `path` is beside it (a build under way, or one
    a kill left)."""
    prefix = building_prefix(path)
    try:
        return any(
            n.startswith(prefix) and not n.endswith(SIDE_FILES) for n in os.listdir(path.parent)
        )
    except OSError:
        return False


def _new_file(path: Path) -> tuple[int, Path]:
    """A new empty file beside `path` to build its database in (its descriptor, its path), with
    the permissions SQLite gives a database it makes."""
    while True:
        temp = path.with_name(f"{building_prefix(path)}{secrets.token_hex(4)}")
        try:
            return os.open(temp, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o644), temp
        except FileExistsError:  # pragma: no cover - 32 random bits met again
            continue


def clear_stale(path: Path) -> None:
    """Remove the building files a killed build left beside `path` (and their side files):
    each that no build holds (its `flock`). Run by each build, and by the day's first write
    (`Connection._daily_check`): a build killed after its link leaves a second name of the
    database, and no build runs again while there is a file at the path."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - no flock (Windows): nothing is built there
        return

    prefix = building_prefix(path)
    try:
        names = [n for n in os.listdir(path.parent) if n.startswith(prefix)]
    except OSError:
        return
    for name in names:
        if name.endswith(SIDE_FILES):
            continue  # removed with their file, below
        found = path.with_name(name)
        # only a regular file is a build's: a FIFO of that name (`mkfifo .p.db.building-x`)
        # made the open wait for a writer, and every first sync and day's first write hang
        try:
            if not stat.S_ISREG(os.lstat(found).st_mode):
                continue
            fd = os.open(found, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | os.O_NONBLOCK)
        except OSError:
            continue
        try:
            if not stat.S_ISREG(os.fstat(fd).st_mode):
                continue  # replaced since it was looked at
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            continue  # being built
        else:
            _remove(found)
        finally:
            os.close(fd)
    for name in names:  # side files whose file is gone (a kill as it was removed)
        if name.endswith(SIDE_FILES) and not path.with_name(_base(name)).exists():
            _unlink(path.with_name(name))


def _base(name: str) -> str:
    for end in SIDE_FILES:
        if name.endswith(end):
            return name[: -len(end)]
    return name


def _remove(temp: Path) -> None:
    """A building file and the side files SQLite may have made beside it."""
    for end in ("", *SIDE_FILES):
        _unlink(Path(f"{temp}{end}"))


def _unlink(path: Path) -> None:
    with suppress(OSError):
        os.unlink(path)


def _to_wal(temp: Path) -> bool:
    """The file switched to WAL mode (in its header: opened so at its path), as
    `Connection.open` makes a new database (left as it is where WAL cannot be used). False
    when there is no file at `temp` (deleted meanwhile: never made anew here)."""
    try:
        conn = sqlite3.connect(f"{temp.resolve().as_uri()}?mode=rw", uri=True, isolation_level=None)
    except sqlite3.OperationalError:
        if os.path.exists(temp):
            raise
        return False
    try:
        conn.execute("PRAGMA journal_mode = WAL")
    finally:
        conn.close()  # the last connection: its -wal and -shm removed
    return True


def _deleted(path: Path) -> StoreError:
    return StoreError(
        f"the file dlcards was making database {path} in was deleted by another program; no "
        "database was made: run the command again"
    )


def _links(temp: Path) -> bool:
    """Whether the file system `temp` is on makes hard links: tried on it while it is empty
    (the build's link would fail only at its end, and the whole sync be done again)."""
    probe = Path(f"{temp}-link")
    try:
        os.link(temp, probe)
    except OSError:
        return False
    _unlink(probe)
    return True


def _still_named(fd: int, temp: Path) -> bool:
    try:
        return os.path.samestat(os.fstat(fd), os.stat(temp))
    except OSError:
        return False


def _has_log(path: Path) -> bool:
    try:
        return Path(f"{path}-wal").stat().st_size > 0
    except OSError:
        return False


def _named(err: StoreError, temp: Path | None, path: Path) -> StoreError:
    """`err` (of the store being built) naming `path`, not the file it was being built in."""
    if temp is not None:
        err.renamed(str(temp), str(path))
        err.renamed(temp.name, path.name)
    if isinstance(err, DiskFullError):
        err.path = path
    return err


def _os_error(path: Path, err: OSError) -> StoreError:
    if err.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG):
        return DiskFullError(
            f"the disk is full: cannot make database {path}; free some space and try again",
            path,
            NOTHING_LOST,
        )
    return StoreError(f"cannot make database {path}: {err.strerror or err}")
