"""Leeches decided by a merged log: lapses studied in Anki make a leech when they are imported,
and a lapse that a merge (or an undo) no longer makes the threshold's takes its leech back. The
marks after any merge are those of grading the whole log in dlcards, in time order."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path

import helpers as h
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_import_anki import anki, at, columns_of

from dlcards.store import Store
from dlcards.store.rows import ImportedReview

D = date(2026, 3, 2)
CARD = "c0"


def new_store(path: Path, cards: int = 3) -> Store:
    from dlcards.deck import Card

    store = Store.open(path)
    cids = [f"c{i}" for i in range(cards)]
    store.sync([Card(id=c, topic="t", question="q", answer="a") for c in cids], "s", h.NOW)
    return store


_ONE_CARD: dict[str, Path] = {}


def one_card_copy(factory: pytest.TempPathFactory, path: Path) -> Store:
    """`new_store(path, 1)` from a file made once per process (a new database and its sync
    were most of a property example's time)."""
    import shutil

    made = _ONE_CARD.get("db")
    if made is None:
        made = factory.mktemp("one-card") / "d.db"
        new_store(made, 1).close()
        _ONE_CARD["db"] = made
    shutil.copyfile(made, path)
    return Store.open(path)


def lapses(n: int, start: date = D, cid: str = CARD) -> list[ImportedReview]:
    """A pass then `n` lapses each followed by a pass, one grade a day (2n + 1 rows)."""
    grades = [4] + [0, 4] * n
    return [anki(cid, start + timedelta(k), 9, g) for k, g in enumerate(grades)]


def give(store: Store, cid: str, g: int, when: datetime) -> int:
    """A grade given in a session, under the settings' schedule and leech rule."""
    return h.grade(store, cid, g, when.date(), when).id


def marks(store: Store, cid: str = CARD) -> tuple[list[tuple[int, str]], tuple[int, int]]:
    """The card's rows that fired a leech (lapses after, action) and its (leech, suspended)."""
    rows = store.query(
        "SELECT lapses_after, leech FROM reviews WHERE card_id = ? AND leech IS NOT NULL "
        "ORDER BY at, id",
        (cid,),
    )
    flags = store.query("SELECT leech, suspended FROM cards WHERE id = ?", (cid,))[0]
    return [tuple(r) for r in rows], tuple(flags)  # type: ignore[return-value]


# the paths a merge takes: rows card by card; columns card by card; columns decided at once
PATHS = [("rows", False), ("columns", False), ("columns", True)]


@pytest.fixture(params=PATHS, ids=["rows", "columns", "at-once"])
def path_of(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    import dlcards.store.merge as merging

    kind, many = request.param
    monkeypatch.setattr(merging, "MANY_ROWS", 1 if many else 10**9)
    monkeypatch.setattr(merging, "BULK_ROWS", 1 if many else 10**9)
    yield kind


def merge(store: Store, rows: list[ImportedReview], kind: str) -> list[str]:
    given = columns_of(rows) if kind == "columns" else rows
    return store.merge_reviews(given, h.merge_rules(many=True))  # type: ignore[arg-type]


def test_lapses_studied_in_anki_make_a_leech(tmp_path: Path, path_of: str) -> None:
    """Nine lapses on the phone: the eighth makes the card a leech (suspended, as in a
    session), and it is listed as one; seven make none."""
    with new_store(tmp_path / "d.db") as store:
        merge(store, lapses(9) + lapses(7, cid="c1"), path_of)
        assert marks(store) == ([(8, "suspend")], (1, 1))
        assert marks(store, "c1") == ([], (0, 0))
        assert [leech.id for leech in store.leeches()] == [CARD]


def test_the_leech_action_is_the_settings(tmp_path: Path, path_of: str) -> None:
    with new_store(tmp_path / "d.db") as store:
        store.set_setting("leech_action", "tag")
        store.set_setting("leech_threshold", "4")
        merge(store, lapses(6), path_of)
        assert marks(store) == ([(4, "tag"), (6, "tag")], (1, 0))


def test_a_merge_takes_back_a_leech_its_lapse_no_longer_makes(tmp_path: Path) -> None:
    """The eighth lapse studied in dlcards made a leech; an Anki review of the same day, earlier,
    is that day's scheduled grade, so the lapse becomes a re-drill: seven lapses, no leech, and
    the suspension the leech made is taken back."""
    with new_store(tmp_path / "d.db") as store:
        rows = lapses(8)
        for r in rows:
            give(store, CARD, r.grade, at(r.day, 12))
        assert marks(store) == ([(8, "suspend")], (1, 1))
        last_lapse = rows[-2].day
        assert store.leech_changes([anki(CARD, last_lapse, 8, 4)], h.merge_rules()) == {
            CARD: False
        }  # what a dry run says, and nothing written
        assert marks(store) == ([(8, "suspend")], (1, 1))
        merge(store, [anki(CARD, last_lapse, 8, 4)], "rows")
        assert marks(store) == ([], (0, 0))
        assert h.state(store, CARD).lapses == 7


def test_a_suspension_the_learner_made_is_not_taken_back(tmp_path: Path) -> None:
    """Only a leech's own suspension is taken back with it: a card the learner suspended and
    that never fired stays suspended."""
    with new_store(tmp_path / "d.db") as store:
        for r in lapses(7):
            give(store, CARD, r.grade, at(r.day, 12))
        store.set_suspended([CARD], True)
        merge(store, [anki(CARD, D + timedelta(1), 8, 4)], "rows")
        assert marks(store) == ([], (0, 1))


def test_undo_of_an_earlier_lapse_takes_a_later_leech_back(tmp_path: Path) -> None:
    with new_store(tmp_path / "d.db") as store:
        ids = [give(store, CARD, r.grade, at(r.day, 12)) for r in lapses(8)]
        assert marks(store) == ([(8, "suspend")], (1, 1))
        h.undo(store, ids[1])  # the first lapse
        assert marks(store) == ([], (0, 0))


def test_a_forget_keeps_the_leech_a_row_after_it_still_makes(tmp_path: Path, path_of: str) -> None:
    """Four lapses in dlcards, then a Forget on the phone and four lapses there, while dlcards
    had four more: its eighth lapse made a leech, and from the Forget it is the eighth still
    (four on the phone, four here). The import cleared the card's mark with the reset point's
    move and the replay, finding that row's mark unchanged, never set it again: (0, 1), a
    suspended card no list showed as a leech."""
    with new_store(tmp_path / "d.db") as store:
        ours = lapses(4)
        for r in ours:
            give(store, CARD, r.grade, at(r.day, 12))
        forget = at(ours[-1].day + timedelta(1), 6)
        phone = lapses(4, forget.date())
        for r in lapses(4, phone[-1].day + timedelta(1))[1:]:
            give(store, CARD, r.grade, at(r.day, 12))
        assert marks(store) == ([(8, "suspend")], (1, 1))
        given = columns_of(phone) if path_of == "columns" else phone
        resets = {CARD: int(forget.timestamp() * 1000)}
        store.merge_reviews(given, h.merge_rules(many=True), resets)  # type: ignore[arg-type]
        assert marks(store) == ([(8, "suspend")], (1, 1))
        assert [leech.id for leech in store.leeches()] == [CARD]


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 12), st.integers(0, 5), st.booleans()), min_size=1, max_size=40
    ),
    st.sampled_from(PATHS),
    st.integers(2, 5),
)
def test_marks_are_those_of_grading_the_whole_log_in_time_order(
    tmp_path_factory: pytest.TempPathFactory,
    picked: list[tuple[int, int, bool]],
    path: tuple[str, bool],
    threshold: int,
) -> None:
    """Grades on days 0..12, each given in dlcards (first, in time order) or in Anki (merged
    after): the same rows fire, and the card has the same marks, as when every grade is given
    in dlcards in time order."""
    import dlcards.store.merge as merging

    tmp = tmp_path_factory.mktemp("l")
    timed = [(day, n, grade, ours) for n, (day, grade, ours) in enumerate(picked)]
    timed.sort()
    kind, many = path
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(merging, "MANY_ROWS", 1 if many else 10**9)
        mp.setattr(merging, "BULK_ROWS", 1 if many else 10**9)
        results = []
        for split in (True, False):
            with one_card_copy(tmp_path_factory, tmp / f"{split}.db") as store:
                store.set_setting("leech_threshold", str(threshold))
                theirs = []
                for day, n, grade, ours in timed:
                    when = at(D + timedelta(day), 0) + timedelta(minutes=n)
                    if split and not ours:
                        ms = int(when.timestamp() * 1000)
                        stamp = when.isoformat(timespec="milliseconds")
                        theirs.append(ImportedReview(CARD, ms, stamp, when.date(), grade))
                    else:
                        give(store, CARD, grade, when)
                if theirs:
                    merge(store, theirs, kind)
                kinds = store.query("SELECT kind, lapses_after FROM reviews ORDER BY at, id")
                results.append((kinds, marks(store)))
    assert results[0] == results[1]


def test_a_suspension_taken_back_is_not_kept_by_a_leech_that_only_tags(tmp_path: Path) -> None:
    """A dlcards lapse suspended the card as a leech; the learner then set `leech_action tag`.
    An earlier Again that day from the phone is now the day's lapse: it fires `tag`, and the
    dlcards lapse (a re-drill now) takes its suspension back, as grading the whole log in time
    order under the settings now would leave it: a leech, not suspended."""
    with new_store(tmp_path / "d.db") as store:
        rows = lapses(8)
        for r in rows[:-1]:
            give(store, CARD, r.grade, at(r.day, 12))
        assert marks(store) == ([(8, "suspend")], (1, 1))
        store.set_setting("leech_action", "tag")
        merge(store, [anki(CARD, rows[-2].day, 8, 0)], "rows")
        assert marks(store) == ([(8, "tag")], (1, 0))


def test_a_leech_suspension_or_its_taking_back_is_timed(tmp_path: Path, path_of: str) -> None:
    """The import's leech suspension is a change dlcards makes at the import: its time is
    then, so the same import's Anki state (older: the card's last change in Anki) does not
    take it back (`import anki` lets the newer change win); a merge that takes the leech back
    times the unsuspension too."""
    import time

    with new_store(tmp_path / "d.db") as store:
        before = int(time.time())
        merge(store, lapses(9), path_of)
        (changed,) = store.query("SELECT suspended_changed FROM cards WHERE id = ?", (CARD,))[0]
        assert before <= changed <= int(time.time())
    with new_store(tmp_path / "e.db") as store:
        rows = lapses(8)
        for r in rows:
            give(store, CARD, r.grade, at(r.day, 12))
        (graded,) = store.query("SELECT suspended_changed FROM cards WHERE id = ?", (CARD,))[0]
        assert graded == int(at(rows[-2].day, 12).timestamp())  # the eighth lapse's time
        before = int(time.time())
        merge(store, [anki(CARD, rows[-2].day, 8, 4)], "rows")
        assert marks(store) == ([], (0, 0))
        (changed,) = store.query("SELECT suspended_changed FROM cards WHERE id = ?", (CARD,))[0]
        assert before <= changed <= int(time.time())


def test_a_leech_moved_behind_an_unsuspend_does_not_suspend_the_card_again(
    tmp_path: Path, path_of: str
) -> None:
    """A torture run: lapses here made gd-1 a leech and suspended it; the learner unsuspended
    it; an import then brought an older lapse from the phone, which moved the leech onto an
    earlier review, and the import suspended the card again, timed at the import, though the
    learner's unsuspend was newer than every review behind it. The newer change wins: the
    mark moves, the flag stays the learner's."""
    with new_store(tmp_path / "d.db") as store:
        store.set_setting("leech_threshold", "4")
        rows = lapses(4, D + timedelta(2))
        for r in rows:
            give(store, CARD, r.grade, at(r.day, 12))
        assert marks(store) == ([(4, "suspend")], (1, 1))
        store.set_suspended([CARD], False, at(rows[-1].day + timedelta(1), 12))
        phone = [anki(CARD, D, 9, 4), anki(CARD, D + timedelta(1), 9, 0)]
        assert store.leech_changes(phone, h.merge_rules()) == {}  # a dry run's answer
        merge(store, phone, path_of)
        assert marks(store) == ([(4, "suspend")], (1, 0))  # the leech is now the 3rd lapse here
        assert h.state(store, CARD).lapses == 5


@pytest.mark.parametrize("unsuspended_after", [True, False])
def test_a_card_never_studied_here_is_suspended_by_a_leech_newer_than_its_last_change(
    tmp_path: Path, path_of: str, unsuspended_after: bool
) -> None:
    """Lapses studied on the phone make a card never studied here a leech: suspended, unless
    the learner changed its flag here after the review that made it (the same rule on every
    merge path, the cards with no log decided at once too)."""
    with new_store(tmp_path / "d.db") as store:
        store.set_setting("leech_threshold", "4")
        rows = lapses(4)
        store.set_suspended([CARD], True, at(D - timedelta(1), 12))
        when = rows[-1].day + timedelta(1) if unsuspended_after else D - timedelta(1)
        store.set_suspended([CARD], False, at(when, 13))
        other = [anki("c1", r.day, 10, r.grade) for r in rows]  # changed nothing here
        predicted = store.leech_changes(rows + other, h.merge_rules(many=True))  # a dry run
        merge(store, rows + other, path_of)
        assert predicted == {"c1": True, **({} if unsuspended_after else {CARD: True})}
        assert marks(store) == ([(4, "suspend")], (1, 0 if unsuspended_after else 1))
        assert marks(store, "c1") == ([(4, "suspend")], (1, 1))


@settings(max_examples=60)
@given(
    here=st.lists(st.sampled_from([0, 4]), max_size=12),
    phone=st.lists(st.sampled_from([0, 4]), max_size=12),
    reset_day=st.none() | st.integers(0, 25),
    threshold=st.integers(2, 4),
)
def test_a_dry_run_names_the_suspensions_the_merge_then_makes(
    tmp_path_factory: pytest.TempPathFactory,
    here: list[int],
    phone: list[int],
    reset_day: int | None,
    threshold: int,
) -> None:
    """Grades given here on even days, the phone's on odd days, and perhaps a Forget in Anki
    among them: what `leech_changes` (the dry run) says the import would suspend or unsuspend
    is what the merge then changes. The dry run used to leave out every card whose reset
    point the merge moves, so a Forget before the lapses that make a leech hid its
    suspension, and a Forget among them hid a leech taken back."""
    path = tmp_path_factory.mktemp("dry") / "d.db"
    with one_card_copy(tmp_path_factory, path) as store:
        store.set_setting("leech_threshold", str(threshold))
        for k, g in enumerate(here):
            give(store, CARD, g, at(D + timedelta(2 * k), 12))
        rows = [anki(CARD, D + timedelta(2 * k + 1), 12, g) for k, g in enumerate(phone)]
        resets = {}
        if reset_day is not None:
            resets[CARD] = int(at(D + timedelta(reset_day), 6).timestamp() * 1000)
        before = marks(store)[1][1]
        predicted = store.leech_changes(rows, h.merge_rules(), resets)
        store.merge_reviews(rows, h.merge_rules(), resets)
        after = marks(store)[1][1]
        assert predicted == ({CARD: bool(after)} if after != before else {})
