"""Formulas are kept together when text wraps (dlcards.flow), on every screen that shows them.

The expected lines are written from the issue's report (the breaks it saw, `B` / `= 16`,
`η =` / `1`, `[−1, −1,` / `−1, 1]`, `… − 4` / `= 0`, `Σⱼ` / `e^(zⱼ − max z)`), not from the
code's output."""

from __future__ import annotations

import io
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rich.console import Console
from typer.testing import CliRunner

from dlcards.cli import app
from dlcards.flow import OPERATORS, breaks, clip, wrap
from dlcards.render import to_rich

runner = CliRunner()
STEP = (
    "epoch 9 makes no mistakes: converged after 9 epochs (8 with updates); "
    "boundary 3·x1 + 2·x2 − 4 = 0"
)


def terminal(width: int) -> tuple[Console, io.StringIO]:
    screen = io.StringIO()
    console = Console(file=screen, width=width, force_terminal=True, color_system=None)
    return console, screen


def run_at(monkeypatch: pytest.MonkeyPatch, width: int, *args: str) -> str:
    monkeypatch.setenv("TTY_COMPATIBLE", "1")
    monkeypatch.setenv("TERM", "dumb")
    monkeypatch.setenv("COLUMNS", str(width))
    monkeypatch.setenv("LINES", "24")  # rich takes a dumb terminal for 80x25 unless told both
    from dlcards.console import out

    out.cache_clear()
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def test_a_formula_that_fits_is_never_split() -> None:
    for width in range(19, 60):
        lines = wrap(STEP, width)
        assert any("3·x1 + 2·x2 − 4 = 0" in line for line in lines), (width, lines)
    assert wrap("a mini-batch of B = 16 independent examples", 20) == [
        "a mini-batch of",
        "B = 16 independent",
        "examples",
    ]
    labels = "AND on {0,1}², labels [−1, −1, −1, 1], w = [0, 0], b = 0, η = 1; visit"
    for width in range(16, 40):
        text = "\n".join(wrap(labels, width))
        assert "[−1, −1, −1, 1]" in text and "η = 1" in text and "b = 0" in text, text


def test_a_formula_longer_than_the_line_breaks_before_a_top_level_operator() -> None:
    assert wrap(STEP, 12)[-2:] == ["3·x1 + 2·x2", "− 4 = 0"]
    assert wrap("softmax(z)ᵢ = e^(zᵢ − max z) / Σⱼ e^(zⱼ − max z)", 33) == [
        "softmax(z)ᵢ = e^(zᵢ − max z)",
        "/ Σⱼ e^(zⱼ − max z)",
    ]
    # a list longer than the line breaks after its commas, never inside a number
    assert wrap("w = [10.5, 20.25, 30.125, 40.0625]", 16) == [
        "w = [10.5,",
        "20.25, 30.125,",
        "40.0625]",
    ]


def test_a_formula_breaks_between_its_top_level_terms_before_inside_a_bracket() -> None:
    """perceptron-22's loss at 40 columns broke inside the sum's subscript, `Σ_(i` then
    `∈ misclassified)`: with no operator at its top level, the formula breaks between its
    terms there; an operator inside brackets is the last resort."""

    def lines(text: str, width: int) -> list[str]:  # all of it one LaTeX math span
        cuts = [0, *breaks(text, width, [(0, len(text))]), len(text)]
        return [text[a:b].rstrip(" ") for a, b in zip(cuts, cuts[1:], strict=False)]

    loss = "L(w) = Σ_(i ∈ misclassified) −yᵢ (wᵀ xᵢ + b)"
    assert lines(loss, 34) == ["L(w) = Σ_(i ∈ misclassified) −yᵢ", "(wᵀ xᵢ + b)"]
    assert lines(loss, 30) == ["L(w) = Σ_(i ∈ misclassified)", "−yᵢ (wᵀ xᵢ + b)"]
    # too narrow for the sum with its subscript: only then inside the brackets
    assert lines(loss, 16) == ["L(w) = Σ_(i", "∈ misclassified)", "−yᵢ (wᵀ xᵢ + b)"]
    # a big operator keeps its head with what follows
    assert lines("a = Σⱼ e^(zⱼ) (1 + x)", 12) == ["a", "= Σⱼ e^(zⱼ)", "(1 + x)"]


OPERAND = st.sampled_from(["x", "y₁", "2", "(a + b)", "and", "[1, 2]"])


@given(OPERAND, st.lists(st.tuples(st.sampled_from(["=", "+", "−", "/"]), OPERAND), max_size=9))
def test_no_line_ends_with_an_operator(first: str, rest: list[tuple[str, str]]) -> None:
    text = " ".join([first, *(f"{op} {operand}" for op, operand in rest)])
    for width in (4, 8, 13):
        for line in wrap(text, width):
            assert line.split(" ")[-1] not in OPERATORS, (text, width, line)


def test_latex_math_is_kept_together_and_copies_with_plain_spaces() -> None:
    """A LaTeX span (wᵀ xᵢ has a space no operator explains) stays on one line; the printed
    characters are ordinary spaces, never U+00A0, so a copied formula is the deck's."""
    text = to_rich(r"the loss $L(w) = \sum_i -y_i (w^T x_i + b)$ over the misclassified points")
    console, screen = terminal(30)
    console.print(text)
    shown = screen.getvalue()
    assert "L(w) = ∑ᵢ −yᵢ (wᵀ xᵢ + b) over" in [line.strip() for line in shown.splitlines()]
    assert "\u00a0" not in shown


def test_show_perceptron_12_at_40_and_60_columns(monkeypatch: pytest.MonkeyPatch) -> None:
    for width in (40, 60):
        shown = run_at(monkeypatch, width, "show", "perceptron-12")
        lines = [line.strip("│ ") for line in shown.splitlines()]
        assert any("3·x1 + 2·x2 − 4 = 0" in line for line in lines), shown
        assert any("[−1, −1, −1, 1]" in line for line in lines), shown
        assert any("η = 1" in line for line in lines), shown
        # (a line starting "= 9   " is the computed value's mark, not a broken formula)
        broken = [line for line in lines if re.search(r"\s[=+−]$|^[=+−] (?!\d+   )", line)]
        assert not broken, shown


def test_quiz_prompt_backprop_35_at_60_columns() -> None:
    import random

    from dlcards.catalog import load_catalog
    from dlcards.commands.quiz import _question_panel
    from dlcards.quiz import typed_question

    card = load_catalog().card("backprop-35")
    for seed in range(8):
        question = typed_question(card, random.Random(seed))
        assert question is not None
        console, screen = terminal(60)
        console.print(_question_panel(question, "Backpropagation"))
        batch = question.params["batch_size"]
        assert f"B = {batch}" in screen.getvalue(), screen.getvalue()


def test_calc_list_keeps_softmax_sum_together(monkeypatch: pytest.MonkeyPatch) -> None:
    shown = run_at(monkeypatch, 80, "calc", "--list")
    assert "∑ⱼ e^(zⱼ − max z)" in shown, shown
    assert "\u00a0" not in shown


def test_a_number_in_scientific_notation_is_never_cut_before_its_times(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A UX run (ui10): `calc softmax` of 12 values at 60 columns ended a step's line with
    `3.355` and began the next with `× 10⁻⁴`, a number read as two; and the value's own
    lines went on at the left edge, under `softmax`. A power of ten stays with its mantissa,
    and the value wraps under itself, as the steps do."""
    values = ", ".join(f"{m} × 10⁻{e}" for m, e in [("1.67", "⁵"), ("3.355", "⁴"), ("9.1", "¹²")])
    step = f"2. exp: [{values}, 0.002479, 0.006738, 0.01832, 0.04979, 0.1353, 0.3679, 1]"
    for width in range(16, 90):
        lines = wrap(step, width)
        assert not any(line.lstrip().startswith("×") for line in lines), (width, lines)
        assert " ".join(" ".join(lines).split()) == step
    # an × between other terms is still a place to cut a formula too long for its line
    assert wrap("area = 12345 × 67890 × 13579", 16)[1:] == ["× 67890 × 13579"]
    shown = run_at(monkeypatch, 60, "calc", "softmax", "logits=1,2,3,4,5,6,7,8,9,10,11,12")
    lines = shown.splitlines()
    start = next(k for k, line in enumerate(lines) if line.startswith("  = ["))
    end = next(k for k in range(start, len(lines)) if lines[k].rstrip().endswith("]"))
    assert end > start and all(line.startswith("    ") for line in lines[start + 1 : end + 1])
    assert not any(line.lstrip().startswith("×") for line in lines), shown


def test_list_cuts_a_question_between_formulas_and_pipes_plain_spaces(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    question = "In the Sigmoid-Perceptron, what does the line Wᵀ X + b = 0 represent?"
    assert clip(question, 12) == "In the…"
    math = [(question.index("Wᵀ"), question.index(" represent"))]  # as to_rich marks it
    assert clip(question, 52, math) == "In the Sigmoid-Perceptron, what does the line…"
    for width in range(50, 100, 2):  # wherever the cut falls, never inside the formula
        shown = run_at(monkeypatch, width, "list", "--topic", "mlp")
        row = next(line for line in shown.splitlines() if line.startswith("mlp-7 "))
        if "Wᵀ" in row:
            assert "Wᵀ X + b = 0" in row, (width, row)
        assert "\u00a0" not in shown
    monkeypatch.delenv("TTY_COMPATIBLE")
    from dlcards.console import out

    out.cache_clear()
    piped = runner.invoke(app, ["list", "--topic", "mlp"]).output
    assert "mlp-7\tIn the Sigmoid-Perceptron, what does the line Wᵀ X + b = 0 represent?" in piped
    assert "\u00a0" not in piped


@settings(max_examples=500, deadline=None)
@given(
    st.text(
        alphabet=st.sampled_from(
            list("ab é∑") + ["\t", "\n", "\r", "\x0b", "\x0c", "\x1c", "\x1f", "\x85", "\xa0",
                             "\u2003", "\u2028", "\u3000", "\u200b"]
        )
    )
)  # fmt: skip
def test_one_line_without_formulas_is_the_character_walk(plain: str) -> None:
    """Text without formulas takes one_line's quick path (str.split): the same line as the
    walk over its characters, for every kind of whitespace str.isspace knows (and one it
    does not, the zero-width space)."""
    from rich.text import Text

    from dlcards.flowtext import MATH_MARK, one_line

    text = Text(plain)  # (rich drops some control characters: \r among them)
    walked = text.copy()  # a formula mark makes one_line walk the characters
    walked.stylize(MATH_MARK, 0, len(walked.plain))
    line, math = one_line(walked)
    assert one_line(text) == (line, [])
    assert math == ([(0, len(line))] if line else [])


def test_piped_list_lines_are_one_line_of_each_rendered_question() -> None:
    """`dlcards list | ...` prints each question's plain line from to_plain alone: the line
    one_line gives of the rendered question (the table's text), for every shipped card."""
    from dlcards.catalog import load_catalog
    from dlcards.flowtext import one_line
    from dlcards.render import to_rich

    result = CliRunner().invoke(app, ["list"])
    assert result.exit_code == 0
    printed = dict(line.split("\t", 1) for line in result.output.splitlines())
    cards = load_catalog().cards
    assert len(printed) == len(cards) > 200
    for card in cards:
        assert printed[card.id] == one_line(to_rich(card.question))[0], card.id


def _clip_by_remeasuring(line: str, width: int, math: list[tuple[int, int]]) -> str:
    """clip as it was first written: the kept text measured again for each atom."""
    from rich.cells import cell_len, chop_cells

    from dlcards.flow import atoms

    if cell_len(line) <= width:
        return line
    kept = ""
    for start, end in atoms(line, width - 1, math):
        if cell_len((kept + line[start:end]).rstrip(" ") + "…") > width:
            break
        kept += line[start:end]
    kept = kept.rstrip(" ,;:")
    if not kept:
        return chop_cells(line, max(width - 1, 1))[0] + "…" if width > 1 else "…"[:width]
    return kept + "…"


@settings(max_examples=500, deadline=None)
@given(
    words=st.lists(
        st.sampled_from(["a", "ab", "loss", "=", "+", "(x", "y)", "∑ᵢ", "全角", "σ(z)", ",", "x²"]),
        max_size=14,
    ),
    gaps=st.lists(st.integers(1, 3), min_size=14, max_size=14),
    width=st.integers(1, 30),
    math=st.lists(st.tuples(st.integers(0, 40), st.integers(0, 40)), max_size=2),
)
def test_clip_measures_as_it_goes_what_remeasuring_gives(
    words: list[str], gaps: list[int], width: int, math: list[tuple[int, int]]
) -> None:
    """clip keeps the width of what it has kept as it goes: the same text as measuring it
    all again for each atom, for words, operators, brackets, wide characters and formulas."""
    line = "".join(w + " " * g for w, g in zip(words, gaps, strict=False)).rstrip(" ")
    ranges = sorted((min(a, b), max(a, b)) for a, b in math)
    assert clip(line, width, ranges) == _clip_by_remeasuring(line, width, ranges)


@settings(max_examples=500, deadline=None)
@given(
    words=st.lists(
        st.sampled_from(
            ["a", "word", "=", "+", "→", ":=", "*", "(x", "y)", "[i]", "{k}", "Σⱼ", "∑", "∫dx",
             "Σlongword", "σ(z)", ",", "x²", "全角", "é", "-", "1/2", ""]
        ),
        max_size=12,
    ),
    gaps=st.lists(st.integers(1, 3), min_size=12, max_size=12),
    lead=st.sampled_from(["", " "]),
    width=st.integers(1, 30),
)  # fmt: skip
def test_prose_atoms_are_the_atoms(
    words: list[str], gaps: list[int], lead: str, width: int
) -> None:
    """A line read as prose (no formula can hold any of its runs of spaces) gets the atoms
    classifying each run of spaces gives it at any width; any other line is left to that."""
    from dlcards.flow import _classified_atoms, _prose_atoms

    line = lead + "".join(w + " " * g for w, g in zip(words, gaps, strict=False))
    for text in (line, line.rstrip(" ")):
        quick = _prose_atoms(text, [])
        if quick is not None:
            assert quick == _classified_atoms(text, width, [])
    assert _prose_atoms(line, [(0, 1)]) is None


def test_a_list_items_further_lines_hang_past_its_bullet(monkeypatch: pytest.MonkeyPatch) -> None:
    """A reference wrapped in `show` continues under its text, not under its bullet, and so
    does an item of a list in a card's text (- or 1.); a line that is no list item, or a
    width too narrow to indent, is cut as before."""
    out = run_at(monkeypatch, 60, "show", "perceptron-2")
    lines = [line.strip("│ ") for line in out.splitlines()]
    start = lines.index("References:")
    assert lines[start + 1].startswith("• Bishop, Pattern Recognition")
    inner = out.splitlines()[start + 2 : start + 6]
    assert all(line.startswith("│      ") and line[7] != " " for line in inner), inner
    item = "• " + STEP
    assert wrap(item, 30) == [
        "• epoch 9 makes no mistakes:",
        "  converged after 9 epochs (8",
        "  with updates); boundary",
        "  3·x1 + 2·x2 − 4 = 0",
    ]
    assert wrap(STEP, 30)[1] == "converged after 9 epochs (8"  # no bullet: no indent
    # a card's own lists: dashes, numbers, indented items
    assert wrap("- " + STEP, 30)[1] == "  converged after 9 epochs (8"
    assert wrap("12. " + STEP, 30)[1:3] == [
        "    converged after 9 epochs",
        "    (8 with updates); boundary",
    ]
    assert wrap("  * " + STEP, 30)[1] == "    converged after 9 epochs"
    assert not wrap("-5 is " + STEP, 30)[1].startswith(" ")  # a number, not an item
    assert wrap(item, 7)[:3] == ["• epoch", "9 makes", "no"]  # too narrow to indent


@settings(max_examples=500, deadline=None)
@given(
    st.text(alphabet=st.sampled_from(list(" •*-.)0123456789a\t\xa0")), max_size=9),
    st.integers(min_value=0, max_value=60),
)
def test_a_list_items_mark_is_what_its_pattern_says(line: str, width: int) -> None:
    """`hang` reads a list item's mark without a regular expression: what this one says."""
    from dlcards.flow import CODE_HANG, hang

    # the indent: spaces, and the no-break spaces of a code block's
    item = re.match(r"[ \xa0]*(?:[•*-]|[0-9]{1,3}[.)]) (?=\S)", line)
    want = item.end() if item and width >= 4 * item.end() else 0
    if not re.match(r"[ \xa0]*(?:[•*-]|[0-9]{1,3}[.)]) ", line):  # no mark: an indented line
        lead = len(line) - len(line.lstrip(" \xa0"))  # (display math) hangs under itself
        want = lead if 0 < lead < len(line) and width >= 4 * lead else 0
        code = 0 < lead < len(line) and line[lead - 1] == "\xa0"  # a line of code: deeper
        if code and width >= 4 * (lead + CODE_HANG):
            want = lead + CODE_HANG
    assert hang(line, width) == want


@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from(["• ", "- ", "* ", "1. ", "42) ", "  - "]),
    st.lists(
        st.sampled_from(["ab", "wxyz", "x² + 1", "=", "(a + b)", "abcdefghijklmnop"]), max_size=12
    ),
    st.integers(min_value=1, max_value=40),
)
def test_a_list_item_wrapped_keeps_its_text_and_fits(
    mark: str, words: list[str], width: int
) -> None:
    """A list item's lines, their indent taken off, are its text again (a piece too wide for
    a line folded), and each fits the width, its further lines indented within it."""
    from dlcards.flow import CONTINUED, hang

    item = mark + " ".join(words)
    lines = wrap(item, width)
    indent = hang(item, width)
    assert indent in (0, len(mark))
    assert [line[:indent].strip() for line in lines[1:]] == [""] * (len(lines) - 1)
    rest = [line[indent:] for line in lines[1:]]
    # a name cut inside ends its line with the mark that says so (`flow.CONTINUED`)
    unmarked = [piece.removesuffix(CONTINUED) for piece in [lines[0], *rest]]
    assert "".join("".join(unmarked).split()) == "".join(item.split())
    assert all(len(line) <= width for line in lines), lines


def test_a_wrapped_line_of_code_stays_in_its_nesting() -> None:
    """A UX run (ui10): a code block's indent is no-break spaces, which `hang` did not count,
    so a nested line of code cut at 60 columns went on at the block's left edge, out of its
    loop (`shuffle=True, ...` under `for epoch`); its further lines now stand deeper than it,
    as a continuation line is written, not under it as a statement of its own would."""
    from dlcards.flow import CODE_HANG
    from dlcards.render import to_plain

    code = "```python\nfor x in xs:\n    total = total + weight * value_of_something(x)\n```"
    first, nested = to_plain(code).split("\n")
    assert (first, nested[:4]) == ("for x in xs:", "\xa0" * 4)  # as markup keeps an indent
    lines = wrap(nested, 36)
    assert len(lines) > 1 and lines[0] == nested[: len(lines[0])]
    assert all(line.startswith(" " * (4 + CODE_HANG)) for line in lines[1:]), lines
    assert "".join(line.strip(" \xa0") for line in lines).replace(" ", "") == "".join(
        nested.split()
    ).replace("\xa0", "")
    assert all(len(line) <= 36 for line in lines)
    # no room for the deeper indent: under the line itself, still not at the left edge
    assert all(line.startswith(" " * 4) for line in wrap(nested, 20)[1:])


def test_display_math_cut_stays_under_its_indent() -> None:
    """A formula on a line of its own (display math, indented) cut at 30 columns went on at
    the text's left edge: `    W_new = W_old` then `− η ∇_W L(W)`."""
    from dlcards.render import DISPLAY_INDENT

    lines = wrap(DISPLAY_INDENT + "W_new = W_old − η ∇_W L(W)", 20)
    assert lines == [DISPLAY_INDENT + "W_new = W_old", DISPLAY_INDENT + "− η ∇_W L(W)"]
    narrow = wrap(DISPLAY_INDENT + "W_new = W_old − η ∇_W L(W)", 12)  # no room to indent
    assert narrow[1:] == ["= W_old − η", "∇_W L(W)"]


@pytest.mark.parametrize(
    ("text", "width", "expected"),
    [
        # a cut at any operator gave `… = 1` / `/ (1 + 1) = 0.5` (calc sigmoid's step)
        (
            "σ(0) = 1 / (1 + e^(0)) = 1 / (1 + 1) = 0.5",
            33,
            ["σ(0) = 1 / (1 + e^(0))", "= 1 / (1 + 1) = 0.5"],
        ),
        (
            "tanh'(2) = 1 − tanh² = 1 − (0.96403)² = 0.07065",
            33,
            ["tanh'(2) = 1 − tanh²", "= 1 − (0.96403)² = 0.07065"],
        ),
        # a product ending in Σ keeps its operand: `(1/N)·Σ` ended a line, `Lᵢ` began one
        (
            "cost = (1/N)·Σ Lᵢ = (0.5 + 1.5 + 1) / 3",
            33,
            ["cost = (1/N)·Σ Lᵢ", "= (0.5 + 1.5 + 1) / 3"],
        ),
        # at the relation it would take a line more: cut where it fills the lines
        (
            "∂L/∂z = ŷ − y = [0.1, 0.7] − [1, 0] = [−0.9, 0.7]",
            30,
            ["∂L/∂z = ŷ − y = [0.1, 0.7]", "− [1, 0] = [−0.9, 0.7]"],
        ),
    ],
)
def test_a_formula_too_long_is_cut_at_its_relations_first(
    text: str, width: int, expected: list[str]
) -> None:
    assert wrap(text, width) == expected


# --- long values: the layout's work grows with the length, not with its square ----------------


def _vector(n: int) -> tuple[str, list[tuple[int, int]]]:
    """`calc`'s line of a long list argument."""
    return "  logits=[" + ", ".join(f"{(i * 37 % 601) / 100 - 3:.2f}" for i in range(n)) + "]", []


def _sum(n: int) -> tuple[str, list[tuple[int, int]]]:
    return "L = " + " + ".join(f"w{i}·x{i}" for i in range(n)), []


def _nested(n: int) -> tuple[str, list[tuple[int, int]]]:
    return "f(" + ", ".join(f"g(a{i} + b{i})" for i in range(n)) + ")", []


def _inline_math(n: int) -> tuple[str, list[tuple[int, int]]]:
    """Prose with a formula in every few words, each a math range (a card's `$x_i = i$`)."""
    line, math = "", []
    for i in range(n):
        line += "then "
        formula = f"xᵢ = {i} + y"
        math.append((len(line), len(line) + len(formula)))
        line += formula + ", "
    return line.rstrip(", "), math


@pytest.mark.parametrize("shape", [_vector, _sum, _nested, _inline_math])
def test_a_long_line_is_laid_out_in_steps_linear_in_its_length(shape: object) -> None:
    """Measuring (`min_width`, what rich's tables ask), wrapping and clipping a line four
    times as long takes about four times the steps. A piece of a formula looked through the
    spaces of the whole formula for its own, and a space asked every math range whether it
    was inside: `calc softmax` of 4,000 values took 14 s, a card of 2,000 inline formulas
    1.5 s."""
    from helpers import lines_run

    from dlcards.flow import clip, min_width

    def steps(n: int) -> int:
        line, math = shape(n)  # type: ignore[operator]

        def lay_out() -> None:
            min_width(line, math)
            breaks(line, 40, math)
            breaks(line, 12, math)
            clip(line, 40, math)

        return lines_run(lay_out)

    short, long = steps(150), steps(600)
    assert long < 5 * short, (short, long)


def test_calc_lays_out_a_long_list_in_steps_linear_in_its_length(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """`calc` in text mode (its arguments, value and steps in a grid rich measures, each
    cell wrapped by dlcards.flow) of a list four times as long: about four times the steps.
    With 4,000 values it took 14 s (`--json`: 0.3 s), the pieces of the one long value each
    looking through all its spaces, for every measure and every wrap."""
    from helpers import lines_run

    def steps(n: int) -> int:
        values = ",".join(f"{(i * 37 % 601) / 100 - 3:.2f}" for i in range(n))
        return lines_run(lambda: run_at(monkeypatch, 80, "calc", "softmax", f"logits={values}"))

    short, long = steps(50), steps(200)  # (200: the most a list takes, `params.MAX_ITEMS`)
    assert long < 5 * short, (short, long)


@pytest.mark.no_files
def test_a_formula_nested_deeper_than_pythons_stack_is_cut() -> None:
    """A formula nested 1,200 brackets deep (a deck card, a torture run): the formula was cut
    one bracket level per call, and `show` ended with a RecursionError traceback. Now every
    piece fits where it can, in order, and the pieces make the line again."""
    line = "f(a + " * 1200 + "b" + ")" * 1200
    cuts = breaks(line, 40)
    pieces = [line[a:b] for a, b in zip([0, *cuts], [*cuts, len(line)], strict=True)]
    assert "".join(pieces) == line and len(pieces) > 100
    assert max(len(p.rstrip()) for p in pieces) <= 40


def _cell_lines(text: object, width: int) -> list[str]:
    """`text` as a card's grid cell draws it (rich's table cells crop with an ellipsis)."""
    from rich.table import Table

    grid = Table.grid(padding=(0, 1))
    grid.add_column(no_wrap=True)
    grid.add_column(ratio=1)
    grid.add_row("A", text)  # type: ignore[arg-type]
    console, screen = terminal(width)
    console.print(grid)
    return screen.getvalue().splitlines()


def test_a_line_of_wide_characters_ending_in_a_space_loses_no_character() -> None:
    """Found in tmux at 40 columns: a Japanese answer's first line showed "1/(1+e⁻ˣ)  …",
    the と after the formula lost, and at 37 "1/(1+e⁻ˣ…", the formula's bracket lost: a line
    cut after a word and its space, whose width in cells is the line's, kept the space (rich's
    rstrip_end counts characters, and CJK characters are two cells), so the crop to the width
    cut the line's last character for an ellipsis."""
    text = to_rich(r"シグモイド関数 $\sigma(x) = \frac{1}{1+e^{-x}}$ と ReLU です。")
    words = "".join(text.plain.split())
    for width in range(12, 60):
        lines = _cell_lines(text, width)
        assert "…" not in "".join(lines), (width, lines)
        assert "".join("".join(line[2:].split()) for line in lines) == words, (width, lines)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.text(alphabet="aé字文ー😀", min_size=1, max_size=9), min_size=1, max_size=12),
    st.integers(min_value=6, max_value=40),
)
def test_wide_words_wrapped_in_a_cell_keep_every_character(words: list[str], width: int) -> None:
    """Words of one- and two-cell characters, wrapped in a grid cell at any width: every
    character is on screen (a word wider than the line folds, never an ellipsis; a run of
    ASCII letters cut inside ends its line with `flow.CONTINUED`)."""
    from dlcards.flow import CONTINUED
    from dlcards.flowtext import flowing

    text = flowing(" ".join(words))
    lines = _cell_lines(text, width)
    assert "…" not in "".join(lines), lines
    shown = ["".join(line[2:].split()).removesuffix(CONTINUED) for line in lines]
    assert "".join(shown) == "".join(words), lines


CODE_LINE = (
    "optimizer = torch.optim.SGD(model.parameters(), lr=learning_rate, momentum=0.9, "
    "weight_decay=1e-4)"
)


def test_a_long_line_of_code_is_cut_between_its_tokens() -> None:
    """Reading a card with a line of code at 40 columns: the call was folded inside its
    names, `torch.optim.SGD(model.paramete` / `rs(), lr=learning_rate,` (and at 60,
    `cross_entropy(model(in` / `puts)`), as rich folds a word longer than the line. A piece
    with no space to break at is cut between its tokens: every name shorter than the line
    is whole on one line, and the line's characters are all there, in order."""
    names = re.findall(r"\w+", CODE_LINE)
    for width in range(20, 100):
        lines = wrap(CODE_LINE, width)
        assert all(len(line) <= width for line in lines), (width, lines)
        assert "".join(lines).replace(" ", "") == CODE_LINE.replace(" ", ""), (width, lines)
        for name in names:
            assert any(re.search(rf"\b{name}\b", line) for line in lines), (width, name, lines)
        # a closing bracket or a comma never starts a line: it ends what is before it
        assert not any(line.lstrip()[:1] in ")]}," for line in lines), (width, lines)


def test_show_cuts_a_code_block_between_its_tokens(
    monkeypatch: pytest.MonkeyPatch, tmp_path: object
) -> None:
    from pathlib import Path

    folder = Path(str(tmp_path)) / "decks"
    folder.mkdir()
    (folder / "code.yaml").write_text(
        "topic: code\ntitle: Code\ncards:\n  - id: code-1\n    question: What does it do?\n"
        "    answer: |-\n      It makes the optimizer:\n      ```python\n"
        f"      {CODE_LINE}\n      ```\n",
        encoding="utf-8",
    )
    monkeypatch.setenv("DLCARDS_DECKS", str(folder))
    for width in (40, 60):
        shown = run_at(monkeypatch, width, "show", "code-1")
        for name in ("parameters", "learning_rate", "momentum", "weight_decay"):
            assert re.search(rf"\b{name}\b", shown), (width, name, shown)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.tuples(st.from_regex(r"[a-z_]{1,12}", fullmatch=True), st.sampled_from(".(,=")),
        min_size=1,
        max_size=10,
    ),
    st.integers(min_value=14, max_value=60),
)
def test_a_piece_with_no_space_is_folded_between_its_names(
    parts: list[tuple[str, str]], width: int
) -> None:
    """A chain of names and punctuation with no space (`a.b(c,d=e`), folded at any width:
    every name (at most 12 long) is whole on a line, and no character is lost."""
    word = "".join(name + mark for name, mark in parts)
    lines = wrap(word, width)
    assert "".join(lines) == word
    assert all(len(line) <= width for line in lines), lines
    for name, _ in parts:
        assert any(name in re.findall(r"\w+", line) for line in lines), (name, lines)


def test_a_call_folds_after_its_opening_bracket_not_inside_an_argument() -> None:
    """cce-29's erratum at 40 columns: `CrossEntropyLoss(label_smoothing` / `=0.1)`, an
    argument cut at its `=` where the call's bracket was in the line's second half."""
    from dlcards.flow import fold

    assert fold("CrossEntropyLoss(label_smoothing=0.1)", 33) == [
        "CrossEntropyLoss(",
        "label_smoothing=0.1)",
    ]
    assert fold("torch.optim.SGD(model.parameters(),", 30) == [
        "torch.optim.SGD(",
        "model.parameters(),",
    ]


@pytest.mark.parametrize("room", range(14, 32))
def test_a_quote_stays_with_the_name_it_opens_or_closes(room: int) -> None:
    """perceptron-2's reference at 40 columns (`show`): `SGDClassifier(loss='perceptron` /
    `', learning_rate=...`, the closing quote cut off its name; at 29 cells the opening one
    ended a line (`loss='` / `perceptron',`). At any width the quoted name keeps its quotes."""
    from dlcards.flow import fold

    word = "SGDClassifier(loss='perceptron',"
    chunks = fold(word, room)
    assert "".join(chunks) == word
    assert all(len(chunk) <= room for chunk in chunks), chunks
    assert any("'perceptron'" in chunk for chunk in chunks), chunks


def test_a_name_longer_than_the_line_is_cut_with_a_continuation_mark() -> None:
    """At 40 columns a code block's `enumerate(training_data_loader_with_augmentation):`
    showed `training_data_loader_with_augmen` / `tation):`, the name split with nothing to
    say so. A name cut inside (there is no token boundary in it) ends its line with
    CONTINUED, as a terminal editor marks a continued line; the line stays in its width."""
    from dlcards.flow import CONTINUED

    line = "for batch in enumerate(training_data_loader_with_augmentation):"
    for width in range(12, 38):  # narrower than the name
        lines = wrap(line, width)
        assert all(len(piece) <= width for piece in lines), (width, lines)
        marked = [piece for piece in lines if piece.endswith(CONTINUED)]
        assert marked, (width, lines)  # the name is longer than any of these lines
        assert "".join(p.removesuffix(CONTINUED) for p in lines).replace(" ", "") == line.replace(
            " ", ""
        )
    # a line of words broken at its spaces, and a name that fits, get no mark
    assert not any(p.endswith(CONTINUED) for p in wrap(CODE_LINE, 40))
    assert wrap("training_data_loader_with_augmentation", 38) == [
        "training_data_loader_with_augmentation"
    ]


@pytest.mark.parametrize(
    ("line", "formula"),
    [
        ("active ReLUs pass the gradient unchanged; an inactive one (z <= 0) passes 0", "(z <= 0)"),
        (
            "the rule is W_new = W_old - eta * (dL/dW_old) for every weight",
            "W_new = W_old - eta * (dL/dW_old)",
        ),
        ("so dL/dz = y_hat - y (bce-19) tends to -1 as y_hat -> 0 here", "y_hat -> 0"),
    ],
)
def test_an_operator_spelled_in_ascii_still_binds_its_formula(line: str, formula: str) -> None:
    """vgp-7's worked step in `study` at 40 columns with LC_ALL=C: `(z <=` / `0) passes 0`.
    The text is spelled before it is wrapped, and `<=`, `->` or a minus written `-` were not
    operators to the wrap, so a formula was cut at them as prose is."""
    for width in range(len(formula) + 2, len(line)):
        assert any(formula in piece for piece in wrap(line, width)), (width, wrap(line, width))


def test_a_times_sign_in_ascii_is_a_star_and_keeps_its_power_of_ten() -> None:
    """Cards in ASCII at 40 columns: `max |difference| = 1.388 x` / `10^-5`, `(2 x` / `1e-6)`
    and `derivatives 0.5 x 0.5 x` ... : × was spelled `x`, which a wrap took for a word (and
    a reader for the variable x: `w x 0.7`). It is `*`, an operator, and a power of ten stays
    with its mantissa as it does in Unicode."""
    from dlcards.stdio import spelled_pieces

    step = "".join(spelled_pieces("max |difference| = 1.388 × 10⁻⁵, B × K"))
    assert step == "max |difference| = 1.388 * 10^-5, B * K"
    for width in range(16, 60):
        lines = wrap(f"the check: {step} here", width)
        assert any("1.388 * 10^-5" in line for line in lines), (width, lines)
        assert not any(line.rstrip().endswith("*") for line in lines), (width, lines)


def test_a_point_in_brackets_is_kept_on_one_line() -> None:
    """robust-i8's note at 60 columns: `adding the outlier (3,` / `100), at the mean`: a
    bracket of numbers after a space (a point, not a call) was prose to the wrap, where
    `[−1, 1]` is a formula."""
    line = "The points (1, 1), …, (5, 5) lie on y = x: adding the outlier (3, 100), at the mean"
    for width in range(12, len(line)):
        lines = wrap(line, width)
        assert all(p in " ".join(lines) for p in ("(1, 1),", "(5, 5)", "(3, 100),")), lines
        assert any("(3, 100)" in piece for piece in lines), (width, lines)
    # a bracket of words is still prose, broken between them
    assert wrap("see (the hat matrix of the fit)", 16) == ["see (the hat", "matrix of the", "fit)"]


def test_a_space_the_ascii_spelling_writes_is_no_place_to_break(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """mlp-12's note in `show` under LC_ALL=C at 60 columns: `Z_new = W_1 P_1 + W_2` /
    `P_2 + B_new`. W₂P₂ is one word; spelled `W_2 P_2`, the space written between the
    subscript and the next letter was a word break to the wrap. It binds as the text did,
    and the spaces the text has still break."""
    import helpers as h
    from rich.panel import Panel

    from dlcards.console import out
    from dlcards.render import to_rich

    note = "the weighted sum Z_new = W₁P₁ + W₂P₂ + B_new (mlp-11), and x²y grows with y"
    for width in range(30, 90):
        with h.ascii_terminal(monkeypatch, width) as raw:
            out().print(Panel(to_rich(note)))  # laid out as a card's text is, spelled first
        lines = [line[2:-2].rstrip() for line in raw.getvalue().decode("ascii").splitlines()]
        assert all(len(line) <= width - 4 for line in lines), (width, lines)
        joined = "\n".join(lines)
        for word in ("W_1 P_1", "W_2 P_2", "x^2 y"):
            assert word in joined, (width, word, lines)
        if width < 50:  # the prose still breaks where its spaces are
            assert len(lines) > 4, (width, lines)


def test_a_big_operator_spelled_in_ascii_keeps_its_operand() -> None:
    """cce-26's note in `quiz` with LC_ALL=C at 40 columns: `(log` / `sum_j e^z_j)` kept,
    but at other widths `sum_j` / `e^z_j`: a big operator's head binds the operand after it
    (`Σⱼ e^(zⱼ)`), and spelled `sum_j` it was a word like any other."""
    line = "the loss takes the log-softmax over all K of them (log sum_j e^z_j), and L_BGD"
    gd8 = "the loss used is the average loss over all points: L_BGD = (1/N) sum_(i=1)^N L_i"
    for width in range(16, len(gd8)):
        assert any("sum_j e^z_j" in piece for piece in wrap(line, width)), width
        assert any("sum_(i=1)^N L_i" in piece for piece in wrap(gd8, width)), width
    # the word "sum" is prose
    assert wrap("the sum of all the terms", 10) == ["the sum of", "all the", "terms"]


def test_a_piece_with_no_space_is_folded_in_work_linear_in_its_length(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Folding a piece with no space between its tokens measured it from each cut to its
    end, once per line: 100,000 characters with no space took 9.6 s to wrap at 40 columns.
    The characters measured, over all the lines, grow as the piece does."""
    from dlcards import flow

    measured: list[int] = []
    chop = flow.chop_cells

    def counted(text: str, width: int) -> list[str]:
        measured.append(len(text))
        return chop(text, width)

    monkeypatch.setattr(flow, "chop_cells", counted)

    def work(n: int) -> int:
        measured.clear()
        lines = flow.fold("torch.nn." * n, 40)
        assert "".join(lines) == "torch.nn." * n
        return sum(measured)

    short, long = work(500), work(5000)
    assert long < 12 * short, (short, long)


def test_clip_in_an_ascii_terminal_measures_as_spelled(monkeypatch: pytest.MonkeyPatch) -> None:
    """Under LC_ALL=C at 60 columns `dlcards list --topic mlp` showed `(Math/Logic) Given P_1
    and P_2..`: clip fitted the question to its room with P₁ and P₂ one cell each, the
    terminal printed them `P_1` and `P_2`, and the row, too long by two, lost the end of its
    cut mark. Measured as the terminal shows it, the cut text fits, mark and all."""
    import helpers as h

    from dlcards.console import as_shown

    line = "(Math/Logic) Given P₁ and P₂ are outputs from Layer 1, what is the input?"
    with h.ascii_terminal(monkeypatch, 60):
        for width in range(12, 40):
            shown = as_shown(clip(line, width))
            assert len(shown) <= width and shown.endswith("..."), (width, shown)
