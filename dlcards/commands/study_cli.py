"""`dlcards study`'s command line as typer declares it; the session itself is
`dlcards.commands.study` (the fast path, `dlcards.quick`, runs it without typer)."""

from __future__ import annotations

import typer

from dlcards.commands.options import (
    DbOption,
    DecksOption,
    SearchOption,
    TagOption,
    TodayOption,
    TopicOption,
)
from dlcards.settings import NEW_PER_DAY_MAX, REVIEWS_MAX


def study(
    topic: list[str] | None = TopicOption,
    tag: str | None = TagOption,
    new: int | None = typer.Option(
        None,
        "--new",
        min=0,
        max=NEW_PER_DAY_MAX,
        metavar="N",
        help="New cards allowed today (default: the new_per_day setting, which `dlcards config "
        "new_per_day` shows; counted across sessions).",
    ),
    reviews: int | None = typer.Option(
        None,
        "--reviews",
        min=0,
        max=REVIEWS_MAX,
        metavar="N",
        help="At most N due reviews in this session (the daily cap, reviews_per_day, holds too).",
    ),
    search: str | None = SearchOption,
    decks: list[str] | None = DecksOption,
    db: str | None = DbOption,
    today: str | None = TodayOption,
) -> None:
    """Study today's cards: due reviews, then new cards, then re-drills of misses.

    Keys: Space or Enter shows the answer, 0-5 grade it, u undoes the session's last grade or
    suspension (`dlcards undo` an earlier one), s skips the card to the end, ! suspends it
    (`dlcards unsuspend ID` brings it back), e edits it in $EDITOR as `dlcards edit ID` does,
    q quits. Without a terminal, one per line (an empty line shows the answer)."""
    from dlcards.commands import run

    code = run.study(topic or (), tag, new, reviews, search, decks or (), db, today)
    if code:
        raise typer.Exit(code)
