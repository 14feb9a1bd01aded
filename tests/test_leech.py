"""Leeches: Anki's rule in the pure decision, carried out by the store, shown by study, list,
show and stats; undo takes a leech back."""

from __future__ import annotations

import json
import os
import re
from datetime import date, timedelta
from pathlib import Path

import helpers as h
import pytest
from typer.testing import CliRunner

from dlcards.cli import app
from dlcards.grading import LeechRule, decide
from dlcards.memory import Memory, Sm2State
from dlcards.scheduling import Schedule
from dlcards.settings import Settings
from dlcards.sm2 import Grade
from dlcards.store import Store

runner = CliRunner()
D0 = date(2026, 1, 1)
CARD = "perceptron-1"


def cli(*args: str, input: str | None = None) -> str:
    result = runner.invoke(app, list(args), input=input)
    assert result.exit_code == 0, result.output
    return result.output


@pytest.mark.parametrize(
    ("threshold", "fires_at"),
    [
        (8, [8, 12, 16, 20]),
        (5, [5, 8, 11, 14, 17, 20]),
        (2, list(range(2, 21))),
        (20, [20]),
    ],
)
def test_the_rule_is_ankis(threshold: int, fires_at: list[int]) -> None:
    """At the threshold, then every ceil(threshold / 2) lapses (4 at the default 8)."""
    rule = LeechRule(threshold)
    assert [n for n in range(1, 21) if rule.fires(n)] == fires_at


def test_decide_marks_only_a_lapse_that_reaches_the_threshold() -> None:
    schedule = Schedule.from_settings(Settings())
    reviewed = Memory(sm2=Sm2State(repetitions=3, interval=10, lapses=7, last_review=D0))
    day = D0 + timedelta(10)
    assert decide(reviewed, Grade.BLACKOUT, day, schedule).leech == "suspend"
    assert decide(reviewed, Grade.BLACKOUT, day, schedule, leech=LeechRule(8, "tag")).leech == "tag"
    assert decide(reviewed, Grade.GOOD, day, schedule).leech is None  # no lapse
    assert decide(reviewed, Grade.BLACKOUT, day, schedule, redrill=True).leech is None
    assert decide(reviewed, Grade.BLACKOUT, day, schedule, leech=LeechRule(9)).leech is None


def lapse(store: Store, card_id: str, times: int, day: date = D0) -> date:
    """Grade the card 5 then 0 on consecutive days, `times` times: `times` lapses. Returns the
    next day on which the card is due."""
    for _ in range(times):
        h.grade(store, card_id, 5, day)
        h.grade(store, card_id, 0, day + timedelta(1))
        day += timedelta(2)
    h.grade(store, card_id, 5, day)
    return day + timedelta(1)


def db() -> Store:
    return Store.open(Path(os.environ["DLCARDS_DB"]))


def test_study_says_so_and_suspends_then_list_show_stats_know() -> None:
    cli("due")  # create and sync the database
    with db() as store:
        day = lapse(store, CARD, 7)
        assert h.state(store, CARD).lapses == 7
    out = cli("study", "--topic", "perceptron", "--new", "0", "--today", day.isoformat(),
              input="\n0\nq\n")  # fmt: skip
    assert f"{CARD} is a leech (8 lapses) and is now suspended" in out
    assert f"saved: {CARD}: 0 → suspended, a leech" in out  # not "next in 1d": in no queue
    assert "again (re-drill)" not in out.split("is a leech")[1]  # it left the session
    shown = json.loads(cli("show", CARD, "--json"))["state"]
    assert shown["suspended"] is True and shown["lapses"] == 8 and shown["leech"] is True
    shown_text = cli("show", CARD)
    assert shown_text.rstrip().endswith("lapses 8 · recall today 0% · leech · suspended")
    # in no queue: its date is the one it takes once unsuspended, never "due" as it stands
    assert re.search(r"· due [^·]+ once unsuspended ·", " ".join(shown_text.split()))
    listed = json.loads(cli("list", "--leeches", "--json"))
    assert listed == [
        {
            "id": CARD,
            "topic": "perceptron",
            "tags": listed[0]["tags"],
            "question": listed[0]["question"],
            "lapses": 8,
            "suspended": True,
            "leech": True,  # the keys of `list --json`, and `lapses`
        }
    ]
    assert CARD in cli("list", "--leeches")
    # only the leeches' decks are read, and the filters still apply
    import dlcards.catalog

    loaded: list[str] = []
    real = dlcards.catalog.Catalog.deck

    def deck(self: dlcards.catalog.Catalog, topic: str) -> object:
        loaded.append(topic)
        return real(self, topic)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(dlcards.catalog.Catalog, "deck", deck)
        assert json.loads(cli("list", "--leeches", "--json")) == listed
    assert set(loaded) == {"perceptron"}
    assert json.loads(cli("list", "--leeches", "--json", "--topic", "gd")) == []
    assert json.loads(cli("list", "--leeches", "--json", "--topic", "perceptron")) == listed
    assert "unknown topic" in runner.invoke(app, ["list", "--leeches", "--topic", "nope"]).output
    stats = json.loads(cli("stats", "--json", "--today", day.isoformat()))
    assert stats["leeches"] == [{"id": CARD, "topic": "perceptron", "lapses": 8, "suspended": True}]


def _legend(out: str) -> tuple[str, str]:
    """The grade keys' two lines (names, intervals) as the answer's screen drew them."""
    lines = out.splitlines()
    at = next(i for i, line in enumerate(lines) if line.startswith("0 blackout"))
    return lines[at], lines[at + 1]


@pytest.mark.parametrize("action", ["suspend", "tag"])
def test_the_keys_of_a_grade_that_makes_a_leech_say_so(action: str) -> None:
    """A card one lapse short of the threshold: 0, 1 and 2 make it a leech. Suspended, it
    leaves the session, so the ↺ (again today) those keys showed was untrue: they say `leech`.
    Tagged, it comes back, and they keep ↺."""
    cli("due")
    cli("config", "leech_action", action)
    with db() as store:
        day = lapse(store, CARD, 7)
    out = cli("study", "--topic", "perceptron", "--new", "0", "--today", day.isoformat(),
              input="\nq\n")  # fmt: skip
    names, when = _legend(out)
    assert names.split()[::2] == ["0", "1", "2", "3", "4", "5"], names
    cells = [c.strip() for c in when.split("  ") if c.strip()]
    if action == "suspend":
        assert cells == ["1d leech", "1d leech", "1d leech", "6d ↺", "6d", "6d"], when
    else:
        assert cells == ["1d ↺", "1d ↺", "1d ↺", "6d ↺", "6d", "6d"], when
    out = cli("study", "--topic", "perceptron", "--new", "0", "--today", day.isoformat(),
              input="\n1\nq\n")  # fmt: skip
    assert (f"{CARD} is a leech (8 lapses) and is now suspended" in out) is (action == "suspend")


def test_tag_action_keeps_the_card_in_study_and_fires_again_4_lapses_later() -> None:
    cli("due")
    cli("config", "leech_action", "tag")
    with db() as store:
        rule = LeechRule.from_settings(store.settings())
        assert rule == LeechRule(8, "tag")
        day = lapse(store, CARD, 7)
        s = h.sched(store)
        fired = []
        for _ in range(6):  # lapses 8 .. 13
            row = store.grade(
                CARD, lambda m, _settings, d=day: decide(m, Grade.BLACKOUT, d, s, leech=rule), h.NOW
            )
            fired.append((row.after.sm2.lapses, row.leech))
            day += timedelta(1)
            h.grade(store, CARD, 5, day)
            day += timedelta(1)
        assert [n for n, action in fired if action] == [8, 12]
        assert all(action in (None, "tag") for _, action in fired)
        flags = store.card_flags(CARD)
        assert flags is not None and flags.leech and not flags.suspended
    # a tagged leech stays in study: `show` is where the card says it is one
    line = cli("show", CARD).splitlines()[-1]
    assert line.endswith(" · leech") and "suspended" not in line, line
    assert json.loads(cli("show", CARD, "--json"))["state"]["leech"] is True


def test_undo_takes_the_leech_back() -> None:
    cli("due")
    with db() as store:
        day = lapse(store, CARD, 7)
        row = h.grade(store, CARD, 0, day)
        assert row.leech == "suspend"
        assert store.card_flags(CARD) == (True, False, True)
        h.undo(store, row.id)
        assert store.card_flags(CARD) == (False, False, False)
        assert h.state(store, CARD).lapses == 7


@pytest.mark.parametrize(
    "change", [("scheduler", "fsrs"), ("desired_retention", "0.8"), ("scheduler", "sm2")]
)
def test_an_undo_after_the_threshold_changed_makes_no_old_lapse_a_leech(
    change: tuple[str, str],
) -> None:
    """A card with 5 lapses, then `leech_threshold 3` (no lapse fires: the rule is Anki's, a
    lapse that reaches it), then a change that gives the log other FSRS states; grading the
    card and undoing that grade must leave it exactly as it was, not a leech suspended by
    lapses given under the old threshold."""
    cli("due")
    with db() as store:
        if change[0] == "desired_retention":
            h.set_scheduler(store, "fsrs")
        elif change[1] == "sm2":
            h.set_scheduler(store, "fsrs")  # its log rows carry FSRS states, then SM-2 again
        day = lapse(store, CARD, 5)
        assert h.state(store, CARD).lapses == 5
        cli("config", "leech_threshold", "3")
        cli("config", *change)
        flags, memory = store.card_flags(CARD), store.memory(CARD)
        assert flags == (False, False, False)
        row = h.grade(store, CARD, 4, day)
        assert row.kind == "scheduled" and row.leech is None
        h.undo(store, row.id)
        assert store.card_flags(CARD) == flags and store.memory(CARD) == memory
    assert json.loads(cli("show", CARD, "--json"))["state"]["leech"] is False


def test_reset_clears_the_mark_and_the_threshold_is_a_setting() -> None:
    cli("due")
    for value, said in (
        ("0", "must be from 1 to 999, not 0"),
        ("-1", "must be from 1 to 999, not -1"),
        ("abc", "must be a whole number from 1 to 999, not 'abc'"),
    ):  # one range in every message
        out = runner.invoke(app, ["config", "leech_threshold", value])
        assert out.exit_code != 0 and f"leech_threshold {said}" in out.output
    cli("config", "leech_threshold", "2")
    with db() as store:
        day = lapse(store, CARD, 1)
        s = h.sched(store)
        row = store.grade(
            CARD,
            lambda m, settings: decide(
                m, Grade.BLACKOUT, day, s, leech=LeechRule.from_settings(settings)
            ),
            h.NOW,
        )
        assert row.leech == "suspend" and row.after.sm2.lapses == 2
    cli("reset", CARD, "--yes")
    assert json.loads(cli("list", "--leeches", "--json")) == []


def test_no_leeches_in_a_terminal_is_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    """A helper's UX run: with no leech, `list --leeches` in a terminal drew an empty table
    and "0 leeches (0 suspended, marked (s)); rewrite one with ...". In a pipe it stays
    empty (nothing for grep)."""
    assert cli("list", "--leeches") == ""  # a pipe
    monkeypatch.setenv("TTY_COMPATIBLE", "1")  # rich: a terminal, though CliRunner captures
    from dlcards.console import out

    out.cache_clear()
    assert cli("list", "--leeches") == "No leeches.\n"
    assert cli("list", "--leeches", "--topic", "gd") == "No leeches among these cards.\n"
    # nor a header over no card when nothing has the topic and tag (a UX sweep), named as
    # study and quiz name it (it said "No card matches the topic and tag given.")
    assert cli("list", "--topic", "mlp", "--tag", "interview") == (
        "No card in mlp has the tag 'interview'.\n"
    )
    assert cli("list", "--tag", "leech") == "No card has the tag 'leech'.\n"
    assert "mlp-1" in cli("list", "--topic", "mlp")


def _leeches_listed() -> list[str]:
    """The first two lines of `list --leeches` (its head and first row), colours taken out."""
    return re.sub(r"\x1b\[[0-9;]*m", "", cli("list", "--leeches")).splitlines()[:2]


def test_list_leeches_in_a_terminal_never_cuts_the_id(monkeypatch: pytest.MonkeyPatch) -> None:
    """A helper's UX run: at 100 columns a leech with a long question was listed as
    `perceptron…  4 (s)  percept…`: rich shrank every column of the table alike, the id too,
    though `list` promises ids are never cut (the question is)."""
    cli("config", "leech_threshold", "2")
    with db() as store:
        day = lapse(store, CARD, 1)
    cli("study", "--topic", "perceptron", "--new", "0", "--today", day.isoformat(),
        input="\n0\nq\n")  # fmt: skip
    h.terminal_of(monkeypatch, 60)
    head, row = _leeches_listed()
    # the topic column, which only repeats the id's prefix, left out for the question
    assert head.split() == ["id", "lapses", "question"]
    assert row.startswith(f"{CARD}  ") and row.split()[1:3] == ["2", "(s)"]
    assert row[head.index("question") :].startswith("What is the primary objective ")
    assert row.rstrip().endswith("…") and len(row) <= 60  # the question cut, to the width
    h.terminal_of(monkeypatch, 160)  # room for it beside 60 columns of question
    head, row = _leeches_listed()
    assert head.split() == ["id", "lapses", "topic", "question"]
    assert row.startswith(f"{CARD}  ") and row.split()[1:4] == ["2", "(s)", "perceptron"]
    assert len(row.rstrip()) <= 160
    h.terminal_of(monkeypatch, 30)  # too narrow for a question beside them: under them
    head, row = _leeches_listed()
    assert head.split()[:3] == [CARD, "2", "(s)"] and row.startswith("  ") and len(row) <= 30


def test_list_leeches_keeps_the_topic_of_ids_that_do_not_name_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A learner's own deck names its cards as it likes (`q1` in `mydeck`): at 60 columns,
    where the built-in decks' topic column goes (it repeats each id's prefix), its topic
    column stays, said nowhere else on the line."""
    import yaml

    decks = tmp_path / "decks"
    decks.mkdir()
    question = "What does the momentum term add to each step of plain gradient descent?"
    deck = {
        "topic": "mydeck",
        "title": "My deck",
        "cards": [{"id": "q1", "question": question, "answer": "velocity"}],
    }
    (decks / "mydeck.yaml").write_text(yaml.safe_dump(deck, sort_keys=False))
    monkeypatch.setenv("DLCARDS_DECKS", str(decks))
    cli("due")  # its cards synced
    cli("config", "leech_threshold", "2")
    with db() as store:
        day = lapse(store, "q1", 1)
    cli("study", "--topic", "mydeck", "--new", "0", "--today", day.isoformat(),
        input="\n0\nq\n")  # fmt: skip
    h.terminal_of(monkeypatch, 60)
    head, row = _leeches_listed()
    assert head.split() == ["id", "lapses", "topic", "question"]
    assert row.split()[:4] == ["q1", "2", "(s)", "mydeck"] and len(row.rstrip()) <= 60
    assert row[head.index("question") :].startswith("What does the ")


@pytest.fixture(scope="module")
def three_leeches() -> dict[date, Path]:
    """The database folder the first width of the leech-question test kept after making its
    three leeches, by the day it was made on, for the other widths to copy."""
    return {}


@pytest.mark.parametrize("width", [30, 40, 50, 60, 80, 100, 160])
def test_a_leechs_question_is_cut_after_a_whole_word_or_shown_whole(
    monkeypatch: pytest.MonkeyPatch,
    width: int,
    three_leeches: dict[date, Path],
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    """At 60 columns `list --leeches` showed `(Math/Logic) Wri…` and `What is the solution
    to …`: rich's cut, inside a word (`list` cuts after a whole word); at 30 `What…`, and
    its advice broke `dlcards unsuspend` / `ID` over two lines. The question is cut as
    `list` cuts it, or, where fewer than 20 columns are left for it, wrapped whole under its
    id; a command of the advice stays on one line."""
    import shutil

    from dlcards.catalog import load_catalog
    from dlcards.flowtext import one_line
    from dlcards.render import to_rich

    ids = ["mlp-6", "perceptron-13", "mlp-7"]
    data, today = Path(os.environ["DLCARDS_DB"]).parent, date.today()
    if today not in three_leeches:  # the same three leeches at every width: made once
        cli("config", "leech_threshold", "2")
        with db() as store:
            for card in ids:
                day = lapse(store, card, 1)
        cli("study", "--topic", "perceptron", "--topic", "mlp", "--new", "0", "--today",
            day.isoformat(), input="\n0\n\n0\n\n0\nq\n")  # fmt: skip
        three_leeches[today] = tmp_path_factory.mktemp("leeches") / "data"
        shutil.copytree(data, three_leeches[today])
    else:
        shutil.copytree(three_leeches[today], data, dirs_exist_ok=True)
    h.terminal_of(monkeypatch, width)
    shown = re.sub(r"\x1b\[[0-9;]*m", "", cli("list", "--leeches"))
    lines = [line.rstrip() for line in shown.splitlines()]
    assert all(len(line) <= width for line in lines), lines
    catalog = load_catalog()
    for card in ids:
        question = one_line(to_rich(catalog.card(card).question))[0]
        at = next(n for n, line in enumerate(lines) if line.startswith(card + " "))
        if lines[at + 1].startswith("  "):  # under its id, whole
            under = []
            for line in lines[at + 1 :]:
                if not line.startswith("  "):
                    break
                under.append(line.strip())
            assert " ".join(under) == question, lines
        else:
            cell = lines[at][lines[0].index("question") :]
            kept = cell[:-1].rstrip(",;:")  # what a cut shows, then the word's end in the text
            assert cell == question or (
                cell.endswith("…")
                and question.startswith(kept)
                and question[len(kept) : len(kept) + 1] in (" ", ",", ";", ":")
            ), (cell, question)
    assert any("`dlcards unsuspend ID`" in line for line in lines), lines
    assert any("`dlcards unleech ID`" in line for line in lines), lines
    assert any("`dlcards edit ID`" in line for line in lines), lines


def test_config_gives_the_leech_examples_for_the_default() -> None:
    """A helper's UX run: with leech_threshold 4, `config` said "(8, 12, 16...)" beside the 4,
    the lapses at which the default 8 fires (4 fires at 4, 6, 8). The examples now say whose
    they are, and they are the rule's."""
    from dlcards.settings import BY_KEY, LEECH_THRESHOLD

    cli("config", "leech_threshold", "4")
    row = " ".join(cli("config").split("leech_threshold", 1)[1].split("leech_action")[0].split())
    said = re.search(r"\(at the default (\d+): ([\d, ]+)\.\.\.\)", row)
    assert said is not None, row
    rule = LeechRule(LEECH_THRESHOLD)
    assert int(said[1]) == LEECH_THRESHOLD == int(BY_KEY["leech_threshold"].default)
    assert [int(n) for n in said[2].split(", ")] == [n for n in range(1, 17) if rule.fires(n)]


def test_a_leech_of_one_lapse_is_said_in_the_singular() -> None:
    """With leech_threshold 1 the notice said `(1 lapses)`."""
    from dlcards.commands.study import leech_notice

    assert leech_notice("gd-1", 1, "suspend").startswith("gd-1 is a leech (1 lapse) and is now")
    assert leech_notice("gd-1", 1, "tag").startswith("gd-1 is a leech (1 lapse), tagged")
    assert leech_notice("gd-1", 8, "tag").startswith("gd-1 is a leech (8 lapses), tagged")


def test_undo_of_a_leech_grade_puts_back_the_suspensions_time_of_change() -> None:
    """`u` after a grade that made the card a leech and suspended it: the unsuspension was
    dated now, newer than the flag's last change before the grade (a suspension taken back
    on the phone, say), which an Anki import then no longer took. Now, as `u` after `!`, the
    flag's time of change is the one it had, also in the undo of a grade another process gave
    (the grade keeps it: `store.actions`, schema 33; it was dated now); the undo after the
    flag changed again since still dates it now."""
    import time

    cli("due")
    with db() as store:
        day = lapse(store, CARD, 7)
        store.conn.execute("UPDATE cards SET suspended_changed = 1000 WHERE id = ?", (CARD,))
        row = h.grade(store, CARD, 0, day)
        assert row.leech == "suspend"
        h.undo(store, row.id)
        changed = "SELECT suspended, suspended_changed FROM cards WHERE id = ?"
        assert store.query(changed, (CARD,)) == [(0, 1000)]
        row = h.grade(store, CARD, 0, day + timedelta(30))
        store.leech_suspended.clear()  # as another process, which did not give the grade
        h.undo(store, row.id)
        assert store.query(changed, (CARD,)) == [(0, 1000)]
        row = h.grade(store, CARD, 0, day + timedelta(60))
        # the flag changed again since (an Anki import), still suspended
        store.conn.execute("UPDATE cards SET suspended_changed = 2000 WHERE id = ?", (CARD,))
        before = int(time.time())
        h.undo(store, row.id)
        assert store.query(changed, (CARD,))[0][1] >= before


def _shown_until(fd: int, text: str, timeout: float = 20.0) -> str:
    """What the program in the pseudo-terminal at `fd` shows, as plain words (its escape
    codes taken out: a style may fall between two words), until `text` is among it."""
    import select
    import time

    seen, deadline = b"", time.monotonic() + timeout
    while True:
        shown = " ".join(
            re.sub(rb"\x1b\[[0-9;?]*[A-Za-z]", b" ", seen).decode(errors="replace").split()
        )
        if text in shown:
            return shown
        left = deadline - time.monotonic()
        if left <= 0 or not select.select([fd], [], [], left)[0]:
            raise AssertionError(f"{text!r} not shown; the screen had: {shown[-600:]!r}")
        seen += os.read(fd, 65536)


def test_the_grade_that_makes_a_leech_is_confirmed_on_the_terminal_too() -> None:
    """A torture run: at a terminal, the leech notice took the place of the grade's own line,
    so the screen never confirmed that grade (the line protocol printed both). Both are shown
    above the next card; the grade's line says the card is suspended, not "next in 1d" (it
    comes back in no queue until unsuspended)."""
    import sys

    if sys.platform != "linux":
        pytest.skip("a pseudo-terminal")
    cli("config", "leech_threshold", "2")
    cli("study", "--today", "2026-11-01", "--topic", "gd", "--new", "1", input="\n4\nq\n")
    cli("study", "--today", "2026-11-02", "--topic", "gd", "--new", "0", input="\n0\n\n4\nq\n")
    env = {**os.environ, "NO_COLOR": "1", "TERM": "xterm"}
    args = ("--today", "2026-11-03", "--topic", "gd", "--new", "1")
    with h.study_in_a_pty(env, *args, columns=200) as (_, fd):
        h.waiting_for_a_key(fd)
        os.write(fd, b" ")
        _shown_until(fd, "blackout")
        os.write(fd, b"0")
        # the next card, and under it the line of the grade and the notice (a wait for the
        # card alone stopped before the line was read)
        line = "gd-1: 0 → a leech (2 lapses), now suspended: rewrite or split it"
        shown = _shown_until(fd, line)
    assert "gd-2" in shown.split(line)[0], shown


@pytest.mark.parametrize("action", ["tag", "suspend"])
def test_the_test_helpers_grade_follows_the_leech_settings_as_a_session_does(action: str) -> None:
    """`helpers.grade` grades as study does: under `leech_threshold 2` and `leech_action`, the
    second lapse makes the card a leech and the action is the setting's (it took neither: a
    tests' grade made no leech before 8 lapses, and always suspended)."""
    cli("due")
    cli("config", "leech_threshold", "2")
    cli("config", "leech_action", action)
    with db() as store:
        day = lapse(store, CARD, 1)
        row = h.grade(store, CARD, 0, day)
        assert (row.after.sm2.lapses, row.leech) == (2, action)
        flags = store.card_flags(CARD)
        assert flags is not None and flags.leech and flags.suspended == (action == "suspend")


def test_tag_leech_chooses_the_leeches_in_list_study_and_quiz() -> None:
    """Anki tags a leech's note `leech`, and `search tag:leech` finds them; `--tag leech` in
    `list`, `study` and `quiz` was refused as an unknown tag. It chooses the leeches (with
    `leech_action tag`, still in study), with none yet it is no error, and within a topic it
    keeps to the topic's."""
    cli("due")
    cli("config", "leech_action", "tag")
    assert runner.invoke(app, ["list", "--tag", "leech"]).exit_code == 0  # none yet: no error
    none_yet = runner.invoke(app, ["study", "--tag", "leech"], input="q\n")
    assert none_yet.exit_code == 0 and "has the tag 'leech'" in none_yet.output
    with db() as store:
        day = lapse(store, CARD, 7)
        h.grade(store, CARD, 0, day)  # the 8th lapse: a leech, tagged only
        flags = store.card_flags(CARD)
        assert flags is not None and flags.leech and not flags.suspended
    listed = cli("list", "--tag", "LEECH").splitlines()  # a tag in any case, as Anki's
    assert [line.split("\t")[0] for line in listed] == [CARD]
    assert [c["id"] for c in json.loads(cli("list", "--tag", "leech", "--json"))] == [CARD]
    assert [c["id"] for c in json.loads(cli("list", "--leeches", "--tag", "leech", "--json"))] == [
        CARD
    ]
    assert json.loads(cli("list", "--tag", "leech", "--topic", "gd", "--json")) == []
    found = json.loads(cli("search", "tag:leech", "--json"))["cards"]
    assert [c["id"] for c in found] == [CARD]
    quizzed = cli("quiz", "--tag", "leech", "--mode", "self", "-n", "1", input="\n1\n")
    assert f"{CARD} ·" in quizzed
    studied = cli("study", "--tag", "leech", "--today", (day + timedelta(1)).isoformat(),
                  input="\n5\nq\n")  # fmt: skip
    assert "card 1 of 1" in studied and f"{CARD} ·" in studied


def test_a_session_of_suspended_leeches_says_they_are_suspended() -> None:
    """`study --tag leech` (or `--search is:leech`) after the rule suspended the leeches (the
    default action) said only "Nothing to study today.": it names them and how to bring them
    back."""
    cli("due")
    with db() as store:
        day = lapse(store, CARD, 7)
        h.grade(store, CARD, 0, day)  # the 8th lapse: a leech, suspended
    back = f"is suspended; nothing to study (`dlcards unsuspend {CARD}` brings it back)."
    for args, chosen in (
        (["--tag", "leech"], "The 1 card with the tag 'leech'"),
        (["--search", "is:leech"], "The 1 card the search finds"),
    ):
        out = cli("study", *args, input="q\n")
        assert " ".join(out.split()) == f"{chosen} {back}", out
