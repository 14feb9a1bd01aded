"""Test helpers: grade, undo and read a store the way the study session does."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from datetime import date, datetime, timezone
from functools import cache
from pathlib import Path

import pytest

from dlcards.commands.config import change
from dlcards.fsrs_sched import FsrsState
from dlcards.grading import LeechRule, Outcome, decide, redecider
from dlcards.memory import Memory
from dlcards.scheduling import Schedule
from dlcards.settings import Settings
from dlcards.sm2 import Grade, State
from dlcards.store import ReviewRow, Store

NOW = datetime(2026, 11, 26, 9, 0, tzinfo=timezone.utc)


def sched(store: Store) -> Schedule:
    return Schedule.from_settings(store.settings())


def replay_for(settings: Settings) -> Callable[..., object]:
    """What `Store.rebuild_all` and `import_reviews` take: the settings' replay."""
    return Schedule.from_settings(settings).replay


def merge_rules(many: bool = False, spy: Callable[[object], None] | None = None) -> object:
    """What `Store.merge_reviews` takes, as `dlcards import anki` gives it
    (`grading.merge_rules`); without `many`, every card decided one by one; `spy` sees each
    at-once result."""
    from dlcards.grading import merge_rules as rules_of

    def rules(settings: Settings) -> tuple[object, object]:
        one, at_once = rules_of(settings)

        def seen(starts: object, days: object, grades: object) -> object:
            out = at_once(starts, days, grades)
            if spy is not None:
                spy(out)
            return out

        return one, (seen if many else None)

    return rules


def grade(
    store: Store,
    card_id: str,
    g: int,
    day: date,
    now: datetime = NOW,
    redrill: bool = False,
    **kw: object,
) -> ReviewRow:
    """Grade `card_id` `g` on `day` as a study session does: the scheduler and the leech rule
    (`leech_threshold`, `leech_action`) are the settings read inside the grade's transaction."""

    def decided(memory: Memory, settings: Settings) -> Outcome:
        schedule = Schedule.from_settings(settings)
        return decide(memory, Grade(g), day, schedule, redrill, LeechRule.from_settings(settings))

    return store.grade(
        card_id,
        decided,
        now,
        asked=redrill,  # a session's re-drill: it asked for one
        **kw,  # type: ignore[arg-type]
    )


def undo(store: Store, review_id: int) -> ReviewRow | None:
    def rules(settings: Settings) -> tuple[object, object]:
        s = Schedule.from_settings(settings)
        return s.replay, redecider(s, settings)

    return store.undo(review_id, rules)  # type: ignore[arg-type]


def set_scheduler(store: Store, name: str, retention: float | None = None) -> int:
    rebuilt = None
    if retention is not None:
        _, rebuilt = change(store, "desired_retention", str(retention))
    _, switched = change(store, "scheduler", name)
    return switched if switched is not None else (rebuilt or 0)


def state(store: Store, card_id: str) -> State:
    return store.memory(card_id).sm2


def fsrs_state(store: Store, card_id: str) -> FsrsState:
    return store.memory(card_id).fsrs


def due_ids(store: Store, day: date) -> list[str]:
    return store.due_ids(day, sched(store).name)


def new_ids(store: Store) -> list[str]:
    return store.new_ids(sched(store).name)


def terminal_of(monkeypatch: pytest.MonkeyPatch, columns: int, dumb: bool = False) -> None:
    """Standard output taken for a terminal of `columns` (rich's TTY_COMPATIBLE, though
    CliRunner captures it), a `dumb` one (no colour, no cursor moves) if asked: the console
    made anew for it (`console.out`)."""
    from dlcards.console import out

    monkeypatch.setenv("TTY_COMPATIBLE", "1")
    monkeypatch.setenv("COLUMNS", str(columns))
    if dumb:
        monkeypatch.setenv("TERM", "dumb")
    out.cache_clear()


@contextmanager
def ascii_terminal(monkeypatch: pytest.MonkeyPatch, columns: int) -> Iterator[io.BytesIO]:
    """In the block, standard output is a terminal of `columns` that shows ASCII alone (no
    colour), prepared as dlcards prepares it (`stdio.prepare`, a console made anew); yields
    the bytes written to it, whole once the block has ended."""
    from dlcards import stdio
    from dlcards.console import out

    raw = io.BytesIO()
    stream = io.TextIOWrapper(raw, encoding="ascii")
    monkeypatch.setattr(sys, "stdout", stream)
    monkeypatch.setenv("COLUMNS", str(columns))
    monkeypatch.setenv("TTY_COMPATIBLE", "1")
    monkeypatch.setenv("NO_COLOR", "1")
    stdio.prepare()
    out.cache_clear()
    try:
        yield raw
    finally:
        out().file.flush()  # the console's stream (what `prepare` made of standard output)
        stream.flush()
        out.cache_clear()


def settled(*paths: Path) -> None:
    """Deck files as if saved a minute ago: one modified within the clock's last tick may be
    modified again unseen (`prompt.file_version`), so dlcards reads it again at each look;
    a test of what dlcards keeps between looks (the deck cache, the prompt's count) first lets
    the files it just wrote settle."""
    from dlcards.prompt import RACY_NS

    changed = 0
    for path in paths:
        st = path.stat()
        os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns - 60 * 10**9))
        changed = max(changed, path.stat().st_ctime_ns)
    # and the change that made it so out of the clock's last tick too (a copy that keeps its
    # times is dated by its change time): a few milliseconds
    left = changed + RACY_NS - time.time_ns()
    if left > 0:
        time.sleep(left / 1e9 + 0.001)


@cache
def shipped() -> tuple[int, int]:
    """(cards, topics) of the built-in decks, counted from the deck files themselves: the
    counts are asserted in one place only (tests/test_seed_transcription.py)."""
    import os

    from dlcards.catalog import load_catalog

    user_decks = os.environ.pop("DLCARDS_DECKS", None)
    try:
        catalog = load_catalog(use_cache=False)
    finally:
        if user_decks is not None:
            os.environ["DLCARDS_DECKS"] = user_decks
    return len(catalog.cards), len(catalog.decks)


def import_log(log: dict[str, list[tuple[date, int]]], stamp: datetime) -> None:
    """Put `log` (card id -> scheduled (day, grade)s) into the test database as dlcards would
    have written it under SM-2, after syncing the decks: each grade decided as `grade` decides
    it, by the leech rule of the database's settings too (`leech_threshold`, `leech_action`):
    the grade that makes a card a leech fires its action in the log, and the card is marked a
    leech (and suspended, when the action is to suspend) at `stamp`, as a session leaves it."""
    from typer.testing import CliRunner

    from dlcards.cli import app
    from dlcards.scheduling import Sm2

    assert CliRunner().invoke(app, ["due"]).exit_code == 0
    with Store.open(Path(os.environ["DLCARDS_DB"])) as store:
        rule = LeechRule.from_settings(store.settings())
    rows = []
    leeches: dict[str, str] = {}  # card -> the last leech action its grades fired
    for card_id, history in log.items():
        memory = Memory()
        for day, grade in history:
            outcome = decide(memory, Grade(grade), day, Sm2(), leech=rule)
            rows.append(
                ReviewRow(
                    0,
                    card_id,
                    outcome.kind,
                    grade,
                    day,
                    stamp.isoformat(),
                    memory,
                    outcome.after,
                    leech=outcome.leech,
                )
            )
            if outcome.leech is not None:
                leeches[card_id] = outcome.leech
            memory = outcome.after
    with Store.open(Path(os.environ["DLCARDS_DB"])) as store:
        store.import_reviews(rows)
        with store.conn:
            store.conn.executemany(
                "UPDATE cards SET leech = 1 WHERE id = ?", [(cid,) for cid in leeches]
            )
        store.set_suspended(
            [c for c, action in leeches.items() if action == "suspend"], True, stamp
        )


ANKI_ZONE_SECONDS = 1.05
"""Anki's Rust clock (chrono's `Local`) reads the time zone again at most once a second, per
thread: a collection made, or a day counted, within a second of a change of TZ is in the zone
before it. So `export anki`'s test, run just after the Kolkata module in one worker, got a
collection whose day started at 04:00 in Kolkata, and between 22:30 and 04:00 UTC its cards
came a day early (a failure that depended on the time of day of the run)."""


def _anki_waits_for_the_zone() -> None:
    """After a change of TZ, Anki's next call waits until its clock reads the zone again
    (ANKI_ZONE_SECONDS after the change): every call goes through `RustBackend._run_command`,
    wrapped once, when Anki is loaded (before, its first read is of the zone then). The time
    of the change is kept on that class: this module may be loaded under two names."""
    import time

    backend = sys.modules.get("anki._backend")
    if backend is None:
        return
    cls = backend.RustBackend
    run = cls._run_command
    if not getattr(run, "waits_for_the_zone", False):

        def waiting(self: object, service: int, method: int, message: bytes) -> bytes:
            changed = cls.__dict__.get("zone_changed_at")
            if changed is not None:
                cls.zone_changed_at = None
                left = changed + ANKI_ZONE_SECONDS - time.monotonic()
                if left > 0:
                    time.sleep(left)
            return run(self, service, method, message)

        waiting.waits_for_the_zone = True  # type: ignore[attr-defined]
        cls._run_command = waiting
    cls.zone_changed_at = time.monotonic()


@contextmanager
def time_zone(name: str) -> Iterator[None]:
    """Run with the process's local time zone set to `name`, then restore it; Anki's next call
    after each change waits for its clock to read the zone (`_anki_waits_for_the_zone`)."""
    import os
    import time

    old = os.environ.get("TZ")
    os.environ["TZ"] = name
    time.tzset()
    _anki_waits_for_the_zone()
    try:
        yield
    finally:
        if old is None:
            os.environ.pop("TZ", None)
        else:
            os.environ["TZ"] = old
        time.tzset()
        _anki_waits_for_the_zone()


# --- what a command prints, without and with rich (tests/test_lite.py, test_litecard.py) ------

ENV_KEYS = ("TTY_COMPATIBLE", "FORCE_COLOR", "TERM", "COLORTERM", "NO_COLOR", "COLUMNS", "LINES")


class Stdout(io.StringIO):
    """stdout as a terminal (`tty`) or a pipe, of the given encoding (None: a StringIO's)."""

    def __init__(self, tty: bool, encoding: str | None = None) -> None:
        super().__init__()
        self.tty, self._encoding = tty, encoding

    def isatty(self) -> bool:
        return self.tty

    @property
    def encoding(self) -> str | None:  # type: ignore[override]
        return self._encoding


def printed(
    monkeypatch: pytest.MonkeyPatch,
    env: Mapping[str, str | None],
    tty: bool,
    sizes: tuple[int | None, ...] | None,
    show: Callable[[], object],
    encoding: str | None = None,
) -> str:
    """What `show()` writes to stdout in the environment `env` (the variables rich reads; None
    unset), to a terminal or a pipe, with these terminal sizes for stdin, stdout and stderr
    (None in it: not a terminal; None: left as they are)."""
    from dlcards import console

    for key in ENV_KEYS:
        monkeypatch.delenv(key, raising=False)
    for key, value in env.items():
        if value is not None:
            monkeypatch.setenv(key, value)
    if sizes is not None:
        given = sizes

        def terminal_size(fd: int = 1) -> os.terminal_size:
            size = given[fd]
            if size is None:
                raise OSError(25, "Inappropriate ioctl for device")
            return os.terminal_size((size, 30))

        monkeypatch.setattr(os, "get_terminal_size", terminal_size)
    stdout = Stdout(tty, encoding)
    monkeypatch.setattr(sys, "stdout", stdout)
    console.out.cache_clear()
    try:
        show()
    finally:
        console.out.cache_clear()
    return stdout.getvalue()


def lines_run(action: Callable[[], object]) -> int:
    """How many lines of dlcards's own code `action()` runs: the line events `sys.settrace`
    sees in the package's files, every turn of a loop or a comprehension counted. A count of
    operations that the machine's speed does not change: a layout whose count grows as the
    square of its text's length shows it on any machine, at any load."""
    from types import FrameType
    from typing import Any

    import dlcards

    root = str(Path(dlcards.__file__).resolve().parent) + os.sep
    count = 0

    def local(frame: FrameType, event: str, arg: Any) -> Any:
        nonlocal count
        count += event == "line"
        return local

    def calls(frame: FrameType, event: str, arg: Any) -> Any:
        return local if frame.f_code.co_filename.startswith(root) else None

    previous = sys.gettrace()
    sys.settrace(calls)
    try:
        action()
    finally:
        sys.settrace(previous)
    return count


def quick_run(argv: Sequence[str], report: str) -> list[str]:
    """`dlcards ARGV` through the fast entry point in a fresh interpreter (the test's
    environment), then the Python expression `report` printed: the output's lines."""
    code = (
        f"import sys; sys.argv = ['dlcards', *{list(argv)!r}];"
        "from dlcards.quick import main\ntry: main()\nexcept SystemExit: pass\n"
        f"print({report})"
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    return done.stdout.splitlines()


def fill_disk(folder: Path) -> Path:
    """A file in `folder` written until its file system is full; returns its path."""
    filler = folder / "filler"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT)
    try:
        while os.write(fd, b"\x00" * 4096):
            pass
    except OSError:
        pass
    finally:
        os.close(fd)
    return filler


@contextmanager
def small_disk(where: Path, size: str) -> Iterator[Path]:
    """A tmpfs of `size` (mount's notation: 600k, 2m) mounted at `where` for the block, which
    the test skips where it cannot be mounted (not root, not Linux); unmounted after."""
    where.mkdir()
    if subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(where)]
    ).returncode:
        pytest.skip("cannot mount a tmpfs here")
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)])


SLOW_SQL = (  # a statement of several seconds that only sqlite3_interrupt cuts short
    "WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < 60000000) "
    "SELECT count(*) FROM n"
)


@contextmanager
def ctrl_c_after(*seconds: float) -> Iterator[None]:
    """In the block, a Ctrl-C (SIGINT to the main thread, raising KeyboardInterrupt as
    Python's own handler does) at each of `seconds` from its start. One that would land after
    the block is dropped, and the block's end waits for every one: nothing reaches the test
    runner. The main thread only (signals are handled there)."""
    import signal
    import threading

    main = threading.main_thread().ident
    assert main is not None and threading.current_thread().ident == main
    armed = [True]

    def ctrl_c(signum: int, frame: object) -> None:
        if armed[0]:
            raise KeyboardInterrupt

    previous = signal.signal(signal.SIGINT, ctrl_c)
    timers = [threading.Timer(t, signal.pthread_kill, (main, signal.SIGINT)) for t in seconds]
    try:
        for timer in timers:
            timer.start()
        yield
    finally:
        armed[0] = False
        for timer in timers:
            timer.join()
        signal.signal(signal.SIGINT, previous)


def has_open(pid: int, path: Path) -> bool:
    """Whether process `pid` has `path` open (Linux's /proc): a folder it waits to lock, a
    database it reached."""
    try:
        return any(os.readlink(fd) == str(path) for fd in Path(f"/proc/{pid}/fd").iterdir())
    except OSError:  # gone, or a descriptor closed meanwhile
        return False


def stopped_and_resumed(pid: int, fd: int) -> None:
    """Ctrl-Z, then `fg`, as a shell does them to a process in a pseudo-terminal (`in_a_pty`):
    SIGSTOP (the kernel drops SIGTSTP there: the child leads a session of its own, an
    orphaned process group), the terminal put back in the shell's own modes (whole lines,
    echoed), then SIGCONT."""
    import signal
    import termios

    os.kill(pid, signal.SIGSTOP)
    _, status = os.waitpid(pid, os.WUNTRACED)
    assert os.WIFSTOPPED(status)
    cooked = termios.tcgetattr(fd)
    cooked[3] |= termios.ICANON | termios.ECHO
    termios.tcsetattr(fd, termios.TCSANOW, cooked)
    os.kill(pid, signal.SIGCONT)


def read_until(fd: int, wanted: bytes, timeout: float = 20.0) -> bytes:
    """What a pseudo-terminal's program wrote to `fd` until `wanted` is among it; an
    AssertionError with the screen's last bytes when it is not within `timeout` seconds, or
    when the program is gone."""
    import select
    import time

    seen = b""
    deadline = time.monotonic() + timeout
    while wanted not in seen:
        left = deadline - time.monotonic()
        if left <= 0 or not select.select([fd], [], [], left)[0]:
            raise AssertionError(f"{wanted!r} not shown; the screen had: {seen[-800:]!r}")
        try:
            seen += os.read(fd, 65536)
        except OSError:  # the child is gone
            raise AssertionError(f"{wanted!r} not shown; the screen had: {seen[-800:]!r}") from None
    return seen


def window(fd: int, rows: int, columns: int) -> None:
    """Size the pseudo-terminal at `fd` (its program gets SIGWINCH)."""
    import fcntl
    import struct
    import termios

    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, columns, 0, 0))


def waiting_for_a_key(fd: int, timeout: float = 20.0) -> None:
    """Until the program in the pseudo-terminal at `fd` reads single keys (its terminal out of
    line mode): it has drawn its screen and set its handlers for Ctrl-Z, `fg` and a resize,
    which it sets before that mode. A fixed sleep was this wait, and under load a signal sent
    after it came before the handlers were there."""
    import termios
    import time

    deadline = time.monotonic() + timeout
    while termios.tcgetattr(fd)[3] & termios.ICANON:
        if time.monotonic() > deadline:
            raise AssertionError("the program never waited for a key")
        time.sleep(0.01)


def terminal_env(tmp_path: Path, *unset: str, **extra: str) -> dict[str, str]:
    """The environment of a dlcards run in a pseudo-terminal: its own database and deck cache
    in `tmp_path`, no colour, an xterm; no COLUMNS or LINES (the terminal's size is its
    own), nor the variables named in `unset`; `extra` set."""
    env = {
        **os.environ,
        "DLCARDS_DB": str(tmp_path / "p.db"),
        "DLCARDS_CACHE_DIR": str(tmp_path / "cache"),
        "NO_COLOR": "1",
        "TERM": "xterm",
        **extra,
    }
    for key in ("COLUMNS", "LINES", *unset):
        env.pop(key, None)
    return env


def study_in_a_pty(
    env: Mapping[str, str], *args: str, rows: int = 40, columns: int = 100
) -> AbstractContextManager[tuple[int, int]]:
    """`dlcards study ARGS` in a pseudo-terminal of `columns` x `rows`: its pid and the
    terminal's fd; killed and closed after."""
    return in_a_pty(env, "study", *args, rows=rows, columns=columns)


def spawn_in_a_pty(
    argv: Sequence[str],
    env: Mapping[str, str],
    stderr: Path | None = None,
    hangup_ignored: bool = False,
) -> tuple[int, int]:
    """`argv` started as `pty.fork` starts a child, without forking this process: its own
    session, a new pseudo-terminal its controlling terminal and standard streams (a session
    leader opening a terminal takes it as its controlling one), SIGINT as a terminal's
    foreground job gets it. Its pid and the terminal's fd. `stderr`: a file for its standard
    error instead; `hangup_ignored`: SIGHUP ignored, as under `nohup`. `pty.fork` in an xdist
    worker, which runs threads, is a fork of a threaded process: Python 3.12+ warns that its
    child may deadlock before its exec, and this runs no Python code in the child at all."""
    import signal

    fd, terminal = os.openpty()
    errors = (
        (os.POSIX_SPAWN_DUP2, 0, 2)
        if stderr is None
        else (os.POSIX_SPAWN_OPEN, 2, str(stderr), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    )
    # Ctrl-C must reach it as a terminal's foreground job gets it: a test run started in the
    # background by a non-interactive shell (`.ci/run &`) ignores SIGINT, an exec'd program
    # inherits that, and Python then leaves SIGINT ignored. An ignored SIGHUP is inherited
    # (posix_spawn sets a signal to its default, never to ignored)
    defaults = (signal.SIGINT,) if hangup_ignored else (signal.SIGINT, signal.SIGHUP)
    held = signal.signal(signal.SIGHUP, signal.SIG_IGN) if hangup_ignored else None
    try:
        pid = os.posix_spawn(
            argv[0],
            list(argv),
            dict(env),
            file_actions=[
                (os.POSIX_SPAWN_OPEN, 0, os.ttyname(terminal), os.O_RDWR, 0),
                (os.POSIX_SPAWN_DUP2, 0, 1),
                errors,
            ],
            setsid=True,
            setsigdef=defaults,
        )
    finally:
        if held is not None:
            signal.signal(signal.SIGHUP, held)
        os.close(terminal)
    return pid, fd


@contextmanager
def in_a_pty(
    env: Mapping[str, str], *args: str, rows: int = 40, columns: int = 100
) -> Iterator[tuple[int, int]]:
    """`dlcards ARGS` in a pseudo-terminal of `columns` x `rows`: its pid and the terminal's
    fd; killed and closed after."""
    import contextlib
    import signal

    pid, fd = spawn_in_a_pty([sys.executable, "-m", "dlcards", *args], env)
    try:
        window(fd, rows, columns)
        yield pid, fd
    finally:
        with contextlib.suppress(ProcessLookupError, ChildProcessError):
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
        with contextlib.suppress(OSError):  # closed by the test already (a terminal closed)
            os.close(fd)


def dlcards_process(
    *args: str,
    env: Mapping[str, str],
    cwd: Path | None = None,
    preexec_fn: Callable[[], object] | None = None,
) -> subprocess.Popen[str]:
    """`python -m dlcards ARGS` started in a process of its own, its standard streams pipes
    of text (a session the test types into and reads, kills or waits for)."""
    return subprocess.Popen(
        [sys.executable, "-m", "dlcards", *args],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=dict(env),
        cwd=cwd,
        preexec_fn=preexec_fn,
    )
