"""Anki notes -> dlcards YAML decks (`dlcards import anki FILE --to-yaml DIR`).

* One deck file per Anki deck (the deck of each card), topic slug from the deck's name.
* Card ids come from the note's GUID, so importing the same notes again gives the same ids:
  `anki-<first 10 hex digits of sha256(guid)>`, then `-2`, `-3`... for a note type's second,
  third... template, or `-c1`, `-c2`... for each cloze.
* Standard note types (Basic, "Basic (and reversed card)", "Basic (optional reversed card)",
  "Basic (type in the answer)", and any like them): each template becomes a card; its question
  is the template's front as Anki renders it (its own words, its sections, its fields through
  their filters, the special fields `{{Deck}}`, `{{Tags}}`...; no answer box, hint or spoken
  field), its answer the other fields its back shows for the note (its sections too), then
  each hint of the front (`{{hint:F}}`, a link in Anki) after the hint's name.
* Cloze: one card per cloze number; the question shows that cloze as a blank `[...]` (or
  `[hint]`) and the others filled in, then the other fields the front shows (a source), the
  answer shows it filled in and bold, then the fields the back adds (Back Extra). A cloze card
  whose cloze is not in the text (one of Anki's empty cards) is left out.
* HTML becomes the decks' Markdown (`**bold**`, `*italic*`, `` `code` ``, `<br>` for line
  breaks, Markdown specials escaped), MathJax `\\(...\\)` / `\\[...\\]` becomes `$...$` /
  `$$...$$`, `<img src alt>` (`![alt](media/x.png)`) and `[sound:]` become references to
  copies in `DIR/media/`; a link is its text and its target, `text (https://...)`.
  `<sup>`/`<sub>` become Unicode's superscript/subscript characters where each character has
  one (`x²`, `wᵢⱼ`), else math (`e$^{-x/2}$`). A table row is a line, its cells apart with
  ` | ` (a line break in a cell `; `); an ordered list's items are numbered as it numbers them
  (`start`, `type`, `reversed`, `value`), a nested list indented with no-break spaces; emphasis
  never spans a line break; runs of one style that touch are one, and a run the Markdown would
  not read as emphasis (`**(a)**b`) is plain text. `<hr>` is a line `───`; a `<pre>` block's
  lines are code spans, indent kept; `<s>`/`<del>` are `~~struck~~`, `<u>` italic, `<kbd>`
  code, `<q>` quoted, a ruby's reading in parentheses; spaces typed in a row (`&nbsp; &nbsp;`)
  stay as wide; math inside code stays its source (MathJax leaves it), an empty `\\(\\)` is
  nothing. A `<span style>` that raises, lowers, emboldens, slants or strikes is that tag.
* A note type whose templates show no field on one side (or an image occlusion) cannot be
  converted; its notes are counted by note type name and skipped. Notes dlcards itself
  exported are skipped too.
"""

from __future__ import annotations

import hashlib
import html
import os
import re
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from collections.abc import Collection as Container
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import quote, unquote

from dlcards.deck import ANKI_ROOT_DECK, AnkiNoteType
from dlcards.errors import quoted
from dlcards.importers.anki_file import Card, Collection, Note, NoteType, Template
from dlcards.markup import is_remote

if TYPE_CHECKING:
    from dlcards.fileio import Replaced

MEDIA_DIR = "media"
_REF = re.compile(r"\{\{([^#/^!{}][^{}]*)\}\}")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")  # what a deck may not hold


@dataclass(frozen=True)
class Pair:
    """A delimited span, `opener(.*?)closer` (`.+?` with `min_body` 1)."""

    opener: re.Pattern[str]
    closer: re.Pattern[str]
    min_body: int = 0


# MathJax's `\(...\)` and `\[...\]`
MATHJAX = (
    Pair(re.compile(r"\\\("), re.compile(r"\\\)")),
    Pair(re.compile(r"\\\["), re.compile(r"\\\]")),
)
# Anki's LaTeX tags (rslib/src/latex.rs), which it typesets into images: `[latex]...[/latex]` a
# LaTeX document's body, `[$]...[/$]` inline math, `[$$]...[/$$]` display math
ANKI_LATEX = (
    Pair(re.compile(r"\[latex\]", re.I), re.compile(r"\[/latex\]", re.I), 1),
    Pair(re.compile(r"\[\$\]"), re.compile(r"\[/\$\]"), 1),
    Pair(re.compile(r"\[\$\$\]"), re.compile(r"\[/\$\$\]"), 1),
)


def sub_pairs(text: str, pairs: Sequence[Pair], repl: Callable[[int, str, str], str]) -> str:
    """`text` with each span of `pairs` replaced by `repl(which pair, body, whole span)`: what
    `re.sub` of `opener(.*?)closer|...` does (the leftmost span, the first pair that matches
    there, its nearest closer), in time linear in the text. The regex's lazy body scanned to
    the end of the field for each opener with no closer after it: a field of 20,000 `\\(`
    took 3.6 s, 60,000 characters of `[$]` 6 s."""
    import bisect

    closers = [[(m.start(), m.end()) for m in p.closer.finditer(text)] for p in pairs]
    starts = [[start for start, _ in found] for found in closers]
    openers = sorted(
        (m.start(), k, m.end()) for k, p in enumerate(pairs) for m in p.opener.finditer(text)
    )
    out, at = [], 0
    for start, k, end in openers:
        if start < at:
            continue
        i = bisect.bisect_left(starts[k], end + pairs[k].min_body)
        if i == len(starts[k]):
            continue
        close_start, close_end = closers[k][i]
        out += [text[at:start], repl(k, text[end:close_start], text[start:close_end])]
        at = close_end
    return "".join(out) + text[at:]


_LATEX_MATH = re.compile(r"\$\$(.+?)\$\$|\$(.+?)\$", re.DOTALL)
_LATEX_DISPLAY = re.compile(r"\s*\\begin\{(\w+\*?)\}.*\\end\{\1\}\s*", re.DOTALL)
_SOUND = re.compile(r"\[sound:([^\]]+)\]")
_SLUG_JUNK = re.compile(r"[^a-z0-9]+")
_MARKDOWN_SPECIAL = re.compile(r"([\\`*$])")
_ENTITY_LIKE = re.compile(r"&(?=#?[A-Za-z0-9]+;)")
_BR_LIKE = re.compile(r"<(?=\s*br\b)", re.IGNORECASE)
_MATH_AT = re.compile("\x00(\\d+)\x00([^\x00]?)")


@dataclass(frozen=True)
class YamlCard:
    id: str
    question: str
    answer: str
    tags: tuple[str, ...]
    # its Anki note's GUID, for a card converted from a note of one card (`Converted.guids`)
    anki_guid: str | None = None
    # and that note's note type, when the card is two of its fields (`kept_note_type`)
    note_type: AnkiNoteType | None = None


@dataclass
class YamlDeck:
    topic: str
    title: str
    cards: list[YamlCard] = field(default_factory=list)
    anki_deck: str | None = None  # its `anki_deck:` (`deck_title`)
    name: str = ""  # the Anki deck's whole name
    # the notes added in Anki to a topic's deck here: that topic's own cards (`own_cards:`),
    # in a file beside the others that the catalog counts as the topic's
    own_cards: bool = False

    @property
    def file_name(self) -> str:
        return f"{self.topic}{OWN_CARDS_SUFFIX if self.own_cards else ''}.yaml"


OWN_CARDS_SUFFIX = "-own-cards"
"""The end of the name of a deck file of the learner's own cards of a topic (`YamlDeck`)."""


@dataclass
class Converted:
    decks: list[YamlDeck]
    cards: dict[int, str]  # Anki card id -> dlcards card id
    topics: dict[str, str]  # dlcards card id -> topic
    media: dict[str, Path]  # media file name -> the unpacked file to copy
    skipped: Counter[str]  # note type name -> notes that could not be converted
    exported: int  # notes dlcards exported (already in dlcards)
    # dlcards card id -> its Anki note's GUID, for a note converted into one card: exported
    # back, the card is that note (Anki keeps its own), not a copy beside it
    guids: dict[str, str] = field(default_factory=dict)
    # note type name -> its cards left out for an empty side (no text once converted): a
    # dlcards card needs a question and an answer
    empty: Counter[str] = field(default_factory=Counter)
    # dlcards tag -> the Anki tags (two or more, different in Anki) it was made of
    merged: dict[str, list[str]] = field(default_factory=dict)
    # note type name -> its cloze cards whose cloze is no longer in the note's text (Anki's
    # empty cards, an error on screen there until Tools > Empty Cards removes them)
    no_cloze: Counter[str] = field(default_factory=Counter)
    # cards left out as a deck already holds them (converted before, into another folder)
    before: int = 0
    # of the cards left out as converted before, those whose deck gives no `anki_note_type:`
    # where their note has one (an older dlcards converted them): dlcards card id -> its
    # deck file. Exported in dlcards's note type, their notes are "conflicting" in Anki.
    untyped: dict[str, str] = field(default_factory=dict)
    # note type name (a key of `skipped`) -> why its notes could not be converted
    why: dict[str, str] = field(default_factory=dict)
    # media files the cards show that the file does not hold (exported without its media)
    missing: list[str] = field(default_factory=list)


# --- identity -----------------------------------------------------------------------------------


def note_key(guid: str) -> str:
    return "anki-" + hashlib.sha256(guid.encode("utf-8")).hexdigest()[:10]


def card_id_for(guid: str, ord_: int, cloze: bool) -> str:
    """The dlcards id of an Anki card: its note's key, then `-c<n>` for cloze n, `-<n>` for a
    note type's n-th template (n > 1)."""
    if cloze:
        return f"{note_key(guid)}-c{ord_ + 1}"
    return note_key(guid) + (f"-{ord_ + 1}" if ord_ > 0 else "")


MAX_SLUG = 40
"""The longest topic slug made from an Anki deck name (a deck five levels down made one of
118 characters, which every table and prompt then carries)."""


def _slugged(name: str) -> str:
    """`name` in lower-case ASCII letters and digits, a dash between runs of them. Each other
    character is transliterated first (anyascii: `Ünïcode::数学` is unicode-shuxue, `Русский`
    russkiy, `😀 Emoji` grinning-emoji), without the apostrophe-like marks it gives for a
    sound (العربية is l`rbyh there, lrbyh here). Before, every character but a-z and 0-9 was
    a dash: `Ünïcode::数学` was n-code, a name in Chinese, Arabic or emoji alone no slug."""
    if not name.isascii():
        import unicodedata

        from anyascii import anyascii

        name = "".join(
            c if c.isascii() else _SOUND_MARKS.sub("", anyascii(c))
            for c in unicodedata.normalize("NFC", name)
        )
    return _SLUG_JUNK.sub("-", name.lower().replace("::", "-")).strip("-")


_SOUND_MARKS = re.compile(r"['`]")


def slug(name: str, taken: Container[str]) -> str:
    """A topic slug for an Anki deck name, not one of `taken`: its whole path
    (`ML::Deep Learning`: ml-deep-learning), transliterated to ASCII (`_slugged`), or where
    that is longer than MAX_SLUG its last deck's name, cut after a whole word if it must be."""
    base = _slugged(name) or "anki"
    if len(base) > MAX_SLUG:
        base = _slugged(name.split("::")[-1]) or base
        if len(base) > MAX_SLUG:
            cut = base[: MAX_SLUG + 1]
            base = cut[: cut.rfind("-")] if "-" in cut[1:] else base[:MAX_SLUG]
            base = base.strip("-")
    if not base[0].isalpha() or base in taken:
        base = f"anki-{base}"
    candidate, n = base, 1
    while candidate in taken:
        n += 1
        candidate = f"{base}-{n}"
    return candidate


_ANKI_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def _anki_tag(tag: str) -> str:
    """A tag as Anki registers it (rslib/src/tags/register.rs): NFC, ASCII control
    characters out, each part of a hierarchy trimmed, an empty one `blank`."""
    import unicodedata

    parts = (_ANKI_CONTROL.sub("", part).strip() or "blank" for part in tag.split("::"))
    return unicodedata.normalize("NFC", "::".join(parts))


def tag_of(tag: str) -> str:
    """An Anki tag as a dlcards tag (`dlcards.deck.tag_problem`): as Anki registers it, in
    lower case (Anki's tags are case-insensitive), and a space or control character Anki
    keeps (a no-break space: it splits tags only at ' ' and U+3000) as `_`, or left out.
    `C++` is `c++`, `日本::タグ` itself."""
    from dlcards.deck import tag_form

    if not tag:
        return ""
    return tag_form("_".join(_CONTROL.sub("", _anki_tag(tag)).split()))


SYSTEM_TAGS = frozenset({"leech", "marked"})
"""Anki's marks of a card's state, not of what a note is about: the tag its scheduler gives a
leech, and the browser's mark. Anki takes them off a note it exports without its scheduling
(`remove_system_tags`, rslib/src/import_export/gather.rs); a deck card here has no such
state in its text (a leech here is a flag the reviews set, which `export anki` writes as
Anki's tag), so they are not made tags of the cards converted."""


def anki_tag_key(tag: str) -> str:
    """What Anki compares tags by: as it registers them, case folded (`STRASSE`, `straße`)."""
    return _anki_tag(tag).casefold()


# --- templates ----------------------------------------------------------------------------------


_UNSHOWN = ("type", "hint")  # on a front: an answer box, a hint shown only when clicked


def _parts(ref: str) -> tuple[list[str], str]:
    """A field reference's filters, in the order Anki applies them (the one next to the
    field first: `{{text:hint:F}}` is hint, then text), and its field's name."""
    *filters, name = (part.strip() for part in ref.split(":"))
    return filters[::-1], name


def _speaks(filters: Iterable[str]) -> bool:
    """`{{tts en_US:Field}}`: Anki speaks the field and shows a play button, not its text."""
    return any(f.startswith("tts ") for f in filters)


def referenced(
    template: str, fields: Iterable[str], front: bool = False, unshown: Iterable[str] = _UNSHOWN
) -> list[str]:
    """The note's fields a template shows, in order (`{{Field}}`, `{{text:Field}}`, ...). On
    a front, a filter of `unshown` keeps its field from being asked: `{{type:Field}}` is an
    answer box and `{{hint:Field}}` hidden until clicked. A field only spoken (`{{tts ...:
    Field}}`) is not shown. A note type's own field wins over a special field of its name
    (`Type`, `Deck`), as in Anki."""
    names = set(fields)
    out = []
    for ref in _REF.findall(template):
        filters, name = _parts(ref)
        if (front and set(unshown) & set(filters)) or _speaks(filters):
            continue
        if name in names and name not in out:
            out.append(name)
    return out


_SECTION_TAG = re.compile(r"\{\{\s*([#^/])\s*([^{}]+?)\s*\}\}")
_EMPTY_FIELD = re.compile(r"(?:\s|</?(?:br|div) ?/?>)*", re.IGNORECASE)


def field_is_empty(text: str) -> bool:
    """Anki's test (`field_is_empty`): only whitespace and empty `<br>` or `<div>` tags."""
    return _EMPTY_FIELD.fullmatch(text) is not None


def sections(template: str, values: dict[str, str]) -> str:
    """`template` with each conditional section (`{{#Field}}...{{/Field}}`, `{{^Field}}`)
    kept or taken out as Anki does for a note whose fields are `values`: sections nest (a
    closer closes the innermost open section of its name, as Anki's parser pairs them),
    one pass over the template's tags. What Anki refuses as a template (an opener never
    closed, a closer with no opener) is kept as its text.

    (The regex this replaces, `{{#X}}(.*?){{/X}}` applied until nothing changed, looked for
    each opener's closer to the end of the template: a template of 8,000 unclosed openers
    took 3.2 s per note, the square of its length; and it paired `{{#A}}1{{#A}}2{{/A}}3{{/A}}`
    as two sections side by side, leaving `3{{/A}}` of a hidden one.)"""
    # the template's pieces in order, each open section's opener among them (its text, for
    # as long as it may stay unclosed); an open section: its kind (# or ^), its name and
    # where its opener is. A section closed is one step: its opener's text emptied (shown)
    # or its opener and all after it cut off (hidden); one never closed keeps them.
    out: list[str] = []
    open_: list[tuple[str, str, int]] = []
    depth: dict[str, int] = {}  # open sections by name
    at = 0
    for tag in _SECTION_TAG.finditer(template):
        out.append(template[at : tag.start()])
        at = tag.end()
        kind, name = tag[1], tag[2]
        if kind != "/":
            open_.append((kind, name, len(out)))
            out.append(tag[0])
            depth[name] = depth.get(name, 0) + 1
        elif not depth.get(name):
            out.append(tag[0])  # a closer of no open section: its text
        else:
            while True:  # the sections opened inside it and never closed keep their text
                kind, opened, where = open_.pop()
                depth[opened] -= 1
                if opened == name:
                    break
            if field_is_empty(values.get(name, "")) == (kind == "^"):
                out[where] = ""
            else:
                del out[where:]
    out.append(template[at:])
    return "".join(out)


def special_fields(
    note: Note, notetype: NoteType, template: str, deck: str, ord_: int
) -> dict[str, str]:
    """The fields Anki adds to a note's own when it renders a card (`add_special_fields` in
    rslib/src/notetype/render.rs): its tags, note type, deck, last deck of that, the card's
    template name, and `c<n>` for card n (so `{{#c2}}...{{/c2}}` shows on card 2 alone); a
    field of the note's of one of those names wins. `{{FrontSide}}` is nothing on a front
    (the answer here is apart from the question)."""
    values = dict(zip(notetype.fields, note.fields, strict=False))
    special = {
        "Tags": " ".join(note.tags),
        "Type": notetype.name,
        "Deck": deck,
        "Subdeck": deck.rsplit("::", 1)[-1],
        "Card": template,
        "FrontSide": "",
        f"c{ord_ + 1}": "1",
    }
    return {**special, **values}


def _furigana_spans(text: str) -> list[tuple[int, int, int, int]]:
    """Where Anki's furigana regex (` ?([^ >]+?)\\[(.+?)\\]`, rslib/src/template_filters.rs)
    matches in `text`, left to right as `re.sub` finds them: each (start, the base's start, its
    `[`, its `]`). In time linear in the text: Python's backtracking regex scanned the rest
    of the field for each `[` with no `]` after it (`a[` 20,000 times took over a minute).
    A `[` at b opens a reading if a `]` comes at b + 2 or later with no line break before it;
    a base is the shortest run of characters but space and `>` that ends at such a `[`."""
    n = len(text)
    close = [n] * (n + 3)  # the first `]` at or after i
    newline = [n] * (n + 3)  # the first line break at or after i
    stop = [n] * (n + 3)  # the first space or `>` at or after i
    for i in range(n - 1, -1, -1):
        c = text[i]
        close[i] = i if c == "]" else close[i + 1]
        newline[i] = i if c == "\n" else newline[i + 1]
        stop[i] = i if c in " >" else stop[i + 1]
    opens = [n] * (n + 2)  # the first `[` at or after i that opens a reading
    for i in range(n - 1, -1, -1):
        opens[i] = opens[i + 1]
        if text[i] == "[" and (end := close[i + 2]) < n and newline[i + 1] > end:
            opens[i] = i
    spans = []
    at = 0
    while at < n:
        base = at + (text[at] == " ")
        if base < n and text[base] not in " >" and (bracket := opens[base + 1]) < stop[base]:
            spans.append((at, base, bracket, close[bracket + 2]))
            at = close[bracket + 2] + 1
        else:
            at += 1
    return spans


def _ruby(text: str, kind: str) -> str:
    """Anki's `furigana`, `kana` and `kanji` filters (rslib/src/template_filters.rs) of
    `日本[にほん]`: a ruby, the reading alone, the word alone; a `[sound:...]` is left."""
    text = text.replace("&nbsp;", " ")
    out, at = [], 0
    for start, base_at, bracket, end in _furigana_spans(text):
        base, reading = text[base_at:bracket], text[bracket + 1 : end]
        out.append(text[at:start])
        if reading.startswith("sound:"):
            out.append(text[start : end + 1])
        elif kind == "kana":
            out.append(reading)
        elif kind == "kanji":
            out.append(base)
        else:
            out.append(f"<ruby><rb>{base}</rb><rt>{reading}</rt></ruby>")
        at = end + 1
    return "".join(out) + text[at:]


_TAGS = (re.compile(r"<[^>]*>"), re.compile(r"<[^>]+>"))


def without_tags(text: str, repl: str, least: int = 0) -> str:
    """`text` with each HTML tag (`<[^>]*>`, with `least` 1 `<[^>]+>`) replaced by `repl`: the
    regex's substitution, run only up to the last `>` (no tag closes after it). The regex
    scanned to the end of the text from each `<` after the last `>`: 100,000 of them, a
    field through `{{text:F}}` or math's body, took seconds."""
    end = text.rfind(">") + 1
    return _TAGS[least].sub(repl, text[:end]) + text[end:]


def filtered(value: str, filters: Iterable[str]) -> str:
    """A field's HTML through the filters Anki shows text with, in order: `text` strips its
    HTML, `furigana`, `kana` and `kanji` read `word[reading]` as Anki does; the others leave
    it (an unknown filter is an add-on's, which Anki without it leaves as it is too)."""
    for name in filters:
        if name == "text":
            value = without_tags(value, "")
        elif name in ("furigana", "kana", "kanji"):
            value = _ruby(value, name)
    return value


def front_html(template: str, values: dict[str, str], blanks: dict[str, str] | None = None) -> str:
    """A card's front as Anki renders its template: the template's own text (`What is the
    capital of {{Country}}?`) with each field in its place, through its filters, a
    conditional section (`{{#Field}}...{{/Field}}`, `{{^Field}}`) shown as Anki shows it.
    `values` holds the special fields too (`special_fields`). An answer box (`{{type:...}}`),
    a hint (`{{hint:...}}`, shown when clicked: the answer holds it) and a spoken field
    (`{{tts ...:...}}`) are left out; with `blanks` (each cloze field's name and its
    question), `{{cloze:...}}` is the blank."""

    def ref(match: re.Match[str]) -> str:
        filters, name = _parts(match[1])
        if set(_UNSHOWN) & set(filters) or _speaks(filters):
            return ""
        if blanks is not None and "cloze" in filters and name in blanks:
            return blanks[name]
        return filtered(values.get(name, ""), filters)

    return _REF.sub(ref, sections(template, values))


def back_fields(
    template: Template, fields: Iterable[str], values: dict[str, str], asked: Iterable[str]
) -> list[str]:
    """What a card's answer adds to its question, each an HTML part: the fields its back
    shows for this note (its conditional sections as Anki shows them) that its front does not
    (`asked`: the fields the note's front shows), through the back's filters, then each hint
    of its front (`{{hint:Field}}`, a link Anki's front and back show and reveal when
    clicked; the terminal has no link, so the answer holds it, after the field's name as the
    link says it) not shown already."""
    names = set(fields)
    back = sections(template.back, values)
    shown: dict[str, list[str]] = {}
    for ref in _REF.findall(back):
        filters, name = _parts(ref)
        if name in names and name not in asked and name not in shown and not _speaks(filters):
            shown[name] = filters
    for ref in _REF.findall(sections(template.front, values)):
        filters, name = _parts(ref)
        if "hint" in filters and name in names and name not in shown and name not in asked:
            shown[name] = filters
    return [_shown_on_back(name, values.get(name, ""), filters) for name, filters in shown.items()]


def _shown_on_back(name: str, value: str, filters: list[str]) -> str:
    """A field of the answer through its filters; a hint after its name, as its link says."""
    text = filtered(value, filters)
    if "hint" in filters and not field_is_empty(value):
        return f"<i>{html.escape(name)}</i>: {text}"
    return text


def _join(parts: Iterable[str]) -> str:
    return "<br><br>".join(p for p in parts if p)


# --- HTML -> Markdown ---------------------------------------------------------------------------


_TEX_ESCAPES = {
    "\\": r"\backslash ",
    "{": r"\{",
    "}": r"\}",
    "%": r"\%",
    "#": r"\#",
    "&": r"\&",
    "_": r"\_",
    "~": r"\sim ",
    "*": r"\ast ",  # "**" would be bold to the decks' Markdown, even in math
    " ": r"\ ",
}
_PLACEHOLDER = re.compile("\x00(\\d+)\x00")
_SIMPLE_SCRIPT = re.compile(r"[^\W_]+")


class _Script:
    """An open `<sup>` or `<sub>`: what it holds, as text and as TeX."""

    def __init__(self, mark: str) -> None:
        self.mark = mark  # "^" | "_"
        self.parts: list[tuple[str | None, str]] = []  # (its TeX if not text, its text)

    def add(self, text: str, tex: str | None = None) -> None:
        self.parts.append((tex, text))

    def text(self) -> str:
        return " ".join("".join(text for _, text in self.parts).split())

    def tex(self) -> str:
        out = "".join(
            "".join(_TEX_ESCAPES.get(c, c) for c in " ".join(text.split())) if tex is None else tex
            for tex, text in self.parts
        )
        return out.strip().removeprefix("\\ ").removesuffix("\\ ")

    def shown(self, text: str) -> str:
        """As the terminal writes a script that has no Unicode characters: ^2x, ^(-x/2)."""
        return self.mark + (text if _SIMPLE_SCRIPT.fullmatch(text) else f"({text})")


INDENT = "\xa0" * 3
"""A nested list's indent, each level: no-break spaces, which the decks' `<br>` keeps."""
MAX_INDENT = 8
"""The deepest a nested list is indented (3,000 lists in one another made 13 MB of no-break
spaces for 3,000 words)."""
CELL_BREAK = "; "
"""A line break inside a table cell: its row stays one line."""
_MARKER = re.compile("\x02(\\d+)\x02")
_LINE_BREAKS = re.compile(r"((?:[ \t\n]*<br>[ \t\n]*)+)")


@dataclass
class _List:
    """An open `<ul>` or `<ol>`: its items' markers, numbered once it closes (a `reversed`
    list counts down from its number of items)."""

    ordered: bool
    start: int | None = None
    reversed: bool = False
    style: str = "1"  # <ol type>: 1, a, A, i, I
    items: list[tuple[int, int | None]] = field(default_factory=list)  # marker, <li value>


@dataclass
class _Table:
    """An open `<table>`: how many cells its open row has shown, and where its open cell's
    text starts (None between cells)."""

    cells: int = 0
    row: bool = False
    cell: int | None = None


RULE = "───"
"""A horizontal rule (`<hr>`), on a line of its own."""
_SPACES = re.compile(r"\s+")


def _spaces(run: re.Match[str]) -> str:
    """Whitespace as a browser shows it: a space, but a run holding a no-break space (what
    Anki's editor writes for spaces typed in a row: `&nbsp; &nbsp;`) as wide as it is."""
    return "\xa0" * len(run[0]) if len(run[0]) > 1 and "\xa0" in run[0] else " "


def _code_span(text: str) -> str:
    """`text` in a code span: a run of backticks longer than any inside it, and a space
    inside where it starts or ends with one."""
    ticks = "`" * (max(map(len, re.findall("`+", text)), default=0) + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{ticks}{pad}{text}{pad}{ticks}"


def _preformatted(text: str) -> str:
    """A `<pre>` block's text: each line a code span, its indent and the spaces inside it
    kept (no-break spaces: Anki's HTML and the terminal show them), the lines apart."""
    lines = text.expandtabs(4).split("\n")
    while lines and not lines[0].strip():
        lines.pop(0)
    while lines and not lines[-1].strip():
        lines.pop()
    return "<br>".join(
        _code_span(re.sub(r"(?:^ +| {2,})", lambda m: "\xa0" * len(m[0]), line.rstrip()))
        if line.strip()
        else ""
        for line in lines
    )


# what an address keeps as it is in a deck's image reference (no space or parenthesis there)
_URL_SAFE = "/:?#[]@!$&'*+,;=%~"


def _literal(text: str) -> str:
    """Text Anki shows as it is, written so that the decks' Markdown reads it so: its
    Markdown specials escaped, and what would read as an entity, a line break, a sound
    (`&#91;sound:x]`, which Anki shows as text: its sounds were taken out first) or an image
    (`![a](b.png)` typed in Anki)."""
    text = _MARKDOWN_SPECIAL.sub(r"\\\1", text)
    text = _BR_LIKE.sub("&lt;", _ENTITY_LIKE.sub("&amp;", text))
    return text.replace("[sound:", "\\[sound:").replace("![", "!\\[")


def _alt(text: str) -> str:
    """An image's alt text as the decks' Markdown holds it: a backslash and a closing
    bracket escaped, and what would read as an entity or a line break."""
    text = text.replace("\\", "\\\\").replace("]", "\\]")
    return _BR_LIKE.sub("&lt;", _ENTITY_LIKE.sub("&amp;", text))


_STYLES = (
    ("sup", re.compile(r"vertical-align\s*:\s*super")),
    ("sub", re.compile(r"vertical-align\s*:\s*sub\b")),
    ("b", re.compile(r"font-weight\s*:\s*(?:bold|bolder|[6-9]00)")),
    ("i", re.compile(r"font-style\s*:\s*(?:italic|oblique)")),
    ("s", re.compile(r"text-decoration(?:-line)?\s*:[^;]*line-through")),
)


def _styled(attrs: dict[str, str | None]) -> list[str]:
    """The tags a `<span style>` stands for where its style carries meaning (raised or
    lowered, bold, italic, struck through: what older Anki editors and pasted pages write);
    colours and fonts are left, as `<font>` is."""
    style = (attrs.get("style") or "").lower()
    return [tag for tag, pattern in _STYLES if pattern.search(style)]


_LINK = re.compile(r"(?i)(?!javascript:|data:|vbscript:)[a-z][a-z0-9+.-]*:\S|www\.")
_PLACE = re.compile(r"(?i)^(?:[a-z][a-z0-9+.-]*:(?://)?)?(?:www\.)?|/$")


def _same_place(href: str, text: str) -> bool:
    """Whether a link's text is its target (`https://x.org/` shown as `x.org`)."""
    return _PLACE.sub("", href).casefold() == _PLACE.sub("", " ".join(text.split())).casefold()


def _label(n: int, style: str) -> str:
    """An ordered list's item number as its `type` writes it: 3, c, C, iii, III."""
    if n <= 0 or style == "1" or (style in "iI" and n >= 4000):  # as a browser: 4000 in digits
        return str(n)
    if style in "aA":
        out = ""
        while n:
            n, rest = divmod(n - 1, 26)
            out = chr(ord(style) + rest) + out
        return out
    roman = ""
    for value, letters in zip(
        (1000, 900, 500, 400, 100, 90, 50, 40, 10, 9, 5, 4, 1),
        ("m", "cm", "d", "cd", "c", "xc", "l", "xl", "x", "ix", "v", "iv", "i"),
        strict=True,
    ):
        count, n = divmod(n, value)
        roman += letters * count
    return roman.upper() if style == "I" else roman


def _number(value: str | None) -> int | None:
    try:
        return int((value or "").strip())
    except ValueError:
        return None


class _Markdown(HTMLParser):
    _BLOCK = {
        "address", "article", "aside", "blockquote", "caption", "center", "details", "dd",
        "div", "dl", "dt", "fieldset", "figcaption", "figure", "footer", "form", "h1", "h2",
        "h3", "h4", "h5", "h6", "header", "legend", "li", "main", "nav", "ol", "p", "pre",
        "section", "summary", "table", "tr", "ul",
    }  # fmt: skip
    # emphasis as the decks' Markdown writes it: underline as italic, struck text as ~~it~~
    # (which reads as struck, not as the words meant: `<s>5</s> 6`)
    _STYLE = {
        "b": "**", "strong": "**", "i": "*", "em": "*", "u": "*", "ins": "*", "var": "*",
        "cite": "*", "dfn": "*", "s": "~~", "del": "~~", "strike": "~~",
    }  # fmt: skip
    _CODE = {"code", "kbd", "samp", "tt"}
    _DROP = {"script", "style", "rp"}  # <rp>: the parentheses a browser without ruby shows
    _SCRIPT = {"sup": "^", "sub": "_"}

    def __init__(self, media: set[str], maths: list[str], sources: list[str]) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        # where the pieces at the end of `out` that show nothing start: blank ones (nothing but
        # spaces, tabs and newlines) and empty ones (`.strip()`, no-break spaces too); and up
        # to where `_break` has emptied the blank ones. Kept as `out` grows: `_break` and a
        # table cell's break walked back over every such piece each time (a field of `<p> `
        # 8,000 times took 2 s, a cell of 8,000 lines 0.2 s)
        self.blank = 0
        self.empty = 0
        self.cleared = 0
        self.stack: list[tuple[str, int, bool]] = []  # open emphasis: tag, start, marked
        self.opened: Counter[str] = Counter()  # how many of `stack` each tag has
        self.marks: list[str] = []  # each run's mark: `**`, `*`, `~~`, or "`" for code
        self.media = media
        self.maths = maths  # inline and display math, each "$...$" or "$$...$$"
        self.sources = sources  # each math's text as Anki shows it in code (MathJax skips it)
        self.pre: list[str] | None = None  # an open <pre>'s text
        self.spans: list[list[str]] = []  # each open <span>: the tags its style stands for
        self.pres = 0
        self.scripts: list[_Script] = []
        self.lists: list[_List] = []
        self.labels: list[str] = []  # each list item's marker, once its list is numbered
        self.tables: list[_Table] = []
        # each open <a>: its target, where its text starts in `link_text` (the text of every
        # open link, each piece once: a piece for each open link made 8,000 links never
        # closed take the square of their number)
        self.links: list[tuple[str, int]] = []
        self.link_text: list[str] = []
        self.fresh = False  # a list item's marker was the last thing written
        self.cell_break = False  # a line break in a table cell, written before its next text
        self.code = 0
        self.drop = 0

    # -- writing --

    def _put(self, text: str) -> None:
        """Text shown: after a line break a table cell is waiting for, if it has one."""
        if self.pre is not None:
            self.pre.append(text)
            return
        if text.strip():
            if self.cell_break:
                self._append(CELL_BREAK)
                self.cell_break = False
            self.fresh = False
        self._append(text)

    def _append(self, text: str) -> None:
        self.out.append(text)
        if text.strip():
            self.empty = len(self.out)
        if text.strip(" \t\n"):
            self.blank = len(self.out)

    def _cell(self) -> _Table | None:
        return self.tables[-1] if self.tables and self.tables[-1].cell is not None else None

    def _break(self) -> None:
        """A new line, unless one was just started: the whitespace between blocks, which a
        browser does not show, taken out; in a table cell, CELL_BREAK before its next text."""
        if self.fresh:
            return
        cell = self._cell()
        if cell is not None:
            assert cell.cell is not None
            self.cell_break = self.empty > cell.cell  # a piece of the cell shows something
            return
        at = self.blank
        if at and self.out[at - 1] == "<br>":
            return
        for i in range(max(at, self.cleared), len(self.out)):
            self.out[i] = ""  # emptied, not removed: the open spans hold indexes into out
        self.cleared = len(self.out)
        if at:
            self._append("<br>")

    def _item(self, tag: str, attrs: dict[str, str | None]) -> None:
        """A list item's marker (or a definition's indent), on a line of its own."""
        self.fresh = False  # after an empty item too
        self._break()
        cell = self._cell() is not None
        if tag == "dd":
            marker = "" if cell else INDENT
        else:
            depth = min(max(len(self.lists) - 1, 0), MAX_INDENT)
            indent = "" if cell else INDENT * depth
            if self.lists and self.lists[-1].ordered:
                self.lists[-1].items.append((len(self.labels), _number(attrs.get("value"))))
                self.labels.append("")
                marker = f"{indent}\x02{len(self.labels) - 1}\x02"
            else:
                marker = f"{indent}• "
        if marker:
            self._put(marker)
            self.fresh = True

    def _close_list(self) -> None:
        listed = self.lists.pop()
        step = -1 if listed.reversed else 1
        n = (
            listed.start
            if listed.start is not None
            else (len(listed.items) if listed.reversed else 1)
        )
        for at, value in listed.items:
            n = value if value is not None else n
            self.labels[at] = f"{_label(n, listed.style)}. "
            n += step

    def _open_cell(self) -> None:
        if not self.tables:
            self.tables.append(_Table())
        table = self.tables[-1]
        if not table.row:
            self._open_row()
        self._close_cell()
        if table.cells:
            self._put(" | ")
        table.cells += 1
        table.cell = len(self.out)

    def _close_cell(self) -> None:
        if self.tables and self.tables[-1].cell is not None:
            self.tables[-1].cell = None
            self.cell_break = False

    def _open_row(self) -> None:
        self._close_row()
        self._break()
        self.tables[-1].row, self.tables[-1].cells = True, 0

    def _close_row(self) -> None:
        self._close_cell()
        if self.tables[-1].row:
            self.tables[-1].row = False
            self._break()

    # -- parsing --

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "span":  # a style that means something: as the tag that says it
            styled = [] if self.scripts or self.pre is not None else _styled(dict(attrs))
            self.spans.append(styled)
            for each in styled:
                self.handle_starttag(each, [])
        elif tag in self._DROP:
            self.drop += 1
        elif tag in self._SCRIPT:
            self.scripts.append(_Script(self._SCRIPT[tag]))
        elif self.scripts:
            return  # in a superscript or a subscript: its text alone
        elif tag == "pre":
            if self.pre is None:
                self._break()
                self.pre = []
            self.pres += 1
        elif self.pre is not None:  # preformatted: its lines and its text
            if tag == "br" or tag in self._BLOCK:
                self.pre.append("\n")
        elif tag == "hr":
            self._break()
            self._put(RULE)
            self._break()
        elif tag == "q":
            self._put("“")
        elif tag == "rt":
            self._put("(")
        elif tag == "br":
            if self._cell() is not None:
                self._break()
            else:
                self._put("<br>")
        elif tag in ("td", "th"):
            self._open_cell()
        elif tag == "tr":
            if not self.tables:
                self.tables.append(_Table())
            self._open_row()
        elif tag in self._BLOCK:
            named = dict(attrs)
            if tag == "table":
                self._break()
                self.tables.append(_Table())
            elif tag in ("ul", "ol"):
                self._break()
                self.fresh = False  # a list inside an item starts under its text
                style = (named.get("type") or "1").strip()
                self.lists.append(
                    _List(
                        tag == "ol",
                        _number(named.get("start")),
                        "reversed" in named,
                        style if style in ("1", "a", "A", "i", "I") else "1",
                    )
                )
            elif tag in ("li", "dd"):
                self._item(tag, named)
            else:
                self._break()
        elif tag in self._STYLE or tag in self._CODE:
            mark = self._STYLE.get(tag, "`")
            inside = any(self._STYLE.get(t, "`") == mark for t, _, on in self.stack if on)
            self.stack.append((tag, len(self.out), not inside))  # <i><u>x</u></i>: *x*
            self.opened[tag] += 1
            self.code += tag in self._CODE
        elif tag == "a":
            self.links.append(((dict(attrs).get("href") or "").strip(), len(self.link_text)))
        elif tag == "img":
            named = dict(attrs)
            src = (named.get("src") or "").strip()
            alt = " ".join((named.get("alt") or "").split())
            if is_remote(src):  # on the web, as Anki shows it: the address, not a media file
                self._put(f"![{_alt(alt)}]({quote(src, safe=_URL_SAFE)})")
            elif src.lower().startswith("data:"):  # no file: what the terminal shows of one
                self._put(f"[image: {alt}]" if alt else "[image]")
            elif name := Path(unquote(src)).name:
                self.media.add(name)
                self._put(f"![{_alt(alt)}]({MEDIA_DIR}/{quote(name)})")

    def handle_endtag(self, tag: str) -> None:
        if tag == "span":
            for each in reversed(self.spans.pop() if self.spans else []):
                self.handle_endtag(each)
        elif tag in self._DROP:
            self.drop = max(0, self.drop - 1)
        elif tag in self._SCRIPT:
            if self.scripts and self.scripts[-1].mark == self._SCRIPT[tag]:
                self._close_script(self.scripts.pop())
        elif self.scripts:
            return
        elif tag == "pre":
            self.pres = max(0, self.pres - 1)
            if self.pre is not None and not self.pres:
                lines, self.pre = "".join(self.pre), None
                self._put(_preformatted(lines))
                self._break()
        elif self.pre is not None:
            if tag in self._BLOCK:
                self.pre.append("\n")
        elif tag == "q":
            self._put("”")
        elif tag == "rt":
            self._put(")")
        elif tag in ("td", "th"):
            self._close_cell()
        elif tag == "tr":
            if self.tables:
                self._close_row()
        elif tag == "table":
            if self.tables:
                self._close_row()
                self.tables.pop()
            self._break()
        elif tag in ("ul", "ol"):
            if self.lists:
                self._close_list()
            self.fresh = False
            self._break()
        elif tag in self._BLOCK:
            self.fresh = False
            self._break()
        elif tag == "a":
            if self.links:
                self._close_link()
        elif self.opened[tag]:  # a style's close: not searched for where none is open
            self.opened[tag] -= 1
            for i in range(len(self.stack) - 1, -1, -1):
                if self.stack[i][0] == tag:
                    _, start, marked = self.stack.pop(i)
                    if marked:
                        self._wrap(tag, start)
                    self.code -= tag in self._CODE
                    break

    def _close_script(self, script: _Script) -> None:
        """A superscript or subscript as what shows it everywhere: Unicode's superscript or
        subscript characters when each of its characters has one (`x²`, `wᵢⱼ`, as the terminal
        writes math's scripts), else math (`e$^{-x/2}$`, which Anki typesets and the
        terminal writes `e^(−x/2)`); in code, or holding a `$` or a `^` (which the terminal's
        math drops) or a sound (which math would not play), the terminal's spelling as text
        (`^(a$b)`). A script inside another is its TeX (`2$^{2^{n}}$`)."""
        from dlcards.render import SUBSCRIPTS, SUPERSCRIPTS

        text = script.text()
        if not text:
            return
        if self.scripts:  # inside another script: its TeX
            self.scripts[-1].add(script.shown(text), f"{script.mark}{{{script.tex()}}}")
            return
        table = SUPERSCRIPTS if script.mark == "^" else SUBSCRIPTS
        if all(tex is None for tex, _ in script.parts) and all(c in table for c in text):
            self._put("".join(table[c] for c in text))
        elif (
            self.code
            or self.pre is not None
            or re.search(r"[$^]", "".join(t for tex, t in script.parts if tex is None))
            or "\x00s" in text  # a sound (taken out before, `to_markdown`): played, not set
        ):
            self.handle_data(script.shown(text))
        else:
            self.maths.append(f"${script.mark}{{{script.tex()}}}$")
            self.sources.append(script.shown(text))
            self._put(f"\x00{len(self.maths) - 1}\x00")

    def _close_link(self) -> None:
        """The innermost open link closed: its target after its text, `text (https://...)`,
        as the decks' Markdown has no links; not where the text is the target, nor a target
        that means nothing outside Anki (`#top`, `javascript:`, a relative one)."""
        href, start = self.links.pop()
        text = self.link_text[start:]
        if not self.links:
            self.link_text.clear()
        if not _LINK.match(href) or _same_place(href, "".join(text)):
            return
        target = re.sub(r"\s", lambda m: f"%{ord(m[0]):02X}", href)  # a space as %20
        self._put(f" ({target if self.code else _literal(target)})")

    def _wrap(self, tag: str, start: int) -> None:
        """The text written since `start` in its Markdown marks, line by line: emphasis
        never spans a line break (nor takes in the spaces at its ends)."""
        lines = _LINE_BREAKS.split("".join(self.out[start:]))
        del self.out[start:]
        self.cleared = min(self.cleared, start)
        if self.blank > start:  # the blank pieces at the end of what is left
            self.blank = start
            while self.blank and not self.out[self.blank - 1].strip(" \t\n"):
                self.blank -= 1
        if self.empty > start:
            self.empty = start
            while self.empty and not self.out[self.empty - 1].strip():
                self.empty -= 1
        for i, inner in enumerate(lines):
            core = inner.strip()
            if i % 2 or not core:
                continue
            lead = inner[: len(inner) - len(inner.lstrip())]
            trail = inner[len(inner.rstrip()) :]
            # its marks once the whole field is known (`_emphasis`)
            self.marks.append("`" if tag in self._CODE else self._STYLE[tag])
            n = len(self.marks) - 1
            core = f"\x0e{n}\x0e{core}\x0f{n}\x0f"
            lines[i] = lead + core + trail
        self._append("".join(lines))

    def handle_data(self, data: str) -> None:
        if self.drop:
            return
        if self.scripts:  # a script's text, and the TeX of math inside it
            at = 0
            for found in _PLACEHOLDER.finditer(data):
                self.scripts[-1].add(data[at : found.start()])
                body = self.maths[int(found[1])].strip("$")
                self.scripts[-1].add(body, body)
                at = found.end()
            self.scripts[-1].add(data[at:])
            return
        if self.code or self.pre is not None:  # math as its source: MathJax skips code
            data = _PLACEHOLDER.sub(lambda m: self.sources[int(m[1])], data)
        if self.pre is not None:
            self.pre.append(data)
            return
        if self.links:
            self.link_text.append(data)
        text = _SPACES.sub(_spaces, data)
        if not self.code:
            text = _literal(text)
            # an image's `!` may end one run of text and its `[` start the next one
            # (`!<span>[a](b.png)`)
            if text.startswith("[") and self.out and self.out[-1].endswith("!"):
                text = "\\" + text
        self._put(text)

    def markdown(self) -> str:
        if self.pre is not None:  # never closed
            self.pres = 1
            self.handle_endtag("pre")
        while self.links:  # never closed
            self._close_link()
        while self.scripts:  # never closed: shown to the field's end, as a browser does
            self._close_script(self.scripts.pop())
        while self.stack:  # never closed: bold or code to the end (code's text is unescaped)
            tag, start, marked = self.stack.pop()
            self.opened[tag] -= 1
            if marked:
                self._wrap(tag, start)
        while self.lists:
            self._close_list()
        text = _MARKER.sub(lambda m: self.labels[int(m[1])], "".join(self.out))
        # spaces, tabs and newlines around line breaks; never a list's indent (no-break)
        text = re.sub(r"[ \t\n]*<br>[ \t\n]*", "<br>", text)
        text = re.sub(r"(<br>){3,}", "<br><br>", text)
        text = re.sub(r"^([ \t\n]*<br>[ \t\n]*)+|([ \t\n]*<br>[ \t\n]*)+$", "", text)
        return re.sub(r" {2,}", " ", text).strip()


def to_markdown(field_html: str, media: set[str]) -> str:
    """One field's HTML as the decks' Markdown; media names it references are added to
    `media`."""
    maths: list[str] = []
    sources: list[str] = []

    sounds: list[str] = []

    def sound(match: re.Match[str]) -> str:
        # the name as Anki plays it: from the field's HTML, its entities decoded (taken out
        # before the HTML becomes Markdown, which would escape a '*' or '$' in it, or join
        # two spaces)
        name = Path(html.unescape(match.group(1))).name
        if not name:
            return ""
        media.add(name)
        sounds.append(f"[sound: {MEDIA_DIR}/{quote(name)}]")
        # closed by \x01, not \x00: a digit after it and math's placeholder (`\x00n\x00`) after
        # that read as a placeholder of math (`\x005\x00`), which in code, where math is its
        # source, was an IndexError, or another math's source and a NUL left in the deck
        return f"\x00s{len(sounds) - 1}\x01"

    def put(body: str, display: bool, source: str) -> str:
        """Math as the decks write it, kept apart from the HTML until it is Markdown."""
        body = re.sub(r"\s+", " ", html.unescape(without_tags(body, " ", 1))).strip()
        if not body:
            return ""  # nothing to typeset; `$$` would open display math
        maths.append(f"$${body}$$" if display else f"${body}$")
        sources.append(html.unescape(without_tags(source, "", 1)))
        return f"\x00{len(maths) - 1}\x00"

    def mathjax(which: int, body: str, whole: str) -> str:
        return put(body, which == 1, whole)  # MathJax shows nothing of an empty one

    def latex(which: int, body: str, whole: str) -> str:
        """Anki's LaTeX as the decks' math: `[$]` inline, `[$$]` display; a `[latex]` body
        its `$...$` and `$$...$$` as math among its text, or, a math environment or math
        alone (`\\begin{align}...`, `x^2`), display math."""
        if which:
            return put(body, which == 2, whole)
        if _LATEX_MATH.search(body) and not _LATEX_DISPLAY.fullmatch(body):
            return _LATEX_MATH.sub(
                lambda m: put(m[1] if m[1] is not None else m[2], m[1] is not None, m[0]), body
            )
        return put(body, True, whole)

    # a control character (Anki shows none) would make a deck that does not load
    text = _CONTROL.sub("", field_html)
    # only up to the last `]`: a `[sound:` after it is text, and the regex, which looks for
    # its `]` to the end of the field, took the square of the field's length to say so
    end = text.rfind("]") + 1
    text = _SOUND.sub(sound, text[:end]) + text[end:]
    text = sub_pairs(sub_pairs(text, ANKI_LATEX, latex), MATHJAX, mathjax)
    # a `<` after the last `>` starts no tag, comment or declaration (each ends with one): as
    # text, `&lt;`. Python's HTML parser looked for the end of each such opener to the end of
    # the field (`<br` or `<a ` typed over and over: 200,000 characters took 26 s, the time
    # the square of the field's length)
    end = text.rfind(">") + 1
    text = text[:end] + text[end:].replace("<", "&lt;")
    parser = _Markdown(media, maths, sources)
    parser.feed(text)
    parser.close()

    def math(match: re.Match[str]) -> str:
        # a digit right after math (² too) would keep its closing `$` from closing it
        # (Pandoc's rule, which tells "$5 and $10" from math): the digit as its entity
        after = match[2]
        return maths[int(match[1])] + (f"&#{ord(after)};" if after.isdigit() else after)

    def finish(marked: str) -> str:
        out = re.sub("\x00s(\\d+)\x01", lambda m: sounds[int(m.group(1))], marked)
        return _MATH_AT.sub(math, out)

    return _emphasis(parser.markdown(), parser.marks, finish)


_OPENS = re.compile("\x0e(\\d+)\x0e")
_RUNS = re.compile("\x0e(\\d+)\x0e|\x0f(\\d+)\x0f")
_CODE_RUN = re.compile("\x0e(\\d+)\x0e(.*?)\x0f\\1\x0f", re.DOTALL)
_AFTER_RUN = frozenset(" \t\n\xa0.,;:!?")


def _plainly_flanked(text: str, n: int) -> bool:
    """Whether emphasis run `n` of `text` surely reads as emphasis (CommonMark's flanking
    rules, as the decks' Markdown applies them): space or nothing before it, a letter or digit
    at each end inside, and space, a stop or nothing after it. Else the Markdown reads it."""
    opening, closing = f"\x0e{n}\x0e", f"\x0f{n}\x0f"
    start = text.index(opening)
    end = text.index(closing, start)
    core = text[start + len(opening) : end]
    before = text[start - 1 : start]
    after = text[end + len(closing) : end + len(closing) + 1]
    return (
        (not before or before.isspace())
        and core[:1].isalnum()
        and core[-1:].isalnum()
        and (not after or after in _AFTER_RUN)
    )


def _joined(text: str, marks: list[str]) -> str:
    """`text` with each two runs of one style that touch (one's close right before the
    other's open) made one run, the first's number, left to right: a join can make two more
    touch (`<b><i>a</i></b><b><i>b</i></b>`: the bold runs, then the italic ones). In one
    pass: the field was searched again from its start, and every close renamed in the whole
    field, for each join (`<b>a</b><b>b</b>` 10,000 times took 3 s)."""
    out: list[str] = []
    closed: list[int | None] = []  # for each piece of `out`, the run it closes, if it does
    renamed: dict[int, int] = {}
    at = 0
    for run in _RUNS.finditer(text):
        if run.start() > at:
            out.append(text[at : run.start()])
            closed.append(None)
        at = run.end()
        if run[1] is not None:
            n = int(run[1])
            last = closed[-1] if closed else None
            if last is not None and marks[last] == marks[n]:
                out.pop()
                closed.pop()
                renamed[n] = last
            else:
                out.append(run[0])
                closed.append(None)
        else:
            n = int(run[2])
            while n in renamed:
                n = renamed[n]
            out.append(f"\x0f{n}\x0f")
            closed.append(n)
    out.append(text[at:])
    return "".join(out)


def _emphasis(text: str, marks: list[str], finish: Callable[[str], str]) -> str:
    """`text` with each emphasis run's marks (`\\x0e n \\x0e` where run n opens, `\\x0f n
    \\x0f` where it closes) written as the decks' Markdown reads them, and `finish` applied.
    Two runs of one style that touch are one (`<b>a</b><b>b</b>`: `**ab**`, where
    `**a****b**` showed `a****b`; `<code>a</code><code>b</code>`: one code span, where
    `` `a``b` `` showed `` a``b ``). A run the Markdown would not read as emphasis is left as
    plain text: its marks could not close against a letter after a punctuation mark
    (`<b>(a)</b>b`: `**(a)**b` showed its stars), and Anki shows no star there."""
    from dlcards.markup import tokens

    text = _joined(text, marks)
    # code: its marks now, and none inside it (code shows no emphasis: `**x**` showed stars)
    text = _CODE_RUN.sub(
        lambda m: _code_span(_RUNS.sub("", m[2])) if marks[int(m[1])] == "`" else m[0], text
    )

    def written(kept: Container[int], part: str = text) -> str:
        return finish(
            _RUNS.sub(lambda m: marks[int(m[1] or m[2])] if int(m[1] or m[2]) in kept else "", part)
        )

    def stars(markdown: str) -> int:  # the stars shown: marks that did not make emphasis
        return sum(t.text.count("*") for t in tokens(markdown) if t.kind == "text")

    runs = [int(m[1]) for m in _OPENS.finditer(text)]
    out = written(set(runs))
    if "*" not in out or all(_plainly_flanked(text, n) for n in runs if marks[n] != "~~"):
        return out  # every run reads as emphasis (most fields: no reading needed)
    if not (seen := stars(out)):  # no star shown: every run reads as one
        return out
    struck = {n for n in runs if marks[n] == "~~"}  # `~~` is text to the Markdown: kept
    shown = stars(written(struck))
    if seen == shown:  # the stars shown are the field's own
        return out
    kept = set(struck)
    # line by line (a run, code and math each end at a line break): the runs of a line that
    # read as emphasis, its runs halved while a group holds one that does not
    for line in _LINE_BREAKS.split(text):
        ones = [int(m[1]) for m in _OPENS.finditer(line) if int(m[1]) not in struck]
        base = stars(written(struck, line)) if ones else 0

        def good(group: list[int], line: str = line, base: int = base) -> list[int]:
            if not group or stars(written(struck | set(group), line)) == base:
                return group
            if len(group) == 1:
                return []
            half = len(group) // 2
            return good(group[:half]) + good(group[half:])

        kept |= set(good(ones))
    out = written(kept)
    return out if stars(out) == shown else written(struck)


# --- cloze --------------------------------------------------------------------------------------


_CLOZE_TOKEN = re.compile(r"\{\{c(\d+)::|::|\}\}")


@dataclass(frozen=True)
class _Token:
    """A piece of a cloze field: `text`, a cloze's `open` (its number), the `hint` that
    starts its hint, or its `close`."""

    kind: str
    text: str
    number: int = 0


def _cloze_tokens(text: str) -> list[_Token]:
    """`text` as text and clozes, nested ones inside the cloze that holds them (Anki's
    `{{c1::derivative of {{c2::sigmoid}}}}`): a `::` inside a cloze starts its hint, and a
    cloze left open is text (its opener and its hint's `::`), as is a `}}` or `::` of no
    cloze. Flat, and read and shown without recursion: 5,000 clozes one in another were
    Python's RecursionError, and 20,000 left open took a minute."""
    tokens: list[_Token] = []
    opened: list[tuple[int, int | None]] = []  # each open cloze: its opener's, its hint's place
    at = 0
    for token in _CLOZE_TOKEN.finditer(text):
        if token.start() > at:
            tokens.append(_Token("text", text[at : token.start()]))
        at = token.end()
        if token.group(1) is not None:
            opened.append((len(tokens), None))
            tokens.append(_Token("open", token.group(0), int(token.group(1))))
        elif token.group(0) == "::" and opened and opened[-1][1] is None:
            opened[-1] = (opened[-1][0], len(tokens))
            tokens.append(_Token("hint", "::"))
        elif token.group(0) == "}}" and opened:
            opened.pop()
            tokens.append(_Token("close", "}}"))
        else:
            tokens.append(_Token("text", token.group(0)))
    if at < len(text):
        tokens.append(_Token("text", text[at:]))
    for opener, hint in opened:  # never closed: its opener and its hint's `::` are text
        tokens[opener] = _Token("text", tokens[opener].text)
        if hint is not None:
            tokens[hint] = _Token("text", "::")
    return tokens


@dataclass
class _Open:
    """A cloze being shown: its number, what its content and its hint show so far."""

    number: int
    content: list[str] = field(default_factory=list)
    hint: list[str] | None = None


def _numbers(tokens: list[_Token]) -> set[int]:
    """The numbers of the clozes of the text, but those inside a hint."""
    out: set[int] = set()
    opened: list[_Open] = []
    hints = 0  # how many of the open clozes are in their hint
    for token in tokens:
        if token.kind == "open":
            opened.append(_Open(token.number))
        elif token.kind == "hint":
            opened[-1].hint = []
            hints += 1
        elif token.kind == "close":
            done = opened.pop()
            hints -= done.hint is not None
            if not hints:
                out.add(done.number)
    return out


def _shown(tokens: list[_Token], number: int, answer: bool) -> str:
    """The text of card `number`: its clozes blank (`[...]`, or `[hint]`) on the question and
    bold on the answer, every other cloze its content."""
    root: list[str] = []
    opened: list[_Open] = []

    def into() -> list[str]:
        if not opened:
            return root
        top = opened[-1]
        return top.content if top.hint is None else top.hint

    for token in tokens:
        if token.kind == "text":
            into().append(token.text)
        elif token.kind == "open":
            opened.append(_Open(token.number))
        elif token.kind == "hint":
            opened[-1].hint = []
        else:
            done = opened.pop()
            inner = "".join(done.content)
            if done.number != number:
                into().append(inner)
            elif answer:
                into().append(f"<b>{inner}</b>")
            else:
                hint = "".join(done.hint or ())
                into().append(f"[{hint}]" if hint else "[...]")
    return "".join(root)


def cloze_numbers(text: str) -> list[int]:
    return sorted(_numbers(_cloze_tokens(text)))


def cloze_sides(text: str, number: int) -> tuple[str, str]:
    """A cloze field's HTML for card `number`: (question with its blank, answer filled in).
    A cloze nested in another is a card of its own, as in Anki: card 1 of `{{c1::derivative
    of {{c2::sigmoid}}}}` blanks the whole, card 2 `sigmoid` alone inside the shown rest."""
    tokens = _cloze_tokens(text)
    return _shown(tokens, number, False), _shown(tokens, number, True)


# --- notes --------------------------------------------------------------------------------------


def cloze_fields(notetype: NoteType) -> list[str]:
    """The fields a cloze note type's front shows with `{{cloze:...}}`, in order (else its
    first field): a card's cloze may be in any of them, as Anki numbers a note's cards."""
    template = notetype.templates[0] if notetype.templates else None
    refs = [_parts(r) for r in _REF.findall(template.front)] if template else []
    names = list(dict.fromkeys(name for filters, name in refs if "cloze" in filters))
    return names or list(notetype.fields[:1])


def has_cloze(note: Note, notetype: NoteType, card: Card) -> bool:
    """Whether a cloze note's text holds the card's cloze. A card whose cloze was taken out
    of the text stays in Anki until Tools > Empty Cards removes it, and shows an error there:
    converted, its question would be its answer, no blank in it."""
    values = dict(zip(notetype.fields, note.fields, strict=False))
    return any(
        card.ord + 1 in cloze_numbers(values.get(name, "")) for name in cloze_fields(notetype)
    )


def _sides(note: Note, notetype: NoteType, card: Card, deck: str) -> tuple[str, str] | None:
    """A card's (question, answer) HTML, or None if its note type cannot be converted. `deck`:
    the name of the card's deck, which `{{Deck}}` shows."""
    if notetype.cloze:
        template = notetype.templates[0] if notetype.templates else None
        if template is None:
            return None
        values = special_fields(note, notetype, template.name, deck, card.ord)
        names = cloze_fields(notetype)
        if any("image-occlusion:" in values.get(name, "") for name in names):
            return None  # shapes over an image: nothing to ask in text
        # the front's other fields (a source, a context) are asked with the blanks, in the
        # template's order; the back adds the fields the front does not show (Back Extra)
        asked = referenced(template.front, notetype.fields, front=True)
        shown = referenced(sections(template.front, values), notetype.fields, front=True)
        extra = back_fields(template, notetype.fields, values, {*shown, *names})
        sides = {name: cloze_sides(values.get(name, ""), card.ord + 1) for name in names}
        blanks = {name: q for name, (q, _) in sides.items()}
        if any(name in asked for name in names):
            question = front_html(template.front, values, blanks)
        else:
            question = _join(blanks.values())
        filled = [a for _, a in sides.values()]
        return question, _join([*filled, *extra])
    if card.ord >= len(notetype.templates):
        return None
    template = notetype.templates[card.ord]
    asked = referenced(template.front, notetype.fields, front=True)
    told = [f for f in referenced(template.back, notetype.fields) if f not in asked]
    hinted = [
        f
        for f in referenced(template.front, notetype.fields, front=True, unshown=("type",))
        if f not in asked
    ]
    if not asked or not (told or hinted):
        return None
    values = special_fields(note, notetype, template.name, deck, card.ord)
    # what the note's front shows (its sections as Anki shows them) is not told again
    shown = referenced(sections(template.front, values), notetype.fields, front=True)
    return front_html(template.front, values), _join(
        back_fields(template, notetype.fields, values, shown)
    )


def unconvertible(notetype: NoteType, card: Card) -> str:
    """Why `_sides` cannot convert `card` of a note of `notetype`, for the import's report."""
    if notetype.cloze:
        if not notetype.templates:
            return "it has no template"
        return "an image occlusion asks about shapes over an image, which a deck cannot hold"
    if card.ord >= len(notetype.templates):
        return f"a card of its template {card.ord + 1}, which the note type no longer has"
    template = notetype.templates[card.ord]
    if not referenced(template.front, notetype.fields, front=True):
        return f"its template {quoted(template.name)} shows no field on its front"
    return (
        f"its template {quoted(template.name)} shows no field on its back that the front does not"
    )


def deck_title(name: str) -> tuple[str, str | None]:
    """The title of the deck converted from the Anki deck `name`, and its `anki_deck:` (None
    where `export anki` names the deck by its title). A deck under `Deep Learning` (a topic's,
    one the learner made beside them, one below either) is titled by the part after it, `Deep
    Learning` itself by its name; any other deck by its whole name. The export puts the cards
    back where they were: by the title, a subdeck (`Deep Learning::<title>`), or by
    `anki_deck:` for the root deck itself, for a deck further down, which no title names, and
    for a deck outside `Deep Learning` (Anki's `Default`, a deck the learner renamed or moved
    there). Anki matches a package's decks by name and never moves a note it has
    (`rslib/src/import_export/package/apkg/import/decks.rs`): exported below `Deep Learning`,
    such a deck's notes stayed where they were and the package made `Deep
    Learning::Default`, an empty deck, in the learner's collection. (Titled `Deep
    Learning::Backprop`, a note added on the phone to a dlcards deck went back into a new,
    empty deck `Deep Learning::Deep Learning:Backprop`.)"""
    from dlcards.deck import anki_deck_name

    root = f"{ANKI_ROOT_DECK}::"
    rest = name[len(root) :].strip() if name.startswith(root) else ""
    if not rest:  # the root, or a deck outside it: where its notes live
        return name, name
    return rest, (None if anki_deck_name(rest) == name else name)


def kept_note_type(
    note: Note, notetype: NoteType, question: str, answer: str
) -> AnkiNoteType | None:
    """The note type a card converted from `note` (a note of one card) is exported in, when
    the card is exactly two of the note's fields: a note type of one template, whose front
    shows one field, the question as converted, and whose back adds one other, the answer
    as converted, every other field of the note empty. Exported in it, the card is Anki's
    note itself, which Anki updates; in dlcards's note type, under the note's GUID, Anki
    calls it "conflicting" and leaves it as it was for good (`dlcards.deck.AnkiNoteType`).
    A cloze note of one cloze, `c1`, in one cloze field, shown alone on the front (the
    question its blank, the answer its text filled in), every other field empty, is written
    back as cloze text (`dlcards.export.anki.cloze_text`). None for any other note: its card
    cannot be written back into its fields."""
    if len(notetype.templates) != 1:
        return None
    if notetype.cloze:
        return _kept_cloze(note, notetype, question, answer)
    template = notetype.templates[0]
    asked = referenced(template.front, notetype.fields, front=True)
    hinted = referenced(template.front, notetype.fields, front=True, unshown=("type",))
    told = [f for f in referenced(template.back, notetype.fields) if f not in asked]
    if len(asked) != 1 or hinted != asked or len(told) != 1:
        return None
    values = dict(zip(notetype.fields, note.fields, strict=False))
    if len(note.fields) != len(notetype.fields) or any(
        not field_is_empty(value) for name, value in values.items() if name not in (*asked, *told)
    ):
        return None
    scratch: set[str] = set()
    if (to_markdown(values[asked[0]], scratch), to_markdown(values[told[0]], scratch)) != (
        question,
        answer,
    ):
        return None  # the template's own words, a section, a special field: more than a field
    return AnkiNoteType(
        notetype.id, notetype.name, notetype.fields, template.name, asked[0], told[0]
    )


def _kept_cloze(note: Note, notetype: NoteType, question: str, answer: str) -> AnkiNoteType | None:
    """`kept_note_type` of a cloze note."""
    names = cloze_fields(notetype)
    values = dict(zip(notetype.fields, note.fields, strict=False))
    if len(names) != 1 or len(note.fields) != len(notetype.fields):
        return None
    (text_field,) = names
    if any(not field_is_empty(v) for name, v in values.items() if name != text_field):
        return None
    text = values[text_field]
    if cloze_numbers(text) != [1]:
        return None
    scratch: set[str] = set()
    blank, filled = cloze_sides(text, 1)
    if (to_markdown(blank, scratch), to_markdown(filled, scratch)) != (question, answer):
        return None  # the template's own words, a section, another field: more than the cloze
    template = notetype.templates[0].name
    return AnkiNoteType(
        notetype.id, notetype.name, notetype.fields, template, text_field, text_field, True
    )


def convert_notes(
    collection: Collection,
    taken_topics: Container[str],
    dlcards_guids: Container[str],
    converted_before: Container[str] = (),
    untyped: Mapping[str, str] | None = None,
    joined: Mapping[str, tuple[str, str]] | None = None,
) -> Converted:
    """Every note of the collection as dlcards cards, grouped by the Anki deck of each card.
    `joined`: the Anki decks of topics here (each name folded as Anki compares them -> the
    topic and its title): a note added on the phone to one of them is that topic's own card
    (`YamlDeck.own_cards`), not a second topic of the same title, which no `--topic` chose.
    A card whose id is one of `converted_before` (in a deck of an earlier conversion) is
    left out, counted in `Converted.before`: written again it would be the same id twice.
    `untyped`: of those, the ones whose deck gives no `anki_note_type:` (card id -> its deck
    file); a note of one card that would keep its note type now is `Converted.untyped`."""
    from dlcards.deck import anki_guid_problem

    notes = {n.id: n for n in collection.notes}
    by_note: dict[int, list[Card]] = {}
    for c in collection.cards:
        by_note.setdefault(c.note, []).append(c)
    decks: dict[int, YamlDeck] = {}
    own: dict[str, YamlDeck] = {}  # a topic here -> its own cards' deck
    used_topics = set(taken_topics)
    result = Converted([], {}, {}, {}, Counter(), 0, {})
    media: set[str] = set()
    made_of: dict[str, dict[str, str]] = {}  # dlcards tag -> Anki's key -> its Anki tag
    for note in collection.notes:
        if note.guid in dlcards_guids:
            result.exported += 1
            continue
        notetype = collection.notetypes.get(note.notetype)
        cards = by_note.get(note.id, [])
        if notetype is None or not cards:
            name = notetype.name if notetype else "(missing note type)"
            result.skipped[name] += 1
            result.why.setdefault(
                name, "the note has no cards" if notetype else "the collection has no such type"
            )
            continue
        converted: list[tuple[Card, tuple[str, str]]] = []
        no_cloze = 0
        for card in cards:
            deck_name = collection.decks.get(card.deck, "Anki")
            sides = _sides(notes[card.note], notetype, card, deck_name)
            if sides is None:
                result.why.setdefault(notetype.name, unconvertible(notetype, card))
                converted, no_cloze = [], 0
                break
            if notetype.cloze and not has_cloze(note, notetype, card):
                no_cloze += 1  # an empty card in Anki
                continue
            converted.append((card, sides))
        if no_cloze:
            result.no_cloze[notetype.name] += no_cloze
        if not converted:
            if not no_cloze:
                result.skipped[notetype.name] += 1
            continue
        kept = [t for t in note.tags if anki_tag_key(t) not in SYSTEM_TAGS]
        tags = tuple(dict.fromkeys(t for t in map(tag_of, kept) if t))
        for anki_tag in kept:
            made_of.setdefault(tag_of(anki_tag), {}).setdefault(anki_tag_key(anki_tag), anki_tag)
        for card, (question, answer) in converted:
            card_id = card_id_for(note.guid, card.ord, notetype.cloze)
            if card_id in converted_before:
                result.before += 1
                file = untyped.get(card_id) if untyped else None
                if file is not None and len(cards) == 1 and anki_guid_problem(note.guid) is None:
                    q, a = to_markdown(question, set()), to_markdown(answer, set())
                    if q and a and kept_note_type(note, notetype, q, a) is not None:
                        result.untyped[card_id] = file
                continue
            q, a = to_markdown(question, media), to_markdown(answer, media)
            if not q or not a:
                result.empty[notetype.name] += 1
                continue
            deck = decks.get(card.deck)
            if deck is None:  # its topic is given below, once every deck is known
                name = collection.decks.get(card.deck, "Anki")
                topic = joined.get(name.casefold()) if joined else None
                if topic is not None:  # a topic's deck here: its own cards, one deck a topic
                    deck = own.get(topic[0])
                    if deck is None:
                        deck = own[topic[0]] = YamlDeck(*topic, name=name, own_cards=True)
                    decks[card.deck] = deck
                else:
                    title, anki_deck = deck_title(name)
                    deck = decks[card.deck] = YamlDeck("", title, anki_deck=anki_deck, name=name)
            # a note of one card is that card: its GUID kept in the deck and the database (in
            # the database alone, one a deck does not take: an add-on's of spaces, say), and
            # its note type where the card is two of its fields
            guid = note.guid if len(cards) == 1 else None
            in_deck = guid if guid is not None and anki_guid_problem(guid) is None else None
            kind = None if in_deck is None else kept_note_type(note, notetype, q, a)
            deck.cards.append(YamlCard(card_id, q, a, tags, in_deck, kind))
            result.cards[card.id] = card_id
            if guid is not None:
                result.guids[card_id] = guid
    # the topics in the order of the decks' names, not of the notes: two names of one slug
    # (`Maths`, `Mäths`) get the same topics at every import, whichever note comes first
    every = list({id(d): d for d in decks.values()}.values())  # (a topic's own cards once)
    for deck in sorted(every, key=lambda d: (d.title, d.name)):
        if not deck.own_cards:
            deck.topic = slug(deck.title, used_topics)
            used_topics.add(deck.topic)
        result.topics.update((c.id, deck.topic) for c in deck.cards)
    result.decks = every
    result.merged = {
        tag: sorted(anki.values()) for tag, anki in sorted(made_of.items()) if len(anki) > 1
    }
    result.media = {
        name: collection.media[name] for name in sorted(media) if name in collection.media
    }
    result.missing = sorted(media - collection.media.keys())
    return result


def deck_yaml(deck: YamlDeck, source: str) -> str:
    import yaml

    origin = f"the Anki deck {deck.name or deck.title!r} in {source}"
    data = {
        "topic": deck.topic,
        "title": deck.title,
        "description": (
            f"Your own cards of topic {deck.topic}, added in Anki to {origin}."
            if deck.own_cards
            else f"Imported from {origin}."
        ),
        **({"own_cards": True} if deck.own_cards else {}),
        **({"anki_deck": deck.anki_deck} if deck.anki_deck is not None else {}),
        "cards": [
            {
                "id": c.id,
                "question": c.question,
                "answer": c.answer,
                **({"tags": list(c.tags)} if c.tags else {}),
                **({"anki_guid": c.anki_guid} if c.anki_guid is not None else {}),
                **({"anki_note_type": _note_type_yaml(c.note_type)} if c.note_type else {}),
            }
            for c in deck.cards
        ],
    }
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=100)


def _note_type_yaml(kept: AnkiNoteType) -> dict[str, object]:
    """A card's `anki_note_type:` as its deck holds it (`dlcards.deck.ANKI_NOTE_TYPE_KEYS`,
    and `cloze: true` for a cloze note type)."""
    out: dict[str, object] = {**kept._asdict(), "fields": list(kept.fields)}
    if not kept.cloze:
        del out["cloze"]
    return out


def write_decks(
    result: Converted, out: Path, source: str, replaced: Replaced | None = None
) -> None:
    """Write each deck's YAML file and the media its cards reference into `out`, all of them
    or none (`fileio.atomic_write_all`): stopped half-way (a full disk, Ctrl-C), the import
    left some decks written, and its next run, with room, refused to write over them. The
    temporary files a killed import left there are removed first. With no deck to write, no
    folder is made (a mistyped `--to-yaml` path was made for nothing); the folders it made for
    them are removed again when nothing is written (a full disk, Ctrl-C, `kill`: an empty
    `out` was left). `replaced`: given, what was written (and the folders made for it) is
    recorded there, for the caller to undo if its next step fails. Raises OSError."""
    from dlcards.fileio import atomic_write_all, clean_stale_temps

    if not result.decks and not result.media:
        return
    made = [out / MEDIA_DIR] if result.media else []  # deepest first
    folder = out
    while not os.path.lexists(folder) and folder != folder.parent:
        made.append(folder)
        folder = folder.parent
    made = [d for d in made if not os.path.lexists(d)]
    files: list[tuple[Path, bytes | Path]] = []
    files += [(out / MEDIA_DIR / name, src) for name, src in result.media.items()]
    files += [(out / d.file_name, deck_yaml(d, source).encode("utf-8")) for d in result.decks]
    try:
        if replaced is not None:  # in its record before a folder or a file is made
            replaced.plan([path for path, _ in files], made)
        out.mkdir(parents=True, exist_ok=True)
        clean_stale_temps(out)
        if result.media:
            (out / MEDIA_DIR).mkdir(exist_ok=True)
            clean_stale_temps(out / MEDIA_DIR)
        atomic_write_all(files, replaced)
    except BaseException:
        for folder in made:
            try:
                folder.rmdir()  # only if empty: what another program put there stays
            except OSError:
                break
        if replaced is not None:
            replaced.made.clear()
        raise
