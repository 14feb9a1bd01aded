"""`dlcards reset` keeps what it overwrites (`dlcards.store.resets`), and `dlcards undo` puts
it back: a reset of a few cards of a large collection no longer makes a full backup first."""

from __future__ import annotations

import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
from datetime import date, datetime, timedelta
from pathlib import Path

import helpers as h
import pytest
from conftest import ROOT
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from dlcards.cli import app
from dlcards.store import Store, backup, resets
from dlcards.store.core import RESET_BACKUP_CARDS

runner = CliRunner()
CARDS = ("perceptron-1", "perceptron-2", "perceptron-3", "mlp-1", "mlp-2")
D0 = date(2026, 11, 2)


def rows(db: Path, ids: tuple[str, ...] = CARDS) -> dict[str, tuple[object, ...]]:
    """Every column of each card's row, its sm2 row and its fsrs row (None: none), read with
    a connection of its own: what a reset changes and its undo must put back."""
    conn = sqlite3.connect(db)
    try:
        got: dict[str, tuple[object, ...]] = {}
        for cid in ids:
            card = conn.execute("SELECT * FROM cards WHERE id = ?", (cid,)).fetchone()
            sm2 = conn.execute("SELECT * FROM sm2 WHERE card_id = ?", (cid,)).fetchone()
            fsrs = conn.execute("SELECT * FROM fsrs WHERE card_id = ?", (cid,)).fetchone()
            got[cid] = (card, sm2, fsrs)
        return got
    finally:
        conn.close()


_STEP = st.tuples(
    st.sampled_from(["grade", "grade", "grade", "reset"]),
    st.integers(0, len(CARDS) - 1),
    st.integers(0, 5),
    st.integers(0, 3),  # days on from the step before
)


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    steps=st.lists(_STEP, max_size=25),
    chosen=st.sets(st.integers(0, len(CARDS) - 1), min_size=1),
    scheduler=st.sampled_from(["sm2", "fsrs"]),
    threshold=st.sampled_from([2, 8]),
)
def test_undo_of_a_reset_puts_back_exactly_what_it_overwrote(
    synced_template: Path,
    tmp_path_factory: pytest.TempPathFactory,
    steps: list[tuple[str, int, int, int]],
    chosen: set[int],
    scheduler: str,
    threshold: int,
) -> None:
    """Over random histories (grades, lapses that make leeches under a low threshold,
    resets before, either scheduler), a reset of some cards and its undo leave every
    column of their card, sm2 and fsrs rows as they were; the other cards are untouched;
    and the database agrees with `doctor --check` (every memory the replay of its log)."""
    db = tmp_path_factory.mktemp("r") / "p.db"
    shutil.copyfile(synced_template / "dlcards.db", db)
    now = h.NOW
    day = D0
    with Store.open(db) as store:
        h.set_scheduler(store, scheduler)
        store.set_setting("leech_threshold", str(threshold))
        store.set_setting("leech_action", "tag")
        for kind, i, g, on in steps:
            day += timedelta(on)
            now = max(now, h.NOW.replace(year=day.year, month=day.month, day=day.day))
            now += timedelta(minutes=1)
            if kind == "grade":
                h.grade(store, CARDS[i], g, day, now)
            else:
                store.reset([CARDS[i]], now)
        before = rows(db)
        ids = [CARDS[i] for i in sorted(chosen)]
        now += timedelta(minutes=1)
        studied = store.reset(ids, now)
        newest = store.newest_reset()
        if not studied:  # new already: nothing changed, nothing to take back
            assert rows(db) == before
            return
        assert rows(db) != before
        assert newest is not None
        made, left = newest
        assert sorted(left) == sorted(c.card_id for c in made.cards)
        assert len(left) == studied
        assert store.undo_reset(made, h.replay_for) == left
        assert store.newest_reset() is None or store.newest_reset()[0] != made  # type: ignore[index]
    assert rows(db) == before
    done = runner.invoke(app, ["doctor", "--check", "--db", str(db)])
    assert done.exit_code == 0, done.output


def _studied(db: Path, ids: tuple[str, ...], day: date, now: datetime) -> None:
    """Each of `ids` graded 4 on `day` at `now`, each in a study session of its own."""
    with Store.open(db) as store:
        for card_id in ids:
            session = store.start_session("study", day, now)
            h.grade(store, card_id, 4, day, now, session_id=session)


def _grade_in_study(db: Path, answers: str) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "dlcards", "study", "--db", str(db)],
        input=answers,
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "DLCARDS_TODAY": "2026-11-26"},
    )
    assert done.returncode == 0, done.stderr


def test_undo_takes_back_a_reset_newer_than_the_last_grade_then_the_grade() -> None:
    """`dlcards undo` after `dlcards reset ID --yes`: the reset is the newer, and is taken
    back (the card's schedule exactly as before, one line saying so); the next undo takes
    back the grade before it. A grade given after a reset is taken back before the reset.
    A reset of one card of three studied makes no full backup (its record is enough)."""
    db = Path(os.environ["DLCARDS_DB"])
    _grade_in_study(db, "\n5\n\n4\n\n3\nq\n")  # perceptron-1, -2, -3
    studied = rows(db)
    names = {b.path.name for b in backup.backups(db)}
    done = runner.invoke(app, ["reset", "perceptron-1", "--yes"])
    assert done.exit_code == 0, done.output
    assert {b.path.name for b in backup.backups(db)} == names  # no full backup for it
    assert rows(db) != studied
    back = runner.invoke(app, ["undo"])
    assert back.exit_code == 0, back.output
    assert re.fullmatch(
        r"undid the reset of perceptron-1 \(made \d{4}-\d\d-\d\d \d\d:\d\d\); "
        r"perceptron-1 is due \S.*\n",
        back.output,
    ), back.output
    assert rows(db) == studied
    grade = runner.invoke(app, ["undo"])  # the reset is gone: the newest grade now
    assert grade.output.startswith("undid grade 3 on perceptron-3"), grade.output
    # a grade after a reset: taken back first, then the reset
    assert runner.invoke(app, ["reset", "perceptron-2", "--yes"]).exit_code == 0
    reset_done = rows(db)
    _grade_in_study(db, "\n5\nq\n")  # the session's first card: perceptron-2 is new again
    assert runner.invoke(app, ["undo"]).output.startswith("undid grade 5 on perceptron-2")
    assert rows(db) == reset_done
    again = runner.invoke(app, ["undo"])
    assert again.output.startswith("undid the reset of perceptron-2"), again.output
    assert rows(db) == {**studied, "perceptron-3": rows(db)["perceptron-3"]}
    assert runner.invoke(app, ["doctor", "--check"]).exit_code == 0


def test_a_big_reset_still_makes_a_full_backup_and_is_undone_too() -> None:
    """`reset --all` of every studied card is big (half the studied cards or more): the
    full backup is made before it as before, and `undo` takes it back as well."""
    db = Path(os.environ["DLCARDS_DB"])
    _grade_in_study(db, "\n5\n\n4\nq\n")
    studied = rows(db)
    done = runner.invoke(app, ["reset", "--all", "--yes"])
    assert done.exit_code == 0, done.output
    # the reset names the cards it changed, as its undo does: it said "reset all 220 cards (2
    # cards had been studied)", and the undo "undid the reset of 2 cards"
    made = re.fullmatch(
        r"reset 2 of all (\d+) cards \((\d+) were new already\); their review history is kept\n",
        done.output,
    )
    assert made and int(made[2]) == int(made[1]) - 2, done.output
    assert [b.kind for b in backup.backups(db) if "before-reset" in b.path.name] == ["event"]
    back = runner.invoke(app, ["undo"])
    assert back.output.startswith("undid the reset of 2 cards (made "), back.output
    assert rows(db) == studied


def test_undo_of_a_reset_after_a_scheduler_switch_gives_the_memory_of_the_log() -> None:
    """A card reset under SM-2 (its FSRS row empty: SM-2 keeps no FSRS state), then
    `config scheduler fsrs`, then `undo`: the rows put back verbatim left the card with the
    empty FSRS row while its log, back after the reset point, holds grades: `doctor --check`
    found its memory differing from the replay, and `show` ended in a traceback. The undo
    replays the kept schedulers' memory from the log after putting the rows back."""
    db = Path(os.environ["DLCARDS_DB"])
    _grade_in_study(db, "\n5\n\n4\n\n3\nq\n")
    assert runner.invoke(app, ["reset", "perceptron-1", "--yes"]).exit_code == 0
    assert runner.invoke(app, ["config", "scheduler", "fsrs"]).exit_code == 0
    back = runner.invoke(app, ["undo"])
    assert back.output.startswith("undid the reset of perceptron-1 (made "), back.output
    assert "perceptron-1 is due " in back.output, back.output
    assert runner.invoke(app, ["doctor", "--check"]).exit_code == 0
    shown = runner.invoke(app, ["show", "perceptron-1", "--today", "2026-11-26"])
    assert shown.exit_code == 0 and "stability" in shown.output, shown.output


def test_a_reset_whose_record_cannot_be_written_is_not_made() -> None:
    """The record is the only copy of what a small reset overwrites: when it cannot be
    written (here a folder where the file would be), the reset is refused in one line and
    nothing is reset."""
    db = Path(os.environ["DLCARDS_DB"])
    _grade_in_study(db, "\n5\nq\n")
    studied = rows(db)
    resets.resets_path(db).mkdir(parents=True)
    done = runner.invoke(app, ["reset", "perceptron-1", "--yes"])
    assert done.exit_code != 0
    assert done.output.count("\n") == 1 and "nothing was reset" in done.output, done.output
    assert "Traceback" not in done.output
    assert rows(db) == studied


def test_a_line_cut_short_is_skipped_and_the_next_one_starts_on_its_own_line(
    tmp_path: Path,
) -> None:
    """A kill in the middle of writing a line leaves it cut short: it is no record (its
    checksum), and the next record is written on a line of its own and read back."""
    db = tmp_path / "p.db"
    one = resets.ResetRecord(1, 5, (resets.CardBefore("a", None, None, 1, (250,), None, 9, 5),))
    two = resets.ResetRecord(2, 6, (resets.CardBefore("b", 3, 2, 0, (250,), (1.5,), 9, 6),))
    resets.record(db, one)
    line = resets.encode(two)
    with resets.resets_path(db).open("ab") as fh:
        fh.write(line[: len(line) // 2])
    assert list(resets.records(db)) == [one]
    changed = resets.encode(one).replace(b'"a"', b'"c"')
    assert resets.decode(changed) is None  # its checksum no longer matches
    resets.record(db, two)
    assert list(resets.records(db)) == [two, one]


@pytest.mark.no_files
def test_a_record_keeps_the_last_action_id_and_one_without_it_is_placed_by_its_time() -> None:
    """A reset keeps the last learner action's id, which places it among the actions made
    with the same last review id whatever the clock said; a line an older dlcards wrote has
    none (its checksum still holds) and is placed by its time, as before."""
    cards = (resets.CardBefore("a", None, None, 1, (250,), None, 9, 5),)
    kept = resets.ResetRecord(10**18, 5, cards, 7)
    assert resets.decode(resets.encode(kept)) == kept
    assert b'"actions":7' in resets.encode(kept)
    assert kept.made_after(7, 5, 2 * 10**18)  # action 7 came before it, on a later clock
    assert not kept.made_after(8, 5, 1)  # action 8 came after it, on an earlier clock
    assert kept.made_after(99, 4, 2 * 10**18) and not kept.made_after(1, 6, 1)  # the log first
    old = resets.ResetRecord(10**18, 5, cards)
    line = resets.encode(old)
    assert b"actions" not in line and resets.decode(line) == old
    assert old.made_after(8, 5, 10**18 - 1) and not old.made_after(1, 5, 10**18 + 1)


def test_the_record_keeps_its_newest_lines_within_its_size(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Lines beyond KEEP_BYTES are dropped, the oldest first; the newest is always kept,
    even alone bigger than that. `record` only names them (newest first); `trim` takes out
    those the caller says undo no longer goes back to, and keeps the others."""
    db = tmp_path / "p.db"
    made = [
        resets.ResetRecord(n, n, (resets.CardBefore(f"c{n}", None, None, 0, (250,), None, 9, n),))
        for n in range(6)
    ]
    size = len(resets.encode(made[0]))
    monkeypatch.setattr(resets, "KEEP_BYTES", 3 * size)
    for one in made[:4]:
        over = resets.record(db, one)
    assert over == [made[0]]  # appended, not yet dropped
    assert list(resets.records(db)) == made[3::-1]
    resets.trim(db, lambda r: r != made[0])  # not droppable yet: kept beyond the size
    assert list(resets.records(db)) == made[3::-1]
    resets.trim(db, lambda r: True)
    assert list(resets.records(db)) == made[3:0:-1]
    for one in made[4:]:
        resets.record(db, one)
        resets.trim(db, lambda r: True)
    assert list(resets.records(db)) == made[:2:-1]  # the newest three
    line = resets.encode(made[1])
    with resets.resets_path(db).open("ab") as fh:  # a kill mid-line: skipped, not the end
        fh.write(line[:10])
    resets.record(db, made[1])
    resets.trim(db, lambda r: True)
    assert list(resets.records(db)) == [made[1], made[5], made[4]]
    monkeypatch.setattr(resets, "KEEP_BYTES", 10)
    assert resets.record(db, made[0]) == [made[1], made[5], made[4]]
    resets.trim(db, lambda r: True)
    assert list(resets.records(db)) == [made[0]]
    assert not list(tmp_path.rglob("*.tmp"))


def _killed_run(db: Path, where: str, *argv: str) -> subprocess.CompletedProcess[str]:
    """`dlcards ARGV --db DB` SIGKILLed once `where` (`module:function`) has returned."""
    module, name = where.split(":")
    script = (
        "import importlib, os, signal, sys\n"
        f"m = importlib.import_module({module!r})\n"
        f"original = getattr(m, {name!r})\n"
        "def killed(*args, **kwargs):\n"
        "    done = original(*args, **kwargs)\n"
        "    os.kill(os.getpid(), signal.SIGKILL)\n"
        f"setattr(m, {name!r}, killed)\n"
        "from dlcards.cli import main\n"
        f"sys.argv = ['dlcards', *{list(argv)!r}, '--db', {str(db)!r}]\n"
        "main()\n"
    )
    return subprocess.run(
        [sys.executable, "-c", script],
        env={**os.environ, "PYTHONPATH": str(ROOT), "DLCARDS_TODAY": "2026-11-26"},
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL")
def test_a_reset_killed_after_its_record_before_its_commit_loses_nothing() -> None:
    """SIGKILL once the record is written, before the reset commits: the card is as it was
    (the reset rolled back), the record's line is inert (none of its cards has the marks it
    says the reset wrote: `undo` takes back the last grade, not that reset), and a reset made
    afterwards is undone exactly. SIGKILL once the reset committed: `undo` puts it back."""
    db = Path(os.environ["DLCARDS_DB"])
    _grade_in_study(db, "\n5\n\n4\nq\n")
    studied = rows(db)
    killed = _killed_run(db, "dlcards.store.resets:record", "reset", "perceptron-1", "--yes")
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    assert len(list(resets.records(db))) == 1  # written, never committed
    assert rows(db) == studied
    with Store.open(db) as store:
        assert store.newest_reset() is None
    # killed once committed: the reset is made, and undone exactly
    after = _killed_run(
        db, "dlcards.terminal:saved_once_committed", "reset", "perceptron-1", "--yes"
    )
    assert after.returncode == -signal.SIGKILL, after.stderr
    assert rows(db) != studied
    back = runner.invoke(app, ["undo"])
    assert back.output.startswith("undid the reset of perceptron-1"), back.output
    assert rows(db) == studied
    assert runner.invoke(app, ["doctor", "--check"]).exit_code == 0


@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL")
def test_a_reset_killed_before_its_commit_leaves_the_older_resets_line_for_undo() -> None:
    """Found by bench/undo_model.py: a reset whose record line left an older reset's line out
    (KEEP_BYTES), SIGKILLed before its COMMIT. The file was rewritten without the older line,
    but the floor raised over it rolled back: undo passed over the older reset (the card left
    new, its record gone) and took back the grade before it. Lines are dropped from the file
    only once a floor over them is committed: undo takes back the older reset."""
    db = Path(os.environ["DLCARDS_DB"])
    _grade_in_study(db, "\n5\n\n4\nq\n")
    studied = rows(db)
    assert runner.invoke(app, ["reset", "perceptron-2", "--yes"]).exit_code == 0
    size = resets.resets_path(db).stat().st_size
    script = (
        "import os, signal, sys\n"
        "from dlcards.store import resets\n"
        f"resets.KEEP_BYTES = {size}\n"
        "original = resets.record\n"
        "def killed(*args, **kwargs):\n"
        "    original(*args, **kwargs)\n"
        "    os.kill(os.getpid(), signal.SIGKILL)\n"
        "resets.record = killed\n"
        "from dlcards.cli import main\n"
        f"sys.argv = ['dlcards', 'reset', 'perceptron-1', '--yes', '--db', {str(db)!r}]\n"
        "main()\n"
    )
    killed = subprocess.run(
        [sys.executable, "-c", script],
        env={**os.environ, "PYTHONPATH": str(ROOT), "DLCARDS_TODAY": "2026-11-26"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    back = runner.invoke(app, ["undo"])
    assert back.output.startswith("undid the reset of perceptron-2"), back.output
    assert rows(db) == studied
    assert runner.invoke(app, ["doctor", "--check"]).exit_code == 0


@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL")
def test_a_reset_killed_before_its_commit_raises_no_floor_when_its_line_is_dropped(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Found by bench/undo_model.py (seed 14): a reset of perceptron-2 SIGKILLed before its
    COMMIT leaves an inert line; the card reset again (committed) left that line beyond
    KEEP_BYTES. The card held a later reset point, so the inert line counted as a reset
    made, and undo's floor rose to it: once the second reset was taken back, undo said
    "nothing older to undo" instead of taking back the grade before. The second reset found
    the card without the first's marks: the first was never made, and raises no floor."""
    db = Path(os.environ["DLCARDS_DB"])
    _grade_in_study(db, "\n5\n\n4\nq\n")
    studied = rows(db)
    killed = _killed_run(db, "dlcards.store.resets:record", "reset", "perceptron-2", "--yes")
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    monkeypatch.setattr(resets, "KEEP_BYTES", resets.resets_path(db).stat().st_size)
    assert runner.invoke(app, ["reset", "perceptron-2", "--yes"]).exit_code == 0
    back = runner.invoke(app, ["undo"])
    assert back.output.startswith("undid the reset of perceptron-2"), back.output
    assert rows(db) == studied
    back = runner.invoke(app, ["undo"])
    assert back.output.startswith("undid grade 4 on perceptron-2"), back.output


def test_an_undone_resets_line_dropped_raises_no_floor_when_the_card_is_reset_to_its_point(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Found by bench/undo_model.py (seed 43): a reset of a card whose last review is dated
    ahead of the clock (a clock set back) takes that review's time as its point; taken back,
    then the card reset again, the second reset wrote the very same point, and its line left
    the first's out of the record (KEEP_BYTES). The card held the point the first wrote, so
    that undone reset counted as made, and undo's floor rose over the grades before it: once
    the second reset was taken back, undo said "nothing older to undo" instead of taking back
    the grade. The second reset found the card without the first's point: the first was not
    in effect, and raises no floor."""
    db = Path(os.environ["DLCARDS_DB"])
    ahead = datetime.now().astimezone() + timedelta(hours=2)  # the review a reset point takes
    _studied(db, ("perceptron-1", "perceptron-2"), D0, ahead)
    studied = rows(db)
    assert runner.invoke(app, ["reset", "perceptron-2", "--yes"]).exit_code == 0
    out = runner.invoke(app, ["undo"]).output
    assert out.startswith("undid the reset of perceptron-2"), out
    monkeypatch.setattr(resets, "KEEP_BYTES", resets.resets_path(db).stat().st_size)
    assert runner.invoke(app, ["reset", "perceptron-2", "--yes"]).exit_code == 0
    assert len(list(resets.records(db))) == 1, "the first reset's line is no longer kept"
    out = runner.invoke(app, ["undo"]).output
    assert out.startswith("undid the reset of perceptron-2"), out
    assert rows(db) == studied
    out = runner.invoke(app, ["undo"]).output
    assert out.startswith("undid grade 4 on perceptron-2"), out


def test_a_reset_undo_dropped_raises_no_floor_when_its_line_leaves_the_record(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Found by bench/undo_model.py (seed 45): a reset undo refused and dropped (its card
    answered since in an import), then a reset of another card whose line left the dropped
    reset's line out of the record (KEEP_BYTES). The card of the dropped reset still held its
    point, so that reset counted as made, and undo's floor rose over the grades before it:
    once the second reset was taken back, undo said "nothing older to undo" instead of taking
    back the grade. Undo had already gone past that reset for good: it raises no floor."""
    db = Path(os.environ["DLCARDS_DB"])
    _studied(db, ("perceptron-1", "perceptron-2"), D0, h.NOW)
    assert runner.invoke(app, ["reset", "perceptron-1", "--yes"]).exit_code == 0
    with Store.open(db) as store:  # an answer of no study session: an import's
        h.grade(store, "perceptron-1", 3, D0 + timedelta(1), h.NOW + timedelta(days=1))
    done = runner.invoke(app, ["undo"])
    assert done.exit_code == 1 and "cannot take back the reset" in done.output, done.output
    monkeypatch.setattr(resets, "KEEP_BYTES", resets.resets_path(db).stat().st_size)
    assert runner.invoke(app, ["reset", "perceptron-2", "--yes"]).exit_code == 0
    assert len(list(resets.records(db))) == 1, "the dropped reset's line is no longer kept"
    out = runner.invoke(app, ["undo"]).output
    assert out.startswith("undid the reset of perceptron-2"), out
    out = runner.invoke(app, ["undo"]).output
    assert out.startswith("undid grade 4 on perceptron-2"), out


def test_the_readme_says_what_a_reset_keeps() -> None:
    """The README's backup paragraph and `reset` and `undo` rows say what is kept: the
    record, where it is, the threshold of a full backup as the code has it, and that
    `dlcards undo` takes a reset back."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    rows_of = {line.split("` |")[0]: line for line in readme.splitlines() if line.startswith("| `")}
    assert "dlcards undo" in rows_of["| `dlcards reset ID \\| --topic T \\| --all [--yes]"]
    assert "a reset" in rows_of["| `dlcards undo"]
    text = re.sub(r"\s+", " ", readme)
    assert f"`backups/…{resets.RESETS_END}`" in text
    assert f"more than {RESET_BACKUP_CARDS:,} studied cards" in text
    assert "before `reset` makes studied cards new" not in text  # the full backup every time


def test_undo_says_nothing_older_past_a_reset_its_record_no_longer_keeps(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Grades, a reset, and a later reset whose line leaves the first out of the record
    (KEEP_BYTES): once the later reset and the grade after the first are taken back, undo
    says there is nothing older to undo. It took back the grade before the first reset,
    skipping over that reset (which stayed, the card new)."""
    db = Path(os.environ["DLCARDS_DB"])
    day = D0
    _studied(db, ("perceptron-1", "perceptron-2"), day, h.NOW)
    assert runner.invoke(app, ["reset", "perceptron-2", "--yes"]).exit_code == 0
    monkeypatch.setattr(resets, "KEEP_BYTES", resets.resets_path(db).stat().st_size)
    _studied(db, ("perceptron-3",), day, h.NOW)
    assert runner.invoke(app, ["reset", "perceptron-3", "--yes"]).exit_code == 0
    assert len(list(resets.records(db))) == 1, "the first reset's line is no longer kept"
    out = runner.invoke(app, ["undo"]).output
    assert out.startswith("undid the reset of perceptron-3"), out
    out = runner.invoke(app, ["undo"]).output
    assert out.startswith("undid grade 4 on perceptron-3"), out
    kept = rows(db)
    done = runner.invoke(app, ["undo"])
    assert done.exit_code == 0, done.output
    assert done.output == (
        "nothing older to undo: the reset record beside the backups keeps the newest resets "
        "it has room for, and an older one no longer kept stands before the rest\n"
    ), done.output
    assert rows(db) == kept, "the grade of perceptron-2 and its reset stay"


def test_a_reset_made_on_a_clock_set_back_after_one_no_longer_kept_is_still_undone(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A reset, the clock set back an hour (a wrong clock set right), then a second reset whose
    line leaves the first out of the record: the floor the first left was placed by its time,
    later than the second's, and undo said there was nothing older to undo instead of taking
    back the second. Placed by the order they were made, the second is taken back, and undo
    stops at the first only then."""
    import time

    db = Path(os.environ["DLCARDS_DB"])
    _studied(db, ("perceptron-1", "perceptron-2"), D0, h.NOW)
    graded = rows(db)
    clock = [time.time_ns()]
    monkeypatch.setattr(time, "time_ns", lambda: clock[0])
    assert runner.invoke(app, ["reset", "perceptron-2", "--yes"]).exit_code == 0
    first = rows(db)
    monkeypatch.setattr(resets, "KEEP_BYTES", resets.resets_path(db).stat().st_size)
    clock[0] -= 3_600 * 10**9
    assert runner.invoke(app, ["reset", "perceptron-1", "--yes"]).exit_code == 0
    assert len(list(resets.records(db))) == 1, "the first reset's line is no longer kept"
    out = runner.invoke(app, ["undo"]).output
    assert out.startswith("undid the reset of perceptron-1"), out
    assert rows(db) == first
    assert rows(db)["perceptron-1"] == graded["perceptron-1"]
    out = runner.invoke(app, ["undo"]).output
    assert out.startswith("nothing older to undo: the reset record"), out
    assert rows(db) == first, "the first reset stays"


def test_a_reset_studied_since_outside_study_is_said_once_and_undo_goes_on() -> None:
    """A study grade, a reset of that card, then an answer to it no study grade gave (what an
    `import anki` of an answer given on the phone writes): the reset cannot be taken back.
    Undo says so in one line (exit 1) and drops it; the next takes back the study grade
    before it. It passed over the reset without a word, to that grade, as if it were the
    newest action."""
    db = Path(os.environ["DLCARDS_DB"])
    _studied(db, ("perceptron-1",), D0, h.NOW)
    assert runner.invoke(app, ["reset", "perceptron-1", "--yes"]).exit_code == 0
    with Store.open(db) as store:  # an answer of no study session: an import's
        h.grade(store, "perceptron-1", 3, D0 + timedelta(1), h.NOW + timedelta(days=1))
    imported = rows(db)
    done = runner.invoke(app, ["undo"])
    assert done.exit_code == 1, done.output
    assert re.fullmatch(
        r"nothing undone: cannot take back the reset of perceptron-1 \(made \d{4}-\d\d-\d\d "
        r"\d\d:\d\d\), perceptron-1 was studied since outside `dlcards study` \(`dlcards import "
        r"anki`\), which undo does not take back; it is dropped: `dlcards undo` again takes "
        r"back the one before\n",
        done.output,
    ), done.output
    assert rows(db) == imported
    again = runner.invoke(app, ["undo"])
    assert again.output.startswith("undid grade 4 on perceptron-1"), again.output
    assert runner.invoke(app, ["undo"]).output.startswith("nothing to undo")


def test_backup_help_says_which_resets_make_a_full_backup() -> None:
    """`dlcards backup --help` said a backup is made before "a reset": only a big one makes it
    (`store.core.big_reset`); a small one keeps its record for `undo` alone. The help gives
    the rule's figure, and a reset of one studied card of three makes no backup."""
    shown = " ".join(runner.invoke(app, ["backup", "--help"]).output.split())
    rule = re.search(r"a big reset \(of more than ([\d,]+) studied cards, or of half", shown)
    assert rule, shown
    assert int(rule[1].replace(",", "")) == RESET_BACKUP_CARDS
    db = Path(os.environ["DLCARDS_DB"])
    _grade_in_study(db, "\n5\n\n4\n\n4\nq\n")  # three studied: one is under half
    assert runner.invoke(app, ["reset", "perceptron-1", "--yes"]).exit_code == 0
    assert not [b for b in backup.backups(db) if "before-reset" in b.path.name]


def test_undo_of_a_reset_of_a_suspended_card_says_it_is_suspended_as_show_does() -> None:
    """A suspended card reset, then `dlcards undo`: the line said "perceptron-1 is due
    tomorrow", of a card no queue holds; it says what `show` says, the card suspended and
    its due date the one it will have once unsuspended."""
    db = Path(os.environ["DLCARDS_DB"])
    today = {"DLCARDS_TODAY": "2026-11-26"}
    _grade_in_study(db, "\n5\n\n4\nq\n")  # perceptron-1 and -2, due tomorrow
    assert runner.invoke(app, ["suspend", "perceptron-1"], env=today).exit_code == 0
    assert runner.invoke(app, ["reset", "perceptron-1", "--yes"], env=today).exit_code == 0
    back = runner.invoke(app, ["undo"], env=today)
    assert back.exit_code == 0, back.output
    shown = " ".join(runner.invoke(app, ["show", "perceptron-1"], env=today).output.split())
    assert "due tomorrow once unsuspended" in shown and shown.endswith("suspended"), shown
    assert back.output.endswith("; perceptron-1 is suspended, due tomorrow once unsuspended\n"), (
        back.output
    )
    # a card not suspended is said as before
    assert runner.invoke(app, ["reset", "perceptron-2", "--yes"], env=today).exit_code == 0
    again = runner.invoke(app, ["undo"], env=today)
    assert again.output.endswith("; perceptron-2 is due tomorrow\n"), again.output
