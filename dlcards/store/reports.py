"""Reads for the statistics, the quiz log and the review log (no decisions, no writes but the
quiz's own answers)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import date, datetime
from functools import partial
from typing import TYPE_CHECKING, Any, NamedTuple

from dlcards.errors import StoreError
from dlcards.store.connection import SQLITE_ERRORS, Connection
from dlcards.store.count import DUE_TABLES
from dlcards.store.rows import (
    COUNT_RANGE,
    EF_RANGE,
    INTERVAL_RANGE,
    REVIEW_ROW_OK,
    DayCount,
    Leech,
    QuizAnswer,
    RetentionRow,
    ReviewRowsCheck,
    ReviewWindow,
    SearchHit,
    StatsRow,
    check_review,
    day_of,
    float_of,
    int_of,
    stats_row,
    text_of,
)

if TYPE_CHECKING:
    from dlcards.search import Query
    from dlcards.stats import CardTally
    from dlcards.store.marks import Marks


def _tallied(value: object, column: str) -> int:
    """A count a tally holds (kept by triggers); anything else is a StoreError naming it."""
    if type(value) is int:
        return value
    raise StoreError(
        f"the statistics' tally {column} holds {str(value)[:40]}, not a count; run "
        "`dlcards doctor` to repair it"
    )


def due_table(by: str) -> str:
    """The table holding scheduler `by`'s due dates."""
    try:
        return DUE_TABLES[by]
    except KeyError:
        raise ValueError(f"unknown scheduler {by!r}") from None


# Per card, its first review after a day in time order (joined as `r`; with it, the card's state as
# of that day is the state that review started from) and whether it was graded on that day
# (`l.seen`: that day, else NULL). All four parameters are that day. By time (`at`, then id, the
# order a card's log is replayed in), not by id alone: reviews imported from Anki are logged after
# dlcards's own of the same weeks, and the first of a day's later rows by id could be one that came
# after another (its state before is not the day's). The group reads the day index, which carries
# each row's time (migration 0026); the row is then one seek along `reviews_card_time` (1,000,000
# reviews: 145 -> 179 ms 3 days back, 442 -> 518 ms a year).
LATER = (
    " LEFT JOIN (SELECT card_id, max(CASE WHEN day = ? THEN day END) AS seen, "
    "min(CASE WHEN day > ? THEN at END) AS t "
    "FROM reviews INDEXED BY reviews_day_kind_before WHERE day >= ? GROUP BY card_id) l "
    "ON l.card_id = c.id "
    "LEFT JOIN reviews r ON r.id = (SELECT id FROM reviews INDEXED BY reviews_card_time "
    "WHERE card_id = c.id AND at = l.t AND day > ? ORDER BY id LIMIT 1)"
)


LATER_FSRS = LATER + (
    " LEFT JOIN reviews rf ON rf.id = (SELECT id FROM reviews INDEXED BY reviews_card_time "
    "WHERE card_id = c.id AND (at, id) >= (r.at, r.id) AND fsrs_before IS NOT NULL "
    "ORDER BY at, id LIMIT 1)"
)
"""`LATER` and, for FSRS, the first row from `r` on, in time order, that holds the FSRS state
it started from (`rf`; `r` itself unless `r` holds none): that state is the card's as of the
day. A row holds none when it changed nothing (a new card's re-drill) or was graded while SM-2
was active (until `Store.fresh_fsrs_log` writes the log's states); the next row that holds one
may be of any day: a grade of that day given after `r` in a `study --today` started from the
same state (read from rows after the day alone, a card whose next such row was none took its
state now, that grade's after). A studied card's re-drill holds its state
(`rows.outcome_values`): a reset between it and the next row that changed the state made that
row start from a new card. Four parameters, all that day; one seek along `reviews_card_time`
from `r`, where a second pass over the day index found the first later row that held a state
(1,000,000 reviews, 3 days back: `due_ids` 300 -> 190 ms)."""


LATER_BINDS = 4
"""How many times `LATER` (and `LATER_FSRS`) bind the day."""


def later_join(by: str) -> str:
    """The join `due_as_of(by)` and `card_rows` read (binding the day LATER_BINDS times)."""
    return LATER_FSRS if due_table(by) == "fsrs" else LATER


GRADED_AFTER = (
    "EXISTS (SELECT 1 FROM reviews x INDEXED BY reviews_card_time WHERE x.card_id = c.id "
    "AND (x.at, x.id) > (r.at, r.id) AND x.day = l.seen)"
)
"""Whether the card's grade on the day of `LATER` came after its first later review in time
order: given in a `study --today` of that past day, from the card's state now (a re-drill,
`grading.decide`), where the log's state as of that day is the one before the later review."""


def then(now: str, before: str) -> str:
    """A memory column as of the day bound to `LATER`: `now` unless a review is logged after
    the day (`r`), then `before`, that review's `_before` column."""
    return f"CASE WHEN r.id IS NULL THEN {now} ELSE {before} END"


def fsrs_then(now: str, key: str) -> str:
    """An FSRS memory column as of the day bound to `LATER_FSRS`: `now` unless a later review
    changed the card's FSRS state (`rf`), then `key` of the state it started from."""
    return f"CASE WHEN rf.id IS NULL THEN {now} ELSE json_extract(rf.fsrs_before, '$.{key}') END"


def due_as_of(by: str) -> str:
    """Scheduler `by`'s due date of a card (its table joined as `s`) as of the day bound to
    `later_join(by)`: reviews logged after that day have not happened yet, and the card is in
    the state the first of them started from (`card_rows` and `show --today` read the same).
    A card graded on that day after those later reviews (a `study --today` of a past day,
    `GRADED_AFTER`) and due (or new) by then is not due that day again (that grade could not
    move its schedule): its date is that of its next review. (A grade on that day before them
    set the state the next one started from: its due date, not the next review's day.)"""
    before = fsrs_then("s.due", "due") if due_table(by) == "fsrs" else "r.due_before"
    return (
        "(CASE WHEN r.id IS NULL THEN s.due WHEN l.seen IS NOT NULL "
        f"AND coalesce(({before}) <= l.seen, 1) AND {GRADED_AFTER} THEN r.day ELSE {before} END)"
    )


FSRS_PER_CARD = (
    # cards with a stability, their recall's sum and those below LOW_RECALL, the difficulties'
    # sum and count, and how many memories have a last review that is a number (the tally
    # leaves those out; it marks each other value `stats_row` would refuse: schema.UNREADABLE)
    "SELECT count(stability), total(r), count(CASE WHEN r < :low THEN 1 END), total(difficulty), "
    "count(difficulty), count(CASE WHEN last_review < '' THEN 1 END) "
    "FROM (SELECT stability, difficulty, last_review, CASE WHEN stability > 0 THEN "
    "pow(1 + :factor * max(julianday(:today) - julianday(last_review), 0) / stability, :decay) "
    "END AS r "
    # (LIMIT: each row's recall computed once, not once per use in the sums)
    "FROM fsrs WHERE last_review IS NOT NULL AND last_review != '' LIMIT -1)"
)
"""`Reports.card_tally`'s one pass over the FSRS memories of reviewed cards; binds FSRS's
forgetting curve's `factor` and `decay`, `today` and `low` (LOW_RECALL)."""


def _tally_damage(fsrs: bool) -> str:
    """SQL counting the rows of the memories' tally `card_tally` cannot use: a count that is no
    whole number (bytes in one, by hand or damage, stopped `stats` with a TypeError), and under
    FSRS a bin no histogram has (both -1: a memory without a stability). Checked in SQL: in
    Python, a test of every value of 30,000 rows took ~50 ms of `stats`."""
    from dlcards.bins import DAY_LABELS, DIFFICULTY_BINS

    if not fsrs:
        return (
            "SELECT count(*) FROM sm2_tally "
            "WHERE typeof(cards) != 'integer' OR typeof(learning) != 'integer'"
        )
    whole = " OR ".join(
        f"typeof({c}) != 'integer'" for c in ("interval", "stability", "difficulty", "cards")
    )
    return (
        f"SELECT count(*) FROM fsrs_tally WHERE {whole} OR NOT (stability = -1 AND "
        f"difficulty = -1 OR stability BETWEEN 0 AND {len(DAY_LABELS) - 1} "
        f"AND difficulty BETWEEN 0 AND {len(DIFFICULTY_BINS) - 1})"
    )


LEECHES_SQL = (
    "SELECT c.id, c.topic, s.lapses, c.suspended FROM cards c INDEXED BY cards_leech "
    "JOIN sm2 s ON s.card_id = c.id WHERE c.leech != 0 AND c.retired = 0 "
    "ORDER BY s.lapses DESC, c.position"
)
"""The active leeches, most lapses first (deck order among equals), by their partial index
(`cards_leech`; asked as `leech = 1`, the planner walked every card by topic: 16 ms at
100,000 cards)."""


class _Sums(NamedTuple):
    """What `Reports.card_tally` read: the count of memories, the tally's rows, the reviewed
    cards by EF, the retired or suspended cards, the leeches."""

    total: int
    rows: list[Any]
    ease: dict[int, int]
    inactive: list[Any]
    leeches: list[tuple[str, str, int, bool]]


def _sm2_sums(sums: _Sums) -> CardTally | None:
    """`card_tally` under SM-2 with retired or suspended cards to take out (None when
    the tally does not hold them)."""
    total, rows, ease, inactive, leeches = sums
    from dlcards.stats import LEARNING_DAYS, CardTally

    groups: dict[tuple[str, int, str | None], list[int]] = {}
    for lr, interval, due, n, learning in rows:
        cell = groups.setdefault((lr, int(interval), due or None), [0, 0])
        cell[0] += n
        cell[1] += learning
    new = total - sum(n for n, _ in groups.values())  # the never reviewed
    suspended = 0
    for cid, retired, held, lr, interval, due, ef, _ in inactive:
        if not retired:
            int_of(held, cid, "cards.suspended", (0, 1))
            suspended += 1
        if lr:  # a reviewed card: out of the sums
            k = (lr, int(interval or 0), due or None)
            if k not in groups or ef not in ease:
                return None  # not in the sums: the tally cannot serve (doctor mends it)
            groups[k][0] -= 1
            groups[k][1] -= k[1] <= LEARNING_DAYS
            ease[ef] -= 1
        else:
            new -= 1
    if min((n for n, _ in groups.values()), default=0) < 0 or min(ease.values(), default=0) < 0:
        return None
    return CardTally(
        new,
        suspended,
        [
            (lr, i, due, None, None, n, learning)
            for (lr, i, due), (n, learning) in groups.items()
            if n
        ],
        sorted((ef, n) for ef, n in ease.items() if n),
        leeches,
    )


def _fsrs_sums(
    sums: _Sums, per_card: tuple[Any, ...], today: date, parameters: tuple[float, ...] | None
) -> CardTally | None:
    """`card_tally` under FSRS: the tally's rows grouped by interval and due date, its bins
    summed, the pass over the memories (`FSRS_PER_CARD`) for the rest, and the retired or
    suspended cards taken out of each."""
    from dlcards.bins import DAY_LABELS, DIFFICULTY_BINS, day_bin, difficulty_bin
    from dlcards.fsrs_sched import DEFAULT_PARAMETERS, forgetting_curve
    from dlcards.recall import LOW_RECALL, RecallSummary
    from dlcards.stats import LEARNING_DAYS, CardTally, MemorySums

    total, rows, ease, inactive, leeches = sums

    groups: dict[tuple[int, str | None], int] = {}
    stability, difficulty = [0] * len(DAY_LABELS), [0] * len(DIFFICULTY_BINS)
    for interval, due, s_bin, d_bin, n in rows:
        key = (int(interval), due or None)
        groups[key] = groups.get(key, 0) + n
        if s_bin >= 0:
            stability[s_bin] += n
            difficulty[d_bin] += n
    recall_cards, recall_sum, below, difficulty_sum, difficulty_n, _ = per_card
    new = total - sum(groups.values())  # the never reviewed
    suspended = 0
    for cid, retired, held, lr, due, s, d, ef, sm2_lr in inactive:
        if not retired:
            int_of(held, cid, "cards.suspended", (0, 1))
            suspended += 1
        if sm2_lr:
            if ef not in ease:
                return None  # not in the sums: the tally cannot serve (doctor mends it)
            ease[ef] -= 1
        if not lr:
            new -= 1
            continue
        # a reviewed card: out of the sums, as the tally and the pass counted it
        start, end = day_of(lr, cid, "fsrs.last_review"), day_of(due, cid, "fsrs.due")
        key = ((end - start).days if start and end else 0, due or None)
        if key not in groups:
            return None
        groups[key] -= 1
        if s is not None:
            stability[day_bin(s)] -= 1
            difficulty[difficulty_bin(1 if d is None else d)] -= 1
            assert start is not None
            elapsed = max((today - start).days, 0)
            r = forgetting_curve(elapsed, s, parameters or DEFAULT_PARAMETERS)
            recall_cards -= 1
            recall_sum -= r
            below -= r < LOW_RECALL
        if d is not None:
            difficulty_sum -= d
            difficulty_n -= 1
    counts = [*groups.values(), *ease.values(), *stability, *difficulty, recall_cards, below]
    if min(counts) < 0 or difficulty_n < 0:
        return None  # more cards taken out than the tally holds: it cannot serve
    return CardTally(
        new,
        suspended,
        [
            (None, i, due, None, None, n, n if i <= LEARNING_DAYS else 0)
            for (i, due), n in groups.items()
            if n
        ],
        sorted((ef, n) for ef, n in ease.items() if n),
        leeches,
        MemorySums(
            stability,
            difficulty,
            difficulty_sum,
            difficulty_n,
            RecallSummary(recall_cards, recall_sum / recall_cards if recall_cards else None, below),
        ),
    )


class Reports(Connection):
    def _reading_as_of(self, table: str) -> None:
        """Called before a search reads the study state as of a past day, scheduler `table`'s
        (`Store` writes the log's FSRS states again first when they may be stale)."""

    clock_day: date | None = None
    """The study day by the clock, once a command took it (`take_clock_day`)."""

    def take_clock_day(self, day: date) -> None:
        """Take `day` as the study day the clock gives now (`commands.common.day_by_clock`):
        a review logged on a later day was given on a clock set ahead, since set back (a wrong
        clock fixed, a date typed wrong), and has happened. Reads as of that day or a later
        one are then of the cards as they are, as Anki reads them (its cards keep the due
        dates those reviews gave): a card reviewed then is neither new again nor due by an
        older due date, which a grade could only log as a re-drill (`grading.decide`). A day
        given (`--today`) is a day of the past read as it was, and takes none."""
        self.clock_day = day

    def has_later(self, day: date) -> bool:
        """Whether any review is logged on a day after `day` (one search of the day index)
        that had not happened then: only then does a count as of `day` need the log's
        `_before` columns. None has as of the clock's day or later (`take_clock_day`)."""
        from dlcards.store.count import HAS_LATER_SQL

        if self.clock_day is not None and day >= self.clock_day:
            return False
        row = self._call(lambda: self.conn.execute(HAS_LATER_SQL, (day.isoformat(),)).fetchone())
        return bool(row[0])

    def log_end(self, day: date) -> date:
        """The last day of the log that has happened as of `day`: `day` itself, or the log's
        newest day when that is later and its reviews are past (as of the clock's day or a
        later one, `take_clock_day`: a clock set ahead, since set back). What `stats` reads
        its windows, streak and heatmap up to, so that they count every review its total
        does; a day given (`--today`) ends them at that day."""
        if self.clock_day is None or day < self.clock_day:
            return day
        row = self._call(lambda: self.conn.execute("SELECT max(day) FROM review_days").fetchone())
        newest = day_of(row[0], "?", "review_days.day") if row and row[0] else None
        return max(day, newest) if newest is not None else day

    def check_due_dates(self, by: str) -> None:
        """A StoreError naming the first card of scheduler `by` whose due date the counts of
        `due` would take wrongly (`count.DUE_DAMAGE_SQL`): not a day, or none after a review.
        `show` and `study` refuse the same card as they read it (`rows.memory_from`)."""
        from dlcards.store.count import (
            DUE_DAMAGE_KEY,
            DUE_DAMAGE_SQL,
            DUE_DAMAGED_ROW_SQL,
            DUE_TABLES,
        )
        from dlcards.store.rows import bad_due

        if self.get_meta(DUE_DAMAGE_KEY) is None:  # no write has left such a value
            return
        table = DUE_TABLES[by]
        if not self._call(lambda: self.conn.execute(DUE_DAMAGE_SQL[table]).fetchone()[0]):
            return
        row = self._call(lambda: self.conn.execute(DUE_DAMAGED_ROW_SQL[table]).fetchone())
        if row is not None:  # None: only the tally is wrong (`doctor` mends it)
            raise bad_due(row[0], f"{table}.due", row[1])
        raise StoreError(
            "the tally of due dates does not match the cards; run `dlcards doctor` to "
            "repair the database"
        )

    def retired_reviews(self, card_id: str) -> int | None:
        """How many reviews the log keeps of `card_id`, a card the database knows (synced
        once); None when it has no card of that id. Asked of an id no deck has now: a card
        its deck dropped, retired by a sync or not yet (`show` does not sync)."""
        try:
            row = self._call(
                lambda: self.conn.execute(
                    "SELECT (SELECT count(*) FROM reviews WHERE card_id = c.id) FROM cards c "
                    "WHERE c.id = ?",
                    (card_id,),
                ).fetchone()
            )
        except UnicodeEncodeError:  # a lone surrogate (an undecodable command-line byte)
            return None  # is in no row
        return None if row is None else int(row[0])

    # statistics ------------------------------------------------------------------------------

    def card_rows(self, by: str, as_of: date | None = None) -> list[StatsRow]:
        """Every active card in deck order, with scheduler `by`'s due date and interval.

        With `as_of`, reviews logged on later days have not happened yet: a card reviewed after
        `as_of` is shown in the state its first later review started from (the log's `_before`
        columns; FSRS's from the `fsrs_before` of the first row from that review on that
        holds one, `LATER_FSRS`)."""

        if due_table(by) == "fsrs":
            due, last = fsrs_then("f.due", "due"), fsrs_then("f.last_review", "last_review")
            schedule = (
                f"{due}, coalesce(julianday({due}) - julianday({last}), 0), "
                f"{fsrs_then('f.stability', 'stability')}, c.topic, c.leech, "
                f"{fsrs_then('f.difficulty', 'difficulty')}, {last} "
                "FROM cards c JOIN sm2 s ON s.card_id = c.id LEFT JOIN fsrs f ON f.card_id = c.id"
            )
        else:
            schedule = (
                f"{then('s.due', 'r.due_before')}, {then('s.interval', 'r.interval_before')}, "
                "NULL, c.topic, c.leech, NULL FROM cards c JOIN sm2 s ON s.card_id = c.id"
            )
        later = later_join(by)
        sql = (
            f"SELECT c.id, c.suspended, {then('s.repetitions', 'r.reps_before')}, "
            f"{then('s.ef', 'r.ef_before')}, {then('s.lapses', 'r.lapses_before')}, "
            f"{then('s.last_review', 'r.last_review_before')}, "
            f"{schedule}{later} WHERE c.retired = 0 ORDER BY c.position"
        )
        until = (as_of or date.max).isoformat()
        rows = self._call(lambda: self.conn.execute(sql, (until,) * LATER_BINDS).fetchall())
        return [stats_row(r, due_table(by)) for r in rows]

    def card_tally(
        self, by: str, today: date | None = None, parameters: tuple[float, ...] | None = None
    ) -> CardTally | None:
        """The statistics' sums over every active card (`dlcards.stats.CardTally`) by SQL,
        with scheduler `by`'s due dates and intervals: every memory summed, then the few
        retired or suspended cards (a partial index) taken out. The sums are tables kept by
        triggers (`sm2_tally`, `fsrs_tally`); under FSRS what is one per card (the predicted
        recall on `today` with FSRS `parameters`, the difficulties' sum) is one pass over the
        memories. None when a stored value is damaged (then `card_rows` names the card), or
        when this SQLite has no pow() (built without its math functions)."""
        from dlcards.fsrs_sched import DEFAULT_PARAMETERS, decay_factor
        from dlcards.recall import LOW_RECALL
        from dlcards.stats import CardTally

        fsrs = due_table(by) == "fsrs"
        if fsrs and today is None:
            raise ValueError("FSRS's card sums need the day of the predicted recall")
        if fsrs and not self._has_pow():
            return None  # the row path computes the recall in Python
        # the memories' sums, kept by triggers (`schema.MEMORY_TRIGGERS`, `fsrs_tally_triggers`)
        summed = (
            "SELECT interval, due, stability, difficulty, cards FROM fsrs_tally"
            if fsrs
            else "SELECT last_review, interval, due, cards, learning FROM sm2_tally"
        )
        memory = (
            "f.last_review, f.due, f.stability, f.difficulty"
            if fsrs
            else "s.last_review, s.interval, s.due"
        )

        def read() -> tuple[Any, ...]:
            c = self.conn
            total = c.execute("SELECT count(*) FROM sm2").fetchone()[0]
            odd = c.execute(  # a last review that is not text (numbers sort before text)
                "SELECT count(*) FROM sm2 INDEXED BY sm2_stats "
                "WHERE last_review IS NOT NULL AND last_review < ''"
            ).fetchone()[0]
            odd += c.execute(_tally_damage(fsrs)).fetchone()[0]
            groups = c.execute(summed).fetchall()
            ease = c.execute(
                "SELECT ef, count(*), min(repetitions), max(repetitions) "
                "FROM sm2 INDEXED BY sm2_ef WHERE last_review > '' GROUP BY 1"
            ).fetchall()
            inactive = c.execute(
                f"SELECT c.id, c.retired, c.suspended, {memory}, s.ef, s.last_review "
                "FROM cards c INDEXED BY cards_inactive JOIN sm2 s ON s.card_id = c.id "
                f"{'LEFT JOIN fsrs f ON f.card_id = c.id ' if fsrs else ''}"
                "WHERE c.retired != 0 OR c.suspended != 0"
            ).fetchall()
            leeches = c.execute(LEECHES_SQL).fetchall()
            per_card = None
            if fsrs:
                assert today is not None
                decay, factor = decay_factor(parameters or DEFAULT_PARAMETERS)
                per_card = c.execute(
                    FSRS_PER_CARD,
                    {
                        "factor": factor,
                        "today": today.isoformat(),
                        "decay": decay,
                        "low": LOW_RECALL,
                    },
                ).fetchone()
            return total, odd, groups, ease, inactive, leeches, per_card

        total, odd, rows, ease_rows, inactive, leech_rows, per_card = self._call(read)
        if odd or (per_card is not None and per_card[-1]):
            return None
        table = due_table(by)
        try:  # each distinct stored value checked once, as `stats_row` checks it
            if fsrs:
                dues, intervals = {r[1] for r in rows}, {r[0] for r in rows}
            else:
                dues, intervals = {r[2] for r in rows}, {r[1] for r in rows}
                for lr in {r[0] for r in rows}:
                    day_of(lr, "?", "sm2.last_review")
            for due in dues:
                day_of(due, "?", f"{table}.due")
            for interval in intervals:
                float_of(interval, "?", "interval", (0, INTERVAL_RANGE[1]))
            for reps in {r[2] for r in ease_rows} | {r[3] for r in ease_rows}:
                int_of(reps, "?", "sm2.repetitions", COUNT_RANGE)
            ease = {int_of(ef, "?", "sm2.ef", EF_RANGE): int(n) for ef, n, _, _ in ease_rows}
        except StoreError:
            return None
        leeches = [
            (cid, topic, int_of(n, cid, "sm2.lapses", COUNT_RANGE), bool(held))
            for cid, topic, n, held in leech_rows
        ]
        if not fsrs:
            if not inactive and all(type(i) is int for i in intervals) and all(dues):
                # no card to take out, every value as `stats_row` gives it: the groups
                return CardTally(
                    total - sum(r[3] for r in rows),
                    0,
                    [
                        (lr, i, due, None, None, n, learning)
                        for lr, i, due, n, learning in rows
                        if n
                    ],
                    sorted((ef, n) for ef, n in ease.items() if n),
                    leeches,
                )
            return _sm2_sums(_Sums(total, rows, ease, inactive, leeches))
        assert today is not None and per_card is not None
        sums = _Sums(total, rows, ease, inactive, leeches)
        return _fsrs_sums(sums, per_card, today, parameters)

    def _has_pow(self) -> bool:
        """Whether this SQLite has its math functions (pow() in `FSRS_PER_CARD`)."""
        try:
            self.conn.execute("SELECT pow(2, 2)").fetchone()
        except SQLITE_ERRORS:
            return False
        return True

    def leeches(self) -> list[Leech]:
        """Active cards marked leeches, most lapses first (deck order among equals)."""
        rows = self._call(lambda: self.conn.execute(LEECHES_SQL).fetchall())
        return [Leech(r[0], r[1], int(r[2]), bool(r[3])) for r in rows]

    def tagged(self, tag: str, topics: Sequence[str] = ()) -> list[str]:
        """Ids of the active cards carrying `tag` or a tag under it (`ml::cnn` for `ml`: as
        `deck.has_tag`), as the last sync stored their tags, of the given topics (all if
        none), in deck order: what `Catalog.select` gives after a sync, without loading a
        deck. A leech carries Anki's `leech` too, as `search tag:leech` reads it (`--tag
        leech` said the tag was unknown)."""
        from dlcards.store.search import TAGS

        chosen = list(topics)
        where = f" AND topic IN ({', '.join('?' * len(chosen))})" if chosen else ""
        try:
            rows = self._call(
                lambda: self.conn.execute(
                    f"SELECT id FROM cards c WHERE retired = 0 AND (instr({TAGS}, ?) > 0 OR "
                    f"instr({TAGS}, ?) > 0){where} ORDER BY position",
                    (f" {tag} ", f" {tag}::", *chosen),
                ).fetchall()
            )
        except UnicodeEncodeError:  # a lone surrogate (an undecodable command-line byte)
            return []  # is in no card's tags (`study --tag`, `quiz --tag` ended in a traceback)
        return [text_of(r[0], "?", "cards.id") for r in rows]

    def reviews_by_day(self, since: date, until: date) -> list[DayCount]:
        """Per day with reviews from `since` to `until`: all, scheduled and passed reviews
        (a range of the `review_days` tally, which triggers keep equal to the log)."""
        rows = self._call(
            lambda: self.conn.execute(
                "SELECT day, reviews, scheduled, passed FROM review_days "
                "WHERE day >= ? AND day <= ? AND reviews > 0 ORDER BY day",
                (since.isoformat(), until.isoformat()),
            ).fetchall()
        )
        return [
            DayCount(
                r[0],
                _tallied(r[1], "review_days.reviews"),
                _tallied(r[2] or 0, "review_days.scheduled"),
                _tallied(r[3] or 0, "review_days.passed"),
            )
            for r in rows
        ]

    def true_retention(self, until: date, *since: date) -> list[RetentionRow]:
        """For each window from a `since` day to `until`: passed and failed scheduled reviews
        of cards reviewed before, by topic and age (mature: 21 days or more since the card's
        previous review, else young). Read from the `retention_days` tally (kept by triggers
        on the log and the cards: see `schema.TALLY_TRIGGERS`): its topics one index step
        each, then for each topic, age, outcome and window one range of days."""
        starts = sorted({d.isoformat() for d in since}, reverse=True)  # newest window first
        ever = date.min.isoformat()
        totals: list[tuple[Any, ...]] | None = None
        if starts and starts[-1] == ever:
            # all time, from `retention_totals`, unless a review lies after `until` (as-of)
            def read_totals() -> list[tuple[Any, ...]] | None:
                last = self.conn.execute("SELECT max(day) FROM review_days").fetchone()[0]
                if last is not None and last > until.isoformat():
                    return None
                return self.conn.execute(
                    "SELECT topic, mature, passed, reviews FROM retention_totals"
                ).fetchall()

            totals = self._call(read_totals)
            if totals is not None:
                starts.pop()
        sums = ", ".join(
            f"(SELECT sum(r.reviews) FROM retention_days r WHERE r.topic = t.topic "
            f"AND r.mature = m.column1 AND r.passed = p.column1 AND r.day >= :since{i} "
            "AND r.day <= :until)"
            for i in range(len(starts))
        )
        sql = (
            "WITH RECURSIVE t(topic) AS (SELECT min(topic) FROM retention_days UNION ALL "
            "SELECT (SELECT min(topic) FROM retention_days WHERE topic > t.topic) FROM t "
            "WHERE t.topic IS NOT NULL) "
            f"SELECT t.topic, m.column1, p.column1, {sums} FROM t, (VALUES (0), (1)) m, "
            "(VALUES (1), (0)) p WHERE t.topic IS NOT NULL"
        )
        params = {"until": until.isoformat(), **{f"since{i}": d for i, d in enumerate(starts)}}
        rows = self._call(lambda: self.conn.execute(sql, params).fetchall()) if starts else []

        def window(start: str, sums: Iterable[tuple[str, int, int, Any]]) -> list[RetentionRow]:
            """One window's rows from (topic, mature, passed, reviews or None) in topic,
            age, passed-first order."""
            counts: dict[tuple[str, bool], list[int]] = {}
            for topic, mature, passed, n in sums:
                if n is not None:
                    cell = counts.setdefault((topic, bool(mature)), [0, 0])
                    cell[0 if passed else 1] += int(n)
            return [RetentionRow(t, m, start, p, f) for (t, m), (p, f) in counts.items()]

        out: list[RetentionRow] = []
        for i, start in enumerate(starts):
            out += window(start, ((t, m, p, w[i]) for t, m, p, *w in rows))
        if totals is not None:
            out += window(ever, sorted(totals, key=lambda r: (r[0], r[1], -r[2])))
        return out

    def reviews_today(self, day: date) -> int:
        """Cards given their day's scheduled grade on `day`, new ones included: what counts
        against the daily review cap (as Anki counts new cards against its review limit)."""
        from dlcards.store.count import REVIEWS_TODAY_SQL

        row = self._call(
            lambda: self.conn.execute(REVIEWS_TODAY_SQL, (day.isoformat(),)).fetchone()
        )
        return int(row[0])

    # search ----------------------------------------------------------------------------------

    def search(
        self, query: Query, today: date, by: str, limit: int | None = None
    ) -> tuple[list[SearchHit], int]:
        """Active cards matching a parsed search query (`dlcards.search.parse`), ranked by
        bm25 when it has words (best first), else in deck order, due dates by scheduler `by`:
        the first `limit` of them (all if None) and how many match in all."""
        from dlcards.settings import DAY_STARTS_AT
        from dlcards.store.search import count_sql, reads_memories, search_sql, words_match

        # the hour the study day begins, for the moments `added:` and `edited:` compare
        starts_at = (
            self.settings().day_starts_at
            if any(f.kind in ("added", "edited") for f in query.every_filter())
            else DAY_STARTS_AT
        )
        if limit is not None:  # `--limit` has no upper bound; SQLite's integers have one
            limit = min(limit, 2**63 - 1)
        if any(f.kind == "nctag" for f in query.every_filter()):  # tag:nc:
            from dlcards.search import without_combining
            from dlcards.store.search import NO_COMBINING

            self.conn.create_function(NO_COMBINING, 1, without_combining, deterministic=True)
        table = due_table(by)
        # a past day (reviews logged after it): the study state the filters read is then's
        as_of = reads_memories(query, table) and self.has_later(today)
        if as_of:
            self._reading_as_of(table)
        # the clock's day: answers and edits dated after it (a clock set ahead, since set
        # back) have happened, and `rated:` and its kind count them (`take_clock_day`)
        past_after = self.clock_day is not None and today >= self.clock_day
        if words_match(query) is None:
            # the filters join the card tables: one pass, the first `limit` matches each with
            # the count of all (`search.TOTAL`); every match fetched into Python to be counted
            # and cut took 165-400 ms for a filter that matches half of 100,000 cards
            counted = bool(limit)  # (all of them: counted as they come)
            sql, params = search_sql(
                query,
                today,
                table,
                limit,
                starts_at=starts_at,
                as_of=as_of,
                counted=counted,
                past_after=past_after,
            )
            rows = self._call(lambda: self.conn.execute(sql, params).fetchall())
            hits = [SearchHit(r[0], r[1], r[2]) for r in rows]
            if not counted:
                return hits[:limit] if limit is not None else hits, len(hits)
            return hits, int(rows[0][3]) if rows else 0
        # only words: ranked inside the index, counted there
        sql, params = search_sql(query, today, table, limit)
        rows = self._call(lambda: self.conn.execute(sql, params).fetchall())
        hits = [SearchHit(r[0], r[1], r[2]) for r in rows]
        if limit is None or len(hits) < limit:
            return hits, len(hits)
        sql, params = count_sql(query, today, table)
        total = self._call(lambda: self.conn.execute(sql, params).fetchone()[0])
        return hits, int(total)

    def marks_among(self, ids: Sequence[str]) -> Marks:
        """Which of these cards are suspended and which are leeches: one query
        (`marks.MARKS_SQL`: every suspended card and every leech, a few at most of a
        collection, by their partial indexes), kept to `ids`."""
        from dlcards.store.marks import MARKS_SQL, marks_from

        wanted = set(ids)
        rows = self._call(lambda: self.conn.execute(MARKS_SQL).fetchall())
        return marks_from(r for r in rows if r[0] in wanted)

    def search_texts(self, ids: Sequence[str]) -> dict[str, tuple[str, str, str, str, str]]:
        """The text the search index holds for each of these active cards (the decks' text at
        the last sync, `rows.search_fields`): question, answer, erratum, note, tags. What
        `dlcards search` shows, without loading the decks the cards are in."""
        out: dict[str, tuple[str, str, str, str, str]] = {}

        def read(chunk: list[str]) -> list[Any]:
            marks = ", ".join("?" * len(chunk))
            return self.conn.execute(
                "SELECT c.id, s.question, s.answer, s.erratum, s.note, s.tags FROM cards c "
                f"JOIN card_search s ON s.rowid = c.search_rowid WHERE c.id IN ({marks})",
                chunk,
            ).fetchall()

        for start in range(0, len(ids), 500):  # SQLite's limit on parameters, with room
            rows = self._call(partial(read, list(ids[start : start + 500])))
            for cid, question, answer, erratum, note, tags in rows:
                out[cid] = (
                    text_of(question, cid, "card_search.question"),
                    text_of(answer, cid, "card_search.answer"),
                    text_of(erratum, cid, "card_search.erratum"),
                    text_of(note, cid, "card_search.note"),
                    text_of(tags, cid, "card_search.tags"),
                )
        return out

    def review_counts(self, until: date, *since: date) -> list[ReviewWindow]:
        """For each `since` day: reviews from it to `until` (inclusive), from the
        `review_days` tally (one row per day with reviews)."""
        sql = (
            "SELECT sum(reviews), sum(scheduled), sum(passed) FROM review_days "
            "WHERE day >= ? AND day <= ?"
        )

        def window(day: date) -> ReviewWindow:
            row = self.conn.execute(sql, (day.isoformat(), until.isoformat())).fetchone()
            return ReviewWindow(int(row[0] or 0), int(row[1] or 0), int(row[2] or 0))

        return [self._call(partial(window, day)) for day in since]

    def study_days_newest(self, until: date) -> Iterator[date]:
        """Days with at least one review up to `until`, newest first, read as they are taken:
        a range of the `review_days` tally at a time, each twice as long as the one before (a
        streak stops at its first day without reviews: at 1,000,000 reviews over 16,464 days,
        `stats` read and parsed every one of them for a streak of 5,636)."""
        sql = (
            "SELECT day FROM review_days WHERE day {} ? AND day >= '0001-01-01' AND reviews > 0 "
            "ORDER BY day DESC LIMIT ?"
        )

        def read(bound: str, last: str, size: int) -> list[Any]:
            return self.conn.execute(sql.format(bound), (last, size)).fetchall()

        bound, last, size = "<=", until.isoformat(), 64
        while True:
            rows = self._call(partial(read, bound, last, size))
            for (text,) in rows:
                if (d := day_of(text, "?", "reviews.day")) is not None:
                    yield d
            if len(rows) < size:
                return
            bound, last, size = "<", rows[-1][0], size * 2

    # quiz ------------------------------------------------------------------------------------

    def record_quiz_answer(
        self,
        session_id: int,
        card_id: str,
        mode: str,
        correct: bool,
        given: str | None,
        expected: str | None,
        now: datetime,
    ) -> int:
        """Log one quiz answer (its own table: quizzes never touch the schedule)."""
        with self._write(("quiz_results",)) as c:  # no trigger on quiz_results
            cur = c.execute(
                "INSERT INTO quiz_results (session_id, card_id, answered_at, mode, correct, "
                "given, expected) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    session_id,
                    card_id,
                    now.isoformat(timespec="milliseconds"),
                    mode,
                    int(correct),
                    given,
                    expected,
                ),
            )
            return int(cur.lastrowid or 0)

    def quiz_results(self, session_id: int) -> list[QuizAnswer]:
        """One quiz session's answers, in answer order."""
        rows = self._call(
            lambda: self.conn.execute(
                "SELECT card_id, correct, given, expected FROM quiz_results "
                "WHERE session_id = ? ORDER BY id",
                (session_id,),
            ).fetchall()
        )
        return [QuizAnswer(r[0], bool(r[1]), r[2], r[3]) for r in rows]

    # the log -------------------------------------------------------------------------------

    @contextmanager
    def snapshot(self) -> Iterator[None]:
        """The block's reads from one snapshot of the database (a read transaction, begun by
        its first read): a review another process commits meanwhile is in every figure read
        in the block or in none (`stats`: the week's count, the heatmap and the card sums
        read one after another). Reads only: a write in the block would find a transaction
        begun. Inside another transaction, that one's."""
        conn = self.conn
        if conn.in_transaction:
            yield
            return
        self._call(lambda: conn.execute("BEGIN"))
        self.snapshotting = True
        try:
            yield
        finally:
            self.snapshotting = False
            if conn.in_transaction:
                try:
                    conn.execute("COMMIT")  # reads only: ends the snapshot
                except SQLITE_ERRORS:
                    pass

    @contextmanager
    def review_log(
        self, chunk: int = 10_000
    ) -> Iterator[tuple[list[str], Iterator[list[tuple[Any, ...]]]]]:
        """The whole log as (column names, its rows in time order, `chunk` at a time), all
        read from one snapshot (a read transaction for the block), each chunk checked before
        it is given (`rows.ReviewRowsCheck`, then `check_review` on a chunk in doubt): a bad
        row stops the rows there, named as a check of every row in id order names the first
        (`REVIEW_ROW_OK` in SQL, then `check_review`). One chunk is in memory at a time: a
        million rows as one list was over a gigabyte. The log was checked whole in a pass of
        its own before the first row (1,000,000 rows: ~5 s of a 20 s export); a file export
        is written atomically, so a bad row still leaves no file, and standard output has
        the rows before the chunk that holds it.

        Time order is `at`, then id, the order a card's log is replayed in: reviews imported
        from Anki are logged after dlcards's own of the same weeks, and the log's id order put
        them after reviews they came before. SQLite sorts the rows in its sorter, which spills
        to temporary files past its cache (1,000,000 rows: 2.3 -> 3.3 s to read, 32 MB)."""

        conn = self.conn
        columns = [r[0] for r in self.query("SELECT name FROM pragma_table_info('reviews')")]
        self._call(lambda: conn.execute("BEGIN"))
        try:
            cursor = self._call(lambda: conn.execute("SELECT * FROM reviews ORDER BY at, id"))

            def chunks() -> Iterator[list[tuple[Any, ...]]]:
                sound = ReviewRowsCheck(columns)
                while rows := self._call(lambda: cursor.fetchmany(chunk)):
                    if not sound(rows):
                        self._check_review_rows(columns, rows)
                    yield rows

            yield columns, chunks()
        finally:
            if conn.in_transaction:
                try:
                    conn.execute("COMMIT")  # reads only: ends the snapshot
                except SQLITE_ERRORS:
                    pass

    def _check_review_rows(self, columns: list[str], rows: list[tuple[Any, ...]]) -> None:
        """Raise StoreError if `check_review` refuses one of `rows`, naming the log's first bad
        row in id order (in the snapshot the rows were read from)."""
        for row in rows:
            try:
                check_review(columns, row)
            except StoreError as refused:
                doubtful = self.query(
                    f"SELECT * FROM reviews WHERE ({REVIEW_ROW_OK}) IS NOT 1 ORDER BY id"
                )
                for first in doubtful:
                    check_review(columns, first)
                raise refused from None

    def review_count(self) -> int:
        return int(
            self._call(lambda: self.conn.execute("SELECT count(*) FROM reviews").fetchone()[0])
        )

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """Read-only helper for the export and tests (SELECT statements only)."""
        if not sql.lstrip().upper().startswith(("SELECT", "WITH")):
            raise ValueError("Store.query is for SELECT statements")
        return self._call(lambda: self.conn.execute(sql, params).fetchall())
