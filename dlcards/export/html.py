"""Card text (Markdown emphasis, ``<br>``, LaTeX math) -> the HTML an Anki field holds.

The card text's tokens come from `dlcards.markup.tokens`, the tokenizer the terminal renderer
uses too (code spans, Pandoc's ``$`` rule, backslash escapes, CommonMark emphasis pairing), so
a card reads the same in both places. Then:

* ``**bold**`` -> ``<b>``, ``*italic*`` -> ``<i>``, `` `code` `` -> ``<code>``;
* ``<br>`` (and a newline) -> ``<br>``; every other ``<``, ``>`` and ``&`` is escaped, so
  ``z < 0`` stays readable and no deck text can inject markup;
* ``![alt](media/x.png)`` -> ``<img src="x.png" alt="alt">`` and ``[sound: media/x.mp3]`` ->
  ``[sound:x.mp3]``, Anki's own (the export packs the files); in a sound's name ``&``, ``<``,
  ``>``, quotes and ``]`` are entities, which Anki decodes to find the file;
* ``$...$`` -> ``\\(...\\)`` and ``$$...$$`` -> ``\\[...\\]``, the delimiters Anki hands to
  MathJax, with ``<``, ``>``, ``&`` inside the math escaped as entities too (MathJax reads the
  text of the page, so it sees the characters again).
"""

from __future__ import annotations

import html
import re
import sys
from collections.abc import Iterable, Mapping

from dlcards.markup import Token, is_remote, tokens

__all__ = [
    "anki_media_name",
    "escape",
    "html_of",
    "math_inline",
    "math_display",
    "media_name",
    "packed_name",
    "renamed_media",
    "sound_html",
    "to_html",
]

_NEWLINES = re.compile(r"\r\n|\r|\n")
# What makes `tokens` do more than return the text as one token: a character that starts
# markup (escape, code, math, image, emphasis, entity, <br>), a carriage return or control
# character that `normalize` changes, a line starting "1. " (an inline list it breaks), or
# "[sound:" (looked for apart).
_MARKUP = re.compile(r"[\\`$*!&<\r\x00-\x08\x0b-\x1f\x7f-\x9f]")


def escape(text: str) -> str:
    """Plain text -> HTML text: ``&``, ``<``, ``>`` as entities, newlines as ``<br>``, and
    the ``[`` of a ``[sound:`` (which Anki would play) as an entity."""
    text = _no_tag(text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;"))
    return _NEWLINES.sub("<br>", text) if "\n" in text or "\r" in text else text


def _no_tag(text: str) -> str:
    """HTML `text` in which no `[sound:` is Anki's tag: text (`\\[sound:x]` in a deck, a name
    with a space), code or math, whose `[` becomes an entity, shown as `[` all the same."""
    return text.replace("[sound:", "&#91;sound:") if "[sound:" in text else text


def math_inline(latex: str) -> str:
    return r"\(" + _no_tag(html.escape(" ".join(latex.split()), quote=False)) + r"\)"


def math_display(latex: str) -> str:
    return r"\[" + _no_tag(html.escape(" ".join(latex.split()), quote=False)) + r"\]"


def media_name(src: str) -> str:
    """The name a media file (an image, a sound) has among Anki's media: the file name of
    `src`, a card's reference as written, its %-escapes decoded."""
    from urllib.parse import unquote

    return packed_name(unquote(src))


def packed_name(path: str) -> str:
    """The name among Anki's media of the file at `path`, a name decoded already (as the file
    system has it): its last part, decoded no further. A file named `a%20b.mp3` is
    `media/a%2520b.mp3` in its card, whose field names `a%20b.mp3`: the file is packed under
    that name, not as `a b.mp3` (another file, perhaps)."""
    from pathlib import PurePosixPath

    return PurePosixPath(path.replace("\\", "/")).name


# Anki's rules for a media file's name (rslib/src/media/files.rs, `normalize_filename`): an
# import stores a file under the name they give, and a note that names it otherwise finds none
_ANKI_DROPS = frozenset('[]<>:"/?*^\\|')
_DEVICE = re.compile(r"^(CON|PRN|AUX|NUL|COM[1-9]|LPT[1-9])(\.|$)", re.IGNORECASE)
ANKI_MEDIA_BYTES = 120


def anki_media_name(name: str) -> str:
    """The name Anki keeps for a media file named `name` (its `normalize_filename`): in NFC,
    without ``[]<>:"/?*^\\|``, control characters and unassigned code points, a no-break space
    as a space, ``_`` after a Windows device name (``con`` -> ``con_``) and after a final
    space or dot, and at most 120 bytes (the stem cut, the extension kept to 10 bytes). A
    package whose media map names a file otherwise has it stored under this name, and the
    note that names the first finds nothing, or another file of that name."""
    import unicodedata

    name = unicodedata.normalize("NFC", name)
    name = "".join(
        c
        for c in name
        if c not in _ANKI_DROPS and not (c < " " or c == "\x7f") and unicodedata.category(c) != "Cn"
    ).replace("\xa0", " ")
    name = _DEVICE.sub(r"\1_\2", name)
    if name.endswith((" ", ".")):
        name += "_"
    if len(name.encode("utf-8")) <= ANKI_MEDIA_BYTES:
        return name
    stem, dot, ext = name.rpartition(".")
    if not dot:
        stem, ext = name, ""
    ext = _cut_to_bytes(ext, 10)
    name = _cut_to_bytes(stem, ANKI_MEDIA_BYTES - len(ext.encode("utf-8")) - 2)
    name = f"{name}.{ext}" if ext else name
    return name + "_" if name.endswith((" ", ".")) else name


def _cut_to_bytes(text: str, most: int) -> str:
    """`text`'s longest start of at most `most` bytes in UTF-8."""
    return text.encode("utf-8")[:most].decode("utf-8", errors="ignore")


def renamed_media(field: str, renames: Mapping[str, str]) -> str:
    """Anki field HTML (`html_of`'s) with each media file named as `renames` says (old name
    -> new), all at once (a file renamed to a name another one had is not renamed again):
    its images' ``src`` and its sounds' tags. The export renames a file Anki would store
    under another name (`anki_media_name`), or one whose name another file has."""
    forms = {form(old): form(new) for old, new in renames.items() for form in (_src, _sound_tag)}
    if not forms:
        return field
    pattern = re.compile("|".join(map(re.escape, sorted(forms, key=len, reverse=True))))
    return pattern.sub(lambda m: forms[m.group()], field)


def _src(name: str) -> str:
    return f'src="{html.escape(name)}"'


def _sound_tag(name: str) -> str:
    return "[sound:" + html.escape(name).replace("]", "&#93;") + "]"


def sound_html(src: str) -> str:
    """Anki's `[sound:name]` for a card's `[sound: media/x.mp3]`: the name as `media_name`
    gives it, with what HTML or the tag would read otherwise as entities (Anki decodes them:
    `[sound:a&#93;b.mp3]` plays `a]b.mp3`)."""
    return _sound_tag(media_name(src))


def to_html(text: str) -> str:
    """Card text -> Anki field HTML (see the module docstring).

    >>> to_html(r"**Loss** is $z < 0$ & `a*b`<br>next")
    '<b>Loss</b> is \\\\(z &lt; 0\\\\) &amp; <code>a*b</code><br>next'
    """
    # plain text (most sources, many questions) is one text token
    if not (_MARKUP.search(text) or text.startswith("1. ") or "\n1. " in text or "[sound:" in text):
        return escape(text).strip()
    quick = _quick_html(text)
    return quick if quick is not None else html_of(tokens(text))


# The quick path of `to_html`: text whose only markup is inline and display math and bold and
# italic spans that the tokenizer can read one way only, turned into HTML by a few
# substitutions in C instead of tokens. `_QUICK` is its grammar:
# * text: no character that starts other markup (a backslash, a backtick, an entity, <br>;
#   "![" and "[sound:" are looked for apart), that `normalize` changes, or that `escape`
#   makes an entity other than "&gt;";
# * math: Pandoc's rule with no way out: no space inside either dollar, no escaped closing
#   dollar, no "*" (which the lexer reads as Markdown), and after an inline closing dollar a
#   character that can never be a digit; display math holds something besides spaces;
#   a dollar that is not such math is not quick;
# * a span: "**" or "*" around text and inline math (no "*", no display math) whose opener
#   and closer CommonMark's flanking rules make an opener and a closer wherever the span
#   stands: a letter, a digit or math inside, or punctuation inside with a space, punctuation
#   or the text's edge outside. Spans don't nest, so they pair in order.
# Not quick either: "***", a list ("1. ") and a span opened after "ab." (where the tokenizer
# adds a space). A property test and every shipped text hold it equal to the tokens' HTML.
_CONTROL = r"\r\x00-\x08\x0b-\x1f\x7f-\x9f"
_TEXT = rf"[^$*\\`&<{_CONTROL}]"  # and "![", "[sound:" nowhere (looked for apart)
_MATH_CHAR = rf"[^$*`&<{_CONTROL}]"
_AFTER_MATH = r"""(?=[\s.,;:!?()'"\-*/=+\[\]{}A-Za-z>]|\Z)"""
_MATH = rf"\$(?!\s){_MATH_CHAR}++(?<![\s\\])\${_AFTER_MATH}"
_DISPLAY = rf"\$\$(?=[^$]*[^\s$]){_MATH_CHAR}++(?<!\\)\$\$"
_PUNCT = r"""[!"#%'()+,\-./:;=>?@\[\]^_{|}~]"""  # the ASCII punctuation text can hold
_NEITHER = r"""[^\s!"#%'()+,\-./:;=>?@\[\]^_{|}~]"""  # neither a space nor _PUNCT
_NO_SPACE_RULE = r"(?<![A-Za-z]{2}[.!?])(?<![A-Za-z]{2}[.!?]\n)"


def _span(stars: str) -> str:
    opener = rf"{stars}(?:(?=[^\W_]|\$(?!\$))|(?<!{_NEITHER}{stars})(?={_PUNCT}))"
    closer = rf"(?:(?:(?<=[^\W_])|(?<=\$)){stars}|(?<={_PUNCT}){stars}(?=\s|{_PUNCT}|\Z))"
    return rf"{_NO_SPACE_RULE}{opener}(?:{_TEXT}++|{_MATH})++{closer}(?!\*)"


_BOLD = _span(r"\*\*")
_ITALIC = _span(r"\*")
# Possessive quantifiers (`++`: no backtracking into a run, so no text makes the match slow)
# are Python 3.11's; on 3.10 there is no quick path, and every text takes the tokens' (which
# the quick path equals).
_QUICK = (
    re.compile(rf"(?:{_TEXT}++|{_DISPLAY}|{_MATH}|{_BOLD}|{_ITALIC})*+")
    if sys.version_info >= (3, 11)
    else None
)
_QUICK_DISPLAY = re.compile(r"[ \t]*\$\$([^$]+)\$\$([.,;:!?]+(?=\s|$))?[ \t]*")
_QUICK_STARS = re.compile(r"(\*\*?)")
_OPEN_TAG = {"**": "<b>", "*": "<i>"}
_CLOSE_TAG = {"**": "</b>", "*": "</i>"}


def _quick_display(match: re.Match[str]) -> str:
    return r" \[" + " ".join(match[1].split()) + r"\]" + (match[2] or "") + " "


def _quick_html(text: str) -> str | None:
    """`html_of(tokens(text))` for the text the quick path takes (see above), else None."""
    if (
        _QUICK is None
        or "***" in text
        or ("[" in text and ("![" in text or "[sound:" in text))
        or ("1. " in text and (text.startswith("1. ") or "\n1. " in text))
        or _QUICK.fullmatch(text) is None
    ):
        return None
    out = text.replace(">", "&gt;")  # the one entity: in text and in math alike
    if "$" in out:  # math's newlines become spaces here
        if "$$" in out:
            out = _QUICK_DISPLAY.sub(_quick_display, out)
        # what is left is inline math, each "$" an opener or a closer in turn: the formulas
        # are the odd pieces between them (split, not a substitution calling Python for each)
        pieces = out.split("$")
        pieces[1::2] = [r"\(" + " ".join(tex.split()) + r"\)" for tex in pieces[1::2]]
        out = "".join(pieces)
    if "*" in out:  # the spans' openers and closers alternate
        if out.count("*") == 2 * out.count("**"):  # bold spans only (most texts)
            parts = out.split("**")
            parts[1::2] = [f"<b>{inside}</b>" for inside in parts[1::2]]
        elif "**" not in out:  # italic spans only
            parts = out.split("*")
            parts[1::2] = [f"<i>{inside}</i>" for inside in parts[1::2]]
        else:
            parts = _QUICK_STARS.split(out)
            parts[1::4] = [_OPEN_TAG[stars] for stars in parts[1::4]]
            parts[3::4] = [_CLOSE_TAG[stars] for stars in parts[3::4]]
        out = "".join(parts)
    if "\n" in out:
        out = out.replace("\n", "<br>")
    return out.strip()


def html_of(stream: Iterable[Token]) -> str:
    """A token stream as Anki field HTML: what `to_html` gives for the text of the tokens."""
    out: list[str] = []
    for token in stream:
        if token.kind == "text":
            out.append(escape(token.text))
        elif token.kind in ("open", "close"):
            tag = "b" if token.style == "bold" else "i"
            out.append(f"<{tag}>" if token.kind == "open" else f"</{tag}>")
        elif token.kind == "code":
            out.append("<code>" + _no_tag(html.escape(token.text, quote=False)) + "</code>")
        elif token.kind == "math":
            out.append(math_inline(token.text))
        elif token.kind == "image":  # Anki keeps media flat: the file's name, packed beside
            alt = f' alt="{html.escape(token.trail)}"' if token.trail else ""
            src = token.text if is_remote(token.text) else media_name(token.text)
            out.append(f"<img {_src(src)}{alt}>")
        elif token.kind == "sound":  # Anki's own tag, its file packed beside as an image's
            out.append(sound_html(token.text))
        else:  # display math: the lexer took the spaces around it; MathJax sets it apart
            out.append(" " + math_display(token.text) + escape(token.trail) + " ")
    return "".join(out).strip()
