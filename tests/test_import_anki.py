"""The pure parts of the Anki import, without Anki: the protobuf reader, buttons -> grades, the
local day, HTML -> Markdown, clozes, and the store's merge in time order (reset points,
re-decided kinds, idempotence, the schema 5 -> 6 migration)."""

from __future__ import annotations

import json
import math
import sqlite3
import zipfile
from collections.abc import Iterator
from datetime import date, datetime, timedelta, timezone
from functools import cache
from pathlib import Path
from typing import Any

import helpers as h
import pytest
from hypothesis import assume, example, given, settings
from hypothesis import strategies as st
from test_stats_tally import check_tallies

from dlcards.deck import parse_deck
from dlcards.errors import StoreError
from dlcards.importers.anki_file import Card, Collection, Note, Revlog, media_names, proto_fields
from dlcards.importers.anki_notes import cloze_numbers, cloze_sides, slug, tag_of, to_markdown
from dlcards.importers.anki_progress import convert, convert_rows
from dlcards.markup import tokens
from dlcards.sm2 import Grade, State, review
from dlcards.store import ImportedReview, ImportedReviews, Store

D = date(2026, 3, 2)


@pytest.fixture
def tz() -> Iterator[None]:
    with h.time_zone("Asia/Kolkata"):
        yield


# --- protobuf ------------------------------------------------------------------------------------


def test_proto_fields_reads_varints_and_bytes() -> None:
    # field 1 varint 150 (the protobuf guide's example), field 2 "hi", a fixed64 skipped
    data = bytes([0x08, 0x96, 0x01, 0x12, 0x02]) + b"hi" + bytes([0x19]) + b"\x00" * 8
    assert list(proto_fields(data)) == [(1, 150), (2, b"hi")]
    with pytest.raises(ValueError):
        list(proto_fields(bytes([0x12, 0x05, 0x61])))


def test_media_names_follow_the_entry_order() -> None:
    def entry(name: str, extra: bytes = b"") -> bytes:
        body = b"\x0a" + bytes([len(name)]) + name.encode() + b"\x10\x09" + extra
        return b"\x0a" + bytes([len(body)]) + body

    data = entry("a.png") + entry("b c.jpg") + entry("old.mp3", b"\xf8\x0f\x07")  # field 255 = 7
    assert media_names(data) == {"0": "a.png", "1": "b c.jpg", "7": "old.mp3"}


# --- reviews -------------------------------------------------------------------------------------


def collection(*revlog: Revlog) -> Collection:
    return Collection(
        Path("x.apkg"),
        18,
        {},
        {1: "Default"},
        [Note(10, "g", 1, (), ("q", "a")), Note(20, "other", 1, (), ("q", "a"))],
        [Card(100, 10, 1, 0), Card(200, 20, 1, 0)],
        list(revlog),
    )


def test_the_guids_kept_for_old_conversions_are_of_their_own_notes_only() -> None:
    """`unkept_guids`: a card an older dlcards converted from a note of one card (its id made
    from the GUID) whose GUID nothing keeps gets it; not a card of a note of two cards, not
    one whose GUID is kept (its deck's or the database's), not a card dlcards exported, and
    not a GUID another card already holds (the package would have two notes of one GUID)."""
    from dlcards.importers.anki_notes import note_key
    from dlcards.importers.anki_progress import unkept_guids

    notes = [Note(i, f"g{i}", 1, (), ("q", "a")) for i in (1, 2, 3, 4, 5)]
    cards = [Card(10, 1, 1, 0), Card(20, 2, 1, 0), Card(21, 2, 1, 1), Card(30, 3, 1, 0)]
    cards += [Card(40, 4, 1, 0), Card(50, 5, 1, 0)]
    col = Collection(Path("x.apkg"), 18, {}, {1: "D"}, notes, cards, [])
    ids = {10: note_key("g1"), 20: note_key("g2"), 30: note_key("g3"), 40: "gd-1"}
    ids[50] = note_key("g5")
    assert unkept_guids(col, ids, {}) == {
        note_key("g1"): "g1",
        note_key("g3"): "g3",
        note_key("g5"): "g5",
    }
    kept = {note_key("g3"): "g3", "other-card": "g5"}
    assert unkept_guids(col, ids, kept) == {note_key("g1"): "g1"}


def test_a_topics_deck_is_where_most_of_its_cards_live_a_tie_keeping_its_name() -> None:
    """`home_decks`: each topic's Anki deck is the one most of its cards are in (their home
    deck: the reader gives a card in a filtered deck its own); a tie keeps the deck the topic
    is exported to now, else the first name; a card of no topic here counts for none."""
    from dlcards.importers.anki_progress import home_decks

    decks = {1: "DL::A", 2: "Hard", 3: "Deep Learning::B", 4: "Other"}
    homes = {100: 1, 101: 1, 102: 2, 200: 3, 201: 4, 300: 2, 301: 4}
    cards = [Card(cid, cid, did, 0) for cid, did in homes.items()]
    notes = [Note(cid, f"g{cid}", 1, (), ("q", "a")) for cid in homes]
    col = Collection(Path("x.apkg"), 18, {}, decks, notes, cards, [])
    known = {100: "a-1", 101: "a-2", 102: "a-3", 200: "b-1", 201: "b-2", 300: "c-1", 301: "c-2"}
    topic = {"a": "a", "b": "b", "c": "c"}
    named = {"a": "Deep Learning::A", "b": "Deep Learning::B", "c": "Deep Learning::C"}
    got = home_decks(col, known, lambda cid: topic.get(cid.split("-")[0]), named)
    # a: two of three in DL::A; b: a tie, kept where it is exported; c: a tie, the first name
    assert got == {"a": "DL::A", "b": "Deep Learning::B", "c": "Hard"}
    assert home_decks(col, known, lambda cid: None, named) == {}


def ms(stamp: str) -> int:
    return int(datetime.fromisoformat(stamp).timestamp() * 1000)


def test_buttons_days_and_unknown_notes(tz: None) -> None:
    col = collection(
        Revlog(ms("2026-03-01T23:45:00+00:00"), 100, 1, 1, 8000),  # 05:15 on the 2nd in Kolkata
        Revlog(ms("2026-03-02T00:10:00+00:00"), 100, 2, 2, 0),
        Revlog(ms("2026-03-02T01:00:00+00:00"), 100, 3, 1, 0),
        Revlog(ms("2026-03-02T02:00:00+00:00"), 100, 4, 1, 0),
        Revlog(ms("2026-03-02T03:00:00+00:00"), 100, 0, 4, 0),  # "set due date": no answer
        Revlog(ms("2026-03-02T04:00:00+00:00"), 200, 3, 1, 0),
        Revlog(ms("2026-03-02T05:00:00+00:00"), 201, 3, 1, 0),  # a card no longer there
    )
    result = convert(col, {100: "x-1"})
    assert [(r.day, r.grade) for r in result.reviews] == [(D, 1), (D, 3), (D, 4), (D, 5)]
    assert result.reviews[0].reviewed_at == "2026-03-02T05:15:00.000+05:30"
    assert result.reviews[0].seconds == 8.0 and result.reviews[1].seconds is None
    # card 201 was deleted in Anki: its answer is no note's (a helper's run: it was counted as
    # a note dlcards does not know, with advice to bring the note in that cannot work)
    for way in (convert, convert_rows):
        got = way(col, {100: "x-1"})
        assert (got.unknown_reviews, got.unknown_notes, got.deleted, got.answers) == (2, 1, 1, 6)


def test_previews_in_a_filtered_deck_that_does_not_reschedule_are_left_out(tz: None) -> None:
    """A round trip with real Anki: Again pressed on three new cards in a preview deck left
    them new in Anki, but here they became studied cards due the next day. Anki logs such an
    answer as kind 3 (filtered) with ease factor 0 and never schedules by it; a filtered
    deck that reschedules logs kind 3 with the card's ease, which counts."""
    rows = (
        Revlog(ms("2026-03-02T01:00:00+00:00"), 100, 1, 3, 0, 0),  # preview: Again
        Revlog(ms("2026-03-02T02:00:00+00:00"), 100, 3, 3, 0, 0),  # preview: Good
        Revlog(ms("2026-03-02T03:00:00+00:00"), 100, 3, 3, 0, 2500),  # rescheduling deck
        Revlog(ms("2026-03-02T04:00:00+00:00"), 100, 0, 4, 0, 0),  # a reset: no answer
    )
    for way in (convert, convert_rows):
        result = way(collection(*rows), {100: "x-1"})
        assert [r.anki_id for r in result.reviews] == [rows[2].id]
        assert (result.answers, result.previews) == (1, 2)


def test_the_day_is_the_local_one(tz: None) -> None:
    late = Revlog(ms("2026-03-01T18:29:59+00:00"), 100, 3, 1, 0)  # 23:59:59 in Kolkata
    early = Revlog(ms("2026-03-01T18:30:00+00:00"), 100, 3, 1, 0)  # midnight there
    for way in (convert, convert_rows):  # a study day that starts at midnight
        days = [r.day for r in way(collection(late, early), {100: "x-1"}, 0).reviews]
        assert days == [date(2026, 3, 1), date(2026, 3, 2)]


def test_the_day_of_an_anki_review_starts_at_day_starts_at(tz: None) -> None:
    """A review at 1 AM in Anki belongs to the evening before (Anki's "next day starts at",
    4 by default), as a grade given here at that hour does: the two logs take the same day."""
    rows = [
        Revlog(ms("2026-03-01T18:30:00+00:00"), 100, 3, 1, 0),  # 00:00 in Kolkata
        Revlog(ms("2026-03-01T22:29:59+00:00"), 100, 3, 1, 0),  # 03:59:59
        Revlog(ms("2026-03-01T22:30:00+00:00"), 100, 3, 1, 0),  # 04:00
    ]
    for way in (convert, convert_rows):
        days = [r.day for r in way(collection(*rows), {100: "x-1"}).reviews]
        assert days == [date(2026, 3, 1), date(2026, 3, 1), date(2026, 3, 2)], way
        days = [r.day for r in way(collection(*rows), {100: "x-1"}, 5).reviews]
        assert days == [date(2026, 3, 1)] * 3, way
    # the time logged stays the moment, in the calendar's date
    stamps = [r.reviewed_at for r in convert_rows(collection(*rows), {100: "x-1"}).reviews]
    assert stamps[0].startswith("2026-03-02T00:00:00")


# --- HTML -> Markdown ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("html", "markdown"),
    [
        ("<b>bold</b> and <i>it</i>", "**bold** and *it*"),
        ("<b> spaced </b>x", " **spaced** x".strip()),
        ("a<br>b<div>c</div><div>d</div>", "a<br>b<br>c<br>d"),
        ("x &amp; y &lt; z&nbsp;w", "x & y < z w"),
        ("5$ * 2 `tick` \\", "5\\$ \\* 2 \\`tick\\` \\\\"),
        ("<code>a*b</code>", "`a*b`"),
        ("\\(x &lt; 1\\) and \\[ \\sum_i x_i \\]", "$x < 1$ and $$\\sum_i x_i$$"),
        ('<img src="a%20b.png"> [sound:s.mp3]', "![](media/a%20b.png) [sound: media/s.mp3]"),
        # a sound's name as Anki plays it (entities decoded): not Markdown-escaped, its spaces
        # kept (it was `media/a%5C%2Ab.mp3`, `a\*b.mp3` looked for among the media)
        (
            "<b>[sound:a*b.mp3]</b> [sound:$5  x&amp;y.mp3]",
            "**[sound: media/a%2Ab.mp3]** [sound: media/%245%20%20x%26y.mp3]",
        ),
        # a '[sound:' Anki shows as text is text in the deck too
        ("&#91;sound:x.mp3] and [sound:/]", "\\[sound:x.mp3] and"),
        # an image on the web keeps its address (it became `media/a.png`, no such file), one
        # in the field itself (`data:`) is what the terminal shows of an image
        (
            '<img src="https://ex.com/a b(1).png" alt="web"> <img src="data:image/png;base64,AA">',
            "![web](https://ex.com/a%20b%281%29.png) [image]",
        ),
        # an image typed as text in Anki is text (it was `![a](b.png)`, shown as an image)
        ("see ![a](b.png) or !<span>[c](d.png)</span>", "see !\\[a](b.png) or !\\[c](d.png)"),
        ("<ul><li>one</li><li>two</li></ul>", "• one<br>• two"),
        ("<script>x()</script>kept", "kept"),
        # control characters (a deck may not hold them: Anki shows none of them) are dropped
        ("a\x08b\x00c\x7fd\x9be \\(\x07\\beta\\)", "abcde $\\beta$"),
        # a script inside a script, one with a space or a TeX special, one in code, one
        # holding a `$` (the terminal's math drops it): see test_import_anki_fields
        ("2<sup>2<sup>n</sup></sup>", "2$^{2^{n}}$"),
        ("a<sup>b c*</sup> t<sub>#1</sub>", "a$^{b\\ c\\ast}$ t$_{\\#1}$"),
        ("<code>x<sup>a/b</sup></code>", "`x^(a/b)`"),
        ("x<sup>a$b</sup> y<sup>2", "x^(a\\$b) y²"),
        ("x<sup>\\(\\alpha\\)</sup>", "x$^{\\alpha}$"),
        # lists and tables (see test_import_anki_fields): an item's own value, a list counted
        # down, roman numbers, an empty item, a list in a cell; emphasis around a block
        ("<ol reversed><li>a<li value=7>b<li>c</ol>", "3. a<br>7. b<br>6. c"),
        ('<ol type="I" start="4"><li>a</li><li></li></ol>', "IV. a<br>V."),
        # a browser's roman numbers stop at 3999 (one of 10^12 Ms took the import's memory)
        (
            '<ol type="i" start="1000000000000"><li>a</ol><ol type=a start=703><li>b',
            "1000000000000. a<br>aaa. b",
        ),
        (
            "<table><tr><td><ul><li>a</li><li>b</li></ul></td><td></td><td>c</td></tr>",
            "• a; • b | | c",
        ),
        ("<b>bold<div>block</div></b>", "**bold**<br>**block**"),
        ("<dl><dt>Term</dt><dd>its meaning</dd></dl>", "Term<br>\xa0\xa0\xa0its meaning"),
        ("<div>a</div>\n <div>b</div>", "a<br>b"),
        # emphasis or code never closed goes to the end, as a browser shows it (the code's
        # `*`, not escaped, made the text after it italic)
        ("<b>bold to the end", "**bold to the end**"),
        ("a <code>x*y</code> <code>p*q <br>*r", "a `x*y` `p*q`<br>`*r`"),
        # a span's style as its tag, nested spans balanced, a colour dropped
        ('w<span style="vertical-align:sub">i<span>j</span></span>k', "wᵢⱼk"),
        ('<span style="font-style: italic"><span style="color: red">x</span></span> y', "*x* y"),
        # a link's target: escaped, its spaces %20; none that means nothing outside Anki
        ('<a href="https://x.org/a b*c">x</a>', "x (https://x.org/a%20b\\*c)"),
        ('<a href="javascript:f()">x</a> <a href="page.html">y</a>', "x y"),
        (
            '<a href="mailto:a@b.org">a@b.org</a> <a href="https://x.org"><img src="i.png"></a>',
            "a@b.org ![](media/i.png) (https://x.org)",
        ),
    ],
)
def test_html_to_markdown(html: str, markdown: str) -> None:
    assert to_markdown(html, set()) == markdown


def test_markdown_reads_back_as_the_same_text() -> None:
    """The escapes are the decks' own: the tokenizer gives back the literal characters."""
    md = to_markdown("Cost 5$ * 2 for <b>\\(a*b\\)</b>", set())
    kinds = [(t.kind, t.text) for t in tokens(md)]
    assert ("text", "Cost 5$ * 2 for ") in kinds and ("math", "a*b") in kinds


def test_media_references_are_collected() -> None:
    media: set[str] = set()
    to_markdown('<img src="x.png"><img src="../y.gif">[sound:z.mp3]', media)
    assert media == {"x.png", "y.gif", "z.mp3"}
    to_markdown("[sound:a*b  c.mp3][sound:d&amp;e.mp3][sound:../f.ogg]", media)
    assert media == {"x.png", "y.gif", "z.mp3", "a*b  c.mp3", "d&e.mp3", "f.ogg"}


def test_cloze_sides() -> None:
    text = "{{c1::Paris}} is in {{c2::France::country}}; {{c1::it}} is big."
    assert cloze_sides(text, 1) == (
        "[...] is in France; [...] is big.",
        "<b>Paris</b> is in France; <b>it</b> is big.",
    )
    assert cloze_sides(text, 2) == (
        "Paris is in [country]; it is big.",
        "Paris is in <b>France</b>; it is big.",
    )


def test_nested_clozes_are_each_a_card_as_in_anki() -> None:
    """A torture run: `{{c1::derivative of {{c2::sigmoid}}}}` became `The [sigmoid]}} is`
    (card 1) and `The derivative of {{c2}} is` on both sides of card 2 (the pattern matched
    the outer cloze up to the inner one's end). Each cloze is its card, with the text the
    `anki` package renders for these cards (card 1 `The [...] is`, card 2 `The derivative
    of [f] is`)."""
    from dlcards.importers.anki_notes import cloze_numbers

    text = "The {{c1::derivative of {{c2::sigmoid::f}}}} is {{c3::σ(1−σ)}}."
    assert cloze_numbers(text) == [1, 2, 3]
    assert cloze_sides(text, 1) == (
        "The [...] is σ(1−σ).",
        "The <b>derivative of sigmoid</b> is σ(1−σ).",
    )
    assert cloze_sides(text, 2) == (
        "The derivative of [f] is σ(1−σ).",
        "The derivative of <b>sigmoid</b> is σ(1−σ).",
    )
    deep = "Deep {{c1::a {{c2::b {{c3::c}} }} }} end"
    assert cloze_sides(deep, 3) == ("Deep a b [...]   end", "Deep a b <b>c</b>   end")
    assert cloze_sides(deep, 1)[0] == "Deep [...] end"
    # a cloze left open, and `::` or `}}` outside any cloze, are text
    assert cloze_sides("{{c1::a}} b:: c}} {{c2::d", 1) == (
        "[...] b:: c}} {{c2::d",
        "<b>a</b> b:: c}} {{c2::d",
    )
    assert cloze_sides("{{c1::x::a::b}}", 1)[0] == "[a::b]"


def test_slugs_and_tags() -> None:
    assert slug("ML::Deep Learning", set()) == "ml-deep-learning"
    assert slug("2024 Exam", set()) == "anki-2024-exam"
    assert slug("gd", {"gd"}) == "anki-gd"
    assert slug("gd", {"gd", "anki-gd"}) == "anki-gd-2"
    # a deck deep down: its own name, not a slug of every parent's (118 characters before)
    deep = "University::Year 2::Machine Learning::Part 3 Neural Networks::Backpropagation"
    assert slug(deep, set()) == "backpropagation"
    assert slug(deep, {"backpropagation"}) == "anki-backpropagation"
    long_leaf = "Parent::" + "the chain rule through every layer of a deep network explained"
    made = slug(long_leaf, set())
    assert made == "the-chain-rule-through-every-layer-of-a" and len(made) <= 40
    assert all(len(slug("x" * n, set())) <= 40 for n in (39, 40, 41, 200))
    # any script, transliterated: every character but a-z and 0-9 was a dash
    assert slug("Ünïcode::数学", set()) == "unicode-shuxue"  # was n-code
    assert slug("数学", set()) == "shuxue"  # was anki, the fallback of an empty slug
    assert slug("l'été", set()) == "l-ete" and slug("Ελληνικά", set()) == "ellinika"
    assert slug("２０２４", set()) == "anki-2024" and slug("★", set()) == "anki"
    assert tag_of("Deep_Learning::Backprop") == "deep_learning::backprop"


def test_written_deck_parses() -> None:
    from dlcards.importers.anki_notes import YamlCard, YamlDeck, deck_yaml

    deck = YamlDeck("ml", "ML: \"quotes\" & 'more'")
    deck.cards.append(YamlCard("anki-0123456789", "Q: *x*?", "- $a$ # not a comment", ("t",)))
    parsed = parse_deck(deck_yaml(deck, "x.apkg"), "ml.yaml")
    assert parsed.title == deck.title
    assert (parsed.cards[0].question, parsed.cards[0].answer) == (
        "Q: *x*?",
        "- $a$ # not a comment",
    )


# --- the store's merge ---------------------------------------------------------------------------


def card(cid: str) -> object:
    from dlcards.deck import Card as DeckCard

    return DeckCard(id=cid, topic="t", question="q", answer="a")


def at(day: date, hour: int) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=timezone.utc)


def anki(cid: str, day: date, hour: int, grade: int) -> ImportedReview:
    when = at(day, hour)
    return ImportedReview(
        cid, int(when.timestamp() * 1000), when.isoformat(timespec="milliseconds"), day, grade
    )


def merge(store: Store, rows: list[ImportedReview]) -> list[str]:
    return store.merge_reviews(rows, h.merge_rules())  # type: ignore[arg-type]


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store.open(tmp_path / "p.db") as s:
        s.sync([card("x"), card("y")], "s", h.NOW)  # type: ignore[list-item]
        yield s


def log(store: Store) -> list[tuple[object, ...]]:
    return store.query(
        "SELECT day, grade, kind, ef_before, ef_after, anki_id IS NOT NULL FROM reviews "
        "WHERE card_id = 'x' ORDER BY at, id"
    )


def test_merge_interleaves_and_redecides(store: Store) -> None:
    d = [D + timedelta(n) for n in range(12)]
    h.grade(store, "x", 5, d[0], at(d[0], 9))
    h.grade(store, "x", 4, d[6], at(d[6], 9))
    h.grade(store, "x", 2, d[6], at(d[6], 10), redrill=True)  # a session's re-drill
    rows = [anki("x", d[1], 8, 4), anki("x", d[1], 9, 1), anki("x", d[6], 7, 3)]
    assert merge(store, rows) == ["x", "x", "x"]
    # d6: Anki's answer at 07:00 came first, so dlcards's 09:00 grade is now the re-drill
    expected_kinds = ["scheduled", "scheduled", "redrill", "scheduled", "redrill", "redrill"]
    assert [r[2] for r in log(store)] == expected_kinds
    state = State()
    snapshots = []
    for day, grade in [(d[0], 5), (d[1], 4), (d[6], 3)]:
        before = state
        state, _ = review(state, Grade(grade), day)
        snapshots.append((before.ef, state.ef))
    rows_ef = [(r[3], r[4]) for r in log(store) if r[2] == "scheduled"]
    assert rows_ef == snapshots
    assert h.state(store, "x") == state
    # the same rows again: nothing
    assert merge(store, rows) == []
    assert len(log(store)) == 6


def test_answers_ahead_of_schedule_do_not_multiply_the_interval(store: Store) -> None:
    """A round trip with real Anki: Good every day for a week in a filtered deck that
    reschedules (Anki kept 17 days) came back here due in 2037 (3,720 days): each day's first
    answer multiplied the interval. Ahead of schedule it grows from the days the card lasted
    (`sm2.review`), by the rows' merge and by the bulk one alike."""
    rows = [anki("x", D + timedelta(n), 9, 4) for n in range(7)]
    rows += [anki("y", D + timedelta(n), 10, 4) for n in (0, 1, 7, 8)]  # on time, then early
    assert len(merge(store, rows)) == 11
    assert h.state(store, "x").interval == 6
    y = h.state(store, "y")
    assert (y.interval, y.due) == (15, D + timedelta(8 + 15))  # max(15, ceil(1 * 2.5))


@pytest.mark.parametrize("columns", [False, True])
def test_a_reset_in_anki_starts_the_card_over(store: Store, columns: bool) -> None:
    """A round trip with real Anki: a card forgotten in Anki and learned again (Good, Good)
    had interval 1 there and 238 days here: the reset row was skipped and the new answers
    replayed on top of the old history. The card now starts over at its reset in Anki. A card
    never studied, forgotten in Anki, starts nothing over: its point was moved and counted."""
    store.sync([card("x"), card("y"), card("w")], "s+w", h.NOW)  # type: ignore[list-item]
    h.grade(store, "x", 5, D, at(D, 9))
    h.grade(store, "y", 5, D, at(D, 9))
    rows = [anki("x", D + timedelta(1), 9, 4), anki("x", D + timedelta(2), 9, 5)]
    rows += [anki("x", D + timedelta(4), 9, 4), anki("x", D + timedelta(5), 9, 4)]
    if columns:  # as `dlcards import anki` gives them (`convert`)
        rows = columns_of(rows)  # type: ignore[assignment]
    forgot = {"x": int(at(D + timedelta(3), 12).timestamp() * 1000)}
    forgot["y"] = int(at(D + timedelta(6), 12).timestamp() * 1000)  # no answer after it
    with store.conn:
        store.conn.execute("UPDATE cards SET leech = 1 WHERE id = 'y'")
    # z: not held yet, its reset after a row of the file; w: held, its reset after no review
    # in the log or the file (a Forget of a card never studied, which stays new)
    rows_and_z = [*rows, anki("z", D, 9, 4)]
    late = int(at(D + timedelta(1), 12).timestamp() * 1000)
    assert store.resets_to_move({**forgot, "z": late, "w": late}, rows_and_z) == ["x", "y", "z"]
    assert store.resets_to_move({"w": late, "z": late}) == []
    moved: list[str] = []
    assert len(store.merge_reviews(rows, h.merge_rules(), {**forgot, "w": late}, moved)) == 4  # type: ignore[arg-type]
    assert moved == ["x", "y"]
    assert store.query("SELECT reset_at FROM cards WHERE id = 'w'") == [(None,)]
    expected, _ = review(State(), Grade.GOOD, D + timedelta(4))
    expected, _ = review(expected, Grade.GOOD, D + timedelta(5))
    assert h.state(store, "x") == expected and expected.interval == 6
    assert h.state(store, "y").is_new and store.memory("y").fsrs.stability is None
    assert store.query("SELECT leech FROM cards WHERE id = 'y'") == [(0,)]
    assert len(log(store)) == 5  # the log keeps every review, before the reset too
    # the same file again changes nothing; nor does a reset older than the card's own
    assert store.resets_to_move(forgot) == []
    assert store.merge_reviews(rows, h.merge_rules(), forgot, moved) == []  # type: ignore[arg-type]
    assert moved == ["x", "y"]  # none moved this time
    assert h.state(store, "x") == expected
    h.grade(store, "y", 4, D + timedelta(7), at(D + timedelta(7), 9))
    store.merge_reviews(columns_of([]) if columns else [], h.merge_rules(), forgot)  # type: ignore[arg-type]
    assert h.state(store, "y") == review(State(), Grade.GOOD, D + timedelta(7))[0]
    assert h.set_scheduler(store, "fsrs") == 2  # the rebuild replays from the same points
    assert store.memory("x").sm2 == expected


def test_resets_are_anki_forget_rows_of_known_cards(tz: None) -> None:
    """Anki's "Forget" logs kind 4 with ease 0 and ease factor 0; "set due date" keeps the
    card's ease factor, and is no reset."""
    rows = (
        Revlog(ms("2026-03-02T01:00:00+00:00"), 100, 0, 4, 0, 0),
        Revlog(ms("2026-03-02T02:00:00+00:00"), 100, 0, 4, 0, 0),  # the last one counts
        Revlog(ms("2026-03-02T03:00:00+00:00"), 100, 0, 4, 0, 2500),  # set due date
        Revlog(ms("2026-03-02T04:00:00+00:00"), 200, 0, 4, 0, 2500),
        Revlog(ms("2026-03-02T05:00:00+00:00"), 300, 0, 4, 0, 0),  # not a card dlcards knows
    )
    for way in (convert, convert_rows):
        assert way(collection(*rows), {100: "x-1", 200: "x-2"}).resets == {"x-1": rows[1].id}


def test_an_imported_review_older_than_a_reset_stays_before_it(store: Store) -> None:
    h.grade(store, "x", 5, D, at(D, 9))
    store.reset(["x"], at(D + timedelta(3), 12))
    merge(store, [anki("x", D + timedelta(2), 9, 4)])  # done on the phone before the reset
    assert h.state(store, "x").is_new
    merge(store, [anki("x", D + timedelta(4), 9, 4)])  # after it
    expected, _ = review(State(), Grade.GOOD, D + timedelta(4))
    assert h.state(store, "x") == expected
    assert h.set_scheduler(store, "fsrs") == 1  # the rebuild agrees: one card has a history
    assert store.memory("x").sm2 == expected


@pytest.mark.parametrize("columns", [False, True])
@pytest.mark.parametrize("forgot_in_anki", [False, True])
def test_reviews_merged_before_a_reset_decide_again_the_log_rows_there(
    store: Store, forgot_in_anki: bool, columns: bool
) -> None:
    """Studied on both sides, then reset (here, or "Forget" in Anki, imported in the same
    file), then the phone's older reviews imported: they land before the card's reset point,
    among grades logged here. The new rows were decided with the old ones, but the old rows
    kept their outcome: the grade given here at 10:00 on day 10 stayed the day's scheduled one
    beside Anki's 08:00 lapse (two scheduled answers to one card on one day, counted twice
    in `stats`), and the rows after kept the memory before them as if the phone's reviews had
    not happened (as of day 12, `due`/`stats` said 0 lapses, 1 review in a row, where the
    time-ordered replay says 1 and 0). The old rows there are decided again, in time order;
    they still make no leech, and the card stays new."""
    d5, d10, d20 = D + timedelta(5), D + timedelta(10), D + timedelta(20)
    h.grade(store, "x", 4, d10, at(d10, 10))
    h.grade(store, "x", 4, d20, at(d20, 10))
    resets = {}
    if forgot_in_anki:
        resets["x"] = int(at(D + timedelta(30), 10).timestamp() * 1000)
    else:
        store.reset(["x"], at(D + timedelta(30), 10))
    rows = [anki("x", d5, 9, 4), anki("x", d10, 8, 1)]
    store.merge_reviews(columns_of(rows) if columns else rows, h.merge_rules(), resets)  # type: ignore[arg-type]
    logged = store.query(
        "SELECT day, grade, kind, ef_before, ef_after, interval_after, due_after, reps_before, "
        "reps_after, lapses_before, lapses_after, last_review_before FROM reviews "
        "WHERE card_id = 'x' ORDER BY at, id"
    )
    # the time-ordered replay, with sm2.review: Anki's Good on day 5, Anki's Again on day 10
    # (08:00), the Good given here at 10:00 a re-drill of it, Good on day 20
    expected = []
    state = State()
    for day, grade, kind in [(d5, 4, "scheduled"), (d10, 1, "scheduled"), (d10, 4, "redrill")]:
        after = review(state, Grade(grade), day)[0] if kind == "scheduled" else state
        expected.append((day, grade, kind, state, after))
        state = after
    after = review(state, Grade.GOOD, d20)[0]
    expected.append((d20, 4, "scheduled", state, after))
    assert logged == [
        (
            day.isoformat(), grade, kind, b.ef, a.ef, a.interval, a.due.isoformat(),
            b.repetitions, a.repetitions, b.lapses, a.lapses,
            b.last_review.isoformat() if b.last_review else None,
        )
        for day, grade, kind, b, a in expected
    ]  # fmt: skip
    assert store.query("SELECT scheduled FROM review_days WHERE day = ?", (d10.isoformat(),)) == [
        (1,)
    ]
    then = store.card_rows("sm2", as_of=D + timedelta(12))[0]
    assert (then.lapses, then.repetitions) == (1, 0)
    assert h.state(store, "x").is_new
    assert store.query("SELECT count(*) FROM reviews WHERE leech IS NOT NULL") == [(0,)]
    check_tallies(store)


def test_reviews_merged_before_two_resets_decide_again_their_own_span_only(store: Store) -> None:
    """The log keeps a card's last reset point only: a review from Anki merged before it is
    decided with the rows since the reset before (the first row that started from a new
    card's memory after older ones), not on top of the rows before that one."""
    d = [D + timedelta(n) for n in range(10)]
    h.grade(store, "x", 5, d[1], at(d[1], 10))
    store.reset(["x"], at(d[2], 10))
    h.grade(store, "x", 4, d[3], at(d[3], 10))
    h.grade(store, "x", 4, d[6], at(d[6], 10))
    store.reset(["x"], at(d[8], 10))
    merge(store, [anki("x", d[4], 9, 1)])
    first, _ = review(State(), Grade.PERFECT, d[1])
    spans = [[(d[1], 5, State(), first)]]
    state, spans = State(), [*spans, []]
    for day, grade in [(d[3], 4), (d[4], 1), (d[6], 4)]:
        after, _ = review(state, Grade(grade), day)
        spans[-1].append((day, grade, state, after))
        state = after
    assert store.query(
        "SELECT day, grade, ef_before, ef_after, reps_before, reps_after, lapses_after "
        "FROM reviews WHERE card_id = 'x' ORDER BY at, id"
    ) == [
        (day.isoformat(), grade, b.ef, a.ef, b.repetitions, a.repetitions, a.lapses)
        for span in spans
        for day, grade, b, a in span
    ]
    assert h.state(store, "x").is_new


def test_a_grade_after_a_reset_read_on_a_clock_ahead_counts_after_it(store: Store) -> None:
    """A reset whose clock was ahead of the next grade's (a clock set back since; a phone's
    "Forget" imported from a clock ahead): the grade, committed after the reset, is replayed
    after it, so the rebuild from the log keeps its effect. Its time stays the true one."""
    h.grade(store, "x", 5, D, at(D, 9))
    store.reset(["x"], at(D + timedelta(3), 13))  # the reset's clock an hour ahead
    h.grade(store, "x", 4, D + timedelta(3), at(D + timedelta(3), 12))
    expected, _ = review(State(), Grade.GOOD, D + timedelta(3))
    assert h.state(store, "x") == expected
    from dlcards.commands.doctor import _replay_for
    from dlcards.store.doctor import examine

    report = examine(store.path, _replay_for, repair=False, now=at(D + timedelta(3), 14))
    assert report.healthy, [f.problem for f in report.findings if f.problem]  # memory = replay
    assert h.set_scheduler(store, "fsrs") == 1  # the rebuild from the log agrees
    assert store.memory("x").sm2 == expected
    stamp = store.query("SELECT reviewed_at FROM reviews ORDER BY id DESC LIMIT 1")[0][0]
    assert stamp.startswith((D + timedelta(3)).isoformat() + "T12:00")


def test_a_reset_of_a_new_card_changes_nothing(store: Store) -> None:
    """`reset` of a card that is new (never studied, or reset since) says nothing was reset
    and moves no reset point: an answer given in Anki before it still counts when imported
    (the point had moved to the moment of the reset, and the card stayed new). A card that
    was studied is reset as before."""
    h.grade(store, "y", 5, D, at(D, 9))
    assert store.reset(["x", "y"], at(D + timedelta(3), 12)) == 1
    marks = store.query("SELECT id, reset_at, reset_after FROM cards ORDER BY id")
    assert store.reset(["x", "y"], at(D + timedelta(4), 12)) == 0  # both new now
    assert store.query("SELECT id, reset_at, reset_after FROM cards ORDER BY id") == marks
    assert marks[0] == ("x", None, None)
    merge(store, [anki("x", D + timedelta(2), 9, 4), anki("y", D + timedelta(2), 9, 4)])
    expected, _ = review(State(), Grade.GOOD, D + timedelta(2))
    assert h.state(store, "x") == expected  # never reset: the phone's answer counts
    assert h.state(store, "y").is_new  # done before y's reset: stays before it


def test_undo_and_rebuild_replay_in_time_order(store: Store) -> None:
    late = h.grade(store, "x", 5, D + timedelta(5), at(D + timedelta(5), 9))
    merge(store, [anki("x", D, 9, 4)])
    first, _ = review(State(), Grade.GOOD, D)
    both, _ = review(first, Grade.PERFECT, D + timedelta(5))
    assert h.state(store, "x") == both
    h.undo(store, late.id)
    assert h.state(store, "x") == first
    h.set_scheduler(store, "fsrs")
    h.set_scheduler(store, "sm2")
    assert h.state(store, "x") == first


def test_a_version_5_database_gets_times_and_moment_resets(tmp_path: Path) -> None:
    from sqlite_utils import Database

    from dlcards.store.schema import migrations

    path = tmp_path / "v5.db"
    conn = sqlite3.connect(path, isolation_level=None)
    migrations().apply(Database(conn), stop_before="0006_time_order_and_anki_ids")
    conn.execute("PRAGMA user_version = 5")
    conn.execute(
        "INSERT INTO cards (id, topic, position, content_hash, retired, suspended, added) "
        "VALUES ('x', 't', 0, 'h', 0, 0, '2026-01-01')"
    )
    conn.execute(
        "INSERT INTO sm2 (card_id, ef, repetitions, interval, lapses) VALUES ('x', 250, 0, 0, 0)"
    )
    stamps = ["2026-03-02T09:00:00.000+01:00", "2026-03-05T09:00:00.000+01:00"]
    for i, stamp in enumerate(stamps, start=1):
        day = stamp[:10]
        conn.execute(
            "INSERT INTO reviews (id, card_id, reviewed_at, day, grade, kind, ef_before, ef_after,"
            " interval_before, interval_after, reps_before, reps_after, lapses_before,"
            " lapses_after) VALUES (?, 'x', ?, ?, 5, 'scheduled', 250, 260, 0, 1, 0, 1, 0, 0)",
            (i, stamp, day),
        )
    conn.execute("UPDATE cards SET reset_after = 1")
    conn.close()
    with Store.open(path) as store:
        rows = store.query("SELECT id, at FROM reviews ORDER BY id")
        assert rows == [(1, ms("2026-03-02T08:00:00+00:00")), (2, ms("2026-03-05T08:00:00+00:00"))]
        assert store.query("SELECT reset_at, reset_after FROM cards") == [(rows[0][1], 1)]
        assert store.history("x") == [(date(2026, 3, 5), 5)]


def test_merge_under_fsrs_replays_fsrs_in_time_order(store: Store) -> None:
    from dlcards.fsrs_sched import replay

    h.set_scheduler(store, "fsrs")
    h.grade(store, "x", 4, D + timedelta(10), at(D + timedelta(10), 9))
    merge(store, [anki("x", D, 9, 5), anki("x", D + timedelta(3), 9, 1)])
    history = [(D, 5), (D + timedelta(3), 1), (D + timedelta(10), 4)]
    assert h.fsrs_state(store, "x") == replay(history, 0.9)
    sm2 = State()
    for day, grade in history:
        sm2, _ = review(sm2, Grade(grade), day)
    assert h.state(store, "x") == sm2


def test_templates_ask_what_their_front_shows() -> None:
    from dlcards.importers.anki_notes import referenced

    fields = ["Front", "Back", "Add Reverse"]
    assert referenced("{{Front}}<br>{{type:Back}}", fields, front=True) == ["Front"]
    assert referenced("{{FrontSide}}<hr>{{type:Back}}", fields) == ["Back"]
    assert referenced("{{#Add Reverse}}{{Back}}{{/Add Reverse}}", fields, front=True) == ["Back"]
    assert referenced("{{hint:Back}} {{Front}} {{Tags}}", fields, front=True) == ["Front"]


def test_local_time_keeps_every_millisecond(tz: None) -> None:
    from dlcards.importers.anki_progress import local_time
    from dlcards.store.schema import epoch_ms

    for ms_ in (1795782144212, 1795782144001, 1795782144999, 1796214009421):
        when = local_time(ms_)
        assert epoch_ms(when.isoformat(timespec="milliseconds")) == ms_
        assert when.utcoffset() == timedelta(hours=5, minutes=30)


def test_the_migration_survives_a_damaged_timestamp(tmp_path: Path) -> None:
    from sqlite_utils import Database

    from dlcards.store.schema import migrations

    path = tmp_path / "v5.db"
    conn = sqlite3.connect(path, isolation_level=None)
    migrations().apply(Database(conn), stop_before="0006_time_order_and_anki_ids")
    conn.execute("PRAGMA user_version = 5")
    conn.execute(
        "INSERT INTO cards (id, topic, position, content_hash, retired, suspended, added) "
        "VALUES ('x', 't', 0, 'h', 0, 0, '2026-01-01')"
    )
    conn.execute(
        "INSERT INTO reviews (card_id, reviewed_at, day, grade, kind) "
        "VALUES ('x', 'garbage', '2026-03-02', 5, 'scheduled'), "
        "('x', 'garbage', 'also garbage', 5, 'scheduled')"
    )
    conn.close()
    with Store.open(path) as store:
        start = int(datetime(2026, 3, 2).timestamp() * 1000)
        assert store.query("SELECT at FROM reviews ORDER BY id") == [(start,), (0,)]


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet=st.characters(blacklist_categories=("Cc", "Cs")), max_size=40))
def test_any_anki_text_reads_back_the_same(text: str) -> None:
    """Whatever plain text a field holds (HTML-escaped, as Anki stores it), the Markdown it
    becomes reads back as the same text through the decks' tokenizer: every character that
    means something there (\\ * ` $, an entity, a <br>) is escaped. (`[sound:x]` and MathJax's
    `\\(…\\)` and `\\[…\\]` are Anki's own markup, not plain text: they become a media
    reference and math, tested on their own.)"""
    import html
    import re

    assume("[sound:" not in text)
    assume(not re.search(r"\\\(.*?\\\)|\\\[.*?\\\]", text, re.S))

    md = to_markdown(html.escape(text), set())
    read = "".join(t.text for t in tokens(md) if t.kind == "text")
    assert " ".join(read.split()) == " ".join(text.replace("\xa0", " ").split())


_HTML_PIECES = [
    "<b>", "</b>", "<i>", "</i>", "<u>", "</u>", "<s>", "</s>", "<code>", "</code>", "<pre>",
    "</pre>", "<sup>", "</sup>", "<sub>", "</sub>", "<span style='vertical-align: super'>",
    "<span style='font-weight: 700'>", "</span>", "<table>", "<tr>", "<td>", "</td>", "<th>",
    "</tr>", "</table>", "<ol start='3'>", "<ol type='i' reversed>", "<ul>", "<li>", "</li>",
    "</ol>", "</ul>", "<dl>", "<dt>", "<dd>", "<div>", "</div>", "<p>", "<br>", "<hr>",
    "<a href='https://x.org/a b'>", "<a href='#top'>", "</a>", "<img src='a.png' alt='x]y'>",
    "<q>", "</q>", "<ruby>", "<rt>", "</rt>", "<rp>(</rp>", "&nbsp;", "&nbsp; &nbsp;",
    "\\(x^2\\)", "\\[\\sum_i\\]", "\\(\\)", "5", "a*b", "$", "`", "\\", "&amp;lt;br&gt;",
    " ", "\n", "\t", "word", "1. ", "~~", "|", "日本", "[sound:s.mp3]",
]  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(_HTML_PIECES), max_size=30))
@example(["<sup>", "[sound:s.mp3]"])  # a sound in a script was left as a placeholder in math
def test_any_anki_html_becomes_a_field_every_output_reads(pieces: list[str]) -> None:
    """Whatever mix of the HTML the import knows a field holds (nested, unclosed, in any
    order), the Markdown it becomes has no placeholder of the converter's left in it, is a
    deck's text (a YAML deck of it loads with the same text), and the terminal and the Anki
    export both read it."""
    from dlcards.export.html import to_html
    from dlcards.importers.anki_notes import YamlCard, YamlDeck, deck_yaml
    from dlcards.render import to_plain

    md = to_markdown("".join(pieces), set())
    assert not set(md) & {"\x00", "\x01", "\x02"}
    assume(md.strip())
    deck = YamlDeck("t", "T", [YamlCard("anki-0000000000", md, "a", ("c++", "日本::タグ"))])
    card = parse_deck(deck_yaml(deck, "x.apkg"), "t.yaml").cards[0]
    assert card.question == md and card.tags == ("c++", "日本::タグ")
    to_plain(md)
    to_html(md)


def test_a_zstd_bomb_is_refused(tmp_path: Path) -> None:
    import io

    import zstandard

    from dlcards.importers.anki_file import AnkiFileError, _unzstd

    packed = zstandard.ZstdCompressor().compress(b"\0" * (3 << 20))
    out = io.BytesIO()
    with pytest.raises(AnkiFileError, match="unpacks to more than"):
        _unzstd(io.BytesIO(packed), out, tmp_path / "x.apkg", limit=2 << 20)
    assert out.tell() <= 2 << 20
    out = io.BytesIO()
    _unzstd(io.BytesIO(packed), out, tmp_path / "x.apkg", limit=4 << 20)
    assert out.getvalue() == b"\0" * (3 << 20)


# --- images in the decks' Markdown --------------------------------------------------------------


def test_an_image_is_a_token_the_outputs_show() -> None:
    from dlcards.export.html import to_html
    from dlcards.render import to_plain

    text = "See ![Fig. 1](media/a%20b.png)! Not ![an image](no space allowed) nor \\![x](y.png)"
    kinds = [(t.kind, t.text, t.trail) for t in tokens(text) if t.kind != "text"]
    assert kinds == [("image", "media/a%20b.png", "Fig. 1")]
    assert to_html(text).startswith('See <img src="a b.png" alt="Fig. 1">! Not ![an image]')
    assert to_plain("![](media/a%20b.png) and ![Fig](x.png)") == (
        "[image: media/a b.png] and [image: Fig]"
    )


def test_a_sound_is_a_token_the_outputs_show() -> None:
    """`[sound: media/x.mp3]` (what `import anki --to-yaml` writes) or Anki's own
    `[sound:x.mp3]`: Anki's tag again in the export, its file's name with the entities Anki
    decodes, and in the terminal a mark and the file, which it does not play. It was text:
    the export wrote `[sound: media/x.mp3]`, which Anki plays as ' media/x.mp3' (no such
    file), and the terminal showed the deck's syntax."""
    from dlcards.export.html import to_html
    from dlcards.render import to_plain
    from dlcards.stdio import spelled

    text = "Say [sound: media/a%20b.mp3], then [sound:x.mp3]!"
    kinds = [(t.kind, t.text) for t in tokens(text) if t.kind != "text"]
    assert kinds == [("sound", "media/a%20b.mp3"), ("sound", "x.mp3")]
    assert to_html(text) == "Say [sound:a b.mp3], then [sound:x.mp3]!"
    assert to_plain(text) == "Say ♪ media/a b.mp3, then ♪ x.mp3!"
    assert spelled("♪") == "(sound)"  # a terminal that cannot show the mark
    # in Anki's tag a ']' would end the name, and '&' or '<' would be read as HTML
    odd = "[sound: media/a%5Db%26c%3C%C3%A9.mp3]"
    assert to_html(odd) == "[sound:a&#93;b&amp;c&lt;é.mp3]"
    assert to_plain(odd) == "♪ media/a]b&c<é.mp3"
    # not a sound: escaped, in code, in math, or a name with a space (names are %-escaped);
    # nor in Anki, where a '[sound:' left in the HTML would play
    for literal, shown in [
        ("\\[sound:x.mp3]", "[sound:x.mp3]"),
        ("`[sound:x.mp3]`", "[sound:x.mp3]"),
        ("[sound: a b.mp3]", "[sound: a b.mp3]"),
    ]:
        assert [t.kind for t in tokens(literal)] in (["text"], ["code"]), literal
        assert to_plain(literal) == shown
        assert "[sound:" not in to_html(literal) and "&#91;sound:" in to_html(literal)
    assert to_html("$[sound:x]$") == "\\(&#91;sound:x]\\)"


def test_a_deeply_nested_list_is_indented_so_far() -> None:
    """3,000 lists in one another made 13 MB of indent for 3,000 words: a list is indented
    at most MAX_INDENT levels deep."""
    from dlcards.importers.anki_notes import INDENT, MAX_INDENT

    lines = to_markdown("<ul><li>x" * 3000, set()).split("<br>")
    assert len(lines) == 3000
    assert lines[2] == INDENT * 2 + "• x" and lines[-1] == INDENT * MAX_INDENT + "• x"


def test_an_images_alt_text_reads_back_the_same() -> None:
    """Whatever an `<img>`'s alt holds (a bracket, a backslash, text like an entity), the
    decks' tokenizer reads it back from the Markdown the import writes."""
    import html

    alt = "a [b] c\\d \\] &amp; x*y `z` $1"
    md = to_markdown(f'<img src="p.png" alt="{html.escape(alt)}">', set())
    assert [(t.kind, t.text, t.trail) for t in tokens(md)] == [("image", "media/p.png", alt)]


def test_check_warns_about_a_missing_image(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from dlcards.cli import app

    deck = tmp_path / "decks" / "pics.yaml"
    deck.parent.mkdir()
    deck.write_text(
        "topic: pics\ntitle: Pictures\ncards:\n"
        "  - id: pics-1\n    question: 'What is this? ![a neuron](media/n.png)'\n"
        "    answer: A neuron.\n",
        encoding="utf-8",
    )
    runner = CliRunner()
    out = runner.invoke(app, ["check", "--decks", str(deck.parent)]).output
    assert "warning: pics-1 shows the image" in out and "media/n.png, which does not exist" in out
    (deck.parent / "media").mkdir()
    (deck.parent / "media" / "n.png").write_bytes(b"png")
    out = runner.invoke(app, ["check", "--decks", str(deck.parent)]).output
    assert "pics-1 shows the image" not in out


def test_check_warns_about_a_missing_sound(tmp_path: Path) -> None:
    """As for an image: the sound's file is not beside the deck, and the Anki export can
    carry no file (Anki's card would play nothing)."""
    from typer.testing import CliRunner

    from dlcards.cli import app

    deck = tmp_path / "decks" / "talk.yaml"
    deck.parent.mkdir()
    deck.write_text(
        "topic: talk\ntitle: Talk\ncards:\n"
        "  - id: talk-1\n    question: 'Say it [sound: media/s%20a.mp3]'\n"
        "    answer: Bonjour.\n",
        encoding="utf-8",
    )
    runner = CliRunner()
    # wide enough for the warning on one line: twice the temporary path (the sound's, the
    # deck's) and its words; not 1,000 columns, at which check's table of every built-in
    # computation is padded to 1,000 cells a line (~0.9 CPU s a check)
    wide = str(2 * len(str(tmp_path)) + 240)
    out = runner.invoke(app, ["check", "--decks", str(deck.parent)], env={"COLUMNS": wide})
    assert "warning: talk-1 plays the sound" in out.output
    assert "media/s a.mp3, which does not exist" in out.output
    (deck.parent / "media").mkdir()
    (deck.parent / "media" / "s a.mp3").write_bytes(b"ID3")
    out = runner.invoke(app, ["check", "--decks", str(deck.parent)])
    assert "talk-1 plays the sound" not in out.output and "warning" not in out.output


def test_undo_redecides_the_rest_of_the_day(store: Store) -> None:
    """The terminal's 09:00 grade scheduled the day and the phone's 10:00 answer (imported)
    was its re-drill; taking back the 09:00 grade makes the phone's the day's review."""
    mine = h.grade(store, "x", 5, D, at(D, 9))
    merge(store, [anki("x", D, 10, 3)])
    assert [r[2] for r in log(store)] == ["scheduled", "redrill"]
    h.undo(store, mine.id)
    assert [r[:3] for r in log(store)] == [(D.isoformat(), 3, "scheduled")]
    expected, _ = review(State(), Grade.HARD, D)
    assert h.state(store, "x") == expected


# --- the bulk merge --------------------------------------------------------------------------


def _bulk_rows(cids: list[str], n: int, seed: int) -> list[ImportedReview]:
    """Answers on random days and hours (some cards several a day, some none), in no order."""
    import random

    rng = random.Random(seed)
    rows, taken = [], set()
    while len(rows) < n:
        day = D + timedelta(rng.randint(0, 400))
        when = at(day, rng.randint(0, 23)) + timedelta(minutes=rng.randint(0, 59))
        ms = int(when.timestamp() * 1000)
        if ms in taken:
            continue
        taken.add(ms)
        cid = rng.choice(cids[: len(cids) * 4 // 5])  # a fifth of the cards get nothing
        grade = rng.choice((1, 3, 4, 4, 5))
        rows.append(ImportedReview(cid, ms, when.isoformat(timespec="milliseconds"), day, grade))
    return rows


def _everything(store: Store) -> tuple[list[tuple[object, ...]], ...]:
    reviews = store.query("SELECT * FROM reviews ORDER BY card_id, at, id")
    return (
        [r[1:] for r in reviews],  # every column but the row id
        store.query("SELECT * FROM sm2 ORDER BY card_id"),
        store.query("SELECT * FROM fsrs ORDER BY card_id"),
        store.query("SELECT id, leech, suspended FROM cards ORDER BY id"),
    )


@pytest.mark.parametrize("scheduler", ["sm2", "fsrs"])
def test_a_bulk_merge_decides_as_card_by_card(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, scheduler: str
) -> None:
    """Thousands of rows into cards with no log (decided at once) and cards with one (a
    dlcards review, an earlier import, a reset): the same log, states and flags as the merge
    that decides every card on its own; the log's indexes dropped and built again."""
    from test_stats_tally import check_tallies

    import dlcards.store.merge as merging

    if scheduler == "fsrs":
        pytest.importorskip("fsrs")
    monkeypatch.setattr(merging, "BULK_ROWS", 1000)
    monkeypatch.setattr(merging, "BATCH_CARDS", 40)  # several batches
    monkeypatch.setattr(merging, "MANY_ROWS", 100)
    decided: list[bool] = []

    cids = [f"c{i:03d}" for i in range(120)]
    rows = _bulk_rows(cids, 3000 if scheduler == "sm2" else 400, seed=7)
    results = []
    for many in (True, False):
        with Store.open(tmp_path / f"{many}.db") as s:
            s.sync([card(c) for c in cids], "s", h.NOW)  # type: ignore[misc]
            h.set_scheduler(s, scheduler)
            h.grade(s, "c001", 4, D + timedelta(30), at(D + timedelta(30), 12))
            merge(s, [anki("c002", D + timedelta(3), 9, 4), anki("c003", D, 9, 1)])
            s.reset(["c003", "c004"], at(D + timedelta(100), 12))
            schema = sorted(s.query("SELECT type, name, tbl_name, sql FROM sqlite_master"))
            added = s.merge_reviews(
                rows,
                h.merge_rules(many, spy=lambda out: decided.append(out is not None)),  # type: ignore[arg-type]
            )
            assert sorted(added) == sorted(r.card_id for r in rows)
            # every index and trigger dropped for the bulk is back as it was
            assert sorted(s.query("SELECT type, name, tbl_name, sql FROM sqlite_master")) == schema
            # the statistics' tallies, made again after the bulk, equal the log, with their
            # triggers back (the next merge keeps them one row at a time)
            check_tallies(s)
            triggers = s.query("SELECT count(*) FROM sqlite_master WHERE type = 'trigger'")
            assert merge(s, rows) == []  # nothing twice
            merge(s, [anki("c005", D + timedelta(200), 9, 4)])
            check_tallies(s)
            assert s.query("SELECT count(*) FROM sqlite_master WHERE type = 'trigger'") == triggers
            results.append(_everything(s))
    assert results[0] == results[1]
    assert decided and all(decided) == (scheduler == "sm2")  # at once only under SM-2
    kinds = {r[5] for r in results[0][0]}
    assert kinds == {"scheduled", "redrill"}


def test_redecide_many_declines_what_it_cannot_decide(store: Store) -> None:
    from dlcards.grading import LeechRule, redecide_many

    assert redecide_many([0, 1], [D.toordinal()], [6], h.sched(store), LeechRule()) is None
    assert redecide_many([0, 1], [D.toordinal()], [4], h.sched(store), LeechRule()) is not None
    pytest.importorskip("fsrs")
    h.set_scheduler(store, "fsrs")
    assert redecide_many([0, 1], [D.toordinal()], [4], h.sched(store), LeechRule()) is None


@pytest.mark.parametrize(
    "zone", ["Asia/Kolkata", "Europe/Berlin", "America/St_Johns", "Australia/Lord_Howe", "UTC"]
)
def test_local_times_are_local_time_across_offset_changes(zone: str) -> None:
    """Every 7 minutes and 13 ms for two days around each of a year's offset changes (and
    the hours of an ordinary day), one at a time and from the per-hour cache: the same."""
    from dlcards.importers.anki_progress import LocalTimes, local_time

    with h.time_zone(zone):
        cached = LocalTimes()
        for start in (
            "2026-03-07", "2026-03-28", "2026-04-04", "2026-10-03", "2026-10-24", "2026-10-31",
            "2026-06-01", "1969-12-31", "1890-06-01",
        ):  # fmt: skip
            t0 = int(datetime.fromisoformat(start + "T00:00:00+00:00").timestamp() * 1000)
            for ms_ in range(t0, t0 + 2 * 86_400_000, 7 * 60_000 + 13):
                when = local_time(ms_)
                assert cached.stamp(ms_) == (when.isoformat(timespec="milliseconds"), when.date())


# --- the columnar import (convert's ImportedReviews and the store's merge of them) ------------


def columns_of(rows: list[ImportedReview]) -> ImportedReviews:
    """Rows as the columns `convert` gives (each row's time its Anki id, as convert's)."""
    names = sorted({r.card_id for r in rows})
    number = {cid: n for n, cid in enumerate(names)}
    return ImportedReviews(
        names, [number[r.card_id] for r in rows], [r.anki_id for r in rows],
        [r.reviewed_at for r in rows], [r.day.toordinal() for r in rows],
        [r.grade for r in rows], [math.nan if r.seconds is None else r.seconds for r in rows],
    )  # fmt: skip


_revlog_rows = st.lists(
    st.tuples(
        st.integers(-3 * 86_400_000, 3 * 86_400_000),  # around a moment (below)
        st.sampled_from((100, 200, 300)),  # 300: a card the collection does not have
        st.integers(0, 5),
        st.integers(0, 5),
        st.integers(-2, 90_000),
        st.sampled_from((0, 2500)),  # 0: a preview's answer (in kind 3)
    ),
    max_size=60,
)


@pytest.mark.parametrize(
    "zone", ["Asia/Kolkata", "Europe/Berlin", "America/St_Johns", "Australia/Lord_Howe", "UTC"]
)
@settings(max_examples=40, deadline=None)
@given(rows=_revlog_rows, moment=st.sampled_from(
    ("2026-03-29T01:00:00+00:00", "2026-10-04T15:30:00+00:00", "2026-11-01T05:00:00+00:00",
     "1960-01-01T00:00:00+00:00", "1890-06-01T00:00:00+00:00", "2026-06-01T12:00:00+00:00")
))  # fmt: skip
def test_convert_in_columns_equals_row_by_row(
    zone: str, rows: list[tuple[int, int, int, int, int, int]], moment: str
) -> None:
    """Every answer's text, day, grade, seconds and card, and the counts: the same from the
    arrays as row by row, around offset changes, before time zones and across the epoch."""
    from dlcards.importers.anki_progress import convert_rows

    base = ms(moment)
    revlog = [Revlog(base + t, c, e, k, d, f) for t, c, e, k, d, f in rows]
    with h.time_zone(zone):
        col = collection(*revlog)
        cards = {100: "x-1", 200: "x-2"}
        fast, slow = convert(col, cards), convert_rows(col, cards)
    assert isinstance(fast.reviews, ImportedReviews)
    assert list(fast.reviews) == slow.reviews
    assert [fast.reviews[i] for i in range(len(slow.reviews))] == slow.reviews
    assert fast.reviews[::-1] == slow.reviews[::-1]
    assert (fast.unknown_reviews, fast.unknown_notes, fast.answers, fast.previews) == (
        slow.unknown_reviews, slow.unknown_notes, slow.answers, slow.previews,
    )  # fmt: skip
    assert fast.deleted == slow.deleted


def test_convert_in_columns_reads_rows_by_their_names(tz: None) -> None:
    """A log row that is not a `Revlog` (its values in another order) is read by its
    fields' names, as `Revlog`'s are read as they come: the same reviews and counts."""
    from typing import NamedTuple

    class Reordered(NamedTuple):  # Revlog's fields, another order
        card: int
        ms: int
        factor: int
        kind: int
        ease: int
        id: int

    base = ms("2026-03-01T12:00:00+00:00")
    revlog = [Revlog(base + k * 90_000_000, 100 + k % 2 * 100, 1 + k % 4, k % 3, 2000 + k)
              for k in range(6)]  # fmt: skip
    revlog.append(Revlog(base + 7 * 90_000_000, 100, 3, 3, 1500, 0))  # a preview
    cards = {100: "x-1", 200: "x-2"}
    expected = convert_rows(collection(*revlog), cards)
    other = [Reordered(r.card, r.ms, r.factor, r.kind, r.ease, r.id) for r in revlog]
    for rows in (revlog, other, [*revlog[:3], *other[3:]]):
        got = convert(collection(*rows), cards)  # type: ignore[arg-type]
        assert isinstance(got.reviews, ImportedReviews)
        assert list(got.reviews) == expected.reviews and len(expected.reviews) == 6
        assert (got.answers, got.previews) == (expected.answers, expected.previews) == (6, 1)


def test_convert_in_columns_keeps_each_times_text(tz: None) -> None:
    """Hand-checked texts: the local time in Kolkata (+05:30), milliseconds kept."""
    stamps = ["2026-03-01T23:45:00.007+00:00", "1969-12-31T23:59:59.999+00:00"]
    col = collection(*(Revlog(ms(s), 100, 3, 1, 1500) for s in stamps))
    got = convert(col, {100: "x-1"}).reviews
    assert [r.reviewed_at for r in got] == [
        "2026-03-02T05:15:00.007+05:30", "1970-01-01T05:29:59.999+05:30",
    ]  # fmt: skip
    assert [r.day for r in got] == [date(2026, 3, 2), date(1970, 1, 1)]
    assert [(r.grade, r.seconds) for r in got] == [(4, 1.5), (4, 1.5)]


_merge_rows = st.lists(
    st.tuples(
        st.sampled_from(("c0", "c1", "c2", "c3", "c4", "c5", "gone")),  # gone: not a card
        st.one_of(st.integers(0, 60), st.sampled_from((-21_000, -20_970))),  # or in 1968
        st.integers(0, 23),  # hour
        st.sampled_from((0, 1, 3, 4, 5)),
        st.one_of(st.none(), st.floats(0.5, 90.0)),
    ),
    max_size=80,
)


def _merge_setup(s: Store, scheduler: str, logged: bool) -> None:
    cids = ["c0", "c1", "c2", "c3", "c4", "c5"]

    cards = [card(c) for c in cids[:3]] + [card(c)._replace(topic="u") for c in cids[3:]]
    s.sync(cards, "s", h.NOW)  # type: ignore[arg-type]
    h.set_scheduler(s, scheduler)
    if not logged:
        return
    h.grade(s, "c1", 4, D + timedelta(20), at(D + timedelta(20), 12))  # a dlcards review
    merge(s, [anki("c2", D + timedelta(3), 9, 4)])  # an earlier import (held: skipped again)
    s.reset(["c3"], at(D + timedelta(30), 12))  # a reset: rows before it stay before it


_MERGE_SETUPS: dict[tuple[str, bool, bool, bool], Path] = {}


def _merge_setup_copy(
    factory: pytest.TempPathFactory, path: Path, key: tuple[str, bool, bool, bool]
) -> Store:
    """`_merge_setup(scheduler, logged)` as `key`'s merge settings (scheduler, logged, bulk,
    as_columns) do it, done once in a process into a file that each example copies (a fresh
    database and its setup were most of an example's time)."""
    import shutil

    made = _MERGE_SETUPS.get(key)
    if made is None:
        made = factory.mktemp("setup") / "s.db"
        with Store.open(made) as s:
            _merge_setup(s, key[0], key[1])
        assert not Path(f"{made}-wal").exists()
        _MERGE_SETUPS[key] = made
    shutil.copyfile(made, path)
    return Store.open(path)


@pytest.mark.parametrize("scheduler", ["sm2", "fsrs"])
@settings(max_examples=30, deadline=None)
@given(picked=_merge_rows, bulk=st.booleans(), logged=st.booleans(), in_order=st.booleans())
@example(  # rows before 1970 (before the reset mark of a card never reset) on two days
    picked=[("c0", -21_000, 9, 4, None), ("c0", -20_970, 9, 1, 5.0), ("c4", 2, 9, 4, None),
            ("c4", 3, 9, 4, None), ("c4", 30, 9, 3, None), ("c5", 1, 9, 5, 2.5)],
    bulk=True, logged=False, in_order=False,
)  # fmt: skip
@example(  # Anki's log: in time order, each Anki id once; cards first answered out of order
    picked=[("c4", 2, 9, 4, None), ("c0", 3, 9, 4, None), ("c4", 3, 10, 1, None),
            ("c5", 4, 9, 5, 2.5), ("c0", 5, 9, 3, None), ("c4", 6, 9, 4, None)],
    bulk=True, logged=False, in_order=True,
)  # fmt: skip
def test_a_merge_of_columns_equals_the_merge_of_rows(
    tmp_path_factory: pytest.TempPathFactory,
    scheduler: str,
    picked: list[Any],
    bulk: bool,
    logged: bool,
    in_order: bool,
) -> None:
    """The same rows merged as columns (with the rows of cards that have no log decided at
    once, in bulk or not; into cards with logs or none, when the bulk counts its rows in the
    day and retention tallies itself) and as a list decided card by card: the same log, memories,
    flags, tallies and returned card ids; the schema as it was. The rows in no order, some
    twice, or as Anki's log gives them: in time order, each once."""
    import dlcards.store.merge as merging

    if scheduler == "fsrs":
        pytest.importorskip("fsrs")
    rows = [
        anki(cid, D + timedelta(day), hour, grade)._replace(seconds=seconds)
        for cid, day, hour, grade, seconds in picked
    ]
    if in_order:
        rows = sorted({r.anki_id: r for r in rows}.values(), key=lambda r: r.anki_id)
    else:
        rows += rows[: len(rows) // 4]  # some Anki ids twice: the first is kept
    rows += [anki("c2", D + timedelta(3), 9, 4)]  # held already
    results = []
    tmp = tmp_path_factory.mktemp("m")
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(merging, "MANY_ROWS", 1)
        mp.setattr(merging, "BULK_ROWS", 1 if bulk else 10**9)
        for as_columns in (True, False):
            # the cards' rows read by one walk of every card, or by IN lists
            mp.setattr(merging, "_SCAN_CARDS", 1 if as_columns and bulk else 10**9)
            key = (scheduler, logged, bulk, as_columns)
            with _merge_setup_copy(tmp_path_factory, tmp / f"{as_columns}.db", key) as s:
                schema = sorted(s.query("SELECT type, name, tbl_name, sql FROM sqlite_master"))
                added = s.merge_reviews(
                    columns_of(rows) if as_columns else rows,
                    h.merge_rules(many=as_columns),  # type: ignore[arg-type]
                )
                assert sorted(s.query("SELECT type, name, tbl_name, sql FROM sqlite_master")) == (
                    schema
                )
                check_tallies(s)
                results.append((added, _everything(s)))
    assert results[0] == results[1]


def test_the_card_order_of_rows_in_time_order_is_a_sort_by_card_and_time() -> None:
    """Rows already in time order are put card by card with a stable sort by card alone (16
    bits at a time): the order a sort by (card, time) gives, with cards past 2**16 too."""
    import numpy as np

    import dlcards.store.merge as merging

    rng = np.random.default_rng(7)
    rank = rng.integers(0, 200_000, 50_000)
    times = np.arange(len(rank)) * 1000
    assert (merging._card_order(rank, times, True) == np.lexsort((times, rank))).all()
    shuffled = rng.permutation(times)
    assert (merging._card_order(rank, shuffled, False) == np.lexsort((shuffled, rank))).all()


def test_a_columnar_bulk_merge_refuses_a_grade_its_decisions_let_through(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The log's check of the rows decided at once is made on their arrays (the query after
    the block checks only the later rows): a grade of 7 that the decisions let through (here:
    decided as a 5) is refused all the same, with the trigger's error, and nothing is kept."""
    import numpy as np

    import dlcards.store.merge as merging
    from dlcards.grading import merge_rules as rules_of

    monkeypatch.setattr(merging, "MANY_ROWS", 1)
    monkeypatch.setattr(merging, "BULK_ROWS", 1)

    def lenient(settings: Any) -> tuple[Any, Any]:
        one, many = rules_of(settings)
        return one, lambda starts, days, grades: many(starts, days, np.minimum(grades, 5))

    cids = [f"c{i:03d}" for i in range(10)]
    rows = _bulk_rows(cids, 60, seed=5)
    bad = rows[:-1] + [rows[-1]._replace(grade=7)]
    with Store.open(tmp_path / "v.db") as s:
        s.sync([card(c) for c in cids], "s", h.NOW)  # type: ignore[misc]
        before = _everything(s)
        with pytest.raises(StoreError, match="invalid review row"):
            s.merge_reviews(columns_of(bad), lenient)  # type: ignore[arg-type]
        assert _everything(s) == before
        assert len(s.merge_reviews(columns_of(rows), lenient)) == len(rows)  # type: ignore[arg-type]


@pytest.mark.parametrize("twice", [False, True])
def test_a_columnar_merge_logs_cards_in_the_order_of_their_first_row(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, twice: bool
) -> None:
    """The log's row ids: the cards in the order of their first row among those merged (not of
    their ids), each card's rows in time order; so too when the rows are not Anki's time order
    (`twice`: the first row again at the end, kept once)."""
    import dlcards.store.merge as merging

    monkeypatch.setattr(merging, "MANY_ROWS", 1)
    monkeypatch.setattr(merging, "BULK_ROWS", 1)
    picked = [("c4", 2, 9), ("c0", 3, 9), ("c4", 3, 10), ("c5", 4, 9), ("c0", 5, 9), ("c4", 6, 9)]
    rows = [anki(cid, D + timedelta(day), hour, 4) for cid, day, hour in picked]
    if twice:
        rows.append(rows[0])
    with Store.open(tmp_path / "o.db") as s:
        s.sync([card(c) for c in ("c0", "c4", "c5")], "s", h.NOW)  # type: ignore[misc]
        s.merge_reviews(columns_of(rows), h.merge_rules(many=True))  # type: ignore[arg-type]
        got = s.query("SELECT id, card_id, day FROM reviews ORDER BY id")
    order = [("c4", 2), ("c4", 3), ("c4", 6), ("c0", 3), ("c0", 5), ("c5", 4)]
    assert got == [
        (n, cid, (D + timedelta(day)).isoformat()) for n, (cid, day) in enumerate(order, 1)
    ]


@pytest.mark.parametrize("rows", [0, 1, 7, 10, 23])
def test_columns_are_inserted_as_the_values_they_hold(
    monkeypatch: pytest.MonkeyPatch, rows: int
) -> None:
    """The bulk insert of columns (NumPy arrays of ints, floats, texts, objects and bools)
    writes each row's values as Python's own would be bound: the same values and SQLite types
    (an int past 2**53 exact, a float a float, a text a text), the rows in order, across
    chunks and statements that do not divide the rows (a last statement of fewer rows)."""
    import numpy as np

    import dlcards.store.merge as merging

    monkeypatch.setattr(merging, "_INSERT_CHUNK", 4)
    monkeypatch.setattr(merging, "BULK_ROWS_PER_INSERT", 3)
    ints = [2**62 + i if i % 2 else -i for i in range(rows)]
    floats = [i / 3 if i % 3 else -1.0 for i in range(rows)]
    texts = [f"t{i}" for i in range(rows)]
    objects = [f"o{i}" if i % 2 else "" for i in range(rows)]
    small = [i % 2 for i in range(rows)]
    columns = [
        np.array(ints, np.int64), np.array(floats, np.float64), np.array(texts, str),
        np.array(objects, object), np.array(small, bool),
    ]  # fmt: skip

    def sql(n: int) -> str:
        return f"INSERT INTO t VALUES {', '.join(['(?, ?, ?, ?, ?)'] * n)}"

    c = sqlite3.connect(":memory:")
    c.execute("CREATE TABLE t (a, b, c, d, e)")
    merging._insert_columns(c, columns, sql)
    got = c.execute(
        "SELECT a, typeof(a), b, typeof(b), c, typeof(c), d, typeof(d), e, typeof(e) "
        "FROM t ORDER BY rowid"
    ).fetchall()
    assert got == [
        (a, "integer", b, "real", t, "text", o, "text", e, "integer")
        for a, b, t, o, e in zip(ints, floats, texts, objects, small, strict=True)
    ]


def test_a_columnar_bulk_merge_is_one_transaction(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A failure after the bulk rows are written (here: in the writes of the cards merged one
    by one), or an invalid row (a grade of 7), leaves the database as it was."""
    import dlcards.store.merge as merging

    monkeypatch.setattr(merging, "MANY_ROWS", 1)
    monkeypatch.setattr(merging, "BULK_ROWS", 1)
    cids = [f"c{i:03d}" for i in range(40)]
    rows = _bulk_rows(cids, 600, seed=3)
    with Store.open(tmp_path / "p.db") as s:
        s.sync([card(c) for c in cids], "s", h.NOW)  # type: ignore[misc]
        h.grade(s, "c001", 4, D + timedelta(30), at(D + timedelta(30), 12))
        before = (_everything(s), sorted(s.query("SELECT * FROM sqlite_master")))
        rules = h.merge_rules(many=True)
        original = merging._Batch.write

        def dying(self: Any, c: Any) -> None:
            original(self, c)
            raise RuntimeError("killed")

        monkeypatch.setattr(merging._Batch, "write", dying)
        with pytest.raises(RuntimeError):
            s.merge_reviews(columns_of(rows), rules)  # type: ignore[arg-type]
        assert (_everything(s), sorted(s.query("SELECT * FROM sqlite_master"))) == before
        monkeypatch.setattr(merging._Batch, "write", original)
        bad = rows[:-1] + [rows[-1]._replace(grade=7)]
        with pytest.raises((StoreError, ValueError)):  # the grade is refused before SQL's check
            s.merge_reviews(columns_of(bad), rules)  # type: ignore[arg-type]
        assert (_everything(s), sorted(s.query("SELECT * FROM sqlite_master"))) == before
        assert len(s.merge_reviews(columns_of(rows), rules)) == len(rows)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("kind", "markup", "says"),
    [
        ("image", "![{name}]({path})", "shows the image"),
        ("sound", "[sound: {path}]", "plays the sound"),
    ],
)
def test_media_named_outside_its_decks_folder_is_never_packed(
    tmp_path: Path, kind: str, markup: str, says: str
) -> None:
    """A deck (perhaps someone else's) that names `/etc/...`, `../...` or a link leading out
    of its folder as an image or a sound: `check` warns, and the Anki export packs only the
    file in the deck's folder, never the file named elsewhere."""
    import zipfile

    from typer.testing import CliRunner

    from dlcards.cli import app

    secret = tmp_path / "secret.txt"
    secret.write_text("not for the package", encoding="utf-8")
    decks = tmp_path / "decks"
    (decks / "media").mkdir(parents=True)
    (decks / "media" / "ok.png").write_bytes(b"png")
    (decks / "media" / "link.png").symlink_to(secret)
    paths = ["../secret.txt", str(secret), "media/link.png", "media/../media/ok.png"]
    shown = " ".join(
        markup.format(name=n, path=path) for n, path in zip("abcd", paths, strict=True)
    )
    (decks / "pics.yaml").write_text(
        "topic: pics\ntitle: Pictures\ncards:\n"
        f"  - id: pics-1\n    question: 'A {shown}'\n"
        "    answer: A neuron.\n",
        encoding="utf-8",
    )
    assert [t.kind for t in tokens(shown) if t.kind != "text"] == [kind] * 4
    runner = CliRunner()
    # wide enough for each warning with its temporary paths on one line, however long they
    # are: twice the temporary path (the file named, the deck's) and its words; not 1,000
    # columns, at which check's table is padded to 1,000 cells a line (~0.9 CPU s a check)
    wide = str(2 * len(str(tmp_path)) + 240)
    out = runner.invoke(app, ["check", "--decks", str(decks)], env={"COLUMNS": wide}).output
    for name in ("../secret.txt", str(secret), "media/link.png"):
        assert f"pics-1 {says} {name!r}, which is not in its deck's folder" in out
    assert "media/ok.png" not in out
    target = tmp_path / "p.apkg"
    result = runner.invoke(
        app, ["export", "anki", "--decks", str(decks), "--topic", "pics", "-o", str(target)]
    )
    assert result.exit_code == 0, result.output
    with zipfile.ZipFile(target) as z:
        media = json.loads(z.read("media"))
        packed = [z.read(k) for k in media]
    assert sorted(media.values()) == ["ok.png"] and packed == [b"png"]


def test_a_media_file_whose_name_holds_a_percent_escape_is_packed_under_that_name(
    tmp_path: Path,
) -> None:
    """A file named `a%20b.png` (its card writes `media/a%2520b.png`) beside one named
    `a b.png`: each note's field names its own file, and each is packed under that name. The
    packed name was decoded a second time, from the file's name: `a%20b.png` went in as
    `a b.png`, the other file's name, and only one of the two was packed."""
    import sqlite3
    import zipfile

    from typer.testing import CliRunner

    from dlcards.cli import app

    decks = tmp_path / "decks"
    (decks / "media").mkdir(parents=True)
    files = {"a%20b.png": b"percent", "a b.png": b"space", "c%26d.mp3": b"sound"}
    for name, data in files.items():
        (decks / "media" / name).write_bytes(data)
    (decks / "pics.yaml").write_text(
        "topic: pics\ntitle: Pictures\ncards:\n"
        "  - id: pics-1\n    question: 'A ![](media/a%2520b.png)'\n    answer: x\n"
        "  - id: pics-2\n    question: 'B ![](media/a%20b.png)'\n    answer: x\n"
        "  - id: pics-3\n    question: 'C [sound: media/c%2526d.mp3]'\n    answer: x\n",
        encoding="utf-8",
    )
    target = tmp_path / "p.apkg"
    result = CliRunner().invoke(
        app, ["export", "anki", "--decks", str(decks), "--topic", "pics", "-o", str(target)]
    )
    assert result.exit_code == 0, result.output
    with zipfile.ZipFile(target) as z:
        packed = {name: z.read(entry) for entry, name in json.loads(z.read("media")).items()}
        (tmp_path / "c.anki2").write_bytes(z.read("collection.anki2"))
    assert packed == files
    conn = sqlite3.connect(tmp_path / "c.anki2")
    fronts = sorted(row[0].split("\x1f")[0] for row in conn.execute("SELECT flds FROM notes"))
    conn.close()
    assert fronts == ['A <img src="a%20b.png">', 'B <img src="a b.png">', "C [sound:c%26d.mp3]"]


def test_a_package_whose_collection_is_not_sqlite_stops_at_its_first_bytes(
    tmp_path: Path,
) -> None:
    """A package of a few MB whose collection.anki2 unpacks to gigabytes of zeros: the
    import wrote all of it to the temporary folder before finding it was no collection. It
    is refused at its first megabyte now, and one of more than the bound at the bound."""
    from typer.testing import CliRunner

    from dlcards.cli import app
    from dlcards.importers import anki_file

    bomb = tmp_path / "bomb.apkg"
    zeros_zip(bomb, "collection.anki2", b"", 64)
    result = CliRunner().invoke(app, ["import", "anki", str(bomb), "--dry-run"])
    assert result.exit_code == 2 and result.output.count("\n") == 1
    assert "its collection is not an SQLite file" in result.output
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("collection.anki2", anki_file.SQLITE_MAGIC + b"\0" * (3 << 20))
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(anki_file, "MAX_COLLECTION", 2 << 20)
        result = CliRunner().invoke(app, ["import", "anki", str(bomb), "--dry-run"])
    assert result.exit_code == 2 and "unpacks to more than" in result.output


def zeros_zip(path: Path, name: str, start: bytes, mib: int) -> None:
    """A zip of one deflated entry `name`: `start`, then zeros up to `mib` MiB. Its data is
    one compressed MiB of zeros repeated: each piece ends with a full flush, which empties
    the compressor's window, so every piece after the first is the same bytes (0.1 s for
    300 MiB, where zipfile's own deflate took 1.7 s). No zip64: under 4 GiB."""
    import struct
    import zlib

    chunk = 1 << 20
    head, zeros = start + bytes(chunk - len(start)), bytes(chunk)
    deflate = zlib.compressobj(1, zlib.DEFLATED, -zlib.MAX_WBITS)
    first = deflate.compress(head) + deflate.flush(zlib.Z_FULL_FLUSH)
    piece = deflate.compress(zeros) + deflate.flush(zlib.Z_FULL_FLUSH)
    data = first + piece * (mib - 1) + deflate.flush()
    crc = zlib.crc32(head)
    for _ in range(mib - 1):
        crc = zlib.crc32(zeros, crc)
    raw = name.encode()
    sizes = (crc, len(data), mib * chunk, len(raw))
    local = struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, 8, 0, 0x21, *sizes, 0)
    central = struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0, 8, 0, 0x21, *sizes,
                          0, 0, 0, 0, 0, 0)  # fmt: skip
    end = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, 1, 1, len(central) + len(raw),
                      len(local) + len(raw) + len(data), 0)  # fmt: skip
    path.write_bytes(local + raw + data + central + raw + end)


def test_the_zeros_zip_is_what_zipfile_reads(tmp_path: Path) -> None:
    """`zeros_zip`'s file, read back whole by zipfile (its CRC checked at the end)."""
    from dlcards.importers.anki_file import SQLITE_MAGIC

    path = tmp_path / "z.zip"
    zeros_zip(path, "collection.anki2", SQLITE_MAGIC, 3)
    with zipfile.ZipFile(path) as z:
        (info,) = z.infolist()
        data = z.read("collection.anki2")
    assert info.file_size == 3 << 20 and info.compress_type == zipfile.ZIP_DEFLATED
    assert data == SQLITE_MAGIC + bytes((3 << 20) - len(SQLITE_MAGIC))


@pytest.fixture(scope="module")
def slow_package(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A package whose collection unpacks to 300 MiB (zeros after SQLite's magic): an import
    spends long enough unpacking it to be killed meanwhile."""
    from dlcards.importers.anki_file import SQLITE_MAGIC

    big = tmp_path_factory.mktemp("slow") / "big.apkg"
    zeros_zip(big, "collection.anki2", SQLITE_MAGIC, 300)
    return big


@pytest.mark.waits
@pytest.mark.skipif(not hasattr(__import__("signal"), "SIGKILL"), reason="POSIX signals")
@pytest.mark.parametrize("how", ["SIGTERM", "SIGKILL"])
def test_an_import_killed_leaves_no_unpacked_files(
    tmp_path: Path, slow_package: Path, how: str
) -> None:
    """`kill` (SIGTERM) while the package is unpacked: its temporary folder (hundreds of MB
    for a big collection) was left behind. Now the import ends as Ctrl-C ends it. SIGKILL
    cannot be caught: its folder is left, and the next import removes it (its name holds the
    dead process's id), which one killed so did not."""
    import os
    import signal
    import subprocess
    import sys
    import time

    temp = tmp_path / "tmp"
    temp.mkdir()
    env = {**os.environ, "TMPDIR": str(temp)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "dlcards", "import", "anki", str(slow_package), "--dry-run"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 30
    # the unpacking folder, not the probe file Python's tempfile makes and removes first
    while (
        not any(temp.glob("dlcards-anki-*")) and time.monotonic() < deadline and proc.poll() is None
    ):
        time.sleep(0.01)
    assert proc.poll() is None, proc.communicate()
    proc.send_signal(getattr(signal, how))
    _, err = proc.communicate(timeout=30)
    if how == "SIGTERM":
        assert proc.returncode == 143, err  # 128 + SIGTERM, as a shell reports it
        assert b"Traceback" not in err
        assert list(temp.iterdir()) == []
        return
    left = [p.name for p in temp.iterdir()]
    assert proc.returncode == -signal.SIGKILL and left == [
        f"dlcards-anki-{proc.pid}-" + left[0][-12:]
    ]
    # the folder of an import still running stays (this test's own process id, named so)
    alive = temp / f"dlcards-anki-{os.getpid()}-0123456789ab"
    alive.mkdir()
    again = subprocess.run(
        [sys.executable, "-m", "dlcards", "import", "anki", str(tmp_path / "none.apkg")],
        env=env,
        capture_output=True,
        text=True,
    )
    assert again.returncode == 2 and "none.apkg" in again.stderr
    assert [p.name for p in temp.iterdir()] == [alive.name]


def test_a_package_with_schedules_but_no_log_says_so(isolated: Path) -> None:
    """dlcards's own `export anki --with-progress` imported back said "export with 'Include
    scheduling information' ticked", which the package had in effect: it carries schedules,
    and no review log to bring back."""
    from typer.testing import CliRunner

    from dlcards.cli import app

    runner = CliRunner()
    keys = "\n4\nq\n"
    assert (
        runner.invoke(app, ["study", "--new", "1", "--today", "2026-11-01"], input=keys).exit_code
        == 0
    )
    for flags, said in (
        (["--with-progress"], "carries its cards' schedules but no review log"),
        ([], "shows no scheduling: no review history, every card new and active"),
    ):
        package = isolated / f"out{len(flags)}.apkg"
        exported = runner.invoke(app, ["export", "anki", "-o", str(package), *flags])
        assert exported.exit_code == 0, exported.output
        result = runner.invoke(app, ["import", "anki", str(package), "--dry-run"])
        assert result.exit_code == 0 and said in result.output, (flags, result.output)
        assert ("carries" in result.output) == bool(flags)


# --- suspensions ---------------------------------------------------------------------------------


def test_the_newer_suspension_wins_and_a_buried_card_says_nothing() -> None:
    """Anki's flag is taken when its card changed after dlcards last set the flag, or dlcards
    never set it; a tie, an older Anki change, or the same flag on both sides leave dlcards's;
    a buried card (queue -2/-3) is no suspension and no unsuspension."""
    from dlcards.importers.anki_progress import anki_suspensions, newer_suspensions
    from dlcards.store.rows import Suspension

    notes = [Note(n, f"g{n}", 1, (), ("q", "a")) for n in range(1, 8)]
    col = Collection(
        Path("x.apkg"),
        18,
        {},
        {1: "Default"},
        notes,
        [
            Card(11, 1, 1, 0, suspended=True, mod=500),  # newer in Anki: taken
            Card(12, 2, 1, 0, suspended=False, mod=500),  # newer in Anki: taken (unsuspend)
            Card(13, 3, 1, 0, suspended=True, mod=400),  # older in Anki: kept
            Card(14, 4, 1, 0, suspended=True, mod=450),  # a tie: kept
            Card(15, 5, 1, 0, suspended=True, mod=1),  # never set here: taken
            Card(16, 6, 1, 0, suspended=True, mod=900),  # the same flag: nothing to do
            Card(17, 7, 1, 0, buried=True, mod=900),  # buried: left out
        ],
        [],
    )
    cards = {11: "a", 12: "b", 13: "c", 14: "d", 15: "e", 16: "f", 17: "g"}
    there = anki_suspensions(col, cards)
    assert "g" not in there
    here = {
        "a": Suspension(False, 450),
        "b": Suspension(True, 450),
        "c": Suspension(False, 450),
        "d": Suspension(False, 450),
        "e": Suspension(False, None),
        "f": Suspension(True, 100),
        "g": Suspension(True, 100),
    }
    assert newer_suspensions(there, here) == {
        "a": Suspension(True, 500),
        "b": Suspension(False, 500),
        "e": Suspension(True, 1),
    }
    # taken, each with Anki's time: the same file again changes nothing
    after = {**here, **newer_suspensions(there, here)}
    assert newer_suspensions(there, after) == {}
    assert newer_suspensions(there, {}) == {}  # cards the database does not hold


def test_every_change_of_the_flag_is_timed(tmp_path: Path) -> None:
    """`suspend`/`unsuspend` (and the study `!` key, which calls the same) set the time of the
    change; setting a flag a card has already leaves its time."""
    from dlcards.deck import Card as DeckCard

    db = tmp_path / "p.db"
    t1 = datetime(2026, 3, 1, 12, tzinfo=timezone.utc)
    t2 = t1 + timedelta(hours=1)
    with Store.open(db) as store:
        store.sync([DeckCard(id="x-1", topic="x", question="q", answer="a")], "s", t1)

        def stamp() -> list[tuple[Any, ...]]:
            return store.query("SELECT suspended, suspended_changed FROM cards")

        assert stamp() == [(0, None)]
        assert store.set_suspended(["x-1"], True, t1) == ["x-1"]
        assert stamp() == [(1, int(t1.timestamp()))]
        assert store.set_suspended(["x-1"], True, t2) == []
        assert stamp() == [(1, int(t1.timestamp()))]
        store.set_suspended(["x-1"], False, t2)
        assert stamp() == [(0, int(t2.timestamp()))]


def test_a_dry_run_before_the_database_exists_names_the_suspensions_the_import_takes(
    isolated: Path,
) -> None:
    """A dry run with no database yet (or a card the import's sync would add) counted every
    card as held nowhere and named no suspension, while the import itself, which makes the
    database and its cards active with their flags never changed here, took Anki's. Both now
    say the same: gd-23, suspended in the file (queue -1), is suspended by the import."""
    from typer.testing import CliRunner

    from dlcards.cli import app

    runner = CliRunner()
    assert runner.invoke(app, ["suspend", "gd-23"]).exit_code == 0
    package = isolated / "suspended.apkg"
    exported = runner.invoke(app, ["export", "anki", "--with-progress", "-o", str(package)])
    assert exported.exit_code == 0, exported.output
    fresh = str(isolated / "data" / "fresh.db")
    said = "as in Anki, where they changed later: {} 1 card (gd-23)\n"
    dry = runner.invoke(app, ["import", "anki", str(package), "--dry-run", "--db", fresh])
    assert dry.exit_code == 0 and said.format("would suspend") in dry.output, dry.output
    assert not Path(fresh).exists()
    done = runner.invoke(app, ["import", "anki", str(package), "--db", fresh])
    assert done.exit_code == 0 and said.format("suspended") in done.output, done.output
    with Store.open(Path(fresh)) as store:
        assert store.query("SELECT id FROM cards WHERE suspended = 1") == [("gd-23",)]


def test_a_dry_run_on_a_narrow_terminal_breaks_its_lines_between_words(
    isolated: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """At 40 columns the terminal folded `import --dry-run`'s long lines inside their words
    (`/tmp/x.apkg shows no scheduling: n` / `o review history`). On a terminal each is broken
    between words, its further lines two in; in a pipe one line, as before."""
    from typer.testing import CliRunner

    from dlcards.cli import app
    from dlcards.console import out

    runner = CliRunner()
    package = isolated / "vgp.apkg"
    assert (
        runner.invoke(app, ["export", "anki", "-o", str(package), "--topic", "vgp"]).exit_code == 0
    )
    monkeypatch.setenv("COLUMNS", "40")
    piped = runner.invoke(app, ["import", "anki", str(package), "--dry-run"]).output.splitlines()
    assert any(len(line) > 40 for line in piped)
    monkeypatch.setenv("TTY_COMPATIBLE", "1")
    monkeypatch.setenv("TERM", "dumb")
    out.cache_clear()
    shown = runner.invoke(app, ["import", "anki", str(package), "--dry-run"]).output.splitlines()
    assert all(len(line) <= 40 or " " not in line.strip() for line in shown), shown
    messages: list[list[str]] = []
    for line in shown:
        if not line.startswith(" "):
            messages.append([line])
        else:
            assert line.startswith("  ") and line[2] != " ", shown
            messages[-1].append(line.strip())
    assert [" ".join(lines) for lines in messages] == piped


def test_an_image_on_the_web_is_shown_from_there(tmp_path: Path) -> None:
    """`![alt](https://...)` (what the import makes of an image Anki shows from the web): the
    export's `<img>` keeps the address, and `check` neither warns of a missing file nor packs
    one (it looked for `https:/ex.com/a.png` beside the deck, and the export named `a.png`)."""
    from typer.testing import CliRunner

    from dlcards.cli import app
    from dlcards.export.anki import media_refs
    from dlcards.export.html import to_html

    text = "See ![web](https://ex.com/a%20b.png) and ![](media/x.png)"
    shown = 'See <img src="https://ex.com/a%20b.png" alt="web"> and <img src="x.png">'
    assert to_html(text) == shown
    deck = tmp_path / "decks" / "web.yaml"
    deck.parent.mkdir()
    deck.write_text(
        f"topic: web\ntitle: Web\ncards:\n  - id: web-1\n    question: '{text}'\n    answer: A.\n",
        encoding="utf-8",
    )
    card = parse_deck(deck.read_text(encoding="utf-8"), str(deck)).cards[0]
    assert [r.name for r in media_refs(card)] == ["media/x.png"]
    out = CliRunner().invoke(app, ["check", "--decks", str(deck.parent)]).output
    assert "ex.com" not in out and "media/x.png, which does not exist" in out  # the file only


@pytest.mark.parametrize(
    "opener",
    ["\\(", "\\[", "[$]", "[$$]", "[latex]", "[sound:", "<a ", "<br", "</a", "<!--", "<?", "<!"],
)
def test_a_field_of_openers_never_closed_converts(opener: str) -> None:
    """A torture run: a field of 1,000,000 characters of math, sound or HTML openers with no
    closer (`\\(` or `<br` typed over and over, a paste gone wrong). The conversion's regex,
    and Python's HTML parser for a tag, looked for the closer to the end of the field for
    each opener: hours for this field, its time the square of its length (`<br`: 26 s for
    200,000 characters). It is the field's own text, converted in a fresh process within a
    minute."""
    import subprocess
    import sys

    code = (
        "import sys; from dlcards.importers.anki_notes import to_markdown; "
        "out = to_markdown(sys.stdin.read(), set()); print(len(out))"
    )
    field = opener * (1_000_000 // len(opener))
    done = subprocess.run(
        [sys.executable, "-c", code], input=field, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    # every opener kept as text (escaped, if need be; the field's end trimmed of its space)
    assert int(done.stdout) >= len(field.strip())


def test_a_tag_left_open_at_the_end_of_a_field_is_its_text() -> None:
    """What follows the last `>` of a field is text, every `<` of it the same: `<br` there is
    kept as text, never a line break (the last of three was the parser's end-of-field piece,
    which escaped none of it)."""
    from dlcards.importers.anki_notes import to_markdown

    assert to_markdown("<br<br<br", set()) == "&lt;br&lt;br&lt;br"
    assert to_markdown("x <br y", set()) == "x &lt;br y"
    assert to_markdown("a<b>c</b> <a d", set()) == "a**c** <a d"
    assert to_markdown("1 < 2 and <i>3</i> < 4", set()) == "1 < 2 and *3* < 4"


def pair_regex(pairs: list[tuple[str, str, int]]) -> Any:
    import re

    return re.compile(
        "|".join(
            f"{re.escape(a)}({'.+?' if least else '.*?'}){re.escape(b)}" for a, b, least in pairs
        ),
        re.DOTALL,
    )


DELIMITERS = ["\\(", "\\)", "\\[", "\\]", "[$]", "[/$]", "[$$]", "[/$$]", "x", "$", " "]


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(DELIMITERS), max_size=30))
def test_delimited_spans_are_what_the_regex_finds(pieces: list[str]) -> None:
    """`sub_pairs` replaces the spans `re.sub` of `opener(.*?)closer|...` replaces, the same
    way, for MathJax's delimiters and Anki's LaTeX tags."""
    from dlcards.importers.anki_notes import ANKI_LATEX, MATHJAX, sub_pairs

    text = "".join(pieces)
    for pairs, plain in (
        (MATHJAX, [("\\(", "\\)", 0), ("\\[", "\\]", 0)]),
        (ANKI_LATEX[1:], [("[$]", "[/$]", 1), ("[$$]", "[/$$]", 1)]),
    ):
        expected = pair_regex(plain).sub(
            lambda m: "<" + next(g for g in m.groups() if g is not None) + ">", text
        )
        assert sub_pairs(text, pairs, lambda _, body, whole: "<" + body + ">") == expected


def test_clozes_deep_in_one_another_or_never_closed_convert() -> None:
    """Torture runs: 5,000 clozes one inside another raised Python's RecursionError (the
    import's traceback), and 20,000 openers never closed took a minute, each one's text moved
    up through every cloze around it. Card 1 blanks the outermost cloze; card 5,000 blanks
    the innermost, inside the text of every other; the unclosed openers are text."""
    depth = 5_000
    nested = "{{c1::" + "".join(f"{{{{c{n}::" for n in range(2, depth + 1)) + "x" + "}}" * depth
    question, answer = cloze_sides(nested, 1)
    assert question == "[...]" and answer == "<b>x</b>"
    question, answer = cloze_sides(nested, depth)
    assert (question, answer) == ("[...]", "<b>x</b>")
    assert len(cloze_numbers(nested)) == depth
    left_open = "{{c1::a::" * 20_000
    assert cloze_sides(left_open, 1) == (left_open, left_open)
    assert cloze_numbers(left_open) == []


ANKI_FURIGANA = r" ?([^ >]+?)\[(.+?)\]"
"""Anki's furigana regex (rslib/src/template_filters.rs), run by Rust's linear-time engine."""


def furigana_by_regex(text: str, kind: str) -> str:
    """Anki's `furigana`, `kana` and `kanji` filters as its regex reads them: the oracle."""
    import re

    def one(match: re.Match[str]) -> str:
        if match[2].startswith("sound:"):
            return match[0]
        if kind == "kana":
            return match[2]
        if kind == "kanji":
            return match[1]
        return f"<ruby><rb>{match[1]}</rb><rt>{match[2]}</rt></ruby>"

    return re.sub(ANKI_FURIGANA, one, text.replace("&nbsp;", " "))


FURIGANA_PIECES = ["[", "]", " ", ">", "\n", "日本", "a", "sound:", "&nbsp;", "[]", "]["]


@settings(max_examples=600, deadline=None)
@given(st.lists(st.sampled_from(FURIGANA_PIECES), max_size=25))
@example(["日本", "[", "a", "]", " ", "a", "[", "sound:", "a", "]"])
@example([" ", "a", "[", "]", "]"])
@example(["a", "[", "\n", "]", "a", "[", "a", "\n", "]"])
def test_furigana_filters_read_what_ankis_regex_reads(pieces: list[str]) -> None:
    from dlcards.importers.anki_notes import filtered

    text = "".join(pieces)
    for kind in ("furigana", "kana", "kanji"):
        assert filtered(text, [kind]) == furigana_by_regex(text, kind)


def test_furigana_of_brackets_never_closed_converts() -> None:
    """Torture run: a field of `a[` 20,000 times through `{{furigana:F}}` took over a minute
    (the regex scanned to the field's end for a `]` from each `[`); it is the field as it is.
    A `]` after them closes the first `[`'s reading."""
    from dlcards.importers.anki_notes import filtered

    field = "a[" * 20_000
    assert filtered(field, ["furigana"]) == field
    # `a[a[...a[]`: the first `a` the base, the rest up to the `]` its reading
    assert filtered(field + "]", ["kana"]) == "a[" * 19_999
    # after a line break no `[` of them has a reading: the ruby after them is found
    assert filtered(field + "\n 日本[にほん]", ["kanji"]) == field + "\n日本"


_EMPHASIS_PIECES = [
    "<b>", "</b>", "<i>", "</i>", "<u>", "</u>", "<s>", "</s>", "<code>", "</code>", "<kbd>",
    "</kbd>", "<br>", " ", "a", "(a)", "b ", ".", "*", "`", "\\(x\\)", "<div>", "</div>",
    "<p> ", "<td>", "<table><tr><td>", "\xa0", "\n", "<a href='https://x.org'>", "</a>",
    "<a href='https://a'>", "https://a", "<", ">", "[latex]$x<i>$[/latex]", "\\(<\\)",
]  # fmt: skip


GOLDEN = Path(__file__).parent / "data" / "anki_notes_golden.json"


@cache
def _written_before() -> dict[str, list[Any]]:
    """Fields and what the conversion wrote of them before it was made linear (the module as
    it was at 8ca7ebb, run once over them): the Markdown, the media it named, and the `text`
    and `furigana` filters of the field. 687 fields: 700 drawn with a fixed seed from
    `_EMPHASIS_PIECES` and `_HTML_PIECES` (styles nested, touching, unclosed, across line
    breaks; blocks, table cells, links and tags left open), and the long fields the tests
    below convert."""
    return json.loads(GOLDEN.read_text(encoding="utf-8"))


def same_as_before(field: str) -> None:
    """`to_markdown(field)` is what the conversion wrote before it was made linear, marks,
    media and all; so are the `text` and furigana filters of it."""
    from dlcards.importers.anki_notes import filtered

    markdown, named, text, furigana = _written_before()[field]
    media: set[str] = set()
    assert to_markdown(field, media) == markdown
    assert sorted(media) == named
    assert filtered(field, ["text"]) == text
    assert filtered(field, ["furigana"]) == furigana


def test_emphasis_is_written_as_before() -> None:
    """Any mix of styles (nested, touching, unclosed, across line breaks), blocks, table
    cells, links and tags left open converts as the conversion wrote it before."""
    fields = _written_before()
    assert len(fields) == 687
    for field in fields:
        same_as_before(field)


def test_many_touching_runs_are_joined_in_steps_linear_in_their_number() -> None:
    """Torture run: `<b>a</b><b>b</b>` 10,000 times took 3 s, `<code>a</code>` 20,000 times
    as long (each join searched the field from its start again and renamed a close in all of
    it, work the line count below cannot see: it was done in C). They are one run, as
    before, and four times the runs take about four times the steps."""
    assert to_markdown("<b>a</b><b>b</b>" * 10_000, set()) == "**" + "ab" * 10_000 + "**"
    assert to_markdown("<code>a</code>" * 20_000, set()) == "`" + "a" * 20_000 + "`"
    for field in ("<b>a</b><b>b</b>", "<code>a</code>", "<b><i>a</i></b>"):
        short, long = (
            h.lines_run(lambda n=n, f=field: to_markdown(f * n, set())) for n in (100, 400)
        )
        assert long < 5 * short, (field, short, long)
    same_as_before("<b><i>a</i></b>" * 50)


@pytest.mark.parametrize(
    ("field", "markdown"),
    [
        ("<code>[sound:a.mp3]5\\(x\\)</code>", "`[sound: media/a.mp3]5\\(x\\)`"),
        ("<code>\\(y\\)[sound:a.mp3]0\\(x\\)</code>", "`\\(y\\)[sound: media/a.mp3]0\\(x\\)`"),
        ("[sound:a.mp3]5\\(x\\)", "[sound: media/a.mp3]5$x$"),
    ],
)
def test_a_sound_then_a_digit_then_math_converts(field: str, markdown: str) -> None:
    """A sound, a digit and math in a row, in code: the sound's placeholder's end, the digit
    and the math's placeholder's start read as a placeholder of math (`\\x005\\x00`): an
    IndexError (the import's traceback), or with math 0 there its source and a NUL left in
    the deck."""
    assert to_markdown(field, set()) == markdown


@pytest.mark.parametrize(
    ("head", "piece"),
    [
        ("", "<p> "),  # each block's break walked back over every blank piece before it
        ("<table><tr><td>", "<br> "),  # each line of a cell looked over the whole cell
        ("", "<b>x</i>"),  # each close of a style never opened searched every open one
        ("", "<a href='https://x.org'>x"),  # each piece of text kept once for each open link
    ],
)
def test_a_long_field_converts_in_steps_linear_in_its_length(head: str, piece: str) -> None:
    """Four times the field takes about four times the steps, and converts as before: 8,000
    `<p> ` took 2.3 s, 8,000 `<b>x</i>` 1.2 s."""
    short, long = (
        h.lines_run(lambda n=n: to_markdown(head + piece * n, set())) for n in (200, 800)
    )
    assert long < 5 * short, (short, long)
    same_as_before(head + piece * 200)


def test_tags_never_closed_are_taken_out_in_linear_time() -> None:
    """Torture run: `{{text:F}}` of a field of 100,000 `<` took seconds (the regex scanned
    to the end of the field for a `>` from each one), as did math's body of them."""
    from dlcards.importers.anki_notes import filtered

    assert filtered("<b>x</b>" + "<" * 100_000, ["text"]) == "x" + "<" * 100_000
    assert to_markdown("\\(" + "<" * 100_000 + "\\)", set()) == "$" + "<" * 100_000 + "$"


def test_an_answer_dated_in_a_later_study_day_is_refused_however_little_ahead() -> None:
    """An answer's time is Anki's id, milliseconds since the epoch: only a wrong clock puts it
    ahead of the present. One of tomorrow's study day (a phone 20 hours ahead) was accepted,
    under the old one-day margin, and moved dlcards's study day on: `due` said tomorrow, and
    the grades given here that day were logged as the next day's. Answers are now held to
    today's study day (by the collection's `day_starts_at`)."""
    from datetime import datetime
    from types import SimpleNamespace

    from dlcards.importers import anki_file

    def at(text: str) -> int:
        return int(datetime.fromisoformat(text).astimezone().timestamp() * 1000)

    def refused(now: str, answer: str, starts_at: int = 4) -> bool:
        collection = SimpleNamespace(
            source="phone.colpkg", revlog=[SimpleNamespace(id=at(answer), card=1)]
        )
        try:
            anki_file.refuse_answers_ahead(
                collection,  # type: ignore[arg-type]
                starts_at,
                datetime.fromisoformat(now).astimezone(),
            )
        except anki_file.AnkiFileError as err:
            assert "dated after today's study day" in str(err)
            assert "Tools > Check Database" in str(err)
            return True
        return False

    assert not refused("2026-12-10 10:00", "2026-12-10 09:00")
    assert not refused("2026-12-10 10:00", "2026-12-10 11:00")  # skew within the study day
    assert not refused("2026-12-10 10:00", "2026-12-11 03:59")
    assert refused("2026-12-10 10:00", "2026-12-11 04:00")
    assert refused("2026-12-10 10:00", "2026-12-11 06:00")  # 20 hours ahead
    assert refused("2026-12-11 03:00", "2026-12-11 05:00")  # 2 hours, across the day's start
    assert not refused("2026-12-11 03:00", "2026-12-11 05:00", starts_at=0)
    assert refused("2026-12-10 23:00", "2026-12-11 00:30", starts_at=0)


@settings(max_examples=60)
@given(
    held=st.lists(st.integers(-(2**62), 2**62), max_size=40, unique=True),
    asked=st.lists(st.integers(-(2**62), 2**62), max_size=40),
    picks=st.lists(st.integers(0, 39), max_size=20),
)
def test_the_anki_ids_the_log_holds_are_those_it_holds(
    held: list[int], asked: list[int], picks: list[int]
) -> None:
    """`merge._held_ids` (which Anki ids of a file the log holds: read sorted between the
    file's least and greatest, then bisected) says what a set of the log's ids says, for ids
    at the range's ends, outside it, repeated and in any order."""
    import sqlite3

    import numpy as np

    from dlcards.store.merge import _held_ids

    asked = asked + [held[i] for i in picks if i < len(held)]
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE TABLE reviews (id INTEGER PRIMARY KEY, anki_id INTEGER UNIQUE)")
    conn.executemany("INSERT INTO reviews (anki_id) VALUES (?)", [(i,) for i in held])
    conn.execute("INSERT INTO reviews (anki_id) VALUES (NULL)")  # a review made here
    got = _held_ids(conn, np.array(asked, np.int64))
    assert got.tolist() == [i in set(held) for i in asked]


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 10_000), n=st.integers(0, 80), held=st.integers(0, 80))
def test_the_new_rows_of_columns_are_those_of_rows(
    tmp_path_factory: pytest.TempPathFactory, seed: int, n: int, held: int
) -> None:
    """What a dry run says an import adds (`new_reviews`): for rows given as columns (an
    import's), looked up by their Anki ids' order, the same rows in the same order as for the
    rows one by one (a set of every Anki id of the log), with some already in the log and
    repeats in the file."""
    import random

    rng = random.Random(seed)
    cids = [f"t-{i}" for i in range(8)]
    rows = _bulk_rows(cids, n, seed)
    rows += [rng.choice(rows) for _ in range(n // 4)] if rows else []  # an id twice
    with Store.open(tmp_path_factory.mktemp("new") / "p.db") as s:
        s.sync([card(c) for c in cids], "s1", at(D, 9))
        merge(s, rows[: min(held, len(rows))])  # in the log before
        as_rows = s.new_reviews(rows)
        as_columns = s.new_reviews(columns_of(rows))
    assert [(r.card_id, r.anki_id, r.grade) for r in as_columns] == [
        (r.card_id, r.anki_id, r.grade) for r in as_rows
    ]
