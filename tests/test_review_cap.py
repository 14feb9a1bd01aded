"""The daily review cap (reviews_per_day): most overdue first, `due` shows what waits beyond
it, new cards count against it and stop when it is reached (Anki, "new cards ignore review
limit" off)."""

from __future__ import annotations

import json
import os
import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import helpers as h
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from dlcards.cli import app
from dlcards.limits import cap_left, today_counts
from dlcards.session import Limits, StudySession
from dlcards.sm2 import Grade
from dlcards.store import Store

runner = CliRunner()
D0 = date(2026, 3, 1)
TODAY = D0 + timedelta(30)
CARDS = [f"perceptron-{i}" for i in range(1, 6)]


def cli(*args: str, input: str | None = None) -> str:
    result = runner.invoke(app, list(args), input=input)
    assert result.exit_code == 0, result.output
    return result.output


def five_due() -> None:
    """perceptron-1..5 each graded once, on days D0 .. D0+4: due a day later each, so
    perceptron-1 is the most overdue on TODAY."""
    cli("due")
    with Store.open(Path(os.environ["DLCARDS_DB"])) as store:
        for i, cid in enumerate(CARDS):
            h.grade(store, cid, 5, D0 + timedelta(i))


def test_default_is_ankis_200_and_unlimited_is_a_word() -> None:
    assert cli("config", "reviews_per_day").strip() == "200"
    cli("config", "reviews_per_day", "unlimited")
    assert cli("config", "reviews_per_day").strip() == "unlimited"
    bad = runner.invoke(app, ["config", "reviews_per_day", "-1"])
    assert bad.exit_code != 0 and "reviews_per_day" in bad.output


def test_unlimited_is_shown_as_the_word_everywhere() -> None:
    """The sentinel stored for `unlimited` (a number no one types) is never shown: setting it
    (with any of its words, or the number itself), reading it and listing every setting all
    say `unlimited`."""
    for word in ("unlimited", "Off", "none", "1000000"):
        assert cli("config", "reviews_per_day", word).strip() == "reviews_per_day: unlimited"
        assert cli("config", "reviews_per_day").strip() == "unlimited"
        listing = cli("config")
        row = next(line for line in listing.splitlines() if line.startswith("reviews_per_day"))
        assert row.split()[1] == "unlimited", listing
        assert "1000000" not in listing and "1,000,000" not in listing, listing
    # a real number is still shown as typed
    assert cli("config", "reviews_per_day", "999999").strip() == "reviews_per_day: 999999"
    assert cli("config", "reviews_per_day").strip() == "999999"


def test_due_shows_how_many_wait_beyond_the_cap() -> None:
    five_due()
    cli("config", "reviews_per_day", "3")
    data = json.loads(cli("due", "--json", "--today", TODAY.isoformat()))
    assert (data["due"], data["due_today"], data["beyond_cap"]) == (5, 3, 2)
    assert data["new_today"] == 0  # the cap is used up by reviews: no new cards
    assert data["new_beyond_cap"] == 20  # the day's 20 new cards, and why there are none
    text = cli("due", "--today", TODAY.isoformat())
    assert "2 more due reviews wait beyond the daily cap of 3" in text
    # torture run 2 (f9.sh): "0 new (of 20 a day)" with no word of the cap, as study says
    assert "20 new cards wait: the daily review cap of 3 leaves no room for them" in text
    cli("config", "reviews_per_day", "4")
    text = cli("due", "--today", TODAY.isoformat())
    assert "1 more due review waits beyond the daily cap of 4" in text  # not "review(s)"


def test_due_says_the_reviews_beyond_the_cap_come_back_tomorrow() -> None:
    """A UX run (ui10): with 183 due reviews beyond a cap of 30, `due` said "Next review after
    today: 2027-01-12", the first due date of a card not due yet, while the backlog it had just
    listed waits for tomorrow (the study summary says tomorrow); with no card due later it
    named no date at all (`next_due: null`)."""
    five_due()
    cli("config", "reviews_per_day", "3")
    tomorrow = (TODAY + timedelta(1)).isoformat()
    data = json.loads(cli("due", "--json", "--today", TODAY.isoformat()))
    assert (data["beyond_cap"], data["next_due"]) == (2, tomorrow)
    assert f"Next review after today: {tomorrow}." in " ".join(
        cli("due", "--today", TODAY.isoformat()).split()
    )
    # a card due later than tomorrow (graded 5 three times: 1, 6, then 16 days) does not hide
    # the backlog's tomorrow
    with Store.open(Path(os.environ["DLCARDS_DB"])) as store:
        for day in (D0 + timedelta(10), D0 + timedelta(11), D0 + timedelta(17)):
            h.grade(store, "perceptron-6", 5, day)
        later = store.next_due(TODAY, "sm2")
    assert later is not None and later > TODAY + timedelta(1)
    assert json.loads(cli("due", "--json", "--today", TODAY.isoformat()))["next_due"] == tomorrow
    # without a backlog beyond the cap, the first due date after today, as before
    cli("config", "reviews_per_day", "unlimited")
    data = json.loads(cli("due", "--json", "--today", TODAY.isoformat()))
    assert (data["beyond_cap"], data["next_due"]) == (0, later.isoformat())


def test_study_takes_the_most_overdue_first_then_stops() -> None:
    five_due()
    cli("config", "reviews_per_day", "3")
    out = cli("study", "--today", TODAY.isoformat(), input="\n5\n" * 6 + "q\n")
    graded = re.findall(r"saved: (perceptron-\d+): ", out)
    assert graded == CARDS[:3]
    assert "3 grades saved" in out
    # the summary's next due date is tomorrow, as `due` says, not today: the cap holds them
    tomorrow_text = (TODAY + timedelta(1)).isoformat()
    assert re.search(
        rf"next due\s+{tomorrow_text} \(2 due reviews wait beyond today's cap of 3\)", out
    ), out
    again = cli("study", "--today", TODAY.isoformat(), input="q\n")
    assert "The daily review cap (3) is reached: 2 due reviews wait" in again
    tomorrow = json.loads(cli("due", "--json", "--today", (TODAY + timedelta(1)).isoformat()))
    assert tomorrow["due_today"] == 2  # the two left over are still due


def test_a_session_quit_under_the_cap_counts_what_is_left_as_due_does() -> None:
    """A helper's UX run: with a backlog beyond the cap, a session quit early said "today: 214
    due reviews ... left" where `due` said 44 (and 170 beyond the cap of 50)."""
    five_due()
    cli("config", "reviews_per_day", "4")
    out = cli("study", "--today", TODAY.isoformat(), input="\n5\nq\n")
    assert re.findall(r"saved: (perceptron-\d+): ", out) == CARDS[:1]
    data = json.loads(cli("due", "--json", "--today", TODAY.isoformat()))
    assert (data["due_today"], data["beyond_cap"]) == (3, 1)
    assert re.search(
        rf"next due\s+{TODAY.isoformat()} \(today: 3 due reviews left; 1 more beyond the "
        r"daily cap of 4\)",
        out,
    ), out


def test_new_cards_count_against_the_cap() -> None:
    five_due()
    cli("config", "reviews_per_day", "7")
    data = json.loads(cli("due", "--json", "--today", TODAY.isoformat()))
    assert (data["due_today"], data["beyond_cap"], data["new_today"]) == (5, 0, 2)
    out = cli("study", "--today", TODAY.isoformat(), input="\n5\n" * 9 + "q\n")
    graded = re.findall(r"saved: (perceptron-\d+): ", out)
    assert graded == [*CARDS, "perceptron-6", "perceptron-7"]
    after = json.loads(cli("due", "--json", "--today", TODAY.isoformat()))
    assert (after["due_today"], after["new_today"]) == (0, 0)
    assert after["new_beyond_cap"] == 18  # 2 of the day's 20 introduced, the cap reached


def test_a_session_shortened_by_reviews_takes_the_new_cards_due_counts() -> None:
    """--reviews 2 leaves 3 of the 5 due reviews for later: their room under a cap of 7 is not
    given to new cards, which get the 2 `due` shows."""
    five_due()
    cli("config", "reviews_per_day", "7")
    day = TODAY.isoformat()
    assert json.loads(cli("due", "--json", "--today", day))["new_today"] == 2
    out = cli("study", "--reviews", "2", "--today", day, input="\n5\n" * 9 + "q\n")
    assert "card 1 of 4 " in out
    graded = re.findall(r"saved: (perceptron-\d+): ", out)
    assert graded == [*CARDS[:2], "perceptron-6", "perceptron-7"]


@given(
    due=st.integers(0, 500),
    new=st.integers(0, 500),
    new_left=st.integers(-20, 100),
    left=st.one_of(st.none(), st.integers(0, 300)),
)
def test_the_days_arithmetic(due: int, new: int, new_left: int, left: int | None) -> None:
    """Due reviews first, within the cap; new cards within their limit and what the cap leaves."""
    due_today, new_today = today_counts(due, new, new_left, left)
    assert 0 <= due_today <= due and 0 <= new_today <= min(new, max(0, new_left))
    if left is None:
        assert due_today == due and new_today == min(new, max(0, new_left))
    else:
        assert due_today + new_today <= left
        assert due_today == min(due, left)  # reviews are never displaced by new cards
        assert new_today == max(0, min(new, new_left, left - due_today))


def test_cap_left() -> None:
    assert cap_left(None, 50) is None and cap_left(200, 50) == 150 and cap_left(10, 50) == 0


def test_a_bad_cap_names_the_word_too() -> None:
    """`config reviews_per_day lots` named the numbers it takes and not `unlimited`."""
    result = runner.invoke(app, ["config", "reviews_per_day", "lots"])
    assert result.exit_code == 2
    assert result.output.strip() == (
        "error: reviews_per_day must be a whole number from 0 to 1,000,000, not 'lots'; "
        "or `unlimited` for no cap"
    )


@pytest.mark.parametrize(
    ("typed", "stored"),
    [("1,000", 1000), ("12,345", 12345), ("1,000,000", 1_000_000), ("1_000", 1000),
     ("\uff15\uff10", 50), ("+7", 7)],
)  # fmt: skip
def test_a_count_setting_reads_a_number_as_its_own_range_writes_one(
    typed: str, stored: int
) -> None:
    """The range in the message is written `1,000,000`, and the quiz takes `5,000`, but
    `config reviews_per_day 1,000` was refused; `1_000` too, which `calc` takes. Read as the
    program reads a typed number (full-width digits as 0-9), then stored as digits."""
    from dlcards.settings import Settings

    result = runner.invoke(app, ["config", "reviews_per_day", typed])
    assert result.exit_code == 0, result.output
    assert Settings.from_stored({"reviews_per_day": str(stored)}).review_cap in (stored, None)
    shown = runner.invoke(app, ["config", "reviews_per_day"]).output.strip()
    assert shown == ("unlimited" if stored == 1_000_000 else str(stored))


@pytest.mark.parametrize("typed", ["1,0000", ",100", "1,00", "1, 000", "10,00,000", "1.000"])
def test_a_count_setting_refuses_a_comma_that_groups_no_thousands(typed: str) -> None:
    result = runner.invoke(app, ["config", "new_per_day", typed])
    assert result.exit_code == 2
    assert result.output.strip() == (
        f"error: new_per_day must be a whole number from 0 to 9999, not '{typed}'"
    )


def test_a_count_setting_in_another_scripts_digits_says_to_write_0_to_9() -> None:
    """`int()` read Arabic-Indic digits, which every other number the program reads refuses."""
    result = runner.invoke(app, ["config", "new_per_day", "\u0661\u0662"])
    assert result.exit_code == 2
    assert result.output.strip().endswith(": write it with the digits 0-9")


# --- limits changed or reached while a session is open ----------------------------------------


def _session(store: Store, **limits: object) -> StudySession:
    settings = store.settings()
    return StudySession(
        store,
        None,
        TODAY,
        lambda: h.NOW,
        Limits(settings.new_per_day, None, settings.review_cap, **limits),  # type: ignore[arg-type]
    )


def _study_all(session: StudySession) -> list[str]:
    """What the study loop does: the limits checked before each card, each card graded 5."""
    shown = []
    while True:
        session.keep_to_limits()
        if session.done:
            return shown
        item = session.current
        assert item is not None
        shown.append(item.card_id)
        session.grade(Grade.PERFECT)


def test_a_cap_lowered_in_another_terminal_holds_from_the_next_card() -> None:
    """A session planned 5 due reviews and 15 new cards under the defaults; `config
    reviews_per_day 3` in another terminal after its first grade stopped nothing: it went on
    through all 20 cards, 17 past the cap `due` then said was reached."""
    five_due()
    with Store.open(Path(os.environ["DLCARDS_DB"])) as store:
        session = _session(store, new_setting=True, cap_setting=True)
        assert session.remaining() == {"new": 20, "due": 5, "redrill": 0}
        session.grade(Grade.PERFECT)
        cli("config", "reviews_per_day", "3")
        assert _study_all(session) == CARDS[1:3]
        assert store.reviews_today(TODAY) == 3
    assert json.loads(cli("due", "--json", "--today", TODAY.isoformat()))["due_today"] == 0


def test_a_new_card_limit_lowered_meanwhile_holds() -> None:
    cli("due")
    with Store.open(Path(os.environ["DLCARDS_DB"])) as store:
        follows = _session(store, new_setting=True, cap_setting=True)
        follows.grade(Grade.PERFECT)
        cli("config", "new_per_day", "2")
        assert _study_all(follows) == ["perceptron-2"]  # the day's 2 new cards
        assert store.new_introduced(TODAY) == 2


def test_a_new_card_limit_given_for_the_session_stays_its_own() -> None:
    """`--new 4`: the setting lowered meanwhile does not shorten the session."""
    cli("due")
    with Store.open(Path(os.environ["DLCARDS_DB"])) as store:
        given = StudySession(
            store, None, TODAY, lambda: h.NOW, Limits(4, None, 200, cap_setting=True)
        )
        given.grade(Grade.PERFECT)
        cli("config", "new_per_day", "1")
        assert _study_all(given) == [f"perceptron-{i}" for i in range(2, 5)]


def test_cards_graded_in_another_session_count_once() -> None:
    """Two sessions of the same 3 new cards (new_per_day 3): the other grades the first two,
    which this one then shows as re-drills; its third new card is still allowed."""
    cli("due")
    cli("config", "new_per_day", "3")
    with Store.open(Path(os.environ["DLCARDS_DB"])) as store:
        here = _session(store, new_setting=True, cap_setting=True)
        there = _session(store, new_setting=True, cap_setting=True)
        there.grade(Grade.PERFECT)
        there.grade(Grade.PERFECT)
        assert _study_all(here) == ["perceptron-1", "perceptron-2", "perceptron-3"]
        assert store.new_introduced(TODAY) == 3
        # perceptron-3, graded here meanwhile, is still shown there: as a re-drill
        assert _study_all(there) == ["perceptron-3"]
        assert store.new_introduced(TODAY) == 3


def test_two_sessions_of_other_topics_keep_the_days_new_card_limit() -> None:
    """new_per_day 3 and two terminals, one studying gd and one mlp, each planned 3 new
    cards: together they introduced 6. The limit is the day's, across sessions."""
    cli("due")
    cli("config", "new_per_day", "3")
    with Store.open(Path(os.environ["DLCARDS_DB"])) as store:
        settings = store.settings()
        limits = Limits(3, None, settings.review_cap, new_setting=True, cap_setting=True)
        gd = StudySession(store, None, TODAY, lambda: h.NOW, limits, ["gd"])
        mlp = StudySession(store, None, TODAY, lambda: h.NOW, limits, ["mlp"])
        assert _study_all(gd) == ["gd-1", "gd-2", "gd-3"]
        assert _study_all(mlp) == []
        assert store.new_introduced(TODAY) == 3


@pytest.mark.skipif(sys.platform != "linux", reason="a pseudo-terminal")
def test_a_cap_lowered_while_a_terminal_studies_ends_its_session_with_a_line(
    tmp_path: Path,
) -> None:
    """`dlcards study` in a real terminal with 5 due reviews and 20 new cards; after its first
    grade, `dlcards config reviews_per_day 2` in another terminal. Its second card graded, the
    session ends: the summary, then one line naming the limits and the cards that wait."""
    five_due()
    env = {**os.environ, "NO_COLOR": "1", "TERM": "xterm"}
    env.pop("COLUMNS", None)
    env.pop("LINES", None)
    with h.study_in_a_pty(env, "--today", TODAY.isoformat()) as (pid, fd):
        h.read_until(fd, b"show answer")
        for card in ("perceptron-1", "perceptron-2"):
            h.waiting_for_a_key(fd)
            os.write(fd, b" ")
            h.read_until(fd, b"perfect")
            h.waiting_for_a_key(fd)
            os.write(fd, b"5")
            if card == "perceptron-1":
                h.read_until(fd, b"perceptron-2")
                cli("config", "reviews_per_day", "2")  # another terminal
        screen = h.read_until(fd, b"another day", timeout=20).decode(errors="replace")
        _, status = os.waitpid(pid, 0)
    assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0
    line = " ".join(screen.split())
    assert (
        "today's limits are reached (20 new cards, review cap 2, counted across sessions): "
        "3 due reviews and 20 new cards wait for another day"
    ) in line, line
    with Store.open(Path(os.environ["DLCARDS_DB"])) as store:
        assert store.reviews_today(TODAY) == 2


@settings(max_examples=25, deadline=None)
@given(
    cap=st.sampled_from(["3", "6", "9", "unlimited"]),
    new_per_day=st.sampled_from(["0", "2", "5"]),
    given_new=st.sampled_from([None, 1, 4]),
    reviews=st.sampled_from([None, 1, 3]),
    keys=st.lists(st.sampled_from("012345su"), max_size=30),
)
def test_with_nothing_else_changing_the_limits_take_nothing_out(
    cap: str, new_per_day: str, given_new: int | None, reviews: int | None, keys: list[str]
) -> None:
    """The check before each card is plan's arithmetic on what is left: while no setting
    changes and no other terminal grades, it never takes a card out of the queue (grades of
    every kind, skips and undos included)."""
    import tempfile

    from dlcards.commands.config import change

    with tempfile.TemporaryDirectory(dir=os.environ.get("TMPDIR")) as folder:
        with Store.open(Path(folder) / "p.db") as store:
            from dlcards.catalog import load_catalog

            store.sync(load_catalog().cards, "s", h.NOW)
            for i, cid in enumerate(CARDS):
                h.grade(store, cid, 5, D0 + timedelta(i))
            change(store, "reviews_per_day", cap)
            change(store, "new_per_day", new_per_day)
            settings_now = store.settings()
            limits = Limits(
                settings_now.new_per_day if given_new is None else given_new,
                reviews,
                settings_now.review_cap,
                new_setting=given_new is None,
                cap_setting=True,
            )
            session = StudySession(store, None, TODAY, lambda: h.NOW, limits)
            for key in keys:
                assert session.keep_to_limits()[:2] == (0, 0), key
                if session.done:
                    break
                if key == "s":
                    session.skip()
                elif key == "u":
                    session.undo()
                else:
                    session.grade(Grade(int(key)))


def _anki_with_five_due(folder: Path, review_limit: int) -> Any:
    """A real Anki collection (v3 scheduler, no learning steps) in `folder`: 5 reviews due
    (a day overdue) and 20 new cards, new limit 20 and the review limit given."""
    from anki.collection import Collection

    col = Collection(str(folder / "c.anki2"))
    conf = col.decks.config_dict_for_deck_id(1)
    conf["new"]["perDay"], conf["rev"]["perDay"] = 20, review_limit
    conf["new"]["delays"], conf["lapse"]["delays"] = [], []
    col.decks.update_config(conf)
    ids = []
    for i in range(25):
        note = col.new_note(col.models.by_name("Basic"))
        note["Front"], note["Back"] = f"q{i}", "a"
        col.add_note(note, 1)
        ids.append(note.card_ids()[0])
    for cid in ids[:5]:
        card = col.get_card(cid)
        card.type = card.queue = 2
        card.ivl, card.due = 3, col.sched.today - 1
        col.update_card(card)
    return col


def _anki_counts_through_a_day(folder: Path) -> list[tuple[int, int]]:
    """A real Anki (v3 scheduler, no learning steps): 5 reviews due and 20 new cards, review
    limit 9 and new limit 20; (new, review) counts at the start, after a review, a review and a
    new card are answered, with the review limit lowered to 4, then with it back at 200 and
    the new limit at 1."""
    col = _anki_with_five_due(folder, 9)
    try:
        conf = col.decks.config_dict_for_deck_id(1)
        counts = [col.sched.counts()]
        answered = []
        while sorted(answered) != [0, 2, 2]:  # Anki mixes new cards in: two reviews, a new one
            top = col.sched.get_queued_cards().cards[0]
            card = col.get_card(top.card.id)
            if card.type == 0 and 0 in answered or card.type == 2 and answered.count(2) == 2:
                col.sched.bury_cards([card.id])  # not this one: the day's other cards
                continue
            card.start_timer()
            col.sched.answer_card(col.sched.build_answer(card=card, states=top.states, rating=3))
            answered.append(card.type)
        col.sched.unbury_deck(1)
        counts.append(col.sched.counts())
        conf["rev"]["perDay"] = 4
        col.decks.update_config(conf)
        counts.append(col.sched.counts())
        conf["rev"]["perDay"], conf["new"]["perDay"] = 200, 1
        col.decks.update_config(conf)
        counts.append(col.sched.counts())
    finally:
        col.close()
    return [(n, r) for n, _, r in counts]


@contextmanager
def _five_due_capped(cap: int) -> Iterator[StudySession]:
    """A session (the limits from the settings) over `five_due`'s cards, the cap at `cap`."""
    five_due()
    cli("config", "reviews_per_day", str(cap))
    with Store.open(Path(os.environ["DLCARDS_DB"])) as store:
        yield _session(store, new_setting=True, cap_setting=True)


def _counts(session: StudySession) -> tuple[int, int]:
    """The session's (new, due) cards left, once fitted to the day's limits as they are now."""
    session.keep_to_limits()
    left = session.remaining()
    return left["new"], left["due"]


def test_limits_changed_mid_session_leave_what_a_real_anki_leaves(tmp_path: Path) -> None:
    """The same day in a real Anki and in a dlcards session, the limits changed in the
    middle: at each step the session has the new cards and due reviews Anki's queues have.
    Lowered, the cap held the rest back; raised again, they came back (Anki rebuilds its
    queues when the options change)."""
    pytest.importorskip("anki")
    expected = _anki_counts_through_a_day(tmp_path)
    with _five_due_capped(9) as session:
        seen = [_counts(session)]
        session.grade(Grade.GOOD)  # perceptron-1 and -2, due
        session.grade(Grade.GOOD)
        for _ in range(3):  # perceptron-3..5 to the end: the first new card next
            session.skip()
        session.grade(Grade.GOOD)
        seen.append(_counts(session))
        cli("config", "reviews_per_day", "4")
        seen.append(_counts(session))
        cli("config", "reviews_per_day", "200")
        cli("config", "new_per_day", "1")
        seen.append(_counts(session))
    assert seen == expected == [(4, 5), (3, 3), (0, 1), (0, 3)]


def test_a_limit_lowered_and_raised_again_gives_back_the_same_queue() -> None:
    five_due()
    with Store.open(Path(os.environ["DLCARDS_DB"])) as store:
        session = _session(store, new_setting=True, cap_setting=True)
        session.grade(Grade.GOOD)
        planned = session.queue[session.position :]
        cli("config", "reviews_per_day", "2")
        cli("config", "new_per_day", "0")
        assert session.keep_to_limits()[:2] == (3, 20)  # 1 due review left under the cap of 2
        assert session.remaining() == {"new": 0, "due": 1, "redrill": 0}
        cli("config", "reviews_per_day", "200")
        cli("config", "new_per_day", "20")
        assert session.keep_to_limits()[:2] == (0, 0)
        assert session.queue[session.position :] == planned


def test_a_limit_raised_past_the_sessions_start_lets_more_cards_in() -> None:
    """A UX run (ui10): with a review cap of 3 and 7 due, the cap raised to 10 while the
    session was open gave it nothing more (only cards a lowered limit had held back came
    back), and new_per_day raised while the last card was on screen ended the session:
    Anki rebuilds its queues when the options change, and shows them. Now the cards the
    raised limits allow join, due reviews before new cards, within the session's --reviews."""
    five_due()
    cli("config", "reviews_per_day", "3")
    with Store.open(Path(os.environ["DLCARDS_DB"])) as store:
        session = _session(store, new_setting=True, cap_setting=True)
        assert session.remaining() == {"new": 0, "due": 3, "redrill": 0}
        session.grade(Grade.GOOD)
        cli("config", "reviews_per_day", "10")  # 1 reviewed: room for 9, the 4 due first
        assert session.keep_to_limits()[:2] == (0, 0)
        assert session.remaining() == {"new": 5, "due": 4, "redrill": 0}
        left = [i.card_id for i in session.queue[session.position :]]
        assert left[:4] == CARDS[1:] and all(c not in CARDS for c in left[4:])
    cli("config", "reviews_per_day", "3")
    with Store.open(Path(os.environ["DLCARDS_DB"])) as store:  # --reviews 2 holds
        limits = Limits(20, 2, 3, new_setting=True, cap_setting=True)
        session = StudySession(store, None, TODAY, lambda: h.NOW, limits)
        assert session.remaining() == {"new": 0, "due": 2, "redrill": 0}
        cli("config", "reviews_per_day", "unlimited")
        session.keep_to_limits()
        assert session.remaining()["due"] == 2


def _anki_counts_with_the_cap_raised(folder: Path) -> list[tuple[int, int]]:
    """A real Anki (v3, no learning steps): 5 reviews due and 20 new cards, review limit 3;
    (new, review) counts at the start, after one review is answered, and with the review
    limit raised to 10."""
    col = _anki_with_five_due(folder, 3)
    try:
        conf = col.decks.config_dict_for_deck_id(1)
        counts = [col.sched.counts()]
        top = col.sched.get_queued_cards().cards[0]
        card = col.get_card(top.card.id)
        card.start_timer()
        col.sched.answer_card(col.sched.build_answer(card=card, states=top.states, rating=3))
        counts.append(col.sched.counts())
        conf["rev"]["perDay"] = 10
        col.decks.update_config(conf)
        counts.append(col.sched.counts())
    finally:
        col.close()
    return [(n, r) for n, _, r in counts]


def test_a_cap_raised_past_the_sessions_start_leaves_what_a_real_anki_leaves(
    tmp_path: Path,
) -> None:
    """The same day in a real Anki and in a dlcards session, the review cap raised past what
    it was when the session started: the session has the cards Anki's rebuilt queues have."""
    pytest.importorskip("anki")
    expected = _anki_counts_with_the_cap_raised(tmp_path)
    with _five_due_capped(3) as session:
        seen = [_counts(session)]
        session.grade(Grade.GOOD)
        seen.append(_counts(session))
        cli("config", "reviews_per_day", "10")
        seen.append(_counts(session))
    assert seen == expected == [(0, 3), (0, 2), (5, 4)]


def test_a_new_card_limit_raised_on_the_last_card_goes_on_with_new_cards() -> None:
    cli("config", "new_per_day", "2")
    with Store.open(Path(os.environ["DLCARDS_DB"])) as store:
        session = _session(store, new_setting=True, cap_setting=True)
        assert session.remaining() == {"new": 2, "due": 0, "redrill": 0}
        assert not session.refilled()  # nothing raised: the end is the end
        session.grade(Grade.GOOD)
        session.grade(Grade.GOOD)
        assert session.done and not session.refilled()
        cli("config", "new_per_day", "4")
        assert session.refilled() and session.remaining() == {"new": 2, "due": 0, "redrill": 0}


def test_a_card_held_back_that_leaves_the_session_does_not_come_back() -> None:
    five_due()
    with Store.open(Path(os.environ["DLCARDS_DB"])) as store:
        session = _session(store, new_setting=True, cap_setting=True)
        cli("config", "reviews_per_day", "1")
        assert session.keep_to_limits()[:2] == (4, 20)
        session.leave({"perceptron-5"})  # its deck no longer has it (an edit, say)
        cli("config", "reviews_per_day", "200")
        assert session.keep_to_limits()[:2] == (0, 0)
        left = [i.card_id for i in session.queue[session.position :] if i.kind == "due"]
        assert left == CARDS[:4]


def test_a_cap_lowered_under_a_long_queue_holds_cards_back_in_one_pass(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """With `reviews_per_day unlimited`, a learner back from a break studies a queue of every
    due card (46,000 at 100,000 cards); the cap lowered in another terminal then held back
    nearly all of them by searching the list of those held back for each card of the queue:
    quadratic, ~30 s before the next card. The cards are now compared once each (a set), and
    the queue is the one the list gave: the most overdue cards the new cap allows."""
    from dlcards.catalog import load_catalog
    from dlcards.session import Item

    cli("due")
    ids = load_catalog().ids()[:100]
    with Store.open(Path(os.environ["DLCARDS_DB"])) as store:
        for n, cid in enumerate(ids):  # each due a day after its grade: ids[0] most overdue
            h.grade(store, cid, 5, D0 + timedelta(n // 10))
        cli("config", "reviews_per_day", "unlimited")
        cli("config", "new_per_day", "0")
        session = _session(store, cap_setting=True)
        assert session.remaining()["due"] == len(ids)
        compared = [0]
        real = Item.__eq__

        def counted(self: Item, other: object) -> bool:
            compared[0] += 1
            return bool(real(self, other))

        monkeypatch.setattr(Item, "__eq__", counted)
        cli("config", "reviews_per_day", "3")
        assert session.keep_to_limits()[:2] == (len(ids) - 3, 0)
        monkeypatch.undo()
    assert [i.card_id for i in session.queue[session.position :]] == ids[:3]
    assert compared[0] <= 2 * len(ids), f"{compared[0]} comparisons for a queue of {len(ids)}"
