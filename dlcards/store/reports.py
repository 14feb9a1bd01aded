"""Reads for the statistics, the quiz log and the review log (no decisions, no writes but the
quiz's own answers)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from functools import partial
from typing import Any

from dlcards.store.connection import Connection
from dlcards.store.rows import QuizAnswer, ReviewWindow, StatsRow, check_review, day_of, stats_row

_DUE_TABLES = {"sm2": "sm2", "fsrs": "fsrs"}


def due_table(by: str) -> str:
    """The table holding scheduler `by`'s due dates."""
    try:
        return _DUE_TABLES[by]
    except KeyError:
        raise ValueError(f"unknown scheduler {by!r}") from None


class Reports(Connection):
    # statistics ------------------------------------------------------------------------------

    def card_rows(self, by: str, as_of: date | None = None) -> list[StatsRow]:
        """Every active card in deck order, with scheduler `by`'s due date and interval.

        With `as_of`, reviews logged on later days have not happened yet: a card reviewed after
        `as_of` is shown in the state its first later review started from (the log's `_before`
        columns; FSRS's from `fsrs_before` when that review changed it)."""

        def then(now: str, before: str) -> str:
            return f"CASE WHEN r.id IS NULL THEN {now} ELSE {before} END"

        def fsrs_then(now: str, key: str) -> str:
            return (
                f"CASE WHEN r.id IS NULL OR r.fsrs_before IS NULL THEN {now} "
                f"ELSE json_extract(r.fsrs_before, '$.{key}') END"
            )

        if due_table(by) == "fsrs":
            due, last = fsrs_then("f.due", "due"), fsrs_then("f.last_review", "last_review")
            schedule = (
                f"{due}, coalesce(julianday({due}) - julianday({last}), 0), "
                f"{fsrs_then('f.stability', 'stability')} "
                "FROM cards c JOIN sm2 s ON s.card_id = c.id LEFT JOIN fsrs f ON f.card_id = c.id"
            )
        else:
            schedule = (
                f"{then('s.due', 'r.due_before')}, {then('s.interval', 'r.interval_before')}, "
                "NULL FROM cards c JOIN sm2 s ON s.card_id = c.id"
            )
        later = (
            " LEFT JOIN (SELECT card_id, min(id) AS first FROM reviews WHERE day > ? "
            "GROUP BY card_id) l ON l.card_id = c.id LEFT JOIN reviews r ON r.id = l.first"
        )
        sql = (
            f"SELECT c.id, c.suspended, {then('s.repetitions', 'r.reps_before')}, "
            f"{then('s.ef', 'r.ef_before')}, {then('s.lapses', 'r.lapses_before')}, "
            f"{then('s.last_review', 'r.last_review_before')}, "
            f"{schedule}{later} WHERE c.retired = 0 ORDER BY c.position"
        )
        until = (as_of or date.max).isoformat()
        rows = self._call(lambda: self.conn.execute(sql, (until,)).fetchall())
        return [stats_row(r, due_table(by)) for r in rows]

    def review_counts(self, until: date, *since: date) -> list[ReviewWindow]:
        """For each `since` day: reviews from it to `until` (inclusive). Each window is a range
        search on the covering (day, kind, grade) index."""
        sql = (
            "SELECT count(*), sum(kind = 'scheduled'), sum(kind = 'scheduled' AND grade >= 3) "
            "FROM reviews WHERE day >= ? AND day <= ?"
        )

        def window(day: date) -> ReviewWindow:
            row = self.conn.execute(sql, (day.isoformat(), until.isoformat())).fetchone()
            return ReviewWindow(int(row[0] or 0), int(row[1] or 0), int(row[2] or 0))

        return [self._call(partial(window, day)) for day in since]

    def study_days(self, since: date, until: date) -> list[date]:
        """Distinct days with at least one review from `since` to `until`, newest first."""
        rows = self._call(
            lambda: self.conn.execute(
                "SELECT DISTINCT day FROM reviews WHERE day >= ? AND day <= ? ORDER BY day DESC",
                (since.isoformat(), until.isoformat()),
            ).fetchall()
        )
        return [d for (text,) in rows if (d := day_of(text, "?", "reviews.day")) is not None]

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
        with self._write() as c:
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

    def review_log(self) -> tuple[list[str], list[tuple[Any, ...]]]:
        """The whole log (column names, rows in id order), every value checked."""
        columns = [r[0] for r in self.query("SELECT name FROM pragma_table_info('reviews')")]
        rows = self.query("SELECT * FROM reviews ORDER BY id")
        for row in rows:
            check_review(columns, row)
        return columns, rows

    def review_count(self) -> int:
        return int(
            self._call(lambda: self.conn.execute("SELECT count(*) FROM reviews").fetchone()[0])
        )

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """Read-only helper for the export and tests (SELECT statements only)."""
        if not sql.lstrip().upper().startswith(("SELECT", "WITH")):
            raise ValueError("Store.query is for SELECT statements")
        return self._call(lambda: self.conn.execute(sql, params).fetchall())
