"""The mappings and lists the deck readers build (`dlcards.yamlload`): a dict and a list that
remember their line numbers. Apart from the reader, so that the deck model (`dlcards.deck`)
knows them without importing the reader and its patterns (a command that finds every deck in
the cache parses none)."""

from __future__ import annotations

from typing import Any


class _Map(dict[str, Any]):
    """A YAML mapping that remembers its line and each key's line."""

    line: int
    key_lines: dict[str, int]


class _Seq(list[Any]):
    line: int
