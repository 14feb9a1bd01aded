"""The math engine: pure NumPy computations behind `dlcards calc`, looked up by name.

    >>> from dlcards import engine
    >>> engine.run("huber", {"error": "100", "delta": 1}).value
    99.5

`REGISTRY` maps names to `Computation`s; `get(name)` finds one (or raises UsageError with a
suggestion); `run(name, args)` parses and checks the arguments, fills defaults and returns a
`Result` with the value and worked steps. Importing this package does not import numpy; running
a computation does.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping

from dlcards.engine import activations, losses, perceptron, training
from dlcards.engine.core import (
    ArgValue,
    Check,
    Computation,
    Given,
    Kind,
    Outcome,
    Param,
    Result,
    Value,
    display_value,
    fmt,
    plain,
)
from dlcards.engine.params import bind, normalize, parse_value
from dlcards.errors import UsageError, quoted
from dlcards.suggest import did_you_mean

__all__ = [
    "REGISTRY",
    "ArgValue",
    "Check",
    "Computation",
    "Given",
    "Kind",
    "Outcome",
    "Param",
    "Result",
    "Value",
    "display_value",
    "fmt",
    "get",
    "parse_value",
    "plain",
    "run",
]

REGISTRY: dict[str, Computation] = {
    comp.name: comp
    for module in (activations, losses, training, perceptron)
    for comp in module.COMPUTATIONS
}


def get(name: str) -> Computation:
    """The computation called `name` (case and `-`/`_` ignored), or a UsageError that suggests."""
    key = normalize(name)
    if key in REGISTRY:
        return REGISTRY[key]
    hint = did_you_mean(key, REGISTRY)
    raise UsageError(f"unknown computation {quoted(name)}{hint}; see `dlcards calc --list`")


def run(name: str, args: Mapping[str, object], symbols: Mapping[str, str] | None = None) -> Result:
    """Run computation `name` on `args` (numbers, lists, or command-line text); `symbols`
    names the symbols its steps write in a card's own notation (`Computation.symbols`).

    Raises UsageError (one line) for an unknown computation or parameter, a missing one, a value
    that is not a number or is out of range, or a result too large for a float.
    """
    comp = get(name)
    bound = bind(comp, args)
    extra: dict[str, Mapping[str, str]] = {}
    if symbols:
        unknown = sorted(set(symbols) - set(comp.symbols))
        if unknown:
            known = ", ".join(comp.symbols) or "none"
            raise UsageError(
                f"{comp.name}: its steps have no symbol {quoted(unknown[0])} to rename "
                f"(symbols: {known})"
            )
        extra["names"] = dict(symbols)
    try:
        # NumPy's floating-point warnings (overflow to ∞ and the like) are silenced here and
        # the result is checked below. Catching the warnings rather than entering np.errstate
        # keeps numpy unimported for the computations that are plain Python (update counts,
        # losses of one number), so `dlcards show` on such a math card stays quick.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            value, steps = comp.func(**bound, **extra)
    except OverflowError:
        raise UsageError(f"{comp.name}: the result is too large for a float") from None
    if not _finite(value):
        raise UsageError(f"{comp.name}: the result is too large for a float ({fmt(value)})")
    return Result(name=comp.name, args=bound, value=value, steps=tuple(steps))


def _finite(value: Value) -> bool:
    if isinstance(value, float):
        return math.isfinite(value)
    if isinstance(value, list):
        return all(math.isfinite(v) for v in value)
    if isinstance(value, dict):
        return all(math.isfinite(v) for v in value.values())
    return True
