"""`dlcards undo` takes back the learner's newest action, as Anki's Edit > Undo does: a grade
given in study, a reset, a `suspend` or `unsuspend` (the study `!` too), an `unleech`
(`dlcards.store.actions`). A `suspend` then `undo` deleted an older grade from the log and
left the suspension."""

from __future__ import annotations

import os
import re
import sqlite3
import subprocess
import sys
import time
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import helpers as h
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from dlcards.cli import app
from dlcards.store import Store

runner = CliRunner()
CARDS = ("perceptron-1", "perceptron-2", "perceptron-3", "mlp-1")
MADE = r"\(made \d{4}-\d\d-\d\d \d\d:\d\d\)"


def db() -> Path:
    return Path(os.environ["DLCARDS_DB"])


def rows(ids: tuple[str, ...] | None = None) -> dict[str, tuple[object, ...]]:
    """Every column of each card's row (of every card, without `ids`), its sm2 row and its
    fsrs row, read with a connection of its own: what an action changes and its undo must put
    back."""
    conn = sqlite3.connect(db())
    try:
        if ids is None:
            ids = tuple(r[0] for r in conn.execute("SELECT id FROM cards ORDER BY id"))
        return {
            cid: (
                conn.execute("SELECT * FROM cards WHERE id = ?", (cid,)).fetchone(),
                conn.execute("SELECT * FROM sm2 WHERE card_id = ?", (cid,)).fetchone(),
                conn.execute("SELECT * FROM fsrs WHERE card_id = ?", (cid,)).fetchone(),
            )
            for cid in ids
        }
    finally:
        conn.close()


def run(*argv: str) -> str:
    done = runner.invoke(app, list(argv))
    assert done.exit_code == 0, done.output
    assert "Traceback" not in done.output
    return done.output


def grade_in_study(card_id: str, g: int, day: date) -> None:
    """One grade of `card_id` in a study session (as `dlcards study` logs it)."""
    with Store.open(db()) as store:
        session = store.start_session("study", day, datetime.now())
        h.grade(store, card_id, g, day, datetime.now(), session_id=session)


def test_undo_after_suspend_takes_back_the_suspension_not_an_older_grade() -> None:
    """The learner's trap: a grade, `suspend` of that card, `undo`: the suspension is taken
    back (the card due again, its grade kept); the next undo takes back the grade."""
    done = runner.invoke(app, ["study", "--today", "2026-11-26"], input="\n4\nq\n")
    assert done.exit_code == 0, done.output
    graded = rows()
    run("suspend", "perceptron-1")
    assert rows() != graded
    back = run("undo")
    assert re.fullmatch(
        rf"took back the suspension of perceptron-1 {MADE}; perceptron-1 is due \S.*\n", back
    ), back
    assert rows() == graded
    again = run("undo")
    assert again.startswith("undid grade 4 on perceptron-1"), again
    assert run("undo").startswith("nothing to undo"), "nothing is left"


def test_each_kind_of_action_interleaved_is_taken_back_in_reverse_order() -> None:
    """grade, suspend, grade, unsuspend, reset, unleech (and a study `!`): each `undo` puts
    back the state before the newest action left, one line naming it."""
    run("config", "leech_threshold", "1")
    run("config", "leech_action", "tag")
    day = date(2026, 11, 26)
    states = [rows()]
    said = []
    grade_in_study("perceptron-1", 4, day)
    states.append(rows())
    said.append("undid grade 4 on perceptron-1")
    run("suspend", "perceptron-1", "mlp-1")
    states.append(rows())
    said.append("took back the suspension of 2 cards: perceptron-1, mlp-1 (made ")
    grade_in_study("perceptron-2", 1, day)  # a first grade: no lapse, no leech
    states.append(rows())
    said.append("undid grade 1 on perceptron-2")
    run("unsuspend", "mlp-1")
    states.append(rows())
    said.append("took back the unsuspension of mlp-1")
    run("reset", "perceptron-1", "--yes")
    states.append(rows())
    said.append("undid the reset of perceptron-1")
    grade_in_study("perceptron-3", 5, day)
    states.append(rows())
    said.append("undid grade 5 on perceptron-3")
    grade_in_study("perceptron-3", 0, day + timedelta(days=1))  # a lapse: a leech
    states.append(rows())
    said.append("undid grade 0 on perceptron-3")
    run("unleech", "perceptron-3")
    states.append(rows())
    said.append("took back the unleech of perceptron-3")
    done = runner.invoke(app, ["study", "--today", "2026-11-26"], input="!\nq\n")
    assert done.exit_code == 0, done.output
    states.append(rows())
    said.append("took back the suspension of ")
    same = [said[i] for i in range(len(said)) if states[i] == states[i + 1]]
    assert not same, ("changed nothing", same, done.output)
    for expected, state in zip(reversed(said), reversed(states[:-1]), strict=True):
        out = run("undo")
        assert out.startswith(expected), (expected, out)
        assert len(out.splitlines()) == 1, out
        assert rows() == state, expected
    assert run("undo").startswith("nothing to undo")


def test_the_unleech_and_unsuspension_lines_say_what_the_card_is_now() -> None:
    run("config", "leech_threshold", "1")
    run("config", "leech_action", "suspend")
    day = date(2026, 11, 26)
    grade_in_study("mlp-1", 5, day)
    grade_in_study("mlp-1", 1, day + timedelta(days=1))  # a leech, suspended
    run("unleech", "mlp-1")
    run("unsuspend", "mlp-1")
    assert re.fullmatch(
        rf"took back the unsuspension of mlp-1 {MADE}; mlp-1 is suspended again\n", run("undo")
    )
    assert re.fullmatch(
        rf"took back the unleech of mlp-1 {MADE}; mlp-1 is a leech again \(and suspended\)\n",
        run("undo"),
    )
    # the grade that suspended it, taken back by another process than gave it: the flag and
    # its time of change as they were before the grade (the card never suspended)
    before = rows(("mlp-1",))
    assert run("undo").startswith("undid grade 1 on mlp-1")
    card = rows(("mlp-1",))["mlp-1"][0]
    assert card is not None and before["mlp-1"][0] is not None
    conn = sqlite3.connect(db())
    held = conn.execute(
        "SELECT suspended, suspended_changed FROM cards WHERE id = 'mlp-1'"
    ).fetchone()
    conn.close()
    assert held == (0, None), held


def test_a_suspension_an_anki_import_changed_since_is_said_once_and_undo_goes_on() -> None:
    """A suspension whose card's flag an `import anki` changed since (Anki's change, newer)
    is not taken back: one line naming it and why, exit 1, no card written. It is dropped, as
    Anki drops what it cannot undo: the next undo takes back the grade before it (it repeated
    the same refusal for good, and nothing older could ever be undone)."""
    day = date(2026, 11, 26)
    grade_in_study("perceptron-2", 4, day)
    run("suspend", "perceptron-2")
    from dlcards.store.rows import Suspension

    with Store.open(db()) as store:  # what `import anki` does with a newer change in Anki
        store.follow_suspensions(
            lambda held: {"perceptron-2": Suspension(False, int(time.time()) + 5)},
            ["perceptron-2"],
        )
    imported = rows()
    done = runner.invoke(app, ["undo"])
    assert done.exit_code == 1, done.output
    assert re.fullmatch(
        rf"nothing undone: cannot take back the suspension of perceptron-2 {MADE}, the "
        r"suspension of perceptron-2 was changed since by no learner action \(`dlcards import "
        r"anki` or `doctor`\), which undo does not take back; it is dropped: `dlcards undo` "
        r"again takes back the one before\n",
        done.output,
    ), done.output
    assert rows() == imported
    again = run("undo")
    assert again.startswith("undid grade 4 on perceptron-2"), again
    flags = rows(("perceptron-2",))["perceptron-2"][0]
    assert imported["perceptron-2"][0] == flags, "Anki's change stays"
    assert run("undo").startswith("nothing to undo")


def test_a_suspension_an_import_only_dated_later_is_taken_back() -> None:
    """Found while adding imports to bench/undo_model.py: a card answered in Anki, its flag as
    here, takes the Anki card's later time at the import (so that an older file imported
    after it takes nothing back), and undo then refused the unsuspension made here ("the
    suspension of perceptron-2 was changed since by no learner action"), and the suspension
    before it too: the flag was never changed. Both are taken back; the card keeps the later
    time, so that the file imported again still changes nothing."""
    day = date(2026, 11, 26)
    grade_in_study("perceptron-2", 4, day)
    run("suspend", "perceptron-2")
    run("unsuspend", "perceptron-2")
    from dlcards.importers import anki_progress
    from dlcards.store.rows import Suspension

    later = int(time.time()) + 5
    there = {"perceptron-2": Suspension(False, later)}  # the card in the file: answered there

    def follow(here: Any) -> dict[str, Suspension]:  # as `import anki` decides
        newer = anki_progress.newer_suspensions(there, here)
        return {**anki_progress.agreeing_later(there, here), **newer}

    with Store.open(db()) as store:  # `import anki` of a file where the card was answered
        store.follow_suspensions(follow, ["perceptron-2"])
    out = run("undo")
    assert out.startswith("took back the unsuspension of perceptron-2"), out
    conn = sqlite3.connect(db())
    held = conn.execute(
        "SELECT suspended, suspended_changed FROM cards WHERE id = 'perceptron-2'"
    ).fetchone()
    conn.close()
    assert held == (1, later), held
    with Store.open(db()) as store:  # the same file again: a tie keeps dlcards's flag
        store.follow_suspensions(follow, ["perceptron-2"])
        assert store.suspensions(["perceptron-2"])["perceptron-2"].suspended
    out = run("undo")
    assert out.startswith("took back the suspension of perceptron-2"), out
    assert run("undo").startswith("undid grade 4 on perceptron-2")


def test_a_study_suspension_undone_in_the_session_is_not_taken_back_again() -> None:
    """`!` then `u` in a session: the suspension is taken back there; `dlcards undo` after
    the session takes back the grade given before it, not that suspension again."""
    done = runner.invoke(app, ["study", "--today", "2026-11-26"], input="\n5\n!\nu\nq\n")
    assert done.exit_code == 0, done.output
    out = run("undo")
    assert out.startswith("undid grade 5 on perceptron-1"), out


_ACTIONS = st.tuples(
    st.sampled_from(["grade", "grade", "suspend", "unsuspend", "reset", "unleech"]),
    st.integers(0, len(CARDS) - 1),
    st.integers(0, 5),
)


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    steps=st.lists(
        st.one_of(
            _ACTIONS, st.tuples(st.just("doctor"), st.integers(0, len(CARDS) - 1), st.just(0))
        ),
        min_size=1,
        max_size=12,
    ),
    action=st.sampled_from(["tag", "suspend"]),
)
@example(  # a kept grade added back under an id above a suspension and a reset made after it
    steps=[
        ("grade", 0, 4),
        ("grade", 1, 4),
        ("suspend", 2, 0),
        ("reset", 1, 0),
        ("doctor", 0, 0),
        ("unsuspend", 2, 0),
    ],
    action="suspend",
)
def test_k_undos_give_back_the_state_before_the_last_k_actions(
    steps: list[tuple[str, int, int]], action: str
) -> None:
    """Random sequences of grades, suspensions, unsuspensions, resets and unleeches (a leech
    threshold of 1, its action tag or suspend), and `doctor` repairs among them (the newest
    study grade lost from the file and kept beside the backups, another grade's session row
    gone: `_doctor_repair_midway`), which change no card: after k undos every card's rows are
    as they were before the last k actions that changed something, and every card's memory
    is still the replay of its log (`doctor --check`) after every fourth undo and after all
    of them (each pick made again inside its write: `Store.newest_undo`)."""
    path = _from_the_start(action)
    start = rows()
    stack = [start]
    day = date(2026, 11, 26)
    try:
        for n, (kind, which, g) in enumerate(steps):
            cid = CARDS[which]
            if kind == "grade":
                grade_in_study(cid, g, day + timedelta(days=n))
            elif kind == "reset":
                run("reset", cid, "--yes")
            elif kind == "doctor":
                _doctor_repair_midway(which, n)
                assert rows() == stack[-1], "a repair changes no card"
                continue
            else:
                run(kind, cid)
            now = rows()
            if now != stack[-1]:
                stack.append(now)
        while len(stack) > 1:
            stack.pop()
            out = run("undo")
            assert rows() == stack[-1], out
            if len(stack) % 4 == 0:  # (every undo's check: 3 times as long a test)
                _the_log_rebuilds_every_card()
        assert run("undo").startswith("nothing to undo")
        _the_log_rebuilds_every_card()
    finally:
        _back_to_the_start(path)


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    steps=st.lists(
        st.tuples(
            st.sampled_from(
                ["grade", "suspend", "unsuspend", "reset", "unleech", "anki", "answer"]
            ),
            st.integers(0, len(CARDS) - 1),
            st.integers(0, 5),
        ),
        min_size=1,
        max_size=12,
    )
)
def test_undo_goes_back_through_every_action_past_those_anki_changed(
    steps: list[tuple[str, int, int]],
) -> None:
    """Random learner actions with `import anki` flag changes and answers among them
    (Anki's, newer): undo, run again and again, goes back through all of them, each run one
    line: an action or reset Anki's change blocks is said once and dropped, never said again
    and again (undo stopped there for good, the grades before it never undone). Once nothing
    is left, no study grade is in the log, and every card's memory is the replay of its
    log."""
    from dlcards.store.rows import Suspension

    path = _from_the_start("suspend")
    day = date(2026, 11, 26)
    try:
        for n, (kind, which, g) in enumerate(steps):
            cid = CARDS[which]
            if kind == "grade":
                grade_in_study(cid, g, day + timedelta(days=n))
            elif kind == "reset":
                run("reset", cid, "--yes")
            elif kind == "answer":  # an answer given in Anki, imported: no study grade
                with Store.open(path) as store:
                    h.grade(store, cid, g, day + timedelta(days=n), datetime.now())
            elif kind == "anki":  # Anki's change of the flag, newer: what an import writes
                with Store.open(path) as store:
                    held = store.suspensions([cid])[cid].suspended
                    later = int(time.time()) + 5 + n
                    store.follow_suspensions(
                        lambda _: {cid: Suspension(not held, later)},  # noqa: B023
                        [cid],
                    )
            else:
                run(kind, cid)
        said: list[str] = []
        for _ in range(len(steps) + 1):
            done = runner.invoke(app, ["undo"])
            assert "Traceback" not in done.output and len(done.output.splitlines()) == 1
            said.append(done.output)
            if done.output.startswith("nothing to undo"):
                break
            blocked = done.output.startswith("nothing undone: cannot take back")
            assert done.exit_code == (1 if blocked else 0), done.output
        assert said[-1].startswith("nothing to undo"), said
        with Store.open(path) as store:
            assert store.last_study_grade() is None, said
        _the_log_rebuilds_every_card()
    finally:
        _back_to_the_start(path)


def _doctor_repair_midway(which: int, n: int) -> None:
    """What `doctor` repairs, amid the learner's actions: the newest study grade (unless its
    lapse fired the leech rule: its record of the flag is no kept grade's) lost from the file
    with its session and kept beside the backups (as a session keeps the grades it finds
    lost: `Connection._rescue`, with where it was made: `actions.Place`), and another study
    grade's session row gone. The repair adds the grade back to the log (under a new id,
    above the actions and resets made after it, placed where it was made) and puts the
    session back."""
    from dlcards.store import backup
    from dlcards.store.actions import Place
    from dlcards.store.rows import REVIEW_COLUMNS
    from dlcards.store.salvage import write_kept

    conn = sqlite3.connect(db())
    lost, place = None, None
    with conn:
        conn.execute("PRAGMA foreign_keys = OFF")
        newest = conn.execute(
            "SELECT r.id, r.session_id, r.leech FROM reviews r JOIN sessions s "
            "ON s.id = r.session_id WHERE s.kind = 'study' ORDER BY r.id DESC LIMIT 1"
        ).fetchone()
        if newest is not None and newest[2] is None:
            lost = conn.execute(
                f"SELECT {', '.join(REVIEW_COLUMNS)} FROM reviews WHERE id = ?", (newest[0],)
            ).fetchone()
            # where its session kept it was made (`Store.grade`): the row before it, and the
            # last action id then (the actions and leech grades made before it)
            prev = conn.execute(
                "SELECT card_id, at FROM reviews WHERE id < ? ORDER BY id DESC LIMIT 1",
                (newest[0],),
            ).fetchone()
            (acted,) = conn.execute(
                "SELECT coalesce(max(id), 0) FROM learner_actions WHERE seq < ? AND kind IN "
                "('suspend', 'unsuspend', 'unleech', 'grade')",
                (newest[0],),
            ).fetchone()
            place = Place(newest[0], acted, None if prev is None else tuple(prev))
            conn.execute("DELETE FROM reviews WHERE id = ?", (newest[0],))
            conn.execute("DELETE FROM sessions WHERE id = ?", (newest[1],))
        others = conn.execute(
            "SELECT DISTINCT session_id FROM reviews WHERE session_id IS NOT NULL "
            "ORDER BY session_id"
        ).fetchall()
        if others:
            conn.execute("DELETE FROM sessions WHERE id = ?", (others[which % len(others)][0],))
    conn.close()
    if lost is not None:
        folder = backup.folder_of(db())
        folder.mkdir(exist_ok=True)
        kept = folder / f"{db().stem}-kept-2026-11-26T1200{n:02}.000.json"
        write_kept(kept, db(), [lost], [place])
    done = runner.invoke(app, ["doctor"])
    assert done.exit_code == 0 and "Traceback" not in done.output, done.output


def _the_log_rebuilds_every_card() -> None:
    done = runner.invoke(app, ["doctor", "--check"])
    assert done.exit_code == 0, done.output


def _copy(src: Path, dst: Path) -> None:
    source, target = sqlite3.connect(src), sqlite3.connect(dst)
    try:
        source.backup(target)
    finally:
        source.close()
        target.close()


def _back_to_the_start(path: Path) -> None:
    """The database as the first example found it, and no reset record, kept grades or
    backups."""
    import shutil

    from dlcards.store import backup

    _copy(path.with_name("pristine.db"), path)
    shutil.rmtree(backup.folder_of(path), ignore_errors=True)


def test_two_undos_at_once_take_back_two_different_actions() -> None:
    """Two terminals run `undo` while a third holds the write lock: both find the same newest
    action; the one that writes second finds it taken back and takes back the one before
    (never the same one twice, nor "run it again")."""
    run("suspend", "perceptron-1")
    run("suspend", "perceptron-2")
    lock = sqlite3.connect(db(), isolation_level=None)
    lock.execute("BEGIN IMMEDIATE")
    try:
        procs = [
            subprocess.Popen(
                [sys.executable, "-m", "dlcards", "undo"],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for _ in range(2)
        ]
        time.sleep(1.5)  # both read the newest action and wait for the lock
    finally:
        lock.execute("COMMIT")
        lock.close()
    outs = []
    for proc in procs:
        out, err = proc.communicate(timeout=60)
        assert proc.returncode == 0, err
        outs.append(out)
    named = sorted(re.findall(r"took back the suspension of (\S+) ", "".join(outs)))
    assert named == ["perceptron-1", "perceptron-2"], outs
    with Store.open(db()) as store:
        flags = store.suspensions(["perceptron-1", "perceptron-2"])
    assert not any(f.suspended for f in flags.values())


def test_undo_of_a_leech_grade_on_a_card_suspended_before_it_leaves_it_suspended() -> None:
    """A card suspended (`suspend`), then graded (a session had it on screen) with a lapse
    that fires the leech rule (action suspend): the undo of that grade unsuspended the card,
    a suspension the grade had not made. It stays suspended; the next undo takes back the
    `suspend`."""
    run("config", "leech_threshold", "1")
    run("config", "leech_action", "suspend")
    day = date(2026, 11, 26)
    grade_in_study("mlp-1", 5, day)
    run("suspend", "mlp-1")
    suspended = rows(("mlp-1",))
    grade_in_study("mlp-1", 1, day + timedelta(days=1))
    assert run("undo").startswith("undid grade 1 on mlp-1")
    assert rows(("mlp-1",)) == suspended
    assert run("undo").startswith("took back the suspension of mlp-1")


def test_an_action_made_after_undo_picked_its_newest_is_taken_back_first() -> None:
    """`undo` picks the newest action, and another terminal suspends a card before it
    writes: the one it picked is no longer the newest, and is left (None: pick again)."""
    run("suspend", "perceptron-1")
    with Store.open(db()) as store:
        picked = store.newest_action()
        assert picked is not None
        store.set_suspended(["perceptron-2"], True)  # the other terminal's, meanwhile
        assert store.undo_action(picked.id) is None
        assert store.suspensions(["perceptron-1"])["perceptron-1"].suspended
    assert run("undo").startswith("took back the suspension of perceptron-2")
    assert run("undo").startswith("took back the suspension of perceptron-1")


def test_an_action_after_a_reset_on_a_clock_set_back_is_still_the_newer(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """A reset, the clock set back an hour (daylight saving time ends, a wrong clock set
    right), then a `suspend`: with no grade between them, `undo` placed the two by the clock's
    times, took back the reset first and left the suspension made after it. They are placed
    in the order they were made, as after the clock went back with an unleech before a
    reset."""
    grade_in_study("perceptron-1", 4, date(2026, 11, 26))
    graded = rows()
    clock = [time.time_ns()]
    monkeypatch.setattr(time, "time_ns", lambda: clock[0])
    run("reset", "perceptron-1", "--yes")
    reset = rows()
    clock[0] -= 3_600 * 10**9
    run("suspend", "mlp-1")
    assert run("undo").startswith("took back the suspension of mlp-1")
    assert rows() == reset
    assert run("undo").startswith("undid the reset of perceptron-1")
    assert rows() == graded
    # and the other way: an unleech, the clock set back, then a reset: the reset first
    run("config", "leech_threshold", "1")
    grade_in_study("perceptron-2", 5, date(2026, 11, 26))
    grade_in_study("perceptron-2", 0, date(2026, 11, 27))  # a lapse: a leech
    run("unleech", "perceptron-2")
    unleeched = rows()
    clock[0] -= 3_600 * 10**9
    run("reset", "perceptron-2", "--yes")
    assert run("undo").startswith("undid the reset of perceptron-2")
    assert rows() == unleeched
    assert run("undo").startswith("took back the unleech of perceptron-2")


def test_an_action_after_a_floor_on_a_clock_set_back_is_still_taken_back(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A reset whose record line a later reset leaves out (the floor: nothing older is
    taken back), the clock set back an hour, then a `suspend` with no grade between: the
    suspension is after the floor, and taken back, then the later reset; then undo says it
    goes no further. Placed by the clock's time, the suspension was at or before the floor:
    undo said there was nothing older, and left it."""
    from dlcards.store import resets

    grade_in_study("perceptron-1", 4, date(2026, 11, 26))
    grade_in_study("perceptron-2", 4, date(2026, 11, 26))
    clock = [time.time_ns()]
    monkeypatch.setattr(time, "time_ns", lambda: clock[0])
    run("reset", "perceptron-1", "--yes")
    monkeypatch.setattr(resets, "KEEP_BYTES", resets.resets_path(db()).stat().st_size)
    clock[0] += 10**9
    run("reset", "perceptron-2", "--yes")
    assert len(list(resets.records(db()))) == 1, "the first reset's line is no longer kept"
    reset = rows()
    clock[0] -= 3_600 * 10**9
    run("suspend", "mlp-1")
    assert run("undo").startswith("took back the suspension of mlp-1")
    assert rows() == reset
    assert run("undo").startswith("undid the reset of perceptron-2")
    assert run("undo").startswith("nothing older to undo: the reset record")


@pytest.mark.parametrize("meanwhile", ["grade", "reset"])
def test_a_grade_or_reset_committed_between_undos_pick_and_its_write_is_taken_back(
    meanwhile: str,
) -> None:
    """`undo` runs while another terminal's grade (or reset) is being written: it picks the
    newest it sees (a suspension: the grade is not committed yet), then waits for the write
    lock, which it gets once the grade is committed. It takes back what is newest when it
    writes, the grade (it took back the suspension, older, and said so)."""
    day = date(2026, 11, 26)
    grade_in_study("perceptron-2", 4, day)
    run("suspend", "perceptron-1")
    before = rows()
    with Store.open(db()) as store:
        session = store.start_session("study", day, datetime.now())
        with store.one_transaction():  # the other terminal's write, its lock held
            if meanwhile == "grade":
                h.grade(store, "perceptron-2", 2, day + timedelta(days=3), session_id=session)
            else:
                store.reset(["perceptron-2"], datetime.now())
            proc = subprocess.Popen(
                [sys.executable, "-m", "dlcards", "undo"],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            time.sleep(2.5)  # it picks, and waits for the lock
        out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    said = "undid grade 2 on perceptron-2" if meanwhile == "grade" else "undid the reset of"
    assert out.startswith(said), out
    assert rows() == before, "the suspension stays; the grade or reset is taken back"
    assert run("undo").startswith("took back the suspension of perceptron-1")


def _older_actions(n: int, seq: int) -> None:
    """`n` suspensions of a card no longer in the database, kept as made after the log's id
    `seq` (each one's undo a no-op: a card gone is passed over): the table filled up to its
    limit without `n` commands."""
    conn = sqlite3.connect(db())
    with conn:
        conn.executemany(
            "INSERT INTO learner_actions (kind, made_ns, seq, cards) VALUES ('suspend', ?, ?, ?)",
            [(time.time_ns(), seq, '[["gone-card", [0, null], [1, 0]]]')] * n,
        )
    conn.close()


def _taken_back_older_actions() -> None:
    """What `n` undos of `_older_actions` do (their cards gone, nothing else changes)."""
    conn = sqlite3.connect(db())
    with conn:
        conn.execute("DELETE FROM learner_actions WHERE cards LIKE '%gone-card%'")
    conn.close()


def _last_review() -> int:
    with Store.open(db()) as store:
        last = store.last_study_grade()
    assert last is not None
    return last[0]


def test_undo_says_nothing_older_past_an_action_pruned_never_the_grade_before_it() -> None:
    """A grade, a suspension, then so many actions that the suspension's record is pruned
    (`actions.KEEP` are kept): once the kept ones are taken back, undo says there is nothing
    older to undo. It took back the grade, older than the suspension it skipped over (which
    stayed)."""
    from dlcards.store.actions import KEEP

    day = date(2026, 11, 26)
    grade_in_study("perceptron-1", 4, day)
    run("suspend", "perceptron-2")  # to be pruned
    _older_actions(KEEP - 1, _last_review())
    run("suspend", "mlp-1")  # the KEEP + 1st: the oldest kept no more
    assert run("undo").startswith("took back the suspension of mlp-1")
    _taken_back_older_actions()
    kept = rows()
    done = run("undo")
    assert done == (
        f"nothing older to undo: undo keeps the newest {KEEP:,} suspensions, unsuspensions "
        "and unleeches, and an older one no longer kept stands before the rest\n"
    ), done
    assert rows() == kept, "the grade and the suspension stay"
    assert _last_review() > 0


def test_pruning_keeps_the_record_a_leech_grades_undo_needs() -> None:
    """A card suspended, then a lapse that fires the leech rule (action suspend), then as many
    actions as are kept: the grade's record (what the flag was before it) is not pruned with
    the oldest actions. Pruned, the grade's undo unsuspended a card suspended before it."""
    from dlcards.store.actions import KEEP

    run("config", "leech_threshold", "1")
    run("config", "leech_action", "suspend")
    day = date(2026, 11, 26)
    grade_in_study("mlp-1", 5, day)
    run("suspend", "mlp-1")
    suspended = rows(("mlp-1",))
    grade_in_study("mlp-1", 1, day + timedelta(days=1))
    _older_actions(KEEP - 1, _last_review())
    run("suspend", "perceptron-3")
    assert run("undo").startswith("took back the suspension of perceptron-3")
    _taken_back_older_actions()
    assert run("undo").startswith("undid grade 1 on mlp-1")
    assert rows(("mlp-1",)) == suspended
    # the `suspend` before the grade was the oldest action, pruned
    assert run("undo").startswith("nothing older to undo")


def _actions_kept() -> list[str]:
    conn = sqlite3.connect(db())
    try:
        return [
            str(r[0])
            for r in conn.execute(
                "SELECT cards FROM learner_actions WHERE kind IN ('suspend', 'unsuspend', "
                "'unleech') ORDER BY id"
            )
        ]
    finally:
        conn.close()


def test_pruning_keeps_keep_actions_whatever_other_rows_took_ids() -> None:
    """The rows of dropped resets and of leech grades take ids in the table too: the newest
    KEEP actions are kept all the same, and the first one past them is the one pruned. Cut by
    id, 5 dropped resets among them pruned 5 more actions than KEEP allows."""
    from dlcards.store import actions
    from dlcards.store.actions import KEEP

    run("suspend", "perceptron-2")  # the oldest: the KEEP-th action from the newest
    _older_actions(KEEP - 2, 0)
    conn = sqlite3.connect(db())
    with conn:
        for n in range(5):
            actions.drop_reset(conn, n, 0)
    conn.close()
    run("suspend", "mlp-1")
    kept = _actions_kept()
    assert len(kept) == KEEP and "perceptron-2" in kept[0]
    with Store.open(db()) as store:
        assert store.newest_undo() is not None and store.newest_undo().floor is None  # type: ignore[union-attr]
    run("suspend", "perceptron-3")
    kept = _actions_kept()
    assert len(kept) == KEEP and "perceptron-2" not in " ".join(kept)


def test_a_suspension_made_after_undo_picked_a_grade_is_taken_back_first() -> None:
    """`undo` picks the last grade, and another terminal suspends a card before it writes:
    the grade is no longer the newest, and is left (None: pick again)."""
    from dlcards.grading import redecider
    from dlcards.scheduling import Schedule

    def rules(settings: object) -> tuple[object, object]:
        s = Schedule.from_settings(settings)  # type: ignore[arg-type]
        return s.replay, redecider(s, settings)  # type: ignore[arg-type]

    grade_in_study("perceptron-1", 4, date(2026, 11, 26))
    graded = rows()
    with Store.open(db()) as store:
        picked = store.newest_undo()
        assert picked is not None and picked.grade is not None
        store.set_suspended(["perceptron-2"], True)  # the other terminal's, meanwhile
        assert store.undo(picked.grade[0], rules, newest=True) is None  # type: ignore[arg-type]
    assert run("undo").startswith("took back the suspension of perceptron-2")
    assert rows() == graded
    assert run("undo").startswith("undid grade 4 on perceptron-1")


# --- after `dlcards doctor`: the undo records agree with the log and cards restored -------


def _newest_backup() -> str:
    from dlcards.store import backup

    run("backup")
    return backup.backups(db())[0].path.name


def test_after_a_restore_of_a_sound_database_undo_takes_back_what_the_backup_holds() -> None:
    """A backup holds a grade and a suspension; a suspension and a grade come after it; the
    restore over the sound database goes back to the backup: undo takes back its suspension
    (never one of those made after it), then its grade, then says nothing is left."""
    day = date(2026, 11, 26)
    grade_in_study("perceptron-1", 4, day)
    run("suspend", "perceptron-2")
    name = _newest_backup()
    in_backup = rows()
    run("suspend", "perceptron-3")
    grade_in_study("mlp-1", 3, day)
    run("doctor", "--restore", name)
    assert rows() == in_backup
    assert run("undo").startswith("took back the suspension of perceptron-2 ")
    assert run("undo").startswith("undid grade 4 on perceptron-1")
    assert run("undo").startswith("nothing to undo")


def test_a_restore_over_a_damaged_file_goes_back_no_further_than_a_change_it_carried() -> None:
    """A backup holds a grade and a suspension; after it, a card is suspended, a grade given
    (its session begun after the backup); the file is then damaged. The restore salvages the
    grade and carries the suspension over, without its undo record (in the damaged file).
    Undo takes back the salvaged grade (it took back the backup's suspension: the grade's
    session was dropped, so it was no study grade), then says it goes no further back than
    the carried suspension (it skipped over it, to the backup's suspension and grade)."""
    import damage

    day = date(2026, 11, 26)
    grade_in_study("perceptron-1", 4, day)
    run("suspend", "perceptron-2")
    name = _newest_backup()
    run("suspend", "perceptron-3")  # its record goes with the damaged file
    time.sleep(1.1)  # a suspension's time is whole seconds: the grade after it
    grade_in_study("mlp-1", 3, day)
    damage.flip_in_index(db(), "reviews_card_time")
    done = run("doctor", "--restore", name)
    assert "salvaged 1 grade" in done and "suspensions of 1 card" in " ".join(done.split())
    assert rows(("perceptron-3",))["perceptron-3"][0][5] == 1  # type: ignore[index]
    assert run("undo").startswith("undid grade 3 on mlp-1")
    kept = rows()
    out = run("undo")
    assert re.fullmatch(
        r"nothing older to undo: `dlcards doctor --restore` carried over a change made "
        r"\d{4}-\d\d-\d\d \d\d:\d\d \(a suspension, unleech or reset since its backup\) that "
        r"undo holds no record of; undo does not go back past it\n",
        out,
    ), out
    assert rows() == kept


def test_a_grade_given_in_the_second_of_a_suspension_carried_over_is_still_taken_back() -> None:
    """As above, the grade given in the same second as the suspension carried over (its
    time is whole seconds): the suspension's place among the grades is read from its action
    in the damaged file (the log id it was made after), so the salvaged grade is after it,
    and taken back. By time, the whole of its second was before the floor: undo said there
    was nothing older to undo, the grade given after the suspension never taken back."""
    import damage

    day = date(2026, 11, 26)
    grade_in_study("perceptron-1", 4, day)
    run("suspend", "perceptron-2")
    name = _newest_backup()
    while time.time() % 1 > 0.2:  # both at the start of one second
        time.sleep(0.05)
    run("suspend", "perceptron-3")  # its record goes with the damaged file
    grade_in_study("mlp-1", 3, day)
    conn = sqlite3.connect(db())
    try:
        (changed,) = conn.execute(
            "SELECT suspended_changed FROM cards WHERE id = 'perceptron-3'"
        ).fetchone()
        (at,) = conn.execute("SELECT at FROM reviews WHERE card_id = 'mlp-1'").fetchone()
    finally:
        conn.close()
    assert changed == at // 1000, "the grade is in the suspension's second"
    damage.flip_in_index(db(), "reviews_card_time")
    done = run("doctor", "--restore", name)
    assert "salvaged 1 grade" in done and "suspensions of 1 card" in " ".join(done.split())
    assert run("undo").startswith("undid grade 3 on mlp-1")
    assert run("undo").startswith("nothing older to undo: `dlcards doctor --restore` carried")


def _older_backup() -> str:
    """A backup of the database as a dlcards before schema 35 kept it (no actions table)."""
    from dlcards.store import backup

    old = db().with_name("older.db")
    _copy(db(), old)
    conn = sqlite3.connect(old)
    with conn:
        conn.execute("DROP TABLE learner_actions")
        conn.execute("DELETE FROM sqlite_sequence WHERE name = 'learner_actions'")
        conn.execute("DELETE FROM _sqlite_migrations WHERE name LIKE '0035_%'")
        conn.execute("PRAGMA user_version = 34")
    try:
        return backup.make(conn, db(), date.today()).path.name
    finally:
        conn.close()
        old.unlink()


def test_a_restore_of_a_backup_older_than_the_records_over_a_damaged_file_is_a_floor() -> None:
    """A backup made before schema 35 (no actions kept), restored over a damaged file (with a
    suspension since, carried over, and a grade since, salvaged): undo goes back no further
    than the restore, and says so. It took back the salvaged grade, then the backup's grade
    under the suspension carried over. The actions made after the restore have ids the
    damaged file never gave (a study session left open across it deletes its `!` by id)."""
    import damage

    day = date(2026, 11, 26)
    grade_in_study("perceptron-1", 4, day)
    run("suspend", "perceptron-2")
    name = _older_backup()
    run("suspend", "perceptron-3")
    time.sleep(1.1)  # a suspension's time is whole seconds: the grade after it
    grade_in_study("mlp-1", 3, day)
    damage.flip_in_index(db(), "reviews_card_time")
    # (its check after the restore says the next command upgrades schema 34: exit 1)
    done = runner.invoke(app, ["doctor", "--restore", name]).output
    assert "salvaged 1 grade" in done and "Traceback" not in done, done
    kept = rows()
    out = run("undo")
    assert re.fullmatch(
        r"nothing older to undo: `dlcards doctor --restore` put a backup of an older dlcards, "
        r"which kept no record of suspensions and unleeches, over a damaged file "
        r"\(\d{4}-\d\d-\d\d \d\d:\d\d\); undo does not go back past that restore\n",
        out,
    ), out
    assert rows() == kept
    run("suspend", "perceptron-1")
    conn = sqlite3.connect(db())
    try:
        (made,) = conn.execute(
            "SELECT max(id) FROM learner_actions WHERE kind = 'suspend'"
        ).fetchone()
    finally:
        conn.close()
    assert made > 2, "the damaged file gave ids 1 and 2"
    assert run("undo").startswith("took back the suspension of perceptron-1")
    assert run("undo").startswith("nothing older to undo")


def test_grades_a_repair_adds_from_a_kept_file_are_taken_back_by_undo() -> None:
    """A grade a session kept beside the backups (its database damaged under it: the grade
    and its session lost from the file) is added by `doctor`; undo takes it back first (it
    was added without its session, as no study grade: undo took back the grade before)."""
    day = date(2026, 11, 26)
    grade_in_study("perceptron-1", 4, day)
    grade_in_study("perceptron-2", 3, day)
    _lost_to_a_kept_file_and_added_back("perceptron-2")
    assert run("undo").startswith("undid grade 3 on perceptron-2")
    assert run("undo").startswith("undid grade 4 on perceptron-1")


def test_grades_whose_session_a_repair_puts_back_are_still_taken_back_by_undo() -> None:
    """A grade's session row is gone (`PRAGMA foreign_key_check` finds the grade pointing to
    a missing session): `doctor` puts the session back as the study session it was, and undo
    takes back that grade first. The repair cleared its session: it was no study grade, and
    undo took back the older grade under it, leaving the newer one in the log."""
    day = date(2026, 11, 26)
    grade_in_study("perceptron-1", 4, day)
    grade_in_study("perceptron-2", 3, day)
    conn = sqlite3.connect(db())
    with conn:
        conn.execute("PRAGMA foreign_keys = OFF")
        conn.execute(
            "DELETE FROM sessions WHERE id = (SELECT session_id FROM reviews "
            "WHERE card_id = 'perceptron-2')"
        )
    conn.close()
    done = runner.invoke(app, ["doctor"])
    assert done.exit_code == 0 and "point to a missing session" in done.output, done.output
    assert "study sessions re-added" in " ".join(done.output.split()), done.output
    _the_log_rebuilds_every_card()
    assert run("undo").startswith("undid grade 3 on perceptron-2")
    assert run("undo").startswith("undid grade 4 on perceptron-1")
    assert run("undo").startswith("nothing to undo")


def test_a_floor_an_earlier_dlcards_wrote_is_still_read_and_placed_by_its_time() -> None:
    """A floor row of the first schema-35 dlcards holds its reason alone (no action id): it
    is read as it was, and an action is placed against it by its seq and time."""
    from dlcards.store import actions

    conn = sqlite3.connect(db())
    with conn:
        conn.execute(
            "INSERT INTO learner_actions (kind, made_ns, seq, cards) VALUES ('floor', 5, 3, ?)",
            ('"restored"',),
        )
        low = actions.floor(conn)
    conn.close()
    assert low == actions.Floor(3, 5, actions.RESTORED, None)
    assert low.covers(actions.Action(99, "suspend", 5, 3, ()))
    assert not low.covers(actions.Action(1, "suspend", 6, 3, ()))
    assert not low.covers(actions.Action(1, "suspend", 1, 4, ()))


@pytest.mark.parametrize("after", ["suspend", "reset"])
def test_an_action_made_after_a_grade_a_repair_adds_is_taken_back_before_it(after: str) -> None:
    """A grade the file lost (a session kept it beside the backups), then a suspension or a
    reset: the grade `doctor` adds back is logged under an id above the one they were made
    after, and is placed before them all the same: undo takes back the suspension or reset,
    then that grade, then the one before. Placed by its id, it was taken back first, the
    action made after it left."""
    day = date(2026, 11, 26)
    grade_in_study("perceptron-1", 4, day)
    grade_in_study("perceptron-2", 3, day)
    if after == "suspend":
        run("suspend", "perceptron-3")
    else:
        run("reset", "perceptron-1", "--yes")
    suspended = rows()
    _lost_to_a_kept_file_and_added_back("perceptron-2")
    assert rows() == suspended
    if after == "suspend":
        assert run("undo").startswith("took back the suspension of perceptron-3")
    else:
        assert run("undo").startswith("undid the reset of perceptron-1")
    assert run("undo").startswith("undid grade 3 on perceptron-2")
    assert run("undo").startswith("undid grade 4 on perceptron-1")
    assert run("undo").startswith("nothing to undo")


def test_an_action_made_on_a_clock_set_back_after_one_pruned_is_still_taken_back(
    monkeypatch,  # type: ignore[no-untyped-def]
) -> None:
    """A suspension, as many actions as are kept, the clock set back an hour (a wrong clock
    set right), then another suspension, which prunes the first: the floor the pruned one
    left was placed by the clock's time, so the suspension made after it, dated before it,
    was taken for older than the floor, and undo said there was nothing older to undo instead
    of taking it back. Placed by the order the actions were made (their ids), it is taken
    back, and only then does undo stop at the floor."""
    from dlcards.store.actions import KEEP

    grade_in_study("perceptron-1", 4, date(2026, 11, 26))
    clock = [time.time_ns()]
    monkeypatch.setattr(time, "time_ns", lambda: clock[0])
    run("suspend", "perceptron-2")  # to be pruned
    _older_actions(KEEP - 1, _last_review())
    before = rows()
    clock[0] -= 3_600 * 10**9
    run("suspend", "mlp-1")  # the KEEP + 1st: the first is pruned, the floor raised to it
    assert run("undo").startswith("took back the suspension of mlp-1")
    assert rows() == before
    _taken_back_older_actions()
    assert run("undo").startswith("nothing older to undo")


def _lost_to_a_kept_file_and_added_back(card_id: str) -> None:
    """The card's grade lost by the file (its row and its session gone) but kept by its
    session beside the backups (a kept file), then added back by `doctor`."""
    from dlcards.store import backup
    from dlcards.store.rows import REVIEW_COLUMNS
    from dlcards.store.salvage import write_kept

    conn = sqlite3.connect(db())
    with conn:
        row = conn.execute(
            f"SELECT {', '.join(REVIEW_COLUMNS)} FROM reviews WHERE card_id = ?", (card_id,)
        ).fetchone()
        conn.execute("DELETE FROM reviews WHERE card_id = ?", (card_id,))
        conn.execute("DELETE FROM sessions WHERE id = ?", (row[1],))
    conn.close()
    backup.folder_of(db()).mkdir(exist_ok=True)
    write_kept(backup.folder_of(db()) / f"{db().stem}-kept-2026-11-26T120000.000.json", db(), [row])
    done = runner.invoke(app, ["doctor"])
    assert "added 1 grade to the log" in " ".join(done.output.split()), done.output


def _from_the_start(action: str) -> Path:
    """The database, a copy of it kept aside by the first example (`_back_to_the_start` puts
    it back after each), with the leech rule at one lapse and its `action`."""
    path = db()
    pristine = path.with_name("pristine.db")
    if not pristine.exists():  # the first example: each one starts from this copy
        _copy(path, pristine)
    run("config", "leech_threshold", "1")
    run("config", "leech_action", action)
    return path


def test_the_row_of_a_dropped_reset_goes_once_the_floor_passes_it() -> None:
    """A reset undo cannot take back (its card studied since by an answer no study grade
    gave) is dropped: a row of the table notes it. Once so many actions follow that the
    floor rises past it, that row is deleted with the actions pruned (it stayed for good,
    one more each reset dropped), and undo says the same as before: the newest action, then
    nothing older to undo."""
    from dlcards.store.actions import DROPPED_RESET, KEEP

    day = date(2026, 11, 26)
    grade_in_study("perceptron-1", 4, day)
    run("reset", "perceptron-1", "--yes")
    with Store.open(db()) as store:  # an answer of no study session: an import's
        h.grade(store, "perceptron-1", 3, day + timedelta(1), datetime.now())
    done = runner.invoke(app, ["undo"])
    assert done.exit_code == 1 and "it is dropped" in done.output, done.output

    def dropped() -> int:
        conn = sqlite3.connect(db())
        try:
            q = "SELECT count(*) FROM learner_actions WHERE kind = ?"
            return int(conn.execute(q, (DROPPED_RESET,)).fetchone()[0])
        finally:
            conn.close()

    assert dropped() == 1
    run("suspend", "perceptron-2")  # to be pruned: the floor goes past the reset
    conn = sqlite3.connect(db())
    (seq,) = conn.execute("SELECT max(id) FROM reviews").fetchone()
    conn.close()
    _older_actions(KEEP - 1, seq)
    assert dropped() == 1
    before = rows()
    run("suspend", "mlp-1")  # the KEEP + 1st
    assert dropped() == 0
    assert run("undo").startswith("took back the suspension of mlp-1")
    assert rows() == before
    _taken_back_older_actions()
    assert run("undo").startswith("nothing older to undo")
    assert rows() == before


def _lost_from_the_log(card_id: str, g: int, day: date, when: datetime | None = None) -> None:
    """A study grade of `card_id` the file loses: its write-ahead log emptied under the session
    (`truncate -s 0 p.db-wal`), which finds it at its next write and keeps the grade beside
    the backups (`Connection._rescue`), with where it was made among the learner's actions.
    The file keeps what was checkpointed before the grade."""
    from dlcards.store.connection import FileGoneError

    conn = sqlite3.connect(db())
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    with Store.open(db()) as mine:
        session = mine.start_session("study", day, datetime.now())
        h.grade(mine, card_id, g, day, when or datetime.now(), session_id=session)
        os.truncate(f"{db()}-wal", 0)
        with pytest.raises(FileGoneError):
            mine.set_meta("elsewhere", "1")
    conn = sqlite3.connect(db())
    try:
        q = "SELECT count(*) FROM reviews WHERE card_id = ?"
        assert conn.execute(q, (card_id,)).fetchone()[0] == 0, "lost from the file"
    finally:
        conn.close()


@pytest.mark.parametrize("clock", ["right", "set back"])
def test_a_kept_grade_added_back_is_undone_after_what_was_given_after_it(
    monkeypatch: pytest.MonkeyPatch, clock: str
) -> None:
    """A grade the file lost (its session kept it), then a suspension and a grade given after
    it (the clock set back between, or not), then `doctor` adds it back: under an id above
    the grade given after it. Undo takes back, in the order they were made backwards, the
    grade given after it, the suspension, then it, then the grade before: it is placed where
    it was made (the log id and action id its session kept). Placed by its id, it was taken
    back first; the suspension, placed after it by the clock's times, came before all."""
    day = date(2026, 11, 26)
    grade_in_study("perceptron-1", 4, day)
    _lost_from_the_log("perceptron-2", 3, day)
    if clock == "set back":
        moved = time.time_ns() - 3_600 * 10**9
        monkeypatch.setattr(time, "time_ns", lambda: moved)
    run("suspend", "perceptron-3")
    grade_in_study("mlp-1", 5, day)
    done = runner.invoke(app, ["doctor"])
    assert "added 1 grade to the log" in " ".join(done.output.split()), done.output
    conn = sqlite3.connect(db())
    ids = dict(conn.execute("SELECT card_id, id FROM reviews").fetchall())
    conn.close()
    assert ids["perceptron-2"] > ids["mlp-1"], "logged under an id above the grade after it"
    assert run("undo").startswith("undid grade 5 on mlp-1")
    assert run("undo").startswith("took back the suspension of perceptron-3")
    assert run("undo").startswith("undid grade 3 on perceptron-2")
    assert run("undo").startswith("undid grade 4 on perceptron-1")
    assert run("undo").startswith("nothing to undo")
    _the_log_rebuilds_every_card()


def test_a_restore_s_floor_is_placed_by_ids_before_a_grade_given_on_a_clock_set_back() -> None:
    """A backup; a suspension since; then a grade given on a clock set back an hour, which
    the file lost (its session kept it); then the file is damaged. `doctor --restore`
    carries the suspension over (its record went with the file) and adds the kept grade:
    undo takes back that grade, then says it goes no further back than the suspension. The
    floor was placed by the clock's times: the grade, dated before the suspension, was under
    it, and undo said there was nothing older to undo, the grade given after it left."""
    import damage

    day = date(2026, 11, 26)
    grade_in_study("perceptron-1", 4, day)
    name = _newest_backup()
    run("suspend", "perceptron-3")  # its record goes with the damaged file
    _lost_from_the_log("perceptron-2", 3, day, datetime.now() - timedelta(hours=1))
    damage.flip_in_index(db(), "reviews_card_time")
    done = " ".join(run("doctor", "--restore", name).split())
    assert "salvaged 1 grade" in done and "suspensions of 1 card" in done, done
    assert run("undo").startswith("undid grade 3 on perceptron-2")
    kept = rows()
    assert run("undo").startswith("nothing older to undo: `dlcards doctor --restore` carried")
    assert rows() == kept
