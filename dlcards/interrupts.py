"""Ctrl-C during a save the learner asked for: never between its commit and the record of it.

A grade, an undo or a suspension given in a session is saved in one write transaction, and
then the session records it (the undo stack, the summary's counts, the store's list of grades
to keep if the file is found damaged). Ctrl-C (SIGINT) raises KeyboardInterrupt at whatever
line runs when it comes: landing just after the commit, it left a grade in the log that the
session did not count ("Interrupted. 0 grades saved." with one saved, seen in a test run under
load).

`ctrl_c_held` covers one try of such a save (`commands.common.until_saved`). Until the store's
write transaction holds the database's lock, Ctrl-C raises at once, as everywhere: the save
may be waiting for another program's lock, or for the day's check, and giving it up is what
Ctrl-C asks for (nothing is written). From then on (`writing`, which the store calls once its
transaction holds the lock) it is noted, and the block ends first: the save commits or rolls
back whole, and the caller records what was saved, before the interruption is raised. A no-op
outside the main thread and where SIGINT is not Python's own handler (ignored in a background
job, or taken by another handler).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from types import FrameType


class CtrlC:
    """What `ctrl_c_held` noted in its block."""

    __slots__ = ("pressed", "stopped", "writing")

    def __init__(self) -> None:
        self.writing = False  # the store's transaction holds the lock: Ctrl-C waits for the end
        self.pressed = False  # Ctrl-C came while writing: the caller raises it after the save
        self.stopped = False  # a stop (Ctrl-C, `kill`, a closed terminal) came while writing


_held: list[CtrlC] = []  # the active `ctrl_c_held` block's, if one is
_held_from_commit: list[CtrlC] = []  # the active `ctrl_c_held(from_commit=True)` block's


def writing() -> None:
    """A write transaction holds the database's lock: from now until the end of the active
    `ctrl_c_held` block (if any), Ctrl-C is noted, not raised."""
    if _held:
        _held[-1].writing = True


def committing() -> None:
    """A write transaction is about to commit: from now until the end of the active
    `ctrl_c_held(from_commit=True)` block (if any), Ctrl-C is noted, not raised."""
    if _held_from_commit:
        _held_from_commit[-1].writing = True


def stop_noted() -> None:
    """A `kill` or a closed terminal was noted, not raised (`terminal.stops_held`), in the
    active `ctrl_c_held(from_commit=True)` block's writes: `given_up` says so."""
    if _held_from_commit:
        _held_from_commit[-1].stopped = True


def given_up() -> bool:
    """Whether a stop (Ctrl-C, a `kill`, a closed terminal) was noted since the active
    `ctrl_c_held(from_commit=True)` block's writes began (`committing`): a write that can
    still be taken back whole (a restore's copy of a backup, before its last page) gives up,
    rolled back, and raises `GivenUp`; one past that point goes on to its end."""
    if not _held_from_commit:
        return False
    noted = _held_from_commit[-1]
    return noted.writing and (noted.pressed or noted.stopped)


class GivenUp(Exception):
    """A write taken back whole, nothing of it kept, for a stop noted while it ran
    (`given_up`): the caller says so and ends as that stop ends a command."""


@contextmanager
def ctrl_c_held(from_commit: bool = False) -> Iterator[CtrlC]:
    """In the block, Ctrl-C raises KeyboardInterrupt at once until `writing` is called (with
    `from_commit`: `committing`), and is noted in the `CtrlC` given from then on. The block
    does not raise it: the caller does, once it has recorded the save (`CtrlC.pressed`)."""
    import signal
    import threading

    noted = CtrlC()
    blocks = _held_from_commit if from_commit else _held
    if threading.current_thread() is not threading.main_thread():
        yield noted
        return
    if signal.getsignal(signal.SIGINT) is not signal.default_int_handler:
        # Ctrl-C is not Python's (ignored in a background job): nothing to hold, but the
        # block's moment of writing is still marked, for the stops held with it (a `kill`
        # of a background import, `terminal.stops_held_from_commit`)
        blocks.append(noted)
        try:
            yield noted
        finally:
            blocks.remove(noted)
        return

    def on_ctrl_c(signum: int, frame: FrameType | None) -> None:
        if not noted.writing:
            raise KeyboardInterrupt
        noted.pressed = True

    signal.signal(signal.SIGINT, on_ctrl_c)
    blocks.append(noted)
    try:
        yield noted
    finally:
        blocks.remove(noted)
        signal.signal(signal.SIGINT, signal.default_int_handler)
