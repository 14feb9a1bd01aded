"""Reliability under abuse, with real processes (issue 16's proof).

Each scenario runs at two scales: `short` in the default test run (a few seconds each) and
`long` marked `stress` (`pytest -m stress tests/stress`; excluded from the default run). The
figures of a run (tries, failures, reviews lost) are printed and, with DLCARDS_STRESS_REPORT
set to a file, appended to it as JSON lines: the README's "Reliability" section quotes them.

- SIGKILL of `study` at random moments: every grade the screen said was saved is in the log.
- Ctrl-C of `study` at random moments: the count of grades it says it saved is the log's.
- SIGKILL of every other writer (first sync, config scheduler fsrs/sm2, reset, suspend, export
  anki/text/reviews, backup, doctor): the file is intact, no review is lost, every card's
  memory equals the replay of its log once the next command ran, no temp file outlives the
  next export or backup.
- Concurrent terminals grading and undoing: after every round every card's memory equals the
  replay of its log (`doctor --check`) and the log holds exactly the grades not undone.
- Random byte flips: a damaged file is never written to, by the first session of a day or a
  later one; no command shows a traceback or hangs.
- A full disk (a small tmpfs): one line saying so, nothing lost, no -wal/-shm left behind.
- Hostile decks under a memory and CPU limit: one line each, within seconds.
"""

from __future__ import annotations

import json
import os
import random
import re
import select
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import pytest
from helpers import dlcards_process

pytestmark = [
    pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals and limits"),
    pytest.mark.waits,
]

ROOT = Path(__file__).resolve().parents[2]
DAYS = ["2026-11-26", "2026-11-27", "2026-11-29", "2026-12-02", "2026-12-09"]


@dataclass(frozen=True)
class Scale:
    name: str
    study_kills: int
    writer_kills: int
    rounds: int
    terminals: int
    flips: int
    disk_tries: int


SHORT = Scale("short", study_kills=3, writer_kills=3, rounds=2, terminals=3, flips=3, disk_tries=2)
LONG = Scale(
    "long", study_kills=150, writer_kills=200, rounds=40, terminals=4, flips=200, disk_tries=40
)
SCALES = [
    pytest.param(SHORT, id="short"),
    pytest.param(LONG, id="long", marks=pytest.mark.stress),
]


@dataclass
class Tally:
    scenario: str
    scale: str
    tries: int = 0
    failures: int = 0
    reviews_lost: int = 0
    notes: dict[str, Any] = field(default_factory=dict)

    def report(self) -> None:
        line = json.dumps(asdict(self))
        print(f"\nstress: {line}")
        target = os.environ.get("DLCARDS_STRESS_REPORT")
        if target:
            with open(target, "a", encoding="utf-8") as fh:
                fh.write(line + "\n")


# --- processes -----------------------------------------------------------------------------------


def environment(tmp: Path) -> dict[str, str]:
    return {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "DLCARDS_CACHE_DIR": str(tmp / "cache"),
        "DLCARDS_DB": str(tmp / "p.db"),
        "NO_COLOR": "1",
        "COLUMNS": "120",
    }


def run(
    tmp: Path, *args: str, stdin: str = "", timeout: float = 120, limits: Any = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "dlcards", *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=timeout,
        env=environment(tmp),
        cwd=tmp,
        preexec_fn=limits,
    )


def spawn(tmp: Path, *args: str) -> subprocess.Popen[str]:
    return dlcards_process(*args, env=environment(tmp), cwd=tmp)


def clean_error(result: subprocess.CompletedProcess[str]) -> bool:
    """Exit 0, or a non-zero exit with exactly one `error:` line and no traceback."""
    if "Traceback" in result.stderr or "Traceback" in result.stdout:
        return False
    if result.returncode == 0:
        return True
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    errors = [line for line in lines if line.startswith("error: ")]
    return len(errors) == 1


def reviews(db: Path) -> int:
    conn = sqlite3.connect(db, timeout=30)
    try:
        return int(conn.execute("SELECT count(*) FROM reviews").fetchone()[0])
    finally:
        conn.close()


def intact(db: Path) -> bool:
    conn = sqlite3.connect(db, timeout=30)
    try:
        return [r[0] for r in conn.execute("PRAGMA integrity_check")] == ["ok"]
    except UnicodeDecodeError:  # SQLite's message quotes a damaged schema's bytes
        return False
    finally:
        conn.close()


def replay_matches(tmp: Path) -> bool:
    """Every card's memory equals the replay of its log (and the rest of doctor's checks)."""
    result = run(tmp, "doctor", "--check")
    return result.returncode == 0


def study_with_history(tmp: Path, days: Sequence[str] = DAYS[:3], grades: int = 12) -> None:
    """A collection with some history, made the way a learner makes it."""
    rng = random.Random(1)
    for day in days:
        keys = "".join(f"\n{rng.choice('2345')}\n" for _ in range(grades)) + "q\n"
        assert run(tmp, "study", "--today", day, stdin=keys).returncode == 0


@pytest.fixture(scope="session")
def with_history(tmp_path_factory: pytest.TempPathFactory) -> Callable[..., None]:
    """`study_with_history(tmp, grades=...)` made once per test process for each number of
    grades (three study sessions, the first a first sync: ~1.5 s), then copied: the database,
    its backups and the deck cache, as those sessions left them."""
    made: dict[int, Path] = {}

    def put(tmp: Path, grades: int = 12) -> None:
        if grades not in made:
            folder = tmp_path_factory.mktemp(f"history{grades}")
            study_with_history(folder, grades=grades)
            made[grades] = folder
        shutil.copytree(made[grades], tmp, dirs_exist_ok=True)

    return put


# --- SIGKILL of study ----------------------------------------------------------------------------


_UNREAD: dict[int, bytes] = {}
"""What `_read_until` read from a process's output past the line it stopped at, by pid."""


def _read_until(proc: subprocess.Popen[str], marker: str, timeout: float) -> list[str]:
    """Lines of `proc`'s output up to the first holding `marker` (or its end, or `timeout`).
    Read from the pipe's descriptor itself: select() cannot see what a buffered readline has
    already taken from the pipe, and under load a whole screen came in one read, so the
    marker's line sat in Python's buffer while select() waited out the timeout (the test then
    took 16-18 s instead of 2)."""
    assert proc.stdout is not None
    fd = proc.stdout.fileno()
    data = _UNREAD.pop(proc.pid, b"")
    lines: list[str] = []
    deadline = time.monotonic() + timeout
    while True:
        while b"\n" in data:
            line, data = data.split(b"\n", 1)
            lines.append(line.decode("utf-8", "replace") + "\n")
            if marker in lines[-1]:
                _UNREAD[proc.pid] = data
                return lines
        left = deadline - time.monotonic()
        if left <= 0 or not select.select([fd], [], [], left)[0]:
            break
        chunk = os.read(fd, 65536)
        if not chunk:
            break
        data += chunk
    _UNREAD[proc.pid] = data
    return lines


def _rest(proc: subprocess.Popen[str]) -> str:
    """`proc`'s output after what `_read_until` returned, to its end (it was killed)."""
    out, _ = proc.communicate(timeout=30)
    return _UNREAD.pop(proc.pid, b"").decode("utf-8", "replace") + out


@pytest.mark.parametrize("scale", SCALES)
def test_sigkill_of_study_loses_no_saved_grade(tmp_path: Path, scale: Scale) -> None:
    tally = Tally("sigkill study", scale.name)
    rng = random.Random(16)
    db = tmp_path / "p.db"
    assert run(tmp_path, "due").returncode == 0
    for i in range(scale.study_kills):
        tally.tries += 1
        before = reviews(db)
        proc = spawn(tmp_path, "study", "--today", DAYS[i % len(DAYS)])
        assert proc.stdin is not None
        printed = sent = 0
        try:
            for _ in range(rng.randint(0, 5)):
                proc.stdin.write(f"\n{rng.choice('012345')}\n")
                proc.stdin.flush()
                sent += 1
                got = _read_until(proc, "saved:", 15)
                printed += sum("saved:" in line for line in got)
                if not got or "Nothing to study" in "".join(got):
                    break
            proc.stdin.write(f"\n{rng.choice('345')}\n")
            proc.stdin.flush()
            sent += 1
            time.sleep(rng.uniform(0, 0.05))
        except BrokenPipeError:
            pass
        proc.send_signal(signal.SIGKILL)
        out = _rest(proc)
        printed += out.count("saved:")
        added = reviews(db) - before
        lost = max(0, printed - added)
        tally.reviews_lost += lost
        # lost: a grade the screen called saved is not in the log; more rows than grades sent:
        # a grade saved twice (a grade sent but not yet shown as saved may or may not be there)
        if lost or added > sent or not intact(db):
            tally.failures += 1
            tally.notes.setdefault("failed", []).append([i, sent, printed, added])
    if not replay_matches(tmp_path):
        tally.failures += 1
    tally.notes["reviews"] = reviews(db)
    tally.report()
    assert tally.failures == 0 and tally.reviews_lost == 0


@pytest.mark.parametrize("scale", SCALES)
def test_ctrl_c_of_study_says_the_count_the_log_holds(tmp_path: Path, scale: Scale) -> None:
    """Ctrl-C (SIGINT) at random moments, many of them while a grade is being written: the
    session's closing line says how many grades it saved, and the log holds exactly that
    many of its grades (a Ctrl-C just after a commit once said 0 of 1)."""
    tally = Tally("ctrl-c study", scale.name)
    rng = random.Random(61)
    db = tmp_path / "p.db"
    assert run(tmp_path, "due").returncode == 0
    interrupted = 0
    for i in range(scale.study_kills):
        tally.tries += 1
        before = reviews(db)
        # SIGINT's default action, as in a terminal's foreground job (a test run in the
        # background of a non-interactive shell would hand its children SIG_IGN)
        proc = dlcards_process(
            "study",
            "--today",
            DAYS[i % len(DAYS)],
            env=environment(tmp_path),
            cwd=tmp_path,
            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
        )
        assert proc.stdin is not None
        shown = _read_until(proc, "card 1 of", 15)
        try:
            for _ in range(rng.randint(0, 4)):
                proc.stdin.write(f"\n{rng.choice('012345')}\n")
                proc.stdin.flush()
                got = _read_until(proc, "saved:", 15)
                shown += got
                if not got:
                    break
            proc.stdin.write(f"\n{rng.choice('012345')}\n")  # Ctrl-C while it is saved
            proc.stdin.flush()
            time.sleep(rng.uniform(0, 0.03))
        except BrokenPipeError:
            pass
        proc.send_signal(signal.SIGINT)  # stdin stays open, as a terminal's does
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:  # landed before a read() began: a second Ctrl-C
            proc.send_signal(signal.SIGINT)
        out = "".join(shown) + _rest(proc)
        added = reviews(db) - before
        interrupted += proc.returncode == 130
        # "Interrupted. 1 grade saved.", or a session that ended first: "Session complete. ..."
        closing = re.findall(r"^[A-Z][a-z ]+\. (\d+) grades? .*saved", out, re.M)
        count = int(closing[-1]) if closing else 0 if "Nothing to study" in out else -1
        tally.reviews_lost += max(0, count - added)
        if count != added or not intact(db):
            tally.failures += 1
            tally.notes.setdefault("failed", []).append([i, count, added, out[-300:]])
    if not replay_matches(tmp_path):
        tally.failures += 1
    tally.notes["reviews"] = reviews(db)
    tally.notes["interrupted"] = interrupted
    tally.report()
    assert tally.failures == 0 and tally.reviews_lost == 0


# --- SIGKILL of every writer ----------------------------------------------------------------

WRITERS: list[list[str]] = [
    ["due"],  # the first sync when the database is new
    ["config", "scheduler", "fsrs"],
    ["config", "scheduler", "sm2"],
    ["config", "desired_retention", "0.85"],
    ["reset", "perceptron-1", "--yes"],
    ["reset", "--all", "--yes"],
    ["suspend", "mlp-1"],
    ["unsuspend", "mlp-1"],
    ["export", "anki", "--with-progress", "-o", "out/deck.apkg", "--force"],
    ["export", "text", "-o", "out/deck.txt", "--force"],
    ["export", "reviews", "-o", "out/log.csv", "--force"],
    ["backup"],
    ["doctor"],
]


def _export_complete(tmp: Path) -> bool:
    import zipfile

    apkg = tmp / "out" / "deck.apkg"
    if apkg.exists():
        try:
            with zipfile.ZipFile(apkg) as z:
                if z.testzip() is not None:
                    return False
        except zipfile.BadZipFile:
            return False
    log = tmp / "out" / "log.csv"
    return not log.exists() or log.read_text().endswith("\n")


@pytest.mark.parametrize("scale", SCALES)
def test_sigkill_of_every_writer_keeps_the_database_whole(
    tmp_path: Path, scale: Scale, with_history: Callable[..., None]
) -> None:
    tally = Tally("sigkill writers", scale.name)
    rng = random.Random(61)
    db = tmp_path / "p.db"
    (tmp_path / "out").mkdir()
    with_history(tmp_path)
    for i in range(scale.writer_kills):
        args = list(WRITERS[i % len(WRITERS)] if i < len(WRITERS) else rng.choice(WRITERS))
        fresh = args == ["due"] and rng.random() < 0.5
        work = tmp_path / "fresh" if fresh else tmp_path
        if fresh:
            shutil.rmtree(work, ignore_errors=True)
            work.mkdir()
        before = reviews(db)
        tally.tries += 1
        proc = spawn(work, *args)
        time.sleep(rng.uniform(0, 1.2))
        proc.send_signal(signal.SIGKILL)
        proc.communicate(timeout=30)
        if fresh:
            ok = run(work, "due").returncode == 0 and replay_matches(work)
            tally.failures += not ok
            continue
        settle = run(tmp_path, "due")  # the next command (finishes a rebuild a kill cut short)
        lost = max(0, before - reviews(db))
        tally.reviews_lost += lost
        if settle.returncode or lost or not intact(db) or not replay_matches(tmp_path):
            tally.failures += 1
            tally.notes.setdefault("failed", []).append(args)
        if not _export_complete(tmp_path):
            tally.failures += 1
            tally.notes.setdefault("partial export", []).append(args)
    # the next export and backup remove what the killed ones left
    assert run(tmp_path, "export", "text", "-o", "out/deck.txt", "--force").returncode == 0
    assert run(tmp_path, "backup").returncode == 0
    leftovers = [p.name for d in (tmp_path / "out", tmp_path / "backups") for p in d.iterdir()]
    leftovers = [name for name in leftovers if name.endswith(".tmp")]
    tally.notes["temp files left"] = len(leftovers)
    tally.failures += bool(leftovers)
    tally.report()
    assert tally.failures == 0 and tally.reviews_lost == 0, tally


# --- concurrent terminals with undos -----------------------------------------------------------


@pytest.mark.parametrize("scale", SCALES)
def test_concurrent_terminals_with_undos_keep_every_card_equal_to_its_log(
    tmp_path: Path, scale: Scale
) -> None:
    tally = Tally("concurrent terminals with undos", scale.name)
    rng = random.Random(6)
    db = tmp_path / "p.db"
    assert run(tmp_path, "due").returncode == 0
    expected = 0
    for round_ in range(scale.rounds):
        if round_ == scale.rounds // 2:
            assert run(tmp_path, "config", "scheduler", "fsrs").returncode == 0
        procs = []
        for _ in range(scale.terminals):
            keys = []
            for _ in range(rng.randint(3, 10)):
                keys.append("u" if rng.random() < 0.15 else f"\n{rng.choice('012345')}")
            procs.append(
                (spawn(tmp_path, "study", "--today", rng.choice(DAYS)), "\n".join(keys) + "\nq\n")
            )
        # a setting changed in another terminal while the sessions grade (torture run 1: a
        # session kept the scheduler it began with, and its grades left FSRS states empty)
        change = None
        if round_ % 3 == 1:
            setting = rng.choice(
                [("scheduler", "fsrs"), ("scheduler", "sm2"), ("desired_retention", "0.85"),
                 ("desired_retention", "0.9"), ("desired_retention", "0.95")]
            )  # fmt: skip
            change = spawn(tmp_path, "config", *setting)
        for proc, keys in procs:
            assert proc.stdin is not None
            proc.stdin.write(keys)
            proc.stdin.close()
            proc.stdin = None  # (communicate below flushes an open one: 3.13.0 fails on it)
        if change is not None:
            said, _ = change.communicate(timeout=120)
            tally.tries += 1
            if change.returncode:
                tally.failures += 1
                tally.notes.setdefault("config", []).append(said.strip()[-200:])
        for proc, _ in procs:
            out, err = proc.communicate(timeout=120)
            tally.tries += 1
            if proc.returncode or "Traceback" in err:
                tally.failures += 1
                tally.notes.setdefault("errors", []).append(err.strip()[-200:])
            expected += out.count("saved:") - out.count("undid grade")
        have = reviews(db)
        tally.reviews_lost += max(0, expected - have)
        doctor = run(tmp_path, "doctor", "--check")
        if have != expected or doctor.returncode:
            tally.failures += 1
            problems = [line for line in doctor.stdout.splitlines() if "problem" in line]
            tally.notes.setdefault("rounds", []).append([round_, have, expected, problems])
            expected = have
    tally.notes["reviews"] = reviews(db)
    tally.report()
    assert tally.failures == 0 and tally.reviews_lost == 0, tally


# --- random byte flips -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "first_of_day",
    [
        pytest.param(True, id="first-of-day"),
        pytest.param(False, id="same-day"),
    ],
)
@pytest.mark.parametrize("scale", SCALES)
def test_byte_flips_are_caught_before_the_first_write_of_a_day(
    tmp_path: Path, scale: Scale, first_of_day: bool, with_history: Callable[..., None]
) -> None:
    """No session writes into a damaged file: the first of a day runs the full check with its
    backup; a later one the same day checks the session tables at once and the whole file in
    the background, which the first grade waits for. Every command fails cleanly or not at
    all."""
    tally = Tally(
        f"byte flips ({'first' if first_of_day else 'later'} session of a day)", scale.name
    )
    rng = random.Random(40)
    base = tmp_path / "base"
    base.mkdir()
    with_history(base, grades=20)
    conn = sqlite3.connect(base / "p.db")
    if first_of_day:
        conn.execute("DELETE FROM meta WHERE key = 'integrity_checked'")  # a new day
    conn.commit()
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    pristine = (base / "p.db").read_bytes()
    damaged = caught = written_into_damaged = 0
    work = tmp_path / "w"
    for _ in range(scale.flips):
        tally.tries += 1
        shutil.rmtree(work, ignore_errors=True)
        work.mkdir()
        shutil.copytree(base / "cache", work / "cache")
        data = bytearray(pristine)
        at = rng.randrange(len(data))
        data[at] ^= 1 << rng.randrange(8)
        (work / "p.db").write_bytes(bytes(data))
        try:
            bad = not intact(work / "p.db")
        except sqlite3.DatabaseError:
            bad = True
        damaged += bad
        before = (work / "p.db").read_bytes()
        for args in (["stats", "--today", DAYS[3]], ["export", "reviews"]):
            if not clean_error(run(work, *args, timeout=60)):
                tally.failures += 1
                tally.notes.setdefault("unclean", []).append([args[0], at])
        result = run(work, "study", "--today", DAYS[3], stdin="\n4\n\n5\nq\n", timeout=60)
        if not clean_error(result):
            tally.failures += 1
            tally.notes.setdefault("unclean", []).append(["study", at])
        wrote = (work / "p.db").read_bytes() != before or (
            (work / "p.db-wal").exists() and (work / "p.db-wal").stat().st_size > 0
        )
        if bad and result.returncode:
            caught += 1
        if bad and wrote and result.returncode == 0:
            written_into_damaged += 1
    tally.failures += written_into_damaged
    tally.notes.update(
        damaged=damaged, caught_before_writing=caught, written_into_damaged=written_into_damaged
    )
    tally.report()
    assert tally.failures == 0, tally


# --- a full disk -----------------------------------------------------------------------------


def _mount_tmpfs(where: Path, size_kb: int) -> bool:
    if sys.platform != "linux" or os.geteuid() != 0:
        return False
    where.mkdir(exist_ok=True)
    return (
        subprocess.run(
            ["mount", "-t", "tmpfs", "-o", f"size={size_kb}k", "tmpfs", str(where)],
            capture_output=True,
        ).returncode
        == 0
    )


def _fill(where: Path, leave: int) -> None:
    """Fill the file system but `leave` bytes."""
    st = os.statvfs(where)
    free = st.f_bavail * st.f_frsize - leave
    fd = os.open(where / "filler", os.O_WRONLY | os.O_CREAT | os.O_APPEND)
    try:
        while free > 0:
            n = os.write(fd, b"\x00" * min(free, 1 << 16))
            free -= n
    except OSError:
        pass
    finally:
        os.close(fd)


@pytest.mark.parametrize("scale", SCALES)
def test_a_full_disk_says_so_and_loses_nothing(
    tmp_path: Path, scale: Scale, with_history: Callable[..., None]
) -> None:
    tally = Tally("full disk", scale.name)
    rng = random.Random(9)
    seed = tmp_path / "seed"
    seed.mkdir()
    with_history(seed)
    mnt = tmp_path / "mnt"
    size = (seed / "p.db").stat().st_size // 1024 + 400
    if not _mount_tmpfs(mnt, size):
        pytest.skip("cannot mount a small tmpfs here")
    try:
        for _ in range(scale.disk_tries):
            tally.tries += 1
            for p in mnt.iterdir():
                shutil.rmtree(p) if p.is_dir() else p.unlink()
            shutil.copy(seed / "p.db", mnt / "p.db")
            shutil.copytree(seed / "cache", mnt / "cache")
            before = reviews(mnt / "p.db")
            _fill(mnt, rng.choice([0, 4096, 16384, 65536, 200_000]))
            listing = sorted(p.name for p in mnt.iterdir())
            for args in (["stats", "--today", DAYS[3]], ["export", "reviews"]):
                result = run(mnt, *args)
                if not clean_error(result):
                    tally.failures += 1
                if result.returncode and "disk is full" not in result.stderr:
                    tally.failures += 1
                    tally.notes.setdefault("message", []).append(result.stderr.strip())
                if sorted(p.name for p in mnt.iterdir()) != listing:
                    tally.failures += 1
                    tally.notes.setdefault("left behind", []).append(
                        sorted({p.name for p in mnt.iterdir()} - set(listing))
                    )
            keys = "".join(f"\n{rng.choice('345')}\n" for _ in range(6)) + "q\n"
            result = run(mnt, "study", "--today", DAYS[3], stdin=keys)
            printed = result.stdout.count("saved:")
            if not clean_error(result) or (
                result.returncode and "disk is full" not in result.stderr
            ):
                tally.failures += 1
                tally.notes.setdefault("message", []).append(result.stderr.strip()[-200:])
            (mnt / "filler").unlink()
            after = reviews(mnt / "p.db")
            lost = max(0, before + printed - after)
            tally.reviews_lost += lost
            if lost or not intact(mnt / "p.db"):
                tally.failures += 1
            tally.notes["refused"] = tally.notes.get("refused", 0) + bool(result.returncode)
    finally:
        subprocess.run(["umount", "-l", str(mnt)], capture_output=True)
    tally.report()
    assert tally.failures == 0 and tally.reviews_lost == 0, tally


# --- hostile decks under a memory and time limit -----------------------------------------------


def _limits() -> None:
    import resource

    resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30))
    resource.setrlimit(resource.RLIMIT_CPU, (30, 30))


VALID_HOSTILE = ("2.5 million empty lines",)
"""Hostile in size, yet a valid deck: 2.5 MB, refused while decks were bounded at 2 MB, under
the 32 MB bound since (`yamlload.MAX_DECK_BYTES`, for a 70,000-card file)."""


def hostile_decks() -> dict[str, bytes]:
    head = "topic: evil\ntitle: Evil\ncards:\n  - id: evil-1\n    question: q\n    answer: a\n"
    bomb = "".join(
        f"    x{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9) if i else 'lol'}]\n" for i in range(10)
    )
    return {
        "alias bomb": (head + bomb).encode(),
        "alias bomb as a label": (
            "a0: &a0 [x, x, x, x, x, x, x, x, x]\n"
            + "".join(f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]\n" for i in range(1, 10))
            + head
            + "    compute: {fn: huber, label: *a9}\n"
        ).encode(),
        "merge key": (head + "    compute: &c {fn: huber}\n  - <<: *c\n    id: evil-2\n").encode(),
        "5,000-digit argument": (
            head + f"    compute: {{fn: huber, args: {{error: {'7' * 5000}}}}}\n"
        ).encode(),
        "5,000-digit claim": (head + f"    compute: {{fn: huber, claim: {'1' * 5000}}}\n").encode(),
        "deep nesting": (head + "    tags: " + "[" * 950 + "]" * 950 + "\n").encode(),
        "deep mappings": (head + "    source: " + "{a: " * 900 + "1" + "}" * 900 + "\n").encode(),
        "33 MB file": (head + "# " + "x" * (33 << 20) + "\n").encode(),
        "binary garbage": bytes(random.Random(3).randrange(256) for _ in range(20000)),
        "NUL in an id": head.replace("evil-1", "ev\x00il").encode(),
        "newline in an id": head.replace("id: evil-1", 'id: "evil\\n-1"').encode(),
        "invalid UTF-8": head.encode() + b"    source: \xff\xfe\n",
        "python tag": (head + "    source: !!python/object/apply:os.system ['true']\n").encode(),
        "2.5 million empty lines": ("\n" * 2_500_000 + head).encode(),
    }


@pytest.mark.parametrize("scale", SCALES)
def test_hostile_decks_fail_in_one_line_within_limits(tmp_path: Path, scale: Scale) -> None:
    tally = Tally("hostile decks", scale.name)
    decks = hostile_decks()
    if scale is SHORT:  # the worst few, through one command
        keep = ("alias bomb as a label", "5,000-digit argument", "deep nesting", "33 MB file")
        decks = {name: data for name, data in decks.items() if name in keep}
    rounds = 1 if scale is SHORT else 3
    slowest = 0.0
    for _ in range(rounds):
        for name, data in decks.items():
            folder = tmp_path / "decks"
            shutil.rmtree(folder, ignore_errors=True)
            folder.mkdir()
            (folder / "evil.yaml").write_bytes(data)
            for command in (["check"], ["due"]) if scale is LONG else (["check"],):
                tally.tries += 1
                started = time.monotonic()
                try:
                    result = run(
                        tmp_path, *command, "--decks", str(folder), timeout=60, limits=_limits
                    )
                except subprocess.TimeoutExpired:
                    tally.failures += 1
                    tally.notes.setdefault("hung", []).append(name)
                    continue
                slowest = max(slowest, time.monotonic() - started)
                if name in VALID_HOSTILE:  # read as any deck, within the same limits
                    one_line = result.returncode == 0 and not result.stderr
                else:
                    one_line = (
                        result.returncode == 2
                        and result.stderr.count("\n") == 1
                        and result.stderr.startswith("error: ")
                        and "evil.yaml" in result.stderr
                    )
                if not one_line:
                    tally.failures += 1
                    tally.notes.setdefault("not one line", []).append(
                        [name, command[0], result.returncode, result.stderr[-300:]]
                    )
    for kind in ("fifo", "loop"):
        folder = tmp_path / "decks"
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir()
        if kind == "fifo":
            os.mkfifo(folder / "pipe.yaml")
        else:
            (folder / "loop.yaml").symlink_to(folder / "loop.yaml")
        tally.tries += 1
        result = run(tmp_path, "check", "--decks", str(folder), timeout=60, limits=_limits)
        if result.returncode != 2 or result.stderr.count("\n") != 1:
            tally.failures += 1
    tally.notes["slowest_s"] = round(slowest, 2)
    tally.report()
    assert tally.failures == 0, tally


@pytest.mark.stress
def test_the_torture_of_every_writer_keeps_what_the_readme_promises(tmp_path: Path) -> None:
    """`bench/torture.py` at a small scale: one to three of study, quiz, suspend, unsuspend,
    unleech, reset, undo, config, optimize, a sync after a deck edit, export and import of a
    package, backup and doctor at once, a third of them killed (SIGKILL, SIGTERM, SIGHUP) at
    a random moment; after every round doctor finds nothing wrong (every card equals the
    replay of its log), every grade a study said it saved is in the log once, and no output
    holds a traceback. The long run: `python bench/torture.py --rounds 1000`."""
    rounds = os.environ.get("DLCARDS_TORTURE_ROUNDS", "40")
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "torture.py"), "--rounds", rounds,
         "--work", str(tmp_path / "work"), "--seed", str(random.randrange(1 << 30))],
        capture_output=True, text=True, timeout=3600,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
