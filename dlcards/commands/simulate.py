"""`dlcards simulate`: a simulated learner studies with each scheduler; results side by side.

Registered by the main app as `app.command("simulate")(simulate)`. The simulation itself is
`dlcards.simulate` (pure NumPy); this module parses options, calls it and renders. Bad values
are raised as UsageError, which the CLI turns into one `error: ...` line and exit code 2.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import typer

from dlcards.commands.options import JsonOption

if TYPE_CHECKING:
    from dlcards.simulate import SchedulerResult, Simulation

SPARK = "▁▂▃▄▅▆▇█"
LEARNER_NOTES = {
    "fsrs": "FSRS-6 memory with per-card stability and difficulty",
    "hlr": "half-life regression, p = 2^(-t/h), per-card gain",
}


def simulate(
    days: int = typer.Option(365, "--days", help="Days to simulate.", metavar="N"),
    cards: int = typer.Option(1000, "--cards", help="Cards in the simulated deck.", metavar="N"),
    new_per_day: int = typer.Option(
        20, "--new-per-day", help="New cards introduced a day.", metavar="N"
    ),
    schedulers: str = typer.Option(
        "sm2,fsrs",
        "--schedulers",
        help="Comma-separated schedulers to compare: sm2, fsrs.",
        metavar="LIST",
    ),
    retention: float = typer.Option(
        0.9, "--retention", help="FSRS desired retention, 0.70 to 0.99.", metavar="R"
    ),
    learner: str = typer.Option(
        "fsrs",
        "--learner",
        help="The simulated memory: fsrs (FSRS-6) or hlr (half-life).",
        metavar="NAME",
    ),
    seed: int = typer.Option(
        0, "--seed", help="Random seed; the same seed, the same numbers.", metavar="SEED"
    ),
    json_: bool = JsonOption,
) -> None:
    """Simulate a learner studying with each scheduler and compare workload and recall.

    The learner is a memory model with per-card variation, not your memory. It grades
    honestly from its true recall; every due card is reviewed each day, then new cards.

    Example: dlcards simulate --learner hlr --seed 1
    """
    from dlcards import simulate as sim

    config = sim.Config(
        days=days,
        cards=cards,
        new_per_day=new_per_day,
        schedulers=sim.parse_schedulers(schedulers),
        retention=retention,
        learner=learner,
        seed=seed,
    )
    result = sim.simulate(config)
    if json_:
        from dlcards.console import print_json

        print_json(result.to_dict())
    else:
        _print(result)


def sparkline(values: Sequence[float], top: float) -> str:
    """One block character per value, scaled so that `top` is a full block; 0 is a space."""
    chars = []
    for value in values:
        if value <= 0 or top <= 0:
            chars.append(" ")
        else:
            level = min(len(SPARK) - 1, int(value / top * (len(SPARK) - 1) + 0.5))
            chars.append(SPARK[level])
    return "".join(chars)


def bucket_means(values: Sequence[int], width: int) -> tuple[list[float], int]:
    """Means over runs of `size` consecutive days so that at most `width` columns remain."""
    size = max(1, -(-len(values) // max(1, width)))
    means = [
        sum(values[i : i + size]) / len(values[i : i + size]) for i in range(0, len(values), size)
    ]
    return means, size


def _label(result: SchedulerResult, retention: float) -> str:
    return f"fsrs @ {retention:.2f}" if result.scheduler == "fsrs" else result.scheduler


def _print(result: Simulation) -> None:
    from rich.text import Text

    from dlcards.console import comparison, counted, out, plural
    from dlcards.lite import GLUE
    from dlcards.simulate import KNOWN_RECALL

    console = out()
    config = result.config
    runs = result.results
    console.print(
        Text.assemble(
            ("Simulated ", "bold"),
            f"{plural(config.days, 'day')}, {plural(config.cards, 'card')}, "
            f"{counted(config.new_per_day)} new a day; ",
            ("learner ", "bold"),
            # a label and its number on one line (GLUE): `seed` ended a line, `0` began one
            f"{config.learner} ({LEARNER_NOTES[config.learner]}); seed{GLUE}{config.seed}",
        )
    )
    console.print()

    names = [_label(run, config.retention) for run in runs]
    rows = [
        ("total reviews", [counted(r.total_reviews) for r in runs]),
        ("reviews per day, mean", [f"{r.total_reviews / config.days:,.1f}" for r in runs]),
        ("reviews on the busiest day", [counted(max(r.reviews_per_day)) for r in runs]),
        (
            "true recall at review, mean",
            [_fmt(r.mean_true_recall_at_review, "{:.3f}") for r in runs],
        ),
        (
            f"known at end (recall ≥ {KNOWN_RECALL:.2f})",
            [f"{counted(r.known_at_end)} / {counted(r.introduced)}" for r in runs],
        ),
        ("reviews per card known", [_fmt(r.reviews_per_known, "{:.1f}") for r in runs]),
    ]
    console.print(comparison(names, rows, console.width, style="cyan"))
    console.print()
    _print_load(result, console)


def _print_load(result: Simulation, console: Any) -> None:
    """Reviews per day as one sparkline per scheduler, and the caveats."""
    from rich.text import Text

    config = result.config
    runs = result.results
    width = max(10, min(console.width - 20, 90))
    series = [bucket_means(r.reviews_per_day, width) for r in runs]
    size = series[0][1]
    top = max(max(means) for means, _ in series)
    from dlcards.console import counted
    from dlcards.lite import GLUE

    unit = "day" if size == 1 else f"{counted(size)}{GLUE}days"
    # a number and its unit on one line (GLUE): `full block = 71 a` ended a line at 60 columns
    per_day = f"{counted(round(top))}{GLUE}a{GLUE}day"
    console.print(Text(f"Reviews per day (one column per {unit}; full block = {per_day})", "bold"))
    name_width = max(len(_label(r, config.retention)) for r in runs)
    for run, (means, _) in zip(runs, series, strict=True):
        console.print(
            Text.assemble(
                f"  {_label(run, config.retention):<{name_width}}  ",
                (sparkline(means, top), "cyan"),
            )
        )
    span = len(series[0][0])
    first, last = "day 1", f"day {counted(config.days)}"
    gap = max(1, span - len(first) - len(last))
    console.print(Text(f"  {'':<{name_width}}  {first}{' ' * gap}{last}", "dim"))
    console.print()
    console.print(
        Text(
            "Reviews include each card's first look; recall at review is over scheduled reviews "
            "only; known = true recall the day after the last day. A model, not your memory.",
            "dim",
        )
    )


def _fmt(value: float | None, pattern: str) -> str:
    return "-" if value is None else pattern.replace("{:", "{:,").format(value)
