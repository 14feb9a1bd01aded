"""Activations and their derivatives, softmax, the vanishing-gradient product, gradient checking.

Numerically stable forms: sigmoid and its derivative go through e = exp(-|z|) so that no
exponential overflows; tanh' = 4e / (1 + e)^2 with e = exp(-2|z|); softmax subtracts the max.
ReLU's derivative at exactly 0 is taken as 0, as PyTorch does.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from functools import cache
from typing import TYPE_CHECKING

from dlcards.engine.core import (
    Computation,
    Outcome,
    Param,
    as_computed,
    bracketed,
    decimal,
    digits_apart,
    enough,
    fmt,
    fmt_exact,
    operand,
    plain,
    signed,
)
from dlcards.errors import UsageError

if TYPE_CHECKING:
    from decimal import Decimal

    import numpy as np


def _sigmoid(z: float) -> tuple[float, float]:
    """(σ(z), e) with e = exp(-|z|) in (0, 1], so nothing overflows."""
    import numpy as np

    e = float(np.exp(-abs(z)))
    return (1.0 / (1.0 + e) if z >= 0 else e / (1.0 + e)), e


def _sigmoid_prime(z: float) -> float:
    """σ'(z) = σ(z)(1 − σ(z)) = 1 / (4 cosh²(z/2)), exact even where σ(z) rounds to 1, and
    never above 0.25 (cosh ≥ 1; e/(1 + e)² rounds to 0.25000000000000006 at z = 10⁻⁹)."""
    if abs(z) > 700:  # cosh overflows: e/(1 + e)² with e = exp(−|z|), far below the top
        _, e = _sigmoid(z)
        return e / (1.0 + e) ** 2
    c = math.cosh(z / 2)
    return 0.25 / (c * c)


def _tanh_prime(z: float) -> float:
    """tanh'(z) = 1 − tanh²(z) = 1 / cosh²(z), never above 1 (cosh ≥ 1); past cosh's range
    4e / (1 + e)² with e = exp(−2|z|)."""
    if abs(z) > 350:
        e = math.exp(-2.0 * abs(z))
        return 4.0 * e / (1.0 + e) ** 2
    c = math.cosh(z)
    return 1.0 / (c * c)


def _softmax(logits: list[float]) -> list[float]:
    import numpy as np

    z = np.asarray(logits, dtype=np.float64)
    with np.errstate(over="ignore"):
        shifted = z - z.max()
    exps = np.exp(shifted)
    return [float(v) for v in exps / exps.sum()]


TANH_PRIME = "tanh'"


def _exp_text(x: float, factor: int = 1) -> str:
    """factor·e^x to 4 significant digits, also where the double underflows to 0 (e^(−800)
    is 3.668 × 10⁻³⁴⁸, e^(−10³⁰⁸) is 10^(−4.343 × 10³⁰⁷))."""
    value = factor * math.exp(x)
    if value > 0:
        return fmt(value)
    from decimal import Context, Decimal

    context = Context(prec=4)
    exact = context.multiply(factor, context.exp(Decimal(repr(x))))
    if exact == 0:  # past even Decimal's exponents: e^(−10³⁰⁸) as a power of ten
        return f"10^({fmt(x / math.log(10) + math.log10(factor))})"
    return fmt_exact(exact)  # the Decimal itself: as a Fraction, 10⁶ digits for e^(−2·10⁶)


def _underflow(name: str, z: float, g: float, scale: int = 1, factor: int = 1) -> str:
    """A slope that is 0 only in double precision, said so: σ'(−800) ≈ e^(−800), tanh'(800)
    ≈ 4e^(−1,600) (x = −scale·|z|)."""
    if g != 0:
        return ""
    x = -scale * abs(z)
    exponent = fmt(x) if math.isfinite(x) else f"−{scale}·{operand(abs(z))}"
    if not math.isfinite(x):  # 2·|z| past the largest double: its power of ten directly
        value = f"10^({fmt(-scale * (abs(z) / math.log(10)) + math.log10(factor))})"
    else:
        value = _exp_text(x, factor)
    approx = f"{factor}e^{bracketed(exponent)}" if factor != 1 else f"e^{bracketed(exponent)}"
    return (
        f" in double precision: {name}({fmt(z)}) ≈ {approx} = {value}, below the smallest "
        "double, but not 0"
    )


def _strictly_inside(s: float, z: float) -> str:
    """σ(z) as a step ends: σ is strictly between 0 and 1 (mlp-6), so a value the display
    rounds to 1 is written with the digits that keep it below (σ(10) = 0.99995, which rounds
    to 1), and one that is 0 or 1 only in double precision says so."""
    if s == 1.0:
        return (
            f"1 in double precision: σ({fmt(z)}) falls short of 1 by about e^{operand(-z)} = "
            f"{_exp_text(-z)}, less than the spacing of doubles below 1 (1.1 × 10⁻¹⁶)"
        )
    if s == 0.0:
        return (
            f"0 in double precision: σ({fmt(z)}) ≈ e^{operand(z)} = {_exp_text(z)} is below the "
            "smallest double"
        )
    if fmt(s) == "1":
        digits = next(d for d in range(5, 18) if fmt(s, d) != "1")
        return f"{fmt(s, digits)}, which rounds to 1"
    return fmt(s)


def sigmoid(z: float) -> Outcome:
    s, e = _sigmoid(z)
    if z >= 0:
        step = (
            f"σ({fmt(z)}) = 1 / (1 + e^{operand(-z)}) = 1 / (1 + {fmt(e)}) "
            f"= {_strictly_inside(s, z)}"
        )
    elif -z < 709:  # e^(−z) is a double: the card's own formula (mlp-6: 1 / (1 + e^1.75))
        big = math.exp(-z)
        (shown,) = enough([big], lambda v: 1 / (1 + v), s) or [fmt(big, 17)]
        step = (
            f"σ({fmt(z)}) = 1 / (1 + e^{operand(-z)}) = 1 / (1 + {shown}) "
            f"= {_strictly_inside(s, z)}"
        )
    else:  # e^(−z) overflows: the same value as e^z / (1 + e^z)
        step = (
            f"σ({fmt(z)}) = e^{operand(z)} / (1 + e^{operand(z)}) = {bracketed(_exp_text(z))} / "
            f"{operand(1 + e)} "
            f"= {_strictly_inside(s, z)}"
        )
    return s, [step]


def _near_one(v: float, difference: str) -> str:
    """Why `difference` (1 − σ, 1 − tanh²) cannot be worked from v: v is ±1 in double
    precision, or so near it that the difference keeps too few digits (σ(30) is
    0.9999999999999065, not 1)."""
    if abs(v) == 1:
        return f"rounds to {fmt(v)} in double precision"
    digits = next(d for d in range(15, 18) if float(f"{v:.{d}g}") == v)  # as repr writes it
    return (
        f"is {fmt(v, digits)} in double precision, too near {fmt(math.copysign(1.0, v))} "
        f"for {difference} to keep its digits"
    )


def sigmoid_grad(z: float) -> Outcome:
    s, e = _sigmoid(z)
    g = _sigmoid_prime(z)
    shown = enough([s], lambda v: v * (1 - v), g)
    lost = _underflow("σ'", z, g)
    if shown is not None:
        (written,) = shown
        sigma = _strictly_inside(s, z) if s in (0.0, 1.0) else written
        steps = [
            f"σ({fmt(z)}) = {sigma}",
            f"σ'({fmt(z)}) = σ·(1 − σ) = {bracketed(written)}·(1 − {written}) = {fmt(g)}{lost}",
        ]
    else:  # σ is 1 in double precision, or too near it: the product of e = exp(−|z|) instead
        steps = [
            f"σ({fmt(z)}) {_near_one(s, '1 − σ')}, so σ·(1 − σ) is taken as "
            f"e/(1 + e)² with e = exp(−|z|) = {fmt(e)}",
            f"σ'({fmt(z)}) = {operand(e)}/(1 + {fmt(e)})² = {fmt(g)}{lost}",
        ]
    steps.append(
        "z = 0 gives the largest value σ' can take: 0.25"
        if z == 0
        else "σ' is at most 0.25 (at z = 0): through its activation, each sigmoid layer "
        "multiplies the gradient by at most 0.25 (the weights aside)"
    )
    return g, steps


def tanh_grad(z: float) -> Outcome:
    import numpy as np

    t = float(np.tanh(z))
    g = _tanh_prime(z)
    shown = enough([t], lambda v: 1 - v * v, g)
    if shown is None:  # tanh is ±1 in double precision: 4e/(1 + e)² with e = exp(−2|z|)
        e = float(np.exp(-2.0 * abs(z)))
        return g, [
            f"tanh({fmt(z)}) {_near_one(t, '1 − tanh²')}, so 1 − tanh² is taken as "
            f"4e/(1 + e)² with e = exp(−2|z|) = {fmt(e)}",
            f"tanh'({fmt(z)}) = 4·{operand(e)}/(1 + {fmt(e)})² = {fmt(g)}"
            f"{_underflow(TANH_PRIME, z, g, 2, 4)}",
        ]
    (written,) = shown
    exact = " in double precision (|tanh z| < 1 for every finite z)" if abs(t) == 1 else ""
    return g, [
        f"tanh({fmt(z)}) = {written}{exact}",
        f"tanh'({fmt(z)}) = 1 − tanh² = 1 − {bracketed(written)}² = {fmt(g)}"
        f"{_underflow(TANH_PRIME, z, g, 2, 4)}",
    ]


def relu(z: float) -> Outcome:
    r = z if z > 0 else 0.0
    return r, [f"relu({fmt(z)}) = max(0, {fmt(z)}) = {fmt(r)}"]


def relu_grad(z: float) -> Outcome:
    g = 1.0 if z > 0 else 0.0
    if z > 0:
        why = f"{fmt(z)} > 0: the unit is active, slope 1"
    elif z < 0:
        why = (
            f"{fmt(z)} < 0: the unit is off for this input, slope 0 (it is 'dead' only if "
            "z ≤ 0 for every training input)"
        )
    else:
        why = "z = 0 is the kink: relu is not differentiable there; 0 by convention (as PyTorch)"
    return g, [why, f"relu'({fmt(z)}) = {fmt(g)}"]


def softmax(logits: list[float]) -> Outcome:
    import numpy as np

    z = np.asarray(logits, dtype=np.float64)
    top = float(z.max())
    with np.errstate(over="ignore"):
        shifted = [float(v) for v in z - top]
    exps = [float(v) for v in np.exp(shifted)]
    total = float(sum(exps))
    probs = _softmax(logits)
    # the differences exactly: −10³⁰⁸ − 10³⁰⁸ is −2 × 10³⁰⁸, which the double makes −∞
    differences = ", ".join(fmt_exact(decimal(v) - decimal(top)) for v in logits)
    steps = [
        f"subtract the max {fmt(top)} (for stability): z − max = [{differences}]",
        f"exp: {fmt(exps)}",
        f"sum = {fmt(total)}",
        f"softmax = exp / sum = {fmt(probs)} (sums to {fmt(float(np.sum(probs)))})",
    ]
    if len(probs) > 1 and any(fmt(p) in ("0", "1") for p in probs):
        # every e^(zᵢ − max) of a finite logit is positive: no probability is 0 or 1
        how = (
            "of the display, or of double precision, where e^x is 0 for x below about −745"
            if 0.0 in exps
            else "of the display"
        )
        steps.append(
            "every probability is strictly between 0 and 1 (each e^(zᵢ − max) > 0): a 1 or 0 "
            f"above is a rounding ({how})"
        )
    return probs, steps


def softmax_shift(logits: list[float], c: float) -> Outcome:
    import numpy as np

    z = np.asarray(logits, dtype=np.float64)
    with np.errstate(over="ignore"):
        moved = z + c
    if not np.all(np.isfinite(moved)):
        raise UsageError(f"logits + c overflows a float (c = {plain(c)}); use a smaller c")
    before = _softmax(logits)  # with the max subtracted
    # the shifted one as written, exp(z + c) / ∑ exp(z + c), where no exp overflows or
    # underflows that the max's subtraction would have kept: the two are computed differently,
    # so their agreement is a finding. An exp below the smallest normal double (about
    # 2.2 × 10⁻³⁰⁸) keeps few digits or none: exp(−744) : exp(−743) is 2 : 4 units of the
    # last subnormal, so exp / ∑ gave [1/3, 2/3] for softmax([1, 2]) shifted by −745.
    with np.errstate(over="ignore", under="ignore"):
        exps = np.exp(moved)
        kept = np.exp(moved - moved.max()) >= np.finfo(np.float64).tiny  # normal when stable
    lost = ~np.isfinite(exps) | ((exps < np.finfo(np.float64).tiny) & kept)
    naive = not bool(np.any(lost))
    after = [float(v) for v in exps / exps.sum()] if naive else _softmax(list(map(float, moved)))
    measured = float(np.max(np.abs(np.subtract(before, after))))
    # Exactly, the difference is 0. The doubles differ from it by rounding in their last bits
    # (softmax([1, 2, 3]) shifted by 100: 1.388 × 10⁻¹⁷, which the steps called the difference
    # and said cancels), and by more only where z + c cannot hold z's digits (10¹⁷ + 3 is 10¹⁷).
    noise = measured <= _ROUNDING
    diff = 0.0 if noise else measured
    shown = fmt([float(v) for v in moved])
    steps = [
        f"softmax(z) = {fmt(before)} (the max subtracted first)",
        f"softmax(z {signed(c)}) = exp({shown}) / ∑ exp(…) = {fmt(after)}"
        if naive
        else f"softmax(z {signed(c)}) = softmax({shown}) = {fmt(after)}",
        "max |difference| = 0: adding c multiplies every exp by e^c, which cancels"
        + (
            f" (in double precision the two differ by {fmt(measured)}, rounding in the last "
            "bits of the doubles)"
            if measured
            else ""
        )
        if noise
        else f"max |difference| = {fmt(diff)}",
    ]
    if not naive:
        steps.append(_unstable(exps, lost))
    if not noise:
        back = [digits_apart(float(v), zi) for v, zi in zip(moved - c, logits, strict=True)]
        steps.append(
            f"adding c = {fmt(c)} rounds the logits in double precision (z + c − c is "
            f"[{', '.join(back)}], not z): the difference comes from that rounding, not from "
            "softmax"
        )
    return diff, steps


_ROUNDING = 1024 * 2.0**-52  # 2.3 × 10⁻¹³: what rounding leaves of softmax's probabilities


def _unstable(exps: np.ndarray, lost: np.ndarray) -> str:
    """What goes wrong with exp(z + c) / ∑ exp(z + c) when the max is not subtracted: the
    exps that overflow, or that underflow below the normal doubles (which subtracting the max
    would have kept), and what the quotient gives when it gives numbers."""
    import numpy as np

    over = ~np.isfinite(exps)
    bad = int(np.sum(over)) or int(np.sum(lost))
    which = "every exp(z + c)" if bad == len(exps) else f"{bad} of the {len(exps)} exp(z + c)"
    one = bad == len(exps) or bad == 1
    if np.any(over):
        what = f"{'overflows' if one else 'overflow'} to ∞"
    elif not np.any(exps):
        what = f"{'underflows' if one else 'underflow'} to 0"
    else:
        what = (
            f"{'falls' if one else 'fall'} below the smallest normal double (about "
            "2.2 × 10⁻³⁰⁸), where floats lose digits, and exp / ∑ exp gives "
            f"{fmt([float(v) for v in exps / exps.sum()])}"
        )
    return (
        f"without subtracting the max, {which} here {what}: that is why softmax subtracts the max"
    )


def _decimal_product(factors: list[float]) -> Decimal:
    """The product of the factors as the learner reads them (their shortest decimals: 0.1 is
    1/10), to 40 significant digits with an exponent that never over- or underflows: no
    partial product leaves the range unless the whole one does (np.prod of [10²⁰⁰, 10²⁰⁰,
    10⁻³⁰⁰] was ∞, of [10⁻²⁰⁰, 10⁻²⁰⁰, 10³⁰⁰] 0; both are 10¹⁰⁰ or 10⁻¹⁰⁰), and a float
    made of it is rounded once: 0.1 × (−0.1) × 0.7 is −0.007, not −0.007000000000000001."""
    from decimal import MAX_EMAX, MIN_EMIN, Context, Decimal

    context = Context(prec=40, Emin=MIN_EMIN, Emax=MAX_EMAX)
    product = Decimal(1)
    for factor in factors:
        product = context.multiply(product, Decimal(repr(float(factor))))
    return product


def chain_product(factors: list[float]) -> Outcome:
    exact = _decimal_product(factors)
    product = float(exact)  # 0 or ±∞ past the doubles (run says ∞ is too large)
    steps = [
        f"chain rule: multiply the local derivatives {' × '.join(operand(f) for f in factors)}"
    ]
    # the value, or where the double rounds it to 0 (10⁻²⁰⁰ × 10⁻²⁰⁰, or 0.5 multiplied
    # 30,000 times), its value and that it is 0 there
    steps.append(f"= {as_computed(product, exact)}")
    if all(abs(f) < 1 for f in factors) and len(factors) > 1:
        steps.append("every factor is below 1 in size: the product shrinks (vanishing gradient)")
    elif all(abs(f) > 1 for f in factors) and len(factors) > 1:
        steps.append("every factor is above 1 in size: the product grows (exploding gradient)")
    return product, steps


def activation_grad(activation: str, z: float) -> Outcome:
    """The slope of the named activation at z: σ', tanh' or relu' (one question, three units)."""
    grad = {"sigmoid": sigmoid_grad, "tanh": tanh_grad, "relu": relu_grad}[activation]
    return grad(z)


_SLOPES: dict[str, tuple[str, Callable[[float], float]]] = {
    "sigmoid": ("σ'", lambda z: _sigmoid_prime(z)),
    "tanh": ("tanh'", lambda z: _tanh_prime(z)),
    "relu": ("relu'", lambda z: 1.0 if z > 0 else 0.0),
}
_GRID = 10.0, 0.01  # max_slope's grid: z from −10 to 10 in steps of 0.01 (0 among them)


@cache
def _largest_slope(activation: str) -> tuple[float, float, str]:
    """The largest slope of the activation over _GRID, where it is first reached, and the
    step that says so: computed from the slope itself, not stated."""
    name, slope = _SLOPES[activation]
    reach, step = _GRID
    n = round(reach / step)
    best, _, k = max((slope(k * step), -abs(k), k) for k in range(-n, n + 1))  # nearest 0
    z = k * step
    where = f"at z = {fmt(z)}" if activation != "relu" else "at every z > 0 of the grid"
    text = (
        f"max of {name}(z) over z from −{fmt(reach)} to {fmt(reach)} in steps of {fmt(step)}: "
        f"{fmt(best)}, {where}{_WHY_LARGEST[activation]}"
    )
    return best, z, text


# why no z, on the grid or off it, gives more: what a teacher writes next to the search
_WHY_LARGEST: dict[str, str] = {
    "sigmoid": " (for every z, σ' = σ(1 − σ) = ¼ − (σ − ½)² ≤ ¼, equal where σ = ½)",
    "tanh": " (for every z, tanh' = 1 − tanh² ≤ 1, equal where tanh = 0)",
    "relu": " (relu' is 1 for every z > 0 and 0 for every z < 0)",
}


def max_slope(activation: str) -> Outcome:
    best, _, text = _largest_slope(activation)
    return best, [text, _VANISHING_NOTE[activation]]


_VANISHING_NOTE: dict[str, str] = {
    "sigmoid": "through its activation, each sigmoid layer multiplies the gradient by at most "
    "0.25 (the weights multiply it too, left aside here): it vanishes",
    "tanh": "1 only if every pre-activation is exactly 0; elsewhere tanh' < 1 and it still shrinks",
    "relu": "active ReLUs pass the gradient unchanged; an inactive one (z ≤ 0) passes 0",
}


def vanishing_product(layers: int, activation: str) -> Outcome:
    slope, _, how = _largest_slope(activation)
    product = slope**layers
    power = f"{operand(slope)}^{operand(layers)}"
    if product == 0 and slope > 0:  # below the smallest double: said as a power of ten
        exponent = layers * math.log10(slope)
        said = f"{power} = 10^({fmt(exponent)}), below the smallest double (about 10⁻³²⁴)"
    else:
        said = f"{power} = {fmt(product)}"
    return product, [
        how,
        f"best case over {fmt(layers)} layer{'s' * (layers != 1)}: {said}",
        _VANISHING_NOTE[activation],
    ]


def _fn(name: str) -> tuple[Callable[[float], float], Callable[[float], float], str]:
    """(f, f', text of f') for gradient_check."""
    import numpy as np

    table: dict[str, tuple[Callable[[float], float], Callable[[float], float], str]] = {
        "sigmoid": (lambda x: _sigmoid(x)[0], _sigmoid_prime, "σ(x)(1 − σ(x))"),
        "tanh": (lambda x: float(np.tanh(x)), _tanh_prime, "1 − tanh²(x)"),
        "relu": (lambda x: max(x, 0.0), lambda x: 1.0 if x > 0 else 0.0, "1 if x > 0 else 0"),
        "square": (lambda x: x * x, lambda x: 2.0 * x, "2x"),
        "cube": (lambda x: x * x * x, lambda x: 3.0 * x * x, "3x²"),
        "exp": (lambda x: float(np.exp(x)), lambda x: float(np.exp(x)), "eˣ"),
        "sin": (lambda x: float(np.sin(x)), lambda x: float(np.cos(x)), "cos(x)"),
    }
    return table[name]


_FORMULA = {
    "sigmoid": "σ(x)",
    "tanh": "tanh(x)",
    "relu": "max(0, x)",
    "square": "x²",
    "cube": "x³",
    "exp": "eˣ",
    "sin": "sin(x)",
}
"""How the steps name each function of gradient_check: as a card or quiz writes it
("f(x) = x³"), not by the option's value ("cube"), which a quiz's learner never typed."""


GRADIENT_CHECK_FUNCTIONS = ("sigmoid", "tanh", "relu", "square", "cube", "exp", "sin")


_CUBE_ROOT_EPS = 6e-6  # ε^(1/3) for doubles: the h at which rounding and h² errors meet


def _difference_caveat(function: str, x: float, h: float) -> str | None:
    """What keeps the central difference at x from the derivative there beyond its h² error:
    relu's kink inside [x − h, x + h], or an h so small that rounding decides (x ± h rounds to
    x; or rounding error, about ε·|f|/h, outweighs the h² one by far). None for neither."""
    if function == "relu" and x - h < 0 < x + h or function == "relu" and x == 0:
        return (
            f"f(x) = max(0, x) has a kink at 0 inside [x − h, x + h] = [{_point(x - h, x, h)}, "
            f"{_point(x + h, x, h)}]: the "
            "difference averages the slopes of its two sides (0 and 1) and is not f' there"
        )
    if x + h == x or x - h == x:
        return (
            f"h = {fmt(h)} is below the spacing of floats at x = {fmt(x)} (x ± h rounds to x): "
            "the difference measures rounding, not f'; use h ≈ 10⁻⁵·max(1, |x|)"
        )
    if h < 1e-3 * _CUBE_ROOT_EPS * max(1.0, abs(x)):
        return (
            f"h = {fmt(h)} is so small that rounding error, about ε·|f(x)|/h, outweighs the "
            "difference's h² error: below h ≈ ε^(1/3) ≈ 6 × 10⁻⁶ (times |x| for a large x) a "
            "smaller h makes it worse"
        )
    return None


def gradient_check(function: str, x: float, h: float) -> Outcome:
    f, fprime, text = _fn(function)
    plus, minus = f(x + h), f(x - h)
    numeric = (plus - minus) / 2.0 / h  # not / (2h): 2h is ∞ for h = 10³⁰⁸, the quotient not
    analytic = fprime(x)
    if not all(math.isfinite(v) for v in (plus, minus, numeric, analytic)):
        raise UsageError(f"{function} overflows a float near x = {plain(x)}; use a smaller x")
    scale = max(abs(numeric), abs(analytic))
    rel = abs(analytic - numeric) / scale if scale > 0 else 0.0
    caveat = _difference_caveat(function, x, h)
    if caveat is not None and rel >= 1e-7:  # not the backprop gradient: the difference
        verdict = f"{caveat}; a check there says nothing about the gradient"
    elif rel < 1e-7:
        verdict = "below 10⁻⁷: the two agree, as they do for a correct gradient"
    elif h > 1e-3:
        verdict = (
            f"h = {fmt(h)} is large: the central difference itself is off by about h², which "
            "alone makes this error though f' is exact; gradient checks use h ≈ 10⁻⁵"
        )
    elif scale < 1e-6:
        verdict = (
            "both derivatives are nearly 0 here, so the relative error divides by almost "
            "nothing; compare them directly"
        )
    elif rel < 1e-4:
        verdict = "between 10⁻⁷ and 10⁻⁴: suspicious unless near a kink; try another h"
    else:
        verdict = "above 10⁻⁴: in a real check, a sign that the backprop gradient is wrong"
    return rel, [
        f"numeric: (f(x + h) − f(x − h)) / 2h = ({fmt(plus, 10)} − {operand(minus, 10)}) / "
        f"{_twice(h)} = {fmt(numeric)}",
        f"analytic: f'({fmt(x)}) = {text} = {fmt(analytic)} (f(x) = {_FORMULA[function]})",
        _relative_error_step(analytic, numeric, rel),
        verdict,
    ]


def _relative_error_step(analytic: float, numeric: float, rel: float) -> str:
    """`relative error = |a − n| / max(|a|, |n|) = |0.75 − 0.76| / 0.76 = 0.01316`: a and n
    with the digits that give the result shown (σ'(0.5) and its central difference agree to
    12 digits, and 4 would show |0.235 − 0.235|)."""
    formula = "relative error = |a − n| / max(|a|, |n|)"
    if analytic == numeric == 0:
        return f"{formula} = 0: both are 0"

    def relative(a: float, n: float) -> float:
        return abs(a - n) / max(abs(a), abs(n))

    a_text, n_text = enough([analytic, numeric], relative, rel) or [
        fmt(analytic, 17),
        fmt(numeric, 17),
    ]
    size = (a_text if abs(analytic) >= abs(numeric) else n_text).removeprefix("−")
    return f"{formula} = |{a_text} − {bracketed(n_text)}| / {bracketed(size)} = {fmt(rel)}"


def _point(at: float, x: float, h: float) -> str:
    """x + h or x − h (`at`) with the digits that tell it from x: `fmt`'s usual four decimals
    printed x = 1.5, h = 10⁻⁵ as f(1.5) = 3.3750675 and f(1.5) = 3.3749325. As many
    significant digits as the step asks for (at least the usual), up to a double's 17."""
    if at == x:  # h too small to move x at all (the caveat says so)
        return fmt(at)
    digits = max(4, math.ceil(math.log10(max(abs(x), abs(at)) / abs(h))) + 2) if h else 4
    text = fmt(at, min(digits, 17))
    return text if text != fmt(x, min(digits, 17)) else fmt(at, 17)


def _twice(h: float) -> str:
    """2h as a divisor: `0.2`, or `(2 × 10⁻⁵)` so that the whole product divides; exactly:
    2 × 10³⁰⁸ for h = 10³⁰⁸, which the double makes ∞."""
    return bracketed(fmt_exact(2 * decimal(h)))


def central_difference(function: str, x: float, h: float) -> Outcome:
    f, fprime, text = _fn(function)
    plus, minus = f(x + h), f(x - h)
    numeric = (plus - minus) / 2.0 / h  # not / (2h): 2h is ∞ for h = 10³⁰⁸, the quotient not
    if not all(math.isfinite(v) for v in (plus, minus, numeric)):
        raise UsageError(f"{function} overflows a float near x = {plain(x)}; use a smaller x")
    analytic = fprime(x)
    return numeric, [
        f"f(x + h) = f({_point(x + h, x, h)}) = {fmt(plus, 10)}; "
        f"f(x − h) = f({_point(x - h, x, h)}) = {fmt(minus, 10)}",
        f"(f(x + h) − f(x − h)) / 2h = ({fmt(plus, 10)} − {operand(minus, 10)}) / {_twice(h)} "
        f"= {fmt(numeric)}",
        f"the exact derivative of f(x) = {_FORMULA[function]}: f'({fmt(x)}) = {text} "
        f"= {fmt(analytic)}",
        _difference_caveat(function, x, h)
        or "for a smooth f the central difference's error falls like h² as h shrinks, until "
        "rounding error (about ε·|f|/h) takes over below h ≈ ε^(1/3) ≈ 6 × 10⁻⁶",
    ]


COMPUTATIONS: tuple[Computation, ...] = (
    Computation(
        "sigmoid",
        (Param("z", "float"),),
        "σ(z) = 1 / (1 + e^(−z))",
        "squash a logit into a probability in (0, 1)",
        sigmoid,
    ),
    Computation(
        "sigmoid_grad",
        (Param("z", "float"),),
        "σ'(z) = σ(z)·(1 − σ(z)), at most 0.25",
        "slope of the sigmoid; small everywhere, which is why deep sigmoid nets vanish",
        sigmoid_grad,
    ),
    Computation(
        "tanh_grad",
        (Param("z", "float"),),
        "tanh'(z) = 1 − tanh²(z), at most 1",
        "slope of tanh",
        tanh_grad,
    ),
    Computation(
        "activation_grad",
        (
            Param("activation", "choice", choices=("sigmoid", "tanh", "relu")),
            Param("z", "float"),
        ),
        "σ'(z) = σ(1 − σ), tanh'(z) = 1 − tanh², relu'(z) = 1 if z > 0 else 0",
        "slope of the named activation at z (the factor it puts in the chain rule)",
        activation_grad,
    ),
    Computation(
        "relu",
        (Param("z", "float"),),
        "relu(z) = max(0, z)",
        "rectified linear unit",
        relu,
    ),
    Computation(
        "relu_grad",
        (Param("z", "float"),),
        "relu'(z) = 1 for z > 0, 0 otherwise (0 at the kink)",
        "slope of ReLU: 1 or 0, so it neither shrinks nor grows an active path",
        relu_grad,
    ),
    Computation(
        "softmax",
        (Param("logits", "floats"),),
        "softmax(z)ᵢ = e^(zᵢ − max z) / ∑ⱼ e^(zⱼ − max z)",
        "turn logits into a probability distribution (max subtracted for stability)",
        softmax,
    ),
    Computation(
        "softmax_shift",
        (Param("logits", "floats"), Param("c", "float")),
        "softmax(z + c) = softmax(z); value = max |difference|",
        "shift invariance: adding a constant to every logit changes nothing",
        softmax_shift,
    ),
    Computation(
        "chain_product",
        (Param("factors", "floats"),),
        "∂L/∂w = ∏ of the local derivatives along the path",
        "the chain rule as a product: shrinks if the factors are < 1, grows if > 1",
        chain_product,
    ),
    Computation(
        "max_slope",
        (Param("activation", "choice", choices=("sigmoid", "tanh", "relu")),),
        "max over z of f'(z): 0.25 for sigmoid (at 0), 1 for tanh (at 0) and relu (z > 0)",
        "the largest slope an activation passes back, found on a grid of z",
        max_slope,
    ),
    Computation(
        "vanishing_product",
        (
            Param("layers", "int", check="positive"),
            Param("activation", "choice", choices=("sigmoid", "tanh", "relu")),
        ),
        "(max f')^layers: 0.25^L for sigmoid, 1 for tanh and relu",
        "largest possible product of activation slopes through L layers (chain rule)",
        vanishing_product,
    ),
    Computation(
        "gradient_check",
        (
            Param("function", "choice", choices=GRADIENT_CHECK_FUNCTIONS),
            Param("x", "float"),
            Param("h", "float", default=1e-5, check="positive"),
        ),
        "|f'(x) − (f(x+h) − f(x−h))/2h| / max(|·|, |·|)",
        "relative error between the analytic derivative and a central difference",
        gradient_check,
    ),
    Computation(
        "central_difference",
        (
            Param("function", "choice", choices=GRADIENT_CHECK_FUNCTIONS),
            Param("x", "float"),
            Param("h", "float", default=1e-5, check="positive"),
        ),
        "f'(x) ≈ (f(x + h) − f(x − h)) / 2h",
        "the numerical derivative that gradient checking compares with backprop's",
        central_difference,
    ),
)
