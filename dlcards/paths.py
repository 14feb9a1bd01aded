"""Where dlcards keeps its files: one home for the data and cache locations.

Linux and the BSDs follow the XDG base directories (platformdirs' answer there, without its
import on every command); macOS and Windows ask platformdirs.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

APP = "dlcards"


def _xdg(variable: str, fallback: str) -> Path:
    """The XDG base directory `variable` names, or ~/`fallback`. A relative path in it is
    ignored, as the XDG specification asks: taken as it was, it named a folder under the
    current directory, and a command run from another one made a new, empty collection."""
    base = os.environ.get(variable, "").strip()
    return Path(base) / APP if os.path.isabs(base) else Path.home() / fallback / APP


def data_dir() -> Path:
    if os.name == "posix" and sys.platform != "darwin":
        return _xdg("XDG_DATA_HOME", ".local/share")
    import platformdirs

    return Path(platformdirs.user_data_dir(APP, appauthor=False))


def cache_dir() -> Path:
    env = os.environ.get("DLCARDS_CACHE_DIR", "").strip()
    if env:
        return Path(env).expanduser()
    if os.name == "posix" and sys.platform != "darwin":
        return _xdg("XDG_CACHE_HOME", ".cache")
    import platformdirs

    return Path(platformdirs.user_cache_dir(APP, appauthor=False))


def default_db() -> Path:
    """DLCARDS_DB if set, else dlcards.db in the data directory. Set but empty (or blank) is
    an error, as `--db ""` is: taken for "not set" (`DLCARDS_DB="$TYPO" dlcards ...`), it
    opened, synced and upgraded the learner's own collection in the data directory."""
    raw = os.environ.get("DLCARDS_DB")
    env = (raw or "").strip()
    if raw is not None and not env:
        from dlcards.errors import UsageError

        raise UsageError(
            "DLCARDS_DB is empty; give the database file, or unset it for the default "
            "(is a variable unset?)"
        )
    return Path(env).expanduser() if env else data_dir() / "dlcards.db"


def db_location(path: Path | None) -> tuple[Path, bool]:
    """The database to open and whether the user named it (`--db` or DLCARDS_DB): a named
    database's directory must exist, so a typo is not taken for a new, empty collection; the
    default location is created on first use."""
    if path is not None:
        return path.expanduser(), True
    return default_db(), bool(os.environ.get("DLCARDS_DB", "").strip())


BACKUPS = "backups"
"""The folder beside a database that holds its backups (`store.backup.folder_of`)."""


def restore_mark(db: Path) -> Path:
    """The file a restore of `db` keeps in its backups folder from the copy of the backup
    over the database to its end (`store.doctor.interrupted_restore`): here, as every
    command that opens the database looks for it (a stat, nothing more imported)."""
    return db.parent / BACKUPS / f".restore-of-{db.name}.mark"
