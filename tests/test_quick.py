"""`dlcards due --count`: the shell-prompt number, by the fast path and by the full CLI."""

from __future__ import annotations

import contextlib
import inspect
import json
import os
import re
import subprocess
import sys
from datetime import date
from pathlib import Path

import helpers as h
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from dlcards import quick
from dlcards.cli import app
from dlcards.prompt import count as due_count
from dlcards.prompt import options as _options

runner = CliRunner()
DAY = "2026-11-26"


def full(*args: str) -> int:
    result = runner.invoke(app, ["due", "--count", *args])
    assert result.exit_code == 0, result.output
    return int(result.output)


def expected(day: str) -> int:
    data = json.loads(runner.invoke(app, ["due", "--json", "--today", day]).output)
    return int(data["due_today"] + data["new_today"] + data["redrills_today"])


def test_the_count_holds_the_re_drills_still_owed_today(isolated: Path) -> None:
    """A card last graded below 4 today comes back today (SM-2's step 7): `study` brings it
    back, its summary and `due` count it as left. The prompt's number left it out: after a
    session quit with two re-drills owed it said 17 where the day held 19 cards. Now both the
    fast path and the full command count them, until they are re-drilled to 4 or more."""
    from dlcards.session import REDRILL_BELOW
    from dlcards.store import count

    assert count.REDRILL_BELOW == REDRILL_BELOW  # the fast path's threshold is the session's
    assert full("--today", DAY) == 20  # synced: 20 new cards a day
    studied = runner.invoke(
        app, ["study", "--today", DAY, "--new", "3"], input="\n1\n\n2\n\n5\nq\n"
    )
    assert studied.exit_code == 0, studied.output
    data = json.loads(runner.invoke(app, ["due", "--json", "--today", DAY]).output)
    assert (data["due_today"], data["new_today"], data["redrills_today"]) == (0, 17, 2)
    assert _answers() == full("--today", DAY) == 17 + 2 == expected(DAY)
    again = runner.invoke(
        app, ["study", "--today", DAY, "--new", "0"], input="\n4\n\n3\nq\n"
    )  # one re-drilled to 4; the other graded 3, below 4: owed still
    assert again.exit_code == 0, again.output
    assert _answers() == full("--today", DAY) == 17 + 1 == expected(DAY)
    # on the next day nothing is owed: each card is due by its own interval
    assert _answers() is not None
    assert due_count(["due", "--count", "--today", "2026-11-27"]) == full("--today", "2026-11-27")


@pytest.mark.parametrize(
    ("argv", "options"),
    [
        (["due", "--count"], {}),
        (["due", "--count", "--today", DAY], {"--today": DAY}),
        (["due", "--db=x.db", "--count"], {"--db": "x.db"}),
        (["due"], None),
        (["due", "--json", "--count"], None),
        (["due", "--count", "--decks", "d"], None),
        (["due", "--count", "--today"], None),
        (["stats", "--count"], None),
        ([], None),
    ],
)
def test_only_due_count_takes_the_fast_path(argv: list[str], options: object) -> None:
    assert _options(argv) == options


@pytest.mark.fresh_db  # a first run: no default database or cache yet
def test_fast_and_full_counts_agree_as_the_collection_changes(isolated: Path) -> None:
    assert due_count(["due", "--count", "--today", DAY]) is None  # no database yet
    assert full("--today", DAY) == expected(DAY) == 20
    assert due_count(["due", "--count", "--today", DAY]) == 20
    runner.invoke(app, ["study", "--today", DAY, "--new", "3"], input="\n5\n\n4\n\n1\nq\n")
    for day in (DAY, "2026-11-27", "2026-12-20"):
        fast = due_count(["due", "--count", "--today", day])
        assert fast == full("--today", day) == expected(day), day
    assert runner.invoke(app, ["config", "scheduler", "fsrs"]).exit_code == 0
    for day in ("2026-11-27", "2026-12-20"):
        assert due_count(["due", "--count", "--today", day]) == expected(day), day
    assert runner.invoke(app, ["config", "new_per_day", "0"]).exit_code == 0
    assert due_count(["due", "--count", "--today", DAY]) == expected(DAY)
    # the daily review cap (3 cards were graded on DAY): both paths count within it
    assert runner.invoke(app, ["config", "new_per_day", "20"]).exit_code == 0
    assert runner.invoke(app, ["config", "reviews_per_day", "5"]).exit_code == 0
    # (2 within the cap, and the re-drill owed by the card graded 1, which the cap does not hold)
    assert due_count(["due", "--count", "--today", DAY]) == full("--today", DAY) == 2 + 1
    assert due_count(["due", "--count", "--today", "2026-12-20"]) == expected("2026-12-20") == 5


def test_a_deck_change_goes_to_the_full_cli(
    isolated: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    full("--today", DAY)
    deck = isolated / "extra.yaml"
    deck.write_text("topic: x\ntitle: X\ncards:\n- {id: x-1, question: q, answer: a}\n")
    h.settled(deck)
    monkeypatch.setenv("DLCARDS_DECKS", str(deck))
    assert due_count(["due", "--count", "--today", DAY]) is None  # not synced: full CLI
    assert runner.invoke(app, ["config", "new_per_day", "500"]).exit_code == 0
    assert runner.invoke(app, ["config", "reviews_per_day", "unlimited"]).exit_code == 0
    assert full("--today", DAY) == expected(DAY) == h.shipped()[0] + 1  # synced: x-1 counts
    assert due_count(["due", "--count", "--today", DAY]) == h.shipped()[0] + 1


def test_the_command_prints_one_number_without_typer(isolated: Path) -> None:
    full("--today", DAY)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    code = (
        "import sys; sys.argv = ['dlcards', 'due', '--count', '--today', '2026-11-26'];"
        "from dlcards.quick import main; main();"
        "print(sorted(m for m in ('typer', 'click', 'rich', 'yaml') if m in sys.modules))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    assert done.stdout.split("\n")[:2] == ["20", "[]"]


class _Left(Exception):
    """What the test's `os._exit` raises instead of ending the test's process."""


@pytest.fixture
def leaving(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The statuses `os._exit` was called with (it raises `_Left` instead of ending); the
    stores an earlier test in this process left open are not counted."""
    from dlcards.store.connection import Connection

    monkeypatch.setattr(Connection, "still_open", 0)
    left: list[int] = []

    def leave(status: int) -> None:
        left.append(status)
        raise _Left

    monkeypatch.setattr(os, "_exit", leave)
    return left


def _script(argv: list[str], monkeypatch: pytest.MonkeyPatch) -> object:
    """`quick.script` for `argv`: the SystemExit code it ended with, or `_Left`."""
    monkeypatch.setattr(sys, "argv", ["dlcards", *argv])
    try:
        quick.script()
    except _Left:
        return _Left
    except SystemExit as ended:
        return ended.code
    return None


@pytest.mark.parametrize(
    ("argv", "status", "lines"),
    [
        (["due", "--count"], 0, 1),
        (["--version"], 0, 1),
        (["show", "gd-23"], 0, 10),
        (["due"], 0, 10),
        (["show", "no-such-card"], 2, 0),
        (["show", "--help"], None, 5),  # the typer app's: the interpreter ends it as usual
    ],
)
def test_the_command_ends_at_once_after_what_this_module_runs(
    argv: list[str],
    status: int | None,
    lines: int,
    leaving: list[int],
    monkeypatch: pytest.MonkeyPatch,
    capfd: pytest.CaptureFixture[str],
) -> None:
    """`script` (the console script, `python -m dlcards`) leaves without the interpreter's
    teardown once a command run here is done, with its exit status and its output flushed,
    after what is registered to run at exit; a command of the typer app ends as usual, and
    `main` (run in-process) never leaves."""
    full("--today", DAY)  # synced: the fast count answers
    capfd.readouterr()
    monkeypatch.setenv("DLCARDS_TODAY", DAY)
    import atexit

    ran: list[str] = []
    atexit.register(ran.append, "at exit")
    try:
        ended = _script(argv, monkeypatch)
    finally:
        atexit.unregister(ran.append)
    out = capfd.readouterr().out
    assert len(out.splitlines()) >= lines
    if status is None:
        assert (leaving, ran) == ([], [])
        assert ended in (0, None)
    else:
        assert (ended, leaving, ran) == (_Left, [status], ["at exit"])
    monkeypatch.setattr(sys, "argv", ["dlcards", "due", "--count"])
    quick.main()
    assert leaving == ([] if status is None else [status])


def test_the_command_ends_as_usual_while_a_database_or_a_thread_is_open(
    isolated: Path, leaving: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A connection left open would be closed by the teardown (the log checkpointed into the
    file, its -wal removed), and another thread joined: then the interpreter ends it."""
    import threading

    from dlcards.store import Store

    full("--today", DAY)
    store = Store.open(isolated / "data" / "dlcards.db")
    try:
        assert _script(["show", "gd-23"], monkeypatch) in (0, None)
    finally:
        store.close()
    assert leaving == []
    stop = threading.Event()
    other = threading.Thread(target=stop.wait)
    other.start()
    try:
        assert _script(["show", "gd-23"], monkeypatch) in (0, None)
    finally:
        stop.set()
        other.join()
    assert leaving == []
    assert _script(["show", "gd-23"], monkeypatch) is _Left
    assert leaving == [0]


def test_a_study_session_ended_at_once_leaves_its_grades_in_the_file(isolated: Path) -> None:
    """`python -m dlcards study` (fed by a pipe) ends without the teardown: its grades are in
    the database file itself, with no -wal left beside it."""
    full("--today", DAY)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path), "DLCARDS_TODAY": DAY}
    done = subprocess.run(
        [sys.executable, "-m", "dlcards", "study", "--new", "2"], env=env, input="\n4\n\n5\n",
        capture_output=True, text=True,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    db = isolated / "data" / "dlcards.db"
    assert not Path(f"{db}-wal").exists()
    import sqlite3

    conn = sqlite3.connect(f"file:{db}?mode=ro&immutable=1", uri=True)  # the file alone
    try:
        assert conn.execute("SELECT count(*) FROM reviews").fetchone()[0] == 2
    finally:
        conn.close()


def test_a_ctrl_c_before_the_guard_ends_the_command_quietly(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Ctrl-C in a command's first milliseconds, before `stdio.guarded` runs it (a torture
    run's `timeout -s INT 0.015 dlcards show gd-23` printed a traceback): exit 130, quietly."""

    def interrupted(leave: bool) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(quick, "_start", interrupted)
    with pytest.raises(SystemExit) as ended:
        quick.script()
    assert ended.value.code == 130
    assert capsys.readouterr() == ("", "")


def test_a_ctrl_c_as_the_command_imports_its_module_ends_it_quietly() -> None:
    """Ctrl-C even before `script` runs, as `python -m dlcards` imports `dlcards.quick` (two
    study sessions started at once, one stopped by SIGINT at its start: a traceback ending in
    `KeyboardInterrupt`, and the process killed by the signal): exit 130, quietly, as
    `script` ends one. The SIGINT is sent as the import looks for the module."""
    code = (
        "import os, runpy, signal, sys\n"
        "class Interrupt:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name == 'dlcards.quick':\n"
        "            sys.meta_path.remove(self)\n"
        "            os.kill(os.getpid(), signal.SIGINT)\n"
        "        return None\n"
        "sys.meta_path.insert(0, Interrupt())\n"
        "sys.argv = ['dlcards', '--version']\n"
        "runpy.run_module('dlcards', run_name='__main__', alter_sys=True)\n"
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert (done.returncode, done.stdout, done.stderr) == (130, "", "")


def _user_deck(cards: int) -> str:
    items = "".join(
        f"  - id: mine-{i}\n    question: Question {i}?\n    answer: Answer {i}.\n"
        for i in range(1, cards + 1)
    )
    return f"topic: mine\ntitle: Mine\ncards:\n{items}"


@pytest.mark.waits
def test_a_count_that_must_sync_does_not_wait_out_a_long_write(
    isolated: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A deck changed, so `due --count` syncs first, while another program holds the write lock
    (an import): the prompt's command gives up after PROMPT_WAIT_S with the locked database's
    line, not after SQLite's 5 s; without the lock it counts as usual."""
    import sqlite3
    import time

    from dlcards.commands.run import PROMPT_WAIT_S
    from dlcards.store.connection import BUSY_TIMEOUT_S

    decks = isolated / "decks"
    decks.mkdir()
    deck = decks / "mine.yaml"
    deck.write_text(_user_deck(1), encoding="utf-8")
    monkeypatch.setenv("DLCARDS_DECKS", str(decks))
    before = full("--today", DAY)
    deck.write_text(_user_deck(2), encoding="utf-8")  # one card more: a sync is due
    holder = sqlite3.connect(isolated / "data" / "dlcards.db", isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        start = time.monotonic()
        result = runner.invoke(app, ["due", "--count", "--today", DAY])
        waited = time.monotonic() - start
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert result.exit_code == 2
    assert f"is locked by another program (waited {PROMPT_WAIT_S:g} s)" in result.output
    assert waited < BUSY_TIMEOUT_S

    def synced() -> list[str]:
        conn = sqlite3.connect(isolated / "data" / "dlcards.db")
        try:
            return [r[0] for r in conn.execute("SELECT id FROM cards WHERE topic = 'mine'")]
        finally:
            conn.close()

    assert synced() == ["mine-1"]  # nothing written
    assert full("--today", DAY) == before  # once the lock is gone: synced, and counted
    assert sorted(synced()) == ["mine-1", "mine-2"]


@pytest.mark.waits
def test_a_count_does_not_wait_out_a_file_held_whole(isolated: Path) -> None:
    """A writer that holds the file against readers too (an exclusive lock in rollback-journal
    mode): the prompt's count (its fast path, then the full command) gave up only after
    SQLite's 5 s; it now says the locked line after about PROMPT_WAIT_S."""
    import sqlite3
    import subprocess
    import sys
    import time

    from dlcards.commands.run import PROMPT_WAIT_S
    from dlcards.store.connection import BUSY_TIMEOUT_S

    before = full("--today", DAY)
    db = isolated / "data" / "dlcards.db"
    holder = sqlite3.connect(db, isolation_level=None)
    assert holder.execute("PRAGMA journal_mode = DELETE").fetchone()[0] == "delete"
    holder.execute("BEGIN EXCLUSIVE")
    try:
        start = time.monotonic()
        run = subprocess.run(
            [sys.executable, "-m", "dlcards", "due", "--count", "--today", DAY],
            capture_output=True,
            text=True,
            timeout=60,
        )
        waited = time.monotonic() - start
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert run.returncode == 2, run.stderr
    assert f"is locked by another program (waited {PROMPT_WAIT_S:g} s)" in run.stderr
    assert waited < BUSY_TIMEOUT_S
    assert full("--today", DAY) == before


def test_python_m_dlcards_prints_the_count_and_exits_0(isolated: Path) -> None:
    full("--today", DAY)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path), "DLCARDS_TODAY": DAY}
    done = subprocess.run(
        [sys.executable, "-m", "dlcards", "due", "--count"], env=env, capture_output=True,
        text=True,
    )  # fmt: skip
    assert (done.returncode, done.stdout, done.stderr) == (0, "20\n", "")


@pytest.mark.parametrize("order", [["--count", "--json"], ["--json", "--count"]])
def test_count_with_json_is_a_usage_error_not_a_number(isolated: Path, order: list[str]) -> None:
    """`due --count --json` printed the bare number, the --json dropped without a word: one
    line naming both, exit 2, through typer and through the quick path alike."""
    full("--today", DAY)
    result = runner.invoke(app, ["due", *order])
    assert result.exit_code == 2, result.output
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path), "DLCARDS_TODAY": DAY}
    done = subprocess.run(
        [sys.executable, "-m", "dlcards", "due", *order], env=env, capture_output=True, text=True
    )
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr.splitlines() == [
        "error: --count prints one number and --json a document: give one of them"
    ]


# --- topics, show ID, due, stats: the same body, parsed without typer -------------------------

FAST_LINES = [
    ["topics"],
    ["topics", "--json"],
    ["show", "gd-23"],
    ["show", "--json", "gd-23"],
    ["show", "gd-23", "--today=2026-12-24", "--db", "x.db"],
    ["due"],
    ["due", "--json", "--today", DAY],
    ["stats"],
    ["stats", "--json", "--today", DAY],
    ["due", "--count", "--decks", "a", "--decks=b"],
    ["search", "momentum"],
    ["search", "-n", "3", "gradient", "descent", "--json"],
    ["search", "is:due", "--limit=+2", "--today", DAY],
    ["show", "-"],
]
STUDY_LINES = [
    ["study", "--today", DAY],
    ["study", "-t", "gd", "--topic=mlp", "--new", "3", "--reviews=0", "--tag", "math"],
    ["study", "--search", "momentum", "--new", "+7"],
]
TYPER_LINES = [
    [],
    ["--version"],
    ["topics", "--help"],
    ["show"],
    ["show", "a", "b"],
    ["show", "--", "gd-23"],
    ["show", "gd-23", "--db"],
    ["show", "gd-23", "--db", "--json"],
    ["due", "--today", DAY, "--today", DAY],
    ["due", "--json=1"],
    ["due", "--bogus"],
    ["due", "-h"],
    ["topics", "extra"],
    ["list"],
    ["stats", "--help"],
    ["study", "--new", "-1"],
    ["study", "--new", "x"],
    ["study", "--reviews", "99999999999999999999"],
    ["study", "-tgd"],
    ["study", "--help"],
    ["search"],
    ["search", "momentum", "-adam"],  # a word to exclude: typer's to read
    ["search", "--limit=0", "x"],
    ["search", "x", "-n", "5", "-n", "6"],
    ["search", "x", "-n5"],
]


@pytest.mark.parametrize("argv", FAST_LINES + STUDY_LINES, ids=" ".join)
def test_fast_lines_are_parsed(argv: list[str]) -> None:
    assert quick.parse(argv) is not None


@pytest.mark.parametrize("argv", TYPER_LINES, ids=" ".join)
def test_other_lines_go_to_typer(argv: list[str]) -> None:
    assert quick.parse(argv) is None


def test_parsed_options() -> None:
    assert quick.parse(["show", "gd-23", "--today=2026-12-24", "--db", "x.db", "--json"]) == (
        "show",
        {"card_id": "gd-23", "decks": (), "db": "x.db", "today": "2026-12-24", "json_": True},
    )
    assert quick.parse(["due", "--decks", "a", "--count", "--decks=b"]) == (
        "due",
        {"decks": ("a", "b"), "db": None, "today": None, "json_": False, "count": True},
    )


@pytest.mark.parametrize("name", sorted(quick.COMMANDS))
def test_the_parser_reads_what_the_typer_command_declares(name: str) -> None:
    """The fast path's table is the typer command's parameters: the same positionals in the same
    order, and every option with the same parameter and kind; the body takes exactly those."""
    from dlcards.cli import _load
    from dlcards.commands import run as bodies

    command = _load(name)
    positional = tuple(p.name for p in command.params if p.param_type_name == "argument")
    options = {
        opt: (p.name, quick.FLAG if p.is_flag else quick.LIST if p.multiple else quick.VALUE)
        for p in command.params
        if p.param_type_name == "option"
        for opt in [*p.opts, *p.secondary_opts]
    }
    assert quick.COMMANDS[name] == (positional, options)
    for p in command.params:  # every word of a variadic argument; a default that is not None
        if p.param_type_name == "argument":
            assert (p.nargs == -1) == (quick.VARIADIC.get(name) == p.name)
        elif p.default not in (None, False) and not p.multiple:
            assert quick.DEFAULTS[name][p.name] == str(p.default)
    assert set(inspect.signature(getattr(bodies, name)).parameters) == {
        p.name for p in command.params
    }


@pytest.mark.parametrize("argv", FAST_LINES + STUDY_LINES, ids=" ".join)
def test_the_typer_command_calls_the_same_body_with_the_same_values(
    argv: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from dlcards.commands import run as bodies

    parsed = quick.parse(argv)
    assert parsed is not None
    name, expected = parsed
    body = getattr(bodies, name)
    calls: list[dict[str, object]] = []

    def record(*args: object, **kwargs: object) -> int:
        bound = inspect.signature(body).bind(*args, **kwargs).arguments
        calls.append({k: tuple(v) if isinstance(v, list) else v for k, v in bound.items()})
        return 0

    monkeypatch.setattr(bodies, name, record)
    result = runner.invoke(app, argv)
    assert result.exit_code == 0, result.output
    assert calls == [expected]


@pytest.mark.parametrize("argv", [["topics"], ["due", "--count"]])
def test_a_completion_request_goes_to_typer(
    argv: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "argv", ["dlcards", *argv])
    monkeypatch.setenv("_DLCARDS_COMPLETE", "bash_complete")
    called: list[str] = []
    monkeypatch.setattr("dlcards.cli.main", lambda: called.append("typer"))
    monkeypatch.setattr(quick, "run", lambda *a: pytest.fail("the fast path ran"))
    monkeypatch.setattr("dlcards.prompt.count", lambda *a: pytest.fail("the fast count ran"))
    quick.main()
    assert called == ["typer"]


@pytest.fixture(scope="module")
def synced(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, str], Path]:
    """A process environment with a synced database, one review in it, and a warm deck cache."""
    tmp = tmp_path_factory.mktemp("both")
    env = {k: v for k, v in os.environ.items() if not k.startswith("DLCARDS_")}
    env.update(
        PYTHONPATH=os.pathsep.join(sys.path),
        DLCARDS_DB=str(tmp / "progress.db"),
        DLCARDS_CACHE_DIR=str(tmp / "cache"),
        DLCARDS_TODAY=DAY,
        COLUMNS="100",
    )
    env.pop("NO_COLOR", None)
    for args, stdin in ((["due"], None), (["study", "--new", "2"], "\n4\n\n1\nq\n")):
        done = subprocess.run(
            [sys.executable, "-m", "dlcards", *args],
            env=env, cwd=tmp, input=stdin, capture_output=True, text=True,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
    return env, tmp


FULL = "import sys; sys.argv[0] = 'dlcards'; from dlcards.cli import main; main()"
FAST = """import json, os, sys
sys.argv[0] = 'dlcards'
from dlcards.quick import main
try:
    main()
finally:
    loaded = [m for m in ('typer', 'click', 'pydantic') if m in sys.modules]
    with open(os.environ['QUICK_PROBE'], 'w') as f:
        json.dump(loaded, f)
"""
BOTH = [
    *FAST_LINES[:-2],
    ["show", "perceptron-1", "--today", "2026-12-20"],  # reviewed: its schedule line
    ["show", "perceptron-2", "--json", "--today", "2026-11-20"],  # before its review
    ["due", "--count"],
    ["search", "gradient", "--json", "-n", "2"],
    ["search", "momentum", "-n", "99999999999999999999999"],  # beyond SQLite's integers
    ["show", "nope"],  # an unknown card id
    ["show", "gd-23", "--decks", "missing-dir"],
    ["due", "--today", "26/11/2026"],
    ["due", "--db", "no-such-dir/p.db"],
    ["topics", "--decks", "bad.yaml"],
    ["show", "--help"],
    ["due", "--bogus"],
    ["show"],
]


@pytest.mark.parametrize("argv", BOTH, ids=" ".join)
def test_fast_and_full_paths_print_the_same(
    argv: list[str], synced: tuple[dict[str, str], Path], tmp_path: Path
) -> None:
    """Both entry points in fresh processes: the same bytes on stdout and stderr, the same exit
    code; the fast path without typer for the lines it parses, typer's answer for the rest."""
    env, cwd = synced
    (cwd / "bad.yaml").write_text("topic: [unclosed\n")
    probe = tmp_path / "loaded.json"
    fast, full = (
        subprocess.run(
            [sys.executable, "-c", code, *argv],
            env={**env, "QUICK_PROBE": str(probe)},
            cwd=cwd,
            capture_output=True,
        )  # fmt: skip
        for code in (FAST, FULL)
    )
    assert (fast.returncode, fast.stdout, fast.stderr) == (
        full.returncode,
        full.stdout,
        full.stderr,
    )
    assert full.stdout or full.stderr
    loaded = json.loads(probe.read_text())
    if quick.parse(argv) is None:
        assert "typer" in loaded
    else:
        assert loaded == []


STUDY_BOTH = [
    (["study", "--new", "2"], "\n4\n\n1\nu\ns\nq\n"),
    (["study", "--topic", "gd", "--reviews", "1"], "\n5\nq\n"),
    (["study", "--new", "0", "--today", "2026-11-27"], "q\n"),  # nothing due
    (["study", "--search", "no-such-word-anywhere"], "q\n"),
    (["study", "--topic", "nope"], ""),  # an unknown topic
    (["study", "--today", "2026-13-01"], ""),  # a bad date
    (["study", "--new", "-1"], ""),  # out of range: typer's message
    (["study", "-s"], ""),  # a missing value: typer's message
]


@pytest.mark.parametrize(("argv", "keys"), STUDY_BOTH, ids=lambda a: " ".join(a))
def test_a_study_session_is_the_same_on_both_paths(
    argv: list[str], keys: str, synced: tuple[dict[str, str], Path], tmp_path: Path
) -> None:
    """The same session on the same database through both entry points: the same screens, the
    same exit code, the same rows saved; the fast path without typer for the lines it parses."""
    import shutil
    import sqlite3

    env, cwd = synced
    results = []
    for code in (FAST, FULL):
        db = tmp_path / f"{len(results)}.db"
        shutil.copy(env["DLCARDS_DB"], db)
        probe = tmp_path / "loaded.json"
        done = subprocess.run(
            [sys.executable, "-c", code, *argv],
            env={**env, "QUICK_PROBE": str(probe), "DLCARDS_DB": str(db)},
            cwd=cwd, input=keys.encode(), capture_output=True,
        )  # fmt: skip
        with contextlib.closing(sqlite3.connect(db)) as conn:
            log = conn.execute(
                "SELECT card_id, day, grade, kind FROM reviews ORDER BY id"
            ).fetchall()
        # shown only while the file's check behind the first card still runs when the first
        # grade comes: with the keys piped in, a race either path may win
        shown = done.stdout.replace("checking the database before the first save…\n".encode(), b"")
        # the summary's time is the session's own: a loaded machine can make one path's
        # session last a second more than the other's
        shown = re.sub(rb"time( +)\d+m \d\ds", rb"time\1Xm XXs", shown)
        results.append((done.returncode, shown, done.stderr, log))
        if code == FAST:
            loaded = json.loads(probe.read_text())
            assert ("typer" in loaded) == (quick.parse(argv) is None), loaded
    assert results[0] == results[1]
    assert results[0][1] or results[0][2]


def _answers() -> int | None:
    return due_count(["due", "--count", "--today", DAY])


def test_the_fast_count_answers_only_for_the_decks_the_last_sync_saw(
    isolated: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """dlcards.prompt answers after a sync of the default decks, and leaves to the full
    command (None) every change that command would sync first; after it, it answers again,
    with the full command's number."""
    from dlcards import catalog

    # each change below is taken as left so: the count of a prompt run within DECKS_GONE_S
    # of cards going is the last sync's (tests/test_deck_saves.py), not what is checked here
    monkeypatch.setattr(catalog, "DECKS_GONE_S", 0.0)
    decks = isolated / "decks"
    decks.mkdir()
    deck = decks / "extra.yaml"
    deck.write_text("topic: x\ntitle: X\ncards:\n- {id: x-1, question: q, answer: a}\n")
    monkeypatch.setenv("DLCARDS_DECKS", str(decks))
    assert runner.invoke(app, ["config", "new_per_day", "500"]).exit_code == 0
    assert runner.invoke(app, ["config", "reviews_per_day", "unlimited"]).exit_code == 0
    n = h.shipped()[0]

    def synced_then(expected: int) -> None:
        h.settled(*decks.glob("*.y*ml"), *isolated.glob("*.yaml"))  # written just now
        assert _answers() is None  # the full command syncs first
        assert full("--today", DAY) == expected
        assert _answers() == expected == full("--today", DAY)

    synced_then(n + 1)
    (decks / ".extra.yaml.swp").write_text("an editor's swap file")  # not a deck: no sync
    (decks / "notes.txt").write_text("not a deck")
    assert _answers() == n + 1
    deck.write_text(deck.read_text() + "- {id: x-2, question: q2, answer: a2}\n")  # edited
    synced_then(n + 2)
    (decks / "more.yml").write_text(
        "topic: y\ntitle: Y\ncards:\n- {id: y-1, question: q, answer: a}\n"
    )
    synced_then(n + 3)  # a deck file added
    (decks / "more.yml").unlink()
    synced_then(n + 2)  # and removed
    os.utime(deck, ns=(deck.stat().st_atime_ns, deck.stat().st_mtime_ns + 10**9))
    synced_then(n + 2)  # saved again, nothing changed: the signature changed all the same
    # a sync of other decks (--decks) leaves the database in step with them, not the default
    other = isolated / "other.yaml"
    other.write_text("topic: z\ntitle: Z\ncards:\n- {id: z-1, question: q, answer: a}\n")
    assert runner.invoke(app, ["due", "--decks", str(other), "--today", DAY]).exit_code == 0
    synced_then(n + 2)
    monkeypatch.setenv("DLCARDS_DECKS", f"{decks}{os.pathsep}{other}")  # another deck set
    synced_then(n + 3)
    monkeypatch.chdir(isolated)
    monkeypatch.setenv("DLCARDS_DECKS", "decks")  # relative: read from the working directory
    synced_then(n + 2)
    elsewhere = isolated / "elsewhere"
    (elsewhere / "decks").mkdir(parents=True)
    (elsewhere / "decks" / "extra.yaml").write_text(deck.read_text().replace("x-2", "x-3"))
    os.utime(
        elsewhere / "decks" / "extra.yaml", ns=(deck.stat().st_atime_ns, deck.stat().st_mtime_ns)
    )
    monkeypatch.chdir(elsewhere)  # the same entry names other files: same names, size, time
    assert _answers() is None
    monkeypatch.chdir(isolated)
    assert _answers() == n + 2


def test_the_fast_count_leaves_what_it_cannot_vouch_for_to_the_full_command(
    isolated: Path,
) -> None:
    import sqlite3

    from dlcards import SCHEMA_VERSION
    from dlcards.store.count import REBUILD_PENDING

    assert full("--today", DAY) == _answers() == 20
    db = str(isolated / "data" / "dlcards.db")

    def poke(sql: str, *args: object) -> None:
        with contextlib.closing(sqlite3.connect(db)) as conn, conn:
            conn.execute(sql, args)

    poke("INSERT INTO meta (key, value) VALUES (?, '1')", REBUILD_PENDING)
    assert _answers() is None  # a killed FSRS rebuild: the full command finishes it first
    poke("DELETE FROM meta WHERE key = ?", REBUILD_PENDING)
    assert _answers() == 20
    poke("INSERT OR REPLACE INTO meta (key, value) VALUES ('new_per_day', 'lots')")
    assert _answers() is None  # a bad stored setting: the full command says so
    result = runner.invoke(app, ["due", "--count", "--today", DAY])
    assert result.exit_code != 0 and "new_per_day" in result.output
    poke("UPDATE meta SET value = '7' WHERE key = 'new_per_day'")
    assert _answers() == 7 == full("--today", DAY)
    runner.invoke(app, ["study", "--today", "2026-11-30", "--new", "1"], input="\n5\nq\n")
    assert _answers() is None  # a review logged after the day: the count reads the log
    assert due_count(["due", "--count", "--today", "2026-11-30"]) == full("--today", "2026-11-30")
    poke(f"PRAGMA user_version = {SCHEMA_VERSION - 1}")
    assert due_count(["due", "--count", "--today", "2026-11-30"]) is None  # a migration first


def test_the_fast_count_reads_no_more_than_it_needs(isolated: Path) -> None:
    """The prompt's path imports none of the modules that cost it most (typing alone took a
    fifth of its time): compared with what a bare interpreter loads in the same environment."""
    full("--today", DAY)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    bare = "import sys; print(' '.join(sorted(sys.modules)))"
    code = (
        "import sys; sys.argv = ['dlcards', 'due', '--count', '--today', '2026-11-26'];"
        "from dlcards.quick import main; main(); " + bare
    )
    before, after = (
        subprocess.run(
            [sys.executable, "-c", c], env=env, capture_output=True, text=True, check=True
        ).stdout.split("\n")
        for c in (bare, code)
    )
    assert after[0] == "20"
    added = set(after[1].split()) - set(before[0].split())
    assert "dlcards.store.count" in added  # the count was read here, not by the full command
    heavy = {"typing", "re", "json", "pathlib", "dlcards.store.core", "typer", "rich", "yaml"}
    heavy |= {"datetime", "collections.abc"}  # --today is read without datetime too
    assert not added & heavy, added & heavy
    # without --today: the local date from the time module, no datetime (sqlite3's C module
    # is read without the package's date adapters), and the full command's number
    today = subprocess.run(
        [sys.executable, "-c", code.replace(", '--today', '2026-11-26'", "")],
        env=env, capture_output=True, text=True, check=True,
    ).stdout.split("\n")  # fmt: skip
    loaded = set(today[1].split()) - set(before[0].split())
    assert "dlcards.store.count" in loaded
    assert not loaded & {"datetime", "collections.abc", *heavy}, loaded
    assert int(today[0]) == full()


def test_real_paths_resolve_each_directory_once_and_agree_with_realpath(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A symlinked folder, a symlinked file (to another folder), a relative path, `..`, a
    link to a link: the same real path as os.path.realpath, whatever was resolved before."""
    from dlcards.prompt import real_path

    (tmp_path / "real" / "d").mkdir(parents=True)
    (tmp_path / "real" / "e").mkdir()
    for name in ("x.yaml", "y.yaml"):
        (tmp_path / "real" / "d" / name).write_text("x")
    (tmp_path / "real" / "e" / "z.yaml").write_text("z")
    (tmp_path / "linked").symlink_to(tmp_path / "real" / "d")
    (tmp_path / "real" / "d" / "w.yaml").symlink_to(Path("..") / "e" / "z.yaml")
    (tmp_path / "twice").symlink_to(tmp_path / "linked")
    monkeypatch.chdir(tmp_path / "real")
    paths = [
        str(tmp_path / "linked" / "x.yaml"),
        str(tmp_path / "linked" / "w.yaml"),
        str(tmp_path / "twice" / "y.yaml"),
        "d/x.yaml",
        "e/../d/w.yaml",
        str(tmp_path / "real" / "d" / "y.yaml"),
    ]
    remembered: dict[str, str] = {}
    for order in (paths, paths[::-1]):
        for path in order:
            assert real_path(path, remembered) == os.path.realpath(path), path


@settings(max_examples=500, deadline=None)
@given(
    text=st.one_of(
        st.dates(date(1999, 12, 25), date(2200, 1, 5)).map(date.isoformat),
        st.tuples(st.integers(0, 9999), st.integers(0, 13), st.integers(0, 32)).map(
            lambda t: f"{t[0]:04d}-{t[1]:02d}-{t[2]:02d}"
        ),
        st.text("0123456789-/ W２\\t", max_size=12),
        st.sampled_from(["2026-11-26 ", " 2026-11-26", "2024-02-29", "2023-02-29", "2100-02-29",
                         "2000-02-29", "20261126", "2026-W48-4", "２０２６-11-26", ""]),
    )
)  # fmt: skip
def test_the_prompts_day_is_what_today_from_accepts(text: str) -> None:
    """The prompt reads --today and DLCARDS_TODAY without datetime: the same day
    `days.today_from` gives, and None wherever it refuses (then the full command says why)."""
    from dlcards.days import today_from
    from dlcards.errors import UsageError
    from dlcards.prompt import given_day

    try:
        expected: str | None = today_from(text).isoformat()
    except UsageError:
        expected = None
    assert given_day(text) == expected


def test_a_sync_check_with_the_files_as_last_seen_lists_no_deck_file(
    isolated: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every command's check for changed decks trusts what `due --count` trusts: the deck files
    as the last sync saw them need no listing and no signature; a changed file is listed and
    synced."""
    import dlcards.catalog
    from dlcards.commands.common import sync_if_needed
    from dlcards.store import Store

    decks = isolated / "decks"
    decks.mkdir()
    deck = decks / "extra.yaml"
    deck.write_text("topic: x\ntitle: X\ncards:\n- {id: x-1, question: q, answer: a}\n")
    h.settled(deck)
    monkeypatch.setenv("DLCARDS_DECKS", str(decks))
    listed: list[object] = []
    real = dlcards.catalog.deck_files

    def deck_files(*args: object, **kwargs: object) -> object:
        listed.append(args)
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(dlcards.catalog, "deck_files", deck_files)
    with Store.open() as store:
        assert sync_if_needed(store, []) is not None  # the extra deck: synced
        assert len(listed) == 1
        assert sync_if_needed(store, []) is None
        assert len(listed) == 1  # unchanged: not listed again
        deck.write_text(deck.read_text() + "- {id: x-2, question: q2, answer: a2}\n")
        h.settled(deck)
        assert sync_if_needed(store, []) is not None
        assert len(listed) == 2
        assert store.query("SELECT id FROM cards WHERE id = 'x-2'") == [("x-2",)]
        assert sync_if_needed(store, [str(deck)]) is None  # --decks: listed, as before
        assert len(listed) == 3


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["search", "loss", "-is:new"], ["search", "--", "loss", "-is:new"]),
        (["search", "loss", "-tanh", "-n", "3"], ["search", "-n", "3", "--", "loss", "-tanh"]),
        (["search", "--db", "x", "-n5", "-neuron", "a"],
         ["search", "--db", "x", "-n5", "--", "-neuron", "a"]),
        (["search", "--limit=2", "-relu", "x"], ["search", "--limit=2", "--", "-relu", "x"]),
        (["search", "loss", "--limit", "2"], ["search", "loss", "--limit", "2"]),
        (["search", "x", "--", "-y"], ["search", "x", "--", "-y"]),
        (["search", "loss", "-n"], ["search", "loss", "-n"]),
        (["show", "-is:new"], ["show", "-is:new"]),
    ],
)  # fmt: skip
def test_a_search_words_come_after_the_options(argv: list[str], expected: list[str]) -> None:
    """Torture run: `dlcards search loss -is:new` said "Invalid value for '--limit' / '-n':
    'ew'": click read the excluded word as short options, -n among them."""
    from dlcards.quick import words_apart

    assert words_apart(argv) == expected


def test_excluded_words_with_an_n_search_on_both_paths(isolated: Path) -> None:
    full("--today", DAY)
    for words in (["-is:new"], ["-tanh"], ["-neuron", "-n", "3"]):
        done = subprocess.run(
            [sys.executable, "-m", "dlcards", "search", "loss", *words],
            capture_output=True, text=True, env={**os.environ},
        )  # fmt: skip
        assert done.returncode == 0 and "Invalid value" not in done.stderr, done.stderr
        limit = ["-n", "3"] if "-n" in words else []
        query = [w for w in words if w not in ("-n", "3")]
        typed = runner.invoke(app, ["search", *limit, "--", "loss", *query])
        assert (typed.exit_code, typed.output) == (0, done.stdout)


@pytest.fixture(scope="module")
def graded_once(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where the first case of each scheduler of the damaged-due-date test keeps its database
    folder (that scheduler chosen, one card studied) for the others to copy: ~50 ms of
    `config` and `study` in each of its 16 cases otherwise."""
    return tmp_path_factory.mktemp("graded")


@pytest.mark.parametrize("scheduler", ["sm2", "fsrs"])
@pytest.mark.parametrize(
    ("value", "words"),
    [
        ("'garbage'", "holds 'garbage', not a date"),  # after every day: was never counted
        ("'2026-1-3'", "holds '2026-1-3', not a date"),  # sorts before today: was counted due
        ("'2026-11-27 '", "holds '2026-11-27 ', not a date"),
        ("'2026-02-30'", "holds '2026-02-30', not a date"),
        ("20261127", "holds '20261127', not a date"),
        ("'0000-01-01'", "holds '0000-01-01', not a date"),  # SQLite's date() takes year 0
        ("NULL", "is empty though the card has been reviewed"),  # was counted new
        ("''", "is empty though the card has been reviewed"),
    ],
)
def test_a_damaged_due_date_is_refused_by_every_screen_that_counts_it(
    isolated: Path, graded_once: Path, scheduler: str, value: str, words: str
) -> None:
    """A due date that is not a day, or none on a reviewed card: `show` and `stats` refused it,
    but `due` and `due --count` counted the card as due, as new or not at all. Every screen now
    gives the same line, the prompt's fast path leaves it to them, and `doctor` mends it."""
    import shutil
    import sqlite3

    data, kept = isolated / "data", graded_once / scheduler
    if not kept.exists():  # the first case of this scheduler in this process
        assert runner.invoke(app, ["config", "scheduler", scheduler]).exit_code == 0
        graded = runner.invoke(app, ["study", "--today", DAY, "--new", "1"], input="\n4\nq\n")
        assert graded.exit_code == 0, graded.output
        shutil.copytree(data, kept)
    else:  # the others start from the folder it left
        shutil.copytree(kept, data, dirs_exist_ok=True)
    before = full("--today", DAY)
    conn = sqlite3.connect(isolated / "data" / "dlcards.db")
    with conn:
        conn.execute(f"UPDATE {scheduler} SET due = {value} WHERE card_id = 'perceptron-1'")
    conn.close()
    line = (
        f"error: card perceptron-1: column {scheduler}.due {words}; "
        "run `dlcards doctor` to repair the database\n"
    )
    assert due_count(["due", "--count", "--today", DAY]) is None
    for args in (
        ["due", "--count"],
        ["due"],
        ["due", "--json"],
        ["stats"],
        ["show", "perceptron-1"],
        ["study", "--new", "1"],
    ):
        result = runner.invoke(app, [*args, "--today", DAY], input="q\n")
        assert (result.exit_code, result.stderr) == (2, line), args
    assert runner.invoke(app, ["doctor"]).exit_code == 0
    assert due_count(["due", "--count", "--today", DAY]) == full("--today", DAY) == before
    # the write was noted by a trigger (so `due` walks the dates only then); doctor, having
    # mended it, clears the note
    conn = sqlite3.connect(isolated / "data" / "dlcards.db")
    assert conn.execute("SELECT count(*) FROM meta WHERE key = 'due_damage'").fetchone() == (0,)
    conn.close()


def test_damage_from_before_the_guards_is_noted_by_their_migration(isolated: Path) -> None:
    """A database of schema 20 whose due date was damaged then (no trigger to note it): the
    upgrade walks the dates once and notes it, so `due` refuses it as `show` does."""
    import sqlite3

    graded = runner.invoke(app, ["study", "--today", DAY, "--new", "1"], input="\n4\nq\n")
    assert graded.exit_code == 0, graded.output
    conn = sqlite3.connect(isolated / "data" / "dlcards.db")
    with conn:
        for event in ("insert", "update"):
            for table in ("sm2", "fsrs"):
                conn.execute(f"DROP TRIGGER {table}_due_guard_{event}")
        conn.execute("UPDATE sm2 SET due = '2026-13-01' WHERE card_id = 'perceptron-1'")
        assert conn.execute("SELECT count(*) FROM meta WHERE key = 'due_damage'").fetchone() == (0,)
        conn.execute("DELETE FROM _sqlite_migrations WHERE name = '0021_due_damage_flag'")
        conn.execute("PRAGMA user_version = 20")
    conn.close()
    result = runner.invoke(app, ["due", "--today", DAY])
    assert result.exit_code == 2
    assert "column sm2.due holds '2026-13-01', not a date" in result.stderr


@pytest.mark.parametrize("denied", ["file", "folder"])
def test_a_database_it_cannot_write_goes_to_the_full_command(
    isolated: Path, monkeypatch: pytest.MonkeyPatch, denied: str
) -> None:
    """A 0444 database (or one in a read-only folder) gave the prompt a number while `due`
    said it is read-only: the fast path now leaves it to the full command's line. (Root
    ignores permissions, so the test denies the access check itself.)"""
    full("--today", DAY)
    assert due_count(["due", "--count", "--today", DAY]) == 20
    db = str(isolated / "data" / ("dlcards.db" if denied == "file" else ""))
    real = os.access
    monkeypatch.setattr(
        "dlcards.prompt.os.access",
        lambda path, mode: (
            real(path, mode) and not (mode == os.W_OK and str(path) == db.rstrip("/"))
        ),
    )
    assert due_count(["due", "--count", "--today", DAY]) is None


def test_a_file_version_taken_in_the_files_last_tick_matches_no_later_look(
    tmp_path: Path,
) -> None:
    """`prompt.file_version`: size, modification and change time; a look within RACY_NS of
    the modification (within RACY_WHOLE_SECOND_NS for a time in whole seconds, as FAT keeps
    it) gives a version no other look gives, so the next look reads the file again; an old
    or a far-future modification time gives the same version at every look."""
    from dlcards.prompt import RACY_NS, RACY_WHOLE_SECOND_NS, file_version

    path = tmp_path / "d.yaml"
    path.write_text("topic: d\n")
    old = 1_700_000_000_123_456_789
    for mtime, window in ((old, RACY_NS), (old // 10**9 * 10**9, RACY_WHOLE_SECOND_NS)):
        os.utime(path, ns=(mtime, mtime))
        st = path.stat()
        settled = file_version(st, mtime + window + 1)
        assert settled == file_version(st, mtime + 10**12) == file_version(st, mtime - 10**12)
        assert settled.startswith(f"{st.st_size}:{mtime}:{st.st_ctime_ns}")
        looks = {file_version(st, mtime + d) for d in (0, 1, window // 2, window, -window)}
        assert len(looks) == 5 and settled not in looks


def test_a_file_version_taken_in_the_tick_of_a_copy_that_kept_its_times_matches_no_later_look(
    tmp_path: Path,
) -> None:
    """A save that sets the modification time back (`cp -p`, `rsync -t`, a sync tool, `touch
    -r`) is dated by its change time alone: a look in the tick of that change is one no later
    look matches, as a look in the tick of a modification is. It was not: the racy window was
    the modification time's, so a second such save of the same size in the same tick (the
    same size, modification and change time) was never read again: the deck cache served
    the first version's cards until the file changed again."""
    from dlcards.prompt import RACY_NS, file_version

    path = tmp_path / "d.yaml"
    path.write_text("topic: d\n")
    old = 1_700_000_000_123_456_789
    os.utime(path, ns=(old, old))  # the copy's time kept: changed now, "modified" in 2023
    st = path.stat()
    changed = st.st_ctime_ns
    assert abs(changed - old) > 10**12
    looks = {file_version(st, changed + d) for d in (0, 1, RACY_NS // 2, RACY_NS, -RACY_NS)}
    later = file_version(st, changed + RACY_NS + 1)
    assert len(looks) == 5 and later not in looks
    assert later == file_version(st, changed + 10**12)  # settled: the same at every look


@pytest.mark.parametrize(
    ("argv", "collecting"),
    [
        (["show", "perceptron-1"], False),
        (["topics"], False),
        (["study"], True),  # as long as the learner studies: the collector runs
        (["suspend", "perceptron-1"], True),  # the typer app's commands: imports, exports
    ],
    ids=["show", "topics", "study", "suspend"],
)
def test_the_cyclic_collector_is_off_only_for_a_quick_command(
    monkeypatch: pytest.MonkeyPatch, argv: list[str], collecting: bool
) -> None:
    """The quick commands run without the cyclic garbage collector (its passes over the
    modules being imported were ~6% of their CPU); `study` and the typer app's commands run
    with it; `main` gives its caller the collector as it was."""
    import gc

    import dlcards.cli
    from dlcards.commands import run as bodies
    from dlcards.quick import main

    seen: list[bool] = []

    def body(**kwargs: object) -> int:
        seen.append(gc.isenabled())
        return 0

    monkeypatch.setattr(bodies, argv[0], body, raising=False)
    monkeypatch.setattr(dlcards.cli, "main", lambda: seen.append(gc.isenabled()))
    monkeypatch.setattr(sys, "argv", ["dlcards", *argv])
    assert gc.isenabled()
    with pytest.raises(SystemExit) if argv[0] != "suspend" else contextlib.nullcontext():
        main()
    assert seen == [collecting]
    assert gc.isenabled()
    gc.disable()
    try:  # off before: off after
        monkeypatch.setattr(sys, "argv", ["dlcards", "topics"])
        with pytest.raises(SystemExit):
            main()
        assert not gc.isenabled()
    finally:
        gc.enable()
