"""FSRS-6 as the `fsrs` package (py-fsrs 6.x) computes it, as an optional scheduler on calendar
days.

Pure functions of their arguments, like `sm2`: no clock, no I/O. Grades map 0, 1, 2 -> Again,
3 -> Hard, 4 -> Good, 5 -> Easy. Learning steps are off (days stay whole calendar days; the study
session's re-drill covers same-day practice) and so is fuzzing, so intervals are reproducible.
Stability is capped at 36,500 days as fsrs-rs (Anki's FSRS) caps it, which py-fsrs does not.
py-fsrs's formulas are written out here (`_answer`), each as it writes it, so that a review
gives the same floats as its `Scheduler.review_card` without its per-review objects: a switch to
FSRS replays the whole log (tests/test_fsrs.py compares the two bit for bit).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from datetime import date, timedelta
from functools import lru_cache
from typing import Any, NamedTuple

from dlcards.memory import FsrsState
from dlcards.settings import (
    DEFAULT_FSRS_PARAMETERS,
    DEFAULT_RETENTION,
    RETENTION_MAX,
    RETENTION_MIN,
)
from dlcards.sm2 import Grade

__all__ = ["DEFAULT_RETENTION", "RETENTION_MAX", "RETENTION_MIN", "FsrsState"]

DEFAULT_PARAMETERS: tuple[float, ...] = DEFAULT_FSRS_PARAMETERS
"""py-fsrs 6.x DEFAULT_PARAMETERS (FSRS-6, 21 weights; w[20] is the forgetting-curve decay),
kept in `dlcards.settings` (the `fsrs_parameters` setting's default)."""

Parameters = tuple[float, ...]


class _Model(NamedTuple):
    """py-fsrs 6.x's `Scheduler` for a desired retention and FSRS-6 weights, with no learning
    or relearning steps and no fuzz: the constants its formulas compute from them."""

    w: Parameters
    decay: float  # -w[20]
    factor: float  # 0.9 ** (1 / decay) - 1
    to_interval: float  # retention ** (1 / decay) - 1: an interval is S / factor * this
    easy_difficulty: float  # the initial difficulty of Easy, unclamped (mean reversion's target)
    recall_base: float  # e ** w[8]
    forget_short: float  # e ** (w[17] * w[18])


@lru_cache(maxsize=8)
def _model(retention: float, parameters: Parameters = DEFAULT_PARAMETERS) -> _Model:
    """The model for a desired retention and FSRS-6 weights (the collection's
    `fsrs_parameters`: every FSRS computation goes through here or `forgetting_curve`).
    ValueError for a retention or a weight outside what py-fsrs accepts."""
    from dlcards.settings import FSRS_BOUNDS

    if not RETENTION_MIN <= retention <= RETENTION_MAX:
        raise ValueError(
            f"desired retention {retention} is outside {RETENTION_MIN}-{RETENTION_MAX}"
        )
    w = tuple(parameters)
    if len(w) != len(FSRS_BOUNDS) or not all(
        low <= x <= high for x, (low, high) in zip(w, FSRS_BOUNDS, strict=True)
    ):
        raise ValueError(f"FSRS-6 parameters out of bounds: {w}")
    decay = -w[20]
    return _Model(
        w=w,
        decay=decay,
        factor=0.9 ** (1 / decay) - 1,
        to_interval=(retention ** (1 / decay)) - 1,
        easy_difficulty=w[4] - (math.e ** (w[5] * (4 - 1))) + 1,
        recall_base=math.e ** (w[8]),
        forget_short=math.e ** (w[17] * w[18]),
    )


def _rating(grade: Grade) -> int:
    """FSRS's rating for a grade: 0, 1, 2 -> Again (1), 3 -> Hard (2), 4 -> Good, 5 -> Easy."""
    return 1 if grade <= Grade.WRONG_EASY else int(grade) - 1


def _answer(model: _Model, state: FsrsState, rating: int, day: date) -> tuple[float, float, int]:
    """(stability, difficulty, interval in days) after `rating` on `day`: py-fsrs 6.x's
    `Scheduler.review_card` with no steps and no fuzz, each formula written as it writes it, so
    every result is the same float (tests/test_fsrs.py compares them bit for bit). A review
    here costs a tenth of py-fsrs's (which copies a card and works on datetimes): a switch to
    FSRS replays every review of the log."""
    w = model.w
    if state.is_new or state.last_review is None:
        stability = max(w[rating - 1], STABILITY_MIN)
        difficulty = min(max(w[4] - (math.e ** (w[5] * (rating - 1))) + 1, 1.0), 10.0)
    else:
        s, d = state.stability, state.difficulty
        assert s is not None and d is not None
        elapsed = (day - state.last_review).days
        if elapsed < 1:  # a second review the same day: FSRS-6's short-term stability
            increase = (math.e ** (w[17] * (rating - 3 + w[18]))) * (s ** -w[19])
            if rating != 1:
                increase = max(increase, 1.0)
            stability = s * increase
        else:
            r = (1 + model.factor * elapsed / s) ** model.decay
            if rating == 1:
                stability = min(
                    w[11]
                    * (d ** -w[12])
                    * (((s + 1) ** (w[13])) - 1)
                    * (math.e ** ((1 - r) * w[14])),
                    s / model.forget_short,
                )
            else:
                hard_penalty = w[15] if rating == 2 else 1
                easy_bonus = w[16] if rating == 4 else 1
                stability = s * (
                    1
                    + model.recall_base
                    * (11 - d)
                    * (s ** -w[9])
                    * ((math.e ** ((1 - r) * w[10])) - 1)
                    * hard_penalty
                    * easy_bonus
                )
        stability = max(stability, STABILITY_MIN)
        delta = -(w[6] * (rating - 3))
        damped = d + (10.0 - d) * delta / 9.0
        difficulty = min(max(w[7] * model.easy_difficulty + (1 - w[7]) * damped, 1.0), 10.0)
    days = min(max(round((stability / model.factor) * model.to_interval), 1), MAX_INTERVAL)
    return stability, difficulty, days


STABILITY_MIN = 0.001  # py-fsrs's (and fsrs-rs's) lowest stability, in days
STABILITY_MAX = 36500.0
"""FSRS's largest stability (days), as fsrs-rs (the Rust FSRS Anki runs, `S_MAX`) and ts-fsrs
clamp it; py-fsrs 6.x leaves it unbounded, so a card past a century of stability would have
other intervals and recall than Anki gives it."""
MAX_INTERVAL = 36500  # py-fsrs's `maximum_interval` default, Anki's maximum interval

_LATEST_SAFE = date(9000, 1, 1)

# The passing grades whose intervals Anki keeps in order (each at least a day above the one
# before): a card reviewed before, Hard < Good < Easy; a new card, Good < Easy.
_PASSING_REVIEWED = (Grade.HARD, Grade.GOOD, Grade.PERFECT)
_PASSING_NEW = (Grade.GOOD, Grade.PERFECT)


def review(
    state: FsrsState,
    grade: Grade,
    day: date,
    retention: float,
    parameters: Parameters = DEFAULT_PARAMETERS,
) -> FsrsState:
    """The state after a graded review on `day`.

    The memory (stability, difficulty) is py-fsrs's for the grade's rating. The interval is
    FSRS's for that memory, kept above the lower passing ratings' as Anki keeps it (rslib
    `passing_fsrs_review_intervals`, and `answer_easy` of a new card): for a card reviewed
    before, Good is at least Hard + 1 day and Easy at least Good + 1; for a new card, Easy at
    least Good + 1. Without it a card whose stability is under a day, after lapses, is due
    tomorrow whichever of Hard, Good or Easy is pressed.

    FSRS depends only on days elapsed, so a review dated near the end of the calendar is
    computed on dates shifted back and shifted forward again, its due date clamped to the last
    representable date (a date past 9999-12-31 would overflow)."""
    shift = timedelta(days=max(0, (day - _LATEST_SAFE).days))

    def back(d: date | None) -> date | None:
        return None if d is None else d - shift if d - date.min > shift else date.min

    if shift:
        state = FsrsState(
            stability=state.stability,
            difficulty=state.difficulty,
            due=back(state.due),
            last_review=back(state.last_review),
        )
    model = _model(retention, tuple(parameters))
    new = state.is_new or state.last_review is None

    def answered(rating: int) -> tuple[float, float, int]:
        """(stability, difficulty, interval in days) py-fsrs gives `rating`, the stability
        capped as fsrs-rs caps it and the interval then from the cap."""
        stability, difficulty, days = _answer(model, state, rating, day - shift)
        if stability > STABILITY_MAX:
            stability = STABILITY_MAX
            days = next_interval(stability, retention, parameters)
        return stability, difficulty, days

    grade = Grade(grade)
    stability, difficulty, days = answered(_rating(grade))
    chain = _PASSING_NEW if new else _PASSING_REVIEWED
    if grade in chain:
        minimum = 1
        for lower in chain[: chain.index(grade)]:
            minimum = min(max(answered(_rating(lower))[2], minimum), MAX_INTERVAL) + 1
        days = min(max(days, minimum), MAX_INTERVAL)
    due = day - shift + timedelta(days=days)
    due = due + min(shift, date.max - due)
    return FsrsState(
        stability=stability,
        difficulty=difficulty,
        due=due,
        last_review=day,
    )


def replay(
    history: Iterable[tuple[date, int]],
    retention: float,
    parameters: Parameters = DEFAULT_PARAMETERS,
) -> FsrsState:
    """The state a card's full history of scheduled grades gives, oldest first."""
    state = FsrsState()
    for day, grade in history:
        state = review(state, Grade(grade), day, retention, parameters)
    return state


def interval(state: FsrsState) -> int:
    if state.due is None or state.last_review is None:
        return 0
    return (state.due - state.last_review).days


def preview(
    state: FsrsState, day: date, retention: float, parameters: Parameters = DEFAULT_PARAMETERS
) -> dict[Grade, int]:
    """The interval in days each grade would give."""
    return {g: interval(review(state, g, day, retention, parameters)) for g in Grade}


def next_interval(
    stability: float, retention: float, parameters: Parameters = DEFAULT_PARAMETERS
) -> int:
    """Whole days until predicted recall falls to `retention` (the forgetting curve solved for
    t), from 1 to MAX_INTERVAL: py-fsrs's `_next_interval`, rounding included."""
    decay, factor = decay_factor(parameters)
    days = float(stability / factor * (retention ** (1 / decay) - 1))
    return min(max(round(days), 1), MAX_INTERVAL)


def decay_factor(parameters: tuple[float, ...] = DEFAULT_PARAMETERS) -> tuple[float, float]:
    """(DECAY, FACTOR) of FSRS-6's forgetting curve: DECAY = -w[20], R(9 days, S = 9) = 0.9."""
    decay = -parameters[20]
    return decay, 0.9 ** (1 / decay) - 1


def forgetting_curve(
    elapsed: Any, stability: Any, parameters: tuple[float, ...] = DEFAULT_PARAMETERS
) -> Any:
    """R(t, S) = (1 + FACTOR·t/S)^DECAY: predicted recall `elapsed` days after a review.
    Plain arithmetic, so it works on floats and on NumPy arrays alike (the simulator)."""
    decay, factor = decay_factor(parameters)
    return (1 + factor * elapsed / stability) ** decay


def forgetting_curves(
    rows: Iterable[tuple[int, int, float | None, int]],
    parameters: tuple[float, ...] = DEFAULT_PARAMETERS,
) -> list[float | None]:
    """`forgetting_curve` of each (elapsed days, _, stability, _) row, elapsed from 0, in one
    pass; None where there is no stability (the statistics' rows)."""
    decay, factor = decay_factor(parameters)
    return [
        float((1 + factor * (e if e > 0 else 0) / s) ** decay) if s else None for e, _, s, _ in rows
    ]


def retrievability(
    state: FsrsState, day: date, parameters: Parameters = DEFAULT_PARAMETERS
) -> float | None:
    """FSRS's predicted probability of recall on `day`; None for a new card (as py-fsrs's
    `get_card_retrievability`, which a test compares with)."""
    if state.is_new or state.last_review is None or not state.stability:
        return None
    elapsed = max(0, (day - state.last_review).days)
    return float(forgetting_curve(elapsed, state.stability, parameters))
