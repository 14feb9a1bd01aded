"""Time commands against each other, interleaved: each round runs every command once, in turn,
so a machine whose speed drifts (a shared virtual machine) slows them alike.

    python bench/interleave.py 40 "old=/tmp/venv-old/bin/dlcards due --count" \\
        "new=.venv/bin/dlcards due --count" "typer=.venv/bin/python bench/baseline_app.py"

Each command is `label=command line` (split as a shell would, not run by one); its output is
thrown away. Prints, per command, the median CPU time (user + system, of the child) and wall
time, and each as a ratio to the first command's. How this round's before/after figures in the
README and the commit messages were measured.
"""

from __future__ import annotations

import argparse
import os
import shlex
import statistics
import subprocess
import time
from collections.abc import Sequence


def measure(
    commands: Sequence[tuple[str, list[str]]], rounds: int
) -> dict[str, tuple[float, float]]:
    """Each label's median (cpu, wall) seconds over `rounds` interleaved rounds."""
    cpu: dict[str, list[float]] = {label: [] for label, _ in commands}
    wall: dict[str, list[float]] = {label: [] for label, _ in commands}
    for _ in range(rounds):
        for label, argv in commands:
            start = time.perf_counter()
            child = subprocess.Popen(argv, stdout=subprocess.DEVNULL)
            _, status, usage = os.wait4(child.pid, 0)
            child.returncode = os.waitstatus_to_exitcode(status)  # reaped here, not by Popen
            wall[label].append(time.perf_counter() - start)
            cpu[label].append(usage.ru_utime + usage.ru_stime)
    return {label: (statistics.median(cpu[label]), statistics.median(wall[label])) for label in cpu}


def report(medians: dict[str, tuple[float, float]]) -> str:
    """One line per command: its medians in ms and their ratios to the first command's."""
    base_cpu, base_wall = next(iter(medians.values()))
    width = max(len(label) for label in medians)
    return "\n".join(
        f"{label:{width}s}: cpu {c * 1000:6.1f} ms ({c / base_cpu:.3f})  "
        f"wall {w * 1000:6.1f} ms ({w / base_wall:.3f})"
        for label, (c, w) in medians.items()
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("rounds", type=int, help="how many times each command runs")
    parser.add_argument("commands", nargs="+", help="label=command line")
    args = parser.parse_args(argv)
    commands = []
    for given in args.commands:
        label, eq, line = given.partition("=")
        if not eq or not label or not line.strip():
            parser.error(f"not label=command: {given!r}")
        commands.append((label, shlex.split(line)))
    print(report(measure(commands, max(args.rounds, 1))))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
