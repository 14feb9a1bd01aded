"""Anki's review log -> dlcards reviews: pure conversion, no I/O (the clock's time zone aside).

* Which card: a note dlcards exported has the GUID `genanki.guid_for(card id)`; a card of a
  note converted with `--to-yaml` has an id made from its note's GUID (`dlcards_cards`).
* Which grade: Anki's buttons map to SM-2 grades, Again -> 1 (wrong, remembered on seeing the
  answer), Hard -> 3, Good -> 4, Easy -> 5 (`GRADES`). Rows that are no answer (ease 0: Anki's
  "set due date", "forget", rescheduling) are skipped, and so are previews: answers in a
  filtered deck that does not reschedule (kind 3 with ease factor 0), which Anki itself leaves
  out of scheduling (they are counted, and the import says so).
* Which day: the study day, in the learner's time zone, of the answer's time (the revlog id
  is the answer's time in ms): its local date, the one before until the hour `day_starts_at`
  (4 by default, as in Anki), as a grade given here gets its day. Whether a row schedules or
  is a same-day re-drill (Anki's learning and relearning steps) is not decided here: the
  store re-decides the merged log with `dlcards.grading.redecide`, the same rule as a study
  session.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Container, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from typing import Any

from dlcards.importers.anki_file import AHEAD_MS, Collection, Note, Revlog
from dlcards.settings import DAY_STARTS_AT, LEECH_TAG
from dlcards.sm2 import Grade
from dlcards.store.rows import ImportedReview, ImportedReviews, Suspension

GRADES = {1: Grade.WRONG_REMEMBERED, 2: Grade.HARD, 3: Grade.GOOD, 4: Grade.PERFECT}
"""Anki's answer buttons (revlog ease) -> dlcards grades."""
ANSWER_KINDS = {0, 1, 2, 3}  # learning, review, relearning, filtered-deck answers
PREVIEW_KIND = 3
"""A filtered deck's answer; with ease factor 0 it was a preview in a deck that does not
reschedule, which Anki leaves out of scheduling and statistics (its `is_cramming`)."""


@dataclass(frozen=True)
class Converted:
    """The reviews of known cards, and how many answers belong to notes dlcards does not know."""

    reviews: Sequence[ImportedReview]  # ImportedReviews from `convert`
    unknown_reviews: int
    unknown_notes: int
    answers: int  # every answer in the file
    previews: int = 0  # answers in filtered decks that do not reschedule: not imported
    resets: Mapping[str, int] = field(default_factory=dict)
    """Each known card's last reset in Anki ("Forget": made new), its time in ms: the card
    starts over there, as after `dlcards reset`."""
    deleted: int = 0
    """Of `unknown_reviews`, the answers to cards deleted in Anki: a collection keeps their log
    but not their notes, so no note can say which card they were (`unknown_notes` counts the
    notes of the others)."""


def local_time(ms: int) -> datetime:
    """An Anki timestamp (ms since the epoch) as an aware datetime in the local time zone."""
    seconds, millis = divmod(ms, 1000)  # exact: no float rounding of the milliseconds
    return datetime.fromtimestamp(seconds).astimezone().replace(microsecond=millis * 1000)


def card_id_field(collection: Collection, note: Note) -> str | None:
    """The card id a note holds in its CardId field (a note `export anki` wrote), or None."""
    notetype = collection.notetypes.get(note.notetype)
    if notetype is None or "CardId" not in notetype.fields:
        return None
    at = notetype.fields.index("CardId")
    return note.fields[at].strip() if at < len(note.fields) else None


def exported_converted(collection: Collection, converted: Mapping[str, str]) -> dict[int, str]:
    """The notes `export anki` wrote of cards an earlier `--to-yaml` converted from notes of
    one card, which keep their Anki note's GUID (`converted`: card id -> that GUID; a cloze
    note's `-c1` card, say): note id -> its card's id. Its note type is dlcards's now, not
    the note's own, so the card's id is not to be made again from its GUID and note type."""
    guids = {guid: cid for cid, guid in converted.items()}
    out = {}
    for note in collection.notes:
        card_id = guids.get(note.guid)
        if card_id is not None and card_id_field(collection, note) == card_id:
            out[note.id] = card_id
    return out


def renamed_notes(collection: Collection, deck_guids: Container[str] = ()) -> set[str]:
    """The card ids of the notes `export anki` wrote whose GUID is not the one made from the
    card id (`dlcards_notes`): cards converted from Anki notes, exported with their note's
    GUID. Only these need that GUID to be known (`exported_converted`). With `deck_guids`
    (the GUIDs the decks give, `anki_guid:`), also the card of each note of one of them that
    is no dlcards note: a card exported in its note's own note type (`anki_note_type:`),
    which has no CardId field; its id is the one made from the GUID (`card_id_for` of its
    first card: `-c1` of a cloze)."""
    from dlcards.importers.anki_notes import card_id_for

    def made(note: Note) -> str | None:
        if note.guid not in deck_guids:
            return None
        notetype = collection.notetypes.get(note.notetype)
        return card_id_for(note.guid, 0, notetype is not None and notetype.cloze)

    ours = dlcards_notes(collection)
    return {
        cid
        for note in collection.notes
        if note.id not in ours and (cid := card_id_field(collection, note) or made(note))
    }


def dlcards_cards(
    collection: Collection, card_ids: Iterable[str], converted: Mapping[str, str] | None = None
) -> dict[int, str]:
    """Anki card id -> dlcards card id, for the cards dlcards knows: notes dlcards exported
    (GUID `guid_for(card id)`, or a converted card's note GUID: `exported_converted`), and
    cards of notes an earlier `--to-yaml` converted (their ids are made from the note's
    GUID)."""
    from dlcards.importers.anki_notes import card_id_for

    known = set(card_ids)
    by_guid = dict(_known_guids(collection, known))
    notes = {n.id: n for n in collection.notes}
    theirs = exported_converted(collection, converted or {})
    by_guid |= {notes[nid].guid: cid for nid, cid in theirs.items() if cid in known}
    out = {}
    for card in collection.cards:
        note = notes.get(card.note)
        if note is None:
            continue
        if note.guid in by_guid:
            if card.ord == 0:  # the note's first card; one Anki added to it: `extra_cards`
                out[card.id] = by_guid[note.guid]
            continue
        notetype = collection.notetypes.get(note.notetype)
        made = card_id_for(note.guid, card.ord, bool(notetype and notetype.cloze))
        if made in known:
            out[card.id] = made
    return out


def unkept_guids(
    collection: Collection, cards: Mapping[int, str], kept: Mapping[str, str]
) -> dict[str, str]:
    """The GUIDs of the notes of one card that an earlier `--to-yaml` converted into cards of
    `cards` (their ids made from the GUID) and that neither their deck (`anki_guid:`) nor the
    database keeps (`kept`): decks converted by a dlcards before it kept them. Card id -> its
    note's GUID, for the import to keep: else `export anki` made each such card a new note,
    a copy beside the original in the collection it came from."""
    from dlcards.importers.anki_notes import card_id_for

    per_note = Counter(c.note for c in collection.cards)
    notes = {n.id: n for n in collection.notes}
    held = set(kept.values())  # another card's already: two notes of one GUID in a package
    out = {}
    for card in collection.cards:
        note = notes.get(card.note)
        cid = cards.get(card.id)
        if (
            note is None
            or cid is None
            or not cid.startswith("anki-")  # (a converted card's id: `card_id_for`)
            or cid in kept
            or per_note[card.note] != 1
            or note.guid in held
        ):
            continue
        notetype = collection.notetypes.get(note.notetype)
        # the id the conversion made of it (a one-cloze note's is its `-c1`): not a note
        # dlcards exported, whose GUID is made from the card id
        if cid == card_id_for(note.guid, card.ord, bool(notetype and notetype.cloze)):
            out[cid] = note.guid
    return out


def extra_cards(
    collection: Collection, cards: Mapping[int, str], exported: Container[int]
) -> dict[int, str]:
    """The cards Anki holds of the notes dlcards exported (`exported`: note ids) whose first
    card is one of `cards` (`dlcards_cards`) besides that one (a reverse card, after the note
    type was changed in Anki): Anki card id -> the dlcards card of its note. A dlcards note
    has one card, so these are not imported."""
    note_card = {
        c.note: cards[c.id] for c in collection.cards if c.id in cards and c.note in exported
    }
    return {
        c.id: note_card[c.note]
        for c in collection.cards
        if c.note in note_card and c.id not in cards
    }


def exported_notes(
    collection: Collection, card_ids: Iterable[str], converted: Mapping[str, str]
) -> set[int]:
    """The notes dlcards exported: a GUID made from a card id here (its note type changed in
    Anki or not), a converted card's note (`exported_converted`), or one another dlcards
    exported (`dlcards_notes`)."""
    guids = _known_guids(collection, card_ids)
    made = {n.id for n in collection.notes if n.guid in guids}
    return made | set(exported_converted(collection, converted)) | set(dlcards_notes(collection))


def converted_others(
    collection: Collection, cards: Mapping[int, str], exported: Container[int]
) -> dict[int, str]:
    """The cards of notes an earlier `--to-yaml` converted (a card of theirs is in `cards`,
    and they are not notes dlcards exported, `exported`) that are not in `cards`: a card
    taken out of its deck, or one Anki holds empty (a cloze taken out of the text). Anki
    card id -> the id the card has, or would have, here."""
    from dlcards.importers.anki_notes import card_id_for

    converted = {c.note for c in collection.cards if c.id in cards and c.note not in exported}
    notes = {n.id: n for n in collection.notes if n.id in converted}
    out = {}
    for card in collection.cards:
        note = notes.get(card.note)
        if note is None or card.id in cards:
            continue
        notetype = collection.notetypes.get(note.notetype)
        out[card.id] = card_id_for(note.guid, card.ord, bool(notetype and notetype.cloze))
    return out


def empty_clozes(collection: Collection, anki_cards: Container[int]) -> set[int]:
    """Of these Anki cards, those of a cloze note whose text no longer holds the card's cloze
    (Anki's "empty card": a cloze taken out of the text; Tools > Empty Cards deletes it)."""
    from dlcards.importers.anki_notes import has_cloze

    notes = {n.id: n for n in collection.notes}
    out = set()
    for card in collection.cards:
        note = notes.get(card.note)
        if card.id not in anki_cards or note is None:
            continue
        notetype = collection.notetypes.get(note.notetype)
        if notetype is not None and notetype.cloze and not has_cloze(note, notetype, card):
            out.add(card.id)
    return out


def preview_answers(collection: Collection) -> dict[int, int]:
    """How many previews (answers in a filtered deck that does not reschedule: `is_preview`)
    the log holds of each Anki card, by its id."""
    return dict(Counter(row.card for row in collection.revlog if is_preview(row)))


def deleted_answers(collection: Collection) -> dict[int, list[int]]:
    """The answers the log holds of each Anki card the file has no card of (deleted in Anki:
    a collection keeps their log, not their notes): that card's id -> the answers' ids."""
    held = {c.id for c in collection.cards}
    out: dict[int, list[int]] = {}
    for row in collection.revlog:
        if row.card not in held and is_answer(row):
            out.setdefault(row.card, []).append(row.id)
    return out


def dlcards_notes(collection: Collection) -> dict[int, str]:
    """Every note dlcards exported, from decks loaded here or not: note id -> its card's id.
    Such a note holds the id in its CardId field, and its GUID is made from it (`note_guid`):
    a package another dlcards (other decks, another `--decks`) exported is recognised too."""
    from dlcards.export.anki import note_guids

    if "dlcards_notes" not in collection.memo:
        held = [(n, cid) for n in collection.notes if (cid := card_id_field(collection, n))]
        guids = note_guids(cid for _, cid in held)
        collection.memo["dlcards_notes"] = {
            n.id: cid for (n, cid), guid in zip(held, guids, strict=True) if guid == n.guid
        }
    return dict(collection.memo["dlcards_notes"])


def _known_guids(collection: Collection, card_ids: Iterable[str]) -> dict[str, str]:
    """The GUID `export anki` gives the note of each of `card_ids` -> that card id (made
    once per collection for the same ids: an import asks for them more than once)."""
    from dlcards.export.anki import note_guids

    known = frozenset(card_ids)
    key = ("guids", known)
    if key not in collection.memo:
        ids = list(known)
        collection.memo[key] = dict(zip(note_guids(ids), ids, strict=True))
    guids: dict[str, str] = collection.memo[key]
    return guids


def carries_scheduling(collection: Collection) -> bool:
    """Whether the file shows its cards' scheduling: a review log, or a card studied,
    suspended or buried. Anki's export without "Include scheduling information" makes every
    card new and active (keeping each card's `mod`) and leaves the log out, so such a file says
    nothing of what the learner suspended; nor does one where nothing was ever studied,
    suspended or buried."""
    return bool(collection.revlog) or any(
        c.studied or c.suspended or c.buried for c in collection.cards
    )


def anki_suspensions(
    collection: Collection, cards: Mapping[int, str], now: int | None = None
) -> dict[str, Suspension]:
    """Each known card's suspension in Anki (queue -1) and when the card last changed there
    (`cards.mod`, s). A buried card is left out: burying lasts a day in Anki, and says
    nothing about whether the learner wants the card studied. So is a card changed more
    than a day after `now` (s; None: no limit), on a device whose clock was ahead
    (`changed_ahead`): its time would beat every change made here until that day comes."""
    latest = None if now is None else now + AHEAD_MS // 1000
    return _flags(collection, cards, lambda mod: latest is None or mod <= latest)


def changed_ahead(
    collection: Collection, cards: Mapping[int, str], now: int
) -> dict[str, Suspension]:
    """The known cards Anki changed more than a day after `now` (s), on a device whose clock
    was ahead, with their flag there and that time (`cards.mod`): `anki_suspensions` leaves
    them out. Anki's Tools > Check Database does not set such a card's time right; changing
    the card again there does."""
    latest = now + AHEAD_MS // 1000
    return _flags(collection, cards, lambda mod: mod > latest)


def buried_cards(collection: Collection, cards: Mapping[int, str]) -> list[str]:
    """The known cards buried in Anki (queue -2 or -3), which `anki_suspensions` leaves out:
    burying lasts a day there and says nothing of the learner's wish, so the flag here stays.
    A card also in the file unburied (twice) is not one."""
    buried = {cards[c.id] for c in collection.cards if c.id in cards and c.buried}
    seen = {cards[c.id] for c in collection.cards if c.id in cards and not c.buried}
    return sorted(buried - seen)


def _flags(
    collection: Collection, cards: Mapping[int, str], taken: Callable[[int], bool]
) -> dict[str, Suspension]:
    """Each known card's flag in Anki and its time, of the cards not buried whose time
    (`cards.mod`) `taken` takes; of a card in the file twice, the later."""
    out: dict[str, Suspension] = {}
    for card in collection.cards:
        card_id = cards.get(card.id)
        if card_id is None or card.buried or not taken(card.mod):
            continue
        known = out.get(card_id)
        if known is None or (known.changed or 0) < card.mod:
            out[card_id] = Suspension(card.suspended, card.mod)
    return out


def home_decks(
    collection: Collection,
    cards: Mapping[int, str],
    topic_of: Callable[[str], str | None],
    named: Mapping[str, str],
) -> dict[str, str]:
    """The Anki deck each topic's cards live in (`topic_of`: a known card's topic, None for a
    card in no deck here), for `export anki` to name the topic's deck so: Anki matches a
    package's decks by name and never moves a card it holds, so a package naming a deck the
    learner renamed or moved made it again, empty, at every import. A card's deck is its home
    deck (`Card.deck`: a card in a filtered deck, for now, counts in its own). A topic whose
    cards the learner split between decks takes the deck most of them live in: a card Anki
    holds stays where it is whatever the package names (no deck is made empty that way: each
    is one the cards live in), and a card new to Anki goes where most of its topic is. A tie
    keeps the deck the topic is exported to now (`named`: topic -> that deck), else takes the
    first name in order, so the same file gives the same decks."""
    counts: dict[str, Counter[str]] = {}
    for card in collection.cards:
        card_id = cards.get(card.id)
        deck = collection.decks.get(card.deck)
        topic = None if card_id is None else topic_of(card_id)
        if topic is None or not deck:
            continue
        counts.setdefault(topic, Counter())[deck] += 1
    out = {}
    for topic, decks in counts.items():
        most = max(decks.values())
        tied = sorted(deck for deck, n in decks.items() if n == most)
        now = named.get(topic)
        out[topic] = now if now in tied else tied[0]
    return out


def tagged_notes(collection: Collection, cards: Mapping[int, str]) -> dict[str, int]:
    """The known cards whose note in Anki has the `leech` tag (in any case, as Anki compares
    tags), each with when its note last changed there (`notes.mod`, in s; of a card in the
    file twice, the later): the store keeps it for a leech here (`Store.remember_leech_tags`),
    so that the tag's removal, Anki's own or one an export sent, is read at a later import."""
    notes = {n.id: n for n in collection.notes}
    out: dict[str, int] = {}
    for card in collection.cards:
        card_id = cards.get(card.id)
        note = notes.get(card.note)
        if card_id is not None and note is not None and _has_leech_tag(note):
            out[card_id] = max(out.get(card_id, note.mod), note.mod)
    return out


def _has_leech_tag(note: Note) -> bool:
    return any(tag.lower() == LEECH_TAG for tag in note.tags)


def untagged_notes(collection: Collection, cards: Mapping[int, str]) -> dict[str, int]:
    """The known cards whose note in Anki has no `leech` tag (in any case, as Anki compares
    tags), each with when its note last changed there (`notes.mod`, in ms): Anki's way to take
    a leech's mark off is to remove that tag, which changes the note's `mod`. The store takes
    the mark off a leech whose note had the tag, as an export sent it or an import found it,
    and changed since (`Store.unleech_untagged`); a card whose note has the tag, or is in the
    file twice with it once, is left out."""
    notes = {n.id: n for n in collection.notes}
    out: dict[str, int] = {}
    tagged: set[str] = set()
    for card in collection.cards:
        card_id = cards.get(card.id)
        note = notes.get(card.note)
        if card_id is None or note is None:
            continue
        if _has_leech_tag(note):
            tagged.add(card_id)
        else:
            out[card_id] = max(out.get(card_id, 0), note.mod * 1000)
    return {cid: mod for cid, mod in out.items() if cid not in tagged and mod > 0}


def newer_suspensions(
    anki: Mapping[str, Suspension], here: Mapping[str, Suspension]
) -> dict[str, Suspension]:
    """The flags to take from Anki: the newer change wins. A card suspended on one side only
    takes Anki's flag when Anki's card changed (a suspension, an unsuspension, a review: its
    `mod`) after dlcards last set the flag, or dlcards never set it (no time); the flag's time
    becomes Anki's, so the same file imported again changes nothing. A tie is dlcards's."""
    out = {}
    for card_id, there in anki.items():
        mine = here.get(card_id)
        if mine is None or mine.suspended == there.suspended or there.changed is None:
            continue
        if mine.changed is None or there.changed > mine.changed:
            out[card_id] = there
    return out


def agreeing_later(
    anki: Mapping[str, Suspension], here: Mapping[str, Suspension]
) -> dict[str, Suspension]:
    """The flags dlcards already has, whose time to take from Anki: Anki's card changed
    later than dlcards last set the flag (or dlcards never set it). Else a file exported
    before that change and imported after it (the wrong order) found the card's flag never
    changed here, or changed before its own, and took it: a suspension the learner had taken
    back on the phone came back."""
    out = {}
    for card_id, there in anki.items():
        mine = here.get(card_id)
        if mine is None or mine.suspended != there.suspended or not there.changed:
            continue  # 0: a package card that claims no time (`export anki` without progress)
        if mine.changed is None or there.changed > mine.changed:
            out[card_id] = there
    return out


class LocalTimes:
    """`local_time` for many timestamps, as `stamp(ms) -> (ISO text with milliseconds, local
    day)`: the local offset is looked up once per hour of time (at both ends of the hour: when
    they agree, every moment of it has that offset), and the rest is arithmetic on whole
    seconds; an hour with a change of offset in it goes moment by moment through `local_time`.
    The same text and day as `local_time`'s (tests compare them across offset changes), at a
    fraction of the cost."""

    def __init__(self) -> None:
        # hour -> (offset in seconds, the ISO suffix of that offset), or None: moment by moment
        self._zones: dict[int, tuple[int, str] | None] = {}
        self._days: dict[int, tuple[date, str]] = {}
        self._suffixes: dict[int, str] = {}  # offset in seconds -> "+05:30"

    def _zone(self, hour: int) -> tuple[int, str] | None:
        import time

        offset = time.localtime(hour * 3600).tm_gmtoff
        if offset != time.localtime(hour * 3600 + 3599).tm_gmtoff:
            return None
        return offset, self._suffix(offset)

    def _suffix(self, offset: int) -> str:
        """The ISO suffix of an offset in seconds ("+05:30"; with seconds, "+00:53:28")."""
        try:
            return self._suffixes[offset]
        except KeyError:
            zone = timezone(timedelta(seconds=offset))
            text = datetime.fromtimestamp(0, zone).isoformat(timespec="milliseconds")
            suffix = self._suffixes[offset] = text[len("2000-01-01T00:00:00.000") :]
            return suffix

    def stamp(self, ms: int) -> tuple[str, date]:
        seconds, millis = divmod(ms, 1000)
        hour = seconds // 3600
        try:
            zone = self._zones[hour]
        except KeyError:
            zone = self._zones[hour] = self._zone(hour)
        if zone is None:
            when = local_time(ms)
            return when.isoformat(timespec="milliseconds"), when.date()
        offset, suffix = zone
        days, second = divmod(seconds + offset, 86400)
        try:
            day, text = self._days[days]
        except KeyError:
            day = date.fromordinal(_EPOCH_ORDINAL + days)
            self._days[days] = day, text = day, day.isoformat()
        hh, rest = divmod(second, 3600)
        mm, ss = divmod(rest, 60)
        return f"{text}T{hh:02d}:{mm:02d}:{ss:02d}.{millis:03d}{suffix}", day


_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()


FIRST_ANSWER_MS = 946_684_800_000
"""2000-01-01 00:00 UTC: an answer dated before it was given while the device's clock had gone
back (one without its battery starts in 1970); Anki itself is from 2006."""


def answers_before_2000(collection: Collection, cards: Mapping[int, str]) -> dict[int, int]:
    """Take the rows dated before FIRST_ANSWER_MS out of `collection`'s log (in place): no one
    can tell when they were given, and imported they were replayed first, before the reviews
    that really came before them (a failure on a phone whose clock read 1970 became a new
    card's first sight, and the card ended as if passed last). Returns how many of them were
    answers to each of `cards` (the ones the import would have taken; by Anki card id, of the
    cards that have some), for the import to say."""
    import bisect
    from collections import Counter

    cut = bisect.bisect_left([r.id for r in collection.revlog], FIRST_ANSWER_MS)  # time order
    early = collection.revlog[:cut]
    del collection.revlog[:cut]
    return dict(Counter(r.card for r in early if r.card in cards and is_answer(r)))


def is_answer(row: Revlog) -> bool:
    """An answer that schedules in Anki (`has_rating_and_affects_scheduling` there): a button
    pressed, not a preview."""
    return row.ease in GRADES and row.kind in ANSWER_KINDS and not is_preview(row)


def is_preview(row: Revlog) -> bool:
    return row.ease in GRADES and row.kind == PREVIEW_KIND and row.factor == 0


RESET_KIND = 4
"""Anki's manual rows; with ease 0 and ease factor 0, a reset (`is_reset` there: "Forget"),
where "set due date" keeps the card's ease factor."""


def is_reset(row: Revlog) -> bool:
    return row.kind == RESET_KIND and row.ease == 0 and row.factor == 0


def last_resets(rows: Iterable[tuple[int, int]], cards: Mapping[int, str]) -> dict[str, int]:
    """The time (ms) of the last reset of each card in `cards` among `rows`, (Anki card, time)
    pairs of reset rows."""
    out: dict[str, int] = {}
    for anki_card, when in rows:
        card_id = cards.get(anki_card)
        if card_id is not None:
            out[card_id] = max(out.get(card_id, when), when)
    return out


def convert(
    collection: Collection, cards: Mapping[int, str], starts_at: int = DAY_STARTS_AT
) -> Converted:
    """Every answer in the collection's log of a card in `cards`, as a dlcards review: the
    reviews as columns (`ImportedReviews`), converted with NumPy; the same rows, texts and
    days as `convert_rows` (tests compare them), which does it row by row, and takes over
    when a value does not fit the arrays (it then raises what it raises). A review's day is
    its study day, the day starting at the hour `starts_at` (the collection's
    `day_starts_at`), as dlcards's own reviews are given theirs; its time stays the moment."""
    try:
        return _convert_columns(collection, cards, starts_at)
    except (OverflowError, TypeError, ValueError):
        return convert_rows(collection, cards, starts_at)


def study_day(stamp: str, day: date, starts_at: int) -> date:
    """The study day of a review at local time `stamp` (ISO) on the calendar day `day`."""
    return day - timedelta(days=1) if int(stamp[11:13]) < starts_at else day


_LOG_COLUMNS = ("id", "card", "ease", "kind", "ms", "factor")


def _convert_columns(
    collection: Collection, cards: Mapping[int, str], starts_at: int = DAY_STARTS_AT
) -> Converted:
    import itertools
    import operator

    import numpy as np

    log = collection.revlog
    n = len(log)
    # the log's columns in one walk of its rows (a walk per column: 0.60 -> 0.41 s at 1M); a
    # `Revlog` is the tuple of them in this order, walked as it is (no getter per row: 1M
    # rows, 0.19-0.21 -> 0.12-0.14 s), any other row through its attributes
    walked: Iterable[Iterable[int]] = log
    if Revlog._fields != _LOG_COLUMNS or not set(map(type, log)) <= {Revlog}:
        walked = map(operator.attrgetter(*_LOG_COLUMNS), log)
    values = itertools.chain.from_iterable(walked)
    table = np.fromiter(values, np.int64, n * len(_LOG_COLUMNS)).reshape(n, len(_LOG_COLUMNS))
    # each column a strided view of the table, not a copy (1M rows: 0.11 s in an import)
    ms, anki_card, ease, kind, taken, factor = table.T
    pressed = np.isin(ease, list(GRADES))
    preview = pressed & (kind == PREVIEW_KIND) & (factor == 0)
    answer = pressed & np.isin(kind, list(ANSWER_KINDS)) & ~preview
    reset = np.flatnonzero((kind == RESET_KIND) & (ease == 0) & (factor == 0))
    pairs = zip(anki_card[reset].tolist(), ms[reset].tolist(), strict=True)
    resets = last_resets(pairs, cards)
    keys = np.array(sorted(cards), np.int64)
    at = np.minimum(np.searchsorted(keys, anki_card), max(len(keys) - 1, 0))
    known = answer & (keys[at] == anki_card) if len(keys) else np.zeros(n, bool)
    unknown = answer & ~known
    note_of = {c.id: c.note for c in collection.cards}
    unknown_cards = np.unique(anki_card[unknown]).tolist()
    unknown_notes = {note_of[c] for c in unknown_cards if c in note_of}
    gone = [c for c in unknown_cards if c not in note_of]
    deleted = int(np.count_nonzero(np.isin(anki_card[unknown], gone))) if gone else 0
    rows = np.flatnonzero(known)
    stamps, days = _stamps(ms[rows], starts_at)
    grade_of = np.zeros(max(GRADES) + 1, np.int64)
    for e, g in GRADES.items():
        grade_of[e] = int(g)
    taken = taken[rows]
    reviews = ImportedReviews(
        [cards[k] for k in keys.tolist()], at[rows], ms[rows], stamps, days,
        grade_of[ease[rows]], np.where(taken > 0, taken / 1000, np.nan),
    )  # fmt: skip
    return Converted(
        reviews, int(np.count_nonzero(unknown)), len(unknown_notes), int(answer.sum()),
        int(np.count_nonzero(preview)), resets, deleted,
    )  # fmt: skip


_STAMP_FIELDS = [("day", "S10"), ("clock", "S9"), ("millis", "S4"), ("zone", "S6"), ("end", "S1")]
"""An ISO text with milliseconds and its line's end, `2026-03-02` `T05:15:00` `.000` `+05:30`
`\\n`, as the fields of a NumPy record."""


def _digits(values: Any, width: int) -> Any:
    """Non-negative ints as rows of `width` ASCII digits (uint8), zero-padded."""
    import numpy as np

    out = np.empty((len(values), width), np.uint8)
    for place in range(width):
        out[:, width - 1 - place] = ord("0") + values // 10**place % 10
    return out


def _clock_texts() -> Any:
    """`THH:MM:SS` of each second of a day (an S9 array, by the second)."""
    import numpy as np

    second = np.arange(86400)
    out = np.empty((86400, 9), np.uint8)
    out[:, 0] = ord("T")
    out[:, 3] = out[:, 6] = ord(":")
    out[:, 1:3] = _digits(second // 3600, 2)
    out[:, 4:6] = _digits(second // 60 % 60, 2)
    out[:, 7:9] = _digits(second % 60, 2)
    return out.view("S9").ravel()


def _millis_texts() -> Any:
    """`.mmm` of each millisecond of a second (an S4 array, by the millisecond)."""
    import numpy as np

    out = np.empty((1000, 4), np.uint8)
    out[:, 0] = ord(".")
    out[:, 1:] = _digits(np.arange(1000), 3)
    return out.view("S4").ravel()


def _stamps(ms: Any, starts_at: int = DAY_STARTS_AT) -> tuple[list[str], Any]:
    """`LocalTimes.stamp` for an int64 array of Anki timestamps, as (texts, study days as
    ordinals, `study_day`):
    each hour's offset looked up once (below), the texts written as records of their parts
    (`_STAMP_FIELDS`: each part taken from a table of its texts, the day's, the second's of
    the day, the millisecond's and the offset's; fewer passes and temporaries than a byte
    column filled digit by digit: 1M stamps in a new process, 0.44 -> 0.33 s the first time,
    0.14 -> 0.13 s warm), a line each, and made strings by one decode and split (NumPy's
    bytes -> str conversion of 1M texts took 0.2-0.4 s, this 0.12 s); a moment in an hour with
    a change of offset, or with an offset of seconds (before time zones), goes through
    `LocalTimes.stamp`."""
    from time import localtime

    import numpy as np

    local = LocalTimes()
    seconds, millis = np.divmod(ms, 1000)
    hours, hour_of = np.unique(seconds // 3600, return_inverse=True)
    # each hour's offset at its start and at the next hour's: when they agree, every moment of
    # the hour has it (as at `LocalTimes._zone`'s two ends; a change at the next hour's start
    # itself only sends the hour moment by moment). One look-up an hour instead of two, and
    # none per hour in Python beyond it (80,000 hours: 0.19 -> 0.07 s).
    starts = np.union1d(hours, hours + 1)
    offset_at = np.array([localtime(h * 3600).tm_gmtoff for h in starts.tolist()], np.int64)
    at = np.searchsorted(starts, hours)  # and at + 1: the next hour, also in `starts`
    zones, zone_of = np.unique(offset_at[at], return_inverse=True)
    texts = [local._suffix(offset) for offset in zones.tolist()]
    minutes = np.array([len(text) == 6 for text in texts], bool)  # not an offset of seconds
    plain = ((offset_at[at] == offset_at[at + 1]) & minutes[zone_of])[hour_of]
    offsets = offset_at[at][hour_of]
    suffixes = np.array([t.encode("ascii") if len(t) == 6 else b"+00:00" for t in texts], "S6")
    days, second = np.divmod(seconds + offsets, 86400)
    days = days + _EPOCH_ORDINAL
    text = np.empty(len(ms), _STAMP_FIELDS)
    distinct, day_of = np.unique(days[plain], return_inverse=True)
    iso = np.array([date.fromordinal(d).isoformat() for d in distinct.tolist()], "S10")
    if not plain.all():
        text["day"] = b"0000-00-00"  # (those rows' texts are made below)
    text["day"][plain] = iso[day_of.ravel()]
    text["clock"] = _clock_texts()[second]
    text["millis"] = _millis_texts()[millis]
    text["zone"] = suffixes[zone_of.ravel()][hour_of]
    text["end"] = b"\n"
    stamps = text.tobytes().decode("ascii").split("\n")
    stamps.pop()  # after the last line's end
    days = days - (second < starts_at * 3600)  # before the day's start hour: the day before
    for i in np.flatnonzero(~plain).tolist():
        stamp, day = local.stamp(int(ms[i]))
        stamps[i] = stamp
        days[i] = study_day(stamp, day, starts_at).toordinal()
    return stamps, days


def convert_rows(
    collection: Collection, cards: Mapping[int, str], starts_at: int = DAY_STARTS_AT
) -> Converted:
    """`convert`, row by row (its reference, and its way for values the arrays cannot
    hold)."""
    note_of = {c.id: c.note for c in collection.cards}
    reviews = []
    unknown_notes: set[int] = set()
    unknown = answers = previews = deleted = 0
    local = LocalTimes()
    grade_of = {ease: int(grade) for ease, grade in GRADES.items()}
    for row in collection.revlog:
        if not is_answer(row):
            previews += is_preview(row)
            continue
        answers += 1
        card_id = cards.get(row.card)
        if card_id is None:
            unknown += 1
            if row.card in note_of:
                unknown_notes.add(note_of[row.card])
            else:
                deleted += 1
            continue
        reviewed_at, day = local.stamp(row.id)
        day = study_day(reviewed_at, day, starts_at)
        reviews.append(
            ImportedReview(
                card_id, row.id, reviewed_at, day, grade_of[row.ease],
                row.ms / 1000 if row.ms > 0 else None,
            )
        )  # fmt: skip
    resets = last_resets(((r.card, r.id) for r in collection.revlog if is_reset(r)), cards)
    return Converted(reviews, unknown, len(unknown_notes), answers, previews, resets, deleted)
