"""SM-2, SuperMemo's published algorithm (Wozniak, 1990), as a pure function.

The rules, exactly as dlcards applies them:

- Every card starts with EF = 2.50, repetitions n = 0, interval 0, unseen ("new").
- A review is graded q in 0..5: 5 perfect, 4 correct after hesitation, 3 correct with serious
  difficulty, 2 wrong but the answer seemed easy, 1 wrong but remembered on seeing it,
  0 blackout.
- After every graded review (failures included)
  EF' = EF + (0.1 - (5-q)(0.08 + (5-q)*0.02)), and EF' = 1.30 if it would fall below.
  EF is kept exactly, in integer hundredths (2.50 is 250), so no floating-point noise can ever
  round an interval up by one.
- If q >= 3: n = n + 1; interval = 1 if n = 1, 6 if n = 2, else ceil(previous interval * EF'),
  with the EF just updated by this grade.
- A review ahead of schedule (before the card's due date: in Anki's filtered decks, or a card
  studied on both sides) that passes grows the interval from the days the card really lasted:
  max(previous interval, ceil(days since the last review * EF')). SM-2 assumes each review
  comes when due, and multiplying the interval at every early review would make a card
  reviewed daily due in decades; this is Anki's rule for reviews ahead
  (rslib `passing_early_review_intervals`: max(elapsed * ease, scheduled)).
- If q < 3: n = 0, interval = 1 (EF keeps its updated value), and the lapse count goes up if the
  card had been recalled before (n > 0 before this grade).
- The card is due on (day of review + interval), in local calendar days.
- Bounds SuperMemo leaves open: an interval is at most MAX_INTERVAL days (100 years, Anki's
  maximum interval), and a due date past the last date Python knows (9999-12-31) is that date.
- Same-day re-drill (SM-2's step 7) lives in the study session: re-drills are logged but do not
  change the state; the day's first grade sets the schedule.

`review(state, grade, today)` takes everything as arguments, reads no clock and does no I/O.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from enum import IntEnum
from typing import Any, NamedTuple

from dlcards.memory import EF_START, Sm2State

State = Sm2State
__all__ = ["EF_MIN", "EF_START", "Grade", "Review", "State", "next_ef", "preview", "review"]

EF_MIN = 130
MAX_INTERVAL = 36500  # days: 100 years, as Anki's maximum interval


def due_after(day: date, interval: int) -> date:
    """`day + interval` days, clamped to the last representable date."""
    return day + timedelta(days=min(interval, (date.max - day).days))


class Grade(IntEnum):
    BLACKOUT = 0
    WRONG_REMEMBERED = 1
    WRONG_EASY = 2
    HARD = 3
    GOOD = 4
    PERFECT = 5

    @property
    def label(self) -> str:
        return GRADE_LABELS[self]

    @property
    def passed(self) -> bool:
        return self >= Grade.HARD


GRADE_LABELS = {
    Grade.BLACKOUT: "blackout",
    Grade.WRONG_REMEMBERED: "wrong, remembered on seeing it",
    Grade.WRONG_EASY: "wrong, but it seemed easy",
    Grade.HARD: "correct, serious difficulty",
    Grade.GOOD: "correct after hesitation",
    Grade.PERFECT: "perfect",
}

SHORT_LABELS = {
    Grade.BLACKOUT: "blackout",
    Grade.WRONG_REMEMBERED: "wrong",
    Grade.WRONG_EASY: "almost",
    Grade.HARD: "hard",
    Grade.GOOD: "good",
    Grade.PERFECT: "perfect",
}


class Review(NamedTuple):
    """What one graded review changed: the log entry that goes with the new state."""

    grade: Grade
    day: date
    before: State
    after: State


def next_ef(ef: int, grade: Grade) -> int:
    """EF' in hundredths: EF + 100*(0.1 - (5-q)(0.08 + (5-q)*0.02)), floored at 1.30."""
    d = 5 - int(grade)
    return max(EF_MIN, ef + 10 - d * (8 + 2 * d))


def review(state: State, grade: Grade, today: date) -> tuple[State, Review]:
    """Apply one graded review on `today`; returns the new state and its log entry."""
    grade = Grade(grade)
    ef = next_ef(state.ef, grade)
    if grade.passed:
        n = state.repetitions + 1
        if n == 1:
            interval = 1
        elif n == 2:
            interval = 6
        else:
            interval = -(-state.interval * ef // 100)  # exact ceil(interval * EF')
            last, due = state.last_review, state.due
            if last is not None and due is not None and today < due:  # ahead of schedule
                interval = max(state.interval, -(-(today - last).days * ef // 100))
            interval = min(interval, MAX_INTERVAL)
        lapses = state.lapses
    else:
        n = 0
        interval = 1
        # a lapse: the card had been recalled (a streak now, or a lapse before: failed again
        # after relearning, as Anki counts a review card's every failure); a card failed while
        # still being learnt for the first time has not lapsed
        lapses = state.lapses + (1 if state.repetitions > 0 or state.lapses > 0 else 0)
    after = State(
        ef=ef,
        repetitions=n,
        interval=interval,
        due=due_after(today, interval),
        lapses=lapses,
        last_review=today,
    )
    return after, Review(grade=grade, day=today, before=state, after=after)


def preview(state: State, today: date) -> dict[Grade, int]:
    """The interval in days each grade would give, for labelling the grade keys."""
    return {g: review(state, g, today)[0].interval for g in Grade}


def retrievability_after(elapsed_days: int, interval: int) -> float | None:
    """Predicted recall `elapsed_days` after a review, 0.9 ** (elapsed / interval) (the
    srs-benchmark's mapping for SM-2, which has no memory model); None without an interval."""
    if interval <= 0:
        return None
    return float(0.9 ** (max(elapsed_days, 0) / interval))


def retrievabilities(rows: Iterable[tuple[int, int, float | None, int]]) -> list[float | None]:
    """`retrievability_after` of each (elapsed days, interval, _, _) row, in one pass (the
    statistics sum it over every group of cards: ~5x faster than a call per row)."""
    return [None if i <= 0 else 0.9 ** ((e if e > 0 else 0) / i) for e, i, _, _ in rows]


# --- many cards at once ------------------------------------------------------------------------

NO_DAY = 0  # a day ordinal standing for "none" in the arrays below (date.min is ordinal 1)


def review_many(starts: Any, days: Any, grades: Any, scheduled: Any) -> dict[str, Any]:
    """`review` applied to many cards' logs at once, from new cards: the same rules on NumPy
    arrays (for bulk imports, where a call per row costs more than the arithmetic).

    The rows are grouped by card, each card's rows in order; `starts` (int64, one more entry
    than there are cards) gives where each card's rows begin, its last entry the row count.
    `days` are day ordinals, `grades` 0..5, and `scheduled` says which rows are reviews; the
    others change nothing (re-drills). Returns, per row, the state before and after it:
    `ef_before`, `ef_after`, `interval_*`, `due_*` (ordinals, NO_DAY for none), `reps_*`,
    `lapses_*`, `last_before`, and `final`, each card's last state in the same six arrays
    (`ef`, `repetitions`, `interval`, `due`, `lapses`, `last_review`). Exactly `review`'s
    results, row by row (tests/test_sm2.py compares them)."""
    import numpy as np

    starts = np.asarray(starts, dtype=np.int64)
    days = np.asarray(days, dtype=np.int64)
    grades = np.asarray(grades, dtype=np.int64)
    scheduled = np.asarray(scheduled, dtype=bool)
    n_cards = len(starts) - 1
    lengths = np.diff(starts)
    n = len(days)
    out: dict[str, Any] = {
        name: np.zeros(n, dtype=np.int64)
        for name in (
            "ef_before", "ef_after", "interval_before", "interval_after", "due_before",
            "due_after", "reps_before", "reps_after", "lapses_before", "lapses_after",
            "last_before",
        )
    }  # fmt: skip
    ef = np.full(n_cards, EF_START, dtype=np.int64)
    reps = np.zeros(n_cards, dtype=np.int64)
    interval = np.zeros(n_cards, dtype=np.int64)
    due = np.full(n_cards, NO_DAY, dtype=np.int64)
    lapses = np.zeros(n_cards, dtype=np.int64)
    last = np.full(n_cards, NO_DAY, dtype=np.int64)
    last_day = date.max.toordinal()
    order = np.argsort(-lengths, kind="stable")  # the cards with step k are a prefix of it
    for k in range(int(lengths.max()) if n_cards else 0):
        cards = order[: int(np.count_nonzero(lengths > k))]
        rows = starts[cards] + k
        for name, value in (
            ("ef_before", ef), ("interval_before", interval), ("due_before", due),
            ("reps_before", reps), ("lapses_before", lapses), ("last_before", last),
        ):  # fmt: skip
            out[name][rows] = value[cards]
        go = scheduled[rows]
        c, r = cards[go], rows[go]
        g, day = grades[r], days[r]
        d = 5 - g
        new_ef = np.maximum(EF_MIN, ef[c] + 10 - d * (8 + 2 * d))
        passed = g >= int(Grade.HARD)
        new_reps = np.where(passed, reps[c] + 1, 0)
        grown = -((-interval[c] * new_ef) // 100)
        early = (last[c] != NO_DAY) & (day < due[c])  # ahead of schedule (see `review`)
        lasted = np.maximum(interval[c], -((-(day - last[c]) * new_ef) // 100))
        grown = np.minimum(np.where(early, lasted, grown), MAX_INTERVAL)
        new_interval = np.where(
            passed, np.where(new_reps == 1, 1, np.where(new_reps == 2, 6, grown)), 1
        )
        lapses[c] = np.where(passed, lapses[c], lapses[c] + ((reps[c] > 0) | (lapses[c] > 0)))
        ef[c], reps[c], interval[c] = new_ef, new_reps, new_interval
        due[c] = day + np.minimum(new_interval, last_day - day)
        last[c] = day
        for name, value in (
            ("ef_after", ef), ("interval_after", interval), ("due_after", due),
            ("reps_after", reps), ("lapses_after", lapses),
        ):  # fmt: skip
            out[name][rows] = value[cards]
    out["final"] = {
        "ef": ef, "repetitions": reps, "interval": interval, "due": due, "lapses": lapses,
        "last_review": last,
    }  # fmt: skip
    return out
