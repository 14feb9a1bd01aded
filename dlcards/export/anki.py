"""Cards -> an Anki package (.apkg): genanki's collection, its note and card rows written in
batches.

genanki writes the schema (Anki's schema 11), the `col` row and the note type and deck JSON
from `anki_model()` and the genanki.Deck values; the notes and cards go in with executemany,
streamed (`write_package` takes an iterable, so 100,000 cards are never all in memory), with
the same rows genanki's Note and Card would write, but their ids
(tests/test_export_same_as_genanki.py compares them with the genanki writer this replaced,
and through a real Anki).

Identity is what makes a re-import update instead of duplicate:

* one note type, `MODEL_ID`, generated once and never changed (nor its field list: Anki
  copies a note type whose fields differ);
* each note's GUID is `genanki.guid_for(card_id)` (`note_guid`), so editing a card's text
  keeps its note;
* the deck "Deep Learning" and one subdeck per topic, named by the topic's title, with ids
  derived from the topic slug (Anki matches imported decks by name anyway);
* each note's and card's id (Anki's time the card was added) is made from its GUID within
  the day before the card came into dlcards (`anki_ids`), not counted from the package's
  time in the order of the export: the same card has the same ids in every package, as in
  Anki, and no other card takes them. Counted, a card of one export (`--topic`, `--tag`, or a
  deck edit that moved the cards) got the ids another card had in an earlier one; if that
  card's note had been deleted in Anki, whose log keeps its answers under its card id, Anki
  gave those answers to the new card, and `import anki` of a .colpkg brought them in as its.

Anki updates an existing note only when the package's copy is *newer* (modification time), so
the package timestamp is not a constant: `package_timestamp` takes the newest modification time
of the deck files and of this exporter's code. The same decks give the same timestamp, hence
the same bytes (`write_apkg` fixes every other source of variation), and editing a deck gives a
newer one, so Anki takes the edit.

Progress (`--with-progress`): each card row carries its scheduling: type/queue 2 (review),
ivl, due (days since the collection's creation day), factor (EF x 1000), reps, lapses, and
FSRS's memory state in `data`; suspended cards get queue -1, and a leech's note Anki's tag
`leech`. The package holds no review log.
Anki's importer keeps these when "import scheduling" is on, for cards not yet in the
collection (it never changes the scheduling of cards it already has). Without progress a card's
`mod` (its time of change, which Anki's importer keeps) is 0: its state in Anki (new, active)
is not the learner's, so `import anki` never finds it newer than a suspension made here.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import operator
import os
import re
import sqlite3
import tempfile
import time
import zipfile
from collections.abc import Container, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from functools import lru_cache
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, NamedTuple

from dlcards.deck import ANKI_ROOT_DECK as ROOT_DECK
from dlcards.deck import anki_deck_name
from dlcards.export.html import (
    ANKI_MEDIA_BYTES,
    anki_media_name,
    escape,
    packed_name,
    renamed_media,
    to_html,
)
from dlcards.settings import DAY_STARTS_AT, LEECH_TAG, leech_marked

if TYPE_CHECKING:
    from dlcards.deck import AnkiNoteType, Card
    from dlcards.mathcards import Evaluation

# Generated once (random.randrange(1 << 30, 1 << 31)); never change them.
MODEL_ID = 1525040419
ROOT_DECK_ID = 1102058212

MODEL_NAME = "dlcards"
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

ANKI_DEFAULT_DECK = "default"  # Anki's deck of id 1, in every collection (its name folded)

ZIP_LEVEL = 1  # deflate level of the package's entries

# SM-2's scheduled reviews become Anki review cards.
CARD_TYPE_REVIEW = 2
QUEUE_NEW = 0
QUEUE_REVIEW = 2
QUEUE_SUSPENDED = -1


class AnkiNote(NamedTuple):
    """One card as an Anki note: what the package and the text export both write. A
    NamedTuple: 100,000 are made, and pickled back from the workers that render them
    (a frozen dataclass took 5x as long to unpickle)."""

    card_id: str
    topic: str
    guid: str
    deck: str
    fields: tuple[str, ...]  # in FIELDS order
    tags: tuple[str, ...]
    media: tuple[Path, ...] = ()  # image and sound files of the fields, packed with the note
    # the Anki note type of the note the card was converted from, which the package writes
    # it in (`AnkiNoteType`): its question and answer there, not the fields above
    notetype: AnkiNoteType | None = None


@dataclass(frozen=True)
class CardProgress:
    """A card's schedule as the active scheduler has it; `due` None for a new card.
    `stability`/`difficulty` are FSRS's memory state, set only when FSRS is active."""

    due: date | None = None
    interval: int = 0
    ef: int = 250  # hundredths
    repetitions: int = 0  # Anki's reps: how many times the card was answered
    lapses: int = 0
    stability: float | None = None
    difficulty: float | None = None
    suspended: bool = False
    leech: bool = False  # a leech here: its note gets Anki's `leech` tag, as Anki marks one
    last_answer: int | None = None  # when the card was last answered (ms since the epoch)
    retention: float | None = None  # FSRS's desired retention, set with the memory state
    decay: float | None = None  # and its forgetting curve's decay (FSRS-6's w[20])

    def card_data(self, position: int) -> str:
        """Anki's `cards.data` JSON of a studied card, as Anki writes it for a card it
        scheduled: its place among the new cards (`pos`: `position`, its new card's `due`),
        FSRS memory state (`s`, `d`) when there is one, with the desired retention (`dr`)
        and the curve's decay (`decay`) it was computed for, and the moment of the last
        answer (`lrt`, s). Anki's Forget with "Restore original position" puts the card back
        at `pos` (without it, at the collection's next new position: first in the queue).
        Anki with FSRS counts the days a card has lasted from `lrt`; without it, it looks
        for the last answer in its own review log, which a package's card has none of, and
        counts 0 days. Anki's recall of the card (card info, the browser, `prop:r`, the
        review order) takes the card's decay; without one, FSRS-5's."""
        if self.due is None:
            return ""
        data: dict[str, float | int] = {"pos": position}
        if self.stability is not None and self.difficulty is not None:
            data |= {"s": round(self.stability, 4), "d": round(self.difficulty, 4)}
            if self.retention is not None:
                data["dr"] = round(self.retention, 4)
            if self.decay is not None:
                data["decay"] = round(self.decay, 4)
        if self.last_answer is not None:
            data["lrt"] = self.last_answer // 1000
        return json.dumps(data, separators=(",", ":"))


@lru_cache(maxsize=256)
def deck_name(title: str) -> str:
    return anki_deck_name(title)


def deck_id(topic: str) -> int:
    """A stable deck id for a topic slug, in genanki's recommended range [2**30, 2**31)."""
    digest = hashlib.sha256(f"dlcards-deck:{topic}".encode()).digest()
    return (1 << 30) + int.from_bytes(digest[:4], "big") % (1 << 30)


BASE91 = (
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!#$%&()*+,-./:;<=>?@[]^_`{|}~"
)
"""genanki's base-91 digits (`genanki.util.BASE91_TABLE`, which tests compare), by value:
written here, so that a GUID costs no import of genanki (0.11 s)."""


def note_guid(card_id: str) -> str:
    """genanki.guid_for(card_id), computed the same way: the first 8 bytes of the SHA-256 of
    the id as a number, in genanki's base-91 digits, most significant first and without
    leading zeros. Here two digits at a time (a number below 2**64 has at most ten), and the
    zeros in front (the digit "a") stripped. Many at once: `note_guids`."""
    pairs, zero = _base91_pairs()
    number = int.from_bytes(hashlib.sha256(card_id.encode("utf-8")).digest()[:8], "big")
    number, e = divmod(number, 8281)  # 91 ** 2
    number, d = divmod(number, 8281)
    number, c = divmod(number, 8281)
    a, b = divmod(number, 8281)
    return (pairs[a] + pairs[b] + pairs[c] + pairs[d] + pairs[e]).lstrip(zero)


def exported_guid(note: AnkiNote, guids: Mapping[str, str] | None) -> str:
    """The GUID `note` is exported with: its deck's `anki_guid` (`anki_note` gave it the
    note), else the one `guids` keeps for its card (the database's, of a card converted
    before decks held the key), else the one made from its card id. The database's is stale
    where the deck gives another: a deck's GUID is the note's when it is not the one made from
    its card id (computed only for a card the two disagree on)."""
    kept = guids.get(note.card_id) if guids else None
    if kept is None or kept == note.guid or note.guid != note_guid(note.card_id):
        return note.guid
    return kept


def distinct_guids(kept: Mapping[str, str], deck_guids: Iterable[str]) -> dict[str, str]:
    """The database's GUIDs (`kept`, card id -> GUID) that `exported_guid` may give a card:
    not one a deck gives (`deck_guids`: a deck's card wins its GUID, and the card of the
    database's entry would be a second note of it, which Anki makes one with the first),
    nor one the database holds for two cards. Such a card goes as a note of its own."""
    taken = set(deck_guids)
    seen: dict[str, int] = {}
    for guid in kept.values():
        seen[guid] = seen.get(guid, 0) + 1
    return {cid: g for cid, g in kept.items() if g not in taken and seen[g] == 1}


def note_guids(card_ids: Iterable[str]) -> list[str]:
    """`note_guid` of each id, in order: the hashes one by one, their base-91 digits as NumPy
    arrays of all of them, written as one text of a line each (the leading zeros left out)
    and split. 100,000 ids: 0.33 -> 0.07 s."""
    import numpy as np

    sha256 = hashlib.sha256
    heads = b"".join([sha256(cid.encode("utf-8")).digest()[:8] for cid in card_ids])
    number = np.frombuffer(heads, ">u8").astype(np.uint64)
    digits = np.empty((len(number), _GUID_DIGITS), np.uint8)
    for place in reversed(range(_GUID_DIGITS)):
        number, digits[:, place] = np.divmod(number, len(BASE91))
    text = np.empty((len(digits), _GUID_DIGITS + 1), np.uint8)
    text[:, :_GUID_DIGITS] = np.frombuffer(BASE91.encode("ascii"), np.uint8)[digits]
    text[:, _GUID_DIGITS] = ord("\n")
    kept = np.ones(text.shape, bool)  # from a line's first digit that is not zero, and its end
    kept[:, :_GUID_DIGITS] = np.maximum.accumulate(digits != 0, axis=1)
    lines = text[kept].tobytes().decode("ascii").split("\n")
    lines.pop()  # after the last line's end
    return lines


_GUID_DIGITS = 10  # base-91 digits of a number below 2**64 (91**10 > 2**64)


@lru_cache(maxsize=1)
def _base91_pairs() -> tuple[tuple[str, ...], str]:
    """Every two-digit base-91 number in genanki's digits, by value; and the zero digit."""
    return tuple(x + y for x in BASE91 for y in BASE91), BASE91[0]


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


class MediaRef(NamedTuple):
    """A media file a card's text names: an image it shows (``![alt](media/x.png)``) or a
    sound Anki plays (``[sound: media/x.mp3]``)."""

    kind: str  # "image" | "sound"
    name: str  # as written, %-escapes decoded
    path: Path  # beside the deck file
    inside: bool  # the path stays in the deck's folder: the export may pack it


def media_refs(card: Card) -> list[MediaRef]:
    """Each image and sound a card's text names, once, in order: whether its path stays in
    the deck's folder (no absolute name, no `..` out of it, no link that leads out of it).
    The export packs only those (never a file from elsewhere, whatever a deck names), and
    `check` warns about the others and about a file that does not exist."""
    every = (card.question, card.answer, card.erratum or "", card.note or "")
    # no image or sound can be in the others
    texts = [x for x in every if "[" in x and ("!" in x or "[sound:" in x)]
    if not texts:
        return []
    from urllib.parse import unquote

    from dlcards.markup import is_remote, tokens

    where = Path(card.file).parent
    named = dict.fromkeys(
        (t.kind, unquote(t.text))
        for x in texts
        for t in tokens(x)
        if t.kind in ("image", "sound") and not (t.kind == "image" and is_remote(t.text))
    )  # an image on the web is no file of the deck's: Anki shows it from there
    folder = where.resolve()
    refs = []
    for kind, name in named:
        path = where / name
        try:
            inside = path.resolve().is_relative_to(folder)
        except (OSError, RuntimeError, ValueError):  # a loop of links, a NUL in the name
            inside = False
        refs.append(MediaRef(kind, name, path, inside))
    return refs


def card_media(card: Card) -> tuple[Path, ...]:
    """The image and sound files of a card that exist in its deck's folder: what its note
    carries to Anki."""
    refs = media_refs(card)
    if not refs:  # most cards
        return ()
    return tuple(dict.fromkeys(r.path for r in refs if r.inside and r.path.is_file()))


def anki_note(card: Card, title: str, deck: str | None = None) -> AnkiNote:
    """One card as its note, in its topic's deck: `deck` (its `anki_deck:`), else the one its
    title gives; a math card is computed by the engine."""
    evaluations: Sequence[Evaluation] = ()
    if card.compute:
        from dlcards.mathcards import evaluate

        evaluations = evaluate(card)
    return AnkiNote(  # by position: 100,000 are made, and keywords cost more
        card.id,  # card_id
        card.topic,  # topic
        card.anki_guid or note_guid(card.id),  # guid: its Anki note's, converted from one
        deck or deck_name(title),  # deck
        (  # fields
            to_html(card.question),
            back_html(card, evaluations),
            _title_html(title),
            to_html(card.source) if card.source else "",
            escape(card.id),
        ),
        note_tags(card),  # tags
        card_media(card),  # media
        card.anki_note_type if card.anki_guid else None,  # notetype
    )


def note_digest(note: AnkiNote) -> str:
    """16 hex digits that change with any byte of what `note` carries into Anki but its
    identity: its deck, each of its fields (the engine's worked steps too), its tags, and the
    bytes of each media file it packs (`media_digest`). What an export keeps
    (`cards.exported_hash`) to date a note that changed with no edit of its card: a dlcards
    whose engine or HTML writes it otherwise, or an image or sound file changed under the
    name the card gives it. Anki keeps a file of a name it holds with other bytes under a
    new name (its SHA-1 after the stem) and points only the notes it updates at it: dated as
    before, the note kept showing the old file there."""
    text = "\x1e".join(("\x1f".join((note.deck, *note.fields)), "\x1f".join(note.tags)))
    if note.media:
        text += "\x1e" + "\x1f".join(media_digest(path) for path in note.media)
    return hashlib.sha1(text.encode("utf-8", "surrogatepass"), usedforsecurity=False).hexdigest()[
        :16
    ]


def media_digest(path: Path) -> str:
    """The SHA-1 of a media file's bytes (hex), read once per version of the file (its size
    and time of change) however many notes pack it; "" for one that cannot be read now."""
    try:
        stat = path.stat()
    except OSError:
        return ""
    return _media_sha1(str(path), stat.st_size, stat.st_mtime_ns)


def media_time(note: AnkiNote) -> int:
    """When the newest of the media files `note` packs last changed (s; 0 for none): a file
    changed under its name is an edit of the note made then, as a deck edit is one made at
    its file's time (`commands.export._dated`)."""
    newest = 0
    for path in note.media:
        try:
            newest = max(newest, int(path.stat().st_mtime))
        except OSError:
            continue
    return newest


@lru_cache(maxsize=1024)
def _media_sha1(path: str, size: int, mtime_ns: int) -> str:
    digest = hashlib.sha1(usedforsecurity=False)
    try:
        with open(path, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                digest.update(block)
    except OSError:
        return ""
    return digest.hexdigest()


@lru_cache(maxsize=256)
def _title_html(title: str) -> str:
    return escape(title)


def iter_notes(
    cards: Iterable[Card], titles: Mapping[str, str], decks: Mapping[str, str] | None = None
) -> Iterator[AnkiNote]:
    """The notes for `cards`, one at a time (in their order), so a caller can stream them.
    `decks`: each topic's deck in Anki (`Catalog.anki_decks`); without it, its title's."""
    for card in cards:
        topic = card.topic
        yield anki_note(card, titles.get(topic, topic), decks.get(topic) if decks else None)


def anki_notes(
    cards: Iterable[Card], titles: Mapping[str, str], decks: Mapping[str, str] | None = None
) -> list[AnkiNote]:
    """The notes for `cards` (in their order); math cards are computed by the engine."""
    return list(iter_notes(cards, titles, decks))


NOTES_CHANGED = 1796515200  # 2026-12-06
"""When this exporter last changed what a note holds before each note's bytes were digested
(`note_digest`): every note is at least this new, so an Anki collection took that rendering
of every note once. Since, the export that sees a note's bytes differ from its last export's
dates that note (`commands.export`, `cards.exported_hash`; a card exported before digests
were kept has the unknown digest '', migration 0034, so the first export after that upgrade
dates every such note a second newer than Anki's): there is nothing to raise here."""


def note_time(edited: int | None, timestamp: int) -> int:
    """A note's modification time: when its card's text last changed (`edited`, from the
    store), or NOTES_CHANGED if later; the package's `timestamp` when it is not known. Anki
    replaces a note it has only with a newer one, so a deck edit reaches Anki for the cards it
    changed, and an edit made in Anki to any other note is kept."""
    if edited is None:
        return timestamp
    return max(edited, NOTES_CHANGED)


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


def anki_model() -> Any:
    """The note type, a genanki.Model: fields, the card template and the CSS."""
    import genanki

    return genanki.Model(
        MODEL_ID,
        MODEL_NAME,
        fields=[{"name": name} for name in FIELDS],
        templates=[{"name": "Card", "qfmt": FRONT_TEMPLATE, "afmt": BACK_TEMPLATE}],
        css=CSS,
    )


def root_deck() -> Any:
    import genanki

    return genanki.Deck(
        ROOT_DECK_ID,
        ROOT_DECK,
        description="Deep learning flashcards from dlcards, one subdeck per topic.",
    )


def anki_day(day: date, crt: int) -> int:
    """A calendar day as Anki's day number in a collection created at `crt` (Unix seconds),
    its creation day taken in UTC, as the package's `col` says (`day_numbering`).

    Anki counts days from the creation day; on import it shifts review due numbers by the
    difference between the two collections' "today", so a card keeps its calendar due date.
    """
    return (day - datetime.fromtimestamp(crt, timezone.utc).date()).days


def day_numbering(conf: str, day_starts_at: int) -> str:
    """genanki's `col.conf` (JSON) with the day settings Anki counts the package's days by:
    the creation day in UTC (`creationOffset` 0, minutes west of UTC), as `anki_day` counts
    from it, and the learner's day start (`rollover`, Anki's "next day starts at"), under
    Anki's v2 day rules (`schedVer` 2). Without them Anki set them itself on import: the
    creation moment (11:00 UTC) in the importer's time zone, whose date is another one at
    UTC+13 and over or -12, and a day starting at 4; its "today" of the package then differed
    from the collection's by a day there, or between 4 and another day start, and every
    card came a day early or late."""
    values = json.loads(conf)
    values.update({"schedVer": 2, "creationOffset": 0, "rollover": day_starts_at})
    return json.dumps(values, sort_keys=True)


_INSERT_NOTE = "INSERT INTO notes VALUES (?,?,?,?,?,?,?,?,?,?,?)"
_INSERT_CARD = "INSERT INTO cards VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)"
_BATCH = 2000  # notes per executemany: a few batches of rows are all that is held
_STAGE_NOTE = _INSERT_NOTE.replace("INTO notes", "INTO stage.notes")
_STAGE_CARD = _INSERT_CARD.replace("INTO cards", "INTO stage.cards")


def _attach_staging(cursor: sqlite3.Cursor) -> Path:
    """A scratch database `stage` beside the collection's file, with tables `notes` and
    `cards` of the collection's columns and no key or index: the rows in the order they
    come, for `_write_collection` to copy in id order. Returns its path."""
    (name,) = (row[2] for row in cursor.execute("PRAGMA database_list") if row[1] == "main")
    path = Path(f"{name}-stage")
    cursor.connection.commit()  # (no pragma of a schema takes effect inside a transaction)
    cursor.execute("ATTACH DATABASE ? AS stage", (str(path),))
    cursor.execute("PRAGMA stage.journal_mode = OFF")
    cursor.execute("PRAGMA stage.synchronous = OFF")
    for table in ("notes", "cards"):
        cursor.execute(f"CREATE TABLE stage.{table} AS SELECT * FROM main.{table} WHERE 0")
    return path


ANKI_ID_SPAN_MS = 86_400_000
"""A note's and card's ids are in the day (in ms) before the moment the card came into
dlcards: Anki shows the card id as the day the card was added."""


def anki_ids(guid: str, added_ms: int) -> int:
    """The Anki note id of the note of GUID `guid` whose card came into dlcards at `added_ms`
    (ms since the epoch); its card's id is the next number. An even number within
    ANKI_ID_SPAN_MS before `added_ms`, from the first 8 bytes of the GUID's SHA-256: the same
    card has the same ids in every export, and another card only where the two came into
    dlcards on the same day and their GUIDs hash alike (one in 43 million for two cards; one
    package probes to the next free pair, `_write_collection`)."""
    digest = hashlib.sha256(guid.encode("utf-8")).digest()
    slot = int.from_bytes(digest[:8], "big") % (ANKI_ID_SPAN_MS // 2)
    return added_ms - ANKI_ID_SPAN_MS + 2 * slot


def _card_row(
    cid: int,
    nid: int,
    did: int,
    timestamp: int,
    position: int,
    item: CardProgress | None,
    crt: int,
) -> tuple[Any, ...]:
    """Anki's `cards` row: a new card at `position` (genanki's), or the card's progress."""
    if item is None or item.due is None:
        queue = QUEUE_SUSPENDED if item is not None and item.suspended else QUEUE_NEW
        return (cid, nid, did, 0, timestamp, -1, 0, queue, position, 0, 0, 0, 0, 0, 0, 0, 0, "")
    return (
        cid,
        nid,
        did,
        0,  # ord: the one template
        timestamp,  # mod
        -1,  # usn
        CARD_TYPE_REVIEW,
        QUEUE_SUSPENDED if item.suspended else QUEUE_REVIEW,
        anki_day(item.due, crt),
        max(item.interval, 1),
        item.ef * 10,  # EF in hundredths -> Anki's permille factor
        item.repetitions,
        item.lapses,
        0,  # left
        0,  # odue
        0,  # odid
        0,  # flags
        item.card_data(position),
    )


@dataclass
class _Written:
    """What writing the collection learned: the decks in order of their first note, and the
    media files by name."""

    decks: dict[str, Any]
    media: dict[str, Path]
    deck_count: int = 0  # the decks the notes are in (the root, if any is, among them)
    # of the cards asked about (`leeches`): their note's modification time, and whether it
    # carries Anki's `leech` tag
    leech_notes: dict[str, tuple[int, bool]] = field(default_factory=dict)


class Package(NamedTuple):
    """What `write_package` wrote, for its caller to say and keep."""

    decks: int  # the decks the notes are in
    leech_notes: dict[str, tuple[int, bool]]
    """Of the cards asked about (the leeches here): card id -> its note's modification time
    (s) and whether the note carries Anki's `leech` tag (`Store.remember_leech_tags`)."""


class _MediaNames:
    """The name each media file is packed under: the name its cards give it (`packed_name`),
    as Anki would store it (`anki_media_name`: ``a:b.png`` is ``ab.png`` there), and apart
    from any other file's. Two files of one name (``media/fig.png`` of two decks' folders, or
    ``x.mp3`` beside ``<x>.mp3``, which Anki stores as ``x.mp3``) were packed as one, and one
    card showed or played the other's; the second one's name now ends in its content's SHA-1
    (``fig-1a2b3c4d.png``). A file named twice keeps its first name; files alike byte for byte
    share one. Deterministic: the same cards in the same order give the same names."""

    def __init__(self, files: dict[str, Path]) -> None:
        self.files = files  # name -> file
        self.names: dict[str, str] = {}  # the file's real path -> its name

    def name(self, file: Path, given: str) -> str:
        import os

        real = os.path.realpath(file)
        name = self.names.get(real)
        if name is None:
            name = anki_media_name(given) or "media"
            held = self.files.get(name)
            if held is not None and not _same_bytes(held, file):
                name = self._apart(name, file)
            self.files.setdefault(name, file)
            self.names[real] = name
        return name

    def _apart(self, name: str, file: Path) -> str:
        """`name` with the file's SHA-1 before its extension (8 hex digits, more if taken)."""
        import hashlib

        digest = hashlib.sha1(file.read_bytes()).hexdigest()
        stem, dot, ext = name.rpartition(".")
        if not dot or not stem:
            stem, dot, ext = name, "", ""
        for size in (8, 16, 40):
            tail = f"-{digest[:size]}{dot}{ext}"
            room = ANKI_MEDIA_BYTES - len(tail.encode("utf-8")) - 1
            apart = anki_media_name(stem.encode("utf-8")[:room].decode("utf-8", "ignore") + tail)
            held = self.files.get(apart)
            if held is None or _same_bytes(held, file):
                return apart
        raise AssertionError(f"two media files with one SHA-1: {apart}")  # not in practice


def _same_bytes(a: Path, b: Path) -> bool:
    import filecmp

    return filecmp.cmp(a, b, shallow=False)


def _write_collection(
    conn: sqlite3.Connection,
    items: Iterable[tuple[AnkiNote, CardProgress | None]],
    timestamp: int,
    edited: Mapping[str, int] | None = None,
    guids: Mapping[str, str] | None = None,
    day_starts_at: int = DAY_STARTS_AT,
    added: Mapping[str, int] | None = None,
    decks: Mapping[str, str] | None = None,
    leeches: Container[str] = (),
) -> _Written:
    """Write Anki's collection (schema 11, as genanki makes it) with the notes and cards of
    `items`, in batches with executemany.

    genanki writes the schema, the `col` row and the note type and deck JSON, from the same
    genanki.Model and genanki.Deck values as always; the rows of the notes and cards are the
    ones genanki's Note and Card write (the sort field is Front; the card of a note whose
    Front and Topic are both empty is left out, as the model's `req` says), without building
    a Note object per card, but for their ids: genanki counts them from the package's time,
    a note's then its card's; here they are `anki_ids` of the GUID and the moment the card
    came into dlcards (`added`, seconds since the epoch; for a card it lacks, `timestamp`).
    `decks`: the Anki deck a topic's cards live in, in place of its note's (`AnkiNote.deck`).
    `leeches`: the cards whose note's time and `leech` tag to note (`_Written.leech_notes`)."""
    import genanki

    ids = itertools.count(timestamp * 1000)
    cursor = conn.cursor()
    genanki.Package([]).write_to_db(cursor, timestamp, ids)  # the schema and the `col` row
    crt, conf = cursor.execute("SELECT crt, conf FROM col").fetchone()
    crt = int(crt)
    cursor.execute("UPDATE col SET conf = ?", (day_numbering(conf, day_starts_at),))
    model = anki_model()
    ((_, any_or_all, required),) = model.to_json(timestamp, ROOT_DECK_ID)["req"]
    needs = all if any_or_all == "all" else any
    # the fields `req` names, as a tuple even for one (its first named twice changes neither
    # any nor all)
    required_of = operator.itemgetter(required[0], *required)
    written = _Written({}, {})
    media = _MediaNames(written.media)
    dids: dict[str, int] = {}  # each topic's deck
    used = {ROOT_DECK_ID}
    # one deck a name, as Anki's names are (in any case): two topics the learner put in one
    # deck there, or one put in the root or in Anki's `Default` (id 1, which genanki's
    # collection holds), are that deck (a second deck of a name, Anki renamed `Default_`)
    named: dict[str, int] = {ROOT_DECK.casefold(): ROOT_DECK_ID, ANKI_DEFAULT_DECK: 1}
    nids: set[int] = set()  # the note ids given (each card's id is its note's + 1)
    # the Anki note types of notes written in their own (`AnkiNote.notetype`), by id: the
    # first card's; a card that gives another one for its id is written in dlcards's
    kept_types: dict[int, AnkiNoteType] = {}
    notes: list[tuple[Any, ...]] = []
    cards: list[tuple[Any, ...]] = []
    # The indexes are built once after the rows are in (the same CREATE INDEX statements):
    # kept as the rows go in, they cost as much CPU and the package was 8% larger (their pages
    # spread among the table's deflate worse).
    indexes = cursor.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL"
    ).fetchall()
    for name, _ in indexes:
        cursor.execute(f'DROP INDEX "{name}"')
    # The ids are hashes (`anki_ids`), in no order: rows put straight into the tables, whose
    # ids are their rowids, went into pages all over the B-trees (100,000 notes: the inserts
    # took 2.7x the CPU of the same rows in id order). They go into tables of the same
    # columns in a scratch file beside the collection first, in the order they come, and from
    # there into the collection in id order, sorted by SQLite (in its bounded memory).
    staging = _attach_staging(cursor)
    # The rows go in on this thread. They went in on a thread of their own while this one made
    # the next batch (SQLite steps a row without the GIL), but sqlite3 gives the GIL up and
    # takes it back for every row, and with another thread wanting it each time the switches
    # cost more CPU than the inserts took off this thread.
    for position, (note, item) in enumerate(items, start=1):
        did = dids.get(note.topic)
        if did is None:
            # the deck an import saw the topic's cards in (renamed or moved there), else the
            # note's own (`anki_deck:`, or the topic's title under Deep Learning); one deck a
            # name, as Anki tells them apart (not in case): two topics of one name (a deck
            # made of the notes added on the phone to a topic's deck) are one deck there. Two
            # decks of one name in the package were two in Anki, the second renamed with a
            # `_` after it: a new deck, empty for the notes Anki already had.
            name = decks.get(note.topic, note.deck) if decks else note.deck
            did = named.get(name.casefold())
            if did is None:
                did = deck_id(note.topic)
                while did in used:  # two slugs hashing alike: probe, deterministically
                    did += 1
                used.add(did)
                named[name.casefold()] = did
                written.decks[note.topic] = genanki.Deck(did, name)
            dids[note.topic] = did
        guid = exported_guid(note, guids)
        came = added.get(note.card_id) if added is not None else None
        nid = anki_ids(guid, (timestamp if came is None else came) * 1000)
        while nid in nids:  # two cards of one day whose GUIDs hash alike
            nid += 2
        nids.add(nid)
        marked = leech_marked(note.tags) if item is not None and item.leech else note.tags
        fields = note.fields
        if note.media:
            names: dict[str, str] = {}
            for file in note.media:  # its name decoded already: as the field names it
                given = packed_name(file.name)
                if given not in names:  # (two folders' x.png in one card: its HTML has one)
                    names[given] = media.name(file, given)
            renames = {given: name for given, name in names.items() if name != given}
            if renames:
                fields = tuple(renamed_media(f, renames) for f in fields)
        mod = timestamp if edited is None else note_time(edited.get(note.card_id), timestamp)
        model_id, asked = MODEL_ID, needs(required_of(fields))
        kept = note.notetype
        own = None if kept is None else kept_fields(kept, fields)
        if kept is not None and own is not None and kept_types.setdefault(kept.id, kept) == kept:
            model_id, fields = kept.id, own
            asked = bool(fields[kept.fields.index(kept.question)])
            # the learner's own note: dated by its card's text alone (converted: as its note
            # last changed in Anki, `Store.date_edits`), never by a change of this exporter's
            # rendering (NOTES_CHANGED), so that only an edit made here replaces it
            when = edited.get(note.card_id) if edited is not None else None
            mod = timestamp if when is None else when
        if note.card_id in leeches:
            written.leech_notes[note.card_id] = (mod, LEECH_TAG in marked)
        notes.append(
            (nid, guid, model_id, mod, -1, f" {' '.join(marked)} ", "\x1f".join(fields),
             fields[0], 0, 0, "")
        )  # fmt: skip
        if asked:
            # a card without its progress claims no state of its own: its time of change is
            # none (0), so `import anki` takes Anki's suspension of it only once the learner
            # changed the card there (a suspension made here before is not undone by it)
            changed = mod if item is not None else 0
            cards.append(_card_row(nid + 1, nid, did, changed, position, item, crt))
        if len(notes) >= _BATCH:
            cursor.executemany(_STAGE_NOTE, notes)
            cursor.executemany(_STAGE_CARD, cards)
            notes, cards = [], []
    cursor.executemany(_STAGE_NOTE, notes)
    cursor.executemany(_STAGE_CARD, cards)
    for table in ("notes", "cards"):
        cursor.execute(f"INSERT INTO main.{table} SELECT * FROM stage.{table} ORDER BY id")
    cursor.connection.commit()  # (a database is detached outside a transaction only)
    cursor.execute("DETACH DATABASE stage")
    staging.unlink()
    for _, sql in indexes:
        cursor.execute(sql)
    written.deck_count = len(set(dids.values()))
    root = root_deck()
    for deck in written.decks.values() or (root,):  # (every note in the root: it holds it)
        deck.add_model(model)
    for deck in (root, *written.decks.values()):
        deck.write_to_db(cursor, timestamp, ids)  # the deck and note type JSON
    if kept_types:
        (models,) = cursor.execute("SELECT models FROM col").fetchone()
        held = json.loads(models)
        held.update({str(t.id): kept_type_json(t, ROOT_DECK_ID) for t in kept_types.values()})
        cursor.execute("UPDATE col SET models = ?", (json.dumps(held),))
    return written


def kept_fields(kept: AnkiNoteType, fields: Sequence[str]) -> tuple[str, ...] | None:
    """A note's fields (FIELDS order) as the fields of its own note type `kept`: the front
    (the question) and the back (the answer and what follows it) in their fields, every other
    field empty (as the note had them when it was converted); of a cloze note type, the cloze
    text the two make (`cloze_text`) in its cloze field. None where they make none."""
    out = dict.fromkeys(kept.fields, "")
    if kept.cloze:
        text = cloze_text(fields[0], fields[1])
        if text is None:
            return None
        out[kept.question] = text
    else:
        out[kept.question], out[kept.answer] = fields[0], fields[1]
    return tuple(out.values())


_BLANK = re.compile(r"\[([^\[\]]*)\]")
_FILLED = re.compile(r"<b>((?:(?!</?b>).)+)</b>", re.DOTALL)


def cloze_text(front: str, back: str) -> str | None:
    """The cloze text (`c1`) whose card shows `front` (the text with its blank, `[...]` or
    `[hint]`) and `back` (the text with the cloze filled in, bold), as `import anki
    --to-yaml` converts a cloze card (`anki_notes.cloze_sides`): what the two have alike
    before and after, and between them the blank and the bold text, `{{c1::text}}` (or
    `{{c1::text::hint}}`). None when they differ otherwise (an edit of one side only, an
    erratum or note after the answer): such a card goes in dlcards's note type."""
    start = 0
    while start < min(len(front), len(back)) and front[start] == back[start]:
        start += 1
    end = 0
    limit = min(len(front), len(back)) - start
    while end < limit and front[-1 - end] == back[-1 - end]:
        end += 1
    blank = _BLANK.fullmatch(front[start : len(front) - end])
    filled = _FILLED.fullmatch(back[start : len(back) - end])
    if blank is None or filled is None:
        return None
    hint, text = blank.group(1), filled.group(1)
    if any(mark in part for part in (hint, text) for mark in ("{{", "}}", "::")):
        return None  # would not read back as one cloze
    after = f"::{hint}" if hint not in ("...", "") else ""
    return f"{front[:start]}{{{{c1::{text}{after}}}}}{front[len(front) - end :]}"


def kept_type_json(kept: AnkiNoteType, did: int) -> dict[str, Any]:
    """The package's note type JSON (Anki's schema 11, as genanki writes it) for the note type
    `kept` of a converted note: its id, its name, its fields and its template by name, in its
    order, which is what Anki compares to take it as the note type it has (`equal_schema` in
    rslib/src/import_export/package/apkg/import/notes.rs), so the note is updated, not
    "conflicting". Its time of change is 0: never newer than the learner's, whose templates
    and styling Anki keeps (it replaces a note type only with a newer one). A collection
    without it (a new phone) takes it as it is here: the front shows the question's field,
    the back the answer's, in dlcards's styling."""
    fields = [
        {"name": name, "ord": i, "font": "Liberation Sans", "media": [], "rtl": False,
         "size": 20, "sticky": False}
        for i, name in enumerate(kept.fields)
    ]  # fmt: skip
    model = anki_model()
    shown = "cloze:" if kept.cloze else ""
    front, back = ("{{" + shown + name + "}}" for name in (kept.question, kept.answer))
    template = {
        "name": kept.template,
        "ord": 0,
        "qfmt": f'<div class="front">{front}</div>\n',
        "afmt": (
            f'<div class="back">{back}</div>\n'
            if kept.cloze
            else f'{{{{FrontSide}}}}\n<hr id="answer">\n<div class="back">{back}</div>\n'
        ),
        "bafmt": "",
        "bqfmt": "",
        "bfont": "",
        "bsize": 0,
        "did": None,
    }
    return {
        "css": CSS,
        "did": did,
        "flds": fields,
        "id": str(kept.id),
        "latexPost": model.latex_post,
        "latexPre": model.latex_pre,
        "latexsvg": False,
        "mod": 0,
        "name": kept.name,
        "req": [[0, "any", [kept.fields.index(kept.question)]]],
        "sortf": 0,
        "tags": [],
        "tmpls": [template],
        "type": 1 if kept.cloze else 0,
        "usn": -1,
        "vers": [],
    }


def _zip_entry(name: str, timestamp: int) -> zipfile.ZipInfo:
    stamp = time.gmtime(max(timestamp, 315532800))[:6]  # zip dates start in 1980
    info = zipfile.ZipInfo(name, date_time=stamp)
    info.compress_type = zipfile.ZIP_DEFLATED
    # zlib level 1: an 81 MB collection deflates in 0.5 s instead of 2.1 s at the default
    # level 6, and the package is 17 MB instead of 15 MB. ZipFile.open(info, "w") reads the
    # level from the entry only (the public `compress_level` from Python 3.13 on).
    info._compresslevel = ZIP_LEVEL  # type: ignore[attr-defined]
    info.external_attr = 0o644 << 16
    return info


WORKDIR_PREFIX = "dlcards-apkg-"  # + process id + "-": a package build's working folder


def write_apkg(
    notes: Iterable[AnkiNote],
    out: IO[bytes],
    timestamp: int,
    progress: Mapping[str, CardProgress] | None = None,
    day_starts_at: int = DAY_STARTS_AT,
) -> None:
    """Write the package for `notes` to `out`. Same arguments, same bytes."""
    given = progress or {}
    items = ((note, given.get(note.card_id)) for note in notes)
    write_package(items, out, timestamp, day_starts_at=day_starts_at)


def write_package(
    items: Iterable[tuple[AnkiNote, CardProgress | None]],
    out: IO[bytes],
    timestamp: int,
    edited: Mapping[str, int] | None = None,
    guids: Mapping[str, str] | None = None,
    day_starts_at: int = DAY_STARTS_AT,
    added: Mapping[str, int] | None = None,
    decks: Mapping[str, str] | None = None,
    leeches: Container[str] = (),
) -> Package:
    """Write the package of the notes in `items`, each with its progress (None: a new card), to
    `out`; return the number of decks the notes are in, and of the cards in `leeches` (the
    leeches here), their note's time and whether it carries the `leech` tag (`Package`). `items`
    is read once, in order, and no note is kept: a generator of notes streams through. Same
    items, same bytes. `edited`: when each card's text last changed, its note's modification
    time (see `note_time`); without it, or for a card it lacks, the package's `timestamp`.
    `guids`: the Anki note GUID of a card converted from one (`import anki --to-yaml`), in place
    of `note_guid`'s. `day_starts_at`: the hour the learner's study day starts, for Anki's count
    of the due days (`day_numbering`). `added`: when each card came into dlcards (seconds since
    the epoch), which its note's and card's ids are made from (`anki_ids`); without it, or for a
    card it lacks, the package's `timestamp`. `decks`: the Anki deck each topic's cards live in,
    as `import anki` last saw them (`Store.anki_decks`: the learner renamed or moved the deck
    there), in place of `Deep Learning::` and the topic's title: Anki matches a package's decks
    by name and never moves a card it holds, so the old name made an empty deck of it again at
    every import; a card new to Anki joins its topic there."""
    from dlcards.cores import gc_paused
    from dlcards.fileio import clean_stale_folders

    clean_stale_folders(WORKDIR_PREFIX)  # those of builds that were killed
    try:
        scratch = tempfile.TemporaryDirectory(prefix=f"{WORKDIR_PREFIX}{os.getpid()}-")
    except OSError as err:  # its folder not made (full, read-only): not the package's file
        from dlcards.errors import DlcardsError

        raise DlcardsError(
            "cannot make the package's collection in the temporary folder "
            f"{tempfile.gettempdir()}: {err.strerror or err}; free some space there, or set "
            "TMPDIR to another folder",
            1,
            "nothing was written",  # (`export.write_output` names the file)
        ) from None
    with scratch as tmp:
        path = Path(tmp) / "collection.anki2"
        conn = sqlite3.connect(path)
        try:
            conn.execute("PRAGMA journal_mode = OFF")  # a scratch file: no journal, no fsync
            conn.execute("PRAGMA synchronous = OFF")
            # no cyclic garbage collection while the rows are made: 100,000 notes and their
            # rows hold no cycles, and its passes over them took ~0.18 s of this process's CPU
            with gc_paused():
                written = _write_collection(
                    conn, items, timestamp, edited, guids, day_starts_at, added, decks, leeches
                )
            conn.commit()
        except sqlite3.Error as err:  # a full temporary folder, `ulimit -f`: one line
            from dlcards.errors import DlcardsError
            from dlcards.fileio import sqlite_write_failure

            why = sqlite_write_failure(err, tmp)
            other = ", or set TMPDIR to another folder" if why.endswith("space there") else ""
            raise DlcardsError(
                f"cannot make the package's collection in the temporary folder {tmp}: {why}{other}",
                1,
                "nothing was written",  # (`export.write_output` names the file)
            ) from None
        finally:
            conn.close()
        from dlcards.export.deflate import copy_deflated

        with zipfile.ZipFile(out, "w") as archive:
            # streamed, not read whole (a 100,000-card collection is about 85 MB), and
            # deflated on every core
            names: dict[str, str] = {}
            media = written.media
            files = [("collection.anki2", path)]
            for index, name in enumerate(sorted(media)):
                names[str(index)] = name
                files.append((str(index), media[name]))
            for entry, file in files:
                with file.open("rb") as src, archive.open(_zip_entry(entry, timestamp), "w") as dst:
                    copy_deflated(src, dst, ZIP_LEVEL)
            media_map = json.dumps(names, sort_keys=True).encode("utf-8")
            archive.writestr(_zip_entry("media", timestamp), media_map)
    return Package(written.deck_count, written.leech_notes)
