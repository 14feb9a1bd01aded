"""The progress database's schema: tables, indexes and migrations (sqlite-utils `Migrations`).

Tables (the schema version is in `PRAGMA user_version`):

- `cards`:    id, topic, position (deck order), content_hash, retired, suspended, added,
              reset_at, reset_after (the reset point: replays take the reviews after the
              moment `reset_at` (ms), and at that very moment those with ids above
              `reset_after`; schema 6), leech (1: marked a leech; a deck's tags are its YAML,
              so the mark lives here), tags (" a b " as synced), search_hash (of the text
              indexed for search), search_rowid (its row there), edited (when what its
              exported note shows last changed, s; schema 17), note_hash (of what that note
              shows besides the text and tags: title, source, computations; schema 18),
              suspended_changed (when dlcards last changed `suspended`, s; NULL: never;
              schema 22: `import anki` lets the newer of it and Anki's change win),
              unleech_at, unleech_after (the unleech point, as the reset point: `dlcards
              unleech` took the leech mark off there, and only a review after it that fires
              the leech rule marks the card again; NULL: never; schema 29), exported_hash
              (of every byte of the note the last Anki export wrote, `export.anki.
              note_digest`; NULL: none yet; schema 32: a note whose bytes change with no deck
              edit, a dlcards that words its steps otherwise, is dated by that export; "":
              unknown, a card of the database before schema 34, dated so too)
- `card_search`: FTS5 index of question, answer, erratum, note and tags of active cards, kept
              in step by sync
- `sm2`:      card_id, ef (hundredths), repetitions, interval, due, lapses, last_review
- `fsrs`:     card_id, stability, difficulty, due, last_review
- `reviews`:  append-only log: card, timestamp, local day, grade, kind (scheduled | redrill),
              seconds taken, session, and the SM-2 fields (and FSRS state) before and after;
              ids are never reused (AUTOINCREMENT, schema 5); `at` is reviewed_at in ms since
              the epoch, the time order every replay follows, and `anki_id` the Anki revlog id
              of an imported review (unique: importing a file twice adds nothing; schema 6);
              leech: the leech action the grade fired (suspend | tag), so undo takes it back
- `sessions`: id, kind (study | quiz), day, started_at, ended_at
- `quiz_results`: quiz answers (they never touch the schedule)
- `meta`:     key/value: the deck signature of the last sync, settings
- `anki_notes`: the Anki note GUID of a card converted from one (schema 20)
- `anki_decks`: the Anki deck a topic's cards live in, as `import anki` last saw it (schema 30)
- `anki_leech_tags`: whether the newest note of a leech that Anki was sent or seen to hold
              carried the `leech` tag, and that note's time (schema 31; schema 33: a leech an
              Anki answer made before, as the import of that answer saw its note, tagged)
- `learner_actions`: what each `suspend`, `unsuspend`, study `!` and `unleech` overwrote, for
              `dlcards undo` (`store.actions`; schema 35)
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from functools import cache
from typing import Any

from dlcards import SCHEMA_VERSION as SCHEMA_VERSION  # here for the store's modules

# CHECK constraints sqlite-utils cannot express, as a trigger on the log.
REVIEW_CHECK_FAILS = "grade NOT BETWEEN 0 AND 5 OR kind NOT IN ('scheduled', 'redrill')"
"""What the log's check refuses in a row (a bulk merge runs it as one query: `merge.py`)."""
REVIEW_CHECK = (
    "CREATE TRIGGER reviews_grade_check BEFORE INSERT ON reviews "
    "WHEN NEW.grade NOT BETWEEN 0 AND 5 OR NEW.kind NOT IN ('scheduled', 'redrill') "
    "BEGIN SELECT RAISE(ABORT, 'invalid review row'); END"
)


def _initial(db: Any) -> None:
    _create_collection(db)
    _create_log(db)


def _create_collection(db: Any) -> None:
    db["meta"].create({"key": str, "value": str}, pk="key")
    db["cards"].create(
        {
            "id": str,
            "topic": str,
            "position": int,
            "content_hash": str,
            "retired": int,
            "suspended": int,
            "added": str,
        },
        pk="id",
        not_null={"topic", "position", "content_hash", "retired", "suspended", "added"},
        defaults={"retired": 0, "suspended": 0},
    )
    db["sm2"].create(
        {
            "card_id": str,
            "ef": int,
            "repetitions": int,
            "interval": int,
            "due": str,
            "lapses": int,
            "last_review": str,
        },
        pk="card_id",
        foreign_keys=[("card_id", "cards", "id")],
        not_null={"ef", "repetitions", "interval", "lapses"},
    )
    db["sm2"].create_index(["due"], index_name="sm2_due")


def _create_log(db: Any) -> None:
    db["sessions"].create(
        {"id": int, "kind": str, "day": str, "started_at": str, "ended_at": str},
        pk="id",
        not_null={"kind", "day", "started_at"},
    )
    db["reviews"].create(
        {
            "id": int,
            "card_id": str,
            "session_id": int,
            "reviewed_at": str,
            "day": str,
            "grade": int,
            "kind": str,
            "seconds": float,
            "ef_before": int,
            "ef_after": int,
            "interval_before": int,
            "interval_after": int,
            "due_before": str,
            "due_after": str,
            "reps_before": int,
            "reps_after": int,
            "lapses_before": int,
            "lapses_after": int,
            "last_review_before": str,
        },
        pk="id",
        foreign_keys=[("card_id", "cards", "id"), ("session_id", "sessions", "id")],
        not_null={"card_id", "reviewed_at", "day", "grade", "kind"},
    )
    db["reviews"].create_index(["card_id", "id"], index_name="reviews_card")
    db["reviews"].create_index(["day"], index_name="reviews_day")
    db["quiz_results"].create(
        {
            "id": int,
            "session_id": int,
            "card_id": str,
            "answered_at": str,
            "mode": str,
            "correct": int,
            "given": str,
            "expected": str,
        },
        pk="id",
        foreign_keys=[("session_id", "sessions", "id")],
        not_null={"card_id", "answered_at", "mode", "correct"},
    )
    db.execute(REVIEW_CHECK)


def _fsrs(db: Any) -> None:
    # FSRS memory state, kept for every card; rebuilt from the log when FSRS is switched on.
    db["fsrs"].create(
        {
            "card_id": str,
            "stability": float,
            "difficulty": float,
            "due": str,
            "last_review": str,
        },
        pk="card_id",
        foreign_keys=[("card_id", "cards", "id")],
    )
    db["fsrs"].create_index(["due"], index_name="fsrs_due")
    db.execute("INSERT INTO fsrs (card_id) SELECT id FROM cards")
    # the FSRS state a review replaced (JSON), so undo restores it exactly
    db["reviews"].add_column("fsrs_before", str)
    # `dlcards reset` keeps the log; replays start after the last reset
    db["cards"].add_column("reset_after", int)


def _reviews_by_day(db: Any) -> None:
    # covers the statistics' counts by day, kind and grade without touching the log rows
    db["reviews"].create_index(["day", "kind", "grade"], index_name="reviews_day_kind_grade")
    db.execute("DROP INDEX IF EXISTS reviews_day")


def _covering_queue_indexes(db: Any) -> None:
    # The queue joins due cards to their flags; covering indexes on both sides make each
    # row one b-tree search instead of three (measured 116 -> 48 ms for 43k due cards).
    for table in ("sm2", "fsrs"):
        db.execute(f"DROP INDEX IF EXISTS {table}_due")
        db[table].create_index(["due", "card_id"], index_name=f"{table}_due")
    db["cards"].create_index(
        ["id", "retired", "suspended", "topic", "position"], index_name="cards_active"
    )


def _reviews_autoincrement(db: Any) -> None:
    # Review ids are never reused: an undone review's id must not come back for a later
    # review (a reset point compares ids). SQLite gives that only with AUTOINCREMENT, which
    # needs the table rebuilt; the sequence starts above every id ever used or recorded.
    sql = db.execute(
        "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'reviews'"
    ).fetchone()[0]
    new = re.sub(r'^CREATE TABLE ("reviews"|\[reviews\])', "CREATE TABLE [reviews_new]", sql)
    new, found = re.subn(r'(["\[]id["\]] INTEGER PRIMARY KEY)', r"\1 AUTOINCREMENT", new, count=1)
    if not found:  # pragma: no cover - every dlcards database has this column
        raise RuntimeError("reviews.id is not an INTEGER PRIMARY KEY")
    db.execute(new)
    db.execute("INSERT INTO reviews_new SELECT * FROM reviews")
    db.execute("DROP TABLE reviews")
    db.execute("ALTER TABLE reviews_new RENAME TO reviews")
    db.execute("DELETE FROM sqlite_sequence WHERE name = 'reviews'")
    db.execute(
        "INSERT INTO sqlite_sequence (name, seq) SELECT 'reviews', max("
        "(SELECT coalesce(max(id), 0) FROM reviews), "
        "(SELECT coalesce(max(reset_after), 0) FROM cards))"
    )
    db["reviews"].create_index(["card_id", "id"], index_name="reviews_card")
    db["reviews"].create_index(["day", "kind", "grade"], index_name="reviews_day_kind_grade")
    db.execute(REVIEW_CHECK)


def _time_order_and_anki_ids(db: Any) -> None:
    # Reviews imported from Anki interleave in time with dlcards's own, so a card's log is
    # replayed in time order (`at`, then id), and a reset point is a moment, so that an
    # imported review older than the reset stays before it. `reset_at` becomes the time of
    # the card's last review before its reset (the ids still break ties at that moment).
    db["reviews"].add_column("at", int)
    db["reviews"].add_column("anki_id", int)
    rows = db.execute("SELECT id, reviewed_at, day FROM reviews").fetchall()
    db.conn.executemany(
        "UPDATE reviews SET at = ? WHERE id = ?", [(_stored_ms(t, d), i) for i, t, d in rows]
    )
    db["reviews"].create_index(["card_id", "at", "id"], index_name="reviews_card_time")
    db["reviews"].create_index(["anki_id"], index_name="reviews_anki_id", unique=True)
    db["cards"].add_column("reset_at", int)
    db.execute(
        "UPDATE cards SET reset_at = (SELECT coalesce(max(r.at), 0) FROM reviews r "
        "WHERE r.card_id = cards.id AND r.id <= cards.reset_after) "
        "WHERE reset_after IS NOT NULL"
    )


def _stored_ms(stamp: object, day: object) -> int:
    """A stored review's time in ms; a damaged timestamp falls back to its day's start (and a
    damaged day to 0), so the migration never stops on one bad row (`doctor` reports it)."""
    for text in (stamp, f"{day}T00:00:00"):
        try:
            return epoch_ms(str(text))
        except (ValueError, OverflowError, OSError):
            continue
    return 0


def epoch_ms(stamp: str) -> int:
    """An ISO timestamp as milliseconds since the epoch (a naive one is local time)."""
    from datetime import datetime

    return round(datetime.fromisoformat(stamp).timestamp() * 1000)


def _leech_marks(db: Any) -> None:
    db["cards"].add_column("leech", int, not_null_default=0)
    db["reviews"].add_column("leech", str)
    # Cards that already reached Anki's default threshold are marked (not suspended).
    db.execute("UPDATE cards SET leech = 1 WHERE id IN (SELECT card_id FROM sm2 WHERE lapses >= 8)")


CARD_SEARCH_TABLE = (
    "CREATE VIRTUAL TABLE card_search USING fts5("
    "card_id UNINDEXED, question, answer, erratum, note, tags, "
    "tokenize = 'unicode61 remove_diacritics 2')"
)
"""The search index (FTS5): made by migration 0008, and again by `dlcards doctor` when it is
damaged (the next sync fills it from the decks)."""


def _card_search(db: Any) -> None:
    db["cards"].add_column("tags", str)
    db["cards"].add_column("search_hash", str)
    db["cards"].add_column("search_rowid", int)
    db.execute(CARD_SEARCH_TABLE)
    # From a match to its card and the card's static filters in one index seek.
    db["cards"].create_index(
        ["search_rowid", "retired", "suspended", "leech", "topic", "position", "tags", "id"],
        index_name="cards_search",
    )
    # The index is filled from the deck text at the next sync: force one.
    db.execute("DELETE FROM meta WHERE key = 'deck_signature'")


def _reviews_retention(db: Any) -> None:
    # True retention reads the past year's scheduled reviews of cards seen before, by card
    # (and a day's new-card count its first reviews): covered by one index, so no log row is
    # read (true retention over 543k reviews, loaded machine: 4.0 -> 1.5 s).
    db["reviews"].create_index(
        ["day", "kind", "last_review_before", "card_id", "grade"],
        index_name="reviews_day_kind_before",
    )


# The statistics' tallies of the log, kept by triggers (so no code path can leave them stale):
# `review_days` has per day all reviews, the scheduled ones and those passed (grade >= 3);
# `retention_days` the true-retention counts per topic of the card, age (mature: 21 days or
# more since the card's previous review), passed/failed and day, of scheduled reviews of cards
# reviewed before (in that key order, so that a window is one range per topic, age and
# outcome). A review row counts once in each; a card's topic change moves its counts.
_DAY_KEY = "day, reviews, scheduled, passed"
_MATURE = "coalesce(julianday({r}.day) - julianday({r}.last_review_before) >= 21, 0)"


def _tally_day(r: str, sign: str) -> str:
    """Count review row `r` (NEW or OLD) in `review_days` (sign "+" or "-")."""
    return (
        f"INSERT INTO review_days ({_DAY_KEY}) VALUES ({r}.day, 1, {r}.kind = 'scheduled', "
        f"{r}.kind = 'scheduled' AND {r}.grade >= 3) ON CONFLICT (day) DO UPDATE SET "
        f"reviews = reviews {sign} 1, scheduled = scheduled {sign} excluded.scheduled, "
        f"passed = passed {sign} excluded.passed;"
        + (f" DELETE FROM review_days WHERE day = {r}.day AND reviews = 0;" if sign == "-" else "")
    )


_RETENTION_KEY = "topic, mature, passed, day"


def _tally_retention(r: str, sign: str) -> str:
    """Count review row `r` in `retention_days` if it is a scheduled review of a card seen
    before that is in `cards` (under the card's topic)."""
    key = (
        f"SELECT c.topic, {_MATURE.format(r=r)}, {r}.grade >= 3, {r}.day FROM cards c "
        f"WHERE c.id = {r}.card_id AND {r}.kind = 'scheduled' "
        f"AND {r}.last_review_before IS NOT NULL"
    )
    return (
        f"INSERT INTO retention_days ({_RETENTION_KEY}, reviews) SELECT *, {sign}1 "
        f"FROM ({key}) WHERE true ON CONFLICT ({_RETENTION_KEY}) DO UPDATE SET "
        "reviews = reviews + excluded.reviews;"
        + (
            f" DELETE FROM retention_days WHERE ({_RETENTION_KEY}) IN ({key}) AND reviews = 0;"
            if sign == "-"
            else ""
        )
    )


def _tally_card(card: str, sign: str) -> str:
    """Count (or take back) every review of card `card` (NEW or OLD) in `retention_days`."""
    key = (
        f"SELECT {card}.topic, {_MATURE.format(r='r')}, r.grade >= 3, r.day FROM reviews r "
        f"WHERE r.card_id = {card}.id AND r.kind = 'scheduled' "
        "AND r.last_review_before IS NOT NULL"
    )
    return (
        f"INSERT INTO retention_days ({_RETENTION_KEY}, reviews) SELECT *, {sign}count(*) "
        f"FROM ({key}) GROUP BY 1, 2, 3, 4 ON CONFLICT ({_RETENTION_KEY}) DO UPDATE SET "
        "reviews = reviews + excluded.reviews;"
        + (
            f" DELETE FROM retention_days WHERE ({_RETENTION_KEY}) IN ({key}) AND reviews = 0;"
            if sign == "-"
            else ""
        )
    )


_MEMORY_KEY = "last_review, interval, due"


def _tally_memory(r: str, sign: str) -> str:
    """Count SM-2 memory row `r` (NEW or OLD) in `sm2_tally` if the card was ever reviewed."""
    return (
        f"INSERT INTO sm2_tally ({_MEMORY_KEY}, cards, learning, ef) SELECT {r}.last_review, "
        f"{r}.interval, coalesce({r}.due, ''), {sign}1, {sign}({r}.repetitions <= 1), "
        f"{sign}{r}.ef WHERE {r}.last_review > '' ON CONFLICT ({_MEMORY_KEY}) DO UPDATE SET "
        "cards = cards + excluded.cards, learning = learning + excluded.learning, "
        "ef = ef + excluded.ef;"
        + (
            f" DELETE FROM sm2_tally WHERE last_review = {r}.last_review AND interval = "
            f"{r}.interval AND due = coalesce({r}.due, '') AND cards = 0;"
            if sign == "-"
            else ""
        )
    )


_TOTAL_KEY = "topic, mature, passed"


def _summed(table: str, key: str, count: str, r: str, sign: str) -> str:
    """Move row `r`'s `count` of a tally into (or out of) `table`, its sum over what is not
    in `key` (the columns, comma-separated, both tables share); a sum of 0 is deleted."""
    columns = key.split(", ")
    values = ", ".join(f"{r}.{c}" for c in columns)
    same = " AND ".join(f"{c} = {r}.{c}" for c in columns)
    return (
        f"INSERT INTO {table} ({key}, {count}) VALUES ({values}, {sign}{r}.{count}) "
        f"ON CONFLICT ({key}) DO UPDATE SET {count} = {count} + excluded.{count};"
        + (f" DELETE FROM {table} WHERE {same} AND {count} = 0;" if sign == "-" else "")
    )


def _total(r: str, sign: str) -> str:
    """Move retention_days row `r`'s reviews into (or out of) `retention_totals`."""
    return _summed("retention_totals", _TOTAL_KEY, "reviews", r, sign)


_MEMORY_CHANGED = " OR ".join(
    f"OLD.{c} IS NOT NEW.{c}" for c in ("last_review", "interval", "due", "repetitions", "ef")
)
MEMORY_TRIGGERS = (
    "CREATE TRIGGER sm2_tally_insert AFTER INSERT ON sm2 BEGIN "
    + _tally_memory("NEW", "+")
    + " END",
    "CREATE TRIGGER sm2_tally_delete AFTER DELETE ON sm2 BEGIN "
    + _tally_memory("OLD", "-")
    + " END",
    "CREATE TRIGGER sm2_tally_update AFTER UPDATE ON sm2 WHEN "
    + _MEMORY_CHANGED
    + " BEGIN "
    + _tally_memory("OLD", "-")
    + _tally_memory("NEW", "+")
    + " END",
)
TALLY_MEMORY_SQL = (
    "SELECT last_review, interval, coalesce(due, ''), count(*), "
    "sum(repetitions <= 1), sum(ef) FROM sm2 WHERE last_review > '' GROUP BY 1, 2, 3"
)
"""`sm2_tally` computed from the memories."""


# `fsrs_tally`: the FSRS memories of reviewed cards counted by FSRS's interval, due date and
# stability and difficulty bins (`bins.day_bin`, `bins.difficulty_bin`), kept by triggers on
# fsrs as `sm2_tally` is on sm2: `stats` under FSRS read and summed every card's memory (80,000
# at 100,000 cards: 0.45 s). What stays one per card (predicted recall, the difficulties' sum)
# is one aggregate over the table (`Reports.card_tally`).
_FSRS_KEY = "interval, due, stability, difficulty"


def stability_bin_sql(value: str) -> str:
    """SQL for `bins.day_bin` of `value` (a stored stability), -1 for none."""
    from dlcards.bins import DAY_UPPERS

    days = f"CAST({value} + 0.5 AS INTEGER)"  # rounded half up, as `day_bin` rounds
    bins = " + ".join(f"({days} > {u})" for u in DAY_UPPERS)
    return f"CASE WHEN {value} IS NULL THEN -1 ELSE {bins} END"


def difficulty_bin_sql(value: str, stability: str) -> str:
    """SQL for `bins.difficulty_bin` of `value` (a stored difficulty; none counts as 1), -1
    for a memory without a stability (in neither histogram)."""
    from dlcards.bins import DIFFICULTY_INNER

    bins = " + ".join(f"(coalesce({value}, 1) >= {edge!r})" for edge in DIFFICULTY_INNER)
    return f"CASE WHEN {stability} IS NULL THEN -1 ELSE {bins} END"


UNREADABLE = -2
"""The bin `fsrs_tally` gives both histograms for a memory holding a value `stats` would
refuse (`rows.stats_row`): `Reports.card_tally` then reads the cards one by one, which name it.
Checked here, once per write, not on every `stats` (80,000 memories: ~20 ms of each)."""


def _fsrs_unreadable(r: str) -> str:
    """SQL: whether memory row `r` holds a last review that is no ISO day of year 1 or later
    (bytes are not what date() makes of them), or a stability or difficulty that is not a
    number within its range (`rows.STABILITY_RANGE`, 0 to 11)."""
    from dlcards.store.rows import STABILITY_RANGE

    low, high = STABILITY_RANGE
    number = "typeof({v}) IN ('integer', 'real')"
    stability, difficulty = f"{r}.stability", f"{r}.difficulty"
    return (
        f"({r}.last_review < '0001' OR date({r}.last_review, '+0 days') IS NOT {r}.last_review "
        f"OR {stability} IS NOT NULL AND NOT ({number.format(v=stability)} "
        f"AND {stability} > {low!r} AND {stability} <= {high!r}) "
        f"OR {difficulty} IS NOT NULL AND NOT ({number.format(v=difficulty)} "
        f"AND {difficulty} BETWEEN 0 AND 11))"
    )


def _fsrs_key(r: str) -> str:
    """The `fsrs_tally` key of memory row `r` (NEW or OLD, or a table's name)."""
    interval = f"coalesce(CAST(julianday({r}.due) - julianday({r}.last_review) AS INTEGER), 0)"
    unreadable = _fsrs_unreadable(r)
    stability = stability_bin_sql(f"{r}.stability")
    difficulty = difficulty_bin_sql(f"{r}.difficulty", f"{r}.stability")
    return (
        f"{interval}, coalesce({r}.due, ''), "
        f"CASE WHEN {unreadable} THEN {UNREADABLE} ELSE {stability} END, "
        f"CASE WHEN {unreadable} THEN {UNREADABLE} ELSE {difficulty} END"
    )


def _tally_fsrs(r: str, sign: str) -> str:
    """Count FSRS memory row `r` (NEW or OLD) in `fsrs_tally` if the card was ever reviewed."""
    key = f"SELECT {_fsrs_key(r)} WHERE {r}.last_review > ''"
    return (
        f"INSERT INTO fsrs_tally ({_FSRS_KEY}, cards) SELECT *, {sign}1 FROM ({key}) WHERE true "
        f"ON CONFLICT ({_FSRS_KEY}) DO UPDATE SET cards = cards + excluded.cards;"
        + (
            f" DELETE FROM fsrs_tally WHERE ({_FSRS_KEY}) IN ({key}) AND cards = 0;"
            if sign == "-"
            else ""
        )
    )


FSRS_TALLY_TABLE = (
    "CREATE TABLE IF NOT EXISTS fsrs_tally (interval INTEGER NOT NULL, due TEXT NOT NULL, "
    "stability INTEGER NOT NULL, difficulty INTEGER NOT NULL, cards INTEGER NOT NULL, "
    f"PRIMARY KEY ({_FSRS_KEY})) WITHOUT ROWID"
)
_FSRS_CHANGED = " OR ".join(
    f"OLD.{c} IS NOT NEW.{c}" for c in ("last_review", "due", "stability", "difficulty")
)


@cache
def fsrs_tally_triggers() -> tuple[str, ...]:
    """The triggers that keep `fsrs_tally` (made when first asked for: their SQL reads the
    ranges `rows` checks, and this module is imported before `rows` is)."""
    return (
        "CREATE TRIGGER fsrs_tally_insert AFTER INSERT ON fsrs BEGIN "
        + _tally_fsrs("NEW", "+")
        + " END",
        "CREATE TRIGGER fsrs_tally_delete AFTER DELETE ON fsrs BEGIN "
        + _tally_fsrs("OLD", "-")
        + " END",
        "CREATE TRIGGER fsrs_tally_update AFTER UPDATE ON fsrs WHEN "
        + _FSRS_CHANGED
        + " BEGIN "
        + _tally_fsrs("OLD", "-")
        + _tally_fsrs("NEW", "+")
        + " END",
    )


@cache
def tally_fsrs_sql() -> str:
    """`fsrs_tally` computed from the memories."""
    return (
        f"SELECT {_fsrs_key('fsrs')}, count(*) FROM fsrs WHERE last_review > '' GROUP BY 1, 2, 3, 4"
    )


# `retention_totals`: `retention_days` summed over every day (the all-time window, which would
# otherwise read every day of every topic), kept by triggers on that tally itself
TOTALS_TRIGGERS = (
    "CREATE TRIGGER retention_totals_insert AFTER INSERT ON retention_days BEGIN "
    + _total("NEW", "+")
    + " END",
    "CREATE TRIGGER retention_totals_delete AFTER DELETE ON retention_days BEGIN "
    + _total("OLD", "-")
    + " END",
    "CREATE TRIGGER retention_totals_update AFTER UPDATE ON retention_days BEGIN "
    + _total("OLD", "-")
    + _total("NEW", "+")
    + " END",
)
_CHANGED = " OR ".join(
    f"OLD.{c} IS NOT NEW.{c}" for c in ("day", "kind", "grade", "last_review_before", "card_id")
)
TALLY_TRIGGERS = (
    "CREATE TRIGGER reviews_tally_insert AFTER INSERT ON reviews BEGIN "
    + _tally_day("NEW", "+")
    + _tally_retention("NEW", "+")
    + " END",
    "CREATE TRIGGER reviews_tally_delete AFTER DELETE ON reviews BEGIN "
    + _tally_day("OLD", "-")
    + _tally_retention("OLD", "-")
    + " END",
    "CREATE TRIGGER reviews_tally_update AFTER UPDATE ON reviews WHEN "
    + _CHANGED
    + " BEGIN "
    + _tally_day("OLD", "-")
    + _tally_retention("OLD", "-")
    + _tally_day("NEW", "+")
    + _tally_retention("NEW", "+")
    + " END",
    "CREATE TRIGGER cards_tally_insert AFTER INSERT ON cards BEGIN "
    + _tally_card("NEW", "+")
    + " END",
    "CREATE TRIGGER cards_tally_delete AFTER DELETE ON cards BEGIN "
    + _tally_card("OLD", "-")
    + " END",
    "CREATE TRIGGER cards_tally_update AFTER UPDATE OF id, topic ON cards WHEN "
    "OLD.id IS NOT NEW.id OR OLD.topic IS NOT NEW.topic BEGIN "
    + _tally_card("OLD", "-")
    + _tally_card("NEW", "+")
    + " END",
    *TOTALS_TRIGGERS,
)


def _refill(execute: Callable[[str], Any], triggers: Sequence[str], tables: dict[str, str]) -> None:
    """Tally tables emptied and made again by their `INSERT INTO table ...` statements, with
    their triggers dropped meanwhile and made again after (inside the caller's transaction)."""
    for sql in triggers:
        execute(f"DROP TRIGGER IF EXISTS {sql.split()[2]}")
    for table, insert in tables.items():
        execute(f"DELETE FROM {table}")
        execute(f"INSERT INTO {table} {insert}")
    for sql in triggers:
        execute(sql)


_TOTALS_TABLE = (
    "CREATE TABLE IF NOT EXISTS retention_totals (topic TEXT NOT NULL, mature INTEGER NOT NULL, "
    f"passed INTEGER NOT NULL, reviews INTEGER NOT NULL, PRIMARY KEY ({_TOTAL_KEY})) WITHOUT ROWID"
)


def fill_tallies(execute: Callable[[str], Any], from_log: bool = True) -> None:
    """(Re)make the tallies from the log and their triggers (inside the caller's transaction):
    the migrations' backfill, `doctor`'s repair and an import's bulk path. Without
    `from_log`, `review_days` and `retention_days` are kept as they are (a bulk merge that
    counted its rows in them: `add_days_sql`, `add_retention_sql`); `retention_totals` is
    always summed again from `retention_days` (made here if it is not there yet: the migration
    that made the other two runs this with today's triggers)."""
    execute(_TOTALS_TABLE)
    tables = {}
    if from_log:
        tables["review_days"] = f"({_DAY_KEY}) {TALLY_DAYS_SQL}"
        tables["retention_days"] = f"({_RETENTION_KEY}, reviews) {TALLY_RETENTION_SQL}"
    tables["retention_totals"] = f"({_TOTAL_KEY}, reviews) {TALLY_TOTALS_SQL}"
    _refill(execute, TALLY_TRIGGERS, tables)


_ADD_DAYS = (
    "ON CONFLICT (day) DO UPDATE SET reviews = reviews + excluded.reviews, "
    "scheduled = scheduled + excluded.scheduled, passed = passed + excluded.passed"
)


def add_days_sql(rows: int) -> str:
    """Counts added to `review_days`, `rows` of them per statement (each binds day, reviews,
    scheduled, passed): what the triggers would add for rows inserted while they are
    dropped."""
    values = ", ".join(["(?, ?, ?, ?)"] * rows)
    return f"INSERT INTO review_days ({_DAY_KEY}) VALUES {values} {_ADD_DAYS}"


def add_days_after(execute: Callable[..., Any], last_id: int) -> None:
    """Count the log rows after id `last_id` in `review_days` (TALLY_DAYS_SQL over them, added
    to the counts there): what the triggers would add for rows inserted while they are
    dropped."""
    whole = "FROM reviews GROUP BY"
    assert whole in TALLY_DAYS_SQL
    select = TALLY_DAYS_SQL.replace(whole, "FROM reviews WHERE id > ? GROUP BY")
    execute(
        f"INSERT INTO review_days ({_DAY_KEY}) SELECT * FROM ({select}) WHERE true {_ADD_DAYS}",
        (last_id,),
    )


def add_retention_sql(rows: int) -> str:
    """Counts added to `retention_days`, `rows` of them per statement (each binds topic,
    mature 0/1, passed 0/1, day, reviews): what the triggers would add for rows inserted while
    they are dropped."""
    values = ", ".join(["(?, ?, ?, ?, ?)"] * rows)
    return (
        f"INSERT INTO retention_days ({_RETENTION_KEY}, reviews) VALUES {values} "
        f"ON CONFLICT ({_RETENTION_KEY}) DO UPDATE SET reviews = reviews + excluded.reviews"
    )


def add_retention_after(execute: Callable[..., Any], last_id: int) -> None:
    """Count the log rows after id `last_id` in `retention_days` (TALLY_RETENTION_SQL over
    them, added to the counts there): what the triggers would add for rows inserted while
    they are dropped."""
    where = "WHERE r.kind = 'scheduled'"
    assert where in TALLY_RETENTION_SQL
    select = TALLY_RETENTION_SQL.replace(where, f"{where} AND r.id > ?")
    execute(
        f"INSERT INTO retention_days ({_RETENTION_KEY}, reviews) SELECT * FROM ({select}) "
        f"WHERE true ON CONFLICT ({_RETENTION_KEY}) DO UPDATE SET "
        "reviews = reviews + excluded.reviews",
        (last_id,),
    )


def fill_memory_tally(execute: Callable[[str], Any]) -> None:
    """(Re)make `sm2_tally` from the SM-2 memories and its triggers."""
    insert = f"({_MEMORY_KEY}, cards, learning, ef) {TALLY_MEMORY_SQL}"
    _refill(execute, MEMORY_TRIGGERS, {"sm2_tally": insert})


def fill_fsrs_tally(execute: Callable[[str], Any]) -> None:
    """(Re)make `fsrs_tally` from the FSRS memories and its triggers."""
    execute(FSRS_TALLY_TABLE)  # (migration 0025 makes it here)
    fill = f"({_FSRS_KEY}, cards) {tally_fsrs_sql()}"
    _refill(execute, fsrs_tally_triggers(), {"fsrs_tally": fill})


def _review_tallies(db: Any) -> None:
    # `stats` read the whole log for its counts and the past year's for true retention
    # (100k cards, 1M reviews, loaded machine: 1.1 s for retention, 0.6 s for the rest):
    # tallies kept by triggers make both a read of a few thousand rows.
    db.execute(
        "CREATE TABLE review_days (day TEXT NOT NULL PRIMARY KEY, reviews INTEGER NOT NULL, "
        "scheduled INTEGER NOT NULL, passed INTEGER NOT NULL) WITHOUT ROWID"
    )
    db.execute(
        "CREATE TABLE retention_days (topic TEXT NOT NULL, mature INTEGER NOT NULL, "
        "passed INTEGER NOT NULL, day TEXT NOT NULL, reviews INTEGER NOT NULL, "
        f"PRIMARY KEY ({_RETENTION_KEY})) WITHOUT ROWID"
    )
    fill_tallies(db.execute)
    # The card statistics sum every SM-2 memory by (last review, interval, due) and by EF,
    # each a walk of one covering index in its order; the few retired, suspended or leech
    # cards have their own partial indexes (see `Reports.card_tally`).
    db["sm2"].create_index(
        ["last_review", "interval", "due", "repetitions", "ef"], index_name="sm2_stats"
    )
    db["sm2"].create_index(["ef", "last_review"], index_name="sm2_ef")
    db.execute(
        "CREATE INDEX cards_inactive ON cards (id, retired, suspended) "
        "WHERE retired != 0 OR suspended != 0"
    )
    db.execute(
        "CREATE INDEX cards_leech ON cards (id, retired, suspended, topic, position) "
        "WHERE leech != 0"
    )


def _fsrs_stats_indexes(db: Any) -> None:
    # Under FSRS the card statistics read every card's FSRS memory with its SM-2 last review
    # (stabilities are one per card): both sides from covering indexes in card order, one
    # b-tree step per card instead of a table row each (80k cards: 430-590 -> 180-240 ms).
    db["fsrs"].create_index(
        ["card_id", "last_review", "due", "stability", "difficulty"], index_name="fsrs_stats"
    )
    db["sm2"].create_index(["card_id", "last_review", "repetitions", "ef"], index_name="sm2_card")


def _memory_tally(db: Any) -> None:
    # The SM-2 sums of card_tally walked 100k index entries into 20k groups (85 ms): a tally
    # of them kept by triggers on sm2 (every memory write goes through it) is read instead;
    # due '' stands for none (a key column cannot be NULL). The EF histogram's index also
    # covers repetitions, which card_tally checks there.
    db.execute(
        "CREATE TABLE sm2_tally (last_review TEXT NOT NULL, interval NOT NULL, due TEXT NOT NULL, "
        "cards INTEGER NOT NULL, learning INTEGER NOT NULL, ef INTEGER NOT NULL, "
        f"PRIMARY KEY ({_MEMORY_KEY})) WITHOUT ROWID"
    )
    fill_memory_tally(db.execute)
    db.execute("DROP INDEX IF EXISTS sm2_ef")
    db["sm2"].create_index(["ef", "last_review", "repetitions"], index_name="sm2_ef")


# `due` and the shell prompt's count read, per scheduler, how many active cards of each topic
# are due on each day (due '' for a new card), apart for suspended cards: `due_tally`, kept by
# triggers on the memories (a due date changes) and on the cards (a topic, a retirement or a
# suspension changes), so its few thousand rows are summed instead of every card being joined
# with its memory (100k cards: 220 ms per `due`).
_DUE_KEY = "sched, topic, due, suspended"
_DUE_UPSERT = f"ON CONFLICT ({_DUE_KEY}) DO UPDATE SET cards = cards + excluded.cards;"


def _due_by_memory(table: str, r: str, sign: str) -> str:
    """Count memory row `r` (NEW or OLD) of scheduler table `table` under its card, if the card
    is active."""
    key = (
        f"SELECT '{table}', c.topic, coalesce({r}.due, ''), c.suspended != 0 FROM cards c "
        f"WHERE c.id = {r}.card_id AND c.retired = 0"
    )
    return (
        f"INSERT INTO due_tally ({_DUE_KEY}, cards) SELECT *, {sign}1 FROM ({key}) WHERE true "
        + (
            _DUE_UPSERT
            + (
                f" DELETE FROM due_tally WHERE ({_DUE_KEY}) IN ({key}) AND cards = 0;"
                if sign == "-"
                else ""
            )
        )
    )


def _due_by_card(c: str, sign: str) -> str:
    """Count card `c` (NEW or OLD) under each scheduler's memory of it, if it is active."""
    sql = ""
    for table in ("sm2", "fsrs"):
        key = (
            f"SELECT '{table}', {c}.topic, coalesce(s.due, ''), {c}.suspended != 0 FROM {table} s "
            f"WHERE s.card_id = {c}.id AND {c}.retired = 0"
        )
        sql += (
            f" INSERT INTO due_tally ({_DUE_KEY}, cards) SELECT *, {sign}1 FROM ({key}) WHERE true "
        )
        sql += _DUE_UPSERT
        if sign == "-":
            sql += f" DELETE FROM due_tally WHERE ({_DUE_KEY}) IN ({key}) AND cards = 0;"
    return sql


_CARD_COUNTED = (
    " OR ".join(f"OLD.{c} IS NOT NEW.{c}" for c in ("id", "topic", "retired"))
    + " OR (OLD.suspended != 0) IS NOT (NEW.suspended != 0)"
)
_DUE_COUNTS = tuple(
    sql
    for table in ("sm2", "fsrs")
    for sql in (
        f"CREATE TRIGGER {table}_due_insert AFTER INSERT ON {table} BEGIN "
        + _due_by_memory(table, "NEW", "+")
        + " END",
        f"CREATE TRIGGER {table}_due_delete AFTER DELETE ON {table} BEGIN "
        + _due_by_memory(table, "OLD", "-")
        + " END",
        f"CREATE TRIGGER {table}_due_update AFTER UPDATE OF card_id, due ON {table} WHEN "
        "OLD.card_id IS NOT NEW.card_id OR OLD.due IS NOT NEW.due BEGIN "
        + _due_by_memory(table, "OLD", "-")
        + _due_by_memory(table, "NEW", "+")
        + " END",
    )
) + (
    "CREATE TRIGGER cards_due_insert AFTER INSERT ON cards BEGIN "
    + _due_by_card("NEW", "+")
    + " END",
    "CREATE TRIGGER cards_due_delete AFTER DELETE ON cards BEGIN "
    + _due_by_card("OLD", "-")
    + " END",
    "CREATE TRIGGER cards_due_update AFTER UPDATE OF id, topic, retired, suspended ON cards WHEN "
    + _CARD_COUNTED
    + " BEGIN "
    + _due_by_card("OLD", "-")
    + _due_by_card("NEW", "+")
    + " END",
)


# `due` lists per topic its active cards and its suspended ones: `due_tally` summed over its due
# dates, which at 100,000 cards read its 17,000 rows per `due` (2.4 of its 45 ms; the due and
# new counts are ranges of the tally's key, a seek per topic). `topic_tally` holds those sums,
# kept by triggers on `due_tally` itself (as `retention_totals` on `retention_days`): a grade
# moves a card from one due date to another, -1 and +1 on the same row here.
_TOPIC_KEY = "sched, topic, suspended"
TOPIC_TABLE = (
    "CREATE TABLE IF NOT EXISTS topic_tally (sched TEXT NOT NULL, topic TEXT NOT NULL, "
    f"suspended INTEGER NOT NULL, cards INTEGER NOT NULL, PRIMARY KEY ({_TOPIC_KEY})) "
    "WITHOUT ROWID"
)


def _topic(r: str, sign: str) -> str:
    """Move due_tally row `r`'s cards into (or out of) `topic_tally`."""
    return _summed("topic_tally", _TOPIC_KEY, "cards", r, sign)


TOPIC_TRIGGERS = (
    "CREATE TRIGGER topic_tally_insert AFTER INSERT ON due_tally BEGIN "
    + _topic("NEW", "+")
    + " END",
    "CREATE TRIGGER topic_tally_delete AFTER DELETE ON due_tally BEGIN "
    + _topic("OLD", "-")
    + " END",
    "CREATE TRIGGER topic_tally_update AFTER UPDATE ON due_tally BEGIN "
    + _topic("OLD", "-")
    + _topic("NEW", "+")
    + " END",
)
DUE_TRIGGERS = (*_DUE_COUNTS, *TOPIC_TRIGGERS)
"""The triggers that keep `due_tally` and `topic_tally`."""
_MEMORY_TABLES = ("sm2", "fsrs")
_TALLY_DUE = {
    table: f"SELECT '{table}', c.topic, coalesce(s.due, ''), c.suspended != 0, count(*) "
    f"FROM cards c JOIN {table} s ON s.card_id = c.id WHERE c.retired = 0 GROUP BY 1, 2, 3, 4"
    for table in _MEMORY_TABLES
}
TALLY_DUE_SQL = " UNION ALL ".join(_TALLY_DUE.values())
"""`due_tally` computed from the cards and their memories."""
TALLY_TOPIC_SQL = " UNION ALL ".join(
    f"SELECT '{table}', c.topic, c.suspended != 0, count(*) FROM cards c "
    f"JOIN {table} s ON s.card_id = c.id WHERE c.retired = 0 GROUP BY 1, 2, 3"
    for table in ("sm2", "fsrs")
)
"""`topic_tally` computed from the cards and their memories (doctor checks it against them)."""


_TALLY_NEW = {
    table: f"SELECT '{table}', topic, '', suspended != 0, count(*) FROM cards WHERE retired = 0 "
    "GROUP BY 2, 4"
    for table in _MEMORY_TABLES
}
TALLY_NEW_SQL = " UNION ALL ".join(_TALLY_NEW.values())
"""`TALLY_DUE_SQL` when every card has a new memory (due '') under both schedulers: the cards
counted without a look-up of each one's memories (100,000 cards: 0.21 -> 0.03 s)."""

_ALL_NEW = {
    table: f"NOT EXISTS (SELECT 1 FROM {table} WHERE due IS NOT NULL) "
    f"AND (SELECT count(*) FROM cards) = (SELECT count(*) FROM {table})"
    for table in _MEMORY_TABLES
}
ALL_NEW_SQL = "SELECT " + " AND ".join(_ALL_NEW.values())
"""Whether every card has a new memory (no due date) under both schedulers: the memories'
keys are card ids (unique, each a card's), so as many due-less memories as there are cards
means one for each card. A due date found ends it at once."""


def fill_due_tally(execute: Callable[[str], Any]) -> None:
    """(Re)make `due_tally` from the cards and their memories, and its triggers; a scheduler
    whose memories are all new (`ALL_NEW_SQL`'s test for it: a first sync, or FSRS's after an
    import under SM-2) counted from the cards alone (100,000 cards just imported under SM-2:
    0.17 -> 0.13 s)."""
    query = " UNION ALL ".join(
        _TALLY_NEW[table] if execute(f"SELECT {_ALL_NEW[table]}").fetchone()[0] == 1 else due
        for table, due in _TALLY_DUE.items()
    )
    execute(TOPIC_TABLE)  # (made here when migration 0013 runs with today's triggers)
    _refill(
        execute,
        DUE_TRIGGERS,
        {"due_tally": f"({_DUE_KEY}, cards) {query}", "topic_tally": _TOPIC_FILL},
    )


_TOPIC_FILL = (
    f"({_TOPIC_KEY}, cards) SELECT {_TOPIC_KEY}, sum(cards) FROM due_tally GROUP BY 1, 2, 3"
)


def _due_tally(db: Any) -> None:
    db.execute(
        "CREATE TABLE due_tally (sched TEXT NOT NULL, topic TEXT NOT NULL, due TEXT NOT NULL, "
        f"suspended INTEGER NOT NULL, cards INTEGER NOT NULL, PRIMARY KEY ({_DUE_KEY})) "
        "WITHOUT ROWID"
    )
    fill_due_tally(db.execute)
    # `due` lists the topics in deck order: a topic's first active card, one seek each.
    db.execute("CREATE INDEX cards_topic ON cards (topic, position) WHERE retired = 0")


def _fewer_log_indexes(db: Any) -> None:
    # Two of the log's five indexes are prefixes of others' work: a card's rows in time order
    # (reviews_card_time) serve every read by card, and a day's rows with kind, card and grade
    # (reviews_day_kind_before) every read by day, covering what reviews_day_kind_grade did not
    # (the card). Every review row wrote both; an import of 1,000,000 rows built both (1.5 s).
    db.execute("DROP INDEX IF EXISTS reviews_card")
    db.execute("DROP INDEX IF EXISTS reviews_day_kind_grade")


TALLY_DAYS_SQL = (
    "SELECT day, count(*), sum(kind = 'scheduled'), sum(kind = 'scheduled' AND grade >= 3) "
    "FROM reviews GROUP BY day"
)
"""`review_days` computed from the log (the backfill; tests compare the table with it)."""
TALLY_RETENTION_SQL = (  # each review's topic from the covering index (1M reviews: 4.4 -> 2.4 s)
    f"SELECT c.topic, {_MATURE.format(r='r')}, r.grade >= 3, r.day, count(*) "
    "FROM reviews r JOIN cards c INDEXED BY cards_active ON c.id = r.card_id "
    "WHERE r.kind = 'scheduled' AND r.last_review_before IS NOT NULL GROUP BY 1, 2, 3, 4"
)
"""`retention_days` computed from the log."""
TALLY_TOTALS_SQL = (
    "SELECT topic, mature, passed, sum(reviews) FROM retention_days GROUP BY 1, 2, 3 "
    "HAVING sum(reviews) != 0"
)
"""`retention_totals` computed from `retention_days` (doctor checks that against the log)."""


def _retention_totals(db: Any) -> None:
    # stats' all-time true retention summed every day of retention_days (100k cards, 1M
    # reviews over ten years: 283,000 rows, 42 of the 55 ms true_retention took). On a new
    # database fill_tallies (0010) made it already; else: the table, its sums, its triggers.
    db.execute(_TOTALS_TABLE)
    _refill(
        db.execute,
        TOTALS_TRIGGERS,
        {"retention_totals": f"({_TOTAL_KEY}, reviews) {TALLY_TOTALS_SQL}"},
    )


def _redrill_asked(db: Any) -> None:
    # Whether a study session asked for a re-drill (it queued the card again after a failed
    # grade), or the store made a grade one because the card had been graded that day already
    # (in another terminal, say). Only the first kind stays a re-drill when the log is decided
    # again: after an undo of the day's first grade, the next one schedules. NULL: a row
    # logged before this column (taken as asked, as it was) or one imported from Anki.
    db.execute("ALTER TABLE reviews ADD COLUMN asked INTEGER")


def _card_edit_times(db: Any) -> None:
    # When each card's text last changed (the deck file's modification time at the sync that
    # saw it change, in seconds): an exported note's modification time, so that Anki takes a
    # card edited in its deck and keeps an edit made in Anki to any other. Filled by the next
    # sync, which this forces.
    db.execute("ALTER TABLE cards ADD COLUMN edited INTEGER")
    db.execute("DELETE FROM meta WHERE key = 'deck_signature'")


def _note_hashes(db: Any) -> None:
    # A digest of what a card's exported note shows besides its text and tags (its topic's
    # title, source line and computations: `rows.note_hash`): a change there makes the card's
    # note newer too (`edited`). NULL until the next sync, which this forces to compare every
    # deck: it fills them and keeps each card's time.
    db.execute("ALTER TABLE cards ADD COLUMN note_hash TEXT")
    db.execute("DELETE FROM meta WHERE key IN ('deck_signature', 'deck_parts')")


def _lapses_after_relearning(db: Any) -> None:
    # SM-2 counted a lapse only when the card's streak was above 0, so a card failed on each
    # of many days after its first lapse stayed at 1 and never became a leech. Every failure of
    # a card recalled before is a lapse now (`sm2.review`): the memories are rebuilt from the
    # log by the next command that reads the schedule (`commands.common.schedule_of`).
    if db.execute("SELECT EXISTS (SELECT 1 FROM reviews)").fetchone()[0]:
        db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('rebuild_pending', '1')")


def _anki_note_guids(db: Any) -> None:
    # The Anki note each card converted by `import anki --to-yaml` came from (a note of one
    # card): `export anki` gives the card that note's GUID, so Anki keeps its note rather than
    # taking a copy of it beside the original.
    db.execute(
        "CREATE TABLE anki_notes (card_id TEXT NOT NULL PRIMARY KEY, guid TEXT NOT NULL) "
        "WITHOUT ROWID"
    )


def _due_guard(table: str, event: str) -> str:
    """A trigger that notes (meta `due_damage`) a write leaving `table`'s due date other than
    a day, or none on a reviewed card (`count.DUE_DAMAGE_KEY`)."""
    studied = "NEW.last_review IS NOT NULL" if table == "sm2" else "NEW.stability IS NOT NULL"
    on = (
        "INSERT"
        if event == "insert"
        else ("UPDATE OF due, last_review" if table == "sm2" else "UPDATE OF due, stability")
    )
    return (
        f"CREATE TRIGGER {table}_due_guard_{event} AFTER {on} ON {table} "
        f"WHEN CASE WHEN nullif(NEW.due, '') IS NULL THEN {studied} "
        "ELSE NEW.due < '0001-01-01' OR date(NEW.due, '+0 days') IS NOT NEW.due END "
        "BEGIN INSERT OR REPLACE INTO meta (key, value) VALUES ('due_damage', '1'); END"
    )


DUE_GUARDS = tuple(_due_guard(t, e) for t in ("sm2", "fsrs") for e in ("insert", "update"))


def _due_damage_flag(db: Any) -> None:
    # `due` and the prompt checked every due date on every run (~3 ms at 100,000 cards, the
    # difference between `due` at 1.06x and 1.16x of the built-in decks' time): the triggers
    # note a damaging write instead, and a file damaged before them is noted now.
    from dlcards.store.count import due_damaged

    for sql in DUE_GUARDS:
        db.execute(sql)
    if due_damaged(db.execute):
        db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('due_damage', '1')")


def _suspension_times(db: Any) -> None:
    # When dlcards last changed each card's `suspended` flag (Unix seconds: `suspend`,
    # `unsuspend`, the study `!` key and its undo, a leech's suspension and its undo; NULL:
    # never changed here), compared with Anki's `cards.mod` by `import anki`: the newer change
    # wins. A card suspended before this column gets this moment: a change made in Anki before
    # the upgrade does not take its suspension away, one made after does.
    db.execute("ALTER TABLE cards ADD COLUMN suspended_changed INTEGER")
    db.execute(
        "UPDATE cards SET suspended_changed = CAST(strftime('%s', 'now') AS INTEGER) "
        "WHERE suspended != 0"
    )


def _unleech_points(db: Any) -> None:
    # Where `dlcards unleech` took a card's leech mark off, as a reset point is kept (the
    # moment in ms, and at that very moment the review ids up to `unleech_after`): the mark is
    # the log's rows after both points that fired the leech rule (`rows.LEECH_FROM_LOG`), so
    # undo, a merge and doctor rebuild it without the rows the learner took it off for.
    db.execute("ALTER TABLE cards ADD COLUMN unleech_at INTEGER")
    db.execute("ALTER TABLE cards ADD COLUMN unleech_after INTEGER")


def _exported_hashes(db: Any) -> None:
    # A digest of every byte of each card's note as the last Anki export wrote it
    # (`export.anki.note_digest`): a note that changed with no deck edit (the engine's steps
    # or the HTML worded otherwise by a newer dlcards) is dated by the export that sees it,
    # later than the note Anki holds. NULL until that card's next export, which only records it.
    db.execute("ALTER TABLE cards ADD COLUMN exported_hash TEXT")


def _fsrs_passing_order(db: Any) -> None:
    # FSRS's passing intervals are kept in Anki's order now (Hard < Good < Easy once reviewed,
    # Good < Easy when new: `fsrs_sched.review`); a collection studying with FSRS holds due
    # dates of the old rule, and the next command that reads the schedule rebuilds every
    # card's memory from its log (`commands.common.schedule_of`). With SM-2 active the FSRS
    # state is not kept: switching FSRS on rebuilds it anyway.
    fsrs = db.execute("SELECT lower(trim(value)) FROM meta WHERE key = 'scheduler'").fetchone()
    if fsrs == ("fsrs",) and db.execute("SELECT EXISTS (SELECT 1 FROM reviews)").fetchone()[0]:
        db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('rebuild_pending', '1')")


def _topic_tally(db: Any) -> None:
    # `due`'s per-topic totals from a tally of the due tally (`TOPIC_TRIGGERS`). On a new
    # database fill_due_tally (0013) made it already; else: the table, its sums, its triggers.
    db.execute(TOPIC_TABLE)
    _refill(db.execute, TOPIC_TRIGGERS, {"topic_tally": _TOPIC_FILL})


def _fsrs_tally(db: Any) -> None:
    # `stats` under FSRS: the memories' tally (`fsrs_tally_triggers`) and one pass over the
    # table replace the walk of every card along two covering indexes (0011), dropped: no
    # other query reads them, and each memory write kept them.
    fill_fsrs_tally(db.execute)
    db.execute("DROP INDEX IF EXISTS fsrs_stats")
    db.execute("DROP INDEX IF EXISTS sm2_card")
    # The log's FSRS states (`fsrs_before`) of grades given under SM-2, or imported, are not
    # there: written again the first time a past day is asked for under FSRS.
    if db.execute("SELECT EXISTS (SELECT 1 FROM reviews)").fetchone()[0]:
        from dlcards.store.count import MARK_FSRS_LOG_STALE

        db.execute(MARK_FSRS_LOG_STALE)


def _day_index_with_time(db: Any) -> None:
    # A past day's first later review of each card is the first in time (`reports.LATER`):
    # the day index carries each row's time, so the group over the day's later rows reads no
    # log row (1,000,000 reviews, 3 days back: 285 ms scanning reviews_card_time, 179 ms so;
    # by id, which was not the first in time after an import, 145 ms).
    db.execute("DROP INDEX IF EXISTS reviews_day_kind_before")
    db.execute(
        "CREATE INDEX reviews_day_kind_before "
        "ON reviews (day, kind, last_review_before, card_id, grade, at)"
    )


def _redrill_fsrs_states(db: Any) -> None:
    # A studied card's re-drill keeps the FSRS state it started from (`rows.outcome_values`): a
    # past day whose first later review is such a re-drill, with a reset after it, reads that
    # state (`reports.LATER_FSRS`). The log's re-drills hold none before this version: written
    # the first time a past day is asked for under FSRS, as after a switch (`fresh_fsrs_log`).
    if db.execute("SELECT EXISTS (SELECT 1 FROM reviews WHERE kind = 'redrill')").fetchone()[0]:
        from dlcards.store.count import MARK_FSRS_LOG_STALE

        db.execute(MARK_FSRS_LOG_STALE)


def _reviews_by_session(db: Any) -> None:
    # A study session's grades are found by its id (`Store.session_reviews`, the count at the
    # end of every session; `Store.last_study_grade`, what `dlcards undo` takes back), not by
    # reading the whole log: after an import of 1,000,000 reviews (none in a session) `undo`
    # scanned it all, ~120 ms. Partial: the rows of no session (imported from Anki, merged
    # from another device) are not in it, so an import pays nothing for it.
    db.execute(
        "CREATE INDEX IF NOT EXISTS reviews_session ON reviews (session_id) "
        "WHERE session_id IS NOT NULL"
    )


def _anki_decks(db: Any) -> None:
    # The Anki deck each topic's cards live in, as the last `import anki` of a file holding
    # them saw it (the learner renamed or moved the deck there): `export anki` names the
    # topic's deck so. Anki matches a package's decks by name and never moves a card it
    # holds, so a package naming the old deck made it again, empty, at every import.
    db.execute(
        "CREATE TABLE anki_decks (topic TEXT NOT NULL PRIMARY KEY, name TEXT NOT NULL) "
        "WITHOUT ROWID"
    )


def _anki_leech_tags(db: Any) -> None:
    # What Anki's note of each leech last held of the `leech` tag, as far as dlcards knows:
    # the newest note an `export anki` sent (`seen` 0) or an `import anki` found (`seen` 1),
    # its modification time there (`note_mod`, s) and, when it carried the tag, when the
    # review that made the card that leech was given (`leech_at`, ms; NULL: no tag). Only a
    # tag known to have been on the note, for the leech the card is, and gone from a note
    # that changed since, takes the mark off at an import: a note edited in Anki that never
    # had the tag (no export since the card became a leech) did too.
    db.execute(
        "CREATE TABLE anki_leech_tags (card_id TEXT NOT NULL PRIMARY KEY, "
        "note_mod INTEGER NOT NULL, leech_at INTEGER, seen INTEGER NOT NULL) WITHOUT ROWID"
    )


def _leech_tags_seen_before(db: Any) -> None:
    # A leech an Anki answer made before `anki_leech_tags` (schema 31): the `import anki`
    # that brought that answer saw the note Anki tagged at that lapse, but kept nothing of
    # it, so the learner's removal of the tag in Anki was never read as one after the
    # upgrade (the card stayed a leech here for good; before, any change of the untagged
    # note after the leech took the mark off). Kept as found by that import, at the moment of
    # the review that made the card that leech: a later change of the note without the tag
    # takes the mark off, as it did. A leech made here, whose tag no one knows reached Anki,
    # and every leech the table holds, are left as they are.
    no_reset = -62_135_596_800_001
    marks = " AND ".join(
        f"(r.at, r.id) > (coalesce(c.{point}_at, {no_reset}), coalesce(c.{point}_after, 0))"
        for point in ("reset", "unleech")
    )
    newest = (
        "FROM reviews r WHERE r.card_id = c.id AND r.leech IS NOT NULL "
        f"AND {marks} ORDER BY r.at DESC, r.id DESC LIMIT 1"
    )
    rows = db.execute(
        f"SELECT c.id, (SELECT r.at {newest}), (SELECT r.anki_id {newest}) FROM cards c "
        "WHERE c.leech != 0 AND c.id NOT IN (SELECT card_id FROM anki_leech_tags)"
    ).fetchall()
    db.conn.executemany(
        "INSERT INTO anki_leech_tags (card_id, note_mod, leech_at, seen) VALUES (?, ?, ?, 1)",
        [(cid, at // 1000, at) for cid, at, anki_id in rows if at is not None and anki_id],
    )


UNKNOWN_DIGEST = ""
"""`cards.exported_hash` of a card whose note an older dlcards may have exported, in bytes no
one kept (schema 34): `export anki` dates its note a second newer than the one Anki holds, as a
note whose bytes changed."""


def _digests_unknown(db: Any) -> None:
    # The cards of a database from before `exported_hash` (schema 32), or not exported since:
    # an older dlcards may have exported their notes in another rendering (the engine's steps
    # worded otherwise), which Anki holds. Recorded as it is at the next export, as a note
    # never exported is, the new rendering never reached Anki; marked unknown, that export
    # dates the note a second newer than Anki's, which an edit made in Anki since still beats.
    db.execute(f"UPDATE cards SET exported_hash = '{UNKNOWN_DIGEST}' WHERE exported_hash IS NULL")


def learner_actions(db: Any) -> None:
    # What `suspend`, `unsuspend`, the study `!` and `unleech` overwrote, written in the same
    # transaction as the change (`store.actions`): `dlcards undo` takes the newest back, as
    # Anki's Edit > Undo does, instead of an older grade. `seq`: the log's last id then (a
    # grade logged under a higher id is newer); `cards`: JSON, each card's columns before and
    # after. Kind `grade`: the suspension a grade's leech rule made (`seq` its review id).
    # (Made already in a backup of an older schema that `doctor --restore` put over a damaged
    # file, for the floor it sets: `doctor._actions_as_restored`.)
    db.execute(
        "CREATE TABLE IF NOT EXISTS learner_actions (id INTEGER PRIMARY KEY AUTOINCREMENT, "
        "kind TEXT NOT NULL, made_ns INTEGER NOT NULL, seq INTEGER NOT NULL, "
        "cards TEXT NOT NULL)"
    )


MIGRATIONS: tuple[tuple[str, Callable[[Any], None]], ...] = (
    ("0001_initial", _initial),
    ("0002_fsrs", _fsrs),
    ("0003_reviews_by_day", _reviews_by_day),
    ("0004_covering_queue_indexes", _covering_queue_indexes),
    ("0005_reviews_autoincrement", _reviews_autoincrement),
    ("0006_time_order_and_anki_ids", _time_order_and_anki_ids),
    ("0007_leech_marks", _leech_marks),
    ("0008_card_search", _card_search),
    ("0009_reviews_retention", _reviews_retention),
    ("0010_stats_tallies", _review_tallies),
    ("0011_fsrs_stats_indexes", _fsrs_stats_indexes),
    ("0012_memory_tally", _memory_tally),
    ("0013_due_tally", _due_tally),
    ("0014_fewer_log_indexes", _fewer_log_indexes),
    ("0015_retention_totals", _retention_totals),
    ("0016_redrill_asked", _redrill_asked),
    ("0017_card_edit_times", _card_edit_times),
    ("0018_note_hashes", _note_hashes),
    ("0019_lapses_after_relearning", _lapses_after_relearning),
    ("0020_anki_note_guids", _anki_note_guids),
    ("0021_due_damage_flag", _due_damage_flag),
    ("0022_suspension_times", _suspension_times),
    ("0023_fsrs_passing_order", _fsrs_passing_order),
    ("0024_topic_tally", _topic_tally),
    ("0025_fsrs_tally", _fsrs_tally),
    ("0026_day_index_with_time", _day_index_with_time),
    ("0027_redrill_fsrs_states", _redrill_fsrs_states),
    ("0028_reviews_by_session", _reviews_by_session),
    ("0029_unleech_points", _unleech_points),
    ("0030_anki_decks", _anki_decks),
    ("0031_anki_leech_tags", _anki_leech_tags),
    ("0032_exported_hashes", _exported_hashes),
    ("0033_leech_tags_seen_before", _leech_tags_seen_before),
    ("0034_digests_unknown", _digests_unknown),
    ("0035_learner_actions", learner_actions),
)
"""Every migration in order, by the name sqlite-utils records once it has run."""


def migrations() -> Any:
    """sqlite-utils `Migrations` with every migration registered (imported lazily)."""
    from sqlite_utils import Migrations

    registry = Migrations("dlcards")
    for name, step in MIGRATIONS:
        registry(name=name)(step)
    return registry


def migrate(conn: Any) -> None:
    """Every migration the file has not had, through sqlite-utils (in the caller's
    transaction)."""
    from sqlite_utils import Database

    migrations().apply(Database(conn))


def is_empty(conn: Any) -> bool:
    """Whether the file holds no schema at all (a brand-new database)."""
    return bool(conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0] == 0)


def create_fresh(conn: Any) -> None:
    """An empty file made what the migrations make of it (`fresh_schema`, generated from them
    by `tests/make_fresh_schema.py`), in the caller's transaction: every statement in the order
    the migrations made them, sqlite-utils's record of the migrations (so that the next one
    runs on it as on any migrated file) and the AUTOINCREMENT counters."""
    from datetime import datetime, timezone

    from dlcards.store.fresh_schema import MIGRATIONS as DONE
    from dlcards.store.fresh_schema import SEQUENCE, STATEMENTS

    if DONE != tuple(name for name, _ in MIGRATIONS):  # pragma: no cover - caught by a test
        raise RuntimeError("fresh_schema.py is out of date: run tests/make_fresh_schema.py")
    for sql in STATEMENTS:
        conn.execute(sql)
    applied = str(datetime.now(timezone.utc))  # as sqlite-utils records it
    conn.executemany(
        "INSERT INTO _sqlite_migrations (migration_set, name, applied_at) VALUES (?, ?, ?)",
        [("dlcards", name, applied) for name in DONE],
    )
    conn.executemany("INSERT INTO sqlite_sequence (name, seq) VALUES (?, ?)", SEQUENCE)


def schema_statements(
    conn: Any,
) -> tuple[tuple[str, ...], tuple[str, ...], tuple[tuple[str, int], ...]]:
    """A file's CREATE statements in the order they were made (not the tables SQLite makes
    itself: sqlite_sequence, a virtual table's shadow tables, a key's own index), the
    migrations it records, and its AUTOINCREMENT counters: what `create_fresh` replays."""
    rows = conn.execute(
        "SELECT name, sql FROM sqlite_master WHERE sql IS NOT NULL ORDER BY rowid"
    ).fetchall()
    virtual = [n for n, sql in rows if sql.upper().startswith("CREATE VIRTUAL TABLE")]
    statements = tuple(
        sql
        for name, sql in rows
        if name != "sqlite_sequence" and not any(name.startswith(f"{v}_") for v in virtual)
    )
    names = tuple(
        r[0]
        for r in conn.execute(
            "SELECT name FROM _sqlite_migrations WHERE migration_set = 'dlcards' ORDER BY id"
        )
    )
    sequence = tuple(
        (str(n), int(s)) for n, s in conn.execute("SELECT name, seq FROM sqlite_sequence")
    )
    return statements, names, sequence
