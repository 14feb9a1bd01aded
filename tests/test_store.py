"""The store: schema, sync by id, one-transaction grades, undo, bad database files."""

from __future__ import annotations

import os
import sqlite3
import sys
from datetime import date, datetime, timezone
from pathlib import Path

import helpers as h
import pytest
from hypothesis import given, settings
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


def test_creates_directories_schema_and_wal(store: Store) -> None:
    assert store.path.exists()
    version = store.conn.execute("PRAGMA user_version").fetchone()[0]
    assert version == SCHEMA_VERSION
    assert store.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    tables = {r[0] for r in store.conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert {"cards", "sm2", "reviews", "sessions", "meta", "quiz_results"} <= tables


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
    tmp_path_factory: pytest.TempPathFactory, grades: list[int]
) -> None:
    s = Store.open(tmp_path_factory.mktemp("rt") / "p.db")
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
def test_read_only_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "p.db"
    Store.open(path).close()
    path.chmod(0o444)
    with pytest.raises(StoreError, match="read-only"):
        Store.open(path)


def test_locked_database_gives_a_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import dlcards.store as store_mod

    monkeypatch.setattr(store_mod, "BUSY_TIMEOUT_S", 0.2)
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
    with pytest.raises(StoreError, match=r"p.db is read-only"):
        Store.open(path)
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
