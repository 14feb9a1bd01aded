"""Study with a clock that moves backwards: a wrong clock set right, a time zone west. The
clock is the test's (`commands.common.clock`, which `study` and `day_by_clock` read)."""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import helpers as h
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from dlcards.cli import app
from dlcards.memory import Memory

runner = CliRunner()


@pytest.fixture
def set_clock(monkeypatch: pytest.MonkeyPatch) -> Callable[[datetime], None]:
    """Set the system clock as dlcards reads it, for every command after: a naive moment is
    in the machine's zone, an aware one in its own (the zone the machine is then in)."""
    import dlcards.commands.common as common
    import dlcards.commands.study as study_cmd

    moment = [datetime(2026, 11, 20, 10, 0).astimezone()]
    monkeypatch.setattr(common, "clock", lambda: moment[0])
    monkeypatch.setattr(study_cmd, "clock", lambda: moment[0])

    def set_to(when: datetime) -> None:
        moment[0] = when if when.tzinfo is not None else when.astimezone()

    return set_to


def study(script: list[str], *args: str) -> str:
    result = runner.invoke(app, ["study", *args], input="\n".join(script) + "\n")
    assert result.exit_code == 0, result.output
    return result.output


def cli_json(*args: str) -> Any:
    result = runner.invoke(app, [*args, "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def log() -> list[tuple[str, str, str]]:
    from dlcards.store import Store

    with Store.open() as store:
        rows = store.query("SELECT card_id, day, kind FROM reviews ORDER BY id")
    return [(str(c), str(d), str(k)) for c, d, k in rows]


def test_cards_reviewed_on_a_clock_set_ahead_are_not_new_nor_due_once_it_is_set_back(
    set_clock: Callable[[datetime], None],
) -> None:
    """A clock two weeks ahead (wrong), then set right: the reviews it dated are past, not
    future. Read as of the fixed day, the cards they reviewed were new or due by their older
    due date: the session showed them, counted a new one as new, and logged its grade as a
    re-drill that changed nothing. As in Anki, the cards are read as they are: due on the dates
    those reviews gave, and the cards really due are scheduled."""
    set_clock(datetime(2026, 11, 20, 10, 0))
    study(["", "4", "", "4", "q"], "--new", "2", "--topic", "perceptron")  # due 11-21
    set_clock(datetime(2026, 12, 10, 10, 0))  # two weeks ahead: more than a time zone
    # perceptron-1 reviewed (due 12-16), perceptron-2 skipped, perceptron-3 learnt (due 12-11)
    study(["", "4", "s", "", "4", "q"], "--new", "1", "--topic", "perceptron")
    set_clock(datetime(2026, 11, 28, 10, 0))  # set right
    due = cli_json("due")
    assert due["today"] == "2026-11-28"  # the local day: 12 days is no time zone
    perceptron = next(t for t in due["topics"] if t["topic"] == "perceptron")
    assert due["due"] == perceptron["due"] == 1  # perceptron-2 alone
    assert cli_json("show", "perceptron-1")["state"]["due"] == "2026-12-16"
    assert cli_json("show", "perceptron-3")["state"]["status"] != "new"
    assert cli_json("stats")["reviews"]["total"] == len(log()) == 4  # those of 12-10 too
    assert cli_json("stats", "--today", "2026-11-28")["reviews"]["total"] == 2  # not yet then
    out = study(["", "4", "q"], "--new", "0", "--topic", "perceptron")
    assert "card 1 of 1" in out and "perceptron-2" in out
    assert "perceptron-1" not in out
    assert log()[-1] == ("perceptron-2", "2026-11-28", "scheduled")
    assert cli_json("show", "perceptron-2")["state"]["due"] == "2026-12-04"  # 6 days on
    new = study(["", "4", "q"], "--new", "1", "--topic", "perceptron")
    assert "perceptron-4" in new and "perceptron-3" not in new  # the next new card
    assert log()[-1] == ("perceptron-4", "2026-11-28", "scheduled")
    # a given day is a day of the past read as it was: on 11-27, both were due since 11-21
    assert cli_json("due", "--today", "2026-11-27")["due"] == 2
    assert runner.invoke(app, ["doctor", "--check"]).exit_code == 0


def test_a_flight_west_keeps_the_study_day_of_the_reviews_just_given(
    set_clock: Callable[[datetime], None],
) -> None:
    """Studied in Tokyo in the morning, opened in Honolulu three hours later: the local date
    there is the day before. A zone moves the date, not the moment (the reviews were given
    before now): the day stays theirs, the cards just graded are not due again, and the day's
    new cards count them."""
    from zoneinfo import ZoneInfo

    tokyo = datetime(2026, 11, 21, 9, 0, tzinfo=ZoneInfo("Asia/Tokyo"))
    set_clock(tokyo)
    study(["", "4", "q"], "--new", "2", "--topic", "perceptron")
    set_clock((tokyo + timedelta(hours=3)).astimezone(ZoneInfo("Pacific/Honolulu")))
    due = cli_json("due")
    assert due["today"] == "2026-11-21" and due["new_today"] == 19  # one of 20 taken
    out = study(["", "4", "q"], "--new", "2", "--topic", "perceptron")
    assert "perceptron-1" not in out and "perceptron-2" in out
    assert [d for _, d, _ in log()] == ["2026-11-21", "2026-11-21"]


def test_a_clock_set_back_gives_the_local_day_even_near_the_day_it_said(
    set_clock: Callable[[datetime], None],
) -> None:
    """A clock set back (it was ahead): the reviews it dated are after now by the clock
    itself, which no zone does. The local day is today, as in Anki, also when the day the
    wrong clock said comes within two days: kept at the log's day then, the study day jumped
    two days ahead ten days later (cards shown two days early, three days' new cards in
    one). Set back by 45 minutes across the day's start, it is the day before for those 45
    minutes: the card graded is not due again, and the next grade, of another card, is
    that day's."""
    set_clock(datetime(2026, 12, 10, 10, 0))  # two weeks ahead
    study(["", "4", "q"], "--new", "1", "--topic", "perceptron")  # due 12-11
    set_clock(datetime(2026, 11, 26, 10, 0))  # set right
    assert cli_json("due")["today"] == "2026-11-26"
    set_clock(datetime(2026, 12, 8, 10, 0))  # 12 days on: 2 days before the day it said
    due = cli_json("due")
    assert due["today"] == "2026-12-08" and due["new_today"] == 20  # none introduced today
    assert cli_json("show", "perceptron-1")["state"]["due"] == "2026-12-11"
    set_clock(datetime(2026, 12, 12, 4, 30))
    study(["", "4", "q"], "--new", "1", "--topic", "perceptron")  # perceptron-1, due 12-11
    set_clock(datetime(2026, 12, 12, 3, 45))  # 45 minutes back: before 4, the day before
    assert cli_json("due")["today"] == "2026-12-11"
    out = study(["", "4", "q"], "--new", "1", "--topic", "perceptron")
    assert "perceptron-1" not in out and "perceptron-2" in out
    assert log()[1:] == [
        ("perceptron-1", "2026-12-12", "scheduled"),
        ("perceptron-2", "2026-12-11", "scheduled"),
    ]
    assert runner.invoke(app, ["doctor", "--check"]).exit_code == 0


CARDS = ("a", "b", "c")
START = datetime(2026, 11, 26, 9, 0, tzinfo=timezone.utc)
moves = st.lists(
    st.tuples(
        # the clock's move before the grade, in hours: mostly small steps either way (a
        # session, the next day, a time zone), sometimes weeks (a wrong clock, set right)
        st.one_of(st.integers(-30, 60), st.integers(-24 * 30, 24 * 30)),
        st.sampled_from(CARDS),
        st.integers(0, 5),
        st.booleans(),  # a re-drill the session asked for
        st.integers(0, 3),  # 0: the grade is taken back at once (`u`)
    ),
    max_size=14,
)


@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=moves, starts_at=st.sampled_from([0, 4]), scheduler=st.sampled_from(["sm2", "fsrs"]))
def test_a_clock_moving_either_way_keeps_the_log_the_cards_truth(
    tmp_path: Path, steps: list[tuple[int, str, int, bool, int]], starts_at: int, scheduler: str
) -> None:
    """Grades at moments a clock moving forward and backward gives, each on the study day it
    gives (`day_by_clock`), some taken back at once (`undo`), under either scheduler. After
    every one: each grade kept is logged once, and none taken back; every card's stored memory
    is the replay of its log in the log's order, and every row's kind is the one deciding the
    log again gives (what an undo or a merge decides it with); and a card the day's queue
    offers (due, or new) is scheduled when graded, never a re-drill that changes nothing."""
    from dlcards.commands.common import day_by_clock
    from dlcards.deck import Card
    from dlcards.grading import LeechRule, decide, redecide
    from dlcards.scheduling import Schedule
    from dlcards.sm2 import Grade
    from dlcards.store import Store

    with tempfile.TemporaryDirectory(dir=tmp_path) as folder:
        store = Store.open(Path(folder) / "p.db")
        try:
            store.sync([Card(id=c, topic="t", question="q", answer="a") for c in CARDS], "s", START)
            store.set_setting("day_starts_at", str(starts_at))
            h.set_scheduler(store, scheduler)
            schedule = Schedule.from_settings(store.settings())
            now, kept = START, 0
            for hours, card_id, g, asked, undo in steps:
                now += timedelta(hours=hours)
                day = day_by_clock(store, now)
                offered = set(store.due_ids(day, schedule.name)) | set(
                    store.new_ids(schedule.name, as_of=day)
                )
                row = store.grade(
                    card_id,
                    lambda m, s, g=g, d=day, a=asked: decide(m, Grade(g), d, schedule, a),
                    now,
                    asked=asked,
                )
                if card_id in offered and not asked:
                    assert row.kind == "scheduled", (card_id, day)
                kept += 1
                if undo == 0:
                    assert h.undo(store, row.id) is not None
                    kept -= 1
                assert store.query("SELECT count(*) FROM reviews")[0][0] == kept
                for cid in CARDS:
                    rows = store.query(
                        "SELECT day, grade, asked, kind FROM reviews r WHERE card_id = ? "
                        "ORDER BY r.at, r.id",
                        (cid,),
                    )
                    log = [
                        SimpleNamespace(day=date.fromisoformat(d), grade=gr, redrill=bool(a))
                        for d, gr, a, _ in rows
                    ]
                    again = redecide(log, schedule, Memory(), LeechRule())
                    assert [o.kind for o in again] == [k for *_, k in rows], cid
                    replayed = schedule.replay([(e.day, e.grade) for e in store.history(cid)])
                    assert store.memory(cid) == replayed, cid
                    if again:
                        assert again[-1].after == store.memory(cid), cid
        finally:
            store.close()


def test_a_session_whose_clock_goes_back_past_the_days_start_keeps_its_day(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A session started at 04:10 whose clock goes back ten minutes at every read (a clock
    set right under it): the clock's day becomes the one before, which no grade of the
    session is moved to. Only a later day ends a session (`rolled_over`); every grade is
    logged on the day the session started, and scheduled."""
    import dlcards.commands.common as common
    import dlcards.commands.study as study_cmd

    start = datetime(2026, 11, 20, 4, 10).astimezone()
    moments = (start - timedelta(minutes=10 * m) for m in range(10_000))
    monkeypatch.setattr(study_cmd, "clock", lambda: next(moments))
    monkeypatch.setattr(common, "clock", lambda: next(moments))
    out = study(["", "4"] * 4, "--new", "4", "--topic", "perceptron")
    assert "study day changed" not in out and "4 grades saved" in out
    assert log() == [(f"perceptron-{n}", "2026-11-20", "scheduled") for n in range(1, 5)]


def test_stats_counts_the_reviews_a_clock_set_ahead_dated_in_every_view(
    set_clock: Callable[[datetime], None],
) -> None:
    """Reviews given on a clock 12 days ahead, then one on the fixed day: every view of
    `stats` counts what its total counts, the reviews dated after today too (given before
    now): each window from its first day by today's date to the log's end, the heatmap up to
    the log's last day (shown on the days they are logged), the streak of days the wrong clock
    gave. A past day given (--today) reads the log as it was then."""
    set_clock(datetime(2026, 11, 20, 10, 0))
    study(["", "4", "", "4", "q"], "--new", "2", "--topic", "perceptron")  # due 11-21
    set_clock(datetime(2026, 12, 9, 10, 0))  # ahead: perceptron-1 passed (seen before)
    study(["", "4", "q"], "--new", "0", "--topic", "perceptron")
    set_clock(datetime(2026, 12, 10, 10, 0))  # the next day, still ahead: perceptron-2
    study(["", "4", "q"], "--new", "0", "--topic", "perceptron")
    set_clock(datetime(2026, 11, 28, 10, 0))  # set right
    study(["", "4", "q"], "--new", "1", "--topic", "perceptron")  # perceptron-3, new
    days = [d for _, d, _ in log()]
    assert days == ["2026-11-20", "2026-11-20", "2026-12-09", "2026-12-10", "2026-11-28"]
    stats = cli_json("stats")
    assert stats["today"] == "2026-11-28"
    reviews = stats["reviews"]
    assert reviews["total"] == 5
    assert reviews["last_7_days"] == 3  # 11-28's and the two dated ahead, not 11-20's
    assert reviews["last_30_days"] == 5
    hm = stats["heatmap"]
    assert hm["today"] == "2026-11-28" and hm["last"] == "2026-12-10"
    assert hm["total"] == 5 and hm["days_studied"] == 4
    first = date.fromisoformat(hm["first"])
    cells = {
        first + timedelta(days=7 * w + d): n
        for w, column in enumerate(hm["weeks"])
        for d, n in enumerate(column)
    }
    assert cells[date(2026, 12, 9)] == cells[date(2026, 12, 10)] == 1
    assert cells[date(2026, 12, 11)] is None and cells[date(2026, 11, 27)] == 0
    assert cells[date(2026, 12, 1)] is None  # a day to come, with no review dated on it
    assert stats["streak_days"] == 2  # 12-09 and 12-10, by the clock that gave them
    # answers to cards seen before: perceptron-1 and -2 on the days ahead, both passed
    assert stats["retention"]["total"] == 1.0
    week = stats["true_retention"]["overall"]["7 days"]["all"]
    assert (week["passed"], week["failed"]) == (2, 0)
    # as of 11-28 given: the reviews dated later have not happened yet
    then = cli_json("stats", "--today", "2026-11-28")
    assert then["reviews"] == {"last_7_days": 1, "last_30_days": 3, "total": 3}
    assert then["heatmap"]["last"] == "2026-11-28" and then["heatmap"]["total"] == 3
    assert then["streak_days"] == 1 and then["retention"]["total"] is None
    out = runner.invoke(app, ["stats"], env={"COLUMNS": "100"})
    assert out.exit_code == 0, out.output
    assert "5 reviews on 4 days since" in out.output


def test_the_prompt_count_is_due_s_count_at_every_clock_after_a_clock_set_ahead(
    set_clock: Callable[[datetime], None], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The shell prompt's count (`dlcards.prompt`, sqlite3 alone) left every count to the
    full command while a review was logged after the local day: for as long as a clock set
    ahead, then set right, stayed behind the day it said. It now reckons the day as
    `day_by_clock` does (the local day, the reviews after it past; or theirs, up to two days
    ahead and given before now) and gives `due --count`'s number itself, at clock positions
    before the log's newest day, on it and after it."""
    import dlcards.store.count as count
    from dlcards.prompt import count as prompt_count

    moment = [datetime(2026, 11, 20, 10, 0).astimezone()]

    def at(when: datetime) -> None:
        moment[0] = when.astimezone()
        set_clock(moment[0])

    monkeypatch.setattr(count, "clock_s", lambda: moment[0].timestamp())
    assert runner.invoke(app, ["config", "new_per_day", "0"]).exit_code == 0  # due cards only
    at(datetime(2026, 11, 20, 10, 0))
    study(["", "4", "", "4", "q"], "--new", "2", "--topic", "perceptron")
    at(datetime(2026, 12, 10, 10, 0))  # ahead: perceptron-1 (due 12-16), -3 learnt (12-11)
    study(["", "4", "s", "", "4", "q"], "--new", "1", "--topic", "perceptron")
    checked = []
    for when, today in (
        (datetime(2026, 11, 28, 10, 0), "2026-11-28"),  # set right, 12 days behind
        (datetime(2026, 12, 8, 10, 0), "2026-12-08"),  # 2 days behind, the reviews after now
        (datetime(2026, 12, 10, 3, 0), "2026-12-09"),  # before the day's start: 1 day behind
        (datetime(2026, 12, 10, 11, 0), "2026-12-10"),  # the log's newest day
        (datetime(2026, 12, 12, 11, 0), "2026-12-12"),  # after it
    ):
        at(when)
        assert cli_json("due")["today"] == today, when
        full = runner.invoke(app, ["due", "--count"])
        assert full.exit_code == 0, full.output
        fast = prompt_count(["due", "--count"])
        assert fast == int(full.output), when  # not None: the fast path answered
        checked.append(fast)
    assert checked == [1, 1, 1, 1, 2]  # perceptron-2, due since 11-21; -3 from 12-11
    # a flight west's day: reviews given at 00:30 (day_starts_at 0) on 12-13, read at 01:00
    # with the day starting at 4: the local day is 12-12, the reviews' day is today
    # (one new card a day: the day's is taken on 12-13, not on 12-12)
    for key, value in (("day_starts_at", "0"), ("new_per_day", "1")):
        assert runner.invoke(app, ["config", key, value]).exit_code == 0
    at(datetime(2026, 12, 13, 0, 30))
    study(["", "4"] * 3 + ["q"], "--new", "1", "--topic", "perceptron")  # -2, -3 and -4
    assert runner.invoke(app, ["config", "day_starts_at", "4"]).exit_code == 0
    at(datetime(2026, 12, 13, 1, 0))
    assert cli_json("due")["today"] == "2026-12-13"
    full = runner.invoke(app, ["due", "--count"])
    assert prompt_count(["due", "--count"]) == int(full.output) == 0  # on 12-12, a new one
    # a day given before the log's newest day is read as of then: the full command answers
    assert prompt_count(["due", "--count", "--today", "2026-12-01"]) is None


def test_search_by_answer_day_finds_the_answers_a_clock_set_ahead_dated(
    set_clock: Callable[[datetime], None],
) -> None:
    """`rated:`, `introduced:` and `edited:` ended their span at today: once a clock set
    ahead was set right, the cards answered (or first learnt) on the days it said were in no
    `rated:1`, though `show` read them as answered and `stats` counts those answers. As in
    Anki (an answer's id after the span's first moment), the span runs on past today on the
    clock's day; a day given (--today) reads the log as it was then."""

    def found(*query: str) -> list[str]:
        hits = cli_json("search", *query)
        return sorted(hit["id"] for hit in hits["cards"])

    set_clock(datetime(2026, 11, 20, 10, 0))
    study(["", "4", "", "4", "q"], "--new", "2", "--topic", "perceptron")
    set_clock(datetime(2026, 12, 10, 10, 0))  # ahead: perceptron-1 passed, -3 learnt
    study(["", "4", "s", "", "4", "q"], "--new", "1", "--topic", "perceptron")
    set_clock(datetime(2026, 11, 28, 10, 0))  # set right
    assert found("rated:1") == ["perceptron-1", "perceptron-3"]
    assert found("rated:1:1") == []  # none answered "again"
    assert found("introduced:1") == ["perceptron-3"]
    assert found("rated:30") == ["perceptron-1", "perceptron-2", "perceptron-3"]
    assert found("rated:1", "OR", "is:due") == ["perceptron-1", "perceptron-2", "perceptron-3"]
    # the same day given: the answers dated later have not happened yet
    assert found("rated:1", "--today", "2026-11-28") == []
    assert found("rated:30", "--today", "2026-11-28") == ["perceptron-1", "perceptron-2"]


def test_cards_added_and_edited_on_a_clock_set_ahead_are_in_added_and_edited(
    tmp_path: Path,
) -> None:
    """A card first synced (and so added and edited) on a clock ten days ahead: on the
    clock's day after it was set right, `added:1` and `edited:1` find it, as Anki's (its id,
    its note's mtime after the span's first moment); read as of that day given, not yet."""
    from dlcards.deck import Card
    from dlcards.search import parse
    from dlcards.store import Store

    ahead = datetime(2026, 12, 10, 10, 0).astimezone()
    day = date(2026, 11, 30)
    store = Store.open(tmp_path / "a.db")
    try:
        store.sync([Card(id="a", topic="t", question="q", answer="a")], "s", ahead)
        for query in ("added:1", "edited:1", "added:5 OR is:suspended", "edited:99999"):
            assert store.search(parse(query), day, "sm2")[1] == 0, query  # as of 11-30
        store.take_clock_day(day)
        for query in ("added:1", "edited:1", "added:5 OR is:suspended", "edited:99999"):
            assert [h.id for h in store.search(parse(query), day, "sm2")[0]] == ["a"], query
    finally:
        store.close()


def test_every_screen_takes_the_clock_s_day_after_a_clock_set_ahead_is_set_right(
    set_clock: Callable[[datetime], None], tmp_path: Path
) -> None:
    """After a clock set ahead is set right, `search is:due`, `search is:new`, the study
    header, `show` and `export anki --with-progress` agree with `due` about which cards are
    due on the clock's day (those the wrong clock reviewed are not, nor new)."""
    set_clock(datetime(2026, 11, 20, 10, 0))
    study(["", "4", "", "4", "q"], "--new", "2", "--topic", "perceptron")  # due 11-21
    set_clock(datetime(2026, 12, 10, 10, 0))  # ahead: perceptron-1 (due 12-16), -3 learnt
    study(["", "4", "s", "", "4", "q"], "--new", "1", "--topic", "perceptron")
    set_clock(datetime(2026, 11, 28, 10, 0))  # set right
    assert cli_json("due")["due"] == 1
    due = cli_json("search", "is:due")["cards"]
    assert [c["id"] for c in due] == ["perceptron-2"]
    new = {c["id"] for c in cli_json("search", "is:new", "topic:perceptron")["cards"]}
    assert new.isdisjoint({"perceptron-1", "perceptron-2", "perceptron-3"})
    assert cli_json("show", "perceptron-3")["state"]["due"] == "2026-12-11"
    package = tmp_path / "p.apkg"
    out = runner.invoke(app, ["export", "anki", "--with-progress", "-o", str(package)])
    assert out.exit_code == 0, out.output
    assert "progress for 3 reviewed cards (1 due by 2026-11-28)" in out.output
    header = study(["q"], "--new", "0")
    assert "1 due" in header and "perceptron-2" in header


def test_undo_says_a_card_s_due_date_from_the_day_left_once_it_takes_back_that_day(
    set_clock: Callable[[datetime], None],
) -> None:
    """Studied in Tokyo, then the clock moved three hours on into Honolulu's zone (as a clock
    set ahead and then set right): the study day stays the log's newest (`day_by_clock`).
    `undo` takes back that day's only grade: the day then is the local one, the day before,
    and the card's due date is said from it ("due tomorrow"). Reckoned before the grade was
    taken back, it was said from the day no review holds any more ("due today")."""
    from zoneinfo import ZoneInfo

    tokyo = datetime(2026, 11, 20, 9, 0, tzinfo=ZoneInfo("Asia/Tokyo"))
    set_clock(tokyo)
    study(["", "4", "q"], "--new", "1", "--topic", "perceptron")  # perceptron-1, due 11-21
    set_clock(tokyo + timedelta(days=1))
    out = study(["", "4", "q"], "--new", "0", "--topic", "perceptron")
    assert "perceptron-1" in out
    assert [d for _, d, _ in log()] == ["2026-11-20", "2026-11-21"]
    honolulu = (tokyo + timedelta(days=1, hours=3)).astimezone(ZoneInfo("Pacific/Honolulu"))
    set_clock(honolulu)  # 2026-11-20 17:00 there
    assert cli_json("due")["today"] == "2026-11-21"  # the log's day: its grade is past
    done = runner.invoke(app, ["undo"])
    assert done.exit_code == 0, done.output
    assert done.output.startswith("undid grade 4 on perceptron-1"), done.output
    assert done.output.rstrip().endswith("perceptron-1 is due tomorrow"), done.output
    assert cli_json("due")["today"] == "2026-11-20"
