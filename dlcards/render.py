"""Card text (Markdown emphasis, ``<br>``, LaTeX math) -> terminal text.

Deck cells are written like a Markdown table cell: ``**bold**``, ``*italic*``, `` `code` ``,
``<br>`` for line breaks, HTML entities, and LaTeX math in ``$...$`` (inline) or ``$$...$$``
(display); an image shows as ``[image: alt]``, a sound as ``♪ media/x.mp3`` (its file: a
terminal plays none).  This module turns such a cell into

* :func:`to_plain` -- a plain ``str`` for pipes, exports and tests;
* :func:`styled` -- that text and its spans (bold, italic, code, math), as plain data;
* :func:`to_rich` -- a :class:`rich.text.Text` with those spans.

All come from one pass (:func:`_render`), so ``to_rich(s).plain == to_plain(s)`` always.
Only :func:`to_rich` imports rich.

Math goes through :func:`latex_to_unicode`, which parses the fragment with pylatexenc and
prints it as readable Unicode (``W_new = W_old − η ∇_W L``, ``∑ᵢ₌₁ᴺ``, ``e^(−Z)``).
pylatexenc is imported on first use only, so importing this module stays cheap.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Callable
from functools import lru_cache
from typing import TYPE_CHECKING, Any, NamedTuple
from urllib.parse import unquote

from dlcards.flow import MATH_META
from dlcards.markup import CONTROL, Token, tokens

if TYPE_CHECKING:
    from rich.text import Text

__all__ = [
    "BOLD_STYLE",
    "CODE_STYLE",
    "DISPLAY_INDENT",
    "ITALIC_STYLE",
    "MATH_STYLE",
    "SOUND_MARK",
    "SUBSCRIPTS",
    "SUPERSCRIPTS",
    "Span",
    "latex_to_unicode",
    "styled",
    "to_output",
    "to_plain",
    "to_rich",
]

BOLD_STYLE = "bold"
ITALIC_STYLE = "italic"
CODE_STYLE = "cyan"
MATH_STYLE = "magenta"

#: What the terminal shows for a sound (`[sound: media/x.mp3]`), before its file: it plays
#: none (Anki does); a terminal that cannot show it spells it "(sound)".
SOUND_MARK = "♪"

#: The mark on a LaTeX math span (a span of its own, over the same text as MATH_STYLE's): the
#: line wrap keeps a formula together (dlcards.flow); it adds no colour or attribute.
MATH_MARK = MATH_META


class Span(NamedTuple):
    """A style over `start:end` of a rendered text, as rich.text.Span holds it."""

    start: int
    end: int
    style: str


#: Indentation of display math (``$$...$$``), which gets a line of its own.
DISPLAY_INDENT = "    "

# ---------------------------------------------------------------------------------------------
# LaTeX -> Unicode
# ---------------------------------------------------------------------------------------------

#: The characters that have a Unicode subscript (superscript), and that character: x_i as xᵢ.
SUBSCRIPTS = dict(
    zip(
        "0123456789+-−=()aehijklmnoprstuvxβγρφχ",
        "₀₁₂₃₄₅₆₇₈₉₊₋₋₌₍₎ₐₑₕᵢⱼₖₗₘₙₒₚᵣₛₜᵤᵥₓᵦᵧᵨᵩᵪ",
        strict=True,
    )
)
SUPERSCRIPTS = dict(
    zip(
        "0123456789+-−=()abcdefghijklmnoprstuvwxyzABDEGHIJKLMNOPRTUVWβγδθφχ",
        "⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻⁻⁼⁽⁾ᵃᵇᶜᵈᵉᶠᵍʰⁱʲᵏˡᵐⁿᵒᵖʳˢᵗᵘᵛʷˣʸᶻᴬᴮᴰᴱᴳᴴᴵᴶᴷᴸᴹᴺᴼᴾᴿᵀᵁⱽᵂᵝᵞᵟᶿᵠᵡ",
        strict=True,
    )
)
#: Plain characters that mean something else in math: minus sign and prime.
_MATH_CHARS = {"-": "−", "'": "′"}
#: A Greek capital typed in math with limits after it (`Σ_i x_i`) is the n-ary operator.
_BIG_GREEK = {"Σ": "∑", "Π": "∏"}
_TRANSPOSE = {"T", "⊤", "⊺", "\N{MODIFIER LETTER CAPITAL T}"}
_PRIMES = {"′", "″", "‴", "'"}

#: A "simple" operand: a name or a number (with its scripts and primes) that needs no
#: parentheses around it. A number with a name after it is a product, not one: 1/2π read as
#: π/2, exp(−x²/2σ²) as exp(−x²σ²/2), √2x as √2·x (now 1/(2π), x²/(2σ²), √(2x)).
_SIMPLE_OPERAND = re.compile(r"[∂∇Δδ]?(?:[\d.]+[⁰¹²³⁴⁵⁶⁷⁸⁹′]*|[^\W\d][\w.′]*)")
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
    "boxed",
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
    # the n-ary operators, not the Greek capitals: \Sigma (a covariance matrix, Σ⁻¹) is
    # the letter, \sum the sum, and each is spelled as itself where a terminal cannot show
    # them (Σ⁻¹ as Sigma^-1, ∑ᵢ as sum_i; both Σ, the inverse read as sum^-1)
    "sum": "∑",
    "prod": "∏",
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
    "bmod": " mod ",
    "coloneqq": "≔",
}
#: Prefix operators that hug their operand: "\\partial L" -> "∂L", not "∂ L".
_PREFIX_MACROS = frozenset({"partial", "nabla", "neg", "lnot"})
#: Named operators, which LaTeX sets apart from a letter or digit after them (and after their
#: scripts): "\\log{x}" is "log x", "\\max_\\theta L" "max_θ L", never "logx", "max_θL".
_NAMED_OPERATORS = frozenset(
    """log ln lg exp sin cos tan cot sec csc sinh cosh tanh coth arcsin arccos arctan max min
    sup inf lim liminf limsup det dim ker deg gcd arg Pr hom argmax argmin""".split()
)
_BLACKBOARD = {"R": "ℝ", "N": "ℕ", "Z": "ℤ", "Q": "ℚ", "C": "ℂ", "P": "ℙ", "H": "ℍ"}
#: Accents over (or under) a whole argument, as a combining mark after each of its
#: characters: pylatexenc dropped them (`\overline{x}` was `x`, the mean read as the value).
_WIDE_ACCENTS = {
    "overline": "\u0305",
    "widebar": "\u0305",
    "underline": "\u0332",
    "widehat": "\u0302",
    "widetilde": "\u0303",
    "overrightarrow": "\u20d7",
}
#: The roots Unicode has a character for: `\sqrt[3]{8}` as ∛8, where ³√8 after a number,
#: 2³√8, read as 2³·√8.
_ROOTS = {"3": "∛", "4": "∜"}
#: A root of another degree (⁵√x) after an operand is bracketed: its degree stays its own.
_DEGREE_ROOT = re.compile(r"[⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻⁼⁽⁾ᵃᵇᶜᵈᵉᶠᵍʰⁱʲᵏˡᵐⁿᵒᵖʳˢᵗᵘᵛʷˣʸᶻᴬᴮᴰᴱᴳᴴᴵᴶᴷᴸᴹᴺᴼᴾᴿᵀᵁⱽᵂᵝᵞᵟᶿᵠᵡ]+√")
#: Braces under or over a whole (`\underbrace{a+b}_{n}`), whose label is the whole's.
_BRACES = ("underbrace", "overbrace")
#: A case's condition that says how it reads already: "0 & \\text{otherwise}" is "0 otherwise".
_CONDITION_WORD = re.compile(r"(?:if|otherwise|else|for|when|where|unless)\b", re.IGNORECASE)
_BINOM_MACROS = ("binom", "dbinom", "tbinom")
_STACK_MACROS = ("overset", "underset", "stackrel")
_ARROW_MACROS = ("xrightarrow", "xleftarrow")

#: Math that pylatexenc reads as plain characters: letters, digits, spaces and ASCII operators,
#: and no `--` (a ligature to pylatexenc). tests/test_render.py checks the two agree.
_PLAIN_MATH = re.compile(r"(?:[A-Za-z0-9 +*/=<>().,:;|!?]|-(?!-))*")
_UNESCAPED_PERCENT = re.compile(r"(?<!\\)%")
_LEFTOVER_COMMAND = re.compile(r"\\([A-Za-z]+)")
_SPACES = re.compile(r"[ \t\u00a0\u2009]+")
_INNER_BRACKET_SPACE = re.compile(r"(?<=[(\[⟨{]) | (?=[)\]⟩}])")
#: A norm's bars with spaces inside, as `\| x \|` leaves them: ‖x‖.
_NORM = re.compile(r"‖ ?([^‖ ](?:[^‖]*[^‖ ])?) ?‖")
#: An operator's power set apart from its operand (`\partial^2 L`): ∂²L.
_POWERED_PREFIX = re.compile(r"(?<![\w′])([∂∇])([⁰¹²³⁴⁵⁶⁷⁸⁹ⁿᵏ]+) (?=[^\W\d])")


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
        if text in ("*", "∗", "⋆"):  # θ^*, the optimum: θ*, not θ^(*)
            return "*"
        table = SUPERSCRIPTS
    else:
        table = SUBSCRIPTS
    # a word under a letter is a label, written as one (`W_new`, `y_pred`): in subscript
    # letters, `y_{\text{true}}` read yₜᵣᵤₑ beside y_pred (d has none), x_{max} xₘₐₓ
    label = kind == "_" and len(text) > 2 and text.isalpha()
    if all(ch in table for ch in text) and not label:
        return "".join(table[ch] for ch in text)
    # a superscript of more than one symbol in brackets, unless a number: `e^{i\pi}` as
    # e^iπ read as e^i·π, `e^{x^2}` as e^x² as (e^x)²; a subscript is a label (`W_new`)
    grouped = kind == "^" and len(text) > 1 and not text.replace(".", "").isdecimal()
    if _bracketed(text):  # W^{[l]}, x^{(k)}: grouped by its own brackets already
        return kind + text
    return kind + (text if _is_simple(text) and not grouped else f"({text})")


def _bracketed(text: str) -> bool:
    """Whether `text` is one group in brackets: `[l]`, `(k+1)`, not `(a)(b)`."""
    if len(text) < 2 or text[0] not in "([{" or text[-1] != ")]}"["([{".index(text[0])]:
        return False
    depth = 0
    for n, ch in enumerate(text):
        depth += (ch in "([{") - (ch in ")]}")
        if depth == 0 and n < len(text) - 1:
            return False
    return True


def _fraction(numerator: str, denominator: str) -> str:
    num = _POWERED_PREFIX.sub(r"\1\2", numerator.strip()) or "?"  # ∂²L/∂w², not (∂² L)/∂w²
    den = _POWERED_PREFIX.sub(r"\1\2", denominator.strip()) or "?"
    if not _is_simple(num) and num != "?":
        num = f"({num})"
    if not _is_simple(den) and den != "?":
        den = f"({den})"
    return f"{num}/{den}"


def _build_converter() -> Callable[[str], str]:
    """Create the pylatexenc-based converter (once; see :func:`_converter`).

    Long on purpose: it is one table of LaTeX macro handlers, each a few lines, sharing the
    walker's context through closures; split up, every handler would take that context as
    arguments and the table would be spread across the module."""
    import logging

    from pylatexenc import latexwalker, macrospec
    from pylatexenc.latex2text import (
        EnvironmentTextSpec,
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
            # \operatorname*{argmax} (limits under it): the star is no character of the name
            macrospec.std_macro("operatorname", "*{"),
            *(macrospec.std_macro(name, "{{") for name in ("frac", "dfrac", "tfrac", "cfrac")),
            macrospec.std_macro("sqrt", "[{"),
            macrospec.std_macro("mathbb", "{"),
            macrospec.std_macro("mathds", "{"),
            *(macrospec.std_macro(name, "{") for name in _WIDE_ACCENTS),
            *(macrospec.std_macro(name, "{") for name in _BRACES),
            *(macrospec.std_macro(name, "{{") for name in (*_BINOM_MACROS, *_STACK_MACROS)),
            *(macrospec.std_macro(name, "[{") for name in _ARROW_MACROS),
            *(macrospec.std_macro(name, "{") for name in ("pmod", "mod", "color", "set")),
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
                    MacroTextSpec("operatorname", simplify_repl=self._operator),
                    *(
                        MacroTextSpec(name, simplify_repl=self._frac)
                        for name in ("frac", "dfrac", "tfrac", "cfrac")
                    ),
                    MacroTextSpec("sqrt", simplify_repl=self._sqrt),
                    MacroTextSpec("mathbb", simplify_repl=self._blackboard),
                    MacroTextSpec("mathds", simplify_repl=self._blackboard),
                    *(MacroTextSpec(name, simplify_repl=self._accent) for name in _WIDE_ACCENTS),
                    *(MacroTextSpec(name, simplify_repl=self._brace) for name in _BRACES),
                    *(MacroTextSpec(name, simplify_repl=self._binom) for name in _BINOM_MACROS),
                    *(MacroTextSpec(name, simplify_repl=self._stack) for name in _STACK_MACROS),
                    *(MacroTextSpec(name, simplify_repl=self._arrow) for name in _ARROW_MACROS),
                    MacroTextSpec("pmod", simplify_repl=lambda n: f" (mod {self._arg(n, 0)})"),
                    MacroTextSpec("mod", simplify_repl=lambda n: f" mod {self._arg(n, 0)}"),
                    MacroTextSpec("set", simplify_repl=lambda n: f"{{{self._arg(n, 0)}}}"),
                    MacroTextSpec("color", discard=True),
                    *(MacroTextSpec(name, discard=True) for name in _DISCARDED_MACROS),
                    *(MacroTextSpec(name, simplify_repl=s) for name, s in _SYMBOL_MACROS.items()),
                ],
                environments=[
                    EnvironmentTextSpec(name, simplify_repl=self._cases)
                    for name in ("cases", "dcases")
                ],
                specials=[],
                prepend=True,
            )
            super().__init__(latex_context=text_db, math_mode="text")
            self.text_mode = False
            # a named operator, or a script written _x or ^x, was the last thing written: a
            # letter or digit next is set apart ("log x", "∇_θ J")
            self.gap = False

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

        def _operator(self, n: Any) -> str:  # \operatorname{f} or \operatorname*{f}
            outer, self.text_mode = self.text_mode, True
            try:
                return self._arg(n, 1)
            finally:
                self.text_mode = outer

        def _frac(self, n: Any) -> str:
            return _fraction(self._arg(n, 0), self._arg(n, 1))

        def _sqrt(self, n: Any) -> str:
            degree, body = self._arg(n, 0).strip(), self._arg(n, 1).strip()
            root = _ROOTS.get(degree) or "√"  # ∛8: no degree to misread as a power
            root += "" if _is_simple(body) else "("
            if degree and degree not in _ROOTS:
                root = _script(degree, "^").lstrip("^") + root
            return root + body + ("" if _is_simple(body) else ")")

        def _blackboard(self, n: Any) -> str:
            """A double-struck letter or digit (ℝ, 𝔼, 𝟙); `\\mathbb{E}` was `E`, the
            expectation read as a variable E."""
            letter = self._arg(n, 0).strip()
            if letter in _BLACKBOARD:
                return _BLACKBOARD[letter]
            import unicodedata

            kind = "DIGIT" if letter.isdigit() else "CAPITAL" if letter.isupper() else "SMALL"
            names = {"DIGIT": unicodedata.name(letter, "").rpartition(" ")[2]}
            name = names.get(kind) or letter.upper()
            try:
                return unicodedata.lookup(f"MATHEMATICAL DOUBLE-STRUCK {kind} {name}")
            except KeyError:  # not one letter or digit: as written
                return letter

        def _accent(self, n: Any) -> str:
            mark = _WIDE_ACCENTS[n.macroname]
            body = self._arg(n, 0).strip()
            return "".join(ch + mark if not ch.isspace() else ch for ch in body)

        def _brace(self, n: Any) -> str:
            """`\\underbrace{a+b}_{n}`: the braced whole in brackets, its label after them,
            (a+b)ₙ; the label landed on the last term, a+bₙ."""
            body = self._arg(n, 0).strip()
            return body if _is_simple(body) or _bracketed(body) else f"({body})"

        def _binom(self, n: Any) -> str:
            return f"({self._arg(n, 0).strip()} choose {self._arg(n, 1).strip()})"

        def _stack(self, n: Any) -> str:  # \overset{above}{base}: the base, marked above
            kind = "_" if n.macroname == "underset" else "^"
            return self._arg(n, 1).strip() + _script(self._arg(n, 0), kind)

        def _cases(self, n: Any) -> str:
            """`\\begin{cases} 1 & z > 0 \\\\ 0 & \\text{otherwise} \\end{cases}` as "1 if z > 0;
            0 otherwise": each case its value and its condition, the cases apart (the columns
            ran together, "1 z > 0 0 otherwise")."""
            rows: list[list[str]] = [[]]
            cell: list[Any] = []
            for node in [*(n.nodelist or []), None]:
                if node is None or (
                    isinstance(node, latexwalker.LatexMacroNode) and node.macroname == "\\"
                ):
                    rows[-1].append(self.nodelist_to_text(cell).strip())
                    rows.append([])
                    cell = []
                elif isinstance(node, latexwalker.LatexSpecialsNode) and node.specials_chars == "&":
                    rows[-1].append(self.nodelist_to_text(cell).strip())
                    cell = []
                else:
                    cell.append(node)
            cases = []
            for row in rows:
                value, condition = (row[0], " ".join(row[1:])) if row else ("", "")
                if condition and not _CONDITION_WORD.match(condition):
                    condition = "if " + condition
                cases.append(f"{value} {condition}".strip())
            return "; ".join(case for case in cases if case)

        def _arrow(self, n: Any) -> str:  # \xrightarrow[below]{above}
            arrow = "←" if n.macroname == "xleftarrow" else "→"
            return arrow + _script(self._arg(n, 1), "^") + _script(self._arg(n, 0), "_")

        # -- node walking --

        def macro_node_to_text(self, node: Any) -> str:
            if self.latex_context.get_macro_spec(node.macroname) is None:
                # Unknown macro (\softmax, \ReLU, ...): its name reads better than nothing.
                return str(node.macroname) if str(node.macroname).isalpha() else ""
            return str(super().macro_node_to_text(node))

        def nodelist_to_text(self, nodelist: Any) -> str:
            nodes = [node for node in (nodelist or []) if node is not None]
            parts: list[tuple[str, bool]] = []  # (text, is_fraction)
            outer, self.gap = self.gap, False
            i = 0
            while i < len(nodes):
                node = nodes[i]
                if isinstance(node, latexwalker.LatexCharsNode) and not self.text_mode:
                    consumed_next = self._chars_to_parts(node.chars, nodes, i, parts)
                    i += 2 if consumed_next else 1
                    continue
                gap = self.gap
                is_macro = isinstance(node, latexwalker.LatexMacroNode)
                groups = self._unknown_macro_groups(nodes, i) if is_macro else []
                if groups:  # \softmax{z}: "softmax(z)", not the name and its groups run together
                    args = (str(self._groupnodecontents_to_text(g)).strip() for g in groups)
                    text = f"{node.macroname}({', '.join(args)})"
                else:
                    text = str(self.node_to_text(node))
                if gap and text[:1].isalnum():
                    text = " " + text
                is_frac = is_macro and node.macroname in ("frac", "dfrac", "tfrac", "cfrac")
                parts.append((text, is_frac))
                self.gap = is_macro and node.macroname in _NAMED_OPERATORS
                if (
                    is_macro
                    and not groups
                    and node.macro_post_space
                    and not node.nodeargd.argnlist
                    and node.macroname not in _PREFIX_MACROS
                ):
                    parts.append((" ", False))  # keep the author's spacing: "\eta \nabla"
                    self.gap = False
                i += 1 + len(groups)
            self.gap = outer
            return _join_parts(parts)

        def _unknown_macro_groups(self, nodes: list[Any], i: int) -> list[Any]:
            """The brace groups right after `nodes[i]`, a macro neither parser knows (its
            arguments, to the author), or none."""
            name = str(nodes[i].macroname)
            if not name.isalpha() or self.latex_context.get_macro_spec(name) is not None:
                return []
            groups = []
            for node in nodes[i + 1 :]:
                if not (
                    isinstance(node, latexwalker.LatexGroupNode) and node.delimiters == ("{", "}")
                ):
                    break
                groups.append(node)
            return groups

        def _chars_to_parts(
            self, chars: str, nodes: list[Any], i: int, parts: list[tuple[str, bool]]
        ) -> bool:
            """Convert a math chars node; return True if a script consumed ``nodes[i + 1]``."""
            out: list[str] = []
            consumed_next = False
            gap = self.gap  # read now: converting a script's group sets it for the group
            j = 0
            while j < len(chars):
                ch = chars[j]
                if ch not in "_^":
                    if gap and ch.isalnum():
                        out.append(" ")
                    gap = False
                    if ch in _BIG_GREEK and chars[j + 1 :].lstrip()[:1] == "_":
                        ch = _BIG_GREEK[ch]  # Σ typed with limits, Σ_i: the sum, as \sum
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
                script = _script(arg, ch)
                out.append(script)
                # `_θ` or `^iπ`, unbracketed: a letter after it would read as its own
                gap = gap or (script[:1] == ch and script[-1:] != ")")
            parts.append(("".join(out), False))
            self.gap = gap
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
    for index, (text, _) in enumerate(parts):
        if not text or (text[0] not in "√∛∜" and not _DEGREE_ROOT.match(text)):
            continue
        before, after = "".join(texts[:index]), "".join(texts[index + 1 :])
        if before and before[-1] not in _OPERATOR_CHARS and not before[-1].isspace():
            # a root with a degree after an operand: 2·∛8 and 2·(⁵√x), never 2∛8 or 2⁵√x
            # (read as 2⁵·√x); the product's dot where the root has a character, else
            # brackets (a square root has no degree to misread: 2√x)
            if text[0] in "∛∜":
                text = "·" + text
            elif text[0] != "√":
                texts[index] = f"({text})"
                continue
        if not text.endswith(")") and after[:1].isalnum():
            text += "·"  # √2·x: √2x read as √(2x)
        texts[index] = text
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
    line = _POWERED_PREFIX.sub(r"\1\2", line)
    return _NORM.sub(r"‖\1‖", _INNER_BRACKET_SPACE.sub("", line))


@lru_cache(maxsize=2048)
def latex_to_unicode(tex: str) -> str:
    r"""Convert one LaTeX math fragment (without ``$`` delimiters) to readable Unicode.

    >>> latex_to_unicode(r"\mathbf{W}_{\text{new}} = W_{\text{old}} - \eta \nabla_W \mathcal{L}")
    'W_new = W_old − η ∇_W L'

    Subscripts and superscripts use Unicode script characters when every character has one
    (``x_i`` -> ``xᵢ``, ``w^T`` -> ``wᵀ``), else ``_new`` / ``^(−Z)``.  Fonts (``\mathbf``,
    ``\mathcal``) are dropped, fractions become ``a/b`` (parenthesized where needed), named
    operators and ``_new`` scripts are set apart from a letter after them (``log x``,
    ``∇_θ J``), and unknown macros print their name (and their brace arguments in
    parentheses: ``\softmax{z}`` as ``softmax(z)``).  The result never contains ``$``,
    braces from LaTeX groups, or ``\command``.  Newlines (from ``\\``) are kept; callers put
    inline math on one line.

    A conversion is kept on disk (`dlcards.mathcache`), by the fragment and this module's and
    pylatexenc's revision: later processes read it instead of importing pylatexenc.
    """
    if _PLAIN_MATH.fullmatch(tex):
        # no macro, group, script or ligature: pylatexenc would give back one run of
        # characters, minus signs and primes made typographic (`_chars_to_parts`); building
        # its converter costs more than the rest of `dlcards show`
        return _finish("".join(_MATH_CHARS.get(ch, ch) for ch in tex))
    from dlcards import mathcache

    kept = mathcache.lookup(tex)  # converted before, by this dlcards and pylatexenc
    if kept is not None:
        return kept
    # a dollar written \$ is a dollar sign: the converter's own `$` (math delimiters) are
    # dropped (`_finish`), and `$\$5$` showed as 5
    if "\\$" in tex and _DOLLAR not in tex:
        text = _finish(_converter()(tex.replace("\\$", _DOLLAR))).replace(_DOLLAR, "$")
    else:
        text = _finish(_converter()(tex))
    mathcache.keep(tex, text)
    return text


_DOLLAR = "\ue024"  # a character of no meaning to LaTeX (private use) that stands for \$


def _finish(text: str) -> str:
    text = _LEFTOVER_COMMAND.sub(r"\1", text.replace("$", ""))
    lines = (_tidy(line) for line in text.split("\n"))
    return "\n".join(line for line in lines if line)


def _assemble(stream: tuple[Token, ...]) -> tuple[str, list[Span]]:
    """Concatenate the tokens' output; emphasis, code and math become spans."""
    out: list[str] = []
    length = 0
    spans: list[Span] = []
    starts: dict[int, int] = {}
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
        if style == MATH_STYLE:  # marked for the line wrap, which keeps a formula together
            spans.append(Span(length, length + len(text), MATH_MARK))
        length += len(text)

    for token in stream:
        if token.kind == "text":
            emit(token.text)
        elif token.kind == "open":
            starts[token.pair] = length
        elif token.kind == "close":
            if length > starts[token.pair]:
                style = BOLD_STYLE if token.style == "bold" else ITALIC_STYLE
                spans.append(Span(starts[token.pair], length, style))
        elif token.kind == "code":
            emit(token.text, CODE_STYLE)
        elif token.kind == "math":
            emit(latex_to_unicode(token.text).replace("\n", "; "), MATH_STYLE)
        elif token.kind == "image":  # a terminal shows no picture: say which one
            emit(f"[image: {token.trail or unquote(token.text)}]", CODE_STYLE)
        elif token.kind == "sound":  # nor plays a sound: say which file would play
            emit(f"{SOUND_MARK} {unquote(token.text)}", CODE_STYLE)
        else:  # display math: a line (or lines) of its own
            if out and not "".join(out[-1:]).endswith("\n"):
                emit("\n")
            lines = latex_to_unicode(token.text).split("\n")
            emit(DISPLAY_INDENT)
            emit(("\n" + DISPLAY_INDENT).join(lines), MATH_STYLE)
            emit(token.trail)
            newline_pending = True
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


_LEFTOVER_BR = re.compile(r"<br\s*/?>", re.IGNORECASE)
_LEADING_SPACE = re.compile(r"\A\s+")
_TRAILING_SPACE = re.compile(r"\s+\Z")


# Text that every step below leaves as it is: no character that starts markup, math, code, an
# image, a sound, an entity, an escape or <br>, no control character or carriage return, no line
# starting "1. " (an inline list to break), no space at either end.
_MARKED = re.compile(r"[$*\\`!&<\[\r\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029]|(?:\A|\n)1\. ")


@lru_cache(maxsize=1024)
def _render(text: str) -> tuple[str, tuple[Span, ...]]:
    if not _MARKED.search(text) and not text[:1].isspace() and not text[-1:].isspace():
        return text, ()  # plain already (most questions: `list` at 100,000 cards)
    return _rendered(text)


def _rendered(text: str) -> tuple[str, tuple[Span, ...]]:
    """`_render` without its shortcut for plain text: every step taken."""
    plain, spans = _assemble(tokens(text))
    if not (_TO_EDIT.search(plain) or plain[:1].isspace() or plain[-1:].isspace()):
        return plain, tuple(spans)  # most texts: none of the four edits below applies
    # Safety net: a "<br>" assembled from escapes, entities or code spans is still a break.
    plain, spans = _edit(plain, spans, CONTROL, "")  # e.g. from "&#x1b;"
    plain, spans = _edit(plain, spans, _LEFTOVER_BR, "\n")
    plain, spans = _edit(plain, spans, _LEADING_SPACE, "")
    plain, spans = _edit(plain, spans, _TRAILING_SPACE, "")
    return plain, tuple(spans)


_TO_EDIT = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f<]")
"""With a space at either end, where one of `_rendered`'s edits may apply (a control
character, a "<" that may open a `<br>`): a text without any is left as `_assemble` made
it. One scan of a character class instead of four `_edit` passes: 1.4 s of CPU over the
100,000 questions `list` writes, now 0.15 s (an alternative in the pattern for the ends, as
`\\s\\Z`, took 0.66 s: it is tried at every place)."""


def to_plain(text: str) -> str:
    """Render card text as plain Unicode: math converted, Markdown markers and ``<br>`` gone.

    >>> to_plain(r"1. **SGD** $\\rightarrow$ 2. **MBGD**")
    '1. SGD → 2. MBGD'
    """
    return _render(text)[0]


def to_output(text: str) -> str:
    """:func:`to_plain`, as standard output can show it: where its encoding cannot show a
    character (`LC_ALL=C`), spelled as a laid-out Text is (`dlcards.stdio.for_stdout`), its
    formulas known (x̃ as x_tilde in a formula, as `show` spells it). For text written
    without rich, or put in a table as a plain string."""
    from dlcards.stdio import for_stdout

    plain, spans = _render(text)
    return for_stdout(plain, [(s.start, s.end) for s in spans if s.style == MATH_MARK])


def styled(text: str) -> tuple[str, tuple[Span, ...]]:
    """Card text rendered: the plain text (:func:`to_plain`) and its spans, each styled
    BOLD_STYLE, ITALIC_STYLE, CODE_STYLE or MATH_STYLE, or marked MATH_MARK (a formula)."""
    return _render(text)


def to_rich(text: str) -> Text:
    """Render card text as a :class:`rich.text.Text` with bold/italic/code/math spans.

    ``to_rich(text).plain == to_plain(text)``. The Text wraps by :mod:`dlcards.flow`: a
    formula is kept on one line when it fits.
    """
    from dlcards.flowtext import FlowText, rich_spans

    plain, spans = _render(text)
    return FlowText(plain, spans=rich_spans(spans))
