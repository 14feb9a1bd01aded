"""Card text (Markdown emphasis, ``<br>``, LaTeX math) -> the HTML an Anki field holds.

The card text is lexed exactly as the terminal renderer lexes it (`dlcards.render`: the same
code spans, Pandoc's ``$`` rule, backslash escapes and CommonMark emphasis pairing), so a card
reads the same in both places. Then:

* ``**bold**`` -> ``<b>``, ``*italic*`` -> ``<i>``, `` `code` `` -> ``<code>``;
* ``<br>`` (and a newline) -> ``<br>``; every other ``<``, ``>`` and ``&`` is escaped, so
  ``z < 0`` stays readable and no deck text can inject markup;
* ``$...$`` -> ``\\(...\\)`` and ``$$...$$`` -> ``\\[...\\]``, the delimiters Anki hands to
  MathJax, with ``<``, ``>``, ``&`` inside the math escaped as entities too (MathJax reads the
  text of the page, so it sees the characters again).
"""

from __future__ import annotations

import html
import re

from dlcards.render import (
    _BR,
    _CONTROL,
    _SPACE_BEFORE_BOLD,
    _break_inline_lists,
    _Item,
    _lex,
    _pair_emphasis,
)

__all__ = ["escape", "math_inline", "math_display", "to_html"]

_NEWLINES = re.compile(r"\r\n|\r|\n")


def escape(text: str) -> str:
    """Plain text -> HTML text: ``&``, ``<``, ``>`` as entities, newlines as ``<br>``."""
    return _NEWLINES.sub("<br>", html.escape(text, quote=False))


def math_inline(latex: str) -> str:
    return r"\(" + html.escape(" ".join(latex.split()), quote=False) + r"\)"


def math_display(latex: str) -> str:
    return r"\[" + html.escape(" ".join(latex.split()), quote=False) + r"\]"


def to_html(text: str) -> str:
    """Card text -> Anki field HTML (see the module docstring).

    >>> to_html(r"**Loss** is $z < 0$ & `a*b`<br>next")
    '<b>Loss</b> is \\\\(z &lt; 0\\\\) &amp; <code>a*b</code><br>next'
    """
    text = _CONTROL.sub("", _NEWLINES.sub("\n", text))
    items = _lex(_break_inline_lists(_BR.sub("\n", text)))
    pairs = _pair_emphasis(items)
    return _assemble(items, pairs).strip()


def _assemble(items: list[_Item], pairs: list[tuple[int, int, int]]) -> str:
    # Pairs are found inner first, so at a shared delimiter closings go in the order found and
    # openings in reverse (outer tag first): the result always nests properly.
    closes: dict[int, list[str]] = {}
    opens: dict[int, list[str]] = {}
    for opener, closer, width in pairs:
        tag = "b" if width == 2 else "i"
        closes.setdefault(closer, []).append(f"</{tag}>")
        opens.setdefault(opener, []).insert(0, f"<{tag}>")
    out: list[str] = []
    for index, item in enumerate(items):
        if item.kind == "text":
            out.append(escape(item.text))
        elif item.kind == "delim":
            out.extend(closes.get(index, ()))
            out.append("*" * item.remaining)
            if (
                index in opens
                and items[index + 1].text[:1].isupper()
                and _SPACE_BEFORE_BOLD.search("".join(out[-2:]))
            ):
                out.append(" ")  # "ResNets.**EGP:**": a space lost in the deck, as in render
            out.extend(opens.get(index, ()))
        elif item.kind == "code":
            out.append("<code>" + html.escape(item.text, quote=False) + "</code>")
        elif item.kind == "math":
            lead = " " if item.text[:1].isspace() else ""
            trail = " " if item.text[-1:].isspace() else ""
            out.append(lead + math_inline(item.text) + trail)
        else:  # display math: the lexer took the spaces around it; MathJax sets it apart
            out.append(" " + math_display(item.text) + escape(item.trail) + " ")
    return "".join(out)
