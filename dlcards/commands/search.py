"""`dlcards search QUERY`: find cards by their words, with Anki-style filters.

The query's meaning is `dlcards.search` (pure); the store runs it on its FTS5 index. Each line
starts with the card id, then the topic and the question with the matching words highlighted;
when the words matched elsewhere (answer, erratum, note, tags), a snippet of that field follows
on the next line, indented.
"""

from __future__ import annotations

from typing import Any

import typer

from dlcards.commands.common import schedule_of, synced_store, today_from
from dlcards.commands.options import DbOption, DecksOption, JsonOption, TodayOption


def search(
    query: list[str] = typer.Argument(
        ...,
        help="Words and filters, e.g. momentum -adam tag:math topic:gd is:due prop:lapses>3.",
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

    A word matches the words it starts ("optim" finds "optimizer"); "a phrase" in quotes;
    -word excludes. Filters: topic:gd, tag:math, is:due, is:new, is:review, is:suspended,
    is:leech, prop:lapses>3 (also reps, ivl, ease, due). Study or cram exactly these cards
    with `dlcards study --search QUERY` or `dlcards quiz --search QUERY`.
    """
    from dlcards.console import out, print_json
    from dlcards.render import to_plain
    from dlcards.search import highlight_spans, parse, snippet

    text = " ".join(query)
    parsed = parse(text)
    day = today_from(today)
    with synced_store(db, decks or ()) as store:
        hits, total = store.search(parsed, day, schedule_of(store).name, limit)
        # the cards' text as the index holds it (the decks' as synced just now): at 100,000
        # cards, loading the decks of 50 hits took 0.7 s of the command's 0.9
        texts = store.search_texts([hit.id for hit in hits])
    words = parsed.words
    rows: list[dict[str, Any]] = []
    for hit in hits:
        question_text, answer, erratum, note, tags = texts[hit.id]
        question = " ".join(to_plain(question_text).split())
        elsewhere = None
        if words and not highlight_spans(question, words):
            fields = [
                ("answer", to_plain(answer)),
                ("erratum", to_plain(erratum)),
                ("note", to_plain(note)),
                ("tags", tags),
            ]
            elsewhere = snippet(fields, words)
        rows.append(
            {
                "id": hit.id,
                "topic": hit.topic,
                "rank": round(hit.rank, 4) if hit.rank is not None else None,
                "question": question,
                "snippet": elsewhere,
            }
        )
    if json_:
        from dlcards.catalog import load_catalog

        catalog = load_catalog(decks or ())  # where each card is: its deck file and line
        for row in rows:
            card = catalog.card(row["id"])
            row.update(file=card.file, line=card.line)
        print_json({"query": text, "total": total, "cards": rows})
        return
    console = out()
    if not hits:
        console.print(f"No card matches {text!r}.")
        return
    for line in _lines(rows, words, console.width, console.is_terminal):
        console.print(line, no_wrap=True, overflow="ignore", crop=console.is_terminal)
    shown = len(rows)
    more = f" (the first {shown}; --limit N for more)" if shown < total else ""
    verb = "matches" if total == 1 else "match"
    console.print(f"[dim]{total} card{'s' if total != 1 else ''} {verb}{more}[/dim]")


def _lines(rows: list[dict[str, Any]], words: Any, width: int, terminal: bool) -> list[Any]:
    """One line per card, in columns: the id and the topic padded to the widest shown, so
    every question starts in the same column, and a snippet (the words matched elsewhere) on
    the next line under the question, after `↳`. On a terminal each line fits `width` (the
    question cut after a whole word or formula; the topic dropped when the question would get
    fewer than 20 columns); in a pipe the lines are whole, for grep."""
    from rich.cells import cell_len
    from rich.text import Text

    from dlcards.flow import clip
    from dlcards.search import highlight_spans

    mark = "bold reverse"
    id_w = max(cell_len(row["id"]) for row in rows)
    topic_w = max(cell_len(row["topic"]) for row in rows)
    show_topic = not terminal or id_w + topic_w + 4 + 20 <= width
    indent = id_w + 2 + (topic_w + 2 if show_topic else 0)
    room = max(width - indent, 1) if terminal else None

    def marked(text: str, style: str = "") -> Text:
        shown = Text(clip(text, room) if room else text, style=style)
        for a, b in highlight_spans(shown.plain, words):
            shown.stylize(mark, a, b)
        return shown

    lines: list[Any] = []
    for row in rows:
        line = Text(row["id"].ljust(id_w + 2), style="bold cyan")
        if show_topic:
            line.append(row["topic"].ljust(topic_w + 2), style="dim")
        lines.append(line + marked(row["question"]))
        if row["snippet"]:  # the words matched another field: where, on a line of its own
            where = Text(" " * max(indent - 2, 0) + "↳ ", style="dim")
            lines.append(where + marked(row["snippet"], "dim"))
    return lines


# "-word" is a query term to exclude, not an unknown option.
search.context_settings = {"ignore_unknown_options": True}  # type: ignore[attr-defined]
