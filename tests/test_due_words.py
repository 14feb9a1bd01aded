"""A card's due date said with its lateness (`due 2026-11-11 (26 days overdue)`, `due today`,
`due tomorrow`) on every screen that shows one: `show` and `undo`; `--json` keeps the date."""

from __future__ import annotations

import json
from datetime import date

import pytest
from typer.testing import CliRunner

from dlcards.cli import app
from dlcards.days import due_words

runner = CliRunner()


def test_due_words_says_the_lateness_from_the_day_given() -> None:
    day = date(2026, 12, 7)
    assert due_words(date(2026, 11, 15), day) == "due 2026-11-15 (22 days overdue)"
    assert due_words(date(2026, 12, 6), day) == "due 2026-12-06 (1 day overdue)"
    assert due_words(date(2026, 12, 7), day) == "due today"
    assert due_words(date(2026, 12, 8), day) == "due tomorrow"
    assert due_words(date(2026, 12, 20), day) == "due 2026-12-20"
    # a card left since 2026 read in 2199: "(63220 days overdue)", where `stats` writes 1,095
    assert due_words(date(2026, 11, 28), date(2199, 12, 31)) == (
        "due 2026-11-28 (63,220 days overdue)"
    )


def _study(day: str) -> None:
    """One grade 4 on perceptron's first card of the session on study day `day`."""
    done = runner.invoke(app, ["study", "--topic", "perceptron", "--today", day], input="\n4\nq\n")
    assert done.exit_code == 0, done.output


@pytest.mark.parametrize(
    ("today", "said"),
    [
        # SM-2's first interval is a day: graded on 2026-11-10, due 2026-11-11
        ("2026-12-07", "due 2026-11-11 (26 days overdue)"),
        ("2026-11-12", "due 2026-11-11 (1 day overdue)"),
        ("2026-11-11", "due today"),
        ("2026-11-10", "due tomorrow"),
    ],
)
def test_show_says_how_late_the_card_is(today: str, said: str) -> None:
    _study("2026-11-10")
    text = runner.invoke(app, ["show", "perceptron-1", "--today", today]).output
    assert f"interval 1d · {said} · " in text, text
    shown = runner.invoke(app, ["show", "perceptron-1", "--json", "--today", today]).output
    shown = json.loads(shown)
    assert shown["state"]["due"] == "2026-11-11"  # the JSON's date stays ISO


def test_show_keeps_a_later_date_plain() -> None:
    _study("2026-11-10")
    _study("2026-11-11")  # the second 4: six days, due 2026-11-17
    text = runner.invoke(app, ["show", "perceptron-1", "--today", "2026-11-11"]).output
    assert "interval 6d · due 2026-11-17 · " in text, text


@pytest.mark.parametrize(
    ("today", "said"),
    [
        ("2026-12-07", "perceptron-1 is due 2026-11-11 (26 days overdue)"),
        ("2026-11-11", "perceptron-1 is due today"),
        ("2026-11-10", "perceptron-1 is due tomorrow"),
    ],
)
def test_undo_says_how_late_the_card_is_again(
    monkeypatch: pytest.MonkeyPatch, today: str, said: str
) -> None:
    _study("2026-11-10")
    _study("2026-11-11")  # taken back: the card is due again as the first 4 left it
    monkeypatch.setenv("DLCARDS_TODAY", today)
    result = runner.invoke(app, ["undo"])
    assert result.exit_code == 0, result.output
    assert result.output.rstrip("\n").endswith(f"; {said}"), result.output
