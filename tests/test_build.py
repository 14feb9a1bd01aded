"""A new database built beside its path and put there whole (`dlcards.store.build`): in
process, then with real processes (SIGKILL at random points, two first syncs at once, a study
or a command that does not sync started while one builds, a full disk, a read-only folder)."""

from __future__ import annotations

import contextlib
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import helpers as h
import pytest

from dlcards.errors import StoreError
from dlcards.store import Store
from dlcards.store.build import building_prefix
from dlcards.store.connection import SIDE_FILES

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX flock and signals")


def _building(db: Path) -> list[Path]:
    """The building files (and their side files) beside `db`."""
    return sorted(p for p in db.parent.iterdir() if p.name.startswith(building_prefix(db)))


def _meta(db: Path, key: str) -> str | None:
    with contextlib.closing(sqlite3.connect(db)) as conn:
        row = conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
    return None if row is None else str(row[0])


# --- in process ---------------------------------------------------------------------------------


@pytest.mark.fresh_db
def test_the_database_is_built_beside_its_path_and_linked_there_whole(isolated: Path) -> None:
    db = isolated / "data" / "p.db"
    seen: dict[str, object] = {}

    def fill(store: Store) -> str:
        seen["at path"] = db.exists()
        seen["file"] = store.path
        seen["journal"] = store.conn.execute("PRAGMA journal_mode").fetchone()[0]
        seen["synchronous"] = store.conn.execute("PRAGMA synchronous").fetchone()[0]
        store.set_meta("filled", "yes")  # the first write: the day's check and backup
        return "value"

    assert Store.build(db, fill) == "value"
    assert seen["at path"] is False  # nothing at the path while it was filled
    file = seen["file"]
    assert isinstance(file, Path) and file.parent == db.parent and file != db
    assert file.name.startswith(f".{db.name}.")  # hidden, beside it
    assert seen["journal"] == "memory" and seen["synchronous"] == 0  # OFF
    assert _meta(db, "filled") == "yes"
    with contextlib.closing(sqlite3.connect(db)) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert _building(db) == [] and not file.exists()
    # the day's check and backup are the built database's first write's, at its path
    assert not (db.parent / "backups").exists()
    with Store.open(db) as store:  # a database like any other: opened and written
        store.set_meta("again", "1")
    assert [p.name.startswith(f"{db.stem}-") for p in (db.parent / "backups").iterdir()] == [True]
    assert Store.build(db, fill) is None  # a file is there: nothing built


@pytest.mark.fresh_db
def test_a_database_made_at_the_path_meanwhile_is_kept_and_the_build_dropped(
    isolated: Path,
) -> None:
    """Another program (a `dlcards stats`) made the database while this one built: the link
    fails and theirs stays as it is (a rename would have replaced it under them)."""
    db = isolated / "data" / "p.db"

    def fill(store: Store) -> str:
        store.set_meta("who", "builder")
        with Store.open(db) as theirs:
            theirs.set_meta("who", "theirs")
        return "built"

    assert Store.build(db, fill) is None
    assert _meta(db, "who") == "theirs"
    assert _building(db) == []


@pytest.mark.fresh_db
def test_no_build_where_the_file_system_makes_no_hard_links(
    isolated: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Its link would fail only after the whole sync, which would then be done again into a
    file made at the path: the build is not begun (`Connection.open` makes it as before)."""
    db = isolated / "data" / "p.db"
    filled: list[Store] = []

    def no_links(source: object, target: object) -> None:
        raise PermissionError(1, "Operation not permitted")

    monkeypatch.setattr(os, "link", no_links)
    assert Store.build(db, filled.append) is None
    assert filled == [] and not db.exists() and _building(db) == []


@pytest.mark.fresh_db
def test_a_failed_build_leaves_nothing_and_its_error_names_the_database(isolated: Path) -> None:
    db = isolated / "data" / "p.db"

    def fill(store: Store) -> str:
        store.set_meta("x", "1")
        raise StoreError(f"database {store.path} is broken")

    with pytest.raises(StoreError) as caught:
        Store.build(db, fill)
    assert str(caught.value) == f"database {db} is broken"
    assert not db.exists() and _building(db) == []
    assert list(db.parent.glob("backups/*")) == []  # no backup of a file that never was one


def test_a_first_sync_of_a_broken_deck_leaves_no_backup_to_warn_of_later(isolated: Path) -> None:
    """A first sync that stops on a broken deck makes no database, and no backup of the one it
    began to build: the next command (the deck still broken, or mended) does not say that a
    database was there before it and that its backups are in the folder."""
    from typer.testing import CliRunner

    from dlcards.cli import app

    db = isolated / "data" / "p.db"
    decks = isolated / "decks"
    decks.mkdir()
    (decks / "d.yaml").write_text("topic: t\ntitle: T\ncards:\n  - id: t-1\n    question: q\n")
    runner = CliRunner()
    for _ in range(2):
        broken = runner.invoke(app, ["due", "--db", str(db), "--decks", str(decks)])
        assert broken.exit_code == 2 and "d.yaml" in broken.output, broken.output
        assert "no database" not in broken.output, broken.output
        assert not db.exists() and list(db.parent.glob("backups/*")) == []
    (decks / "d.yaml").write_text(
        "topic: t\ntitle: T\ncards:\n  - id: t-1\n    question: q\n    answer: a\n"
    )
    mended = runner.invoke(app, ["due", "--db", str(db), "--decks", str(decks)])
    assert mended.exit_code == 0, mended.output
    assert "note:" not in mended.output and "backups" not in mended.output, mended.output


@pytest.mark.fresh_db
@pytest.mark.parametrize("when", ["before", "after"])
def test_a_building_file_deleted_as_it_is_put_in_place_makes_no_database(
    isolated: Path, monkeypatch: pytest.MonkeyPatch, when: str
) -> None:
    """Deleted after its last write, just before or after it is switched to WAL: the switch
    opened it by its name and SQLite made a new empty file there, which the link then put at
    the database's path. Now nothing is linked, and the error says why."""
    from dlcards.store import build as building

    db = isolated / "data" / "p.db"
    to_wal = building._to_wal

    def deleted(temp: Path) -> bool:
        if when == "before":
            temp.unlink()
        done = to_wal(temp)
        if when == "after":
            temp.unlink()
        return done

    monkeypatch.setattr(building, "_to_wal", deleted)
    with pytest.raises(StoreError, match="was deleted by another program; no database was made"):
        Store.build(db, lambda store: store.set_meta("x", "1"))
    assert not db.exists() and _building(db) == []


@pytest.mark.fresh_db
def test_a_killed_builds_file_is_removed_and_a_running_ones_left_alone(isolated: Path) -> None:
    """A building file no build holds (its builder was killed) is removed by the next build
    and never taken for the database; one a build holds is left to it."""
    import fcntl

    db = isolated / "data" / "p.db"
    stale = db.with_name(f"{building_prefix(db)}dead")
    with contextlib.closing(sqlite3.connect(stale)) as conn:  # half a database
        conn.execute("CREATE TABLE cards (id TEXT)")
        conn.execute("INSERT INTO cards VALUES ('stale')")
        conn.commit()
    Path(f"{stale}-journal").write_bytes(b"")
    held = db.with_name(f"{building_prefix(db)}held")
    held.write_bytes(b"")
    fd = os.open(held, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)  # a build under way (another open file: its own lock)
        assert Store.build(db, lambda store: store.set_meta("x", "1")) is None  # filled: None
        assert _building(db) == [held]
    finally:
        os.close(fd)
    with Store.open(db) as store:
        assert store.get_meta("x") == "1"
        assert store.conn.execute("SELECT count(*) FROM cards").fetchone() == (0,)


def test_a_second_name_a_build_killed_after_its_link_left_goes_at_the_next_days_write(
    isolated: Path,
) -> None:
    """Killed between the link and the removal of its own name, a build leaves a second, hidden
    name of the database, and no build runs again while the file is there: the day's first
    write removes it (and any other building file no build holds), not the database."""
    from datetime import date, timedelta

    db = isolated / "data" / "p.db"
    assert Store.build(db, lambda store: store.set_meta("x", "1")) is None
    second = db.with_name(f"{building_prefix(db)}0badf00d")
    os.link(db, second)
    day = date.today() + timedelta(days=1)
    with Store.open(db) as store:
        store.guard_writes(day)  # the day's check, before its first write
        store.set_meta("x", "2")
    assert _building(db) == []
    assert _meta(db, "x") == "2"


# --- real processes -----------------------------------------------------------------------------


def _decks(folder: Path, files: int = 3, cards: int = 1500) -> Path:
    decks = folder / "decks"
    decks.mkdir()
    for d in range(files):
        text = "".join(
            f"- id: b{d}-{i}\n  question: 'Question {d} {i}?'\n  answer: 'Answer {i}, {d}.'\n"
            for i in range(cards)
        )
        (decks / f"b{d}.yaml").write_text(f"topic: b{d}\ntitle: B {d}\ncards:\n{text}")
    return decks


def _env(folder: Path, decks: Path) -> dict[str, str]:
    return {
        **os.environ,
        "DLCARDS_DB": str(folder / "p.db"),
        "DLCARDS_CACHE_DIR": str(folder / "cache"),
        "DLCARDS_DECKS": str(decks),
        "NO_COLOR": "1",
    }


def _start(folder: Path, decks: Path, *args: str) -> subprocess.Popen[str]:
    return h.dlcards_process(*args, env=_env(folder, decks))


def _ids(db: Path) -> list[str]:
    with contextlib.closing(sqlite3.connect(db)) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        return [r[0] for r in conn.execute("SELECT id FROM cards ORDER BY id")]


def _until(what: Callable[[], bool], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not what():
        assert time.monotonic() < deadline
        time.sleep(0.005)


@contextlib.contextmanager
def _held_mid_build(folder: Path, decks: Path) -> Iterator[subprocess.Popen[str]]:
    """A first sync (`due`) of `folder`'s p.db stopped (SIGSTOP) once its build has begun, for
    the block; let go on (SIGCONT) after it, whatever happened in it."""
    db = folder / "p.db"
    builder = _start(folder, decks, "due")
    try:
        _until(lambda: builder.poll() is not None or _building(db) != [])
        assert builder.poll() is None, builder.communicate()
        os.kill(builder.pid, signal.SIGSTOP)  # held mid-build
        yield builder
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.kill(builder.pid, signal.SIGCONT)


def _at_the_turn(proc: subprocess.Popen[str], folder: Path) -> None:
    """Once `proc` waits for the sync's turn (the lock on the deck cache's folder)."""
    _until(lambda: proc.poll() is not None or h.has_open(proc.pid, folder / "cache" / "decks"))
    time.sleep(0.3)  # waiting there, not past it
    assert proc.poll() is None, proc.communicate()


@pytest.fixture(scope="module")
def synced_ids(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[str]]:
    """The decks, and the ids a first sync of them not interrupted puts in the database."""
    folder = tmp_path_factory.mktemp("reference")
    decks = _decks(folder)
    proc = _start(folder, decks, "due")
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err
    return decks, _ids(folder / "p.db")


@pytest.mark.waits
def test_a_first_sync_killed_anywhere_leaves_no_database_or_the_whole_one(
    tmp_path: Path, synced_ids: tuple[Path, list[str]]
) -> None:
    """SIGKILL at random points of first syncs: after each there is no file at the path, or
    the whole database (never the empty one the sync had begun to fill); building files left
    by the kills are never opened as the database, and the next sync removes them."""
    decks, ids = synced_ids
    db = tmp_path / "p.db"
    rng = random.Random(int.from_bytes(os.urandom(4), "big"))
    for n in range(8):
        before = set(_building(db))
        proc = _start(tmp_path, decks, "due")
        if n % 4:  # while it builds: once its own building file is there
            with contextlib.suppress(AssertionError):
                _until(lambda p=proc, b=before: p.poll() is not None or set(_building(db)) > b)
            time.sleep(rng.uniform(0, 0.4))
        else:
            time.sleep(rng.uniform(0, 1.0))
        proc.kill()
        proc.communicate(timeout=30)
        if db.exists():
            assert _ids(db) == ids  # whole
            db.unlink()  # and a first sync again, over the files the kill left
            for side in ("-wal", "-shm"):
                Path(f"{db}{side}").unlink(missing_ok=True)
    stale = _building(db)
    done = _start(tmp_path, decks, "due").communicate(timeout=120)
    assert "Traceback" not in done[1] and done[0].startswith("topic"), done
    assert _ids(db) == ids
    assert _building(db) == [], stale  # the files the kills left: removed, none opened


@pytest.mark.waits
def test_two_first_syncs_at_once_build_one_database(
    tmp_path: Path, synced_ids: tuple[Path, list[str]]
) -> None:
    """Started together, and once more with the second started while the first is held
    mid-build: the second waits for its turn, makes nothing meanwhile, then finds the decks
    synced in the built database."""
    decks, ids = synced_ids
    db = tmp_path / "p.db"
    procs = [_start(tmp_path, decks, "due") for _ in range(2)]
    outs = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outs
    assert outs[0][0] == outs[1][0] and outs[0][0].startswith("topic")
    assert _ids(db) == ids and _building(db) == []
    for side in ("", "-wal", "-shm"):
        Path(f"{db}{side}").unlink(missing_ok=True)
    first = _start(tmp_path, decks, "due")
    try:
        _until(lambda: first.poll() is not None or _building(db) != [])
        assert first.poll() is None, first.communicate()
        os.kill(first.pid, signal.SIGSTOP)  # held mid-build
        second = _start(tmp_path, decks, "due")
        _at_the_turn(second, tmp_path)
        assert not db.exists()
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.kill(first.pid, signal.SIGCONT)
    outs = [p.communicate(timeout=120) for p in (first, second)]
    assert [first.returncode, second.returncode] == [0, 0], outs
    assert outs[0][0] == outs[1][0] and outs[0][0].startswith("topic")
    assert _ids(db) == ids and _building(db) == []


@pytest.mark.waits
def test_a_study_started_while_a_first_sync_builds_waits_and_then_studies_its_database(
    tmp_path: Path, synced_ids: tuple[Path, list[str]]
) -> None:
    """The study makes no database of its own while the first sync builds (which would make
    that one's link fail and its work be done again): it waits for its turn, then opens the
    built database, finds the decks synced and studies."""
    decks, ids = synced_ids
    db = tmp_path / "p.db"
    with _held_mid_build(tmp_path, decks) as builder:
        study = _start(tmp_path, decks, "study", "--today", "2026-11-26", "--new", "1")
        _at_the_turn(study, tmp_path)
        assert not db.exists()
    out, err = builder.communicate(timeout=120)
    assert builder.returncode == 0, err
    out, err = study.communicate("\n5\nq\n", timeout=120)
    assert study.returncode == 0 and "1 grade saved" in out, (out, err)
    assert _ids(db) == ids
    with contextlib.closing(sqlite3.connect(db)) as conn:
        assert conn.execute("SELECT count(*) FROM reviews").fetchone() == (1,)
    assert _building(db) == []


@pytest.mark.waits
def test_a_command_that_does_not_sync_waits_for_the_build_and_writes_into_it(
    tmp_path: Path, synced_ids: tuple[Path, list[str]]
) -> None:
    """`dlcards config` (which does not sync) run while a first sync builds waits for the
    sync's turn, then writes into the database the build put at the path. It made an empty
    database there at once before: the build's link failed and the first sync was done again
    into that file (100,000 cards: 3.3 -> 7.8 s)."""
    decks, ids = synced_ids
    db = tmp_path / "p.db"
    with _held_mid_build(tmp_path, decks) as builder:
        # the file itself, not a side file SQLite may have beside it at that moment
        (building,) = [p for p in _building(db) if not p.name.endswith(SIDE_FILES)]
        built = building.stat().st_ino
        config = _start(tmp_path, decks, "config", "new_per_day", "7")
        _at_the_turn(config, tmp_path)
        assert not db.exists()
    out, err = builder.communicate(timeout=120)
    assert builder.returncode == 0 and "Traceback" not in err, err
    assert out.startswith("topic")
    said, err = config.communicate(timeout=60)
    assert config.returncode == 0, err
    assert db.stat().st_ino == built  # the built file, linked: not a second sync
    assert _ids(db) == ids and _building(db) == []
    assert _meta(db, "new_per_day") == "7"


def test_a_building_file_deleted_under_its_build_says_so_and_keeps_nothing(
    tmp_path: Path, synced_ids: tuple[Path, list[str]]
) -> None:
    """The hidden file a first sync builds in, deleted by another program while it builds: one
    line that says so and to run the command again, exit 2, no database, and nothing in
    backups/. It said the database "was deleted while this dlcards had it open", kept a copy
    of the file in backups/ and sent the learner to doctor, which found no database."""
    decks, ids = synced_ids
    db = tmp_path / "p.db"

    def written() -> bool:  # the build under way: its file holds some of the cards
        return any(p.stat().st_size > 200_000 for p in _building(db) if p.exists())

    builder = _start(tmp_path, decks, "due")
    _until(lambda: builder.poll() is not None or written())
    for made in _building(db):
        made.unlink()
    out, err = builder.communicate(timeout=120)
    assert builder.returncode == 2 and "Traceback" not in err, (out[:200], err)
    (line,) = err.strip().splitlines()
    assert line.startswith(f"error: the file dlcards was making database {db} in was deleted")
    assert line.endswith("no database was made: run the command again"), line
    assert not db.exists() and _building(db) == []
    assert list((tmp_path / "backups").glob("*")) == []
    again = _start(tmp_path, decks, "due")
    assert again.communicate(timeout=120)[0].startswith("topic") and _ids(db) == ids


@pytest.mark.waits
def test_a_first_sync_on_a_full_disk_says_so_and_leaves_no_database(tmp_path: Path) -> None:
    """The build fails on the full disk: one line naming the database, no traceback, and no
    file at its path or beside it (an empty database, its -wal and -shm were left before)."""
    with h.small_disk(tmp_path / "mnt", "400k") as mnt:
        env = {**_env(tmp_path, tmp_path / "none"), "DLCARDS_DB": str(mnt / "p.db")}
        del env["DLCARDS_DECKS"]  # the built-in decks: more than the disk holds
        done = subprocess.run(
            [sys.executable, "-m", "dlcards", "due"], env=env, capture_output=True, text=True
        )
        assert done.returncode == 2 and "Traceback" not in done.stderr
        assert done.stderr.splitlines()[-1].startswith(
            f"error: the disk is full: cannot use database {mnt / 'p.db'};"
        ), done.stderr
        assert sorted(p.name for p in mnt.iterdir()) == []


@pytest.mark.waits
def test_a_first_sync_in_a_read_only_folder_says_so_and_makes_nothing(tmp_path: Path) -> None:
    with h.small_disk(tmp_path / "mnt", "1m") as mnt:
        subprocess.run(["mount", "-o", "remount,ro", str(mnt)], check=True)
        env = {**_env(tmp_path, tmp_path / "none"), "DLCARDS_DB": str(mnt / "p.db")}
        del env["DLCARDS_DECKS"]
        done = subprocess.run(
            [sys.executable, "-m", "dlcards", "due"], env=env, capture_output=True, text=True
        )
        assert done.returncode == 2 and done.stderr == (
            f"error: cannot create database in {mnt}: it is on a read-only file system\n"
        )
        assert list(mnt.iterdir()) == []


def test_a_fifo_named_as_a_building_file_is_left_alone_and_waits_for_nothing(
    tmp_path: Path,
) -> None:
    """`mkfifo .p.db.building-deadbeef` beside a new database: `dlcards due` hung for ever,
    its look for killed builds' files opening the FIFO (an open that waits for a writer), at
    the build and again at the built database's first write. Only regular files are a
    build's: the FIFO is not opened, and stays."""
    fifo = tmp_path / f"{building_prefix(tmp_path / 'p.db')}deadbeef"
    os.mkfifo(fifo)
    done = subprocess.run(
        [sys.executable, "-m", "dlcards", "due", "--count"],
        env=_env(tmp_path, _decks(tmp_path, 2, 3)),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0 and done.stdout.strip().isdigit(), done.stderr
    assert (tmp_path / "p.db").is_file()
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == [fifo.name]


def test_the_backup_a_killed_restore_was_unpacking_goes_at_the_next_days_write(
    isolated: Path,
) -> None:
    """`dlcards doctor --restore` killed while it unpacked the backup beside the database
    (a torture run: 30,000 cards, SIGKILL at 1 s) left `.p.db.PID-RANDOM.tmp`, as big as the
    database, which no command but the next restore removed. The day's first write removes
    it, and only a file made for the database's own name by a process that is gone."""
    from datetime import date, timedelta

    db = isolated / "data" / "p.db"
    with Store.open(db) as store:
        store.set_meta("x", "1")
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)  # fmt: skip
    pid = int(gone.stdout)
    stale = db.with_name(f".{db.name}.{pid}-abcd1234.tmp")
    stale.write_bytes(b"x" * 4096)
    other = db.with_name(f".notes.txt.{pid}-abcd1234.tmp")  # not the database's
    other.write_bytes(b"y")
    mine = db.with_name(f".{db.name}.{os.getpid()}-abcd1234.tmp")  # a live process's
    mine.write_bytes(b"z")
    with Store.open(db) as store:
        store.guard_writes(date.today() + timedelta(days=1))  # the day's check
        store.set_meta("x", "2")
    assert not stale.exists() and other.exists() and mine.exists()
    assert _meta(db, "x") == "2"
