"""What `dlcards import anki` leaves out and cannot take at any later import is said once, with
a real Anki (the `anki` package): previews in a filtered deck that does not reschedule stay in
Anki's log, so every later export holds them, and each import said them again."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from anki_backend import CardAnswer, Collection

from tests import helpers as h
from tests.test_import_anki_real import (
    Phone,
    anki_notes,
    cli,
    export_anki,
    export_colpkg,
    log_of,
    on_the_phone,
)


@pytest.fixture(autouse=True, scope="module")
def kolkata() -> Iterator[None]:
    with h.time_zone("Asia/Kolkata"):
        yield


def test_previews_are_said_once_and_again_only_when_more_come(tmp_path: Path) -> None:
    db, col = on_the_phone(tmp_path)

    def preview(card: int) -> None:
        states = col._backend.get_scheduling_states(card)
        shown = col.get_card(card)
        shown.start_timer()
        col.sched.answer_card(
            col.sched.build_answer(card=shown, states=states, rating=CardAnswer.GOOD)
        )

    try:
        card = anki_notes(col)["gd-1"].cards()[0].id
        deck = col.sched.get_or_create_filtered_deck(0)
        deck.name = "Preview"
        deck.config.reschedule = False
        deck.config.search_terms[0].search = "CardId:gd-1"
        filtered = col.sched.add_or_update_filtered_deck(deck).id
        preview(card)  # Good: back in its deck, still new
        export_anki(col, tmp_path / "one.apkg", legacy=False)
        col.sched.rebuild_filtered_deck(filtered)
        preview(card)
        export_anki(col, tmp_path / "two.apkg", legacy=False)
    finally:
        col.close()
    line = "not imported: {} from Anki's filtered decks that do not reschedule"
    out = cli("import", "anki", str(tmp_path / "one.apkg"), "--db", str(db))
    assert line.format("1 preview answer") in out, out
    for again in ("--dry-run", None):
        out = cli(
            "import", "anki", str(tmp_path / "one.apkg"), "--db", str(db), *filter(None, [again])
        )
        assert "filtered decks" not in out, out
    out = cli("import", "anki", str(tmp_path / "two.apkg"), "--db", str(db))
    assert line.format("2 preview answers") in out, out  # one more: the card's are said
    out = cli("import", "anki", str(tmp_path / "two.apkg"), "--db", str(db))
    assert "filtered decks" not in out, out


def test_answers_imported_before_their_note_was_deleted_are_not_said_not_imported(
    tmp_path: Path,
) -> None:
    """A card answered on the phone and imported (a .colpkg); then its note deleted in Anki.
    The next .colpkg keeps the answer's log without the note, and the import said 'not
    imported: 1 review of cards deleted in Anki', though the review is in the log since the
    first import. An answer the log holds is not counted."""
    db, col = on_the_phone(tmp_path)
    try:
        note = anki_notes(col)["gd-1"]
        Phone(col, days=0).answer(note.cards()[0].id, 3)
    finally:
        col.close()
    export_colpkg(tmp_path / "anki", tmp_path / "one.colpkg", legacy=False)
    out = cli("import", "anki", str(tmp_path / "one.colpkg"), "--db", str(db))
    assert "imported 1 review of 1 card" in out, out
    col = Collection(str(tmp_path / "anki" / "collection.anki2"))
    col.remove_notes([note.id])
    col.close()
    export_colpkg(tmp_path / "anki", tmp_path / "two.colpkg", legacy=False)
    for dry in (("--dry-run",), ()):
        out = cli("import", "anki", str(tmp_path / "two.colpkg"), "--db", str(db), *dry)
        assert "deleted in Anki" not in out, out
    assert [row[0] for row in log_of(db)] == ["gd-1"]
