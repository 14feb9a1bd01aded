"""The quick paths of card text -> tokens -> HTML (issue 15: `export anki` at 100,000 cards)
against the general tokenizer they stand in for: on every text they take, the same tokens;
generated from an alphabet dense in the characters the rules turn on."""

from __future__ import annotations

import helpers as h
from hypothesis import example, given, settings
from hypothesis import strategies as st

from dlcards.catalog import load_catalog
from dlcards.export.html import html_of, to_html
from dlcards.markup import _general_tokens, _simple_tokens, tokens

# letters (upper case for the space-before-bold rule), digits (Pandoc's "$5"), spaces, tabs,
# newlines, the punctuation of the flanking rules and of display math's trail, '$', '*', '\\'
ALPHABET = "aZ5 \t\n.,;:?()-$*\\{}^_=+~#"
PIECES = ["**", "$$", "$", "\\$", "\\frac{a}{b}", "1. ", "ok. ", "Ab.", " x", "<br>", "&amp;", "!"]

texts = st.lists(st.one_of(st.sampled_from(PIECES), st.text(ALPHABET, max_size=4)), max_size=14)


@settings(max_examples=3000, deadline=None)
@given(texts.map("".join))
@example("ResNets.**EGP:** x")
@example("a **b** $x$ **c $$y$$, **d**")
@example("$$a$$  \t**b**")
@example("cost $5 and $10, $x$5")
@example("**$x$**")
def test_quick_tokens_are_the_general_tokens(text: str) -> None:
    general = _general_tokens(text)  # once: the reference is the slow part
    quick = _simple_tokens(text)
    if quick is not None:
        assert quick == general
    assert tokens(text) == general
    assert to_html(text) == html_of(general)


def test_the_quick_path_takes_most_shipped_texts_and_agrees() -> None:
    cards = load_catalog().cards
    assert len(cards) == h.shipped()[0]
    taken = 0
    for card in cards:
        for text in (card.question, card.answer, card.note or "", card.erratum or ""):
            quick = _simple_tokens(text)
            if quick is not None:
                taken += 1
                assert quick == _general_tokens(text), text
            assert to_html(text) == html_of(_general_tokens(text)), text
    assert taken > len(cards)  # not a vacuous pass: the quick path is taken
