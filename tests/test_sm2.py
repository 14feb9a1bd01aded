"""SM-2: golden sequences from the spec and hypothesis properties."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dlcards.sm2 import EF_MIN, Grade, State, next_ef, preview, review

pytestmark = pytest.mark.no_files  # pure code: no database, no cache

DAY0 = date(2026, 1, 1)


def run(grades: list[int], on_time: bool = True) -> tuple[list[int], list[float], State]:
    state, today = State(), DAY0
    intervals, efs = [], []
    for g in grades:
        state, _ = review(state, Grade(g), today)
        intervals.append(state.interval)
        efs.append(state.ef / 100)
        assert state.due is not None
        today = state.due if on_time else today
    return intervals, efs, state


def test_golden_fives() -> None:
    intervals, efs, _ = run([5, 5, 5, 5])
    assert intervals == [1, 6, 17, 50]
    assert efs == [2.60, 2.70, 2.80, 2.90]


def test_golden_fours() -> None:
    intervals, efs, _ = run([4, 4, 4, 4])
    assert intervals == [1, 6, 15, 38]
    assert efs == [2.50, 2.50, 2.50, 2.50]


def test_golden_threes() -> None:
    intervals, efs, _ = run([3, 3, 3])
    assert intervals == [1, 6, 13]
    assert efs == [2.36, 2.22, 2.08]


def test_ef_changes_per_grade() -> None:
    assert [next_ef(250, Grade(q)) - 250 for q in range(6)] == [-80, -54, -32, -14, 0, 10]


def test_failure_resets_repetitions_keeps_ef_and_counts_lapse() -> None:
    _, _, state = run([5, 5, 5])
    assert state.repetitions == 3 and state.lapses == 0
    failed, log = review(state, Grade.WRONG_REMEMBERED, DAY0)
    assert (failed.repetitions, failed.interval, failed.lapses) == (0, 1, 1)
    assert failed.ef == state.ef - 54
    assert failed.due == DAY0 + timedelta(days=1)
    assert log.before == state and log.after == failed
    # failed again at its next scheduled review: another lapse, as Anki counts a card back
    # from relearning (a card failed on each of 12 days had stayed at 1 and never became a
    # leech); the same-day re-drills in between are not scheduled reviews and change nothing
    again, _ = review(failed, Grade.BLACKOUT, DAY0 + timedelta(days=1))
    assert (again.lapses, again.repetitions) == (2, 0)
    for day in range(2, 12):
        again, _ = review(again, Grade.BLACKOUT, DAY0 + timedelta(days=day))
    assert again.lapses == 12


def test_failures_before_the_first_recall_are_not_lapses() -> None:
    state = State()
    for day in range(3):  # still being learnt: no lapse yet
        state, _ = review(state, Grade.WRONG_REMEMBERED, DAY0 + timedelta(days=day))
    assert state.lapses == 0
    state, _ = review(state, Grade.GOOD, DAY0 + timedelta(days=3))
    state, _ = review(state, Grade.WRONG_REMEMBERED, DAY0 + timedelta(days=4))
    assert state.lapses == 1


def test_new_card_failure_is_not_a_lapse() -> None:
    state, _ = review(State(), Grade.BLACKOUT, DAY0)
    assert (state.repetitions, state.interval, state.lapses, state.ef) == (0, 1, 0, 170)


def test_exact_hundredths_never_round_up() -> None:
    # 100 * 1.30 is exactly 130; in floats 100 * 1.3 = 130.00000000000003, which ceil() makes 131
    state = State(ef=140, repetitions=5, interval=100)
    after, _ = review(state, Grade.HARD, DAY0)  # EF 1.40 - 0.14 = 1.26 -> floored to 1.30
    assert after.ef == 130 and after.interval == 130


@given(st.lists(st.integers(0, 5), min_size=1, max_size=30))
def test_due_is_review_day_plus_interval(gs: list[int]) -> None:
    state, day = State(), date(2026, 2, 28)
    for g in gs:
        state, _ = review(state, Grade(g), day)
        assert state.due is not None and (state.due - day).days == state.interval >= 1
        day = state.due


grades = st.lists(st.integers(0, 5), min_size=1, max_size=30)


@given(grades)
def test_ef_never_below_floor_and_interval_positive(gs: list[int]) -> None:
    state = State()
    for g in gs:
        state, _ = review(state, Grade(g), DAY0)
        assert state.ef >= EF_MIN
        assert state.interval >= 1


@given(grades, st.integers(0, 2))
def test_failure_always_interval_one(gs: list[int], fail: int) -> None:
    _, _, state = run(gs)
    after, _ = review(state, Grade(fail), DAY0)
    assert after.interval == 1 and after.repetitions == 0


@given(st.integers(1, 12))
def test_more_fives_never_shorter_than_fours(n: int) -> None:
    assert run([5] * n)[0][-1] >= run([4] * n)[0][-1]


@given(grades, st.integers(3, 5))
def test_higher_grade_never_shorter(gs: list[int], g: int) -> None:
    _, _, state = run(gs)
    p = preview(state, DAY0)
    assert p[Grade(g)] <= p[Grade(min(g + 1, 5))]


@given(grades, st.integers(-3000, 3000))
def test_review_depends_only_on_its_arguments(gs: list[int], shift: int) -> None:
    """Moving the whole history in time moves every due date by the same days, nothing else."""
    state, moved = State(), State()
    for n, g in enumerate(gs):
        day = DAY0 + timedelta(days=7 * n)
        state, _ = review(state, Grade(g), day)
        moved, _ = review(moved, Grade(g), day + timedelta(days=shift))
        assert (moved.ef, moved.interval, moved.repetitions, moved.lapses) == (
            state.ef,
            state.interval,
            state.repetitions,
            state.lapses,
        )
        assert moved.due is not None and state.due is not None
        assert (moved.due - state.due).days == shift


def test_intervals_stop_at_100_years_and_due_dates_at_the_end_of_the_calendar() -> None:
    from datetime import date

    from dlcards.sm2 import MAX_INTERVAL

    state = State(ef=250, repetitions=30, interval=10**9)  # SM-2's after 30 perfect reviews
    state, _ = review(state, Grade.PERFECT, date(2026, 11, 26))
    assert state.interval == MAX_INTERVAL == 36500
    assert state.due == date(2126, 11, 2)  # 2026-11-26 + 36,500 days, counted by hand
    day, intervals = date(2000, 1, 1), []
    for _ in range(12):  # each perfect review on its due date
        state, _ = review(state, Grade.PERFECT, day)
        intervals.append(state.interval)
        day = state.due
    assert intervals[-1] == MAX_INTERVAL and max(intervals) == MAX_INTERVAL
    late, _ = review(State(ef=250, repetitions=3, interval=100), Grade.GOOD, date(9999, 12, 1))
    assert late.interval == 250 and late.due == date(9999, 12, 31)


def test_a_review_ahead_of_schedule_grows_from_the_days_the_card_lasted() -> None:
    """A round trip with real Anki: a card answered Good every day for a week (Anki's review
    ahead) was due in ten years here, its interval multiplied at every early review (Anki: 17
    days). Early, the interval grows from the days really elapsed, never below its own."""
    day = date(2026, 6, 1)
    state, intervals = State(), []
    for offset in range(8):  # Good every day: on time twice (1, 6), then early each day
        state, _ = review(state, Grade.GOOD, day + timedelta(days=offset))
        intervals.append(state.interval)
    assert intervals == [1, 6, 6, 6, 6, 6, 6, 6]
    # on day 12 (on time after day 7's review) it grows as SM-2 says: ceil(6 * 2.5)
    on_time, _ = review(state, Grade.GOOD, state.due)
    assert on_time.interval == 15
    # three days early on a 15-day interval: ceil(12 * 2.5) = 30, not ceil(15 * 2.5) = 38
    early, _ = review(on_time, Grade.GOOD, on_time.due - timedelta(days=3))
    assert early.interval == 30
    # one day after the last review: the interval is kept, not shrunk
    soon, _ = review(on_time, Grade.PERFECT, on_time.last_review + timedelta(days=1))
    assert soon.interval == 15 and soon.ef == 260
    # a failed early review is a lapse, as on time
    failed, _ = review(on_time, Grade.WRONG_REMEMBERED, on_time.due - timedelta(days=3))
    assert (failed.interval, failed.repetitions, failed.lapses) == (1, 0, 1)


@given(
    st.lists(
        st.lists(
            st.tuples(st.integers(0, 400), st.sampled_from(list(Grade)), st.booleans()),
            max_size=12,
        ),
        min_size=1,
        max_size=8,
    ),
    st.integers(date(2000, 1, 1).toordinal(), date.max.toordinal() - 5000),
)
def test_review_many_is_review_row_by_row(
    cards: list[list[tuple[int, Grade, bool]]], first: int
) -> None:
    """Each card's rows (a gap in days, a grade, whether it is a review) replayed by `review`
    one at a time: the state before and after every row, and each card's last one."""
    from dlcards.sm2 import NO_DAY, review_many

    starts, days, grades, scheduled = [0], [], [], []
    expected: list[tuple[State, State]] = []
    finals = []
    for rows in cards:
        state, day = State(), first
        for gap, grade, go in rows:
            day += gap
            after = review(state, grade, date.fromordinal(day))[0] if go else state
            expected.append((state, after))
            state = after
            days.append(day)
            grades.append(int(grade))
            scheduled.append(go)
        starts.append(len(days))
        finals.append(state)
    out = review_many(starts, days, grades, scheduled)

    def day_of(ordinal: int) -> date | None:
        return None if ordinal == NO_DAY else date.fromordinal(ordinal)

    for i, (before, after) in enumerate(expected):
        assert (
            out["ef_before"][i], out["reps_before"][i], out["interval_before"][i],
            day_of(out["due_before"][i]), out["lapses_before"][i], day_of(out["last_before"][i]),
        ) == (
            before.ef, before.repetitions, before.interval, before.due, before.lapses,
            before.last_review,
        )  # fmt: skip
        assert (
            out["ef_after"][i], out["reps_after"][i], out["interval_after"][i],
            day_of(out["due_after"][i]), out["lapses_after"][i],
        ) == (after.ef, after.repetitions, after.interval, after.due, after.lapses)  # fmt: skip
    final = out["final"]
    for c, state in enumerate(finals):
        assert State(
            int(final["ef"][c]), int(final["repetitions"][c]), int(final["interval"][c]),
            day_of(int(final["due"][c])), int(final["lapses"][c]),
            day_of(int(final["last_review"][c])),
        ) == state  # fmt: skip


def test_the_readme_first_grade_figures() -> None:
    """The README's "SM-2, exactly": a first sight graded 0, 1 or 2 leaves EF at 1.70, 1.96 or
    2.18 (SM-2's formula from 2.50, by hand: 2.5 + 0.1 − 5·(0.08 + 5·0.02) = 1.7, ...), and
    after five 4s a card first graded 0 is due in 33 days (1, 6, ⌈6·1.7⌉ = 11, ⌈11·1.7⌉ = 19,
    ⌈19·1.7⌉ = 33), one first graded 4 in 238 (1, 6, 15, 38, 95, ⌈95·2.5⌉ = 238)."""
    firsts = [run([q])[1][0] for q in (0, 1, 2)]
    assert firsts == [1.70, 1.96, 2.18]
    assert run([0, 4, 4, 4, 4, 4])[0][-1] == 33
    assert run([4, 4, 4, 4, 4, 4])[0][-1] == 238
