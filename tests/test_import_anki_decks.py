"""Anki decks into dlcards (`import anki FILE --to-yaml DIR`) from a deck built with the real
`anki` package: Basic, Basic (and reversed card), Cloze, MathJax, an image, tags, subdecks,
reviews. The YAML decks are checked, loaded, studied, and their review history comes along.
Also every bad file: one line, nothing changed."""

from __future__ import annotations

import hashlib
import json
import os
import re
import sqlite3
import subprocess
import sys
import time
import zipfile
from collections.abc import Sequence
from datetime import date
from functools import partial
from pathlib import Path
from typing import Any

import helpers as h
import pytest
import yaml
from anki_backend import (
    CardAnswer,
    Collection,
    ExportAnkiPackageOptions,
    ImportAnkiPackageOptions,
    ImportAnkiPackageRequest,
)
from typer.testing import CliRunner

from dlcards.catalog import load_catalog
from dlcards.cli import app
from dlcards.errors import StoreError
from dlcards.importers.anki_notes import note_key
from dlcards.store import Store

runner = CliRunner()
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489"
    "0000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
)


def run(*args: str) -> Any:
    return runner.invoke(app, list(args))


def ok(*args: str) -> str:
    result = run(*args)
    assert result.exit_code == 0, result.output
    return result.output


def add(col: Collection, notetype: str, deck: str, tags: list[str], **fields: str) -> Any:
    note = col.new_note(col.models.by_name(notetype))
    for name, value in fields.items():
        note[name.replace("_", " ")] = value
    note.tags = tags
    col.add_note(note, col.decks.id(deck))
    return note


def export_package(col: Collection, path: Path, legacy: bool = False, media: bool = True) -> Path:
    """The collection as an .apkg with its scheduling, as Anki's export with "Include
    scheduling information" ticked writes it."""
    col.export_anki_package(
        out_path=str(path),
        options=ExportAnkiPackageOptions(
            with_scheduling=True, with_deck_configs=False, with_media=media, legacy=legacy
        ),
        limit=None,
    )
    return path


def answer(col: Collection, card_id: int, rating: Any) -> None:
    card = col.get_card(card_id)
    card.start_timer()
    states = col._backend.get_scheduling_states(card.id)
    col.sched.answer_card(col.sched.build_answer(card=card, states=states, rating=rating))


@pytest.fixture(scope="module")
def anki_decks() -> dict[date, dict[str, Any]]:
    """The Anki collection and its two exports of each day they are asked for on, made once."""
    return {}


@pytest.fixture
def anki_deck(
    tmp_path: Path, tmp_path_factory: pytest.TempPathFactory, anki_decks: dict[date, dict[str, Any]]
) -> dict[str, Any]:
    """A copy of the day's collection and exports (made by the first test that asks, ~0.15 s):
    each test changes its own copy."""
    import shutil

    today = date.today()
    if today not in anki_decks:
        anki_decks[today] = make_anki_deck(tmp_path_factory.mktemp("anki-deck"))
    made = anki_decks[today]
    shutil.copytree(made["dir"], tmp_path, dirs_exist_ok=True)
    paths = {fmt: tmp_path / path.name for fmt, path in made["paths"].items()}
    return {"paths": paths, "guids": made["guids"], "dir": tmp_path, "folder": tmp_path / "anki"}


def make_anki_deck(tmp_path: Path) -> dict[str, Any]:
    folder = tmp_path / "anki"
    folder.mkdir()
    col = Collection(str(folder / "collection.anki2"))
    col.media.write_data("neuron.png", PNG)
    basic = add(
        col,
        "Basic",
        "ML::Basics",
        ["ML::Intro", "week1"],
        Front="What does <b>ReLU</b> return for \\(x &lt; 0\\)?",
        Back="<div>Zero: \\(\\max(0, x) = 0\\).</div><div>Costs 5$ * 2</div>",
    )
    reversed_ = add(
        col,
        "Basic (and reversed card)",
        "ML::Basics",
        [],
        Front="Sigmoid",
        Back='\\[\\sigma(x) = \\frac{1}{1 + e^{-x}}\\]<img src="neuron.png">',
    )
    cloze = add(
        col,
        "Cloze",
        "ML::Cloze",
        ["cloze"],
        Text="{{c1::Backpropagation}} applies the {{c2::chain rule::rule}}.",
        Back_Extra="<i>Rumelhart</i> et al., 1986",
    )
    typed = add(col, "Basic (type in the answer)", "ML::Extra", [], Front="2 + 2 =", Back="4")
    optional = add(
        col,
        "Basic (optional reversed card)",
        "ML::Extra",
        [],
        Front="GELU",
        Back="Gaussian error linear unit",
        Add_Reverse="y",
    )
    note_type(col, "Front only", ["Front"], "{{Front}}", "{{FrontSide}}")
    for text in ("no answer side", "nor here"):
        add(col, "Front only", "ML::Extra", [], Front=text)
    answer(col, basic.cards()[0].id, CardAnswer.GOOD)
    answer(col, basic.cards()[0].id, CardAnswer.GOOD)
    answer(col, cloze.cards()[1].id, CardAnswer.AGAIN)
    ids = {
        "typed": typed.guid,
        "optional": optional.guid,
        "basic": basic.guid,
        "reversed": reversed_.guid,
        "cloze": cloze.guid,
    }
    paths = {}
    for legacy in (False, True):
        path = tmp_path / f"ml-{'legacy' if legacy else 'current'}.apkg"
        paths["legacy" if legacy else "current"] = export_package(col, path, legacy)
    col.close()
    return {"paths": paths, "guids": ids, "dir": tmp_path, "folder": folder}


def note_id(guid: str) -> str:
    return "anki-" + hashlib.sha256(guid.encode()).hexdigest()[:10]


@pytest.mark.parametrize("fmt", ["current", "legacy"])
def test_an_anki_deck_becomes_yaml_decks(anki_deck: dict[str, Any], fmt: str) -> None:
    out_dir = anki_deck["dir"] / "decks"
    out = ok("import", "anki", str(anki_deck["paths"][fmt]), "--to-yaml", str(out_dir))
    assert f"wrote 3 decks with 8 cards and 1 media file to {out_dir}" in out
    assert (
        "  skipped 2 notes of note type 'Front only': its template 'Card 1' shows no field on "
        "its back that the front does not"
    ) in out
    assert "imported 3 reviews of 2 cards" in out
    assert "  ml-basics: 2 reviews" in out and "  ml-cloze: 1 review" in out
    assert sorted(p.name for p in out_dir.iterdir()) == [
        "media",
        "ml-basics.yaml",
        "ml-cloze.yaml",
        "ml-extra.yaml",
    ]
    extra = yaml.safe_load((out_dir / "ml-extra.yaml").read_text(encoding="utf-8"))
    t, o = note_id(anki_deck["guids"]["typed"]), note_id(anki_deck["guids"]["optional"])
    assert [(c["id"], c["question"], c["answer"]) for c in extra["cards"]] == [
        (t, "2 + 2 =", "4"),
        (o, "GELU", "Gaussian error linear unit"),
        (f"{o}-2", "Gaussian error linear unit", "GELU"),
    ]
    assert (out_dir / "media" / "neuron.png").read_bytes() == PNG

    basics = yaml.safe_load((out_dir / "ml-basics.yaml").read_text(encoding="utf-8"))
    assert (basics["topic"], basics["title"]) == ("ml-basics", "ML::Basics")
    b, r = note_id(anki_deck["guids"]["basic"]), note_id(anki_deck["guids"]["reversed"])
    cards = {c["id"]: c for c in basics["cards"]}
    assert list(cards) == [b, r, f"{r}-2"]
    # its note type, which the export writes it in (Anki updates the note it has)
    card = dict(cards[b])
    basic = card.pop("anki_note_type")
    assert basic == {
        "id": basic["id"],
        "name": "Basic",
        "fields": ["Front", "Back"],
        "template": "Card 1",
        "question": "Front",
        "answer": "Back",
    }
    assert type(basic["id"]) is int
    assert card == {
        "id": b,
        "question": "What does **ReLU** return for $x < 0$?",
        "answer": "Zero: $\\max(0, x) = 0$.<br>Costs 5\\$ \\* 2",
        "tags": ["ml::intro", "week1"],
        "anki_guid": anki_deck["guids"]["basic"],  # a note of one card: the card is that note
    }
    assert "anki_guid" not in cards[r] and "anki_guid" not in cards[f"{r}-2"]
    sigmoid = "$$\\sigma(x) = \\frac{1}{1 + e^{-x}}$$![](media/neuron.png)"
    assert (cards[r]["question"], cards[r]["answer"]) == ("Sigmoid", sigmoid)
    assert (cards[f"{r}-2"]["question"], cards[f"{r}-2"]["answer"]) == (sigmoid, "Sigmoid")

    cloze = yaml.safe_load((out_dir / "ml-cloze.yaml").read_text(encoding="utf-8"))
    c = note_id(anki_deck["guids"]["cloze"])
    assert cloze["cards"] == [
        {
            "id": f"{c}-c1",
            "question": "[...] applies the chain rule.",
            "answer": "**Backpropagation** applies the chain rule.<br><br>*Rumelhart* et al., 1986",
            "tags": ["cloze"],
        },
        {
            "id": f"{c}-c2",
            "question": "Backpropagation applies the [rule].",
            "answer": "Backpropagation applies the **chain rule**.<br><br>*Rumelhart* et al., 1986",
            "tags": ["cloze"],
        },
    ]

    # they pass check, load, and have their history; studying them goes on from it
    ok("check", "--decks", str(out_dir))
    catalog = load_catalog([out_dir])
    assert catalog.card(b).topic == "ml-basics"
    with Store.open() as store:
        rows = store.query("SELECT card_id, grade, kind FROM reviews ORDER BY at, id")
        assert rows == [(b, 4, "scheduled"), (b, 4, "redrill"), (f"{c}-c2", 1, "scheduled")]
    shown = json.loads(ok("show", b, "--json", "--decks", str(out_dir)))
    assert shown["state"]["repetitions"] == 1 and shown["state"]["status"] != "new"
    result = runner.invoke(
        app,
        ["study", "--decks", str(out_dir), "--topic", "ml-basics", "--new", "5"],
        input="\n5\nq\n",
    )
    assert result.exit_code == 0, result.output
    assert "1 grade saved" in result.output and "Sigmoid" in result.output
    studied = json.loads(ok("show", r, "--json", "--decks", str(out_dir)))
    assert studied["state"]["repetitions"] == 1

    # exported again, the image goes to Anki with its note (the file packed in the .apkg)
    back = anki_deck["dir"] / "back.apkg"
    ok("export", "anki", "-o", str(back), "--decks", str(out_dir), "--topic", "ml-basics")
    fresh = Collection(str(anki_deck["dir"] / "fresh.anki2"))
    try:
        fresh.import_anki_package(
            ImportAnkiPackageRequest(
                package_path=str(back), options=ImportAnkiPackageOptions(with_scheduling=False)
            )
        )
        backs = [fresh.get_note(nid)["Back"] for nid in fresh.find_notes("")]
        assert any('<img src="neuron.png">' in b for b in backs)
        media = Path(fresh.media.dir()) / "neuron.png"
        assert media.read_bytes() == PNG
    finally:
        fresh.close()

    # the same file again: the deck files hold what it writes (none edited since), so it
    # goes ahead without --force (an edited one is refused:
    # test_an_import_stopped_by_a_locked_database_after_its_decks_runs_again); with --force
    # too: the same ids, nothing added
    kept = {p.name: p.read_bytes() for p in out_dir.glob("*.yaml")}
    args = ("import", "anki", str(anki_deck["paths"][fmt]), "--to-yaml", str(out_dir))
    assert "imported 0 reviews of 0 cards" in ok(*args)
    assert {p.name: p.read_bytes() for p in out_dir.glob("*.yaml")} == kept
    again = ok(*args, "--force")
    assert "imported 0 reviews of 0 cards" in again
    assert yaml.safe_load((out_dir / "ml-basics.yaml").read_text(encoding="utf-8")) == basics


def test_later_reviews_of_converted_notes_come_back_without_to_yaml(
    anki_deck: dict[str, Any],
) -> None:
    """Once converted, the decks are the learner's (maybe edited): later Anki reviews of their
    notes come back by the ids made from the GUIDs, and the YAML is not rewritten."""
    out_dir = anki_deck["dir"] / "decks"
    ok("import", "anki", str(anki_deck["paths"]["current"]), "--to-yaml", str(out_dir))
    deck_file = out_dir / "ml-basics.yaml"
    edited = deck_file.read_text(encoding="utf-8").replace("Sigmoid", "The logistic sigmoid")
    deck_file.write_text(edited, encoding="utf-8")
    col = Collection(str(anki_deck["folder"] / "collection.anki2"))
    reversed_note = col.get_note(col.find_notes("Sigmoid")[0])
    answer(col, reversed_note.cards()[1].id, CardAnswer.EASY)
    later = export_package(col, anki_deck["dir"] / "later.apkg", media=False)
    col.close()
    out = ok("import", "anki", str(later), "--decks", str(out_dir))
    assert "imported 1 review of 1 card" in out and "  ml-basics: 1 review" in out
    assert "not imported: 2 reviews of" not in out
    assert deck_file.read_text(encoding="utf-8") == edited
    r = note_id(anki_deck["guids"]["reversed"])
    with Store.open() as store:
        assert store.query("SELECT grade FROM reviews WHERE card_id = ?", (f"{r}-2",)) == [(5,)]


def test_a_deck_name_with_control_characters_makes_a_deck_that_loads(
    anki_deck: dict[str, Any],
) -> None:
    """A deck named with control characters (a collection of an older Anki or another
    program's: Anki drops them from the names it makes) is written with its title clean, as
    a field's text is: a deck may not hold them, and the decks written did not load."""
    tmp = anki_deck["dir"]
    with zipfile.ZipFile(anki_deck["paths"]["legacy"]) as archive:
        data = archive.read("collection.anki21")
    db = tmp / "c.anki21"
    db.write_bytes(data)
    conn = sqlite3.connect(db)
    decks = json.loads(conn.execute("SELECT decks FROM col").fetchone()[0])
    for deck in decks.values():
        deck["name"] = deck["name"].replace("Basics", "Ba\x07si\x1bcs\x7f")
    conn.execute("UPDATE col SET decks = ?", (json.dumps(decks),))
    conn.commit()
    conn.close()
    package = zip_with(tmp / "control.apkg", {"collection.anki21": db.read_bytes()})
    out_dir = tmp / "decks"
    ok("import", "anki", str(package), "--to-yaml", str(out_dir))
    basics = yaml.safe_load((out_dir / "ml-basics.yaml").read_text(encoding="utf-8"))
    assert (basics["topic"], basics["title"]) == ("ml-basics", "ML::Basics")
    assert "ml-basics" in {d.topic for d in load_catalog([out_dir], use_cache=False).infos}


DECKS_IN_ANY_SCRIPT = {  # Anki deck name -> its topic, transliterated by hand
    "Ünïcode::数学": "unicode-shuxue",
    "Ünïcode::物理": "unicode-wuli",
    "😀 Emoji": "grinning-emoji",
    "العربية": "lrbyh",
    "עברית": "vryt",
    "Русский язык": "russkiy-yazyk",
    "Maths": "maths",
    "Mäths": "anki-maths",  # after `Maths` by name: the same slug, told apart
}


@pytest.mark.parametrize("order", ["as listed", "reversed"])
def test_decks_named_in_any_script_get_readable_topics_the_same_at_every_import(
    tmp_path: Path, order: str
) -> None:
    """A deck's topic slug is its name transliterated to ASCII: every character but a-z and
    0-9 was a dash, so `Ünïcode::数学` was `n-code`, `Ünïcode::物理` `anki-n-code`, a name in
    Chinese, Arabic, Hebrew or emoji alone `anki`, `anki-anki`, ..., and `Mäths` `m-ths`.
    Two names of one slug are told apart in the order of their names, not of the notes,
    so a later export whose notes come in another order gives every deck the same topic."""
    names = list(DECKS_IN_ANY_SCRIPT)
    col = Collection(str(tmp_path / "collection.anki2"))
    try:
        for i, name in enumerate(names if order == "as listed" else names[::-1]):
            add(col, "Basic", name, [], Front=f"q{i}", Back=f"a{i}")
        package = export_package(col, tmp_path / "scripts.apkg")
    finally:
        col.close()
    out_dir = tmp_path / "decks"
    ok("import", "anki", str(package), "--to-yaml", str(out_dir))
    files = sorted(out_dir.glob("*.yaml"))
    # they load: every topic is a valid slug
    titles = {d.topic: d.title for d in load_catalog(use_cache=False, files=files).infos}
    assert titles == {topic: name for name, topic in DECKS_IN_ANY_SCRIPT.items()}
    assert [p.name for p in files] == sorted(
        f"{topic}.yaml" for topic in DECKS_IN_ANY_SCRIPT.values()
    )
    ok("check", "--decks", str(out_dir))


def test_an_unwritable_yaml_dir_is_one_line(anki_deck: dict[str, Any]) -> None:
    blocker = anki_deck["dir"] / "a-file"
    blocker.write_text("not a directory")
    result = run("import", "anki", str(anki_deck["paths"]["current"]), "--to-yaml", str(blocker))
    assert result.exit_code == 2 and result.output.count("\n") == 1
    # the cause named (torture run 2: it said "cannot write the decks to …: File exists")
    assert result.output.startswith(f"error: --to-yaml {blocker} is a file, not a directory")
    with Store.open() as store:
        assert store.review_count() == 0


@pytest.mark.skipif(sys.platform != "linux" or os.geteuid() != 0, reason="mounts a tmpfs")
def test_a_full_disk_writes_no_deck_and_the_next_run_writes_them_all(
    anki_deck: dict[str, Any], tmp_path: Path
) -> None:
    """Torture run: `--to-yaml` into a folder with room for two small files wrote the image
    and the first deck, then failed on the second; run again once there was room, it
    refused to write over the deck it had written itself (`add --force`). The decks and
    their media are now written all or none."""
    package = str(anki_deck["paths"]["current"])
    with h.small_disk(tmp_path / "disk", "600k") as disk:
        out = disk / "decks"
        filler = h.fill_disk(disk)
        os.truncate(filler, filler.stat().st_size - 2 * 4096)  # two pages free
        result = run("import", "anki", package, "--to-yaml", str(out))
        assert result.exit_code == 2 and result.output.count("\n") == 1
        assert result.output.startswith(f"error: cannot write the decks to {out}: No space")
        assert [p for p in out.rglob("*") if p.is_file()] == []  # no deck, no image, no temp
        assert result.output.rstrip().endswith("(no deck written; nothing was imported)")
        filler.unlink()
        ok("import", "anki", package, "--to-yaml", str(out))
        assert sorted(p.name for p in out.glob("*.yaml")) == [
            "ml-basics.yaml",
            "ml-cloze.yaml",
            "ml-extra.yaml",
        ]
        assert (out / "media" / "neuron.png").read_bytes() == PNG


@pytest.mark.parametrize("lock", ["BEGIN IMMEDIATE", "BEGIN EXCLUSIVE"])
def test_an_import_stopped_by_a_locked_database_after_its_decks_takes_them_back(
    anki_deck: dict[str, Any], monkeypatch: pytest.MonkeyPatch, lock: str
) -> None:
    """Torture run: `--to-yaml` with the database locked by another program wrote the decks,
    then said "locked by another program (waited 5 s); close it or try again": the decks
    and the progress disagreed. Then (a later run) the database was made ready before the
    decks, but that wrote nothing when the day's check had been made: a write lock (BEGIN
    IMMEDIATE: another program writing, or a test's) let the decks be written and the merge
    fail. The lock is taken and given back before any deck is written now, and a failure
    between the decks and the merge (a lock taken meanwhile, a damaged or full database)
    takes the decks back: a new deck file removed, one it replaced (--force) restored, the
    folder it made removed. Run again, the import writes them and merges."""
    import contextlib
    from datetime import date

    from dlcards.store import connection

    monkeypatch.setattr(connection, "BUSY_TIMEOUT_S", 0.2)  # the lock's wait, not 5 s
    db = os.environ["DLCARDS_DB"]
    with contextlib.closing(sqlite3.connect(db)) as c, c:  # the day's check made already
        c.execute(
            "INSERT OR REPLACE INTO meta (key, value) VALUES ('integrity_checked', ?)",
            (date.today().isoformat(),),
        )
    package = str(anki_deck["paths"]["current"])
    out = anki_deck["dir"] / "decks"
    with contextlib.closing(sqlite3.connect(db, isolation_level=None)) as c:
        c.execute(lock)  # another program's write
        locked = run("import", "anki", package, "--to-yaml", str(out))
    assert locked.exit_code == 2 and "is locked by another program" in locked.output
    assert locked.output.count("\n") == 1, locked.output
    assert not out.exists()

    def locked_now(self: Store, *args: Any) -> None:  # a lock taken after the decks
        raise StoreError(f"database {self.path} is locked by another program; try again")

    with monkeypatch.context() as patched:
        patched.setattr(Store, "merge_reviews", locked_now)
        failed = run("import", "anki", package, "--to-yaml", str(out))
        assert failed.exit_code == 2 and "is locked by another program" in failed.output
        assert "wrote 3 decks" not in failed.output, failed.output
        assert not out.exists()
        # a deck file of the learner's that --force replaces is put back as it was
        out.mkdir()
        mine = out / "ml-cloze.yaml"
        mine.write_text("# my own deck file\n", encoding="utf-8")
        failed = run("import", "anki", package, "--to-yaml", str(out), "--force")
        assert failed.exit_code == 2 and "is locked by another program" in failed.output
        assert sorted(p.name for p in out.iterdir()) == ["ml-cloze.yaml"]
        assert mine.read_text(encoding="utf-8") == "# my own deck file\n"
        mine.unlink()
    with Store.open() as store:
        assert store.review_count() == 0
    again = ok("import", "anki", package, "--to-yaml", str(out))
    assert "wrote 3 decks" in again and "imported 3 reviews of 2 cards" in again
    assert "in no deck now" not in again, again  # the cards the stopped run synced
    with Store.open() as store:
        assert store.review_count() == 3
    mine = out / "ml-cloze.yaml"
    mine.write_text(mine.read_text(encoding="utf-8") + "# my note\n", encoding="utf-8")
    refused = run("import", "anki", package, "--to-yaml", str(out))
    assert refused.exit_code == 2 and "would write over 1 deck file" in refused.output
    assert mine.read_text(encoding="utf-8").endswith("# my note\n")


def test_an_import_stopped_at_its_merge_takes_its_decks_back(
    anki_deck: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ctrl-C (or `kill`, as Ctrl-C) while `--to-yaml`'s merge runs: the merge rolls back, and
    the decks written before it go too (they stayed, without their reviews)."""
    out = anki_deck["dir"] / "decks"

    def stopped(self: Store, *args: Any) -> None:
        assert len(list(out.glob("*.yaml"))) == 3  # written before the merge
        raise KeyboardInterrupt

    monkeypatch.setattr(Store, "merge_reviews", stopped)
    result = run("import", "anki", str(anki_deck["paths"]["current"]), "--to-yaml", str(out))
    assert result.exit_code != 0 and isinstance(result.exception, KeyboardInterrupt | SystemExit)
    assert not out.exists()


def _state(db: str, out: Path) -> tuple[list[str], list[str], int, list[str]]:
    """What an import left: its deck files in `out`, the active cards of the database not
    from the built-in decks' topics it held before, its reviews, its files-pending records."""
    import contextlib

    with contextlib.closing(sqlite3.connect(db)) as c:
        cards = [r[0] for r in c.execute("SELECT id FROM cards WHERE id LIKE 'anki-%' ORDER BY id")]
        reviews = c.execute("SELECT count(*) FROM reviews").fetchone()[0]
        pending = [r[0] for r in c.execute("SELECT key FROM meta WHERE key LIKE 'files_pending:%'")]
    decks = sorted(p.name for p in out.glob("*.yaml")) if out.is_dir() else []
    return decks, cards, reviews, pending


@pytest.mark.parametrize(
    ("where", "stop"),
    [
        ("merge_reviews", StoreError("database x is damaged")),  # the reporter's repro
        ("merge_reviews", KeyboardInterrupt()),
        ("remember_anki_guids", StoreError("database x is locked by another program")),
        ("follow_suspensions", KeyboardInterrupt()),
    ],
)
def test_an_import_stopped_before_its_commit_leaves_no_card_of_its_decks(
    anki_deck: dict[str, Any], monkeypatch: pytest.MonkeyPatch, where: str, stop: BaseException
) -> None:
    """Reported: the new decks were synced in a transaction of their own before the merge;
    the merge failing (patched to raise StoreError), the decks were taken back but their
    cards stayed in the database, and `show anki-...` said the card was "in no deck now".
    The sync, the merge and the import's later writes (the notes' GUIDs, the suspensions taken
    from Anki) are one transaction now: stopped anywhere in it, no deck file, no card row
    and no review of the import is left, nor its record of the decks; run again, the import
    does it all."""
    db = os.environ["DLCARDS_DB"]
    package = str(anki_deck["paths"]["current"])
    out = anki_deck["dir"] / "decks"
    ok("due")  # a database of the built-in decks, before the import
    reached: list[bool] = []

    def stopped(self: Store, *args: Any, **kwargs: Any) -> Any:
        if where != "merge_reviews":  # the merge's rows were written in the transaction
            assert self.review_count() == 3
        reached.append(True)
        raise stop

    with monkeypatch.context() as patched:
        patched.setattr(Store, where, stopped)
        failed = run("import", "anki", package, "--to-yaml", str(out))
    assert reached and failed.exit_code != 0, failed.output
    assert "wrote 3 decks" not in failed.output
    # (a card left in the database was "in no deck now" for `show`)
    assert _state(db, out) == ([], [], 0, [])
    again = ok("import", "anki", package, "--to-yaml", str(out))
    assert "wrote 3 decks" in again and "imported 3 reviews of 2 cards" in again, again
    assert "in no deck now" not in again
    decks, cards, reviews, pending = _state(db, out)
    assert len(decks) == 3 and len(cards) > 0 and reviews == 3 and pending == []
    assert "in no deck now" not in ok("show", cards[0], "--decks", str(out))


def test_a_lock_taken_after_the_decks_leaves_no_card_and_the_next_command_drops_the_record(
    anki_deck: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another program takes the write lock (and keeps it) once the decks are written, before
    the import's transaction begins: one line, exit 2, no deck file, card or review left. The
    record of the decks could not be dropped under that lock either: the next command, the
    lock gone, finds its writer ended and nothing left to undo, and drops it."""
    import contextlib

    from dlcards.commands import importing
    from dlcards.store import connection

    db = os.environ["DLCARDS_DB"]
    package = str(anki_deck["paths"]["current"])
    out = anki_deck["dir"] / "decks"
    ok("due")
    other = sqlite3.connect(db, isolation_level=None)
    real = importing.sync_if_needed

    def locked_first(store: Store, decks: Any, *args: Any, **kwargs: Any) -> Any:
        if str(out) in decks and not other.in_transaction:
            assert len(list(out.glob("*.yaml"))) == 3
            other.execute("BEGIN IMMEDIATE")  # another program's write, held
        return real(store, decks, *args, **kwargs)

    with contextlib.closing(other), monkeypatch.context() as patched:
        patched.setattr(connection, "BUSY_TIMEOUT_S", 0.2)
        patched.setattr(importing, "sync_if_needed", locked_first)
        failed = run("import", "anki", package, "--to-yaml", str(out))
        assert failed.exit_code == 2 and "is locked by another program" in failed.output
        assert failed.output.count("\n") == 1, failed.output
        # the decks were there a moment: the line says what became of them
        said = "; the deck files it wrote are taken back: nothing was imported\n"
        assert failed.output.endswith(said), failed.output
        assert other.in_transaction
        other.execute("ROLLBACK")
    decks, cards, reviews, pending = _state(db, out)
    assert (decks, cards, reviews) == ([], [], 0) and len(pending) == 1
    ok("due")  # the next command drops it
    assert _state(db, out) == ([], [], 0, [])
    again = ok("import", "anki", package, "--to-yaml", str(out))
    assert "wrote 3 decks" in again and "imported 3 reviews of 2 cards" in again, again


MINE = """\
topic: mine
title: My own deck
cards:
  - id: mine-1
    question: What is mine?
    answer: This card.
"""


_KILL_AT = {
    # before its record of the names it will write is kept: nothing written
    "before the record": "Store.record_pending",
    # that record committed, no folder or file made yet
    "after the record of names": "Store.record_pending",
    # the folders made and every temporary file written (new files, old versions' second
    # names), their record not kept yet: the next command removes them and the folders
    "before the record of the writes": "Store.record_pending",
    # the same, with --force over a deck file of the learner's (its second name made)
    "before the record of the writes, --force": "Store.record_pending",
    # the writes' record committed, no deck file in place yet
    "after the record": "Store.record_pending",
    # a deck file in place, the others not yet
    "between the decks": "os.replace",
    # the same, with --force over a deck file of the learner's, replaced already
    "between the decks, --force": "os.replace",
    # the new decks synced and the reviews merged, in the transaction not committed
    "in the transaction": "Store.follow_suspensions",
    # the same, into a database the import made (none was there)
    "in the transaction, a new database": "Store.follow_suspensions",
    # the transaction committed, the old versions of the files not yet let go
    "after the commit": "Store._keep_log",
}


def _killed_import(
    package: str, out: Path, point: str, force: Sequence[str] = ()
) -> subprocess.CompletedProcess[bytes]:
    """`import anki PACKAGE --to-yaml OUT` run in a process of its own, killed with SIGKILL at
    `point` (`_KILL_AT`)."""
    target = _KILL_AT[point]
    owner, name = target.split(".")
    script = (
        "import os, signal, sys\n"
        "from dlcards.store import Store\n"
        "from dlcards.store.connection import PENDING_FILES\n"
        f"point, real = {point!r}, {owner}.{name}\n"
        "merging, decks = [], []\n"
        "def kill():\n"
        "    os.kill(os.getpid(), signal.SIGKILL)\n"
        "records = []\n"
        "def patched(*args, **kwargs):\n"
        "    recording = 'record' in point and str(args[1]).startswith(PENDING_FILES)\n"
        "    records.extend([True] if recording else [])\n"
        "    if recording and point == 'before the record' or 'transaction' in point:\n"
        "        kill()\n"
        "    if recording and 'before the record of the writes' in point and len(records) == 2:\n"
        "        kill()\n"
        "    result = real(*args, **kwargs)\n"
        "    if point.startswith('between the decks') and str(args[1]).endswith('.yaml'):\n"
        "        decks.append(args[1])\n"
        "    if recording and point == 'after the record of names':\n"
        "        kill()\n"
        "    if recording and point == 'after the record' and len(records) == 2:\n"
        "        kill()\n"
        "    if len(decks) == 2 or point == 'after the commit' and merging:\n"
        "        kill()\n"
        "    return result\n"
        "merge = Store.merge_reviews\n"
        "def merge_reviews(self, *args, **kwargs):\n"
        "    merging.append(True)\n"
        "    return merge(self, *args, **kwargs)\n"
        "Store.merge_reviews = merge_reviews\n"
        f"{owner}.{name} = patched\n"
        "from dlcards.cli import main\n"
        f"sys.argv = ['dlcards', 'import', 'anki', {package!r}, '--to-yaml', {str(out)!r}]\n"
        f"sys.argv += {list(force)!r}\n"
        "main()\n"
    )
    killed = subprocess.run(
        [sys.executable, "-c", script],
        env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)},
        capture_output=True,
        timeout=120,
    )
    return killed


@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL")
@pytest.mark.parametrize("point", list(_KILL_AT))
def test_an_import_killed_outright_leaves_all_of_it_or_none(
    anki_deck: dict[str, Any], point: str
) -> None:
    """SIGKILL runs no undo: `import anki --to-yaml` killed at any point leaves its decks,
    their cards and their reviews all there or none of them, once the next command has opened
    the database (a deck file of an import whose transaction never committed is taken back
    from the record it kept there; the commit drops the record). The import run again then
    does the whole import."""
    import signal

    db = os.environ["DLCARDS_DB"]
    package = str(anki_deck["paths"]["current"])
    out = anki_deck["dir"] / "decks"
    if not point.endswith("a new database"):
        ok("due")  # a database of the built-in decks
    force = ["--force"] if point.endswith("--force") else []
    mine = out / "ml-basics.yaml"  # written first, so replaced before the kill
    if force:
        out.mkdir()
        mine.write_text("# my own deck file\n", encoding="utf-8")
    killed = _killed_import(package, out, point, force)
    assert killed.returncode == -signal.SIGKILL, killed.stderr.decode()
    if point.startswith("between"):  # killed with a deck file in place
        assert (out / "ml-basics.yaml").read_bytes() != b"# my own deck file\n"
    elif force:  # killed before, its new file and its old version's second name beside it
        assert len([p for p in out.iterdir() if p.name.startswith(".ml-basics.yaml.")]) == 2
    ok("due")  # the next command: what the killed one left is finished or taken back
    decks, cards, reviews, pending = _state(db, out)
    assert pending == []
    if point == "after the commit":
        assert len(decks) == 3 and len(cards) > 0 and reviews == 3
    elif force:  # the learner's deck file put back as it was
        assert (decks, cards, reviews) == (["ml-basics.yaml"], [], 0)
        assert mine.read_text(encoding="utf-8") == "# my own deck file\n"
    else:
        assert (decks, cards, reviews) == ([], [], 0)
    # the deck folder as it was before the import: no folder it made, nothing hidden beside
    # the decks (a temporary file, an old version's second name)
    if point == "after the commit":
        pass
    elif force:
        assert sorted(p.name for p in out.iterdir()) == ["ml-basics.yaml"]
    else:
        assert not out.exists(), sorted(str(p) for p in out.rglob("*"))
    again = ok("import", "anki", package, "--to-yaml", str(out), *force)
    assert "in no deck now" not in again
    assert ("nothing new" if point == "after the commit" else "imported 3 reviews") in again
    decks, cards, reviews, pending = _state(db, out)
    assert len(decks) == 3 and len(cards) > 0 and reviews == 3 and pending == []
    assert not [p.name for p in out.iterdir() if p.name.startswith(".")]


@pytest.mark.parametrize("checked_today", [True, False])
def test_a_damaged_database_is_refused_before_a_deck_is_written(
    anki_deck: dict[str, Any], checked_today: bool
) -> None:
    """Torture run: `--to-yaml` into a database with a damaged index (a flipped byte) wrote
    the decks, then said "database ... is damaged (...); nothing was written". Its check
    runs while the file is read (or the day's check is due): it is waited for before the
    decks are written now, and the import is refused with one line and no deck."""
    from datetime import datetime

    import damage

    db = Path(os.environ["DLCARDS_DB"])
    with Store.open() as store:
        store.sync(load_catalog().cards, "sig", datetime.now().astimezone())
        h.grade(store, "perceptron-1", 4, date.today(), datetime.now().astimezone())
    if not checked_today:
        with sqlite3.connect(db) as conn:
            conn.execute("UPDATE meta SET value = '2000-01-01' WHERE key = 'integrity_checked'")
    damage.flip_in_index(db, "reviews_card_time")
    before = db.read_bytes()
    out = anki_deck["dir"] / "decks"
    result = run("import", "anki", str(anki_deck["paths"]["current"]), "--to-yaml", str(out))
    assert result.exit_code == 2 and result.output.count("\n") == 1, result.output
    assert f"database {db} is damaged (" in result.output and "nothing was written" in result.output
    assert not out.exists()
    assert db.read_bytes() == before


def test_dry_run_writes_no_deck(anki_deck: dict[str, Any]) -> None:
    out_dir = anki_deck["dir"] / "decks"
    out = ok("import", "anki", str(anki_deck["paths"]["current"]), "--to-yaml", str(out_dir), "-n")
    assert "would write 3 decks with 8 cards and 1 media file" in out
    assert "would import 3 reviews of 2 cards" in out
    assert "  ml-basics: 2 reviews" in out and "  ml-cloze: 1 review" in out
    assert not out_dir.exists()


# --- bad files ----------------------------------------------------------------------------------


def zip_with(path: Path, entries: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return path


def newer_schema(anki_deck: dict[str, Any], tmp: Path) -> Path:
    legacy = anki_deck["paths"]["legacy"]
    with zipfile.ZipFile(legacy) as archive:
        data = archive.read("collection.anki21")
    db = tmp / "c.anki21"
    db.write_bytes(data)
    conn = sqlite3.connect(db)
    conn.execute("UPDATE col SET ver = 19")
    conn.commit()
    conn.close()
    return zip_with(tmp / "newer.apkg", {"meta": b"\x08\x02", "collection.anki21": db.read_bytes()})


def legacy_changed(anki_deck: dict[str, Any], tmp: Path, sql: str, params: Any = ()) -> Path:
    """The legacy package with `sql` run on its collection."""
    with zipfile.ZipFile(anki_deck["paths"]["legacy"]) as archive:
        data = archive.read("collection.anki21")
    db = tmp / "c.anki21"
    db.write_bytes(data)
    conn = sqlite3.connect(db)
    conn.execute(sql, params)
    conn.commit()
    conn.close()
    return zip_with(tmp / "x.apkg", {"meta": b"\x08\x02", "collection.anki21": db.read_bytes()})


def review_time_out_of_range(anki_deck: dict[str, Any], tmp: Path) -> Path:
    """A collection whose review log has an answer time past year 9999 (a revlog id is its
    time in ms): converting it raised OverflowError, a traceback."""
    return legacy_changed(
        anki_deck,
        tmp,
        "UPDATE revlog SET id = 9223372036854775807 WHERE id = (SELECT max(id) FROM revlog)",
    )


def review_of_text(anki_deck: dict[str, Any], tmp: Path) -> Path:
    """A collection whose review log holds a text where a number belongs (its `ease`): the
    rows are taken as the query gives them, so a check in SQL must find it."""
    return legacy_changed(
        anki_deck, tmp, "UPDATE revlog SET ease = 'good' WHERE id = (SELECT max(id) FROM revlog)"
    )


def legacy_col(anki_deck: dict[str, Any], tmp: Path, column: str, value: str) -> Path:
    """The legacy package with its `col` row's `column` (a JSON text there) set to `value`."""
    return legacy_changed(anki_deck, tmp, f"UPDATE col SET {column} = ?", (value,))


def placeholder_of_a_package(anki_deck: dict[str, Any], tmp: Path) -> Path:
    """The collection.anki2 of a package unzipped: Anki puts it beside the real collection
    for Ankis too old to read the package, one Basic note asking to update Anki. Given to
    dlcards, it was read as the learner's collection: exit 0, "has no notes that dlcards
    exported", and with --to-yaml no deck and "skipped 1 card ... with an empty answer"."""
    with zipfile.ZipFile(anki_deck["paths"]["current"]) as archive:
        assert {"collection.anki21b", "collection.anki2"} <= set(archive.namelist())
        path = tmp / "collection.anki2"
        path.write_bytes(archive.read("collection.anki2"))
    return path


def empty_collection(tmp: Path) -> Path:
    folder = tmp / "empty"
    folder.mkdir()
    col = Collection(str(folder / "collection.anki2"))
    col.export_collection_package(str(tmp / "empty.colpkg"), include_media=True, legacy=False)
    return tmp / "empty.colpkg"


def damaged_deflate(path: Path, cut: bool) -> Path:
    """A legacy package ("Support older Anki versions") whose deflated collection.anki21 is
    damaged: its first block of an invalid type, or its stream cut before its end (the zip's
    own sizes and headers intact, so only the inflating finds out)."""
    import zlib

    data = b"SQLite format 3\x00" + bytes(range(256)) * 40
    packer = zlib.compressobj(9, zlib.DEFLATED, -15)
    stream = packer.compress(data) + packer.flush()
    stream = stream[: len(stream) // 2] if cut else b"\xff" + stream[1:]
    with zipfile.ZipFile(path, "w") as archive:  # stored, then marked deflated (method 8)
        archive.writestr("collection.anki21", stream)
    raw = bytearray(path.read_bytes())
    for signature, at in ((b"PK\x03\x04", 8), (b"PK\x01\x02", 10)):
        start = raw.index(signature)
        raw[start + at : start + at + 2] = (8).to_bytes(2, "little")
    path.write_bytes(bytes(raw))
    return path


BAD = {
    "not a zip": (lambda d, t: (t / "notes.apkg").write_text("hello") and t / "notes.apkg"),
    "zip without collection": (lambda d, t: zip_with(t / "x.apkg", {"readme.txt": b"hi"})),
    "corrupt collection": (
        lambda d, t: zip_with(
            t / "x.apkg", {"collection.anki2": b"SQLite format 3\x00" + b"x" * 900}
        )
    ),
    "corrupt zstd": (
        lambda d, t: zip_with(t / "x.apkg", {"meta": b"\x08\x03", "collection.anki21b": b"junk"})
    ),
    "newer package": (
        lambda d, t: zip_with(t / "x.apkg", {"meta": b"\x08\x07", "collection.anki21b": b""})
    ),
    "damaged deflate": (lambda d, t: damaged_deflate(t / "x.apkg", cut=False)),
    "cut deflate": (lambda d, t: damaged_deflate(t / "x.apkg", cut=True)),
    "damaged meta": (
        lambda d, t: zip_with(t / "x.apkg", {"meta": b"\x08", "collection.anki21b": b""})
    ),
    "meta of another wire type": (
        lambda d, t: zip_with(t / "x.apkg", {"meta": b"\x0b", "collection.anki21b": b""})
    ),
    "collection without meta": (
        lambda d, t: zip_with(t / "x.apkg", {"collection.anki21b": b"garbage" * 100})
    ),
    "newer schema": newer_schema,
    "review time out of range": review_time_out_of_range,
    "review of text": review_of_text,
    # a torture run: JSON of another shape raised AttributeError, nested too deep
    # RecursionError, tracebacks
    "decks not an object": (lambda d, t: legacy_col(d, t, "decks", "[1, 2]")),
    "note types nested too deep": (lambda d, t: legacy_col(d, t, "models", "[" * 100_000)),
    "empty deck": (lambda d, t: empty_collection(t)),
    "placeholder of a package": placeholder_of_a_package,
    "missing": (lambda d, t: t / "nowhere.apkg"),
    # a torture run: a FIFO with no writer was waited on for ever, a pipe called damaged
    "fifo": (lambda d, t: (os.mkfifo(t / "pipe.apkg"), t / "pipe.apkg")[1]),
    "device": (lambda d, t: Path("/dev/null")),
}
MESSAGES = {
    "not a zip": "is not an Anki file",
    "zip without collection": "is a zip file without an Anki collection inside",
    "corrupt collection": "its collection is corrupt or not an Anki collection",
    "corrupt zstd": "its collection is damaged",
    "newer package": "was written by a newer Anki (package version 7",
    "damaged deflate": "is a damaged zip file (Error -3 while decompressing data: invalid block",
    "cut deflate": "is a damaged zip file (Bad CRC-32 for file",
    "damaged meta": "its meta entry is damaged (truncated varint)",
    "meta of another wire type": "its meta entry is damaged (unsupported wire type 3)",
    "collection without meta": (
        "has a collection.anki21b that its meta entry does not name (no meta): the package is "
        "damaged"
    ),
    "newer schema": "was made by a newer Anki (collection schema 19; dlcards reads 11 to 18)",
    "review time out of range": (
        "its review log has an answer time no calendar holds (9223372036854775807 ms)"
    ),
    "review of text": (
        "its collection is corrupt or not an Anki collection (its review log holds text where "
        "a number belongs, in 1 of its rows)"
    ),
    "decks not an object": (
        "its collection is corrupt or not an Anki collection (col.decks is an array, not a "
        "JSON object)"
    ),
    "note types nested too deep": "(col.models is JSON nested too deeply)",
    "empty deck": "holds no notes: nothing to import",
    "placeholder of a package": (
        "collection.anki2 is the placeholder Anki puts in its packages for Ankis too old to "
        "read them (its one note asks to update Anki), not a collection: give the .apkg or "
        ".colpkg file itself"
    ),
    "missing": "no such file",
    "fifo": "is a FIFO (named pipe), not a file; save the package to a file",
    "device": "is a device, not a file; save the package to a file",
}


@pytest.fixture(scope="module")
def imported_once() -> dict[date, Path]:
    """The database folder the first bad-file case of a day kept after its good import (the
    database with a history that no bad file may change), for the others to copy."""
    return {}


@pytest.mark.parametrize("case", list(BAD))
def test_a_bad_file_is_one_line_and_changes_nothing(
    anki_deck: dict[str, Any],
    tmp_path: Path,
    case: str,
    imported_once: dict[date, Path],
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    import shutil

    bad_dir = tmp_path / "bad"
    bad_dir.mkdir()
    path = BAD[case](anki_deck, bad_dir)
    data = Path(os.environ["DLCARDS_DB"]).parent
    today = date.today()
    if today not in imported_once:  # a database with history: what a bad file must not touch
        ok("import", "anki", str(anki_deck["paths"]["current"]), "--to-yaml", str(tmp_path / "d"))
        imported_once[today] = kept = tmp_path_factory.mktemp("imported") / "data"
        shutil.copytree(data, kept)
    else:  # the same day's other cases copy it (~40 ms of import each)
        shutil.copytree(imported_once[today], data, dirs_exist_ok=True)
    db = Store.open()
    db_path = db.path
    db.close()
    before = hashlib.sha256(db_path.read_bytes()).hexdigest()
    for extra in ([], ["--to-yaml", str(tmp_path / "out")], ["--dry-run"]):
        result = run("import", "anki", str(path), *extra)
        assert result.exit_code == 2, result.output
        assert result.output.startswith("error: ") and result.output.count("\n") == 1
        assert MESSAGES[case] in result.output, result.output
        assert "Traceback" not in result.output
    assert hashlib.sha256(db_path.read_bytes()).hexdigest() == before
    assert not (tmp_path / "out").exists()


def media_list(anki_deck: dict[str, Any], tmp: Path, fmt: str, media: bytes) -> Path:
    """The package of format `fmt` with its media list replaced by `media`."""
    with zipfile.ZipFile(anki_deck["paths"][fmt]) as archive:
        entries = {name: archive.read(name) for name in archive.namelist()}
    return zip_with(tmp / f"{fmt}.apkg", {**entries, "media": media})


def zstd(data: bytes) -> bytes:
    import zstandard

    return zstandard.ZstdCompressor().compress(data)


@pytest.mark.parametrize(
    ("fmt", "media", "message"),
    [
        ("current", b"junk", "its media list is damaged (zstd decompress error"),
        # 34 MB of empty entries in 5 KB: 17 KB of them (200 MB) took 12 GB and six minutes
        ("current", zstd(b"\x0a\x00" * (17 << 20)), "its media list unpacks to more than 32 MB"),
        ("legacy", b"[]", "its media list is damaged (the media entry is an array, not a JSON"),
        ("legacy", b"[" * 100_000, "its media list is damaged (the media entry is JSON nested"),
    ],
    ids=["damaged zstd", "zstd bomb", "JSON array", "JSON nested too deep"],
)
def test_a_damaged_media_list_is_one_line(
    anki_deck: dict[str, Any], tmp_path: Path, fmt: str, media: bytes, message: str
) -> None:
    """The media list is read with `--to-yaml` only: a damaged one was a traceback
    (ZstdError, AttributeError, RecursionError), and a small one that unpacked to millions of
    entries was read whole."""
    path = media_list(anki_deck, tmp_path, fmt, media)
    result = run("import", "anki", str(path), "--to-yaml", str(tmp_path / "out"))
    assert result.exit_code == 2, result.output
    assert result.output.startswith("error: ") and result.output.count("\n") == 1
    assert message in result.output, result.output
    assert not (tmp_path / "out").exists()


def test_to_yaml_never_writes_over_a_deck_of_yours(anki_deck: dict[str, Any]) -> None:
    """A deck of yours in the folder: named as a converted deck would be (`ml-basics.yaml`),
    the import refuses and writes nothing (the dry run says so); under another name with a
    topic a converted deck would take (`custom.yaml`, topic `ml-cloze`), the converted deck
    gets another topic and the folder still loads."""
    out_dir = anki_deck["dir"] / "decks"
    out_dir.mkdir()
    mine = (
        "topic: ml-basics\ntitle: Mine\ncards:\n  - id: mine-1\n    question: Q?\n"
        "    answer: A.\n# my notes\n"
    )
    (out_dir / "ml-basics.yaml").write_text(mine, encoding="utf-8")
    path = str(anki_deck["paths"]["current"])
    refused = run("import", "anki", path, "--to-yaml", str(out_dir))
    assert refused.exit_code == 2 and "Traceback" not in refused.output
    assert f"{out_dir / 'ml-basics.yaml'}); add --force to replace it" in refused.output
    # the dry run predicts the refusal: it said "would write 3 decks", and "would import"
    # the reviews, of an import that writes nothing
    dry = run("import", "anki", path, "--to-yaml", str(out_dir), "--dry-run")
    assert (dry.exit_code, dry.output) == (2, refused.output)
    assert (out_dir / "ml-basics.yaml").read_text(encoding="utf-8") == mine
    assert sorted(p.name for p in out_dir.iterdir()) == ["ml-basics.yaml"]

    (out_dir / "ml-basics.yaml").rename(out_dir / "custom.yaml")
    ok("import", "anki", path, "--to-yaml", str(out_dir))
    assert (out_dir / "custom.yaml").read_text(encoding="utf-8") == mine
    catalog = load_catalog([out_dir])  # no topic defined twice
    assert catalog.card("mine-1").topic == "ml-basics"
    converted = {info.topic for info in catalog.infos if info.file.parent == out_dir.resolve()}
    assert "ml-basics" in converted and len(converted) == 4


def test_to_yaml_into_a_folder_whose_name_is_not_utf8_writes_nothing(
    anki_deck: dict[str, Any],
) -> None:
    """The decks could be written there but never loaded (their names are not UTF-8): one
    line before anything is written (it wrote them, then failed with a traceback)."""
    import os

    odd = Path(os.fsdecode(os.fsencode(anki_deck["dir"]) + b"/y\xe9"))
    result = run("import", "anki", str(anki_deck["paths"]["current"]), "--to-yaml", str(odd))
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert "y\\xe9: the folder's name is not UTF-8 text; give another folder" in result.output
    assert not odd.exists()


def test_converted_notes_exported_back_are_not_copied_in_anki(anki_deck: dict[str, Any]) -> None:
    """`import anki --to-yaml`, then `export anki` of those decks into the same collection:
    every note came back as a copy beside its original (a GUID made from the new card id), and
    both copies' reviews then landed on the one dlcards card. A note of one card now keeps its
    GUID, so Anki keeps its own note; a note of several cards (a cloze, a reversed pair) is
    still several dlcards cards, and each of those is a note of its own there."""
    from anki.collection import ImportAnkiPackageOptions, ImportAnkiPackageRequest

    out_dir = anki_deck["dir"] / "decks"
    ok("import", "anki", str(anki_deck["paths"]["current"]), "--to-yaml", str(out_dir))
    back = anki_deck["dir"] / "back.apkg"
    topics = ("--topic", "ml-basics", "--topic", "ml-cloze", "--topic", "ml-extra")
    ok("export", "anki", "-o", str(back), "--decks", str(out_dir), *topics)
    col = Collection(str(anki_deck["folder"] / "collection.anki2"))
    before = col.note_count()
    col.import_anki_package(
        ImportAnkiPackageRequest(
            package_path=str(back), options=ImportAnkiPackageOptions(with_scheduling=True)
        )
    )
    # 8 cards exported: basic and typed are their notes again; reversed, cloze and optional
    # (two cards each) come as six new notes
    assert col.note_count() == before + 6
    for key in ("basic", "typed"):
        nids = col.db.list("SELECT id FROM notes WHERE guid = ?", anki_deck["guids"][key])
        assert len(nids) == 1, key
        assert col.get_note(nids[0]).note_type()["name"].startswith("Basic"), key
    col.close()
    # the text export gives the same identity
    text = anki_deck["dir"] / "back.txt"
    ok("export", "text", "-o", str(text), "--decks", str(out_dir), *topics)
    lines = text.read_text(encoding="utf-8").splitlines()
    from dlcards.export.text import quote  # a GUID starting with # is quoted

    # its line has the note's GUID and its note type (the id `anki_note_type:` keeps)
    (basic,) = (line for line in lines if line.split("\t")[0] == quote(anki_deck["guids"]["basic"]))
    deck = yaml.safe_load((out_dir / "ml-basics.yaml").read_text(encoding="utf-8"))
    (card,) = (c for c in deck["cards"] if c["id"] == note_id(anki_deck["guids"]["basic"]))
    assert basic.split("\t")[1] == str(card["anki_note_type"]["id"])


def _forget_the_database() -> None:
    """The progress database gone (a new machine, a lost file): the decks are what is left."""
    db = Path(os.environ["DLCARDS_DB"])
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)


def test_a_converted_card_keeps_its_notes_guid_in_its_deck(anki_deck: dict[str, Any]) -> None:
    """`import anki --to-yaml` kept the GUID of a note converted into one card only in the
    database: with a fresh one (a new machine, a lost database) and the same decks, `export
    anki` into the collection they came from added copies of those notes, and a new Anki's
    reviews of a one-cloze note (a `-c1` card: its id is not made again from its GUID as a
    dlcards note) were "of notes dlcards does not know". The deck holds it now, `anki_guid:`."""
    col = Collection(str(anki_deck["folder"] / "collection.anki2"))
    dropout = add(col, "Cloze", "ML::Cloze", [], Text="{{c1::Dropout}} zeroes units at random.")
    package = export_package(col, anki_deck["dir"] / "with-one-cloze.apkg")
    col.close()
    out_dir = anki_deck["dir"] / "decks"
    ok("import", "anki", str(package), "--to-yaml", str(out_dir))
    guids = {**anki_deck["guids"], "dropout": dropout.guid}
    cards = {
        card["id"]: card
        for file in sorted(out_dir.glob("*.yaml"))
        for card in yaml.safe_load(file.read_text(encoding="utf-8"))["cards"]
    }
    one_card = {"basic": note_id(guids["basic"]), "typed": note_id(guids["typed"])}
    one_card["dropout"] = note_id(guids["dropout"]) + "-c1"
    assert {key: cards[cid].get("anki_guid") for key, cid in one_card.items()} == {
        key: guids[key] for key in one_card
    }
    # a note of several cards is several dlcards cards: none of them is that note
    assert [cid for cid, card in cards.items() if "anki_guid" in card] == sorted(
        one_card.values(), key=list(cards).index
    )

    _forget_the_database()
    topics = ("--topic", "ml-basics", "--topic", "ml-cloze", "--topic", "ml-extra")
    ok("due", "--decks", str(out_dir))  # a sync of the decks into a new database
    back = anki_deck["dir"] / "back.apkg"
    ok("export", "anki", "-o", str(back), "--decks", str(out_dir), *topics)
    col = Collection(str(anki_deck["folder"] / "collection.anki2"))
    before = col.note_count()
    log = col.import_anki_package(
        ImportAnkiPackageRequest(
            package_path=str(back), options=ImportAnkiPackageOptions(with_scheduling=True)
        )
    ).log
    # reversed, cloze and optional (two cards each) are six new notes; the three notes of one
    # card are Anki's own, each in its note type (basic, typed, the cloze of one cloze): Anki
    # takes them as its notes, none "conflicting" (of another note type, never updated)
    assert col.note_count() == before + 6
    for key in one_card:
        assert len(col.db.list("SELECT id FROM notes WHERE guid = ?", guids[key])) == 1, key
    assert (len(log.new), len(log.conflicting)) == (6, 0)
    assert {n.id.nid for n in [*log.updated, *log.duplicate]} == {
        col.db.scalar("SELECT id FROM notes WHERE guid = ?", guids[key]) for key in one_card
    }
    col.close()
    # the text export, without the database, gives them the same identity
    _forget_the_database()
    text = anki_deck["dir"] / "back.txt"
    ok("export", "text", "-o", str(text), "--decks", str(out_dir), *topics)
    from dlcards.export.text import quote  # a GUID starting with # is quoted

    lines = text.read_text(encoding="utf-8").splitlines()
    for key, cid in one_card.items():  # each in its note's note type, as the .apkg has it
        assert [
            line.split("\t")[1] for line in lines if line.split("\t")[0] == quote(guids[key])
        ] == [str(cards[cid]["anki_note_type"]["id"])], key

    # a new Anki (a phone that never held the notes) studies the package's notes, and its
    # reviews come back to a database made afresh from the decks
    phone = Collection(str(anki_deck["dir"] / "phone.anki2"))
    phone.import_anki_package(
        ImportAnkiPackageRequest(
            package_path=str(back), options=ImportAnkiPackageOptions(with_scheduling=True)
        )
    )
    for key in one_card:
        (nid,) = phone.db.list("SELECT id FROM notes WHERE guid = ?", guids[key])
        answer(phone, phone.get_note(nid).cards()[0].id, CardAnswer.GOOD)
    reviews = export_package(phone, anki_deck["dir"] / "phone.apkg")
    phone.close()
    _forget_the_database()
    out = ok("import", "anki", str(reviews), "--decks", str(out_dir))
    assert "imported 3 reviews of 3 cards" in out and "does not know" not in out, out
    with Store.open(Path(os.environ["DLCARDS_DB"])) as store:
        answered = {r[0] for r in store.query("SELECT card_id FROM reviews")}
    assert answered == set(one_card.values())
    # nor are they notes to convert again: the `-c1` card as a dlcards note is not a new card
    _forget_the_database()
    more = ok(
        "import", "anki", str(reviews), "--decks", str(out_dir),
        "--to-yaml", str(anki_deck["dir"] / "more"), "--dry-run",
    )  # fmt: skip
    assert "would write no deck: no note of" in more and "skipped 6 notes dlcards" in more, more
    # basic, typed and the cloze went to the phone in their own note types: the cards
    # converted before, whose GUIDs the decks keep
    assert "skipped 3 cards converted before" in more and "would keep" not in more, more


def test_a_card_with_an_empty_side_is_named_with_its_real_note_type(tmp_path: Path) -> None:
    """A torture run: a Basic note with an empty Back was skipped as "1 note of note type
    'Basic (empty side)': cannot convert it", a note type that does not exist. It is the
    card that is left out, under its own note type, saying why."""
    col = Collection(str(tmp_path / "c.anki2"))
    add(col, "Basic", "Mine", [], Front="Empty back?", Back="")
    add(col, "Basic", "Mine", [], Front="Full", Back="An answer")
    package = export_package(col, tmp_path / "e.apkg")
    col.close()
    out = " ".join(ok("import", "anki", str(package), "--to-yaml", str(tmp_path / "y")).split())
    assert (
        "skipped 1 card of note type 'Basic' with an empty question or answer: a dlcards card "
        "needs both"
    ) in out, out
    assert "empty side" not in out
    [deck] = (tmp_path / "y").glob("*.yaml")
    assert [c["question"] for c in yaml.safe_load(deck.read_text(encoding="utf-8"))["cards"]] == [
        "Full"
    ]


# --- sounds -------------------------------------------------------------------------------------

SOUNDS = {
    "x.mp3": b"ID3 one",
    "a b.mp3": b"ID3 two",
    "é ü.mp3": b"ID3 three",
    "a&b.mp3": b"ID3 four",
    "$5 a  b.mp3": b"ID3 five",
    "a%20b.mp3": b"ID3 six",
}
"""Sound files as Anki keeps them (a space, letters beyond ASCII, an '&' its field's HTML
writes as an entity, what Markdown escapes, two spaces, a '%' escape that is the name's own),
and their bytes."""
SOUND_MARKDOWN = {
    "x.mp3": "media/x.mp3",
    "a b.mp3": "media/a%20b.mp3",
    "é ü.mp3": "media/%C3%A9%20%C3%BC.mp3",
    "a&b.mp3": "media/a%26b.mp3",
    "$5 a  b.mp3": "media/%245%20a%20%20b.mp3",
    "a%20b.mp3": "media/a%2520b.mp3",
}
"""Each file's reference in the YAML deck, %-escaped as an image's is."""


def test_a_sound_comes_back_to_anki_as_a_sound_with_its_file(tmp_path: Path) -> None:
    """Anki's `[sound:x.mp3]` -> `import anki --to-yaml` (`[sound: media/x.mp3]`, the file
    in media/) -> `export anki` -> a real Anki: the card plays the same files (Anki's own
    list of the sounds a card plays), which the package carried into the collection's media.
    The export wrote the deck's text as it was: Anki read `[sound: media/x.mp3]` as a sound
    named ' media/x.mp3', and no file came with it. The terminal says which file would play."""
    import html

    from anki.sound import SoundOrVideoTag

    (tmp_path / "anki").mkdir()
    col = Collection(str(tmp_path / "anki" / "collection.anki2"))
    assert [col.media.write_data(name, data) for name, data in SOUNDS.items()] == list(SOUNDS)
    tags = "".join(f"[sound:{html.escape(name)}]" for name in SOUNDS)  # as Anki's editor does
    add(col, "Basic", "Talk", [], Front=f"Say it<br>{tags}", Back="Bonjour [sound:x.mp3]")
    package = export_package(col, tmp_path / "talk.apkg")
    col.close()

    out_dir = tmp_path / "decks"
    out = ok("import", "anki", str(package), "--to-yaml", str(out_dir))
    assert f"and {len(SOUNDS)} media files" in " ".join(out.split())
    [card] = yaml.safe_load((out_dir / "talk.yaml").read_text(encoding="utf-8"))["cards"]
    refs = "".join(f"[sound: {SOUND_MARKDOWN[name]}]" for name in SOUNDS)
    assert (card["question"], card["answer"]) == (
        f"Say it<br>{refs}",
        "Bonjour [sound: media/x.mp3]",
    )
    assert {name: (out_dir / "media" / name).read_bytes() for name in SOUNDS} == SOUNDS
    # in a pipe, `list` gives the card's question on one line (its runs of spaces one space)
    listed = ok("list", "--decks", str(out_dir), "--topic", "talk")
    marks = "".join(f"♪ media/{name}" for name in SOUNDS)
    assert listed == f"{card['id']}\t{' '.join(f'Say it {marks}'.split())}\n"
    assert "warning" not in ok("check", "--decks", str(out_dir))

    back = tmp_path / "back.apkg"
    ok("export", "anki", "-o", str(back), "--decks", str(out_dir), "--topic", "talk")
    (tmp_path / "fresh").mkdir()
    fresh = Collection(str(tmp_path / "fresh" / "collection.anki2"))
    try:
        fresh.import_anki_package(
            ImportAnkiPackageRequest(
                package_path=str(back), options=ImportAnkiPackageOptions(with_scheduling=False)
            )
        )
        [nid] = fresh.find_notes("")
        [played] = fresh.get_note(nid).cards()
        sounds = [t.filename for t in played.question_av_tags() if isinstance(t, SoundOrVideoTag)]
        assert sounds == list(SOUNDS)
        answer = [t.filename for t in played.answer_av_tags() if isinstance(t, SoundOrVideoTag)]
        assert answer == ["x.mp3"]
        media = Path(fresh.media.dir())
        assert {name: (media / name).read_bytes() for name in SOUNDS} == SOUNDS
        assert fresh.media.check().missing == []
    finally:
        fresh.close()


def leech_in_anki(tmp_path: Path) -> Path:
    """A deck made in Anki whose one card lapsed nine times on nine days (a leech at the
    eighth, dlcards's default threshold), exported with its scheduling."""
    folder = tmp_path / "leech-anki"
    folder.mkdir()
    col = Collection(str(folder / "collection.anki2"))
    add(col, "Basic", "Leeches", [], Front="Adam's beta2?", Back="0.999")
    card_id = col.find_cards("")[0]
    start = (int(time.time()) - 30 * 86_400) * 1000
    for day in range(10):  # a day's Again and its relearning step's Good
        for tick, rating in enumerate((CardAnswer.AGAIN, CardAnswer.GOOD)):
            if day == 0 and tick == 0:
                rating = CardAnswer.GOOD  # a new card first: learnt, then lapsed each day
            card = col.get_card(card_id)
            card.start_timer()
            states = col._backend.get_scheduling_states(card.id)
            chosen = col.sched.build_answer(card=card, states=states, rating=rating)
            chosen.answered_at_millis = start + day * 86_400_000 + tick * 60_000
            col.sched.answer_card(chosen)
        col.db.execute("UPDATE cards SET due = 0 WHERE queue = 2")  # due again the next day
    path = export_package(col, tmp_path / "leech.apkg")
    col.close()
    return path


@pytest.mark.parametrize("database", ["none yet", "synced"])
def test_the_dry_run_names_the_leech_a_converted_deck_makes(tmp_path: Path, database: str) -> None:
    """The dry run said nothing of the leech the imported reviews of a converted deck's card
    make (its cards are not in the database before the import's sync adds them, nor is any
    before the first import), while the import suspends it and says so."""
    db = Path(os.environ["DLCARDS_DB"])
    if database == "none yet":
        db.unlink()
    path = str(leech_in_anki(tmp_path))
    out = str(tmp_path / "decks")
    dry = ok("import", "anki", path, "--to-yaml", out, "--dry-run")
    assert not (tmp_path / "decks").exists()
    assert db.exists() == (database == "synced")  # the dry run made no database
    real = ok("import", "anki", path, "--to-yaml", out)
    said = [line for line in real.splitlines() if "a leech" in line]
    assert len(said) == 1 and said[0].startswith("suspended 1 card the imported reviews made")
    predicted = said[0].replace("suspended", "would suspend").replace("made", "would make")
    assert predicted.split(" as leech_action says")[0] in dry, dry
    (card,) = [c.id for c in load_catalog([tmp_path / "decks"]).cards if c.topic == "leeches"]
    assert f"({card})" in said[0]
    with Store.open(db) as store:
        assert store.suspensions([card])[card].suspended


def note_type(
    col: Collection,
    name: str,
    fields: list[str],
    front: str,
    back: str,
    cloze: bool = False,
    template: str = "Card 1",
) -> None:
    """A note type of the learner's own in `col`: `fields`, one template named `template`
    with `front` and `back`; a cloze note type when `cloze`."""
    models = col.models
    made = models.new(name)
    made["type"] = int(cloze)
    for field in fields:
        models.add_field(made, models.new_field(field))
    card = models.new_template(template)
    card["qfmt"], card["afmt"] = front, back
    models.add_template(made, card)
    models.add(made)


def custom_cloze(col: Collection) -> None:
    """A cloze note type of the learner's own: a Source field under the text on the front,
    and Extra on the back."""
    note_type(
        col,
        "Cloze with source",
        ["Text", "Source", "Extra"],
        "{{cloze:Text}}<br><small>{{Source}}</small>",
        "{{cloze:Text}}<br>{{Extra}}",
        cloze=True,
        template="Cloze",
    )


def test_a_cloze_note_types_front_fields_are_asked_with_the_blank(tmp_path: Path) -> None:
    """A cloze note type that shows a field beside the cloze on the front (a source, a
    context) lost it: the question was the blank alone, where Anki shows both."""
    folder = tmp_path / "anki"
    folder.mkdir()
    col = Collection(str(folder / "collection.anki2"))
    custom_cloze(col)
    add(
        col, "Cloze with source", "Papers", [],
        Text="{{c1::Adam}} keeps {{c2::two moments}}", Source="Kingma &amp; Ba, 2014",
        Extra="ICLR 2015",
    )  # fmt: skip
    shown = {}
    for card_id in col.find_cards(""):
        card = col.get_card(card_id)
        shown[card.ord] = (card.question(), card.answer())
    path = export_package(col, tmp_path / "papers.apkg")
    col.close()
    ok("import", "anki", str(path), "--to-yaml", str(tmp_path / "decks"))
    (deck,) = (tmp_path / "decks").glob("*.yaml")
    cards = yaml.safe_load(deck.read_text(encoding="utf-8"))["cards"]
    assert [c["id"][-3:] for c in cards] == ["-c1", "-c2"]
    for n, card in enumerate(cards):
        question, answer = shown[n]
        assert "Kingma &amp; Ba, 2014" in question and "Kingma" not in answer  # Anki's
        assert "ICLR 2015" not in question and "ICLR 2015" in answer
        assert card["question"].endswith("<br>Kingma & Ba, 2014"), card  # as the front
        assert "ICLR" not in card["question"] and card["answer"].endswith("<br><br>ICLR 2015")
        assert "[...]" in card["question"] and "[...]" not in card["answer"]


def test_a_cloze_card_anki_finds_empty_is_left_out_and_named(tmp_path: Path) -> None:
    """A cloze taken out of a note's text leaves its card in Anki, an error on screen there
    until Tools > Empty Cards removes it; so does a cloze note with no cloze. Converted, each
    was a card whose question was its answer, with no blank: now they are left out, the
    import says so, and the note's other cards come in."""
    folder = tmp_path / "anki"
    folder.mkdir()
    col = Collection(str(folder / "collection.anki2"))
    edited = add(col, "Cloze", "Nets", [], Text="{{c1::ReLU}} and {{c2::GELU}}")
    edited["Text"] = "{{c1::ReLU}} and GELU"  # c2 taken out: its card stays
    col.update_note(edited)
    add(col, "Cloze", "Nets", [], Text="no cloze at all")
    empty = {c for report in col.get_empty_cards().notes for c in report.card_ids}
    kept = [col.get_card(c) for c in col.find_cards("") if c not in empty]
    assert len(empty) == 2 and len(kept) == 1  # Anki's own count
    path = export_package(col, tmp_path / "nets.apkg")
    col.close()
    out = ok("import", "anki", str(path), "--to-yaml", str(tmp_path / "decks"))
    assert "wrote 1 deck with 1 card to" in out, out
    assert "skipped 2 cards of note type 'Cloze' with no cloze of its number" in out, out
    assert "cannot convert" not in out
    (deck,) = (tmp_path / "decks").glob("*.yaml")
    cards = yaml.safe_load(deck.read_text(encoding="utf-8"))["cards"]
    assert cards == [
        {"id": cards[0]["id"], "question": "[...] and GELU", "answer": "**ReLU** and GELU"}
    ]
    assert cards[0]["id"].endswith("-c1")


def test_notes_added_in_anki_since_come_into_a_folder_of_their_own(
    anki_deck: dict[str, Any],
) -> None:
    """The decks converted before are loaded (`--decks`), and the notes added in Anki since
    are converted into a new folder. Every note was converted again there, under the ids the
    loaded decks already had: the files were written, then the import failed on the
    duplicate ids, and every command after it too. Now only the new cards are written, and
    the decks load together."""
    first = anki_deck["dir"] / "decks"
    ok("import", "anki", str(anki_deck["paths"]["current"]), "--to-yaml", str(first))
    converted = load_catalog([first]).ids()
    col = Collection(str(anki_deck["folder"] / "collection.anki2"))
    add(col, "Basic", "ML::Basics", [], Front="Dropout?", Back="Zeroes random units.")
    path = export_package(col, anki_deck["dir"] / "later.apkg")
    col.close()
    later = anki_deck["dir"] / "later-decks"
    args = ("import", "anki", str(path), "--decks", str(first), "--to-yaml", str(later))
    dry = ok(*args, "--dry-run")
    out = ok(*args)
    assert f"wrote 1 deck with 1 card to {later}" in out, out
    assert dry.splitlines()[0] == f"would write 1 deck with 1 card to {later}"
    skipped = f"skipped {len(converted) - len(load_catalog().ids())} cards converted before"
    assert skipped in out and skipped in dry
    (deck,) = later.glob("*.yaml")
    cards = yaml.safe_load(deck.read_text(encoding="utf-8"))["cards"]
    assert [(c["question"], c["answer"]) for c in cards] == [("Dropout?", "Zeroes random units.")]
    assert cards[0]["id"] not in converted
    ok("check", "--decks", str(first), "--decks", str(later))


SECTION_TEMPLATES = [
    "{{#A}}a{{/A}}{{^A}}not a{{/A}}",
    "{{#A}}1{{#B}}2{{/B}}3{{/A}}",
    "{{#A}}1{{#A}}2{{/A}}3{{/A}}",
    "{{^A}}1{{#B}}2{{^B}}never{{/B}}{{/B}}3{{/A}}",
    "{{#A}}{{^A}}never{{/A}}x{{/A}}",
    "{{ #A }}spaced{{/A}}{{^ B }}no b{{/ B }}",
    "{{#A}}<b>{{A}}</b>{{/A}}{{#B}} and {{B}}{{/B}}",
]


@pytest.mark.parametrize("front", SECTION_TEMPLATES)
def test_sections_show_what_anki_shows(tmp_path: Path, front: str) -> None:
    """Conditional sections, nested, inverted, of one name inside itself and written with
    spaces, against Anki's own rendering of the front for each of the four notes that have
    A and B empty or not (a Q field always filled, so that every note has its card)."""
    import html as html_module
    import re

    from dlcards.importers.anki_notes import front_html

    col = Collection(str(tmp_path / "collection.anki2"))
    note_type(col, "Sections", ["Q", "A", "B"], "{{Q}}|" + front, "{{Q}}")
    notes = [("", ""), ("a1", ""), ("", "b1"), ("a1", "b1")]
    for i, (a, b) in enumerate(notes):
        add(col, "Sections", "S", [], Q=f"q{i}", A=a, B=b)

    def text(html: str) -> str:
        bare = re.sub(r"<style>.*?</style>|<[^>]+>", "", html, flags=re.DOTALL)
        return " ".join(html_module.unescape(bare).split())

    anki = {}
    for card_id in col.find_cards(""):
        card = col.get_card(card_id)
        anki[card.note()["Q"]] = text(card.question())
    col.close()
    ours = {
        f"q{i}": text(front_html("{{Q}}|" + front, {"Q": f"q{i}", "A": a, "B": b}))
        for i, (a, b) in enumerate(notes)
    }
    assert ours == anki


def test_a_template_of_sections_never_closed_renders_in_linear_time() -> None:
    """A note type's template of 300,000 section openers (3 MB) with no closer of their
    name (a hostile package; Anki refuses such a template, the import keeps its text), and
    one of 300,000 nested sections of a name whose field is empty: each rendered for a
    note in a fresh process within a minute. Each opener's closer was looked for to the end
    of the template (8,000 openers: 3.2 s, for every note), and a first stack-based
    version copied each unclosed section's text into the one around it (40,000: 5.8 s)."""
    import subprocess
    import sys

    code = (
        "import sys; from dlcards.importers.anki_notes import sections; "
        "t = '{{#Front}}' * 300_000 + '{{/Back}}' * 1000; "
        "print(len(sections(t, {'Front': 'x'}))); "
        "t = '{{#Front}}' * 300_000 + 'x' + '{{/Front}}' * 300_000; "
        "print(len(sections(t, {'Front': ''})))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    kept = 300_000 * len("{{#Front}}") + 1000 * len("{{/Back}}")
    assert done.stdout.split() == [str(kept), "0"]


def test_a_front_templates_own_words_are_asked(tmp_path: Path) -> None:
    """A note type of the learner's own whose front template holds the question's words
    (`What is the capital of {{Country}}?`) was converted to the field alone (`France`): the
    question is now the front as Anki renders it, its words, its sections, its fields."""
    import html as html_module
    import re

    folder = tmp_path / "anki"
    folder.mkdir()
    col = Collection(str(folder / "collection.anki2"))
    note_type(
        col,
        "Capitals",
        ["Country", "Region", "Capital"],
        "What is the capital of <b>{{Country}}</b>?{{#Region}} ({{Region}}){{/Region}}"
        "{{^Region}} (anywhere){{/Region}}",
        "{{FrontSide}}<hr id=answer>{{Capital}}",
    )
    add(col, "Capitals", "Geo", [], Country="France", Region="Europe", Capital="Paris")
    add(col, "Capitals", "Geo", [], Country="Chile", Capital="Santiago")
    shown = {}
    for card_id in col.find_cards(""):
        card = col.get_card(card_id)
        text = re.sub(r"<style>.*?</style>|<[^>]+>", "", card.question(), flags=re.DOTALL)
        shown[card.note()["Capital"]] = " ".join(html_module.unescape(text).split())
    assert shown == {
        "Paris": "What is the capital of France? (Europe)",
        "Santiago": "What is the capital of Chile? (anywhere)",
    }  # Anki's
    path = export_package(col, tmp_path / "geo.apkg")
    col.close()
    ok("import", "anki", str(path), "--to-yaml", str(tmp_path / "decks"))
    (deck,) = (tmp_path / "decks").glob("*.yaml")
    cards = yaml.safe_load(deck.read_text(encoding="utf-8"))["cards"]
    assert [(c["question"], c["answer"]) for c in cards] == [
        ("What is the capital of **France**? (Europe)", "Paris"),
        ("What is the capital of **Chile**? (anywhere)", "Santiago"),
    ]
    ok("check", "--decks", str(tmp_path / "decks"))


def test_a_note_types_second_cloze_field_makes_its_cards(tmp_path: Path) -> None:
    """Anki numbers a cloze note's cards from every field its front shows with
    `{{cloze:...}}`: a card whose cloze is in the second such field is no empty card, and
    its blank is there."""
    folder = tmp_path / "anki"
    folder.mkdir()
    col = Collection(str(folder / "collection.anki2"))
    both = "{{cloze:Text}}<br>{{cloze:More}}"
    note_type(col, "Two clozes", ["Text", "More"], both, both, cloze=True, template="Cloze")
    add(
        col,
        "Two clozes",
        "Nets",
        [],
        Text="{{c1::ReLU}} is max(0, x)",
        More="{{c2::GELU}} is smooth",
    )
    assert len(col.find_cards("")) == 2 and not col.get_empty_cards().notes  # Anki's two cards
    path = export_package(col, tmp_path / "two.apkg")
    col.close()
    out = ok("import", "anki", str(path), "--to-yaml", str(tmp_path / "decks"))
    assert "no cloze of its number" not in out
    (deck,) = (tmp_path / "decks").glob("*.yaml")
    cards = yaml.safe_load(deck.read_text(encoding="utf-8"))["cards"]
    assert [(c["id"][-3:], c["question"], c["answer"]) for c in cards] == [
        (
            "-c1",
            "[...] is max(0, x)<br>GELU is smooth",
            "**ReLU** is max(0, x)<br><br>GELU is smooth",
        ),
        (
            "-c2",
            "ReLU is max(0, x)<br>[...] is smooth",
            "ReLU is max(0, x)<br><br>**GELU** is smooth",
        ),
    ]


def test_a_converted_cloze_of_one_card_studied_in_a_fresh_anki_comes_back(
    tmp_path: Path,
) -> None:
    """A cloze note of one cloze converted (`anki-...-c1`) is exported as its Anki note, with
    that note's GUID, in dlcards's note type. Studied in an Anki that had never held the note
    (a new phone), its review was 'of a note dlcards does not know': its id was made again
    from the GUID and the note type, which is no cloze there. It comes back to its card, and
    a --to-yaml of that file makes no copy of it under another id."""
    folder = tmp_path / "anki"
    folder.mkdir()
    col = Collection(str(folder / "collection.anki2"))
    add(col, "Cloze", "Acts", [], Text="The {{c1::sigmoid}} squashes")
    add(col, "Basic", "Acts", [], Front="GELU?", Back="Smooth ReLU")
    source = export_package(col, tmp_path / "source.apkg")
    col.close()
    decks = tmp_path / "decks"
    ok("import", "anki", str(source), "--to-yaml", str(decks))
    converted = set(load_catalog([decks]).ids()) - set(load_catalog().ids())
    assert len(converted) == 2 and any(cid.endswith("-c1") for cid in converted)
    package = tmp_path / "to-phone.apkg"
    ok("export", "anki", "-o", str(package), "--decks", str(decks), "--topic", "acts")

    phone = tmp_path / "phone"
    phone.mkdir()
    col = Collection(str(phone / "collection.anki2"))
    col.import_anki_package(
        ImportAnkiPackageRequest(
            package_path=str(package), options=ImportAnkiPackageOptions(with_scheduling=True)
        )
    )
    for card_id in col.find_cards(""):
        answer(col, card_id, CardAnswer.GOOD)
    back = export_package(col, tmp_path / "phone.apkg")
    col.close()
    args = ("import", "anki", str(back), "--decks", str(decks))
    dry = ok(*args, "--dry-run")
    out = ok(*args)
    assert "imported 2 reviews of 2 cards" in out and "would import 2 reviews of 2 cards" in dry
    assert "does not know" not in out + dry
    with Store.open(Path(os.environ["DLCARDS_DB"])) as store:
        logged = {r[0] for r in store.query("SELECT card_id FROM reviews")}
    assert logged == converted
    again = ok(*args, "--to-yaml", str(tmp_path / "again" / "deeper"))
    assert "wrote no deck: no note of" in again, again
    # nothing to write: no folder made (`--to-yaml /nope/x` made /nope and /nope/x for it)
    assert not (tmp_path / "again").exists()


def test_reviews_of_a_converted_notes_card_no_deck_has_are_named_as_such(tmp_path: Path) -> None:
    """A cloze note answered on both its cards, then c2 taken out of its text: the empty
    card is left out of the converted deck, and its review was said to be 'of cards Anki
    added to 1 dlcards note (...; a reverse card, say)', a note dlcards never exported. It
    is named as the converted note's card no deck here has, with what to do, once: every
    later import of a file of that collection said it again, forever (nothing here could take
    those answers, and nothing the learner did here stopped it). A later answer of the card
    (a file where it has more) names it again."""
    folder = tmp_path / "anki"
    folder.mkdir()
    col = Collection(str(folder / "collection.anki2"))
    note = add(col, "Cloze", "Nets", [], Text="{{c1::ReLU}} and {{c2::GELU}}")
    for card_id in col.find_cards(""):
        answer(col, card_id, CardAnswer.GOOD)
    note["Text"] = "{{c1::ReLU}} and GELU"
    col.update_note(note)
    path = export_package(col, tmp_path / "nets.apkg")
    col.close()
    args = ("import", "anki", str(path), "--to-yaml", str(tmp_path / "decks"))
    dry = ok(*args, "--dry-run")
    out = ok(*args)
    named = (
        f"not imported: 1 review of 1 card of converted notes that no deck here has "
        f"({note_key(note.guid)}-c2): no longer in its note's text: an empty card in Anki, "
        "which its Tools > Empty Cards deletes; said once"
    )
    assert named in out and named in dry, out
    assert "Anki added" not in out and "does not know" not in out
    assert "imported 1 review of 1 card" in out
    later = ("import", "anki", str(path), "--decks", str(tmp_path / "decks"))
    for again in (ok(*later, "--dry-run"), ok(*later)):
        assert "0 reviews of 0 cards" in again, again
        assert "not imported" not in again, again
    # the empty card answered once more in Anki (it can be: Anki shows its error and the
    # buttons): its answers are named again, all of them
    col = Collection(str(folder / "collection.anki2"))
    answer(col, col.get_note(note.id).cards()[1].id, CardAnswer.GOOD)
    path = export_package(col, tmp_path / "nets2.apkg")
    col.close()
    more = ok("import", "anki", str(path), "--decks", str(tmp_path / "decks"))
    assert named.replace("1 review", "2 reviews") in more, more


def anki_shows(html_text: str) -> str:
    """What Anki's card shows of its HTML, as plain words: no style, no hidden hint (a
    `display: none` block until its link is clicked), no link to it, no tags."""
    import html as html_module
    import re

    text = re.sub(r"<style>.*?</style>|<script>.*?</script>", "", html_text, flags=re.DOTALL)
    text = re.sub(
        r"<a class=hint.*?</a>|<div[^>]*display: none[^>]*>.*?</div>", "", text, flags=re.S
    )
    text = re.sub(r"\[anki:play:\w:\d+\]", "", text)  # a play button
    return " ".join(html_module.unescape(re.sub(r"<[^>]+>", " ", text)).split())


def test_a_templates_filters_special_fields_and_hints_are_as_anki_renders_them(
    tmp_path: Path,
) -> None:
    """Note types whose templates use Anki's filters and special fields: `{{hint:F}}` was
    dropped (the hint is now in the answer, after its name, as the link Anki shows), the
    `furigana`, `kana` and `kanji` filters showed `日本[にほん]` as typed, `{{Deck}}`,
    `{{Subdeck}}`, `{{Tags}}`, `{{Card}}` and `{{Type}}` showed nothing, a field only spoken
    (`{{tts en_US:F}}`) showed its text, a back's conditional sections showed every field
    they hold, its `{{text:F}}` kept the field's HTML, and a field of the note type named as
    a special field (`Type`) was never shown. The question is what Anki's front shows."""
    from dlcards.render import to_plain

    folder = tmp_path / "anki"
    folder.mkdir()
    col = Collection(str(folder / "collection.anki2"))
    notetype = partial(note_type, col)
    notetype(
        "Hinted",
        ["Front", "Back", "Hint"],
        "{{Front}}<br>{{hint:Hint}}",
        "{{FrontSide}}<hr id=answer>{{Back}}",
    )
    notetype(
        "Furigana",
        ["Word", "Meaning"],
        "{{furigana:Word}} / {{kana:Word}} / {{kanji:Word}}",
        "{{FrontSide}}<hr id=answer>{{Meaning}}",
    )
    notetype(
        "Special",
        ["Front", "Back"],
        "[{{Deck}}|{{Subdeck}}|{{Tags}}|{{Card}}|{{Type}}] {{Front}}",
        "{{FrontSide}}<hr id=answer>{{Back}}",
    )
    notetype(
        "Spoken",
        ["Front", "Back"],
        "{{Front}} {{tts en_US:Front}}",
        "{{FrontSide}}<hr id=answer>{{Back}}",
    )
    notetype(
        "Either",
        ["Front", "Back", "Alt", "Flag"],
        "{{Front}}",
        "{{FrontSide}}<hr id=answer>{{#Flag}}{{Back}}{{/Flag}}{{^Flag}}{{Alt}}{{/Flag}}",
    )
    notetype(
        "Plain", ["Front", "Back"], "{{text:Front}}", "{{FrontSide}}<hr id=answer>{{text:Back}}"
    )
    notetype("Kinds", ["Word", "Type"], "{{Word}}", "{{FrontSide}}<hr id=answer>{{Type}}")
    notetype("Back hint", ["Front", "Back", "Why"], "{{Front}}", "{{Back}}<br>{{hint:Why}}")
    notetype(
        "Sometimes",
        ["Front", "Back", "Flag", "Extra"],
        "{{Front}}{{#Flag}} ({{Extra}}){{/Flag}}",
        "{{FrontSide}}<hr id=answer>{{Back}}<br>{{Extra}}",
    )
    notetype(
        "Cloze hint",
        ["Text", "Extra", "Hint"],
        "{{cloze:Text}}<br>{{hint:Hint}}",
        "{{cloze:Text}}<br>{{Extra}}",
        cloze=True,
    )
    deck = "Top::Sub Deck"
    add(col, "Hinted", deck, [], Front="Derivative of σ?", Back="σ(1−σ)", Hint="a <b>product</b>")
    add(col, "Furigana", deck, [], Word="日本[にほん]語[ご]", Meaning="Japanese")
    add(col, "Special", deck, ["ml::cnn", "x"], Front="Stride?", Back="step")
    add(col, "Spoken", deck, [], Front="hello", Back="bonjour")
    add(col, "Either", deck, [], Front="Q1", Back="B1", Alt="A1", Flag="y")
    add(col, "Either", deck, [], Front="Q2", Back="B2", Alt="A2", Flag="")
    add(col, "Plain", deck, [], Front="<b>bold</b> q", Back="<i>it</i> a")
    add(col, "Kinds", deck, [], Word="run", Type="verb")
    add(col, "Back hint", deck, [], Front="Adam?", Back="Adaptive moments", Why="two EMAs")
    add(col, "Sometimes", deck, [], Front="Q3", Back="B3", Flag="y", Extra="on the front")
    add(col, "Sometimes", deck, [], Front="Q4", Back="B4", Flag="", Extra="on the back")
    add(col, "Cloze hint", deck, [], Text="{{c1::ReLU}} is max(0, x)", Extra="ex", Hint="rectifier")
    shown = {}
    for card_id in sorted(col.find_cards("")):
        card = col.get_card(card_id)
        shown[card.note().fields[0]] = anki_shows(card.question())
    path = export_package(col, tmp_path / "filters.apkg")
    col.close()
    ok("import", "anki", str(path), "--to-yaml", str(tmp_path / "decks"))
    (deck_file,) = (tmp_path / "decks").glob("*.yaml")
    cards = yaml.safe_load(deck_file.read_text(encoding="utf-8"))["cards"]
    questions = [" ".join(to_plain(c["question"]).split()) for c in cards]
    assert questions == [
        # Anki's ruby: the reading above the word; the terminal's, after it in parentheses
        shown[first].replace("日本 にほん 語 ご", "日本(にほん)語(ご)")
        for first in shown
    ]
    assert [c["answer"] for c in cards] == [
        "σ(1−σ)<br><br>*Hint*: a **product**",
        "Japanese",
        "step",
        "bonjour",
        "B1",
        "A2",
        "it a",
        "verb",
        "Adaptive moments<br><br>*Why*: two EMAs",
        "B3",
        "B4<br><br>on the back",
        "**ReLU** is max(0, x)<br><br>ex<br><br>*Hint*: rectifier",
    ]
    assert questions[2] == "[Top::Sub Deck|Sub Deck|ml::cnn x|Card 1|Special] Stride?"
    ok("check", "--decks", str(tmp_path / "decks"))


def test_a_cloze_cards_own_sections_and_a_spaced_cloze_reference_are_as_in_anki(
    tmp_path: Path,
) -> None:
    """`{{#c2}}...{{/c2}}` shows on card 2 alone in Anki (it renders `c<n>` as a field of card
    n): it showed on none. And a front's `{{ cloze:Text }}` (spaces inside the braces, which
    Anki trims) was not taken for a cloze field: the note's clozes were looked for in its
    first field, and every card was named an empty card."""
    folder = tmp_path / "anki"
    folder.mkdir()
    col = Collection(str(folder / "collection.anki2"))
    note_type(
        col,
        "Numbered",
        ["Source", "Text"],
        "{{#c1}}First: {{/c1}}{{#c2}}Second: {{/c2}}{{ cloze:Text }} ({{Source}})",
        "{{ cloze:Text }}",
        cloze=True,
        template="Cloze",
    )
    add(col, "Numbered", "Acts", [], Source="a book", Text="{{c1::ReLU}} and {{c2::GELU}}")
    by_ord = sorted((col.get_card(c) for c in col.find_cards("")), key=lambda c: c.ord)
    shown = [anki_shows(card.question()) for card in by_ord]
    assert shown == ["First: [...] and GELU (a book)", "Second: ReLU and [...] (a book)"]
    path = export_package(col, tmp_path / "numbered.apkg")
    col.close()
    out = ok("import", "anki", str(path), "--to-yaml", str(tmp_path / "decks"))
    assert "no cloze" not in out
    (deck,) = (tmp_path / "decks").glob("*.yaml")
    cards = yaml.safe_load(deck.read_text(encoding="utf-8"))["cards"]
    assert [c["question"] for c in cards] == shown


def test_an_image_occlusion_note_is_skipped_with_its_reason(tmp_path: Path) -> None:
    """Anki's Image Occlusion note (a cloze of shapes over an image) was skipped as
    "cannot convert it", the words of a note type with a template wrong; the line says why."""
    import base64

    folder = tmp_path / "anki"
    folder.mkdir()
    col = Collection(str(folder / "collection.anki2"))
    image = tmp_path / "net.png"
    image.write_bytes(
        base64.b64decode(
            "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="
        )
    )
    col.add_image_occlusion_notetype()
    col.add_image_occlusion_note(
        notetype_id=col.models.id_for_name("Image Occlusion"),
        image_path=str(image),
        occlusions="{{c1::image-occlusion:rect:left=.1:top=.1:width=.2:height=.2:oi=1}}",
        header="Label the net",
        back_extra="",
        tags=[],
    )
    add(col, "Basic", "Nets", [], Front="ReLU?", Back="max(0, x)")
    path = export_package(col, tmp_path / "io.apkg")
    col.close()
    out = ok("import", "anki", str(path), "--to-yaml", str(tmp_path / "decks"))
    assert "wrote 1 deck with 1 card to" in out, out
    assert (
        "  skipped 1 note of note type 'Image Occlusion': an image occlusion asks about shapes "
        "over an image, which a deck cannot hold"
    ) in out, out


def test_media_the_cards_show_that_the_package_lacks_are_named(tmp_path: Path) -> None:
    """A package Anki exported without "Include media" converted into cards that show an
    image and play a sound that are nowhere, and the import said nothing of it: `check`
    found them later, one deck at a time. The import names them, and how to bring them."""
    folder = tmp_path / "anki"
    folder.mkdir()
    col = Collection(str(folder / "collection.anki2"))
    image = tmp_path / "neuron.png"
    image.write_bytes(b"\x89PNG\r\n\x1a\n")
    name = col.media.add_file(str(image))
    add(col, "Basic", "Nets", [], Front=f'Neuron? <img src="{name}">', Back="unit [sound:x.mp3]")
    path = export_package(col, tmp_path / "bare.apkg", media=False)
    with_media = export_package(col, tmp_path / "full.apkg")
    col.close()
    out = ok("import", "anki", str(path), "--to-yaml", str(tmp_path / "decks"))
    assert (
        f"  2 media files the cards show are not in bare.apkg (neuron.png, x.mp3): the cards "
        f'name them in {tmp_path / "decks" / "media"}; export from Anki with "Include media" '
        "ticked, or copy them there from Anki's media folder"
    ) in out, out
    out = ok("import", "anki", str(with_media), "--to-yaml", str(tmp_path / "again"))
    assert "  1 media file the cards show is not in full.apkg (x.mp3)" in out, out
    ok("check", "--decks", str(tmp_path / "again"))


def test_ankis_latex_tags_become_the_decks_math(tmp_path: Path) -> None:
    """Anki typesets `[$]...[/$]`, `[$$]...[/$$]` and `[latex]...[/latex]` (an image of the
    math, its source the alt text); they came through as their tags and source with every `$`
    escaped (`[\\$]x^2[/\\$]`), which the terminal showed as typed. They are the decks' math,
    inline or display as Anki sets them, and a `[latex]` body's own `$...$` is math among
    its text."""
    from dlcards.render import to_plain

    folder = tmp_path / "anki"
    folder.mkdir()
    col = Collection(str(folder / "collection.anki2"))
    fronts = [
        "Loss [$]L = \\frac{1}{2}(y - \\hat y)^2[/$] of one sample?",
        "Softmax?<br>[$$]\\sigma(z)_i = \\frac{e^{z_i}}{\\sum_j e^{z_j}}[/$$]",
        "[latex]Let $f(x) = x^2$ be the loss.[/latex] Its derivative?",
        "[LaTeX]\\begin{align}a &amp;= b\\\\ c &amp;= d\\end{align}[/LaTeX]",
    ]
    for front in fronts:
        add(col, "Basic", "Math", [], Front=front, Back="see the notes")
    for card_id in col.find_cards(""):  # Anki's own reading: each is LaTeX it typesets
        assert "class=latex" in col.get_card(card_id).question()
    path = export_package(col, tmp_path / "latex.apkg", media=False)
    col.close()
    ok("import", "anki", str(path), "--to-yaml", str(tmp_path / "decks"))
    (deck,) = (tmp_path / "decks").glob("*.yaml")
    cards = yaml.safe_load(deck.read_text(encoding="utf-8"))["cards"]
    assert [c["question"] for c in cards] == [
        "Loss $L = \\frac{1}{2}(y - \\hat y)^2$ of one sample?",
        "Softmax?<br>$$\\sigma(z)_i = \\frac{e^{z_i}}{\\sum_j e^{z_j}}$$",
        "Let $f(x) = x^2$ be the loss. Its derivative?",
        "$$\\begin{align}a &= b\\\\ c &= d\\end{align}$$",
    ]
    shown = " ".join(to_plain(cards[0]["question"]).split())
    assert "$" not in shown and "[" not in shown, shown
    ok("check", "--decks", str(tmp_path / "decks"))


def test_the_whole_files_check_runs_while_the_import_reads_the_file(
    anki_deck: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An import appends to the log, so the whole file is checked first (`PRAGMA
    integrity_check`: ~3.5 s at 1,000,000 reviews). It starts in a thread before the Anki
    file is read, so a phone's file of 100,000 notes is read and converted meanwhile; it used
    to start at the merge, which then waited for it. A damaged database still stops the import
    with one line before anything is written (`test_a_bad_file_is_one_line_and_changes_nothing`
    and the stress runs' byte flips). A dry run, which writes nothing, checks the file the
    same way (a damaged database's answer would be wrong), with no daily check or backup."""
    from dlcards.importers import anki_file
    from dlcards.store import connection

    path = str(anki_deck["paths"]["current"])
    ok("import", "anki", path, "--to-yaml", str(tmp_path / "d"))  # a database with a log
    Store.open().close()
    events: list[str] = []
    read, check = anki_file.read, connection.FileCheck.__init__

    def reading(*args: Any, **kwargs: Any) -> Any:
        events.append("read")
        return read(*args, **kwargs)

    def checking(self: Any, path: Path, tables: Any = None) -> None:
        events.append("whole file" if tables is None else "tables")
        check(self, path, tables)

    monkeypatch.setattr(anki_file, "read", reading)
    monkeypatch.setattr(connection.FileCheck, "__init__", checking)
    ok("import", "anki", path, "--decks", str(tmp_path / "d"), "--dry-run")
    assert events == ["whole file", "read"]
    events.clear()
    ok("import", "anki", path, "--decks", str(tmp_path / "d"))
    assert events == ["whole file", "read"]


def test_force_without_to_yaml_is_an_error_not_ignored(anki_deck: dict[str, Any]) -> None:
    """`--force` replaces the deck files `--to-yaml` writes; given alone it did nothing, without
    a word (a README reader's check). It is one line now, before the database is opened."""
    result = run("import", "anki", str(anki_deck["paths"]["current"]), "--force")
    assert result.exit_code == 2
    assert result.output == (
        "error: --force replaces the deck files --to-yaml writes; add --to-yaml DIR\n"
    )


@pytest.mark.parametrize("stop", [KeyboardInterrupt, OSError])
def test_decks_not_written_leave_no_folder_the_import_made(
    anki_deck: dict[str, Any], monkeypatch: pytest.MonkeyPatch, stop: type[BaseException]
) -> None:
    """`--to-yaml new/decks` stopped while it wrote the decks (Ctrl-C or `kill`, a full disk):
    no deck was written, as the decks are written all or none, but the folders it had made
    for them (`new`, `new/decks`, `new/decks/media`) were left, empty. They are removed
    again; a folder that was there before stays."""
    from dlcards import fileio

    def stopped(files: Any, replaced: Any = None) -> None:
        raise stop(28, "No space left on device") if stop is OSError else stop()

    monkeypatch.setattr(fileio, "atomic_write_all", stopped)
    package = str(anki_deck["paths"]["current"])
    there = anki_deck["dir"] / "there"
    there.mkdir()
    result = run("import", "anki", package, "--to-yaml", str(there / "new" / "decks"))
    assert result.exit_code == (130 if stop is KeyboardInterrupt else 2), result.output
    assert list(there.iterdir()) == []


@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL")
@pytest.mark.parametrize(
    "command",
    [
        ["topics"],
        ["topics", "--json"],
        ["list"],
        ["check"],
        ["export", "text", "-o", "cards.txt"],
    ],
)
def test_a_killed_imports_decks_are_not_read_before_the_next_command_takes_them_back(
    anki_deck: dict[str, Any], command: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Reported: a command that reads the deck folder without opening the database first
    (`topics`, `list`, `show ID`, `check`, an export) showed the decks of an import killed
    outright (SIGKILL) before its commit, as if they were the learner's, until a command that
    opens the database took them back. Every such command takes them back first now."""
    import signal

    package = str(anki_deck["paths"]["current"])
    out = anki_deck["dir"] / "decks"
    ok("due")  # a database of the built-in decks
    out.mkdir()  # the learner's folder, with a deck of theirs
    (out / "mine.yaml").write_text(MINE, encoding="utf-8")
    killed = _killed_import(package, out, "between the decks")
    assert killed.returncode == -signal.SIGKILL, killed.stderr.decode()
    assert sorted(p.name for p in out.glob("*.yaml"))  # some of its decks in place
    theirs = sorted(set(out.glob("*.yaml")) - {out / "mine.yaml"})
    topic = yaml.safe_load(theirs[0].read_text(encoding="utf-8"))["topic"]
    cards = [
        c["id"] for f in theirs for c in yaml.safe_load(f.read_text(encoding="utf-8"))["cards"]
    ]
    monkeypatch.chdir(anki_deck["dir"])
    result = run(*command, "--decks", str(out))
    shown = result.output + (
        (anki_deck["dir"] / "cards.txt").read_text(encoding="utf-8")
        if (anki_deck["dir"] / "cards.txt").exists()
        else ""
    )
    assert result.exit_code == 0, shown
    assert topic not in shown and not [c for c in cards if c in shown], shown
    assert "mine-1" in shown or "mine" in shown or command[0] == "check", shown
    assert list(out.glob("*.yaml")) == [out / "mine.yaml"]


@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL")
@pytest.mark.parametrize("command", [["show"], ["suspend"], ["unsuspend"], ["reset", "--yes"]])
def test_a_killed_imports_card_is_not_changed_as_the_learners(
    anki_deck: dict[str, Any], command: list[str]
) -> None:
    """The same for `show ID` and the commands that change a card: `suspend`, `unsuspend`
    and `reset` read the decks (for the card's id) before they opened the database, and took
    a killed import's card for one of the learner's (its deck taken back as they opened the
    database, the change then made to a card that is in no deck). The card is unknown now."""
    import signal

    package = str(anki_deck["paths"]["current"])
    out = anki_deck["dir"] / "decks"
    ok("due")
    out.mkdir()  # the learner's folder, with a deck of theirs
    (out / "mine.yaml").write_text(MINE, encoding="utf-8")
    killed = _killed_import(package, out, "between the decks")
    assert killed.returncode == -signal.SIGKILL, killed.stderr.decode()
    theirs = sorted(set(out.glob("*.yaml")) - {out / "mine.yaml"})
    card = yaml.safe_load(theirs[0].read_text(encoding="utf-8"))["cards"][0]["id"]
    result = run(*command[:1], card, *command[1:], "--decks", str(out))
    assert result.exit_code == 2 and "unknown card id" in result.output, result.output
    assert list(out.glob("*.yaml")) == [out / "mine.yaml"]


def test_decks_converted_before_dlcards_kept_guids_learn_them_at_the_next_import(
    anki_deck: dict[str, Any],
) -> None:
    """Decks an older dlcards converted have no `anki_guid:`, and its database kept none (or
    the database is new): `export anki` into the collection they came from added a copy of
    each note of one card beside it, until `--to-yaml --force` rewrote the decks. The next
    import of an export of that collection (`import anki FILE --decks DIR`, the round trip's
    own step) finds those notes by the card ids made from their GUIDs and keeps each GUID in
    the database (a dry run says it would, and keeps none), the decks left as they are; the
    next export then writes those cards as their notes, which Anki keeps, no copy."""
    col = Collection(str(anki_deck["folder"] / "collection.anki2"))
    dropout = add(col, "Cloze", "ML::Cloze", [], Text="{{c1::Dropout}} zeroes units at random.")
    package = export_package(col, anki_deck["dir"] / "with-one-cloze.apkg")
    col.close()
    out_dir = anki_deck["dir"] / "decks"
    ok("import", "anki", str(package), "--to-yaml", str(out_dir))
    for file in out_dir.glob("*.yaml"):  # as an older dlcards wrote them
        text = file.read_text(encoding="utf-8")
        text = re.sub(r"\n  anki_note_type:(\n    .*)*", "", text)
        file.write_text(re.sub(r"\n  anki_guid: .*", "", text), encoding="utf-8")
    assert "anki_guid" not in "".join(f.read_text() for f in out_dir.glob("*.yaml"))
    assert "anki_note_type" not in "".join(f.read_text() for f in out_dir.glob("*.yaml"))
    _forget_the_database()
    ok("due", "--decks", str(out_dir))  # a sync of the decks into a new database
    guids = {**anki_deck["guids"], "dropout": dropout.guid}
    one_card = {"basic": note_id(guids["basic"]), "typed": note_id(guids["typed"])}
    one_card["dropout"] = note_id(guids["dropout"]) + "-c1"
    db = Path(os.environ["DLCARDS_DB"])

    def kept() -> dict[str, str]:
        with Store.open(db) as store:
            return dict(store.query("SELECT card_id, guid FROM anki_notes"))

    assert kept() == {}
    said = ", ".join(sorted(one_card.values()))
    # exported now, they would be copies beside their notes: the export says so
    for kind in ("anki", "text"):
        out = ok(
            "export", kind, "-o", str(anki_deck["dir"] / f"early.{kind}"), "--decks", str(out_dir)
        )
        assert (
            f"warning: 3 cards converted from Anki notes before dlcards kept their GUIDs ({said})"
            in out
        ), out
    out = ok("import", "anki", str(package), "--decks", str(out_dir), "--dry-run")
    assert f"would keep the Anki notes of 3 cards converted before dlcards kept them ({said})" in (
        out
    ), out
    assert kept() == {}
    out = ok("import", "anki", str(package), "--decks", str(out_dir))
    assert f"  kept the Anki notes of 3 cards converted before dlcards kept them ({said})" in out
    assert kept() == {cid: guids[key] for key, cid in one_card.items()}
    assert "kept the Anki notes" not in ok("import", "anki", str(package), "--decks", str(out_dir))
    assert "anki_guid" not in "".join(f.read_text() for f in out_dir.glob("*.yaml"))

    back = anki_deck["dir"] / "back.apkg"
    topics = ("--topic", "ml-basics", "--topic", "ml-cloze", "--topic", "ml-extra")
    out = ok("export", "anki", "-o", str(back), "--decks", str(out_dir), *topics)
    assert "warning" not in out, out
    col = Collection(str(anki_deck["folder"] / "collection.anki2"))
    before = col.note_count()
    log = col.import_anki_package(
        ImportAnkiPackageRequest(
            package_path=str(back), options=ImportAnkiPackageOptions(with_scheduling=True)
        )
    ).log
    # reversed, cloze and optional (two cards each) are six new notes, as the README says of
    # a note of several cards; the three notes of one card are Anki's own, no copy
    assert col.note_count() == before + 6
    for key in one_card:
        assert len(col.db.list("SELECT id FROM notes WHERE guid = ?", guids[key])) == 1, key
    assert (len(log.new), len(log.conflicting)) == (6, 3)
    col.close()
