"""The database header's mark that no record of file writes is kept (`NONE_PENDING_ID`): what
`decks_as_committed` reads before `topics`, `show` and the other commands that read the decks
without opening the store. It must never say "none" while a record is kept (a killed import's
decks would then be read as the learner's), whatever the order of records and their ends."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from dlcards.cli import app
from dlcards.store import Store
from dlcards.store.count import NONE_PENDING_ID, PENDING_FILES, pending_files_at


def _header(path: Path) -> int:
    conn = sqlite3.connect(path)
    try:
        return int(conn.execute("PRAGMA application_id").fetchone()[0])
    finally:
        conn.close()


def test_a_new_database_is_marked_and_a_record_takes_the_mark_back(tmp_path: Path) -> None:
    db = tmp_path / "d.db"
    with Store.open(db) as store:
        assert _header(db) == NONE_PENDING_ID
        assert not pending_files_at(str(db))
        store.record_pending(f"{PENDING_FILES}a", "{}")
        assert _header(db) != NONE_PENDING_ID
        assert pending_files_at(str(db))
        store.forget_pending(f"{PENDING_FILES}a")
        assert _header(db) == NONE_PENDING_ID
        assert not pending_files_at(str(db))


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.booleans(), st.integers(0, 2)), max_size=8))
def test_the_mark_is_never_there_while_a_record_is(
    tmp_path_factory: object, steps: list[tuple[bool, int]]
) -> None:
    """Records kept and dropped in any order, some dropped twice or never kept: after each
    step, `pending_files_at` says True exactly when the store holds a record."""
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        db = Path(folder) / "d.db"
        with Store.open(db) as store:
            for keep, which in steps:
                key = f"{PENDING_FILES}{which}"
                if keep:
                    store.record_pending(key, "{}")
                else:
                    store.forget_pending(key)
                assert pending_files_at(str(db)) == bool(store.pending_files())


def test_an_older_databases_mark_is_written_once_by_the_next_command(tmp_path: Path) -> None:
    """A database an older dlcards made has no mark (application_id 0): `pending_files_at`
    looks in `meta` (a record there is found), and the first command that opens the store
    with none kept writes the mark."""
    db = tmp_path / "d.db"
    with Store.open(db) as store:
        store.record_pending(f"{PENDING_FILES}old", "not json")
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA application_id = 0")
    conn.close()
    assert pending_files_at(str(db))  # a record there: found in `meta`
    runner = CliRunner()
    # a record that is not JSON is dropped (`undo_killed_writes`), and the mark written
    assert runner.invoke(app, ["due", "--db", str(db)]).exit_code == 0
    assert _header(db) == NONE_PENDING_ID
    with Store.open(db) as store:
        assert store.pending_files() == {}
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA application_id = 0")  # an older dlcards's, with no record
    conn.close()
    assert runner.invoke(app, ["due", "--db", str(db)]).exit_code == 0
    assert _header(db) == NONE_PENDING_ID


def test_a_record_written_by_sql_alone_under_no_mark_is_found(tmp_path: Path) -> None:
    """The mark is only trusted when it is there: a database with no mark and a record is
    read in `meta` (an older dlcards's import killed before its commit)."""
    db = tmp_path / "d.db"
    with Store.open(db):
        pass
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA application_id = 0")
    conn.execute("INSERT INTO meta (key, value) VALUES (?, '{}')", (f"{PENDING_FILES}x",))
    conn.commit()
    conn.close()
    assert pending_files_at(str(db))
