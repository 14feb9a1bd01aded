"""The decks hold every one of the seed's 220 Q&A rows, word for word, with no mojibake left.

The seed is in the repository (tests/data/seed.txt), so a fresh clone runs these tests. A card
whose question had to be repaired keeps the source's words in `source_question`; that is the
text compared with the row.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import SEED
from seed_table import parse_rows, read_seed

from dlcards.catalog import load_catalog

MOJIBAKE = ("≈∑", "Œ", "‚Ä", "‚à", "¬", "Ã", "â€")  # Mac Roman readings of UTF-8


@pytest.fixture(scope="module")
def rows() -> list:
    return parse_rows(read_seed(SEED))


def test_seed_has_220_rows(rows: list) -> None:
    assert len(rows) == 220


def test_every_seed_row_is_a_card(rows: list) -> None:
    cards = {
        (c.source_question or c.question, c.answer): c for c in load_catalog(use_cache=False).cards
    }
    missing = [f"{r.section} #{r.number}" for r in rows if (r.question, r.answer) not in cards]
    assert missing == []
    # one card per row: no row is matched twice, no card is left over
    assert len(cards) == len(rows) == len({(r.question, r.answer) for r in rows})


def test_repaired_questions_keep_the_source_text(rows: list) -> None:
    by_id = load_catalog(use_cache=False).by_id()
    repaired = {cid: c for cid, c in by_id.items() if c.source_question}
    assert {"vgp-4", "robust-15"} <= set(repaired)
    for card in repaired.values():
        assert card.question != card.source_question
        assert card.note or card.erratum  # says what was changed and why
    sources = {(r.question, r.answer) for r in rows}
    assert (by_id["vgp-4"].source_question, by_id["vgp-4"].answer) in sources
    assert by_id["vgp-4"].source_question == "**Vanishing Gradient Problem (VGP)**"
    assert (by_id["vgp-4"].question, by_id["vgp-4"].answer) not in sources


def test_the_seed_is_plain_utf8_without_mojibake() -> None:
    text = SEED.read_bytes().decode("utf-8")  # raises if not UTF-8
    for bad in MOJIBAKE:
        assert bad not in text, bad
    assert "ŷ" in text and "≈" in text and "📉" in text


def test_catalog_has_220_cards_in_nine_topics() -> None:
    catalog = load_catalog(use_cache=False)
    assert len(catalog.cards) == 220
    assert [d.topic for d in catalog.decks] == [
        "perceptron",
        "mlp",
        "loss",
        "robust",
        "bce",
        "cce",
        "backprop",
        "gd",
        "vgp",
    ]


def test_no_mojibake_in_decks() -> None:
    for path in sorted((Path(__file__).parent.parent / "decks").glob("*.yaml")):
        text = path.read_text(encoding="utf-8")
        for bad in MOJIBAKE:
            assert bad not in text, f"{path.name} contains {bad!r}"


def test_traps_transcribed() -> None:
    cards = load_catalog(use_cache=False).by_id()
    # rows 8 and 9 share one line in the seed
    assert cards["gd-8"].answer.endswith(r"\mathcal{L}_i$$")
    assert cards["gd-9"].answer == "The weights are updated **exactly once** per epoch."
    # row 20's answer stands inside its question cell
    assert cards["gd-20"].question == (
        "Define **Mini-Batch Gradient Descent (MBGD)** and the data it uses for a single update."
    )
    assert cards["gd-20"].answer.startswith("Mini-Batch Gradient Descent (MBGD) updates")
    # `|` inside code and math
    assert "`Cost + λ||w||²`" in cards["loss-ig2"].answer
    assert "`P(Y=1 | X)`" in cards["bce-20"].answer
    assert "(`|error| ≤ δ`)" in cards["robust-i3"].answer


def test_both_levels_kept_and_tagged() -> None:
    cards = load_catalog(use_cache=False).by_id()
    assert "intuitive" in cards["loss-g1"].tags and "interview" in cards["loss-ig1"].tags
    assert "intuitive" in cards["robust-1"].tags and "interview" in cards["robust-i1"].tags
    assert cards["loss-g1"].question != cards["loss-ig1"].question
