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

Two flips leave no frame after the break to see, and are found by what a flip is: one bit.
A flipped bit in the log's 32-byte header makes SQLite ignore the whole log (its checksum
fails): the header as it was written is the one single-bit change that makes its checksum hold
(`written_header`), and the commits of the frames chained from it are dropped. A flipped bit in
the last commit frame drops that last transaction: its checksum fails, and one single-bit
change of the frame (`one_bit_off`) makes it hold. A power cut during a commit leaves
frames unwritten or half-written, which no single bit explains (the chance that one does is
that of a 32-bit checksum matching by accident): that transaction was never reported saved,
and is not called damage. Either way, pages the file holds already (a checkpoint copied them
before the flip) lose nothing, and are not called damage either.
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


VERSION = 3007000


def _header_holds(head: bytes) -> bool:
    """Whether a 32-byte log header is one SQLite would read: its magic, version and page
    size, and its checksum."""
    magic, version, page, _, _, _, c1, c2 = struct.unpack(">8I", head)
    if magic not in WAL_MAGIC or version != VERSION or page < 512 or page > 65536:
        return False
    if page & (page - 1):
        return False
    return _checksum(head[:24], (">" if magic & 1 else "<") + "%dI", 0, 0) == (c1, c2)


def written_header(head: bytes, first: bytes = b"") -> bytes | None:
    """The log's 32-byte header as SQLite wrote it: `head` when it holds, else the header a
    single flipped bit away from it that holds (a bit flipped on the disk: SQLite would ignore
    the whole log). A flip in a word's high bits can have several such headers (the checksum
    is a sum modulo 2**32): the one whose salts and checksum the log's first frame (`first`)
    continues is it. None when there is none, or no way to tell which."""
    if len(head) < HEADER:
        return None
    head = bytes(head[:HEADER])
    if _header_holds(head):
        return head
    found = []
    for bit in range(HEADER * 8):
        fixed = bytearray(head)
        fixed[bit // 8] ^= 1 << (bit % 8)
        if _header_holds(bytes(fixed)):
            found.append(bytes(fixed))
    if len(found) > 1 and len(first) > FRAME_HEADER:
        found = [h for h in found if _continues(h, first)] or found
    return found[0] if len(found) == 1 else None


def _continues(head: bytes, frame: bytes) -> bool:
    """Whether `frame` is the first of the log whose header is `head` (its salts, and its
    checksum chained from the header's)."""
    magic, _, _, _, salt1, salt2, c1, c2 = struct.unpack(">8I", head)
    _, _, f1, f2, k1, k2 = struct.unpack(">6I", frame[:FRAME_HEADER])
    words = (">" if magic & 1 else "<") + "%dI"
    s0, s1 = _checksum(frame[:8], words, c1, c2)
    return (f1, f2) == (salt1, salt2) and _checksum(frame[FRAME_HEADER:], words, s0, s1) == (
        k1,
        k2,
    )


def one_bit_off(frame: bytes, words: str, s0: int, s1: int, salts: tuple[int, int]) -> list[bytes]:
    """The frame (its 24-byte header and page) as it may have been written, when one flipped
    bit is what makes its checksum fail or its salts differ, its checksum chained from (s0,
    s1): every frame a single bit away whose checksum holds (a flip in a word's high bits may
    have several: the checksum is a sum modulo 2**32); none when no single bit explains
    it. The checksum is linear modulo 2**32 in the frame's words (each pair (x0, x1) makes
    s0 += x0 + s1 and s1 += x1 + s0), so the change a flipped word makes to the end of the
    chain is its change times a coefficient that depends only on where it is: every bit is
    tried at the cost of a multiplication."""
    head = frame[:FRAME_HEADER]
    _, _, f1, f2, k1, k2 = struct.unpack(">6I", head)
    covered = frame[:8] + frame[FRAME_HEADER:]
    c0, c1 = _checksum(covered, words, s0, s1)
    salt_bits = bin(f1 ^ salts[0]).count("1") + bin(f2 ^ salts[1]).count("1")
    if salt_bits:  # a flipped salt: the checksum (which does not cover them) must hold
        if salt_bits != 1 or (c0, c1) != (k1, k2):
            return []
        return [head[:8] + struct.pack(">2I", *salts) + frame[16:]]
    found_frames = []
    if bin(c0 ^ k1).count("1") + bin(c1 ^ k2).count("1") == 1:  # the stored checksum's bit
        found_frames.append(head[:16] + struct.pack(">2I", c0, c1) + frame[FRAME_HEADER:])
    d0, d1 = (k1 - c0) & MASK, (k2 - c1) & MASK
    values = struct.unpack(words % (len(covered) // 4), covered)
    pairs = len(values) // 2
    # a change (a0, a1) of the state after pair j reaches the end as M^(pairs-1-j) (a0, a1),
    # M = [[1, 1], [1, 2]]; a change of x0 in pair j changes that state by (d, d), of x1 by
    # (0, d): walk j from the last pair back, M's power growing
    m = (1, 0, 0, 1)  # M^0 as (m00, m01, m10, m11)
    found: list[tuple[int, int]] = []
    for j in range(pairs - 1, -1, -1):
        for half, (a0, a1) in ((0, (1, 1)), (1, (0, 1))):
            e0 = (m[0] * a0 + m[1] * a1) & MASK
            e1 = (m[2] * a0 + m[3] * a1) & MASK
            index = 2 * j + half
            value = values[index]
            for bit in range(32):
                change = ((value ^ (1 << bit)) - value) & MASK
                if (change * e0) & MASK == d0 and (change * e1) & MASK == d1:
                    found.append((index, bit))
        m = ((m[0] + m[2]) & MASK, (m[1] + m[3]) & MASK, (m[0] + 2 * m[2]) & MASK,
             (m[1] + 2 * m[3]) & MASK)  # fmt: skip
    for index, bit in found:
        fixed = list(values)
        fixed[index] ^= 1 << bit
        data = struct.pack(words % len(fixed), *fixed)
        found_frames.append(data[:8] + head[8:] + data[8:])
    return found_frames


def _number(frame: bytes) -> int:
    """A frame's page number."""
    return int.from_bytes(frame[:4], "big")


def _in_file(db: str, pages: dict[int, bytes]) -> bool:
    """Whether the database file holds each of `pages` (page number -> its copy) already: a
    checkpoint copied them before the log was damaged, and dropping them loses nothing."""
    try:
        with open(db, "rb") as fh:
            for number, data in pages.items():
                fh.seek((number - 1) * len(data))
                if fh.read(len(data)) != data:
                    return False
    except OSError:
        return False
    return True


def lost_commits(log: Where) -> tuple[int, int, int] | None:
    """(frame, frames, commits) when the log at `log` breaks at `frame` (counted from 1, of
    `frames` in the file; 0: its header) with `commits` transactions of its current generation
    that SQLite would drop: committed after the break, in the last commit frame when one
    flipped bit broke it, or every one in the log when one flipped bit broke its header; None
    when it is whole, or no log SQLite would replay (an empty, short or foreign file, a header
    no single bit explains), or when the file holds what would be dropped already."""
    path = os.fspath(log)
    db = path[: -len("-wal")] if path.endswith("-wal") else path
    try:
        with open(path, "rb") as fh:
            raw = fh.read(HEADER)
            page = int.from_bytes(raw[8:12], "big") if len(raw) == HEADER else 0
            first = fh.read(FRAME_HEADER + page) if 512 <= page <= 65536 else b""
            fh.seek(HEADER)
            head = written_header(raw, first)
            if head is None:
                return None
            magic, _, page, _, salt1, salt2, _, _ = struct.unpack(">8I", head)
            words = (">" if magic & 1 else "<") + "%dI"
            s0, s1 = _checksum(head[:24], words, 0, 0)
            frames = (os.fstat(fh.fileno()).st_size - HEADER) // (FRAME_HEADER + page)
            broken: int | None = None if head == raw else 0
            commits = 0
            pending: dict[int, bytes] = {}  # the pages of the transaction being read
            dropped: dict[int, bytes] = {}  # the committed pages SQLite would drop
            for number in range(1, frames + 1):
                frame = fh.read(FRAME_HEADER + page)
                if len(frame) < FRAME_HEADER + page:
                    break
                _, commit, f1, f2, k1, k2 = struct.unpack(">6I", frame[:FRAME_HEADER])
                ours = (f1, f2) == (salt1, salt2)
                if broken is None or broken == 0:
                    t0, t1 = s0, s1
                    if ours:
                        t0, t1 = _checksum(frame[:8], words, t0, t1)
                        t0, t1 = _checksum(frame[FRAME_HEADER:], words, t0, t1)
                    if ours and (t0, t1) == (k1, k2):
                        s0, s1 = t0, t1
                        pending[int.from_bytes(frame[:4], "big")] = frame[FRAME_HEADER:]
                        if commit:
                            if broken == 0:  # the header's: every commit is dropped
                                commits += 1
                                dropped.update(pending)
                            pending = {}
                        continue
                    if broken == 0:  # the log's end, as SQLite would have read it
                        break
                    # the end of the replay: an older generation's frames (the log's normal
                    # end), a damaged frame (its data, or its salts), or a torn last commit
                    broken = number
                    written = [
                        f
                        for f in one_bit_off(frame, words, s0, s1, (salt1, salt2))
                        if int.from_bytes(f[4:8], "big")
                    ]
                    if written:
                        # a commit frame one bit away: its transaction was saved, then damaged
                        commits += 1
                        dropped.update(pending)
                        held = [f for f in written if _in_file(db, {_number(f): f[FRAME_HEADER:]})]
                        fixed = (held or written)[0]
                        dropped[_number(fixed)] = fixed[FRAME_HEADER:]
                elif ours and commit:
                    commits += 1
                    dropped = {}  # not read after the break: not compared with the file
    except OSError:
        return None
    if broken is None or not commits:
        return None
    if dropped and _in_file(db, dropped):
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


INDEX_HEADER = 48
"""The `-shm`'s header (SQLite's WalIndexHdr, in the machine's byte order), written twice, the
copies equal once a writer has finished with it; the checkpoint's record follows them."""
_BACKFILL = 2 * INDEX_HEADER  # WalCkptInfo.nBackfill: the frames copied into the file
INDEX_READ = _BACKFILL + 4
"""The bytes of a `-shm` `index_state` reads."""


def index_state(index: bytes) -> tuple[int, int, int, bytes] | None:
    """From the start of a `-shm`: the log's frames (mxFrame), those copied into the file
    (nBackfill), the page size and the log's salts; None while a writer is changing it."""
    if len(index) < INDEX_READ or index[:INDEX_HEADER] != index[INDEX_HEADER:_BACKFILL]:
        return None
    if not index[12]:  # isInit: not made yet
        return None
    order = sys.byteorder
    page = int.from_bytes(index[14:16], order)
    frames = int.from_bytes(index[16:20], order)
    backfill = int.from_bytes(index[_BACKFILL : _BACKFILL + 4], order)
    return frames, backfill, 65536 if page == 1 else page, bytes(index[32:40])


def frames_bytes(state: tuple[int, int, int, bytes]) -> int:
    """How long a log holding the frames an `index_state` names is, at the least."""
    frames, _, page, _ = state
    return HEADER + frames * (FRAME_HEADER + page)


def log_cut(db: Where, index_fd: int) -> str | None:
    """What another program did to the log of a database this process has open, when the log
    no longer holds frames that its index (the `-shm`, which every connection shares) says
    it holds and that no checkpoint has copied into the file yet: it was emptied or cut short
    (`truncate -s 0`, an editor, a sync tool). SQLite does not notice: a connection goes on
    appending after the hole, its reads of the frames that were there come back as zeros,
    and the checkpoint at its close copies those zeros into the file (a torture run: 2 grades
    saved, the log emptied, a third grade "saved", and the file was no longer a database).
    None otherwise. The index is read before and after the log: a checkpoint by another
    process that restarts the log changes it, and the look is made again. `index_fd`: a
    descriptor of the `-shm` this process keeps open (closing one would drop the POSIX locks
    its connections hold on it); the log, which SQLite does not lock, is opened here."""
    base = os.fspath(db)
    for _ in range(5):
        try:
            before = os.pread(index_fd, INDEX_READ, 0)
            with open(f"{base}-wal", "rb") as fh:
                head = fh.read(HEADER)
                size = os.fstat(fh.fileno()).st_size
            after = os.pread(index_fd, INDEX_READ, 0)
        except OSError:
            return None  # no log or no index: not this check's (`Connection._keep_log`)
        state = index_state(before)
        if state is None or before != after:
            continue  # being written: looked at again
        frames, backfill, _, salts = state
        if frames <= backfill:
            return None  # every frame is in the file: the log may be empty
        need = frames_bytes(state)
        magic = int.from_bytes(head[:4], "big") if len(head) == HEADER else 0
        if size >= need and magic in WAL_MAGIC and head[16:24] == salts:
            return None
        name = f"{os.path.basename(base)}-wal"
        return (
            f"lost its last writes, not yet copied into the file: its write-ahead log {name} "
            f"was emptied or cut short by another program ({size:,} of {need:,} bytes)"
        )
    return None


def replayed(log: Where) -> tuple[int, bytes] | None:
    """(frames, salts) of the log at `log` as SQLite's recovery reads it: the frames up to the
    last commit of the chain of frames whose salts are the header's and whose checksums hold,
    and the header's salts; None when its header does not hold (no log SQLite would read)."""
    try:
        with open(os.fspath(log), "rb") as fh:
            head = fh.read(HEADER)
            if len(head) < HEADER or not _header_holds(head):
                return None
            magic, _, page, _, salt1, salt2, _, _ = struct.unpack(">8I", head)
            words = (">" if magic & 1 else "<") + "%dI"
            s0, s1 = _checksum(head[:24], words, 0, 0)
            end = number = 0
            while len(frame := fh.read(FRAME_HEADER + page)) == FRAME_HEADER + page:
                number += 1
                _, commit, f1, f2, k1, k2 = struct.unpack(">6I", frame[:FRAME_HEADER])
                if (f1, f2) != (salt1, salt2):
                    break
                t0, t1 = _checksum(frame[:8], words, s0, s1)
                t0, t1 = _checksum(frame[FRAME_HEADER:], words, t0, t1)
                if (t0, t1) != (k1, k2):
                    break
                s0, s1 = t0, t1
                if commit:
                    end = number
    except OSError:
        return None
    return end, head[16:24]


def cut_short(db: Where) -> tuple[int, int] | None:
    """(frames, committed) when the log of the database at `db` holds fewer committed frames
    that SQLite would replay (`frames`) than its index (the `-shm` a killed process left)
    says were committed (`committed`), and the file lacks the others (no checkpoint copied
    them): the log was cut short, emptied, deleted or overwritten at its end after the
    process that wrote it died (a copy taken while it was written, a damaged disk), which
    no checksum in the log shows (SQLite ends its replay at the last frame there is, or at
    the first one that fails its checksum, and drops the commits after it without a word: a
    torture run, a kill after 5 grades, the log's last frame cut off: 4 grades, `doctor`
    said nothing was wrong). The index is trusted only when it names this log (its salts)
    and a writer had finished with it (its two copies equal); a log with no header at all,
    emptied or deleted, lost every frame the index says is not in the file, unless the
    database file is newer than the index (made since, beside an index left by another).
    SQLite empties the index when the next process opens the database: asked only when none
    has it open."""
    try:
        with open(f"{os.fspath(db)}-shm", "rb") as fh:
            state = index_state(fh.read(INDEX_READ))
    except OSError:
        return None
    if state is None:
        return None
    committed, backfill, _, salts = state
    if committed <= backfill:
        return None  # every committed frame is in the file
    log = f"{os.fspath(db)}-wal"
    try:
        with open(log, "rb") as fh:
            head = fh.read(HEADER)
    except FileNotFoundError:
        head = b""
    except OSError:
        return None
    if len(head) < HEADER or int.from_bytes(head[:4], "big") not in WAL_MAGIC:
        # emptied, deleted or cut inside its header: nothing ties the index to this
        # database but time. A database made at the path since (the old one and its log
        # deleted, the index left) is newer than the index: its index is not this one
        try:
            if os.stat(os.fspath(db)).st_mtime_ns > os.stat(f"{os.fspath(db)}-shm").st_mtime_ns:
                return None
        except OSError:
            return None
        frames = 0
    elif head[16:24] != salts:
        return None  # another generation of the log than the index's: not this check's
    else:
        found = replayed(log)
        if found is None:
            return None  # a header that fails its checksum: `lost_commits`'s to tell
        frames = found[0]
    if frames >= committed or backfill >= committed:
        return None
    return frames, committed


def log_damage(db: Where) -> str | None:
    """What is wrong with the database's log, in words, when SQLite would drop transactions
    committed in it on opening the database; None otherwise (no log, a whole one, or one in
    use by another process)."""
    log = f"{os.fspath(db)}-wal"
    try:
        whole = os.stat(log).st_size > HEADER
    except FileNotFoundError:
        whole = False
    except OSError:
        return None
    if not whole and not os.path.exists(f"{os.fspath(db)}-shm"):
        return None  # no frame, and no index saying there were some
    if in_use(db):
        return None
    found = lost_commits(log) if whole else None
    name = os.path.basename(log)
    if found is None:
        cut = cut_short(db)
        if cut is None:
            return None
        frames, committed = cut
        return (
            f"its write-ahead log {name} lost committed writes after the program that wrote "
            f"it stopped (cut short, emptied, deleted or overwritten at its end): it holds "
            f"{frames:,} of the {committed:,} frames its index {name[:-4]}-shm says were "
            f"committed; the other {committed - frames:,} (saved grades among them) are not "
            "in it, and SQLite would open the database without them without a word"
        )
    broken, frames, commits = found
    if broken == 0:
        return (
            f"its write-ahead log {name} is damaged in its header: SQLite would ignore the "
            f"whole log and drop the {commits:,} writes committed in it (saved grades among "
            "them) without a word"
        )
    return (
        f"its write-ahead log {name} is damaged at frame {broken:,} of {frames:,}: "
        f"SQLite would drop the {commits:,} writes committed from there on (saved grades "
        "among them) without a word"
    )
