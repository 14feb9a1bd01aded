"""Losses of one example and their gradients: MSE, MAE, RMSE, Huber, BCE, CCE; how penalties
grow; cost and objective over a batch; label memory; the mean/median outlier demo.

Conventions (the same as PyTorch's losses with reduction='none'): mse(e) = e², mae(e) = |e|,
huber(e) = ½e² for |e| ≤ δ and δ(|e| − ½δ) beyond (HuberLoss). bce and cce refuse inputs where
the loss is infinite (p = 0 with y > 0, p = 1 with y < 1, probs[target] = 0) with a clear error,
rather than clamping the log at -100 as PyTorch's BCELoss does; 0·log 0 is taken as 0.
"""

from __future__ import annotations

import math
import sys
from typing import TYPE_CHECKING

from dlcards.engine.core import (
    NO_NAMES,
    Computation,
    Names,
    Outcome,
    Param,
    apart,
    as_computed,
    bracketed,
    decimal,
    enough,
    fmt,
    fmt_exact,
    named,
    operand,
    plain,
    rounded,
    signed,
)
from dlcards.errors import UsageError

if TYPE_CHECKING:
    from fractions import Fraction


def mse(error: float) -> Outcome:
    exact = decimal(error) ** 2  # of the decimal read: 0.2² is 0.04, not 0.04000000000000001
    v = rounded(exact)
    shown = as_computed(v, exact)
    return v, [f"mse({fmt(error)}) = {operand(error)}² = {shown}"]


def mse_grad(error: float) -> Outcome:
    g = 2.0 * error
    return g, [f"d(e²)/de = 2e = 2·{operand(error)} = {fmt(g)}: grows with the error"]


def mae(error: float) -> Outcome:
    v = abs(error)
    return v, [f"mae({fmt(error)}) = |{fmt(error)}| = {fmt(v)}"]


def mae_grad(error: float) -> Outcome:
    g = 1.0 if error > 0 else -1.0 if error < 0 else 0.0
    steps = [f"d|e|/de = sign(e) = sign({fmt(error)}) = {fmt(g)}"]
    if error == 0:
        steps.append("|e| has a kink at 0; 0 is the subgradient used by convention")
    else:
        steps.append("the same size, 1, for every nonzero error, however small or large")
    return g, steps


def rmse(errors: list[float]) -> Outcome:
    import numpy as np

    e = np.asarray(errors, dtype=np.float64)
    with np.errstate(over="ignore", under="ignore"):
        squares = [float(v) for v in e * e]
    total = float(np.sum(squares))
    mean = total / len(squares)
    root = float(np.sqrt(mean))
    top = float(np.max(np.abs(e)))
    if top > 0 and not (math.isfinite(total) and mean >= sys.float_info.min):
        # squares past the largest double, or whose mean is below the smallest normal one,
        # where floats lose digits (1.246 × 10⁻¹⁶¹ squared kept 3: its rmse was 1.238 × 10⁻¹⁶¹):
        # the errors scaled by the largest first
        scaled = e / top
        root = top * float(np.sqrt(np.mean(scaled * scaled)))
        where = (
            "overflow past the largest double"
            if not math.isfinite(total)
            else "underflow below the smallest normal double (about 2.2 × 10⁻³⁰⁸), where "
            "floats lose digits"
        )
        return root, [
            f"the squares of {fmt([float(v) for v in e])} {where}, so the "
            f"errors are divided by the largest, m = {fmt(top)}, first",
            f"rmse = m·√(mean((e/m)²)) = {operand(top)}·"
            f"√{operand(float(np.mean(scaled * scaled)))} "
            f"= {fmt(root)}, in the same units as the errors",
        ]
    return root, [
        f"squares: {fmt(squares)}",
        f"mean = {operand(total)} / {fmt(len(squares))} = {fmt(mean)} (this is the MSE)",
        f"rmse = √{operand(mean)} = {fmt(root)}, in the same units as the errors",
    ]


def mse_mae_ratio(error: float) -> Outcome:
    if error == 0:
        raise UsageError("mse_mae_ratio is undefined at error=0: both penalties are 0")
    absolute = abs(error)
    square = error * error  # ∞ or 0 past the float range
    ratio = absolute  # e² / |e| = |e|, worked out so: e² may leave the float range
    said = (
        f"ratio = {operand(square)} / {operand(absolute)} = {fmt(ratio)}"
        if 0 < square < math.inf
        else f"ratio = e² / |e| = |e| = {fmt(ratio)} (e² itself is out of the float range)"
    )
    return ratio, [
        f"MSE penalty = {operand(error)}² = {as_computed(square, decimal(error) ** 2)}",
        f"MAE penalty = |{fmt(error)}| = {fmt(absolute)}",
        f"{said}: MSE punishes this error {fmt(ratio)}× as hard as MAE (the ratio is always |e|)",
    ]


def huber(error: float, delta: float) -> Outcome:
    a = abs(error)
    e, d = fmt(error), fmt(delta)
    if a <= delta:
        exact = decimal(error) ** 2 / 2
        v = rounded(exact)
        steps = [
            f"|e| = {fmt(a)} ≤ δ = {d}: quadratic branch (like MSE)",
            f"huber({e}, δ={d}) = 0.5·{operand(error)}² = {as_computed(v, exact)}",
        ]
        if a == delta:  # where the pieces meet: the linear one gives the same (robust-7)
            steps.append(
                f"at |e| = δ the linear piece gives the same: {operand(delta)}·(|{e}| − "
                f"0.5·{operand(delta)}) = {as_computed(v, exact)}, so the pieces meet"
            )
        return v, steps
    # of the decimals read, rounded once: huber(3.3, δ=0.15) is 0.48375, which the doubles'
    # arithmetic made 0.4837499999999999 and the step wrote 0.4837, not 0.4838
    exact = decimal(delta) * (abs(decimal(error)) - decimal(delta) / 2)
    v = rounded(exact)
    return v, [
        f"|e| = {fmt(a)} > δ = {d}: linear branch (like MAE)",
        f"huber({e}, δ={d}) = {operand(delta)}·(|{e}| − 0.5·{operand(delta)}) "
        f"= {as_computed(v, exact)}",
    ]


def huber_grad(error: float, delta: float) -> Outcome:
    a = abs(error)
    e, d = fmt(error), fmt(delta)
    if a <= delta:
        steps = [f"|e| = {fmt(a)} ≤ δ = {d}: gradient = e = {e} (like MSE/2)"]
        if a == delta:  # the slopes meet too: the loss is smooth there (robust-i3)
            steps.append(
                f"at |e| = δ the linear piece's slope is the same: δ·sign(e) = {e}, so the "
                "slope does not jump"
            )
        return error, steps
    g = delta if error > 0 else -delta
    return g, [f"|e| = {fmt(a)} > δ = {d}: gradient = δ·sign(e) = {fmt(g)}, capped (like MAE)"]


def bce(y: float, p: float, names: Names = NO_NAMES) -> Outcome:
    import numpy as np

    sy, sp = named(names, "y", "p")

    if (p == 0 and y > 0) or (p == 1 and y < 1):
        wrong = "0" if p == 0 else "1"
        raise UsageError(
            f"bce is infinite at p={wrong} with y={plain(y)} (−log 0 = ∞); "
            f"use a p strictly between 0 and 1, e.g. p={'1e-12' if p == 0 else '0.999999'}"
        )
    # 0·log 0 is 0 (the limit), so a term whose weight is 0 is skipped.
    pos = y * float(np.log(p)) if y > 0 else 0.0
    neg = (1.0 - y) * float(np.log1p(-p)) if y < 1 else 0.0
    loss = -(pos + neg)
    if loss == 0:
        loss = 0.0  # not -0.0
    exact = decimal(p)
    steps = [
        f"bce = −[{sy}·log({sp}) + (1 − {sy})·log(1 − {sp})], with the natural log (in nats)",
        f"= −[{operand(y)}·log({_log_argument(exact, y, pos)}) + {operand(1.0 - y)}·"
        f"log({_log_argument(1 - exact, 1.0 - y, neg)})] = −[{fmt(pos)} {signed(neg)}] "
        f"= {fmt(loss)}",
    ]
    # PyTorch's BCELoss clamps each log at −100, which only a p below e^−100 ≈ 3.7 × 10⁻⁴⁴
    # reaches (1 − p is at least 1.1 × 10⁻¹⁶ for a p below 1)
    clamped = -(y * max(math.log(p), -100.0) if y > 0 else 0.0) - neg
    if clamped != loss:
        steps.append(
            f"PyTorch's BCELoss clamps log(p) at −100 and gives {fmt(clamped)} here; the loss "
            "itself is the value above"
        )
    return loss, steps


def _log_argument(v: Fraction, weight: float, term: float) -> str:
    """`v`, p or 1 − p as the learner reads them (1 − 0.999999 is 10⁻⁶ exactly), as a bce step
    writes it inside log(…): with the fewest significant digits, 4 to 17, from which
    weight·log(v) gives `term` as it is shown (p near 1: log(0.9999) is −10⁻⁴, not the
    −1.3 × 10⁻⁴ of 0.99987), and never as 1, which it is not: 1 − 10⁻⁶ was written log(1),
    beside a term of 0 (its weight 0) or of 0.5·log(1) = −5 × 10⁻⁸."""
    from decimal import Context, Decimal

    for digits in range(4, 18):
        read = Context(prec=digits).divide(Decimal(v.numerator), Decimal(v.denominator))
        if read in (0, 1):
            continue
        if weight > 0:
            logged = math.log1p(float(read - 1)) if read > Decimal("0.5") else math.log(float(read))
            if fmt(weight * logged) != fmt(term):
                continue
        return fmt(float(read), digits) if digits > 4 else fmt(float(read))
    return fmt(rounded(v), 17)


def bce_grad_logit(y: float, p: float, names: Names = NO_NAMES) -> Outcome:
    sy, sp = named(names, "y", "p")
    g = rounded(decimal(p) - decimal(y))  # 0.15 − 0.6 is −0.45, not −0.44999999999999996
    if g > 0:
        direction = f"positive: the update lowers the logit, so {sp} goes down"
    elif g < 0:
        direction = f"negative: the update raises the logit, so {sp} goes up"
    else:
        direction = "zero: the prediction matches the label, nothing to correct"
    # p and y with the digits their difference needs: p = 0.99987 shown as 0.9999 made
    # 0.9999 − 1 = −0.00013
    shown_p, shown_y = enough([p, y], lambda a, b: rounded(decimal(a) - decimal(b)), g) or [
        fmt(p),
        fmt(y),
    ]
    return g, [
        f"with {sp} = σ(z), ∂L/∂z = {sp} − {sy}: the σ' factor cancels, so a saturated sigmoid "
        "cannot make it vanish",
        f"∂L/∂z = {shown_p} − {shown_y} = {apart(g, p)}; {direction}",
    ]


def cce(probs: list[float], target: int, names: Names = NO_NAMES) -> Outcome:
    import numpy as np

    # probs[1] as the engine writes it; ŷ₁ when a card calls the probabilities ŷ
    entry = f"probs[{target}]" if "probs" not in names else names["probs"] + _sub(target)

    _check_probs(probs, target)
    p = probs[target]
    if p == 0:
        raise UsageError(
            f"cce is infinite when probs[{target}] = 0 (−log 0 = ∞); give the true class some "
            "probability"
        )
    loss = -float(np.log(p))
    if loss == 0:
        loss = 0.0
    # near 1, log cancels digits: −log(0.9944) is 0.005616, not −log(0.99437) = 0.005646
    (shown,) = enough([p], lambda v: -math.log(v), loss) or [fmt(p)]
    return loss, [
        f"target {target} is a 0-based index: {entry} = {shown}",
        f"cce = −log({entry}) = −log({shown}) = {fmt(loss)}",
        "only the true class's probability counts; the other classes matter through softmax",
    ]


def _sub(i: int) -> str:
    """`1` as a subscript, `₁`."""
    return str(i).translate(str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉"))


def _penalty(loss: str, error: float, delta: float) -> tuple[Fraction, str]:
    """The penalty of `error` exactly (of the decimals shown, `core.decimal`), and the step
    that works it out: a ratio of two penalties is representable where they are not (the
    squares of 10⁻²⁰⁰ and 3 × 10⁻²⁰⁰ are 0 as floats, of 10²⁰⁰ and 10¹⁹⁹ ∞; their ratios 9
    and 100)."""
    e, d = decimal(error), decimal(delta)
    shown = fmt(error)
    if loss == "mse":
        v = e * e
        return v, f"{bracketed(shown)}² = {fmt_exact(v)}"
    if loss == "mae":
        return abs(e), f"|{shown}| = {fmt_exact(abs(e))}"
    if abs(e) <= d:
        v = e * e / 2
        return v, f"0.5·{bracketed(shown)}² = {fmt_exact(v)}"
    v = d * (abs(e) - d / 2)
    return v, f"{operand(delta)}·(|{shown}| − 0.5·{operand(delta)}) = {fmt_exact(v)}"


def penalty_ratio(loss: str, error: float, base: float, delta: float) -> Outcome:
    big, big_text = _penalty(loss, error, delta)
    small, small_text = _penalty(loss, base, delta)
    if small == 0:
        raise UsageError(
            f"penalty_ratio needs a base error whose penalty is not 0 (got base={plain(base)})"
        )
    ratio = rounded(big / small)
    divisor = bracketed(fmt_exact(small))  # (5 × 10⁻⁴⁰¹): the whole product divides
    growth = {
        "mse": "quadratic: the ratio is the square of the error ratio",
        "mae": "linear: the ratio equals the error ratio",
        "huber": "quadratic up to δ, linear beyond",
    }[loss]
    return ratio, [
        f"{loss}({fmt(error)}) = {big_text}",
        f"{loss}({fmt(base)}) = {small_text}",
        f"ratio = {bracketed(fmt_exact(big))} / {divisor} = {fmt(ratio)} ({growth})",
    ]


def huber_continuity(delta: float) -> Outcome:
    """The two pieces where they meet, computed by the loss and its gradient themselves
    (`huber`, `huber_grad`, each tested against PyTorch's HuberLoss): at e = δ, which is the
    quadratic branch's, and at the next float above it, the linear branch's first value."""
    import math

    d = fmt(delta)
    above = math.nextafter(delta, math.inf)
    quad_value, quad_slope = (float(f(delta, delta)[0]) for f in (huber, huber_grad))  # type: ignore[arg-type]
    lin_value, lin_slope = (float(f(above, delta)[0]) for f in (huber, huber_grad))  # type: ignore[arg-type]
    result = {
        "quadratic_value": quad_value,
        "linear_value": lin_value,
        "quadratic_slope": quad_slope,
        "linear_slope": lin_slope,
    }
    same = math.isclose(quad_value, lin_value, rel_tol=1e-9) and math.isclose(
        quad_slope, lin_slope, rel_tol=1e-9
    )
    return result, [
        f"at e = δ = {d}, the quadratic branch ½e²: huber = {fmt(quad_value)}, "
        f"huber' = e = {fmt(quad_slope)}",
        f"just above δ (the next float), the linear branch δ(|e| − ½δ): huber = "
        f"{fmt(lin_value)}, huber' = δ = {fmt(lin_slope)}",
        "same value and same slope where the pieces meet: the loss is smooth (C¹) at ±δ"
        if same
        else "the pieces do not meet smoothly here",
    ]


def mse_grad_logit(y: float, p: float, names: Names = NO_NAMES) -> Outcome:
    sy, sp = named(names, "y", "p")
    slope = p * (1.0 - p)
    exact = 2 * (decimal(p) - decimal(y)) * decimal(p) * (1 - decimal(p))
    g = rounded(exact)  # of the decimals read: 2(0.15 − 0.6)·0.15·0.85 is −0.11475
    numbers = [p, 1.0 - p, y, slope]  # with the digits p − y needs when p is near y
    shown = enough(
        numbers, lambda a, _, b, s: rounded(2 * (decimal(a) - decimal(b)) * decimal(s)), g
    ) or [fmt(v) for v in numbers]
    shown_p, shown_q, shown_y, shown_slope = shown
    return g, [
        f"L = ({sp} − {sy})² with {sp} = σ(z): ∂L/∂z = 2({sp} − {sy})·σ'(z) "
        f"= 2({sp} − {sy})·{sp}(1 − {sp})",
        f"{sp}(1 − {sp}) = {bracketed(shown_p)}·{bracketed(shown_q)} = {shown_slope}",
        f"∂L/∂z = 2·({shown_p} − {shown_y})·{bracketed(shown_slope)} = {as_computed(g, exact)}",
        f"with BCE it would be {sp} − {sy} = {fmt(p - y)}: the {sp}(1 − {sp}) factor is what "
        "vanishes "
        "when the sigmoid saturates",
    ]


def _check_probs(probs: list[float], target: int) -> None:
    import numpy as np

    total = float(np.sum(probs))
    if abs(total - 1.0) > 1e-3:
        raise UsageError(
            f"probs must sum to 1 (they sum to {plain(total)}); for raw scores use softmax first"
        )
    k = len(probs)
    if target >= k:
        raise UsageError(
            f"target must be a class index from 0 to {k - 1} for {k} classes (got {target}); "
            "target is 0-based"
        )


def cce_grad_logit(probs: list[float], target: int) -> Outcome:
    _check_probs(probs, target)
    onehot = [1.0 if i == target else 0.0 for i in range(len(probs))]
    # of the decimals read: 0.7 − 1 is −0.3, not −0.30000000000000004
    grad = [rounded(decimal(p) - decimal(t)) for p, t in zip(probs, onehot, strict=True)]
    wrong = [(g, i) for i, g in enumerate(grad) if i != target]
    steps = [
        f"y (one-hot, target {target}) = {fmt(onehot)}",
        f"∂L/∂z = ŷ − y = {fmt(probs)} − {fmt(onehot)} = {fmt(grad)}",
    ]
    if grad[target] < 0:
        steps.append(f"the true class gets {fmt(grad[target])}: the update raises its logit")
    else:
        steps.append("the true class already has probability 1: its logit gets no push")
    top = max((g for g, _ in wrong), default=0.0)
    if top > 0:
        tied = [i for g, i in wrong if g == top]
        if len(tied) == 1:
            steps.append(
                f"the largest push down, {fmt(top)}, is on class {tied[0]}, "
                "the most probable wrong class"
            )
        else:
            names = ", ".join(str(i) for i in tied[:-1]) + f" and {tied[-1]}"
            steps.append(
                f"classes {names} tie as the most probable wrong classes: each gets the largest "
                f"push down, {fmt(top)}"
            )
    return grad, steps


def mean_loss(losses: list[float]) -> Outcome:
    exact = sum((decimal(v) for v in losses), decimal(0))
    cost = rounded(exact / len(losses))
    return cost, [
        f"cost = (1/N)·∑ Lᵢ = {bracketed(_sum_text(losses))} / {fmt(len(losses))}",
        # the sum exactly: 10³⁰⁸ + 10³⁰⁸ is 2 × 10³⁰⁸, which the double makes ∞
        f"= {bracketed(fmt_exact(exact))} / {fmt(len(losses))} "
        f"= {as_computed(cost, exact / len(losses))}",
    ]


def _sum_text(values: list[float]) -> str:
    """`1 + 4 − 0.5`: the terms of a sum, a negative one written as a subtraction."""
    text = fmt(values[0])
    for v in values[1:]:
        text += f" {signed(v)}"
    return text


def l2_objective(losses: list[float], w: list[float], lam: float) -> Outcome:
    exact_cost = sum((decimal(v) for v in losses), decimal(0)) / len(losses)
    exact_norm = sum((decimal(v) ** 2 for v in w), decimal(0))
    exact_penalty = decimal(lam) * exact_norm
    cost = rounded(exact_cost)
    objective = rounded(exact_cost + exact_penalty)
    # each part exactly (fmt_exact): ‖w‖² of w = 10²⁰⁰ is 10⁴⁰⁰, not ∞, and of w = 10⁻²⁰⁰
    # 10⁻⁴⁰⁰, not 0; only the objective is the double's, said so where it leaves the range
    norm, penalty = fmt_exact(exact_norm), fmt_exact(exact_penalty)
    # each square, then their sum (loss-ig2's quiz: (−2)² + (−1.5)² = 4 + 2.25 = 6.25)
    squares = f" = {' + '.join(fmt_exact(decimal(v) ** 2) for v in w)}" if len(w) > 1 else ""
    total = (
        apart(objective, cost)
        if objective != 0 or exact_cost + exact_penalty == 0
        else as_computed(objective, exact_cost + exact_penalty)
    )
    n = fmt(len(losses))
    # the sum, then the division, as mean_loss writes a cost (loss-ig2's quiz: 6.5 / 3)
    mean = (
        f"({_sum_text(losses)}) / {n} = {bracketed(fmt_exact(exact_cost * len(losses)))} / {n}"
        if len(losses) > 1
        else fmt(losses)
    )
    return objective, [
        f"cost = mean of the per-example losses {mean} = {fmt_exact(exact_cost)}",
        f"‖w‖² = {' + '.join(f'{operand(v)}²' for v in w)}{squares} = {norm}; "
        f"λ‖w‖² = {operand(lam)}·{bracketed(norm)} = {penalty}",
        f"objective = cost + λ‖w‖² = {fmt_exact(exact_cost)} + {penalty} = {total}",
    ]


def _human_bytes(n: int) -> str:
    """`n` bytes, and in KiB to TiB. Past a float's range (10³⁰⁸), in TiB from the exact
    count (`fmt_exact`): its float overflowed, and `onehot_memory` said "the result is too
    large for a float" of an integer result, where `total_updates` prints one in full."""
    if n >= HUGE_BYTES:
        from fractions import Fraction

        return f"{fmt(n)} bytes ≈ {fmt_exact(Fraction(n, 1024**4))} TiB"
    size = float(n)
    for unit in ("bytes", "KiB", "MiB", "GiB", "TiB"):
        if size < 1024 or unit == "TiB":
            if unit == "bytes":
                return f"{fmt(n)} bytes"
            exact = float(f"{size:.4g}") == size  # 4 significant digits say it all
            return f"{fmt(n)} bytes {'=' if exact else '≈'} {fmt(size, 4)} {unit}"
        size /= 1024
    raise AssertionError("unreachable")


HUGE_BYTES = 10**300
"""From here on a count of bytes is said in TiB exactly, not through a float."""


def onehot_memory(batch: int, classes: int, bytes: int) -> Outcome:
    total = batch * classes * bytes
    return total, [
        f"one-hot labels: batch × classes × bytes = {fmt(batch)} × {fmt(classes)} × {fmt(bytes)} "
        f"= {_human_bytes(total)}",
        f"sparse int64 labels would need {fmt(batch)} × 8 = {_human_bytes(batch * 8)}",
    ]


def sparse_memory(batch: int, bytes: int) -> Outcome:
    total = batch * bytes
    return total, [
        f"sparse labels: batch × bytes = {fmt(batch)} × {fmt(bytes)} = {_human_bytes(total)} "
        "(one integer class index per example, whatever the number of classes)",
    ]


def _mean(values: list[float]) -> Fraction:
    """The mean of the decimals shown, exactly (`core.decimal`): a float sum loses a small
    value next to a large one ((10¹⁷ + 1 − 10¹⁷) / 3 was 0) and overflows past 10³⁰⁸."""
    return sum((decimal(v) for v in values), decimal(0)) / len(values)


def _median(values: list[float]) -> Fraction:
    """The median of the decimals shown, exactly: the middle value, or halfway between the
    two middle ones (NumPy's and the statistics module's convention; torch.median takes the
    lower one)."""
    ordered = sorted(values)
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return decimal(ordered[middle])
    return (decimal(ordered[middle - 1]) + decimal(ordered[middle])) / 2


def _middle(ordered: list[float]) -> str:
    """How the median of `ordered` is found, in words: the middle value, or halfway between
    the two middle ones (the convention of NumPy and the statistics module, not torch.median's
    lower one)."""
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return f"the middle of {fmt(ordered)}"
    pair = f"({fmt(ordered[middle - 1])} {signed(ordered[middle])}) / 2"
    return f"halfway between the two middle values of {fmt(ordered)}: {pair}"


def mean_median_outlier(values: list[float], outlier: float) -> Outcome:
    exact = {
        "mean_before": _mean(values),
        "median_before": _median(values),
        "mean_after": _mean([*values, outlier]),
        "median_after": _median([*values, outlier]),
    }
    result = {name: rounded(q) for name, q in exact.items()}
    mean_moved = rounded(abs(exact["mean_after"] - exact["mean_before"]))
    median_moved = rounded(abs(exact["median_after"] - exact["median_before"]))
    return result, [
        f"{fmt(values)}: mean {fmt(result['mean_before'])}, median {fmt(result['median_before'])}",
        f"add {fmt(outlier)}: mean {fmt(result['mean_after'])}, "
        f"median {fmt(result['median_after'])}",
        f"the mean moved {fmt(mean_moved)}, the median {fmt(median_moved)}: one point can drag "
        "the mean (MSE's minimizer) anywhere, not the median (MAE's)",
    ]


def outlier_shift(values: list[float], outlier: float, statistic: str) -> Outcome:
    stat = _mean if statistic == "mean" else _median
    after_values = sorted([*values, outlier])
    exact_before, exact_after = stat(values), stat(after_values)
    before, after = rounded(exact_before), rounded(exact_after)
    shift = rounded(exact_after - exact_before)  # never -0.0: a Fraction's 0 is +0.0
    fits = "MSE" if statistic == "mean" else "MAE"
    if statistic == "mean":
        how = [
            f"mean before = {bracketed(_sum_text(values))} / {fmt(len(values))} = {fmt(before)}",
            f"mean after = {bracketed(_sum_text(after_values))} / {fmt(len(after_values))} "
            f"= {fmt(after)}",
        ]
    else:
        how = [
            f"median before: {_middle(sorted(values))} = {fmt(before)}",
            f"median after: {_middle(after_values)} = {fmt(after)}",
        ]
    return shift, [
        *how,
        f"the {statistic} (the constant that minimizes {fits}) moves by "
        f"{fmt(after)} − {operand(before)} = {fmt(shift)}",
    ]


COMPUTATIONS: tuple[Computation, ...] = (
    Computation(
        "mse",
        (Param("error", "float"),),
        "mse(e) = e²",
        "squared error of one residual",
        mse,
    ),
    Computation(
        "mse_grad",
        (Param("error", "float"),),
        "d(e²)/de = 2e",
        "gradient of the squared error: proportional to the error",
        mse_grad,
    ),
    Computation(
        "mae",
        (Param("error", "float"),),
        "mae(e) = |e|",
        "absolute error of one residual",
        mae,
    ),
    Computation(
        "mae_grad",
        (Param("error", "float"),),
        "d|e|/de = sign(e) (0 at e = 0)",
        "gradient of the absolute error: constant size",
        mae_grad,
    ),
    Computation(
        "rmse",
        (Param("errors", "floats"),),
        "rmse = √(∑ eᵢ² / n)",
        "root mean squared error, in the units of the target",
        rmse,
    ),
    Computation(
        "mse_mae_ratio",
        (Param("error", "float"),),
        "e² / |e| = |e|",
        "how many times harder MSE punishes an error than MAE",
        mse_mae_ratio,
    ),
    Computation(
        "huber",
        (Param("error", "float"), Param("delta", "float", default=1.0, check="positive")),
        "δ(|e| − ½δ) for |e| > δ, ½e² otherwise",
        "Huber loss of one residual (PyTorch HuberLoss)",
        huber,
    ),
    Computation(
        "huber_grad",
        (Param("error", "float"), Param("delta", "float", default=1.0, check="positive")),
        "e for |e| ≤ δ, δ·sign(e) beyond",
        "gradient of the Huber loss: linear, then capped at ±δ",
        huber_grad,
    ),
    Computation(
        "penalty_ratio",
        (
            Param("loss", "choice", choices=("mse", "mae", "huber")),
            Param("error", "float"),
            Param("base", "float", default=1.0),
            Param("delta", "float", default=1.0, check="positive"),
        ),
        "loss(error) / loss(base)",
        "how many times the penalty of one error is that of another",
        penalty_ratio,
    ),
    Computation(
        "huber_continuity",
        (Param("delta", "float", default=1.0, check="positive"),),
        "½δ² = δ(δ − ½δ) and slope δ from both sides at e = δ",
        "Huber's two pieces meet with equal value and slope; value is both pieces' numbers",
        huber_continuity,
    ),
    Computation(
        "bce",
        (Param("y", "float", check="probability"), Param("p", "float", check="probability")),
        "−[y·log p + (1 − y)·log(1 − p)], natural log",
        "binary cross-entropy of one prediction p for label y",
        bce,
        symbols=("y", "p"),
    ),
    Computation(
        "bce_grad_logit",
        (Param("y", "float", check="probability"), Param("p", "float", check="probability")),
        "∂L/∂z = p − y (p = σ(z))",
        "gradient of sigmoid + BCE with respect to the logit",
        bce_grad_logit,
        symbols=("y", "p"),
    ),
    Computation(
        "mse_grad_logit",
        (Param("y", "float", check="probability"), Param("p", "float", check="probability")),
        "∂(p − y)²/∂z = 2(p − y)·p(1 − p) (p = σ(z))",
        "gradient of sigmoid + MSE with respect to the logit: vanishes when p saturates",
        mse_grad_logit,
        symbols=("y", "p"),
    ),
    Computation(
        "cce",
        (
            Param("probs", "floats", check="probability"),
            Param("target", "int", check="nonnegative"),
        ),
        "−log probs[target] (natural log; target 0-based)",
        "categorical cross-entropy of one prediction",
        cce,
        symbols=("probs",),
    ),
    Computation(
        "cce_grad_logit",
        (
            Param("probs", "floats", check="probability"),
            Param("target", "int", check="nonnegative"),
        ),
        "∂L/∂z = ŷ − y (ŷ = softmax(z), y one-hot)",
        "gradient of softmax + CCE with respect to the logits",
        cce_grad_logit,
    ),
    Computation(
        "mean_loss",
        (Param("losses", "floats"),),
        "cost = (1/N) ∑ Lᵢ",
        "cost of a batch: the average of its per-example losses",
        mean_loss,
    ),
    Computation(
        "l2_objective",
        (
            Param("losses", "floats"),
            Param("w", "floats"),
            Param("lam", "float", check="nonnegative"),
        ),
        "mean(losses) + λ‖w‖²",
        "objective = cost plus an L2 (weight decay) penalty",
        l2_objective,
    ),
    Computation(
        "onehot_memory",
        (
            Param("batch", "int", check="positive"),
            Param("classes", "int", check="positive"),
            Param("bytes", "int", default=4, check="positive"),
        ),
        "batch × classes × bytes",
        "bytes for a one-hot label tensor (4 = float32)",
        onehot_memory,
    ),
    Computation(
        "sparse_memory",
        (
            Param("batch", "int", check="positive"),
            Param("bytes", "int", default=8, check="positive"),
        ),
        "batch × bytes",
        "bytes for sparse integer labels (8 = int64)",
        sparse_memory,
    ),
    Computation(
        "mean_median_outlier",
        (Param("values", "floats"), Param("outlier", "float")),
        "mean and median of values, then of values + [outlier]",
        "breakdown demo: value is {mean_before, median_before, mean_after, median_after}",
        mean_median_outlier,
    ),
    Computation(
        "outlier_shift",
        (
            Param("values", "floats"),
            Param("outlier", "float"),
            Param("statistic", "choice", choices=("mean", "median")),
        ),
        "statistic(values + [outlier]) − statistic(values)",
        "how far one added point moves the mean (MSE's fit) or the median (MAE's)",
        outlier_shift,
    ),
)
