"""The review rows still readable in a damaged database file and its write-ahead log, read
page by page without SQLite (which refuses a damaged file, and deletes the -wal of a file cut
to 0 bytes when it opens it), and the grades a session kept when it found its database
damaged. `dlcards doctor --restore` adds those a backup lacks (`dlcards.store.doctor`).

The file's pages are laid under the log's committed frames (those of the log's current salt,
with a valid checksum chain, up to its last commit), the newest copy of each page winning, as
SQLite itself reads them; and past a frame a bit flip damaged, where SQLite's replay stops.
The reviews table is then walked from its root page, named in the
schema on page 1. When the walk cannot be made whole (page 1 or an inner page gone: a file
cut short or overwritten), every other table leaf left is read as well, and the cells shaped
as a review row are kept. A freed page may still hold a row deleted since (an undone grade):
the pages on the freelist (from the header on page 1 and its trunk pages) are not read, nor
are a page's freed cells (only those its cell pointers give); without page 1 the freelist is
not known, so that scan is the fallback, not the rule.

A row's identity is its card and its time (`card_id`, `at`): rowids are not kept across a
restore, and two grades of one card never share a millisecond (`Store.grade` puts each after
the card's latest).
"""

from __future__ import annotations

import json
import struct
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from pathlib import Path
from typing import Any

from dlcards.store.actions import Place
from dlcards.store.connection import page_size
from dlcards.store.rows import REVIEW_COLUMNS

KEPT_MARK = "-kept-"
"""A session's kept grades: `backups/{stem}-kept-{stamp}.json`."""
MERGED_SUFFIX = ".merged.json"
"""A kept-grades file a restore has added (`.merged.json` for `.json`): not salvaged again."""
DAMAGED_MARK = "-damaged-"
UNDONE_END = "-undone.jsonl"
"""The grades taken back (`Store.undo`), a line each: `backups/{stem}-undone.jsonl`."""
"""A raw copy of a damaged database (and its -wal): `backups/{stem}-damaged-{stamp}.db`."""
_LEAF, _INTERIOR = 0x0D, 0x05
_MIN_FIELDS = 1 + REVIEW_COLUMNS.index("last_review_before") + 1  # the rowid, schema 1's
_KINDS = ("scheduled", "redrill")


@dataclass(frozen=True)
class Salvaged:
    """Review rows read from damaged files and kept grades, each once, by identity."""

    rows: list[tuple[Any, ...]]  # values in REVIEW_COLUMNS order
    sources: list[Path]
    # by identity, the time (ns) of the newest raw database copy that still holds the row
    held_at: dict[tuple[str, int], int] = field(default_factory=dict)
    # by identity, where a kept grade was made (`Place`; none for a row a raw copy holds,
    # placed by its id there, nor for a kept file of an older dlcards)
    places: dict[tuple[str, int], Place] = field(default_factory=dict)

    @property
    def identities(self) -> set[tuple[str, int]]:
        return {identity(r) for r in self.rows}


def identity(row: tuple[Any, ...]) -> tuple[str, int]:
    return str(row[0]), int(row[REVIEW_COLUMNS.index("at")])


# --- pages --------------------------------------------------------------------------------


def _wal_frames(wal: bytes) -> tuple[int | None, dict[int, bytes]]:
    """The log's page size and its committed pages (page number -> newest committed copy).
    A frame of the log's current salt whose checksum fails (a bit flipped in it), or whose
    salts are another's, is left out, and the frames of the current salt after it are still
    read, their chain checked on from the checksum the broken frame's header carries: SQLite
    stops its replay there and drops every transaction committed after it (`walcheck`),
    which is what a restore salvages."""
    from dlcards.store.walcheck import one_bit_off, written_header

    # a header one flipped bit away is read as it was written
    head = written_header(wal[:32], wal[32 : 32 + 24 + int.from_bytes(wal[8:12], "big")])
    if head is None:
        return None, {}
    magic, _version, size, _seq, salt1, salt2, _, _ = struct.unpack(">8I", head)
    order = ">" if magic & 1 else "<"
    s0, s1 = _checksum(head[:24], 0, 0, order)
    pages: dict[int, bytes] = {}
    pending: dict[int, bytes] = {}
    at = 32
    while at + 24 + size <= len(wal):
        number, commit, f1, f2, k1, k2 = struct.unpack(">6I", wal[at : at + 24])
        data = wal[at + 24 : at + 24 + size]
        fixed = None
        # the chain through this frame as it is in the log: whether it holds, and (when it
        # does, or no single bit explains it) where the chain goes on from; computed once
        chained = None
        if (f1, f2) == (salt1, salt2):
            chained = _checksum(data, *_checksum(wal[at : at + 8], s0, s1, order), order)
        if chained is None or chained != (k1, k2):
            # one flipped bit (in its salts, its data or its checksum): read as written
            found = one_bit_off(wal[at : at + 24 + size], order + "%dI", s0, s1, (salt1, salt2))
            fixed = found[0] if len(found) == 1 else None  # which bit, when it can be told
        if fixed is not None:
            number, commit, f1, f2, k1, k2 = struct.unpack(">6I", fixed[:24])
            data = fixed[24:]
            chained = None  # its data changed: chained again below
        if (f1, f2) != (salt1, salt2) or number == 0:  # an older generation's, or damaged
            s0, s1 = k1, k2  # (a frame after it of the current salt goes on from here)
            at += 24 + size
            continue
        if chained is None:
            chained = _checksum(data, *_checksum(wal[at : at + 8], s0, s1, order), order)
        s0, s1 = chained
        if (s0, s1) == (k1, k2):
            pending[number] = data
        else:  # damaged: its page is not taken, the chain goes on from its written checksum
            s0, s1 = k1, k2
        if commit:
            pages.update(pending)
            pending = {}
        at += 24 + size
    return size, pages


def _checksum(data: bytes, s0: int, s1: int, order: str) -> tuple[int, int]:
    words = struct.unpack(f"{order}{len(data) // 4}I", data)
    for x0, x1 in zip(words[::2], words[1::2], strict=True):
        s0 = (s0 + x0 + s1) & 0xFFFFFFFF
        s1 = (s1 + x1 + s0) & 0xFFFFFFFF
    return s0, s1


def _read(path: Path) -> bytes:
    from dlcards.fileio import read_regular

    try:
        return read_regular(path)
    except OSError:
        return b""


def pages_of(db: Path) -> tuple[int, dict[int, bytes]]:
    """The page size and the pages of the database at `db` as its file and its committed
    log give them (the log's copy wins); missing pages are absent."""
    main = _read(db)
    wal_size, logged = _wal_frames(_read(Path(f"{db}-wal")))
    size = page_size(main[:100]) or wal_size or 4096
    pages = {
        n + 1: main[n * size : (n + 1) * size]
        for n in range(len(main) // size)
        if any(main[n * size : (n + 1) * size])
    }
    if wal_size == size:
        pages.update(logged)
    return size, pages


# --- records ------------------------------------------------------------------------------


def _varint(buf: bytes, at: int) -> tuple[int, int]:
    value = 0
    for i in range(8):
        byte = buf[at + i]
        value = (value << 7) | (byte & 0x7F)
        if not byte & 0x80:
            return value, at + i + 1
    return (value << 8) | buf[at + 8], at + 9


def _record(payload: bytes) -> list[Any]:
    header, at = _varint(payload, 0)
    types = []
    while at < header:
        t, at = _varint(payload, at)
        types.append(t)
    values: list[Any] = []
    body = header
    for t in types:
        if t == 0:
            values.append(None)
        elif 1 <= t <= 6:
            n = (1, 2, 3, 4, 6, 8)[t - 1]
            values.append(int.from_bytes(payload[body : body + n], "big", signed=True))
            body += n
        elif t == 7:
            values.append(struct.unpack(">d", payload[body : body + 8])[0])
            body += 8
        elif t in (8, 9):
            values.append(t - 8)
        elif t >= 12:
            n = (t - 12) // 2
            chunk = payload[body : body + n]
            values.append(chunk.decode("utf-8") if t % 2 else chunk)
            body += n
        else:
            raise ValueError("reserved serial type")
        if body > len(payload):
            raise ValueError("record past its payload")
    return values


class _Image:
    def __init__(self, size: int, pages: dict[int, bytes]) -> None:
        self.size, self.pages = size, pages
        self.usable = size - (pages[1][20] if 1 in pages and page_size(pages[1]) else 0)

    def header(self, number: int) -> tuple[int, int, int] | None:
        """A table b-tree page's type, cell count and where its cell pointers start."""
        page = self.pages.get(number)
        if page is None:
            return None
        at = 100 if number == 1 else 0
        kind = page[at]
        if kind not in (_LEAF, _INTERIOR):
            return None
        cells = int.from_bytes(page[at + 3 : at + 5], "big")
        start = at + (8 if kind == _LEAF else 12)
        if start + 2 * cells > self.size:
            return None
        return kind, cells, start

    def _payload(self, page: bytes, at: int, length: int) -> bytes:
        u = self.usable
        x = u - 35
        if length <= x:
            return page[at : at + length]
        m = ((u - 12) * 32 // 255) - 23
        k = m + (length - m) % (u - 4)
        inline = k if k <= x else m
        out = bytearray(page[at : at + inline])
        nxt = int.from_bytes(page[at + inline : at + inline + 4], "big")
        seen = set()
        while len(out) < length and nxt and nxt not in seen:
            seen.add(nxt)
            over = self.pages.get(nxt)
            if over is None:
                raise ValueError("overflow page missing")
            nxt = int.from_bytes(over[:4], "big")
            out += over[4 : min(u, 4 + length - len(out))]
        if len(out) < length:
            raise ValueError("payload cut short")
        return bytes(out)

    def leaf_records(self, number: int) -> Iterator[list[Any]]:
        for _, rec in self.leaf_cells(number):
            yield rec

    def leaf_cells(self, number: int) -> Iterator[tuple[int, list[Any]]]:
        """Each record of a table leaf page with its rowid."""
        found = self.header(number)
        if found is None or found[0] != _LEAF:
            return
        _, cells, start = found
        page = self.pages[number]
        for i in range(cells):
            try:
                at = int.from_bytes(page[start + 2 * i : start + 2 * i + 2], "big")
                length, at = _varint(page, at)
                rowid, at = _varint(page, at)
                yield rowid, _record(self._payload(page, at, length))
            except (ValueError, IndexError, UnicodeDecodeError, struct.error):
                continue

    def children(self, number: int) -> list[int]:
        found = self.header(number)
        if found is None or found[0] != _INTERIOR:
            return []
        _, cells, start = found
        page = self.pages[number]
        at = 100 if number == 1 else 0
        kids = [int.from_bytes(page[at + 8 : at + 12], "big")]
        for i in range(cells):
            cell = int.from_bytes(page[start + 2 * i : start + 2 * i + 2], "big")
            kids.append(int.from_bytes(page[cell : cell + 4], "big"))
        return kids

    def freed(self) -> set[int]:
        """The pages on the file's freelist, as its header (page 1) and the trunk pages give
        them: a page freed keeps what it held unless SQLite was built to wipe it
        (`secure_delete`), so a freed leaf of the log still shows the rows deleted from it (an
        undone grade). Empty when page 1 is not there (the freelist is not known)."""
        head = self.pages.get(1)
        if head is None or not page_size(head):
            return set()
        trunk = int.from_bytes(head[32:36], "big")
        total = int.from_bytes(head[36:40], "big")
        found: set[int] = set()
        while trunk and trunk not in found and len(found) <= total:
            found.add(trunk)
            page = self.pages.get(trunk)
            if page is None:
                break
            leaves = min(int.from_bytes(page[4:8], "big"), self.usable // 4 - 2)
            found.update(int.from_bytes(page[8 + 4 * i : 12 + 4 * i], "big") for i in range(leaves))
            trunk = int.from_bytes(page[:4], "big")
        return found

    def walk(self, root: int) -> tuple[list[list[Any]], set[int], bool]:
        """The records of the table b-tree at `root`, the pages visited, and whether every
        page of it was there."""
        cells, seen, whole = self.walk_cells(root)
        return [rec for _, rec in cells], seen, whole

    def walk_cells(self, root: int) -> tuple[list[tuple[int, list[Any]]], set[int], bool]:
        """`walk`, each record with its rowid."""
        records: list[tuple[int, list[Any]]] = []
        seen: set[int] = set()
        whole = True
        todo = [root]
        while todo:
            number = todo.pop()
            if number in seen:
                whole = False
                continue
            seen.add(number)
            found = self.header(number)
            if found is None:
                whole = False
            elif found[0] == _LEAF:
                records.extend(self.leaf_cells(number))
            else:
                todo.extend(self.children(number))
        return records, seen, whole


def _reviews_root(image: _Image, table: str = "reviews") -> int | None:
    records, _, _ = image.walk(1)
    for rec in records:
        if len(rec) >= 5 and rec[0] == "table" and rec[1] == table and type(rec[3]) is int:
            return rec[3]
    return None


def _columns(sql: str) -> list[str]:
    """The column names of a `CREATE TABLE` statement, in order (as SQLite stores its rows,
    columns added by `ALTER TABLE` last)."""
    body = sql[sql.index("(") + 1 : sql.rindex(")")]
    parts, depth, start = [], 0, 0
    for i, ch in enumerate(body):
        depth += ch == "("
        depth -= ch == ")"
        if ch == "," and depth == 0:
            parts.append(body[start:i])
            start = i + 1
    parts.append(body[start:])
    return [part.split()[0].strip('"`[]') for part in parts if part.split()]


CARD_MARKS = ("reset_at", "reset_after", "leech", "suspended", "suspended_changed")
"""The columns of a card that change without a log row (`dlcards reset`, `suspend`)."""
LATER_MARKS = ("unleech_at", "unleech_after")
"""Such columns a file made before them lacks (`dlcards unleech`, schema 29): None there."""


def card_marks_in(db: Path) -> dict[str, dict[str, Any]]:
    """Each card's CARD_MARKS readable in the database file at `db` and its -wal, by card id,
    walking the cards table from its root (as SQLite reads it); {} when that cannot be
    found."""
    size, pages = pages_of(db)
    if not pages:
        return {}
    image = _Image(size, pages)
    schema, _, _ = image.walk(1)
    for rec in schema:
        if len(rec) >= 5 and rec[:2] == ["table", "cards"] and type(rec[3]) is int:
            root, sql = rec[3], rec[4]
            break
    else:
        return {}
    try:
        names = _columns(str(sql))
    except ValueError:
        return {}
    if "id" not in names or not set(CARD_MARKS) <= set(names):
        return {}
    records, _, _ = image.walk(root)
    out: dict[str, dict[str, Any]] = {}
    for rec in records:
        row = dict(zip(names, rec + [None] * (len(names) - len(rec)), strict=False))
        marks = (*CARD_MARKS, *LATER_MARKS)
        if isinstance(row["id"], str) and all(
            row.get(c) is None or type(row.get(c)) is int for c in marks
        ):
            out[row["id"]] = {c: row.get(c) for c in marks}
    return out


def _as_review(rec: list[Any]) -> tuple[Any, ...] | None:
    """A review row (REVIEW_COLUMNS' values) from a record shaped as one, else None."""
    if not _MIN_FIELDS <= len(rec) <= 1 + len(REVIEW_COLUMNS) or rec[0] is not None:
        return None
    values = list(rec[1:]) + [None] * (1 + len(REVIEW_COLUMNS) - len(rec))
    row = dict(zip(REVIEW_COLUMNS, values, strict=True))
    card, stamp, day, grade = row["card_id"], row["reviewed_at"], row["day"], row["grade"]
    if not (isinstance(card, str) and card and isinstance(stamp, str) and isinstance(day, str)):
        return None
    if type(grade) is not int or not 0 <= grade <= 5 or row["kind"] not in _KINDS:
        return None
    try:
        date.fromisoformat(day)
        when = datetime.fromisoformat(stamp)
    except ValueError:
        return None
    if type(row["at"]) is not int:
        row["at"] = round(when.timestamp() * 1000)
    return tuple(row[c] for c in REVIEW_COLUMNS)


def reviews_in(db: Path) -> list[tuple[Any, ...]]:
    """The review rows readable in the database file at `db` and its -wal (see the module
    docstring), in REVIEW_COLUMNS order."""
    return [row for _, row in _review_cells(db)]


def review_ids_in(db: Path) -> dict[tuple[str, int], int]:
    """The log id of each review readable in `db` (as `reviews_in`), by identity: where a
    change carried over from it stands among its grades (`doctor._actions_as_restored`)."""
    return {identity(row): rowid for rowid, row in _review_cells(db)}


def _review_cells(db: Path) -> list[tuple[int, tuple[Any, ...]]]:
    size, pages = pages_of(db)
    if not pages:
        return []
    image = _Image(size, pages)
    root = _reviews_root(image)
    records: list[tuple[int, list[Any]]] = []
    whole = False
    seen: set[int] = set()
    if root is not None:
        records, seen, whole = image.walk_cells(root)
    if not whole:  # the tree is broken: every other leaf left, by the shape of its rows,
        skip = seen | image.freed()  # but a freed page's (its rows were deleted: undone)
        for number in sorted(pages):
            if number not in skip:
                records.extend(image.leaf_cells(number))
    return [(rowid, row) for rowid, rec in records if (row := _as_review(rec)) is not None]


def actions_in(db: Path) -> list[tuple[int, str, int, str]]:
    """The `learner_actions` rows readable in `db` (id, kind, seq, cards), by walking its
    table from its root; [] when that cannot be found (a file before schema 35)."""
    size, pages = pages_of(db)
    if not pages:
        return []
    image = _Image(size, pages)
    root = _reviews_root(image, "learner_actions")
    if root is None:
        return []
    out = []
    for rowid, rec in image.walk_cells(root)[0]:
        if len(rec) == 5 and rec[0] is None and isinstance(rec[1], str):
            if type(rec[3]) is int and isinstance(rec[4], str):
                out.append((rowid, rec[1], rec[3], rec[4]))
    return out


# --- kept grades --------------------------------------------------------------------------


def write_kept(
    target: Path,
    db: Path,
    rows: Iterable[tuple[Any, ...]],
    places: Sequence[Place | None] = (),
) -> None:
    """The grades a session kept (REVIEW_COLUMNS' values), durably, as JSON; with `places`,
    each one's `Place` (None: not known), in the order of `rows`."""
    from dlcards.fileio import atomic_write_bytes

    held = [list(r) for r in rows]
    doc: dict[str, Any] = {"database": str(db), "columns": list(REVIEW_COLUMNS), "rows": held}
    if places:
        doc["places"] = [
            None if p is None else [p.rid, p.acted, None if p.prev is None else list(p.prev)]
            for p in places
        ]
    atomic_write_bytes(target, json.dumps(doc, ensure_ascii=False).encode())


def read_places(path: Path) -> dict[tuple[str, int], Place]:
    """The `Place` of each grade of a kept-grades file that keeps them, by identity; {} for
    a file of an older dlcards, or one that cannot be read."""
    from dlcards.fileio import read_regular

    try:
        doc = json.loads(read_regular(path))
        columns, rows, places = doc["columns"], doc["rows"], doc.get("places") or []
        card, at = columns.index("card_id"), columns.index("at")
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return {}
    out = {}
    for row, place in zip(rows, places, strict=False):
        try:
            rid, acted, prev = place
            key = (row[card], row[at])
            if prev is not None:
                prev = (prev[0], prev[1])
        except (TypeError, ValueError, IndexError):
            continue
        if not (
            isinstance(key[0], str)
            and type(key[1]) is int
            and type(rid) is int
            and type(acted) is int
            and (prev is None or (isinstance(prev[0], str) and type(prev[1]) is int))
        ):
            continue
        out[key] = Place(rid, acted, prev)
    return out


def read_kept(path: Path) -> list[tuple[Any, ...]]:
    """The rows of a kept-grades file, each checked as a log row; [] if it cannot be read."""
    from dlcards.fileio import read_regular

    try:
        doc = json.loads(read_regular(path))
        columns = doc["columns"]
        rows = [dict(zip(columns, r, strict=True)) for r in doc["rows"]]
    except (OSError, ValueError, KeyError, TypeError):
        return []
    out = []
    for r in rows:
        rec = [None, *(r.get(c) for c in REVIEW_COLUMNS)]
        if (row := _as_review(rec)) is not None:
            out.append(row)
    return out


# --- grades taken back ----------------------------------------------------------------------


def undone_path(db: Path) -> Path:
    from dlcards.store.backup import folder_of

    return folder_of(db) / f"{db.stem}{UNDONE_END}"


def record_undone(
    db: Path,
    row: tuple[str, int],
    unsuspends: bool = False,
    unsuspended: int | None = None,
    done: bool = False,
) -> tuple[Path, int]:
    """Append an undone grade's identity (card, time) and the time of its undo to the
    database's undo record beside its backups, durably, before the undo commits: an undo
    deletes the log row, and a file damaged afterwards cannot show the deletion (an emptied
    file's log is gone with it; a session that kept its grades then kept this one, and a
    restore brought it back). `unsuspends`: the grade had suspended the card as a leech, and
    the undo unsuspended it, with the time of change `unsuspended` (for the restore to do the
    same). `done`: the undo is done (committed, or kept as done by a session that found its
    file damaged), a line of its own after the first (`still_undone`).
    Returns the record's path and its size before, for `unrecord` when the undo does not
    commit. Raises OSError."""
    import os
    import time

    path = undone_path(db)
    path.parent.mkdir(exist_ok=True)
    doc: dict[str, Any] = {"card_id": row[0], "at": row[1], "undone_ns": time.time_ns()}
    if unsuspends:
        doc["unsuspended"] = unsuspended  # None: the flag had no time of change before
    if done:
        doc["done"] = True
    line = json.dumps(doc)
    from dlcards.fileio import open_regular

    fd = open_regular(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT)
    try:
        before = os.fstat(fd).st_size
        os.write(fd, (line + "\n").encode())
        os.fsync(fd)
    finally:
        os.close(fd)
    return path, before


def unrecord(where: tuple[Path, int]) -> None:
    """Take back a `record_undone` line (its undo did not commit)."""
    import os

    try:
        os.truncate(where[0], where[1])
    except OSError:
        pass


@dataclass(frozen=True)
class Undone:
    """A grade taken back: when (ns since the epoch); whether the grade had suspended its
    card as a leech, which its undo took back, and the time of change it gave the flag."""

    when_ns: int
    unsuspends: bool = False
    unsuspended: int | None = None
    done: bool = False  # known to be done: committed, or kept as done (`record_undone`)


def undone_since(db: Path, since_ns: int) -> dict[tuple[str, int], Undone]:
    """The grades taken back after `since_ns` (a backup's mtime), by identity: what a
    restore of that backup must not bring back, from whatever it salvages. A line cut short
    (a crash mid-write) is skipped."""
    from dlcards.fileio import read_regular

    try:
        text = read_regular(undone_path(db)).decode("utf-8", errors="replace")
    except OSError:
        return {}
    found: dict[tuple[str, int], Undone] = {}
    for line in text.splitlines():
        try:
            doc = json.loads(line)
            card, at, when = doc["card_id"], doc["at"], doc["undone_ns"]
            unsuspends = "unsuspended" in doc
            unsuspended = doc.get("unsuspended")
            done = doc.get("done") is True
        except (ValueError, KeyError, TypeError, AttributeError):
            continue
        if isinstance(card, str) and type(at) is int and type(when) is int and when >= since_ns:
            earlier = found.get((card, at))
            if done and earlier is not None:  # the line saying the one before it committed
                found[card, at] = replace(earlier, done=True)
                continue
            changed = unsuspended if type(unsuspended) is int else None
            found[card, at] = Undone(when, unsuspends, changed, done)
    return found


def sources(db: Path, since_ns: int) -> list[Path]:
    """The raw copies of the damaged database and the kept-grades files in its backups
    folder made after `since_ns` (a backup's mtime): what a restore of that backup salvages
    from."""
    from dlcards.store.backup import folder_of

    folder = folder_of(db)
    found = []
    try:
        entries = list(folder.iterdir())
    except OSError:
        return []
    for entry in entries:
        name = entry.name
        raw = name.startswith(db.stem + DAMAGED_MARK) and name.endswith(".db")
        kept = (
            name.startswith(db.stem + KEPT_MARK)
            and name.endswith(".json")
            and not name.endswith(MERGED_SUFFIX)
        )
        try:
            if (raw or kept) and entry.stat().st_mtime_ns >= since_ns:
                found.append(entry)
        except OSError:
            continue
    return sorted(found)


def salvage(paths: Iterable[Path]) -> Salvaged:
    """Every review row readable in `paths` (raw database copies, with their -wal beside
    them, and kept-grades files), each identity once."""
    rows: dict[tuple[str, int], tuple[Any, ...]] = {}
    held_at: dict[tuple[str, int], int] = {}
    places: dict[tuple[str, int], Place] = {}
    used = []
    for path in paths:
        kept = path.suffix == ".json"
        found = read_kept(path) if kept else reviews_in(path)
        if kept:
            for key, place in read_places(path).items():
                places.setdefault(key, place)
        if found:
            used.append(path)
        try:
            made = 0 if kept else path.stat().st_mtime_ns
        except OSError:
            made = 0
        for row in found:
            rows.setdefault(identity(row), row)
            if made > held_at.get(identity(row), 0):
                held_at[identity(row)] = made
    return Salvaged(sorted(rows.values(), key=lambda r: identity(r)[::-1]), used, held_at, places)


def still_undone(
    undone: dict[tuple[str, int], Undone], got: Salvaged
) -> dict[tuple[str, int], Undone]:
    """The undos of `undone` that were done: an undo is recorded before it commits, and
    recorded done after; one killed between the two (SIGKILL) left its first line with its
    grade still in the log. When a raw copy made after that line still holds the grade as a
    row of the log, the undo never committed: a restore keeps the grade (it took it out of
    the backup as undone: a grade lost). A copy that holds nothing (a file emptied) tells
    nothing: the record stands."""
    return {k: u for k, u in undone.items() if u.done or got.held_at.get(k, 0) <= u.when_ns}
