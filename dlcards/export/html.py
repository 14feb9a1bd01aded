"""Card text (Markdown emphasis, ``<br>``, LaTeX math) -> the HTML an Anki field holds.

The card text's tokens come from `dlcards.markup.tokens`, the tokenizer the terminal renderer
uses too (code spans, Pandoc's ``$`` rule, backslash escapes, CommonMark emphasis pairing), so
a card reads the same in both places. Then:

* ``**bold**`` -> ``<b>``, ``*italic*`` -> ``<i>``, `` `code` `` -> ``<code>``;
* ``<br>`` (and a newline) -> ``<br>``; every other ``<``, ``>`` and ``&`` is escaped, so
  ``z < 0`` stays readable and no deck text can inject markup;
* ``![alt](media/x.png)`` -> ``<img src="x.png">`` (the export packs the file);
* ``$...$`` -> ``\\(...\\)`` and ``$$...$$`` -> ``\\[...\\]``, the delimiters Anki hands to
  MathJax, with ``<``, ``>``, ``&`` inside the math escaped as entities too (MathJax reads the
  text of the page, so it sees the characters again).
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable

from dlcards.markup import Token, tokens

__all__ = ["escape", "html_of", "math_inline", "math_display", "media_name", "to_html"]

_NEWLINES = re.compile(r"\r\n|\r|\n")
# What makes `tokens` do more than return the text as one token: a character that starts
# markup (escape, code, math, image, emphasis, entity, <br>), a carriage return or control
# character that `normalize` changes, or a line starting "1. " (an inline list it breaks).
_MARKUP = re.compile(r"[\\`$*!&<\r\x00-\x08\x0b-\x1f\x7f-\x9f]")


def escape(text: str) -> str:
    """Plain text -> HTML text: ``&``, ``<``, ``>`` as entities, newlines as ``<br>``."""
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")  # html.escape
    return _NEWLINES.sub("<br>", text) if "\n" in text or "\r" in text else text


def math_inline(latex: str) -> str:
    return r"\(" + html.escape(" ".join(latex.split()), quote=False) + r"\)"


def math_display(latex: str) -> str:
    return r"\[" + html.escape(" ".join(latex.split()), quote=False) + r"\]"


def media_name(src: str) -> str:
    """The name an image file has among Anki's media: its file name, %-escapes decoded."""
    from pathlib import PurePosixPath
    from urllib.parse import unquote

    return PurePosixPath(unquote(src).replace("\\", "/")).name


def to_html(text: str) -> str:
    """Card text -> Anki field HTML (see the module docstring).

    >>> to_html(r"**Loss** is $z < 0$ & `a*b`<br>next")
    '<b>Loss</b> is \\\\(z &lt; 0\\\\) &amp; <code>a*b</code><br>next'
    """
    # plain text (most sources, many questions) is one text token
    if not (_MARKUP.search(text) or text.startswith("1. ") or "\n1. " in text):
        return escape(text).strip()
    return html_of(tokens(text))


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
            out.append("<code>" + html.escape(token.text, quote=False) + "</code>")
        elif token.kind == "math":
            out.append(math_inline(token.text))
        elif token.kind == "image":  # Anki keeps media flat: the file's name, packed beside
            out.append(f'<img src="{html.escape(media_name(token.text))}">')
        else:  # display math: the lexer took the spaces around it; MathJax sets it apart
            out.append(" " + math_display(token.text) + escape(token.trail) + " ")
    return "".join(out).strip()
