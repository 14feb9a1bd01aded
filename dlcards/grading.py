"""What a grade means, decided in one pure function; the store runs it and saves the result.

A grade is a *re-drill* when the session asks for one (a card graded below 4 coming back) or
when the card's last scheduled review is on or after the grade's day (the day's first grade
sets the schedule; a review dated after `--today` has not happened yet). A re-drill is logged
and changes no state. Otherwise it is *scheduled*: every kept scheduler's state moves on.

A scheduled lapse (a reviewed card graded below 3: SM-2's lapse count goes up) can make the
card a *leech*, as in Anki: when its lapses reach the threshold, and again every half threshold
past it (rounded up; every 4 lapses at the default 8). The outcome then carries the leech
action (`suspend` or `tag`), which the store carries out with the grade.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal, Protocol

from dlcards.memory import Memory
from dlcards.scheduling import Schedule
from dlcards.settings import LEECH_THRESHOLD, Settings
from dlcards.sm2 import Grade

Kind = Literal["scheduled", "redrill"]
LeechAction = Literal["suspend", "tag"]


@dataclass(frozen=True)
class LeechRule:
    """When a card becomes a leech (`threshold` lapses) and what then happens to it."""

    threshold: int = LEECH_THRESHOLD
    action: LeechAction = "suspend"

    @classmethod
    def from_settings(cls, settings: Settings) -> LeechRule:
        action: LeechAction = "tag" if settings.leech_action == "tag" else "suspend"
        return cls(settings.leech_threshold, action)

    def fires(self, lapses: int) -> bool:
        """Anki's rule: at the threshold, then every ceil(threshold / 2) lapses past it."""
        if self.threshold <= 0 or lapses < self.threshold:
            return False
        return (lapses - self.threshold) % self._every == 0

    def fires_many(self, lapses: Any) -> Any:
        """`fires` for an array of lapse counts (a bool array)."""
        if self.threshold <= 0:
            return lapses < 0  # all False
        return (lapses >= self.threshold) & ((lapses - self.threshold) % self._every == 0)

    @property
    def _every(self) -> int:
        return max(1, -(-self.threshold // 2))


@dataclass(frozen=True)
class Outcome:
    """A grade's effect: its kind and the card's memory before and after it."""

    kind: Kind
    grade: Grade
    day: date
    before: Memory
    after: Memory
    leech: LeechAction | None = None  # this grade made the card a leech: the action to take

    @property
    def changed(self) -> bool:
        return self.kind == "scheduled"


def decide(
    memory: Memory,
    grade: Grade,
    day: date,
    schedule: Schedule,
    redrill: bool = False,
    leech: LeechRule = LeechRule(),
) -> Outcome:
    """The outcome of `grade` given on `day` to a card whose memory is `memory`."""
    grade = Grade(grade)
    last = memory.last_review
    if redrill or (last is not None and last >= day):
        return Outcome("redrill", grade, day, memory, memory)
    after = schedule.review(memory, grade, day)
    lapsed = after.sm2.lapses > memory.sm2.lapses
    action = leech.action if lapsed and leech.fires(after.sm2.lapses) else None
    return Outcome("scheduled", grade, day, memory, after, action)


class LogRow(Protocol):
    """One row of a card's log as `redecide` reads it; `redrill` marks a session's re-drill."""

    @property
    def day(self) -> date: ...

    @property
    def grade(self) -> int: ...

    @property
    def redrill(self) -> bool: ...


def redecide(
    log: Iterable[LogRow], schedule: Schedule, stored: Memory, leech: LeechRule
) -> list[Outcome]:
    """Every row of a card's log (after its reset, in time order) decided again with `decide`,
    from the memory a new card has: what a merged log means. The day's first grade is the
    scheduled one and later ones are re-drills, whichever side (dlcards or Anki) gave them; a
    scheduled lapse that reaches `leech`'s threshold makes the card a leech, as in a session."""
    memory = schedule.start(stored)
    outcomes = []
    for row in log:
        outcome = decide(memory, Grade(row.grade), row.day, schedule, row.redrill, leech)
        outcomes.append(outcome)
        memory = outcome.after
    return outcomes


def redecider(
    schedule: Schedule, settings: Settings
) -> Callable[[Iterable[LogRow], Memory], list[Outcome]]:
    """`redecide` for one card's log with `schedule` and the leech rule `settings` make: what a
    merge or an undo decides the log with, under the settings read inside its transaction."""
    leech = LeechRule.from_settings(settings)

    def one(log: Iterable[LogRow], stored: Memory) -> list[Outcome]:
        return redecide(log, schedule, stored, leech)

    return one


def redecide_many(
    starts: Any, days: Any, grades: Any, schedule: Schedule, leech: LeechRule
) -> dict[str, Any] | None:
    """`redecide` for many cards' logs at once, each from a new card's memory and with no
    session re-drills (an import into cards that have no log yet): the same decisions, on
    NumPy arrays (see `sm2.review_many` for the layout). A row is scheduled when its day is
    after every earlier row's day of its card (the day's first grade schedules), else a
    re-drill. Returns `review_many`'s columns, `scheduled`, and `leech`: the rows whose lapse
    made the card a leech (their action is `leech.action`); None when it cannot decide
    this way (a kept scheduler other than SM-2, a grade outside 0..5): decide card by card."""
    import numpy as np

    from dlcards import sm2

    if any(s.name != "sm2" for s in schedule.kept):
        return None
    starts = np.asarray(starts, dtype=np.int64)
    days = np.asarray(days, dtype=np.int64)
    grades = np.asarray(grades, dtype=np.int64)
    if len(grades) and (grades.min() < 0 or grades.max() > 5):
        return None
    # each card's days lifted above every earlier card's, so that one running maximum is
    # every card's own: a row is scheduled when its day is above the maximum before it
    card = np.repeat(np.arange(len(starts) - 1, dtype=np.int64), np.diff(starts))
    key = card * (1 << 23) + days  # day ordinals are below 2**22
    running = np.maximum.accumulate(key)
    before = np.concatenate(([-1], running[:-1]))
    scheduled = key > before
    out = sm2.review_many(starts, days, grades, scheduled)
    out["scheduled"] = scheduled
    lapses = out["lapses_after"]
    out["leech"] = (lapses > out["lapses_before"]) & leech.fires_many(lapses)
    out["leech_action"] = leech.action
    return out


def merge_rules(settings: Settings) -> tuple[Any, Any]:
    """What `Store.merge_reviews` re-decides a merged log with, under `settings` (read inside
    its transaction): `redecide` for one card's log and `redecide_many` for many new cards' at
    once, both with the schedule the settings make."""
    schedule = Schedule.from_settings(settings)
    leech = LeechRule.from_settings(settings)

    def many(starts: Any, days: Any, grades: Any) -> dict[str, Any] | None:
        return redecide_many(starts, days, grades, schedule, leech)

    return redecider(schedule, settings), many
