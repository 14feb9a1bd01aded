"""Counting gradient-descent updates: per epoch, in total, and the size of the last batch."""

from __future__ import annotations

from dlcards.engine.core import Computation, Outcome, Param


def _ceil_div(n: int, d: int) -> int:
    return -(-n // d)


def _variant(n: int, batch_size: int) -> str:
    if batch_size == 1 and n == 1:
        return "n = 1 and batch_size = 1: SGD and batch GD coincide"
    if batch_size == 1:
        return "batch_size 1 is stochastic gradient descent (SGD): one update per example"
    if batch_size >= n:
        extra = f" (batch_size {batch_size} > n, so the one batch holds all {n})"
        return "batch_size ≥ n is batch gradient descent: one update per epoch" + (
            extra if batch_size > n else ""
        )
    return "1 < batch_size < n is mini-batch gradient descent"


def updates_per_epoch(n: int, batch_size: int) -> Outcome:
    updates = _ceil_div(n, batch_size)
    if n % batch_size == 0:
        how = f"n / batch_size = {n} / {batch_size} = {updates}"
    else:
        how = (
            f"⌈n / batch_size⌉ = ⌈{n} / {batch_size}⌉ = {updates} "
            f"(the last batch holds {n % batch_size})"
        )
    return updates, [how, _variant(n, batch_size)]


def total_updates(n: int, epochs: int, batch_size: int) -> Outcome:
    per_epoch = _ceil_div(n, batch_size)
    total = epochs * per_epoch
    return total, [
        f"updates per epoch = ⌈{n} / {batch_size}⌉ = {per_epoch}",
        f"total = epochs × updates per epoch = {epochs} × {per_epoch} = {total}",
        _variant(n, batch_size),
    ]


def last_batch_size(n: int, batch_size: int) -> Outcome:
    rest = n % batch_size
    if rest == 0:
        return batch_size, [
            f"n mod batch_size = {n} mod {batch_size} = 0: every batch is full ({batch_size})"
        ]
    return rest, [
        f"n mod batch_size = {n} mod {batch_size} = {rest}: the last batch holds {rest}",
        "frameworks keep this smaller batch by default (PyTorch's drop_last=True skips it)",
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
)
