"""The keys that act on the card on screen in `dlcards study`: `!` suspends it (saved at once,
taken back by `u` in the order it happened among the grades) and `e` edits it in $EDITOR as
`dlcards edit` does. In the session, on the line protocol, and in a real terminal."""

from __future__ import annotations

import contextlib
import sqlite3
from datetime import date
from pathlib import Path

import helpers as h
import pytest

from dlcards.deck import Card
from dlcards.session import Item, Limits, StudySession, Suspended
from dlcards.sm2 import Grade
from dlcards.store import Store

D = date(2026, 11, 26)


def card(cid: str) -> Card:
    return Card(id=cid, topic="t", question="q", answer="a", file="t.yaml", line=1)


def flag(path: Path, card_id: str) -> bool:
    """The flag as another connection reads it from the file (what a kill would leave)."""
    with contextlib.closing(sqlite3.connect(path)) as other:
        row = other.execute("SELECT suspended FROM cards WHERE id = ?", (card_id,)).fetchone()
    return bool(row[0])


def queue(session: StudySession) -> list[tuple[str, str]]:
    """What is still to come: (card, kind), the current card first."""
    return [(i.card_id, i.kind) for i in session.queue[session.position :]]


# --- the session ---------------------------------------------------------------------------------


@pytest.mark.parametrize("scheduler", ["sm2", "fsrs"])
def test_undo_takes_back_grades_and_suspensions_newest_first(
    tmp_path: Path, scheduler: str
) -> None:
    """a graded 2 (a re-drill queued), b suspended, c graded 5; then `u` three times: c's
    grade, b's suspension (b on screen again, its flag cleared in the file), a's grade."""
    path = tmp_path / "p.db"
    store = Store.open(path)
    store.sync([card("a"), card("b"), card("c")], "s", h.NOW)
    h.set_scheduler(store, scheduler)
    session = StudySession(store, None, D, lambda: h.NOW, Limits(new=3))
    assert queue(session) == [("a", "new"), ("b", "new"), ("c", "new")]
    session.grade(Grade(2))
    b_before = store.memory("b")
    done = session.suspend()
    assert done == Suspended(Item("b", "new"), True)
    assert flag(path, "b")  # saved at once: a kill now loses nothing
    assert store.memory("b") == b_before  # neither graded nor scheduled
    assert queue(session) == [("c", "new"), ("a", "redrill")]
    assert session.remaining() == {"new": 1, "due": 0, "redrill": 1}
    assert session.summary.reviews == 1 and session.summary.suspended == ["b"]
    session.grade(Grade(5))
    assert queue(session) == [("a", "redrill")]

    undone = session.undo()  # c's grade: the newest
    assert isinstance(undone, tuple) and undone[0].card_id == "c" and undone[1]
    assert queue(session) == [("c", "new"), ("a", "redrill")] and flag(path, "b")
    undone = session.undo()  # b's suspension
    assert isinstance(undone, Suspended) and undone.item.card_id == "b"
    assert not flag(path, "b") and session.summary.suspended == []
    assert queue(session) == [("b", "new"), ("c", "new"), ("a", "redrill")]
    undone = session.undo()  # a's grade, and the re-drill it queued
    assert isinstance(undone, tuple) and undone[0].card_id == "a"
    assert queue(session) == [("a", "new"), ("b", "new"), ("c", "new")]
    assert session.undo() is None and session.summary.reviews == 0
    assert store.memory("a").is_new and store.memory("c").is_new
    store.close()


def test_a_suspended_redrill_leaves_the_session_and_is_owed_no_more(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "p.db")
    store.sync([card("a"), card("b")], "s", h.NOW)
    session = StudySession(store, None, D, lambda: h.NOW, Limits(new=1))
    session.grade(Grade(1))
    assert queue(session) == [("a", "redrill")]
    assert store.redrills_due(D, 4) == ["a"]
    session.suspend()
    assert session.done and session.summary.redrills == 0 and session.summary.reviews == 1
    assert store.redrills_due(D, 4) == []  # a suspended card waits, in this session or the next
    # the day's counts: one card introduced, the suspended one not due, no re-drill owed
    assert store.new_introduced(D) == 1 and store.count_due(D, "sm2") == 0
    session.undo()
    assert queue(session) == [("a", "redrill")] and store.redrills_due(D, 4) == ["a"]
    store.close()


def test_a_card_suspended_in_another_terminal_stays_suspended_after_undo(
    tmp_path: Path,
) -> None:
    path = tmp_path / "p.db"
    store = Store.open(path)
    store.sync([card("a"), card("b")], "s", h.NOW)
    session = StudySession(store, None, D, lambda: h.NOW, Limits(new=2))
    with Store.open(path) as other:
        other.set_suspended(["a"], True)  # `dlcards suspend a` while a is on screen
    done = session.suspend()
    assert not done.changed and queue(session) == [("b", "new")]
    session.undo()  # a back on screen; its flag is not this session's to clear
    assert queue(session) == [("a", "new"), ("b", "new")] and flag(path, "a")
    store.close()
