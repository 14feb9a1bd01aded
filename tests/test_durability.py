"""Real processes: SIGKILL after k grades keeps exactly k reviews; two terminals at once."""

from __future__ import annotations

import contextlib
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import helpers as h
import pytest

pytestmark = [
    pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals"),
    pytest.mark.waits,
]


def spawn(
    tmp_path: Path, *args: str, preexec_fn: Callable[[], object] | None = None
) -> subprocess.Popen[str]:
    env = {
        **os.environ,
        "DLCARDS_DB": str(tmp_path / "p.db"),
        "DLCARDS_CACHE_DIR": str(tmp_path / "cache"),
        "NO_COLOR": "1",
    }
    return h.dlcards_process(
        "study", "--today", "2026-11-26", *args, env=env, preexec_fn=preexec_fn
    )


def ended(proc: subprocess.Popen[str], how: str) -> str:
    """End a `spawn`ed session: `q` typed ("quit") or SIGKILL (anything else); returns what it
    wrote to standard error."""
    assert proc.stdin is not None
    if how == "quit":
        proc.stdin.write("q\n")
        proc.stdin.flush()
    else:
        proc.send_signal(signal.SIGKILL)
    return proc.communicate(timeout=30)[1]


def graded(proc: subprocess.Popen[str], grade: int | str) -> None:
    """Reveal the card on screen in a `spawn`ed session and give it `grade`; returns once the
    session says it is saved (the session must still be running)."""
    assert proc.stdin is not None and proc.stdout is not None
    proc.stdin.write(f"\n{grade}\n")
    proc.stdin.flush()
    while "saved:" not in proc.stdout.readline():
        assert proc.poll() is None


def count_reviews(db: Path) -> int:
    if not db.exists():
        return 0
    conn = sqlite3.connect(db, timeout=5)
    try:
        return int(conn.execute("SELECT count(*) FROM reviews").fetchone()[0])
    except sqlite3.OperationalError:
        return 0
    finally:
        conn.close()


def wait_for(db: Path, n: int, timeout: float = 20.0, *procs: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + timeout
    while count_reviews(db) < n:
        if time.monotonic() > deadline or any(p.poll() is not None for p in procs):
            for p in procs:
                if p.poll() is None:
                    p.kill()
            errors = " | ".join((p.communicate()[1] or "").strip()[-500:] for p in procs)
            raise AssertionError(f"only {count_reviews(db)} of {n} reviews: {errors}")
        time.sleep(0.02)


@pytest.mark.parametrize("k", [1, 4])
def test_sigkill_keeps_exactly_the_grades_given(tmp_path: Path, k: int) -> None:
    proc = spawn(tmp_path)
    assert proc.stdin is not None
    db = tmp_path / "p.db"
    for i in range(k):
        proc.stdin.write("\n" + "54"[i % 2] + "\n")
        proc.stdin.flush()
        wait_for(db, i + 1)
    # reveal the next card but do not grade it, then kill -9 mid-card
    proc.stdin.write("\n")
    proc.stdin.flush()
    time.sleep(0.2)
    proc.send_signal(signal.SIGKILL)
    proc.communicate(timeout=10)
    assert proc.returncode == -signal.SIGKILL
    conn = sqlite3.connect(db)
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert conn.execute("SELECT count(*) FROM reviews").fetchone()[0] == k
    reviewed = conn.execute("SELECT count(*) FROM sm2 WHERE last_review IS NOT NULL").fetchone()[0]
    assert reviewed == k  # every logged grade has its state, and no state lacks its log row
    conn.close()


def _dlcards_in(folder: Path) -> Callable[..., subprocess.CompletedProcess[str]]:
    """`dlcards ARGS` in a fresh interpreter, its database and cache in `folder`."""
    env = {
        **os.environ,
        "DLCARDS_DB": str(folder / "p.db"),
        "DLCARDS_CACHE_DIR": str(folder / "cache"),
        "NO_COLOR": "1",
    }

    def dlcards(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "dlcards", *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )

    return dlcards


def _checked(db: Path, cache: Path, **env: str) -> subprocess.CompletedProcess[str]:
    """`dlcards doctor --check` of `db` (its deck cache `cache`): what a test asks of the file
    once every process it started has ended. Run in this process (CliRunner, as the suite runs
    most commands), not in a fresh interpreter: the check is not what such a test is about, it
    reads the same file the same way, and it takes ~10 ms of CPU here where a new process took
    ~140 (its imports: 62 checks in this file, ~8 CPU s)."""
    from typer.testing import CliRunner

    from dlcards.cli import app

    done = CliRunner().invoke(
        app, ["doctor", "--check"],
        env={"DLCARDS_DB": str(db), "DLCARDS_CACHE_DIR": str(cache), "NO_COLOR": "1", **env},
    )  # fmt: skip
    said = done.stdout, done.stderr
    return subprocess.CompletedProcess(["dlcards", "doctor", "--check"], done.exit_code, *said)


@pytest.fixture(scope="module")
def killed_session(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder as a study session killed (SIGKILL) after 5 grades leaves it, made once per
    test process: the database with its grades still in the -wal, the backup made before the
    session, and the deck cache. Each test works on a copy."""
    folder = tmp_path_factory.mktemp("killed")
    assert _dlcards_in(folder)("backup").returncode == 0
    proc = spawn(folder)
    assert proc.stdin is not None and proc.stdout is not None
    for grade in "45345":
        graded(proc, grade)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)
    proc.stdout.close()
    assert proc.stdin is not None and proc.stderr is not None
    proc.stdin.close()
    proc.stderr.close()
    return folder


@pytest.mark.parametrize(
    "where", ["page", "salt", "header", "header checksum", "last page", "last checksum"]
)
def test_a_bit_flipped_in_the_log_a_killed_session_left_loses_no_grade(
    tmp_path: Path, killed_session: Path, where: str
) -> None:
    """A session killed (SIGKILL) leaves its grades in the -wal. Torture run: one bit flipped
    in an early frame of that log, and the next command's SQLite replayed it up to that frame
    and dropped every grade committed after it (7 saved, 0 to 5 left; a bit of a frame's salt
    drops them all too), `doctor` finding nothing wrong. A bit flipped in the log's header
    (SQLite ignores the whole log) or in its last commit frame (SQLite drops the last grade)
    was not seen at all: no frame after the break tells damage from a log's end; that one
    flipped bit explains it does now. Every command refuses the file in one line before
    SQLite opens it (nothing written, nothing replayed), `doctor` says to restore the backup,
    and the restore salvages every grade from the log, past the damaged frame."""
    import shutil
    import struct

    folder = tmp_path / "f"
    shutil.copytree(killed_session, folder)  # the files as the killed session left them
    dlcards = _dlcards_in(folder)
    db = folder / "p.db"
    log = Path(f"{db}-wal")
    from dlcards.store.walcheck import log_damage

    assert log_damage(db) is None  # the log as the killed session left it is whole
    raw = bytearray(log.read_bytes())
    page = struct.unpack(">I", raw[8:12])[0]
    # one bit, in the first frame's page, or in its header's first salt (SQLite takes the
    # frame for one of an older generation: the log's end); in the log's header (its salt,
    # or its checksum), or in the last frame (the last grade's commit: its page, or its
    # checksum)
    last = 32 + ((len(raw) - 32) // (24 + page) - 1) * (24 + page)
    assert struct.unpack(">I", raw[last + 4 : last + 8])[0]  # a commit frame
    at = {
        "page": 32 + 24 + page // 2,
        "salt": 32 + 9,
        "header": 17,
        "header checksum": 30,
        "last page": last + 24 + page // 3,
        "last checksum": last + 21,
    }[where]
    raw[at] ^= 0x10
    log.write_bytes(raw)
    for args in (["due"], ["due", "--count"], ["stats"], ["export", "reviews"], ["show", "gd-1"]):
        refused = dlcards(*args)
        assert refused.returncode == 2, (args, refused.stdout)
        assert refused.stderr.count("\n") == 1 and "write-ahead log p.db-wal is damaged" in (
            refused.stderr
        ), args
    # the commands that read the decks before the store, asking first whether a killed
    # import's deck files are pending (`pending_files_at`, sqlite3 alone): that look replayed
    # the log up to the damage, and its close, the last, checkpointed that much and deleted
    # the log (topics, show, list, check, suspend, reset, the exports: the 5 grades gone)
    assert dlcards("topics").returncode == 0
    assert log.read_bytes() == raw  # not replayed, not cut short
    said = dlcards("doctor")
    assert said.returncode == 1 and "dlcards doctor --restore" in said.stdout
    (backup,) = (folder / "backups").glob("p-manual-*.db.gz")
    restored = dlcards("doctor", "--restore", str(backup))
    assert restored.returncode == 0, restored.stderr
    assert "salvaged 5 grades" in restored.stdout
    assert count_reviews(db) == 5
    assert _checked(folder / "p.db", folder / "cache").returncode == 0


@pytest.mark.parametrize(
    "how", ["last frame cut", "cut inside a frame", "last frames overwritten", "emptied", "deleted"]
)
def test_a_log_cut_short_after_a_killed_session_is_refused_and_what_it_holds_is_salvaged(
    tmp_path: Path, killed_session: Path, how: str
) -> None:
    """A session killed (SIGKILL) after 5 grades leaves them in the -wal, and its index (the
    -shm) says how many frames were committed. Torture run: the log's last frame cut off
    (a copy taken while it was written, a damaged disk) or overwritten, and the next
    command's SQLite replayed the log up to its last whole commit and dropped the last grade
    without a word; `doctor` said nothing was wrong (no checksum fails: the frames are not
    there). Every command now refuses the file in one line, saying how many committed frames
    the log lacks; `doctor` says what can be salvaged, and the restore puts back every grade
    the log still holds (none when it was emptied or deleted)."""
    import random
    import shutil
    import struct

    folder = tmp_path / "f"
    shutil.copytree(killed_session, folder)
    dlcards = _dlcards_in(folder)
    db = folder / "p.db"
    log = Path(f"{db}-wal")
    assert Path(f"{db}-shm").exists()  # as the killed session left it
    raw = bytearray(log.read_bytes())
    size = 24 + struct.unpack(">I", raw[8:12])[0]
    frames = (len(raw) - 32) // size
    commits = [
        n
        for n in range(1, frames + 1)
        if struct.unpack(">I", raw[32 + (n - 1) * size + 4 :][:4])[0]
    ]
    assert commits[-1] == frames  # the last frame: the last grade's commit
    if how == "last frame cut":
        del raw[32 + (frames - 1) * size :]
    elif how == "cut inside a frame":
        del raw[32 + (frames - 1) * size + size // 2 :]
    elif how == "last frames overwritten":  # by other bytes: no salt or checksum holds
        start = 32 + commits[-2] * size
        raw[start:] = random.Random(1).randbytes(len(raw) - start)
    elif how == "emptied":
        raw = bytearray()
    if how == "deleted":
        log.unlink()
    else:
        log.write_bytes(raw)
    kept = 0 if how in ("emptied", "deleted") else 4  # the grades the log still holds
    lost = frames - (commits[-2] if kept else 0)
    for args in (["due"], ["due", "--count"], ["stats"], ["export", "reviews"]):
        refused = dlcards(*args)
        assert refused.returncode == 2, (args, refused.stdout)
        assert refused.stderr.count("\n") == 1, (args, refused.stderr)
        assert f"the other {lost} (saved grades among them) are not in it" in refused.stderr, (
            args,
            refused.stderr,
        )
    assert dlcards("topics").returncode == 0  # its decks need no database
    if how != "deleted":
        assert log.read_bytes() == raw  # not replayed: the copy the restore salvages from
    said = dlcards("doctor")
    assert said.returncode == 1 and "dlcards doctor --restore" in said.stdout, said.stdout
    (backup,) = (folder / "backups").glob("p-manual-*.db.gz")
    restored = dlcards("doctor", "--restore", str(backup))
    assert restored.returncode == 0, restored.stdout + restored.stderr
    assert count_reviews(db) == kept
    assert _checked(folder / "p.db", folder / "cache").returncode == 0
    assert dlcards("due").returncode == 0


def test_a_new_database_beside_the_index_a_killed_session_left_is_no_damage(
    tmp_path: Path, killed_session: Path
) -> None:
    """A session killed (SIGKILL), then its database and its log deleted, its index (-shm)
    left: the next command makes a new database (and says where the backups are), and the
    old index, which says 30-odd frames were committed, is not taken for the new one's
    (a log that lost them: every command refused the new database)."""
    import shutil

    folder = tmp_path / "f"
    shutil.copytree(killed_session, folder)
    dlcards = _dlcards_in(folder)
    db = folder / "p.db"
    assert Path(f"{db}-shm").exists()
    db.unlink()
    Path(f"{db}-wal").unlink()
    made = dlcards("due")
    assert made.returncode == 0, made.stderr
    assert "so a new one was made" in made.stderr
    again = dlcards("due")
    assert again.returncode == 0 and again.stderr == "", again.stderr
    assert _checked(folder / "p.db", folder / "cache").returncode == 0


def test_a_database_emptied_after_a_killed_session_keeps_its_log_for_the_restore(
    tmp_path: Path, killed_session: Path
) -> None:
    """A session killed (SIGKILL) leaves its 5 grades in the -wal; the database file is then
    emptied (a shell's `>`, a failed copy). SQLite, opening an empty file, takes it for a new
    database and deletes the log: the store refuses it in one line first, and the restore
    salvages the grades from the log. Torture run: `topics` and `due --count`, which look at
    the file with sqlite3 alone (whether a killed import's deck files are pending; the
    prompt's count), deleted the log, and the restore then found 0 of the 5 grades."""
    import shutil

    folder = tmp_path / "f"
    shutil.copytree(killed_session, folder)
    dlcards = _dlcards_in(folder)
    db = folder / "p.db"
    log = Path(f"{db}-wal")
    raw = log.read_bytes()
    db.write_bytes(b"")
    assert dlcards("topics").returncode == 0  # its decks need no database
    refused = dlcards("due", "--count")
    assert refused.returncode == 2 and "is an empty file" in refused.stderr
    assert log.read_bytes() == raw and db.stat().st_size == 0
    (backup,) = (folder / "backups").glob("p-manual-*.db.gz")
    restored = dlcards("doctor", "--restore", str(backup))
    assert restored.returncode == 0, restored.stderr
    assert "5 salvaged" in restored.stdout
    assert count_reviews(db) == 5


def test_an_emptied_database_with_no_backups_keeps_its_log(
    tmp_path: Path, killed_session: Path
) -> None:
    """As above, with no backups beside it (deleted): the store refused an emptied file only
    to name its backups, and with none opened it, and SQLite deleted the log as a new
    database's, the 5 grades with it, without a word (`due` said 0 due, 20 new). No dlcards
    makes an empty file with a log (a new database's header is written before its log gets
    a frame): refused in one line, the log kept."""
    import shutil

    folder = tmp_path / "f"
    shutil.copytree(killed_session, folder)
    shutil.rmtree(folder / "backups")
    dlcards = _dlcards_in(folder)
    db = folder / "p.db"
    log = Path(f"{db}-wal")
    raw = log.read_bytes()
    db.write_bytes(b"")
    for args in (["due"], ["study"], ["show", "gd-1"]):
        refused = dlcards(*args)
        assert refused.returncode == 2, (args, refused.stdout)
        assert refused.stderr.count("\n") == 1, refused.stderr
        assert "is an empty file, but p.db-wal beside it holds" in refused.stderr
    assert log.read_bytes() == raw and db.stat().st_size == 0


@pytest.mark.parametrize("damage", ["emptied", "flipped"])
def test_list_reads_no_log_it_would_lose(tmp_path: Path, killed_session: Path, damage: str) -> None:
    """`list` reads the suspended and leech marks with sqlite3 alone, on a read-only
    connection. Torture run: beside an emptied database file (as above) that connection
    deleted the log a killed session left, read-only or not (SQLite takes a 0-byte file for
    a new database and deletes its log), and the restore salvaged none of its 5 grades; a log
    with a bit flipped was read up to the damage, without a word. It lists the cards, says in
    one line that they are listed without their marks and why, and leaves the log as it is."""
    import shutil
    import struct

    folder = tmp_path / "f"
    shutil.copytree(killed_session, folder)
    dlcards = _dlcards_in(folder)
    db = folder / "p.db"
    log = Path(f"{db}-wal")
    if damage == "emptied":
        db.write_bytes(b"")
    else:
        raw = bytearray(log.read_bytes())
        raw[32 + 24 + struct.unpack(">I", raw[8:12])[0] // 2] ^= 0x10
        log.write_bytes(raw)
    before = log.read_bytes()
    listed = dlcards("list")
    assert listed.returncode == 0 and "gd-1\t" in listed.stdout
    assert log.read_bytes() == before
    assert listed.stderr.count("\n") == 1 and "listed without" in listed.stderr, listed.stderr
    assert ("empty file" if damage == "emptied" else "write-ahead log") in listed.stderr


@pytest.mark.parametrize("side", ["-shm", "-wal", "-journal"])
def test_a_fifo_beside_the_database_hangs_no_command(
    tmp_path: Path, killed_session: Path, side: str
) -> None:
    """A FIFO where SQLite keeps the log, its index or the journal: the store refuses it in
    one line (`check_side_files`). Torture run: `topics`, `list` and `due --count`, which look
    at the database with sqlite3 alone first, opened it, and SQLite's open of the FIFO waited
    for a writer for ever: a shell prompt hung. Each ends at once now: `due --count` with the
    store's line, `list` listing the cards with a one-line warning, `topics` as it is."""
    import shutil

    folder = tmp_path / "f"
    shutil.copytree(killed_session, folder)
    fifo = folder / f"p.db{side}"
    fifo.unlink(missing_ok=True)
    os.mkfifo(fifo)
    env = {
        **os.environ,
        "DLCARDS_DB": str(folder / "p.db"),
        "DLCARDS_CACHE_DIR": str(folder / "cache"),
        "NO_COLOR": "1",
    }
    said = {}
    for args in (["topics"], ["list"], ["due", "--count"], ["show", "gd-1"]):
        said[args[0]] = subprocess.run(
            [sys.executable, "-m", "dlcards", *args],
            env=env, capture_output=True, text=True, timeout=20,
        )  # fmt: skip
    assert said["topics"].returncode == 0
    assert said["list"].returncode == 0 and said["list"].stderr.count("\n") == 1
    assert f"p.db{side} beside it is not a regular file" in said["list"].stderr
    for name in ("due", "show"):
        assert said[name].returncode == 2 and said[name].stderr.count("\n") == 1
        assert "is a FIFO (named pipe), not a file" in said[name].stderr


def test_two_terminals_study_at_once(tmp_path: Path) -> None:
    db = tmp_path / "p.db"
    first = spawn(tmp_path, "--topic", "gd")
    wait_for_file = time.monotonic() + 20
    while not db.exists() and time.monotonic() < wait_for_file:
        time.sleep(0.02)
    second = spawn(tmp_path, "--topic", "vgp")
    assert first.stdin is not None and second.stdin is not None
    for i in range(5):
        for j, proc in enumerate((first, second)):
            proc.stdin.write("\n4\n")
            proc.stdin.flush()
            wait_for(db, 2 * i + j + 1, 20.0, first, second)
    for proc in (first, second):
        proc.stdin.write("q\n")
        proc.stdin.flush()
    out1, err1 = first.communicate(timeout=20)
    out2, err2 = second.communicate(timeout=20)
    assert first.returncode == 0 and second.returncode == 0, err1 + err2
    assert "5 grades saved" in out1 and "5 grades saved" in out2
    conn = sqlite3.connect(db)
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    topics = dict(
        conn.execute(
            "SELECT c.topic, count(*) FROM reviews r JOIN cards c ON c.id = r.card_id GROUP BY 1"
        ).fetchall()
    )
    assert topics == {"gd": 5, "vgp": 5}
    conn.close()


def test_ctrl_c_is_clean_and_says_what_was_saved(tmp_path: Path) -> None:
    # A terminal's foreground job takes Ctrl-C; a test run started in the background by a
    # non-interactive shell (`.ci/run &`) ignores SIGINT, and its children inherit that and
    # would never see this one: the study runs with SIGINT's default action, as in a terminal.
    proc = spawn(tmp_path, preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    assert proc.stdin is not None
    proc.stdin.write("\n5\n")
    proc.stdin.flush()
    wait_for(tmp_path / "p.db", 1)
    proc.send_signal(signal.SIGINT)  # stdin stays open, as a terminal's does
    second = False
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        # A SIGINT that lands after Python last checked for signals and before it blocks in
        # read() is acted on at the next interruption of that read (CPython's read loop checks
        # only after EINTR): a second Ctrl-C, as a person would press it
        second = True
        proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=10)
    assert "Traceback" not in err
    assert "Interrupted. 1 grade saved." in out, (proc.returncode, err, out[-300:], second)
    assert proc.returncode == 130


@pytest.mark.skipif(sys.platform != "linux" or os.geteuid() != 0, reason="mounts a tmpfs")
@pytest.mark.parametrize("freed", [True, False])
def test_a_grade_given_on_a_full_disk_is_saved_once_there_is_room(
    tmp_path: Path, freed: bool
) -> None:
    """The disk fills up during a session: the grade is kept, the session says so and tries
    again, and once space is freed the grade is saved, once, and the session goes on. Fed by
    a script (no one to free space), it stops after a few seconds and says which grade was
    not saved."""
    with h.small_disk(tmp_path / "mnt", "2m") as mnt:
        db = mnt / "p.db"
        proc = spawn(tmp_path, "--db", str(db), "--new", "2")
        assert proc.stdin is not None and proc.stdout is not None
        proc.stdin.write("\n")  # the session has opened its database and shows the answer
        proc.stdin.flush()
        deadline = time.monotonic() + 20
        while not (db.exists() and Path(f"{db}-wal").exists()) and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.5)
        filler = h.fill_disk(mnt)
        proc.stdin.write("4\n")
        proc.stdin.flush()
        if not freed:
            out, err = proc.communicate("\n5\n", timeout=30)
            assert proc.returncode == 2 and "Traceback" not in err
            assert err.splitlines() == [
                f"error: the disk is full: cannot write database {db}, so grade 4 on "
                "perceptron-1 was not saved; free some space and try again"
            ]
            filler.unlink()
            assert count_reviews(db) == 0
            return
        time.sleep(1)  # refused and tried again meanwhile
        assert count_reviews(db) == 0
        filler.unlink()
        wait_for(db, 1, 20, proc)
        out, err = proc.communicate("\n5\n", timeout=20)
        assert proc.returncode == 0, err
        assert "Traceback" not in err and "error" not in err
        said = " ".join(out.split())
        assert f"the disk holding {db} is full" in said
        assert "grade 4 on perceptron-1 is kept and will be saved then" in said
        assert "Session complete. 2 grades saved." in said
        conn = sqlite3.connect(db)
        rows = conn.execute("SELECT card_id, grade FROM reviews ORDER BY id").fetchall()
        conn.close()
        assert rows == [("perceptron-1", 4), ("perceptron-2", 5)]


def _drain(fd: int) -> None:
    """Read what the pseudo-terminal at `fd` has written so far, and drop it."""
    import select

    while select.select([fd], [], [], 0)[0]:
        if not os.read(fd, 65536):
            return


def _one_graded_then_the_next_answer(fd: int, db: Path) -> None:
    """In a session in a pseudo-terminal (`_study_in_a_pty`): the first card graded 4 and
    saved, then the next card's answer shown, not graded."""
    for _ in range(2):
        h.read_until(fd, b"show answer")
        os.write(fd, b" ")
        h.read_until(fd, b"perfect")
        if count_reviews(db) == 0:
            os.write(fd, b"4")
            time.sleep(0.5)


def _study_in_a_pty(
    env: dict[str, str], *args: str
) -> contextlib.AbstractContextManager[tuple[int, int]]:
    """`dlcards study --today 2026-11-26 ARGS` in a pseudo-terminal of 100x40."""
    return h.study_in_a_pty(env, "--today", "2026-11-26", *args)


@pytest.mark.skipif(sys.platform != "linux", reason="a pseudo-terminal and job control")
def test_study_in_a_terminal_answers_fg_a_resize_and_ctrl_c_at_once(tmp_path: Path) -> None:
    """`study` waiting for a key in a real terminal: after Ctrl-Z and `fg` (the shell put the
    terminal back to whole lines meanwhile) the next key works alone, without Enter, on a
    screen drawn again; a resize draws it again at the new width; Ctrl-C ends the session.
    Each must work at once, while numpy's threads (a first run parses and computes) may be
    the ones the kernel hands the signal to."""

    env = h.terminal_env(tmp_path)
    with _study_in_a_pty(env) as (pid, fd):
        h.read_until(fd, b"show answer")
        h.waiting_for_a_key(fd)  # as a person pressing Ctrl-Z finds it
        h.stopped_and_resumed(pid, fd)  # Ctrl-Z, then fg
        h.read_until(fd, b"show answer", timeout=10)  # drawn again
        os.write(fd, b" ")  # Space alone, no Enter
        h.read_until(fd, b"linear decision boundary", timeout=10)
        h.waiting_for_a_key(fd)  # the answer drawn whole at 100 columns, the resize awaited
        _drain(fd)  # so that the legend read next is the one drawn again at 70
        h.window(fd, 40, 70)  # SIGWINCH
        narrow = h.read_until(fd, b"perfect", timeout=10).decode(errors="replace")
        assert "─" * 70 in narrow and "─" * 71 not in narrow  # the rule under the header
        time.sleep(0.3)
        os.write(fd, b"\x03")  # Ctrl-C
        h.read_until(fd, b"Interrupted.", timeout=10)
        _, status = os.waitpid(pid, 0)
        assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 130


@pytest.mark.skipif(sys.platform != "linux" or os.geteuid() != 0, reason="mounts a tmpfs")
def test_keys_typed_while_a_grade_waits_for_room_do_not_grade_the_next_card(
    tmp_path: Path,
) -> None:
    """In a terminal, a grade that meets a full disk waits with a message; keys pressed
    meanwhile (Space, 5: the learner's next card, unseen) are not echoed and are dropped when
    the grade is saved: the next card is shown, question only, and nothing else is graded."""
    env = {**os.environ, "DLCARDS_CACHE_DIR": str(tmp_path / "cache"), "NO_COLOR": "1"}
    env.update(TERM="xterm")
    with h.small_disk(tmp_path / "mnt", "2m") as mnt:
        db = mnt / "p.db"
        with _study_in_a_pty(env, "--db", str(db)) as (pid, fd):
            _keys_typed_while_waiting(fd, pid, db, lambda: h.fill_disk(mnt).unlink, b"is full")


@pytest.mark.skipif(sys.platform != "linux", reason="a pseudo-terminal")
def test_keys_typed_while_a_grade_waits_for_a_lock_do_not_grade_the_next_card(
    tmp_path: Path,
) -> None:
    """A grade that meets another dlcards's long write waits in SQLite's busy timeout before
    any message: keys pressed meanwhile (the next card's Space and 5, unseen) are neither
    echoed nor kept; the next card is shown, question only, and only the first is graded."""
    import sqlite3

    db = tmp_path / "p.db"
    env = {**os.environ, "DLCARDS_CACHE_DIR": str(tmp_path / "cache"), "NO_COLOR": "1"}
    env.update(TERM="xterm")

    def lock() -> Callable[[], None]:
        holder = sqlite3.connect(db, isolation_level=None)
        holder.execute("BEGIN EXCLUSIVE")  # another dlcards writing for a while

        def release() -> None:
            holder.execute("COMMIT")
            holder.close()

        return release

    with _study_in_a_pty(env, "--db", str(db)) as (pid, fd):
        _keys_typed_while_waiting(fd, pid, db, lock, None)


@pytest.mark.skipif(sys.platform != "linux", reason="a pseudo-terminal")
def test_ctrl_c_during_a_wait_for_a_lock_does_not_wait_again_for_the_end_time(
    tmp_path: Path,
) -> None:
    """A grade waits for another program's write lock and the learner presses Ctrl-C: the
    grade is given up (one saved before it, the summary says) and the session ends at once:
    not when SQLite's busy timeout for the grade ends (it sleeps through signals: 5 s of a
    silent screen), nor after another one for its end time (5 s more)."""
    import sqlite3

    from dlcards.store.connection import BUSY_TIMEOUT_S

    db = tmp_path / "p.db"
    env = {**os.environ, "DLCARDS_CACHE_DIR": str(tmp_path / "cache"), "NO_COLOR": "1"}
    env.update(TERM="xterm")
    with _study_in_a_pty(env, "--db", str(db)) as (pid, fd):
        _one_graded_then_the_next_answer(fd, db)  # the session has an end time to write
        holder = sqlite3.connect(db, isolation_level=None)
        holder.execute("BEGIN EXCLUSIVE")  # another dlcards writing for a long time
        try:
            start = time.monotonic()
            os.write(fd, b"4")
            time.sleep(0.5)
            os.write(fd, b"\x03")  # Ctrl-C
            h.read_until(fd, b"Interrupted. 1 grade saved.")
            _, status = os.waitpid(pid, 0)
            took = time.monotonic() - start
        finally:
            holder.execute("ROLLBACK")
            holder.close()
        assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 130
        # the Ctrl-C takes effect when the grade's try ends (LOCK_TRY_S), then the end time
        # waits END_WAIT_S: well within one busy timeout (it took 5.5 s)
        assert took < 0.5 + BUSY_TIMEOUT_S / 2
    assert count_reviews(db) == 1


@pytest.mark.skipif(sys.platform != "linux", reason="a pseudo-terminal and job control")
@pytest.mark.parametrize("how", ["kill", "terminal closed"])
def test_a_grade_waiting_for_a_lock_is_saved_before_a_kill_or_a_closed_terminal_ends_it(
    tmp_path: Path, how: str
) -> None:
    """A grade waits for another program's write lock and the screen says it "is kept and
    will be saved". Torture run: a `kill` (SIGTERM), or the terminal closed (SIGHUP, and its
    reads and writes failing), ended the session as Ctrl-C does and gave the grade up, though
    no one chose to drop it (after a closed terminal, with a traceback no one saw: exit 1).
    Now the save goes on (HANGUP_SAVE_S at most), then the session ends: here the lock is
    freed half a second later, and the log holds both grades."""
    import sqlite3

    db = tmp_path / "p.db"
    env = {**os.environ, "DLCARDS_CACHE_DIR": str(tmp_path / "cache"), "NO_COLOR": "1"}
    env.update(TERM="xterm")
    with _study_in_a_pty(env, "--db", str(db)) as (pid, fd):
        _one_graded_then_the_next_answer(fd, db)  # the next grade meets the lock
        holder = sqlite3.connect(db, isolation_level=None)
        holder.execute("BEGIN EXCLUSIVE")  # another dlcards writing for a while
        try:
            os.write(fd, b"3")
            h.read_until(fd, b"is kept and will be saved")
            if how == "kill":
                os.kill(pid, signal.SIGTERM)
            else:
                os.close(fd)  # the terminal window closed: SIGHUP, and the terminal gone
            time.sleep(0.5)
            assert count_reviews(db) == 1  # still waiting, not ended
        finally:
            holder.execute("ROLLBACK")
            holder.close()
        if how == "kill":
            h.read_until(fd, b"Interrupted. 2 grades saved.")
        _, status = os.waitpid(pid, 0)
    assert os.WIFEXITED(status)
    # as a shell reports the signal: 128 + SIGTERM, or 128 + SIGHUP for a closed terminal
    # (whose summary no one can read; it was "cannot write standard output", exit 1)
    assert os.WEXITSTATUS(status) == (143 if how == "kill" else 129)
    assert count_reviews(db) == 2
    with contextlib.closing(sqlite3.connect(db)) as conn:
        ended = conn.execute("SELECT ended_at FROM sessions WHERE kind = 'study'").fetchall()
    assert len(ended) == 1 and ended[0][0] is not None
    assert not Path(f"{db}-wal").exists()


@pytest.mark.skipif(sys.platform != "linux", reason="a pseudo-terminal")
@pytest.mark.parametrize("hangup", ["taken", "ignored"])
def test_a_closed_terminal_ends_study_as_a_hang_up(tmp_path: Path, hangup: str) -> None:
    """The terminal window closed under `study`: the session ends as a shell reports a
    hang-up (exit 129), every grade saved and the session's end time written, and nothing on
    standard error (here a file: no traceback, no "error: cannot write standard output", the
    exit 1 it was). With SIGHUP ignored (`nohup`) the terminal's reads fail instead (EIO):
    the same end."""

    db = tmp_path / "p.db"
    env = {**os.environ, "DLCARDS_DB": str(db), "DLCARDS_CACHE_DIR": str(tmp_path / "cache")}
    env.update(TERM="xterm", NO_COLOR="1")
    errors = tmp_path / "stderr.txt"
    # study in the pseudo-terminal, its standard error to a file
    argv = [sys.executable, "-m", "dlcards", "study", "--today", "2026-11-26"]
    pid, fd = h.spawn_in_a_pty(argv, env, stderr=errors, hangup_ignored=hangup == "ignored")
    try:
        h.window(fd, 40, 100)
        for _ in range(2):
            h.read_until(fd, b"show answer")
            os.write(fd, b" ")
            h.read_until(fd, b"perfect")
            os.write(fd, b"4")
        h.read_until(fd, b"show answer")  # the third card: both grades saved
        os.close(fd)  # the window closed
        _, status = os.waitpid(pid, 0)
    finally:
        with contextlib.suppress(ProcessLookupError, ChildProcessError):
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
    assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 129, (status, errors.read_text())
    assert errors.read_text() == ""
    assert count_reviews(db) == 2
    with contextlib.closing(sqlite3.connect(db)) as conn:
        ended = conn.execute("SELECT ended_at FROM sessions WHERE kind = 'study'").fetchall()
    assert len(ended) == 1 and ended[0][0] is not None


@pytest.mark.skipif(sys.platform == "win32", reason="SIGTERM")
def test_a_kill_during_the_sessions_first_check_is_not_held(tmp_path: Path) -> None:
    """A `kill` is held while a grade is saved (it was not the learner's choice to drop it),
    but not while the session's check before its first card runs (at 100,000 cards the day's
    check and backup take seconds): nothing of the learner's is in it, and the session ends
    at once, as Ctrl-C ends it. (Here the check is made to take 8 s.)"""
    code = (
        "import sys, time\n"
        "from dlcards.store.connection import Connection\n"
        "def slow(self, today=None):\n"
        "    time.sleep(8)\n"
        "Connection.check_in_background = slow\n"
        "sys.argv = ['dlcards', 'study', '--today', '2026-11-26']\n"
        "from dlcards.cli import main\n"
        "main()\n"
    )
    env = {
        **os.environ,
        "DLCARDS_DB": str(tmp_path / "p.db"),
        "DLCARDS_CACHE_DIR": str(tmp_path / "cache"),
        "NO_COLOR": "1",
    }
    child = subprocess.Popen(
        [sys.executable, "-c", code], env=env, text=True,
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    deadline = time.monotonic() + 30
    while not (tmp_path / "p.db").exists() or count_sessions(tmp_path / "p.db") is None:
        assert time.monotonic() < deadline and child.poll() is None
        time.sleep(0.05)
    time.sleep(1.0)  # in the check
    started = time.monotonic()
    child.send_signal(signal.SIGTERM)
    child.communicate(timeout=30)
    assert child.returncode == 143  # 128 + SIGTERM, as a shell reports it
    assert time.monotonic() - started < 4  # not when the 8 s check ends


def count_sessions(db: Path) -> int | None:
    """The database's sessions, or None before its tables are made."""
    with contextlib.closing(sqlite3.connect(db, timeout=5)) as conn:
        try:
            return int(conn.execute("SELECT count(*) FROM sessions").fetchone()[0])
        except sqlite3.OperationalError:
            return None


@pytest.mark.skipif(sys.platform == "win32", reason="SIGTERM and SIGHUP")
@pytest.mark.parametrize("signum", ["SIGTERM", "SIGHUP"])
def test_a_session_killed_politely_ends_as_a_session(tmp_path: Path, signum: str) -> None:
    """`kill` (SIGTERM) or a closed terminal (SIGHUP) during `study` ends it as Ctrl-C does: the
    grades saved, the session's end time written, the database closed with no -wal beside it
    (it ended as if by SIGKILL: no summary, no end time, -wal and -shm left)."""
    db = tmp_path / "p.db"
    env = {**os.environ, "DLCARDS_DB": str(db), "DLCARDS_CACHE_DIR": str(tmp_path / "cache")}
    # a test run under `nohup` ignores SIGHUP, and a program it starts inherits that: dlcards
    # then rightly lets the hang-up go by (`stops_as_ctrl_c` takes only a signal left at its
    # default), and the session ended with its input, exit 0 (this round's runs of the suite
    # on 3.10 and 3.13, started with nohup). Started as a shell in a terminal starts it
    hangup = signal.signal(signal.SIGHUP, signal.SIG_DFL)
    try:
        child = subprocess.Popen(
            [sys.executable, "-m", "dlcards", "study", "--today", "2026-11-26"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env,
        )  # fmt: skip
    finally:
        signal.signal(signal.SIGHUP, hangup)
    assert child.stdin is not None
    child.stdin.write(b"\n4\n")  # reveal, grade; then the next card waits for its line
    child.stdin.flush()
    deadline = time.monotonic() + 30
    while count_reviews(db) < 1 and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.3)
    child.send_signal(getattr(signal, signum))
    out, err = child.communicate(timeout=30)
    assert child.returncode == 128 + getattr(signal, signum), err  # as a shell reports it
    assert b"Interrupted. 1 grade saved." in out
    assert not Path(f"{db}-wal").exists()
    conn = sqlite3.connect(db)
    try:
        ended = conn.execute("SELECT ended_at FROM sessions WHERE kind = 'study'").fetchall()
    finally:
        conn.close()
    assert len(ended) == 1 and ended[0][0] is not None


def _keys_typed_while_waiting(
    fd: int, pid: int, db: Path, obstacle: Callable[[], Callable[[], None]], seen: bytes | None
) -> None:
    """Grade while `obstacle()` stands (it returns what removes it), type Space and 5 while the
    grade waits (once `seen` is on screen, if given), then remove it."""
    h.read_until(fd, b"show answer")
    os.write(fd, b" ")
    h.read_until(fd, b"perfect")
    remove = obstacle()
    try:
        os.write(fd, b"4")
        if seen is not None:
            h.read_until(fd, seen)
        time.sleep(0.5)
        os.write(fd, b" 5")  # typed while it waits
        time.sleep(0.5)
    finally:
        remove()
    shown = h.read_until(fd, b"card 2 of")
    if b"show answer" not in shown.split(b"card 2 of")[-1]:
        shown += h.read_until(fd, b"show answer")
    text = shown.decode(errors="replace")
    assert " 5" not in text.split("card 2 of")[0]  # not echoed
    assert "linear decision boundary" not in text.split("card 2 of")[-1]
    time.sleep(1)
    assert count_reviews(db) == 1  # the next card was not graded
    os.write(fd, b"q")
    h.read_until(fd, b"Stopped. 1 grade saved.")
    _, status = os.waitpid(pid, 0)
    assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0


@pytest.mark.skipif(sys.platform != "linux", reason="a pseudo-terminal")
def test_a_grade_key_on_the_question_grades_nothing(tmp_path: Path) -> None:
    """In a terminal a digit grades only once the answer is on screen: Space then 4 pressed
    twice (or typed ahead) graded the next card unseen. On the question the digit gets the
    keys' hint; the log holds the one grade given to a card whose answer was shown."""
    import sqlite3

    env = {
        **os.environ,
        "DLCARDS_DB": str(tmp_path / "p.db"),
        "DLCARDS_CACHE_DIR": str(tmp_path / "cache"),
        "NO_COLOR": "1",
        "TERM": "xterm",
    }
    with _study_in_a_pty(env) as (pid, fd):
        h.read_until(fd, b"show answer")
        os.write(fd, b"4")  # on the first card's question
        h.read_until(fd, b"4 grades once the answer is shown", timeout=10)
        os.write(fd, b" ")
        h.read_until(fd, b"perfect", timeout=10)  # the answer and the grade legend
        os.write(fd, b"44")  # the second 4 lands on the next card's question
        h.read_until(fd, b"card 2 of", timeout=10)
        # (or is thrown away, when the save took long enough for keys_held to flush it)
        os.write(fd, b"4")
        h.read_until(fd, b"4 grades once the answer is shown", timeout=10)
        os.write(fd, b"q")
        h.read_until(fd, b"1 grade saved", timeout=10)
        os.waitpid(pid, 0)
    with contextlib.closing(sqlite3.connect(tmp_path / "p.db")) as conn:
        rows = conn.execute("SELECT card_id, grade FROM reviews").fetchall()
    assert rows == [("perceptron-1", 4)]


# --- a killed command's worker processes end with it ------------------------------------------


def _children(pid: int) -> set[int]:
    """The processes `pid` started that are still its children (Linux's /proc)."""
    found: set[int] = set()
    for task in Path(f"/proc/{pid}/task").glob("*"):
        with contextlib.suppress(OSError):
            found |= {int(c) for c in (task / "children").read_text().split()}
    return found


def _state(pid: int) -> str | None:
    """The state letter of process `pid` (R, S, T for stopped, Z for a zombie...); None once
    it is gone (Linux's /proc)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return stat.rsplit(")", 1)[1].split()[0]


def _alive(pid: int) -> bool:
    """Whether `pid` runs (a zombie no reaper has collected yet does not)."""
    return _state(pid) not in (None, "Z")


def _all_end(pids: set[int], timeout: float = 10.0) -> set[int]:
    """The processes of `pids` still running after `timeout` seconds (none, at best)."""
    deadline = time.monotonic() + timeout
    while (left := {p for p in pids if _alive(p)}) and time.monotonic() < deadline:
        time.sleep(0.02)
    return left


POOL_PARENT = """
import multiprocessing, os, sys, time
from concurrent.futures import ProcessPoolExecutor
from dlcards.cores import exit_with_parent

def work(_):
    os.write(1, f"{os.getpid()}\\n".encode())
    time.sleep(60)

if __name__ == "__main__":
    context = multiprocessing.get_context(sys.argv[1])
    pool = ProcessPoolExecutor(2, mp_context=context, initializer=exit_with_parent)
    for n in range(2):
        pool.submit(work, n)
    time.sleep(60)
"""


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="Linux's /proc")
@pytest.mark.parametrize("method", ["spawn", "fork"])
def test_pool_workers_end_when_their_parent_is_killed(tmp_path: Path, method: str) -> None:
    """A pool's workers outlived a parent killed with SIGKILL (or SIGTERM), idle for ever
    and holding its standard output: `dlcards due | cat` never ended. With
    `exit_with_parent` as their initializer they end with it, whichever way they started
    (the deck parse's pool spawns, the export's forks)."""
    script = tmp_path / "parent.py"
    script.write_text(POOL_PARENT)
    proc = subprocess.Popen([sys.executable, str(script), method], stdout=subprocess.PIPE)
    assert proc.stdout is not None
    workers = {int(proc.stdout.readline()) for _ in range(2)}  # both are in `work` now
    proc.kill()
    proc.wait()
    assert _all_end(workers) == set()
    assert proc.stdout.read() == b""  # every holder of the pipe has ended: end of file


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="Linux's /proc")
@pytest.mark.skipif(len(os.sched_getaffinity(0)) < 2, reason="the parse pool needs 2 cores")
def test_a_first_sync_killed_while_its_pool_parses_leaves_no_process(tmp_path: Path) -> None:
    """A first sync of decks over catalog.PARALLEL_BYTES parses them in a pool. Killed
    meanwhile (its workers held still with SIGSTOP until it is dead, so they cannot finish
    first), it left the workers, and multiprocessing's resource tracker, running for ever."""
    from dlcards.catalog import PARALLEL_BYTES

    decks = tmp_path / "decks"
    decks.mkdir()
    answer = "word " * 150
    # two dozen files, each a fraction of the work: a worker forked at once (no new interpreter
    # to start) that has parsed its first files has more to do, and is still there to hold
    per_file = PARALLEL_BYTES // 4 // len(answer) + 50
    for d in range(24):
        cards = "".join(
            f"- id: big{d}-{i}\n  question: 'Question {i}?'\n  answer: '{answer}'\n"
            for i in range(per_file)
        )
        (decks / f"big{d}.yaml").write_text(f"topic: big{d}\ntitle: Big {d}\ncards:\n{cards}")
    env = {
        **os.environ,
        "DLCARDS_DB": str(tmp_path / "p.db"),
        "DLCARDS_CACHE_DIR": str(tmp_path / "cache"),
        "DLCARDS_DECKS": str(decks),
    }
    command = [sys.executable, "-m", "dlcards", "due"]
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    # Each worker is held still (SIGSTOP) once it runs multiprocessing's code: forked (the
    # command's own command line), or spawned and past its exec (while its parent may still
    # wait for it: vfork); never the resource tracker.
    held: set[int] = set()
    ours = "".join(f"{arg}\0" for arg in command).encode()  # (a zombie's is empty)
    deadline = time.monotonic() + 30
    while len(held) < 2 and proc.poll() is None and time.monotonic() < deadline:
        for child in _children(proc.pid) - held:
            with contextlib.suppress(OSError):
                line = Path(f"/proc/{child}/cmdline").read_bytes()
                if b"spawn_main" in line or line == ours:
                    os.kill(child, signal.SIGSTOP)
                    held.add(child)
        time.sleep(0.002)
    try:
        assert len(held) == 2 and proc.poll() is None, proc.communicate()
        started = _children(proc.pid)  # the workers and the resource tracker
        # a stop takes effect when the process next runs: on a loaded machine that is a while
        settle = time.monotonic() + 10
        while time.monotonic() < settle and any(_state(c) not in ("T", "Z", None) for c in held):
            time.sleep(0.005)
        stopped = {c for c in held if _state(c) == "T"}  # (not yet done with every file)
        proc.kill()
        proc.wait()
    finally:
        for child in held:
            with contextlib.suppress(ProcessLookupError):
                os.kill(child, signal.SIGCONT)
    assert stopped and stopped <= started and _all_end(held | started) == set()
    out, err = proc.communicate(timeout=10)  # nothing holds its pipes any more
    assert out == b""
    # and a spawned pool's resource tracker unlinked the dead pool's semaphores without a word
    # on the command's standard error (Python's "leaked semaphore objects" warning)
    assert b"resource_tracker" not in err and b"Warning" not in err, err


# --- syncs take turns ---------------------------------------------------------------------------


@pytest.mark.fresh_db
@pytest.mark.skipif(not Path("/proc/self/fd").exists(), reason="Linux's /proc")
def test_a_sync_waits_for_the_one_under_way_and_then_reads_nothing(isolated: Path) -> None:
    """Three terminals opened at once on a new collection of 100,000 cards each parsed every
    deck, then waited for the others' write: two failed "locked by another program (waited
    5 s)". A sync now takes its turn (a lock on the deck cache's folder), and the one that
    waited finds the decks synced and reads none. Here this test is the sync under way: it
    holds the turn while `due` starts, syncs, and lets go. The one that waits makes no
    database meanwhile: with none there, a first sync builds it whole in its turn
    (`Store.build`), and one made by another program in its place would make it sync again."""
    from dlcards.catalog import deck_files, files_signature
    from dlcards.commands import common
    from dlcards.fileio import folder_lock
    from dlcards.paths import cache_dir
    from dlcards.store import Store

    folder = cache_dir() / "decks"
    folder.mkdir(parents=True)
    db = Path(os.environ["DLCARDS_DB"])
    with folder_lock(folder):
        waiting = subprocess.Popen(
            [sys.executable, "-m", "dlcards", "due", "--today", "2026-11-26"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        deadline = time.monotonic() + 30
        while not h.has_open(waiting.pid, folder):  # at the lock
            assert waiting.poll() is None, waiting.communicate()  # it did not wait its turn
            assert time.monotonic() < deadline
            time.sleep(0.01)
        time.sleep(0.2)  # waiting for its turn, not past it: the test holds the lock
        assert not db.exists()  # nothing made before its turn
        files = deck_files([])
        with Store.open(db) as store:
            common._sync(store, [], files, files_signature(files), None, False)
        index = folder / "index.json"
        written = index.stat().st_mtime_ns
    out, err = waiting.communicate(timeout=30)
    assert waiting.returncode == 0, err
    assert out.startswith("topic") and "perceptron" in out
    assert index.stat().st_mtime_ns == written  # the cache was not written again: no parse


def test_a_sync_does_not_wait_for_ever_for_one_that_is_stopped(
    isolated: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A sync stopped with Ctrl-Z holds its turn: the next one waited for it with no end (a
    script hung). It waits SYNC_TURN_WAIT_S at most now, then says why in one line."""
    from dlcards.commands import common
    from dlcards.errors import StoreError
    from dlcards.fileio import folder_lock
    from dlcards.paths import cache_dir

    monkeypatch.setattr(common, "SYNC_TURN_WAIT_S", 0.3)
    folder = cache_dir() / "decks"
    folder.mkdir(parents=True, exist_ok=True)
    db = Path(os.environ["DLCARDS_DB"])
    with folder_lock(folder):  # the stopped sync (another open of the folder: its own lock)
        started = time.monotonic()
        with pytest.raises(StoreError, match="has been reading the decks into it for 0.3 s"):
            with common._sync_turn(db, True):
                pass
        assert time.monotonic() - started >= 0.3
    with common._sync_turn(db, True):  # and the turn is free again once it has ended
        pass


@pytest.mark.fresh_db
def test_a_prompts_count_does_not_read_the_decks_beside_a_sync_under_way(isolated: Path) -> None:
    """`due --count` (a shell prompt) during another process's first sync of 100,000 cards
    parsed every deck beside it, slowing it, and failed on the database's lock 3 s later. It
    fails at once now, in one line, and reads no deck."""
    from dlcards.fileio import folder_lock
    from dlcards.paths import cache_dir

    folder = cache_dir() / "decks"
    folder.mkdir(parents=True)
    with folder_lock(folder):  # the sync under way
        done = subprocess.run(
            [sys.executable, "-m", "dlcards", "due", "--count"],
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.count("\n") == 1 and "another dlcards is reading the decks" in done.stderr
    assert list(folder.iterdir()) == []  # no deck read into the cache


@pytest.mark.skipif(not hasattr(signal, "pthread_kill"), reason="POSIX signals")
def test_a_ctrl_c_while_a_sync_waits_for_its_check_stops_the_check_first(
    isolated: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A sync parses the decks while the day's first check runs on the store's connection in
    a thread (`_loaded_while_checking`). A Ctrl-C while the sync waited for that thread went
    on at once, and the store was closed under the check's statement (the crash a closed
    connection gives, `export anki`'s twin). Now the check's statement is interrupted and the
    thread waited for, then the Ctrl-C goes on."""
    import threading

    from dlcards.catalog import Loading
    from dlcards.commands import common
    from dlcards.store import Store

    ended = threading.Event()
    with Store.open(Path(os.environ["DLCARDS_DB"])) as store:

        def slow_check(**_: object) -> None:  # a check of a few seconds, on the connection
            try:
                store.conn.execute(h.SLOW_SQL).fetchone()
            finally:
                ended.set()

        monkeypatch.setattr(store, "guard_writes", slow_check)
        try:
            with h.ctrl_c_after(0.2):
                started = time.monotonic()
                with pytest.raises(KeyboardInterrupt):
                    common._loaded_while_checking(store, Loading())
                checking = not ended.is_set()
                waited = time.monotonic() - started
        finally:
            ended.wait()  # the store closes after the check, whatever the result
    assert not checking and waited < 2.0  # stopped, not waited out


@pytest.mark.skipif(not hasattr(signal, "pthread_kill"), reason="POSIX signals")
def test_a_ctrl_c_during_a_backup_stops_its_check_first(
    isolated: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A backup checks its copy on a thread while it compresses it. Twice Ctrl-C while it
    waited for the check: the first left the wait, the second the pool's join, and the copy's
    connection was closed under the check. Now the check is interrupted and waited for, and
    nothing is put in place."""
    import threading
    from datetime import date

    from dlcards.store import backup

    ended = threading.Event()

    def slow_check(conn: sqlite3.Connection) -> list[str]:
        try:
            conn.execute(h.SLOW_SQL).fetchone()
            return []
        finally:
            ended.set()

    monkeypatch.setattr(backup, "integrity_problems", slow_check)
    db = Path(os.environ["DLCARDS_DB"])
    folder = backup.folder_of(db)
    before = sorted(folder.iterdir()) if folder.exists() else []
    conn = sqlite3.connect(db)
    try:
        with h.ctrl_c_after(0.2, 0.3):
            started = time.monotonic()
            with pytest.raises(KeyboardInterrupt):
                backup.make(conn, db, date(2026, 11, 26), event="manual")
            checking = not ended.is_set()
            waited = time.monotonic() - started
    finally:
        ended.wait()
        conn.close()
    assert not checking and waited < 2.0
    assert sorted(folder.iterdir()) == before  # no backup, no temporary file left


def runner_for(
    tmp_path: Path, db: Path | None = None
) -> Callable[..., subprocess.CompletedProcess[str]]:
    """`dlcards ARGS...` as another terminal runs it, on the test's database (`p.db` in
    `tmp_path` unless given)."""
    env = {
        **os.environ,
        "DLCARDS_DB": str(db or tmp_path / "p.db"),
        "DLCARDS_CACHE_DIR": str(tmp_path / "cache"),
    }

    def dlcards(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "dlcards", *args],
            capture_output=True, text=True, env=env, timeout=60,
        )  # fmt: skip

    return dlcards


@pytest.fixture(scope="module")
def one_grade_folders() -> dict[date, Path]:
    """The folders `after_one_grade` made, by the day each was made on."""
    return {}


@pytest.fixture
def after_one_grade(
    tmp_path: Path,
    one_grade_folders: dict[date, Path],
    tmp_path_factory: pytest.TempPathFactory,
    linked_cache: Any,
) -> None:
    """The test's folder as a first session of one grade leaves it (`--new 1`, graded 5,
    quit; its close checkpoints: the file holds its pages): the database, the day's backup
    its first write made, and the math it converted, kept in the deck cache. Studied by the
    first test of a test process that asks on a day, in a folder of its own with the deck
    cache every test starts with; the others get a copy of those files (a study process
    fewer each, ~0.2 CPU s). For `three_grades_in_a_second_session`."""
    import shutil

    today = date.today()
    if today not in one_grade_folders:
        folder = tmp_path_factory.mktemp("one-grade")
        linked_cache.link_to(folder / "cache")
        first = spawn(folder, "--new", "1")
        assert first.communicate("\n5\nq\n", timeout=30)[0].count("1 grade saved") == 1
        one_grade_folders[today] = folder
    made = one_grade_folders[today]
    for path in made.iterdir():
        if path.is_file():
            shutil.copy2(path, tmp_path / path.name)
        elif path.name != "cache":
            shutil.copytree(path, tmp_path / path.name)
    if (made / "cache" / "math").is_dir():
        shutil.copytree(made / "cache" / "math", tmp_path / "cache" / "math")


def three_grades_in_a_second_session(tmp_path: Path) -> subprocess.Popen[str]:
    """In the folder a first session of one grade left (the test uses `after_one_grade`), a
    second session, still running, that has given and saved 3 grades."""
    db = tmp_path / "p.db"
    assert count_reviews(db) == 1
    proc = spawn(tmp_path, "--new", "10")
    assert proc.stdin is not None
    for i in range(3):
        proc.stdin.write("\n4\n")
        proc.stdin.flush()
        wait_for(db, i + 2, 20.0, proc)
    return proc


def damage_under(db: Path, cut: str) -> None:
    """What another program does to the file under a running session: empties it, cuts it to
    two pages, replaces it by a rename, or deletes it."""
    if cut == "to 0 bytes":
        os.truncate(db, 0)
    elif cut == "to 2 pages":
        assert db.stat().st_size > 8192  # the pages the first sync checkpointed, and more
        os.truncate(db, 8192)
    elif cut == "replaced":
        other = db.with_name("other")
        other.write_bytes(b"not a database")
        os.replace(other, db)
    else:
        db.unlink()


@pytest.mark.parametrize("cut", ["to 0 bytes", "to 2 pages", "replaced", "deleted"])
@pytest.mark.usefixtures("after_one_grade")
def test_a_database_damaged_under_a_session_stops_it_and_loses_no_grade(
    tmp_path: Path, cut: str
) -> None:
    """Another program empties, cuts short, replaces or deletes the file while a session has
    it open: SQLite goes on committing to the -wal, and the session said every grade was saved
    while `doctor --restore` then put back a backup without them. Now the next grade is not
    committed; the session stops with one line naming the file, where its grades are kept and
    what to run; that restore puts back all 4 (3 saved before, the one refused), by card and
    time, with the one of an earlier session the backup lacks too, and the database is
    sound."""
    db = tmp_path / "p.db"
    proc = three_grades_in_a_second_session(tmp_path)
    before = sqlite3.connect(db)
    given = sorted(before.execute("SELECT card_id, at, grade FROM reviews"))
    before.close()
    damage_under(db, cut)
    out, err = proc.communicate("\n5\n\n3\nq\n", timeout=30)
    assert proc.returncode == 2 and "Traceback" not in err, err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    what = {"to 0 bytes": "was emptied", "to 2 pages": "was cut short", "replaced": "was replaced"}
    assert lines[0].startswith(f"error: database {db} {what.get(cut, 'was deleted')}")
    assert "the 4 grades given here" in lines[0] and "grades saved" not in out
    assert "(the last, grade 5 on perceptron-5, refused)" in " ".join(lines[0].split())
    name = lines[0].split("dlcards doctor --restore ")[1].split("`")[0]
    dlcards = runner_for(tmp_path, db)
    done = dlcards("doctor", "--restore", name)
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"salvaged 5 grades the backup {name} lacked" in done.stdout
    conn = sqlite3.connect(db)
    rows = conn.execute("SELECT card_id, at, grade FROM reviews ORDER BY at").fetchall()
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    conn.close()
    assert rows[:4] == sorted(given, key=lambda r: r[1]) and len(rows) == 5 and rows[4][2] == 5
    checked = _checked(db, tmp_path / "cache")
    assert checked.returncode == 0, checked.stdout


def test_a_second_open_in_the_process_keeps_the_first_connections_locks(tmp_path: Path) -> None:
    """Closing any descriptor of a file drops every POSIX lock the process holds on it.
    Opening the database a second time read its header through a descriptor of its own and
    closed it, dropping the SQLite locks of the connection already open: another program's
    connection, closing, then took itself for the last one and checkpointed and deleted the
    -wal under the first. The header is now read through the descriptor the process holds."""
    from dlcards.store import Store

    db = tmp_path / "p.db"
    first = Store.open(db)
    try:
        first.set_meta("x", "1")
        assert Path(f"{db}-wal").exists()
        Store.open(db).close()  # a second connection of this process, opened and closed
        other = (
            "import sqlite3, sys; c = sqlite3.connect(sys.argv[1]); "
            "c.execute('SELECT count(*) FROM meta').fetchall(); c.close()"
        )
        subprocess.run([sys.executable, "-c", other, str(db)], check=True, timeout=60)
        assert Path(f"{db}-wal").exists()  # the other program saw this one's connection
        first.set_meta("x", "2")
    finally:
        first.close()


@pytest.mark.parametrize("cut", ["to 0 bytes", "replaced", "deleted"])
@pytest.mark.usefixtures("after_one_grade")
def test_a_grade_undone_in_another_terminal_stays_undone_after_the_restore(
    tmp_path: Path, cut: str
) -> None:
    """A session grades 3 cards; `dlcards undo` in another terminal takes back the last; the
    file is then emptied, replaced or deleted, and the session's next grade finds it. The
    emptied file failed the session's read (this process reads the file again once another
    committed) and was said to be "corrupt" with nothing kept; the session kept the undone
    grade, which the restore brought back. Now every cut is found as such, and the restore
    gives exactly the grades given and not taken back, in time order: after a replace or
    delete the session still reads the log and does not keep the undone grade; after the
    file is emptied it cannot, but the undo was recorded beside the backups before it
    committed (`salvage.record_undone`): the session does not keep it, and a restore would
    not bring it back from anything it salvages (test_salvage's
    test_a_grade_undone_after_the_backup_stays_undone_when_it_is_restored)."""
    db = tmp_path / "p.db"
    proc = three_grades_in_a_second_session(tmp_path)
    dlcards = runner_for(tmp_path)
    assert proc.stdin is not None
    proc.stdin.write("\n")  # the answer shown while the file is whole (the undo takes longer)
    proc.stdin.flush()

    undone = dlcards("undo")
    assert undone.returncode == 0 and "undid grade 4" in undone.stdout, undone.stderr
    conn = sqlite3.connect(db)
    kept = conn.execute("SELECT card_id, at, grade FROM reviews ORDER BY at").fetchall()
    conn.close()
    assert len(kept) == 3
    damage_under(db, cut)
    out, err = proc.communicate("5\nq\n", timeout=30)
    assert proc.returncode == 2 and "Traceback" not in err, err
    what = {"to 0 bytes": "was emptied", "replaced": "was replaced", "deleted": "was deleted"}
    assert err.startswith(f"error: database {db} {what[cut]}"), err
    assert "the 3 grades given here" in err, err  # not the one undone in the other terminal
    name = err.split("dlcards doctor --restore ")[1].split("`")[0]
    done = dlcards("doctor", "--restore", name)
    assert done.returncode == 0, done.stdout + done.stderr
    conn = sqlite3.connect(db)
    rows = conn.execute("SELECT card_id, at, grade FROM reviews ORDER BY at, id").fetchall()
    conn.close()
    assert _checked(tmp_path / "p.db", tmp_path / "cache").returncode == 0
    assert rows[:3] == kept and len(rows) == 4 and rows[3][2] == 5, rows  # and the refused


@pytest.mark.usefixtures("after_one_grade")
def test_an_undo_refused_on_a_damaged_file_is_kept_as_done(tmp_path: Path) -> None:
    """The file is emptied under a session; its `u` finds it before the undo commits and
    the session stops. The undo was refused like a grade, but unlike a grade it was not kept:
    the session kept the grade the learner had just taken back, the raw copy's log held it,
    and the restore brought it back. Now the undo is kept as done: the grade is left out of
    the kept grades, recorded as undone, and named in the line; the restore leaves it out."""
    db = tmp_path / "p.db"
    proc = three_grades_in_a_second_session(tmp_path)
    conn = sqlite3.connect(db)
    given = conn.execute("SELECT card_id, grade FROM reviews ORDER BY at").fetchall()
    conn.close()
    damage_under(db, "to 0 bytes")
    out, err = proc.communicate("u\nq\n", timeout=30)
    assert proc.returncode == 2 and "Traceback" not in err, err
    said = " ".join(err.split())
    assert "the 2 grades given here" in said and "the undo of grade 4 on perceptron-4" in said, said
    name = err.split("dlcards doctor --restore ")[1].split("`")[0]
    dlcards = runner_for(tmp_path, db)
    done = dlcards("doctor", "--restore", name)
    assert done.returncode == 0, done.stdout + done.stderr
    conn = sqlite3.connect(db)
    rows = conn.execute("SELECT card_id, grade FROM reviews ORDER BY at").fetchall()
    conn.close()
    assert rows == given[:-1], rows


def test_an_undo_killed_before_its_commit_does_not_take_the_grade_out_of_a_restore(
    tmp_path: Path,
) -> None:
    """`dlcards undo` records the grade it takes back beside the backups before it commits.
    Killed between the two (SIGKILL), it left the record and the grade in the log (the screen
    said nothing was undone); the file damaged later, the restore took the grade out of the
    backup as undone: a grade lost. The record is now said done after the commit, and a
    record without it whose grade a copy of the damaged file still holds is no undo."""
    from damage import flip_in_index

    db = tmp_path / "p.db"
    dlcards = runner_for(tmp_path)
    proc = spawn(tmp_path)
    out, _ = proc.communicate("\n4\n\n5\n\n3\nq\n", timeout=60)
    assert out.count("saved:") == 3
    assert dlcards("backup").returncode == 0
    killed = subprocess.run(
        [
            sys.executable,
            "-c",
            "import os, signal, sys\n"
            "import dlcards.store.salvage as salvage\n"
            "real = salvage.record_undone\n"
            "def record(*args, **kwargs):\n"
            "    real(*args, **kwargs)\n"
            "    os.kill(os.getpid(), signal.SIGKILL)  # before the undo commits\n"
            "salvage.record_undone = record\n"
            "sys.argv = ['dlcards', 'undo']\n"
            "from dlcards.cli import main\n"
            "main()\n",
        ],
        env={**os.environ, "DLCARDS_DB": str(db), "DLCARDS_CACHE_DIR": str(tmp_path / "cache")},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert killed.returncode == -signal.SIGKILL and "undid" not in killed.stdout
    assert count_reviews(db) == 3  # not undone
    assert len((tmp_path / "backups" / "p-undone.jsonl").read_text().splitlines()) == 1
    flip_in_index(db, "reviews_card_time")  # damaged later
    (backup,) = (tmp_path / "backups").glob("p-manual-*.db.gz")
    restored = dlcards("doctor", "--restore", str(backup))
    assert restored.returncode == 0, restored.stdout + restored.stderr
    assert count_reviews(db) == 3
    assert dlcards("undo").returncode == 0  # an undo that commits is undone for good
    assert count_reviews(db) == 2
    lines = (tmp_path / "backups" / "p-undone.jsonl").read_text().splitlines()
    assert '"done": true' in lines[-1]


@pytest.mark.usefixtures("after_one_grade")
def test_a_restore_while_another_session_has_the_deleted_file_open(tmp_path: Path) -> None:
    """Two sessions have the database open; it is deleted; the first finds it at its next
    grade and stops. The restore made a new file at the path beside the -wal and -shm that
    the second session still holds (the deleted file's): SQLite read that log into the new
    file, the restore said it was done and left a database that could not be read ("disk
    I/O error"). Now the orphaned log is kept and salvaged like a damaged file's, and the
    second session's next grade is refused and kept, and a second restore adds it: the log is
    every grade given, each once, in time order, and `doctor` finds no problem. (The second
    session was told to restore the newest backup, older than the restored database: that
    restore dropped every grade the first had added. The first now backs up its result.)"""
    db = tmp_path / "p.db"
    first = three_grades_in_a_second_session(tmp_path)
    second = spawn(tmp_path, "--new", "10", "--topic", "gd")
    assert second.stdin is not None
    second.stdin.write("\n4\n")
    second.stdin.flush()
    wait_for(db, 5, 20.0, second)
    dlcards = runner_for(tmp_path)

    before = sqlite3.connect(db)
    given = before.execute("SELECT card_id, grade FROM reviews ORDER BY at, id").fetchall()
    before.close()
    db.unlink()
    out, err = first.communicate("\n5\nq\n", timeout=30)
    assert first.returncode == 2 and "Traceback" not in err, err
    name = err.split("dlcards doctor --restore ")[1].split("`")[0]
    done = dlcards("doctor", "--restore", name)
    assert done.returncode == 0 and "Traceback" not in done.stderr, done.stdout + done.stderr
    assert done.stderr == ""
    restored = sqlite3.connect(db)
    rows = restored.execute("SELECT card_id, grade FROM reviews ORDER BY at, id").fetchall()
    restored.close()
    assert len(given) == 5 and rows == [*given, ("perceptron-5", 5)]  # and the one refused
    out, err = second.communicate("\n3\nq\n", timeout=30)
    assert second.returncode == 2 and "Traceback" not in err, err
    assert len(err.strip().splitlines()) == 1 and "the 2 grades given here" in err, err
    name = err.split("dlcards doctor --restore ")[1].split("`")[0]
    assert name.startswith("p-after-salvage-")  # the restored database, not the older backup
    again = dlcards("doctor", "--restore", name)
    assert again.returncode == 0, again.stdout + again.stderr
    restored = sqlite3.connect(db)
    final = restored.execute("SELECT card_id, grade FROM reviews ORDER BY at, id").fetchall()
    restored.close()
    assert final == [*rows, ("gd-2", 3)]
    assert _checked(tmp_path / "p.db", tmp_path / "cache").returncode == 0


@pytest.mark.parametrize("cut", ["replaced", "deleted"])
@pytest.mark.usefixtures("after_one_grade")
def test_a_reset_in_another_terminal_stays_after_the_restore(tmp_path: Path, cut: str) -> None:
    """A session is open; `dlcards reset` in another terminal makes a studied card new (the
    newest backup holds the card as it was: the day's, a reset of one card of several makes
    none, its record keeps what it overwrites); the file is then
    replaced or deleted, the session's next grade finds it, and the restore of the newest
    backup added the grades that backup lacked, but put the card back as studied: the
    reset, which is no log row, was lost, while the raw copy of the file still held it. Now
    the reset point is carried over from the raw copy and the card is new again."""
    db = tmp_path / "p.db"
    proc = three_grades_in_a_second_session(tmp_path)
    dlcards = runner_for(tmp_path)

    reset = dlcards("reset", "--yes", "perceptron-1")
    assert reset.returncode == 0, reset.stderr

    def card_state() -> tuple[object, ...]:
        conn = sqlite3.connect(db)
        try:
            return tuple(
                conn.execute(
                    "SELECT c.reset_at, s.repetitions, s.interval FROM cards c "
                    "JOIN sm2 s ON s.card_id = c.id WHERE c.id = 'perceptron-1'"
                ).fetchone()
            )
        finally:
            conn.close()

    after_reset = card_state()
    assert after_reset[0] is not None
    conn = sqlite3.connect(db)
    given = conn.execute("SELECT card_id, at, grade FROM reviews ORDER BY at").fetchall()
    conn.close()
    damage_under(db, cut)
    out, err = proc.communicate("\n5\nq\n", timeout=30)
    assert proc.returncode == 2 and "Traceback" not in err, err
    name = err.split("dlcards doctor --restore ")[1].split("`")[0]
    assert "before-reset" not in name  # the day's, from before the reset
    done = dlcards("doctor", "--restore", name)
    assert done.returncode == 0, done.stdout + done.stderr
    conn = sqlite3.connect(db)
    rows = conn.execute("SELECT card_id, at, grade FROM reviews ORDER BY at").fetchall()
    conn.close()
    assert rows[:4] == given and len(rows) == 5 and rows[4][2] == 5
    assert card_state() == after_reset  # new again: no review since the reset
    assert "and the resets or suspensions of 1 card made since" in done.stdout, done.stdout
    shown = dlcards("show", "perceptron-1")
    assert "reset, not studied since" in shown.stdout, shown.stdout
    assert _checked(tmp_path / "p.db", tmp_path / "cache").returncode == 0


@pytest.mark.skipif(sys.platform != "linux" or os.geteuid() != 0, reason="mounts a tmpfs")
def test_a_session_that_cannot_keep_its_grades_on_a_full_disk_says_so(tmp_path: Path) -> None:
    """The disk is full when the file is deleted under a session (a deleted file's space is
    not freed while the session holds it): the session's line said "kept in backups/:
    nothing more (No space left on device)", as if something had been kept, and left a
    cut-short copy of the file there. Now it names what it could not keep, leaves no partial
    copy, and the -wal the deleted file left still gives the restore the grades saved."""
    with h.small_disk(tmp_path / "mnt", "2m") as mnt:
        db = mnt / "p.db"
        first = spawn(tmp_path, "--db", str(db), "--new", "1")
        assert first.communicate("\n5\nq\n", timeout=30)[0].count("1 grade saved") == 1
        proc = spawn(tmp_path, "--db", str(db), "--new", "10")
        assert proc.stdin is not None
        for i in range(3):
            proc.stdin.write("\n4\n")
            proc.stdin.flush()
            wait_for(db, i + 2, 20.0, proc)
        filler = h.fill_disk(mnt)
        db.unlink()
        out, err = proc.communicate("\n5\nq\n", timeout=30)
        assert proc.returncode == 2 and "Traceback" not in err, err
        lines = err.strip().splitlines()
        assert len(lines) == 1, err
        folder = mnt / "backups"
        assert (
            "could not keep the 4 grades given here (the last, grade 5 on perceptron-5, "
            "refused) nor the file as this program had it in "
            f"{folder} (No space left on device)" in lines[0]
        ), lines[0]
        assert "kept in" not in lines[0]
        assert not [p for p in folder.iterdir() if "-damaged-" in p.name or "-kept-" in p.name]
        filler.unlink()
        name = lines[0].split("dlcards doctor --restore ")[1].split("`")[0]
        done = runner_for(tmp_path, db)("doctor", "--restore", name)
        assert done.returncode == 0, done.stdout + done.stderr
        assert count_reviews(db) == 4  # the refused grade was never saved nor kept


@pytest.mark.parametrize("cut", ["to 0 bytes", "to 2 pages"])
@pytest.mark.usefixtures("after_one_grade")
def test_the_grade_refused_after_another_terminal_committed_is_kept(
    tmp_path: Path, cut: str
) -> None:
    """Two sessions on one database (two topics); the other commits a grade, then the file is
    damaged, then this session grades. Once another connection has committed, this one reads
    the file again at its next write: the emptied or cut-short file failed that read before
    the grade was decided, and the grade just given was neither saved nor kept (the line
    named the 3 saved before). The answer is shown before the damage (a read on a damaged file
    at the reveal stops the session before any grade is given). A file replaced or deleted
    is read through this process's descriptor: its grade is decided, then refused before its
    commit (the test above). Now it is kept and named in every variant, and the restore
    puts it back after the other terminal's."""
    db = tmp_path / "p.db"
    proc = three_grades_in_a_second_session(tmp_path)
    assert proc.stdin is not None
    proc.stdin.write("\n")  # the answer shown (its intervals read) while the file is whole
    proc.stdin.flush()
    other = spawn(tmp_path, "--new", "10", "--topic", "gd")  # its start takes longer
    assert other.stdin is not None
    other.stdin.write("\n4\n")
    other.stdin.flush()
    wait_for(db, 5, 20.0, other)
    damage_under(db, cut)
    out, err = proc.communicate("5\nq\n", timeout=30)
    other.kill()
    other.communicate()
    assert proc.returncode == 2 and "Traceback" not in err, err
    assert len(err.strip().splitlines()) == 1, err
    assert "the 4 grades given here" in err, err
    assert "grade 5 on perceptron-5, refused" in " ".join(err.split()), err
    name = err.split("dlcards doctor --restore ")[1].split("`")[0]
    done = runner_for(tmp_path, db)("doctor", "--restore", name)
    assert done.returncode == 0, done.stdout + done.stderr
    conn = sqlite3.connect(db)
    rows = conn.execute("SELECT card_id, grade FROM reviews ORDER BY at, id").fetchall()
    conn.close()
    assert rows[-1] == ("perceptron-5", 5) and len(rows) == 6, rows


@pytest.mark.skipif(sys.platform != "linux", reason="a pseudo-terminal")
@pytest.mark.parametrize("answer", ["Ctrl-D", "terminal closed"])
def test_a_confirmation_left_unanswered_ends_without_a_traceback(
    tmp_path: Path, answer: str
) -> None:
    """`reset --all` asks before it resets. Ctrl-D at the question printed a traceback of
    click.exceptions.Abort (click's own, not the one of the click typer carries, which its
    main catches), exit 1; a terminal closed under it with SIGHUP ignored (`nohup`) did the
    same. Now Ctrl-D is no (as at any yes/no question: `no` ends the question's line and the
    command says what no means, "nothing reset", exit 1) and a closed terminal ends it as a
    hang-up (129); nothing is reset."""

    db = tmp_path / "p.db"
    env = {**os.environ, "DLCARDS_DB": str(db), "DLCARDS_CACHE_DIR": str(tmp_path / "cache")}
    env.update(TERM="xterm", NO_COLOR="1")
    assert (
        subprocess.run(
            [sys.executable, "-m", "dlcards", "suspend", "gd-1"], env=env, capture_output=True
        ).returncode
        == 0
    )
    errors = tmp_path / "stderr.txt"
    # its standard error to a file, SIGHUP ignored as under nohup
    argv = [sys.executable, "-m", "dlcards", "reset", "--all"]
    pid, fd = h.spawn_in_a_pty(argv, env, stderr=errors, hangup_ignored=True)
    shown = b""  # the terminal's screen (standard output)
    try:
        deadline = time.monotonic() + 30
        while not errors.exists() or "[y/N]" not in errors.read_text():  # click asks on stderr
            assert time.monotonic() < deadline, errors.read_text()
            time.sleep(0.05)
        if answer == "Ctrl-D":
            os.write(fd, b"\x04")
            with contextlib.suppress(OSError):
                while chunk := os.read(fd, 65536):
                    shown += chunk
        else:
            os.close(fd)
        _, status = os.waitpid(pid, 0)
    finally:
        with contextlib.suppress(ProcessLookupError, ChildProcessError):
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
        with contextlib.suppress(OSError):
            os.close(fd)
    said = errors.read_text()
    assert os.WIFEXITED(status), status
    assert os.WEXITSTATUS(status) == (1 if answer == "Ctrl-D" else 129), said
    assert "Traceback" not in said and "Abort" not in said, said
    if answer == "Ctrl-D":
        assert "nothing reset" in shown.decode() + said, (shown, said)
    with contextlib.closing(sqlite3.connect(db)) as conn:
        assert conn.execute("SELECT suspended FROM cards WHERE id = 'gd-1'").fetchone()[0] == 1


@pytest.mark.parametrize("deleted", ["-wal", "-wal and -shm"])
def test_a_log_deleted_under_a_session_loses_no_grade_to_a_kill(
    tmp_path: Path, deleted: str
) -> None:
    """Another program deletes the database's write-ahead log (a cleaner, a sync tool that
    leaves side files out) while `study` runs: SQLite went on appending to the deleted file,
    and a SIGKILL then lost every grade since the last checkpoint, each said to be saved
    (4 saved, 0 left). Now the commit after the deletion checkpoints into the database file,
    and so does each one after it, with one warning."""
    db = tmp_path / "p.db"
    proc = spawn(tmp_path)
    assert proc.stdin is not None and proc.stdout is not None and proc.stderr is not None

    graded(proc, 4)
    graded(proc, 3)
    Path(f"{db}-wal").unlink()
    if deleted == "-wal and -shm":
        Path(f"{db}-shm").unlink()
    graded(proc, 5)
    graded(proc, 4)
    proc.send_signal(signal.SIGKILL)
    _, err = proc.communicate(timeout=10)
    assert err.count("warning: the write-ahead log p.db-wal") == 1, err
    assert count_reviews(db) == 4
    with contextlib.closing(sqlite3.connect(db)) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


@pytest.mark.parametrize(
    "events",
    [
        "grade grade rm other other grade grade quit",
        "grade grade rm other other grade grade kill",
        "grade grade rm other quit",
        "grade grade rm grade other grade kill",
        "grade rm other grade other kill",
        "rm grade other grade quit",
        "grade grade cut grade quit",
        "grade grade cut other grade kill",
        "grade swap other grade quit",
        "grade rm peer grade quit",
        "grade rm grade peer kill",
    ],
)
def test_an_index_changed_under_a_session_loses_no_write_of_either_terminal(
    tmp_path: Path, events: str
) -> None:
    """Another program deletes the write-ahead log's index (`p.db-shm`) while `study` runs:
    the next dlcards made a new one and saw none of the session's locks, and each wrote its
    commits over the other's in the log: `dlcards suspend gd-1` in another terminal said
    "suspended", the session's next grades overwrote it, and `doctor --check` found nothing
    wrong. Now the session opens the database again before its next write (or as it quits),
    and every grade and every suspension is kept, whichever comes first and however the
    session ends. An index cut short (`truncate -s 0`) killed the session with SIGBUS at its
    next grade; a copy put in its place split the terminals as a deletion did."""
    db = tmp_path / "p.db"
    env = {
        **os.environ,
        "DLCARDS_DB": str(db),
        "DLCARDS_CACHE_DIR": str(tmp_path / "cache"),
        "NO_COLOR": "1",
    }
    proc = spawn(tmp_path)
    assert proc.stdin is not None and proc.stdout is not None
    while "show answer" not in proc.stdout.readline():  # the first card: the database is open
        assert proc.poll() is None
    grades = suspended = 0
    idle = True  # the session waits for a key (not reading the database)
    *middle, end = events.split()  # the session quits or is killed at the end
    for event in middle:
        if event == "grade":
            graded(proc, 4)
            grades += 1
            idle = False  # "saved:" is said before the next card is read and shown
        elif event == "rm":
            Path(f"{db}-shm").unlink()
        elif event == "cut":  # SQLite's mapping of it then ends before its pages: SIGBUS
            # at the session's next read of it. The session makes its index whole again
            # before it reads; a cut in the middle of a read (the next card's, right after
            # "saved:") is one no program can survive, so it comes once that card is shown.
            while not idle:
                idle = "show answer" in proc.stdout.readline()
                assert idle or proc.poll() is None
            os.truncate(f"{db}-shm", 0)
        elif event == "swap":  # a copy put in its place (a sync tool's download)
            (tmp_path / "copy").write_bytes(Path(f"{db}-shm").read_bytes())
            os.replace(tmp_path / "copy", f"{db}-shm")
        elif event == "other":
            suspended += 1
            done = subprocess.run(
                [sys.executable, "-m", "dlcards", "suspend", f"gd-{10 + suspended}"],
                env=env, capture_output=True, text=True, timeout=60,
            )  # fmt: skip
            assert done.returncode == 0, done.stderr
        elif event == "peer":  # a second session grades one card and is killed
            peer = spawn(tmp_path, "--topic", "gd")
            assert peer.stdin is not None and peer.stdout is not None
            peer.stdin.write("\n3\n")
            peer.stdin.flush()
            while "saved:" not in peer.stdout.readline():
                assert peer.poll() is None
            peer.send_signal(signal.SIGKILL)
            peer.communicate(timeout=10)
            grades += 1
    err = ended(proc, end)
    assert "Traceback" not in err, err
    assert proc.returncode == (0 if events.endswith("quit") else -signal.SIGKILL), err
    after = events.split(" ".join(e for e in events.split() if e in ("rm", "cut", "swap")))[1]
    wrote_after = "grade" in after or after.endswith("quit")
    # after the change; an index cut short that another program made whole again before the
    # session's next write (`cut other`: it rebuilt the index in the same file, as long as
    # before) is the one the session maps, so it may say nothing (whether the rebuilt file is
    # shorter than the session last saw depends on the log's length at that moment)
    warned = err.count("warning: p.db-shm beside")
    assert warned in ((0, 1) if "cut other" in events else (wrote_after,)), err
    with contextlib.closing(sqlite3.connect(db)) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute("SELECT count(*) FROM reviews").fetchone()[0] == grades
        on = conn.execute("SELECT id FROM cards WHERE suspended = 1 ORDER BY id").fetchall()
        assert [r[0] for r in on] == [f"gd-{10 + i}" for i in range(1, suspended + 1)]


def _write_meta_elsewhere(db: Path, key: str) -> None:
    """Another process (a plain SQLite client) commits one row to `meta`."""
    script = (
        "import sqlite3, sys\n"
        "c = sqlite3.connect(sys.argv[1], isolation_level=None)\n"
        "c.execute(\"INSERT INTO meta (key, value) VALUES (?, 'x')\", (sys.argv[2],))\n"
        "c.close()\n"
    )
    subprocess.run([sys.executable, "-c", script, str(db), key], check=True, timeout=30)


@pytest.mark.parametrize("then", ["close", "write"])
def test_an_index_deleted_under_an_open_store_keeps_another_process_commit(
    tmp_path: Path, then: str
) -> None:
    """The `-shm` deleted while this process has the database open, another process commits:
    closing (the last connection, which checkpoints the log through its index and deletes the
    log) lost that commit, as did a write of this process over it. Now neither does."""
    from dlcards.store import Store

    db = tmp_path / "p.db"
    store = Store.open(db)
    try:
        store.set_meta("before", "1")
        Path(f"{db}-shm").unlink()
        _write_meta_elsewhere(db, "elsewhere")
        if then == "write":
            store.set_meta("after", "1")
            assert store.get_meta("elsewhere") == "x"
    finally:
        store.close()
    with contextlib.closing(sqlite3.connect(db)) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        keys = {r[0] for r in conn.execute("SELECT key FROM meta")}
    assert {"before", "elsewhere"} <= keys
    assert ("after" in keys) == (then == "write")


def test_a_database_moved_under_a_session_keeps_its_log_from_a_new_one(tmp_path: Path) -> None:
    """`mv p.db q.db` while `study` runs, then `dlcards suspend gd-1`: a new database was made
    at p.db, SQLite took the moved one's -wal (700 KB of commits: every grade and card) as the
    new file's and emptied it, said "disk I/O error", and q.db was left no database at all.
    Now the command is refused in one line naming the log, nothing is made at the path, and
    the moved database put back with its log holds every grade. The session's next grade
    said the file "was deleted" and to restore the newest backup: now that it was moved, and
    to move it back."""
    db = tmp_path / "p.db"
    proc = spawn(tmp_path)
    assert proc.stdin is not None and proc.stdout is not None
    for g in (4, 3):
        graded(proc, g)
    log = Path(f"{db}-wal")
    size = log.stat().st_size
    db.rename(tmp_path / "q.db")
    env = {**os.environ, "DLCARDS_DB": str(db), "DLCARDS_CACHE_DIR": str(tmp_path / "cache")}
    done = subprocess.run(
        [sys.executable, "-m", "dlcards", "suspend", "gd-1"],
        env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode != 0 and "Traceback" not in done.stderr, done.stderr
    assert len(done.stderr.strip().splitlines()) == 1 and "p.db-wal" in done.stderr, done.stderr
    backup = next((tmp_path / "backups").glob("p-*.db.gz")).name  # the day's, named to restore
    assert f"`dlcards doctor --restore {backup}`" in done.stderr, done.stderr
    assert not db.exists() and log.stat().st_size == size
    # the session's next grade finds the file moved: it says so, and how to put it back
    _, err = proc.communicate("\n5\nq\n", timeout=30)
    assert proc.returncode == 2 and "Traceback" not in err, err
    assert err.startswith(f"error: database {db} was moved or renamed"), err
    assert f"move it back to {db}" in err, err
    (tmp_path / "q.db").rename(db)
    assert count_reviews(db) == 2


def test_a_database_moved_while_another_program_reads_it_keeps_its_index(
    tmp_path: Path,
) -> None:
    """The same with the log checkpointed and empty, while another program still has the
    moved database open: a new database at the path would share that program's index."""
    db = tmp_path / "p.db"
    env = {**os.environ, "DLCARDS_DB": str(db), "DLCARDS_CACHE_DIR": str(tmp_path / "cache")}

    def dlcards(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "dlcards", *args],
            env=env, capture_output=True, text=True, timeout=60,
        )  # fmt: skip

    assert dlcards("suspend", "gd-2").returncode == 0
    reader = subprocess.Popen(
        [
            sys.executable, "-c",
            "import sqlite3, sys\n"
            "c = sqlite3.connect(sys.argv[1], isolation_level=None)\n"
            "c.execute('SELECT count(*) FROM cards').fetchone()\n"
            "c.execute('PRAGMA wal_checkpoint(TRUNCATE)').fetchone()\n"
            "print('open', flush=True)\n"
            "sys.stdin.read()\n",
            str(db),
        ],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert reader.stdin is not None and reader.stdout is not None
    try:
        assert reader.stdout.readline() == "open\n"
        assert Path(f"{db}-wal").stat().st_size == 0
        db.rename(tmp_path / "q.db")
        done = dlcards("suspend", "gd-1")
        assert done.returncode != 0 and "Traceback" not in done.stderr, done.stderr
        assert "p.db-shm beside it is in use" in done.stderr, done.stderr
        assert not db.exists()
    finally:
        reader.stdin.close()
        reader.wait(timeout=10)


def test_a_database_another_command_makes_meanwhile_is_opened_not_taken_for_an_orphan(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Three `dlcards config new_per_day N` started at once on a new database: about one run
    in fifteen, one was refused "there is no database at p.db, but p.db-shm beside it is in
    use by a program that has the one that was there open (deleted or moved while open)".
    Another had made the database, its log and its index between this one's look at the path
    (nothing there) and its look at the side files. They are that new database's: it is
    opened, and the setting written in it."""
    from dlcards.store import Store, connection

    db = tmp_path / "p.db"
    other: list[Store] = []
    looked = connection.check_side_files
    calls = 0

    def meanwhile(path: Path) -> None:
        nonlocal calls
        calls += 1
        looked(path)
        if calls == 1:  # another dlcards makes the database now, and holds it open
            other.append(Store.open(db))
            other[0].set_meta("who", "other")

    monkeypatch.setattr(connection, "check_side_files", meanwhile)
    try:
        with Store.open(db) as store:
            assert store.get_meta("who") == "other"
            store.set_meta("mine", "1")
    finally:
        for store in other:
            store.close()
    with contextlib.closing(sqlite3.connect(db)) as conn:
        assert dict(conn.execute("SELECT key, value FROM meta WHERE key IN ('who', 'mine')")) == {
            "who": "other",
            "mine": "1",
        }


def test_an_orphaned_log_with_no_backup_is_named_in_one_sentence(tmp_path: Path) -> None:
    """With no backup to restore, the line said "put it back, or or move p.db-wal ..."."""
    from dlcards.errors import StoreError
    from dlcards.store import Store

    db = tmp_path / "p.db"
    with Store.open(db) as held:
        held.set_meta("x", "1")
        for made in (tmp_path / "backups").glob("*"):
            made.unlink()
        db.rename(tmp_path / "q.db")
        with pytest.raises(StoreError) as caught:
            Store.open(db)
    assert str(caught.value).endswith(
        "(deleted or moved while open); put it back, or move p.db-wal and p.db-shm away to "
        "start a new database"
    ), caught.value
    assert not db.exists()


@pytest.mark.parametrize("end", ["quit", "kill"])
def test_a_log_deleted_under_a_session_is_not_mixed_with_another_terminal_log(
    tmp_path: Path, end: str
) -> None:
    """`rm p.db-wal` under `study`: every other command said only "cannot write database
    p.db: disk I/O error" (`doctor --check` too) until the session's next grade; after it,
    `dlcards suspend gd-1` in another terminal, and the session's end: the file was
    "malformed". The session had gone on reading and writing its deleted log through the
    index it shares with the others, who wrote the new one. Now the other command says what
    happened in one line, and the session, once its deleted log is in the file, opens the
    database again on the log at the path: the file is sound with every write."""
    db = tmp_path / "p.db"
    env = {**os.environ, "DLCARDS_DB": str(db), "DLCARDS_CACHE_DIR": str(tmp_path / "cache")}
    proc = spawn(tmp_path)
    assert proc.stdin is not None and proc.stdout is not None

    def suspend(card: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "dlcards", "suspend", card],
            env=env, capture_output=True, text=True, timeout=60,
        )  # fmt: skip

    graded(proc, 4)
    graded(proc, 3)
    Path(f"{db}-wal").unlink()
    refused = suspend("gd-11")
    assert refused.returncode != 0 and "Traceback" not in refused.stderr, refused.stderr
    assert len(refused.stderr.strip().splitlines()) == 1, refused.stderr
    assert "p.db-wal holds fewer commits than its index p.db-shm" in refused.stderr, refused.stderr
    assert "nothing was lost" not in refused.stderr  # an emptied log has lost commits
    graded(proc, 5)
    assert suspend("gd-12").returncode == 0
    graded(proc, 4)
    err = ended(proc, end)
    assert "Traceback" not in err and "corrupt" not in err, err
    with contextlib.closing(sqlite3.connect(db)) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute("SELECT count(*) FROM reviews").fetchone()[0] == 4
        on = conn.execute("SELECT id FROM cards WHERE suspended = 1").fetchall()
        assert on == [("gd-12",)]


def test_an_index_deleted_during_a_write_refuses_its_commit(tmp_path: Path) -> None:
    """The -shm deleted between a write's start and its commit: the commit would have gone
    into the log by the old index, where another terminal's next commit overwrites it. It is
    refused in one line (nothing of it saved), and the next write takes up the new index."""
    from dlcards.errors import StoreError
    from dlcards.store import Store

    db = tmp_path / "p.db"
    store = Store.open(db)
    try:
        store.set_meta("before", "1")
        with pytest.raises(StoreError, match=r"p\.db-shm beside it .* nothing of it was saved"):
            with store._write(("meta",)) as c:
                c.execute("INSERT INTO meta (key, value) VALUES ('during', '1')")
                Path(f"{db}-shm").unlink()
        _write_meta_elsewhere(db, "elsewhere")
        store.set_meta("after", "1")
    finally:
        store.close()
    with contextlib.closing(sqlite3.connect(db)) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        keys = {r[0] for r in conn.execute("SELECT key FROM meta")}
    assert {"before", "elsewhere", "after"} <= keys and "during" not in keys


FIFO_AT_THE_PATH = """
import os, sys
from pathlib import Path
from dlcards.store import Store
db = Path(sys.argv[1])
store = Store.open(db)
store.set_meta("before", "1")
for side in ("", "-wal", "-shm"):
    os.unlink(f"{db}{side}")
os.mkfifo(db)
store.close()
print("closed", flush=True)
"""


def test_a_store_closes_when_its_database_was_replaced_by_a_fifo(tmp_path: Path) -> None:
    """The database deleted with its -wal and -shm, and a FIFO made at its path, while a
    command had it open (`import anki` reading a phone's file, in a torture run): closing the
    store hung for ever. Its index gone, the close has a child process read-lock the file at
    the path first (so that SQLite neither checkpoints nor deletes a log another process may
    share); the child's open() of a FIFO waited for a writer that never came, and the store
    waited for the child. The child opens without blocking now and locks only a regular
    file: the close ends."""
    db = tmp_path / "p.db"
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)}
    proc = subprocess.Popen(
        [sys.executable, "-c", FIFO_AT_THE_PATH, str(db)],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        out, err = proc.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        # the child blocked in open() of the FIFO ends once a writer opens it
        with contextlib.suppress(OSError):
            os.close(os.open(db, os.O_WRONLY | os.O_NONBLOCK))
        proc.kill()
        out, err = proc.communicate()
        pytest.fail("closing the store hung")
    assert proc.returncode == 0 and out == "closed\n", err


_KILLED_IN = {
    # command: (where, name, "wrap": kill once it has run / "fake": kill in its place)
    "config scheduler fsrs": ("dlcards.commands.config", "replay_for", "wrap"),
    "optimize": ("dlcards.optimize", "fit", "fake"),
    "reset --all --yes": ("dlcards.store.Store", "reset", "wrap"),
    "backup": ("dlcards.store.backup", "_compress", "wrap"),
    "doctor": ("dlcards.commands.doctor", "_replay_for", "wrap"),
}


@pytest.fixture(scope="module")
def studied_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder with a database of 3 grades (and the day's backup), made once."""
    folder = tmp_path_factory.mktemp("studied")
    done = subprocess.run(
        [sys.executable, "-m", "dlcards", "study"],
        env={**os.environ, "DLCARDS_DB": str(folder / "p.db"), "DLCARDS_TODAY": "2026-11-26",
             "DLCARDS_CACHE_DIR": str(folder / "cache")},
        input="\n5\n\n4\n\n3\nq\n", capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert _checked(folder / "p.db", folder / "cache").returncode == 0
    return folder


def _run_killed_in(
    command: str,
    db: Path,
    folder: Path,
    target: str,
    name: str,
    before_it: bool,
    extra_env: dict[str, str] | None = None,
    prelude: str = "",
) -> subprocess.CompletedProcess[str]:
    """`dlcards COMMAND --db DB` in a process that SIGTERMs itself in `target`'s method
    `name` (`target`: an expression naming the module or class): in place of it
    (`before_it`) or once it has returned. `prelude`: Python run first (a fake).

    A signal a process sends itself is delivered before `kill` returns, and the main thread
    runs its Python handler at once (`os.kill` checks for one; any next bytecode would). A
    handler that raises ends the method there; one that holds the stop (a save under way)
    returns, and the method goes on to return. The short sleep is only the moment the handler
    needs; it was 5 s, which each stop held slept whole (10 tests, ~50 s of the suite)."""
    body = (
        "    os.kill(os.getpid(), signal.SIGTERM)\n    time.sleep(0.05)\n"
        if before_it
        else "    done = original(*args, **kwargs)\n"
        "    os.kill(os.getpid(), signal.SIGTERM)\n    time.sleep(0.05)\n    return done\n"
    )
    script = (
        "import importlib, os, signal, sys, time\n"
        f"{prelude}"
        f"where = {target}\n"
        f"original = getattr(where, {name!r})\n"
        "def killed_here(*args, **kwargs):\n"
        f"{body}"
        f"setattr(where, {name!r}, killed_here)\n"
        "from dlcards.cli import main\n"
        f"sys.argv = ['dlcards', *{command.split()!r}, '--db', {str(db)!r}]\n"
        "main()\n"
    )
    return subprocess.run(
        [sys.executable, "-c", script],
        env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent),
             "DLCARDS_CACHE_DIR": str(folder / "cache"), "DLCARDS_TODAY": "2026-11-27",
             **(extra_env or {})},
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip


@pytest.mark.skipif(sys.platform == "win32", reason="SIGTERM")
@pytest.mark.parametrize("command", list(_KILLED_IN))
def test_a_kill_of_a_long_writer_ends_it_as_ctrl_c_and_closes_the_database(
    tmp_path: Path, studied_folder: Path, command: str
) -> None:
    """`kill` (SIGTERM) of `config` while it rebuilds, `optimize` while it fits, `reset`,
    `backup` while it compresses its copy, or `doctor` while it checks: each died as SIGKILL
    would (exit -15, not a word), its database left open (its -wal and -shm beside the file:
    a copy of the file alone lacks what they hold), and `backup` left its two temporary
    copies (each as big as the database) in backups/ until the next backup. Each ends as
    Ctrl-C ends it now: exit 143 as a shell reports it, a write under way rolled back, the
    database closed, no temporary file left."""
    import shutil

    folder = tmp_path / "f"
    shutil.copytree(studied_folder, folder)
    db = folder / "p.db"
    before = count_reviews(db)
    where, name, how = _KILLED_IN[command]
    module, _, owner = where.rpartition(".") if where.endswith("Store") else (where, "", "")
    target = f"importlib.import_module({module!r})" + (f".{owner}" if owner else "")
    proc = _run_killed_in(command, db, folder, target, name, before_it=how == "fake")
    assert proc.returncode == 143, (proc.returncode, proc.stderr)  # 128 + SIGTERM
    assert "Traceback" not in proc.stderr, proc.stderr
    assert sorted(p.name for p in folder.iterdir() if p.name.startswith("p.db")) == ["p.db"]
    assert not list(folder.rglob("*.tmp"))  # no temporary copy left
    assert count_reviews(db) == before
    assert _checked(folder / "p.db", folder / "cache").returncode == 0


def _card_flags(db: Path) -> tuple[int, int, bool, int]:
    """perceptron-1's suspended and leech flags, whether it was reset, and the log's size."""
    conn = sqlite3.connect(db, timeout=5)
    try:
        suspended, leech, reset_at = conn.execute(
            "SELECT suspended, leech, reset_at FROM cards WHERE id = 'perceptron-1'"
        ).fetchone()
        reviews = conn.execute("SELECT count(*) FROM reviews").fetchone()[0]
    finally:
        conn.close()
    return int(suspended), int(leech), reset_at is not None, int(reviews)


_ONE_WRITE = {
    # command: (the Store method it writes with, the flags before (set first), the flags
    # once made, the line of a stop before the commit, the line of a stop after it)
    "suspend perceptron-1": (
        "set_suspended", (0, 0, False, 3), (1, 0, False, 3),
        "stopped: nothing was suspended", "stopped: suspended 1 card: perceptron-1 (saved)",
    ),
    "unsuspend perceptron-1": (
        "set_suspended", (1, 0, False, 3), (0, 0, False, 3),
        "stopped: nothing was unsuspended", "stopped: unsuspended 1 card: perceptron-1 (saved)",
    ),
    "unleech perceptron-1": (
        "unleech", (0, 1, False, 3), (0, 0, False, 3),
        "stopped: nothing was unleeched", "stopped: unleeched 1 card: perceptron-1 (saved)",
    ),
    "undo": (
        "undo", (0, 0, False, 3), (0, 0, False, 2),
        "stopped: nothing was undone", "stopped: undid grade 3 on perceptron-3 (given ",
    ),
    "reset --all --yes": (
        "reset", (0, 0, False, 3), (0, 0, True, 3),
        "nothing reset", "stopped: reset 3 of all ",
    ),
}  # fmt: skip


@pytest.mark.skipif(sys.platform == "win32", reason="SIGTERM")
@pytest.mark.parametrize("when", ["before", "after"])
@pytest.mark.parametrize("command", list(_ONE_WRITE))
def test_a_kill_of_a_one_write_command_says_whether_its_change_was_made(
    tmp_path: Path, studied_folder: Path, command: str, when: str
) -> None:
    """`kill` (SIGTERM) of `suspend`, `unsuspend`, `unleech` or `undo` ended each as SIGKILL
    would (exit -15, not a word, the -wal and -shm left beside the file), where every long
    writer ends as Ctrl-C ends it; and `reset --yes` stopped once its write had committed
    ended with exit 143 and not a word, the reset made. Each now ends with exit 143, the
    database closed, and one line saying whether the change was made: killed in place of its
    write, nothing made; killed once the write committed, the change made and said."""
    import shutil

    folder = tmp_path / "f"
    shutil.copytree(studied_folder, folder)
    db = folder / "p.db"
    name, before, made, unsaved, saved = _ONE_WRITE[command]
    conn = sqlite3.connect(db)
    with conn:
        conn.execute(
            "UPDATE cards SET suspended = ?, leech = ? WHERE id = 'perceptron-1'", before[:2]
        )
    conn.close()
    assert _card_flags(db) == before
    proc = _run_killed_in(
        command, db, folder, "importlib.import_module('dlcards.store').Store", name,
        before_it=when == "before", extra_env={"NO_COLOR": "1"},
    )  # fmt: skip
    assert proc.returncode == 143, (proc.returncode, proc.stderr)  # 128 + SIGTERM
    said = [line for line in (proc.stdout + proc.stderr).splitlines() if line.strip()]
    assert len(said) == 1, said
    if when == "before":
        assert said[0] == unsaved, said
    else:
        assert said[0].startswith(saved), said
    assert sorted(p.name for p in folder.iterdir() if p.name.startswith("p.db")) == ["p.db"]
    assert _card_flags(db) == (before if when == "before" else made)
    assert _checked(folder / "p.db", folder / "cache").returncode == 0


def _setting(db: Path, key: str) -> str | None:
    conn = sqlite3.connect(db, timeout=5)
    try:
        row = conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
    finally:
        conn.close()
    return None if row is None else str(row[0])


_FITTED = (
    "import dlcards.optimize as o\n"
    "from dlcards.settings import DEFAULT_FSRS_PARAMETERS as d\n"
    "e = lambda loss: o.Evaluation(loss, 0.05)\n"
    "o.fit = lambda *a, **k: o.Fit(500, 3, e(0.5), None, e(0.4), (*d[:-1], 0.2))\n"
)
"""A fake fit (the optimizer is an optional extra) whose parameters are better than the
default ones."""

_STORE = "importlib.import_module('dlcards.store').Store"
_LONG_WRITE = {
    # command: (target, its method (or one for each moment), the line of a stop in place of
    # it, the line once it returned (a prefix; None: not a word), what is checked of the
    # database after each)
    "config new_per_day 30": (
        _STORE, "change_setting", "stopped: new_per_day was not changed",
        "stopped: new_per_day set to 30 (saved)", ("new_per_day", None, "30"),
    ),
    "config scheduler fsrs": (
        _STORE, "change_setting", "stopped: scheduler was not changed",
        "stopped: scheduler set to fsrs (saved; FSRS rebuilt the state of 3 cards)",
        ("scheduler", None, "fsrs"),
    ),
    "config": (_STORE, "stored_settings", None, None, ("scheduler", None, None)),
    "optimize": (
        "importlib.import_module('dlcards.commands.config')", "change",
        "stopped: nothing was changed (fsrs_parameters as it was)",
        "stopped: the fitted parameters are kept as fsrs_parameters (saved)",
        ("fsrs_parameters", None, "fitted"),
    ),
    "optimize --dry-run": (
        "importlib.import_module('dlcards.optimize')", "fit", None, None,
        ("fsrs_parameters", None, None),
    ),
    "backup": (
        "importlib.import_module('dlcards.store.backup')", ("_gunzip_digest", "_put_in_place"),
        "stopped: no backup was made", "stopped: backed up ", ("manual", 0, 1),
    ),
    "doctor": (
        "importlib.import_module('dlcards.commands.doctor')", "_replay_for",
        "stopped: nothing was repaired (the check did not finish)",
        "stopped: nothing was repaired (the check did not finish)", ("scheduler", None, None),
    ),
    "doctor --check": (
        "importlib.import_module('dlcards.commands.doctor')", "_replay_for", None, None,
        ("scheduler", None, None),
    ),
}  # fmt: skip


@pytest.mark.skipif(sys.platform == "win32", reason="SIGTERM")
@pytest.mark.parametrize("when", ["before", "after"])
@pytest.mark.parametrize("command", list(_LONG_WRITE))
def test_a_kill_of_a_long_writer_says_whether_its_change_was_made(
    tmp_path: Path, studied_folder: Path, command: str, when: str
) -> None:
    """`kill` (SIGTERM) of `config KEY VALUE`, `optimize`, `backup` or `doctor` ended each
    with exit 143 and not a word, its change made or not (`config scheduler sm2` killed once
    its write had committed: switched, nothing said), where `suspend` or `reset` say it. Each
    now says in one line whether its change was made: killed in place of its write, nothing
    made; killed once it committed, the change made and said. What only reads (`config`
    alone, `optimize --dry-run`, `doctor --check`) ends as a killed `ls` does: exit 143, not
    a word."""
    import shutil

    folder = tmp_path / "f"
    shutil.copytree(studied_folder, folder)
    db = folder / "p.db"
    target, names, unsaved, saved, (key, before, made) = _LONG_WRITE[command]
    name = names if isinstance(names, str) else names[when == "after"]
    backups_before = sorted((folder / "backups").iterdir())
    proc = _run_killed_in(
        command, db, folder, target, name, before_it=when == "before",
        extra_env={"NO_COLOR": "1"}, prelude=_FITTED if command.startswith("optimize") else "",
    )  # fmt: skip
    assert proc.returncode == 143, (proc.returncode, proc.stderr)  # 128 + SIGTERM
    said = [line for line in (proc.stdout + proc.stderr).splitlines() if line.strip()]
    line = unsaved if when == "before" else saved
    if line is None:
        assert said == [], said
    else:
        assert len(said) == 1 and said[0].startswith(line), said
    assert sorted(p.name for p in folder.iterdir() if p.name.startswith("p.db")) == ["p.db"]
    assert not list(folder.rglob("*.tmp"))
    if key == "manual":  # one backup made, or none
        new = [p for p in sorted((folder / "backups").iterdir()) if p not in backups_before]
        assert len(new) == (before if when == "before" else made), new
        if new:
            assert str(new[0]) in said[0], said
    else:
        value = _setting(db, key)
        want = before if when == "before" else made
        if want == "fitted":
            assert value is not None and value.endswith(",0.2000"), value
        else:
            assert value == want, value
    assert count_reviews(db) == 3
    assert _checked(folder / "p.db", folder / "cache").returncode == 0


@pytest.mark.skipif(sys.platform == "win32", reason="SIGTERM")
def test_a_kill_of_doctor_while_it_repairs_says_so(tmp_path: Path, studied_folder: Path) -> None:
    """`kill` of `doctor` in its repair of a card whose memory differs from its log: not a
    word was said (exit 143). It now says that it stopped while repairing and to run it again;
    the repair is made whole or not at all, and the next `doctor` makes it."""
    import shutil

    folder = tmp_path / "f"
    shutil.copytree(studied_folder, folder)
    db = folder / "p.db"
    conn = sqlite3.connect(db)
    with conn:
        conn.execute("UPDATE sm2 SET interval = interval + 7 WHERE card_id = 'perceptron-1'")
    conn.close()
    dlcards = _dlcards_in(folder)
    assert _checked(folder / "p.db", folder / "cache").returncode == 1
    proc = _run_killed_in(
        "doctor", db, folder, "importlib.import_module('dlcards.store.doctor')",
        "_write_memories", before_it=True, extra_env={"NO_COLOR": "1"},
    )  # fmt: skip
    assert proc.returncode == 143, (proc.returncode, proc.stderr)
    said = [line for line in (proc.stdout + proc.stderr).splitlines() if line.strip()]
    assert said == [
        "stopped while repairing: each repair is made whole or not at all, after a backup; "
        "run `dlcards doctor` again to finish"
    ], said
    assert sorted(p.name for p in folder.iterdir() if p.name.startswith("p.db")) == ["p.db"]
    assert (
        _checked(folder / "p.db", folder / "cache").returncode == 1
    )  # not made: killed in its place
    assert dlcards("doctor").returncode == 0
    assert _checked(folder / "p.db", folder / "cache").returncode == 0


@pytest.mark.skipif(sys.platform == "win32", reason="SIGTERM")
@pytest.mark.parametrize("dry_run", [False, True])
def test_a_kill_of_an_import_before_its_merge_says_nothing_was_imported(
    tmp_path: Path, studied_folder: Path, dry_run: bool
) -> None:
    """`kill` (SIGTERM) of `import anki` while it read the package ended it with exit 143
    and not a word, where a stop once its merge committed says the import is saved. It now
    says in one line that nothing was imported; a `--dry-run` (which writes nothing) ends as
    a killed `ls` does."""
    import shutil

    folder = tmp_path / "f"
    shutil.copytree(studied_folder, folder)
    db = folder / "p.db"
    package = folder / "out.apkg"
    made = _dlcards_in(folder)("export", "anki", "-o", str(package), "--with-progress")
    assert made.returncode == 0, made.stderr
    command = f"import anki {'-n ' if dry_run else ''}{package}"
    proc = _run_killed_in(
        command, db, folder, "importlib.import_module('dlcards.importers.anki_file')", "read",
        before_it=True, extra_env={"NO_COLOR": "1"},
    )  # fmt: skip
    assert proc.returncode == 143, (proc.returncode, proc.stderr)
    said = [line for line in (proc.stdout + proc.stderr).splitlines() if line.strip()]
    assert said == ([] if dry_run else [f"stopped: nothing was imported from {package}"]), said
    assert sorted(p.name for p in folder.iterdir() if p.name.startswith("p.db")) == ["p.db"]
    assert count_reviews(db) == 3


_KILLED_IN_TEARDOWN = """
import os, signal, sys, time, types

class Late:
    def __del__(self, kill=os.kill, pid=os.getpid(), sleep=time.sleep):
        kill(pid, signal.SIGTERM)  # in the interpreter's teardown: its modules go
        sleep(0.3)

late = types.ModuleType("zz_late")
late.held = Late()
sys.modules["zz_late"] = late
del late
from dlcards.quick import script
sys.argv = ["dlcards", *sys.argv[1:]]
script()
"""


@pytest.mark.skipif(sys.platform == "win32", reason="SIGTERM")
@pytest.mark.parametrize("command", ["backup", "import"])
def test_a_kill_in_the_teardown_of_a_finished_command_is_not_a_death_by_the_signal(
    tmp_path: Path, studied_folder: Path, command: str
) -> None:
    """`kill` (SIGTERM) of `backup` as its last line came (a torture run: 30 of 30) ended it
    as SIGKILL would, exit -15: the interpreter's teardown gives the signals their default
    action back, and a command of the typer app ends through it. The command had done all
    its work; it now ends with its own status (the signal ignored until the process ends;
    blocked, it still ended `import anki`, whose NumPy threads took it)."""
    import shutil

    folder = tmp_path / "f"
    shutil.copytree(studied_folder, folder)
    db = folder / "p.db"
    args = ["backup"]
    if command == "import":
        package = folder / "out.apkg"
        made = _dlcards_in(folder)("export", "anki", "-o", str(package), "--with-progress")
        assert made.returncode == 0, made.stderr
        args = ["import", "anki", str(package)]
    proc = subprocess.run(
        [sys.executable, "-c", _KILLED_IN_TEARDOWN, *args, "--db", str(db)],
        env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent),
             "DLCARDS_CACHE_DIR": str(folder / "cache"), "DLCARDS_TODAY": "2026-11-27",
             "NO_COLOR": "1"},
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert proc.returncode == 0, (proc.returncode, proc.stdout, proc.stderr)
    if command == "backup":
        assert proc.stdout.startswith("backed up ") and "backups of" in proc.stdout, proc.stdout
    else:
        assert proc.stdout.startswith("imported 0 reviews"), proc.stdout
    assert "Traceback" not in proc.stderr, proc.stderr


@pytest.mark.skipif(sys.platform == "win32", reason="SIGTERM")
@pytest.mark.parametrize("before_it", [True, False])
def test_a_kill_of_a_reading_command_in_its_sync_says_whether_the_decks_were_synced(
    tmp_path: Path, studied_folder: Path, before_it: bool
) -> None:
    """`kill` (SIGTERM) of `due` while it synced a deck edit into the database died as
    SIGKILL would: exit -15, not a word, the database left open (its -wal and -shm beside
    it), and no way to know whether the edit was taken in. It ends as a stopped writer
    does: exit 143, one line saying whether the decks' changes were synced (the stop before
    the sync's commit: rolled back; after it: kept), the database closed."""
    import shutil

    folder = tmp_path / "f"
    shutil.copytree(studied_folder, folder)
    db = folder / "p.db"
    decks = folder / "decks"
    decks.mkdir()
    (decks / "extra.yaml").write_text(
        "topic: extra\ntitle: Extra\ncards:\n- id: extra-1\n  question: Q?\n  answer: A.\n",
        encoding="utf-8",
    )
    env = {"DLCARDS_DECKS": str(decks), "NO_COLOR": "1"}
    target = "importlib.import_module('dlcards.store.core').Store"
    proc = _run_killed_in("due", db, folder, target, "sync_decks", before_it, env)
    assert proc.returncode == 143, (proc.returncode, proc.stderr)  # 128 + SIGTERM
    said = [line for line in proc.stderr.splitlines() if line.strip()]
    synced = "were synced into the database" if not before_it else "were not synced"
    assert len(said) == 1 and said[0].startswith("stopped: ") and synced in said[0], said
    assert sorted(p.name for p in folder.iterdir() if p.name.startswith("p.db")) == ["p.db"]
    conn = sqlite3.connect(db)
    try:
        extra = conn.execute("SELECT count(*) FROM cards WHERE id = 'extra-1'").fetchone()[0]
    finally:
        conn.close()
    assert extra == (0 if before_it else 1)
    check = _checked(db, folder / "cache", **env)
    assert check.returncode == 0, check.stdout


@pytest.mark.skipif(sys.platform == "win32", reason="SIGTERM")
def test_a_second_kill_while_a_stopped_session_ends_keeps_its_closing_lines(
    tmp_path: Path, studied_folder: Path
) -> None:
    """A `kill` (SIGTERM) stops a study session as Ctrl-C does, and it ends: its end time,
    its summary, `Interrupted. N grades saved.`. A second `kill` (or the terminal closing)
    while it ended raised again in the middle of that end: the summary and the closing line
    were never said (torture: two SIGTERMs a few milliseconds apart, 4 sessions in 40). The
    session is already stopping: a stop then is noted, and the end is said whole."""
    import shutil

    folder = tmp_path / "f"
    shutil.copytree(studied_folder, folder)
    db = folder / "p.db"
    before = count_reviews(db)
    script = (
        "import os, signal, sys, time\n"
        "import dlcards.commands.study as study\n"
        "from dlcards.session import StudySession\n"
        "grade, end_saved = StudySession.grade, study.end_saved\n"
        "def graded(*args, **kwargs):\n"
        "    done = grade(*args, **kwargs)\n"
        "    os.kill(os.getpid(), signal.SIGTERM)\n"
        "    return done\n"
        "def ending(*args, **kwargs):\n"
        "    os.kill(os.getpid(), signal.SIGTERM)\n"
        "    time.sleep(0.2)\n"
        "    return end_saved(*args, **kwargs)\n"
        "StudySession.grade, study.end_saved = graded, ending\n"
        "from dlcards.quick import script\n"
        f"sys.argv = ['dlcards', 'study', '--db', {str(db)!r}]\n"
        "script()\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", script], input="\n4\n\n5\n",
        env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent),
             "DLCARDS_CACHE_DIR": str(folder / "cache"), "DLCARDS_TODAY": "2026-11-27",
             "NO_COLOR": "1"},
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    said = proc.stdout + proc.stderr
    assert proc.returncode == 143, (proc.returncode, said[-2000:])
    assert "Traceback" not in said, said
    assert "Session summary" in said and "Interrupted. 1 grade saved." in said, said[-2000:]
    assert count_reviews(db) == before + 1
    assert sorted(p.name for p in folder.iterdir() if p.name.startswith("p.db")) == ["p.db"]


@pytest.mark.skipif(sys.platform == "win32", reason="SIGTERM")
@pytest.mark.parametrize("before_it", [True, False])
def test_a_kill_of_an_export_says_whether_the_file_was_written(
    tmp_path: Path, studied_folder: Path, before_it: bool
) -> None:
    """`kill` (SIGTERM) of `export anki -o FILE --force`, FILE an older package: it ended
    with exit 143 and not a word, so the learner could not tell the older package from a
    new one. One line now: before the package is in place, that nothing was exported and
    FILE is as it was; once it is, that it was written."""
    import shutil

    folder = tmp_path / "f"
    shutil.copytree(studied_folder, folder)
    db = folder / "p.db"
    package = folder / "p.apkg"
    package.write_bytes(b"an older package")
    target = "importlib.import_module('dlcards.export')"
    proc = _run_killed_in(
        f"export anki -o {package} --force", db, folder, target, "write_atomic", before_it
    )
    assert proc.returncode == 143, (proc.returncode, proc.stderr)
    said = [line for line in proc.stderr.splitlines() if line.strip()]
    if before_it:
        assert said == [f"stopped: nothing was exported; {package} is as it was"], said
        assert package.read_bytes() == b"an older package"
    else:
        assert said == [f"stopped: wrote {package} (whole)"], said
        assert package.read_bytes()[:2] == b"PK"


READING = [
    ["list"],
    ["list", "--leeches"],
    ["due"],
    ["due", "--count"],
    ["show", "gd-1"],
    ["search", "momentum"],
    ["stats"],
    ["topics"],
    ["export", "text", "-o", "-"],
    ["doctor", "--check"],
]


@pytest.fixture(scope="module")
def written_once(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder with a database a writer (`due`, which makes and syncs it) made and closed:
    the database file alone, no -wal or -shm beside it."""
    folder = tmp_path_factory.mktemp("written")
    assert _dlcards_in(folder)("due").returncode == 0
    assert sorted(p.name for p in folder.iterdir()) == ["cache", "p.db"]
    return folder


@pytest.mark.parametrize("args", READING, ids=" ".join)
def test_a_reading_command_leaves_nothing_beside_the_database(
    tmp_path: Path, written_once: Path, args: list[str]
) -> None:
    """`dlcards list` left an empty p.db-wal and p.db-shm beside the database: it reads the
    marks on a read-only connection (mode=ro), which makes the log and its index but, not
    allowed to write, cannot delete them as the last connection to close does. No reading
    command leaves a file the folder did not have."""
    import shutil

    folder = tmp_path / "f"
    shutil.copytree(written_once, folder)
    done = _dlcards_in(folder)(*args)
    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in folder.iterdir()) == ["cache", "p.db"]


def test_list_after_a_killed_session_leaves_no_file_it_did_not_find(
    tmp_path: Path, killed_session: Path
) -> None:
    """Beside a log a killed session left, `list` reads the marks through it (the grades in
    it count) and leaves no file the folder did not have."""
    import shutil

    folder = tmp_path / "f"
    shutil.copytree(killed_session, folder)
    before = {p.name for p in folder.iterdir()}
    assert {"p.db-wal", "p.db-shm"} <= before
    done = _dlcards_in(folder)("list")
    assert done.returncode == 0 and "gd-1\t" in done.stdout, done.stderr
    assert {p.name for p in folder.iterdir()} <= before
