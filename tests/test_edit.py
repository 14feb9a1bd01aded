"""`dlcards add`, `edit` and `decks copy`, with a scripted $EDITOR: the deck file keeps every
byte but the new card, errors reopen the editor, progress survives edits, and the built-in
decks of an installed package are never written."""

from __future__ import annotations

import json
import os
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


def is_copy_of(opened: str, deck: Path) -> bool:
    """The editor was given a copy of `deck` (of the same name), not the deck file itself."""
    return Path(opened).name == deck.name and Path(opened).parent != deck.parent


def kept_file(output: str, whose: str = "your edit") -> Path:
    """The file an error line says an edit (or a card, `yours`) is kept in: named there, or,
    `that file`, the one the error's place (`FILE:LINE:`) names."""
    import re

    said = " ".join(output.split())
    where = said.split(f"{whose} is kept in ")[1]
    if where.startswith("that file"):
        return Path(re.findall(r"error: (/\S+?):\d", said)[-1])
    return Path(where.split()[0])


def _deck_folder_and_temp(tmp_path: Path) -> tuple[Path, Path, Path]:
    """A deck folder holding DECK as `own.yaml`, that file, and an empty temporary folder."""
    decks = tmp_path / "decks"
    decks.mkdir()
    deck = decks / "own.yaml"
    deck.write_text(DECK, encoding="utf-8")
    temp = tmp_path / "tmp"
    temp.mkdir()
    return decks, deck, temp


def cli(*args: str) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.output


YES = "\n" * 20  # Enter (yes: the default) at each "Open the editor again to fix it?"


@pytest.fixture
def terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    """`add` and `edit` as in a terminal: a save with an error is said and the learner asked
    whether to open the editor again (without one, no one can fix it: no reopening)."""
    import dlcards.commands.edit as edit_cli

    monkeypatch.setattr(edit_cli, "_interactive", lambda: True)


def answered(*args: str, answers: str = YES) -> str:
    """`cli(*args)` in a terminal (`terminal`) that answers `answers` to its questions."""
    result = runner.invoke(app, list(args), input=answers)
    assert result.exit_code == 0, result.output
    return result.output


ASKED = "Open the editor again to fix it? [Y/n]"


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


def test_add_keeps_the_lines_of_a_value_that_start_with_a_hash(tmp_path: Path, editor) -> None:  # type: ignore[no-untyped-def]
    """A code comment or a Markdown heading in a block value (`answer: |`), and a quoted
    value's line that starts with `#`, are the card's text: `add` dropped every line starting
    with `#` as if it were a comment, and added a card other than the one checked. The
    template's own comments are still left out."""
    deck = tmp_path / "own.yaml"
    deck.write_text(DECK)
    typed = (
        "# a comment of the template\n"
        'question: "Two lines,\n'
        '  # the second in quotes"\n'
        "answer: |\n"
        "  ```python\n"
        "  # a comment in the code\n"
        "  x = 1\n"
        "  ```\n"
        "\n"
        "  # A heading\n"
        "  text\n"
        "# Optional: another comment of the template\n"
        "tags: [math]\n"
    )
    editor(typed)
    assert "added own-8" in cli("add", "--deck", str(deck), "--decks", str(deck))
    card = json.loads(cli("show", "own-8", "--json", "--decks", str(deck)))
    assert card["question"] == "Two lines, # the second in quotes"
    assert card["answer"] == "```python\n# a comment in the code\nx = 1\n```\n\n# A heading\ntext\n"
    assert "comment of the template" not in deck.read_text()


def test_add_keeps_a_kept_blocks_blank_lines_the_last_cards_and_its_own(
    tmp_path: Path, editor
) -> None:  # type: ignore[no-untyped-def]
    """A kept block (`answer: |+`) holds the blank lines after it. The new card went before the
    deck's blank lines at its end, between the last card and its blank lines, and that card's
    answer lost them ("kept\\n\\n\\n" became "kept\\n"); the new card's own were cut as the
    template's blank lines."""
    deck = tmp_path / "own.yaml"
    deck.write_text("topic: own\ntitle: Own\ncards:\n  - id: own-1\n    question: Q1\n"
                    "    answer: |+\n      kept\n\n\n")  # fmt: skip
    editor("question: Q2\nanswer: |+\n  mine\n\n")
    assert "added own-2" in cli("add", "--deck", str(deck), "--decks", str(deck))
    assert deck.read_text().startswith(
        "topic: own\ntitle: Own\ncards:\n  - id: own-1\n    question: Q1\n    answer: |+\n"
        "      kept\n\n\n  - id: own-2\n"
    )
    shown = [json.loads(cli("show", cid, "--json", "--decks", str(deck)))["answer"]
             for cid in ("own-1", "own-2")]  # fmt: skip
    assert shown == ["kept\n\n\n", "mine\n\n"]


@pytest.mark.parametrize(
    "first",
    ["    -   id: own-1\n        question: Q1\n        answer: A1\n",
     "-\n  id: own-1\n  question: Q1\n  answer: A1\n",
     "  -   {id: own-1, question: Q1, answer: A1}\n"],
)  # fmt: skip
def test_add_writes_the_new_card_at_the_column_of_the_last_cards_dash(
    tmp_path: Path, editor, first: str
) -> None:  # type: ignore[no-untyped-def]
    """A list item written `-   id:` (the fields 4 columns after the dash): the new card's `-`
    went 2 columns before the fields, inside the last card, and a deck that loads was refused
    with a YAML syntax error at a line of it."""
    deck = tmp_path / "own.yaml"
    deck.write_text("topic: own\ntitle: Own\ncards:\n" + first)
    editor("question: Q2\nanswer: A2\n")
    assert "added own-2" in cli("add", "--deck", str(deck), "--decks", str(deck))
    assert deck.read_text().startswith("topic: own\ntitle: Own\ncards:\n" + first)
    shown = json.loads(cli("show", "own-2", "--json", "--decks", str(deck)))
    assert (shown["question"], shown["answer"]) == ("Q2", "A2")


@pytest.mark.parametrize("eol", ["\r\n", "\r"])
def test_add_writes_the_decks_own_line_endings(tmp_path: Path, editor, eol: str) -> None:  # type: ignore[no-untyped-def]
    """A deck saved with Windows (CRLF) or old Mac (CR) line endings: the lines added end the
    same way, and every other byte is kept (they were LF: a file of mixed endings)."""
    deck = tmp_path / "own.yaml"
    deck.write_bytes(DECK.replace("\n", eol).encode())
    editor('question: "What is new?"\nanswer: A.\n')
    out = cli("add", "--deck", str(deck), "--decks", str(deck))
    assert "added own-8" in out
    data = deck.read_bytes().decode()
    head, tail = DECK.rsplit("# end comment\n", 1)
    expected = head + '\n  - id: own-8\n    question: "What is new?"\n    answer: A.\n'
    assert data == (expected + "# end comment\n" + tail).replace("\n", eol)
    assert json.loads(cli("show", "own-8", "--json", "--decks", str(deck)))["answer"] == "A."


def test_add_reopens_the_editor_on_an_error_with_the_loaders_message(
    tmp_path: Path, editor, terminal
) -> None:  # type: ignore[no-untyped-def]
    deck = tmp_path / "own.yaml"
    deck.write_text(DECK)
    log = editor("question: Q\nanswre: A\n", "question: Q\nanswer: A\n")
    out = answered("add", "--deck", str(deck), "--decks", str(deck))
    assert "unknown key 'answre' (did you mean 'answer'?)" in out and ASKED in out
    assert "own-8.yaml:2: card own-8" in out  # the template's own line
    seen = calls(log)
    assert len(seen) == 2 and "# error: own-8.yaml:2" in seen[1]["before"]
    assert "added own-8" in out and "own-8" in deck.read_text()
    # the editor opens on the question (found in tmux: at line 1, a comment, the learner had
    # to move three lines down first), then on the line of the error
    question = seen[0]["before"].splitlines().index("question: ") + 1
    assert seen[0]["args"][0] == f"+{question}" and seen[1]["args"][0] == "+2"


def test_add_errors_go_to_stderr_and_a_byte_order_mark_is_no_text(
    tmp_path: Path, editor, terminal
) -> None:  # type: ignore[no-untyped-def]
    """A torture run: the error that reopens the editor was written to standard output (a
    script grepping stderr for `error:` missed it), and a card saved with a byte-order mark
    (as editors on Windows write one) was refused: "unknown key '\\ufeffquestion'", though a
    deck file with one loads."""
    deck = tmp_path / "own.yaml"
    deck.write_text(DECK)
    editor("question: Q\nanswre: A\n", "\ufeffquestion: Q\nanswer: A\n")
    result = runner.invoke(app, ["add", "--deck", str(deck), "--decks", str(deck)], input=YES)
    assert result.exit_code == 0, result.output
    assert "error: own-8.yaml:2: card own-8: unknown key 'answre'" in result.stderr
    assert ASKED in result.stdout and "error:" not in result.stdout
    assert "added own-8" in result.stdout and "id: own-8" in deck.read_text()
    assert "\ufeff" not in deck.read_text(encoding="utf-8")


def test_add_and_edit_refuse_a_control_character_with_the_loaders_message(
    tmp_path: Path, editor, terminal
) -> None:  # type: ignore[no-untyped-def]
    """ "\\beta" in double quotes is a backspace and "eta": `add` and `edit` reopen the editor
    with the deck loader's line for it, and the card saved as the line says is the text."""
    deck = tmp_path / "own.yaml"
    deck.write_text(DECK)
    log = editor('question: "What is $\\beta$?"\nanswer: A\n', "REPLACE:\\beta=>\\\\beta")
    out = answered("add", "--deck", str(deck), "--decks", str(deck))
    said = "field 'question' has a control character (backspace, from \"\\b\" in double quotes)"
    assert said in out and ASKED in out
    assert "# error: own-8.yaml:1: card own-8: " + said in calls(log)[1]["before"]
    card = json.loads(cli("show", "own-8", "--json", "--decks", str(deck)))
    assert card["question"] == "What is $\\beta$?"
    log = editor('REPLACE:answer: A1=>answer: "A1 \\frac"', "REPLACE:\\frac=>\\\\frac")
    out = " ".join(answered("edit", "own-1", "--decks", str(deck)).split())  # lines fold at paths
    assert "own.yaml:8: card own-1: field 'answer' has a control character (form feed" in out
    assert ASKED in out and len(calls(log)) == 2
    card = json.loads(cli("show", "own-1", "--json", "--decks", str(deck)))
    assert card["answer"] == "A1 \\frac"


def test_add_takes_block_lists_and_checks_the_computations_as_check_does(
    tmp_path: Path, editor, terminal
) -> None:  # type: ignore[no-untyped-def]
    """A block list under a field (`compute:` then `- {fn: ...}` at the margin) is a field's,
    not a whole card; a computation the engine does not have, or an argument it does not take,
    is found when the card is written (not later by `dlcards check`), on its own line."""
    deck = tmp_path / "own.yaml"
    deck.write_text(DECK)
    card = (
        "question: Q\nanswer: A\ncompute:\n- {fn: %s, args: {%s: 3}}\n"
        "note: N.\nreferences:\n- A book\n"
    )
    # the question mentions the computation: the error names the line that runs it
    card = card.replace("question: Q", "question: What is huber of 3?")
    log = editor(card % ("hubber", "error"), card % ("huber", "eror"), card % ("huber", "error"))
    out = " ".join(answered("add", "--deck", str(deck), "--decks", str(deck)).split())
    assert "write one card's fields" not in out
    assert (
        "own-8.yaml:4: card own-8: compute hubber: unknown computation 'hubber' (did you mean "
        "'huber'?)" in out
    )
    assert "own-8.yaml:4: card own-8: compute huber: huber has no parameter 'eror'" in out
    assert len(calls(log)) == 3 and "added own-8" in out
    assert "fn: huber, args: {error: 3}" in deck.read_text()
    assert "0 error" in cli("check", "--decks", str(deck))
    # a character YAML refuses: its column in the template, as the editor shows it
    editor("question: What\x01 is this?\nanswer: A\n", "question: What is this?\nanswer: A\n")
    out = " ".join(answered("add", "--deck", str(deck), "--decks", str(deck)).split())
    assert "own-9.yaml:1:15: the character U+0001 is not allowed" in out


def test_edit_checks_the_cards_computations(tmp_path: Path, editor, terminal) -> None:  # type: ignore[no-untyped-def]
    deck = tmp_path / "own.yaml"
    deck.write_text(
        DECK.replace(
            "    answer: A1\n", "    answer: A1\n    compute:\n    - {fn: mse, args: {error: 2}}\n"
        )
    )
    log = editor("REPLACE:fn: mse=>fn: msee", "REPLACE:fn: msee=>fn: mse")
    out = " ".join(answered("edit", "own-1", "--decks", str(deck)).split())
    assert f"{deck}:10: card own-1: compute msee: unknown computation 'msee'" in out
    assert ASKED in out and calls(log)[1]["args"][0] == "+10"
    assert "own-1 is at line 6" in out


def test_add_and_edit_refuse_a_claim_the_engine_contradicts_as_check_does(
    tmp_path: Path, editor, terminal
) -> None:  # type: ignore[no-untyped-def]
    """A torture run: `add` took a card claiming sigmoid(2) = 0.5 without a word; `check`
    then failed on it (exit 1). The claim is checked when the card is written, as check
    checks it: reopened with the engine's value; marked wrong: true (with its erratum), the
    same claim is taken."""
    deck = tmp_path / "own.yaml"
    deck.write_text(DECK)
    wrong = "question: s2\nanswer: 0.5\ncompute:\n- {fn: sigmoid, args: {z: 2}, claim: 0.5}\n"
    marked = wrong.replace("claim: 0.5}", "claim: 0.5, wrong: true}") + (
        "erratum: It is 0.8808.\nreferences: [Bishop 2006]\n"
    )
    log = editor(wrong, marked)
    out = answered("add", "--deck", str(deck), "--decks", str(deck))
    assert (
        "own-8.yaml:4: card own-8: sigmoid(z=2) gives 0.8808, not the claimed 0.5; correct "
        "the claim, or mark it wrong: true with an erratum that says what is right"
    ) in " ".join(out.split()), out
    assert len(calls(log)) == 2 and "added own-8" in out
    assert runner.invoke(app, ["check", "--decks", str(deck)]).exit_code == 0
    editor("REPLACE:claim: 0.5, wrong: true=>claim: 0.8808, wrong: true")
    result = runner.invoke(app, ["edit", "own-8", "--decks", str(deck)], input="n\n")
    assert "is marked wrong: true, but the engine agrees with 0.8808" in result.output


def test_add_draws_the_quiz_template_as_check_does(tmp_path: Path, editor, terminal) -> None:  # type: ignore[no-untyped-def]
    """A quiz whose parameter never reaches its computation was taken by `add` and failed
    `check` later; its template is drawn when the card is written, as check draws it."""
    deck = tmp_path / "own.yaml"
    deck.write_text(DECK)
    card = (
        "question: Q\nanswer: A\ncompute:\n- {fn: sigmoid, args: {z: 2}}\n"
        "quiz:\n  template: 'sigmoid of {q}?'\n  params: {q: [1, 3]}\n"
    )
    fixed = card.replace("params: {q: [1, 3]}", "params: {z: [1, 3]}").replace("{q}", "{z}")
    log = editor(card, fixed)
    out = " ".join(answered("add", "--deck", str(deck), "--decks", str(deck)).split())
    assert "own-8.yaml:5: card own-8: quiz parameter 'q' never reaches sigmoid" in out, out
    assert len(calls(log)) == 2 and "added own-8" in out
    assert "0 error" in cli("check", "--decks", str(deck))


def test_add_cancelled_or_stuck_writes_nothing(tmp_path: Path, editor) -> None:  # type: ignore[no-untyped-def]
    deck = tmp_path / "own.yaml"
    deck.write_text(DECK)
    editor("")
    assert "no card added" in cli("add", "--deck", str(deck))
    editor("question: Q\n", None)  # an error, then saved unchanged
    result = runner.invoke(app, ["add", "--deck", str(deck)])
    assert result.exit_code != 0 and "no card added" in result.output
    assert deck.read_text() == DECK


def test_add_left_untouched_cancels_at_once(tmp_path: Path, editor) -> None:  # type: ignore[no-untyped-def]
    """Found in tmux: `dlcards add`, then `:q` in vi (the learner changed their mind) gave
    "field 'question' is empty; reopening the editor", and a second `:q` "error: the card was
    saved unchanged with its error: no card added; yours is kept in /tmp/dlcards-....yaml",
    exit 2, and a file of the bare template left behind. The template closed as it was given
    cancels at once, as an emptied one does."""
    deck = tmp_path / "own.yaml"
    deck.write_text(DECK)
    log = editor(None)  # closed unchanged
    result = runner.invoke(app, ["add", "--deck", str(deck)])
    assert result.exit_code == 0, result.output
    assert "nothing written: no card added" in result.output
    assert "error" not in result.output and "kept in" not in result.output
    assert len(calls(log)) == 1 and deck.read_text() == DECK


def test_add_shows_a_template_whose_lines_fit_80_columns(tmp_path: Path, editor) -> None:  # type: ignore[no-untyped-def]
    """Found in tmux (vi at 60 and 80 columns): the template's comments were 86 and 98
    characters long, so the editor wrapped them mid-word over the lines below. Each line
    fits 80 columns (for a topic and deck name of common length)."""
    deck = tmp_path / "attention.yaml"
    deck.write_text(DECK.replace("topic: own", "topic: attention"))
    log = editor(None)
    assert "no card added" in cli("add", "--deck", str(deck))
    template = calls(log)[0]["before"]
    assert "question: " in template.splitlines()
    assert max(len(line) for line in template.splitlines()) < 80, template


@pytest.mark.parametrize("n", [1, 2, 9, 12])
def test_add_without_deck_takes_the_only_deck_or_names_them_all(
    tmp_path: Path, editor, n: int
) -> None:  # type: ignore[no-untyped-def]
    """One deck of yours: `add` writes to it. More: which one, each named, or as many as fit
    and how many more (nine decks were cut to eight, the ninth left out unsaid). Nine, what
    `decks copy` makes of the built-in ones, are all named: `... 08-gd.yaml and 1 more` (seen
    in a terminal) spent a line's end on the one deck it hid."""
    folder = tmp_path / "mine"
    folder.mkdir()
    for k in range(1, n + 1):
        (folder / f"d{k:02}.yaml").write_text(f"topic: d{k}\ntitle: D{k}\ncards: []\n")
    editor("question: Q\nanswer: A\n")
    result = runner.invoke(app, ["add", "--decks", str(folder)])
    if n == 1:
        assert result.exit_code == 0 and "added d1-1" in result.output, result.output
        return
    assert result.exit_code == 2
    said = " ".join(result.output.split())  # as one line, whatever the width
    assert "which deck? pass --deck FILE, one of: " in said
    named = [k for k in range(1, n + 1) if f"d{k:02}.yaml" in said]
    assert named == list(range(1, min(n, 9) + 1)), said
    assert said.endswith(" and 3 more") if n == 12 else said.endswith(f"d{n:02}.yaml"), said


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
    # the help says when a file is started (it read "Deck file to add to (a new one is
    # started)", as if every add started one; a helper's UX run)
    shown = " ".join(cli("add", "--help").split())
    assert "started if it does not exist" in shown and "a new one is started" not in shown


def test_edit_opens_at_the_line_validates_and_keeps_progress(
    tmp_path: Path, editor, terminal
) -> None:  # type: ignore[no-untyped-def]
    deck = tmp_path / "own.yaml"
    deck.write_text(DECK)
    result = runner.invoke(
        app, ["study", "--decks", str(deck), "--topic", "own", "--today", "2026-11-26"],
        input="\n5\nq\n",
    )  # fmt: skip
    assert "saved: own-1" in result.output
    log = editor("REPLACE:Q7=>Q7 reworded: answerr", "REPLACE:Q7 reworded: answerr=>Q7 reworded")
    out = answered("edit", "own-7", "--decks", str(deck))
    seen = calls(log)
    assert seen[0]["args"][0] == "+10" and is_copy_of(seen[0]["args"][1], deck)
    assert ASKED in out and seen[1]["args"][0] == "+11"
    assert "own-7 is at line 10" in out
    log = editor("REPLACE:Q1?=>Q1, reworded?")
    answered("edit", "own-1", "--decks", str(deck))
    state = json.loads(cli("show", "own-1", "--json", "--decks", str(deck)))
    assert state["question"] == "Q1, reworded?" and state["state"]["repetitions"] == 1


def test_a_quote_left_open_is_named_at_its_line_and_the_editor_reopens_there(
    tmp_path: Path, editor, terminal
) -> None:  # type: ignore[no-untyped-def]
    """A torture run: a quote opened on line 7 of a deck and never closed was reported at
    the end of the file (PyYAML notices it there), and the editor reopened at that line, far
    from the quote. The line named, and the editor's, is the quote's."""
    deck = tmp_path / "own.yaml"
    many = "".join(f"  - id: own-{n}\n    question: Q\n    answer: A\n" for n in range(10, 40))
    deck.write_text(DECK + many)
    log = editor('REPLACE:question: "Q1?"=>question: "Q1?', 'REPLACE:question: "Q1?=>question: Q1')
    out = answered("edit", "own-1", "--decks", str(deck))
    assert (
        "own.yaml:7:15: YAML syntax error: this quoted value is never closed: its closing quote "
        "is missing"
    ) in " ".join(out.split()), out
    assert calls(log)[1]["args"][0] == "+7"
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "own.yaml").write_text(DECK.replace('"Q1?"', '"Q1?') + many)
    checked = runner.invoke(app, ["check", "--decks", str(tmp_path / "bad")])
    assert checked.exit_code == 2 and "own.yaml:7:15: YAML syntax error" in checked.output


def test_edit_with_vs_code_uses_goto(tmp_path: Path, editor, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    deck = tmp_path / "own.yaml"
    deck.write_text(DECK)
    fake = tmp_path / "code"
    fake.write_text(f"#!{sys.executable}\nexec(open({str(EDITOR)!r}).read())\n")
    fake.chmod(0o755)
    log = editor(None)
    monkeypatch.setenv("EDITOR", str(fake))
    cli("edit", "own-7", "--decks", str(deck))
    args = calls(log)[0]["args"]
    assert args[:2] == ["--wait", "-g"] and args[2].endswith(":10")
    assert is_copy_of(args[2].rsplit(":", 1)[0], deck)


@pytest.mark.parametrize(
    ("command", "expected"),
    [("code", ["--wait", "-g"]), ("code --wait", ["--wait", "-g"]), ("code -w", ["-w", "-g"]),
     ("subl", ["--wait"]), ("subl -w", ["-w"]), ("zed --wait", ["--wait"])],
)  # fmt: skip
def test_editors_that_open_file_colon_line_get_it_and_wait_once(
    tmp_path: Path, editor, monkeypatch, command: str, expected: list[str]
) -> None:  # type: ignore[no-untyped-def]
    """Sublime Text and Zed open `FILE:LINE` and return at once unless told `--wait`: given
    `+LINE`, Sublime opened a file named "+10" beside the deck. VS Code's `--wait` is added
    once, not a second time beside $EDITOR's own."""
    deck = tmp_path / "own.yaml"
    deck.write_text(DECK)
    name, *flags = command.split()
    fake = tmp_path / name
    fake.write_text(f"#!{sys.executable}\nexec(open({str(EDITOR)!r}).read())\n")
    fake.chmod(0o755)
    log = editor(None)
    monkeypatch.setenv("EDITOR", " ".join([str(fake), *flags]))
    cli("edit", "own-7", "--decks", str(deck))
    args = calls(log)[0]["args"]
    assert args[:-1] == expected and args[-1].endswith(":10"), args
    assert is_copy_of(args[-1].rsplit(":", 1)[0], deck)


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
    # copied again: the same bytes are no clash (a copy stopped half-way is run again), and
    # no copy either: the files are left as they are, and the line says so (it said "copied 9
    # decks" of a folder that had them all)...
    gd = mine / "08-gd.yaml"
    os.utime(gd, (1_000_000_000, 1_000_000_000))
    (mine / "02-mlp.yaml").unlink()
    again = runner.invoke(app, ["decks", "copy", str(mine)])
    assert again.exit_code == 0, again.output
    assert f"copied 1 deck to {mine} (8 already there as they are)" in again.output
    assert gd.stat().st_mtime == 1_000_000_000 and (mine / "02-mlp.yaml").is_file()
    all_there = runner.invoke(app, ["decks", "copy", str(mine)])
    assert f"{mine} already has the 9 built-in decks as they are;" in all_there.output
    mine_too = mine / "01-perceptron.yaml"
    mine_too.write_text(mine_too.read_text(encoding="utf-8") + "# mine\n", encoding="utf-8")
    refused = runner.invoke(app, ["decks", "copy", str(mine)])  # ...a change is, and the
    # line says what --force does to it (it said "already has 01-perceptron.yaml; pass --force
    # to overwrite", of a deck with the learner's own cards, as if it were any copy)
    assert refused.exit_code == 2, refused.output
    said = " ".join(refused.output.split())
    assert f"{mine} already has 01-perceptron.yaml, not as the built-in deck is" in said, said
    assert "--force overwrites it with the built-in deck, and what differs is lost" in said
    # the copies take the built-in decks' place: no duplicate topics, the same ids
    topics = json.loads(cli("topics", "--json", "--decks", str(mine)))
    assert all(str(mine) in t["file"] for t in topics)
    log = editor("REPLACE:- id: gd-23\n=>- id: gd-23\n  note: my own note\n", None)
    cli("edit", "gd-23", "--decks", str(mine))
    assert is_copy_of(calls(log)[0]["args"][1], mine / "08-gd.yaml")
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
        assert "saved with this error" in result.output and deck.read_text() == DECK
        assert "answerr" in kept_file(result.output).read_text()


CARD_TEXT = "question: {q}\nanswer: An answer.\ntags: []\n"


def test_two_adds_at_once_keep_both_cards(tmp_path: Path) -> None:
    """Two `dlcards add` to one deck file, both with the editor open before either saves:
    both cards are in the file, each with its own id (each add reads the file again under a
    lock on its folder when it writes)."""
    import os
    import subprocess
    import time

    deck = tmp_path / "own.yaml"
    deck.write_text(DECK, encoding="utf-8")
    go = tmp_path / "go"
    waiting = tmp_path / "waiting"
    waiting.mkdir()
    editor = tmp_path / "slow_editor.py"
    editor.write_text(
        "import pathlib, sys, time\n"
        "target = pathlib.Path(sys.argv[-1])\n"
        f"pathlib.Path({str(waiting)!r}, target.name + sys.argv[1]).touch()\n"
        f"while not pathlib.Path({str(go)!r}).exists():\n"
        "    time.sleep(0.02)\n"
        f"target.write_text({CARD_TEXT!r}.format(q='From ' + sys.argv[1] + '?'))\n"
    )
    env = {k: v for k, v in os.environ.items() if k not in ("VISUAL", "EDITOR")}
    runs = []
    for name in ("first", "second"):
        env["EDITOR"] = f"{sys.executable} {editor} {name}"
        runs.append(
            subprocess.Popen(
                [sys.executable, "-m", "dlcards", "add", "--deck", str(deck)],
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
            )
        )
    deadline = time.monotonic() + 60
    while len(list(waiting.iterdir())) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(list(waiting.iterdir())) == 2  # both editors open: both read the deck before
    go.touch()
    said = [run.communicate(timeout=60)[0] for run in runs]
    assert [run.returncode for run in runs] == [0, 0], said
    text = deck.read_text(encoding="utf-8")
    assert "From first?" in text and "From second?" in text
    assert text.startswith(DECK.split("# end comment")[0].rstrip("\n"))
    from dlcards.deck import parse_deck

    ids = [c.id for c in parse_deck(text, str(deck)).cards]
    assert ids[:2] == ["own-1", "own-7"] and sorted(ids[2:]) == ["own-8", "own-9"]
    added = [
        line.split()[1] for out in said for line in out.splitlines() if line.startswith("added")
    ]
    assert sorted(added) == ["own-8", "own-9"]  # (one may first say it waits for the lock)


def test_a_second_add_to_a_file_outside_the_decks_takes_the_next_id(tmp_path: Path, editor) -> None:  # type: ignore[no-untyped-def]
    deck = tmp_path / "loose" / "notes.yaml"
    deck.parent.mkdir()
    log = editor(CARD_TEXT.format(q="One?"))
    assert "added notes-1" in cli("add", "--deck", str(deck))
    log = editor(CARD_TEXT.format(q="Two?"))
    assert "added notes-2" in cli("add", "--deck", str(deck))
    assert len(calls(log)) == 1  # the editor opened once


@pytest.mark.parametrize(
    ("where", "words"),
    [
        ("folder", "is a directory; pass a deck file"),
        ("missing/new.yaml", "its folder"),
    ],
)
def test_add_refuses_a_deck_path_it_cannot_write_before_the_editor_opens(
    tmp_path: Path, editor, where: str, words: str
) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "folder").mkdir()
    log = editor(CARD_TEXT.format(q="Lost?"))
    result = runner.invoke(app, ["add", "--deck", str(tmp_path / where)])
    assert result.exit_code == 2
    (line,) = result.output.strip().splitlines()
    assert line.startswith("error: ") and words in line
    assert calls(log) == []  # nothing was typed for nothing
    assert not (tmp_path / "missing").exists()


def test_add_refuses_the_built_in_decks(tmp_path: Path, editor) -> None:  # type: ignore[no-untyped-def]
    from dlcards.catalog import builtin_decks_dir

    target = builtin_decks_dir() / "01-perceptron.yaml"
    before = target.read_bytes()
    log = editor(CARD_TEXT.format(q="Lost?"))
    result = runner.invoke(app, ["add", "--deck", str(target)])
    assert result.exit_code == 2 and "built-in deck" in result.output
    assert calls(log) == [] and target.read_bytes() == before


def test_an_editor_command_with_an_unclosed_quote_is_one_error_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("VISUAL", raising=False)
    monkeypatch.setenv("EDITOR", 'vim "')
    result = runner.invoke(app, ["add", "--deck", str(tmp_path / "mine.yaml")])
    assert result.exit_code == 2
    (line,) = result.output.strip().splitlines()
    assert "cannot read $EDITOR 'vim \"'" in line and "closing quotation" in line


@pytest.mark.parametrize("visual", [True, False])
def test_an_editor_that_cannot_run_names_the_variable_that_chose_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, visual: bool
) -> None:
    """With VISUAL=nvim (not installed) and EDITOR=vi, `dlcards add` said "cannot run the
    editor 'nvim': No such file or directory; set $EDITOR", which was set already: $VISUAL
    comes first, and the line names the variable to change."""
    missing = str(tmp_path / "no-such-editor")
    if visual:
        monkeypatch.setenv("VISUAL", missing)
        monkeypatch.setenv("EDITOR", f"{sys.executable} {EDITOR}")
    else:
        monkeypatch.delenv("VISUAL", raising=False)
        monkeypatch.setenv("EDITOR", missing)
    deck = tmp_path / "mine.yaml"
    result = runner.invoke(app, ["add", "--deck", str(deck)])
    assert result.exit_code == 2
    (line,) = result.output.strip().splitlines()
    name, other = ("$VISUAL", "$EDITOR") if visual else ("$EDITOR", "$VISUAL")
    assert f"cannot run the editor {missing!r} ({name})" in line
    assert f"set {name} " in line and other not in line
    assert not deck.exists()


def test_an_editor_ended_by_a_signal_is_named_by_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An editor killed (`kill` of vi, say) made `dlcards add` say "the editor 'vi' exited with
    code -15": Popen's negative code, which no shell shows. The line names the signal."""
    script = tmp_path / "killed_editor.py"
    script.write_text("import os, signal\nos.kill(os.getpid(), signal.SIGTERM)\n")
    monkeypatch.delenv("VISUAL", raising=False)
    monkeypatch.setenv("EDITOR", f"{sys.executable} {script}")
    deck = tmp_path / "mine.yaml"
    result = runner.invoke(app, ["add", "--deck", str(deck)])
    assert result.exit_code == 2
    (line,) = result.output.strip().splitlines()
    assert line.endswith(f"the editor '{sys.executable} {script}' was ended by SIGTERM")
    assert not deck.exists()


def test_a_card_that_cannot_be_written_is_kept_and_the_deck_is_unchanged(
    tmp_path: Path, editor, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    import dlcards.fileio

    deck = tmp_path / "own.yaml"
    deck.write_text(DECK, encoding="utf-8")
    editor(CARD_TEXT.format(q="Worth keeping?"))

    def refused(*args: object, **kwargs: object) -> None:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(dlcards.fileio, "atomic_write_bytes", refused)
    result = runner.invoke(app, ["add", "--deck", str(deck)])
    assert result.exit_code == 2
    (line,) = result.output.strip().splitlines()
    assert f"cannot write {deck}: Permission denied; no card added" in line
    kept = Path(line.rsplit("kept in ", 1)[1])
    assert "Worth keeping?" in kept.read_text(encoding="utf-8")
    kept.unlink()
    assert deck.read_text(encoding="utf-8") == DECK


def test_decks_copy_into_a_folder_it_cannot_write_is_one_error_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import tempfile

    def refused(prefix: str, suffix: str, dir: object) -> None:
        raise PermissionError(13, "Permission denied", str(dir))

    monkeypatch.setattr(tempfile, "mkstemp", refused)
    result = runner.invoke(app, ["decks", "copy", str(tmp_path / "mine")])
    assert result.exit_code == 2
    (line,) = result.output.strip().splitlines()
    assert line.startswith(
        f"error: cannot copy the decks to {tmp_path / 'mine'}: Permission denied"
    )


def test_add_refuses_a_fifo_before_it_blocks_on_it(tmp_path: Path, editor) -> None:  # type: ignore[no-untyped-def]
    import os

    fifo = tmp_path / "pipe.yaml"
    os.mkfifo(fifo)
    log = editor(CARD_TEXT.format(q="Lost?"))
    result = runner.invoke(app, ["add", "--deck", str(fifo)])
    assert result.exit_code == 2
    assert "it is a FIFO (named pipe), not a deck file" in result.output
    assert calls(log) == []


def test_an_editor_that_saves_latin_1_gets_the_loaders_message_not_a_traceback(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Torture run 2 (f5.sh): `edit` and `add` read what the editor saved as UTF-8 and died
    with UnicodeDecodeError on a Latin-1 "é"."""
    deck = tmp_path / "own.yaml"
    deck.write_text(DECK, encoding="utf-8")
    script = tmp_path / "latin1_editor.py"
    script.write_text(
        "import sys, pathlib\n"
        "target = pathlib.Path(sys.argv[-1].split(':')[0].lstrip('+'))\n"
        "text = target.read_bytes()\n"
        "if b'own-7' in text:\n"
        "    target.write_bytes(text.replace(b'answer: A1', b'answer: caf\\xe9'))\n"
        "else:\n"
        "    target.write_bytes(b'question: Caf\\xe9?\\nanswer: A.\\n')\n"
    )
    monkeypatch.delenv("VISUAL", raising=False)
    monkeypatch.setenv("EDITOR", f"{sys.executable} {script}")
    added = runner.invoke(app, ["add", "--deck", str(deck)])
    assert added.exit_code == 2, added.output
    assert "not UTF-8 text" in added.output and "Traceback" not in added.output
    assert deck.read_text(encoding="utf-8") == DECK
    edited = runner.invoke(app, ["edit", "own-1", "--decks", str(tmp_path)])
    assert edited.exit_code == 2, edited.output
    assert "not UTF-8 text" in edited.output


def test_an_add_while_edit_has_the_deck_open_waits_and_keeps_both(tmp_path: Path) -> None:
    """Torture run 3 (add2.sh): `edit` took no lock, so its editor saving the copy it opened
    overwrote a card an `add` had written meanwhile ("checked", the card gone). The deck's
    folder is now locked while edit's editor is open: the add waits, then appends to the
    file as edit saved it."""
    import os
    import subprocess
    import time

    deck = tmp_path / "own.yaml"
    deck.write_text(DECK, encoding="utf-8")
    go, opened = tmp_path / "go", tmp_path / "opened"
    slow = tmp_path / "slow_editor.py"  # edit's editor: saves its copy once told to
    slow.write_text(
        "import pathlib, sys, time\n"
        "target = pathlib.Path(sys.argv[-1])\n"
        "copy = target.read_text()\n"
        f"pathlib.Path({str(opened)!r}).touch()\n"
        f"while not pathlib.Path({str(go)!r}).exists():\n"
        "    time.sleep(0.02)\n"
        "target.write_text(copy.replace('answer: A1', 'answer: A1, edited'))\n"
    )
    quick = tmp_path / "quick_editor.py"  # add's editor
    quick.write_text(
        f"import pathlib, sys\npathlib.Path(sys.argv[-1]).write_text({CARD_TEXT!r}.format("
        "q='Added meanwhile?'))\n"
    )
    env = {k: v for k, v in os.environ.items() if k not in ("VISUAL", "EDITOR")}
    editing = subprocess.Popen(
        [sys.executable, "-m", "dlcards", "edit", "own-1", "--decks", str(tmp_path)],
        env={**env, "EDITOR": f"{sys.executable} {slow}"},
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    deadline = time.monotonic() + 60
    while not opened.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    said = tmp_path / "add-stderr.txt"
    with said.open("w") as stderr:
        adding = subprocess.Popen(
            [sys.executable, "-m", "dlcards", "add", "--deck", str(deck)],
            env={**env, "EDITOR": f"{sys.executable} {quick}"},
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=stderr,
            text=True,
        )
        # the add's card is typed and it waits for the lock, saying so
        while "waiting for it to finish" not in said.read_text() and time.monotonic() < deadline:
            assert adding.poll() is None, said.read_text()
            time.sleep(0.05)
        assert "waiting for it to finish" in said.read_text()
        go.touch()
        edited = editing.communicate(timeout=60)[0]
        added = adding.communicate(timeout=60)[0]
    assert editing.returncode == 0 and adding.returncode == 0, (edited, added, said.read_text())
    text = deck.read_text(encoding="utf-8")
    assert "A1, edited" in text and "Added meanwhile?" in text


def test_add_refuses_a_new_deck_whose_topic_another_deck_has(tmp_path: Path, editor) -> None:  # type: ignore[no-untyped-def]
    """Torture run 3 (add5.sh): `add --deck other/own.yaml` started a deck with topic `own`,
    which mine/own.yaml had: it said "added own-1", then every command stopped on the
    duplicate topic."""
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "own.yaml").write_text(DECK, encoding="utf-8")
    (tmp_path / "other").mkdir()
    log = editor(CARD_TEXT.format(q="Clash?"))
    new = tmp_path / "other" / "own.yaml"
    result = runner.invoke(app, ["add", "--deck", str(new), "--decks", str(tmp_path / "mine")])
    assert result.exit_code == 2
    assert "would have topic 'own', which" in result.output and calls(log) == []
    assert not new.exists()


def test_add_names_a_deck_file_a_folder_would_load(tmp_path: Path, editor) -> None:  # type: ignore[no-untyped-def]
    """`add --deck x.txt` wrote a deck no deck folder loads and said "pass --decks DIR";
    a new file named for a built-in deck's topic was told to "add to that deck", which add
    then refuses."""
    log = editor(CARD_TEXT.format(q="Where?"))
    for name in ("x.txt", "x.YAML", "x", ".x.yaml"):  # a hidden file is no deck either
        target = tmp_path / name
        result = runner.invoke(app, ["add", "--deck", str(target)])
        assert (result.exit_code, result.output.strip()) == (
            2,
            f"error: --deck {target}: a deck file's name ends in .yaml or .yml and does not "
            "begin with a dot (a deck folder loads only those); name it x.yaml",
        )
        assert not target.exists() and calls(log) == []
    taken = runner.invoke(app, ["add", "--deck", str(tmp_path / "08-gd.yaml")])
    assert taken.exit_code == 2 and "a built-in deck's" in taken.output
    assert "--deck " not in taken.output and "dlcards decks copy DIR" in taken.output
    assert calls(log) == []
    # a deck file of another name that is already there: it is loaded by its own path
    mine = tmp_path / "mine.txt"
    mine.write_text(DECK, encoding="utf-8")
    editor(CARD_TEXT.format(q="Here?"))
    out = " ".join(cli("add", "--deck", str(mine)).split())
    assert f"is not among your decks yet: pass --decks {mine} (or add" in out


def test_edit_opens_a_broken_deck_at_its_error_to_fix_it_first(tmp_path: Path, editor) -> None:  # type: ignore[no-untyped-def]
    """A helper's UX run: with a YAML error in one deck every command failed on it, `edit`
    included, so the command meant to mend a deck could not. `edit ID` now opens the broken
    file at the error's line, checks it, then opens the card asked for."""
    folder = tmp_path / "decks"
    folder.mkdir()
    (folder / "own.yaml").write_text(DECK)
    other = DECK.replace("topic: own", "topic: two").replace("own-", "two-")
    (folder / "two.yaml").write_text(other.replace("    answer: A1\n", "    answer: A1 : : [\n"))
    broken = runner.invoke(app, ["show", "own-7", "--decks", str(folder)])
    assert broken.exit_code == 2 and "two.yaml:8:" in broken.output
    log = editor("REPLACE:A1 : : [=>A1", None)
    out = cli("edit", "own-7", "--decks", str(folder))
    seen = calls(log)
    assert seen[0]["args"][0] == "+8"  # the broken deck, its line
    assert is_copy_of(seen[0]["args"][1], folder / "two.yaml")
    assert seen[1]["args"][0] == "+10"  # then the card asked for
    assert is_copy_of(seen[1]["args"][1], folder / "own.yaml")
    assert "to fix it first" in out and "own-7 is at line 10" in out
    assert cli("show", "two-1", "--decks", str(folder))


def test_add_never_gives_a_new_card_the_id_of_a_removed_one(tmp_path: Path, editor) -> None:  # type: ignore[no-untyped-def]
    """A torture run (a helper): own-2 studied, then removed from its deck (retired, its log
    kept, to come back if its id does); `add` to the deck took own-2 again, and the new card
    showed the removed card's reviews and schedule. The id is now one the database has
    never held."""
    deck = tmp_path / "own.yaml"
    two = DECK.replace("own-7", "own-2")  # the removed card is the highest numbered
    deck.write_text(two)
    result = runner.invoke(
        app, ["study", "--decks", str(deck), "--topic", "own", "--today", "2026-11-26"],
        input="\n5\n\n5\nq\n",
    )  # fmt: skip
    assert "saved: own-2" in result.output, result.output
    deck.write_text(two.split("  - id: own-2")[0] + "# end comment\n")
    cli("due", "--decks", str(deck))  # own-2 retired
    editor('question: "What is new?"\nanswer: A new card.\n')
    out = cli("add", "--deck", str(deck), "--decks", str(deck))
    assert "added own-3" in out, out  # not own-2, one past the largest ever used
    card = json.loads(cli("show", "own-3", "--json", "--decks", str(deck)))
    assert card["state"]["repetitions"] == 0 and card["question"] == "What is new?"


@pytest.mark.skipif(sys.platform != "linux" or os.geteuid() != 0, reason="mounts a tmpfs")
def test_decks_copy_on_a_full_disk_copies_none(tmp_path: Path) -> None:
    """Torture run: `dlcards decks copy DIR` on a disk with 100 KB free copied four decks and
    cut the fifth short (12,288 of its 13,345 bytes), then said the disk was full; run again
    with room, it refused (`already has ...; pass --force`). A deck cut at a line boundary
    reads as a deck with fewer cards: with --decks DIR, the rest would be retired. The decks
    are copied all or none now."""
    import helpers as h

    with h.small_disk(tmp_path / "disk", "600k") as disk:
        filler = h.fill_disk(disk)
        os.truncate(filler, filler.stat().st_size - 100 * 1024)
        mine = disk / "mine"
        result = runner.invoke(app, ["decks", "copy", str(mine)])
        assert result.exit_code == 2 and result.output.count("\n") == 1
        assert result.output.startswith(f"error: cannot copy the decks to {mine}: No space")
        assert list(mine.iterdir()) == []  # no deck, no temporary file
        filler.unlink()
        cli("decks", "copy", str(mine))
        for deck in (ROOT / "decks").glob("*.yaml"):
            assert (mine / deck.name).read_bytes() == deck.read_bytes()


def test_decks_copy_says_its_folder_as_given_in_lines_that_fit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Its message went through rich markup, so a folder named `[red]x[/red]` was said as
    `x`, and rich wrapped it to 80 columns even in a pipe. Plain text now: one line in a
    pipe; on a terminal of 40, broken between words, its further lines two in."""
    from dlcards.console import out

    folder = tmp_path / "[red]x[/red]"
    piped = runner.invoke(app, ["decks", "copy", str(folder)])
    assert piped.exit_code == 0, piped.output
    assert piped.output.count("\n") == 1 and piped.output.count(f"{folder}") == 3
    monkeypatch.setenv("TTY_COMPATIBLE", "1")
    monkeypatch.setenv("TERM", "dumb")
    monkeypatch.setenv("COLUMNS", "40")
    out.cache_clear()
    for deck in folder.iterdir():  # copied again, as the first time
        deck.unlink()
    lines = runner.invoke(app, ["decks", "copy", "--force", str(folder)]).output.splitlines()
    assert all(len(line) <= 40 or " " not in line.strip() for line in lines), lines
    assert all(line.startswith("  ") and line[2] != " " for line in lines[1:]), lines
    assert " ".join(line.strip() for line in lines) == piped.output.strip()


def test_add_names_the_line_of_an_id_written_in_the_template() -> None:
    from dlcards.deckedit import check_template
    from dlcards.errors import DeckError

    for text, line in [
        ("question: Q\nanswer: A\nid: own-3\n", 3),
        ("# a comment\n\n- question: Q\n  answer: A\n", 3),
    ]:
        with pytest.raises(DeckError, match=rf"^new\.yaml:{line}: write one card's fields"):
            check_template(text, "own", "own-8", "new.yaml")


def test_add_says_what_a_document_marker_in_the_template_is(
    tmp_path: Path, editor, terminal
) -> None:  # type: ignore[no-untyped-def]
    """A `---` line in the card written with `dlcards add` (a separator between question and
    answer, say) got PyYAML's "could not find expected ':'", naming the line after it: the
    line is named, with what it means to YAML and what to write instead. Inside a block it is
    text, and the card is added with it."""
    deck = tmp_path / "own.yaml"
    deck.write_text(DECK)
    editor("question: Q\n---\nanswer: A\n", "question: Q\nanswer: |\n  A\n  ---\n  B\n")
    out = answered("add", "--deck", str(deck), "--decks", str(deck))
    assert "own-8.yaml:2: a line --- is YAML's mark of a document's start" in out, out
    assert "expected" not in out and "indent it under a block" in out, out
    assert "added own-8" in out and "  ---\n" in deck.read_text()


def test_a_document_marker_in_a_deck_file_is_said_in_a_learners_words() -> None:
    """In a deck file, PyYAML said "but found another document" (`---`), and "did not find
    expected <document start>" on the line after a `...`."""
    from dlcards.deck import parse_deck
    from dlcards.errors import DeckError

    head = "topic: own\ntitle: t\ncards:\n- id: own-1\n  question: q\n"
    for text, line, word in [
        (head + "---\n  answer: a\n", 6, "start"),
        (head + "  answer: a\n---\n", 7, "start"),
        (head + "  answer: a\n...\n\ntopic: x\n", 7, "end"),
    ]:
        with pytest.raises(DeckError, match=rf"^own\.yaml:{line}: a line .* document's {word}"):
            parse_deck(text, "own.yaml")
    for text, line in [("question: Q\nanswer: A\n...\n", 3), ("---\nquestion: Q\n", 1)]:
        from dlcards.deckedit import check_template

        with pytest.raises(DeckError, match=rf"^new\.yaml:{line}: a line"):
            check_template(text, "own", "own-8", "new.yaml")


def test_a_bracket_left_open_in_the_template_names_the_templates_lines() -> None:
    """A list or mapping left open: the error names where it opens and where it was noticed,
    both lines of the template as the learner sees it (the second was the line in the text
    the template is checked in, four lines on: "at line 6" in a template of three)."""
    from dlcards.deckedit import check_template
    from dlcards.errors import DeckError

    for text in ("question: [a\nanswer: A\n", "question: {a: b\nanswer: A\n"):
        with pytest.raises(DeckError, match=r"^new\.yaml:1:11: .* at line 2, while parsing"):
            check_template(text, "own", "own-8", "new.yaml")


def test_add_given_up_on_keeps_what_was_typed(tmp_path: Path, editor) -> None:  # type: ignore[no-untyped-def]
    deck = tmp_path / "own.yaml"
    deck.write_text(DECK)
    editor("question: [my long card\nanswer: typed with care\n", None)  # then saved unchanged
    result = runner.invoke(app, ["add", "--deck", str(deck)])
    assert result.exit_code == 2 and "no card added; yours is kept in " in result.output
    kept = kept_file(result.output, "yours")
    assert "answer: typed with care" in kept.read_text()
    assert deck.read_text() == DECK


def test_edit_that_changes_the_cards_id_names_both_ids(tmp_path: Path, editor) -> None:  # type: ignore[no-untyped-def]
    deck = tmp_path / "own.yaml"
    deck.write_text(DECK)
    editor("REPLACE:id: own-7=>id: own-8")
    out = cli("edit", "own-7", "--decks", str(deck))
    assert "own-7 is now own-8 in " in out and "change the id back to own-7 to keep it" in out
    card = "  - id: own-8\n    question: Q7\n    answer: |\n      A7, a block\n      of two lines\n"
    editor(f"REPLACE:{card}=>")
    out = cli("edit", "own-8", "--decks", str(deck))  # the card taken out: no new id to name
    assert "own-8 is no longer in any deck" in out


def test_edit_given_up_on_leaves_the_deck_as_it_was_and_keeps_the_edit(
    tmp_path: Path, editor, terminal
) -> None:  # type: ignore[no-untyped-def]
    """An audit: a broken save given up on (saved unchanged) was left in the deck file, and
    every later command failed on it. The editor has a copy: the deck keeps every byte (its
    CRLF endings too), and the error line names the file the broken edit is kept in."""
    deck = tmp_path / "own.yaml"
    deck.write_bytes(DECK.replace("\n", "\r\n").encode())
    broken = DECK.replace("answer: A1", "answer: [A1")
    log = editor(broken, None)  # a YAML error, opened again (yes), then saved unchanged
    result = runner.invoke(app, ["edit", "own-1", "--decks", str(deck)], input=YES)
    assert result.exit_code == 2 and len(calls(log)) == 2
    assert deck.read_bytes() == DECK.replace("\n", "\r\n").encode()
    assert f"{deck} is left as it was" in " ".join(result.output.split())
    assert kept_file(result.output).read_text() == broken
    assert "own-1" in cli("show", "own-1", "--decks", str(deck))


def test_edit_replaces_a_linked_decks_target_keeping_its_mode(tmp_path: Path, editor) -> None:  # type: ignore[no-untyped-def]
    """A good edit takes the deck file's place by a rename (a new file, not the old one
    rewritten); a deck that is a link keeps its link, and its target its mode."""
    target = tmp_path / "real.yaml"
    target.write_text(DECK)
    target.chmod(0o640)
    inode = target.stat().st_ino
    deck = tmp_path / "decks" / "own.yaml"
    deck.parent.mkdir()
    deck.symlink_to(target)
    editor("REPLACE:Q7=>Q7 reworded")
    cli("edit", "own-7", "--decks", str(deck))
    assert deck.is_symlink() and target.read_text() == DECK.replace("Q7", "Q7 reworded")
    assert target.stat().st_ino != inode and target.stat().st_mode & 0o777 == 0o640


def test_an_edit_that_changes_nothing_does_not_write_the_deck(tmp_path: Path, editor) -> None:  # type: ignore[no-untyped-def]
    import os

    deck = tmp_path / "own.yaml"
    deck.write_text(DECK)
    os.utime(deck, ns=(1_000_000_000, 1_000_000_000))
    editor("REPLACE:Q7=>Q7")  # saved, as it was
    # found in tmux: it said "own.yaml: checked, own-7 is at line 10", as after an edit
    said = " ".join(cli("edit", "own-7", "--decks", str(deck)).split())
    assert "own-7 is at line 10 (unchanged: the editor saved no change to it)" in said
    assert deck.stat().st_mtime_ns == 1_000_000_000 and deck.read_text() == DECK


def test_an_edit_of_a_deck_another_program_changed_meanwhile_is_kept_aside(
    tmp_path: Path, editor, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    deck = tmp_path / "own.yaml"
    deck.write_text(DECK)
    meanwhile = DECK.replace("A1", "A1, changed meanwhile")
    both = tmp_path / "both.py"  # an editor that saves its file while another saves the deck
    both.write_text(
        "import pathlib, sys\n"
        f"pathlib.Path({str(deck)!r}).write_text({meanwhile!r})\n"
        "target = pathlib.Path(sys.argv[-1])\n"
        "target.write_text(target.read_text().replace('Q7', 'Q7 edited'))\n"
    )
    monkeypatch.setenv("EDITOR", f"{sys.executable} {both}")
    result = runner.invoke(app, ["edit", "own-7", "--decks", str(deck)])
    out = " ".join(result.output.split())
    assert result.exit_code == 2 and "was changed by another program" in out
    assert deck.read_text() == meanwhile
    assert kept_file(result.output).read_text() == DECK.replace("Q7", "Q7 edited")


def test_add_whose_editor_fails_after_saving_keeps_what_was_typed(
    tmp_path: Path, editor, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    """Found by trying an editor that exits non-zero: a card typed and saved, then the editor
    quitting with an error (vim's `:cq`, a crash) gave "error: the editor ... exited with code
    1", and the card was gone with the temporary folder. It is kept, as a card given up on
    with its error is; an editor that fails with the template untouched keeps nothing."""
    deck = tmp_path / "own.yaml"
    deck.write_text(DECK)
    monkeypatch.setenv("FAKE_EDITOR_EXIT", "1")
    editor("question: my long card\nanswer: typed with care\n")
    result = runner.invoke(app, ["add", "--deck", str(deck)])
    assert result.exit_code == 2 and result.output.count("\n") == 1, result.output
    assert "exited with code 1; no card added; yours is kept in " in result.output
    kept = Path(result.output.split("yours is kept in ")[1].split()[0])
    assert kept.read_text() == "question: my long card\nanswer: typed with care\n"
    assert deck.read_text() == DECK
    editor(None)  # the template left as it was: nothing typed, nothing kept
    result = runner.invoke(app, ["add", "--deck", str(deck)])
    assert result.exit_code == 2 and "kept in" not in result.output, result.output
    assert deck.read_text() == DECK


SIGNALLED_EDITOR = """\
import os, pathlib, signal, sys, time
target = pathlib.Path(sys.argv[-1])
def ended(signum, frame):
    pathlib.Path(os.environ["EDITOR_GOT"]).write_text(str(signum))
    sys.exit(1)
signal.signal(signal.SIGTERM, ended)
signal.signal(signal.SIGHUP, ended)
text = os.environ["EDITOR_TEXT"]
if text.startswith("REPLACE:"):
    old, new = text[8:].split("=>")
    text = target.read_text().replace(old, new)
target.write_text(text)  # saved, as :w saves, and the editor stays open
pathlib.Path(os.environ["EDITOR_READY"]).write_text(str(os.getpid()))
while True:
    time.sleep(0.02)
"""


@pytest.mark.parametrize("signame", ["SIGTERM", "SIGHUP"])
@pytest.mark.parametrize("command", ["edit", "add", "study"])
def test_a_kill_while_the_editor_is_open_ends_the_editor_and_keeps_what_was_saved(
    tmp_path: Path, command: str, signame: str
) -> None:
    """`kill` (SIGTERM) of `dlcards edit`, `add` or a `study` session whose `e` had the editor
    open ended dlcards at once and left the editor running: on a copy of the deck in a
    folder left in the temporary folder for good (edit, add), or removed under it (study,
    whose summary was drawn over the editor), the editor and the shell then reading the same
    terminal, and the edit saved in it lost. Now the signal is passed on to the editor, and
    once it has ended the command stops as the signal stops it (143, or 129 for SIGHUP), the
    deck as it was and what was saved kept in a file one line names."""
    import signal
    import subprocess
    import time

    decks, deck, temp = _deck_folder_and_temp(tmp_path)
    ready, got = tmp_path / "ready", tmp_path / "got"
    script = tmp_path / "signalled_editor.py"
    script.write_text(SIGNALLED_EDITOR)
    if command == "add":
        args, text = ["add", "--deck", str(deck)], CARD_TEXT.format(q="Typed before the kill?")
        saved = "Typed before the kill?"
    else:
        study = ["study", "--topic", "own", "--today", "2026-11-26"]
        args = ["edit", "own-1"] if command == "edit" else study
        args += ["--decks", str(decks)]
        text, saved = "REPLACE:answer: A1=>answer: A1, saved before the kill", "saved before the"
    env = {k: v for k, v in os.environ.items() if k not in ("VISUAL", "EDITOR")}
    env.update(
        EDITOR=f"{sys.executable} {script}",
        EDITOR_TEXT=text,
        EDITOR_READY=str(ready),
        EDITOR_GOT=str(got),
        TMPDIR=str(temp),
    )
    run = subprocess.Popen(
        [sys.executable, "-m", "dlcards", *args],
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert run.stdin is not None
    editor_pid = None
    try:
        if command == "study":  # the line protocol: `e` on the first card's question
            run.stdin.write("e\n")
            run.stdin.flush()
        deadline = time.monotonic() + 60
        while not (ready.exists() and ready.read_text()) and time.monotonic() < deadline:
            assert run.poll() is None, run.communicate()[0]
            time.sleep(0.05)
        editor_pid = int(ready.read_text())
        run.send_signal(getattr(signal, signame))
        said = run.communicate(timeout=60)[0]
    finally:
        if run.poll() is None:
            run.kill()
        if editor_pid is not None and not got.exists():
            try:
                os.kill(editor_pid, signal.SIGKILL)  # left running: the test has failed
            except ProcessLookupError:
                pass
    number = getattr(signal, signame)
    assert got.exists() and got.read_text() == str(number), said  # the editor was told
    assert run.returncode == 128 + number, said
    assert "Traceback" not in said
    kept = [line for line in said.splitlines() if line.startswith("stopped: ")]
    assert len(kept) == 1, said
    file = Path(" ".join(said.split()).split("kept in ")[1].split()[0])
    assert saved in file.read_text(encoding="utf-8")
    assert deck.read_text(encoding="utf-8") == DECK  # the deck as it was
    assert sorted(p.name for p in temp.iterdir()) == [file.name]  # no folder left behind
    if command == "study":
        assert "Interrupted. 0 grades saved." in said


def test_add_with_a_deck_file_name_that_is_not_utf8(tmp_path: Path) -> None:
    """`dlcards add --deck $'\\xff.yaml'` wrote the name into the template and ended in a
    UnicodeEncodeError's traceback. A new deck of such a name is refused before the editor
    opens (its name would be its title); an existing deck of such a name takes the card, the
    template naming the file with the byte as \\xff."""
    import subprocess

    script = tmp_path / "typing_editor.py"
    seen = tmp_path / "template.txt"
    script.write_text(
        "import pathlib, sys\n"
        "target = pathlib.Path(sys.argv[-1])\n"
        f"pathlib.Path({str(seen)!r}).write_text(target.read_text())\n"
        f"target.write_text({CARD_TEXT!r}.format(q='Typed?'))\n"
    )
    env = {k: v for k, v in os.environ.items() if k not in ("VISUAL", "EDITOR")}
    env.update(EDITOR=f"{sys.executable} {script}", LC_ALL="C.UTF-8")
    folder = os.fsencode(tmp_path)

    def add(name: bytes) -> tuple[int, str]:
        run = subprocess.run(
            [sys.executable.encode(), b"-m", b"dlcards", b"add", b"--deck", folder + b"/" + name],
            env=env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
        )
        return run.returncode, (run.stdout + run.stderr).decode("utf-8", "replace")

    code, said = add(b"new\xff.yaml")
    assert code == 2, said
    (line,) = said.strip().splitlines()
    assert line.startswith(f"error: --deck {tmp_path}/new\\xff.yaml: the file name is not UTF-8")
    assert not seen.exists()  # refused before the editor opened
    (tmp_path / os.fsdecode(b"own\xff.yaml")).write_text(DECK, encoding="utf-8")
    code, said = add(b"own\xff.yaml")
    assert code == 0, said
    assert said.startswith("added own-8 to "), said
    assert "(own\\xff.yaml)" in seen.read_text(encoding="utf-8")
    assert "Typed?" in (tmp_path / os.fsdecode(b"own\xff.yaml")).read_text(encoding="utf-8")


def test_a_hang_up_ignored_as_nohup_ignores_it_stays_ignored_while_the_editor_is_open(
    tmp_path: Path,
) -> None:
    """Under `nohup` (SIGHUP ignored) the editor's SIGHUP is not taken as a stop: `edit`
    goes on, and the editor, which inherits the ignored signal, is not told either."""
    import signal
    import subprocess
    import time

    decks = tmp_path / "decks"
    decks.mkdir()
    deck = decks / "own.yaml"
    deck.write_text(DECK, encoding="utf-8")
    ready, got, go = tmp_path / "ready", tmp_path / "got", tmp_path / "go"
    script = tmp_path / "editor.py"
    script.write_text(
        "import os, pathlib, signal, sys, time\n"
        "target = pathlib.Path(sys.argv[-1])\n"
        "ignored = signal.getsignal(signal.SIGHUP) is signal.SIG_IGN\n"
        f"pathlib.Path({str(got)!r}).write_text(str(ignored))\n"
        "target.write_text(target.read_text().replace('answer: A1', 'answer: A1, kept'))\n"
        f"pathlib.Path({str(ready)!r}).write_text('1')\n"
        f"while not pathlib.Path({str(go)!r}).exists():\n"
        "    time.sleep(0.02)\n"
    )
    env = {k: v for k, v in os.environ.items() if k not in ("VISUAL", "EDITOR")}
    env["EDITOR"] = f"{sys.executable} {script}"
    run = subprocess.Popen(
        [sys.executable, "-m", "dlcards", "edit", "own-1", "--decks", str(decks)],
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        preexec_fn=lambda: signal.signal(signal.SIGHUP, signal.SIG_IGN),  # as nohup starts it
    )
    try:
        deadline = time.monotonic() + 60
        while not ready.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        run.send_signal(signal.SIGHUP)
        time.sleep(0.5)
        go.touch()
        said = run.communicate(timeout=60)[0]
    finally:
        go.touch()
        if run.poll() is None:
            run.kill()
    assert run.returncode == 0, said
    assert got.read_text() == "True"  # the editor inherited the ignored SIGHUP
    assert "A1, kept" in deck.read_text(encoding="utf-8")


@pytest.mark.parametrize("command", ["edit", "add"])
def test_an_edit_killed_outright_leaves_no_folder_and_its_saved_copy_is_kept(
    tmp_path: Path, command: str
) -> None:
    """`dlcards edit` (or `add`) killed with SIGKILL while the editor is open: its working
    folder (the deck's copy, or the new card's draft, the editor opened) stayed in the
    temporary folder for good, and what the editor, which outlives its parent, saved there
    was never put in the deck, nor said anywhere. The next edit (add) removes the folder,
    keeps what was saved where every edit not put in place is kept, and says so in one
    line."""
    import signal
    import subprocess
    import time

    decks, deck, temp = _deck_folder_and_temp(tmp_path)
    ready = tmp_path / "ready"
    script = tmp_path / "saves_then_waits.py"
    typed = "question: Typed before the kill?\n" if command == "add" else "# typed before it\n"
    script.write_text(
        "import os, sys, time\n"
        "copy = sys.argv[-1]\n"
        f"open(copy, 'a').write({typed!r})\n"
        "open(os.environ['EDITOR_READY'], 'w').write(str(os.getpid()))\n"
        "time.sleep(60)\n"
    )
    env = {k: v for k, v in os.environ.items() if k not in ("VISUAL", "EDITOR")}
    env.update(EDITOR=f"{sys.executable} {script}", EDITOR_READY=str(ready), TMPDIR=str(temp))
    which = ["edit", "own-1", "--decks", str(decks)] if command == "edit" else ["add"]
    args = [sys.executable, "-m", "dlcards", *which]
    if command == "add":
        args += ["--deck", str(deck)]
    # (no pipe: the editor, its child, would hold it open after the kill)
    run = subprocess.Popen(args, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)  # fmt: skip
    editor_pid = None
    try:
        deadline = time.monotonic() + 60
        while not (ready.exists() and ready.read_text()) and time.monotonic() < deadline:
            assert run.poll() is None, run.returncode
            time.sleep(0.05)
        editor_pid = int(ready.read_text())
        run.send_signal(signal.SIGKILL)
        run.wait(timeout=60)
    finally:
        if run.poll() is None:
            run.kill()
        if editor_pid is not None:
            os.kill(editor_pid, signal.SIGKILL)
    prefix = f"dlcards-{command}-"
    assert [p.name for p in temp.iterdir() if p.name.startswith(prefix)]
    env["EDITOR"] = "true"  # saves no change
    again = subprocess.run(args, env=env, stdin=subprocess.DEVNULL, capture_output=True,
                           text=True, timeout=60)  # fmt: skip
    assert again.returncode == 0, again.stderr
    assert not [p for p in temp.iterdir() if p.is_dir() and p.name.startswith(prefix)]
    (note,) = [line for line in again.stderr.splitlines() if line.startswith("note: ")]
    kept = Path(note.split(" is kept in ")[1])
    assert kept.read_text().endswith(typed)
    if command == "edit":
        assert kept.read_text() == DECK + typed
    assert deck.read_text() == DECK  # the deck as it was: the learner decides


@pytest.mark.parametrize("where", ["after-the-rename", "loading-the-decks"])
def test_an_edit_interrupted_once_in_place_says_it_is_saved(
    tmp_path: Path, editor, monkeypatch: pytest.MonkeyPatch, where: str
) -> None:  # type: ignore[no-untyped-def]
    """Ctrl-C (or a `kill`) in the moment after the edit is put in the deck's place: tort10's
    run saw exit 130 with no line at all (the decks being loaded after), or, with the deck
    already replaced, 'left as it was, your edit is kept in ...' (an interrupt inside the
    write, after its rename). The line says the edit is saved, and no copy is kept."""
    import dlcards.catalog
    import dlcards.fileio

    deck = tmp_path / "own.yaml"
    deck.write_text(DECK)
    editor("REPLACE:Q1?=>Q1, reworded?")
    if where == "after-the-rename":
        write = dlcards.fileio.atomic_write_bytes

        def interrupted_after(path: Path, *args: object, **kwargs: object) -> None:
            write(path, *args, **kwargs)  # type: ignore[arg-type]
            if Path(path) == deck.resolve():  # the deck's own write, not a side file's
                raise KeyboardInterrupt

        monkeypatch.setattr(dlcards.fileio, "atomic_write_bytes", interrupted_after)
    else:
        load = dlcards.catalog.load_catalog

        def interrupted_once_saved(*args: object, **kwargs: object) -> object:
            if "reworded" in deck.read_text():
                raise KeyboardInterrupt
            return load(*args, **kwargs)  # type: ignore[arg-type]

        monkeypatch.setattr(dlcards.catalog, "load_catalog", interrupted_once_saved)
    result = runner.invoke(app, ["edit", "own-1", "--decks", str(deck)])
    assert result.exit_code == 130, result.output
    assert "Q1, reworded?" in deck.read_text()
    assert f"stopped: your edit is saved in {deck}" in " ".join(result.output.split())
    assert "kept in" not in result.output


@pytest.mark.parametrize("done", [False, True], ids=["before-the-rename", "after-the-rename"])
def test_an_add_interrupted_while_it_writes_keeps_the_card_and_says_where(
    tmp_path: Path, editor, monkeypatch: pytest.MonkeyPatch, done: bool
) -> None:  # type: ignore[no-untyped-def]
    """Ctrl-C (or a `kill`) while `add` writes the deck, after the editor closed: it ended with
    exit 130 and no line, and interrupted before the rename, the typed card was in neither
    the deck nor a kept file. Now the card is added and said so, or kept and said where."""
    import dlcards.fileio

    deck = tmp_path / "own.yaml"
    deck.write_text(DECK, encoding="utf-8")
    editor(CARD_TEXT.format(q="Typed before the interrupt?"))
    write = dlcards.fileio.atomic_write_bytes

    def interrupted(path: Path, *args: object, **kwargs: object) -> None:
        if Path(path) != deck:  # a side file's write, not the deck's
            return write(path, *args, **kwargs)  # type: ignore[arg-type]
        if done:
            write(path, *args, **kwargs)  # type: ignore[arg-type]
        raise KeyboardInterrupt

    monkeypatch.setattr(dlcards.fileio, "atomic_write_bytes", interrupted)
    result = runner.invoke(app, ["add", "--deck", str(deck)])
    assert result.exit_code == 130, result.output
    said = " ".join(result.output.split())
    if done:
        assert "Typed before the interrupt?" in deck.read_text(encoding="utf-8")
        assert f"is added to {deck}" in said and "kept in" not in said
    else:
        assert deck.read_text(encoding="utf-8") == DECK
        kept = Path(said.split("yours is kept in ")[1].split()[0])
        assert "Typed before the interrupt?" in kept.read_text(encoding="utf-8")
        kept.unlink()


@pytest.mark.parametrize("command", ["add", "edit"])
def test_without_a_terminal_a_save_with_an_error_is_one_error_and_kept(
    tmp_path: Path, editor, command: str
) -> None:  # type: ignore[no-untyped-def]
    """`add` (and `edit`) run from a script, with an editor that saves a card with an error
    each time: the editor was opened again and again (20 times, MAX_TRIES), each time the
    same error. No one can fix the text in between: one open, one error line saying what is
    wrong and where the text is kept, exit 2, the deck as it was."""
    deck = tmp_path / "own.yaml"
    deck.write_text(DECK)
    if command == "add":
        log = editor(*["question: Q\nanswer: [A\n"] * 5)
        args = ["add", "--deck", str(deck), "--decks", str(deck)]
    else:
        log = editor(*["REPLACE:answer: A1=>answer: [A1"] * 5)
        args = ["edit", "own-1", "--decks", str(deck)]
    result = runner.invoke(app, args, input="")
    assert result.exit_code == 2, result.output
    assert len(calls(log)) == 1, result.output
    lines = result.output.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.output
    assert "YAML syntax error" in lines[0] and "[A" in lines[0]
    assert "Open the editor again" not in result.output and "reopening" not in result.output
    assert deck.read_text() == DECK
    kept = kept_file(result.output, "yours" if command == "add" else "your edit")
    assert "[A" in kept.read_text()


@pytest.mark.parametrize("command", ["add", "edit"])
def test_the_error_of_a_kept_text_gives_its_place_in_the_kept_file(
    tmp_path: Path, editor, command: str
) -> None:  # type: ignore[no-untyped-def]
    """A save with an error given up on: the error gave its place in the draft the editor had
    (`own-8.yaml:2:9`, removed by then) or in the deck file, left as it was (its line 2 holds
    none of the edit), and the text was kept in a third file. The place is given in the kept
    file, at the line of the error, and the deck is named only as left as it was."""
    import re

    deck = tmp_path / "own.yaml"
    deck.write_text(DECK)
    if command == "add":
        editor("question: Q\nanswer: [A\n")
        args = ["add", "--deck", str(deck), "--decks", str(deck)]
    else:
        editor("REPLACE:answer: A1=>answer: [A1")
        args = ["edit", "own-1", "--decks", str(deck)]
    result = runner.invoke(app, args, input="")
    assert result.exit_code == 2, result.output
    said = " ".join(result.output.split())
    place = re.match(r"error: (/\S+?):(\d+):\d+: YAML syntax error", said)
    assert place, said
    kept, line = Path(place[1]), int(place[2])
    assert kept != deck and "[A" in kept.read_text().splitlines()[line - 1], said
    assert not re.search(rf"{re.escape(deck.name)}:\d", said), said
    assert said.endswith(" is kept in that file"), said


@pytest.mark.parametrize("command", ["add", "edit"])
def test_the_end_of_input_at_open_the_editor_again_is_no(
    tmp_path: Path, editor, terminal, command: str
) -> None:  # type: ignore[no-untyped-def]
    """Ctrl-D (the end of input) at "Open the editor again to fix it?" ended the command as
    Ctrl-C does (exit 130; 129 where input was no terminal), as if interrupted. It is no: the
    editor is not opened again, `no` ends the question's line, and the error says where the
    text is kept, exit 2."""
    deck = tmp_path / "own.yaml"
    deck.write_text(DECK)
    if command == "add":
        log = editor("question: Q\nanswer: [A\n", "question: Q\nanswer: A\n")
        args = ["add", "--deck", str(deck), "--decks", str(deck)]
    else:
        log = editor("REPLACE:answer: A1=>answer: [A1", "REPLACE:answer: [A1=>answer: A1")
        args = ["edit", "own-1", "--decks", str(deck)]
    result = runner.invoke(app, args, input="")
    assert result.exit_code == 2, result.output
    assert len(calls(log)) == 1, result.output
    assert f"{ASKED}: no\n" in result.output, result.output
    assert "kept in" in result.stderr and deck.read_text() == DECK


@pytest.mark.skipif(sys.platform != "linux", reason="a pseudo-terminal")
def test_ctrl_d_at_open_the_editor_again_in_a_terminal_is_no(tmp_path: Path) -> None:
    """In a real terminal: Ctrl-D at `edit`'s "Open the editor again to fix it? [Y/n]" ended
    it as Ctrl-C does, exit 130. It is no: `no` ends the question's line, the error says
    the deck is as it was and where the edit is kept, exit 2; the editor opened once."""
    import re

    import helpers as h

    deck = tmp_path / "own.yaml"
    deck.write_text(DECK)
    log = tmp_path / "editor.json"
    env = h.terminal_env(
        tmp_path,
        "VISUAL",
        EDITOR=f"{sys.executable} {EDITOR}",
        FAKE_EDITOR_LOG=str(log),
        FAKE_EDITOR_SCRIPT=json.dumps(["REPLACE:answer: A1=>answer: [A1"] * 3),
    )
    with h.in_a_pty(env, "edit", "own-1", "--decks", str(deck), rows=24, columns=200) as (
        pid,
        fd,
    ):
        h.read_until(fd, b"[Y/n]: ")
        os.write(fd, b"\x04")
        seen = h.read_until(fd, b"kept in").decode(errors="replace")
        _, status = os.waitpid(pid, 0)
    shown = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", seen).replace("\r", "")
    assert shown.startswith("no\nerror: "), shown
    assert "is left as it was, your edit is kept in" in shown, shown
    assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 2, status
    assert len(calls(log)) == 1 and deck.read_text() == DECK


def test_adds_template_names_its_deck_as_it_is_under_a_c_locale(tmp_path: Path) -> None:
    """Under LC_ALL=C an é the terminal cannot show is said as its bytes (`\\xc3\\xa9`), but
    `add`'s template is a file, not the terminal: its comment names `café.yaml` as it is."""
    import subprocess

    deck = tmp_path / "café.yaml"
    deck.write_text(DECK.replace("topic: own", "topic: cafe"), encoding="utf-8")
    log = tmp_path / "editor.json"
    env = {
        **{k: v for k, v in os.environ.items() if k not in ("VISUAL", "LANG", "LC_CTYPE")},
        "LC_ALL": "C",
        "EDITOR": f"{sys.executable} {EDITOR}",
        "FAKE_EDITOR_LOG": str(log),
        "FAKE_EDITOR_SCRIPT": json.dumps([None]),  # closed untouched: nothing added
        "DLCARDS_DB": str(tmp_path / "p.db"),
        "DLCARDS_CACHE_DIR": str(tmp_path / "cache"),
    }
    done = subprocess.run(
        [sys.executable, "-m", "dlcards", "add", "--deck", str(deck), "--decks", str(deck)],
        env=env,
        capture_output=True,
        stdin=subprocess.DEVNULL,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    template = calls(log)[0]["before"]
    assert "café.yaml" in template and "\\xc3" not in template, template
