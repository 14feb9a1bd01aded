"""The Anki round trip after three changes met in it (a deck renamed in Anki, the `leech`
tag, notes added on the phone): scenarios a demanding Anki user runs, with a real Anki."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from anki_backend import Collection

from tests import helpers as h
from tests.test_anki_deck_renamed import OURS, in_anki
from tests.test_anki_phone_notes import RED, add, deck_names, export_package
from tests.test_anki_phone_notes import into_anki as log_of_import
from tests.test_import_anki_real import Phone, cli, nine_lapses


@pytest.fixture(autouse=True, scope="module")
def kolkata() -> Iterator[None]:
    with h.time_zone("Asia/Kolkata"):
        yield


def to_yaml(col: Collection, tmp_path: Path, decks: Path, db: Path, name: str) -> list[Path]:
    """The collection exported, `import anki --to-yaml` of it into the decks folder (as the
    README says: the new deck files beside the others): the files written."""
    package = export_package(col, tmp_path / f"{name}.apkg")
    out = tmp_path / f"{name}-yaml"
    cli("import", "anki", str(package), "--to-yaml", str(out), "--decks", str(decks),
        "--db", str(db))  # fmt: skip
    moved = []
    for file in sorted(out.glob("*.yaml")):
        moved.append(file.rename(decks / file.name))
    return moved


def test_a_phone_note_in_a_renamed_deck_goes_back_there(tmp_path: Path) -> None:
    """The learner renames a topic's deck in Anki, then adds a note on the phone to the
    renamed deck, brings it in with `--to-yaml`, and goes round twice: one deck, no empty one,
    the note not "conflicting", an edit of its card reaching it, and Anki's text import of
    `export text` making no deck either."""
    from tests.test_export_anki_real import import_text

    decks, db, col = in_anki(tmp_path)
    args = ("--decks", str(decks), "--db", str(db))
    try:
        col.decks.rename(col.decks.id_for_name(OURS), "DL::Attention")
        cli("import", "anki", str(export_package(col, tmp_path / "renamed.apkg")), *args)
        note = add(col, "Basic", "DL::Attention", Front="What is a head?", Back="One map.")
        (file,) = to_yaml(col, tmp_path, decks, db, "phone")
        names, count = deck_names(col), col.note_count()
        for n in (1, 2):
            package = tmp_path / f"again-{n}.apkg"
            cli("export", "anki", "-o", str(package), "--with-progress", *args)
            log = log_of_import(col, package)
            assert not log.conflicting, [n.fields for n in log.conflicting]
            assert deck_names(col) == names
            assert col.note_count() == count
            assert [c.did for c in col.get_note(note.id).cards()] == [col.decks.id("DL::Attention")]
            out = cli("import", "anki", str(export_package(col, tmp_path / f"b{n}.apkg")), *args)
            assert "named the Anki deck" not in out, out
            if n == 1:  # an edit here: the second package carries it
                text = file.read_text(encoding="utf-8").replace("One map.", "One attention map.")
                file.write_text(text, encoding="utf-8")
                later = time.time() + 60
                os.utime(file, (later, later))
        assert "One attention map." in col.get_note(note.id)["Back"]
        text = file.read_text(encoding="utf-8").replace("One attention map.", "A map per head.")
        file.write_text(text, encoding="utf-8")
        out_txt = tmp_path / "notes.txt"
        cli("export", "text", "-o", str(out_txt), *args)
        log = import_text(col, out_txt)
        assert deck_names(col) == names and col.note_count() == count
        assert "A map per head." in col.get_note(note.id)["Back"]
    finally:
        col.close()


@pytest.mark.parametrize("deck", ["Default", "ML::Extra"])
def test_a_phone_note_outside_deep_learning_goes_back_where_it_lives(
    tmp_path: Path, deck: str
) -> None:
    """A note added on the phone to Anki's `Default` deck, or to a deck of the learner's own
    outside `Deep Learning`, brought in with `--to-yaml`: its deck file names that deck
    (`anki_deck:`), so an export from another database (the decks on a second computer, or
    before any import) puts it back there. It went as `Deep Learning::Default`: Anki never
    moves a note it has, and made that deck, empty, in the learner's collection."""
    decks, db, col = in_anki(tmp_path)
    try:
        col.decks.id(deck)  # (made, where it is not Default)
        note = add(col, "Basic", deck, Front="What is a head?", Back="One map.")
        (file,) = to_yaml(col, tmp_path, decks, db, "phone")
        assert yaml.safe_load(file.read_text(encoding="utf-8"))["anki_deck"] == deck
        names = deck_names(col)
        count = col.note_count()
    finally:
        col.close()
    package = tmp_path / "again.apkg"
    cli("export", "anki", "-o", str(package), "--decks", str(decks),
        "--db", str(tmp_path / "other.db"))  # fmt: skip
    col = Collection(str(tmp_path / "anki" / "collection.anki2"))
    try:
        log = log_of_import(col, package)
        assert not log.conflicting, [n.fields for n in log.conflicting]
        assert deck_names(col) == names
        assert col.note_count() == count
        assert [c.did for c in col.get_note(note.id).cards()] == [col.decks.id_for_name(deck)]
    finally:
        col.close()
    text = tmp_path / "notes.txt"
    cli("export", "text", "-o", str(text), "--decks", str(decks), "--db", str(tmp_path / "x.db"))
    (line,) = [x for x in text.read_text(encoding="utf-8").splitlines() if "One map." in x]
    assert f"\t{deck}\t" in line, line


def test_a_leech_in_a_renamed_deck_untagged_in_anki(tmp_path: Path) -> None:
    """A leech whose deck the learner renamed in Anki: the tag removed there unleeches it
    here, and the next export sends its note without the tag, into the renamed deck (no deck
    of the old name made again), the note updated in place."""
    decks, db, col = in_anki(tmp_path)
    try:
        col.decks.rename(col.decks.id_for_name(OURS), "DL::Attention")
        card = nine_lapses(col, "att-2")
        nid = col.get_card(card).nid
        assert "leech" in col.get_note(nid).tags
        cli("import", "anki", str(export_package(col, tmp_path / "tagged.apkg")),
            "--decks", str(decks), "--db", str(db))  # fmt: skip
        listed = json.loads(
            cli("list", "--leeches", "--json", "--decks", str(decks), "--db", str(db))
        )
        assert [c["id"] for c in listed] == ["att-2"]
        package = tmp_path / "leech.apkg"
        cli("export", "anki", "-o", str(package), "--with-progress", "--decks", str(decks),
            "--db", str(db))  # fmt: skip
        log_of_import(col, package)
        names = deck_names(col)
        note = col.get_note(nid)
        note.remove_tag("leech")
        col.update_note(note)
        out = cli("import", "anki", str(export_package(col, tmp_path / "untagged.apkg")),
                  "--decks", str(decks), "--db", str(db))  # fmt: skip
        assert "took the leech mark off 1 card (att-2)" in out, out
        package = tmp_path / "after.apkg"
        cli("export", "anki", "-o", str(package), "--with-progress", "--decks", str(decks),
            "--db", str(db))  # fmt: skip
        log = log_of_import(col, package)
        assert not log.conflicting
        assert "leech" not in col.get_note(nid).tags
        assert deck_names(col) == names
        assert {col.decks.name(c.did) for c in col.get_note(nid).cards()} == {"DL::Attention"}
    finally:
        col.close()


NORMS = """\
topic: norms
title: Norms
cards:
  - id: nrm-1
    question: What is the L2 norm?
    answer: The square root of the sum of squares.
  - id: nrm-2
    question: What is the L1 norm?
    answer: The sum of the absolute values.
"""
NEW_NORM = """\
  - id: nrm-3
    question: What is the max norm?
    answer: The largest absolute value.
"""


def test_two_topics_merged_into_one_deck_in_anki(tmp_path: Path) -> None:
    """The learner moves the cards of `Norms` into the deck of `Attention` in Anki and deletes
    the empty deck: the next package, and the next text file, put every card and a new one of
    `Norms` in that deck, and make no deck `Deep Learning::Norms` again."""
    from tests.test_export_anki_real import import_text

    decks, db, col = in_anki(tmp_path)
    try:
        (decks / "norms.yaml").write_text(NORMS, encoding="utf-8")
        package = tmp_path / "norms.apkg"
        cli("export", "anki", "-o", str(package), "--with-progress", "--decks", str(decks),
            "--db", str(db))  # fmt: skip
        log_of_import(col, package)
        norms = col.decks.id_for_name("Deep Learning::Norms")
        cids = list(col.db.list(f"SELECT id FROM cards WHERE did = {norms}"))
        assert len(cids) == 2
        col.set_deck(cids, col.decks.id_for_name(OURS))
        col.decks.remove([norms])
        out = cli("import", "anki", str(export_package(col, tmp_path / "merged.apkg")),
                  "--decks", str(decks), "--db", str(db))  # fmt: skip
        assert f"named the Anki deck of norms '{OURS}'" in out, out
        names = deck_names(col)
        (decks / "norms.yaml").write_text(NORMS + NEW_NORM, encoding="utf-8")
        package = tmp_path / "again.apkg"
        cli("export", "anki", "-o", str(package), "--with-progress", "--decks", str(decks),
            "--db", str(db))  # fmt: skip
        log = log_of_import(col, package)
        assert not log.conflicting
        assert deck_names(col) == names
        where = {col.decks.name(c.did) for n in log.new for c in col.get_note(n.id.nid).cards()}
        assert where == {OURS}
        text = tmp_path / "notes.txt"
        cli("export", "text", "-o", str(text), "--decks", str(decks), "--db", str(db))
        import_text(col, text)
        assert deck_names(col) == names
    finally:
        col.close()


def test_a_phone_note_is_not_replaced_by_a_change_of_its_rendering_alone(tmp_path: Path) -> None:
    """A note added on the phone last month (red text, which no Markdown holds), brought in
    with `--to-yaml` and exported back: Anki keeps the learner's note, dated as in Anki. Then
    its deck file is retitled (its cards untouched), which changes the note's bytes (its
    Topic field) with no edit of its card: the export that saw it dated the note a second
    after the rendering's date (NOTES_CHANGED), newer than the learner's, and Anki replaced
    the learner's red with dlcards's rendering of it. A note kept in its own note type is
    replaced by an edit of its card's text only."""
    decks, db, col = in_anki(tmp_path)
    try:
        note = add(col, "Basic", "Default", Front="Why <b>clip</b> gradients?", Back=RED)
        month_ago = int(time.time()) - 30 * 86400
        col.db.execute(f"UPDATE notes SET mod = {month_ago} WHERE id = {note.id}")
        (file,) = to_yaml(col, tmp_path, decks, db, "phone")
        for n in (1, 2):
            package = tmp_path / f"back-{n}.apkg"
            cli("export", "anki", "-o", str(package), "--decks", str(decks), "--db", str(db))
            log = log_of_import(col, package)
            assert not log.conflicting and not log.updated, [n.fields for n in log.updated]
            assert col.get_note(note.id)["Back"] == RED
            text = file.read_text(encoding="utf-8")
            file.write_text(text.replace("title: Default", "title: From the phone"))
    finally:
        col.close()


def test_a_database_upgraded_from_before_anki_decks_is_told_to_import_first(
    tmp_path: Path,
) -> None:
    """A database an older dlcards imported answers from Anki into keeps no `anki_decks` (made
    here by emptying it): the deck the learner renamed in Anki is unknown until an import sees
    it, and an export would make the old deck again, empty. The export says so, and after an
    `import anki` of the collection the next export names the renamed deck, no warning."""
    import sqlite3

    decks, db, col = in_anki(tmp_path)
    try:
        col.decks.rename(col.decks.id_for_name(OURS), "DL::Attention")
        cli("import", "anki", str(export_package(col, tmp_path / "renamed.apkg")),
            "--decks", str(decks), "--db", str(db))  # fmt: skip
        conn = sqlite3.connect(db)
        with conn:
            conn.execute("DELETE FROM anki_decks")  # as a database of schema 29 migrated
        conn.close()
        args = ("--decks", str(decks), "--db", str(db))
        for command in (("anki", "-o", str(tmp_path / "up.apkg")),
                        ("text", "-o", str(tmp_path / "up.txt"))):  # fmt: skip
            out = cli("export", *command, *args)
            assert "no `import anki` has seen where your cards live in Anki" in out, out
        cli("import", "anki", str(export_package(col, tmp_path / "now.apkg")), *args)
        names = deck_names(col)
        package = tmp_path / "after.apkg"
        out = cli("export", "anki", "-o", str(package), *args)
        assert "warning" not in out, out
        log_of_import(col, package)
        assert deck_names(col) == names
    finally:
        col.close()


def test_a_leech_anki_made_before_the_upgrade_is_unleeched_by_the_tags_removal(
    tmp_path: Path,
) -> None:
    """Nine lapses on the phone: Anki tags the note, an `import anki` of an older dlcards
    (one that kept no `anki_leech_tags`, made here by emptying it and taking schema 33 back)
    makes the card a leech. The learner removes the tag in Anki and the upgraded dlcards
    imports: the import that brought the leech saw the tag, so its removal takes the mark
    off, as before the upgrade. (Kept nowhere, the card stayed a leech here for good.)"""
    import sqlite3

    decks, db, col = in_anki(tmp_path)
    args = ("--decks", str(decks), "--db", str(db))
    try:
        nid = col.get_card(nine_lapses(col, "att-2")).nid
        assert "leech" in col.get_note(nid).tags
        cli("import", "anki", str(export_package(col, tmp_path / "tagged.apkg")), *args)
        conn = sqlite3.connect(db)
        with conn:  # as an older dlcards left it: the migration of schema 33 runs again
            conn.execute("DELETE FROM anki_leech_tags")
            conn.execute("DELETE FROM _sqlite_migrations WHERE name LIKE '0033_%'")
            conn.execute("PRAGMA user_version = 32")
        conn.close()
        note = col.get_note(nid)
        note.remove_tag("leech")
        col.update_note(note)
        out = cli("import", "anki", str(export_package(col, tmp_path / "untagged.apkg")), *args)
        assert "took the leech mark off 1 card (att-2)" in out, out
        listed = json.loads(cli("list", "--leeches", "--json", *args))
        assert listed == []
    finally:
        col.close()


def test_a_phone_note_an_older_dlcards_converted_is_told_how_to_stay_updatable(
    tmp_path: Path,
) -> None:
    """A note added on the phone and converted by a dlcards before `anki_note_type:` (made
    here by taking the key out of its deck): exported in dlcards's note type under its GUID,
    it is "conflicting" in Anki for good. `--to-yaml` of the collection again skipped it as
    converted before and said nothing; it says which cards and what to do now, and done so,
    the note is updated in place, its card's reviews kept."""
    decks, db, col = in_anki(tmp_path)
    args = ("--decks", str(decks), "--db", str(db))
    try:
        note = add(col, "Basic", "Default", Front="What is a head?", Back="One map.")
        (file,) = to_yaml(col, tmp_path, decks, db, "phone")
        deck = yaml.safe_load(file.read_text(encoding="utf-8"))
        del deck["cards"][0]["anki_note_type"]  # as an older dlcards wrote it
        file.write_text(yaml.safe_dump(deck, sort_keys=False), encoding="utf-8")
        card = deck["cards"][0]["id"]
        Phone(col, days=1).answer(note.cards()[0].id, 3)
        package = tmp_path / "old.apkg"
        cli("export", "anki", "-o", str(package), *args)
        assert log_of_import(col, package).conflicting  # what the learner had
        again = export_package(col, tmp_path / "again.apkg")
        out = cli("import", "anki", str(again), "--to-yaml", str(tmp_path / "y2"), *args)
        said = f"1 card converted by an older dlcards ({card}) keep no `anki_note_type:`"
        assert said in out and str(file) in out, out
        reviews = json.loads(cli("show", card, "--json", *args))["state"]["repetitions"]
        assert reviews == 1
        file.rename(tmp_path / file.name)
        (new,) = to_yaml(col, tmp_path, decks, db, "fresh")
        assert yaml.safe_load(new.read_text(encoding="utf-8"))["cards"][0]["id"] == card
        package = tmp_path / "new.apkg"
        cli("export", "anki", "-o", str(package), *args)
        log = log_of_import(col, package)
        assert not log.conflicting, [n.fields for n in log.conflicting]
        assert json.loads(cli("show", card, "--json", *args))["state"]["repetitions"] == 1
    finally:
        col.close()


def test_an_upgraded_database_brings_the_new_rendering_and_keeps_anki_edits(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A database an older dlcards exported from keeps no digest of its notes (made here by
    emptying `exported_hash` and taking schema 34 back), and the new dlcards renders a
    computation's steps otherwise. Its first export recorded each digest as if Anki held this
    rendering: the notes of the computations kept the old steps in Anki for good. Now such a
    note is dated a second after the one Anki holds: Anki takes the new steps, and a note the
    learner edited there since keeps the edit."""
    import sqlite3

    import dlcards.engine.training as training

    decks, db, col = in_anki(tmp_path)
    args = ("--decks", str(decks), "--db", str(db))
    try:
        notes = {col.get_note(n)["CardId"]: col.get_note(n) for n in col.find_notes("")}
        steps = sorted(
            cid for cid, n in notes.items() if "gradient descent: one update" in n["Back"]
        )
        assert len(steps) >= 2, steps
        mine = notes[steps[0]]
        mine["Back"] = "My own words."
        col.update_note(mine)
        conn = sqlite3.connect(db)
        with conn:  # as before schema 32: no digest; the migration of schema 34 runs again
            conn.execute("UPDATE cards SET exported_hash = NULL")
            conn.execute("DELETE FROM _sqlite_migrations WHERE name LIKE '0034_%'")
            conn.execute("PRAGMA user_version = 33")
        conn.close()
        monkeypatch.setattr(training, "_variant", lambda n, b: "reworded")
        package = tmp_path / "upgraded.apkg"
        cli("export", "anki", "-o", str(package), "--with-progress", *args)
        log = log_of_import(col, package)
        assert not log.conflicting
        assert col.get_note(mine.id)["Back"] == "My own words."
        for cid in steps[1:]:
            assert "reworded" in col.get_note(notes[cid].id)["Back"], cid
    finally:
        col.close()
