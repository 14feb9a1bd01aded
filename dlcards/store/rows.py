"""Rows <-> values: the one place that knows the column lists of the memory tables and the log.

Every value read from the database is checked where it becomes a Python value: a day that is
not a date, a count that is not a whole number in its range, a stability that is not a finite
positive number is one clear line naming the card and the column, pointing to `dlcards doctor`
(which rebuilds memories from the log).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterator, Sequence
from datetime import date, datetime
from functools import lru_cache
from typing import TYPE_CHECKING, Any, NamedTuple, overload

from dlcards.errors import StoreError, quoted
from dlcards.memory import EF_START, FsrsState, Memory, Sm2State
from dlcards.store.schema import epoch_ms

if TYPE_CHECKING:
    from dlcards.deck import Card

SM2_COLUMNS = ("ef", "repetitions", "interval", "due", "lapses", "last_review")
FSRS_COLUMNS = ("stability", "difficulty", "due", "last_review")

SELECT_MEMORY = (
    "SELECT "
    + ", ".join(f"s.{c}" for c in SM2_COLUMNS)
    + ", "
    + ", ".join(f"f.{c}" for c in FSRS_COLUMNS)
    + " FROM sm2 s LEFT JOIN fsrs f ON f.card_id = s.card_id WHERE s.card_id = ?"
)
ALL_MEMORIES = SELECT_MEMORY.replace("SELECT ", "SELECT s.card_id, ", 1).replace(
    " WHERE s.card_id = ?", ""
)
"""Every card's memory, its id first (SELECT_MEMORY's columns after it)."""
UPDATE_SM2 = "UPDATE sm2 SET " + ", ".join(f"{c} = ?" for c in SM2_COLUMNS) + " WHERE card_id = ?"
UPSERT_FSRS = (
    f"INSERT INTO fsrs (card_id, {', '.join(FSRS_COLUMNS)}) VALUES (?, ?, ?, ?, ?) "
    "ON CONFLICT(card_id) DO UPDATE SET " + ", ".join(f"{c} = excluded.{c}" for c in FSRS_COLUMNS)
)


def new_memories(c: Any, card_ids: Sequence[str]) -> None:
    """The memories a new card has, for `card_ids` (a reset with no review after it)."""
    c.executemany(UPDATE_SM2, [(EF_START, 0, 0, None, 0, None, cid) for cid in card_ids])
    c.executemany(UPSERT_FSRS, [(cid, None, None, None, None) for cid in card_ids])


# The one order a card's log is replayed in (time, then id: reviews imported from Anki
# interleave with dlcards's own), and the one meaning of "after the card's reset point" (a
# moment, with ids breaking ties at it). History, undo, rebuild_all and the import all use these.
# (A row's place is the pair (at, id); the merge compares the same pairs in Python.)
TIME_ORDER = "r.at, r.id"
NO_RESET = -62_135_596_800_001
"""A card never reset: its reset point is before every moment a review can have, 0001-01-01
(a review's `at` is its time in ms since 1970, negative before: an Anki log of a clock set to
1969 holds such; -1, the point this was, left every review before 1970 out of the replay)."""
RESET_MARK = f"coalesce(c.reset_at, {NO_RESET}), coalesce(c.reset_after, 0)"
AFTER_RESET = f"(r.at, r.id) > ({RESET_MARK})"
UNLEECH_MARK = f"coalesce(c.unleech_at, {NO_RESET}), coalesce(c.unleech_after, 0)"
"""A card's unleech point, as RESET_MARK (`dlcards unleech` took its leech mark off there)."""
LEECH_FROM_LOG = (
    "EXISTS (SELECT 1 FROM reviews r WHERE r.card_id = cards.id AND r.leech IS NOT NULL AND "
    f"(r.at, r.id) > ({RESET_MARK.replace('c.', 'cards.')}) AND "
    f"(r.at, r.id) > ({UNLEECH_MARK.replace('c.', 'cards.')}))"
)
"""A card's leech mark as its log has it, in an UPDATE of `cards`: a row after its reset point
and after its unleech point fired the leech rule (`undo` and a merge's moved reset points set
it so)."""


def change_seconds(now: datetime | None) -> int:
    """A change's time as `cards.suspended_changed` keeps it (Unix seconds): `now`'s, or the
    clock's when the caller has no time of its own."""
    import time

    return int(now.timestamp()) if now is not None else int(time.time())


REVIEW_COLUMNS = (
    "card_id",
    "session_id",
    "reviewed_at",
    "day",
    "grade",
    "kind",
    "seconds",
    "ef_before",
    "ef_after",
    "interval_before",
    "interval_after",
    "due_before",
    "due_after",
    "reps_before",
    "reps_after",
    "lapses_before",
    "lapses_after",
    "last_review_before",
    "fsrs_before",
    "at",
    "anki_id",
    "leech",
    "asked",
)
# What a replay of the log decides for each row: its kind and the memory around it (its leech
# action, apart, only where the outcome changed: `merge._Batch.outcomes`).
OUTCOME_COLUMNS = (
    "kind",
    *REVIEW_COLUMNS[REVIEW_COLUMNS.index("ef_before") : REVIEW_COLUMNS.index("fsrs_before") + 1],
)
UPDATE_OUTCOME = (
    "UPDATE reviews SET " + ", ".join(f"{c} = ?" for c in OUTCOME_COLUMNS) + " WHERE id = ?"
)
INSERT_REVIEW = (
    f"INSERT INTO reviews ({', '.join(REVIEW_COLUMNS)}) "
    f"VALUES ({', '.join('?' * len(REVIEW_COLUMNS))})"
)

# INSERT_REVIEW for many rows at once (`BULK_ROWS_PER_INSERT` per statement): the columns no
# import fills are NULL in the statement, and a column that may be empty is bound as a
# stand-in ('' for a day, -1.0 for seconds: values no row holds) that `nullif` makes NULL
# (binding None costs Python's sqlite3 an adapter lookup per value: ~1 us).
_BULK_VALUES = {"session_id": "NULL", "fsrs_before": "NULL", "leech": "NULL", "asked": "NULL"}
_BULK_VALUES |= dict.fromkeys(("due_before", "due_after", "last_review_before"), "nullif(?, '')")
_BULK_VALUES["seconds"] = "nullif(?, -1.0)"
_BULK_SAME = {"anki_id": "at"}
"""Columns that take another's value, bound once for both: an imported row's time is its Anki
id (`ImportedReviews`). (1,000,000 rows: 2.18-2.41 -> 1.88-2.05 s of inserts.)"""
BULK_COLUMNS = tuple(
    c for c in REVIEW_COLUMNS if _BULK_VALUES.get(c, "?") != "NULL" and c not in _BULK_SAME
)
"""The values each row of `insert_reviews_sql` binds, in order."""
BULK_ROWS_PER_INSERT = 100


def insert_reviews_sql(rows: int) -> str:
    """An INSERT of `rows` log rows, each binding BULK_COLUMNS (see `_BULK_VALUES`) with
    plain `?` marks, in order: the rows are a VALUES table, selected from as the log's
    columns (`columnN`, SQLite's names for its columns), so that a column of `_BULK_SAME`
    takes its other column's value. (A numbered mark used twice, bound from a sequence, is
    deprecated from Python 3.12 and an error from 3.14; SQLite takes a VALUES table's rows
    in their order, as the log's ids are given.)"""
    column = {c: f"column{k}" for k, c in enumerate(BULK_COLUMNS, 1)}
    column |= {c: column[other] for c, other in _BULK_SAME.items()}
    picked = (_BULK_VALUES.get(c, "?").replace("?", column.get(c, "?")) for c in REVIEW_COLUMNS)
    marks = f"({', '.join('?' * len(BULK_COLUMNS))})"
    return (
        f"INSERT INTO reviews ({', '.join(REVIEW_COLUMNS)}) SELECT {', '.join(picked)} "
        f"FROM (VALUES {', '.join([marks] * rows)})"
    )


def _bad(card_id: str, column: str, value: object, what: str) -> StoreError:
    return StoreError(
        f"card {card_id}: column {column} holds {quoted(str(value)[:40])}, not {what}; "
        "run `dlcards doctor` to repair the database"
    )


def bad_due(card_id: str, column: str, value: object) -> StoreError:
    """The error for a due date that is not a day, or missing after a review."""
    if value is None or value == "":
        return StoreError(
            f"card {card_id}: column {column} is empty though the card has been reviewed; "
            "run `dlcards doctor` to repair the database"
        )
    return _bad(card_id, column, value, "a date")


def day_of(text: object, card_id: str, column: str) -> date | None:
    """A stored ISO day (None stays None); a bad value is a StoreError naming where it is."""
    if text is None or text == "":
        return None
    if not isinstance(text, str) or len(text) != 10:
        raise _bad(card_id, column, text, "a date")
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise _bad(card_id, column, text, "a date") from None


# The ranges a stored number must be in (wider than any schedule reaches: a check for damage,
# not a second scheduler).
EF_RANGE = (130, 1_000_000)
COUNT_RANGE = (0, 10_000_000)
INTERVAL_RANGE = (0, 4_000_000)  # days: more than the whole calendar
STABILITY_RANGE = (0.0, 1e9)
DIFFICULTY_RANGE = (1.0, 10.0)
GRADE_RANGE = (0, 5)


def int_of(value: object, card_id: str, column: str, bounds: tuple[int, int]) -> int:
    """A stored whole number within `bounds`; anything else is a StoreError naming it."""
    low, high = bounds
    if type(value) is int and low <= value <= high:  # the usual case, first (not a bool)
        return value
    number = int(value) if isinstance(value, float) and value.is_integer() else value
    if isinstance(number, bool) or not isinstance(number, int) or not low <= number <= high:
        raise _bad(card_id, column, value, f"a whole number from {low:,} to {high:,}")
    return number


def float_of(
    value: object, card_id: str, column: str, bounds: tuple[float, float], open_low: bool = False
) -> float:
    """A stored finite number within `bounds` (above the low bound if `open_low`)."""
    low, high = bounds
    ok = isinstance(value, int | float) and not isinstance(value, bool)
    number = float(value) if ok else math.nan  # type: ignore[arg-type]
    if not (math.isfinite(number) and low <= number <= high and (number > low or not open_low)):
        what = f"a number {'above' if open_low else 'from'} {low:g}" + f" to {high:g}"
        raise _bad(card_id, column, value, what)
    return number


def text_of(value: object, card_id: str, column: str) -> str:
    if not isinstance(value, str):
        raise _bad(card_id, column, value, "text")
    return value


def iso(day: date | None) -> str | None:
    return day.isoformat() if day else None


def sm2_from(row: Sequence[Any], card_id: str, table: str = "sm2") -> Sm2State:
    ef, reps, interval, due, lapses, last = row
    names = _column_names(table)
    state = Sm2State(
        ef=int_of(ef, card_id, names[0], EF_RANGE),
        repetitions=int_of(reps, card_id, names[1], COUNT_RANGE),
        interval=int_of(interval, card_id, names[2], INTERVAL_RANGE),
        due=day_of(due, card_id, names[3]),
        lapses=int_of(lapses, card_id, names[4], COUNT_RANGE),
        last_review=day_of(last, card_id, names[5]),
    )
    if state.due is None and state.last_review is not None:  # a reviewed card is due some day
        raise bad_due(card_id, names[3], due)
    return state


@lru_cache(maxsize=8)
def _column_names(table: str) -> tuple[str, ...]:
    """`table.column` for each of SM2_COLUMNS, as errors name them (made once per table)."""
    return tuple(f"{table}.{column}" for column in SM2_COLUMNS)


def sm2_values(state: Sm2State) -> tuple[Any, ...]:
    s = state
    return (s.ef, s.repetitions, s.interval, iso(s.due), s.lapses, iso(s.last_review))


def fsrs_from(row: Sequence[Any], card_id: str) -> FsrsState:
    stability, difficulty, due, last = row
    if stability is None:
        return FsrsState()
    state = FsrsState(
        stability=float_of(stability, card_id, "fsrs.stability", STABILITY_RANGE, True),
        difficulty=float_of(difficulty, card_id, "fsrs.difficulty", DIFFICULTY_RANGE),
        due=day_of(due, card_id, "fsrs.due"),
        last_review=day_of(last, card_id, "fsrs.last_review"),
    )
    if state.due is None:  # a card with a stability has been reviewed: it is due some day
        raise bad_due(card_id, "fsrs.due", due)
    return state


def fsrs_values(state: FsrsState) -> tuple[Any, ...]:
    s = state
    return (s.stability, s.difficulty, iso(s.due), iso(s.last_review))


def put_memory(c: Any, card_id: str, before: Memory, after: Memory) -> None:
    """Write the parts of a card's memory that changed (inside the caller's transaction)."""
    if after.sm2 != before.sm2:
        c.execute(UPDATE_SM2, (*sm2_values(after.sm2), card_id))
    if after.fsrs != before.fsrs:
        c.execute(UPSERT_FSRS, (card_id, *fsrs_values(after.fsrs)))


def memory_from(row: Sequence[Any], card_id: str) -> Memory:
    n = len(SM2_COLUMNS)
    return Memory(sm2=sm2_from(row[:n], card_id), fsrs=fsrs_from(row[n:], card_id))


class ReviewRow(NamedTuple):
    """One row of the review log, with the card's memory before and after it."""

    id: int
    card_id: str
    kind: str  # "scheduled" | "redrill"
    grade: int
    day: date
    reviewed_at: str
    before: Memory
    after: Memory
    seconds: float | None = None
    session_id: int | None = None
    anki_id: int | None = None  # the Anki revlog id of an imported review
    leech: str | None = None  # the leech action this grade fired: "suspend" | "tag"
    # given in a study session: whether the session asked for it as a re-drill (None: an
    # imported row, or one logged before the log said)
    asked: bool | None = None


def outcome_values(kind: str, before: Memory, after: Memory) -> tuple[Any, ...]:
    """The OUTCOME_COLUMNS of a log row: its kind and the memory before and after it. FSRS's
    state before it is kept where the row changed it, and on a re-drill of a studied card (it
    changes none, but it can be a past day's first later review, whose state that day reads,
    with a reset between it and the next row that changed the state: `reports.LATER_FSRS`);
    else NULL (a new card's re-drill: the next row's state is a new card's too; a grade while
    SM-2 was active: `Store.fresh_fsrs_log` writes it when FSRS reads a past day)."""
    b, a = before.sm2, after.sm2
    held = before.fsrs != after.fsrs or (kind == "redrill" and before.fsrs != FsrsState())
    fsrs_before = before.fsrs.to_json() if held else None
    return (
        kind,
        b.ef,
        a.ef,
        b.interval,
        a.interval,
        iso(b.due),
        iso(a.due),
        b.repetitions,
        a.repetitions,
        b.lapses,
        a.lapses,
        iso(b.last_review),
        fsrs_before,
    )


def review_values(row: ReviewRow) -> tuple[Any, ...]:
    """The INSERT_REVIEW parameters for a log row."""
    kind, *outcome = outcome_values(row.kind, row.before, row.after)
    return (
        row.card_id,
        row.session_id,
        row.reviewed_at,
        row.day.isoformat(),
        row.grade,
        kind,
        row.seconds,
        *outcome,
        epoch_ms(row.reviewed_at),
        row.anki_id,
        row.leech,
        None if row.asked is None else int(row.asked),
    )


def search_fields(card: Card) -> tuple[str, str, str, str, str]:
    """A card's text as the search index holds it: question, answer, erratum, note, tags."""
    return (
        searchable(card.question),
        searchable(card.answer),
        searchable(card.erratum or ""),
        searchable(card.note or ""),
        " ".join(card.tags),
    )


def searchable(text: str) -> str:
    """A card text as the index holds it: the deck's text, with what the terminal shows in
    place of the markup it shows otherwise, so that a search finds the words on the screen
    and the result shows the same (`dlcards search` renders this text): a `<br>` a new line,
    an image `[image: alt]` (its path without one), a sound `♪ media/x.mp3`. `search br`,
    `png` or `sound` found every card holding one, and the result showed no such word. A
    fenced code block's label (```python), never shown, is left out, and so is an entity's
    name (`&amp;` is shown `&`: `search amp` found it). A text without any as it is (most
    cards; no lexing)."""
    if "```" in text:
        from dlcards.markup import without_fence_labels

        text = without_fence_labels(text)
    if "<" not in text and "![" not in text and "[sound:" not in text and "&" not in text:
        return text
    from urllib.parse import unquote

    from dlcards.markup import BR, IMAGE, SOUND, as_text, image_alt

    shown = BR.sub("\n", text)  # first, as the lexer reads it: no image spans a line break
    if "`" not in shown:  # (in a code span they are its text: left as they are)
        shown = IMAGE.sub(lambda m: f"[image: {as_text(image_alt(m[1]) or unquote(m[2]))}]", shown)
        shown = SOUND.sub(lambda m: f"♪ {as_text(unquote(m[1]))}", shown)
        if "&" in shown:
            shown = _ENTITY.sub(_entity_shown, shown)
    if shown != text and _PAIRED & set(text):
        # A `$` or `*` is paired by the lexer over the raw text, inside an image's alt too
        # (`$5![a $c$](x.png)$`: no math), and with the image made text it may pair otherwise
        # (math from `$5` to the last `$`). Where that changes what is shown, the index holds
        # the text as shown, its marks escaped: the same words, rendered the same, unstyled.
        from dlcards.render import to_plain

        plain = to_plain(text)
        if to_plain(shown) != plain:
            return as_text(plain)
    return shown


_PAIRED = frozenset("$*")


_ENTITY = re.compile(r"&(?:#[0-9]+;?|#[xX][0-9a-fA-F]+;?|[A-Za-z][A-Za-z0-9]*;?)")
_MARKUP_CHARS = frozenset("&<>*_$\\`[]!#")


def _entity_shown(m: re.Match[str]) -> str:
    """An entity (`&nbsp;`, `&amp;`, `&#60;`) as the character it shows, so the index holds
    no word of its name; a character the markup would read (`<`, `&`) as a hexadecimal
    reference (`&#x3c;`), which shows the same and is no word anyone searches."""
    import html

    decoded = html.unescape(m[0])
    if decoded == m[0]:
        return decoded  # no entity: its text is shown
    return "".join(f"&#x{ord(ch):x};" if ch in _MARKUP_CHARS else ch for ch in decoded)


def note_hash(card: Card, title: str) -> str:
    """A digest of what a card's exported note shows besides what `Card.content_hash` and
    `search_hash` cover: its topic's title (the note's deck and a field), its source line and
    its computations (each one's live result on the back). The computations as the deck cache
    writes them, so a card parsed and one read from the cache give the same digest.

    A card exported in its own Anki note type (converted from a note added on the phone,
    `anki_guid` and `anki_note_type`) shows neither its title nor its source there, only its
    question and answer (`export.anki.kept_fields`): they are left out of its digest. With
    them, retitling its deck file dated the card as edited, and the next `export anki`
    replaced the learner's note in Anki with dlcards's rendering of it."""
    import hashlib

    if card.anki_guid is not None and card.anki_note_type is not None:
        title, source = "", None
    else:
        source = card.source
    compute = ""
    if card.compute:
        import json

        compute = json.dumps([b.as_json() for b in card.compute], sort_keys=True)
    text = f"{title}\x00{source or ''}\x00{compute}\x00"
    return hashlib.sha1(text.encode(), usedforsecurity=False).hexdigest()[:16]


def search_hash(fields: Sequence[str]) -> str:
    import hashlib

    text = "\x00".join(fields) + "\x00"  # each part ended by NUL
    return hashlib.sha1(text.encode(), usedforsecurity=False).hexdigest()[:16]


Digests = tuple[str, str, str, tuple[str, str, str, str, str]]
"""A card's `Card.content_hash`, `search_hash` of its `search_fields` and `note_hash`: what a
sync compares with the cards table; and the `search_fields` themselves, what the index gets
when the card is new or its text changed (made once, where the digests are: a first sync's
parse workers, not the process that writes)."""


def card_digests(card: Card, title: str) -> Digests:
    """`card`'s digests; `title`: its topic's title."""
    fields = search_fields(card)
    return card.content_hash, search_hash(fields), note_hash(card, title), fields


def edit_kept(
    content: str,
    search: str,
    shown: str,
    had_content: str | None,
    retired: int,
    had_search: str | None,
    had_shown: str | None,
) -> bool:
    """Whether a card whose digests are now `content`, `search` and `shown` (`card_digests`)
    keeps the time its text last changed (`cards.edited`), its row holding `had_content`,
    `retired`, `had_search` and `had_shown`: what its exported note shows is as it was (a
    retired card's search digest went with its retirement; a card synced before `note_hash`
    gets it with its time kept). Else a sync dates it by its deck file's modification time:
    `Store.sync_decks` decides so, and `Store.edit_times_as_synced` for a database that
    cannot take the sync."""
    return (
        had_content == content
        and (had_search == search or (bool(retired) and had_search is None))
        and had_shown in (None, shown)
    )


def edit_time(had: int | None, file_time: int | None, now: int) -> int:
    """When a sync dates a card whose note changed (`edit_kept` false): its deck file's
    modification time (whole seconds; `now`, the sync's, when it is not known), and at least
    a second after the time its row held (`had`: its last change, or the time an export gave
    its note, `Store.record_exports`). Anki replaces a note only with a newer one: an edit
    saved in the second of the one before it, once that one was exported, was dated as that
    note (the file's time in whole seconds, the same), and never reached Anki; a deck file put
    back with an older time (a copy, `git checkout`) was dated before the note Anki held."""
    at = file_time or now
    return at if had is None else max(at, had + 1)


def tags_cell(tags: Sequence[str]) -> str:
    """A card's tags as `cards.tags` holds them: each between spaces (` a b `), so that a tag
    is found as ` tag ` in it (`Reports.tagged`)."""
    return f" {' '.join(tags)} "


class Premade(NamedTuple):
    """A deck's cards as a first sync writes them, made where the deck was parsed (a parse
    worker, `premade`), so that the process that writes gets strings ready to bind instead of
    the cards: no Card to unpickle, no per-card work but putting each row together. Each list
    is in the deck's order."""

    topic: str | None  # the one topic of all its cards (None: several, or no card)
    ids: list[str]
    tags: list[str]  # as the cards table holds them: each tag between spaces
    digests: list[Digests]
    guids: dict[str, str]  # card id -> its `anki_guid`, for the cards that have one


def premade(cards: Sequence[Card], title: str) -> Premade:
    """`cards`' `Premade` rows; `title`: their topic's title."""
    one = {card.topic for card in cards}
    return Premade(
        one.pop() if len(one) == 1 else None,
        [card.id for card in cards],
        [tags_cell(card.tags) for card in cards],
        [card_digests(card, title) for card in cards],
        {card.id: card.anki_guid for card in cards if card.anki_guid is not None},
    )


class LogEntry(NamedTuple):
    """A scheduled grade, as a replay needs it."""

    day: date
    grade: int


class LoggedGrade(NamedTuple):
    """Any row of a card's log, in time order, as a re-decision of the log reads it: a
    session's re-drill stays one (`redrill`); every other row is decided again by its day."""

    id: int
    day: date
    grade: int
    redrill: bool


class ImportedReview(NamedTuple):
    """A review done elsewhere (an Anki revlog row), for a card in the database."""

    card_id: str
    anki_id: int  # Anki's revlog id: the review's time in ms, unique in its collection
    reviewed_at: str  # ISO, local time with its offset
    day: date  # the local calendar day
    grade: int
    seconds: float | None = None


class ImportedReviews(Sequence[ImportedReview]):
    """Many reviews done elsewhere, as columns (what `anki_progress.convert` gives): read as a
    sequence of `ImportedReview` (each made when asked for), and by the store's bulk merge
    column by column. `card` indexes `card_ids` (each card id once); `anki_id`, `day` (date
    ordinals), `grade` are int64 arrays, `seconds` float64 (NaN for none), `reviewed_at` a
    list of texts; every column has a value per row, in the rows' order."""

    def __init__(
        self,
        card_ids: Sequence[str],
        card: Any,
        anki_id: Any,
        reviewed_at: list[str],
        day: Any,
        grade: Any,
        seconds: Any,
    ) -> None:
        import numpy as np

        distinct: dict[str, int] = {}
        remap = np.array([distinct.setdefault(c, len(distinct)) for c in card_ids], np.int64)
        self.card_ids = list(distinct)
        self.card = remap[np.asarray(card, np.int64)] if len(remap) else np.asarray(card, np.int64)
        self.anki_id = np.asarray(anki_id, np.int64)
        self.reviewed_at = reviewed_at
        self.day = np.asarray(day, np.int64)
        self.grade = np.asarray(grade, np.int64)
        self.seconds = np.asarray(seconds, np.float64)
        columns = (self.card, reviewed_at, self.day, self.grade, self.seconds)
        if any(len(column) != len(self.anki_id) for column in columns):
            raise ValueError("ImportedReviews: columns of different lengths")

    def __len__(self) -> int:
        return len(self.anki_id)

    def _row(self, i: int) -> ImportedReview:
        seconds = float(self.seconds[i])
        return ImportedReview(
            self.card_ids[int(self.card[i])], int(self.anki_id[i]), self.reviewed_at[i],
            date.fromordinal(int(self.day[i])), int(self.grade[i]),
            None if math.isnan(seconds) else seconds,
        )  # fmt: skip

    @overload
    def __getitem__(self, i: int) -> ImportedReview: ...

    @overload
    def __getitem__(self, i: slice) -> list[ImportedReview]: ...

    def __getitem__(self, i: int | slice) -> ImportedReview | list[ImportedReview]:
        if isinstance(i, slice):
            return [self._row(k) for k in range(len(self))[i]]
        return self._row(range(len(self))[i])

    def __iter__(self) -> Iterator[ImportedReview]:
        ids = self.card_ids
        days: dict[int, date] = {}
        for card, anki_id, at, day, grade, seconds in zip(
            self.card.tolist(), self.anki_id.tolist(), self.reviewed_at, self.day.tolist(),
            self.grade.tolist(), self.seconds.tolist(), strict=True,
        ):  # fmt: skip
            when = days.get(day) or days.setdefault(day, date.fromordinal(day))
            yield ImportedReview(
                ids[card], anki_id, at, when, grade, None if math.isnan(seconds) else seconds
            )


class DeckPart(NamedTuple):
    """One deck file as sync sees it: `key` names the file, `stamp` changes whenever the file
    does (None: always compare its cards), `cards` loads its cards (called only when the deck
    changed, or when every deck is compared)."""

    key: str
    stamp: str | None
    cards: Callable[[], Sequence[Card]]
    edited: int | None = None  # the file's modification time (s): when its cards changed
    title: Callable[[], str] | None = None  # its topic's title (called after `cards`)
    # the deck's rows made where it was parsed (`Premade`, with each card's digests in the
    # order of `cards`): called instead of `cards` by a first sync, which then never loads its
    # cards, and after `cards` by any other for the digests; None, or no function, to make
    # them here
    premade: Callable[[], Premade | None] | None = None
    # each card's digests as `card_digests` gives them but the search text (made only for a
    # card whose search text the index gets), in the order of `cards`, when the deck was
    # parsed with them (`catalog.Loading(digests=True)`); None to make them here
    digests: Callable[[], Sequence[tuple[str, str, str]] | None] | None = None


DECK_STRIDE = 1 << 24
"""A card's position (deck order) is its deck's index times this plus its index in the deck:
an edit that adds or removes cards in one deck leaves every other deck's positions as they are
(a deck file holds at most 32 MB, far fewer than 2**24 cards)."""


class SyncResult(NamedTuple):
    added: int = 0
    updated: int = 0
    retired: int = 0
    restored: int = 0
    parsed: bool = False


class ExportedNote(NamedTuple):
    """A note an Anki export wrote otherwise than the last one (`Store.record_exports`): its
    digest (`export.anki.note_digest`), and its new time when nothing else dated the change
    (None: its card's `edited` stands)."""

    card_id: str
    digest: str
    edited: int | None


class TopicCounts(NamedTuple):
    topic: str
    cards: int
    due: int
    new: int
    suspended: int


class CardFlags(NamedTuple):
    suspended: bool
    retired: bool
    leech: bool = False


class Suspension(NamedTuple):
    """A card's `suspended` flag and when it last changed (Unix seconds; None: not known,
    never changed in dlcards)."""

    suspended: bool
    changed: int | None


class Unsuspended(NamedTuple):
    """What a study session's `!` changed, for its undo: the card's flag as it was (`was`),
    and the time of change it wrote (`at`, Unix seconds)."""

    was: Suspension
    at: int
    action: int = 0
    """Its row in `learner_actions` (`store.actions`), deleted by the session's undo."""


SUSPENSION_CHANGED = "CASE WHEN typeof(suspended_changed) = 'integer' THEN suspended_changed END"
"""`cards.suspended_changed` as read: a value that is not a whole number of seconds (a
damaged file) is no time, as NULL is."""


class Leech(NamedTuple):
    """A card marked a leech, with its lapses and whether it is suspended."""

    id: str
    topic: str
    lapses: int
    suspended: bool


class SearchHit(NamedTuple):
    """A card found by a search, with its rank (bm25, lower is better; None without words)."""

    id: str
    topic: str
    rank: float | None


class DayCount(NamedTuple):
    """Reviews on one day: all of them, the scheduled ones, and those passed (grade >= 3)."""

    day: str
    reviews: int
    scheduled: int
    passed: int


class RetentionRow(NamedTuple):
    """Scheduled reviews of cards that had been reviewed before (Anki's true retention counts
    review cards only), grouped: topic, young/mature by the interval before, passed or not."""

    topic: str
    mature: bool
    since: str  # the window's first day
    passed: int
    failed: int


class StatsRow(NamedTuple):
    """One active card for the statistics, with the active scheduler's due date, interval and
    stability (None under SM-2). Days are ISO text, as stored."""

    id: str
    suspended: int
    repetitions: int
    ef: int
    lapses: int
    last_review: str | None
    due: str | None
    interval: int
    stability: float | None
    topic: str = ""
    leech: int = 0
    difficulty: float | None = None


def stats_row(r: Sequence[Any], table: str) -> StatsRow:
    """A `card_rows` row (due date from `table`; under FSRS its last review last), every value
    checked (days stay ISO text)."""
    cid = str(r[0])
    for value, column in ((r[5], "sm2.last_review"), (r[6], f"{table}.due")):
        day_of(value, cid, column)
    if len(r) > 12:  # FSRS's own last review, which its interval is counted from
        day_of(r[12], cid, "fsrs.last_review")
    stability = r[8]
    return StatsRow(
        cid,
        int_of(r[1], cid, "cards.suspended", (0, 1)),
        int_of(r[2], cid, "sm2.repetitions", COUNT_RANGE),
        int_of(r[3], cid, "sm2.ef", EF_RANGE),
        int_of(r[4], cid, "sm2.lapses", COUNT_RANGE),
        r[5] or None,
        r[6] or None,
        int(float_of(r[7] or 0, cid, "interval", (0, INTERVAL_RANGE[1]))),
        None
        if stability is None
        else float_of(stability, cid, "fsrs.stability", STABILITY_RANGE, True),
        str(r[9] or "") if len(r) > 9 else "",
        int_of(r[10], cid, "cards.leech", COUNT_RANGE) if len(r) > 10 and r[10] else 0,
        None
        if len(r) <= 11 or r[11] is None
        else float_of(r[11], cid, "fsrs.difficulty", (0.0, 11.0)),
    )


def grade_of(value: object, card_id: str) -> int:
    return int_of(value, card_id, "reviews.grade", GRADE_RANGE)


def check_review(columns: Sequence[str], row: Sequence[Any]) -> None:
    """Check one raw `reviews` row (every column, for the export of the log)."""
    values = dict(zip(columns, row, strict=True))
    cid = str(values.get("card_id"))
    text_of(values.get("card_id"), cid, "reviews.card_id")
    text_of(values.get("reviewed_at"), cid, "reviews.reviewed_at")
    if day_of(values.get("day"), cid, "reviews.day") is None:
        raise _bad(cid, "reviews.day", None, "a date")
    grade_of(values.get("grade"), cid)
    if values.get("kind") not in ("scheduled", "redrill"):
        raise _bad(cid, "reviews.kind", values.get("kind"), "scheduled or redrill")
    for side in ("before", "after"):
        for name, bounds in (
            ("ef", EF_RANGE),
            ("interval", INTERVAL_RANGE),
            ("reps", COUNT_RANGE),
            ("lapses", COUNT_RANGE),
        ):
            value = values.get(f"{name}_{side}")
            if value is not None:
                int_of(value, cid, f"reviews.{name}_{side}", bounds)
        day_of(values.get(f"due_{side}"), cid, f"reviews.due_{side}")
    day_of(values.get("last_review_before"), cid, "reviews.last_review_before")
    seconds = values.get("seconds")
    if seconds is not None:
        float_of(seconds, cid, "reviews.seconds", (0.0, 1e9))


LOG_INTS = tuple(
    (f"{name}_{side}", bounds)
    for side in ("before", "after")
    for name, bounds in (
        ("ef", EF_RANGE),
        ("interval", INTERVAL_RANGE),
        ("reps", COUNT_RANGE),
        ("lapses", COUNT_RANGE),
    )
)
"""The log's whole-number columns, each with its bounds (`ReviewRowsCheck`, `REVIEW_ROW_OK`)."""


class ReviewRowsCheck:
    """`check(rows)`: True only if `check_review` passes every one of `rows` (False: some row
    may not), for the chunks of one log read in turn.

    `check_review` checks each column on its own, so the distinct values of a column are
    checked once each, by the same functions, and once for the whole log (a value passed is
    remembered): for the columns whose values are nearly all distinct (the card, the time,
    the seconds) only their types and range are looked at, in C. A million rows: ~1 s, where
    the same checks in SQL took ~5 s in a pass of their own before the first row."""

    _INTS = LOG_INTS
    _DAYS = ("day", "due_before", "due_after", "last_review_before")

    def __init__(self, columns: Sequence[str]) -> None:
        self.at = {name: k for k, name in enumerate(columns)}
        self.passed: dict[str, set[Any]] = {name: set() for name in columns}

    def __call__(self, rows: Sequence[Sequence[Any]]) -> bool:
        from functools import partial
        from operator import itemgetter

        def column(name: str) -> Iterator[Any]:
            return map(itemgetter(self.at[name]), rows)

        try:
            for name in ("card_id", "reviewed_at"):
                if not set(map(type, column(name))) <= {str}:
                    return False
            if not set(column("kind")) <= {"scheduled", "redrill"}:
                return False
            checks: list[tuple[str, Callable[[Any], object]]] = [
                ("grade", partial(grade_of, card_id="")),
                *((n, partial(int_of, card_id="", column=n, bounds=b)) for n, b in self._INTS),
                *((n, partial(day_of, card_id="", column=n)) for n in self._DAYS),
            ]
            for name, check in checks:
                passed = self.passed[name]
                new = set(column(name)) - passed
                if name == "day" and (None in new or "" in new):
                    return False
                new.discard(None)
                for value in new:
                    check(value)
                passed |= new
            seconds = set(column("seconds"))
            seconds.discard(None)
            if seconds:
                if not set(map(type, seconds)) <= {int, float}:
                    return False
                # a NaN or an infinity makes the sum not finite (each value is at most 1e9)
                if min(seconds) < 0 or max(seconds) > 1e9 or not math.isfinite(sum(seconds)):
                    return False
        except StoreError:
            return False
        return True


def _day_ok(column: str, optional: bool) -> str:
    """SQL true for what `day_of` reads as a day (`optional`: or as no day)."""
    # date() alone keeps 2026-02-30; a modifier normalises it (to 2026-03-02), so only a real
    # calendar day comes back unchanged
    day = (
        f"(typeof({column}) = 'text' AND date({column}, '+0 days') IS {column} "
        f"AND {column} >= '0001')"
    )
    return f"({column} IS NULL OR {column} = '' OR {day})" if optional else day


def _int_ok(column: str, bounds: tuple[int, int]) -> str:
    """SQL true for a stored integer within `bounds`, or NULL (as `check_review` allows)."""
    low, high = bounds
    within = f"typeof({column}) = 'integer' AND {column} BETWEEN {low} AND {high}"
    return f"({column} IS NULL OR ({within}))"


REVIEW_ROW_OK = " AND ".join(
    [
        "typeof(card_id) = 'text'",
        "typeof(reviewed_at) = 'text'",
        _day_ok("day", optional=False),
        f"(typeof(grade) = 'integer' AND grade BETWEEN {GRADE_RANGE[0]} AND {GRADE_RANGE[1]})",
        "(typeof(kind) = 'text' AND kind IN ('scheduled', 'redrill'))",
        *(_int_ok(name, bounds) for name, bounds in LOG_INTS),
        _day_ok("due_before", optional=True),
        _day_ok("due_after", optional=True),
        _day_ok("last_review_before", optional=True),
        "(seconds IS NULL OR "
        "(typeof(seconds) IN ('integer', 'real') AND seconds BETWEEN 0 AND 1e9))",
    ]
)
"""SQL true for a `reviews` row that `check_review` passes: a row it is false for may still
pass (a whole number stored as 250.0, an ISO week date), a row it is true for always does. The
export checks in Python only the rows this leaves (1,000,000 rows: ~20 s -> none)."""


class ReviewWindow(NamedTuple):
    """Reviews on or after a day: all, scheduled, and scheduled graded >= 3."""

    reviews: int
    scheduled: int
    passed: int


class QuizAnswer(NamedTuple):
    card_id: str
    correct: bool
    given: str | None
    expected: str | None
