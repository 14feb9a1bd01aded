"""Card text (Markdown emphasis, ``<br>``, LaTeX math) -> terminal text.

Deck cells are written like a Markdown table cell: ``**bold**``, ``*italic*``, `` `code` ``,
``<br>`` for line breaks, HTML entities, and LaTeX math in ``$...$`` (inline) or ``$$...$$``
(display).  This module turns such a cell into

* :func:`to_plain` -- a plain ``str`` for pipes, exports and tests;
* :func:`to_rich` -- a :class:`rich.text.Text` with bold, italic, code and math spans.

Both come from one pass (:func:`_render`), so ``to_rich(s).plain == to_plain(s)`` always.

Math goes through :func:`latex_to_unicode`, which parses the fragment with pylatexenc and
prints it as readable Unicode (``W_new = W_old − η ∇_W L``, ``Σᵢ₌₁ᴺ``, ``e^(−Z)``).
pylatexenc is imported on first use only, so importing this module stays cheap.
"""

from __future__ import annotations

import html
import re
import unicodedata
from bisect import bisect_left, bisect_right
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from rich.text import Span, Text

__all__ = [
    "BOLD_STYLE",
    "CODE_STYLE",
    "DISPLAY_INDENT",
    "ITALIC_STYLE",
    "MATH_STYLE",
    "latex_to_unicode",
    "to_plain",
    "to_rich",
]

BOLD_STYLE = "bold"
ITALIC_STYLE = "italic"
CODE_STYLE = "cyan"
MATH_STYLE = "magenta"

#: Indentation of display math (``$$...$$``), which gets a line of its own.
DISPLAY_INDENT = "    "

# ---------------------------------------------------------------------------------------------
# LaTeX -> Unicode
# ---------------------------------------------------------------------------------------------

_SUBSCRIPTS = dict(
    zip(
        "0123456789+-−=()aehijklmnoprstuvxβγρφχ",
        "₀₁₂₃₄₅₆₇₈₉₊₋₋₌₍₎ₐₑₕᵢⱼₖₗₘₙₒₚᵣₛₜᵤᵥₓᵦᵧᵨᵩᵪ",
        strict=True,
    )
)
_SUPERSCRIPTS = dict(
    zip(
        "0123456789+-−=()abcdefghijklmnoprstuvwxyzABDEGHIJKLMNOPRTUVWβγδθφχ",
        "⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻⁻⁼⁽⁾ᵃᵇᶜᵈᵉᶠᵍʰⁱʲᵏˡᵐⁿᵒᵖʳˢᵗᵘᵛʷˣʸᶻᴬᴮᴰᴱᴳᴴᴵᴶᴷᴸᴹᴺᴼᴾᴿᵀᵁⱽᵂᵝᵞᵟᶿᵠᵡ",
        strict=True,
    )
)
#: Plain characters that mean something else in math: minus sign and prime.
_MATH_CHARS = {"-": "−", "'": "′"}
_TRANSPOSE = {"T", "⊤", "⊺", "\N{MODIFIER LETTER CAPITAL T}"}
_PRIMES = {"′", "″", "‴", "'"}

#: A "simple" operand: a word, number or symbol that needs no parentheses around it.
_SIMPLE_OPERAND = re.compile(r"[∂∇Δδ]?[\w.′]+")
#: Characters after or before which a fraction is not juxtaposed with an operand.
_OPERATOR_CHARS = frozenset("=+−-*/<>≤≥≈≠≡∼∝→←↔⇒⇐⇔↦×·÷±∓,;:([{|∈∉⊂⊆∪∩∧∨")

# Macros whose argument is rendered as plain text: fonts are dropped (a terminal has no
# math alphabets worth relying on), \text-like macros switch to text mode (keep "-" and "'").
_FONT_MACROS = (
    "mathbf",
    "boldsymbol",
    "bm",
    "mathit",
    "mathsf",
    "mathtt",
    "mathcal",
    "mathscr",
    "mathfrak",
    "mathnormal",
    "mathop",
    "pmb",
)
_TEXT_MACROS = (
    "text",
    "textrm",
    "textbf",
    "textit",
    "textsf",
    "texttt",
    "textnormal",
    "mathrm",
    "mbox",
    "operatorname",
    "emph",
)
_DISCARDED_MACROS = (
    "left",
    "right",
    "middle",
    "big",
    "Big",
    "bigg",
    "Bigg",
    "bigl",
    "bigr",
    "Bigl",
    "Bigr",
    "biggl",
    "biggr",
    "Biggl",
    "Biggr",
    "displaystyle",
    "textstyle",
    "scriptstyle",
    "limits",
    "nolimits",
    "nonumber",
    "notag",
)
_SYMBOL_MACROS = {
    # Greek capital sigma/pi read better than the n-ary operators in most terminal fonts.
    "sum": "Σ",
    "prod": "Π",
    "cdot": "·",
    "times": "×",
    "to": "→",
    "rightarrow": "→",
    "leftarrow": "←",
    "gets": "←",
    "implies": "⇒",
    "iff": "⇔",
    "ne": "≠",
    "lt": "<",
    "gt": ">",
    "mid": "|",
    "vert": "|",
    "Vert": "‖",
    "|": "‖",
    "prime": "′",
    "argmax": "argmax",
    "argmin": "argmin",
    "\\": "\n",
    "quad": " ",
    "qquad": " ",
}
#: Prefix operators that hug their operand: "\\partial L" -> "∂L", not "∂ L".
_PREFIX_MACROS = frozenset({"partial", "nabla", "neg", "lnot"})
_BLACKBOARD = {"R": "ℝ", "N": "ℕ", "Z": "ℤ", "Q": "ℚ", "C": "ℂ", "P": "ℙ", "H": "ℍ"}

_UNESCAPED_PERCENT = re.compile(r"(?<!\\)%")
_LEFTOVER_COMMAND = re.compile(r"\\([A-Za-z]+)")
_SPACES = re.compile(r"[ \t\u00a0\u2009]+")
_INNER_BRACKET_SPACE = re.compile(r"(?<=[(\[]) | (?=[)\]])")


def _is_simple(operand: str) -> bool:
    return _SIMPLE_OPERAND.fullmatch(operand) is not None


def _script(text: str, kind: str) -> str:
    """Render a subscript (``kind == "_"``) or superscript (``"^"``) argument."""
    text = _SPACES.sub(" ", text).strip()
    if not text:
        return ""
    if kind == "^":
        if text in _TRANSPOSE:
            return "ᵀ"
        if all(ch in _PRIMES for ch in text):
            return text.replace("'", "′")
        table = _SUPERSCRIPTS
    else:
        table = _SUBSCRIPTS
    if all(ch in table for ch in text):
        return "".join(table[ch] for ch in text)
    return kind + (text if _is_simple(text) else f"({text})")


def _fraction(numerator: str, denominator: str) -> str:
    num = numerator.strip() or "?"
    den = denominator.strip() or "?"
    if not _is_simple(num) and num != "?":
        num = f"({num})"
    if not _is_simple(den) and den != "?":
        den = f"({den})"
    return f"{num}/{den}"


def _build_converter() -> Callable[[str], str]:
    """Create the pylatexenc-based converter (once; see :func:`_converter`)."""
    import logging

    from pylatexenc import latexwalker, macrospec
    from pylatexenc.latex2text import (
        LatexNodes2Text,
        MacroTextSpec,
        get_default_latex_context_db,
    )

    # Tolerant parsing logs its complaints; never let them reach the user's terminal.
    logging.getLogger("pylatexenc").addHandler(logging.NullHandler())

    # Parser: no text ligatures ('' -> ”, -- -> –) in math, no \verb, and argument specs for
    # macros pylatexenc does not know.
    walker_db = latexwalker.get_default_latex_context_db().filter_context(
        exclude_categories=["nonascii-specials", "verbatim"]
    )
    walker_db.add_context_category(
        "dlcards",
        macros=[
            *(macrospec.std_macro(name, "{") for name in (*_FONT_MACROS, *_TEXT_MACROS)),
            *(macrospec.std_macro(name, "{{") for name in ("frac", "dfrac", "tfrac", "cfrac")),
            macrospec.std_macro("sqrt", "[{"),
            macrospec.std_macro("mathbb", "{"),
        ],
        environments=[],
        specials=[],
        prepend=True,
    )

    class _MathText(LatexNodes2Text):  # type: ignore[misc]  # pylatexenc is untyped
        """LatexNodes2Text plus sub/superscripts, source spacing and operand-aware fractions."""

        def __init__(self) -> None:
            text_db = get_default_latex_context_db()
            text_db.add_context_category(
                "dlcards",
                macros=[
                    *(MacroTextSpec(name, simplify_repl=self._plain_arg) for name in _FONT_MACROS),
                    *(MacroTextSpec(name, simplify_repl=self._text_arg) for name in _TEXT_MACROS),
                    *(
                        MacroTextSpec(name, simplify_repl=self._frac)
                        for name in ("frac", "dfrac", "tfrac", "cfrac")
                    ),
                    MacroTextSpec("sqrt", simplify_repl=self._sqrt),
                    MacroTextSpec("mathbb", simplify_repl=self._blackboard),
                    *(MacroTextSpec(name, discard=True) for name in _DISCARDED_MACROS),
                    *(MacroTextSpec(name, simplify_repl=s) for name, s in _SYMBOL_MACROS.items()),
                ],
                environments=[],
                specials=[],
                prepend=True,
            )
            super().__init__(latex_context=text_db, math_mode="text")
            self.text_mode = False

        # -- custom macro specs (called by LatexNodes2Text.apply_simplify_repl) --

        def _arg(self, node: Any, index: int) -> str:
            args = node.nodeargd.argnlist if node.nodeargd is not None else []
            if index >= len(args) or args[index] is None:
                return ""
            return str(self._groupnodecontents_to_text(args[index]))

        def _plain_arg(self, n: Any) -> str:
            return self._arg(n, 0)

        def _text_arg(self, n: Any) -> str:
            outer, self.text_mode = self.text_mode, True
            try:
                return self._arg(n, 0)
            finally:
                self.text_mode = outer

        def _frac(self, n: Any) -> str:
            return _fraction(self._arg(n, 0), self._arg(n, 1))

        def _sqrt(self, n: Any) -> str:
            degree, body = self._arg(n, 0).strip(), self._arg(n, 1).strip()
            root = "√" if _is_simple(body) else "√("
            root = (_script(degree, "^").lstrip("^") if degree else "") + root
            return root + body + ("" if _is_simple(body) else ")")

        def _blackboard(self, n: Any) -> str:
            letter = self._arg(n, 0)
            return _BLACKBOARD.get(letter, letter)

        # -- node walking --

        def macro_node_to_text(self, node: Any) -> str:
            if self.latex_context.get_macro_spec(node.macroname) is None:
                # Unknown macro (\softmax, \ReLU, ...): its name reads better than nothing.
                return str(node.macroname) if str(node.macroname).isalpha() else ""
            return str(super().macro_node_to_text(node))

        def nodelist_to_text(self, nodelist: Any) -> str:
            nodes = [node for node in (nodelist or []) if node is not None]
            parts: list[tuple[str, bool]] = []  # (text, is_fraction)
            i = 0
            while i < len(nodes):
                node = nodes[i]
                if isinstance(node, latexwalker.LatexCharsNode) and not self.text_mode:
                    consumed_next = self._chars_to_parts(node.chars, nodes, i, parts)
                    i += 2 if consumed_next else 1
                    continue
                text = str(self.node_to_text(node))
                is_macro = isinstance(node, latexwalker.LatexMacroNode)
                is_frac = is_macro and node.macroname in ("frac", "dfrac", "tfrac", "cfrac")
                parts.append((text, is_frac))
                if (
                    is_macro
                    and node.macro_post_space
                    and not node.nodeargd.argnlist
                    and node.macroname not in _PREFIX_MACROS
                ):
                    parts.append((" ", False))  # keep the author's spacing: "\eta \nabla"
                i += 1
            return _join_parts(parts)

        def _chars_to_parts(
            self, chars: str, nodes: list[Any], i: int, parts: list[tuple[str, bool]]
        ) -> bool:
            """Convert a math chars node; return True if a script consumed ``nodes[i + 1]``."""
            out: list[str] = []
            consumed_next = False
            j = 0
            while j < len(chars):
                ch = chars[j]
                if ch not in "_^":
                    out.append(_MATH_CHARS.get(ch, ch))
                    j += 1
                    continue
                k = j + 1
                while k < len(chars) and chars[k].isspace():
                    k += 1
                if k < len(chars):
                    arg = _MATH_CHARS.get(chars[k], chars[k])
                    j = k + 1
                elif i + 1 < len(nodes) and not consumed_next:
                    arg = str(self.node_to_text(nodes[i + 1]))
                    consumed_next = True
                    j = k
                else:
                    arg = ""
                    j = k
                out.append(_script(arg, ch))
            parts.append(("".join(out), False))
            return consumed_next

    converter = _MathText()

    def convert(tex: str) -> str:
        tex = _UNESCAPED_PERCENT.sub(r"\\%", tex)  # "%" is a percent sign, not a comment
        try:
            nodes = latexwalker.LatexWalker(
                tex, latex_context=walker_db, tolerant_parsing=True
            ).get_latex_nodes()[0]
            return str(converter.nodelist_to_text(nodes))
        except Exception:  # a card must always display, whatever the parser thinks of it
            return re.sub(r"[{}]", "", _LEFTOVER_COMMAND.sub(r"\1", tex))

    return convert


def _join_parts(parts: list[tuple[str, bool]]) -> str:
    """Join converted nodes, parenthesizing fractions juxtaposed with an operand."""
    texts = [text for text, _ in parts]
    for index, (text, is_frac) in enumerate(parts):
        if not is_frac or _is_simple(text):
            continue
        before = "".join(texts[:index]).rstrip()
        after = "".join(texts[index + 1 :]).lstrip()
        if (before and before[-1] not in _OPERATOR_CHARS) or (
            after and after[0] not in _OPERATOR_CHARS and after[0] not in ")]}"
        ):
            texts[index] = f"({text})"
    return "".join(texts)


_converter_instance: Callable[[str], str] | None = None


def _converter() -> Callable[[str], str]:
    global _converter_instance
    if _converter_instance is None:
        _converter_instance = _build_converter()
    return _converter_instance


def _tidy(line: str) -> str:
    """Collapse spaces, and drop those just inside brackets: "( 1/2 )" -> "(1/2)"."""
    line = _SPACES.sub(" ", line).strip()
    return _INNER_BRACKET_SPACE.sub("", line)


@lru_cache(maxsize=2048)
def latex_to_unicode(tex: str) -> str:
    r"""Convert one LaTeX math fragment (without ``$`` delimiters) to readable Unicode.

    >>> latex_to_unicode(r"\mathbf{W}_{\text{new}} = W_{\text{old}} - \eta \nabla_W \mathcal{L}")
    'W_new = W_old − η ∇_W L'

    Subscripts and superscripts use Unicode script characters when every character has one
    (``x_i`` -> ``xᵢ``, ``w^T`` -> ``wᵀ``), else ``_new`` / ``^(−Z)``.  Fonts (``\mathbf``,
    ``\mathcal``) are dropped, fractions become ``a/b`` (parenthesized where needed), and
    unknown macros print their name.  The result never contains ``$``, braces from LaTeX
    groups, or ``\command``.  Newlines (from ``\\``) are kept; callers put inline math on one
    line.
    """
    text = _converter()(tex)
    text = _LEFTOVER_COMMAND.sub(r"\1", text.replace("$", ""))
    lines = (_tidy(line) for line in text.split("\n"))
    return "\n".join(line for line in lines if line)


# ---------------------------------------------------------------------------------------------
# Card text -> runs with spans
# ---------------------------------------------------------------------------------------------

_BR = re.compile(r"[ \t]*<br\s*/?>[ \t]*", re.IGNORECASE)
_ASCII_PUNCTUATION = frozenset("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~")
_DISPLAY_TRAILING_PUNCTUATION = re.compile(r"[.,;:!?]+(?=\s|$)")
_PLAIN_RUN = re.compile(r"[^\\`$*]+")
_BACKTICKS = re.compile(r"`+")
_STARS = re.compile(r"\*+")


@dataclass
class _Item:
    """One lexed piece of a card: text, a ``*`` run, code or math."""

    kind: str  # "text" | "delim" | "code" | "math" | "dmath"
    text: str
    trail: str = ""  # dmath only: punctuation kept on the math line
    can_open: bool = False
    can_close: bool = False
    remaining: int = 0  # delim only: '*' not used by emphasis


def _lex(source: str) -> list[_Item]:
    """Split card text into text, ``*`` runs, code spans and math (inline and display)."""
    items: list[_Item] = []
    buf: list[str] = []
    strip_next = False

    def flush() -> None:
        nonlocal strip_next
        if buf:
            text = html.unescape("".join(buf))
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
            items.append(
                _Item("dmath", html.unescape(content), trail=trail.group() if trail else "")
            )
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
            add_math(html.unescape(content))
            i = end + 1
        else:  # "*"
            stars = _STARS.match(source, i)
            assert stars is not None
            flush()
            items.append(_Item("delim", stars.group()))
            i = stars.end()
    flush()
    return items


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
    return ch in _ASCII_PUNCTUATION or unicodedata.category(ch)[0] in "PS"


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


def _assemble(items: list[_Item], pairs: list[tuple[int, int, int]]) -> tuple[str, list[Span]]:
    """Concatenate the items' output; emphasis, code and math become spans."""
    out: list[str] = []
    length = 0
    spans: list[Span] = []
    opens_at: dict[int, int] = {}
    closes_at: dict[int, int] = {}
    openers = {opener for opener, _, _ in pairs}
    newline_pending = False

    def emit(text: str, style: str | None = None) -> None:
        nonlocal length, newline_pending
        if not text:
            return
        if newline_pending and not text.startswith("\n"):
            out.append("\n")
            length += 1
        newline_pending = False
        out.append(text)
        if style is not None:
            spans.append(Span(length, length + len(text), style))
        length += len(text)

    for index, item in enumerate(items):
        if item.kind == "text":
            emit(item.text)
        elif item.kind == "delim":
            if (
                index in openers
                and index + 1 < len(items)
                and items[index + 1].text[:1].isupper()
                and _SPACE_BEFORE_BOLD.search("".join(out[-2:]))
            ):
                emit(" ")  # "ResNets.**EGP:**" -> "ResNets. EGP:" (missing space in a deck)
            closes_at[index] = length
            emit("*" * item.remaining)
            opens_at[index] = length
        elif item.kind == "code":
            emit(item.text, CODE_STYLE)
        elif item.kind == "math":
            math = latex_to_unicode(item.text).replace("\n", " ")
            emit(" " if item.text[0].isspace() else "")
            emit(math, MATH_STYLE)
            emit(" " if item.text[-1].isspace() else "")
        else:  # display math: a line (or lines) of its own
            if out and not "".join(out[-1:]).endswith("\n"):
                emit("\n")
            lines = latex_to_unicode(item.text).split("\n")
            emit(DISPLAY_INDENT)
            emit(("\n" + DISPLAY_INDENT).join(lines), MATH_STYLE)
            emit(item.trail)
            newline_pending = True

    for opener, closer, width in pairs:
        style = BOLD_STYLE if width == 2 else ITALIC_STYLE
        if closes_at[closer] > opens_at[opener]:
            spans.append(Span(opens_at[opener], closes_at[closer], style))
    return "".join(out), spans


def _edit(
    plain: str, spans: list[Span], pattern: re.Pattern[str], repl: str
) -> tuple[str, list[Span]]:
    """Replace ``pattern`` by ``repl`` in ``plain``, moving the spans along."""
    edits = [(m.start(), m.end()) for m in pattern.finditer(plain)]
    if not edits:
        return plain, spans
    starts = [start for start, _ in edits]

    def move(position: int, is_end: bool) -> int:
        # A span ending where an edit starts stays before it; one starting there moves past it.
        count = (bisect_left if is_end else bisect_right)(starts, position)
        shift = sum(len(repl) - (end - start) for start, end in edits[:count])
        if count and position < edits[count - 1][1]:  # inside an edit: snap past it
            return edits[count - 1][1] + shift
        return position + shift

    moved = [Span(move(span.start, False), move(span.end, True), span.style) for span in spans]
    return pattern.sub(repl, plain), [span for span in moved if span.end > span.start]


_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_LEFTOVER_BR = re.compile(r"<br\s*/?>", re.IGNORECASE)
_LEADING_SPACE = re.compile(r"\A\s+")
_TRAILING_SPACE = re.compile(r"\s+\Z")


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


@lru_cache(maxsize=1024)
def _render(text: str) -> tuple[str, tuple[Span, ...]]:
    text = _CONTROL.sub("", text.replace("\r\n", "\n"))  # no terminal escapes from a deck
    items = _lex(_break_inline_lists(_BR.sub("\n", text)))
    plain, spans = _assemble(items, _pair_emphasis(items))
    # Safety net: a "<br>" assembled from escapes, entities or code spans is still a break.
    plain, spans = _edit(plain, spans, _CONTROL, "")  # e.g. from "&#x1b;"
    plain, spans = _edit(plain, spans, _LEFTOVER_BR, "\n")
    plain, spans = _edit(plain, spans, _LEADING_SPACE, "")
    plain, spans = _edit(plain, spans, _TRAILING_SPACE, "")
    return plain, tuple(spans)


def to_plain(text: str) -> str:
    """Render card text as plain Unicode: math converted, Markdown markers and ``<br>`` gone.

    >>> to_plain(r"1. **SGD** $\\rightarrow$ 2. **MBGD**")
    '1. SGD → 2. MBGD'
    """
    return _render(text)[0]


def to_rich(text: str) -> Text:
    """Render card text as a :class:`rich.text.Text` with bold/italic/code/math spans.

    ``to_rich(text).plain == to_plain(text)``.
    """
    plain, spans = _render(text)
    return Text(plain, spans=list(spans))
