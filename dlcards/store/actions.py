"""What a learner's `suspend`, `unsuspend`, study `!` and `unleech` overwrote, kept in the
`learner_actions` table (schema 35) so that `dlcards undo` takes back the newest of them, as
Anki's Edit > Undo does.

Each action is one row, written in the transaction that makes the change (`record`): its kind,
when it was made (ns), the log's last id then (`seq`: a grade logged under a higher id came
after it; a reset with a higher `seq`, or the same and a later time, too) and, per card it
changed, the columns it changed as they were and as it left them (`COLUMNS`). `take_back`
puts the columns back in one transaction and deletes the row, so two undos at once never take
back one action twice. A card whose columns are no longer as the action left them was changed
since by something that is no learner action here (an `import anki` following a change made
in Anki, a `doctor` restore carrying a change over): the action is then not taken back over
that change; it is said (`Blocked`) and its row deleted, so that the next undo goes on to
the action before it.

Kind `grade`: the suspension a grade's leech rule made (`seq` the grade's review id), kept for
the undo of that grade (`Store.undo`), which puts back the flag's time of change it had; it is
no action of its own, and is kept as long as its grade is in the log.

Kind `placed grade`: where a kept grade added back to the log was made (`place_kept`), as
long as it is in the log. Kinds `dropped reset` and `placed reset` note a reset undo passes
over or places after a grade added since; they go once the floor passes their reset
(`forget_passed_resets`).

The newest KEEP actions are kept. The newest one pruned sets the floor (kind `floor`, one
row): undo takes back nothing made at or before it (`Floor`), and says so, since a grade or
reset older than a pruned action, taken back, would skip over that action. A `doctor`
restore that carries changes over without their actions raises it too (`RESTORED`).
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Sequence
from typing import Any, NamedTuple

COLUMNS: dict[str, tuple[str, ...]] = {
    "suspend": ("suspended", "suspended_changed"),
    "unsuspend": ("suspended", "suspended_changed"),
    "unleech": ("leech", "unleech_at", "unleech_after"),
    "grade": ("suspended", "suspended_changed"),
}
"""The `cards` columns each kind of action changes, and puts back when undone."""
UNDOABLE = ("suspend", "unsuspend", "unleech")
KEEP = 10_000
"""The table keeps its newest actions up to this many (an undo goes back so far at most)."""
FLOOR = "floor"
"""The kind of the one row that says how far back undo may go (`Floor`)."""
PRUNED = "pruned"
"""A floor's reason: an action older than the KEEP kept was pruned (its row deleted)."""
RESETS_PRUNED = "resets pruned"
"""A floor's reason: a reset older than those its record keeps (`resets.KEEP_BYTES`)."""
RESTORED = "restored"
"""A floor's reason: a `doctor --restore` carried over a change made since its backup that
no action of the restored database holds (`doctor._actions_as_restored`)."""

RESTORED_UNKEPT = "restored unkept"
"""A floor's reason: a `doctor --restore` over a damaged file put back a backup made before
schema 35, which keeps no actions: undo goes back no further than the restore."""

PLACED_RESET = "placed reset"
"""The kind of a row that places a reset after a grade added to the log since, made before
it (`place_resets`)."""

DROPPED_RESET = "dropped reset"
"""The kind of a row that says a reset is no longer for undo to take back (`drop_reset`)."""

PLACED_GRADE = "placed grade"
"""The kind of a row that places a kept grade added back to the log among the learner's
actions (`place_kept`): `seq` its log id, `cards` [after, acted, rid]."""

_SEQ = "SELECT coalesce(max(seq), 0) FROM sqlite_sequence WHERE name = 'reviews'"
LAST_ID = "SELECT coalesce(max(seq), 0) FROM sqlite_sequence WHERE name = 'learner_actions'"
"""The last id given to an action (ids are never reused): what a reset keeps to be placed
among them (`resets.ResetRecord.actions`)."""


class Place(NamedTuple):
    """Where a kept grade was made among the learner's actions, in the numbering of the file
    it was logged in (the raw copy its session made beside it, `Connection._rescue`, has the
    same): its log id (`rid`), the last action id then (`acted`: `store.actions.LAST_ID`, a
    reset's record keeps it too), and the identity (card, `at`) of the log's row before it
    (`prev`, its id below `rid`; None: the log was empty). It is placed by them when it is
    added back (`place_kept`), not by its time: a clock set back since made
    a suspension made after it look older."""

    rid: int
    acted: int
    prev: tuple[str, int] | None


class GradeAt(NamedTuple):
    """Where a grade is among the learner's actions: after the log's id `after` (the grade
    before it) and after the action id `acted` (None: after every action made after that
    grade, before the next grade); `rid`, `made_ms` order the grades placed at one point.
    A grade logged under id `r` is at (r - 1, None): an action is after it when made after
    its id (`seq` >= r). A kept grade added back (`place_kept`) is where it was made, though
    logged under an id above grades given after it."""

    after: int
    acted: int | None = None
    rid: int = 0
    made_ms: int = 0

    def before_action(self, seq: int, action_id: int) -> bool:
        """Whether the grade was made before the action `action_id` made after log id `seq`."""
        if seq != self.after:
            return seq > self.after
        return self.acted is not None and action_id > self.acted

    def before_reset(self, seq: int, acted: int | None, made_ns: int) -> bool:
        """Whether the grade was made before the reset made after log id `seq` and action id
        `acted` (`resets.ResetRecord`). Made after the same grade and action, nothing either
        wrote places them: then, and for a record of an older dlcards, by their times."""
        if seq != self.after:
            return seq > self.after
        if self.acted is None:
            return False
        if acted is None or acted == self.acted:
            return made_ns > self.made_ms * 1_000_000
        return acted > self.acted

    def key(self) -> tuple[int, int, int]:
        """Its place, to order grades by (the newest, highest)."""
        return (self.after, 1 << 62 if self.acted is None else self.acted, self.rid)


def grade_at(c: sqlite3.Connection, review_id: int) -> GradeAt:
    """Where the grade logged under `review_id` is among the learner's actions."""
    row = c.execute(
        "SELECT cards FROM learner_actions WHERE kind = ? AND seq = ? ORDER BY id DESC LIMIT 1",
        (PLACED_GRADE, review_id),
    ).fetchone()
    placed = None if row is None else _placed(row[0])
    return GradeAt(review_id - 1) if placed is None else placed


def _placed(text: str) -> GradeAt | None:
    try:
        held = json.loads(text)
        after, acted, rid, made_ms = held
    except (ValueError, TypeError):
        return None
    if all(type(v) is int for v in (after, acted, rid, made_ms)):
        return GradeAt(after, acted, rid, made_ms)
    return None


def placed_grades(c: sqlite3.Connection) -> dict[int, GradeAt]:
    """The grades added back and placed where they were made (`place_kept`) still in the
    log, by log id."""
    out = {}
    for seq, text in c.execute(
        "SELECT a.seq, a.cards FROM learner_actions a JOIN reviews r ON r.id = a.seq "
        "WHERE a.kind = ?",
        (PLACED_GRADE,),
    ):
        placed = _placed(text)
        if placed is not None:
            out[int(seq)] = placed
    return out


def place_kept(c: sqlite3.Connection, placed: dict[int, GradeAt]) -> None:
    """In the caller's transaction: the kept grades added back to the log (by their new log
    id) are where they were made (`GradeAt`, from their `Place`): a grade, action or reset
    made after them, logged under a lower id, is still newer, and undo takes it back first."""
    c.executemany(
        "INSERT INTO learner_actions (kind, made_ns, seq, cards) VALUES (?, 0, ?, ?)",
        [
            (PLACED_GRADE, rid, json.dumps([at.after, at.acted, at.rid, at.made_ms]))
            for rid, at in sorted(placed.items())
        ],
    )


class CardChange(NamedTuple):
    """One card's columns (`COLUMNS[kind]`) before the action and as it left them."""

    card_id: str
    before: tuple[Any, ...]
    after: tuple[Any, ...]


class Action(NamedTuple):
    id: int
    kind: str
    made_ns: int
    seq: int
    cards: tuple[CardChange, ...]


class Floor(NamedTuple):
    """How far back undo may go: nothing made at or before this point is taken back, for
    something newer than it and not kept (`why`: PRUNED, RESETS_PRUNED, RESTORED,
    RESTORED_UNKEPT) stands between (a grade or reset older than a pruned suspension, taken
    back, skipped over that suspension).

    The point is placed by ids, as the actions and resets are among themselves: the log's
    last id then (`seq`: a grade logged under a higher id is after it) and the last action
    id then (`acted`: an action under a higher id is after it; a pruned action's own id). A
    clock set back between them never misorders them. `made_ns`, its time, is said; it
    places the point only for a floor an earlier dlcards wrote (`acted` None) or a reset
    record that keeps no action id."""

    seq: int
    made_ns: int
    why: str
    acted: int | None = None

    def covers(self, action: Action) -> bool:
        """Whether the action is at or before the floor."""
        if self.acted is None:
            return (action.seq, action.made_ns) <= (self.seq, self.made_ns)
        return (action.seq, action.id) <= (self.seq, self.acted)

    def covers_reset(self, seq: int, acted: int | None, made_ns: int) -> bool:
        """Whether the reset made after the log's id `seq` and action id `acted` (`resets.
        ResetRecord`) is at or before the floor: a reset is after an action with an id not
        above `acted` (`ResetRecord.made_after`), and so after a floor placed there."""
        if self.acted is None or acted is None:
            return (seq, made_ns) <= (self.seq, self.made_ns)
        return (seq, acted) < (self.seq, self.acted)

    def covers_grade(self, at: GradeAt) -> bool:
        """Whether the grade at `at` (`GradeAt`; one logged under id r, at r - 1) is before
        the floor (an action whose `seq` is not below a grade's id came after it)."""
        if at.after != self.seq:
            return at.after < self.seq
        return at.acted is not None and self.acted is not None and at.acted < self.acted

    def passes_reset(self, seq: int, acted: int | None) -> bool:
        """Whether the reset made after the log's id `seq` and action id `acted` (None: not
        known) is before the floor by ids alone (`covers_reset` without the clock): what
        its row that drops or places it (`drop_reset`, `place_resets`), and its line beyond
        the record's size (`resets.trim`), may go for, undo's answers unchanged (it stops
        at the floor before it, whether it passes over that reset or not)."""
        if seq != self.seq:
            return seq < self.seq
        return self.acted is not None and acted is not None and acted < self.acted

    def above(self, other: Floor) -> bool:
        """Whether this floor is higher than `other` (undo goes back less far)."""
        if self.acted is None or other.acted is None:
            return (self.seq, self.made_ns) > (other.seq, other.made_ns)
        return (self.seq, self.acted) > (other.seq, other.acted)


class Blocked(NamedTuple):
    """An action not taken back: the cards changed since by no learner action."""

    action: Action
    changed: tuple[str, ...]


def columns_of(c: sqlite3.Connection, kind: str, card_id: str) -> tuple[Any, ...] | None:
    """The card's columns an action of `kind` changes, as they are now (None: no such card)."""
    row = c.execute(f"SELECT {', '.join(COLUMNS[kind])} FROM cards WHERE id = ?", (card_id,))
    found = row.fetchone()
    return None if found is None else tuple(found)


def record(
    c: sqlite3.Connection, kind: str, changes: Sequence[CardChange], seq: int | None = None
) -> int:
    """Keep one action in the caller's transaction; its row id (0 when no card changed)."""
    if not changes:
        return 0
    held = json.dumps([[ch.card_id, list(ch.before), list(ch.after)] for ch in changes])
    at = int(c.execute(_SEQ).fetchone()[0]) if seq is None else seq
    cur = c.execute(
        "INSERT INTO learner_actions (kind, made_ns, seq, cards) VALUES (?, ?, ?, ?)",
        (kind, time.time_ns(), at, held),
    )
    made = int(cur.lastrowid or 0)
    _prune(c)
    return made


def _prune(c: sqlite3.Connection) -> None:
    """Keep the newest KEEP actions (of the UNDOABLE kinds: the rows of the floor, of dropped
    resets and of grades take ids too, and a cut by id kept fewer actions than KEEP). Delete
    those older, raising the floor to the newest of them (an undo past it would take back a
    grade or reset older than an action no longer kept); and the rows of kind `grade` up to it
    whose grade is no longer in the log. A grade's row is kept as long as its grade is: its
    undo needs it (it puts back a flag the grade found set, which a pruned row left
    unsuspended)."""
    marks = ", ".join("?" * len(UNDOABLE))
    oldest_kept = c.execute(
        f"SELECT id FROM learner_actions WHERE kind IN ({marks}) ORDER BY id DESC LIMIT 1 OFFSET ?",
        (*UNDOABLE, KEEP - 1),
    ).fetchone()
    if oldest_kept is None:
        return
    cut = int(oldest_kept[0]) - 1
    row = c.execute(
        f"SELECT seq, made_ns, id FROM learner_actions WHERE id <= ? AND kind IN ({marks}) "
        "ORDER BY id DESC LIMIT 1",
        (cut, *UNDOABLE),
    ).fetchone()
    if row is None:
        return
    raise_floor(c, Floor(int(row[0]), int(row[1]), PRUNED, int(row[2])))
    c.execute(f"DELETE FROM learner_actions WHERE id <= ? AND kind IN ({marks})", (cut, *UNDOABLE))
    c.execute(
        "DELETE FROM learner_actions WHERE id <= ? AND kind = 'grade' AND NOT EXISTS "
        "(SELECT 1 FROM reviews r WHERE r.id = learner_actions.seq)",
        (cut,),
    )


def drop_reset(c: sqlite3.Connection, made_ns: int, seq: int, acted: int | None = None) -> None:
    """Keep that the reset made at (`made_ns`, `seq`) is no longer for undo to take back
    (`Store.drop_reset`; its record is a line of a file beside the backups, not deleted).
    `acted`: the last action id its record keeps (`resets.ResetRecord.actions`), which
    places it for `forget_passed_resets`."""
    c.execute(
        "INSERT INTO learner_actions (kind, made_ns, seq, cards) VALUES (?, ?, ?, ?)",
        (DROPPED_RESET, made_ns, seq, json.dumps([] if acted is None else [acted])),
    )


def forget_passed_resets(c: sqlite3.Connection) -> None:
    """In the caller's transaction: delete the rows that drop or place a reset (`drop_reset`,
    `place_resets`) the floor has passed (`Floor.passes_reset`, the reset placed after the
    log id its `placed reset` row says): undo stops at the floor before it either way. Kept,
    they stayed for good, one more each reset dropped (pruning keeps the newest actions)."""
    low = floor(c)
    if low is None:
        return
    placed = placed_resets(c)
    gone = []
    for rid, kind, made, seq, text in c.execute(
        "SELECT id, kind, made_ns, seq, cards FROM learner_actions WHERE kind IN (?, ?)",
        (DROPPED_RESET, PLACED_RESET),
    ).fetchall():
        acted = None
        if kind == DROPPED_RESET:
            try:
                held = json.loads(text)
            except ValueError:
                held = None
            if isinstance(held, list) and len(held) == 1 and type(held[0]) is int:
                acted = held[0]
        at = placed.get((int(made), int(seq)), int(seq))
        if kind == DROPPED_RESET and low.passes_reset(at, acted):
            gone.append(rid)
        elif kind == PLACED_RESET and low.passes_reset(at, None):
            gone.append(rid)
    c.executemany("DELETE FROM learner_actions WHERE id = ?", [(rid,) for rid in gone])


def dropped_resets(c: sqlite3.Connection) -> set[tuple[int, int]]:
    """The resets dropped from undo (`drop_reset`), as (made_ns, seq)."""
    rows = c.execute(
        "SELECT made_ns, seq FROM learner_actions WHERE kind = ?", (DROPPED_RESET,)
    ).fetchall()
    return {(int(made), int(seq)) for made, seq in rows}


def place_added_grades(c: sqlite3.Connection, added: Sequence[tuple[int, int]]) -> None:
    """In the caller's transaction: grades added to the log after the actions made since them
    (`added`: each one's log id and time, ms; kept grades a `doctor` repair or restore puts
    back, which the file had lost) are placed before those actions: each action made after
    one of them is made after its id (`seq`). Else, logged under ids above every action's
    `seq`, they were newer than a suspension made after them, and undo took them back first.
    Only for a grade whose place its session did not keep (a kept file of an older dlcards,
    the grade refused at the damage, the row before it not held: `doctor._kept_at`): its
    time places it, the actions' times; one whose place was kept is placed by it
    (`place_kept`)."""
    marks = ", ".join("?" * len(UNDOABLE))
    c.executemany(
        f"UPDATE learner_actions SET seq = ? WHERE kind IN ({marks}) AND seq < ? AND made_ns > ?",
        [(rid, *UNDOABLE, rid, at * 1_000_000) for rid, at in added],
    )


def place_resets(c: sqlite3.Connection, placed: dict[tuple[int, int], int]) -> None:
    """In the caller's transaction: the resets made at (made_ns, seq) of `placed` are made
    after the log's id given (a grade added to the log since, made before them:
    `place_added_grades`); their record is a line of a file beside the backups, not
    rewritten. Read by `placed_resets`."""
    held = placed_resets(c)
    for (made_ns, seq), after in sorted(placed.items()):
        if after <= held.get((made_ns, seq), seq):
            continue
        c.execute(
            "DELETE FROM learner_actions WHERE kind = ? AND made_ns = ? AND seq = ?",
            (PLACED_RESET, made_ns, seq),
        )
        c.execute(
            "INSERT INTO learner_actions (kind, made_ns, seq, cards) VALUES (?, ?, ?, ?)",
            (PLACED_RESET, made_ns, seq, json.dumps(after)),
        )


def placed_resets(c: sqlite3.Connection) -> dict[tuple[int, int], int]:
    """The resets placed after a later log id than their record's (`place_resets`), as
    (made_ns, seq) -> that id."""
    out = {}
    for made, seq, text in c.execute(
        "SELECT made_ns, seq, cards FROM learner_actions WHERE kind = ?", (PLACED_RESET,)
    ):
        try:
            after = json.loads(text)
        except ValueError:
            continue
        if type(after) is int:
            out[int(made), int(seq)] = after
    return out


def forget_gone_grades(c: sqlite3.Connection) -> None:
    """Delete the rows of kind `grade` or `placed grade` whose grade is no longer in the log
    (a `doctor` restore took it out: its undo was done)."""
    c.execute(
        "DELETE FROM learner_actions WHERE kind IN ('grade', ?) AND NOT EXISTS "
        "(SELECT 1 FROM reviews r WHERE r.id = learner_actions.seq)",
        (PLACED_GRADE,),
    )


def forget_covered(c: sqlite3.Connection) -> None:
    """Delete the actions at or before the floor: undo never takes them back."""
    low = floor(c)
    if low is None:
        return
    marks = ", ".join("?" * len(UNDOABLE))
    if low.acted is None:
        placed, values = "made_ns <= ?", (low.made_ns,)
    else:
        placed, values = "id <= ?", (low.acted,)
    c.execute(
        f"DELETE FROM learner_actions WHERE kind IN ({marks}) AND (seq < ? OR "
        f"(seq = ? AND {placed}))",
        (*UNDOABLE, low.seq, low.seq, *values),
    )


def reserve_id(c: sqlite3.Connection) -> int:
    """In the caller's transaction: an action id no action is given (`Floor.acted` for a
    floor placed after every action so far and before every one to come: a `doctor`
    restore's)."""
    held = int(c.execute(LAST_ID).fetchone()[0]) + 1
    if not c.execute(
        "UPDATE sqlite_sequence SET seq = ? WHERE name = 'learner_actions'", (held,)
    ).rowcount:
        c.execute("INSERT INTO sqlite_sequence (name, seq) VALUES ('learner_actions', ?)", (held,))
    return held


def floor(c: sqlite3.Connection) -> Floor | None:
    """How far back undo may go (None: as far as the log and the actions kept go)."""
    row = c.execute(
        "SELECT seq, made_ns, cards FROM learner_actions WHERE kind = ? ORDER BY id DESC LIMIT 1",
        (FLOOR,),
    ).fetchone()
    if row is None:
        return None
    why, acted = PRUNED, None
    try:
        held = json.loads(row[2])
    except ValueError:
        held = None
    if isinstance(held, str):  # an earlier dlcards's: its reason alone
        why = held
    elif isinstance(held, list) and len(held) == 2 and isinstance(held[0], str):
        why = held[0]
        acted = held[1] if type(held[1]) is int else None
    return Floor(int(row[0]), int(row[1]), why, acted)


def raise_floor(c: sqlite3.Connection, to: Floor) -> None:
    """In the caller's transaction: the floor at `to`, unless it is higher already. Its one
    row is updated in place (a new row each time took an id). Its `cards` hold its reason
    and `acted`."""
    held = floor(c)
    if held is not None and not to.above(held):
        return
    values = (to.seq, to.made_ns, json.dumps([to.why, to.acted]))
    if held is None:
        c.execute(
            "INSERT INTO learner_actions (kind, made_ns, seq, cards) VALUES (?, ?, ?, ?)",
            (FLOOR, values[1], values[0], values[2]),
        )
    else:
        c.execute(
            "UPDATE learner_actions SET seq = ?, made_ns = ?, cards = ? WHERE kind = ?",
            (*values, FLOOR),
        )
    forget_passed_resets(c)


def _action(row: tuple[Any, ...]) -> Action:
    aid, kind, made_ns, seq, text = row
    cards = tuple(CardChange(str(cid), tuple(b), tuple(a)) for cid, b, a in json.loads(text))
    return Action(int(aid), str(kind), int(made_ns), int(seq), cards)


def newest(c: sqlite3.Connection) -> Action | None:
    """The newest action still to take back; None when there is none."""
    marks = ", ".join("?" * len(UNDOABLE))
    row = c.execute(
        "SELECT id, kind, made_ns, seq, cards FROM learner_actions "
        f"WHERE kind IN ({marks}) ORDER BY id DESC LIMIT 1",
        UNDOABLE,
    ).fetchone()
    return None if row is None else _action(row)


def of_grade(c: sqlite3.Connection, review_id: int) -> Action | None:
    """The suspension the grade logged under `review_id` made by the leech rule, if kept."""
    row = c.execute(
        "SELECT id, kind, made_ns, seq, cards FROM learner_actions "
        "WHERE kind = 'grade' AND seq = ? ORDER BY id DESC LIMIT 1",
        (review_id,),
    ).fetchone()
    return None if row is None else _action(row)


def forget(c: sqlite3.Connection, action_id: int) -> None:
    c.execute("DELETE FROM learner_actions WHERE id = ?", (action_id,))


def take_back(c: sqlite3.Connection, action_id: int) -> Action | Blocked | None:
    """In the caller's transaction: put back what action `action_id` overwrote and delete its
    row; Blocked when a card of it is no longer as it left it (no card written; its row is
    deleted, as Anki drops what it cannot undo: the next undo goes on to the one before, where
    it stopped for good at that action, every undo the same refusal); None when it
    is gone (taken back meanwhile) or no longer the newest (another terminal made one since:
    the caller picks again). A card no longer in the database is passed over."""
    row = c.execute(
        "SELECT id, kind, made_ns, seq, cards FROM learner_actions WHERE id = ?", (action_id,)
    ).fetchone()
    if row is None:
        return None
    action = _action(row)
    if action.kind in UNDOABLE and (newer := newest(c)) is not None and newer.id != action.id:
        return None  # another terminal made a newer one meanwhile: that one is the newest now
    names = COLUMNS[action.kind]
    held = {ch.card_id: columns_of(c, action.kind, ch.card_id) for ch in action.cards}
    changed = tuple(
        ch.card_id
        for ch in action.cards
        if (now := held[ch.card_id]) is not None and _changed_since(action.kind, now, ch.after)
    )
    if changed:  # never taken back over that change: dropped, for the next undo to go on
        forget(c, action.id)
        return Blocked(action, changed)
    sets = ", ".join(f"{name} = ?" for name in names)
    c.executemany(
        f"UPDATE cards SET {sets} WHERE id = ?",
        [
            (*_put_back(action.kind, ch, now), ch.card_id)
            for ch in action.cards
            if (now := held[ch.card_id]) is not None
        ],
    )
    forget(c, action.id)
    return action


def _redated(kind: str, now: tuple[Any, ...], after: tuple[Any, ...]) -> bool:
    """Whether a suspension's columns `now` differ from those its action left (`after`) only
    by a later time of change: an `import anki` of a card Anki changed later with the same
    flag (an answer given there) takes the Anki card's time, so that an older file imported
    after it takes nothing back (`Store.follow_suspensions`). The flag was not changed."""
    if kind not in ("suspend", "unsuspend") or now[0] != after[0]:
        return False
    return now[1] is not None and (after[1] is None or now[1] > after[1])


def _changed_since(kind: str, now: tuple[Any, ...], after: tuple[Any, ...]) -> bool:
    """Whether a card's columns `now` were changed since an action of `kind` left them
    `after`, by no learner action: the action is then not taken back. A suspension only dated
    later (`_redated`) was not changed: undo refused the unsuspension before an answer given in
    Anki, and the suspension before it, the flag never changed."""
    return now != after and not _redated(kind, now, after)


def _put_back(kind: str, change: CardChange, now: tuple[Any, ...]) -> tuple[Any, ...]:
    """The columns a taken-back action writes: those it overwrote; a suspension an import
    dated later (`_redated`) keeps that later time with its flag put back, so that the same
    file imported again, a tie, keeps dlcards's flag (with the time before the action, older
    than the Anki card's, it took the flag back)."""
    if _redated(kind, now, change.after):
        return (change.before[0], now[1])
    return change.before
