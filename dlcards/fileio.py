"""Atomic file writes: one way to replace a file so that no reader ever sees half of it.

The content goes to a temporary file beside the target, is flushed and fsynced, and is renamed
over the target. Any error removes the temporary file and leaves the target as it was. A
process killed mid-write (SIGKILL) cannot remove its temporary file: the name carries the
writer's process id (`.{name}.{pid}-{random}.tmp`), so `clean_stale_temps` can tell a dead
writer's leftover from a file another process is still writing.
"""

from __future__ import annotations

import contextlib
import os
import re
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import IO

_TEMP = re.compile(r"^\.(?P<target>.+)\.(?:(?P<pid>\d+)-[a-z0-9_]{8}|[a-z0-9_]{8})\.tmp$")
LEGACY_STALE_S = 3600.0
"""A temporary file of the old naming (no process id) is a leftover when it is this old and
names a target that is there or has an export's suffix."""
_EXPORT_SUFFIXES = (".apkg", ".txt", ".csv", ".json")


def atomic_write(
    path: Path,
    write: Callable[[IO[bytes]], None],
    mode: int | None = None,
    durable: bool = True,
) -> None:
    """Write `path` atomically through `write(fh)`; raises OSError (target untouched).
    `durable=False` (a cache, which its reader checks and rebuilds) skips the fsync: after a
    crash the file may be empty or old, never half written by a live process."""
    import tempfile

    fd, tmp_name = tempfile.mkstemp(
        prefix=f".{path.name}.{os.getpid()}-", suffix=".tmp", dir=path.parent
    )
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as fh:
            write(fh)
            fh.flush()
            if durable:
                os.fsync(fh.fileno())
        os.chmod(tmp, (0o666 & ~umask()) if mode is None else mode)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    if durable:
        fsync_folder(path.parent)


def atomic_write_bytes(
    path: Path, data: bytes, durable: bool = True, mode: int | None = None
) -> None:
    def write(fh: IO[bytes]) -> None:
        fh.write(data)

    atomic_write(path, write, mode=mode, durable=durable)


class Replaced:
    """The files `atomic_write_all` put in place, each with what it replaced, for a caller
    whose next step may fail (a database's write after a folder of decks): `undo` puts every
    target back as it was (a new one removed, an old one restored, the folders `made` for
    them removed when empty), `keep` lets the old versions go. Until one of them is called,
    each old version is kept beside its file under a temporary file's name (`atomic_write`'s),
    which the next clean of a killed process's files (`clean_stale_temps`) removes.

    `ready`, when set, is called with the record of the writes (`record`) once every new file
    is whole beside its target and before the first is renamed into place: the caller keeps
    it where a process killed outright (SIGKILL) can be undone from by the next run
    (`undo_record`; `import anki --to-yaml` keeps it in the database, whose commit drops it)."""

    def __init__(self) -> None:
        import secrets

        self.token = secrets.token_hex(8)  # names its record, and its temporary files
        self.files: list[tuple[Path, Path | None]] = []  # (target, its old version or None)
        self.made: list[Path] = []  # folders made for them, deepest first
        self.staged: list[tuple[Path, int, int]] = []  # each new file's temporary name, dev, ino
        # each target with the names of its new file and of its old version's second name,
        # fixed before anything is written (`plan`)
        self.planned: list[tuple[Path, Path, Path]] = []
        self.ready: Callable[[dict[str, object]], None] | None = None

    def plan(self, targets: Sequence[Path], made: Sequence[Path] = ()) -> None:
        """Fix the names of the files these writes will make beside each of `targets` (the
        new file's and the old version's, both temporary files' names of this process, told
        from any other's by this record's token) and the folders `made` for them (deepest
        first, not made yet), and hand the record of it to `ready` before any of them is
        made: a writer killed outright (SIGKILL) while it writes them, before the record of
        the writes themselves, leaves no folder or temporary file that the next run's
        `undo_record` does not remove."""
        self.made.extend(made)
        self.planned = [
            (
                path,
                path.parent / f".{path.name}.{os.getpid()}-{self.token[:8]}.tmp",
                path.parent / f".{path.name}.{os.getpid()}-{self.token[8:]}.tmp",
            )
            for path in targets
        ]
        if self.ready is not None:
            _live.add(self.token)
            self.ready(self.record())

    def record(self) -> dict[str, object]:
        """What `undo_record` needs to undo these writes in another process: each target,
        its old version, the new file's temporary name and identity (device, inode: a rename
        keeps them, so a target that is still the import's file is told from one put there
        later), the names planned for them (`plan`), the folders made, and the writer: its
        process id and its start (`process_start`: an id is reused, a start with it is not)."""
        return {
            "pid": os.getpid(),
            "started": process_start(os.getpid()),
            "token": self.token,
            "files": [
                [str(path), None if old is None else str(old), str(tmp), dev, ino]
                for (path, old), (tmp, dev, ino) in zip(self.files, self.staged, strict=True)
            ],
            "planned": [[str(p), str(new), str(old)] for p, new, old in self.planned],
            "made": [str(folder) for folder in self.made],
        }

    def keep(self) -> None:
        _live.discard(self.token)
        for _, old in self.files:
            if old is not None:
                with contextlib.suppress(OSError):
                    old.unlink()
        self.files.clear()
        self.made.clear()
        self.staged.clear()
        self.planned.clear()

    def undo(self) -> None:
        """Every target as it was, as far as the file system lets (best effort: an error here
        must not hide the one that made the caller undo)."""
        _live.discard(self.token)
        for path, old in reversed(self.files):
            with contextlib.suppress(OSError):
                if old is None:
                    path.unlink()
                else:
                    os.replace(old, path)
                    # not yet replaced: both names are one file, which rename leaves alone
                    old.unlink(missing_ok=True)
        for _, tmp, _ in self.planned:  # a new file not renamed yet (the writer removes them)
            with contextlib.suppress(OSError):
                if tmp.is_file() and not tmp.is_symlink():
                    tmp.unlink()
        _remove_empty(self.made)
        self.files.clear()
        self.made.clear()
        self.staged.clear()
        self.planned.clear()


_live: set[str] = set()  # the tokens of this process's `Replaced` records not kept or undone


def _remove_empty(folders: Sequence[Path]) -> None:
    for folder in folders:
        try:
            folder.rmdir()  # only if empty: what another program put there stays
        except OSError:
            break


def undo_record(record: object) -> bool:
    """Undo the writes a `Replaced.record` describes, whose writer was killed before its
    next step (a database's commit) was made: each old version put back, each target that is
    still the writer's new file removed (one another program put there since stays), the new
    files not yet renamed removed, the folders made for them removed when empty. A target
    whose old version is gone (cleaned meanwhile) keeps the new file: nothing of the learner's
    is removed for want of it. Undoing twice is undoing once (the writer may have undone
    them itself and failed to drop its record). False (nothing done) while the writer still
    runs (another process, or a `Replaced` of this one not yet kept or undone), or for a
    record that is not one; True when undone, as far as the file system lets."""
    if not isinstance(record, dict):
        return False
    pid, files, made = record.get("pid"), record.get("files"), record.get("made")
    if not isinstance(pid, int) or not isinstance(files, list) or not isinstance(made, list):
        return False
    started = record.get("started")
    if pid == os.getpid() and started in (None, process_start(pid)):
        if record.get("token") in _live:  # (else this process's, ended)
            return False
    elif writer_alive(pid, started if isinstance(started, int) else None):
        return False
    for entry in reversed(files):
        try:
            target, old, tmp, dev, ino = entry
            path, staged = Path(target), Path(tmp)
        except (TypeError, ValueError):
            continue
        with contextlib.suppress(OSError):
            if _is(staged, dev, ino):
                staged.unlink()  # never renamed into place
            if old is not None:
                if Path(old).exists():
                    os.replace(old, path)
                    Path(old).unlink(missing_ok=True)
            elif _is(path, dev, ino):
                path.unlink()
    # the files of a record of names only (killed before the writes' own record): the new
    # files, and the old versions' second names (no target was replaced yet); with the
    # writes' record, an old version not put back above is the learner's, and stays
    planned = record.get("planned")
    for entry in planned if isinstance(planned, list) else ():
        try:
            _, tmp, old = (Path(name) for name in entry)
        except (TypeError, ValueError):
            continue
        for name in (tmp,) if files else (tmp, old):
            with contextlib.suppress(OSError):
                if name.is_file() and not name.is_symlink():
                    name.unlink()
    _remove_empty([Path(str(folder)) for folder in made])
    return True


def _is(path: Path, dev: object, ino: object) -> bool:
    """Whether `path` is the file of device `dev` and inode `ino` (not a link to it)."""
    try:
        st = os.lstat(path)
    except OSError:
        return False
    return (st.st_dev, st.st_ino) == (dev, ino)


def _old_version(path: Path, name: Path | None = None) -> Path | None:
    """A second name for the file at `path` (a hard link, else a copy) beside it, under a
    temporary file's name (`name`, when given); None when there is no file there."""
    import secrets
    import shutil

    if not path.is_file():
        return None
    while True:
        old = name or path.parent / f".{path.name}.{os.getpid()}-{secrets.token_hex(4)}.tmp"
        try:
            os.link(path, old)
            return old
        except FileExistsError:
            if name is not None:  # the name in a record: no other
                raise
            continue
        except OSError:  # a file system without hard links
            shutil.copy2(path, old)
            return old


def atomic_write_all(
    files: Sequence[tuple[Path, bytes | Path]], replaced: Replaced | None = None
) -> None:
    """Write several files so that none of them changes unless all could be written (a
    folder of decks, say): each target gets its bytes, or a copy of the file named, in a
    temporary file beside it (as `atomic_write` names them), fsynced; only when every one is
    whole are they renamed into place, which needs no room on the disk. An error on the way
    (a full disk, Ctrl-C) removes the temporary files and leaves every target as it was.
    `replaced`: given, what was put in place is recorded there, for the caller to undo.
    Raises OSError."""
    import shutil
    import tempfile

    made: list[tuple[Path, Path]] = []
    if replaced is not None and not replaced.planned:
        replaced.plan([path for path, _ in files])
    names = {} if replaced is None else {p: (new, old) for p, new, old in replaced.planned}
    try:
        for path, content in files:
            if path in names:  # its name in the record already
                tmp_name = str(names[path][0])
                fd = os.open(tmp_name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            else:
                fd, tmp_name = tempfile.mkstemp(
                    prefix=f".{path.name}.{os.getpid()}-", suffix=".tmp", dir=path.parent
                )
            made.append((Path(tmp_name), path))
            with os.fdopen(fd, "wb") as fh:
                if isinstance(content, bytes):
                    fh.write(content)
                else:
                    with open(content, "rb") as source:
                        shutil.copyfileobj(source, fh)
                fh.flush()
                os.fsync(fh.fileno())
            os.chmod(tmp_name, 0o666 & ~umask())
        if replaced is not None:
            for tmp, path in made:
                replaced.files.append((path, _old_version(path, names.get(path, (None, None))[1])))
                st = os.lstat(tmp)
                replaced.staged.append((tmp, st.st_dev, st.st_ino))
            if replaced.ready is not None:
                _live.add(replaced.token)
                replaced.ready(replaced.record())  # kept before any target changes
        for tmp, path in made:
            os.replace(tmp, path)
    except BaseException:
        for tmp, _ in made:
            tmp.unlink(missing_ok=True)
        if replaced is not None:
            replaced.undo()
        raise
    for folder in dict.fromkeys(path.parent for _, path in made):
        fsync_folder(folder)


NOT_A_FILE = "not a regular file"
"""The message of the OSError `open_regular` raises for a FIFO, a device or a folder."""


def open_regular(path: Path, flags: int = os.O_RDONLY, mode: int = 0o644) -> int:
    """A descriptor of `path` opened with `flags`, which must be a regular file: an OSError
    for anything else. A FIFO of that name (`mkfifo backups/p-undone.jsonl`) is opened without
    waiting: a plain open waits for a writer (or a reader) for ever."""
    import errno
    import stat

    fd = os.open(path, flags | getattr(os, "O_NONBLOCK", 0), mode)
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise OSError(errno.EINVAL, NOT_A_FILE, str(path))
    except BaseException:
        os.close(fd)
        raise
    return fd


def read_regular(path: Path) -> bytes:
    """The bytes of regular file `path` (`open_regular`); OSError for anything else."""
    with open(open_regular(path), "rb") as fh:
        return fh.read()


def fsync_folder(folder: Path) -> None:
    """Make the names in `folder` durable (a file renamed into it, one made or removed): the
    file's own fsync keeps its bytes, not the rename, which a power cut could undo (an edit
    said to be saved found as it was before it). Nothing where a folder cannot be opened
    (Windows) or synced."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:  # pragma: no cover - e.g. Windows
        return
    try:
        os.fsync(fd)
    except OSError:  # pragma: no cover - a file system that cannot sync a folder
        pass
    finally:
        os.close(fd)


def write_cache_json(path: Path, data: object) -> None:
    """Write a cache file (JSON) atomically, without fsync, its body after a first line with
    the body's CRC-32, which `read_cache_json` checks: a cache is read back for years, and a
    bit flipped on the disk in a JSON string (a card's id or text, a formula's conversion)
    is still valid JSON, which would be shown, or synced, as if it were the deck's. Raises
    OSError."""
    import json
    import zlib

    body = json.dumps(data, ensure_ascii=False).encode("utf-8")
    atomic_write_bytes(path, b"%08x\n" % zlib.crc32(body) + body, durable=False)


def read_cache_json(path: Path) -> object:
    """The JSON value `write_cache_json` wrote to `path`. OSError when it cannot be read,
    ValueError when it is not whole (a checksum that does not match, a file cut short or of
    an older dlcards): the cache's user then rebuilds the entry."""
    import json
    import zlib

    raw = read_regular(path)  # a FIFO of its name is not waited on (every command hung)
    head, _, body = raw.partition(b"\n")
    if len(head) != 8 or b"%08x" % zlib.crc32(body) != head:
        raise ValueError(f"cache file {path} is damaged")
    return json.loads(body)


@contextmanager
def folder_lock(
    folder: Path,
    waiting: Callable[[], None] | None = None,
    block: bool = True,
    timeout: float | None = None,
) -> Iterator[None]:
    """Hold an exclusive advisory lock on `folder` (flock on the directory itself, so no lock
    file is left in the user's folder): processes that change a file in it take turns
    (`dlcards add` reading, appending and writing; `dlcards edit` for as long as its editor is
    open; a sync, on the deck cache's folder), and none loses another's change. The lock goes
    with the process, a killed one included. Where flock does not exist (Windows) the write
    goes ahead unlocked. `waiting` is called once when another process holds the lock (to say
    why nothing happens). With `block` False, a lock another process holds is not waited for:
    BlockingIOError is raised. With a `timeout`, it is waited for that many seconds at most
    (tried again every LOCK_POLL_S), then TimeoutError is raised."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not POSIX
        yield
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            if not block:
                raise
            if waiting is not None:
                waiting()
            if timeout is None:
                fcntl.flock(fd, fcntl.LOCK_EX)
            else:
                deadline = time.monotonic() + timeout
                while True:
                    time.sleep(LOCK_POLL_S)
                    try:
                        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                        break
                    except BlockingIOError:
                        if time.monotonic() >= deadline:
                            raise TimeoutError(f"{folder} stayed locked {timeout:g} s") from None
        yield
    finally:
        os.close(fd)  # closing the descriptor releases the lock


LOCK_POLL_S = 0.05
"""How often `folder_lock` with a timeout tries the lock again."""


def umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def pid_alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True  # someone else's process: assume it is alive
    return True


def process_start(pid: int) -> int | None:
    """When process `pid` started, in clock ticks since the system's boot (Linux's
    /proc/PID/stat): with its id, it names one process for good, where an id alone is given
    to another once its process ends. None where that cannot be read (no such process, no
    /proc)."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            stat = fh.read()
        # after the command's name, in brackets (which may hold anything): state is field 3,
        # the start field 22
        return int(stat[stat.rindex(b")") + 2 :].split()[19])
    except (OSError, ValueError, IndexError):
        return None


def _started_at(pid: int) -> float | None:
    """When process `pid` started, as a time of the clock (`process_start`, and the boot
    time of /proc/stat); None where that cannot be read."""
    ticks = process_start(pid)
    if ticks is None:
        return None
    try:
        with open("/proc/stat", "rb") as fh:
            boot = next(int(line.split()[1]) for line in fh if line.startswith(b"btime "))
        return boot + ticks / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError, StopIteration):
        return None


STARTED_SLACK_S = 2.0
"""How much later than a file's last change its writer's start may seem and still be its
writer's: the boot time /proc gives is in whole seconds."""


def writer_alive(pid: int, started: int | None = None, since: float | None = None) -> bool:
    """Whether the process that wrote something still runs: `pid` runs, and is the writer,
    not another process given its id since: `started` (`process_start`, recorded by the
    writer) is its start, or it started before `since` (the time what it wrote last changed:
    no process writes before it starts). Where a start cannot be read, a process of that id
    is taken for the writer."""
    if not pid_alive(pid):
        return False
    if started is not None:
        now = process_start(pid)
        return now is None or now == started
    if since is not None:
        at = _started_at(pid)
        return at is None or at <= since + STARTED_SLACK_S
    return True


def clean_stale_folders(prefix: str, keep: Callable[[Path], object] | None = None) -> None:
    """Remove this user's working folders `<prefix><pid>-...` in the temporary folder whose
    process no longer runs (a build or an unpacking killed before it could remove its own:
    hundreds of MB for a big collection): a process of that id started after the folder last
    changed is another (`writer_alive`). `keep`, given each such folder first, takes from it
    what is the learner's. Best effort: errors are ignored."""
    import shutil
    import tempfile

    uid = os.getuid() if hasattr(os, "getuid") else None  # POSIX: only this user's folders
    for entry in Path(tempfile.gettempdir()).glob(f"{prefix}*-*"):
        pid = entry.name[len(prefix) :].split("-", 1)[0]
        try:
            if (
                pid.isdigit()
                and int(pid) != os.getpid()
                and not entry.is_symlink()
                and entry.is_dir()
                and (uid is None or entry.stat().st_uid == uid)
                and not writer_alive(int(pid), since=entry.stat().st_ctime)
            ):
                if keep is not None:
                    keep(entry)
                shutil.rmtree(entry, ignore_errors=True)
        except OSError:
            continue


def clean_stale_temps(folder: Path, made_for: str | None = None) -> list[Path]:
    """Remove the temporary files `atomic_write` left in `folder` when its process was killed
    (its process id no longer runs, or runs a process started after the file last changed:
    `writer_alive`; an old-style name without one after LEGACY_STALE_S);
    with `made_for`, only those made for a file of that name. Returns what was removed; errors
    are ignored (cleaning is best effort)."""
    removed: list[Path] = []
    try:
        entries = list(folder.iterdir())
    except OSError:
        return removed
    now = time.time()
    for entry in entries:
        m = _TEMP.match(entry.name)
        if not m or (made_for is not None and m["target"] != made_for):
            continue
        try:
            if not entry.is_file() or entry.is_symlink():
                continue
            pid = m["pid"]
            if pid is not None and int(pid) != os.getpid():
                stale = not writer_alive(int(pid), since=entry.stat().st_ctime)
            elif pid is None:
                target = m["target"]
                stale = now - entry.stat().st_mtime > LEGACY_STALE_S and (
                    target.endswith(_EXPORT_SUFFIXES) or (folder / target).is_file()
                )
            else:
                stale = False
            if stale:
                entry.unlink()
                removed.append(entry)
        except OSError:
            continue
    return removed


def file_size_limit() -> int | None:
    """The limit in bytes on the size of a file this process writes (`ulimit -f`), or None
    when there is none: a write past it fails with EFBIG, which SQLite reports as a "disk I/O
    error"."""
    try:
        import resource
    except ImportError:  # pragma: no cover - Windows
        return None
    soft = resource.getrlimit(resource.RLIMIT_FSIZE)[0]
    return None if soft == resource.RLIM_INFINITY else int(soft)


def sqlite_write_failure(err: BaseException, where: str) -> str:
    """Why SQLite could not write a file in folder `where`, and what to do, in words: a full
    disk, the file size limit, or its own message."""
    text = str(err).lower()
    limit = file_size_limit()
    if "full" in text:
        return f"the disk holding {where} is full; free some space there"
    if "disk i/o" in text and limit is not None:
        return f"the file size limit (ulimit -f: {limit // 1024:,} KB) stops it growing; raise it"
    return str(err)
