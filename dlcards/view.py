"""Rich renderables for cards, shared by `show`, `study` and `quiz`."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from dlcards.deck import Card

if TYPE_CHECKING:
    from rich.console import RenderableType
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
    from rich.panel import Panel
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
    tags = f" · {', '.join(card.tags)}" if card.tags else ""
    return Panel(
        Group(*parts),
        title=Text(f"{card.id} · {title}{tags}", style="bold"),
        title_align="left",
        subtitle=Text(subtitle or (card.source or ""), style="dim"),
        subtitle_align="right",
        padding=(0, 1) if compact else (1, 2),
    )


def remark_rows(card: Card) -> list[tuple[Text, Text]]:
    """What the card says about its source, each as (mark, text): the erratum (what the answer
    gets wrong), the note (what it leaves imprecise), their references, and the source's own
    question when the card's question is a repair."""
    from rich.text import Text

    from dlcards.render import to_rich

    def lead(label: str, style: str, body: Text) -> Text:
        text = Text()  # the label styled, not the whole line: a Text's own style covers it all
        text.append(label, style=style)
        return text + body

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
        head.add_row(Text("=", style="bold magenta"), value)
        for line in values if len(values) > 1 else ():
            head.add_row("", Text(line, style="bold magenta"))
        lines.append(head)
        if ev.result.steps:
            steps = Table.grid()
            steps.add_column(width=4, no_wrap=True)
            steps.add_column()
            for step in ev.result.steps:
                steps.add_row("", Text(step, style="dim"))
            lines.append(steps)
    return lines
