"""What a card says about its source (erratum, note, references, the source's own question) is
shown wherever the answer is: `show` (text and JSON), `study`, `quiz` and the Anki exports."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
from typer.testing import CliRunner

from dlcards.catalog import load_catalog
from dlcards.cli import app
from dlcards.deck import parse_deck
from dlcards.export.anki import anki_notes, back_html
from dlcards.quiz import build_quiz

runner = CliRunner()

DECK = """\
topic: remarks
title: Remarks
cards:
  - id: rem-1
    question: Huber loss with δ = 1 at error 100?
    answer: "10.5"
    tags: [math]
    compute: {fn: huber, args: {error: 100, delta: 1}, claim: 10.5, wrong: true}
    quiz:
      template: "Huber loss with δ = 1 at error {e}?"
      params: {e: [2, 9]}
      args: {error: "{e}"}
    erratum: It is 99.5, in the *linear* part.
    references: ["PyTorch documentation: torch.nn.HuberLoss"]
  - id: rem-2
    question: Why is MAE robust to outliers?
    source_question: What does MAE gain robustness?
    answer: Its penalty grows linearly.
    note: The source's question is garbled; it is reworded.
    references:
    - "Hastie et al. (2009), §10.6 Loss Functions & Robustness"
    - "Murphy (2012), §7.4"
  - id: rem-3
    question: What is MSE's penalty?
    answer: Quadratic.
  - id: rem-4
    question: What is MAE's penalty?
    answer: Linear.
"""

ERRATUM = "Erratum: It is 99.5, in the linear part."
NOTE = "Note: The source's question is garbled; it is reworded."


@pytest.fixture
def decks(tmp_path: Path) -> Path:
    folder = tmp_path / "decks"
    folder.mkdir()
    (folder / "remarks.yaml").write_text(DECK, encoding="utf-8")
    return folder


def run(*args: str, script: list[str] | None = None) -> str:
    stdin = "".join(f"{line}\n" for line in script) if script is not None else None
    result = runner.invoke(app, list(args), input=stdin)
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output
    return result.output


def flat(text: str) -> str:
    """Output with the panel's borders and line wrapping taken out."""
    lines = [line.strip().strip("│").strip() for line in text.splitlines()]
    return " ".join(" ".join(lines).split())


# --- show ---------------------------------------------------------------------------------------


def test_show_marks_the_erratum_and_the_note_apart(decks: Path) -> None:
    erratum = flat(run("show", "rem-1", "--decks", str(decks)))
    assert ERRATUM in erratum
    assert "References: • PyTorch documentation: torch.nn.HuberLoss" in erratum
    assert "Note:" not in erratum
    note = flat(run("show", "rem-2", "--decks", str(decks)))
    assert NOTE in note and "Erratum" not in note
    assert (
        "References: • Hastie et al. (2009), §10.6 Loss Functions & Robustness "
        "• Murphy (2012), §7.4"
    ) in note
    assert "The source's question: What does MAE gain robustness?" in note
    assert note.index("Its penalty grows linearly.") < note.index(NOTE)  # after the answer
    plain = flat(run("show", "rem-3", "--decks", str(decks)))
    assert "Note:" not in plain and "Erratum" not in plain and "References" not in plain


def test_show_json_has_the_new_keys(decks: Path) -> None:
    data = json.loads(run("show", "rem-2", "--json", "--decks", str(decks)))
    assert data["note"] == "The source's question is garbled; it is reworded."
    assert data["references"] == [
        "Hastie et al. (2009), §10.6 Loss Functions & Robustness",
        "Murphy (2012), §7.4",
    ]
    assert data["source_question"] == "What does MAE gain robustness?"
    assert data["question"] == "Why is MAE robust to outliers?"
    assert data["erratum"] is None
    plain = json.loads(run("show", "rem-3", "--json", "--decks", str(decks)))
    assert (plain["note"], plain["references"], plain["source_question"]) == (None, [], None)


def test_show_json_of_a_shipped_repair() -> None:
    data = json.loads(run("show", "vgp-4", "--json"))
    assert data["source_question"] == "**Vanishing Gradient Problem (VGP)**"
    assert data["question"] != data["source_question"] and data["note"] and data["references"]


# --- study --------------------------------------------------------------------------------------


def test_study_shows_the_remarks_only_after_the_reveal(decks: Path) -> None:
    out = run(
        "study", "--topic", "remarks", "--decks", str(decks), "--today", "2026-11-26",
        script=["", "5", "", "5", "q"],
    )  # fmt: skip
    text = flat(out)
    assert ERRATUM in text and NOTE in text
    assert "References: • Hastie et al. (2009)" in text
    first_reveal = text.index("10.5")
    assert text.index(ERRATUM) > first_reveal
    # before the reveal the question stands alone: the first panel has no remark
    assert text.index("Erratum") > text.index("Huber loss with δ = 1 at error 100?")
    assert text.count(NOTE) == 1


# --- quiz ---------------------------------------------------------------------------------------


def quiz_script(decks: Path, seed: int, mode: str) -> tuple[list[str], list[str]]:
    """The answers for a quiz of the remarks deck: show each typed answer, pick option 1."""
    catalog = load_catalog([decks])
    questions = build_quiz(
        catalog.select(["remarks"]),
        catalog.cards,
        random.Random(seed),
        4,
        mode,  # type: ignore[arg-type]
    )
    script: list[str] = []
    for q in questions:
        script += {"typed": ["s"], "choice": ["1"], "self": ["", "y"]}[q.kind]
    return script, [q.kind for q in questions]


@pytest.mark.parametrize("mode", ["self", "choice"])
def test_quiz_feedback_carries_the_remarks(decks: Path, mode: str) -> None:
    script, kinds = quiz_script(decks, 3, mode)
    assert "typed" in kinds and (mode == "self" or "choice" in kinds)
    out = run(
        "quiz", "--topic", "remarks", "--decks", str(decks), "--seed", "3", "--count", "4",
        "--mode", mode, script=script,
    )  # fmt: skip
    text = flat(out)
    assert text.count(ERRATUM) == 1  # rem-1: a typed question, after its feedback
    assert text.index("the answer is") < text.index(ERRATUM)
    assert text.count(NOTE) == 1  # rem-2: self-graded panel or choice feedback
    assert "References: • PyTorch documentation: torch.nn.HuberLoss" in text
    assert "The source's question: What does MAE gain robustness?" in text


# --- Anki ---------------------------------------------------------------------------------------


def test_anki_back_marks_the_note_and_lists_references() -> None:
    cards = {c.id: c for c in parse_deck(DECK, "remarks.yaml").cards}
    back = back_html(cards["rem-2"])
    assert back.startswith('Its penalty grows linearly.<div class="note">')
    assert '<div class="note"><b>Note:</b> The source' in back
    assert "Erratum" not in back
    assert (
        '<div class="references"><b>References:</b><ul>'
        "<li>Hastie et al. (2009), §10.6 Loss Functions &amp; Robustness</li>"
        "<li>Murphy (2012), §7.4</li></ul></div>"
    ) in back
    assert (
        '<div class="source-question"><b>The source\'s question:</b> '
        "What does MAE gain robustness?</div>"
    ) in back
    erratum = back_html(cards["rem-1"])
    assert '<div class="erratum"><b>Erratum:</b> It is 99.5, in the <i>linear</i> part.</div>' in (
        erratum
    )
    assert "<li>PyTorch documentation: torch.nn.HuberLoss</li>" in erratum
    assert 'class="note"' not in erratum
    assert "References" not in back_html(cards["rem-3"])


def test_text_export_carries_the_remarks(decks: Path, tmp_path: Path) -> None:
    out = tmp_path / "notes.txt"
    run("export", "text", "-o", str(out), "--topic", "remarks", "--decks", str(decks))
    text = out.read_text(encoding="utf-8")
    assert "<b>Note:</b>" in text and "<b>Erratum:</b>" in text
    assert "<li>Murphy (2012), §7.4</li>" in text
    notes = {n.card_id: n for n in anki_notes(load_catalog([decks]).select(["remarks"]), {})}
    assert '<div class="note">' in notes["rem-2"].fields[1]
