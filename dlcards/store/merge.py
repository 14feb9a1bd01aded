"""Reviews done elsewhere (Anki) joining the log: which are new, and the merge that adds them and
re-decides each touched card's log in time order, in one transaction. The store decides
nothing: what a card's merged log means comes in as a function (`dlcards.grading.redecide`)."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable, Sequence
from datetime import date
from typing import TYPE_CHECKING, Any

from dlcards.memory import Memory
from dlcards.store.connection import Connection
from dlcards.store.rows import (
    INSERT_REVIEW,
    OUTCOME_COLUMNS,
    RESET_MARK,
    SELECT_MEMORY,
    TIME_ORDER,
    UPDATE_OUTCOME,
    ImportedReview,
    LoggedGrade,
    ReviewRow,
    day_of,
    memory_from,
    outcome_values,
    put_memory,
    review_values,
)
from dlcards.store.schema import epoch_ms

if TYPE_CHECKING:
    from dlcards.grading import Outcome

Redecide = Callable[[Sequence[LoggedGrade], Memory], Sequence["Outcome"]]
"""Every row of a card's log (in time order) decided again, from its stored memory."""

_LOG = (
    f"SELECT r.id, r.day, r.grade, r.kind, r.anki_id, r.at, {', '.join(OUTCOME_COLUMNS[1:])} "
    f"FROM reviews r WHERE r.card_id = ? ORDER BY {TIME_ORDER}"
)


class Merging(Connection):
    """The store's merge of reviews done elsewhere (a part of `Store`)."""

    @staticmethod
    def _unheld(c: sqlite3.Connection, rows: Iterable[ImportedReview]) -> list[ImportedReview]:
        """The rows whose Anki id the log does not hold yet (each once)."""
        held = {r[0] for r in c.execute("SELECT anki_id FROM reviews WHERE anki_id IS NOT NULL")}
        fresh: dict[int, ImportedReview] = {}
        for row in rows:
            if row.anki_id not in held:
                fresh.setdefault(row.anki_id, row)
        return list(fresh.values())

    def new_reviews(self, rows: Sequence[ImportedReview]) -> list[ImportedReview]:
        """The rows the log does not hold yet (what a merge would add once the decks are
        synced); reads only, for a dry run."""
        return self._call(lambda: self._unheld(self.conn, rows))

    def merge_reviews(self, rows: Sequence[ImportedReview], redecide: Redecide) -> list[str]:
        """Add reviews done elsewhere to the log, in one transaction, and replay each card
        they touch: the card's log after its reset point, dlcards's reviews and the new ones in
        time order, is decided again by `redecide` (the day's first grade schedules, the rest
        are re-drills); new rows are written with their outcome, older rows whose kind or
        memory columns changed are rewritten, and the card's memory is the last row's. Rows
        already in the log (same Anki id) are skipped, so merging the same rows twice adds
        nothing. Returns the card id of each added row."""
        self.guard_writes(whole_file=True)  # the whole log is read and may be rewritten
        with self._write() as c:
            known = {r[0] for r in c.execute("SELECT id FROM cards")}
            fresh = self._unheld(c, (r for r in rows if r.card_id in known))
            by_card: dict[str, list[ImportedReview]] = {}
            for r in fresh:
                by_card.setdefault(r.card_id, []).append(r)
            for card_id, new in by_card.items():
                self._merge_card(c, card_id, new, redecide)
            return [r.card_id for r in fresh]

    def _merge_card(
        self,
        c: sqlite3.Connection,
        card_id: str,
        new: Sequence[ImportedReview],
        redecide: Redecide,
        write_memory: bool = True,
    ) -> None:
        # (time order key, the row as redecide reads it, its stored outcome, the new row)
        Entry = tuple[tuple[int, int], LoggedGrade, tuple[Any, ...], ImportedReview | None]
        entries: list[Entry] = []
        # dlcards's own re-drills stay re-drills (a session asked for them); imported rows are
        # decided by their day alone, every time
        for rid, day, grade, kind, anki_id, at, *outcome in c.execute(_LOG, (card_id,)):
            entries.append(
                (
                    (int(at), int(rid)),
                    LoggedGrade(rid, day_of(day, card_id, "reviews.day") or date.min, grade,
                                kind == "redrill" and anki_id is None),
                    (kind, *outcome),
                    None,
                )
            )  # fmt: skip
        unsaved = 1 << 62  # new rows get ids above every existing one
        for n, r in enumerate(new):
            key = (epoch_ms(r.reviewed_at), unsaved + n)
            entries.append((key, LoggedGrade(0, r.day, r.grade, False), (), r))
        entries.sort(key=lambda e: e[0])
        mark = c.execute(f"SELECT {RESET_MARK} FROM cards c WHERE c.id = ?", (card_id,)).fetchone()
        reset = (int(mark[0]), int(mark[1]))  # AFTER_RESET: a row's (at, id) above this pair
        early = [e for e in entries if e[0] <= reset]
        late = [e for e in entries if e[0] > reset]
        stored = memory_from(c.execute(SELECT_MEMORY, (card_id,)).fetchone(), card_id)
        # rows older than the reset point are decided among themselves, and only the new ones
        # are written; the card's memory is the replay of the rows after it
        if any(e[3] is not None for e in early):
            self._write_outcomes(c, early, redecide([e[1] for e in early], Memory()), False)
        outcomes = redecide([e[1] for e in late], stored)
        self._write_outcomes(c, late, outcomes, True)
        if outcomes and write_memory:
            put_memory(c, card_id, stored, outcomes[-1].after)

    @staticmethod
    def _write_outcomes(
        c: sqlite3.Connection,
        entries: Sequence[tuple[Any, LoggedGrade, tuple[Any, ...], ImportedReview | None]],
        outcomes: Sequence[Outcome],
        rewrite: bool,
    ) -> None:
        for (_, logged, stored, r), outcome in zip(entries, outcomes, strict=True):
            values = outcome_values(outcome.kind, outcome.before, outcome.after)
            if r is not None:
                review = ReviewRow(
                    0, r.card_id, outcome.kind, r.grade, r.day, r.reviewed_at, outcome.before,
                    outcome.after, seconds=r.seconds, anki_id=r.anki_id,
                )  # fmt: skip
                c.execute(INSERT_REVIEW, review_values(review))
            elif rewrite and values != stored:
                c.execute(UPDATE_OUTCOME, (*values, logged.id))
