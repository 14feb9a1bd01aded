"""The terminal: one rich Console for stdout, honouring NO_COLOR and plain output to pipes."""

from __future__ import annotations

import os
import re
import sys
from functools import cache
from typing import TYPE_CHECKING

from dlcards.errors import CONTROL_ESCAPES, one_line
from dlcards.errors import (
    quoted as quoted,  # defined there: the fast paths (due --today) import no re, no typing
)
from dlcards.lite import GLUE

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Sequence
    from typing import Any

    from rich.console import Console, ConsoleOptions, RenderableType
    from rich.segment import Segment
    from rich.text import Span, Text

    from dlcards.errors import DlcardsError


SUSPENDED_MARK = " (s)"
"""What follows a suspended card's id in `list` and `search` (and its lapses in `list
--leeches`): a word, not a colour alone, so it shows under NO_COLOR and in a pipe."""


TOPIC_QUESTION_ROOM = 60
"""The fewest columns a card list's questions get beside a topic column that only repeats
each card id's prefix (`backprop` beside `backprop-26`): narrower, `topic_column` leaves it
out."""


def topic_column(cards: Iterable[tuple[str, str]], room: int, longest: int, terminal: bool) -> bool:
    """Whether a list of cards (`search`, `list --leeches`) shows its topic column: in a pipe
    always (scripts read its columns); on a terminal unless the column only repeats each
    card id's prefix (every built-in id is `<topic>-N`) while the questions beside it get
    fewer than TOPIC_QUESTION_ROOM columns (`room`, with the column), less than the widest
    of them (`longest`) needs: at 60 columns `backprop-26  backprop  What is the intuition
    behind…` spent 10 of them saying `backprop` twice and cut the question at 30. A topic
    that is not its id's prefix (a learner's own deck: `q1` in `mytopic`) is kept: it is
    not said elsewhere on the line. `cards`: each shown card's id and topic."""
    if not terminal or room >= min(longest, TOPIC_QUESTION_ROOM):
        return True
    return not all(card_id.startswith(topic + "-") for card_id, topic in cards)


def reader_left() -> None:
    """`dlcards list | head -1`: the reader took what it wanted. Not an error: exit 0 quietly
    (rich's default exits 1, which breaks `set -o pipefail` scripts)."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    raise SystemExit(0)


def report(err: DlcardsError) -> int:
    """A user error as the CLI shows it: `error: ...` on stderr, one line (wrapped between
    words on a terminal: `dlcards.stdio.say`); its exit code, even when stderr cannot be
    written (closed, full: the code is then all a script has)."""
    from dlcards.stdio import say

    say(f"error: {one_line(str(err))}")
    return err.exit_code


def echo(line: str, style: str = "", label_style: str = "", console: Console | None = None) -> None:
    """`line` (a message, an item of a report) on stdout, as plain text (a `[` in a path is
    not rich markup): to a pipe one line, for grep; on a terminal, broken between words to
    its width, the lines after the first under the message (`dlcards.stdio.hanging`: a
    terminal folded `import --dry-run`'s long lines inside their words). A control character
    in it (a path's newline or escape sequence: `wrote a<newline>b.apkg`) is shown as its
    escape and a byte that was not UTF-8 as `\\xff` (`CONTROL_ESCAPES`), as in errors.
    `style`: rich's, for the whole line; `label_style`: for its label (`error:`) alone;
    `console`: the one a screen draws on (a study session's), else stdout's."""
    from rich.text import Text

    from dlcards.errors import typed_as_bytes
    from dlcards.stdio import LABELS, hanging

    # a path's newline or ESC: shown, never obeyed; its é under LC_ALL=C: as typed, not e
    line = typed_as_bytes(line.translate(CONTROL_ESCAPES))
    console = console or out()
    for n, piece in enumerate(hanging(line, console.width) if console.is_terminal else [line]):
        text = Text(piece, style=style)
        label = next((lab for lab in LABELS if piece.startswith(lab)), "") if n == 0 else ""
        if label and label_style:
            text.stylize(label_style, 0, len(label) - 1)
        console.print(text, soft_wrap=True)


def pipe_closed() -> int:
    """The reader of stdout went away mid-command (`dlcards list | head`): not an error, so
    nothing more is written, not even to stderr; exit code 0."""
    sys.stderr.close()
    return 0


_PADDING = re.compile(r"[ \t]+(?=\n)")


@cache
def out() -> Console:
    from rich.console import Console, ConsoleDimensions

    class _Console(Console):
        @property
        def size(self) -> ConsoleDimensions:
            """rich's size, but a dumb terminal's too: rich takes TERM=dumb as 80 x 25 (unless
            COLUMNS and LINES are both set), and a card's panel was drawn 80 wide in any
            terminal. COLUMNS and LINES where set, as for any terminal; else its real size."""
            width, height = self._width, self._height
            if not self.is_dumb_terminal or (width is not None and height is not None):
                return super().size
            from dlcards.lite import terminal_size

            columns, rows = terminal_size()
            return ConsoleDimensions(
                columns if width is None else width, rows if height is None else height
            )

        @size.setter
        def size(self, new_size: tuple[int, int]) -> None:
            Console.size.fset(self, new_size)  # type: ignore[attr-defined]

        def _check_buffer(self) -> None:
            """rich writes its buffer, then empties it: a Ctrl-C (or a `kill` raised as one)
            landing between the two left the text written and still buffered, and the next
            print (the session's closing lines) wrote it again (`saved: ...` twice for one
            grade). Whatever the interruption, the text is now written or lost, never
            written twice."""
            try:
                super()._check_buffer()
            except BaseException:
                if not self._buffer_index:
                    del self._buffer[:]
                raise

        def on_broken_pipe(self) -> None:
            self.quiet = True
            reader_left()

        def render_str(self, text: str, **kwargs: Any) -> Text:
            return in_encoding(super().render_str(text, **kwargs), self.encoding)

        def render(
            self, renderable: RenderableType, options: ConsoleOptions | None = None
        ) -> Iterable[Segment]:
            from rich.text import Text

            if isinstance(renderable, str):
                # a table's cell, a panel's body: made a Text here, as print makes one, so it
                # is glued too (at 100 columns `config`'s meaning cell broke `dlcards` /
                # `optimize`: a cell of plain text reached rich as a str, never glued)
                given = options or self.options
                renderable = self.render_str(
                    renderable, highlight=given.highlight, markup=given.markup
                )
            if isinstance(renderable, Text):
                from dlcards.flowtext import CardText, FlowText

                message = not isinstance(renderable, (FlowText, CardText))  # a card's: its own
                if message:
                    width = (options or self.options).max_width
                    renderable = glued(renderable, width, self.encoding)
                renderable = in_encoding(renderable, self.encoding)
                if message:
                    renderable = separators_inside(renderable, self, options or self.options)
            segments = super().render(renderable, options)
            from dlcards.stdio import CUT, cut_mark

            if cut_mark() == CUT:
                return segments
            return _marked_as_cut(segments)

        def _render_buffer(self, buffer: Iterable[Segment]) -> str:
            text = super()._render_buffer(buffer)
            # A pipe gets no padding: tables and wrapped text pad their lines with spaces up
            # to the column's width, invisible on a terminal but noise for `| cat -A`, diff
            # and grep. Only before a newline, so text printed with end="" keeps its spaces.
            if GLUE in text:
                text = text.replace(GLUE, " ")
            return text if self.is_terminal else _PADDING.sub("", text)

    # COLUMNS=0 or LINES=0 (digits, as rich reads them) made rich 0 wide or high: `due`,
    # `show` and `study` printed nothing and exited 0, and `stats` never ended; 10**20 was
    # an OverflowError. Such a size is no size, as the terminal's own 0 x 0 is (rich then
    # asks the terminal, and takes 80 x 25 when it tells none)
    from dlcards.lite import size_given

    unsized = [
        k for k in ("COLUMNS", "LINES") if os.environ.get(k, "").isdigit() and not size_given(k)
    ]
    environ = {k: v for k, v in os.environ.items() if k not in unsized}
    return _Console(
        highlight=False,
        no_color=bool(os.environ.get("NO_COLOR")) or None,
        soft_wrap=False,
        _environ=environ if len(environ) < len(os.environ) else None,
    )


def _marked_as_cut(segments: Iterable[Segment]) -> Iterable[Segment]:
    """`segments` for a terminal that cannot show `…`: the `…` rich puts where it cuts a text
    to a width (a table's cell, a panel's title) is `...` over the cells it ends, not "." (a
    cut text read as finished), and the line keeps its width. Every `…` of the text itself
    was spelled before the layout (`in_encoding`): one still here is rich's."""
    from rich.segment import Segment

    for segment in segments:
        if segment.control or "…" not in segment.text:
            yield segment
            continue
        kept: list[str] = []
        for ch in segment.text:
            if ch != "…":
                kept.append(ch)
                continue
            dots = 1
            while dots < 3 and kept and kept[-1].isascii() and kept[-1] != "\n":
                kept.pop()
                dots += 1
            kept.append("." * dots)
        yield Segment("".join(kept), segment.style, segment.control)


def glued(text: Text, width: int, encoding: str = "utf-8") -> Text:
    """`text` (a message: a hint, an error's advice; never a card's text, which wraps by its
    own rule, `dlcards.flow`) with the spaces inside each of its `code spans` that fit a line
    of `width` cells glued (GLUE), so that rich breaks its lines between words but never
    inside a command to type: `dlcards unsuspend` ended a line and `ID` began the next; the
    space after a key of a hint (`[q] quit`), and the one before a separator ` · ` (` * `
    as spelled in ASCII), which then never starts a line, and is dropped where it would end
    one (`separators_inside`). (A card's code is shown without its backticks: only a backtick
    written in the code itself pairs here.) The gluing is `dlcards.lite`'s, which lays out
    the same text without rich (never a `·`: it leaves text that is not ASCII to rich);
    here a span is measured in rich's cells, as a terminal of `encoding` shows it (`↺` is
    `(again)` in ASCII: a legend's item glued as it fit when written, wider than the line once
    spelled, was folded inside a word)."""
    from rich.cells import cell_len

    from dlcards.lite import glued as glued_plain

    def cells(piece: str) -> int:
        if encoding.startswith("utf"):
            return cell_len(piece)
        from rich.text import Text

        return cell_len(in_encoding(Text(piece), encoding).plain)

    plain = text.plain
    joined = glued_plain(plain, width, cells)
    if joined == plain:
        return text
    result = text.copy()
    result.plain = joined  # the same length: the spans stay where they were
    return result


def separators_inside(text: Text, console: Console, options: ConsoleOptions) -> Text:
    """`text` (a message, a key legend) wrapped to `options`' width as rich wraps it, but no
    line ending or starting with a separator ` · ` (` * ` as spelled in ASCII, glued to the
    word before it by `glued`): at a break it goes, as the break separates the items
    already. At 40 columns the quiz's `Did you know it? [y] yes · [n] no ·` ended a line and
    `[q] quit` began the next. The same text when it is not wrapped or holds no separator;
    else its lines, laid out (each as rich lays out a line that fits: justified, cropped).
    `dlcards.lite` drops them alike (`lite.separator_end`)."""
    from rich.cells import cell_len
    from rich.text import Text

    from dlcards.lite import separator_end, separator_start

    plain = text.plain
    if GLUE + "· " not in plain and GLUE + "* " not in plain:
        return text
    if text.no_wrap or (text.no_wrap is None and options.no_wrap):
        return text
    width = options.max_width
    justify = text.justify or options.justify
    overflow = text.overflow or options.overflow
    if justify == "full" or overflow == "ignore":  # spaces spread, or no width: as rich has it
        return text
    if all(cell_len(line) <= width for line in plain.split("\n")):
        return text
    tab_size = console.tab_size if text.tab_size is None else text.tab_size
    kept: list[Text] = []
    for hard in text.split("\n", allow_blank=True):
        lines = hard.wrap(console, width, justify="default", overflow=overflow, tab_size=tab_size)
        for n, line in enumerate(lines):
            cut = len(line.plain) - separator_end(line.plain)
            if cut and n < len(lines) - 1:  # a break after it: a separator ending it goes
                line.right_crop(cut)  # (right_crop(0) would empty it)
            start = separator_start(line.plain) if n else 0
            if start:  # (an item that filled the line before, or a word too long, folded)
                line = line[start:]
            kept.append(line)
    joined = Text("\n").join(kept)
    joined.justify, joined.overflow, joined.end = text.justify, text.overflow, text.end
    joined.no_wrap = True
    return joined


def _space(ch: str) -> str:
    """GLUE as the space it is written as, for `spelled` to read what is around a symbol."""
    return " " if ch == GLUE else ch


def in_encoding(text: Text, encoding: str) -> Text:
    """`text` as a terminal of `encoding` will show it: each character it cannot encode
    spelled as `dlcards.stdio` spells it (≥ as >=, σ as sigma), its spans moved along, before
    the text is measured and wrapped. (Spelled only when written, a line with ≥ would stand
    out past a panel's edge.) The same text when every character can be encoded."""
    if encoding.startswith("utf"):
        return text
    plain = text.plain
    try:
        plain.encode(encoding)
        return text
    except (UnicodeEncodeError, LookupError):
        pass
    from rich.text import Span

    from dlcards.flowtext import settings
    from dlcards.stdio import spelled_runs

    def shown(ch: str) -> bool:  # GLUE is a space to be, written as one (`glued`)
        if ch == GLUE:
            return True
        try:
            ch.encode(encoding)
            return True
        except UnicodeEncodeError:
            return False

    # each run of characters the encoding cannot show spelled as a whole (`spelled_runs`),
    # each character given its piece of the spelling for the spans to move along
    from dlcards.flowtext import math_ranges

    pieces = spelled_runs(plain, math_ranges(text), shown, _space)
    starts, at = [], 0
    for piece in pieces:
        starts.append(at)
        at += len(piece)
    starts.append(at)
    spans = [Span(starts[a], starts[b], style) for a, b, style in text.spans]
    spans += _spelled_spaces_bound(plain, pieces, starts)
    return type(text)("".join(pieces), spans=spans, **settings(text))


def _spelled_spaces_bound(plain: str, pieces: list[str], starts: list[int]) -> list[Span]:
    """A formula's span (MATH_MARK, which the wrap keeps on one line) around each spelling
    that wrote a space where the text had none (W₁P₁ as `W_1 P_1`, x²y as `x^2 y`), and
    around the characters it stands between: those were one word, and the space is no place
    to break a line. Under LC_ALL=C mlp-12's note broke `Z_new = W_1 P_1 + W_2` / `P_2`."""
    from rich.text import Span

    from dlcards.flowtext import MATH_MARK

    bound = []
    n = len(plain)
    for k, (ch, piece) in enumerate(zip(plain, pieces, strict=True)):
        if " " not in piece or ch.isspace() or ch == GLUE:
            continue
        first = k - 1 if k > 0 and not _space(plain[k - 1]).isspace() else k
        last = k + 1 if k + 1 < n and not _space(plain[k + 1]).isspace() else k
        bound.append(Span(starts[first], starts[last + 1], MATH_MARK))
    return bound


def as_shown(text: str) -> str:
    """`text` as the terminal shows it: spelled (`in_encoding`) where standard output's
    encoding cannot show a character, for a layout that measures it before rich prints it
    (the grade legend, the key hints, a panel's title): measured as written, "↺" (one cell)
    was printed "(again)" and pushed the legend's columns out of line. Asked of standard
    output first: on UTF-8 no console is made (`stats` writes without rich there)."""
    from dlcards.stdio import stdout_encoding

    if text.isascii() or stdout_encoding().startswith("utf"):
        return text
    encoding = out().encoding
    if encoding.startswith("utf"):
        return text
    from rich.text import Text

    return in_encoding(Text(text), encoding).plain


def print_json(data: object) -> None:
    """`data` as JSON on stdout: its text as written where stdout's encoding is UTF-8, else
    (`LC_ALL=C`, PYTHONIOENCODING=ascii) with `\\u` escapes, the same data in ASCII (the
    terminal's spelling, ≥ as >=, would change the values)."""
    import json

    encoding = (getattr(sys.stdout, "encoding", None) or "utf-8").lower().replace("_", "-")
    escaped = encoding not in ("utf-8", "utf8")
    try:
        sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=escaped) + "\n")
        sys.stdout.flush()
    except BrokenPipeError:
        reader_left()


def counted(n: int) -> str:
    """A count as a learner reads it, its thousands grouped: `7`, `1,234`, `100,000`. The
    one way a count reaches the screen (`plural`, every table and summary): `due` printed
    `1234 cards due` where `stats` printed `1,234`. What a program reads stays bare: `due
    --count`, --json, CSV."""
    return f"{n:,}"


def plural(n: int, word: str, many: str | None = None) -> str:
    """`1 card`, `2 cards`, `0 cards`, `1,234 cards` (`many` for irregular plurals)."""
    return f"{counted(n)} {word if n == 1 else (many or word + 's')}"


LISTED = 20
"""How many ids a message names before it counts the rest."""


def listed(items: Sequence[str], most: int = LISTED) -> str:
    """`a, b, c`; past `most` items the first ones and how many more (`a, b, c and 1,990
    more`): a command given 2,000 ids said each of them back on one line."""
    if len(items) <= most:
        return ", ".join(items)
    shown = most - 1
    return f"{', '.join(items[:shown])} and {len(items) - shown:,} more"


def escaped(text: str, *, in_file: bool = False) -> str:
    """`text` safe to show in one line: control characters as escapes (`\\x07`, `\\n`), and
    bytes that were not UTF-8 (decoded by Python as lone surrogates) as `\\xff`; a word
    longer than `errors.LONG_WORD` by its start, its end and its length (`one_line`), as an
    error line shows it: `search` of a 100,000-character word that matched nothing printed
    all of it back. A character the terminal cannot show (`LC_ALL=C`: é) as the bytes it was
    typed as (`errors.as_bytes`), as `quoted` shows it; not `in_file`, text for a file the
    user opens (`add`'s template), which holds every character as it is."""
    from dlcards.errors import as_bytes, unshown_test

    unshown = None if text.isascii() or in_file else unshown_test()
    parts = []
    for ch in text:
        code = ord(ch)
        if 0xDC80 <= code <= 0xDCFF:  # surrogateescape: the original byte
            parts.append(f"\\x{code - 0xDC00:02x}")
        elif code > 0x7F and unshown and ch.isprintable() and unshown(ch):
            parts.append(as_bytes(ch))  # under LC_ALL=C: as typed, not spelled (é as e)
        elif ch.isprintable():
            parts.append(ch)
        else:
            parts.append(repr(ch)[1:-1])
    return one_line("".join(parts))


_REPR_BYTE = re.compile(r"(?<!\\)((?:\\\\)*)\\udc([89a-f][0-9a-f])")
"""A byte that was not UTF-8 as `repr` writes its lone surrogate (`\\udcff`), not after
another backslash (`\\\\udcff` is a backslash the user typed, then `udcff`)."""


def click_line(message: str) -> str:
    """A message click wrote about a value the user gave (`Invalid value for '--days':
    '\\udcff' is not a valid int.`, `No such option: --a<newline>b`) as `quoted` would have
    it: one line, a byte that was not UTF-8 shown as the byte (`'\\xff'`), whether click
    quoted the value with `repr` or not at all."""
    return one_line(_REPR_BYTE.sub(r"\1\\x\2", message))


_CLICK_VALUE = re.compile(
    r"^Invalid value for .*?: (.*) is not (?:a valid |in the range |one of )", re.S
)


def bound(n: float) -> str:
    """A limit of a range a message states (`from 0 to 9999`, `from 0 to 1,000,000`): grouped
    from five digits on, as every message that states one writes it (`config` said
    `1000000` where `study --reviews` said `1,000,000`)."""
    return f"{n:,}" if abs(n) >= 10_000 else f"{n:g}"


def plain_bad_value(
    message: str,
    option: str,
    whole: bool,
    low: float | None,
    high: float | None,
    choices: Sequence[str] = (),
) -> str | None:
    """Click's message for an option given a bad value, in the words dlcards's own checks
    use (`--new must be from 0 to 9999, not -1`, `--format must be csv or json, not 'x'`),
    or None if `message` is not one. Click said `-1 is not in the range 0<=x<=9999.` and
    `'abc' is not a valid int range.`: a learner reads neither `x` nor `int range`."""
    found = _CLICK_VALUE.match(message)
    if found is None:
        return None
    value = found.group(1)
    if choices:
        listed = ", ".join(choices[:-1]) + f" or {choices[-1]}" if len(choices) > 1 else choices[0]
        return f"{option} must be {listed}, not {value}"
    kind = "a whole number" if whole else "a number"
    if low is not None and high is not None:
        span = f"from {bound(low)} to {bound(high)}"
    elif low is not None:
        span = f"{bound(low)} or more"
    elif high is not None:
        span = f"{bound(high)} or less"
    else:
        return f"{option} must be {kind}, not {value}"
    if "is not in the range" in message:  # a number, out of the range
        return f"{option} must be {span}, not {value}"
    return f"{option} must be {kind}, {span}, not {value}"


def wrap_tokens(
    text: str, width: int, breaks: str = " ,|(", cells: Callable[[str], int] | None = None
) -> list[str]:
    """`text` in lines of at most `width` cells, broken only after a space or one of `breaks`
    outside square brackets, so `perceptron_loss(w=[1,-1], b=0)` breaks after `(` or `, ` and
    never inside a name or a number, nor inside a list that fits on a line. Only a single
    word wider than `width` is folded. `cells` measures a text (rich's cells if None; `len`
    for a text of one cell a character, without importing rich)."""
    cell_len: Callable[[str], int]
    if cells is None:
        from rich.cells import cell_len
    else:
        cell_len = cells

    lines: list[str] = []
    line = ""
    pieces = []
    for token in tokens(text, breaks):
        # a list too wide for a line breaks after its commas rather than inside a number
        pieces += tokens(token, ",", brackets=False) if cell_len(token) > width else [token]
    for token in pieces:
        if line and cell_len((line + token).rstrip()) > width:
            lines.append(line.rstrip())
            line = ""
        line += token
        while cell_len(line.rstrip()) > width:  # one token too wide for any line: fold it
            cut = width
            while cell_len(line[:cut]) > width:
                cut -= 1
            lines.append(line[:cut])
            line = line[cut:]
    if line.strip() or not lines:
        lines.append(line.rstrip())
    return lines


def wrap_name(name: str, width: int) -> list[str]:
    """A name (a topic's slug, a title) in lines of at most `width` cells, broken after a
    space, a hyphen, an underscore or a slash, so every piece reads as part of a name, not
    as a name cut short; a piece wider than `width` is folded."""
    return wrap_tokens(name, width, breaks=" -_/")


def tokens(text: str, breaks: str = " ,|(", brackets: bool = True) -> list[str]:
    """`text` cut after each space or character of `breaks` (outside square brackets unless
    `brackets` is False): the pieces `wrap_tokens` keeps whole, each with its separator."""
    pieces: list[str] = []
    current, depth = "", 0
    for ch in text:
        current += ch
        depth += (ch == "[") - (ch == "]")
        if (depth <= 0 or not brackets) and (ch == " " or ch in breaks):
            pieces.append(current)
            current = ""
    if current:
        pieces.append(current)
    return pieces


def comparison(
    names: Sequence[str],
    rows: Sequence[tuple[str, Sequence[str]]],
    width: int,
    corner: str = "",
    style: str = "",
) -> RenderableType:
    """A column of labels (headed `corner`) and a column a name, of right-aligned values
    (`rows`: each label and its values): a table where the labels fit beside the numbers.
    Narrower, each label on a line of its own, wrapped, above its numbers under a header of
    the names (at 30 columns rich gave `simulate`'s labels 9 cells a line and split `557 /
    1,000` over two lines, and cut `optimize`'s header to `paramete…`), as `stats`' true
    retention on a narrow screen; narrower than the numbers side by side, each number on a
    line of its own after its name (or under it). `style`: the values'."""
    from rich.table import Table
    from rich.text import Text

    # measured as the terminal shows them: in ASCII "(recall ≥ 0.90)" is a cell wider, and a
    # label measured as written wrapped in its column, `0.90)` alone on the next line
    names = [as_shown(name) for name in names]
    rows = [(as_shown(label), [as_shown(v) for v in values]) for label, values in rows]
    corner = as_shown(corner)
    widths = [max(len(name), *(len(v[i]) for _, v in rows)) for i, name in enumerate(names)]
    label_w = max(len(corner), *(len(label) for label, _ in rows))
    if label_w + sum(2 + w for w in widths) <= width:
        table = Table(box=None, pad_edge=False, show_edge=False, header_style="bold")
        table.add_column(corner)
        for name in names:
            table.add_column(name, justify="right", style=style)
        for label, values in rows:
            table.add_row(Text(label), *(Text(v) for v in values))
        return table
    from dlcards.flow import wrap

    text = Text()
    side = sum(widths) + 2 * (len(widths) - 1) <= width - 2
    if side:
        text.append("  " + "  ".join(f"{n:>{w}}" for n, w in zip(names, widths, strict=True)))
        text.stylize("bold")
    name_w = max(len(n) for n in names)
    for label, values in rows:
        for line in wrap(label, width):
            text.append(("\n" if text else "") + line)
        if side:
            cells = "  ".join(f"{v:>{w}}" for v, w in zip(values, widths, strict=True))
            text.append("\n  " + cells, style=style)
        else:
            for name, value in zip(names, values, strict=True):
                if 4 + name_w + len(value) > width:  # the number under its name
                    text.append(f"\n  {name}", style="bold")
                    text.append("\n    ")
                else:
                    text.append(f"\n  {name:<{name_w}}  ", style="bold")
                text.append(value, style=style)
    return text


@cache
def _plain_cell() -> re.Pattern[str]:
    """One cell per character, no markup (no "[", no emoji code, no escape), no space at either
    end. Compiled when a table first asks (~0.6 ms: not for a command that prints none)."""
    return re.compile(r"(?:[!-9;-Z^-~–](?:[ !-9;-Z^-~–]*[!-9;-Z^-~–])?)?")


class PlainTable:
    """What `rich.table.Table(box=None, header_style="bold", pad_edge=False)` prints for cells
    of plain ASCII text (no markup, no emoji codes, no wide characters, no space at either end)
    that fit the console's width on one line each: the same segments, without the table's
    layout pass (a quarter of `dlcards due`'s time at 60 topics). `of` gives None when any
    cell is not such text, or the table would not fit: then the caller prints a rich Table.
    `segments` are its lines for `dlcards.lite`, which prints them without rich."""

    def __init__(self, lines: list[list[tuple[str, str]]]) -> None:
        self.lines = lines  # per line, per column: (text padded to the column, style)

    @classmethod
    def of(
        cls,
        columns: list[tuple[str, str, str]],
        rows: list[list[str]],
        width: int | None,
    ) -> PlainTable | None:
        """`columns`: (header, style, "left" or "right"); `rows`: the cells, in order;
        `width`: the console's, or None for a table `dlcards.lite` measures when it prints."""
        cells = [[c[0] for c in columns], *rows]
        plain = _plain_cell().fullmatch
        if any(not plain(cell) for row in cells for cell in row):
            return None
        widths = [max(len(row[i]) for row in cells) for i in range(len(columns))]
        if width is not None and sum(widths) + 2 * (len(columns) - 1) > width:
            return None
        lines = []
        for n, row in enumerate(cells):
            lines.append(
                [
                    (
                        cell.rjust(w) if justify == "right" else cell.ljust(w),
                        "bold" if n == 0 else style,
                    )
                    for cell, w, (_, style, justify) in zip(row, widths, columns, strict=True)
                ]
            )
        return cls(lines)

    @property
    def width(self) -> int:
        """Its width in cells: every line's."""
        return sum(len(text) for text, _ in self.lines[0]) + 2 * (len(self.lines[0]) - 1)

    def segments(self) -> list[list[tuple[str, str]]]:
        """Its lines as (text, style) segments: each cell with the spaces between columns in
        the cell's style, as rich's Table pads them."""
        last = len(self.lines[0]) - 1
        out = []
        for line in self.lines:
            segments = []
            for i, (text, style) in enumerate(line):
                if i:
                    segments.append((" ", style))
                segments.append((text, style))
                if i < last:
                    segments.append((" ", style))
            out.append(segments)
        return out

    def __rich_console__(self, console: Console, options: object) -> Iterable[Segment]:
        from rich.segment import Segment
        from rich.style import Style

        styles: dict[str, Style] = {}
        for line in self.segments():
            for text, name in line:
                style = styles.get(name) or styles.setdefault(name, Style.parse(name))
                yield Segment(text, style)
            yield Segment.line()


def print_table(
    columns: list[tuple[str, str, str]],
    rows: list[list[str]],
    texts: Sequence[Sequence[tuple[str, str]]] = (),
    no_wrap: Sequence[str] = (),
) -> None:
    """`rows` as `rich.table.Table(box=None, header_style="bold", pad_edge=False)` prints them,
    the last row (a total) after a section, then `texts` (lines of (text, style) segments) as
    rich prints a Text of each: by `dlcards.lite` without importing rich where it can, else by
    rich (a PlainTable when the cells are plain and fit). `columns`: (header, style, "left" or
    "right"); `no_wrap`: the headers of the columns rich must not wrap."""
    from dlcards import lite

    plain = PlainTable.of(columns, rows, None)
    if plain is not None and lite.write(plain.segments(), texts):
        return
    console = out()
    if plain is not None and plain.width <= console.width:
        console.print(plain)
    else:
        from rich.cells import cell_len
        from rich.table import Table
        from rich.text import Text

        table = Table(box=None, header_style="bold", pad_edge=False)
        width = console.width
        longest = [
            max(cell_len(cell) for cell in (header, *(row[i] for row in rows)))
            for i, (header, _, _) in enumerate(columns)
        ]
        # what the other columns take: each its longest value, a text column a third of the
        # line at most (rich wraps it)
        others = [
            sum(2 + min(w, width // 3) for j, w in enumerate(longest) if j != i)
            for i in range(len(columns))
        ]
        wrapped = {}
        for index, (header, style, justify) in enumerate(columns):
            # a column kept whole, on one line where it fits beside the others; a longer value
            # (a 110-character topic took the whole line and hid every other column; cut, a
            # topic read as another) is wrapped in its column between words, at its hyphens
            room = max(width - others[index], width // 3, 1)
            keep = header in no_wrap
            if keep and longest[index] > room:
                wrapped[index] = room
            table.add_column(
                header,
                style=style,
                justify=justify,  # type: ignore[arg-type]
                no_wrap=keep,
                overflow="fold" if keep else "ellipsis",
            )
        for n, row in enumerate(rows):
            if n == len(rows) - 1:
                table.add_section()
            table.add_row(  # each cell as its text: a title's `[draft]` is no markup
                *(
                    Text("\n".join(wrap_name(cell, wrapped[i])) if i in wrapped else cell)
                    for i, cell in enumerate(row)
                )
            )
        console.print(table)
    if texts:
        from rich.text import Text

        for line in texts:
            console.print(Text.assemble(*line))
