"""Search queries, parsed (pure): the words to find and the Anki-style filters around them.

    dlcards search "learning rate" momentum -adam tag:math topic:gd is:due prop:lapses>3

- a word finds cards with a word that starts with it, in the question, answer, erratum, note
  or tags (case and accents ignored); "two words" in quotes is a phrase; every term must match;
- `-word`, `-"a phrase"` and `-filter:...` exclude;
- `topic:gd`, `tag:math` (`*` is a wildcard in both), `is:due`, `is:new`, `is:review`,
  `is:suspended`, `is:leech`, and `prop:lapses>3` (`reps`, `ivl`, `ease`, `due` in days from
  today; operators `<`, `<=`, `>`, `>=`, `=`, `!=`), as in Anki's search.

The store runs a query on its FTS5 index (`dlcards.store.Store.search`); this module only says
what the query means, so the tests can check the index against a plain scan.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from dlcards.errors import UsageError

IS_VALUES = ("due", "new", "review", "suspended", "leech")
PROPS = ("lapses", "reps", "ivl", "ease", "due")
OPERATORS = ("<=", ">=", "!=", "<", ">", "=")
TOKEN = re.compile(r"[^\W_]+")
"""A word as the index sees it (SQLite's unicode61 tokenizer: letters and digits)."""


def tokens(text: str) -> list[str]:
    """The words of `text` as the index splits them, folded to lower case."""
    return TOKEN.findall(text.casefold())


@dataclass(frozen=True)
class Term:
    """A word or a phrase: its words, the last one matched as a prefix."""

    words: tuple[str, ...]
    negated: bool = False


@dataclass(frozen=True)
class Filter:
    kind: str  # "topic" | "tag" | "is" | "prop"
    value: str  # the topic or tag pattern, the is: value, or the prop: name
    negated: bool = False
    op: str = "="
    number: float = 0.0


@dataclass(frozen=True)
class Query:
    text: str
    terms: tuple[Term, ...] = ()
    filters: tuple[Filter, ...] = ()

    @property
    def words(self) -> list[str]:
        """Every word of the terms that must match (for highlighting)."""
        return [w for t in self.terms if not t.negated for w in t.words]

    @property
    def ranked(self) -> bool:
        return any(not t.negated for t in self.terms)

    def phrases(self, negated: bool) -> list[str]:
        """The terms as FTS5 phrases (quoted, the last word a prefix), must or must not match."""
        return ['"' + " ".join(t.words) + '"*' for t in self.terms if t.negated == negated]


def _split(text: str) -> list[str]:
    """Whitespace-separated parts; double quotes group (`"a b"`, `tag:"x"`, `-"a b"`)."""
    parts: list[str] = []
    for match in re.finditer(r'(?:[^\s"]+|"[^"]*"?)+', text):
        parts.append(match.group(0))
    return parts


def _filter(name: str, value: str, negated: bool, part: str) -> Filter:
    from dlcards.suggest import did_you_mean

    if name in ("topic", "tag"):
        if not value:
            raise UsageError(f"search: '{part}' needs a value, e.g. {name}:gd")
        return Filter(name, value.lower(), negated)
    if name == "is":
        if value not in IS_VALUES:
            hint = did_you_mean(value, IS_VALUES)
            raise UsageError(
                f"search: unknown is:{value}{hint}; use one of "
                + ", ".join(f"is:{v}" for v in IS_VALUES)
            )
        return Filter("is", value, negated)
    # prop:
    found = re.fullmatch(r"([a-z]+)(<=|>=|!=|<|>|=)(-?\d+(?:\.\d+)?)", value)
    if not found:
        raise UsageError(
            f"search: '{part}' is not a property test; write e.g. prop:lapses>3 "
            f"(properties: {', '.join(PROPS)})"
        )
    prop, op, number = found.groups()
    if prop not in PROPS:
        hint = did_you_mean(prop, PROPS)
        raise UsageError(f"search: unknown property '{prop}'{hint}; use {', '.join(PROPS)}")
    return Filter("prop", prop, negated, op, float(number))


MAX_PARTS = 64
"""The most words, phrases and filters a query may have: each is a condition of the one SQL
query, whose cost grows with the square of their number (4,000 words: 10 s; 5,000 ORs: 55 s).
Anki's longest real searches are a few dozen parts."""


def parse(text: str) -> Query:
    """The query `text` means; a UsageError names a filter it cannot read, or a query of
    more than MAX_PARTS parts."""
    terms: list[Term] = []
    filters: list[Filter] = []
    parts = _split(text)
    if len(parts) > MAX_PARTS:
        raise UsageError(
            f"search: the query has {len(parts):,} parts (words, phrases, filters); "
            f"at most {MAX_PARTS} are searched at once"
        )
    for part in parts:
        negated = part.startswith("-") and len(part) > 1
        body = part[1:] if negated else part
        head, colon, rest = body.partition(":")
        if colon and head.lower() in ("topic", "tag", "is", "prop"):
            filters.append(_filter(head.lower(), rest.strip('"').strip().lower(), negated, part))
            continue
        if colon and head.lower() == "deck":
            raise UsageError("search: decks are topics here; write topic:NAME (e.g. topic:gd)")
        words = tuple(tokens(body))
        if words:
            terms.append(Term(words, negated))
        elif body.strip('"'):  # not an empty phrase (`""`, every card, as in Anki)
            # dropped, it would leave the rest of the query: `-` alone listed every card
            from dlcards.console import escaped

            raise UsageError(
                f"search: '{escaped(part)}' has no word to search for: the index holds words "
                'and numbers, not punctuation (exclude with -word, -"a phrase" or -tag:NAME)'
            )
    return Query(text, tuple(terms), tuple(filters))


def highlight_spans(text: str, words: list[str]) -> list[tuple[int, int]]:
    """(start, end) of every word in `text` that starts with one of `words` (case folded)."""
    if not words:
        return []
    spans = []
    for match in TOKEN.finditer(text):
        folded = match.group(0).casefold()
        if any(folded.startswith(w) for w in words):
            spans.append((match.start(), match.end()))
    return spans


def snippet(fields: list[tuple[str, str]], words: list[str], width: int = 90) -> str | None:
    """`field: …text…` around the first match in the first field that has one (the text
    about `width` characters long), or None if no field matches."""
    for name, text in fields:
        text = " ".join(text.split())
        spans = highlight_spans(text, words)
        if not spans:
            continue
        a, b = spans[0]
        start = max(0, a - width // 3)
        end = min(len(text), max(b, start + width))
        if start > 0:
            start = text.find(" ", start, a) + 1 or start
        if end < len(text):
            end = text.rfind(" ", b, end) if text.rfind(" ", b, end) > b else end
        window = text[start:end].strip()
        return f"{name}: " + ("…" if start > 0 else "") + window + ("…" if end < len(text) else "")
    return None


def fit_snippet(shown: str, words: list[str], room: int) -> str:
    """A snippet (`field: …text…`) again around its first match, for a line of `room` cells:
    the match then starts within its first third, so cutting the line to `room` keeps it."""
    name, _, body = shown.partition(": ")
    before, after = body.startswith("…"), body.endswith("…")
    again = snippet([(name, body.strip("…"))], words, max(room - len(name) - 4, 12))
    if again is None:
        return shown
    _, _, inner = again.partition(": ")
    if before and not inner.startswith("…"):
        inner = "…" + inner
    if after and not inner.endswith("…"):
        inner += "…"
    return f"{name}: {inner}"
