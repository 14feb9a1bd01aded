"""The exports imported into a real Anki collection (the `anki` package from PyPI: Anki's own
Rust backend), in a temporary directory: notes, decks, fields, tags, re-import by GUID,
progress, and the text format.

`importorskip` only guards machines without Anki; the `test` extra installs it, so CI runs these.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import time
from collections.abc import Iterator
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import genanki
import helpers as h
import pytest
from typer.testing import CliRunner

from dlcards.catalog import load_catalog
from dlcards.cli import app
from dlcards.export.anki import MODEL_ID, MODEL_NAME, anki_notes, write_apkg
from dlcards.settings import DEFAULT_FSRS_PARAMETERS
from dlcards.sm2 import Grade
from dlcards.store import Store

pytest.importorskip("anki")

from anki.collection import (  # noqa: E402
    Collection,
    ImportAnkiPackageOptions,
    ImportAnkiPackageRequest,
    ImportCsvRequest,
)

runner = CliRunner()
STAMP = 1_790_000_000
NOW = datetime.now(timezone.utc)

USER_DECK = """\
topic: batches
title: Batches & "Epochs"
cards:
  - id: batches-1
    question: With $n = 320$ rows and batch size 64, how many updates per epoch?
    answer: $\\frac{320}{64} = 5$ updates.
    tags: [math, interview]
    source: "Made up #1"
    compute: {fn: updates_per_epoch, args: {n: 320, batch_size: 64}, claim: 5}
  - id: batches-2
    question: "#2: and with 330 rows?\\tTabbed."
    answer: "**5** updates.\\nA second line."
    tags: [math]
    erratum: It is 6 updates; the last partial batch counts.
    compute: {fn: updates_per_epoch, args: {n: 330, batch_size: 64}, claim: 5}
"""


@pytest.fixture
def col(tmp_path: Path) -> Iterator[Collection]:
    yield (collection := new_collection(tmp_path / "anki"))
    collection.close()


def new_collection(directory: Path) -> Collection:
    directory.mkdir(parents=True)
    return Collection(str(directory / "collection.anki2"))


@pytest.fixture
def user_decks(tmp_path: Path) -> Path:
    path = tmp_path / "decks" / "batches.yaml"
    path.parent.mkdir()
    path.write_text(USER_DECK, encoding="utf-8")
    return path.parent


def export(*args: str) -> str:
    result = runner.invoke(app, ["export", *args])
    assert result.exit_code == 0, result.output
    return result.output


def import_apkg(col: Collection, path: Path, scheduling: bool = True) -> Any:
    request = ImportAnkiPackageRequest(
        package_path=str(path),
        options=ImportAnkiPackageOptions(with_scheduling=scheduling),
    )
    return col.import_anki_package(request).log


def import_text(col: Collection, path: Path) -> Any:
    metadata = col.get_csv_metadata(str(path), None)
    return col.import_csv(ImportCsvRequest(path=str(path), metadata=metadata)).log


def notes_by_card_id(col: Collection) -> dict[str, Any]:
    notes = {}
    for nid in col.find_notes(""):
        note = col.get_note(nid)
        notes[note["CardId"]] = note
    return notes


def snapshot(col: Collection) -> dict[str, tuple[Any, ...]]:
    """guid -> (fields, tags, deck, note type name) of every note."""
    out = {}
    for note in notes_by_card_id(col).values():
        decks = {col.decks.name(card.did) for card in note.cards()}
        out[note.guid] = (
            tuple(note.fields),
            tuple(sorted(note.tags)),
            tuple(decks),
            note.note_type()["name"],
        )
    return out


def dlcards_notetypes(col: Collection) -> list[Any]:
    return [nt for nt in col.models.all_names_and_ids() if nt.name.startswith(MODEL_NAME)]


# --- the package --------------------------------------------------------------------------------


def test_apkg_imports_into_anki(col: Collection, tmp_path: Path) -> None:
    path = tmp_path / "dl.apkg"
    export("anki", "-o", str(path))
    log = import_apkg(col, path)
    assert len(log.new) == h.shipped()[0]
    assert col.note_count() == col.card_count() == h.shipped()[0]

    catalog = load_catalog()
    names = {d.name for d in col.decks.all_names_and_ids()}
    expected = {f"Deep Learning::{deck.title}" for deck in catalog.decks}
    assert expected | {"Deep Learning"} <= names
    assert len(expected) == h.shipped()[1]

    [notetype] = dlcards_notetypes(col)
    assert (notetype.id, notetype.name) == (MODEL_ID, MODEL_NAME)
    assert [f["name"] for f in col.models.get(notetype.id)["flds"]] == [
        "Front",
        "Back",
        "Topic",
        "Source",
        "CardId",
    ]

    notes = notes_by_card_id(col)
    gd = notes["gd-23"]
    assert gd.guid == genanki.guid_for("gd-23")
    assert gd["Front"] == (
        "If a dataset has 320 rows and the batch size is 64, how many parameter updates "
        "occur per epoch?"
    )
    answer = r"\(\frac{320}{64} = \mathbf{5 \text{ updates}}\) per epoch."
    assert gd["Back"].startswith(answer + '<div class="computed"><span class="value">= 5</span>')
    assert "<li>n / batch_size = 320 / 64 = 5</li>" in gd["Back"]
    assert gd["Topic"] == "Gradient Descent and Its Variants"
    assert gd["Source"] == "Gradient Descent and Its Variants #23"
    assert sorted(gd.tags) == ["gd", "math"]
    assert col.decks.name(gd.cards()[0].did) == "Deep Learning::Gradient Descent and Its Variants"

    cce = notes["cce-33"]
    assert sorted(cce.tags) == ["cce", "interview", "math"]
    assert "<code>ŷ = [0.1, 0.7, 0.2]</code>" in cce["Front"]
    assert "The loss is <b>high</b>." in cce["Back"]
    assert cce["Topic"] == "Categorical Cross-Entropy (CCE) &amp; Sparse CCE"
    assert (
        col.decks.name(cce.cards()[0].did)
        == "Deep Learning::Categorical Cross-Entropy (CCE) & Sparse CCE"
    )

    # an erratum, a note, their references and a repaired question reach the back, marked apart
    cce29 = notes["cce-29"]["Back"]
    assert '<div class="erratum"><b>Erratum:</b> Multi-label problems' in cce29
    assert "<li>PyTorch documentation: torch.nn.CrossEntropyLoss" in cce29
    assert 'class="note"' not in cce29
    vgp = notes["vgp-4"]
    assert vgp["Front"].startswith("When the Vanishing Gradient Problem occurs, what happens")
    back = vgp["Back"]
    assert '<div class="note"><b>Note:</b> The source gives only the section heading' in back
    assert "Erratum" not in back
    assert (
        '<div class="references"><b>References:</b><ul><li>Goodfellow, Bengio &amp; Courville, '
        "Deep Learning (2016), §8.2.5 Long-Term Dependencies</li>"
    ) in back
    assert "<b>The source's question:</b> <b>Vanishing Gradient Problem (VGP)</b>" in back
    assert back.index('class="note"') < back.index('class="references"')
    rendered = vgp.cards()[0].answer()  # Anki's own template rendering
    assert "Note:" in rendered and "§8.2.5 Long-Term Dependencies" in rendered

    # HTML escaped, <br> kept, MathJax delimiters everywhere math was, no "$" left
    assert "(weights &amp; biases)" in notes["backprop-1"]["Back"]
    assert "<code>ŷ &lt; y</code>" in notes["bce-21"]["Back"]
    assert r"\(&lt; 1\)" in notes["vgp-10"]["Back"] and r"\(z&gt;0\)" in notes["vgp-7"]["Back"]
    assert "<br>" in notes["bce-21"]["Back"]
    math_notes = [n for n in notes.values() if r"\(" in n["Front"] + n["Back"]]
    assert len(math_notes) > 40
    assert not [cid for cid, n in notes.items() if "$" in "".join(n.fields)]
    for card in catalog.cards:  # tags: the topic, the level, math
        assert sorted(notes[card.id].tags) == sorted({card.topic, *card.tags}), card.id

    # Anki renders the template: front, then the answer under it
    card = gd.cards()[0]
    assert "Gradient Descent and Its Variants" in card.question()
    assert r"\frac{320}{64}" in card.answer() and "gd-23" in card.answer()


def test_reimport_after_an_edit_updates_the_note(col: Collection, tmp_path: Path) -> None:
    catalog = load_catalog()
    titles = catalog.topic_titles()
    first = tmp_path / "first.apkg"
    with first.open("wb") as fh:
        write_apkg(anki_notes(catalog.cards, titles), fh, STAMP)
    import_apkg(col, first)
    decks_before = len(col.decks.all_names_and_ids())
    notetypes_before = len(col.models.all_names_and_ids())

    edited = [
        card._replace(answer="Exactly **five** updates: $320 / 64 = 5$.")
        if card.id == "gd-23"
        else card._replace(question=card.question + " (edited)")
        if card.id == "cce-33"
        else card
        for card in catalog.cards
    ]
    second = tmp_path / "second.apkg"
    with second.open("wb") as fh:
        write_apkg(anki_notes(edited, titles), fh, STAMP + 60)
    log = import_apkg(col, second)
    assert len(log.new) == 0
    assert col.note_count() == h.shipped()[0]
    notes = notes_by_card_id(col)
    assert notes["gd-23"]["Back"].startswith(r"Exactly <b>five</b> updates: \(320 / 64 = 5\).")
    assert notes["cce-33"]["Front"].endswith("(edited)")
    assert len(dlcards_notetypes(col)) == 1
    assert len(col.models.all_names_and_ids()) == notetypes_before
    assert len(col.decks.all_names_and_ids()) == decks_before


def _reword_batches_1(user_decks: Path) -> None:
    """Edit batches-1's answer in its deck file, saved 5 s later than it was."""
    deck_file = user_decks / "batches.yaml"
    deck_file.write_text(
        deck_file.read_text(encoding="utf-8").replace("$ updates.", "$ updates per epoch."),
        encoding="utf-8",
    )
    later = deck_file.stat().st_mtime + 5
    os.utime(deck_file, (later, later))


def test_cli_reexport_after_a_deck_edit_updates_the_note(
    col: Collection, tmp_path: Path, user_decks: Path
) -> None:
    """The CLI's package timestamp follows the deck files, so Anki takes an edited deck."""
    path = tmp_path / "dl.apkg"
    export("anki", "-o", str(path), "--decks", str(user_decks))
    import_apkg(col, path)
    assert col.note_count() == 222
    notes = notes_by_card_id(col)
    back = notes["batches-1"]["Back"]
    assert '<span class="value">= 5</span>' in back and '<ol class="steps">' in back
    assert "Erratum:" in notes["batches-2"]["Back"]
    assert '<span class="claim">(the card says 5)</span>' in notes["batches-2"]["Back"]
    assert notes["batches-2"]["Front"].startswith("#2: and with 330 rows?")

    _reword_batches_1(user_decks)
    export("anki", "-o", str(path), "--decks", str(user_decks), "--force")
    import_apkg(col, path)
    assert col.note_count() == 222
    assert r"\) updates per epoch." in notes_by_card_id(col)["batches-1"]["Back"]
    assert len(dlcards_notetypes(col)) == 1


def test_a_deck_edit_updates_its_cards_in_anki_and_keeps_an_edit_made_in_anki_to_another(
    col: Collection, tmp_path: Path, user_decks: Path
) -> None:
    """Each note carries when its card's text last changed: a package built after a deck
    edit replaces the edited card's note, and only that one; a note edited in Anki since the
    last import (newer than its card) keeps Anki's edit."""
    path = tmp_path / "dl.apkg"
    export("anki", "-o", str(path), "--decks", str(user_decks))
    import_apkg(col, path)
    note = notes_by_card_id(col)["batches-2"]
    note["Front"] = "Reworded on my phone"
    col.update_note(note)  # Anki stamps it with the time of the edit
    _reword_batches_1(user_decks)
    export("anki", "-o", str(path), "--decks", str(user_decks), "--force")
    import_apkg(col, path)
    notes = notes_by_card_id(col)
    assert r"\) updates per epoch." in notes["batches-1"]["Back"]  # the deck's edit
    assert notes["batches-2"]["Front"] == "Reworded on my phone"  # Anki's edit, kept
    assert notes["gd-23"]["Front"] and col.note_count() == 222


@pytest.mark.parametrize("merge", [False, True])
def test_a_field_added_in_anki_to_the_note_type_asks_for_merge_note_types(
    tmp_path: Path, user_decks: Path, merge: bool
) -> None:
    """A learner who adds a field to the `dlcards` note type in Anki changes its schema: the
    next package, its note type unchanged, is one Anki copies (`dlcards+`) and none of whose
    notes it updates, a deck edit included, unless "Merge note types" is ticked in its import
    dialog (Anki 23.10 on). The README said re-imports never add a second note type and a
    deck edit reaches Anki, without the condition."""
    col = new_collection(tmp_path / f"anki-{merge}")
    try:
        path = tmp_path / "dl.apkg"
        export("anki", "-o", str(path), "--decks", str(user_decks))
        import_apkg(col, path)
        model = col.models.by_name(MODEL_NAME)
        col.models.add_field(model, col.models.new_field("My notes"))
        col.models.update_dict(model)
        _reword_batches_1(user_decks)
        export("anki", "-o", str(path), "--decks", str(user_decks), "--force")
        request = ImportAnkiPackageRequest(
            package_path=str(path),
            options=ImportAnkiPackageOptions(with_scheduling=True, merge_notetypes=merge),
        )
        log = col.import_anki_package(request).log
        back = notes_by_card_id(col)["batches-1"]["Back"]
        if merge:
            assert len(log.updated) == 1 and not log.conflicting
            assert r"\) updates per epoch." in back
            assert [nt.name for nt in dlcards_notetypes(col)] == [MODEL_NAME]
            assert "My notes" in col.models.field_names(col.models.by_name(MODEL_NAME))
        else:
            assert len(log.conflicting) == 222 and not log.updated
            assert r"\) updates per epoch." not in back
            names = sorted(nt.name for nt in dlcards_notetypes(col))
            assert names == [MODEL_NAME, MODEL_NAME + "+"]
    finally:
        col.close()
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    words = " ".join(readme.split("## Export to Anki", 1)[1].split("\n## ", 1)[0].split())
    assert "if you add a field to it in Anki, tick *Merge note types*" in words, words


def test_a_title_source_or_computation_edit_reaches_anki(
    col: Collection, tmp_path: Path, user_decks: Path
) -> None:
    """A note shows its topic's title (the Topic field and the deck it is made in), its source
    line and its computations' results besides the card's text: an edit of any of them in the
    deck makes the note newer, so Anki takes it, for those notes only."""
    path = tmp_path / "dl.apkg"
    export("anki", "-o", str(path), "--decks", str(user_decks))
    import_apkg(col, path)
    gd = notes_by_card_id(col)["gd-23"]
    deck_file = user_decks / "batches.yaml"
    text = deck_file.read_text(encoding="utf-8")
    for old, new in (
        ('title: Batches & "Epochs"', "title: Mini-batches"),
        ('source: "Made up #1"', 'source: "Made up #7"'),
        ("args: {n: 330, batch_size: 64}", "args: {n: 390, batch_size: 64}"),
    ):
        assert old in text
        text = text.replace(old, new)
    deck_file.write_text(text, encoding="utf-8")
    later = deck_file.stat().st_mtime + 5
    os.utime(deck_file, (later, later))
    export("anki", "-o", str(path), "--decks", str(user_decks), "--force")
    import_apkg(col, path)
    notes = notes_by_card_id(col)
    assert notes["batches-1"]["Topic"] == notes["batches-2"]["Topic"] == "Mini-batches"
    assert notes["batches-1"]["Source"] == "Made up #7"
    assert '<span class="value">= 7</span>' in notes["batches-2"]["Back"]  # ceil(390 / 64)
    # Anki never moves a card it holds on import: the cards stay in the deck they were in,
    # and the new title's deck is made empty beside it (the README says so)
    held = {col.decks.name(col.get_card(c).did) for c in col.find_cards("CardId:batches-*")}
    assert held == {'Deep Learning::Batches & "Epochs"'}
    assert "Deep Learning::Mini-batches" in {d.name for d in col.decks.all_names_and_ids()}
    assert notes["gd-23"].mod == gd.mod  # another deck's note, untouched


def test_a_dlcards_that_words_a_step_otherwise_updates_the_note_in_anki(
    col: Collection, tmp_path: Path, user_decks: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A note's back holds the engine's worked steps: a dlcards that changes only a step's
    wording (the decks as they were) must reach the notes Anki has, and only the notes that
    show that step. No digest covered the words the engine writes for a computation, so the
    note kept its time and Anki kept the old steps. Exported again unchanged, no note is
    newer."""
    import dlcards.engine.training as training

    path = tmp_path / "dl.apkg"
    export("anki", "-o", str(path), "--decks", str(user_decks))
    import_apkg(col, path)
    before = notes_by_card_id(col)
    assert "mini-batch gradient descent" in before["batches-2"]["Back"]
    variant = training._variant

    def reworded(n: int, batch_size: int) -> str:
        return variant(n, batch_size).replace("mini-batch gradient descent", "minibatch SGD")

    monkeypatch.setattr(training, "_variant", reworded)  # the decks and the database as they were
    export("anki", "-o", str(path), "--decks", str(user_decks), "--force")
    log = import_apkg(col, path)
    after = notes_by_card_id(col)
    for cid in ("batches-1", "batches-2"):
        assert "minibatch SGD" in after[cid]["Back"], after[cid]["Back"]
        assert "mini-batch gradient descent" not in after[cid]["Back"]
    assert after["batches-1"]["Front"] == before["batches-1"]["Front"]
    changed = {cid for cid, note in after.items() if note["Back"] != before[cid]["Back"]}
    assert len(log.updated) == len(changed) >= 2  # the notes that show the step, only those
    assert all("minibatch SGD" in after[cid]["Back"] for cid in changed)
    export("anki", "-o", str(path), "--decks", str(user_decks), "--force")  # again, the same
    assert not import_apkg(col, path).updated


# --- progress -----------------------------------------------------------------------------------


@pytest.mark.waits  # twice Anki's second for its clock
def test_anki_counts_days_in_the_zone_a_test_just_set(tmp_path: Path) -> None:
    """`h.time_zone`: Anki's clock keeps a zone it read for a second, so a collection made
    just after the Kolkata module (in the same worker) started its days at 04:00 in Kolkata,
    and `test_progress_goes_with_the_cards` saw its cards a day early when run between 22:30
    and 04:00 UTC. A collection made at once after each change starts its days at 04:00 in
    the zone set, whatever the time of day."""

    def day_start(col: Collection) -> tuple[int, int]:
        start = datetime.fromtimestamp(col.crt)  # local time, in the zone set now
        return start.hour, start.minute

    made = [new_collection(tmp_path / "before")]
    with h.time_zone("Asia/Kolkata"):
        made.append(new_collection(tmp_path / "kolkata"))
        assert day_start(made[-1]) == (4, 0)
    made.append(new_collection(tmp_path / "after"))
    assert day_start(made[-1]) == (4, 0)
    for col in made:
        col.close()


def _anki_today() -> date:
    """The calendar day Anki counts as today (its day starts at 4 am)."""
    return (datetime.now() - timedelta(hours=4)).date()


def test_progress_goes_with_the_cards(col: Collection, tmp_path: Path) -> None:
    db = tmp_path / "progress.db"
    today = _anki_today()
    store = Store.open(db)
    store.sync(load_catalog().cards, "test", NOW)
    grades = [
        ("gd-23", Grade.PERFECT, 7),
        ("gd-23", Grade.GOOD, 6),
        ("cce-33", Grade.GOOD, 3),
        ("mlp-1", Grade.HARD, 1),
        ("perceptron-1", Grade.PERFECT, 30),
        ("perceptron-1", Grade.PERFECT, 29),
        ("perceptron-1", Grade.PERFECT, 23),
        ("perceptron-1", Grade.BLACKOUT, 3),
        ("vgp-1", Grade.PERFECT, 20),
        ("vgp-1", Grade.PERFECT, 19),
        ("vgp-1", Grade.PERFECT, 13),
    ]
    for card_id, grade, days_ago in grades:
        h.grade(store, card_id, grade, today - timedelta(days=days_ago), NOW)
    store.set_suspended(["cce-33", "perceptron-2"], True)
    states = {cid: h.state(store, cid) for cid, _, _ in grades}
    store.close()

    path = tmp_path / "progress.apkg"
    export("anki", "-o", str(path), "--with-progress", "--db", str(db))
    import_apkg(col, path, scheduling=True)
    assert col.note_count() == h.shipped()[0]

    notes = notes_by_card_id(col)
    for card_id, state in states.items():
        card = notes[card_id].cards()[0]
        assert card.type == 2, card_id  # review
        assert card.queue == (-1 if card_id == "cce-33" else 2), card_id
        assert card.ivl == state.interval, card_id
        assert card.factor == state.ef * 10, card_id
        # Anki's reps: how many times the card was answered (not SM-2's streak of passes)
        answered = sum(1 for cid, _, _ in grades if cid == card_id)
        assert card.reps == answered and card.lapses == state.lapses, card_id
        assert state.due is not None
        assert card.due - col.sched.today == (state.due - today).days, card_id
    assert states["perceptron-1"].lapses == 1
    assert states["vgp-1"].interval == 17 and states["vgp-1"].due == today + timedelta(days=4)

    for card_id in ("perceptron-3", "gd-1", "vgp-2"):
        card = notes[card_id].cards()[0]
        assert (card.type, card.queue, card.ivl, card.reps) == (0, 0, 0, 0), card_id
    assert notes["perceptron-2"].cards()[0].queue == -1  # new, suspended
    # Anki's scheduler sees them: vgp-1 is due in the future, gd-23 today
    due_today = col.find_cards("is:due")
    assert notes["gd-23"].cards()[0].id in due_today
    assert notes["vgp-1"].cards()[0].id not in due_today


ANKI_IN_ZONE = """
import json, sys
from anki.collection import Collection, ImportAnkiPackageOptions, ImportAnkiPackageRequest
col = Collection(sys.argv[1])
col.set_config("rollover", int(sys.argv[3]))  # the learner's Anki starts its day alike
col.import_anki_package(ImportAnkiPackageRequest(
    package_path=sys.argv[2], options=ImportAnkiPackageOptions(with_scheduling=True)))
due = set(col.find_cards("is:due"))
out = {}
for nid in col.find_notes(""):
    note = col.get_note(nid)
    card = note.cards()[0]
    if card.type == 2:
        out[note["CardId"]] = [card.due - col.sched.today, card.id in due]
col.close()
print(json.dumps(out))
"""


@pytest.mark.parametrize(
    ("zone", "starts_at"),
    [("Pacific/Kiritimati", 4), ("Etc/GMT+12", 4), ("Asia/Kolkata", 0), ("Asia/Kolkata", 23)],
)
def test_progress_lands_on_its_day_in_every_time_zone_and_day_start(
    tmp_path: Path, zone: str, starts_at: int
) -> None:
    """Anki counts a package's days from its collection's creation day in the package's own
    day settings. genanki's `col` row has none, so Anki took the creation moment (11:00 UTC)
    in the importer's time zone, and a day starting at 4: at UTC+13 and over, or -12, every
    card came a day late or early, and with another day start (`day_starts_at`, and Anki's
    "next day starts at", both 0 or 23) between 4 and that hour. Anki runs in a process of
    its own, started in the zone (its Rust clock keeps the zone it read for a second)."""
    import json
    import subprocess
    import sys

    with h.time_zone(zone):
        now = datetime.now().astimezone()
        if min(abs(now.hour * 60 + now.minute - hour * 60) for hour in (starts_at, 4)) < 2:
            pytest.skip("a minute from a day's start: Anki's today could move during the test")
        db = tmp_path / "progress.db"
        cli = ["--db", str(db)]
        with Store.open(db) as store:
            store.sync(load_catalog().cards, "test", now)
        assert runner.invoke(app, ["config", "day_starts_at", str(starts_at), *cli]).exit_code == 0
        today = (now - timedelta(hours=starts_at)).date()
        with Store.open(db) as store:
            for card_id, grade, days_ago in [("gd-23", 5, 7), ("gd-23", 4, 6), ("mlp-1", 4, 0)]:
                h.grade(store, card_id, grade, today - timedelta(days_ago), now)
            due = {c: h.state(store, c).due for c in ("gd-23", "mlp-1")}
        assert due == {"gd-23": today, "mlp-1": today + timedelta(1)}
        export("anki", "-o", str(tmp_path / "p.apkg"), "--with-progress", *cli)
    (tmp_path / "anki").mkdir()
    anki = subprocess.run(
        [sys.executable, "-c", ANKI_IN_ZONE, str(tmp_path / "anki" / "collection.anki2"),
         str(tmp_path / "p.apkg"), str(starts_at)],
        env={**os.environ, "TZ": zone}, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert anki.returncode == 0, anki.stderr
    # due today (and so in Anki's is:due), and tomorrow, as in dlcards
    assert json.loads(anki.stdout) == {"gd-23": [0, True], "mlp-1": [1, False]}


def test_without_scheduling_anki_starts_the_cards_fresh(col: Collection, tmp_path: Path) -> None:
    db = tmp_path / "progress.db"
    store = Store.open(db)
    store.sync(load_catalog().cards, "test", NOW)
    h.grade(store, "gd-23", Grade.PERFECT, _anki_today(), NOW)
    store.close()
    path = tmp_path / "progress.apkg"
    export("anki", "-o", str(path), "--with-progress", "--db", str(db))
    import_apkg(col, path, scheduling=False)
    assert notes_by_card_id(col)["gd-23"].cards()[0].type == 0


# --- the text format ----------------------------------------------------------------------------


def test_text_import_gives_the_same_notes(tmp_path: Path, user_decks: Path) -> None:
    apkg, text = tmp_path / "dl.apkg", tmp_path / "dl.txt"
    export("anki", "-o", str(apkg), "--decks", str(user_decks))
    export("text", "-o", str(text), "--decks", str(user_decks))

    from_apkg = new_collection(tmp_path / "a")
    from_text = new_collection(tmp_path / "b")
    try:
        import_apkg(from_apkg, apkg)
        # The text format names the note type; importing one topic's package creates it.
        one_topic = tmp_path / "perceptron.apkg"
        export("anki", "-o", str(one_topic), "--topic", "perceptron")
        import_apkg(from_text, one_topic)
        assert from_text.note_count() == len(load_catalog().select(["perceptron"]))
        log = import_text(from_text, text)
        assert log.found_notes == 222
        assert len(log.missing_notetype) == 0 and len(log.conflicting) == 0
        assert from_text.note_count() == 222
        assert snapshot(from_text) == snapshot(from_apkg)
        assert len(dlcards_notetypes(from_text)) == 1

        # the text file into the collection made from the package: nothing new, nothing changed
        before = snapshot(from_apkg)
        log = import_text(from_apkg, text)
        assert len(log.new) == 0 and from_apkg.note_count() == 222
        assert snapshot(from_apkg) == before

        batches = notes_by_card_id(from_text)["batches-2"]
        assert batches["Front"] == "#2: and with 330 rows?\tTabbed."
        assert "A second line." in batches["Back"]
        assert batches["Topic"] == 'Batches &amp; "Epochs"'
    finally:
        from_apkg.close()
        from_text.close()


def test_text_file_bytes(tmp_path: Path, user_decks: Path) -> None:
    text = tmp_path / "dl.txt"
    export("text", "-o", str(text), "--decks", str(user_decks))
    data = text.read_bytes()
    assert b"\r" not in data
    lines = data.decode("utf-8").split("\n")
    assert lines[0] == "#separator:tab"
    [line] = [line for line in lines if "\tbatches-2\t" in line]
    assert re.match(r'^\S+\tdlcards\t"Deep Learning::Batches & ""Epochs"""\t"#2: and', line)
    assert line.endswith("\tbatches math")


def test_fsrs_progress_reaches_anki_with_its_memory_state(col: Collection, tmp_path: Path) -> None:
    """With FSRS active, the package carries FSRS's interval and due date, and the memory state
    (stability, difficulty) in the cards' `data`, which Anki with FSRS on reads as its own."""
    db = tmp_path / "progress.db"
    today = _anki_today()
    store = Store.open(db)
    store.sync(load_catalog().cards, "test", NOW)
    h.set_scheduler(store, "fsrs")
    for card_id, grade, days_ago in [
        ("gd-23", Grade.GOOD, 9),
        ("gd-23", Grade.GOOD, 6),
        ("vgp-1", Grade.PERFECT, 12),
        ("mlp-1", Grade.HARD, 2),
    ]:
        h.grade(store, card_id, grade, today - timedelta(days=days_ago), NOW)
    memories = {cid: store.memory(cid) for cid in ("gd-23", "vgp-1", "mlp-1")}
    schedule = h.sched(store)
    store.close()

    col.set_config("fsrs", True)
    path = tmp_path / "fsrs.apkg"
    export("anki", "-o", str(path), "--with-progress", "--db", str(db))
    import_apkg(col, path, scheduling=True)
    notes = notes_by_card_id(col)
    for card_id, memory in memories.items():
        card = col.get_card(notes[card_id].cards()[0].id)
        due = schedule.due(memory)
        assert due is not None
        assert card.ivl == schedule.interval(memory), card_id
        assert card.due - col.sched.today == (due - today).days, card_id
        assert card.memory_state is not None, card_id
        assert card.memory_state.stability == pytest.approx(memory.fsrs.stability, rel=1e-3)
        assert card.memory_state.difficulty == pytest.approx(memory.fsrs.difficulty, rel=1e-3)


def test_anki_shows_the_recall_dlcards_shows(col: Collection, tmp_path: Path) -> None:
    """With FSRS active, each card's `data` also carries the forgetting curve's decay of the
    parameters its memory state was computed with (FSRS-6's w[20]) and the desired retention
    its interval was set for, as Anki writes them for a card it scheduled. Anki computes the
    recall it shows (card info, the browser's column, `prop:r`, the review order by
    retrievability) with the card's decay, and without one took FSRS-5's 0.5: 0.808 for a
    card `dlcards show` gave 0.835."""
    db = tmp_path / "progress.db"
    now = datetime.now(timezone.utc)
    store = Store.open(db)
    store.sync(load_catalog().cards, "test", NOW)
    h.set_scheduler(store, "fsrs", retention=0.85)
    h.grade(store, "gd-23", Grade.HARD, _anki_today() - timedelta(days=40), now - timedelta(40))
    h.grade(store, "gd-23", Grade.GOOD, _anki_today() - timedelta(days=30), now - timedelta(30))
    store.close()
    shown = runner.invoke(app, ["show", "gd-23", "--json", "--db", str(db)])
    recall = json.loads(shown.output)["state"]["recall"]

    col.set_config("fsrs", True)
    path = tmp_path / "fsrs.apkg"
    export("anki", "-o", str(path), "--with-progress", "--db", str(db))
    import_apkg(col, path, scheduling=True)
    card = col.get_card(notes_by_card_id(col)["gd-23"].cards()[0].id)
    assert card.desired_retention == pytest.approx(0.85)
    assert card.decay == pytest.approx(DEFAULT_FSRS_PARAMETERS[20], abs=1e-3)  # Anki: 3 places
    assert col.card_stats_data(card.id).fsrs_retrievability == pytest.approx(recall, abs=1e-3)


def test_anki_counts_the_recall_to_the_second_and_dlcards_in_study_days(
    col: Collection, tmp_path: Path
) -> None:
    """The recall Anki shows (card info, the browser, `prop:r`) follows the curve `dlcards
    show` follows, but Anki counts the time since the last answer to the second (from the
    card's `lrt`), and `dlcards show` in whole study days: a card answered three and a half
    days ago is 0.87 there and 0.86 here (4 study days). (The README said the two were the
    same; the test above answers exactly 30 days before the present, at the same time of
    day.)"""
    import time

    from dlcards.days import local_study_day
    from dlcards.fsrs_sched import forgetting_curve

    db = tmp_path / "progress.db"
    answered = datetime.now().astimezone() - timedelta(days=3, hours=12)
    store = Store.open(db)
    store.sync(load_catalog().cards, "test", NOW)
    h.set_scheduler(store, "fsrs")
    h.grade(store, "gd-23", Grade.GOOD, local_study_day(now=answered), answered)
    stability = store.memory("gd-23").fsrs.stability
    store.close()
    shown = runner.invoke(app, ["show", "gd-23", "--json", "--db", str(db)])
    recall = json.loads(shown.output)["state"]["recall"]
    days = (local_study_day() - local_study_day(now=answered)).days
    whole_days = forgetting_curve(days, stability, DEFAULT_FSRS_PARAMETERS)
    assert recall == pytest.approx(whole_days, abs=5e-4)  # shown to 3 places

    col.set_config("fsrs", True)
    path = tmp_path / "fsrs.apkg"
    export("anki", "-o", str(path), "--with-progress", "--db", str(db))
    import_apkg(col, path, scheduling=True)
    card = col.get_card(notes_by_card_id(col)["gd-23"].cards()[0].id)
    in_anki = col.card_stats_data(card.id).fsrs_retrievability
    elapsed = (time.time() - answered.timestamp()) / 86_400
    curve = forgetting_curve(elapsed, stability, DEFAULT_FSRS_PARAMETERS)
    assert in_anki == pytest.approx(curve, abs=1e-3)
    assert abs(in_anki - recall) > 0.005  # half a day of forgetting of a 2-day memory
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    words = " ".join(readme.split("## Export to Anki", 1)[1].split("\n## ", 1)[0].split())
    assert "Anki counts the time since the last answer to the second" in words, words
    assert "`dlcards show` in whole study days" in words, words


def test_a_card_forgotten_in_anki_goes_back_to_its_place_among_the_new(
    col: Collection, tmp_path: Path
) -> None:
    """A studied card carries its place in the deck's order (Anki's `pos`, which Anki keeps
    for every card it takes out of the new queue): Anki's Forget with "Restore original
    position" (on by default) puts it back there, between the cards around it in the deck,
    where it went after the collection's last new card."""
    db = tmp_path / "progress.db"
    store = Store.open(db)
    store.sync(load_catalog().cards, "test", NOW)
    h.grade(store, "gd-2", Grade.GOOD, _anki_today() - timedelta(days=3), NOW)
    store.close()
    path = tmp_path / "p.apkg"
    export("anki", "-o", str(path), "--with-progress", "--db", str(db))
    import_apkg(col, path, scheduling=True)
    notes = notes_by_card_id(col)
    card_of = {cid: notes[cid].cards()[0] for cid in ("gd-1", "gd-2", "gd-3")}
    col.sched.schedule_cards_as_new([card_of["gd-2"].id], restore_position=True)
    forgotten = col.get_card(card_of["gd-2"].id)
    assert forgotten.type == 0
    assert card_of["gd-1"].due < forgotten.due < card_of["gd-3"].due


def _answer_good_now(col: Collection, card_id: int) -> None:
    """Press Good on the card in Anki now, with its v3 scheduler, as a learner does."""
    from anki.scheduler.v3 import CardAnswer

    card = col.get_card(card_id)
    card.start_timer()
    states = col._backend.get_scheduling_states(card.id)
    col.sched.answer_card(col.sched.build_answer(card=card, states=states, rating=CardAnswer.GOOD))


@pytest.mark.parametrize("scheduler", ["sm2", "fsrs"])
def test_anki_counts_the_days_since_the_last_answer_here(
    col: Collection, tmp_path: Path, scheduler: str
) -> None:
    """Each studied card carries the moment of its last answer here (`lrt` in its `data`,
    where Anki keeps its own): Anki with FSRS on counts the days since it from there. Without
    it Anki looked for that answer in its review log, found none in the package, and counted
    0 days: the first Good in Anki, 20 days after the last review here, left a stability of
    25 days as it was (interval 28 days) where py-fsrs grows it to about 85."""
    from fsrs import Card as FsrsCard
    from fsrs import Rating, Scheduler
    from fsrs import State as FsrsState

    db = tmp_path / "progress.db"
    now = datetime.now(timezone.utc)
    last = now - timedelta(days=20)
    store = Store.open(db)
    store.sync(load_catalog().cards, "test", NOW)
    h.set_scheduler(store, scheduler)
    h.grade(store, "gd-23", Grade.GOOD, _anki_today() - timedelta(days=30), now - timedelta(30))
    h.grade(store, "gd-23", Grade.GOOD, _anki_today() - timedelta(days=20), last)
    memory = store.memory("gd-23").fsrs
    store.close()

    col.set_config("fsrs", True)
    path = tmp_path / "progress.apkg"
    export("anki", "-o", str(path), "--with-progress", "--db", str(db))
    import_apkg(col, path, scheduling=True)
    card_id = notes_by_card_id(col)["gd-23"].cards()[0].id
    assert col.get_card(card_id).last_review_time == int(last.timestamp())
    if scheduler == "sm2":
        return
    assert memory.stability is not None and memory.difficulty is not None
    _answer_good_now(col, card_id)
    after = col.get_card(card_id).memory_state
    assert after is not None
    expected, _ = Scheduler(enable_fuzzing=False).review_card(
        FsrsCard(
            state=FsrsState.Review,
            stability=memory.stability,
            difficulty=memory.difficulty,
            last_review=last,
        ),
        Rating.Good,
        now,
    )
    assert expected.stability is not None
    assert after.stability == pytest.approx(expected.stability, rel=1e-2)


ODD_TITLES = """\
topic: odd
title: "Déjà vu::x_y (BCE)* Loss"
cards:
  - id: odd-1
    question: A card in a deck whose title has Anki's separator, a wildcard and accents.
    answer: "It is exported as a child of Deep Learning, its own :: written as one colon."
"""

DECK_QUERIES = [
    "deck:*", 'deck:"Deep Learning"', "deck:deep*", "DECK:DEEP*", 'deck:"deep learning::gradient*"',
    "deck:Gradient*", "deck:*gradient*", "deck:*Perceptron*", "deck:deep", 'deck:"Deep Learning::"',
    "deck:Deep_Learning::*", "deck:*::*", "deck:*::*::*", "deck:Deep*::Perc*", "deck:*déjà*",
    "deck:*DÉJÀ*", 'deck:"*x_y (BCE)\\* Loss"', "deck:*x\\_y*", "deck:*x\\_z*", "deck:*vu?x*",
    "deck:*vu:x*", "deck:filtered", "-deck:*Loss*", "deck:*gradient* -deck:*vanishing*",
    "(deck:*vanishing* or deck:*perceptron*) -deck:*multi*", '"deck:Deep Learning::Vanishing*"',
    "deck:*gradient* is:new", "deck:*loss*",
]  # fmt: skip


def test_a_deck_search_finds_what_anki_finds_in_the_exported_decks(
    col: Collection, tmp_path: Path
) -> None:
    """`deck:` read as Anki reads it, on the decks as `export anki` names them (Deep Learning::
    and the title, its own `::` one colon): the same cards, query by query, in a real Anki
    holding the package. Before, every `deck:` was refused."""
    decks = tmp_path / "decks"
    decks.mkdir()
    (decks / "odd.yaml").write_text(ODD_TITLES, encoding="utf-8")
    path = tmp_path / "dl.apkg"
    export("anki", "-o", str(path), "--decks", str(decks))
    import_apkg(col, path)
    by_anki = {cid: col.get_card(cid).note()["CardId"] for cid in col.find_cards("")}

    def found(query: str) -> set[str]:
        done = runner.invoke(
            app, ["search", "--json", "--limit", "1000", "--decks", str(decks), "--", query]
        )
        assert done.exit_code == 0, done.output
        return {card["id"] for card in json.loads(done.output)["cards"]}

    seen = set()
    for query in DECK_QUERIES:
        anki = {by_anki[cid] for cid in col.find_cards(query)}
        assert found(query) == anki, query
        seen.add(len(anki))
    assert len(seen) > 8  # the queries tell the decks apart (none, one, some, all)
    # a topic is a name for its deck too, where Anki finds nothing by it
    assert not col.find_cards("deck:gd") and not col.find_cards("deck:odd")
    gd = {card.id for card in load_catalog().select(["gd"])}
    assert found("deck:gd") == found("topic:gd") == gd
    assert found("deck:od_") == {"odd-1"}


# media files whose names Anki stores otherwise, or that share a name: name in the deck's
# folder -> its bytes (all different)
CLASHING_MEDIA = {
    "media/a:b.png": b"colon",
    "media/<x>.mp3": b"angle brackets",
    "media/x.mp3": b"plain x",
    "media/con.png": b"a device name on Windows",
    "media/fig.png": b"the first figure",
    "more/fig.png": b"another folder's figure",
    "media/Cafe\u0301.png": b"NFD",
    "media/" + "l" * 150 + ".png": b"too long",
}


def test_media_anki_would_rename_or_merge_reach_anki_each_as_its_own_file(
    tmp_path: Path, col: Collection
) -> None:
    """Each card shows or plays its own file in Anki. The package named its media as the
    deck did: Anki stores `a:b.png` as `ab.png`, `<x>.mp3` as `x.mp3` (over the other
    `x.mp3`), `con.png` as `con_.png`, a decomposed `é` composed and a long name cut, and
    the note that named the first found nothing or another file; two folders' `fig.png`
    were packed as one, so one card showed the other's figure. Now a name is packed as Anki
    keeps it, and one that another file has ends in its content's SHA-1."""
    import html as html_module

    folder = tmp_path / "decks"
    cards = []
    for k, (name, data) in enumerate(CLASHING_MEDIA.items(), start=1):
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(data)
        ref = name.replace("<", "%3C").replace(">", "%3E")  # as a Markdown link takes them
        shown = f"[sound: {ref}]" if name.endswith(".mp3") else f"![]({ref})"
        cards.append({"id": f"clash-{k}", "question": f"File {k}?", "answer": f"It: {shown}"})
    import yaml

    deck = {"topic": "clash", "title": "Clash", "cards": cards}
    (folder / "clash.yaml").write_text(yaml.safe_dump(deck, allow_unicode=True), "utf-8")
    assert "warning" not in runner.invoke(app, ["check", "--decks", str(folder)]).output
    export("anki", "-o", str(tmp_path / "clash.apkg"), "--decks", str(folder), "--topic", "clash")
    import_apkg(col, tmp_path / "clash.apkg")
    media = Path(col.media.dir())
    notes = notes_by_card_id(col)
    for k, data in enumerate(CLASHING_MEDIA.values(), start=1):
        back = notes[f"clash-{k}"]["Back"]
        named = re.findall(r'src="([^"]*)"|\[sound:([^\]]*)\]', back)
        [(image, sound)] = named
        name = html_module.unescape(image or sound)
        assert (media / name).read_bytes() == data, (k, name)
    assert col.media.check().missing == []


def test_a_media_file_changed_under_its_name_reaches_anki(tmp_path: Path, col: Collection) -> None:
    """An image replaced by another of the same name (the deck file as it was): Anki must show
    the new one. The note's digest covered its fields but not its files' bytes, so the note
    kept its time, Anki kept its note, and the new image, which Anki stores under a new name
    (its SHA-1 after the stem) for the notes it updates only, was shown by none. Exported
    again unchanged, no note is newer."""
    import html as html_module

    import yaml

    folder = tmp_path / "decks"
    (folder / "media").mkdir(parents=True)
    figure = folder / "media" / "fig.png"
    figure.write_bytes(b"the first figure")
    cards = [
        {"id": "fig-1", "question": "Which figure?", "answer": "This: ![](media/fig.png)"},
        {"id": "fig-2", "question": "No figure?", "answer": "None."},
    ]
    deck = {"topic": "fig", "title": "Figures", "cards": cards}
    (folder / "fig.yaml").write_text(yaml.safe_dump(deck, allow_unicode=True), "utf-8")
    path = tmp_path / "fig.apkg"
    export("anki", "-o", str(path), "--decks", str(folder), "--topic", "fig")
    import_apkg(col, path)
    media = Path(col.media.dir())

    def shown() -> bytes:
        back = notes_by_card_id(col)["fig-1"]["Back"]
        (name,) = re.findall(r'src="([^"]*)"', back)
        return (media / html_module.unescape(name)).read_bytes()

    assert shown() == b"the first figure"
    figure.write_bytes(b"the second figure, redrawn")
    export("anki", "-o", str(path), "--decks", str(folder), "--topic", "fig", "--force")
    log = import_apkg(col, path)
    assert shown() == b"the second figure, redrawn"
    assert [notes_by_card_id(col)["fig-1"].id] == [n.id.nid for n in log.updated]
    export("anki", "-o", str(path), "--decks", str(folder), "--topic", "fig", "--force")
    assert not import_apkg(col, path).updated


def test_a_media_file_changed_twice_reaches_anki_though_one_export_kept_no_record(
    tmp_path: Path, col: Collection, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An image changed, exported from a database that cannot be written (its digest and time
    not kept), imported into Anki; changed again and exported with the database writable:
    the note was dated a second after its stale time again, the time Anki had from the first
    change, and Anki kept the first image. A note is dated from its files' change now."""
    import html as html_module
    import time

    import yaml

    folder = tmp_path / "decks"
    (folder / "media").mkdir(parents=True)
    figure = folder / "media" / "fig.png"
    figure.write_bytes(b"version 1")
    cards = [{"id": "fig-1", "question": "Which figure?", "answer": "This: ![](media/fig.png)"}]
    deck = {"topic": "fig", "title": "Figures", "cards": cards}
    (folder / "fig.yaml").write_text(yaml.safe_dump(deck, allow_unicode=True), "utf-8")
    path = tmp_path / "fig.apkg"
    args = ("anki", "-o", str(path), "--decks", str(folder), "--topic", "fig", "--force")
    export(*args)
    import_apkg(col, path)
    media = Path(col.media.dir())

    def shown() -> bytes:
        (name,) = re.findall(r'src="([^"]*)"', notes_by_card_id(col)["fig-1"]["Back"])
        return (media / html_module.unescape(name)).read_bytes()

    def changed(data: bytes, later: float) -> None:
        figure.write_bytes(data)
        os.utime(figure, (time.time() + later, time.time() + later))

    changed(b"version 2", 10)
    real_access = os.access
    with monkeypatch.context() as read_only:
        read_only.setattr(
            os, "access", lambda p, mode: False if mode == os.W_OK else real_access(p, mode)
        )
        said = export(*args)
        assert said.count("\n") == 2 and "not kept: " in said, said
        assert "the digests of 1 changed note (" in said, said
    import_apkg(col, path)
    assert shown() == b"version 2"
    changed(b"version 3", 20)
    export(*args)
    import_apkg(col, path)
    assert shown() == b"version 3"


def _package_mods(path: Path, tmp_path: Path) -> dict[str, int]:
    """Each note's modification time in the package at `path`, by its card id."""
    import sqlite3
    import zipfile

    inside = tmp_path / "inside.anki2"
    inside.write_bytes(zipfile.ZipFile(path).read("collection.anki2"))
    with contextlib.closing(sqlite3.connect(inside)) as conn:
        rows = conn.execute("SELECT flds, mod FROM notes").fetchall()
    return {flds.split("\x1f")[-1]: mod for flds, mod in rows}


def test_an_export_from_a_read_only_database_dates_the_notes_as_the_next_one_does(
    col: Collection, tmp_path: Path, user_decks: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A deck edit, then `export anki` from a database that cannot be written: it could take
    neither the sync nor its own records, and dated the edited card's note from the stale
    time (a second after its last export). Anki took the edit. The learner edits that note
    on the phone; the database writable again, the next export dated the note at the deck
    file's time, newer, and Anki took the same edit again over the learner's. Now the
    read-only export dates it as the sync will, says in one line what it could not keep (the
    sync's own note, "what it holds is shown", made it two), and the next export writes
    every note as it did: the learner's edit stays."""
    path = tmp_path / "dl.apkg"
    export("anki", "-o", str(path), "--decks", str(user_decks))
    import_apkg(col, path)
    _reword_batches_1(user_decks)
    real_access = os.access
    with monkeypatch.context() as read_only:
        read_only.setattr(
            os, "access", lambda p, mode: False if mode == os.W_OK else real_access(p, mode)
        )
        said = export("anki", "-o", str(path), "--decks", str(user_decks), "--force")
    warning, wrote = said.splitlines()
    assert warning.startswith(f"warning: database {os.environ['DLCARDS_DB']} is read-only"), said
    assert "; the package is written, but not kept: the decks' changes (" in warning, said
    assert "; the digests of 1 changed note (the next export dates" in warning, said
    assert wrote.startswith(f"wrote {path}: 222 notes"), said
    before = _package_mods(path, tmp_path)
    assert [n.id.nid for n in import_apkg(col, path).updated] == [
        notes_by_card_id(col)["batches-1"].id
    ]
    note = notes_by_card_id(col)["batches-1"]
    assert r"\) updates per epoch." in note["Back"]
    note["Back"] = "My own words, on the phone."
    col.update_note(note)
    col.db.execute(f"UPDATE notes SET mod = {before['batches-1'] + 1} WHERE id = {note.id}")
    said = export("anki", "-o", str(path), "--decks", str(user_decks), "--force")
    assert "warning" not in said, said
    assert _package_mods(path, tmp_path) == before
    assert not import_apkg(col, path).updated
    assert notes_by_card_id(col)["batches-1"]["Back"] == "My own words, on the phone."


def test_with_progress_a_read_only_database_exports_the_progress_it_holds(
    col: Collection, tmp_path: Path, user_decks: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`--with-progress` from a database that cannot be written, over a deck edit it could
    not sync: the progress it holds is the learner's (an edited card keeps its history, as
    the sync keeps it), so the package carries it, with one line of what was not kept (the
    sync's note, "what it holds is shown", made it two). In Anki the reviewed card is a
    review card due when dlcards says, the edited one new."""
    path = tmp_path / "dl.apkg"
    export("anki", "-o", str(path), "--decks", str(user_decks))
    today = _anki_today()
    with Store.open(Path(os.environ["DLCARDS_DB"])) as store:
        h.grade(store, "batches-2", Grade.PERFECT, today - timedelta(days=3), NOW)
        state = h.state(store, "batches-2")
    _reword_batches_1(user_decks)
    real_access = os.access
    monkeypatch.setattr(
        os, "access", lambda p, mode: False if mode == os.W_OK else real_access(p, mode)
    )
    args = ("anki", "-o", str(path), "--decks", str(user_decks), "--with-progress", "--force")
    warning, wrote = export(*args, "--today", today.isoformat()).splitlines()
    assert warning.startswith(f"warning: database {os.environ['DLCARDS_DB']} is read-only")
    assert "the package is written, but not kept: the decks' changes (" in warning, warning
    assert wrote.startswith(f"wrote {path}: 222 notes in 10 decks; progress for 1 reviewed card")
    monkeypatch.undo()
    import_apkg(col, path, scheduling=True)
    notes = notes_by_card_id(col)
    card = notes["batches-2"].cards()[0]
    assert state.due is not None and (card.type, card.ivl) == (2, state.interval)
    assert card.due - col.sched.today == (state.due - today).days
    assert notes["batches-1"].cards()[0].type == 0
    assert r"\) updates per epoch." in notes["batches-1"]["Back"]


@pytest.fixture
def lock_waits(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Each wait for another program's write lock that ended in a LockedError, in seconds as
    waited (the busy timeout: 0.2 s here, not 5 s)."""
    from dlcards.store import connection

    monkeypatch.setattr(connection, "BUSY_TIMEOUT_S", 0.2)
    waits: list[float] = []
    real = connection.translate_error

    def counted(path: Path, err: Any, *waited: float) -> Any:
        out = real(path, err, *waited)
        if isinstance(out, connection.LockedError):
            waits.append(waited[0] if waited else connection.BUSY_TIMEOUT_S)
        return out

    monkeypatch.setattr(connection, "translate_error", counted)
    return waits


def _a_leech_and_a_deck_edit(user_decks: Path, path: Path) -> dict[str, int]:
    """The user's decks exported once (synced, each note's digest kept), batches-2 then made
    a leech here (its note goes to Anki without the `leech` tag: no progress) and batches-1
    reworded in its deck; the first package's note times, by card id."""
    from test_leech import lapse

    export("anki", "-o", str(path), "--decks", str(user_decks))
    with Store.open(Path(os.environ["DLCARDS_DB"])) as store:
        day = lapse(store, "batches-2", 7)
        assert h.grade(store, "batches-2", 0, day).leech
    _reword_batches_1(user_decks)
    return _package_mods(path, path.parent)


def _kept_leech_notes() -> list[str]:
    import sqlite3

    with contextlib.closing(sqlite3.connect(os.environ["DLCARDS_DB"])) as conn:
        return [r[0] for r in conn.execute("SELECT card_id FROM anki_leech_tags")]


def test_an_export_while_another_program_holds_the_database_waits_once_and_says_one_line(
    tmp_path: Path, user_decks: Path, lock_waits: list[float]
) -> None:
    """A deck edit, then `export anki` while another program holds the database's write lock:
    the sync waited the busy timeout and failed, then the records after the package waited
    it again, twice (the digests, the leeches' notes): 15 s and two lines, each saying the
    database is locked. Now the lock is waited for once (the records are tried without a
    wait), one line says what the database did not keep and what that means, the edited
    card is dated as the sync will date it, and the next export writes every note as it did."""
    import sqlite3

    path = tmp_path / "dl.apkg"
    first = _a_leech_and_a_deck_edit(user_decks, path)
    with contextlib.closing(sqlite3.connect(os.environ["DLCARDS_DB"], isolation_level=None)) as c:
        c.execute("BEGIN IMMEDIATE")
        said = export("anki", "-o", str(path), "--decks", str(user_decks), "--force")
    assert [w for w in lock_waits if w] == [0.2], lock_waits
    warning, wrote = said.splitlines()
    assert warning.startswith(f"warning: database {os.environ['DLCARDS_DB']} is locked by"), said
    assert warning.count("is locked by another program") == 1, said
    assert (
        "; the package is written, but not kept: the decks' changes (the next command that can "
        "write to it syncs them); the digests of 1 changed note (the next export dates those "
        "notes as this one did, and keeps them); that the notes of 1 leech go without the "
        "`leech` tag (imported into Anki, the next `import anki` may read that as your removal "
        "of the tag: export again once the database can be written, which keeps it)"
    ) in warning, said
    assert wrote.startswith(f"wrote {path}: 222 notes"), said
    assert _kept_leech_notes() == []
    locked = _package_mods(path, tmp_path)
    assert {cid for cid, mod in locked.items() if mod != first[cid]} == {"batches-1"}
    said = export("anki", "-o", str(path), "--decks", str(user_decks), "--force")
    assert "warning" not in said, said
    assert _package_mods(path, tmp_path) == locked
    assert _kept_leech_notes() == ["batches-2"]


@pytest.mark.parametrize("lock", ["released", "taken"])
def test_a_lock_given_back_or_taken_while_the_package_is_written(
    tmp_path: Path, user_decks: Path, lock_waits: list[float], monkeypatch: pytest.MonkeyPatch,
    lock: str,
) -> None:  # fmt: skip
    """`released`: the sync failed on another program's lock, which was given back while the
    package was written. Its records were then kept in a database that did not hold the
    decks: a digest over the card's old text and time, and the next export, after the sync,
    dated the edited note otherwise than this one. The digests wait for the sync now (the
    next export dates the note as this one did, and keeps it); the leech's note is kept, and
    the line says only what was not. `taken`: the sync done, the lock taken while the
    package was written: the digests' record waited the busy timeout, then the leeches'
    waited it again. They are one transaction now: one wait, one line."""
    import sqlite3

    from dlcards.export import anki as anki_export

    path = tmp_path / "dl.apkg"
    _a_leech_and_a_deck_edit(user_decks, path)
    other = sqlite3.connect(os.environ["DLCARDS_DB"], isolation_level=None)
    write_package = anki_export.write_package

    def writing(*args: Any, **kwargs: Any) -> Any:
        written = write_package(*args, **kwargs)
        other.execute("ROLLBACK" if lock == "released" else "BEGIN IMMEDIATE")
        return written

    with contextlib.closing(other):
        if lock == "released":
            other.execute("BEGIN IMMEDIATE")
        with monkeypatch.context() as patched:
            patched.setattr(anki_export, "write_package", writing)
            said = export("anki", "-o", str(path), "--decks", str(user_decks), "--force")
        if lock == "taken":
            other.execute("ROLLBACK")
    assert [w for w in lock_waits if w] == [0.2], lock_waits
    warning, _ = said.splitlines()
    assert warning.count("is locked by another program") == 1, said
    assert ("the decks' changes" in warning) == (lock == "released"), said
    assert "the digests of 1 changed note (" in warning, said
    assert ("`leech` tag" in warning) == (lock == "taken"), said
    assert _kept_leech_notes() == ([] if lock == "taken" else ["batches-2"])
    written = _package_mods(path, tmp_path)
    said = export("anki", "-o", str(path), "--decks", str(user_decks), "--force")
    assert "warning" not in said, said
    assert _package_mods(path, tmp_path) == written


def test_export_text_on_a_locked_database_waits_once_and_says_what_to_do(
    tmp_path: Path, user_decks: Path, lock_waits: list[float]
) -> None:
    """`export text` keeps one record after the file: its leeches' notes carry no `leech`
    tag. Locked by another program, it waits once and says in one line that the file is
    written, what was not kept and what to do (its line said neither); exported again once
    the lock is given back, the record is kept."""
    import sqlite3

    _a_leech_and_a_deck_edit(user_decks, tmp_path / "dl.apkg")
    out = tmp_path / "dl.txt"
    args = ("text", "-o", str(out), "--decks", str(user_decks), "--force")
    with contextlib.closing(sqlite3.connect(os.environ["DLCARDS_DB"], isolation_level=None)) as c:
        c.execute("BEGIN IMMEDIATE")
        warning, wrote = export(*args).splitlines()
    assert lock_waits == [0.2]
    assert warning == (
        f"warning: database {os.environ['DLCARDS_DB']} is locked by another program (waited "
        "0.2 s); close it or try again; the file is written, but not kept: that its notes of 1 "
        "leech carry no `leech` tag (imported into Anki, the next `import anki` may read that "
        "as your removal of the tag: export again once the database can be written, which "
        "keeps it)"
    )
    assert wrote == f"wrote {out}: 222 notes" and _kept_leech_notes() == []
    assert "warning" not in export(*args)
    assert _kept_leech_notes() == ["batches-2"]


def test_with_progress_a_lock_on_decks_not_synced_is_refused_saying_what_to_do(
    tmp_path: Path, user_decks: Path, lock_waits: list[float]
) -> None:
    """`--with-progress` needs the decks synced (each card's progress as the database holds
    it): with another program holding the lock over a deck edit it stops, after one wait, in
    one line that says what to do (close that program, or export without the progress), and
    writes nothing."""
    import sqlite3

    path = tmp_path / "dl.apkg"
    export("anki", "-o", str(path), "--decks", str(user_decks))
    _reword_batches_1(user_decks)
    out = tmp_path / "progress.apkg"
    with contextlib.closing(sqlite3.connect(os.environ["DLCARDS_DB"], isolation_level=None)) as c:
        c.execute("BEGIN IMMEDIATE")
        args = ["export", "anki", "-o", str(out), "--decks", str(user_decks), "--with-progress"]
        result = runner.invoke(app, args)
    assert result.exit_code == 2, result.output
    assert result.output == (
        f"error: database {os.environ['DLCARDS_DB']} is locked by another program (waited "
        "0.2 s), and --with-progress needs the decks' changes synced into it first: close that "
        f"program and export again, or export without --with-progress (nothing was exported; "
        f"{out} was not written)\n"
    )
    assert lock_waits == [0.2] and not out.exists()


def test_an_export_without_its_database_names_the_anki_edits_it_replaces(
    col: Collection, tmp_path: Path, user_decks: Path
) -> None:
    """A database that cannot be opened (damaged; on a full disk SQLite cannot even read
    it): the package is written with every note at the package's time. Its line said only
    that; the time it names is the one before which an edit made in Anki is replaced by the
    package's note (Anki takes a newer note), and one made after is kept."""
    from datetime import datetime

    path = tmp_path / "dl.apkg"
    export("anki", "-o", str(path), "--decks", str(user_decks))
    import_apkg(col, path)
    bad = tmp_path / "bad.db"
    bad.write_bytes(b"not a database" * 100)
    said = export("anki", "-o", str(path), "--decks", str(user_decks), "--db", str(bad), "-f")
    (stamp,) = set(_package_mods(path, tmp_path).values())
    when = datetime.fromtimestamp(stamp).strftime("%Y-%m-%d %H:%M")
    warning, _ = said.splitlines()
    assert warning.startswith(f"warning: database {bad} is corrupt"), said
    assert warning.endswith(
        "or pass another --db; the package is written, but every note carries the package's "
        f"time, not its card's ({when}: imported into Anki, it replaces a note edited there "
        "before then), and nothing of this export is kept in the database"
    ), said
    notes = notes_by_card_id(col)
    for cid, mod in (("batches-1", stamp - 1), ("batches-2", stamp + 1)):
        notes[cid]["Source"] = f"edited in Anki at {mod}"
        col.update_note(notes[cid])
        col.db.execute(f"UPDATE notes SET mod = {mod} WHERE id = {notes[cid].id}")
    updated = {n.id.nid for n in import_apkg(col, path).updated}
    assert notes["batches-1"].id in updated and notes["batches-2"].id not in updated
    notes = notes_by_card_id(col)
    assert notes["batches-1"]["Source"] == "Made up #1"
    assert notes["batches-2"]["Source"] == f"edited in Anki at {stamp + 1}"


@pytest.mark.parametrize("action", ["suspend", "tag"])
def test_a_leech_reaches_anki_tagged_as_anki_tags_one(
    col: Collection, tmp_path: Path, action: str
) -> None:
    """Anki marks a leech with the tag `leech` (its only mark of one): a card that lapsed
    into a leech here reached Anki as a plain card (suspended, with no word of why, or, with
    `leech_action tag`, not marked at all). With its progress it carries the tag; without,
    the package claims no progress, and no leech."""
    db = tmp_path / "leech.db"
    today = _anki_today()
    store = Store.open(db)
    store.sync(load_catalog().cards, "test", NOW)
    h.set_scheduler(store, "sm2")
    from dlcards.commands.config import change

    change(store, "leech_action", action)

    def grade(card_id: str, grade: Grade, days_ago: int) -> None:  # as a session grades
        h.grade(store, card_id, grade, today - timedelta(days=days_ago), NOW)

    grade("gd-23", Grade.PERFECT, 30)
    for days_ago in range(20, 12, -1):  # 8 lapses: the default threshold
        grade("gd-23", Grade.BLACKOUT, days_ago)
    grade("mlp-1", Grade.BLACKOUT, 2)  # one lapse
    leeches = [cid for cid, (_, flags) in store.memories(["gd-23", "mlp-1"]).items() if flags.leech]
    store.close()
    assert leeches == ["gd-23"]

    path = tmp_path / "leech.apkg"
    export("anki", "-o", str(path), "--with-progress", "--db", str(db))
    import_apkg(col, path, scheduling=True)
    leech_notes = [col.get_note(nid)["CardId"] for nid in col.find_notes("tag:leech")]
    assert leech_notes == ["gd-23"]
    # the tag is searched here as Anki searches the note: `tag:leech` said the tag was unknown
    for query in ("tag:leech", "tag:LEE*", "tag:nc:leech", "tag:leech -tag:math", "-tag:leech"):
        anki_found = {col.get_note(nid)["CardId"] for nid in col.find_notes(query)}
        found = runner.invoke(app, ["search", "--db", str(db), "--json", "-n", "9999", query])
        assert found.exit_code == 0, found.output
        assert {row["id"] for row in json.loads(found.output)["cards"]} == anki_found, query
    (card,) = notes_by_card_id(col)["gd-23"].cards()
    assert card.queue == (-1 if action == "suspend" else 2)

    fresh = new_collection(tmp_path / "fresh")
    export("anki", "-o", str(path), "--db", str(db), "--force")
    import_apkg(fresh, path, scheduling=True)
    assert fresh.find_notes("tag:leech") == []
    fresh.close()


def test_a_leech_whose_card_has_the_tag_leech_already_carries_it_once(
    col: Collection, tmp_path: Path, user_decks: Path
) -> None:
    """A deck card tagged `leech` (a card from Anki that was one there, say) that lapsed into a
    leech here was written with the tag twice (` batches math leech leech `): the package's
    note held a tag Anki never writes twice, and Anki's browser showed it twice."""
    import sqlite3
    import zipfile

    path = user_decks / "batches.yaml"
    path.write_text(USER_DECK.replace("tags: [math, interview]", "tags: [math, leech]"), "utf-8")
    db = tmp_path / "leech.db"
    env = {"DLCARDS_DECKS": str(user_decks), "DLCARDS_DB": str(db)}
    for command in (["due"], ["config", "leech_threshold", "1"]):
        result = runner.invoke(app, command, env=env)
        assert result.exit_code == 0, result.output
    today = _anki_today()
    with Store.open(db) as store:
        h.grade(store, "batches-1", 5, today - timedelta(days=3))
        row = h.grade(store, "batches-1", 0, today - timedelta(days=1))
        assert row.leech == "suspend"
    package = tmp_path / "leech.apkg"
    result = runner.invoke(
        app, ["export", "anki", "-o", str(package), "--with-progress", "-t", "batches"], env=env
    )
    assert result.exit_code == 0, result.output
    with zipfile.ZipFile(package) as z:
        (tmp_path / "col.anki2").write_bytes(z.read("collection.anki2"))
    with contextlib.closing(sqlite3.connect(tmp_path / "col.anki2")) as conn:
        written = {f.split("\x1f")[-1]: t for f, t in conn.execute("SELECT flds, tags FROM notes")}
    assert written["batches-1"].split() == ["batches", "math", "leech"]
    import_apkg(col, package, scheduling=True)
    note = notes_by_card_id(col)["batches-1"]
    assert sorted(note.tags) == ["batches", "leech", "math"], note.tags


def _full_disk_write(db: Path) -> Any:
    """A write to database `db` on a full disk, as the store says it (`translate_error`)."""
    import sqlite3

    from dlcards.store.connection import translate_error

    def full(*args: Any, **kwargs: Any) -> Any:
        raise translate_error(db, sqlite3.OperationalError("database or disk is full"))

    return full


@pytest.mark.parametrize(
    "where", ["records", "sync", "open", "sync --with-progress", "open --with-progress"]
)
def test_a_full_disk_under_an_export_says_what_is_kept_and_nothing_else(
    tmp_path: Path, user_decks: Path, monkeypatch: pytest.MonkeyPatch, where: str
) -> None:
    """The disk holding the database fills during `export anki`. The package written, the
    warning of what the database did not keep began with the store's own line, "the disk is
    full: ...; free some space and try again (nothing was lost)": nothing lost, beside what
    was not kept. Now the line says the cause and what is and is not kept, once; with
    --with-progress (which needs the database) one line says that nothing was exported, and
    the package is not written."""
    db = Path(os.environ["DLCARDS_DB"])
    path = tmp_path / "dl.apkg"
    export("anki", "-o", str(path), "--decks", str(user_decks))
    path.unlink()
    _reword_batches_1(user_decks)
    method = {"records": "record_exports", "sync": "sync_decks", "open": "open"}
    full = _full_disk_write(db)
    monkeypatch.setattr(
        Store, method[where.split()[0]], classmethod(full) if "open" in where else full
    )
    args = ["export", "anki", "-o", str(path), "--decks", str(user_decks)]
    result = runner.invoke(app, args + where.split()[1:])
    assert "Traceback" not in result.output and "nothing was lost" not in result.output, (
        result.output
    )
    cause = f"the disk is full: cannot use database {db}; free some space and try again"
    if where.endswith("--with-progress"):
        assert result.exit_code == 2, result.output
        (line,) = result.output.splitlines()
        sync = "" if where.startswith("open") else (
            "; --with-progress needs the decks' changes synced into it first, or export "
            "without --with-progress"
        )  # fmt: skip
        assert line == (f"error: {cause}{sync} (nothing was exported; {path} was not written)"), (
            line
        )
        assert not path.exists()
        return
    assert result.exit_code == 0, result.output
    warning, wrote = result.output.splitlines()
    assert wrote.startswith(f"wrote {path}: 222 notes") and path.exists()
    assert warning.startswith(f"warning: {cause}; the package is written, but "), warning
    kept = {
        "records": "not kept: the digests of 1 changed note (",
        "sync": "not kept: the decks' changes (the next command that can write to it syncs "
        "them); the digests of 1 changed note (",
        "open": "every note carries the package's time",
    }[where]
    assert kept in warning, warning


@pytest.mark.parametrize("errno_name", ["ENOSPC", "EDQUOT", "EROFS", "EACCES"])
@pytest.mark.parametrize("there", [False, True])
def test_a_package_that_cannot_be_written_says_the_file_is_as_it_was(
    tmp_path: Path, user_decks: Path, monkeypatch: pytest.MonkeyPatch, errno_name: str,
    there: bool,
) -> None:  # fmt: skip
    """The package's file cannot be made (a full disk or quota, a read-only folder): one line
    said "cannot write dl.apkg: No space left on device", and nothing of what was kept. Now
    it says that nothing was exported and whether the file is as it was or not written; the
    package's scratch folder that cannot be made is named as such, not as the package."""
    import errno
    import tempfile

    from dlcards.export import anki as anki_export

    code = getattr(errno, errno_name)
    path = tmp_path / "dl.apkg"
    export("anki", "-o", str(tmp_path / "first.apkg"), "--decks", str(user_decks))  # synced
    if there:
        path.write_bytes(b"the old package")
    kept = "is as it was" if there else "was not written"
    args = ["export", "anki", "-o", str(path), "--decks", str(user_decks), "--force"]

    def refused(*args: Any, **kwargs: Any) -> Any:
        raise OSError(code, os.strerror(code))

    with monkeypatch.context() as patched:
        patched.setattr(tempfile, "mkstemp", refused)
        result = runner.invoke(app, args)
    assert result.exit_code == 1, result.output
    assert result.output == (
        f"error: cannot write {path}: {os.strerror(code)} (nothing was exported; {path} {kept})\n"
    )
    with monkeypatch.context() as patched:
        patched.setattr(anki_export.tempfile, "TemporaryDirectory", refused)
        result = runner.invoke(app, args)
    assert result.exit_code == 1, result.output
    assert result.output == (
        "error: cannot make the package's collection in the temporary folder "
        f"{tempfile.gettempdir()}: {os.strerror(code)}; free some space there, or set TMPDIR "
        f"to another folder (nothing was exported; {path} {kept})\n"
    )
    assert (path.read_bytes() == b"the old package") if there else not path.exists()


@pytest.mark.parametrize("unwritable", ["file", "folder"])
def test_with_progress_a_read_only_database_with_a_scheduler_change_half_done_says_why(
    tmp_path: Path, user_decks: Path, monkeypatch: pytest.MonkeyPatch, unwritable: str
) -> None:
    """A `config scheduler fsrs` stopped before every card's state was rebuilt leaves its
    mark (`rebuild_pending`), which the next command that reads the schedules finishes,
    writing. `export anki --with-progress` from such a database that cannot be written (the
    file 0444, or its folder) said only "database ... is read-only; check its permissions",
    to an export, which writes nothing to it otherwise. Now the line names the change to
    finish, and what to do: make it writable and run it again (or `dlcards due`), or export
    without the progress, which needs no write; nothing is exported."""
    import sqlite3

    db = Path(os.environ["DLCARDS_DB"])
    export("anki", "-o", str(tmp_path / "first.apkg"), "--decks", str(user_decks))  # synced
    assert runner.invoke(app, ["config", "scheduler", "fsrs"]).exit_code == 0
    with contextlib.closing(sqlite3.connect(db)) as conn:
        conn.execute("INSERT INTO meta (key, value) VALUES ('rebuild_pending', '1')")
        conn.commit()
    real_access = os.access
    locked = db if unwritable == "file" else db.parent

    def access(path: Any, mode: int, **kwargs: Any) -> bool:
        if mode == os.W_OK and Path(path) == locked:
            return False
        return real_access(path, mode, **kwargs)

    path = tmp_path / "dl.apkg"
    args = ["export", "anki", "-o", str(path), "--decks", str(user_decks), "--with-progress"]
    why = (
        f"database {db} is read-only; check its permissions or pass --db"
        if unwritable == "file"
        else f"the folder {db.parent} is read-only, and SQLite writes its journal next to the "
        f"database {db.name}; check the folder's permissions or pass --db"
    )
    with monkeypatch.context() as read_only:  # (not `monkeypatch.undo()`: DLCARDS_DB stays)
        read_only.setattr(os, "access", access)
        result = runner.invoke(app, args)
        assert result.exit_code == 2 and "Traceback" not in result.output, result.output
        (line,) = result.output.splitlines()
        assert line == (
            f"error: database {db} holds a change of scheduler to fsrs left half done (a "
            "`dlcards config scheduler fsrs` stopped before every card's state was rebuilt from "
            f"its review log), and finishing it writes to the database, which cannot be written "
            f"({why}): make it writable, then run this again or `dlcards due`, either of which "
            f"finishes it; or export without --with-progress (nothing was exported; {path} was "
            "not written)"
        )
        assert not path.exists()
        assert export(*args[1:-1]).endswith("\n") and path.exists()  # no progress: written
    assert "progress for" in export(*args[1:], "--force")  # writable: finished, exported
    with contextlib.closing(sqlite3.connect(db)) as conn:
        assert conn.execute("SELECT 1 FROM meta WHERE key = 'rebuild_pending'").fetchall() == []


def _save_deck(user_decks: Path, text: str, at_ns: int) -> None:
    """Save batches.yaml with `text`, modified at `at_ns` (nanoseconds since the epoch)."""
    deck_file = user_decks / "batches.yaml"
    deck_file.write_text(text, encoding="utf-8")
    os.utime(deck_file, ns=(at_ns, at_ns))


def test_a_second_edit_saved_in_the_second_of_the_first_reaches_anki(
    col: Collection, tmp_path: Path, user_decks: Path
) -> None:
    """Two edits of a card saved in the same second (a file system's clock in whole seconds,
    or a quick fix after a look at the package), each exported and imported into Anki. The
    first's note was dated a second after its file's time (a note that differs from the last
    export's), and the sync dated the second edit by its file's time, the same second: its
    note was dated as the first's, and Anki, which replaces a note only with a newer one,
    kept the first edit. Now a change is dated at least a second after the card's last one,
    and the second edit reaches Anki."""
    path = tmp_path / "dl.apkg"
    export("anki", "-o", str(path), "--decks", str(user_decks))
    import_apkg(col, path)
    second = (int(time.time()) - 30) * 10**9
    first_text = USER_DECK.replace("$ updates.", "$ updates (first edit).")
    _save_deck(user_decks, first_text, second + 200_000_000)
    export("anki", "-o", str(path), "--decks", str(user_decks), "--force")
    assert [n.id.nid for n in import_apkg(col, path).updated] == [
        notes_by_card_id(col)["batches-1"].id
    ]
    first = _package_mods(path, tmp_path)["batches-1"]
    _save_deck(user_decks, first_text.replace("first edit", "second edit"), second + 700_000_000)
    export("anki", "-o", str(path), "--decks", str(user_decks), "--force")
    assert _package_mods(path, tmp_path)["batches-1"] > first
    assert [n.id.nid for n in import_apkg(col, path).updated] == [
        notes_by_card_id(col)["batches-1"].id
    ]
    assert "(second edit)" in notes_by_card_id(col)["batches-1"]["Back"]
    # and an export after them changes nothing: each note as Anki has it
    said = export("anki", "-o", str(path), "--decks", str(user_decks), "--force")
    assert "warning" not in said and not import_apkg(col, path).updated


@pytest.mark.parametrize("database", ["writable", "read-only", "locked"])
def test_a_deck_saved_again_as_it_was_just_before_an_export_is_no_change(
    col: Collection, tmp_path: Path, user_decks: Path, monkeypatch: pytest.MonkeyPatch,
    lock_waits: list[float], database: str,
) -> None:  # fmt: skip
    """A deck file saved again as it was (an editor's `:w`, a `touch`) a moment before an
    export, whose database cannot take the sync (read-only): the export said "the package is
    written, but not kept: the decks' changes", of a save that changed nothing (the deck
    files' signature, made from their times, differs; a save in the last moments before the
    sync that kept it differs from every later look). Now the decks' text decides: the notes
    are as before, nothing is said, and Anki updates nothing. A real change saved in the same
    moment is still one: said, and dated after the note Anki holds."""
    path = tmp_path / "dl.apkg"
    export("anki", "-o", str(path), "--decks", str(user_decks))
    import_apkg(col, path)
    before = _package_mods(path, tmp_path)
    real_access = os.access
    with monkeypatch.context() as patched, contextlib.ExitStack() as held:
        if database == "read-only":
            patched.setattr(
                os, "access", lambda p, mode: False if mode == os.W_OK else real_access(p, mode)
            )
        if database == "locked":  # another program holds the write lock meanwhile
            import sqlite3

            other = held.enter_context(
                contextlib.closing(sqlite3.connect(os.environ["DLCARDS_DB"], isolation_level=None))
            )
            other.execute("BEGIN IMMEDIATE")
        _save_deck(user_decks, USER_DECK, time.time_ns())
        said = export("anki", "-o", str(path), "--decks", str(user_decks), "--force")
        assert said.startswith(f"wrote {path}: 222 notes"), said
        assert _package_mods(path, tmp_path) == before
        assert not import_apkg(col, path).updated
        _save_deck(user_decks, USER_DECK.replace("$ updates.", "$ updates, now."), time.time_ns())
        said = export("anki", "-o", str(path), "--decks", str(user_decks), "--force")
    assert ("the decks' changes (" in said) == (database != "writable"), said
    # locked: each export waited once, for its sync (its records were not waited for again)
    assert [w for w in lock_waits if w] == ([0.2, 0.2] if database == "locked" else [])
    after = _package_mods(path, tmp_path)
    assert {cid for cid, mod in after.items() if mod != before[cid]} == {"batches-1"}
    assert after["batches-1"] > before["batches-1"]
    assert [n.id.nid for n in import_apkg(col, path).updated] == [
        notes_by_card_id(col)["batches-1"].id
    ]
