"""Where a line of text may break, so that a formula is never split at a space inside it.

A pure core: strings and offsets in, offsets out. :mod:`dlcards.flowtext` makes a rich Text
that wraps by it, and :mod:`dlcards.lite` lays out a card with it without importing rich.

The rule, for one line of text at a width of ``width`` cells:

* A *formula* is kept on one line when it fits in ``width``. Its spaces are those inside a
  LaTeX math span (the ``math`` ranges, from :mod:`dlcards.render`), those inside square or
  curly brackets or a parenthesis attached to what precedes it (``f(x + h)``, ``e^(z − m)``),
  and those on either side of an operator standing alone (``η = 1``, ``… − 4 = 0``) or after a
  big operator (``Σⱼ e^z``). Every other space is a word break, as in prose.
* A formula longer than the whole line may break, and only at its top-level operator or comma
  boundaries: before a standalone ``=``, ``+``, ``−``, ``/``, ... and after a ``,``; at its
  relations (``=``, ``≤``, ``→``, ...) first, then inside a side still too long. With no
  such boundary at its top level, it breaks between its top-level terms (``Σ_(i ∈ M) −yᵢ``
  after ``M)``, never inside the subscript). If a piece is still too long, the same rule
  applies one bracket level deeper; a piece with no such boundary is folded (as rich folds a
  word longer than the line).
* An operator never ends a line, and only a formula's top-level relation or operator starts
  one (the break of a formula too long for any line).

The characters are never changed: the spaces printed are ordinary spaces, so a formula copied
from the terminal or piped output (``dlcards list | cat``) reads as the deck wrote it.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Sequence
from functools import lru_cache
from itertools import accumulate
from typing import NamedTuple

from rich.cells import cell_len, chop_cells

__all__ = [
    "BULLET",
    "CONTINUED",
    "MATH_META",
    "breaks",
    "clip",
    "continues",
    "fold",
    "hang",
    "min_width",
    "wrap",
]

#: The meta key (or, in dlcards.render's spans, the style) that marks a LaTeX math span.
MATH_META = "dlcards.math"

#: Operators that, standing alone between spaces, bind their neighbours into a formula; a
#: formula too long for a line may break before one of them.
OPERATORS = frozenset(
    "= + − × / · ÷ ± ∓ ≈ ≤ ≥ < > ≠ ≡ ∝ ∼ → ← ↔ ⇒ ⇐ ⇔ ↦ ∈ ∉ ⊂ ⊆ ∪ ∩ ∧ ∨ := ∗ *".split()
) | frozenset(
    # as code writes them, and as an ASCII terminal gets the symbols (`dlcards.stdio`): the
    # text is spelled before it is wrapped, and `(z <= 0)` was cut as `(z <=` / `0)`
    "- <= >= != ~= == -> <- => <= <=> <== ==> --> <-- |-> +/- -/+".split()
)
#: The operators a formula too long for a line is cut before first: its sides stay whole
#: where they fit (`σ(0) = 1 / (1 + e^(0))` / `= 0.5`, not `… = 1` / `/ (1 + 1) = 0.5`).
RELATIONS = frozenset("= ≈ ≤ ≥ < > ≠ ≡ ∝ ∼ → ← ↔ ⇒ ⇐ ⇔ ↦ := ∈ ∉ ⊂ ⊆".split()) | frozenset(
    "<= >= != ~= == -> <- => <=> <== ==> --> <-- |->".split()
)
#: Big operators whose subscripted head binds to the operand after it: `Σⱼ e^(zⱼ)`.
_BIG = "ΣΠ∑∏∫∮"
_OPEN, _CLOSE = "([{", ")]}"

Range = tuple[int, int]


class Space(NamedTuple):
    """A run of spaces `start:end` in a line: a word break (`formula` False), or inside a
    formula, where `soft` marks a top-level boundary at bracket `depth`."""

    start: int
    end: int
    formula: bool
    soft: bool
    depth: int


#: The power of ten of a number in scientific notation as dlcards writes one (`9.537 × 10⁻⁷`,
#: `dlcards.engine.fmt`): a formula is never cut before its ×.
_POWER_OF_TEN = re.compile(r"10(?:[⁺⁻]?[⁰¹²³⁴⁵⁶⁷⁸⁹]+|\^[+-]?[0-9]+)")  # and ASCII's 10^-7

#: What `spaces` looks at: an opening or a closing bracket, or a run of spaces.
_STOPS = re.compile(r"[(\[{]|[)\]}]| +")


def spaces(line: str, math: Sequence[Range] = ()) -> list[Space]:
    """Classify each run of spaces of `line` (see the module docstring)."""
    out: list[Space] = []
    stack: list[bool] = []  # for each open bracket: does it hold a formula?
    n = len(line)
    reach = _Reach(math)
    for found in _STOPS.finditer(line):
        i = found.start()
        ch = line[i]
        if ch in _OPEN:
            attached = i > 0 and not line[i - 1].isspace()
            stack.append(ch != "(" or attached or reach.inside(i) or _numbers(line, i))
            continue
        if ch != " ":  # a closing bracket
            if stack:
                stack.pop()
            continue
        j = found.end()
        if i == 0 or j == n:  # indentation, trailing spaces: not between two tokens
            continue
        before = line[line.rfind(" ", 0, i) + 1 : i]
        after_end = line.find(" ", j)
        after = line[j : n if after_end < 0 else after_end]
        in_math = reach.around(i, j)
        operator = before in OPERATORS or after in OPERATORS
        big = _big_head(before)
        formula = in_math or True in stack or operator or big
        soft = (
            formula
            and before not in OPERATORS
            and (after in OPERATORS or before.endswith((",", ";")))
            # `3.355 × 10⁻⁴` is one number: cut before its ×, `3.355` ended a line
            and not (after in "×*" and _POWER_OF_TEN.match(line, j + 2) is not None)
        )
        out.append(Space(i, j, formula, soft, len(stack)))
    return out


#: A bracket of numbers: a point or a vector, `(3, 100)`, `(−0.5, 2)`.
_NUMBERS = re.compile(r"\([ \d.,+\-−]*\d[ \d.,+\-−]*\)")


def _numbers(line: str, i: int) -> bool:
    """Whether the bracket opening at `i` holds numbers only (a point or a vector): a
    formula, kept on one line like `[−1, 1]` (robust-i8's `(3,` / `100)` was cut)."""
    return _NUMBERS.match(line, i) is not None


def _big_head(word: str) -> bool:
    """Whether `word` is a big operator's head, bound to the operand after it: the operator
    and its subscript (`Σⱼ`, `Σ_i`), or a product ending in it (`(1/N)·Σ Lᵢ`, whose `Lᵢ`
    a calc step at 40 columns put on a line of its own); also as an ASCII terminal gets it
    spelled (`sum_j`, `sum_(i=1)^N`, `(1/N)*sum`: `(log sum_j` / `e^z_j)` was cut)."""
    if (word[:1] in _BIG and len(word) <= 6) or word[-1:] in _BIG:
        return True
    return _ASCII_BIG.fullmatch(word) is not None


#: A big operator's head as `dlcards.stdio` spells it: with its scripts, or ending a
#: product (`(1/N)*sum`); the word `sum` alone is prose.
_ASCII_BIG = re.compile(r"(?:sum|prod|int|oint)[_^]\S{1,14}|\S*[*)](?:sum|prod)")


class _Reach:
    """Which math ranges cover a position, each asked in O(log m) for m ranges (asking every
    range at each space of a line made a card of 2,000 inline formulas take seconds): the
    ranges by start, and the furthest end among those starting up to each."""

    def __init__(self, math: Sequence[Range]) -> None:
        ordered = sorted(math)
        self.starts = [start for start, _ in ordered]
        self.ends = list(accumulate((end for _, end in ordered), max))

    def inside(self, position: int) -> bool:
        """Whether a range holds `position`: start <= position < end."""
        k = bisect_right(self.starts, position)
        return k > 0 and self.ends[k - 1] > position

    def around(self, start: int, end: int) -> bool:
        """Whether a range holds `start:end` with a character on each side of it inside:
        range start < start and end < range end."""
        k = bisect_left(self.starts, start)
        return k > 0 and self.ends[k - 1] > end


def _width(line: str, start: int, end: int) -> int:
    return cell_len(line[start:end].rstrip(" "))


def _pieces(
    line: str, runs: list[Space], start: int, end: int, width: int, relations: bool = False
) -> list[Range]:
    """The formula `line[start:end]` (`runs`: its spaces, in order) cut at its top-level
    boundaries while wider than `width` (`_cut`), each piece again while it is: the pieces in
    order. A loop over the pieces left to cut, not a call per bracket level (a formula nested
    1,200 brackets deep ended `show` with a RecursionError)."""
    out: list[Range] = []
    todo = [(runs, start, end)]  # the pieces left, the next one last
    while todo:
        runs, start, end = todo.pop()
        cut = _cut(line, runs, start, end, width, relations)
        if cut is None:
            out.append((start, end))
        else:
            todo += reversed(cut)
    return out


def _cut(
    line: str, runs: list[Space], start: int, end: int, width: int, relations: bool
) -> list[tuple[list[Space], int, int]] | None:
    """The formula `line[start:end]` cut once, if wider than `width`, at its top-level
    boundaries: before its operators at the shallowest bracket depth of its spaces; when none
    stands at that depth, between its terms there (`Σ_(i ∈ M) −yᵢ (wᵀ xᵢ + b)` breaks after
    `M)`, not inside the subscript); only then one bracket level deeper. `relations`: at its
    top-level relations (RELATIONS) alone first, when it has other boundaries there too; each
    side still too wide is then cut at those. The pieces with their own runs; None when the
    formula stays whole (it fits, or has no boundary to cut at)."""
    if _width(line, start, end) <= width:
        return None
    inner = [s for s in runs if s.formula and start < s.start and s.end < end]
    if not inner:
        return None
    top = min(s.depth for s in inner)
    cuts = [s for s in inner if s.soft and s.depth == top]
    if not cuts:
        cuts = [s for s in inner if s.depth == top and _between_terms(line, s)]
    if not cuts:
        depth = min((s.depth for s in inner if s.soft), default=None)
        cuts = [s for s in inner if s.soft and s.depth == depth]
    if not cuts:
        return None
    if relations:  # `a = b / c = d`: at `=` first, then inside a side at `/`
        at = [s for s in cuts if _word_after(line, s) in RELATIONS]
        cuts = at if at and len(at) < len(cuts) else cuts
    # Each piece gets its own runs, those between its cuts: a piece that looked through all
    # of `inner` made a formula of n terms cost n² (a 4,000-value vector in `calc`: 11 s).
    position = {run.start: k for k, run in enumerate(inner)}
    pieces = []
    first = 0  # inner[first]: the piece's first run
    for cut in cuts:
        k = position[cut.start]
        pieces.append((inner[first:k], start, cut.end))
        start, first = cut.end, k + 1
    pieces.append((inner[first:], start, end))
    return pieces


def _word_after(line: str, space: Space) -> str:
    after_end = line.find(" ", space.end)
    return line[space.end : len(line) if after_end < 0 else after_end]


def _between_terms(line: str, space: Space) -> bool:
    """A space inside a formula with a term on each side: not next to a standalone operator
    (which never ends a line and starts one only at its own boundary) nor after a big
    operator's head (`Σⱼ e^z` stays together)."""
    before = line[line.rfind(" ", 0, space.start) + 1 : space.start]
    after_end = line.find(" ", space.end)
    after = line[space.end : len(line) if after_end < 0 else after_end]
    if before in OPERATORS or after in OPERATORS:
        return False
    return not _big_head(before)


def atoms(
    line: str, width: int, math: Sequence[Range] = (), relations: bool = False
) -> list[Range]:
    """`line` as the pieces no wrap may split at `width`, each with its trailing spaces;
    `relations`: a formula too wide cut at its relations first (`_pieces`)."""
    prose = _prose_atoms(line, math)  # its words, found without classifying each space
    return _classified_atoms(line, width, math, relations) if prose is None else prose


def _classified_atoms(
    line: str, width: int, math: Sequence[Range], relations: bool = False
) -> list[Range]:
    """`atoms`, from each run of spaces classified (`spaces`)."""
    out: list[Range] = []
    start = 0
    inside: list[Space] = []  # the formula's runs since the last word break
    for run in [*spaces(line, math), Space(len(line), len(line), False, False, 0)]:
        if run.formula:
            inside.append(run)
            continue
        if run.end > start:  # `_pieces` cuts only at runs inside the piece: these
            out += _pieces(line, inside, start, run.end, width, relations)
        start = run.end
        inside = []
    return [(a, b) for a, b in out if b > a]


BULLET = "• "
"""The mark of a card's references (a list): see `hang`."""
_BULLETS = (BULLET, "- ", "* ")
CODE_HANG = 4
"""How much deeper than an indented line of code its further lines stand (`hang`)."""


def hang(line: str, width: int) -> int:
    """How far the lines after the first of `line`, cut at `width`, are indented: past the
    mark of a list item, so that its further lines stand under its text, when that leaves a
    line room for a few cells; else not at all. The mark, after any spaces: a bullet (•, -
    or *) or a number of up to three digits with "." or ")", then a space and the item's
    text (no regular expression: this runs on every command that shows a card). A code
    block's indent is no-break spaces (`markup`, so that no wrap collapses it): a wrapped
    line of code went back to the block's left edge, out of its nesting; its further lines
    now stand CODE_HANG deeper than it, as a continuation line is written (under it, they
    read as statements of their own: `+ weight_decay`)."""
    start = len(line) - len(line.lstrip(" \xa0"))
    head = line[start : start + 5]
    if head[:2] in _BULLETS:
        end = start + 2
    else:
        digits = len(head) - len(head.lstrip("0123456789"))
        if not 1 <= digits <= 3 or head[digits : digits + 2] not in (". ", ") "):
            if 0 < start < len(line) and line[start - 1] == "\xa0":  # a line of code
                deeper = start + CODE_HANG
                if width >= 4 * deeper:
                    return deeper
            # an indented line (display math has DISPLAY_INDENT): its further lines stand
            # under it, not back at the text's left edge (a formula cut at 30 columns)
            return start if 0 < start < len(line) and width >= 4 * start else 0
        end = start + digits + 2
    if end >= len(line) or line[end].isspace():
        return 0  # a mark with no text after it
    return end if width >= 4 * end else 0


#: Lines up to this long have their narrowest width (`min_width`, 4,096 lines) and their
#: breaks at a width (`breaks`, 2,048) kept (`lru_cache`): rich measures a cell more than once
#: as it lays out a grid or a panel, and every measurement classified each line of it again
#: (a built-in card's panel: each line measured ~2.1 times); a screen drawn again (a key, a
#: resize) wraps the same lines at the same width. A longer line is laid out each time (a
#: key would keep a megabyte line alive).
CACHED_LINE = 10_000


def breaks(line: str, width: int, math: Sequence[Range] = (), indent: int = 0) -> list[int]:
    """Offsets at which `line` (one line, no newline) is cut to fit in `width` cells; the
    pieces after the first in `width - indent` (`hang`: they are printed indented). A
    formula too wide for a line is cut at its relations first (`σ(0) = 1 / (1 + e^(0))` /
    `= 0.5`, where a cut at any operator gave `… = 1` / `/ (1 + 1) = 0.5`), unless that
    takes more lines than cutting it at any of its operators. Kept for lines up to
    CACHED_LINE long, as `min_width` is: a screen drawn again wraps the same lines."""
    if len(line) <= CACHED_LINE:
        return list(_breaks_cached(line, width, tuple(math), indent))
    return _line_breaks(line, width, math, indent)


@lru_cache(maxsize=2048)
def _breaks_cached(line: str, width: int, math: tuple[Range, ...], indent: int) -> tuple[int, ...]:
    return tuple(_line_breaks(line, width, math, indent))


def _line_breaks(line: str, width: int, math: Sequence[Range], indent: int) -> list[int]:
    pieces = atoms(line, width - indent, math)
    heads = {line[a:b].split(" ", 1)[0] for a, b in pieces[1:]}  # a formula cut: at what
    if heads & RELATIONS and heads & (OPERATORS - RELATIONS):
        coarse = atoms(line, width - indent, math, relations=True)
        if coarse != pieces:
            fine, whole = _breaks(line, width, indent, pieces), _breaks(line, width, indent, coarse)
            return whole if len(whole) <= len(fine) else fine
    return _breaks(line, width, indent, pieces)


def _breaks(line: str, width: int, indent: int, pieces: list[Range]) -> list[int]:
    """`breaks`, for `line` as these atoms."""
    offsets: list[int] = []
    column = 0
    room = width  # of the line being filled
    for start, end in pieces:
        word = line[start:end]
        length = cell_len(word.rstrip(" "))
        if column + length <= room:
            column += cell_len(word)
            continue
        if column and start:
            offsets.append(start)
            column = 0
            room = width - indent
        if length <= room:
            column = cell_len(word)
            continue
        position = start  # a piece wider than any line: fold it, between its tokens
        room = width - indent  # the first piece may be the first line's: not a list item's
        for last, chunk in _loop_last(fold(word, room)):
            if position:
                if not offsets or offsets[-1] != position:
                    offsets.append(position)
            if last:
                column = cell_len(chunk)
            else:
                position += len(chunk)
    return offsets


#: What never starts a line of a piece folded: a closing bracket or punctuation that ends
#: what is before it (`model(inputs` / `),` read as a new statement).
_CLOSERS = frozenset(")]},;:")


def fold(word: str, room: int) -> list[str]:
    """`word` (a piece with no break inside it: a long identifier path, a call, a URL, a
    formula with no boundary) in chunks of at most `room` cells, each cut at the last token
    boundary that fits: after a character that is not part of a name (a letter, digit or
    `_`) or before one, never before a closing bracket or punctuation, between a quote and
    the name it opens or closes, beside one of its spaces (they bind: `= 5`) nor before a
    character of no width (a combining mark).
    rich's fold (`chop_cells`) cut at the last cell: `torch.optim.SGD(model.paramete` /
    `rs(), lr=…` at 40 columns. Only a name longer than the line is still cut inside (no
    boundary there), a cell short of the line: the layout ends that line with CONTINUED
    (`continues`). The trailing spaces stay with the last chunk."""
    chunks: list[str] = []
    start, end = 0, len(word.rstrip(" "))
    while room > 0 and start < end:
        # what fits, measured in a window past the line's width, not the whole rest (a
        # megabyte with no space took a pass over the rest for each of its lines)
        window = word[start : min(end, start + 2 * room + 16)]
        fits = len(chop_cells(window, room)[0])
        if fits == len(window) and start + fits < end:  # characters of no width: the rest
            window = word[start:end]
            fits = len(chop_cells(window, room)[0])
        if start + fits >= end:
            break
        fits = max(fits, 1)  # a wide character on a line of one cell
        piece = word[start : start + fits + 1]  # what fits and the character after it
        cut = _token_cut(piece, fits)
        if continues(piece, cut, room):  # a cell for the mark
            cut = max(len(chop_cells(window, room - 1)[0]), 1)
        chunks.append(word[start : start + cut])
        start += cut
    return [*chunks, word[start:]]


CONTINUED = "\\"
"""The mark that ends a line cut inside a name (a name longer than the line: no token
boundary to cut at), as a terminal editor marks a continued line: the name is never split
without a word (`training_data_loader_with_augmen` / `tation`). ASCII: one cell in any
terminal, and what a line continued in code ends with."""


def continues(line: str, cut: int, room: int) -> bool:
    """Whether a break of `line` at `cut` falls inside a name of ASCII letters, digits and
    `_` (a line of words broken at a space never does; a word of CJK, which breaks between
    any two of its characters, neither): the line before it then ends in CONTINUED. `room`:
    the cells of a line after the first (`fold`'s), which has room for the mark from 2."""
    if room < 2 or not 0 < cut < len(line):
        return False
    before, after = line[cut - 1], line[cut]
    return before.isascii() and after.isascii() and _in_name(before) and _in_name(after)


def _in_name(ch: str) -> bool:
    return ch.isalnum() or ch == "_"


#: A quote is one of a name's ends: a cut between it and the name left `loss='` or `',`
#: alone (`SGDClassifier(loss='perceptron` / `',` at 40 columns).
_QUOTES = frozenset("'\"`‘’“”")

#: After these a piece folds best: what follows is an argument or an item of its own.
_OPENERS = frozenset("([{,;")


def _token_cut(word: str, fits: int) -> int:
    """Where to cut `word`, whose first `fits` characters fit on the line (see `fold`): at
    the last boundary after an opening bracket or a comma in the line's second half (a
    call's argument whole: `CrossEntropyLoss(` / `label_smoothing=0.1)`, not
    `CrossEntropyLoss(label_smoothing` / `=0.1)`), else at the last boundary."""
    anywhere = last = 0
    for cut in range(fits, 0, -1):
        after = word[cut]
        if cell_len(after) == 0 and not after.isspace():
            continue  # a combining mark stays with its letter
        anywhere = anywhere or cut
        if _in_name(word[cut - 1]) and _in_name(after):
            continue
        if word[cut - 1] == " " or after == " ":
            continue  # a space inside a piece binds (`= 5`): an operator never ends a line
        if after in _CLOSERS:
            continue
        if (word[cut - 1] in _QUOTES and _in_name(after)) or (
            _in_name(word[cut - 1]) and after in _QUOTES
        ):
            continue  # a quote stays with the name it opens or closes
        if word[cut - 1] in _OPENERS:
            return cut if 2 * cut >= fits or not last else last
        last = last or cut
    return last or anywhere or fits


def _loop_last(items: list[str]) -> list[tuple[bool, str]]:
    return [(index == len(items) - 1, item) for index, item in enumerate(items)]


def wrap(text: str, width: int) -> list[str]:
    """`text` (plain, possibly several lines) wrapped to `width` cells by the rule above, a
    list item's further lines indented past its bullet."""
    lines: list[str] = []
    for line in text.split("\n"):
        indent = hang(line, width)
        cuts = [0, *breaks(line, width, indent=indent), len(line)]
        pieces = [
            line[a:b].rstrip(" ") + (CONTINUED if continues(line, b, width - indent) else "")
            for a, b in zip(cuts, cuts[1:], strict=False)
        ]
        lines += [pieces[0], *(" " * indent + piece for piece in pieces[1:])]
    return lines


def clip(line: str, width: int, math: Sequence[Range] = ()) -> str:
    """`line` in at most `width` cells: whole if it fits, else cut with `…` between the pieces
    of :func:`atoms` (never inside a formula that fits), or folded when not even one fits.
    Measured as standard output shows it: under LC_ALL=C `P₁` is `P_1`, and a question cut
    to its room with P₁ one cell overran its row, which lost the end of its `...`."""
    measure = _shown_cells()
    if measure(line) <= width:
        return line
    from dlcards.stdio import cut_mark

    mark = cut_mark()  # `...` where standard output cannot show `…`, measured as shown
    size = len(mark)
    kept, used = "", 0  # used: measure(kept)
    for start, end in atoms(line, width - size, math):
        piece = line[start:end]
        body = piece.rstrip(" ")
        # measure((kept + piece).rstrip(" ") + mark), without measuring `kept` again: an atom
        # is a word or formula and its trailing spaces (one of spaces only strips into kept)
        shown = used + measure(body) + size if body else measure(kept.rstrip(" ")) + size
        if shown > width:
            break
        kept += piece
        used += measure(piece)
    kept = kept.rstrip(" ,;:")
    if not kept:
        return chop_cells(line, width - size)[0] + mark if width > size else mark[:width]
    return kept + mark


def _shown_cells() -> Callable[[str], int]:
    """The cells a text takes on standard output: rich's cell_len where it shows UTF-8, else
    the cells of the text as spelled there (`console.as_shown`: σ as sigma, P₁ as P_1)."""
    from dlcards.stdio import stdout_encoding

    if stdout_encoding().startswith("utf"):
        return cell_len
    from dlcards.console import as_shown

    return lambda text: cell_len(as_shown(text))


def _prose_atoms(line: str, math: Sequence[Range]) -> list[Range] | None:
    """`atoms` of a line in which no run of spaces can be inside a formula (no math range, no
    bracket, no operator or big operator among its words, no leading space): its words, each
    with its trailing spaces, found without classifying every run (`spaces`); None for any
    other line (most lines of a card are prose: this is most of wrapping one)."""
    if math or not line or line[0] == " " or any(ch in _OPEN for ch in line):
        return None
    words = line.split(" ")
    if any(w in OPERATORS or _big_head(w) for w in words):
        return None
    return [match.span() for match in _WORD.finditer(line)]


_WORD = re.compile(r"[^ ]+ *")


def min_width(line: str, math: Sequence[Range] = ()) -> int:
    """The narrowest width at which no piece of `line` needs folding."""
    if len(line) <= CACHED_LINE:
        return _min_width_cached(line, tuple(math))
    return _min_width(line, math)


@lru_cache(maxsize=4096)
def _min_width_cached(line: str, math: tuple[Range, ...]) -> int:
    return _min_width(line, math)


def _min_width(line: str, math: Sequence[Range]) -> int:
    pieces = atoms(line, 0, math)
    return max((_width(line, a, b) for a, b in pieces), default=0)
