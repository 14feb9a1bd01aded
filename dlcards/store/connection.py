"""Opening the progress database and the plumbing every query uses.

Durability: WAL mode, `synchronous=FULL`, and every write is one `BEGIN IMMEDIATE` transaction,
committed before the program goes on. A busy timeout lets two terminals study at once.
sqlite-utils (slow to import) is loaded only to create or migrate the schema; everyday reads
and writes use the standard library's sqlite3. SQLite errors become one-line `StoreError`s.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    from typing_extensions import Self

from dlcards.errors import StoreError
from dlcards.paths import default_db
from dlcards.store.schema import SCHEMA_VERSION, migrations

BUSY_TIMEOUT_S = 5.0
SQLITE_MAGIC = b"SQLite format 3\x00"

T = TypeVar("T")


def _translate(path: Path, err: sqlite3.Error) -> StoreError:
    text = str(err).lower()
    if "locked" in text or "busy" in text:
        return StoreError(
            f"database {path} is locked by another program (waited {BUSY_TIMEOUT_S:.0f} s); "
            "close it or try again"
        )
    if "readonly" in text or "read-only" in text:
        return StoreError(f"database {path} is read-only; check its permissions or pass --db")
    if "not a database" in text or "malformed" in text or "corrupt" in text:
        return StoreError(
            f"database {path} is corrupt or not a dlcards database; "
            "restore a backup, move it away, or pass --db"
        )
    if "unable to open" in text:
        return StoreError(f"cannot open database {path}; check the path and its permissions")
    if "disk i/o" in text or "full" in text:
        return StoreError(f"cannot write database {path}: {err}")
    return StoreError(f"database {path}: {err}")


class Connection:
    """An open progress database. Use `open(path)` and `close()` (or `with`)."""

    def __init__(self, path: Path, conn: sqlite3.Connection) -> None:
        self.path = path
        self.conn = conn

    @classmethod
    def open(cls, path: Path | None = None) -> Self:
        path = (path or default_db()).expanduser()
        if path.exists():
            if path.is_dir():
                raise StoreError(f"database path {path} is a directory; pass a file with --db")
            try:
                with path.open("rb") as fh:
                    head = fh.read(16)
            except OSError as err:
                raise StoreError(f"cannot read database {path}: {err.strerror}") from None
            if head and head != SQLITE_MAGIC:
                raise StoreError(
                    f"database {path} is corrupt or not a dlcards database (not an SQLite file); "
                    "restore a backup, move it away, or pass --db"
                )
            if not os.access(path, os.W_OK) or not os.access(path.parent, os.W_OK):
                raise StoreError(
                    f"database {path} is read-only; check its permissions or pass --db"
                )
        else:
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as err:
                raise StoreError(
                    f"cannot create directory {path.parent} for the database: {err.strerror}"
                ) from None
            if not os.access(path.parent, os.W_OK):
                raise StoreError(f"cannot create database in {path.parent}: permission denied")
        try:
            conn = sqlite3.connect(
                path, timeout=BUSY_TIMEOUT_S, isolation_level=None, check_same_thread=False
            )
        except sqlite3.Error as err:
            raise _translate(path, err) from None
        store = cls(path, conn)
        try:
            store._prepare()
        except sqlite3.Error as err:
            conn.close()
            raise _translate(path, err) from None
        except StoreError:
            conn.close()
            raise
        return store

    def _prepare(self) -> None:
        version = self.conn.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise StoreError(
                f"database {self.path} was made by a newer dlcards (schema {version}, this "
                f"version knows {SCHEMA_VERSION}); upgrade dlcards to use it"
            )
        if version == 0:
            tables = self.conn.execute(
                "SELECT count(*) FROM sqlite_master WHERE type = 'table'"
            ).fetchone()[0]
            if tables and not self._has_table("_sqlite_migrations"):
                raise StoreError(
                    f"database {self.path} is an SQLite file that dlcards did not create; "
                    "pass another path with --db"
                )
        self.conn.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_S * 1000)}")
        if version < SCHEMA_VERSION:
            self._migrate()
        self.conn.execute("PRAGMA synchronous = FULL")
        self.conn.execute("PRAGMA foreign_keys = ON")

    def _has_table(self, name: str) -> bool:
        row = self.conn.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (name,)
        ).fetchone()
        return row is not None

    def _migrate(self) -> None:
        from sqlite_utils import Database

        mode = self.conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
        if str(mode).lower() != "wal":  # pragma: no cover - e.g. a network file system
            self.conn.execute("PRAGMA journal_mode = DELETE")
        db = Database(self.conn)
        self.conn.execute("BEGIN IMMEDIATE")  # one migrator at a time
        try:
            migrations().apply(db)
            self.conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
            self.conn.execute("COMMIT")
        except BaseException:
            if self.conn.in_transaction:
                self.conn.execute("ROLLBACK")
            raise

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # plumbing -------------------------------------------------------------------------------

    def _call(self, fn: Callable[[], T]) -> T:
        try:
            return fn()
        except sqlite3.Error as err:
            raise _translate(self.path, err) from None

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One IMMEDIATE transaction: committed on success, rolled back on any error."""
        try:
            self.conn.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as err:
            raise _translate(self.path, err) from None
        try:
            yield self.conn
        except BaseException as err:
            if self.conn.in_transaction:
                self.conn.execute("ROLLBACK")
            if isinstance(err, sqlite3.Error):
                raise _translate(self.path, err) from None
            raise
        else:
            try:
                self.conn.execute("COMMIT")
            except sqlite3.Error as err:
                if self.conn.in_transaction:
                    self.conn.execute("ROLLBACK")
                raise _translate(self.path, err) from None

    def get_meta(self, key: str) -> str | None:
        row = self._call(
            lambda: self.conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        )
        return row[0] if row else None

    def set_meta(self, key: str, value: str) -> None:
        with self._write() as c:
            c.execute(
                "INSERT INTO meta (key, value) VALUES (?, ?) "
                "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                (key, value),
            )
