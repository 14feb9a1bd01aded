"""The day's limits as arithmetic (pure): how many due reviews and new cards today allows.

One rule for `study`, `due` and `due --count`: due reviews up to what is left of the daily
review cap; new cards up to what is left of the new-card limit and, since new cards count
against the review cap too (Anki's "new cards ignore review limit" off), of the cap after the
due reviews.
"""

from __future__ import annotations


def cap_left(cap: int | None, reviewed_today: int) -> int | None:
    """What is left of the review cap (None: no cap) after `reviewed_today` cards."""
    return None if cap is None else max(0, cap - reviewed_today)


def today_counts(due: int, new: int, new_left: int, left: int | None) -> tuple[int, int]:
    """(due reviews, new cards) for today, of `due` due and `new` new cards available, with
    `new_left` new cards and `left` reviews (None: no cap) still allowed."""
    due_today = due if left is None else min(due, left)
    new_today = min(new, max(0, new_left))
    if left is not None:
        new_today = min(new_today, left - due_today)
    return due_today, max(0, new_today)
