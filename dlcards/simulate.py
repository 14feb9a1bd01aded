"""Workload simulation: a simulated learner studies with each scheduler, day by day.

Pure: NumPy only, no I/O, no clock; all randomness comes from `Config.seed` through
`numpy.random.Generator(PCG64(seed))`, so the same inputs always give the same numbers.

The learner is a ground-truth memory model with per-card variation, never a scheduler's own
belief about the learner:

- `fsrs` learner: memory follows FSRS-6 with the default parameters, but each card has its own
  initial stability (lognormal spread) and difficulty (additive spread), hidden from schedulers.
  A review updates the memory by its outcome only (a recall as Good, a failure as Again), not
  by the button pressed: otherwise pressing Easy would itself make the memory stronger, and the
  learner's own grading habit would feed back into its memory.
- `hlr` learner: half-life regression, recall p = 2^(-t/h); a success multiplies the half-life
  by 2^(gain + noise) with a per-card gain, a failure halves it (never below one day). It has no
  spacing effect, so it shares no formula with FSRS or SM-2.

Each card has a hidden hardness z ~ N(0, 1). On its first look (the day it is introduced) the
learner recalls it with probability sigmoid(-0.5 - z), as if answering before studying. The
learner grades honestly from its true recall p: recalled with probability p (one Bernoulli
draw); a recall is graded 5 if p > 0.9, 4 if p > 0.7, else 3; a failure is graded 0, 1 or 2
at random. FSRS sees grades through the map 0, 1, 2 -> Again, 3 -> Hard, 4 -> Good, 5 -> Easy.

Days are whole days. Each day every due card is reviewed (no cap), then up to `new_per_day`
new cards are introduced in a fixed order. Schedulers run in lockstep on the same per-day,
per-card random draws (common random numbers), so a card reviewed on the same day with the same
true recall gets the same outcome under each scheduler, and one scheduler's numbers do not
depend on which others run beside it.

The schedulers are vectorized copies of the real rules: `sm2_step` is `dlcards.sm2.review`
(EF in integer hundredths, exact integer ceil), and `fsrs_review` is `dlcards.fsrs_sched.review`:
py-fsrs 6.x's `Scheduler.review_card` with no learning or relearning steps and no fuzzing,
stability capped at fsrs-rs's 36,500 days, the passing intervals kept in Anki's order.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from dlcards.errors import UsageError, quoted
from dlcards.fsrs_sched import (
    DEFAULT_PARAMETERS,
    STABILITY_MAX,
    decay_factor,
    forgetting_curve,
)
from dlcards.settings import RETENTION_MAX, RETENTION_MIN, SCHEDULERS

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

    Floats = NDArray[np.float64]
    Ints = NDArray[np.int64]

LEARNERS = ("fsrs", "hlr")
MAX_DAYS = 36_500
MAX_CARDS = 1_000_000
KNOWN_RECALL = 0.9
"""A card counts as known at the end if its true recall the day after the last day is >= this."""

FSRS6_PARAMETERS = DEFAULT_PARAMETERS

FSRS_MAX_INTERVAL = 36_500
FSRS_STABILITY_MIN = 0.001
FSRS_D_MIN, FSRS_D_MAX = 1.0, 10.0

# The simulated learners (see the module docstring). Hardness z ~ N(0, 1) per card.
FIRST_LOOK_BIAS = -0.5  # first-look recall = sigmoid(FIRST_LOOK_BIAS - z), mean about 0.4
FSRS_LEARNER_S0_SPREAD = 0.5  # true initial stability = w[rating-1] * exp(-0.5 z)
FSRS_LEARNER_D0_SPREAD = 1.0  # true initial difficulty = D0(rating) + 1.0 z, within 1..10
HLR_H0_FAILED, HLR_H0_RECALLED = 1.0, 2.5  # half-life in days after the first look
HLR_H0_SPREAD = 0.5  # times exp(-0.5 z)
HLR_GAIN, HLR_GAIN_SPREAD, HLR_GAIN_MIN = 1.2, 0.3, 0.3  # per-card gain = max(0.3, 1.2 - 0.3 z)
HLR_GAIN_NOISE = 0.25  # each success: h *= 2^(gain + 0.25 * N(0, 1))
HLR_LOSS = 1.0  # each failure: h *= 2^-1
HLR_H_MIN, HLR_H_MAX = 1.0, 1.0e6

NEVER = -1  # `due` of a card that is not introduced yet (days count from 0)


@dataclass(frozen=True)
class Config:
    """The inputs of one simulation; invalid values raise UsageError on construction."""

    days: int = 365
    cards: int = 1000
    new_per_day: int = 20
    schedulers: tuple[str, ...] = SCHEDULERS
    retention: float = 0.9
    learner: str = "fsrs"
    seed: int = 0

    def __post_init__(self) -> None:
        if not 1 <= self.days <= MAX_DAYS:
            raise UsageError(f"--days must be from 1 to {MAX_DAYS:,}, not {self.days}")
        if not 1 <= self.cards <= MAX_CARDS:
            raise UsageError(f"--cards must be from 1 to {MAX_CARDS:,}, not {self.cards}")
        if self.new_per_day < 1:
            raise UsageError(f"--new-per-day must be at least 1, not {self.new_per_day}")
        if not RETENTION_MIN <= self.retention <= RETENTION_MAX:
            raise UsageError(
                f"--retention must be from {RETENTION_MIN:.2f} to {RETENTION_MAX:.2f}, "
                f"not {self.retention:g}"
            )
        learner = self.learner.strip().lower()  # `--learner HLR` is hlr
        if learner not in LEARNERS:  # said as typed (lower-cased, `XYZ` was said 'xyz')
            raise UsageError(
                f"unknown learner {quoted(self.learner)}; choose one of: {', '.join(LEARNERS)}"
            )
        object.__setattr__(self, "learner", learner)
        if not self.schedulers:
            raise UsageError(f"name at least one scheduler: {', '.join(SCHEDULERS)}")
        for name in self.schedulers:
            if name not in SCHEDULERS:
                raise UsageError(
                    f"unknown scheduler {quoted(name)}; choose from: {', '.join(SCHEDULERS)}"
                )
        if len(set(self.schedulers)) != len(self.schedulers):
            raise UsageError("a scheduler is named twice in --schedulers")
        if self.seed < 0:
            raise UsageError(f"--seed must be 0 or more, not {self.seed}")

    def to_dict(self) -> dict[str, object]:
        return {
            "days": self.days,
            "cards": self.cards,
            "new_per_day": self.new_per_day,
            "schedulers": list(self.schedulers),
            "retention": self.retention,
            "learner": self.learner,
            "seed": self.seed,
        }


def parse_schedulers(text: str) -> tuple[str, ...]:
    """`"sm2,fsrs"` -> `("sm2", "fsrs")`: comma-separated names, case and spaces ignored."""
    names = tuple(part.strip().lower() for part in text.split(",") if part.strip())
    for name in names:
        if name not in SCHEDULERS:
            raise UsageError(
                f"unknown scheduler {quoted(name)}; choose from: {', '.join(SCHEDULERS)}"
            )
    return tuple(dict.fromkeys(names))


@dataclass(frozen=True)
class SchedulerResult:
    """What one scheduler cost and achieved. Reviews include each card's first look."""

    scheduler: str
    reviews_per_day: tuple[int, ...]
    mean_true_recall_at_review: float | None
    """Mean true recall over scheduled reviews (first looks excluded); None if there were none."""
    known_at_end: int
    introduced: int

    @property
    def total_reviews(self) -> int:
        return sum(self.reviews_per_day)

    @property
    def reviews_per_known(self) -> float | None:
        return self.total_reviews / self.known_at_end if self.known_at_end else None

    def to_dict(self) -> dict[str, object]:
        return {
            "total_reviews": self.total_reviews,
            "reviews_per_day": list(self.reviews_per_day),
            "mean_true_recall_at_review": self.mean_true_recall_at_review,
            "known_at_end": self.known_at_end,
            "reviews_per_known": self.reviews_per_known,
            "introduced": self.introduced,
        }


@dataclass(frozen=True)
class Simulation:
    config: Config
    results: tuple[SchedulerResult, ...]

    def to_dict(self) -> dict[str, object]:
        return {
            "inputs": self.config.to_dict(),
            "known_recall_threshold": KNOWN_RECALL,
            "schedulers": {r.scheduler: r.to_dict() for r in self.results},
        }


# --- SM-2, vectorized (dlcards.sm2.review on arrays) -------------------------------------------


def sm2_step(
    ef: Ints, repetitions: Ints, interval: Ints, lapses: Ints, grades: Ints
) -> tuple[Ints, Ints, Ints, Ints]:
    """One graded review per card: new (ef, repetitions, interval, lapses), EF in hundredths;
    intervals capped at `sm2.MAX_INTERVAL` as `sm2.review` caps them."""
    import numpy as np

    from dlcards.sm2 import MAX_INTERVAL

    d = 5 - grades
    new_ef = np.maximum(130, ef + 10 - d * (8 + 2 * d))
    passed = grades >= 3
    n = np.where(passed, repetitions + 1, 0)
    grown = np.minimum(-(-interval * new_ef // 100), MAX_INTERVAL)  # exact ceil(I * EF'), capped
    new_interval = np.where(n == 1, 1, np.where(n == 2, 6, grown))
    new_interval = np.where(passed, new_interval, 1)
    new_lapses = lapses + ((~passed) & ((repetitions > 0) | (lapses > 0)))  # as sm2.review
    return new_ef, n, new_interval.astype(np.int64), new_lapses.astype(np.int64)


# --- FSRS-6, vectorized (py-fsrs Scheduler.review_card on arrays) ------------------------------


def fsrs_rating(grades: Ints) -> Ints:
    """Grades 0..5 -> FSRS ratings: 0, 1, 2 -> Again (1), 3 -> Hard (2), 4 -> Good, 5 -> Easy."""
    import numpy as np

    return np.maximum(grades - 1, 1).astype(np.int64)


def fsrs_retrievability(elapsed: Ints | Floats, stability: Floats, w: tuple[float, ...]) -> Floats:
    """R(t, S), FSRS's forgetting curve (`dlcards.fsrs_sched.forgetting_curve`) on arrays."""
    r: Floats = forgetting_curve(elapsed, stability, w)
    return r


def fsrs_initial(ratings: Ints, w: tuple[float, ...] = FSRS6_PARAMETERS) -> tuple[Floats, Floats]:
    """Stability and difficulty after a card's first rating."""
    import numpy as np

    stability = np.maximum(np.asarray(w[:4])[ratings - 1], FSRS_STABILITY_MIN)
    difficulty = np.clip(w[4] - np.power(math.e, w[5] * (ratings - 1)) + 1, FSRS_D_MIN, FSRS_D_MAX)
    return stability, difficulty


def fsrs_step(
    stability: Floats,
    difficulty: Floats,
    elapsed: Ints,
    ratings: Ints,
    w: tuple[float, ...] = FSRS6_PARAMETERS,
) -> tuple[Floats, Floats]:
    """Stability and difficulty after a rating `elapsed` (>= 1) days after the last review."""
    import numpy as np

    r = fsrs_retrievability(elapsed, stability, w)
    hard_penalty = np.where(ratings == 2, w[15], 1.0)
    easy_bonus = np.where(ratings == 4, w[16], 1.0)
    recall = stability * (
        1
        + (math.e ** w[8])
        * (11 - difficulty)
        * np.power(stability, -w[9])
        * (np.power(math.e, (1 - r) * w[10]) - 1)
        * hard_penalty
        * easy_bonus
    )
    forget_long = (
        w[11]
        * np.power(difficulty, -w[12])
        * (np.power(stability + 1, w[13]) - 1)
        * np.power(math.e, (1 - r) * w[14])
    )
    forget_short = stability / (math.e ** (w[17] * w[18]))
    forget = np.minimum(forget_long, forget_short)
    new_stability = np.clip(
        np.where(ratings == 1, forget, recall), FSRS_STABILITY_MIN, STABILITY_MAX
    )

    easy_target = w[4] - (math.e ** (w[5] * 3)) + 1  # D0(Easy), unclamped
    delta = -(w[6] * (ratings - 3))
    damped = difficulty + (10.0 - difficulty) * delta / 9.0
    new_difficulty = np.clip(w[7] * easy_target + (1 - w[7]) * damped, FSRS_D_MIN, FSRS_D_MAX)
    return new_stability, new_difficulty


def fsrs_interval(
    stability: Floats,
    retention: float,
    w: tuple[float, ...] = FSRS6_PARAMETERS,
    maximum: int = FSRS_MAX_INTERVAL,
) -> Ints:
    """Days until recall is predicted to fall to `retention`: rounded, from 1 to `maximum`."""
    import numpy as np

    decay, factor = decay_factor(w)
    days = (stability / factor) * ((retention ** (1 / decay)) - 1)
    interval: Ints = np.clip(np.round(days), 1, maximum).astype(np.int64)
    return interval


def fsrs_review(
    stability: Floats,
    difficulty: Floats,
    elapsed: Ints,
    ratings: Ints,
    retention: float,
    first: bool,
    w: tuple[float, ...] = FSRS6_PARAMETERS,
) -> tuple[Floats, Floats, Ints]:
    """A review's (stability, difficulty, interval), as `dlcards.fsrs_sched.review` gives them:
    the memory after `ratings` (from `fsrs_initial` on a card's first review, else `fsrs_step`)
    and its interval, kept above the lower passing ratings' as Anki keeps it (Hard < Good <
    Easy once reviewed, Good < Easy for a new card)."""
    import numpy as np

    def answered(r: Ints) -> tuple[Floats, Floats]:
        if first:
            return fsrs_initial(r, w)
        return fsrs_step(stability, difficulty, elapsed, r, w)

    new_stability, new_difficulty = answered(ratings)
    interval = fsrs_interval(new_stability, retention, w)
    minimum = np.ones_like(interval)
    for lower in (2, 3):  # Hard, Good: each passing rating above them is a day longer at least
        if first and lower == 2:
            continue  # a new card's Good is not held above its Hard
        floor = np.maximum(fsrs_interval(answered(np.full_like(ratings, lower))[0], retention, w),
                           minimum)  # fmt: skip
        minimum = np.where(ratings > lower, np.minimum(floor, FSRS_MAX_INTERVAL) + 1, minimum)
    interval = np.where(ratings > 1, np.minimum(np.maximum(interval, minimum), FSRS_MAX_INTERVAL),
                        interval)  # fmt: skip
    return new_stability, new_difficulty, interval


# --- schedulers and learners on card arrays ----------------------------------------------------


class _Sm2Scheduler:
    def __init__(self, cards: int) -> None:
        import numpy as np

        self.ef = np.full(cards, 250, dtype=np.int64)
        self.repetitions = np.zeros(cards, dtype=np.int64)
        self.interval = np.zeros(cards, dtype=np.int64)
        self.lapses = np.zeros(cards, dtype=np.int64)
        self.due = np.full(cards, NEVER, dtype=np.int64)

    def grade(self, idx: Ints, grades: Ints, day: int, first: bool) -> None:
        # A new card's state is SM-2's start state, so its first grade is an ordinary review.
        ef, n, interval, lapses = sm2_step(
            self.ef[idx], self.repetitions[idx], self.interval[idx], self.lapses[idx], grades
        )
        self.ef[idx], self.repetitions[idx], self.interval[idx] = ef, n, interval
        self.lapses[idx] = lapses
        self.due[idx] = day + interval


class _FsrsScheduler:
    def __init__(self, cards: int, retention: float) -> None:
        import numpy as np

        self.retention = retention
        self.stability = np.zeros(cards)
        self.difficulty = np.zeros(cards)
        self.last = np.full(cards, NEVER, dtype=np.int64)
        self.due = np.full(cards, NEVER, dtype=np.int64)

    def grade(self, idx: Ints, grades: Ints, day: int, first: bool) -> None:
        s, d, interval = fsrs_review(
            self.stability[idx],
            self.difficulty[idx],
            day - self.last[idx],
            fsrs_rating(grades),
            self.retention,
            first,
        )
        self.stability[idx], self.difficulty[idx] = s, d
        self.last[idx] = day
        self.due[idx] = day + interval


class _FsrsLearner:
    """True memory: FSRS-6 with default weights, per-card initial stability and difficulty."""

    def __init__(self, hardness: Floats) -> None:
        import numpy as np

        self.hardness = hardness
        self.stability = np.zeros(hardness.size)
        self.difficulty = np.zeros(hardness.size)
        self.last = np.full(hardness.size, NEVER, dtype=np.int64)

    def first_look(self, idx: Ints, grades: Ints, day: int) -> None:
        import numpy as np

        z = self.hardness[idx]
        s, d = fsrs_initial(fsrs_rating(grades))
        self.stability[idx] = np.maximum(
            s * np.exp(-FSRS_LEARNER_S0_SPREAD * z), FSRS_STABILITY_MIN
        )
        self.difficulty[idx] = np.clip(d + FSRS_LEARNER_D0_SPREAD * z, FSRS_D_MIN, FSRS_D_MAX)
        self.last[idx] = day

    def recall(self, idx: Ints, day: int) -> Floats:
        return fsrs_retrievability(day - self.last[idx], self.stability[idx], FSRS6_PARAMETERS)

    def review(self, idx: Ints, grades: Ints, day: int, noise: Floats) -> None:
        import numpy as np

        # The memory responds to the outcome, not to the button: a recall updates it as Good.
        outcome = np.where(grades >= 3, 3, 1).astype(np.int64)
        s, d = fsrs_step(self.stability[idx], self.difficulty[idx], day - self.last[idx], outcome)
        self.stability[idx], self.difficulty[idx] = s, d
        self.last[idx] = day


class _HlrLearner:
    """True memory: half-life regression, p = 2^(-t/h), per-card first half-life and gain."""

    def __init__(self, hardness: Floats) -> None:
        import numpy as np

        self.hardness = hardness
        self.gain = np.maximum(HLR_GAIN - HLR_GAIN_SPREAD * hardness, HLR_GAIN_MIN)
        self.half_life = np.ones(hardness.size)
        self.last = np.full(hardness.size, NEVER, dtype=np.int64)

    def first_look(self, idx: Ints, grades: Ints, day: int) -> None:
        import numpy as np

        base = np.where(grades >= 3, HLR_H0_RECALLED, HLR_H0_FAILED)
        self.half_life[idx] = base * np.exp(-HLR_H0_SPREAD * self.hardness[idx])
        self.last[idx] = day

    def recall(self, idx: Ints, day: int) -> Floats:
        import numpy as np

        p: Floats = np.exp2(-(day - self.last[idx]) / self.half_life[idx])
        return p

    def review(self, idx: Ints, grades: Ints, day: int, noise: Floats) -> None:
        import numpy as np

        h = self.half_life[idx]
        grown = h * np.exp2(self.gain[idx] + HLR_GAIN_NOISE * noise)
        shrunk = np.maximum(h * 2.0**-HLR_LOSS, HLR_H_MIN)
        self.half_life[idx] = np.clip(np.where(grades >= 3, grown, shrunk), HLR_H_MIN, HLR_H_MAX)
        self.last[idx] = day


def honest_grades(p: Floats, u: Floats, fail_grades: Ints) -> Ints:
    """Recalled iff u < p; a recall is graded 5 if p > 0.9, 4 if p > 0.7, else 3."""
    import numpy as np

    passed = np.where(p > 0.9, 5, np.where(p > 0.7, 4, 3))
    return np.where(u < p, passed, fail_grades).astype(np.int64)


def simulate(config: Config) -> Simulation:
    """Run every scheduler in `config` against the same simulated learner and random draws."""
    import numpy as np

    rng = np.random.Generator(np.random.PCG64(config.seed))
    n = config.cards
    hardness = rng.standard_normal(n)
    first_recall = 1.0 / (1.0 + np.exp(hardness - FIRST_LOOK_BIAS))

    learner_class = _FsrsLearner if config.learner == "fsrs" else _HlrLearner
    runs: list[tuple[_Sm2Scheduler | _FsrsScheduler, _FsrsLearner | _HlrLearner]] = []
    for name in config.schedulers:
        scheduler = _Sm2Scheduler(n) if name == "sm2" else _FsrsScheduler(n, config.retention)
        runs.append((scheduler, learner_class(hardness)))
    per_day = np.zeros((len(runs), config.days), dtype=np.int64)
    recall_sum = np.zeros(len(runs))
    recall_count = np.zeros(len(runs), dtype=np.int64)

    introduced = 0
    for day in range(config.days):
        start, introduced = introduced, min(n, introduced + config.new_per_day)
        # One draw per introduced card per day, shared by every scheduler.
        u = rng.random(introduced)
        fail_grades = rng.integers(0, 3, introduced, dtype=np.int64)
        noise = rng.standard_normal(introduced)
        new = np.arange(start, introduced, dtype=np.int64)
        for k, (scheduler, learner) in enumerate(runs):
            due = np.flatnonzero(scheduler.due[:start] == day).astype(np.int64)
            if due.size:
                p = learner.recall(due, day)
                grades = honest_grades(p, u[due], fail_grades[due])
                learner.review(due, grades, day, noise[due])
                scheduler.grade(due, grades, day, first=False)
                recall_sum[k] += float(p.sum())
                recall_count[k] += due.size
            if new.size:
                grades = honest_grades(first_recall[new], u[new], fail_grades[new])
                learner.first_look(new, grades, day)
                scheduler.grade(new, grades, day, first=True)
            per_day[k, day] = due.size + new.size

    seen = np.arange(introduced, dtype=np.int64)
    results = []
    for k, (name, (_, learner)) in enumerate(zip(config.schedulers, runs, strict=True)):
        known = int(np.count_nonzero(learner.recall(seen, config.days) >= KNOWN_RECALL))
        count = int(recall_count[k])
        results.append(
            SchedulerResult(
                scheduler=name,
                reviews_per_day=tuple(int(x) for x in per_day[k]),
                mean_true_recall_at_review=float(recall_sum[k] / count) if count else None,
                known_at_end=known,
                introduced=introduced,
            )
        )
    return Simulation(config=config, results=tuple(results))


def fsrs_review_log(
    card_ids: list[str],
    parameters: tuple[float, ...],
    start: date,
    days: int,
    seed: int = 0,
    retention: float = 0.9,
) -> dict[str, list[tuple[date, int]]]:
    """A review log of a learner whose memory follows FSRS-6 with `parameters`, studying with
    dlcards' FSRS at its default parameters (for testing `dlcards optimize`, which should find
    the learner's parameters better than the defaults).

    Cards are introduced evenly over the first half of the days. Each review happens on the
    scheduled day give or take a third of the interval (learners are not punctual; the spread
    is what lets a fit see the forgetting curve). The learner recalls with its true
    probability; a recall is graded 4 (Good), sometimes 3 or 5, a failure 1 (Again); a new
    card's first grade is 1, 3, 4 or 5 as a learner who mostly knows it at once. Pure: the
    randomness is `random.Random(seed)`.
    """
    import random
    from datetime import timedelta

    from dlcards import fsrs_sched
    from dlcards.memory import FsrsState
    from dlcards.sm2 import Grade

    rng = random.Random(seed)
    log: dict[str, list[tuple[date, int]]] = {}
    spread = max(1, days // 2)
    for n, card_id in enumerate(card_ids):
        day = n * spread // max(1, len(card_ids))
        true, seen = FsrsState(), FsrsState()
        grade = rng.choices([1, 3, 4, 5], weights=[20, 10, 55, 15])[0]
        entries: list[tuple[date, int]] = []
        while day < days:
            when = start + timedelta(days=day)
            if entries:
                last = true.last_review or when
                p = fsrs_sched.forgetting_curve((when - last).days, true.stability, parameters)
                if rng.random() < p:
                    grade = rng.choices([3, 4, 5], weights=[10, 80, 10])[0]
                else:
                    grade = 1
            entries.append((when, grade))
            true = fsrs_sched.review(true, Grade(grade), when, retention, parameters)
            seen = fsrs_sched.review(seen, Grade(grade), when, retention)
            interval = fsrs_sched.interval(seen)
            jitter = rng.uniform(-1 / 3, 1 / 3) * interval
            day += max(1, round(interval + jitter))
        log[card_id] = entries
    return log
