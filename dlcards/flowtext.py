"""Card text as a rich Text that wraps by :mod:`dlcards.flow`: a formula is kept on one line
when it fits."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rich.containers import Lines
from rich.style import Style
from rich.text import Span, Text

from dlcards.flow import CONTINUED, MATH_META, breaks, continues, hang, min_width

if TYPE_CHECKING:
    from collections.abc import Iterable

    from rich.console import (
        Console,
        ConsoleOptions,
        JustifyMethod,
        OverflowMethod,
        RenderResult,
    )
    from rich.measure import Measurement

    from dlcards.flow import Range

__all__ = [
    "MATH_MARK",
    "CardText",
    "FlowText",
    "flowing",
    "math_ranges",
    "one_line",
    "rich_spans",
    "settings",
]

#: The style of that mark: no colour or attribute, only the meta.
MATH_MARK = Style(meta={MATH_META: True})


class CardText(Text):
    """A piece of a card that does not flow (a mark, a computation's line): a card's text,
    which dlcards.console lays out as it is written, as FlowText."""


def math_ranges(text: Text) -> list[Range]:
    """Where `text` holds a LaTeX formula (the spans marked MATH_MARK)."""
    return [
        (span.start, span.end)
        for span in text.spans
        if isinstance(span.style, Style) and span.style.meta.get(MATH_META)
    ]


class FlowText(Text):
    """A Text that wraps by :func:`breaks`: its formulas are kept together."""

    def copy(self) -> Text:
        return flowing(super().copy())

    def __rich__(self) -> _Rendered:
        # console.print joins consecutive Texts into a new plain Text, which would lose this
        # wrapping: rich asks for __rich__ first, and gets a renderable that keeps it.
        return _Rendered(self)

    def wrap(
        self,
        console: Console,
        width: int,
        *,
        justify: JustifyMethod | None = None,
        overflow: OverflowMethod | None = None,
        tab_size: int = 8,
        no_wrap: bool | None = None,
    ) -> Lines:
        if no_wrap or self.no_wrap or overflow == "ignore":
            return super().wrap(
                console,
                width,
                justify=justify,
                overflow=overflow,
                tab_size=tab_size,
                no_wrap=no_wrap,
            )
        wrap_justify = justify or self.justify or "default"
        wrap_overflow = overflow or self.overflow or "fold"
        lines = Lines()
        for line in self.split(allow_blank=True):
            if "\t" in line:
                line.expand_tabs(tab_size)
            indent = hang(line.plain, width)
            cuts = breaks(line.plain, width, math_ranges(line), indent)
            new_lines = line.divide(cuts)
            for piece, cut in zip(new_lines, cuts, strict=False):
                if continues(line.plain, cut, width - indent):
                    piece.append(CONTINUED)  # a name cut: the line says it goes on
            for piece in new_lines[1:]:
                piece.pad_left(indent)  # a list item's further lines, past its bullet
            for piece in new_lines:
                _rstrip_cells(piece, width)
            new_lines.justify(console, width, justify=wrap_justify, overflow=wrap_overflow)
            for piece in new_lines:
                piece.truncate(width, overflow=wrap_overflow)
            lines.extend(new_lines)
        return lines

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        from rich.measure import Measurement

        from dlcards.console import in_encoding

        # measured as it is drawn: spelled first where the terminal cannot show a symbol (Σ
        # as sum), or a grid's column would be too narrow for it and wrap it
        spelled = in_encoding(self, console.encoding)
        lines = spelled.split(allow_blank=True)
        widest = max((line.cell_len for line in lines), default=0)
        narrow = max((min_width(line.plain, math_ranges(line)) for line in lines), default=0)
        return Measurement(min(narrow, widest), widest)


def _rstrip_cells(text: Text, width: int) -> None:
    """The whitespace ending `text` beyond `width` cells dropped: rich's `Text.rstrip_end`,
    counted in cells. rich counts characters, so a line of wide characters (CJK) that ends in
    a space kept it, and the crop to the width then cut the line's last character for an
    ellipsis ("1/(1+e⁻ˣ) と " as "1/(1+e⁻ˣ)  …": the と lost)."""
    from rich.cells import cell_len

    excess = text.cell_len - width
    plain = text.plain
    end = len(plain)
    while excess > 0 and end and plain[end - 1].isspace():
        end -= 1
        excess -= cell_len(plain[end])
    if end < len(plain):
        text.right_crop(len(plain) - end)


class _Rendered:
    """A FlowText as console.print and tables render it (see FlowText.__rich__)."""

    def __init__(self, text: FlowText) -> None:
        self.text = text

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        return self.text.__rich_console__(console, options)

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        return self.text.__rich_measure__(console, options)


def flowing(text: Text | str, style: str = "") -> FlowText:
    """`text` (a rich Text, or a plain string with `style`) as a Text that keeps formulas
    together when wrapped."""
    if isinstance(text, str):
        return FlowText(text, style=style)
    return FlowText(text.plain, spans=list(text.spans), **settings(text))


def rich_spans(spans: Iterable[tuple[int, int, str]]) -> list[Span]:
    """dlcards.render's spans as rich's: the math mark (MATH_META) becomes MATH_MARK."""
    return [Span(a, b, MATH_MARK if style == MATH_META else style) for a, b, style in spans]


def settings(text: Text) -> dict[str, Any]:
    """What a Text is made with besides its characters and spans (its style, justify,
    overflow, no_wrap, end and tab size), to make another like it."""
    return {
        "style": text.style,
        "justify": text.justify,
        "overflow": text.overflow,
        "no_wrap": text.no_wrap,
        "end": text.end,
        "tab_size": text.tab_size,
    }


def one_line(text: Text) -> tuple[str, list[Range]]:
    """`text` on one line (each run of whitespace one space, none at the ends) and its math
    ranges, moved along."""
    plain = text.plain
    ranges = math_ranges(text)
    if not ranges:  # the same line, from str.split's runs of whitespace (str.isspace's)
        return " ".join(plain.split()), []
    kept: list[int] = []  # kept[k]: the index in `plain` of the k-th character kept
    for index, ch in enumerate(plain):
        if ch.isspace() and (not kept or plain[kept[-1]].isspace()):
            continue
        kept.append(index)
    while kept and plain[kept[-1]].isspace():
        kept.pop()
    line = "".join(" " if plain[i].isspace() else plain[i] for i in kept)
    from bisect import bisect_left

    math = [(bisect_left(kept, a), bisect_left(kept, b)) for a, b in ranges]
    return line, [(a, b) for a, b in math if b > a]
