"""Helpers that damage a database the way a bad disk or a stray write would (for the tests)."""

from __future__ import annotations

import sqlite3
from pathlib import Path


def checkpoint(db: Path) -> None:
    """Move everything from the -wal into the file, so byte offsets mean pages."""
    conn = sqlite3.connect(db)
    try:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        conn.close()


def root_page(db: Path, name: str) -> tuple[int, int]:
    conn = sqlite3.connect(db)
    try:
        page = conn.execute("PRAGMA page_size").fetchone()[0]
        root = conn.execute("SELECT rootpage FROM sqlite_master WHERE name = ?", (name,)).fetchone()
    finally:
        conn.close()
    return int(root[0]), int(page)


def flip_in_index(db: Path, index: str, back: int = 3) -> None:
    """Change one byte of the last cell of an index's root page: the index no longer agrees
    with its table (what `PRAGMA integrity_check` finds and `quick_check` does not)."""
    checkpoint(db)
    root, page = root_page(db, index)
    data = bytearray(db.read_bytes())
    at = root * page - back
    data[at] ^= 0x01
    db.write_bytes(bytes(data))


def integrity(db: Path) -> list[str]:
    conn = sqlite3.connect(db)
    try:
        return [r[0] for r in conn.execute("PRAGMA integrity_check")]
    finally:
        conn.close()


def count(db: Path, table: str = "reviews") -> int:
    conn = sqlite3.connect(db)
    try:
        return int(conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0])
    finally:
        conn.close()


def garble(db: Path) -> None:
    """Write 8,000 bytes of a stray pattern over the middle of the file, from inside a page
    (cells of one, the headers of the next two), where SQLite's check reports the damaged
    pages one per line (`Page N: btreeInitPage() returns error code 11`, `On tree page N cell
    M: ...`) rather than stopping: the first place from the middle on where it does. Damaged
    pages are not mended by rebuilding the indexes."""
    checkpoint(db)
    good = db.read_bytes()
    _, page = root_page(db, "cards")
    for at in range(len(good) // 2, len(good) - 8000, page):
        data = bytearray(good)
        data[at + page - 700 : at + page + 7300] = b"\xde\xad\xbe\xef" * 2000
        db.write_bytes(bytes(data))
        try:
            rows = integrity(db)
        except sqlite3.DatabaseError:
            continue
        if any("\n" in row for row in rows):
            return
    raise AssertionError("no place found where the check lists damaged pages")
