"""Every test runs with its own database, cache and no user decks, and plain, wide output."""

from __future__ import annotations

import os
import stat
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from hypothesis import settings

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
SEED = Path(__file__).resolve().parent / "data" / "seed.txt"  # the source, see tests/data/README


# Property tests explore new examples on every run here; `.ci/run` sets HYPOTHESIS_PROFILE=ci so
# that a landing run is reproducible (the same examples each time, the failing one printed).
# No per-example deadline (Hypothesis's 200 ms): on two cores shared with the processes other
# tests start, a first call that imports a module or a loaded moment passes it, and the test
# fails on timing, not on what it checks. Speed is measured in bench/, not asserted here.
settings.register_profile("default", deadline=None)
settings.register_profile("ci", derandomize=True, print_blob=True, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))

# Many tests start dlcards in a fresh interpreter (kill, concurrency, the fast entry point). With
# PYTHONDONTWRITEBYTECODE set, as some environments set it, none of them may cache bytecode and
# each compiles every module it imports again (~37 ms a process for the CLI's modules here, in a
# suite that starts a few hundred). Bytecode in __pycache__ (git-ignored) changes no behaviour.
os.environ.pop("PYTHONDONTWRITEBYTECODE", None)

# The suite tests the built-in decks on the clock's day: a shell's own DLCARDS_DECKS or
# DLCARDS_TODAY (exported to work on a big collection, say) reached the modules that read the
# decks when collected, the fixtures made before `isolated` runs (the template database, a
# module's synced environment) and the processes tests start, and ~80 tests failed on it.
# Taken out here, in the controller before its workers start and in each worker.
for _shell_own in ("DLCARDS_DECKS", "DLCARDS_TODAY"):
    os.environ.pop(_shell_own, None)


def _temp_in_memory(shm: Path = Path("/dev/shm")) -> None:
    """Every test's files (tmp_path, and the temporary files of the processes tests start)
    in a memory file system when the machine has one and TMPDIR does not say otherwise. The
    store commits with `synchronous=FULL`: on a disk each of the suite's ~8,000 commits waits
    for an fsync, and closing a database for its checkpoint's. In memory an fsync returns at
    once, and the suite tests the same code (a killed process loses nothing either way: what
    it wrote is in the kernel's cache). On 2 cores: 54.6 -> 50.5 s, 104 -> 100 CPU s."""
    import tempfile

    if "TMPDIR" in os.environ or not (shm.is_dir() and os.access(shm, os.W_OK | os.X_OK)):
        return
    os.environ["TMPDIR"] = str(shm)  # for the processes tests start, and xdist's workers
    tempfile.tempdir = None  # gettempdir() asks again (pytest's base for tmp_path)


_temp_in_memory()


def pytest_xdist_auto_num_workers(config: pytest.Config) -> int | None:
    """`-n auto` (the default, pyproject's addopts): one worker more than the cores this
    process may run on. Part of the suite waits on processes it starts (kills, terminals,
    concurrent writers), and with one worker per core a core idles meanwhile: on 2 cores,
    3 workers took 65-73 s where 2 took 72-79 s in the same runs. PYTEST_XDIST_AUTO_NUM_WORKERS,
    when set, is xdist's to read (None: its own hook answers)."""
    if os.environ.get("PYTEST_XDIST_AUTO_NUM_WORKERS"):
        return None
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not on this platform (macOS, Windows)
        cores = os.cpu_count() or 1
    return cores + 1


@pytest.fixture(scope="session")
def synced_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The default database and deck cache as the first command leaves them (the built-in
    decks synced), made once per test process: each test starts from a copy, not a new sync
    (about 80 ms of every command-line test). The daily check is not recorded in it, so a
    test's first write still makes the day's backup."""
    import sqlite3

    from dlcards.commands.common import sync_if_needed
    from dlcards.store import Store

    root = tmp_path_factory.mktemp("template")
    before = os.environ.get("DLCARDS_CACHE_DIR")
    os.environ["DLCARDS_CACHE_DIR"] = str(root / "cache")
    try:
        with Store.open(root / "dlcards.db") as store:
            store.backups = False
            sync_if_needed(store, [])
    finally:
        if before is None:
            del os.environ["DLCARDS_CACHE_DIR"]
        else:
            os.environ["DLCARDS_CACHE_DIR"] = before
    conn = sqlite3.connect(root / "dlcards.db")
    conn.execute("DELETE FROM meta WHERE key = 'integrity_checked'")
    conn.commit()
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    return root


class _LinkedCache:
    """The template's deck cache, given to each test as hard links (~1 ms a test, not the ~7 ms
    of copying its files). dlcards replaces a cache file whole (write, then rename), which
    leaves the template's file alone; a test that writes into one in place (a damaged cache)
    changes the template's too, so after each test the template's files are compared with what
    they were (size, mtime, mode) and any that changed is put back from a copy kept aside.
    The template's folders and files are listed once (and again after a repair): each test's
    links are made, and its stamps taken, from that list with os calls, not by walking the
    tree with pathlib (rglob, copytree: ~0.5 ms of each of ~3,000 tests here)."""

    def __init__(self, cache: Path, pristine: Path) -> None:
        import shutil

        shutil.copytree(cache, pristine)
        self.cache, self.pristine = cache, pristine
        self._list()
        self.stamps = self._stamps()

    def _list(self) -> None:
        """The template's folders (each after its parent) and files, relative to it."""
        folders: list[str] = []
        files: list[str] = []
        for top, dirs, names in os.walk(self.cache):
            relative = os.path.relpath(top, self.cache)
            prefix = "" if relative == "." else relative + os.sep
            folders += [prefix + d for d in dirs]
            files += [prefix + n for n in names if os.path.isfile(os.path.join(top, n))]
        self.folders, self.files = folders, files

    def _stamps(self) -> dict[str, tuple[int, ...]]:
        stamps = {}
        for top, _, names in os.walk(self.cache):
            relative = os.path.relpath(top, self.cache)
            prefix = "" if relative == "." else relative + os.sep
            for name in names:
                s = os.stat(os.path.join(top, name))
                if stat.S_ISREG(s.st_mode):
                    stamps[prefix + name] = (s.st_size, s.st_mtime_ns, s.st_ino, s.st_mode)
        return stamps

    def link_to(self, target: Path) -> None:
        where, source = str(target), str(self.cache)
        os.mkdir(where)
        for folder in self.folders:
            os.mkdir(os.path.join(where, folder))
        for name in self.files:
            os.link(os.path.join(source, name), os.path.join(where, name))

    def repair(self) -> None:
        import shutil

        if self._stamps() == self.stamps:
            return
        shutil.rmtree(self.cache)
        shutil.copytree(self.pristine, self.cache)
        self._list()
        self.stamps = self._stamps()


@pytest.fixture(scope="session")
def linked_cache(synced_template: Path) -> _LinkedCache:
    return _LinkedCache(synced_template / "cache", synced_template / "cache-pristine")


@pytest.fixture(scope="session")
def new_db(tmp_path_factory: pytest.TempPathFactory) -> Callable[[Path], Path]:
    """Puts a new database at a path, as Store.open leaves a file it creates: a copy of one made
    once per test process (migrating a new file takes ~35 ms, most of an example of a property
    test that makes one or two per example). Today's full check is recorded in it as done: the
    first write of a day makes a verified backup (~8 ms), which the property tests that make a
    database per example are not about (tests/test_doctor.py is). Returns the path."""
    import shutil
    from datetime import date

    from dlcards.store import Store
    from dlcards.store.connection import CHECKED_KEY

    made = tmp_path_factory.mktemp("new") / "new.db"
    with Store.open(made) as store:
        store.set_meta(CHECKED_KEY, date.today().isoformat())
    assert not Path(f"{made}-wal").exists()

    def put(path: Path) -> Path:
        shutil.copyfile(made, path)
        return path

    return put


@pytest.fixture(scope="session")
def nowhere(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where a `no_files` test's database and cache are: a database in a folder that does not
    exist (opening it is an error) and a cache folder that is a file (nothing is kept)."""
    root = tmp_path_factory.mktemp("nowhere")
    (root / "cache").write_text("a file where the cache folder would be")
    return root


@pytest.fixture(autouse=True)
def isolated(monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest) -> Iterator[Path]:
    import shutil
    import tempfile

    if "no_files" in request.keywords:  # pure code: no folder made, no database copied
        root: Path = request.getfixturevalue("nowhere")
        monkeypatch.setenv("DLCARDS_CACHE_DIR", str(root / "cache"))
        monkeypatch.setenv("DLCARDS_DB", str(root / "missing" / "dlcards.db"))
    else:
        root = request.getfixturevalue("tmp_path")
        monkeypatch.setenv("DLCARDS_CACHE_DIR", str(root / "cache"))
        (root / "data").mkdir()  # a named database's directory must exist
        if "fresh_db" not in request.keywords:  # a test about a first run starts from nothing
            template = request.getfixturevalue("synced_template")
            shutil.copyfile(template / "dlcards.db", root / "data" / "dlcards.db")
            cache = request.getfixturevalue("linked_cache")
            cache.link_to(root / "cache")
            request.addfinalizer(cache.repair)
        monkeypatch.setenv("DLCARDS_DB", str(root / "data" / "dlcards.db"))
        # the temporary files of the test and of the processes it starts, in its own folder:
        # what dlcards keeps there for the learner (an edit it could not write, `_keep`) was
        # left in the machine's temporary folder by every run, removed with the folder now
        scratch = root / "temporary-files"
        scratch.mkdir()
        monkeypatch.setenv("TMPDIR", str(scratch))
        monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    if "saves" not in request.keywords and request.module.__name__ != "test_deck_saves":
        _saved_a_while_ago(monkeypatch)
    monkeypatch.delenv("DLCARDS_DECKS", raising=False)
    monkeypatch.delenv("DLCARDS_TODAY", raising=False)
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setenv("COLUMNS", "160")
    from dlcards.console import out

    out.cache_clear()  # the console reads COLUMNS/LINES when made: one per test
    yield root
    out.cache_clear()
    from dlcards import mathcache

    mathcache.reset()  # no conversion of this test's is written at the worker's exit


SAVED_AGO_NS = 10 * 10**9
"""How long before a command a test's deck edit is taken to have been saved (`isolated`)."""


def _saved_a_while_ago(monkeypatch: pytest.MonkeyPatch) -> None:
    """Deck files, in this process, dated as changed SAVED_AGO_NS before they were: as a
    learner saves a deck and types the next command seconds later, not the microsecond after,
    which is when a test runs it. A deck that does not load, or that dropped cards, changed
    less than `catalog.DECKS_SETTLE_S` (0.3 s) or `DECKS_GONE_S` (2 s) before a command looks
    is waited for, in case an editor is saving it (`catalog.settled`): a test that wrote a
    deck with an error, or took a card out, waited that long for nothing, ~76 waits in half
    the test files, ~30 s. The tests about a deck changed under a command (tests/
    test_deck_saves.py, and those marked `saves`) keep the real dates, and so does every
    process a test starts."""
    from dlcards import catalog

    real = catalog.last_deck_change_ns

    def saved_earlier(extra: object = ()) -> int:
        changed = real(extra)  # type: ignore[arg-type]
        return max(changed - SAVED_AGO_NS, 0) if changed else changed

    monkeypatch.setattr(catalog, "last_deck_change_ns", saved_earlier)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The tests that mostly wait (marked `waits`) first, the others in their order. xdist
    gives each worker a run of the list, and the idle ones take from the busy: waiting at the
    start, a test overlaps the others' work; left at the end (test_durability sorts late), its
    sleeps were the run's last seconds, one worker busy and two idle (65-72 -> 63 s here)."""
    items.sort(key=lambda item: item.get_closest_marker("waits") is None)


@pytest.hookimpl(trylast=True)  # after Hypothesis's plugin: its initialization has ended
def pytest_sessionstart(session: pytest.Session) -> None:
    _rewrite_a_share(session.config)
    _unicode_table_while_the_workers_start(session.config)


def _unicode_table_while_the_workers_start(config: pytest.Config) -> None:
    """In the xdist controller, Hypothesis's table of Unicode categories, and its table of the
    code points UTF-8 encodes (`st.text()`'s default alphabet), made and written to its cache
    (.hypothesis/unicode_data, git-ignored) in a thread, while the workers start and collect.
    A text strategy needs both; in a fresh clone no worker finds them cached, and each made
    its own in its first test that draws text (the codec's ~1.05 CPU s each, a loop over
    every code point: 3 workers, ~3 CPU s). Made here once, the workers read them. Uses
    Hypothesis's own functions (private): if they are not there, or the tables are cached
    already, nothing is done. Not in a worker, nor without workers."""
    import threading

    if hasattr(config, "workerinput") or not getattr(config.option, "numprocesses", None):
        return
    try:
        from hypothesis.internal.charmap import charmap, charmap_file, intervals_from_codec

        codec = charmap_file("codec-v2-utf-8")  # (the name intervals_from_codec caches under)
        if charmap_file().exists() and codec.exists():
            return
    except Exception:  # another Hypothesis: the workers make them, as before
        return

    def make() -> None:
        charmap()
        intervals_from_codec("utf-8")

    threading.Thread(target=make, name="hypothesis-charmap", daemon=True).start()


def _rewrite_a_share(config: pytest.Config) -> None:
    """In an xdist worker, the assertions of its share of the test files rewritten and cached
    before collection. Every worker collects every file, in the same order: in a fresh clone
    (no cached rewrite yet) all of them rewrote each file at once, ~2.9 CPU s each. Shared out
    (the largest files first, dealt round), each rewrites a third and finds the rest cached by
    the others. A fresh clone's run on 2 cores: 3 x 2.9 -> 2.9 CPU s of rewriting. Uses pytest's
    own rewrite and cache functions (private): if they are not there, collection does it all."""
    import sys

    worker = getattr(config, "workerinput", None)
    if worker is None or sys.dont_write_bytecode:
        return
    try:
        from _pytest.assertion.rewrite import (
            PYC_TAIL,
            _read_pyc,
            _rewrite_test,
            _write_pyc,
            assertstate_key,
            get_cache_dir,
        )

        state = config.stash[assertstate_key]
        mine, count = int(str(worker["workerid"]).lstrip("gw")), int(worker["workercount"])
    except (ImportError, KeyError, ValueError):
        return
    files = sorted(Path(__file__).parent.rglob("test_*.py"), key=lambda f: -f.stat().st_size)
    for source in files[mine::count]:
        try:
            cache = get_cache_dir(source)
            cache.mkdir(exist_ok=True)
            pyc = cache / (source.name[:-3] + PYC_TAIL)
            if _read_pyc(source, pyc, state.trace) is None:
                source_hash, code = _rewrite_test(source, config)
                _write_pyc(state, code, source_hash, pyc)
        except (OSError, SyntaxError):
            continue  # collection rewrites it, and says what is wrong with it


def pytest_collection_finish(session: pytest.Session) -> None:
    """What collection made (modules, test items, the built-in catalog) lives until the end:
    frozen, the cyclic garbage collector no longer walks it in every full collection."""
    import gc

    gc.collect()
    gc.freeze()
