"""A count reaches the screen one way, its thousands grouped (`console.counted`): `due` and
`plural` printed `123456 cards due` where `show`, `stats` and `undo` printed `1,234`. What a
program reads stays bare: `due --count` (a shell prompt's number), --json.

The counts here are 100,000-scale, put in the store's answers by monkeypatching (a real
collection of that size is the benchmarks' business); the expected texts are written by
hand.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from typer.testing import CliRunner

from dlcards.cli import app
from dlcards.store import Store
from dlcards.store.rows import TopicCounts

runner = CliRunner()


def test_a_count_is_grouped_by_thousands() -> None:
    from dlcards.console import counted, plural

    assert [counted(n) for n in (0, 7, 999, 1000, 123456, 1_000_000)] == [
        "0",
        "7",
        "999",
        "1,000",
        "123,456",
        "1,000,000",
    ]
    assert plural(1, "card") == "1 card"
    assert plural(123456, "card") == "123,456 cards"
    assert plural(100_000, "leech", "leeches") == "100,000 leeches"


@pytest.fixture
def huge(monkeypatch: pytest.MonkeyPatch) -> None:
    """The store answers as a collection of 100,000-scale counts would."""

    def topic_counts(self: Store, today: Any, by: str) -> list[TopicCounts]:
        return [
            TopicCounts("gd", 250_000, 123_456, 100_000, 0),
            TopicCounts("mlp", 20_000, 2_345, 7, 0),
        ]

    monkeypatch.setattr(Store, "topic_counts", topic_counts)
    monkeypatch.setattr(Store, "due_count", lambda self, *a, **k: 123_456)
    monkeypatch.setattr(Store, "redrills_due", lambda self, *a, **k: ["x"] * 54_321)


def test_due_groups_every_count_it_prints(huge: None) -> None:
    assert runner.invoke(app, ["config", "reviews_per_day", "unlimited"]).exit_code == 0
    result = runner.invoke(app, ["due"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    gd = next(line for line in lines if line.startswith("gd"))
    assert gd.split() == ["gd", "123,456", "100,000"]
    total = next(line for line in lines if line.startswith("total"))
    assert total.split() == ["total", "125,801", "100,007"]
    today = next(line for line in lines if line.startswith("Today:"))
    assert today.startswith("Today: 125,801 due, 20 new (of 20 a day), 54,321 to re-drill"), today
    assert "123456" not in result.output and "125801" not in result.output


def test_due_for_a_program_stays_bare(huge: None) -> None:
    counted_ = runner.invoke(app, ["due", "--count"])
    assert (counted_.exit_code, counted_.output) == (0, "123456\n")
    data = json.loads(runner.invoke(app, ["due", "--json"]).output)
    assert data["due"] == 125_801 and data["topics"][0]["new"] == 100_000


def test_a_capped_backlog_is_said_grouped(huge: None) -> None:
    assert runner.invoke(app, ["config", "reviews_per_day", "5000"]).exit_code == 0
    result = runner.invoke(app, ["due"])
    assert result.exit_code == 0, result.output
    assert "Today: 5,000 due, 0 new" in result.output, result.output
    assert "120,801 more due reviews wait beyond the daily cap of 5,000" in result.output


def test_stats_charts_group_their_counts() -> None:
    from dlcards.commands.stats_views import forecast_parts, histogram_parts, leech_phrases

    bins = [{"bin": "<1d", "cards": 123_456}, {"bin": "1-7d", "cards": 5}]
    text = "".join(piece for piece, _ in histogram_parts(bins))
    assert "123,456 " in text and "      5 " in text, text
    rows = [{"due": n} for n in (100_000, 0, 23_456)]
    parts, title = forecast_parts(rows, width=120)
    assert title == "due reviews, next 3 days: 123,456 in all, most 100,000 on one day"
    assert "".join(piece for piece, _ in parts).startswith("100,000 ┤")
    assert leech_phrases([{"id": "gd-1", "lapses": 1234, "topic": "gd"}], 80) == [
        "leeches (lapses): gd-1 (1,234, gd); see `dlcards list --leeches`"
    ]


def test_a_setting_states_its_range_as_an_option_does() -> None:
    """`config reviews_per_day` said `from 0 to 1000000` where `study --reviews` said
    `from 0 to 1,000,000`."""
    config = runner.invoke(app, ["config", "reviews_per_day", "2000000"])
    study = runner.invoke(app, ["study", "--reviews", "2000000"])
    assert "from 0 to 1,000,000, not 2000000" in config.output, config.output
    assert "from 0 to 1,000,000, not 2000000" in study.output, study.output
