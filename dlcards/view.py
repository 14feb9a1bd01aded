"""Rich renderables for cards, shared by `show`, `study` and `quiz`."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from dlcards.deck import Card

if TYPE_CHECKING:
    from rich.console import RenderableType


def card_panel(
    card: Card,
    title: str,
    reveal: bool,
    subtitle: str | None = None,
    extra: Sequence[RenderableType] = (),
) -> RenderableType:
    """The card as a panel: question, then (when revealed) answer, erratum and `extra` lines."""
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
        if card.erratum:
            body.add_row("", "")
            body.add_row(
                Text("!", style="bold yellow"),
                Text("Erratum: ", style="bold yellow") + to_rich(card.erratum),
            )
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
        padding=(1, 2),
    )


def math_extras(card: Card) -> list[RenderableType]:
    """For a math card: each computation run live, its value and worked steps."""
    if not card.compute:
        return []
    from rich.text import Text

    from dlcards.mathcards import evaluate

    lines: list[RenderableType] = [Text("")]
    for ev in evaluate(card):
        label = ev.compute.label or ev.call
        if ev.result is None:
            lines.append(Text(f"⚠ {label}: {ev.error}", style="yellow"))
            continue
        head = Text("= ", style="bold magenta") + Text(f"{label} = ", style="magenta")
        head += Text(ev.result.display, style="bold magenta")
        if ev.status in ("mismatch", "erratum"):
            head += Text(f"   (the card says {ev.compute.claim})", style="yellow")
        lines.append(head)
        for step in ev.result.steps:
            lines.append(Text(f"    {step}", style="dim"))
    return lines
