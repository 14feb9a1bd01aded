"""The store: schema, sync by id, one-transaction grades, undo, bad database files."""

from __future__ import annotations

import gc
import os
import re
import sqlite3
import sys
from collections.abc import Callable
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any

import helpers as h
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from dlcards.catalog import load_catalog
from dlcards.deck import Card
from dlcards.errors import StoreError
from dlcards.sm2 import Grade, State, review
from dlcards.store import SCHEMA_VERSION, Store

NOW = datetime(2026, 11, 26, 9, 0, tzinfo=timezone.utc)
DAY = date(2026, 11, 26)


def card(cid: str, topic: str = "t", question: str = "q", answer: str = "a") -> Card:
    return Card(id=cid, topic=topic, question=question, answer=answer)


@pytest.fixture
def store(tmp_path: Path) -> Store:
    s = Store.open(tmp_path / "sub" / "dir" / "p.db")
    yield s
    s.close()


@pytest.mark.no_files
def test_no_sql_numbers_its_placeholders_when_it_binds_a_sequence() -> None:
    """`?1`, `?2` are named parameters to the sqlite3 module: bound from a sequence, Python
    3.12 warns and 3.14 raises ProgrammingError (found running the suite on 3.12: 28,534
    warnings from six statements, among them the one `due` counts with). Every SQL text in
    dlcards uses `?` or `:name`; this reads every string literal for a `?` and a digit, in
    SQL or as a mark made alone (the bulk merge's insert numbered its marks with
    `f"?{row * width + k}"`, a literal with no SQL word: on 3.12 every columnar merge warned,
    and from 3.14 `import anki` of a large file would have failed)."""
    import io
    import tokenize

    numbered = re.compile(r"\?(\d|\{)")
    sql = re.compile(r"\b(SELECT|UPDATE|INSERT|DELETE|WHERE|VALUES|SET|FROM|AND|OR|THEN)\b")
    found = []
    root = Path(__file__).resolve().parent.parent
    for path in sorted((root / "dlcards").rglob("*.py")):
        source = path.read_text(encoding="utf-8")
        if not numbered.search(source):
            continue  # no literal of this file can number one: not tokenized (~0.4 s in all)
        for token in tokenize.generate_tokens(io.StringIO(source).readline):
            if token.type == tokenize.STRING and (
                sql.search(token.string) or token.string.lstrip("rbfRBF").startswith(("'?", '"?'))
            ):
                if numbered.search(token.string):
                    found.append(f"{path.relative_to(root)}:{token.start[0]}")
    assert not found, found


def test_creates_directories_schema_and_wal(store: Store) -> None:
    assert store.path.exists()
    version = store.conn.execute("PRAGMA user_version").fetchone()[0]
    assert version == SCHEMA_VERSION
    assert store.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    tables = {r[0] for r in store.conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert {"cards", "sm2", "reviews", "sessions", "meta", "quiz_results"} <= tables


def test_each_migration_is_a_schema_version() -> None:
    """A file is migrated when its `user_version` is below SCHEMA_VERSION: a migration added
    without its version would never run on an existing file (whose commands then fail on the
    table it makes)."""
    from dlcards.store.schema import MIGRATIONS

    assert SCHEMA_VERSION == len(MIGRATIONS)


def test_a_file_from_before_the_session_index_gets_it(tmp_path: Path) -> None:
    """A file as dlcards left it before migration 0028 (schema 27: no `reviews_session`) gets
    the index at its next open; the newest study grade is the newest of any study session
    (two terminals: the older session can give the later grade), never an imported row."""
    day = NOW.date()
    path = tmp_path / "p.db"
    with Store.open(path) as s:
        s.sync([card("a"), card("b"), card("c")], "s1", NOW)
        older = s.start_session("study", day, NOW)
        newer = s.start_session("study", day, NOW)
        h.grade(s, "a", 4, day, session_id=newer)
        last = h.grade(s, "b", 4, day, session_id=older)
        h.grade(s, "c", 4, day)  # in no session, as an import's row: not undone
    conn = sqlite3.connect(path)
    with conn:
        conn.execute("DELETE FROM _sqlite_migrations WHERE name = '0028_reviews_by_session'")
        conn.execute("DROP INDEX reviews_session")
        conn.execute("PRAGMA user_version = 27")
    conn.close()
    with Store.open(path) as s:
        assert s.conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        (sql,) = s.conn.execute(
            "SELECT sql FROM sqlite_master WHERE name = 'reviews_session'"
        ).fetchone()
        assert "session_id IS NOT NULL" in sql  # partial: an import's rows are not in it
        found = s.last_study_grade()
        assert found is not None and found[:2] == (last.id, "b")
        assert (s.session_reviews(older), s.session_reviews(newer)) == (1, 1)
        h.undo(s, last.id)
        found = s.last_study_grade()
        assert found is not None and found[1] == "a"


def test_a_file_from_before_the_topic_tally_gets_it(tmp_path: Path) -> None:
    """A file as dlcards left it before migration 0024 (no `topic_tally`, schema 23) is
    migrated at its next open: the tally made from its cards, kept by its triggers after."""
    import sqlite3

    from dlcards.store.schema import TALLY_TOPIC_SQL, TOPIC_TRIGGERS

    path = tmp_path / "p.db"
    with Store.open(path) as s:
        s.sync([card("a"), card("b"), card("c", topic="u")], "s1", NOW)
    conn = sqlite3.connect(path)
    with conn:
        conn.execute("DELETE FROM _sqlite_migrations WHERE name = '0024_topic_tally'")
        for sql in TOPIC_TRIGGERS:
            conn.execute(f"DROP TRIGGER {sql.split()[2]}")
        conn.execute("DROP TABLE topic_tally")
        conn.execute("PRAGMA user_version = 23")
    conn.close()
    with Store.open(path) as s:
        assert s.conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        assert [(t.topic, t.cards) for t in s.topic_counts(NOW.date(), "sm2")] == [
            ("t", 2),
            ("u", 1),
        ]
        s.sync([card("a"), card("c", topic="u")], "s2", NOW)  # b retired
        tally = s.conn.execute("SELECT sched, topic, suspended, cards FROM topic_tally")
        assert sorted(tally) == sorted(s.conn.execute(TALLY_TOPIC_SQL))
        assert [(t.topic, t.cards) for t in s.topic_counts(NOW.date(), "sm2")] == [
            ("t", 1),
            ("u", 1),
        ]


def test_reviews_before_1970_are_in_the_cards_log(tmp_path: Path) -> None:
    """A review's place in the log is its time in ms since 1970, negative before (an Anki log
    of a clock set to 1969, bench's synthetic histories of intervals of decades). A card never
    reset had its reset point at -1 ms: every review before 1970 was left out of its history
    and its replay, and doctor found its memory differing from its log."""
    from typer.testing import CliRunner

    from dlcards import sm2
    from dlcards.cli import app
    from dlcards.memory import Memory
    from dlcards.store.rows import ReviewRow

    db = tmp_path / "p.db"
    state, rows = sm2.State(), []
    for day, grade in ((date(1969, 12, 30), 5), (date(1969, 12, 31), 4)):
        after, _ = sm2.review(state, sm2.Grade(grade), day)
        rows.append(
            ReviewRow(
                id=0,
                card_id="a",
                kind="scheduled",
                grade=grade,
                before=Memory(sm2=state),
                after=Memory(sm2=after),
                seconds=3.0,
                session_id=None,
                day=day,
                reviewed_at=f"{day.isoformat()}T09:00:00.000+00:00",
            )  # fmt: skip
        )
        state = after
    with Store.open(db) as s:
        s.sync([card("a"), card("b")], "s1", NOW)
        assert s.import_reviews(rows) == 2  # the path bench and migrations load history by
        assert [e.grade for e in s.history("a")] == [5, 4]
        assert s.memory("a").sm2 == state
        h.grade(s, "a", 4, date(2026, 11, 26))
        assert s.memory("a").sm2.repetitions == 3  # the replay of all three
    checked = CliRunner().invoke(app, ["doctor", "--check", "--db", str(db)])
    assert checked.exit_code == 0, checked.output


def test_sync_adds_updates_retires_and_restores(store: Store) -> None:
    r = store.sync([card("a"), card("b")], "s1", NOW)
    assert (r.added, r.updated, r.retired) == (2, 0, 0)
    h.grade(store, "a", Grade.PERFECT, DAY, NOW)
    # edit a's text: progress kept
    r = store.sync([card("a", answer="fixed typo"), card("b")], "s2", NOW)
    assert (r.added, r.updated) == (0, 1)
    assert h.state(store, "a").repetitions == 1
    # remove a: retired, hidden from queues, history kept
    r = store.sync([card("b")], "s3", NOW)
    assert r.retired == 1
    assert "a" not in h.due_ids(store, date(2030, 1, 1))
    assert store.review_count() == 1
    # a comes back with its progress
    r = store.sync([card("a"), card("b")], "s4", NOW)
    assert r.restored == 1
    assert h.due_ids(store, date(2030, 1, 1)) == ["a"]
    assert h.state(store, "a").repetitions == 1
    assert store.is_synced("s4") and not store.is_synced("s3")


def test_grade_writes_state_and_log_together(store: Store) -> None:
    store.sync([card("a")], "s", NOW)
    row = h.grade(store, "a", Grade.GOOD, DAY, NOW, seconds=4.5)
    expected, _ = review(State(), Grade.GOOD, DAY)
    assert h.state(store, "a") == expected == row.after.sm2
    log = store.conn.execute(
        "SELECT grade, kind, seconds, ef_before, ef_after, interval_after, due_after FROM reviews"
    ).fetchall()
    assert log == [(4, "scheduled", 4.5, 250, 250, 1, "2026-11-27")]


def test_second_grade_same_day_is_a_redrill(store: Store) -> None:
    store.sync([card("a")], "s", NOW)
    h.grade(store, "a", Grade.GOOD, DAY, NOW)
    state = h.state(store, "a")
    row = h.grade(store, "a", Grade.BLACKOUT, DAY, NOW)
    assert row.kind == "redrill" and h.state(store, "a") == state


def test_undo_restores_exactly(store: Store) -> None:
    store.sync([card("a")], "s", NOW)
    first = h.grade(store, "a", Grade.PERFECT, DAY, NOW)
    snapshot = h.state(store, "a")
    second = h.grade(store, "a", Grade.PERFECT, date(2026, 11, 27), NOW)
    assert h.state(store, "a") != snapshot
    h.undo(store, second.id)
    assert h.state(store, "a") == snapshot
    h.undo(store, first.id)
    assert h.state(store, "a") == State()
    assert store.review_count() == 0


@settings(max_examples=25, deadline=None)
@given(st.lists(st.integers(0, 5), min_size=1, max_size=12))
def test_state_round_trips_through_sqlite(
    tmp_path_factory: pytest.TempPathFactory, new_db: Callable[[Path], Path], grades: list[int]
) -> None:
    s = Store.open(new_db(tmp_path_factory.mktemp("rt") / "p.db"))
    try:
        s.sync([card("a")], "s", NOW)
        expected, day = State(), DAY
        for g in grades:
            expected, _ = review(expected, Grade(g), day)
            h.grade(s, "a", Grade(g), day, NOW)
            assert h.state(s, "a") == expected
            assert expected.due is not None
            day = expected.due
    finally:
        s.close()


def test_new_introduced_counts_first_grades_today(store: Store) -> None:
    store.sync([card("a"), card("b"), card("c")], "s", NOW)
    h.grade(store, "a", Grade.GOOD, DAY, NOW)
    h.grade(store, "a", Grade.GOOD, DAY, NOW)  # re-drill, not a second new card
    h.grade(store, "b", Grade.BLACKOUT, DAY, NOW)
    assert store.new_introduced(DAY) == 2
    assert store.new_introduced(date(2026, 11, 27)) == 0


# --- bad database files ---------------------------------------------------------------------


def test_corrupt_file_is_refused_untouched(tmp_path: Path) -> None:
    path = tmp_path / "p.db"
    path.write_bytes(b"this is not sqlite at all" * 100)
    before = path.read_bytes()
    with pytest.raises(StoreError, match="corrupt or not a dlcards database"):
        Store.open(path)
    assert path.read_bytes() == before


def test_truncated_sqlite_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "p.db"
    Store.open(path).close()
    data = path.read_bytes()
    path.write_bytes(data[:100] + b"\xff" * 3000)
    before = path.read_bytes()
    with pytest.raises(StoreError):
        Store.open(path)
    assert path.read_bytes() == before


def test_a_file_cut_short_at_a_page_is_refused_unless_a_journal_will_mend_it(
    tmp_path: Path,
) -> None:
    """Fewer pages than its header gives (SQLite's own test when it reads the file, which it
    reports only as "malformed"): one line that says so, before anything reads it; but not
    while a rollback journal or a log beside it is still to be played back."""
    from dlcards.store.connection import check_header

    path = tmp_path / "p.db"
    with Store.open(path) as s:
        s.sync([card(f"c{i}", question="q" * 500) for i in range(100)], "s1", NOW)
    data = path.read_bytes()
    pages = int.from_bytes(data[28:32], "big")
    assert len(data) == pages * 4096 and pages > 10
    path.write_bytes(data[: 4096 * 10])
    with pytest.raises(
        StoreError, match=f"damaged \\(cut short: 10 of its {pages} pages are there\\)"
    ):
        Store.open(path)
    journal = Path(f"{path}-journal")
    journal.write_bytes(b"\x00" * 512)
    check_header(path)  # left to SQLite's playback of the journal
    journal.write_bytes(b"")
    with pytest.raises(StoreError, match="cut short"):
        check_header(path)


def test_newer_schema_is_refused_untouched(tmp_path: Path) -> None:
    path = tmp_path / "p.db"
    Store.open(path).close()
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.commit()
    conn.close()
    before = path.read_bytes()
    with pytest.raises(StoreError, match="newer dlcards"):
        Store.open(path)
    assert path.read_bytes() == before


def test_foreign_sqlite_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "other.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE photos (id INTEGER)")
    conn.commit()
    conn.close()
    with pytest.raises(StoreError, match="did not create"):
        Store.open(path)


@pytest.mark.skipif(os.geteuid() == 0, reason="root ignores file permissions")
def test_a_read_only_file_is_read_and_a_write_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "p.db"
    with Store.open(path) as s:
        s.sync([card("a")], "s", NOW)
    path.chmod(0o444)
    with Store.open(path) as s:
        assert s.new_ids("sm2") == ["a"]
        with pytest.raises(StoreError, match="read-only"):
            h.grade(s, "a", Grade.GOOD, DAY, NOW)


def test_locked_database_gives_a_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from dlcards.store import connection

    monkeypatch.setattr(connection, "BUSY_TIMEOUT_S", 0.2)  # where the connection reads it
    path = tmp_path / "p.db"
    s = Store.open(path)
    s.sync([card("a")], "s", NOW)
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        other = Store.open(path)
        with pytest.raises(StoreError, match="locked"):
            other.grade("a", Grade.GOOD, DAY, NOW)
        other.close()
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert s.review_count() == 0
    s.close()


def test_a_read_only_folder_is_named_not_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SQLite writes its journal next to the database: a folder that cannot be written stops a
    write though the file itself could be; the message names the folder."""
    path = tmp_path / "p.db"
    Store.open(path).close()
    real_access = os.access
    monkeypatch.setattr(
        os,
        "access",
        lambda p, mode: False if mode == os.W_OK and Path(p) == tmp_path else real_access(p, mode),
    )
    with Store.open(path) as s, pytest.raises(StoreError) as info:
        s.set_meta("k", "v")
    assert str(info.value) == (
        f"the folder {tmp_path} is read-only, and SQLite writes its journal next to the "
        "database p.db; check the folder's permissions or pass --db"
    )


def test_a_read_only_index_beside_the_file_is_named_not_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`chmod 444 p.db-shm` while a session had the database open (run as a user, not root):
    every other terminal's write said "database p.db is read-only; check its permissions",
    though p.db could be written; SQLite had opened the log's index read-only. The message
    names the file that is read-only. (Root writes whatever the permissions: the access
    check is what is made to deny here.)"""
    from dlcards.store.connection import translate_error

    path = tmp_path / "p.db"
    Store.open(path).close()
    Path(f"{path}-shm").write_bytes(b"")
    shm = Path(f"{path}-shm")
    real_access = os.access
    monkeypatch.setattr(
        os,
        "access",
        lambda p, mode: False if mode == os.W_OK and Path(p) == shm else real_access(p, mode),
    )
    said = str(
        translate_error(path, sqlite3.OperationalError("attempt to write a readonly database"))
    )
    assert said == (
        f"cannot write database {path}: p.db-shm beside it (the write-ahead log's index) is "
        "read-only; make it writable (chmod u+w), or pass --db"
    )


def test_sync_builtin_decks(store: Store) -> None:
    catalog = load_catalog(use_cache=False)
    r = store.sync(catalog.cards, "x", NOW)
    assert r.added == h.shipped()[0]
    assert store.new_ids("sm2", limit=3) == ["perceptron-1", "perceptron-2", "perceptron-3"]


def test_read_only_message_as_root_too(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "p.db"
    Store.open(path).close()
    before = path.read_bytes()
    real_access = os.access
    monkeypatch.setattr(
        os, "access", lambda p, mode: False if mode == os.W_OK else real_access(p, mode)
    )
    with Store.open(path) as s, pytest.raises(StoreError, match=r"p.db is read-only"):
        s.set_meta("k", "v")
    assert path.read_bytes() == before


def test_a_second_terminal_syncing_the_same_decks_is_a_no_op(tmp_path: Path) -> None:
    path = tmp_path / "p.db"
    first, second = Store.open(path), Store.open(path)
    assert not second.is_synced("s")  # both saw an unsynced database ...
    assert first.sync([card("a"), card("b")], "s", NOW).added == 2
    again = second.sync([card("a"), card("b")], "s", NOW)  # ... the second finds it done
    assert (again.added, again.parsed) == (0, False)
    assert second.new_ids("sm2") == ["a", "b"]
    first.close()
    second.close()


def test_review_counts_windows(store: Store) -> None:
    store.sync([card("a"), card("b")], "s", NOW)
    h.grade(store, "a", Grade.GOOD, date(2026, 11, 1), NOW)
    h.grade(store, "b", Grade.BLACKOUT, date(2026, 11, 20), NOW)
    h.grade(store, "b", Grade.GOOD, date(2026, 11, 20), NOW)  # re-drill
    week, ever = store.review_counts(date(2026, 11, 20), date(2026, 11, 20), date.min)
    assert week == (2, 1, 0) and ever == (3, 2, 1)


@pytest.mark.skipif(os.name != "posix" or sys.platform == "darwin", reason="XDG platforms")
def test_default_path_matches_platformdirs(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import platformdirs

    from dlcards.paths import default_db as default_path

    monkeypatch.delenv("DLCARDS_DB")
    for xdg in (None, str(tmp_path / "xdg")):
        if xdg is None:
            monkeypatch.delenv("XDG_DATA_HOME", raising=False)
        else:
            monkeypatch.setenv("XDG_DATA_HOME", xdg)
        expected = Path(platformdirs.user_data_dir("dlcards", appauthor=False)) / "dlcards.db"
        assert default_path() == expected


@pytest.mark.skipif(os.name != "posix" or sys.platform == "darwin", reason="XDG platforms")
def test_a_relative_xdg_folder_is_ignored_as_the_xdg_specification_asks(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """XDG_DATA_HOME=relative/path made the database under the current directory: a command
    run from another folder found a new, empty collection. A relative path is ignored."""
    from dlcards.paths import cache_dir, default_db

    monkeypatch.delenv("DLCARDS_DB")
    monkeypatch.delenv("DLCARDS_CACHE_DIR")
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("XDG_DATA_HOME", "relative/data")
    monkeypatch.setenv("XDG_CACHE_HOME", "relative/cache")
    assert default_db() == tmp_path / ".local" / "share" / "dlcards" / "dlcards.db"
    assert cache_dir() == tmp_path / ".cache" / "dlcards"


# --- paths that are not files, values that are not values ---------------------------------------


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX file types")
@pytest.mark.parametrize("kind", ["fifo", "loop", "broken", "device", "socket", "dir"])
def test_a_database_path_that_is_not_a_file_is_refused_at_once(tmp_path: Path, kind: str) -> None:
    import socket
    import subprocess

    path = tmp_path / "p.db"
    what = {
        "fifo": "is a FIFO (named pipe), not a file",
        "loop": "is a symbolic link loop",
        "broken": "is a symbolic link to a missing file",
        "device": "is a device, not a file",
        "socket": "is a socket, not a file",
        "dir": "is a directory, not a file",
    }[kind]
    sock = None
    if kind == "fifo":
        os.mkfifo(path)
    elif kind == "loop":
        path.symlink_to(tmp_path / "q.db")
        (tmp_path / "q.db").symlink_to(path)
    elif kind == "broken":
        path.symlink_to(tmp_path / "gone.db")
    elif kind == "device":
        path = Path("/dev/null")
    elif kind == "socket":
        sock = socket.socket(socket.AF_UNIX)
        sock.bind(str(path))
    else:
        path.mkdir()
    try:
        # every command, as a process: a FIFO must not hang open()
        for args in (["stats"], ["show", "gd-2", "--json"], ["study"], ["export", "reviews"]):
            run = subprocess.run(
                [sys.executable, "-m", "dlcards", *args, "--db", str(path)],
                capture_output=True,
                text=True,
                timeout=30,
                input="q\n",
                env={**os.environ, "PYTHONPATH": str(Path(__file__).parent.parent)},
            )
            assert run.returncode == 2, (args, run.stdout, run.stderr)
            assert run.stderr == f"error: database path {path} {what}; pass a file with --db\n"
    finally:
        if sock is not None:
            sock.close()


def test_a_file_that_is_not_whole_pages_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "p.db"
    Store.open(path).close()
    with path.open("ab") as fh:
        fh.write(b"\x00" * 100)
    with pytest.raises(StoreError, match="is not a whole number of 4096-byte pages"):
        Store.open(path)


@pytest.mark.parametrize(
    ("column", "value", "words"),
    [
        ("ef", "'abc'", "sm2.ef holds 'abc', not a whole number from 130"),
        ("ef", "2.5", "sm2.ef holds '2.5', not a whole number from 130"),
        ("repetitions", "-1", "sm2.repetitions holds '-1', not a whole number from 0"),
        ("interval", "1e300", "sm2.interval holds '1e+300', not a whole number"),
        ("due", "'2026-1:-19'", "sm2.due holds '2026-1:-19', not a date"),
        ("last_review", "20261126", "sm2.last_review holds '20261126', not a date"),
    ],
)
def test_a_bad_stored_value_is_one_line_naming_card_and_column(
    store: Store, column: str, value: str, words: str
) -> None:
    store.sync([card("a")], "sig", NOW)
    h.grade(store, "a", 4, DAY)
    store.conn.execute(f"UPDATE sm2 SET {column} = {value} WHERE card_id = 'a'")
    with pytest.raises(StoreError) as err:
        store.memory("a")
    message = str(err.value)
    assert message.startswith(f"card a: column {words}")
    assert message.endswith("; run `dlcards doctor` to repair the database")


@pytest.mark.parametrize(
    ("sql", "words"),
    [
        ("UPDATE fsrs SET stability = 0", "fsrs.stability holds '0.0', not a number above 0"),
        ("UPDATE fsrs SET stability = 'x'", "fsrs.stability holds 'x', not a number above 0"),
        ("UPDATE fsrs SET difficulty = 11", "fsrs.difficulty holds '11.0', not a number from 1"),
        ("UPDATE reviews SET grade = 9", "reviews.grade holds '9', not a whole number from 0 to 5"),
        ("UPDATE reviews SET day = 'soon'", "reviews.day holds 'soon', not a date"),
    ],
)
def test_bad_log_and_fsrs_values_stop_fsrs_and_the_export(
    tmp_path: Path, sql: str, words: str
) -> None:
    from typer.testing import CliRunner

    from dlcards.cli import app

    db = tmp_path / "p.db"
    runner = CliRunner()
    assert runner.invoke(app, ["config", "scheduler", "fsrs", "--db", str(db)]).exit_code == 0
    keys = "\n4\nq\n"
    graded = runner.invoke(app, ["study", "--db", str(db), "--today", "2026-11-26"], input=keys)
    assert graded.exit_code == 0
    conn = sqlite3.connect(db)
    conn.execute(sql)
    conn.commit()
    conn.close()
    commands = [["config", "desired_retention", "0.85"]]  # replays every card's log
    if "reviews." in words:
        commands.append(["export", "reviews"])
    else:
        commands.append(["show", "perceptron-1"])  # the card graded above
    for args in commands:
        result = runner.invoke(app, [*args, "--db", str(db)], input="\n")
        assert result.exit_code == 2, (args, result.output)
        lines = result.output.strip().splitlines()
        assert len(lines) == 1 and words in lines[0] and "dlcards doctor" in lines[0], lines


def test_writes_into_a_database_missing_a_table_stop_with_one_line(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from dlcards.cli import app

    db = tmp_path / "p.db"
    Store.open(db).close()
    conn = sqlite3.connect(db)
    conn.execute("DROP TABLE sessions")
    conn.commit()
    conn.close()
    result = CliRunner().invoke(
        app, ["study", "--db", str(db), "--today", "2026-11-26"], input="\n4\n"
    )
    assert result.exit_code == 2
    assert result.output.strip().splitlines() == [
        f"error: database {db} is damaged: table sessions is missing; "
        "run `dlcards doctor` to repair it or restore a backup"
    ]


@pytest.mark.skipif(sys.platform != "linux" or os.geteuid() != 0, reason="mounts a tmpfs")
def test_a_full_disk_says_so_and_leaves_no_empty_wal_behind(tmp_path: Path) -> None:

    from typer.testing import CliRunner

    from dlcards.cli import app

    with h.small_disk(tmp_path / "mnt", "2m") as mnt:
        db = mnt / "p.db"
        runner = CliRunner()
        made = runner.invoke(app, ["due", "--db", str(db), "--today", "2026-11-26"])
        assert made.exit_code == 0, made.output
        assert not (mnt / "backups").exists()  # a first sync backs nothing up
        h.fill_disk(mnt)
        before = sorted(p.name for p in mnt.iterdir())
        for args in (["stats", "--today", "2026-11-26"], ["export", "reviews"], ["config"]):
            result = runner.invoke(app, [*args, "--db", str(db)])
            # a read may still succeed (nothing to write); if it cannot, it says why in one line
            if result.exit_code != 0:
                assert result.exit_code == 2, (args, result.output)
                lines = result.output.strip().splitlines()
                assert len(lines) == 1 and lines[0].startswith("error: the disk is full"), lines
            assert sorted(p.name for p in mnt.iterdir()) == before


# --- sync deck by deck ---------------------------------------------------------------------------

_IDS = "abcdefgh"
# each state: per id, its deck (0-2, or 3: in no deck) and its answer's variant; and the decks'
# topics (unique, as the catalog has them: a deck may be renamed, or two may swap topics)
_DECK_STATES = st.lists(
    st.tuples(
        st.tuples(*[st.tuples(st.integers(0, 3), st.integers(0, 1)) for _ in _IDS]),
        st.permutations(["t0", "t1", "t2", "t3"]),
    ),
    min_size=1,
    max_size=5,
)


def _parts(state: tuple, loaded: list[int] | None = None) -> list:
    from dlcards.store.rows import DeckPart

    where, topics = state
    decks: list[list[Card]] = [[], [], []]
    for cid, (deck, variant) in zip(_IDS, where, strict=True):
        if deck < 3:
            decks[deck].append(card(cid, topic=topics[deck], answer=f"a{variant}"))

    def load(i: int) -> list[Card]:
        if loaded is not None:
            loaded.append(i)
        return decks[i]

    stamps = [repr((topics[i], [(c.id, c.answer) for c in d])) for i, d in enumerate(decks)]
    return [DeckPart(f"d{i}", stamps[i], lambda i=i: load(i)) for i in range(3)]


def _active(store: Store) -> tuple[list, list]:
    rows = store.query(
        "SELECT id, topic, position, content_hash FROM cards WHERE retired = 0 ORDER BY id"
    )
    search = store.query(
        "SELECT s.card_id, s.answer FROM card_search s JOIN cards c ON c.search_rowid = s.rowid "
        "ORDER BY s.card_id"
    )
    return rows, search


@settings(max_examples=60, deadline=None)
@given(_DECK_STATES)
# a deck renamed as a card leaves it: that card is found by the deck's topic at the last sync
@example(
    [
        (((0, 0),) * 8, ["t0", "t1", "t2", "t3"]),
        (((3, 0),) + ((0, 0),) * 7, ["t3", "t1", "t2", "t0"]),
    ]
)
# two decks swap topics as a card leaves each
@example(
    [
        ((*((0, 0),) * 4, *((1, 0),) * 4), ["t0", "t1", "t2", "t3"]),
        (((3, 0), *((0, 0),) * 3, (3, 0), *((1, 0),) * 3), ["t1", "t0", "t2", "t3"]),
    ]
)
def test_syncing_only_changed_decks_gives_what_comparing_every_deck_gives(
    tmp_path_factory: pytest.TempPathFactory, new_db: Callable[[Path], Path], states: list[tuple]
) -> None:
    """After any sequence of edits, adds, moves and removals, syncing only the decks whose
    stamp changed leaves the cards and the search index exactly as comparing every deck of a
    new database does; only changed decks are loaded; progress of a card that left every deck
    and came back is kept."""
    root = tmp_path_factory.mktemp("sync")
    with Store.open(new_db(root / "p.db")) as store:
        store.sync_decks(_parts(states[0]), "s0", NOW)
        for n, state in enumerate(states[1:], start=1):
            before = _parts(states[n - 1])
            loaded: list[int] = []
            store.sync_decks(_parts(state, loaded), f"s{n}", NOW)
            changed = [i for i, p in enumerate(_parts(state)) if p.stamp != before[i].stamp]
            assert sorted(loaded) == changed
        with Store.open(new_db(root / f"fresh{len(states)}.db")) as fresh:
            fresh.sync_decks(_parts(states[-1]), "s", NOW)
            assert _active(store) == _active(fresh)
        seen = {
            cid
            for state in states
            for cid, (deck, _) in zip(_IDS, state[0], strict=True)
            if deck < 3
        }
        retired = {r[0] for r in store.query("SELECT id FROM cards WHERE retired = 1")}
        assert retired == seen - {r[0] for r in _active(store)[0]}


def test_a_full_compare_follows_a_new_deck_file_or_a_lost_signature(store: Store) -> None:
    from dlcards.store.rows import DeckPart

    loaded: list[int] = []
    state = (tuple((i % 2, 0) for i in range(len(_IDS))), ["t0", "t1", "t2"])
    store.sync_decks(_parts(state), "s1", NOW)
    more = DeckPart("d9", "x", lambda: loaded.append(9) or [])
    store.sync_decks([*_parts(state, loaded), more], "s2", NOW)
    assert sorted(loaded) == [0, 1, 2, 9]  # a deck file more: every deck compared
    store.conn.execute("DELETE FROM meta WHERE key = 'deck_signature'")  # as doctor does
    loaded.clear()
    store.sync_decks(_parts(state, loaded), "s3", NOW)
    assert sorted(loaded) == [0, 1, 2]


def _dump(store: Store) -> dict[str, list[tuple]]:
    tables = ("cards", "sm2", "fsrs", "due_tally", "sm2_tally", "retention_days", "meta")
    out = {t: sorted(store.query(f"SELECT * FROM {t}")) for t in tables}
    out["card_search"] = store.query("SELECT rowid, * FROM card_search ORDER BY rowid")
    out["schema"] = sorted(store.query("SELECT type, name, tbl_name, sql FROM sqlite_master"))
    return out


def test_a_first_sync_in_bulk_leaves_what_a_card_by_card_sync_leaves(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A first sync of many cards drops the card tables' indexes and triggers and makes them
    again after the rows: the database is the same as when every card is inserted with them
    in place (same rows, tallies and schema), and the triggers keep the tallies afterwards."""
    import dlcards.store.core as store_module
    from dlcards.store.schema import TALLY_DUE_SQL

    cards = [card(f"c{i}", topic=f"t{i % 3}", question=f"q{i}") for i in range(60)]
    dumps = []
    for bulk, name in ((10**9, "one.db"), (1, "bulk.db")):
        monkeypatch.setattr(store_module, "BULK_CARDS", bulk)
        with Store.open(tmp_path / name) as s:
            s.sync(cards, "s1", NOW)
            dumps.append(_dump(s))
            h.grade(s, "c4", 4, DAY)
            s.set_suspended(["c5"], True, NOW)  # the same time of change in both
            s.sync(cards[1:], "s2", NOW)  # c0 retired
            assert sorted(s.query("SELECT sched, topic, due, suspended, cards FROM due_tally")) == (
                sorted(s.query(TALLY_DUE_SQL))
            )
            dumps.append(_dump(s))
    assert dumps[0] == dumps[2] and dumps[1] == dumps[3]
    assert dumps[0]["due_tally"] == [("fsrs", f"t{i}", "", 0, 20) for i in range(3)] + [
        ("sm2", f"t{i}", "", 0, 20) for i in range(3)
    ]


def test_the_due_tally_of_cards_all_new_is_counted_without_their_memories(store: Store) -> None:
    """`fill_due_tally` of all-new cards counts the cards alone: the tally the join of cards and
    memories gives, with retired and suspended cards among them; `ALL_NEW_SQL` says when that
    holds, and not once a card has been graded or has no memory under a scheduler."""
    from dlcards.store.schema import ALL_NEW_SQL, TALLY_DUE_SQL, fill_due_tally

    store.sync([card(f"c{i}", topic=f"t{i % 3}") for i in range(12)], "s1", NOW)
    store.sync([card(f"c{i}", topic=f"t{i % 3}") for i in range(1, 12)], "s2", NOW)  # c0 retired
    store.set_suspended(["c4", "c5"], True)

    def refilled(all_new: bool) -> list[tuple]:
        with store._write() as c:
            assert c.execute(ALL_NEW_SQL).fetchone()[0] == all_new
            fill_due_tally(c.execute)
        return sorted(store.query("SELECT * FROM due_tally"))

    assert refilled(True) == sorted(store.query(TALLY_DUE_SQL))
    assert ("sm2", "t1", "", 1, 1) in refilled(True)  # c4 suspended, c7 and c10 not
    with store._write() as c:
        c.execute("DELETE FROM fsrs WHERE card_id = 'c3'")  # a card with one memory only
    assert refilled(False) == sorted(store.query(TALLY_DUE_SQL))
    store.sync([card(f"c{i}", topic=f"t{i % 3}") for i in range(14)], "s3", NOW)
    h.grade(store, "c7", 4, DAY)
    assert refilled(False) == sorted(store.query(TALLY_DUE_SQL))


def test_the_due_tally_counts_a_scheduler_all_new_from_the_cards_alone(store: Store) -> None:
    """One scheduler's memories all new and the other's not (an import under SM-2 leaves
    FSRS's new): `fill_due_tally` joins the memories of the second only, and the tally is the
    join of every card with both its memories."""
    from dlcards.store.schema import TALLY_DUE_SQL, fill_due_tally

    store.sync([card(f"c{i}", topic=f"t{i % 3}") for i in range(12)], "s1", NOW)
    store.sync([card(f"c{i}", topic=f"t{i % 3}") for i in range(1, 12)], "s2", NOW)  # c0 retired
    store.set_suspended(["c4", "c5"], True)
    h.grade(store, "c7", 4, DAY)
    h.grade(store, "c4", 2, DAY)

    def refilled(new_table: str, memory_table: str) -> list[tuple]:
        executed: list[str] = []
        with store._write() as c:
            c.execute(f"UPDATE {new_table} SET due = NULL")  # (its tally is made again below)

            def execute(sql: str) -> Any:
                executed.append(sql)
                return c.execute(sql)

            fill_due_tally(execute)
        joins = [sql for sql in executed if f"JOIN {memory_table} " in sql]
        assert joins and not any(f"JOIN {new_table} " in sql for sql in executed)
        return sorted(store.query("SELECT * FROM due_tally"))

    tally = refilled("fsrs", "sm2")
    assert tally == sorted(store.query(TALLY_DUE_SQL))
    graded = [(topic, suspended, n) for sched, topic, due, suspended, n in tally if due]
    assert sorted(graded) == [("t1", 0, 1), ("t1", 1, 1)]  # c7; c4 suspended (SM-2's)
    assert ("fsrs", "t1", "", 1, 1) in tally  # c4 suspended; c7 and c10 not: all new
    assert ("fsrs", "t1", "", 0, 3) in tally
    with store._write() as c:
        c.execute("UPDATE fsrs SET due = ? WHERE card_id = 'c7'", (DAY.isoformat(),))
    assert refilled("sm2", "fsrs") == sorted(store.query(TALLY_DUE_SQL))


def test_a_bulk_merge_refuses_an_invalid_log_row_as_the_trigger_does(store: Store) -> None:
    """In bulk the log's per-row check is one query after the rows: an invalid row still rolls
    everything back (the same error as the trigger's), and the schema is left as it was."""
    from dlcards.store.merge import bulk_indexes

    store.sync([card("a"), card("b")], "s", NOW)
    schema = sorted(store.query("SELECT type, name, sql FROM sqlite_master"))
    insert = (
        "INSERT INTO reviews (card_id, reviewed_at, day, grade, kind) "
        "VALUES (?, '2026-11-26T09:00:00+00:00', '2026-11-26', ?, ?)"
    )
    for rebuild in (False, True):
        with pytest.raises(StoreError, match="invalid review row"), store._write() as c:
            with bulk_indexes(c, rebuild=rebuild):
                c.execute(insert, ("a", 4, "scheduled"))
                c.execute(insert, ("b", 9, "scheduled"))
        assert store.query("SELECT count(*) FROM reviews") == [(0,)]
        assert sorted(store.query("SELECT type, name, sql FROM sqlite_master")) == schema
    with store._write() as c, bulk_indexes(c, rebuild=True):
        c.execute(insert, ("a", 4, "scheduled"))
    assert store.query("SELECT count(*) FROM reviews") == [(1,)]
    assert sorted(store.query("SELECT type, name, sql FROM sqlite_master")) == schema
    with pytest.raises(StoreError, match="invalid review row"), store._write() as c:
        c.execute(insert, ("a", 4, "redo"))  # the trigger is back


def test_a_bulk_fill_of_the_card_tables_gives_back_the_page_cache_it_widened(
    store: Store,
) -> None:
    """`bulk_cards` works with a page cache of BULK_CACHE (a first sync's 100 MB transaction)
    and sets the connection's own again after the block, also when the block fails: a
    command that goes on after its first sync keeps SQLite's default (2 MB)."""
    from dlcards.store.merge import BULK_CACHE, bulk_cards

    def size(c: sqlite3.Connection) -> int:
        return int(c.execute("PRAGMA cache_size").fetchone()[0])

    with store._write() as c:
        own = size(c)
        with bulk_cards(c, rebuild=True):
            assert size(c) == BULK_CACHE != own
        assert size(c) == own
    with pytest.raises(ValueError, match="stop"), store._write() as c:
        with bulk_cards(c, rebuild=True):
            raise ValueError("stop")
    assert size(store.conn) == own
    with store._write() as c, bulk_cards(c, rebuild=False):
        assert size(c) == own  # no bulk: nothing changed


def test_the_store_package_names_what_its_core_defines() -> None:
    """`dlcards.store` loads its names from `dlcards.store.core` on first use: the two lists
    of names (the facade's, which needs no import, and the core's, for type checkers) are one
    list, every name resolves, and a submodule still imports as a module."""
    import importlib

    import dlcards.store as facade
    from dlcards.store import core

    assert facade.__all__ == core.__all__
    for name in facade.__all__:
        assert getattr(facade, name) is getattr(core, name)
    assert importlib.import_module("dlcards.store.backup").__name__ == "dlcards.store.backup"
    with pytest.raises(AttributeError):
        facade.no_such_name  # noqa: B018


def test_tagged_cards_are_those_the_decks_choose(isolated: Path) -> None:
    """`Store.tagged` (how `study --tag` chooses, without loading decks) gives what
    Catalog.select gives after a sync, for every tag and with topics; a suspended card is
    among them, a card gone from the decks is not."""
    from typer.testing import CliRunner

    from dlcards.catalog import load_catalog
    from dlcards.cli import app

    runner = CliRunner()
    assert runner.invoke(app, ["suspend", "cce-24"]).exit_code == 0
    catalog = load_catalog()
    tags = sorted({t for c in catalog.cards for t in c.tags})
    with Store.open(Path(os.environ["DLCARDS_DB"])) as store:
        for tag in tags:
            for topics in ([], ["cce"], ["gd", "loss"]):
                assert store.tagged(tag, topics) == [c.id for c in catalog.select(topics, tag)]
        assert "cce-24" in store.tagged(catalog.card("cce-24").tags[0])
        store.conn.execute("UPDATE cards SET retired = 1 WHERE id = 'gd-23'")
        assert "gd-23" not in store.tagged("math")
        assert store.tagged("no-such-tag") == []


def test_study_by_tag_reads_no_deck_to_choose(
    isolated: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`study --tag T` chooses from the synced cards' tags; an unknown tag is still an error."""
    from typer.testing import CliRunner

    import dlcards.catalog
    from dlcards.cli import app

    runner = CliRunner()
    assert runner.invoke(app, ["due"]).exit_code == 0
    monkeypatch.setattr(dlcards.catalog.Catalog, "select", lambda *a: pytest.fail("select"))
    done = runner.invoke(app, ["study", "--tag", "interview", "--new", "1"], input="\n5\nq\n")
    assert done.exit_code == 0, done.output
    assert "saved: " in done.output
    unknown = runner.invoke(app, ["study", "--tag", "nope"])
    assert unknown.exit_code == 2 and "unknown tag 'nope'" in unknown.output


def test_study_by_tag_and_search_takes_the_cards_both_choose(
    isolated: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """--tag and --search together: the found cards that carry the tag, in the search's order
    (the session is offered exactly those)."""
    import json

    from typer.testing import CliRunner

    import dlcards.session
    from dlcards.catalog import load_catalog
    from dlcards.cli import app

    runner = CliRunner()
    found = json.loads(runner.invoke(app, ["search", "loss", "--json", "-n", "999"]).output)
    catalog = load_catalog()
    want = [c["id"] for c in found["cards"] if "interview" in catalog.card(c["id"]).tags]
    assert 0 < len(want) < len(found["cards"])
    offered: list[object] = []
    real = dlcards.session.StudySession.__init__

    def spy(self: object, store: object, allowed: object, *a: object) -> None:
        offered.append(allowed)
        real(self, store, allowed, *a)  # type: ignore[arg-type]

    monkeypatch.setattr(dlcards.session.StudySession, "__init__", spy)
    done = runner.invoke(app, ["study", "--tag", "interview", "--search", "loss"], input="q\n")
    assert done.exit_code == 0, done.output
    assert offered == [want]


def test_a_wal_grown_by_a_big_write_shrinks_at_the_next_reset(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """After an import of a million reviews the -wal (~270 MB) stayed as long as another
    terminal kept the database open: SQLite reuses it without truncating. With
    journal_size_limit it goes back to the limit when the log is next reset."""
    import dlcards.store.connection as connection

    monkeypatch.setattr(connection, "WAL_SIZE_LIMIT", 256 * 1024)
    db = tmp_path / "p.db"
    wal = Path(f"{db}-wal")
    with Store.open(db) as store, Store.open(db) as other:
        other.get_meta("x")  # another terminal with the database open
        store.set_meta("big", "x" * 4_000_000)
        store.delete_meta("big")
        assert wal.stat().st_size > 4_000_000
        store.conn.execute("PRAGMA wal_checkpoint(PASSIVE)")
        store.set_meta("small", "1")  # the next write starts the log over: truncated
        assert wal.stat().st_size <= 256 * 1024 + 64 * 1024


@settings(max_examples=40, deadline=None)
@given(
    grades=st.lists(
        st.tuples(st.sampled_from("abcdefgh"), st.integers(0, 5), st.integers(0, 20)),
        max_size=25,
    ),
    suspended=st.sets(st.sampled_from("abcdefgh")),
    retired=st.sets(st.sampled_from("abcdefgh")),
    day=st.integers(-2, 40),
    topics=st.sampled_from([(), ("t",), ("u",), ("t", "u")]),
    limit=st.integers(0, 10),
)
def test_the_due_count_and_the_first_due_cards_agree_with_the_whole_list(
    tmp_path_factory: pytest.TempPathFactory,
    new_db: Callable[[Path], Path],
    grades: list[tuple[str, int, int]],
    suspended: set[str],
    retired: set[str],
    day: int,
    topics: tuple[str, ...],
    limit: int,
) -> None:
    """A session counts the due cards from the tally and lists only those it shows
    (`count_due`, `due_ids(limit=)`): the same as counting and cutting the whole list, for
    suspended and retired cards, a topic filter, and a day before some of the reviews."""
    from datetime import timedelta

    path = new_db(tmp_path_factory.mktemp("due") / "p.db")
    ids = "abcdefgh"
    decks = [card(c, topic="t" if i % 2 else "u") for i, c in enumerate(ids)]
    with Store.open(path) as s:
        s.sync(decks, "s1", NOW)
        for cid, g, offset in grades:
            h.grade(s, cid, g, DAY + timedelta(days=offset), NOW + timedelta(days=offset))
        if suspended:
            s.set_suspended(sorted(suspended), True)
        s.sync([c for c in decks if c.id not in retired], "s2", NOW)
        for by in ("sm2", "fsrs"):
            today = DAY + timedelta(days=day)
            whole = s.due_ids(today, by, topics)
            assert s.count_due(today, by, topics) == len(whole)
            assert s.due_ids(today, by, topics, limit) == whole[:limit]


# --- a first sync written as its decks are parsed ---------------------------------------------


def _big_decks(root: Path, n_decks: int = 6, per_deck: int = 12) -> Path:
    decks = root / "decks"
    decks.mkdir(parents=True)
    for d in range(n_decks):
        cards = "".join(
            f"  - id: big{d}-{k}\n    question: 'Question {k} of deck {d}?'\n"
            f"    answer: 'Answer {k}, with momentum.'\n    tags: [t{k % 3}]\n"
            for k in range(per_deck)
        )
        (decks / f"big{d}.yaml").write_text(
            f"topic: big{d}\ntitle: Big {d}\ncards:\n{cards}", encoding="utf-8"
        )
    return decks


def _contents(path: Path) -> dict[str, list]:
    conn = sqlite3.connect(path)
    cols = [r[1] for r in conn.execute("PRAGMA table_info(cards)") if r[1] != "added"]
    out = {
        "cards": conn.execute(f"SELECT {', '.join(cols)} FROM cards ORDER BY id").fetchall(),
        "search": conn.execute("SELECT rowid, * FROM card_search ORDER BY rowid").fetchall(),
        "schema": conn.execute(
            "SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY type, name"
        ).fetchall(),  # not rootpage: indexes made again after the cards are elsewhere
        "search config": conn.execute("SELECT * FROM card_search_config ORDER BY k").fetchall(),
    }
    for table in ("sm2", "fsrs", "due_tally"):
        out[table] = conn.execute(f"SELECT * FROM {table} ORDER BY 1, 2, 3").fetchall()
    conn.close()
    return out


def _pooled_first_sync(monkeypatch: pytest.MonkeyPatch, inserts: list[int]) -> None:
    """Deck files parsed by the pool (as a first sync of a big collection), a first sync's
    cards written from the 15th card on as the decks come; `inserts`: each insert's cards."""
    import dlcards.catalog as cat
    import dlcards.store.core as core

    monkeypatch.setattr(cat, "PARALLEL_BYTES", 0)
    monkeypatch.setattr(core, "BULK_CARDS", 15)
    real = core.Store._sync_insert

    def spy(c: sqlite3.Connection, fresh: list) -> None:
        inserts.append(len(fresh))
        real(c, fresh)

    monkeypatch.setattr(core.Store, "_sync_insert", staticmethod(spy))


def test_a_first_sync_written_as_the_decks_come_is_the_one_written_at_the_end(
    tmp_path: Path, new_db: Callable[[Path], Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The decks parsed by other processes and each written as it comes (the indexes made
    after them) give the database one sync of the whole catalog gives."""
    from dlcards.commands.common import sync_if_needed

    decks = _big_decks(tmp_path)
    with Store.open(new_db(tmp_path / "whole.db")) as store:
        sync_if_needed(store, [str(decks)])
    with monkeypatch.context() as mp:
        inserts: list[int] = []
        _pooled_first_sync(mp, inserts)
        mp.setenv("DLCARDS_CACHE_DIR", str(tmp_path / "other-cache"))  # every deck parsed
        with Store.open(new_db(tmp_path / "streamed.db")) as store:
            catalog = sync_if_needed(store, [str(decks)])
    assert catalog is not None and len(catalog.cards) == 220 + 6 * 12
    assert len(inserts) > 5 and sum(inserts) == 220 + 6 * 12  # deck by deck, not at the end
    assert _contents(tmp_path / "streamed.db") == _contents(tmp_path / "whole.db")


def test_a_first_sync_from_the_pool_writes_the_workers_rows_and_makes_no_card(
    tmp_path: Path, new_db: Callable[[Path], Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The parse's workers send each deck's rows ready to bind (`rows.Premade`) and the deck
    pickled apart: the process that writes makes no Card while it syncs (unpickling 100,000
    of them and its loop over them were ~0.8 s of its CPU), and the catalog it gives holds
    every card, as a parse here gives them."""
    from dlcards.commands.common import sync_if_needed

    decks = _big_decks(tmp_path)
    inserts: list[int] = []
    _pooled_first_sync(monkeypatch, inserts)
    here, made = os.getpid(), []
    real = Card.__new__

    def counted(cls: type[Card], *args: Any, **kwargs: Any) -> Card:
        if os.getpid() == here:  # not the forked workers' parse
            made.append(args[0] if args else kwargs.get("id"))
        return real(cls, *args, **kwargs)

    with monkeypatch.context() as mp:
        mp.setenv("DLCARDS_CACHE_DIR", str(tmp_path / "other-cache"))  # every deck parsed
        mp.setattr(Card, "__new__", counted)
        with Store.open(new_db(tmp_path / "p.db")) as store:
            catalog = sync_if_needed(store, [str(decks)])
            assert store.query("SELECT count(*) FROM cards") == [(220 + 6 * 12,)]
        assert made == []
    assert inserts and sum(inserts) == 220 + 6 * 12
    assert catalog is not None
    assert catalog.cards == load_catalog([decks], use_cache=False).cards


@pytest.mark.parametrize("pooled", [False, True], ids=["parsed-here", "first-sync-from-the-pool"])
def test_a_sync_keeps_the_anki_guids_the_decks_give(
    tmp_path: Path, new_db: Callable[[Path], Path], monkeypatch: pytest.MonkeyPatch, pooled: bool
) -> None:
    """A card converted from an Anki note holds that note's GUID in its deck (`anki_guid:`):
    a sync into a new database (a new machine, a lost one) keeps it as `import anki --to-yaml`
    does; it was kept in the database alone, and a new one exported the card as a new note.
    The deck file wins over another GUID the database holds, and a card whose deck gives none
    keeps the one an import recorded."""
    from dlcards.commands.common import sync_if_needed

    decks = _big_decks(tmp_path)
    if pooled:
        _pooled_first_sync(monkeypatch, [])

    def keyed(deck: str, card: str, line: str | None) -> None:
        path = decks / f"{deck}.yaml"
        text = re.sub(r"    anki_guid: .*\n", "", path.read_text(encoding="utf-8"))
        if line is not None:
            text = text.replace(f"  - id: {card}\n", f"  - id: {card}\n    {line}\n")
        path.write_text(text, encoding="utf-8")

    keyed("big0", "big0-1", "anki_guid: 'f#W>x4,Zq]'")
    keyed("big3", "big3-2", "anki_guid: AbC123xyz0")
    db = new_db(tmp_path / "p.db")
    with Store.open(db) as store:
        store.remember_anki_guids({"big2-0": "by-import"})  # a deck converted before the key
        sync_if_needed(store, [str(decks)])
        assert store.anki_guids() == {
            "big0-1": "f#W>x4,Zq]",
            "big3-2": "AbC123xyz0",
            "big2-0": "by-import",
        }
    keyed("big0", "big0-1", "anki_guid: 'f#W>x4,Zq?'")  # the learner's edit
    keyed("big3", "big3-2", None)  # the key taken out: the import's record stays
    with Store.open(db) as store:
        sync_if_needed(store, [str(decks)])
        assert store.anki_guids() == {
            "big0-1": "f#W>x4,Zq?",
            "big3-2": "AbC123xyz0",
            "big2-0": "by-import",
        }


@pytest.mark.parametrize("damage", ["broken", "duplicate id", "duplicate topic"])
def test_a_first_sync_written_as_the_decks_come_writes_nothing_when_a_deck_is_wrong(
    tmp_path: Path,
    new_db: Callable[[Path], Path],
    monkeypatch: pytest.MonkeyPatch,
    damage: str,
) -> None:
    """A deck that cannot be read, or an id or topic in two decks, met after cards were
    written: the error the decks give when read before the sync, and no card is kept."""
    from dlcards.commands.common import sync_if_needed
    from dlcards.errors import DeckError

    decks = _big_decks(tmp_path)
    last = decks / "big5.yaml"
    text = last.read_text(encoding="utf-8")
    if damage == "broken":
        last.write_text(text + "  - id: [unclosed\n", encoding="utf-8")
    elif damage == "duplicate id":
        last.write_text(text.replace("big5-3", "big1-3"), encoding="utf-8")
    else:
        last.write_text(text.replace("topic: big5", "topic: big1"), encoding="utf-8")
    with pytest.raises(DeckError) as whole:
        load_catalog([decks], use_cache=False)
    inserts: list[int] = []
    _pooled_first_sync(monkeypatch, inserts)
    with Store.open(new_db(tmp_path / "p.db")) as store:
        with pytest.raises(DeckError) as streamed:
            sync_if_needed(store, [str(decks)])
        assert str(streamed.value) == str(whole.value)
        assert store.query("SELECT count(*) FROM cards") == [(0,)]
        assert store.query("SELECT count(*) FROM card_search") == [(0,)]
        assert store.get_meta("deck_signature") is None
    if damage != "duplicate topic":  # cards were written before the error, then rolled back
        assert inserts and inserts[0] >= 15
    assert gc.isenabled()  # the collector's pause (`gc_paused`) ended with the failed sync


def test_a_first_sync_pauses_the_garbage_collector_while_it_writes_and_no_longer(
    tmp_path: Path, new_db: Callable[[Path], Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The cyclic collector is off while a sync writes the cards its pool parsed (it would walk
    every parsed card again at each collection) and on again after it."""
    from dlcards.commands.common import sync_if_needed

    decks = _big_decks(tmp_path)
    inserts: list[int] = []
    _pooled_first_sync(monkeypatch, inserts)
    collecting: list[bool] = []
    real = Store._first_memories

    def spy(c: sqlite3.Connection, card_ids: list[str]) -> None:
        collecting.append(gc.isenabled())
        real(c, card_ids)

    monkeypatch.setattr(Store, "_first_memories", staticmethod(spy))
    assert gc.isenabled()
    with Store.open(new_db(tmp_path / "p.db")) as store:
        assert sync_if_needed(store, [str(decks)]) is not None
    assert collecting and not any(collecting) and inserts
    assert gc.isenabled()


def test_each_card_keeps_when_its_text_last_changed(store: Store) -> None:
    """`cards.edited`, an exported note's time: the deck file's modification time at the sync
    that saw the card's text change; a later save of the file that leaves a card's text as it
    was keeps its time."""
    from dlcards.store.rows import DeckPart

    def sync(cards: list[Card], stamp: str, edited: int) -> None:
        store.sync_decks([DeckPart("d", stamp, lambda: cards, edited)], stamp, NOW)

    sync([card("t-1"), card("t-2")], "s1", 100)
    assert store.edit_times() == {"t-1": 100, "t-2": 100}
    sync([card("t-1"), card("t-2")], "s2", 200)  # saved again, nothing changed
    assert store.edit_times() == {"t-1": 100, "t-2": 100}
    sync([card("t-1"), card("t-2", answer="b"), card("t-3")], "s3", 300)
    assert store.edit_times() == {"t-1": 100, "t-2": 300, "t-3": 300}
    sync([card("t-1"), card("t-2", answer="b")], "s4", 400)  # t-3 retired: not exported
    assert store.edit_times() == {"t-1": 100, "t-2": 300}


def test_a_card_retired_and_back_as_it_was_comes_back_whole(store: Store) -> None:
    """A deck file gone for a moment and back (an editor's save; a `git stash` and `pop`):
    its cards are retired and restored. Each came back with a new note time (`edited`, the
    file's time at the sync that restored it), as if edited, and an Anki export then
    overwrote the edits made in Anki to them; everything else it held is kept too: its
    suspension, leech mark, position, tags, search row and both memories."""
    from dlcards.store.rows import DeckPart

    def sync(cards: list[Card], stamp: str, edited: int) -> None:
        store.sync_decks([DeckPart("d", stamp, lambda: cards, edited)], stamp, NOW)

    deck = [card("t-1"), card("t-2", answer="b"), card("t-3")]
    sync(deck, "s1", 100)
    h.grade(store, "t-1", Grade.BLACKOUT, DAY, NOW)
    h.grade(store, "t-2", Grade.GOOD, DAY, NOW)
    store.suspend_one("t-2")
    store.conn.execute("UPDATE cards SET leech = 1 WHERE id = 't-1'")

    def whole() -> list[tuple[Any, ...]]:
        """Each card's row (its search row's number aside: a new one is as good), its
        memories and what the search index holds of it."""
        rows = store.query(
            "SELECT c.*, s.*, f.*, q.question, q.answer, q.tags FROM cards c "
            "JOIN sm2 s ON s.card_id = c.id LEFT JOIN fsrs f ON f.card_id = c.id "
            "LEFT JOIN card_search q ON q.rowid = c.search_rowid ORDER BY c.id"
        )
        at = [d[1] for d in store.conn.execute("PRAGMA table_info(cards)")].index("search_rowid")
        return [(*r[:at], *r[at + 1 :]) for r in rows]

    before = whole()
    assert [r[:2] for r in before] == [("t-1", "t"), ("t-2", "t"), ("t-3", "t")]
    sync([card("t-3")], "s2", 200)  # the deck as a save half done had it
    assert store.query("SELECT id FROM cards WHERE retired = 1 ORDER BY id") == [
        ("t-1",),
        ("t-2",),
    ]
    sync(deck, "s3", 300)  # saved whole: the same cards, a later file time
    assert whole() == before
    assert store.edit_times() == {"t-1": 100, "t-2": 100, "t-3": 100}
    sync([*deck[:2], card("t-3", answer="c")], "s4", 400)  # an edit is still one
    assert store.edit_times() == {"t-1": 100, "t-2": 100, "t-3": 400}


def test_a_note_is_newer_when_anything_it_shows_changed(store: Store) -> None:
    """An exported note shows its topic's title, its source line and its computations' live
    results besides the card's text and tags: a change to any of them is an edit of the
    note (`cards.edited`, its time in Anki), of that deck's or that card's notes only."""
    from dlcards.deck import Compute
    from dlcards.store.rows import DeckPart

    def sync(decks: dict[str, tuple[str, list[Card]]], stamp: str, edited: int) -> None:
        parts = [
            DeckPart(key, f"{stamp}-{key}", lambda c=cards: c, edited, lambda t=title: t)
            for key, (title, cards) in decks.items()
        ]
        store.sync_decks(parts, stamp, NOW)

    gd = [card("g-1", "g"), card("g-2", "g")._replace(source="Notes #2")]
    mlp = [card("m-1", "m")._replace(compute=(Compute("sigmoid", {"z": 0.5}, label="z"),))]
    sync({"g": ("Gradients", gd), "m": ("Perceptrons", mlp)}, "s1", 100)
    every = {"g-1": 100, "g-2": 100, "m-1": 100}
    assert store.edit_times() == every
    sync({"g": ("Gradients", gd), "m": ("Perceptrons", mlp)}, "s2", 200)  # saved, same notes
    assert store.edit_times() == every
    sync({"g": ("Gradient descent", gd), "m": ("Perceptrons", mlp)}, "s3", 300)  # a title
    assert store.edit_times() == {**every, "g-1": 300, "g-2": 300}
    gd[1] = gd[1]._replace(source="Notes #3")
    sync({"g": ("Gradient descent", gd), "m": ("Perceptrons", mlp)}, "s4", 400)  # a source
    assert store.edit_times() == {"g-1": 300, "g-2": 400, "m-1": 100}
    for args, label, stamp in (({"z": 0.25}, "z", "s5"), ({"z": 0.25}, "z = 1/4", "s6")):
        mlp = [mlp[0]._replace(compute=(Compute("sigmoid", args, label=label),))]
        at = int(stamp[1:]) * 100
        sync({"g": ("Gradient descent", gd), "m": ("Perceptrons", mlp)}, stamp, at)
        assert store.edit_times() == {"g-1": 300, "g-2": 400, "m-1": at}
    # a card synced before the digest was kept gets it, and keeps its time
    store.conn.execute("UPDATE cards SET note_hash = NULL")
    sync({"g": ("Gradient descent", gd), "m": ("Perceptrons", mlp)}, "s7", 700)
    assert store.edit_times() == {"g-1": 300, "g-2": 400, "m-1": 600}
    assert store.query("SELECT count(*) FROM cards WHERE note_hash IS NULL") == [(0,)]


def test_the_upgrade_to_note_digests_fills_them_and_keeps_each_notes_time(
    isolated: Path,
) -> None:
    """A database of schema 17 (no `note_hash`): the migration makes the next command compare
    every deck, which gives each card its digest and leaves its note's time as it was."""
    from typer.testing import CliRunner

    from dlcards.cli import app

    db = isolated / "data" / "dlcards.db"
    conn = sqlite3.connect(db)
    conn.execute("UPDATE cards SET edited = 123 + rowid")
    times = dict(conn.execute("SELECT id, edited FROM cards").fetchall())
    conn.execute("ALTER TABLE cards DROP COLUMN note_hash")
    conn.execute("DELETE FROM _sqlite_migrations WHERE name = '0018_note_hashes'")
    conn.execute("PRAGMA user_version = 17")
    conn.commit()
    conn.close()
    result = CliRunner().invoke(app, ["due"])
    assert result.exit_code == 0, result.output
    with Store.open(db) as store:
        assert store.query("SELECT count(*) FROM cards WHERE note_hash IS NULL") == [(0,)]
        assert store.query("SELECT count(*) FROM cards") == [(220,)]
        assert store.edit_times() == times


def test_a_note_digest_is_the_same_parsed_or_from_the_deck_cache(tmp_path: Path) -> None:
    """What `note_hash` reads of a card's computations is the same for a card parsed from its
    deck file and for one read back from the deck cache (every built-in card)."""
    from dlcards.catalog import load_catalog
    from dlcards.store.rows import note_hash

    parsed = load_catalog(use_cache=False)
    load_catalog()  # the cache written
    cached = load_catalog()
    titles = parsed.topic_titles()
    assert any(c.compute for c in cached.cards)
    assert [note_hash(c, titles[c.topic]) for c in cached.cards] == [
        note_hash(c, titles[c.topic]) for c in parsed.cards
    ]


def _whole_file(path: Path) -> dict[str, object]:
    """Everything a database holds but where its pages are and when its migrations ran."""
    conn = sqlite3.connect(path)
    out: dict[str, object] = {
        "schema": conn.execute(
            "SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY type, name"
        ).fetchall(),
        "version": conn.execute("PRAGMA user_version").fetchone(),
        "journal": conn.execute("PRAGMA journal_mode").fetchone(),
    }
    for (table,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'"):
        if table == "card_search":
            continue  # its rows are its shadow tables'
        columns = "id, migration_set, name" if table == "_sqlite_migrations" else "*"
        out[table] = conn.execute(f'SELECT {columns} FROM "{table}" ORDER BY 1').fetchall()
    conn.close()
    return out


def test_a_new_file_gets_what_the_migrations_make(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A brand-new database is made at once from `fresh_schema` (not migration by migration
    through sqlite-utils): the same tables, indexes, triggers, rows and version; and the
    migrations have nothing left to do on it."""
    from dlcards.store import connection, schema

    Store.open(tmp_path / "fresh.db").close()
    monkeypatch.setattr(connection.Connection, "fresh_schema", False)
    Store.open(tmp_path / "migrated.db").close()
    assert _whole_file(tmp_path / "fresh.db") == _whole_file(tmp_path / "migrated.db")
    conn = sqlite3.connect(tmp_path / "fresh.db", isolation_level=None)
    before = conn.total_changes
    schema.migrate(conn)
    assert conn.total_changes == before
    conn.close()


def test_the_fresh_schema_is_the_one_the_migrations_make_now() -> None:
    """`dlcards/store/fresh_schema.py` is what `tests/make_fresh_schema.py` writes from the
    migrations as they are: a migration added without running it fails here."""
    import importlib.util

    from dlcards.store import fresh_schema

    spec = importlib.util.spec_from_file_location(
        "make_fresh_schema", Path(__file__).with_name("make_fresh_schema.py")
    )
    assert spec is not None and spec.loader is not None
    maker = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(maker)
    made = maker.migrated_statements()
    now = (fresh_schema.STATEMENTS, fresh_schema.MIGRATIONS, fresh_schema.SEQUENCE)
    assert now == made, "dlcards/store/fresh_schema.py is stale: python tests/make_fresh_schema.py"


def test_a_big_parse_says_so_on_a_terminal_and_takes_the_line_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A sync that parses many megabytes (a first sync of a big collection: seconds) says on a
    terminal's standard error what it reads, and takes the line back after; nothing on a
    stream that is not a terminal, nor for a shell prompt's count (no stream)."""
    import io
    from types import SimpleNamespace
    from typing import cast

    from dlcards.catalog import Loading
    from dlcards.commands.common import reading_notice

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    files = [tmp_path / "a.yaml", tmp_path / "b.yaml"]
    files[0].write_bytes(b"#" * 1_500_000)
    files[1].write_bytes(b"#" * 1_000_000)
    loading = cast("Loading", SimpleNamespace(fresh=dict.fromkeys(files)))
    line = "reading 2 deck files (2 MB) into the database…"
    shown = Terminal()
    with reading_notice(loading, shown):
        assert shown.getvalue() == line + "\r"
    assert shown.getvalue() == line + "\r" + " " * len(line) + "\r"
    piped = io.StringIO()
    with reading_notice(loading, piped), reading_notice(loading, None):
        pass
    assert piped.getvalue() == ""

    class Narrow(Terminal):  # 30 columns: the line on one row, or `\r` leaves its first
        def fileno(self) -> int:
            return 7

    monkeypatch.setattr("os.get_terminal_size", lambda fd: os.terminal_size((30, 10)))
    narrow = Narrow()
    with reading_notice(loading, narrow):
        assert narrow.getvalue() == line[:28] + "…\r"
    one = Terminal()  # one big deck file: `1 deck file`, not `1 deck files`
    with reading_notice(cast("Loading", SimpleNamespace(fresh=dict.fromkeys(files[:1]))), one):
        assert one.getvalue() == "reading 1 deck file (2 MB) into the database…\r"


def test_the_prompts_count_syncs_without_the_notice(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from dlcards.commands import common, run

    asked: list[bool] = []

    def sync(store: Store, decks: object, notice: bool = True, **how: bool) -> None:
        asked.append(notice)

    monkeypatch.setattr(common, "sync_if_needed", sync)
    db = str(tmp_path / "p.db")
    run.due((), db, None, False, True)
    run.due((), db, None, False, False)
    assert asked == [False, True]


def _fail_daily(runner: Any, app: Any, days: int) -> None:
    """gd-1 recalled on 2026-03-01, then failed at each day's scheduled review (and passed in
    the day's re-drill)."""
    for args, keys in (
        (["config", "new_per_day", "1"], None),
        (["study", "--topic", "gd", "--today", "2026-03-01"], "\n4\nq\n"),
    ):
        assert runner.invoke(app, args, input=keys).exit_code == 0
    for day in range(2, 2 + days):
        keys = "\n1\n\n4\nq\n"
        args = ["study", "--topic", "gd", "--new", "0", "--today", f"2026-03-{day:02d}"]
        result = runner.invoke(app, args, input=keys)
        assert result.exit_code == 0 and "gd-1" in result.output, result.output


def _as_of_schema(db: Path, migration: str, version: int, *changes: str) -> None:
    """`db` as a version before `migration` left it: `changes` (what that version wrote
    otherwise) made, the migration not recorded, the file's schema version `version`."""
    conn = sqlite3.connect(db)
    for change in changes:
        conn.execute(change)
    conn.execute("DELETE FROM _sqlite_migrations WHERE name = ?", (migration,))
    conn.execute(f"PRAGMA user_version = {version}")
    conn.commit()
    conn.close()


def test_a_card_failed_every_day_lapses_every_day_and_becomes_a_leech(isolated: Path) -> None:
    """A lapse was counted only while the card's streak was above 0: failed on each of 12
    days after being recalled, a card stayed at 1 lapse and never became a leech."""
    from typer.testing import CliRunner

    from dlcards.cli import app

    runner = CliRunner()
    assert runner.invoke(app, ["config", "leech_threshold", "4"]).exit_code == 0
    _fail_daily(runner, app, 4)
    shown = runner.invoke(app, ["show", "gd-1", "--today", "2026-03-05"]).output
    assert "lapses 4" in shown and "suspended" in shown, shown
    leeches = runner.invoke(app, ["list", "--leeches"]).output
    assert "gd-1" in leeches


def test_the_upgrade_to_lapses_after_relearning_rebuilds_the_memories(isolated: Path) -> None:
    """A database of schema 18 holds the lapses the old rule counted: the migration has the
    next command rebuild every card's memory from its log under the new one."""
    from typer.testing import CliRunner

    from dlcards.cli import app

    runner = CliRunner()
    _fail_daily(runner, app, 3)
    db = isolated / "data" / "dlcards.db"
    conn = sqlite3.connect(db)
    assert conn.execute("SELECT lapses FROM sm2 WHERE card_id = 'gd-1'").fetchone() == (3,)
    conn.close()
    old_rule = "UPDATE sm2 SET lapses = 1 WHERE card_id = 'gd-1'"  # as the old rule left it
    _as_of_schema(db, "0019_lapses_after_relearning", 18, old_rule)
    assert runner.invoke(app, ["due", "--today", "2026-03-05"]).exit_code == 0
    with Store.open(db) as store:
        assert store.query("SELECT lapses FROM sm2 WHERE card_id = 'gd-1'") == [(3,)]
        assert store.query("SELECT count(*) FROM meta WHERE key = 'rebuild_pending'") == [(0,)]
    checked = runner.invoke(app, ["doctor", "--check"])
    assert checked.exit_code == 0, checked.output


def test_the_upgrade_to_fsrs_passing_order_rebuilds_the_memories(isolated: Path) -> None:
    """A collection studying with FSRS under schema 22 holds the due dates py-fsrs gave alone:
    gd-1, failed on two days and then graded 4, due the next day as Hard would be. The
    migration has the next command rebuild every memory, Good then a day above Hard."""
    from typer.testing import CliRunner

    from dlcards.cli import app

    runner = CliRunner()
    _fail_daily(runner, app, 2)
    assert runner.invoke(app, ["config", "scheduler", "fsrs"]).exit_code == 0
    args = ["study", "--topic", "gd", "--new", "0", "--today", "2026-03-04"]
    assert "gd-1: 4 → next in 2d" in runner.invoke(app, args, input="\n4\nq\n").output
    db = isolated / "data" / "dlcards.db"
    conn = sqlite3.connect(db)
    assert conn.execute("SELECT due FROM fsrs WHERE card_id = 'gd-1'").fetchone() == ("2026-03-06",)
    conn.close()
    old_rule = "UPDATE fsrs SET due = '2026-03-05' WHERE card_id = 'gd-1'"  # the old rule's
    _as_of_schema(db, "0023_fsrs_passing_order", 22, old_rule)
    assert runner.invoke(app, ["due", "--today", "2026-03-05"]).exit_code == 0
    with Store.open(db) as store:
        assert store.query("SELECT due FROM fsrs WHERE card_id = 'gd-1'") == [("2026-03-06",)]
        assert store.query("SELECT count(*) FROM meta WHERE key = 'rebuild_pending'") == [(0,)]
    checked = runner.invoke(app, ["doctor", "--check"])
    assert checked.exit_code == 0, checked.output


def test_the_upgrade_to_redrill_fsrs_states_writes_them_when_a_past_day_is_read(
    isolated: Path,
) -> None:
    """Since schema 27 a studied card's re-drill keeps the FSRS state it started from (a past
    day reads it when a reset follows it). A log written before holds none on its re-drills:
    the migration marks the log's states stale, and the first past day read under FSRS writes
    them (`fresh_fsrs_log`), as after a switch."""
    from typer.testing import CliRunner

    from dlcards.cli import app

    runner = CliRunner()
    _fail_daily(runner, app, 2)  # gd-1: studied 03-01; failed, then re-drilled, 03-02 and 03-03
    assert runner.invoke(app, ["config", "scheduler", "fsrs"]).exit_code == 0
    assert runner.invoke(app, ["due", "--today", "2026-03-02"]).exit_code == 0
    db = isolated / "data" / "dlcards.db"
    redrills = "SELECT count(*) FROM reviews WHERE kind = 'redrill' AND fsrs_before IS NULL"
    conn = sqlite3.connect(db)
    assert conn.execute("SELECT count(*) FROM reviews WHERE kind = 'redrill'").fetchone() == (2,)
    assert conn.execute(redrills).fetchone() == (0,)
    assert conn.execute("SELECT count(*) FROM meta WHERE key = 'fsrs_log_stale'").fetchone() == (0,)
    conn.close()
    written = "UPDATE reviews SET fsrs_before = NULL WHERE kind = 'redrill'"  # as it was written
    _as_of_schema(db, "0027_redrill_fsrs_states", 26, written)
    assert runner.invoke(app, ["due", "--today", "2026-03-02"]).exit_code == 0
    with Store.open(db) as store:
        assert store.query(redrills) == [(0,)]
        assert store.query("SELECT count(*) FROM meta WHERE key = 'fsrs_log_stale'") == [(0,)]


def test_an_empty_file_another_dlcards_is_making_now_is_not_refused(tmp_path: Path) -> None:
    """An empty database file beside its backups is refused as emptied by mistake, but one
    made a moment ago that grows is another dlcards's new database (two first commands at
    once beside a deleted database's backups: refused in 5 of 48 tries by a torture run)."""
    import threading
    import time

    from dlcards.store import backup

    path = tmp_path / "p.db"
    with Store.open(path) as s:
        backup.make(s.conn, path, DAY, event=backup.MANUAL)
    path.unlink()
    Path(f"{path}-wal").unlink(missing_ok=True)
    Path(f"{path}-shm").unlink(missing_ok=True)
    path.write_bytes(b"")

    def make() -> None:  # what another dlcards's open writes first: the WAL header
        time.sleep(0.1)
        conn = sqlite3.connect(path)
        conn.execute("PRAGMA journal_mode = WAL")
        conn.close()

    other = threading.Thread(target=make)
    other.start()
    with Store.open(path) as s:
        assert s.sync([card("a")], "s1", NOW).added == 1
    other.join()
    path.unlink()
    path.write_bytes(b"")  # emptied, and it stays so: refused
    os.utime(path, (time.time() - 60, time.time() - 60))
    with pytest.raises(StoreError, match="is an empty file, and backups of it are in"):
        Store.open(path)
    assert path.read_bytes() == b""


def test_reviews_of_a_card_without_its_state_are_refused_in_the_singular(tmp_path: Path) -> None:
    """The error said `1 card(s) have no SM-2 state`."""
    from dlcards.memory import Memory
    from dlcards.scheduling import Sm2
    from dlcards.store import ReviewRow

    day = date(2026, 11, 26)
    card = load_catalog().cards[0]
    after = Sm2().review(Memory(), Grade(4), day)
    row = ReviewRow(0, card.id, "scheduled", 4, day, h.NOW.isoformat(), Memory(), after)
    with Store.open(tmp_path / "p.db") as store:
        store.sync([card], "test", h.NOW)
    conn = sqlite3.connect(tmp_path / "p.db")
    with conn:
        conn.execute("DELETE FROM sm2 WHERE card_id = ?", (card.id,))
    conn.close()
    with Store.open(tmp_path / "p.db") as store:
        with pytest.raises(StoreError) as caught:
            store.import_reviews([row])
    assert "1 card without an SM-2 state; sync the decks" in str(caught.value)


@pytest.mark.skipif(sys.platform != "linux" or os.geteuid() != 0, reason="mounts a tmpfs")
def test_a_database_on_a_read_only_mount_is_read_and_a_write_refused(isolated: Path) -> None:
    """As `sqlite3 -readonly` reads it: `due`, `stats`, `show`, `search` work on a database
    that cannot be written (they said "read-only" and showed nothing), with the grades still
    in its write-ahead log (its index there) or with the file alone; `study` and `suspend`
    are refused in one line naming the file, and nothing beside it changes. A log with
    commits but no index SQLite can make is one line, not the file's older state."""
    import shutil
    import subprocess

    from typer.testing import CliRunner

    from dlcards.cli import app

    runner = CliRunner()
    today = ["--today", "2026-11-26"]
    with h.small_disk(isolated / "mnt", "4m") as mnt:
        db = mnt / "x.db"
        shutil.copyfile(isolated / "data" / "dlcards.db", db)
        graded = (  # a grade left in the log: the process ends without closing the database
            "import os, sys; from datetime import date; from pathlib import Path; "
            "sys.path.insert(0, sys.argv[2]); import helpers as h; "
            "from dlcards.store import Store; "
            "s = Store.open(Path(sys.argv[1])); h.grade(s, 'perceptron-2', 4, date(2026, 11, 26)); "
            "s.delete_meta('integrity_checked'); os._exit(0)"  # the day's check to do
        )
        here = str(Path(__file__).parent)
        subprocess.run([sys.executable, "-c", graded, str(db), here], check=True)
        log = Path(f"{db}-wal")
        assert log.stat().st_size > 0 and Path(f"{db}-shm").exists()

        def remount(mode: str) -> None:
            subprocess.run(["mount", "-o", f"remount,{mode}", str(mnt)], check=True)

        def files() -> dict[str, bytes]:
            return {p.name: p.read_bytes() for p in mnt.iterdir() if p.is_file()}

        for alone in (False, True):
            if alone:  # the log checkpointed into the file and gone: the file alone
                remount("rw")
                Store.open(db).close()
                assert not log.exists()
            remount("ro")
            before = files()
            for args in (["due"], ["stats"], ["search", "perceptron"]):
                result = runner.invoke(app, [*args, *today, "--db", str(db)])
                assert result.exit_code == 0, (args, result.output)
            shown = runner.invoke(app, ["show", "perceptron-2", *today, "--db", str(db)])
            assert shown.exit_code == 0 and "not studied yet" not in shown.output, shown.output
            # a deck the database has not synced: what it holds is shown, and a note says so
            mine = isolated / "mine"
            mine.mkdir(exist_ok=True)
            (mine / "zz.yaml").write_text(
                "topic: zz\ntitle: ZZ\ncards:\n- id: zz-1\n  question: Q?\n  answer: A.\n"
            )
            more = runner.invoke(app, ["due", *today, "--db", str(db), "--decks", str(mine)])
            assert more.exit_code == 0, more.output
            assert more.stderr.splitlines() == [
                f"note: database {db} cannot be written, so the decks' changes since it was "
                "last synced are not in it; what it holds is shown"
            ]
            made = runner.invoke(app, ["due", "--db", str(mnt / "new.db")])
            assert made.exit_code == 2 and made.output == (
                f"error: cannot create database in {mnt}: it is on a read-only file system\n"
            ), made.output
            backup = isolated / "kept.db"
            shutil.copyfile(isolated / "data" / "dlcards.db", backup)
            restore = ["doctor", "--restore", str(backup), "--db", str(db)]
            result = runner.invoke(app, restore)  # said, not a temporary file's EROFS
            assert result.exit_code == 2 and result.output.startswith(
                f"error: cannot restore backup {backup}: database {db} is on a read-only file "
                "system"
            ), result.output
            for args in (["study", *today], ["suspend", "perceptron-3"]):
                result = runner.invoke(app, [*args, "--db", str(db)], input="3\n")
                assert result.exit_code == 2, (args, result.output)
                assert result.output.splitlines() == [
                    f"error: database {db} is on a read-only file system; it can be read but "
                    "nothing can be saved to it (remount it read-write, or pass --db)"
                ]
            assert files() == before
        remount("rw")
        subprocess.run([sys.executable, "-c", graded, str(db), here], check=True)
        Path(f"{db}-shm").unlink()
        remount("ro")
        result = runner.invoke(app, ["due", *today, "--db", str(db)])
        assert result.exit_code == 2
        assert result.output.splitlines() == [
            f"error: cannot read database {db}: its write-ahead log x.db-wal holds commits not "
            "yet in the file, and SQLite cannot make the log's index x.db-shm in the read-only "
            f"folder {mnt}; make the folder writable, or read a copy of both"
        ]
        remount("rw")


@pytest.mark.skipif(sys.platform == "win32", reason="resource limits")
def test_a_database_that_the_file_size_limit_stops_says_so(isolated: Path, tmp_path: Path) -> None:
    """Under `ulimit -f` SQLite's write fails with EFBIG, which it calls a "disk I/O error":
    the line said only "cannot write database X: disk I/O error" on a disk with room. It
    names the limit now, and the next command without it makes the database."""
    import resource
    import subprocess

    hard = resource.getrlimit(resource.RLIMIT_FSIZE)[1]
    db = tmp_path / "new.db"
    command = [sys.executable, "-m", "dlcards", "due", "--db", str(db)]
    result = subprocess.run(
        command, capture_output=True, text=True,
        preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_FSIZE, (100 * 1024, hard)),
    )  # fmt: skip
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        f"error: cannot write database {db}: the file size limit (ulimit -f: 100 KB) stops its "
        "files growing; raise it and try again (nothing was lost)"
    ]
    assert subprocess.run(command, capture_output=True).returncode == 0


@pytest.mark.parametrize(
    ("end", "make", "what"),
    [
        ("-shm", "dir", "is a directory, not a file"),
        ("-wal", "dir", "is a directory, not a file"),
        ("-shm", "fifo", "is a FIFO (named pipe), not a file"),
        ("-wal", "device", "is a device, not a file"),
        ("-journal", "dangling", "is a symbolic link to a missing file"),
    ],
)
def test_a_side_file_that_is_no_file_is_named(
    isolated: Path, tmp_path: Path, end: str, make: str, what: str
) -> None:
    """The files SQLite keeps beside the database (-wal, -shm, -journal) broken under it: a
    directory, a FIFO, a link to /dev/full, a dangling link. SQLite said "unable to open
    database file", "disk I/O error" or "attempt to write a readonly database" (`suspend`
    then read "database X is read-only; check its permissions", `doctor --check` "No problems
    found." or "cannot open database"): one line names the file and what it is now, for every
    command, and the database is left as it was."""
    from typer.testing import CliRunner

    from dlcards.cli import app

    db = tmp_path / "p.db"
    with Store.open(db) as s:
        s.sync([card("a")], "s", NOW)
    before = db.read_bytes()
    side = Path(f"{db}{end}")
    if make == "dir":
        side.mkdir()
    elif make == "fifo":
        os.mkfifo(side)
    elif make == "device":
        side.symlink_to(os.devnull)
    else:
        side.symlink_to(tmp_path / "nowhere")
    runner = CliRunner()
    for args in (["due"], ["suspend", "gd-1"], ["doctor", "--check"], ["backup"]):
        result = runner.invoke(app, [*args, "--db", str(db)])
        assert result.exit_code == 2, (args, result.output)
        line = result.output.strip()
        assert line.startswith(f"error: cannot use database {db}: {side.name} beside it"), line
        assert what in line and "\n" not in line, line
    assert db.read_bytes() == before


def test_a_read_only_database_of_an_older_schema_says_it_needs_the_upgrade(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A database an older dlcards made, read-only: it cannot be read before its migration,
    which writes. One line says both, and the file is left as it was."""
    path = tmp_path / "p.db"
    Store.open(path).close()
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION - 1}")
    conn.commit()
    conn.close()
    before = path.read_bytes()
    real_access = os.access
    monkeypatch.setattr(
        os, "access", lambda p, mode: False if mode == os.W_OK else real_access(p, mode)
    )
    with pytest.raises(StoreError) as info:
        Store.open(path)
    assert str(info.value) == (
        f"database {path} was made by an older dlcards (schema {SCHEMA_VERSION - 1}) and must "
        f"be upgraded to schema {SCHEMA_VERSION} before this one can read it, which writes to "
        f"it; database {path} is read-only; check its permissions or pass --db"
    )
    assert path.read_bytes() == before


def test_suspensions_of_many_cards_are_those_of_few(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`Store.suspensions` reads every card's row when asked for many (an import asks for a
    phone's 100,000 cards five times) and a list of ids when asked for few: the same flags and
    times either way, of the cards asked for only, unknown ids left out."""
    from datetime import timedelta

    from dlcards.store import core

    store.sync([card(f"t-{i}") for i in range(1, 13)], "s1", NOW)
    store.set_suspended(["t-2", "t-5"], True, NOW)
    store.set_suspended(["t-5"], False, NOW + timedelta(hours=1))
    asked = ["t-1", "t-2", "t-5", "t-9", "nope"]
    few = store.suspensions(asked)
    monkeypatch.setattr(core, "_SCAN_FLAGS", 2)
    many = store.suspensions(asked)
    assert many == few
    assert set(few) == {"t-1", "t-2", "t-5", "t-9"}
    assert few["t-2"].suspended and not few["t-5"].suspended
    assert few["t-5"].changed == int((NOW + timedelta(hours=1)).timestamp())
    assert not few["t-1"].suspended
