"""Options shared by several commands, so each is spelled and documented once."""

from __future__ import annotations

import typer

DecksOption = typer.Option(
    None,
    "--decks",
    help="Extra deck directory or file (repeatable); also DLCARDS_DECKS, a path list.",
    metavar="DIR",
)
TopicOption = typer.Option(
    None, "--topic", "-t", help="Only this topic (repeatable).", metavar="TOPIC"
)


def _tag(value: str | None) -> str | None:
    """A tag given on the command line as the decks hold tags (lower case, NFC: Anki's tags
    ignore case, so `--tag C++` is the tag `c++`)."""
    from dlcards.deck import given_tag

    return None if value is None else given_tag(value)  # as typed too, for its messages


TagOption = typer.Option(
    None,
    "--tag",
    help="Only cards with this tag or one under it (e.g. math; ml chooses ml::cnn).",
    metavar="TAG",
    callback=_tag,
)
JsonOption = typer.Option(False, "--json", help="Print JSON instead of a table.")
SearchOption = typer.Option(
    None,
    "--search",
    "-s",
    help="Only the cards this search finds (as `dlcards search`, e.g. 'momentum is:due').",
    metavar="QUERY",
)
DbOption = typer.Option(
    None,
    "--db",
    help="Progress database file (default: user data dir; also DLCARDS_DB).",
    metavar="PATH",
)
TodayOption = typer.Option(
    None,
    "--today",
    help="Act as if today were YYYY-MM-DD (also DLCARDS_TODAY).",
    metavar="DATE",
)
