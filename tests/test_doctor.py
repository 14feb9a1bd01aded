"""Damage caught before a write, `dlcards doctor` (check, repair, restore) and `dlcards backup`:
through the CLI, on databases damaged the way disks and stray writes damage them."""

from __future__ import annotations

import contextlib
import gzip
import json
import os
import re
import sqlite3
import sys
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any
from unittest.mock import patch

import damage
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from dlcards.cli import app
from dlcards.store import backup

runner = CliRunner()
DAY = "2026-11-26"


def study(db: Path, keys: str = "\n5\n\n4\n\n3\nq\n", day: str = DAY) -> object:
    return runner.invoke(app, ["study", "--db", str(db), "--today", day], input=keys)


@pytest.fixture(scope="module")
def studied(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder for the database of one session (and the backup it made), made by the first
    test that asks for it (in that test's isolated environment) and copied by each test."""
    return tmp_path_factory.mktemp("studied")


@pytest.fixture
def db(tmp_path: Path, studied: Path) -> Path:
    import shutil

    made = studied / "made"  # only once the session is studied and checked
    if not made.exists():
        work = studied / "work"
        shutil.rmtree(work, ignore_errors=True)  # what a failed first try left
        work.mkdir()
        result = study(work / "p.db")
        assert result.exit_code == 0, result.output
        assert damage.count(work / "p.db") == 3
        work.rename(made)
    shutil.copytree(made, tmp_path, dirs_exist_ok=True)
    return tmp_path / "p.db"


def one_error_line(output: str) -> str:
    lines = [line for line in output.splitlines() if line.startswith("error:")]
    assert len(lines) == 1, output
    return lines[0]


def forget_daily_check(db: Path) -> None:
    conn = sqlite3.connect(db)
    conn.execute("DELETE FROM meta WHERE key = 'integrity_checked'")
    conn.commit()
    conn.close()


# --- caught before a write ---------------------------------------------------------------------


def test_damaged_log_index_stops_the_first_session_of_the_day_and_nothing_is_written(
    db: Path,
) -> None:
    forget_daily_check(db)  # the first session of a day
    damage.flip_in_index(db, "reviews_card_time")
    assert damage.integrity(db) != ["ok"]
    before = db.read_bytes()
    result = study(db, "\n5\n\n5\nq\n", day="2026-11-27")
    assert result.exit_code == 2
    line = one_error_line(result.output)
    assert "is damaged" in line and "dlcards doctor" in line and "nothing was written" in line
    assert db.read_bytes() == before
    assert damage.count(db) == 3


@pytest.mark.parametrize("command", [["study", "--today", "2026-11-27"], ["suspend", "gd-1"]])
def test_a_table_page_the_day_s_backup_cannot_read_is_said_in_one_line(
    db: Path, command: list[str]
) -> None:
    """A table's page overwritten (here the root of `sm2`, all 0xff): the first write of the
    day backs the database up, and SQLite's backup stops on the page ("database disk image is
    malformed"). Torture run: that was said as a warning that no backup was made, and then the
    check's own read said "corrupt or not a dlcards database": two lines for one damage. Now
    one line, as the check says damage, and nothing written."""
    forget_daily_check(db)  # the first write of a day
    page, size = damage.root_page(db, "sm2")
    with db.open("r+b") as fh:
        fh.seek((page - 1) * size)
        fh.write(b"\xff" * size)
    before = db.read_bytes()
    result = runner.invoke(app, [*command, "--db", str(db)], input="\n5\nq\n")
    assert result.exit_code == 2, result.output
    lines = [line for line in result.output.splitlines() if line.startswith(("error", "warn"))]
    assert len(lines) == 1, result.output
    assert "is damaged (database disk image is malformed); nothing was written" in lines[0]
    assert "dlcards doctor" in lines[0]
    assert db.read_bytes() == before


def test_damaged_memory_index_stops_a_later_session_of_the_same_day(db: Path) -> None:
    # the daily check already ran today; the session tables are checked by every session
    damage.flip_in_index(db, "sm2_due")
    result = study(db, "\n5\nq\n", day="2026-11-27")
    assert result.exit_code == 2
    assert "is damaged" in one_error_line(result.output)
    assert damage.count(db) == 3


def test_damaged_log_stops_a_later_session_of_the_same_day_before_its_first_grade(
    db: Path,
) -> None:
    """The daily check ran today; a later session checks the session tables at once and the
    whole file (the log) in the background while the first card is read: the first grade
    waits for that check and is refused."""
    damage.flip_in_index(db, "reviews_card_time")
    before = db.read_bytes()
    result = study(db, "\n5\n\n5\nq\n", day="2026-11-27")
    assert result.exit_code == 2, result.output
    line = one_error_line(result.output)
    assert "is damaged" in line and "missing from index reviews_card_time" in line
    assert "nothing was written" in line and "dlcards doctor" in line
    assert damage.count(db) == 3 and db.read_bytes() == before
    wal = Path(f"{db}-wal")
    assert not wal.exists() or wal.stat().st_size == 0


def test_damaged_log_stops_a_scheduler_switch_before_it_writes(db: Path) -> None:
    damage.flip_in_index(db, "reviews_card_time")
    before = db.read_bytes()
    result = runner.invoke(app, ["config", "scheduler", "fsrs", "--db", str(db)])
    assert result.exit_code == 2, result.output
    assert "is damaged" in one_error_line(result.output)
    assert db.read_bytes() == before
    conn = sqlite3.connect(db)
    assert conn.execute("SELECT value FROM meta WHERE key = 'scheduler'").fetchall() == []
    conn.close()


@pytest.mark.parametrize("columns", [True, False], ids=["columns", "rows"])
def test_damaged_log_stops_an_anki_import_before_it_writes(db: Path, columns: bool) -> None:
    """An import checks the whole file on a connection of its own while it reads the log in
    its transaction (the daily check done today, so this is the only check of the log): the
    damage found, it writes nothing, and says why in one line."""
    from datetime import date as day_type
    from datetime import datetime, timezone

    from dlcards.errors import StoreError
    from dlcards.grading import merge_rules
    from dlcards.store import Store
    from dlcards.store.rows import ImportedReview, ImportedReviews

    conn = sqlite3.connect(db)
    conn.execute(
        "UPDATE meta SET value = ? WHERE key = 'integrity_checked'",
        (day_type.today().isoformat(),),
    )
    (card,) = conn.execute("SELECT id FROM cards ORDER BY position LIMIT 1").fetchone()
    conn.commit()
    conn.close()
    damage.flip_in_index(db, "reviews_card_time")
    before = db.read_bytes()
    when = datetime(2026, 11, 27, 9, 0, tzinfo=timezone.utc)
    at = int(when.timestamp() * 1000)
    rows = [ImportedReview(card, at, when.isoformat(), when.date(), 4, 3.0)]
    given_rows = (
        ImportedReviews([card], [0], [at], [rows[0].reviewed_at], [when.date().toordinal()],
                        [4], [3.0])
        if columns
        else rows
    )  # fmt: skip
    with Store.open(db) as store:
        ran: list[str] = []
        store.conn.set_trace_callback(ran.append)
        with pytest.raises(StoreError, match="is damaged") as caught:
            store.merge_reviews(given_rows, merge_rules)
        store.conn.set_trace_callback(None)
    assert "missing from index reviews_card_time" in str(caught.value)
    assert "nothing was written" in str(caught.value)
    assert not any(s.startswith("PRAGMA integrity_check") for s in ran)  # in its own thread
    assert damage.count(db) == 3 and db.read_bytes() == before


def test_a_check_reads_while_another_program_writes(
    db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Torture run: with another program in a write transaction (`BEGIN EXCLUSIVE`, which a
    write-ahead log lets readers read through), `dlcards doctor --check` waited 5 s and failed
    "locked": FTS5's own check of the search index is a command written as an INSERT, which
    takes the write lock. A check, which writes nothing, leaves that one out when the lock is
    held, as on a read-only file, and compares the index's rows with the cards; the repair
    still waits for the lock, as any write does."""
    from dlcards.store import doctor

    monkeypatch.setattr(doctor, "BUSY_TIMEOUT_S", 1.5)  # what a repair waits (5 s in use)
    writer = sqlite3.connect(db, isolation_level=None)
    try:
        writer.execute("BEGIN EXCLUSIVE")
        writer.execute("UPDATE meta SET value = value WHERE key = 'deck_signature'")
        checked = runner.invoke(app, ["doctor", "--check", "--db", str(db)])
        assert checked.exit_code == 0, checked.output
        assert "ok        the search index holds every card's text, whole" in checked.output
        assert "No problems found." in checked.output
        repair = runner.invoke(app, ["doctor", "--db", str(db)])
        assert repair.exit_code == 2 and "is locked by another program" in repair.output
    finally:
        writer.execute("ROLLBACK")
        writer.close()


def test_doctor_rebuilds_a_damaged_index_and_study_goes_on(db: Path) -> None:
    damage.flip_in_index(db, "reviews_card_time")
    check = runner.invoke(app, ["doctor", "--check", "--db", str(db)])
    assert check.exit_code == 1
    assert "missing from index reviews_card_time" in check.output
    fixed = runner.invoke(app, ["doctor", "--db", str(db)])
    assert fixed.exit_code == 0, fixed.output
    assert "repaired  integrity" in fixed.output and "indexes rebuilt" in fixed.output
    assert damage.integrity(db) == ["ok"]
    copies = list((db.parent / "backups").glob("p-damaged-*.db"))
    assert len(copies) == 1 and damage.integrity(copies[0]) != ["ok"]  # the damage was kept
    assert study(db, "\n5\nq\n", day="2026-11-27").exit_code == 0
    assert damage.count(db) == 4


def test_doctor_repairs_bad_values_and_states_that_differ_from_the_log(db: Path) -> None:
    conn = sqlite3.connect(db)
    (card,) = conn.execute("SELECT card_id FROM reviews ORDER BY id LIMIT 1").fetchone()
    (other,) = conn.execute("SELECT card_id FROM reviews ORDER BY id LIMIT 1 OFFSET 1").fetchone()
    want = conn.execute("SELECT * FROM sm2 WHERE card_id = ?", (card,)).fetchone()
    conn.execute("UPDATE sm2 SET due = '2026-1:-19' WHERE card_id = ?", (card,))
    conn.execute("UPDATE sm2 SET interval = 99, repetitions = 7 WHERE card_id = ?", (other,))
    conn.commit()
    conn.close()
    shown = runner.invoke(app, ["show", card, "--db", str(db)])
    assert shown.exit_code == 2
    line = one_error_line(shown.output)
    assert f"card {card}: column sm2.due holds '2026-1:-19'" in line and "doctor" in line
    fixed = runner.invoke(app, ["doctor", "--db", str(db)])
    assert fixed.exit_code == 0, fixed.output
    assert "bad stored values" in fixed.output and "differs from the replay" in fixed.output
    conn = sqlite3.connect(db)
    assert conn.execute("SELECT * FROM sm2 WHERE card_id = ?", (card,)).fetchone() == want
    reps, interval = conn.execute(
        "SELECT repetitions, interval FROM sm2 WHERE card_id = ?", (other,)
    ).fetchone()
    conn.close()
    assert (reps, interval) == (1, 1)  # one grade of 4 on a new card: SM-2's n = 1, I = 1
    again = runner.invoke(app, ["doctor", "--check", "--db", str(db)])
    assert again.exit_code == 0 and "No problems found." in again.output


def test_a_repair_replays_a_grade_committed_after_the_check_read_the_log(
    db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A study session grades a card between doctor's check and its repair: the repair
    replays the log as it is when it writes, the new grade included, not the log it checked."""
    import helpers as h

    from dlcards.store import Store

    conn = sqlite3.connect(db)
    (card,) = conn.execute("SELECT card_id FROM reviews ORDER BY id LIMIT 1").fetchone()
    conn.execute("UPDATE sm2 SET interval = 99, repetitions = 7 WHERE card_id = ?", (card,))
    conn.commit()
    conn.close()
    made = backup.make

    def grade_meanwhile(*args: object, **kwargs: object) -> object:
        saved = made(*args, **kwargs)  # type: ignore[arg-type]
        with Store.open(db) as store:  # another terminal, between the check and the repair
            h.grade(store, card, 5, date(2026, 11, 30))
        return saved

    monkeypatch.setattr(backup, "make", grade_meanwhile)
    fixed = runner.invoke(app, ["doctor", "--db", str(db)])
    assert fixed.exit_code == 0, fixed.output
    assert "differs from the replay" in fixed.output
    with Store.open(db) as store:
        assert [e.grade for e in store.history(card)] == [5, 5]
        assert store.memory(card) == h.sched(store).replay(store.history(card))
    again = runner.invoke(app, ["doctor", "--check", "--db", str(db)])
    assert again.exit_code == 0 and "No problems found." in again.output, again.output


def test_doctor_keeps_reviews_whose_card_row_is_gone(db: Path) -> None:
    conn = sqlite3.connect(db)
    (card,) = conn.execute("SELECT card_id FROM reviews ORDER BY id LIMIT 1").fetchone()
    conn.execute("PRAGMA foreign_keys = OFF")
    conn.execute("DELETE FROM cards WHERE id = ?", (card,))
    conn.commit()
    conn.close()
    fixed = runner.invoke(app, ["doctor", "--db", str(db)])
    assert fixed.exit_code == 0, fixed.output
    assert "point to a missing card" in fixed.output
    assert damage.count(db) == 3
    conn = sqlite3.connect(db)
    assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
    conn.close()
    # the next command syncs the decks: the card is back, active, with its history
    shown = runner.invoke(app, ["show", card, "--json", "--db", str(db)])
    assert shown.exit_code == 0 and '"status": "review"' in shown.output


def test_damaged_pages_are_a_problem_a_line_and_not_promised_a_repair(db: Path) -> None:
    """SQLite gives damaged pages as rows of several lines under a heading: each line is one
    problem, in one error line; `--check` does not send the learner to a repair that only
    rebuilds indexes, it names the backup to restore."""
    damage.garble(db)
    check = runner.invoke(app, ["doctor", "--check", "--db", str(db)])
    assert check.exit_code == 1
    assert "btreeInitPage() returns error code 11" in check.output
    assert "***" not in check.output
    assert "Run `dlcards doctor`" not in check.output
    last = check.output.strip().splitlines()[-1]
    assert last.startswith("Doctor cannot repair this: restore the newest backup: dlcards doctor")
    made = runner.invoke(app, ["backup", "--db", str(db)])
    assert made.exit_code == 2
    line = one_error_line(made.output)
    assert "is damaged (Page " in line and "***" not in line and "\\n" not in line


def test_doctor_says_a_missing_table_cannot_be_repaired_and_names_a_backup(db: Path) -> None:
    conn = sqlite3.connect(db)
    conn.execute("DROP TABLE quiz_results")
    conn.commit()
    conn.close()
    graded = study(db, "\n5\nq\n", day="2026-11-27")
    assert graded.exit_code == 2
    assert "table quiz_results is missing" in one_error_line(graded.output)
    result = runner.invoke(app, ["doctor", "--db", str(db)])
    assert result.exit_code == 1
    assert "Not repaired: restore the newest backup: dlcards doctor --restore" in result.output


def test_an_sqlite_error_with_no_message_is_a_corrupt_file() -> None:
    """Python 3.10's sqlite3 gives an SQLite message it cannot decode (a damaged schema's
    bytes) as a DatabaseError with no message, 3.11's as a UnicodeDecodeError: on 3.10 every
    command said `error: database p.db: ` and nothing more (found running the suite on 3.10,
    where the test below covers it too)."""
    from dlcards.store.connection import translate_error

    undecodable = UnicodeDecodeError("utf-8", b"\xa0", 0, 1, "invalid start byte")
    for err in (sqlite3.DatabaseError(), undecodable):
        said = str(translate_error(Path("p.db"), err))
        assert said.startswith("database p.db is corrupt (its schema is not readable text)")
    assert "corrupt" not in str(translate_error(Path("p.db"), sqlite3.OperationalError("x")))


def test_a_schema_byte_that_is_not_text_is_one_line_for_every_command(db: Path) -> None:
    """A flipped byte in the schema's SQL (stored in the file) makes SQLite's error quote
    bytes that are not UTF-8, which the sqlite3 module cannot decode: a UnicodeDecodeError,
    not an SQLite error, came out of every command as a traceback (stress run's byte flips).
    Now each says in one line that the file is corrupt and writes nothing; doctor says what
    stopped its check."""
    data = db.read_bytes()
    at = data.index(b"BEGIN  INSERT INTO due_tally")  # a trigger's body on cards
    db.write_bytes(data[:at] + b"\xa0" + data[at + 1 :])
    damaged = db.read_bytes()
    for args in (["due"], ["due", "--count"], ["stats"], ["show", "gd-23"], ["backup"]):
        result = runner.invoke(app, [*args, "--db", str(db)])
        assert result.exit_code == 2, (args, result.output)
        assert "is corrupt (its schema is not readable text)" in one_error_line(result.output)
    graded = study(db, "\n5\nq\n", day="2026-11-27")
    assert graded.exit_code == 2 and "is corrupt" in one_error_line(graded.output)
    checked = runner.invoke(app, ["doctor", "--check", "--db", str(db)])
    assert checked.exit_code == 1
    assert "SQLite stopped the check: its schema is damaged" in checked.output
    assert db.read_bytes() == damaged


def test_restore_puts_a_backup_back_and_keeps_the_file_it_replaces(db: Path) -> None:
    made = runner.invoke(app, ["backup", "--db", str(db)])
    assert made.exit_code == 0 and "verified" in made.output
    name = backup.backups(db)[0].path.name
    assert study(db, "\n5\nq\n", day="2026-11-27").exit_code == 0
    assert damage.count(db) == 4
    damage.flip_in_index(db, "reviews_card_time")
    result = runner.invoke(app, ["doctor", "--restore", name, "--db", str(db)])
    assert result.exit_code == 0, result.output
    # the damaged file's grade the backup lacks is salvaged into it (card and time)
    assert "restored" in result.output and "4 reviews" in result.output
    assert f"salvaged 1 grade the backup {name} lacked" in result.output
    assert damage.count(db) == 4 and damage.integrity(db) == ["ok"]
    kept = list((db.parent / "backups").glob("p-salvaged-*.db"))
    assert len(kept) == 1 and damage.count(kept[0]) == 4  # the replaced file, with its review
    missing = runner.invoke(app, ["doctor", "--restore", "nope.db.gz", "--db", str(db)])
    assert missing.exit_code == 2 and "no backup nope.db.gz" in one_error_line(missing.output)
    # the command that only lists them (`backup` alone makes one first)
    assert "`dlcards backup --list` lists them" in one_error_line(missing.output)


def test_another_programs_sqlite_file_is_neither_damaged_nor_replaced_by_a_restore(
    db: Path, tmp_path: Path
) -> None:
    """An SQLite file another program made (an Anki collection given as --db) is refused by
    every command; `doctor --check` called it damaged ("tables meta, cards, sm2, reviews are
    missing ... keep the file and ask for help"), and `doctor --restore` replaced it with
    the backup. Both now name it for what it is and leave it as it was."""
    made = runner.invoke(app, ["backup", "--db", str(db)])
    assert made.exit_code == 0, made.output
    name = backup.backups(db)[0].path
    other = tmp_path / "collection.anki2"
    with contextlib.closing(sqlite3.connect(other)) as conn, conn:
        conn.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, flds TEXT)")
        conn.execute("INSERT INTO notes VALUES (1, 'front')")
    before = other.read_bytes()
    checked = runner.invoke(app, ["doctor", "--check", "--db", str(other)])
    assert checked.exit_code == 1, checked.output
    assert "an SQLite file that dlcards did not create" in checked.output
    assert "it is not a dlcards database" in checked.output
    assert "ask for help" not in checked.output and "missing" not in checked.output
    restored = runner.invoke(app, ["doctor", "--restore", str(name), "--db", str(other)])
    assert restored.exit_code == 2, restored.output
    line = one_error_line(restored.output)
    assert "did not create" in line and "nothing was changed" in line, line
    assert other.read_bytes() == before
    assert not list(other.parent.glob("backups/collection*"))  # no copy: nothing replaced


def test_a_second_restore_on_the_same_day_keeps_the_state_before_the_first(
    db: Path, tmp_path: Path
) -> None:
    """Each restore keeps the file it replaces under a name of its own: restoring A, then B,
    on one day leaves the database from before A among the backups."""
    import gzip
    import shutil

    assert study(db, "\n5\nq\n", day="2026-11-27").exit_code == 0  # 4 reviews now
    one, two = tmp_path / "one.db", tmp_path / "two.db"
    shutil.copyfile(db, one)
    assert study(db, "\n5\nq\n", day="2026-11-28").exit_code == 0  # 5
    shutil.copyfile(db, two)
    assert study(db, "\n5\nq\n", day="2026-11-29").exit_code == 0  # 6: the one to keep
    for source in (one, two):
        done = runner.invoke(app, ["doctor", "--restore", str(source), "--db", str(db)])
        assert done.exit_code == 0, done.output
    assert damage.count(db) == 5
    saved = sorted((db.parent / "backups").glob("p-before-restore-*.db.gz"))
    assert len(saved) == 2, saved
    counts = []
    for path in saved:
        plain = tmp_path / f"{path.name}.db"
        plain.write_bytes(gzip.decompress(path.read_bytes()))
        counts.append(damage.count(plain))
    assert sorted(counts) == [4, 6]
    assert {b.path for b in backup.backups(db)} >= set(saved)  # listed, and rotated as events


def test_doctor_on_a_read_only_database_checks_it_and_says_read_only_for_a_repair(
    db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A sound database that cannot be written is sound (no "damaged", no restore advice);
    one that needs a repair gets one line saying it is read-only."""
    from dlcards.store import doctor

    monkeypatch.setattr(
        doctor,
        "_connect",
        lambda path: sqlite3.connect(f"file:{path}?mode=ro", uri=True, isolation_level=None),
    )
    sound = runner.invoke(app, ["doctor", "--db", str(db)])
    assert sound.exit_code == 0 and "No problems found." in sound.output, sound.output
    conn = sqlite3.connect(db)
    conn.execute("UPDATE sm2 SET interval = 77 WHERE card_id = (SELECT min(card_id) FROM reviews)")
    conn.commit()
    conn.close()
    stuck = runner.invoke(app, ["doctor", "--db", str(db)])
    assert stuck.exit_code == 2
    assert "is read-only" in one_error_line(stuck.output) and "restore" not in stuck.output


def test_a_damaged_backup_is_refused_for_restore(db: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.db.gz"
    bad.write_bytes(gzip.compress(b"SQLite format 3\x00" + b"\x00" * 5000))
    result = runner.invoke(app, ["doctor", "--restore", str(bad), "--db", str(db)])
    assert result.exit_code == 2
    assert damage.count(db) == 3


# --- backups -----------------------------------------------------------------------------------


def test_the_first_write_of_a_day_makes_a_verified_backup(db: Path) -> None:
    found = backup.backups(db)
    assert [b.kind for b in found] == ["daily"]
    assert found[0].path.name == f"p-{date.today().isoformat()}.db.gz"
    restored = db.parent / "r.db"
    backup.unpack(found[0].path, restored)
    assert damage.integrity(restored) == ["ok"]
    # made before the session's first write: the database as it was, without its grades
    assert damage.count(restored) == 0


@pytest.mark.waits
@pytest.mark.parametrize("emptied", [False, True])
def test_a_database_deleted_or_emptied_by_mistake_does_not_replace_its_backups(
    db: Path, emptied: bool
) -> None:
    """Deleted, a new database is made with a note naming the newest backup; emptied (a
    shell's `>`, a failed copy), it is refused with the same pointer. The new database's
    first study does not back up its empty log in place of the day's backup of the old."""
    forget_daily_check(db)
    assert study(db, "\n5\nq\n", day="2026-11-27").exit_code == 0
    [kept] = backup.backups(db)  # today's, made before that grade: the first three
    restored = db.parent / "r.db"
    backup.unpack(kept.path, restored)
    assert damage.count(restored) == 3
    held = kept.path.read_bytes()
    for end in ("", "-wal", "-shm"):
        Path(f"{db}{end}").unlink(missing_ok=True)
    if emptied:
        db.write_bytes(b"")
        refused = study(db, "\n5\nq\n", day="2026-11-28")
        assert refused.exit_code == 2
        line = one_error_line(refused.output)
        assert "is an empty file, and backups of it are in" in line
        assert f"`dlcards doctor --restore {kept.path.name}` puts the newest back" in line
        assert db.read_bytes() == b""
        db.unlink()
    again = study(db, "\n5\nq\n", day="2026-11-28")
    assert again.exit_code == 0, again.output
    assert "note: there was no database at" in again.output
    assert f"`dlcards doctor --restore {kept.path.name}` puts the newest back" in again.output
    assert damage.count(db) == 1
    assert [b.path.read_bytes() for b in backup.backups(db)] == [held]
    later = study(db, "\n5\nq\n", day="2026-11-28")
    assert later.exit_code == 0 and "note:" not in later.output  # said once, when made


def test_backup_of_a_damaged_database_is_refused_and_the_good_one_kept(db: Path) -> None:
    good = backup.backups(db)[0].path.read_bytes()
    damage.flip_in_index(db, "reviews_card_time")
    result = runner.invoke(app, ["backup", "--db", str(db)])
    assert result.exit_code == 2
    assert "is damaged" in one_error_line(result.output)
    assert [b.path.read_bytes() for b in backup.backups(db)] == [good]
    assert not [p for p in (db.parent / "backups").iterdir() if p.name.endswith(".tmp")]


def test_a_backup_checked_while_it_is_compressed_reports_damage_first(
    db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The check and the compression run at once: a damaged database that also meets a full
    disk is reported as damaged; a sound one that meets a full disk as the disk's error; in
    both, nothing is put in place and no temporary file is left."""
    import errno
    import sqlite3

    good = backup.backups(db)[0].path.read_bytes()

    def full(source: Path, target: Path) -> str:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(backup, "_compress", full)
    conn = sqlite3.connect(db)
    try:
        with pytest.raises(OSError, match="No space left"):
            backup.make(conn, db, date(2031, 1, 1))
    finally:
        conn.close()
    damage.flip_in_index(db, "reviews_card_time")
    conn = sqlite3.connect(db)
    try:
        with pytest.raises(backup.DamagedError, match="is damaged"):
            backup.make(conn, db, date(2031, 1, 2))
    finally:
        conn.close()
    assert [b.path.read_bytes() for b in backup.backups(db)] == [good]
    assert not [p for p in (db.parent / "backups").iterdir() if p.name.endswith(".tmp")]


def test_rotation_keeps_7_daily_4_weekly_12_monthly(tmp_path: Path) -> None:
    db = tmp_path / "p.db"
    folder = backup.folder_of(db)
    folder.mkdir()
    day = date(2025, 11, 1)
    while day <= date(2026, 12, 2):
        (folder / f"p-{day.isoformat()}.db.gz").write_bytes(b"x")
        day = date.fromordinal(day.toordinal() + 1)
    events = {"schema-3": "2026-06-01", "doctor": "2026-07-01", "restore": "2026-08-01"}
    for event, when in {**events, "schema-4": "2026-09-01"}.items():
        (folder / f"p-before-{event}-{when}.db.gz").write_bytes(b"x")
    backup.rotate(db, date(2026, 12, 2))
    kept = sorted(p.name for p in folder.iterdir())
    # worked out by hand: 2026-12-02 is a Wednesday (ISO week 49)
    days = [f"2026-11-{d}" for d in range(26, 31)] + ["2026-12-01", "2026-12-02"]
    weeks = ["2026-11-15", "2026-11-22"]  # weeks 46 and 47 (48 and 49 are in the days)
    months = ["2026-01-31", "2026-02-28", "2026-03-31", "2026-04-30", "2026-05-31"]
    months += ["2026-06-30", "2026-07-31", "2026-08-31", "2026-09-30", "2026-10-31"]
    newest_events = ["p-before-doctor-2026-07-01.db.gz", "p-before-restore-2026-08-01.db.gz"]
    newest_events += ["p-before-schema-4-2026-09-01.db.gz"]  # the newest 3 of the 4
    want = sorted([f"p-{d}.db.gz" for d in days + weeks + months] + newest_events)
    assert kept == want


@pytest.mark.parametrize("event", [None, "reset", backup.MANUAL])
def test_a_backup_dated_before_those_kept_is_kept_once_made(db: Path, event: str | None) -> None:
    """A backup whose date is older than every one rotation keeps of its kind (made for a past
    day, or with the clock set back): rotation deleted it the moment it was made, and `make`
    failed on it ("No such file or directory"), so a reset was refused. It is the state of now:
    kept, and what it returns is there."""
    import sqlite3

    folder = backup.folder_of(db)
    newer = {None: "p-{}.db.gz", "reset": "p-before-reset-{}.db.gz"}.get(event, "p-manual-{}.db.gz")
    for month in range(14):  # 14 months of days after it: more than every kind keeps
        for n in (1, 9, 17, 25):
            when = date(2024 + (month + 1) // 12, (month + 1) % 12 + 1, n)
            (folder / newer.format(when.isoformat())).write_bytes(b"x")
    conn = sqlite3.connect(db)
    try:
        made = backup.make(conn, db, date(2024, 1, 5), event)
    finally:
        conn.close()
    assert made.path.exists() and made.size > 0
    assert made.path in [b.path for b in backup.backups(db)]


def test_a_manual_backup_never_replaces_another_and_a_reset_makes_one_first(db: Path) -> None:
    """`dlcards backup` twice in a day: the day's automatic backup (the state before the
    day's first write) and the first manual one stay; `reset` of studied cards backs up the
    state it changes first, a reset of cards that are new does not."""
    day = date.today().isoformat()
    daily = backup.backups(db)[0].path
    first = daily.read_bytes()
    for _ in range(2):
        result = runner.invoke(app, ["backup", "--db", str(db)])
        assert result.exit_code == 0, result.output
    names = sorted(b.path.name for b in backup.backups(db))
    assert names == [f"p-{day}.db.gz", f"p-manual-{day}-2.db.gz", f"p-manual-{day}.db.gz"]
    assert daily.read_bytes() == first
    listed = runner.invoke(app, ["backup", "--list", "--db", str(db)]).output
    assert "manual" in listed and "3 backups of" in listed
    studied = damage.count(db)
    result = runner.invoke(app, ["reset", "--all", "--yes", "--db", str(db)])
    assert result.exit_code == 0, result.output
    before = [b for b in backup.backups(db) if "before-reset" in b.path.name]
    assert [b.kind for b in before] == ["event"]
    restored = db.parent / "r.db"
    backup.unpack(before[0].path, restored)
    assert damage.count(restored) == studied  # the log, and the schedule the reset changed
    result = runner.invoke(app, ["reset", "--all", "--yes", "--db", str(db)])
    assert "nothing to reset" in result.output
    assert len([b for b in backup.backups(db) if "before-reset" in b.path.name]) == 1
    for _ in range(3):  # rotation: the newest 3 manual backups
        runner.invoke(app, ["backup", "--db", str(db)])
    manual = [b.path.name for b in backup.backups(db) if b.kind == "manual"]
    assert manual == [f"p-manual-{day}-{n}.db.gz" for n in (5, 4, 3)]  # newest first
    assert daily.exists()


def test_a_backup_dated_ahead_is_not_the_newest(db: Path) -> None:
    """A backup made while the clock was set a year ahead was "the newest" for a year: the
    damaged-database advice named it, and restoring it would lose every day since. It is listed
    last, marked, and rotation counts it after the others (it kept one of the 7 days)."""
    from dlcards.store.connection import _backups_beside

    folder = backup.folder_of(db)
    today = date.today()
    ahead = folder / f"p-{date(today.year + 1, 1, 1).isoformat()}.db.gz"
    ahead.write_bytes((folder / f"p-{today.isoformat()}.db.gz").read_bytes())
    found = backup.backups(db)
    assert [b.path for b in found][-1] == ahead and len(found) == 2
    assert f"--restore p-{today.isoformat()}.db.gz" in (_backups_beside(db) or "")
    listed = runner.invoke(app, ["backup", "--list", "--db", str(db)]).output.splitlines()
    assert listed[-1].endswith(
        f"{ahead.name}  (dated after today: made while the clock was set ahead)"
    )
    assert "set ahead" not in "".join(listed[:-1])
    # a week of daily backups since: the one dated ahead takes none of the 7 days' places
    week = [
        folder / f"p-{date.fromordinal(today.toordinal() - n).isoformat()}.db.gz"
        for n in range(1, 7)
    ]
    for path in week:
        path.write_bytes(b"x")
    backup.rotate(db)
    assert all(path.exists() for path in week)


def test_backup_lists_what_it_keeps(db: Path) -> None:
    result = runner.invoke(app, ["backup", "--list", "--db", str(db)])
    assert result.exit_code == 0
    assert "1 backup of" in result.output and "daily" in result.output


@pytest.mark.parametrize(
    ("make", "what"),
    [
        (lambda f: f.symlink_to(f.name), "a symbolic link loop"),
        (lambda f: f.symlink_to("nowhere"), "a broken symbolic link"),
        (lambda f: f.write_text("x"), "a file"),
    ],
)
def test_a_backups_folder_that_is_not_a_folder_is_named(db: Path, make, what: str) -> None:  # type: ignore[no-untyped-def]
    """mkdir says only "File exists" when something else has the folder's name."""
    import shutil

    folder = db.parent / "backups"
    shutil.rmtree(folder)
    make(folder)
    result = runner.invoke(app, ["backup", "--db", str(db)])
    assert result.exit_code == 2
    assert one_error_line(result.output) == (
        f"error: cannot back up {db}: {folder} is {what}, not a folder"
    )


def test_a_migration_is_preceded_by_a_backup(tmp_path: Path) -> None:
    db = tmp_path / "old.db"
    assert study(db).exit_code == 0
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA user_version = 4")  # an older dlcards' database: it gets upgraded
    conn.commit()
    conn.close()
    assert runner.invoke(app, ["due", "--db", str(db), "--today", DAY]).exit_code == 0
    events = [b for b in backup.backups(db) if b.kind == "event"]
    assert [b.path.name for b in events] == [f"old-before-schema-4-{date.today()}.db.gz"]
    copy = tmp_path / "copy.db"
    backup.unpack(events[0].path, copy)
    conn = sqlite3.connect(copy)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == 4
    conn.close()
    assert damage.count(copy) == 3


def test_doctor_gives_a_review_without_its_time_its_place_in_the_log(db: Path) -> None:
    conn = sqlite3.connect(db)
    (card,) = conn.execute("SELECT card_id FROM reviews ORDER BY id LIMIT 1").fetchone()
    want = conn.execute("SELECT at FROM reviews WHERE card_id = ?", (card,)).fetchone()
    conn.execute("UPDATE reviews SET at = NULL WHERE card_id = ?", (card,))
    conn.commit()
    conn.close()
    check = runner.invoke(app, ["doctor", "--check", "--db", str(db)])
    assert check.exit_code == 1 and "1 review without a time" in check.output
    fixed = runner.invoke(app, ["doctor", "--db", str(db)])
    assert fixed.exit_code == 0, fixed.output
    conn = sqlite3.connect(db)
    assert conn.execute("SELECT at FROM reviews WHERE card_id = ?", (card,)).fetchone() == want
    conn.close()


def test_a_deck_sync_checks_the_tables_it_changes_and_a_later_write_the_rest(db: Path) -> None:
    """A sync that adds no card checks only the cards (and meta) before writing; with a damaged
    memory index it goes through, and the next write to the memories (a grade) is refused. A
    sync that adds a card writes memories: it is refused before writing anything."""
    from datetime import datetime, timezone

    from dlcards.deck import Card
    from dlcards.store import Store
    from dlcards.store.connection import SESSION_TABLES
    from tests.helpers import grade

    now = datetime(2026, 11, 26, 9, 0, tzinfo=timezone.utc)
    with Store.open(db) as store:
        cards = [
            Card(id=r[0], topic=r[1], question="q", answer="a")
            for r in store.query("SELECT id, topic FROM cards WHERE retired = 0 ORDER BY position")
        ]
    damage.flip_in_index(db, "sm2_due")
    with Store.open(db) as store:
        checked: list[str] = []
        store.conn.set_trace_callback(checked.append)
        store.sync(cards, "edited", now)  # every card's text changed, none added
        store.conn.set_trace_callback(None)
        ran = [s for s in checked if s.startswith("PRAGMA integrity_check")]
        assert ran == ["PRAGMA integrity_check('meta')", "PRAGMA integrity_check('cards')"]
        assert store.get_meta("deck_signature") == "edited"
        with pytest.raises(Exception, match="is damaged"):
            grade(store, cards[0].id, 4, date(2026, 11, 27))
    assert set(SESSION_TABLES) > {"meta", "cards"}
    before = damage.count(db)
    with Store.open(db) as store:
        with pytest.raises(Exception, match="is damaged"):
            store.sync(
                [*cards, Card(id="brand-new", topic="t", question="q", answer="a")], "more", now
            )
        assert store.get_meta("deck_signature") == "edited"
        assert store.query("SELECT count(*) FROM cards WHERE id = 'brand-new'") == [(0,)]
    assert damage.count(db) == before


def test_a_sync_waits_for_the_background_check_of_the_cards_only_when_it_changes_one(
    db: Path,
) -> None:
    """The cards' check runs in a thread while the decks are parsed. A deck file saved with no
    card changed writes only meta: it goes through without the check's result. A sync that
    changes a card waits for the check and, the cards' index damaged, writes nothing."""
    from datetime import datetime, timezone

    from dlcards.deck import Card
    from dlcards.store import Store
    from dlcards.store.rows import DeckPart

    now = datetime(2026, 11, 26, 9, 0, tzinfo=timezone.utc)
    with Store.open(db) as store:
        rows = store.query("SELECT id, topic FROM cards WHERE retired = 0 ORDER BY position")
        cards = [Card(id=r[0], topic=r[1], question="q", answer="a") for r in rows]
        store.sync_decks([DeckPart("all", "v1", lambda: cards)], "v1", now)
    damage.flip_in_index(db, "cards_topic")
    with Store.open(db) as store:
        assert store.check_tables_in_background(["cards"])
        result = store.sync_decks([DeckPart("all", "v2", lambda: cards)], "v2", now)
        assert (result.added, result.updated, result.retired) == (0, 0, 0)
        assert store.get_meta("deck_signature") == "v2"  # meta only: no card written
    edited = [cards[0]._replace(answer="fixed"), *cards[1:]]
    with Store.open(db) as store:
        assert store.check_tables_in_background(["cards"])
        with pytest.raises(Exception, match="is damaged"):
            store.sync_decks([DeckPart("all", "v3", lambda: edited)], "v3", now)
        assert store.get_meta("deck_signature") == "v2"
        old = store.query("SELECT content_hash FROM cards WHERE id = ?", (cards[0].id,))
        assert old == [(cards[0].content_hash,)]


def test_a_setting_or_a_quiz_answer_checks_only_the_tables_it_writes(db: Path) -> None:
    """meta, sessions and quiz_results have no triggers: a setting checks meta alone and a quiz
    session its own two tables before writing, so with a damaged memory index they go through
    (at 100,000 cards the memories' check is ~0.45 s of such a command); a grade, which writes
    the memories, is still refused."""
    from datetime import datetime, timezone

    from dlcards.store import Store
    from tests.helpers import grade

    now = datetime(2026, 11, 26, 9, 0, tzinfo=timezone.utc)
    with Store.open(db) as store:
        card = store.query("SELECT id FROM cards WHERE retired = 0 LIMIT 1")[0][0]
    damage.flip_in_index(db, "sm2_due")
    with Store.open(db) as store:
        checked: list[str] = []
        store.conn.set_trace_callback(checked.append)
        store.set_setting("new_per_day", "30")
        session = store.start_session("quiz", date(2026, 11, 26), now)
        store.record_quiz_answer(session, card, "self", True, None, None, now)
        store.end_session(session, now)
        store.conn.set_trace_callback(None)
        ran = [s for s in checked if s.startswith("PRAGMA integrity_check")]
        assert ran == [
            "PRAGMA integrity_check('meta')",
            "PRAGMA integrity_check('sessions')",
            "PRAGMA integrity_check('quiz_results')",
        ]
        assert store.get_meta("new_per_day") == "30"
        with pytest.raises(Exception, match="is damaged"):
            grade(store, card, 4, date(2026, 11, 27))


@pytest.mark.parametrize("parallel", [True, False], ids=["two-connections", "one-connection"])
@pytest.mark.parametrize("index", ["sm2_due", "cards_active", "fsrs_due"])
def test_a_damaged_session_table_stops_a_reset_before_it_writes(
    db: Path, monkeypatch: pytest.MonkeyPatch, index: str, parallel: bool
) -> None:
    """The session tables a write changes are checked before a process's first write: on two
    connections at once in a big file (forced here for a small one), on one otherwise; either
    way a damaged index of any of them stops the write and is named. A reset writes the card
    and both memories."""
    from dlcards.store import connection

    monkeypatch.setattr(connection, "PARALLEL_CHECK_BYTES", 0 if parallel else 1 << 62)
    monkeypatch.setattr(connection, "cores", lambda: 2)
    damage.flip_in_index(db, index)
    before = db.read_bytes()
    result = runner.invoke(app, ["reset", "gd-23", "--yes", "--db", str(db)])
    assert result.exit_code == 2, result.output
    line = one_error_line(result.output)
    assert "is damaged" in line and f"index {index}" in line and "nothing was written" in line
    assert db.read_bytes() == before


@pytest.mark.parametrize("index", ["reviews_card_time", "sm2_due"])
@pytest.mark.parametrize("args", [["reset", "gd-23"], ["reset", "--all"]])
def test_a_damaged_database_stops_a_reset_before_it_asks(
    db: Path, monkeypatch: pytest.MonkeyPatch, index: str, args: list[str]
) -> None:
    """Torture run: `dlcards reset ID` on a terminal, its database damaged, asked "Reset card
    ... to new? [y/N]", and only after a `y` said the database is damaged (the backup made
    before a reset, or the check of the tables it writes, found it). A refusal comes before
    any question now: the damage in a memory table, and for a big reset (made after a full
    backup, which checks the whole file) in the log too."""
    import typer.testing

    import dlcards.stdio

    asked: list[str] = []
    monkeypatch.setattr(dlcards.stdio, "confirm", lambda question, **_: asked.append(question))
    # the runner's standard input, as a terminal's: reset asks there (and its stderr, where
    # the line would be wrapped at the terminal's width: one wide enough for a long path)
    monkeypatch.setattr(typer.testing._NamedTextIOWrapper, "isatty", lambda self: True)
    monkeypatch.setenv("COLUMNS", "500")
    damage.flip_in_index(db, index)
    before = db.read_bytes()
    result = runner.invoke(app, [*args, "--db", str(db)])
    assert db.read_bytes() == before
    if args[1] != "--all" and index.startswith("reviews"):
        # a reset of a few cards keeps what it overwrites in its record, not in a full
        # backup, and writes no log row: as `suspend`, it checks the tables it writes, and
        # the log's damage is told by the next session's check or the day's
        assert asked and result.exit_code == 1, result.output
        return
    assert result.exit_code == 2, result.output
    line = one_error_line(result.output)
    assert f"database {db} is damaged" in line and f"index {index}" in line, line
    assert asked == []


def test_a_locked_database_stops_a_reset_before_it_asks(
    db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A write lock another program holds (a test's BEGIN IMMEDIATE) is found before the
    question too: one line, no question, nothing written."""
    import typer.testing

    import dlcards.stdio
    from dlcards.store import connection

    monkeypatch.setattr(connection, "BUSY_TIMEOUT_S", 0.2)  # the lock's wait, not 5 s
    asked: list[str] = []
    monkeypatch.setattr(dlcards.stdio, "confirm", lambda question, **_: asked.append(question))
    monkeypatch.setattr(typer.testing._NamedTextIOWrapper, "isatty", lambda self: True)
    monkeypatch.setenv("COLUMNS", "500")  # the line whole, however long its path
    runner.invoke(app, ["due", "--db", str(db)])  # synced, and the day's check made
    with contextlib.closing(sqlite3.connect(db, isolation_level=None)) as other:
        other.execute("BEGIN IMMEDIATE")
        result = runner.invoke(app, ["reset", "gd-23", "--db", str(db)])
    assert result.exit_code == 2, result.output
    assert "is locked by another program" in one_error_line(result.output)
    assert asked == []


def test_a_lock_taken_while_resets_question_is_on_screen_is_waited_for_saying_so(
    db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Reported by the last round: another program took the write lock while `reset`'s y/N
    question was on screen; the learner answered y, and the reset waited the busy timeout in
    silence, then failed ("locked by another program"), the answer lost. It waits now as a
    grade does: one line says that another dlcards is writing and that the reset is kept
    (Ctrl-C to give up), and the reset is made once the lock is let go."""
    import threading
    import time

    import typer.testing

    import dlcards.stdio
    import dlcards.terminal
    from dlcards.store import connection

    monkeypatch.setattr(connection, "BUSY_TIMEOUT_S", 0.3)  # the lock's wait, not 5 s
    monkeypatch.setattr(typer.testing._NamedTextIOWrapper, "isatty", lambda self: True)
    monkeypatch.setenv("COLUMNS", "500")
    runner.invoke(app, ["due", "--db", str(db)])  # synced, and the day's check made
    other = sqlite3.connect(db, isolation_level=None, check_same_thread=False)

    def answered_y(question: str, **_: object) -> bool:  # the lock taken meanwhile
        other.execute("BEGIN IMMEDIATE")
        threading.Timer(2.0, lambda: other.execute("ROLLBACK")).start()
        return True

    monkeypatch.setattr(dlcards.stdio, "confirm", answered_y)
    # (CliRunner's input has no descriptor to hold keys on, though it says it is a terminal)
    monkeypatch.setattr(dlcards.terminal, "keys_held", lambda **_: contextlib.nullcontext())
    with contextlib.closing(other):
        start = time.monotonic()
        result = runner.invoke(app, ["reset", "gd-23", "--db", str(db)])
        took = time.monotonic() - start
    assert result.exit_code == 0, result.output
    assert "waiting for another program to finish writing" in result.output, result.output
    assert "the reset you answered y to is kept" in result.output, result.output
    assert "reset card gd-23" in result.output or "nothing to reset" in result.output
    assert took >= 1.9, took  # it waited for the lock, not failed
    assert "Traceback" not in result.output


def test_a_suspension_or_a_setting_checks_only_the_tables_it_writes(db: Path) -> None:
    """`suspend` and `unsuspend` write a card's flag, a `config` that rebuilds no memory
    writes meta: with a damaged memory index they go through having checked those tables
    alone (at 100,000 cards the memories' check took ~0.45 s of each such command, and
    `config new_per_day` checked them all, as a setting written by `set_setting` did not).
    A reset, which writes the memories, is refused; so is a setting that rebuilds them."""
    from dlcards.commands.common import replay_for
    from dlcards.store import Store

    damage.flip_in_index(db, "sm2_due")
    with Store.open(db) as store:
        checked: list[str] = []
        store.conn.set_trace_callback(checked.append)
        assert store.change_setting("new_per_day", "30", replay_for) is None
        assert store.set_suspended(["gd-23"], True) == ["gd-23"]
        store.conn.set_trace_callback(None)
        ran = [s for s in checked if s.startswith("PRAGMA integrity_check")]
        assert ran == ["PRAGMA integrity_check('meta')", "PRAGMA integrity_check('cards')"]
    for args in (["config", "new_per_day", "25"], ["unsuspend", "gd-23"], ["suspend", "gd-23"]):
        result = runner.invoke(app, [*args, "--db", str(db)])
        assert result.exit_code == 0, (args, result.output)
    before = db.read_bytes()
    for args in (["reset", "gd-23", "--yes"], ["config", "scheduler", "fsrs"]):
        result = runner.invoke(app, [*args, "--db", str(db)])
        assert result.exit_code == 2, (args, result.output)
        assert "is damaged" in one_error_line(result.output), args
    assert db.read_bytes() == before
    conn = sqlite3.connect(db)
    assert conn.execute("SELECT value FROM meta WHERE key = 'new_per_day'").fetchone() == ("25",)
    assert conn.execute("SELECT suspended FROM cards WHERE id = 'gd-23'").fetchone() == (1,)
    conn.close()


@pytest.mark.parametrize("damaged", [False, True], ids=["sound", "damaged"])
def test_a_setting_that_rebuilds_only_after_another_config_is_checked_as_a_rebuild(
    db: Path, damaged: bool
) -> None:
    """`config desired_retention 0.85` read the settings under SM-2 (nothing to rebuild: meta
    alone checked), and another `config scheduler fsrs` committed before its write began:
    inside its transaction the change rebuilds every FSRS memory. It starts again (nothing
    written) and is checked as a rebuild is, the whole file: a damaged memory index refuses it
    with nothing written; a sound file gets the retention and the rebuilt memories."""
    from dlcards.commands.common import replay_for
    from dlcards.store import Store

    if damaged:
        damage.flip_in_index(db, "sm2_due")
    with Store.open(db) as store:
        stale = store.stored_settings()
        reads = [stale]  # the read before the other `config`; later reads see the file
        real = store.stored_settings
        store.stored_settings = lambda: reads.pop() if reads else real()  # type: ignore[method-assign]
        other = sqlite3.connect(db)
        other.execute("INSERT INTO meta (key, value) VALUES ('scheduler', 'fsrs')")
        other.commit()
        other.close()
        before = _memories_and_meta(db)
        checked: list[str] = []
        store.conn.set_trace_callback(checked.append)
        if damaged:
            with pytest.raises(Exception, match="is damaged"):
                store.change_setting("desired_retention", "0.85", replay_for)
        else:
            assert store.change_setting("desired_retention", "0.85", replay_for) == 3
        store.conn.set_trace_callback(None)
        ran = [s for s in checked if s.startswith("PRAGMA integrity_check")]
        assert ran[0] == "PRAGMA integrity_check('meta')"
        # then the whole file's check (no table named), before any write
        assert [
            re.fullmatch(r"PRAGMA integrity_check(\(\d+\))?", s) is not None for s in ran[1:]
        ] == [True]
        retention = store.get_meta("desired_retention")
        states = store.query("SELECT count(*) FROM fsrs WHERE stability IS NOT NULL")[0][0]
    if damaged:  # (the file's bytes may change: the other `config`'s commit checkpointed)
        assert retention is None and _memories_and_meta(db) == before
    else:
        assert retention == "0.85" and states == 3


def _memories_and_meta(db: Path) -> list[Any]:
    with contextlib.closing(sqlite3.connect(db)) as conn:
        return [
            conn.execute(f"SELECT * FROM {t} ORDER BY 1").fetchall()
            for t in ("meta", "sm2", "fsrs")
        ]


@pytest.mark.parametrize("parallel", [True, False], ids=["two-connections", "one-connection"])
def test_a_sound_database_passes_the_table_checks(
    db: Path, monkeypatch: pytest.MonkeyPatch, parallel: bool
) -> None:
    from dlcards.store import connection

    monkeypatch.setattr(connection, "PARALLEL_CHECK_BYTES", 0 if parallel else 1 << 62)
    result = runner.invoke(app, ["suspend", "gd-23", "--db", str(db)])
    assert result.exit_code == 0, result.output
    conn = sqlite3.connect(db)
    assert conn.execute("SELECT suspended FROM cards WHERE id = 'gd-23'").fetchone() == (1,)
    conn.close()


@given(
    st.dictionaries(
        st.text("abc", min_size=1, max_size=3),
        st.lists(st.tuples(st.integers(0, 400), st.integers(0, 5)), max_size=12),
        max_size=8,
    ),
    st.sampled_from(["sm2", "fsrs"]),
)
@settings(max_examples=60, deadline=None)
def test_doctors_replay_of_every_card_at_once_is_the_replay_of_each(
    raw: dict[str, list[tuple[int, int]]], scheduler: str
) -> None:
    """doctor replays every card at once on arrays when SM-2 is the only kept scheduler:
    the same memories as card by card (and, with FSRS kept, it declines)."""
    from datetime import timedelta

    from dlcards.commands.doctor import _replay_for
    from dlcards.memory import FsrsState, Memory
    from dlcards.store.rows import LogEntry

    start = date(2026, 1, 1)
    logs = {
        cid: [LogEntry(start + timedelta(days=d), g) for d, g in sorted(rows)]
        for cid, rows in raw.items()
    }
    stored = {cid: Memory(fsrs=FsrsState(stability=3.0, difficulty=5.0)) for cid in logs}
    replay = _replay_for({"scheduler": scheduler})
    with patch("dlcards.commands.doctor.ARRAYS_FROM", 0):  # arrays however short the log
        many = replay.many(logs, stored)
    if scheduler == "fsrs" or not logs:
        assert many is None
        return
    assert many == {cid: replay(logs[cid], stored[cid]) for cid in logs}
    assert replay.many(logs, stored) is None  # and card by card below 10,000 reviews


def test_a_session_open_across_a_restore_keeps_its_grades_and_undoes_only_its_own(
    db: Path,
) -> None:
    """Torture run 2: after `doctor --restore`, an open session's undo deleted the review
    another terminal had just written under a reused id (and said it undid its own), and its
    next grade failed with "FOREIGN KEY constraint failed" (its session row was not in the
    backup) and was lost. Restores now keep the id counters, the undo checks the row is the
    grade it logged, and a grade puts its session row back."""
    from datetime import datetime, timezone

    import helpers as h

    from dlcards.session import Limits, StudySession
    from dlcards.store import Store
    from dlcards.store.doctor import restore

    made = runner.invoke(app, ["backup", "--db", str(db)])
    assert made.exit_code == 0, made.output
    saved = backup.backups(db)[0].path
    now = datetime(2026, 11, 27, 9, tzinfo=timezone.utc)
    with Store.open(db) as mine, Store.open(db) as other:
        session = StudySession(mine, None, date(2026, 11, 27), lambda: now, Limits(new=5))
        first = session.grade(h.Grade(4))  # after the backup: not in it
        before_max = damage.count(db)
        restore(db, saved, now)
        assert damage.count(db) == 3  # the backup's three reviews
        theirs = h.grade(other, "gd-1", 5, date(2026, 11, 27))
        assert theirs.id > first.id  # never an id handed out before the restore
        second = session.grade(h.Grade(5))  # its session row is back: saved
        assert second.id > theirs.id and before_max == 4
        # what the summary says: 2 grades given, 1 still in the log (torture run 3)
        assert session.session_id is not None and session.summary.reviews == 2
        assert mine.session_reviews(session.session_id) == 1
        undone = session.undo()
        assert undone is not None and undone[0].id == second.id and undone[1]
        undone = session.undo()  # `first` is not in the restored log: nothing deleted
        assert undone is not None and undone[0].id == first.id and not undone[1]
        ids = [r[0] for r in other.query("SELECT id FROM reviews")]
        assert theirs.id in ids and first.id not in ids and second.id not in ids
        # an undo by an id that now holds another grade deletes nothing
        gone = mine.undo(theirs.id, lambda s: (h.sched(mine).replay, None), expect=first)
        assert gone is None and theirs.id in [r[0] for r in other.query("SELECT id FROM reviews")]


def test_restoring_an_empty_file_says_it_is_empty(db: Path, tmp_path: Path) -> None:
    """Torture run 2 (f9.sh): an empty file was "not a dlcards database this version reads",
    which suggests a version mismatch."""
    empty = tmp_path / "empty.db"
    empty.write_bytes(b"")
    done = runner.invoke(app, ["doctor", "--restore", str(empty), "--db", str(db)])
    assert done.exit_code == 2
    assert f"backup {empty} is an empty file" in one_error_line(done.output)
    assert damage.count(db) == 3


@pytest.mark.parametrize(
    ("harm", "said"),
    [
        (
            "DELETE FROM card_search_data WHERE id > 10",  # FTS5's own pages, gone
            "the search index is damaged (FTS5's check: database disk image is malformed)",
        ),
        ("DELETE FROM card_search WHERE rowid = 5", "the search index misses 1 card"),
        (
            "UPDATE card_search SET question = 'nothing' WHERE rowid IN (7, 8)",
            "the search index holds other text than was indexed for 2 cards",
        ),
        (
            "INSERT INTO card_search (rowid, card_id, question) VALUES (99999, 'zz', 'ghost')",
            "the search index has 1 row of no active card",
        ),
    ],
)
def test_doctor_finds_a_damaged_search_index_and_makes_it_again(
    db: Path, harm: str, said: str
) -> None:
    """SQLite's integrity check does not look inside FTS5's index: doctor asks FTS5 itself, and
    checks that each active card has its row, with the text its digest names. The repair makes
    the index again, empty; the next command's sync fills it from the decks."""

    def found(word: str) -> list[str]:
        result = runner.invoke(app, ["search", word, "--db", str(db), "-n", "500"])
        assert result.exit_code == 0, result.output
        return sorted(result.output.split())

    expected = found("gradient")
    conn = sqlite3.connect(db)
    conn.execute(harm)
    conn.commit()
    conn.close()
    check = runner.invoke(app, ["doctor", "--check", "--db", str(db)])
    assert check.exit_code == 1, check.output
    assert f"search: {said}" in " ".join(check.output.split())
    fixed = runner.invoke(app, ["doctor", "--db", str(db)])
    assert fixed.exit_code == 0, fixed.output
    assert "repaired  search" in fixed.output
    assert found("gradient") == expected
    # what doctor says right after its repair, before any command refilled the index
    conn = sqlite3.connect(db)
    conn.execute(harm)
    conn.commit()
    conn.close()
    assert runner.invoke(app, ["doctor", "--db", str(db)]).exit_code == 0
    straight = runner.invoke(app, ["doctor", "--check", "--db", str(db)])
    assert straight.exit_code == 0 and "No problems found." in straight.output, straight.output
    assert found("gradient") == expected
    again = runner.invoke(app, ["doctor", "--check", "--db", str(db)])
    assert again.exit_code == 0 and "No problems found." in again.output, again.output
    assert damage.count(db) == 3  # the log untouched


def test_doctor_takes_out_log_rows_no_replay_can_read_and_keeps_the_later_grades(
    db: Path,
) -> None:
    """A log row with a grade outside 0-5 blocks its card's replay. Restoring a backup would
    lose the valid grades given since; doctor takes only that row out (the backup it makes
    first keeps it) and replays its card from the rest."""
    conn = sqlite3.connect(db)
    rid, cid = conn.execute("SELECT id, card_id FROM reviews ORDER BY id LIMIT 1").fetchone()
    conn.execute("UPDATE reviews SET grade = 9 WHERE id = ?", (rid,))
    conn.commit()
    conn.close()
    assert study(db, "\n5\nq\n", day="2026-11-27").exit_code == 0  # a later, valid grade
    check = runner.invoke(app, ["doctor", "--check", "--db", str(db)])
    assert check.exit_code == 1
    assert f"(card {cid}: review {rid} has grade '9', not 0-5)" in check.output
    assert "`dlcards doctor` takes such rows out" in " ".join(check.output.split())
    fixed = runner.invoke(app, ["doctor", "--db", str(db)])
    assert fixed.exit_code == 0, fixed.output
    said = " ".join(fixed.output.split())
    assert "repaired log: 1 log row that cannot be replayed, of 1 card" in said
    assert said.endswith(
        "Repaired; 1 log row no replay could read taken out (the backup made first keeps them), "
        "nothing else lost."
    )
    assert damage.count(db) == 3  # 3 studied + 1 later - the damaged one
    again = runner.invoke(app, ["doctor", "--check", "--db", str(db)])
    assert again.exit_code == 0 and "No problems found." in again.output, again.output
    kept = list((db.parent / "backups").glob("p-*.db.gz"))
    assert kept  # the backup made before the repair holds the row as it was
    shown = runner.invoke(app, ["show", cid, "--json", "--db", str(db), "--today", "2026-11-27"])
    assert shown.exit_code == 0, shown.output


def test_a_file_that_cannot_be_read_for_its_permissions_gets_no_restore_advice(
    db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """chmod 000 is not damage: restoring a backup would lose what was done since. (These
    tests run as root, who reads any file: the refusal is simulated.)"""
    import os

    from dlcards.errors import StoreError
    from dlcards.store import doctor

    def refused(path: Path) -> None:
        raise StoreError(f"cannot read database {path}: Permission denied")

    real_access = os.access
    monkeypatch.setattr(doctor, "check_header", refused)
    monkeypatch.setattr(
        os, "access", lambda p, mode: False if Path(p) == db else real_access(p, mode)
    )
    result = runner.invoke(app, ["doctor", "--db", str(db)])
    assert result.exit_code == 1
    assert "restore" not in result.output
    assert result.output.strip().splitlines()[-1] == (
        f"Not repaired: {db} cannot be read with its permissions (is it yours? `ls -l` shows "
        "them); give yourself read and write access (`chmod u+rw`), no backup is needed"
    )


@pytest.mark.skipif(sys.platform != "linux", reason="mounts a tmpfs")
def test_a_sound_database_on_a_read_only_mount_is_checked_and_reported_sound(
    isolated: Path,
) -> None:
    """A folder SQLite cannot write in (a read-only mount): the file is read as it is and
    found sound, by `--check` and by a repairing run alike (it was "FAILED: unable to open
    database file"); with a write-ahead log with content beside it, the file alone is not
    the database, and one line says so."""
    import shutil
    import subprocess

    import helpers as h

    assert runner.invoke(app, ["due"]).exit_code == 0
    with h.small_disk(isolated / "mnt", "4m") as mnt:
        db = mnt / "x.db"
        shutil.copyfile(isolated / "data" / "dlcards.db", db)
        assert subprocess.run(["mount", "-o", "remount,ro", str(mnt)]).returncode == 0
        for args in (["doctor", "--check"], ["doctor"]):
            result = runner.invoke(app, [*args, "--db", str(db)])
            assert result.exit_code == 0, result.output
            assert "No problems found." in result.output and "FAILED" not in result.output
        subprocess.run(["mount", "-o", "remount,rw", str(mnt)], check=True)
        Path(f"{db}-wal").write_bytes(b"a log with content")
        subprocess.run(["mount", "-o", "remount,ro", str(mnt)], check=True)
        result = runner.invoke(app, ["doctor", "--check", "--db", str(db)])
        assert result.exit_code == 2
        assert result.output.startswith(f"error: cannot check {db}: its folder {mnt} is read-only")
        assert len(result.output.strip().splitlines()) == 1


def test_a_full_disk_is_said_as_such_not_called_damage(isolated: Path) -> None:
    """A torture run (a helper): `doctor` and `doctor --check` on a full disk said "FAILED
    database: SQLite stopped the check: disk I/O error" and advised restoring the newest
    backup, which would lose every review since it; the same file checked sound once there
    was room. Now one line says the disk is full (exit 2), and the file is left as it was."""
    import shutil

    import helpers as h

    assert runner.invoke(app, ["due"]).exit_code == 0
    with h.small_disk(isolated / "mnt", "2m") as mnt:
        db = mnt / "x.db"
        shutil.copyfile(isolated / "data" / "dlcards.db", db)
        filler = h.fill_disk(mnt)
        before = db.read_bytes()
        for args in (["doctor", "--check"], ["doctor"]):
            result = runner.invoke(app, [*args, "--db", str(db)])
            assert result.exit_code == 2, result.output
            assert result.output.startswith("error: the disk is full"), result.output
            assert "restore" not in result.output and "FAILED" not in result.output
            assert len(result.output.strip().splitlines()) == 1
        assert db.read_bytes() == before
        filler.unlink()
        result = runner.invoke(app, ["doctor", "--check", "--db", str(db)])
        assert result.exit_code == 0 and "No problems found." in result.output, result.output


@pytest.mark.parametrize("room", ["to unpack the backup", "to back up the database"])
def test_a_restore_with_no_room_to_back_up_first_changes_nothing(isolated: Path, room: str) -> None:
    """A torture run (a helper): `doctor --restore` on a nearly full disk failed to back up the
    database it would replace, took the sound file for damaged, and left a cut-short raw copy
    named "-damaged-" in backups/ with a bare "No space left on device". Now one line says
    the disk is full and nothing was changed, and no partial file is left."""
    import os
    import shutil

    import helpers as h

    assert runner.invoke(app, ["due"]).exit_code == 0
    with h.small_disk(isolated / "mnt", "2m") as mnt:
        db = mnt / "x.db"
        shutil.copyfile(isolated / "data" / "dlcards.db", db)
        made = runner.invoke(app, ["backup", "--db", str(db)])
        assert made.exit_code == 0, made.output
        (name,) = [p.name for p in (mnt / "backups").iterdir()]
        free = os.statvfs(mnt).f_bavail * os.statvfs(mnt).f_frsize
        left = 100 * 1024 if room == "to unpack the backup" else db.stat().st_size + 40 * 1024
        (mnt / "filler").write_bytes(b"\0" * max(0, free - left))
        before = db.read_bytes()
        result = runner.invoke(app, ["doctor", "--restore", name, "--db", str(db)])
        assert result.exit_code == 2, result.output
        assert result.output.startswith("error: the disk is full") and "nothing was changed" in (
            result.output
        )
        assert [p.name for p in (mnt / "backups").iterdir()] == [name]
        assert db.read_bytes() == before


def test_a_grade_saved_while_a_restore_runs_is_kept_in_the_file_it_replaces(
    db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A torture run: `doctor --restore` saved the database it replaces, then copied the
    backup over it; a grade another terminal saved in between (the save's compression and
    read-back take seconds on a big file) was in neither, though its screen said saved. The
    copy now checks, under the database's write lock, that nothing was written since the
    save's snapshot, and saves it again if something was."""
    from datetime import datetime, timezone

    import helpers as h

    from dlcards.store import Store
    from dlcards.store import doctor as doctor_module

    made = runner.invoke(app, ["backup", "--db", str(db)])
    assert made.exit_code == 0, made.output
    saved = backup.backups(db)[0].path
    now = datetime(2026, 11, 27, 9, tzinfo=timezone.utc)
    graded: list[int] = []
    keep_ids = doctor_module._keep_ids_unused

    def another_terminal_grades(src: sqlite3.Connection, path: Path) -> None:
        if not graded:  # once: after the database was saved, before it is replaced
            with Store.open(db) as other:
                graded.append(h.grade(other, "gd-1", 5, date(2026, 11, 27), now=now).id)
        keep_ids(src, path)

    monkeypatch.setattr(doctor_module, "_keep_ids_unused", another_terminal_grades)
    said, salvaged = doctor_module.restore(db, saved, now)
    assert salvaged == ""  # over a sound database: the backup, as asked
    assert graded and damage.count(db) == 3  # the backup's reviews, put back
    kept = tmp_path / "kept.db"
    kept.write_bytes(gzip.decompress(Path(said.rsplit(" ", 1)[1]).read_bytes()))
    with contextlib.closing(sqlite3.connect(kept)) as conn:
        ids = [r[0] for r in conn.execute("SELECT id FROM reviews")]
    assert graded[0] in ids and len(ids) == 4, ids
    assert len(list((db.parent / "backups").glob("p-before-restore-*"))) == 1


@pytest.mark.parametrize("columns", [30, 40, 60])
def test_backup_list_on_a_narrow_screen_keeps_each_name_and_size_whole(
    db: Path, monkeypatch: pytest.MonkeyPatch, columns: int
) -> None:
    """`backup --list` wrote each backup on one line of about 60 cells whatever the screen:
    at 40 columns the terminal folded it inside its file name (the name `doctor --restore`
    takes), at 30 inside the header's size. In a terminal each line fits now, the name on
    a line of its own when it does not fit beside the date, kind and size."""
    from dlcards.console import out

    for _ in range(2):  # p-manual-DAY.db.gz, p-manual-DAY-2.db.gz (27 cells)
        runner.invoke(app, ["backup", "--db", str(db)])
    monkeypatch.setenv("TTY_COMPATIBLE", "1")
    monkeypatch.setenv("TERM", "dumb")
    monkeypatch.setenv("COLUMNS", str(columns))
    out.cache_clear()
    result = runner.invoke(app, ["backup", "--list", "--db", str(db)])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    too_wide = [line for line in lines if len(line) > columns]
    assert all(" " not in line.strip() and len(line.strip()) > columns for line in too_wide)
    for b in backup.backups(db):
        assert any(
            line.strip() == b.path.name or line.endswith(f"  {b.path.name}") for line in lines
        )
        assert any(b.day.isoformat() in line and b.kind in line for line in lines), lines
    import re

    assert any(re.search(r"(^|, )\d[\d.,]* (KB|MB|GB|bytes):$", line) for line in lines), lines


@pytest.mark.parametrize("columns", [30, 40])
def test_doctor_on_a_narrow_screen_breaks_its_lines_between_words(
    db: Path, monkeypatch: pytest.MonkeyPatch, columns: int
) -> None:
    """At 30-40 columns the terminal folded doctor's lines inside their words (`SQLite's
    integrity check (every page and ind` / `ex)`). In a terminal each line now fits, broken
    between words, a finding's words under each other after its label; the words are the
    pipe's."""
    from dlcards.console import out

    damage.flip_in_index(db, "reviews_card_time")
    piped = runner.invoke(app, ["doctor", "--check", "--db", str(db)]).output
    monkeypatch.setenv("TTY_COMPATIBLE", "1")
    monkeypatch.setenv("TERM", "dumb")
    monkeypatch.setenv("COLUMNS", str(columns))
    out.cache_clear()
    for args in [("doctor", "--check"), ("doctor",), ("doctor",), ("backup",)]:
        result = runner.invoke(app, [*args, "--db", str(db)])
        lines = result.output.splitlines()
        assert all(len(line) <= columns or " " not in line.strip() for line in lines), lines
        if args == ("backup",):  # a size is never split from its unit
            assert re.search(r"\(\d+\.\d (KB|MB);\s+verified\)", result.output), lines
            continue
        findings = [line for line in lines if line.startswith("  ")]
        assert findings and all(
            line[:12].strip() in ("ok", "problem", "FAILED", "repaired") or line[:12].isspace()
            for line in findings
        ), lines
        if args == ("doctor", "--check"):
            assert result.output.split() == piped.split()
            assert "  problem   " in result.output, lines
        else:
            assert "  repaired  " in result.output or "No problems found." in result.output


def another_program_after_the_copy(db: Path, monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """Right after each raw copy of the damaged file, another program opens and closes a
    connection to it; the list gets whether the -wal was still there after (it is, unless this
    process's SQLite locks were dropped and the other took itself for the last connection)."""
    import subprocess
    import sys

    from dlcards.store import backup

    real = backup.copy_damaged
    seen: list[bool] = []

    def copy_then_another_program(*args: object, **kwargs: object) -> Path:
        made = real(*args, **kwargs)  # type: ignore[arg-type]
        assert Path(f"{db}-wal").exists()  # doctor's connection has it open
        other = (
            "import sqlite3, sys; c = sqlite3.connect(sys.argv[1]); "
            "c.execute('SELECT count(*) FROM meta').fetchall(); c.close()"
        )
        subprocess.run([sys.executable, "-c", other, str(db)], check=True, timeout=60)
        seen.append(Path(f"{db}-wal").exists())
        return made

    monkeypatch.setattr(backup, "copy_damaged", copy_then_another_program)
    return seen


def test_the_repairs_copy_of_a_damaged_file_keeps_doctors_own_locks(
    db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Closing any descriptor of a file drops every POSIX lock the process holds on it. The
    repair copied the damaged file with a descriptor of its own while its connection was open,
    so another program's connection, closing right after the copy, took itself for the last
    one and deleted the -wal under doctor's. The copy now reads through a descriptor doctor
    holds until its connection is closed."""
    damage.flip_in_index(db, "reviews_card_time")
    seen = another_program_after_the_copy(db, monkeypatch)
    fixed = runner.invoke(app, ["doctor", "--db", str(db)])
    assert fixed.exit_code == 0, fixed.output
    assert seen == [True]  # the other program saw doctor's connection
    assert damage.integrity(db) == ["ok"]


def test_the_restores_copy_of_a_damaged_file_keeps_its_watchs_locks(
    db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same for `doctor --restore` over a file that opens but fails its check: the raw copy
    of it is made while the restore's own connection (which watches for another terminal's
    writes) is open."""
    damage.flip_in_index(db, "reviews_card_time")
    [newest] = sorted((db.parent / "backups").glob("p-*.db.gz"))
    seen = another_program_after_the_copy(db, monkeypatch)
    restored = runner.invoke(app, ["doctor", "--restore", newest.name, "--db", str(db)])
    assert restored.exit_code == 0, restored.output
    assert seen == [True]


def test_a_refused_grade_is_kept_after_the_cards_earlier_grade(db: Path) -> None:
    """The grade refused on a damaged file, kept as the session decided it (no log row was
    written), took the clock's time as its place in the log: with the clock set back since
    the card's earlier grade, the restore put it before that grade, where a saved grade
    never goes (`Store.grade` puts it after the card's latest). Now it is kept after it."""
    import json
    import os
    import sqlite3
    from datetime import datetime, timedelta, timezone

    import helpers as h

    from dlcards.session import Limits, StudySession
    from dlcards.store import Store
    from dlcards.store.connection import FileGoneError

    now = [datetime(2026, 11, 27, 9, tzinfo=timezone.utc)]
    with Store.open(db) as mine:
        session = StudySession(mine, ["gd-1"], date(2026, 11, 27), lambda: now[0], Limits(new=1))
        session.preview()
        session.grade(h.Grade(2))
        assert session.current is not None and session.current.kind == "redrill"
        other = sqlite3.connect(db)  # another terminal commits: this one reads the file again
        other.execute("INSERT INTO meta (key, value) VALUES ('elsewhere', '1')")
        other.commit()
        other.close()
        os.truncate(db, 0)
        now[0] -= timedelta(hours=1)
        with pytest.raises(FileGoneError, match=r"grade 4 on gd-1, refused"):
            session.grade(h.Grade(4))
    [kept] = (db.parent / "backups").glob("*-kept-*.json")
    doc = json.loads(kept.read_text())
    at, grade = doc["columns"].index("at"), doc["columns"].index("grade")
    given, refused = doc["rows"]
    assert (given[0], given[grade], refused[0], refused[grade]) == ("gd-1", 2, "gd-1", 4)
    assert refused[at] == given[at] + 1, (given[at], refused[at])


@pytest.mark.parametrize("mode", [0o644, 0o640, 0o600])
def test_a_restore_over_a_damaged_file_keeps_its_mode(db: Path, mode: int) -> None:
    """A torture run: a 0644 database truncated, then `doctor --restore`: the restored file
    was 0600, the mode of the private temporary file the backup was unpacked into (over a
    sound database the mode was kept: its pages are copied into it)."""
    import os
    import stat

    db.chmod(mode)
    [newest] = sorted((db.parent / "backups").glob("p-*.db.gz"))
    os.truncate(db, 100_000)
    restored = runner.invoke(app, ["doctor", "--restore", newest.name, "--db", str(db)])
    assert restored.exit_code == 0, restored.output
    assert stat.S_IMODE(db.stat().st_mode) == mode
    assert damage.count(db) == 3


def _studying(store: Any, n: int) -> tuple[list[str], Any]:
    """A session of `n` new gd- cards on 2026-11-27, its first card shown: the ids and it."""
    from dlcards.session import Limits, StudySession

    ids = [r[0] for r in store.query(f"SELECT id FROM cards WHERE id LIKE 'gd-%' LIMIT {n}")]
    when = datetime(2026, 11, 27, 9, tzinfo=timezone.utc)
    session = StudySession(store, ids, date(2026, 11, 27), lambda: when, Limits(new=n))
    session.preview()
    return ids, session


@pytest.mark.parametrize("cut", ["emptied", "to its header"])
def test_a_log_emptied_under_a_session_stops_it_and_keeps_its_grades(db: Path, cut: str) -> None:
    """A torture run: a session saved two grades, its write-ahead log was emptied (`truncate
    -s 0 p.db-wal`), and its third grade was said to be saved too; the close's checkpoint then
    copied into the file the zeros SQLite read where the frames had been, and the next
    command found no database. Now the next write finds the log cut short (its index says it
    holds frames it no longer has, none copied into the file yet): the grade is refused, the
    session's grades are kept, the file is left as it was (no checkpoint from the cut log), and
    `doctor --check` names the kept grades until `doctor --restore` adds them back."""
    import helpers as h

    from dlcards.store import Store
    from dlcards.store.connection import FileGoneError

    before = damage.count(db)
    with Store.open(db) as mine:
        ids, session = _studying(mine, 3)
        session.grade(h.Grade(4))
        session.grade(h.Grade(5))
        os.truncate(f"{db}-wal", 0 if cut == "emptied" else 32)
        with pytest.raises(FileGoneError, match=r"write-ahead log p.db-wal was emptied or cut"):
            session.grade(h.Grade(3))
    conn = sqlite3.connect(db)
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"  # no zeros copied in
    conn.close()
    assert damage.count(db) == before  # the file as it was before the log's writes
    [kept] = (db.parent / "backups").glob("*-kept-*.json")
    assert [r[0] for r in json.loads(kept.read_text())["rows"]] == ids
    check = runner.invoke(app, ["doctor", "--check", "--db", str(db)])
    assert check.exit_code == 1 and "3 grades a session kept" in check.output, check.output
    repaired = runner.invoke(app, ["doctor", "--db", str(db)])
    assert repaired.exit_code == 0 and "added 3 grades" in repaired.output, repaired.output
    assert damage.count(db) == before + 3  # the file's grades and the kept ones
    assert [p.name.endswith(".merged.json") for p in kept.parent.glob("*-kept-*")] == [True]
    again = runner.invoke(app, ["doctor", "--check", "--db", str(db)])
    assert again.exit_code == 0, again.output


def test_a_log_another_terminal_checkpointed_and_emptied_is_no_damage(db: Path) -> None:
    """The log at 0 bytes is no damage when every frame of it is in the file: another
    terminal's checkpoint (TRUNCATE) empties it so, and the session goes on saving."""
    import helpers as h

    from dlcards.store import Store

    before = damage.count(db)
    with Store.open(db) as mine:
        _, session = _studying(mine, 2)
        session.grade(h.Grade(4))
        other = sqlite3.connect(db)
        assert other.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0] == 0
        other.close()
        assert os.path.getsize(f"{db}-wal") == 0
        session.grade(h.Grade(5))
    assert damage.count(db) == before + 2


@pytest.mark.fresh_db
@pytest.mark.parametrize("made", ["empty file", "header of a log"])
def test_a_database_another_command_is_making_is_waited_for_not_reported_damaged(
    isolated: Path, made: str
) -> None:
    """`dlcards doctor --check` started beside `dlcards config new_per_day 7` on a new
    database (a torture loop, 2 runs in 20): "FAILED file: ... is an empty file (0 bytes)" or
    "tables meta, cards, sm2, reviews are missing ... keep the file and ask for help", exit 1.
    The other had made the file and not yet committed its schema. Now the check waits for it
    and checks the database made."""
    import threading
    import time

    from dlcards.store import Store

    db = isolated / "data" / "p.db"
    if made == "empty file":  # SQLite's maker, before its first write
        db.touch()
    else:  # switched to WAL mode, before its first transaction commits
        with contextlib.closing(sqlite3.connect(db)) as conn:
            conn.execute("PRAGMA journal_mode = WAL")

    def maker() -> None:
        time.sleep(0.3)
        with Store.open(db) as store:
            store.set_meta("made", "yes")

    thread = threading.Thread(target=maker)
    thread.start()
    try:
        checked = runner.invoke(app, ["doctor", "--check", "--db", str(db)])
    finally:
        thread.join()
    assert checked.exit_code == 0, checked.output
    assert "No problems found" in checked.output, checked.output


@pytest.mark.fresh_db
def test_a_database_made_between_the_checks_first_two_reads_is_its_schema(
    isolated: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same wait, lost in a fresh clone's suite: the check read the file's schema version
    (0, before the maker's commit) and then its tables (after it), and said "schema 0: the
    next command upgrades it", exit 1. Here the maker commits right after the check's first
    statement, every time: the version and the tables are one read."""
    from dlcards.store import Store, doctor

    db = isolated / "data" / "p.db"
    with contextlib.closing(sqlite3.connect(db)) as conn:  # a maker's file, in WAL mode
        conn.execute("PRAGMA journal_mode = WAL")
    made: list[str] = []

    class MakerCommitsAfterTheFirstRead(sqlite3.Connection):
        def execute(self, sql: str, *args: Any) -> sqlite3.Cursor:
            cursor = super().execute(sql, *args)
            if "busy_timeout" not in sql and not made:
                rows = cursor.fetchall()  # this statement's snapshot, before the commit
                made.append(sql)
                with Store.open(db) as store:
                    store.set_meta("made", "yes")
                return _Rows(rows)  # type: ignore[return-value]
            return cursor

    real = sqlite3.connect
    monkeypatch.setattr(
        doctor.sqlite3,
        "connect",
        lambda *a, **k: real(*a, **k, factory=MakerCommitsAfterTheFirstRead),
    )
    checked = runner.invoke(app, ["doctor", "--check", "--db", str(db)])
    assert made, "the check read nothing"
    assert checked.exit_code == 0, checked.output
    assert "No problems found" in checked.output, checked.output


class _Rows:
    """A cursor's rows, fetched already."""

    def __init__(self, rows: list[Any]) -> None:
        self.rows = rows

    def fetchone(self) -> Any:
        return self.rows[0] if self.rows else None

    def fetchall(self) -> list[Any]:
        return self.rows


def test_a_file_with_no_schema_not_being_made_is_reported_at_once(tmp_path: Path) -> None:
    """The wait is for a file changed a moment ago: an empty one from before is checked as it is."""
    import time

    db = tmp_path / "p.db"
    db.touch()
    os.utime(db, (time.time() - 60, time.time() - 60))
    began = time.monotonic()
    checked = runner.invoke(app, ["doctor", "--check", "--db", str(db)])
    assert time.monotonic() - began < 1.5
    assert checked.exit_code == 1 and "is an empty file (0 bytes)" in checked.output, checked.output


@pytest.mark.parametrize(
    ("table", "column"), [("topic_tally", "topic"), ("due_tally", "topic"), ("sm2_tally", "due")]
)
def test_bytes_where_a_tally_keeps_text_are_found_and_mended(
    db: Path, table: str, column: str
) -> None:
    """`UPDATE topic_tally SET topic = X'00' WHERE ...` (garbage in the database): `doctor
    --check` and `doctor` stopped with a traceback, "TypeError: '<' not supported between
    instances of 'bytes' and 'str'", sorting the damaged row among the others."""
    with contextlib.closing(sqlite3.connect(db, isolation_level=None)) as conn:
        key = conn.execute(f"SELECT {column} FROM {table} LIMIT 1").fetchone()[0]
        conn.execute(f"UPDATE {table} SET {column} = X'00ff' WHERE {column} = ?", (key,))
    checked = runner.invoke(app, ["doctor", "--check", "--db", str(db)])
    assert isinstance(checked.exception, SystemExit) and checked.exit_code == 1, checked.output
    assert f"statistics: {table} differs from" in checked.output, checked.output
    fixed = runner.invoke(app, ["doctor", "--db", str(db)])
    assert fixed.exit_code == 0, fixed.output
    assert "the statistics' tallies and their triggers rebuilt" in fixed.output, fixed.output
    again = runner.invoke(app, ["doctor", "--check", "--db", str(db)])
    assert again.exit_code == 0 and "No problems found." in again.output, again.output


def test_a_topic_that_is_not_text_is_named_found_and_taken_from_the_decks_again(db: Path) -> None:
    """`UPDATE cards SET topic = X'6263' WHERE topic = 'bce'` (garbage in the database): `due`
    stopped with a traceback ("TypeError: cannot use a string pattern on a bytes-like object",
    in its table), and `doctor --check` found nothing wrong."""
    with contextlib.closing(sqlite3.connect(db, isolation_level=None)) as conn:
        topic = conn.execute("SELECT topic FROM cards ORDER BY position LIMIT 1").fetchone()[0]
        conn.execute("UPDATE cards SET topic = ? WHERE topic = ?", (topic.encode(), topic))
    due = runner.invoke(app, ["due", "--db", str(db)])
    assert isinstance(due.exception, SystemExit) and due.exit_code == 2, due.output
    assert due.output.count("\n") == 1 and "is damaged: a card's topic holds b'" in due.output
    checked = runner.invoke(app, ["doctor", "--check", "--db", str(db)])
    assert checked.exit_code == 1 and "whose topic is not text" in checked.output, checked.output
    fixed = runner.invoke(app, ["doctor", "--db", str(db)])
    assert fixed.exit_code == 0 and "repaired  values" in fixed.output, fixed.output
    due = runner.invoke(app, ["due", "--db", str(db)])
    assert due.exit_code == 0 and topic in due.output, due.output
    with contextlib.closing(sqlite3.connect(db)) as conn:
        kinds = conn.execute("SELECT DISTINCT typeof(topic) FROM cards").fetchall()
        assert kinds == [("text",)]
        assert conn.execute("SELECT count(*) FROM cards WHERE topic = ?", (topic,)).fetchone()[0]
    again = runner.invoke(app, ["doctor", "--check", "--db", str(db)])
    assert again.exit_code == 0 and "No problems found." in again.output, again.output


@pytest.mark.parametrize("column", ["cards", "learning", "ef"])
def test_stats_reads_the_cards_when_the_memory_tally_holds_bytes(db: Path, column: str) -> None:
    """`UPDATE sm2_tally SET ef = X'00ff'`: `stats` stopped with a traceback ("TypeError:
    unsupported operand type(s) for +=: 'int' and 'bytes'"). It now reads the cards, as when
    the tally cannot serve, and shows what it showed before the damage."""
    args = ["stats", "--json", "--db", str(db), "--today", DAY]
    before = runner.invoke(app, args)
    assert before.exit_code == 0, before.output
    with contextlib.closing(sqlite3.connect(db, isolation_level=None)) as conn:
        conn.execute(f"UPDATE sm2_tally SET {column} = X'00ff'")
    after = runner.invoke(app, args)
    assert after.exit_code == 0, after.output
    assert json.loads(after.output) == json.loads(before.output)


def test_stats_names_a_day_tally_that_holds_bytes_and_doctor_mends_it(db: Path) -> None:
    """`UPDATE review_days SET reviews = X'00ff'`: `stats` stopped with a traceback
    ("ValueError: invalid literal for int() with base 10: b'\\x00\\xff'")."""
    args = ["stats", "--json", "--db", str(db), "--today", DAY]
    before = runner.invoke(app, args)
    with contextlib.closing(sqlite3.connect(db, isolation_level=None)) as conn:
        conn.execute("UPDATE review_days SET reviews = X'00ff'")
    damaged = runner.invoke(app, args)
    assert isinstance(damaged.exception, SystemExit) and damaged.exit_code == 2, damaged.output
    assert damaged.output.count("\n") == 1, damaged.output
    assert "tally review_days.reviews holds b'" in damaged.output
    assert "`dlcards doctor`" in damaged.output
    fixed = runner.invoke(app, ["doctor", "--db", str(db)])
    assert fixed.exit_code == 0 and "review_days differs" in fixed.output, fixed.output
    after = runner.invoke(app, args)
    assert after.exit_code == 0 and json.loads(after.output) == json.loads(before.output)


@pytest.mark.parametrize(
    ("name", "args"),
    [
        ("p-kept-2026-11-26T120000.json", ["doctor", "--check"]),
        ("p-undone.jsonl", ["undo"]),
        ("p-undone.jsonl", ["doctor", "--restore", "LATEST"]),
    ],
)
def test_a_fifo_named_as_a_file_beside_the_backups_is_not_waited_on(
    db: Path, name: str, args: list[str]
) -> None:
    """`mkfifo backups/p-kept-….json` (kept grades) or `backups/p-undone.jsonl` (the undo
    record): `doctor --check`, `undo` and `doctor --restore` hung for ever, opening the FIFO
    to read or append (an open that waits for the other end). A file there that is not a
    regular file is now read as none, or written as one that cannot be (the undo warns)."""
    import subprocess

    folder = db.parent / "backups"
    latest = sorted(p.name for p in folder.glob("p-*.db.gz"))[-1]
    os.mkfifo(folder / name)
    env = {**os.environ, "DLCARDS_DB": str(db), "NO_COLOR": "1"}
    done = subprocess.run(
        [sys.executable, "-m", "dlcards", *[latest if a == "LATEST" else a for a in args]],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr
    if "--restore" not in args:  # (a restore starts the undo record anew)
        assert (folder / name).is_fifo()


def test_a_fifo_named_as_a_backup_is_no_backup(db: Path) -> None:
    """`mkfifo backups/p-2026-11-26.db.gz`: `backup --list` listed it ("0 bytes"), and the
    newest backup named to restore could be it, while `doctor --restore` of it said "no
    backup"."""
    folder = db.parent / "backups"
    real = sorted(p.name for p in folder.glob("p-*.db.gz"))
    fifo = folder / f"p-{DAY}.db.gz"
    assert real and fifo.name not in real
    os.mkfifo(fifo)
    assert sorted(b.path.name for b in backup.backups(db)) == real
    listed = runner.invoke(app, ["backup", "--list", "--db", str(db)])
    assert listed.exit_code == 0 and fifo.name not in listed.output, listed.output


# --- a restore stopped: the database as it was, or restored, and said so ---------------------

_STOP_AT = {
    # the before-restore save is made, the copy not begun: nothing changed
    "before the copy": ("dlcards.store.doctor", "_save_current", "after"),
    # the copy's writes may begin (its lock is next): taken back whole
    "during the copy": ("dlcards.interrupts", "committing", "after"),
    # the copy is committed, its salvaged files not yet put aside: finished first
    "after the copy": ("dlcards.store.doctor._Salvaging", "consume", "before"),
    # restored and said so, its report's check under way
    "while it reports": ("dlcards.store.doctor", "examine", "before"),
}


def _restore_stopped(db: Path, source: str, signame: str, at: str) -> Any:
    """`doctor --restore` in a process of its own that sends itself `signame` at the moment
    `at` (`_STOP_AT`), as a `kill`, a closed terminal or Ctrl-C would at that instant."""
    import subprocess

    where, name, when = _STOP_AT[at]
    module, _, owner = where.partition("._")
    target = f"importlib.import_module({module!r})" + (f"._{owner}" if owner else "")
    script = (
        "import importlib, os, signal, sys\n"
        f"where = {target}\n"
        f"original = getattr(where, {name!r})\n"
        "def stopped_here(*args, **kwargs):\n"
        + (f"    os.kill(os.getpid(), signal.{signame})\n" if when == "before" else "")
        + "    done = original(*args, **kwargs)\n"
        + (f"    os.kill(os.getpid(), signal.{signame})\n" if when == "after" else "")
        + "    return done\n"
        f"setattr(where, {name!r}, stopped_here)\n"
        "from dlcards.cli import main\n"
        f"sys.argv = ['dlcards', 'doctor', '--restore', {source!r}, '--db', {str(db)!r}]\n"
        "main()\n"
    )
    return subprocess.run(
        [sys.executable, "-c", script],
        env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)},
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.skipif(sys.platform == "win32", reason="SIGTERM and SIGHUP")
@pytest.mark.parametrize("signame", ["SIGTERM", "SIGHUP", "SIGINT"])
@pytest.mark.parametrize("at", list(_STOP_AT))
def test_a_restore_stopped_leaves_the_old_database_or_the_restored_one_and_says_which(
    db: Path, signame: str, at: str
) -> None:
    """A `kill` (SIGTERM) or a closed terminal (SIGHUP) during `doctor --restore` ended it at
    once, as SIGKILL would: exit -15 and not a word, the database restored or not (a torture
    run: restored, said nothing) and the salvaged files not put aside; Ctrl-C said nothing
    either (exit 130). Now each ends it as a shell reports the signal (143, 129, 130), with
    one line saying which database is there: before the copy of the backup has begun, the
    old one, untouched; during it, the old one, the copy taken back whole; once the copy is
    committed, the restore finishes first (its lines said) and the restored one."""
    import signal

    made = runner.invoke(app, ["backup", "--db", str(db)])
    assert made.exit_code == 0, made.output
    name = backup.backups(db)[0].path.name  # 3 reviews
    assert study(db, "\n5\nq\n", day="2026-11-27").exit_code == 0
    before = damage.count(db)
    assert before == 4
    proc = _restore_stopped(db, name, signame, at)
    assert proc.returncode == 128 + getattr(signal, signame), proc.stderr
    lines = proc.stderr.splitlines()
    assert len(lines) == 1 and "Traceback" not in proc.stderr, proc.stderr
    if at in ("after the copy", "while it reports"):
        source = db.parent / "backups" / name
        assert lines[0] == f"stopped: {db} is restored from {source}, as said above"
        assert proc.stdout.startswith(f"restored {db} from "), proc.stdout
        assert damage.count(db) == 3
    else:
        assert lines[0].startswith(f"stopped: nothing was restored, {db} is as it was"), lines
        assert ("taken back" in lines[0]) == (at == "during the copy"), lines
        assert proc.stdout == ""
        assert damage.count(db) == before
    assert damage.integrity(db) == ["ok"]
    assert not [p.name for p in db.parent.rglob("*.tmp")]  # no unpacked backup left
    again = runner.invoke(app, ["doctor", "--check", "--db", str(db)])
    assert again.exit_code == 0, again.output


@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL")
@pytest.mark.parametrize("at", ["during the copy", "after the copy"])
def test_a_restore_killed_outright_is_told_and_finished_by_the_next_command(
    db: Path, at: str
) -> None:
    """A restore killed with SIGKILL (nothing can be said then) leaves the database as it
    was or restored, whole (SQLite's copy is one transaction), but nothing told which, and,
    restored, the damaged file it salvaged from was not put aside (`-salvaged-`), so a later
    restore of an older backup salvaged its grades again. The next command says which
    database is there, in one line, and finishes the restore."""
    made = runner.invoke(app, ["backup", "--db", str(db)])
    assert made.exit_code == 0, made.output
    name = backup.backups(db)[0].path.name  # 3 reviews
    assert study(db, "\n5\nq\n", day="2026-11-27").exit_code == 0
    damage.flip_in_index(db, "reviews_card_time")  # a restore that salvages the 4th grade
    proc = _restore_stopped(db, name, "SIGKILL", at)
    assert proc.returncode == -9, proc.stderr
    folder = db.parent / "backups"
    assert list(folder.glob("p-damaged-*.db"))  # the raw copy salvaged from, not put aside
    nxt = runner.invoke(app, ["doctor", "--check", "--db", str(db)])
    notes = [line for line in nxt.output.splitlines() if line.startswith("note: the restore")]
    assert len(notes) == 1, nxt.output
    if at == "after the copy":
        assert "the database is the restored one" in notes[0], notes
        assert nxt.exit_code == 0, nxt.output
        assert damage.count(db) == 4 and damage.integrity(db) == ["ok"]
        assert not list(folder.glob("p-damaged-*.db"))  # put aside: salvaged once
        assert len(list(folder.glob("p-salvaged-*.db"))) == 1
    else:
        assert "the database is as it was, nothing restored" in notes[0], notes
        assert damage.integrity(db) != ["ok"]  # the damaged file, untouched
        assert list(folder.glob("p-damaged-*.db"))  # still to salvage from
    again = runner.invoke(app, ["doctor", "--check", "--db", str(db)])
    assert "note: the restore" not in again.output  # said once


@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL")
def test_a_restore_killed_as_it_ends_is_said_by_it_or_by_the_next_command(db: Path) -> None:
    """Between a restore's end (its mark removed) and its line on the screen, a SIGKILL left
    the database restored, nothing said, and no mark for the next command to tell. The line
    is said before the mark goes: killed then, the next command says it (the kill is sent
    as the line is being made, once the restore's files are put aside)."""
    import subprocess

    made = runner.invoke(app, ["backup", "--db", str(db)])
    assert made.exit_code == 0, made.output
    name = backup.backups(db)[0].path.name  # 3 reviews
    assert study(db, "\n5\nq\n", day="2026-11-27").exit_code == 0
    script = (
        "import os, signal, sys\n"
        "import dlcards.store.doctor as d\n"
        "ended = []\n"
        "consume, plural = d._Salvaging.consume, d._plural\n"
        "def consumed(self):\n"
        "    ended.append(True)\n"
        "    return consume(self)\n"
        "def killed(*args, **kwargs):\n"
        "    if ended:\n"
        "        os.kill(os.getpid(), signal.SIGKILL)\n"
        "    return plural(*args, **kwargs)\n"
        "d._Salvaging.consume, d._plural = consumed, killed\n"
        "from dlcards.cli import main\n"
        f"sys.argv = ['dlcards', 'doctor', '--restore', {name!r}, '--db', {str(db)!r}]\n"
        "main()\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", script],
        env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == -9, proc.stderr
    assert damage.count(db) == 3  # restored
    nxt = runner.invoke(app, ["doctor", "--check", "--db", str(db)])
    told = proc.stdout.startswith(f"restored {db} from ") or (
        "the database is the restored one" in nxt.output
    )
    assert told, (proc.stdout, nxt.output)


def _of_schema_34(path: Path) -> Path:
    """A sound database as dlcards left it at schema 34 (before `learner_actions`)."""
    from sqlite_utils import Database

    from dlcards.store.schema import migrations

    with contextlib.closing(sqlite3.connect(path, isolation_level=None)) as conn:
        migrations().apply(Database(conn), stop_before="0035_learner_actions")
        conn.execute("PRAGMA user_version = 34")
    return path


def _version(path: Path) -> int:
    with contextlib.closing(sqlite3.connect(path)) as conn:
        return int(conn.execute("PRAGMA user_version").fetchone()[0])


def test_a_sound_file_of_an_older_dlcards_is_upgraded_by_doctor_and_by_a_restore(
    isolated: Path,
) -> None:
    """`doctor --restore` of a backup an older dlcards made (schema 34) restored it and then
    ended with exit 1, "problem schema 34: the next command upgrades it", the file sound; and
    `doctor` of such a file said the same and that it could not repair it, advice to run the
    very command that said so. Both now upgrade it, as the next command would (backed up
    first), check all of it and end with 0. `--check` repairs nothing: it still says the
    schema is older, exit 1."""
    from dlcards.store.schema import SCHEMA_VERSION

    old = _of_schema_34(isolated / "old-backup.db")
    restored = runner.invoke(app, ["doctor", "--restore", str(old)])
    assert restored.exit_code == 0, restored.output
    assert "schema 34" not in restored.output and "FAILED" not in restored.output
    assert _version(isolated / "data" / "dlcards.db") == SCHEMA_VERSION

    other = _of_schema_34(isolated / "other.db")
    checked = runner.invoke(app, ["doctor", "--check", "--db", str(other)])
    assert checked.exit_code == 1, checked.output
    assert "schema 34: the next command upgrades it" in checked.output
    assert _version(other) == 34  # a check changes nothing
    repaired = runner.invoke(app, ["doctor", "--db", str(other)])
    assert repaired.exit_code == 0, repaired.output
    assert "schema 34" not in repaired.output and "No problems found" in repaired.output
    assert _version(other) == SCHEMA_VERSION
