"""`dlcards topics`, `dlcards list`, `dlcards show`: browsing the decks."""

from __future__ import annotations

from typing import Any

import typer

from dlcards.commands.common import DbOption, TodayOption
from dlcards.commands.options import DecksOption, JsonOption, TagOption, TopicOption


def topics(decks: list[str] | None = DecksOption, json_: bool = JsonOption) -> None:
    """List the topics: slug, title, number of cards and of math cards."""
    from dlcards.catalog import load_catalog
    from dlcards.console import out, plural, print_json

    catalog = load_catalog(decks or ())
    rows: list[dict[str, Any]] = [
        {
            "topic": info.topic,
            "title": info.title,
            "cards": len(info.ids),
            "math": info.math,
            "file": info.path,
        }
        for info in catalog.infos
    ]
    if json_:
        print_json(rows)
        return
    from rich.table import Table

    table = Table(title=None, box=None, header_style="bold", pad_edge=False)
    table.add_column("topic", style="cyan", no_wrap=True)
    table.add_column("title")
    table.add_column("cards", justify="right")
    table.add_column("math", justify="right")
    for row in rows:
        table.add_row(row["topic"], row["title"], str(row["cards"]), str(row["math"]))
    table.add_section()
    table.add_row(
        "",
        plural(len(rows), "topic"),
        str(sum(r["cards"] for r in rows)),
        str(sum(r["math"] for r in rows)),
    )
    out().print(table)


def list_cards(
    topic: list[str] | None = TopicOption,
    tag: str | None = TagOption,
    leeches: bool = typer.Option(
        False, "--leeches", help="Only leeches (marked by the leech rule), most lapses first."
    ),
    decks: list[str] | None = DecksOption,
    db: str | None = DbOption,
    json_: bool = JsonOption,
) -> None:
    """List cards (id, topic, tags, question), optionally by topic and tag, or the leeches."""
    from dlcards.catalog import load_catalog
    from dlcards.console import out, plural, print_json
    from dlcards.render import to_plain

    catalog = load_catalog(decks or ())
    cards = catalog.select(topic or (), tag)
    lapses: dict[str, tuple[int, bool]] = {}
    if leeches:
        from dlcards.commands.common import synced_store

        with synced_store(db, decks or ()) as store:
            marked = store.leeches()
        lapses = {x.id: (x.lapses, x.suspended) for x in marked}
        chosen = {c.id: c for c in cards}
        cards = [chosen[x.id] for x in marked if x.id in chosen]
    if json_:
        rows = []
        for c in cards:
            row: dict[str, Any] = {
                "id": c.id,
                "topic": c.topic,
                "tags": list(c.tags),
                "question": c.question,
            }
            if leeches:
                row.update(lapses=lapses[c.id][0], suspended=lapses[c.id][1])
            rows.append(row)
        print_json(rows)
        return
    console = out()
    questions = [" ".join(to_plain(card.question).split()) for card in cards]
    if not console.is_terminal:
        # a pipe: one plain line per card for grep, cut and fzf
        import sys

        try:
            sys.stdout.write(
                "".join(
                    f"{c.id}\t{lapses[c.id][0]}\t{q}\n" if leeches else f"{c.id}\t{q}\n"
                    for c, q in zip(cards, questions, strict=True)
                )
            )
            sys.stdout.flush()
        except BrokenPipeError:
            from dlcards.console import reader_left

            reader_left()
        return
    if leeches:
        console.print(_leech_table(cards, questions, lapses))
        n_held = sum(held for _, held in lapses.values())
        console.print(
            f"[dim]{plural(len(cards), 'leech', 'leeches')} ({n_held} suspended, marked (s)); "
            "rewrite one with `dlcards edit ID`, bring it back with `dlcards unsuspend ID`[/dim]"
        )
        return
    console.print(_card_table(cards, questions, console.width))
    console.print(f"[dim]{plural(len(cards), 'card')}[/dim]")


def _leech_table(cards: list[Any], questions: list[str], lapses: dict[str, Any]) -> Any:
    """Id, lapses ((s): suspended), topic and question of each leech."""
    from rich.table import Table

    table = Table(box=None, header_style="bold", pad_edge=False)
    table.add_column("id", style="cyan", no_wrap=True)
    table.add_column("lapses", justify="right", no_wrap=True)
    table.add_column("topic", style="dim", no_wrap=True)
    table.add_column("question", overflow="ellipsis", no_wrap=True)
    for card, question in zip(cards, questions, strict=True):
        n, held = lapses[card.id]
        table.add_row(card.id, f"{n}{' (s)' if held else ''}", card.topic, question)
    return table


def _card_table(cards: list[Any], questions: list[str], width: int) -> Any:
    """Id, tags and question, one line per card, `width` columns wide at most. The id is never
    cut: the question is (then the tags, which go first on a narrow screen)."""
    from rich.console import Group
    from rich.text import Text

    id_width = max([len("id"), *(len(c.id) for c in cards)])
    tags = [",".join(c.tags) for c in cards]
    tag_width = max([len("tags"), *(len(t) for t in tags)])
    gap = 2
    show_tags = id_width + gap + tag_width + gap + 20 <= width
    rest = width - id_width - gap - ((tag_width + gap) if show_tags else 0)

    def line(cid: Text, tag: Text, question: Text) -> Text:
        question.truncate(max(rest, 1), overflow="ellipsis")
        row = Text.assemble(cid, " " * (id_width - cid.cell_len + gap))
        if show_tags:
            row += Text.assemble(tag, " " * (tag_width - tag.cell_len + gap))
        return row + question

    head = line(Text("id"), Text("tags"), Text("question"))
    head.stylize("bold")
    rows = [
        line(Text(c.id, style="cyan"), Text(t, style="dim"), Text(q))
        for c, t, q in zip(cards, tags, questions, strict=True)
    ]
    return Group(head, *rows)


def card_json(card: Any, title: str) -> dict[str, Any]:
    """The stable JSON shape of a card (documented in the README)."""
    return {
        "id": card.id,
        "topic": card.topic,
        "topic_title": title,
        "question": card.question,
        "answer": card.answer,
        "tags": list(card.tags),
        "source": card.source,
        "source_question": card.source_question,
        "erratum": card.erratum,
        "note": card.note,
        "references": list(card.references),
        "compute": [
            {"fn": c.fn, "args": dict(c.args), "claim": c.claim, "tolerance": c.tolerance}
            for c in card.compute
        ],
        "file": card.file,
        "line": card.line,
    }


def _progress(card_id: str, db: str | None, today: str | None) -> dict[str, Any]:
    """The card's schedule as the active scheduler sees it, plus every scheduler's full state;
    read without creating or syncing the database."""
    from dlcards.commands.common import db_path, today_from
    from dlcards.memory import Memory
    from dlcards.scheduling import Schedule
    from dlcards.settings import Settings
    from dlcards.store import Store, default_db, existing_file

    path = db_path(db) or default_db()
    day = today_from(today)
    memory, flags, schedule = Memory(), None, Schedule.from_settings(Settings())
    history: list[Any] = []
    if existing_file(path):  # a FIFO or a symlink loop is an error here too
        with Store.open(path) as store:
            schedule = Schedule.from_settings(store.settings())
            memory = store.memory(card_id)
            flags = store.card_flags(card_id)
            history = store.history(card_id)
    if any(entry.day > day for entry in history):
        # --today before some of its reviews: those have not happened yet; the card is as the
        # grades up to that day leave it
        history = [entry for entry in history if entry.day <= day]
        memory = schedule.replay_all(history)
    # Schedulers whose state is not kept (FSRS while SM-2 is active) are replayed from the log.
    states = dict(schedule.states(schedule.replay_all(history)))
    states.update({s.name: s.state_dict(memory) for s in schedule.kept})
    due = schedule.due(memory)
    recall = schedule.recall(memory, day)
    return {
        "status": "new" if memory.is_new else "review",
        "ef": memory.sm2.ef / 100,
        "interval": schedule.interval(memory),
        "repetitions": memory.sm2.repetitions,
        "lapses": memory.sm2.lapses,
        "due": due.isoformat() if due else None,
        "last_review": memory.last_review.isoformat() if memory.last_review else None,
        "suspended": bool(flags and flags.suspended),
        "recall": round(recall, 4) if recall is not None else None,
        "scheduler": schedule.name,
        **states,
    }


def show(
    card_id: str = typer.Argument(..., help="Card id, e.g. gd-23."),
    decks: list[str] | None = DecksOption,
    db: str | None = DbOption,
    today: str | None = TodayOption,
    json_: bool = typer.Option(False, "--json", help="Print the card and its state as JSON."),
) -> None:
    """Show one card: question, answer, tags, source and its study state."""
    from dlcards.catalog import load_catalog
    from dlcards.console import out, print_json

    catalog = load_catalog(decks or ())
    card = catalog.card(card_id)
    title = catalog.topic_titles()[card.topic]
    state = _progress(card.id, db, today)
    if json_:
        print_json({**card_json(card, title), "state": state})
        return
    from dlcards.view import card_panel, math_extras

    if state["status"] == "new":
        line = "new · not studied yet"
    else:
        if state["scheduler"] == "fsrs":
            fsrs = state["fsrs"]
            memory = f"stability {fsrs['stability']:.1f}d · difficulty {fsrs['difficulty']:.2f}"
        else:
            memory = f"ease {state['ef']:.2f}"
        line = (
            f"{state['scheduler']}: {memory} · interval {state['interval']}d · "
            f"due {state['due']} · reviews in a row {state['repetitions']} · "
            f"lapses {state['lapses']}"
        )
        if state["recall"] is not None:
            line += f" · recall today {state['recall']:.0%}"
    if state["suspended"]:
        line += " · suspended"
    out().print(card_panel(card, title, reveal=True, extra=math_extras(card)))
    out().print(f"[dim]{line}[/dim]")
