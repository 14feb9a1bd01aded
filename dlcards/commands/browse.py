"""`dlcards topics`, `dlcards list`, `dlcards show`: browsing the decks."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack
from functools import partial
from typing import Any

import typer

from dlcards.commands.options import (
    DbOption,
    DecksOption,
    JsonOption,
    TagOption,
    TodayOption,
    TopicOption,
)
from dlcards.console import SUSPENDED_MARK, counted


def topics(decks: list[str] | None = DecksOption, json_: bool = JsonOption) -> None:
    """List the topics: slug, title, number of cards and of math cards."""
    from dlcards.commands import run

    run.topics(decks or (), json_)


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
    """List cards (id, tags and question), optionally by topic and tag, or the leeches."""
    from dlcards.catalog import load_catalog
    from dlcards.commands.common import db_path, decks_as_committed
    from dlcards.console import out, plural, print_json
    from dlcards.flowtext import one_line
    from dlcards.render import to_rich

    db_path(db)  # an empty --db is an error here too, though only --leeches reads it
    decks_as_committed(db)  # a killed import's decks are not the learner's
    catalog = load_catalog(decks or ())
    lapses: dict[str, tuple[int, bool]] = {}
    # the suspended cards, marked (s) as `list --leeches` marks them (its lapses say that)
    # and a leech's tags end with Anki's `leech` (what `search tag:leech` finds)
    marks = card_marks(db) if not leeches else None
    held = marks.suspended if marks is not None else frozenset[str]()
    leech_ids = marks.leeches if marks is not None else frozenset[str]()
    if leeches:
        from dlcards.commands.common import synced_store

        catalog.check_topics(topic or ())
        with synced_store(db, decks or ()) as store:
            marked = store.leeches()
        lapses = {x.id: (x.lapses, x.suspended) for x in marked}
        # only the leeches' decks are loaded (100,000 cards: 1.1 s to build every card)
        from dlcards.catalog import carries

        topics = set(topic or ())
        marked_ids = frozenset(lapses)
        cards = [
            card
            for card in (catalog.card(x.id) for x in marked if catalog.topic_of(x.id))
            if (not topics or card.topic in topics)
            and (tag is None or carries(card, tag, marked_ids))
        ]
        if not cards:
            catalog.check_tag(tag)  # read every deck only to tell an unknown tag from none here
    elif not json_ and not out().is_terminal:
        # a pipe: each deck read and its lines written in turn (`_plain_lines`), not every
        # card built first
        catalog.check_topics(topic or ())
        chosen = [info for info in catalog.infos if not topic or info.topic in topic]
        named = list(dict.fromkeys(info.topic for info in chosen))  # (its own cards with it)
        wrote = _write_lines(
            [partial(_deck_cards, catalog, t, tag, leech_ids) for t in named],
            None,
            sum(info.size for info in chosen),
            held,
        )
        if not wrote:  # nothing written: an unknown tag is said now (every deck read once)
            catalog.check_tag(tag)
        return
    else:
        cards = catalog.select(topic or (), tag, leeches=leech_ids)
    if json_:
        rows = []
        for c in cards:
            row: dict[str, Any] = {
                "id": c.id,
                "topic": c.topic,
                "tags": list(c.tags),
                "question": c.question,
                "suspended": lapses[c.id][1] if leeches else c.id in held,
                "leech": leeches or c.id in leech_ids,
            }
            if leeches:
                row.update(lapses=lapses[c.id][0])
            rows.append(row)
        print_json(rows)
        return
    console = out()
    if not console.is_terminal:
        # a pipe (the leeches): their lines, LIST_CHUNK cards at a time
        parts = [
            partial(cards.__getitem__, slice(start, start + LIST_CHUNK))
            for start in range(0, len(cards), LIST_CHUNK)
        ]
        _write_lines(parts, lapses, len(cards), frozenset(i for i, (_, s) in lapses.items() if s))
        return
    if leeches and not cards:  # not an empty table under a line of advice (a UX run)
        console.print("No leeches." if not (topic or tag) else "No leeches among these cards.")
        return
    if leeches:
        shown = [one_line(to_rich(card.question)) for card in cards]
        console.print(_leech_table(cards, shown, lapses, console.width))
        n_held = sum(held for _, held in lapses.values())
        console.print(
            f"[dim]{plural(len(cards), 'leech', 'leeches')} ({counted(n_held)} suspended, marked "
            "(s)); rewrite one with `dlcards edit ID`, take its mark off with "
            "`dlcards unleech ID`, bring it back with `dlcards unsuspend ID`[/dim]"
        )
        return
    if not cards:  # not a table's header with no row under it (a UX sweep)
        from dlcards.console import escaped

        # named as `study` and `quiz` name it ("the topic and tag given" named neither)
        where = f" in {', '.join(topic)}" if topic else ""
        said = f"No card{where} has the tag '{escaped(tag)}'." if tag is not None else "No cards."
        console.print(said, markup=False, highlight=False)
        return
    # printed a chunk at a time as it is made: the first screen of 100,000 cards shows at once
    for chunk in _card_table(cards, console.width, held, leech_ids):
        console.print(chunk)
    n_held = sum(c.id in held for c in cards) if held else 0
    said = f" ({counted(n_held)} suspended, marked {SUSPENDED_MARK.strip()})" if n_held else ""
    console.print(f"[dim]{plural(len(cards), 'card')}{said}[/dim]")


def card_marks(db: str | None) -> Any:
    """The suspended cards and the leeches (`marks.Marks`), read with one query without
    syncing or creating the database (`dlcards.store.marks`): none when it does not exist
    yet. A database that cannot be read (damaged, locked) does not stop `list`: a warning on
    stderr says so, and the cards are listed without their marks."""
    from dlcards.commands.common import database_of
    from dlcards.store.marks import Marks, MarksUnread
    from dlcards.store.marks import card_marks as read_marks

    try:
        return read_marks(database_of(db))
    except MarksUnread as err:
        from dlcards.stdio import say

        say(f"warning: {err}; the cards are listed without the (s) of the suspended ones")
        return Marks()


LIST_CHUNK = 2_000
"""The leeches whose lines `list` writes to a pipe at a time (other cards: a deck at a time)."""
PARALLEL_LIST_MIN = 20_000
"""Cards from which `list` in a pipe renders its parts in worker processes
(`dlcards.export.parallel`): 100,000 questions are ~5 s of pure Python on one core."""


def _deck_cards(
    catalog: Any, topic: str, tag: str | None, leeches: frozenset[str] = frozenset()
) -> list[Any]:
    """One topic's cards carrying `tag` (any if None; the `leeches` carry `leech` too), of
    each of its files (its own cards' too, `own_cards:`); the tag is not checked here (the
    caller says an unknown one when no deck had a card with it)."""
    return [card for cards in catalog.stream([topic], tag, leeches) for card in cards]


def _write_lines(
    parts: Sequence[Callable[[], Sequence[Any]]],
    lapses: dict[str, tuple[int, bool]] | None,
    size: int,
    held: frozenset[str] = frozenset(),
) -> bool:
    """`list`'s lines for a pipe, for grep, cut and fzf, written a part at a time, so the
    first reach the reader at once: `id<TAB>question`, with the lapses between them for the
    leeches (`lapses`), and `<TAB>(s)` after the question of a suspended card (`held`): the
    id and question stay the first fields for `cut -f1` and `cut -f2`. The question is one
    line of its rendered text, spelled as `show` spells it where stdout cannot show it
    (`render.to_output`). With `size` (the cards of all `parts`) at least
    PARALLEL_LIST_MIN, where forking is safe, worker processes make the parts, in order (each
    reads its own deck); the first line is written after one deck, not after every card is
    built. Returns whether any line was written (a reader gone: True)."""
    import sys

    from dlcards.export.parallel import ordered_map, workers
    from dlcards.render import to_output

    def text(index: int) -> str:
        cards = parts[index]()
        questions = (" ".join(to_output(card.question).split()) for card in cards)
        mark = "\t" + SUSPENDED_MARK.strip()
        if lapses is None:
            return "".join(
                f"{c.id}\t{q}{mark if c.id in held else ''}\n"
                for c, q in zip(cards, questions, strict=True)
            )
        return "".join(
            f"{c.id}\t{lapses[c.id][0]}\t{q}{mark if c.id in held else ''}\n"
            for c, q in zip(cards, questions, strict=True)
        )

    processes = workers() if size >= PARALLEL_LIST_MIN else 0
    wrote = False
    try:
        with ExitStack() as stack:
            if processes:
                texts = stack.enter_context(ordered_map(text, len(parts), processes))
            else:
                texts = (text(i) for i in range(len(parts)))
            for chunk in texts:
                sys.stdout.write(chunk)
                sys.stdout.flush()
                wrote = wrote or bool(chunk)
    except BrokenPipeError:
        from dlcards.console import reader_left

        reader_left()
        return True
    return wrote


def _leech_table(
    cards: list[Any],
    questions: list[tuple[str, list[tuple[int, int]]]],
    lapses: dict[str, Any],
    width: int,
) -> Any:
    """Id, lapses ((s): suspended), topic and question of each leech, `width` columns wide.
    The id is never cut: the question is, after a whole word as `list` cuts it (`flow.clip`:
    rich cut it mid-word, `(Math/Logic) Wri…`), and the topic goes first on a narrow
    screen, or where it only repeats the ids' prefixes and costs the questions room
    (`console.topic_column`). `questions`: each on one line, with its formulas' ranges."""
    from rich.cells import cell_len
    from rich.table import Table

    from dlcards.console import topic_column
    from dlcards.flow import clip

    id_width = max([len("id"), *(len(c.id) for c in cards)])
    topic_width = max([len("topic"), *(len(c.topic) for c in cards)])
    counts = [f"{counted(n)}{' (s)' if held else ''}" for n, held in (lapses[c.id] for c in cards)]
    lapses_width = max([len("lapses"), *map(len, counts)])
    beside = width - id_width - lapses_width - topic_width - 3 * 2  # the question's, with it
    longest = max(cell_len(question) for question, _ in questions)
    show_topic = beside >= 10 and topic_column(
        [(c.id, c.topic) for c in cards], beside, longest, True
    )
    room = width - id_width - lapses_width - 2 * 2 - ((topic_width + 2) if show_topic else 0)
    if room < LEECH_QUESTION_ROOM:
        return _leeches_stacked(cards, questions, counts, width)

    # expand with a ratio on the question: the other columns keep their widths and the question
    # takes the rest (without it rich shrank every no-wrap column alike, the id too)
    table = Table(box=None, header_style="bold", pad_edge=False, expand=True)
    table.add_column("id", style="cyan", no_wrap=True)
    table.add_column("lapses", justify="right", no_wrap=True)
    if show_topic:
        table.add_column("topic", style="dim", no_wrap=True)
    table.add_column("question", overflow="ellipsis", no_wrap=True, ratio=1)
    for card, count, (question, math) in zip(cards, counts, questions, strict=True):
        topic = [card.topic] if show_topic else []
        table.add_row(card.id, count, *topic, clip(question, max(room, 1), math))
    return table


LEECH_QUESTION_ROOM = 20
"""The fewest columns a leech's question gets beside its id and lapses: narrower (at 30
columns it was `What…`), each leech's question goes under its id, wrapped, whole."""


def _leeches_stacked(
    cards: list[Any],
    questions: list[tuple[str, list[tuple[int, int]]]],
    counts: list[str],
    width: int,
) -> Any:
    """The leeches on a narrow screen: each one's id, lapses and topic on a line, its question
    under them, indented, wrapped between words (a formula kept whole where it fits), whole."""
    from rich.text import Text

    from dlcards.flow import CONTINUED, breaks, continues

    text = Text()
    for card, (question, math), count in zip(cards, questions, counts, strict=True):
        if text:
            text.append("\n")
        text.append(card.id, style="cyan")
        text.append(f"  {count}")
        if len(f"{card.id}  {count}  {card.topic}") <= width:  # else the id's line alone
            text.append(f"  {card.topic}", style="dim")
        cuts = [0, *breaks(question, max(width - 2, 1), math), len(question)]
        for a, b in zip(cuts, cuts[1:], strict=False):
            mark = CONTINUED if continues(question, b, max(width - 2, 1)) else ""
            text.append(f"\n  {question[a:b].strip(' ')}{mark}")
    return text


def _card_table(
    cards: list[Any],
    width: int,
    held: frozenset[str] = frozenset(),
    leeches: frozenset[str] = frozenset(),
    chunk: int = 500,
) -> Iterator[Any]:
    """Id, tags and question, one line per card, `width` columns wide at most, in groups of
    `chunk` lines (the header first), each made when it is asked for. The id is never cut: the
    question is (then the tags, which go first on a narrow screen); where fewer than
    LEECH_QUESTION_ROOM cells are left for it, each question goes under its id, wrapped,
    whole, as `list --leeches` and `search` lay out a narrow screen (at 30 columns every
    question was `What is…`, `Describe…`). A suspended card's id
    (`held`) is followed by SUSPENDED_MARK; a leech's tags (`leeches`) end with `leech`
    (`settings.leech_marked`), as Anki tags a leech's note."""
    from rich.cells import cell_len
    from rich.console import Group
    from rich.text import Text

    from dlcards.console import as_shown
    from dlcards.flowtext import one_line
    from dlcards.render import to_rich
    from dlcards.settings import leech_marked

    def id_cell(c: Any) -> Text:
        shown = Text(c.id, style="cyan")
        if c.id in held:
            shown.append(SUSPENDED_MARK, style="yellow")
        return shown

    id_width = max([len("id"), *(len(c.id) + len(SUSPENDED_MARK) * (c.id in held) for c in cards)])
    # in cells, as the terminal shows them: a tag may be 日本::タグ, two cells a character
    # (counted in characters, the question ran into it, out of line with the others)
    tags = [as_shown(",".join(leech_marked(c.tags) if c.id in leeches else c.tags)) for c in cards]
    tag_width = max([len("tags"), *(cell_len(t) for t in tags)])
    gap = 2
    show_tags = id_width + gap + tag_width + gap + 20 <= width
    rest = width - id_width - gap - ((tag_width + gap) if show_tags else 0)

    from dlcards.flow import clip

    def line(cid: Text, tag: Text, question: Text, math: list[tuple[int, int]]) -> Text:
        question = Text(clip(question.plain, max(rest, 1), math), style=question.style)
        row = Text.assemble(cid, " " * (id_width - cid.cell_len + gap))
        if show_tags:
            row += Text.assemble(tag, " " * (tag_width - tag.cell_len + gap))
        row += question
        # a row that fits the width as built needs no wrapping: rich's word wrap of 100,000
        # rows was half the time of the table (a row wider than the screen, when the ids
        # alone do not fit, is wrapped as before)
        row.no_wrap = rest >= 1
        return row

    if rest < LEECH_QUESTION_ROOM:  # each question under its id, whole (`What is…` at 30)
        from dlcards.flow import CONTINUED, breaks, continues

        room = max(width - 2, 1)
        for start in range(0, len(cards), chunk):
            text = Text()
            for c, t in zip(cards[start : start + chunk], tags[start : start + chunk], strict=True):
                if text:
                    text.append("\n")
                text.append_text(id_cell(c))
                if t and id_cell(c).cell_len + gap + cell_len(t) <= width:
                    text.append(" " * gap + t, style="dim")
                question, math = one_line(to_rich(c.question))
                cuts = [0, *breaks(question, room, math), len(question)]
                for a, b in zip(cuts, cuts[1:], strict=False):
                    mark = CONTINUED if continues(question, b, room) else ""
                    text.append(f"\n  {question[a:b].strip(' ')}{mark}")
            yield text
        return
    head = line(Text("id"), Text("tags"), Text("question"), [])
    head.stylize("bold")
    yield head
    for start in range(0, len(cards), chunk):
        rows = []
        for c, t in zip(cards[start : start + chunk], tags[start : start + chunk], strict=True):
            question, math = one_line(to_rich(c.question))
            rows.append(line(id_cell(c), Text(t, style="dim"), Text(question), math))
        yield Group(*rows)


def show(
    card_id: str = typer.Argument(..., help="Card id, e.g. gd-23.", metavar="ID"),
    decks: list[str] | None = DecksOption,
    db: str | None = DbOption,
    today: str | None = TodayOption,
    json_: bool = typer.Option(False, "--json", help="Print the card and its state as JSON."),
) -> None:
    """Show one card: question, answer, tags, source and its study state."""
    from dlcards.commands import run

    run.show(card_id, decks or (), db, today, json_)
