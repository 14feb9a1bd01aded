"""Card text as a stream of tokens: one Markdown + LaTeX tokenizer for every output.

Deck cells are written like a Markdown table cell: ``**bold**``, ``*italic*``, `` `code` ``
(and a fenced code block, read as its lines of code),
``<br>`` for line breaks, HTML entities, LaTeX math in ``$...$`` (inline) or ``$$...$$``
(display), images as ``![alt](media/file.png)`` (a file beside the deck; in the alt text a
backslash escapes punctuation, ``\\]`` a bracket, and entities are decoded) and sounds as
``[sound: media/file.mp3]`` (files beside the deck, their names %-escaped: no space, no
``]``). :func:`tokens` lexes a cell once (code spans, Pandoc's ``$`` rule, backslash escapes,
CommonMark's emphasis pairing) and returns a flat list of :class:`Token`; the terminal
renderer (:mod:`dlcards.render`) and the Anki HTML export (:mod:`dlcards.export.html`) each
walk that list, so a card reads the same in both.

Tokens: ``text`` (plain text, entities decoded), ``code``, ``math`` (inline LaTeX, with the
spaces around it in ``text``), ``dmath`` (display LaTeX; ``trail`` holds punctuation kept on its
line), ``open``/``close`` (an emphasis span of ``style`` "bold" or "italic"; ``pair`` matches
them, and they always nest), ``image`` (``text`` the file, ``trail`` the alt text, its escapes
and entities decoded), ``sound`` (``text`` the file: Anki's ``[sound:x.mp3]``, which
``import anki --to-yaml`` writes as ``[sound: media/x.mp3]``).
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from typing import NamedTuple

__all__ = ["CONTROL", "SOUND", "Token", "normalize", "tokens", "without_fence_labels"]


class Token(NamedTuple):  # a NamedTuple: a card has many, and they are made fast
    kind: str  # "text" | "code" | "math" | "dmath" | "open" | "close" | "image" | "sound"
    text: str = ""  # image, sound: the file, relative to the deck's directory
    trail: str = ""  # dmath: punctuation kept on the math line; image: its alt text
    style: str = ""  # open/close: "bold" | "italic"
    pair: int = -1  # open/close: which emphasis span


_BR = re.compile(r"[ \t]*<br\s*/?>[ \t]*", re.IGNORECASE)
_ASCII_PUNCTUATION = frozenset("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~")
_DISPLAY_TRAILING_PUNCTUATION = re.compile(r"[.,;:!?]+(?=\s|$)")
_PLAIN_RUN = re.compile(r"[^\\`$*![]+")
_IMAGE = re.compile(r"!\[((?:[^\\\]\n]|\\[^\n])*)\]\(([^()\s]+)\)")
_ESCAPED = re.compile(r"\\([!-/:-@\[-`{-~])")
#: A sound, as Anki writes it (`[sound:x.mp3]`) and `import anki --to-yaml` writes it beside
#: the deck (`[sound: media/x.mp3]`): the name %-escaped as an image's is, no space, no `]`.
SOUND = re.compile(r"\[sound:[ \t]*([^\]\s]+)\]")
BR, IMAGE = _BR, _IMAGE  # (the search index's text, `store.rows.searchable`, finds them too)
_BACKTICKS = re.compile(r"`+")
_STARS = re.compile(r"\*+")


def is_remote(src: str) -> bool:
    """Whether an image's path (`![alt](path)`, an `<img src>`) is an address on the web
    (http or https): shown by Anki from there, never a media file of the package's."""
    return src[:8].lower().startswith(("http://", "https://"))


def image_alt(written: str) -> str:
    """An image's alt text as written in `![alt](...)`, read: its escapes (`\\]` is a
    bracket) and entities decoded."""
    return _unescape(_ESCAPED.sub(r"\1", written))


def as_text(text: str) -> str:
    """Plain `text` written so that the decks' Markdown reads it back as it is: each ASCII
    punctuation mark escaped (no emphasis, code, math or entity is read in it)."""
    return _PUNCTUATION.sub(r"\\\1", text)


_PUNCTUATION = re.compile(r"([!-/:-@\[-`{-~])")


def _unescape(text: str) -> str:
    """html.unescape; html (and its table of 2,000 entities, ~1.3 ms) imported only for text
    that has an entity to decode."""
    if "&" not in text:
        return text
    import html

    return html.unescape(text)


class _Item:
    """One lexed piece of a card: text, a ``*`` run, code or math. (A plain class, not a
    dataclass: importing dataclasses costs `dlcards show` ~6 ms.)"""

    __slots__ = ("can_close", "can_open", "kind", "remaining", "text", "trail")

    def __init__(
        self,
        kind: str,  # "text" | "delim" | "code" | "math" | "dmath" | "image" | "sound"
        text: str,
        trail: str = "",  # dmath only: punctuation kept on the math line
        can_open: bool = False,
        can_close: bool = False,
        remaining: int = 0,  # delim only: '*' not used by emphasis
    ) -> None:
        self.kind, self.text, self.trail = kind, text, trail
        self.can_open, self.can_close, self.remaining = can_open, can_close, remaining


def _lex(source: str) -> list[_Item]:
    """Split card text into text, ``*`` runs, code spans and math (inline and display).

    Long on purpose: a single-pass lexer whose branches (escape, code span, display math,
    inline math, ``*`` run) share the text buffer and the position; it reads best as one loop."""
    items: list[_Item] = []
    buf: list[str] = []
    strip_next = False

    def flush() -> None:
        nonlocal strip_next
        if buf:
            text = _unescape("".join(buf))
            if strip_next:
                text = text.lstrip(" \t")
            if text:
                items.append(_Item("text", text))
            buf.clear()
        strip_next = False

    def add_math(content: str) -> None:
        # Bold markers straddling math (mlp-15: "$7.0 + 4.0 = **11.0$**") are Markdown, not
        # LaTeX: split the math there so the emphasis pass can pair them.
        for index, piece in enumerate(content.split("**")):
            if index:
                items.append(_Item("delim", "**"))
            if piece.strip():
                items.append(_Item("math", piece))

    i, n = 0, len(source)
    while i < n:
        plain = _PLAIN_RUN.match(source, i)
        if plain:
            buf.append(plain.group())
            i = plain.end()
            continue
        ch = source[i]
        if ch == "\\":
            if i + 1 < n and source[i + 1] in _ASCII_PUNCTUATION:
                buf.append(source[i + 1])  # Markdown escape: \* \$ \` ...
                i += 2
            else:
                buf.append(ch)
                i += 1
        elif ch == "`":
            fence = _BACKTICKS.match(source, i)
            assert fence is not None
            run = len(fence.group())
            block = _fenced_block(source, i, run) if run >= 3 else None
            if block is not None:  # a code block: each of its lines a code span
                lines, i = block
                if buf:  # the fence's indent, after the line break before it
                    buf[:] = ["".join(buf).rstrip(" ")]
                flush()
                for index, line in enumerate(lines):
                    if index:
                        items.append(_Item("text", "\n"))
                    if line:
                        items.append(_Item("code", line))
                continue
            end = _find_backtick_run(source, i + run, run)
            if end < 0:
                buf.append(fence.group())
                i += run
                continue
            flush()
            code = source[i + run : end].replace("\n", " ")
            if len(code) > 2 and code[0] == code[-1] == " " and code.strip():
                code = code[1:-1]
            items.append(_Item("code", code))
            i = end + run
        elif source.startswith("$$", i):
            end = _find_unescaped(source, "$$", i + 2)
            content = source[i + 2 : end] if end >= 0 else ""
            if not content.strip():
                buf.append("$$")
                i += 2
                continue
            if buf:
                buf[:] = ["".join(buf).rstrip(" \t")]
            flush()
            i = end + 2
            trail = _DISPLAY_TRAILING_PUNCTUATION.match(source, i)
            items.append(_Item("dmath", _unescape(content), trail=trail.group() if trail else ""))
            if trail:
                i = trail.end()
            strip_next = True
        elif ch == "$":
            # Pandoc's rule: "$" opens math only if followed by non-space, and closes it only
            # if preceded by non-space and not followed by a digit ("costs $5 and $10").
            end = _find_unescaped(source, "$", i + 1)
            content = source[i + 1 : end] if end >= 0 else ""
            if (
                not content
                or content[0].isspace()
                or content[-1].isspace()
                or (end + 1 < n and source[end + 1].isdigit())
            ):
                buf.append("$")
                i += 1
                continue
            flush()
            add_math(_unescape(content))
            i = end + 1
        elif ch in "![":  # an image `![alt](path)`, a sound `[sound: path]`
            media = (_IMAGE if ch == "!" else SOUND).match(source, i)
            if media is None:
                buf.append(ch)
                i += 1
                continue
            flush()
            if ch == "!":
                items.append(_Item("image", media.group(2), trail=image_alt(media.group(1))))
            else:
                items.append(_Item("sound", media.group(1)))
            i = media.end()
        else:  # "*"
            stars = _STARS.match(source, i)
            assert stars is not None
            flush()
            items.append(_Item("delim", stars.group()))
            i = stars.end()
    flush()
    return items


_FENCE_LABEL = re.compile(r"^ {0,3}(`{3,})([^`\n]*\S[^`\n]*)$", re.MULTILINE)


def without_fence_labels(text: str) -> str:
    """`text` without the info string of each fenced code block's opening fence (```python
    as ```): a label no output shows, so the search index does not hold it either (`search
    python` found a card for a block of code it never showed the word in)."""
    if "```" not in text:
        return text
    pieces, done = [], 0  # done: where the text is copied up to (past a block, its end)
    for m in _FENCE_LABEL.finditer(text):
        if m.start() < done:
            continue  # a line of a block's code, as the lexer reads it
        block = _fenced_block(text, m.start(1), len(m[1]))
        if block is None:
            continue  # not a block's fence: its text is shown
        pieces += [text[done : m.end(1)], text[m.end() : block[1]]]
        done = block[1]
    if not pieces:
        return text
    dropped = "".join(pieces) + text[done:]
    # the same tokens, or a "```" the lexer read otherwise (inside a code span): as it is
    return dropped if tokens(dropped) == tokens(text) else text


def _fenced_block(source: str, start: int, run: int) -> tuple[list[str], int] | None:
    """The fenced code block whose opening fence (`run` backticks, `start` at the first)
    begins a line, as CommonMark reads one: its lines (the info string, ```python, is not
    one), each with the fence's indent taken off, tabs expanded and its spaces kept (a
    leading space and a run of them as no-break spaces, as `import anki` writes a `<pre>`
    block's, so the terminal's wrap and Anki's HTML keep the indent; no blank line first or
    last), and the index after the
    closing fence; None where there is no block: the fence not first on its line (after up
    to 3 spaces), a backtick in its info string, or no closing fence of at least `run`
    backticks on a line of its own (the backticks are then a code span's, or text)."""
    line_start = source.rfind("\n", 0, start) + 1
    indent = start - line_start
    if indent > 3 or source[line_start:start].strip(" "):
        return None
    opening_end = source.find("\n", start)
    if opening_end < 0 or "`" in source[start + run : opening_end]:
        return None
    closing = re.compile(rf"^ {{0,3}}`{{{run},}}[ \t]*$", re.MULTILINE)
    close = closing.search(source, opening_end + 1)
    if close is None:
        return None
    lines = []
    for line in source[opening_end + 1 : close.start()].split("\n"):
        line = line.expandtabs(4)
        line = line[min(indent, len(line) - len(line.lstrip(" "))) :].rstrip()
        lines.append(_KEPT_SPACES.sub(lambda m: "\xa0" * len(m[0]), line))
    while lines and not lines[-1]:  # blank lines around the code, as around a <pre>'s
        lines.pop()
    while lines and not lines[0]:
        lines.pop(0)
    return lines, close.end()


_KEPT_SPACES = re.compile(r"^ +| {2,}")


def _find_unescaped(source: str, token: str, start: int) -> int:
    """Index of the first ``token`` at or after ``start`` not escaped by a backslash, or -1."""
    index = source.find(token, start)
    while index >= 0:
        before = index
        while before > 0 and source[before - 1] == "\\":
            before -= 1
        if (index - before) % 2 == 0:
            return index
        index = source.find(token, index + 1)
    return -1


def _find_backtick_run(source: str, start: int, run: int) -> int:
    """Index of the next run of exactly ``run`` backticks at or after ``start``, or -1."""
    for match in _BACKTICKS.finditer(source, start):
        if len(match.group()) == run:
            return match.start()
    return -1


def _is_punctuation(ch: str) -> bool:
    if ch < "\x80":  # ASCII: the set holds all its punctuation and symbols
        return ch in _ASCII_PUNCTUATION
    return unicodedata.category(ch)[0] in "PS"


def _edge(item: _Item | None, last: bool) -> str:
    """The character a ``*`` run sees next to ``item`` (CommonMark flanking rules)."""
    if item is None or item.kind == "dmath":
        return " "
    if item.kind == "delim":
        return "*"
    ch = item.text[-1] if last else item.text[0]
    if item.kind == "text" or ch.isspace():
        return ch
    return "a"  # code and math are operands: like a letter


def _pair_emphasis(items: list[_Item]) -> list[tuple[int, int, int]]:
    """Pair ``*`` runs as in CommonMark's "process emphasis"; return (opener, closer, width)."""
    for index, item in enumerate(items):
        if item.kind != "delim":
            continue
        before = _edge(items[index - 1] if index else None, last=True)
        after = _edge(items[index + 1] if index + 1 < len(items) else None, last=False)
        item.can_open = not after.isspace() and (
            not _is_punctuation(after) or before.isspace() or _is_punctuation(before)
        )
        item.can_close = not before.isspace() and (
            not _is_punctuation(before) or after.isspace() or _is_punctuation(after)
        )
        item.remaining = len(item.text)

    pairs: list[tuple[int, int, int]] = []
    stack: list[int] = []
    for index, closer in enumerate(items):
        if closer.kind != "delim":
            continue
        while closer.can_close and closer.remaining:
            found = None
            for position in range(len(stack) - 1, -1, -1):
                opener = items[stack[position]]
                total = len(opener.text) + len(closer.text)
                odd_match = (opener.can_close or closer.can_open) and total % 3 == 0
                if odd_match and not (len(opener.text) % 3 == 0 and len(closer.text) % 3 == 0):
                    continue
                found = position
                break
            if found is None:
                break
            opener = items[stack[found]]
            width = 2 if opener.remaining >= 2 and closer.remaining >= 2 else 1
            opener.remaining -= width
            closer.remaining -= width
            pairs.append((stack[found], index, width))
            del stack[found + 1 :]
            if not opener.remaining:
                del stack[found]
        if closer.can_open and closer.remaining:
            stack.append(index)
    return pairs


_SPACE_BEFORE_BOLD = re.compile(r"[A-Za-z]{2}[.!?]$")


CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


_INLINE_ITEM = re.compile(r"(?<=[.!?:)*]) +(\d+)\. ")


def _break_inline_lists(text: str) -> str:
    """Put a numbered list run into one line on separate lines.

    Some cells read "1. **A:** x. 2. **B:** y." without ``<br>``: when a line starts with
    "1. " and the next numbers follow in order after a sentence end, break before each.
    Chains such as "1. SGD → 2. MBGD" (no sentence end before "2.") are left alone.
    """
    lines = text.split("\n")
    for index, line in enumerate(lines):
        if not line.startswith("1. "):
            continue
        expected = 2

        def number(match: re.Match[str]) -> str:
            nonlocal expected
            if int(match.group(1)) != expected:
                return match.group()
            expected += 1
            return "\n" + match.group().lstrip(" ")

        lines[index] = _INLINE_ITEM.sub(number, line)
    return "\n".join(lines)


_SPACE_BEFORE_BOLD = re.compile(r"[A-Za-z]{2}[.!?]$")
#: A line break as a file may write one: Windows' and old Mac's, and Unicode's line and
#: paragraph separators (U+2028, U+2029: text pasted from the web or a PDF), which a
#: terminal does not break at (it showed "First linesecond line", or a "?" in ASCII).
_NEWLINES = re.compile("\r\n|[\r\u2028\u2029]")


def normalize(text: str) -> str:
    """Newlines as ``\\n``, no control characters (no terminal escapes from a deck), ``<br>``
    as a newline, and inline numbered lists broken onto lines."""
    text = CONTROL.sub("", _NEWLINES.sub("\n", text))
    return _break_inline_lists(_BR.sub(_line_break, text))


#: A list item's mark: a bullet or a number of up to three digits, then a space.
_ITEM = re.compile(r"(?:[-*+•]|\d{1,3}[.)]) ")


def _line_break(match: re.Match[str]) -> str:
    """A `<br>` and the spaces around it as a line break; the spaces after it kept before a
    list item, its nesting (`- a<br>  - nested` lost the indent of its nested item)."""
    indent = match.group().rpartition(">")[2]
    if indent and _ITEM.match(match.string, match.end()):
        return "\n" + indent
    return "\n"


# Text the quick lexer below takes: none of the characters that start code, an image, an
# entity or <br>, no "[sound:", nothing `normalize` changes (a carriage return, a control
# character, a line starting "1. "), and every run of '*' exactly two long; a backslash only
# inside math.
_NOT_SIMPLE = re.compile(r"[`!&<\r\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029]")
_SIMPLE_SPECIAL = re.compile(r"\$\$|\$|\*\*")


def _simple_tokens(text: str) -> tuple[Token, ...] | None:
    """`tokens` for the common case: plain text, ``$math$``, ``$$math$$`` and ``**bold**``.

    The same rules as `_lex`, `_pair_emphasis` and `tokens`, cut down to that case (no
    escapes to honour; every ``*`` run two long, so CommonMark's pairing is a plain stack and
    every span bold), without their intermediate objects. None for any other text (and for
    math holding ``*``, or a backslash outside math), which takes the general path. A property
    test holds the two equal."""
    if (
        _NOT_SIMPLE.search(text)
        or text.startswith("1. ")
        or "\n1. " in text
        or "***" in text
        or text.count("*") != 2 * text.count("**")  # with no '***': a lone '*'
        or "[sound:" in text
    ):
        return None
    # items: (kind, text, trail) with kind "text" | "delim" | "math" | "dmath"
    items: list[tuple[str, str, str]] = []
    buf = ""
    strip_next = False
    i, n = 0, len(text)
    while True:
        found = _SIMPLE_SPECIAL.search(text, i)
        plain = text[i:] if found is None else text[i : found.start()]
        if "\\" in plain:  # an escape: the general lexer's
            return None
        buf += plain
        if found is None:
            break
        start = found.start()
        mark = found.group()
        if mark == "**":
            piece = buf.lstrip(" \t") if strip_next else buf
            if piece:
                items.append(("text", piece, ""))
            buf, strip_next = "", False
            items.append(("delim", "**", ""))
            i = start + 2
        elif mark == "$$":
            end = _find_unescaped(text, "$$", start + 2)
            content = text[start + 2 : end] if end >= 0 else ""
            if not content.strip():
                buf += "$$"
                i = start + 2
                continue
            if "*" in content:
                return None
            buf = buf.rstrip(" \t")
            piece = buf.lstrip(" \t") if strip_next else buf
            if piece:
                items.append(("text", piece, ""))
            buf = ""
            i = end + 2
            punct = _DISPLAY_TRAILING_PUNCTUATION.match(text, i)
            items.append(("dmath", content, punct.group() if punct else ""))
            if punct:
                i = punct.end()
            strip_next = True
        else:
            end = text.find("$", start + 1)
            if end > 0 and text[end - 1] == "\\":  # perhaps escaped: count the backslashes
                end = _find_unescaped(text, "$", start + 1)
            content = text[start + 1 : end] if end >= 0 else ""
            if (
                not content
                or content[0].isspace()
                or content[-1].isspace()
                or (end + 1 < n and text[end + 1].isdigit())
            ):
                buf += "$"
                i = start + 1
                continue
            if "*" in content:
                return None
            piece = buf.lstrip(" \t") if strip_next else buf
            if piece:
                items.append(("text", piece, ""))
            buf, strip_next = "", False
            if content.strip():
                items.append(("math", content, ""))
            i = end + 1
    piece = buf.lstrip(" \t") if strip_next else buf
    if piece:
        items.append(("text", piece, ""))

    # Pair the '**' runs: each is an opener or a closer as it flanks (as in _pair_emphasis).
    opens: dict[int, int] = {}  # item index -> pair number
    closes: dict[int, int] = {}
    stack: list[int] = []
    count = len(items)
    for index, (kind, _, _) in enumerate(items):
        if kind != "delim":
            continue
        before = _simple_edge(items[index - 1] if index else None, last=True)
        after = _simple_edge(items[index + 1] if index + 1 < count else None, last=False)
        can_open = not after.isspace() and (
            not _is_punctuation(after) or before.isspace() or _is_punctuation(before)
        )
        can_close = not before.isspace() and (
            not _is_punctuation(before) or after.isspace() or _is_punctuation(after)
        )
        if can_close and stack:
            number = len(closes)
            opens[stack.pop()] = number
            closes[index] = number
        elif can_open:
            stack.append(index)

    out: list[Token] = []
    last_text = ""
    for index, (kind, body, trail) in enumerate(items):
        if kind == "text":
            out.append(Token("text", body))
            last_text = body
        elif kind == "delim":
            if index in closes:
                out.append(Token("close", style="bold", pair=closes[index]))
            elif index in opens:
                if (
                    index + 1 < count
                    and items[index + 1][1][:1].isupper()
                    and _SPACE_BEFORE_BOLD.search(last_text)
                ):
                    out.append(Token("text", " "))
                out.append(Token("open", style="bold", pair=opens[index]))
            else:
                out.append(Token("text", "**"))
                last_text = "**"
        elif kind == "math":
            if body[:1].isspace():
                out.append(Token("text", " "))
            out.append(Token("math", body))
            if body[-1:].isspace():
                out.append(Token("text", " "))
            last_text = ""
        else:
            out.append(Token("dmath", body, trail=trail))
            last_text = ""
    return tuple(out)


def _simple_edge(item: tuple[str, str, str] | None, last: bool) -> str:
    """`_edge` for the quick lexer's items."""
    if item is None or item[0] == "dmath":
        return " "
    if item[0] == "delim":
        return "*"
    ch = item[1][-1] if last else item[1][0]
    if item[0] == "text" or ch.isspace():
        return ch
    return "a"


@lru_cache(maxsize=1024)
def tokens(text: str) -> tuple[Token, ...]:
    """Card text -> its tokens (see the module docstring)."""
    quick = _simple_tokens(text)
    return quick if quick is not None else _general_tokens(text)


def _general_tokens(text: str) -> tuple[Token, ...]:
    items = _lex(normalize(text))
    pairs = _pair_emphasis(items)
    # Pairs are found inner first, so at a shared delimiter closings go in the order found and
    # openings in reverse (outer first): the spans always nest.
    closes: dict[int, list[Token]] = {}
    opens: dict[int, list[Token]] = {}
    for number, (opener, closer, width) in enumerate(pairs):
        style = "bold" if width == 2 else "italic"
        closes.setdefault(closer, []).append(Token("close", style=style, pair=number))
        opens.setdefault(opener, []).insert(0, Token("open", style=style, pair=number))
    out: list[Token] = []
    last_text = ""
    for index, item in enumerate(items):
        if item.kind == "text":
            out.append(Token("text", item.text))
            last_text = item.text
        elif item.kind == "delim":
            out.extend(closes.get(index, ()))
            if item.remaining:
                out.append(Token("text", "*" * item.remaining))
                last_text = "*" * item.remaining
            if (
                index in opens
                and index + 1 < len(items)
                and items[index + 1].text[:1].isupper()
                and _SPACE_BEFORE_BOLD.search(last_text)
            ):
                out.append(Token("text", " "))  # "ResNets.**EGP:**": a space lost in a deck
            out.extend(opens.get(index, ()))
        elif item.kind == "code":
            out.append(Token("code", item.text))
            last_text = ""
        elif item.kind == "math":
            if item.text[:1].isspace():
                out.append(Token("text", " "))
            out.append(Token("math", item.text))
            if item.text[-1:].isspace():
                out.append(Token("text", " "))
            last_text = ""
        elif item.kind == "image":
            out.append(Token("image", item.text, trail=item.trail))
            last_text = ""
        elif item.kind == "sound":
            out.append(Token("sound", item.text))
            last_text = ""
        else:
            out.append(Token("dmath", item.text, trail=item.trail))
            last_text = ""
    return tuple(out)
