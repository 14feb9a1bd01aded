"""Rows <-> values: the one place that knows the column lists of the memory tables and the log.

Every value read from the database is checked where it becomes a Python value: a bad day in a
row is one clear line naming the card and the column, pointing to `dlcards doctor`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any, NamedTuple

from dlcards.errors import StoreError
from dlcards.memory import FsrsState, Memory, Sm2State
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
UPDATE_SM2 = "UPDATE sm2 SET " + ", ".join(f"{c} = ?" for c in SM2_COLUMNS) + " WHERE card_id = ?"
UPSERT_FSRS = (
    f"INSERT INTO fsrs (card_id, {', '.join(FSRS_COLUMNS)}) VALUES (?, ?, ?, ?, ?) "
    "ON CONFLICT(card_id) DO UPDATE SET " + ", ".join(f"{c} = excluded.{c}" for c in FSRS_COLUMNS)
)

# The one order a card's log is replayed in (time, then id: reviews imported from Anki
# interleave with dlcards's own), and the one meaning of "after the card's reset point" (a
# moment, with ids breaking ties at it). History, undo, rebuild_all and the import all use these.
# (A row's place is the pair (at, id); the merge compares the same pairs in Python.)
TIME_ORDER = "r.at, r.id"
RESET_MARK = "coalesce(c.reset_at, -1), coalesce(c.reset_after, 0)"
AFTER_RESET = f"(r.at, r.id) > ({RESET_MARK})"

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
)
# What a replay of the log decides for each row: its kind and the memory around it (a leech
# mark is not re-decided: it stays as the grade fired it).
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


def day_of(text: object, card_id: str, column: str) -> date | None:
    """A stored ISO day (None stays None); a bad value is a StoreError naming where it is."""
    if text is None or text == "":
        return None
    try:
        return date.fromisoformat(str(text))
    except ValueError:
        raise StoreError(
            f"card {card_id}: column {column} holds {str(text)[:40]!r}, not a date; "
            "run `dlcards doctor` to repair the database"
        ) from None


def iso(day: date | None) -> str | None:
    return day.isoformat() if day else None


def sm2_from(row: Sequence[Any], card_id: str, table: str = "sm2") -> Sm2State:
    ef, reps, interval, due, lapses, last = row
    return Sm2State(
        ef=int(ef),
        repetitions=int(reps),
        interval=int(interval),
        due=day_of(due, card_id, f"{table}.due"),
        lapses=int(lapses),
        last_review=day_of(last, card_id, f"{table}.last_review"),
    )


def sm2_values(state: Sm2State) -> tuple[Any, ...]:
    s = state
    return (s.ef, s.repetitions, s.interval, iso(s.due), s.lapses, iso(s.last_review))


def fsrs_from(row: Sequence[Any], card_id: str) -> FsrsState:
    stability, difficulty, due, last = row
    if stability is None:
        return FsrsState()
    return FsrsState(
        stability=float(stability),
        difficulty=float(difficulty),
        due=day_of(due, card_id, "fsrs.due"),
        last_review=day_of(last, card_id, "fsrs.last_review"),
    )


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


@dataclass(frozen=True)
class ReviewRow:
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


def outcome_values(kind: str, before: Memory, after: Memory) -> tuple[Any, ...]:
    """The OUTCOME_COLUMNS of a log row: its kind and the memory before and after it."""
    b, a = before.sm2, after.sm2
    fsrs_before = None if before.fsrs == after.fsrs else before.fsrs.to_json()
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
    )


def search_fields(card: Card) -> tuple[str, str, str, str, str]:
    """A card's text as the search index holds it: question, answer, erratum, note, tags."""
    return (card.question, card.answer, card.erratum or "", card.note or "", " ".join(card.tags))


def search_hash(fields: Sequence[str]) -> str:
    import hashlib

    h = hashlib.sha1(usedforsecurity=False)
    for part in fields:
        h.update(part.encode())
        h.update(b"\x00")
    return h.hexdigest()[:16]


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


@dataclass(frozen=True)
class SyncResult:
    added: int = 0
    updated: int = 0
    retired: int = 0
    restored: int = 0
    parsed: bool = False


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
