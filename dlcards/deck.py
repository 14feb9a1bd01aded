"""The deck model: YAML text -> validated, immutable Card values.

Pure: `parse_deck(text, path)` takes the file's text and the path to name in errors; it does no
I/O. Every problem is raised as a DeckError whose message names the file, the line, the card id
(when there is one) and what to do about it, e.g.

    decks/gd.yaml:41: card gd-22: required field 'answer' is missing

Deck file shape::

    topic: gd
    title: Gradient Descent and Its Variants
    cards:
      - id: gd-23                  # stable, unique across all decks, never derived from the text
        question: If a dataset has 320 rows and the batch size is 64, ...?
        answer: $\\frac{320}{64} = \\mathbf{5 \\text{ updates}}$ per epoch.
        tags: [math]
        source: "Gradient Descent and Its Variants #23"
        compute: {fn: updates_per_epoch, args: {n: 320, batch_size: 64}, claim: 5}

What the source gets wrong or leaves misleading is said on the card, never by editing the
source's text: `erratum:` (the answer states something false; what is true instead), `note:`
(imprecise but not false), each with `references:` (where a learner can check it). When a
question had to be repaired, `question:` holds the repaired question and `source_question:`
the source's words, and the note or erratum says what was changed and why. `same_question:`
lists the cards whose answer also answers this card's question (the source asks some twice, at
two levels): a multiple-choice quiz never offers one as a wrong option of the other. A compute block
with `wrong: true` records a number the source states wrongly: `check` expects the engine to
disagree with it, and every other block must agree.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, NamedTuple

from dlcards.errors import DeckError, quoted
from dlcards.yamlnodes import _Map, _Seq  # the reader, dlcards.yamlload, only to parse

SLUG = re.compile(r"^[a-z][a-z0-9_-]*$")
CARD_ID = re.compile(r"^[a-z0-9][a-z0-9_.-]*$")
_NOT_IN_A_TAG = re.compile(r"[\s\x00-\x1f\x7f-\x9f]")


def tag_form(text: str) -> str:
    """A tag as the decks hold it: lower case and NFC (Anki's tags are case-insensitive and
    NFC-normalised: `C++` and `c++`, `Ｅ` and `é` written apart, are one tag there)."""
    import unicodedata

    if text.isascii():
        return text.lower()
    return unicodedata.normalize("NFC", unicodedata.normalize("NFC", text).lower())


class GivenTag(str):
    """A tag in the decks' form (`tag_form`) that keeps how the user typed it, `given`, for a
    message to say it as typed (`--tag ÉX` is the tag `éx`, but an unknown one is 'ÉX')."""

    given: str


def given_tag(text: str) -> GivenTag:
    """`text`, a tag the user gave, as a GivenTag (given again: what was first typed kept)."""
    tag = GivenTag(tag_form(text))
    tag.given = getattr(text, "given", text)
    return tag


def tag_problem(tag: str) -> str | None:
    """What keeps `tag` from being a deck's tag, said with the fix; None for a tag. A tag is
    what Anki takes as one, in its lower case: any characters but spaces and control
    characters (`c++`, `日本::タグ`, `c#`), `::` between the parts of a hierarchy."""
    if not tag:
        return "a tag is not empty"
    if tag.isascii() and tag.isalnum() and tag.islower():
        return None  # the usual tag, at once
    if _NOT_IN_A_TAG.search(tag):
        fixed = "_".join(_NOT_IN_A_TAG.sub(" ", tag).split())
        return "a tag has no spaces or control characters (Anki splits tags at spaces)" + (
            f"; write {quoted(tag_form(fixed))}" if fixed else ""
        )
    if "" in tag.split("::"):
        return "'::' stands between the parts of a hierarchical tag, like 'ml::cnn'"
    if tag != tag_form(tag):
        if tag.lower() == tag:  # a decomposed accent: e and a combining acute
            return f"write {quoted(tag_form(tag))}, its accents composed (NFC), as Anki keeps tags"
        return f"tags are lower case (Anki ignores case); write {quoted(tag_form(tag))}"
    return None


def is_tag(tag: object) -> bool:
    return type(tag) is str and tag_problem(tag) is None


def has_tag(tags: tuple[str, ...], tag: str) -> bool:
    """Whether a card with `tags` is one `--tag tag` chooses: it has the tag, or one under
    it (`ml` chooses `ml::cnn`), as Anki's `tag:ml` finds both."""
    return tag in tags or any(t.startswith(tag + "::") for t in tags)


DECK_KEYS = {"topic", "title", "description", "cards", "anki_deck", "own_cards"}
CARD_KEYS = {
    "id",
    "question",
    "answer",
    "tags",
    "source",
    "source_question",
    "compute",
    "erratum",
    "note",
    "references",
    "quiz",
    "same_question",
    "anki_guid",
    "anki_note_type",
}
ANKI_NOTE_TYPE_KEYS = ("id", "name", "fields", "template", "question", "answer")
ANKI_CLOZE_KEY = "cloze"  # optional: `cloze: true`, a cloze note type
COMPUTE_KEYS = {"fn", "args", "claim", "tolerance", "label", "wrong", "symbols"}
QUIZ_KEYS = {
    "template",
    "params",
    "answer",
    "args",
    "tolerance",
    "mistakes",
    "trivial_share",
    "unchanged_share",
}
MISTAKE_KEYS = {"args", "label"}
PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")


Scalar = int | float | str | bool
Value = Scalar | list[Scalar]


# The deck's values are NamedTuples, not dataclasses: four dataclass builds less for every
# process that reads a deck, and none of the ~17 ms import of dataclasses and inspect for one
# that needs no other dataclass. An empty mapping is one shared dict, typed read-only (a
# MappingProxyType would be safer but cannot be pickled, and parsed decks cross processes).
_NONE: Mapping[str, Any] = {}


class Compute(NamedTuple):
    """One computation a math card runs: engine function, arguments, and the value it claims."""

    fn: str
    args: Mapping[str, Value] = _NONE
    claim: Value | None = None
    tolerance: float | None = None  # relative tolerance for comparing the claim
    label: str | None = None
    wrong: bool = False  # the claim is the source's mistake, corrected by the card's erratum
    symbols: Mapping[str, str] = _NONE  # the card's own names for the steps' symbols ({p: ŷ})

    def as_json(self) -> dict[str, Any]:
        """Every field by name, as the deck cache writes it (JSON types only); `symbols` only
        when the card names any, so that a block without them keeps the digest it had."""
        out: dict[str, Any] = {
            "fn": self.fn,
            "args": dict(self.args),
            "claim": self.claim,
            "tolerance": self.tolerance,
            "label": self.label,
            "wrong": self.wrong,
        }
        if self.symbols:
            out["symbols"] = dict(self.symbols)
        return out


class Mistake(NamedTuple):
    """A common wrong answer to a quiz (`Quiz.mistakes`): the answer's computation with `args`
    put in place of its own; `label` says what the mistake is."""

    args: Mapping[str, Value]
    label: str


class Quiz(NamedTuple):
    """A typed-answer template for `dlcards quiz`: fresh parameters drawn for every question.

    `template` has `{name}` placeholders, one per parameter. In the deck each parameter is
    `[low, high]` (a range: integers if both are integers), `{range: [low, high], step: s}`,
    `{choices: [a, b, ...]}`, or any other list (its items are the choices). Parsed, choices
    land in `params` and ranges in `ranges` as [low, high, step].

    `answer` indexes the compute block whose fn gives the expected value: its args, then each
    drawn parameter whose name is one of the computation's parameters, then `args` (values in
    which `{name}` is replaced by the drawn value, e.g. `p: ["{p1}", "{p2}"]`). `tolerance` is
    relative (without it the quiz holds an answer to 3 significant figures); integer results
    must match exactly.

    `mistakes`: common wrong answers, each the answer's computation with some arguments
    changed (`Mistake.args`, whose values may be arithmetic on the drawn ones: `-{grad}`,
    `{lam}/2`): a draw whose answer would be taken for one of them is drawn again, so the
    quiz never marks such a mistake right (W left unchanged next to a tiny step).

    `trivial_share`: the share of questions (0 to 1) that may have a trivial answer, 0 (or a
    vector of zeros) or one of the numbers the question gives (`quiz.trivial_answer`); by
    default none: such a draw is drawn again. A card whose lesson is the trivial case (a
    perceptron's loss is 0 on the correct side) keeps it in about that share of its questions.

    `unchanged_share`: for a computation that changes a vector (the perceptron's update), the
    share of questions (0 to 1) whose answer is a vector the question gives, unchanged (`w`
    on a correctly classified point: `quiz.unchanged_answer`); each question draws which case
    it asks first, so the share is the key's whatever the ranges give. None (the default):
    the share the ranges give.
    """

    template: str
    params: Mapping[str, list[Scalar]] = _NONE
    answer: int = 0
    args: Mapping[str, Value] = _NONE
    tolerance: float | None = None
    ranges: Mapping[str, list[int | float]] = _NONE
    mistakes: tuple[Mistake, ...] = ()
    trivial_share: float = 0.0
    unchanged_share: float | None = None

    @property
    def names(self) -> list[str]:
        """Every parameter, choices and ranges, in template order."""
        return list(dict.fromkeys(PLACEHOLDER.findall(self.template)))


class AnkiNoteType(NamedTuple):
    """The Anki note type of the note a card was converted from, when the card is exactly two
    of its fields (`anki_note_type:`, written by `import anki --to-yaml`): its id, its name, its
    fields in order, its one template's name, and the fields the question and the answer are.
    `export anki` writes the card as that note in that note type. Anki's importer updates a
    note of a known GUID only in the note type it has (another one: "conflicting", the note
    never updated again), and takes a note type of the same id as the same when its fields
    and templates have the same names in the same order. A cloze note type (`cloze`): the
    question and the answer are its cloze field, the card its one cloze, `c1`."""

    id: int
    name: str
    fields: tuple[str, ...]
    template: str
    question: str
    answer: str
    cloze: bool = False


class Card(NamedTuple):
    id: str
    topic: str
    question: str
    answer: str
    tags: tuple[str, ...] = ()
    source: str | None = None
    compute: tuple[Compute, ...] = ()
    erratum: str | None = None
    quiz: Quiz | None = None
    file: str = ""
    line: int = 0
    note: str | None = None
    references: tuple[str, ...] = ()
    source_question: str | None = None  # the source's words when `question` is a repair
    # cards whose answer also answers this card's question (the source asks some twice):
    # never offered as a wrong option of a multiple-choice question on it, nor it on theirs
    same_question: tuple[str, ...] = ()
    # the GUID of the Anki note the card was converted from (`import anki --to-yaml`): its
    # note in Anki when exported, and the note whose reviews come back to it
    anki_guid: str | None = None
    # that note's note type, when the card is the note's two fields (`AnkiNoteType`)
    anki_note_type: AnkiNoteType | None = None

    @property
    def is_math(self) -> bool:
        return "math" in self.tags

    @property
    def content_hash(self) -> str:
        """Hash of what the learner sees; changes when the text is edited (id stays)."""
        import hashlib  # only deck sync needs it

        text = f"{self.question}\x00{self.answer}\x00{self.erratum or ''}\x00"
        # Fields added later count only when present, so older cards keep their hash.
        if self.note or self.source_question or self.references:  # most cards have none
            extras = [("note", self.note), ("source_question", self.source_question)]
            extras += [("reference", ref) for ref in self.references]
            text += "".join(f"{name}\x1f{value}\x00" for name, value in extras if value)
        # one string hashed at once: the digest of the parts fed one by one, without the calls
        return hashlib.sha1(text.encode(), usedforsecurity=False).hexdigest()[:16]


class Deck(NamedTuple):
    topic: str
    title: str
    cards: tuple[Card, ...]
    path: str
    description: str | None = None
    # its deck in Anki when not the one its title gives (`anki_deck_name`): the Anki deck it
    # was converted from (`import anki --to-yaml`), `Deep Learning` itself or a deck below
    # one of its subdecks, which `export anki` puts its cards back into
    anki_deck: str | None = None
    # the learner's own cards of a topic another deck file defines (`own_cards: true`): the
    # catalog counts them as that topic's (`catalog.check_merge`), so every command that
    # chooses cards by topic finds them (`import anki --to-yaml` writes it for the notes added
    # on the phone to a topic's deck in Anki)
    own_cards: bool = False


ANKI_ROOT_DECK = "Deep Learning"
"""The Anki deck every topic's deck is a child of, in `export anki` and in `deck:` searches."""


def anki_deck_name(title: str) -> str:
    """The name a topic's deck has in Anki (`export anki`): `Deep Learning::` and its title,
    whose own `::` (Anki's separator of a child deck) is written `:`."""
    return f"{ANKI_ROOT_DECK}::{title.replace('::', ':').strip()}"


def anki_deck_problem(name: object) -> str | None:
    """What keeps `name` from being an Anki deck's name (a deck's `anki_deck:`), with the
    fix; None for one: text, each of its `::`-separated parts some text."""
    if not isinstance(name, str):
        return f"must be text, not {_type_name(name)}"
    if not all(part.strip() for part in name.split("::")):
        return "must be an Anki deck's name: parts apart with '::', none of them empty"
    return None


# --- validation -------------------------------------------------------------------------------


def _type_name(value: object) -> str:
    return {
        str: "text",
        int: "a number",
        float: "a number",
        bool: "true/false",
        _Map: "a mapping",
        dict: "a mapping",
        _Seq: "a list",
        list: "a list",
        type(None): "empty",
    }.get(type(value), type(value).__name__)


def _did_you_mean(word: str, choices: set[str]) -> str:
    from dlcards.suggest import did_you_mean

    return did_you_mean(word, sorted(choices))


def _reject_unknown(
    ctx: _Ctx,
    mapping: dict[str, Any],
    allowed: set[str],
    card_id: str | None = None,
    where: str = "",
    suggest: bool = False,
) -> None:
    """Fail on the first key outside `allowed`, at its line, listing what is allowed."""
    unknown = sorted(set(mapping) - allowed)
    if unknown:
        key = unknown[0]
        hint = _did_you_mean(key, allowed) if suggest else ""
        raise ctx.fail(
            _line_of(mapping, key),
            f"unknown key '{key}'{hint}{where} (allowed: {', '.join(sorted(allowed))})",
            card_id,
        )


class _Ctx:
    def __init__(self, path: str, text: str | None = None) -> None:
        self.path = path
        self.text = text  # the deck's text, for a message that quotes a line of it

    def comment_after(self, line: int, key: str) -> str | None:
        """The comment after `key:` on line `line` (1-based) of the text, when the value is
        only that: `answer: #1` is an empty answer and the comment `#1` to YAML."""
        if self.text is None or line < 1:
            return None
        lines = self.text.split("\n", line)
        if line > len(lines):
            return None
        found = re.fullmatch(
            rf"\s*(?:- +)?{re.escape(key)}:[ \t]+(#.*?)\s*", lines[line - 1].rstrip("\r")
        )
        return found.group(1) if found else None

    def fail(self, line: int, message: str, card_id: str | None = None) -> DeckError:
        where = f"{self.path}:{line}" if line else self.path
        who = f" card {card_id}:" if card_id else ""
        return DeckError(f"{where}:{who} {message}")


def _line_of(obj: object, key: str | None = None, default: int = 0) -> int:
    if isinstance(obj, _Map):
        if key is not None and key in obj.key_lines:
            return obj.key_lines[key]
        return obj.line
    return getattr(obj, "line", default)


def _text(ctx: _Ctx, card: _Map, key: str, card_id: str | None, required: bool) -> str | None:
    if key not in card:
        if required:
            raise ctx.fail(card.line, f"required field '{key}' is missing", card_id)
        return None
    value = card[key]
    line = _line_of(card, key)
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        comment = ctx.comment_after(line, key) if value is None else None
        if comment is not None:  # `answer: #1`, `question: # Heading`: YAML's comment
            quoted = "'" + comment.replace("'", "''") + "'"
            raise ctx.fail(
                line,
                f"field '{key}' is empty: {comment} after it is a YAML comment; a value that "
                f"starts with # goes in quotes: {key}: {quoted}",
                card_id,
            )
        if value is None and required:
            raise ctx.fail(line, f"field '{key}' is empty; write the {key} text", card_id)
        if value is None:
            return None
        raise ctx.fail(line, f"field '{key}' must be text, not {_type_name(value)}", card_id)
    # a number as it was written: YAML reads `12:30` as 750 and `0.50` as 0.5 (`_Map.written`)
    text = value if type(value) is str else (card.written or {}).get(key, str(value))
    if required and not text.strip():
        raise ctx.fail(line, f"field '{key}' is empty; write the {key} text", card_id)
    return text


# Control characters a deck's text can hold only as a double-quoted string's escape: "\\beta"
# in double quotes is a backspace and "eta", "\\frac" a form feed and "rac". A terminal would
# ring, move the cursor or change colours, and the math renderer drew "x08eta". They are refused
# where the deck is read (`_no_control_characters`), naming the escape that made one; tabs and
# newlines are text.
_INVISIBLE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_CONTROL_NAMES = {
    0x00: ("null", "\\0"),
    0x07: ("bell", "\\a"),
    0x08: ("backspace", "\\b"),
    0x0B: ("vertical tab", "\\v"),
    0x0C: ("form feed", "\\f"),
    0x0D: ("carriage return", "\\r"),
    0x1B: ("escape", "\\e"),
    0x7F: ("delete", "\\x7f"),
    0x85: ("next line", "\\N"),
}


def _visible(text: str) -> bool:
    """Whether `text` holds no control character a deck may not hold (most text is
    printable: one pass in C, the pattern only for text with a newline or a tab)."""
    return text.isprintable() or not _INVISIBLE.search(text)


def _no_control_characters(
    ctx: _Ctx, value: object, line: int, field: str, card_id: str | None
) -> None:
    """Every text in `value` (a field's value, its lists and mappings, keys included) free of
    control characters; else one line naming the field, the character and its escape."""
    if isinstance(value, str):
        found = None if _visible(value) else _INVISIBLE.search(value)
        if found is None:
            return
        code = ord(found.group())
        name, escape = _CONTROL_NAMES.get(code, (f"U+{code:04X}", f"\\x{code:02x}"))
        where = f"field '{field}'" if card_id is not None else f"the deck's field '{field}'"
        raise ctx.fail(
            line,
            f'{where} has a control character ({name}, from "{escape}" in double quotes); '
            f"write \\{escape} for a backslash and {escape[1:]}, or use single quotes",
            card_id,
        )
    if isinstance(value, dict):
        for key, item in value.items():
            here = _line_of(value, key, line) if isinstance(value, _Map) else line
            _no_control_characters(ctx, key, here, field, card_id)
            _no_control_characters(ctx, item, here, field, card_id)
    elif isinstance(value, list):
        for item in value:
            _no_control_characters(ctx, item, _line_of(item, default=line), field, card_id)


def _scalar_or_list(ctx: _Ctx, value: object, line: int, what: str, card_id: str) -> Value:
    items = value if isinstance(value, list) else [value]
    if not all(isinstance(v, bool | int | float | str) for v in items):
        raise ctx.fail(line, f"{what} must be a number, text or a list of them", card_id)
    for v in items:  # YAML's .nan and .inf: no value a computation gives or a claim can state
        if isinstance(v, float) and not _finite(v):
            raise ctx.fail(line, f"{what} must be a finite number, not {v}", card_id)
    return list(value) if isinstance(value, list) else value  # type: ignore[return-value]


def _finite(value: float) -> bool:
    return value - value == 0.0  # false for nan and ±inf (math.isfinite, without the import)


def _compute(ctx: _Ctx, raw: object, line: int, card_id: str) -> tuple[Compute, ...]:
    blocks = raw if isinstance(raw, list) else [raw]
    out: list[Compute] = []
    for block in blocks:
        bline = _line_of(block, default=line)
        if not isinstance(block, dict):
            raise ctx.fail(
                bline,
                "'compute' must be a mapping like {fn: huber, args: {error: 100}, claim: 99.5} "
                f"or a list of them, not {_type_name(block)}",
                card_id,
            )
        _reject_unknown(ctx, block, COMPUTE_KEYS, card_id, where=" in compute")
        fn = block.get("fn")
        if not isinstance(fn, str) or not fn:
            raise ctx.fail(bline, "compute needs 'fn', the name of a computation", card_id)
        args = block.get("args") or {}
        if not isinstance(args, dict):
            raise ctx.fail(_line_of(block, "args"), "compute 'args' must be a mapping", card_id)
        clean_args = {
            str(k): _scalar_or_list(ctx, v, _line_of(args, k, bline), f"argument '{k}'", card_id)
            for k, v in args.items()
        }
        claim = block.get("claim")
        if claim is not None:
            claim = _scalar_or_list(ctx, claim, _line_of(block, "claim"), "claim", card_id)
        tol = block.get("tolerance")
        if tol is not None and (not _is_number(tol) or not _finite(tol) or tol < 0):
            raise ctx.fail(
                _line_of(block, "tolerance"),
                "tolerance must be a finite non-negative number",
                card_id,
            )
        label = block.get("label")
        wrong = block.get("wrong", False)
        if not isinstance(wrong, bool):
            raise ctx.fail(
                _line_of(block, "wrong"), "compute 'wrong' must be true or false", card_id
            )
        if wrong and claim is None:
            raise ctx.fail(
                _line_of(block, "wrong"),
                "compute 'wrong: true' marks a wrong claim, but the block has no 'claim'",
                card_id,
            )
        symbols = block.get("symbols") or {}
        if not isinstance(symbols, dict) or not all(
            isinstance(k, str) and isinstance(v, str) and v for k, v in symbols.items()
        ):
            raise ctx.fail(
                _line_of(block, "symbols"),
                "compute 'symbols' must map the steps' symbols to the card's, like {p: ŷ}",
                card_id,
            )
        out.append(
            Compute(
                fn=fn,
                args=clean_args,
                claim=claim,
                tolerance=float(tol) if tol is not None else None,
                label=str(label) if label is not None else None,
                wrong=wrong,
                symbols=dict(symbols),
            )
        )
    return tuple(out)


def _same_question(ctx: _Ctx, raw: _Map, card_id: str) -> tuple[str, ...]:
    if "same_question" not in raw:
        return ()
    value = raw["same_question"]
    line = _line_of(raw, "same_question")
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not value:
        raise ctx.fail(line, "same_question must be a list of card ids, e.g. [robust-4]", card_id)
    ids: list[str] = []
    for item in value:
        if not isinstance(item, str) or not CARD_ID.match(item.strip()):
            raise ctx.fail(
                line,
                f"same_question lists card ids like robust-4, not {_type_name(item)} {item!r}",
                card_id,
            )
        other = item.strip()
        if other == card_id:
            raise ctx.fail(line, "same_question lists the card itself", card_id)
        if other not in ids:
            ids.append(other)
    return tuple(ids)


def _references(ctx: _Ctx, raw: _Map, card_id: str) -> tuple[str, ...]:
    if "references" not in raw:
        return ()
    value = raw["references"]
    line = _line_of(raw, "references")
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not value:
        raise ctx.fail(
            line,
            'references must be a list of texts, e.g. ["Goodfellow et al. (2016), §6.2.2"]',
            card_id,
        )
    refs: list[str] = []
    for item in value:
        if not isinstance(item, str) or not item.strip():
            raise ctx.fail(
                line, f"each reference must be non-empty text, not {_type_name(item)}", card_id
            )
        refs.append(item.strip())
    return tuple(refs)


MAX_ANKI_GUID = 64
"""The longest `anki_guid` a deck takes: Anki's own are 10 characters, an add-on's UUID 36."""


def anki_guid_problem(value: object) -> str | None:
    """What keeps `value` from being an Anki note's GUID, said with the fix; None for one: text
    Anki could have written, non-empty, printable, without whitespace, at most MAX_ANKI_GUID
    characters."""
    if value is None or value == "":
        return "is empty; write the Anki note's GUID, or remove the key"
    if type(value) is not str:  # a GUID of digits is a number to YAML: quoted, it is text
        quote = "; write it in quotes" if isinstance(value, int | float) else ""
        return f"must be text, not {_type_name(value)}{quote}"
    if len(value) > MAX_ANKI_GUID:
        return f"is {len(value)} characters long; an Anki GUID has at most {MAX_ANKI_GUID}"
    if not value.isprintable() or any(ch.isspace() for ch in value):
        return "holds a space or an unprintable character; an Anki GUID has none"
    return None


def _anki_guid(ctx: _Ctx, raw: _Map, card_id: str) -> str | None:
    if "anki_guid" not in raw:
        return None
    value = raw["anki_guid"]
    problem = anki_guid_problem(value)
    if problem is not None:
        raise ctx.fail(_line_of(raw, "anki_guid"), f"anki_guid {problem}", card_id)
    assert isinstance(value, str)
    return value


def _anki_note_type(ctx: _Ctx, raw: _Map, card_id: str, guid: str | None) -> AnkiNoteType | None:
    """A card's `anki_note_type:` (`AnkiNoteType`), checked: every key, of its kind; the
    question and the answer two of its fields; given with the note's `anki_guid`."""
    if "anki_note_type" not in raw:
        return None
    line = _line_of(raw, "anki_note_type")
    value = raw["anki_note_type"]
    keys = ", ".join(ANKI_NOTE_TYPE_KEYS)
    fix = "; `import anki --to-yaml` writes it (remove it to export a dlcards note)"
    if not isinstance(value, _Map) or set(value) - {ANKI_CLOZE_KEY} != set(ANKI_NOTE_TYPE_KEYS):
        raise ctx.fail(
            line, f"anki_note_type must be a mapping of {keys} (and cloze){fix}", card_id
        )
    cloze = value.get(ANKI_CLOZE_KEY, False)
    if type(cloze) is not bool:
        raise ctx.fail(line, f"anki_note_type cloze must be true or false{fix}", card_id)
    if guid is None:
        raise ctx.fail(line, f"anki_note_type needs the note's anki_guid beside it{fix}", card_id)
    ntid, fields = value["id"], value["fields"]
    if type(ntid) is not int or ntid <= 0:
        raise ctx.fail(
            line, f"anki_note_type id must be the note type's id, a number{fix}", card_id
        )
    texts = [value[k] for k in ("name", "template", "question", "answer")]
    names: list[str] = fields if isinstance(fields, list) else []
    if not names or not all(isinstance(t, str) and t.strip() for t in [*texts, *names]):
        raise ctx.fail(
            line,
            "anki_note_type name, template, question, answer and fields must be text, "
            f"fields a list{fix}",
            card_id,
        )
    question, answer = value["question"], value["answer"]
    if len(set(names)) != len(names) or not {question, answer} <= set(names):
        raise ctx.fail(
            line,
            f"anki_note_type question and answer must be its fields, each named once{fix}",
            card_id,
        )
    if cloze != (question == answer):
        what = "one field, its cloze field" if cloze else "two fields"
        raise ctx.fail(line, f"anki_note_type question and answer must be {what}{fix}", card_id)
    return AnkiNoteType(
        ntid, value["name"], tuple(names), value["template"], question, answer, cloze
    )


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _step_for(low: float, high: float) -> float:
    """The step of a float range written without one: its bounds' last decimal place."""
    decimals = max(
        (len(repr(float(v)).split(".")[1]) if "e" not in repr(float(v)) else 1) for v in (low, high)
    )
    return 10.0 ** -max(decimals, 1)


def _quiz_range(
    ctx: _Ctx, name: str, bounds: object, step: object, line: int, card_id: str
) -> list[int | float]:
    where = f"quiz parameter '{name}'"
    if not isinstance(bounds, list) or len(bounds) != 2 or not all(_is_number(v) for v in bounds):
        raise ctx.fail(line, f"{where}: a range is [low, high] with two numbers", card_id)
    low, high = bounds
    for bound in bounds:  # YAML's .inf and .nan: no value to draw, no step to count
        if isinstance(bound, float) and not _finite(bound):
            raise ctx.fail(line, f"{where}: a range's bounds must be finite, not {bound}", card_id)
    if low > high:
        raise ctx.fail(line, f"{where}: low {low} is above high {high}", card_id)
    if step is None:
        both_int = isinstance(low, int) and isinstance(high, int)
        step = 1 if both_int else _step_for(low, high)
    if (
        not isinstance(step, int | float)
        or isinstance(step, bool)
        or not _finite(step)
        or step <= 0
    ):
        raise ctx.fail(line, f"{where}: step must be a finite positive number", card_id)
    if step > high - low and high != low:
        raise ctx.fail(line, f"{where}: step {step} is wider than the range", card_id)
    if isinstance(low + high + step, float) and not _finite((high - low) / step):
        # [-1e308, 1e308]: high - low overflows, and the count of steps with it
        raise ctx.fail(line, f"{where}: [{low}, {high}] is too wide to count its steps", card_id)
    return [low, high, step]


def _quiz(ctx: _Ctx, raw: object, line: int, card_id: str, n_compute: int) -> Quiz:
    if not isinstance(raw, dict):
        raise ctx.fail(line, "'quiz' must be a mapping with 'template' and 'params'", card_id)
    _reject_unknown(ctx, raw, QUIZ_KEYS, card_id, where=" in quiz")
    template = raw.get("template")
    if not isinstance(template, str) or not template.strip():
        raise ctx.fail(line, "quiz needs a 'template' text with {placeholders}", card_id)
    params = raw.get("params") or {}
    if not isinstance(params, dict):
        raise ctx.fail(_line_of(raw, "params"), "quiz 'params' must be a mapping", card_id)
    choices: dict[str, list[Scalar]] = {}
    ranges: dict[str, list[int | float]] = {}
    for name, spec in params.items():
        pline = _line_of(params, name, line)
        name = str(name)
        if isinstance(spec, dict):
            if set(spec) == {"choices"} and isinstance(spec["choices"], list) and spec["choices"]:
                items = spec["choices"]
            elif set(spec) in ({"range"}, {"range", "step"}):
                ranges[name] = _quiz_range(
                    ctx, name, spec["range"], spec.get("step"), pline, card_id
                )
                continue
            else:
                raise ctx.fail(
                    pline,
                    f"quiz parameter '{name}' must be [low, high], {{range: [low, high], "
                    "step: s}, {choices: [...]} or a list of choices",
                    card_id,
                )
        elif isinstance(spec, list) and len(spec) == 2 and all(_is_number(v) for v in spec):
            ranges[name] = _quiz_range(ctx, name, spec, None, pline, card_id)
            continue
        elif isinstance(spec, list) and spec:
            items = spec
        else:
            raise ctx.fail(
                pline,
                f"quiz parameter '{name}' must be [low, high] or a list of choices",
                card_id,
            )
        if not all(isinstance(v, bool | int | float | str) for v in items):
            raise ctx.fail(
                pline, f"quiz parameter '{name}': choices must be numbers or text", card_id
            )
        for v in items:  # a drawn .nan or .inf: a question no computation answers
            if isinstance(v, float) and not _finite(v):
                raise ctx.fail(
                    pline, f"quiz parameter '{name}': choices must be finite, not {v}", card_id
                )
        choices[name] = list(items)
    declared = set(choices) | set(ranges)
    used = set(PLACEHOLDER.findall(template))
    tline = _line_of(raw, "template", line)
    for name in sorted(used - declared):
        raise ctx.fail(
            tline, f"quiz template uses {{{name}}} but 'params' does not define it", card_id
        )
    for name in sorted(declared - used):
        raise ctx.fail(
            tline,
            f"quiz parameter '{name}' does not appear in the template; show it as {{{name}}}",
            card_id,
        )
    args_raw = raw.get("args") or {}
    if not isinstance(args_raw, dict):
        raise ctx.fail(_line_of(raw, "args"), "quiz 'args' must be a mapping", card_id)
    args: dict[str, Value] = {}
    for key, val in args_raw.items():
        aline = _line_of(args_raw, key, line)
        args[str(key)] = _scalar_or_list(ctx, val, aline, f"quiz argument '{key}'", card_id)
        items = val if isinstance(val, list) else [val]
        for item in items:
            for name in PLACEHOLDER.findall(item) if isinstance(item, str) else []:
                if name not in declared:
                    raise ctx.fail(
                        aline,
                        f"quiz argument '{key}' uses {{{name}}}, which is not a parameter",
                        card_id,
                    )
    tol = raw.get("tolerance")
    if tol is not None and (not _is_number(tol) or not _finite(tol) or tol < 0):
        raise ctx.fail(
            _line_of(raw, "tolerance"),
            "quiz tolerance must be a finite non-negative number",
            card_id,
        )
    share = raw.get("trivial_share", 0)
    if not _is_number(share) or not 0 <= share <= 1:
        raise ctx.fail(
            _line_of(raw, "trivial_share"),
            "quiz trivial_share must be a number from 0 to 1 (the share of questions that may "
            "have the answer 0 or one of the given numbers)",
            card_id,
        )
    unchanged = raw.get("unchanged_share")
    if unchanged is not None and (not _is_number(unchanged) or not 0 <= unchanged <= 1):
        raise ctx.fail(
            _line_of(raw, "unchanged_share"),
            "quiz unchanged_share must be a number from 0 to 1 (the share of questions whose "
            "answer is a vector the question gives, unchanged)",
            card_id,
        )
    answer = raw.get("answer", 0)
    if n_compute == 0:
        raise ctx.fail(line, "a quiz template needs a 'compute' block to check answers", card_id)
    if not isinstance(answer, int) or isinstance(answer, bool) or not 0 <= answer < n_compute:
        raise ctx.fail(
            _line_of(raw, "answer"),
            f"quiz 'answer' must index one of the card's compute blocks (0 to {n_compute - 1})",
            card_id,
        )
    return Quiz(
        template=template,
        params=choices,
        answer=answer,
        args=args,
        tolerance=float(tol) if tol is not None else None,
        ranges=ranges,
        mistakes=_mistakes(
            ctx, raw.get("mistakes"), _line_of(raw, "mistakes", line), declared, card_id
        ),
        trivial_share=float(share),
        unchanged_share=None if unchanged is None else float(unchanged),
    )


def _mistakes(
    ctx: _Ctx, raw: object, line: int, declared: set[str], card_id: str
) -> tuple[Mistake, ...]:
    """A quiz's `mistakes`: a list of `{args: {...}, label: "..."}` (see `Quiz`)."""
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise ctx.fail(line, "quiz 'mistakes' must be a list of {args: ..., label: ...}", card_id)
    out = []
    for item in raw:
        mline = _line_of(item, default=line)
        if not isinstance(item, dict) or not isinstance(item.get("args"), dict):
            raise ctx.fail(mline, 'a quiz mistake must be {args: {...}, label: "..."}', card_id)
        _reject_unknown(ctx, item, MISTAKE_KEYS, card_id, where=" in a quiz mistake")
        label = item.get("label")
        if not isinstance(label, str) or not label.strip():
            raise ctx.fail(mline, "a quiz mistake needs a 'label' saying what it is", card_id)
        args: dict[str, Value] = {}
        for key, val in item["args"].items():
            what = f"quiz mistake argument '{key}'"
            args[str(key)] = _scalar_or_list(ctx, val, mline, what, card_id)
            for text in val if isinstance(val, list) else [val]:
                for name in PLACEHOLDER.findall(text) if isinstance(text, str) else []:
                    if name not in declared:
                        raise ctx.fail(mline, f"{what} uses {{{name}}}, not a parameter", card_id)
        out.append(Mistake(args, label.strip()))
    return tuple(out)


_USUAL_KEYS = frozenset({"id", "question", "answer", "tags", "source", "anki_guid"})


def _usual_card(ctx: _Ctx, raw: object, topic: str) -> Card | None:
    """The card, when it is the usual kind (text id, question, answer and source, a list of
    valid tags, an Anki GUID, nothing else) and valid: what `_checked_card` gives, without its
    per-field checks (two thirds of a big deck's validation). None for anything else."""
    if type(raw) is not _Map or not raw.keys() <= _USUAL_KEYS:
        return None
    card_id, question, answer = raw.get("id"), raw.get("question"), raw.get("answer")
    source = raw.get("source", "")
    tags = raw.get("tags", ())
    if not (
        type(card_id) is str
        and type(question) is str
        and type(answer) is str
        and type(source) is str
        and (type(tags) is _Seq or tags == ())
        and CARD_ID.match(card_id)
        and question.strip()
        and answer.strip()
        and _visible(question)
        and _visible(answer)
        and _visible(source)
    ):
        return None
    for tag in tags:
        if not is_tag(tag):
            return None
    guid = raw.get("anki_guid")
    if "anki_guid" in raw and anki_guid_problem(guid) is not None:
        return None
    return Card(
        id=card_id,
        topic=topic,
        question=question,
        answer=answer,
        tags=tuple(dict.fromkeys(tags)),
        source=source if "source" in raw else None,
        file=ctx.path,
        line=raw.line,
        anki_guid=guid,
    )


def _card(ctx: _Ctx, raw: object, topic: str, index: int, line: int) -> Card:
    return _usual_card(ctx, raw, topic) or _checked_card(ctx, raw, topic, index, line)


def _checked_card(ctx: _Ctx, raw: object, topic: str, index: int, line: int) -> Card:
    if not isinstance(raw, _Map):
        raise ctx.fail(
            _line_of(raw, default=line),
            f"card #{index + 1} must be a mapping with id, question and answer, "
            f"not {_type_name(raw)}",
        )
    raw_id = raw.get("id")
    card_id = (
        str(raw_id) if isinstance(raw_id, str | int) and not isinstance(raw_id, bool) else None
    )
    _reject_unknown(ctx, raw, CARD_KEYS, card_id, suggest=True)
    if "id" not in raw:
        raise ctx.fail(
            raw.line, f"card #{index + 1} has no 'id'; give it a unique id like {topic}-{index + 1}"
        )
    if raw_id is None or (isinstance(raw_id, str) and not raw_id.strip()):
        raise ctx.fail(_line_of(raw, "id"), f"card #{index + 1} has an empty 'id'")
    if card_id is None:
        raise ctx.fail(
            _line_of(raw, "id"), f"card #{index + 1}: 'id' must be text, not {_type_name(raw_id)}"
        )
    if not CARD_ID.match(card_id):
        raise ctx.fail(
            _line_of(raw, "id"),
            "id must be lowercase letters, digits, '-', '_' or '.', "
            "starting with a letter or digit",
            card_id,
        )
    for key, value in raw.items():
        _no_control_characters(ctx, value, _line_of(raw, key), key, card_id)
    question = _text(ctx, raw, "question", card_id, required=True)
    answer = _text(ctx, raw, "answer", card_id, required=True)
    assert question is not None and answer is not None
    tags_raw = raw.get("tags", [])
    if tags_raw is None:
        tags_raw = []
    if isinstance(tags_raw, str):
        tags_raw = [tags_raw]
    if not isinstance(tags_raw, list):
        raise ctx.fail(_line_of(raw, "tags"), "tags must be a list like [math, interview]", card_id)
    tags: list[str] = []
    for tag in tags_raw:
        problem = tag_problem(tag) if isinstance(tag, str) else "a tag is text, like math"
        if problem is not None:
            raise ctx.fail(
                _line_of(raw, "tags"), f"tag {quoted(tag)} is not a valid tag: {problem}", card_id
            )
        if tag not in tags:
            tags.append(tag)
    source = _text(ctx, raw, "source", card_id, required=False)
    erratum = _text(ctx, raw, "erratum", card_id, required=False)
    note = _text(ctx, raw, "note", card_id, required=False)
    for key, value in (("erratum", erratum), ("note", note)):
        if value is not None and not value.strip():
            raise ctx.fail(
                _line_of(raw, key), f"field '{key}' is empty; write it or remove it", card_id
            )
    references = _references(ctx, raw, card_id)
    if references and not (erratum or note):
        raise ctx.fail(
            _line_of(raw, "references"),
            "references back an erratum or a note; add one, or remove the references",
            card_id,
        )
    source_question = _text(ctx, raw, "source_question", card_id, required=False)
    if source_question is not None:
        sline = _line_of(raw, "source_question")
        if not source_question.strip():
            raise ctx.fail(sline, "field 'source_question' is empty", card_id)
        if source_question == question:
            raise ctx.fail(
                sline,
                "source_question is the same as question; keep it only for a repaired question",
                card_id,
            )
        if not (erratum or note):
            raise ctx.fail(
                sline,
                "a repaired question needs a note or erratum saying what was changed and why",
                card_id,
            )
    compute: tuple[Compute, ...] = ()
    if raw.get("compute") is not None:
        compute = _compute(ctx, raw["compute"], _line_of(raw, "compute"), card_id)
    wrong = next((c for c in compute if c.wrong), None)
    if wrong is not None and not erratum:
        raise ctx.fail(
            _line_of(raw, "compute"),
            f"compute {wrong.fn} is marked 'wrong: true' but the card has no erratum "
            "explaining the source's mistake",
            card_id,
        )
    quiz = None
    if raw.get("quiz") is not None:
        quiz = _quiz(ctx, raw["quiz"], _line_of(raw, "quiz"), card_id, len(compute))
    return Card(
        id=card_id,
        topic=topic,
        question=question,
        answer=answer,
        tags=tuple(tags),
        source=source,
        compute=compute,
        erratum=erratum,
        quiz=quiz,
        file=ctx.path,
        line=raw.line,
        note=note,
        references=references,
        source_question=source_question,
        same_question=_same_question(ctx, raw, card_id),
        anki_guid=(guid := _anki_guid(ctx, raw, card_id)),
        anki_note_type=_anki_note_type(ctx, raw, card_id, guid),
    )


def parse_deck(text: str, path: str) -> Deck:
    """Parse and validate one deck file's text. Raises DeckError naming `path` and the line."""
    ctx = _Ctx(path, text)
    from dlcards.yamlload import load_yaml

    if text.startswith("\ufeff"):
        text = text[1:]
    data = load_yaml(text, path)
    if data is None:
        raise ctx.fail(0, "the deck is empty; it needs 'topic', 'title' and 'cards'")
    if not isinstance(data, _Map):
        raise ctx.fail(
            _line_of(data, default=1),
            f"a deck must be a mapping with 'topic', 'title' and 'cards', not {_type_name(data)}",
        )
    _reject_unknown(ctx, data, DECK_KEYS, where=" at the top of the deck", suggest=True)
    for key in ("topic", "title", "cards"):
        if key not in data:
            raise ctx.fail(1, f"required field '{key}' is missing at the top of the deck")
    for key in ("title", "description"):
        _no_control_characters(ctx, data.get(key), _line_of(data, key), key, None)
    topic = data["topic"]
    if not isinstance(topic, str) or not SLUG.match(topic):
        raise ctx.fail(
            _line_of(data, "topic"),
            f"topic {quoted(topic)} is not a valid topic slug: "
            "use lowercase letters, digits, '-' or '_', "
            "starting with a letter (e.g. 'gd')",
        )
    title = data["title"]
    if not isinstance(title, str) or not title.strip():
        raise ctx.fail(_line_of(data, "title"), "field 'title' must be non-empty text")
    description = data.get("description")
    if description is not None and not isinstance(description, str):
        raise ctx.fail(_line_of(data, "description"), "field 'description' must be text")
    _no_control_characters(
        ctx, data.get("anki_deck"), _line_of(data, "anki_deck"), "anki_deck", None
    )
    anki_deck = data.get("anki_deck")
    problem = None if anki_deck is None else anki_deck_problem(anki_deck)
    if problem is not None:
        raise ctx.fail(
            _line_of(data, "anki_deck"),
            f"field 'anki_deck' {problem}; `import anki --to-yaml` writes it (remove it to "
            "export the deck as a subdeck of Deep Learning named by its title)",
        )
    own_cards = data.get("own_cards", False)
    if not isinstance(own_cards, bool):
        raise ctx.fail(
            _line_of(data, "own_cards"),
            "field 'own_cards' must be true or false (true: the file adds your own cards to "
            "the topic another deck file defines)",
        )
    cards_raw = data["cards"]
    if not isinstance(cards_raw, list):
        raise ctx.fail(
            _line_of(data, "cards"), f"'cards' must be a list of cards, not {_type_name(cards_raw)}"
        )
    cards: list[Card] = []
    seen: dict[str, int] = {}
    notes: dict[str, Card] = {}  # each `anki_guid` given, with its card
    for index, raw in enumerate(cards_raw):
        card = _card(ctx, raw, topic, index, _line_of(cards_raw))
        if card.id in seen:
            raise ctx.fail(
                card.line,
                f"duplicate id: already used at line {seen[card.id]} of this file; "
                "give each card its own id",
                card.id,
            )
        seen[card.id] = card.line
        if card.anki_guid is not None:
            other = notes.setdefault(card.anki_guid, card)
            if other is not card:  # exported, the two would be one note in Anki
                raise ctx.fail(
                    _line_of(raw, "anki_guid"),
                    f"anki_guid {quoted(card.anki_guid)} is also card {other.id}'s (line "
                    f"{other.line} of this file); each card is its own Anki note",
                    card.id,
                )
        cards.append(card)
    return Deck(
        topic=topic,
        title=title.strip(),
        cards=tuple(cards),
        path=path,
        description=description,
        anki_deck=anki_deck,
        own_cards=own_cards,
    )


# --- a deck file parsed again after an edit: only the cards whose text changed --------------
#
# A deck file is mostly its `cards:` list, each card an item at the start of a line: `- id: ..`
# and its lines up to the next item's `- `. Saved after an edit, most of those items are as they
# were, and a card is what its item's text says: a deck holds no alias (the loader refuses
# them), so nothing in an item reaches into another. So the file is cut before each `\n- `,
# each piece's digest kept with the parsed deck when the pieces are its cards one for one
# (`Chunks`, in the deck cache), and a new version of the file is parsed piece by piece: a card
# whose piece is the same text is the card it was (at its new line), and only the others are
# read, each alone at its place in the file (`yamlload.list_item`). Anything else (the text
# before the first card changed, a card that is not valid, an id twice, a line at column 0
# after the list, many of the cards changed...) is left to `parse_deck` of the whole text,
# which also says what is wrong.


class Chunks(NamedTuple):
    """The digests of a deck file's text cut before each card (see above): `header`, of the
    text before the first card's `- `, and `cards`, each card's `DIGEST_CHARS` hex digits in
    the order of the deck's cards."""

    header: str
    cards: str


DIGEST_CHARS = 16
_STRAY = re.compile(r"\n(?![ \n#]|\r\n|\r?\Z|- )")
"""A line at column 0 that is no item's `- `, comment or blank line (Windows's too): a key
after the list; between two cards, a document's end or start (`...`, `---`) or a directive,
which libyaml reads at the end of one card read alone and refuses in the file."""
_OTHER_BREAK = re.compile("\r(?!\n|\\Z)|[\x85\u2028\u2029]")
"""A line break libyaml counts (YAML 1.1: a lone CR, NEL, LS, PS) that `_cut` does not: the
cards after it start a line later than the text's newlines say. (A piece's CR at its end is
a Windows line break's, cut before its newline.)"""


def _other_break(text: str) -> bool:
    """Whether `text` holds an `_OTHER_BREAK` (ASCII text without a CR: none, unsearched)."""
    return (not text.isascii() or "\r" in text) and _OTHER_BREAK.search(text) is not None


def _cut(text: str) -> tuple[list[str], list[int]]:
    """The text before the first `\\n- `, then each piece after one; and the line (numbered
    from 1) each piece after the first starts on."""
    from itertools import accumulate

    pieces = text.split("\n- ")
    newlines = accumulate(piece.count("\n") + 1 for piece in pieces[:-1])
    return pieces, [n + 1 for n in newlines]


def _digests(pieces: list[str]) -> list[str]:
    import hashlib  # as `Card.content_hash`: only a sync parses again

    return [
        hashlib.blake2b(piece.encode("utf-8", "surrogatepass"), digest_size=8).hexdigest()
        for piece in pieces
    ]


def parse_deck_chunked(text: str, path: str) -> tuple[Deck, Chunks | None]:
    """`parse_deck`, and the digests of the deck's text by card (`Chunks`) when a later
    version of it can be parsed by its changed cards (`reparse_deck`); None when not (its
    cards are not one an item each, at their lines, with nothing after the list)."""
    if text.startswith("\ufeff"):
        text = text[1:]
    deck = parse_deck(text, path)
    pieces, lines = _cut(text)
    if (
        len(pieces) != len(deck.cards) + 1
        or any(card.line != line for card, line in zip(deck.cards, lines, strict=True))
        or _STRAY.search(pieces[-1])
        or _other_break(text)  # its lines, right here, would not be in a later version
    ):
        return deck, None
    digests = _digests(pieces)
    return deck, Chunks(digests[0], "".join(digests[1:]))


def reparse_deck(text: str, path: str, old: Deck, chunks: Chunks) -> tuple[Deck, Chunks] | None:
    """`parse_deck_chunked` of a new version of deck file `path`, made from the deck `old`
    parsed from an earlier version and that version's `chunks`: only the cards whose text
    changed are read. None when the new version is not a list of cards after the same text
    (see above), or a card in it fails: then `parse_deck` of the whole text decides."""
    got = reparse_reusing(text, path, old, chunks)
    return None if got is None else got[:2]


def reparse_reusing(
    text: str, path: str, old: Deck, chunks: Chunks
) -> tuple[Deck, Chunks, list[int | None]] | None:
    """`reparse_deck`, and for each card of the new deck the index in `old.cards` of the card
    it is (its text unchanged and read as before), or None for a card read again."""
    from dlcards.yamlload import MAX_DECK_BYTES, list_item

    if text.startswith("\ufeff"):
        text = text[1:]
    if len(text) > MAX_DECK_BYTES:
        return None
    pieces, lines = _cut(text)
    width = DIGEST_CHARS
    if len(pieces) < 2 or len(chunks.cards) != width * len(old.cards) or _STRAY.search(pieces[-1]):
        return None
    digests = _digests(pieces)
    if digests[0] != chunks.header:
        return None
    was = {chunks.cards[i * width : (i + 1) * width]: i for i in range(len(old.cards))}
    if 4 * sum(digest not in was for digest in digests[1:]) > len(digests):
        return None  # a quarter of the cards or more changed: one whole parse is quicker
    ctx = _Ctx(path)
    cards: list[Card] = []
    reused: list[int | None] = []
    seen: set[str] = set()
    seen_guids: set[str | None] = set()
    last = len(lines) - 1
    was_last = len(old.cards) - 1
    for index, (piece, line, digest) in enumerate(zip(pieces[1:], lines, digests[1:], strict=True)):
        i = was.get(digest)
        if i is not None and (i == was_last) != (index == last):
            # the last card is read up to the end of the text, the others up to the line
            # break before the next card's `- `, which is theirs: the same text reads
            # otherwise (a kept block scalar, `|+`, keeps that break), so it is read again
            i = None
        if i is not None:
            card = old.cards[i]
            if card.line != line or card.file != path:
                card = card._replace(line=line, file=path)
        else:
            if _STRAY.search(piece) or _other_break(piece):
                return None  # read alone, not as in its file (see above)
            try:
                raw = list_item(piece, line, index == last)
                card = _card(ctx, raw, old.topic, index, line)
            except Exception:  # any failure: the whole text's parse decides, and says it
                return None
        if card.id in seen or card.anki_guid in seen_guids:
            return None  # the whole text's parse says where
        seen.add(card.id)
        if card.anki_guid is not None:
            seen_guids.add(card.anki_guid)
        cards.append(card)
        reused.append(i)
    deck = Deck(
        old.topic, old.title, tuple(cards), path, old.description, old.anki_deck, old.own_cards
    )
    return deck, Chunks(digests[0], "".join(digests[1:])), reused
