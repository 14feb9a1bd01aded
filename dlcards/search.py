r"""Search queries, parsed (pure): the words to find and the Anki-style filters around them.

    dlcards search "learning rate" momentum -adam tag:math topic:gd is:due prop:lapses>3
    dlcards search "(momentum or adam) -tag:math"

The query is read as Anki's search parser reads it (rslib/src/search/parser.rs): its
grammar, escapes and errors; what dlcards searches differently, or not at all, is said here.

- a word finds cards with a word that starts with it, in the question, answer, erratum, note
  or tags (case and accents ignored); "two words" in quotes is a phrase; every term must
  match. Anki finds the text anywhere, even inside a word and across punctuation: the index
  holds words, so `optim*` (a prefix, as a word is) is the only wildcard in text, `*` alone
  is every card, and a word followed by punctuation (`C++`, `momentum\*`) is that word whole;
- `-word`, `-"a phrase"`, `-filter:...` and `-(...)` exclude;
- `a or b` (`OR`) matches either, and binds looser than the implicit (or written) "and"
  between terms (`a or b c` is `a or (b and c)`); parentheses group; `and`/`or` with no term
  on a side, `""`, `()`, an open quote or parenthesis, `:x` and an unknown escape are errors;
- `\"`, `\(`, `\)`, `\-`, `\:`, `\*`, `\_` and `\\` are the characters themselves (as text
  to find: the index holds no punctuation, so they separate words);
- `topic:gd` (dlcards's decks), `tag:math` (and the tags under it, `math::linear`; `*` any
  run within one tag, `_` one character, `tag:none` no tag, `tag:nc:` without accents),
  `is:due` (due today, not suspended), `is:new`, `is:review`, `is:suspended`, `is:leech`,
  and `prop:lapses>3` (`reps` the card's answers since its last reset, `ivl`, `ease` (0 for
  a new card, as Anki's factor), `due` in days from today, for cards that are not
  suspended; operators `<`, `<=`, `>`, `>=`, `=`, `!=`; whole numbers but for `ease`, 0 or
  more but for `due`), `nc:word` (accents are always ignored here) and
  `w:word` (the whole word);
- `rated:N` (cards answered in the last N study days, 1 today; every answer counts, re-drills
  too), `rated:N:B` (with Anki's button B: 1 Again, any failed grade 0-2; 2 Hard, grade 3;
  3 Good, 4; 4 Easy, 5: `BUTTON_GRADES`), `introduced:N` (the card's first answer ever, by
  time, was in the last N days: a reset does not introduce it again), `added:N` (the card
  came into the collection, its first sync, in the last N days) and `edited:N` (what its
  exported note shows last changed in the last N days: `cards.edited`). N is a whole number
  up to 4294967295 (Anki's u32); 0 is read as 1, as Anki reads it. Anki's other searches
  (`deck:`, `resched:`, `re:`, `flag:` ...) and field names (`front:`) are refused by name,
  never searched as words.

The store runs a query on its FTS5 index (`dlcards.store.Store.search`); this module only says
what the query means, so the tests can check the index against a plain scan.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field

from dlcards.errors import UsageError

IS_VALUES = ("due", "new", "review", "suspended", "leech")
PROPS = ("lapses", "reps", "ivl", "ease", "due")
OPERATORS = ("<=", ">=", "!=", "<", ">", "=")
TOKEN = re.compile(
    r"(?:[^\W_]|[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f])+"
)
"""A word as the index sees it (SQLite's unicode61 tokenizer: letters and digits, with the
combining marks of a decomposed accent: `re\u0301sume\u0301` is one word, not `re sume`)."""


def shell_quotes(words: Sequence[str], command: str) -> str | None:
    """When one of `words` (a command line's query) is a filter whose value holds a space,
    the shell had it in quotes and took them away: `dlcards search deck:"Deep Learning"`
    reaches the query as `deck:Deep Learning`, the deck "Deep" and the word "Learning". What
    to say of it, ending with `command` and the query in single quotes, as a shell gives
    them whole; None otherwise."""
    from dlcards.errors import quoted

    def requoted(word: str) -> str | None:  # `deck:Deep Learning` as `deck:"Deep Learning"`
        field, colon, value = word.partition(":")
        spaced = any(c.isspace() for c in value) and not any(c in value for c in "\\\"'")
        return f'{field}:"{value}"' if colon and field.lstrip("-") in FIELDS and spaced else None

    fixed = [requoted(word) for word in words]
    first = next((w for w, f in zip(words, fixed, strict=True) if f is not None), None)
    if first is None or any("'" in word for word in words):
        return None
    asked = " ".join(f or w for w, f in zip(words, fixed, strict=True))
    return (
        f"your shell took the quotes away from {quoted(first)}: to give them to the query, put "
        f"it in single quotes as a whole: `{command} '{asked}'`"  # (a code span: one line)
    )


def tokens(text: str) -> list[str]:
    """The words of `text` as the index splits them, in lower case: lower(), not casefold(),
    as unicode61 folds (casefold makes ß "ss" and İ "i̇", which the index never holds: a word
    with ß found nothing). FTS5 folds and strips accents from the phrase itself."""
    return TOKEN.findall(text.lower())


@dataclass(frozen=True)
class Term:
    """A word or a phrase: its words, the last one matched as a prefix unless not `prefix`."""

    words: tuple[str, ...]
    negated: bool = False
    prefix: bool = True


@dataclass(frozen=True)
class Filter:
    kind: str  # "topic" | "topics" | "deck" | "tag" | "nctag" (tag:nc:) | "is" | "prop" |
    # "untagged" | "all" | "none", or DATED
    value: str  # the topic or tag GLOB pattern, the topics (one a line), the deck: value (its
    # escapes kept, for `_chars`), the is: value, the prop: name, rated:'s button
    negated: bool = False
    op: str = "="
    number: float = 0.0  # prop:'s number, or the days of a DATED filter (1 or more)
    # a tag or topic as the user typed it (`tag:ÉX`), for a message to say so; not part of
    # the filter (`tag:ÉX` and `tag:éx` are one filter)
    given: str = field(default="", compare=False)


@dataclass(frozen=True)
class Group:
    """Terms, filters and groups joined by "and" or "or" (a query with `or` or parentheses)."""

    kind: str  # "and" | "or"
    items: tuple[Node, ...]
    negated: bool = False


Node = Term | Filter | Group


def phrase(term: Term) -> str:
    """A term as an FTS5 phrase: quoted (no user text read as FTS syntax), the last word a
    prefix (when the term's is)."""
    return '"' + " ".join(term.words) + '"' + ("*" if term.prefix else "")


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


def _leaves(node: Node, outside: bool = False) -> Iterator[tuple[Term | Filter, bool]]:
    """The terms and filters of a query's tree, each with whether an odd number of the groups
    around it are negated (`-(...)`)."""
    if isinstance(node, Group):
        for item in node.items:
            yield from _leaves(item, outside != node.negated)
    else:
        yield node, outside


MAX_PARTS = 64
"""The most words, phrases, filters and groups a query may have: each is a condition of the
one SQL query, whose cost grows with the square of their number (4,000 words: 10 s; 5,000
ORs: 55 s). Anki's longest real searches are a few dozen parts. Groups nested deeper than
this are refused as they are read (the reader, and each walk of the tree, recurses into
them: 330 nested parentheses were a RecursionError)."""
PARTS = "words, phrases, filters and groups in parentheses"
MAX_VALUE = 1000
"""The longest value a `key:value` part may have (SQLite refuses a GLOB pattern over 50,000
bytes as 'too complex', which read as the database's fault; no tag, topic or deck name is
near this long)."""

DATED = ("rated", "introduced", "added", "edited")
"""The searches by a span of study days (`rated:7`)."""
BUTTONS = {1: "Again", 2: "Hard", 3: "Good", 4: "Easy"}
BUTTON_GRADES = {1: (0, 1, 2), 2: (3,), 3: (4,), 4: (5,)}
"""Anki's answer buttons as dlcards's grades, for `rated:N:B`: Again is an answer that failed
(any grade below 3, each of which lapses a card as Again does), Hard, Good and Easy the three
passing grades in order. The inverse of the import's mapping (`importers.anki_progress.GRADES`:
Again -> 1, Hard -> 3, Good -> 4, Easy -> 5), so an imported answer is found with its button."""
FIELDS = ("deck", "topic", "tag", "is", "prop", "nc", "w", *DATED)
"""The fields dlcards searches (`deck:gd`, `tag:math` ...)."""
_SEARCHED = "deck:, topic:, tag:, is:, prop:, nc:, w:, rated:, introduced:, added: and edited:"
ANKI_ONLY = (
    "note", "card", "flag", "resched", "did", "mid", "nid", "cid", "re", "sc", "dupe",
    "has-cd", "preset",
)  # fmt: skip
"""Anki's other searches (parser.rs, `search_node_for_text_with_argument`): refused by name."""
_ANKI_PROPS = ("pos", "rated", "resched", "s", "d", "r", "cdn:", "cds:")
_PROP = re.compile(r"(ivl|due|reps|lapses|ease|pos|rated|resched|s|d|r|cdn:|cds:)")
_NUMBER = {  # what Rust's u32, i32 and f32 parsers take, as Anki parses prop: values (ASCII
    # digits only: Python's \d and float() take ٣ as 3, Rust's parsers do not)
    "u32": re.compile(r"\+?\d+", re.A),
    "i32": re.compile(r"[+-]?\d+", re.A),
    "f32": re.compile(
        r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?|[+-]?(?:inf|infinity|nan)", re.I | re.A
    ),
}
_RANGE = {"u32": (0, 2**32 - 1), "i32": (-(2**31), 2**31 - 1)}
"""The numbers Rust's u32 and i32 parsers take: a number past them is Anki's error."""
_PROP_NUMBER = {"ivl": "u32", "reps": "u32", "lapses": "u32", "due": "i32", "ease": "f32"}
_DAYS = re.compile(r"\+?[0-9]+")  # Rust's u32 parser, as Anki reads a number of days
_BUTTON = re.compile(r"\+?0*[1-4]")  # Anki's answer button: a u8 from 1 to 4
MAX_DAYS = 2**32 - 1
_BAD_ESCAPE = re.compile(r'(?:^|[^\\])(?:\\\\)*(\\(?:[^\\":*_()-]|$))')
_PARSER_ESCAPE = re.compile(r'\\[\\":()-]')


def _error(message: str) -> UsageError:
    return UsageError(f"search: {message}")


def _unescape(text: str) -> str:
    r"""Anki's `unescape`: an escape it does not know (`\d`, a `\` at the end) is an error;
    `\"`, `\:`, `\(`, `\)` and `\-` become the character, and `\\`, `\*`, `\_` are kept for
    the wildcard reader (`_chars`)."""
    from dlcards.console import escaped

    bad = _BAD_ESCAPE.search(text)
    if bad:
        raise _error(
            f"'{escaped(bad.group(1))}' is not an escape Anki knows; write \\\\ for a "
            'backslash (escapes: \\" \\* \\_ \\\\ \\( \\) \\- \\:)'
        )
    return _PARSER_ESCAPE.sub(lambda m: m.group(0) if m.group(0) == "\\\\" else m.group(0)[1], text)


def _chars(text: str) -> list[tuple[str, bool]]:
    r"""The characters of unescaped text, each with whether it is a wildcard (`*` or `_`
    unescaped; `\*`, `\_` and `\\` are the characters themselves)."""
    out: list[tuple[str, bool]] = []
    at = 0
    while at < len(text):
        char = text[at]
        if char == "\\" and at + 1 < len(text):
            out.append((text[at + 1], False))
            at += 2
            continue
        out.append((char, char in "*_"))
        at += 1
    return out


def _glob(text: str, one: str) -> str:
    """A topic or tag pattern as a SQLite GLOB: `*` any run, `_` one character (`one`), the
    characters GLOB reads (`*`, `?`, `[`) and escaped wildcards matched as themselves."""
    return "".join(
        ("*" if c == "*" else one) if wild else ("[" + c + "]" if c in "*?[" else c)
        for c, wild in _chars(text.lower())
    )


def _words(text: str, part: str, exact: bool = False) -> Term | Filter:
    r"""Text to find (a word, a phrase, `nc:` or `w:` text) as a term: its words, the last one
    a prefix unless the text ends in a character that is not part of a word (`C++`,
    `momentum\*`) or `exact` (`w:`), and a trailing `*` always a prefix; `*` alone is every
    card. The index holds words from their start, so any other wildcard is an error."""
    from dlcards.console import escaped

    chars = _chars(text)
    if chars and all(wild and c == "*" for c, wild in chars):
        return Filter("all", "")
    star = bool(chars) and chars[-1] == ("*", True)
    while chars and chars[-1] == ("*", True):
        chars.pop()
    if any(wild for _, wild in chars):
        wildcard = next(c for c, wild in chars if wild)
        what = "a '*' inside or before a word" if wildcard == "*" else "'_' (any one character)"
        raise _error(
            f"'{escaped(part)}': {what} is not searched here (words are found by their start: "
            f"optim* finds optimizer); \\{wildcard} is the character itself"
        )
    literal = "".join(c for c, _ in chars)
    words = tuple(tokens(literal))
    if not words:
        raise _error(
            f"'{escaped(part)}' has no word to search for: the index holds words and numbers, "
            'not punctuation (exclude with -word, -"a phrase" or -tag:NAME)'
        )
    ends_in_word = bool(TOKEN.fullmatch(literal[-1])) if literal else False
    return Term(words, prefix=star or (ends_in_word and not exact))


def _tag(value: str, part: str) -> Filter:
    """Anki's `tag:`: `none` is a card with no tag, `*` any card, a space never a tag; `*`
    matches within one tag (Anki's `\\S*`), `_` one character of it; a tag and those under
    it (`tag:ml` finds `ml::cnn`), in any case (the decks' tags are lower case and NFC: the
    value is made so too). `tag:nc:` compares both without combining marks (`uber` finds
    `über`), as Anki does."""
    from dlcards.deck import tag_form

    if not value:
        raise _error(f"'{part}' needs a value, e.g. tag:math")
    if value.startswith("re:"):
        raise _error(f"'{part}': regular expressions (tag:re:) are not searched here")
    nc = value.startswith("nc:")
    text = _unescape(value.removeprefix("nc:"))
    if not text:
        raise _error(f"'{part}' needs a value, e.g. tag:nc:uber")
    if text == "none":  # Anki's word, in lower case: `tag:NONE` is a tag of that name
        return Filter("untagged", "")
    if text == "*":
        return Filter("all", "")
    if " " in text or not_text(text):
        return Filter("none", "")
    if nc:
        return Filter("nctag", _glob(without_combining(tag_form(text)), "[^ ]"))
    return Filter("tag", _glob(tag_form(text), "[^ ]"), given=text)


def not_text(text: str) -> bool:
    """`text` holds bytes that were not UTF-8 (a command-line argument's, which Python keeps
    as lone surrogates): it names no tag or topic (the decks are UTF-8), and SQLite cannot
    take it as a parameter: `search tag:` with such a byte ended in a UnicodeEncodeError's
    traceback (`study --search` and `quiz --search` too)."""
    return any("\ud800" <= ch <= "\udfff" for ch in text)


def without_combining(text: str) -> str:
    """`text` as Anki's `nc:` compares it (rslib's `without_combining`): its compatibility
    decomposition (NFKD) without combining marks: `über` is `uber`, `ﬁ` `fi`."""
    import unicodedata

    if text.isascii():
        return text
    return "".join(
        c for c in unicodedata.normalize("NFKD", text) if not unicodedata.category(c)[0] == "M"
    )


def _prop(value: str, part: str) -> Filter:
    from dlcards.suggest import did_you_mean

    name = _PROP.match(value)
    word = re.match(r"[a-zA-Z]*", value).group(0)  # type: ignore[union-attr]
    if name is None or (word != name.group(1) and not name.group(1).endswith(":")):
        raise _error(
            f"unknown property '{word}'{did_you_mean(word.lower(), PROPS)}; use "
            f"{', '.join(PROPS)} (in lower case, as Anki reads them)"
        )
    prop = name.group(1)
    ops = ("<=", ">=", "!=", "=", "<", ">")  # Anki's order: `<=` before `<`
    op = next((o for o in ops if value.startswith(o, name.end())), None)
    if prop in _ANKI_PROPS:
        raise _error(f"Anki's prop:{prop} is not searched here; use {', '.join(PROPS)}")
    if op is None:
        # most often the shell's doing: an unquoted `prop:lapses>3` is `prop:lapses` with its
        # output sent to a file named 3
        raise _error(
            f"'{part}' is not a property test: prop:{prop} needs one of = != < > <= >= and a "
            "number, e.g. prop:lapses>3 (in a shell, in quotes: 'prop:lapses>3'; unquoted, "
            "> and < are redirections)"
        )
    number = value[name.end() + len(op) :]
    kind = _PROP_NUMBER[prop]
    wanted = {"u32": "a whole number, 0 or more", "i32": "a whole number", "f32": "a number"}
    if not _NUMBER[kind].fullmatch(number):
        raise _error(f"'{part}': prop:{prop} takes {wanted[kind]}, not '{number}'")
    low, high = _RANGE.get(kind, (None, None))
    if low is not None and high is not None and not low <= int(number) <= high:
        # Rust's parsers refuse a number past their type, as Anki does: read as a number,
        # prop:ivl<99999999999999999999 was every card here
        raise _error(
            f"'{part}': prop:{prop} takes a whole number from {low:,} to {high:,} (as Anki), "
            f"not '{number}'"
        )
    return Filter("prop", prop, False, op, float(number))


def _deck(value: str, part: str) -> Filter:
    """`deck:NAME` as Anki reads it (its `sqlwriter.rs`, `write_deck`): the decks whose name
    matches NAME whole, in any case, `*` any run and `_` one character, and their children
    (`deck:"Deep Learning"` is every topic's deck); `deck:*` every card, `deck:filtered` none
    (dlcards has no filtered deck). A topic's deck is named as `export anki` names it, and
    NAME may be its topic too (`deck:gd`, which Anki would find nothing for). The topics it
    names are found from their titles (`resolve_decks`)."""
    text = _unescape(value)
    if not text:
        raise _error(f"'{part}' needs a value, e.g. deck:gd or deck:\"Deep Learning::Gradient*\"")
    if text == "*":
        return Filter("all", "")
    if text == "filtered":
        return Filter("none", "")
    if text == "current":
        raise _error(
            "deck:current is the deck chosen in Anki's window; dlcards has none: name the "
            "deck (deck:gd, or its title)"
        )
    return Filter("deck", text)


_NATIVE = "\x1f"
"""Anki's separator of a deck and its child inside a name (`::` as the learner writes it)."""


def _deck_pattern(text: str) -> list[tuple[str, bool]]:
    """A `deck:` value as the characters Anki's regular expression matches: `_chars`, with
    each `::` the separator (Anki writes it into the expression: `human_deck_name_to_native`)."""
    chars = _chars(text)
    out: list[tuple[str, bool]] = []
    at = 0
    while at < len(chars):
        if chars[at] == (":", False) and chars[at + 1 : at + 2] == [(":", False)]:
            out.append((_NATIVE, False))
            at += 2
        else:
            out.append(chars[at])
            at += 1
    return out


def _same(a: str, b: str) -> bool:
    """One character against another in any case, as a case-insensitive regular expression
    compares them (`É` is `é`), without folding one into two (`ß` is not `ss`)."""
    return a == b or a.lower() == b.lower() or a.upper() == b.upper()


def _matches(pattern: list[tuple[str, bool]], text: str) -> bool:
    """Whether the whole of `text` matches `pattern` (`*` any run, `_` one character, in any
    case), in time proportional to their lengths' product: no backtracking regular expression,
    which `deck:*a*a*a...` would keep busy for hours (Anki's Rust one never backtracks)."""
    p = t = 0
    star, mark = -1, 0
    while t < len(text):
        if p < len(pattern):
            char, wild = pattern[p]
            if wild and char == "*":
                star, mark = p, t
                p += 1
                continue
            if wild or _same(char, text[t]):
                p += 1
                t += 1
                continue
        if star < 0:
            return False
        p, mark = star + 1, mark + 1
        t = mark
    return all(wild and char == "*" for char, wild in pattern[p:])


def resolve_decks(
    query: Query, titles: Mapping[str, str], decks: Mapping[str, str] | None = None
) -> Query:
    """`query` with each `deck:` filter as the topics it names (`titles`: every topic's
    title): those whose deck in Anki (`decks`: where an import saw its cards,
    `Store.anki_decks`, else its deck file's `anki_deck:`, `Catalog.anki_decks`; for a topic
    it lacks, `anki_deck_name` of the title) is a deck it matches or a child of one
    (Anki's `write_deck`: `(?i)^NAME($|\x1f)`), or whose topic it matches."""
    from dlcards.deck import anki_deck_name

    if not any(f.kind == "deck" for f in query.every_filter()):
        return query
    given = decks or {}
    names = {
        topic: (given.get(topic) or anki_deck_name(title)).replace("::", _NATIVE)
        for topic, title in titles.items()
    }

    def topics(f: Filter) -> Filter:
        if f.kind != "deck":
            return f
        pattern = _deck_pattern(f.value)
        found = [
            topic
            for topic, name in names.items()
            if _matches(pattern, topic)
            or any(
                _matches(pattern, name[:end])
                for end in [*(i for i, c in enumerate(name) if c == _NATIVE), len(name)]
            )
        ]
        return Filter("topics", "\n".join(sorted(found)), f.negated)

    def mapped(node: Node) -> Node:
        if isinstance(node, Filter):
            return topics(node)
        if isinstance(node, Group):
            return Group(node.kind, tuple(mapped(item) for item in node.items), node.negated)
        return node

    if query.tree is not None:
        tree = mapped(query.tree)
        assert isinstance(tree, Group)
        return Query(query.text, tree=tree)
    return Query(query.text, query.terms, tuple(topics(f) for f in query.filters))


def _dated(key: str, value: str, part: str) -> Filter:
    """`rated:N`, `rated:N:B`, `introduced:N`, `added:N`, `edited:N` as Anki reads them (the
    value not unescaped: `rated:1\\:2` is no number); N of 0 is 1, as in Anki."""
    from dlcards.console import escaped

    days, colon, button = value.partition(":") if key == "rated" else (value, "", "")
    if not _DAYS.fullmatch(days) or int(days) > MAX_DAYS:
        raise _error(
            f"'{escaped(part)}': {key}: takes a whole number of days, e.g. {key}:1 (today) "
            f"or {key}:7 (today and the 6 days before), not '{escaped(days)}'"
        )
    if colon and not _BUTTON.fullmatch(button):
        raise _error(
            f"'{escaped(part)}': the answer button is 1 (Again), 2 (Hard), 3 (Good) or "
            f"4 (Easy), not '{escaped(button)}'"
        )
    return Filter(key, str(int(button)) if colon else "", number=max(int(days), 1))


def _field(key: str, value: str, part: str) -> Term | Filter:
    """`key:value`, as Anki reads it (the key in any case): a filter, a term (`nc:`, `w:`),
    or an error naming a search of Anki's that is not here or a field no card has."""
    from dlcards.console import escaped
    from dlcards.suggest import did_you_mean

    if len(value) > MAX_VALUE:
        raise _error(
            f"'{escaped(key)}:' takes a value of at most {MAX_VALUE:,} characters, not "
            f"{len(value):,}"
        )
    if key == "topic":
        text = _unescape(value)
        if not text:
            raise _error(f"'{part}' needs a value, e.g. topic:gd")
        if not_text(text):
            return Filter("none", "")
        if text == "*":
            return Filter("all", "")
        return Filter("topic", _glob(text, "?"), given=text)
    if key == "tag":
        return _tag(value, part)
    if key == "is":
        state = value  # in lower case, as Anki reads it: `is:DUE` is Anki's error
        if state not in IS_VALUES:
            hint = did_you_mean(state.lower(), IS_VALUES)
            if state in ("learn", "buried", "buried-manually", "buried-sibling"):
                hint = " (dlcards has no learning steps and buries no card)"
            raise _error(
                f"unknown is:{escaped(value)}{hint}; use one of "
                + ", ".join(f"is:{v}" for v in IS_VALUES)
            )
        return Filter("is", state)
    if key == "prop":  # the name in lower case, as Anki reads it: `prop:IVL>1` is its error
        return _prop(value, part)
    if key in DATED:
        return _dated(key, value, part)
    if key in ("nc", "w"):  # the index ignores accents: nc: is a plain search here
        return _words(_unescape(value), part, exact=key == "w")
    if key == "deck":
        return _deck(value, part)
    if key in ANKI_ONLY:
        raise _error(
            f"Anki's {key}: is not searched here; dlcards searches {_SEARCHED} (for the text "
            f"itself, escape the colon: {escaped(key)}\\:...)"
        )
    raise _error(
        f"unknown field '{escaped(key)}:'{did_you_mean(key, FIELDS)}; dlcards searches "
        f"{_SEARCHED} (for the text itself, escape the colon: "
        f"{escaped(part.split(':', 1)[0].lstrip('-'))}\\:{escaped(value)})"
    )


def _text_node(text: str, part: str) -> Term | Filter:
    """Anki's `search_node_for_text`: text with an unescaped `:` is `key:value` (quoted or
    not: `"tag:math"` is a tag search), else text to find."""
    at = 0
    while at < len(text) and text[at] != ":":
        at += 2 if text[at] == "\\" else 1
    if at >= len(text):
        return _words(_unescape(text), part)
    if at == 0:
        raise _error(
            f"'{part}' has a ':' with no keyword before it; write \\: for the character itself"
        )
    return _field(text[:at].lower(), text[at + 1 :], part)


def _negated(node: Node) -> Node:
    if isinstance(node, Term):
        return Term(node.words, not node.negated, node.prefix)
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


_OPERATOR = {"and", "or"}
_ENDS = '"() '


class _Reader:
    """A query read as Anki's parser.rs reads it: nodes (`-` before a group or text negates
    it), `and`/`or` between them (and an implicit "and" where there is neither; `or` binds
    looser), parentheses around groups, `"..."` quoted text, `\\` escapes. Each malformed
    query is the error Anki gives for it, in one line."""

    def __init__(self, text: str) -> None:
        self.text = re.sub(r"\s", " ", text).strip()
        self.at = 0
        self.parts = 0
        self.depth = 0  # how many groups the reader is in
        self.start = 0  # where the part being read starts, its `-` included (for messages)

    def spaces(self) -> None:
        while self.at < len(self.text) and self.text[self.at] == " ":
            self.at += 1

    def inner(self) -> list[Node | str]:
        """Nodes and the operators between them, up to a `)` or the end."""
        items: list[Node | str] = []
        while True:
            self.spaces()
            item = self.node()
            if item is None:
                break
            if len(items) % 2 == 0 and isinstance(item, str):
                raise _misplaced(item)
            if len(items) % 2 == 1 and not isinstance(item, str):
                items.append("and")
            items.append(item)
        if items and isinstance(items[-1], str):
            raise _misplaced(items[-1])
        return items

    def node(self) -> Node | str | None:
        if self.at >= len(self.text) or self.text[self.at] == ")":
            return None
        self.start = self.at
        if self.text[self.at] == "-" and self.at + 1 < len(self.text):
            following = self.text[self.at + 1]
            if following not in ") ":
                self.at += 1
                node = self.group() if following == "(" else self.unit()
                if isinstance(node, str):  # `-and`
                    raise _misplaced(node)
                return _negated(node)
        if self.text[self.at] == "(":
            return self.group()
        return self.unit()

    def group(self) -> Node:
        self.at += 1
        self.depth += 1
        if self.depth > MAX_PARTS:  # each group is a part: no need to read deeper
            raise _error(
                f"the query has more than {MAX_PARTS} parts ({PARTS}); at most {MAX_PARTS} are "
                "searched at once"
            )
        items = self.inner()
        self.depth -= 1
        if self.at >= len(self.text):
            raise _error("a '(' is not closed; end the group with ')' (\\( for the character)")
        self.at += 1
        if not items:
            raise _error("'()' holds nothing to search for")
        self.parts += 1
        return _joined(items)

    def unit(self) -> Node | str:
        """Quoted text, `key:"quoted value"`, or text up to a space, quote or parenthesis."""
        start = self.at
        if self.text[start] == '"':
            inner = self.quoted()
            return self.counted(_text_node(inner, self.text[self.start : self.at]))
        end = start
        while end < len(self.text) and self.text[end] not in _ENDS:
            if self.text[end] == "\\":
                if end + 1 >= len(self.text) or self.text[end + 1] == " ":
                    raise _error(
                        f"'{self.text[start : end + 1]}' ends in a '\\' that escapes nothing; "
                        "write \\\\ for a backslash"
                    )
                end += 2
            else:
                end += 1
        head = self.text[start:end]
        if end < len(self.text) and self.text[end] == '"' and head.endswith(":"):
            key = head[:-1]
            if key and not re.search(r'(?<!\\)(?:\\\\)*[:"()]', key):  # Anki's `tag:"a b"`
                self.at = end
                value = self.quoted()
                return self.counted(_field(key.lower(), value, self.text[self.start : self.at]))
        self.at = end
        if head.lower() in _OPERATOR:
            return head.lower()
        return self.counted(_text_node(head, self.text[self.start : end]))

    def quoted(self) -> str:
        """The text between a `"` here and the next unescaped one."""
        start = self.at + 1
        end = start
        while end < len(self.text) and self.text[end] != '"':
            end += 2 if self.text[end] == "\\" else 1
        if end >= len(self.text):
            raise _error('a quote is not closed; end the phrase with " (\\" for the character)')
        if end == start:
            raise _error("'\"\"' holds nothing to search for")
        self.at = end + 1
        return self.text[start:end]

    def counted(self, node: Term | Filter) -> Term | Filter:
        self.parts += 1
        return node


def _misplaced(operator: str) -> UsageError:
    return _error(
        f"'{operator}' needs a term on each side (e.g. momentum {operator} adam); "
        f'"{operator}" in quotes is the word'
    )


def _joined(items: list[Node | str]) -> Node:
    """Nodes with `and`/`or` between them as one node: "or" of "and"s, as SQL reads Anki's."""
    options: list[list[Node]] = [[]]
    for item in items:
        if item == "or":
            options.append([])
        elif not isinstance(item, str):
            options[-1].append(item)
    return _group("or", [_group("and", nodes) for nodes in options])


def shell_quotes_after(words: Sequence[str], command: str) -> str:
    """`shell_quotes` as a sentence of its own, to follow a line that found nothing (" Your
    shell took the quotes away ..."); "" when there is nothing to say."""
    quotes = shell_quotes(words, command)
    return f" {quotes[0].upper()}{quotes[1:]}" if quotes else ""


def parse_words(words: Sequence[str], command: str) -> Query:
    """`parse` of a command line's query (`words`, read as one), whose error says when the
    shell took a filter's quotes away (`shell_quotes`), ending with the command (`command`)
    that gives them to the query."""
    try:
        return parse(" ".join(words))
    except UsageError as err:
        quotes = shell_quotes(words, command)
        if quotes is None:
            raise
        raise UsageError(f"{err}; {quotes}", err.exit_code) from None


def parse(text: str) -> Query:
    """The query `text` means, read as Anki reads a search; a UsageError names the part it
    cannot read (a quote or parenthesis left open, `and`/`or` with nothing on a side, an
    unknown escape, a filter or field not searched here) or says it has more than MAX_PARTS
    parts."""
    reader = _Reader(text)
    items = reader.inner()
    if reader.at < len(reader.text):  # only a ')' stops the reader before the end
        raise _error("a ')' has no '(' before it (\\) for the character)")
    if reader.parts > MAX_PARTS:
        raise _error(
            f"the query has {reader.parts:,} parts ({PARTS}); at most {MAX_PARTS} are searched "
            "at once"
        )
    if not items:
        return Query(text)
    node = _joined(items)
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
