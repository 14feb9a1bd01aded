"""The search against Anki's own: the same cards, with the same scheduling, in a dlcards
database and in a real Anki collection (the `anki` package from PyPI), each query run by both
(`col.find_cards`), the cards added, edited and answered on the same days before each one's
today (`rated:`, `introduced:`, `added:`, `edited:`); the queries Anki refuses refused here
too; Anki's searches dlcards does not have refused by name, never answered with a wrong list.

The cards' words are chosen where dlcards's index and Anki's substring search agree (every
query word starts the words it finds, no query word is a tag): that a word finds the words it
starts rather than any text containing it is dlcards's own rule (README, "Search")."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path

import helpers as h
import pytest
import yaml
from typer.testing import CliRunner

from dlcards.catalog import load_catalog
from dlcards.cli import app
from dlcards.days import study_day_start
from dlcards.errors import UsageError
from dlcards.importers.anki_progress import GRADES as IMPORTED
from dlcards.search import parse
from dlcards.store import Store

pytest.importorskip("anki")

from anki.collection import Collection  # noqa: E402
from anki.errors import SearchError  # noqa: E402

TODAY = date(2026, 6, 1)
DECKS = {  # topic -> (question, answer, tags); the ids are `topic-<n>`
    "t0": [
        ("What does momentum add to gradient descent?", "A velocity term", ["math"]),
        ("Adam combines momentum and RMSProp", "Adaptive moments", ["math", "relux"]),
        ("The learning rate sets the step size", "Too large diverges", ["mx"]),
        ('They say "hi" to the loss', "C++ and Rust", ["my_tag", "c++"]),
        ("Dropout regularizes", "Un résumé", ["myxtag", "ml::cnn", "über"]),
        ("Batch norm", "Normalizes activations", []),
    ],
    "t1": [
        ("Sigmoid squashes", "into (0, 1)", ["math"]),
        ("ReLU is max(0, x)", "piecewise linear", []),
        ("Pooling", "Downsamples", ["ml", "日本::タグ"]),
    ],
    "tx_y": [("Softmax outputs probabilities", "They sum to one", ["relux", "ml::rnn::lstm"])],
}
GRADES = {  # card -> (days before TODAY, SM-2 grade, re-drill), oldest first
    "t0-0": [(10, 5, False)],
    "t0-1": [(20, 5, False), (19, 5, False)],
    "t0-2": [(3, 5, False), (2, 1, False), (2, 4, True)],
    "t0-3": [(1, 4, False), (0, 2, False), (0, 5, True)],
    "t1-0": [(30, 5, False), (29, 5, False), (23, 5, False), (1, 0, False)],
    "t1-1": [(5, 3, False)],
}
RESETS = {"t1-0": 6}  # card -> days before TODAY it was reset (made new; Anki's "Forget")
ADDED = {"t0-4": 0, "t0-5": 2, "t1-1": 6, "tx_y-0": 6}  # days before TODAY; the others 40
EDITED = {"t0-0": 1, "t0-2": 4, "t1-0": 0}  # the text changed then; the others as added
BUTTON = {grade: button for button, grade in IMPORTED.items()} | {0: 1, 2: 1}
"""The Anki button for each grade: the import's mapping read backwards, and the two failing
grades Anki has no button for, Again (README, "Search": `rated:N:B`)."""
SUSPENDED = ["t1-1", "tx_y-0"]


def moment(days: int) -> datetime:
    """A time on the study day `days` before TODAY (its start, local time, and two hours)."""
    return study_day_start(TODAY - timedelta(days)) + timedelta(hours=2)


def write_decks(decks: Path, draft: set[str]) -> None:
    """The decks, with the cards in `draft` as they were before their edit."""
    for topic, cards in DECKS.items():
        data = {
            "topic": topic,
            "title": topic,
            "cards": [
                {
                    "id": f"{topic}-{i}",
                    "question": q,
                    "answer": a + (" (draft)" if f"{topic}-{i}" in draft else ""),
                    "tags": tags,
                }
                for i, (q, a, tags) in enumerate(cards)
            ],
        }
        (decks / f"{topic}.yaml").write_text(yaml.safe_dump(data, sort_keys=False))


class Both:
    """The cards in dlcards and in Anki; `run(query)` gives the ids each finds."""

    def __init__(self, root: Path) -> None:
        self.ids = {f"{t}-{i}" for t, cards in DECKS.items() for i in range(len(cards))}
        self.added = {card_id: ADDED.get(card_id, 40) for card_id in self.ids}
        decks = root / "decks"
        decks.mkdir()
        self.store = Store.open(root / "p.db")
        # a sync on each day a card came or was edited: the cards there by then, as they were
        for day in sorted(set(self.added.values()) | set(EDITED.values()), reverse=True):
            write_decks(decks, {c for c, edited in EDITED.items() if edited < day})
            cards = load_catalog([decks], use_cache=False).cards
            there = [c for c in cards if c.id not in self.added or self.added[c.id] >= day]
            self.store.sync(there, f"sig{day}", moment(day))
        answers = sorted(
            ((answer[0], order, card_id, answer) for card_id, each in GRADES.items()
             for order, answer in enumerate(each)),
            key=lambda a: (-a[0], a[1]),
        )  # fmt: skip
        resets = dict(RESETS)
        for days, _, card_id, (_, grade, redrill) in answers:
            if resets.get(card_id, -1) > days:  # reset before this answer
                self.store.reset([card_id], moment(resets.pop(card_id)))
            h.grade(
                self.store, card_id, grade, TODAY - timedelta(days), moment(days), redrill=redrill
            )
        self.store.set_suspended(SUSPENDED, True)

        self.col = Collection(str(root / "anki.anki2"))
        basic = self.col.models.by_name("Basic")
        assert basic is not None
        self.anki_ids: dict[int, str] = {}
        for topic, cards in DECKS.items():
            deck = self.col.decks.id(topic)
            assert deck is not None
            for i, (question, answer, tags) in enumerate(cards):
                note = self.col.new_note(basic)
                note["Front"], note["Back"] = question, answer
                note.tags = list(tags)
                self.col.add_note(note, deck)
                self.anki_ids[note.card_ids()[0]] = f"{topic}-{i}"
        self._copy_dates()
        self._copy_scheduling()

    def _anki_ms(self, days: int, n: int = 0) -> int:
        """A time (ms) on Anki's study day `days` before its today, two hours after its start,
        and `n` ms."""
        return (self.col.sched.day_cutoff - 86_400 * (days + 1) + 7_200) * 1000 + n

    def _copy_dates(self) -> None:
        """Each card's creation (Anki's card id), its note's last change and its answers
        (each with the Anki button for its grade), and each reset as Anki logs one (ease 0),
        on the same days before Anki's today as in dlcards."""
        by_card = {card_id: anki_id for anki_id, card_id in self.anki_ids.items()}
        renamed: dict[int, str] = {}
        for n, (card_id, anki_id) in enumerate(sorted(by_card.items())):
            new_id = self._anki_ms(self.added[card_id], n)
            self.col.db.execute("UPDATE cards SET id = ? WHERE id = ?", new_id, anki_id)
            note = self.col.db.scalar("SELECT nid FROM cards WHERE id = ?", new_id)
            days = EDITED.get(card_id, self.added[card_id])
            self.col.db.execute(
                "UPDATE notes SET mod = ? WHERE id = ?", self._anki_ms(days) // 1000, note
            )
            renamed[new_id] = card_id
        self.anki_ids = renamed
        by_card = {card_id: anki_id for anki_id, card_id in renamed.items()}
        log = self.store.conn.execute(
            "SELECT id, card_id, day, grade, kind FROM reviews ORDER BY id"
        ).fetchall()
        resets = [(self._anki_ms(days, 900), by_card[c], 0, 4) for c, days in RESETS.items()]
        rows = [
            (self._anki_ms((TODAY - date.fromisoformat(day)).days, id_), by_card[card_id],
             BUTTON[grade], 2 if kind == "redrill" else 1)
            for id_, card_id, day, grade, kind in log if card_id in by_card
        ] + resets  # fmt: skip
        for row in rows:
            self.col.db.execute(
                "INSERT INTO revlog (id, cid, usn, ease, ivl, lastIvl, factor, time, type) "
                "VALUES (?, ?, -1, ?, 1, 0, 2500, 1000, ?)",
                *row,
            )

    def _copy_scheduling(self) -> None:
        """Each answered card as an Anki review card with dlcards's interval, due day, EF,
        answers and lapses; suspended ones in Anki's suspended queue. A new card keeps what
        Anki gives a new card (factor, interval and reps 0)."""
        reps = self.store.answer_counts(sorted(self.ids))
        rows = self.store.conn.execute(
            "SELECT card_id, ef, interval, due, lapses FROM sm2 WHERE last_review IS NOT NULL"
        ).fetchall()
        anki_today = self.col.sched.today
        by_id = {v: k for k, v in self.anki_ids.items()}
        for card_id, ef, interval, due, lapses in rows:
            if card_id not in self.ids:
                continue
            days = (date.fromisoformat(due) - TODAY).days
            self.col.db.execute(
                "UPDATE cards SET type = 2, queue = 2, ivl = ?, due = ?, factor = ?, reps = ?, "
                "lapses = ? WHERE id = ?",
                interval,
                anki_today + days,
                ef * 10,
                reps[card_id],
                lapses,
                by_id[card_id],
            )
        self.col.sched.suspend_cards([by_id[c] for c in SUSPENDED])

    def dlcards(self, query: str) -> set[str]:
        hits, _ = self.store.search(parse(query), TODAY, "sm2")
        return {hit.id for hit in hits} & self.ids  # the built-in decks are there too

    def anki(self, query: str) -> set[str]:
        return {self.anki_ids[cid] for cid in self.col.find_cards(query)}

    def close(self) -> None:
        self.store.close()
        self.col.close()


@pytest.fixture(scope="module")
def both(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Both]:
    made = Both(tmp_path_factory.mktemp("both"))
    yield made
    made.close()


SAME = [
    # words, phrases, and/or, negation, groups
    "momentum", "moment*", "Momentum ADAM", "momentum and adam", "momentum or sigmoid",
    "momentum OR sigmoid -adam", "(momentum or sigmoid) -tag:math", "-(momentum or sigmoid)",
    "-momentum", '"learning rate"', '"learning rate" or softmax', "momentum or sigmoid relu",
    '-"learning rate"', "*", "-*",
    # escapes, punctuation after a word, text that is a filter, nc:, w:
    '\\"hi\\"', "C++", '"tag:math"', "w:momentum", "w:moment", "nc:resume", "max\\(0",
    # tags: `*` within one tag, `_` one character, none, any
    "tag:math", "-tag:math", "TAG:MATH", "tag:ma*", "tag:m*x", "tag:my_tag", "tag:none",
    "-tag:none", "tag:*", "tag:re*", "tag:*x", 'tag:"math"',
    # tags Anki keeps (not ASCII letters, `::` between a hierarchy's parts): a tag finds
    # those under it, in any case; `nc:` without accents
    "tag:C++", "tag:c+*", "tag:ml", "-tag:ml", "tag:ML::CNN", "tag:ml::*", "tag:*::cnn",
    "tag:ml::rnn", "tag:*::lstm", "tag:m_", "tag:m_::*", "tag:日本", "tag:タグ",
    "tag:*タグ", "tag:über", "tag:ÜBER", "tag:uber", "tag:nc:uber", "tag:nc:ÜBER", "tag:ü*",
    # a pattern of stars alone is any tag (a card with none is not found), `none` Anki's word
    # in lower case only (`tag:NONE` a tag of that name)
    "tag:**", "tag:***", "-tag:**", "tag:nc:**", "tag:NONE", "tag:None", "tag:nc:NONE",
    "-tag:NONE",
    # states and properties (prop:due leaves suspended cards out; a new card's ease is 0)
    "is:due", "is:new", "is:review", "is:suspended", "-is:due", "is:due or is:suspended",
    "is:new is:suspended", "prop:ivl>=1", "prop:ivl=0", "prop:ivl!=1", "prop:ivl>+0",
    "prop:ivl<=4294967295", "prop:reps<+4294967295", "prop:due<2147483647", "prop:due>=-2147483648",
    "prop:due=0", "prop:due<=0", "prop:due>0", "prop:due>-100", "-prop:due<0",
    "prop:lapses>0", "prop:lapses=0", "prop:reps>=2", "prop:reps=0", "prop:ease>2.5",
    "prop:ease<2", "prop:ease=2.5", "prop:ease!=2.5", "prop:ease>=1.3", "Prop:ivl>1",
    # past f32 and u32 (Rust's cast saturates; here `inf` was an OverflowError's traceback)
    "prop:ease>inf", "prop:ease<inf", "prop:ease<=infinity", "prop:ease>1e39", "prop:ease!=1e39",
    "prop:ease<-inf", "prop:ease>=4294967.295", "prop:ease>4294967.296", "prop:ease<nan",
    "prop:ease>INF", "prop:ease<NaN",
    # a negative ease is 0 to Anki (a u32 factor): the new cards, as the README says
    "prop:ease=-1", "prop:ease<0", "prop:ease>-1.5", "prop:ease=2.5001",
    "momentum prop:ivl>=1 tag:math", "is:review or tag:none",
    # answered, by button, first answered, added, edited in the last N days (0 is 1)
    "rated:1", "rated:0", "rated:2", "rated:7", "rated:+30", "rated:31", "rated:4294967295",
    "-rated:2", "rated:1:1", "rated:2:1", "rated:6:2", "rated:3:3", "rated:1:4", "rated:3:04",
    "-rated:7:1", "introduced:1", "introduced:2", "introduced:21", "introduced:31",
    "-introduced:21", "introduced:4294967295", "added:0", "added:3", "added:7", "-added:7",
    "added:41", "edited:1", "edited:2", "edited:5", "-edited:2", "edited:4294967295",
    "rated:7 tag:math", "rated:2 or added:3", "momentum -rated:30", "-(added:7 or rated:1)",
    "(rated:2 or edited:2) -is:suspended", "introduced:31 prop:lapses>0", "RATED:2 -tag:math",
]  # fmt: skip


@pytest.mark.parametrize("query", SAME)
def test_a_query_finds_what_anki_finds(both: Both, query: str) -> None:
    assert both.dlcards(query) == both.anki(query), query


@pytest.mark.parametrize(
    ("query", "anki_query"),
    [("topic:t0", "deck:t0"), ("topic:t_", "deck:t_"), ("topic:t*", "deck:t*"),
     ("-topic:t0", "-deck:t0"), ("topic:tx_y", "deck:tx_y"), ("topic:T1", "deck:T1")],
)  # fmt: skip
def test_a_topic_is_found_as_anki_finds_its_deck(both: Both, query: str, anki_query: str) -> None:
    assert both.dlcards(query) == both.anki(anki_query), query


REFUSED = [
    "(momentum", "momentum)", '"momentum', "prop:ivl>abc", "prop:ivl>=1.5", "prop:ivl>-1",
    "prop:lapses>-1", "prop:due>1.5", "prop:ivl", "prop:ivl=>1", "prop:foo>1", "momentum and",
    "or momentum", "momentum or or adam", "momentum and or adam", "()", ":momentum", '""',
    '"" momentum', "momentum\\", "say\\ now", "momentum\\d", "is:foo",
    "is:DUE", "is:New", "prop:IVL>1", "prop:Lapses>0", "prop:eAse>2",  # Anki's values: lower case
    "rated:", "rated:-1", "rated:-0", "rated:1.5", "rated:x", "rated:4294967296", "rated:1:",
    "rated:1:0", "rated:1:5", "rated:1:x", "rated:1:3:4", "rated:1\\:2", "introduced:-1",
    "added:1.5", "edited:", "edited:4294967296", "rated:\u0663", "prop:ivl>\u0663",
    "prop:due>-\u0663", "prop:ease>\u0663.5",
    # past Rust's u32 (ivl, reps, lapses) and i32 (due): here all cards or none
    "prop:ivl>4294967296", "prop:ivl<99999999999999999999999", "prop:lapses<=4294967296",
    "prop:reps!=+4294967296", "prop:due>2147483648", "prop:due<-2147483649",
]  # fmt: skip


@pytest.mark.no_files
@pytest.mark.parametrize("query", REFUSED)
def test_a_query_anki_refuses_is_one_line_here(query: str, tmp_path: Path) -> None:
    """Anki refuses each of these (checked here, on an empty collection); dlcards read them
    as something (`momentum and` as `momentum`, `""` as every card, `a\\` as `a`)."""
    col = Collection(str(tmp_path / "empty.anki2"))
    try:
        with pytest.raises(SearchError):
            col.find_cards(query)
    finally:
        col.close()
    with pytest.raises(UsageError):
        parse(query)
    result = CliRunner().invoke(app, ["search", "--", query])
    assert result.exit_code == 2 and result.output.count("\n") == 1, result.output
    assert result.output.startswith("error: search: ")


@pytest.mark.no_files
@pytest.mark.parametrize(
    ("query", "named"),
    [("d*g", "'d*g'"), ("*ment", "'*ment'"), ("mo_entum", "'mo_entum'"),
     ("resched:1", "resched:"), ("prop:rated>-1", "prop:rated"), ("re:mom", "re:"),
     ("nc:d*g", "'nc:d*g'"), ("w:mo_ent", "'w:mo_ent'"), ("dupe:1,x", "dupe:"),
     ("has-cd:x", "has-cd:"), ("flag:1", "flag:"), ("card:1", "card:"),
     ("front:momentum", "'front:'"), ("is:learn", "is:learn"), ("is:buried", "is:buried"),
     ("prop:pos>1", "prop:pos"), ("prop:s>1", "prop:s"), ("tag:re:x", "tag:re:x"),
     ("-", "'-'")],
)  # fmt: skip
def test_a_search_of_anki_not_here_is_refused_by_name(query: str, named: str) -> None:
    """Anki answers these; dlcards cannot (no substring index, no such data): one line naming
    the part, not a list that is wrong (`d*g` found nothing, `has-cd:x` searched the words,
    `mo_entum` the words `mo entum`)."""
    with pytest.raises(UsageError, match=re.escape(named)):
        parse(query)
    result = CliRunner().invoke(app, ["search", "--", query])
    assert result.exit_code == 2 and result.output.count("\n") == 1, result.output


def test_the_search_reads_anki_s_escapes_and_quotes() -> None:
    """What a part means, where the lists above cannot tell: `\\"` is no quote, `\\(` no
    group, `\\-` no exclusion, `"a:b"` a field search as in Anki."""
    assert parse('\\"hi\\"').words == ["hi"]
    assert parse("\\(momentum\\)").words == ["momentum"]
    assert parse("\\-momentum").terms[0].negated is False
    assert parse("-\\-momentum").terms[0].negated is True
    assert parse('tag:"math"').filters == parse("tag:math").filters
    with pytest.raises(UsageError, match="unknown field 'a:'"):
        parse('"a:b"')
    assert parse("a\\:b").words == ["a", "b"]
