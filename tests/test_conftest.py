"""The suite's own fixtures: a test's deck cache is hard links to one template, so a test that
writes into a cache file in place must not leave the next test a changed cache."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import _LinkedCache


def index_files(isolated: Path, linked_cache: _LinkedCache) -> tuple[Path, Path, bytes]:
    """The test's deck index, the template's, and the template's bytes."""
    template = linked_cache.cache / "decks" / "index.json"
    return isolated / "cache" / "decks" / "index.json", template, template.read_bytes()


def test_a_cache_file_written_in_place_is_put_back_for_the_next_test(
    isolated: Path, linked_cache: _LinkedCache
) -> None:
    ours, template, before = index_files(isolated, linked_cache)
    assert ours.samefile(template)  # linked, not copied

    with ours.open("r+b") as f:  # in place, as a test damaging a cache does
        f.write(b"damaged")
    assert template.read_bytes() != before
    linked_cache.repair()
    assert template.read_bytes() == before

    linked_cache.link_to(isolated / "next")
    assert (isolated / "next" / "decks" / "index.json").read_bytes() == before


def test_a_cache_file_replaced_whole_leaves_the_template_alone(
    isolated: Path, linked_cache: _LinkedCache
) -> None:
    from dlcards.fileio import atomic_write_bytes

    ours, template, before = index_files(isolated, linked_cache)
    atomic_write_bytes(ours, b"{}", durable=False)  # how dlcards writes its cache
    assert template.read_bytes() == before
    assert ours.read_bytes() == b"{}"


@pytest.mark.no_files
def test_a_no_files_test_has_no_database_and_keeps_no_cache() -> None:
    from dlcards.catalog import load_catalog
    from dlcards.commands.common import checked_db
    from dlcards.errors import DlcardsError
    from dlcards.paths import cache_dir

    with pytest.raises(DlcardsError):
        checked_db(None)
    assert len(load_catalog().cards) > 200  # the decks parse; nothing is kept
    assert not cache_dir().is_dir()


@pytest.mark.parametrize("action", ["suspend", "tag"])
def test_an_imported_log_decides_leeches_as_grading_does(isolated: Path, action: str) -> None:
    """`helpers.import_log` wrote its rows without the leech rule: a card with eight lapses was
    neither a leech nor suspended, which no session leaves. Its log, its leech mark and its
    flag are now those that grading the same days one by one (`helpers.grade`) leaves."""
    import os
    from datetime import date, datetime, timedelta, timezone

    from typer.testing import CliRunner

    from dlcards.cli import app
    from dlcards.store import Store
    from tests import helpers as h

    assert CliRunner().invoke(app, ["config", "leech_action", action]).exit_code == 0
    days = [date(2026, 1, 1) + timedelta(n) for n in range(20)]
    history = [(days[0], 5)] + [(day, 1 if n % 2 else 5) for n, day in enumerate(days[1:])]
    stamp = datetime(2026, 2, 1, tzinfo=timezone.utc)
    h.import_log({"gd-1": history}, stamp)
    with Store.open(Path(os.environ["DLCARDS_DB"])) as store:
        for day, grade in history:
            h.grade(store, "gd-2", grade, day, stamp)
        query = "SELECT kind, grade, day, leech FROM reviews WHERE card_id = ? ORDER BY id"
        imported, graded = (store.query(query, (cid,)) for cid in ("gd-1", "gd-2"))
        flags = "SELECT leech, suspended FROM cards WHERE id = ?"
        assert [r[3] for r in graded].count(action) == 1  # the eighth lapse fired it
        assert imported == graded
        assert store.query(flags, ("gd-1",)) == store.query(flags, ("gd-2",))
        assert h.state(store, "gd-1") == h.state(store, "gd-2")


def test_the_template_database_holds_the_built_in_decks_whatever_the_shell_exports(
    synced_template: Path,
) -> None:
    """Each test starts from a copy of one synced database, made at the first test that asks
    for it, which may be before `isolated` runs. A shell exporting DLCARDS_DECKS (as one
    working on a big collection does) made it of those decks (28 tests of `test_quick.py` and
    `test_days.py` failed, the first after minutes): the suite takes the variable out."""
    import sqlite3

    from dlcards.catalog import builtin_decks_dir, read_deck

    built_in = sorted(c.id for f in builtin_decks_dir().glob("*.yaml") for c in read_deck(f).cards)
    conn = sqlite3.connect(synced_template / "dlcards.db")
    try:
        held = sorted(r[0] for r in conn.execute("SELECT id FROM cards WHERE retired = 0"))
    finally:
        conn.close()
    assert held == built_in
