"""`dlcards search QUERY`: find cards by their words, with Anki-style filters.

The query's meaning is `dlcards.search` (pure); the store runs it on its FTS5 index. Each line
starts with the card id, then the topic (on a terminal left out where it only repeats the id's
prefix and the question needs its room: `console.topic_column`) and the question with the
matching words highlighted;
when the words matched elsewhere (answer, erratum, note, tags), a snippet of that field follows
on the next line, indented. On a narrow terminal the question goes under the id, wrapped.
"""

from __future__ import annotations

import typer

from dlcards.commands.options import DbOption, DecksOption, JsonOption, TodayOption


def search(
    query: list[str] = typer.Argument(
        ...,
        help="Words and filters, e.g. momentum -adam tag:math deck:gd is:due 'prop:lapses>3'.",
        metavar="QUERY...",
    ),
    limit: int = typer.Option(
        50, "--limit", "-n", min=1, metavar="N", help="Show at most N cards (best first)."
    ),
    decks: list[str] | None = DecksOption,
    db: str | None = DbOption,
    today: str | None = TodayOption,
    json_: bool = JsonOption,
) -> None:
    """Find cards by words in the question, answer, erratum, note and tags, best first.

    A word matches the words it starts ("optim" and "optim*" find "optimizer"); "a phrase"
    in quotes; -word excludes; "a or b", parentheses and escapes as in Anki. Filters:
    deck:gd or the deck's name in Anki (deck:"Deep Learning::Grad*"), topic:gd, tag:math,
    is:due, is:new, is:review, is:suspended, is:leech, prop:lapses>3 (also reps, ivl, ease,
    due), rated:7 (also rated:7:1, introduced:7, added:7, edited:7), nc:word, w:word (the
    whole word). Study or cram exactly these cards with `dlcards study --search QUERY` or
    `dlcards quiz --search QUERY`. In a shell, quote a query that holds quotes, parentheses,
    < or > as a whole: `dlcards search 'deck:"Deep Learning" prop:lapses>3'`.
    """
    from dlcards.cli import after_dashes

    # ignored unknown options land among the words: `--ids` is a typo, not a word; after a
    # `--` every word is the query's (`search -- --momentum`, read as Anki reads it)
    options = query[: len(query) - after_dashes()]
    unknown = [word for word in options if word.startswith("--") and len(word) > 2]
    if unknown:
        from dlcards.errors import UsageError
        from dlcards.usage import unknown_option_here

        raise UsageError(
            unknown_option_here(
                unknown[0], "-word excludes a word; after `--` every word is the query's"
            )
        )
    from dlcards.commands import run

    run.search(query, limit, decks or (), db, today, json_)


# "-word" is a query term to exclude, not an unknown option.
search.context_settings = {"ignore_unknown_options": True}  # type: ignore[attr-defined]
