"""The statistics' sums: the log tallies kept by triggers equal the log, whatever is done to it,
and the cards' sums by SQL give what the old pass over every card gave (a copy of that code,
kept here as the reference)."""

from __future__ import annotations

import contextlib
import math
from collections import Counter
from collections.abc import Callable
from datetime import date, datetime, timedelta, timezone
from math import fsum
from pathlib import Path
from typing import Any

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from dlcards.deck import Card
from dlcards.recall import LOW_RECALL
from dlcards.scheduling import Fsrs, Sm2
from dlcards.stats import histograms, overview, tally_of
from dlcards.store import Store
from dlcards.store.rows import ImportedReview, StatsRow
from dlcards.store.schema import (
    TALLY_DAYS_SQL,
    TALLY_DUE_SQL,
    TALLY_MEMORY_SQL,
    TALLY_RETENTION_SQL,
    TALLY_TOPIC_SQL,
    TALLY_TOTALS_SQL,
    tally_fsrs_sql,
)
from tests.helpers import grade, merge_rules, set_scheduler, undo

START = date(2026, 1, 1)
NOW = datetime(2026, 11, 26, 9, 0, tzinfo=timezone.utc)
IDS = [f"c{i}" for i in range(8)]
TOPICS = ["alpha", "beta", "gamma"]


# --- the reference: `stats.overview` and `stats.histograms` as they were, row by row -----------


def reference_overview(rows: list[StatsRow], today: date, curve: Any, days: int = 30) -> Any:
    counts = Counter({"new": 0, "learning": 0, "young": 0, "mature": 0, "suspended": 0})
    ef_sum = ef_n = 0
    leeches = []
    due_on: Counter[str] = Counter()
    values = []
    first, last = today.isoformat(), (today + timedelta(days=days - 1)).isoformat()
    for row in rows:
        cid, suspended, reps, ef, lapses, last_review, due, interval, stability = row[:9]
        if row.leech:
            leeches.append((cid, row.topic, lapses, bool(suspended)))
        if suspended:
            counts["suspended"] += 1
            continue
        if last_review is None:
            counts["new"] += 1
            continue
        if interval <= 1:  # under SM-2, repetitions <= 1; under FSRS, FSRS's interval
            counts["learning"] += 1
        elif interval >= 21:
            counts["mature"] += 1
        else:
            counts["young"] += 1
        ef_sum += ef
        ef_n += 1
        if due is not None and due <= last:
            due_on[max(due, first)] += 1
        v = curve((today - date.fromisoformat(last_review)).days, interval, stability)
        if v is not None:
            values.append(v)
    leeches.sort(key=lambda x: -x[2])
    return (
        dict(counts),
        round(ef_sum / ef_n / 100, 2) if ef_n else None,
        leeches,
        [due_on[(today + timedelta(days=i)).isoformat()] for i in range(days)],
        # the one change: the exactly rounded mean (fsum), not a left-to-right sum
        (len(values), fsum(values) / len(values) if values else None)
        + (sum(v < LOW_RECALL for v in values),),
    )


def reference_histograms(rows: list[StatsRow], by: str) -> dict[str, list[int]]:
    reviewed = [r for r in rows if r.last_review is not None and not r.suspended]
    uppers = [1, 3, 7, 14, 30, 90, 180, 365]

    def days(values: list[float]) -> list[int]:
        bins = [0] * 9
        for v in values:
            bins[sum(max(1, int(v + 0.5)) > u for u in uppers)] += 1  # half up
        return bins

    def edged(values: list[float], edges: list[float]) -> list[int]:
        bins = [0] * (len(edges) + 1)
        for v in values:
            bins[sum(v >= e - 1e-9 for e in edges)] += 1
        return bins

    if by == "fsrs":
        fsrs = [r for r in reviewed if r.stability is not None]
        return {
            "interval": days([r.interval for r in reviewed]),
            "stability": days([r.stability or 0 for r in fsrs]),
            "difficulty": edged([r.difficulty or 1 for r in fsrs], list(range(2, 10))),
        }
    ease = edged([r.ef / 100 for r in reviewed], [1.5, 1.7, 1.9, 2.1, 2.3, 2.5, 2.7])
    return {"interval": days([r.interval for r in reviewed]), "ease": ease}


# --- a random history ---------------------------------------------------------------------------

grades = st.tuples(st.just("grade"), st.sampled_from(IDS), st.integers(0, 5), st.integers(0, 330))
step = st.one_of(
    grades,
    grades,
    grades,
    grades,
    st.tuples(st.just("undo"), st.integers(0, 50)),
    st.tuples(st.just("reset"), st.sampled_from(IDS)),
    st.tuples(st.just("suspend"), st.sampled_from(IDS), st.booleans()),
    st.tuples(st.just("move"), st.sampled_from(IDS), st.sampled_from(TOPICS)),
    st.tuples(st.just("retire"), st.sampled_from(IDS), st.booleans()),
    st.tuples(st.just("import"), st.sampled_from(IDS), st.integers(0, 5), st.integers(0, 330)),
    st.tuples(st.just("redate"), st.integers(0, 50), st.integers(0, 330)),
    st.tuples(st.just("scheduler"), st.sampled_from(["sm2", "fsrs"])),
)


def play(
    store: Store,
    steps: list[tuple[Any, ...]],
    each: Callable[[tuple[Any, ...]], None] | None = None,
) -> None:
    """Run `steps` on `store` (`each`, when given, after every step)."""
    topic = dict.fromkeys(IDS, TOPICS[0])
    active = set(IDS)
    anki = 1_700_000_000_000

    def sync(n: int) -> None:
        cards = [Card(id=c, topic=topic[c], question="q", answer="a") for c in IDS if c in active]
        store.sync(cards, f"s{n}", NOW)

    sync(0)
    for n, (kind, *args) in enumerate(steps, 1):
        log = [r[0] for r in store.query("SELECT id FROM reviews ORDER BY id")]
        if kind == "grade":
            cid, g, offset = args
            grade(store, cid, g, START + timedelta(days=offset))
        elif kind == "redrill":  # a re-drill a session asked for (after a failed grade)
            cid, g, offset = args
            grade(store, cid, g, START + timedelta(days=offset), redrill=True)
        elif kind == "undo" and log:
            undo(store, log[args[0] % len(log)])
        elif kind == "reset":
            store.reset([args[0]], NOW)
        elif kind == "suspend":
            store.set_suspended([args[0]], args[1])
        elif kind == "move":
            topic[args[0]] = args[1]
            sync(n)
        elif kind == "retire":
            (active.discard if args[1] else active.add)(args[0])
            sync(n)
        elif kind == "import":
            cid, g, offset = args
            day = START + timedelta(days=offset)
            anki += 1
            store.merge_reviews(
                [ImportedReview(cid, anki, f"{day.isoformat()}T08:00:00+00:00", day, g)],
                merge_rules(),  # type: ignore[arg-type]
            )
        elif kind == "scheduler":
            set_scheduler(store, args[0])
        elif kind == "retention":  # (FSRS's memories rebuilt when it is on)
            set_scheduler(store, store.settings().scheduler, args[0])
        elif kind == "redate" and log:  # what `doctor` does to a damaged day
            day = (START + timedelta(days=args[1])).isoformat()
            with store._write() as c:
                c.execute("UPDATE reviews SET day = ? WHERE id = ?", (day, log[args[0] % len(log)]))
        if each is not None:
            each((kind, *args))


def check_tallies(store: Store) -> None:
    days = store.query("SELECT day, reviews, scheduled, passed FROM review_days ORDER BY day")
    assert days == sorted(store.query(TALLY_DAYS_SQL))
    kept = store.query(
        "SELECT topic, mature, passed, day, reviews FROM retention_days ORDER BY 1, 2, 3, 4"
    )
    assert kept == sorted(store.query(TALLY_RETENTION_SQL))
    totals = store.query(
        "SELECT topic, mature, passed, reviews FROM retention_totals ORDER BY 1, 2, 3"
    )
    assert totals == sorted(store.query(TALLY_TOTALS_SQL))
    check_all_time_retention(store, kept)
    memories = store.query(
        "SELECT last_review, interval, due, cards, learning, ef FROM sm2_tally ORDER BY 1, 2, 3"
    )
    assert memories == sorted(store.query(TALLY_MEMORY_SQL))
    fsrs = store.query(
        "SELECT interval, due, stability, difficulty, cards FROM fsrs_tally ORDER BY 1, 2, 3, 4"
    )
    assert fsrs == sorted(store.query(tally_fsrs_sql()))
    assert all(row[-1] > 0 for row in fsrs)
    dues = store.query(
        "SELECT sched, topic, due, suspended, cards FROM due_tally ORDER BY 1, 2, 3, 4"
    )
    assert dues == sorted(store.query(TALLY_DUE_SQL))
    assert all(row[-1] > 0 for row in dues)  # a key with no card left is gone
    topics = store.query("SELECT sched, topic, suspended, cards FROM topic_tally ORDER BY 1, 2, 3")
    assert topics == sorted(store.query(TALLY_TOPIC_SQL))
    assert all(row[-1] > 0 for row in topics)


def check_all_time_retention(store: Store, kept: list[tuple]) -> None:
    """The all-time window of true retention (from `retention_totals`) and an as-of one (a
    day before the last review: the per-day ranges) equal the sums of the per-day tally."""
    days = sorted({row[3] for row in kept})
    for until in [date.max, *(date.fromisoformat(d) for d in days[-2:])]:
        want: dict[tuple[str, bool], list[int]] = {}
        for topic, mature, passed, day, n in kept:
            if day <= until.isoformat():
                want.setdefault((topic, bool(mature)), [0, 0])[0 if passed else 1] += n
        got = {
            (r.topic, r.mature): [r.passed, r.failed] for r in store.true_retention(until, date.min)
        }
        assert got == want


def check_due_counts(store: Store, today: date, by: str) -> None:
    """`due`'s counts from the tally equal those of the join of every card with its memory
    (the path taken as of a day with reviews logged after it), forced here."""
    tallied = (store.topic_counts(today, by), store.due_count(today, by, 3, None))
    later, store.has_later = store.has_later, lambda day: True  # type: ignore[method-assign]
    try:
        joined = (store.topic_counts(today, by), store.due_count(today, by, 3, None))
    finally:
        store.has_later = later  # type: ignore[method-assign]
    assert tallied == joined


def check_cards(store: Store, today: date, by: str) -> None:
    """The cards' sums by SQL give what the rows give, and the overview and histograms made
    of them what the reference gives, as `stats` sees them (`by` the active scheduler)."""
    rows = store.card_rows(by, as_of=today)
    scheduler = Fsrs() if by == "fsrs" else Sm2()
    tally = store.card_tally(by, today, Fsrs().parameters)
    assert tally is not None
    slow = tally_of(rows)
    assert (tally.new, tally.suspended, tally.ease, tally.leeches) == (
        slow.new,
        slow.suspended,
        slow.ease,
        slow.leeches,
    )
    if by == "fsrs":  # the groups without what is one per card (`CardTally.memory`)
        assert tally.memory is not None
        merged: dict[tuple[Any, ...], list[int]] = {}
        for _, interval, due, _, _, n, learning in slow.groups:
            cell = merged.setdefault((None, interval, due, None, None), [0, 0])
            cell[0] += n
            cell[1] += learning
        assert sorted(tally.groups) == sorted((*k, *cell) for k, cell in merged.items())
    else:
        assert tally.memory is None
        assert sorted(tally.groups) == sorted(slow.groups)
    curve = scheduler.curve  # the reference's: a call per card
    view = overview(tally, today, scheduler.curves)
    r = view.recall
    want = reference_overview(rows, today, curve)
    assert (view.cards, view.average_ef, view.leeches, [n for _, n in view.forecast]) == want[:4]
    assert (r.cards, r.below) == (want[4][0], want[4][2])
    if by == "fsrs" and r.average is not None:  # summed by SQLite, card by card: not fsum
        assert r.average == pytest.approx(want[4][1], rel=1e-12, abs=0)
    else:
        assert r.average == want[4][1]
    assert view.average_difficulty == overview(slow, today, scheduler.curves).average_difficulty
    bins = {name: [n for _, n in b] for name, b in histograms(tally, by).items()}
    assert bins == reference_histograms(rows, by)
    assert bins == {name: [n for _, n in b] for name, b in histograms(slow, by).items()}


# every kind of step after reviews that count in true retention (a card seen before)
SEEN = [("grade", c, 4, d) for c in ("c0", "c1", "c2") for d in (10, 40, 80)]


@settings(max_examples=60, deadline=None)
@given(steps=st.lists(step, min_size=5, max_size=40), today=st.integers(330, 420))
@example(steps=[*SEEN, ("move", "c0", "beta")], today=330)
@example(steps=[*SEEN, ("retire", "c1", True), ("retire", "c1", False)], today=330)
@example(steps=[*SEEN, ("suspend", "c2", True), ("undo", 3)], today=400)
@example(steps=[*SEEN, ("import", "c0", 1, 20), ("reset", "c1"), ("grade", "c1", 2, 90)], today=330)
@example(steps=[*SEEN, ("redate", 4, 200), ("redate", 0, 5)], today=330)
@example(
    steps=[*SEEN, ("scheduler", "fsrs"), ("suspend", "c0", True), ("grade", "c1", 3, 99)], today=330
)
def test_tallies_equal_the_log_and_sums_equal_the_rows(
    tmp_path_factory: Any, new_db: Callable[[Path], Path], steps: list[tuple[Any, ...]], today: int
) -> None:
    path: Path = new_db(tmp_path_factory.mktemp("tally") / "p.db")
    store = Store.open(path)
    try:
        play(store, steps)
        check_tallies(store)
        day = START + timedelta(days=today)  # on or after every review: the fast path's case
        assert not store.has_later(day)
        for by in ("sm2", "fsrs"):
            set_scheduler(store, by)  # (switched to FSRS: every card's memory from its log)
            check_cards(store, day, by)
            for offset in (-400, -30, 0, 1, 200):
                check_due_counts(store, day + timedelta(days=offset), by)
    finally:
        store.close()


@pytest.fixture(scope="module")
def simulated_year() -> dict[date, Path]:
    """The database folder the first case of a day of the fast-and-row-paths test kept, for
    the others to copy (the simulation and its import: ~0.15 s of each case otherwise)."""
    return {}


@pytest.mark.parametrize("by", ["sm2", "fsrs"])
@pytest.mark.parametrize("today", ["2026-11-26", "2026-03-01"])
def test_the_fast_and_row_paths_print_the_same_stats(
    today: str,
    by: str,
    monkeypatch: pytest.MonkeyPatch,
    simulated_year: dict[date, Path],
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    """`stats --json` and the screen, with the cards summed by SQL and by the row path
    (forced), are the same bytes: on a simulated year of 120 built-in cards, some suspended,
    and as of a day with reviews logged after it (the row path either way)."""
    import os
    import shutil

    from typer.testing import CliRunner

    from dlcards.catalog import load_catalog
    from dlcards.cli import app
    from dlcards.settings import DEFAULT_FSRS_PARAMETERS
    from dlcards.simulate import fsrs_review_log
    from dlcards.store.reports import Reports
    from tests.helpers import import_log

    data = Path(os.environ["DLCARDS_DB"]).parent
    made = date.today()
    if made not in simulated_year:
        ids = [c.id for c in load_catalog().cards][:120]
        start = date(2025, 10, 22)
        import_log(fsrs_review_log(ids, DEFAULT_FSRS_PARAMETERS, start, 401, seed=5), NOW)
        with Store.open(Path(os.environ["DLCARDS_DB"])) as store:
            store.set_suspended(ids[:7], True)
        simulated_year[made] = tmp_path_factory.mktemp("simulated-year") / "data"
        shutil.copytree(data, simulated_year[made])
    else:
        shutil.copytree(simulated_year[made], data, dirs_exist_ok=True)
    runner = CliRunner()
    assert runner.invoke(app, ["config", "scheduler", by]).exit_code == 0
    outputs = []
    for fast in (True, False):
        if not fast:
            monkeypatch.setattr(Reports, "card_tally", lambda self, *args: None)
        for args in (["--json"], []):
            result = runner.invoke(app, ["stats", "--today", today, *args])
            assert result.exit_code == 0, result.output
            outputs.append(result.output)
    assert outputs[:2] == outputs[2:]
    assert '"mature": 0' not in outputs[0]


@pytest.mark.parametrize(
    "table",
    [
        "review_days",
        "retention_days",
        "retention_totals",
        "sm2_tally",
        "fsrs_tally",
        "due_tally",
        "topic_tally",
    ],
)
def test_a_tally_that_is_gone_is_made_again_by_doctor(tmp_path: Path, table: str) -> None:
    """A tally table dropped (by hand, or by a tool): `due`, `stats` or a grade say the file
    is damaged and to run doctor; `doctor --check` names the table, and `doctor` makes it
    again from the log and the cards, with its triggers."""
    import contextlib
    import sqlite3

    from typer.testing import CliRunner

    from dlcards.cli import app

    db = tmp_path / "p.db"
    with Store.open(db) as store:
        play(store, SEEN)
    with contextlib.closing(sqlite3.connect(db)) as conn, conn:
        conn.execute(f"DROP TABLE {table}")
    runner = CliRunner()
    checked = runner.invoke(app, ["doctor", "--check", "--db", str(db)])
    assert checked.exit_code == 1, checked.output
    assert f"table {table} is missing" in checked.output
    repaired = runner.invoke(app, ["doctor", "--db", str(db)])
    assert repaired.exit_code == 0 and "Repaired" in repaired.output, repaired.output
    with Store.open(db) as store:
        play(store, [("grade", "c1", 3, 90)])  # its triggers keep it
        check_tallies(store)
    assert runner.invoke(app, ["doctor", "--check", "--db", str(db)]).exit_code == 0


def test_doctor_finds_and_rebuilds_damaged_tallies(tmp_path: Path) -> None:
    """A tally edited by hand, or a trigger dropped, is reported by `doctor --check` and
    rebuilt from the log by `doctor`; the triggers keep it right afterwards."""
    import sqlite3

    from typer.testing import CliRunner

    from dlcards.cli import app

    db = tmp_path / "p.db"
    store = Store.open(db)
    play(store, [*SEEN, ("move", "c1", "gamma")])
    store.close()
    with contextlib.closing(sqlite3.connect(db)) as conn, conn:
        conn.execute("UPDATE retention_days SET reviews = reviews + 1")
        conn.execute("DROP TRIGGER reviews_tally_delete")
        conn.execute("UPDATE sm2_tally SET ef = ef + 1")
        conn.execute(
            "UPDATE due_tally SET cards = cards + 1 "
            "WHERE topic = (SELECT min(topic) FROM due_tally)"
        )
        conn.execute("DROP TRIGGER fsrs_due_update")
        conn.execute("DROP TRIGGER retention_totals_delete")
        conn.execute("UPDATE topic_tally SET cards = cards - 1 WHERE sched = 'sm2'")
        conn.execute("DROP TRIGGER topic_tally_update")
        conn.execute("UPDATE retention_totals SET reviews = reviews + 2")
    runner = CliRunner()
    checked = runner.invoke(app, ["doctor", "--check", "--db", str(db)])
    assert checked.exit_code == 1, checked.output
    assert "retention_days differs from the review log" in checked.output
    assert "trigger reviews_tally_delete is missing" in checked.output
    assert "sm2_tally differs from the memories" in checked.output
    assert "due_tally differs from the cards' due dates" in checked.output
    assert "trigger fsrs_due_update is missing" in checked.output
    assert "retention_totals differs from retention_days" in checked.output
    assert "trigger retention_totals_delete is missing" in checked.output
    assert "topic_tally differs from the cards' topics" in checked.output
    assert "trigger topic_tally_update is missing" in checked.output
    repaired = runner.invoke(app, ["doctor", "--db", str(db)])
    assert repaired.exit_code == 0, repaired.output
    with Store.open(db) as store:
        play_more = store.query("SELECT id FROM reviews ORDER BY id")
        undo(store, play_more[-1][0])  # the rebuilt delete trigger takes it out of the tallies
        check_tallies(store)
    assert runner.invoke(app, ["doctor", "--check", "--db", str(db)]).exit_code == 0


edges = st.sampled_from(
    [0.5, 1.5, 2.5, 3.5, 7.5, 14.5, 30.5, 90.5, 365.5, 1 - 1e-9, 2 - 1e-9, 9 - 1e-9, 2.0, 9.0]
)
near = edges.flatmap(lambda e: st.sampled_from([e, *(math.nextafter(e, d) for d in (0, 99))]))


@settings(max_examples=300, deadline=None)
@given(values=st.lists(st.one_of(near, st.floats(0, 1e9, exclude_min=True)), max_size=20))
@example(values=[1.5, 2.5, 2 - 1e-9, math.nextafter(2 - 1e-9, 0), 364.5, 365.5, 1e9])
def test_the_tallys_sql_bins_are_the_statistics_bins(values: list[float]) -> None:
    """`fsrs_tally` bins stabilities and difficulties in SQL as `stats.day_bin` and
    `stats.difficulty_bin` bin them in Python, at each edge and a float either side of it."""
    import sqlite3

    from dlcards.bins import day_bin, difficulty_bin
    from dlcards.store.schema import difficulty_bin_sql, stability_bin_sql

    with contextlib.closing(sqlite3.connect(":memory:")) as conn:
        conn.execute("CREATE TABLE f (v REAL)")
        conn.executemany("INSERT INTO f VALUES (?)", [(v,) for v in values])
        got = conn.execute(
            f"SELECT v, {stability_bin_sql('v')}, {difficulty_bin_sql('v', 'v')} FROM f"
        ).fetchall()
    assert got == [(v, day_bin(v), difficulty_bin(v)) for v in values]


def studied_under_fsrs(tmp_path: Path, scheduler: str = "fsrs") -> Path:
    """A database of the built-in decks with FSRS on (or `scheduler`) and three cards
    answered (the first of them perceptron-1)."""
    from typer.testing import CliRunner

    from dlcards.cli import app

    db = tmp_path / "p.db"
    runner = CliRunner()
    config = ["config", "scheduler", scheduler, "--db", str(db)]
    assert runner.invoke(app, config).exit_code == 0
    keys = "\n4\n\n2\n\n5\nq\n"
    study = ["study", "--db", str(db), "--today", "2026-11-20"]
    assert runner.invoke(app, study, input=keys).exit_code == 0
    with Store.open(db) as store:
        assert store.query(f"SELECT count(*) FROM {scheduler}_tally") != [(0,)]
    return db


FSRS_DAMAGE = [
    ("stability = 0", "fsrs.stability holds '0.0', not a number above 0"),
    ("stability = 'x'", "fsrs.stability holds 'x', not a number above 0"),
    ("stability = 1e12", "fsrs.stability holds '1000000000000.0', not a number above 0"),
    ("difficulty = 12", "fsrs.difficulty holds '12.0', not a number from 0"),
    ("difficulty = X'00'", "fsrs.difficulty holds"),
    ("last_review = '2026-02-30'", "fsrs.last_review holds '2026-02-30', not a date"),
    ("last_review = 20261126", "fsrs.last_review holds '20261126', not a date"),
    ("last_review = '0000-01-01'", "fsrs.last_review holds '0000-01-01', not a date"),
]


@pytest.mark.parametrize(("change", "words"), FSRS_DAMAGE)
def test_a_damaged_fsrs_memory_stops_stats_naming_its_card(
    tmp_path: Path, change: str, words: str
) -> None:
    """A value the FSRS tally or its pass over the memories cannot vouch for sends `stats` to
    the cards one by one, which name the card and the column in one line (exit 2)."""
    import sqlite3

    from typer.testing import CliRunner

    from dlcards.cli import app

    db = studied_under_fsrs(tmp_path)
    with contextlib.closing(sqlite3.connect(db)) as conn, conn:
        conn.execute(f"UPDATE fsrs SET {change} WHERE card_id = 'perceptron-1'")
    result = CliRunner().invoke(app, ["stats", "--db", str(db), "--today", "2026-11-26"])
    assert result.exit_code == 2, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: card perceptron-1: column "), lines
    assert words in lines[0] and "dlcards doctor" in lines[0], lines


def test_stats_without_sqlites_math_functions_sums_in_python(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An SQLite built without pow() (its math functions are a compile-time option): FSRS's
    sums come from the cards one by one, and `stats` prints what it prints with them."""
    from typer.testing import CliRunner

    from dlcards.cli import app
    from dlcards.store.reports import Reports

    db = studied_under_fsrs(tmp_path)
    runner = CliRunner()
    assert runner.invoke(app, ["suspend", "perceptron-1", "--db", str(db)]).exit_code == 0
    args = ["stats", "--json", "--db", str(db), "--today", "2026-11-26"]
    with_pow = runner.invoke(app, args)
    monkeypatch.setattr(Reports, "_has_pow", lambda self: False)
    tallies: list[Any] = []
    real = Reports.card_tally
    monkeypatch.setattr(
        Reports, "card_tally", lambda self, *a: tallies.append(real(self, *a)) or tallies[-1]
    )
    without = runner.invoke(app, args)
    assert with_pow.exit_code == without.exit_code == 0, without.output
    assert tallies == [None]
    assert with_pow.output == without.output
    assert '"average": null' not in without.output


@pytest.mark.parametrize(
    "change",
    [
        "interval = X'00ff'",
        "cards = X'00ff'",
        "cards = 1.5",
        "stability = 99",
        "difficulty = -5",
        "stability = -1",
        "difficulty = -1",
    ],
)
def test_stats_reads_the_cards_when_the_fsrs_tally_cannot_serve(
    tmp_path: Path, change: str
) -> None:
    """`fsrs_tally` damaged (bytes, a fraction, a bin no histogram has, a card with a
    stability but no difficulty bin): `stats` reads the cards instead and shows what it
    showed before; `doctor` names the tally and makes it again."""
    import json
    import sqlite3

    from typer.testing import CliRunner

    from dlcards.cli import app

    db = studied_under_fsrs(tmp_path)
    runner = CliRunner()
    args = ["stats", "--json", "--db", str(db), "--today", "2026-11-26"]
    before = runner.invoke(app, args)
    assert before.exit_code == 0, before.output
    with contextlib.closing(sqlite3.connect(db)) as conn, conn:
        conn.execute(
            f"UPDATE fsrs_tally SET {change} "
            "WHERE (interval, due) = (SELECT interval, due FROM fsrs_tally LIMIT 1)"
        )
    after = runner.invoke(app, args)
    assert after.exit_code == 0, after.output
    assert json.loads(after.output) == json.loads(before.output)
    checked = runner.invoke(app, ["doctor", "--check", "--db", str(db)])
    assert checked.exit_code == 1 and "fsrs_tally differs" in checked.output, checked.output


@pytest.mark.parametrize("change", ["due = '2030-01-01'", "cards = 0"])
@pytest.mark.parametrize("scheduler", ["sm2", "fsrs"])
def test_a_suspended_card_the_tally_does_not_hold_sends_stats_to_the_cards(
    tmp_path: Path, scheduler: str, change: str
) -> None:
    """A reviewed card suspended, and the memories' tally damaged so that it no longer holds
    the card's group (by hand, or a tool): `stats` stopped with "KeyError: ('2026-11-20', 1,
    '2026-11-21')" (SM-2) where it takes the card out of the sums, or would count minus one
    card. It now reads the cards, and shows what it showed before the damage."""
    import json
    import sqlite3

    from typer.testing import CliRunner

    from dlcards.cli import app

    db = studied_under_fsrs(tmp_path, scheduler)
    runner = CliRunner()
    assert runner.invoke(app, ["suspend", "perceptron-1", "--db", str(db)]).exit_code == 0
    args = ["stats", "--json", "--db", str(db), "--today", "2026-11-26"]
    before = runner.invoke(app, args)
    assert before.exit_code == 0, before.output
    with contextlib.closing(sqlite3.connect(db)) as conn, conn:
        conn.execute(f"UPDATE {scheduler}_tally SET {change}")
    after = runner.invoke(app, args)
    assert after.exit_code == 0, after.output
    assert json.loads(after.output) == json.loads(before.output)


# --- a past day under FSRS: the log's states are the replay's ---------------------------------

as_of_step = st.one_of(
    grades,
    grades,
    grades,
    st.tuples(st.just("undo"), st.integers(0, 50)),
    st.tuples(st.just("suspend"), st.sampled_from(IDS), st.booleans()),
    st.tuples(st.just("scheduler"), st.sampled_from(["sm2", "fsrs"])),
    st.tuples(st.just("retention"), st.sampled_from([0.8, 0.85, 0.9, 0.95])),
    # reviews from Anki, logged after dlcards's own of the same weeks (out of time order)
    st.tuples(st.just("import"), st.sampled_from(IDS), st.integers(0, 5), st.integers(0, 330)),
    # a session's re-drill, and resets: with undos, the mixes that left a re-drill first after
    # a reset, or the log before a reset point decided with a grade since undone
    st.tuples(st.just("redrill"), st.sampled_from(IDS), st.integers(0, 5), st.integers(0, 330)),
    st.tuples(st.just("reset"), st.sampled_from(IDS)),
)


def grades_as_of(
    log: list[tuple[Any, ...]], resets: list[tuple[int, int]], day: date
) -> list[tuple[date, int]] | None:
    """The reference for a past day: one card's scheduled grades as of `day`, derived from its
    grades and resets alone (not from the log's states before and after each grade, nor its
    kinds). `log`: (at, id, day, grade, asked) of each row left, `resets`: the (at, id) point
    of each of its resets. The rows happened in time order (at, then id) up to its first row of
    a later day; a reset before that row (between the day and it too) starts the card over;
    since then, a row is scheduled unless a session asked for it as a re-drill or the card was
    last scheduled on its day or after (`grading.decide`). None: no row of a later day (the card
    is as it is now)."""
    rows = sorted(log)
    later = next(((at, rid) for at, rid, d, *_ in rows if d > day.isoformat()), None)
    if later is None:
        return None
    start = max((p for p in resets if p < later), default=(-(2**62), 0))
    history: list[tuple[date, int]] = []
    for at, rid, d, g, asked in rows:
        if (at, rid) <= start or (at, rid) >= later:
            continue
        on = date.fromisoformat(d)
        if not asked and (not history or on > history[-1][0]):
            history.append((on, g))
    return history


@settings(max_examples=40, deadline=None)
@given(steps=st.lists(as_of_step, min_size=3, max_size=30), days=st.lists(st.integers(0, 340)))
@example(  # graded under SM-2 on days 10 and 50, then FSRS on: as of day 30
    steps=[("grade", "c0", 4, 10), ("grade", "c0", 4, 50), ("scheduler", "fsrs")], days=[30]
)
@example(  # a new desired retention rebuilds the memories: the log's states with them
    steps=[("scheduler", "fsrs"), ("grade", "c1", 4, 20), ("grade", "c1", 3, 60)]
    + [("retention", 0.8)],
    days=[40],
)
@example(  # graded on day 200, then a review from Anki of day 100 logged after it: as of day
    # 50 the first later review is day 100's (by id it was day 200's, whose state before is
    # day 100's after: `due --today` said due on day 104, not new)
    steps=[("grade", "c2", 4, 200), ("import", "c2", 4, 100), ("scheduler", "fsrs")],
    days=[50],
)
@example(  # the same under FSRS all along
    steps=[("scheduler", "fsrs"), ("grade", "c2", 4, 200), ("import", "c2", 3, 100)],
    days=[50, 150],
)
@example(  # graded on day 10 (due day 11), reviewed late on day 20: as of day 10 the due date
    # is day 11 (`due`'s next due date said day 20, the next review's day)
    steps=[("grade", "c3", 4, 10), ("grade", "c3", 4, 20)],
    days=[10],
)
@example(  # failed on day 10 (due day 11), reviewed on day 20, then day 10's re-drill given
    # from a `study --today` of day 10: still due on day 11 as of day 10 (it said day 20)
    steps=[("grade", "c0", 2, 10), ("grade", "c0", 4, 20), ("grade", "c0", 4, 10)],
    days=[10],
)
@example(  # graded on day 8 and 23 (each with a re-drill), reset, then day 23's grade undone:
    # the re-drill of day 23 kept the state that grade had left (before it: due day 24), and
    # as of day 10 `due` and `stats` read it where `show` replayed day 8's grade (due day 9)
    steps=[("grade", "c0", 1, 8), ("redrill", "c0", 3, 8), ("grade", "c0", 3, 23)]
    + [("redrill", "c0", 5, 23), ("reset", "c0"), ("undo", 2)],
    days=[10],
)
@example(  # graded on day 30, reset, graded on day 60 with a re-drill, that grade undone: the
    # re-drill is the first review after day 35 and after the reset (new before it); `due`
    # and `stats` read new as of day 35, `show` replayed day 30's grade (it took a reset only
    # at a scheduled grade)
    steps=[("grade", "c0", 4, 30), ("reset", "c0"), ("grade", "c0", 2, 60)]
    + [("redrill", "c0", 4, 60), ("undo", 1)],
    days=[35],
)
@example(  # a new card's re-drill on day 31 (it holds no FSRS state), then a grade of day 0
    # given after it: as of day 30 the card is new, as SM-2 read it; FSRS read the state now,
    # due day 1 (the first row after day 30 that held a state was none: the grade is of day 0)
    steps=[("redrill", "c0", 0, 31), ("grade", "c0", 0, 0)],
    days=[30],
)
def test_a_past_days_due_dates_are_the_replay_of_the_log_up_to_that_day(
    tmp_path_factory: Any,
    new_db: Callable[[Path], Path],
    steps: list[tuple[Any, ...]],
    days: list[int],
) -> None:
    """As of a past day, each card's due date under FSRS and under SM-2 (what `due`, `study`
    and `stats` read) is what `show` gives: the replay of the card's grades up to that day. A
    switch from SM-2 left the rows of grades given under SM-2 without an FSRS state, and those
    screens showed today's due dates (`show` said due 2026-11-03, `due --today 2026-11-03`
    none). Reviews imported from Anki are logged after dlcards's own of the same weeks: the
    day's first later review by id was then not the first in time."""
    from dlcards.scheduling import Schedule

    path: Path = new_db(tmp_path_factory.mktemp("asof") / "p.db")
    store = Store.open(path)
    resets: dict[str, list[tuple[int, int]]] = {cid: [] for cid in IDS}
    try:

        def kept(step: tuple[Any, ...]) -> None:  # each reset's point (the card keeps its last)
            if step[0] == "reset":
                at, after = store.query(
                    "SELECT reset_at, reset_after FROM cards WHERE id = ?", (step[1],)
                )[0]
                if at is not None and (at, after) not in resets[step[1]]:
                    resets[step[1]].append((at, after))

        play(store, steps, kept)
        set_scheduler(store, "fsrs")
        schedule = Schedule.from_settings(store.settings())
        logged = store.query("SELECT card_id, day, at, id FROM reviews ORDER BY at, id")
        rows_of = {
            cid: store.query(
                "SELECT at, id, day, grade, asked = 1 FROM reviews WHERE card_id = ?", (cid,)
            )
            for cid in IDS
        }
        for offset in [*days, 30]:
            day = START + timedelta(days=offset)
            later = {cid for cid, d, *_ in logged if d > day.isoformat()}
            # graded that day after a review of a later day (in time order: a grade given on
            # that past day from the card's state now, a re-drill): not due again that day,
            # due on its next review's day (`reports.GRADED_AFTER`)
            graded_after = set()
            for cid in later:
                mine = [d for c, d, *_ in logged if c == cid]
                first = next(i for i, d in enumerate(mine) if d > day.isoformat())
                if day.isoformat() in mine[first:]:
                    graded_after.add(cid)
            rows = {r.id: r for r in store.card_rows("fsrs", as_of=day)}
            sm2_rows = {r.id: r for r in store.card_rows("sm2", as_of=day)}
            for cid in IDS:
                if cid not in later:
                    continue  # today's state
                history = grades_as_of(rows_of[cid], resets[cid], day)
                assert history is not None
                # what `show --today` replays
                shown = store.history_as_of(cid, day)
                assert [(e.day, int(e.grade)) for e in shown or []] == history, (cid, day)
                replayed = schedule.replay(history)
                for by, by_rows, want in (
                    ("fsrs", rows, replayed.fsrs.due),
                    ("sm2", sm2_rows, replayed.sm2.due),
                ):
                    if cid in graded_after and (want is None or want <= day):
                        continue  # graded that day after a later review, due or new then
                    assert by_rows[cid].due == (want.isoformat() if want else None), (
                        by,
                        cid,
                        day,
                        history,
                    )
                    # what `due`'s next due date (and `search prop:due`) read: the same date,
                    # also for a card graded on the day itself (it gave its next review's day)
                    coming = want if want and want > day and not by_rows[cid].suspended else None
                    assert store.next_due(day, by, among=[cid]) == coming, (by, cid, day, history)
            if later:
                assert store.count_due(day, "fsrs") == sum(
                    1
                    for cid in IDS
                    if rows[cid].due is not None
                    and rows[cid].due <= day.isoformat()
                    and not rows[cid].suspended
                    and cid not in graded_after
                )
    finally:
        store.close()


def switched_after_sm2(tmp_path: Path) -> Path:
    """A database whose perceptron-1 was graded Good under SM-2 on 2026-11-01 and 2026-11-05
    (one new card a day), then switched to FSRS."""
    from typer.testing import CliRunner

    from dlcards.cli import app

    db = str(tmp_path / "p.db")
    runner = CliRunner()
    assert runner.invoke(app, ["config", "new_per_day", "1", "--db", db]).exit_code == 0
    for day in ("2026-11-01", "2026-11-05"):
        studied = runner.invoke(app, ["study", "--db", db, "--today", day], input="\n4\nq\n")
        assert studied.exit_code == 0, studied.output
    assert runner.invoke(app, ["config", "scheduler", "fsrs", "--db", db]).exit_code == 0
    return Path(db)


def test_show_due_and_stats_agree_on_a_past_day_after_a_switch_to_fsrs(tmp_path: Path) -> None:
    """Graded under SM-2 on 2026-11-01 and 2026-11-05, then FSRS switched on: `show --today
    2026-11-03` said FSRS had the card due that day, `due --today 2026-11-03` counted none and
    `stats` took today's stability (the rows of grades given under SM-2 held no FSRS state).
    The first such look writes the log's states from the replay; all three agree."""
    import json

    from typer.testing import CliRunner

    from dlcards.cli import app

    db, runner = str(switched_after_sm2(tmp_path)), CliRunner()
    then = ["--db", db, "--today", "2026-11-03", "--json"]
    shown = json.loads(runner.invoke(app, ["show", "perceptron-1", *then]).output)
    assert shown["state"]["scheduler"] == "fsrs" and shown["state"]["due"] == "2026-11-03"
    due = json.loads(runner.invoke(app, ["due", *then]).output)
    assert due["due"] == 1
    stats = json.loads(runner.invoke(app, ["stats", *then]).output)
    assert stats["forecast"][0] == {"day": "2026-11-03", "due": 1}
    stability = {b["bin"]: b["cards"] for b in stats["histograms"]["stability"]}
    assert stability["2-3d"] == 1, stability  # the state after the first grade: 2.3 days


@pytest.mark.parametrize("scheduler", ["sm2", "fsrs"])
def test_show_agrees_with_due_on_a_past_day_before_a_reset(tmp_path: Path, scheduler: str) -> None:
    """Graded Good on 2026-11-01 and 2026-11-05, then reset: as of 2026-11-03 `due` and `stats`
    read the state the 11-05 grade started from (the log as it was then: studied on 11-01,
    due 11-02), and `show --today 2026-11-03` said "new" (it replayed only the grades after
    the reset). It now reads the same state: the grades before the first one after that day,
    since the reset before it."""
    import json

    from typer.testing import CliRunner

    from dlcards.cli import app

    db, runner = str(tmp_path / "p.db"), CliRunner()
    assert runner.invoke(app, ["config", "new_per_day", "1", "--db", db]).exit_code == 0
    for day in ("2026-11-01", "2026-11-05"):
        studied = runner.invoke(app, ["study", "--db", db, "--today", day], input="\n4\nq\n")
        assert studied.exit_code == 0, studied.output
    assert runner.invoke(app, ["config", "scheduler", scheduler, "--db", db]).exit_code == 0
    reset = runner.invoke(app, ["reset", "perceptron-1", "--yes", "--db", db])
    assert reset.exit_code == 0, reset.output
    then = ["--db", db, "--today", "2026-11-03", "--json"]
    shown = json.loads(runner.invoke(app, ["show", "perceptron-1", *then]).output)["state"]
    due = json.loads(runner.invoke(app, ["due", *then]).output)
    stats = json.loads(runner.invoke(app, ["stats", *then]).output)
    assert due["due"] == 1 and stats["cards"]["new"] == due["new"]
    # the replay of 11-01's Good alone, by each scheduler directly
    from dlcards.fsrs_sched import replay as fsrs_replay
    from dlcards.sm2 import Grade, State, review

    sm2, _ = review(State(), Grade.GOOD, date(2026, 11, 1))
    fsrs = fsrs_replay([(date(2026, 11, 1), 4)], 0.9)
    want = fsrs.due if scheduler == "fsrs" else sm2.due
    assert shown["status"] == "review" and shown["last_review"] == "2026-11-01"
    assert shown["due"] == want.isoformat() and shown["repetitions"] == 1
    assert stats["forecast"][0] == {"day": "2026-11-03", "due": int(want <= date(2026, 11, 3))}
    assert shown["reviews_before_reset"] == 2


def test_a_long_replay_for_a_past_day_says_so_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """At 1,000,000 reviews the first look at a past day after a switch replays the log for
    ~20 s: a line on standard error says why it waits, once (the next look reads the log)."""
    from typer.testing import CliRunner

    from dlcards.cli import app
    from dlcards.store.core import Store as Core

    monkeypatch.setattr(Core, "FSRS_LOG_NOTICE", 2)  # this log's size
    db, runner = str(switched_after_sm2(tmp_path)), CliRunner()
    first = runner.invoke(app, ["due", "--db", db, "--today", "2026-11-03"])
    assert first.exit_code == 0, first.output
    note = "note: replaying the 2 reviews of the log for FSRS's state on a past day"
    assert first.stderr.count(note) == 1, first.stderr
    again = runner.invoke(app, ["due", "--db", db, "--today", "2026-11-03"])
    assert again.exit_code == 0 and "replaying" not in again.stderr, again.stderr


@pytest.mark.parametrize("scheduler", ["sm2", "fsrs"])
def test_a_card_graded_on_the_past_day_is_due_when_that_grade_said(
    tmp_path: Path, scheduler: str
) -> None:
    """Graded Good on 2026-11-01 and, late, on 2026-11-05: as of 11-01, `show` and the `stats`
    forecast had the card due on the date 11-01's grade set (11-02 under SM-2), while `due`'s
    next due date and `search prop:due=N` gave the day of its next review (11-05, as if the
    card had waited for it): `reports.due_as_of` took every card graded on the day for one
    graded again on it after its later reviews (a `study --today` of a past day)."""
    import json

    from typer.testing import CliRunner

    from dlcards.cli import app
    from dlcards.fsrs_sched import replay as fsrs_replay
    from dlcards.sm2 import Grade, State, review

    db, runner = str(tmp_path / "p.db"), CliRunner()
    assert runner.invoke(app, ["config", "scheduler", scheduler, "--db", db]).exit_code == 0
    for day, new in (("2026-11-01", "1"), ("2026-11-05", "0")):
        studied = runner.invoke(
            app,
            ["study", "--db", db, "--today", day, "--topic", "perceptron", "--new", new],
            input="\n4\nq\n",
        )
        assert studied.exit_code == 0 and "1 grade saved" in studied.output, studied.output
    # the due date of 11-01's Good alone, by each scheduler directly (before 11-05)
    sm2, _ = review(State(), Grade.GOOD, date(2026, 11, 1))
    fsrs = fsrs_replay([(date(2026, 11, 1), 4)], 0.9)
    want = fsrs.due if scheduler == "fsrs" else sm2.due
    assert want is not None and want < date(2026, 11, 5)
    then = ["--db", db, "--today", "2026-11-01", "--json"]
    shown = json.loads(runner.invoke(app, ["show", "perceptron-1", *then]).output)["state"]
    assert shown["due"] == want.isoformat()
    stats = json.loads(runner.invoke(app, ["stats", *then]).output)
    assert [f["day"] for f in stats["forecast"] if f["due"]] == [want.isoformat()]
    due = json.loads(runner.invoke(app, ["due", *then]).output)
    assert (due["due"], due["next_due"]) == (0, want.isoformat())
    days = (want - date(2026, 11, 1)).days
    found = json.loads(runner.invoke(app, ["search", f"prop:due={days}", *then]).output)
    assert [c["id"] for c in found["cards"]] == ["perceptron-1"]
