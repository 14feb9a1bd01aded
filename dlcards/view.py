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
    from rich.text import Text

    from dlcards.render import to_rich

    parts: list[RenderableType] = [Text("Q ", style="bold cyan") + to_rich(card.question)]
    if reveal:
        parts.append(Text(""))
        parts.append(Text("A ", style="bold green") + to_rich(card.answer))
        if card.erratum:
            parts.append(Text(""))
            parts.append(Text("Erratum ", style="bold yellow") + to_rich(card.erratum))
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
