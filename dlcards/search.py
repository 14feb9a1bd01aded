"""Search queries, parsed (pure): the words to find and the Anki-style filters around them.

    dlcards search "learning rate" momentum -adam tag:math topic:gd is:due prop:lapses>3
    dlcards search "(momentum or adam) -tag:math"

- a word finds cards with a word that starts with it, in the question, answer, erratum, note
  or tags (case and accents ignored); "two words" in quotes is a phrase; every term must match;
- `-word`, `-"a phrase"`, `-filter:...` and `-(...)` exclude;
- `a or b` (`OR`) matches either, and binds looser than the implicit "and" between terms
  (`a or b c` is `a or (b and c)`), as in Anki; parentheses group;
- `topic:gd`, `tag:math` (`*` is a wildcard in both), `is:due` (due today, not suspended),
  `is:new`, `is:review`, `is:suspended`, `is:leech`, and `prop:lapses>3` (`reps` the card's
  answers since its last reset, `ivl`, `ease`, `due` in days from today; operators `<`, `<=`,
  `>`, `>=`, `=`, `!=`), as in Anki's search. Anki's other `field:` searches (`deck:`,
  `rated:`, `flag:`, `front:` ...) are refused by name, never searched as words.

The store runs a query on its FTS5 index (`dlcards.store.Store.search`); this module only says
what the query means, so the tests can check the index against a plain scan.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from dlcards.errors import UsageError

IS_VALUES = ("due", "new", "review", "suspended", "leech")
PROPS = ("lapses", "reps", "ivl", "ease", "due")
OPERATORS = ("<=", ">=", "!=", "<", ">", "=")
TOKEN = re.compile(
    r"(?:[^\W_]|[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f])+"
)
"""A word as the index sees it (SQLite's unicode61 tokenizer: letters and digits, with the
combining marks of a decomposed accent: `re\u0301sume\u0301` is one word, not `re sume`)."""


def tokens(text: str) -> list[str]:
    """The words of `text` as the index splits them, in lower case: lower(), not casefold(),
    as unicode61 folds (casefold makes ß "ss" and İ "i̇", which the index never holds: a word
    with ß found nothing). FTS5 folds and strips accents from the phrase itself."""
    return TOKEN.findall(text.lower())


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
class Group:
    """Terms, filters and groups joined by "and" or "or" (a query with `or` or parentheses)."""

    kind: str  # "and" | "or"
    items: tuple[Node, ...]
    negated: bool = False


Node = Term | Filter | Group


def phrase(term: Term) -> str:
    """A term as an FTS5 phrase: quoted (no user text read as FTS syntax), the last word a
    prefix."""
    return '"' + " ".join(term.words) + '"*'


@dataclass(frozen=True)
class Query:
    """A parsed query: a flat one (every term and filter must hold) in `terms` and `filters`,
    or, with `or` or parentheses, the whole of it in `tree` (and nothing in the other two)."""

    text: str
    terms: tuple[Term, ...] = ()
    filters: tuple[Filter, ...] = ()
    tree: Group | None = None

    @property
    def words(self) -> list[str]:
        """Every word of the terms that must (or may) match (for highlighting)."""
        return [w for t in self.found_terms() for w in t.words]

    def found_terms(self) -> list[Term]:
        """The terms a matching card may hold: not excluded (under an even number of `-`)."""
        if self.tree is None:
            return [t for t in self.terms if not t.negated]
        return [
            t for t, outside in _leaves(self.tree) if isinstance(t, Term) and t.negated == outside
        ]

    @property
    def ranked(self) -> bool:
        return any(not t.negated for t in self.terms)

    def every_filter(self) -> list[Filter]:
        """The filters, wherever they are in the query (for the tables they read)."""
        if self.tree is None:
            return list(self.filters)
        return [f for f, _ in _leaves(self.tree) if isinstance(f, Filter)]

    def phrases(self, negated: bool) -> list[str]:
        """The terms as FTS5 phrases (quoted, the last word a prefix), must or must not match."""
        return [phrase(t) for t in self.terms if t.negated == negated]


_PART = re.compile(r'-?\(|\)|(?:[^\s"()]+|"[^"]*"?)+')


def _leaves(node: Node, outside: bool = False) -> Iterator[tuple[Term | Filter, bool]]:
    """The terms and filters of a query's tree, each with whether an odd number of the groups
    around it are negated (`-(...)`)."""
    if isinstance(node, Group):
        for item in node.items:
            yield from _leaves(item, outside != node.negated)
    else:
        yield node, outside


def _split(text: str) -> list[str]:
    """Whitespace-separated parts; double quotes group (`"a b"`, `tag:"x"`, `-"a b"`); `(`,
    `-(` and `)` outside quotes are parts of their own (as in Anki, `f(x)` is `f (x)`)."""
    return _PART.findall(text)


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


_FIELDS = ("topic", "tag", "is", "prop")
_FIELD_NAME = re.compile(r"[a-z_]+")


def _part(part: str) -> Term | Filter | None:
    """One part of a query: a term, a filter, or None for an empty phrase (`""`: every card,
    as in Anki)."""
    from dlcards.console import escaped

    negated = part.startswith("-") and len(part) > 1
    body = part[1:] if negated else part
    head, colon, rest = body.partition(":")
    field = head.lower()
    if colon and field in _FIELDS:
        return _filter(field, rest.strip('"').strip().lower(), negated, part)
    if colon and field == "deck":
        raise UsageError("search: decks are topics here; write topic:NAME (e.g. topic:gd)")
    if colon and _FIELD_NAME.fullmatch(field):  # Anki's rated:, flag:, front:... or a typo:
        # searched as words, `rated:1` found nothing and `a:b` the phrase "a b"
        from dlcards.suggest import did_you_mean

        raise UsageError(
            f"search: unknown field '{escaped(head)}:'{did_you_mean(field, _FIELDS)}; "
            "dlcards searches topic:, tag:, is: and prop: (to find the text, put it in "
            f'quotes: "{escaped(body)}")'
        )
    words = tuple(tokens(body))
    if words:
        return Term(words, negated)
    if body.strip('"'):
        # dropped, it would leave the rest of the query: `-` alone listed every card
        raise UsageError(
            f"search: '{escaped(part)}' has no word to search for: the index holds words "
            'and numbers, not punctuation (exclude with -word, -"a phrase" or -tag:NAME)'
        )
    return None


def _negated(node: Node) -> Node:
    if isinstance(node, Term):
        return Term(node.words, not node.negated)
    if isinstance(node, Filter):
        return Filter(node.kind, node.value, not node.negated, node.op, node.number)
    return Group(node.kind, node.items, not node.negated)


def _group(kind: str, items: list[Node]) -> Node:
    """`items` joined by `kind`: a group of one is that one; a group of the same kind inside
    (not negated) is merged into it."""
    merged: list[Node] = []
    for item in items:
        if isinstance(item, Group) and item.kind == kind and not item.negated:
            merged.extend(item.items)
        else:
            merged.append(item)
    return merged[0] if len(merged) == 1 else Group(kind, tuple(merged))


class _Reader:
    """The parts of a query read as Anki reads them: `or` between conjunctions, parentheses
    around groups."""

    def __init__(self, parts: list[str]) -> None:
        self.parts = parts
        self.at = 0

    def peek(self) -> str | None:
        return self.parts[self.at] if self.at < len(self.parts) else None

    def either(self) -> Node | None:
        """Conjunctions joined by `or`; None for nothing (or only empty phrases)."""
        options: list[Node | None] = [self.all()]
        while (part := self.peek()) is not None and part.lower() == "or":
            self.at += 1
            options.append(self.all())
            if options[-1] is None or options[0] is None:
                raise UsageError("search: 'or' needs a term on each side (e.g. momentum or adam)")
        kept = [o for o in options if o is not None]
        return _group("or", kept) if kept else None

    def all(self) -> Node | None:
        items: list[Node] = []
        while (part := self.peek()) is not None and part != ")" and part.lower() != "or":
            self.at += 1
            if part.lower() == "and":
                continue
            if part in ("(", "-("):
                inner = self.either()
                if self.peek() != ")":
                    raise UsageError("search: a '(' is not closed; end the group with ')'")
                self.at += 1
                if inner is None:
                    raise UsageError("search: '()' holds nothing to search for")
                items.append(_negated(inner) if part == "-(" else inner)
                continue
            node = _part(part)
            if node is not None:
                items.append(node)
        return _group("and", items) if items else None


def parse(text: str) -> Query:
    """The query `text` means; a UsageError names a filter or field it cannot read, a quote or
    parenthesis left open, or a query of more than MAX_PARTS parts."""
    if text.count('"') % 2:
        raise UsageError('search: a quote is not closed; end the phrase with "')
    parts = _split(text)
    if len(parts) > MAX_PARTS:
        raise UsageError(
            f"search: the query has {len(parts):,} parts (words, phrases, filters); "
            f"at most {MAX_PARTS} are searched at once"
        )
    reader = _Reader(parts)
    node = reader.either()
    if reader.peek() is not None:  # a ')' with no '(' (an 'or' is read by either)
        raise UsageError("search: a ')' has no '(' before it")
    if node is None:
        return Query(text)
    flat = node.items if isinstance(node, Group) and node.kind == "and" else (node,)
    if isinstance(node, Group) and (node.negated or node.kind == "or"):
        flat = (node,)
    if any(isinstance(item, Group) for item in flat):
        tree = node if isinstance(node, Group) else Group("and", (node,))
        return Query(text, tree=tree)
    terms = tuple(item for item in flat if isinstance(item, Term))
    filters = tuple(item for item in flat if isinstance(item, Filter))
    return Query(text, terms, filters)


def highlight_spans(text: str, words: list[str]) -> list[tuple[int, int]]:
    """(start, end) of every word in `text` that starts with one of `words` (case folded)."""
    if not words:
        return []
    spans = []
    for match in TOKEN.finditer(text):
        folded = match.group(0).lower()
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
        # whole words only: the window's ends at spaces, outwards when none is inside it
        # (`Momentum (backprop-26)` was cut to `Momentum (bac…`)
        if start > 0:
            start = text.find(" ", start, a) + 1 or text.rfind(" ", 0, start) + 1
        if end < len(text):
            inside = text.rfind(" ", b, end)
            end = inside if inside > b else (text.find(" ", end) + 1 or len(text) + 1) - 1
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
