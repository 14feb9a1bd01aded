"""A command line click cannot parse, in every command: one line in dlcards's words, exit 2.

Click said `No such option: --today (Possible options: --tag)`, `Missing argument 'ID'.`,
`Got unexpected extra argument(s) (b)` and `No such command 'lst'.`, each with a second line
(`Try '... --help' for help.`). The expected lines here are written out by hand; the sweep
over every command checks the shape (one line, the command named, exit 2), so that a command
added later is held to it too.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from dlcards.cli import app

runner = CliRunner()


def _leaves() -> Iterator[tuple[list[str], Any]]:
    """Every command a user can run, as the words that name it, with its click command."""
    root = typer.main.get_command(app)

    def walk(words: list[str], group: Any) -> Iterator[tuple[list[str], Any]]:
        for name in group.list_commands(None):
            command = group.get_command(None, name)
            if hasattr(command, "list_commands"):
                yield from walk([*words, name], command)
            else:
                yield [*words, name], command

    return walk([], root)


def _groups() -> list[list[str]]:
    root = typer.main.get_command(app)
    found = [[]]
    for name in root.list_commands(None):
        if hasattr(root.get_command(None, name), "list_commands"):
            found.append([name])
    return found


LEAVES = list(_leaves())
IDS = [" ".join(words) for words, _ in LEAVES]


def refused(args: list[str]) -> str:
    """The one line `args` is refused with (exit code 2, nothing else written)."""
    result = runner.invoke(app, args)
    assert result.exit_code == 2, (args, result.output)
    lines = result.output.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), (args, result.output)
    assert "Traceback" not in result.output
    return lines[0]


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["list", "--today"], "dlcards list has no option --today (`dlcards list --help` lists"),
        (["list", "--tg", "x"], "dlcards list has no option --tg: did you mean --tag?"),
        (["due", "--cout"], "dlcards due has no option --cout: did you mean --count?"),
        (["study", "--nw", "3"], "dlcards study has no option --nw: did you mean --new?"),
        (["export", "anki", "--with-progres"], "did you mean --with-progress?"),
        (["show"], "dlcards show needs ID (usage: dlcards show [OPTIONS] {ID})"),
        (["import", "anki"], "dlcards import anki needs FILE"),
        (["show", "gd-1", "gd-2"], "dlcards show takes one argument, ID: 'gd-2' is one too many"),
        (["due", "a", "b"], "dlcards due takes no arguments: 'a', 'b' are 2 too many"),
        (["config", "a", "b", "c"], "dlcards config takes 2 arguments, KEY and VALUE: 'c' is one"),
        (["lst"], "dlcards has no command 'lst': did you mean list?"),
        (["xyzzy"], "dlcards has no command 'xyzzy' (`dlcards --help` lists them)"),
        (["export", "ank"], "dlcards export has no command 'ank': did you mean anki?"),
        (["--verison"], "dlcards has no option --verison: did you mean --version?"),
        (["list", "--tag"], "dlcards list --tag needs a value"),
    ],
)
def test_a_command_line_click_refuses_is_said_in_dlcards_words(args: list[str], said: str) -> None:
    line = refused(args)
    assert line.startswith(f"error: {said}") or said in line, line
    for click_words in ("No such", "Possible options", "Missing argument", "Got unexpected"):
        assert click_words not in line


def test_an_option_is_near_only_by_its_name_not_by_its_dashes() -> None:
    """With the dashes compared, every long option shares `--`: `--today` was near `--tag`."""
    from dlcards.usage import near_option

    assert near_option("--today", ["--tag", "--help"]) is None
    assert near_option("--tg", ["--tag", "--help"]) == "--tag"
    assert near_option("-t", ["--tag", "--today"]) is None  # a short option is no long one's slip


@pytest.mark.parametrize(("words", "command"), LEAVES, ids=IDS)
def test_every_command_names_an_unknown_and_a_misspelt_option(
    words: list[str], command: Any
) -> None:
    args = [*words, *_arguments(command)]
    line = refused([*args, "--zzqx"])
    assert line.startswith(f"error: dlcards {' '.join(words)} has no option --zzqx ("), line
    options = [p for p in command.params if p.param_type_name == "option"]
    longs = [o for p in options for o in p.opts if o.startswith("--") and len(o) > 5]
    for option in longs[:2]:
        slip = option[:3] + option[4:]  # a letter left out: `--tg` for `--tag`
        line = refused([*args, slip])
        assert line.endswith(f"did you mean {option}?"), (slip, line)


@pytest.mark.parametrize(("words", "command"), LEAVES, ids=IDS)
def test_every_command_names_a_missing_and_an_extra_argument(
    words: list[str], command: Any
) -> None:
    path = f"dlcards {' '.join(words)}"
    arguments = [p for p in command.params if p.param_type_name == "argument"]
    required = [p for p in arguments if p.required]
    if required:
        line = refused(words)
        assert line.startswith(f"error: {path} needs "), line
    if all(p.nargs == 1 for p in arguments):
        line = refused([*words, *("x" for _ in arguments), "too", "many"])
        assert line.startswith(f"error: {path} takes "), line
        assert line.endswith("'too', 'many' are 2 too many"), line


@pytest.mark.parametrize("words", _groups(), ids=lambda w: " ".join(w) or "dlcards")
def test_every_group_names_an_unknown_command(words: list[str]) -> None:
    path = " ".join(["dlcards", *words])
    assert (
        refused([*words, "zzqx"])
        == f"error: {path} has no command 'zzqx' (`{path} --help` lists them)"
    )


def _arguments(command: Any) -> list[str]:
    """Words for a command's required arguments, so that an option is what it stumbles on."""
    return ["x" for p in command.params if p.param_type_name == "argument" and p.required]


def test_the_installed_command_says_it_in_one_line(tmp_path: Any) -> None:
    """Through the program (its fast path hands what it does not parse to the full CLI)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("DLCARDS_")}
    env.update(DLCARDS_DB=str(tmp_path / "p.db"), DLCARDS_CACHE_DIR=str(tmp_path / "cache"))
    for args, said in (
        (["list", "--today"], "error: dlcards list has no option --today (`dlcards list --help`"),
        (["due", "--cout"], "error: dlcards due has no option --cout: did you mean --count?"),
    ):
        done = subprocess.run(
            [sys.executable, "-m", "dlcards", *args], env=env, capture_output=True, text=True
        )
        assert done.returncode == 2 and done.stdout == "", done
        assert done.stderr.splitlines() == [done.stderr.strip()], done.stderr
        assert done.stderr.startswith(said), done.stderr
    assert not (tmp_path / "p.db").exists()  # refused before anything was opened
