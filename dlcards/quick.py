"""The shell-prompt fast path: `dlcards due --count` without loading the CLI framework.

`main` answers `due --count` (with `--db`/`--today`) using only the standard library's sqlite3,
the store and the settings, when the database exists and the decks have not changed since the
last sync. Anything else (another command, a deck edit to sync, an error to report) goes to the
full CLI, which gives the same number (`dlcards.commands.progress.due`), so the fast path can
never show a figure the full one would not.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pathlib import Path


def _options(argv: Sequence[str]) -> dict[str, str] | None:
    """`--db`/`--today` values of a `due --count` command line; None if it is anything else."""
    if not argv or argv[0] != "due" or "--count" not in argv:
        return None
    found: dict[str, str] = {}
    args = [a for a in argv[1:] if a != "--count"]
    i = 0
    while i < len(args):
        name, eq, value = args[i].partition("=")
        if name not in ("--db", "--today") or name in found:
            return None
        if not eq:
            if i + 1 >= len(args):
                return None
            value = args[i + 1]
            i += 1
        found[name] = value
        i += 1
    return found


def due_count(argv: Sequence[str]) -> int | None:
    """The count for `argv`, or None when the full CLI must answer."""
    options = _options(argv)
    if options is None:
        return None
    from dlcards.catalog import deck_files, files_signature
    from dlcards.days import today_from
    from dlcards.errors import DlcardsError
    from dlcards.paths import default_db
    from dlcards.store import Store

    try:
        path = default_db() if "--db" not in options else _path(options["--db"])
        if not path.is_file():
            return None  # a first run: the full CLI creates and syncs the database
        day = today_from(options.get("--today"))
        with Store.open(path) as store:
            if not store.is_synced(files_signature(deck_files())):
                return None
            settings = store.settings()
            return store.due_count(
                day, settings.scheduler, settings.new_per_day, settings.review_cap
            )
    except (DlcardsError, OSError):
        return None  # the full CLI reports it


def _path(text: str) -> Path:
    from pathlib import Path

    return Path(text).expanduser()


def main() -> None:
    count = due_count(sys.argv[1:])
    if count is not None:
        sys.stdout.write(f"{count}\n")
        return
    from dlcards.cli import main as full

    full()
