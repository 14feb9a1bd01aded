"""Predicted recall over a collection (pure): the average and the cards below a threshold.

The curve comes from the active scheduler (`Scheduler.curves`): SM-2 has no memory model and
uses the srs-benchmark's 0.9^(days since review / interval); FSRS its forgetting curve.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import NamedTuple

LOW_RECALL = 0.8

Rows = Sequence[tuple[int, int, "float | None", int]]  # (elapsed, interval, stability, cards)
Curves = Callable[[Rows], "list[float | None]"]  # `Scheduler.curves`


class RecallSummary(NamedTuple):  # (not a dataclass: `stats` imports no dataclasses, ~7 ms)
    cards: int
    average: float | None
    below: int  # cards under LOW_RECALL


def summarize(rows: Rows, curves: Curves) -> RecallSummary:
    """rows: (days since the last review, interval, stability, cards) of reviewed cards, the
    last the number of cards with those numbers; `curves` the active scheduler's. The average
    is the exactly rounded mean (`math.fsum` of every card's value), so it does not depend on
    the order or grouping of the cards."""
    from itertools import chain, repeat
    from math import fsum

    kept = [(v, row[3]) for v, row in zip(curves(rows), rows, strict=True) if v is not None]
    cards = sum(n for _, n in kept)
    if not cards:
        return RecallSummary(0, None, 0)
    below = sum(n for v, n in kept if v < LOW_RECALL)
    values = chain.from_iterable(repeat(v, n) for v, n in kept)
    return RecallSummary(cards, fsum(values) / cards, below)
