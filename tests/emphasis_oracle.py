"""The Anki import's emphasis as it was written before it was made linear
(`dlcards.importers.anki_notes._emphasis` at e5af012), kept as the oracle its faster form is
compared with: the same marks in, the same Markdown out. Its touching runs were joined by
searching the field again from its start for each join; its group test re-rendered a whole
line for each group."""

from __future__ import annotations

import re
from collections.abc import Callable
from collections.abc import Collection as Container


def _code_span(text: str) -> str:
    ticks = "`" * (max(map(len, re.findall("`+", text)), default=0) + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{ticks}{pad}{text}{pad}{ticks}"


_LINE_BREAKS = re.compile(r"((?:[ \t\n]*<br>[ \t\n]*)+)")
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


_TOUCHING = re.compile("\x0f(\\d+)\x0f\x0e(\\d+)\x0e")


def emphasis(text: str, marks: list[str], finish: Callable[[str], str]) -> str:
    """`text` with each emphasis run's marks (`\\x0e n \\x0e` where run n opens, `\\x0f n
    \\x0f` where it closes) written as the decks' Markdown reads them, and `finish` applied.
    Two runs of one style that touch are one (`<b>a</b><b>b</b>`: `**ab**`, where
    `**a****b**` showed `a****b`; `<code>a</code><code>b</code>`: one code span, where
    `` `a``b` `` showed `` a``b ``). A run the Markdown would not read as emphasis is left as
    plain text: its marks could not close against a letter after a punctuation mark
    (`<b>(a)</b>b`: `**(a)**b` showed its stars), and Anki shows no star there."""
    from dlcards.markup import tokens

    while found := next(
        (m for m in _TOUCHING.finditer(text) if marks[int(m[1])] == marks[int(m[2])]), None
    ):
        closing, opening = found[1], found[2]
        text = text[: found.start()] + text[found.end() :]
        text = text.replace(f"\x0f{opening}\x0f", f"\x0f{closing}\x0f")
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
