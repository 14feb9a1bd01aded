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


def summarize(rows: Iterable[tuple[int, int, float | None, int]], curve: Curve) -> RecallSummary:
    """rows: (days since the last review, interval, stability, cards) of reviewed cards, the
    last the number of cards with those numbers. The average is the exactly rounded mean
    (`math.fsum`), so it does not depend on the order or grouping of the cards."""
    from itertools import repeat
    from math import fsum

    values: list[float] = []
    cards = below = 0
    for e, i, s, n in rows:
        v = curve(e, i, s)
        if v is None:
            continue
        values.extend(repeat(v, n))
        cards += n
        below += n if v < LOW_RECALL else 0
    if not cards:
        return RecallSummary(0, None, 0)
    return RecallSummary(cards, fsum(values) / cards, below)
