"""The quick paths of card text -> tokens -> HTML (issue 15: `export anki` at 100,000 cards)
against the general tokenizer they stand in for: on every text they take, the same tokens;
generated from an alphabet dense in the characters the rules turn on."""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence

import helpers as h
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from dlcards.catalog import load_catalog
from dlcards.export.html import _quick_html, html_of, to_html
from dlcards.markup import _general_tokens, _simple_tokens, tokens

# letters (upper case for the space-before-bold rule), digits (Pandoc's "$5"), spaces, tabs,
# newlines, the punctuation of the flanking rules and of display math's trail, '$', '*', '\\'
ALPHABET = "aZ5 \t\n.,;:?()-$*\\{}^_=+~#"
PIECES = ["**", "$$", "$", "\\$", "\\frac{a}{b}", "1. ", "ok. ", "Ab.", " x", "<br>", "&amp;", "!"]
PIECES += ["[sound:x.mp3]", "[sound: media/a%20b.mp3]", "\\[sound:y]"]


# Each text is built from one drawn byte string, read as a sequence of choices (which piece,
# how many, which branch) in the structure written beside each builder. Hypothesis spends
# about 3 ms on an example of nested strategies (lists of one_of of tuples of lists: some 40
# draws), ten times what the test itself takes; one draw of bytes costs it a third of that:
# the two tests' 3000 examples take ~5 s each instead of ~10 s and ~16 s. A set of deliberate
# bugs in both quick paths was caught at least as well as by the nested strategies this
# replaces. The bytes shrink towards zeros: fewer parts, the first pieces.
class Choices:
    def __init__(self, data: bytes) -> None:
        self.data, self.at = data, 0

    def below(self, n: int) -> int:
        """0 to n - 1, each as likely (0 once the bytes run out)."""
        if self.at == len(self.data):
            return 0
        self.at += 1
        return self.data[self.at - 1] * n >> 8

    def pick(self, seq: Sequence[str]) -> str:
        return seq[self.below(len(seq))]

    def count(self, at_least: int, at_most: int) -> int:
        """From at_least to at_most, each as likely but at_most, a third to a half of the time
        (Hypothesis's lists lean to their longest too)."""
        span = at_most - at_least + 1
        return at_least + min(span - 1, self.below(span + span // 3 + 1))


def built(size: int, build: Callable[[Choices], str]) -> st.SearchStrategy[str]:
    """Texts made by `build` from `size` bytes, drawn as one integer: Hypothesis draws bytes
    one at a time (a third of these tests' time went to drawing 160 of them), an integer of
    any width in one go, uniform when its range is wider than a float's. Little-endian: as
    the integer shrinks, the last bytes go to zero first (fewer parts)."""
    whole = st.integers(min_value=0, max_value=256**size - 1)
    return whole.map(lambda n: build(Choices(n.to_bytes(size, "little"))))


def joined_pieces(c: Choices) -> str:
    """Up to 14 parts, each a piece or up to 4 characters of ALPHABET, joined."""
    parts = []
    for _ in range(c.count(0, 14)):
        if c.below(2):
            parts.append(c.pick(PIECES))
        else:
            parts.append("".join(c.pick(ALPHABET) for _ in range(c.count(0, 4))))
    return "".join(parts)


# half joined pieces, half the HTML test's texts (below), whose well-formed spans and display
# math reach further into the quick tokens' rules than pieces joined at random
texts = st.deferred(lambda: built(160, lambda c: joined_pieces(c) if c.below(2) else html_text(c)))


@settings(max_examples=1500, deadline=None)
@given(texts)
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

ATOMS = EDGES + WORDS + MARKUP + MATH
SPANNED = EDGES + WORDS + MATH


def any_text(c: Choices) -> str:
    """Up to 10 parts, each an atom (a third of them) or a span: "**" or "*" around 1 to 4
    pieces of SPANNED."""
    parts = []
    for _ in range(c.count(0, 10)):
        if c.below(3) == 0:
            parts.append(c.pick(ATOMS))
        else:
            stars = c.pick(["**", "*"])
            parts.append(stars + "".join(c.pick(SPANNED) for _ in range(c.count(1, 4))) + stars)
    return "".join(parts)


# and texts of the pieces the quick path takes, in which its spans are more often well formed
GOOD = [piece for piece in EDGES + WORDS + MATH[:3] + MATH[5:7] if piece != "1. "]
INSIDE = ["ab", "Ab", "x", "5", "É", "ŷ", "$x$", "$a > b$", "(", ")", '"', ".", "!"]
SEPARATORS = ["", " ", "\n", ". ", ", ", "("]


def good_text(c: Choices) -> str:
    """Up to 8 parts, each a separator then a piece of GOOD (half of them) or a span: "**" or
    "*" around a piece of INSIDE, up to 3 of GOOD and one of INSIDE."""
    parts = []
    for _ in range(c.count(0, 8)):
        separator = c.pick(SEPARATORS)
        if c.below(2) == 0:
            parts.append(separator + c.pick(GOOD))
        else:
            stars, first = c.pick(["**", "*"]), c.pick(INSIDE)
            middle = "".join(c.pick(GOOD) for _ in range(c.count(0, 3)))
            parts.append(separator + stars + first + middle + c.pick(INSIDE) + stars)
    return "".join(parts)


def html_text(c: Choices) -> str:
    return good_text(c) if c.below(2) else any_text(c)


html_texts = built(160, html_text)


@settings(max_examples=1500, deadline=None)
@given(html_texts)
@example("ResNets.**EGP:** x")
@example("ab.\n**Cd**")
@example("**(0, 1)**, *any* and $x$2")
@example("a $$x$$. **b**\n$$ y $$c")
@example("$x$²")
@example("*a**b*")
@example('x**"on-line"**y')
@example("a $x\ty$ b, $u  v$ and $p\n q$\n*$r\t\ts$*")  # spaces in a formula become one
def test_quick_html_is_the_tokens_html(text: str) -> None:
    reference = html_of(_general_tokens(text))  # once: the slow part
    quick = _quick_html(text)
    if quick is not None:
        assert quick == reference
    assert to_html(text) == reference


@pytest.mark.skipif(sys.version_info < (3, 11), reason="no quick path: Python 3.10's re")
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


# what the plain-text shortcut of rendering must turn away: each character a step acts on,
# Unicode spaces at the ends (stripped), and "1. " at a line's start (an inline list)
PLAIN_ALPHABET = "aZ5 .1\n\t\u00a0\u2003\u0301é$*\\`!&<>[]\r\x01\x7f\x85_~#"


@settings(max_examples=500, deadline=None)
@given(st.text(PLAIN_ALPHABET, max_size=12) | st.sampled_from(["1. a", "b\n1. c", " x", "y "]))
@example("a\u00a0")
@example("a\x85")
@example("1. x 2. y")
@example("1. a. 2. b")  # an inline list: broken before "2."
@example("x\n1. a: 2. b")
def test_plain_text_rendered_at_once_is_what_every_step_gives(text: str) -> None:
    """`render._render`'s shortcut (`list` of 100,000 cards' questions: most are plain)
    returns what the tokens, their assembly and the edits after it return."""
    from dlcards.render import _render, _rendered

    assert _render.__wrapped__(text) == _rendered(text)


def test_the_shipped_texts_render_the_same_with_the_plain_shortcut() -> None:
    from dlcards.render import _MARKED, _render, _rendered

    plain = 0
    for card in load_catalog().cards:
        for text in (card.question, card.answer, card.note or "", card.erratum or ""):
            assert _render.__wrapped__(text) == _rendered(text), text
            plain += not _MARKED.search(text)
    assert plain > 200  # the shortcut is taken (most questions)


EDIT_PIECES = ["<br>", "<BR/>", "< br>", "<b", "&#x1b;", "&lt;br&gt;", "`<br>`", "\x01", "\x9f"]
EDIT_PIECES += [" ", "\u00a0", "\u2003", "\x1c", "\n", "$x$", "**b**", "a", "é", "1. "]


@settings(max_examples=600, deadline=None)
@given(texts | st.lists(st.sampled_from(EDIT_PIECES), max_size=8).map("".join))
@example(" **a**")
@example("**a** \u00a0")
@example("a<br>b")
@example("$x$\x1c")
def test_a_rendered_text_with_nothing_to_edit_is_what_the_four_edits_give(text: str) -> None:
    """`_rendered` skips its four edits (control characters, a leftover <br>, the spaces at
    either end) when the assembled text has none of what they act on: on every text it gives
    what assembling then editing gives, edits always made (the reference, written out here
    from the steps it stands for)."""
    from dlcards.render import (
        _LEADING_SPACE,
        _LEFTOVER_BR,
        _TRAILING_SPACE,
        CONTROL,
        _assemble,
        _edit,
        _rendered,
    )

    plain, spans = _assemble(tokens(text))
    for pattern, repl in (
        (CONTROL, ""),
        (_LEFTOVER_BR, "\n"),
        (_LEADING_SPACE, ""),
        (_TRAILING_SPACE, ""),
    ):
        plain, spans = _edit(plain, spans, pattern, repl)
    assert _rendered(text) == (plain, tuple(spans))


def test_a_rendered_text_with_nothing_to_edit_takes_no_edit_pass(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """`list` in a pipe at 100,000 cards spent 1.4 s of its CPU in four `_edit` passes over
    questions with nothing to edit (most: text, bold and math): such a text takes none, a
    text with something to edit takes them all."""
    from dlcards import render

    passes: list[str] = []
    real = render._edit

    def counted(plain: str, *args: object) -> object:
        passes.append(plain)
        return real(plain, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(render, "_edit", counted)
    assert render._rendered("What is **the** $\\eta$ of it?")[0] == "What is the η of it?"
    assert passes == []
    # an entity that makes a "<br>" once decoded: the safety net's break
    assert render._rendered("a **b** &lt;br&gt; c <br> d ")[0] == "a b \n c\nd"
    assert len(passes) == 4
