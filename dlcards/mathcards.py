"""Math cards: run each card's `compute:` blocks through the engine and compare with the claim.

Used when a math card's answer is revealed (live result and worked steps) and by `dlcards check`
(every stated number checked). Importing this module is cheap; numpy loads on the first run.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

from dlcards.deck import Card, Compute
from dlcards.errors import DlcardsError

if TYPE_CHECKING:
    from dlcards.engine import Result

DEFAULT_TOLERANCE = 1e-3  # relative; a card can set its own


class Evaluation(NamedTuple):
    card: Card
    compute: Compute
    result: Result | None
    error: str | None = None

    @property
    def status(self) -> str:
        """ok | mismatch | erratum | computed (no claim) | error.

        `erratum` is a claim marked `wrong: true` that the engine indeed contradicts (the card's
        erratum explains it). Every other claim must agree, on an erratum's card too: a wrong
        claim the engine confirms, or an unmarked claim it contradicts, is a mismatch.
        """
        if self.result is None:
            return "error"
        if self.compute.claim is None:
            return "computed"
        tol = self.compute.tolerance if self.compute.tolerance is not None else DEFAULT_TOLERANCE
        agrees = self.result.approx_equal(self.compute.claim, rel_tol=tol)
        if self.compute.wrong:
            return "mismatch" if agrees else "erratum"
        return "ok" if agrees else "mismatch"

    @property
    def call(self) -> str:
        args = ", ".join(f"{k}={_short(v)}" for k, v in self.compute.args.items())
        return f"{self.compute.fn}({args})"


def _short(value: object) -> str:
    if isinstance(value, list):
        return "[" + ",".join(_short(v) for v in value) + "]"
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))  # 2.0 as 2; 1e308 as 1e+308, not its 309 digits
    return str(value)


def evaluate(card: Card) -> list[Evaluation]:
    from dlcards import engine

    out = []
    for block in card.compute:
        try:
            result = engine.run(block.fn, dict(block.args), block.symbols)
        except DlcardsError as err:
            out.append(Evaluation(card, block, None, str(err)))
        else:
            out.append(Evaluation(card, block, result))
    return out
