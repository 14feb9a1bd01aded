"""`dlcards due --count`: the shell-prompt number, by the fast path and by the full CLI."""

from __future__ import annotations

import inspect
import json
import os
import subprocess
import sys
from pathlib import Path

import helpers as h
import pytest
from typer.testing import CliRunner

from dlcards import quick
from dlcards.cli import app
from dlcards.quick import _options, due_count

runner = CliRunner()
DAY = "2026-11-26"


def full(*args: str) -> int:
    result = runner.invoke(app, ["due", "--count", *args])
    assert result.exit_code == 0, result.output
    return int(result.output)


def expected(day: str) -> int:
    data = json.loads(runner.invoke(app, ["due", "--json", "--today", day]).output)
    return int(data["due_today"] + data["new_today"])


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
    assert due_count(["due", "--count", "--today", DAY]) == full("--today", DAY) == 2
    assert due_count(["due", "--count", "--today", "2026-12-20"]) == expected("2026-12-20") == 5


def test_a_deck_change_goes_to_the_full_cli(
    isolated: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    full("--today", DAY)
    deck = isolated / "extra.yaml"
    deck.write_text("topic: x\ntitle: X\ncards:\n- {id: x-1, question: q, answer: a}\n")
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
    monkeypatch.setattr(quick, "due_count", lambda *a: pytest.fail("the fast count ran"))
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
        with sqlite3.connect(db) as conn:
            log = conn.execute(
                "SELECT card_id, day, grade, kind FROM reviews ORDER BY id"
            ).fetchall()
        results.append((done.returncode, done.stdout, done.stderr, log))
        if code == FAST:
            loaded = json.loads(probe.read_text())
            assert ("typer" in loaded) == (quick.parse(argv) is None), loaded
    assert results[0] == results[1]
    assert results[0][1] or results[0][2]
