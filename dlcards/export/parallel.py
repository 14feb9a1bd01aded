"""Work spread over the machine's cores: an ordered map over forked worker processes.

Rendering 100,000 notes is pure Python, so a thread would wait for the GIL; processes forked
from the caller inherit what it has loaded (the deck index, the titles) without pickling it,
each computes whole items (one deck's notes), and only the results travel back, in order.
Forking needs the "fork" start method (Linux, macOS) and a caller with one thread: a fork
while another thread holds a lock (SQLite's, the allocator's) can deadlock the child.
Everywhere else `workers()` is 0 and callers do the work themselves.
"""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

__all__ = ["ordered_map", "workers"]

T = TypeVar("T")

_work: Callable[[int], Any] | None = None  # a worker's job, set as it starts (inherited)


def workers() -> int:
    """How many worker processes to fork: one per core, at most two; 0 when forking is not
    possible or not safe here (one core, no "fork" start method, other threads running)."""
    from dlcards.cores import can_fork

    cores = os.cpu_count() or 1
    if cores < 2 or not can_fork():
        return 0
    return min(cores, 2)


def _start(work: Callable[[int], Any]) -> None:
    import signal

    from dlcards.cores import exit_with_parent

    global _work
    _work = work
    exit_with_parent()  # a killed export leaves no worker behind
    # Ctrl-C reaches the whole process group: the caller handles it and ends the workers
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _run(index: int) -> Any:
    """One item's work, with the cyclic garbage collector paused: the work makes many small
    containers and no cycles to speak of, and the collector's passes over them cost a tenth
    of the rendering. It runs again between items."""
    import gc

    assert _work is not None
    gc.disable()
    try:
        return _work(index)
    finally:
        gc.enable()


@contextmanager
def ordered_map(
    work: Callable[[int], T], count: int, processes: int, ahead: int = 4
) -> Iterator[Iterator[T]]:
    """`work(0)`, ..., `work(count - 1)` computed in `processes` forked processes; yields an
    iterator of the results in order. At most `ahead` results wait to be taken (memory stays
    bounded when the taker is slower). The processes are forked when the context is entered
    (do it before starting threads) and ended when it is left, also on an error; an error in
    `work` is raised by the iterator, and so is a worker's death (BrokenProcessPool), which
    never hangs the caller. `work` is inherited, not pickled; its results are pickled."""
    import multiprocessing
    from concurrent.futures import Future, ProcessPoolExecutor

    context = multiprocessing.get_context("fork")
    pool = ProcessPoolExecutor(processes, mp_context=context, initializer=_start, initargs=(work,))
    try:
        pending: deque[Future[T]] = deque()
        submitted = 0

        def submit() -> None:
            nonlocal submitted
            pending.append(pool.submit(_run, submitted))
            submitted += 1

        while submitted < min(count, ahead):  # the first submit forks every worker: now
            submit()

        def results() -> Iterator[T]:
            while pending:
                result = pending.popleft().result()
                if submitted < count:
                    submit()
                yield result

        yield results()
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
