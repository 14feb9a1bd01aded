"""Rich renderables for cards, shared by `show`, `study` and `quiz`."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from dlcards.deck import Card

if TYPE_CHECKING:
    from rich.console import Console, ConsoleOptions, RenderableType, RenderResult
    from rich.text import Text


def card_panel(
    card: Card,
    title: str,
    reveal: bool,
    subtitle: str | None = None,
    extra: Sequence[RenderableType] = (),
    compact: bool = False,
) -> RenderableType:
    """The card as a panel: question, then (when revealed) answer, remarks and `extra` lines.
    `compact` drops the blank padding inside the border (for short or narrow terminals)."""
    from rich.console import Group
    from rich.table import Table
    from rich.text import Text

    from dlcards.render import to_rich

    body = Table.grid(padding=(0, 1))
    body.add_column(no_wrap=True)
    body.add_column(ratio=1)
    body.add_row(Text("Q", style="bold cyan"), to_rich(card.question))
    if reveal:
        body.add_row("", "")
        body.add_row(Text("A", style="bold green"), to_rich(card.answer))
        for mark, text in remark_rows(card):
            body.add_row("", "")
            body.add_row(mark, text)
    parts: list[RenderableType] = [body]
    if reveal:
        parts.extend(extra)
    return FittedPanel(
        Group(*parts),
        card.id,
        title,
        ", ".join(card.tags),
        subtitle or (card.source or ""),
        padding=(0, 1) if compact else (1, 2),
    )


def shorten(text: str, room: int, keep_last: bool = False) -> str:
    """`text` in at most `room` cells, cut after a whole word with `…` (never inside a name);
    `keep_last` keeps its last word (`… #23` of a source). Empty when not even one word fits."""
    from rich.cells import cell_len

    if cell_len(text) <= room:
        return text
    words = text.split(" ")
    tail = f" {words.pop()}" if keep_last and len(words) > 1 else ""
    while words:
        words.pop()
        head = " ".join(words).rstrip(" ,·:;(-&/")
        if head.count("(") > head.count(")"):  # not inside a parenthesis: `(MSE, MAE…`
            continue
        if head and cell_len(head + "…" + tail) <= room:
            return head + "…" + tail
    return ""


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
        padding: tuple[int, int],
    ) -> None:
        self.body, self.card_id, self.topic, self.tags = body, card_id, topic, tags
        self.subtitle, self.padding = subtitle, padding

    def title(self, room: int) -> str:
        from rich.cells import cell_len

        tags = f" · {self.tags}" if self.tags else ""
        full = f"{self.card_id} · {self.topic}{tags}"
        if cell_len(full) <= room:
            return full
        topic = shorten(self.topic, room - cell_len(f"{self.card_id} · {tags}"))
        if topic:
            return f"{self.card_id} · {topic}{tags}"
        return self.card_id + tags if cell_len(self.card_id + tags) <= room else self.card_id

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        from rich.panel import Panel
        from rich.text import Text

        room = options.max_width - 6  # the corners, a rule cell and a space on each side
        yield Panel(
            self.body,
            title=Text(self.title(room), style="bold"),
            title_align="left",
            subtitle=Text(shorten(self.subtitle, room, keep_last=True), style="dim"),
            subtitle_align="right",
            padding=self.padding,
        )


def remark_rows(card: Card) -> list[tuple[Text, Text]]:
    """What the card says about its source, each as (mark, text): the erratum (what the answer
    gets wrong), the note (what it leaves imprecise), their references, and the source's own
    question when the card's question is a repair."""
    from rich.text import Text

    from dlcards.flowtext import flowing
    from dlcards.render import to_rich

    def lead(label: str, style: str, body: Text) -> Text:
        text = Text()  # the label styled, not the whole line: a Text's own style covers it all
        text.append(label, style=style)
        return flowing(text + body)  # wrapped with its formulas kept together

    rows: list[tuple[Text, Text]] = []
    if card.erratum:
        body = to_rich(card.erratum)
        rows.append((Text("!", style="bold yellow"), lead("Erratum: ", "bold yellow", body)))
    if card.note:
        body = to_rich(card.note)
        rows.append((Text("i", style="bold blue"), lead("Note: ", "bold blue", body)))
    if card.references:
        refs = Text("".join(f"\n• {ref}" for ref in card.references))
        rows.append((Text(""), lead("References:", "bold", refs)))
    if card.source_question:
        original = to_rich(card.source_question)
        original.stylize("dim")
        rows.append((Text(""), lead("The source's question: ", "dim bold", original)))
    return rows


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


def math_extras(card: Card) -> list[RenderableType]:
    """For a math card: each computation run live, its value, what it shows, and worked steps.

    A value that agrees with the card's claim is marked ✓; one that disagrees names the card's
    number, and points to the erratum when the card has one.
    """
    if not card.compute:
        return []
    from rich.table import Table
    from rich.text import Text

    from dlcards.engine import fmt
    from dlcards.flowtext import flowing
    from dlcards.mathcards import evaluate

    lines: list[RenderableType] = [Text("")]
    for ev in evaluate(card):
        label = ev.compute.label or ev.call
        if ev.result is None:
            lines.append(Text(f"⚠ {label}: {ev.error}", style="yellow"))
            continue
        # Several named values: the label first, then one labelled line per value.
        values = ev.result.display_lines
        if len(values) > 1:
            value = Text(label, style="magenta")
        else:
            value = Text(values[0], style="bold magenta") + Text(f"   {label}", style="magenta")
        claim = fmt(ev.compute.claim)
        if ev.status == "ok":
            # on a card with an erratum the number may be the erratum's, not the card's
            verdict = "✓ checked" if card.erratum else "✓ as the card says"
            value += Text(f"   {verdict}", style="green")
        elif ev.status == "erratum":
            value += Text(f"   (the card says {claim}; see the erratum)", style="yellow")
        elif ev.status == "mismatch":
            value += Text(f"   (the card says {claim})", style="yellow")
        head = Table.grid(padding=(0, 1))
        head.add_column(no_wrap=True)
        head.add_column()
        head.add_row(Text("=", style="bold magenta"), flowing(value))
        for line in values if len(values) > 1 else ():
            head.add_row("", flowing(line, style="bold magenta"))
        lines.append(head)
        if ev.result.steps:
            steps = Table.grid()
            steps.add_column(width=4, no_wrap=True)
            steps.add_column()
            for step in ev.result.steps:
                steps.add_row("", flowing(step, style="dim"))
            lines.append(steps)
    return lines
