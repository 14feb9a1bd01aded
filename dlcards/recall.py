"""Predicted recall over a collection (pure): the average and the cards below a threshold.

The curve comes from the active scheduler (`Scheduler.curve`): SM-2 has no memory model and
uses the srs-benchmark's 0.9^(days since review / interval); FSRS its forgetting curve.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

LOW_RECALL = 0.8

Curve = Callable[[int, int, "float | None"], "float | None"]


@dataclass(frozen=True)
class RecallSummary:
    cards: int
    average: float | None
    below: int  # cards under LOW_RECALL


def summarize(rows: Iterable[tuple[int, int, float | None]], curve: Curve) -> RecallSummary:
    """rows: (days since the last review, interval, stability) of each reviewed card."""
    values = [v for e, i, s in rows if (v := curve(e, i, s)) is not None]
    if not values:
        return RecallSummary(0, None, 0)
    return RecallSummary(
        len(values), sum(values) / len(values), sum(v < LOW_RECALL for v in values)
    )
