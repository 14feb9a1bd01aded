"""A note the learner adds on the phone, in the Anki decks dlcards exported, brought in with
`import anki --to-yaml` and exported back into the same Anki collection (the real `anki`
package): it goes back into the deck it was added to (no new deck), it stays the learner's
note in Anki (not "conflicting"), an edit of its card's text in the YAML reaches it, and its
card's review history stays."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

import pytest
import yaml
from anki_backend import (
    CardAnswer,
    Collection,
    ExportAnkiPackageOptions,
    ImportAnkiPackageOptions,
    ImportAnkiPackageRequest,
    ImportCsvRequest,
)
from typer.testing import CliRunner

from dlcards.cli import app

runner = CliRunner()
BACKPROP = "Deep Learning::Core Concepts of Backpropagation & Optimization"
RED = '<span style="color: rgb(255, 0, 0);">Exploding</span> norms.'


def ok(*args: str) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def into_anki(col: Collection, package: Path) -> Any:
    """`package` imported as Anki's import dialog does by default (scheduling kept, note
    types not merged, a note updated when the package's is newer): its log."""
    return col.import_anki_package(
        ImportAnkiPackageRequest(
            package_path=str(package), options=ImportAnkiPackageOptions(with_scheduling=True)
        )
    ).log


def add(col: Collection, notetype: str, deck: str, **fields: str) -> Any:
    note = col.new_note(col.models.by_name(notetype))
    for name, value in fields.items():
        note[name.replace("_", " ")] = value
    col.add_note(note, col.decks.id(deck))
    return note


def study(col: Collection, note: Any) -> None:
    """Each card of `note` answered Good once: a review in Anki's log."""
    for card in note.cards():
        card.start_timer()
        states = col._backend.get_scheduling_states(card.id)
        col.sched.answer_card(
            col.sched.build_answer(card=card, states=states, rating=CardAnswer.GOOD)
        )


def export_package(col: Collection, path: Path) -> Path:
    col.export_anki_package(
        out_path=str(path),
        options=ExportAnkiPackageOptions(
            with_scheduling=True, with_deck_configs=False, with_media=True, legacy=False
        ),
        limit=None,
    )
    return path


def deck_names(col: Collection) -> set[str]:
    return {d.name for d in col.decks.all_names_and_ids()}


def yaml_cards(folder: Path) -> dict[str, tuple[str, dict[str, Any]]]:
    """Each card of the decks in `folder`: its deck's title and the card."""
    out = {}
    for file in sorted(folder.glob("*.yaml")):
        deck = yaml.safe_load(file.read_text(encoding="utf-8"))
        for card in deck["cards"]:
            out[card["id"]] = (deck["title"], card)
    return out


def edit_card(folder: Path, card_id: str, **sides: str) -> None:
    """The card's sides edited in its deck file, the file dated later than anything before
    (a note's time in the package is its card's edit, to the second)."""
    for file in folder.glob("*.yaml"):
        deck = yaml.safe_load(file.read_text(encoding="utf-8"))
        for card in deck["cards"]:
            if card["id"] == card_id:
                card.update(sides)
                file.write_text(yaml.safe_dump(deck, allow_unicode=True, sort_keys=False))
                later = time.time() + 60
                os.utime(file, (later, later))
                return
    raise AssertionError(f"no card {card_id} in {folder}")


@pytest.fixture
def phone(tmp_path: Path) -> dict[str, Any]:
    """dlcards's decks exported and imported into the learner's Anki collection."""
    package = tmp_path / "dlcards.apkg"
    ok("export", "anki", "-o", str(package))
    (tmp_path / "anki").mkdir()
    col = Collection(str(tmp_path / "anki" / "collection.anki2"))
    log = into_anki(col, package)
    assert not log.conflicting and log.new
    return {"dir": tmp_path, "col": col}


def round_trip(phone: dict[str, Any], notes: dict[str, Any]) -> dict[str, Any]:
    """The collection (with `notes` added and studied) exported, `--to-yaml` into a folder,
    `export anki` of dlcards's decks and that folder imported into the collection. Returns
    what each step left."""
    col, folder = phone["col"], phone["dir"]
    for note in notes.values():
        study(col, note)
    decks_before = deck_names(col)
    notes_before = col.note_count()
    file = export_package(col, folder / "phone.apkg")
    out = folder / "from-anki"
    said = ok("import", "anki", str(file), "--to-yaml", str(out))
    back = folder / "back.apkg"
    ok("export", "anki", "-o", str(back), "--decks", str(out))
    log = into_anki(col, back)
    return {
        "said": said,
        "out": out,
        "log": log,
        "decks_before": decks_before,
        "notes_before": notes_before,
        "back": back,
    }


def revlog(col: Collection, note: Any) -> int:
    return sum(
        col.db.scalar("SELECT count() FROM revlog WHERE cid = ?", card.id) for card in note.cards()
    )


def test_a_note_added_in_a_dlcards_deck_goes_back_into_that_deck(phone: dict[str, Any]) -> None:
    """A Basic note added on the phone to a dlcards topic's deck: converted, its deck was
    titled with the whole Anki deck name, and the next export made the empty deck `Deep
    Learning::Deep Learning:...` in Anki (and, titled as the topic, a second deck of the
    topic's name in the package, which Anki made a new deck `..._`)."""
    col = phone["col"]
    note = add(col, "Basic", BACKPROP, Front="Why <b>clip</b> gradients?", Back="Exploding norms.")
    trip = round_trip(phone, {"added": note})
    assert deck_names(col) == trip["decks_before"]
    assert col.note_count() == trip["notes_before"]
    ((title, card),) = yaml_cards(trip["out"]).values()
    assert title == BACKPROP.split("::", 1)[1]
    assert card["anki_guid"] == note.guid
    assert [c.did for c in col.get_note(note.id).cards()] == [col.decks.id(BACKPROP)]
    col.close()


def test_a_note_added_in_a_topics_deck_is_that_topics_card_for_every_command(
    phone: dict[str, Any],
) -> None:
    """A note added on the phone to the deck of topic `backprop`: converted, it was a second
    topic of the same title (`core-concepts-of-backpropagation`), so `list --topic backprop`,
    a study or quiz of the topic and `search topic:backprop` missed it. It is the topic's own
    card now, in a file of the learner's own cards for that topic, which the catalog counts as
    the topic's: every command that chooses by topic finds it, `topics` lists the topic once,
    and the export puts it back into the topic's deck (no new deck in Anki)."""
    col = phone["col"]
    note = add(col, "Basic", BACKPROP, Front="Why <b>clip</b> zyzzyva?", Back="Exploding norms.")
    trip = round_trip(phone, {"added": note})
    out = trip["out"]
    ((cid, (_, card)),) = yaml_cards(out).items()
    (file,) = out.glob("*.yaml")
    written = yaml.safe_load(file.read_text(encoding="utf-8"))
    assert (file.name, written["topic"], written["own_cards"]) == (
        "backprop-own-cards.yaml",
        "backprop",
        True,
    )
    decks = ("--decks", str(out))
    assert cid in ok("list", "--topic", "backprop", *decks)
    listed = json.loads(ok("list", "--topic", "backprop", "--json", *decks))
    assert cid in [c["id"] for c in listed] and "backprop-1" in [c["id"] for c in listed]
    assert cid in ok("search", "topic:backprop", "zyzzyva", *decks)
    topics = json.loads(ok("topics", "--json", *decks))
    assert [t["topic"] for t in topics].count("backprop") == 1
    assert len(topics) == len(json.loads(ok("topics", "--json")))
    assert [t["cards"] for t in topics if t["topic"] == "backprop"] == [len(listed)]
    # the topic's study and quiz take it: the store holds it under the topic
    from dlcards.store import Store

    with Store.open(Path(os.environ["DLCARDS_DB"])) as store:
        assert store.query("SELECT topic, retired FROM cards WHERE id = ?", (cid,)) == [
            ("backprop", 0)
        ]
        # a sync of the own cards' file alone (saved again) retires none of the deck's
        os.utime(file, (time.time() + 120, time.time() + 120))
        ok("due", *decks)
        assert store.query("SELECT count(*) FROM cards WHERE retired != 0") == [(0,)]
    # exported with the topic alone, it goes back into the topic's deck, as the learner's note
    again = phone["dir"] / "topic.apkg"
    ok("export", "anki", "-o", str(again), "--topic", "backprop", *decks)
    log = into_anki(col, again)
    assert not log.conflicting and not log.new
    assert deck_names(col) == trip["decks_before"]
    assert [c.did for c in col.get_note(note.id).cards()] == [col.decks.id(BACKPROP)]
    col.close()


def test_a_note_added_on_the_phone_stays_that_note_and_takes_the_yamls_edits(
    phone: dict[str, Any],
) -> None:
    """Exported in dlcards's note type under the GUID of a Basic note, a converted note was
    "conflicting" in Anki (a note type other than the one it has there): never updated again.
    It is exported in its own note type now: Anki takes an edit of the YAML, and keeps its
    card and the card's answers; and until an edit is made here, the learner's note is left
    as it is (dated as it last changed in Anki, not when the deck was written)."""
    col = phone["col"]
    note = add(col, "Basic", BACKPROP, Front="Why <b>clip</b> gradients?", Back=RED)
    basic = dict(note.note_type())
    trip = round_trip(phone, {"added": note})
    log = trip["log"]
    assert not log.conflicting, [n.fields for n in log.conflicting]
    ((_, card),) = yaml_cards(trip["out"]).values()
    # unedited here, the note stays as the learner made it in Anki: its red is no Markdown,
    # and dlcards's rendering of it does not replace it (the package's note is not newer)
    assert not log.updated and note.id in {n.id.nid for n in log.duplicate}
    assert col.get_note(note.id)["Back"] == RED
    edit_card(trip["out"], card["id"], answer="Exploding **gradient** norms.")
    again = phone["dir"] / "again.apkg"
    ok("export", "anki", "-o", str(again), "--decks", str(trip["out"]))
    log = into_anki(col, again)
    assert not log.conflicting and [n.id.nid for n in log.updated] == [note.id]
    kept = col.get_note(note.id)
    assert "Exploding <b>gradient</b> norms." in kept["Back"], kept["Back"]
    assert kept["Front"] == "Why <b>clip</b> gradients?"
    assert [c.id for c in kept.cards()] == [c.id for c in note.cards()]
    assert revlog(col, kept) == 1
    assert col.note_count() == trip["notes_before"]
    assert deck_names(col) == trip["decks_before"]
    # and through `export text` (File > Import, "Notes in Plain Text") too
    edit_card(trip["out"], card["id"], answer="Exploding norms, *clipped*.")
    text = phone["dir"] / "notes.txt"
    ok("export", "text", "-o", str(text), "--decks", str(trip["out"]))
    metadata = col.get_csv_metadata(str(text), None)
    log = col.import_csv(ImportCsvRequest(path=str(text), metadata=metadata)).log
    assert not log.conflicting and note.id in {n.id.nid for n in log.updated}
    assert "Exploding norms, <i>clipped</i>." in col.get_note(note.id)["Back"]
    assert col.note_count() == trip["notes_before"]
    # the learner's note type is as it was: the package's is never newer
    now = col.models.get(basic["id"])
    assert now is not None and col.models.by_name("Basic")["id"] == basic["id"]
    assert [t["qfmt"] for t in now["tmpls"]] == [t["qfmt"] for t in basic["tmpls"]]
    assert now["css"] == basic["css"] and now["mod"] == basic["mod"]
    col.close()


@pytest.mark.parametrize(
    ("deck", "title", "anki_deck"),
    [
        # a sub-deck the learner made beside the topics' decks: a subdeck as any topic's
        ("Deep Learning::My Extras", "My Extras", None),
        # the top-level deck itself, and a deck below a topic's: no title names them
        ("Deep Learning", "Deep Learning", "Deep Learning"),
        (f"{BACKPROP}::Tricks", f"{BACKPROP.split('::', 1)[1]}::Tricks", f"{BACKPROP}::Tricks"),
    ],
)
def test_a_note_added_in_any_deck_under_deep_learning_goes_back_into_it(
    phone: dict[str, Any], deck: str, title: str, anki_deck: str | None
) -> None:
    """The deck a note was added to on the phone is where `export anki` puts it back, whatever
    its level under `Deep Learning`: its own sub-deck, the root deck, a deck below a topic's
    (`anki_deck:` in the converted deck, where its title does not give the name). Each made
    a new deck in Anki: `Deep Learning::Deep Learning:...`, `Deep Learning::Deep Learning`."""
    col = phone["col"]
    col.decks.id(deck)  # made by the learner
    note = add(col, "Basic", deck, Front="What is a <i>zyzzyva</i>?", Back="A weevil.")
    trip = round_trip(phone, {"added": note})
    assert deck_names(col) == trip["decks_before"]
    assert not trip["log"].conflicting
    assert col.note_count() == trip["notes_before"]
    (file,) = trip["out"].glob("*.yaml")
    written = yaml.safe_load(file.read_text(encoding="utf-8"))
    assert (written["title"], written.get("anki_deck")) == (title, anki_deck)
    # a fresh collection (a new phone) gets the card in that deck
    fresh = Collection(str(phone["dir"] / "fresh.anki2"))
    into_anki(fresh, trip["back"])
    (nid,) = fresh.find_notes(f'"deck:{deck}" -"deck:{deck}::*" zyzzyva')
    assert fresh.get_note(nid).guid == note.guid
    assert "Deep Learning::Deep Learning" not in " ".join(deck_names(fresh))
    fresh.close()
    # and the `deck:` search finds it under that name
    out = ok("search", "--decks", str(trip["out"]), f'"deck:{deck}"', "zyzzyva")
    assert card_id(trip["out"]) in out, out
    col.close()


def card_id(folder: Path) -> str:
    ((cid, _),) = yaml_cards(folder).items()
    return cid


def test_the_same_file_converted_again_makes_no_second_topic_or_card(
    phone: dict[str, Any],
) -> None:
    """`--to-yaml` of the same phone file again, into the same folder (with that folder's
    decks loaded or not), or into another with them loaded: the same deck, the same card,
    nothing written twice; and the export still puts it back as the one note."""
    col = phone["col"]
    note = add(col, "Basic", "Deep Learning::My Extras", Front="Why skip?", Back="Gradients.")
    trip = round_trip(phone, {"added": note})
    out, file = trip["out"], phone["dir"] / "phone.apkg"
    written = {p.name: p.read_bytes() for p in out.glob("*.yaml")}
    ok("import", "anki", str(file), "--to-yaml", str(out))
    ok("import", "anki", str(file), "--decks", str(out), "--to-yaml", str(out))
    assert {p.name: p.read_bytes() for p in out.glob("*.yaml")} == written
    other = phone["dir"] / "other"
    said = ok("import", "anki", str(file), "--decks", str(out), "--to-yaml", str(other))
    assert "wrote no deck: no note of" in said and not other.exists(), said
    ok("check", "--decks", str(out))
    assert len(yaml_cards(out)) == 1
    again = phone["dir"] / "again.apkg"
    ok("export", "anki", "-o", str(again), "--decks", str(out))
    log = into_anki(col, again)
    assert not log.conflicting and col.note_count() == trip["notes_before"]
    assert deck_names(col) == trip["decks_before"]
    col.close()


def test_a_cloze_added_on_the_phone_stays_that_note_and_takes_the_yamls_edits(
    phone: dict[str, Any],
) -> None:
    """A Cloze note of one cloze added on the phone: its card kept the note's GUID but went
    in dlcards's note type, and Anki reported it "conflicting": never updated again. Its
    cloze is written back as cloze text in its own note type now (the question's blank and
    the answer's bold text, `{{c1::...}}`): Anki updates the note, keeps its card and the
    card's answers. An edit of one side only makes no cloze: that card goes in dlcards's note
    type, and Anki leaves its note as it is (no copy)."""
    col = phone["col"]
    note = add(col, "Cloze", BACKPROP, Text="{{c1::Dropout}} zeroes units at <i>random</i>.")
    trip = round_trip(phone, {"added": note})
    ((title, card),) = yaml_cards(trip["out"]).values()
    assert (title, card["anki_guid"]) == (BACKPROP.split("::", 1)[1], note.guid)
    assert card["anki_note_type"]["cloze"] is True
    assert deck_names(col) == trip["decks_before"]
    assert col.note_count() == trip["notes_before"]
    assert not trip["log"].conflicting
    edit_card(
        trip["out"],
        card["id"],
        question="[...] zeroes *random* units.",
        answer="**Dropout** zeroes *random* units.",
    )
    again = phone["dir"] / "again.apkg"
    ok("export", "anki", "-o", str(again), "--decks", str(trip["out"]))
    log = into_anki(col, again)
    assert not log.conflicting and [n.id.nid for n in log.updated] == [note.id]
    kept = col.get_note(note.id)
    assert kept["Text"] == "{{c1::Dropout}} zeroes <i>random</i> units."
    assert [c.id for c in kept.cards()] == [c.id for c in note.cards()]
    assert revlog(col, kept) == 1
    # the answer alone edited: no cloze of the two sides
    edit_card(trip["out"], card["id"], answer="**Dropout** drops units.")
    third = phone["dir"] / "third.apkg"
    ok("export", "anki", "-o", str(third), "--decks", str(trip["out"]))
    log = into_anki(col, third)
    assert len(log.conflicting) == 1 and not log.updated
    assert col.get_note(note.id)["Text"] == kept["Text"]
    assert col.note_count() == trip["notes_before"]
    assert deck_names(col) == trip["decks_before"]
    col.close()


@pytest.mark.parametrize(
    ("front", "back", "text"),
    [
        ("[...] zeroes units.", "<b>Dropout</b> zeroes units.", "{{c1::Dropout}} zeroes units."),
        (
            "The [rule] applies.",
            "The <b>chain rule</b> applies.",
            "The {{c1::chain rule::rule}} applies.",
        ),
        ("x [...]", "x <b>\\(y\\)</b>", "x {{c1::\\(y\\)}}"),
        ("<b>Bold</b> [...]", "<b>Bold</b> <b>it</b>", "<b>Bold</b> {{c1::it}}"),
        # not a cloze's two sides
        ("[...] zeroes units.", "<b>Dropout</b> drops units.", None),
        ("no blank", "<b>no</b> blank", None),
        ("[...] a", '<b>x</b> a<div class="note">n</div>', None),
        ("[...]", "<b>a::b</b>", None),
        ("[...]", "<b>a</b> and <b>b</b>", None),
    ],
)
def test_the_cloze_of_a_cards_two_sides(front: str, back: str, text: str | None) -> None:
    from dlcards.export.anki import cloze_text

    assert cloze_text(front, back) == text
