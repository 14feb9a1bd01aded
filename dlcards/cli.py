"""The typer app: wires commands together and turns user errors into one line and an exit code.

Each command lives in `dlcards/commands/<name>.py` as a plain function that parses its options,
calls the core, and renders. Heavy libraries (numpy, sqlite-utils, genanki, yaml) are imported
inside the functions that need them, so quick commands start quickly.
"""

from __future__ import annotations

import sys
from typing import Any

import typer
from typer.core import TyperGroup

from dlcards import __version__
from dlcards.errors import DlcardsError


class _Group(TyperGroup):
    """Shows every DlcardsError as `error: ...` on stderr with its exit code, no traceback."""

    def list_commands(self, ctx: Any) -> list[str]:
        return list(self.commands)  # the order they are registered in, not alphabetical

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except DlcardsError as err:
            typer.echo(f"error: {err}", err=True)
            raise typer.Exit(err.exit_code) from None
        except BrokenPipeError:
            # `dlcards list | head`: the reader went away; that is not an error.
            sys.stderr.close()
            raise typer.Exit(0) from None


app = typer.Typer(
    cls=_Group,
    name="dlcards",
    help="Spaced-repetition flashcards for deep learning, in the terminal.",
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


def _register() -> None:
    from dlcards.commands import browse, config, progress, study

    app.command("study")(study.study)
    app.command("due")(progress.due)
    app.command("stats")(progress.stats)
    app.command("topics")(browse.topics)
    app.command("list")(browse.list_cards)
    app.command("show")(browse.show)
    app.command("suspend")(progress.suspend)
    app.command("unsuspend")(progress.unsuspend)
    app.command("reset")(progress.reset)
    app.command("config")(config.config)
    from dlcards.commands import simulate

    app.command("simulate")(simulate.simulate)
    from dlcards.commands.export import export_app

    app.add_typer(export_app, name="export")
    from dlcards.commands import check, quiz

    app.command("check")(check.check)
    app.command("quiz")(quiz.quiz)
    try:
        from dlcards.commands import calc
    except ImportError:  # pragma: no cover - while the engine is being written
        return
    app.command("calc")(calc.calc)


_register()


def main() -> None:
    app()
