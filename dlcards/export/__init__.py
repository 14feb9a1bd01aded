"""Exports: an Anki package (`anki`), Anki's plain-text format (`text`), and the review log.

`html` turns card text into Anki field HTML; `anki` builds notes and the .apkg (genanki is
imported there, lazily); `text` writes the same notes as text. Files are written atomically
with `write_atomic`: into a temporary file next to the target, then renamed over it, so a
failed or interrupted export never leaves half a file.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import IO

from dlcards.errors import UsageError
from dlcards.fileio import atomic_write

__all__ = ["check_target", "write_atomic"]


def check_target(path: Path, force: bool) -> None:
    """Raise UsageError unless `path` can be (over)written: call it before doing the work."""
    if path.is_dir():
        raise UsageError(f"{path} is a directory; give a file name with -o")
    if path.exists() and not force:
        raise UsageError(f"{path} already exists; pass --force to overwrite it")
    parent = path.parent
    if not parent.is_dir():
        what = "is not a directory" if parent.exists() else "does not exist"
        raise UsageError(f"cannot write {path}: {parent} {what}")


def write_atomic(path: Path, force: bool, write: Callable[[IO[bytes]], None]) -> None:
    """Call `write` on a temporary file beside `path`, then rename it to `path`.

    Raises UsageError (one line, for the user) when the file cannot be written; any error
    removes the temporary file and leaves an existing `path` untouched.
    """
    check_target(path, force)

    def guarded(fh: IO[bytes]) -> None:
        write(fh)
        if path.exists() and not force:  # appeared while we were writing
            raise UsageError(f"{path} already exists; pass --force to overwrite it")

    try:
        atomic_write(path, guarded)
    except OSError as err:
        raise UsageError(f"cannot write {path}: {err.strerror or err}") from None
