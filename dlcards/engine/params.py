"""Turning user input into a computation's arguments: parse, coerce, range-check, fill defaults.

Values may be Python numbers and lists, or command-line text such as "3", "1e-3", "0.1,0.7,0.2",
"[1, 2]" or "and". Text is parsed with float() and int(), never evaluated. Every problem is a
UsageError whose message is one line naming the parameter and what it got.
"""

from __future__ import annotations

import math
import numbers
import sys
from collections.abc import Mapping

from dlcards.engine.core import ArgValue, Computation, Given, Kind, Param, plain
from dlcards.errors import UsageError, quoted
from dlcards.suggest import did_you_mean


def parse_value(text: str, kind: Kind | Param) -> ArgValue:
    """Parse one command-line value, e.g. `parse_value("0.1,0.7", "floats") == [0.1, 0.7]`.

    With a Param, its name appears in error messages and its choices and range are enforced.
    """
    param = kind if isinstance(kind, Param) else Param("value", kind)
    return coerce(param, text)


def coerce(param: Param, raw: object) -> ArgValue:
    """Convert `raw` (text, number or list) to the parameter's kind and check its range."""
    name = param.name
    if param.kind == "choice":
        return _choice(param, raw)
    if param.kind in ("floats", "ints"):
        items = _split(name, raw)
        if param.kind == "floats":
            floats = [_float(name, item, in_list=True) for item in items]
            for i, x in enumerate(floats):
                _check(param, x, index=i)
            return floats
        ints = [_int(name, item, in_list=True) for item in items]
        for i, n in enumerate(ints):
            _check(param, n, index=i)
        return ints
    if isinstance(raw, list | tuple) or (isinstance(raw, str) and "," in raw):
        shown = raw if isinstance(raw, str) else plain(list(raw))
        raise UsageError(f"{name} takes a single number, not a list (got {quoted(shown)})")
    value: float | int = _float(name, raw) if param.kind == "float" else _int(name, raw)
    _check(param, value)
    return value


def bind(comp: Computation, args: Mapping[str, object]) -> dict[str, ArgValue]:
    """Match `args` to the computation's parameters: coerce each, fill defaults, report gaps."""
    given: dict[str, object] = {}
    for key, raw in args.items():
        name = normalize(key)
        if comp.param(name) is None:
            names = [p.name for p in comp.params]
            raise UsageError(
                f"{comp.name} has no parameter {quoted(key)}{_did_you_mean(name, names)}; "
                f"usage: {comp.usage()}"
            )
        if name in given:
            raise UsageError(f"{name} is given twice")
        given[name] = raw
    bound: dict[str, ArgValue] = {}
    for param in comp.params:
        if param.name in given:
            bound[param.name] = coerce(param, given[param.name])
        elif param.default is not None:
            bound[param.name] = param.default
        else:
            raise UsageError(
                f"{comp.name} needs {param.name}={param.placeholder()}; usage: {comp.usage()}"
            )
    return bound


def normalize(name: str) -> str:
    """`Batch-Size` -> `batch_size`: names are matched ignoring case and `-` versus `_`."""
    return name.strip().lower().replace("-", "_")


def _did_you_mean(name: str, candidates: list[str]) -> str:
    return did_you_mean(name, candidates)


def _got(raw: object) -> str:
    """A value as a message shows it: text the user typed quoted (`quoted`), a Python value
    (from a quiz block) as Python writes it."""
    return quoted(raw) if isinstance(raw, str) else repr(raw)


def _choice(param: Param, raw: object) -> str:
    if not isinstance(raw, str):
        raise UsageError(
            f"{param.name} must be one of {', '.join(param.choices)} (got {_got(raw)})"
        )
    word = raw.strip().lower()
    if word not in param.choices:
        hint = did_you_mean(word, param.choices)
        raise UsageError(
            f"{param.name} must be one of {', '.join(param.choices)} (got {_got(raw)}){hint}"
        )
    return word


MAX_ITEMS = 200
"""The most numbers a list parameter takes. The worked steps show every number, in time and
text that grow with them: `calc softmax` of 32,000 logits took 23.7 s. A worked example is
one a learner can follow (the longest list in the shipped decks has 18 numbers); 200 leave
room for a pasted vector and print in a few hundredths of a second."""


def _split(name: str, raw: object) -> list[object]:
    """A list parameter's items: from "1,2,3" or "[1, 2, 3]", a list or tuple, or one number;
    at most MAX_ITEMS of them (else a UsageError)."""
    items = _items(name, raw)
    if len(items) > MAX_ITEMS:
        raise UsageError(
            f"{name} has {len(items):,} numbers; a computation takes at most {MAX_ITEMS} (its "
            "worked steps show each one: give a smaller example)"
        )
    return items


def _items(name: str, raw: object) -> list[object]:
    if isinstance(raw, str):
        text = raw.strip()
        if text[:1] in "[(" and text[-1:] in "])":
            text = text[1:-1]
        if not text.strip():
            raise UsageError(f"{name} needs at least one number, e.g. {name}=0.1,0.7,0.2")
        pieces = [piece.strip() for piece in text.split(",")]
        if any(not piece for piece in pieces):
            raise UsageError(
                f"{name} has an empty item in {quoted(raw)}; separate numbers with commas"
            )
        return list(pieces)
    if isinstance(raw, list | tuple):
        if not raw:
            raise UsageError(f"{name} needs at least one number, e.g. {name}=0.1,0.7,0.2")
        return list(raw)
    return [raw]


MINUS = "\u2212"
"""The minus sign dlcards prints (`= −5`): read as `-`, so that a value copied from a result
can be given back."""


def _float(name: str, raw: object, in_list: bool = False, what: str = "") -> float:
    what = what or ("a list of numbers" if in_list else "a number")
    if isinstance(raw, bool) or not isinstance(raw, str | numbers.Real):
        raise UsageError(f"{name} must be {what} (got {_got(raw)})")
    try:
        x = (
            float(_ascii(name, raw).strip().replace(MINUS, "-"))
            if isinstance(raw, str)
            else float(raw)
        )
    except ValueError:
        raise UsageError(f"{name} must be {what} (got {_got(raw)})") from None
    except OverflowError:
        raise UsageError(f"{name} is too large for a float (got {_got(raw)})") from None
    if not math.isfinite(x):
        raise UsageError(f"{name} must be a finite number (got {_got(raw)})")
    if x == 0 and isinstance(raw, str) and any(c in "123456789" for c in raw.lower().split("e")[0]):
        raise UsageError(f"{name} is too small for a float: {raw.strip()} would be 0")
    return Given(x)  # written whole wherever a step shows it (`core.Given`)


def _int(name: str, raw: object, in_list: bool = False) -> int:
    what = "a list of whole numbers" if in_list else "a whole number"
    if isinstance(raw, bool):
        raise UsageError(f"{name} must be {what} (got {_got(raw)})")
    if isinstance(raw, numbers.Integral):
        return int(raw)
    if isinstance(raw, str):
        raw = _ascii(name, raw).replace(MINUS, "-")
        try:
            return int(raw.strip())
        except ValueError:
            pass
        exact = _whole_decimal(raw)  # 1e23 is 10**23, not int(float('1e23')) (...611,392)
        if exact is not None:
            return exact
    x = _float(name, raw, in_list, what)
    if not x.is_integer():
        raise UsageError(f"{name} must be {what} (got {_got(raw)})")
    return int(x)


def _ascii(name: str, raw: str) -> str:
    """`raw` as `numerals.ascii_number` reads it (the quiz's typed answers read it so too);
    a digit of another script is a UsageError."""
    from dlcards.numerals import DIGITS_LINE, NotAsciiDigits, ascii_number

    try:
        return ascii_number(raw)
    except NotAsciiDigits:
        raise UsageError(f"{name}: {_got(raw)} has digits other than 0-9; {DIGITS_LINE}") from None


def _whole_decimal(raw: str) -> int | None:
    """The whole number written in decimal notation (`1e23`, `2.5e3`, `100.0`), exactly; None
    for anything else, or beyond the largest float (the float parse then says what is wrong)."""
    from decimal import Decimal, InvalidOperation

    try:
        number = Decimal(raw.strip())
    except InvalidOperation:
        return None
    if not number.is_finite() or abs(number) > Decimal(sys.float_info.max):
        return None
    if number != number.to_integral_value():
        return None
    return int(number)


def _check(param: Param, x: float | int, index: int | None = None) -> None:
    check = param.check
    if check is None:
        return
    ok = {
        "probability": 0 <= x <= 1,
        "positive": x > 0,
        "nonnegative": x >= 0,
        "sign": x in (1, -1),
    }[check]
    if ok:
        return
    shown = plain(x)
    where = "" if index is None else f" at position {index}"
    name = param.name
    if check == "probability":
        message = f"{name} must be a probability in [0, 1] (got {shown}{where})"
    elif check == "positive" and param.kind in ("int", "ints"):
        message = f"{name} must be a positive integer (got {shown}{where})"
    elif check == "positive":
        message = f"{name} must be greater than 0 (got {shown}{where})"
    elif check == "nonnegative":
        message = f"{name} must be 0 or more (got {shown}{where})"
    else:
        message = f"{name} must be +1 or -1 (got {shown}{where})"
    raise UsageError(message)
