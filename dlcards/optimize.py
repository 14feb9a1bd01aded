"""Fitting FSRS's parameters to the learner's own review log, and evaluating them (as Anki).

The optimizer is fsrs-rs-python: the Rust FSRS crate that Anki itself runs for "Optimize" and
"Evaluate", in a ~1.5 MB wheel with no dependencies (py-fsrs's own optimizer extra needs
PyTorch, hundreds of MB). It is an optional extra (`pip install 'dlcards[optimize]'`), imported
only here and only when `dlcards optimize` runs.

A card's scheduled grades since its last reset (one a day; re-drills are same-session practice
and not part of the memory model dlcards schedules with) become FSRS training items as Anki
builds them: for every review after the first, the card's history up to it, each review with
its rating (0-2 Again, 3 Hard, 4 Good, 5 Easy) and the days since the review before. The
evaluation is Anki's: log loss and RMSE over bins of predicted recall, of a set of parameters
on the same items.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from dlcards.errors import UsageError

MIN_REVIEWS = 400
"""Reviews of cards seen before that a fit needs (the optimizer learns from these; Anki asks
for several hundred, and with fewer the fit follows noise)."""
INSTALL = (
    "`dlcards optimize` needs the optional FSRS optimizer (fsrs-rs-python, the one Anki "
    "uses): pip install 'dlcards[optimize]'  (or: pip install fsrs-rs-python)"
)

History = Sequence[tuple[date, int]]


def rating(grade: int) -> int:
    """FSRS's rating for a dlcards grade: 0-2 Again (1), 3 Hard (2), 4 Good (3), 5 Easy (4)."""
    return 1 if grade <= 2 else grade - 1


def training_items(histories: Mapping[str, History]) -> list[list[tuple[int, int]]]:
    """Every (rating, days since the review before) sequence a fit learns from: for each
    card and each review after its first, the card's reviews up to that one."""
    items: list[list[tuple[int, int]]] = []
    for history in histories.values():
        reviews: list[tuple[int, int]] = []
        previous: date | None = None
        for day, grade in history:
            reviews.append((rating(grade), 0 if previous is None else (day - previous).days))
            previous = day
            if len(reviews) > 1 and reviews[-1][1] > 0:
                items.append(list(reviews))
    return items


@dataclass(frozen=True)
class Evaluation:
    log_loss: float
    rmse_bins: float

    def better_than(self, other: Evaluation) -> bool:
        """Lower log loss (the quantity the optimizer minimises; RMSE is reported beside)."""
        return self.log_loss < other.log_loss


@dataclass(frozen=True)
class Fit:
    reviews: int  # training items: reviews with a review before them
    cards: int
    default: Evaluation
    current: Evaluation | None  # the collection's parameters, when they are not the defaults
    fitted: Evaluation
    parameters: tuple[float, ...]


def _library() -> Any:
    try:
        import fsrs_rs_python
    except ImportError:
        raise UsageError(INSTALL) from None
    return fsrs_rs_python


def _items(lib: Any, items: list[list[tuple[int, int]]]) -> list[Any]:
    return [lib.FSRSItem([lib.FSRSReview(r, t) for r, t in item]) for item in items]


def evaluate(parameters: Sequence[float], items: list[list[tuple[int, int]]]) -> Evaluation:
    """Anki's "Evaluate": log loss and RMSE (bins) of `parameters` on the items."""
    lib = _library()
    result = lib.FSRS(list(parameters)).evaluate(_items(lib, items))
    return Evaluation(float(result.log_loss), float(result.rmse_bins))


def fit(
    histories: Mapping[str, History],
    current: Sequence[float],
    default: Sequence[float],
    minimum: int = MIN_REVIEWS,
) -> Fit:
    """Fit FSRS-6 parameters to the histories and evaluate default, current and fitted ones
    on the same items. Fitted weights are rounded as the setting stores them (4 decimals)
    before they are evaluated. UsageError if there are fewer than `minimum` items."""
    items = training_items(histories)
    if len(items) < minimum:
        from dlcards.console import counted, plural

        try:  # both at once: a learner who studied the rest would only then hear of the extra
            _library()
            missing = ""
        except UsageError:
            missing = "; it also needs the optional FSRS optimizer: pip install 'dlcards[optimize]'"
        raise UsageError(
            f"too few reviews to fit FSRS: {plural(len(items), 'review')} of cards seen before, "
            f"{counted(minimum)} needed; study {counted(minimum - len(items))} more and run it "
            f"again{missing}"
        )
    lib = _library()
    fitted = lib.FSRS(list(default)).compute_parameters(_items(lib, items), enable_short_term=False)
    parameters = tuple(round(float(w), 4) for w in fitted)
    on_default = evaluate(default, items)
    same = tuple(current) == tuple(default)
    return Fit(
        reviews=len(items),
        cards=sum(1 for h in histories.values() if len(h) > 1),
        default=on_default,
        current=None if same else evaluate(current, items),
        fitted=evaluate(parameters, items),
        parameters=parameters,
    )
