"""`dlcards.fileio`: an atomic write is durable, its rename included."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from dlcards import fileio


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="descriptors named in /proc")
@pytest.mark.parametrize("how", ["one", "all", "cache"])
def test_a_durable_atomic_write_syncs_its_folder_after_the_rename(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, how: str
) -> None:
    """The temporary file was fsynced and renamed over the target, but the folder was not:
    a power cut after the rename could bring back the file as it was before (a deck's edit,
    said to be saved, gone). The folder is synced after the rename now (not for a cache,
    which its reader checks and rebuilds)."""
    events: list[tuple[str, str]] = []
    real_fsync, real_replace = os.fsync, os.replace

    def fsync(fd: int) -> None:
        events.append(("fsync", os.readlink(f"/proc/self/fd/{fd}")))
        real_fsync(fd)

    def replace(src: str | Path, dst: str | Path) -> None:
        real_replace(src, dst)
        events.append(("replace", str(dst)))

    monkeypatch.setattr(os, "fsync", fsync)
    monkeypatch.setattr(os, "replace", replace)
    target = tmp_path / "deck.yaml"
    if how == "one":
        fileio.atomic_write_bytes(target, b"cards: []\n")
    elif how == "all":
        fileio.atomic_write_all([(target, b"cards: []\n")])
    else:
        fileio.write_cache_json(target, {"a": 1})
    assert target.exists()
    renamed = events.index(("replace", str(target)))
    synced_after = ("fsync", str(tmp_path)) in events[renamed + 1 :]
    assert synced_after == (how != "cache"), events


@pytest.mark.skipif(sys.platform == "win32", reason="folders cannot be opened")
def test_syncing_a_folder_that_is_gone_is_quiet(tmp_path: Path) -> None:
    fileio.fsync_folder(tmp_path / "gone")


@pytest.mark.parametrize("entry", ["index", "deck"])
def test_a_fifo_in_the_deck_cache_is_read_as_no_entry_not_waited_on(
    tmp_path: Path, entry: str
) -> None:
    """`mkfifo` in place of the deck cache's index or of a deck's entry (found after a FIFO
    named as a database's building file hung a first sync): every command that read the
    cache hung for ever, opening the FIFO for its writer. It is now a damaged entry: the
    decks are read again."""
    import subprocess

    decks = tmp_path / "decks"
    decks.mkdir()
    (decks / "d.yaml").write_text(
        "topic: t\ntitle: T\ncards:\n  - id: t-1\n    question: q\n    answer: a\n"
    )
    env = {
        **os.environ,
        "DLCARDS_DB": str(tmp_path / "p.db"),
        "DLCARDS_CACHE_DIR": str(tmp_path / "cache"),
        "DLCARDS_DECKS": str(decks),
    }

    def count() -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "dlcards", "due", "--count"],
            env=env, capture_output=True, text=True, timeout=60,
        )  # fmt: skip

    first = count()
    assert first.returncode == 0, first.stderr
    cache = tmp_path / "cache" / "decks"
    files = sorted(p for p in cache.glob("*.json") if p.name != "index.json")
    target = cache / "index.json" if entry == "index" else files[0]
    target.unlink()
    os.mkfifo(target)
    for end in ("", "-wal", "-shm"):  # a new database: every deck read again, by the cache
        Path(f"{tmp_path / 'p.db'}{end}").unlink(missing_ok=True)
    again = count()
    assert again.returncode == 0 and again.stdout == first.stdout, again.stderr


@pytest.mark.parametrize("links", [True, False], ids=["hard-link", "copy"])
def test_written_files_are_undone_or_kept_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, links: bool
) -> None:
    """`atomic_write_all` with a `Replaced` record (`import anki --to-yaml`, whose merge may
    fail after its decks): `undo` removes a file it added and puts back one it replaced,
    byte for byte; `keep` leaves the new files and drops the old versions kept beside them.
    On a file system without hard links the old version is a copy."""
    if not links:

        def no_link(*args: object, **kwargs: object) -> None:
            raise OSError(1, "Operation not permitted")

        monkeypatch.setattr(os, "link", no_link)
    folder = tmp_path / "decks"
    folder.mkdir()
    old, new = folder / "old.yaml", folder / "new.yaml"
    old.write_bytes(b"mine\n")
    for finish in ("undo", "keep"):
        replaced = fileio.Replaced()
        fileio.atomic_write_all([(old, b"theirs\n"), (new, b"added\n")], replaced)
        assert old.read_bytes() == b"theirs\n" and new.read_bytes() == b"added\n"
        getattr(replaced, finish)()
        if finish == "undo":
            assert old.read_bytes() == b"mine\n" and not new.exists()
        else:
            assert old.read_bytes() == b"theirs\n" and new.read_bytes() == b"added\n"
        assert sorted(p.name for p in folder.iterdir()) == sorted(
            ["old.yaml"] + (["new.yaml"] if finish == "keep" else [])
        )


def test_writes_stopped_before_their_renames_leave_no_file_and_a_record_undoes_once(
    tmp_path: Path,
) -> None:
    """`Replaced.ready` (where `import anki --to-yaml` commits its record) failing, as a locked
    database makes it: no target changed and nothing left beside them (the old version, a
    second name of the file not yet replaced, stayed: renaming one name of a file over
    another does nothing). And `undo_record` of writes already undone (by their writer, who
    could not drop the record) changes nothing: a file put there since stays."""
    folder = tmp_path / "decks"
    folder.mkdir()
    old, new = folder / "old.yaml", folder / "new.yaml"
    old.write_bytes(b"mine\n")

    calls: list[dict[str, object]] = []

    def locked(record: dict[str, object]) -> None:  # the writes' record (its names' was kept)
        calls.append(record)
        if len(calls) == 2:
            raise OSError(11, "database is locked")

    replaced = fileio.Replaced()
    replaced.ready = locked
    with pytest.raises(OSError):
        fileio.atomic_write_all([(old, b"theirs\n"), (new, b"added\n")], replaced)
    assert sorted(p.name for p in folder.iterdir()) == ["old.yaml"]
    assert old.read_bytes() == b"mine\n"
    records: list[dict[str, object]] = []
    replaced = fileio.Replaced()
    replaced.ready = records.append
    fileio.atomic_write_all([(old, b"theirs\n"), (new, b"added\n")], replaced)
    replaced.undo()
    new.write_bytes(b"made since\n")
    assert fileio.undo_record(records[-1])  # this process's, its writes undone: not running
    assert old.read_bytes() == b"mine\n" and new.read_bytes() == b"made since\n"
    assert sorted(p.name for p in folder.iterdir()) == ["new.yaml", "old.yaml"]


@pytest.fixture
def other_process() -> Iterator[int]:
    """The id of a process that runs, of another program than dlcards (as a process given the
    id of a killed dlcards is)."""
    import subprocess

    proc = subprocess.Popen(["sleep", "60"])
    try:
        yield proc.pid
    finally:
        proc.kill()
        proc.wait()


@pytest.mark.skipif(fileio.process_start(os.getpid()) is None, reason="no /proc")
def test_a_record_whose_writers_id_runs_another_program_is_undone(
    tmp_path: Path, other_process: int
) -> None:
    """Reported: a record of writes (`import anki --to-yaml`'s, killed outright) whose
    writer's process id had been given to another program since was taken for a writer still
    running, and waited for that program to end. The record holds its writer's start with its
    id now: another process of that id is not its writer. One whose start is the record's is
    (it still runs: nothing undone)."""
    folder = tmp_path / "decks"
    records: list[dict[str, object]] = []
    replaced = fileio.Replaced()
    replaced.ready = records.append
    replaced.plan([folder / "new.yaml"], [folder])
    folder.mkdir()
    fileio.atomic_write_all([(folder / "new.yaml", b"added\n")], replaced)
    fileio._live.discard(replaced.token)  # as if written by another process
    record = {**records[-1], "pid": other_process}
    assert fileio.undo_record({**record, "started": fileio.process_start(other_process)}) is False
    assert (folder / "new.yaml").exists()
    assert fileio.undo_record({**record, "started": fileio.process_start(other_process) + 1})
    assert not folder.exists()


@pytest.mark.skipif(fileio.process_start(os.getpid()) is None, reason="no /proc")
def test_a_temporary_file_older_than_the_process_of_its_id_is_a_leftover(
    tmp_path: Path, other_process: int
) -> None:
    """The same for the temporary files a killed writer left (`clean_stale_temps`) and the
    working folders (`clean_stale_folders`), whose names carry only a process id: a process
    of that id that started after the file last changed is not its writer (the leftover
    waited for it to end)."""
    import time

    assert fileio.writer_alive(other_process, since=time.time())
    assert not fileio.writer_alive(other_process, since=time.time() - 60)
    assert not fileio.writer_alive(2**22 + 12345)  # no such process
    # a file its writer (started before it) still writes stays
    left = tmp_path / f".deck.yaml.{other_process}-abcdefgh.tmp"
    left.write_bytes(b"half")
    assert fileio.clean_stale_temps(tmp_path) == [] and left.exists()


def test_a_planned_name_taken_already_fails_the_writes_and_changes_nothing(
    tmp_path: Path,
) -> None:
    """The names of a record's files are fixed before they are made (`Replaced.plan`): one
    found taken (by no process of dlcards: its token is random) fails the writes with
    FileExistsError, every target as it was, where the old version's name was tried again
    for ever."""
    folder = tmp_path / "decks"
    folder.mkdir()
    target = folder / "deck.yaml"
    target.write_bytes(b"mine\n")
    replaced = fileio.Replaced()
    replaced.plan([target])
    (_, _, old) = replaced.planned[0]
    old.write_bytes(b"someone's\n")
    import threading

    raised: list[BaseException] = []

    def write() -> None:
        try:
            fileio.atomic_write_all([(target, b"theirs\n")], replaced)
        except BaseException as err:
            raised.append(err)

    writer = threading.Thread(target=write, daemon=True)  # (a loop would never end)
    writer.start()
    writer.join(10)
    assert not writer.is_alive(), "the old version's name was tried again and again"
    assert [type(err) for err in raised] == [FileExistsError]
    assert target.read_bytes() == b"mine\n"
    assert sorted(p.name for p in folder.iterdir()) == sorted(["deck.yaml", old.name])
