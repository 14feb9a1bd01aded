"""`list` and `search` mark a suspended card `(s)` after its id, as `list --leeches` marks it
after its lapses: in the terminal's table, in a pipe's lines, under NO_COLOR (a word, not a
colour), with `suspended` in their JSON. `list` reads the flags with one query and no sync;
a database not there yet means none, a damaged one does not stop the list."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from dlcards.cli import app

runner = CliRunner()


def run(*args: str) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.stdout


def terminal(monkeypatch: pytest.MonkeyPatch, width: int = 100) -> None:
    """rich takes CliRunner's output for a terminal of this size, without colour."""
    monkeypatch.setenv("TTY_COMPATIBLE", "1")
    monkeypatch.setenv("TERM", "dumb")
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setenv("COLUMNS", str(width))
    from dlcards.console import out

    out.cache_clear()


def test_list_in_a_pipe_marks_a_suspended_card_after_its_question() -> None:
    run("suspend", "mlp-2")
    lines = run("list", "--topic", "mlp").splitlines()
    fields = {line.split("\t")[0]: line.split("\t")[1:] for line in lines}
    assert len(fields["mlp-2"]) == 2 and fields["mlp-2"][1] == "(s)", lines[:3]
    assert all(len(rest) == 1 for cid, rest in fields.items() if cid != "mlp-2")
    # cut -f1 still gives the ids, -f2 the questions
    assert [line.split("\t")[0] for line in lines][:3] == ["mlp-1", "mlp-2", "mlp-3"]
    assert "(s)" not in fields["mlp-2"][0]


def test_list_on_a_terminal_marks_the_id_and_counts_the_suspended(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    run("suspend", "mlp-2", "mlp-6")
    terminal(monkeypatch)
    lines = run("list", "--topic", "mlp").splitlines()
    rows = {line.split()[0]: line for line in lines[1:-1]}
    assert rows["mlp-2"].startswith("mlp-2 (s) "), rows["mlp-2"]
    assert rows["mlp-6"].startswith("mlp-6 (s) "), rows["mlp-6"]
    assert "(s)" not in rows["mlp-1"] and "(s)" not in rows["mlp-7"]
    # the questions still start in one column
    starts = {line.index("What is the") for cid, line in rows.items() if "What is the" in line}
    assert len(starts) == 1, starts
    assert lines[-1] == "30 cards (2 suspended, marked (s))"


def test_list_json_says_suspended() -> None:
    run("suspend", "mlp-2")
    rows = json.loads(run("list", "--topic", "mlp", "--json"))
    assert {r["id"]: r["suspended"] for r in rows[:3]} == {
        "mlp-1": False,
        "mlp-2": True,
        "mlp-3": False,
    }


def test_list_leeches_in_a_pipe_marks_the_suspended_ones() -> None:
    """Its table said `3 (s)`; its pipe lines said nothing of the suspension."""
    from dlcards.store import Store

    run("list")  # nothing opened: the database is made by the next command that syncs
    run("due")
    with Store.open(Path(os.environ["DLCARDS_DB"])) as store:
        store.conn.execute("UPDATE cards SET leech = 1 WHERE id IN ('gd-1', 'gd-2')")
        store.conn.execute("UPDATE sm2 SET lapses = 9 WHERE card_id = 'gd-1'")
    run("suspend", "gd-1")
    lines = run("list", "--leeches").splitlines()
    assert [line.split("\t")[0] for line in lines] == ["gd-1", "gd-2"]
    assert lines[0].split("\t")[1] == "9" and lines[0].endswith("\t(s)"), lines
    assert not lines[1].endswith("(s)"), lines


def test_list_without_a_database_makes_none_and_marks_none(tmp_path: Path) -> None:
    db = tmp_path / "new.db"
    lines = run("list", "--topic", "mlp", "--db", str(db)).splitlines()
    assert len(lines) == 30 and all(line.count("\t") == 1 for line in lines)
    assert not db.exists()


def test_list_lists_past_a_damaged_database_and_says_so() -> None:
    db = Path(os.environ["DLCARDS_DB"])
    db.parent.mkdir(parents=True, exist_ok=True)
    db.write_bytes(b"this is not a database" * 300)
    result = runner.invoke(app, ["list", "--topic", "mlp"])
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[0].startswith("mlp-1\t")
    [warning] = result.stderr.splitlines()
    assert warning.startswith(f"warning: cannot read database {db}: "), warning
    assert warning.endswith("the cards are listed without the (s) of the suspended ones")


def test_search_marks_a_suspended_card(monkeypatch: pytest.MonkeyPatch) -> None:
    run("suspend", "mlp-6")
    found = json.loads(run("search", "sigmoid", "--json"))["cards"]
    assert {c["id"]: c["suspended"] for c in found}["mlp-6"] is True
    assert sum(c["suspended"] for c in found) == 1
    piped = {line.split()[0]: line for line in run("search", "sigmoid", "-n", "50").splitlines()}
    assert piped["mlp-6"].startswith("mlp-6 (s) "), piped["mlp-6"]
    assert "(s)" not in piped["mlp-7"]
    terminal(monkeypatch, 100)
    shown = {line.split()[0]: line for line in run("search", "sigmoid").splitlines()}
    assert shown["mlp-6"].startswith("mlp-6 (s) "), shown["mlp-6"]
    terminal(monkeypatch, 30)  # too narrow for a column: each id on a line of its own
    stacked = run("search", "sigmoid").splitlines()
    assert any(line.startswith("mlp-6 (s)") for line in stacked), stacked


def test_list_lists_past_a_locked_database_and_says_so() -> None:
    """A database another program holds locked (SQLite's exclusive locking mode, which keeps
    even WAL readers out) is waited for half a second, then the cards are listed unmarked."""
    import sqlite3
    import time

    run("suspend", "mlp-2")
    db = Path(os.environ["DLCARDS_DB"])
    holder = sqlite3.connect(db, isolation_level=None)
    try:
        holder.execute("PRAGMA locking_mode = EXCLUSIVE")
        holder.execute("BEGIN EXCLUSIVE")
        holder.execute("UPDATE meta SET value = value WHERE 0")
        start = time.monotonic()
        result = runner.invoke(app, ["list", "--topic", "mlp"])
        waited = time.monotonic() - start
    finally:
        holder.close()
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[1] == (
        "mlp-2\tWhat is the solution to the single Perceptron's limitation?"
    )
    [warning] = result.stderr.splitlines()
    assert "database is locked" in warning and warning.startswith("warning: "), warning
    assert waited < 10, waited


def test_list_shows_a_leechs_tag_as_anki_does(monkeypatch: pytest.MonkeyPatch) -> None:
    """A leech's tags end with `leech` in `list`'s table (Anki's tag of a leech's note, what
    `search tag:leech` finds), once when its deck gives it the tag too; `--json` says `leech`.
    Under `leech_action tag` nothing else on the list told a leech from any card."""
    from dlcards.store import Store

    run("due")
    with Store.open(Path(os.environ["DLCARDS_DB"])) as store:
        store.conn.execute("UPDATE cards SET leech = 1 WHERE id IN ('gd-1', 'gd-2')")
        store.conn.execute("UPDATE cards SET tags = ' leech ' WHERE id = 'gd-1'")
    rows = {r["id"]: r for r in json.loads(run("list", "--topic", "gd", "--json"))}
    assert [cid for cid, r in rows.items() if r["leech"]] == ["gd-1", "gd-2"]
    found = json.loads(run("search", "tag:leech", "--json"))["cards"]
    assert [(c["id"], c["leech"]) for c in found] == [("gd-1", True), ("gd-2", True)]
    others = json.loads(run("search", "gradient", "--json"))["cards"]
    assert {c["id"] for c in others if c["leech"]} <= {"gd-1", "gd-2"} and len(others) > 2
    terminal(monkeypatch, 120)
    shown = {line.split()[0]: line.split()[1] for line in run("list", "-t", "gd").splitlines()}
    assert (shown["gd-1"], shown["gd-2"], shown["gd-3"]) == ("leech", "math,leech", "What")
    assert rows["gd-2"]["tags"] == ["math"]  # the deck's tags: the mark is the database's


def test_list_marks_the_suspended_cards_of_a_database_from_before_the_leech_marks(
    tmp_path: Path,
) -> None:
    """`list` migrates nothing: a database from before the leech column gives its suspended
    cards, with no warning."""
    import sqlite3

    db = tmp_path / "old.db"
    with sqlite3.connect(db) as conn:
        conn.execute("CREATE TABLE cards (id TEXT PRIMARY KEY, suspended INTEGER)")
        conn.execute("INSERT INTO cards VALUES ('mlp-2', 1), ('mlp-3', 0)")
    conn.close()
    result = runner.invoke(app, ["list", "--topic", "mlp", "--db", str(db)])
    assert result.exit_code == 0 and not result.stderr, result.output
    lines = result.stdout.splitlines()
    assert lines[1].startswith("mlp-2\t") and lines[1].endswith("\t(s)")
    assert lines[2].count("\t") == 1
