"""`dlcards add`, `edit` and `decks copy`, with a scripted $EDITOR: the deck file keeps every
byte but the new card, errors reopen the editor, progress survives edits, and the built-in
decks of an installed package are never written."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from dlcards import catalog as catalog_module
from dlcards.cli import app
from dlcards.deckedit import append_card, free_id

runner = CliRunner()
ROOT = Path(__file__).resolve().parent.parent
EDITOR = Path(__file__).resolve().parent / "fake_editor.py"
DECK = """\
# my header comment
topic: own
title: Own deck
cards:
  # first card
  - id: own-1
    question: "Q1?"   # trailing comment
    answer: A1

  - id: own-7
    question: Q7
    answer: |
      A7, a block
      of two lines
# end comment
"""


@pytest.fixture
def editor(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    log = tmp_path / "editor.json"
    monkeypatch.setenv("EDITOR", f"{sys.executable} {EDITOR}")
    monkeypatch.delenv("VISUAL", raising=False)
    monkeypatch.setenv("FAKE_EDITOR_LOG", str(log))

    def script(*steps: str | None) -> Path:
        monkeypatch.setenv("FAKE_EDITOR_SCRIPT", json.dumps(list(steps)))
        log.unlink(missing_ok=True)
        return log

    return script


def calls(log: Path) -> list[dict]:
    return json.loads(log.read_text()) if log.exists() else []


def cli(*args: str) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def test_add_appends_one_card_and_keeps_every_other_byte(tmp_path: Path, editor) -> None:  # type: ignore[no-untyped-def]
    deck = tmp_path / "own.yaml"
    deck.write_text(DECK)
    editor('question: "What is new?"\nanswer: |\n  two\n  lines\ntags: [math]\n')
    out = cli("add", "--deck", str(deck), "--decks", str(deck))
    assert "added own-8" in out  # one past the largest number in the topic
    text = deck.read_text()
    head, tail = DECK.rsplit("# end comment\n", 1)
    assert text == head + (
        "\n  - id: own-8\n"
        '    question: "What is new?"\n'
        "    answer: |\n      two\n      lines\n"
        "    tags: [math]\n"
        "# end comment\n"
    )
    card = json.loads(cli("show", "own-8", "--json", "--decks", str(deck)))
    assert card["answer"] == "two\nlines\n" and card["tags"] == ["math"]


def test_add_reopens_the_editor_on_an_error_with_the_loaders_message(
    tmp_path: Path, editor
) -> None:  # type: ignore[no-untyped-def]
    deck = tmp_path / "own.yaml"
    deck.write_text(DECK)
    log = editor("question: Q\nanswre: A\n", "question: Q\nanswer: A\n")
    out = cli("add", "--deck", str(deck), "--decks", str(deck))
    assert "unknown key 'answre' (did you mean 'answer'?)" in out and "reopening" in out
    assert "own-8.yaml:2: card own-8" in out  # the template's own line
    seen = calls(log)
    assert len(seen) == 2 and "# error: own-8.yaml:2" in seen[1]["before"]
    assert "added own-8" in out and "own-8" in deck.read_text()


def test_add_cancelled_or_stuck_writes_nothing(tmp_path: Path, editor) -> None:  # type: ignore[no-untyped-def]
    deck = tmp_path / "own.yaml"
    deck.write_text(DECK)
    editor("")
    assert "no card added" in cli("add", "--deck", str(deck))
    editor("question: Q\n", None)  # an error, then saved unchanged
    result = runner.invoke(app, ["add", "--deck", str(deck)])
    assert result.exit_code != 0 and "no card added" in result.output
    assert deck.read_text() == DECK


def test_add_starts_a_new_deck_file(tmp_path: Path, editor) -> None:  # type: ignore[no-untyped-def]
    deck = tmp_path / "mine" / "notes.yaml"
    deck.parent.mkdir()
    editor("question: Q\nanswer: A\n")
    cli("add", "--deck", str(deck), "--decks", str(deck.parent))
    assert (
        json.loads(cli("show", "notes-1", "--json", "--decks", str(deck.parent)))["topic"]
        == "notes"
    )
    # a new file in a deck folder is among the decks at once; an order prefix (as the
    # built-in 08-gd.yaml has) is not part of its topic; a file elsewhere is not among them
    numbered = deck.parent / "10-more.yaml"
    out = cli("add", "--deck", str(numbered), "--decks", str(deck.parent))
    assert "not among your decks" not in out
    assert json.loads(cli("show", "more-1", "--json", "--decks", str(deck.parent)))["topic"] == (
        "more"
    )
    elsewhere = tmp_path / "elsewhere" / "x.yaml"
    elsewhere.parent.mkdir()
    out = cli("add", "--deck", str(elsewhere), "--decks", str(deck.parent))
    assert "is not among your decks yet" in out


def test_edit_opens_at_the_line_validates_and_keeps_progress(tmp_path: Path, editor) -> None:  # type: ignore[no-untyped-def]
    deck = tmp_path / "own.yaml"
    deck.write_text(DECK)
    result = runner.invoke(
        app, ["study", "--decks", str(deck), "--topic", "own", "--today", "2026-11-26"],
        input="\n5\nq\n",
    )  # fmt: skip
    assert "saved: own-1" in result.output
    log = editor("REPLACE:Q7=>Q7 reworded: answerr", "REPLACE:Q7 reworded: answerr=>Q7 reworded")
    out = cli("edit", "own-7", "--decks", str(deck))
    seen = calls(log)
    assert seen[0]["args"] == ["+10", str(deck)]
    assert "reopening the editor" in out and seen[1]["args"][0] == "+11"
    assert "own-7 is at line 10" in out
    log = editor("REPLACE:Q1?=>Q1, reworded?")
    cli("edit", "own-1", "--decks", str(deck))
    state = json.loads(cli("show", "own-1", "--json", "--decks", str(deck)))
    assert state["question"] == "Q1, reworded?" and state["state"]["repetitions"] == 1


def test_edit_with_vs_code_uses_goto(tmp_path: Path, editor, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    deck = tmp_path / "own.yaml"
    deck.write_text(DECK)
    fake = tmp_path / "code"
    fake.write_text(f"#!{sys.executable}\nexec(open({str(EDITOR)!r}).read())\n")
    fake.chmod(0o755)
    log = editor(None)
    monkeypatch.setenv("EDITOR", str(fake))
    cli("edit", "own-7", "--decks", str(deck))
    assert calls(log)[0]["args"] == ["--wait", "-g", f"{deck}:10"]


def test_installed_builtin_decks_are_refused_and_decks_copy_replaces_them(
    tmp_path: Path,
    editor,
    monkeypatch: pytest.MonkeyPatch,  # type: ignore[no-untyped-def]
) -> None:
    monkeypatch.setattr(catalog_module, "installed_decks_dir", lambda: ROOT / "decks")
    editor("question: Q\nanswer: A\n")
    for args in (["edit", "gd-23"], ["add", "--deck", str(ROOT / "decks" / "08-gd.yaml")]):
        result = runner.invoke(app, args)
        assert result.exit_code != 0 and "dlcards decks copy DIR" in result.output, args
    mine = tmp_path / "mine"
    out = cli("decks", "copy", str(mine))
    assert "--decks" in out and sorted(p.name for p in mine.iterdir()) == sorted(
        p.name for p in (ROOT / "decks").glob("*.yaml")
    )
    assert runner.invoke(app, ["decks", "copy", str(mine)]).exit_code != 0  # no overwrite
    # the copies take the built-in decks' place: no duplicate topics, the same ids
    topics = json.loads(cli("topics", "--json", "--decks", str(mine)))
    assert all(str(mine) in t["file"] for t in topics)
    log = editor("REPLACE:- id: gd-23\n=>- id: gd-23\n  note: my own note\n", None)
    cli("edit", "gd-23", "--decks", str(mine))
    assert calls(log)[0]["args"][1].startswith(str(mine))
    assert json.loads(cli("show", "gd-23", "--json", "--decks", str(mine)))["note"] == "my own note"


def test_free_id_and_flow_lists() -> None:
    assert free_id("gd", {"gd-1", "gd-9", "gd-x", "gdx-40"}) == "gd-10"
    assert free_id("new", set()) == "new-1"
    text, line = append_card(
        "topic: t\ntitle: T\ncards: []\n", "question: Q\nanswer: A\n", "t-1", "t.yaml"
    )
    assert text == "topic: t\ntitle: T\ncards: \n  - id: t-1\n    question: Q\n    answer: A\n"
    assert line == 4


@pytest.mark.parametrize("answer", ["\n", "n\n"])
def test_edit_in_a_terminal_asks_before_reopening_the_editor(
    tmp_path: Path,
    editor,
    monkeypatch: pytest.MonkeyPatch,
    answer: str,  # type: ignore[no-untyped-def]
) -> None:
    """In a terminal a broken save is named and the learner is asked before the editor opens
    again (a full-screen editor would cover the message); no: the error, and the file as
    saved."""
    import dlcards.commands.edit as edit_cli

    monkeypatch.setattr(edit_cli, "_interactive", lambda: True)
    deck = tmp_path / "own.yaml"
    deck.write_text(DECK)
    log = editor("REPLACE:Q7=>Q7 reworded: answerr", "REPLACE:Q7 reworded: answerr=>Q7 reworded")
    result = runner.invoke(app, ["edit", "own-7", "--decks", str(deck)], input=answer)
    assert "error:" in result.output and "Open the editor again to fix it? [Y/n]" in result.output
    if answer == "\n":  # yes: opened again at the error's line, then checked
        assert result.exit_code == 0, result.output
        assert len(calls(log)) == 2 and "own-7 is at line 10" in result.output
    else:
        assert result.exit_code != 0 and len(calls(log)) == 1
        assert "saved with this error" in result.output and "answerr" in deck.read_text()
