"""Standard streams as the shell gave them: output closed (`>&-`), full (`>/dev/full`), or
unable to encode the cards' symbols (`PYTHONIOENCODING=ascii`); input closed (`<&-`). Every
command runs inside `guarded`, so each of these ends in one line on stderr (or is read as the
end of input), never a traceback; so does a Ctrl-C while a command starts (exit 130).
Light: the prompt's `due --count` runs inside it too.
"""

from __future__ import annotations

import errno
import os
import sys

TYPE_CHECKING = False  # typing itself is not imported: the prompt's count runs in here
if TYPE_CHECKING:
    from collections.abc import Callable, Sequence
    from typing import NoReturn


class _Closed:
    """Standard output the shell closed: Python leaves `sys.stdout` None, and print() then
    writes nothing without a word. A write says what a closed descriptor says, as
    coreutils' commands do (`ls >&-`: "write error: Bad file descriptor")."""

    encoding = "utf-8"
    errors = "strict"
    held: int | None = None  # the descriptor that holds standard output's place (`_hold`)

    def write(self, text: str) -> int:
        raise OSError(errno.EBADF, os.strerror(errno.EBADF))

    def flush(self) -> None:
        pass

    def isatty(self) -> bool:
        return False

    def fileno(self) -> int:
        raise OSError(errno.EBADF, os.strerror(errno.EBADF))

    @property
    def buffer(self) -> _Closed:
        return self


_PLAIN = {
    **dict(
        zip(
            "−–—·×÷‘’“”•′─━│╭╮╰╯┤└█▇▆▅▄▃▂▁▉▊▋▌▍▎▏▓▒░◆✓✗↳⚠",
            "---**/''\"\"*'-=|++++|+##==--__####|||%:.@vx>!",
            strict=True,
        )
    ),
    # symbols with a meaning are spelled out, even where that is wider than the symbol (a
    # panel's right edge may then stand out of line: "≥" as ">" would say something false)
    "≤": "<=", "≥": ">=", "≠": "!=", "≈": "~=", "→": "->", "←": "<-", "⇒": "=>", "⇔": "<=>",
    "∑": "sum", "∈": "in", "∂": "d", "∇": "grad", "Δ": "Delta", "α": "alpha",
    "β": "beta", "γ": "gamma", "δ": "delta", "ε": "eps", "η": "eta", "θ": "theta",
    "λ": "lambda", "μ": "mu", "π": "pi", "ρ": "rho", "σ": "sigma", "τ": "tau", "φ": "phi",
    "Φ": "Phi", "ω": "omega", "§": "sec.", "∞": "inf", "√": "sqrt",
    "∝": "propto", "⊙": "(.)", "±": "+/-", "⁄": "/", "\ufe0f": "", "\ufe0e": "",
    "↺": "(again)", "↑": "Up", "↓": "Down", "›": ">", "∏": "prod", "↔": "<->", "∼": "~",
    "♪": "(sound)", "∗": "*", "∩": "cap", "∪": "cup", "⇐": "<==", "⊂": "subset", "⊆": "subseteq",
    "∓": "-/+", "≡": "==", "∧": "and", "∨": "or", "↦": "|->", "∫": "int", "∮": "oint",
    "⊤": "^T", "⊺": "^T", "≔": ":=",
    # ceiling and floor named (both as [ ] made gd-22's erratum say "[N/B] updates, not N/B")
    "⌈": "ceil(", "⌉": ")", "⌊": "floor(", "⌋": ")",
    # a text cut short reads as cut: "." would end it as a sentence ends
    "…": "...",
    # double-struck letters as AsciiMath writes them (NFKD's R would read as a variable R),
    # and math's bar over a letter named, not dropped (x̅, the mean, is not x; the macron
    # and tilde of a word's accents, ā, ã, are dropped as accents)
    "ℝ": "RR", "ℕ": "NN", "ℤ": "ZZ", "ℚ": "QQ", "ℂ": "CC", "\u0305": "_bar",
    # a hat named as code names it (y^ read as a power: ŷ(1 − ŷ) was "y^(1 - y^)"), on ŷ
    # and as the combining hat of x̂ and θ̂
    "ŷ": "y_hat", "\u0302": "_hat",
    # × is * above (as · is): as x it read as the variable x (`w x 0.7`), and a wrap took
    # it for a word, cutting `1.388 x` / `10^-5`
    # a norm as plain-text math writes one: as |x|, ‖x‖² read as the absolute value
    "‖": "||",
    # the rest of LaTeX's everyday symbols (`\forall`, `\cdots`, `\langle`, `\otimes`,
    # `\prod`...), each "?" before; Greek letters are spelled by their names (`_greek`)
    "⋯": "...", "⋮": ":", "⋱": "...", "∀": "forall", "∃": "exists",
    "∄": "not exists", "¬": "not", "∅": "{}", "∉": "notin", "∋": "ni", "⊃": "supset",
    "⊇": "supseteq", "⊊": "subsetneq", "⊋": "supsetneq", "∖": "\\", "∘": "o", "∙": "*",
    "⋅": "*", "⊗": "(x)", "⊕": "(+)", "⊖": "(-)", "⊘": "(/)", "⋃": "Union", "⋂": "Intersect",
    "⋆": "*", "†": "dagger", "‡": "ddagger", "≪": "<<", "≫": ">>", "⩽": "<=", "⩾": ">=",
    "≃": "~=", "≅": "~=", "≉": "!~=", "≁": "!~", "⊥": "perp", "∥": "||", "∦": "!||",
    "∣": "|", "∤": "!|", "⟨": "<", "⟩": ">", "⟦": "[[", "⟧": "]]", "⟶": "-->", "⟵": "<--",
    "⟹": "==>", "⟸": "<==", "⟺": "<==>", "⟼": "|-->", "↪": "->", "⇀": "->", "↕": "<->",
    "⇑": "Up", "⇓": "Down", "ħ": "hbar", "ℓ": "l", "ℵ": "aleph", "∠": "angle", "△": "triangle",
    "□": "[]", "■": "#", "▪": "#", "⊢": "|-", "⊨": "|=", "≜": ":=", "≐": "=.", "≺": "<",
    "≻": ">", "≼": "<=", "≽": ">=", "≲": "<~", "≳": ">~", "∴": "therefore",
    "∵": "because", "∐": "coprod", "⨿": "coprod", "∔": "+", "∬": "iint", "∭": "iiint",
    "ℏ": "hbar", "℘": "P", "∡": "angle", "\u20d7": "_vec",
}  # fmt: skip
"""The cards' symbols in plain ASCII, for a terminal whose encoding cannot show them: marks
and box drawing one character for one, symbols with a meaning spelled out. Superscripts and
subscripts are written as in TeX (x² as x^2, 10⁻⁵ as 10^-5, wᵢⱼ as w_ij; a run of more than
one token in brackets, Wₗ₊₁ as W_(l+1), `spelled_pieces`; a letter or digit after one kept
apart, Wᵀx as W^T x), other characters by
their compatibility decomposition (½ as 1/2, é as e), and "?" for the rest (an emoji).
dlcards.console spells a Text's characters before rich lays it out, so a spelling wider than
its symbol still lines up."""


_ROOT_DEGREES = {"∛": "3", "∜": "4"}
"""The roots with a character of their own, and their degrees."""


CUT = "…"
"""The mark of a text cut short."""


def stdout_encoding() -> str:
    """Standard output's encoding, in lower case (UTF-8 for a stream that names none)."""
    return (getattr(sys.stdout, "encoding", None) or "utf-8").lower()


def cut_mark() -> str:
    """The mark of a text cut short as standard output shows it: `…`, or `...` where its
    encoding cannot show `…` (`_PLAIN`), for a layout that measures the mark it adds."""
    encoding = stdout_encoding()
    try:
        CUT.encode(encoding)
    except (UnicodeEncodeError, LookupError):
        return _PLAIN[CUT]
    return CUT


def _script(ch: str) -> tuple[str, str] | None:
    """("^", base) for a superscript (², ⁻, ᵀ, ᴺ), ("_", base) for a subscript (₁, ᵢ, ₖ)."""
    import unicodedata

    kind, _, base = unicodedata.decomposition(ch).partition(" ")
    mark = {"<super>": "^", "<sub>": "_"}.get(kind)
    return (mark, "".join(chr(int(code, 16)) for code in base.split())) if mark else None


def spelled(ch: str, before: str = "", after: str = "") -> str:
    """`ch` as a terminal that cannot show it gets it; `before`: the character before it (a
    superscript or subscript after one of its kind continues its run: ⁻⁵ as ^-5); `after`:
    the one after it (a symbol spelled as a word is kept apart from a letter or digit on
    either side: ηxᵢ as "eta x_i", not "etax_i"; iπ as "i pi", x∈S as "x in S"; a mark over
    a letter is not: x̅ as "x_bar")."""
    if ch in _PLAIN:
        return _apart(_PLAIN[ch], ch, before, after)
    if ch in _ROOT_DEGREES:  # ∛x as root[3] x, as ³√x is spelled (`spelled_pieces`)
        return _apart("sqrt", "√", before, after).replace("sqrt", f"root[{_ROOT_DEGREES[ch]}]")
    if ch.isascii():
        return ch
    import unicodedata

    if unicodedata.name(ch, "").startswith("MATHEMATICAL DOUBLE-STRUCK CAPITAL"):
        return unicodedata.normalize("NFKD", ch) * 2  # 𝔼 as EE, as ℝ is RR
    script = _script(ch)
    if script is not None:
        mark, base = script
        again = before and not before.isascii() and _script(before)
        word = ("" if again and again[0] == mark else mark) + _spelled_all(base)
        going_on = after and not after.isascii() and _script(after)
        if not (going_on and going_on[0] == mark) and _starts_a_word(after):
            word += " "  # Wᵀδ as "W^T delta", η²R² as "eta^2 R^2": not W^(Tdelta), eta^(2R²)
        return word
    parts = unicodedata.normalize("NFKD", ch)
    if parts != ch:  # ½ as 1⁄2, é as e and a combining accent (dropped)
        kept = "".join(c for c in parts if not unicodedata.combining(c))
        if kept and kept != ch:
            word = _spelled_all(kept)
            if "\u2044" in kept:  # a vulgar fraction: 1/2 is no factor of what touches it
                if _starts_a_word(after) or after == "(":
                    word = f"({word})"  # ½e² as (1/2)e^2: "1/2e^2" reads as 1/(2e²)
                if _ends_a_word(before):
                    word = " " + word  # 3½ as 3 1/2, not 31/2
            return word
    if unicodedata.category(ch) in ("Mn", "Me", "Cf"):
        # a combining mark written apart (e + U+0301, as macOS and PDFs often write é) is
        # dropped as the one inside a composed é is; so is an invisible format character (the
        # zero-width joiner of an emoji family, a direction mark): neither is a "?"
        return ""
    greek = _greek(ch)
    if greek is not None:
        return _apart(greek, ch, before, after)
    macro = _latex_names().get(ch)
    if macro is None:
        return "?"
    if unicodedata.category(ch).startswith("L"):
        return macro  # a letter's name is a letter: ß as ss (straße as strasse)
    return _apart("\\" + macro, ch, before, after)


def _apart(word: str, ch: str, before: str, after: str) -> str:
    """`word`, the spelling of `ch`, kept apart from a letter or digit on either side when it
    is a word itself (ηx as "eta x"; not a mark over a letter: x̅ as "x_bar")."""
    if len(word) > 1 and word[0].isalpha() and _ends_a_word(before) and not _mark(ch):
        word = " " + word
    if len(word) > 1 and word[-1].isalpha() and _starts_a_word(after):
        return word + " "
    return word


def _greek(ch: str) -> str | None:
    """A Greek letter's name (ξ as xi, Γ as Gamma, ς as sigma), each "?" before but those
    of `_PLAIN`; None for any other character."""
    import unicodedata

    name = unicodedata.name(ch, "").split()
    if name[:1] != ["GREEK"] or name[1:3] not in (["SMALL", "LETTER"], ["CAPITAL", "LETTER"]):
        return None
    if len(name) > 5 or (len(name) == 5 and name[3] != "FINAL"):
        return None  # GREEK SMALL LETTER ALPHA WITH TONOS decomposes (é as e): not here
    letter = name[-1].lower().replace("lamda", "lambda")
    return letter.capitalize() if name[1] == "CAPITAL" else letter


_LATEX_NAMES: dict[str, str] = {}


def _latex_names() -> dict[str, str]:
    """Each character pylatexenc writes for a LaTeX macro of one word, and that macro's
    shortest name. Built the first time a character has no other spelling (~0.15 s)."""
    if not _LATEX_NAMES:
        from pylatexenc.latex2text import get_default_latex_context_db

        db = get_default_latex_context_db()
        for category in db.categories():
            for macro in db.d[category]["macros"].values():
                text, name = getattr(macro, "simplify_repl", None), macro.macroname
                if isinstance(text, str) and len(text) == 1 and not text.isascii():
                    if name.isalpha() and len(name) < len(_LATEX_NAMES.get(text, name + " ")):
                        _LATEX_NAMES[text] = name
        _LATEX_NAMES.setdefault("", "")  # built, even when empty
    return _LATEX_NAMES


def _mark(ch: str) -> bool:
    """Whether `ch` is a combining mark (a bar over the letter before it)."""
    import unicodedata

    return unicodedata.category(ch) == "Mn"


def _ends_a_word(ch: str) -> bool:
    """Whether `ch`, before a symbol spelled as a word, would run into it: an ASCII letter or
    digit (a symbol spelled as a word itself is kept apart by its own `after`)."""
    return ch.isascii() and ch.isalnum()


def _starts_a_word(ch: str) -> bool:
    """Whether `ch`, after a symbol spelled as a word, would run into it: an ASCII letter or
    digit, or a symbol spelled as a word itself (ηθ as "eta theta")."""
    if ch.isascii():
        return ch.isalnum()
    if ch in _PLAIN:
        return _PLAIN[ch][:1].isalpha()
    return _greek(ch) is not None


def _spelled_all(text: str, before: str = " ", after: str = "") -> str:
    """`text` spelled (`spelled_pieces`); `before` and `after`: the characters around."""
    return "".join(spelled_pieces(text, before, after))


#: Accents that LaTeX math puts over a letter (`\\tilde`, `\\dot`, `\\hat`, `\\bar`, `\\vec`):
#: inside a formula each is named after its letter (x̃ as x_tilde, ẋ as x_dot), where a
#: word's accents are dropped (não as nao, é as e): x̃ and ẋ read as x.
MATH_ACCENTS = {
    "\u0302": "_hat", "\u0303": "_tilde", "\u0307": "_dot", "\u0308": "_ddot",
    "\u0305": "_bar", "\u0304": "_bar", "\u20d7": "_vec", "\u0306": "_breve", "\u030c": "_check",
    "\u0332": "_underline",
}  # fmt: skip


def spelled_pieces(text: str, before: str = " ", after: str = "", math: bool = False) -> list[str]:
    """`text` spelled as `spelled` spells each character, one piece per character; `before`
    and `after`: the characters around it. A run of superscripts or subscripts is spelled as
    a whole, on its first character, and bracketed when it is more than one token: Wₗ₊₁ as
    W_(l+1) and xⁿ⁺¹ as x^(n+1), where the characters one by one gave W_l+1, which reads as
    W_l + 1; one token stays bare (wᵢⱼ as w_ij, 10⁻⁵ as 10^-5, xᵀ as x^T). `math`: the text
    is a formula's (a LaTeX span), whose accents are named (MATH_ACCENTS) and whose Σ is
    the letter (LaTeX's sum is ∑); in other text a Σ is a sum or the letter by what follows
    it (`_operates`), read from `after` (up to AHEAD characters)."""
    befores, afters = (before[-1:] + text)[: len(text)], text[1:] + (after[:1] or " ")
    pieces = [
        (_accented(ch, b, a) if math and not ch.isascii() else None) or spelled(ch, b, a)
        for b, ch, a in zip(befores, text, afters, strict=True)
    ]
    if not math:
        for n, ch in enumerate(text):
            if ch in _BIG_OPERATORS and _operates(text[n + 1 :] + after):
                # a Σ typed in text: the sum it reads as, or the letter
                pieces[n] = _apart(_BIG_OPERATORS[ch], ch, befores[n], afters[n])
            elif ch.isascii() or (named := _accented(ch, befores[n], afters[n])) is None:
                continue
            elif _alone(text, n, before, after):
                # an accented letter that is no word's (ĝ ← ∇θ, â = 2): a math letter,
                # its accent named as in a formula
                pieces[n] = named
            elif ch in MATH_ACCENTS:  # a word's accent is dropped (pa + U+0302 + te as pate)
                pieces[n] = ""
    scripts = [None if ch.isascii() else _script(ch) for ch in text]
    start, n = 0, len(text)
    while start < n:
        first = scripts[start]
        end = start + 1
        if first is None:
            start = end
            continue
        bases = [first[1]]
        while end < n and (more := scripts[end]) is not None and more[0] == first[0]:
            bases.append(more[1])
            end += 1
        ahead = (text[start - 1] if start else before)[-1:] or " "
        if (
            first[0] == "^"
            and end < n
            and text[end] == "√"
            and pieces[end].startswith("sqrt")
            and not (ahead.isalnum() or ahead in ")]}" or _script(ahead) is not None)
        ):
            # a root's degree (\sqrt[3]{x} is ³√x) as LaTeX writes it: ^3 sqrt x read as a
            # power times a square root (after an operand, x²√y, it is that operand's power)
            degree = _spelled_all("".join(bases)).strip()
            pieces[start:end] = [""] * (end - start)
            pieces[end] = f"root[{degree}]" + pieces[end][len("sqrt") :]
        elif end - start > 1:
            body = _spelled_all("".join(bases))
            if not _one_token(body):
                body = f"({body})"
            gap = " " if pieces[end - 1].endswith(" ") else ""  # a word after: kept apart
            pieces[start:end] = [first[0] + body + gap] + [""] * (end - start - 1)
        start = end
    return pieces


#: The Greek capitals that text also writes for the n-ary operators (Σ for ∑, Π for ∏).
_BIG_OPERATORS = {"Σ": "sum", "Π": "prod"}
#: Words after which a Σ is the letter, not a sum: "Σ is symmetric", "Σ and μ".
_NOT_OPERANDS = frozenset("is are was were be has have and or as that which whose".split())


def _operates(ahead: str) -> bool:
    """Whether a Σ (Π) typed in text, followed by `ahead`, reads as a sum (product): with
    limits (Σₙ, Σᵢ₌₁ᴺ) or an operand after it (Σεₖ, Σ(y − ŷ)², Σ max(0, ...), −Σ yᵢ, Σ −y·x);
    not with a superscript (Σ⁻¹, Σᵀ: the covariance matrix, its inverse), nor before an
    operator, punctuation, the end or a verb ("Σ = LLᵀ", "Σ, the covariance", "Σ is")."""
    if not ahead:
        return False
    first = ahead[0]
    script = None if first.isascii() else _script(first)
    if script is not None:
        return script[0] == "_"
    if first == "_":
        return True
    rest = ahead.lstrip(" ")
    if rest[:1] in ("−", "-") and rest[1:2].strip():
        rest = rest[1:]  # −Σ yᵢ's operand's sign: Σ −yᵢ
    word = rest.split(" ", 1)[0]
    if not rest or not (rest[0].isalnum() or rest[0] in "(∂∇√["):
        return False
    return word.strip(".,;:") not in _NOT_OPERANDS


def spelled_runs(
    plain: str,
    math: Sequence[tuple[int, int]],
    shown: Callable[[str], bool],
    space: Callable[[str], str] = str,
) -> list[str]:
    """`plain` with each run of characters that `shown` says the output cannot show spelled
    as a whole, as the stream's error handler spells it (a run of subscripts bracketed: Wₗ₊₁
    as W_(l+1)), one piece per character; inside a formula (`math`: the LaTeX spans' ranges)
    with its accents named (x̃ as x_tilde) and its Σ the letter. `space`: a character as the
    text around a run is read (a glued space as a space)."""
    formula = [False] * len(plain)
    for a, b in math:
        formula[a:b] = [True] * (b - a)
    pieces: list[str] = []
    n = len(plain)
    while len(pieces) < n:
        start = len(pieces)
        if shown(plain[start]):
            pieces.append(plain[start])
            continue
        end = start + 1
        while end < n and not shown(plain[end]) and formula[end] == formula[start]:
            end += 1
        before = "".join(map(space, plain[max(start - AHEAD, 0) : start])) or " "
        after = "".join(map(space, plain[end : end + AHEAD])) or " "
        pieces += spelled_pieces(plain[start:end], before, after, formula[start])
    return pieces


def for_stdout(plain: str, math: Sequence[tuple[int, int]]) -> str:
    """Rendered card text (`math`: where its formulas are) as standard output can show it: as
    it is, or, where the output's encoding cannot show a character, spelled as a Text laid out
    for the terminal is (`console.in_encoding`), its formulas with their accents named. For
    lines written without rich (`list` in a pipe): through the stream's own error handler,
    which knows no formula, `$\\tilde{x}$` was `x` there and `x_tilde` in `show`."""
    encoding = stdout_encoding()
    try:
        plain.encode(encoding)
        return plain
    except (UnicodeEncodeError, LookupError):
        pass

    def shown(ch: str) -> bool:
        try:
            ch.encode(encoding)
            return True
        except (UnicodeEncodeError, LookupError):
            return False

    return "".join(spelled_runs(plain, math, shown))


def _alone(text: str, n: int, before: str, after: str) -> bool:
    """Whether `text[n]`, a letter with an accent (â, or a combining accent after its letter:
    x + U+0303), is no word's, as a math letter is: fewer than three letters in its run of
    letters (âᵢ, 2x̃, x̃y, ∇âJ: a product, a gradient's variable; Fréchet, naïve, não are
    words; scripts and digits are no letters). `before`, `after`: the text around."""
    full, n = before + text + after, len(before) + n
    start = n - 1 if full[n] in MATH_ACCENTS else n  # a combining accent: its letter's place

    def letter(at: int) -> bool:
        ch = full[at] if 0 <= at < len(full) else " "
        return ch.isalpha() and (ch.isascii() or _script(ch) is None)

    if start < 0 or not letter(start):
        return False
    run, at = 1, start - 1
    while at >= 0 and (letter(at) or _mark(full[at])):
        run += letter(at)
        at -= 1
    at = start + 1
    while at < len(full) and (letter(at) or _mark(full[at])):
        run += letter(at)
        at += 1
    return run < 3


def _accented(ch: str, before: str, after: str) -> str | None:
    """`ch` in a formula: a math accent named (MATH_ACCENTS), alone or on its letter (ẋ,
    composed, as x_dot); None for any other character. A letter or digit after it is kept
    apart, as after any name spelled as a word (x̃y as x_tilde y, not the name x_tildey)."""
    gap = " " if _starts_a_word(after) else ""
    if ch in MATH_ACCENTS:
        return MATH_ACCENTS[ch] + gap
    import unicodedata

    parts = unicodedata.normalize("NFD", ch)
    if len(parts) < 2 or not all(mark in MATH_ACCENTS for mark in parts[1:]):
        return None
    named = spelled(parts[0], before, "") + "".join(MATH_ACCENTS[mark] for mark in parts[1:])
    return named + gap


def _one_token(body: str) -> bool:
    """Whether a script's spelling reads as one token after its ^ or _: a number (with its
    sign: 10^-5, 2.5), a name (ij, max, beta; digits after it: i1), primes, or one group in
    brackets (x^(i)); not l+1, i=1, 2x, beta gamma."""
    word = body[1:] if body[:1] in "+-" and len(body) > 1 else body
    if not word.isascii():
        return False
    letters = word.rstrip("0123456789")
    if letters.isalpha() or set(word) == {"'"}:
        return True
    whole, dot, part = word.partition(".")
    if whole.isdigit() and (not dot or part.isdigit()):
        return True
    if len(body) < 2 or body[0] != "(" or body[-1] != ")":
        return False
    depth = 0
    for n, ch in enumerate(body):
        depth += (ch == "(") - (ch == ")")
        if depth == 0 and n < len(body) - 1:
            return False
    return True


AHEAD = 16
"""How much text before and after a run to spell `spelled_pieces` reads (a Σ before its
operand, the letters around an accented one)."""


def _plain(err: UnicodeError) -> tuple[str, int]:
    if not isinstance(err, UnicodeEncodeError):
        raise err
    text = err.object[err.start : err.end]
    before = err.object[max(err.start - AHEAD, 0) : err.start] or " "
    after = err.object[err.end : err.end + AHEAD]
    return _spelled_all(text, before, after), err.end


def prepare() -> None:
    """Before a command: a closed stdout fails its first write; an encoding that cannot hold
    the cards' symbols (·, −, σ, ≥) shows them in ASCII (*, -, sigma, >=; "?" for the rest)
    instead of stopping the command."""
    global _terminal_out
    if sys.stdout is None:
        sys.stdout = _Closed()
        sys.stdout.held = _hold(1)
    try:
        _terminal_out = os.isatty(sys.stdout.fileno())
    except (OSError, AttributeError, ValueError):
        _terminal_out = False
    if sys.stdin is None:  # `<&-`: read as the end of input, as `</dev/null` is
        sys.stdin = open(os.devnull, encoding="utf-8")  # noqa: SIM115 - for the whole run
    _TERMINAL_IN[:] = [_terminal_in()]
    ascii_locale = c_locale()
    for stream in (sys.stdout, sys.stderr):
        encoding = (getattr(stream, "encoding", None) or "utf-8").lower().replace("_", "-")
        utf8 = encoding in ("utf-8", "utf8")
        if (ascii_locale or not utf8) and hasattr(stream, "reconfigure"):
            import codecs

            codecs.register_error("dlcards-plain", _plain)
            try:
                if ascii_locale and utf8:
                    stream.reconfigure(encoding="ascii", errors="dlcards-plain")
                else:
                    stream.reconfigure(errors="dlcards-plain")
            except (ValueError, OSError):  # pragma: no cover - a stream that refuses
                pass


def _hold(fd: int) -> int | None:
    """Standard output closed (`>&-`): descriptor `fd` is taken by the read end of a pipe of
    this process's, which nothing writes (a write to it fails as a closed one does), so that
    no file the command opens gets it. The first file opened took descriptor 1, and
    `/dev/stdout` then named it: `export anki -o /dev/stdout >&-` was refused as "not a
    regular file, a FIFO or a character device" (/dev/null, opened meanwhile, held it): it
    named whatever file the command had opened. Returns `fd`, or None when it is
    open after all (or no pipe can be made)."""
    try:
        os.fstat(fd)
        return None
    except OSError:
        pass
    try:
        read, write = os.pipe()
    except OSError:  # pragma: no cover - out of descriptors
        return None
    os.dup2(read, fd)  # a no-op when the pipe's read end is `fd` already
    for end in (read, write):
        if end != fd:
            os.close(end)
    return fd


def c_locale() -> bool:
    """Whether the user's locale is C or POSIX (`LC_ALL=C`; `LANG=C`; none set): a terminal
    whose characters are ASCII, as `ls` and `less` take it (`?` and `<E2><80><A6>` for what
    is not). Python writes UTF-8 there all the same (its UTF-8 mode, PEP 540, after it sets
    LC_CTYPE=C.UTF-8 for itself, PEP 538), so the streams are made ASCII here, the cards'
    symbols spelled. Not when the user asked Python for an encoding (PYTHONIOENCODING,
    PYTHONUTF8=1, -X utf8), nor for a locale that names UTF-8 but is not installed (Python
    falls back to C for it; the terminal is the user's UTF-8 one)."""
    if not sys.flags.utf8_mode:
        return False  # the locale's own encoding, UTF-8 or not, is Python's
    environ = os.environ
    if environ.get("PYTHONIOENCODING") or environ.get("PYTHONUTF8"):
        return False
    if "utf8" in getattr(sys, "_xoptions", {}):
        return False
    ctype = environ.get("LC_CTYPE", "")
    if ctype in ("C.UTF-8", "C.utf8", "UTF-8") and not environ.get("LC_ALL"):
        ctype = ""  # Python's own coercion (PEP 538): the user's value, if any, is lost
    name = environ.get("LC_ALL") or ctype or environ.get("LANG") or "C"
    charset = name.partition(".")[2].partition("@")[0].lower().replace("-", "")
    return charset != "utf8"


def failed(err: OSError) -> NoReturn:
    """Standard output could not be written (a full disk, a closed descriptor): one line on
    stderr, exit 1; what is still buffered for it is dropped (Python would otherwise try to
    flush it at exit and print a traceback of its own)."""
    if isinstance(err, BrokenPipeError):
        _drop_stdout()
        raise SystemExit(0)  # the reader left (`| head`): not an error, as everywhere else
    if err.errno == errno.EIO and _terminal_out:
        # the terminal was closed (a hang-up): no one is there to read a line, and what the
        # learner did is saved as it was done; the exit a shell reports for SIGHUP
        _drop_stdout()
        raise SystemExit(HUNG_UP)
    why = err.strerror or str(err)
    if err.filename:
        where = f"{err.filename}: "
    elif err.errno in _OUTPUT_ERRORS:
        where = "cannot write standard output: "
    else:
        where = ""
    say(f"error: {where}{why}")
    _drop_stdout()
    raise SystemExit(1)


HUNG_UP = 129  # 128 + SIGHUP, as `dlcards.terminal.HUNG_UP`
_terminal_out = False  # standard output was a terminal when the command started (`prepare`)

_OUTPUT_ERRORS = {errno.ENOSPC, errno.EBADF, errno.EIO, errno.EFBIG, getattr(errno, "EDQUOT", -1)}


class _Sink(_Closed):
    """Standard output after it failed: what is left to write goes nowhere."""

    def write(self, text: str) -> int:
        return len(text)


def _drop_stdout() -> None:
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, AttributeError, ValueError):
        sys.stdout = _Sink()


def symlink_loop(err: BaseException) -> str | None:
    """The path of a symbolic link loop that `pathlib.Path.resolve` met: before Python 3.13 it
    raises RuntimeError("Symlink loop from '...'") (from 3.13, OSError ELOOP, which `failed`
    reports), wherever a path given by the user is resolved."""
    text = str(err)
    prefix = "Symlink loop from "
    if not isinstance(err, RuntimeError) or not text.startswith(prefix):
        return None
    return text[len(prefix) :].strip("'\"")


def say(line: str) -> None:
    """`line` (an `error: ...`, `warning: ...` or `note: ...`, or a sentence) on stderr. Not
    to a terminal (a pipe, a file, a script's capture) it is one line, as scripts grep it;
    to a terminal, as `hanging` lays it out for its width (a terminal folded the one line
    inside its words: `unknown card id 'nosuch-card-id-t` / `hat-is-long'`). A control
    character in it (a path's newline or escape sequence) is shown as its escape, and a byte
    that was not UTF-8 as `\\xff` (`CONTROL_ESCAPES`). Nothing when stderr cannot be written
    (closed, full)."""
    from dlcards.errors import CONTROL_ESCAPES, typed_as_bytes

    # a path's newline or ESC: shown, never obeyed; its é under LC_ALL=C: as typed, not e
    line = typed_as_bytes(line.translate(CONTROL_ESCAPES))
    try:
        width = stderr_width()
        if width is not None:
            line = "\n".join(hanging(line, width))
        sys.stderr.write(line + "\n")
        sys.stderr.flush()
    except (OSError, AttributeError, ValueError):
        pass


LABELS = ("error: ", "warning: ", "note: ")
"""What a message to the user may start with; its further lines stand under the message."""


def hanging(line: str, width: int) -> list[str]:
    """A message (one line) for a terminal `width` cells wide: broken between words, the lines
    after the first indented to stand under the message after its label (LABELS), else two
    past the line's own indent, so that each message reads as one. A word longer than a line
    (a path, a card id) stays whole, on a line of its own (or after the label), for the
    terminal to fold; in a terminal too narrow for the indent to leave 20 cells, no
    indent."""
    lead = len(line) - len(line.lstrip(" "))
    label = next((lab for lab in LABELS if line.startswith(lab, lead)), "")
    indent = lead + (len(label) if label else 2)
    if width - indent < 20:
        indent = lead if width - lead >= 20 else 0
    words = _words(line[lead:], width - indent)
    if label and len(words) > 1 and _cells(words[1]) > width - indent:
        words[:2] = [f"{words[0]} {words[1]}"]  # a long path after `error:`, not under it
    return wrapped(words, width, indent, line[:lead])


def _words(text: str, room: int) -> list[str]:
    """`text` split at its spaces, but not inside a `code span` that fits in `room` cells: a
    command to type stays on one line (`dlcards unsuspend` / `ID` was two). A backtick left
    open joins nothing."""
    if text.count("`") % 2:
        return text.split(" ")
    words: list[str] = []
    inside, start = False, 0
    for word in text.split(" "):
        if inside:
            words[-1] += " " + word
        else:
            words.append(word)
            start = len(words) - 1
        if word.count("`") % 2:
            inside = not inside
            if not inside and _cells(words[-1]) > room:  # longer than a line: its words
                words[start:] = words[start].split(" ")
    return words


def stderr_width() -> int | None:
    """The width of the terminal stderr writes to, or None when it is not a terminal. A
    terminal as rich decides for stdout (TTY_COMPATIBLE=1 or 0 says, else `isatty`); its
    width COLUMNS where that is set, as rich takes it, else the terminal's own (80 when it
    tells none)."""
    compatible = os.environ.get("TTY_COMPATIBLE", "")
    if compatible == "0":
        return None
    if compatible != "1" and not sys.stderr.isatty():
        return None
    from dlcards.lite import size_given

    columns = size_given("COLUMNS")
    if columns is not None:
        return columns
    try:
        return os.get_terminal_size(sys.stderr.fileno()).columns or 80
    except (OSError, ValueError, AttributeError):
        return 80


def wrapped(words: list[str], width: int, indent: int, lead: str | None = None) -> list[str]:
    """`words` in lines of `width` cells, each after `indent` spaces (the first after `lead`
    instead, when given), broken between words only: a word longer than the line (a long
    path) stays whole on its own line, for the terminal to fold."""
    lines: list[str] = []
    for word in words:
        if lines and _cells(lines[-1]) + 1 + _cells(word) <= width:
            lines[-1] += " " + word
        else:
            lines.append((" " * indent if lines or lead is None else lead) + word)
    return lines


def _cells(text: str) -> int:
    if text.isascii():
        return len(text)
    from rich.cells import cell_len

    return cell_len(text)


ENDS_HERE: list[bool] = []
"""Not empty while `guarded` runs the command: the process ends when it returns, so a
`kill` or a closed terminal that comes after the command's `stops_as_ctrl_c` blocks is noted
for it (`terminal.stopped_late`), not left to end the process with no word (-15)."""


def guarded(command: Callable[[], None], to_the_end: bool = False) -> None:
    """Run `command` (the whole CLI) and flush its output; a failure to write standard output
    (or any error of the operating system that reached this far) is one line, exit 1. A stop
    noted after the command's blocks ended ends it as that stop ends a command (143, 129),
    saying that its work was saved when it was (`terminal.stopped_late`). `to_the_end`: the
    process ends once this returns (the `dlcards` command): a stop that comes after is noted
    and let go (the command is done), where its default action ended the process as SIGKILL
    would (-15); else the stops' default actions are back when this returns."""
    prepare()
    ENDS_HERE.append(True)
    try:
        _run_guarded(command)
    finally:
        ENDS_HERE.clear()
        terminal = sys.modules.get("dlcards.terminal")
        if terminal is not None and not to_the_end:
            terminal.stops_as_before()


def _run_guarded(command: Callable[[], None]) -> None:
    try:
        try:
            command()
        except SystemExit as ended:
            _stopped_late(ended.code)
            raise
        _stopped_late(0)
        sys.stdout.flush()
    except OSError as err:
        failed(err)
    except (KeyboardInterrupt, RuntimeError) as err:  # Ctrl-C while a command starts
        from dlcards.errors import interrupt_code, interrupted  # only now: `--version`

        if interrupted(err):  # a hang-up or a `kill` (`terminal.Hangup`): its own code
            raise SystemExit(interrupt_code(err)) from None
        loop = symlink_loop(err)
        if loop is None:
            raise
        say(f"error: {loop}: a symbolic link that points back to itself (a loop)")
        raise SystemExit(2) from None
    except SystemExit:
        try:
            sys.stdout.flush()
        except OSError as err:
            failed(err)
        raise


def _stopped_late(code: object) -> None:
    """A stop noted after the command's blocks (`terminal.stopped_late`) as its exit, when the
    command ended well (`code` 0 or None): an error's code is kept."""
    terminal = sys.modules.get("dlcards.terminal")
    if terminal is None or code not in (0, None):
        return
    stop = terminal.stopped_late()
    if stop is not None:
        raise SystemExit(stop)


def confirm(question: str, default: bool = False) -> bool:
    """`typer.confirm`, with Ctrl-C at the question ending the command as Ctrl-C ends any
    other (130) instead of click's "Aborted!" and 1; a terminal that closed at the question
    ends it as a hang-up (129). The end of input (Ctrl-D; a script's input that ran out) is
    no answer, so no: `no` is written after the question and False returned, for the command
    to say what no means with its own exit code (a Ctrl-D at "Open the editor again?" ended
    `edit` as Ctrl-C, 130, and at `reset`'s question too). (click's Abort is not the one of
    the click typer carries inside it: at Ctrl-D it escaped as a traceback.) The line of the
    question is ended first, where click asked it (standard output): what the command says
    next, and the shell's prompt, went on after `[y/N]: ^C`. An answer that is neither yes
    nor no is one line in the program's words, and the question asked again (click's
    confirm said `Error: invalid input`, naming neither the answer nor what it wants)."""
    import click

    from dlcards.errors import quoted

    text = f"{_fitted_question(question)} [{'Y/n' if default else 'y/N'}]"
    try:
        while True:
            typed = click.prompt(text, default="", show_default=False).strip()
            answer = typed.lower()
            if answer in ("y", "yes", "n", "no", ""):
                return answer[:1] == "y" if answer else default
            say(f"error: answer y or n, not {quoted(typed)}")
    except click.Abort as err:
        stop = err.__context__  # what click turned into Abort (`raise Abort() from None`)
        if _hung_up():  # the terminal is gone: no one to answer, or to tell
            _drop_stdout()
            raise SystemExit(HUNG_UP) from None
        if isinstance(stop, EOFError):  # Ctrl-D, or a script's input at its end: no
            _end_question("no\n")
            return False
        if isinstance(stop, KeyboardInterrupt) and isinstance(getattr(stop, "code", None), int):
            raise stop from None  # a `kill` (`terminal.Hangup`): its own code, 143
        _end_question("\n")
        raise KeyboardInterrupt from None


def _end_question(text: str) -> None:
    """End the question's line (on standard output, where click wrote it) with `text`."""
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.write(text)
            stream.flush()
            return
        except (OSError, ValueError, AttributeError):  # closed: try standard error
            continue


CHOICES = len(" [y/N]: ")
"""What click writes after a question to confirm, and the answer's first letter after it."""


def _fitted_question(question: str) -> str:
    """`question` in lines of the terminal's width (the last with room for ` [y/N]: ` and the
    answer), broken between words: at 40 columns `reset`'s question was folded by the
    terminal inside a word (`Their revie` / `w history is kept.`)."""
    import textwrap

    from dlcards.console import out

    console = out()
    if not console.is_terminal:
        return question
    room = max(console.width - 1, 20)  # the last column left free, as the study screen does

    def wrapped(text: str, width: int) -> list[str]:
        return textwrap.wrap(text, width, break_long_words=False, break_on_hyphens=False)

    lines = wrapped(question, room) or [question]
    if len(lines[-1]) + CHOICES + 1 > room:
        lines[-1:] = wrapped(lines[-1], max(room - CHOICES - 1, 10))
    return "\n".join(lines)


def _terminal_in() -> bool:
    """Whether standard input is a terminal still there (a closed one answers no more)."""
    try:
        return os.isatty(sys.stdin.fileno())
    except (OSError, AttributeError, ValueError):
        return False


_TERMINAL_IN: list[bool] = []
"""Whether standard input was a terminal when the command started (`prepare`)."""


def _hung_up() -> bool:
    """Whether standard input was a terminal when the command started and is one no more (it
    closed: a hang-up); a script's input (a pipe, a file) never was one."""
    return bool(_TERMINAL_IN and _TERMINAL_IN[0]) and not _terminal_in()
