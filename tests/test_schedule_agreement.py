"""Every screen shows the schedule that is really used, and it is the scheduler's own answer.

Cards are studied through the CLI over several days with one scheduler active. Then, for each
card, the interval on the grade key, the line after the grade, `show` (text and JSON), `due`,
the `stats` forecast and the session summary's next due date must agree with each other and
with an independent replay of the card's log: py-fsrs called directly (not through dlcards),
or SM-2 written out here from its published rules.
"""

from __future__ import annotations

import json
import math
import re
import sqlite3
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest
from typer.testing import CliRunner

from dlcards.cli import app

runner = CliRunner()
DAY0 = date(2027, 1, 20)
# (day offset, grades of the session in order) for the perceptron cards
SESSIONS = [
    (0, ["5", "4", "3", "4", "1", "4", "4"]),
    (1, ["4", "5"]),
    (4, ["4", "2", "4", "5", "3", "4"]),
    (9, ["5", "4", "4"]),
]


def fsrs_replay(grades: list[tuple[date, int]], retention: float = 0.9) -> tuple[date, int]:
    """(due date, interval) of a card's scheduled grades, computed by py-fsrs itself."""
    from fsrs import Card, Rating, Scheduler

    scheduler = Scheduler(
        desired_retention=retention,
        learning_steps=(),
        relearning_steps=(),
        enable_fuzzing=False,
    )
    rating = {0: Rating.Again, 1: Rating.Again, 2: Rating.Again, 3: Rating.Hard}
    rating.update({4: Rating.Good, 5: Rating.Easy})
    card = Card()
    for day, g in grades:
        at = datetime(day.year, day.month, day.day, tzinfo=timezone.utc)
        card, _ = scheduler.review_card(card, rating[g], at)
    due = card.due.date()
    return due, (due - grades[-1][0]).days


def sm2_replay(grades: list[tuple[date, int]]) -> tuple[date, int]:
    """SM-2 (Wozniak 1990) from its published rules, EF rounded to hundredths."""
    ef, n, interval = 2.5, 0, 0
    for _, q in grades:
        ef = max(1.3, round(ef + (0.1 - (5 - q) * (0.08 + (5 - q) * 0.02)), 2))
        if q >= 3:
            n += 1
            interval = 1 if n == 1 else 6 if n == 2 else math.ceil(round(interval * ef, 6))
        else:
            n, interval = 0, 1
    return grades[-1][0] + timedelta(days=interval), interval


def _days(n: int) -> str:
    """The study screen's short form of an interval."""
    from dlcards.commands.study import _days as short

    return short(n)


@pytest.fixture(params=["sm2", "fsrs"])
def studied(request: pytest.FixtureRequest, isolated: Path) -> dict[str, object]:
    scheduler = request.param
    assert runner.invoke(app, ["config", "scheduler", scheduler]).exit_code == 0
    keys: dict[str, list[str]] = {}
    lines: dict[str, list[int]] = {}
    for offset, grades in SESSIONS:
        day = (DAY0 + timedelta(days=offset)).isoformat()
        script = "".join(f"\n{g}\n" for g in grades) + "q\n"
        result = runner.invoke(
            app, ["study", "--today", day, "--topic", "perceptron", "--new", "4"], input=script
        )
        assert result.exit_code == 0, result.output
        # the grade keys' intervals (second row of the legend) and the saved lines
        for card_id, key_row, saved in re.findall(
            r"╭─ (\S+) ·.*?\n(?:.*\n)*?(0 blackout.*\n.*)\n(?:.*\n)*?saved: \S+: (.*)",
            result.output,
        ):
            keys.setdefault(card_id, []).append(key_row)
            lines.setdefault(card_id, []).append(saved)
    return {"scheduler": scheduler, "keys": keys, "lines": lines, "db": isolated / "data"}


def _log(db: Path) -> dict[str, list[tuple[date, int]]]:
    conn = sqlite3.connect(db / "dlcards.db")
    rows = conn.execute(
        "SELECT card_id, day, grade FROM reviews WHERE kind = 'scheduled' ORDER BY id"
    ).fetchall()
    conn.close()
    log: dict[str, list[tuple[date, int]]] = {}
    for card_id, day, grade in rows:
        log.setdefault(card_id, []).append((date.fromisoformat(day), int(grade)))
    return log


def test_every_screen_agrees_with_the_scheduler(studied: dict[str, object]) -> None:
    scheduler = studied["scheduler"]
    replay = fsrs_replay if scheduler == "fsrs" else sm2_replay
    log = _log(studied["db"])  # type: ignore[arg-type]
    assert len(log) >= 3
    today = (DAY0 + timedelta(days=SESSIONS[-1][0])).isoformat()
    due_dates: dict[str, date] = {}
    for card_id, grades in log.items():
        due, interval = replay(grades)
        due_dates[card_id] = due
        shown = json.loads(
            runner.invoke(app, ["show", card_id, "--json", "--today", today]).output
        )["state"]
        assert shown["scheduler"] == scheduler
        assert (shown["due"], shown["interval"]) == (due.isoformat(), interval), card_id
        assert shown[scheduler]["due"] == due.isoformat()
        text = runner.invoke(app, ["show", card_id, "--today", today]).output
        late = (date.fromisoformat(today) - due).days  # said as a learner reads it
        said = {0: "due today", -1: "due tomorrow"}.get(late, f"due {due.isoformat()}")
        if late > 0:
            said += f" ({late} day{'s' if late > 1 else ''} overdue)"
        assert f"interval {interval}d · {said}" in text
        # the line after the card's last scheduled grade says the same interval, and the
        # grade key showed it before the grade was pressed
        pairs = zip(studied["keys"][card_id], studied["lines"][card_id], strict=True)  # type: ignore[index]
        key_row, saved = [(k, s) for k, s in pairs if "→ next in" in s][-1]
        interval_said = saved.removesuffix(", again this session")  # a grade below 4's
        assert interval_said.endswith(f"next in {_days(interval)}"), (card_id, saved)
        on_keys = re.findall(r"\d+(?:\.\d)?(?:d|mo|y)", key_row.splitlines()[-1])
        assert len(on_keys) == 6 and on_keys[grades[-1][1]] == _days(interval), key_row
    # due: counts of cards due on a day, as the log stood that day (reviews logged on later
    # days have not happened yet); stats: the forecast
    probe = min(due_dates.values())
    due = json.loads(runner.invoke(app, ["due", "--json", "--today", probe.isoformat()]).output)
    then = [[g for g in grades if g[0] <= probe] for grades in log.values()]
    assert due["due"] == sum(replay(g)[0] <= probe for g in then if g)
    stats = json.loads(runner.invoke(app, ["stats", "--json", "--today", today]).output)
    assert stats["scheduler"] == scheduler
    forecast = {row["day"]: row["due"] for row in stats["forecast"]}
    start = date.fromisoformat(today)
    for day_text, n in forecast.items():
        day = date.fromisoformat(day_text)
        expected = sum((d == day) or (day == start and d < start) for d in due_dates.values())
        assert n == expected, day_text
