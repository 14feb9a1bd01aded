"""`dlcards optimize`: fit FSRS to your own reviews, evaluate as Anki does, keep what is better.

The fit and the evaluation are `dlcards.optimize`; the parameters are the `fsrs_parameters`
setting, which every FSRS computation reads (`Schedule.from_settings`), so they hold through
every later import and scheduler switch. Setting them while FSRS is active rebuilds every
card's FSRS state from its log with them.
"""

from __future__ import annotations

from typing import Any

import typer

from dlcards.commands.common import opened_store
from dlcards.commands.options import DbOption, JsonOption


def optimize(
    dry_run: bool = typer.Option(
        False, "--dry-run", help="Fit and report only; keep the current parameters."
    ),
    db: str | None = DbOption,
    json_: bool = JsonOption,
) -> None:
    """Fit FSRS's parameters to your review log and keep them if they predict it better.

    Reports log loss and RMSE (bins) of the default, current and fitted parameters on the
    same reviews, as Anki's "Evaluate" does; lower is better. Needs the optional optimizer:
    pip install 'dlcards[optimize]'.
    """
    from dlcards.commands.config import change
    from dlcards.console import comparison, echo, out, plural, print_json
    from dlcards.optimize import fit
    from dlcards.settings import DEFAULT_FSRS_PARAMETERS, parameters_text
    from dlcards.terminal import saved_once_committed, stops_as_ctrl_c

    # `kill` or a closed terminal ends it as Ctrl-C does (the database closed, `config`),
    # saying in one line whether fitted parameters were kept (it ended with exit 143 and not
    # a word); a --dry-run changes nothing and ends as a killed `ls` does
    unsaved = None if dry_run else "stopped: nothing was changed (fsrs_parameters as it was)"
    with stops_as_ctrl_c(unsaved=unsaved), opened_store(db) as store:
        settings = store.settings()
        histories = store.histories()
        result = fit(histories, settings.fsrs_parameters, DEFAULT_FSRS_PARAMETERS)
        baseline = result.current or result.default
        better = result.fitted.better_than(baseline)
        kept = better and not dry_run
        rebuilt = None
        if kept:
            fitted = parameters_text(result.parameters)
            _, rebuilt = saved_once_committed(
                lambda: change(store, "fsrs_parameters", fitted),
                lambda done: (
                    "stopped: the fitted parameters are kept as fsrs_parameters (saved"
                    + ("" if done[1] is None else f"; FSRS rebuilt {plural(done[1], 'card')}")
                    + ")"
                ),
            )
        scheduler = settings.scheduler

    def ev(e: Any) -> dict[str, float] | None:
        return (
            None
            if e is None
            else {"log_loss": round(e.log_loss, 5), "rmse_bins": round(e.rmse_bins, 5)}
        )

    data: dict[str, Any] = {
        "reviews": result.reviews,
        "cards": result.cards,
        "default": ev(result.default),
        "current": ev(result.current),
        "fitted": ev(result.fitted),
        "parameters": list(result.parameters),
        "better": better,
        "kept": kept,
        "dry_run": dry_run,
        "rebuilt": rebuilt,
    }
    if json_:
        print_json(data)
        return
    console = out()
    echo(
        f"Fitted FSRS-6 to {plural(result.reviews, 'review')} of {plural(result.cards, 'card')} "
        "(evaluated on the same reviews, as Anki's Evaluate; lower is better):"
    )
    rows = [("default", result.default)]
    if result.current is not None:
        rows.append(("current (fitted before)", result.current))
    rows.append(("fitted now", result.fitted))
    shown = [(name, [f"{e.log_loss:.4f}", f"{e.rmse_bins:.2%}"]) for name, e in rows]
    console.print(comparison(["log loss", "RMSE (bins)"], shown, console.width, "parameters"))
    if not better:
        echo("The fitted parameters are no better than the current ones, which are kept.")
    elif dry_run:
        echo("They are better; --dry-run: nothing changed (run without it to keep them).")
    else:
        where = (
            f"; FSRS rebuilt the state of {plural(rebuilt, 'card')} with them"
            if rebuilt is not None
            else f" (used by FSRS; the active scheduler is {scheduler}: "
            "`dlcards config scheduler fsrs` to use it)"
        )
        echo(f"Kept: the fitted parameters are now the fsrs_parameters setting{where}.")
