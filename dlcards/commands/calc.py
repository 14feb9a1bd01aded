"""`dlcards calc`: run one engine computation from `key=value` arguments and show its steps.

Registered by the main app as `app.command("calc")(calc)`. Errors are raised as UsageError,
which the CLI's main turns into one `error: ...` line and exit code 2.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer

from dlcards.errors import UsageError, quoted

if TYPE_CHECKING:
    from dlcards import engine


def calc(
    name: str | None = typer.Argument(None, help="Computation name, e.g. huber.", metavar="[NAME]"),
    assignments: list[str] | None = typer.Argument(
        None,
        help="Its arguments as key=value; a list comma-separated: probs=0.1,0.7,0.2.",
        metavar="[KEY=VALUE]...",
    ),
    list_: bool = typer.Option(False, "--list", help="List the computations and their parameters."),
    json_: bool = typer.Option(False, "--json", help="Print {name, args, value, steps} as JSON."),
) -> None:
    """Compute a deep-learning formula with NumPy and show the worked steps.

    Example: dlcards calc huber error=100 delta=1
    """
    from dlcards import engine  # the registry loads only when calc runs

    _refuse_options([name] if name is not None else [], assignments or [])
    if list_:
        comps = [engine.get(name)] if name else list(engine.REGISTRY.values())
        if assignments:
            raise UsageError("--list takes no key=value arguments")
        if json_:
            from dlcards.console import print_json

            print_json([_describe(c) for c in comps])
        else:
            print_list(comps)
        return
    if name is None:
        raise UsageError(
            "name a computation, e.g. `dlcards calc huber error=100`; see `dlcards calc --list`"
        )
    comp = engine.get(name)
    result = engine.run(comp.name, parse_assignments(comp, assignments or []))
    if json_:
        from dlcards.console import print_json

        print_json(result.to_dict())
    else:
        _print_result(comp, result)


def _is_number(word: str) -> bool:
    try:
        float(word)
    except ValueError:
        return False
    return True


def _refuse_options(names: list[str], assignments: list[str]) -> None:
    """Unknown options reach calc as words (`ignore_unknown_options`, so that a value such as
    `-1` is not taken for one: `calc sigmoid -1` said "No such option: -1" and a help line):
    a word before `--` that starts with `-` and is not a number is a mistyped option."""
    from dlcards.cli import after_dashes

    words = [*names, *assignments]
    for word in words[: len(words) - after_dashes()]:
        if word.startswith("-") and len(word) > 1 and "=" not in word and not _is_number(word):
            from dlcards.usage import unknown_option_here

            raise UsageError(unknown_option_here(word, "calc takes key=value arguments"))


def parse_assignments(comp: engine.Computation, assignments: list[str]) -> dict[str, str]:
    """`["error=100", "delta=1"]` -> `{"error": "100", "delta": "1"}`; values stay text. A
    bare value for a computation of one parameter is refused with the assignment meant
    (`calc sigmoid -1`: "did you mean z=-1?")."""
    args: dict[str, str] = {}
    for item in assignments:
        key, sep, value = item.partition("=")
        key = key.strip()
        if not sep and key and len(comp.params) == 1:
            raise UsageError(
                f"calc takes key=value arguments: did you mean {comp.params[0].name}={key}?"
            )
        if not sep or not key:
            raise UsageError(
                f"calc takes key=value arguments, got {quoted(item)}; usage: {comp.usage()}"
            )
        if not value.strip():
            raise UsageError(f"{key} has no value; usage: {comp.usage()}")
        if key in args:
            raise UsageError(f"{key} is given twice")
        args[key] = value
    return args


def _describe(comp: engine.Computation) -> dict[str, object]:
    return {
        "name": comp.name,
        "params": [
            {"name": p.name, "kind": p.kind, "default": p.default, "choices": list(p.choices)}
            for p in comp.params
        ],
        "formula": comp.formula,
        "summary": comp.summary,
    }


def print_list(comps: list[engine.Computation]) -> None:
    from rich.table import Table
    from rich.text import Text

    from dlcards.console import as_shown, out, wrap_tokens
    from dlcards.flow import wrap

    # Widths are chosen here and cells wrapped between tokens (after `, ` or `|` in the
    # parameters; formulas by dlcards.flow, kept together when they fit), so no name or
    # formula breaks mid-token. Measured as the terminal shows them (`as_shown`): measured as
    # written, σ (one cell) was printed `sigma` under LC_ALL=C and the cell was cut short
    # (`at mo...`, words lost) or its line wrapped to the left edge.
    width = out().width
    rows = [
        (c.name, as_shown(", ".join(p.describe() for p in c.params) or "-"), as_shown(c.formula))
        for c in comps
    ]
    name_w = max(len(name) for name, _, _ in [("name", "", ""), *rows])
    rest = max(width - name_w - 4, 20)  # two spaces between columns
    params_w = min(
        max(len(p) for _, p, _ in [("", "parameters", ""), *rows]), max(rest * 2 // 5, 12)
    )
    formula_w = max(rest - params_w, 8)
    if formula_w < 24:  # too narrow for three columns: name and parameters, then the formula
        for name, params, formula in rows:
            # within width - 2: the lines after the first are indented by two
            head = wrap_tokens(f"{name} {params}", width - 2, breaks=",|")
            out().print(Text(head[0][: len(name)], style="cyan") + Text(head[0][len(name) :]))
            for line in head[1:] + wrap(formula, width - 2):
                out().print(Text("  " + line))
        return
    table = Table(box=None, pad_edge=False, show_edge=False, header_style="bold")
    table.add_column("name", style="cyan", no_wrap=True, width=name_w)
    table.add_column("parameters", no_wrap=True, width=params_w)
    table.add_column("formula", no_wrap=True, width=formula_w)
    for name, params, formula in rows:
        # Text, not markup: formulas contain brackets such as probs[target].
        table.add_row(
            Text(name),
            Text("\n".join(wrap_tokens(params, params_w, breaks=",|"))),
            Text("\n".join(wrap(formula, formula_w))),
        )
    out().print(table)


def _print_result(comp: engine.Computation, result: engine.Result) -> None:
    from rich.cells import cell_len
    from rich.padding import Padding
    from rich.table import Table
    from rich.text import Text

    from dlcards.console import as_shown, out
    from dlcards.engine import fmt
    from dlcards.flowtext import flowing

    console = out()

    args = ", ".join(f"{k}={fmt(v)}" for k, v in result.args.items())
    head = Text.assemble((comp.name, "bold cyan"), "  ", (comp.formula, "dim"))
    # measured as shown: under LC_ALL=C softmax's heading is 61 cells spelled, 57 written
    if cell_len(as_shown(head.plain)) <= console.width:
        console.print(head)
    else:  # the formula on lines of its own under the name, cut between whole terms (beside
        # the name, at 40 columns, `perceptron_train  repeat: for each (x,` ended a line)
        console.print(Text(comp.name, style="bold cyan"))
        console.print(Padding(flowing(comp.formula, "dim"), (0, 0, 0, 2)))
    console.print(flowing(Text.assemble("  ", (args, "italic"))))
    lines = result.display_lines
    # wrapped as the steps are, under their own text: rich's wrap of a plain Text went on at
    # the left edge (a softmax of 12 values at 60 columns, `5.764 × 10⁻⁴, …` under `softmax`)
    values = Table.grid(padding=(0, 1))
    if len(lines) > 1:  # several named values: one labelled line each
        values.add_column(overflow="fold")
        for line in lines:
            values.add_row(flowing(line, "bold green"))
    else:
        values.add_column(no_wrap=True)
        values.add_column(overflow="fold")
        values.add_row("=", flowing(lines[0], "bold green"))
    console.print(Padding(values, (0, 0, 0, 2)))
    console.print()
    # A grid, so that a long step wraps under its own text rather than under its number.
    steps = Table.grid(padding=(0, 1))
    steps.add_column(style="dim", justify="right", no_wrap=True)
    steps.add_column(overflow="fold")
    for i, step in enumerate(result.steps, start=1):
        steps.add_row(f"{i}.", flowing(step))
    console.print(Padding(steps, (0, 0, 0, 2)))


# A value such as "-1" is an argument to check, not an unknown option.
calc.context_settings = {"ignore_unknown_options": True}  # type: ignore[attr-defined]
