"""Tests for dlcards.render: Markdown + LaTeX card text -> plain / rich terminal text."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import helpers as h
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from rich.text import Text

from dlcards.render import (
    BOLD_STYLE,
    CODE_STYLE,
    ITALIC_STYLE,
    MATH_STYLE,
    latex_to_unicode,
    to_plain,
    to_rich,
)

pytestmark = pytest.mark.no_files  # pure code: no database, no cache

DECKS = Path(__file__).resolve().parent.parent / "decks"
SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

_MATH = re.compile(r"\$\$.*?\$\$|\$[^$]*\$", re.DOTALL)
_CODE = re.compile(r"`([^`]*)`")


def _deck_texts() -> list[tuple[str, str]]:
    """(card-id:field, text) for the question and answer of every card in decks/*.yaml."""
    texts: list[tuple[str, str]] = []
    for path in sorted(DECKS.glob("*.yaml")):
        # libyaml's loader: the same data, a tenth of the time (this runs at every collection)
        deck = yaml.load(path.read_text(encoding="utf-8"), Loader=SafeLoader)
        for card in deck["cards"]:
            for field in ("question", "answer"):
                texts.append((f"{card['id']}:{field}", card[field]))
    return texts


DECK_TEXTS = _deck_texts()


def _styled(text: Text, style: str) -> list[str]:
    """The substrings covered by spans of exactly ``style``, in order."""
    return [text.plain[span.start : span.end] for span in text.spans if span.style == style]


def _assert_clean(source: str, rendered: str) -> None:
    """No LaTeX or Markdown syntax of ``source`` may survive into ``rendered``."""
    outside_math = _MATH.sub("", source)
    in_code = "".join(_CODE.findall(source))
    assert "$" not in rendered
    assert re.search(r"\\[A-Za-z]", rendered) is None
    for command in (r"\frac", r"\text", r"\mathbf", r"\mathcal"):
        assert command not in rendered
    # Braces may only come from non-math source text (the decks have none).
    assert rendered.count("{") <= outside_math.count("{")
    assert rendered.count("}") <= outside_math.count("}")
    # "**" only where it is code, e.g. `(y_pred - y_true)**2` (loss-ig2).
    assert rendered.count("**") == in_code.count("**")
    assert "<br" not in rendered.lower()


# --- every card of every deck ------------------------------------------------------------------


def test_decks_are_loaded() -> None:
    assert len(DECK_TEXTS) == 2 * h.shipped()[0]
    assert sum("$" in text for _, text in DECK_TEXTS) > 50


@pytest.mark.parametrize(("where", "source"), DECK_TEXTS, ids=[w for w, _ in DECK_TEXTS])
def test_deck_text_renders_without_markup(where: str, source: str) -> None:
    plain = to_plain(source)
    rich_text = to_rich(source)
    assert plain.strip(), where
    _assert_clean(source, plain)
    _assert_clean(source, rich_text.plain)
    assert rich_text.plain == plain


def test_rendering_a_new_card_text_reuses_the_converted_math(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Speed is measured in bench/; what keeps rendering fast is checked here without a clock:
    once the decks' math is converted, a new card text made of the same fragments (an edit)
    converts no LaTeX again."""
    import dlcards.render as render

    render._render.cache_clear()  # so the warm-up goes through latex_to_unicode's cache
    for _, source in DECK_TEXTS:  # warm up: pylatexenc import and the math cache
        to_rich(source)
    real = render._converter
    converted: list[int] = []

    def counting():  # type: ignore[no-untyped-def]
        converted.append(1)
        return real()

    monkeypatch.setattr(render, "_converter", counting)
    for index, (_, source) in enumerate(DECK_TEXTS):
        to_rich(f"{source} #{index}")  # a new text each time: no whole-card cache hit
    assert converted == []
    to_rich("$\\alpha_{fresh} + 1$")
    assert converted == [1]  # the count sees a conversion (else the test proves nothing)


# --- golden examples ---------------------------------------------------------------------------


def test_weight_update_rule() -> None:
    tex = (
        r"\mathbf{W}_{\text{new}} = \mathbf{W}_{\text{old}} - \eta "
        r"\nabla_{\mathbf{W}} \mathcal{L}"
    )
    assert latex_to_unicode(tex) == "W_new = W_old − η ∇_W L"
    assert to_plain(f"${tex}$") == "W_new = W_old − η ∇_W L"


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        (
            r"$\frac{320}{64} = \mathbf{5 \text{ updates}}$ per epoch.",
            "320/64 = 5 updates per epoch.",
        ),
        (r"$\sigma(Z) = 1 / (1 + e^{-Z})$", "σ(Z) = 1 / (1 + e^(−Z))"),
        (r"$\max(\text{Sigmoid}')=0.25$", "max(Sigmoid′)=0.25"),
        (r"$w \leftarrow w + \eta x_i$", "w ← w + η xᵢ"),
        (r"$-y_i(w^T x_i + b)$", "−yᵢ(wᵀ xᵢ + b)"),
        (r"$x_0 = 1$", "x₀ = 1"),
        (r"$10 \to 100$", "10 → 100"),
        (r"$\rightarrow \infty$", "→ ∞"),
        (r"$\mathbf{x}^{(i)}, y^{(i)}$", "x⁽ⁱ⁾, y⁽ⁱ⁾"),
        (r"$Z_{new} = W_1 P_1 + B_{new}$", "Z_new = W₁ P₁ + B_new"),
        (r"$L(w, b) = \max(0, -y_i \cdot \text{output})$", "L(w, b) = max(0, −yᵢ · output)"),
        (
            r"$L(w) = \sum_{i \in \text{misclassified}} -y_i (w^T x_i + b)$",
            "L(w) = ∑_(i ∈ misclassified) −yᵢ (wᵀ xᵢ + b)",
        ),
        (
            r"$W_{\text{new}} = W_{\text{old}} - \eta \frac{1}{m} \sum_{i=1}^{m} \nabla_W "
            r"\mathcal{L}(x_i, y_i)$",
            "W_new = W_old − η (1/m) ∑ᵢ₌₁ᵐ ∇_W L(xᵢ, yᵢ)",
        ),
        (
            "1. **SGD** $\\rightarrow$ 2. **MBGD** $\\rightarrow$ 3. **BGD**.",
            "1. SGD → 2. MBGD → 3. BGD.",
        ),
    ],
)
def test_golden_math(source: str, expected: str) -> None:
    assert to_plain(source) == expected


def test_display_math_gets_its_own_line() -> None:
    source = (
        "The loss used is the average loss over all points: "
        r"$$\mathcal{L}_{\text{BGD}} = \frac{1}{N} \sum_{i=1}^{N} \mathcal{L}_i$$"
    )
    assert to_plain(source) == (
        "The loss used is the average loss over all points:\n    L_BGD = (1/N) ∑ᵢ₌₁ᴺ Lᵢ"
    )
    middle = r"The update rule is: $$W = W - \eta g$$ where $\eta$ is the rate."
    assert to_plain(middle) == "The update rule is:\n    W = W − η g\nwhere η is the rate."
    assert to_plain(r"Hence $$a = b$$.") == "Hence\n    a = b."


def test_bold_straddling_math_mlp_15() -> None:
    source = r"$Z_{new}$ is $(10 \times 0.7) + (5 \times 0.8)$, which is $7.0 + 4.0 = **11.0$**."
    expected = "Z_new is (10 × 0.7) + (5 × 0.8), which is 7.0 + 4.0 = 11.0."
    assert to_plain(source) == expected
    rich_text = to_rich(source)
    assert rich_text.plain == expected
    assert _styled(rich_text, BOLD_STYLE) == ["11.0"]


def test_rich_spans_cover_the_right_text() -> None:
    text = to_rich("BGD uses **all $N$ data points** and *one* `batch`; $\\eta$ is **key**.")
    assert text.plain == "BGD uses all N data points and one batch; η is key."
    assert _styled(text, BOLD_STYLE) == ["all N data points", "key"]
    assert _styled(text, ITALIC_STYLE) == ["one"]
    assert _styled(text, CODE_STYLE) == ["batch"]
    assert _styled(text, MATH_STYLE) == ["N", "η"]


def test_nested_emphasis() -> None:
    text = to_rich("**Why is the loss a function of *all* the parameters?**")
    assert text.plain == "Why is the loss a function of all the parameters?"
    assert _styled(text, BOLD_STYLE) == [text.plain]
    assert _styled(text, ITALIC_STYLE) == ["all"]
    both = to_rich("***both*** and **`x`**")
    assert both.plain == "both and x"
    assert _styled(both, BOLD_STYLE) == ["both", "x"]
    assert _styled(both, ITALIC_STYLE) == ["both"]


# --- Markdown, <br>, entities ------------------------------------------------------------------


def test_br_becomes_newline_and_list_markers_stay() -> None:
    source = "Two ways:<br>- **Too High:** bounces. <br>- **Too Low:** slow.<br>1. one<BR/>2. two"
    assert to_plain(source) == ("Two ways:\n- Too High: bounces.\n- Too Low: slow.\n1. one\n2. two")


def test_html_entities_are_unescaped() -> None:
    assert to_plain("a &amp; b &lt; c &gt; d&nbsp;e") == "a & b < c > d\u00a0e"


def test_code_is_literal() -> None:
    text = to_rich("e.g. `(y_pred - y_true)**2` and `$x$`")
    assert text.plain == "e.g. (y_pred - y_true)**2 and $x$"
    assert _styled(text, CODE_STYLE) == ["(y_pred - y_true)**2", "$x$"]


FENCED = (
    "Before:\n"
    "```python\n"
    "for i in range(3):\n"
    "    print(i * 2)  # *not* emphasis, $not$ math\n"
    "\n"
    "```\n"
    "After, `inline`."
)


def test_a_fenced_code_block_keeps_its_lines_and_indent() -> None:
    """Found in tmux: a deck's ```python block showed as one line, "python for i in
    range(3):     print(i * 2) ...": the fence was read as a code span, whose newlines are
    spaces, and its info string as code. A block's lines stay lines, each code, the indent
    and inner runs of spaces kept (no-break spaces, so a wrap keeps them); the info string
    and the blank lines around the code go."""
    text = to_rich(FENCED)
    nbsp = "\u00a0"
    assert text.plain == (
        f"Before:\nfor i in range(3):\n{nbsp * 4}print(i * 2){nbsp * 2}"
        "# *not* emphasis, $not$ math\nAfter, inline."
    )
    assert _styled(text, CODE_STYLE) == [
        "for i in range(3):",
        f"{nbsp * 4}print(i * 2){nbsp * 2}# *not* emphasis, $not$ math",
        "inline",
    ]


def test_a_fenced_code_block_is_anki_code_lines() -> None:
    from dlcards.export.html import to_html

    nbsp = "\u00a0"
    assert to_html(FENCED) == (
        "Before:<br><code>for i in range(3):</code><br>"
        f"<code>{nbsp * 4}print(i * 2){nbsp * 2}# *not* emphasis, $not$ math</code><br>"
        "After, <code>inline</code>."
    )


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("a ```b``` c", "a b c"),  # not first on its line: a code span
        ("```\nunclosed", "```\nunclosed"),  # no closing fence: text
        ("```a`b\nx\n```", "a`b x"),  # a backtick in the info string: a span, as before
        ("    ```\nx\n```", "x"),  # indented four: not a fence (a span, as before)
        ("```\nx\n  y\n  ```", "x\n\u00a0\u00a0y"),  # the closing fence may be indented
        ("a\n ```\n  x\n ```", "a\n\u00a0x"),  # the fence's indent comes off the lines
        ("````\n```\n````", "```"),  # a shorter run inside is code
    ],
)
def test_what_is_and_is_not_a_fenced_block(source: str, expected: str) -> None:
    assert to_plain(source) == expected


def test_dollars_that_are_not_math() -> None:
    assert to_plain("costs $5 and $10 today") == "costs $5 and $10 today"
    assert to_plain(r"price \$3, **bold**") == "price $3, bold"
    assert to_plain("a lone $ sign") == "a lone $ sign"


def test_stray_asterisks_stay() -> None:
    assert to_plain("a * b and 2*3") == "a * b and 2*3"
    assert to_plain("**unclosed bold") == "**unclosed bold"


def test_inline_numbered_list_is_broken_into_lines() -> None:
    source = "1. **Monitor the Loss:** flat. 2. **Monitor the Weights:** near zero."
    assert to_plain(source) == "1. Monitor the Loss: flat.\n2. Monitor the Weights: near zero."
    chain = "1. **SGD** $\\rightarrow$ 2. **MBGD**"
    assert "\n" not in to_plain(chain)


def test_missing_space_before_bold_sentence() -> None:  # vgp-10
    source = "**Fix:** ReLU, BN, ResNets.**EGP (Exploding):** big."
    assert to_plain(source) == "Fix: ReLU, BN, ResNets. EGP (Exploding): big."


# --- latex_to_unicode details ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("tex", "expected"),
    [
        (r"\times", "×"),
        (r"\rightarrow", "→"),
        (r"\to", "→"),
        (r"\cdot", "·"),
        (r"\leftarrow", "←"),
        (r"\max", "max"),
        (r"\log", "log"),
        (r"\approx", "≈"),
        (r"\le", "≤"),
        (r"\ge", "≥"),
        (r"\infty", "∞"),
        (r"\sigma", "σ"),
        (r"\delta", "δ"),
        (r"\eta", "η"),
        (r"\nabla", "∇"),
        ("a - b", "a − b"),
    ],
)
def test_symbols(tex: str, expected: str) -> None:
    assert latex_to_unicode(tex) == expected


@pytest.mark.parametrize(
    ("tex", "expected"),
    [
        ("x_i", "xᵢ"),
        ("y_{t+1}", "yₜ₊₁"),
        (r"W_{\text{new}}", "W_new"),
        (r"\nabla_{\mathbf{W}}", "∇_W"),
        ("x^T", "xᵀ"),
        (r"x^\top", "xᵀ"),
        ("x^{2}", "x²"),
        ("e^{-Z}", "e^(−Z)"),
        (r"\mathcal{L}_{\text{BGD}}", "L_BGD"),
        (r"\frac{N}{B}", "N/B"),
        (r"\frac{a+b}{c}", "(a+b)/c"),
        (r"\frac{\partial L}{\partial w}", "∂L/∂w"),
        (r"\frac{1}{N} \sum_{i=1}^{N} x_i", "(1/N) ∑ᵢ₌₁ᴺ xᵢ"),
        (r"\left( \frac{1}{2} \right)^2", "(1/2)²"),
        (r"\sqrt{x+1}", "√(x+1)"),
        (r"\hat{y}", "ŷ"),
        (r"\softmax(z)", "softmax(z)"),
        (r"\text{non-linear}", "non-linear"),
        ("50%", "50%"),
    ],
)
def test_scripts_fractions_and_macros(tex: str, expected: str) -> None:
    assert latex_to_unicode(tex) == expected


@pytest.mark.parametrize(
    ("tex", "expected"),
    [
        # a named operator is set apart from a letter or digit after it (and its scripts), as
        # LaTeX sets it: these ran together as "logx", "log₂x", "max_θL"
        (r"\log{x}", "log x"),
        (r"\exp{x} + \sin{\theta}", "exp x + sin θ"),
        (r"\log_{2}{x}", "log₂ x"),
        (r"\max_\theta L", "max_θ L"),
        (r"\log(x)", "log(x)"),
        # a script written _θ (no Unicode subscript) ends where a letter would continue it
        (r"\nabla_\theta J(\theta)", "∇_θ J(θ)"),
        (r"W_{new}x", "W_new x"),
        (r"x_ab", "xₐb"),
        # macros with arguments: each readable, never its name and arguments run together
        (r"\binom{n}{k}", "(n choose k)"),
        (r"a \equiv b \pmod{m}", "a ≡ b (mod m)"),
        (r"a \bmod b", "a mod b"),
        (r"\overset{def}{=}", "=ᵈᵉᶠ"),
        (r"\underset{\theta}{\arg\min}", "arg min_θ"),
        (r"\xrightarrow{f}", "→ᶠ"),
        (r"\color{red}{x} + \boxed{y}", "x + y"),
        (r"\set{1, 2}", "{1, 2}"),
        (r"a \coloneqq b", "a ≔ b"),
        (r"\softmax{z}", "softmax(z)"),  # a macro neither parser knows: its arguments
        (r"\foo{a}{b}", "foo(a, b)"),
    ],
)
def test_operators_scripts_and_macros_with_arguments_read_apart(tex: str, expected: str) -> None:
    """Found with a user deck in tmux: `$\\nabla_\\theta J(\\theta)$` showed as "∇_θJ(θ)"
    (a subscript θJ), `$\\log{x}$` as "logx", `$\\binom{n}{k}$` as "binomnk" and
    `$a \\pmod{b}$` as "a pmodb"."""
    assert latex_to_unicode(tex) == expected


@pytest.mark.parametrize(
    ("tex", "expected", "in_ascii"),
    [
        # a superscript of several symbols is bracketed: e^iπ read as e^i·π, e^x² as (e^x)²
        (r"e^{i\pi} + 1 = 0", "e^(iπ) + 1 = 0", "e^(i pi) + 1 = 0"),
        (r"e^{x^2}", "e^(x²)", "e^(x^2)"),
        (r"x^{\alpha\beta}", "x^(αβ)", "x^(alpha beta)"),
        (r"x^{\alpha}", "x^α", "x^alpha"),  # one symbol: no brackets needed
        (r"x^{2.5}", "x^2.5", "x^2.5"),  # a number is one
        (r"W^{[l]}", "W^[l]", "W^[l]"),  # grouped by its own brackets: not W^([l])
        (r"x^{[l] + 1}", "x^([l] + 1)", "x^([l] + 1)"),
        # the starred \operatorname (limits under it) showed its star: `*argmax`
        (r"\operatorname*{argmax}_\theta L", "argmax_θ L", "argmax_theta L"),
        # an accent over its argument was dropped: the mean x̅ read as x
        (r"\overline{x} = \frac{1}{n}", "x\u0305 = 1/n", "x_bar = 1/n"),
        (r"\overline{AB}", "A\u0305B\u0305", "A_bar B_bar"),
        (r"\widehat{y}", "y\u0302", "y_hat"),
        (r"\bar{x}", "x\u0305", "x_bar"),
        # double-struck: 𝔼 was E (a variable E), 𝟙 was 1; in ASCII as AsciiMath writes them
        (r"x \in \mathbb{R}^n", "x ∈ ℝⁿ", "x in RR^n"),
        (r"\mathbb{E}[X]", "\U0001d53c[X]", "EE[X]"),
        (r"\mathbb{1}_{A}", "\U0001d7d9_A", "1_A"),
    ],
)
def test_math_that_reads_one_way_only(tex: str, expected: str, in_ascii: str) -> None:
    """`$e^{i\\pi}$` showed as e^iπ, `$\\overline{x}$` as x and `$\\mathbb{E}$` as E; in
    ASCII `$\\mathbb{R}^n$` was R^n, and `$x \\in S$` "xin S" beside a letter."""
    from dlcards.stdio import spelled

    shown = latex_to_unicode(tex)
    assert shown == expected
    pairs = zip(" " + shown, shown, shown[1:] + " ", strict=False)
    assert "".join(spelled(ch, before, after) for before, ch, after in pairs) == in_ascii


@pytest.mark.parametrize(
    ("tex", "expected"),
    [
        (r"\exp(-\frac{x^2}{2\sigma^2})", "exp(−x²/(2σ²))"),  # the Gaussian's exponent
        (r"\frac{1}{2\pi}", "1/(2π)"),
        (r"\frac{1}{\sqrt{2\pi}\sigma}", "1/(√(2π)σ)"),
        (r"\frac{\lambda}{2m}", "λ/(2m)"),
        (r"\sqrt{2x}", "√(2x)"),
        (r"\frac{3x}{4}", "(3x)/4"),
        # a number or a name alone needs no brackets
        (r"\frac{2}{n} + \frac{x}{0.5} + \frac{10^2}{5}", "2/n + x/0.5 + 10²/5"),
        (r"\frac{\partial L}{\partial w_1}", "∂L/∂w₁"),
    ],
)
def test_a_product_in_a_fraction_or_root_is_bracketed(tex: str, expected: str) -> None:
    """Reading user-deck math: the Gaussian's `$\\exp(-\\frac{x^2}{2\\sigma^2})$` showed
    as exp(−x²/2σ²), which reads as exp(−x²σ²/2), `$\\frac{1}{2\\pi}$` as 1/2π and
    `$\\sqrt{2x}$` as √2x: a number with a name after it (a product) was taken for one
    operand, as a name is."""
    assert latex_to_unicode(tex) == expected


@pytest.mark.parametrize(
    ("tex", "expected", "in_ascii"),
    [
        (r"2\sqrt[3]{8}", "2·∛8", "2*root[3] 8"),  # 2³√8 read as 2³·√8
        (r"x\sqrt[4]{y+1}", "x·∜(y+1)", "x*root[4](y+1)"),
        (r"2\sqrt[5]{x}", "2(⁵√x)", "2(root[5] x)"),  # no character: brackets
        (r"a = \sqrt[n]{x}, \sqrt[3]{8} = 2", "a = ⁿ√x, ∛8 = 2", "a = root[n] x, root[3] 8 = 2"),
        (r"\sqrt{2}x + 2\sqrt{x}", "√2·x + 2√x", "sqrt 2*x + 2 sqrt x"),  # √2x read as √(2x)
    ],
)
def test_a_root_after_an_operand_cannot_be_misread(tex: str, expected: str, in_ascii: str) -> None:
    """`$2\\sqrt[3]{8}$` showed as 2³√8, which reads as 2³·√8 in Unicode too: a root's
    degree after a number (or any token a superscript follows) is that token's power. The
    cube and fourth roots are their own characters, after an operand with the product's dot;
    another degree's root after an operand is bracketed; a square root's operand ends before
    a letter after it (√2·x)."""
    from dlcards.stdio import spelled_pieces

    shown = latex_to_unicode(tex)
    assert shown == expected
    assert "".join(spelled_pieces(shown, math=True)) == in_ascii


@pytest.mark.parametrize(
    ("tex", "expected"),
    [
        # a brace's label is the whole's: a+bₙ put it on b alone
        (r"\underbrace{a+b}_{n}", "(a+b)ₙ"),
        (r"\overbrace{1 + \cdots + 1}^{k}", "(1 + ⋯ + 1)ᵏ"),
        (r"\underbrace{x}_{\text{input}}", "x_input"),
        # delimiters hold their content without spaces inside, as brackets do
        (r"\langle x, y \rangle", "⟨x, y⟩"),
        (r"\| x \|_2 + \|a\| \cdot \| x + y \|", "‖x‖₂ + ‖a‖ · ‖x + y‖"),
        (r"\{ x \}", "{x}"),
        # the optimum's star is a mark, not a power in brackets
        (r"\theta^* = \arg\min_\theta L", "θ* = arg min_θ L"),
        # an operator's power stays with its operand, and such a numerator needs no brackets
        (r"\frac{\partial^2 L}{\partial w^2}", "∂²L/∂w²"),
    ],
)
def test_braces_delimiters_and_marks_read_as_written(tex: str, expected: str) -> None:
    """`\\underbrace{a+b}_{n}` showed as a+bₙ (the label on b), `\\langle x, y \\rangle`
    as ⟨ x, y ⟩, `\\| x \\|_2` as ‖ x ‖₂, `\\{ x \\}` as { x }, `\\theta^*` as θ^(*)
    and `\\frac{\\partial^2 L}{\\partial w^2}` as (∂² L)/∂w²."""
    assert latex_to_unicode(tex) == expected


@settings(max_examples=80, deadline=None)
@given(
    operand=st.sampled_from(["2", "x", "θ", "x²", "(a+b)", "wᵢ", "10"]),
    degree=st.sampled_from(["2", "3", "4", "5", "n", "k+1"]),
    body=st.sampled_from(["8", "x", "x+1", "2x"]),
)
def test_a_roots_degree_never_touches_the_operand_before_it(
    operand: str, degree: str, body: str
) -> None:
    """The class: whatever stands before a root of any degree, the rendered text never puts
    a superscript right after that operand (where it reads as its power)."""
    shown = latex_to_unicode(f"{operand}\\sqrt[{degree}]{{{body}}}")
    assert shown.startswith(operand), shown
    assert not re.match(r"[⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻⁼⁽⁾ⁿᵏ]", shown[len(operand) :]), shown


@pytest.mark.parametrize(
    ("tex", "expected"),
    [
        (r"y_{\text{pred}} - y_{\text{true}}", "y_pred − y_true"),
        (r"x_{\max} = x_{max}", "x_max = x_max"),
        # indices stay subscript letters
        (r"a_{ij} + \theta_{t+1}", "aᵢⱼ + θₜ₊₁"),
    ],
)
def test_a_word_under_a_letter_is_a_label(tex: str, expected: str) -> None:
    """Reading user-deck math: `$y_{\\text{pred}} - y_{\\text{true}}$` showed as
    "y_pred − yₜᵣᵤₑ", one label written out and the other in subscript letters (t, r, u, e
    have them, d has none), and `$x_{\\max}$` as xₘₐₓ: a word under a letter is a label."""
    assert latex_to_unicode(tex) == expected


def test_a_dollar_sign_inside_math_is_kept() -> None:
    """`$\\$5 \\times 2$` showed as "5 × 2": the math converter drops its own `$`, and took
    the escaped dollar with them."""
    assert latex_to_unicode(r"\$5 \times 2") == "$5 × 2"
    assert to_plain(r"a day costs $\$5 \times 2$ in all") == "a day costs $5 × 2 in all"


def test_a_nested_list_item_after_a_br_keeps_its_indent() -> None:
    """A list written with `<br>` (as the decks and Anki's fields write lines): its nested
    items lost their indent, `- a<br>  - nested` showing as two items of one level. The
    spaces after a `<br>` are kept before a list item; elsewhere they are dropped."""
    from dlcards.flow import wrap

    source = "- top<br>  - nested item with a long text<br>  1. numbered<br>- next <br> text"
    plain = to_plain(source)
    assert plain == "- top\n  - nested item with a long text\n  1. numbered\n- next\ntext"
    # wrapped, a nested item's further lines stand under its text
    assert wrap(plain, 20)[1:4] == ["  - nested item with", "    a long text", "  1. numbered"]


def test_a_unicode_line_or_paragraph_separator_breaks_the_line() -> None:
    """A deck with text pasted from a web page: `show` printed U+2028 and U+2029 as they
    are, which a terminal does not break at ("First linesecond line"), and an ASCII
    terminal got "?". They are line breaks, as a carriage return is."""
    source = "First line\u2028second line\u2029third, $x^2$ and\u2028**bold**"
    assert to_plain(source) == "First line\nsecond line\nthird, x² and\nbold"
    assert to_plain("a\u2028b") == "a\nb"  # no other markup: the quick path too


@pytest.mark.no_files
def test_a_formulas_accents_are_named_in_ascii_and_a_words_dropped() -> None:
    """Reading user-deck math in ASCII: `$\\tilde{x}$` and `$\\dot{x}$` read `x` (the
    estimate and the derivative as the variable) and `$\\vec{v}$` `v`: a combining accent
    is dropped, as a word's must be (não, café written apart). Inside a formula each is
    named after its letter, as the hat and the bar are; outside one a word keeps reading
    as a word."""
    from dlcards.console import in_encoding

    formula = r"$\tilde{x} + \dot{x} + \ddot{x} + \vec{v} + \hat{\theta} + \bar{x} = \tilde{a}$"
    shown = in_encoding(to_rich(formula), "ascii").plain
    assert shown == "x_tilde + x_dot + x_ddot + v_vec + theta_hat + x_bar = a_tilde"
    underlined = in_encoding(to_rich(r"$\underline{x} \ne x$"), "ascii").plain
    assert underlined == "x_underline != x"  # was "x != x"
    words = "na\u0303o, cafe\u0301, São Paulo"
    assert in_encoding(to_rich(words), "ascii").plain == "nao, cafe, Sao Paulo"


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        (
            r"$\mathrm{ReLU}'(z) = \begin{cases} 1 & z > 0 \\ 0 & z \le 0 \end{cases}$ here",
            "ReLU′(z) = 1 if z > 0; 0 if z ≤ 0 here",
        ),
        (
            r"$$y = \begin{cases} 1 & \text{if } p > 0.5 \\ 0 & \text{otherwise} \end{cases}$$",
            "y = 1 if p > 0.5; 0 otherwise",
        ),
        (r"$\begin{cases} a \\ b \end{cases}$", "a; b"),
    ],
)
def test_cases_read_as_values_with_their_conditions(source: str, expected: str) -> None:
    """Found with a user deck in tmux: ReLU's derivative written with `cases` showed as
    "ReLU′(z) = 1 z > 0 0 z ≤ 0" inline (the columns and the rows run together), where Anki's
    MathJax draws a brace, each value beside its condition."""
    assert to_plain(source) == expected


def test_inline_math_on_several_lines_keeps_its_lines_apart() -> None:
    """Inline math is put on one line: its line breaks (`aligned`'s rows) became spaces, and
    "a = b c = d" read as one equation. They are "; " now; display math keeps its lines."""
    source = r"So $\begin{aligned} a &= b \\ c &= d \end{aligned}$ holds."
    assert to_plain(source) == "So a = b; c = d holds."
    display = r"So $$\begin{aligned} a &= b \\ c &= d \end{aligned}$$"
    assert to_plain(display).splitlines()[1:] == ["    a = b", "    c = d"]


def test_importing_render_does_not_import_pylatexenc() -> None:
    code = "import sys, dlcards.render; assert 'pylatexenc' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)


# --- properties --------------------------------------------------------------------------------

_MARKUP = st.text(alphabet="$\\{}_^*`<>br/ &;#x0aW-'\n", max_size=60)


@given(st.text() | _MARKUP)
def test_to_plain_never_raises_and_never_shows_br(source: str) -> None:
    plain = to_plain(source)
    assert "<br>" not in plain
    rich_text = to_rich(source)
    assert rich_text.plain == plain
    for span in rich_text.spans:
        assert 0 <= span.start < span.end <= len(plain)


@given(st.text() | _MARKUP)
def test_latex_to_unicode_never_raises_or_leaks_commands(tex: str) -> None:
    out = latex_to_unicode(tex)
    assert out.count("$") <= tex.count("\\$")  # a dollar only where one was written \$
    assert re.search(r"\\[A-Za-z]", out) is None


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet="abxyZ019 +-*/=<>().,:;|!?'`{}_^\\", max_size=14))
def test_plain_math_skips_pylatexenc_only_where_it_would_change_nothing(tex: str) -> None:
    """Math of letters, digits and ASCII operators is converted without building pylatexenc's
    converter (the bulk of `dlcards show`'s time); the result is what pylatexenc gives."""
    from dlcards import render

    if not render._PLAIN_MATH.fullmatch(tex):
        return
    slow = render._converter()(tex)
    lines = (render._tidy(line) for line in slow.replace("$", "").split("\n"))
    render.latex_to_unicode.cache_clear()
    assert render.latex_to_unicode(tex) == "\n".join(line for line in lines if line)


def test_plain_math_takes_the_cards_formulas_without_latex() -> None:
    from dlcards import render

    assert render._PLAIN_MATH.fullmatch("320/64 = 5")
    assert render.latex_to_unicode("a - b'") == "a − b′"
    for tex in (r"\eta", "x_i", "w^T", "a--b", "{x}", "``a''"):
        assert not render._PLAIN_MATH.fullmatch(tex), tex


# --- one glyph for a sum ----------------------------------------------------------------------
#
# gd-8 showed its answer's \sum as ∑ and, under it, the engine's step "cost = (1/N)·Σ Lᵢ": one
# sum, two glyphs. LaTeX's \sum renders as ∑ (U+2211, the n-ary summation MathJax sets in
# the Anki export too) and \Sigma as Σ (U+03A3, the letter: a covariance matrix); so every
# text written for the decks and the engine writes a sum as ∑. The one Σ left is cce-28's
# answer, the source's words in a code span, shown verbatim.

SOURCE_SIGMA = {"cce-28:answer"}  # `-Σ y_j log(ŷ_j)`: transcribed, as the seed has it


def _learner_texts() -> list[tuple[str, str]]:
    """(card-id:field, text) for everything a card shows a learner: question, answer, note,
    erratum, references, quiz template, computation labels, and the engine's formula and
    worked steps for each of its computations."""
    from dlcards import engine
    from dlcards.deck import parse_deck

    texts: list[tuple[str, str]] = []
    for path in sorted(DECKS.glob("*.yaml")):
        for card in parse_deck(path.read_text(encoding="utf-8"), str(path)).cards:
            fields = {
                "question": card.question,
                "answer": card.answer,
                "note": card.note or "",
                "erratum": card.erratum or "",
                "references": " ".join(card.references),
                "quiz": card.quiz.template if card.quiz else "",
            }
            for i, block in enumerate(card.compute):
                result = engine.run(block.fn, dict(block.args))
                fields[f"compute{i}"] = " ".join(
                    [block.label or "", engine.get(block.fn).formula, *result.steps]
                )
            texts += [(f"{card.id}:{name}", text) for name, text in fields.items()]
    return texts


def test_a_sum_is_written_with_one_glyph_wherever_a_learner_reads_it() -> None:
    texts = _learner_texts()
    with_sigma = {where for where, text in texts if "Σ" in to_plain(text)}
    assert with_sigma == SOURCE_SIGMA
    assert sum("∑" in to_plain(text) for _, text in texts) > 15  # the decks do write sums
    assert latex_to_unicode(r"\sum_i x_i") == "∑ᵢ xᵢ"
    assert latex_to_unicode(r"\Sigma^{-1}") == "Σ⁻¹"  # the letter stays the letter
