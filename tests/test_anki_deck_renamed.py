"""A dlcards deck the learner renamed or moved in Anki, with a real Anki (the `anki` package).

Anki matches a package's decks by name, case aside (`rslib/src/import_export/package/apkg/
import/decks.rs`: `get_deck_by_name`, else a new deck), and never moves a card it holds
(`import/cards.rs`: only a card it lacks is added). So every `export anki` after the learner
renamed `Deep Learning::Attention` in Anki made that deck again, empty, at the next import into
Anki, and a card new to the topic went into it. `dlcards import anki` now sees where each
topic's cards live and `export anki` names that deck."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from anki_backend import Collection, ImportAnkiPackageOptions, ImportAnkiPackageRequest

from tests import helpers as h
from tests.test_import_anki_real import Phone, anki_notes, cli, export_anki, into_anki

DECK = """\
topic: attention
title: Attention
cards:
  - id: att-1
    question: What does softmax do to the scores?
    answer: It turns them into weights that sum to 1.
  - id: att-2
    question: Why divide by the square root of d_k?
    answer: To keep the dot products from growing with the dimension.
  - id: att-3
    question: What are Q, K and V?
    answer: Queries, keys and values.
"""
NEW_CARD = """\
  - id: att-4
    question: What does multi-head attention add?
    answer: Several attention maps, each in a subspace of its own.
"""
OURS = "Deep Learning::Attention"


@pytest.fixture(autouse=True, scope="module")
def kolkata() -> Iterator[None]:
    with h.time_zone("Asia/Kolkata"):
        yield


def in_anki(tmp_path: Path) -> tuple[Path, Path, Collection]:
    """The user's deck `attention` in a folder, a database, `export anki --with-progress` and
    a new Anki collection that imported it, with one card answered there (so that the file
    Anki exports carries scheduling): the decks folder, the database, the open collection."""
    decks = tmp_path / "decks"
    decks.mkdir()
    (decks / "attention.yaml").write_text(DECK, encoding="utf-8")
    db = tmp_path / "progress.db"
    package = tmp_path / "first.apkg"
    cli("export", "anki", "-o", str(package), "--with-progress", "--decks", str(decks),
        "--db", str(db))  # fmt: skip
    col = into_anki(package, tmp_path / "anki")
    Phone(col, days=1).answer(anki_notes(col)["att-1"].cards()[0].id, 3)
    return decks, db, col


def decks_of(col: Collection) -> dict[str, str]:
    """Each attention card's deck in Anki, by card id."""
    return {
        cid: col.decks.name(note.cards()[0].did)
        for cid, note in anki_notes(col).items()
        if cid.startswith("att-")
    }


def import_into(folder: Path, package: Path) -> tuple[Collection, dict[str, Any]]:
    """`package` imported into the collection in `folder` (scheduling on): the open
    collection and each attention note's (id, card id) before and after."""
    col = Collection(str(folder / "collection.anki2"))
    ids = {cid: (n.id, n.cards()[0].id) for cid, n in anki_notes(col).items()}
    col.import_anki_package(
        ImportAnkiPackageRequest(
            package_path=str(package), options=ImportAnkiPackageOptions(with_scheduling=True)
        )
    )
    return col, ids


def test_a_deck_renamed_in_anki_keeps_its_name(tmp_path: Path) -> None:
    """The learner renames (and moves under a new parent) the deck in Anki, exports, and
    `dlcards import anki` brings it back; a card is added to the topic and another one edited
    here, and the next `export anki` goes into the same collection: no deck of the old name
    comes back, the notes are updated in place, and the new card joins the renamed deck."""
    decks, db, col = in_anki(tmp_path)
    try:
        col.decks.rename(col.decks.id_for_name(OURS), "DL::Attention")
        export_anki(col, tmp_path / "renamed.apkg", legacy=False)
    finally:
        col.close()
    out = cli("import", "anki", str(tmp_path / "renamed.apkg"), "--decks", str(decks),
              "--db", str(db))  # fmt: skip
    assert "named the Anki deck of attention 'DL::Attention', as in Anki" in out, out
    # a search's `deck:` names the deck as Anki does
    found = cli("search", 'deck:"dl::attention"', "--decks", str(decks), "--db", str(db))
    assert "att-1" in found and "att-2" in found, found
    text = (decks / "attention.yaml").read_text(encoding="utf-8")
    text = text.replace("Queries, keys and values.", "The queries, the keys and the values.")
    (decks / "attention.yaml").write_text(text + NEW_CARD, encoding="utf-8")
    package = tmp_path / "again.apkg"
    cli("export", "anki", "-o", str(package), "--with-progress", "--decks", str(decks),
        "--db", str(db))  # fmt: skip
    col, before = import_into(tmp_path / "anki", package)
    try:
        names = col.decks.all_names_and_ids()
        assert OURS.casefold() not in {d.name.casefold() for d in names}
        assert decks_of(col) == dict.fromkeys(["att-1", "att-2", "att-3", "att-4"], "DL::Attention")
        after = {cid: (n.id, n.cards()[0].id) for cid, n in anki_notes(col).items()}
        assert {cid: after[cid] for cid in before} == before  # the notes updated in place
        assert col.note_count() == len(after) == len(before) + 1
        assert "the keys" in anki_notes(col)["att-3"]["Back"]
    finally:
        col.close()
    # the text export names it so too
    out_txt = tmp_path / "notes.txt"
    cli("export", "text", "-o", str(out_txt), "--decks", str(decks), "--db", str(db))
    lines = [x for x in out_txt.read_text(encoding="utf-8").splitlines() if "\tatt-" in x]
    assert lines and all("\tDL::Attention\t" in line for line in lines), lines


def test_a_card_in_a_filtered_deck_counts_in_its_own(tmp_path: Path) -> None:
    """Every attention card borrowed by a filtered deck in Anki when the learner exports: the
    cards are still the deck's (Anki keeps their home deck, `odid`), nothing moved, and the
    next export names the deck as before (not the filtered deck, which the package would
    have made a normal deck with the new card in it)."""
    decks, db, col = in_anki(tmp_path)
    try:
        did = col.decks.new_filtered("Filtered Deck 1")
        deck = col.decks.get(did)
        deck["terms"] = [[f'deck:"{OURS}"', 100, 0]]
        col.decks.save(deck)
        col.sched.rebuild_filtered_deck(did)
        borrowed = col.db.scalar(f"SELECT count() FROM cards WHERE did = {did} AND odid != 0")
        assert borrowed == 3
        export_anki(col, tmp_path / "filtered.apkg", legacy=False)
    finally:
        col.close()
    out = cli("import", "anki", str(tmp_path / "filtered.apkg"), "--decks", str(decks),
              "--db", str(db))  # fmt: skip
    assert "named the Anki deck" not in out, out
    (decks / "attention.yaml").write_text(DECK + NEW_CARD, encoding="utf-8")
    package = tmp_path / "again.apkg"
    cli("export", "anki", "-o", str(package), "--decks", str(decks), "--db", str(db))
    col, _ = import_into(tmp_path / "anki", package)
    try:
        home = {
            cid: col.decks.name(c.odid or c.did)
            for cid, n in anki_notes(col).items()
            if cid.startswith("att-")
            for c in n.cards()
        }
        assert home == dict.fromkeys(["att-1", "att-2", "att-3", "att-4"], OURS)
        assert not col.decks.is_filtered(col.decks.id_for_name(OURS))
    finally:
        col.close()


def test_a_split_deck_takes_the_deck_most_cards_live_in(tmp_path: Path) -> None:
    """Two of the three cards moved to another deck in Anki: the topic's deck is the one
    most of them live in; the card left behind stays where it is (Anki moves no card it
    holds), and a new card goes with the most."""
    decks, db, col = in_anki(tmp_path)
    try:
        other = col.decks.id("Hard")
        assert other is not None
        notes = anki_notes(col)
        col.set_deck([notes[c].cards()[0].id for c in ("att-1", "att-2")], other)
        export_anki(col, tmp_path / "split.apkg", legacy=False)
    finally:
        col.close()
    out = cli("import", "anki", str(tmp_path / "split.apkg"), "--decks", str(decks),
              "--db", str(db))  # fmt: skip
    assert "named the Anki deck of attention 'Hard'" in out, out
    (decks / "attention.yaml").write_text(DECK + NEW_CARD, encoding="utf-8")
    package = tmp_path / "again.apkg"
    cli("export", "anki", "-o", str(package), "--decks", str(decks), "--db", str(db))
    col, _ = import_into(tmp_path / "anki", package)
    try:
        assert decks_of(col) == {"att-1": "Hard", "att-2": "Hard", "att-3": OURS, "att-4": "Hard"}
        count = Counter(col.decks.name(c) for c in col.db.list("SELECT did FROM cards"))
        assert count[OURS] == 1  # the card that stayed, not a deck made again empty
    finally:
        col.close()
    listed = json.loads(cli("list", "--json", "--decks", str(decks), "--db", str(db)))
    assert {c["id"] for c in listed} >= {"att-1", "att-4"}


def test_the_root_renamed_in_anki_does_not_come_back(tmp_path: Path) -> None:
    """The learner renames the root deck `Deep Learning` in Anki (every topic's deck is under
    the new name): no deck of the old names comes back. The package still holds the root
    deck, which Anki takes only as the parent of a deck a card of the package is in."""
    decks, db, col = in_anki(tmp_path)
    try:
        col.decks.rename(col.decks.id_for_name("Deep Learning"), "DL")
        export_anki(col, tmp_path / "renamed.apkg", legacy=False)
    finally:
        col.close()
    cli("import", "anki", str(tmp_path / "renamed.apkg"), "--decks", str(decks), "--db", str(db))
    package = tmp_path / "again.apkg"
    cli("export", "anki", "-o", str(package), "--decks", str(decks), "--db", str(db))
    col, before = import_into(tmp_path / "anki", package)
    try:
        names = {d.name for d in col.decks.all_names_and_ids()}
        assert not any(n.casefold().startswith("deep learning") for n in names), names
        assert "DL::Attention" in names
        assert col.note_count() == len(before)
    finally:
        col.close()


@pytest.mark.parametrize("target", ["Default", "Deep Learning"])
def test_cards_moved_to_a_deck_every_package_holds_stay_there(tmp_path: Path, target: str) -> None:
    """The learner moves the topic's cards into Anki's `Default` deck (id 1, which every
    package's collection holds), or into the root deck `Deep Learning`, and deletes the empty
    deck: the next package names that deck as the one it holds (a second deck of that name,
    Anki made `Default_` of it)."""
    decks, db, col = in_anki(tmp_path)
    try:
        ours = [c for n in anki_notes(col).values() if n["CardId"].startswith("att-")
                for c in n.card_ids()]  # fmt: skip
        col.set_deck(ours, col.decks.id_for_name(target))
        col.decks.remove([col.decks.id_for_name(OURS)])  # empty now: deleted
        export_anki(col, tmp_path / "moved.apkg", legacy=False)
    finally:
        col.close()
    out = cli("import", "anki", str(tmp_path / "moved.apkg"), "--decks", str(decks),
              "--db", str(db))  # fmt: skip
    assert f"named the Anki deck of attention '{target}'" in out, out
    (decks / "attention.yaml").write_text(DECK + NEW_CARD, encoding="utf-8")
    package = tmp_path / "again.apkg"
    cli("export", "anki", "-o", str(package), "--decks", str(decks), "--db", str(db))
    col, _ = import_into(tmp_path / "anki", package)
    try:
        assert decks_of(col) == dict.fromkeys(["att-1", "att-2", "att-3", "att-4"], target)
        names = {d.name.casefold() for d in col.decks.all_names_and_ids()}
        assert OURS.casefold() not in names
    finally:
        col.close()
