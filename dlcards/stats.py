"""Collection statistics from one pass over every active card (pure: rows in, numbers out).

Each card comes as a `StatsRow` whose due date, interval and stability are the active
scheduler's; predicted recall uses the active scheduler's curve. Days are ISO text as stored.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from dlcards.recall import Curve, RecallSummary, summarize

if TYPE_CHECKING:
    from dlcards.store.rows import StatsRow

MATURE_DAYS = 21


@dataclass
class Overview:
    cards: dict[str, int] = field(default_factory=dict)
    average_ef: float | None = None
    leeches: list[tuple[str, str, int, bool]] = field(default_factory=list)
    forecast: list[tuple[date, int]] = field(default_factory=list)
    recall: RecallSummary = field(default_factory=lambda: RecallSummary(0, None, 0))


def overview(
    rows: Iterable[StatsRow],
    today: date,
    curve: Curve,
    days: int = 30,
) -> Overview:
    """Cards by state (new; learning: reviewed, repetitions <= 1; young; mature: interval >= 21
    days; suspended), average EF of reviewed cards, leeches (cards the leech rule marked, with
    topic, lapses and whether suspended, most lapses first), due
    reviews per day for `days` days (overdue counted today), and predicted recall today."""
    counts = Counter({"new": 0, "learning": 0, "young": 0, "mature": 0, "suspended": 0})
    ef_sum = ef_n = 0
    leeches: list[tuple[str, str, int, bool]] = []
    due_on: Counter[str] = Counter()
    recall_rows: list[tuple[int, int, float | None]] = []
    first, last = today.isoformat(), (today + timedelta(days=days - 1)).isoformat()
    for row in rows:
        cid, suspended, reps, ef, lapses, last_review, due, interval, stability = row[:9]
        if row.leech:
            leeches.append((cid, row.topic, lapses, bool(suspended)))
        if suspended:
            counts["suspended"] += 1
            continue
        if last_review is None:
            counts["new"] += 1
            continue
        if reps <= 1:
            counts["learning"] += 1
        elif interval >= MATURE_DAYS:
            counts["mature"] += 1
        else:
            counts["young"] += 1
        ef_sum += ef
        ef_n += 1
        if due is not None and due <= last:
            due_on[max(due, first)] += 1
        elapsed = (today - date.fromisoformat(last_review)).days
        recall_rows.append((elapsed, interval, stability))
    leeches.sort(key=lambda x: -x[2])  # stable: deck order among equals
    return Overview(
        cards=dict(counts),
        average_ef=round(ef_sum / ef_n / 100, 2) if ef_n else None,
        leeches=leeches,
        forecast=[
            (today + timedelta(days=i), due_on[(today + timedelta(days=i)).isoformat()])
            for i in range(days)
        ],
        recall=summarize(recall_rows, curve),
    )


# --- the review heatmap -------------------------------------------------------------------------

HEATMAP_WEEKS = 53  # a year of weeks, as columns


@dataclass(frozen=True)
class Heatmap:
    """Reviews per day for the weeks up to today: `weeks[w][d]` is the count on weekday d
    (Monday 0) of week w, None for a day after today. `levels` gives each count its colour
    step: 0 for none, else 1-4 by its share of the busiest day (ceil(4 n / max))."""

    first: date  # the Monday of the first week
    today: date
    weeks: list[list[int | None]]
    peak: int
    total: int
    days_studied: int

    def level(self, count: int | None) -> int:
        return heat_level(count, self.peak)


def heat_level(count: int | None, peak: int) -> int:
    """A day's colour step: 0 for no reviews, else 1-4 by its share of the busiest day."""
    if not count or not peak:
        return 0
    return max(1, min(4, -(-4 * count // peak)))


def heatmap(counts: dict[date, int], today: date, weeks: int = HEATMAP_WEEKS) -> Heatmap:
    """The heatmap of the `weeks` weeks that end with today's week (Monday first)."""
    first = today - timedelta(days=today.weekday() + 7 * (weeks - 1))
    grid: list[list[int | None]] = []
    for w in range(weeks):
        column: list[int | None] = []
        for d in range(7):
            day = first + timedelta(days=7 * w + d)
            column.append(None if day > today else counts.get(day, 0))
        grid.append(column)
    shown = [n for column in grid for n in column if n]
    return Heatmap(first, today, grid, max(shown, default=0), sum(shown), len(shown))


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

INTERVAL_BINS = ((1, 1), (2, 3), (4, 7), (8, 14), (15, 30), (31, 90), (91, 180), (181, 365))
EASE_BINS = (1.3, 1.5, 1.7, 1.9, 2.1, 2.3, 2.5, 2.7)  # lower edges; the last is open
DIFFICULTY_BINS = (1, 2, 3, 4, 5, 6, 7, 8, 9)  # FSRS difficulty runs from 1 to 10


def _day_bins(values: Iterable[float]) -> list[tuple[str, int]]:
    from bisect import bisect_left

    uppers = [b for _, b in INTERVAL_BINS]
    labels = [f"{a}d" if a == b else f"{a}-{b}d" for a, b in INTERVAL_BINS] + ["> 1y"]
    counts = [0] * len(labels)
    for v in values:
        counts[bisect_left(uppers, max(1, round(v)))] += 1
    return list(zip(labels, counts, strict=True))


def _edge_bins(
    values: Iterable[float], edges: tuple[float, ...], fmt: str
) -> list[tuple[str, int]]:
    from bisect import bisect_right

    labels = [f"{a:{fmt}}-{b:{fmt}}" for a, b in zip(edges, edges[1:], strict=False)]
    labels.append(f"≥ {edges[-1]:{fmt}}")
    inner = [e - 1e-9 for e in edges[1:]]
    counts = [0] * len(labels)
    for v in values:
        counts[bisect_right(inner, v)] += 1
    return list(zip(labels, counts, strict=True))


def histograms(rows: Iterable[StatsRow], scheduler: str) -> dict[str, list[tuple[str, int]]]:
    """Reviewed, unsuspended cards by interval and by ease (SM-2), or by stability and
    difficulty (FSRS): (bin label, cards) in order."""
    reviewed = [r for r in rows if r.last_review is not None and not r.suspended]
    if scheduler == "fsrs":
        fsrs = [r for r in reviewed if r.stability is not None]
        return {
            "interval": _day_bins(r.interval for r in reviewed),
            "stability": _day_bins(r.stability or 0 for r in fsrs),
            "difficulty": _edge_bins((r.difficulty or 1 for r in fsrs), DIFFICULTY_BINS, "g"),
        }
    return {
        "interval": _day_bins(r.interval for r in reviewed),
        "ease": _edge_bins((r.ef / 100 for r in reviewed), EASE_BINS, ".1f"),
    }
