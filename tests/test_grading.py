"""What a grade does (pure), and the log as the truth: undo in any interleaving leaves every
card's state equal to the replay of its log; review ids are never reused."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from pathlib import Path

import helpers as h
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from dlcards.cli import app
from dlcards.deck import Card
from dlcards.grading import LeechRule, decide
from dlcards.memory import Memory
from dlcards.scheduling import Schedule
from dlcards.settings import Settings
from dlcards.sm2 import Grade
from dlcards.store import Store

runner = CliRunner()
SM2 = Schedule.from_settings(Settings())
FSRS = Schedule.from_settings(Settings(scheduler="fsrs"))
D = date(2026, 11, 25)


def card(cid: str) -> Card:
    return Card(id=cid, topic="t", question="q", answer="a", file="t.yaml", line=1)


# --- the pure decision ------------------------------------------------------------------------


def test_first_grade_of_a_day_is_scheduled_and_moves_the_kept_states() -> None:
    out = decide(Memory(), Grade.GOOD, D, SM2)
    assert (
        out.kind == "scheduled"
        and out.after.sm2.interval == 1
        and out.after.sm2.due == D + timedelta(1)
    )
    assert out.after.fsrs == Memory().fsrs  # FSRS is not kept while SM-2 is active
    both = decide(Memory(), Grade.GOOD, D, FSRS)
    assert both.after.sm2 == out.after.sm2 and both.after.fsrs.stability is not None


@pytest.mark.parametrize("schedule", [SM2, FSRS])
def test_redrills_change_nothing(schedule: Schedule) -> None:
    graded = decide(Memory(), Grade.PERFECT, D, schedule).after
    for day, asked in ((D, False), (D, True), (D + timedelta(1), True), (D - timedelta(3), False)):
        out = decide(graded, Grade.BLACKOUT, day, schedule, redrill=asked)
        assert out.kind == "redrill" and out.after == out.before == graded, (day, asked)


# --- undo in any interleaving -------------------------------------------------------------------


@pytest.fixture
def two_terminals(tmp_path: Path) -> Iterator[tuple[Store, Store]]:
    a = Store.open(tmp_path / "p.db")
    a.sync([card("x"), card("y")], "s", h.NOW)
    b = Store.open(tmp_path / "p.db")
    yield a, b
    a.close()
    b.close()


def replayed(store: Store, cid: str) -> Memory:
    return h.sched(store).replay(store.history(cid), store.memory(cid))


def test_undo_after_another_terminal_graded_the_card(two_terminals: tuple[Store, Store]) -> None:
    a, b = two_terminals
    h.grade(a, "x", 5, D)
    mine = h.grade(a, "x", 5, D + timedelta(1))  # terminal A
    h.grade(b, "x", 4, date(2026, 12, 2))  # terminal B, a later day
    h.undo(a, mine.id)
    state = h.state(a, "x")
    # the log holds the 11-25 and 12-02 grades: SM-2 gives n 2, 6 days, due 12-08
    assert (state.repetitions, state.interval, state.due) == (2, 6, date(2026, 12, 8))
    assert a.memory("x") == replayed(a, "x")


@pytest.mark.parametrize("asked", [False, True])
def test_undo_of_the_days_first_grade_makes_another_terminals_grade_the_scheduled_one(
    two_terminals: tuple[Store, Store], asked: bool
) -> None:
    """Terminal A grades x 5; terminal B then grades it 2, logged as a re-drill because A was
    first that day; A undoes. B's grade is now the day's first: it schedules (a lapse), as if
    A had never graded. A re-drill B's session asked for (after a failed grade) stays one."""
    a, b = two_terminals
    mine = h.grade(a, "x", 5, D)
    theirs = h.grade(b, "x", 2, D, redrill=asked)
    assert theirs.kind == "redrill"
    h.undo(a, mine.id)
    kinds = [k for (k,) in a.conn.execute("SELECT kind FROM reviews WHERE card_id = 'x'")]
    if asked:
        assert kinds == ["redrill"] and a.memory("x").is_new
    else:
        assert kinds == ["scheduled"]
        assert a.memory("x") == SM2.replay([(D, 2)]) and not a.memory("x").is_new
    assert a.memory("x") == replayed(a, "x")


def test_undo_keeps_a_later_review_in_the_fsrs_state(two_terminals: tuple[Store, Store]) -> None:
    a, b = two_terminals
    h.set_scheduler(a, "fsrs")
    h.grade(a, "x", 4, D)
    mine = h.grade(a, "x", 5, D + timedelta(3))
    h.grade(b, "x", 4, D + timedelta(9))
    h.undo(a, mine.id)
    expected = FSRS.replay([(D, 4), (D + timedelta(9), 4)])
    assert a.memory("x") == expected and a.memory("x").fsrs.last_review == D + timedelta(9)


def test_review_ids_are_never_reused_across_a_reset(tmp_path: Path) -> None:
    with Store.open(tmp_path / "p.db") as s:
        s.sync([card("x")], "s", h.NOW)
        first = h.grade(s, "x", 5, D)
        s.reset(["x"])
        h.undo(s, first.id)
        again = h.grade(s, "x", 4, D + timedelta(1))
        assert again.id > first.id  # counts as after the reset
        assert h.set_scheduler(s, "fsrs") == 1
        assert s.memory("x").fsrs.last_review == D + timedelta(1)


def test_a_version_4_database_keeps_ids_above_every_reset_point(tmp_path: Path) -> None:
    import sqlite3

    from sqlite_utils import Database

    from dlcards.store.schema import migrations

    path = tmp_path / "v4.db"
    conn = sqlite3.connect(path, isolation_level=None)
    migrations().apply(Database(conn), stop_before="0005_reviews_autoincrement")
    conn.execute("PRAGMA user_version = 4")
    conn.execute(
        "INSERT INTO cards (id, topic, position, content_hash, retired, suspended, added,"
        " reset_after) VALUES ('x', 't', 0, 'h', 0, 0, '2026-01-01', 7)"
    )
    conn.execute(
        "INSERT INTO sm2 (card_id, ef, repetitions, interval, lapses) VALUES ('x', 250, 0, 0, 0)"
    )
    conn.close()
    with Store.open(path) as s:
        assert h.grade(s, "x", 4, D).id == 8


actions = st.lists(
    st.tuples(
        st.sampled_from("ab"), st.sampled_from(["x", "y"]), st.integers(0, 5), st.integers(0, 4)
    ),
    min_size=1,
    max_size=25,
)


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(actions, st.sampled_from(["sm2", "fsrs"]))
def test_any_interleaving_of_grades_and_undos_matches_the_log(
    tmp_path_factory: pytest.TempPathFactory,
    new_db: Callable[[Path], Path],
    steps: list[tuple[str, str, int, int]],
    scheduler: str,
) -> None:
    path = new_db(tmp_path_factory.mktemp("mix") / "p.db")
    a = Store.open(path)
    a.sync([card("x"), card("y")], "s", h.NOW)
    b = Store.open(path)
    h.set_scheduler(a, scheduler)
    terminals = {"a": (a, []), "b": (b, [])}
    day = D
    try:
        for who, cid, grade, move in steps:
            store, mine = terminals[who]
            day += timedelta(days=move)
            if grade == 0 and mine:  # grade 0 stands for "press u" when there is something
                h.undo(store, mine.pop())
            else:
                mine.append(h.grade(store, cid, grade, day).id)
            for c in ("x", "y"):
                assert a.memory(c) == replayed(a, c), (who, c)
    finally:
        a.close()
        b.close()


_grade = st.tuples(  # a grade on a day `move` days on (-1: a clock set back a day)
    st.just("grade"), st.sampled_from("xy"), st.integers(0, 5), st.integers(-1, 3)
)
life = st.lists(
    st.one_of(
        _grade,  # grades weigh most, then undos
        _grade,
        _grade,
        _grade,
        _grade,
        _grade,
        st.tuples(st.just("undo")),
        st.tuples(st.just("undo")),
        st.tuples(st.just("redrill"), st.sampled_from("xy"), st.integers(0, 5), st.just(0)),
        st.tuples(st.just("undo")),
        st.tuples(st.just("scheduler"), st.sampled_from(["sm2", "fsrs"])),
        st.tuples(st.just("desired_retention"), st.sampled_from(["0.8", "0.9", "0.95"])),
        st.tuples(st.just("leech_threshold"), st.sampled_from(["1", "2", "8"])),
        st.tuples(st.just("leech_action"), st.sampled_from(["tag", "suspend"])),
        st.tuples(st.just("reset"), st.sampled_from("xy")),
        st.tuples(st.just("unsuspend"), st.sampled_from("xy")),
    ),
    min_size=15,
    max_size=40,
)
_LEECH_IN_LOG = (
    "SELECT leech, EXISTS (SELECT 1 FROM reviews r WHERE r.card_id = cards.id AND r.leech IS "
    "NOT NULL AND (r.at, r.id) > (coalesce(reset_at, -1), coalesce(reset_after, 0))) "
    "FROM cards WHERE id = ?"
)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(life, st.sampled_from(["1", "2"]))
def test_any_life_of_grades_undos_switches_and_settings_keeps_the_log_true(
    tmp_path_factory: pytest.TempPathFactory,
    new_db: Callable[[Path], Path],
    steps: list[tuple[object, ...]],
    threshold: str,
) -> None:
    """Random grades (any day, a clock set back too), re-drills, undos, scheduler switches,
    retention and leech settings, resets and unsuspensions. After every step: each card's
    memory is the replay of its log and its leech mark the log's; a grade wrote what its key
    showed; an undo right after a grade puts back the card's memory and flags exactly, and
    its flags after settings changed in between; `doctor` finds nothing at the end."""
    from dlcards.commands.config import change
    from dlcards.commands.doctor import _replay_for
    from dlcards.store.doctor import examine

    path = new_db(tmp_path_factory.mktemp("life") / "p.db")
    store = Store.open(path)
    store.sync([card("x"), card("y")], "s", h.NOW)
    change(store, "leech_threshold", threshold)  # leeches within a few lapses
    day, now = D, h.NOW
    given: list[tuple[int, str, Memory, object]] = []  # (review id, card, memory, flags)
    just_graded, settings_since = False, False
    try:
        for step in steps:
            now += timedelta(minutes=1)
            what = step[0]
            if what in ("grade", "redrill"):
                _, cid, g, move = step
                assert isinstance(cid, str) and isinstance(g, int) and isinstance(move, int)
                day += timedelta(days=move)
                before, flags = store.memory(cid), store.card_flags(cid)
                keys = Schedule.from_settings(store.settings()).preview(before, day)
                asked = what == "redrill"

                def decided(
                    m: Memory, now_set: Settings, g: int = g, on: date = day, asked: bool = asked
                ) -> object:
                    # as a session decides: with the leech rule the settings give
                    rule = LeechRule.from_settings(now_set)
                    return decide(m, Grade(g), on, Schedule.from_settings(now_set), asked, rule)

                row = store.grade(cid, decided, now, asked=asked)  # type: ignore[arg-type]
                if row.kind == "scheduled":  # the key's interval is what the grade wrote
                    assert h.sched(store).interval(row.after) == keys[Grade(g)], step
                else:
                    assert row.after == row.before == before, step
                given.append((row.id, cid, before, flags))
                just_graded, settings_since = True, False
            elif what == "undo":
                if given:
                    rid, cid, before, flags = given.pop()
                    h.undo(store, rid)
                    if just_graded:
                        assert store.card_flags(cid) == flags, step
                        if not settings_since:
                            assert store.memory(cid) == before, step
                just_graded = False
            elif what in ("reset", "unsuspend"):
                cid = str(step[1])
                if what == "reset":
                    store.reset([cid], now)
                else:
                    store.set_suspended([cid], False, now)
                just_graded = False
            else:
                change(store, str(what), str(step[1]))
                settings_since = True
            for cid in ("x", "y"):
                assert store.memory(cid) == replayed(store, cid), (step, cid)
                marked, in_log = store.query(_LEECH_IN_LOG, [cid])[0]
                assert bool(marked) == bool(in_log), (step, cid)
        store.close()
        report = examine(path, _replay_for, repair=False, now=h.NOW)
        assert report.healthy, report
    finally:
        store.close()


# --- settings and inputs -------------------------------------------------------------------------


def test_settings_out_of_range_are_one_line() -> None:
    for args, msg in [
        (["config", "new_per_day", "-5"], "new_per_day must be from 0 to 9999, not -5"),
        (["config", "new_per_day", "99999999999999999999"], "whole number from 0 to 9999"),
    ]:
        bad = runner.invoke(app, args)
        assert bad.exit_code == 2 and msg in bad.output and "Traceback" not in bad.output


def test_a_bad_stored_setting_is_reported_and_can_be_fixed(isolated: Path) -> None:
    import sqlite3

    assert runner.invoke(app, ["config", "new_per_day", "5"]).exit_code == 0
    conn = sqlite3.connect(isolated / "data" / "dlcards.db")
    conn.execute("UPDATE meta SET value = '99999999999999999999' WHERE key = 'new_per_day'")
    conn.commit()
    conn.close()
    for args in (["due"], ["study"], ["stats"]):
        bad = runner.invoke(app, args, input="q\n")
        assert bad.exit_code == 2 and "bad value for setting new_per_day" in bad.output, args
    assert runner.invoke(app, ["config", "new_per_day", "3"]).exit_code == 0
    assert json.loads(runner.invoke(app, ["due", "--json"]).output)["new_today"] == 3


def test_study_refuses_a_huge_new_limit() -> None:
    bad = runner.invoke(app, ["study", "--new", "99999999999999999999"], input="q\n")
    assert bad.exit_code == 2 and "Traceback" not in bad.output


# --- the session --------------------------------------------------------------------------------


def _study(*args: str, script: str) -> str:
    result = runner.invoke(app, ["study", "--today", "2026-11-26", *args], input=script)
    assert result.exit_code == 0, result.output
    return result.output


def test_redrills_survive_a_restart() -> None:
    first = _study("--topic", "gd", "--new", "2", script="\n3\nq\n")
    assert "gd-1: 3 → next in" in first
    again = _study("--topic", "gd", "--new", "2", script="q\n")
    assert "again 1" in again  # gd-1 is owed a re-drill today
    done = _study("--topic", "gd", "--new", "2", script="\n4\n\n4\n\n5\n")
    assert "re-drill graded" in done
    assert "Nothing to study today" in _study("--topic", "gd", "--new", "2", script="q\n")


def _shown(out: str) -> list[str]:
    """Card ids in the order their panels were drawn (a revealed card counted once)."""
    ids = [
        line.split(" · ")[0].removeprefix("╭─ ")
        for line in out.splitlines()
        if line.startswith("╭─ ") and "summary" not in line
    ]
    return [cid for i, cid in enumerate(ids) if i == 0 or ids[i - 1] != cid]


def test_skip_moves_the_card_to_the_end() -> None:
    out = _study("--topic", "gd", "--new", "3", script="s\ns\n\n4\nq\n")
    assert _shown(out) == ["gd-1", "gd-2", "gd-3", "gd-1"]  # skipped cards come back
    out = _study("--topic", "gd", "--new", "3", script="s\ns\ns\ns\nq\n")
    assert _shown(out) == ["gd-1", "gd-2", "gd-1", "gd-2", "gd-1"]  # gd-3 was graded


def test_a_grade_whose_clock_was_read_before_waiting_for_the_lock_is_logged_after(
    tmp_path: Path,
) -> None:
    """Terminal B read its clock, waited for the write lock while A committed a grade, then
    committed its own: the memory follows the commits (A, then B), and so must the log's
    order, or the replay would differ from the memory (found by tests/stress)."""
    from datetime import timedelta

    store = Store.open(tmp_path / "p.db")
    store.sync([card("a")], "s", h.NOW)
    h.grade(store, "a", 5, D + timedelta(days=3), now=h.NOW + timedelta(seconds=1))  # A
    h.grade(store, "a", 0, D + timedelta(days=4), now=h.NOW)  # B, clock read earlier
    history = store.history("a")
    assert [g for _, g in history] == [5, 0]  # the commit order
    assert store.memory("a") == h.sched(store).replay(history, store.memory("a"))
    store.close()


def test_a_redrill_whose_failed_grade_was_undone_elsewhere_is_the_days_grade(
    two_terminals: tuple[Store, Store],
) -> None:
    """A session queues x again after a failed grade; another terminal undoes that grade
    (`dlcards undo`). When the session reaches the re-drill, x has no grade today: this grade
    is the day's scheduled one, not a re-drill of a failure that is gone."""
    from dlcards.session import Limits, StudySession

    a, b = two_terminals
    session = StudySession(a, ["x"], D, lambda: h.NOW, Limits(new=1))
    failed = session.grade(Grade(2))
    assert failed.kind == "scheduled" and session.current is not None
    assert session.current.kind == "redrill"
    h.undo(b, failed.id)
    again = session.grade(Grade(4))
    assert again.kind == "scheduled" and a.memory("x") == SM2.replay([(D, 4)])
    assert a.memory("x") == replayed(a, "x")


@pytest.mark.no_files
@given(
    grades=st.lists(st.sampled_from(list(Grade)), min_size=1, max_size=6),
    last=st.sampled_from(list(Grade)),
    back=st.integers(1, 400),
)
def test_a_review_dated_before_the_last_one_counts_as_the_same_day(
    grades: list[Grade], last: Grade, back: int
) -> None:
    """Days elapsed below zero (a review dated before the card's last one: what a clock set
    back would give) count as zero, as Anki takes a negative elapsed time: each scheduler's
    numbers are those of a second review on the day of the last one (not a negative interval
    in the FSRS forgetting curve nor SM-2's early-review rule), and `decide` logs such a grade
    as a re-drill that changes nothing."""
    for schedule in (SM2, FSRS):
        memory = Memory(fsrs=schedule.start().fsrs)
        day = D
        for g in grades:
            memory = schedule.review(memory, g, day)
            day += timedelta(days=schedule.interval(memory))
        reviewed = memory.sm2.last_review
        assert reviewed is not None
        same = schedule.review(memory, last, reviewed)
        earlier = schedule.review(memory, last, reviewed - timedelta(days=back))
        shift = timedelta(days=back)
        assert same.sm2.due is not None
        assert earlier.sm2 == same.sm2._replace(
            due=same.sm2.due - shift, last_review=reviewed - shift
        )
        assert earlier.fsrs.stability == same.fsrs.stability
        assert earlier.fsrs.difficulty == same.fsrs.difficulty
        assert decide(memory, last, reviewed - shift, schedule).kind == "redrill"
