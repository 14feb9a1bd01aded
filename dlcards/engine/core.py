"""The engine's small values: a computation's parameters, the computation itself and its result.

Nothing here imports numpy; the computations import it inside their bodies.
"""

from __future__ import annotations

import math
import numbers
import sys
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Literal, NamedTuple

if TYPE_CHECKING:
    from decimal import Decimal
    from fractions import Fraction

Kind = Literal["float", "int", "floats", "ints", "choice"]
"""How a parameter is parsed: one number, one integer, a list of either, or a word from choices."""

Check = Literal["probability", "positive", "nonnegative", "sign"]
"""A range a parameter (every item, for a list) must be in: [0, 1], > 0, >= 0, or +1/-1."""

ArgValue = float | int | str | list[float] | list[int]
"""A coerced argument: plain Python values only, so `Result.args` is JSON-serializable."""

Value = float | int | str | bool | list[float] | dict[str, float]
"""A computation's answer. dict is used by mean_median_outlier (before/after statistics)."""

Outcome = tuple[Value, list[str]]
"""What a computation's function returns: the value and the worked steps, one line each."""

_KIND_HINTS: dict[str, str] = {
    "float": "number",
    "int": "integer",
    "floats": "n1,n2,...",
    "ints": "i1,i2,...",
}


class Param(NamedTuple):
    """One named parameter of a computation. `default=None` means the parameter is required."""

    name: str
    kind: Kind
    default: ArgValue | None = None
    choices: tuple[str, ...] = ()
    check: Check | None = None
    help: str = ""

    @property
    def required(self) -> bool:
        return self.default is None

    def placeholder(self) -> str:
        """`<number>`, `<n1,n2,...>`, `<and|or|xor>`: what a value of this parameter looks like."""
        if self.kind == "choice":
            return "<" + "|".join(self.choices) + ">"
        return f"<{_KIND_HINTS[self.kind]}>"

    def describe(self) -> str:
        """`error`, `delta=1`, `dataset=and|or|xor`: the parameter as shown by `calc --list`."""
        if self.kind == "choice" and self.required:
            return f"{self.name}={'|'.join(self.choices)}"
        if self.required:
            return self.name
        return f"{self.name}={plain(self.default)}"


class Computation(NamedTuple):
    """A named pure function with typed parameters, a one-line formula and a one-line summary.

    `func(**args)` takes the coerced arguments by parameter name and returns (value, steps);
    it may raise UsageError for checks that involve several arguments (lengths, index range).
    """

    name: str
    params: tuple[Param, ...]
    formula: str
    summary: str
    func: Callable[..., Outcome]
    symbols: tuple[str, ...] = ()
    """The symbols its steps write that a card may name in its own notation (`func` then takes
    `names`, a mapping from these to the card's symbols: `{p: ŷ}`); `calc` uses them as they
    are."""

    def param(self, name: str) -> Param | None:
        for p in self.params:
            if p.name == name:
                return p
        return None

    def signature(self) -> str:
        """`huber(error, delta=1)`."""
        return f"{self.name}({', '.join(p.describe() for p in self.params)})"

    def usage(self) -> str:
        """`huber error=<number> [delta=1]`: how to call it from the command line."""
        parts = [self.name]
        for p in self.params:
            if p.required:
                parts.append(f"{p.name}={p.placeholder()}")
            else:
                parts.append(f"[{p.name}={plain(p.default)}]")
        return " ".join(parts)


class Result(NamedTuple):
    """A computation's answer with the arguments actually used (defaults included) and its steps."""

    name: str
    args: dict[str, ArgValue]
    value: Value
    steps: tuple[str, ...]

    @property
    def display(self) -> str:
        """The value for people (see display_value): one line, or one line per named value."""
        return display_value(self.value)

    @property
    def display_lines(self) -> tuple[str, ...]:
        """The display as lines: one, or one labelled line per named value (`mean before: 3.0`)."""
        return tuple(self.display.split("\n"))

    def to_dict(self) -> dict[str, object]:
        """`{"name", "args", "value", "steps"}`, ready for json.dumps."""
        return {
            "name": self.name,
            "args": dict(self.args),
            "value": self.value,
            "steps": list(self.steps),
        }

    def approx_equal(self, claim: object, rel_tol: float = 1e-3, abs_tol: float = 0.0) -> bool:
        """Whether `claim` (a number, number text, list, or word) matches the value.

        Numbers compare with math.isclose(rel_tol, abs_tol); lists item by item; strings
        (such as "never converges") ignoring case and surrounding space. The tolerance is
        relative, as a card's `tolerance:` is: with an absolute one of 10⁻⁹ as well, every
        claim below 10⁻⁹ agreed with every value below it (a claim of 10⁻¹⁰, or of 0, for
        0.25²⁰ = 9.095 × 10⁻¹³ passed `check`).
        """
        return _close(self.value, claim, rel_tol, abs_tol)


def _close(value: object, claim: object, rel_tol: float, abs_tol: float) -> bool:
    if isinstance(value, dict):
        if not isinstance(claim, dict) or set(claim) != set(value):
            return False
        return all(_close(value[k], claim[k], rel_tol, abs_tol) for k in value)
    if isinstance(value, list):
        if isinstance(claim, str):  # "0.5, 0.5", or in one pair of brackets as Python or
            # JSON prints a list: `strip("[]()")` took any number, and "[[0.5, 0.5]]", a list
            # of one row, agreed with the vector
            text = claim.strip()
            if text[:1] + text[-1:] in ("[]", "()"):
                text = text[1:-1]
            claim = [c for c in text.split(",") if c.strip()]
        if not isinstance(claim, list | tuple) or len(claim) != len(value):
            return False
        return all(_close(v, c, rel_tol, abs_tol) for v, c in zip(value, claim, strict=True))
    if isinstance(value, str):
        return isinstance(claim, str) and claim.strip().lower() == value.strip().lower()
    if isinstance(value, bool) or isinstance(claim, bool):
        return value is claim
    if isinstance(claim, str):
        try:
            claim = float(claim.strip())
        except ValueError:
            return False
    if not isinstance(claim, numbers.Real) or not isinstance(value, numbers.Real):
        return False
    return math.isclose(float(value), float(claim), rel_tol=rel_tol, abs_tol=abs_tol)


Names = Mapping[str, str]
"""A card's own symbols for a computation's (`Computation.symbols`): `{"p": "ŷ"}`."""

NO_NAMES: Names = {}


def named(names: Names, *symbols: str) -> tuple[str, ...]:
    """Each symbol as the card writes it: its name in `names`, or the symbol itself."""
    return tuple(names.get(s, s) for s in symbols)


MINUS = "\u2212"
"""The minus sign of displayed numbers (U+2212), never the ASCII hyphen."""

_SUPERSCRIPT = str.maketrans("0123456789-", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻")


class Given(float):
    """A number as it was given (typed on the command line, written in a deck, drawn for a
    quiz), which `fmt` writes whole: its shortest decimal, 0.12345, where a computed value is
    rounded to 0.1235. A step that wrote a given rounded showed arithmetic that does not hold
    (`0.1235 − 0.05 = 0.07345`, from w = 0.12345), and the echo of the arguments a number the
    learner did not type. Arithmetic on it gives a plain float: what it computes is rounded;
    its sign changed is still the number given (σ(0.33335)'s e^(−0.33335))."""

    __slots__ = ()

    def __neg__(self) -> Given:
        return Given(-float(self))

    def __pos__(self) -> Given:
        return self

    def __abs__(self) -> Given:
        return Given(abs(float(self)))


GIVEN_DIGITS = 12
"""The most significant digits a given is written with; one with more (0.1 + 0.2 typed as
0.30000000000000004) is written as a computed value is."""


def _given(x: float) -> str | None:
    """A `Given` as `fmt` writes it: its shortest decimal (`repr`) in the textbook's format
    (grouped thousands, scientific notation where `fmt` uses it); None when that takes more
    than GIVEN_DIGITS significant digits."""
    from decimal import Decimal

    d = Decimal(repr(x)).normalize()
    sign, digits, exponent = d.as_tuple()
    if len(digits) > GIVEN_DIGITS or not isinstance(exponent, int):
        return None
    if abs(x) < 1e-3 or abs(x) >= 1e15:
        return _times_ten(f"{d:.{len(digits) - 1}e}")
    return f"{d:,.{max(-exponent, 0)}f}"


def fmt(x: object, digits: int | None = None) -> str:
    """A number as a textbook prints it, for worked steps and answers: the one display format.

    `100`, `1,000`, `0.5`, `0.3567`, `−2.5`, `9.537 × 10⁻⁷`, `[0.1, −0.7]`: the minus sign is
    U+2212, thousands are grouped with commas, floats get at most 4 decimals (4 significant
    digits below 1; trailing zeros dropped), and magnitudes below 0.001 or at or above 10¹⁵ use
    scientific notation with 4 significant digits. `digits` asks for that many significant
    digits instead (e.g. 10 for the two close values a central difference subtracts). Other
    values use str().
    Values a user types back (command-line defaults, echoed input) use `plain` instead.
    """
    if isinstance(x, bool):
        return "true" if x else "false"
    if isinstance(x, int):
        return _textbook(f"{x:,}")
    if isinstance(x, float):
        if math.isnan(x):
            return "nan"
        if math.isinf(x):
            return "∞" if x > 0 else MINUS + "∞"
        if x == 0:
            return "0"
        given = _given(x) if digits is None and type(x) is Given else None
        if given is not None:
            text = given
        elif digits is not None:
            text = f"{_half_up(x, significant=digits):,.{digits}g}"
            if "e" not in text and "." in text:
                text = text.rstrip("0").rstrip(".")
        elif abs(x) < 1e-3 or abs(x) >= 1e15:
            text = f"{_half_up(x, significant=4):.3e}"
        elif abs(x) < 1:  # 4 significant digits: 0.03125, 0.00475, not 0.0312, 0.0048
            text = f"{_half_up(x, significant=4):.4g}"
        else:
            text = f"{_half_up(x, decimals=4):,.4f}".rstrip("0").rstrip(".")
        if "e" in text:
            text = _times_ten(text)
        if text in ("-0", ""):
            return "0"
        return _textbook(text)
    if isinstance(x, list | tuple):
        return "[" + ", ".join(fmt(v, digits) for v in x) + "]"
    return str(x)


def _half_up(x: float, significant: int = 0, decimals: int | None = None) -> float:
    """`x` rounded as its decimal is read (`repr`: what the deck, the draw or the user wrote)
    and as a textbook rounds, a 5 up, to `significant` digits or `decimals` places: the double
    nearest the result, which the float formats then write digit for digit. Formatting the
    double itself rounded the binary value, which lies on either side of a written 5: 0.12345
    was written 0.1235 but 0.33335 0.3333, 0.042175 0.04217 and 4.1445 4.144."""
    from decimal import ROUND_HALF_UP, Decimal

    d = Decimal(repr(x))
    unit = Decimal(1).scaleb(-decimals if decimals is not None else d.adjusted() + 1 - significant)
    rounded_up = float(d.quantize(unit, rounding=ROUND_HALF_UP))
    return rounded_up if math.isfinite(rounded_up) else x  # 1.798 × 10³⁰⁸ is past the doubles


def enough(values: Sequence[float], then: Callable[..., float], result: float) -> list[str] | None:
    """`values` written with the fewest significant digits (4 to 17, the same for all: 17
    write any double exactly) from which the step `then` gives `result` as it is shown, each
    as a step writes it; None when no float does (σ(40) is 1 in double precision: 1 − 1 = 0).
    A step that subtracts numbers near each other cancels their leading digits: tanh(3) =
    0.9951 shown would make 1 − 0.9951² = 0.00978, not tanh'(3) = 0.009866, and p = 0.9986
    shown would make 0.9986 − 1 = −0.0014, not the gradient −0.001426 of p = 0.998574."""
    for digits in range(4, 18):
        shown = [float(f"{v:.{digits}g}") for v in values]
        if fmt(then(*shown)) == fmt(result):
            return [fmt(v, digits) if digits > 4 else fmt(v) for v in shown]
    return None


def _times_ten(text: str) -> str:
    """`9.537e-07` as `9.537 × 10⁻⁷` (not yet with the textbook minus)."""
    mantissa, exponent = text.lower().split("e")
    if "." in mantissa:
        mantissa = mantissa.rstrip("0").rstrip(".")
    return f"{mantissa} × 10{str(int(exponent)).translate(_SUPERSCRIPT)}"


def fmt_exact(q: Fraction | Decimal) -> str:
    """An exact value (`decimal`'s arithmetic, or a Decimal) as `fmt` writes its float, and
    beyond the normal doubles as well: a margin of 10⁻⁴⁰⁰ rounds to the float 0, which a step
    would show as `= 0` next to the verdict `> 0`; it is written `1 × 10⁻⁴⁰⁰`.

    In time that does not grow with the exponent: e^(−2,000,000) is a Decimal of 4 digits,
    but as a Fraction its denominator has 868,589 digits, and turning that into a Decimal to
    divide took `calc sigmoid z=-2e6` 108 s."""
    from decimal import Context, Decimal

    if isinstance(q, Decimal):
        x = float(q)
        if q == 0 or (math.isfinite(x) and abs(x) >= sys.float_info.min):
            return fmt(x)
        return _textbook(_times_ten(f"{Context(prec=4).plus(q):.3e}"))
    x = rounded(q)
    if q == 0 or (math.isfinite(x) and abs(x) >= sys.float_info.min):
        return fmt(x)
    quotient = Context(prec=4).divide(Decimal(q.numerator), Decimal(q.denominator))
    return _textbook(_times_ten(f"{quotient:.3e}"))


def as_computed(v: float, exact: Fraction | Decimal) -> str:
    """A value a step ends with, computed as the double `v` from the exact `exact`: `fmt(v)`,
    or, where the double left its range though the value did not (10⁻²⁰⁰ squared is 10⁻⁴⁰⁰,
    which the double rounds to 0), that value and what the double made of it: `1 × 10⁻⁴⁰⁰, 0
    in double precision`. A step never writes `(10⁻²⁰⁰)² = 0` or `(10²⁰⁰)² = ∞`."""
    if exact == 0 or (math.isfinite(v) and v != 0):
        return fmt(v)
    return f"{fmt_exact(exact)}, {fmt(v)} in double precision"


def signed_exact(q: Fraction) -> str:
    """`+ 1.5`, `− 1 × 10⁻⁶⁰⁰`: an exact term added to what comes before it (`signed`, written
    by `fmt_exact`, so that a term the double rounds to 0 or ∞ is not written `+ 0` or `+ ∞`)."""
    return f"− {fmt_exact(-q)}" if q < 0 else f"+ {fmt_exact(q)}"


_OPERATORS = (" ", "+", MINUS, "·", "×", "/", "^", "√")


def bracketed(text: str) -> str:
    """The one rule for a value put into a formula next to an operator (a factor, a divisor,
    a base or exponent, what a minus sign or √ applies to), already written: in brackets
    exactly when it is negative (`0.8·(−0.5)`, `(−2)²`), in scientific notation
    (`(3 × 10⁻⁷)`, or `·` and `²` read as part of it) or itself an expression (`1·(2 + 3)`);
    a plain number that is not negative stands bare (`2 − 0.5·1.5`, `10²`). A list, or a
    text already in brackets, is left as it is."""
    if not text or text[0] in "([" and _closes_at_end(text):
        return text
    if text[0] in (MINUS, "-") or any(op in text for op in _OPERATORS):
        return f"({text})"
    return text


def _closes_at_end(text: str) -> bool:
    """Whether the bracket that opens `text` is the one that closes it at its end."""
    depth = 0
    for i, ch in enumerate(text):
        depth += ch in "(["
        depth -= ch in ")]"
        if depth == 0:
            return i == len(text) - 1
    return False


def operand(x: object, digits: int | None = None) -> str:
    """`fmt(x, digits)` put into a formula next to an operator, by the one rule (`bracketed`):
    `2`, `0.5`, but `(−1)`, `(3 × 10⁻⁷)`."""
    return bracketed(fmt(x, digits))


def _textbook(text: str) -> str:
    return text.replace("-", MINUS)


def plain(x: object) -> str:
    """A number as a user would type it on the command line: `1e-05`, `-3`, `[0.1, 0.7]`.

    For parameter defaults in usage lines and for echoing what a user typed in an error; what
    the engine shows as a result or a step goes through `fmt`.
    """
    if isinstance(x, bool):
        return "true" if x else "false"
    if isinstance(x, float):
        if not math.isfinite(x):
            return str(x)
        if x == 0:
            return "0"
        if abs(x) < 1e-3 or abs(x) >= 1e15:
            mantissa, exponent = f"{x:.3e}".split("e")
            return f"{mantissa.rstrip('0').rstrip('.')}e{exponent}"
        text = f"{x:.4f}".rstrip("0").rstrip(".")
        return "0" if text in ("-0", "") else text
    if isinstance(x, list | tuple):
        return "[" + ", ".join(plain(v) for v in x) + "]"
    return str(x)


def digits_apart(new: float, old: float) -> str:
    """`new` as `fmt` writes it; when that would write `old` though `new` differs (a weight
    moved by 10⁻⁹: 0.5 − 10⁻⁹ shown as 0.5, an equation that is false and a step that seems not
    to have happened), with the fewest significant digits that give `new` back: 0.499999999."""
    if new == old or fmt(new) != fmt(old):
        return fmt(new)
    digits = next(d for d in range(5, 18) if float(f"{new:.{d}g}") == new)
    return fmt(new, digits)


def apart(new: float, old: float) -> str:
    """The result of a step that changes `old` a little, as the step writes it: `fmt(new)`, or,
    when that would write `old`, `digits_apart` and then the rounding (`0.499999999, which
    rounds to 0.5`), so that `0.5 − 1 × 10⁻⁹` is never shown equal to 0.5."""
    text = digits_apart(new, old)
    return text if text == fmt(new) else f"{text}, which rounds to {fmt(new)}"


def signed(x: float | int) -> str:
    """`+ 1.5` or `− 1.5`: a number written as a term added to what comes before it."""
    return f"− {fmt(-x)}" if x < 0 else f"+ {fmt(x)}"


def display_value(value: object) -> str:
    """The value as the steps write it (`fmt`, the one display format: `1`, not `1.0`, as in
    the step that computed it); a result of several named values (a dict) is one labelled line
    per value: `mean before: 3` then `median before: 3.5`, and so on."""
    if isinstance(value, dict):
        return "\n".join(f"{k.replace('_', ' ')}: {display_value(v)}" for k, v in value.items())
    return fmt(value)


def decimal(x: float | int) -> Fraction:
    """The number the learner reads, exactly: a float's shortest decimal form (what `fmt` and
    the deck show and what was typed or drawn: 0.1 is 1/10, not the binary double nearest it).
    Sums, differences and products of such numbers, made in these fractions and rounded once
    at the end, are 0 when the decimals cancel: 0.3 − 0.1·3 is 0, not −5.55 × 10⁻¹⁷, and a
    perceptron's margin of exactly 0 is a mistake, not a correct answer. Finite values only."""
    from fractions import Fraction

    return Fraction(x) if isinstance(x, int) else Fraction(repr(float(x)))


def rounded(q: Fraction) -> float:
    """An exact result (`decimal`'s arithmetic) as the nearest float, rounded once; ±inf past
    the largest, as float arithmetic would give."""
    try:
        return float(q)
    except OverflowError:
        return math.inf if q > 0 else -math.inf
