"""The baseline for cold-start ratios: the smallest typer app that does what `--version` does.

`python bench/baseline_app.py` prints one line and exits; `bench/run.py` times it next to the
dlcards commands, so every ratio it reports is against the cost of Python plus typer itself.
"""

from __future__ import annotations

import typer

app = typer.Typer(add_completion=False)


@app.command()
def hello(name: str = typer.Option("world", help="Who to greet.")) -> None:
    """Print one line."""
    typer.echo(f"hello {name}")


if __name__ == "__main__":
    app()
