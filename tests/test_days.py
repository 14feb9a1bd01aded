"""The study day: it starts at the collection's `day_starts_at` hour (Anki's "next day starts
at", 4 by default), in every command, the shell prompt's count and the Anki import alike."""

from __future__ import annotations

import json
import re
from datetime import date, datetime
from pathlib import Path

import helpers as h
import pytest
from typer.testing import CliRunner

from dlcards.cli import app
from dlcards.days import local_study_day
from dlcards.prompt import count as prompt_count
from dlcards.store.count import study_day

runner = CliRunner()


@pytest.mark.parametrize(
    ("moment", "starts_at", "day"),
    [
        (datetime(2026, 3, 2, 0, 5), 4, date(2026, 3, 1)),  # after midnight: the evening's day
        (datetime(2026, 3, 2, 3, 59, 59), 4, date(2026, 3, 1)),
        (datetime(2026, 3, 2, 4, 0), 4, date(2026, 3, 2)),
        (datetime(2026, 3, 1, 23, 55), 4, date(2026, 3, 1)),
        (datetime(2026, 3, 1, 0, 0), 4, date(2026, 2, 28)),  # across a month
        (datetime(2026, 1, 1, 1, 0), 4, date(2025, 12, 31)),  # and a year
        (datetime(2026, 3, 2, 0, 0), 0, date(2026, 3, 2)),  # 0: the calendar's midnight
        (datetime(2026, 3, 2, 22, 0), 23, date(2026, 3, 1)),
    ],
)
def test_the_study_day_starts_at_its_hour(moment: datetime, starts_at: int, day: date) -> None:
    """A card learned at 23:55 was due again at 00:05, and the day's new cards came back."""
    assert local_study_day(starts_at, moment) == day


@pytest.mark.parametrize("starts_at", range(24))
def test_the_prompt_reckons_the_day_as_the_commands_do(starts_at: int) -> None:
    """The shell prompt's day (`time` alone, no datetime) is the commands' day, for every hour:
    at any moment some hours are past and some are not, so both sides are taken."""
    assert study_day(starts_at) == local_study_day(starts_at).isoformat()


def test_the_collection_s_hour_gives_every_command_its_day(isolated: Path) -> None:
    """`day_starts_at` is a setting as in Anki; `due`, its prompt count and `show` take the
    day it gives (23: yesterday until 11 PM; 0: the calendar date)."""
    for hour in (23, 0, 4):
        assert runner.invoke(app, ["config", "day_starts_at", str(hour)]).exit_code == 0
        day = local_study_day(hour).isoformat()
        shown = json.loads(runner.invoke(app, ["due", "--json"]).output)
        assert shown["today"] == day, hour
        full = runner.invoke(app, ["due", "--count"]).output.strip()
        assert prompt_count(["due", "--count"]) == int(full), hour
    listed = runner.invoke(app, ["config"]).output
    assert "day_starts_at" in listed and "next day starts" in listed
    for bad in ("24", "-1", "4am"):
        refused = runner.invoke(app, ["config", "day_starts_at", bad])
        assert refused.exit_code == 2 and "day_starts_at must be" in refused.output, bad


@pytest.mark.parametrize(
    "args",
    [["--json"], ["scheduler", "--force"], ["--today", "2026-01-01"], ["new_per_day", "--jsn=1"]],
)
def test_config_names_an_unknown_option_as_an_option(isolated: Path, args: list[str]) -> None:
    """`config --json` said "unknown setting '--json'" and `config scheduler --force` "must be
    sm2 or fsrs, not '--force'": an option is named as one (`-5` stays a value to refuse),
    as every command names it (`dlcards.usage`)."""
    result = runner.invoke(app, ["config", *args])
    name = next(a for a in args if a.startswith("--")).partition("=")[0]
    assert (result.exit_code, result.output) == (
        2,
        f"error: dlcards config has no option {name} (`dlcards config --help` lists its options)\n",
    )
    negative = runner.invoke(app, ["config", "new_per_day", "-5"])
    assert negative.exit_code == 2 and "new_per_day must be from 0 to 9999" in negative.output


def test_config_help_names_every_setting() -> None:
    from dlcards.settings import SETTINGS

    shown = " ".join(runner.invoke(app, ["config", "--help"]).output.split())
    for s in SETTINGS:
        assert s.key in shown, s.key


@pytest.mark.parametrize("columns", [40, 60, 100, 160])
def test_config_never_splits_a_command_across_lines(
    isolated: Path, monkeypatch: pytest.MonkeyPatch, columns: int
) -> None:
    """In a real terminal at 100 columns `config`'s table wrapped fsrs_parameters' meaning
    inside its command, `dlcards` ending a line and `optimize` beginning the next: a table's
    cells of plain text were not glued as printed text is (`console.glued`). Every command
    in backticks is on one line, at every width, in the table as in the stacked layout."""
    from dlcards.settings import SETTINGS

    h.terminal_of(monkeypatch, columns, dumb=True)
    result = runner.invoke(app, ["config"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert all(len(line) <= columns for line in lines), lines
    commands = [c for s in SETTINGS for c in re.findall(r"`[^`]*`", s.meaning)]
    assert "`dlcards optimize`" in commands
    for command in commands:
        assert any(command in line for line in lines), (command, lines)
    for line in lines:  # and no other span left open at a line's end
        assert line.count("`") % 2 == 0, (line, lines)
    assert ("meaning" in lines[0].split()) == (columns >= 60), lines[0]  # the table, or not


@pytest.mark.parametrize("columns", [30, 40])
def test_config_in_a_narrow_terminal_puts_each_meaning_under_its_setting(
    isolated: Path, monkeypatch: pytest.MonkeyPatch, columns: int
) -> None:
    """A helper's UX run: at 30 columns `config`'s meaning column was one letter wide (`s…`,
    `(…`, `2,` down the screen), at 40 twelve. Too narrow for a column, each setting and its
    value are a line, and its meaning is wrapped under it at the terminal's width."""
    from dlcards.settings import SETTINGS

    h.terminal_of(monkeypatch, columns, dumb=True)
    result = runner.invoke(app, ["config"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert all(len(line) <= columns and line == line.rstrip() for line in lines), lines
    assert "…" not in result.output
    for s in SETTINGS:
        assert s.key + "  " in result.output
        assert " ".join(s.meaning.split()) in " ".join(result.output.split())
    # a command to type is never cut across lines: at 40 columns `dlcards` ended a line and
    # `optimize` began the next (found in tmux)
    commands = [c for s in SETTINGS for c in re.findall(r"`[^`]*`", s.meaning)]
    assert "`dlcards optimize`" in commands
    for command in commands:
        assert any(command in line for line in lines), (command, lines)
