"""The quick paths of card text -> tokens -> HTML (issue 15: `export anki` at 100,000 cards)
against the general tokenizer they stand in for: on every text they take, the same tokens;
generated from an alphabet dense in the characters the rules turn on."""

from __future__ import annotations

import helpers as h
from hypothesis import example, given, settings
from hypothesis import strategies as st

from dlcards.catalog import load_catalog
from dlcards.export.html import _quick_html, html_of, to_html
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


# --- the quick HTML path (export.html._quick_html): its grammar against the tokens' HTML -------

# pieces the grammar's rules turn on: both kinds of star and dollar, spaces, newlines, tabs,
# punctuation inside and outside spans, digits after math (also non-ASCII ones: isdigit),
# upper case after "ab." (the space-before-bold rule), the markup it must leave to tokens
EDGES = [" ", "\n", "\t", "\xa0", ".", ",", "!", "?", ":", "(", ")", '"', "'", "-", ">", "_", "—"]
WORDS = ["ab", "Ab", "x", "Z", "5", "²", "é", "É", "ŷ", "ab.", "Ab.", "ab.\n", "1. ", "a b"]
MARKUP = ["**", "*", "$", "$$", "\\", "\\$", "[", "![a](b.png)", "`c`", "&amp;", "<br>", "&"]
MATH = [
    "$x$",
    "$a > b$",
    "$\\frac{a}{b}$",
    "$ x$",
    "$x $",
    "$$y$$",
    "$$ y\n z $$",
    "$$ $$",
    "$x\\$",
]

atoms = st.sampled_from(EDGES + WORDS + MARKUP + MATH)
spans = st.tuples(
    st.sampled_from(["**", "*"]),
    st.lists(st.sampled_from(EDGES + WORDS + MATH), min_size=1, max_size=4).map("".join),
).map(lambda pair: pair[0] + pair[1] + pair[0])
any_texts = st.lists(st.one_of(atoms, spans, spans), max_size=10).map("".join)

# and texts of the pieces the quick path takes, in which its spans are more often well formed
GOOD = [piece for piece in EDGES + WORDS + MATH[:3] + MATH[5:7] if piece != "1. "]
INSIDE = ["ab", "Ab", "x", "5", "É", "ŷ", "$x$", "$a > b$", "(", ")", '"', ".", "!"]
good_spans = st.tuples(
    st.sampled_from(["**", "*"]),
    st.sampled_from(INSIDE),
    st.lists(st.sampled_from(GOOD), max_size=3).map("".join),
    st.sampled_from(INSIDE),
).map(lambda span: span[0] + span[1] + span[2] + span[3] + span[0])
good_texts = st.lists(
    st.tuples(
        st.sampled_from(["", " ", "\n", ". ", ", ", "("]),
        st.one_of(st.sampled_from(GOOD), good_spans),
    ),
    max_size=8,
).map(lambda pieces: "".join(sep + piece for sep, piece in pieces))


@settings(max_examples=3000, deadline=None)
@given(st.one_of(any_texts, good_texts))
@example("ResNets.**EGP:** x")
@example("ab.\n**Cd**")
@example("**(0, 1)**, *any* and $x$2")
@example("a $$x$$. **b**\n$$ y $$c")
@example("$x$²")
@example("*a**b*")
@example('x**"on-line"**y')
def test_quick_html_is_the_tokens_html(text: str) -> None:
    reference = html_of(_general_tokens(text))  # once: the slow part
    quick = _quick_html(text)
    if quick is not None:
        assert quick == reference
    assert to_html(text) == reference


def test_quick_html_takes_the_common_texts() -> None:
    """Not a vacuous pass: the grammar takes these and most shipped texts with markup."""
    for text in (
        "a $$x > 0$$. **b** and *c*, **(0, 1)**",
        "**Sigmoid** $\\sigma(z) = \\frac{1}{1 + e^{-z}}$.\n*Why?* It **squashes**!",
    ):
        assert _quick_html(text) is not None
        assert _quick_html(text) == html_of(_general_tokens(text))
    texts = [c.answer for c in load_catalog().cards if "*" in c.answer or "$" in c.answer]
    taken = [t for t in texts if _quick_html(t) is not None]
    assert len(taken) > len(texts) / 2
    for text in taken:
        assert _quick_html(text) == html_of(_general_tokens(text)), text
