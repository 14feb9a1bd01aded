"""The round trip with a real Anki (the `anki` package: Anki's own Rust backend), as the README's
"Studying on more than one device" walks it: dlcards exports with progress, Anki imports the
package, the learner answers cards with Anki's scheduler on several days, Anki exports with
scheduling (both package formats, both collection formats), and dlcards imports them back.

Days pass for the phone (`Phone`): each answer is given with Anki's v3 scheduler at its day's
time (`answered_at_millis`, which becomes the revlog id), and between days every card's due date
moves one day closer, so Anki's scheduler sees the days go by. The expected log is written out
by hand below, and the expected states are computed from it with `dlcards.sm2` and
`dlcards.fsrs_sched` directly, not through the importer or the store.
"""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
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
from dlcards.fsrs_sched import replay as fsrs_replay
from dlcards.sm2 import Grade, State, review
from dlcards.store import Store
from tests import helpers as h

runner = CliRunner()
DAY_MS = 86_400_000


@pytest.fixture(autouse=True, scope="module")
def kolkata() -> Iterator[None]:
    """The learner lives at UTC+05:30: a review's day is the local one, not UTC's. For the
    module, not each test: Anki's first call after each change of zone waits for its clock
    to read it (`h.time_zone`)."""
    with h.time_zone("Asia/Kolkata"):
        yield


def cli(*args: str, input: str | None = None) -> str:
    result = runner.invoke(app, list(args), input=input)
    assert result.exit_code == 0, result.output
    return result.output


def fail(*args: str) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code != 0, result.output
    assert "Traceback" not in result.output
    return result.output


# --- Anki's side --------------------------------------------------------------------------------


def anki_notes(col: Collection) -> dict[str, Any]:
    return {col.get_note(nid)["CardId"]: col.get_note(nid) for nid in col.find_notes("")}


class Phone:
    """Anki on the phone: answers with Anki's own scheduler (v3 `answer_card`) on a day that is
    `ago` days before today, at this moment's time of day (the answer's time is its revlog id),
    and lets days pass for the cards."""

    def __init__(self, col: Collection, days: int) -> None:
        self.col = col
        self.ago = days
        self.now_ms = int(time.time() * 1000)
        self.tick = 0

    def answer(self, card_id: int, ease: int) -> None:
        """Press an answer button: 1 Again, 2 Hard, 3 Good, 4 Easy."""
        sched = self.col.sched
        card = self.col.get_card(card_id)
        card.start_timer()
        states = self.col._backend.get_scheduling_states(card.id)
        rating = {1: CardAnswer.AGAIN, 2: CardAnswer.HARD, 3: CardAnswer.GOOD, 4: CardAnswer.EASY}
        answer = sched.build_answer(card=card, states=states, rating=rating[ease])
        self.tick += 1
        answer.answered_at_millis = self.now_ms - self.ago * DAY_MS + self.tick
        sched.answer_card(answer)

    def next_day(self) -> None:
        """A day passes for the cards: every due date moves one day closer."""
        self.col.db.execute("UPDATE cards SET due = due - 1 WHERE queue IN (2, 3)")
        self.col.db.execute("UPDATE cards SET due = due - 86400 WHERE queue = 1")
        self.ago -= 1


def export_anki(col: Collection, path: Path, legacy: bool) -> None:
    """The README's step 4: "Include scheduling information" and "Include media" ticked;
    `legacy` is "Support older Anki versions"."""
    col.export_anki_package(
        out_path=str(path),
        options=ExportAnkiPackageOptions(
            with_scheduling=True, with_deck_configs=True, with_media=True, legacy=legacy
        ),
        limit=None,
    )


def export_colpkg(folder: Path, path: Path, legacy: bool) -> None:
    col = Collection(str(folder / "collection.anki2"))
    col.export_collection_package(str(path), include_media=True, legacy=legacy)  # closes it


# --- the round trip -----------------------------------------------------------------------------

A, B, C, D = "gd-23", "perceptron-1", "vgp-1", "mlp-1"

# (card, days before today, grade, kind, side): every review of the four cards, in time order.
# On a day with answers on both sides, dlcards's came first (just after the day's start).
EXPECTED = [
    (A, 8, 5, "scheduled", "dlcards"),
    (B, 8, 4, "scheduled", "dlcards"),
    (D, 8, 4, "scheduled", "dlcards"),
    (A, 5, 4, "scheduled", "anki"),  # Good
    (B, 5, 1, "scheduled", "anki"),  # Again: a lapse...
    (B, 5, 4, "redrill", "anki"),  # ...and Good at the relearning step, the same day
    (C, 5, 4, "scheduled", "anki"),  # a new card: Good, learning step
    (C, 5, 4, "redrill", "anki"),  # Good again, graduates
    (C, 4, 4, "scheduled", "anki"),
    (A, 3, 4, "scheduled", "dlcards"),  # studied on both sides between two syncs
    (B, 2, 5, "scheduled", "dlcards"),
    (A, 2, 3, "scheduled", "anki"),  # Hard
    (B, 2, 4, "redrill", "anki"),  # dlcards had it first that day
    (C, 1, 5, "scheduled", "anki"),  # Easy
    (A, 0, 1, "scheduled", "anki"),  # Again
    (A, 0, 4, "redrill", "anki"),  # Good at the relearning step
]


def expected_states(today: date) -> dict[str, State]:
    states: dict[str, State] = {}
    for card, ago, grade, kind, _ in EXPECTED:
        if kind == "scheduled":
            states[card], _ = review(
                states.get(card, State()), Grade(grade), today - timedelta(ago)
            )
    return states


def expected_history(card: str, today: date) -> list[tuple[date, int]]:
    return [
        (today - timedelta(ago), grade)
        for c, ago, grade, kind, _ in EXPECTED
        if c == card and kind == "scheduled"
    ]


def day_start(day: date) -> datetime:
    """When the study day `day` starts here: its date at day_starts_at (the default) hour."""
    from dlcards.settings import DAY_STARTS_AT

    return datetime(day.year, day.month, day.day, DAY_STARTS_AT).astimezone()


def readme_command(step: int, path: Path) -> list[str]:
    """The dlcards command of a step of the README's walkthrough, on `path`."""
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Studying on more than one device", 1)[1].split("\n## ", 1)[0]
    text = section.split(f"\n{step}. ", 1)[1].split(f"\n{step + 1}. ", 1)[0]
    command = re.findall(r"`(dlcards [^`]+)`", text)[0]
    words = command.split()[1:]
    files = [w for w in words if w.endswith(".apkg")]
    assert len(files) == 1, command
    return [str(path) if w == files[0] else w for w in words]


def test_the_readme_walkthrough_is_what_these_tests_run(tmp_path: Path) -> None:
    package = tmp_path / "x.apkg"
    assert readme_command(1, package) == ["export", "anki", "-o", str(package), "--with-progress"]
    assert readme_command(5, package) == ["import", "anki", str(package)]
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    for option in (
        "Import any learning progress",  # ImportAnkiPackageOptions(with_scheduling=True)
        "Include scheduling information",  # ExportAnkiPackageOptions(with_scheduling=True)
        "Support older Anki versions",  # legacy=True
        "Anki Collection Package (.colpkg)",  # export_collection_package
        "Again → 1, Hard → 3, Good → 4, Easy → 5",
    ):
        assert option in readme


@pytest.fixture(scope="module")
def round_trips() -> dict[date, dict[str, Any]]:
    """The round trip of each day it is asked for on, made once (about 0.5 s)."""
    return {}


@pytest.fixture
def round_trip(
    tmp_path: Path,
    tmp_path_factory: pytest.TempPathFactory,
    round_trips: dict[date, dict[str, Any]],
) -> dict[str, Any]:
    """A copy of the day's round trip (made by the first test that asks for it, in its isolated
    environment and time zone): each test changes its own copy."""
    import shutil

    from dlcards.days import local_study_day

    today = local_study_day()
    if today not in round_trips:
        round_trips[today] = make_round_trip(tmp_path_factory.mktemp("round-trip"))
    made = round_trips[today]
    shutil.copytree(made["dir"], tmp_path, dirs_exist_ok=True)
    return {**made, "db": tmp_path / made["db"].name, "dir": tmp_path, "folder": tmp_path / "anki"}


def make_round_trip(tmp_path: Path) -> dict[str, Any]:
    """dlcards -> Anki (studied on 6 days) -> four exports; the dlcards database between."""
    from dlcards.days import local_study_day

    now = datetime.now().astimezone()
    today = local_study_day()  # Anki's day too: its "next day starts at" is the same 4
    if now - day_start(today) < timedelta(minutes=1):
        pytest.skip("dlcards's same-day reviews are placed just after the day's start")
    db = tmp_path / "progress.db"

    def grade_dlcards(store: Store, card: str, ago: int, grade: int) -> None:
        day = today - timedelta(ago)
        h.grade(store, card, grade, day, day_start(day) + timedelta(seconds=30))

    with Store.open(db) as store:
        store.sync(load_catalog().cards, "test", now)
        for card, ago, grade, _, side in EXPECTED:
            if side == "dlcards" and ago == 8:
                grade_dlcards(store, card, ago, grade)
    package = tmp_path / "deep-learning.apkg"
    cli(*readme_command(1, package), "--db", str(db))  # the README's step 1

    folder = tmp_path / "anki"
    folder.mkdir()
    col = Collection(str(folder / "collection.anki2"))
    col.import_anki_package(  # step 2: "Import any learning progress" ticked
        ImportAnkiPackageRequest(
            package_path=str(package), options=ImportAnkiPackageOptions(with_scheduling=True)
        )
    )
    notes = anki_notes(col)
    cid = {card: notes[card].cards()[0].id for card in (A, B, C, D)}
    # six days with the phone: days 5, 4, 3, 2, 1 and 0 before today
    phone = Phone(col, days=5)
    phone.answer(cid[A], 3)
    phone.answer(cid[B], 1)
    phone.answer(cid[B], 3)
    phone.answer(cid[C], 3)
    phone.answer(cid[C], 3)
    phone.next_day()
    phone.answer(cid[C], 3)
    phone.next_day()
    phone.next_day()
    phone.answer(cid[A], 2)
    phone.answer(cid[B], 3)
    export_anki(col, tmp_path / "older.apkg", legacy=True)
    phone.next_day()
    phone.answer(cid[C], 4)
    phone.next_day()
    phone.answer(cid[A], 1)
    phone.answer(cid[A], 3)
    assert phone.ago == 0
    revlog = col.db.all("SELECT id, cid, ease, type FROM revlog ORDER BY id")
    export_anki(col, tmp_path / "legacy.apkg", legacy=True)
    export_anki(col, tmp_path / "current.apkg", legacy=False)
    col.close()
    export_colpkg(folder, tmp_path / "legacy.colpkg", legacy=True)
    export_colpkg(folder, tmp_path / "current.colpkg", legacy=False)

    # meanwhile, in the terminal
    with Store.open(db) as store:
        for card, ago, grade, _, side in EXPECTED:
            if side == "dlcards" and ago < 8:
                grade_dlcards(store, card, ago, grade)
    return {"db": db, "today": today, "revlog": revlog, "dir": tmp_path, "folder": folder}


def log_of(db: Path) -> list[tuple[Any, ...]]:
    with Store.open(db) as store:
        return store.query(
            "SELECT card_id, day, grade, kind, anki_id IS NOT NULL FROM reviews ORDER BY at, id"
        )


def expected_log(today: date, cards: tuple[str, ...] = (A, B, C, D)) -> list[tuple[Any, ...]]:
    return [
        (card, (today - timedelta(ago)).isoformat(), grade, kind, int(side == "anki"))
        for card, ago, grade, kind, side in EXPECTED
        if card in cards
    ]


@pytest.mark.parametrize(
    "first", ["current.apkg", "legacy.apkg", "current.colpkg", "legacy.colpkg"]
)
def test_reviews_come_back_in_time_order(round_trip: dict[str, Any], first: str) -> None:
    db, today, folder = round_trip["db"], round_trip["today"], round_trip["dir"]
    out = cli(*readme_command(5, folder / first), "--db", str(db))  # step 5
    assert f"imported 11 reviews of 3 cards from {folder / first}:" in out
    assert "  gd: 4 reviews" in out and "  perceptron: 3 reviews" in out
    assert "  vgp: 4 reviews" in out
    assert log_of(db) == expected_log(today)
    # the Anki side's answers, as Anki logged them: button and kind
    assert [(e, t) for _, _, e, t in round_trip["revlog"]] == [
        (3, 1), (1, 1), (3, 2), (3, 0), (3, 0), (3, 1), (2, 1), (3, 1), (4, 1), (1, 1), (3, 2)
    ]  # fmt: skip

    with Store.open(db) as store:
        for card, state in expected_states(today).items():
            assert h.state(store, card) == state, card
        h.set_scheduler(store, "fsrs")
        for card in (A, B, C, D):
            assert h.fsrs_state(store, card) == fsrs_replay(expected_history(card, today), 0.9)

    # every other export of the same collection, and the older one, adds nothing
    for name in ("current.apkg", "legacy.apkg", "current.colpkg", "legacy.colpkg", "older.apkg"):
        again = cli("import", "anki", str(folder / name), "--db", str(db))
        assert "imported 0 reviews of 0 cards" in again and "nothing new" in again
    assert log_of(db) == expected_log(today)


def test_older_export_first_then_the_newer_one(round_trip: dict[str, Any]) -> None:
    db, today, folder = round_trip["db"], round_trip["today"], round_trip["dir"]
    out = cli("import", "anki", str(folder / "older.apkg"), "--db", str(db))
    # the older export was written before the last two days' answers (C Easy, A Again/Good)
    assert "imported 8 reviews of 3 cards" in out
    out = cli("import", "anki", str(folder / "current.apkg"), "--db", str(db))
    assert "imported 3 reviews of 2 cards" in out
    assert log_of(db) == expected_log(today)
    with Store.open(db) as store:
        assert h.state(store, A) == expected_states(today)[A]


def test_dry_run_counts_per_topic_and_writes_nothing(round_trip: dict[str, Any]) -> None:
    db, folder = round_trip["db"], round_trip["dir"]
    before = hashlib.sha256(db.read_bytes()).hexdigest()
    out = cli("import", "anki", str(folder / "current.apkg"), "--db", str(db), "--dry-run")
    assert "would import 11 reviews of 3 cards" in out
    assert "  gd: 4 reviews" in out and "  perceptron: 3 reviews" in out
    assert hashlib.sha256(db.read_bytes()).hexdigest() == before
    assert len(log_of(db)) == 5


@pytest.mark.parametrize("to_yaml", [False, True])
def test_a_dry_run_into_a_damaged_database_is_refused(
    round_trip: dict[str, Any], to_yaml: bool
) -> None:
    """The phone's file imported, then a byte of the index of the log's Anki ids flipped: the
    dry run of the same file answered from the damaged database ("nothing new" here; with
    more pages of that index damaged, "would import 11,191 reviews" of a phone's 22,500 all in
    the log) while the import refused it. The dry run checks the whole file too now (in a
    thread while the file is read; no backup, nothing written) and is refused in the
    import's one line."""
    import damage

    db, folder = round_trip["db"], round_trip["dir"]
    cli("import", "anki", str(folder / "current.apkg"), "--db", str(db))
    damage.flip_in_index(db, "reviews_anki_id")
    before = hashlib.sha256(db.read_bytes()).hexdigest()
    backups = sorted(db.parent.rglob("*.gz"))
    extra = ["--to-yaml", str(folder / "out")] if to_yaml else []
    args = ["import", "anki", str(folder / "current.apkg"), "--db", str(db), "--dry-run", *extra]
    out = fail(*args)
    assert out.count("\n") == 1 and f"database {db} is damaged (" in out, out
    assert hashlib.sha256(db.read_bytes()).hexdigest() == before
    assert sorted(db.parent.rglob("*.gz")) == backups
    assert not (folder / "out").exists()


def test_a_database_that_cannot_be_written_is_refused_at_once_and_read_by_a_dry_run(
    round_trip: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A database on a read-only file system (here: as `unwritable` says it is). The import
    read and converted the whole Anki file before it was refused (a deck changed since the
    last sync made it two lines: "note: database ... cannot be written, so the decks' changes
    ... are not in it", then the error). It is refused at once now, in one line, before the
    file is read. The dry run checked the whole file on a connection of its own, which on a real
    read-only mount cannot open it (no -shm can be made there) and called the database
    "damaged (unable to open database file)"; it starts no check on such a database, and
    answers."""
    import threading

    from dlcards.importers import anki_file
    from dlcards.store import connection

    db, folder = round_trip["db"], round_trip["dir"]
    before = log_of(db)
    why = f"database {db} is on a read-only file system; it can be read but nothing can be saved"
    monkeypatch.setattr(connection, "unwritable", lambda path: why)
    read = anki_file.read
    seen: list[set[str]] = []

    def reading(*args: Any, **kwargs: Any) -> Any:
        seen.append({t.name for t in threading.enumerate()})
        return read(*args, **kwargs)

    monkeypatch.setattr(anki_file, "read", reading)
    out = fail("import", "anki", str(folder / "current.apkg"), "--db", str(db))
    assert out == f"error: {why} (nothing was imported)\n" and seen == []
    out = cli("import", "anki", str(folder / "current.apkg"), "--db", str(db), "--dry-run")
    assert "would import 11 reviews of 3 cards" in out
    assert len(seen) == 1 and "dlcards-check" not in seen[0]
    monkeypatch.undo()
    assert log_of(db) == before


def test_reviews_of_unknown_notes_are_one_line(round_trip: dict[str, Any]) -> None:
    folder, db = round_trip["folder"], round_trip["db"]
    col = Collection(str(folder / "collection.anki2"))
    note = col.new_note(col.models.by_name("Basic"))
    note["Front"], note["Back"] = "Mine", "Not from dlcards"
    col.add_note(note, col.decks.id("Elsewhere"))
    phone = Phone(col, days=0)
    phone.answer(note.cards()[0].id, 3)
    phone.answer(note.cards()[0].id, 3)
    export_anki(col, folder.parent / "mixed.apkg", legacy=False)
    col.close()
    out = cli("import", "anki", str(folder.parent / "mixed.apkg"), "--db", str(db))
    assert "imported 11 reviews of 3 cards" in out
    assert "not imported: 2 reviews of 1 note dlcards does not know" in out


def test_reviews_of_a_card_anki_added_to_a_dlcards_note_are_named_as_such(
    round_trip: dict[str, Any],
) -> None:
    """A torture run: gd-1's note changed in Anki to "Basic (and reversed card)", and its new
    reverse card answered: the import said "not imported: 2 reviews of 1 note dlcards does not
    know (add --to-yaml DIR to bring those notes in)", and --to-yaml then brought nothing. The
    note is dlcards's (its first card's reviews are imported); its added card is named, once:
    every later file of the collection holds those answers, and nothing done here takes them
    (the line came back at every import); a later answer of it names it again."""
    folder, db = round_trip["folder"], round_trip["db"]
    col = Collection(str(folder / "collection.anki2"))
    note = anki_notes(col)["gd-1"]
    reversed_type = col.models.by_name("Basic (and reversed card)")
    assert reversed_type is not None
    change = col.models.change_notetype_info(
        old_notetype_id=note.mid, new_notetype_id=reversed_type["id"]
    ).input
    change.note_ids.extend([note.id])
    col.models.change_notetype_of_notes(change)
    cards = col.get_note(note.id).cards()
    assert sorted(c.ord for c in cards) == [0, 1]
    phone = Phone(col, days=0)
    reverse = next(c.id for c in cards if c.ord == 1)
    phone.answer(reverse, 3)
    phone.answer(reverse, 3)
    export_anki(col, folder.parent / "retyped.apkg", legacy=False)
    col.close()
    for dry in (["--dry-run"], []):
        out = cli("import", "anki", str(folder.parent / "retyped.apkg"), "--db", str(db), *dry)
        assert "dlcards does not know" not in out, out
        assert (
            "not imported: 2 reviews of cards Anki added to 1 dlcards note (gd-1; a reverse "
            "card, say): a dlcards card is its note's first card, whose reviews are imported; "
            "said once"
        ) in out, out
        assert "of 3 cards" in out, out  # gd-1's own reviews among them
    for dry in (["--dry-run"], []):
        again = cli("import", "anki", str(folder.parent / "retyped.apkg"), "--db", str(db), *dry)
        assert "not imported" not in again, again
    col = Collection(str(folder / "collection.anki2"))
    Phone(col, days=0).answer(reverse, 3)
    export_anki(col, folder.parent / "retyped2.apkg", legacy=False)
    col.close()
    more = cli("import", "anki", str(folder.parent / "retyped2.apkg"), "--db", str(db))
    assert "not imported: 3 reviews of cards Anki added to 1 dlcards note (gd-1;" in more, more


def test_killed_half_way_changes_nothing(
    round_trip: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The import is one transaction: an error after some rows are written (here: while the
    third card's log is replayed) leaves the database as it was."""
    db, folder = round_trip["db"], round_trip["dir"]
    before = log_of(db)
    with Store.open(db) as store:
        states = {card: store.memory(card) for card in (A, B, C, D)}
    calls = []
    original = Store._merge_card

    def dying(self: Store, *args: Any) -> None:
        calls.append(1)
        if len(calls) == 3:
            raise RuntimeError("killed")
        original(self, *args)

    monkeypatch.setattr(Store, "_merge_card", dying)
    result = runner.invoke(app, ["import", "anki", str(folder / "current.apkg"), "--db", str(db)])
    assert isinstance(result.exception, RuntimeError) and len(calls) == 3
    monkeypatch.undo()
    assert log_of(db) == before
    with Store.open(db) as store:
        assert {card: store.memory(card) for card in (A, B, C, D)} == states


def test_a_subprocess_killed_mid_import_leaves_the_database(round_trip: dict[str, Any]) -> None:
    """A real kill: the importing process dies (SIGKILL) inside its write transaction."""
    db, folder = round_trip["db"], round_trip["dir"]
    before = log_of(db)
    script = (
        "import os, signal, sys\n"
        "from dlcards.store import Store\n"
        "original = Store._merge_card\n"
        "def dying(self, *args):\n"
        "    os.kill(os.getpid(), signal.SIGKILL)\n"
        "Store._merge_card = dying\n"
        "from dlcards.cli import main\n"
        f"sys.argv = ['dlcards', 'import', 'anki', {str(folder / 'current.apkg')!r}, "
        f"'--db', {str(db)!r}]\n"
        "main()\n"
    )
    proc = _run_script(script)
    assert proc.returncode == -9, proc.stderr
    assert log_of(db) == before


def _run_script(script: str) -> subprocess.CompletedProcess[bytes]:
    """`script` in a fresh Python that imports this checkout's dlcards (a process to kill)."""
    return subprocess.run(
        [sys.executable, "-c", script],
        env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)},
        capture_output=True,
        timeout=120,
    )


@pytest.mark.parametrize(
    ("module", "owner", "name", "merged"),
    [("dlcards.store", "Store", "check_in_background", False),
     ("dlcards.commands.importing", None, "_report", True)],
)  # fmt: skip
def test_a_kill_before_the_file_is_read_or_after_the_merge_leaves_no_wal(
    round_trip: dict[str, Any], module: str, owner: str | None, name: str, merged: bool
) -> None:
    """`kill` (SIGTERM) of `import anki` once it had opened the database to check it while the
    file is read (before the read), or once its merge had committed (as it reports): the
    import died at once (-15), its connection never closed, the -wal and -shm left beside the
    database (a copy of the database file alone then lacks what the -wal holds). It ends as
    Ctrl-C does now, from the opening to the closing: exit 143, the database closed."""
    db, today, folder = round_trip["db"], round_trip["today"], round_trip["dir"]
    before = log_of(db)
    where = f"importlib.import_module({module!r})" + (f".{owner}" if owner else "")
    script = (
        "import importlib, os, signal, sys\n"
        f"where = {where}\n"
        f"original = getattr(where, {name!r})\n"
        "def then_killed(*args, **kwargs):\n"
        "    done = original(*args, **kwargs)\n"
        "    os.kill(os.getpid(), signal.SIGTERM)\n"
        "    return done\n"
        f"setattr(where, {name!r}, then_killed)\n"
        "from dlcards.cli import main\n"
        f"sys.argv = ['dlcards', 'import', 'anki', {str(folder / 'current.apkg')!r}, "
        f"'--db', {str(db)!r}]\n"
        "main()\n"
    )
    proc = _run_script(script)
    assert proc.returncode == 143, proc.stderr  # 128 + SIGTERM, as a shell reports it
    assert b"Traceback" not in proc.stderr
    assert list(db.parent.glob(f"{db.name}-*")) == []  # no -wal, no -shm
    assert log_of(db) == (expected_log(today) if merged else before)


# --- a live collection --------------------------------------------------------------------------

HOLD = """
import sys
from anki.collection import Collection
col = Collection(sys.argv[1])
note = col.new_note(col.models.by_name("Basic"))
note["Front"], note["Back"] = "q", "a"
col.add_note(note, 1)
print("open", flush=True)
sys.stdin.readline()
col.close()
"""


def test_a_collection_open_in_anki_is_refused_and_untouched(tmp_path: Path) -> None:
    path = tmp_path / "profile" / "collection.anki2"
    path.parent.mkdir()
    anki = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert anki.stdout is not None and anki.stdout.readline().strip() == "open"
        files = sorted(path.parent.iterdir())
        before = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in files if p.is_file()}
        out = fail("import", "anki", str(path), "--to-yaml", str(tmp_path / "out"))
        assert out.count("\n") == 1 and "is open in Anki (the collection is locked)" in out
        after = {
            p.name: hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(path.parent.iterdir())
            if p.is_file()
        }
        assert after == before
        assert not (tmp_path / "out").exists()
    finally:
        assert anki.stdin is not None
        anki.stdin.write("\n")
        anki.stdin.close()
        anki.wait(timeout=60)
    # closed, the same file is read (a copy of it)
    out = cli("import", "anki", str(path), "--to-yaml", str(tmp_path / "out"))
    assert "wrote 1 deck with 1 card" in out


def test_a_closed_collection_is_read_without_writing_beside_it(
    round_trip: dict[str, Any],
) -> None:
    """Anki's collection is in WAL mode (its header says so): the lock test opened it with
    SQLite, read-only, and SQLite made `collection.anki2-wal` and `-shm` in the user's Anki
    folder. The folder is as it was: the same files, the same bytes."""
    db, folder = round_trip["db"], round_trip["folder"]
    path = folder / "collection.anki2"
    assert path.read_bytes()[18:20] == bytes([2, 2])  # WAL mode, as Anki leaves it

    def listing() -> dict[str, str]:
        return {
            p.name: hashlib.sha256(p.read_bytes()).hexdigest() if p.is_file() else "dir"
            for p in folder.iterdir()
        }

    before = listing()
    assert not any(name.endswith(("-wal", "-shm")) for name in before)
    out = cli("import", "anki", str(path), "--db", str(db), "--dry-run")
    assert "would import" in out, out
    assert listing() == before
    out = cli("import", "anki", str(path), "--db", str(db))
    assert "imported" in out, out
    assert listing() == before


def test_a_reset_in_anki_is_reported_only_when_its_point_moves(
    round_trip: dict[str, Any],
) -> None:
    """A card forgotten in Anki ("Forget"): the import says it starts over. Importing the same
    file again, or a dry run after it, moves no reset point, but said it again every time (the
    line counted every reset in the file, not the cards whose point moved). A card never
    studied on either side, forgotten too (Anki logs a Forget of a new card, which stays
    new), starts nothing over: it was counted, "2 cards, each starting over"."""
    db, folder = round_trip["db"], round_trip["folder"]
    col = Collection(str(folder / "collection.anki2"))
    never = "gd-1"
    assert never not in {card for card, *_ in EXPECTED}
    try:
        card, new = (anki_notes(col)[cid].cards()[0] for cid in (A, never))
        assert new.type == 0  # new in Anki
        col.sched.schedule_cards_as_new(
            [card.id, new.id], restore_position=True, reset_counts=False
        )
        export_anki(col, folder.parent / "forgot.apkg", legacy=False)
    finally:
        col.close()
    package = str(folder.parent / "forgot.apkg")
    line = "reset in Anki: 1 card, each starting over from its last reset there"
    assert line in cli("import", "anki", package, "--db", str(db), "--dry-run")
    assert line in cli("import", "anki", package, "--db", str(db))
    with Store.open(db) as store:
        (point,) = store.query("SELECT reset_at FROM cards WHERE id = ?", (A,))
        assert store.query("SELECT reset_at FROM cards WHERE id = ?", (never,)) == [(None,)]
    assert point[0] is not None
    for again in (("--dry-run",), ()):
        out = cli("import", "anki", package, "--db", str(db), *again)
        assert "reset in Anki" not in out, out
    with Store.open(db) as store:
        assert store.query("SELECT reset_at FROM cards WHERE id = ?", (A,)) == [point]


def decks_without_b(tmp_path: Path) -> Path:
    """A copy of the built-in decks with card B taken out of its deck."""
    mine = tmp_path / "mine"
    cli("decks", "copy", str(mine))
    deck = mine / "01-perceptron.yaml"
    text = deck.read_text(encoding="utf-8")
    start = text.index(f"- id: {B}\n")
    deck.write_text(text[:start] + text[text.index("- id: perceptron-2\n") :], encoding="utf-8")
    return mine


def test_reviews_of_a_card_in_no_deck_now_join_its_log(
    round_trip: dict[str, Any], tmp_path: Path
) -> None:
    """A card taken out of its deck while the phone kept studying it: its Anki reviews were
    "not imported: ... a note dlcards does not know", and `--to-yaml` (as that line advised)
    made a mangled copy of it. `show` says such a card's log is kept: the reviews join it."""
    db, today, folder = round_trip["db"], round_trip["today"], round_trip["dir"]
    mine = decks_without_b(tmp_path)
    out = cli("import", "anki", str(folder / "current.apkg"), "--db", str(db), "--decks", str(mine))
    assert "imported 11 reviews of 3 cards" in out and "does not know" not in out
    assert f"in no deck now ({B}): kept in their log" in " ".join(out.split())
    assert log_of(db) == expected_log(today)  # B's reviews among them, in time order
    converted = cli(
        "import", "anki", str(folder / "current.apkg"), "--db", str(db), "--decks", str(mine),
        "--to-yaml", str(tmp_path / "out"), "--dry-run",
    )  # fmt: skip
    assert "would write no deck: no note of" in converted, converted


def test_cards_from_decks_not_loaded_here_are_named_not_unknown(
    round_trip: dict[str, Any], tmp_path: Path
) -> None:
    """The phone's file imported into a database whose decks have not got B (a fresh one,
    with `--decks` of decks without it): B's reviews were "not imported: 3 reviews of 1 note
    dlcards does not know (add --to-yaml DIR to bring those notes in)", and `--to-yaml` made
    a copy of B under another id, to be studied beside B once its deck is loaded. A file with
    only such notes (a deck of one's own, exported by another dlcards) was "no notes that
    dlcards exported". Each now says they are cards dlcards exported from decks not loaded
    here, and which."""
    folder = round_trip["dir"]
    mine = decks_without_b(tmp_path)
    db = str(tmp_path / "fresh.db")
    package = str(folder / "current.apkg")
    line = (
        f"not imported: 3 reviews of 1 card dlcards exported from decks not loaded here ({B}); "
        "pass their folder with --decks DIR to bring them in"
    )
    for dry in (["--dry-run"], []):
        out = cli("import", "anki", package, "--db", db, "--decks", str(mine), *dry)
        assert "8 reviews of 2 cards" in out and line in out and "does not know" not in out, out
    converted = cli(
        "import", "anki", package, "--db", db, "--decks", str(mine), "--to-yaml",
        str(tmp_path / "out"), "--dry-run",
    )  # fmt: skip
    assert "would write no deck: no note of" in converted, converted
    assert f"skipped 1 note of cards dlcards exported from decks not loaded here ({B})" in (
        " ".join(converted.split())
    ), converted

    own = tmp_path / "own"
    own.mkdir()
    (own / "own.yaml").write_text(
        "topic: own\ntitle: Own\ncards:\n"
        "  - id: own-1\n    question: One?\n    answer: One.\n"
        "  - id: own-2\n    question: Two?\n    answer: Two.\n",
        encoding="utf-8",
    )
    elsewhere = tmp_path / "elsewhere.db"
    cli("export", "anki", "-o", str(tmp_path / "own.apkg"), "--decks", str(own), "--topic",
        "own", "--db", str(elsewhere))  # fmt: skip
    col = into_anki(tmp_path / "own.apkg", tmp_path / "own-anki")
    try:
        Phone(col, 0).answer(anki_notes(col)["own-1"].cards()[0].id, 3)
        export_anki(col, tmp_path / "own-back.apkg", legacy=False)
    finally:
        col.close()
    for dry in (["--dry-run"], []):
        out = fail("import", "anki", str(tmp_path / "own-back.apkg"), "--db", db, *dry)
        assert out.count("\n") == 1, out
        assert (
            "its notes are cards dlcards exported from decks not loaded here (own-1, own-2); "
            "pass their folder with --decks DIR"
        ) in out, out
    out = cli("import", "anki", str(tmp_path / "own-back.apkg"), "--db", db, "--decks", str(own))
    assert "imported 1 review of 1 card" in out and "  own: 1 review" in out, out


@pytest.mark.waits
@pytest.mark.skipif(not Path("/proc/self/fd").exists(), reason="Linux's /proc")
def test_an_import_killed_while_it_waits_to_merge_ends_as_ctrl_c(
    round_trip: dict[str, Any],
) -> None:
    """`kill` (SIGTERM) of `import anki` after the package was unpacked (converting, syncing,
    merging: seconds for a big log) ended it at once, -15, as SIGKILL would: the -wal left,
    no word. It ends as Ctrl-C now (exit 143, as a shell reports SIGTERM), its transaction
    rolled back. The test holds the database's write lock, so the import waits at its merge
    until the signal has come."""
    import signal
    import sqlite3

    db, folder = round_trip["db"], round_trip["dir"]
    before = log_of(db)
    holder = sqlite3.connect(db, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # the import's write waits for it
    try:
        proc = subprocess.Popen(
            [sys.executable, "-m", "dlcards", "import", "anki", str(folder / "current.apkg"),
             "--db", str(db)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )  # fmt: skip
        deadline = time.monotonic() + 30
        while not h.has_open(proc.pid, db):  # the database opened: the merge comes
            assert proc.poll() is None and time.monotonic() < deadline, proc.communicate()
            time.sleep(0.01)
        time.sleep(0.5)  # at the merge's write, waiting for the lock
        proc.send_signal(signal.SIGTERM)
        time.sleep(0.2)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 143, err  # 128 + SIGTERM, as a shell reports it
    assert b"Traceback" not in err
    assert log_of(db) == before  # nothing merged


def nine_lapses(col: Collection, card_id: str) -> int:
    """On the phone over 30 days: the new card learnt (Good at both learning steps), then 9
    lapses, each relearnt (Good at the relearning step): Anki makes it a leech at the 8th.
    Returns its Anki card id."""
    card = anki_notes(col)[card_id].cards()[0].id
    phone = Phone(col, days=30)
    phone.answer(card, 3)
    phone.answer(card, 3)
    for _ in range(9):
        phone.next_day()
        phone.answer(card, 1)  # a lapse
        phone.answer(card, 3)  # a review card again
    return card


def test_lapses_on_the_phone_make_a_leech_as_anki_made_one(round_trip: dict[str, Any]) -> None:
    """A card failed on nine days in Anki (Again, then Good at the relearning step): Anki marks
    it a leech at its eighth lapse (its default action: the tag only), and after the import
    dlcards does too, with the lapses Anki counted, and carries out its own `leech_action`
    (suspend, by default). Before, the import's replay never decided a leech."""
    import json

    db, folder = round_trip["db"], round_trip["folder"]
    leech = "gd-1"
    col = Collection(str(folder / "collection.anki2"))
    try:
        card = nine_lapses(col, leech)
        in_anki = col.get_card(card)
        assert in_anki.lapses == 9
        assert "leech" in col.get_note(in_anki.nid).tags
        export_anki(col, folder.parent / "leech.apkg", legacy=False)
    finally:
        col.close()
    assert json.loads(cli("list", "--leeches", "--json", "--db", str(db))) == []
    cli("import", "anki", str(folder.parent / "leech.apkg"), "--db", str(db))
    listed = json.loads(cli("list", "--leeches", "--json", "--db", str(db)))
    assert [(c["id"], c["lapses"], c["suspended"]) for c in listed] == [(leech, 9, True)]


def flags(db: Path) -> list[tuple[str, int | None]]:
    """The suspended cards, each with the time its flag last changed."""
    with Store.open(db) as store:
        return store.query(
            "SELECT id, suspended_changed FROM cards WHERE suspended = 1 ORDER BY id"
        )


def backdate_dlcards(db: Path, card: str, seconds: int) -> None:
    """Move the time dlcards last changed `card`'s flag `seconds` into the past."""
    import sqlite3

    conn = sqlite3.connect(db)
    with conn:
        conn.execute(
            "UPDATE cards SET suspended_changed = suspended_changed - ? WHERE id = ?",
            (seconds, card),
        )
    conn.close()


def synced(db: Path) -> None:
    """A database at `db` holding the built-in decks' cards, nothing studied, synced as a
    command syncs them: each card dated by its deck file's time, under its topic's title (a
    sync of every card as one deck, untitled and dated now, made the first command's sync
    date every note again, a second after, as a change of what it shows)."""
    db.parent.mkdir(parents=True, exist_ok=True)
    cli("due", "--db", str(db))


def d_suspended_here(db: Path) -> None:
    """A synced database at `db` with D suspended (now)."""
    synced(db)
    cli("suspend", D, "--db", str(db))


def on_the_phone(tmp_path: Path) -> tuple[Path, Collection]:
    """A synced database, `export anki --with-progress` (the README's step 1) and a new Anki
    collection that imported the package: the database and the open collection."""
    db = tmp_path / "progress.db"
    synced(db)
    package = tmp_path / "deep-learning.apkg"
    cli(*readme_command(1, package), "--db", str(db))
    return db, into_anki(package, tmp_path / "anki")


def into_anki(package: Path, folder: Path) -> Collection:
    """A new Anki collection in `folder` that imported `package`, scheduling included."""
    folder.mkdir(exist_ok=True)
    col = Collection(str(folder / "collection.anki2"))
    col.import_anki_package(
        ImportAnkiPackageRequest(
            package_path=str(package), options=ImportAnkiPackageOptions(with_scheduling=True)
        )
    )
    return col


def test_a_note_deleted_in_anki_is_counted_from_a_colpkg_and_absent_from_an_apkg(
    tmp_path: Path,
) -> None:
    """The README's word on a note deleted in Anki, held to what Anki writes: its answers are
    lost; an .apkg export leaves out the log of the cards it does not hold (nothing to count,
    and the import says nothing of them), and a .colpkg keeps their log without the note, which
    the import counts as answers it could not place. (The README said the import counts them,
    which an .apkg, the walkthrough's package, never lets it do.)"""
    db, col = on_the_phone(tmp_path)
    try:
        notes = anki_notes(col)
        phone = Phone(col, days=0)
        phone.answer(notes[A].cards()[0].id, 3)
        phone.answer(notes[B].cards()[0].id, 3)
        col.remove_notes([notes[A].id])
        export_anki(col, tmp_path / "phone.apkg", legacy=False)
    finally:
        col.close()
    export_colpkg(tmp_path / "anki", tmp_path / "phone.colpkg", legacy=False)
    out = cli("import", "anki", str(tmp_path / "phone.apkg"), "--db", str(db))
    assert "imported 1 review of 1 card" in out and "deleted in Anki" not in out, out
    out = cli("import", "anki", str(tmp_path / "phone.colpkg"), "--db", str(db))
    assert "not imported: 1 review of cards deleted in Anki" in out, out
    assert [row[0] for row in log_of(db)] == [B]
    # said once: every later .colpkg of the collection keeps that log, and said it again
    again = cli("import", "anki", str(tmp_path / "phone.colpkg"), "--db", str(db))
    assert "deleted in Anki" not in again, again
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    words = " ".join(readme.split("## Studying on more than one device", 1)[1].split()[:200])
    assert "an `.apkg` export leaves their log out" in words, words
    assert "a `.colpkg` keeps it without the notes" in words, words


def test_a_note_deleted_in_anki_comes_back_as_itself_and_no_card_takes_its_log(
    tmp_path: Path,
) -> None:
    """Anki keeps the answers of a deleted note's card in its log, under the card's id, and
    its importer gives a new note's card the package's card id when the collection has no
    card of that id. The ids were counted from the package's time in the export's order, so
    the full package after an `export --topic gd` gave perceptron-1 the id gd-1 had had: with
    gd-1's note deleted in Anki, Anki showed gd-1's answer as perceptron-1's, and `import
    anki` of a .colpkg brought it in as perceptron-1's review. Each card's ids are now its
    own: gd-1 comes back with its id and its log, as a note of Anki's own package does."""
    gd_1 = "gd-1"
    db = tmp_path / "progress.db"
    synced(db)
    cli("export", "anki", "-o", str(tmp_path / "gd.apkg"), "--topic", "gd", "--db", str(db))
    col = into_anki(tmp_path / "gd.apkg", tmp_path / "anki")
    try:
        first = anki_notes(col)
        gd1 = first[gd_1].cards()[0].id
        Phone(col, days=0).answer(gd1, 3)
        (answer,) = col.db.list("SELECT id FROM revlog WHERE cid = ?", gd1)
        # Anki's own package of the note, as the reference for what Anki does
        col.export_anki_package(
            out_path=str(tmp_path / "anki-own.apkg"),
            options=ExportAnkiPackageOptions(
                with_scheduling=True, with_deck_configs=False, with_media=False, legacy=False
            ),
            limit=first[gd_1].id,
        )
        col.remove_notes([first[gd_1].id])
        assert col.db.list("SELECT cid FROM revlog") == [gd1]  # kept, under its card id
        cli(*readme_command(1, tmp_path / "all.apkg"), "--db", str(db))
        col.import_anki_package(
            ImportAnkiPackageRequest(
                package_path=str(tmp_path / "all.apkg"),
                options=ImportAnkiPackageOptions(with_scheduling=True),
            )
        )
        cards = {card_id: note.cards()[0].id for card_id, note in anki_notes(col).items()}
        assert len(cards) == 220 and len(set(cards.values())) == 220
        # the answer is gd-1's again, and no other card's
        assert [c for c, i in cards.items() if i == gd1] == [gd_1]
        assert col.db.list("SELECT cid FROM revlog") == [gd1]
        # as Anki's own package brings the note back: with the card id it had
        col.remove_notes([anki_notes(col)[gd_1].id])
        col.import_anki_package(
            ImportAnkiPackageRequest(
                package_path=str(tmp_path / "anki-own.apkg"),
                options=ImportAnkiPackageOptions(with_scheduling=True),
            )
        )
        assert anki_notes(col)[gd_1].cards()[0].id == gd1
    finally:
        col.close()
    export_colpkg(tmp_path / "anki", tmp_path / "phone.colpkg", legacy=False)
    out = cli("import", "anki", str(tmp_path / "phone.colpkg"), "--db", str(db))
    assert "imported 1 review of 1 card" in out, out
    with Store.open(db) as store:
        assert store.query("SELECT card_id, anki_id FROM reviews") == [(gd_1, answer)]


def suspended_on_the_phone(tmp_path: Path) -> tuple[Path, Path, dict[str, int]]:
    """D suspended in dlcards an hour ago, then `export anki --with-progress`; Anki imports
    the package (D suspended there too), and a minute ago the learner suspended A and
    unsuspended D in Anki, then exported with scheduling. Returns the database, Anki's
    export, and each card's Anki `mod` as Anki left it."""
    db = tmp_path / "progress.db"
    d_suspended_here(db)
    backdate_dlcards(db, D, 3600)
    package = tmp_path / "deep-learning.apkg"
    cli(*readme_command(1, package), "--db", str(db))
    col = into_anki(package, tmp_path / "anki")
    try:
        notes = anki_notes(col)
        cid = {card: notes[card].cards()[0].id for card in (A, B, D)}
        assert col.get_card(cid[D]).queue == -1  # the export carried dlcards's suspension
        col.sched.suspend_cards([cid[A]])
        col.sched.unsuspend_cards([cid[D]])
        # the phone's changes were made a minute ago (after dlcards's, before what follows)
        col.db.execute(f"UPDATE cards SET mod = mod - 60 WHERE id IN ({cid[A]}, {cid[D]})")
        mods = {card: col.get_card(i).mod for card, i in cid.items()}
        assert [col.get_card(cid[c]).queue for c in (A, B, D)] == [-1, 0, 0]
        export_anki(col, tmp_path / "suspended.apkg", legacy=False)
    finally:
        col.close()
    return db, tmp_path / "suspended.apkg", mods


def test_suspensions_made_in_anki_later_come_back(tmp_path: Path) -> None:
    """A helper's round-trip run: a card suspended on the phone was active again here after
    the import, and one unsuspended there stayed suspended here. The newer change wins: the
    phone's changes are newer than dlcards's (D suspended an hour ago), so A is suspended and
    D unsuspended, each with the time Anki's card changed; a dry run says so and writes
    nothing, and importing the file again changes nothing."""
    db, package, mods = suspended_on_the_phone(tmp_path)
    before = flags(db)
    assert [card for card, _ in before] == [D]
    out = cli("import", "anki", str(package), "--db", str(db), "--dry-run")
    assert (
        "as in Anki, where they changed later: "
        f"would suspend 1 card ({A}), would unsuspend 1 card ({D})" in out
    ), out
    assert "suspended in Anki, not here" not in out and "here, not in Anki" not in out, out
    assert flags(db) == before  # nothing written
    out = cli("import", "anki", str(package), "--db", str(db))
    assert (
        "as in Anki, where they changed later: "
        f"suspended 1 card ({A}), unsuspended 1 card ({D})" in out
    ), out
    assert flags(db) == [(A, mods[A])]
    with Store.open(db) as store:
        assert store.query("SELECT suspended_changed FROM cards WHERE id = ?", (D,)) == [(mods[D],)]
    again = cli("import", "anki", str(package), "--db", str(db))
    assert "as in Anki" not in again and "suspended in" not in again, again
    assert flags(db) == [(A, mods[A])]
    assert "No problems found." in cli("doctor", "--db", str(db))


def test_a_card_answered_in_anki_leaves_its_suspensions_here_undoable(tmp_path: Path) -> None:
    """Found while adding imports to bench/undo_model.py: D suspended and unsuspended here,
    exported, answered on the phone (its flag there as here): the import dates D's flag with the
    Anki card's later time, and `undo` then refused the unsuspension ("the suspension of
    mlp-1 was changed since by no learner action"), then the suspension, both dropped for
    good. Both are taken back, and the file imported again between them changes nothing."""
    db = tmp_path / "progress.db"
    synced(db)
    cli("suspend", D, "--db", str(db))
    cli("unsuspend", D, "--db", str(db))
    package = tmp_path / "deep-learning.apkg"
    cli(*readme_command(1, package), "--db", str(db))
    col = into_anki(package, tmp_path / "anki")
    try:
        card = anki_notes(col)[D].cards()[0].id
        Phone(col, 0).answer(card, 3)
        # answered a few seconds after the unsuspension here (Anki's time is in seconds)
        col.db.execute(f"UPDATE cards SET mod = mod + 3 WHERE id = {card}")
        export_anki(col, tmp_path / "answered.apkg", legacy=False)
    finally:
        col.close()
    answered = str(tmp_path / "answered.apkg")
    assert "imported 1 review of 1 card" in cli("import", "anki", answered, "--db", str(db))
    out = cli("undo", "--db", str(db))
    assert out.startswith(f"took back the unsuspension of {D}"), out
    again = cli("import", "anki", answered, "--db", str(db))
    assert "as in Anki" not in again and "suspended in" not in again, again
    assert [card for card, _ in flags(db)] == [D]
    out = cli("undo", "--db", str(db))
    assert out.startswith(f"took back the suspension of {D}"), out
    assert flags(db) == []


@pytest.mark.skipif(sys.platform == "win32", reason="SIGTERM")
@pytest.mark.parametrize("ctrl_c", ["Python's", "ignored"])
def test_a_kill_during_the_merges_commit_finishes_the_import_and_says_so(
    tmp_path: Path, ctrl_c: str
) -> None:
    """Torture run: a `kill` (SIGTERM) that came while the merge committed (SQLite's commit
    runs in C; Python's handler runs right after it) ended the import there: exit 143 and
    not a word, the reviews imported but the suspensions changed in Anki not taken (nor the
    converted notes' GUIDs kept). A stop from the merge's commit on now waits for the
    import's last write: the import is whole, one line says it was stopped once saved, and
    the exit code is a kill's, also where Ctrl-C is ignored (a background job). (The signal
    is sent right after the merge's COMMIT.)"""
    db, package, mods = suspended_on_the_phone(tmp_path)
    script = (
        "import os, signal, sys\n"
        + ("signal.signal(signal.SIGINT, signal.SIG_IGN)\n" if ctrl_c == "ignored" else "")
        + "from dlcards.store import Store\n"
        "merging = []\n"
        "merge, keep_log = Store.merge_reviews, Store._keep_log\n"
        "def merge_reviews(self, *args, **kwargs):\n"
        "    merging.append(True)\n"
        "    return merge(self, *args, **kwargs)\n"
        "def committed(self):\n"
        "    if merging:  # the merge's own commit (the day's check was made by `suspend`)\n"
        "        merging.clear()\n"
        "        os.kill(os.getpid(), signal.SIGTERM)\n"
        "    return keep_log(self)\n"
        "Store.merge_reviews, Store._keep_log = merge_reviews, committed\n"
        "from dlcards.cli import main\n"
        f"sys.argv = ['dlcards', 'import', 'anki', {str(package)!r}, '--db', {str(db)!r}]\n"
        "main()\n"
    )
    proc = _run_script(script)
    err = proc.stderr.decode()
    assert proc.returncode == 143, err  # 128 + SIGTERM, as a shell reports it
    assert err.startswith(f"stopped: the import from {package} was finished first"), err
    assert err.count("\n") == 1 and "Traceback" not in err, err
    assert flags(db) == [(A, mods[A])]  # Anki's later suspensions taken, as a whole import
    again = cli("import", "anki", str(package), "--db", str(db))
    assert "as in Anki" not in again, again


def test_a_change_made_here_after_the_phone_wins(tmp_path: Path) -> None:
    """After Anki's export, the learner changes the same cards here: A suspended and
    unsuspended again (active), D unsuspended and suspended again. dlcards's changes are the
    newer ones: the import keeps them, and names the cards that differ from Anki, with the
    command that would match Anki."""
    db, package, _ = suspended_on_the_phone(tmp_path)
    cli("suspend", A, "--db", str(db))
    cli("unsuspend", A, D, "--db", str(db))
    cli("suspend", D, "--db", str(db))
    before = flags(db)
    assert [card for card, _ in before] == [D]
    for dry in (["--dry-run"], []):
        out = cli("import", "anki", str(package), "--db", str(db), *dry)
        assert "as in Anki" not in out, out
        assert (
            f"suspended in Anki, not here: 1 card ({A}), changed later here or in a newer "
            "import, and kept; "
            "`dlcards suspend ID...` to match Anki"
        ) in out, out
        assert (
            f"suspended here, not in Anki: 1 card ({D}), changed later here or in a newer "
            "import, and kept; "
            "`dlcards unsuspend ID...` to match Anki"
        ) in out, out
        assert flags(db) == before


def test_a_package_without_progress_takes_no_suspension_away(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """D is suspended here, then the decks go to the phone by `export anki` without
    `--with-progress`: a fresh deck, where D is active. The package is dated after the
    suspension (its time is the newest deck file's: an edit after the suspension, here
    SOURCE_DATE_EPOCH). Its cards claim no state of their own (Anki keeps a package card's
    `mod`, and theirs is 0), so the import that brings the phone's reviews back keeps D
    suspended and names it; before, the package's time was newer than the suspension and the
    import unsuspended D. A card the learner then suspends on the phone (A) does come back."""
    db = tmp_path / "fresh.db"
    d_suspended_here(db)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", str(int(time.time()) + 3600))
    package = tmp_path / "fresh.apkg"
    cli("export", "anki", "-o", str(package), "--db", str(db))
    monkeypatch.delenv("SOURCE_DATE_EPOCH")
    col = into_anki(package, tmp_path / "anki")
    try:
        notes = anki_notes(col)
        cid = {card: notes[card].cards()[0].id for card in (A, B, D)}
        assert [col.get_card(cid[c]).queue for c in (A, B, D)] == [0, 0, 0]
        assert col.get_card(cid[D]).mod == 0  # Anki keeps the package's time of change
        Phone(col, 0).answer(cid[B], 3)
        col.sched.suspend_cards([cid[A]])
        export_anki(col, tmp_path / "phone.apkg", legacy=False)
    finally:
        col.close()
    out = cli("import", "anki", str(tmp_path / "phone.apkg"), "--db", str(db))
    assert f"as in Anki, where they changed later: suspended 1 card ({A})\n" in out, out
    assert f"suspended here, not in Anki: 1 card ({D}), changed later here or in a" in out, out
    assert [card for card, _ in flags(db)] == [A, D]
    with Store.open(db) as store:
        assert store.query("SELECT count(*) FROM reviews WHERE card_id = ?", (B,)) == [(1,)]


def test_a_file_anki_exported_without_scheduling_changes_no_suspension(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Anki's export without "Include scheduling information" makes every card new and
    active, keeps each card's `mod`, and leaves the review log out. D, suspended here and in
    Anki (by `export anki --with-progress`, whose time is after the suspension), came back
    unsuspended from such a file before: its Anki card looked active as of a time newer than
    dlcards's change. The file says nothing of suspensions now: none is taken or named, and
    the import says why."""
    db = tmp_path / "both.db"
    d_suspended_here(db)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", str(int(time.time()) + 60))
    package = tmp_path / "progress.apkg"
    cli("export", "anki", "--with-progress", "-o", str(package), "--db", str(db))
    monkeypatch.delenv("SOURCE_DATE_EPOCH")
    col = into_anki(package, tmp_path / "anki")
    try:
        notes = anki_notes(col)
        assert col.get_card(notes[D].cards()[0].id).queue == -1
        col.sched.suspend_cards([notes[A].cards()[0].id])
        col.export_anki_package(
            out_path=str(tmp_path / "plain.apkg"),
            options=ExportAnkiPackageOptions(
                with_scheduling=False, with_deck_configs=False, with_media=True, legacy=False
            ),
            limit=None,
        )
    finally:
        col.close()
    before = flags(db)
    for dry in (["--dry-run"], []):
        out = cli("import", "anki", str(tmp_path / "plain.apkg"), "--db", str(db), *dry)
        assert "as in Anki" not in out and "suspended here" not in out, out
        assert "no reviews or suspensions are taken from it" in out, out
        assert flags(db) == before
    assert [card for card, _ in before] == [D]


def test_a_leech_the_import_suspends_is_named_as_one(round_trip: dict[str, Any]) -> None:
    """A card lapsed 9 times on the phone and the learner suspended and unsuspended it there
    (to keep studying it; Anki's leech action only tags). The import's replay makes it a
    leech and suspends it (dlcards's `leech_action`), a change made by the import, newer than
    Anki's: it printed only "suspended here, not in Anki: 1 card (gd-1), changed here later
    and kept", as if the learner had suspended it here, and never said a leech was
    suspended. Now the import says so, and the card is not named as changed here later;
    importing the same file again makes no leech and names it as suspended here only."""
    db, folder = round_trip["db"], round_trip["folder"]
    leech = "gd-1"
    col = Collection(str(folder / "collection.anki2"))
    try:
        card = nine_lapses(col, leech)
        col.sched.suspend_cards([card])
        col.sched.unsuspend_cards([card])
        assert col.get_card(card).queue == 2
        export_anki(col, folder.parent / "leech.apkg", legacy=False)
    finally:
        col.close()
    # the dry run names it too (a torture run: it said nothing of the leech, whose suspension
    # only the import itself decided)
    dry = cli("import", "anki", str(folder.parent / "leech.apkg"), "--db", str(db), "--dry-run")
    assert (
        f"would suspend 1 card the imported reviews would make a leech ({leech}), as "
        "leech_action says"
    ) in dry, dry
    assert flags(db) == []
    out = cli("import", "anki", str(folder.parent / "leech.apkg"), "--db", str(db))
    assert (
        f"suspended 1 card the imported reviews made a leech ({leech}), as leech_action "
        "says; `dlcards unsuspend ID...` to study it again"
    ) in out, out
    assert "changed later" not in out, out
    assert [card for card, _ in flags(db)] == [leech]
    again = cli("import", "anki", str(folder.parent / "leech.apkg"), "--db", str(db))
    assert "made a leech" not in again, again
    assert f"suspended here, not in Anki: 1 card ({leech}), changed later" in again, again


def test_a_suspension_undone_in_study_leaves_the_phones_suspension_to_come_back(
    tmp_path: Path,
) -> None:
    """B is suspended on the phone; here, in `dlcards study`, the learner suspends B with `!`
    and takes it back with `u`: nothing changed here. The undo wrote an unsuspension dated
    now, newer than the phone's suspension, so the import kept B active and said "suspended
    in Anki, not here: ... changed here later and kept". Now the undo puts back the flag and
    its time as they were, and the phone's suspension comes back."""
    db, col = on_the_phone(tmp_path)
    try:
        card = anki_notes(col)[B].cards()[0].id
        col.sched.suspend_cards([card])
        col.db.execute(f"UPDATE cards SET mod = mod - 60 WHERE id = {card}")
        mod = col.get_card(card).mod
        export_anki(col, tmp_path / "phone.apkg", legacy=False)
    finally:
        col.close()
    with Store.open(db) as store:
        before = store.suspensions([B])
    out = cli("study", "--topic", "perceptron", "--new", "2", "--db", str(db), input="!\nu\nq\n")
    assert "Suspended" in out or "suspended" in out, out
    with Store.open(db) as store:
        assert store.suspensions([B]) == before  # as it was: the `!` is taken back
    out = cli("import", "anki", str(tmp_path / "phone.apkg"), "--db", str(db))
    assert f"as in Anki, where they changed later: suspended 1 card ({B})" in out, out
    assert flags(db) == [(B, mod)]


def test_an_older_file_imported_after_a_newer_one_brings_no_undone_suspension_back(
    tmp_path: Path,
) -> None:
    """On the phone A is suspended (exported: older.apkg), then unsuspended (exported:
    newer.apkg). Imported in the wrong order, newer first: its flag for A agrees with
    dlcards's (active), so nothing was written, nor its time; the older file then found A
    suspended there, never changed here, and suspended it, bringing back a suspension the
    learner had undone on the phone. Now an agreeing flag newer than dlcards's takes Anki's
    time, and the older file's suspension is older than it."""
    db, col = on_the_phone(tmp_path)
    try:
        notes = anki_notes(col)
        card = notes[A].cards()[0].id
        Phone(col, 0).answer(notes[B].cards()[0].id, 3)  # the files show scheduling
        col.sched.suspend_cards([card])
        col.db.execute(f"UPDATE cards SET mod = mod - 120 WHERE id = {card}")
        export_anki(col, tmp_path / "older.apkg", legacy=False)
        col.sched.unsuspend_cards([card])
        col.db.execute(f"UPDATE cards SET mod = mod - 60 WHERE id = {card}")
        export_anki(col, tmp_path / "newer.apkg", legacy=False)
    finally:
        col.close()
    newer = cli("import", "anki", str(tmp_path / "newer.apkg"), "--db", str(db))
    assert "as in Anki" not in newer and "suspended in" not in newer, newer
    older = cli("import", "anki", str(tmp_path / "older.apkg"), "--db", str(db))
    assert "as in Anki" not in older, older
    assert flags(db) == []
    assert (
        f"suspended in Anki, not here: 1 card ({A}), changed later here or in a newer import, "
        "and kept; `dlcards suspend ID...` to match Anki"
    ) in older, older


def test_an_answer_from_a_clock_ahead_in_another_deck_does_not_stop_the_import(
    round_trip: dict[str, Any],
) -> None:
    """The same collection holds another deck (Spanish, say) whose one answer was given with
    the phone's clock a year ahead. Only dlcards's cards' answers are imported, so that answer
    is none of dlcards's: the whole file was refused for it. Now dlcards's reviews come in;
    with --to-yaml, which would bring that deck and its answer in too, it is still refused."""
    db, today, folder = round_trip["db"], round_trip["today"], round_trip["folder"]
    col = Collection(str(folder / "collection.anki2"))
    try:
        basic = col.models.by_name("Basic")
        assert basic is not None
        note = col.new_note(basic)
        note["Front"], note["Back"] = "hola", "hello"
        col.add_note(note, col.decks.id("Spanish"))
        Phone(col, days=-365).answer(note.cards()[0].id, 3)
    finally:
        col.close()
    ahead = folder.parent / "spanish-ahead.colpkg"
    export_colpkg(folder, ahead, legacy=False)
    out = fail(
        "import", "anki", str(ahead), "--db", str(db), "--to-yaml", str(folder.parent / "decks")
    )
    assert out.count("\n") == 1 and "has 1 answer dated after today's study day" in out, out
    assert not (folder.parent / "decks").exists()
    out = cli("import", "anki", str(ahead), "--db", str(db))
    assert "imported" in out and "dated after today" not in out, out
    assert log_of(db) == expected_log(today)


def test_an_answer_from_a_clock_ahead_is_refused_until_anki_checks_it(
    round_trip: dict[str, Any],
) -> None:
    """The phone's clock a year ahead when the learner answers A: Anki logs the answer a year
    from now, and a .colpkg (or the collection itself) carries it (Anki's .apkg export refuses
    it). Imported, it made A's last review a day to come, and every grade given here until
    then a re-drill: A stopped moving for a year. The file is refused with one line that says
    how to fix it, and nothing is written; after Anki's Tools > Check Database, which makes
    that answer's time the present, the same answer comes in as one of today's."""
    db, today, folder = round_trip["db"], round_trip["today"], round_trip["folder"]
    before = log_of(db)
    col = Collection(str(folder / "collection.anki2"))
    try:
        Phone(col, days=-365).answer(anki_notes(col)[A].cards()[0].id, 3)
    finally:
        col.close()
    ahead = folder.parent / "ahead.colpkg"
    export_colpkg(folder, ahead, legacy=False)
    for how in (["--dry-run"], [], ["--to-yaml", str(folder.parent / "decks")]):
        for path in (ahead, folder / "collection.anki2"):
            out = fail("import", "anki", str(path), "--db", str(db), *how)
            assert out.count("\n") == 1 and "has 1 answer dated after today's study day" in out, out
            assert "Tools > Check Database" in out, out
    assert log_of(db) == before
    assert not (folder.parent / "decks").exists()
    col = Collection(str(folder / "collection.anki2"))
    col.fix_integrity()  # Tools > Check Database
    col.close()
    export_colpkg(folder, folder.parent / "checked.colpkg", legacy=False)
    out = cli("import", "anki", str(folder.parent / "checked.colpkg"), "--db", str(db))
    assert "imported 12 reviews of 3 cards" in out, out
    # A was answered today already (Again, then Good): a re-drill
    assert log_of(db) == [*expected_log(today), (A, today.isoformat(), 4, "redrill", 1)]


def test_an_answer_from_a_clock_gone_back_to_the_1970s_is_left_out_and_said(
    round_trip: dict[str, Any],
) -> None:
    """The phone's clock gone back (a device without its battery starts in 1970) when the
    learner answers A: imported, that answer was replayed first in A's log, before the reviews
    that really came before it (a failure became a new card's first sight, and the card ended
    as if passed last), and `export reviews` and the heatmap held a 1970 day. It is left out
    now, and the import says so, once (every later file of the collection holds it: the line
    came back at every import); the file's other answers come in."""
    db, today, folder = round_trip["db"], round_trip["today"], round_trip["folder"]
    col = Collection(str(folder / "collection.anki2"))
    try:
        Phone(col, days=(today - date(1972, 1, 5)).days).answer(anki_notes(col)[A].cards()[0].id, 1)
    finally:
        col.close()
    behind = folder.parent / "behind.colpkg"
    export_colpkg(folder, behind, legacy=False)
    out = cli("import", "anki", str(behind), "--db", str(db))
    assert "imported 11 reviews of 3 cards" in out, out
    assert "not imported: 1 answer dated before 2000" in out, out
    assert "said once" in out, out
    assert log_of(db) == expected_log(today)
    again = cli("import", "anki", str(behind), "--db", str(db))
    assert "dated before 2000" not in again and "imported 0 reviews" in again, again
    assert log_of(db) == expected_log(today)


def test_a_suspension_from_a_clock_ahead_never_beats_a_change_here(tmp_path: Path) -> None:
    """The phone's clock a year ahead when the learner suspends A there: Anki times the card's
    change a year from now (`cards.mod`; Tools > Check Database leaves it). The import took
    the suspension, as newer than anything here, and took it again at every import of the
    file until that day: an unsuspension made here was undone each time. Such a card's flag is
    not taken now, and the import names it when the two sides differ (D's time, past any
    calendar as in a damaged file, too: naming it raised OSError)."""
    db, col = on_the_phone(tmp_path)
    try:
        notes = anki_notes(col)
        cards = [notes[A].cards()[0].id, notes[D].cards()[0].id]
        Phone(col, 0).answer(notes[B].cards()[0].id, 3)  # the file shows scheduling
        col.sched.suspend_cards(cards)
        col.db.execute(f"UPDATE cards SET mod = mod + 365 * 86400 WHERE id = {cards[0]}")
        col.db.execute(f"UPDATE cards SET mod = 9223372036854775807 WHERE id = {cards[1]}")
        export_anki(col, tmp_path / "ahead.apkg", legacy=False)
    finally:
        col.close()
    package = str(tmp_path / "ahead.apkg")
    for dry in (["--dry-run"], []):
        out = cli("import", "anki", package, "--db", str(db), *dry)
        assert (
            f"suspended in Anki, not here: 2 cards ({A}, {D}), not taken: Anki changed them at "
            "a time to come ("
        ) in out and "as in Anki" not in out, out
        assert "`dlcards suspend ID...` to match Anki" in out, out
    assert flags(db) == []
    cli("suspend", A, D, "--db", str(db))  # to match Anki: nothing more to say
    out = cli("import", "anki", package, "--db", str(db))
    assert "suspended in Anki" not in out and [c for c, _ in flags(db)] == [A, D], out
    cli("unsuspend", D, "--db", str(db))  # and a change of mind here: it stays
    out = cli("import", "anki", package, "--db", str(db))
    assert (
        f"suspended in Anki, not here: 1 card ({D}), not taken: Anki changed it at a time to "
        "come (after the year 9999, the device's clock ahead)"
    ) in out, out
    assert [c for c, _ in flags(db)] == [A]


def test_a_full_temporary_folder_is_one_line_that_names_it(
    round_trip: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The temporary folder has room for a few files but not for the collection: unpacking it
    failed with "error: cannot write standard output: No space left on device" (the error
    funnel's guess for an OSError without a file name), and copying a bare collection with
    "collection.anki2: No space left on device", as if the Anki file were at fault. The line
    names the temporary folder and what to do; nothing is written, nothing is left there."""
    import tempfile

    db, folder = round_trip["db"], round_trip["dir"]
    before = log_of(db)
    with h.small_disk(tmp_path / "small", "200k") as small:
        monkeypatch.setattr(tempfile, "tempdir", str(small))
        for path in (folder / "current.apkg", round_trip["folder"] / "collection.anki2"):
            out = fail("import", "anki", str(path), "--db", str(db))
            assert out.count("\n") == 1 and "standard output" not in out, out
            assert f"cannot unpack {path} into the temporary folder {small}: No space left" in (
                out
            ), out
            assert "set TMPDIR to a folder with room (nothing was imported)" in out, out
        assert list(small.iterdir()) == []
    assert log_of(db) == before


def test_a_card_buried_in_anki_and_suspended_here_is_named_and_kept(tmp_path: Path) -> None:
    """A torture run: D, suspended here, was unsuspended and then buried on the phone (for its
    day); the import left it suspended, as the README says of a buried card, but named it
    only while it was not buried: the README says the import names such a card when the two
    sides differ. A buried card not suspended here differs in nothing and is not named."""
    db, col = on_the_phone(tmp_path)
    try:
        notes = anki_notes(col)
        d, a = (notes[c].cards()[0].id for c in (D, A))
        col.sched.bury_cards([a])
        export_anki(col, tmp_path / "a-buried.apkg", legacy=False)
    finally:
        col.close()
    d_suspended_here(db)
    col = Collection(str(tmp_path / "anki" / "collection.anki2"))
    try:
        col.sched.bury_cards([d])
        assert col.get_card(d).queue in (-2, -3)
        export_anki(col, tmp_path / "d-buried.apkg", legacy=False)
    finally:
        col.close()
    for dry in (["--dry-run"], []):
        out = cli("import", "anki", str(tmp_path / "d-buried.apkg"), "--db", str(db), *dry)
        assert (
            f"suspended here, buried in Anki: 1 card ({D}), left as it is here (burying lasts a "
            "day in Anki and says nothing of a suspension); `dlcards unsuspend ID...` to study "
            "it here"
        ) in out, out
        assert [card for card, _ in flags(db)] == [D]
    out = cli("import", "anki", str(tmp_path / "a-buried.apkg"), "--db", str(db))
    assert "buried in Anki" not in out, out


def test_a_leech_after_a_forget_in_anki_is_named_by_the_dry_run(
    round_trip: dict[str, Any],
) -> None:
    """A card forgotten in Anki ("Forget"), then failed on nine days there: the import moves
    the card's reset point to the Forget, replays the lapses after it, makes a leech and
    suspends the card. The dry run left out every card whose reset point the import moves,
    so it said nothing of that suspension; it now decides them from the moved point too, and
    says what the import then does. The card is studied here before the Forget: a Forget of a
    card never studied starts nothing over (`test_a_reset_in_anki_is_reported_...`)."""
    db, folder = round_trip["db"], round_trip["folder"]
    leech = "gd-1"
    from dlcards.days import local_study_day

    long_ago = local_study_day() - timedelta(40)
    with Store.open(db) as store:
        h.grade(store, leech, 4, long_ago, day_start(long_ago) + timedelta(seconds=30))
    col = Collection(str(folder / "collection.anki2"))
    try:
        card = anki_notes(col)[leech].cards()[0].id
        col.sched.schedule_cards_as_new([card], restore_position=True, reset_counts=True)
        # the Forget a day before the phone's first answer (nine_lapses starts 30 days ago)
        forgot = int(time.time() * 1000) - 31 * DAY_MS
        col.db.execute(
            "UPDATE revlog SET id = ? WHERE id = (SELECT max(id) FROM revlog WHERE cid = ?)",
            forgot,
            card,
        )
        nine_lapses(col, leech)
        export_anki(col, folder.parent / "forgot-leech.apkg", legacy=False)
    finally:
        col.close()
    package = str(folder.parent / "forgot-leech.apkg")
    said = "{} 1 card the imported reviews {} a leech (gd-1), as leech_action says"
    dry = cli("import", "anki", package, "--db", str(db), "--dry-run")
    assert "reset in Anki: 1 card" in dry, dry
    assert said.format("would suspend", "would make") in " ".join(dry.split()), dry
    assert flags(db) == []
    out = cli("import", "anki", package, "--db", str(db))
    assert said.format("suspended", "made") in " ".join(out.split()), out
    assert [card for card, _ in flags(db)] == [leech]


# --- Anki's old V1 scheduler --------------------------------------------------------------------

# (card, days before today, ease, revlog type) as Anki's V1 scheduler logged answers: a card in
# learning (type 0) or relearning (type 2) had 3 buttons, ease 1 Again, 2 Good, 3 Easy; a card
# in review (type 1) the 4 of today
V1_LOG = [
    (C, 6, 2, 0),  # a new card: Good, to the next step
    (C, 6, 2, 0),  # Good: graduates
    (C, 5, 3, 1),  # review: Good
    (C, 3, 1, 1),  # review: Again, a lapse
    (C, 3, 2, 2),  # relearning: Good
    (C, 2, 4, 1),  # review: Easy
    (A, 4, 3, 0),  # a new card: Easy, V1's third learning button
    (B, 4, 1, 0),  # a new card: Again
    (B, 4, 2, 0),  # Good
]


def v1_collection(
    tmp_path: Path, sched_ver: int | None, schema_11: bool = True
) -> tuple[Path, Path]:
    """A collection as an Anki of the V1 scheduler leaves it (V1_LOG in its revlog; `sched_ver`
    its `schedVer`, None for none: V1 to Anki; its settings in `col.conf` at schema 11, as
    Anki before 2.1.50 wrote them, else in the `config` table of schema 18, as Anki 2.1.50
    to 2.1.66 kept a V1 collection) and the database that exported its cards:
    (collection.anki2, database)."""
    import json as json_
    import sqlite3

    db, col = on_the_phone(tmp_path)
    notes = anki_notes(col)
    cid = {card: notes[card].cards()[0].id for card in (A, B, C)}
    now = int(time.time() * 1000)
    for n, (card, ago, ease, kind) in enumerate(V1_LOG):
        col.db.execute(
            "INSERT INTO revlog VALUES (?, ?, -1, ?, 1, 0, 2500, 5000, ?)",
            now - ago * DAY_MS + n,
            cid[card],
            ease,
            kind,
        )
    col.close(downgrade=schema_11)
    path = tmp_path / "anki" / "collection.anki2"
    with sqlite3.connect(path) as conn:
        if schema_11:
            conf = json_.loads(conn.execute("SELECT conf FROM col").fetchone()[0])
            conf.pop("schedVer", None)
            if sched_ver is not None:
                conf["schedVer"] = sched_ver
            conn.execute("UPDATE col SET conf = ?", (json_.dumps(conf),))
        else:
            conn.execute("DELETE FROM config WHERE KEY = 'schedVer'")
            if sched_ver is not None:
                value = json_.dumps(sched_ver).encode()
                conn.execute("INSERT INTO config VALUES ('schedVer', 0, 0, ?)", (value,))
    conn.close()
    return path, db


def anki_upgraded(path: Path, tmp_path: Path) -> dict[int, int]:
    """Anki's own reading of a V1 collection's log: a copy upgraded to the V2 scheduler by
    Anki (`upgrade_to_v2_scheduler`), its revlog id -> ease."""
    import shutil

    copy = tmp_path / "upgraded" / "collection.anki2"
    copy.parent.mkdir()
    shutil.copyfile(path, copy)
    col = Collection(str(copy))
    assert col.sched_ver() == 1
    col.upgrade_to_v2_scheduler()
    eases = dict(col.db.all("SELECT id, ease FROM revlog"))
    col.close()
    return eases


def imported_grades(db: Path) -> dict[int, int]:
    with Store.open(db) as store:
        rows = store.query("SELECT anki_id, grade FROM reviews WHERE anki_id IS NOT NULL")
    return {int(i): int(g) for i, g in rows}


@pytest.mark.parametrize("schema_11", [True, False], ids=["schema-11", "schema-18"])
@pytest.mark.parametrize("sched_ver", [None, 1])
def test_a_v1_collections_learning_buttons_are_read_as_anki_reads_them(
    tmp_path: Path, sched_ver: int | None, schema_11: bool
) -> None:
    """V1's learning buttons were Again, Good, Easy (ease 1-3): read as V2's, each Good in
    learning was imported as a Hard (3) and each Easy as a Good (4). The grades are those of
    Anki's own upgrade of the collection to V2, Again 1, Hard 3, Good 4, Easy 5."""
    from dlcards.importers.anki_progress import GRADES

    path, db = v1_collection(tmp_path, sched_ver, schema_11)
    expected = {i: int(GRADES[ease]) for i, ease in anki_upgraded(path, tmp_path).items()}
    assert sorted(expected.values()) == [1, 1, 4, 4, 4, 4, 4, 5, 5]  # V1_LOG, by hand
    out = cli("import", "anki", str(path), "--db", str(db))
    assert "does not say which" not in out
    assert imported_grades(db) == expected


def test_an_old_package_that_cannot_tell_its_scheduler_says_so(tmp_path: Path) -> None:
    """An Anki before 2.1.50 packed a V1 collection's cards into a new collection.anki2 (its
    settings V2's from 2.1.20 on) and a V2 one's into collection.anki21: a package with a
    collection.anki2 alone that says V2 and holds Good in learning but never a fourth
    button cannot tell which it was. It is read as Anki reads it, and the import says so;
    the same log in a collection.anki21 is V2's, and one saying V1 is V1's."""
    import zipfile

    path, db = v1_collection(tmp_path, 2)
    for name, unsure in (("collection.anki2", True), ("collection.anki21", False)):
        package = tmp_path / f"old-{name}.apkg"
        with zipfile.ZipFile(package, "w") as z:
            z.write(path, name)
            z.writestr("media", "{}")
        out = cli("import", "anki", str(package), "--db", str(db), "--dry-run")
        assert ("does not say which of Anki's schedulers" in out) == unsure, out
    v1, db = v1_collection(tmp_path / "v1", None)
    package = tmp_path / "old-v1.apkg"
    with zipfile.ZipFile(package, "w") as z:
        z.write(v1, "collection.anki2")
        z.writestr("media", "{}")
    assert "does not say which" not in cli("import", "anki", str(package), "--db", str(db))
    assert sorted(imported_grades(db).values()) == [1, 1, 4, 4, 4, 4, 4, 5, 5]


def test_ankis_leech_and_marked_tags_are_its_marks_not_the_converted_cards_tags(
    tmp_path: Path,
) -> None:
    """A note Anki made a leech (its tag `leech`) and marked in its browser (`marked`),
    converted with --to-yaml: both became tags of the deck card, so the card was a leech for
    `tag:leech` and for every Anki it was exported to, even without its progress and after a
    reset here, and it came back tagged `leech leech`. Anki takes both off a note it exports
    without scheduling; here the leech is what the imported reviews make it, as Anki made it."""
    import json

    import yaml

    folder = tmp_path / "anki"
    folder.mkdir()
    col = Collection(str(folder / "collection.anki2"))
    note = col.new_note(col.models.by_name("Basic"))
    note["Front"], note["Back"] = "Vanishing gradients?", "Products of small derivatives"
    note.tags = ["ML", "marked"]
    col.add_note(note, col.decks.id("Nets"))
    card = note.cards()[0].id
    phone = Phone(col, days=30)
    phone.answer(card, 3)
    phone.answer(card, 3)
    for _ in range(9):  # Anki's leech at the 8th lapse
        phone.next_day()
        phone.answer(card, 1)
        phone.answer(card, 3)
    assert sorted(col.get_note(note.id).tags) == ["ML", "leech", "marked"]
    export_anki(col, tmp_path / "nets.apkg", legacy=False)
    col.close()
    db, decks = tmp_path / "p.db", tmp_path / "decks"
    cli("import", "anki", str(tmp_path / "nets.apkg"), "--to-yaml", str(decks), "--db", str(db))
    (deck,) = yaml.safe_load((decks / "nets.yaml").read_text(encoding="utf-8"))["cards"]
    assert deck["tags"] == ["ml"]
    listed = json.loads(cli("list", "--leeches", "--json", "--db", str(db), "--decks", str(decks)))
    assert [(c["id"], c["lapses"]) for c in listed] == [(deck["id"], 9)]
    package = tmp_path / "back.apkg"
    cli("export", "anki", "-o", str(package), "--db", str(db), "--decks", str(decks), "-t", "nets")
    fresh = into_anki(package, tmp_path / "fresh")
    assert [sorted(fresh.get_note(n).tags) for n in fresh.find_notes("")] == [["ml", "nets"]]
    fresh.close()
    cli("export", "anki", "-o", str(package), "--with-progress", "--force", "--db", str(db),
        "--decks", str(decks), "-t", "nets")  # fmt: skip
    fresh = into_anki(package, tmp_path / "fresh-progress")
    assert [sorted(fresh.get_note(n).tags) for n in fresh.find_notes("")] == [
        ["leech", "ml", "nets"]
    ]
    fresh.close()


_AFTER_THE_BLOCK = {
    # this many lines of Python after the merge's held block (`stops_held_from_commit`) ended:
    # reading the flags, the report, the database closed
    **{f"{n} lines after": f"lines:{n}" for n in (0, 1, 2, 4, 8, 16, 64, 256, 1024)},
    # as the import's `stops_as_ctrl_c` block gives the signals back
    "as the block ends": "restore",
    # the command done, as `dlcards` is about to end
    "as the process ends": "late",
}


@pytest.mark.skipif(sys.platform == "win32", reason="SIGTERM")
@pytest.mark.parametrize("moment", list(_AFTER_THE_BLOCK))
def test_a_kill_once_the_import_is_saved_says_so_in_one_line(tmp_path: Path, moment: str) -> None:
    """Reported by the last round: a `kill` (SIGTERM) that came just after the import's
    held block (its transaction committed) ended it with exit 143 and not a word, its report
    cut short; one that came once its `stops_as_ctrl_c` block had ended killed the process
    (exit status -15, by the signal), though it had printed its report. Either way the
    import was saved. Now, as a `kill` during the commit: one line says it was stopped once
    saved, exit 143 (or, past the command, at its very end: let go, exit 0, the report
    whole). Run as the `dlcards` command runs (`dlcards.quick.script`)."""
    db, package, mods = suspended_on_the_phone(tmp_path)
    how = _AFTER_THE_BLOCK[moment]
    script = (
        "import contextlib, os, signal, sys\n"
        "from dlcards import terminal\n"
        "def kill():\n"
        "    os.kill(os.getpid(), signal.SIGTERM)\n"
        f"how = {how!r}\n"
        "count = [None]\n"
        "def tracer(frame, event, arg):\n"
        "    if isinstance(count[0], int) and event == 'line':\n"
        "        count[0] += 1\n"
        "        if how == f'lines:{count[0]}':\n"
        "            count[0] = None\n"
        "            kill()\n"
        "    return tracer\n"
        "real_held = terminal.stops_held_from_commit\n"
        "@contextlib.contextmanager\n"
        "def held():\n"
        "    with real_held() as stopped:\n"
        "        yield stopped\n"
        "    if how == 'restore':\n"
        "        count[0] = 'held'\n"
        "    if how == 'lines:0':\n"
        "        kill()\n"
        "    elif how.startswith('lines:'):\n"
        "        count[0] = 0\n"
        "        sys.settrace(tracer)\n"
        "        sys._getframe(2).f_trace = tracer\n"
        "terminal.stops_held_from_commit = held\n"
        "real_signal = signal.signal\n"
        "def given_back(number, handler):\n"
        "    before = real_signal(number, handler)\n"
        "    if how == 'restore' and number == signal.SIGTERM and count[0] == 'held':\n"
        "        if getattr(before, '__name__', '') == 'stop':  # the import's block ends\n"
        "            count[0] = None\n"
        "            kill()\n"
        "    return before\n"
        "signal.signal = given_back\n"
        "if how == 'late':\n"
        "    import atexit\n"
        "    atexit.register(kill)  # (run last)\n"
        "from dlcards.quick import script\n"
        f"sys.argv = ['dlcards', 'import', 'anki', {str(package)!r}, '--db', {str(db)!r}]\n"
        "script()\n"
    )
    proc = _run_script(script)
    out, err = proc.stdout.decode(), proc.stderr.decode()
    # never -15; the signal let go only once the command is done
    assert proc.returncode == (0 if how == "late" else 143), (proc.returncode, out, err)
    if proc.returncode == 143:
        assert err.startswith(f"stopped: the import from {package} was finished first"), err
        assert err.count("\n") == 1, err
    else:
        assert err == "" and out.startswith("imported "), (out, err)
    assert flags(db) == [(A, mods[A])]  # the import whole


def _full_disk(db: Path) -> Any:
    """A write to database `db` on a full disk, as the store says it (`translate_error`)."""
    import sqlite3

    from dlcards.store.connection import translate_error

    def full(*args: Any, **kwargs: Any) -> Any:
        raise translate_error(db, sqlite3.OperationalError("database or disk is full"))

    return full


@pytest.mark.parametrize("where", ["merge", "merge --to-yaml", "decks --to-yaml", "read-only"])
def test_a_full_disk_under_an_import_says_nothing_was_imported_and_nothing_more(
    round_trip: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, where: str
) -> None:
    """The disk fills (or the decks' folder is read-only) during `import anki`: the merge's
    transaction rolled back said "the disk is full: ...; free some space and try again
    (nothing was lost)", which said nothing of the import; with `--to-yaml`, the same line
    went on "; the deck files it wrote are taken back: nothing was imported", beside "nothing
    was lost". Now one line says the cause and that nothing was imported (no deck written,
    or the decks taken back), exit non-zero, and the database and the folder are as before."""
    import errno

    from dlcards.importers import anki_notes

    db, package = round_trip["db"], round_trip["dir"] / "current.apkg"
    before = log_of(db)
    out = tmp_path / "converted"
    args = ["import", "anki", str(package), "--db", str(db)]
    if where.endswith("--to-yaml"):
        args += ["--to-yaml", str(out)]
    if where.startswith("merge"):
        monkeypatch.setattr(Store, "merge_reviews", _full_disk(db))
    else:
        code = errno.ENOSPC if where.startswith("decks") else errno.EROFS

        def unwritable(*args: Any, **kwargs: Any) -> None:
            raise OSError(code, os.strerror(code))

        monkeypatch.setattr(anki_notes, "write_decks", unwritable)
        if where == "read-only":
            args += ["--to-yaml", str(out)]
    result = runner.invoke(app, args)
    assert result.exit_code == 2 and "Traceback" not in result.output, result.output
    (line,) = result.output.splitlines()
    assert "nothing was lost" not in line, line
    if where.startswith("merge"):  # (every note of the file is dlcards's: no deck to write)
        assert line == (
            f"error: the disk is full: cannot use database {db}; free some space and try again "
            "(nothing was imported)"
        )
    else:
        why = "No space left on device" if where.startswith("decks") else "Read-only file system"
        assert line == (
            f"error: cannot write the decks to {out}: {why} (no deck written; nothing was imported)"
        )
    assert log_of(db) == before
    assert not out.exists() or [p for p in out.rglob("*") if p.is_file()] == []
