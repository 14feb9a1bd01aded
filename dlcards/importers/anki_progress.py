"""Anki's review log -> dlcards reviews: pure conversion, no I/O (the clock's time zone aside).

* Which card: a note dlcards exported has the GUID `genanki.guid_for(card id)`; a card of a
  note converted with `--to-yaml` has an id made from its note's GUID (`dlcards_cards`).
* Which grade: Anki's buttons map to SM-2 grades, Again -> 1 (wrong, remembered on seeing the
  answer), Hard -> 3, Good -> 4, Easy -> 5 (`GRADES`). Rows that are no answer (ease 0: Anki's
  "set due date", "forget", rescheduling) are skipped.
* Which day: the local calendar day, in the learner's time zone, of the answer's time (the
  revlog id is the answer's time in ms). Whether a row schedules or is a same-day re-drill
  (Anki's learning and relearning steps) is not decided here: the store re-decides the merged
  log with `dlcards.grading.redecide`, the same rule as a study session.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone

from dlcards.importers.anki_file import Collection, Revlog
from dlcards.sm2 import Grade
from dlcards.store.rows import ImportedReview

GRADES = {1: Grade.WRONG_REMEMBERED, 2: Grade.HARD, 3: Grade.GOOD, 4: Grade.PERFECT}
"""Anki's answer buttons (revlog ease) -> dlcards grades."""
ANSWER_KINDS = {0, 1, 2, 3}  # learning, review, relearning, filtered (cram) answers


@dataclass(frozen=True)
class Converted:
    """The reviews of known cards, and how many answers belong to notes dlcards does not know."""

    reviews: list[ImportedReview]
    unknown_reviews: int
    unknown_notes: int
    answers: int  # every answer in the file


def local_time(ms: int) -> datetime:
    """An Anki timestamp (ms since the epoch) as an aware datetime in the local time zone."""
    seconds, millis = divmod(ms, 1000)  # exact: no float rounding of the milliseconds
    return datetime.fromtimestamp(seconds).astimezone().replace(microsecond=millis * 1000)


def dlcards_cards(collection: Collection, card_ids: Iterable[str]) -> dict[int, str]:
    """Anki card id -> dlcards card id, for the cards dlcards knows: notes dlcards exported
    (GUID `guid_for(card id)`), and cards of notes an earlier `--to-yaml` converted (their
    ids are made from the note's GUID)."""
    from dlcards.export.anki import note_guid
    from dlcards.importers.anki_notes import card_id_for

    known = set(card_ids)
    by_guid = {note_guid(cid): cid for cid in known}
    notes = {n.id: n for n in collection.notes}
    out = {}
    for card in collection.cards:
        note = notes.get(card.note)
        if note is None:
            continue
        if note.guid in by_guid:
            if card.ord == 0:
                out[card.id] = by_guid[note.guid]
            continue
        notetype = collection.notetypes.get(note.notetype)
        converted = card_id_for(note.guid, card.ord, bool(notetype and notetype.cloze))
        if converted in known:
            out[card.id] = converted
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
        try:
            suffix = self._suffixes[offset]
        except KeyError:
            zone = timezone(timedelta(seconds=offset))
            text = datetime.fromtimestamp(0, zone).isoformat(timespec="milliseconds")
            suffix = self._suffixes[offset] = text[len("2000-01-01T00:00:00.000") :]
        return offset, suffix

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


def is_answer(row: Revlog) -> bool:
    return row.ease in GRADES and row.kind in ANSWER_KINDS


def convert(collection: Collection, cards: Mapping[int, str]) -> Converted:
    """Every answer in the collection's log of a card in `cards`, as a dlcards review."""
    note_of = {c.id: c.note for c in collection.cards}
    reviews = []
    unknown_notes: set[int] = set()
    unknown = answers = 0
    local = LocalTimes()
    grade_of = {ease: int(grade) for ease, grade in GRADES.items()}
    for row in collection.revlog:
        if not is_answer(row):
            continue
        answers += 1
        card_id = cards.get(row.card)
        if card_id is None:
            unknown += 1
            unknown_notes.add(note_of.get(row.card, -row.card))
            continue
        reviewed_at, day = local.stamp(row.id)
        reviews.append(
            ImportedReview(
                card_id, row.id, reviewed_at, day, grade_of[row.ease],
                row.ms / 1000 if row.ms > 0 else None,
            )
        )  # fmt: skip
    return Converted(reviews, unknown, len(unknown_notes), answers)
