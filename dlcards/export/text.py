"""Notes -> Anki's plain-text import format (File > Import, "Notes in Plain Text").

The file is UTF-8 with header lines that tell Anki everything it would otherwise ask::

    #separator:tab
    #html:true
    #columns:guid	notetype	deck	Front	Back	Topic	Source	CardId	tags
    #guid column:1
    #notetype column:2
    #deck column:3
    #tags column:9

then one note a line, the same notes (GUIDs, fields, decks, tags) as the .apkg export. A field
is quoted CSV-style (double quotes, inner quotes doubled) when it holds a tab, a line break or
a quote, or starts with "#" (Anki would take the line for a comment). The notes use the
"dlcards" note type, which Anki creates when the .apkg is imported; the text file then adds
and updates notes by GUID. A card converted from an Anki note that keeps its note type
(`anki_note_type:`) is written in it, as the .apkg writes it: the note type's id in the
notetype column, its fields in the field columns (the rest empty, which Anki leaves out), so
that Anki updates its note (in another note type it is "conflicting", never updated).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import TextIO

from dlcards.export.anki import FIELDS, MODEL_NAME, AnkiNote, exported_guid, kept_fields

COLUMNS = ("guid", "notetype", "deck", *FIELDS, "tags")

HEADER = (
    "#separator:tab",
    "#html:true",
    "#columns:" + "\t".join(COLUMNS),
    f"#guid column:{COLUMNS.index('guid') + 1}",
    f"#notetype column:{COLUMNS.index('notetype') + 1}",
    f"#deck column:{COLUMNS.index('deck') + 1}",
    f"#tags column:{COLUMNS.index('tags') + 1}",
)


def quote(field: str) -> str:
    """A field as Anki's reader wants it: as is, or in double quotes with quotes doubled
    (a tab, a line break or a quote in it, or a "#" first). Four `in` tests, each a scan in
    C: a generator over the four characters took twice as long, and a regular expression
    with "#" at the start as an alternative six times as long (it tries both at each place)."""
    if '"' in field or "\t" in field or "\n" in field or "\r" in field or field[:1] == "#":
        return '"' + field.replace('"', '""') + '"'
    return field


def note_line(note: AnkiNote, guid: str | None = None, deck: str | None = None) -> str:
    notetype, fields = MODEL_NAME, note.fields
    own = None if note.notetype is None else kept_fields(note.notetype, fields)
    # in the columns there are: a field past them (empty: the question's and the answer's
    # are the only ones filled) is left out, which Anki leaves as the note has it
    if (
        note.notetype is not None
        and own is not None
        and not any(own[len(FIELDS) :])
        and (guid is None or guid == note.guid)
    ):
        notetype = str(note.notetype.id)  # Anki reads a number there as a note type's id
        fields = (*own, *[""] * (len(FIELDS) - len(own)))[: len(FIELDS)]
    values: Sequence[str] = (
        guid or note.guid,
        notetype,
        deck or note.deck,
        *fields,
        " ".join(note.tags),
    )
    return "\t".join(map(quote, values))


def write_text(
    notes: Iterable[AnkiNote],
    out: TextIO,
    header: bool = True,
    guids: Mapping[str, str] | None = None,
    decks: Mapping[str, str] | None = None,
) -> None:
    """Write the header (unless told not to: a later chunk of notes) and one line per note
    (\\n line ends; open `out` as UTF-8). `guids`: the Anki note GUID of a card converted
    from one (`import anki --to-yaml`), in place of its own, as the .apkg writes it. `decks`:
    the Anki deck a topic's cards live in (`Store.anki_decks`), as the .apkg names it."""
    for line in HEADER if header else ():
        out.write(line + "\n")
    for note in notes:
        deck = decks.get(note.topic) if decks else None
        out.write(note_line(note, exported_guid(note, guids), deck) + "\n")
