"""A screen that fits the terminal: what is above, the part of a tall body that fits (scrolled
with j/k, its first lines pinned), and what is below; shared by `study` and `quiz`."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rich.console import Console, ConsoleOptions, RenderableType, RenderResult
    from rich.segment import Segment


class _Lines:
    """Already rendered lines, printed as they are."""

    def __init__(self, lines: list[list[Segment]]) -> None:
        self.lines = lines

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        from rich.segment import Segment

        for line in self.lines:
            yield from line
            yield Segment.line()


MIN_BODY_LINES = 3
"""Rows kept for the card itself, however small the terminal: what goes around it gives way."""


def _card_fits(room: int, body: int, below: int = 0) -> bool:
    """Whether `room` rows hold MIN_BODY_LINES of a `body`-line card (and its scroll line),
    and its first `below` lines (a pinned question and the answer's first lines)."""
    return room >= min(body, max(MIN_BODY_LINES, below)) + (body > room)


def _fitted(
    console: Console,
    top: list[RenderableType],
    bottom: list[RenderableType],
    body: int,
    alone: RenderableType | None = None,
    below: int = 0,
) -> tuple[list[RenderableType], list[RenderableType]]:
    """`top` and `bottom` cut until the body has MIN_BODY_LINES rows (and its scroll line): in a
    tiny terminal the card stays in view. The first bottom parts go first (the grade legend
    before the key hints; the last part is then `alone` when given: hints that name what the
    parts gone showed), then the last is cut to its first line and that to the width, then
    the top goes, then the key hints. Then, for the body's first `below` lines (the question
    and the answer's first lines), the same parts but the key hints give way: the hints
    stay, the rest is below."""
    if below:
        top, bottom = _fitted(console, top, bottom, body, alone)
        if len(bottom) <= 1 and not top:
            return top, bottom
    from rich.console import Group
    from rich.text import Text

    def rows(parts: list[RenderableType]) -> int:
        return len(console.render_lines(Group(*parts), console.options, pad=False)) if parts else 0

    top, bottom = list(top), list(bottom)
    while True:
        room = console.height - 1 - rows(top) - rows(bottom)
        if _card_fits(room, body, below):
            return top, bottom
        if below and not top and len(bottom) <= 1 and rows(bottom) <= 1:
            return top, bottom  # the hints stay: the answer is scrolled to with j
        if len(bottom) > 1:
            bottom.pop(0)
            if len(bottom) == 1 and alone is not None:
                bottom = [alone]
        elif bottom and isinstance(bottom[0], Text) and rows(bottom) > 1:
            line = bottom[0].split("\n")[0]  # a hint of two lines: its first, the main keys
            line.no_wrap, line.overflow = True, "ellipsis"
            bottom = [line]
        elif top:
            top = []
        elif bottom:
            bottom = []
        else:
            return top, bottom


def scroll_line(
    shown: tuple[str, str, str], keys: tuple[str, str], more: bool, back: bool, width: int
) -> str:
    """The line under a scrolled card: which lines are shown (`shown`: the first, the last and
    how many there are) and the keys that scroll (`keys`: down and up, each `j/↓` or `↓`),
    `more` and `back` as they apply, in the longest wording that fits `width` (as the
    terminal shows it): `lines 1-20 of 42 · j/↓ more`, then shorter numbers, then each key's
    first spelling, then the keys alone. It was cut at the width (`lines 1-20 of 22 · …` at
    20 columns, `… · k/↑ ba…` at 35): a key cut off, or half of its word."""
    from rich.cells import cell_len

    from dlcards.console import as_shown

    first, last, total = shown
    down, up = keys

    def moves(down: str, up: str) -> str:
        return " · ".join([*([f"{down} more"] if more else []), *([f"{up} back"] if back else [])])

    full, short = moves(down, up), moves(down.split("/")[0], up.split("/")[0])
    wordings = [
        f"lines {first}-{last} of {total} · {full}",
        f"{first}-{last} of {total} · {full}",
        f"{first}-{last}/{total} · {full}",
        f"{first}-{last}/{total} · {short}",
        short,
    ]
    return next((w for w in wordings if cell_len(as_shown(w)) <= width), wordings[-1])


def paint(
    console: Console,
    top: list[RenderableType],
    body: RenderableType,
    bottom: list[RenderableType],
    offset: int,
    pinned: int = 0,
    alone: RenderableType | None = None,
    below: int = 0,
    scroll_keys: tuple[str, str] = ("j/↓", "k/↑"),
    past: int | None = None,
) -> tuple[int, int, int]:
    """Clear the terminal and draw `top`, the part of `body` that fits from line `offset`, and
    `bottom` (its last part `alone` instead when a tiny terminal leaves room for that part
    only); the last row stays free for the cursor and key hints. A body taller than the
    space left gets a line saying which lines are shown and that j/k scroll; its first
    `pinned` lines (the question) stay in view while the rest scrolls, room permitting. For
    its first `below` lines (more than `pinned`: the answer's first lines under a pinned
    question) what is around it gives way too, the key hints excepted. Key hints of two
    lines keep only their first when the body then fits without scrolling, or when they
    leave it fewer than twice MIN_BODY_LINES rows. `scroll_keys`: the keys the scroll line
    names for down and up (the arrows alone where letters are typed into an answer).
    `past`, given, sets the offset: the body shown from its line `past` on (the feedback
    after an answered question), under its pinned lines where they stay in view, else
    without them.

    Returns the offset actually used, the largest offset (0 when the body fits) and the
    number of scrolling lines shown."""
    from rich.console import Group
    from rich.text import Text

    options = console.options
    body_lines = console.render_lines(body, options, pad=False)
    top_lines = console.render_lines(Group(*top), options, pad=False) if top else []
    bottom_lines = console.render_lines(Group(*bottom), options, pad=False) if bottom else []
    room = console.height - 1 - len(top_lines) - len(bottom_lines)
    if len(body_lines) > room and bottom and isinstance(bottom[-1], Text):
        # key hints of two lines: the second gives way when the card then fits, or when it
        # leaves the card too few rows to read (fewer than twice MIN_BODY_LINES)
        hint = bottom[-1].split("\n")
        if len(hint) > 1 and (len(body_lines) <= room + len(hint) - 1 or room < 2 * MIN_BODY_LINES):
            bottom = [*bottom[:-1], hint[0]]
            bottom_lines = console.render_lines(Group(*bottom), options, pad=False)
            room = console.height - 1 - len(top_lines) - len(bottom_lines)
    if not _card_fits(room, len(body_lines), below):  # a small terminal: what is around it
        top, bottom = _fitted(console, top, bottom, len(body_lines), alone, below)  # gives way
        top_lines = console.render_lines(Group(*top), options, pad=False) if top else []
        bottom_lines = console.render_lines(Group(*bottom), options, pad=False) if bottom else []
        room = console.height - 1 - len(top_lines) - len(bottom_lines)
    most = 0
    if len(body_lines) > room:
        room -= 1  # one row for the scroll line
        if room - pinned < 2:  # too short to keep the question and show the answer
            pinned = 0
        if past is not None:  # scrolled just past the lines before it, pinned or not
            offset = past - pinned
        head, rest = body_lines[:pinned], body_lines[pinned:]
        room = max(room - pinned, 1)
        most = len(rest) - room
        offset = max(0, min(offset, most))
        last = offset + room
        body_lines = head + rest[offset:last]
        first = 1 if offset == 0 else pinned + offset + 1
        from dlcards.console import counted

        shown = (counted(first), counted(pinned + last), counted(pinned + len(rest)))
        said = scroll_line(shown, scroll_keys, offset < most, offset > 0, options.max_width)
        scroll = Text(said, style="dim", no_wrap=True, overflow="ellipsis")
        body_lines.extend(console.render_lines(scroll, options, pad=False))
    else:
        offset = 0
    console.clear()
    console.print(_Lines(top_lines + body_lines + bottom_lines), end="")
    return offset, most, room
