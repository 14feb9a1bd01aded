"""The suspended cards and the leeches, read with sqlite3 alone for `dlcards list`, which
otherwise opens no database (it is quick, and its pipe fast path forks workers): one query on
a connection that creates, migrates and syncs nothing (`count.reading_uri`). This module imports
no other part of the store but `count`'s look at the log and the files beside the database."""

from __future__ import annotations

try:  # the C module the sqlite3 package wraps, without sqlite3.dbapi2's date adapters
    import _sqlite3 as sqlite3
except ImportError:  # pragma: no cover (an interpreter that has only the package)
    import sqlite3  # type: ignore[no-redef]

from collections.abc import Iterable
from pathlib import Path
from typing import NamedTuple

SUSPENDED_SQL = "SELECT id FROM cards WHERE suspended != 0"
MARKS_SQL = (
    "SELECT id, 1 FROM cards WHERE suspended != 0 "
    "UNION ALL SELECT id, 0 FROM cards INDEXED BY cards_leech WHERE leech != 0"
)
"""The suspended cards (1) and the leeches (0), each by its partial index."""
MARKS_WAIT_S = 0.5
"""How long `list` waits for another program's lock on the database before it lists the
cards without their marks (a writer in WAL mode blocks no reader; a rollback journal's
exclusive lock, or a recovery, does)."""


class MarksUnread(Exception):
    """The database is there but its flags cannot be read: the one line why."""


class Marks(NamedTuple):
    """The cards `list` marks: the suspended ones, and the leeches (Anki's tag `leech`)."""

    suspended: frozenset[str] = frozenset()
    leeches: frozenset[str] = frozenset()


def marks_from(rows: Iterable[tuple[str, int]]) -> Marks:
    """The marks of MARKS_SQL's rows: (id, 1) a suspended card, (id, 0) a leech."""
    suspended: set[str] = set()
    leeches: set[str] = set()
    for cid, held in rows:
        (suspended if held else leeches).add(cid)
    return Marks(frozenset(suspended), frozenset(leeches))


def card_marks(path: Path) -> Marks:
    """The ids of the cards suspended and of the leeches in the database at `path` (with the
    last sync's ids, whether or not their deck still has them); none when no file is there
    yet. A database from before the leech marks (`list` migrates nothing) gives its suspended
    cards alone. MarksUnread, one line, for a database that cannot be read: damaged, locked
    past MARKS_WAIT_S, not a dlcards database, a folder."""
    if not path.exists():
        return Marks()
    from dlcards.store.count import log_problem, reading_uri

    if (problem := log_problem(str(path))) is not None:  # opening it would lose its log
        raise MarksUnread(f"cannot read database {path}: {problem}")
    try:
        conn = sqlite3.connect(reading_uri(str(path)), uri=True, timeout=MARKS_WAIT_S)
    except (sqlite3.Error, OSError) as err:
        raise MarksUnread(f"cannot open database {path}: {err}") from None
    try:
        try:
            rows = conn.execute(MARKS_SQL).fetchall()
        except sqlite3.OperationalError as err:
            if "leech" not in str(err):  # a lock, damage: the same read would fail again
                raise
            rows = [(row[0], 1) for row in conn.execute(SUSPENDED_SQL)]
        return marks_from(rows)
    except sqlite3.Error as err:
        raise MarksUnread(f"cannot read database {path}: {err}") from None
    finally:
        conn.close()
