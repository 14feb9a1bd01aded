"""The progress database: the only package that talks to SQLite.

`schema` holds the tables and migrations, `rows` the conversion between rows and values,
`connection` the opening and transaction plumbing; `Store` (`core`) reads and writes. The store
decides nothing: what a grade does comes in as a pure function (`dlcards.grading.decide`),
how a card's memory is rebuilt as another (`dlcards.scheduling.Schedule.replay`), and which
scheduler's due dates drive the queue as a name (`by`: "sm2" or "fsrs").

The names load on first use (`__getattr__`, from `dlcards.store.core`): `dlcards.store.count`,
which answers a shell prompt's `dlcards due --count`, is read without the rest of the store.
"""

from __future__ import annotations

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing
if TYPE_CHECKING:
    from dlcards.store.core import (
        BUSY_TIMEOUT_S,
        SCHEMA_VERSION,
        CardFlags,
        DayCount,
        DiskFullError,
        ImportedReview,
        ImportedReviews,
        Leech,
        LockedError,
        LogEntry,
        LoggedGrade,
        RetentionRow,
        ReviewRow,
        SearchHit,
        StatsRow,
        Store,
        SyncResult,
        TopicCounts,
        default_db,
        existing_file,
    )

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


def __getattr__(name: str) -> object:
    """A name of the store, from `dlcards.store.core` (imported on first use)."""
    if name not in __all__:  # a submodule (`from dlcards.store import backup`) is imported
        raise AttributeError(f"module 'dlcards.store' has no attribute {name!r}")
    from dlcards.store import core

    value = getattr(core, name)
    globals()[name] = value
    return value
