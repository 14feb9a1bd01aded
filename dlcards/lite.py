"""Lines of styled plain text written to stdout byte for byte as rich would write them, without
importing rich.

Importing `rich.console` takes 30-40 ms, as long as the rest of `dlcards due` or `dlcards
topics`; what those commands print is a few lines of ASCII words and numbers in a handful of
styles. `write` prints such lines as `dlcards.console.out()` (a rich Console) prints the same
segments: it makes rich's decisions from the same environment (a terminal or not, colours or
not, NO_COLOR, the width) and renders the styles as rich renders them. Whatever it cannot
decide exactly as rich would (a line wider than the console, a character outside printable
ASCII, a style it does not know, Jupyter, IDLE, Windows) it leaves to rich: `write` returns
False and writes nothing. tests/test_lite.py compares the bytes with rich's in every
environment rich tells apart.
"""

from __future__ import annotations

import os
import sys

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing
if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    Line = Sequence[tuple[str, str]]  # (text, style) segments, as rich's Segment

# rich.style.Style's attribute bits, in the order its ANSI codes are emitted, and the eight
# standard colours (which rich writes as the same 3x code in every colour system)
_ATTRIBUTES = {"bold": "1", "dim": "2", "italic": "3", "underline": "4"}
_COLORS = ("black", "red", "green", "yellow", "blue", "magenta", "cyan", "white")


_BRIGHT = {f"bright_{name}": str(90 + i) for i, name in enumerate(_COLORS)}
"""The eight bright colours, which rich writes as the same 9x code in every colour system."""
_PALETTE = {"green4": ("32", "38;5;28"), "green3": ("32", "38;5;40"), "green1": ("32", "38;5;46")}
"""Colours of the 256-colour palette that `stats` uses (its heatmap's steps): what rich writes
for each in a terminal of the 8 standard colours (the nearest of them), and in one of 256
colours or more (tests/test_lite.py asks rich)."""


def codes(style: str, color: bool, eight_bit: bool = False) -> str | None:
    """The SGR parameters rich writes for `style` ("" for none), without the colour when
    `color` is false (rich's no_color); None for a style this module does not know.
    `eight_bit`: the terminal shows 256 colours or more (rich's EIGHT_BIT or TRUECOLOR colour
    system), for the colours of `_PALETTE`."""
    attributes, foreground = set(), ""
    for word in style.split():
        if word in _ATTRIBUTES:
            attributes.add(word)
        elif word in _COLORS and not foreground:
            foreground = str(30 + _COLORS.index(word))
        elif word in _BRIGHT and not foreground:
            foreground = _BRIGHT[word]
        elif word in _PALETTE and not foreground:
            foreground = _PALETTE[word][eight_bit]
        else:
            return None
    sgr = [code for name, code in _ATTRIBUTES.items() if name in attributes]
    if foreground and color:
        sgr.append(foreground)
    return ";".join(sgr)


MAX_SIZE = 10_000
"""The most columns or rows COLUMNS and LINES are taken at: no terminal is larger, and rich
lays out (and pads to) what they say (10**20 was an OverflowError)."""


def size_given(name: str) -> int | None:
    """COLUMNS or LINES (`name`) as a size: ASCII digits from 1 to MAX_SIZE, else None (unset,
    empty, 0 or garbage: no size given, the terminal's is asked)."""
    value = os.environ.get(name, "")
    if not (value.isascii() and value.isdigit()) or not 0 < int(value) <= MAX_SIZE:
        return None
    return int(value)


def terminal_size(fds: tuple[int, ...] = (1, 0, 2)) -> tuple[int, int]:
    """Columns and rows of the first of `fds` that is a terminal (stdout first), as rich sizes
    a terminal when COLUMNS and LINES are not set: 80 and 25 for a size it reports as 0, or
    when none is a terminal. `dlcards.console.out` asks it for a dumb terminal (TERM=dumb or
    unknown), which rich itself takes as 80 x 25 whatever its size."""
    for fd in fds:
        try:
            columns, rows = os.get_terminal_size(fd)
        except (AttributeError, ValueError, OSError):
            continue
        return columns or 80, rows or 25
    return 80, 25


class Screen:
    """What rich's Console (as `dlcards.console.out` makes it) decides about stdout."""

    __slots__ = ("color", "eight_bit", "styled", "terminal", "width")

    def __init__(
        self, terminal: bool, styled: bool, color: bool, width: int, eight_bit: bool = False
    ) -> None:
        self.terminal = terminal  # lines keep their padding (rich's is_terminal)
        self.styled = styled  # ANSI codes are written (rich's color_system is not None)
        self.color = color  # colours among them (not NO_COLOR)
        self.width = width
        self.eight_bit = eight_bit  # 256 colours or more (rich's EIGHT_BIT or TRUECOLOR)

    @classmethod
    def detect(cls) -> Screen | None:
        """rich.console.Console's is_terminal, color_system, no_color and size for stdout, or
        None where rich would look at more than this mirrors."""
        import builtins

        stdout = sys.stdout
        if (
            sys.platform == "win32"
            or stdout is None
            or hasattr(builtins, "get_ipython")  # Jupyter: rich decides from the kernel
            or getattr(sys.stdin, "__module__", "").startswith("idlelib")
        ):
            return None
        environ = os.environ
        compatible = environ.get("TTY_COMPATIBLE", "")
        force = environ.get("FORCE_COLOR")
        if compatible in ("0", "1"):
            terminal = compatible == "1"
        elif force is not None:
            terminal = force != ""
        else:
            try:
                terminal = stdout.isatty()
            except ValueError:
                terminal = False
        term = environ.get("TERM", "")
        dumb = terminal and term.lower() in ("dumb", "unknown")
        given = size_given("COLUMNS")  # as `console.out` gives rich its environment
        if given is not None:
            width = given
        else:  # rich asks stdin first; a dumb terminal's size is asked as console.out asks it
            width = terminal_size((1, 0, 2) if dumb else (0, 1, 2))[0]
        if width < 1:
            return None
        no_color = environ.get("NO_COLOR", "") != ""
        # rich's colour system for a terminal that is not Windows's: TRUECOLOR for COLORTERM
        # truecolor or 24bit, else by TERM's last part (EIGHT_BIT for 256color and kitty)
        colorterm = environ.get("COLORTERM", "").strip().lower()
        last = environ.get("TERM", "").strip().lower().rpartition("-")[2]
        eight_bit = colorterm in ("truecolor", "24bit") or last in ("256color", "kitty")
        return cls(terminal, terminal and not dumb, not no_color, width, eight_bit)

    def render(self, rows: Sequence[Line], texts: Sequence[Line] = ()) -> str | None:
        """The text rich writes for `rows` (lines of a table, never wrapped) then `texts` (each
        a rich Text, wrapped to the width), or None when rich must print them."""
        lines: list[Line] = []
        for row in rows:
            if sum(len(text) for text, _ in row) > self.width:
                return None  # rich lays the table out anew
            lines.append(row)
        for paragraph in texts:
            said = "".join(text for text, _ in paragraph)
            kept = glued(said, self.width)
            if kept != said:  # the same length: each segment's text is its part of `kept`
                at, parts = 0, []
                for text, style in paragraph:
                    parts.append((kept[at : at + len(text)], style))
                    at += len(text)
                paragraph = parts
            wrapped = wrap(paragraph, self.width)
            for n, line in enumerate(wrapped):
                if n < len(wrapped) - 1:  # a break after it: a separator ending it goes
                    line = cropped(line, separator_end("".join(text for text, _ in line)))
                if n:  # a break before it: a separator beginning it goes
                    line = after(line, separator_start("".join(text for text, _ in line)))
                lines.append([(text.replace(GLUE, " "), style) for text, style in line])
        for line in lines:
            if not all(text.isascii() and text.isprintable() for text, _ in line):
                return None
        return self.emit(lines)

    def emit(self, lines: Sequence[Line]) -> str | None:
        """The text rich writes for `lines`, each laid out already (its segments fit the
        width), or None for a style this module does not know."""
        out: list[str] = []
        known: dict[str, str | None] = {}  # each style's codes, worked out once
        for line in lines:
            parts: list[str] = []
            for text, style in line:
                sgr = (
                    known[style]
                    if style in known
                    else known.setdefault(style, codes(style, self.color, self.eight_bit))
                )
                if sgr is None:
                    return None
                parts.append(f"\x1b[{sgr}m{text}\x1b[0m" if self.styled and sgr and text else text)
            joined = "".join(parts)
            # a pipe gets no padding (dlcards.console.out); it gets no ANSI codes either
            out.append(joined if self.terminal else joined.rstrip(" \t"))
            out.append("\n")
        return "".join(out)


GLUE = "\U0010fffd"
"""A space no line is broken at, written as a space (the last private-use character of plane
16, one cell wide to rich, which no font or deck uses: the first one, U+E000, is a Nerd Font
icon's). `dlcards.console` glues with it too."""


def glued(text: str, width: int, cells: Callable[[str], int] = len) -> str:
    """`text` with the spaces a line must not break at glued (GLUE): in each `code span`
    (backtick to backtick, on one line, left to right) that fits a line of `width` (`cells`
    measures it: a character a cell here, rich's cells for `dlcards.console.glued`); after
    a key of a hint (`[q] quit`: 1-10 characters, no space or bracket, a word after it) and
    before a separator (` · `, ` * ` as spelled in ASCII; at any width: it never starts a
    line, and is dropped where it would end one, `separator_end`). Rich and this module
    then wrap the text alike (`due`'s line about the review cap left to rich was ~27
    ms of importing it). Without `re`: this module starts before it is imported."""
    spans, keys = text.count("`") >= 2, "] " in text
    seps = " · " in text or " * " in text
    if not spans and not keys and not seps:
        return text
    if spans:  # `[^`\n]+`, left to right, as re.sub finds them
        out, done, at = [], 0, text.find("`")
        while at >= 0:
            end = text.find("`", at + 1)
            if end < 0:
                break
            if end > at + 1 and "\n" not in text[at + 1 : end]:
                span = text[at : end + 1]
                fits = cells(span) + 1 <= width
                out += [text[done:at], span.replace(" ", GLUE) if fits else span]
                done, at = end + 1, text.find("`", end + 1)
            else:
                at = end  # no span from here: the next backtick may open one
        text = "".join(out) + text[done:]
    if keys and width >= 20:  # `(\[[^\[\]\s]{1,10}\]) (?=\S)`: the space after it glued
        chars, at = list(text), text.find("] ")
        while at >= 0:
            opened = text.rfind("[", 0, at)
            key = text[opened + 1 : at] if opened >= 0 else ""
            after = at + 2 < len(text) and not text[at + 2].isspace()
            if after and 1 <= len(key) <= 10 and not any(c in "[]" or c.isspace() for c in key):
                chars[at + 1] = GLUE
            at = text.find("] ", at + 1)
        text = "".join(chars)
    if seps:
        text = _items_glued(text, width, cells)
        text = text.replace(" · ", GLUE + "· ").replace(" * ", GLUE + "* ")
    return text


def _items_glued(text: str, width: int, cells: Callable[[str], int]) -> str:
    """`text` with the spaces inside each item of a line of items (between separators, ` · `
    or ` * `, and the line's ends) glued where the item fits a line of `width`: a legend's
    item moves whole to the next line, never breaks inside itself (at 40 columns the quiz's
    `Answer: a whole number · [s] show the` ended a line and `answer · [q] quit` began the
    next; at 20 the study hint's `q` ended one and `quit` began the next). An item wider
    than the line breaks between its words, as any text does."""
    lines = []
    for line in text.split("\n"):
        dotted = [
            " * ".join(_item_glued(i, width, cells) for i in d.split(" * "))
            for d in line.split(" · ")
        ]
        lines.append(" · ".join(dotted))
    return "\n".join(lines)


def _item_glued(item: str, width: int, cells: Callable[[str], int]) -> str:
    """`item` with its inner spaces glued where it fits a line of `width`. (With the separator
    glued after it, ` ·`, one within two cells of the width is folded by rich just before
    the separator, which then begins the next line and is dropped: `separator_start`.)"""
    body = item.strip(" ")
    if " " not in body or cells(body) > width:
        return item
    return item.replace(body, body.replace(" ", GLUE), 1)


def separator_start(line: str) -> int:
    """Where a wrapped line of text glued by `glued` begins once a separator that begins it
    is dropped with the spaces around it: a line after a break, of an item that filled the
    line before it (`_item_glued`), or of a word folded. 0 when no separator begins it."""
    shown = line.lstrip(" " + GLUE)
    if not shown.startswith(("· ", "·" + GLUE, "* ", "*" + GLUE)):
        return 0
    return len(line) - len(shown[1:].lstrip(" " + GLUE))


def separator_end(line: str) -> int:
    """Where a wrapped line of text glued by `glued` ends once a separator glued at its end
    (`no · ` of `[n] no · [q] quit`) is dropped with the spaces around it: a line break
    separates the items already (at 40 columns the quiz's hint ended a line with `·`).
    `len(line)` when no separator ends it."""
    kept = line.rstrip(" ")
    if not kept.endswith((GLUE + "·", GLUE + "*")):
        return len(line)
    return len(kept[:-2].rstrip())


def breaks(text: str, width: int) -> list[int]:
    """Where rich's `_wrap.divide_line` breaks `text` (printable ASCII: a cell a character)
    to fit `width`: greedily after whole words, each with the spaces after it; a word wider
    than a line is folded."""
    found: list[int] = []
    offset, position = 0, 0
    while True:
        start = position
        while start < len(text) and text[start] == " ":
            start += 1
        end = text.find(" ", start)
        end = len(text) if end < 0 else end
        if start == len(text):
            return found  # trailing spaces only: not a word
        start, stop = position, end
        while stop < len(text) and text[stop] == " ":
            stop += 1
        word = text[start:stop]
        position = stop
        length = len(word.rstrip())
        if width - offset >= length:
            offset += len(word)
        elif length > width:
            pieces = [word[i : i + width] for i in range(0, len(word), width)]
            for n, piece in enumerate(pieces):
                if start:
                    found.append(start)
                if n == len(pieces) - 1:
                    offset = len(piece)
                else:
                    start += len(piece)
        elif offset and start:
            found.append(start)
            offset = len(word)


def wrap(line: Line, width: int) -> list[Line]:
    """`line` as rich prints a Text of these segments at `width`: cut where `breaks` says,
    each piece's spaces beyond the width dropped, then cropped to the width."""
    plain = "".join(text for text, _ in line)
    cuts = [0, *breaks(plain, width), len(plain)] if plain else [0, 0]
    out: list[Line] = []
    for a, b in zip(cuts, cuts[1:], strict=False):
        if b - a > width:  # rich's rstrip_end, then truncate
            spaces = (b - a) - len(plain[a:b].rstrip(" "))
            b -= min(spaces, b - a - width)
            b = min(b, a + width)
        piece, at = [], 0
        for text, style in line:
            lo, hi = max(a, at), min(b, at + len(text))
            if lo < hi:
                piece.append((text[lo - at : hi - at], style))
            at += len(text)
        out.append(piece)
    return out


def after(line: Line, start: int) -> Line:
    """`line`'s segments from its character `start` on."""
    if not start:
        return line
    out: list[tuple[str, str]] = []
    at = 0
    for text, style in line:
        if at + len(text) > start:
            out.append((text[max(0, start - at) :], style))
        at += len(text)
    return out


def cropped(line: Line, end: int) -> Line:
    """`line`'s segments up to its character `end`."""
    out: list[tuple[str, str]] = []
    at = 0
    for text, style in line:
        if at >= end:
            break
        out.append((text[: end - at], style))
        at += len(text)
    return out


def write(rows: Sequence[Line], texts: Sequence[Line] = ()) -> bool:
    """Write `rows` (a table's lines) then `texts` (lines of text, wrapped) to stdout as rich
    would; False, writing nothing, when rich must."""
    screen = Screen.detect()
    text = screen.render(rows, texts) if screen is not None else None
    if text is None:
        return False
    put(text)
    return True


def put(text: str) -> None:
    """Write `text` to stdout; a reader that went away is not an error (console.reader_left)."""
    try:
        sys.stdout.write(text)
        sys.stdout.flush()
    except BrokenPipeError:
        from dlcards.console import reader_left

        reader_left()
