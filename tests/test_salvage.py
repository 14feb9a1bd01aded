"""Salvage of review rows from hand-damaged database files (`dlcards.store.salvage`), and
`doctor --restore` adding those a backup lacks (matched on card and time, not rowid)."""

from __future__ import annotations

import os
import shutil
import sqlite3
from pathlib import Path

import damage
import pytest
from typer.testing import CliRunner

from dlcards.cli import app
from dlcards.store import backup
from dlcards.store.salvage import reviews_in

runner = CliRunner()


def logged(db: Path) -> list[tuple[str, int, int]]:
    conn = sqlite3.connect(db)
    try:
        return sorted(conn.execute("SELECT card_id, at, grade FROM reviews"))
    finally:
        conn.close()


@pytest.fixture
def studied(tmp_path: Path) -> tuple[Path, list[tuple[str, int, int]]]:
    """A database with a backup of 3 grades and 3 more grades since, in its file and -wal as
    SQLite leaves them while a session is open: the file checkpointed, the last grades only
    in the -wal."""
    db = tmp_path / "p.db"
    keys = "\n5\n\n4\n\n3\nq\n"
    first = runner.invoke(app, ["study", "--db", str(db), "--today", "2026-11-25"], input=keys)
    assert first.exit_code == 0, first.output
    assert len(backup.backups(db)) == 1 and len(logged(db)) == 3  # backed up before them
    second = runner.invoke(app, ["study", "--db", str(db), "--today", "2026-11-26"], input=keys)
    assert second.exit_code == 0, second.output
    damage.checkpoint(db)
    # one more change in the -wal, as an open session leaves it
    conn = sqlite3.connect(db, isolation_level=None)
    conn.execute("PRAGMA wal_autocheckpoint = 0")
    conn.execute("UPDATE reviews SET seconds = 1.5 WHERE id = (SELECT max(id) FROM reviews)")
    held = sqlite3.connect(db)  # a reader keeps the -wal when the writer closes
    held.execute("BEGIN")
    held.execute("SELECT count(*) FROM reviews").fetchone()
    conn.close()
    rows = logged(db)  # not the copy's: SQLite's last connection to it would checkpoint it
    assert len(rows) == 6
    kept = tmp_path / "kept"
    kept.mkdir()
    for end in ("", "-wal"):
        shutil.copyfile(f"{db}{end}", kept / f"p.db{end}")
    held.close()
    return kept / "p.db", rows


def ids(rows: list[tuple[object, ...]]) -> list[tuple[object, object, object]]:
    return sorted((r[0], r[19], r[4]) for r in rows)  # card, at, grade


def test_every_row_is_read_from_a_sound_file_and_its_log(studied: tuple[Path, list]) -> None:
    db, rows = studied
    assert ids(reviews_in(db)) == rows


def test_each_rows_log_id_and_the_actions_are_read_from_a_file_and_its_log(
    studied: tuple[Path, list],
) -> None:
    """The log id of each row (where a change carried over from the file stands among its
    grades) and the learner actions, as SQLite reads them, from the file and its -wal."""
    from dlcards.store.salvage import actions_in, review_ids_in

    db, _ = studied
    copy = db.with_name("copy.db")
    source, target = sqlite3.connect(db), sqlite3.connect(copy)
    try:
        source.backup(target)
        with target:
            target.execute(
                "INSERT INTO learner_actions (kind, made_ns, seq, cards) "
                "VALUES ('suspend', 7, 5, '[]')"
            )
        want = {(str(c), int(a)): int(i) for i, c, a in target.execute(
            "SELECT id, card_id, at FROM reviews"
        )}  # fmt: skip
    finally:
        source.close()
        target.close()
    assert review_ids_in(copy) == want and len(want) == 6
    assert actions_in(copy) == [(1, "suspend", 5, "[]")]


@pytest.mark.parametrize("cut", ["zero", "two pages", "half"])
def test_a_file_cut_short_still_gives_the_rows_its_log_holds(
    studied: tuple[Path, list], cut: str
) -> None:
    """Cut to 0 bytes or to a page boundary: the grades whose pages the -wal holds are read
    (here every one: the log's leaf page was written again by the last grade)."""
    db, rows = studied
    size = {"zero": 0, "two pages": 8192, "half": os.path.getsize(db) // 8192 * 4096}[cut]
    os.truncate(db, size)
    assert ids(reviews_in(db)) == rows


def test_a_file_overwritten_with_garbage_gives_the_rows_its_log_holds(
    studied: tuple[Path, list],
) -> None:
    db, rows = studied
    db.write_bytes(os.urandom(os.path.getsize(db)))
    assert ids(reviews_in(db)) == rows


def test_without_its_log_a_file_cut_at_the_header_gives_what_its_pages_hold(
    studied: tuple[Path, list],
) -> None:
    """Page 1 (the schema) gone: the pages left are read by the shape of their rows."""
    db, rows = studied
    damage.checkpoint(db)
    data = db.read_bytes()
    db.write_bytes(b"\0" * 4096 + data[4096:])
    Path(f"{db}-wal").unlink(missing_ok=True)
    assert ids(reviews_in(db)) == rows


def test_a_damaged_log_frame_ends_the_log_there(studied: tuple[Path, list]) -> None:
    """A frame whose checksum fails is not read, nor any after it: what SQLite would read."""
    db, rows = studied
    wal = Path(f"{db}-wal")
    data = bytearray(wal.read_bytes())
    data[32 + 24 + 100] ^= 0xFF  # the first frame's page
    wal.write_bytes(bytes(data))
    os.truncate(db, 0)
    assert reviews_in(db) == []


def test_restore_over_a_file_cut_to_zero_puts_back_the_grades_the_backup_lacks(
    tmp_path: Path,
) -> None:
    """The backup holds no grade; the file is cut to 0 bytes with its -wal beside it. The
    restore salvages the 3 grades (by card and time), replays their cards, and says so; the
    -wal is not deleted by SQLite before it is read (it was)."""
    db = tmp_path / "p.db"
    keys = "\n5\n\n4\n\n3\nq\n"
    r = runner.invoke(app, ["study", "--db", str(db), "--today", "2026-11-26"], input=keys)
    assert r.exit_code == 0, r.output
    before = logged(db)
    conn = sqlite3.connect(db, isolation_level=None)
    graded = "SELECT * FROM sm2 WHERE card_id IN (SELECT card_id FROM reviews) ORDER BY 1"
    memories = conn.execute(graded).fetchall()
    conn.execute("PRAGMA wal_autocheckpoint = 0")
    conn.execute("UPDATE reviews SET seconds = 1.5")
    held = sqlite3.connect(db)  # a session still open: the -wal stays
    held.execute("SELECT 1 FROM reviews").fetchone()
    conn.close()
    os.truncate(db, 0)
    assert Path(f"{db}-wal").stat().st_size > 0
    name = backup.backups(db)[0].path.name
    checked = runner.invoke(app, ["doctor", "--check", "--db", str(db)])
    assert checked.exit_code == 1
    assert f"3 grades the newest backup ({name}) lacks can be salvaged" in checked.output
    done = runner.invoke(app, ["doctor", "--restore", name, "--db", str(db)])
    assert done.exit_code == 0, done.output
    assert f"salvaged 3 grades the backup {name} lacked" in done.output
    said = " ".join(done.output.split())
    assert "3 reviews (0 from the backup, 3 salvaged that it lacked)" in said, said
    assert [(c, a, g) for c, a, g in logged(db)] == before
    conn = sqlite3.connect(db)
    assert conn.execute(graded).fetchall() == memories  # replayed from the log
    conn.close()
    again = runner.invoke(app, ["doctor", "--check", "--db", str(db)])
    assert again.exit_code == 0, again.output
    held.close()


def _cut_to_zero_under_an_open_session(db: Path) -> sqlite3.Connection:
    """3 grades after the only backup; the file cut to 0 bytes, its -wal held by a reader."""
    keys = "\n5\n\n4\n\n3\nq\n"
    r = runner.invoke(app, ["study", "--db", str(db), "--today", "2026-11-26"], input=keys)
    assert r.exit_code == 0, r.output
    conn = sqlite3.connect(db, isolation_level=None)
    conn.execute("PRAGMA wal_autocheckpoint = 0")
    conn.execute("UPDATE reviews SET seconds = 1.5")
    held = sqlite3.connect(db)
    held.execute("SELECT 1 FROM reviews").fetchone()
    conn.close()
    os.truncate(db, 0)
    return held


def test_a_restore_over_a_file_cut_to_zero_can_be_run_again(tmp_path: Path) -> None:
    """The restore put the backup in place as a file, in the rollback-journal mode backups are
    kept in; the same restore run again (a second time in a row) then failed: "kept changing
    while it was being restored", as the copy's write lock kept the database from being read.
    Now the restored database is in WAL mode and the second restore goes back to the backup,
    as asked, keeping the database it replaces."""
    db = tmp_path / "p.db"
    held = _cut_to_zero_under_an_open_session(db)
    name = backup.backups(db)[0].path.name
    first = runner.invoke(app, ["doctor", "--restore", name, "--db", str(db)])
    assert first.exit_code == 0, first.output
    held.close()
    conn = sqlite3.connect(db)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    conn.close()
    salvaged = logged(db)
    assert len(salvaged) == 3
    again = runner.invoke(app, ["doctor", "--restore", name, "--db", str(db)])
    assert again.exit_code == 0, again.output
    assert "kept changing" not in again.output
    assert logged(db) == []  # the backup, as asked
    saved = [b for b in backup.backups(db) if b.path.name != name]
    assert saved and "before-restore" in saved[0].path.name
    back = runner.invoke(app, ["doctor", "--restore", saved[0].path.name, "--db", str(db)])
    assert back.exit_code == 0, back.output
    assert logged(db) == salvaged
    assert runner.invoke(app, ["doctor", "--check", "--db", str(db)]).exit_code == 0


def test_grades_a_restore_added_are_not_added_again_by_the_next(tmp_path: Path) -> None:
    """A session's kept grades (its file deleted under it) are added by the restore and the
    file renamed `.merged.json`, so that a later restore does not bring them back; but that
    name still matched the kept files a restore reads (`-kept-` and `.json`): restoring the
    same backup again gave the backup plus those grades (neither the backup asked for nor
    the database replaced). Now the next restore gives the backup."""
    from dlcards.store.salvage import write_kept

    db = tmp_path / "p.db"
    keys = "\n5\n\n4\n\n3\nq\n"
    r = runner.invoke(app, ["study", "--db", str(db), "--today", "2026-11-26"], input=keys)
    assert r.exit_code == 0, r.output
    name = backup.backups(db)[0].path.name
    grades = logged(db)
    write_kept(backup.folder_of(db) / "p-kept-2026-11-26T120000.000.json", db, reviews_in(db))
    db.unlink()
    first = runner.invoke(app, ["doctor", "--restore", name, "--db", str(db)])
    assert first.exit_code == 0, first.output
    assert logged(db) == grades
    assert (backup.folder_of(db) / "p-kept-2026-11-26T120000.000.merged.json").exists()
    again = runner.invoke(app, ["doctor", "--restore", name, "--db", str(db)])
    assert again.exit_code == 0, again.output
    assert "salvaged" not in again.output
    assert logged(db) == []  # the backup, as asked
    assert runner.invoke(app, ["doctor", "--check", "--db", str(db)]).exit_code == 0


def test_the_copy_of_the_replaced_database_is_named_where_it_is(tmp_path: Path) -> None:
    """The restore says where the database it replaced is kept; over a damaged file that is
    a raw copy, which the restore then renames `-salvaged-` once it has salvaged from it (so
    that a later restore does not salvage it again): the line named a file no longer there,
    and so did the salvage line, of each file it read."""
    db = tmp_path / "p.db"
    held = _cut_to_zero_under_an_open_session(db)
    name = backup.backups(db)[0].path.name
    done = runner.invoke(app, ["doctor", "--restore", name, "--db", str(db)])
    held.close()
    assert done.exit_code == 0, done.output
    said = " ".join(done.output.split())
    kept = Path(said.split("the database it replaced is in ")[1].split()[0].rstrip(";,"))
    assert kept.exists() and "-salvaged-" in kept.name, said
    salvaged = said.split(f"the backup {name} lacked (from ")[1].split(")")[0].split(", ")
    assert salvaged == [kept.name]  # the same file, by the name it has now


def test_the_scan_of_a_broken_log_does_not_bring_back_freed_rows(tmp_path: Path) -> None:
    """The log's root page gone, the pages left are read by the shape of their rows; a page
    freed when its rows were deleted (undone grades) keeps them unless SQLite wipes freed
    pages (`secure_delete`, off in many builds), and the scan brought them back. Now the
    pages on the freelist (from the header and its trunk pages) are not read, nor a live
    page's freed cells: exactly the rows not deleted."""
    from dlcards.store.rows import REVIEW_COLUMNS

    db = tmp_path / "p.db"
    conn = sqlite3.connect(db, isolation_level=None)
    conn.execute("PRAGMA page_size = 1024")
    conn.execute("PRAGMA secure_delete = 0")
    conn.execute(f"CREATE TABLE reviews (id INTEGER PRIMARY KEY, {', '.join(REVIEW_COLUMNS)})")
    conn.executemany(
        "INSERT INTO reviews (card_id, reviewed_at, day, grade, kind, at) "
        "VALUES (?, ?, '2026-11-26', 4, 'scheduled', ?)",
        [(f"card-{i:03d}", f"2026-11-26T10:{i // 60:02d}:{i % 60:02d}", i) for i in range(200)],
    )
    conn.execute("DELETE FROM reviews WHERE id BETWEEN 60 AND 140 OR id = 20")
    assert conn.execute("PRAGMA freelist_count").fetchone()[0] > 0
    left = sorted(r[0] for r in conn.execute("SELECT at FROM reviews"))
    (root,) = conn.execute("SELECT rootpage FROM sqlite_master").fetchone()
    conn.close()
    data = bytearray(db.read_bytes())
    data[(root - 1) * 1024 : root * 1024] = bytes(1024)  # the log's root: the walk breaks
    db.write_bytes(bytes(data))
    assert sorted(r[REVIEW_COLUMNS.index("at")] for r in reviews_in(db)) == left


def test_a_grade_undone_after_the_backup_stays_undone_when_it_is_restored(
    tmp_path: Path,
) -> None:
    """A backup holds 3 grades; the last is undone (`dlcards undo`); the file is then lost.
    The restore over it puts back what was done since the backup, but the undo, a deleted
    row, was nowhere to be found: the backup's copy of the grade came back. The undo is now
    recorded beside the backups, and the restore takes the grade out and says so; over a
    sound database the restore goes back to the backup as asked, and retires the record."""
    db = tmp_path / "p.db"
    keys = "\n5\n\n4\n\n3\nq\n"
    r = runner.invoke(app, ["study", "--db", str(db), "--today", "2026-11-26"], input=keys)
    assert r.exit_code == 0, r.output
    assert runner.invoke(app, ["backup", "--db", str(db)]).exit_code == 0
    name = backup.backups(db)[0].path.name
    undone = runner.invoke(app, ["undo", "--db", str(db)])
    assert undone.exit_code == 0 and "undid grade 3" in undone.output, undone.output
    left = logged(db)
    assert len(left) == 2
    for end in ("", "-wal", "-shm"):
        Path(f"{db}{end}").unlink(missing_ok=True)
    done = runner.invoke(app, ["doctor", "--restore", name, "--db", str(db)])
    assert done.exit_code == 0, done.output
    said = " ".join(done.output.split())
    assert "2 reviews (2 from the backup, 0 salvaged that it lacked)" in said, said
    assert "1 grade undone since (`dlcards undo`, `u`) stayed undone" in said, said
    assert logged(db) == left
    assert runner.invoke(app, ["doctor", "--check", "--db", str(db)]).exit_code == 0
    again = runner.invoke(app, ["doctor", "--restore", name, "--db", str(db)])  # sound: as asked
    assert again.exit_code == 0, again.output
    assert len(logged(db)) == 3 and not (backup.folder_of(db) / "p-undone.jsonl").exists()


def test_an_undone_leech_grade_takes_its_suspension_with_it_at_the_restore(
    tmp_path: Path,
) -> None:
    """A lapse makes the card a leech and suspends it; a backup holds that; the grade is
    undone (the card unsuspended, no longer a leech); the file is lost. The restore took the
    grade out of the backup's log (the undo is recorded), but the card stayed a suspended
    leech: the undo's effects on the card came back with the backup. Now they are taken back
    as the undo took them."""
    db = tmp_path / "p.db"

    def run(*args: str, keys: str | None = None) -> str:
        r = runner.invoke(app, [*args, "--db", str(db)], input=keys)
        assert r.exit_code == 0, r.output
        return r.output

    run("config", "leech_threshold", "1")
    run("study", "--new", "1", "--today", "2026-11-25", keys="\n5\nq\n")
    assert "is a leech" in run("study", "--today", "2026-11-26", keys="\n0\nq\n")
    run("backup")
    name = backup.backups(db)[0].path.name
    assert "undid grade 0" in run("undo")
    flags = "SELECT suspended, leech FROM cards WHERE id = 'perceptron-1'"
    conn = sqlite3.connect(db)
    assert conn.execute(flags).fetchone() == (0, 0)
    conn.close()
    for end in ("", "-wal", "-shm"):
        Path(f"{db}{end}").unlink(missing_ok=True)
    assert "1 grade undone since" in " ".join(run("doctor", "--restore", name).split())
    conn = sqlite3.connect(db)
    assert conn.execute(flags).fetchone() == (0, 0)
    assert conn.execute("SELECT count(*) FROM reviews").fetchone()[0] == 1
    conn.close()
    assert runner.invoke(app, ["doctor", "--check", "--db", str(db)]).exit_code == 0
