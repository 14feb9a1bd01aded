"""`dlcards due --count` for a shell prompt or a status bar, on little more than sqlite3.

A prompt runs the command before every command line, so it should cost little more than
starting Python and asking SQLite one question. This module and `dlcards.store.count` answer it
with the standard library, the settings and the day's limits, and only when the full
`due --count` would print the same number without changing anything first:

- the database exists and is at this dlcards's schema, no FSRS rebuild is pending, and its
  settings read as valid;
- the deck files are as the last sync saw them. The sync records what it saw (`observe`: this
  version, DLCARDS_DECKS, the deck file names in the built-in and each user deck directory,
  each file's real path and version: size, modification and change time, `file_version`),
  taken before the deck files were listed, in the same transaction as the deck signature; a
  file modified so recently that it may change again unseen is never taken as seen (the full
  command reads it); when the observation now is equal,
  `deck_files` would list the same files with the same stamps, so the signature matches and
  no sync is due;
- no review is logged after a day given (a count as of an earlier day reads the log); by the
  clock, the day is reckoned as `day_by_clock` does (`count.clock_day`), which leaves none to
  take back (a clock set ahead and then set right: those reviews are past).

Anything else (a first run, a deck edit, `--decks`, an error to report) gives None, and the
full command answers (tests hold the two equal). `dlcards.quick.main` asks this module first,
so the path it takes imports none of typing, re, json, pathlib, the store's core or the CLI
(each costs a prompt more than the question itself; a test checks).
"""

from __future__ import annotations

import os
import stat
import sys
import time

from dlcards import __version__

DECK_SUFFIXES = (".yaml", ".yml")


def is_deck_name(name: str) -> bool:
    """Whether an entry of a deck folder named `name` is a deck file: a deck's suffix, and not
    hidden. A hidden entry is another program's, beside the deck it is about: emacs's lock
    (`.#own.yaml`, a symbolic link to nowhere, there while a change is unsaved: every command
    failed "is a broken symbolic link"), macOS's metadata on a shared or USB drive
    (`._own.yaml`, binary: "not allowed in a YAML file"), an editor's or a tool's temporary
    copy on its way to the deck's name (`.own.yaml.tmp`, or `.own.yaml` itself)."""
    return name.endswith(DECK_SUFFIXES) and not name.startswith(".")


RACY_NS = 50_000_000
"""A deck file modified less than this before (or after) it is looked at may be modified again
within the same tick of the clock that dates file changes (Linux: a few milliseconds), and that
edit, if it keeps the size, would leave every stat value as it was ("racy git")."""
RACY_WHOLE_SECOND_NS = 3_000_000_000
"""The same for a modification time in whole seconds: a file system that keeps only seconds
(FAT keeps two)."""


def file_version(st: os.stat_result, now_ns: int) -> str:
    """What tells this version of a deck file from the next: its size, modification time and
    change time (set by every write, and by `touch` or a copy that keeps the modification
    time, never to an earlier value). When the file was modified or changed so recently that
    an edit of the same size could still keep all three (`RACY_NS`), the version is a new one
    at each look (`now_ns` in it): never equal to a later look, so the file is read again
    then. The change time too: a copy that keeps the modification time (`cp -p`, `rsync -t`,
    a sync tool) is dated by it alone, and a second one in its tick kept all three."""
    mtime, ctime = st.st_mtime_ns, st.st_ctime_ns
    version = f"{st.st_size}:{mtime}:{ctime}"
    for stamp in (mtime, ctime):
        window = RACY_WHOLE_SECOND_NS if stamp % 1_000_000_000 == 0 else RACY_NS
        if abs(now_ns - stamp) <= window:
            return f"{version}:racy@{now_ns}"
    return version


def builtin_decks_dir() -> str:
    """The built-in decks: inside the package in a wheel, at the top of a source checkout."""
    here = os.path.dirname(os.path.realpath(__file__))
    shipped = os.path.join(here, "decks")
    return shipped if os.path.isdir(shipped) else os.path.join(os.path.dirname(here), "decks")


def user_deck_locations() -> list[str]:
    """The DLCARDS_DECKS entries, as `catalog.user_deck_paths` takes them."""
    env = os.environ.get("DLCARDS_DECKS", "")
    return [p for p in env.split(os.pathsep) if p.strip()]


def real_path(path: str, real_dirs: dict[str, str]) -> str:
    """`os.path.realpath(path)` for an existing file, each directory resolved once: the files
    of a deck folder share theirs (`real_dirs` keeps them), where realpath makes a system
    call per component of every path (~480 for 59 deck files)."""
    if os.path.islink(path):
        return os.path.realpath(path)
    head, name = os.path.split(path)
    real = real_dirs.get(head)
    if real is None:
        real = real_dirs[head] = os.path.realpath(head)
    return os.path.join(real, name)


def observe() -> str | None:
    """What `catalog.deck_files()` (no --decks) lists its files from: this version,
    DLCARDS_DECKS, each location with the deck file names in it (None for a file), and each
    file's path, real path (a relative entry read from another directory is another file)
    and `file_version`; as the `repr` of those values (unambiguous, and no import). None
    when a location or file cannot be read as a deck (the full command says what is wrong),
    or when a file was modified so recently that its version says nothing of the next look."""
    env = os.environ.get("DLCARDS_DECKS", "")
    user = user_deck_locations()
    places: list[object] = []
    files: list[object] = []
    real_dirs: dict[str, str] = {}
    now = time.time_ns()
    for place in [builtin_decks_dir(), *user]:
        try:
            mode = os.stat(place).st_mode
            if stat.S_ISDIR(mode):
                names = sorted(n for n in os.listdir(place) if is_deck_name(n))
                paths = [os.path.join(place, n) for n in names]
                places.append([place, names])
            else:
                paths = [place]
                places.append([place, None])
            for path in paths:
                st = os.stat(path)
                if not stat.S_ISREG(st.st_mode):
                    return None
                version = file_version(st, now)
                if "racy" in version:
                    return None  # the next look must see it again: the full command reads it
                files.append([path, real_path(path, real_dirs), version])
        except OSError:
            return None
    return repr([__version__, env, places, files])


def options(argv: list[str]) -> dict[str, str] | None:
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


def _database(given: str | None) -> str | None:
    """The database `paths.default_db` names (None where platformdirs would have to say)."""
    if given is not None:
        return os.path.expanduser(given)
    raw = os.environ.get("DLCARDS_DB")
    env = (raw or "").strip()
    if env:
        return os.path.expanduser(env)
    if raw is not None:  # set but empty: the full command says it is an error
        return None
    if os.name != "posix" or sys.platform == "darwin":
        return None
    base = os.environ.get("XDG_DATA_HOME", "").strip()
    home = base or os.path.join(os.path.expanduser("~"), ".local", "share")
    return os.path.join(home, "dlcards", "dlcards.db")


_MONTH_DAYS = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def given_day(text: str) -> str | None:
    """The ISO day `dlcards.days.today_from` accepts in `text` (a --today or DLCARDS_TODAY:
    YYYY-MM-DD in ASCII digits, a real calendar day from 2000-01-01 to 2199-12-31), without
    datetime; None where it refuses the text (the full command says why)."""
    day = text.strip()
    digits = day[:4] + day[5:7] + day[8:]
    if not (len(day) == 10 and day[4] == day[7] == "-" and digits.isascii() and digits.isdigit()):
        return None
    year, month, dom = int(day[:4]), int(day[5:7]), int(day[8:])
    leap = year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
    if not 1 <= month <= 12 or not 1 <= dom <= _MONTH_DAYS[month - 1] + (month == 2 and leap):
        return None
    return day if "2000-01-01" <= day <= "2199-12-31" else None


def count(argv: list[str]) -> int | None:
    """The count for `argv`, or None when the full command must answer."""
    found = options(argv)
    if found is None:
        return None
    path = _database(found.get("--db"))
    if path is None or not os.path.isfile(path):
        return None  # a first run: the full command creates and syncs the database
    if not (os.access(path, os.W_OK) and os.access(os.path.dirname(path) or ".", os.W_OK)):
        return None  # the full command refuses a database it cannot write, and says why
    option = found.get("--today")
    given = option if option is not None else os.environ.get("DLCARDS_TODAY", "").strip()
    day: str | None = None  # not given: the study day at the collection's hour, read with it
    if option is not None or given:
        day = given_day(given)
        if day is None:
            return None  # the full command says what is wrong with it
    seen = observe()
    if seen is None:
        return None
    from dlcards.store.count import prompt_count

    return prompt_count(path, day, seen)
