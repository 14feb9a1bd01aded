"""The package writer (executemany into Anki's schema 11) against the genanki writer it
replaced (issue 15): the reference below is the old code, kept verbatim, that built a
genanki.Note per card, let genanki write them one by one and then set the progress with one
UPDATE per card. Both write the shipped decks with progress (reviewed, suspended, new, FSRS
memory state): the collections must hold the same rows, table by table, and a real Anki must
import them into the same notes and cards.
"""

from __future__ import annotations

import hashlib
import io
import itertools
import json
import sqlite3
import zipfile
from collections.abc import Mapping, Sequence
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import genanki
import helpers as h
import pytest
from typer.testing import CliRunner

from dlcards.catalog import load_catalog
from dlcards.cli import app
from dlcards.export.anki import (
    BACK_TEMPLATE,
    CARD_TYPE_REVIEW,
    CSS,
    FIELDS,
    FRONT_TEMPLATE,
    MODEL_ID,
    MODEL_NAME,
    QUEUE_REVIEW,
    QUEUE_SUSPENDED,
    ROOT_DECK,
    ROOT_DECK_ID,
    AnkiNote,
    CardProgress,
    anki_day,
    anki_notes,
    deck_id,
)
from dlcards.sm2 import Grade
from dlcards.store import Store

STAMP = 1_790_000_000
NOW = datetime(2026, 11, 26, 9, 0, tzinfo=timezone.utc)
TODAY = date(2026, 11, 26)
TABLES = ("col", "notes", "cards", "revlog", "graves")
COMPARED = (*TABLES, "schema")


# --- the reference: the genanki writer as it was (commit 6d7d1d5) --------------------------------


def reference_package(notes: Sequence[AnkiNote]) -> Any:
    model = genanki.Model(
        MODEL_ID,
        MODEL_NAME,
        fields=[{"name": name} for name in FIELDS],
        templates=[{"name": "Card", "qfmt": FRONT_TEMPLATE, "afmt": BACK_TEMPLATE}],
        css=CSS,
    )
    root = genanki.Deck(
        ROOT_DECK_ID,
        ROOT_DECK,
        description="Deep learning flashcards from dlcards, one subdeck per topic.",
    )
    decks: dict[str, Any] = {}
    used = {ROOT_DECK_ID}
    for position, note in enumerate(notes, start=1):
        deck = decks.get(note.topic)
        if deck is None:
            did = deck_id(note.topic)
            while did in used:
                did += 1
            used.add(did)
            deck = decks[note.topic] = genanki.Deck(did, note.deck)
        deck.add_note(
            genanki.Note(
                model=model,
                fields=list(note.fields),
                tags=list(note.tags),
                guid=note.guid,
                due=position,
            )
        )
    return genanki.Package([root, *decks.values()])


def reference_set_progress(
    conn: sqlite3.Connection,
    notes: Sequence[AnkiNote],
    progress: Mapping[str, CardProgress],
    timestamp: int,
) -> None:
    crt = int(conn.execute("SELECT crt FROM col").fetchone()[0])
    nids = dict(conn.execute("SELECT guid, id FROM notes").fetchall())
    for note in notes:
        item = progress.get(note.card_id)
        if item is None:
            continue
        nid = nids[note.guid]
        (position,) = conn.execute("SELECT due FROM cards WHERE nid = ?", (nid,)).fetchone()
        if item.due is None:
            if item.suspended:
                conn.execute("UPDATE cards SET queue = ? WHERE nid = ?", (QUEUE_SUSPENDED, nid))
            continue
        conn.execute(
            "UPDATE cards SET type = ?, queue = ?, ivl = ?, due = ?, factor = ?, reps = ?, "
            "lapses = ?, mod = ?, data = ? WHERE nid = ?",
            (
                CARD_TYPE_REVIEW,
                QUEUE_SUSPENDED if item.suspended else QUEUE_REVIEW,
                max(item.interval, 1),
                anki_day(item.due, crt),
                item.ef * 10,
                item.repetitions,
                item.lapses,
                timestamp,
                item.card_data(position),
                nid,
            ),
        )


def ids_of(guid: str, added_ms: int) -> int:
    """The note id a card's note has in the package, by the rule written out: an even number
    in the day before the card came into dlcards, from the first 8 bytes of the GUID's
    SHA-256; the card's id is the next number."""
    day = 86_400_000
    head = int(hashlib.sha256(guid.encode("utf-8")).hexdigest()[:16], 16)
    return added_ms - day + 2 * (head % (day // 2))


def renumbered(conn: sqlite3.Connection, added_ms: int) -> None:
    """genanki counted the notes' and cards' ids from the package's time in the export's
    order; the package makes them from each note's GUID (`ids_of`)."""
    rows = conn.execute("SELECT id, guid FROM notes").fetchall()
    new = {nid: ids_of(guid, added_ms) for nid, guid in rows}
    assert len(set(new.values())) == len(new)  # no two alike in these decks
    conn.execute("UPDATE notes SET id = -id")
    conn.execute("UPDATE cards SET id = -id, nid = -nid")
    conn.executemany("UPDATE notes SET id = ? WHERE id = ?", [(v, -k) for k, v in new.items()])
    conn.executemany(
        "UPDATE cards SET id = ?, nid = ? WHERE nid = ?",
        [(v + 1, v, -k) for k, v in new.items()],
    )


def reference_collection(
    notes: Sequence[AnkiNote], path: Path, progress: Mapping[str, CardProgress] | None
) -> Path:
    conn = sqlite3.connect(path)
    reference_package(notes).write_to_db(conn.cursor(), STAMP, itertools.count(STAMP * 1000))
    renumbered(conn, STAMP * 1000)  # SOURCE_DATE_EPOCH, or no database: the package's time
    # and the day settings Anki counts the due days by, which genanki's `col` lacks (the
    # creation day in UTC, the day starting at 4; test_export_anki_real checks their effect)
    (conf,) = conn.execute("SELECT conf FROM col").fetchone()
    days = {"schedVer": 2, "creationOffset": 0, "rollover": 4}
    conn.execute(
        "UPDATE col SET conf = ?", (json.dumps({**json.loads(conf), **days}, sort_keys=True),)
    )
    if progress:
        reference_set_progress(conn, notes, progress, STAMP)
    # and a card without progress claims no time of change (test_import_anki_real checks why:
    # a suspension made here must not look older than the package's new card)
    conn.executemany(
        "UPDATE cards SET mod = 0 WHERE nid = (SELECT id FROM notes WHERE guid = ?)",
        [(n.guid,) for n in notes if n.card_id not in (progress or {})],
    )
    conn.commit()
    conn.close()
    return path


def reference_progress(store: Store, card_ids: Sequence[str]) -> dict[str, CardProgress]:
    """The old `export._progress`: two queries per card."""
    schedule = h.sched(store)
    fsrs = schedule.name == "fsrs"
    out = {}
    for card_id in card_ids:
        flags = store.card_flags(card_id)
        memory = store.memory(card_id)
        out[card_id] = CardProgress(
            due=None if memory.is_new else schedule.due(memory),
            interval=schedule.interval(memory),
            ef=memory.sm2.ef,
            repetitions=store.query(  # Anki's reps: the answers (no reset in these tests)
                "SELECT count(*) FROM reviews WHERE card_id = ?", (card_id,)
            )[0][0],
            lapses=memory.sm2.lapses,
            stability=memory.fsrs.stability if fsrs else None,
            difficulty=memory.fsrs.difficulty if fsrs else None,
            suspended=bool(flags and flags.suspended),
            last_answer=store.query(  # the moment of the last answer (no reset in these tests)
                "SELECT max(at) FROM reviews WHERE card_id = ?", (card_id,)
            )[0][0],
            retention=store.settings().desired_retention if fsrs else None,
            decay=store.settings().fsrs_parameters[20] if fsrs else None,
        )
    return out


# --- the comparison ----------------------------------------------------------------------------


def unpacked(apkg: Path, where: Path) -> Path:
    with zipfile.ZipFile(apkg) as archive:
        path = where / "collection.anki2"
        path.write_bytes(archive.read("collection.anki2"))
    return path


def rows(path: Path) -> dict[str, list[tuple[Any, ...]]]:
    conn = sqlite3.connect(path)
    try:
        out = {t: conn.execute(f"SELECT * FROM {t} ORDER BY 1").fetchall() for t in TABLES}
        out["schema"] = conn.execute(
            "SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY type, name"
        ).fetchall()
        return out
    finally:
        conn.close()


def graded_store(db: Path, scheduler: str) -> list[str]:
    """A store with reviewed, suspended-reviewed, suspended-new and new cards; their ids."""
    store = Store.open(db)
    store.sync(load_catalog().cards, "test", NOW)
    if scheduler == "fsrs":
        h.set_scheduler(store, "fsrs")
    for card_id, grade, days_ago in [
        ("gd-23", Grade.PERFECT, 7),
        ("gd-23", Grade.GOOD, 6),
        ("cce-33", Grade.GOOD, 3),
        ("mlp-1", Grade.HARD, 1),
        ("perceptron-1", Grade.PERFECT, 30),
        ("perceptron-1", Grade.BLACKOUT, 3),
        ("vgp-1", Grade.PERFECT, 20),
    ]:
        h.grade(store, card_id, grade, TODAY - timedelta(days=days_ago), NOW)
    store.set_suspended(["cce-33", "perceptron-2"], True)
    ids = [card.id for card in load_catalog().cards]
    store.close()
    return ids


@pytest.mark.parametrize("scheduler", ["sm2", "fsrs"])
def test_cli_package_holds_the_rows_the_genanki_writer_wrote(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, scheduler: str
) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", str(STAMP))
    db = tmp_path / "progress.db"
    ids = graded_store(db, scheduler)
    catalog = load_catalog()
    notes = anki_notes(catalog.cards, catalog.topic_titles())
    store = Store.open(db)
    progress = reference_progress(store, ids)
    store.close()
    assert {p.suspended for p in progress.values()} == {True, False}
    assert sum(p.due is not None for p in progress.values()) == 5
    old = reference_collection(notes, tmp_path / "old.anki2", progress)

    (tmp_path / "new").mkdir()
    for args in (["--with-progress", "--db", str(db)], []):
        out = tmp_path / "new.apkg"
        result = CliRunner().invoke(
            app,
            ["export", "anki", "-o", str(out), "--force", "--today", TODAY.isoformat(), *args],
        )
        assert result.exit_code == 0, result.output
        new = rows(unpacked(out, tmp_path / "new"))
        expected = rows(old if args else reference_collection(notes, tmp_path / "o2.anki2", None))
        for table in COMPARED:
            assert new[table] == expected[table], table
        assert len(new["notes"]) == len(new["cards"]) == len(notes) == h.shipped()[0]


def test_write_apkg_holds_the_rows_the_genanki_writer_wrote(tmp_path: Path) -> None:
    """Through the library call, with progress given as a mapping (and a card without any)."""
    from dlcards.export.anki import write_apkg

    catalog = load_catalog()
    notes = anki_notes(catalog.select(["perceptron", "gd"]), catalog.topic_titles())
    progress = {
        notes[0].card_id: CardProgress(date(2026, 12, 3), 6, 236, 2, 1),
        notes[1].card_id: CardProgress(date(2026, 12, 1), 0, 250, 1, 0, suspended=True),
        notes[2].card_id: CardProgress(suspended=True),
        notes[3].card_id: CardProgress(date(2026, 12, 9), 3, 250, 2, 0, 4.25, 5.5),
    }
    buf = io.BytesIO()
    write_apkg(notes, buf, STAMP, progress)
    (tmp_path / "new").mkdir()
    apkg = tmp_path / "new.apkg"
    apkg.write_bytes(buf.getvalue())
    new = rows(unpacked(apkg, tmp_path / "new"))
    old = rows(reference_collection(notes, tmp_path / "old.anki2", progress))
    for table in COMPARED:
        assert new[table] == old[table], table


def test_real_anki_imports_the_same_notes_and_cards(tmp_path: Path) -> None:
    pytest.importorskip("anki")
    from anki.collection import Collection, ImportAnkiPackageOptions, ImportAnkiPackageRequest

    db = tmp_path / "progress.db"
    ids = graded_store(db, "sm2")
    catalog = load_catalog()
    notes = anki_notes(catalog.cards, catalog.topic_titles())
    store = Store.open(db)
    progress = reference_progress(store, ids)
    store.close()
    old_col = reference_collection(notes, tmp_path / "collection.anki2", progress)
    old_apkg = tmp_path / "old.apkg"
    with zipfile.ZipFile(old_apkg, "w") as archive:
        archive.write(old_col, "collection.anki2")
        archive.writestr("media", "{}")
    new_apkg = tmp_path / "new.apkg"
    result = CliRunner().invoke(
        app,
        ["export", "anki", "-o", str(new_apkg), "--with-progress", "--db", str(db)],
        env={"SOURCE_DATE_EPOCH": str(STAMP)},
    )
    assert result.exit_code == 0, result.output

    def imported(apkg: Path, name: str) -> dict[str, Any]:
        (tmp_path / name).mkdir()
        col = Collection(str(tmp_path / name / "collection.anki2"))
        try:
            request = ImportAnkiPackageRequest(
                package_path=str(apkg), options=ImportAnkiPackageOptions(with_scheduling=True)
            )
            col.import_anki_package(request)
            out = {}
            for nid in col.find_notes(""):
                note = col.get_note(nid)
                (card,) = note.cards()
                out[note.guid] = (
                    tuple(note.fields),
                    tuple(sorted(note.tags)),
                    col.decks.name(card.did),
                    note.note_type()["name"],
                    (card.type, card.queue, card.ivl, card.due, card.factor, card.reps),
                    card.lapses,
                )
            return out
        finally:
            col.close()

    old, new = imported(old_apkg, "a"), imported(new_apkg, "b")
    assert new == old
    assert len(new) == h.shipped()[0]
    assert {v[4][:2] for v in new.values()} >= {(0, 0), (2, 2), (2, -1), (0, -1)}


def test_a_card_has_the_same_anki_ids_in_every_package_and_no_other_card_has_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A card's note and card ids are made from its GUID and the moment it came into dlcards
    (`ids_of`), not counted in the order of the export: `--topic gd` and the whole package give
    each gd card the same ids, no two cards share one, and none is after the card came in
    (Anki shows the card id as the day it was added)."""
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)  # (it gives every card its time)
    db = tmp_path / "progress.db"
    came = datetime(2026, 3, 1, 12, 0, tzinfo=timezone.utc)
    with Store.open(db) as store:
        store.sync(load_catalog().cards, "test", came)
    ids: dict[str, dict[str, tuple[int, int]]] = {}
    for name, args in (("gd", ["--topic", "gd"]), ("all", [])):
        out = tmp_path / f"{name}.apkg"
        result = CliRunner().invoke(app, ["export", "anki", "-o", str(out), "--db", str(db), *args])
        assert result.exit_code == 0, result.output
        (tmp_path / name).mkdir()
        conn = sqlite3.connect(unpacked(out, tmp_path / name))
        ids[name] = {
            flds.split("\x1f")[4]: (nid, cid)
            for nid, cid, flds in conn.execute(
                "SELECT n.id, c.id, n.flds FROM notes n JOIN cards c ON c.nid = n.id"
            )
        }
        guids = dict(conn.execute("SELECT id, guid FROM notes").fetchall())
        conn.close()
        start = int(came.timestamp()) * 1000
        for nid, cid in ids[name].values():
            assert (nid, cid) == (ids_of(guids[nid], start), ids_of(guids[nid], start) + 1)
    assert len(ids["all"]) == h.shipped()[0]
    assert {c: v for c, v in ids["all"].items() if c.startswith("gd-")} == ids["gd"]
    every = [i for pair in ids["all"].values() for i in pair]
    assert len(set(every)) == len(every)
    assert all(start - 86_400_000 <= i < start for i in every)
