"""The cores this process may run on: its CPU affinity where the system has one, else the
machine's count. Shared by what splits work between threads or processes (deck parsing,
SQLite's sorter and table checks, deflating a package), with what such work needs to end
cleanly: whether workers may be forked (`can_fork`), worker processes that end with their
parent (`exit_with_parent`, `forked_worker`), a resource
tracker that keeps quiet (`quiet_resource_tracker`), and waits for a thread that Ctrl-C
cannot cut short while the thread still uses what its caller closes next (`wait_for`,
`finish`, `Background`); and a pause of the cyclic garbage collector for bulk work that
makes many objects (`gc_paused`)."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Generic, TypeVar

if TYPE_CHECKING:
    import threading

T = TypeVar("T")


def cores() -> int:
    """The cores this process may run on (at least 1)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0)) or 1
    return os.cpu_count() or 1


@contextmanager
def gc_paused(pause: bool = True) -> Iterator[None]:
    """With `pause`, no cyclic garbage collection in the block: bulk work (a merge of
    1,000,000 log rows, a first sync's 100,000 parsed cards) makes millions of objects that
    hold no cycles, and each collection would walk all of them again (a fifth of such a
    merge's time; 0.2 s of the main process's CPU in a first sync of 100,000 cards).
    Reference counting frees memory as usual."""
    import gc

    if not pause or not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def can_fork() -> bool:
    """Whether worker processes may be forked here: the "fork" start method exists (Linux,
    macOS) and this process runs no other thread (a fork while another thread holds a lock,
    SQLite's or the allocator's, can deadlock the child). A forked worker inherits what is
    loaded; a spawned one starts a new interpreter and imports it all again."""
    import multiprocessing
    import threading

    return (
        threading.active_count() == 1
        and _os_threads() in (1, None)
        and "fork" in multiprocessing.get_all_start_methods()
    )


def _os_threads() -> int | None:
    """The threads the system counts in this process (Linux: /proc), None where it does not
    say. `threading` knows only the threads it started: one a C library or `_thread` started
    (an xdist worker's) is missed there, and Python 3.12+ warns of the fork as unsafe."""
    try:
        return len(os.listdir("/proc/self/task"))
    except OSError:
        return None


def forked_worker() -> None:
    """A forked pool worker's initializer: `exit_with_parent`, and Ctrl-C left to the parent
    (it reaches the whole process group; the parent's handler, inherited, is not the
    worker's to run: the parent ends, and its workers with it)."""
    import signal

    exit_with_parent()
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def exit_with_parent() -> None:
    """In a pool's worker process (its initializer): end this process as soon as the process
    that started it has ended, however it ended. A pool's workers otherwise outlive a parent
    that was killed (SIGKILL; SIGTERM, which ends dlcards without waiting for its pool) or
    left without shutting the pool down: idle, they wait for work that never comes, hold the
    parent's standard output and error (a `dlcards due | cat` never ends), and keep
    multiprocessing's resource tracker and semaphores alive. A daemon thread waits for the
    parent's sentinel (readable once the parent has exited) and ends the process at once, as
    a worker of a finished pool would end: nothing of the parent's is flushed twice."""
    import multiprocessing
    import threading

    parent = multiprocessing.parent_process()
    if parent is None:  # not a multiprocessing child
        return
    sentinel = parent.sentinel

    def watch() -> None:
        from multiprocessing.connection import wait

        wait([sentinel])
        os._exit(1)

    threading.Thread(target=watch, name="exit-with-parent", daemon=True).start()


def quiet_resource_tracker() -> None:
    """Start multiprocessing's resource tracker (the helper process that unlinks the
    semaphores of a "spawn" pool whose owner died) with its standard error on the null
    device, before a pool that needs it starts it with ours. Killed with SIGKILL or SIGTERM,
    a sync left two lines of Python's on the terminal after it was gone ("UserWarning:
    resource_tracker: There appear to be 5 leaked semaphore objects to clean up at shutdown",
    and the warning's source line): the tracker doing its job, noise to the learner. Nothing
    else of this process writes to its standard error in the few calls it is redirected."""
    from multiprocessing import resource_tracker

    if os.name != "posix":  # no tracker there
        return
    null = os.open(os.devnull, os.O_WRONLY)
    saved = os.dup(2)
    try:
        os.dup2(null, 2)
        resource_tracker.ensure_running()
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(null)


def wait_for(done: threading.Event, stop: Callable[[], object] | None = None) -> None:
    """Wait until `done` is set (by a thread, once it no longer uses what its caller shares
    with it). Interrupted (Ctrl-C, or `kill` as Ctrl-C): `finish`, then the interruption goes
    on."""
    try:
        done.wait()
    except BaseException:
        finish(done, stop)
        raise


def finish(done: threading.Event, stop: Callable[[], object] | None = None) -> None:
    """After an interruption (Ctrl-C, or `kill` as Ctrl-C): call `stop` to end a thread's work
    sooner, then wait until `done` is set, through any further interruption. The caller
    closes what the thread uses next: a database connection closed under a statement running
    on a thread crashed the process (SIGSEGV). An event, not Thread.join: a join that is
    interrupted leaves is_alive() False for a thread still running (CPython before 3.13,
    gh-90882)."""
    while stop is not None:
        try:
            stop()
            break
        except Exception:  # the thread ended meanwhile (a closed connection), or the like
            break
        except BaseException:  # a second Ctrl-C: `stop` again (it may be called twice)
            continue
    while not done.is_set():
        try:
            done.wait()
        except BaseException:  # as above: the thread is still waited for
            continue


class Background(Generic[T]):
    """`work()` on a daemon thread of its own, started at once, that shares something with
    its caller (a database connection) which the caller closes after it. `result()` waits
    for the work and gives its value or raises its error (`wait_for`); `wait()` only waits;
    `stop()` ends it sooner with `interrupt` and waits (`finish`). None of them returns, nor
    raises, while the work may still run, whatever interrupts them."""

    def __init__(self, work: Callable[[], T], interrupt: Callable[[], object], name: str):
        import threading

        self._work, self._interrupt = work, interrupt
        self._done = threading.Event()
        self._outcome: list[T | BaseException] = []
        threading.Thread(target=self._run, name=name, daemon=True).start()

    def _run(self) -> None:
        try:
            self._outcome.append(self._work())
        except BaseException as err:  # raised to the caller by result()
            self._outcome.append(err)
        finally:
            self._done.set()

    def wait(self) -> None:
        wait_for(self._done, self._interrupt)

    def stop(self) -> None:
        finish(self._done, self._interrupt)

    def result(self) -> T:
        self.wait()
        outcome = self._outcome[0]
        if isinstance(outcome, BaseException):
            raise outcome
        return outcome
