"""Exports: an Anki package (`anki`), Anki's plain-text format (`text`), and the review log.

`html` turns card text into Anki field HTML; `anki` builds notes and the .apkg (genanki is
imported there, lazily); `text` writes the same notes as text. Files are written atomically
with `write_atomic`: into a temporary file next to the target, then renamed over it, so a
failed or interrupted export never leaves half a file; the temporary files of a killed export
are removed by the next export into that folder.
"""

from __future__ import annotations

import os
import stat
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from dlcards.errors import DlcardsError, UsageError, nonempty
from dlcards.fileio import atomic_write, clean_stale_temps

__all__ = [
    "STDOUT",
    "Target",
    "check_target",
    "target_for",
    "unwritten",
    "write_atomic",
    "write_output",
]

STDOUT = "-"  # `-o -`: standard output


@dataclass(frozen=True)
class Target:
    """Where an export goes, decided before the work is done.

    `file`: a regular file (new, or replaced with --force), written atomically; a symlink is
    followed, so its target is what gets written, as the shell's `>` would. `stream`: a FIFO or
    a character device (`/dev/null`, `/dev/fd/63`), opened by its name and written into, never
    replaced. `stdout`: standard output (`-o -`, or a name of the pipe or device it is open
    on: `/dev/stdout`)."""

    kind: str  # "file" | "stream" | "stdout"
    path: Path | None  # what is opened (a file symlink's target); None for standard output
    shown: str  # as the user wrote it

    @property
    def is_stdout(self) -> bool:
        return self.kind == "stdout"


def stopped_line(target: Target) -> Callable[[], str | None]:
    """The line a stop (a `kill`, a closed terminal, Ctrl-C) of an export says, made when it
    comes (`terminal.stops_as_ctrl_c`'s `unsaved`): whether the file is the new one. A file is
    written whole or not at all (`write_atomic`), so it is new exactly when it is no longer
    the file that was there before. A stream or standard output: nothing (its reader saw
    what came). A killed export said nothing: an older package left in place under the same
    name looked like the new one."""
    before = _identity(target.path) if target.kind == "file" else None

    def line() -> str | None:
        if target.kind != "file" or target.path is None:
            return None
        if _identity(target.path) != before:
            return f"stopped: wrote {target.shown} (whole)"
        return f"stopped: {unwritten(target, before is not None)}"

    return line


def unwritten(target: Target, there: bool | None = None) -> str | None:
    """What an export that failed before its file was in place left, as its line says it:
    nothing exported, and the file not written or as it was (`there`: whether it was there
    before; None: look now, a file being written whole or not at all). None for a stream or
    standard output, whose reader saw what came."""
    if target.kind != "file" or target.path is None:
        return None
    if there is None:
        there = _identity(target.path) is not None
    kept = "is as it was" if there else "was not written"
    return f"nothing was exported; {target.shown} {kept}"


def _identity(path: Path | None) -> tuple[int, int, int, int] | None:
    try:
        st = os.stat(path) if path is not None else None
    except OSError:
        return None
    return None if st is None else (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)


def target_for(output: str, force: bool, database: Path | None = None) -> Target:
    """The target named by `-o`: raises UsageError when it must not or cannot be written
    (`database`: the progress database the export is made from, which it never replaces).
    Call it before doing the work."""
    if output == STDOUT:
        return Target("stdout", None, "standard output")
    nonempty(output, "-o", "a file name, or - for standard output")
    given = Path(output).expanduser()
    stream = _stream(given)
    if stream is not None:
        if _is_standard_output(stream):  # `-o /dev/stdout`: as `-o -`, the summary not in it
            return Target("stdout", None, str(given))
        # opened by the name given, which the kernel follows: the `/dev/fd/63` of bash's
        # `>(gzip > log.gz)` is a link to a pipe with no path, whose "resolved" name
        # (`/proc/…/fd/pipe:[…]`) does not exist
        return Target("stream", given, str(given))
    path = given.resolve() if given.is_symlink() else given
    if database is not None:
        _not_the_database(path, given, database)
    try:
        os.stat(path)
    except (FileNotFoundError, NotADirectoryError):
        pass  # check_target says what is wrong with the path
    except OSError as err:
        raise UsageError(f"cannot write {given}: {err.strerror}") from None
    check_target(path, force, shown=given)
    return Target("file", path, str(given))


def _stream(path: Path) -> os.stat_result | None:
    """The status of `path`, its links followed, if it is a FIFO or a character device (an
    error, a loop of links say, is for the checks of a file to name)."""
    try:
        st = os.stat(path)
    except (OSError, ValueError):
        return None
    return st if stat.S_ISFIFO(st.st_mode) or stat.S_ISCHR(st.st_mode) else None


def _is_standard_output(st: os.stat_result) -> bool:
    """Whether `st` is the pipe or device standard output is open on."""
    try:
        out = os.fstat(sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):  # closed (`>&-`), or no sys.stdout
        # what holds a closed standard output's place (`stdio.prepare`): a write to it fails
        held = getattr(sys.stdout, "held", None)
        if held is None:
            return False
        try:
            out = os.fstat(held)
        except OSError:
            return False
    return (out.st_dev, out.st_ino) == (st.st_dev, st.st_ino)


def _not_the_database(path: Path, shown: Path, database: Path) -> None:
    """Raise UsageError when `path` is the progress database, one of its SQLite files
    (`-wal`, `-shm`, `-journal`) or in its backups folder: `export reviews -o` naming the
    database, with --force, wrote the CSV over it and every grade was gone (an export only
    reads, so no backup was made first)."""
    from dlcards.store.backup import FOLDER

    try:
        target, db = path.resolve(), database.expanduser().resolve()
        same = target == db or (target.exists() and db.exists() and os.path.samefile(target, db))
    except (OSError, RuntimeError):  # a loop of links, say: check_target says what is wrong
        return
    if same:
        what = f"is the progress database ({db}); an export never replaces it"
    elif target.parent == db.parent and target.name in {f"{db.name}-{e}" for e in _SIDECARS}:
        what = f"is SQLite's {target.name[len(db.name) :]} file of the progress database {db}"
        what += "; an export never replaces it"
    elif target.parent == db.parent / FOLDER:
        what = f"is in the backups folder of the progress database {db}; an export never "
        what += "writes there"
    else:
        return
    raise UsageError(f"{shown} {what}: give -o another file")


_SIDECARS = ("wal", "shm", "journal")


def check_target(path: Path, force: bool, shown: Path | None = None) -> None:
    """Raise UsageError unless `path` can be (over)written: call it before doing the work."""
    shown = shown or path
    if path.is_dir():
        raise UsageError(f"{shown} is a directory; give a file name with -o")
    if path.exists() and not path.is_file():
        raise UsageError(f"{shown} is not a regular file, a FIFO or a character device")
    if path.exists() and not force:
        raise UsageError(f"{shown} already exists; pass --force to overwrite it")
    parent = path.parent
    if not parent.is_dir():
        what = "is not a directory" if parent.exists() else "does not exist"
        raise UsageError(f"cannot write {shown}: {parent} {what}")


def write_output(target: Target, force: bool, write: Callable[[IO[bytes]], None]) -> None:
    """Write through `write(fh)` to the target: a regular file atomically (a failure leaves no
    partial file and an existing one as it was), a stream or standard output directly.
    A write error (a full disk, a closed device) is one line and exit 1."""
    if target.kind == "file":
        assert target.path is not None
        there = _identity(target.path) is not None
        try:
            write_atomic(target.path, force, write, shown=target.shown)
        except DlcardsError as err:
            if err.outcome is None:  # (a file that appeared meanwhile: said as it is)
                raise
            # what the failed write left: the file as it was, nothing exported (the package's
            # scratch collection said "nothing was written", as if no file had been there)
            raise DlcardsError(err.cause, err.exit_code, unwritten(target, there)) from None
        return
    try:
        if target.kind == "stdout":
            fh = sys.stdout.buffer
            write(fh)
            fh.flush()
            return
        assert target.path is not None
        # no O_CREAT: if the FIFO or device went away, nothing is created in its place
        fd = os.open(target.path, os.O_WRONLY)
        with os.fdopen(fd, "wb") as stream:
            write(stream)
    except BrokenPipeError:
        if target.kind == "stdout":
            from dlcards.console import reader_left

            reader_left()
        raise DlcardsError(f"cannot write {target.shown}: the reader went away", 1) from None
    except OSError as err:
        raise DlcardsError(f"cannot write {target.shown}: {err.strerror or err}", 1) from None


def write_atomic(
    path: Path, force: bool, write: Callable[[IO[bytes]], None], shown: str | None = None
) -> None:
    """Call `write` on a temporary file beside `path`, then rename it to `path`.

    Raises DlcardsError (one line for the user, exit 1) when the file cannot be written; any
    error removes the temporary file and leaves an existing `path` untouched.
    """
    name = shown or str(path)
    check_target(path, force, Path(name))
    clean_stale_temps(path.parent)  # left by an export that was killed (SIGKILL)

    def guarded(fh: IO[bytes]) -> None:
        write(fh)
        if path.exists() and not force:  # appeared while we were writing
            raise UsageError(f"{name} already exists; pass --force to overwrite it")

    there = path.exists()
    try:
        atomic_write(path, guarded)
    except OSError as err:
        kept = "is as it was" if there else "was not written"
        raise DlcardsError(
            f"cannot write {name}: {err.strerror or err}", 1, f"nothing was exported; {name} {kept}"
        ) from None
