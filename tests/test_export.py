"""Exports without Anki: HTML conversion, notes, the package file, the text format, the CLI.

The real-Anki import of these files is proved in test_export_anki_real.py.
"""

from __future__ import annotations

import contextlib
import csv
import html
import io
import json
import os
import re
import sqlite3
import subprocess
import sys
import zipfile
from collections.abc import Callable, Iterator
from datetime import date, datetime, timedelta, timezone
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import genanki
import helpers as h
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from dlcards.catalog import load_catalog
from dlcards.cli import app
from dlcards.export import write_atomic
from dlcards.export.anki import (
    BASE91,
    FIELDS,
    MODEL_ID,
    MODEL_NAME,
    ROOT_DECK_ID,
    CardProgress,
    anki_day,
    anki_notes,
    back_html,
    deck_id,
    note_guid,
    note_guids,
    write_apkg,
)
from dlcards.export.html import to_html
from dlcards.export.text import HEADER, quote, write_text
from dlcards.mathcards import evaluate
from dlcards.render import to_plain
from dlcards.sm2 import Grade
from dlcards.store import Store

runner = CliRunner()
NOW = datetime(2026, 11, 26, 9, 0, tzinfo=timezone.utc)
STAMP = 1_790_000_000

MATH_DECK = """\
topic: batches
title: Batches & Epochs
cards:
  - id: batches-1
    question: With $n = 320$ rows and batch size 64, how many updates per epoch?
    answer: $\\frac{320}{64} = 5$ updates.
    tags: [math, interview]
    source: "Made up #1"
    compute: {fn: updates_per_epoch, args: {n: 320, batch_size: 64}, claim: 5}
  - id: batches-2
    question: And with 330 rows?
    answer: "**5** updates (the last partial batch is dropped)."
    tags: [math]
    erratum: The last partial batch is *not* dropped by default; it is 6 updates.
    compute: {fn: updates_per_epoch, args: {n: 330, batch_size: 64}, claim: 5}
"""


@pytest.fixture(scope="module")
def catalog():  # type: ignore[no-untyped-def]
    return load_catalog(use_cache=False)


@pytest.fixture
def math_deck(tmp_path: Path) -> Path:
    path = tmp_path / "decks" / "batches.yaml"
    path.parent.mkdir()
    path.write_text(MATH_DECK, encoding="utf-8")
    return path.parent


# --- HTML -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("**bold** and *italic*", "<b>bold</b> and <i>italic</i>"),
        ("`a**2` stays code", "<code>a**2</code> stays code"),
        ("line one<br>line two<br/>three", "line one<br>line two<br>three"),
        ("if z < 0 & y > 1", "if z &lt; 0 &amp; y &gt; 1"),
        ("<script>alert(1)</script>", "&lt;script&gt;alert(1)&lt;/script&gt;"),
        ("$x_i^2$ here", r"\(x_i^2\) here"),
        ("$z<0$ and $a & b$", r"\(z&lt;0\) and \(a &amp; b\)"),
        ("see $$\\sum_i w_i$$ done", r"see \[\sum_i w_i\] done"),
        ("costs $5 and $10", "costs $5 and $10"),  # Pandoc's rule: not math
        ("$7 + 4 = **11$**", r"\(7 + 4 =\) <b>\(11\)</b>"),
        ("***both***", "<i><b>both</b></i>"),
        ("an \\*escaped\\* star", "an *escaped* star"),
        ("&amp; stays one ampersand", "&amp; stays one ampersand"),
    ],
)
def test_to_html(text: str, expected: str) -> None:
    assert to_html(text) == expected


class _Checker(HTMLParser):
    """Fails on any tag but the few the converter writes, and on unbalanced tags."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        assert tag in {"b", "i", "code", "br"}, tag
        if tag != "br":
            self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        assert self.stack and self.stack.pop() == tag, tag

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def test_every_shipped_card_converts_to_clean_html(catalog) -> None:  # type: ignore[no-untyped-def]
    for card in catalog.cards:
        for text in (card.question, card.answer):
            out = to_html(text)
            checker = _Checker()
            checker.feed(out)
            checker.close()
            assert not checker.stack, (card.id, out)
            visible = "".join(checker.text)
            assert "$" not in visible, (card.id, out)
            assert "**" not in re.sub(r"<code>.*?</code>", "", out), (card.id, out)


def test_html_reads_like_the_terminal_for_text_without_math(catalog) -> None:  # type: ignore[no-untyped-def]
    """Same lexer, same emphasis: strip the tags and it is the terminal's plain text."""
    checked = 0
    for card in catalog.cards:
        for text in (card.question, card.answer):
            if "$" in text:
                continue
            out = to_html(text).replace("<br>", "\n")
            assert html.unescape(re.sub(r"<[^>]+>", "", out)) == to_plain(text), card.id
            checked += 1
    assert checked > 300


# --- notes ----------------------------------------------------------------------------------


def test_notes_of_the_shipped_decks(catalog) -> None:  # type: ignore[no-untyped-def]
    notes = {n.card_id: n for n in anki_notes(catalog.cards, catalog.topic_titles())}
    assert len(notes) == h.shipped()[0]
    gd = notes["gd-23"]
    assert gd.guid == genanki.guid_for("gd-23")
    assert gd.deck == "Deep Learning::Gradient Descent and Its Variants"
    assert gd.tags == ("gd", "math")
    front, back, topic, source, card_id = gd.fields
    assert front.startswith("If a dataset has 320 rows")
    assert back.startswith(r"\(\frac{320}{64} = \mathbf{5 \text{ updates}}\)")
    assert (topic, source, card_id) == (
        "Gradient Descent and Its Variants",
        "Gradient Descent and Its Variants #23",
        "gd-23",
    )
    cce = notes["cce-33"]
    assert cce.tags == ("cce", "interview", "math")
    assert cce.fields[2] == "Categorical Cross-Entropy (CCE) &amp; Sparse CCE"
    assert cce.deck == "Deep Learning::Categorical Cross-Entropy (CCE) & Sparse CCE"
    assert "<code>ŷ = [0.1, 0.7, 0.2]</code>" in cce.fields[0]
    levels = {t for n in notes.values() for t in n.tags} & {"intuitive", "interview"}
    assert levels == {"intuitive", "interview"}


def test_math_cards_carry_the_computed_result_steps_and_erratum(math_deck: Path) -> None:
    catalog = load_catalog([math_deck], use_cache=False)
    notes = {n.card_id: n for n in anki_notes(catalog.select(["batches"]), catalog.topic_titles())}
    back = notes["batches-1"].fields[1]
    assert back.startswith(r"\(\frac{320}{64} = 5\) updates.")
    assert '<div class="computed">' in back and '<span class="value">= 5</span>' in back
    assert '<ol class="steps"><li>' in back
    assert "the card says" not in back
    erratum = notes["batches-2"].fields[1]
    assert '<span class="value">= 6</span>' in erratum
    assert '<span class="claim">(the card says 5)</span>' in erratum
    assert '<div class="erratum"><b>Erratum:</b> The last partial batch is <i>not</i>' in erratum
    assert notes["batches-1"].deck == "Deep Learning::Batches & Epochs"
    assert notes["batches-1"].fields[2] == "Batches &amp; Epochs"


def test_several_named_values_are_labelled_lines_on_the_back() -> None:
    card = load_catalog(use_cache=False).by_id()["robust-i5"]  # huber_continuity at δ = 2
    back = back_html(card, evaluate(card))
    assert '<span class="value">quadratic value: 2<br>linear value: 2<br>' in back
    assert "quadratic_value" not in back


def test_ids_are_fixed() -> None:
    """Changing these makes Anki create a second note type or deck: never change them."""
    assert (MODEL_ID, ROOT_DECK_ID) == (1525040419, 1102058212)
    assert FIELDS == ("Front", "Back", "Topic", "Source", "CardId")
    assert deck_id("gd") == 1073741824 + int.from_bytes(
        __import__("hashlib").sha256(b"dlcards-deck:gd").digest()[:4], "big"
    ) % (1 << 30)
    assert len({deck_id(t) for t in ("perceptron", "mlp", "loss", "gd", "vgp")}) == 5


def test_package_model_and_decks(catalog, collection) -> None:  # type: ignore[no-untyped-def]
    conn = collection(_apkg(anki_notes(catalog.cards, catalog.topic_titles())))
    decks = json.loads(conn.execute("SELECT decks FROM col").fetchone()[0])
    names = [d["name"] for d in decks.values() if d["id"] != 1]  # 1: Anki's "Default"
    assert names[0] == "Deep Learning" and decks[str(ROOT_DECK_ID)]["name"] == names[0]
    assert names[1:] == [f"Deep Learning::{d.title}" for d in catalog.decks]
    (model,) = json.loads(conn.execute("SELECT models FROM col").fetchone()[0]).values()
    assert (int(model["id"]), model["name"]) == (MODEL_ID, MODEL_NAME)
    assert ".nightMode" in model["css"] and ".night_mode" in model["css"]
    assert [f["name"] for f in model["flds"]] == list(FIELDS)
    assert conn.execute("SELECT count(*) FROM notes").fetchone()[0] == h.shipped()[0]


# --- the package file -------------------------------------------------------------------------


def _apkg(notes, timestamp=STAMP, progress=None) -> bytes:  # type: ignore[no-untyped-def]
    buf = io.BytesIO()
    write_apkg(notes, buf, timestamp, progress)
    return buf.getvalue()


@pytest.fixture
def collection(tmp_path: Path) -> Iterator[Callable[[bytes], sqlite3.Connection]]:
    """The collection in a package's bytes, opened (closed after the test)."""
    opened: list[sqlite3.Connection] = []

    def open_collection(data: bytes) -> sqlite3.Connection:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            assert sorted(archive.namelist()) == ["collection.anki2", "media"]
            assert archive.read("media") == b"{}"
            path = tmp_path / f"collection{len(opened)}.anki2"
            path.write_bytes(archive.read("collection.anki2"))
        opened.append(sqlite3.connect(path))
        return opened[-1]

    yield open_collection
    for conn in opened:
        conn.close()


def test_apkg_is_reproducible(catalog) -> None:  # type: ignore[no-untyped-def]
    notes = anki_notes(catalog.cards, catalog.topic_titles())
    first = _apkg(notes)
    assert _apkg(notes) == first
    assert _apkg(anki_notes(catalog.cards, catalog.topic_titles())) == first
    assert _apkg(notes, STAMP + 1) != first


def test_apkg_collection_contents(catalog, collection) -> None:  # type: ignore[no-untyped-def]
    notes = anki_notes(catalog.cards, catalog.topic_titles())
    conn = collection(_apkg(notes))
    rows = conn.execute("SELECT guid, mid, mod, tags, flds FROM notes").fetchall()
    assert len(rows) == h.shipped()[0]
    assert {r[1] for r in rows} == {MODEL_ID}
    assert {r[2] for r in rows} == {STAMP}
    by_guid = {r[0]: r for r in rows}
    gd = by_guid[genanki.guid_for("gd-23")]
    assert gd[3] == " gd math "
    assert gd[4].split("\x1f")[4] == "gd-23"
    models = json.loads(conn.execute("SELECT models FROM col").fetchone()[0])
    assert list(models) == [str(MODEL_ID)]
    decks = json.loads(conn.execute("SELECT decks FROM col").fetchone()[0])
    assert "Deep Learning::Perceptron Loss Function" in {d["name"] for d in decks.values()}
    cards = conn.execute("SELECT type, queue, ivl, factor FROM cards").fetchall()
    assert set(cards) == {(0, 0, 0, 0)}  # no progress asked: all new


def test_apkg_with_progress_sets_the_schedule(catalog, collection) -> None:  # type: ignore[no-untyped-def]
    cards = catalog.select(["perceptron"])
    notes = anki_notes(cards, catalog.topic_titles())
    due = date(2026, 12, 3)
    progress = {
        "perceptron-1": CardProgress(due, 6, 236, 2, 1),
        "perceptron-2": CardProgress(due, 1, 250, 1, 0, suspended=True),
        "perceptron-3": CardProgress(suspended=True),
    }
    data = _apkg(notes, progress=progress)
    assert _apkg(notes, progress=progress) == data
    conn = collection(data)
    crt = conn.execute("SELECT crt FROM col").fetchone()[0]
    got = {
        cid: row
        for cid in ("perceptron-1", "perceptron-2", "perceptron-3", "perceptron-4")
        for row in conn.execute(
            "SELECT c.type, c.queue, c.ivl, c.due, c.factor, c.reps, c.lapses FROM cards c "
            "JOIN notes n ON n.id = c.nid WHERE n.guid = ?",
            (genanki.guid_for(cid),),
        )
    }
    day = anki_day(due, crt)
    assert day == (due - datetime.fromtimestamp(crt, timezone.utc).date()).days
    assert got["perceptron-1"] == (2, 2, 6, day, 2360, 2, 1)
    assert got["perceptron-2"] == (2, -1, 1, day, 2500, 1, 0)
    assert got["perceptron-3"][:3] == (0, -1, 0)  # new and suspended
    assert got["perceptron-4"][:3] == (0, 0, 0)


# --- the text format --------------------------------------------------------------------------


def test_quote() -> None:
    assert quote("plain <b>html</b>") == "plain <b>html</b>"
    assert quote('say "hi"') == '"say ""hi"""'
    assert quote("a\tb") == '"a\tb"'
    assert quote("a\nb") == '"a\nb"'
    assert quote("#not a comment") == '"#not a comment"'
    assert quote("a\rb") == '"a\rb"' and quote("a # b") == "a # b" and quote("") == ""


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet='a #\t\n\r"\u00a0<>', max_size=12))
def test_quote_is_the_text_formats_rule(field: str) -> None:
    """A field is quoted exactly when it holds a tab, a line break or a quote, or starts
    with "#" (the module's rule, written out here), its quotes doubled; else it is as is."""
    needs = field.startswith("#") or any(ch in field for ch in '\t\n\r"')
    assert quote(field) == ('"' + field.replace('"', '""') + '"' if needs else field)


def test_text_export(catalog) -> None:  # type: ignore[no-untyped-def]
    notes = anki_notes(catalog.cards, catalog.topic_titles())
    buf = io.StringIO()
    write_text(notes, buf)
    lines = buf.getvalue().split("\n")
    assert lines[:7] == list(HEADER)
    assert lines[0] == "#separator:tab" and lines[1] == "#html:true"
    assert {line.split(":")[0] for line in lines[3:7]} == {
        "#guid column",
        "#notetype column",
        "#deck column",
        "#tags column",
    }
    rows = list(csv.reader(io.StringIO("\n".join(lines[7:])), delimiter="\t"))
    rows = [r for r in rows if r]
    assert len(rows) == h.shipped()[0]
    assert all(len(r) == 9 for r in rows)
    by_id = {r[7]: r for r in rows}
    gd = by_id["gd-23"]
    assert gd[0] == genanki.guid_for("gd-23")
    assert gd[1:3] == [MODEL_NAME, "Deep Learning::Gradient Descent and Its Variants"]
    assert gd[8] == "gd math"
    assert tuple(gd[3:8]) == next(n.fields for n in notes if n.card_id == "gd-23")


# --- writing files ----------------------------------------------------------------------------


def test_write_atomic_leaves_no_half_file(tmp_path: Path) -> None:
    work = tmp_path / "work"
    work.mkdir()
    target = work / "out.apkg"
    target.write_bytes(b"old")

    def fail(fh: object) -> None:
        fh.write(b"half")  # type: ignore[attr-defined]
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        write_atomic(target, True, fail)
    assert target.read_bytes() == b"old"
    assert sorted(p.name for p in work.iterdir()) == ["out.apkg"]


# --- the CLI ----------------------------------------------------------------------------------


def _run(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, ["export", *args])
    assert "Traceback" not in result.output
    return result.exit_code, result.output


def test_cli_anki_writes_the_package(tmp_path: Path) -> None:
    out = tmp_path / "deck.apkg"
    code, output = _run("anki", "-o", str(out))
    assert code == 0, output
    assert f"wrote {out}: {h.shipped()[0]} notes in {h.shipped()[1]} decks" in output
    with zipfile.ZipFile(out) as archive:
        assert "collection.anki2" in archive.namelist()
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []


def test_cli_anki_is_reproducible(tmp_path: Path) -> None:
    a, b = tmp_path / "a.apkg", tmp_path / "b.apkg"
    assert _run("anki", "-o", str(a))[0] == 0
    assert _run("anki", "-o", str(b))[0] == 0
    with zipfile.ZipFile(a) as za, zipfile.ZipFile(b) as zb:
        assert za.namelist() == zb.namelist()
        for name in za.namelist():
            assert za.read(name) == zb.read(name), name
    assert a.read_bytes() == b.read_bytes()


def test_cli_anki_topic_and_tag(tmp_path: Path) -> None:
    out = tmp_path / "gd.apkg"
    code, output = _run("anki", "-o", str(out), "--topic", "gd", "--tag", "math")
    assert code == 0, output
    catalog = load_catalog()
    expected = len(catalog.select(["gd"], "math"))
    assert f"{expected} notes in 1 deck\n" in output  # "1 deck", not "1 decks"


def test_cli_refuses_to_overwrite_without_force(tmp_path: Path) -> None:
    for kind, name in (("anki", "x.apkg"), ("text", "x.txt"), ("reviews", "x.csv")):
        out = tmp_path / name
        out.write_text("keep me")
        code, output = _run(kind, "-o", str(out))
        assert code == 2, output
        assert output.strip() == f"error: {out} already exists; pass --force to overwrite it"
        assert out.read_text() == "keep me"
        code, output = _run(kind, "-o", str(out), "--force")
        assert code == 0, output
        assert out.read_text(encoding="utf-8", errors="replace") != "keep me"


def test_cli_unwritable_path(tmp_path: Path) -> None:
    blocker = tmp_path / "file.txt"
    blocker.write_text("a file, not a directory")
    for kind, name in (("anki", "out.apkg"), ("text", "out.txt"), ("reviews", "out.csv")):
        code, output = _run(kind, "-o", str(blocker / name))
        assert code == 2
        said = f"error: cannot write {blocker / name}: {blocker} is not a directory"
        assert output.strip() == said
    code, output = _run("anki", "-o", str(tmp_path / "missing" / "out.apkg"))
    assert code == 2 and "does not exist" in output
    code, output = _run("anki", "-o", str(tmp_path))
    assert code == 2 and "is a directory" in output


def test_cli_unknown_topic_and_empty_selection(tmp_path: Path) -> None:
    code, output = _run("anki", "-o", str(tmp_path / "x.apkg"), "--topic", "gdd")
    assert code == 2
    assert output.startswith("error: unknown topic 'gdd' (did you mean 'gd'?)")
    assert len(output.strip().splitlines()) == 1
    code, output = _run("text", "-o", str(tmp_path / "x.txt"), "--tag", "nope")
    assert code == 2 and output.startswith("error: unknown tag 'nope'; tags are: ")
    assert len(output.strip().splitlines()) == 1
    assert not (tmp_path / "x.apkg").exists() and not (tmp_path / "x.txt").exists()


def test_cli_text(tmp_path: Path, math_deck: Path) -> None:
    out = tmp_path / "cards.txt"
    code, output = _run("text", "-o", str(out), "--decks", str(math_deck))
    assert code == 0, output
    assert "222 notes" in output
    text = out.read_text(encoding="utf-8")
    assert text.startswith("#separator:tab\n#html:true\n")
    assert "Deep Learning::Batches &amp; Epochs" not in text
    assert "\tDeep Learning::Batches & Epochs\t" in text


def test_a_cards_anki_guid_is_its_notes_over_a_stale_database(tmp_path: Path) -> None:
    """A card's `anki_guid` (its Anki note's GUID, `import anki --to-yaml`) is its note's GUID
    in both exports, with or without a database; the database's (a deck converted before the
    key) serves a card whose deck gives none. The text export reads the database without
    syncing it: a GUID edited in the deck since the last sync lost to the stale one there."""
    decks = tmp_path / "decks"
    decks.mkdir()
    (decks / "mine.yaml").write_text(
        "topic: mine\ntitle: Mine\ncards:\n"
        "  - id: m-1\n    question: q1\n    answer: a1\n    anki_guid: '#deck&1'\n"
        "  - id: m-2\n    question: q2\n    answer: a2\n"
        "  - id: m-3\n    question: q3\n    answer: a3\n",
        encoding="utf-8",
    )
    expected = {"m-1": "#deck&1", "m-2": "imported", "m-3": note_guid("m-3")}
    db = tmp_path / "p.db"
    for with_db in (False, True):
        if with_db:
            with Store.open(db) as store:  # an older GUID of m-1, the import's of m-2
                store.remember_anki_guids({"m-1": "stale", "m-2": "imported"})
        where = ("--db", str(db)) if with_db else ("--db", str(tmp_path / "none.db"))
        text = tmp_path / f"{with_db}.txt"
        code, output = _run(
            "text", "-o", str(text), "--topic", "mine", "--decks", str(decks), *where
        )
        assert code == 0, output
        lines = text.read_text(encoding="utf-8").splitlines()[len(HEADER) :]
        got = {row[7]: row[0] for row in (line.split("\t") for line in lines)}
        wanted = expected if with_db else {**expected, "m-2": note_guid("m-2")}
        assert got == {cid: quote(guid) for cid, guid in wanted.items()}
    package = tmp_path / "mine.apkg"
    code, output = _run(
        "anki", "-o", str(package), "--topic", "mine", "--decks", str(decks), *where
    )
    assert code == 0, output
    unpacked = tmp_path / "unpacked.anki2"
    with zipfile.ZipFile(package) as archive:
        unpacked.write_bytes(archive.read("collection.anki2"))
    with contextlib.closing(sqlite3.connect(unpacked)) as conn:
        rows = conn.execute("SELECT flds, guid FROM notes").fetchall()
    assert {flds.split("\x1f")[-1]: guid for flds, guid in rows} == expected
    with Store.open(db) as store:  # the export's sync: the deck's GUID replaced the stale one
        assert store.anki_guids() == {"m-1": "#deck&1", "m-2": "imported"}


def _graded_db(path: Path) -> Store:
    store = Store.open(path)
    catalog = load_catalog()
    store.sync(catalog.cards, "test", NOW)
    day = date(2026, 11, 1)
    h.grade(store, "gd-23", Grade.PERFECT, day, NOW)
    h.grade(store, "gd-23", Grade.GOOD, day + timedelta(days=1), NOW)
    h.grade(store, "cce-33", Grade.BLACKOUT, day, NOW, seconds=4.5)
    return store


def test_cli_reviews_csv_and_json(tmp_path: Path) -> None:
    db = tmp_path / "p.db"
    _graded_db(db).close()
    code, output = _run("reviews", "--db", str(db))
    assert code == 0, output
    rows = list(csv.DictReader(io.StringIO(output)))
    assert [r["card_id"] for r in rows] == ["gd-23", "gd-23", "cce-33"]
    assert {"id", "card_id", "reviewed_at", "day", "grade", "kind", "ef_before", "ef_after"} <= set(
        rows[0]
    )
    assert rows[1]["interval_after"] == "6" and rows[2]["grade"] == "0"
    assert rows[2]["seconds"] == "4.5" and rows[0]["seconds"] == ""
    with contextlib.closing(sqlite3.connect(db)) as conn:
        columns = [r[1] for r in conn.execute("PRAGMA table_info(reviews)")]
    assert list(rows[0]) == columns

    out = tmp_path / "log.json"
    code, output = _run("reviews", "--db", str(db), "-o", str(out))
    assert code == 0 and "3 reviews" in output
    data = json.loads(out.read_text(encoding="utf-8"))
    assert [r["grade"] for r in data] == [5, 4, 0]
    assert data[0]["seconds"] is None and data[2]["seconds"] == 4.5
    assert list(data[0]) == columns

    code, output = _run("reviews", "--db", str(db), "--format", "json")
    assert json.loads(output) == data
    code, output = _run(
        "reviews", "--db", str(db), "-o", str(tmp_path / "l.txt"), "--format", "csv"
    )
    assert code == 0
    assert (tmp_path / "l.txt").read_text(encoding="utf-8").startswith("id,card_id,")


def test_cli_reviews_of_an_empty_log(tmp_path: Path) -> None:
    code, output = _run("reviews", "--db", str(tmp_path / "new.db"))
    assert code == 0
    assert output.startswith("id,card_id,") and len(output.splitlines()) == 1


def test_cli_with_progress_summary(tmp_path: Path) -> None:
    db = tmp_path / "p.db"
    _graded_db(db).close()
    out = tmp_path / "p.apkg"
    code, output = _run(
        "anki", "-o", str(out), "--with-progress", "--db", str(db), "--today", "2026-11-05"
    )
    assert code == 0, output
    assert "progress for 2 reviewed cards (1 due by 2026-11-05), 218 new" in output
    code, output = _run("anki", "-o", str(out), "--force", "--today", "26/11")
    assert code == 2 and "--today must be a date" in output


def test_one_reviewed_card_is_one_card(tmp_path: Path) -> None:
    db = tmp_path / "p.db"
    store = Store.open(db)
    store.sync(load_catalog().cards, "test", NOW)
    h.grade(store, "gd-23", Grade.GOOD, date(2026, 11, 1), NOW)
    store.close()
    code, output = _run(
        "anki", "-o", str(tmp_path / "p.apkg"), "--with-progress", "--db", str(db),
        "--today", "2026-11-05",
    )  # fmt: skip
    assert code == 0 and "progress for 1 reviewed card (1 due by 2026-11-05)" in output, output


def _card_data(package: Path, tmp_path: Path) -> dict[str, dict[str, Any]]:
    """Each card's `data` in the package, by its card id (the note's last field)."""
    path = tmp_path / "unpacked.anki2"
    with zipfile.ZipFile(package) as archive:
        path.write_bytes(archive.read("collection.anki2"))
    with contextlib.closing(sqlite3.connect(path)) as conn:
        rows = conn.execute("SELECT n.flds, c.data FROM cards c JOIN notes n ON n.id = c.nid")
        return {flds.split("\x1f")[-1]: json.loads(data or "{}") for flds, data in rows}


def test_the_last_answers_time_goes_with_the_progress(tmp_path: Path) -> None:
    """Each studied card carries its last answer's moment, in seconds (Anki's `lrt`; a real
    Anki counts the days since it: test_export_anki_real): of the answers since the card's
    last reset, and of those whose time the log holds as one. A time that damage made text
    was a TypeError traceback; it is passed over."""
    db = tmp_path / "p.db"
    store = Store.open(db)
    store.sync(load_catalog().cards, "test", NOW)
    first = datetime(2026, 11, 1, 9, 30, 15, 250000, tzinfo=timezone.utc)
    h.grade(store, "gd-23", Grade.PERFECT, date(2026, 11, 1), first)
    h.grade(store, "gd-23", Grade.GOOD, date(2026, 11, 2), first + timedelta(days=1))
    h.grade(store, "cce-33", Grade.GOOD, date(2026, 11, 1), first)
    store.reset(["cce-33"], first + timedelta(hours=1))
    store.close()
    out = tmp_path / "p.apkg"
    assert _run("anki", "-o", str(out), "--with-progress", "--db", str(db))[0] == 0
    data = _card_data(out, tmp_path)
    assert data["gd-23"]["lrt"] == int(first.timestamp()) + 86400
    assert data["cce-33"] == {}  # new again since its reset: no answer to count from
    with contextlib.closing(sqlite3.connect(db)) as conn:
        for (name,) in conn.execute(  # let a bad row in, as damage would
            "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'reviews'"
        ).fetchall():
            conn.execute(f'DROP TRIGGER "{name}"')
        conn.execute("UPDATE reviews SET at = 'x' WHERE id = 2")
        conn.commit()
    code, output = _run("anki", "-o", str(out), "--force", "--with-progress", "--db", str(db))
    assert code == 0, output
    assert _card_data(out, tmp_path)["gd-23"]["lrt"] == int(first.timestamp())


def test_the_progress_summary_counts_as_due_counts(tmp_path: Path) -> None:
    """A round trip with real Anki: a suspended card was "due by" the day in the export's
    summary while `dlcards due` (and study) left it out. Both count the same now. And each
    card is counted once, as `stats` counts: a suspended reviewed card was among the reviewed
    cards and the suspended ones (2 + 217 + 2 of 220 notes)."""
    db = tmp_path / "p.db"
    store = _graded_db(db)
    store.set_suspended(["gd-23", "gd-1"], True)  # one reviewed and due, one new
    store.close()
    for day in ("2026-11-01", "2026-11-05"):
        code, output = _run(
            "anki", "-o", str(tmp_path / "p.apkg"), "--force", "--with-progress",
            "--db", str(db), "--today", day,
        )  # fmt: skip
        assert code == 0, output
        shown = runner.invoke(app, ["due", "--db", str(db), "--today", day, "--json"])
        due = json.loads(shown.output)
        assert (
            f"progress for 1 reviewed card ({due['due']} due by {day}), {due['new']} new, "
            "2 suspended"
        ) in output
        notes = int(output.split("wrote ")[1].split(": ")[1].split(" note")[0])
        assert 1 + due["new"] + 2 == notes, output
    assert (due["due"], due["new"]) == (1, 217)  # cce-33; neither suspended card


def test_export_commands_have_help() -> None:
    for name in ("anki", "text", "reviews"):
        result = runner.invoke(app, ["export", name, "--help"])
        assert result.exit_code == 0
        assert "--force" in result.output


def test_quick_commands_do_not_import_genanki() -> None:
    code = (
        "import sys\n"
        "from typer.testing import CliRunner\n"
        "from dlcards.cli import app\n"
        "for args in (['--version'], ['topics'], ['export', '--help']):\n"
        "    assert CliRunner().invoke(app, args).exit_code == 0, args\n"
        "heavy = {'genanki', 'numpy', 'sqlite_utils'} & set(sys.modules)\n"
        "assert not heavy, heavy\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_edited_card_keeps_its_guid(catalog) -> None:  # type: ignore[no-untyped-def]
    card = catalog.card("gd-23")
    edited = card._replace(answer="Five updates.")
    [before] = anki_notes([card], catalog.topic_titles())
    [after] = anki_notes([edited], catalog.topic_titles())
    assert before.guid == after.guid and before.fields[1] != after.fields[1]


# --- where `-o` points (issue 12) -------------------------------------------------------------


def test_cli_dash_writes_to_standard_output(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    result = runner.invoke(app, ["export", "text", "-o", "-", "--topic", "gd"])
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("#separator:tab\n")
    assert "wrote" not in result.stdout  # the summary goes to stderr
    result = runner.invoke(app, ["export", "anki", "-o", "-", "--topic", "gd"])
    assert result.exit_code == 0, result.output
    with zipfile.ZipFile(io.BytesIO(result.stdout_bytes)) as archive:
        assert "collection.anki2" in archive.namelist()
    result = runner.invoke(app, ["export", "reviews", "-o", "-"])
    assert result.exit_code == 0 and result.stdout.startswith("id,card_id,")
    assert list(work.iterdir()) == []  # no file called "-"


def test_cli_symlink_is_followed(tmp_path: Path) -> None:
    target, link = tmp_path / "cards.txt", tmp_path / "link.txt"
    link.symlink_to(target)
    code, output = _run("text", "-o", str(link))
    assert code == 0, output
    assert link.is_symlink() and target.read_text().startswith("#separator:tab")
    code, output = _run("text", "-o", str(link))  # the target exists now: --force needed
    assert code == 2 and "already exists" in output
    target.write_text("old")
    code, output = _run("text", "-o", str(link), "--force")
    assert code == 0, output
    assert link.is_symlink() and target.read_text().startswith("#separator:tab")


def test_cli_fifo_is_written_into_not_replaced(tmp_path: Path) -> None:
    import os
    import stat
    import threading

    work = tmp_path / "work"
    work.mkdir()
    fifo = work / "pipe"
    os.mkfifo(fifo)
    for extra in ([], ["--force"]):
        got: list[bytes] = []
        reader = threading.Thread(target=lambda got=got: got.append(fifo.read_bytes()))
        reader.start()
        code, output = _run("text", "-o", str(fifo), "--topic", "gd", *extra)
        reader.join(timeout=30)
        assert code == 0, output
        assert stat.S_ISFIFO(fifo.stat().st_mode)
        assert got and got[0].startswith(b"#separator:tab")
    assert sorted(p.name for p in work.iterdir()) == ["pipe"]


def _export_process(
    *args: str, pass_fds: tuple[int, ...] = ()
) -> subprocess.CompletedProcess[bytes]:
    """`dlcards export ARGS` in a process of its own, its standard output a pipe."""
    return subprocess.run(
        [sys.executable, "-m", "dlcards", "export", *args],
        capture_output=True,
        pass_fds=pass_fds,
        timeout=120,
    )


@pytest.mark.skipif(not Path("/dev/stdout").exists(), reason="needs /dev/stdout")
def test_cli_dev_stdout_in_a_pipe_is_standard_output() -> None:
    """`dlcards export reviews -o /dev/stdout | ...` said "error: cannot write /dev/stdout: No
    such file or directory" (exit 1): the link was resolved to `/proc/…/fd/pipe:[…]`, which no
    file is, and written as a new file there. It is standard output, as `-o -` is: the same
    bytes, and the line saying what was written not among them."""
    for kind in ("reviews", "text", "anki"):
        dash = _export_process(kind, "-o", "-")
        named = _export_process(kind, "-o", "/dev/stdout")
        assert dash.returncode == 0, dash.stderr
        assert named.returncode == 0, named.stderr
        assert b"Traceback" not in named.stderr
        if kind == "anki":  # a zip, whole: the summary is not written into it
            with zipfile.ZipFile(io.BytesIO(named.stdout)) as archive:
                assert "collection.anki2" in archive.namelist()
            assert named.stderr.decode().startswith("wrote /dev/stdout: ")
        else:
            assert named.stdout == dash.stdout
            assert named.stdout.splitlines()[0].startswith((b"id,card_id", b"#separator:tab"))


@pytest.mark.skipif(not Path("/dev/fd").is_dir(), reason="needs /dev/fd")
def test_cli_a_pipe_named_by_dev_fd_is_written_into() -> None:
    """`dlcards export reviews -o >(gzip > log.gz)`: bash names the pipe `/dev/fd/63`, and the
    export said "cannot write /dev/fd/63: No such file or directory" (exit 1). The pipe is
    written into, as a FIFO is."""
    import threading

    for kind, first in (("reviews", b"id,card_id"), ("text", b"#separator:tab")):
        read, write = os.pipe()
        chunks: list[bytes] = []

        def drain(fd: int = read, into: list[bytes] = chunks) -> None:
            with os.fdopen(fd, "rb") as stream:
                into.append(stream.read())

        reader = threading.Thread(target=drain)
        reader.start()
        try:
            done = _export_process(kind, "-o", f"/dev/fd/{write}", pass_fds=(write,))
        finally:
            os.close(write)
            reader.join(timeout=60)
        assert done.returncode == 0, done.stderr
        assert done.stdout.decode().startswith(f"wrote /dev/fd/{write}: ")
        assert chunks and chunks[0].startswith(first)


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
def test_cli_dev_full_reports_the_error_and_keeps_the_device() -> None:
    import stat

    before = Path("/dev/full").stat()
    for kind in ("text", "anki", "reviews"):
        code, output = _run(kind, "-o", "/dev/full", "--force")
        assert code == 1
        assert output.strip().splitlines() == [
            "error: cannot write /dev/full: No space left on device"
        ]
        after = Path("/dev/full").stat()
        assert stat.S_ISCHR(after.st_mode) and after.st_rdev == before.st_rdev


def test_cli_full_disk_is_one_line_and_leaves_no_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import errno

    import dlcards.fileio

    def full(fd: int) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(dlcards.fileio.os, "fsync", full)
    work = tmp_path / "work"
    work.mkdir()
    out = work / "cards.apkg"
    code, output = _run("anki", "-o", str(out))
    assert code == 1
    assert output.strip().splitlines() == [
        f"error: cannot write {out}: No space left on device (nothing was exported; {out} was "
        "not written)"
    ]
    assert list(work.iterdir()) == []
    out.write_bytes(b"old")
    code, output = _run("anki", "-o", str(out), "--force")
    assert code == 1 and out.read_bytes() == b"old"
    assert output.strip().splitlines()[-1].endswith(f"(nothing was exported; {out} is as it was)")
    assert [p.name for p in work.iterdir()] == ["cards.apkg"]


def test_the_next_export_removes_temp_files_a_killed_export_left(tmp_path: Path) -> None:
    import os
    import time

    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    out = tmp_path / "out"
    out.mkdir()
    killed = out / f".deck.apkg.{dead.pid}-abcd1234.tmp"  # a SIGKILLed export's
    legacy = out / ".out.apkg.k2j4h5g6.tmp"  # the old naming, an hour old
    running = out / f".other.apkg.{os.getppid()}-abcd1234.tmp"  # a live export's
    mine = out / "notes.tmp"  # not ours at all
    for p in (killed, legacy, running, mine):
        p.write_bytes(b"partial")
    hour_ago = time.time() - 3700
    os.utime(legacy, (hour_ago, hour_ago))
    result = runner.invoke(app, ["export", "text", "-o", str(out / "cards.txt")])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir()) == sorted(["cards.txt", running.name, mine.name])


def test_the_next_package_removes_the_working_folder_a_killed_one_left(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A package is built in a working folder named with its process's id; one killed
    outright (SIGKILL) leaves it, and the next build removes it. A folder whose process runs
    stays, and so does one that is not a build's."""
    import os
    import tempfile

    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    temp = tmp_path / "tmp"
    temp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(temp))
    killed = temp / f"dlcards-apkg-{dead.pid}-k2j4h5g6"
    running = temp / f"dlcards-apkg-{os.getppid()}-abcd1234"
    other = temp / "dlcards-apkg-notes"
    for folder in (killed, running, other):
        folder.mkdir()
        (folder / "collection.anki2").write_bytes(b"partial")
    result = runner.invoke(app, ["export", "anki", "-o", str(tmp_path / "cards.apkg")])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in temp.iterdir()) == sorted([running.name, other.name])


@settings(max_examples=500, deadline=None)
@given(st.text(max_size=40))
def test_note_guid_is_genankis(card_id: str) -> None:
    """note_guid computes genanki.guid_for itself (faster); the GUIDs must never change."""
    assert note_guid(card_id) == genanki.guid_for(card_id)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(max_size=40), max_size=30))
def test_note_guids_are_genankis(card_ids: list[str]) -> None:
    """note_guids is guid_for of each id, in order (NumPy's digits, one text split)."""
    assert note_guids(card_ids) == [genanki.guid_for(cid) for cid in card_ids]


def test_note_guids_of_many_ids_with_leading_zero_digits() -> None:
    """Of 3,000 ids, some hash to a number below 91**9: fewer than ten digits, their leading
    zeros ("a") left out, as genanki's loop never writes them; each GUID is genanki's."""
    ids = [f"card-{i}" for i in range(3000)]
    guids = note_guids(ids)
    assert guids == [genanki.guid_for(cid) for cid in ids]
    short = [g for g in guids if len(g) < 10]
    assert len(short) > 10 and all(not g.startswith("a") for g in guids)


def test_base91_digits_are_genankis() -> None:
    from genanki.util import BASE91_TABLE

    assert list(BASE91) == BASE91_TABLE


def test_note_guid_of_every_shipped_card_is_genankis(catalog) -> None:  # type: ignore[no-untyped-def]
    assert note_guid("gd-23") == genanki.guid_for("gd-23")
    for card in catalog.cards:
        assert note_guid(card.id) == genanki.guid_for(card.id), card.id


# --- rendering in worker processes (issue 15): the same package as rendering here ------------

ROOT = Path(__file__).resolve().parent.parent
_EXPORT_IN_WORKERS = """
import sys
import dlcards.commands.export as export
from dlcards.export.parallel import workers
export.PARALLEL_MIN_CARDS = int(sys.argv[1])  # 0: every export forks its workers
export.ITEM_MIN_CARDS = int(sys.argv[2])  # 0: a deck a worker's item
print(workers(), file=sys.stderr)
sys.argv = ["dlcards", *sys.argv[3:]]
from dlcards.cli import main
main()
"""


@pytest.mark.parametrize("item", ["0", "100"])  # a deck an item; runs of the small decks
@pytest.mark.parametrize("progress", [[], ["--with-progress"]])
def test_apkg_rendered_by_workers_is_the_same_package(
    tmp_path: Path, progress: list[str], item: str
) -> None:
    """A fresh process (one thread, so it may fork) writes the package rendering in worker
    processes, a deck or a run of decks an item, and, with the threshold out of reach,
    rendering itself: the same bytes."""
    env = {**os.environ, "SOURCE_DATE_EPOCH": "1790000000", "PYTHONPATH": str(ROOT)}
    packages = []
    for name, least in (("workers", "0"), ("here", str(10**9))):
        path = tmp_path / f"{name}.apkg"
        done = subprocess.run(
            [sys.executable, "-c", _EXPORT_IN_WORKERS, least, item, "export", "anki", "-o"]
            + [str(path), *progress],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        if name == "workers" and (os.cpu_count() or 1) > 1:
            assert done.stderr.split()[0] == "2"  # the workers really were forked
        packages.append(path.read_bytes())
    assert packages[0] == packages[1]
    assert len(packages[0]) > 10_000


def test_runs_cut_the_decks_in_order_into_items_of_at_least_so_many_cards(catalog) -> None:  # type: ignore[no-untyped-def]
    """A worker renders a run of consecutive decks (`_runs`): every topic once, in deck order,
    each run but the last of at least the given number of cards; the shipped decks, small and
    holding the math cards whose computations import numpy, are one run at the export's size."""
    from dlcards.commands.export import ITEM_MIN_CARDS, _runs

    infos = list(catalog.infos)
    sizes = {info.topic: info.size for info in infos}
    for least in (0, 1, 25, 60, 10**6):
        runs = _runs(infos, least)
        assert [topic for run in runs for topic in run] == [info.topic for info in infos]
        assert all(run for run in runs)
        assert all(sum(sizes[t] for t in run) >= least for run in runs[:-1])
        # a run ends as soon as it is large enough
        assert all(len(run) == 1 or sum(sizes[t] for t in run[:-1]) < least for run in runs)
    assert _runs(infos, 0) == [[info.topic] for info in infos]
    assert _runs(infos, ITEM_MIN_CARDS) == [[info.topic for info in infos]]
    assert sum(card.compute != () for card in catalog.cards) > 0  # math cards among them
    assert _runs([], 5) == []


_ORDERED_MAP = """
from dlcards.export.parallel import ordered_map

def square(index):
    if index == 7:
        raise ValueError("seven")
    return index * index

with ordered_map(square, 7, 2, ahead=2) as results:
    print(list(results))
try:
    with ordered_map(square, 20, 2, ahead=2) as results:
        for _ in results:
            pass
except ValueError as err:
    print("raised", err)

import os

def die(index):
    if index == 3:
        os._exit(1)  # a worker killed (out of memory, a crash)
    return index

try:
    with ordered_map(die, 10, 2, ahead=2) as results:
        list(results)
except Exception as err:
    print("broken", type(err).__name__)
"""


def test_ordered_map_keeps_order_and_raises_the_workers_error() -> None:
    """In order; a worker's exception and a worker's death are raised, never a hang."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-c", _ORDERED_MAP],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    assert done.stdout.splitlines() == [
        "[0, 1, 4, 9, 16, 25, 36]",
        "raised seven",
        "broken BrokenProcessPool",
    ]


REVIEW_COLUMNS = {  # each checked column, with values of every kind its damage could take
    "card_id": ["gd-23", 7, b"gd"],  # NOT NULL columns: SQLite itself refuses a NULL
    "reviewed_at": ["2026-11-01T09:00:00+00:00", 3.5],
    "day": [
        "2026-11-01",
        "2026-02-30",
        "0000-01-01",
        "2026-W44-7",
        "20261101",
        "",
        5,
        "２０２６-11-01",
        "2026-11-01 ",
        "2023-02-29",
        "2024-02-29",
    ],
    "grade": [0, 5, 6, -1, 4.0, 4.5, "4", "x"],
    "kind": ["scheduled", "redrill", "Scheduled", "", 1],
    "ef_before": [250, 129, 1_000_001, 250.0, 250.5, "250x", None],
    "interval_after": [0, 6, -1, 4_000_001, 6.0, "six", None],
    "reps_before": [0, 10_000_001, None, 1.5],
    "lapses_after": [0, -3, None, "0x"],
    "due_before": ["2026-11-02", "", None, "2026-13-01", "tomorrow", 1],
    "due_after": ["2026-11-02", "2026-11-31", "2026-04-31", None],
    "last_review_before": [None, "", "2026-10-30", "30/10/2026", 0],
    "seconds": [None, 4.5, 0, -1.0, 2e9, float("inf"), "4.5s", 3],
}


@settings(max_examples=400, deadline=None)
@given(
    changes=st.lists(
        st.sampled_from(sorted(REVIEW_COLUMNS)).flatmap(
            lambda column: st.tuples(st.just(column), st.sampled_from(REVIEW_COLUMNS[column]))
        ),
        max_size=3,
    )
)
def test_the_logs_sql_check_passes_only_rows_the_row_check_passes(
    graded_review: tuple[str, tuple[Any, ...], list[str]], changes: list[tuple[str, object]]
) -> None:
    """`rows.REVIEW_ROW_OK` (the export's check of a million rows in SQL) may doubt a sound
    row, never pass one `check_review` refuses: values of every type and shape, stored in the
    reviews table's own column types (its affinities convert some, as SQLite does)."""
    from dlcards.errors import StoreError
    from dlcards.store.rows import REVIEW_ROW_OK, check_review

    sql, row, columns = graded_review
    conn = sqlite3.connect(":memory:")
    conn.execute(sql.replace('REFERENCES "cards"("id")', "").replace(
        'REFERENCES "sessions"("id")', ""))  # fmt: skip
    conn.execute(f"INSERT INTO reviews VALUES ({', '.join('?' * len(row))})", row)
    for column, value in changes:
        conn.execute(f"UPDATE reviews SET {column} = ?", (value,))
    stored = conn.execute("SELECT * FROM reviews").fetchone()
    vouched = conn.execute(f"SELECT count(*) FROM reviews WHERE {REVIEW_ROW_OK}").fetchone()[0]
    conn.close()
    try:
        check_review(columns, stored)
        sound = True
    except StoreError:
        sound = False
    assert sound or not vouched, (changes, stored)
    if not changes:
        assert vouched  # a sound row as the program writes it is not doubted
    # the export's check of each chunk, by distinct values, says what the row check says
    from dlcards.store.rows import ReviewRowsCheck

    assert ReviewRowsCheck(columns)([stored]) == sound, (changes, stored)


@pytest.fixture(scope="session")
def graded_review(graded_db_path: Path) -> tuple[str, tuple[Any, ...], list[str]]:
    """The graded database's log table: its CREATE statement, its first row and its columns
    (read once: opening the file and parsing its schema was most of an example's time)."""
    schema = sqlite3.connect(graded_db_path)
    try:
        sql = schema.execute("SELECT sql FROM sqlite_master WHERE name = 'reviews'").fetchone()[0]
        row = schema.execute("SELECT * FROM reviews ORDER BY id LIMIT 1").fetchone()
        columns = [r[1] for r in schema.execute("PRAGMA table_info(reviews)")]
    finally:
        schema.close()
    return sql, row, columns


@pytest.fixture(scope="session")
def graded_db_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A database with a few graded reviews, made once for the property test (session-scoped,
    so hypothesis may share it between examples, and pytest removes it)."""
    path = tmp_path_factory.mktemp("graded") / "p.db"
    _graded_db(path).close()
    return path


# Python 3.10's csv, this test's reference, refuses a NUL (3.11's writes it): there the values
# have none, and `test_a_nul_is_written_as_python_3_11_writes_it_on_3_10_too` holds the bytes
_TEXT = (
    st.text(st.characters(exclude_categories=["Cs"], exclude_characters="\0"))
    if sys.version_info < (3, 11)
    else st.text()
)
_LOG_VALUES = (
    st.none()
    | _TEXT
    | st.integers(min_value=-(2**63), max_value=2**63 - 1)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.booleans()
)


@settings(max_examples=300, deadline=None)
@given(
    columns=st.lists(_TEXT.filter(bool), min_size=1, max_size=5, unique=True),
    data=st.data(),
    chunk=st.integers(1, 4),
)
def test_the_streamed_log_is_what_the_whole_log_encoded_at_once_is(
    columns: list[str], data: st.DataObject, chunk: int
) -> None:
    """`export reviews` writes the log a chunk at a time: the bytes are those of
    `json.dumps(list of dicts, indent=2, ensure_ascii=False)` and of `csv.writer` on the whole
    log, for any values the columns can hold (text with quotes, newlines and non-ASCII, large
    integers, NaN and infinities, booleans, nulls) and any chunking."""
    from dlcards.commands.export import _reviews_csv, _reviews_json

    width = len(columns)
    rows = data.draw(st.lists(st.tuples(*[_LOG_VALUES] * width), max_size=7))
    chunks = [rows[i : i + chunk] for i in range(0, len(rows), chunk)]
    for stream in (_reviews_json, _reviews_csv):
        fh, written = io.BytesIO(), [0]
        stream(fh, columns, iter(chunks), written)
        if stream is _reviews_json:
            whole = json.dumps(
                [dict(zip(columns, row, strict=True)) for row in rows], indent=2, ensure_ascii=False
            )
            expected = whole + "\n"
        else:
            buf = io.StringIO()
            writer = csv.writer(buf, lineterminator="\n")
            writer.writerow(columns)
            writer.writerows(rows)
            expected = buf.getvalue()
        assert fh.getvalue().decode("utf-8") == expected
        assert written == [len(rows)]


def test_a_nul_is_written_as_python_3_11_writes_it_on_3_10_too() -> None:
    """Python 3.10's csv refuses a value with a NUL ("need to escape"), which 3.11's writes
    as it is: `export reviews` crashed there (found running the suite on 3.10). The 3.10 way
    round (a stand-in character, turned back) gives 3.11's bytes, also when a value holds
    the first stand-in it would pick."""
    from dlcards.commands.export import _csv_text

    rows = [["a\0b", 1, None, "x,\0\n"], ["\U000f0000", 2.5, "\0", ""]]
    want = 'a\0b,1,,"x,\0\n"\n\U000f0000,2.5,\0,\n'
    assert _csv_text(rows, nul_refused=True) == want
    if sys.version_info >= (3, 11):
        assert _csv_text(rows, nul_refused=False) == want


def test_reviews_imported_from_anki_are_exported_in_time_order(tmp_path: Path) -> None:
    """A review from Anki is logged after dlcards's own, also one it came before: `export
    reviews` gave the rows in log order, the phone's review of 2026-11-02 after the grade of
    2026-11-20. Rows come in time order (`at`, then id), in CSV and JSON alike."""
    from dlcards.store.rows import ImportedReview

    db = tmp_path / "p.db"
    store = Store.open(db)
    store.sync(load_catalog().cards, "test", NOW)
    for card_id, day in (("gd-23", date(2026, 11, 20)), ("gd-24", date(2026, 11, 21))):
        at = datetime.combine(day, datetime.min.time(), timezone.utc).replace(hour=9)
        h.grade(store, card_id, Grade.GOOD, day, at)
    phone = ImportedReview(
        "gd-23", 1_762_070_400_000, "2026-11-02T08:00:00+00:00", date(2026, 11, 2), 4
    )
    store.merge_reviews([phone], h.merge_rules())  # type: ignore[arg-type]
    assert [r[0] for r in store.query("SELECT day FROM reviews ORDER BY id")] == [
        "2026-11-20",
        "2026-11-21",
        "2026-11-02",
    ]
    store.close()
    code, output = _run("reviews", "--db", str(db))
    assert code == 0, output
    rows = list(csv.DictReader(io.StringIO(output)))
    assert [(r["card_id"], r["day"]) for r in rows] == [
        ("gd-23", "2026-11-02"),
        ("gd-23", "2026-11-20"),
        ("gd-24", "2026-11-21"),
    ]
    code, output = _run("reviews", "--db", str(db), "--format", "json")
    assert code == 0, output
    assert [r["day"] for r in json.loads(output)] == ["2026-11-02", "2026-11-20", "2026-11-21"]


def test_the_log_is_read_a_chunk_at_a_time_and_each_chunk_checked(tmp_path: Path) -> None:
    """Store.review_log gives the rows in time order in chunks of the size asked, and a row the
    check refuses stops the rows at its chunk, naming the first bad row in id order (here
    not the one in that chunk); an export to a file then writes nothing."""
    from dlcards.errors import StoreError

    db = tmp_path / "p.db"
    store = _graded_db(db)
    with store.review_log(chunk=2) as (columns, chunks):
        got = list(chunks)
    assert [len(c) for c in got] == [2, 1]
    assert [r[columns.index("id")] for c in got for r in c] == [1, 2, 3]
    assert not store.conn.in_transaction  # the snapshot ended with the block
    store.close()
    conn = sqlite3.connect(db)
    for (name,) in conn.execute(  # let a bad row in, as damage would
        "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'reviews' "
        "AND sql LIKE '%RAISE%'"
    ).fetchall():
        conn.execute(f'DROP TRIGGER "{name}"')
    # row 1 last in time: the chunks are rows (2, 3) then (1); rows 1 and 3 are bad
    conn.execute("UPDATE reviews SET at = at + 1000 WHERE id = 1")
    conn.execute("UPDATE reviews SET day = '2026-02-30' WHERE id IN (1, 3)")
    conn.commit()
    conn.close()
    store = Store.open(db)
    with pytest.raises(StoreError, match="2026-02-30") as caught:
        with store.review_log(chunk=2) as (columns, chunks):
            list(chunks)
    assert "card gd-23:" in str(caught.value)  # row 1's card, not row 3's (cce-33)
    assert not store.conn.in_transaction
    store.close()
    out = tmp_path / "log.csv"
    code, output = _run("reviews", "--db", str(db), "-o", str(out))
    assert code != 0 and "2026-02-30" in output and not out.exists()


def test_the_log_is_read_once_for_its_export(tmp_path: Path) -> None:
    """`export reviews` of a sound log reads it in one statement, checked as it is read: a
    million rows took ~5 s more for a pass of the log in SQL checking every value before the
    first row (`REVIEW_ROW_OK`), now checked by each chunk's distinct values."""
    db = tmp_path / "p.db"
    store = _graded_db(db)
    statements: list[str] = []
    store.conn.set_trace_callback(statements.append)
    with store.review_log(chunk=2) as (_columns, chunks):
        assert sum(len(c) for c in chunks) == 3
    store.close()
    reads = [s for s in statements if "FROM reviews" in s]
    assert reads == ["SELECT * FROM reviews ORDER BY at, id"], reads


@pytest.mark.parametrize("item", ["0", "100"])  # a deck an item; runs of the small decks
def test_the_text_export_is_the_same_rendered_by_workers(tmp_path: Path, item: str) -> None:
    """`export text` writes its notes a chunk at a time (a deck, or a run of small decks),
    rendered in worker processes (a fresh process, which may fork) or here: the same file
    either way, one header, every note once."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    files = []
    for name, least in (("workers", "0"), ("here", str(10**9))):
        path = tmp_path / f"{name}.txt"
        done = subprocess.run(
            [sys.executable, "-c", _EXPORT_IN_WORKERS, least, item, "export", "text", "-o"]
            + [str(path)],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr
        assert int(done.stderr.splitlines()[0]) > (0 if name == "workers" else -1), done.stderr
        files.append(path.read_bytes())
    assert files[0] == files[1]
    lines = files[0].decode("utf-8").splitlines()
    assert lines[0] == "#separator:tab" and sum(line.startswith("#") for line in lines) == 7
    assert len(lines) == 220 + 7


def test_the_cards_export_without_a_usable_progress_database(tmp_path: Path) -> None:
    """The package's cards do not need the progress database: one that cannot be opened gets
    a warning (each note then carries the package's time, not its card's) and the package is
    written; --with-progress needs the database and stops with its error."""
    bad = tmp_path / "p.db"
    bad.write_bytes(b"not a database" * 100)
    out = tmp_path / "x.apkg"
    result = CliRunner().invoke(app, ["export", "anki", "-o", str(out), "--db", str(bad)])
    assert result.exit_code == 0, result.output
    assert f"warning: database {bad} is corrupt" in result.output
    assert "every note carries the package's time, not its card's" in result.output
    assert zipfile.is_zipfile(out)
    progress = CliRunner().invoke(
        app, ["export", "anki", "-o", str(out), "--db", str(bad), "--with-progress", "--force"]
    )
    assert progress.exit_code == 2
    assert progress.output.startswith(f"error: database {bad} is corrupt")


@pytest.fixture(scope="module")
def studied_once() -> dict[date, Path]:
    """The database folder the first case of a day of the never-writes-over test kept after
    its one graded card, for the others to copy."""
    return {}


@pytest.mark.parametrize("kind", ["reviews", "text", "anki"])
@pytest.mark.parametrize(
    ("name", "said"),
    [("{db}", "is the progress database"), ("link", "is the progress database"),
     ("hard", "is the progress database"), ("{db}-wal", "is SQLite's -wal file"),
     ("{db}-journal", "is SQLite's -journal file"),
     ("backups/old.csv", "is in the backups folder")],
)  # fmt: skip
def test_an_export_never_writes_over_the_database_it_reads(
    isolated: Path,
    kind: str,
    name: str,
    said: str,
    studied_once: dict[date, Path],
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    """A torture run: `export reviews -o <the database> --force` wrote its CSV over the
    database (every grade gone, and no backup: an export only reads); `export anki` and
    `export text` did too. The database, by any name (a symlink, a hard link), its SQLite
    files and its backups folder are refused before anything is written."""
    import shutil

    db = Path(os.environ["DLCARDS_DB"])
    today = date.today()
    if today not in studied_once:  # one grade, and the day's backup its first write made
        studied = runner.invoke(app, ["study", "--today", "2026-11-26"], input="\n4\nq\n")
        assert studied.exit_code == 0
        studied_once[today] = tmp_path_factory.mktemp("studied") / "data"
        shutil.copytree(db.parent, studied_once[today])
    else:  # the same day's other cases copy the folder it left (~30 ms of study each)
        shutil.copytree(studied_once[today], db.parent, dirs_exist_ok=True)
    (db.parent / "link").symlink_to(db)
    os.link(db, db.parent / "hard")
    target = db.parent / name.format(db=db.name)
    target.parent.mkdir(exist_ok=True)
    before = db.read_bytes()
    result = runner.invoke(app, ["export", kind, "-o", str(target), "--force"])
    assert result.exit_code == 2, result.output
    assert result.output.startswith(f"error: {target} {said}"), result.output
    assert result.output.rstrip().endswith("give -o another file"), result.output
    assert db.read_bytes() == before
    due = runner.invoke(app, ["export", "reviews", "-o", str(db.parent / "fine.csv")])
    assert due.exit_code == 0 and "1 review" in due.output, due.output


@pytest.mark.no_files
@pytest.mark.parametrize(
    ("name", "kept"),
    [
        ("x.png", "x.png"),
        ("a:b.png", "ab.png"),
        ('<a>[b]"c"?*^|\\.mp3', "abc.mp3"),
        ("tab\there.png", "tabhere.png"),
        ("no\xa0break.png", "no break.png"),
        ("con", "con_"),
        ("COM1.txt", "COM1_.txt"),
        ("console.png", "console.png"),
        ("dot.", "dot._"),
        ("space ", "space _"),
        ("Cafe\u0301.png", "Caf\xe9.png"),
        ("l" * 150 + ".png", "l" * 115 + ".png"),
        ("é" * 100 + ".png", "é" * 57 + ".png"),
        ("l" * 130, "l" * 118),
    ],
)
def test_a_media_name_is_what_anki_keeps(name: str, kept: str) -> None:
    """Anki's `normalize_filename` (rslib/src/media/files.rs), case by case: what the export
    packs a file as, so that the name in its note is the one Anki stores."""
    from dlcards.export.html import anki_media_name

    assert anki_media_name(name) == kept
    assert anki_media_name(kept) == kept  # a kept name is kept


@pytest.mark.skipif(sys.platform == "win32", reason="resource limits")
@pytest.mark.parametrize("limit", ["file size", "full disk"])
def test_an_anki_export_whose_scratch_collection_cannot_grow_is_one_line(
    isolated: Path, tmp_path: Path, limit: str
) -> None:
    """The package's collection is built in the temporary folder first: under `ulimit -f`
    (SQLite's "disk I/O error") or on a full temporary folder it stopped with a traceback of
    sqlite3.OperationalError. Now one line names the folder and the cause, exit 1, and no
    package is left."""
    import contextlib
    import resource

    if limit == "full disk" and (sys.platform != "linux" or os.geteuid() != 0):
        pytest.skip("mounts a tmpfs")
    out = tmp_path / "deck.apkg"
    env = {**os.environ, "NO_COLOR": "1"}
    hard = resource.getrlimit(resource.RLIMIT_FSIZE)[1]

    def small_files() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (100 * 1024, hard))

    with contextlib.ExitStack() as stack:
        if limit == "full disk":
            env["TMPDIR"] = str(stack.enter_context(h.small_disk(tmp_path / "tmp", "300k")))
        assert subprocess.run([sys.executable, "-m", "dlcards", "due"], env=env).returncode == 0
        result = subprocess.run(
            [sys.executable, "-m", "dlcards", "export", "anki", "-o", str(out)],
            env=env, capture_output=True, text=True,
            preexec_fn=small_files if limit == "file size" else None,
        )  # fmt: skip
    assert result.returncode == 1, result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith(
        "error: cannot make the package's collection in the temporary folder "
    ), result.stderr
    assert ("ulimit -f: 100 KB" if limit == "file size" else "is full") in lines[0]
    assert not out.exists()


def test_a_grade_during_an_export_is_in_a_cards_progress_whole_or_not_at_all(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`export anki --with-progress` reads each card's memory and its count of answers from
    one snapshot: a grade another terminal commits while the export reads gives the card as
    it was before it (one answer, a day's interval) or as it is after (two answers, six
    days), never its memory of one and its answers of the other."""
    from dlcards.export.anki import note_guid
    from dlcards.store import Store

    assert runner.invoke(app, ["due"]).exit_code == 0  # the database, synced
    db = Path(os.environ["DLCARDS_DB"])
    with Store.open(db) as store:  # reviewed once: its second grade comes during the export
        h.grade(
            store, "gd-23", 4, date(2026, 11, 20), datetime(2026, 11, 20, 9, tzinfo=timezone.utc)
        )
    connect, reads = sqlite3.connect, []

    def tracing(*args, **kwargs):  # type: ignore[no-untyped-def]
        conn = connect(*args, **kwargs)

        def trace(sql: str) -> None:  # (called as a statement starts)
            # the memories of gd-23's deck (the ids are bound: the trace shows their values)
            if reads or ("LEFT JOIN sm2 s ON s.card_id = c.id" in sql and "'gd-23'" in sql):
                reads.append(sql)
                if len(reads) == 2:  # the memories read: a grade before the answers are
                    monkeypatch.setattr(sqlite3, "connect", connect)
                    with Store.open(db) as other:
                        at = datetime(2026, 11, 26, 9, tzinfo=timezone.utc)
                        h.grade(other, "gd-23", 4, date(2026, 11, 26), at)

        conn.set_trace_callback(trace)
        return conn

    monkeypatch.setattr(sqlite3, "connect", tracing)
    out = tmp_path / "p.apkg"
    code, output = _run("anki", "-o", str(out), "--with-progress", "--today", "2026-11-26")
    assert code == 0, output
    assert len(reads) >= 2  # the grade came while the export read
    collection = tmp_path / "c.anki2"
    with zipfile.ZipFile(out) as archive:
        collection.write_bytes(archive.read("collection.anki2"))
    with contextlib.closing(sqlite3.connect(collection)) as conn:
        row = conn.execute(
            "SELECT c.type, c.reps, c.ivl FROM cards c JOIN notes n ON n.id = c.nid "
            "WHERE n.guid = ?",
            (note_guid("gd-23"),),
        ).fetchone()
    assert tuple(row) in {(2, 1, 1), (2, 2, 6)}


def test_a_guid_kept_for_a_card_is_not_given_to_two_notes(tmp_path: Path) -> None:
    """The database keeps the GUID of a card converted from an Anki note (`anki_notes`), and
    `export anki` gave it to the card even where a deck gives that GUID to another card (a
    key moved by hand) or the database holds it for two cards: the package held two notes of
    one GUID, and Anki made them one (the second updating the first). Such a card now goes
    as a note of its own, in the package and in the text export alike."""
    decks = tmp_path / "decks"
    decks.mkdir()
    (decks / "a.yaml").write_text(
        "topic: a\ntitle: A\ncards:\n"
        + "".join(f"- id: a-{i}\n  question: q{i}\n  answer: a{i}\n" for i in (1, 2, 3))
    )
    (decks / "b.yaml").write_text(
        "topic: b\ntitle: B\ncards:\n- id: b-1\n  question: qb\n  answer: b\n  anki_guid: 'GGGG'\n"
    )
    db = tmp_path / "p.db"
    with Store.open(db) as store:
        store.sync(load_catalog([decks]).cards, "test", datetime.now(timezone.utc))
        store.remember_anki_guids({"a-1": "GGGG", "a-2": "HHHH", "a-3": "HHHH"})
    args = ["--decks", str(decks), "--db", str(db), "--topic", "a", "--topic", "b"]
    out = tmp_path / "x.apkg"
    result = runner.invoke(app, ["export", "anki", "-o", str(out), *args])
    assert result.exit_code == 0, result.output
    with zipfile.ZipFile(out) as archive:
        (tmp_path / "c.anki2").write_bytes(archive.read("collection.anki2"))
    conn = sqlite3.connect(tmp_path / "c.anki2")
    rows = conn.execute("SELECT flds, guid FROM notes").fetchall()
    conn.close()
    guids = {flds.split("\x1f")[4]: guid for flds, guid in rows}
    assert guids == {cid: note_guid(cid) for cid in ("a-1", "a-2", "a-3")} | {"b-1": "GGGG"}
    result = runner.invoke(app, ["export", "text", "-o", str(tmp_path / "x.txt"), *args])
    assert result.exit_code == 0, result.output
    lines = (tmp_path / "x.txt").read_text(encoding="utf-8").splitlines()
    assert sorted(line.split("\t")[0] for line in lines if not line.startswith("#")) == sorted(
        quote(g) for g in guids.values()
    )


def test_a_note_changed_with_no_deck_edit_is_dated_by_the_export_that_sees_it(
    isolated: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The first export records each note's digest and dates nothing anew; one that writes
    the same bytes changes nothing; one that writes a note otherwise with no deck edit (the
    engine's steps worded otherwise) makes that note newer than it was (its card's `edited`,
    the note's time in Anki), and only the notes that show the step."""
    import dlcards.engine.training as training
    from dlcards.export.anki import note_time
    from dlcards.store import Store

    db = isolated / "data" / "dlcards.db"
    out = isolated / "dl.apkg"

    def export() -> tuple[dict[str, int], dict[str, str]]:
        result = CliRunner().invoke(app, ["export", "anki", "-o", str(out), "--force"])
        assert result.exit_code == 0, result.output
        with Store.open(db) as store:
            return store.edit_times(), store.exported_hashes()

    with Store.open(db) as store:
        times = store.edit_times()
    first, digests = export()
    assert first == times and set(digests) == set(times)
    assert export() == (first, digests)
    monkeypatch.setattr(training, "_variant", lambda n, b: "reworded")
    again, later = export()
    moved = {cid for cid in again if again[cid] != first[cid]}
    differ = {cid for cid in later if later[cid] != digests[cid]}
    assert moved == differ and "gd-23" in moved, (moved, differ)  # gd-23: updates_per_epoch
    # a second newer than the note Anki holds, not the export's time: an edit made in Anki
    # since that note was written is newer still, and Anki keeps it
    assert all(again[cid] == note_time(first[cid], 0) + 1 for cid in moved)
    math = {c.id for c in load_catalog().cards if c.compute}
    assert moved < math  # only notes that show a computation's steps
    assert export() == (again, later)


@pytest.mark.parametrize(
    ("kind", "name", "said", "meant"),
    [
        ("anki", "cards.txt", "names a text file", "cards.apkg"),
        ("anki", "cards.CSV", "names a text file", "cards.apkg"),
        ("text", "cards.apkg", "names an Anki package", "cards.txt"),
        ("text", "cards.colpkg", "names an Anki package", "cards.txt"),
    ],
)
def test_an_export_named_as_the_other_kind_is_refused_before_anything_is_written(
    isolated: Path, kind: str, name: str, said: str, meant: str
) -> None:
    """A package named `.txt` (or a text file named `.apkg`) is misread by Anki, which reads a
    file by its suffix: the learner meant the other command. One line naming the right name
    and command, exit 2, no file; the right name writes."""
    target = isolated / name
    result = CliRunner().invoke(app, ["export", kind, "-o", str(target)])
    assert result.exit_code == 2, result.output
    assert result.output.count("\n") == 1, result.output
    assert said in result.output and meant in result.output, result.output
    assert not target.exists()
    good = CliRunner().invoke(app, ["export", kind, "-o", str(isolated / meant)])
    assert good.exit_code == 0, good.output
    assert (isolated / meant).stat().st_size > 0
