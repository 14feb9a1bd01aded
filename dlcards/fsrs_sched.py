"""FSRS (the `fsrs` package, py-fsrs 6.x) as an optional scheduler on calendar days.

Pure functions of their arguments, like `sm2`: no clock, no I/O. Grades map 0, 1, 2 -> Again,
3 -> Hard, 4 -> Good, 5 -> Easy. Learning steps are off (days stay whole calendar days; the study
session's re-drill covers same-day practice) and so is fuzzing, so intervals are reproducible.
The `fsrs` package is imported on first use, never by quick commands.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from datetime import date, datetime, timezone
from functools import lru_cache
from typing import Any

from dlcards.sm2 import Grade

RETENTION_MIN, RETENTION_MAX = 0.70, 0.99
DEFAULT_RETENTION = 0.90


@dataclass(frozen=True)
class FsrsState:
    """A card's FSRS memory state; `stability is None` means never reviewed."""

    stability: float | None = None
    difficulty: float | None = None
    due: date | None = None
    last_review: date | None = None

    @property
    def is_new(self) -> bool:
        return self.stability is None

    def to_json(self) -> str:
        data = asdict(self)
        data["due"] = self.due.isoformat() if self.due else None
        data["last_review"] = self.last_review.isoformat() if self.last_review else None
        return json.dumps(data, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> FsrsState:
        data = json.loads(text)
        return cls(
            stability=data["stability"],
            difficulty=data["difficulty"],
            due=date.fromisoformat(data["due"]) if data["due"] else None,
            last_review=date.fromisoformat(data["last_review"]) if data["last_review"] else None,
        )


def check_retention(value: float) -> float:
    if not RETENTION_MIN <= value <= RETENTION_MAX:
        raise ValueError(
            f"desired retention must be between {RETENTION_MIN:.2f} and {RETENTION_MAX:.2f}, "
            f"not {value}"
        )
    return value


@lru_cache(maxsize=8)
def _scheduler(retention: float) -> Any:
    from fsrs import Scheduler

    return Scheduler(
        desired_retention=check_retention(retention),
        learning_steps=(),
        relearning_steps=(),
        enable_fuzzing=False,
    )


def _rating(grade: Grade) -> Any:
    from fsrs import Rating

    if grade <= Grade.WRONG_EASY:
        return Rating.Again
    return {Grade.HARD: Rating.Hard, Grade.GOOD: Rating.Good, Grade.PERFECT: Rating.Easy}[grade]


def _at(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=timezone.utc)


def _card(state: FsrsState) -> Any:
    from fsrs import Card, State

    if state.is_new or state.last_review is None:
        return Card(card_id=1)
    return Card(
        card_id=1,
        state=State.Review,
        step=None,
        stability=state.stability,
        difficulty=state.difficulty,
        due=_at(state.due or state.last_review),
        last_review=_at(state.last_review),
    )


def review(state: FsrsState, grade: Grade, day: date, retention: float) -> FsrsState:
    """The state after a graded review on `day`."""
    card, _ = _scheduler(retention).review_card(_card(state), _rating(Grade(grade)), _at(day))
    return FsrsState(
        stability=float(card.stability),
        difficulty=float(card.difficulty),
        due=card.due.date(),
        last_review=day,
    )


def replay(history: Iterable[tuple[date, int]], retention: float) -> FsrsState:
    """The state a card's full history of scheduled grades gives, oldest first."""
    state = FsrsState()
    for day, grade in history:
        state = review(state, Grade(grade), day, retention)
    return state


def interval(state: FsrsState) -> int:
    if state.due is None or state.last_review is None:
        return 0
    return (state.due - state.last_review).days


def preview(state: FsrsState, day: date, retention: float) -> dict[Grade, int]:
    """The interval in days each grade would give."""
    return {g: interval(review(state, g, day, retention)) for g in Grade}


def retrievability(state: FsrsState, day: date, retention: float) -> float | None:
    """FSRS's predicted probability of recall on `day`; None for a new card."""
    if state.is_new or state.last_review is None:
        return None
    value = _scheduler(retention).get_card_retrievability(_card(state), _at(day))
    return float(value)


def recall_curve(retention: float = DEFAULT_RETENTION) -> tuple[float, float]:
    """(DECAY, FACTOR) of FSRS's forgetting curve R(t) = (1 + FACTOR·t/S)^DECAY."""
    scheduler = _scheduler(retention)
    return float(scheduler._DECAY), float(scheduler._FACTOR)
