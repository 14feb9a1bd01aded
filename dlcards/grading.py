"""What a grade means, decided in one pure function; the store runs it and saves the result.

A grade is a *re-drill* when the session asks for one (a card graded below 4 coming back) or
when the card's last scheduled review is on or after the grade's day (the day's first grade
sets the schedule; a review dated after `--today` has not happened yet). A re-drill is logged
and changes no state. Otherwise it is *scheduled*: every kept scheduler's state moves on.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Literal, Protocol

from dlcards.memory import Memory
from dlcards.scheduling import Schedule
from dlcards.sm2 import Grade

Kind = Literal["scheduled", "redrill"]


@dataclass(frozen=True)
class Outcome:
    """A grade's effect: its kind and the card's memory before and after it."""

    kind: Kind
    grade: Grade
    day: date
    before: Memory
    after: Memory

    @property
    def changed(self) -> bool:
        return self.kind == "scheduled"


def decide(
    memory: Memory, grade: Grade, day: date, schedule: Schedule, redrill: bool = False
) -> Outcome:
    """The outcome of `grade` given on `day` to a card whose memory is `memory`."""
    grade = Grade(grade)
    last = memory.last_review
    if redrill or (last is not None and last >= day):
        return Outcome("redrill", grade, day, memory, memory)
    return Outcome("scheduled", grade, day, memory, schedule.review(memory, grade, day))


class LogRow(Protocol):
    """One row of a card's log as `redecide` reads it; `redrill` marks a session's re-drill."""

    @property
    def day(self) -> date: ...

    @property
    def grade(self) -> int: ...

    @property
    def redrill(self) -> bool: ...


def redecide(log: Iterable[LogRow], schedule: Schedule, stored: Memory = Memory()) -> list[Outcome]:
    """Every row of a card's log (after its reset, in time order) decided again with `decide`,
    from the memory a new card has: what a merged log means. The day's first grade is the
    scheduled one and later ones are re-drills, whichever side (dlcards or Anki) gave them."""
    memory = schedule.start(stored)
    outcomes = []
    for row in log:
        outcome = decide(memory, Grade(row.grade), row.day, schedule, row.redrill)
        outcomes.append(outcome)
        memory = outcome.after
    return outcomes
