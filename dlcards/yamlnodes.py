"""The mappings and lists the deck readers build (`dlcards.yamlload`): a dict and a list that
remember their line numbers. Apart from the reader, so that the deck model (`dlcards.deck`)
knows them without importing the reader and its patterns (a command that finds every deck in
the cache parses none)."""

from __future__ import annotations

from typing import Any


class _Map(dict[str, Any]):
    """A YAML mapping that remembers its line and each key's line, and how a number among its
    values was written (`written`: `12:30` is the int 750 to YAML 1.1, `0.50` the float 0.5,
    `0x10` 16; a card's text keeps what the learner wrote)."""

    line: int
    key_lines: dict[str, int]
    written: dict[str, str] | None = None  # made by the first number noted (`note_written`)

    def note_written(self, key: str, value: Any, text: str) -> None:
        """Note that `value`, the value of `key`, was written `text`, when it is a number."""
        if type(value) in (int, float):
            if self.written is None:
                self.written = {}
            self.written[key] = text


class _Seq(list[Any]):
    line: int
