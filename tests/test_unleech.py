"""`dlcards unleech ID...`: the leech mark taken off a card the learner rewrote, as an Anki user
removes a note's `leech` tag. Its lapses, log, schedule and suspension are kept; the mark stays
off when the log is decided again (undo, an Anki import, doctor), and Anki's rule marks the
card again at its next firing (the threshold, then every half threshold)."""

from __future__ import annotations

import json
import os
from datetime import date, datetime, timedelta
from pathlib import Path

import helpers as h
import pytest
from test_import_anki import anki, at
from test_leech import lapse
from test_leech_merge import merge, path_of  # noqa: F401 (the fixture)
from typer.testing import CliRunner

from dlcards.cli import app
from dlcards.grading import LeechRule
from dlcards.store import Store

runner = CliRunner()
CARD = "perceptron-1"
D0 = date(2026, 1, 1)


def cli(*args: str, input: str | None = None) -> str:
    result = runner.invoke(app, list(args), input=input)
    assert result.exit_code == 0, result.output
    return result.output


def db() -> Store:
    return Store.open(Path(os.environ["DLCARDS_DB"]))


def leech_now(action: str = "suspend") -> date:
    """CARD made a leech by its 8th lapse (the default threshold) under `leech_action`;
    returns the day after that lapse."""
    cli("due")
    cli("config", "leech_action", action)
    with db() as store:
        day = lapse(store, CARD, 7)
        assert h.grade(store, CARD, 0, day).leech == action
    return day + timedelta(1)


def test_unleech_takes_the_mark_off_and_keeps_the_rest() -> None:
    """Every screen that showed the leech stops showing it; the lapses, the log, the memory
    and the rule's suspension stay (said, with the way back), and doctor finds nothing."""
    day = leech_now()
    with db() as store:
        memory = store.memory(CARD)
        log = store.query("SELECT * FROM reviews WHERE card_id = ? ORDER BY id", (CARD,))
    assert [c["id"] for c in json.loads(cli("list", "--leeches", "--json"))] == [CARD]
    out = cli("unleech", CARD)
    assert out.splitlines() == [
        f"unleeched 1 card: {CARD} (lapses, review log and schedule kept)",
        f"still suspended: {CARD}; `dlcards unsuspend {CARD}` brings it back into study",
    ]
    assert json.loads(cli("list", "--leeches", "--json")) == []
    assert json.loads(cli("search", "is:leech", "--json"))["cards"] == []
    assert json.loads(cli("search", "tag:leech", "--json"))["cards"] == []
    assert json.loads(cli("stats", "--json", "--today", day.isoformat()))["leeches"] == []
    listed = json.loads(cli("list", "--topic", "perceptron", "--json"))
    assert next(c for c in listed if c["id"] == CARD)["leech"] is False
    state = json.loads(cli("show", CARD, "--json"))["state"]
    assert (state["leech"], state["suspended"], state["lapses"]) == (False, True, 8)
    with db() as store:
        assert store.memory(CARD) == memory
        assert store.query("SELECT * FROM reviews WHERE card_id = ? ORDER BY id", (CARD,)) == log
    assert "No problems found." in cli("doctor", "--check")
    # again: nothing to take off, said, and nothing changed
    assert cli("unleech", CARD) == f"not a leech, left as is: {CARD}\n"


def test_a_leech_unsuspended_is_said_to_be_one_still_with_the_way_off() -> None:
    """`unsuspend` of a card the leech rule suspended brings it back into study with its mark
    (as Anki keeps the tag): said, as `unleech` says a card stays suspended; a card that is
    no leech is brought back without the line."""
    leech_now()
    cli("suspend", "gd-1")
    out = cli("unsuspend", CARD, "gd-1")
    assert out.splitlines() == [
        f"unsuspended 2 cards: {CARD}, gd-1",
        f"still a leech: {CARD}; `dlcards unleech {CARD}` takes the mark off once you have "
        "rewritten it",
    ], out
    with db() as store:
        assert store.leech_cards() == {CARD}
    assert cli("suspend", CARD).splitlines() == [f"suspended 1 card: {CARD}"]


def test_a_tagged_leech_is_unleeched_without_a_word_on_suspension() -> None:
    leech_now("tag")
    out = cli("unleech", CARD, "gd-1")
    assert out.splitlines() == [
        f"unleeched 1 card: {CARD} (lapses, review log and schedule kept)",
        "not a leech, left as is: gd-1",
    ]


def test_unknown_ids_are_refused_before_anything_is_written() -> None:
    """As `unsuspend`: one line, the ids it may have meant, exit 2, no mark taken off."""
    leech_now()
    result = runner.invoke(app, ["unleech", CARD, "perceptron-1x"])
    assert result.exit_code == 2
    lines = result.output.splitlines()
    assert len(lines) == 1 and "unknown card id 'perceptron-1x'" in lines[0], lines
    assert "did you mean" in lines[0] and "Traceback" not in result.output
    result = runner.invoke(app, ["unleech", CARD, "nope-1", "nope-2"])
    assert result.exit_code == 2
    assert result.output.splitlines() == [
        "error: 2 of the card ids are in no deck: 'nope-1', 'nope-2'; nothing was unleeched "
        "(see `dlcards list`)"
    ]
    assert [c["id"] for c in json.loads(cli("list", "--leeches", "--json"))] == [CARD]
    assert runner.invoke(app, ["unleech"]).exit_code == 2  # an id is required


def test_the_rule_marks_it_again_at_its_next_firing_as_ankis() -> None:
    """Unleeched at 8 lapses: the 9th, 10th and 11th make no leech, the 12th does (Anki's
    `leech_threshold_met`: at 8, then every 4), and suspends it again."""
    day = leech_now()
    cli("unleech", CARD)
    cli("unsuspend", CARD)
    rule = LeechRule()
    now = datetime.now().astimezone()  # grades given after the unleech, as a learner gives them
    with db() as store:
        marked = []
        for n in range(9, 13):
            h.grade(store, CARD, 5, day, now)
            now += timedelta(minutes=1)
            row = h.grade(store, CARD, 0, day + timedelta(1), now)
            now += timedelta(minutes=1)
            day += timedelta(2)
            flags = store.card_flags(CARD)
            assert flags is not None and row.after.sm2.lapses == n
            marked.append((n, flags.leech, flags.suspended))
    assert marked == [(n, rule.fires(n), rule.fires(n)) for n in range(9, 13)]
    assert marked[-1] == (12, True, True)


def test_undo_of_a_later_leech_does_not_put_the_old_mark_back() -> None:
    """Unleeched at 8 and marked again at 12 (`tag`): undoing the 12th lapse takes that mark
    back. The card's mark is rebuilt from its log, where the 8th lapse fired: without the
    unleech point it came back, though the learner had taken it off."""
    day = leech_now("tag")
    cli("unleech", CARD)
    now = datetime.now().astimezone()
    with db() as store:
        for _ in range(4):
            h.grade(store, CARD, 5, day, now)
            row = h.grade(store, CARD, 0, day + timedelta(1), now + timedelta(minutes=1))
            now += timedelta(minutes=2)
            day += timedelta(2)
        assert (row.after.sm2.lapses, row.leech) == (12, "tag")
        h.undo(store, row.id)
        flags = store.card_flags(CARD)
        assert flags is not None and not flags.leech and not flags.suspended
        assert h.state(store, CARD).lapses == 11
    assert "No problems found." in cli("doctor", "--check")


def test_a_merge_that_decides_the_log_again_keeps_the_mark_off(path_of: str) -> None:  # noqa: F811
    """Unleeched at 8, the 12th lapse (here) marked it again (`tag`); an Anki review of that
    day, earlier, makes the 12th lapse a re-drill, which takes its mark back. The merge read
    the card's mark from every row that still fires, the 8th lapse among them, and put the
    old mark back."""
    cli("due")
    cli("config", "leech_action", "tag")
    day = D0
    with db() as store:
        for n in range(1, 13):  # each grade at noon of its day: the log's time order is the days'
            h.grade(store, CARD, 5, day, at(day, 12))
            last = day + timedelta(1)
            row = h.grade(store, CARD, 0, last, at(last, 12))
            day += timedelta(2)
            if n == 8:
                assert row.leech == "tag"
                store.unleech([CARD], at(last, 13))
        assert (row.after.sm2.lapses, row.leech) == (12, "tag")
        assert store.leeches()[0].id == CARD
        merge(store, [anki(CARD, last, 8, 4)], path_of)  # each path a merge takes
        assert h.state(store, CARD).lapses == 11
        assert store.leeches() == []
        flags = store.card_flags(CARD)
        assert flags is not None and not flags.leech


def test_reset_after_an_unleech_starts_over() -> None:
    """A reset card's lapses start from 0: the rule marks it at the threshold again."""
    leech_now()
    cli("unleech", CARD)
    cli("reset", CARD, "--yes")
    cli("unsuspend", CARD)
    now = datetime.now().astimezone()
    with db() as store:
        day = D0 + timedelta(400)
        for _ in range(8):
            h.grade(store, CARD, 5, day, now)
            row = h.grade(store, CARD, 0, day + timedelta(1), now + timedelta(minutes=1))
            now += timedelta(minutes=2)
            day += timedelta(2)
        assert (row.after.sm2.lapses, row.leech) == (8, "suspend")
    assert [c["id"] for c in json.loads(cli("list", "--leeches", "--json"))] == [CARD]


def test_lapses_imported_from_anki_after_an_unleech_count_from_where_it_was_taken_off(
    tmp_path: Path,
) -> None:
    """Nine lapses imported from the phone made the card a leech (at 8); unleeched here, the
    same file imported again marks nothing, and a newer file whose lapses go on to the 12th
    marks it again there (and suspends it: the lapse is newer than any change here)."""
    from test_leech_merge import lapses, marks, new_store

    with new_store(tmp_path / "d.db") as store:
        first = lapses(9)
        merge(store, first, "rows")
        assert marks(store) == ([(8, "suspend")], (1, 1))
        end = first[-1].day
        assert store.unleech(["c0"], at(end, 20)) == [("c0", True)]
        store.set_suspended(["c0"], False, at(end, 21))
        merge(store, first, "rows")  # the same file again: nothing new, nothing marked
        assert marks(store) == ([(8, "suspend")], (0, 0))
        later = [anki("c0", end + timedelta(k), 9, g) for k, g in enumerate([0, 4] * 3, 1)]
        merge(store, first + later, "rows")
        assert h.state(store, "c0").lapses == 12
        assert marks(store) == ([(8, "suspend"), (12, "suspend")], (1, 1))


def test_a_restore_keeps_an_unleech_made_since_the_backup(tmp_path: Path) -> None:
    """`doctor --restore` carries from the damaged file's raw pages the card marks that no log
    row holds (a reset, a suspension) into the backup it puts back: an unleech made since
    the backup was not among them, and the restored card was a leech again."""
    import shutil
    import sqlite3

    from dlcards.store.doctor import _carry_card_marks

    leech_now()
    path = Path(os.environ["DLCARDS_DB"])
    backup = tmp_path / "backup.db"
    shutil.copyfile(path, backup)  # the newest backup: the card a leech
    cli("unleech", CARD)
    src = sqlite3.connect(backup, isolation_level=None)
    try:
        assert _carry_card_marks(src, [path])[0] == [CARD]
        flags = "SELECT leech, suspended, unleech_at IS NOT NULL FROM cards WHERE id = ?"
        assert src.execute(flags, (CARD,)).fetchone() == (0, 1, 1)
        assert _carry_card_marks(src, [path])[0] == []  # carried once: nothing newer now
    finally:
        src.close()


def test_a_tag_is_removed_only_if_this_leechs_tag_was_found_on_a_note_that_changed_since() -> None:
    """`tag_removed`: an import found the note with this leech's tag (Anki held it), and the
    note without the tag changed after the leech was made and after (or in the second of)
    that note. A tag only sent (`seen` 0) is no tag Anki had: its package may never have been
    imported there, and a note edited in Anki later without it took the mark off."""
    from dlcards.store.core import tag_removed

    made = 1_000_000_000  # ms
    found = 1_000_100  # s: the note an import found with the tag
    later = (found + 1) * 1000
    assert tag_removed(later, made, found, made, seen=1)
    assert tag_removed(later, made - 5, found, made, seen=1)  # the leech moved earlier: the same
    assert not tag_removed(later, made, found, made, seen=0)  # only sent: maybe never in Anki
    assert not tag_removed(later, None, found, made, seen=1)  # no review made it a leech
    assert not tag_removed(later, made, found, None, seen=1)  # the note had no tag
    assert not tag_removed(later, made + 1, found, made, seen=1)  # the tag of an earlier mark
    assert not tag_removed(found * 1000 - 1, made, found, made, seen=1)  # before the note found
    assert tag_removed(found * 1000, made, found, made, seen=1)  # the second it was found in
    assert not tag_removed(made, made, 0, made, seen=1)  # not after the leech was made


def test_an_export_that_cannot_keep_a_leechs_untagged_note_says_so_in_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`export anki` without progress sends a leech's note without the `leech` tag; kept, a
    later import that finds it so takes no mark off. From a database that cannot be written,
    the one line says that it was not kept and what that means; with the tag sent (with
    progress) nothing that matters is lost, and nothing is said of it."""
    leech_now()
    real_access = os.access
    monkeypatch.setattr(
        os, "access", lambda p, mode: False if mode == os.W_OK else real_access(p, mode)
    )
    out = cli("export", "anki", "-o", str(tmp_path / "plain.apkg"))
    (line,) = [x for x in out.splitlines() if x.startswith("warning:")]
    assert "read-only" in line and "the package is written, but not kept:" in line, line
    assert "the notes of 1 leech go without the `leech` tag" in line, line
    out = cli("export", "anki", "-o", str(tmp_path / "tagged.apkg"), "--with-progress")
    assert "leech" not in out, out


def test_the_newest_note_sent_or_found_is_kept_for_a_leech_only() -> None:
    """`remember_leech_tags`: a newer note replaces the one kept (an older one is not what
    Anki holds: it keeps the newer), one found at the same time replaces one sent, and a card
    that is no leech is left out."""
    leech_now()

    def kept(store: Store) -> list[tuple[str, int, bool, int]]:
        return [
            (cid, mod, at is not None, seen)
            for cid, mod, at, seen in store.query("SELECT * FROM anki_leech_tags")
        ]

    with db() as store:
        store.remember_leech_tags({CARD: (100, True), "mlp-1": (100, True)}, seen=False)
        assert kept(store) == [(CARD, 100, True, 0)]
        store.remember_leech_tags({CARD: (99, False)}, seen=True)  # older: not Anki's now
        store.remember_leech_tags({CARD: (100, False)}, seen=False)  # as old, sent: neither
        assert kept(store) == [(CARD, 100, True, 0)]
        store.remember_leech_tags({CARD: (100, False)}, seen=True)
        assert kept(store) == [(CARD, 100, False, 1)]
        store.remember_leech_tags({CARD: (101, True)}, seen=False)
        assert kept(store) == [(CARD, 101, True, 0)]
        store.remember_leech_tags({CARD: (101, True)}, seen=True)
        assert kept(store) == [(CARD, 101, True, 1)]
        # this leech's tag, found in Anki, sent again in a newer note: still the one found (the
        # package may never reach Anki, and the tag's removal there is read from the note found)
        store.remember_leech_tags({CARD: (105, True)}, seen=False)
        assert kept(store) == [(CARD, 101, True, 1)]
        store.remember_leech_tags({CARD: (106, False)}, seen=False)  # sent without it: kept
        assert kept(store) == [(CARD, 106, False, 0)]
