"""Deck files saved by an editor while dlcards runs: each way editors save leaves the file
missing, empty or half written for a moment, and a command or a study session that looks
in that moment must neither retire the deck's cards nor drop them, nor report an error for
a file that is whole a moment later; a deck really deleted, or really saved broken, is still
taken as it is."""

from __future__ import annotations

import os
import re
import sqlite3
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import helpers as h
import pytest
from typer.testing import CliRunner

from dlcards.cli import app

runner = CliRunner()

OWN_DECK = "topic: own\ntitle: Own\ncards:\n" + "".join(
    f"  - id: own-{i}\n    question: Question {i}\n    answer: A{i}\n" for i in range(1, 6)
)
EDITED = OWN_DECK.replace("Question 2", "Question 2, edited")


def _moment(deck: Path, how: str) -> Callable[[], None]:
    """Put `deck` in the state an editor's save of EDITED leaves it in for a moment, the way
    `how` names; returns what finishes the save."""
    backup = deck.with_name(deck.name + "~")
    if how == "renamed away first":  # vim, `:set backupcopy=no writebackup`
        deck.rename(backup)

        def done() -> None:
            deck.write_text(EDITED)
            backup.unlink()

        return done
    if how == "deleted, then created":
        deck.unlink()
    elif how == "truncated, then written":
        deck.write_text("")
    elif how == "half written":  # cut at a card: valid YAML, three cards fewer
        deck.write_text(OWN_DECK[: OWN_DECK.index("  - id: own-3")])
    elif how == "cut in an id":
        deck.write_text(OWN_DECK[: OWN_DECK.index("  - id: own-3") + len("  - id: own-")])
    else:
        raise AssertionError(how)
    return lambda: deck.write_text(EDITED)


SAVES = [
    "renamed away first",
    "deleted, then created",
    "truncated, then written",
    "half written",
    "cut in an id",
]


def _own_decks(tmp_path: Path) -> tuple[Path, Path]:
    decks = tmp_path / "decks"
    decks.mkdir()
    deck = decks / "own.yaml"
    deck.write_text(OWN_DECK)
    return decks, deck


def _retired(db: Path) -> list[str]:
    with sqlite3.connect(db) as conn:
        return [r[0] for r in conn.execute("SELECT id FROM cards WHERE retired = 1 ORDER BY id")]


@pytest.mark.parametrize("how", SAVES)
@pytest.mark.parametrize("command", ["due", "show", "suspend"])
def test_a_command_run_while_a_deck_is_saved_retires_nothing_and_reports_nothing(
    tmp_path: Path, how: str, command: str
) -> None:
    """`dlcards due` (or `show`, `suspend`) run while an editor saves a deck, the file
    missing, empty or half written for 0.15 s: it retired the deck's cards (a missing file,
    a file cut at a card), or failed with an error naming a file that was whole a moment
    later. Now a sync that finds a deck file missing, not loading, or with cards gone waits
    until the deck files have been left alone for a moment (`DECKS_SETTLE_S`), and takes
    them as they are then: the edit, nothing retired, no error."""
    decks, deck = _own_decks(tmp_path)
    db = tmp_path / "p.db"
    args = ["--db", str(db), "--decks", str(decks)]
    assert runner.invoke(app, ["due", *args]).exit_code == 0
    finish = _moment(deck, how)
    later = threading.Timer(0.15, finish)
    later.start()
    try:
        what = [command, "own-2"] if command != "due" else ["due"]
        result = runner.invoke(app, [*what, *args])
    finally:
        later.join()
    assert result.exit_code == 0, result.output
    assert "error" not in result.output, result.output
    assert _retired(db) == []
    shown = runner.invoke(app, ["show", "own-2", *args])
    assert "Question 2, edited" in shown.output, shown.output


@pytest.mark.parametrize("how", ["deleted", "saved broken", "cut at a card"])
def test_a_deck_left_so_is_taken_as_it_is(tmp_path: Path, how: str) -> None:
    """The wait is for a save half done, not for the learner: a deck deleted for good has its
    cards retired, one saved with an error gets the one-line error, one saved shorter retires
    the cards it dropped; each after the moment the files take to settle, not seconds."""
    decks, deck = _own_decks(tmp_path)
    db = tmp_path / "p.db"
    args = ["--db", str(db), "--decks", str(decks)]
    assert runner.invoke(app, ["due", *args]).exit_code == 0
    if how == "deleted":
        deck.unlink()
    elif how == "saved broken":
        deck.write_text(OWN_DECK.replace("Question 2", "[Question 2"))
    else:
        deck.write_text(OWN_DECK[: OWN_DECK.index("  - id: own-3")])
    started = time.monotonic()
    result = runner.invoke(app, ["due", *args])
    took = time.monotonic() - started
    assert took < 2.5, took
    if how == "saved broken":
        assert result.exit_code == 2
        assert result.output.count("\n") == 1 and f"{deck}:8:" in result.output, result.output
        assert _retired(db) == []
        return
    assert result.exit_code == 0, result.output
    gone = [f"own-{i}" for i in (range(1, 6) if how == "deleted" else range(3, 6))]
    assert _retired(db) == gone


def test_a_deck_path_given_as_a_file_missing_for_a_moment_is_no_error(tmp_path: Path) -> None:
    """`--decks own.yaml` (a file, not a folder) deleted and created again by an editor:
    `due` in that moment said the deck path does not exist."""
    _, deck = _own_decks(tmp_path)
    db = tmp_path / "p.db"
    args = ["--db", str(db), "--decks", str(deck)]
    assert runner.invoke(app, ["due", *args]).exit_code == 0
    finish = _moment(deck, "deleted, then created")
    later = threading.Timer(0.15, finish)
    later.start()
    try:
        result = runner.invoke(app, ["due", *args])
    finally:
        later.join()
    assert result.exit_code == 0 and "error" not in result.output, result.output
    assert _retired(db) == []


def test_settled_deck_files_are_not_waited_for(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """A sync of deck files left alone for long (an edit saved minutes before) that retires
    cards does it at once: the wait is only for files that changed a moment ago."""
    from dlcards import catalog as common

    decks, deck = _own_decks(tmp_path)
    db = tmp_path / "p.db"
    args = ["--db", str(db), "--decks", str(decks)]
    assert runner.invoke(app, ["due", *args]).exit_code == 0
    deck.write_text(OWN_DECK[: OWN_DECK.index("  - id: own-3")])
    time.sleep(common.DECKS_GONE_S + 0.05)
    real = common.settling
    waits: list[float | None] = []

    def settling(*args, **kwargs):  # type: ignore[no-untyped-def]
        waits.append(real(*args, **kwargs))
        return waits[-1]

    monkeypatch.setattr(common, "settling", settling)
    result = runner.invoke(app, ["due", *args])
    assert result.exit_code == 0, result.output
    assert waits == [None], waits  # asked once, before the retirement: settled
    assert _retired(db) == ["own-3", "own-4", "own-5"]


def _answer_or_question(fd: int, timeout: float = 20.0) -> bytes:
    """What the terminal shows after Space on a question: up to the answer's grade legend, or
    up to the question's hint when the card is shown again from its question."""
    import select

    seen = b""
    deadline = time.monotonic() + timeout
    while b"perfect" not in seen and b"show answer" not in seen:
        left = deadline - time.monotonic()
        if left <= 0 or not select.select([fd], [], [], left)[0]:
            raise AssertionError(f"neither answer nor question shown: {seen[-800:]!r}")
        seen += os.read(fd, 65536)
    return seen


def _reviews(db: Path) -> list[str]:
    with sqlite3.connect(db) as conn:
        return [r[0] for r in conn.execute("SELECT card_id FROM reviews ORDER BY id")]


@pytest.mark.skipif(sys.platform != "linux", reason="a pseudo-terminal")
@pytest.mark.parametrize("how", SAVES)
@pytest.mark.parametrize("when", ["between cards", "on the question"])
def test_a_study_session_goes_on_whole_while_a_deck_is_saved(
    tmp_path: Path, how: str, when: str
) -> None:
    """A real `study` in a terminal, the deck file saved by an editor in another one: between
    two cards (the session looks at the decks before each card) or while a question is read
    (it looks again when the answer is asked for), the file missing, empty or half written
    for 0.15 s. The deck's cards left the session ("in no deck now") and were retired, or an
    error was said for a file whole a moment later. Now the session waits for the save to
    end: every card is shown and graded, the edit shows, nothing is retired."""
    decks, deck = _own_decks(tmp_path)
    env = h.terminal_env(tmp_path, DLCARDS_DECKS=str(decks))
    db = Path(env["DLCARDS_DB"])
    screen = b""
    later = None
    with h.study_in_a_pty(env, "--topic", "own", "--today", "2026-11-26") as (pid, fd):
        for n in range(1, 6):
            screen += h.read_until(fd, b"show answer")
            if n == 2 and when == "on the question":
                later = threading.Timer(0.15, _moment(deck, how))
                later.start()
            os.write(fd, b" ")
            shown = _answer_or_question(fd)
            if b"perfect" not in shown:  # changed: shown again, from its question
                os.write(fd, b" ")
                shown += h.read_until(fd, b"perfect")
            screen += shown
            if n == 1 and when == "between cards":
                later = threading.Timer(0.15, _moment(deck, how))
                later.start()
            os.write(fd, b"4")
            if later is not None:
                later.join()
        screen += h.read_until(fd, b"5 grades saved.")
        os.waitpid(pid, 0)
    text = " ".join(screen.decode(errors="replace").split())
    assert "no deck now" not in text and "as they were" not in text, text[-2000:]
    assert "Question 2, edited" in text
    assert _reviews(db) == [f"own-{i}" for i in range(1, 6)]
    assert _retired(db) == []


def _unfolded(screen: bytes) -> str:
    """What a terminal was sent, without its styles and line breaks: a line folded over two
    (a long TMPDIR's path) read whole."""
    return "".join(re.sub(r"\x1b\[[0-9;]*[A-Za-z]", "", screen.decode(errors="replace")).split())


def _read_until_said(fd: int, said: str, timeout: float = 20.0, seen: bytes = b"") -> bytes:
    """What the terminal shows until `said` is on it, however the screen folds it; `seen`:
    what it showed already (read with something else), looked in first."""
    import select

    deadline = time.monotonic() + timeout
    while "".join(said.split()) not in _unfolded(seen):
        left = deadline - time.monotonic()
        if left <= 0 or not select.select([fd], [], [], left)[0]:
            raise AssertionError(f"{said!r} not shown: {seen[-1500:]!r}")
        try:
            seen += os.read(fd, 65536)
        except OSError:  # the program is gone
            raise AssertionError(f"{said!r} not shown: {seen[-1500:]!r}") from None
    return seen


@pytest.mark.skipif(sys.platform != "linux", reason="a pseudo-terminal")
def test_a_deck_really_saved_broken_is_said_once_and_the_session_keeps_its_grades(
    tmp_path: Path,
) -> None:
    """The learner saves the deck with an error (and leaves it so): the session says the
    error in one line, once, goes on with the decks as they were, and saves every grade;
    saved fixed, the fix shows. The error is said once the file has been left so for
    `DECKS_GONE_S` (a slow save is not said as an error), while the next card waits for
    its key: the screen looks at the decks every second of the wait."""
    decks, deck = _own_decks(tmp_path)
    env = h.terminal_env(tmp_path, DLCARDS_DECKS=str(decks))
    db = Path(env["DLCARDS_DB"])
    screen = b""
    said = "the session goes on with the decks as they were"
    with h.study_in_a_pty(env, "--topic", "own", "--today", "2026-11-26") as (pid, fd):
        for n in range(1, 6):
            shown = h.read_until(fd, b"show answer")
            if n == 2:  # said on the card's screen, or while it waits
                shown = _read_until_said(fd, said, seen=shown)
            screen += shown
            os.write(fd, b" ")
            screen += h.read_until(fd, b"perfect")
            if n == 1:
                deck.write_text(OWN_DECK.replace("Question 2", "[Question 2"))
            if n == 3:
                deck.write_text(OWN_DECK.replace("Question 4", "Question 4, fixed"))
            os.write(fd, b"4")
        screen += h.read_until(fd, b"5 grades saved.")
        os.waitpid(pid, 0)
    text = " ".join(screen.decode(errors="replace").split())
    unfolded = _unfolded(screen)
    assert unfolded.count("".join(said.split())) == 1 and f"{deck}:8:" in unfolded, text[-3000:]
    assert "Question 4, fixed" in text
    assert _reviews(db) == [f"own-{i}" for i in range(1, 6)]
    assert _retired(db) == []


@pytest.mark.parametrize("new", [None, "5"])
def test_a_card_added_during_a_session_joins_it_within_the_new_card_limit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, new: str | None
) -> None:
    """A card added to a deck file while `study` runs: the session synced it into the
    database but never showed it (the queue was made once, at the start). As Anki rebuilds
    its queues after an edit, it now joins the session's new cards when the day's new-card
    limit has room (after the new cards the session holds already), and the screen says so;
    with the limit reached it says the card waits for another day."""
    from dlcards.store import Store

    decks, deck = _own_decks(tmp_path)
    db = tmp_path / "p.db"
    real = Store.grade
    added = "  - id: own-6\n    question: Question 6, added\n    answer: A6\n"

    def then_added(self, card_id, *args, **kwargs):  # type: ignore[no-untyped-def]
        done = real(self, card_id, *args, **kwargs)
        if card_id == "own-1":
            deck.write_text(OWN_DECK + added)
        return done

    monkeypatch.setattr(Store, "grade", then_added)
    args = ["--db", str(db), "--decks", str(decks), "--topic", "own", "--today", "2026-11-26"]
    args += ["--new", new] if new else []
    script = "\n".join(["", "4"] * 6 + ["q"]) + "\n"
    result = runner.invoke(app, ["study", *args], input=script)
    assert result.exit_code == 0, result.output
    out = " ".join(result.output.split())
    if new is None:
        assert "own-6 is in a deck now: it joins the session" in out, out
        assert "Question 6, added" in out
        assert _reviews(db) == [f"own-{i}" for i in range(1, 7)]
    else:
        said = "own-6 waits for another day: today's new-card limit (5) is reached"
        assert said in out, out
        assert "Question 6, added" not in out
        assert _reviews(db) == [f"own-{i}" for i in range(1, 6)]


@pytest.mark.parametrize("change", ["edited", "taken out"])
def test_a_card_changed_while_its_answer_is_shown_is_not_graded_unseen(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, change: str
) -> None:
    """The deck saved in another terminal while own-2's answer is on screen: the grade typed
    next was saved for the card as it is now, whose text the learner never saw, and nothing
    said so. Now the grade is not saved: the card is shown again as it is now, saying why
    (Anki's reviewer redraws a card whose note was edited before it can be answered), or,
    taken out of its deck, it leaves."""
    from dlcards import catalog, view

    decks, deck = _own_decks(tmp_path)
    db = tmp_path / "p.db"
    real = view.card_panel
    saved: list[str] = []
    # a card taken out leaves once its deck has been left so a while (`DECKS_GONE_S`): a
    # while made short here, and waited for below
    monkeypatch.setattr(catalog, "DECKS_GONE_S", 0.2)

    def then_saved_elsewhere(card, title, revealed, *args, **kwargs):  # type: ignore[no-untyped-def]
        drawn = real(card, title, revealed, *args, **kwargs)
        if card.id == "own-2" and revealed and not saved:
            saved.append(card.id)
            if change == "edited":
                deck.write_text(OWN_DECK.replace("answer: A2", "answer: Second answer, fixed"))
            else:
                cut = "  - id: own-2\n    question: Question 2\n    answer: A2\n"
                deck.write_text(OWN_DECK.replace(cut, ""))
                time.sleep(0.25)  # and left so
        return drawn

    monkeypatch.setattr(view, "card_panel", then_saved_elsewhere)
    args = ["--db", str(db), "--decks", str(decks), "--topic", "own", "--today", "2026-11-26"]
    script = "\n".join(["", "4"] * 6 + ["q"]) + "\n"
    result = runner.invoke(app, ["study", *args], input=script)
    assert result.exit_code == 0, result.output
    out = " ".join(result.output.split())
    assert saved == ["own-2"]
    if change == "edited":
        said = "own-2 was changed in its deck while its answer was shown: not graded"
        assert said in out and "Second answer, fixed" in out, out
        assert _reviews(db) == [f"own-{i}" for i in range(1, 6)]
        with sqlite3.connect(db) as conn:  # graded once, after the answer as it is now
            assert conn.execute("SELECT count(*) FROM reviews").fetchone() == (5,)
    else:
        assert "own-2 is in no deck now: it leaves the session" in out, out
        assert _reviews(db) == ["own-1", "own-3", "own-4", "own-5"]


@pytest.mark.skipif(sys.platform != "linux", reason="a pseudo-terminal")
def test_in_a_terminal_a_card_changed_on_its_answer_is_shown_again_before_a_grade(
    tmp_path: Path,
) -> None:
    """The same in a real terminal: the deck saved (by an editor that renames the old file
    away first) while own-2's answer is on screen; the grade key shows own-2 again, as it is
    now, saying why, and its grade is given on the new answer."""
    decks, deck = _own_decks(tmp_path)
    env = h.terminal_env(tmp_path, DLCARDS_DECKS=str(decks))
    db = Path(env["DLCARDS_DB"])
    screen = b""
    with h.study_in_a_pty(env, "--topic", "own", "--today", "2026-11-26") as (pid, fd):
        for n in range(1, 6):
            screen += h.read_until(fd, b"show answer")
            os.write(fd, b" ")
            screen += h.read_until(fd, b"perfect")
            if n == 2:
                _moment(deck, "renamed away first")()
                time.sleep(0.1)
                os.write(fd, b"4")
                again = h.read_until(fd, b"show answer")
                assert b"Question 2, edited" in again, again[-1500:]
                screen += again
                os.write(fd, b" ")
                screen += h.read_until(fd, b"perfect")
            os.write(fd, b"4")
        screen += h.read_until(fd, b"5 grades saved.")
        os.waitpid(pid, 0)
    text = " ".join(screen.decode(errors="replace").split())
    assert "own-2 was changed in its deck while its answer was shown: not graded" in text
    assert _reviews(db) == [f"own-{i}" for i in range(1, 6)]


def test_a_first_sync_during_a_save_makes_the_database(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The first command of a new collection run while an editor saves a deck: the file was
    listed, then renamed away (vim, saving) before it was read, and the command failed with
    "cannot make database …: No such file or directory" (the deck file's error taken for the
    database's). It now waits for the save, and makes the database with the deck in it."""
    from dlcards import catalog

    decks, deck = _own_decks(tmp_path)
    db = tmp_path / "p.db"
    real = catalog._stamp
    saving: list[threading.Timer] = []

    def renamed_away_once(file: Path) -> str:
        if file.name == "own.yaml" and not saving:
            saving.append(threading.Timer(0.15, _moment(deck, "renamed away first")))
            saving[0].start()
        return real(file)

    monkeypatch.setattr(catalog, "_stamp", renamed_away_once)
    try:
        result = runner.invoke(app, ["due", "--db", str(db), "--decks", str(decks)])
    finally:
        saving[0].join()
    assert result.exit_code == 0, result.output
    assert "own" in result.output and _retired(db) == []
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT count(*) FROM cards WHERE topic = 'own'").fetchone() == (5,)


SLOW_S = 1.0
"""How long a slow save leaves a deck file missing or cut: longer than DECKS_SETTLE_S (a
network file system, a big deck written in pieces), shorter than DECKS_GONE_S."""


@pytest.mark.parametrize("how", ["renamed away first", "deleted, then created", "half written"])
@pytest.mark.parametrize("command", ["due", "show"])
def test_a_slow_save_retires_nothing(tmp_path: Path, how: str, command: str) -> None:
    """A save that leaves the deck file missing or cut for a second: `due` run in it retired
    the deck's cards (the files had been left alone 0.3 s: taken as the learner's), and
    `show own-4` said the card was in no deck now. Cards are now taken out only of deck files
    left alone for `DECKS_GONE_S`: the save ends first, nothing is retired, and the edit
    shows."""
    from dlcards import catalog

    assert catalog.DECKS_SETTLE_S < SLOW_S < catalog.DECKS_GONE_S
    decks, deck = _own_decks(tmp_path)
    db = tmp_path / "p.db"
    args = ["--db", str(db), "--decks", str(decks)]
    assert runner.invoke(app, ["due", *args]).exit_code == 0
    later = threading.Timer(SLOW_S, _moment(deck, how))
    later.start()
    try:
        time.sleep(0.05)
        result = runner.invoke(app, [*(["due"] if command == "due" else ["show", "own-4"]), *args])
    finally:
        later.join()
    assert result.exit_code == 0, result.output
    assert "no deck" not in result.output, result.output
    assert _retired(db) == []
    with sqlite3.connect(db) as conn:  # no card was retired and back meanwhile
        assert conn.execute("SELECT count(*) FROM cards WHERE retired = 1").fetchone() == (0,)
    shown = runner.invoke(app, ["show", "own-2", *args])
    assert "Question 2, edited" in shown.output, shown.output


@pytest.mark.skipif(sys.platform != "linux", reason="a pseudo-terminal")
@pytest.mark.parametrize("how", ["renamed away first", "half written"])
def test_a_study_session_goes_on_whole_through_a_slow_save(tmp_path: Path, how: str) -> None:
    """The deck saved slowly (missing or cut for a second) between two cards of a real
    `study`: the deck's cards (or those after the cut) left the session, "in no deck now",
    and were retired until the save ended. Now the session goes on with the decks as they
    were while the files are mid-save, without waiting for them, and takes the edit once
    the save is done: every card shown and graded, none retired."""
    decks, deck = _own_decks(tmp_path)
    env = h.terminal_env(tmp_path, DLCARDS_DECKS=str(decks))
    db = Path(env["DLCARDS_DB"])
    screen = b""
    later = None
    with h.study_in_a_pty(env, "--topic", "own", "--today", "2026-11-26") as (pid, fd):
        for n in range(1, 6):
            screen += h.read_until(fd, b"show answer")
            os.write(fd, b" ")
            shown = _answer_or_question(fd)
            if b"perfect" not in shown:  # changed: shown again, from its question
                os.write(fd, b" ")
                shown += h.read_until(fd, b"perfect")
            screen += shown
            if n == 1:
                later = threading.Timer(SLOW_S, _moment(deck, how))
                later.start()
            os.write(fd, b"4")
        screen += h.read_until(fd, b"5 grades saved.")
        os.waitpid(pid, 0)
    assert later is not None
    later.join()
    text = " ".join(screen.decode(errors="replace").split())
    assert "no deck now" not in text and "as they were" not in text, text[-2000:]
    assert _reviews(db) == [f"own-{i}" for i in range(1, 6)]
    assert _retired(db) == []


def _cpu_seconds(pid: int) -> float:
    """The user and system CPU time process `pid` has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@pytest.mark.skipif(sys.platform != "linux", reason="a pseudo-terminal")
def test_the_card_on_screen_follows_its_deck_while_it_waits_for_a_key(tmp_path: Path) -> None:
    """A real `study` left on a card while its deck is saved in another terminal: the screen
    kept the old text until the next key. Now, as Anki's reviewer redraws a card whose note
    was edited, the card on screen is drawn again with its new text within a second or two
    (on the question, and on the answer), saying why; a card added joins the session and
    the screen says so; the card on screen taken out of its deck (and left so) is replaced
    by the next. The wait looks at the deck files once a second: no CPU spent between."""
    decks, deck = _own_decks(tmp_path)
    env = h.terminal_env(tmp_path, DLCARDS_DECKS=str(decks))
    db = Path(env["DLCARDS_DB"])
    added = "  - id: own-6\n    question: Question 6, added\n    answer: A6\n"
    text = OWN_DECK
    with h.study_in_a_pty(env, "--topic", "own", "--today", "2026-11-26") as (pid, fd):
        h.read_until(fd, b"show answer")
        time.sleep(0.5)
        before = _cpu_seconds(pid)
        time.sleep(3)  # a card on screen, no key: the wait costs (next to) nothing
        assert _cpu_seconds(pid) - before < 0.3
        text = text.replace("Question 1", "Question 1, edited")
        deck.write_text(text)
        seen = _read_until_said(fd, "own-1 was changed in its deck: here it is as it is now")
        assert b"Question 1, edited" in seen  # no key pressed
        os.write(fd, b" ")
        h.read_until(fd, b"perfect")
        text = text.replace("answer: A1", "answer: First answer, fixed") + added
        deck.write_text(text)
        seen = _read_until_said(fd, "own-6 is in a deck now: it joins the session")
        assert b"First answer, fixed" in seen and b"perfect" in seen  # the answer, redrawn
        os.write(fd, b"4")
        h.read_until(fd, b"Question 2")
        text = text.replace("  - id: own-2\n    question: Question 2\n    answer: A2\n", "")
        deck.write_text(text)
        _read_until_said(fd, "own-2 is in no deck now: it leaves the session")
        for _ in range(4):  # own-3, own-4, own-5, own-6
            os.write(fd, b" ")
            h.read_until(fd, b"perfect")
            os.write(fd, b"4")
        h.read_until(fd, b"5 grades saved.")
        os.waitpid(pid, 0)
    assert _reviews(db) == ["own-1", "own-3", "own-4", "own-5", "own-6"]
    assert _retired(db) == ["own-2"]


@pytest.mark.parametrize("how", ["renamed away first", "truncated, then written", "half written"])
def test_a_deck_read_again_for_want_of_its_cache_waits_for_a_save(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, how: str
) -> None:
    """A deck whose cache entry is missing or damaged is parsed again when its cards are first
    wanted (a study session's catalog reads a deck when it reaches one of its cards). Mid-save
    then, its error ("cannot read deck") or the deck as cut ("unknown card id") was taken as
    the truth, and the session ended on it. It now waits for the save as the other looks do,
    and reads the deck as saved."""
    from dlcards.catalog import _key, load_catalog

    decks, deck = _own_decks(tmp_path)
    monkeypatch.setenv("DLCARDS_CACHE_DIR", str(tmp_path / "cache"))
    h.settled(deck)
    load_catalog([str(decks)])  # the index and the deck's entry written
    catalog = load_catalog([str(decks)])  # from the index: the deck not read yet
    (tmp_path / "cache" / "decks" / f"{_key(deck.resolve())}.json").unlink()
    later = threading.Timer(0.15, _moment(deck, how))
    later.start()
    try:
        card = catalog.card("own-4")
    finally:
        later.join()
    assert card.question == "Question 4"
    assert catalog.card("own-2").question == "Question 2, edited"  # the deck as saved


@pytest.mark.skipif(sys.platform != "linux", reason="a pseudo-terminal")
def test_a_card_added_while_a_redrill_is_on_screen_does_not_take_its_grade(
    tmp_path: Path,
) -> None:
    """Found by a torture run: a card added to a deck while a re-drill's answer was on screen
    joined the session before the re-drills, so before the card on screen, and the grade
    typed for the re-drill was saved for the new card, never shown. It now joins after the
    card on screen, which keeps its grade."""
    decks, deck = _own_decks(tmp_path)
    env = h.terminal_env(tmp_path, DLCARDS_DECKS=str(decks))
    db = Path(env["DLCARDS_DB"])
    added = "  - id: own-6\n    question: Question 6, added\n    answer: A6\n"
    with h.study_in_a_pty(env, "--topic", "own", "--today", "2026-11-26") as (pid, fd):
        for grade in b"14444":  # own-1 again (a re-drill at the end), the others good
            h.read_until(fd, b"show answer")
            os.write(fd, b" ")
            h.read_until(fd, b"perfect")
            os.write(fd, bytes([grade]))
        h.read_until(fd, b"show answer")  # own-1, the re-drill
        os.write(fd, b" ")
        h.read_until(fd, b"perfect")
        deck.write_text(OWN_DECK + added)
        _read_until_said(fd, "own-6 is in a deck now: it joins the session")
        os.write(fd, b"4")
        seen = h.read_until(fd, b"show answer")
        assert b"Question 6, added" in seen, seen[-1500:]
        os.write(fd, b" ")
        h.read_until(fd, b"perfect")
        os.write(fd, b"4")
        h.read_until(fd, b"grades saved.")
        os.waitpid(pid, 0)
    assert _reviews(db) == [*(f"own-{i}" for i in range(1, 6)), "own-1", "own-6"]


@pytest.mark.parametrize("entry", ["emacs lock", "macOS metadata", "temporary copy"])
def test_another_programs_hidden_file_beside_a_deck_is_no_deck(tmp_path: Path, entry: str) -> None:
    """Found by this round's torture run: what other programs leave beside a deck file they
    work on, in its folder, was taken for a deck. Emacs's lock, `.#own.yaml`, a symbolic link
    to nowhere that is there while an edit is unsaved: every command failed ("is a broken
    symbolic link"), a study session said so. macOS's `._own.yaml` on a shared or USB drive:
    "U+0000 is not allowed". A temporary copy on its way to the deck's name: the topic twice.
    A hidden entry of a deck folder is now no deck, for every command and the prompt's count."""
    decks, deck = _own_decks(tmp_path)
    db = tmp_path / "p.db"
    args = ["--db", str(db), "--decks", str(decks)]
    hidden = decks / (".#own.yaml" if entry == "emacs lock" else "._own.yaml")
    if entry == "emacs lock":
        hidden.symlink_to("learner@host.4242:1765000000")
    elif entry == "macOS metadata":
        hidden.write_bytes(b"\x00\x05\x16\x07\x00\x02\x00\x00Mac OS X        \x00\x02")
    else:
        hidden = decks / ".own.yaml.tmp.yaml"
        hidden.write_text(EDITED)
    for command in (["due"], ["show", "own-2"], ["due", "--count"]):
        result = runner.invoke(app, [*command, *args])
        assert result.exit_code == 0, (command, result.output)
        assert "error" not in result.output, result.output
    assert "Question 2" in runner.invoke(app, ["show", "own-2", *args]).output
    fifo = decks / "own-fifo.yaml"  # a deck's name that is not a file is still said
    os.mkfifo(fifo)
    result = runner.invoke(app, ["due", *args])
    assert result.exit_code == 2 and "a FIFO" in result.output, result.output


@pytest.mark.skipif(sys.platform != "linux", reason="a pseudo-terminal")
def test_a_deck_error_on_screen_is_taken_back_when_the_deck_is_fixed(tmp_path: Path) -> None:
    """Found by this round's torture run: a deck saved with an error while a card waited was
    said on its screen, and once the deck was saved fixed the error stayed there, as if the
    session still went on without the fix, until the next key. The screen now says that the
    decks load again, in place of the error."""
    decks, deck = _own_decks(tmp_path)
    env = h.terminal_env(tmp_path, DLCARDS_DECKS=str(decks))
    said = "the session goes on with the decks as they were"
    with h.study_in_a_pty(env, "--topic", "own", "--today", "2026-11-26") as (pid, fd):
        h.read_until(fd, b"show answer")
        deck.write_text(OWN_DECK.replace("Question 2", "[Question 2"))
        _read_until_said(fd, said)
        deck.write_text(EDITED)
        seen = _read_until_said(fd, "the decks load again: the session goes on with them")
        last = seen[seen.rindex(b"\x1b[2J") :] if b"\x1b[2J" in seen else seen
        assert "".join(said.split()) not in _unfolded(last), last[-1500:]
        os.write(fd, b"q")
        h.read_until(fd, b"0 grades saved.")
        os.waitpid(pid, 0)


@pytest.mark.skipif(sys.platform != "linux", reason="a pseudo-terminal")
def test_a_deck_deleted_under_a_session_is_said_in_one_line_under_its_summary(
    tmp_path: Path,
) -> None:
    """Found by this round's torture run: the deck of every card left deleted (for good)
    while a card waited; each card left the session with a line of its own for the next
    card's screen, no card came, and the session ended "Session complete. 1 grade saved."
    with nothing saying where the cards went. They now leave together, said in one line,
    and a line no card's screen said is said under the summary."""
    decks, deck = _own_decks(tmp_path)
    env = h.terminal_env(tmp_path, DLCARDS_DECKS=str(decks))
    db = Path(env["DLCARDS_DB"])
    with h.study_in_a_pty(env, "--topic", "own", "--today", "2026-11-26") as (pid, fd):
        h.read_until(fd, b"show answer")
        os.write(fd, b" ")
        h.read_until(fd, b"perfect")
        os.write(fd, b"4")
        h.read_until(fd, b"Question 2")
        deck.unlink()
        seen = _read_until_said(fd, "own-2, own-3, own-4, own-5 are in no deck now")
        os.waitpid(pid, 0)
    text = _unfolded(seen)
    assert "Sessioncomplete.1gradesaved." in text, text[-1500:]
    said = "own-2,own-3,own-4,own-5areinnodecknow:theyleavethesession"
    assert text.count(said) == 1 and "own-2isinnodecknow" not in text, text[-1500:]
    assert _reviews(db) == ["own-1"]
    assert _retired(db) == [f"own-{i}" for i in range(1, 6)]


def test_the_prompts_count_does_not_wait_for_cards_gone_a_moment_ago(tmp_path: Path) -> None:
    """`due --count`, a shell prompt's number, run as the learner comes back from saving a
    deck without some of its cards: it waited for the deck files to be left alone
    `DECKS_GONE_S` (2 s of a prompt hanging), as a command that retires cards must. It now
    counts as last synced at once, retiring nothing; a later prompt, the files left so,
    retires the cards and counts without them."""
    from dlcards import catalog

    decks, deck = _own_decks(tmp_path)
    db = tmp_path / "p.db"
    args = ["--db", str(db), "--decks", str(decks), "--today", "2026-11-26"]
    assert runner.invoke(app, ["due", "--count", *args]).output.strip() == "20"
    deck.write_text(OWN_DECK[: OWN_DECK.index("  - id: own-3")])  # own-3 to own-5 taken out
    started = time.monotonic()
    result = runner.invoke(app, ["due", "--count", *args])
    took = time.monotonic() - started
    assert (result.exit_code, result.output.strip()) == (0, "20"), result.output
    assert took < catalog.DECKS_GONE_S - 0.5, took
    assert _retired(db) == []
    time.sleep(catalog.DECKS_GONE_S + 0.1)
    result = runner.invoke(app, ["due", "--count", *args])
    assert (result.exit_code, result.output.strip()) == (0, "20"), result.output
    assert _retired(db) == ["own-3", "own-4", "own-5"]


def test_a_look_that_found_an_id_missing_in_settled_files_is_not_made_twice(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """`show` of an unknown id loaded the catalog, found the id in no deck (perhaps a deck
    mid-save), and since the deck files had been left alone long before, loaded it all again
    for the same answer (the 100,000-id index rebuilt: ~150 ms). The look's own catalog is
    taken when the files did not change since it began: one load."""
    from dlcards import catalog

    loads: list[object] = []
    real = catalog.load_catalog

    def load_catalog(*args, **kwargs):  # type: ignore[no-untyped-def]
        loads.append(args)
        return real(*args, **kwargs)

    monkeypatch.setattr(catalog, "load_catalog", load_catalog)
    result = runner.invoke(app, ["show", "gd-230"])
    assert result.exit_code == 2 and "unknown card id 'gd-230'" in result.output
    assert len(loads) == 1, loads


def test_settled_takes_what_a_look_found_when_the_files_stayed_as_it_read_them(
    tmp_path: Path,
) -> None:
    """`catalog.settled`: an attempt that raises Unsettled with what it found is not made
    again when the deck files had been left alone before it looked and still are (a second
    look reads the same files); when they changed during the look, it is made again."""
    from dlcards import catalog

    deck = tmp_path / "d.yaml"
    deck.write_text("x")
    time.sleep(catalog.DECKS_GONE_S + 0.05)
    looks: list[int | None] = []

    def attempt(looked: int | None) -> str:
        looks.append(looked)
        if looked is not None:
            raise catalog.Unsettled(found="as found")
        return "looked again"

    assert catalog.settled(attempt, [tmp_path]) == "as found"
    assert len(looks) == 1

    looks.clear()

    def changing(looked: int | None) -> str:
        looks.append(looked)
        if looked is not None and len(looks) == 1:
            deck.write_text("y")  # saved during the look
            raise catalog.Unsettled(catalog.DECKS_SETTLE_S, found="as found")
        if looked is not None:
            raise catalog.Unsettled(catalog.DECKS_SETTLE_S)
        return "looked again"

    assert catalog.settled(changing, [tmp_path]) == "looked again"
    assert len(looks) >= 2
