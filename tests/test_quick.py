"""`dlcards due --count`: the shell-prompt number, by the fast path and by the full CLI."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import helpers as h
import pytest
from typer.testing import CliRunner

from dlcards.cli import app
from dlcards.quick import _options, due_count

runner = CliRunner()
DAY = "2026-11-26"


def full(*args: str) -> int:
    result = runner.invoke(app, ["due", "--count", *args])
    assert result.exit_code == 0, result.output
    return int(result.output)


def expected(day: str) -> int:
    data = json.loads(runner.invoke(app, ["due", "--json", "--today", day]).output)
    return int(data["due_today"] + data["new_today"])


@pytest.mark.parametrize(
    ("argv", "options"),
    [
        (["due", "--count"], {}),
        (["due", "--count", "--today", DAY], {"--today": DAY}),
        (["due", "--db=x.db", "--count"], {"--db": "x.db"}),
        (["due"], None),
        (["due", "--json", "--count"], None),
        (["due", "--count", "--decks", "d"], None),
        (["due", "--count", "--today"], None),
        (["stats", "--count"], None),
        ([], None),
    ],
)
def test_only_due_count_takes_the_fast_path(argv: list[str], options: object) -> None:
    assert _options(argv) == options


def test_fast_and_full_counts_agree_as_the_collection_changes(isolated: Path) -> None:
    assert due_count(["due", "--count", "--today", DAY]) is None  # no database yet
    assert full("--today", DAY) == expected(DAY) == 20
    assert due_count(["due", "--count", "--today", DAY]) == 20
    runner.invoke(app, ["study", "--today", DAY, "--new", "3"], input="\n5\n\n4\n\n1\nq\n")
    for day in (DAY, "2026-11-27", "2026-12-20"):
        fast = due_count(["due", "--count", "--today", day])
        assert fast == full("--today", day) == expected(day), day
    assert runner.invoke(app, ["config", "scheduler", "fsrs"]).exit_code == 0
    for day in ("2026-11-27", "2026-12-20"):
        assert due_count(["due", "--count", "--today", day]) == expected(day), day
    assert runner.invoke(app, ["config", "new_per_day", "0"]).exit_code == 0
    assert due_count(["due", "--count", "--today", DAY]) == expected(DAY)
    # the daily review cap (3 cards were graded on DAY): both paths count within it
    assert runner.invoke(app, ["config", "new_per_day", "20"]).exit_code == 0
    assert runner.invoke(app, ["config", "reviews_per_day", "5"]).exit_code == 0
    assert due_count(["due", "--count", "--today", DAY]) == full("--today", DAY) == 2
    assert due_count(["due", "--count", "--today", "2026-12-20"]) == expected("2026-12-20") == 5


def test_a_deck_change_goes_to_the_full_cli(
    isolated: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    full("--today", DAY)
    deck = isolated / "extra.yaml"
    deck.write_text("topic: x\ntitle: X\ncards:\n- {id: x-1, question: q, answer: a}\n")
    monkeypatch.setenv("DLCARDS_DECKS", str(deck))
    assert due_count(["due", "--count", "--today", DAY]) is None  # not synced: full CLI
    assert runner.invoke(app, ["config", "new_per_day", "500"]).exit_code == 0
    assert runner.invoke(app, ["config", "reviews_per_day", "unlimited"]).exit_code == 0
    assert full("--today", DAY) == expected(DAY) == h.shipped()[0] + 1  # synced: x-1 counts
    assert due_count(["due", "--count", "--today", DAY]) == h.shipped()[0] + 1


def test_the_command_prints_one_number_without_typer(isolated: Path) -> None:
    full("--today", DAY)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    code = (
        "import sys; sys.argv = ['dlcards', 'due', '--count', '--today', '2026-11-26'];"
        "from dlcards.quick import main; main();"
        "print(sorted(m for m in ('typer', 'click', 'rich', 'yaml') if m in sys.modules))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    assert done.stdout.split("\n")[:2] == ["20", "[]"]
