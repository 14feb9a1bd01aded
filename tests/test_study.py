"""`dlcards study` on the line protocol, checked through `dlcards show --json`."""

from __future__ import annotations

import json
import os
import re
import time
from collections.abc import Callable
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

from dlcards.cli import app
from dlcards.sm2 import Grade, State, review

runner = CliRunner()


def study(script: list[str], *args: str) -> str:
    result = runner.invoke(app, ["study", *args], input="\n".join(script) + "\n")
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output
    return result.output


def state(card_id: str, today: str = "2026-11-26") -> dict:
    result = runner.invoke(app, ["show", card_id, "--json", "--today", today])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)["state"]


def test_first_session_grades_new_cards_in_deck_order() -> None:
    out = study(["", "5", "", "4", "", "3", "q"], "--today", "2026-11-26")
    assert "3 grades saved" in out
    assert state("perceptron-1")["interval"] == 1 and state("perceptron-1")["ef"] == 2.6
    assert state("perceptron-2")["ef"] == 2.5
    assert state("perceptron-3")["ef"] == 2.36
    assert state("perceptron-4")["status"] == "new"


def test_scripted_days_follow_sm2_exactly() -> None:
    """One card graded 5 on each due day: intervals 1, 6, 17, 50 as SM-2 predicts."""
    day = date(2026, 1, 1)
    expected = State()
    for _ in range(4):
        # --new 1 on the first day; on later days perceptron-1 is the only card due
        out = study(
            ["", "5", "q"],
            "--today",
            day.isoformat(),
            "--new",
            "1" if _ == 0 else "0",
            "--topic",
            "perceptron",
        )
        assert "perceptron-1" in out
        expected, _log = review(expected, Grade.PERFECT, day)
        got = state("perceptron-1", day.isoformat())
        assert (got["interval"], got["ef"], got["repetitions"], got["due"]) == (
            expected.interval,
            expected.ef / 100,
            expected.repetitions,
            expected.due.isoformat(),
        )
        assert expected.due is not None
        day = expected.due
    assert [expected.interval, expected.ef] == [50, 290]


def test_redrill_until_good_and_schedule_set_by_first_grade() -> None:
    # grade 1, then the card comes back at the end: graded 3 (again), then 4 (done)
    out = study(["", "1", "", "3", "", "4"], "--today", "2026-11-26", "--new", "1")
    assert out.count("perceptron-1 · Perceptron") >= 3
    s = state("perceptron-1")
    assert (s["interval"], s["repetitions"], s["ef"]) == (1, 0, 1.96)  # from the first grade only
    assert "Session complete" in out and "3 grades saved" in out


def test_undo_restores_state_and_log() -> None:
    study(["", "5", "u", "", "2", "q"], "--today", "2026-11-26", "--new", "2")
    s = state("perceptron-1")
    assert s["ef"] == 2.18  # 2.50 - 0.32: only the grade after the undo counts
    result = runner.invoke(app, ["stats", "--json", "--today", "2026-11-26"])
    assert json.loads(result.output)["reviews"]["total"] == 1


def test_skip_leaves_card_new() -> None:
    study(["s", "", "5", "q"], "--today", "2026-11-26", "--new", "2")
    assert state("perceptron-1")["status"] == "new"
    assert state("perceptron-2")["status"] == "review"


def test_daily_new_limit_is_kept_across_sessions() -> None:
    study(["", "5", "", "5", "q"], "--today", "2026-11-26", "--new", "3")
    out = study(["", "5", "", "5", "", "5"], "--today", "2026-11-26", "--new", "3")
    assert "1 grade saved" in out  # only one new card left of today's 3
    out = study([], "--today", "2026-11-26", "--new", "3")
    assert "Nothing to study today" in out


def test_invalid_input_is_asked_again_and_eof_saves() -> None:
    out = study(["", "7", "x", "4"], "--today", "2026-11-26")
    assert "'7' is not one of" in out and "'x' is not one of" in out
    assert "Input ended. 1 grade saved." in out


def test_a_line_that_is_no_key_is_said_back_as_typed() -> None:
    """A script's line that is no key was said back lower-cased ('xyz' for `XYZ`), not as
    typed; a quote in it was left bare inside the quotes."""
    out = study(["", "XYZ", "it's", "4"], "--today", "2026-11-26")
    assert "? 'XYZ' is not one of" in out and "'xyz'" not in out, out
    assert '? "it\'s" is not one of' in out, out


def test_due_reviews_come_before_new_and_most_overdue_first() -> None:
    study(["", "5", "", "5", "q"], "--today", "2026-11-20", "--new", "2")  # both due 11-21
    study(["", "5", "q"], "--today", "2026-11-21", "--new", "1", "--reviews", "0")  # p-3 due 11-22
    out = study(["q"], "--today", "2026-11-25", "--new", "1")
    first = out.index("perceptron-1 ·")
    assert "due 3" in out[: first + 200]
    assert first < out.index("card 1 of 4") + 300


def test_topic_and_tag_filters() -> None:
    out = study(["", "5", "q"], "--today", "2026-11-26", "--topic", "gd", "--tag", "math")
    assert "gd-2 ·" in out  # the first gd card tagged math
    result = runner.invoke(app, ["study", "--topic", "nope"], input="q\n")
    assert result.exit_code == 2 and "unknown topic 'nope'" in result.output


def test_due_and_stats_json() -> None:
    study(["", "5", "", "0", "", "4", "q"], "--today", "2026-11-26", "--new", "2")
    due = json.loads(runner.invoke(app, ["due", "--json", "--today", "2026-11-27"]).output)
    assert due["due"] == 2 and due["topics"][0] == {"topic": "perceptron", "due": 2, "new": 28}
    stats = json.loads(runner.invoke(app, ["stats", "--json", "--today", "2026-11-27"]).output)
    assert stats["cards"]["learning"] == 2 and stats["cards"]["new"] == 218
    assert stats["reviews"]["total"] == 3
    assert stats["passed"]["total"] == 0.5  # scheduled: 5 and 0; the re-drill does not count
    assert stats["retention"]["total"] is None  # no card was reviewed before
    assert stats["streak_days"] == 1
    assert stats["forecast"][0] == {"day": "2026-11-27", "due": 2}


def test_a_streak_longer_than_ten_years_is_counted_whole() -> None:
    """`stats` read the days studied of the last 3,660 only, so a streak of every day for
    longer (the benchmark's synthetic decade and more) showed "streak 3660 days"."""
    from datetime import date, datetime, timedelta, timezone

    from tests.helpers import import_log

    today = date(2026, 11, 26)
    days = [today - timedelta(days=n) for n in range(3700)]
    log = {"gd-1": [(d, 4) for d in reversed(days)], "gd-2": [(today - timedelta(3701), 4)]}
    import_log(log, datetime(2026, 11, 26, 12, tzinfo=timezone.utc))
    stats = json.loads(runner.invoke(app, ["stats", "--json", "--today", "2026-11-26"]).output)
    assert stats["streak_days"] == 3700  # (the day before the first is a gap: gd-2's day)
    yesterday = ["stats", "--json", "--today", "2026-11-27"]  # none yet today: from yesterday
    assert json.loads(runner.invoke(app, yesterday).output)["streak_days"] == 3700


def test_suspend_and_reset() -> None:
    study(["", "5", "q"], "--today", "2026-11-26", "--new", "1")
    assert runner.invoke(app, ["suspend", "perceptron-1"]).exit_code == 0
    due = json.loads(runner.invoke(app, ["due", "--json", "--today", "2026-11-27"]).output)
    assert due["due"] == 0
    assert runner.invoke(app, ["unsuspend", "perceptron-1"]).exit_code == 0
    bad = runner.invoke(app, ["suspend", "perceptron-99"])
    assert bad.exit_code == 2 and "unknown card id" in bad.output
    assert runner.invoke(app, ["reset", "perceptron-1"], input="").exit_code == 2
    assert runner.invoke(app, ["reset", "perceptron-1", "--yes"]).exit_code == 0
    assert state("perceptron-1")["status"] == "new"


def test_reset_with_all_and_a_topic_is_an_error() -> None:
    """A helper's UX run: `reset --all --topic gd --yes` reset the 50 cards of gd, though
    --all says "every card"; a card id with --topic was already refused as several targets."""
    study(["", "5", "q"], "--today", "2026-11-26", "--new", "1")
    for args in (["--all", "--topic", "gd"], ["--all", "perceptron-1"]):
        result = runner.invoke(app, ["reset", *args, "--yes"])
        assert result.exit_code == 2 and "not several" in result.output, result.output
    assert state("perceptron-1")["status"] != "new"  # nothing was reset


def test_bad_today() -> None:
    result = runner.invoke(app, ["due", "--today", "26/11/2026"])
    assert result.exit_code == 2 and "--today must be a date" in result.output
    assert (date(2026, 11, 26) + timedelta(days=1)).isoformat() == "2026-11-27"


# --- issue 12: honest messages, idle time, keys -----------------------------------------------


def test_idle_time_is_capped_at_a_minute(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """A card left on screen for 8 minutes counts 60 s (Anki's cap), in the log and the summary."""
    import dlcards.commands.study as study_cmd

    ticks = iter(range(0, 10_000, 480))  # every clock read is 8 minutes after the last
    monkeypatch.setattr(study_cmd.time, "monotonic", lambda: float(next(ticks)))
    out = study(["", "4", "q"], "--today", "2026-11-26")
    assert "1m 00s" in out
    from dlcards.store import Store

    with Store.open() as store:
        assert store.query("SELECT seconds FROM reviews") == [(60.0,)]


def test_empty_sessions_say_why() -> None:
    out = runner.invoke(app, ["study", "--tag", "nosuch"], input="")
    assert out.exit_code == 2
    assert out.output.startswith("error: unknown tag 'nosuch'; tags are: ")
    out = study([], "--topic", "gd", "--tag", "interview")
    assert out.strip() == "No card in gd has the tag 'interview'; nothing to study."
    out = study([], "--reviews", "0", "--new", "0")
    assert out.strip() == "Nothing to study: --reviews 0 and --new 0 allow no cards."
    out = study([], "--new", "0")
    assert "--new 0 allows no new cards" in out and "used up" not in out
    # new cards count against the review cap: with none left, --new is not what to raise
    assert runner.invoke(app, ["config", "reviews_per_day", "0"]).exit_code == 0
    out = " ".join(study([], "--new", "3").split())
    assert "The daily review cap (0) leaves no room for new cards" in out
    assert "used up" not in out and "--new" not in out


def test_a_session_new_limit_already_used_today_says_so() -> None:
    """A UX run (ui10): after 3 new cards today, `study --new 2` said "new cards for today are
    used up (raise with --new)" to a learner who had just given --new: it is counted across
    sessions, so it says how many new cards today already holds and what would give more."""
    out = study(["", "5", "", "5", "", "5", "q"], "--today", "2026-11-26")
    assert "3 grades saved" in out
    out = " ".join(study([], "--new", "2", "--today", "2026-11-26").split())
    assert "--new 2 counts the 3 new cards already studied today (--new 4 or more" in out, out
    assert "raise with --new" not in out
    out = study(["q"], "--new", "4", "--today", "2026-11-26")
    assert "card 1 of 1" in out  # what the message said: one more
    # without --new, the day's limit (new_per_day) is what is used up
    assert runner.invoke(app, ["config", "new_per_day", "3"]).exit_code == 0
    out = " ".join(study([], "--today", "2026-11-26").split())
    assert "New cards for today are used up (raise with --new)" in out


def test_line_protocol_hints_do_not_say_space() -> None:
    out = study(["", "4", "q"], "--today", "2026-11-26")
    assert "Space" not in out and "empty line: show answer" in out


def _typed(bursts: list[str], console: object) -> object:
    """A KeyInput reading `bursts`: what each key press sends at once (an escape sequence is
    one burst; a key pressed later, another)."""
    from dlcards.terminal import KeyInput

    chars = [(ch, i < len(burst) - 1) for burst in bursts for i, ch in enumerate(burst)]
    at = [0]

    def read_key() -> str:
        if at[0] >= len(chars):
            return ""
        at[0] += 1
        return chars[at[0] - 1][0]

    def follows(seconds: float) -> bool:  # more of the burst just read
        return at[0] > 0 and chars[at[0] - 1][1]

    return KeyInput(read_key, console, follows)  # type: ignore[arg-type]


FUNCTION_KEYS = {
    "\x1bOP": "F1", "\x1b[15~": "F5", "\x1b[20~": "F9", "\x1b[21~": "F10",
    "\x1b[23~": "F11", "\x1b[24~": "F12", "\x1b[1;2A": "Up", "\x1b[1;2B": "Down",
    "\x1b[1;5C": "Right", "\x1b[1;3D": "Left", "\x1b[2~": "Insert", "\x1b[3;5~": "Delete",
    "\x1b1": "Alt+1", "\x1b5": "Alt+5", "\x1b[H": "Home", "\x1b[Z": "that key",
}  # fmt: skip


@pytest.mark.parametrize(("sequence", "name"), FUNCTION_KEYS.items())
def test_a_function_key_or_a_modified_arrow_never_grades(sequence: str, name: str) -> None:
    """A key that sends an escape sequence is read whole: its digits are not grades (F5
    graded 5 on a card whose answer was never shown); the hint names the key."""
    import io

    from rich.console import Console

    screen = io.StringIO()
    keys = _typed([sequence, "q"], Console(file=screen, width=80))
    assert keys.next({"reveal", "s", "u", "q", *"012345"}) == "q"
    hint = screen.getvalue()
    assert hint == f"? {name} does nothing here: press Space, 0-5, s, u or q\n"


@pytest.mark.parametrize(
    ("key", "name"),
    [(" ", "Space"), ("\r", "Enter"), ("\n", "Enter"), ("\t", "Tab"), ("\x7f", "Backspace")],
)
def test_a_hint_names_space_enter_and_tab_as_keys(key: str, name: str) -> None:
    """Found in tmux: Enter (or Space) on a card whose answer is shown gave "? reveal does
    nothing here", the program's own word for the key, and Tab "? \\t does nothing here".
    The hint names the key the learner pressed."""
    import io

    from rich.console import Console

    screen = io.StringIO()
    keys = _typed([key, "q"], Console(file=screen, width=80))
    assert keys.next({"s", "u", "q", *"012345"}) == "q"
    assert screen.getvalue() == f"? {name} does nothing here: press 0-5, s, u or q\n"


@given(
    st.lists(
        st.builds(
            lambda params, final: f"\x1b[{params}{final}",
            st.text("0123456789;", max_size=8),
            st.sampled_from([chr(c) for c in range(0x40, 0x7F)]),
        ),
        min_size=1,
        max_size=5,
    )
)
def test_no_escape_sequence_grades_or_leaves_a_key_behind(sequences: list[str]) -> None:
    """Any CSI sequence (parameters, then a final byte): nothing of it is read as a key but
    the scrolling of the arrows and Page Up/Down."""
    import io

    from rich.console import Console

    keys = _typed([*sequences, "q"], Console(file=io.StringIO(), width=80))
    got: list[str] = []
    while not got or got[-1] != "q":
        got.append(keys.next({"q", "j", "k", *"012345"}))
    assert set(got) <= {"j", "k", "q"}
    scrolls = [
        s[-1] in "AB" or (s[-1] == "~" and s[2:-1].split(";")[0] in ("5", "6")) for s in sequences
    ]
    assert len(got) == 1 + sum(scrolls)


def test_keys_that_do_nothing_get_a_hint() -> None:
    import io

    from rich.console import Console

    from dlcards.terminal import KeyInput

    screen = io.StringIO()
    keys = _typed(["x", "7", "\x1b", " "], Console(file=screen, width=80))
    assert keys.next({"reveal", "s", "u", "q", *"012345"}) == "reveal"  # Esc, then Space
    lines = screen.getvalue().splitlines()
    # the Esc key alone too (a UX run, ui10: it was dropped without a word, and an Anki user
    # presses it to leave the review: the hint says q)
    assert lines == [
        "? x does nothing here: press Space, 0-5, s, u or q",
        "? 7 does nothing here: press Space, 0-5, s, u or q",
        "? Esc does nothing here: press Space, 0-5, s, u or q",
    ]
    # the arrow keys and Page Up/Down scroll like k and j
    pressed = iter("\x1b[B\x1b[A\x1bOB\x1b[6~\x1b[5~")
    keys = KeyInput(pressed.__next__, Console(file=io.StringIO(), width=80))
    assert [keys.next({"j", "k"}) for _ in range(5)] == ["j", "k", "j", "j", "k"]


@pytest.mark.parametrize("width", [30, 40, 60])
def test_a_key_that_does_nothing_is_told_every_key_in_a_narrow_terminal(width: int) -> None:
    """At 40 columns the hint on the last row was cut to the width: `? x does nothing here:
    press Space, !,`, the keys after it gone. A narrow terminal gets a shorter wording,
    every key in it."""
    import io

    from rich.console import Console

    screen = io.StringIO()
    console = Console(file=screen, width=width, force_terminal=True, color_system=None)
    keys = _typed(["x", " "], console)
    allowed = {"reveal", "s", "u", "q", "!", "e", "j", "k", "redraw"}
    assert keys.next(allowed) == "reveal"
    hint = screen.getvalue().split("\r\x1b[2K")[-1]
    assert len(hint) < width and hint.startswith("? "), hint
    said = hint.replace(",", "").replace(" or ", " ")
    assert said.endswith("Space s u ! e j k q"), hint
    if width == 60:
        assert hint == "? x does nothing here: press Space, s, u, !, e, j, k or q"


@pytest.mark.parametrize("width", [30, 60, 100])
def test_a_grade_pressed_on_the_question_is_told_to_show_the_answer_first(width: int) -> None:
    """Found in tmux: 5 pressed on a card's question (to grade it, as a learner does who
    knows the answer) said "? 5 does nothing here: press Space, !, e, s, u or q": not why,
    nor that the grades come with the answer. The hint says so, at every width; a key that
    grades nothing (7, x) keeps the general hint, and so does a quiz's digit (it chooses)."""
    import io

    from rich.console import Console

    from dlcards.commands.quiz import TerminalKeys

    def hint(keys_for: Callable[[object], object], key: str) -> str:
        screen = io.StringIO()
        console = Console(file=screen, width=width, force_terminal=True, color_system=None)
        keys = keys_for(console)
        assert keys.next({"reveal", "s", "u", "q", "!", "e", "redraw"}) == "reveal"
        return screen.getvalue().split("\r\x1b[2K")[-1]

    for key in "05":
        said = hint(lambda console, key=key: _typed([key, " "], console), key)
        assert len(said) < width and said.startswith(f"? {key} grades"), said
        assert "Space" in said, said
        if width >= 60:
            assert said == f"? {key} grades once the answer is shown: press Space to show it"
    assert " grades" not in hint(lambda console: _typed(["7", " "], console), "7")

    def quiz_keys(console: object) -> object:  # a quiz's keys: its digits are no grades
        keys = _typed(["4", " "], console)
        keys.grade_keys = TerminalKeys.grade_keys  # type: ignore[attr-defined]
        return keys

    assert " grades" not in hint(quiz_keys, "4")


@pytest.mark.waits
def test_a_grade_that_meets_a_locked_database_waits_and_is_saved(
    tmp_path,
    monkeypatch,  # type: ignore[no-untyped-def]
) -> None:
    import sqlite3
    import threading
    import time

    import dlcards.commands.study as study_cmd
    import dlcards.store.connection as connection

    db = tmp_path / "p.db"
    assert runner.invoke(app, ["due", "--db", str(db)]).exit_code == 0
    monkeypatch.setattr(connection, "BUSY_TIMEOUT_S", 0.2)
    holder = sqlite3.connect(db, isolation_level=None, check_same_thread=False)
    holder.execute("BEGIN IMMEDIATE")  # another dlcards writing for a long time
    released, noticed = threading.Event(), threading.Event()
    real_until_saved = study_cmd.until_saved

    class Watched:
        """The session's console, noting when the grade says that it waits."""

        def __init__(self, console: object) -> None:
            self._console = console

        def print(self, *args: object, **kwargs: object) -> None:
            if any("waiting for another program" in str(a) for a in args):
                noticed.set()
            self._console.print(*args, **kwargs)  # type: ignore[attr-defined]

        def __getattr__(self, name: str) -> object:
            return getattr(self._console, name)

    def until_saved(console, *args, **kwargs):  # type: ignore[no-untyped-def]
        return real_until_saved(Watched(console), *args, **kwargs)

    monkeypatch.setattr(study_cmd, "until_saved", until_saved)

    def release() -> None:
        # The lock goes once the grade has waited long enough to say so (LOCK_NOTICE_S of
        # its own wait), not at a fixed time from here: a slow start of the session under
        # load left it less than that to wait, and no notice. Never told: released after 30 s,
        # and the count of notices below fails.
        noticed.wait(timeout=30)
        time.sleep(0.3)  # a few more tries meet the lock: the notice is still said once
        holder.execute("COMMIT")
        released.set()

    threading.Thread(target=release, daemon=True).start()
    out = study(["", "4", "q"], "--db", str(db), "--today", "2026-11-26")
    assert released.is_set()
    # the lock is a plain sqlite3 connection's: "another program", not "another dlcards"
    assert out.count("waiting for another program to finish writing") == 1
    # two short lines (one of 105 characters wrapped mid-way at 100 columns)
    notice = [line for line in out.splitlines() if "writing…" in line or "give up" in line]
    assert notice == [
        "waiting for another program to finish writing…",
        "  (grade 4 on perceptron-1 is kept and will be saved; Ctrl-C to give up)",
    ]
    assert "1 grade saved" in out
    conn = sqlite3.connect(db)
    assert conn.execute("SELECT card_id, grade FROM reviews").fetchall() == [("perceptron-1", 4)]
    conn.close()
    holder.close()


def _full_disk_twice(tmp_path, monkeypatch):  # type: ignore[no-untyped-def]
    """A database whose first two grade saves find the disk full (as SQLite reports it)."""
    import sqlite3

    import dlcards.commands.common as common
    from dlcards.store import Store
    from dlcards.store.connection import translate_error

    db = tmp_path / "p.db"
    assert runner.invoke(app, ["due", "--db", str(db)]).exit_code == 0
    monkeypatch.setattr(common, "FULL_DISK_RETRY_S", 0.0)
    real, tries = Store.grade, []

    def grade(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        tries.append(1)
        if len(tries) <= 2:
            raise translate_error(db, sqlite3.OperationalError("database or disk is full"))
        return real(self, *args, **kwargs)

    monkeypatch.setattr(Store, "grade", grade)
    return db, tries


def test_a_grade_that_meets_a_full_disk_is_kept_and_saved_once_there_is_room(
    tmp_path,
    monkeypatch,  # type: ignore[no-untyped-def]
) -> None:
    import sqlite3

    db, tries = _full_disk_twice(tmp_path, monkeypatch)
    out = study(["", "4", "", "5", "q"], "--db", str(db), "--today", "2026-11-26")
    assert len(tries) == 4  # two refused, then the grade, then the next card's
    assert out.count(f"the disk holding {db} is full") == 1
    assert "grade 4 on perceptron-1 is kept and will be saved then" in " ".join(out.split())
    assert "nothing was lost" not in out and "2 grades saved" in out
    conn = sqlite3.connect(db)
    assert conn.execute("SELECT card_id, grade FROM reviews ORDER BY id").fetchall() == [
        ("perceptron-1", 4),
        ("perceptron-2", 5),
    ]
    conn.close()


def test_giving_up_on_a_full_disk_says_the_grade_was_not_saved(
    tmp_path,
    monkeypatch,  # type: ignore[no-untyped-def]
) -> None:
    import sqlite3
    import time

    db, _ = _full_disk_twice(tmp_path, monkeypatch)

    def interrupted(seconds: float) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(time, "sleep", interrupted)
    result = runner.invoke(
        app, ["study", "--db", str(db), "--today", "2026-11-26"], input="\n4\nq\n"
    )
    assert result.exit_code == 130
    assert "Grade 4 on perceptron-1 was not saved." in result.output
    assert "Interrupted. 0 grades saved." in result.output
    assert "Traceback" not in result.output
    conn = sqlite3.connect(db)
    assert conn.execute("SELECT count(*) FROM reviews").fetchone() == (0,)
    conn.close()


def test_study_on_an_earlier_day_sees_the_queue_as_of_that_day() -> None:
    """Reviews logged after `--today` have not happened yet: study's queue, its "nothing to
    study" reason and its summary's next due date are those of that day, like `due`'s counts;
    a grade then cannot move a schedule a later review already set (it is a re-drill)."""
    # perceptron-1 on 11-01 (due 11-02) and again on 11-05 (due 11-11); perceptron-2 on 11-05
    study(["", "5", "q"], "--today", "2026-11-01", "--new", "1", "--topic", "perceptron")
    study(["", "5", "", "5", "q"], "--today", "2026-11-05", "--new", "1", "--topic", "perceptron")
    assert state("perceptron-1", "2026-11-05")["due"] == "2026-11-11"
    due = json.loads(runner.invoke(app, ["due", "--json", "--today", "2026-11-03"]).output)
    assert due["due"] == 1
    out = study(["", "4", "q"], "--today", "2026-11-03", "--new", "0", "--topic", "perceptron")
    assert "perceptron-1" in out and "1 grade saved" in out
    assert state("perceptron-1", "2026-11-05")["due"] == "2026-11-11"  # unchanged: a re-drill
    # on 11-03, perceptron-2 had never been reviewed: it is new then, not due on 11-11; a
    # grade on it is a re-drill, and the card says why (it said "graded today in another
    # session", which no session had)
    out = study(["q"], "--today", "2026-11-03", "--new", "1", "--topic", "perceptron")
    assert "perceptron-2" in out
    assert "again (re-drill: reviewed 2026-11-05, a later day)" in out, out
    assert "graded today in another session" not in out
    out = study([], "--today", "2026-11-03", "--new", "0", "--topic", "perceptron")
    assert "Nothing to study" in out
    assert "next review is due on 2026-11-11" not in out


def test_summary_of_a_session_quit_early_says_what_is_left_today() -> None:
    study(["", "5", "", "5", "q"], "--today", "2026-11-26", "--new", "2", "--topic", "gd")
    out = study(["", "5", "q"], "--today", "2026-11-27", "--new", "0", "--topic", "gd")
    # the session's --new 0 is its own: the day's 20 new cards are left, as `due` says
    assert "next due   2026-11-27 (today: 1 due review and 20 new cards left)" in out, out
    due = runner.invoke(app, ["due", "--today", "2026-11-27"])
    assert "Today: 1 due" in due.output, due.output


def test_summary_of_a_session_quit_early_counts_the_new_cards_left_as_due_does() -> None:
    """A session quit after three of the day's 20 new cards said "today: 1 re-drill left",
    or with no re-drill the next review's date, tomorrow: the 17 new cards still allowed
    today were not named. They are, as `due` counts them (the skipped ones too)."""
    out = study(["", "4", "", "2", "", "5", "q"], "--today", "2026-11-26")
    assert "next due   2026-11-26 (today: 17 new cards and 1 re-drill left)" in out, out
    data = json.loads(runner.invoke(app, ["due", "--json", "--today", "2026-11-26"]).output)
    assert (data["new_today"], data["redrills_today"]) == (17, 1)
    out = study(["", "5", "q"], "--today", "2026-11-27", "--topic", "gd", "--new", "1")
    # the session's --new 1 is spent; the day's limit of 20 leaves 19 for `dlcards study`
    assert "next due   2026-11-27 (today: 19 new cards left)" in out, out
    data = json.loads(
        runner.invoke(app, ["due", "--json", "--today", "2026-11-27"]).output
    )  # fmt: skip
    assert data["new_today"] == 19
    out = study(["", "3", "q"], "--today", "2026-11-28")  # 4 due (11-26's 3, gd-1), 20 new
    assert "(today: 3 due reviews, 20 new cards and 1 re-drill left)" in out, out


def test_summary_next_due_is_today_while_a_redrill_is_owed() -> None:
    """A card graded below 4 comes back today (also after a restart), so the summary of a
    session stopped before it says the next due date is today, not tomorrow."""
    # one new card a day: once it is studied, no new card is left today to name
    assert runner.invoke(app, ["config", "new_per_day", "1"]).exit_code == 0
    out = study(["", "3", "q"], "--today", "2026-11-26", "--new", "1", "--topic", "gd")
    assert "next due   2026-11-26 (today: 1 re-drill left)" in out, out
    due = runner.invoke(app, ["due", "--today", "2026-11-26"])  # `due` counts it too
    assert "1 to re-drill" in " ".join(due.output.split()), due.output
    data = json.loads(runner.invoke(app, ["due", "--json", "--today", "2026-11-26"]).output)
    assert data["redrills_today"] == 1
    out = study(["", "5"], "--today", "2026-11-26", "--new", "1", "--topic", "gd")
    assert "gd-1: re-drill graded 5" in out  # it did come back after the restart
    assert "next due   2026-11-27" in out, out
    data = json.loads(runner.invoke(app, ["due", "--json", "--today", "2026-11-26"]).output)
    assert data["redrills_today"] == 0


def test_a_grade_after_a_config_in_another_terminal_says_the_settings_changed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The keys showed SM-2's intervals; FSRS was switched on in another terminal before the
    grade: the grade is FSRS's, and the line after it says why it differs from the key."""
    import os
    from pathlib import Path

    from dlcards.commands.config import change
    from dlcards.session import StudySession
    from dlcards.store import Store

    real = StudySession.grade

    def switched_first(self: StudySession, *args: object, **kwargs: object) -> object:
        with Store.open(Path(os.environ["DLCARDS_DB"])) as other:
            if other.settings().scheduler == "sm2":
                change(other, "scheduler", "fsrs")
        return real(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(StudySession, "grade", switched_first)
    done = CliRunner().invoke(app, ["study", "--today", "2026-11-26"], input="\n4\n\n4\nq\n")
    assert done.exit_code == 0, done.output
    said = [line for line in done.output.splitlines() if line.startswith("saved:")]
    assert "(settings changed in another terminal: fsrs)" in said[0]
    assert "changed" not in said[1]  # the next card's keys were FSRS's already


def test_undo_after_the_session_takes_back_the_newest_grades_one_by_one(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """The last grade of a session has no next screen to press `u` on: `dlcards undo` takes it
    back afterwards, and the one before on a second run; the card is as if never graded."""
    db = str(tmp_path / "p.db")
    study(["", "4", "", "5", "q"], "--db", db, "--today", "2026-11-26")
    first = runner.invoke(app, ["undo", "--db", db])
    assert first.exit_code == 0, first.output
    said = " ".join(first.output.split())
    assert said.startswith("undid grade 5 on perceptron-2 (given ")
    assert said.endswith("perceptron-2 is new again")
    shown = runner.invoke(
        app, ["show", "perceptron-1", "--json", "--db", db, "--today", "2026-11-26"]
    )
    assert json.loads(shown.output)["state"]["due"] == "2026-11-27"  # the earlier grade stays
    second = " ".join(runner.invoke(app, ["undo", "--db", db]).output.split())
    assert second.startswith("undid grade 4 on perceptron-1") and "is new again" in second
    none = runner.invoke(app, ["undo", "--db", db])
    assert none.exit_code == 0
    assert " ".join(none.output.split()) == (
        "nothing to undo: no grade given in `dlcards study`, reset, suspension, unsuspension "
        "or unleech is left to take back"
    )
    assert runner.invoke(app, ["doctor", "--check", "--db", db]).exit_code == 0
    assert "as the study day 2026-11-26" in said  # studied with --today: the day is said
    typo = str(tmp_path / "typo.db")
    missing = runner.invoke(app, ["undo", "--db", typo])
    assert missing.exit_code == 2
    assert missing.output.strip() == f"error: no database at {typo}; nothing to undo (pass --db?)"
    assert not (tmp_path / "typo.db").exists()


@pytest.mark.parametrize(("ahead", "moved"), [(1, True), (2, True), (3, False)])
def test_reviews_logged_ahead_of_the_local_date_are_not_in_the_future(
    tmp_path,
    ahead: int,
    moved: bool,  # type: ignore[no-untyped-def]
) -> None:
    """Studied in Tokyo, opened in Hawaii: the log's newest day is ahead of the local date.
    Up to two days ahead (a time zone), that day is today: the cards just graded are not due
    again and `new_today` counts them. Further ahead is a wrong clock: the local date stays,
    and the reviews it dated have happened all the same (the card is not new again)."""
    from dlcards.days import local_study_day

    db = str(tmp_path / "p.db")
    local = local_study_day()  # the local date, or the day before until 4 AM
    there = (local + timedelta(days=ahead)).isoformat()
    study(["", "1", "q"], "--db", db, "--today", there, "--new", "1")  # a lapse: due next day
    shown = json.loads(runner.invoke(app, ["due", "--json", "--db", db]).output)
    assert shown["today"] == (there if moved else local.isoformat())
    card = json.loads(runner.invoke(app, ["show", "perceptron-1", "--json", "--db", db]).output)
    assert card["state"]["status"] != "new"
    given = runner.invoke(app, ["due", "--json", "--db", db, "--today", local.isoformat()])
    assert json.loads(given.output)["today"] == local.isoformat()  # a given day is kept


def test_an_empty_tag_is_an_error_as_in_list() -> None:
    """`study --tag ""` (an unset variable) studied every card; `list --tag ""` said the tag
    is unknown. Both say so now."""
    from typer.testing import CliRunner

    from dlcards.cli import app

    for command in (["study", "--tag", ""], ["list", "--tag", ""]):
        result = CliRunner().invoke(app, command, input="q\n")
        assert result.exit_code == 2, (command, result.output)
        assert result.output.startswith("error: unknown tag ''; tags are:"), command


def test_the_next_review_named_is_of_the_cards_the_session_could_study() -> None:
    """`study --topic mlp` said the next review was due tomorrow though no mlp card had ever
    been studied (the date was the collection's), and a session on a search named a day none
    of its cards was due on; `--reviews 0` named a later day while reviews were due now."""
    # perceptron-1 on 10-31 (due 11-01), gd-1 on 11-01 then 11-02 (due 11-08)
    study(["", "5", "q"], "--today", "2026-10-31", "--new", "1", "--topic", "perceptron")
    study(["", "5", "q"], "--today", "2026-11-01", "--new", "1", "--topic", "gd")
    study(["", "5", "q"], "--today", "2026-11-02", "--new", "0", "--topic", "gd")
    out = study([], "--today", "2026-11-02", "--new", "0", "--topic", "mlp")
    assert "Nothing to study today." in out and "next review" not in out
    out = study([], "--today", "2026-11-03", "--new", "0", "--topic", "gd")
    assert "the next review is due on 2026-11-08" in out
    out = study([], "--today", "2026-11-02", "--new", "0", "--search", "topic:gd")
    assert "the next review is due on 2026-11-08" in out, out
    # a session's summary: the next day of the cards it could study (perceptron-1, overdue,
    # is not one of them; the summary named today)
    out = study(["", "5", "q"], "--today", "2026-11-02", "--new", "1", "--topic", "mlp")
    assert "(today: 19 new cards left)" in out, out  # mlp's, by the day's limit of 20
    assert runner.invoke(app, ["config", "new_per_day", "2"]).exit_code == 0  # none left now
    out = study(["", "5", "q"], "--today", "2026-11-02", "--topic", "mlp")
    assert re.search(r"next due\s+2026-11-03", out), out
    # due now, left out by --reviews 0: no later day is named
    assert runner.invoke(app, ["config", "new_per_day", "0"]).exit_code == 0
    out = study([], "--today", "2026-11-02", "--reviews", "0", "--topic", "perceptron")
    assert out.startswith("Nothing to study with these limits. --reviews 0 leaves out 1 due "), out
    assert "next review" not in out


def test_a_reset_card_says_its_earlier_reviews_are_kept() -> None:
    """After `reset`, `show` said "not studied yet" and a second reset "had never been
    studied", though the log keeps the card's reviews (a reset keeps them)."""
    study(["", "4", "q"], "--today", "2026-11-01", "--new", "1", "--topic", "perceptron")
    study(["", "1", "", "4", "q"], "--today", "2026-11-02", "--new", "0", "--topic", "perceptron")
    first = runner.invoke(app, ["reset", "perceptron-1", "--yes"])
    assert first.output == "reset card perceptron-1; its review history is kept\n"
    again = runner.invoke(app, ["reset", "perceptron-1", "--yes"])
    assert again.output == "nothing to reset: card perceptron-1 is new already\n"
    shown = runner.invoke(app, ["show", "perceptron-1", "--today", "2026-11-03"]).output
    assert shown.rstrip().endswith(
        "new · reset, not studied since (3 earlier reviews kept in the log)"
    )
    assert state("perceptron-1", "2026-11-03")["reviews_before_reset"] == 3
    assert state("perceptron-2", "2026-11-03")["reviews_before_reset"] == 0
    never = runner.invoke(app, ["show", "perceptron-2", "--today", "2026-11-03"]).output
    assert never.rstrip().endswith("new · not studied yet")
    topic = runner.invoke(app, ["reset", "--topic", "vgp", "--yes"])
    assert topic.output == "nothing to reset: 10 cards of vgp are new already\n"


def test_a_ctrl_c_wrapped_while_a_class_is_made_ends_the_session_as_ctrl_c() -> None:
    """A Ctrl-C that lands while a class is made (an Enum's members, in a module that drawing
    a card imports the first time) reaches the session as the RuntimeError Python 3.11 wraps
    it in ("Error calling __set_name__"). It ended the session with no "Interrupted." and no
    summary (the command's guard took it as Ctrl-C, exit 130, and said nothing)."""
    from dlcards.terminal import INTERRUPTED, run_until_stopped

    class Stops:
        def __set_name__(self, owner: type, name: str) -> None:
            raise KeyboardInterrupt

    def drawing() -> None:
        type("Made", (), {"member": Stops()})

    assert run_until_stopped(drawing, "done") == ("Interrupted.", INTERRUPTED)

    def failing() -> None:
        raise RuntimeError("not a Ctrl-C")

    with pytest.raises(RuntimeError, match="not a Ctrl-C"):
        run_until_stopped(failing, "done")


def test_suspend_names_every_unknown_id_in_one_line_and_changes_nothing() -> None:
    result = runner.invoke(app, ["suspend", "gd-9", "nope-1", "gd-10", "nope-2", "nope-1"])
    assert result.exit_code == 2 and "Traceback" not in result.output
    errors = [line for line in result.output.splitlines() if line.startswith("error")]
    assert errors == [
        "error: 2 of the card ids are in no deck: 'nope-1', 'nope-2'; nothing was suspended "
        "(see `dlcards list`)"
    ]
    shown = runner.invoke(app, ["show", "gd-9", "--json"]).output
    assert json.loads(shown)["state"]["suspended"] is False
    # one unknown id keeps its own line, with the ids it may have meant
    result = runner.invoke(app, ["unsuspend", "gd-9", "GD-1", "GD-1"])
    assert result.exit_code == 2 and "unknown card id 'GD-1' (did you mean 'gd-1'" in result.output


@pytest.mark.parametrize(
    ("starts_at", "start", "old_day"),
    [
        (4, datetime(2026, 11, 27, 3, 50), "2026-11-26"),  # Anki's default hour
        (0, datetime(2026, 11, 26, 23, 55), "2026-11-26"),  # midnight
    ],
)
def test_a_session_past_the_days_start_shows_no_card_of_the_old_day(
    monkeypatch,  # type: ignore[no-untyped-def]
    starts_at: int,
    start: datetime,
    old_day: str,
) -> None:
    """A session going on past `day_starts_at` logged every later grade on the day it started:
    due dates a day early, the new day's quotas not applied. Now it ends before the first card
    of the new day, with its summary and a line saying so; the next session's grades are the
    new day's. The clock moves a minute at each read."""
    import dlcards.commands.study as study_cmd
    from dlcards.store import Store

    moments = (start.astimezone() + timedelta(minutes=m) for m in range(10_000))
    monkeypatch.setattr(study_cmd, "clock", lambda: next(moments))
    assert runner.invoke(app, ["config", "day_starts_at", str(starts_at)]).exit_code == 0
    out = study(["", "4"] * 12, "--new", "12")
    new_day = (date.fromisoformat(old_day) + timedelta(days=1)).isoformat()
    assert out.splitlines()[-1] == (
        f"The study day changed at {starts_at:02d}:00 (day_starts_at): it is now {new_day}. "
        "Run `dlcards study` again for the new day's cards."
    )
    # the summary's day is the new one: yesterday's new cards, graded 4, are due on it
    assert f"{new_day} (today: " in out
    with Store.open() as store:
        first = store.query("SELECT day, reviewed_at FROM reviews ORDER BY id")
    assert 0 < len(first) < 12 and {day for day, _ in first} == {old_day}
    out = study(["", "4", "q"], "--new", "12")  # the clock is past the hour: the new day
    with Store.open() as store:
        days = [day for (day,) in store.query("SELECT day FROM reviews ORDER BY id")]
    assert days == [old_day] * len(first) + [new_day]
    assert "study day changed" not in out


@pytest.mark.skipif(not hasattr(__import__("signal"), "SIGWINCH"), reason="SIGWINCH")
def test_a_hang_up_ends_a_loop_with_its_signals_code_and_resizes_count_again_after() -> None:
    """A hang-up (SIGHUP) or a `kill` (SIGTERM) ends the loop with the code a shell reports
    for the signal (129, 143), not Ctrl-C's 130. While a Hangup is on its way out, the SIGCONT
    a closed terminal sends with its SIGHUP draws no resize (a Resized raised over it was a
    traceback); once the loop has ended on it, a resize is drawn again, in a program that
    goes on (as the tests' runner does)."""
    import os
    import signal
    import time

    from dlcards.terminal import HUNG_UP, Hangup, KeyInput, run_until_stopped

    for signum, code in ((signal.SIGHUP, HUNG_UP), (signal.SIGTERM, 143)):

        def hung(signum: int = signum) -> None:
            raise Hangup(signum)

        assert run_until_stopped(hung, "done") == ("Interrupted.", code)

    def resized() -> str:
        os.kill(os.getpid(), signal.SIGWINCH)
        time.sleep(1)  # the handler runs at once and raises
        return "x"

    assert KeyInput(read_key=resized).next({"x", "redraw"}) == "redraw"


def test_a_search_that_finds_nothing_is_named_as_typed_on_one_line() -> None:
    """`study --search 'zzzqqq [/bold]'` ended in rich's MarkupError traceback (the query was
    read as markup), `--search 'zzzqqq[b]'` was named 'zzzqqq', and in a pipe a long query
    was broken over two lines."""
    for query in ["zzzqqq [/bold]", "zzzqqq[b]", "zzzqqq " + " ".join(["word"] * 20)]:
        out = study([], "--search", query)
        assert out.splitlines() == [f"No card matches the search {query!r}; nothing to study."]


def test_a_scripted_sessions_messages_are_one_line_each_in_a_pipe(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """In a pipe (80 columns, rich's), the line protocol's messages were broken in two:
    `perceptron-1 suspended: u brings it back now, `dlcards unsuspend perceptron-1`` /
    `later`, and the edit refused for a built-in card over four lines. A script reads
    each message on a line of its own."""
    from dlcards.console import out

    monkeypatch.delenv("COLUMNS")  # a pipe's width: rich's 80
    out.cache_clear()
    lines = study(["!", "e"], "--today", "2026-11-26").splitlines()
    suspended = "perceptron-1 suspended: u brings it back now, `dlcards unsuspend perceptron-1`"
    assert f"{suspended} later" in lines, lines
    refused = [line for line in lines if line.startswith("perceptron-2 not edited: ")]
    assert len(refused) == 1 and refused[0].endswith("progress is kept)"), lines


@pytest.mark.parametrize(
    ("method", "script", "said", "logged"),
    [
        ("grade", ["", "4"], "Interrupted. 1 grade saved.", 1),
        ("undo", ["", "4", "u"], "Interrupted. 0 grades saved.", 0),
        ("suspend_one", ["", "!"], "Interrupted. 0 grades and 1 suspension saved.", 0),
    ],
)
def test_ctrl_c_just_after_a_save_commits_waits_for_the_session_to_record_it(
    tmp_path, monkeypatch, method: str, script: list[str], said: str, logged: int
) -> None:  # type: ignore[no-untyped-def]
    """Ctrl-C landing between a save's commit and the session's record of it (seen under
    load: "Interrupted. 0 grades saved." with the grade in the log; an undo so interrupted
    left the grade counted, and the summary blamed another terminal). Here SIGINT is sent
    the moment the store's write returns, the window at its widest."""
    import os
    import signal
    import sqlite3

    from dlcards.store import Store

    db = tmp_path / "p.db"
    assert runner.invoke(app, ["due", "--db", str(db)]).exit_code == 0
    real = getattr(Store, method)

    def then_ctrl_c(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        done = real(self, *args, **kwargs)
        os.kill(os.getpid(), signal.SIGINT)  # acted on at the next line Python runs
        return done

    monkeypatch.setattr(Store, method, then_ctrl_c)
    before = signal.signal(signal.SIGINT, signal.default_int_handler)  # as in a terminal
    try:
        result = runner.invoke(
            app, ["study", "--db", str(db), "--today", "2026-11-26"], input="\n".join(script)
        )
    finally:
        signal.signal(signal.SIGINT, before)
    assert result.exit_code == 130, result.output
    assert "Traceback" not in result.output
    assert said in result.output
    assert "no longer in the log" not in result.output
    conn = sqlite3.connect(db)
    assert conn.execute("SELECT count(*) FROM reviews").fetchone()[0] == logged
    suspended = conn.execute("SELECT count(*) FROM cards WHERE suspended = 1").fetchone()[0]
    assert suspended == (method == "suspend_one")
    conn.close()


def test_ctrl_c_just_after_dlcards_undo_commits_still_says_what_it_undid(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """`dlcards undo` interrupted after its commit said only "Interrupted.": the learner ran
    it again and took back the grade before too."""
    import os
    import signal

    from dlcards.store import Store

    study(["", "4", "", "5", "q"], "--today", "2026-11-26")
    real = Store.undo

    def then_ctrl_c(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        done = real(self, *args, **kwargs)
        os.kill(os.getpid(), signal.SIGINT)
        return done

    monkeypatch.setattr(Store, "undo", then_ctrl_c)
    before = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        result = runner.invoke(app, ["undo"])
    finally:
        signal.signal(signal.SIGINT, before)
    assert result.exit_code == 130, result.output
    assert "undid grade 5 on perceptron-2" in result.output
    assert state("perceptron-2")["status"] == "new"
    assert state("perceptron-1")["status"] != "new"


def test_a_card_suspended_in_another_terminal_leaves_the_open_session(
    tmp_path, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    """`dlcards suspend perceptron-2` (or an Anki import of the phone's suspension) while a
    session is open: the session showed perceptron-2 anyway and logged its grade as a
    scheduled review. It now asks the database before it shows each card."""
    import sqlite3

    from dlcards.store import Store

    db = tmp_path / "p.db"
    assert runner.invoke(app, ["due", "--db", str(db)]).exit_code == 0
    real = Store.grade

    def then_suspended_elsewhere(self, card_id, *args, **kwargs):  # type: ignore[no-untyped-def]
        done = real(self, card_id, *args, **kwargs)
        if card_id == "perceptron-1":
            other = runner.invoke(app, ["suspend", "perceptron-2", "--db", str(db)])
            assert other.exit_code == 0, other.output
        return done

    monkeypatch.setattr(Store, "grade", then_suspended_elsewhere)
    out = study(["", "4", "", "4", "q"], "--db", str(db), "--today", "2026-11-26")
    assert "perceptron-2 is suspended meanwhile: it leaves the session" in out
    assert "2 grades saved" in out
    conn = sqlite3.connect(db)
    graded = [r[0] for r in conn.execute("SELECT card_id FROM reviews ORDER BY id")]
    conn.close()
    assert graded == ["perceptron-1", "perceptron-3"]


OWN_DECK = """\
topic: own
title: Own
cards:
  - id: own-1
    question: First question
    answer: A1
  - id: own-2
    question: Second question
    answer: A2
  - id: own-3
    question: Third question
    answer: A3
  - id: own-4
    question: Fourth question
    answer: A4
"""


@pytest.fixture
def saves_left_so(monkeypatch: pytest.MonkeyPatch) -> None:
    """A deck saved in another terminal is left so: the session takes a card out, or says the
    deck's error, once the files have been left alone `DECKS_GONE_S` (a slow save is not a
    deletion: tests/test_deck_saves.py, with real waits), made 0 here, as these piped sessions
    answer at once. (Made `DECKS_SETTLE_S`, the outcome depended on the machine's speed: a
    look that began more than `prompt.RACY_NS` after the save, and less than 0.3 s, let the
    session go on with the deck as it was, as a slow save must; on a loaded machine the
    question's drawing took that long and the card taken out was answered.)"""
    from dlcards import catalog

    monkeypatch.setattr(catalog, "DECKS_GONE_S", 0.0)


def own_deck(tmp_path: Path) -> tuple[Path, Path]:
    """A deck folder holding OWN_DECK (a file another terminal may save meanwhile)."""
    decks = tmp_path / "decks"
    decks.mkdir()
    deck = decks / "own.yaml"
    deck.write_text(OWN_DECK)
    return decks, deck


@pytest.mark.parametrize("change", ["edited", "broken", "moved"])
@pytest.mark.usefixtures("saves_left_so")
def test_a_deck_saved_in_another_terminal_is_the_sessions_from_its_next_card(
    tmp_path, monkeypatch, change: str
) -> None:  # type: ignore[no-untyped-def]
    """`dlcards edit own-2` (or an editor on the deck file) in another terminal while a session
    is open: the session showed own-2's old text, and own-3, taken out of its deck, was shown
    and graded as a scheduled review of a card no deck has. Before each card the session now
    syncs the decks when a file changed, as every command does first; a deck saved with an
    error is said once, and the session goes on with the decks as they were."""
    import sqlite3

    from dlcards.store import Store

    decks, deck = own_deck(tmp_path)
    db = tmp_path / "p.db"
    real = Store.grade

    def then_saved_elsewhere(self, card_id, *args, **kwargs):  # type: ignore[no-untyped-def]
        done = real(self, card_id, *args, **kwargs)
        if card_id == "own-1":
            text = OWN_DECK.replace("Second question", "Second question, fixed")
            text = text.replace("  - id: own-3\n    question: Third question\n    answer: A3\n", "")
            if change == "moved":  # the deck folder renamed: the session's decks stay
                decks.rename(tmp_path / "elsewhere")
            else:
                broken = OWN_DECK.replace("Second", "[Second")
                deck.write_text(text if change == "edited" else broken)
        return done

    monkeypatch.setattr(Store, "grade", then_saved_elsewhere)
    args = ("--db", str(db), "--decks", str(decks), "--topic", "own", "--today", "2026-11-26")
    out = study(["", "4", "", "4", "", "4", "", "4", "q"], *args)
    with sqlite3.connect(db) as conn:
        graded = [r[0] for r in conn.execute("SELECT card_id FROM reviews ORDER BY id")]
    if change == "edited":
        assert "Second question, fixed" in out
        assert "own-3 is in no deck now: it leaves the session" in out
        assert graded == ["own-1", "own-2", "own-4"]
    else:
        said = "the session goes on with the decks as they were"
        where = f"{deck}:8:" if change == "broken" else f"deck path {decks} does not exist"
        assert out.count(said) == 1 and where in out, out
        assert graded == ["own-1", "own-2", "own-3", "own-4"]


@pytest.mark.usefixtures("saves_left_so")
def test_a_deck_left_broken_is_not_parsed_again_before_every_card(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """A deck saved with an error in another terminal is said once and the session goes on
    with the decks as they were; while the file stays as it is, it is not parsed again before
    each card (a broken deck of 2,000 cards cost ~0.15 s a card). Fixed, it is synced at the
    next card."""
    from dlcards import catalog as catalog_module
    from dlcards.store import Store

    decks, deck = own_deck(tmp_path)
    real_grade, real_read = Store.grade, catalog_module.read_deck_text
    reads: list[str] = []

    def reading(path, *args, **kwargs):  # type: ignore[no-untyped-def]
        reads.append(str(path).rsplit("/", 1)[-1])
        return real_read(path, *args, **kwargs)

    def then_saved_elsewhere(self, card_id, *args, **kwargs):  # type: ignore[no-untyped-def]
        done = real_grade(self, card_id, *args, **kwargs)
        if card_id == "own-1":
            saved(OWN_DECK.replace("Second", "[Second"))
            reads.clear()
        if card_id == "own-3":  # fixed: the next card's sync takes it
            saved(OWN_DECK.replace("Fourth question", "Fourth question, fixed"))
        return done

    def saved(text: str) -> None:
        """Written, and dated a minute back: a file modified or changed in the last moments
        is read again at each look (`prompt.file_version`), as an editor may save it twice in
        one tick of its clock; a learner's next card comes later than that (the change's
        tick waited out too: the change time cannot be set back)."""
        from dlcards.prompt import RACY_NS

        deck.write_text(text)
        back = time.time_ns() - 60 * 10**9
        os.utime(deck, ns=(back, back))
        time.sleep(max(0, deck.stat().st_ctime_ns + RACY_NS - time.time_ns()) / 1e9 + 0.001)

    monkeypatch.setattr(Store, "grade", then_saved_elsewhere)
    monkeypatch.setattr(catalog_module, "read_deck_text", reading)
    args = ("--db", str(tmp_path / "p.db"), "--decks", str(decks), "--topic", "own")
    out = study(["", "4", "", "4", "", "4", "", "4", "q"], *args, "--today", "2026-11-26")
    # broken: read when found, and at most once more when it has settled (saved a moment
    # before it was looked at, it may have been an editor's save half done); fixed: once
    assert reads == ["own.yaml"] * len(reads) and len(reads) in (2, 3), reads
    assert out.count("the session goes on with the decks as they were") == 1
    assert "Fourth question, fixed" in out


@pytest.mark.parametrize("change", ["edited", "taken out", "moved down"])
@pytest.mark.usefixtures("saves_left_so")
def test_a_deck_saved_while_the_question_is_read_is_the_answers(
    tmp_path, monkeypatch, change: str
) -> None:  # type: ignore[no-untyped-def]
    """The deck saved in another terminal while own-2's question is on screen (the learner
    fixing the card in an editor before asking for the answer): the answer shown was the
    text the card had before, and own-2 taken out of its deck was still answered and graded.
    The decks are synced when the answer is asked for now: the card changed is shown again
    as it is now, from its question; one taken out leaves; one only moved in its file (a
    card added above it) is answered at once."""
    import sqlite3

    from dlcards import view

    decks, deck = own_deck(tmp_path)
    db = tmp_path / "p.db"
    real = view.card_panel
    saved = []

    def then_saved_elsewhere(card, title, revealed, *args, **kwargs):  # type: ignore[no-untyped-def]
        if card.id == "own-2" and not revealed and not saved:
            saved.append(card.id)
            if change == "edited":
                deck.write_text(OWN_DECK.replace("answer: A2", "answer: Second answer, fixed"))
            elif change == "taken out":
                deck.write_text(
                    OWN_DECK.replace(
                        "  - id: own-2\n    question: Second question\n    answer: A2\n", ""
                    )
                )
            else:
                added = "  - id: own-0\n    question: Zeroth question\n    answer: A0\n"
                deck.write_text(OWN_DECK.replace("cards:\n", "cards:\n" + added))
        return real(card, title, revealed, *args, **kwargs)

    monkeypatch.setattr(view, "card_panel", then_saved_elsewhere)
    args = ("--db", str(db), "--decks", str(decks), "--topic", "own", "--today", "2026-11-26")
    out = study(["", "4", "", "", "4", "", "4", "", "4", "", "4", "q"], *args)
    with sqlite3.connect(db) as conn:
        graded = [r[0] for r in conn.execute("SELECT card_id FROM reviews ORDER BY id")]
    assert saved == ["own-2"]
    if change == "edited":
        assert "own-2 was changed in its deck meanwhile: here it is as it is now" in out, out
        assert "Second answer, fixed" in out and "A A2 " not in out, out
        assert graded == ["own-1", "own-2", "own-3", "own-4"]
    elif change == "taken out":
        assert "own-2 is in no deck now: it leaves the session" in out, out
        assert "A A2 " not in out, out
        assert graded == ["own-1", "own-3", "own-4"]
    else:
        assert "changed in its deck" not in out and "A A2 " in out, out
        assert graded[:4] == ["own-1", "own-2", "own-3", "own-4"]


def test_a_search_session_reads_its_own_cards_not_every_due_card(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A `--search` (or `--tag`) session read every due card of the collection, and every new
    one, and kept its own in Python, three times before its first card: at 100,000 cards
    (46,000 due) a search of 345 cards spent 1.4 s reading 138,000 ids. The store now looks
    the session's cards up by their ids; the session is the one it was (its first card, and
    the due and new cards its summary counts, as `due` counts them for the topic)."""
    from dlcards.store import Store

    study(["", "4"] * 40 + ["q"], "--today", "2026-11-01", "--new", "40")  # perceptron, mlp
    counts = json.loads(runner.invoke(app, ["due", "--json", "--today", "2026-11-20"]).output)
    mlp = next(t for t in counts["topics"] if t["topic"] == "mlp")
    other = [t["due"] for t in counts["topics"] if t["topic"] != "mlp"]
    assert mlp["due"] > 0 and mlp["new"] > 0 and sum(other) > 0, counts
    read: list[str] = []
    for name in ("due_ids", "new_ids"):

        def spy(*args: Any, _real: Any = getattr(Store, name), **kwargs: Any) -> list[str]:
            ids: list[str] = _real(*args, **kwargs)
            read.extend(ids)
            return ids

        monkeypatch.setattr(Store, name, spy)
    out = study(["q"], "--today", "2026-11-20", "--search", "topic:mlp")
    assert "mlp-1 · " in out, out
    left = f"today: {mlp['due']} due reviews and {min(mlp['new'], 20)} new cards left"
    assert left in out, out
    assert read and all(cid.startswith("mlp-") for cid in read), sorted(set(read))[:5]


def test_the_line_after_a_grade_below_4_says_the_card_comes_back_this_session() -> None:
    """Found in tmux: after a 2 the line read `gd-2: 2 → next in 1d`, the same as after a 4,
    and the card came back ten cards later: the grade legend's ↺ (comes back this session)
    was gone from the screen by then. The line says it, for a re-drill's miss too."""
    script = ["", "2", "", "4", "", "3", "", "5"]
    out = study(script, "--today", "2026-11-26", "--new", "2")
    saved = [line for line in out.splitlines() if line.startswith("saved: ")]
    assert saved == [
        "saved: perceptron-1: 2 → next in 1d, again this session",
        "saved: perceptron-2: 4 → next in 1d",
        "saved: perceptron-1: re-drill graded 3, again this session",
        "saved: perceptron-1: re-drill graded 5",
    ], saved
