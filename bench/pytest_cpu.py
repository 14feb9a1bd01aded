"""Each test's CPU time, for finding what makes the suite slow (bench/HISTORY.md).

    PYTHONPATH=bench python -m pytest -p pytest_cpu     # writes one JSON file per worker
    python bench/pytest_cpu.py                          # the files, tests and bands by CPU

Around each test (setup, call and teardown) it takes `getrusage` of the worker process and of
its waited-for children, and the wall time. Each xdist worker writes its rows to
`$PYTEST_CPU_DIR` (default: `pytest-cpu` in the temporary folder) when the session ends."""

from __future__ import annotations

import json
import os
import resource
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

_rows: list[tuple[str, float, float, float]] = []


def _folder() -> Path:
    return Path(os.environ.get("PYTEST_CPU_DIR") or Path(tempfile.gettempdir()) / "pytest-cpu")


def _cpu() -> tuple[float, float]:
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime, children.ru_utime + children.ru_stime


def pytest_sessionstart(session: Any) -> None:
    if "PYTEST_XDIST_WORKER" not in os.environ:  # the controller: an earlier run's rows out
        folder = _folder()
        folder.mkdir(parents=True, exist_ok=True)
        for old in folder.glob("*.json"):
            old.unlink()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None) -> Iterator[None]:
    """(Called only where the test runs: an xdist controller runs none.)"""
    own, children = _cpu()
    wall = time.perf_counter()
    yield
    own_now, children_now = _cpu()
    _rows.append((item.nodeid, own_now - own, children_now - children, time.perf_counter() - wall))


def pytest_sessionfinish(session: Any) -> None:
    if _rows:
        folder = _folder()
        folder.mkdir(parents=True, exist_ok=True)
        name = os.environ.get("PYTEST_XDIST_WORKER", "main")
        (folder / f"{name}.json").write_text(json.dumps(_rows), encoding="utf-8")


def report(folder: Path, top: int = 25) -> str:
    """The files and tests by CPU, and how the CPU falls into bands of a test's time."""
    rows: list[tuple[str, float, float, float]] = []
    for file in sorted(folder.glob("*.json")):
        rows += [tuple(r) for r in json.loads(file.read_text(encoding="utf-8"))]
    if not rows:
        return f"no rows in {folder}: run the suite with -p pytest_cpu first"
    lines = [
        f"{len(rows)} tests: {sum(r[1] for r in rows):.0f} CPU s in the workers, "
        f"{sum(r[2] for r in rows):.0f} in their children"
    ]
    by_file: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0, 0.0])
    for node, own, children, _ in rows:
        tally = by_file[node.split("::")[0]]
        tally[0] += own
        tally[1] += children
        tally[2] += 1
    lines.append("\nCPU s (own + children)  tests  file")
    files = sorted(by_file.items(), key=lambda x: -x[1][0] - x[1][1])
    for name, (own, children, n) in files[:top]:
        lines.append(f"{own + children:8.1f} ({own:6.1f} + {children:6.1f}) {n:5.0f}  {name}")
    lines.append("\nCPU s  test")
    for node, own, children, _ in sorted(rows, key=lambda r: -r[1] - r[2])[:top]:
        lines.append(f"{own + children:6.1f}  {node}")
    lines.append("\nCPU of a test      tests   CPU s")
    low = 0.0
    for high in (0.01, 0.03, 0.1, 0.3, 1.0, 3.0, float("inf")):
        band = [r[1] + r[2] for r in rows if low <= r[1] + r[2] < high]
        lines.append(f"{low:5} - {high:<5}  {len(band):7d} {sum(band):7.1f}")
        low = high
    return "\n".join(lines)


if __name__ == "__main__":
    print(report(Path(sys.argv[1]) if len(sys.argv) > 1 else _folder()))
