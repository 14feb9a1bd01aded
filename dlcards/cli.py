"""The typer app: wires commands together and turns user errors into one line and an exit code.

Each command lives in `dlcards/commands/<name>.py` as a plain function that parses its options,
calls the core, and renders. Heavy libraries (numpy, sqlite-utils, genanki, yaml) are imported
inside the functions that need them, so quick commands start quickly.
"""

from __future__ import annotations

import sys
from typing import Any

import typer
from typer.core import TyperCommand, TyperGroup

from dlcards import __version__
from dlcards.console import click_line, pipe_closed, report
from dlcards.errors import DlcardsError, interrupt_code
from dlcards.stdio import say

HELP_WIDTH = 80
"""The widest `--help` (click's); narrower in a narrower terminal."""


class _Group(TyperGroup):
    """Loads each command on first use (see COMMANDS) and shows every DlcardsError as
    `error: ...` on stderr with its exit code, no traceback."""

    @property  # type: ignore[override]
    def commands(self) -> dict[str, Any]:
        """Every command, all loaded: for introspection (running one loads just that one)."""
        for name in COMMANDS:
            self.get_command(None, name)
        return self._commands

    @commands.setter
    def commands(self, value: Any) -> None:
        self._commands: dict[str, Any] = dict(value or {})

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        if cmd_name not in self._commands and cmd_name in COMMANDS:
            self._commands[cmd_name] = _load(cmd_name)
        return self._commands.get(cmd_name)

    def list_commands(self, ctx: Any) -> list[str]:
        # the order of COMMANDS (then any added directly), not alphabetical
        return [*COMMANDS, *(name for name in self._commands if name not in COMMANDS)]

    def make_context(
        self, info_name: str | None, args: list[str], parent: Any = None, **extra: Any
    ) -> Any:
        """Click's context, its help as wide as the terminal: click's own never narrower than
        50 columns, which a terminal of 40 folded inside words (`Usage: python -m dlcards
        [OPTIONS] COMMAND` / `[ARGS]...`). Its commands' contexts take the width from it."""
        if parent is None and "terminal_width" not in extra:
            import shutil

            columns = shutil.get_terminal_size().columns
            extra["terminal_width"] = max(min(columns, HELP_WIDTH) - 2, 20)
        return super().make_context(info_name, args, parent, **extra)

    def main(self, *args: Any, **kwargs: Any) -> Any:
        """Click's main, with usage errors (an unknown command or option, a missing or extra
        argument, an option without its value) said in dlcards's words on one line, like every
        other error (`usage_words`), exit code 2."""
        if not kwargs.get("standalone_mode", True):
            return super().main(*args, **kwargs)
        exceptions = _click_exceptions()
        kwargs["standalone_mode"] = False
        try:
            code = super().main(*args, **kwargs)
        except exceptions.ClickException as err:
            if isinstance(err, exceptions.UsageError) and not _is_help(err):
                given = kwargs.get("args", args[0] if args else None)
                words = sys.argv[1:] if given is None else list(given)
                from dlcards.usage import usage_words

                say(f"error: {click_line(usage_words(err, words))}")
            else:
                err.show()
            sys.exit(err.exit_code)
        except typer.Abort:
            typer.echo("Aborted!", err=True)
            sys.exit(1)
        sys.exit(code if isinstance(code, int) else 0)

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except DlcardsError as err:
            raise typer.Exit(report(err)) from None
        except BrokenPipeError:
            raise typer.Exit(pipe_closed()) from None
        except KeyboardInterrupt as err:  # typer makes any an exit 130 (Ctrl-C's)
            code = interrupt_code(err)
            if code == 130:
                raise
            raise typer.Exit(code) from None  # a closed terminal's 129, a `kill`'s 143


def _click_module(name: str) -> Any:
    """One of click's modules as typer uses it (recent typer vendors click as typer._click)."""
    import importlib

    try:
        return importlib.import_module(f"typer._click.{name}")
    except ImportError:  # pragma: no cover - typer that uses click itself
        return importlib.import_module(f"click.{name}")


_KEPT_SPACE = "\u00a0"  # textwrap breaks lines at ASCII whitespace only


class _HelpFormatter(_click_module("formatting").HelpFormatter):  # type: ignore[misc]
    """Click's, with each bracketed note after an option's help (`[default: sm2,fsrs]`,
    `[default: 50; x>=1]`) and each command to type in backticks (`dlcards config
    new_per_day`) kept whole on a line, in the options and in a command's description alike:
    at 60 columns click broke a note as `[default:` / `sm2,fsrs]`, and at 40 a command as
    `dlcards config` / `new_per_day`."""

    def write_dl(self, rows: Any, col_max: int = 30, col_spacing: int = 2) -> None:
        rows = list(rows)
        # the width click wraps the help column to (its write_dl's): a note wider than that
        # is left to break between its words, not cut inside one
        first = min(max((len(name) for name, _ in rows), default=0), col_max) + col_spacing
        room = max(self.width - first - 2, 10)
        start = len(self.buffer)
        super().write_dl(
            [(name, _kept_whole(help, room)) for name, help in rows], col_max, col_spacing
        )
        self._spaces_back(start)

    def write_text(self, text: str) -> None:
        start = len(self.buffer)
        super().write_text(_kept_whole(text, max(self.width - self.current_indent, 10)))
        self._spaces_back(start)

    def _spaces_back(self, start: int) -> None:
        self.buffer[start:] = [piece.replace(_KEPT_SPACE, " ") for piece in self.buffer[start:]]


def _kept_whole(text: str, room: int) -> str:
    """`text` with the spaces inside each `[note]` and `` `command` `` that fits in `room`
    columns with what is written against it (`(as`, `),`) made ones textwrap does not break
    at (`_KEPT_SPACE`). One too wide is left to break between its words: textwrap would cut
    it inside one (`dlcar` / `ds search`)."""
    import re

    def kept(span: re.Match[str]) -> str:
        return span[0].replace(" ", _KEPT_SPACE) if len(span[0]) <= room else span[0]

    return re.sub(r"[^\s\[`]*(?:\[[^\[\]]*\]|`[^`\n]*`)\S*", kept, text)


class _Context(_click_module("core").Context):  # type: ignore[misc]
    formatter_class = _HelpFormatter


class _Command(TyperCommand):
    """A command whose `--help` is the help wherever it stands before `--`. Click gives an
    option that takes a value the next word whatever it is, so `doctor --restore --help`
    looked for a backup named `--help`, and `study --new --help` refused `--help` as a
    number."""

    context_class = _Context

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        words = args[: args.index("--")] if "--" in args else args
        if not ctx.resilient_parsing and any(w in ctx.help_option_names for w in words):
            typer.echo(ctx.get_help(), color=ctx.color)
            ctx.exit()
        # click drops the `--`: how many words came after it (the last arguments), for a
        # command that reads words like options (`search -- --momentum`, `dlcards.cli.
        # after_dashes`)
        ctx.meta[_AFTER_DASHES] = len(args) - len(words) - 1 if "--" in args else 0
        # words left over once the arguments are taken: refused here, with the words
        # themselves (click's message joins them with spaces), for `usage_words`
        allowed = ctx.allow_extra_args
        ctx.allow_extra_args = True
        try:
            rest: list[str] = super().parse_args(ctx, args)
        finally:
            ctx.allow_extra_args = allowed
        if rest and not allowed and not ctx.resilient_parsing:
            raise _ExtraArguments(rest, ctx)
        return rest


class _ExtraArguments(_click_module("exceptions").UsageError):  # type: ignore[misc]
    """More words than a command's arguments take; `extra`: those words."""

    def __init__(self, extra: list[str], ctx: Any) -> None:
        super().__init__(f"unexpected extra arguments: {' '.join(extra)}", ctx)
        self.extra = extra


_AFTER_DASHES = "dlcards.after_dashes"


def current_context() -> Any:
    """Click's context of the command running now, or None outside one."""
    return _click_module("globals").get_current_context(silent=True)


def after_dashes() -> int:
    """How many of the running command's words came after its `--` (everything after it is
    an argument, whatever it looks like): 0 without one."""
    ctx = _click_module("globals").get_current_context(silent=True)
    return int(ctx.meta.get(_AFTER_DASHES, 0)) if ctx is not None else 0


def _help_anywhere(obj: typer.Typer) -> None:
    """Every command of a Typer group (and its groups) built as a `_Command`."""
    for info in obj.registered_commands:
        if info.cls in (None, TyperCommand):  # typer's default, not a class of its own
            info.cls = _Command
    for group in obj.registered_groups:
        if group.typer_instance is not None:
            _help_anywhere(group.typer_instance)


def _click_exceptions() -> Any:
    """Click's exceptions as typer raises them."""
    return _click_module("exceptions")


def _is_help(err: Any) -> bool:
    """`dlcards export` with no subcommand: the help, shown whole, is not an error."""
    return type(err).__name__ == "NoArgsIsHelpError"


app = typer.Typer(
    cls=_Group,
    name="dlcards",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"dlcards {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    """Spaced-repetition flashcards for deep learning, in the terminal.

    Start with `dlcards study`. Decks: `dlcards topics`, `dlcards list`, `dlcards show ID`.
    """


# Every command as "module:attribute" (a function is one command, a Typer a group of them) and
# the line `dlcards --help` lists it with, in the order it lists them. A command's module is
# imported only when that command is run (or its help shown), so `dlcards due` does not pay
# for importing `quiz`, `calc` or `export`. Each line is whole at 60 columns: click cut the
# first sentence of a command's help to fit, mid-phrase ("Keep cards out of study
# sessions...", "Bring suspended cards back into study...").
COMMANDS = {
    "study": ("dlcards.commands.study_cli:study", "The daily session: due, new, re-drills"),
    "due": ("dlcards.commands.progress:due", "Cards due today and new, per topic"),
    "stats": ("dlcards.commands.progress:stats", "Progress, retention, forecast, leeches"),
    "topics": ("dlcards.commands.browse:topics", "The topics and their card counts"),
    "list": ("dlcards.commands.browse:list_cards", "Card ids and questions, or the leeches"),
    "show": ("dlcards.commands.browse:show", "One card, its answer and study state"),
    "search": ("dlcards.commands.search:search", "Find cards, with Anki's search syntax"),
    "add": ("dlcards.commands.edit:add", "Write a new card in $EDITOR"),
    "edit": ("dlcards.commands.edit:edit", "Edit a card in $EDITOR"),
    "decks": ("dlcards.commands.edit:decks_app", "Copy the built-in decks to edit them"),
    "suspend": ("dlcards.commands.progress:suspend", "Keep cards out of study sessions"),
    "unsuspend": ("dlcards.commands.progress:unsuspend", "Bring suspended cards back"),
    "unleech": ("dlcards.commands.progress:unleech", "Take the leech mark off cards"),
    "reset": ("dlcards.commands.progress:reset", "Make cards new again (the log is kept)"),
    "undo": ("dlcards.commands.progress:undo", "Take back your newest action"),
    "config": ("dlcards.commands.config:config", "Show or change the settings"),
    "simulate": ("dlcards.commands.simulate:simulate", "Compare schedulers on a simulated learner"),
    "optimize": ("dlcards.commands.optimize:optimize", "Fit FSRS to your own reviews"),
    "check": ("dlcards.commands.check:check", "Validate the decks and their numbers"),
    "quiz": ("dlcards.commands.quiz:quiz", "Cram without touching the schedule"),
    "calc": ("dlcards.commands.calc:calc", "Run a computation, with its worked steps"),
    "export": ("dlcards.commands.export:export_app", "To Anki, or the review log to a file"),
    "import": ("dlcards.commands.importing:import_app", "Reviews or decks from Anki"),
    "backup": ("dlcards.commands.doctor:backup", "Back the database up now; list backups"),
    "doctor": ("dlcards.commands.doctor:doctor", "Check the database and repair it"),
}


def _load(name: str) -> Any:
    """The click command for COMMANDS[name], built as `app.command(name)` would build it."""
    import importlib

    import typer.main

    target, summary = COMMANDS[name]
    module, attr = target.split(":")
    obj = getattr(importlib.import_module(module), attr)
    cmd: Any
    if isinstance(obj, typer.Typer):
        _help_anywhere(obj)
        cmd = typer.main.get_group(obj)
    else:
        single = typer.Typer(add_completion=False, rich_markup_mode=None)
        # a command may ask for click settings, e.g. `config` takes "-5" as a value to refuse
        settings = getattr(obj, "context_settings", None)
        single.command(name, cls=_Command, context_settings=settings)(obj)
        cmd = typer.main.get_command(single)
    cmd.name = name
    cmd.short_help = summary
    return cmd


def main() -> None:
    app()
