"""The terminal: one rich Console for stdout, honouring NO_COLOR and plain output to pipes."""

from __future__ import annotations

import os
import sys
from functools import cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rich.console import Console


def reader_left() -> None:
    """`dlcards list | head -1`: the reader took what it wanted. Not an error: exit 0 quietly
    (rich's default exits 1, which breaks `set -o pipefail` scripts)."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    raise SystemExit(0)


@cache
def out() -> Console:
    from rich.console import Console

    class _Console(Console):
        def on_broken_pipe(self) -> None:
            self.quiet = True
            reader_left()

    return _Console(
        highlight=False,
        no_color=bool(os.environ.get("NO_COLOR")) or None,
        soft_wrap=False,
    )


def print_json(data: object) -> None:
    import json

    try:
        sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False) + "\n")
        sys.stdout.flush()
    except BrokenPipeError:
        reader_left()


def plural(n: int, word: str, many: str | None = None) -> str:
    """`1 card`, `2 cards`, `0 cards` (`many` for irregular plurals)."""
    return f"{n} {word if n == 1 else (many or word + 's')}"


def escaped(text: str) -> str:
    """`text` safe to show in one line: control characters as escapes (`\\x07`, `\\n`), and
    bytes that were not UTF-8 (decoded by Python as lone surrogates) as `\\xff`."""
    parts = []
    for ch in text:
        code = ord(ch)
        if 0xDC80 <= code <= 0xDCFF:  # surrogateescape: the original byte
            parts.append(f"\\x{code - 0xDC00:02x}")
        elif ch.isprintable():
            parts.append(ch)
        else:
            parts.append(repr(ch)[1:-1])
    return "".join(parts)
