"""Collection statistics from one pass over every active card (pure: rows in, numbers out).

Each card comes as a `StatsRow` whose due date, interval and stability are the active
scheduler's; predicted recall uses the active scheduler's curve. Days are ISO text as stored.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import TYPE_CHECKING

from dlcards.recall import Curve, RecallSummary, summarize

if TYPE_CHECKING:
    from dlcards.store.rows import StatsRow

MATURE_DAYS = 21
LEECH_LAPSES = 8


@dataclass
class Overview:
    cards: dict[str, int] = field(default_factory=dict)
    average_ef: float | None = None
    leeches: list[tuple[str, int]] = field(default_factory=list)
    forecast: list[tuple[date, int]] = field(default_factory=list)
    recall: RecallSummary = field(default_factory=lambda: RecallSummary(0, None, 0))


def overview(
    rows: Iterable[StatsRow],
    today: date,
    curve: Curve,
    days: int = 30,
) -> Overview:
    """Cards by state (new; learning: reviewed, repetitions <= 1; young; mature: interval >= 21
    days; suspended), average EF of reviewed cards, leeches (lapses >= 8, most first), due
    reviews per day for `days` days (overdue counted today), and predicted recall today."""
    counts = Counter({"new": 0, "learning": 0, "young": 0, "mature": 0, "suspended": 0})
    ef_sum = ef_n = 0
    leeches: list[tuple[str, int]] = []
    due_on: Counter[str] = Counter()
    recall_rows: list[tuple[int, int, float | None]] = []
    first, last = today.isoformat(), (today + timedelta(days=days - 1)).isoformat()
    for cid, suspended, reps, ef, lapses, last_review, due, interval, stability in rows:
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
        if lapses >= LEECH_LAPSES:
            leeches.append((cid, lapses))
        if due is not None and due <= last:
            due_on[max(due, first)] += 1
        elapsed = (today - date.fromisoformat(last_review)).days
        recall_rows.append((elapsed, interval, stability))
    leeches.sort(key=lambda x: -x[1])  # stable: deck order among equals
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
