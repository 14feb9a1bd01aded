"""What a `reset` overwrites, kept beside the backups so that `dlcards undo` can put it back.

A reset keeps the log and changes, for each studied card it makes new, three things: the
card's reset point (`cards.reset_at`, `cards.reset_after`), its leech mark (`cards.leech`) and
its memories (its `sm2` row, its `fsrs` row, which the reset makes if there was none). Before
the reset commits, those rows as they were, and the marks the reset writes, go as one line
into `backups/{stem}-resets.jsonl` (`record`), written with `fsync` and read back before the
commit: a reset whose record cannot be written or read back is not made.

A line is live while one of its cards is as the reset left it (its marks the ones the line
says the reset wrote, and new): a reset killed before its commit left a line none of whose
cards has those marks (a reset point the reset writes is after every one the card had), and
an undone reset, or a card studied since, no longer matches. `dlcards undo` takes back the
newest live reset when it is newer than the newest study grade (`Store.undo_reset`).

Each line carries the SHA-256 of its content: a line cut short by a kill, or changed, is
skipped. The file keeps the newest lines up to KEEP_BYTES (the newest always); an older line
is taken out (`trim`) once undo's floor over it has committed.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

RESETS_END = "-resets.jsonl"
KEEP_BYTES = 8 * 1024 * 1024
"""The record keeps its newest lines while they add up to this (and the newest in any case):
about 30,000 single-card resets, or the whole of one of 40,000 cards."""


@dataclass(frozen=True)
class CardBefore:
    """One card as a reset found it, and the marks the reset gave it.

    `sm2`: its sm2 row's values (`rows.SM2_COLUMNS`); `fsrs`: its fsrs row's
    (`rows.FSRS_COLUMNS`), None when it had none. `reset_at`, `reset_after`, `leech`: its
    marks before; `new_at`, `new_after`: the reset point the reset wrote."""

    card_id: str
    reset_at: int | None
    reset_after: int | None
    leech: int
    sm2: tuple[Any, ...]
    fsrs: tuple[Any, ...] | None
    new_at: int
    new_after: int


@dataclass(frozen=True)
class ResetRecord:
    """One reset: when it was made (ns since the epoch), the log's last id then (`seq`: a
    grade logged under a higher id came after it), its cards as it found them, and the last
    id given to a learner action then (`actions`, `store.actions`: one under a higher id came
    after it; None in a record of an older dlcards, which kept none)."""

    made_ns: int
    seq: int
    cards: tuple[CardBefore, ...]
    actions: int | None = None

    def made_after(self, action_id: int, action_seq: int, action_ns: int) -> bool:
        """Whether this reset was made after the learner action `action_id` (made with the
        log's last id `action_seq`, at `action_ns`): by the ids each was made after, in the
        order they were written, whatever the clock said. The clock, set back between them,
        made the reset the newer and `undo` took it back before the action made after it;
        only a record of an older dlcards (no `actions`) is still placed by its time."""
        if self.seq != action_seq:
            return self.seq > action_seq
        if self.actions is not None:
            return self.actions >= action_id
        return self.made_ns > action_ns


def resets_path(db: Path) -> Path:
    from dlcards.store.backup import folder_of

    return folder_of(db) / f"{db.stem}{RESETS_END}"


def _body(record: ResetRecord) -> dict[str, Any]:
    actions = {} if record.actions is None else {"actions": record.actions}
    return {
        "made_ns": record.made_ns,
        "seq": record.seq,
        **actions,
        "cards": [
            [
                c.card_id,
                c.reset_at,
                c.reset_after,
                c.leech,
                list(c.sm2),
                None if c.fsrs is None else list(c.fsrs),
                c.new_at,
                c.new_after,
            ]
            for c in record.cards
        ],
    }


def _digest(body: dict[str, Any]) -> str:
    text = json.dumps(body, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def encode(record: ResetRecord) -> bytes:
    """The record's line, with the SHA-256 of its content."""
    body = _body(record)
    doc = {**body, "sha256": _digest(body)}
    return (json.dumps(doc, separators=(",", ":")) + "\n").encode()


def _int_or_none(value: Any) -> bool:
    return value is None or type(value) is int


def decode(line: bytes) -> ResetRecord | None:
    """The record a line holds; None for a line cut short, changed or not a record."""
    try:
        doc = json.loads(line)
        digest = doc.pop("sha256")
        if not isinstance(doc, dict) or digest != _digest(doc):
            return None
        cards = []
        for item in doc["cards"]:
            cid, at, after, leech, sm2, fsrs, new_at, new_after = item
            if not (
                isinstance(cid, str)
                and _int_or_none(at)
                and _int_or_none(after)
                and type(leech) is int
                and isinstance(sm2, list)
                and (fsrs is None or isinstance(fsrs, list))
                and type(new_at) is int
                and type(new_after) is int
            ):
                return None
            cards.append(
                CardBefore(
                    cid,
                    at,
                    after,
                    leech,
                    tuple(sm2),
                    None if fsrs is None else tuple(fsrs),
                    new_at,
                    new_after,
                )
            )
        made, seq, actions = doc["made_ns"], doc["seq"], doc.get("actions")
        if type(made) is not int or type(seq) is not int or not _int_or_none(actions):
            return None
        return ResetRecord(made, seq, tuple(cards), actions)
    except (ValueError, KeyError, TypeError, AttributeError):
        return None


def record(db: Path, made: ResetRecord) -> list[ResetRecord]:
    """Append `made` to the database's reset record, durably, and read it back (an OSError
    when it cannot be written or does not read back as written: the reset is then not made).
    Returns the older records beyond KEEP_BYTES, newest first: the caller raises undo's floor
    over them and notes them dropped in its transaction (a grade older than a reset no longer
    kept is not taken back past it), and `trim` takes them out of the file once that has
    committed. They were dropped from the file here, before the commit: a reset killed before
    its COMMIT left the floor unraised and an older reset's line gone, and undo passed over
    that reset to the grade before it. The caller holds the database's write lock, which
    every writer of the record holds. A reset that then does not commit leaves its line inert
    (see the module docstring)."""
    import errno

    from dlcards.fileio import fsync_folder, open_regular, read_regular

    path = resets_path(db)
    path.parent.mkdir(exist_ok=True)
    line = encode(made)
    try:
        held = read_regular(path)
    except FileNotFoundError:
        held = b""
    over = _beyond(held, KEEP_BYTES - len(line))
    fd = open_regular(path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        before = os.fstat(fd).st_size
        if before and os.pread(fd, 1, before - 1) != b"\n":  # a line a kill cut short
            os.write(fd, b"\n")
            before += 1
        os.write(fd, line)
        os.fsync(fd)
        if os.pread(fd, len(line), before) != line:
            raise OSError(errno.EIO, "the reset record does not read back as written", str(path))
    finally:
        os.close(fd)
    if not before:  # a new file: its name made durable too
        fsync_folder(path.parent)
    return [r for one in reversed(over) if (r := decode(one.rstrip(b"\n"))) is not None]


def _beyond(held: bytes, room: int, whole: bool = False) -> list[bytes]:
    """The lines of `held` older than the newest that fit in `room` bytes, oldest first. A
    last line cut short by a kill is no record and takes no room; `whole`: no line that is no
    record (cut short, then ended by the next line's write; changed) takes room, and the
    newest record is kept whatever its size."""
    lines = held.splitlines(keepends=True)
    size = 0
    for n in range(len(lines) - 1, -1, -1):
        if not lines[n].endswith(b"\n"):
            continue
        if whole and decode(lines[n].rstrip(b"\n")) is None:
            continue
        if size + len(lines[n]) > room and not (whole and size == 0):
            return lines[: n + 1]
        size += len(lines[n])
    return []


def trim(db: Path, droppable: Callable[[ResetRecord], bool]) -> None:
    """Take out of the record the lines beyond KEEP_BYTES (the newest always kept) that are
    `droppable` (the caller: undo's floor over them committed, or never made) or no record
    (cut short, changed). Written atomically (`fileio.atomic_write_bytes`, whose temporary
    file a killed process leaves is removed by the next backup's `clean_stale_temps`). The
    caller holds the database's write lock."""
    from dlcards.fileio import atomic_write_bytes, read_regular

    path = resets_path(db)
    try:
        held = read_regular(path)
    except FileNotFoundError:
        return
    over = _beyond(held, KEEP_BYTES, whole=True)
    left = [
        one for one in over if (r := decode(one.rstrip(b"\n"))) is not None and not droppable(r)
    ]
    if len(left) < len(over):
        atomic_write_bytes(path, b"".join([*left, held[sum(map(len, over)) :]]), mode=0o600)


def records(db: Path) -> Iterator[ResetRecord]:
    """The database's reset records, newest first (none when the file cannot be read); lines
    cut short or changed are skipped. Each line is decoded when it is reached: `undo` of a
    grade reads only the lines newer than it."""
    from dlcards.fileio import read_regular

    try:
        text = read_regular(resets_path(db))
    except OSError:
        return
    for line in reversed(text.splitlines()):
        found = decode(line)
        if found is not None:
            yield found
