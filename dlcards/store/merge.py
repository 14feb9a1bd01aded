"""Reviews done elsewhere (Anki) joining the log: which are new, and the merge that adds them and
re-decides each touched card's log in time order, in one transaction. The store decides
nothing: what a card's merged log means comes in as a function (`dlcards.grading.redecide`)."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Container, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from datetime import date
from operator import itemgetter
from typing import TYPE_CHECKING, Any

from dlcards.cores import cores, gc_paused
from dlcards.memory import Memory
from dlcards.store.connection import Connection, stored_settings_in
from dlcards.store.count import MARK_FSRS_LOG_STALE
from dlcards.store.rows import (
    BULK_COLUMNS,
    BULK_ROWS_PER_INSERT,
    FSRS_COLUMNS,
    INSERT_REVIEW,
    LEECH_FROM_LOG,
    NO_RESET,
    OUTCOME_COLUMNS,
    RESET_MARK,
    SELECT_MEMORY,
    SM2_COLUMNS,
    TIME_ORDER,
    UNLEECH_MARK,
    UPDATE_OUTCOME,
    UPDATE_SM2,
    UPSERT_FSRS,
    ImportedReview,
    ImportedReviews,
    LoggedGrade,
    change_seconds,
    day_of,
    fsrs_values,
    insert_reviews_sql,
    memory_from,
    new_memories,
    outcome_values,
    sm2_values,
)
from dlcards.store.schema import (
    add_days_after,
    add_days_sql,
    add_retention_after,
    add_retention_sql,
    epoch_ms,
)

if TYPE_CHECKING:
    from dlcards.grading import Outcome
    from dlcards.settings import Settings

Redecide = Callable[[Sequence[LoggedGrade], Memory], Sequence["Outcome"]]
"""Every row of a card's log (in time order) decided again, from its stored memory."""
RedecideMany = Callable[[Any, Any, Any], "dict[str, Any] | None"]
"""Many new cards' logs decided at once, `(starts, days, grades) -> columns`
(`dlcards.grading.redecide_many`), or None to decide card by card."""
MergeRules = Callable[["Settings"], "tuple[Redecide, RedecideMany | None]"]
"""A merge's re-decision (one card's log; many new cards' at once, or None) under the settings
read inside its transaction."""

_LOG = (
    f"SELECT r.id, r.day, r.grade, r.kind, r.anki_id, r.asked, r.at, r.leech, "
    f"{', '.join(OUTCOME_COLUMNS[1:])} "
    f"FROM reviews r WHERE r.card_id = ? ORDER BY {TIME_ORDER}"
)

_HELD = "SELECT anki_id FROM reviews WHERE anki_id IS NOT NULL"
_HELD_BETWEEN = "SELECT anki_id FROM reviews WHERE anki_id BETWEEN ? AND ? ORDER BY anki_id"


def _held_ids(c: sqlite3.Connection, anki_id: Any) -> Any:
    """Whether the log holds each of the Anki ids `anki_id` (an int64 array), as a bool array:
    the log's ids from the least to the greatest of them, read in order along their unique
    index, and each looked up by bisection. (A phone's 300,000 answers, imported before,
    against a log of 1,300,000 rows: every Anki id of the log into a list, then `np.isin`'s
    hash of them, 1.1 s; this 0.1 s.)"""
    import numpy as np

    if not len(anki_id):
        return np.zeros(0, bool)
    low, high = int(anki_id.min()), int(anki_id.max())
    held = np.fromiter((r[0] for r in c.execute(_HELD_BETWEEN, (low, high))), np.int64)
    if not len(held):
        return np.zeros(len(anki_id), bool)
    at = np.minimum(np.searchsorted(held, anki_id), len(held) - 1)
    return held[at] == anki_id


# whether a reset elsewhere at ? (ms) moves a card's reset point: its own point is earlier
_RESET_MOVES = f"({RESET_MARK.replace('c.', '')}) < (?, 0)"
# a card's reset point, and whether its log holds a review after that point and before a time
_POINT_AND_STUDIED = (
    f"SELECT {RESET_MARK.replace('c.', '')}, EXISTS (SELECT 1 FROM reviews r "
    f"WHERE r.card_id = cards.id AND (r.at, r.id) > ({RESET_MARK.replace('c.', 'cards.')}) "
    "AND r.at < ?) FROM cards WHERE id = ?"
)


def _times_of(rows: Sequence[ImportedReview], cards: Container[str]) -> dict[str, list[int]]:
    """The times (ms: each row's Anki id) of the rows of each card of `cards` among `rows`."""
    out: dict[str, list[int]] = {}
    if isinstance(rows, ImportedReviews):
        import numpy as np

        wanted = [i for i, cid in enumerate(rows.card_ids) if cid in cards]
        at = np.flatnonzero(np.isin(rows.card, np.array(wanted, np.int64)))
        for index, ms in zip(rows.card[at].tolist(), rows.anki_id[at].tolist(), strict=True):
            out.setdefault(rows.card_ids[index], []).append(ms)
        return out
    for row in rows:
        if row.card_id in cards:
            out.setdefault(row.card_id, []).append(row.anki_id)
    return out


def studied_before_reset(resets: Mapping[str, int], rows: Sequence[ImportedReview]) -> list[str]:
    """With no database yet (a dry run's import would make it): the cards of `resets` whose
    point the merge would move, those `rows` study before their reset."""
    times = _times_of(rows, resets.keys())
    return sorted(cid for cid, when in resets.items() if any(t < when for t in times.get(cid, ())))


def _resets_that_start_over(
    c: sqlite3.Connection, resets: Mapping[str, int], rows: Sequence[ImportedReview]
) -> dict[str, int]:
    """The resets of `resets` (card -> when, ms) that move a card's reset point and start it
    over: later than its point, with a review between the two, in the log or among `rows`
    (the reviews merged with them). Anki logs a Forget of a card never studied too (a new card
    stays new): that card starts nothing over, and was said to. A card the database does not
    hold yet (the import's sync adds it) has no point and no log."""
    times = _times_of(rows, resets.keys())
    out = {}
    for card_id, when in sorted(resets.items()):
        found = c.execute(_POINT_AND_STUDIED, (when, card_id)).fetchone()
        point, after, studied = found if found is not None else (-1, 0, 0)
        if (point, after) >= (when, 0):
            continue
        if studied or any(point <= ms < when for ms in times.get(card_id, ())):
            out[card_id] = when
    return out


class Merging(Connection):
    """The store's merge of reviews done elsewhere (a part of `Store`)."""

    @staticmethod
    def _unheld(c: sqlite3.Connection, rows: Iterable[ImportedReview]) -> list[ImportedReview]:
        """The rows whose Anki id the log does not hold yet (each once, its first row, in the
        rows' order). Rows given as columns (an import's) are looked up as the merge looks
        them up (`_held_ids`), and only the new ones made into rows: a dry run of a phone's
        300,000 answers, imported before, into a log of 1,300,000 asked twice, ~1 s each for
        a set of every Anki id of the log and ~0.75 s for making every row."""
        if isinstance(rows, ImportedReviews):
            import numpy as np

            new = np.flatnonzero(~_held_ids(c, rows.anki_id))
            _, first = np.unique(rows.anki_id[new], return_index=True)
            return [rows[i] for i in new[np.sort(first)].tolist()]
        held = {r[0] for r in c.execute(_HELD)}
        fresh: dict[int, ImportedReview] = {}
        for row in rows:
            if row.anki_id not in held:
                fresh.setdefault(row.anki_id, row)
        return list(fresh.values())

    def new_reviews(self, rows: Sequence[ImportedReview]) -> list[ImportedReview]:
        """The rows the log does not hold yet (what a merge would add once the decks are
        synced); reads only, for a dry run."""
        return self._call(lambda: self._unheld(self.conn, rows))

    def resets_to_move(
        self, resets: Mapping[str, int], rows: Sequence[ImportedReview] = ()
    ) -> list[str]:
        """The cards whose reset point a merge of `rows` with `resets` would move (those it
        would be later for, with a review before it: `_resets_that_start_over`), as
        `merge_reviews` decides it; a card the database does not hold yet (the import's sync
        adds it, with no reset point) too, when `rows` study it before. Reads only, for a
        dry run."""
        return self._call(lambda: list(_resets_that_start_over(self.conn, resets, rows)))

    def leech_changes(
        self,
        rows: Sequence[ImportedReview],
        rules: MergeRules,
        resets: Mapping[str, int] | None = None,
    ) -> dict[str, bool]:
        """The suspended flags a merge of `rows` would change by its leech decisions (card ->
        the flag it would get), decided card by card as `merge_reviews` decides them, with
        nothing written: for a dry run. A card the database does not hold yet is decided as
        the import's sync adds it, a new card. A card whose reset point the merge would move (a
        Forget in Anki) is decided from the moved point, as the merge decides it after moving
        the point (`_move_resets`): its rows before the point are left out of its leech."""
        moving = {cid: (resets or {})[cid] for cid in self.resets_to_move(resets or {}, rows)}

        def read() -> dict[str, bool]:
            c = self.conn
            redecide, redecide_many = rules(self._checked(stored_settings_in(c)))
            known = {r[0] for r in c.execute("SELECT id FROM cards")}
            by_card: dict[str, list[ImportedReview]] = {}
            for r in self._unheld(c, rows):
                by_card.setdefault(r.card_id, []).append(r)
            # a moved card with no new row is replayed from its new point too (the merge's
            # `_replay_from_resets`): a leech its rows before the point made may be taken back
            alone = [cid for cid in moving if cid in known and cid not in by_card]
            batch = _Batch.read(c, [*by_card, *alone])
            # a card the import's sync adds (a deck converted by --to-yaml, a deck new since
            # the last sync) as the sync adds it: new, no log, no reset point, its flag never
            # changed here and not suspended
            for card_id in by_card.keys() - known:
                batch.cards[card_id] = ((-1, 0), Memory())
            by_card.update((cid, []) for cid in alone if cid in batch.logs)
            ids = list(by_card)
            for card_id in moving.keys() & batch.cards.keys():
                _, memory = batch.cards[card_id]
                batch.cards[card_id] = ((moving[card_id], 0), memory)  # as _move_resets sets it
            for start in range(0, len(ids), BATCH_CARDS):  # as merge_reviews, unwritten
                part = ids[start : start + BATCH_CARDS]
                self._decide(c, part, by_card, batch, (redecide, redecide_many), False)
                batch.inserts, batch.rewrites, batch.sm2, batch.fsrs = [], [], [], []
            decided = {cid: bool(flag) for _, flag, cid in batch.flags if flag is not None}
            now = dict(c.execute("SELECT id, suspended FROM cards WHERE suspended = 1"))
            return {cid: flag for cid, flag in decided.items() if flag != (cid in now)}

        return self._call(read)

    def merge_reviews(
        self,
        rows: Sequence[ImportedReview],
        rules: MergeRules,
        resets: Mapping[str, int] | None = None,
        moved: list[str] | None = None,
    ) -> list[str]:
        """Add reviews done elsewhere to the log, in one transaction, and replay each card
        they touch: the card's log after its reset point, dlcards's reviews and the new ones in
        time order, is decided again by the `redecide` that `rules` gives for the settings read
        inside the transaction (the day's first grade schedules, the rest
        are re-drills); new rows are written with their outcome, older rows whose kind or
        memory columns changed are rewritten, and the card's memory is the last row's. Rows
        already in the log (same Anki id) are skipped, so merging the same rows twice adds
        nothing. `resets`: cards reset elsewhere (Anki's "Forget") and when (ms); a card's reset
        point moves there when that is later than its own, and the card is replayed from it
        (new, when no review comes after it), as after `dlcards reset`; the cards whose point
        moved are added to `moved` (when given). Returns the card id
        of each added row. The whole file is checked first, as
        before any write that reads the whole log: in a thread while the merge reads
        (`_write(whole_file=True)`); nothing is written before it has passed.

        In bulk: the touched cards' logs, reset points and memories are read first, a few
        hundred cards per query, and the writes go out with `executemany` every BATCH_CARDS cards;
        with `redecide_many`, the cards that have no log yet (at least MANY_ROWS rows of them
        in a batch) are decided all at once, the same decisions as `redecide`'s;
        when the merge adds many rows to a small log, the log's secondary indexes are dropped
        and built again after the inserts (one sort each instead of a b-tree insert per row)."""
        if isinstance(rows, ImportedReviews):
            return self._merge_columns(rows, rules, resets or {}, moved)
        # the whole log is read and may be rewritten: the whole file is checked (while the
        # merge reads, `_write`), and `guard_writes` waits for it before the first write
        with self._write(whole_file=True) as c, gc_paused(len(rows) >= BULK_ROWS):
            redecide, redecide_many = rules(self._settings_in(c))
            moved_now = self._move_resets(c, resets or {}, rows)
            known = {r[0] for r in c.execute("SELECT id FROM cards")}
            fresh = self._unheld(c, (r for r in rows if r.card_id in known))
            by_card: dict[str, list[ImportedReview]] = {}
            for r in fresh:
                by_card.setdefault(r.card_id, []).append(r)
            held = c.execute("SELECT count(*) FROM reviews").fetchone()[0]
            ids = list(by_card)
            # every touched card's log, reset point and memory, before anything is written
            # (each card's merge reads only its own, which no other card's writes change)
            batch = _Batch.read(c, ids)
            self.guard_writes()
            with bulk_indexes(c, rebuild=len(fresh) >= BULK_ROWS and len(fresh) > held):
                for start in range(0, len(ids), BATCH_CARDS):
                    part = ids[start : start + BATCH_CARDS]
                    self._decide(c, part, by_card, batch, (redecide, redecide_many), True)
                    batch.write(c)
            self._replay_from_resets(c, moved_now, redecide)
            if fresh or moved_now:  # rows without their FSRS state (`Store.fresh_fsrs_log`)
                c.execute(MARK_FSRS_LOG_STALE)
            if moved is not None:
                moved.extend(moved_now)
            return [r.card_id for r in fresh]

    def _merge_columns(
        self,
        rows: ImportedReviews,
        rules: MergeRules,
        resets: Mapping[str, int],
        moved: list[str] | None = None,
    ) -> list[str]:
        """`merge_reviews` for rows given as columns (`dlcards import anki`): the same rows
        added, decided and written, with the per-row work on NumPy arrays. Which rows are
        new (known card, Anki id not in the log, each id once) and each card's rows in time
        order are array operations (a row's time `at` is its Anki id: `reviewed_at` is that
        moment, `ImportedReviews`); the cards with no log whose new rows all come after
        their reset point are decided at once by `redecide_many` (when they have at least
        MANY_ROWS rows) and written column by column, many rows per INSERT; any other card
        (and every card when `redecide_many` declines) is merged by `_merge_card` as in
        `merge_reviews`."""
        import numpy as np

        with self._write(whole_file=True) as c, gc_paused(len(rows) >= BULK_ROWS):
            redecide, redecide_many = rules(self._settings_in(c))
            moved_now = self._move_resets(c, resets, rows)
            known = {r[0] for r in c.execute("SELECT id FROM cards")}
            ours = np.array([cid in known for cid in rows.card_ids] + [False], bool)
            anki_id = rows.anki_id
            new = np.flatnonzero(ours[rows.card] & ~_held_ids(c, anki_id))
            in_time_order = _rising(anki_id[new])  # (then each Anki id is there once)
            if not in_time_order:
                _, first = np.unique(anki_id[new], return_index=True)
                new = new[np.sort(first)]  # each Anki id once, its first row, in the given order
            card_ids = np.array(rows.card_ids + [""], object)
            added: list[str] = card_ids[rows.card[new]].tolist()
            # the cards in the order of their first new row; each card's rows in time order
            cards = _by_first_row(rows.card[new], len(rows.card_ids))
            rank = np.zeros(len(rows.card_ids), np.int64)
            rank[cards] = np.arange(len(cards))
            new = new[_card_order(rank[rows.card[new]], anki_id[new], in_time_order)]
            counts = np.bincount(rank[rows.card[new]], minlength=len(cards))
            starts = np.concatenate(([0], np.cumsum(counts)))
            ids: list[str] = card_ids[cards].tolist()
            held_count = c.execute("SELECT count(*) FROM reviews").fetchone()[0]
            batch = _Batch.read(c, ids)
            reset = np.array([batch.cards[i][0][0] if i in batch.cards else 0 for i in ids])
            fresh = np.array([i not in batch.logs and i in batch.cards for i in ids], bool)
            if len(new):
                fresh &= anki_id[new[starts[:-1]]] >= reset.astype(np.int64)
            rebuild = len(new) >= BULK_ROWS and len(new) > held_count
            self.guard_writes()  # the whole file's check, run while the above was read
            with bulk_indexes(c, rebuild) as bulk:
                many = counts[fresh].sum() >= MANY_ROWS
                if redecide_many is None or not many:
                    fresh[:] = False
                elif not batch.merge_columns(c, rows, new, starts, fresh, ids, redecide_many):
                    fresh[:] = False
                mark = c.execute("SELECT coalesce(max(id), 0) FROM reviews").fetchone()[0]
                bulk.checked = mark  # merge_columns checked its rows on the arrays
                for start in range(0, len(ids), BATCH_CARDS):
                    for k in range(start, min(start + BATCH_CARDS, len(ids))):
                        if not fresh[k]:
                            mine = [rows[i] for i in new[starts[k] : starts[k + 1]].tolist()]
                            self._merge_card(c, ids[k], mine, redecide, True, batch)
                    batch.write(c)
                if rebuild and batch.counts is not None and not batch.logs:
                    # no touched card had a log, so no row was rewritten: the counts of the
                    # new rows are the change (those of the rows decided at once from the
                    # arrays, those of the others, after `mark`, by the tallies' queries)
                    days, retention = batch.counts
                    _insert_columns(c, days, add_days_sql)
                    add_days_after(c.execute, mark)
                    _insert_columns(c, retention, add_retention_sql)
                    add_retention_after(c.execute, mark)
                    bulk.counted = True
            batch.write_fired(c)
            self._replay_from_resets(c, moved_now, redecide)
            if added or moved_now:  # rows without their FSRS state (`Store.fresh_fsrs_log`)
                c.execute(MARK_FSRS_LOG_STALE)
            if moved is not None:
                moved.extend(moved_now)
            return added

    def _decide(
        self,
        c: sqlite3.Connection,
        part: Sequence[str],
        by_card: Mapping[str, Sequence[ImportedReview]],
        batch: _Batch,
        rules: tuple[Redecide, RedecideMany | None],
        write_memory: bool,
    ) -> None:
        """The part's cards decided into `batch` (written by the caller, or not): the cards
        with no log at once (`merge_fresh`), the others card by card."""
        redecide, redecide_many = rules
        done = set()
        if redecide_many is not None:
            done = batch.merge_fresh(part, by_card, redecide_many)
        for card_id in part:
            if card_id not in done:
                self._merge_card(c, card_id, by_card[card_id], redecide, write_memory, batch)

    def _move_resets(
        self, c: sqlite3.Connection, resets: Mapping[str, int], rows: Sequence[ImportedReview]
    ) -> list[str]:
        """Each card's reset point moved to its reset elsewhere (ms) where that starts it
        over (`_resets_that_start_over`, with `rows` the reviews merged): the cards whose point
        moved, their leech mark cleared as `reset` clears it."""
        if not resets:
            return []
        starting_over = _resets_that_start_over(c, resets, rows)
        if not starting_over:
            return []
        self.guard_writes()  # nothing is written before the whole file's check has passed
        moved = []
        for card_id, when in starting_over.items():
            if c.execute(
                "UPDATE cards SET reset_at = ?, reset_after = 0, leech = 0 "
                f"WHERE id = ? AND {_RESET_MOVES}",
                (when, card_id, when),
            ).rowcount:
                moved.append(card_id)
        return moved

    def _replay_from_resets(
        self, c: sqlite3.Connection, moved: Sequence[str], redecide: Redecide
    ) -> None:
        """The cards whose reset point moved, replayed from it: their reviews after it decided
        again, and new memories for those with none after it. A card's leech mark (cleared
        when its point moved) follows its rows after the point: a row there that fired, and
        that the replay left firing, keeps the card a leech."""
        new_memories(c, [cid for cid in moved if not self._merge_card(c, cid, [], redecide)])
        mark = f"UPDATE cards SET leech = {LEECH_FROM_LOG} WHERE id = ?"
        c.executemany(mark, [(cid,) for cid in moved])

    def _merge_card(
        self,
        c: sqlite3.Connection,
        card_id: str,
        new: Sequence[ImportedReview],
        redecide: Redecide,
        write_memory: bool = True,
        batch: _Batch | None = None,
        undone: tuple[tuple[int, int], bool] | None = None,
    ) -> int:
        """Re-decide one card's log with `new` merged in. With `batch`, the card's log, reset
        point and memory come from it and the writes are added to it (written by the caller);
        without, they are read and written here. `undone`: the time order key (at, id) of a row
        just deleted from the log (an undo) and whether it began a span between resets (a row
        that started from a new card's memory after the card had been studied); a row before
        the reset point takes its span's later rows with it. Returns how many rows come after
        the card's reset point (none: its memory is left as it is)."""
        entries: list[_Entry] = []
        # the re-drills a study session asked for stay re-drills; other rows (imported ones,
        # and a grade the store made a re-drill because the card had been graded that day
        # already) are decided by their day alone, every time
        logged = c.execute(_LOG, (card_id,)) if batch is None else batch.logs.get(card_id, ())
        for rid, day, grade, kind, anki_id, asked, at, leech, *outcome in logged:
            entries.append(
                (
                    (int(at), int(rid)),
                    LoggedGrade(rid, day_of(day, card_id, "reviews.day") or date.min, grade,
                                kind == "redrill" and anki_id is None and asked != 0),
                    (kind, *outcome),
                    None,
                    leech,
                )
            )  # fmt: skip
        unsaved = 1 << 62  # new rows get ids above every existing one
        for n, r in enumerate(new):
            key = (epoch_ms(r.reviewed_at), unsaved + n)
            entries.append((key, LoggedGrade(0, r.day, r.grade, False), (), r, None))
        entries.sort(key=lambda e: e[0])
        out = _Batch() if batch is None else batch
        if batch is None:
            mark = c.execute(
                f"SELECT {RESET_MARK}, {UNLEECH_MARK}, c.suspended_changed FROM cards c "
                "WHERE c.id = ?",
                (card_id,),
            )
            reset_at, reset_after, unleech_at, unleech_after, changed = mark.fetchone()
            if changed is not None:
                out.changed[card_id] = int(changed)
            unleeched = (int(unleech_at), int(unleech_after))
            stored = memory_from(c.execute(SELECT_MEMORY, (card_id,)).fetchone(), card_id)
        else:
            (reset_at, reset_after), stored = batch.cards[card_id]
            unleeched = batch.unleeched.get(card_id, (NO_RESET, 0))
        reset = (int(reset_at), int(reset_after))  # AFTER_RESET: a row's (at, id) above this
        early = [e for e in entries if e[0] <= reset]
        late = [e for e in entries if e[0] > reset]
        # rows older than the reset point are decided among themselves, in time order, from
        # each earlier reset (`_spans_between_resets`): a span with new rows is decided again
        # and its old rows rewritten too (a review from Anki of 08:00 makes the grade given
        # here at 10:00 a re-drill there as well), with no leech; the card's memory is the
        # replay of the rows after the point
        # (an undone row there: its span's rows after it were decided with it, and are decided
        # again without it; when it began its span, from a new card's memory, as it started)
        gone = undone is not None and undone[0] <= reset
        spans = _spans_between_resets(early) if gone or any(e[3] is not None for e in early) else []
        for span in spans:
            if any(e[3] is not None for e in span):
                out.outcomes(span, redecide([e[1] for e in span], Memory()), leeches=False)
        if gone and undone is not None and spans:
            key, began = undone
            held = [s for s in spans if s[0][0] < key] or spans[:1]
            part = [e for e in held[-1] if e[0] > key] if began else held[-1]
            if part:
                out.outcomes(part, redecide([e[1] for e in part], Memory()), leeches=False)
        outcomes = redecide([e[1] for e in late], stored)
        # the rows at or before the card's unleech point (`dlcards unleech`) make no mark
        counted = [e[0] > unleeched for e in late]
        out.leech_flags(card_id, out.outcomes(late, outcomes, leeches=True), counted)
        if outcomes and write_memory:
            out.memory(card_id, stored, outcomes[-1].after)
        if batch is None:
            out.write(c)
        return len(outcomes)


_LAST_BEFORE = OUTCOME_COLUMNS.index("last_review_before")


def _spans_between_resets(early: Sequence[_Entry]) -> list[list[_Entry]]:
    """A card's rows before its reset point (time order) in the spans between its earlier
    resets, which the log keeps no point of: a logged row that started from a new card's
    memory (no last review before it) where the logged row before it left the card studied (a
    scheduled row, or one that started from a studied card) began after a reset, whatever its
    kind (a re-drill a session asked for stays one when the grade before it is undone, and is
    then the first row after the reset: a scheduled row alone missed it). (A new row lands in
    the span it follows in time.)"""
    spans: list[list[_Entry]] = []
    studied = False  # whether the logged row before left the card studied
    for entry in early:
        stored = entry[2]
        logged = entry[3] is None
        anew = logged and stored[_LAST_BEFORE] is None
        if not spans or (anew and studied):
            spans.append([])
        spans[-1].append(entry)
        if logged:  # (a new row lands in the span it follows)
            studied = stored[0] == "scheduled" or not anew
    return spans


_LAPSE_COLUMNS = tuple(OUTCOME_COLUMNS.index(c) for c in ("kind", "lapses_before", "lapses_after"))
_lapse = itemgetter(*_LAPSE_COLUMNS)
"""What of a row's OUTCOME_COLUMNS the leech rule decides from: its kind and its lapse."""

# (time order key (at, id), the row as redecide reads it, its stored outcome, the new row, its
# stored leech action)
_Entry = tuple[tuple[int, int], LoggedGrade, tuple[Any, ...], "ImportedReview | None", "str | None"]

BATCH_CARDS = 5_000  # cards whose writes go out together (and whose logs are read together)
MANY_ROWS = 2_000  # rows of cards with no log in a batch from which they are decided at once
BULK_CARDS = 10_000  # a first sync of at least this many cards builds their indexes after them
BULK_ROWS = 50_000  # a merge adding at least this many rows, more than the log holds, rebuilds
_READ_CHUNK = 500  # card ids per IN (...) list: under SQLite's default variable limit
_SCAN_CARDS = 10_000  # cards from which the read walks every card's row instead of IN lists
# The log's indexes a bulk merge drops and builds again: all of them (the merge reads the log
# before it writes; the Anki ids it adds are checked against the log's and each other first,
# and the unique index built again checks them once more).
_BULK_INDEXES = (
    "reviews_card_time",
    "reviews_day_kind_before",
    "reviews_anki_id",
)
_CARDS = (
    f"SELECT c.id, {RESET_MARK}, {UNLEECH_MARK}, c.suspended_changed, c.topic, "
    f"{', '.join(f's.{col}' for col in SM2_COLUMNS)}, "
    f"{', '.join(f'f.{col}' for col in FSRS_COLUMNS)} "
    "FROM cards c JOIN sm2 s ON s.card_id = c.id LEFT JOIN fsrs f ON f.card_id = c.id "
    "WHERE c.id IN ({})"
)
_LOGS = (
    f"SELECT r.card_id, r.id, r.day, r.grade, r.kind, r.anki_id, r.asked, r.at, r.leech, "
    f"{', '.join(OUTCOME_COLUMNS[1:])} FROM reviews r WHERE r.card_id IN ({{}}) "
    f"ORDER BY r.card_id, {TIME_ORDER}"
)


class _Batch:
    """The reads a merge needs for some cards, and the writes it decided for them."""

    def __init__(self) -> None:
        self.logs: dict[str, list[tuple[Any, ...]]] = {}
        self.cards: dict[str, tuple[tuple[Any, Any], Memory]] = {}
        self.inserts: list[tuple[Any, ...]] = []
        self.rewrites: list[tuple[Any, ...]] = []
        self.sm2: list[tuple[Any, ...]] = []
        self.fsrs: list[tuple[Any, ...]] = []
        # leech actions of logged rows re-decided (action, id), and cards' leech marks
        # (leech, suspended or None to leave it, card id)
        self.leeches: list[tuple[str | None, int]] = []
        self.flags: list[tuple[int, int | None, str]] = []
        # the leech actions of rows merge_columns inserted (action, Anki id), set after them
        self.fired: list[tuple[str, int]] = []
        # each card's last change of its suspended flag here, in Unix seconds (the cards that
        # have one): a leech older than it suspends nothing (`suspends`)
        self.changed: dict[str, int] = {}
        # each card's unleech point (at, id), the cards that have one (`dlcards unleech`)
        self.unleeched: dict[str, tuple[int, int]] = {}
        # each card's topic (read with its memory: `merge_columns` counts retention by topic)
        self.topics: dict[str, str] = {}
        # merge_columns's rows' counts in review_days and retention_days, as columns
        self.counts: tuple[list[Any], list[Any]] | None = None

    @classmethod
    def read(cls, c: sqlite3.Connection, card_ids: Sequence[str]) -> _Batch:
        """The cards' logs (time order), reset points and memories, a few queries in all."""
        batch = cls()
        # a memory row read once per distinct row (most are a new card's): the same checks
        memories: dict[tuple[Any, ...], Memory] = {}

        def add(rows: Iterable[Any], wanted: Container[str] | None = None) -> None:
            # a row is (id, reset point (2), unleech point (2), suspended_changed, topic,
            # memory...), taken by index and slice rather than unpacked into names and a list
            # (100,000 cards: 0.12-0.15 -> 0.09-0.10 s of Python)
            cards, topics, get = batch.cards, batch.topics, memories.get
            for row in rows:
                card_id = row[0]
                if wanted is not None and card_id not in wanted:
                    continue
                key = row[7:]
                made = get(key)
                if made is None:
                    made = memories[key] = memory_from(key, card_id)
                cards[card_id] = (row[1:3], made)
                topics[card_id] = row[6]
                if row[3] != NO_RESET:
                    batch.unleeched[card_id] = (int(row[3]), int(row[4]))
                if row[5] is not None:
                    batch.changed[card_id] = int(row[5])

        many = len(card_ids) >= _SCAN_CARDS  # then one walk of every card's row, kept or not
        if many:
            add(c.execute(_CARDS.replace(" WHERE c.id IN ({})", "")), set(card_ids))
        for start in range(0, len(card_ids), _READ_CHUNK):
            part = list(card_ids[start : start + _READ_CHUNK])
            marks = ",".join("?" * len(part))
            for card_id, *row in c.execute(_LOGS.format(marks), part):
                batch.logs.setdefault(card_id, []).append(tuple(row))
            if not many:
                add(c.execute(_CARDS.format(marks), part))
        return batch

    def outcomes(
        self, entries: Sequence[_Entry], outcomes: Sequence[Outcome], leeches: bool
    ) -> list[tuple[str | None, str | None, int]]:
        """New rows to insert with their outcome, older rows whose stored outcome differs
        from the new one to update, and with `leeches` (rows after the card's reset point)
        each row's leech action decided: a row whose lapse is new or changed (its kind, or the
        lapse count before and after it, the leech rule's inputs) is decided as a grade is (a
        lapse that reaches the threshold fires the rule; a row that fired before keeps the
        action it carried out), one whose lapse is unchanged keeps its own, whatever else of
        its outcome changed (the FSRS state a scheduler switch or a new retention gives): a
        `leech_threshold` changed since is not applied to lapses given before it. Rows before
        the reset point make no leech. Returns each row's (stored, decided) action and its
        time (ms)."""
        actions = []
        for (key, logged, stored, r, was), outcome in zip(entries, outcomes, strict=True):
            values = outcome_values(outcome.kind, outcome.before, outcome.after)
            if not leeches:
                leech = was
            elif r is not None or _lapse(values) != _lapse(stored):
                leech = None if outcome.leech is None else was or outcome.leech
            else:
                leech = was
            if r is not None:
                # INSERT_REVIEW's columns, as review_values gives them for this row
                self.inserts.append(
                    (r.card_id, None, r.reviewed_at, r.day.isoformat(), r.grade, values[0],
                     r.seconds, *values[1:], key[0], r.anki_id, leech, None)
                )  # fmt: skip
            else:
                if values != stored:
                    self.rewrites.append((*values, logged.id))
                if leech != was:
                    self.leeches.append((leech, logged.id))
            actions.append((was, leech, key[0]))
        return actions

    def leech_flags(
        self,
        card_id: str,
        actions: Sequence[tuple[str | None, str | None, int]],
        counted: Sequence[bool] | None = None,
    ) -> None:
        """The card's leech mark after its log (after its reset point) was decided again, when
        a row's leech action changed (`outcomes`' triples): a leech when a row still fires
        among the rows `counted` (all when None; those after the card's unleech point);
        suspended when a row newly fires `suspend` and is newer than the learner's last change
        of the card's flag here (`suspends`), and no longer when a row that did is taken back
        and no row still fires `suspend` (as `undo` takes back a leech's suspension; a row
        firing `tag`, the action set since, does not keep it)."""
        if all(was == now for was, now, _ in actions):
            return
        marking = (
            actions if counted is None else [a for a, n in zip(actions, counted, strict=True) if n]
        )
        leech = any(now is not None for _, now, _ in marking)
        fired = [at for was, now, at in marking if now == "suspend" and was is None]
        if fired and self.suspends(card_id, max(fired)):
            suspended: int | None = 1
        elif fired:
            suspended = None
        elif any(was == "suspend" and now is None for was, now, _ in actions) and not any(
            now == "suspend" for _, now, _ in actions
        ):
            suspended = 0
        else:
            suspended = None
        self.flags.append((int(leech), suspended, card_id))

    def suspends(self, card_id: str, at_ms: int) -> bool:
        """Whether a leech made by a review at `at_ms` suspends the card: unless the learner
        changed its flag here after that review (an `unsuspend` of the leech, say). Reviews
        merged in from Anki can move a leech onto an older review, already behind a later
        unsuspend: the newer change wins, as between the two sides' flags."""
        changed = self.changed.get(card_id)
        return changed is None or at_ms // 1000 > changed

    def merge_fresh(
        self,
        card_ids: Sequence[str],
        new: Mapping[str, Sequence[ImportedReview]],
        redecide_many: RedecideMany,
    ) -> set[str]:
        """Decide at once the rows of the cards that have no log and whose new rows all come
        after their reset point (then a card's log is its new rows alone, in time order, from
        a new card's memory), and add their writes; returns the cards done (none when there
        are too few rows to be worth it or `redecide_many` declines)."""
        fresh: list[str] = []
        rows: list[ImportedReview] = []
        at: list[int] = []
        starts = [0]
        for card_id in card_ids:
            if card_id in self.logs or card_id not in self.cards:
                continue
            ours = new[card_id]
            times = [epoch_ms(r.reviewed_at) for r in ours]
            (reset_at, _), _ = self.cards[card_id]
            if min(times) < int(reset_at):
                continue
            if any(a > b for a, b in zip(times, times[1:], strict=False)):
                # time order, ties in the given order (as the entries' (at, n) keys)
                order = sorted(range(len(ours)), key=lambda i: (times[i], i))
                ours, times = [ours[i] for i in order], [times[i] for i in order]
            fresh.append(card_id)
            rows += ours
            at += times
            starts.append(len(rows))
        if len(rows) < MANY_ROWS:
            return set()
        days = [r.day.toordinal() for r in rows]
        cols = redecide_many(starts, days, [r.grade for r in rows])
        if cols is None:
            return set()
        iso_of = _iso_days(
            days, cols["due_before"], cols["due_after"], cols["last_before"],
            cols["final"]["due"], cols["final"]["last_review"],
        )  # fmt: skip
        day_iso, due_b, due_a, last_b, final_due, final_last = iso_of
        kinds = ["scheduled" if s else "redrill" for s in cols["scheduled"].tolist()]
        nothing = [None] * len(rows)
        leeches = nothing
        if cols["leech"].any():
            action = cols["leech_action"]
            leeches = [action if f else None for f in cols["leech"].tolist()]
            self._fired_cards(fresh, starts, cols["leech"], action, at)
        self.inserts += zip(
            [r.card_id for r in rows], nothing, [r.reviewed_at for r in rows], day_iso,
            [r.grade for r in rows], kinds, [r.seconds for r in rows],
            cols["ef_before"].tolist(), cols["ef_after"].tolist(),
            cols["interval_before"].tolist(), cols["interval_after"].tolist(), due_b, due_a,
            cols["reps_before"].tolist(), cols["reps_after"].tolist(),
            cols["lapses_before"].tolist(), cols["lapses_after"].tolist(), last_b, nothing, at,
            [r.anki_id for r in rows], leeches, nothing, strict=True,
        )  # fmt: skip
        final = cols["final"]
        for card_id, ef, reps, interval, due, lapses, last in zip(
            fresh, final["ef"].tolist(), final["repetitions"].tolist(),
            final["interval"].tolist(), final_due, final["lapses"].tolist(), final_last,
            strict=True,
        ):  # fmt: skip
            after = (ef, reps, interval, due, lapses, last)
            if after != sm2_values(self.cards[card_id][1].sm2):
                self.sm2.append((*after, card_id))
        return set(fresh)

    def merge_columns(
        self,
        c: sqlite3.Connection,
        rows: ImportedReviews,
        new: Any,
        starts: Any,
        fresh: Any,
        ids: Sequence[str],
        redecide_many: RedecideMany,
    ) -> bool:
        """`merge_fresh` on columns: the rows `new[starts[k]:starts[k + 1]]` (time order) of
        each card `ids[k]` that is `fresh` (no log, every new row after its reset point) decided
        at once and inserted, and the card's SM-2 memory updated when it changed; False (and
        nothing written) when `redecide_many` declines."""
        import numpy as np

        from dlcards.sm2 import NO_DAY

        counts = np.diff(starts)
        take = new[np.repeat(fresh, counts)]
        mine = np.concatenate(([0], np.cumsum(counts[fresh])))
        days = rows.day[take]
        cols = redecide_many(mine, days, rows.grade[take])
        if cols is None:
            return False
        final = cols["final"]
        iso = _iso_columns(
            [days, cols["due_before"], cols["due_after"], cols["last_before"], final["due"],
             final["last_review"]], NO_DAY,
        )  # fmt: skip
        day_iso, due_before, due_after, last_before, due, last = iso
        done = [ids[k] for k in np.flatnonzero(fresh).tolist()]
        # each card's SM-2 row after its rows, made by zip (no day: NULL), against its stored
        # one, whose values are made once per distinct state (`read` shares one memory
        # between the cards of the same row: most are a new card's). 80,000 cards: a loop
        # that made and compared each card's values, 0.085 s; this 0.068 s (medians of 7).
        stored = [self.cards[card_id][1].sm2 for card_id in done]
        values_of = {id(state): sm2_values(state) for state in stored}
        due_or_none: Any = np.where(final["due"] == NO_DAY, None, due)
        last_or_none: Any = np.where(final["last_review"] == NO_DAY, None, last)
        after = zip(
            final["ef"].tolist(), final["repetitions"].tolist(), final["interval"].tolist(),
            due_or_none.tolist(), final["lapses"].tolist(), last_or_none.tolist(), strict=True,
        )  # fmt: skip
        self.sm2 += [
            (*values, card_id)
            for values, state, card_id in zip(after, stored, done, strict=True)
            if values != values_of[id(state)]
        ]
        kinds = np.array(["redrill", "scheduled"], object)[cols["scheduled"].astype(np.int64)]
        grades = rows.grade[take]
        if len(grades) and (grades.min() < 0 or grades.max() > 5):
            # the log's check (`schema.REVIEW_CHECK`) of these rows, on the arrays: a grade
            # 0..5 (a kind is one of the two above); `bulk_indexes` checks the later rows
            raise sqlite3.IntegrityError("invalid review row")
        seconds = rows.seconds[take]
        column = {
            "card_id": np.array(rows.card_ids, object)[rows.card[take]],
            "reviewed_at": np.array(rows.reviewed_at, object)[take],
            "day": day_iso,
            "grade": grades,
            "kind": kinds,
            "seconds": np.where(np.isnan(seconds), -1.0, seconds),
            "due_before": due_before,
            "due_after": due_after,
            "last_review_before": last_before,
            "at": rows.anki_id[take],  # and its anki_id (`rows._BULK_SAME`)
            "ef_before": cols["ef_before"],
            "ef_after": cols["ef_after"],
            "interval_before": cols["interval_before"],
            "interval_after": cols["interval_after"],
            "reps_before": cols["reps_before"],
            "reps_after": cols["reps_after"],
            "lapses_before": cols["lapses_before"],
            "lapses_after": cols["lapses_after"],
        }
        _insert_columns(c, [column[name] for name in BULK_COLUMNS], insert_reviews_sql)
        if cols["leech"].any():  # few rows: each set by its Anki id after the inserts
            action = cols["leech_action"]
            self.fired += [(action, a) for a in column["at"][cols["leech"]].tolist()]
            self._fired_cards(done, mine, cols["leech"], action, column["at"])
        # (read with the memories, one walk of the cards' rows less: with the read, 100,000
        # cards, 0.51 -> 0.46 s)
        topic = np.array([self.topics[i] for i in done], object)
        retention = _retention_counts(
            np.repeat(np.arange(len(done)), np.diff(mine)), topic, days, cols["last_before"],
            grades, cols["scheduled"],
        )  # fmt: skip
        self.counts = _day_counts(days, grades, cols["scheduled"]), retention
        return True

    def _fired_cards(
        self, card_ids: Sequence[str], starts: Any, fired: Any, action: str, at: Any
    ) -> None:
        """The cards (`card_ids`, whose rows begin at `starts`) that rows `fired` (a bool array
        over the rows, at the times `at` in ms) made leeches: marked, and suspended when
        `action` says so and the row is newer than the card's last flag change (`suspends`)."""
        import numpy as np

        counts: Any = np.diff(np.asarray(starts, np.int64))
        card = np.repeat(np.arange(len(card_ids)), counts)
        times = np.asarray(at, np.int64)
        for k in np.unique(card[fired]).tolist():
            latest = int(times[(card == k) & np.asarray(fired, bool)].max())
            hold = action == "suspend" and self.suspends(card_ids[k], latest)
            self.flags.append((1, 1 if hold else None, card_ids[k]))

    def memory(self, card_id: str, before: Memory, after: Memory) -> None:
        """The card's memory to write: the parts that changed (as put_memory)."""
        if after.sm2 != before.sm2:
            self.sm2.append((*sm2_values(after.sm2), card_id))
        if after.fsrs != before.fsrs:
            self.fsrs.append((card_id, *fsrs_values(after.fsrs)))

    def write(self, c: sqlite3.Connection) -> None:
        """The writes decided so far. The memories in the order of their card ids, the order
        of the memory tables' keys: one walk of the key's index and few table pages per
        batch, instead of a page read (and spilled again) per card in the cards' merge order
        (80,000 SM-2 rows: 0.57 -> 0.25 s). A card's memory is written once per batch, so
        the order changes no row; the sort is stable all the same."""
        if self.inserts:
            c.executemany(INSERT_REVIEW, self.inserts)
        if self.rewrites:
            c.executemany(UPDATE_OUTCOME, self.rewrites)
        if self.sm2:
            self.sm2.sort(key=itemgetter(-1))
            c.executemany(UPDATE_SM2, self.sm2)
        if self.fsrs:
            self.fsrs.sort(key=itemgetter(0))
            c.executemany(UPSERT_FSRS, self.fsrs)
        if self.leeches:
            c.executemany("UPDATE reviews SET leech = ? WHERE id = ?", self.leeches)
        if self.flags:
            # a leech's suspension is a change made now, by this import: newer than Anki's
            # state of the card, which `follow_suspensions` then leaves as it is
            at = change_seconds(None)
            c.executemany(
                "UPDATE cards SET leech = :leech, suspended = coalesce(:suspended, suspended), "
                "suspended_changed = CASE WHEN coalesce(:suspended, suspended) != suspended "
                "THEN :at ELSE suspended_changed END WHERE id = :id",
                [
                    {"leech": leech, "suspended": suspended, "at": at, "id": cid}
                    for leech, suspended, cid in self.flags
                ],
            )
        self.inserts, self.rewrites, self.sm2, self.fsrs = [], [], [], []
        self.leeches, self.flags = [], []

    def write_fired(self, c: sqlite3.Connection) -> None:
        """The leech actions of the rows `merge_columns` inserted, by their Anki ids (after
        the log's indexes are built again, when a bulk merge dropped them)."""
        if self.fired:
            c.executemany("UPDATE reviews SET leech = ? WHERE anki_id = ?", self.fired)
            self.fired = []


def _iso_days(*columns: Any) -> list[list[str | None]]:
    """Columns of day ordinals (NO_DAY for none) as ISO days, each distinct day formatted
    once."""
    from dlcards.sm2 import NO_DAY

    text: dict[int, str | None] = {NO_DAY: None}
    out = []
    for column in columns:
        values = column if isinstance(column, list) else column.tolist()
        for day in set(values) - text.keys():
            text[day] = date.fromordinal(day).isoformat()
        out.append([text[day] for day in values])
    return out


def _iso_columns(columns: Sequence[Any], none: int) -> list[Any]:
    """Arrays of day ordinals as object arrays of ISO days ('' for `none`), each distinct day
    formatted once. The days present are marked in a table that spans the first to the last
    (one pass over each column, no sort) and only those are formatted; each column is then one
    gather from the table. (np.unique per column sorted each: 7 columns of 1M rows, 0.43 s.)
    A span much wider than the rows (a day far off) goes through np.unique instead."""
    import numpy as np

    arrays = [np.asarray(column, np.int64) for column in columns]
    real = [a[a != none] for a in arrays]
    days = [r for r in real if len(r)]
    if not days:
        return [np.full(len(a), "", object) for a in arrays]
    low = min(int(r.min()) for r in days)
    span = max(int(r.max()) for r in days) - low + 1
    if span > max(4 * sum(len(a) for a in arrays), 1 << 16):
        return [_iso_unique(a, none) for a in arrays]
    present = np.zeros(span + 1, bool)  # [0] stands for `none`, [1 + d - low] for day d
    for r in days:
        present[r - (low - 1)] = True
    table = np.full(span + 1, "", object)
    at = np.flatnonzero(present[1:]) + 1
    table[at] = [date.fromordinal(d).isoformat() for d in (at + (low - 1)).tolist()]
    return [table[np.where(a == none, 0, a - (low - 1))] for a in arrays]


def _iso_unique(ordinals: Any, none: int) -> Any:
    """`_iso_columns` of one column through its distinct values (np.unique)."""
    import numpy as np

    days, where = np.unique(ordinals, return_inverse=True)
    text = [date.fromordinal(d).isoformat() if d != none else "" for d in days.tolist()]
    return np.array(text, object)[where]


def _day_counts(day: Any, grade: Any, scheduled: Any) -> list[Any]:
    """`review_days`'s counts of some log rows (`schema.TALLY_DAYS_SQL` on arrays): per day,
    the rows, the scheduled ones, and the scheduled ones passed (grade 3 or more). As columns
    (day, reviews, scheduled, passed), in day order. (The tally's query over the 1,000,000
    rows an import adds: 0.17 s.)"""
    import numpy as np

    from dlcards.sm2 import NO_DAY

    distinct, where = _distinct(day)
    scheduled = np.asarray(scheduled, bool)
    size = len(distinct)
    passed = scheduled & (grade >= 3)
    return [
        _iso_columns([distinct], NO_DAY)[0], np.bincount(where, minlength=size),
        np.bincount(where[scheduled], minlength=size), np.bincount(where[passed], minlength=size),
    ]  # fmt: skip


def _distinct(values: Any) -> tuple[Any, Any]:
    """`np.unique(values, return_inverse=True)` of an int64 array, flat: the distinct values in
    order and each value's place among them. Values that span few more numbers than there are
    values (days) are marked in a table of that span, which is numbered: no sort (1,000,000
    days in the merge's order, card by card: 0.06 -> 0.01 s)."""
    import numpy as np

    if not len(values):
        return np.array([], np.int64), np.array([], np.int64)
    low = int(values.min())
    span = int(values.max()) - low + 1
    if span > max(4 * len(values), 1 << 16):
        distinct, where = np.unique(values, return_inverse=True)
        return distinct, where.ravel()
    present = np.zeros(span, bool)
    present[values - low] = True
    return np.flatnonzero(present) + low, (np.cumsum(present) - 1)[values - low]


def _rising(values: Any) -> bool:
    """Whether an array's values rise strictly (so each is there once)."""
    return bool((values[1:] > values[:-1]).all())


def _card_order(rank: Any, times: Any, in_time_order: bool) -> Any:
    """The order of rows by their card (`rank`, ints from 0), each card's rows in time order
    (`times`): when the rows are in time order already, a stable sort by card alone, as two
    passes of NumPy's radix sort of 16 bits (1,000,000 rows: lexsort 0.058 -> 0.017 s)."""
    import numpy as np

    if not in_time_order or (len(rank) and int(rank.max()) >= 1 << 32):
        return np.lexsort((times, rank))
    low = np.argsort(rank.astype(np.uint16), kind="stable")
    return low[np.argsort((rank[low] >> 16).astype(np.uint16), kind="stable")]


def _by_first_row(keys: Any, size: int) -> Any:
    """The distinct values of `keys` (ints in 0..size-1) in the order of their first place:
    np.unique's `return_index` sorted, with no sort of the keys (1,000,000 rows' cards:
    0.07 -> 0.01 s)."""
    import numpy as np

    first = np.full(size, len(keys), np.int64)
    np.minimum.at(first, keys, np.arange(len(keys)))
    present = np.flatnonzero(first < len(keys))
    return present[np.argsort(first[present])]


def _retention_counts(
    card: Any, topic: Any, day: Any, last_before: Any, grade: Any, scheduled: Any
) -> list[Any]:
    """`retention_days`'s counts of some log rows (`schema.TALLY_RETENTION_SQL` on arrays):
    per (topic of the row's card, mature, passed, day), the scheduled rows of cards reviewed
    before; mature when the day is 21 or more days after the last review (julianday's
    difference of two dates is that of their ordinals). `card` indexes `topic`. As columns
    (topic, mature, passed, day, reviews), in the order of that key."""
    import numpy as np

    from dlcards.sm2 import NO_DAY

    names, code = np.unique(np.asarray(topic, str), return_inverse=True)
    counted = scheduled & (last_before != NO_DAY)
    mature = (day - last_before >= 21).astype(np.int64)
    passed = (grade >= 3).astype(np.int64)
    key = ((code.ravel()[card] * 2 + mature) * 2 + passed) << 23 | day  # ordinals < 2**22
    keys, n = np.unique(key[counted], return_counts=True)
    group = keys >> 23
    return [
        names[group >> 2], (group >> 1) & 1, group & 1,
        _iso_columns([keys & ((1 << 23) - 1)], NO_DAY)[0], n,
    ]  # fmt: skip


_INSERT_CHUNK = 50_000  # rows whose values are flattened at a time (memory)


def _insert_columns(
    c: sqlite3.Connection, columns: Sequence[Any], sql_for: Callable[[int], str]
) -> None:
    """Insert rows given as arrays of the same length, one per value a row binds (for the
    log: BULK_COLUMNS), BULK_ROWS_PER_INSERT rows per statement `sql_for(rows)` (a statement
    per row costs as much as its values: 281,000 counts of `retention_days`, 0.36-0.47 ->
    0.18-0.20 s). A chunk's rows are a table of Python objects (NumPy's cast to `object`
    makes the same ints, floats and strs as `tolist`), whose rows, laid end to end, give each
    statement's values by one `tolist` of a slice: 1,000,000 rows of the log's 18 values,
    0.44-0.48 -> 0.34-0.39 s of Python before the binds, against a list of each chunk's
    values filled column by column with a stride and sliced per statement."""
    import numpy as np

    width, per, n = len(columns), BULK_ROWS_PER_INSERT, len(columns[0])
    sql, step = sql_for(per), per * width
    for start in range(0, n, _INSERT_CHUNK):
        end = min(start + _INSERT_CHUNK, n)
        table = np.empty((end - start, width), object)
        for k, column in enumerate(columns):
            table[:, k] = column[start:end]
        flat = table.reshape(-1)  # (a view: the rows end to end)
        whole = (end - start) // per * step
        c.executemany(sql, (flat[i : i + step].tolist() for i in range(0, whole, step)))
        if whole < len(flat):
            tail = flat[whole:].tolist()
            c.executemany(sql_for(1), (tail[i : i + width] for i in range(0, len(tail), width)))


def sort_threads(c: sqlite3.Connection) -> None:
    """Let SQLite sort with helper threads, one per core (at most 4), for the indexes a bulk
    write builds again: CREATE INDEX sorts the whole table, and its sorter splits the work
    between threads only when asked. Building the log's three indexes over 1,000,000 rows on 2
    cores: 2.0 -> 1.4 s (threads=0 vs 2; 4 threads were slower there, 1.6 s)."""
    c.execute(f"PRAGMA threads = {min(cores(), 4)}")


class Bulk:
    """What a block in `bulk_indexes` did that its end needs to know."""

    counted = False  # the added rows are counted in `review_days` and `retention_days` already
    checked = 0  # the rows up to this id were checked as `schema.REVIEW_CHECK` checks a row


@contextmanager
def bulk_indexes(c: sqlite3.Connection, rebuild: bool) -> Iterator[Bulk]:
    """With `rebuild`, the log's secondary indexes (_BULK_INDEXES) and the memories' are
    dropped for the block and created again, from their own definitions, after it (one sort
    each instead of a b-tree insert or move per row: every memory changes as its log is
    merged); the statistics' tallies are not kept row by row by their triggers but made again
    from the log and the memories after it (`schema.fill_tallies`, `fill_memory_tally`,
    `fill_fsrs_tally`,
    `fill_due_tally`); and the log's check of each new row (`schema.REVIEW_CHECK`, a trigger
    run per row) is one query over the rows added (those after `Bulk.checked`: the block's
    writer checked those up to it), which rolls the whole block back as the trigger would.
    All in the caller's transaction."""
    bulk = Bulk()
    if not rebuild:
        yield bulk
        return
    from dlcards.store.schema import (
        DUE_TRIGGERS,
        MEMORY_TRIGGERS,
        REVIEW_CHECK,
        REVIEW_CHECK_FAILS,
        TALLY_TRIGGERS,
        fill_due_tally,
        fill_fsrs_tally,
        fill_memory_tally,
        fill_tallies,
        fsrs_tally_triggers,
    )

    marks = ",".join("?" * len(_BULK_INDEXES))
    sqls = c.execute(
        f"SELECT name, sql FROM sqlite_master WHERE type = 'index' AND (name IN ({marks}) "
        "OR tbl_name IN ('sm2', 'fsrs') AND sql IS NOT NULL)",
        _BULK_INDEXES,
    ).fetchall()
    for name, _ in sqls:
        c.execute(f'DROP INDEX "{name}"')
    sort_threads(c)
    check = c.execute(
        "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = ?",
        (REVIEW_CHECK.split()[2],),
    ).fetchall()
    for trigger in (
        *TALLY_TRIGGERS,
        *MEMORY_TRIGGERS,
        *fsrs_tally_triggers(),
        *DUE_TRIGGERS,
        REVIEW_CHECK,
    ):
        c.execute(f"DROP TRIGGER IF EXISTS {trigger.split()[2]}")
    last = c.execute("SELECT coalesce(max(id), 0) FROM reviews").fetchone()[0]
    yield bulk
    if c.execute(
        f"SELECT 1 FROM reviews WHERE id > ? AND ({REVIEW_CHECK_FAILS}) LIMIT 1",
        (max(last, bulk.checked),),  # (1,000,000 rows checked on arrays: 0.13 s of query)
    ).fetchone():
        raise sqlite3.IntegrityError("invalid review row")
    for (sql,) in check:
        c.execute(sql)
    for _, sql in sqls:
        c.execute(sql)
    fill_tallies(c.execute, from_log=not bulk.counted)
    fill_memory_tally(c.execute)
    fill_fsrs_tally(c.execute)
    fill_due_tally(c.execute)


CARD_TABLES = ("cards", "sm2", "fsrs")

BULK_CACHE = -64 * 1024
"""The page cache (`PRAGMA cache_size`, negative: KiB) while `bulk_cards` fills the card
tables: SQLite's default of 2 MB spills the transaction's pages as they are made and reads
them back to merge the search index's segments and to sort each index. A first sync of
bench's 100,000 cards, the writing process: 2.77 -> 2.49 CPU s (3 runs each), peak RSS
197 -> 260 MB (32 MB: 2.60 s, 229 MB); the index builds alone 0.55 -> 0.39 s (medians of 5,
alternating): the cache also bounds what CREATE INDEX sorts in memory before it spills to
temporary files. The connection's own size again after the block. (A first sync that builds
the database beside its path, `Store.build`, and one into a file made by another command
both fill it here.)"""


@contextmanager
def bulk_cards(c: sqlite3.Connection, rebuild: bool) -> Iterator[None]:
    """With `rebuild`, for filling card tables that hold no card and a log that holds no row (a
    first sync): the secondary indexes and triggers of the cards and their memories are
    dropped for the block and made again from their own definitions after it, and the tally
    of due dates is made from the rows (the other tallies count reviews: there are none).
    One sort per index instead of a b-tree insert and a trigger per row: 100,000 cards,
    3.5 -> 1.2 s. All in the caller's transaction."""
    if not rebuild:
        yield
        return
    from dlcards.store.schema import fill_due_tally

    marks = ",".join("?" * len(CARD_TABLES))
    made = c.execute(
        f"SELECT type, name, sql FROM sqlite_master WHERE tbl_name IN ({marks}) "
        "AND type IN ('index', 'trigger') AND sql IS NOT NULL",
        CARD_TABLES,
    ).fetchall()
    for kind, name, _ in made:
        c.execute(f'DROP {kind.upper()} "{name}"')
    sort_threads(c)
    hashsize = _fts_hashsize(c, FTS_BULK_HASHSIZE)
    cache = c.execute("PRAGMA cache_size").fetchone()[0]
    c.execute(f"PRAGMA cache_size = {BULK_CACHE}")
    try:
        yield
        _fts_hashsize(c, hashsize)
        for _, _, sql in made:
            c.execute(sql)
        fill_due_tally(c.execute)
    finally:  # not part of the transaction: the connection's own size, whatever happened
        with suppress(sqlite3.ProgrammingError):  # (a closed connection has no cache left)
            c.execute(f"PRAGMA cache_size = {int(cache)}")


FTS_BULK_HASHSIZE = 32 << 20
"""The search index's buffer of pending terms in a bulk write: FTS5 writes a segment each time
its buffer (1 MB by default) fills and merges them as they pile up. 100,000 cards' text (38 MB)
in 32 MB segments: 1.0-1.3 -> 0.7 s."""
FTS_HASHSIZE = 1 << 20  # FTS5's default


def _fts_hashsize(c: sqlite3.Connection, size: int | None) -> int | None:
    """Set the search index's buffer of pending terms (`hashsize`, kept in its config table in
    the caller's transaction; None: FTS5's default, no row); the size it had."""
    row = c.execute("SELECT v FROM card_search_config WHERE k = 'hashsize'").fetchone()
    c.execute(
        "INSERT INTO card_search (card_search, rank) VALUES ('hashsize', ?)",
        (FTS_HASHSIZE if size is None else size,),
    )
    if size is None:  # the default again (as set just now), and the table as it was
        c.execute("DELETE FROM card_search_config WHERE k = 'hashsize'")
    return None if row is None else int(row[0])
