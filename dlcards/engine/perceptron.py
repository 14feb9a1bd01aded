"""The perceptron: weighted sum, margin (functional and geometric), loss and subgradient, one
update, training on AND / OR / XOR, and the hinge loss it led to.

Labels are ±1. A point counts as misclassified when y·(w·x + b) ≤ 0: a point exactly on the
boundary is a mistake for the update rule (otherwise zero-initialised weights would never move),
while its loss max(0, −y(w·x + b)) is 0. A correctly classified point leaves w unchanged.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from dlcards.engine.core import (
    NO_NAMES,
    Computation,
    Names,
    Outcome,
    Param,
    as_computed,
    bracketed,
    decimal,
    digits_apart,
    enough,
    fmt,
    fmt_exact,
    named,
    operand,
    rounded,
    signed,
    signed_exact,
)
from dlcards.errors import UsageError, quoted

if TYPE_CHECKING:
    from fractions import Fraction

# Inputs of the boolean datasets in the order training visits them, and each one's ±1 labels.
INPUTS: tuple[tuple[int, int], ...] = ((0, 0), (0, 1), (1, 0), (1, 1))
LABELS: dict[str, tuple[int, int, int, int]] = {
    "and": (-1, -1, -1, 1),
    "or": (-1, 1, 1, 1),
    "xor": (-1, 1, 1, -1),
}

_SHOWN_EPOCHS = 10  # perceptron_train shows this many epoch lines at most (first ones, then last)


def _same_length(a: str, av: list[float], b: str, bv: list[float]) -> None:
    if len(av) != len(bv):
        raise UsageError(f"{a} and {b} must have the same length (got {len(av)} and {len(bv)})")


def _exact_dot(w: list[float], x: list[float], b: float = 0.0) -> Fraction:
    """w·x + b exactly: the sum of the exact products of the decimals shown (`core.decimal`).
    The perceptron's decisions turn on its sign, which is taken from this, not from a float:
    a float dot product can make a margin that is exactly 0 a tiny positive number ([97, a]·
    [a, −97] is 0, and so is [0.3, −0.1]·[1, 3]; in binary, 2.8 × 10⁻¹⁷), and rounding can
    make a tiny positive one 0 ([10⁻²⁰⁰]·[10⁻²⁰⁰] is 10⁻⁴⁰⁰, a point on its correct side)."""
    return sum((decimal(a) * decimal(c) for a, c in zip(w, x, strict=True)), decimal(b))


def _dot(w: list[float], x: list[float], b: float = 0.0) -> float:
    """w·x + b as shown: the exact value (`_exact_dot`) rounded once."""
    return rounded(_exact_dot(w, x, b))


def _terms(w: list[float], x: list[float]) -> str:
    return " + ".join(f"{operand(wi)}·{operand(xi)}" for wi, xi in zip(w, x, strict=True))


def _sum_text(values: list[float]) -> str:
    """`2 − 3 + 0.5`: the terms of a sum, a negative one written as a subtraction."""
    return " ".join([fmt(values[0]), *(signed(v) for v in values[1:])])


WRITTEN_OUT = 3
"""The most terms a sum whose card numbers them (`symbols: {i: 1}`) writes out one by one
(`W₁P₁ + W₂P₂ + W₃P₃`); a longer one is written `∑ Wᵢ·Pᵢ`."""

_SUBSCRIPT = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")


def sum_of_products(sw: str, sp: str, count: int, first: str | None) -> str:
    """`∑ wᵢ·pᵢ`, the sum of `count` products of `sw` and `sp`; written out term by term from
    index `first` (`W₁P₁ + W₂P₂`, as a card's question writes them) when the card gives its
    first index and there are at most WRITTEN_OUT terms. Two one-letter symbols are written
    side by side as the card writes them (`W₁P₁`); longer ones with `·` between."""
    if first is not None and not (first.isdecimal() and first.isascii()):
        raise UsageError(
            f"weighted_sum: its symbol i is the first index, a whole number such as 0 or 1, "
            f"not {quoted(first)}"
        )
    if first is None or count > WRITTEN_OUT:
        return f"∑ {sw}ᵢ·{sp}ᵢ"
    times = "" if len(sw) == 1 and len(sp) == 1 else "·"
    indexes = [str(int(first) + k).translate(_SUBSCRIPT) for k in range(count)]
    return " + ".join(f"{sw}{i}{times}{sp}{i}" for i in indexes)


def weighted_sum(p: list[float], w: list[float], b: float, names: Names = NO_NAMES) -> Outcome:
    sz, sw, sp, sb = named(names, "z", "w", "p", "b")
    _same_length("p", p, "w", w)
    terms = sum_of_products(sw, sp, len(w), names.get("i"))
    # each product exactly: 10⁻²⁰⁰·10⁻²⁰⁰ is 10⁻⁴⁰⁰, not 0, and 3·(−10³⁰⁸) not −∞
    products = [decimal(wi) * decimal(pi) for wi, pi in zip(w, p, strict=True)]
    z = _dot(w, p, b)
    exact = sum(products, decimal(b))
    shown = " ".join([fmt_exact(products[0]), *(signed_exact(q) for q in products[1:])])
    if b == 0:  # no bias, or one folded into w (the bias trick): no "+ b" that reads as 0
        return z, [f"{sz} = {terms} = {_terms(w, p)}", f"= {shown} = {as_computed(z, exact)}"]
    return z, [
        f"{sz} = {terms} + {sb} = {_terms(w, p)} {signed(b)}",
        f"= {shown} {signed(b)} = {as_computed(z, exact)}",
    ]


def _affine(w: list[float], b: float, x: list[float]) -> tuple[Fraction, str]:
    """w·x + b exactly, and the step that shows it with the numbers put in."""
    _same_length("w", w, "x", x)
    exact = _exact_dot(w, x, b)
    return exact, f"w·x + b = {_affine_text(w, b, x)} = {fmt_exact(exact)}"


def _affine_text(w: list[float], b: float, x: list[float]) -> str:
    """`(−2)·2 + (−1.5)·2 − 0.5 = −4 − 3 − 0.5`: the terms, then the products a learner adds,
    as weighted_sum writes them."""
    return f"{_terms(w, x)} {signed(b)} = {_products(w, x)} {signed(b)}"


def _products(w: list[float], x: list[float]) -> str:
    """`−4 − 3`: each wᵢ·xᵢ worked out, exactly (10⁻²⁰⁰·10⁻²⁰⁰ is 10⁻⁴⁰⁰, not 0), a negative
    one written as a subtraction."""
    products = [decimal(wi) * decimal(xi) for wi, xi in zip(w, x, strict=True)]
    return " ".join([fmt_exact(products[0]), *(signed_exact(q) for q in products[1:])])


def perceptron_loss(w: list[float], b: float, x: list[float], y: int) -> Outcome:
    exact, affine = _affine(w, b, x)
    loss = rounded(max(-y * exact, decimal(0)))
    if y * exact > 0:
        verdict = "correctly classified: loss 0"
    elif exact == 0:
        verdict = "on the boundary: loss 0, but the update rule still counts it as a mistake"
    else:
        verdict = "misclassified: the loss grows the further the point is on the wrong side"
    return loss, [
        affine,
        f"loss = max(0, −y·(w·x + b)) = max(0, {operand(-y)}·{bracketed(fmt_exact(exact))}) "
        f"= {fmt(loss)}",
        verdict,
    ]


def perceptron_total_loss(w: list[float], b: float, xs: list[float], ys: list[int]) -> Outcome:
    d = len(w)
    if len(xs) != d * len(ys):
        raise UsageError(
            f"xs must hold {len(ys)} points of {d} numbers each, one per label in ys, in order "
            f"({d * len(ys)} numbers; got {len(xs)})"
        )
    steps: list[str] = []
    terms: list[Fraction] = []  # exact: a float term can overflow where the total does too
    for i, y in enumerate(ys):
        x = xs[i * d : (i + 1) * d]
        out = _exact_dot(w, x, b)
        margin = y * out
        if margin <= 0:
            terms.append(-margin)
            verdict = f"misclassified, adds −y·(w·x + b) = {fmt_exact(-margin)}"
        else:
            verdict = "correct, adds 0"
        steps.append(
            f"point {i + 1}: x = {fmt(x)}, y = {fmt(y)}: w·x + b = {_affine_text(w, b, x)} "
            f"= {fmt_exact(out)}; y·(w·x + b) = {fmt_exact(margin)}, {verdict}"
        )
    total = rounded(sum(terms, decimal(0)))
    if len(terms) > 1:
        shown = " + ".join(fmt_exact(t) for t in terms)  # each ≥ 0
        steps.append(f"L = ∑ over the misclassified points = {shown} = {fmt(total)}")
    elif terms:
        steps.append(f"L = the one misclassified point's term = {fmt(total)}")
    else:
        steps.append("every point is on its correct side: L = 0")
    return total, steps


def perceptron_margin(w: list[float], b: float, x: list[float], y: int) -> Outcome:
    exact, affine = _affine(w, b, x)
    m = rounded(y * exact)
    if y * exact > 0:
        verdict = "> 0, correctly classified; the larger, the more confident"
    elif y * exact < 0:
        verdict = "< 0, misclassified: on the wrong side of the boundary"
    else:
        verdict = "exactly on the boundary"
    return m, [
        affine,
        f"margin = y·(w·x + b) = {operand(y)}·{bracketed(fmt_exact(exact))} "
        f"= {fmt_exact(y * exact)}",
        verdict,
    ]


def geometric_margin(w: list[float], b: float, x: list[float], y: int) -> Outcome:
    import math
    from fractions import Fraction

    exact, affine = _affine(w, b, x)
    norm = math.hypot(*w)  # scaled: no overflow at 10²⁰⁰, no underflow to 0 at 10⁻²⁰⁰
    if norm == 0:
        raise UsageError("w must not be all zeros: there is no boundary to measure from")
    # the exact margin over ‖w‖: a margin of 10⁻⁴⁰⁰ rounds to 0, its distance 10⁻²⁰⁰ does not
    distance = rounded(y * exact / Fraction(norm))
    side = (
        "on the correct side"
        if distance > 0
        else "on the wrong side"
        if distance < 0
        else "on the boundary"
    )
    # the squares and their sum, exactly, before the root (perceptron-21: √(2.25 + 0.25))
    squares = [decimal(wi) ** 2 for wi in w]
    summed = fmt_exact(sum(squares, decimal(0)))
    added = f" = √({' + '.join(fmt_exact(q) for q in squares)})" if len(w) > 1 else ""
    return distance, [
        affine,
        f"‖w‖ = √({' + '.join(f'{operand(wi)}²' for wi in w)}){added} = √{bracketed(summed)} "
        f"= {fmt(norm)}",
        f"distance = y·(w·x + b) / ‖w‖ = {operand(y)}·{bracketed(fmt_exact(exact))} / "
        f"{operand(norm)} "
        f"= {fmt(distance)}",
        f"{fmt(abs(distance))} from the boundary, {side}; scaling w and b leaves it unchanged",
    ]


def perceptron_subgradient(w: list[float], b: float, x: list[float], y: int) -> Outcome:
    exact, affine = _affine(w, b, x)  # perceptron-30's quiz: the sum the margin comes from
    first = f"y·(w·x + b) = {operand(y)}·{bracketed(fmt_exact(exact))} = {fmt_exact(y * exact)}"
    if y * exact > 0:
        zero = [0.0 for _ in x]
        return zero, [
            affine,
            first,
            f"> 0: correctly classified, loss 0, so the gradient is {fmt(zero)}",
        ]
    grad = [-y * float(xi) + 0.0 for xi in x]  # + 0.0: never −0
    return grad, [
        affine,
        first,
        "≤ 0: misclassified, loss = −y·(w·x + b), so ∂L/∂w = −y·x",
        f"−y·x = {operand(-y)}·{fmt(x)} = {fmt(grad)}; the update w − η·(−y·x) = w + η·y·x",
    ]


def hinge_loss(w: list[float], b: float, x: list[float], y: int) -> Outcome:
    import math

    exact, affine = _affine(w, b, x)  # perceptron-24's quiz: the sum the margin comes from
    m = rounded(y * exact)
    loss = rounded(max(1 - y * exact, decimal(0)))  # 1 − the exact margin, rounded once
    zero_one = 1 if y * exact <= 0 else 0
    perceptron = rounded(max(-y * exact, decimal(0)))
    # the margin with the digits 1 − margin needs (0.9884 shown made 1 − 0.9884 = 0.0116,
    # not 0.01156); none when the margin is 1 − 10⁻⁶⁰, whose float is 1
    # (none either for a margin past the doubles: 10⁴⁰⁰ is no float, and ∞ no margin)
    size = (
        enough([abs(m)], lambda v: max(0.0, 1.0 - math.copysign(v, m)), loss)
        if math.isfinite(m)
        else None
    )
    if size is None:
        out, margin = fmt_exact(exact), fmt_exact(y * exact)
        hinge = f"max(0, {fmt_exact(1 - y * exact)})"
    else:
        out = f"−{size[0]}" if y * m < 0 else size[0]  # w·x + b = y·margin
        margin = f"−{size[0]}" if m < 0 else size[0]
        hinge = f"max(0, 1 {'+' if m < 0 else '−'} {size[0]})"
    return loss, [
        affine,
        f"margin y·(w·x + b) = {operand(y)}·{bracketed(out)} = {margin}",
        f"hinge = max(0, 1 − margin) = {hinge} = {fmt(loss)}",
        f"0-1 loss = {zero_one}, perceptron loss max(0, −margin) = {fmt(perceptron)}: "
        "hinge ≥ 0-1 always (an upper bound), and it is > 0 until the margin reaches 1",
    ]


def perceptron_update(w: list[float], x: list[float], y: int, eta: float) -> Outcome:
    _same_length("w", w, "x", x)
    exact = y * _exact_dot(w, x)
    # the products, as w·x + b writes them (perceptron-8's quiz: 1·(−2 − 3) = −5)
    first = (
        f"y·(w·x) = {operand(y)}·{bracketed(_terms(w, x))} = "
        f"{operand(y)}·{bracketed(_products(w, x))} = {fmt_exact(exact)}"
    )
    if exact > 0:
        return list(w), [first, "> 0: correctly classified, so w is not changed"]
    step = decimal(eta) * y
    new = [rounded(decimal(wi) + step * decimal(xi)) for wi, xi in zip(w, x, strict=True)]
    # a step too small for the display or for a double is not written as no step
    shown = "[" + ", ".join(digits_apart(n, wi) for n, wi in zip(new, w, strict=True)) + "]"
    if shown != fmt(new):
        shown += f", which rounds to {fmt(new)}"
    elif any(n == wi and xi != 0 for n, wi, xi in zip(new, w, x, strict=True)):
        shown += " in double precision (a change is lost)"
    # the step η·y·x that is added, each entry exactly (0.1·(−3) is −0.3)
    moved = "[" + ", ".join(fmt_exact(step * decimal(xi)) for xi in x) + "]"
    return new, [
        first,
        "≤ 0: misclassified, so w ← w + η·y·x",
        f"w = {fmt(w)} + {operand(eta)}·{operand(y)}·{fmt(x)} = {fmt(w)} + {moved} = {shown}",
    ]


def perceptron_train(dataset: str, epochs: int) -> Outcome:
    import numpy as np

    xs = np.asarray(INPUTS, dtype=np.int64)
    ys = LABELS[dataset]
    w = np.zeros(2, dtype=np.int64)
    b = 0
    lines: list[str] = [
        f"{dataset.upper()} on {{0,1}}², labels {fmt(list(ys))}, w = [0, 0], b = 0, η = 1; "
        "visit (0,0), (0,1), (1,0), (1,1); update when y·(w·x + b) ≤ 0"
    ]
    seen: dict[tuple[int, int, int], int] = {}
    history: list[str] = []
    for epoch in range(1, epochs + 1):
        state = (int(w[0]), int(w[1]), b)
        if state in seen:
            first = seen[state]
            lines += _elide(history)
            lines.append(
                f"epoch {fmt(epoch)} starts with the same w and b as epoch {fmt(first)}: the "
                f"updates cycle forever, so it never converges ({dataset.upper()} is not linearly "
                "separable)"
            )
            return "never converges", lines
        seen[state] = epoch
        mistakes = 0
        for x, y in zip(xs, ys, strict=True):
            if y * (int(w @ x) + b) <= 0:
                w = w + y * x
                b += y
                mistakes += 1
        plural = "mistake" if mistakes == 1 else "mistakes"
        history.append(
            f"epoch {fmt(epoch)}: {mistakes} {plural}, w = {fmt(w.tolist())}, b = {fmt(b)}"
        )
        if mistakes == 0:
            lines += _elide(history)
            boundary = f"{operand(int(w[0]))}·x1 {signed(int(w[1]))}·x2 {signed(b)} = 0"
            epochs_said = f"{fmt(epoch)} epoch{'s' * (epoch != 1)}"
            lines.append(
                f"epoch {fmt(epoch)} makes no mistakes: converged after {epochs_said} "
                f"({fmt(epoch - 1)} with updates); boundary {boundary}"
            )
            return epoch, lines
    lines += _elide(history)
    said = f"{fmt(epochs)} epoch{'s' * (epochs != 1)}"
    lines.append(f"still making mistakes after {said}; try more epochs")
    return f"not converged in {said}", lines


def _elide(history: list[str]) -> list[str]:
    if len(history) <= _SHOWN_EPOCHS:
        return history
    head = _SHOWN_EPOCHS // 2
    tail = _SHOWN_EPOCHS - head
    return [
        *history[:head],
        f"... {fmt(len(history) - _SHOWN_EPOCHS)} more epochs ...",
        *history[-tail:],
    ]


COMPUTATIONS: tuple[Computation, ...] = (
    Computation(
        "weighted_sum",
        (Param("p", "floats"), Param("w", "floats"), Param("b", "float", default=0.0)),
        "z = ∑ wᵢ·pᵢ + b",
        "a neuron's pre-activation: dot product plus bias",
        weighted_sum,
        symbols=("z", "w", "p", "b", "i"),  # i: the first index, to write the terms out
    ),
    Computation(
        "perceptron_loss",
        (
            Param("w", "floats"),
            Param("b", "float"),
            Param("x", "floats"),
            Param("y", "int", check="sign"),
        ),
        "max(0, −y(w·x + b)), y = ±1",
        "perceptron loss of one point: 0 when correct, the margin's size when wrong",
        perceptron_loss,
    ),
    Computation(
        "perceptron_total_loss",
        (
            Param("w", "floats"),
            Param("b", "float"),
            Param("xs", "floats", help="the points one after another, len(w) numbers each"),
            Param("ys", "ints", check="sign"),
        ),
        "L = ∑ over misclassified i of −yᵢ(w·xᵢ + b)",
        "perceptron loss of a dataset: only the misclassified points count",
        perceptron_total_loss,
    ),
    Computation(
        "perceptron_margin",
        (
            Param("w", "floats"),
            Param("b", "float"),
            Param("x", "floats"),
            Param("y", "int", check="sign"),
        ),
        "M = y(w·x + b), y = ±1",
        "signed distance-like margin: > 0 correct, < 0 misclassified",
        perceptron_margin,
    ),
    Computation(
        "geometric_margin",
        (
            Param("w", "floats"),
            Param("b", "float"),
            Param("x", "floats"),
            Param("y", "int", check="sign"),
        ),
        "y(w·x + b) / ‖w‖, y = ±1",
        "signed Euclidean distance from x to the boundary w·x + b = 0: > 0 on the correct side",
        geometric_margin,
    ),
    Computation(
        "perceptron_subgradient",
        (
            Param("w", "floats"),
            Param("b", "float"),
            Param("x", "floats"),
            Param("y", "int", check="sign"),
        ),
        "∂L/∂w = −y·x if y(w·x + b) ≤ 0, else 0",
        "subgradient of the perceptron loss of one point with respect to w",
        perceptron_subgradient,
    ),
    Computation(
        "hinge_loss",
        (
            Param("w", "floats"),
            Param("b", "float"),
            Param("x", "floats"),
            Param("y", "int", check="sign"),
        ),
        "max(0, 1 − y(w·x + b)), y = ±1",
        "hinge loss (SVMs): an upper bound on the 0-1 loss, > 0 inside the margin",
        hinge_loss,
    ),
    Computation(
        "perceptron_update",
        (
            Param("w", "floats"),
            Param("x", "floats"),
            Param("y", "int", check="sign"),
            Param("eta", "float", default=1.0, check="positive"),
        ),
        "w ← w + η·y·x if y(w·x) ≤ 0, else unchanged",
        "one perceptron step (bias folded into w); value is the new w",
        perceptron_update,
    ),
    Computation(
        "perceptron_train",
        (
            Param("dataset", "choice", choices=("and", "or", "xor")),
            Param("epochs", "int", default=100, check="positive"),
        ),
        "repeat: for each (x, y), if y(w·x + b) ≤ 0 then w += y·x, b += y",
        "epochs until a pass without mistakes, or 'never converges' (XOR)",
        perceptron_train,
    ),
)
