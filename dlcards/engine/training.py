"""Gradient descent: one update step (single gradient or a mini-batch average), counting updates
per epoch and in total, the size of the last batch, and how batch size shrinks gradient noise."""

from __future__ import annotations

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
    fmt,
    fmt_exact,
    named,
    operand,
    rounded,
    signed,
    signed_exact,
)


def _ceil_div(n: int, d: int) -> int:
    return -(-n // d)


def _variant(n: int, batch_size: int) -> str:
    if batch_size == 1 and n == 1:
        return "n = 1 and batch_size = 1: SGD and batch GD coincide"
    if batch_size == 1:
        return "batch_size 1 is stochastic gradient descent (SGD): one update per example"
    if batch_size >= n:
        extra = f" (batch_size {fmt(batch_size)} > n, so the one batch holds all {fmt(n)})"
        return "batch_size ≥ n is batch gradient descent: one update per epoch" + (
            extra if batch_size > n else ""
        )
    return "1 < batch_size < n is mini-batch gradient descent"


def updates_per_epoch(n: int, batch_size: int) -> Outcome:
    updates = _ceil_div(n, batch_size)
    if n % batch_size == 0:
        how = f"n / batch_size = {fmt(n)} / {fmt(batch_size)} = {fmt(updates)}"
    else:
        how = (
            f"⌈n / batch_size⌉ = ⌈{fmt(n)} / {fmt(batch_size)}⌉ = {fmt(updates)} "
            f"(the last batch holds {fmt(n % batch_size)})"
        )
    return updates, [how, _variant(n, batch_size)]


def total_updates(n: int, epochs: int, batch_size: int) -> Outcome:
    per_epoch = _ceil_div(n, batch_size)
    total = epochs * per_epoch
    return total, [
        f"updates per epoch = ⌈{fmt(n)} / {fmt(batch_size)}⌉ = {fmt(per_epoch)}",
        f"total = epochs × updates per epoch = {fmt(epochs)} × {fmt(per_epoch)} = {fmt(total)}",
        _variant(n, batch_size),
    ]


def last_batch_size(n: int, batch_size: int) -> Outcome:
    rest = n % batch_size
    if rest == 0:
        return batch_size, [
            f"n mod batch_size = {fmt(n)} mod {fmt(batch_size)} = 0: "
            f"every batch is full, {fmt(batch_size)} examples each"
        ]
    return rest, [
        f"n mod batch_size = {fmt(n)} mod {fmt(batch_size)} = {fmt(rest)}: "
        f"the last batch holds {fmt(rest)}",
        "frameworks keep this smaller batch by default (PyTorch's drop_last=True skips it)",
    ]


def _step_verdict(grad: float) -> str:
    if grad > 0:
        return "positive gradient: the weight decreases"
    if grad < 0:
        return "negative gradient: the weight increases"
    return "zero gradient: the weight stays put"


def _new_weight(new: float, old: float, change: float) -> str:
    """The new weight as a step writes it (`apart`: with the digits that tell it from the old
    one when the display would round it back); a change too small for a double next to `old`
    (1 − 10⁻²¹) leaves it where it was, and that is said."""
    if new == old and change != 0:
        return f"{fmt(new)} in double precision (the change is lost)"
    return apart(new, old)


def gd_step(w: float, grad: float, eta: float, names: Names = NO_NAMES) -> Outcome:
    sw, snew = named(names, "w", "w_new")
    sgrad = names.get("grad", "∇")
    exact = -decimal(eta) * decimal(grad)  # of the decimals shown: 0.3 − 0.1·3 is 0
    change, new = rounded(exact), rounded(decimal(w) + exact)
    steps = [
        f"{snew} = {sw} − η·{sgrad} = {fmt(w)} − {operand(eta)}·{operand(grad)} = {fmt(w)} "
        f"{signed_exact(exact)} "
        f"= {_new_weight(new, w, change)}",
        _step_verdict(grad),
    ]
    if grad != 0 and abs(change) < 1e-6 * max(abs(w), 1.0):
        steps.append(
            f"the step is negligible next to {sw}: with a vanishing gradient, {sw} barely moves"
        )
    return new, steps


def minibatch_step(w: float, grads: list[float], eta: float, names: Names = NO_NAMES) -> Outcome:
    sw, snew = named(names, "w", "w_new")
    total = sum((decimal(g) for g in grads), decimal(0))  # 0 when they cancel
    exact = total / len(grads)
    mean, new = rounded(exact), rounded(decimal(w) - decimal(eta) * exact)
    n = fmt(len(grads))
    # the sum, then the division, as mean_loss writes a cost (gd-20's quiz: −2.3 / 4)
    summed = f" = {bracketed(fmt_exact(total))} / {n}" if len(grads) > 1 else ""
    return new, [
        f"average gradient = {bracketed(' '.join([fmt(grads[0]), *map(signed, grads[1:])]))} / "
        f"{n}{summed} = {fmt(mean)}",
        # the change, then the new weight, as gd_step writes them (gd-20: −0.8 + 0.575)
        f"{snew} = {sw} − η·avg = {fmt(w)} − {operand(eta)}·{operand(mean)} "
        f"= {fmt(w)} {signed_exact(-decimal(eta) * exact)} "
        f"= {_new_weight(new, w, rounded(-decimal(eta) * exact))}",
        _step_verdict(mean),
    ]


def minibatch_variance(variance: float, batch_size: int) -> Outcome:
    exact = decimal(variance) / batch_size  # 3.3 / 6 is 0.55, not 0.5499999999999999
    v = rounded(exact)
    return v, [
        f"averaging {fmt(batch_size)} independent per-example gradients divides the variance by "
        f"{fmt(batch_size)}: {operand(variance)} / {fmt(batch_size)} = {as_computed(v, exact)}",
        f"the noise (standard deviation) shrinks by √{fmt(batch_size)} = {fmt(batch_size**0.5)}: "
        "larger batches give a smoother, BGD-like path",
    ]


_N = Param("n", "int", check="positive", help="number of training examples")
_BATCH = Param("batch_size", "int", check="positive", help="examples per update")

COMPUTATIONS: tuple[Computation, ...] = (
    Computation(
        "updates_per_epoch",
        (_N, _BATCH),
        "⌈n / batch_size⌉",
        "parameter updates in one epoch (batch_size 1 = SGD, batch_size n = batch GD)",
        updates_per_epoch,
    ),
    Computation(
        "total_updates",
        (_N, Param("epochs", "int", check="nonnegative"), _BATCH),
        "epochs × ⌈n / batch_size⌉",
        "parameter updates over a whole training run",
        total_updates,
    ),
    Computation(
        "last_batch_size",
        (_N, _BATCH),
        "n mod batch_size, or batch_size if it divides n",
        "size of the last (possibly partial) batch of an epoch",
        last_batch_size,
    ),
    Computation(
        "gd_step",
        (
            Param("w", "float"),
            Param("grad", "float"),
            Param("eta", "float", default=0.1, check="positive"),
        ),
        "w_new = w − η·∂L/∂w",
        "one gradient-descent update of one weight",
        gd_step,
        symbols=("w", "w_new", "grad"),
    ),
    Computation(
        "minibatch_step",
        (
            Param("w", "float"),
            Param("grads", "floats"),
            Param("eta", "float", default=0.1, check="positive"),
        ),
        "w_new = w − η·(1/m) ∑ ∂Lᵢ/∂w",
        "one mini-batch update: the per-example gradients are averaged first",
        minibatch_step,
        symbols=("w", "w_new"),
    ),
    Computation(
        "minibatch_variance",
        (
            Param("variance", "float", check="nonnegative"),
            Param("batch_size", "int", check="positive"),
        ),
        "Var(mean of B gradients) = σ² / B",
        "gradient noise of a mini-batch average (independent examples)",
        minibatch_variance,
    ),
)
