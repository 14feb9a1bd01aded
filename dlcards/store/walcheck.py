"""A write-ahead log that SQLite would cut short without a word.

The grades a session commits stay in the database's `-wal` until a checkpoint copies them into
the file; a session killed (SIGKILL, a power cut) leaves them there, and the next process to
open the database replays the log. SQLite replays it frame by frame while each frame's running
checksum holds, and takes the first frame that fails as the log's end: a bit flipped in one
frame of the log drops that frame's transaction and every one committed after it, and the
next checkpoint makes the loss final, with `PRAGMA integrity_check` and `dlcards doctor`
finding nothing wrong (a torture run: 7 grades saved, a single bit flipped in the log, 0 to 5
of them left in a database said to be sound).

`lost_commits` reads the log as SQLite's recovery does (the format is SQLite's "WAL file
format"), and finds transactions committed after the break: frames of the log's current
generation (its salts) past a frame whose checksum fails, one of them a commit. (A power cut
during a commit can leave that one transaction torn the same way, its commit frame written
and an earlier frame not; it was never reported saved, and is taken for damage too: the
restore that `dlcards doctor` then points to loses nothing.)
The log is only read when no connection has the database open (`in_use`): a live log's
connections read their frames from its shared index, and SQLite replays it only when the
last one is gone.
"""

from __future__ import annotations

import os
import struct
import sys

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (the prompt's count)
if TYPE_CHECKING:
    from os import PathLike

    Where = str | PathLike[str]

WAL_MAGIC = (0x377F0682, 0x377F0683)  # checksums of little- or big-endian words
HEADER = 32
FRAME_HEADER = 24
DMS_BYTE = 128
"""The byte of the `-shm` file every open connection holds a read lock on, for as long as it
has the log open (the unix VFS's "dead-man switch", UNIX_SHM_DMS)."""
MASK = 0xFFFFFFFF


def _checksum(data: bytes, words: str, s0: int, s1: int) -> tuple[int, int]:
    """SQLite's WAL checksum of `data` (a multiple of 8 bytes) continued from (s0, s1)."""
    values = struct.unpack(words % (len(data) // 4), data)
    for x0, x1 in zip(values[::2], values[1::2], strict=True):
        s0 = (s0 + x0 + s1) & MASK
        s1 = (s1 + x1 + s0) & MASK
    return s0, s1


def lost_commits(log: Where) -> tuple[int, int, int] | None:
    """(frame, frames, commits) when the log at `log` breaks at `frame` (counted from 1, of
    `frames` in the file) with `commits` transactions of its current generation committed
    after the break; None when it is whole, or no log SQLite would replay (an
    empty, short or foreign file, a header that fails its checksum: SQLite ignores it)."""
    try:
        with open(log, "rb") as fh:
            head = fh.read(HEADER)
            if len(head) < HEADER:
                return None
            magic, _, page, _, salt1, salt2, c1, c2 = struct.unpack(">8I", head)
            if magic not in WAL_MAGIC or page < 512 or page > 65536 or page & (page - 1):
                return None
            words = (">" if magic & 1 else "<") + "%dI"
            s0, s1 = _checksum(head[:24], words, 0, 0)
            if (s0, s1) != (c1, c2):
                return None
            frames = (os.fstat(fh.fileno()).st_size - HEADER) // (FRAME_HEADER + page)
            broken: int | None = None
            commits = 0
            for number in range(1, frames + 1):
                frame = fh.read(FRAME_HEADER + page)
                if len(frame) < FRAME_HEADER + page:
                    break
                _, commit, f1, f2, k1, k2 = struct.unpack(">6I", frame[:FRAME_HEADER])
                ours = (f1, f2) == (salt1, salt2)
                if broken is None:
                    if ours:
                        s0, s1 = _checksum(frame[:8], words, s0, s1)
                        s0, s1 = _checksum(frame[FRAME_HEADER:], words, s0, s1)
                    if not ours or (s0, s1) != (k1, k2):
                        # the end of the replay: an older generation's frames (the log's
                        # normal end), or a damaged frame (its data, or its salts)
                        broken = number
                elif ours and commit:
                    commits += 1
    except OSError:
        return None
    if broken is None or not commits:
        return None
    return broken, frames, commits


def in_use(db: Where) -> bool:
    """Whether another process has the database at `db` open with its log (a read lock on
    the `-shm`'s DMS_BYTE), asked with F_GETLK, which takes no lock. Only to be asked by a
    process with no connection to it (closing the descriptor opened here would drop that
    connection's POSIX locks on the `-shm`). True where it cannot be told (another
    platform): the log is then not read."""
    if sys.platform.startswith("linux"):
        layout = "hhqqi"  # struct flock: l_type, l_whence, l_start, l_len, l_pid
    elif sys.platform == "darwin":
        layout = "qqihh"  # l_start, l_len, l_pid, l_type, l_whence
    else:
        return True
    import fcntl

    try:
        fd = os.open(f"{os.fspath(db)}-shm", os.O_RDONLY)
    except FileNotFoundError:
        return False
    except OSError:
        return True
    try:
        if layout == "hhqqi":
            probe = struct.pack(layout, fcntl.F_WRLCK, os.SEEK_SET, DMS_BYTE, 1, 0)
            got = struct.unpack(layout, fcntl.fcntl(fd, fcntl.F_GETLK, probe))[0]
        else:
            probe = struct.pack(layout, DMS_BYTE, 1, 0, fcntl.F_WRLCK, os.SEEK_SET)
            got = struct.unpack(layout, fcntl.fcntl(fd, fcntl.F_GETLK, probe))[3]
        return bool(got != fcntl.F_UNLCK)
    except OSError:
        return True
    finally:
        os.close(fd)


def log_damage(db: Where) -> str | None:
    """What is wrong with the database's log, in words, when SQLite would drop transactions
    committed in it on opening the database; None otherwise (no log, a whole one, or one in
    use by another process)."""
    log = f"{os.fspath(db)}-wal"
    try:
        if os.stat(log).st_size <= HEADER:
            return None
    except OSError:
        return None
    if in_use(db):
        return None
    found = lost_commits(log)
    if found is None:
        return None
    broken, frames, commits = found
    name = os.path.basename(log)
    return (
        f"its write-ahead log {name} is damaged at frame {broken:,} of {frames:,}: "
        f"SQLite would drop the {commits:,} writes committed after it (saved grades among "
        "them) without a word"
    )
