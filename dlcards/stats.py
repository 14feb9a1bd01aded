"""Collection statistics (pure: sums in, numbers out).

The cards come summed as a `CardTally` (by SQL, or from `StatsRow`s by `tally_of`) whose due
dates, intervals and stabilities are the active scheduler's; predicted recall uses the active
scheduler's curve. Days are ISO text as stored.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any, NamedTuple

from dlcards.bins import (
    DAY_LABELS,
    DIFFICULTY_BINS,
    EASE_BINS,
    day_bin,
    difficulty_bin,
    inner_edges,
)
from dlcards.recall import Curves, RecallSummary, summarize

if TYPE_CHECKING:
    from dlcards.store.rows import StatsRow

MATURE_DAYS = 21


# The records here are NamedTuples, not dataclasses: `stats` imports no `dataclasses` (and its
# `inspect`), ~7 ms of a fresh process.


class Overview(NamedTuple):
    cards: dict[str, int]
    average_ef: float | None
    average_difficulty: float | None  # FSRS's, of the cards it holds a memory of
    leeches: list[tuple[str, str, int, bool]]
    forecast: list[tuple[date, int]]
    recall: RecallSummary


CardGroup = tuple["str | None", int, "str | None", "float | None", "float | None", int, int]
"""Reviewed, unsuspended active cards that share the numbers the statistics read, as a plain
tuple (the SQL rows are the groups; tens of thousands of them): (last review, interval, due,
stability, difficulty, how many cards, how many of them are learning (interval of at most
LEARNING_DAYS)). FSRS's sums by SQL (`CardTally.memory`) leave out the last review, the
stability and the difficulty (None): each is one per card, summed apart."""

LEARNING_DAYS = 1
"""A reviewed card is *learning* while the active scheduler has it due a day after its last
review: a first answer or a lapse not yet answered well again. Under SM-2 these are exactly the
cards of repetitions <= 1 (its intervals are 1, 1, then 6 and more; SM-2's tally counts them so,
`schema.TALLY_MEMORY_SQL`); under FSRS the interval is FSRS's, so a card it holds for 28 days is
mature however few passes in a row SM-2 counts."""


class CardTally(NamedTuple):
    """Every active card, summed up for the statistics: new (never reviewed) and suspended
    cards counted, the reviewed unsuspended ones grouped (`groups`) and counted by EF in
    hundredths (`ease`: (ef, cards)), leeches (id, topic, lapses, suspended) most lapses
    first, deck order among equals. The same numbers whether summed by SQL (the store's
    `card_tally`) or from the rows (`tally_of`). Under FSRS by SQL, `memory` holds the sums of
    what is one per card (stability, difficulty, predicted recall) and the groups leave those
    out."""

    new: int
    suspended: int
    groups: list[CardGroup]
    ease: list[tuple[int, int]]
    leeches: list[tuple[str, str, int, bool]]
    memory: MemorySums | None = None


class MemorySums(NamedTuple):
    """FSRS's numbers of the reviewed unsuspended cards summed by SQL, one value per card in
    each: cards per stability bin (`stability_bin`) and per difficulty bin (`difficulty_bin`),
    the difficulties' sum over the cards that have one, and the predicted recall today."""

    stability: list[int]
    difficulty: list[int]
    difficulty_sum: float
    difficulty_cards: int
    recall: RecallSummary


def tally_of(rows: Iterable[StatsRow]) -> CardTally:
    """The tally of cards given one by one (deck order)."""
    new = suspended = 0
    groups: dict[tuple[Any, ...], list[int]] = {}
    ease: Counter[int] = Counter()
    leeches: list[tuple[str, str, int, bool]] = []
    for row in rows:
        if row.leech:
            leeches.append((row.id, row.topic, row.lapses, bool(row.suspended)))
        if row.suspended:
            suspended += 1
            continue
        if row.last_review is None:
            new += 1
            continue
        key = (row.last_review, row.interval, row.due, row.stability, row.difficulty)
        cell = groups.setdefault(key, [0, 0])
        cell[0] += 1
        cell[1] += row.interval <= LEARNING_DAYS
        ease[row.ef] += 1
    leeches.sort(key=lambda x: -x[2])  # stable: deck order among equals
    return CardTally(
        new,
        suspended,
        [(*key, *cell) for key, cell in groups.items()],
        sorted(ease.items()),
        leeches,
    )


def overview(
    cards: CardTally | Iterable[StatsRow],
    today: date,
    curves: Curves,
    days: int = 30,
) -> Overview:
    """Cards by state (new; learning: reviewed, interval <= 1 day; young; mature: interval >= 21
    days; suspended), average EF of reviewed cards and FSRS difficulty of those FSRS holds,
    leeches (cards the leech rule marked, with topic, lapses and whether suspended, most
    lapses first), due reviews per day for `days` days (overdue counted today), and predicted
    recall today."""
    tally = cards if isinstance(cards, CardTally) else tally_of(cards)
    memory = tally.memory
    learning_n = young = mature = 0
    difficulty_sum, difficulty_n = 0.0, 0
    due_on: Counter[str] = Counter()
    recall_rows: list[tuple[int, int, float | None, int]] = []
    first, last = today.isoformat(), (today + timedelta(days=days - 1)).isoformat()
    elapsed_since: dict[str, int] = {}
    for last_review, interval, due, stability, difficulty, n, learning in tally.groups:
        learning_n += learning
        if interval >= MATURE_DAYS:
            mature += n - learning
        else:
            young += n - learning
        if due is not None and due <= last:
            due_on[due if due > first else first] += n
        if memory is not None or last_review is None:
            continue  # (FSRS by SQL: its per-card numbers are in `memory`)
        if difficulty is not None:
            difficulty_sum += difficulty * n
            difficulty_n += n
        elapsed = elapsed_since.get(last_review)
        if elapsed is None:
            elapsed = elapsed_since[last_review] = (today - date.fromisoformat(last_review)).days
        recall_rows.append((elapsed, interval, stability, n))
    if memory is not None:
        difficulty_sum, difficulty_n = memory.difficulty_sum, memory.difficulty_cards
    counts = {"new": tally.new, "learning": learning_n, "young": young, "mature": mature}
    counts["suspended"] = tally.suspended  # last: the order the JSON keeps
    ef_n = sum(n for _, n in tally.ease)  # the reviewed unsuspended cards, by EF
    return Overview(
        cards=counts,
        average_ef=round(sum(ef * n for ef, n in tally.ease) / ef_n / 100, 2) if ef_n else None,
        average_difficulty=round(difficulty_sum / difficulty_n, 2) if difficulty_n else None,
        leeches=list(tally.leeches),
        forecast=[
            (today + timedelta(days=i), due_on[(today + timedelta(days=i)).isoformat()])
            for i in range(days)
        ],
        recall=memory.recall if memory is not None else summarize(recall_rows, curves),
    )


# --- the review heatmap -------------------------------------------------------------------------

HEATMAP_WEEKS = 53  # a year of weeks, as columns


class Heatmap(NamedTuple):
    """Reviews per day for the weeks up to today (or to `last`): `weeks[w][d]` is the count on
    weekday d (Monday 0) of week w, None for a day after today without reviews. `levels`
    gives each count its colour step: 0 for none, else 1-4 by its share of the busiest day
    (ceil(4 n / max))."""

    first: date  # the Monday of the first week
    today: date
    weeks: list[list[int | None]]
    peak: int
    total: int
    days_studied: int
    last: date  # the last day shown: today, or the log's last past day after it

    def level(self, count: int | None) -> int:
        return heat_level(count, self.peak)

    def as_json(self) -> dict[str, Any]:
        """The heatmap as `stats --json` gives it (days as ISO dates)."""
        return {
            "first": self.first.isoformat(),
            "today": self.today.isoformat(),
            "weeks": self.weeks,
            "peak": self.peak,
            "total": self.total,
            "days_studied": self.days_studied,
            "last": self.last.isoformat(),
        }


def heat_level(count: int | None, peak: int) -> int:
    """A day's colour step: 0 for no reviews, else 1-4 by its share of the busiest day."""
    if not count or not peak:
        return 0
    return max(1, min(4, -(-4 * count // peak)))


def heatmap(
    counts: dict[date, int], today: date, weeks: int = HEATMAP_WEEKS, last: date | None = None
) -> Heatmap:
    """The heatmap of the `weeks` weeks that end with today's week (Monday first), and of the
    weeks after it up to `last`'s: the days after today that hold reviews which have happened
    (`Reports.log_end`: a clock set ahead dated them, and was set back), shown on the days
    they are logged, as Anki shows them."""
    end = max(today, last or today)
    first = today - timedelta(days=today.weekday() + 7 * (weeks - 1))
    grid: list[list[int | None]] = []
    for w in range(weeks + (end - today + timedelta(days=today.weekday())).days // 7):
        column: list[int | None] = []
        for d in range(7):
            day = first + timedelta(days=7 * w + d)
            # a day to come holds no count: only the reviews a wrong clock dated on it
            column.append(
                counts.get(day, 0) if day <= today else counts.get(day) if day <= end else None
            )
        grid.append(column)
    shown = [n for column in grid for n in column if n]
    return Heatmap(first, today, grid, max(shown, default=0), sum(shown), len(shown), end)


# --- true retention -----------------------------------------------------------------------------

RETENTION_WINDOWS = (("today", 0), ("7 days", 6), ("30 days", 29), ("365 days", 364))
"""The windows of the True Retention add-on (name, days before today it starts)."""


def retention_counts(
    rows: Iterable[tuple[str, bool, str, int, int]], today: date
) -> dict[str, Any]:
    """Passed and failed reviews, and the retention, per window, overall and per topic, each
    split young / mature / all. rows: (topic, mature, window's first day ISO, passed, failed).
    """
    starts = {(today - timedelta(days=back)).isoformat(): name for name, back in RETENTION_WINDOWS}

    def cell(passed: int, failed: int) -> dict[str, Any]:
        n = passed + failed
        return {
            "passed": passed,
            "failed": failed,
            "retention": round(passed / n, 4) if n else None,
        }

    sums: dict[tuple[str, str, str], list[int]] = {}
    topics: list[str] = []
    for topic, mature, since, passed, failed in rows:
        window = starts.get(since)
        if window is None:  # another window's rows (see `retention_since`)
            continue
        if topic not in topics:
            topics.append(topic)
        for who in ("*", topic):
            for age in ("mature" if mature else "young", "all"):
                counts = sums.setdefault((who, window, age), [0, 0])
                counts[0] += passed
                counts[1] += failed

    def block(who: str) -> dict[str, Any]:
        return {
            name: {
                age: cell(*sums.get((who, name, age), (0, 0))) for age in ("young", "mature", "all")
            }
            for name, _ in RETENTION_WINDOWS
        }

    return {"overall": block("*"), "topics": {t: block(t) for t in sorted(topics)}}


def retention_since(rows: Iterable[tuple[str, bool, str, int, int]], since: date) -> dict[str, Any]:
    """Passed and failed reviews of the window that starts on `since`, all topics and ages, and
    the retention (None when there are none): `stats`'s retention, all time."""
    passed = failed = 0
    for _topic, _mature, start, p, f in rows:
        if start == since.isoformat():
            passed, failed = passed + p, failed + f
    n = passed + failed
    return {"passed": passed, "failed": failed, "retention": round(passed / n, 4) if n else None}


# --- histograms ---------------------------------------------------------------------------------


def _day_bins(values: Iterable[tuple[float, int]]) -> list[tuple[str, int]]:
    """(value in days, cards) binned by INTERVAL_BINS."""
    counts = [0] * len(DAY_LABELS)
    for v, n in values:
        counts[day_bin(v)] += n
    return list(zip(DAY_LABELS, counts, strict=True))


def _edge_labels(edges: tuple[float, ...], fmt: str) -> list[str]:
    labels = [f"{a:{fmt}}-{b:{fmt}}" for a, b in zip(edges, edges[1:], strict=False)]
    return [*labels, f"≥ {edges[-1]:{fmt}}"]


def _edge_bins(
    values: Iterable[tuple[float, int]], edges: tuple[float, ...], fmt: str
) -> list[tuple[str, int]]:
    """(value, cards) binned by lower `edges` (the last bin open), each a hair low."""
    from bisect import bisect_right

    inner = inner_edges(edges)
    labels = _edge_labels(edges, fmt)
    counts = [0] * len(labels)
    for v, n in values:
        counts[bisect_right(inner, v)] += n
    return list(zip(labels, counts, strict=True))


def histograms(
    cards: CardTally | Iterable[StatsRow], scheduler: str
) -> dict[str, list[tuple[str, int]]]:
    """Reviewed, unsuspended cards by interval and by ease (SM-2), or by stability and
    difficulty (FSRS): (bin label, cards) in order."""
    tally = cards if isinstance(cards, CardTally) else tally_of(cards)
    reviewed = tally.groups
    by_interval: Counter[int] = Counter()
    for _, interval, _, _, _, n, _ in reviewed:
        by_interval[interval] += n  # a few hundred intervals: binned once each
    if scheduler == "fsrs":
        if tally.memory is not None:
            stability, difficulty = tally.memory.stability, tally.memory.difficulty
        else:  # cards without an FSRS memory are in neither
            stability, difficulty = [0] * len(DAY_LABELS), [0] * len(DIFFICULTY_BINS)
            for _, _, _, s, d, n, _ in reviewed:
                if s is not None:
                    stability[day_bin(s)] += n
                    difficulty[difficulty_bin(1 if d is None else d)] += n
        return {
            "interval": _day_bins(by_interval.items()),
            "stability": list(zip(DAY_LABELS, stability, strict=True)),
            "difficulty": list(zip(_edge_labels(DIFFICULTY_BINS, "g"), difficulty, strict=True)),
        }
    return {
        "interval": _day_bins(by_interval.items()),
        "ease": _edge_bins(((ef / 100, n) for ef, n in tally.ease), EASE_BINS, ".1f"),
    }
