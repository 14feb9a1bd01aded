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

from typing import Any

from dlcards.errors import DeckError

MAX_DECK_BYTES = 32 * 1024 * 1024  # about 70,000 cards of the built-in decks' size
MAX_NUMBER_CHARS = 300
MAX_NESTING = 32

_STR = "tag:yaml.org,2002:str"
_MAP = "tag:yaml.org,2002:map"
_SEQ = "tag:yaml.org,2002:seq"


class _Map(dict[str, Any]):
    """A YAML mapping that remembers its line and each key's line."""

    line: int
    key_lines: dict[str, int]


class _Seq(list[Any]):
    line: int


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

    Loader.add_constructor(_MAP, construct_mapping)
    Loader.add_constructor(_SEQ, construct_sequence)
    for tag in ("tag:yaml.org,2002:int", "tag:yaml.org,2002:float"):
        Loader.add_constructor(tag, bounded(tag))
    return Loader


def _too_deep(path: str, event: Any) -> DeckError:
    return DeckError(
        f"{path}:{_line(event)}: lists and mappings nested more than {MAX_NESTING} deep; "
        "a deck needs a few levels"
    )


def _alias(path: str, event: Any) -> DeckError:
    return DeckError(
        f"{path}:{_line(event)}: YAML alias *{event.anchor} is not allowed in a deck; "
        "write the value out"
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
            raise _alias(path, event)


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

    def add(value: Any, line: int) -> None:
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
            frame[1] = no_key

    events: Any = yaml.parse(text, Loader=loader_class)
    for event in events:
        kind = type(event)
        if kind is scalar_event:
            tag = event.tag
            if tag is None or tag == "!":
                tag = resolve(ScalarNode, event.value, event.implicit)
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
            add(value, _line(event))
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
            raise _alias(path, event)
        elif kind is yaml.DocumentStartEvent:
            documents += 1
            if documents > 1:
                raise _Unusual("documents")
    return root[0] if root else None


_LOADER: type | None = None


def load_yaml(text: str, path: str) -> Any:
    """The value of a deck file's YAML text; DeckError naming `path` and the line otherwise."""
    import yaml

    global _LOADER
    if _LOADER is None:
        _LOADER = _loader_class()
    if len(text) > MAX_DECK_BYTES:
        raise DeckError(
            f"{path}:1: the deck is {len(text) / 2**20:.1f} MB; a deck file may be at most "
            f"{MAX_DECK_BYTES // 2**20} MB, split it into several files"
        )
    try:
        try:
            return _build(text, path, _LOADER)
        except _Unusual:
            return _load_exact(text, path, _LOADER)
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
        raise DeckError(f"{path}:{line}: unknown YAML tag {tag}; remove it") from None
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        line = mark.line + 1 if mark else 0
        col = f":{mark.column + 1}" if mark else ""
        problem = err.problem or err.context or "invalid YAML"
        raise DeckError(f"{path}:{line}{col}: YAML syntax error: {problem}") from None
    except yaml.YAMLError as err:
        raise DeckError(f"{path}: YAML error: {err}") from None


def _load_exact(text: str, path: str, loader: type) -> Any:
    """PyYAML's own composer and constructor, after a pass for the bounds."""
    import yaml

    _scan(text, path, loader)
    return yaml.load(text, Loader=loader)  # noqa: S506 - a SafeLoader subclass
