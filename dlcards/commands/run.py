"""What `topics`, `show`, `due`, `stats` and `study` do once their options are parsed, without
the CLI framework.

Each function here is the whole body of one command: the typer commands (`dlcards.commands.
browse`, `dlcards.commands.progress`) declare the options and call it, and so does the fast
path (`dlcards.quick`), which parses the common command lines itself so that these everyday
commands start without importing typer. One body, so both print the same bytes.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from datetime import date

    from rich.text import Text


def topics(decks: Sequence[str], json_: bool) -> None:
    """List the topics: slug, title, number of cards and of math cards."""
    from dlcards.catalog import load_catalog
    from dlcards.commands.common import decks_as_committed
    from dlcards.console import counted, plural, print_json

    decks_as_committed(None)  # a killed import's decks are not the learner's
    catalog = load_catalog(decks)
    # one row a topic: a file of the learner's own cards of it (`own_cards:`) counted in it
    sizes: dict[str, int] = {}
    maths: dict[str, int] = {}
    for i in catalog.infos:
        sizes[i.topic] = sizes.get(i.topic, 0) + i.size
        maths[i.topic] = maths.get(i.topic, 0) + i.math
    rows: list[dict[str, Any]] = [
        {
            "topic": topic,
            "title": info.title,
            "cards": sizes[topic],
            "math": maths[topic],
            "file": info.path,
        }
        for topic, info in catalog.defining().items()
    ]
    if json_:
        print_json(rows)
        return
    from dlcards.console import PlainTable, print_table

    columns = [
        ("topic", "cyan", "left"),
        ("title", "", "left"),
        ("cards", "", "right"),
        ("math", "", "right"),
    ]
    cells = [
        [row["topic"], row["title"], counted(row["cards"]), counted(row["math"])] for row in rows
    ]
    columns_row = [header for header, _, _ in columns]
    total = [
        "",
        plural(len(rows), "topic"),
        counted(sum(r["cards"] for r in rows)),
        counted(sum(r["math"] for r in rows)),
    ]
    plain = PlainTable.of(columns, [*cells, total], None)
    width = _screen_width()
    if plain is not None and plain.width > width:
        topic_w = max(len(c[0]) for c in cells)
        # the cards and math columns, each after two spaces
        numbers = sum(2 + max(len(r[i]) for r in [columns_row, *cells, total]) for i in (2, 3))
        # titles squeezed beside the topics: each title under its topic instead, so that a
        # topic that fits the line stays whole (`--topic` takes it as typed; rich folded a
        # 26-character one in the middle at 60 columns); a topic longer than half the line
        # is wrapped at its hyphens in its column, and the titles go under it too
        if width - min(topic_w, width // 2) - numbers - 2 < MIN_TITLE:
            _narrow_topics(cells, total, max(width - numbers - 2, 8))
            return
    print_table(columns, [*cells, total], no_wrap=("topic",))


MIN_TITLE = 24
"""The fewest cells a line `topics` gives the titles beside the rest; fewer, and each title
goes under its topic's row (`_narrow_topics`)."""


def _narrow_topics(cells: list[list[str]], total: list[str], room: int) -> None:
    """`topics` too narrow for the titles beside the rest (30 columns squeezed them into five
    cells a line: "Perc…"): each title under its topic's row, wrapped in `room` cells after
    an indent of two, in the topic's column; a topic longer than the column wrapped there
    at its hyphens."""
    from rich.table import Table
    from rich.text import Text

    from dlcards.console import out, wrap_name
    from dlcards.flow import wrap

    table = Table(box=None, header_style="bold", pad_edge=False)
    table.add_column("topic", style="cyan", no_wrap=True, overflow="fold")
    table.add_column("cards", justify="right", no_wrap=True)
    table.add_column("math", justify="right", no_wrap=True)
    for topic, title, cards, math in cells:
        table.add_row("\n".join(wrap_name(topic, room + 2)), cards, math)
        for line in wrap(title, room):
            table.add_row(Text("  " + line, style="default"), "", "")
    table.add_section()
    table.add_row(Text(total[1], style="default"), total[2], total[3])
    out().print(table)


def _screen_width() -> int:
    """The width `print_table` prints to (dlcards.lite's, else rich's console's)."""
    from dlcards import lite

    screen = lite.Screen.detect()
    if screen is not None:
        return screen.width
    from dlcards.console import out

    return out().width


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
        # `wrong`: the claim is the source's mistake (robust-i9's 10.5), which a reader of the
        # JSON took for a claim the engine confirms; `label`: what `show` prints for the call
        "compute": [
            {
                "fn": c.fn,
                "args": dict(c.args),
                "claim": c.claim,
                "tolerance": c.tolerance,
                "wrong": c.wrong,
                "label": c.label,
            }
            for c in card.compute
        ],
        "file": card.file,
        "line": card.line,
    }


def card_progress(card_id: str, db: str | None, today: str | None) -> tuple[dict[str, Any], date]:
    """The card's schedule as the active scheduler sees it, plus every scheduler's full state
    (`show --json`'s `state`), and the study day it was read as; read without creating or
    syncing the database."""
    from dlcards.commands.common import REBUILD_PENDING, not_before_the_log, read_db, today_from
    from dlcards.memory import Memory
    from dlcards.scheduling import Schedule
    from dlcards.settings import Settings
    from dlcards.store import Store, existing_file

    path = read_db(db)
    day = today_from(today)
    memory, flags, schedule = Memory(), None, Schedule.from_settings(Settings())
    history: list[Any] = []
    then = None  # the grades as of `day`, when reviews are logged after it
    before_reset = 0  # reviews the log keeps from before the card's last reset
    if existing_file(path):  # a FIFO or a symlink loop is an error here too
        # the card's memory, flags and log from one snapshot: a grade another terminal
        # commits meanwhile is in all of them or in none
        with Store.open(path) as store, store.snapshot():
            day = not_before_the_log(store, day, today)
            schedule = Schedule.from_settings(store.settings())
            memory = store.memory(card_id)
            flags = store.card_flags(card_id)
            history = store.history(card_id)
            then = store.history_as_of(card_id, day)
            kept = store.retired_reviews(card_id) or 0
            before_reset = kept - store.answer_counts([card_id]).get(card_id, kept)
            if store.get_meta(REBUILD_PENDING) is not None:
                # a scheduler switch of an older dlcards that did not finish: the memories
                # may not be rebuilt yet; the log is the truth
                memory = schedule.replay([(e.day, e.grade) for e in history], memory)
    if then is not None:
        # --today before some of its reviews: those have not happened yet; the card is as the
        # grades before them leave it (a reset after that day too), as `due` and `stats` read it
        history = then
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
        "leech": bool(flags and flags.leech),
        "recall": round(recall, 4) if recall is not None else None,
        "scheduler": schedule.name,
        "reviews_before_reset": before_reset,
        **states,
    }, day


def stability_days(stability: float) -> str:
    """FSRS's stability for `show`: to a tenth of a day, and below a day to two significant
    figures (a card lapsed 25 times is at FSRS's floor, 0.0016 days, which showed as 0.0d
    beside its 1-day interval)."""
    return f"{stability:.1f}d" if stability >= 1 else f"{stability:.2g}d"


def show(
    card_id: str, decks: Sequence[str], db: str | None, today: str | None, json_: bool
) -> None:
    """Show one card: question, answer, tags, source and its study state."""
    from dlcards.commands.common import catalog_with, deck_card, decks_as_committed
    from dlcards.console import out, print_json

    decks_as_committed(db)  # a killed import's decks are not the learner's
    catalog = catalog_with([card_id], decks)
    card = deck_card(catalog, card_id, db)
    title = catalog.topic_titles()[card.topic]
    state, day = card_progress(card.id, db, today)
    if json_:
        print_json({**card_json(card, title), "state": state})
        return
    from datetime import date

    from dlcards.console import counted, plural
    from dlcards.days import due_words
    from dlcards.view import card_blocks, card_panel, math_extras

    parts: list[str]
    if state["status"] == "new" and state["reviews_before_reset"]:
        earlier = plural(state["reviews_before_reset"], "earlier review")
        parts = ["new", f"reset, not studied since ({earlier} kept in the log)"]
    elif state["status"] == "new":
        parts = ["new", "not studied yet"]
    else:
        if state["scheduler"] == "fsrs":
            fsrs = state["fsrs"]
            stability = stability_days(fsrs["stability"])
            memory = [f"stability {stability}", f"difficulty {fsrs['difficulty']:.2f}"]
        else:
            memory = [f"ease {state['ef']:.2f}"]
        memory[0] = f"{state['scheduler']}: {memory[0]}"
        parts = [
            *memory,
            f"interval {counted(state['interval'])}d",
            # a suspended card is in no queue (as Anki's browser puts its date in brackets)
            due_words(date.fromisoformat(state["due"]), day)
            + (" once unsuspended" if state["suspended"] else ""),
            f"reviews in a row {counted(state['repetitions'])}",
            f"lapses {counted(state['lapses'])}",
        ]
        if state["recall"] is not None:
            parts.append(f"recall today {state['recall']:.0%}")
    if state["leech"]:  # as `list --leeches` and `search is:leech` count it
        parts.append("leech")
    if state["suspended"]:
        parts.append("suspended")
    from dlcards import litecard

    extra = math_extras(card)
    blocks = card_blocks(card, True, extra)
    if litecard.write(
        card.id, title, ", ".join(card.tags), card.source or "", blocks, parts, "dim"
    ):
        return  # written as rich would, without importing it
    from dlcards.view import phrases

    console = out()
    console.print(card_panel(card, title, reveal=True, extra=extra))
    for line in phrases(parts, console.width):  # each phrase whole on a line
        console.print(f"[dim]{line}[/dim]")


PROMPT_WAIT_S = 0.5
"""How long `due --count` waits for another program's write lock when it must sync first (a
deck changed): a shell prompt runs it before every command line. Then it fails with the
locked database's one line (the prompt shows no number) instead of hanging 5 s."""


def due(decks: Sequence[str], db: str | None, today: str | None, json_: bool, count: bool) -> None:
    """How many cards are due today and how many are new, per topic; how many due reviews wait
    beyond the daily review cap (reviews_per_day), most overdue first."""
    from dlcards.commands.common import (
        not_before_the_log,
        opened_store,
        schedule_of,
        sync_if_needed,
        today_from,
    )
    from dlcards.console import counted, plural, print_json
    from dlcards.limits import cap_left, today_counts
    from dlcards.store.count import REDRILL_BELOW

    if count and json_:
        from dlcards.errors import UsageError

        raise UsageError("--count prints one number and --json a document: give one of them")
    day = today_from(today)
    # a shell prompt's number: another program's long write is not waited out, from the open
    # on (a writer holding the file whole stops even the open's first read)
    with opened_store(db, PROMPT_WAIT_S if count else None, decks, notice=not count) as store:
        if count:
            from contextlib import suppress

            from dlcards.catalog import Unsettled

            with store.waiting_at_most(PROMPT_WAIT_S), suppress(Unsettled):
                # cards gone from a deck a moment ago (`DECKS_GONE_S`): not waited for, the
                # count as last synced; a later prompt syncs them (an error is said)
                sync_if_needed(store, decks, notice=False, wait_gone=False)
        else:
            sync_if_needed(store, decks)
        day = not_before_the_log(store, day, today)
        by = schedule_of(store).name
        store.ready_as_of(day, by)
        # the counts of one state of the collection: a grade another terminal commits
        # meanwhile is in all of them or in none
        with store.snapshot():
            store.check_due_dates(by)  # as `show` and `study` would refuse the card
            settings = store.settings()
            cap = settings.review_cap
            if count:
                sys.stdout.write(f"{store.due_count(day, by, settings.new_per_day, cap)}\n")
                sys.stdout.flush()
                return
            counts = store.topic_counts(day, by)
            limit = settings.new_per_day
            new_left = limit - store.new_introduced(day)
            left = cap_left(cap, store.reviews_today(day) if cap is not None else 0)
            next_due = store.next_due(day, by)
            # cards last graded below 4 today come back in the next session (`dlcards.session`)
            again = len(store.redrills_due(day, REDRILL_BELOW))
    total_due = sum(c.due for c in counts)
    total_new = sum(c.new for c in counts)
    due_today, new_today = today_counts(total_due, total_new, new_left, left)
    # new cards the day's limit allows but the review cap leaves no room for
    new_beyond_cap = max(min(max(new_left, 0), total_new) - new_today, 0)
    if total_due > due_today:  # due reviews the cap holds back are still due tomorrow (the
        from datetime import timedelta  # study summary says so); the first due date after

        tomorrow = day + timedelta(days=1)  # today was a later card's, with a backlog waiting
        next_due = tomorrow if next_due is None else min(next_due, tomorrow)
    data: dict[str, Any] = {
        "today": day.isoformat(),
        "due": total_due,
        "new": total_new,
        "new_today": new_today,
        "reviews_per_day": cap,
        "due_today": due_today,
        "beyond_cap": total_due - due_today,
        "new_beyond_cap": new_beyond_cap,
        "redrills_today": again,
        "next_due": next_due.isoformat() if next_due else None,
        "topics": [{"topic": c.topic, "due": c.due, "new": c.new} for c in counts],
    }
    if json_:
        print_json(data)
        return
    from dlcards.console import print_table

    columns = [("topic", "cyan", "left"), ("due", "green", "right"), ("new", "blue", "right")]
    rows = [[c.topic, counted(c.due), counted(c.new)] for c in counts]
    rows.append(["total", counted(total_due), counted(total_new)])
    today_line = [
        ("Today: ", ""),
        (counted(due_today), "bold green"),
        (" due, ", ""),
        (counted(new_today), "bold blue"),
        (f" new (of {counted(limit)} a day)", ""),
        *(
            [
                (", ", ""),
                (counted(again), "bold red"),
                (" to re-drill (graded below 4 earlier today)", ""),
            ]
            if again
            else []
        ),
        (".", ""),
        *([(f" Next review after today: {next_due}.", "")] if next_due else []),
    ]
    lines = [today_line]
    capped = "" if cap is None else counted(cap)  # a backlog waits only beyond a cap
    if data["beyond_cap"]:
        lines.append(
            [
                (
                    f"{plural(data['beyond_cap'], 'more due review')} "
                    f"{'waits' if data['beyond_cap'] == 1 else 'wait'} beyond the daily cap "
                    f"of {capped}",
                    "yellow",
                ),
                (" (most overdue first; `dlcards config reviews_per_day N` to change)", ""),
            ]
        )
    if new_beyond_cap:
        lines.append(
            [
                (
                    f"{plural(new_beyond_cap, 'new card')} "
                    f"{'waits' if new_beyond_cap == 1 else 'wait'}: the daily review cap of "
                    f"{capped} leaves no room for {'it' if new_beyond_cap == 1 else 'them'} today",
                    "yellow",
                ),
                (" (`dlcards config reviews_per_day N` to change)", ""),
            ]
        )
    print_table(columns, rows, lines, no_wrap=("topic",))


def stats(decks: Sequence[str], db: str | None, today: str | None, json_: bool) -> None:
    """Progress: cards by state, reviews, retention, ease, leeches, streak, 30-day forecast,
    the year's heatmap, true retention and the memory histograms."""
    from datetime import date, timedelta

    from dlcards.commands.common import (
        not_before_the_log,
        schedule_of,
        synced_store,
        today_from,
    )
    from dlcards.commands.stats_views import render_stats, streak_of
    from dlcards.console import out, print_json

    day = today_from(today)
    with synced_store(db, decks) as store:
        from dlcards.scheduling import Fsrs

        day = not_before_the_log(store, day, today)
        # the writes a look can need, before the reads: the end of a rebuild a killed `config`
        # left half done, and a past day's FSRS states in the log, once after a switch
        schedule = schedule_of(store)
        store.ready_as_of(day, schedule.name)
        # every figure from one state of the collection: a grade committed meanwhile by another
        # terminal is in all of them (the week's count, the heatmap, the card sums) or in none
        with store.snapshot():
            from dlcards.recall import LOW_RECALL
            from dlcards.stats import (
                RETENTION_WINDOWS,
                heatmap,
                histograms,
                overview,
                retention_counts,
                retention_since,
                tally_of,
            )

            # every review given so far: those a clock set ahead dated after the clock's day
            # too (they are past, `Reports.take_clock_day`), in the total and in each window
            # from its first day on (given before now, at moments the clock did not tell); a
            # past day given (--today), up to it
            end = store.log_end(day)
            week, month, ever = store.review_counts(
                end, day - timedelta(days=6), day - timedelta(days=29), date.min
            )
            # read up to its first gap; the run of days the clock ahead dated counts too
            streak = streak_of(store.study_days_newest(day), day)
            if end > day:
                streak = max(streak, streak_of(store.study_days_newest(end), end))
            scheduler = schedule.name
            store.check_due_dates(scheduler)  # the tally would count a damaged due as another day
            # summed by SQL, unless reviews logged after `day` must be taken back first
            fsrs = schedule.active if isinstance(schedule.active, Fsrs) else None
            tally = (
                None
                if store.has_later(day)
                else store.card_tally(scheduler, day, fsrs.parameters if fsrs else None)
            )
            cards = tally if tally is not None else tally_of(store.card_rows(scheduler, as_of=day))
            view = overview(cards, day, schedule.active.curves)
            calendar = heatmap(
                {
                    date.fromisoformat(c.day): c.reviews
                    for c in store.reviews_by_day(day - timedelta(days=7 * 53), end)
                },
                day,
                last=end,
            )
            windows = (day - timedelta(days=b) for _, b in RETENTION_WINDOWS)
            retention_rows = store.true_retention(end, *windows, date.min)
            retention = retention_counts(retention_rows, day)
            retention_ever = retention_since(retention_rows, date.min)
            bins = histograms(cards, scheduler)
    recall = view.recall
    data: dict[str, Any] = {
        "today": day.isoformat(),
        "cards": view.cards,
        "reviews": {
            "last_7_days": week.reviews,
            "last_30_days": month.reviews,
            "total": ever.reviews,
        },
        # Retention is Anki's true retention: answers to cards reviewed before (the table's
        # "all" column); "passed" counts every scheduled answer, a new card's first one too
        # (re-drills left out).
        "retention": {
            "last_30_days": retention["overall"]["30 days"]["all"]["retention"],
            "total": retention_ever["retention"],
        },
        "passed": {
            "last_30_days": round(month.passed / month.scheduled, 4) if month.scheduled else None,
            "total": round(ever.passed / ever.scheduled, 4) if ever.scheduled else None,
        },
        "average_ef": view.average_ef,
        "average_difficulty": view.average_difficulty,
        "scheduler": scheduler,
        "recall": {
            "average": round(recall.average, 4) if recall.average is not None else None,
            "below_0_8": recall.below,
            "threshold": LOW_RECALL,
        },
        "leeches": [
            {"id": cid, "topic": topic, "lapses": n, "suspended": held}
            for cid, topic, n, held in view.leeches
        ],
        "streak_days": streak,
        "forecast": [{"day": d.isoformat(), "due": n} for d, n in view.forecast],
        "heatmap": calendar.as_json(),
        "true_retention": retention,
        "histograms": {
            name: [{"bin": label, "cards": n} for label, n in counts]
            for name, counts in bins.items()
        },
    }
    if json_:
        print_json(data)
        return
    from dlcards.commands.stats_views import write_stats

    if not write_stats(data):  # without rich where it can; rich lays out the rest
        render_stats(out(), data)


def search(
    query: Sequence[str],
    limit: int,
    decks: Sequence[str],
    db: str | None,
    today: str | None,
    json_: bool,
) -> None:
    """Find cards by their words (`dlcards.commands.search`): each line the card id, the topic
    and the question with the matching words highlighted; a snippet of another field on the
    next line when the words matched there."""
    from dlcards.commands.common import (
        not_before_the_log,
        schedule_of,
        synced_store,
        today_from,
        unknown_names,
        with_decks,
    )
    from dlcards.console import counted, echo, escaped, out, plural, print_json
    from dlcards.render import to_output, to_plain
    from dlcards.search import highlight_spans, parse_words, shell_quotes_after, snippet

    text = " ".join(query)
    parsed = parse_words(query, "dlcards search")
    day = today_from(today)
    with synced_store(db, decks) as store:
        day = not_before_the_log(store, day, today)
        parsed = with_decks(parsed, decks, store=store)
        by = schedule_of(store).name
        store.ready_as_of(day, by)
        # the hits, their count, text and flags of one state of the collection: a card another
        # terminal suspends or grades meanwhile is as it was in all of them or as it is in all
        with store.snapshot():
            hits, total = store.search(parsed, day, by, limit)
            # the cards' text as the index holds it (the decks' as synced just now): at
            # 100,000 cards, loading the decks of 50 hits took 0.7 s of the command's 0.9
            texts = store.search_texts([hit.id for hit in hits])
            marks = store.marks_among([hit.id for hit in hits])
    words = parsed.words
    # JSON keeps the text as rendered; lines on stdout are as `show` and `list` write them
    # (`render.to_output`): where stdout cannot show a character, spelled with the formulas
    # known, \Sigma as Sigma and x̃ as x_tilde (spelled without them, \Sigma read as sum)
    spell = to_plain if json_ else to_output
    rows: list[dict[str, Any]] = []
    for hit in hits:
        question_text, answer, erratum, note, tags = texts[hit.id]
        question = " ".join(spell(question_text).split())
        elsewhere = None
        if words and not highlight_spans(question, words):
            fields = [
                ("answer", spell(answer)),
                ("erratum", spell(erratum)),
                ("note", spell(note)),
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
                "suspended": hit.id in marks.suspended,
                "leech": hit.id in marks.leeches,
            }
        )
    if not hits:  # a topic or tag no deck has: the same error in a script's JSON
        unknown_names(parsed, decks)
    if json_:
        from dlcards.catalog import load_catalog

        catalog = load_catalog(decks)  # where each card is: its deck file and line
        for row in rows:
            card = catalog.card(row["id"])
            row.update(file=card.file, line=card.line)
        print_json({"query": text, "total": total, "cards": rows})
        return
    console = out()
    if not hits:
        # (a line broken between words, never inside the command to type)
        said = f"No card matches '{escaped(text)}'."  # (a huge word by its ends)
        echo(said + shell_quotes_after(query, "dlcards search"))
        return
    for line in _search_lines(rows, words, console.width, console.is_terminal):
        console.print(line, no_wrap=True, overflow="ignore", crop=console.is_terminal)
    shown = len(rows)
    more = f" (the first {counted(shown)}; --limit N for more)" if shown < total else ""
    verb = "matches" if total == 1 else "match"
    console.print(f"[dim]{plural(total, 'card')} {verb}{more}[/dim]")


QUESTION_ROOM = 30
"""The fewest columns a question gets beside its id and topic in `search`: narrower, each
card's question goes under its id, wrapped, whole."""


def _search_lines(rows: list[dict[str, Any]], words: Any, width: int, terminal: bool) -> list[Any]:
    """One line per card, in columns: the id and the topic padded to the widest shown, so
    every question starts in the same column, and a snippet (the words matched elsewhere) on
    the next line under the question, after `↳`. On a terminal each line fits `width` (the
    question cut after a whole word or formula); in a pipe the lines are whole, for grep.
    On a terminal the topic column is left out where it only repeats the ids' prefixes and
    costs the questions room (`console.topic_column`). A terminal too narrow to give the
    questions QUESTION_ROOM columns beside the ids (and topics) gets each card's id and
    topic on a line, and its question under them, wrapped, whole (at 40 columns the column
    was 25 wide: `How does the gradient…`)."""
    from rich.cells import cell_len
    from rich.text import Text

    from dlcards.console import topic_column
    from dlcards.flow import clip
    from dlcards.search import fit_snippet

    ids = [_search_id(row) for row in rows]
    id_w = max(i.cell_len for i in ids)
    topic_w = max(cell_len(row["topic"]) for row in rows)
    longest = max(cell_len(row["question"]) for row in rows)
    cards = [(row["id"], row["topic"]) for row in rows]
    topics = topic_column(cards, width - (id_w + 2 + topic_w + 2), longest, terminal)
    indent = id_w + 2 + (topic_w + 2 if topics else 0)
    if terminal and width - indent < QUESTION_ROOM:
        return _search_stacked(rows, words, width)
    room = max(width - indent, 1) if terminal else None

    def marked(text: str, style: str = "") -> Text:
        return _marked(clip(text, room) if room else text, words, style)

    lines: list[Any] = []
    for row, shown_id in zip(rows, ids, strict=True):
        line = shown_id + " " * (id_w + 2 - shown_id.cell_len)
        if topics:
            line.append(row["topic"].ljust(topic_w + 2), style="dim")
        lines.append(line + marked(row["question"]))
        if row["snippet"]:  # the words matched another field: where, on a line of its own
            where = Text(" " * max(indent - 2, 0) + "↳ ", style="dim")
            shown = row["snippet"] if room is None else fit_snippet(row["snippet"], words, room)
            lines.append(where + marked(shown, "dim"))
    return lines


def _search_stacked(rows: list[dict[str, Any]], words: Any, width: int) -> list[Any]:
    """`_search_lines` on a narrow terminal: per card, its id and topic on a line, then its
    question indented two, in lines of the width broken between words (formulas kept
    together), and the snippet after `↳`, cut to the line around its match."""
    from rich.text import Text

    from dlcards.flow import clip, wrap
    from dlcards.search import fit_snippet

    room = max(width - 2, 1)
    lines: list[Any] = []
    for row in rows:
        head = _search_id(row)
        if head.cell_len + 2 + len(row["topic"]) <= width:
            head.append("  " + row["topic"], style="dim")
        lines.append(head)
        lines += [Text("  ") + _marked(line, words) for line in wrap(row["question"], room)]
        if row["snippet"]:
            shown = clip(fit_snippet(row["snippet"], words, room - 2), room - 2)
            lines.append(Text("  ↳ ", style="dim") + _marked(shown, words, "dim"))
    return lines


def _search_id(row: dict[str, Any]) -> Text:
    """A found card's id, and `(s)` after it when it is suspended, as `list` marks it."""
    from rich.text import Text

    from dlcards.console import SUSPENDED_MARK

    shown = Text(row["id"], style="bold cyan")
    if row["suspended"]:
        shown.append(SUSPENDED_MARK, style="yellow")
    return shown


def _marked(text: str, words: Any, style: str = "") -> Text:
    """`text` as rich Text in `style`, the words a search matched in it highlighted."""
    from rich.text import Text

    from dlcards.search import highlight_spans

    shown = Text(text, style=style)
    for a, b in highlight_spans(text, words):
        shown.stylize("bold reverse", a, b)
    return shown


def study(
    topic: Sequence[str],
    tag: str | None,
    new: int | None,
    reviews: int | None,
    search: str | None,
    decks: Sequence[str],
    db: str | None,
    today: str | None,
) -> int:
    """Study today's cards (`dlcards.commands.study`): the exit code."""
    from dlcards.commands.study import run
    from dlcards.terminal import stops_as_ctrl_c

    with stops_as_ctrl_c():
        return run(topic, tag, new, reviews, search, decks, db, today)
