"""The benchmarks keep working: the synthetic collection, Store.import_reviews, a tiny run of
bench/run.py, and the query plans of the queries that run on every command at scale."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest

from dlcards import sm2
from dlcards.catalog import deck_files, files_signature, load_catalog
from dlcards.errors import StoreError
from dlcards.store import Store

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
sys.path.insert(0, str(BENCH))

import helpers as h  # noqa: E402
import synth  # noqa: E402

NOW = datetime(2026, 11, 26, 9, 0, tzinfo=timezone.utc)


def _collection(tmp_path: Path, n_cards: int, n_reviews: int) -> tuple[Store, list[str]]:
    decks = tmp_path / "decks"
    ids = synth.write_decks(decks, n_cards, n_decks=5, seed=3)
    catalog = load_catalog([decks])
    store = Store.open(tmp_path / "p.db")
    store.sync(catalog.cards, files_signature(deck_files([decks])), NOW)
    added = store.import_reviews(synth.review_history(ids, n_reviews, seed=3))
    assert added == n_reviews
    return store, ids


# --- the synthetic collection -----------------------------------------------------------------


def test_synthetic_decks_are_deterministic_and_valid(tmp_path: Path) -> None:
    a = synth.write_decks(tmp_path / "a", 120, n_decks=7, seed=5)
    b = synth.write_decks(tmp_path / "b", 120, n_decks=7, seed=5)
    assert a == b and len(set(a)) == 120
    for path in sorted((tmp_path / "a").iterdir()):
        assert path.read_bytes() == (tmp_path / "b" / path.name).read_bytes()
    catalog = load_catalog([tmp_path / "a"], use_cache=False)
    synthetic = [c for c in catalog.cards if c.topic.startswith("syn")]
    assert [c.id for c in synthetic] == a
    assert [d.topic for d in catalog.decks if d.topic.startswith("syn")] == [
        f"syn{i:02d}" for i in range(1, 8)
    ]
    assert any("$" in c.question + c.answer for c in synthetic)  # some LaTeX


def test_review_history_replays_sm2_exactly(tmp_path: Path) -> None:
    ids = [f"c{i}" for i in range(60)]
    rows = list(synth.review_history(ids, 600, seed=2))
    assert len(rows) == 600
    assert rows == list(synth.review_history(ids, 600, seed=2))
    last: dict[str, sm2.State] = {}
    for row in rows:
        before, after = row.before.sm2, row.after.sm2
        assert row.day < synth.TODAY
        assert before == last.get(row.card_id, sm2.State())
        if row.kind == "scheduled":
            assert after == sm2.review(before, sm2.Grade(row.grade), row.day)[0]
        else:
            assert after == before and before.last_review == row.day
        last[row.card_id] = after
    assert 0 < len(last) < len(ids)  # some cards stay new
    assert any(s.due is not None and s.due <= synth.TODAY for s in last.values())
    # each card's rows in time order are the rows in the order they happened: a re-drill after
    # its day's scheduled review (one at 20:11 and its re-drill at 09:12 were replayed
    # re-drill first, and doctor found those cards' memories differing from their logs)
    for card in {row.card_id for row in rows}:
        mine = [row for row in rows if row.card_id == card]
        assert mine == sorted(mine, key=lambda row: row.reviewed_at)


def test_anki_log_has_unique_ids_and_each_cards_last_state() -> None:
    ids = [f"c{i}" for i in range(40)]
    rows = list(synth.review_history(ids, 400, seed=4))
    log = synth.AnkiLog(ids)
    assert list(log.collect(iter(rows))) == rows  # passed through unchanged
    revlog = log.sorted()
    assert len(revlog) == 400 and len({r[0] for r in revlog}) == 400
    assert [r[0] for r in revlog] == sorted(r[0] for r in revlog)
    last = {row.card_id: row.after.sm2 for row in rows}
    assert log.last == last
    for (ms, card, ease, ivl, last_ivl, factor, _time, kind), row in zip(
        sorted(revlog, key=lambda r: (r[1], r[0])),
        sorted(rows, key=lambda r: (ids.index(r.card_id), r.reviewed_at)),
        strict=True,
    ):
        assert ids[card] == row.card_id
        # the answer's minute, moved by less than a second when another row has it
        stamp = datetime.fromisoformat(row.reviewed_at).timestamp() * 1000
        assert 0 <= ms - stamp < 1000
        assert ease == {0: 1, 1: 1, 2: 1, 3: 2, 4: 3, 5: 4}[row.grade]
        assert (ivl, last_ivl, factor) == (
            row.after.sm2.interval,
            row.before.sm2.interval,
            row.after.sm2.ef * 10,
        )
        assert kind == (
            2 if row.kind == "redrill" else 0 if row.before.sm2.last_review is None else 1
        )


def test_anki_reference_collection_matches_the_history(tmp_path: Path) -> None:
    pytest.importorskip("anki")
    import anki_ref

    ids = synth.write_decks(tmp_path / "decks", 60, n_decks=3, seed=2)
    log = synth.AnkiLog(ids)
    rows = list(log.collect(synth.review_history(ids, 600, seed=2)))
    path = tmp_path / "c.anki2"
    made = anki_ref.build(path, ids, log, synth.TODAY)
    assert (made["cards"], made["revlog"], made["decks"]) == (60, 600, 3)
    assert made["new"] == 60 - len({r.card_id for r in rows})
    from anki.collection import Collection

    col = Collection(str(path))
    try:
        today = col.sched.today
        due_today = sum(1 for s in log.last.values() if s.due is not None and s.due <= synth.TODAY)
        assert col.db.scalar("select count() from cards where queue = 2 and due <= ?", today) == (
            due_today
        )
        assert col.db.scalar("select count() from revlog") == 600
        assert col.sched.get_queued_cards(fetch_limit=1).cards  # something to study
    finally:
        col.close()
    for what, needle in (("first", anki_ref.FIRST_MARK), ("counts", b"anki: ")):
        done = subprocess.run(
            [sys.executable, str(BENCH / "anki_ref.py"), what, str(path)],
            capture_output=True,
            timeout=120,
        )
        assert done.returncode == 0 and needle in done.stdout, done.stderr


# --- Store.import_reviews ---------------------------------------------------------------------


def test_import_reviews_sets_log_and_states(tmp_path: Path) -> None:
    store, ids = _collection(tmp_path, 80, 500)
    with store:
        assert store.review_count() == 500
        expected: dict[str, sm2.State] = {}
        for row in synth.review_history(ids, 500, seed=3):
            expected[row.card_id] = row.after.sm2
        for card_id in ids:
            assert h.state(store, card_id) == expected.get(card_id, sm2.State())
        due = h.due_ids(store, synth.TODAY)
        assert due and set(due) <= set(expected)
        # the log is usable like any other: undo of an imported review restores its state
        last_id = store.query("SELECT max(id) FROM reviews")[0][0]
        undone = h.undo(store, last_id)
        assert undone is not None and store.review_count() == 499


def test_import_reviews_is_one_transaction(tmp_path: Path) -> None:
    store, ids = _collection(tmp_path, 20, 50)
    with store:
        before = store.review_count()
        states = {cid: h.state(store, cid) for cid in ids}
        good = next(iter(synth.review_history(ids, 1, seed=9)))
        bad = good._replace(card_id="no-such-card")
        with pytest.raises(StoreError):
            store.import_reviews(iter([good, good, bad]))
        assert store.review_count() == before
        assert {cid: h.state(store, cid) for cid in ids} == states


def test_import_reviews_rebuilds_fsrs_when_it_is_on(tmp_path: Path) -> None:
    pytest.importorskip("fsrs")
    decks = tmp_path / "decks"
    ids = synth.write_decks(decks, 10, n_decks=1, seed=1)
    with Store.open(tmp_path / "p.db") as store:
        store.sync(load_catalog([decks]).cards, files_signature(deck_files([decks])), NOW)
        h.set_scheduler(store, "fsrs")
        store.import_reviews(synth.review_history(ids, 60, seed=1), h.replay_for)
        reviewed = {r[0] for r in store.query("SELECT DISTINCT card_id FROM reviews")}
        assert reviewed
        for card_id in reviewed:
            assert h.fsrs_state(store, card_id).stability is not None


# --- bench/run.py -------------------------------------------------------------------------------


@pytest.mark.bench
def test_bench_run_quick_at_a_tiny_size(tmp_path: Path) -> None:
    out = tmp_path / "result.json"
    done = subprocess.run(
        [sys.executable, str(BENCH / "run.py"), "--quick", "--sizes", "40", "--runs", "1"]
        + ["--json", str(out), "--tmp", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert "Cold start" in done.stdout and "met?" in done.stdout
    data = json.loads(out.read_text())
    cold = data["cold_start"]
    assert {"baseline", "--version", "topics", "show gd-23", "due"} <= set(cold)
    assert cold["baseline"]["ratio"] == pytest.approx(1.0)
    size = data["sizes"]["40"]
    assert size["cards"] == 40 and size["reviews"] == 400
    measures = size["measures"]
    for key in ("sync_first", "sync_unchanged", "due", "study_first_card", "grade", "stats"):
        assert measures[key]["median_s"] > 0, key
    assert set(measures) >= {"export_anki", "sync_one_deck_edited", "import_reviews", "switch_fsrs"}
    assert measures["switch_fsrs"]["median_s"] > 0  # every card's FSRS memory from its log
    assert measures["import_reviews"]["median_s"] > 0
    assert measures["import_floor"]["median_s"] > 0  # the same rows, Python + SQLite alone
    assert "x floor" in done.stdout
    ratios = size["anki_ratios"]
    assert set(ratios) == {"study_first_card", "due"}
    try:
        import anki  # noqa: F401
    except ImportError:
        assert "skipped" in measures["anki_first_card"]["note"]
        assert ratios == {"study_first_card": None, "due": None}
    else:
        assert measures["anki_first_card"]["median_s"] > 0
        assert all(r is not None and r > 0 for r in ratios.values())
        assert "x Anki" in done.stdout
    assert size["peak_rss"]["mb"] > 0
    assert data["targets"] and all("met" in t for t in data["targets"])
    assert not list(tmp_path.glob("dlcards-bench-*"))  # the temporary collections are gone


# --- query plans of the hot queries -----------------------------------------------------------


def _plans(store: Store, call: object) -> list[str]:
    """EXPLAIN QUERY PLAN of every SELECT the store ran for `call()`, as one line each."""
    statements: list[str] = []
    store.conn.set_trace_callback(statements.append)
    try:
        call()  # type: ignore[operator]
    finally:
        store.conn.set_trace_callback(None)
    selects = [s for s in statements if s.lstrip().upper().startswith(("SELECT", "WITH"))]
    assert selects
    return [
        " | ".join(str(r[-1]) for r in store.conn.execute("EXPLAIN QUERY PLAN " + s))
        for s in selects
    ]


@pytest.fixture(scope="module")
def big_collection(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The synthetic collection the query plans are read from, made once (about 0.5 s): each
    test opens a copy of its file."""
    tmp = tmp_path_factory.mktemp("big")
    store, _ = _collection(tmp, 300, 3000)
    store.close()
    assert not Path(f"{store.path}-wal").exists()  # the whole collection is in the one file
    return store.path


@pytest.fixture
def big_store(big_collection: Path, tmp_path: Path) -> Store:
    import shutil

    return Store.open(Path(shutil.copyfile(big_collection, tmp_path / "p.db")))


def test_new_card_count_today_uses_the_day_index(big_store: Store) -> None:
    with big_store as store:
        (plan,) = _plans(store, lambda: store.new_introduced(synth.TODAY))
        assert "reviews_day" in plan and "SCAN reviews" not in plan, plan


def test_undo_and_a_sessions_count_read_the_session_index(big_store: Store) -> None:
    """`dlcards undo` (the newest study grade) and the count a study session ends with find a
    session's grades along `reviews_session`: read from the newest row down, or counted over
    the whole log, they read every row an import put there (none of them in a session)."""
    import re

    with big_store as store:
        older = store.start_session("study", synth.TODAY, NOW)
        newer = store.start_session("study", synth.TODAY, NOW)
        h.grade(store, "syn01-1", 4, synth.TODAY, session_id=newer)
        last = h.grade(store, "syn01-2", 4, synth.TODAY, session_id=older)
        # the reviews an import adds after it, in no session: the newest rows of the log
        store.import_reviews(synth.review_history(["syn02-1", "syn02-2"], 40, seed=4))
        got: list[object] = []

        def both() -> None:
            got.extend([store.last_study_grade(), store.session_reviews(older)])

        plans = _plans(store, both)
        assert got[0] is not None and got[0][0] == last.id  # type: ignore[index]
        assert got[1] == 1
        # the undo records are read too (a kept grade added back is placed where it was
        # made: `actions.placed_grades`), a table of the newest actions; the log never
        log = [p for p in plans if not p.startswith("SCAN a |")]
        assert len(log) == 2 and len(plans) == 3, plans
        for plan in log:
            assert "reviews_session" in plan, plan
        for plan in plans:
            assert not re.search(r"SCAN (r|x|reviews)\b", plan), plan


def test_reviews_of_one_card_use_the_card_index(big_store: Store) -> None:
    with big_store as store:
        (plan,) = _plans(store, lambda: store.history("syn01-1"))
        assert "reviews_card_time" in plan and "SCAN reviews" not in plan, plan


def test_review_counts_and_study_days_use_the_day_index(big_store: Store) -> None:
    with big_store as store:
        since = date(2026, 10, 28)
        until = synth.TODAY

        def both() -> object:
            return (
                store.review_counts(until, since),
                list(store.study_days_newest(until)),
            )

        for plan in _plans(store, both):
            # a range of the per-day tally (kept by triggers), never the log
            assert "SEARCH review_days USING PRIMARY KEY" in plan, plan
            assert "reviews" not in plan.replace("review_days", ""), plan


def test_true_retention_reads_ranges_of_its_tally(big_store: Store) -> None:
    """One index step per topic, then a range of days per topic, age, outcome and window:
    never the log, never a sort of the year's rows."""
    with big_store as store:
        today = synth.TODAY
        (plan,) = _plans(store, lambda: store.true_retention(today, today - timedelta(days=364)))
        assert "reviews" not in plan.replace("retention_days", ""), plan
        assert "SCAN retention_days" not in plan and "TEMP B-TREE" not in plan, plan
        assert "SEARCH r USING PRIMARY KEY (topic=? AND mature=? AND passed=? AND day>?" in plan


@pytest.mark.parametrize("by", ["sm2", "fsrs"])
def test_card_sums_walk_covering_indexes(big_store: Store, by: str) -> None:
    """The cards' sums read the memories' tally of the scheduler (and under FSRS one pass
    over its memories, in table order: no index, no sort), and only the few retired,
    suspended or leech cards from `cards`."""
    with big_store as store:
        plans = _plans(store, lambda: store.card_tally(by, synth.TODAY))
        joined = " || ".join(plans)
        assert "SCAN cards" not in joined and "FOR GROUP BY" not in joined, joined
        assert f"SCAN {by}_tally" in joined and "SCAN s " not in joined + " ", joined
        if by == "fsrs":  # what is one per card: the memories, once
            assert joined.count("SCAN fsrs ") == 1, joined
        else:
            assert "SCAN fsrs" not in joined.replace("SCAN fsrs_tally", ""), joined
        assert "USING COVERING INDEX sm2_ef" in joined, joined
        assert "cards_inactive" in joined and "cards_leech" in joined, joined


@pytest.mark.parametrize("by", ["sm2", "fsrs"])
def test_study_queue_searches_the_due_index(big_store: Store, by: str) -> None:
    with big_store as store:
        later, plan = _plans(store, lambda: store.due_ids(synth.TODAY, by))
        assert "reviews_day" in later and "SCAN reviews" not in later, later
        assert f"{by}_due" in plan and "SCAN s" not in plan, plan


@pytest.mark.parametrize("by", ["sm2", "fsrs"])
def test_due_counts_read_the_due_tally(big_store: Store, by: str) -> None:
    """`due`'s counts per topic and the prompt's one number sum the tally of due dates (one
    range of the scheduler's rows) and find each topic's first card by one index step: never
    a pass over the cards or their memories."""
    with big_store as store:

        def both() -> object:
            return store.topic_counts(synth.TODAY, by), store.due_count(synth.TODAY, by, 20)

        plans = [p for p in _plans(store, both) if "PRIMARY KEY (sched=?)" in p]
        assert len(plans) == 2, plans
        for plan in plans:
            assert "SEARCH t USING PRIMARY KEY (sched=?)" in plan or (
                "SEARCH due_tally USING PRIMARY KEY (sched=?)" in plan
            ), plan
            assert "SCAN c" not in plan and f"SCAN {by}" not in plan, plan
        assert "SEARCH c USING INDEX cards_topic (topic=?)" in plans[0], plans[0]


def test_counts_as_of_an_earlier_day_search_the_day_index(big_store: Store) -> None:
    """With reviews logged after the day, the state as of the day comes from the first later
    review of each card: found by a search on the day index, not a scan of the log."""
    with big_store as store:
        day = synth.TODAY - timedelta(days=3)
        later, plan = _plans(store, lambda: store.due_ids(day, "sm2"))
        assert "SCAN reviews" not in plan and "reviews_day" in plan, plan


def test_next_due_uses_the_due_index(big_store: Store) -> None:
    with big_store as store:
        _later, plan = _plans(store, lambda: store.next_due(synth.TODAY, "sm2"))
        assert "sm2_due" in plan, plan


def test_without_anki_the_reference_is_skipped_with_a_note(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import anki_ref
    import run

    monkeypatch.setattr(anki_ref, "available", lambda: False)
    measures: dict[str, run.Measure] = {
        "study_first_card": run.Measure([0.3]),
        "due": run.Measure([0.2]),
    }
    info = run.anki_reference(tmp_path, ["a-1"], synth.AnkiLog(["a-1"]), 1, measures)
    assert "skipped" in info["skipped"]
    assert not measures["anki_first_card"].ok and "skipped" in str(measures["anki_first_card"].note)
    assert run.anki_ratios(measures) == {"study_first_card": None, "due": None}
    measures["anki_first_card"] = run.Measure([0.6])
    assert run.anki_ratios(measures)["study_first_card"] == pytest.approx(0.5)


def test_interleaved_timing_runs_each_command_each_round_and_reports_ratios(
    tmp_path: Path,
) -> None:
    """bench/interleave.py: every command runs once per round, in turn (the counting script
    appends a line per run), and the report gives each median as a ratio to the first's."""
    import interleave

    log = tmp_path / "runs.txt"
    count = f"{sys.executable} -c \"open({str(log)!r}, 'a').write('x')\""
    medians = interleave.measure(
        [("a", ["true"]), ("b", [sys.executable, "-c", f"open({str(log)!r}, 'a').write('x')"])],
        3,
    )
    assert log.read_text() == "xxx"
    lines = interleave.report(medians).splitlines()
    assert [line.split(":")[0].strip() for line in lines] == ["a", "b"]
    assert "(1.000)" in lines[0]
    assert interleave.main(["1", f"one={count}"]) == 0
    with pytest.raises(SystemExit):
        interleave.main(["1", "no label here"])


def test_the_torture_counts_one_review_twice_but_not_two_sessions_in_one_millisecond(
    tmp_path: Path,
) -> None:
    """`bench/torture.py`'s check that no review is in the log twice: two study sessions
    started together graded one card in the same millisecond (each takes the time at its key,
    then waits for the other's lock), a scheduled review and a re-drill, and every round
    after that failed "reviews in the log twice". Two sessions' reviews are two; one
    session's review written twice is still found."""
    import sqlite3

    import torture

    t = torture.Torture(tmp_path / "work", seed=1, kill=0.0)
    t.db.parent.mkdir(parents=True)
    conn = sqlite3.connect(t.db)
    try:
        conn.execute(
            "CREATE TABLE reviews (id INTEGER PRIMARY KEY, card_id, session_id, reviewed_at)"
        )
        moment = "2026-12-07T20:05:33.683+00:00"
        conn.executemany(
            "INSERT INTO reviews (card_id, session_id, reviewed_at) VALUES (?, ?, ?)",
            [("perceptron-10", 36, moment), ("perceptron-10", 37, moment)],
        )
        conn.commit()
        assert t.duplicates() == []
        conn.execute(
            "INSERT INTO reviews (card_id, session_id, reviewed_at) VALUES (?, ?, ?)",
            ("perceptron-10", 37, moment),
        )
        conn.commit()
    finally:
        conn.close()
    assert t.duplicates() == [("perceptron-10", moment, 2)]
