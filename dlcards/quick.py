"""The fast path: the everyday commands without loading the CLI framework (typer, click).

`main` first answers `due --count` (with `--db`/`--today`) by `dlcards.prompt`, with little
more than sqlite3, when the full command would print the same number without changing anything
first: a shell prompt's number. Anything else (a deck edit to sync, an error to report) goes
on, and the full answer is the same number (`dlcards.commands.run.due`), so the fast path can
never show a figure the full one would not. `--version` is answered here too.

Then `topics`, `show ID`, `due`, `stats`, `study` and `search`, with the options they take, are
parsed here and run by the same function the typer command calls (`dlcards.commands.run`), with the
same error funnel (`dlcards.console.report`): the same output, errors and exit codes, without
typer's import time. A command line this parser does not fully understand (`--help`, an
unknown or repeated option, `--`, a missing argument) goes to the full CLI, which says what
typer says.
"""

from __future__ import annotations

import sys

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (see dlcards.prompt)
if TYPE_CHECKING:
    from collections.abc import Sequence
    from typing import Any

# The command lines run here, as their typer commands declare them (tests/test_quick.py checks
# the two agree): each command's positional parameters, and each option's parameter and kind:
# VALUE takes one value, LIST takes one value and may repeat, FLAG takes none.
VALUE, LIST, FLAG = "value", "list", "flag"
_DECKS = {"--decks": ("decks", LIST)}
_DB_TODAY = {"--db": ("db", VALUE), "--today": ("today", VALUE)}
_JSON = {"--json": ("json_", FLAG)}
COMMANDS: dict[str, tuple[tuple[str, ...], dict[str, tuple[str, str]]]] = {
    "topics": ((), {**_DECKS, **_JSON}),
    "show": (("card_id",), {**_DECKS, **_DB_TODAY, **_JSON}),
    "due": ((), {**_DECKS, **_DB_TODAY, **_JSON, "--count": ("count", FLAG)}),
    "stats": ((), {**_DECKS, **_DB_TODAY, **_JSON}),
    "search": (
        ("query",),
        {"--limit": ("limit", VALUE), "-n": ("limit", VALUE), **_DECKS, **_DB_TODAY, **_JSON},
    ),
    "study": (
        (),
        {
            "--topic": ("topic", LIST),
            "-t": ("topic", LIST),
            "--tag": ("tag", VALUE),
            "--new": ("new", VALUE),
            "--reviews": ("reviews", VALUE),
            "--search": ("search", VALUE),
            "-s": ("search", VALUE),
            **_DECKS,
            **_DB_TODAY,
        },
    ),
}


VARIADIC = {"search": "query"}  # a positional that takes every word given (nargs=-1), one or more
DEFAULTS = {"search": {"limit": "50"}}  # options whose typer default is not None, as given


def _counts() -> dict[str, tuple[int, int]]:
    """The whole-number options and the range typer allows each (`dlcards.commands.study_cli`)."""
    from dlcards.settings import NEW_PER_DAY_MAX, REVIEWS_MAX

    return {"new": (0, NEW_PER_DAY_MAX), "reviews": (0, REVIEWS_MAX)}


def _number(text: str, low: int, high: int | None) -> int | None:
    """`text` as click reads a whole number in a range (`high` None: no upper bound), or None
    where click would refuse it."""
    try:
        value = int(text)
    except ValueError:
        return None
    return value if low <= value and (high is None or value <= high) else None


def parse(argv: Sequence[str]) -> tuple[str, dict[str, Any]] | None:
    """The command and its body's keyword arguments for `argv`, or None when the full CLI must
    parse it. Only what click would read the same way is taken: long options, `--opt value` or
    `--opt=value`, a value option at most once (unless repeatable), positionals in order."""
    if not argv or argv[0] not in COMMANDS:
        return None
    positional, options = COMMANDS[argv[0]]
    kwargs: dict[str, Any] = {}
    for param, kind in options.values():
        kwargs[param] = () if kind == LIST else (False if kind == FLAG else None)
    given: list[str] = []
    args = list(argv[1:])
    while args:
        arg = args.pop(0)
        if not arg.startswith("-") or arg == "-":
            given.append(arg)
            continue
        name, eq, value = arg.partition("=")
        if name not in options:
            return None  # --help, --, a short or unknown option: typer's to answer
        param, kind = options[name]
        if kind == FLAG:
            if eq:
                return None
            kwargs[param] = True
            continue
        if not eq:
            if not args:
                return None
            value = args.pop(0)
        if value.startswith("-") and value != "-":
            return None  # click would take it as the value; leave such lines to click
        if kind == LIST:
            kwargs[param] = (*kwargs[param], value)
        elif kwargs[param] is not None:
            return None
        else:
            kwargs[param] = value
    for param, default in DEFAULTS.get(argv[0], {}).items():
        if kwargs[param] is None:
            kwargs[param] = default
    variadic = VARIADIC.get(argv[0])
    if variadic is not None:
        if not given:
            return None  # typer says the argument is missing
        kwargs[variadic] = tuple(given)
    elif len(given) != len(positional):
        return None
    else:
        kwargs.update(zip(positional, given, strict=True))
    if argv[0] == "study":
        for param, (low, high) in _counts().items():
            if kwargs[param] is not None:
                kwargs[param] = _number(kwargs[param], low, high)
                if kwargs[param] is None:
                    return None  # typer says what is wrong with it
    if argv[0] == "search":
        kwargs["limit"] = _number(kwargs["limit"], 1, None)  # as typer's: min=1, no max
        if kwargs["limit"] is None:
            return None
    return argv[0], kwargs


def run(name: str, kwargs: dict[str, Any]) -> int:
    """Run the command's body; its exit code, with errors shown as the full CLI shows them."""
    from dlcards.commands import run as bodies
    from dlcards.console import pipe_closed, report
    from dlcards.errors import DlcardsError

    if name == "study":
        _collecting()
    try:
        code = getattr(bodies, name)(**kwargs)
    except DlcardsError as err:
        return report(err)
    except BrokenPipeError:
        return pipe_closed()
    except KeyboardInterrupt as err:  # as typer's main: no message
        from dlcards.errors import interrupt_code

        return interrupt_code(err)  # 130, or a hang-up's or a `kill`'s
    return code or 0


def _completing() -> bool:
    """A shell-completion request (click's `_PROG_COMPLETE` variable): typer answers it."""
    import os

    return any(k.startswith("_") and k.endswith("_COMPLETE") for k in os.environ)


def main() -> None:
    """`dlcards` run from Python (`script` is the command)."""
    _start(leave=False)


def script() -> None:
    """The `dlcards` command (its console script, `python -m dlcards`): `main`, except that a
    command this module runs (the prompt's number, `--version`, the commands of `run`) ends
    the process at once (`_leave`) instead of tearing down the interpreter's modules: ~3 ms
    of the ~24 a prompt's count takes, ~7 of the ~60 of `show ID`. A Ctrl-C that comes before
    the command's guard took over (its first milliseconds) ends it as the guard would: exit
    130, no traceback."""
    try:
        _start(leave=True)
    except KeyboardInterrupt as err:
        from dlcards.errors import interrupt_code

        raise SystemExit(interrupt_code(err)) from None


def _start(leave: bool) -> None:
    import gc

    # The cyclic garbage collector is off for a command run here: what a command makes is
    # freed as it goes (reference counts), and the collector's passes over the objects of the
    # modules being imported were ~6% of a quick command's CPU (`show ID`: 26 young and 3
    # older collections, ~5.5 of ~88 ms; `topics` ~3 of ~50; `stats` ~9 of ~160). `study`,
    # which runs for as long as the learner studies, and the typer app's commands (imports,
    # exports, `quiz`) turn it on again (`_collecting`); a first sync pauses it anyway
    # (`cores.gc_paused`). Run from Python (`main`), the caller gets it back as it was.
    was = gc.isenabled()
    gc.disable()
    try:
        _run_started(leave)
    finally:
        if was:
            gc.enable()


def _collecting() -> None:
    """The cyclic garbage collector on again, for a command that may run long (`_start`)."""
    import gc

    gc.enable()


def _run_started(leave: bool) -> None:
    number = _prompt_number()
    if number is not None and sys.stdout is not None:
        # the prompt's number, written without the guard's module (a tenth of its own time):
        # a failed write is still the guard's one line (`dlcards.stdio.failed`)
        try:
            sys.stdout.write(f"{number}\n")
            sys.stdout.flush()
            if leave:
                _leave(0)
            return
        except OSError as err:
            from dlcards.stdio import failed

            failed(err)
    from dlcards.stdio import guarded

    ran: list[bool] = []  # the command ran here, not in the typer app
    try:
        guarded(lambda: _run_command(number, ran), to_the_end=leave)
    except SystemExit as ended:
        if leave and ran:
            _leave(ended.code)
        if leave:
            ended.code = _last_stop(ended.code)
        raise
    if leave and ran:
        _leave(0)


def _last_stop(code: str | int | None) -> str | int | None:
    """The exit status of a command of the typer app whose process now ends through the
    interpreter's teardown: SIGTERM and SIGHUP are ignored from here to the process's end,
    and one noted since the command's guard looked (`terminal.stopped_late`) is its exit
    status. The teardown gives the signals their default action back before it ends (Python's
    handlers go with the interpreter, its "ignore" stays), so a `kill` in its last
    milliseconds ended a command that had done all its work (`backup` listing its backups,
    a quiz) as SIGKILL would: exit -15, not a word (a torture run: 30 of 30 `backup`s killed
    as their last line came). One that comes now is too late to stop anything: the
    command's own status stands. Ignored, not blocked: a mask is the thread's, and a thread
    Python does not see (NumPy's, after an import's replay) took the signal and ended the
    process with it. Not while another of Python's threads runs (its end is waited for, and a
    `kill` must still end a wait that hangs), nor where no block of the command took the
    signals (their default action ends it as a killed `ls`)."""
    import signal

    terminal = sys.modules.get("dlcards.terminal")
    threading = sys.modules.get("threading")
    if terminal is None:
        return code
    if threading is not None and threading.active_count() > 1:
        return code
    held = [getattr(signal, name) for name in ("SIGTERM", "SIGHUP") if hasattr(signal, name)]
    if not any(signal.getsignal(n) not in (signal.SIG_DFL, signal.SIG_IGN) for n in held):
        return code
    for number in held:
        signal.signal(number, signal.SIG_IGN)
    if code not in (0, None):
        return code
    stop = terminal.stopped_late()
    return code if stop is None else stop


def _leave(code: object) -> None:
    """End the process now with exit status `code` (None: 0), without the interpreter's
    teardown, when that has nothing left to do: no other thread runs, no database connection
    of the store is open (closing one at the teardown checkpoints its log into the file) and
    both standard streams flush; what is registered to run at exit (the math cache's
    conversions, a process pool's end) runs first. Otherwise returns: the caller's SystemExit
    ends the process as usual."""
    import os

    if code is not None and not isinstance(code, int):
        return
    threading = sys.modules.get("threading")
    if threading is not None and threading.active_count() > 1:
        return
    connection = sys.modules.get("dlcards.store.connection")
    if connection is not None and connection.Connection.still_open:
        return
    if not _flushed():
        return
    import atexit

    atexit._run_exitfuncs()
    if _flushed():
        os._exit(code or 0)


def _flushed() -> bool:
    try:
        for stream in (sys.stdout, sys.stderr):
            if stream is not None:
                stream.flush()
    except (OSError, ValueError):
        return False
    return True


def _prompt_number() -> int | None:
    """`dlcards.prompt.count` for this command line (None: not the prompt's count, or the full
    command must answer); a Ctrl-C while it reads ends as the guard ends one (exit 130)."""
    try:
        if _completing():
            return None
        from dlcards.prompt import count

        return count(sys.argv[1:])
    except (KeyboardInterrupt, RuntimeError) as err:
        from dlcards.errors import interrupted

        if interrupted(err):
            raise SystemExit(130) from None
        raise


def words_apart(argv: list[str]) -> list[str]:
    """A `search` command line with its query's words after `--`, in their order: click reads
    a word like `-is:new` or `-tanh` as short options, and `-n` among them as --limit with
    the rest as its value (`-is:new`: limit "ew"). A word is what is neither an option nor an
    option's value; a single-dash word other than `-n` or `-nDIGITS` is one (`-neuron`
    excludes "neuron"). Other command lines, and one that has `--` already, are kept."""
    if argv[:1] != ["search"] or "--" in argv:
        return argv
    options = COMMANDS["search"][1]
    kept, words = ["search"], []
    args = iter(argv[1:])
    for arg in args:
        name, eq, _ = arg.partition("=")
        if arg.startswith("--") or name in options:
            kept.append(arg)
            takes_value = name in options and options[name][1] != FLAG and not eq
            value = next(args, None) if takes_value else None
            if value is not None:
                kept.append(value)
        elif arg.startswith("-n") and arg[2:].isdigit():
            kept.append(arg)
        else:
            words.append(arg)
    return [*kept, "--", *words] if any(w.startswith("-") for w in words) else argv


def _run_command(number: int | None = None, ran: list[bool] | None = None) -> None:
    """The command line in `sys.argv`: here when `parse` reads it (`ran` gets True), else by
    the typer app."""
    sys.argv[1:] = words_apart(sys.argv[1:])
    argv = sys.argv[1:]
    if not _completing():
        if number is not None:  # standard output was closed: its write fails in the guard
            sys.stdout.write(f"{number}\n")
            return
        if ran is not None:
            ran.append(True)
        if argv == ["--version"]:
            from dlcards import __version__

            sys.stdout.write(f"dlcards {__version__}\n")
            return
        if argv and not {"--help", "-h"} & set(argv):
            from dlcards.days import clock_problem

            if (problem := clock_problem()) is not None:  # before any file is opened
                from dlcards.stdio import say

                say(f"error: {problem}")
                sys.exit(2)
        command = parse(argv)
        if command is not None:
            sys.exit(run(*command))
        if ran is not None:
            ran.clear()
    from dlcards.cli import main as full

    _collecting()
    full()
