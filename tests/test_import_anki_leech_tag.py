"""Anki's tag edits on import, with a real Anki (the `anki` package): the way an Anki user
takes a leech's mark off is to remove its note's `leech` tag. `dlcards import anki` reads that
removal as `dlcards unleech`: the mark goes, the lapses, log and schedule stay, a suspension
stays (Anki's is its own flag, taken as every suspension is: the newer change wins). A note
whose tag never reached Anki (changed there before the leech was made) keeps the mark."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from anki_backend import Collection, ImportAnkiPackageOptions, ImportAnkiPackageRequest

from tests import helpers as h
from tests.test_import_anki_real import (
    Phone,
    anki_notes,
    backdate_dlcards,
    cli,
    export_anki,
    log_of,
    nine_lapses,
    on_the_phone,
)

LEECH = "gd-1"


@pytest.fixture(autouse=True, scope="module")
def kolkata() -> Iterator[None]:
    with h.time_zone("Asia/Kolkata"):
        yield


def leeches(db: Path) -> list[tuple[str, int, bool]]:
    listed = json.loads(cli("list", "--leeches", "--json", "--db", str(db)))
    return [(c["id"], c["lapses"], c["suspended"]) for c in listed]


def schedule(db: Path) -> dict[str, Any]:
    """The card's state as `show --json` gives it, but its leech mark."""
    state: dict[str, Any] = json.loads(cli("show", LEECH, "--json", "--db", str(db)))["state"]
    return {key: value for key, value in state.items() if key != "leech"}


def test_a_leech_tag_removed_in_anki_takes_the_mark_off(tmp_path: Path) -> None:
    """Nine lapses on the phone: Anki tags the note `leech`, the import makes the card a
    leech here (suspended, dlcards's leech_action). The learner rewrites the card and removes
    the tag in Anki: the next import took no notice, and the card stayed a leech here on
    every import after. Now it is unleeched as `dlcards unleech` would: lapses, log and
    schedule kept, the suspension too; the same file again changes nothing, and the older
    file that still has the tag does not put the mark back."""
    db, col = on_the_phone(tmp_path)
    try:
        card = nine_lapses(col, LEECH)
        nid = col.get_card(card).nid
        assert "leech" in col.get_note(nid).tags
        export_anki(col, tmp_path / "tagged.apkg", legacy=False)
        note = col.get_note(nid)
        note.remove_tag("leech")
        col.update_note(note)
        export_anki(col, tmp_path / "untagged.apkg", legacy=True)
    finally:
        col.close()
    cli("import", "anki", str(tmp_path / "tagged.apkg"), "--db", str(db))
    assert leeches(db) == [(LEECH, 9, True)]
    before = (log_of(db), schedule(db))
    dry = cli("import", "anki", str(tmp_path / "untagged.apkg"), "--db", str(db), "--dry-run")
    assert f"would take the leech mark off 1 card ({LEECH})" in dry, dry
    assert leeches(db) == [(LEECH, 9, True)]
    out = cli("import", "anki", str(tmp_path / "untagged.apkg"), "--db", str(db))
    assert f"took the leech mark off 1 card ({LEECH}) whose note's `leech` tag" in out, out
    assert f"still suspended ({LEECH})" in out, out
    assert leeches(db) == []
    assert (log_of(db), schedule(db)) == before  # lapses, log, schedule, suspension kept
    for again in ("untagged.apkg", "tagged.apkg"):
        out = cli("import", "anki", str(tmp_path / again), "--db", str(db))
        assert "leech mark" not in out, out
        assert leeches(db) == []


def test_a_note_that_never_had_the_tag_keeps_the_leech(tmp_path: Path) -> None:
    """Anki's leech threshold raised on the phone (its deck options), so Anki never tags the
    note; dlcards's rule (8) makes the card a leech from the same lapses. The note has no
    `leech` tag but it last changed before the lapses (when it went to the phone): nothing
    took the mark off in Anki, and the card stays a leech here."""
    db, col = on_the_phone(tmp_path)
    try:
        did = col.decks.id_for_name("Deep Learning::Gradient Descent and Its Variants")
        conf = col.decks.config_dict_for_deck_id(did)
        conf["lapse"]["leechFails"] = 99
        col.decks.update_config(conf)
        nid = anki_notes(col)[LEECH].id
        # the package went to the phone before the month of lapses
        col.db.execute(f"UPDATE notes SET mod = mod - 40 * 86400 WHERE id = {nid}")
        nine_lapses(col, LEECH)
        assert "leech" not in col.get_note(nid).tags
        export_anki(col, tmp_path / "phone.apkg", legacy=False)
    finally:
        col.close()
    out = cli("import", "anki", str(tmp_path / "phone.apkg"), "--db", str(db))
    assert "leech mark" not in out, out
    assert leeches(db) == [(LEECH, 9, True)]


def test_a_leech_anki_suspended_comes_back_whole_when_untagged_and_unsuspended(
    tmp_path: Path,
) -> None:
    """Anki's leech action set to Suspend on the phone: at the eighth lapse Anki tags the note
    and suspends the card, and the import makes it a leech here, suspended. The learner
    rewrites it on the phone, removes the tag and unsuspends it there: the next import takes
    both, the mark off (the tag) and the card back in study (the suspension, the newer change
    winning as for every card)."""
    db, col = on_the_phone(tmp_path)
    try:
        did = col.decks.id_for_name("Deep Learning::Gradient Descent and Its Variants")
        conf = col.decks.config_dict_for_deck_id(did)
        conf["lapse"]["leechAction"] = 0  # Anki's "Suspend Card"
        col.decks.update_config(conf)
        card = anki_notes(col)[LEECH].cards()[0].id
        phone = Phone(col, days=30)
        phone.answer(card, 3)
        phone.answer(card, 3)
        for lapse in range(1, 9):  # the eighth lapse makes it a leech: suspended there
            phone.next_day()
            phone.answer(card, 1)
            if lapse < 8:
                phone.answer(card, 3)
        assert col.get_card(card).queue == -1
        export_anki(col, tmp_path / "suspended.apkg", legacy=False)
    finally:
        col.close()
    cli("import", "anki", str(tmp_path / "suspended.apkg"), "--db", str(db))
    assert leeches(db) == [(LEECH, 8, True)]
    backdate_dlcards(db, LEECH, 60)  # the import a minute before the phone's changes
    col = Collection(str(tmp_path / "anki" / "collection.anki2"))
    try:
        note = col.get_note(col.get_card(card).nid)
        note.remove_tag("leech")
        col.update_note(note)
        col.sched.unsuspend_cards([card])
        export_anki(col, tmp_path / "back.apkg", legacy=False)
    finally:
        col.close()
    out = cli("import", "anki", str(tmp_path / "back.apkg"), "--db", str(db))
    assert f"took the leech mark off 1 card ({LEECH})" in out, out
    assert "still suspended" not in out, out
    assert f"unsuspended 1 card ({LEECH})" in out, out
    assert leeches(db) == []
    listed = json.loads(cli("list", "--json", "--db", str(db)))
    assert [c["suspended"] for c in listed if c["id"] == LEECH] == [False]


def test_a_leech_made_or_taken_off_here_reaches_the_note_anki_has(tmp_path: Path) -> None:
    """The note went to Anki before the card became a leech here. `export anki
    --with-progress` gave the note Anki's `leech` tag but dated it from the card's text, so
    Anki, which replaces only an older note, kept its note without the tag; and after
    `dlcards unleech` the tag stayed in Anki for good. Now the note is dated from the mark's
    change too: the tag reaches Anki's note, and so does its removal."""
    from dlcards.days import local_study_day
    from dlcards.store import Store

    db, col = on_the_phone(tmp_path)
    col.close()
    cli("config", "leech_threshold", "1", "--db", str(db))
    today, now = local_study_day(), datetime.now().astimezone()
    with Store.open(db) as store:
        h.grade(store, LEECH, 4, today - timedelta(10), now - timedelta(10))
        # its lapse, after the note went to Anki, and seconds before the unleech below (Anki
        # keeps a note's time in whole seconds, and replaces a note only with a newer one)
        h.grade(store, LEECH, 1, today, now - timedelta(seconds=2))
    assert leeches(db) == [(LEECH, 1, True)]

    assert "leech" in into_the_phone(db, tmp_path, "leech.apkg")
    cli("unleech", LEECH, "--db", str(db))
    assert "leech" not in into_the_phone(db, tmp_path, "unleeched.apkg")


def made_a_leech_here(db: Path) -> None:
    """LEECH a leech here, made after its note went to Anki: threshold 1, a pass 10 days ago
    and a lapse seconds ago."""
    from dlcards.days import local_study_day
    from dlcards.store import Store

    cli("config", "leech_threshold", "1", "--db", str(db))
    today, now = local_study_day(), datetime.now().astimezone()
    with Store.open(db) as store:
        h.grade(store, LEECH, 4, today - timedelta(10), now - timedelta(10))
        h.grade(store, LEECH, 1, today, now - timedelta(seconds=3))
    assert leeches(db) == [(LEECH, 1, True)]


def studied_on_the_phone(col: Collection) -> None:
    """Another card answered in Anki: the file Anki exports carries scheduling."""
    Phone(col, days=1).answer(anki_notes(col)["gd-2"].cards()[0].id, 3)


def into_the_phone(db: Path, tmp_path: Path, package: str) -> list[str]:
    """`export anki --with-progress` imported into the phone's collection: the leech's tags
    there after it."""
    cli("export", "anki", "-o", str(tmp_path / package), "--with-progress", "--db", str(db))
    col = Collection(str(tmp_path / "anki" / "collection.anki2"))
    try:
        col.import_anki_package(
            ImportAnkiPackageRequest(
                package_path=str(tmp_path / package),
                options=ImportAnkiPackageOptions(with_scheduling=True),
            )
        )
        assert col.note_count() == len(anki_notes(col))  # no note twice
        tags: list[str] = anki_notes(col)[LEECH].tags
        return tags
    finally:
        col.close()


def test_a_note_edited_in_anki_that_never_had_the_tag_keeps_the_leech(tmp_path: Path) -> None:
    """The card becomes a leech here after its note went to Anki; no export since, so the
    note there never had the `leech` tag. The learner edits that note in Anki (a typo): the
    import read "changed after the leech was made, no tag" as the tag's removal and took the
    mark off. Now only a tag an export sent (or an import found) and that is gone counts.
    Then an `export anki --with-progress` sends the tag in a note older than the one Anki
    has (the edit there is newer): Anki keeps its note, without the tag, and the next import
    still leaves the mark (the note found without the tag at the earlier import was newer
    than the one sent)."""
    db, col = on_the_phone(tmp_path)
    col.close()
    made_a_leech_here(db)
    col = Collection(str(tmp_path / "anki" / "collection.anki2"))
    try:
        studied_on_the_phone(col)
        note = anki_notes(col)[LEECH]
        note["Front"] += " (typo fixed)"
        col.update_note(note)
        export_anki(col, tmp_path / "edited.apkg", legacy=False)
    finally:
        col.close()
    out = cli("import", "anki", str(tmp_path / "edited.apkg"), "--db", str(db))
    assert "leech mark" not in out, out
    assert leeches(db) == [(LEECH, 1, True)]
    assert "leech" not in into_the_phone(db, tmp_path, "tagged.apkg")  # Anki's note is newer
    col = Collection(str(tmp_path / "anki" / "collection.anki2"))
    try:
        export_anki(col, tmp_path / "again.apkg", legacy=False)
    finally:
        col.close()
    out = cli("import", "anki", str(tmp_path / "again.apkg"), "--db", str(db))
    assert "leech mark" not in out, out
    assert leeches(db) == [(LEECH, 1, True)]


def test_a_tag_an_export_sent_and_removed_in_anki_takes_the_mark_off(tmp_path: Path) -> None:
    """The card becomes a leech here; `export anki --with-progress` gives its note the tag in
    Anki, and an import of the phone's export finds it there. The learner rewrites the card
    there and removes the tag: the import takes the mark off, as `dlcards unleech`. A later
    edit there changes nothing more."""
    db, col = on_the_phone(tmp_path)
    col.close()
    made_a_leech_here(db)
    assert "leech" in into_the_phone(db, tmp_path, "tagged.apkg")
    col = Collection(str(tmp_path / "anki" / "collection.anki2"))
    try:
        studied_on_the_phone(col)
        export_anki(col, tmp_path / "still-tagged.apkg", legacy=False)
        note = anki_notes(col)[LEECH]
        note.remove_tag("leech")
        col.update_note(note)
        export_anki(col, tmp_path / "untagged.apkg", legacy=False)
    finally:
        col.close()
    out = cli("import", "anki", str(tmp_path / "still-tagged.apkg"), "--db", str(db))
    assert "leech mark" not in out, out
    out = cli("import", "anki", str(tmp_path / "untagged.apkg"), "--db", str(db))
    assert f"took the leech mark off 1 card ({LEECH}) whose note's `leech` tag" in out, out
    assert leeches(db) == []


def test_a_tag_sent_in_a_package_never_imported_into_anki_takes_no_mark_off(
    tmp_path: Path,
) -> None:
    """The card becomes a leech here; `export anki --with-progress` writes its note with the
    tag, but that package never goes into Anki. The learner then edits the note in Anki (it
    never had the tag there): the import read the tag as sent, Anki's note as changed since
    without it, and took the mark off. Only a tag an import found in Anki counts now
    (`test_a_tag_an_export_sent_and_removed_in_anki_takes_the_mark_off`)."""
    db, col = on_the_phone(tmp_path)
    col.close()
    made_a_leech_here(db)
    cli("export", "anki", "-o", str(tmp_path / "unused.apkg"), "--with-progress", "--db", str(db))
    col = Collection(str(tmp_path / "anki" / "collection.anki2"))
    try:
        studied_on_the_phone(col)
        note = anki_notes(col)[LEECH]
        note["Front"] += " (typo fixed)"
        col.update_note(note)
        # the edit seconds after the package was written (Anki's time is in whole seconds)
        col.db.execute(f"UPDATE notes SET mod = mod + 5 WHERE id = {note.id}")
        assert "leech" not in col.get_note(note.id).tags
        export_anki(col, tmp_path / "edited.apkg", legacy=False)
    finally:
        col.close()
    out = cli("import", "anki", str(tmp_path / "edited.apkg"), "--db", str(db))
    assert "leech mark" not in out, out
    assert leeches(db) == [(LEECH, 1, True)]


def test_a_tag_a_text_export_took_off_in_anki_is_not_the_learners(tmp_path: Path) -> None:
    """The tag reached Anki in a package; then `export text` goes into Anki: its notes carry
    no `leech` tag (as a package without progress), and Anki's text import replaces a note's
    tags, dating the note then. That was read as the learner's removal, and the card was
    unleeched here; the text export now keeps that its notes carry none."""
    from tests.test_export_anki_real import import_text

    db, col = on_the_phone(tmp_path)
    col.close()
    made_a_leech_here(db)
    assert "leech" in into_the_phone(db, tmp_path, "tagged.apkg")
    cli("export", "text", "-o", str(tmp_path / "notes.txt"), "--db", str(db))
    col = Collection(str(tmp_path / "anki" / "collection.anki2"))
    try:
        import_text(col, tmp_path / "notes.txt")
        assert "leech" not in anki_notes(col)[LEECH].tags
        studied_on_the_phone(col)
        export_anki(col, tmp_path / "phone.apkg", legacy=False)
    finally:
        col.close()
    out = cli("import", "anki", str(tmp_path / "phone.apkg"), "--db", str(db))
    assert "leech mark" not in out, out
    assert leeches(db) == [(LEECH, 1, True)]
