"""Cards on screen, shared by `show`, `study` and `quiz`: what a card panel holds, as plain data
(`Styled` texts and `Grid`s), and the rich renderables made from it. `dlcards.litecard` lays
the same data out without rich, byte for byte as rich does, for `dlcards show`."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, NamedTuple

from dlcards.deck import Card

if TYPE_CHECKING:
    from rich.console import Console, ConsoleOptions, RenderableType, RenderResult
    from rich.measure import Measurement
    from rich.text import Text

    from dlcards.render import Span


class Styled(NamedTuple):
    """A rich Text as data: its plain text, its spans (start, end, style) in order and its own
    style. `flow`: it wraps by dlcards.flow (a FlowText, formulas kept together), else by
    rich's word wrap."""

    plain: str
    spans: tuple[Span, ...] = ()
    style: str = ""
    flow: bool = True

    def __add__(self, other: object) -> Styled:  # as rich's Text + Text
        if not isinstance(other, Styled):
            return NotImplemented
        from dlcards.render import Span

        at = len(self.plain)
        own = (Span(at, at + len(other.plain), other.style),) if other.style and other.plain else ()
        moved = tuple(Span(a + at, b + at, style) for a, b, style in other.spans)
        return self._replace(plain=self.plain + other.plain, spans=self.spans + own + moved)


class Grid(NamedTuple):
    """A rich Table.grid of two columns: a mark that never wraps (`first` cells wide, or as
    wide as its widest mark when None), `gap` cells, then text; `stretch` gives the text
    column ratio=1."""

    rows: tuple[tuple[Styled, Styled], ...]
    first: int | None = None
    gap: int = 1
    stretch: bool = False


Block = Styled | Grid
BLANK = Styled("", flow=False)


def card_blocks(card: Card, reveal: bool, extra: Sequence[Block] = ()) -> list[Block]:
    """What a card panel holds: question, then (when revealed) answer, remarks and `extra`."""
    from dlcards.render import styled

    rows = [(Styled("Q", style="bold cyan", flow=False), Styled(*styled(card.question)))]
    if reveal:
        answer = Styled("A", style="bold green", flow=False)
        rows += [(BLANK, BLANK), (answer, Styled(*styled(card.answer)))]
        for mark, text in remark_cells(card):
            rows += [(BLANK, BLANK), (mark, text)]
    return [Grid(tuple(rows), stretch=True), *(extra if reveal else ())]


def to_renderable(block: Block) -> RenderableType:
    """A block as rich renders it."""
    if isinstance(block, Styled):
        return rich_text(block)
    from rich.table import Table

    grid = Table.grid(padding=(0, block.gap))
    grid.add_column(width=block.first, no_wrap=True)
    grid.add_column(ratio=1 if block.stretch else None)
    for mark, text in block.rows:
        grid.add_row(rich_text(mark), rich_text(text))
    return grid


def rich_text(text: Styled) -> Text:
    """A Styled as a rich Text (a FlowText when it flows, else a CardText)."""
    from dlcards.flowtext import CardText, FlowText, rich_spans

    kind = FlowText if text.flow else CardText
    return kind(text.plain, style=text.style, spans=rich_spans(text.spans))


COMPACT_BELOW = 20  # rows: a shorter terminal gets a card panel without blank padding
NARROW_BELOW = 60  # columns: a narrower one too (and `study` shortens its hints)


def compact_screen(console: Console) -> bool:
    """Whether a card drawn full-screen (by `study`, by `quiz`) goes without the blank padding
    inside its border: in a terminal shorter than COMPACT_BELOW rows or narrower than
    NARROW_BELOW columns, where those three rows and four columns are the card's text."""
    return console.height < COMPACT_BELOW or console.width < NARROW_BELOW


def card_panel(
    card: Card,
    title: str,
    reveal: bool,
    subtitle: str | None = None,
    extra: Sequence[Block] = (),
    compact: bool | None = False,
) -> RenderableType:
    """The card as a panel: question, then (when revealed) answer, remarks and `extra` lines.
    `compact` drops the blank padding inside the border (for short or narrow terminals);
    None: as `compact_screen` says of the terminal each time the panel is drawn."""
    from rich.console import Group

    return FittedPanel(
        Group(*map(to_renderable, card_blocks(card, reveal, extra))),
        card.id,
        title,
        ", ".join(card.tags),
        subtitle or (card.source or ""),
        padding=None if compact is None else PADDING[compact],
    )


PADDING = {False: (1, 2), True: (0, 1)}
"""A card panel's padding inside its border, by whether it is compact."""


def shorten(text: str, room: int, keep_last: bool = False) -> str:
    """`text` in at most `room` cells, cut after a whole word with `…` (never inside a name);
    `keep_last` keeps its last word (`… #23` of a source). Empty when not even one word fits.
    The mark as standard output shows it (`...` in ASCII: `dlcards.stdio.cut_mark`), measured
    as shown."""
    from rich.cells import cell_len

    from dlcards.stdio import cut_mark

    if cell_len(text) <= room:
        return text
    mark = cut_mark()
    words = text.split(" ")
    tail = f" {words.pop()}" if keep_last and len(words) > 1 else ""
    while words:
        words.pop()
        head = " ".join(words).rstrip(" ,·:;(-&/")
        if head.count("(") > head.count(")"):  # not inside a parenthesis: `(MSE, MAE…`
            continue
        if head and cell_len(head + mark + tail) <= room:
            return head + mark + tail
    return ""


def phrases(
    parts: Sequence[str],
    width: int,
    sep: str = " · ",
    cells: Callable[[str], int] | None = None,
) -> list[str]:
    """`parts` joined by `sep` in lines of at most `width` cells, broken only between parts
    (`show`'s state line broke `reviews in a / row 2` at 30 columns); a part wider than a line
    is on a line of its own, for the printer to wrap between its words. `cells` measures a
    text (rich's cells if None; `len` for a text of one cell a character, without rich)."""
    cell_len: Callable[[str], int]
    if cells is None:
        from rich.cells import cell_len
    else:
        cell_len = cells
    lines: list[str] = []
    for part in parts:
        if lines and cell_len(lines[-1] + sep + part) <= width:
            lines[-1] += sep + part
        else:
            lines.append(part)
    return lines


class Phrases:
    """`phrases` as a renderable: laid out at the width it is given when drawn (a table's
    cell), broken between parts only."""

    def __init__(self, parts: Sequence[str], sep: str = " · ") -> None:
        self.parts, self.sep = list(parts), sep

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        from rich.text import Text

        yield Text("\n".join(phrases(self.parts, options.max_width, self.sep)))

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        from rich.cells import cell_len
        from rich.measure import Measurement

        widest = max((cell_len(part) for part in self.parts), default=0)
        return Measurement(widest, cell_len(self.sep.join(self.parts)))


def panel_title(card_id: str, topic: str, tags: str, room: int) -> str:
    """`id · topic · tags` in `room` cells: the topic shortened first, then the tags dropped;
    the id is kept."""
    from rich.cells import cell_len

    tags = f" · {tags}" if tags else ""
    full = f"{card_id} · {topic}{tags}"
    if cell_len(full) <= room:
        return full
    short = shorten(topic, room - cell_len(f"{card_id} · {tags}"))
    if short:
        return f"{card_id} · {short}{tags}"
    return card_id + tags if cell_len(card_id + tags) <= room else card_id


class FittedPanel:
    """A card's panel whose border labels fit the width it is drawn at: the title
    `id · topic · tags` and the subtitle are shortened after a whole word (the topic first,
    then the tags; the id is kept), where a plain Panel would crop them mid-word."""

    def __init__(
        self,
        body: RenderableType,
        card_id: str,
        topic: str,
        tags: str,
        subtitle: str,
        padding: tuple[int, int] | None,
    ) -> None:
        """`padding` None: compact (`compact_screen`) or not, as the terminal is when drawn."""
        self.body, self.card_id, self.topic, self.tags = body, card_id, topic, tags
        self.subtitle, self.padding = subtitle, padding

    def title(self, room: int) -> str:
        return panel_title(self.card_id, self.topic, self.tags, room)

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        from rich.panel import Panel
        from rich.text import Text

        from dlcards.console import in_encoding

        def shown(text: str) -> str:  # spelled before it is measured, as the body is
            return in_encoding(Text(text), console.encoding).plain

        room = options.max_width - 6  # the corners, a rule cell and a space on each side
        title = panel_title(self.card_id, shown(self.topic), shown(self.tags), room)
        yield Panel(
            self.body,
            title=Text(title, style="bold"),
            title_align="left",
            subtitle=Text(shorten(shown(self.subtitle), room, keep_last=True), style="dim"),
            subtitle_align="right",
            padding=PADDING[compact_screen(console)] if self.padding is None else self.padding,
        )


def remark_cells(card: Card) -> list[tuple[Styled, Styled]]:
    """What the card says about its source, each as (mark, text): the erratum (what the answer
    gets wrong), the note (what it leaves imprecise), their references, and the source's own
    question when the card's question is a repair."""
    from dlcards.render import Span, styled

    def lead(label: str, style: str, body: Styled) -> Styled:
        # the label styled, not the whole line: a Text's own style covers it all
        return Styled(label, (Span(0, len(label), style),)) + body

    rows: list[tuple[Styled, Styled]] = []
    if card.erratum:
        body = Styled(*styled(card.erratum))
        mark = Styled("!", style="bold yellow", flow=False)
        rows.append((mark, lead("Erratum: ", "bold yellow", body)))
    if card.note:
        body = Styled(*styled(card.note))
        rows.append((Styled("i", style="bold blue", flow=False), lead("Note: ", "bold blue", body)))
    if card.references:
        from dlcards.flow import BULLET

        refs = Styled("".join(f"\n{BULLET}{ref}" for ref in card.references))
        rows.append((BLANK, lead("References:", "bold", refs)))
    if card.source_question:
        plain, spans = styled(card.source_question)
        original = Styled(plain, (*spans, Span(0, len(plain), "dim")))
        rows.append((BLANK, lead("The source's question: ", "dim bold", original)))
    return rows


def remark_rows(card: Card) -> list[tuple[Text, Text]]:
    """`remark_cells` as rich Texts."""
    return [(rich_text(mark), rich_text(text)) for mark, text in remark_cells(card)]


def remarks(card: Card) -> RenderableType | None:
    """The card's remarks (see `remark_rows`) as one block, or None when it has none."""
    rows = remark_rows(card)
    if not rows:
        return None
    from rich.table import Table

    grid = Table.grid(padding=(0, 1))
    grid.add_column(width=1, no_wrap=True)
    grid.add_column()
    for mark, text in rows:
        grid.add_row(mark, text)
    return grid


def math_extras(card: Card) -> list[Block]:
    """For a math card: each computation run live, its value, what it shows, and worked steps.

    A value that agrees with the card's claim is marked ✓; one that disagrees names the card's
    number, and points to the erratum when the card has one.
    """
    if not card.compute:
        return []
    from dlcards.engine import fmt
    from dlcards.flow import MATH_META
    from dlcards.mathcards import evaluate
    from dlcards.render import Span

    lines: list[Block] = [Styled("", flow=False)]
    for ev in evaluate(card):
        label = ev.compute.label or ev.call
        if ev.result is None:
            lines.append(Styled(f"⚠ {label}: {ev.error}", style="yellow", flow=False))
            continue
        # Several named values: the label first, then one labelled line per value.
        values = ev.result.display_lines
        if len(values) > 1:
            value = Styled(label, style="magenta")
        else:
            value = Styled(values[0], style="bold magenta") + Styled(f"   {label}", style="magenta")
        claim = fmt(ev.compute.claim)
        if ev.status == "ok":
            # on a card with an erratum the number may be the erratum's, not the card's
            verdict = "✓ checked" if card.erratum else "✓ as the card says"
            # kept on one line as a formula is (at 60 columns `✓` ended a line, `checked`
            # began the next)
            whole = (Span(3, 3 + len(verdict), MATH_META),)
            value += Styled(f"   {verdict}", whole, style="green")
        elif ev.status == "erratum":
            value += Styled(f"   (the card says {claim}; see the erratum)", style="yellow")
        elif ev.status == "mismatch":
            value += Styled(f"   (the card says {claim})", style="yellow")
        head = [(Styled("=", style="bold magenta", flow=False), value)]
        head += [(BLANK, Styled(line, style="bold magenta")) for line in values if len(values) > 1]
        lines.append(Grid(tuple(head)))
        if ev.result.steps:
            steps = tuple((BLANK, Styled(step, style="dim")) for step in ev.result.steps)
            lines.append(Grid(steps, first=4, gap=0))
    return lines
