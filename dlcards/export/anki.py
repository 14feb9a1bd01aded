"""Cards -> an Anki package (.apkg), written with genanki.

Identity is what makes a re-import update instead of duplicate:

* one note type, `MODEL_ID`, generated once and never changed (nor its field list: Anki
  copies a note type whose fields differ);
* each note's GUID is `genanki.guid_for(card_id)`, so editing a card's text keeps its note;
* the deck "Deep Learning" and one subdeck per topic, named by the topic's title, with ids
  derived from the topic slug (Anki matches imported decks by name anyway).

Anki updates an existing note only when the package's copy is *newer* (modification time), so
the package timestamp is not a constant: `package_timestamp` takes the newest modification time
of the deck files and of this exporter's code. The same decks give the same timestamp, hence
the same bytes (`write_apkg` fixes every other source of variation), and editing a deck gives a
newer one, so Anki takes the edit.

Progress (`--with-progress`): genanki's cards carry no scheduling, so `write_apkg` sets it on
the written collection before zipping it: type/queue 2 (review), ivl, due (days since the
collection's creation day), factor (EF x 1000), reps, lapses; suspended cards get queue -1.
Anki's importer keeps these when "import scheduling" is on, for cards not yet in the
collection (it never changes the scheduling of cards it already has).
"""

from __future__ import annotations

import hashlib
import itertools
import json
import os
import shutil
import sqlite3
import tempfile
import time
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timezone
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from dlcards.export.html import escape, media_name, to_html

if TYPE_CHECKING:
    from dlcards.deck import Card
    from dlcards.mathcards import Evaluation

# Generated once (random.randrange(1 << 30, 1 << 31)); never change them.
MODEL_ID = 1525040419
ROOT_DECK_ID = 1102058212

MODEL_NAME = "dlcards"
ROOT_DECK = "Deep Learning"
FIELDS = ("Front", "Back", "Topic", "Source", "CardId")

FRONT_TEMPLATE = """\
<div class="topic">{{Topic}}</div>
<div class="front">{{Front}}</div>
"""
BACK_TEMPLATE = """\
{{FrontSide}}
<hr id="answer">
<div class="back">{{Back}}</div>
<div class="meta">{{#Source}}<span class="source">{{Source}}</span> · {{/Source}}\
<span class="card-id">{{CardId}}</span></div>
"""
CSS = """\
.card {
  font-family: -apple-system, BlinkMacSystemFont, "Segoe UI", Roboto, "Helvetica Neue", Arial,
    sans-serif;
  font-size: 20px;
  line-height: 1.5;
  text-align: left;
  color: #1f2328;
  background-color: #ffffff;
}
.topic, .front, .back, .meta, hr#answer { max-width: 42em; margin-left: auto; margin-right: auto; }
.topic { font-size: 0.65em; letter-spacing: 0.04em; text-transform: uppercase; color: #656d76; }
.front { margin-top: 0.4em; }
hr#answer { border: none; border-top: 1px solid #d0d7de; margin-top: 1em; margin-bottom: 1em; }
.meta { margin-top: 1.5em; font-size: 0.65em; color: #656d76; }
code {
  font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, "Liberation Mono", monospace;
  font-size: 0.88em;
  padding: 0.1em 0.3em;
  border-radius: 4px;
  background-color: #eff1f3;
}
.computed { margin-top: 1em; padding: 0.4em 0.8em; border-left: 3px solid #8250df;
  background-color: #f6f1ff; }
.computed .value { font-weight: bold; }
.computed .claim, .computed .error { color: #9a6700; }
.steps { margin: 0.3em 0 0 0; padding-left: 1.4em; font-size: 0.85em; color: #57606a; }
.erratum { margin-top: 1em; padding: 0.4em 0.8em; border-left: 3px solid #bf8700;
  background-color: #fff8c5; }
.note { margin-top: 1em; padding: 0.4em 0.8em; border-left: 3px solid #0969da;
  background-color: #ddf4ff; }
.references, .source-question { margin-top: 0.6em; font-size: 0.8em; color: #57606a; }
.references ul { margin: 0.2em 0 0 0; padding-left: 1.4em; }

.card.nightMode, .nightMode .card, .night_mode .card, .card.night_mode {
  color: #e6edf3;
  background-color: #1e1e1e;
}
.nightMode .topic, .nightMode .meta, .night_mode .topic, .night_mode .meta { color: #9198a1; }
.nightMode hr#answer, .night_mode hr#answer { border-top-color: #3d444d; }
.nightMode code, .night_mode code { background-color: #2d333b; color: #e6edf3; }
.nightMode .computed, .night_mode .computed {
  background-color: #2a2140;
  border-left-color: #a371f7;
}
.nightMode .steps, .night_mode .steps { color: #9198a1; }
.nightMode .computed .claim, .nightMode .computed .error,
.night_mode .computed .claim, .night_mode .computed .error { color: #d29922; }
.nightMode .erratum, .night_mode .erratum { background-color: #3a3000; border-left-color: #d29922; }
.nightMode .note, .night_mode .note { background-color: #0c2d4a; border-left-color: #4493f8; }
.nightMode .references, .nightMode .source-question,
.night_mode .references, .night_mode .source-question { color: #9198a1; }
"""

# SM-2's scheduled reviews become Anki review cards.
CARD_TYPE_REVIEW = 2
QUEUE_NEW = 0
QUEUE_REVIEW = 2
QUEUE_SUSPENDED = -1


@dataclass(frozen=True)
class AnkiNote:
    """One card as an Anki note: what the package and the text export both write."""

    card_id: str
    topic: str
    guid: str
    deck: str
    fields: tuple[str, ...]  # in FIELDS order
    tags: tuple[str, ...]
    media: tuple[Path, ...] = ()  # image files the fields show, packed with the note


@dataclass(frozen=True)
class CardProgress:
    """A card's schedule as the active scheduler has it; `due` None for a new card.
    `stability`/`difficulty` are FSRS's memory state, set only when FSRS is active."""

    due: date | None = None
    interval: int = 0
    ef: int = 250  # hundredths
    repetitions: int = 0
    lapses: int = 0
    stability: float | None = None
    difficulty: float | None = None
    suspended: bool = False

    def card_data(self) -> str:
        """Anki's `cards.data` JSON: FSRS memory state (`s`, `d`) when there is one."""
        if self.stability is None or self.difficulty is None:
            return ""
        import json

        return json.dumps(
            {"s": round(self.stability, 4), "d": round(self.difficulty, 4)},
            separators=(",", ":"),
        )


def deck_name(title: str) -> str:
    return f"{ROOT_DECK}::{title.replace('::', ':').strip()}"


def deck_id(topic: str) -> int:
    """A stable deck id for a topic slug, in genanki's recommended range [2**30, 2**31)."""
    digest = hashlib.sha256(f"dlcards-deck:{topic}".encode()).digest()
    return (1 << 30) + int.from_bytes(digest[:4], "big") % (1 << 30)


def note_guid(card_id: str) -> str:
    import genanki

    return str(genanki.guid_for(card_id))


def note_tags(card: Card) -> tuple[str, ...]:
    """The topic slug, then the card's own tags (level, `math`)."""
    return tuple(dict.fromkeys((card.topic, *card.tags)))


def back_html(card: Card, evaluations: Sequence[Evaluation] = ()) -> str:
    """The answer, then each computation's live result and worked steps, then the remarks."""
    parts = [to_html(card.answer)]
    for ev in evaluations:
        label = to_html(ev.compute.label) if ev.compute.label else escape(ev.call)
        if ev.result is None:
            parts.append(
                f'<div class="computed"><span class="error">⚠ {label}: '
                f"{escape(ev.error or 'could not compute')}</span></div>"
            )
            continue
        values = ev.result.display_lines
        if len(values) > 1:  # several named values: the label, then one labelled line each
            shown = "<br>".join(escape(line) for line in values)
            lines = [f'{label}<br><span class="value">{shown}</span>']
        else:
            lines = [f'<span class="value">= {escape(values[0])}</span> {label}']
        if ev.status in ("mismatch", "erratum"):
            lines.append(
                f'<span class="claim">(the card says {escape(str(ev.compute.claim))})</span>'
            )
        steps = "".join(f"<li>{escape(step)}</li>" for step in ev.result.steps)
        parts.append(
            '<div class="computed">'
            + " ".join(lines)
            + (f'<ol class="steps">{steps}</ol>' if steps else "")
            + "</div>"
        )
    parts.append(remarks_html(card))
    return "".join(parts)


def remarks_html(card: Card) -> str:
    """The erratum, the note, their references and the source's own question (when the card's
    question is a repair), as the terminal shows them after the answer."""
    parts = []
    if card.erratum:
        parts.append(f'<div class="erratum"><b>Erratum:</b> {to_html(card.erratum)}</div>')
    if card.note:
        parts.append(f'<div class="note"><b>Note:</b> {to_html(card.note)}</div>')
    if card.references:
        items = "".join(f"<li>{escape(ref)}</li>" for ref in card.references)
        parts.append(f'<div class="references"><b>References:</b><ul>{items}</ul></div>')
    if card.source_question:
        parts.append(
            '<div class="source-question"><b>The source\'s question:</b> '
            f"{to_html(card.source_question)}</div>"
        )
    return "".join(parts)


def card_images(card: Card) -> list[Path]:
    """The image files a card's text shows (``![alt](media/x.png)``), relative to its deck
    file, whether they exist or not."""
    from urllib.parse import unquote

    from dlcards.markup import tokens

    texts = (card.question, card.answer, card.erratum or "", card.note or "")
    where = Path(card.file).parent
    found = (where / unquote(t.text) for x in texts for t in tokens(x) if t.kind == "image")
    return list(dict.fromkeys(found))


def card_media(card: Card) -> tuple[Path, ...]:
    """The image files of a card that exist: what its note carries to Anki."""
    return tuple(p for p in card_images(card) if p.is_file())


def anki_notes(cards: Iterable[Card], titles: Mapping[str, str]) -> list[AnkiNote]:
    """The notes for `cards` (in their order); math cards are computed by the engine."""
    notes = []
    for card in cards:
        evaluations: Sequence[Evaluation] = ()
        if card.compute:
            from dlcards.mathcards import evaluate

            evaluations = evaluate(card)
        title = titles.get(card.topic, card.topic)
        notes.append(
            AnkiNote(
                card_id=card.id,
                topic=card.topic,
                guid=note_guid(card.id),
                deck=deck_name(title),
                fields=(
                    to_html(card.question),
                    back_html(card, evaluations),
                    escape(title),
                    to_html(card.source) if card.source else "",
                    escape(card.id),
                ),
                tags=note_tags(card),
                media=card_media(card),
            )
        )
    return notes


def package_timestamp(deck_files: Iterable[Path]) -> int:
    """Seconds since the epoch for the package: SOURCE_DATE_EPOCH if set, else the newest
    modification time of the deck files and of this exporter (see the module docstring)."""
    env = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if env.isdigit():
        return int(env)
    here = Path(__file__).resolve().parent
    paths = [*deck_files, *sorted(here.glob("*.py"))]
    return max((int(p.stat().st_mtime) for p in paths), default=0)


# --- the package ------------------------------------------------------------------------------


def build_package(notes: Sequence[AnkiNote]) -> Any:
    """A genanki.Package: the root deck and one subdeck per topic, in the notes' order."""
    import genanki

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
            while did in used:  # two slugs hashing alike: probe, deterministically
                did += 1
            used.add(did)
            deck = decks[note.topic] = genanki.Deck(did, note.deck)
        deck.add_note(
            genanki.Note(
                model=model,
                fields=list(note.fields),
                tags=list(note.tags),
                guid=note.guid,
                due=position,  # new cards come in deck order
            )
        )
    return genanki.Package([root, *decks.values()])


def anki_day(day: date, crt: int) -> int:
    """A calendar day as Anki's day number in a collection created at `crt` (Unix seconds).

    Anki counts days from the creation day; on import it shifts review due numbers by the
    difference between the two collections' "today", so a card keeps its calendar due date.
    """
    return (day - datetime.fromtimestamp(crt, timezone.utc).date()).days


def _set_progress(
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
                item.ef * 10,  # EF in hundredths -> Anki's permille factor
                item.repetitions,
                item.lapses,
                timestamp,
                item.card_data(),
                nid,
            ),
        )


def _zip_entry(name: str, timestamp: int) -> zipfile.ZipInfo:
    stamp = time.gmtime(max(timestamp, 315532800))[:6]  # zip dates start in 1980
    info = zipfile.ZipInfo(name, date_time=stamp)
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = 0o644 << 16
    return info


def _clean_stale_workdirs() -> None:
    """Remove the working folders of package builds whose process was killed."""
    from dlcards.fileio import pid_alive

    for entry in Path(tempfile.gettempdir()).glob("dlcards-apkg-*-*"):
        pid = entry.name.split("-")[2]
        if pid.isdigit() and entry.is_dir() and not pid_alive(int(pid)):
            shutil.rmtree(entry, ignore_errors=True)


def write_apkg(
    notes: Sequence[AnkiNote],
    out: IO[bytes],
    timestamp: int,
    progress: Mapping[str, CardProgress] | None = None,
) -> None:
    """Write the package for `notes` to `out`. Same arguments, same bytes."""
    package = build_package(notes)
    _clean_stale_workdirs()
    with tempfile.TemporaryDirectory(prefix=f"dlcards-apkg-{os.getpid()}-") as tmp:
        path = Path(tmp) / "collection.anki2"
        conn = sqlite3.connect(path)
        try:
            package.write_to_db(conn.cursor(), timestamp, itertools.count(timestamp * 1000))
            if progress:
                _set_progress(conn, notes, progress, timestamp)
            conn.commit()
        finally:
            conn.close()
        del package  # the notes are in the collection file now
        with zipfile.ZipFile(out, "w") as archive:
            # streamed, not read whole: a 100,000-card collection is about 85 MB
            with (
                path.open("rb") as src,
                archive.open(_zip_entry("collection.anki2", timestamp), "w") as dst,
            ):
                shutil.copyfileobj(src, dst, 1 << 20)
            names: dict[str, str] = {}
            for index, file in enumerate(_media(notes)):
                names[str(index)] = media_name(file.name)
                with (
                    file.open("rb") as src,
                    archive.open(_zip_entry(str(index), timestamp), "w") as dst,
                ):
                    shutil.copyfileobj(src, dst, 1 << 20)
            media_map = json.dumps(names, sort_keys=True).encode("utf-8")
            archive.writestr(_zip_entry("media", timestamp), media_map)


def _media(notes: Sequence[AnkiNote]) -> list[Path]:
    """Every note's image files, one per media name (Anki's media are flat), by name."""
    by_name: dict[str, Path] = {}
    for note in notes:
        for file in note.media:
            by_name.setdefault(media_name(file.name), file)
    return [by_name[name] for name in sorted(by_name)]
