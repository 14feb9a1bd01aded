"""Reading a deck file's YAML into mappings and lists that remember their line numbers.

A deck is plain YAML with bounds on what it may ask of the loader (a hostile or broken file
must fail fast, in one line, never hang or eat memory): no anchors or aliases (an "alias bomb"
expands exponentially), at most MAX_NESTING levels, numbers of at most MAX_NUMBER_CHARS
characters (Python refuses ints of more than 4,300 digits).

The values are built straight from libyaml's events in one pass (`_build`): a scalar is typed by
PyYAML's own resolver and constructor (YAML 1.1, as `yaml.safe_load`), text, the bulk of a deck,
directly. That is about twice as fast as composing PyYAML's node graph and constructing from it
after a pass of events for the bounds (profile of bench's 100,000-card decks). Anything rarer
(a tag on a mapping or a list, a merge key `<<`, several documents) is read by that slower,
exact path instead (`_load_exact`), which gives the same values and errors.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from dlcards.errors import DeckError
from dlcards.yamlnodes import _Map, _Seq

MAX_DECK_BYTES = 32 * 1024 * 1024  # about 70,000 cards of the built-in decks' size
MAX_NUMBER_CHARS = 300
MAX_NESTING = 32

_STR = "tag:yaml.org,2002:str"
_MAP = "tag:yaml.org,2002:map"
_SEQ = "tag:yaml.org,2002:seq"


class _Unusual(Exception):
    """A construct the one-pass builder leaves to the exact path."""


def _line(event: Any) -> int:
    return event.start_mark.line + 1 if event.start_mark else 0


def _loader_class() -> type:
    import yaml

    base: type = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

    class Loader(base):  # type: ignore[misc]
        pass

    def construct_mapping(loader: Any, node: Any) -> _Map:
        loader.flatten_mapping(node)
        result = _Map()
        result.line = node.start_mark.line + 1
        result.key_lines = {}
        for key_node, value_node in node.value:
            key = loader.construct_object(key_node, deep=True)
            if not isinstance(key, str):
                raise DeckError(
                    f"{{path}}:{key_node.start_mark.line + 1}: keys must be text, found {key!r}"
                )
            if key in result:
                raise DeckError(
                    f"{{path}}:{key_node.start_mark.line + 1}: key '{key}' appears twice"
                )
            result[key] = loader.construct_object(value_node, deep=True)
            result.key_lines[key] = key_node.start_mark.line + 1
            if isinstance(value_node.value, str):  # a scalar's text, a number as written
                result.note_written(key, result[key], value_node.value)
        return result

    def construct_sequence(loader: Any, node: Any) -> _Seq:
        result = _Seq(loader.construct_object(child, deep=True) for child in node.value)
        result.line = node.start_mark.line + 1
        return result

    def bounded(tag: str) -> Any:
        plain = Loader.yaml_constructors[tag]

        def construct(loader: Any, node: Any) -> Any:
            if len(str(node.value)) > MAX_NUMBER_CHARS:
                raise DeckError(
                    f"{{path}}:{node.start_mark.line + 1}: a number of {len(node.value):,} "
                    f"characters; numbers in a deck are at most {MAX_NUMBER_CHARS} long"
                )
            return plain(loader, node)

        return construct

    date = Loader.yaml_constructors["tag:yaml.org,2002:timestamp"]

    def construct_date(loader: Any, node: Any) -> Any:
        try:
            return date(loader, node)
        except (ValueError, OverflowError) as err:  # 2024-13-45: PyYAML's datetime refuses it
            raise DeckError(
                f"{{path}}:{node.start_mark.line + 1}: {node.value} reads as a date but is not "
                f"one ({err}); put it in quotes to keep it as text"
            ) from None

    Loader.add_constructor(_MAP, construct_mapping)
    Loader.add_constructor(_SEQ, construct_sequence)
    for tag in ("tag:yaml.org,2002:int", "tag:yaml.org,2002:float"):
        Loader.add_constructor(tag, bounded(tag))
    Loader.add_constructor("tag:yaml.org,2002:timestamp", construct_date)
    return Loader


def _too_deep(path: str, event: Any) -> DeckError:
    return DeckError(
        f"{path}:{_line(event)}: lists and mappings nested more than {MAX_NESTING} deep; "
        "a deck needs a few levels"
    )


def _alias(path: str, event: Any, text: str | None = None) -> DeckError:
    # Markdown's `*emphasis*` at a value's start (not an alias in a list: an alias bomb's)
    fix = _quote_fix(text, _line(event) - 1, f"*{event.anchor}")
    return DeckError(
        f"{path}:{_line(event)}: YAML alias *{event.anchor} is not allowed in a deck; "
        + (fix or "write the value out")
    )


def _scan(text: str, path: str, loader: type) -> None:
    """The bounds, before anything is built: one pass of libyaml's events (for `_load_exact`)."""
    import yaml

    depth = 0
    for event in yaml.parse(text, Loader=loader):
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > MAX_NESTING:
                raise _too_deep(path, event)
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1
        elif isinstance(event, yaml.AliasEvent):
            raise _alias(path, event, text)


def _build(text: str, path: str, loader_class: type) -> Any:
    """The document's value from libyaml's events in one pass, bounds checked on the way.
    Raises _Unusual for what `_load_exact` must read."""
    import yaml
    from yaml.nodes import ScalarNode

    loader = loader_class("")
    resolve, construct = loader.resolve, loader.construct_object
    no_key = object()
    frames: list[list[Any]] = []  # [container, its pending key (or no_key), that key's line]
    root: list[Any] = []
    documents = 0
    scalar_event, start_map, start_seq = (
        yaml.ScalarEvent,
        yaml.MappingStartEvent,
        yaml.SequenceStartEvent,
    )
    ends = (yaml.MappingEndEvent, yaml.SequenceEndEvent)

    def add(value: Any, line: int, written: str | None = None) -> None:
        if not frames:
            root.append(value)
            return
        frame = frames[-1]
        container = frame[0]
        if type(container) is _Seq:
            container.append(value)
        elif frame[1] is no_key:
            if not isinstance(value, str):
                raise DeckError(f"{path}:{line}: keys must be text, found {value!r}")
            if value in container:
                raise DeckError(f"{path}:{line}: key '{value}' appears twice")
            frame[1], frame[2] = value, line
        else:
            container[frame[1]] = value
            container.key_lines[frame[1]] = frame[2]
            if written is not None:  # a number, as written (`_Map.written`)
                container.note_written(frame[1], value, written)
            frame[1] = no_key

    events: Any = yaml.parse(text, Loader=loader_class)
    for event in events:
        kind = type(event)
        if kind is scalar_event:
            tag = event.tag
            if tag is None or tag == "!":
                tag = resolve(ScalarNode, event.value, event.implicit)
            written = None
            if tag == _STR:
                value: Any = event.value
            elif (
                frames
                and type(frames[-1][0]) is _Map
                and frames[-1][1] is no_key
                and (tag in ("tag:yaml.org,2002:merge", "tag:yaml.org,2002:value"))
            ):
                raise _Unusual(tag)
            else:
                node = ScalarNode(tag, event.value, event.start_mark, event.end_mark, event.style)
                value = construct(node, deep=True)
                written = event.value
            add(value, _line(event), written)
        elif kind is start_map or kind is start_seq:
            if event.tag not in (None, "!", _MAP if kind is start_map else _SEQ):
                raise _Unusual("tag")
            if len(frames) >= MAX_NESTING:
                raise _too_deep(path, event)
            container: Any = _Map() if kind is start_map else _Seq()
            container.line = _line(event)
            if kind is start_map:
                container.key_lines = {}
            frames.append([container, no_key, 0])
        elif kind in ends:
            container = frames.pop()[0]
            add(container, container.line)
        elif kind is yaml.AliasEvent:
            raise _alias(path, event, text)
        elif kind is yaml.DocumentStartEvent:
            documents += 1
            if documents > 1:
                raise _Unusual("documents")
    return root[0] if root else None


_LOADER: type | None = None


def _loader() -> type:
    """The loader class (made once a process: PyYAML is imported only when it is needed)."""
    global _LOADER
    if _LOADER is None:
        _LOADER = _loader_class()
    return _LOADER


_OPENED = {
    "while scanning a quoted scalar",
    "while parsing a flow sequence",
    "while parsing a flow mapping",
    "while parsing a flow node",
}
"""PyYAML's contexts of a thing opened at its context mark and never closed (a tab or a bad
indent is where PyYAML found it)."""


_HINTS = (
    (
        "found unknown escape character",
        'in double quotes a backslash starts an escape: write \\\\ for one ("$\\\\sigma$"), '
        "or use single quotes ('$\\sigma$')",
    ),
    ("found a tab character", "indent with spaces, not tabs"),
    ("mapping values are not allowed", "a value holding ': ' goes in quotes ('x: y')"),
)
"""PyYAML's problems that a card's text makes (LaTeX in double quotes, an editor's tab, a
question with `: ` in it), each with what to write instead: the problem alone is YAML's jargon
to a learner writing a card. (A value that starts with a character YAML reads as its own is
`_quote_fix`'s, after the first two.)"""

_SECOND_DOCUMENT = ("but found another document", "did not find expected <document start>")
"""PyYAML's problems for a document marker in the middle of a file."""

_VALUE = re.compile(r"\s*(?:- +)?([A-Za-z_][A-Za-z0-9_-]*): +(.*?)\s*")
_MARKUP_STARTS = "*&![{>|\"'%@`?"
QUOTE_EXAMPLE_CHARS = 40


def _quote_fix(text: str | None, line: int, starting: str = "") -> str | None:
    """What to write when line `line` (0-based) of `text` is `key: value` and the value starts
    with a character YAML reads as its own (Markdown's `*emphasis*`, `**bold**`, `![image]`,
    `[link]`, `> quote`, a `"quoted"` word followed by more words, `` `code` ``, `- `, `@`):
    the value in single quotes, from the learner's own text. None otherwise, and when the
    value does not start with `starting`."""
    if text is None or line < 0:
        return None
    lines = text.split("\n", line + 1)
    if line >= len(lines):
        return None
    found = _VALUE.fullmatch(lines[line].rstrip("\r"))
    if found is None or not found.group(2):
        return None
    key, value = found.groups()
    if value[0] not in _MARKUP_STARTS and not value.startswith("- "):
        return None
    if not value.startswith(starting):
        return None
    shown = value if len(value) <= QUOTE_EXAMPLE_CHARS else value[: QUOTE_EXAMPLE_CHARS - 1] + "…"
    quoted = "'" + shown.replace("'", "''") + "'"
    return f"a value that starts with {value[0]} goes in quotes as a whole: {key}: {quoted}"


_DOCUMENT_MARKER = re.compile(r"(---|\.\.\.)(?:[ \t]|$)")


def document_marker(line: str) -> str | None:
    """What is wrong, in a learner's words, with `line` when it is a YAML document marker
    (`---` or `...` at the line's start), which cannot stand inside a deck's cards: one
    document (a deck, or the card `dlcards add` asks for) is all a file holds. PyYAML said
    "could not find expected ':'" in a card written with `dlcards add`, and "but found
    another document" in a deck file. None for any other line."""
    found = _DOCUMENT_MARKER.match(line)
    if found is None:
        return None
    what = "end" if found.group(1) == "..." else "start"
    return (
        f"a line {found.group(1)} is YAML's mark of a document's {what}, and the cards must "
        "be one document: remove it (in a card's text, indent it under a block: answer: |)"
    )


def _syntax_error(err: Any, path: str, text: str | None = None) -> str:
    """PyYAML's syntax error as one line naming where to look. A quote or bracket left open
    is found only where the file (or the next token) ends, many lines on: the line named is
    then the one where it opens (PyYAML's context), with the line where it was noticed."""
    problem = err.problem or err.context or "invalid YAML"
    mark, context = err.problem_mark or err.context_mark, err.context_mark
    opened = err.context in _OPENED
    if opened and context is not None and mark is not None and context.line < mark.line:
        if err.context == "while scanning a quoted scalar":
            problem = (
                "this quoted value is never closed: its closing quote is missing "
                f"({problem} at line {mark.line + 1})"
            )
        else:
            problem = f"{problem} at line {mark.line + 1}, {err.context} that starts here"
        mark = context
    line = mark.line + 1 if mark else 0
    col = f":{mark.column + 1}" if mark else ""
    if text is not None and mark is not None and err.problem in _SECOND_DOCUMENT:
        # PyYAML's "but found another document" (at the marker), or, after a `...`, "did
        # not find expected <document start>" (at the line after it)
        before = text.split("\n", line)[:line]
        for at in range(len(before), 0, -1):
            marker = document_marker(before[at - 1])
            if marker is not None:
                return f"{path}:{at}: {marker}"
            if before[at - 1].strip() and at < line:
                break
    # an escape's or a tab's fix, else (but for a quote never closed, which says so) the
    # value quoted, else the fix for a `: ` inside it
    fix = next((f for start, f in _HINTS[:2] if problem.startswith(start)), None)
    if fix is None and not problem.startswith("this quoted value is never closed"):
        fix = _quote_fix(text, line - 1)
    if fix is None:
        fix = next((f for start, f in _HINTS[2:] if problem.startswith(start)), None)
    hint = f"; {fix}" if fix else ""
    return f"{path}:{line}{col}: YAML syntax error: {problem}{hint}"


def load_yaml(text: str, path: str, fast: bool = True) -> Any:
    """The value of a deck file's YAML text; DeckError naming `path` and the line otherwise.
    `fast` False: read by libyaml's events, without trying the line reader first."""
    if len(text) > MAX_DECK_BYTES:
        raise DeckError(
            f"{path}:1: the deck is {len(text) / 2**20:.1f} MB; a deck file may be at most "
            f"{MAX_DECK_BYTES // 2**20} MB, split it into several files"
        )
    try:
        if fast:
            return _fast(text)
    except _Unusual:
        pass
    except DeckError as err:
        raise DeckError(str(err).replace("{path}", path)) from None
    except Exception as err:  # PyYAML's constructor refused a scalar: the events say where
        if not type(err).__module__.startswith("yaml"):
            raise
    import yaml

    loader = _loader()
    try:
        try:
            return _build(text, path, loader)
        except _Unusual:
            return _load_exact(text, path, loader)
    except DeckError as err:
        raise DeckError(str(err).replace("{path}", path)) from None
    except yaml.constructor.ConstructorError as err:
        line = err.problem_mark.line + 1 if err.problem_mark else 0
        tag = (err.problem or "").split("tag ")[-1].strip("'")
        if "python/" in tag:
            raise DeckError(
                f"{path}:{line}: Python object tag {tag.replace('tag:yaml.org,2002:', '!!')} "
                "is not allowed in a deck; write plain text, numbers and lists"
            ) from None
        fix = _quote_fix(text, line - 1)  # Markdown's `![image](...)`, `!important`
        raise DeckError(f"{path}:{line}: unknown YAML tag {tag}; {fix or 'remove it'}") from None
    except yaml.MarkedYAMLError as err:
        raise DeckError(_syntax_error(err, path, text)) from None
    except yaml.reader.ReaderError as err:  # a character YAML does not allow: where it is
        before = text[: err.position]
        line, col = before.count("\n") + 1, err.position - (before.rfind("\n") + 1) + 1
        code = err.character if isinstance(err.character, int) else ord(err.character)
        escape = f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"
        raise DeckError(
            f"{path}:{line}:{col}: the character U+{code:04X} is not allowed in a YAML file; "
            f"remove it, or write it as {escape} in a double-quoted string"
        ) from None
    except yaml.YAMLError as err:
        raise DeckError(f"{path}: YAML error: {err}") from None


def _load_exact(text: str, path: str, loader: type) -> Any:
    """PyYAML's own composer and constructor, after a pass for the bounds."""
    import yaml

    _scan(text, path, loader)
    return yaml.load(text, Loader=loader)  # noqa: S506 - a SafeLoader subclass


# The line reader: the shape deck files have, read without libyaml --------------------------
#
# A deck is a block mapping whose values are one-line scalars, lists of them and mappings of
# them; `_fast` reads exactly that shape, line by line, faster than libyaml's events and the
# Python building on them (bench's 2,000-card deck file, same minute: 42 ms to 61 ms). It
# gives what `_build` gives (values, each mapping's and list's line, each key's line) or
# raises _Unusual the moment a line is anything else (a flow mapping, a block scalar, a tag,
# an anchor, a comment after a value, a tab, a double-quoted value over several lines, a
# character libyaml refuses...): the events then read the file, and report its errors.
# tests/test_yamlload.py holds it to the events on the shipped decks, YAML written by PyYAML
# at several widths and styles, and mutated decks.

_FAST_KEY = re.compile(r"([A-Za-z_][A-Za-z0-9_-]*):(?: +|$)")
# Tab, CR, NEL, LS, PS and BOM (libyaml's line breaks and a byte-order mark mid-file, which the
# line reader would count differently), and what libyaml refuses to read: the complement of
# [\n\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd\U00010000-\U0010ffff],
# written as the few ranges it is (the negated class took 8 ms of every sync to compile).
_FAST_REFUSED = re.compile(
    "[\x00-\x09\x0b-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff\ufeff\ufffe\uffff]"
)
_ASCII_READ = b"\n" + bytes(range(0x20, 0x7F))
"""The ASCII characters the line reader reads (of the others, it reads none)."""


def _refused(text: str) -> bool:
    """Whether `text` holds a character of _FAST_REFUSED. ASCII text is checked by deleting the
    characters read from its bytes (C's speed: bench's 2,000-card deck, 4.8 -> 0.8 ms; the
    regex's search was an eighth of the line reader's time); other text by the regex."""
    if text.isascii():
        return bool(text.encode("ascii").translate(None, _ASCII_READ))
    return _FAST_REFUSED.search(text) is not None


_FAST_DOUBLE = re.compile(r'"([^"\\]*(?:\\.[^"\\]*)*)" *')
_FAST_SINGLE = re.compile(r"'([^']*(?:''[^']*)*)' *")
_FAST_SINGLE_OPEN = re.compile(r"'([^']*(?:''[^']*)*)")
_FAST_SINGLE_CLOSE = re.compile(r"([^']*(?:''[^']*)*)' *")
_FAST_ESCAPE = re.compile(r"\\(x[0-9A-Fa-f]{2}|u[0-9A-Fa-f]{4}|U[0-9A-Fa-f]{8}|.)")
_FAST_ESCAPES = {
    "0": "\0", "a": "\a", "b": "\b", "t": "\t", "n": "\n", "v": "\v", "f": "\f", "r": "\r",
    "e": "\x1b", " ": " ", '"': '"', "/": "/", "\\": "\\", "N": "\x85", "_": "\xa0",
    "L": "\u2028", "P": "\u2029",
}  # fmt: skip
# What a plain scalar may not start with (a few of these may, before a non-space: not here).
_FAST_INDICATORS = frozenset("-?:,[]{}#&*!|>'\"%@`")
_FAST_FLOW_ITEM = re.compile(r"(?:-(?=[^\s,\[\]{}])|[^\s,\[\]{}#&*!|>'\"%@`?:-])[^,\[\]{}#:]*")


# PyYAML's implicit resolvers (yaml.resolver.Resolver, YAML 1.1: what `yaml.safe_load` types a
# plain scalar as), in its order, by the scalar's first character: the line reader types plain
# scalars without importing PyYAML (~25 ms a process). A test holds this table equal to the
# installed PyYAML's.
_IMPLICIT_RESOLVERS = (
    (
        "tag:yaml.org,2002:bool",
        r"""^(?:yes|Yes|YES|no|No|NO
                    |true|True|TRUE|false|False|FALSE
                    |on|On|ON|off|Off|OFF)$""",
        re.X,
        "yYnNtTfFoO",
    ),
    (
        "tag:yaml.org,2002:float",
        r"""^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?
                    |\.[0-9][0-9_]*(?:[eE][-+][0-9]+)?
                    |[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*
                    |[-+]?\.(?:inf|Inf|INF)
                    |\.(?:nan|NaN|NAN))$""",
        re.X,
        "-+0123456789.",
    ),
    (
        "tag:yaml.org,2002:int",
        r"""^(?:[-+]?0b[0-1_]+
                    |[-+]?0[0-7_]+
                    |[-+]?(?:0|[1-9][0-9_]*)
                    |[-+]?0x[0-9a-fA-F_]+
                    |[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+)$""",
        re.X,
        "-+0123456789",
    ),
    ("tag:yaml.org,2002:merge", r"^(?:<<)$", 0, "<"),
    (
        "tag:yaml.org,2002:null",
        r"""^(?: ~
                    |null|Null|NULL
                    | )$""",
        re.X,
        ["~", "n", "N", ""],
    ),
    (
        "tag:yaml.org,2002:timestamp",
        r"""^(?:[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]
                    |[0-9][0-9][0-9][0-9] -[0-9][0-9]? -[0-9][0-9]?
                     (?:[Tt]|[ \t]+)[0-9][0-9]?
                     :[0-9][0-9] :[0-9][0-9] (?:\.[0-9]*)?
                     (?:[ \t]*(?:Z|[-+][0-9][0-9]?(?::[0-9][0-9])?))?)$""",
        re.X,
        "0123456789",
    ),
    ("tag:yaml.org,2002:value", r"^(?:=)$", 0, "="),
    ("tag:yaml.org,2002:yaml", r"^(?:!|&|\*)$", 0, "!&*"),
)
_IMPLICIT: dict[str, list[tuple[str, re.Pattern[str]]]] = {}
_BOOLS = {"yes": True, "no": False, "true": True, "false": False, "on": True, "off": False}
_DECIMAL = re.compile(r"[-+]?(?:0|[1-9][0-9]*)")


def implicit_resolvers() -> dict[str, list[tuple[str, re.Pattern[str]]]]:
    """_IMPLICIT_RESOLVERS as PyYAML keeps them: first character -> [(tag, regexp)]."""
    if not _IMPLICIT:
        for tag, pattern, flags, firsts in _IMPLICIT_RESOLVERS:
            regexp = re.compile(pattern, flags | re.U)
            for first in firsts:
                _IMPLICIT.setdefault(first, []).append((tag, regexp))
    return _IMPLICIT


def _plain_tag(value: str) -> str:
    """The tag PyYAML's resolver gives a plain scalar (Resolver.resolve, implicit)."""
    for tag, regexp in implicit_resolvers().get(value[:1], ()):
        if regexp.match(value):
            return tag
    return _STR


def _backslashes(body: str) -> str:
    """A double-quoted scalar's text with its escapes read; `\\\\` (LaTeX's backslash in a
    JSON-like string) alone is read without a call per escape."""
    if "\\" not in body.replace("\\\\", ""):
        return body.replace("\\\\", "\\")
    return _FAST_ESCAPE.sub(_unescape, body)


def _unescape(match: re.Match[str]) -> str:
    code = match.group(1)
    if len(code) == 1:
        if code not in _FAST_ESCAPES:
            raise _Unusual("escape")
        return _FAST_ESCAPES[code]
    point = int(code[1:], 16)
    if 0xD800 <= point <= 0xDFFF or point > 0x10FFFF:
        raise _Unusual("escape")
    return chr(point)


class _Fast:
    """One deck file's lines, read by indentation (see above). Every method takes the index of
    a line and returns a value and the index of the first line it did not read."""

    def __init__(self, text: str, loader_class: Callable[[], type]) -> None:
        self.lines = text.split("\n")
        self.n = len(self.lines)
        self.loader_class = loader_class  # PyYAML's, for a scalar the reader does not type
        self.keys: dict[str, bool] = {}
        # the open mappings and lists: each is a call of `mapping` or `sequence`, so a file
        # nested thousands deep would end in a RecursionError (a traceback, not a deck
        # error); past MAX_NESTING the exact path reads it and says where, in one line
        self.depth = 0

    def significant(self, i: int) -> int:
        """The first line from `i` that is not blank or a comment."""
        lines, n = self.lines, self.n
        while i < n:
            rest = lines[i].lstrip(" ")
            if rest and rest[0] != "#":
                return i
            i += 1
        return n

    def following(self, i: int) -> tuple[int, str, int]:
        """The first line from `i` that is not blank or a comment: its index, its text after
        the indentation and the indentation (-1 at the end of the text)."""
        i = self.significant(i)
        if i == self.n:
            return i, "", -1
        text = self.lines[i]
        content = text.lstrip(" ")
        return i, content, len(text) - len(content)

    def document(self) -> Any:
        i = self.significant(0)
        if i < self.n and self.lines[i].rstrip(" ") == "---":  # a document start, alone
            i = self.significant(i + 1)
        if i == self.n:
            raise _Unusual("empty")
        if self.lines[i][:1] == " ":
            raise _Unusual("indented")
        value, i = self.mapping(i, 0)
        if i != self.n:
            raise _Unusual("after the document")
        return value

    def mapping(self, i: int, indent: int) -> tuple[_Map, int]:
        """The block mapping whose first key is on line `i` at column `indent`."""
        self.depth += 1
        if self.depth > MAX_NESTING:
            raise _Unusual("nesting")
        lines, keys, n = self.lines, self.keys, self.n
        result = _Map()
        result.line = i + 1
        key_lines: dict[str, int] = {}
        result.key_lines = key_lines
        content = lines[i][indent:]
        while True:
            match = _FAST_KEY.match(content)
            if match is None:
                raise _Unusual("not a key")
            key = match.group(1)
            text_key = keys.get(key)
            if text_key is None:
                text_key = keys[key] = _plain_tag(key) == _STR
            if not text_key or key in result:
                raise _Unusual("key")
            key_lines[key] = i + 1
            rest = content[match.end() :]
            body = rest[1:-1]
            quote = rest[:1]
            if (  # the usual value: quoted on its line, no quote inside (the rest: `value`),
                # and for double quotes not `\"` at the end: an escaped quote, not the closing
                quote in ('"', "'")
                and len(rest) > 1
                and rest[-1] == quote
                and quote not in body
                and not (quote == '"' and (len(body) - len(body.rstrip("\\"))) % 2)
            ):
                result[key] = _backslashes(body) if quote == '"' and "\\" in body else body
                i += 1
            else:
                result[key], i = self.value(i, indent, rest, True)
                if type(result[key]) in (int, float):  # a number, as written (`_Map.written`)
                    result.note_written(key, result[key], rest.strip(" "))
            # the next line that is not blank or a comment (`following`, inlined: its two
            # calls a line were a third of this loop's time)
            while i < n:
                text = lines[i]
                content = text.lstrip(" ")
                if content and content[0] != "#":
                    break
                i += 1
            else:
                self.depth -= 1
                return result, i  # the end
            at = len(text) - len(content)
            if at < indent:
                self.depth -= 1
                return result, i
            if at > indent:
                raise _Unusual("indentation")

    def sequence(self, i: int, indent: int) -> tuple[_Seq, int]:
        """The block list whose first `- ` is on line `i` at column `indent`."""
        self.depth += 1
        if self.depth > MAX_NESTING:
            raise _Unusual("nesting")
        lines = self.lines
        result = _Seq()
        result.line = i + 1
        while True:
            text = lines[i]
            k = indent + 2
            while text[k : k + 1] == " ":
                k += 1
            item = text[k:]
            if _FAST_KEY.match(item):
                value, i = self.mapping(i, k)
            else:
                value, i = self.value(i, indent, item, False)
            result.append(value)
            i, content, at = self.following(i)
            if at != indent or not content.startswith("- "):
                self.depth -= 1
                return result, i  # the parent decides whether that line may follow

    def value(self, i: int, indent: int, rest: str, in_mapping: bool) -> tuple[Any, int]:
        """The value that starts with `rest` on line `i`, inside a block at column `indent`."""
        rest = rest.rstrip(" ")
        if not rest:
            if not in_mapping:
                raise _Unusual("empty item")
            j, content, at = self.following(i + 1)
            if at < 0:
                return None, j
            if content.startswith("- ") and at >= indent:
                return self.sequence(j, at)
            if at > indent:
                if _FAST_KEY.match(content):
                    return self.mapping(j, at)
                raise _Unusual("value on the next line")
            return None, i + 1
        first = rest[0]
        if first == '"':
            match = _FAST_DOUBLE.fullmatch(rest)
            if match is None:
                raise _Unusual("double-quoted")
            body = match.group(1)
            return (_backslashes(body) if "\\" in body else body), i + 1
        if first == "'":
            match = _FAST_SINGLE.fullmatch(rest)
            if match is not None:
                return match.group(1).replace("''", "'"), i + 1
            return self.single_lines(i, indent, rest)
        if first == "[":
            return self.flow(i, rest), i + 1
        if (
            (first in _FAST_INDICATORS and (first != "-" or rest[1:2] in ("", " ")))
            or " #" in rest
            or ": " in rest
            or rest[-1] == ":"
        ):
            raise _Unusual("plain")
        parts = [rest]
        lines, n = self.lines, self.n
        j = i + 1
        breaks = 0
        while j < n:
            text = lines[j]
            content = text.lstrip(" ")
            if not content:
                breaks += 1
                j += 1
                continue
            if len(text) - len(content) <= indent:
                break
            content = content.rstrip(" ")
            if (
                content[0] in _FAST_INDICATORS
                or " #" in content
                or ": " in content
                or content[-1] == ":"
            ):
                raise _Unusual("plain continued")
            parts.append("\n" * breaks if breaks else " ")
            parts.append(content)
            breaks = 0
            j += 1
        return self.typed("".join(parts), i), j

    def single_lines(self, i: int, indent: int, rest: str) -> tuple[str, int]:
        """A single-quoted value over several lines (as PyYAML writes long ones)."""
        opened = _FAST_SINGLE_OPEN.fullmatch(rest)
        if opened is None or not opened.group(1).strip(" "):
            raise _Unusual("single-quoted")
        parts = [opened.group(1).rstrip(" ")]
        lines, n = self.lines, self.n
        breaks = 0
        j = i + 1
        while j < n:
            text = lines[j]
            content = text.lstrip(" ")
            if not content.rstrip(" "):
                breaks += 1
                j += 1
                continue
            if len(text) - len(content) <= indent:
                break
            closed = _FAST_SINGLE_CLOSE.fullmatch(content)
            inner = closed.group(1) if closed else content
            if closed is None and _FAST_SINGLE_OPEN.fullmatch("'" + content) is None:
                break  # a lone quote that does not end the line
            if closed is None:
                inner = inner.rstrip(" ")  # spaces before a line break are not part of it
            if not inner.strip(" "):
                break
            parts.append("\n" * breaks if breaks else " ")
            parts.append(inner)
            breaks = 0
            if closed is not None:
                return "".join(parts).replace("''", "'"), j + 1
            j += 1
        raise _Unusual("single-quoted")

    def flow(self, i: int, rest: str) -> _Seq:
        """A one-line flow list of plain words: `[math, optim]`."""
        if rest[-1] != "]":
            raise _Unusual("flow")
        result = _Seq()
        result.line = i + 1
        body = rest[1:-1]
        if body.strip(" "):
            for item in body.split(","):
                item = item.strip(" ")
                if not _FAST_FLOW_ITEM.fullmatch(item) or " #" in item:
                    raise _Unusual("flow item")
                result.append(self.typed(item, i))
        return result

    def typed(self, text: str, i: int) -> Any:
        """A plain scalar's value, typed as the events' reader types it: text, true/false,
        null and short decimal numbers here, as PyYAML's SafeConstructor makes them; any other
        (0x1f, 1_000, 1:30, .inf, a date, a number too long) by PyYAML's constructor."""
        tag = _plain_tag(text)
        if tag == _STR:
            return text
        if tag.endswith((":merge", ":value")):
            raise _Unusual("tag")
        if tag == "tag:yaml.org,2002:bool":
            return _BOOLS[text.lower()]
        if tag == "tag:yaml.org,2002:null":
            return None
        if len(text) <= MAX_NUMBER_CHARS and "_" not in text and ":" not in text:
            if tag == "tag:yaml.org,2002:int" and _DECIMAL.fullmatch(text):
                return int(text)
            if tag == "tag:yaml.org,2002:float":  # as SafeConstructor.construct_yaml_float
                value = text.lower()
                sign = -1 if value[0] == "-" else 1
                if value[0] in "+-":
                    value = value[1:]
                if value not in (".inf", ".nan"):
                    return sign * float(value)
        from yaml.error import Mark
        from yaml.nodes import ScalarNode

        loader = self.loader_class()("")
        mark = Mark("<deck>", 0, i, 0, None, 0)  # the line, for the constructors' errors
        return loader.construct_object(ScalarNode(tag, text, mark, mark, None), deep=True)


def fast_item(item: str, line: int) -> Any:
    """One item of a deck's top-level `cards:` list read by the line reader alone, as it reads
    the item within its file: `item` is the item's text after its `- ` at the start of line
    `line` (numbered as in the file), up to the next item's. Its lines are read where they are
    in the file, after a `cards:` line and nothing else; _Unusual for anything the line reader
    leaves to libyaml's events, or anything but one item (a key after the list)."""
    if line < 2:
        raise _Unusual("no line for the list's key")
    if _refused(item):
        raise _Unusual("characters")
    reader = _Fast("", _loader)
    reader.lines = [""] * (line - 2) + ["cards:"] + ("- " + item).split("\n")
    reader.n = len(reader.lines)
    value, end = reader.mapping(line - 2, 0)
    items = value.get("cards")
    if end != reader.n or len(value) != 1 or type(items) is not _Seq or len(items) != 1:
        raise _Unusual("not one item")
    return items[0]


def list_item(item: str, line: int, last: bool) -> Any:
    """One item of a deck's top-level `cards:` list read alone, as it reads within its file:
    `item` is its text after its `- ` at the start of line `line`, up to the next item's `\n-
    ` (`last`: up to the end of the file). By the line reader when it can (`fast_item`), else
    by libyaml's events from a text of blank lines up to its place, a `cards:` line and the
    item, with the line break the cut took after it (a kept block scalar, `|+`, holds it).
    _Unusual for anything but one item; what the reading raises for an item it refuses."""
    try:
        return fast_item(item, line)
    except _Unusual:
        pass
    if line < 2:
        raise _Unusual("no line for the list's key")
    text = "\n" * (line - 2) + "cards:\n- " + item + ("" if last else "\n")
    value = load_yaml(text, "{item}", fast=False)
    items = value.get("cards") if type(value) is _Map else None
    if type(value) is not _Map or len(value) != 1 or type(items) is not _Seq or len(items) != 1:
        raise _Unusual("not one item")
    return items[0]


def _fast(text: str, loader_class: Callable[[], type] = _loader) -> Any:
    """The document read line by line; _Unusual for anything but the shape decks have.
    `loader_class` gives PyYAML's loader, for a scalar the reader leaves to PyYAML."""
    if _refused(text):
        raise _Unusual("characters")
    return _Fast(text, loader_class).document()
