"""`dlcards show`'s card panel written without importing rich, byte for byte as rich writes it.

Importing rich's console, tables and panels takes about as long as the rest of `dlcards show`.
The panel `dlcards.view.card_panel` makes is simple to lay out: a rounded border with a title
and a subtitle, padding, and blocks (`view.Styled` texts and two-column `view.Grid`s) wrapped
by `dlcards.flow` or rich's word wrap. `write` lays the same blocks out as rich does (the
grid's column widths as rich's Table measures and collapses them, a table cell's lines padded
inside their Text, every span boundary a segment of its own) and writes them through the
decisions `dlcards.lite.Screen` makes as rich does. Whatever it cannot lay out exactly as rich
would (a character that is not one cell wide, a tab, a console narrower than MIN_WIDTH, an
encoding other than UTF-8, a style `lite` does not know) it leaves to rich: `write` returns
False and writes nothing. tests/test_litecard.py compares the bytes with rich's for every
card, at many widths, in every environment rich tells apart.
"""

from __future__ import annotations

import re
import sys

from dlcards import flow, lite
from dlcards.render import Span
from dlcards.view import Block, Grid, Styled, panel_title, phrases, shorten

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing
if TYPE_CHECKING:
    from collections.abc import Sequence

#: Narrower consoles go to rich (whose tables then squeeze columns below their marks).
MIN_WIDTH = 20

Segments = list[tuple[str, str]]  # (text, style) as rich's Segment; style "" for none

_EMOJI_LIKE = re.compile(r":\S")  # the start of what rich's markup may read as an :emoji:
_ATTRIBUTE_ORDER = ("bold", "dim", "italic", "underline")


def _combine(styles: Sequence[str]) -> str:
    """rich's Style.combine of these styles (later colours win, attributes add up), spelled as
    a style `lite.codes` reads; the math mark adds nothing."""
    attributes: set[str] = set()
    color = ""
    for style in styles:
        for word in style.split():
            if word in _ATTRIBUTE_ORDER:
                attributes.add(word)
            elif word != flow.MATH_META:
                color = word
    words = [a for a in _ATTRIBUTE_ORDER if a in attributes]
    return " ".join([*words, color] if color else words)


def _segments(plain: str, spans: Sequence[Span], style: str) -> Segments:
    """One line of a Text as rich's Text.render cuts it: a segment between every two span
    boundaries, styled by the text's own style and the spans over it, in their order."""
    own = [(0, len(plain), style)] if style and plain else []
    every: list[tuple[int, int, str]] = own + [(a, b, s) for a, b, s in spans]
    cuts = sorted({0, len(plain), *(s[0] for s in every), *(s[1] for s in every)})
    out: Segments = []
    for a, b in zip(cuts, cuts[1:], strict=False):
        if b > a:
            over = [s[2] for s in every if s[0] <= a and b <= s[1]]
            out.append((plain[a:b], _combine(over)))
    return out


def _clip(spans: Sequence[Span], start: int, end: int) -> list[Span]:
    """The spans over `start:end`, moved to start at 0 (rich's Text.divide)."""
    out = []
    for a, b, style in spans:
        lo, hi = max(0, a - start), min(b - start, end - start)
        if hi > lo:
            out.append(Span(lo, hi, style))
    return out


def _divide(spans: Sequence[Span], ranges: Sequence[tuple[int, int]]) -> list[list[Span]]:
    """`_clip(spans, start, end)` for each of `ranges` (in order, none overlapping), each span
    looked at only for the ranges it reaches, as rich's Text.divide does (clipping every span
    for every line made a card of 2,000 formulas on one line take a second)."""
    from bisect import bisect_right

    ends = [end for _, end in ranges]
    out: list[list[Span]] = [[] for _ in ranges]
    for a, b, style in spans:
        k = bisect_right(ends, a)  # the first range ending after the span starts
        while k < len(ranges) and ranges[k][0] < b:
            start, end = ranges[k]
            lo, hi = max(0, a - start), min(b - start, end - start)
            if hi > lo:
                out[k].append(Span(lo, hi, style))
            k += 1
    return out


def _wrap(text: Styled, width: int, pad: bool) -> list[Segments] | None:
    """`text` wrapped at `width` as rich's Text (or dlcards.flow's FlowText) wraps it: each
    line cut where the rule says, spaces past the edge dropped; `pad`: justified "left" (a
    table cell), each line padded inside the Text to `width`, so its own style covers the
    padding too."""
    if "\t" in text.plain:
        return None  # rich expands tabs first
    lines: list[Segments] = []
    paragraphs = text.plain.split("\n")
    bounds, offset = [], 0
    for line in paragraphs:
        bounds.append((offset, offset + len(line)))
        offset += len(line) + 1
    for line, spans in zip(paragraphs, _divide(text.spans, bounds), strict=True):
        indent = 0
        if text.flow:
            math = [(a, b) for a, b, style in spans if style == flow.MATH_META]
            indent = flow.hang(line, width)
            cuts = flow.breaks(line, width, math, indent)
        else:
            cuts = lite.breaks(line, width)
        pieces = list(zip([0, *cuts], [*cuts, len(line)], strict=True))
        for (a, b), kept in zip(pieces, _divide(spans, pieces), strict=True):
            piece = line[a:b]
            if text.flow and flow.continues(line, b, width - indent):  # as FlowText marks it
                piece += flow.CONTINUED
            if a and indent:  # a list item's further lines, past its bullet (rich's pad_left)
                piece, kept = (
                    " " * indent + piece,
                    [Span(x + indent, y + indent, st) for x, y, st in kept],
                )
            if len(piece) > width:  # rich's rstrip_end, then truncate
                spaces = len(piece) - len(piece.rstrip(" "))
                cut = len(piece) - min(spaces, len(piece) - width)
                piece, kept = piece[:cut], _clip(kept, 0, cut)
            if len(piece) > width:
                piece, kept = piece[:width], _clip(kept, 0, width)
            if pad:
                piece += " " * (width - len(piece))
            lines.append(_segments(piece, kept, text.style))
    return lines


def _measure(text: Styled, width: int) -> int:
    """The maximum of rich's Measurement.get for `text` (a Text or FlowText) at `width`: its
    widest line, at most `width`; 0 when that is under one cell. (Its minimum, the widest
    word or formula, decides nothing in a grid that does not expand.)"""
    high = min(max(len(line) for line in text.plain.split("\n")), width)
    return high if high >= 1 else 0


def _grid(grid: Grid, width: int) -> list[Segments] | None:
    """A Grid as rich's Table.grid lays it out in `width` cells."""
    if grid.first is not None:
        if grid.gap:
            return None  # rich counts the padding of a fixed column differently
        first = min(grid.first, width)
    else:
        inner = width - grid.gap
        marks = [_measure(mark, inner) + grid.gap for mark, _ in grid.rows] if inner >= 1 else []
        first = min(max(marks, default=width), width) or 1
    second = min(max((_measure(text, width) for _, text in grid.rows), default=width), width) or 1
    if first + second > width:
        second -= first + second - width  # rich collapses the one column that wraps
        if second < 1:
            return None  # rich then squeezes the marks too
    lines: list[Segments] = []
    for mark, text in grid.rows:
        if mark.flow or "\n" in mark.plain or len(mark.plain) > first - grid.gap:
            return None
        left = _wrap(mark, first - grid.gap, pad=True)
        right = _wrap(text, second, pad=True)
        if left is None or right is None:
            return None
        gap = [(" " * grid.gap, "")] if grid.gap else []
        left = [segments + gap for segments in left]
        left += [[(" " * first, "")]] * (len(right) - len(left))
        lines += [a + b for a, b in zip(left, right, strict=False)]
    return lines


def _block(block: Block, width: int) -> list[Segments] | None:
    if isinstance(block, Grid):
        return _grid(block, width)
    return _wrap(block, width, pad=False)


def panel(
    width: int,
    card_id: str,
    topic: str,
    tags: str,
    subtitle: str,
    blocks: Sequence[Block],
    padding: tuple[int, int] = (1, 2),
) -> list[Segments] | None:
    """The lines of `view.card_panel` at `width` columns (view.FittedPanel in rich's Panel),
    or None when rich must lay it out."""
    if width < MIN_WIDTH:
        return None
    room = width - 6
    title = f" {panel_title(card_id, topic, tags, room)} "
    if len(title) > width - 4:
        return None  # an id wider than the border: rich crops it
    below = shorten(subtitle, room, keep_last=True)
    vertical, horizontal = padding
    inner = width - 2 - 2 * horizontal
    body: list[Segments] = []
    for block in blocks:
        lines = _block(block, inner)
        if lines is None:
            return None
        for line in lines:
            used = sum(len(text) for text, _ in line)
            if used > inner:
                return None
            body.append([(" " * horizontal, ""), *line, (" " * (inner - used + horizontal), "")])
    blank: Segments = [(" " * (width - 2), "")]
    top: Segments = [("╭─", ""), (title, "bold"), ("─" * (width - 4 - len(title)) + "─╮", "")]
    if below:
        below = f" {below} "
        bottom = [("╰─" + "─" * (width - 4 - len(below)), ""), (below, "dim"), ("─╯", "")]
    else:
        bottom = [("╰" + "─" * (width - 2) + "╯", "")]
    framed = [blank] * vertical + body + [blank] * vertical
    return [top, *([("│", ""), *line, ("│", "")] for line in framed), bottom]


def _simple(text: str) -> bool:
    """Every character one cell wide to rich and printable, and no space but " "."""
    from rich.cells import get_character_cell_size

    return all(
        ch == " " or (ch.isprintable() and not ch.isspace() and get_character_cell_size(ch) == 1)
        for ch in set(text)
    )


def _texts(blocks: Sequence[Block]) -> list[str]:
    out: list[str] = []
    for block in blocks:
        if isinstance(block, Grid):
            out += [cell.plain for row in block.rows for cell in row]
        else:
            out.append(block.plain)
    return out


def write(
    card_id: str,
    topic: str,
    tags: str,
    subtitle: str,
    blocks: Sequence[Block],
    after: Sequence[str],
    after_style: str,
) -> bool:
    """Write the card panel, then the phrases `after` in lines of the width (`view.phrases`,
    each a Text of style `after_style`), to stdout as `console.out().print` would; False,
    writing nothing, when rich must."""
    screen = lite.Screen.detect()
    encoding = (getattr(sys.stdout, "encoding", None) or "utf-8").lower()
    if screen is None or not encoding.startswith("utf"):
        return False  # rich draws the border in ASCII where the encoding is not UTF
    below = phrases(after, screen.width)
    said = "".join(below)
    lines = "".join([card_id, topic, tags, subtitle, said])  # each one line
    texts = "".join(_texts(blocks)).replace("\n", "")  # lines of text, wrapped one by one
    if not _simple(lines + texts) or "[" in said or _EMOJI_LIKE.search(said):
        return False  # `after` is printed as markup, where [ and :name: mean something
    drawn = panel(screen.width, card_id, topic, tags, subtitle, blocks)
    if drawn is None:
        return False
    for line in below:
        drawn += [list(pieces) for pieces in lite.wrap([(line, after_style)], screen.width)]
    text = screen.emit(drawn)
    if text is None:
        return False
    lite.put(text)
    return True
