"""The scheduler interface: one place that knows which scheduler is active and what it says.

A card's `Memory` holds both schedulers' states. SM-2's is kept current by every scheduled
review; FSRS's while FSRS is active (switching it on rebuilds it from the review log, and
`show --json` replays one card's log when it is off). The *active* scheduler, chosen in
`Schedule.from_settings` from the `scheduler` setting and nowhere else, is the one every screen
asks: the interval on a grade key, the line after a grade, `show`, `due`, `stats`, the session
summary and the Anki export.

Pure: no clock, no I/O. FSRS runs through py-fsrs (imported on first use).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from typing import Any, NamedTuple, Protocol

from dlcards import fsrs_sched, sm2
from dlcards.memory import FsrsState, Memory
from dlcards.settings import DEFAULT_FSRS_PARAMETERS, DEFAULT_RETENTION, Settings
from dlcards.sm2 import Grade


class Scheduler(Protocol):
    """What a scheduler answers about a card's memory."""

    @property
    def name(self) -> str:
        """ "sm2" or "fsrs": the `scheduler` setting's value for it."""

    def review(self, memory: Memory, grade: Grade, day: date) -> Memory:
        """The memory after a scheduled review (only this scheduler's part changes)."""

    def due(self, memory: Memory) -> date | None:
        """When the card is next due; None for a new card."""

    def interval(self, memory: Memory) -> int:
        """Days from the last review to the due date; 0 for a new card."""

    def recall(self, memory: Memory, day: date) -> float | None:
        """Predicted probability of recall on `day`; None for a new card."""

    def state_dict(self, memory: Memory) -> dict[str, Any]:
        """This scheduler's full state, for `show --json`."""

    def curve(self, elapsed: int, interval: int, stability: float | None) -> float | None:
        """Predicted recall `elapsed` days after the last review, from the stored numbers
        (`recall` is this curve on a card's memory)."""

    def curves(self, rows: Sequence[tuple[int, int, float | None, int]]) -> list[float | None]:
        """`curve` of each (elapsed, interval, stability, cards) row at once: the statistics'
        fast path over every group of cards."""


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day else None


class Sm2:
    name = "sm2"

    def review(self, memory: Memory, grade: Grade, day: date) -> Memory:
        after, _ = sm2.review(memory.sm2, grade, day)
        return Memory(sm2=after, fsrs=memory.fsrs)

    def due(self, memory: Memory) -> date | None:
        return memory.sm2.due

    def interval(self, memory: Memory) -> int:
        return memory.sm2.interval

    def recall(self, memory: Memory, day: date) -> float | None:
        last = memory.sm2.last_review
        return None if last is None else self.curve((day - last).days, memory.sm2.interval, None)

    def curve(self, elapsed: int, interval: int, stability: float | None) -> float | None:
        return sm2.retrievability_after(elapsed, interval)

    def curves(self, rows: Sequence[tuple[int, int, float | None, int]]) -> list[float | None]:
        return sm2.retrievabilities(rows)

    def state_dict(self, memory: Memory) -> dict[str, Any]:
        s = memory.sm2
        return {
            "ef": s.ef / 100,
            "repetitions": s.repetitions,
            "interval": s.interval,
            "lapses": s.lapses,
            "due": _iso(s.due),
            "last_review": _iso(s.last_review),
        }


class Fsrs(NamedTuple):
    retention: float = DEFAULT_RETENTION
    parameters: tuple[float, ...] = DEFAULT_FSRS_PARAMETERS
    name: str = "fsrs"

    def review(self, memory: Memory, grade: Grade, day: date) -> Memory:
        after = fsrs_sched.review(memory.fsrs, grade, day, self.retention, self.parameters)
        return Memory(sm2=memory.sm2, fsrs=after)

    def due(self, memory: Memory) -> date | None:
        return memory.fsrs.due

    def interval(self, memory: Memory) -> int:
        return fsrs_sched.interval(memory.fsrs)

    def recall(self, memory: Memory, day: date) -> float | None:
        return fsrs_sched.retrievability(memory.fsrs, day, self.parameters)

    def curve(self, elapsed: int, interval: int, stability: float | None) -> float | None:
        if not stability:
            return None
        return float(fsrs_sched.forgetting_curve(max(elapsed, 0), stability, self.parameters))

    def curves(self, rows: Sequence[tuple[int, int, float | None, int]]) -> list[float | None]:
        return fsrs_sched.forgetting_curves(rows, self.parameters)

    def state_dict(self, memory: Memory) -> dict[str, Any]:
        f = memory.fsrs
        return {
            "stability": f.stability,
            "difficulty": f.difficulty,
            "interval": fsrs_sched.interval(f),
            "due": _iso(f.due),
            "last_review": _iso(f.last_review),
            "desired_retention": self.retention,
            "parameters": "default"
            if self.parameters == DEFAULT_FSRS_PARAMETERS
            else "fitted (dlcards optimize)",
        }


class Schedule(NamedTuple):
    """Both schedulers, and which one is active. Build it with `from_settings`."""

    active: Scheduler
    all: tuple[Scheduler, ...]

    @classmethod
    def from_settings(cls, settings: Settings) -> Schedule:
        """The one place the `scheduler` setting is turned into a scheduler."""
        fsrs = Fsrs(settings.desired_retention, tuple(settings.fsrs_parameters))
        both: tuple[Scheduler, ...] = (Sm2(), fsrs)
        active = next(s for s in both if s.name == settings.scheduler)
        return cls(active=active, all=both)

    @property
    def name(self) -> str:
        return self.active.name

    @property
    def kept(self) -> tuple[Scheduler, ...]:
        """The schedulers whose state every review updates: SM-2, and the active one."""
        return tuple(s for s in self.all if s.name == "sm2" or s is self.active)

    def review(self, memory: Memory, grade: Grade, day: date) -> Memory:
        """The memory after a scheduled review: every kept scheduler's part updated."""
        for scheduler in self.kept:
            memory = scheduler.review(memory, grade, day)
        return memory

    def preview(self, memory: Memory, day: date) -> dict[Grade, int]:
        """The active scheduler's next interval for each grade (the labels on the keys)."""
        return {g: self.active.interval(self.active.review(memory, g, day)) for g in Grade}

    def due(self, memory: Memory) -> date | None:
        return self.active.due(memory)

    def interval(self, memory: Memory) -> int:
        return self.active.interval(memory)

    def recall(self, memory: Memory, day: date) -> float | None:
        return self.active.recall(memory, day)

    def start(self, stored: Memory = Memory()) -> Memory:
        """A card's memory before its first review (after its last reset): new for every kept
        scheduler; the parts of schedulers that are not kept stay as `stored` has them."""
        return Memory(fsrs=FsrsState() if any(s.name == "fsrs" for s in self.kept) else stored.fsrs)

    def replay(self, history: Iterable[tuple[date, int]], stored: Memory = Memory()) -> Memory:
        """The memory a card's scheduled grades give, oldest first (after its last reset).
        The parts of schedulers that are not kept stay as `stored` has them."""
        memory = self.start(stored)
        for day, grade in history:
            memory = self.review(memory, Grade(grade), day)
        return memory

    def replay_all(self, history: Iterable[tuple[date, int]]) -> Memory:
        """Every scheduler's state from the history, kept or not (for `show --json`)."""
        memory = Memory()
        for day, grade in history:
            for scheduler in self.all:
                memory = scheduler.review(memory, Grade(grade), day)
        return memory

    def states(self, memory: Memory) -> Mapping[str, dict[str, Any]]:
        return {s.name: s.state_dict(memory) for s in self.all}
