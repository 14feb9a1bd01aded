"""A card's steps speak the card's notation: a compute block's `symbols:` names the symbols the
computation's steps write (`Computation.symbols`) as the card does (`{p: ŷ}`), while `calc`
keeps the engine's own names."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from dlcards import engine
from dlcards.catalog import load_catalog
from dlcards.cli import app
from dlcards.errors import UsageError
from dlcards.mathcards import evaluate

runner = CliRunner()


def steps_of(card_id: str) -> str:
    card = load_catalog(use_cache=False).by_id()[card_id]
    evaluations = evaluate(card)
    assert all(ev.result is not None for ev in evaluations), card_id
    return "\n".join(step for ev in evaluations if ev.result for step in ev.result.steps)


def test_symbols_rename_what_the_steps_write_and_nothing_else() -> None:
    plain = engine.run("bce", {"y": 1, "p": 0.8})
    named = engine.run("bce", {"y": 1, "p": 0.8}, {"p": "ŷ"})
    assert named.value == plain.value
    assert "−[y·log(p) + (1 − y)·log(1 − p)]" in plain.steps[0]  # calc as it was
    assert "−[y·log(ŷ) + (1 − y)·log(1 − ŷ)]" in named.steps[0]
    assert named.steps[1:] == plain.steps[1:]  # the numbers are the same
    step = engine.run("gd_step", {"w": 0.8, "grad": 0.5, "eta": 0.1}, {"w": "W_old"}).steps[0]
    assert step.startswith("w_new = W_old − η·∇ = 0.8 − 0.1·0.5")


def test_a_symbol_the_steps_do_not_write_is_refused() -> None:
    with pytest.raises(UsageError, match="no symbol 'q' to rename"):
        engine.run("bce", {"y": 1, "p": 0.8}, {"q": "ŷ"})
    with pytest.raises(UsageError, match=r"symbols: none"):
        engine.run("mse", {"error": 3}, {"e": "ε"})


# a symbol as a word of its own: `p` in `log(p)`, not the p of `update`
def _symbol(name: str) -> re.Pattern[str]:
    return re.compile(rf"(?<![\w]){re.escape(name)}(?![\w])")


@pytest.mark.parametrize("card_id", ["bce-18", "bce-19", "bce-21"])
def test_bce_cards_steps_say_y_hat_as_their_questions_do(card_id: str) -> None:
    text = steps_of(card_id)
    assert "ŷ" in text
    assert not _symbol("p").search(text), text


@pytest.mark.parametrize(
    ("card_id", "first"),
    [
        ("mlp-11", "Z_new = W₁P₁ + W₂P₂ + B_new = 10·0.7 + 5·0.8 − 3"),
        ("mlp-15", "Z_new = W₁P₁ + W₂P₂ = 10·0.7 + 5·0.8"),
        ("mlp-21", "Z_new = W₁P₁ + W₂P₂ + W₃P₃ + B_new = 10·0.7 + 5·0.8 + 2·0.6 − 3"),
        ("mlp-12", "P₁ + P₂ = W₁P₁ + W₂P₂ = 1·0.7 + 1·0.8"),
    ],
)
def test_mlp_cards_steps_write_the_sum_out_as_their_questions_do(card_id: str, first: str) -> None:
    """mlp-11 asks about W₁P₁ + W₂P₂ + B_new (mlp-12, -15 and -21 write their sums out too)
    and its steps said Z_new = ∑ Wᵢ·Pᵢ + B_new: the terms as the card writes them, then the
    numbers (`symbols: {i: "1"}`, the first index)."""
    text = steps_of(card_id)
    assert text.splitlines()[0] == first, text
    for name in ("z", "w", "p", "b", "wᵢ", "pᵢ", "∑"):
        assert not _symbol(name).search(text), (name, text)


def test_a_sum_is_written_out_from_the_first_index_a_card_gives() -> None:
    """Two or three terms, written out from the card's first index; more, or no index given
    (calc, a card that writes ∑), as ∑; names longer than a letter keep the `·`."""

    def first_step(ps: list[float], ws: list[float], **names: str) -> str:
        return engine.run("weighted_sum", {"p": ps, "w": ws, "b": 1}, names).steps[0]

    assert first_step([1, 2], [3, 4]) == "z = ∑ wᵢ·pᵢ + b = 3·1 + 4·2 + 1"
    assert first_step([1, 2], [3, 4], i="1") == "z = w₁p₁ + w₂p₂ + b = 3·1 + 4·2 + 1"
    assert first_step([1, 2, 3], [3, 4, 5], i="0", p="x").startswith("z = w₀x₀ + w₁x₁ + w₂x₂ + b")
    assert first_step([1, 2, 3, 4], [1, 1, 1, 1], i="1").startswith("z = ∑ wᵢ·pᵢ + b")
    assert first_step([1, 2], [3, 4], i="9", w="w_old").startswith("z = w_old₉·p₉ + w_old₁₀·p₁₀")
    for bad in ("one", "-1", "١"):
        with pytest.raises(UsageError, match=f"its symbol i is the first index.*not '{bad}'"):
            first_step([1, 2], [3, 4], i=bad)


def test_gd_2_steps_say_w_old_and_w_new() -> None:
    text = steps_of("gd-2")
    assert text.startswith("W_new = W_old − η·∇L = 0.8 − 0.1·0.5"), text


def test_a_deck_whose_symbols_are_not_a_mapping_is_one_line_with_its_place(
    tmp_path: Path,
) -> None:
    deck = tmp_path / "decks"
    deck.mkdir()
    (deck / "mine.yaml").write_text(
        "topic: mine\ntitle: Mine\ncards:\n"
        "- id: mine-1\n  question: q?\n  answer: a.\n  tags: [math]\n"
        "  compute:\n  - {fn: bce, args: {y: 1, p: 0.8}, symbols: [p, ŷ]}\n",
        encoding="utf-8",
    )
    result = runner.invoke(app, ["check", "--decks", str(deck)])
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert "mine.yaml:9" in result.output and "mine-1" in result.output
    assert "compute 'symbols' must map" in result.output


@pytest.mark.parametrize("card_id", ["cce-28", "cce-33"])
def test_cce_cards_steps_say_y_hat_1_as_their_questions_do(card_id: str) -> None:
    text = steps_of(card_id)
    assert "−log(ŷ₁) = −log(0.7)" in text
    assert "probs[" not in text


def test_a_card_that_renames_w_renames_it_in_every_step() -> None:
    """vgp-4: the last step said `negligible next to w` under `W_new = W_old − η·∇L`."""
    text = steps_of("vgp-4")
    assert "negligible next to W_old" in text
    assert not _symbol("w").search(text), text


@pytest.mark.parametrize("card_id", ["bce-18", "mlp-11", "gd-2"])
def test_a_quiz_question_on_fresh_numbers_shows_the_cards_symbols(card_id: str) -> None:
    import random

    from dlcards.quiz import typed_question

    card = load_catalog(use_cache=False).by_id()[card_id]
    for seed in range(5):
        question = typed_question(card, random.Random(seed))
        assert question is not None and question.result is not None
        first = question.result.steps[0]
        assert first.startswith(("bce = −[y·log(ŷ)", "Z_new = W₁P₁ + W₂P₂", "W_new = W_old")), first
