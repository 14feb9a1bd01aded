"""`dlcards.store.walcheck`: every single flipped bit of a log's committed part is seen (SQLite
would drop commits without a word), and what is no damage (a commit torn by a power cut, a log
whose pages the file holds already) is not called damage."""

from __future__ import annotations

import os
import shutil
import sqlite3
import struct
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dlcards.store.walcheck import lost_commits

PAGE = 1024


def _killed_after_four(folder: Path, checkpoint: bool, ends: tuple[str, ...]) -> Path:
    """A database and what a process killed after four commits left beside it (the files of
    `ends` copied while its connection is open: nothing was checkpointed, or everything with
    `checkpoint`, the log kept as it is); the copy's path."""
    src = folder / "src.db"
    conn = sqlite3.connect(src, isolation_level=None)
    conn.execute(f"PRAGMA page_size = {PAGE}")
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA wal_autocheckpoint = 0")
    conn.execute("CREATE TABLE t (x TEXT)")
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # the table in the file, the log empty
    for i in range(4):
        conn.execute("INSERT INTO t VALUES (?)", (f"grade {i} " * 20,))
    if checkpoint:
        conn.execute("PRAGMA wal_checkpoint(PASSIVE)")
    db = folder / "p.db"
    for end in ends:
        shutil.copyfile(f"{src}{end}", f"{db}{end}")
    conn.close()
    return db


def _log_left(folder: Path, checkpoint: bool = False) -> tuple[Path, bytes]:
    """The database a killed process left (`_killed_after_four`), without its log; its path
    and the log's bytes."""
    db = _killed_after_four(folder, checkpoint, ("", "-wal"))
    log = Path(f"{db}-wal")
    raw = log.read_bytes()
    log.unlink()
    return db, raw


@pytest.fixture(scope="module")
def left(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, bytes]]:
    yield _log_left(tmp_path_factory.mktemp("wal"))


def _frames(log: bytes) -> int:
    return (len(log) - 32) // (24 + PAGE)


def _with(db: Path, log: bytes) -> Path:
    wal = Path(f"{db}-wal")
    wal.write_bytes(log)
    return wal


def test_the_log_as_left_is_whole(left: tuple[Path, bytes]) -> None:
    db, log = left
    assert _frames(log) >= 4
    assert lost_commits(_with(db, log)) is None


@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_every_single_flipped_bit_is_seen(left: tuple[Path, bytes], data: st.DataObject) -> None:
    """Wherever one bit flips (the header, a frame's header, its page, the last commit
    frame), SQLite would drop at least one commit; it is found."""
    db, log = left
    last = len(log) - (24 + PAGE)  # the last frame: the last commit's
    where = data.draw(st.sampled_from(["header", "last frame", "anywhere"]), label="where")
    low, high = {"header": (0, 31), "last frame": (last, len(log) - 1)}.get(
        where, (0, len(log) - 1)
    )
    at = data.draw(st.integers(low, high), label="byte")
    bit = data.draw(st.integers(0, 7), label="bit")
    raw = bytearray(log)
    raw[at] ^= 1 << bit
    found = lost_commits(_with(db, bytes(raw)))
    assert found is not None, (at, bit)
    frame, frames, commits = found
    assert frames == _frames(log) and commits >= 1
    assert frame == (0 if at < 32 else (at - 32) // (24 + PAGE) + 1)


@pytest.mark.parametrize("torn", ["zeros", "garbage", "old frame", "cut"])
def test_a_last_commit_torn_by_a_power_cut_is_no_damage(
    left: tuple[Path, bytes], torn: str
) -> None:
    """The last transaction's frame half written (zeros, other bytes, what was there before,
    or the file cut inside it): never reported saved, and no single bit explains it."""
    db, log = left
    last = 32 + (_frames(log) - 1) * (24 + PAGE)
    half = last + 24 + PAGE // 2
    raw = bytearray(log)
    rest = len(raw) - half
    if torn == "zeros":
        raw[half:] = bytes(rest)
    elif torn == "garbage":
        raw[half:] = os.urandom(rest)
    elif torn == "old frame":  # the frame before's second half: an earlier write's bytes
        raw[half:] = raw[half - (24 + PAGE) : half - (24 + PAGE) + rest]
    else:
        del raw[half:]
    assert lost_commits(_with(db, bytes(raw))) is None


def test_a_flipped_header_whose_pages_the_file_holds_is_no_damage(tmp_path: Path) -> None:
    """A checkpoint copied the log into the file before its header was damaged: SQLite
    ignoring the log loses nothing."""
    db, log = _log_left(tmp_path, checkpoint=True)
    raw = bytearray(log)
    raw[17] ^= 0x04
    assert lost_commits(_with(db, bytes(raw))) is None
    held = bytearray(db.read_bytes())
    held[PAGE : 2 * PAGE] = bytes(PAGE)  # the file without them (the table's page): damage
    db.write_bytes(held)
    assert lost_commits(_with(db, bytes(raw))) == (0, _frames(log), 4)


def test_the_header_alone_with_two_flipped_bits_is_not_guessed(left: tuple[Path, bytes]) -> None:
    """Two bits off in the header: no single change explains it, and no header is guessed
    (the log is then no log SQLite would read, as before)."""
    db, log = left
    raw = bytearray(log)
    raw[17] ^= 0x04
    raw[21] ^= 0x40
    assert lost_commits(_with(db, bytes(raw))) is None
    assert struct.unpack(">I", raw[:4])[0] in (0x377F0682, 0x377F0683)


# --- a log cut short: its index says more was committed ---------------------------------------


def _left_with_index(folder: Path, checkpoint: bool = False) -> Path:
    """The database, its log and its index (-shm) as a process killed after four commits
    leaves them (`_killed_after_four`). The database's path."""
    return _killed_after_four(folder, checkpoint, ("", "-wal", "-shm"))


def _commits(log: bytes) -> list[int]:
    return [
        n
        for n in range(1, _frames(log) + 1)
        if struct.unpack(">I", log[32 + (n - 1) * (24 + PAGE) + 4 :][:4])[0]
    ]


@pytest.mark.parametrize("how", ["cut", "cut inside", "garbage", "zeros", "emptied", "deleted"])
def test_a_log_that_lost_its_last_commits_is_seen_through_its_index(
    tmp_path: Path, how: str
) -> None:
    """A log cut short, emptied, deleted or overwritten at its end after its writer died
    shows no bad checksum (`lost_commits` finds nothing: the frames are not there), but its
    index says they were committed: SQLite would drop them without a word."""
    from dlcards.store.walcheck import cut_short, log_damage

    db = _left_with_index(tmp_path)
    log = Path(f"{db}-wal")
    raw = bytearray(log.read_bytes())
    commits = _commits(bytes(raw))
    assert len(commits) == 4 and commits[-1] == _frames(bytes(raw))  # one a grade
    assert cut_short(db) is None and log_damage(db) is None  # as the writer left it
    last = 32 + commits[-2] * (24 + PAGE)  # the last commit's first frame
    if how == "cut":
        del raw[last:]
    elif how == "cut inside":
        del raw[last + 24 + PAGE // 2 :]
    elif how == "garbage":
        raw[last:] = os.urandom(len(raw) - last)
    elif how == "zeros":
        raw[last:] = bytes(len(raw) - last)
    elif how == "emptied":
        raw = bytearray()
    if how == "deleted":
        log.unlink()
    else:
        log.write_bytes(raw)
        assert lost_commits(log) is None  # no checksum fails: not that check's to see
    kept = 0 if how in ("emptied", "deleted") else commits[-2]
    assert cut_short(db) == (kept, commits[-1])
    said = log_damage(db)
    assert said is not None and f"it holds {kept} of the {commits[-1]} frames" in said


@pytest.mark.parametrize("how", ["whole", "garbage appended", "torn commit", "checkpointed"])
def test_a_log_that_holds_every_committed_frame_is_not_cut_short(tmp_path: Path, how: str) -> None:
    """What is no loss: the log as left, bytes after its last commit (an unfinished
    transaction's frames: never committed), and a log whose frames a checkpoint copied into
    the file before it was emptied."""
    from dlcards.store.walcheck import cut_short, log_damage

    db = _left_with_index(tmp_path, checkpoint=how == "checkpointed")
    log = Path(f"{db}-wal")
    raw = bytearray(log.read_bytes())
    if how == "garbage appended":
        raw += os.urandom(3 * (24 + PAGE) + 100)
    elif how == "torn commit":  # a transaction's frames half written after the last commit
        raw += raw[32 : 32 + 24 + PAGE // 2]
    elif how == "checkpointed":
        raw = bytearray()
    log.write_bytes(raw)
    assert cut_short(db) is None
    assert log_damage(db) is None


def test_an_index_of_another_generation_or_half_written_is_not_trusted(tmp_path: Path) -> None:
    """An index whose salts are not the log's (a log restarted since), or whose two header
    copies differ (a writer changing it), says nothing about this log."""
    from dlcards.store.walcheck import INDEX_HEADER, cut_short

    db = _left_with_index(tmp_path)
    log = Path(f"{db}-wal")
    raw = bytearray(log.read_bytes())
    del raw[32 + _commits(bytes(raw))[-2] * (24 + PAGE) :]
    log.write_bytes(raw)
    shm = Path(f"{db}-shm")
    index = bytearray(shm.read_bytes())
    assert cut_short(db) is not None
    other = bytearray(index)
    for at in (32, INDEX_HEADER + 32):  # both copies' first salt
        other[at] ^= 0xFF
    shm.write_bytes(other)
    assert cut_short(db) is None
    half = bytearray(index)
    half[16] ^= 0x01  # the first copy's frame count: a writer between its two copies
    shm.write_bytes(half)
    assert cut_short(db) is None
