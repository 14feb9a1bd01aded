"""The store's reads and writes (`Store`), as the package `dlcards.store` gives them."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from contextlib import ExitStack, suppress
from datetime import date, datetime
from functools import partial
from typing import TYPE_CHECKING, Any, NamedTuple

from dlcards.errors import StoreError
from dlcards.memory import EF_START, Memory
from dlcards.paths import default_db
from dlcards.store import actions
from dlcards.store.connection import (
    BUSY_TIMEOUT_S,
    CARD_FLAGS,
    DOCTOR,
    MEMORY_TABLES,
    NEW_CARD_TABLES,
    SESSION_TABLES,
    SYNC_TABLES,
    UPSERT_META,
    DiskFullError,
    FileGoneError,
    LockedError,
    existing_file,
    stored_settings_in,
)
from dlcards.store.count import (
    FSRS_LOG_STALE,
    MARK_FSRS_LOG_STALE,
    OBSERVED_KEY,
    REDRILLS_OWED_FROM,
    observed_value,
)
from dlcards.store.merge import BULK_CARDS, BULK_ROWS, Merging, Redecide, bulk_cards, bulk_indexes
from dlcards.store.reports import LATER_BINDS, Reports, due_as_of, due_table, later_join
from dlcards.store.rows import (
    AFTER_RESET,
    ALL_MEMORIES,
    DECK_STRIDE,
    FSRS_COLUMNS,
    INSERT_REVIEW,
    LEECH_FROM_LOG,
    NO_RESET,
    RESET_MARK,
    REVIEW_COLUMNS,
    SELECT_MEMORY,
    SM2_COLUMNS,
    SUSPENSION_CHANGED,
    TIME_ORDER,
    UNLEECH_MARK,
    UPDATE_SM2,
    UPSERT_FSRS,
    CardFlags,
    DayCount,
    DeckPart,
    Digests,
    ExportedNote,
    ImportedReview,
    ImportedReviews,
    Leech,
    LogEntry,
    LoggedGrade,
    Premade,
    RetentionRow,
    ReviewRow,
    SearchHit,
    StatsRow,
    Suspension,
    SyncResult,
    TopicCounts,
    Unsuspended,
    card_digests,
    change_seconds,
    day_of,
    edit_kept,
    edit_time,
    fsrs_values,
    grade_of,
    memory_from,
    new_memories,
    put_memory,
    review_values,
    search_fields,
    sm2_values,
    tags_cell,
)
from dlcards.store.schema import SCHEMA_VERSION, epoch_ms

AT = REVIEW_COLUMNS.index("at")

if TYPE_CHECKING:
    from pathlib import Path

    from dlcards.deck import Card
    from dlcards.grading import Outcome
    from dlcards.settings import Settings
    from dlcards.store.rows import SearchHit

__all__ = [
    "BUSY_TIMEOUT_S",
    "SCHEMA_VERSION",
    "CardFlags",
    "DayCount",
    "DiskFullError",
    "ImportedReview",
    "ImportedReviews",
    "Leech",
    "LockedError",
    "LogEntry",
    "LoggedGrade",
    "RetentionRow",
    "ReviewRow",
    "SearchHit",
    "StatsRow",
    "Store",
    "SyncResult",
    "TopicCounts",
    "default_db",
    "existing_file",
]

Decide = Callable[[Memory, "Settings"], "Outcome"]
"""What a grade does to a card's memory under the collection's settings (both read inside the
grade's transaction: a scheduler switched in another terminal is the one that decides)."""
Rebuild = Callable[[Sequence[LogEntry], Memory], Memory]
"""A card's memory from its log of scheduled grades (and its stored memory)."""
RebuildFor = Callable[["Settings"], Rebuild]
"""The rebuild the settings ask for; given the settings read inside the writing transaction."""
UndoRules = Callable[["Settings"], "tuple[Rebuild, Redecide | None]"]
"""An undo's rebuild (and re-decision of the rest of the log) under the settings it runs with."""

UPSERT_ANKI_NOTE = (
    "INSERT INTO anki_notes (card_id, guid) VALUES (?, ?) "
    "ON CONFLICT(card_id) DO UPDATE SET guid = excluded.guid"
)
UPSERT_ANKI_DECK = (
    "INSERT INTO anki_decks (topic, name) VALUES (?, ?) "
    "ON CONFLICT(topic) DO UPDATE SET name = excluded.name"
)
UPSERT_LEECH_TAG = (
    "INSERT INTO anki_leech_tags (card_id, note_mod, leech_at, seen) VALUES (?, ?, ?, ?) "
    "ON CONFLICT(card_id) DO UPDATE SET note_mod = excluded.note_mod, "
    "leech_at = excluded.leech_at, seen = excluded.seen "
    "WHERE excluded.note_mod > anki_leech_tags.note_mod "
    "OR (excluded.seen AND excluded.note_mod = anki_leech_tags.note_mod)"
)
"""A note's newer state replaces the one kept (Anki replaces a note only with a newer one); one
an import found at the time of the one kept is what Anki holds at that time."""
REBUILD_CHUNK = 500  # cards per write transaction when every card is rebuilt
Mark = tuple[int, int, int, int]
"""A card's reset point (moment, id), its last review id and its number of reviews: any change
to its log changes one of them (ids are never reused; an undo lowers the count)."""


def _topic_filter(
    topics: Sequence[str], within: Collection[str] | None = None
) -> tuple[str, list[Any]]:
    """The condition on the card `c` of these topics (any if none) and, when `within` is given,
    among those ids: looked up from the ids (one seek each), where a session of a `--search` or
    `--tag` read every due card of the collection and kept its own in Python (100,000 cards,
    46,000 due, a search of 345 cards: 90 ms a time, three times before the first card)."""
    where, params = "", list(topics)
    if topics:
        where = f" AND c.topic IN ({','.join('?' * len(topics))})"
    if within is not None:
        where += " AND c.id IN (SELECT value FROM json_each(?))"
        params.append(json.dumps(sorted(within)))
    return where, params


_MEMORIES = (
    "SELECT c.id, c.suspended, c.retired, c.leech, s.card_id IS NOT NULL, "
    + SELECT_MEMORY.removeprefix("SELECT ").split(" FROM ")[0]
    + " FROM cards c LEFT JOIN sm2 s ON s.card_id = c.id"
    " LEFT JOIN fsrs f ON f.card_id = c.id WHERE c.id IN "
)
_AS_OF = (
    "SELECT r.day, r.grade, r.kind, r.last_review_before IS NULL FROM reviews r "
    f"WHERE r.card_id = ? ORDER BY {TIME_ORDER}"
)
_BEGAN_SPAN = (
    # whether a review began a span of its card's log between resets: it started from a new
    # card's memory where the review before it (time order) left the card studied
    "SELECT r.last_review_before IS NULL AND (SELECT p.kind = 'scheduled' OR "
    "p.last_review_before IS NOT NULL FROM reviews p WHERE p.card_id = r.card_id AND "
    "(p.at, p.id) < (r.at, r.id) ORDER BY p.at DESC, p.id DESC LIMIT 1) FROM reviews r "
    "WHERE r.id = ?"
)
_NOT_PLACED = " AND x.id NOT IN (SELECT seq FROM learner_actions WHERE kind = 'placed grade')"
"""A study session's grades but those placed where they were made (`actions.place_kept`)."""
_PREV_ROW = "SELECT card_id, at FROM reviews WHERE id < ? ORDER BY id DESC LIMIT 1"
"""The log's row before the one logged under the id given (`actions.Place.prev`)."""
_HISTORY = (
    "SELECT r.day, r.grade FROM reviews r JOIN cards c ON c.id = r.card_id "
    f"WHERE r.card_id = ? AND r.kind = 'scheduled' AND {AFTER_RESET} ORDER BY {TIME_ORDER}"
)


def _all_memories(c: sqlite3.Connection) -> dict[str, Memory]:
    """Every card's stored memory, in one query."""
    return {row[0]: memory_from(row[1:], row[0]) for row in c.execute(ALL_MEMORIES)}


StudyGrade = tuple[int, str, int, str, str]
"""A grade given in `dlcards study`: its log id, card, grade, time and study day."""


class UndoPick(NamedTuple):
    """What `dlcards undo` takes back now (`Store.newest_undo`): one of a study grade, an
    action (`store.actions`), a reset (its record and the cards of it as it left them), or
    the floor (`actions.Floor`: the newest is older than it, and is not taken back)."""

    grade: StudyGrade | None = None
    action: actions.Action | None = None
    reset: tuple[Any, list[str]] | None = None
    floor: actions.Floor | None = None
    blocked: tuple[Any, list[str]] | None = None
    """A reset no card of which is as it left it, some of them studied since by answers no
    study grade gave (an `import anki`'s): not taken back (`Store.drop_reset`)."""

    @property
    def key(self) -> tuple[Any, ...]:
        """Its identity: the same pick inside the undo's write transaction as before it."""
        if self.action is not None:
            return ("action", self.action.id)
        made = self.reset or self.blocked
        if made is not None:
            return ("reset", made[0].made_ns, made[0].seq)
        if self.grade is not None:
            return ("grade", self.grade[0])
        return ("floor",)


class Store(Reports, Merging):
    """The progress database: settings, deck sync, the queue, grades, the log."""

    # deck sync -----------------------------------------------------------------------------

    def is_synced(self, signature: str) -> bool:
        return self.get_meta("deck_signature") == signature

    def sync(self, cards: Sequence[Card], signature: str, now: datetime) -> SyncResult:
        """`sync_decks` with all `cards` as one deck, every card compared."""
        return self.sync_decks([DeckPart("", None, lambda: cards)], signature, now)

    def sync_decks(
        self,
        parts: Sequence[DeckPart],
        signature: str,
        now: datetime,
        observed: str | None = None,
        before_commit: Callable[[], object] | None = None,
        retiring: Callable[[Sequence[str]], object] | None = None,
    ) -> SyncResult:
        """Bring the cards table in line with the decks, by card id; keeps all progress.

        New ids are added (as new cards), changed text/topic/order is updated, ids no longer in
        any deck are retired (hidden, history kept) and come back when the id returns. The
        search index follows the text and tags of every card in the same transaction.

        Only decks whose stamp changed since the last sync are loaded and compared, when the
        list of deck files is the same as then (ids are unique across decks, which the caller
        has checked; a card of a changed deck is found by its id or, gone from it, by its
        position in the deck's range, `DECK_STRIDE`). Otherwise every deck is compared.

        `observed`: what `dlcards.prompt.observe` saw of the deck files before they were
        listed for `signature` (kept with it; None for a deck set it does not describe).

        `before_commit`: for decks still being parsed (`catalog.Loading`), their merge not yet
        checked: called before the commit, it raises the decks' error (a topic or a card id in
        two decks), and nothing is written; a card id met twice calls it at once. When every
        deck is compared into a store with no card and no review (a first sync), each deck's
        cards are written as it comes, once they are BULK_CARDS or more, while the rest are
        parsed.

        `retiring`: called with the ids about to be retired, if any, before anything is
        written; what it raises leaves the store as it was (the caller's judgement of whether
        the decks that dropped them are as their owner saved them).
        """
        with self._write(("meta",)) as c:  # the cards are checked once it is known they change
            # Read inside the write lock: another terminal may have synced meanwhile.
            row = c.execute("SELECT value FROM meta WHERE key = 'deck_signature'").fetchone()
            if row and row[0] == signature:
                return SyncResult()
            before = c.execute("SELECT value FROM meta WHERE key = 'deck_parts'").fetchone()
            try:
                known = json.loads(before[0]) if row and before else None
            except ValueError:
                known = None
            # each part's topic at the last sync, when all its cards had one (a deck file's do)
            topics: list[str | None] = [None] * len(parts)
            if isinstance(known, list) and [k[0] for k in known] == [p.key for p in parts]:
                which = [
                    i for i, p in enumerate(parts) if p.stamp is None or known[i][1] != p.stamp
                ]
                topics = [k[2] if len(k) > 2 and isinstance(k[2], str) else None for k in known]
            else:
                which = list(range(len(parts)))
            was = [topics[i] for i in which]
            columns = (
                "id, topic, position, content_hash, retired, search_hash, search_rowid, edited, "
                "note_hash"
            )
            decks: Iterable[tuple[int, Sequence[Card] | Premade]]
            if len(which) == len(parts):  # each deck loaded when the loop below comes to it
                rows = c.execute(f"SELECT {columns} FROM cards").fetchall()
                decks = ((i, parts[i].cards()) for i in which)
            else:
                loaded = [(i, parts[i].cards()) for i in which]
                decks = loaded
                ids = json.dumps([card.id for _, cards in loaded for card in cards])
                # By id along the primary key; the cards that left those decks by the topic
                # each deck had at the last sync (topics are unique across decks, and a card's
                # topic is its deck's), along cards_topic; by position when it is not known,
                # along the narrow cards_active index rather than the table's wide rows.
                # Of those topics, only the cards in those decks' ranges: a topic of two deck
                # files (its deck's and the learner's own cards', `own_cards:`) has cards in
                # the other file's, which a sync of this one alone retired.
                in_ranges = f"position / {DECK_STRIDE} IN (SELECT value FROM json_each(?))"
                left: str
                args: tuple[str, ...]
                if all(isinstance(t, str) for t in was):
                    left, args = (
                        "SELECT id FROM cards INDEXED BY cards_topic WHERE retired = 0 "
                        f"AND topic IN (SELECT value FROM json_each(?)) AND {in_ranges}",
                        (json.dumps(was), json.dumps(which)),
                    )
                else:
                    left, args = (
                        f"SELECT id FROM cards INDEXED BY cards_active WHERE {in_ranges}",
                        (json.dumps(which),),
                    )
                rows = c.execute(
                    f"SELECT {columns} FROM cards WHERE id IN (SELECT value FROM json_each(?) "
                    f"UNION {left})",
                    (ids, *args),
                ).fetchall()
            existing = {r[0]: tuple(r[1:]) for r in rows}
            next_rowid = int(
                c.execute("SELECT coalesce(max(rowid), 0) FROM card_search").fetchone()[0]
            )
            fresh: list[tuple[Any, ...]] = []
            changed: list[tuple[Any, ...]] = []
            indexed: list[tuple[Any, ...]] = []
            reindexed: list[tuple[Any, ...]] = []
            restored = updated = 0
            stamp = now.isoformat(timespec="seconds")
            # a first sync writes each deck as it comes (see the docstring)
            streaming = (
                isinstance(decks, Iterator)
                and not existing
                and c.execute("SELECT NOT EXISTS (SELECT 1 FROM reviews)").fetchone()[0]
            )
            seen: set[str] = set()  # with `before_commit`: the merge is not checked yet
            guids: dict[str, str] = {}  # the decks' Anki note GUIDs (`Card.anki_guid`)
            # the deck the loop is in: its topic's title and its cards' digests (if made)
            hashed: Sequence[Digests] | None = None
            given_digests: Sequence[tuple[str, str, str]] | None = None  # `DeckPart.digests`
            reached, title = -1, ""
            stream = _FirstSync(self, c)
            # after each deck (before the next is waited for), a first sync writes what it has
            after = partial(stream.write, fresh, indexed) if streaming else None
            if streaming:  # each deck's rows as the parse's worker made them, where it did
                decks = ((i, self._premade(parts[i])) for i in which)

            def take(i: int, made: Premade) -> None:
                """A first sync's deck `i` given as rows (`Premade`): as the loop below
                would make them from its cards (each is new, its search row new)."""
                nonlocal next_rowid
                if before_commit is not None:
                    if not seen.isdisjoint(made.ids):
                        _merge_failed(next(x for x in made.ids if x in seen), before_commit)
                    seen.update(made.ids)
                guids.update(made.guids)
                topic, edited = made.topic, parts[i].edited or int(now.timestamp())
                base, first = i * DECK_STRIDE, next_rowid + 1
                numbered = list(enumerate(zip(made.ids, made.tags, made.digests, strict=True)))
                fresh.extend(
                    (cid, topic, base + j, d[0], tags, d[1], first + j, edited, d[2], stamp)
                    for j, (cid, tags, d) in numbered
                )
                indexed.extend((first + j, cid, *d[3]) for j, (cid, _, d) in numbered)
                next_rowid += len(numbered)

            for position, card in self._numbered(decks, topics, after, take):
                if before_commit is not None:
                    if card.id in seen:
                        _merge_failed(card.id, before_commit)
                    seen.add(card.id)
                if card.anki_guid is not None:
                    guids[card.id] = card.anki_guid
                deck = position // DECK_STRIDE
                if deck != reached:  # the deck's title, and its cards' digests if made
                    reached, made, premade = deck, parts[deck].title, parts[deck].premade
                    title = made() if made is not None else ""
                    rows_made = premade() if premade is not None else None
                    hashed = rows_made.digests if rows_made is not None else None
                    given = parts[deck].digests
                    given_digests = given() if hashed is None and given is not None else None
                fields: tuple[str, str, str, str, str] | None
                if hashed is not None:
                    content, digest, shown, fields = hashed[position - deck * DECK_STRIDE]
                elif given_digests is not None:
                    content, digest, shown = given_digests[position - deck * DECK_STRIDE]
                    fields = None
                else:
                    content, digest, shown, fields = card_digests(card, title)
                want = (card.topic, position, content, 0)
                have = existing.pop(card.id, None)
                # when what its exported note shows changed: kept while that stays as it is,
                # else its deck file's modification time (the sync's, if the file's is not
                # known); a card synced before `note_hash` was kept gets it, its time kept. A
                # retired card coming back as it was keeps its time too (its search digest
                # went with its retirement): a deck file missing for a moment, and back,
                # dated every note of the deck as edited, and the next Anki export then
                # overwrote the edits made in Anki to them
                kept = (
                    have[6]
                    if have is not None
                    and edit_kept(content, digest, shown, have[2], have[3], have[4], have[7])
                    else None
                )
                if kept is not None and have is not None and have[:4] == want and have[7] == shown:
                    continue
                edited = kept or edit_time(
                    have[6] if have is not None else None,
                    parts[deck].edited,
                    int(now.timestamp()),
                )
                rowid = have[5] if have is not None else None
                if have is None or have[4] != digest:
                    if fields is None:
                        fields = search_fields(card)
                    if rowid is None:
                        next_rowid += 1
                        rowid = next_rowid
                        indexed.append((rowid, card.id, *fields))
                    else:
                        reindexed.append((*fields, rowid))
                # as tuples (FRESH_CARD, CHANGED_CARD): bound by position, not by name
                tags = tags_cell(card.tags)
                if have is None:
                    fresh.append(
                        (card.id, card.topic, position, content, tags, digest, rowid, edited,
                         shown, stamp)
                    )  # fmt: skip
                else:
                    restored += bool(have[3])
                    updated += have[:4] != want and not have[3]
                    changed.append(
                        (card.topic, position, content, tags, digest, rowid, edited, shown,
                         card.id)
                    )  # fmt: skip
            stream.close()  # the indexes made again after the cards it wrote
            to_retire = [cid for cid, have in existing.items() if not have[3]]
            if to_retire and retiring is not None:
                retiring(to_retire)
            if fresh:  # new cards get memories: those tables are checked first too
                self.guard_writes(tables=NEW_CARD_TABLES)
            elif changed or to_retire:
                self.guard_writes(tables=SYNC_TABLES)
            self._sync_write(c, fresh, changed, to_retire, signature)
            self._sync_guids(c, guids)
            # what `dlcards.prompt` compares to answer `due --count` alone: kept with the
            # signature it describes, gone after a sync of another deck set
            if observed is None:
                c.execute("DELETE FROM meta WHERE key = ?", (OBSERVED_KEY,))
            else:
                c.execute(UPSERT_META, (OBSERVED_KEY, observed_value(observed, signature)))
            kept = [[p.key, p.stamp, t] for p, t in zip(parts, topics, strict=True)]
            c.execute(UPSERT_META, ("deck_parts", json.dumps(kept)))
            c.executemany(INSERT_SEARCH, indexed)
            c.executemany(
                "UPDATE card_search SET question = ?, answer = ?, erratum = ?, note = ?, "
                "tags = ? WHERE rowid = ?",
                reindexed,
            )
            if before_commit is not None:
                before_commit()
        return SyncResult(
            len(stream.written) + len(fresh), updated, len(to_retire), restored, parsed=True
        )

    def _sync_guids(self, c: sqlite3.Connection, guids: Mapping[str, str]) -> None:
        """The Anki note GUIDs the synced decks give their cards (`anki_guid:`) kept as an
        import keeps them (`remember_anki_guids`), where the database holds another or none:
        the deck file wins; a card whose deck gives none keeps what an import recorded."""
        if not guids:
            return
        have = dict(
            c.execute(
                "SELECT card_id, guid FROM anki_notes "
                "WHERE card_id IN (SELECT value FROM json_each(?))",
                (json.dumps(list(guids)),),
            ).fetchall()
        )
        changed = sorted((cid, guid) for cid, guid in guids.items() if have.get(cid) != guid)
        if changed:
            self.guard_writes(tables=("anki_notes",))
            c.executemany(UPSERT_ANKI_NOTE, changed)

    @staticmethod
    def _premade(part: DeckPart) -> Sequence[Card] | Premade:
        """A first sync's deck: its rows when the parse's worker made them (`DeckPart.premade`,
        all of one topic), else its cards."""
        made = part.premade() if part.premade is not None else None
        return made if made is not None and made.topic is not None else part.cards()

    @staticmethod
    def _numbered(
        decks: Iterable[tuple[int, Sequence[Card] | Premade]],
        topics: list[str | None],
        after: Callable[[], None] | None,
        take: Callable[[int, Premade], None],
    ) -> Iterator[tuple[int, Card]]:
        """Each card of `decks` with its position; each deck's one topic put in `topics` (None
        when its cards have several) as the deck is reached; `after` called after each deck.
        A deck given as rows (`Premade`) is given to `take` instead."""
        for i, cards in decks:
            if isinstance(cards, Premade):
                topics[i] = cards.topic
                take(i, cards)
            else:
                one = {card.topic for card in cards}
                topics[i] = one.pop() if len(one) == 1 else None
                for j, card in enumerate(cards):
                    yield i * DECK_STRIDE + j, card
            if after is not None:
                after()

    @staticmethod
    def _sync_write(
        c: sqlite3.Connection,
        fresh: list[tuple[Any, ...]],
        changed: list[tuple[Any, ...]],
        to_retire: list[str],
        signature: str,
    ) -> None:
        # a first sync fills empty tables: their indexes are built once after the rows
        empty = (
            len(fresh) >= BULK_CARDS
            and c.execute("SELECT NOT EXISTS (SELECT 1 FROM cards)").fetchone()[0]
            and c.execute("SELECT NOT EXISTS (SELECT 1 FROM reviews)").fetchone()[0]
        )
        with bulk_cards(c, rebuild=bool(empty)):
            Store._sync_insert(c, fresh)
            Store._first_memories(c, [r[0] for r in fresh])
        if changed:
            c.executemany(CHANGED_CARD, changed)
        if to_retire:
            # a retired card leaves the search index (it comes back, re-indexed, with its id)
            c.executemany(
                "DELETE FROM card_search WHERE rowid = "
                "(SELECT search_rowid FROM cards WHERE id = ?)",
                [(i,) for i in to_retire],
            )
            c.executemany(
                "UPDATE cards SET retired = 1, search_hash = NULL, search_rowid = NULL "
                "WHERE id = ?",
                [(i,) for i in to_retire],
            )
        c.execute(UPSERT_META, ("deck_signature", signature))

    @staticmethod
    def _sync_insert(c: sqlite3.Connection, fresh: list[tuple[Any, ...]]) -> None:
        """The new cards (their memories: `_first_memories`)."""
        if not fresh:
            return
        c.executemany(FRESH_CARD, fresh)

    @staticmethod
    def _first_memories(c: sqlite3.Connection, card_ids: list[str]) -> None:
        """A new card's memory under both schedulers for each of `card_ids` (new cards).

        In one statement per table, from the ids as a JSON list: no Python binding per row
        (100,000 cards: 0.5 -> 0.15 s). Such a statement of many rows opens a savepoint, and
        FTS5 writes the search index's pending terms at every savepoint: a first sync makes
        them once, after every deck's cards and search rows, so that the index is written in
        big segments (`FTS_BULK_HASHSIZE`) rather than one per deck (bench's 100,000 cards in
        50 decks: the 46 inserts of memories took 0.53-0.73 s with the flushes, the one 0.16 s)."""
        if not card_ids:
            return
        ids = json.dumps(card_ids)
        c.execute(
            "INSERT OR IGNORE INTO sm2 (card_id, ef, repetitions, interval, lapses) "
            "SELECT value, ?, 0, 0, 0 FROM json_each(?)",
            (EF_START, ids),
        )
        c.execute("INSERT OR IGNORE INTO fsrs (card_id) SELECT value FROM json_each(?)", (ids,))

    # reads ---------------------------------------------------------------------------------

    def memory(self, card_id: str) -> Memory:
        """The card's stored memory (both schedulers); a new card's if it was never synced."""
        row = self._call(lambda: self.conn.execute(SELECT_MEMORY, (card_id,)).fetchone())
        return memory_from(row, card_id) if row else Memory()

    def history(self, card_id: str) -> list[LogEntry]:
        """The card's scheduled grades since its last reset, in time order (then by id)."""
        rows = self._call(lambda: self.conn.execute(_HISTORY, (card_id,)).fetchall())
        return [
            LogEntry(day_of(d, card_id, "reviews.day") or date.min, grade_of(g, card_id))
            for d, g in rows
        ]

    def history_as_of(self, card_id: str, day: date) -> list[LogEntry] | None:
        """The card's scheduled grades as of a past `day`, as `due` and `stats` read the log
        (`reports.LATER`: the state its first review logged on a later day, in time order,
        started from): the grades before that review, since the last review up to it that
        started from a new card (its first, or its first after a reset, of either kind: a
        re-drill a session asked for stays one when the grade before it is undone, and is then
        the first review after the reset; the card's reset point may come after `day`). None
        when no review is logged on a later day: the card is as it is now. (A reset between
        `day` and that review reads as new here as there: the log keeps when the last reset
        was, not the ones before.) None as of the clock's day (`Reports.take_clock_day`)."""
        if not self.has_later(day):
            return None
        rows = self._call(lambda: self.conn.execute(_AS_OF, (card_id,)).fetchall())
        after = day.isoformat()
        history: list[LogEntry] = []
        for d, g, kind, anew in rows:
            if anew:
                history = []  # (this review, the first after `day`, too: it started anew)
            if d > after:
                return history
            if kind == "scheduled":
                history.append(
                    LogEntry(day_of(d, card_id, "reviews.day") or date.min, grade_of(g, card_id))
                )
        return None

    def memories(self, card_ids: Sequence[str]) -> dict[str, tuple[Memory, CardFlags]]:
        """The stored memory and flags of each synced card among `card_ids`, in one query per
        500 ids (a card never synced is left out): `memory` and `card_flags` for many cards."""
        out: dict[str, tuple[Memory, CardFlags]] = {}
        for start in range(0, len(card_ids), 500):
            chunk = card_ids[start : start + 500]
            query = _MEMORIES + f"({', '.join('?' * len(chunk))})"

            def read(q: str = query, c: Sequence[str] = chunk) -> list[Any]:
                return self.conn.execute(q, c).fetchall()

            rows = self._call(read)
            for card_id, suspended, retired, leech, has_memory, *memory in rows:
                flags = CardFlags(bool(suspended), bool(retired), bool(leech))
                out[card_id] = (memory_from(memory, card_id) if has_memory else Memory(), flags)
        return out

    def _one(self, sql: str, params: Sequence[Any]) -> Any:
        return self.conn.execute(sql, params).fetchone()

    def known_ids(self, prefix: str) -> set[str]:
        """The ids the database holds that start with `prefix`, retired cards' included: an
        id given to a new card must be none of them, or the card would take over another
        card's log and schedule."""
        like = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        rows = self._call(
            lambda: self.conn.execute(
                "SELECT id FROM cards WHERE id LIKE ? ESCAPE '\\'", (like + "%",)
            ).fetchall()
        )
        return {str(r[0]) for r in rows}

    def anki_guids(self) -> dict[str, str]:
        """The Anki note GUID of each card `import anki --to-yaml` converted from a note of
        one card (`export anki` gives the card that note's identity)."""
        rows = self._call(
            lambda: self.conn.execute("SELECT card_id, guid FROM anki_notes").fetchall()
        )
        return dict(rows)

    def remember_anki_guids(self, guids: Mapping[str, str]) -> None:
        """Keep `guids` (card id -> Anki note GUID) for `anki_guids`; a card's newer wins."""
        if not guids:
            return
        with self._write(("anki_notes",)) as c:
            c.executemany(UPSERT_ANKI_NOTE, sorted(guids.items()))

    def anki_decks(self) -> dict[str, str]:
        """The Anki deck each topic's cards live in, as the last `import anki` of a file
        holding them saw it (`remember_anki_decks`), by topic: `export anki` names the topic's
        deck so."""
        rows = self._call(
            lambda: self.conn.execute("SELECT topic, name FROM anki_decks").fetchall()
        )
        return {str(topic): str(name) for topic, name in rows}

    def anki_decks_unseen(self) -> bool:
        """Whether answers came in from Anki (`import anki`) but no import saw where the
        topics' cards live there: a database an older dlcards imported into, which kept no
        `anki_decks`. Until an import sees them, `export anki` names each topic's deck by its
        title, and a deck the learner renamed or moved in Anki is made again, empty."""
        row = self._call(
            lambda: self.conn.execute(
                "SELECT EXISTS (SELECT 1 FROM reviews WHERE anki_id IS NOT NULL) "
                "AND NOT EXISTS (SELECT 1 FROM anki_decks)"
            ).fetchone()
        )
        return bool(row[0])

    def remember_anki_decks(self, decks: Mapping[str, str]) -> None:
        """Keep `decks` (topic -> the Anki deck its cards live in) for `anki_decks`."""
        changed = sorted(set(decks.items()) - set(self.anki_decks().items()))
        if not changed:
            return
        with self._write(("anki_decks",)) as c:
            c.executemany(UPSERT_ANKI_DECK, changed)

    def leech_cards(self) -> set[str]:
        """The active cards marked a leech."""
        rows = self._call(
            lambda: self.conn.execute(
                "SELECT id FROM cards WHERE retired = 0 AND leech != 0"
            ).fetchall()
        )
        return {str(r[0]) for r in rows}

    def remember_leech_tags(self, notes: Mapping[str, tuple[int, bool]], seen: bool) -> None:
        """Keep what Anki's note of each leech among `notes` (card id -> the note's
        modification time there, s, and whether it carries the `leech` tag) holds: the note
        an `export anki` sent (`seen` False) or an `import anki` found (`seen` True), where it
        is newer than the one kept (`UPSERT_LEECH_TAG`). A tag is kept with when the review
        that made the card the leech it is was given (`unleech_untagged` takes only a tag of
        that leech for one, and only one an import found: `tag_removed`); a card that is no
        leech here is left out. An export that sends the tag an import found for the same
        leech leaves the note found in its place: sent, the tag would count as held no more
        (the package may never reach Anki), and its removal there would be missed. Writes
        nothing when nothing changes (an export run again)."""
        leeches = self.leech_cards() if notes else set()
        notes = {cid: note for cid, note in notes.items() if cid in leeches}
        if not notes:  # (an import's file holds every card's note: a few are leeches)
            return
        wanted = json.dumps(sorted(notes))

        def rows(c: sqlite3.Connection) -> list[tuple[str, int, int | None, int]]:
            held = {
                str(cid): (made, kept)
                for cid, made, kept in c.execute(
                    f"SELECT c.id, {_LEECH_MADE_AT}, "
                    "(SELECT json_array(t.note_mod, t.leech_at, t.seen) FROM anki_leech_tags t "
                    "WHERE t.card_id = c.id) FROM cards c WHERE c.leech != 0 "
                    "AND c.id IN (SELECT value FROM json_each(?))",
                    (wanted,),
                ).fetchall()
            }
            out = []
            for cid, (mod, tagged) in sorted(notes.items()):
                if cid not in held:
                    continue
                made, kept = held[cid]
                row = (cid, mod, int(made) if tagged and made is not None else None, int(seen))
                if kept is not None:
                    note_mod, leech_at, was_seen = json.loads(kept)
                    if (mod, row[2], row[3]) == (note_mod, leech_at, was_seen):
                        continue
                    if mod < note_mod or (mod == note_mod and not seen):
                        continue
                    if not seen and was_seen and leech_at is not None and row[2] == leech_at:
                        continue  # this leech's tag, found in Anki: sent again, still held
                out.append(row)
            return out

        if not self._call(lambda: rows(self.conn)):
            return
        with self._write(("anki_leech_tags",)) as c:
            c.executemany(UPSERT_LEECH_TAG, rows(c))

    def date_edits(self, times: Mapping[str, int]) -> None:
        """Date the text of each card of `times` (card id -> seconds since the epoch) at that
        time, where it is earlier than the card's: the cards `import anki --to-yaml` just
        converted, whose text is their Anki note's as it last changed there (its `mod`), not
        as new as the deck file written now. `export anki` dates a note by its card's text
        (`edit_times`), and Anki replaces a note only with a newer one: dated now, every
        converted note that keeps its note type went back over the learner's note once,
        in dlcards's rendering of it, with no edit made here."""
        if not times:
            return
        with self._write(("cards",)) as c:
            c.executemany(
                "UPDATE cards SET edited = :at WHERE id = :id AND (edited IS NULL OR edited > :at)",
                [{"at": at, "id": cid} for cid, at in sorted(times.items())],
            )

    def answer_counts(self, card_ids: Sequence[str]) -> dict[str, int]:
        """How many times each synced card among `card_ids` was answered since its last reset
        (re-drills too): Anki's `reps`, which SM-2's streak of passes is not."""
        from dlcards.store.search import REPS

        return self._per_card(card_ids, REPS)

    def last_answers(self, card_ids: Sequence[str]) -> dict[str, int]:
        """The time of the last answer (re-drills too; ms since the epoch) of each card among
        `card_ids` answered since its last reset: Anki's last review time (`lrt`), from which
        Anki with FSRS counts the days a card has lasted."""
        # of the integers: a value damage left in `at` (text, say) is no time to carry
        last = (
            "(SELECT max(CASE WHEN typeof(r.at) = 'integer' THEN r.at END) FROM reviews r "
            f"WHERE r.card_id = c.id AND {AFTER_RESET})"
        )
        return {k: v for k, v in self._per_card(card_ids, last).items() if v is not None}

    def _per_card(self, card_ids: Sequence[str], value: str) -> dict[str, Any]:
        """The SQL expression `value` (of the card `c`) for each synced card among
        `card_ids`, read 500 cards a query."""
        out: dict[str, Any] = {}
        for start in range(0, len(card_ids), 500):
            chunk = card_ids[start : start + 500]
            query = (
                f"SELECT c.id, {value} FROM cards c WHERE c.id IN ({', '.join('?' * len(chunk))})"
            )

            def read(q: str = query, c: Sequence[str] = chunk) -> list[Any]:
                return self.conn.execute(q, c).fetchall()

            out.update(self._call(read))
        return out

    def card_flags(self, card_id: str) -> CardFlags | None:
        """The card's flags, or None if it was never synced."""
        row = self._call(
            lambda: self.conn.execute(
                "SELECT suspended, retired, leech FROM cards WHERE id = ?", (card_id,)
            ).fetchone()
        )
        return CardFlags(bool(row[0]), bool(row[1]), bool(row[2])) if row else None

    def _as_of(self, day: date, by: str) -> tuple[str, str, list[Any]]:
        """The due column of scheduler `by` as of `day`, the joins it needs and their
        parameters: the stored `s.due` unless reviews are logged after `day` (then the state
        the first of them started from; `reports.due_as_of`)."""
        if not self.has_later(day):
            return "s.due", "", []
        if due_table(by) == "fsrs":
            self.fresh_fsrs_log()
        return due_as_of(by), later_join(by), [day.isoformat()] * LATER_BINDS

    def due_ids(
        self,
        today: date,
        by: str,
        topics: Sequence[str] = (),
        limit: int | None = None,
        within: Collection[str] | None = None,
    ) -> list[str]:
        """Active cards due on or before today by scheduler `by`, most overdue first (the
        first `limit` of them, when given; only those among the ids `within`, when given).
        Reviews logged after `today` have not happened yet (`_as_of`)."""
        due, join, args = self._as_of(today, by)
        where, params = _topic_filter(topics, within)
        sql = (
            f"SELECT s.card_id FROM {due_table(by)} s JOIN cards c ON c.id = s.card_id{join} "
            f"WHERE {due} <= ? AND c.retired = 0 AND c.suspended = 0{where} "
            f"ORDER BY {due}, c.position"
        )
        args += [today.isoformat(), *params]
        if limit is not None:  # SQLite keeps the first `limit` while it reads: no whole sort
            sql += " LIMIT ?"
            args.append(limit)
        return [r[0] for r in self._call(lambda: self.conn.execute(sql, args).fetchall())]

    def count_due(self, today: date, by: str, topics: Sequence[str] = ()) -> int:
        """How many cards `due_ids` gives: from the tally of due dates (`schema.DUE_TRIGGERS`),
        unless reviews are logged after `today` (then by testing every card, `_as_of`). At
        100,000 cards with 43,000 due: ~40 ms to list them, under a millisecond to count."""
        due, join, args = self._as_of(today, by)
        where, params = _topic_filter(topics)
        if join:
            sql = (
                f"SELECT count(*) FROM {due_table(by)} s JOIN cards c ON c.id = s.card_id{join} "
                f"WHERE {due} <= ? AND c.retired = 0 AND c.suspended = 0{where}"
            )
            args += [today.isoformat(), *params]
        else:  # the prompt's query of the tally (its due column), for these topics
            from dlcards.store.count import DUE_TALLY_SQL

            sql = DUE_TALLY_SQL + where.replace("c.topic", "topic")
            args = [today.isoformat(), due_table(by), *params]
        return int(self._call(lambda: self.conn.execute(sql, args).fetchone())[0] or 0)

    def new_ids(
        self,
        by: str,
        topics: Sequence[str] = (),
        limit: int | None = None,
        as_of: date | None = None,
        within: Collection[str] | None = None,
    ) -> list[str]:
        """Active cards never reviewed (by `as_of`, when given), in deck order (only those
        among the ids `within`, when given)."""
        due, join, args = self._as_of(as_of, by) if as_of is not None else ("s.due", "", [])
        where, params = _topic_filter(topics, within)
        sql = (
            f"SELECT s.card_id FROM {due_table(by)} s JOIN cards c ON c.id = s.card_id{join} "
            f"WHERE {due} IS NULL AND c.retired = 0 AND c.suspended = 0{where} "
            "ORDER BY c.position"
        )
        args += params
        if limit is not None:
            sql += " LIMIT ?"
            args.append(limit)
        return [r[0] for r in self._call(lambda: self.conn.execute(sql, args).fetchall())]

    def new_introduced(self, day: date) -> int:
        """How many new cards got their first scheduled grade on `day` (for the daily limit)."""
        from dlcards.store.count import NEW_INTRODUCED_SQL

        row = self._call(
            lambda: self.conn.execute(NEW_INTRODUCED_SQL, (day.isoformat(),)).fetchone()
        )
        return int(row[0])

    def due_count(self, today: date, by: str, new_per_day: int, cap: int | None = None) -> int:
        """Cards due today by scheduler `by` plus the new cards still allowed today, within
        the daily review cap `cap` (`dlcards.limits`), plus the re-drills still owed today:
        the one number for a shell prompt (`dlcards due --count`)."""
        from dlcards.store.count import redrills_owed, tally_count, today_total

        day = today.isoformat()
        due_col, join, args = self._as_of(today, by)
        if not join:  # the tally of due dates (`schema.DUE_TRIGGERS`), as `dlcards.prompt`
            return self._call(
                lambda: tally_count(self.conn.execute, day, due_table(by), new_per_day, cap)
            )
        sql = (
            f"SELECT sum({due_col} <= ?), sum({due_col} IS NULL) FROM {due_table(by)} s "
            f"JOIN cards c ON c.id = s.card_id{join} WHERE c.retired = 0 AND c.suspended = 0"
        )
        row = self._call(lambda: self.conn.execute(sql, [*args, day]).fetchone())
        reviewed = self.reviews_today(today) if cap is not None else 0
        introduced = self.new_introduced(today)
        again = self._call(lambda: redrills_owed(self.conn.execute, day))
        return again + today_total(
            int(row[0] or 0), int(row[1] or 0), reviewed, introduced, new_per_day, cap
        )

    def redrills_due(self, day: date, threshold: int, topics: Sequence[str] = ()) -> list[str]:
        """Cards whose last grade on `day` was below `threshold`, in the order last graded:
        the re-drills still owed today, derived from the day's log alone."""
        where, params = _topic_filter(topics)
        sql = f"SELECT r.card_id {REDRILLS_OWED_FROM}{where} ORDER BY {TIME_ORDER}"
        args = [day.isoformat(), threshold, *params]
        return [r[0] for r in self._call(lambda: self.conn.execute(sql, args).fetchall())]

    def topic_counts(self, today: date, by: str) -> list[TopicCounts]:
        """Per topic: active cards, due today (incl. overdue), new, suspended. Reviews logged
        after `today` have not happened yet: such a card counts with the due date its first
        later review started from (`_as_of`)."""
        due, join, args = self._as_of(today, by)
        bound: list[Any] | dict[str, str] = args
        if join:
            sql = (
                "SELECT c.topic, count(*), "
                f"sum(c.suspended = 0 AND {due} <= ?), "
                f"sum(c.suspended = 0 AND {due} IS NULL), sum(c.suspended != 0) "
                f"FROM cards c JOIN {due_table(by)} s ON s.card_id = c.id{join} "
                "WHERE c.retired = 0 GROUP BY c.topic ORDER BY min(c.position)"
            )
            args.append(today.isoformat())
        else:  # the same sums from the tallies (`schema.DUE_TRIGGERS`): each topic's cards and
            # suspended ones from `topic_tally`, its due and new ones each a range of
            # `due_tally`'s key (sched, topic, due, suspended). At 100,000 cards (17,000 rows
            # of due_tally, 59 topics) 2.4 -> 0.4 ms. A topic's place: its first card along
            # cards_topic (topic, position), where min() read every card of the topic.
            sql = (
                "SELECT t.topic, sum(cards), "
                "(SELECT sum(d.cards) FROM due_tally d WHERE d.sched = :sched "
                "AND d.topic = t.topic AND d.due > '' AND d.due <= :today AND d.suspended = 0), "
                "(SELECT sum(d.cards) FROM due_tally d WHERE d.sched = :sched "
                "AND d.topic = t.topic AND d.due = '' AND d.suspended = 0), "
                "sum(cards) FILTER (WHERE suspended != 0) FROM topic_tally t WHERE sched = :sched "
                "GROUP BY t.topic ORDER BY (SELECT c.position FROM cards c "
                "WHERE c.retired = 0 AND c.topic = t.topic ORDER BY c.position LIMIT 1)"
            )
            bound = {"today": today.isoformat(), "sched": due_table(by)}
        rows = self._call(lambda: self.conn.execute(sql, bound).fetchall())
        for r in rows:  # bytes in cards.topic (by hand, or damage) stopped `due` in its table
            if not isinstance(r[0], str):
                raise StoreError(
                    f"database {self.path} is damaged: a card's topic holds {str(r[0])[:40]}, "
                    f"not text; {DOCTOR}"
                )
        return [TopicCounts(r[0], r[1], r[2] or 0, r[3] or 0, r[4] or 0) for r in rows]

    def next_due(
        self,
        after: date,
        by: str,
        topics: Sequence[str] = (),
        among: Sequence[str] | None = None,
    ) -> date | None:
        """The first due date after `after` of an active card (of `topics`, when given, and
        among the ids `among`, when given: a session's search or tag), by scheduler `by`, as
        of `after` (`_as_of`)."""
        due, join, args = self._as_of(after, by)
        where, params = _topic_filter(topics)
        sql = (
            f"SELECT min({due}) FROM {due_table(by)} s JOIN cards c ON c.id = s.card_id{join} "
            f"WHERE {due} > ? AND c.retired = 0 AND c.suspended = 0{where}"
        )
        args += [after.isoformat(), *params]
        chunks: list[Sequence[str] | None] = [None]
        if among is not None:
            chunks = [among[i : i + 500] for i in range(0, len(among), 500)]
        found: list[str] = []
        for chunk in chunks:
            query, values = sql, args
            if chunk is not None:
                query += f" AND c.id IN ({', '.join('?' * len(chunk))})"
                values = [*args, *chunk]
            row = self._call(partial(self._one, query, values))
            if row and row[0]:
                found.append(row[0])
        return day_of(min(found), "?", f"{by}.due") if found else None

    # writes --------------------------------------------------------------------------------

    def start_session(self, kind: str, day: date, now: datetime) -> int:
        with self._write(("sessions",)) as c:  # no trigger on sessions
            cur = c.execute(
                "INSERT INTO sessions (kind, day, started_at) VALUES (?, ?, ?)",
                (kind, day.isoformat(), now.isoformat(timespec="seconds")),
            )
            return int(cur.lastrowid or 0)

    def session_reviews(self, session_id: int) -> int:
        """How many of a session's grades are in the log (a restore may have dropped some)."""
        row = self._call(
            lambda: self.conn.execute(
                "SELECT count(*) FROM reviews WHERE session_id = ?", (session_id,)
            ).fetchone()
        )
        return int(row[0])

    def end_session(self, session_id: int, now: datetime) -> None:
        with self._write(("sessions",)) as c:
            c.execute(
                "UPDATE sessions SET ended_at = ? WHERE id = ?",
                (now.isoformat(timespec="seconds"), session_id),
            )

    def grade(
        self,
        card_id: str,
        decide: Decide,
        now: datetime,
        session_id: int | None = None,
        seconds: float | None = None,
        asked: bool = False,
    ) -> ReviewRow:
        """Record one grade in one transaction: the card's memory and the settings are read
        inside it, `decide` says what the grade does, and its log row and new memory are
        written together, so two terminals grading at once never lose an update, and a
        scheduler switched meanwhile is the one that schedules. `asked`: the session asked
        for this grade as a re-drill (the log keeps it, for the log to be decided again)."""
        with self._write() as c:
            row = c.execute(SELECT_MEMORY, (card_id,)).fetchone()
            if row is None:
                raise StoreError(f"card {card_id} is not in the database; run `dlcards due` first")
            outcome = decide(memory_from(row, card_id), self._settings_in(c))
            if session_id is not None:  # gone if a backup was restored since the session began
                c.execute(
                    "INSERT OR IGNORE INTO sessions (id, kind, day, started_at) "
                    "VALUES (?, 'study', ?, ?)",
                    (session_id, outcome.day.isoformat(), now.isoformat(timespec="seconds")),
                )
            self._put_memory(c, card_id, outcome.before, outcome.after)
            suspends: Unsuspended | None = None
            was: Suspension | None = None
            if outcome.leech is not None:
                was = _suspensions_in(c, [card_id]).get(card_id)
                if outcome.leech == "suspend" and was is not None and not was.suspended:
                    suspends = Unsuspended(was, change_seconds(now))
                c.execute(
                    "UPDATE cards SET leech = 1, suspended = suspended OR :suspends, "
                    "suspended_changed = CASE WHEN :suspends AND suspended = 0 THEN :at "
                    "ELSE suspended_changed END WHERE id = :id",
                    {
                        "suspends": int(outcome.leech == "suspend"),
                        "at": change_seconds(now),
                        "id": card_id,
                    },
                )
            review = ReviewRow(
                id=0,
                card_id=card_id,
                kind=outcome.kind,
                grade=int(outcome.grade),
                day=outcome.day,
                reviewed_at=now.isoformat(timespec="milliseconds"),
                before=outcome.before,
                after=outcome.after,
                seconds=seconds,
                session_id=session_id,
                leech=outcome.leech,
                asked=asked,
            )
            cur = c.execute(INSERT_REVIEW, review_values(review))
            review_id = int(cur.lastrowid or 0)
            # its place among the learner's actions, by ids (`salvage.Place`): kept with it
            # if the file loses it (`_rescue`), which places it when it is added back
            prev = c.execute(_PREV_ROW, (review_id,)).fetchone()
            if prev is None or type(prev[1]) is int:
                self.places[review_id] = actions.Place(
                    review_id,
                    int(c.execute(actions.LAST_ID).fetchone()[0]),
                    None if prev is None else (str(prev[0]), int(prev[1])),
                )
            if outcome.leech == "suspend" and was is not None:
                # the flag before, for the grade's undo in any process: a card suspended
                # before stays so, one the rule suspended gets back its time of change
                before = (int(was.suspended), was.changed)
                made = before if suspends is None else (1, suspends.at)
                change = actions.CardChange(card_id, before, made)
                actions.record(c, "grade", [change], seq=review_id)
            # The memory just written follows the order grades are committed in; the replay
            # follows `at`. A terminal that read the clock before waiting for the write lock
            # would put its grade before one committed ahead of it, and a clock behind the
            # one a reset read (set back since, or a phone's "Forget" imported from a clock
            # ahead) would put it before the card's reset point, where the replay drops it:
            # its place in the log is never before the card's latest review nor its reset
            # point (its id, above every id so far, breaks the tie: AFTER_RESET).
            c.execute(
                f"UPDATE reviews SET at = (SELECT max(coalesce(max(r.at), {NO_RESET}), coalesce(("
                f"SELECT reset_at FROM cards WHERE id = ?), {NO_RESET})) FROM reviews r WHERE "
                "r.card_id = ?) WHERE id = ?",
                (card_id, card_id, review_id),
            )
            # kept in memory until the process ends: if the file is found damaged under it,
            # its grades go beside the backups (`Connection._rescue`), with their place in
            # the log (`at`, their identity with the card's id)
            at = c.execute("SELECT at FROM reviews WHERE id = ?", (review_id,)).fetchone()[0]
            values = review_values(review)
            self.pending.append((review_id, (*values[:AT], at, *values[AT + 1 :])))
        if suspends is not None:  # what its undo puts back (`undo`)
            self.leech_suspended[review_id] = suspends
        return review._replace(id=review_id)

    _put_memory = staticmethod(put_memory)

    def has_review(self, review_id: int) -> bool:
        """Whether the log still holds the review logged under `review_id`."""
        row = self._call(
            lambda: self.conn.execute("SELECT 1 FROM reviews WHERE id = ?", (review_id,)).fetchone()
        )
        return row is not None

    def edit_times(self) -> dict[str, int]:
        """When each active card's text last changed (`cards.edited`, seconds since the
        epoch), by card id."""
        rows = self.conn.execute(
            "SELECT id, edited FROM cards WHERE retired = 0 AND edited IS NOT NULL"
        ).fetchall()
        return {str(cid): int(at) for cid, at in rows}

    def edit_times_as_synced(
        self, decks: Iterable[tuple[Sequence[Card], str, int | None]], now: int
    ) -> dict[str, int]:
        """`edit_times` as a sync of `decks` (each: its cards, its topic's title, its file's
        modification time, s) would leave them, written nowhere: for a database that cannot
        take the sync now (read-only, or locked by another program). A card whose note shows
        what its row says keeps its time (`edit_kept`); any other, a card new here too, is
        dated by its deck file (`now` if not known), as `sync_decks` dates it: an export from
        the stale times dated an edited card's note otherwise than the next one, after the
        sync, and Anki took the same edit twice (the second over the learner's edits there)."""
        held = {
            str(row[0]): row[1:]
            for row in self._call(
                lambda: self.conn.execute(
                    "SELECT id, content_hash, retired, search_hash, note_hash, edited FROM cards"
                ).fetchall()
            )
        }
        out: dict[str, int] = {}
        for cards, title, file_time in decks:
            for card in cards:
                have = held.get(card.id)
                kept = None
                if have is not None:
                    content, search, shown, _ = card_digests(card, title)
                    if edit_kept(content, search, shown, have[0], have[1], have[2], have[3]):
                        kept = have[4]
                out[card.id] = int(kept or edit_time(have and have[4], file_time, now))
        return out

    def holds_decks(self, decks: Sequence[tuple[Sequence[Card], str]]) -> bool:
        """Whether the cards table holds `decks` (each deck file's cards and its topic's
        title, in the order a sync takes them) as a sync of them would leave it: each card
        active at its topic and position, its digests those of its text and note
        (`card_digests`), and no other card active. For a database that cannot take the sync
        now (read-only, or locked by another program): a deck file saved again as it was (a
        new modification time, the same text) is not a change of the decks, and an export
        does not say the decks' changes were not kept (it said so of a save made a moment
        before it, whose signature, `files_signature`, differs from every later one)."""
        held = {
            str(row[0]): row[1:]
            for row in self._call(
                lambda: self.conn.execute(
                    "SELECT id, topic, position, content_hash, search_hash, note_hash FROM cards "
                    "WHERE retired = 0"
                ).fetchall()
            )
        }
        count = 0
        for i, (cards, title) in enumerate(decks):
            for j, card in enumerate(cards):
                have = held.get(card.id)
                if have is None:
                    return False
                content, search, shown, _ = card_digests(card, title)
                if have != (card.topic, i * DECK_STRIDE + j, content, search, shown):
                    return False
                count += 1
        return count == len(held)

    def exported_hashes(self) -> dict[str, str]:
        """The digest of each active card's note as the last Anki export wrote it
        (`cards.exported_hash`, `export.anki.note_digest`), by card id: none for a card not
        exported since (schema 32)."""
        rows = self.conn.execute(
            "SELECT id, exported_hash FROM cards WHERE retired = 0 AND exported_hash IS NOT NULL"
        ).fetchall()
        return {str(cid): str(digest) for cid, digest in rows}

    def record_exports(self, notes: Sequence[ExportedNote]) -> None:
        """What an Anki export wrote of the notes it found changed: each one's digest, and
        the new time of a note whose bytes changed with no edit of its card dating it (the
        engine's steps, the HTML, worded otherwise by a newer dlcards): Anki replaces a note
        only with a newer one. One transaction; a card retired meanwhile is left as it is."""
        if not notes:
            return
        with self._write(CARD_FLAGS) as c:
            c.executemany(
                "UPDATE cards SET exported_hash = ?, edited = coalesce(?, edited) "
                "WHERE id = ? AND retired = 0",
                [(n.digest, n.edited, n.card_id) for n in notes],
            )

    def leech_mark_times(self) -> dict[str, int]:
        """When each active card's leech mark last changed, in seconds since the epoch (rounded
        up), by card id: a leech's, the review that made it one; an unleeched card's, its
        unleech point. `export anki --with-progress` dates a note at least so: Anki replaces
        a note it holds only with a newer one, so the `leech` tag the mark gives a note (or
        its removal) reaches a note Anki already has."""
        rows = self.conn.execute(
            f"SELECT c.id, CASE WHEN c.leech != 0 THEN {_LEECH_MADE_AT} ELSE c.unleech_at END "
            "FROM cards c "
            "WHERE c.retired = 0 AND (c.leech != 0 OR c.unleech_at IS NOT NULL)"
        ).fetchall()
        return {str(cid): -(-int(at) // 1000) for cid, at in rows if at is not None and at > 0}

    def added_times(self) -> dict[str, int]:
        """When each card came into the database (`cards.added`, its first sync), in seconds
        since the epoch, by card id: `export anki` makes its Anki ids from it."""
        rows = self.conn.execute(
            "SELECT id, CAST(strftime('%s', added) AS INTEGER) FROM cards WHERE retired = 0"
        ).fetchall()
        return {str(cid): int(at) for cid, at in rows if at is not None}

    def newest_review_day(self) -> date | None:
        """The latest day a review is logged on (from the per-day tally: no log scan)."""
        row = self.conn.execute("SELECT max(day) FROM review_days").fetchone()
        return day_of(row[0], "", "review_days.day") if row and row[0] else None

    def newest_moment_on(self, day: date) -> int | None:
        """When the newest review logged on study day `day` was given (its `at`, ms since the
        epoch; one walk of that day's index entries); None when none is."""
        row = self._call(
            lambda: self.conn.execute(
                "SELECT max(at) FROM reviews WHERE day = ? AND typeof(at) = 'integer'",
                (day.isoformat(),),
            ).fetchone()
        )
        return int(row[0]) if row and row[0] is not None else None

    def last_study_grade(self) -> StudyGrade | None:
        """The newest grade given in `dlcards study` (any terminal; not one imported from
        Anki): its log id, card, grade, time and study day; None when there is none."""
        return _last_study_grade_in(self.conn)

    def newest_undo(self) -> UndoPick | None:
        """What `dlcards undo` takes back now (`UndoPick`); None when there is nothing."""
        return self._call(lambda: self._newest_undo_in(self.conn))

    def _newest_undo_in(self, c: sqlite3.Connection) -> UndoPick | None:
        """The newest of the last study grade, the newest action and the newest reset still
        undoable (a reset or action made after that grade, the log's last id then not below
        the grade's, is the newer; of the two, the later made); the floor when that one is
        at or before it (`actions.floor`). Read on `c`: inside an undo's write transaction,
        what another terminal committed before it is seen."""
        last = _last_study_grade_in(c)
        # where that grade is among the learner's actions (a kept grade added back: where
        # it was made, not under the id it was logged under: `actions.place_kept`)
        at = actions.GradeAt(-1) if last is None else actions.grade_at(c, last[0])
        found = self._reset_pick_in(c, at)
        newer = None if found is None else found[:2]
        action = actions.newest(c)
        if action is not None and not at.before_action(action.seq, action.id):
            action = None  # made before that grade
        if action is not None and newer is not None:
            if newer[0].made_after(action.id, action.seq, action.made_ns):
                action = None
        low = actions.floor(c)
        if action is not None:
            older = low is not None and low.covers(action)
            pick = UndoPick(action=action)
        elif found is not None:
            made, left, studied = found
            older = low is not None and low.covers_reset(made.seq, made.actions, made.made_ns)
            pick = UndoPick(reset=(made, left)) if left else UndoPick(blocked=(made, studied))
        elif last is not None:
            older = low is not None and low.covers_grade(at)
            pick = UndoPick(grade=last)
        else:
            return None
        return UndoPick(floor=low) if older else pick

    def _still_newest(self, c: sqlite3.Connection, key: tuple[Any, ...]) -> bool:
        """Whether `key` (`UndoPick.key`) is still what undo takes back, read inside the
        undo's write transaction: a grade, reset or action another terminal committed
        between the pick and the write is the newest now (the caller picks again)."""
        now = self._newest_undo_in(c)
        return now is not None and now.key == key

    def _newest_reset_in(self, c: sqlite3.Connection, after: int) -> tuple[Any, list[str]] | None:
        found = self._reset_pick_in(c, actions.GradeAt(after - 1))
        return None if found is None or not found[1] else (found[0], found[1])

    def _reset_pick_in(
        self, c: sqlite3.Connection, at: actions.GradeAt
    ) -> tuple[Any, list[str], list[str]] | None:
        """The newest reset made after the grade at `at` (`actions.GradeAt`) that undo stops at:
        with the cards of it still as it left it (undoable), or, none left, those still
        holding its reset point and studied since (`_studied_since_reset`: by answers no
        study grade gave, an `import anki`'s: a study grade since is newer, and taken back
        first); each line with neither (undone, never committed, reset again since) or
        dropped (`drop_reset`) is passed over. (reset, undoable cards, studied cards)."""
        from dlcards.store import resets

        dropped = actions.dropped_resets(c)
        placed = actions.placed_resets(c)
        for made in resets.records(self.path):
            as_made = (made.made_ns, made.seq)
            if as_made in placed:  # after a grade added since, made before it
                import dataclasses  # (here: `stats` imports this module, not dataclasses)

                made = dataclasses.replace(made, seq=placed[as_made])
            if not at.before_reset(made.seq, made.actions, made.made_ns):
                return None  # older lines are older still (appended under the write lock)
            if as_made in dropped or (made.made_ns, made.seq) in dropped:
                continue
            left = _as_reset_left(c, made)
            if left:
                return made, left, []
            studied = _studied_since_reset(c, made)
            if studied:
                return made, [], studied
        return None

    def drop_reset(self, made: Any) -> bool:
        """Drop the reset `made`, which undo cannot take back (`UndoPick.blocked`), from what
        undo goes back through, so that the next undo goes on to the one before (it stopped
        there for good, or passed over it without a word to an older grade); False when it is
        no longer what undo takes back (read inside the transaction: the caller picks
        again)."""
        with self._write(CARD_FLAGS) as c:
            if not self._still_newest(c, ("reset", made.made_ns, made.seq)):
                return False
            actions.drop_reset(c, made.made_ns, made.seq, made.actions)
            return True

    def undo(
        self,
        review_id: int,
        rules: UndoRules,
        expect: ReviewRow | None = None,
        newest: bool = False,
    ) -> ReviewRow | None:
        """Take back one review: delete its log row and rebuild the card's memory from what is
        left of its log, in the same transaction. Whatever other terminals did to the card
        meanwhile stays: the state is the replay of the log, never an old snapshot. `rules`
        gives, for the settings read inside the transaction, the rebuild and (unless None) the
        re-decision of the rest of the card's log, done first (a later grade that day, say one
        imported from Anki, becomes the day's scheduled one). With `expect` (the row as it was
        logged), a row under that id that is another grade (the database was restored from a
        backup since) is left alone. Returns the undone row, or None if it no longer exists.

        The undo is recorded beside the backups before it commits (`salvage.record_undone`,
        taken back if the commit fails): a restore over a file damaged later does not bring
        the grade back from what it salvages. A record that cannot be written (a full disk)
        is said, and the undo goes ahead.

        `newest` (`dlcards undo`): the grade is taken back only if it is still what undo takes
        back (`newest_undo`), read inside the transaction; else None (a grade, reset or action
        another terminal committed since the pick: the caller picks again)."""
        from dlcards.store.salvage import record_undone, unrecord

        recorded: list[tuple[Path, int]] = []
        recorded_at: list[int] = []  # the undone grade's time, its identity with its card

        def record(done: tuple[str, int], unsuspends: bool, changed: int | None) -> None:
            try:
                recorded.append(record_undone(self.path, done, unsuspends, changed))
                recorded_at.append(done[1])
            except OSError as err:
                self.notice(
                    f"warning: could not record the undo beside the backups of {self.path} "
                    f"({err.strerror or err}); a restore over a damaged file may bring it back"
                )

        try:
            undone = self._undo(review_id, rules, expect, record, newest)
        except BaseException as err:
            # an undo this session asked for, refused on a file damaged under it, is kept as
            # done (`Connection.undoing`): its record stays
            if not (isinstance(err, FileGoneError) and self.taking_back == review_id):
                for where in recorded:
                    unrecord(where)
            raise
        if recorded and undone is not None:  # committed: said done (`salvage.still_undone`)
            with suppress(OSError):  # unsaid, the record stands unless a copy shows the grade
                record_undone(self.path, (undone.card_id, recorded_at[0]), done=True)
        return undone

    def _undo(
        self,
        review_id: int,
        rules: UndoRules,
        expect: ReviewRow | None,
        record: Callable[[tuple[str, int], bool, int | None], None],
        newest: bool = False,
    ) -> ReviewRow | None:
        with self._write() as c:
            if newest and not self._still_newest(c, ("grade", review_id)):
                return None
            row = c.execute(
                "SELECT card_id, kind, grade, day, reviewed_at, session_id, seconds, leech, at "
                "FROM reviews WHERE id = ?",
                (review_id,),
            ).fetchone()
            if row is None:
                return None
            card_id, kind, grade, day, stamp, session_id, seconds, leech, at = row
            if expect is not None and (card_id, stamp, session_id) != (
                expect.card_id,
                expect.reviewed_at,
                expect.session_id,
            ):
                return None  # not the grade that was logged under this id
            stored = memory_from(c.execute(SELECT_MEMORY, (card_id,)).fetchone(), card_id)
            began = c.execute(_BEGAN_SPAN, (review_id,)).fetchone()[0] == 1
            c.execute("DELETE FROM reviews WHERE id = ?", (review_id,))
            c.execute(  # placed where it was made, if a kept grade added back: no longer
                "DELETE FROM learner_actions WHERE kind = ? AND seq = ?",
                (actions.PLACED_GRADE, review_id),
            )
            unsuspends: tuple[bool, int | None] = (False, None)  # the flag's time of change
            if leech is not None:
                # the grade that made the card a leech is taken back: so are its effects
                # (unless an earlier grade since the last reset had made it one too); the
                # suspension it made, when this process gave it and nothing changed the flag
                # since, back to its time of change before (as `take_back_suspension`: an
                # unsuspension dated now was newer than a suspension made on the phone
                # before the grade, which an Anki import then did not take)
                done = self.leech_suspended.get(review_id)
                rule = leech
                kept = actions.of_grade(c, review_id)  # in any process (schema 33)
                if kept is not None and len(kept.cards) == 1:
                    actions.forget(c, kept.id)
                    was_held, was_changed = kept.cards[0].before
                    if was_held:  # suspended before the grade (a session had it on screen)
                        rule = "tag"  # its suspension was not the rule's: it stays
                    elif done is None:  # given by another process
                        done = Unsuspended(Suspension(False, was_changed), kept.cards[0].after[1])
                held = _suspensions_in(c, [card_id]).get(card_id)
                back = (
                    done.was.changed
                    if done is not None and held is not None and held.changed == done.at
                    else change_seconds(None)
                )
                c.execute(
                    f"UPDATE cards SET leech = {LEECH_FROM_LOG}, "
                    "suspended = CASE WHEN :leech = 'suspend' THEN 0 ELSE suspended END, "
                    "suspended_changed = CASE WHEN :leech = 'suspend' AND suspended != 0 "
                    "THEN :at ELSE suspended_changed END WHERE id = :id",
                    {"leech": rule, "at": back, "id": card_id},
                )
                if rule == "suspend" and held is not None and held.suspended:
                    unsuspends = (True, back)
            if type(at) is int:
                record((str(card_id), at), *unsuspends)
            after = stored
            if kind == "scheduled":
                rebuild, redecide = rules(self._settings_in(c))
                if redecide is not None:
                    place = ((int(at), review_id), began) if type(at) is int else None
                    self._merge_card(c, card_id, (), redecide, write_memory=False, undone=place)
                after = rebuild(self._history_in(c, card_id), stored)
                self._put_memory(c, card_id, stored, after)
            undone = ReviewRow(
                id=review_id,
                card_id=card_id,
                kind=kind,
                grade=int(grade),
                day=day_of(day, card_id, "reviews.day") or date.min,
                reviewed_at=stamp,
                before=stored,
                after=after,
                seconds=seconds,
                session_id=session_id,
                leech=leech,
            )
        self.logged.pop(review_id, None)  # not kept if the file is found damaged later
        self.places.pop(review_id, None)
        self.leech_suspended.pop(review_id, None)
        return undone

    @staticmethod
    def _history_in(c: sqlite3.Connection, card_id: str) -> list[LogEntry]:
        return [
            LogEntry(day_of(d, card_id, "reviews.day") or date.min, grade_of(g, card_id))
            for d, g in c.execute(_HISTORY, (card_id,))
        ]

    def rebuild_all(self, rebuild_for: RebuildFor, chunk: int = REBUILD_CHUNK) -> int:
        """Rebuild every card's memory from its log (switching scheduler, repairs), the way
        the settings ask (`rebuild_for`, given the settings read inside each transaction: a
        later `config` in another process is never overwritten by this one's replay).

        The log is read outside any write transaction and the memories are written in chunks
        of `chunk` cards, each its own short transaction, so a grade in another terminal waits
        a fraction of a second at most. A card whose log changed after it was read is replayed
        again inside its chunk's transaction. Returns how many cards have a history.
        """
        self.guard_writes(whole_file=True)  # every card's log is read
        snapshot = self._log_snapshot()
        ids = list(snapshot)
        for start in range(0, len(ids), chunk):
            part = ids[start : start + chunk]
            with self._write() as c:
                rebuild = rebuild_for(self._settings_in(c))
                if not start:  # the log's FSRS states with the memories (`fresh_fsrs_log`)
                    c.execute(MARK_FSRS_LOG_STALE)
                marks = self._log_marks(c, part)
                for card_id in part:
                    row = c.execute(SELECT_MEMORY, (card_id,)).fetchone()
                    if row is None:
                        continue
                    stored = memory_from(row, card_id)
                    mark, history = snapshot[card_id]
                    if marks.get(card_id) != mark:
                        history = self._history_in(c, card_id)
                    self._put_memory(c, card_id, stored, rebuild(history, stored))
        return sum(1 for _, history in snapshot.values() if history)

    def ready_as_of(self, day: date, by: str) -> None:
        """The writes a read of `day` under scheduler `by` can need, made now: a past day's
        FSRS states in the log (`fresh_fsrs_log`), before a block of reads from one snapshot
        (`Reports.snapshot`), in which nothing is written."""
        if due_table(by) == "fsrs" and self.has_later(day):
            self.fresh_fsrs_log()

    def card_rows(self, by: str, as_of: date | None = None) -> list[StatsRow]:
        """`Reports.card_rows`, the log's FSRS states written again first when a past day is
        asked for under FSRS and they may be stale (`fresh_fsrs_log`)."""
        if as_of is not None and due_table(by) == "fsrs" and self.has_later(as_of):
            self.fresh_fsrs_log()
        return super().card_rows(by, as_of)

    def _reading_as_of(self, table: str) -> None:
        """`Reports.search` reads the study state as of a past day: under FSRS the log's
        states are written again first when they may be stale (`fresh_fsrs_log`)."""
        if table == "fsrs":
            self.fresh_fsrs_log()

    FSRS_LOG_CHUNK = 20_000
    """Log rows whose FSRS state `fresh_fsrs_log` writes per statement (not all at once)."""
    FSRS_LOG_NOTICE = 100_000
    """A log of this many rows or more is said to be replayed (`fresh_fsrs_log`, ~2 s a
    100,000): a past day's first look would otherwise wait in silence."""

    def fresh_fsrs_log(self) -> None:
        """Under FSRS, when a rebuild of the memories or an import may have left the log's
        FSRS states stale (`count.FSRS_LOG_STALE`): write each row's `fsrs_before` again from
        the replay of its card's scheduled grades after its reset, with the settings of now,
        as `show` replays them (a studied card's re-drill's too, as a grade writes it:
        `rows.outcome_values`). What a past day's `due`, `study` and `stats` read
        (`reports.due_as_of`): a switch from SM-2 left the rows of grades given under SM-2
        without a state, and those screens showed today's due dates for that day. Done the
        first time such a day is asked for, not by the switch (at 1,000,000 reviews, seconds
        the switch need not cost: 19.6-20.9 -> 21.3-22.3 s since a studied card's re-drills hold
        their state too); one transaction over the log."""
        if (
            self.read_only is not None
            or self.snapshotting  # reads only (the caller wrote them first, if it could)
            or self.get_meta(FSRS_LOG_STALE) is None
        ):
            return
        from dlcards.fsrs_sched import review
        from dlcards.memory import FsrsState
        from dlcards.sm2 import Grade

        with self._write(tables=("meta",), whole_file=True) as c:
            if c.execute("SELECT 1 FROM meta WHERE key = ?", (FSRS_LOG_STALE,)).fetchone() is None:
                return  # another process wrote them meanwhile
            settings = self._settings_in(c)
            if settings.scheduler != "fsrs":
                return  # (kept stale: SM-2's past days read SM-2's columns)
            retention, parameters = settings.desired_retention, tuple(settings.fsrs_parameters)
            self.guard_writes()
            held = c.execute("SELECT count(*) FROM reviews").fetchone()[0]
            if held >= self.FSRS_LOG_NOTICE:
                self.notice(
                    f"note: replaying the {held:,} reviews of the log for FSRS's state on a past "
                    "day (once after a scheduler or FSRS setting change, or an import)"
                )
            changes: list[tuple[str | None, int]] = []
            card, state = None, FsrsState()
            # every row, before the card's reset point too (a past day before it reads them,
            # `reports.LATER_FSRS`); a row with no last review before it started from a new
            # card (the card's first, or its first after a reset, the last one's point or an
            # earlier one the log keeps no point of), whatever its kind (a re-drill a session
            # asked for stays one when the grade before it is undone)
            rows = c.execute(
                "SELECT r.card_id, r.id, r.kind, r.day, r.grade, r.fsrs_before, "
                f"r.last_review_before IS NULL FROM reviews r ORDER BY r.card_id, {TIME_ORDER}"
            )
            for card_id, review_id, kind, day, grade, stored, anew in rows:
                if card_id != card or anew:
                    card, state = card_id, FsrsState()
                after = state
                if kind == "scheduled":
                    on = day_of(day, card_id, "reviews.day") or date.min
                    after = review(
                        state, Grade(grade_of(grade, card_id)), on, retention, parameters
                    )
                # (as a grade writes it: `rows.outcome_values`)
                held = after != state or (kind == "redrill" and state != FsrsState())
                value = state.to_json() if held else None
                if value != stored:
                    changes.append((value, review_id))
                    if len(changes) >= self.FSRS_LOG_CHUNK:
                        c.executemany("UPDATE reviews SET fsrs_before = ? WHERE id = ?", changes)
                        changes.clear()
                state = after
            c.executemany("UPDATE reviews SET fsrs_before = ? WHERE id = ?", changes)
            c.execute("DELETE FROM meta WHERE key = ?", (FSRS_LOG_STALE,))

    _MARKS = (
        f"SELECT c.id, {RESET_MARK}, "
        "(SELECT coalesce(max(r.id), 0) FROM reviews r WHERE r.card_id = c.id), "
        "(SELECT count(*) FROM reviews r WHERE r.card_id = c.id) FROM cards c"
    )

    def _log_snapshot(self) -> dict[str, tuple[Mark, list[LogEntry]]]:
        """Every card's log mark (reset point, last review id) and scheduled history."""
        marks = {
            cid: (int(at), int(reset), int(last), int(n))
            for cid, at, reset, last, n in self._call(
                lambda: self.conn.execute(self._MARKS).fetchall()
            )
        }
        snapshot: dict[str, tuple[Mark, list[LogEntry]]] = {
            cid: (mark, []) for cid, mark in marks.items()
        }
        days: dict[object, date] = {}  # one date object a day, not one a review

        def read() -> None:
            # row by row, not fetched whole: at 1,000,000 reviews the rows as one list and a
            # date per review took ~150 MB more of a switch to FSRS (364 MB peak)
            for card_id, review_id, day, grade in self.conn.execute(
                "SELECT r.card_id, r.id, r.day, r.grade FROM reviews r JOIN cards c "
                f"ON c.id = r.card_id WHERE r.kind = 'scheduled' AND {AFTER_RESET} "
                f"ORDER BY r.card_id, {TIME_ORDER}"
            ):
                mark, history = snapshot[card_id]
                if review_id > mark[2]:  # rows written after the marks were read wait for later
                    continue
                day_value = days.get(day)
                if day_value is None:
                    day_value = days[day] = day_of(day, card_id, "reviews.day") or date.min
                history.append(LogEntry(day_value, grade_of(grade, card_id)))

        self._call(read)
        return snapshot

    def histories(self) -> dict[str, list[LogEntry]]:
        """Every card's scheduled grades since its last reset, in time order (cards with none
        left out): what `dlcards optimize` fits FSRS to."""
        return {cid: history for cid, (_, history) in self._log_snapshot().items() if history}

    def _log_marks(self, c: sqlite3.Connection, ids: Sequence[str]) -> dict[str, Mark]:
        sql = self._MARKS + f" WHERE c.id IN ({','.join('?' * len(ids))})"
        return {
            cid: (int(at), int(reset), int(last), int(n))
            for cid, at, reset, last, n in c.execute(sql, list(ids))
        }

    def set_setting(self, key: str, value: str) -> None:
        self.set_meta(key, value)

    def change_setting(self, key: str, value: str, rebuild_for: RebuildFor) -> int | None:
        """Set one setting; when that changes the FSRS memories (`settings.rebuilds_fsrs`: FSRS
        switched on, or its retention or parameters changed while on), every card's memory is
        rebuilt from its log the way the new settings ask, and the setting and the memories
        are written in ONE
        transaction: no command ever sees the new setting with memories it did not make (a
        reviewed card with no FSRS state under FSRS), and a change that is killed leaves the
        collection as it was. The replays are computed first, outside any write transaction;
        inside it, a card whose log changed since is replayed again, and if the settings
        changed meanwhile (another `config`) every card is. Returns how many cards have a
        history when memories were rebuilt, else None. A stored value that is bad (the one
        being fixed) counts as a change."""
        while True:
            try:
                return self._change_setting(key, value, rebuild_for)
            except _RebuildsNow:
                continue  # another `config` made this a rebuild meanwhile: its checks first

    def _change_setting(self, key: str, value: str, rebuild_for: RebuildFor) -> int | None:
        """`change_setting` once; _RebuildsNow (nothing written) when the settings read inside
        the transaction rebuild the memories and those read before it did not. A setting that
        rebuilds nothing writes meta alone, and only meta is checked before it (at 100,000
        cards the memories' check is ~0.45 s of such a `config`)."""
        stored_now = self.stored_settings()
        after = self._checked({**stored_now, key: value})
        computed: dict[str, Memory] = {}
        snapshot: dict[str, tuple[Mark, list[LogEntry]]] = {}
        rebuilds = self._rebuilds(stored_now, key, after)
        if rebuilds:
            self.guard_writes(whole_file=True)  # every card's log is read
            snapshot = self._log_snapshot()
            stored = self._call(lambda: _all_memories(self.conn))
            rebuild = rebuild_for(after)
            computed = {
                cid: rebuild(history, stored[cid])
                for cid, (_, history) in snapshot.items()
                if cid in stored
            }
        with self._write(SESSION_TABLES if rebuilds else ("meta",)) as c:
            inside = stored_settings_in(c)
            now_after = self._checked({**inside, key: value})
            rebuilds_now = self._rebuilds(inside, key, now_after)
            if rebuilds_now and not rebuilds:
                raise _RebuildsNow  # rolled back: the memories were not checked
            c.execute(UPSERT_META, (key, value))
            if not rebuilds_now:
                return None
            c.execute(MARK_FSRS_LOG_STALE)  # (the log's states: `fresh_fsrs_log`)
            rebuild = rebuild_for(now_after)
            again = now_after != after  # another `config` meanwhile: every card replayed here
            marks = {
                cid: (int(at), int(reset), int(last), int(n))
                for cid, at, reset, last, n in c.execute(self._MARKS)
            }
            memories = _all_memories(c)
            histories = 0
            for cid in marks:
                if cid not in memories:
                    continue
                held = memories[cid]
                known = snapshot.get(cid)
                if again or known is None or known[0] != marks[cid] or cid not in computed:
                    history = self._history_in(c, cid)
                    want = rebuild(history, held)
                else:
                    history, want = known[1], computed[cid]
                histories += bool(history)
                self._put_memory(c, cid, held, want)
            return histories

    def _rebuilds(self, stored: dict[str, str], key: str, after: Settings) -> bool:
        """Whether setting `key` (giving `after`) changes the FSRS memories, from the settings
        as `stored` has them. The value it replaces is read as it is: leaving it out (as this
        once did, so that a bad stored value could be fixed) took `desired_retention` 0.85 →
        0.9 for a change from the default 0.9 to 0.9, and rebuilt nothing. A bad stored value
        is a change."""
        from dlcards.errors import DlcardsError
        from dlcards.settings import rebuilds_fsrs

        try:
            before = self._checked(stored)
        except DlcardsError:  # the bad value may be this one, or another (said on the next read)
            without = self._checked({k: v for k, v in stored.items() if k != key})
            return after.scheduler == "fsrs" or rebuilds_fsrs(without, after)
        return rebuilds_fsrs(before, after)

    def out_of_study(self, card_id: str) -> str | None:
        """Why the card is no longer studied, as the database says now: "suspended" (in
        another terminal, or by an Anki import), "retired" (a sync found it in no deck), or
        None. A study session asks before it shows each card."""
        row = self._call(
            lambda: self.conn.execute(
                "SELECT suspended, retired FROM cards WHERE id = ?", (card_id,)
            ).fetchone()
        )
        if row is None or row[1]:
            return "retired"
        return "suspended" if row[0] else None

    def suspend_one(self, card_id: str) -> Unsuspended | None:
        """Suspend one card (as `set_suspended`), for a study session's `!`; returns what its
        undo (`take_back_suspension`) puts back, or None when the card was suspended already
        (nothing changed)."""
        at = change_seconds(None)
        with self._write(CARD_FLAGS) as c:
            was = _suspensions_in(c, [card_id]).get(card_id)
            if was is None or was.suspended:
                return None
            c.execute(
                "UPDATE cards SET suspended = 1, suspended_changed = ? WHERE id = ?",
                (at, card_id),
            )
            change = actions.CardChange(card_id, (0, was.changed), (1, at))
            return Unsuspended(was, at, actions.record(c, "suspend", [change]))

    def take_back_suspension(self, card_id: str, done: Unsuspended) -> None:
        """Undo `suspend_one`: the card's flag and its time of change as they were (an
        unsuspension dated now was newer than a suspension made on the phone before the `!`,
        which an Anki import then did not take). A card whose flag changed again since
        (another terminal) is unsuspended now, as before."""
        with self._write(CARD_FLAGS) as c:
            actions.forget(c, done.action)  # no longer for `dlcards undo` to take back
            held = _suspensions_in(c, [card_id]).get(card_id)
            if held is None or not held.suspended:
                return
            c.execute(
                "UPDATE cards SET suspended = 0, suspended_changed = ? WHERE id = ?",
                (done.was.changed if held.changed == done.at else change_seconds(None), card_id),
            )

    def set_suspended(
        self, card_ids: Sequence[str], suspended: bool, now: datetime | None = None
    ) -> list[str]:
        """Set the flag, and when it changed (`suspended_changed`: `now`, else the clock's
        time); returns the ids whose flag changed (the others already had it). What it
        overwrote is kept in the same transaction, for `dlcards undo` (`store.actions`)."""
        at = change_seconds(now)
        kind = "suspend" if suspended else "unsuspend"
        with self._write(CARD_FLAGS) as c:
            changed = []
            changes = []
            for cid in card_ids:
                before = actions.columns_of(c, kind, cid)
                cur = c.execute(
                    "UPDATE cards SET suspended = ?, suspended_changed = ? "
                    "WHERE id = ? AND suspended != ?",
                    (int(suspended), at, cid, int(suspended)),
                )
                if cur.rowcount and before is not None:
                    changed.append(cid)
                    changes.append(actions.CardChange(cid, before, (int(suspended), at)))
            actions.record(c, kind, changes)
            return changed

    def unleech(
        self, card_ids: Sequence[str], now: datetime | None = None
    ) -> list[tuple[str, bool]]:
        """Take the leech mark off these cards, as an Anki user removes a note's `leech` tag:
        their lapses, log, schedule and suspension are kept. The mark's unleech point (as a
        reset point: the moment `now`, or the card's last review if that is later, and every
        review id so far) leaves the rows that fired the rule so far out of the mark, so an
        undo, a merge or doctor rebuilding it from the log (`LEECH_FROM_LOG`) does not put it
        back; a later lapse that fires the rule (Anki's: at the threshold, then every half
        threshold) marks the card again. Returns (id, suspended) for the cards that were
        leeches (the others are left as they are)."""
        moment = epoch_ms((now or datetime.now()).isoformat())
        with self._write(CARD_FLAGS) as c:
            done = []
            changes = []
            for cid in card_ids:
                before = actions.columns_of(c, "unleech", cid)
                row = c.execute(
                    "UPDATE cards SET leech = 0, unleech_after = (SELECT coalesce(max(seq), 0) "
                    "FROM sqlite_sequence WHERE name = 'reviews'), unleech_at = max(?, (SELECT "
                    "coalesce(max(r.at), -1) FROM reviews r WHERE r.card_id = cards.id)) "
                    "WHERE id = ? AND leech != 0 RETURNING suspended",
                    (moment, cid),
                ).fetchone()
                if row is not None and before is not None:
                    done.append((cid, bool(row[0])))
                    after = actions.columns_of(c, "unleech", cid)
                    assert after is not None
                    changes.append(actions.CardChange(cid, before, after))
            actions.record(c, "unleech", changes)
            return done

    def unleech_untagged(
        self, untagged: Mapping[str, int], write: bool = True
    ) -> list[tuple[str, bool]]:
        """Take the leech mark off the leeches whose note lost Anki's `leech` tag
        (`untagged`: card id -> when its note, without the tag, last changed in Anki, ms;
        `anki_progress.untagged_notes`), as `unleech` does: lapses, log, schedule and
        suspension kept. Only a tag known to have been on the note for this leech (an import
        found it: `remember_leech_tags`) and gone from a note that changed since is a removal
        (`tag_removed`): a note edited in Anki that never had the tag (one an export sent in a
        package never imported there) keeps the card a leech. The unleech point is the note's
        change, so an answer given in Anki after it that fires the rule (the threshold's next
        firing) marks the card again. Returns (id, suspended) of the cards it unleeched; with
        `write` False, of those it would (nothing is written)."""

        def due(c: sqlite3.Connection) -> list[tuple[str, int, bool]]:
            out = []
            for cid, mod in sorted(untagged.items()):
                row = c.execute(
                    f"SELECT c.suspended, {_LEECH_MADE_AT}, t.note_mod, t.leech_at, t.seen "
                    "FROM cards c JOIN anki_leech_tags t ON t.card_id = c.id WHERE c.id = ? "
                    "AND c.leech != 0",
                    (cid,),
                ).fetchone()
                if row is not None and tag_removed(mod, *row[1:]):
                    out.append((cid, mod, bool(row[0])))
            return out

        if not untagged:
            return []
        if not write:
            return [(cid, held) for cid, _, held in self._call(lambda: due(self.conn))]
        with self._write(CARD_FLAGS) as c:
            done = []
            for cid, mod, held in due(c):
                c.execute(
                    "UPDATE cards SET unleech_at = ?, unleech_after = (SELECT coalesce(max(seq), "
                    "0) FROM sqlite_sequence WHERE name = 'reviews') WHERE id = ?",
                    (mod, cid),
                )
                # a later answer from Anki that fired the rule again keeps the card a leech
                c.execute(f"UPDATE cards SET leech = {LEECH_FROM_LOG} WHERE id = ?", (cid,))
                if not c.execute("SELECT leech FROM cards WHERE id = ?", (cid,)).fetchone()[0]:
                    done.append((cid, held))
            return done

    def held_anki_ids(self, anki_ids: Iterable[int]) -> set[int]:
        """Of these Anki review ids, those the log holds (imported before)."""
        wanted = json.dumps(sorted(set(anki_ids)))
        rows = self._call(
            lambda: self.conn.execute(
                "SELECT anki_id FROM reviews WHERE anki_id IN (SELECT value FROM json_each(?))",
                (wanted,),
            ).fetchall()
        )
        return {int(r[0]) for r in rows}

    def told_unplaced(self) -> dict[str, int]:
        """What `dlcards import anki` said it left out and could say again at every import
        of the collection (the answers of a card no deck here has, a cloze taken out of its
        note's text or a card deleted in Anki; a card's previews in a filtered deck; a
        card's answers dated before 2000; the answers of cards Anki added to a dlcards note):
        a key per kind and Anki card or note (`answers:ID`, `previews:ID`, `early:ID`,
        `extra:NOTE`), with how many it said. An import says a card's again only when more
        came."""
        text = self.get_meta(ANKI_TOLD_KEY)
        try:
            told = json.loads(text) if text else {}
            return {str(k): int(v) for k, v in told.items()}
        except (ValueError, TypeError, AttributeError):
            return {}  # a damaged record: said again, and written anew

    def remember_unplaced(self, said: Mapping[str, int]) -> None:
        """Keep what an import said it left out (`told_unplaced`)."""
        if not said:
            return
        told = self.told_unplaced()
        for key, n in said.items():
            told[key] = max(n, told.get(key, 0))
        self.set_meta(ANKI_TOLD_KEY, json.dumps(dict(sorted(told.items()))))

    def suspensions(self, card_ids: Iterable[str]) -> dict[str, Suspension]:
        """The flag of each of these cards the database holds, and when it last changed."""
        return self._call(lambda: _suspensions_in(self.conn, card_ids))

    def follow_suspensions(
        self,
        decide: Callable[[Mapping[str, Suspension]], Mapping[str, Suspension]],
        card_ids: Iterable[str],
    ) -> dict[str, Suspension]:
        """Set the flags `decide` gives, from these cards' flags read inside the same
        transaction (a `suspend` in another terminal meanwhile is seen): each card's flag and
        its time of change as given. Returns what was written."""
        with self._write(CARD_FLAGS) as c:
            changes = dict(decide(_suspensions_in(c, card_ids)))
            rows = [
                {"suspended": int(s.suspended), "at": s.changed, "id": cid}
                for cid, s in sorted(changes.items())
            ]
            # a flag that changes, and (most of an import's: every card studied on the phone)
            # a flag that stays and takes a time only: not naming `suspended` in that UPDATE
            # keeps the due tally's trigger on it from running for each such card
            c.executemany(
                "UPDATE cards SET suspended = :suspended, suspended_changed = :at "
                "WHERE id = :id AND suspended != :suspended",
                rows,
            )
            c.executemany(
                "UPDATE cards SET suspended_changed = :at WHERE id = :id "
                "AND suspended = :suspended",
                rows,
            )
            return changes

    def guard_reset(self, card_ids: Sequence[str]) -> None:
        """The checks `reset` makes before it writes, made now (StoreError, nothing written):
        for a command that asks first, so that a damaged database is refused before the
        question, not after a `y` (the tables the reset writes, and, for a big reset, the whole
        file, which the full backup made before it verifies: `big_reset`); and a write lock
        another program holds (a lock taken after the question is still waited for, as by
        any write)."""
        whole = self.backups and self._call(lambda: big_reset(self.conn, card_ids))
        self.guard_writes(whole_file=whole, tables=MEMORY_TABLES)
        self.refuse_locked()

    def backup_before_reset(self, card_ids: Sequence[str], now: datetime | None = None) -> None:
        """The full backup `reset` makes first when it is big (`big_reset`: a StoreError when
        it cannot be made, nothing reset); for a caller that tries the reset again
        (`reset(..., backed_up=True)`) while another program holds the lock, with one backup.
        Every reset keeps what it overwrites in its record (`dlcards.store.resets`)."""
        if self.backups and self._call(lambda: big_reset(self.conn, card_ids)):
            self.backup_before("reset", (now or datetime.now()).date())

    def reset(
        self, card_ids: Sequence[str], now: datetime | None = None, backed_up: bool = False
    ) -> int:
        """Make cards new again (the log is kept; replays start after the reset point: the
        moment `now`, or the card's last review if that is later, and every review id so far).
        A card that is new already (never studied, or reset since) is left as it is: its reset
        point does not move, so reviews done elsewhere before now (an Anki import) still
        count. Returns how many of them had been studied (and were reset). `backed_up`: the
        caller made the backup (`backup_before_reset`).

        What the reset overwrites (each studied card's reset point, leech mark and memory
        rows) goes into the reset record beside the backups before it commits
        (`resets.record`, fsync'd and read back): a record that cannot be written is a
        StoreError, and nothing is reset. `undo_reset` puts it back."""
        import time

        from dlcards.store import resets

        moment = -1 if now is None else epoch_ms(now.isoformat())
        if not backed_up:
            self.backup_before_reset(card_ids, now)
        with self._write(MEMORY_TABLES) as c:
            studied = _studied(c, card_ids)  # again inside: another process may have graded
            if not studied:
                return 0
            seq = int(c.execute(_REVIEWS_SEQ).fetchone()[0])
            acted = int(c.execute(actions.LAST_ID).fetchone()[0])
            found = _reset_rows(c, studied)
            new_memories(c, studied)
            c.executemany(
                "UPDATE cards SET leech = 0, reset_after = (SELECT coalesce(max(seq), 0) "
                "FROM sqlite_sequence WHERE name = 'reviews'), reset_at = max(?, (SELECT "
                "coalesce(max(r.at), -1) FROM reviews r WHERE r.card_id = cards.id)) WHERE id = ?",
                [(moment, cid) for cid in studied],
            )
            marks = {cid: (at, after) for cid, at, after, *_ in _reset_rows(c, studied).values()}
            made = resets.ResetRecord(
                time.time_ns(),
                seq,
                tuple(
                    resets.CardBefore(cid, at, after, leech, sm2, fsrs, *marks[cid])
                    for cid, at, after, leech, sm2, fsrs in (found[cid] for cid in studied)
                ),
                acted,
            )
            try:
                dropped = resets.record(self.path, made)
            except OSError as err:
                raise StoreError(
                    f"cannot keep what the reset overwrites in {resets.resets_path(self.path)}"
                    f" ({err.strerror or err}); nothing was reset"
                ) from None
            # the newest reset made of those no longer kept: undo goes back no further (a
            # grade older than it, taken back, skipped over it); one undone or never
            # committed (no card of it holds its reset point or a later one) is none, and so
            # is one undo dropped already (`drop_reset`: its cards answered since in an
            # import; undo went past it for good, and the floor rose over the grades before
            # it). Each made is noted dropped (undo passes over it), and its line leaves the
            # file only once this has committed (`_trim_resets`): a kill before the COMMIT
            # leaves both
            held = list(resets.records(self.path)) if dropped else []
            noted = actions.dropped_resets(c) if dropped else set()
            were_made = [
                old
                for old in dropped
                if (old.made_ns, old.seq) not in noted and _was_made(c, old, held)
            ]
            if were_made:
                old = were_made[0]
                floor = actions.Floor(old.seq, old.made_ns, actions.RESETS_PRUNED, old.actions)
                actions.raise_floor(c, floor)
                low = actions.floor(c)
                for old in were_made:  # (none of them noted already)
                    # one the floor has passed needs no row (`actions.forget_passed_resets`):
                    # the floor's own reset does, and those made after the same ids
                    if low is None or not low.passes_reset(old.seq, old.actions):
                        actions.drop_reset(c, old.made_ns, old.seq, old.actions)
        if dropped and not self.conn.in_transaction:  # committed (not inside a caller's)
            self._trim_resets()
        return len(studied)

    def _trim_resets(self) -> None:
        """Take out of the reset record the lines beyond its size that undo no longer goes
        back to (noted dropped, passed by the floor, or never made), under the write lock
        (`resets.trim`). A record that cannot be rewritten stays as it is: the next reset
        trims it."""
        from dlcards.store import resets

        with self._write(()) as c:
            noted = actions.dropped_resets(c)
            placed = actions.placed_resets(c)
            low = actions.floor(c)
            held = list(resets.records(self.path))

            def passed(old: Any) -> bool:  # no row notes it dropped: the floor passed it
                at = placed.get((old.made_ns, old.seq), old.seq)
                return low is not None and low.passes_reset(at, old.actions)

            try:
                resets.trim(
                    self.path,
                    lambda old: (
                        (old.made_ns, old.seq) in noted
                        or passed(old)
                        or not _was_made(c, old, held)
                    ),
                )
            except OSError:
                pass

    def newest_action(self) -> actions.Action | None:
        """The newest `suspend`, `unsuspend`, study `!` or `unleech` still to take back
        (`store.actions`); None when there is none."""
        return self._call(lambda: actions.newest(self.conn))

    def undo_action(self, action_id: int) -> actions.Action | actions.Blocked | None:
        """Take back action `action_id` (`actions.take_back`) in one transaction: each of its
        cards' columns as they were before it; Blocked (nothing written) when a card of it was
        changed since by no learner action (its record dropped); None when it is no longer
        what undo takes back (`newest_undo`, read inside the transaction: another terminal
        took it back first, or committed a newer grade, reset or action since the pick)."""
        with self._write(CARD_FLAGS) as c:
            if not self._still_newest(c, ("action", action_id)):
                return None
            return actions.take_back(c, action_id)

    def newest_reset(self, after: int = 0) -> tuple[Any, list[str]] | None:
        """The newest reset still undoable (`dlcards.store.resets`: a card of it is as it
        left it) made after the review logged under `after` (its `seq` not below it), with
        those of its cards as it left them; None when there is none, or when the newest is
        one undo cannot take back (`UndoPick.blocked`)."""
        return self._call(lambda: self._newest_reset_in(self.conn, after))

    def undo_reset(self, made: Any, rebuild_for: RebuildFor, newest: bool = False) -> list[str]:
        """Take back the reset `made` (a `resets.ResetRecord`): each of its cards still as it
        left it (new, with the reset point it wrote: not studied or reset since) gets back the
        rows the reset overwrote (reset point, leech mark, sm2 and fsrs rows), and then the
        memory of the schedulers the settings keep replayed from its log (`rebuild_for`, given
        the settings read inside the transaction), as an undo of a grade does: when nothing
        changed since, the replay is those rows and nothing more is written; after a scheduler
        switch since (the FSRS rows of a card reset under SM-2 are empty), the replay of the
        log gives the memory the log holds. One transaction. Returns the ids put back (none
        when another terminal undid it first, or, with `newest` (`dlcards undo`), when it is
        no longer what undo takes back, read inside the transaction: `newest_undo`)."""
        with self._write(MEMORY_TABLES) as c:
            if newest and not self._still_newest(c, ("reset", made.made_ns, made.seq)):
                return []
            left = set(_as_reset_left(c, made))
            back = [card for card in made.cards if card.card_id in left]
            rebuild = rebuild_for(self._settings_in(c)) if back else None
            for card in back:
                c.execute(UPDATE_SM2, (*card.sm2, card.card_id))
                if card.fsrs is None:
                    c.execute("DELETE FROM fsrs WHERE card_id = ?", (card.card_id,))
                else:
                    c.execute(UPSERT_FSRS, (card.card_id, *card.fsrs))
                c.execute(
                    "UPDATE cards SET reset_at = ?, reset_after = ?, leech = ? WHERE id = ?",
                    (card.reset_at, card.reset_after, card.leech, card.card_id),
                )
                assert rebuild is not None
                held = c.execute(SELECT_MEMORY, (card.card_id,)).fetchone()
                stored = memory_from(held, card.card_id) if held else Memory()
                after = rebuild(self._history_in(c, card.card_id), stored)
                self._put_memory(c, card.card_id, stored, after)
            return [card.card_id for card in back]

    # bulk import -----------------------------------------------------------------------------

    def import_reviews(
        self, rows: Iterable[ReviewRow], rebuild_for: RebuildFor | None = None
    ) -> int:
        """Load review history in bulk (benchmarks, migrations from another program).

        `rows` are log rows for cards already in the database, each card's rows in the order
        they happened; their `id` fields are ignored (the log numbers them). One transaction:
        every row is appended to the log and each card's memory is set to the `after` memory
        of its last row; on any error nothing is written. `rows` may be a generator (read
        once). With `rebuild_for`, each imported card's memory is then rebuilt from its whole log
        in the same transaction (for states the rows do not carry, such as FSRS's). Returns the
        number of rows added.
        """
        self.guard_writes(whole_file=True)  # appending to the log
        last: dict[str, Memory] = {}

        def values() -> Iterator[tuple[Any, ...]]:
            for r in rows:
                last[r.card_id] = r.after
                yield review_values(r)

        with self._write() as c:
            # into a small log, the log's indexes are built again after the rows (bulk_indexes)
            held = c.execute("SELECT count(*) FROM reviews").fetchone()[0]
            with bulk_indexes(c, rebuild=held < BULK_ROWS):
                added = int(c.executemany(INSERT_REVIEW, values()).rowcount)
            cur = c.executemany(UPDATE_SM2, ((*sm2_values(m.sm2), cid) for cid, m in last.items()))
            if cur.rowcount != len(last):
                from dlcards.console import plural

                raise StoreError(
                    f"import_reviews: {plural(len(last) - cur.rowcount, 'card')} without an "
                    "SM-2 state; sync the decks before importing their reviews"
                )
            c.executemany(
                UPSERT_FSRS,
                ((cid, *fsrs_values(m.fsrs)) for cid, m in last.items() if not m.fsrs.is_new),
            )
            c.execute(MARK_FSRS_LOG_STALE)  # (the log's states: `fresh_fsrs_log`)
            if rebuild_for is not None:
                rebuild = rebuild_for(self._settings_in(c))
                for cid in last:
                    stored = memory_from(c.execute(SELECT_MEMORY, (cid,)).fetchone(), cid)
                    self._put_memory(c, cid, stored, rebuild(self._history_in(c, cid), stored))
        return added


RESET_BACKUP_CARDS = 1_000
"""A reset of more studied cards than this, or of half the studied cards or more, is big: a
full backup is made before it too (`big_reset`)."""

_REVIEWS_SEQ = "SELECT coalesce(max(seq), 0) FROM sqlite_sequence WHERE name = 'reviews'"


def big_reset(c: sqlite3.Connection, card_ids: Sequence[str]) -> bool:
    """Whether a reset of `card_ids` is big enough for a full backup before it: more than
    RESET_BACKUP_CARDS studied cards, or at least half of the collection's studied cards
    (a start over, which a learner may regret after studying the cards again, when `undo`
    no longer puts them back: a restore point `doctor --restore` knows is kept for it; a
    reset of a few cards of a large collection keeps only its record, `dlcards.store.resets`)."""
    studied = len(_studied(c, card_ids))
    if not studied:
        return False
    if studied > RESET_BACKUP_CARDS:
        return True
    total = c.execute("SELECT count(*) FROM sm2 WHERE last_review IS NOT NULL").fetchone()[0]
    return 2 * studied >= int(total)


def tag_removed(mod: int, made: int | None, note_mod: int, leech_at: int | None, seen: int) -> bool:
    """Whether a leech's note, without the `leech` tag in Anki and changed there at `mod` (ms),
    had the tag taken off there: the card is the leech it became at `made` (ms); the note
    Anki was last sent or seen to hold (`anki_leech_tags`) changed at `note_mod` (s) and
    carried the tag for the leech made at `leech_at` (ms; None: no tag), `seen` if an import
    found it. The tag must be this leech's (`leech_at` not before `made`: a tag sent for a
    mark taken off since is not), an import must have found it on the note (`seen`: Anki
    held it; a tag only sent, in a package that may never have been imported into Anki, is
    no tag Anki had, and a note edited there later without it took the mark off), and the
    note must have changed since it had it and since the leech was made (in that second or
    later)."""
    if made is None or leech_at is None or leech_at < made or mod <= made or not seen:
        return False
    return mod // 1000 >= note_mod


_LEECH_MADE_AT = (
    "(SELECT max(r.at) FROM reviews r WHERE r.card_id = c.id AND r.leech IS NOT NULL AND "
    f"(r.at, r.id) > ({RESET_MARK}) AND (r.at, r.id) > ({UNLEECH_MARK}))"
)
"""When the review that made card `c` a leech was given (ms): its newest review that fired
the leech rule since its reset and unleech points; NULL when there is none."""

_RESET_ROWS = (
    "SELECT c.id, c.reset_at, c.reset_after, c.leech, "
    + ", ".join(f"s.{col}" for col in SM2_COLUMNS)
    + ", f.card_id IS NOT NULL, "
    + ", ".join(f"f.{col}" for col in FSRS_COLUMNS)
    + " FROM cards c JOIN sm2 s ON s.card_id = c.id LEFT JOIN fsrs f ON f.card_id = c.id "
    "WHERE c.id IN (SELECT value FROM json_each(?))"
)


def _reset_rows(
    c: sqlite3.Connection, card_ids: Sequence[str]
) -> dict[str, tuple[str, Any, Any, int, tuple[Any, ...], tuple[Any, ...] | None]]:
    """Each card's marks and memory rows as they are: (id, reset_at, reset_after, leech,
    sm2 row, fsrs row or None), by id."""
    n = len(SM2_COLUMNS)
    found = {}
    for row in c.execute(_RESET_ROWS, (json.dumps(list(card_ids)),)):
        cid, at, after, leech = row[:4]
        sm2 = tuple(row[4 : 4 + n])
        fsrs = tuple(row[5 + n :]) if row[4 + n] else None
        found[str(cid)] = (str(cid), at, after, int(leech), sm2, fsrs)
    return found


def _as_reset_left(c: sqlite3.Connection, made: Any) -> list[str]:
    """The cards of reset record `made` still as the reset left them: new, with the reset
    point it wrote (not studied, nor reset, nor put back since)."""
    return _holding_reset_point(c, made, studied=False)


def _holding_reset_point(c: sqlite3.Connection, made: Any, studied: bool) -> list[str]:
    """The cards of reset record `made` that hold the reset point it wrote, and whose memory
    is new (`studied` False) or not (True)."""
    wrote = {card.card_id: (card.new_at, card.new_after) for card in made.cards}
    rows = c.execute(
        "SELECT c.id, c.reset_at, c.reset_after FROM cards c JOIN sm2 s ON s.card_id = c.id "
        f"WHERE s.last_review IS {'NOT ' if studied else ''}NULL "
        "AND c.id IN (SELECT value FROM json_each(?))",
        (json.dumps(list(wrote)),),
    )
    held = {str(cid): (at, after) for cid, at, after in rows}
    return [cid for cid, marks in wrote.items() if held.get(cid) == marks]


def _was_made(c: sqlite3.Connection, made: Any, held: Sequence[Any] = ()) -> bool:
    """Whether reset record `made` committed and was not taken back: a card of it holds the
    reset point it wrote, or a later one (reset again since). `held`: the record's lines,
    newest first; the first newer one of a card reset again says what that reset found: a
    card it found without the reset point `made` wrote is no sign of it (`made` was killed
    before its COMMIT, and its line, inert, counted as made: undo's floor rose over it; or
    `made` was taken back, and the newer reset wrote the same point again: the card's last
    review, dated ahead of the clock, is the point of both, and the undone reset counted as
    made)."""
    newer = list(held[: held.index(made)]) if made in held else []
    for card in made.cards:
        row = c.execute(
            "SELECT reset_at, reset_after FROM cards WHERE id = ?", (card.card_id,)
        ).fetchone()
        if row is None or row[0] is None or row[1] is None:
            continue
        wrote = (card.new_at, card.new_after)
        if (int(row[0]), int(row[1])) >= wrote:
            found = [
                (b.reset_at, b.reset_after)
                for later in reversed(newer)
                for b in later.cards
                if b.card_id == card.card_id
            ]
            if not found or found[0] == wrote:
                return True
    return False


def _studied_since_reset(c: sqlite3.Connection, made: Any) -> list[str]:
    """The cards of reset record `made` that hold the reset point it wrote and were studied
    since (their memory not new)."""
    return _holding_reset_point(c, made, studied=True)


def _last_study_grade_in(c: sqlite3.Connection) -> StudyGrade | None:
    """`Store.last_study_grade`, read on `c`."""
    # each study session's newest row, one seek along the session index (reviews_session):
    # the log's rows of no session (an import's) are never read; by id from the newest row
    # down, 1,000,000 imported rows on top were all read (~120 ms)
    placed = actions.placed_grades(c)
    row = c.execute(
        "SELECT r.id, r.card_id, r.grade, r.reviewed_at, r.day FROM reviews r "
        "WHERE r.id = (SELECT max((SELECT max(x.id) FROM reviews x "
        f"INDEXED BY reviews_session WHERE x.session_id = s.id{_NOT_PLACED if placed else ''})) "
        "FROM sessions s WHERE s.kind = 'study')"
    ).fetchone()
    found = [] if row is None else [row]
    if placed:  # kept grades added back: where they were made, not under their log ids
        found += c.execute(
            "SELECT r.id, r.card_id, r.grade, r.reviewed_at, r.day FROM reviews r "
            "JOIN sessions s ON s.id = r.session_id AND s.kind = 'study' "
            "WHERE r.id IN (SELECT value FROM json_each(?))",
            (json.dumps(sorted(placed)),),
        ).fetchall()
    if not found:
        return None
    newest = max(found, key=lambda r: placed.get(r[0], actions.GradeAt(r[0] - 1)).key())
    return int(newest[0]), str(newest[1]), int(newest[2]), str(newest[3]), str(newest[4])


def _suspensions_in(c: sqlite3.Connection, card_ids: Iterable[str]) -> dict[str, Suspension]:
    wanted = set(card_ids)
    if len(wanted) > _SCAN_FLAGS:  # every card's row, those asked for kept
        rows = c.execute(f"SELECT id, suspended != 0, {SUSPENSION_CHANGED} FROM cards")
        return {
            str(cid): Suspension(bool(held), changed)
            for cid, held, changed in rows
            if cid in wanted
        }
    rows = c.execute(
        f"SELECT id, suspended != 0, {SUSPENSION_CHANGED} FROM cards "
        "WHERE id IN (SELECT value FROM json_each(?))",
        (json.dumps(sorted(wanted)),),
    )
    return {str(cid): Suspension(bool(held), changed) for cid, held, changed in rows}


ANKI_TOLD_KEY = "anki_unplaced_told"
"""meta: what `dlcards import anki` said it left out, by kind and Anki card id, each with how
many: {"answers:1700000000000": 3, "previews:1700000000001": 1, ...} (`Store.told_unplaced`)."""

_SCAN_FLAGS = 5_000
"""Cards asked for from which `_suspensions_in` reads every card's row instead of a list of
ids (an import of a phone's 100,000 cards asks five times: a sorted JSON list of them
joined to the cards, 0.25 s a time; a scan 0.1 s)."""


def _studied(c: sqlite3.Connection, card_ids: Sequence[str]) -> list[str]:
    """The cards of `card_ids` that have been studied (are not new), in their order."""
    found: set[str] = set()
    for start in range(0, len(card_ids), 500):  # under SQLite's variable limit
        part = list(card_ids[start : start + 500])
        marks = ",".join("?" * len(part))
        found.update(
            r[0]
            for r in c.execute(
                f"SELECT card_id FROM sm2 WHERE last_review IS NOT NULL AND card_id IN ({marks})",
                part,
            )
        )
    return [cid for cid in card_ids if cid in found]


FRESH_CARD = (
    "INSERT INTO cards (id, topic, position, content_hash, tags, search_hash, search_rowid, "
    "edited, note_hash, added, retired, suspended) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, 0)"
)
"""A new card (`Store.sync_decks`'s `fresh`)."""
CHANGED_CARD = (
    "UPDATE cards SET topic = ?, position = ?, content_hash = ?, tags = ?, search_hash = ?, "
    "search_rowid = ?, edited = ?, note_hash = ?, retired = 0 WHERE id = ?"
)
"""A card of the decks whose row changes (`Store.sync_decks`'s `changed`)."""

INSERT_SEARCH = (
    "INSERT INTO card_search (rowid, card_id, question, answer, erratum, note, tags) "
    "VALUES (?, ?, ?, ?, ?, ?, ?)"
)


class _FirstSync:
    """A first sync's new cards written as its decks come (`Store.sync_decks`): nothing until
    they are BULK_CARDS, then the card tables' indexes are dropped (`bulk_cards`) and each
    deck's cards and search rows go in as it is reached; `close` adds their memories and
    makes the indexes again."""

    def __init__(self, store: Store, c: sqlite3.Connection) -> None:
        self.store, self.c = store, c
        self.bulk = ExitStack()
        self.on = False
        self.written: list[str] = []  # the ids of the cards written

    def write(self, fresh: list[tuple[Any, ...]], indexed: list[tuple[Any, ...]]) -> None:
        """Write `fresh` and `indexed` (then emptied), once there are enough."""
        if not self.on:
            if len(fresh) < BULK_CARDS:
                return  # too few yet: the sync writes them at its end, as any sync's
            self.store.guard_writes(tables=NEW_CARD_TABLES)
            self.bulk.enter_context(bulk_cards(self.c, rebuild=True))
            self.on = True
        Store._sync_insert(self.c, fresh)
        self.c.executemany(INSERT_SEARCH, indexed)
        self.written += [r[0] for r in fresh]
        fresh.clear()
        indexed.clear()

    def close(self) -> None:
        """The written cards' memories (`Store._first_memories`), then the indexes again."""
        Store._first_memories(self.c, self.written)
        self.bulk.close()


class _RebuildsNow(Exception):
    """`Store._change_setting`: the settings changed meanwhile, and the setting now rebuilds the
    memories, whose tables were not checked before the transaction began."""


def _merge_failed(card_id: str, merged: Callable[[], object]) -> None:
    """A card id met twice in a sync: the decks' own error (`merged`, their merge check)."""
    merged()
    raise StoreError(f"card id {card_id} is in two decks; ids must be unique across all decks")
