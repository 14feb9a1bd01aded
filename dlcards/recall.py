"""Predicted recall today, for the active scheduler (pure).

SM-2 has no memory model; dlcards uses the srs-benchmark's mapping 0.9^(days since review /
interval). FSRS uses its own forgetting curve, R(t) = (1 + FACTOR·t/S)^DECAY.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date

LOW_RECALL = 0.8


@dataclass(frozen=True)
class RecallSummary:
    cards: int
    average: float | None
    below: int  # cards under LOW_RECALL


def sm2_recall(interval: float, elapsed_days: int) -> float:
    return float(0.9 ** (max(elapsed_days, 0) / interval)) if interval > 0 else 0.0


def summarize(
    rows: Iterable[tuple[str, float, str]], today: date, scheduler: str, retention: float
) -> RecallSummary:
    """rows: (card_id, interval or stability, last review ISO day)."""
    recall: Callable[[float, int], float] = sm2_recall
    if scheduler == "fsrs":
        from dlcards.fsrs_sched import recall_curve

        decay, factor = recall_curve(retention)

        def fsrs_recall(stability: float, elapsed_days: int) -> float:
            return float((1 + factor * max(elapsed_days, 0) / stability) ** decay)

        recall = fsrs_recall
    values = [recall(x, (today - date.fromisoformat(last)).days) for _, x, last in rows if x > 0]
    if not values:
        return RecallSummary(0, None, 0)
    return RecallSummary(
        len(values), sum(values) / len(values), sum(v < LOW_RECALL for v in values)
    )
