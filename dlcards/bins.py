"""The statistics' histogram bins (pure, and cheap to import): shared by `dlcards.stats`, which
bins values in Python, and the store's tally of FSRS memories (`store.schema`), which bins
them in SQL by the same rules, so that every command that opens the store need not import the
statistics.
"""

from __future__ import annotations

INTERVAL_BINS = ((1, 1), (2, 3), (4, 7), (8, 14), (15, 30), (31, 90), (91, 180), (181, 365))
EASE_BINS = (1.3, 1.5, 1.7, 1.9, 2.1, 2.3, 2.5, 2.7)  # lower edges; the last is open
DIFFICULTY_BINS = (1, 2, 3, 4, 5, 6, 7, 8, 9)  # FSRS difficulty runs from 1 to 10


DAY_UPPERS = tuple(b for _, b in INTERVAL_BINS)
DAY_LABELS = (*(f"{a}d" if a == b else f"{a}-{b}d" for a, b in INTERVAL_BINS), "> 1y")


def inner_edges(edges: tuple[float, ...]) -> tuple[float, ...]:
    """Lower `edges`' inner ones, each a hair low: a value of 2 less float noise is 2."""
    return tuple(e - 1e-9 for e in edges[1:])


DIFFICULTY_INNER = inner_edges(DIFFICULTY_BINS)


def day_bin(days: float) -> int:
    """The bin (of DAY_LABELS) of a number of days: INTERVAL_BINS's, the days rounded half up.
    The store's tally of FSRS stabilities bins them in SQL by the same rule
    (`store.schema.stability_bin_sql`)."""
    from bisect import bisect_left

    return bisect_left(DAY_UPPERS, max(1, int(days + 0.5)))


def difficulty_bin(difficulty: float) -> int:
    """The bin of an FSRS difficulty: DIFFICULTY_BINS's lower edges, each a hair low
    (`store.schema.difficulty_bin_sql` in SQL)."""
    from bisect import bisect_right

    return bisect_right(DIFFICULTY_INNER, difficulty)
