"""The Anki round trip after three changes met in it (a deck renamed in Anki, the `leech`
tag, notes added on the phone): scenarios a demanding Anki user runs, with a real Anki."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from anki_backend import Collection

from tests import helpers as h
from tests.test_anki_deck_renamed import OURS, in_anki
from tests.test_anki_phone_notes import add, deck_names, export_package
from tests.test_anki_phone_notes import into_anki as log_of_import
from tests.test_import_anki_real import cli


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
    decks, db, col = in_anki(tmp_path)
    try:
        col.decks.rename(col.decks.id_for_name(OURS), "DL::Attention")
        package = export_package(col, tmp_path / "renamed.apkg")
        cli("import", "anki", str(package), "--decks", str(decks), "--db", str(db))
        note = add(col, "Basic", "DL::Attention", Front="What is a head?", Back="One map.")
        new = to_yaml(col, tmp_path, decks, db, "phone")
        print([f.read_text() for f in new])
        names = deck_names(col)
        count = col.note_count()
    finally:
        col.close()
    package = tmp_path / "again.apkg"
    print(cli("export", "anki", "-o", str(package), "--with-progress", "--decks", str(decks),
        "--db", str(db)))  # fmt: skip
    col = Collection(str(tmp_path / "anki" / "collection.anki2"))
    try:
        log = log_of_import(col, package)
        assert not log.conflicting, [n.fields for n in log.conflicting]
        assert deck_names(col) == names
        assert col.note_count() == count
        assert [c.did for c in col.get_note(note.id).cards()] == [col.decks.id("DL::Attention")]
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
