"""The workload simulator: vectorized SM-2 and FSRS against the real rules, determinism, common
random numbers, plausible ranges on both learners, bad input, and the `dlcards simulate` CLI."""

from __future__ import annotations

import json
import re
from datetime import date, datetime, timedelta, timezone

import numpy as np
import pytest
from typer.testing import CliRunner

from dlcards import fsrs_sched, sm2
from dlcards import simulate as sim
from dlcards.cli import app
from dlcards.errors import UsageError

runner = CliRunner()
SMALL = {"days": 120, "cards": 300, "new_per_day": 10}


def run(**kwargs: object) -> sim.Simulation:
    return sim.simulate(sim.Config(**kwargs))  # type: ignore[arg-type]


def by_name(result: sim.Simulation) -> dict[str, sim.SchedulerResult]:
    return {r.scheduler: r for r in result.results}


# --- vectorized SM-2 == dlcards.sm2.review -----------------------------------------------------


def test_vectorized_sm2_matches_sm2_review_on_random_grade_sequences() -> None:
    rng = np.random.default_rng(7)
    cards, steps = 400, 40
    ef = np.full(cards, sm2.EF_START, dtype=np.int64)
    reps = np.zeros(cards, dtype=np.int64)
    interval = np.zeros(cards, dtype=np.int64)
    lapses = np.zeros(cards, dtype=np.int64)
    states = [sm2.State() for _ in range(cards)]
    today = date(2026, 1, 1)
    for _ in range(steps):
        # Mostly passing grades with runs of failures, so intervals grow long and EF hits its
        # floor; a failure is forced past 100,000 days, before a date would overflow.
        grades = np.where(
            rng.random(cards) < 0.8, rng.integers(3, 6, cards), rng.integers(0, 3, cards)
        )
        grades = np.where(interval > 100_000, rng.integers(0, 3, cards), grades)
        ef, reps, interval, lapses = sim.sm2_step(ef, reps, interval, lapses, grades)
        for c in range(cards):  # each review on its due date, as the simulation's are
            on = states[c].due or today
            states[c], _ = sm2.review(states[c], sm2.Grade(int(grades[c])), on)
        assert [s.ef for s in states] == ef.tolist()
        assert [s.repetitions for s in states] == reps.tolist()
        assert [s.interval for s in states] == interval.tolist()
        assert [s.lapses for s in states] == lapses.tolist()
    assert ef.min() == sm2.EF_MIN and interval.max() > 10_000


def test_vectorized_sm2_golden_sequence() -> None:
    ef, reps, ivl, lapses = (np.array([v], dtype=np.int64) for v in (250, 0, 0, 0))
    seen = []
    for grade in (5, 5, 5, 5, 1, 4):
        ef, reps, ivl, lapses = sim.sm2_step(ef, reps, ivl, lapses, np.array([grade]))
        seen.append((int(ef[0]), int(ivl[0])))
    assert seen == [(260, 1), (270, 6), (280, 17), (290, 50), (236, 1), (236, 1)]
    assert int(lapses[0]) == 1


# --- vectorized FSRS == the fsrs package -------------------------------------------------------


def test_fsrs_parameters_are_py_fsrs_defaults() -> None:
    from fsrs.scheduler import DEFAULT_PARAMETERS

    assert tuple(DEFAULT_PARAMETERS) == sim.FSRS6_PARAMETERS


S_MAX = 36500.0  # fsrs-rs's largest stability


@pytest.mark.parametrize("retention", [0.7, 0.8, 0.9, 0.95, 0.99])
def test_vectorized_fsrs_matches_fsrs_scheduler_review_card(retention: float) -> None:
    from fsrs import Card, Rating, Scheduler

    scheduler = Scheduler(
        desired_retention=retention,
        learning_steps=(),
        relearning_steps=(),
        enable_fuzzing=False,
    )
    rng = np.random.default_rng(int(retention * 100))
    cards, steps = 60, 25
    ratings = rng.integers(1, 5, (steps, cards))
    start = datetime(2026, 1, 1, tzinfo=timezone.utc)
    objs = [Card(card_id=i + 1, due=start) for i in range(cards)]
    days = np.zeros(cards, dtype=np.int64)
    stability = difficulty = np.zeros(cards)
    last = np.zeros(cards, dtype=np.int64)
    ivl = np.ones(cards, dtype=np.int64)
    for step in range(steps):
        if step == 0:
            stability, difficulty = sim.fsrs_initial(ratings[0])
        else:
            # Reviews on whole days: early, on time or late relative to the due day.
            days = last + np.maximum(1, (ivl * rng.uniform(0.3, 2.5, cards)).astype(np.int64))
            stability, difficulty = sim.fsrs_step(stability, difficulty, days - last, ratings[step])
        ivl = sim.fsrs_interval(stability, retention)
        last = days
        for c in range(cards):
            when = start + timedelta(days=int(days[c]))
            objs[c], _ = scheduler.review_card(objs[c], Rating(int(ratings[step, c])), when)
            if (objs[c].stability or 0) > S_MAX:  # capped as fsrs-rs caps it (py-fsrs does not)
                objs[c].stability = S_MAX
                objs[c].due = when + timedelta(days=scheduler._next_interval(stability=S_MAX))
        np.testing.assert_allclose(stability, [o.stability or 0.0 for o in objs], rtol=1e-9)
        np.testing.assert_allclose(difficulty, [o.difficulty or 0.0 for o in objs], rtol=1e-9)
        expected = [(o.due - (o.last_review or start)).days for o in objs]
        assert ivl.tolist() == expected


def test_vectorized_fsrs_matches_dlcards_fsrs_option() -> None:
    """The simulation's FSRS is the one `dlcards config` switches on (grades 0..5, whole days)."""
    rng = np.random.default_rng(3)
    retention = 0.9
    grades = rng.integers(0, 6, 30)
    state = fsrs_sched.FsrsState()
    today = date(2026, 1, 1)
    s = d = np.zeros(1)
    elapsed = 0
    for i, grade in enumerate(grades):
        rating = sim.fsrs_rating(np.array([grade], dtype=np.int64))
        s, d, interval = sim.fsrs_review(s, d, np.array([elapsed]), rating, retention, i == 0)
        state = fsrs_sched.review(state, sm2.Grade(int(grade)), today, retention)
        elapsed = int(interval[0])
        assert fsrs_sched.interval(state) == elapsed
        assert state.stability == pytest.approx(float(s[0]), rel=1e-9)
        assert state.difficulty == pytest.approx(float(d[0]), rel=1e-9)
        today += timedelta(days=elapsed)


def test_vectorized_fsrs_caps_stability_as_the_dlcards_option() -> None:
    """A memory past a century of stability is capped at the same S_MAX in both."""
    start = fsrs_sched.FsrsState(30000.0, 1.0, date(2100, 1, 1), date(2030, 1, 1))
    day = date(2100, 1, 1)
    state = fsrs_sched.review(start, sm2.Grade.PERFECT, day, 0.99)
    elapsed = np.array([(day - date(2030, 1, 1)).days])
    s, d = sim.fsrs_step(np.array([30000.0]), np.array([1.0]), elapsed, np.array([4]))
    assert float(s[0]) == state.stability == fsrs_sched.STABILITY_MAX
    capped = int(sim.fsrs_interval(s, 0.99)[0])
    # Hard, Good and Easy all reach S_MAX, so their intervals are Anki's X, X + 1, X + 2
    assert capped + 2 == fsrs_sched.interval(state)
    _, _, interval = sim.fsrs_review(
        np.array([30000.0]), np.array([1.0]), elapsed, np.array([4]), 0.99, first=False
    )
    assert int(interval[0]) == fsrs_sched.interval(state)


def test_fsrs_rating_map() -> None:
    assert sim.fsrs_rating(np.arange(6)).tolist() == [1, 1, 1, 2, 3, 4]


def test_fsrs_retrievability_is_090_after_stability_days() -> None:
    s = np.array([1.0, 10.0, 300.0])
    assert sim.fsrs_retrievability(s, s, sim.FSRS6_PARAMETERS) == pytest.approx(0.9)


# --- the learner's grades ----------------------------------------------------------------------


def test_honest_grades() -> None:
    p = np.array([0.95, 0.8, 0.5, 0.95, 0.2])
    u = np.array([0.1, 0.1, 0.1, 0.99, 0.5])
    fail = np.array([0, 1, 2, 2, 0])
    assert sim.honest_grades(p, u, fail).tolist() == [5, 4, 3, 2, 0]


# --- the simulation ----------------------------------------------------------------------------


def test_same_seed_same_numbers_and_different_seeds_differ() -> None:
    a = run(seed=5, **SMALL).to_dict()
    assert a == run(seed=5, **SMALL).to_dict()
    assert a != run(seed=6, **SMALL).to_dict()
    hlr = run(seed=5, learner="hlr", **SMALL).to_dict()
    assert hlr == run(seed=5, learner="hlr", **SMALL).to_dict()
    assert hlr != run(seed=6, learner="hlr", **SMALL).to_dict()


def test_a_scheduler_numbers_do_not_depend_on_which_others_run() -> None:
    both = by_name(run(seed=2, **SMALL))
    assert by_name(run(seed=2, schedulers=("sm2",), **SMALL))["sm2"] == both["sm2"]
    assert by_name(run(seed=2, schedulers=("fsrs",), **SMALL))["fsrs"] == both["fsrs"]


def test_sm2_ignores_desired_retention() -> None:
    low = by_name(run(seed=1, retention=0.8, **SMALL))["sm2"]
    high = by_name(run(seed=1, retention=0.95, **SMALL))["sm2"]
    assert low == high


def fsrs_at(retention: float, learner: str, seed: int = 1) -> sim.SchedulerResult:
    result = run(seed=seed, learner=learner, retention=retention, schedulers=("fsrs",))
    return result.results[0]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_higher_desired_retention_costs_more_fsrs_reviews(seed: int) -> None:
    low, high = fsrs_at(0.80, "fsrs", seed), fsrs_at(0.95, "fsrs", seed)
    assert high.total_reviews > 1.2 * low.total_reviews
    assert high.known_at_end > low.known_at_end


@pytest.mark.parametrize("learner", sim.LEARNERS)
def test_higher_desired_retention_gives_higher_true_recall(learner: str) -> None:
    """On the hlr learner, 0.80 costs *more* reviews than 0.95 (lapses are dear), see README."""
    low, high = fsrs_at(0.80, learner), fsrs_at(0.95, learner)
    assert high.mean_true_recall_at_review is not None
    assert low.mean_true_recall_at_review is not None
    assert high.mean_true_recall_at_review > low.mean_true_recall_at_review


def test_fsrs_on_the_fsrs_learner_recalls_about_as_planned() -> None:
    result = by_name(run(seed=1, learner="fsrs"))
    fsrs = result["fsrs"]
    assert fsrs.mean_true_recall_at_review is not None
    assert 0.85 <= fsrs.mean_true_recall_at_review <= 0.95
    for r in result.values():
        assert r.introduced == 1000
        assert r.total_reviews == sum(r.reviews_per_day)
        assert len(r.reviews_per_day) == 365
        # 1000 first looks, then a few to a few dozen reviews per card in a year.
        assert 3_000 < r.total_reviews < 40_000
        assert 500 <= r.known_at_end <= 1000
        assert r.reviews_per_known == pytest.approx(r.total_reviews / r.known_at_end)


@pytest.mark.parametrize("learner", sim.LEARNERS)
def test_both_learners_run_with_plausible_numbers(learner: str) -> None:
    result = run(seed=3, learner=learner, **SMALL)
    assert [r.scheduler for r in result.results] == ["sm2", "fsrs"]
    for r in result.results:
        assert r.mean_true_recall_at_review is not None
        assert 0.4 < r.mean_true_recall_at_review < 1.0
        assert 0 < r.known_at_end <= r.introduced == 300
        # Every day, 10 new cards are seen for the first time until the deck runs out.
        assert all(n >= 10 for n in r.reviews_per_day[:30])
        assert r.total_reviews > 300


def test_new_cards_stop_when_the_deck_runs_out() -> None:
    result = run(seed=0, days=10, cards=25, new_per_day=10)
    for r in result.results:
        assert r.introduced == 25
        assert r.reviews_per_day[0] == 10  # day 0: only first looks


def test_one_day_has_no_scheduled_reviews() -> None:
    r = by_name(run(days=1, cards=5))["sm2"]
    assert r.total_reviews == 5 and r.mean_true_recall_at_review is None


def test_parse_schedulers() -> None:
    assert sim.parse_schedulers("sm2,fsrs") == ("sm2", "fsrs")
    assert sim.parse_schedulers(" FSRS , sm2, fsrs") == ("fsrs", "sm2")
    with pytest.raises(UsageError, match="unknown scheduler 'anki'"):
        sim.parse_schedulers("sm2,anki")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"days": 0}, "--days"),
        ({"days": -5}, "--days"),
        ({"cards": 0}, "--cards"),
        ({"new_per_day": 0}, "--new-per-day"),
        ({"retention": 0.5}, "--retention"),
        ({"retention": 0.995}, "--retention"),
        ({"learner": "human"}, "unknown learner"),
        ({"schedulers": ("sm2", "leitner")}, "unknown scheduler"),
        ({"schedulers": ()}, "at least one scheduler"),
        ({"seed": -1}, "--seed"),
    ],
)
def test_bad_input_is_a_usage_error(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(UsageError, match=message) as err:
        sim.Config(**kwargs)  # type: ignore[arg-type]
    assert "\n" not in str(err.value)


# --- the CLI -----------------------------------------------------------------------------------


def test_cli_prints_the_comparison() -> None:
    result = runner.invoke(app, ["simulate", "--days", "60", "--cards", "200", "--seed", "1"])
    assert result.exit_code == 0, result.output
    out = result.stdout
    for text in ("total reviews", "true recall at review", "known at end", "sm2", "fsrs @ 0.90"):
        assert text in out
    assert any(ch in out for ch in "▁▂▃▄▅▆▇█")


def test_cli_json_has_every_number_and_the_inputs() -> None:
    args = ["simulate", "--days", "60", "--cards", "200", "--seed", "4", "--learner", "hlr"]
    result = runner.invoke(app, [*args, "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["inputs"] == {
        "days": 60,
        "cards": 200,
        "new_per_day": 20,
        "schedulers": ["sm2", "fsrs"],
        "retention": 0.9,
        "learner": "hlr",
        "seed": 4,
    }
    assert list(data["schedulers"]) == ["sm2", "fsrs"]
    for numbers in data["schedulers"].values():
        assert len(numbers["reviews_per_day"]) == 60
        assert numbers["total_reviews"] == sum(numbers["reviews_per_day"])
        assert 0 < numbers["mean_true_recall_at_review"] < 1
        assert numbers["reviews_per_known"] == pytest.approx(
            numbers["total_reviews"] / numbers["known_at_end"]
        )
    expected = run(days=60, cards=200, seed=4, learner="hlr").to_dict()
    assert data == json.loads(json.dumps(expected))


def test_cli_one_scheduler() -> None:
    result = runner.invoke(app, ["simulate", "--days", "30", "--schedulers", "fsrs", "--json"])
    assert result.exit_code == 0, result.output
    assert list(json.loads(result.stdout)["schedulers"]) == ["fsrs"]


@pytest.mark.parametrize(
    "args",
    [
        ["--days", "0"],
        ["--cards", "-1"],
        ["--retention", "0.6"],
        ["--schedulers", "sm2,leitner"],
        ["--learner", "me"],
    ],
)
def test_cli_bad_input_is_one_line_and_exit_2(args: list[str]) -> None:
    result = runner.invoke(app, ["simulate", *args])
    assert result.exit_code == 2
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ")


def test_cli_help() -> None:
    result = runner.invoke(app, ["simulate", "--help"])
    assert result.exit_code == 0
    assert "--retention" in result.stdout and "--learner" in result.stdout


def test_the_summary_line_counts_in_words() -> None:
    """`simulate --days 1 --cards 1` said "Simulated 1 days, 1 cards"."""
    one = runner.invoke(app, ["simulate", "--days", "1", "--cards", "1"])
    assert one.output.startswith("Simulated 1 day, 1 card, 20 new a day; "), one.output
    many = runner.invoke(app, ["simulate", "--days", "2", "--cards", "1500"])
    assert many.output.startswith("Simulated 2 days, 1,500 cards, 20 new a day; "), many.output


@pytest.mark.parametrize("columns", [30, 40])
def test_a_narrow_screen_keeps_every_number_whole(
    monkeypatch: pytest.MonkeyPatch, columns: int
) -> None:
    """At 30 columns the comparison squeezed its labels into 9 cells a line and split
    'known at end' over two lines, '557 /' above '1,000' (UX sweep): every line fits, each
    label is whole on its lines, and each scheduler's numbers are whole on one line."""
    from dlcards.console import out

    args = ["simulate", "--days", "60", "--cards", "2000", "--seed", "1"]
    data = json.loads(runner.invoke(app, [*args, "--json"]).stdout)["schedulers"]
    monkeypatch.setenv("TTY_COMPATIBLE", "1")
    monkeypatch.setenv("TERM", "dumb")
    monkeypatch.setenv("COLUMNS", str(columns))
    out.cache_clear()
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert all(len(line) <= columns for line in lines), lines
    assert "…" not in result.stdout
    for label in ("total reviews", "reviews per day, mean", "true recall at review, mean"):
        assert label in result.stdout, result.stdout
    for name in ("sm2", "fsrs"):
        numbers = data[name]
        known = f"{numbers['known_at_end']:,} / {numbers['introduced']:,}"
        assert any(known in line for line in lines), (known, lines)
        assert any(f"{numbers['total_reviews']:,}" in line.split() for line in lines)


@pytest.mark.parametrize("columns", [40, 60])
def test_a_number_is_never_parted_from_its_label_or_unit(
    monkeypatch: pytest.MonkeyPatch, columns: int
) -> None:
    """Found in tmux: at 40 columns the first line ended with `seed` and the next began with
    `0`; at 60 the chart's heading ended with `full block = 71 a` and `day)` began the next
    line. The seed and its number, and a count with `a day`, stay on one line."""
    import re

    from dlcards.console import out

    monkeypatch.setenv("TTY_COMPATIBLE", "1")
    monkeypatch.setenv("TERM", "dumb")
    monkeypatch.setenv("COLUMNS", str(columns))
    out.cache_clear()
    for days, learner in (("30", "fsrs"), ("90", "hlr")):
        args = ["simulate", "--days", days, "--cards", "100", "--learner", learner]
        result = runner.invoke(app, args)
        assert result.exit_code == 0, result.output
        lines = result.stdout.splitlines()
        assert all(len(line) <= columns for line in lines), lines
        assert "\U0010fffd" not in result.stdout  # the glue is written as a space
        assert any("seed 0" in line for line in lines), lines
        assert any(re.search(r"(^|= )\d+ a day\)", line) for line in lines), lines


def test_the_comparison_in_ascii_keeps_each_label_on_its_line(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """With LC_ALL=C, `known at end (recall ≥ 0.90)` is printed `(recall >= 0.90)`, a cell
    wider than the column rich measured for it as written: at any width it wrapped, `0.90)`
    alone on the line under its numbers (seen in tmux at 60 columns). The cells are now
    measured as the terminal shows them."""
    import helpers as h

    from dlcards.console import comparison, out

    rows = [("total reviews", ["362", "358"]), ("known at end (recall ≥ 0.90)", ["48 / 50"] * 2)]
    with h.ascii_terminal(monkeypatch, 100) as raw:
        out().print(comparison(["sm2", "fsrs @ 0.90"], rows, 100))
    shown = re.sub(r"\x1b\[[0-9;]*m", "", raw.getvalue().decode("ascii"))
    lines = shown.splitlines()
    assert len(lines) == 3, lines
    assert lines[2].split() == "known at end (recall >= 0.90) 48 / 50 48 / 50".split(), lines
    assert lines[1].index("362") + 3 == lines[2].index("50") + 2, lines
