"""Quick commands never import the heavy libraries (STYLE.md, practice 8).

Each command runs the CLI in a fresh interpreter, in-process, against a database that is
already synced with unchanged decks (the everyday case), and reports which heavy modules got
imported. numpy, sqlite-utils, genanki, PyYAML and fsrs are for the commands that need them;
pylatexenc renders LaTeX, so only `show` and `list` (which print card text) may load it. Nor
is the deck reader (dlcards.yamlload, its patterns ~2 ms) imported when no deck is parsed, nor
the statistics (dlcards.stats) by a command that shows none.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

HEAVY = {"numpy", "sqlite_utils", "genanki", "yaml", "fsrs", "pylatexenc"}
RENDERS_LATEX = {"show", "list"}

PROBE = """
import json, sys
watch = set(json.loads(sys.argv[2]))
sys.argv = ["dlcards", *json.loads(sys.argv[1])]
from dlcards.cli import app
code = 0
try:
    app()
except SystemExit as exit:
    code = exit.code or 0
heavy = sorted({m.split(".")[0] for m in sys.modules} & watch)
commands = sorted(m.split(".")[2] for m in sys.modules if m.startswith("dlcards.commands."))
sys.stdout.flush()
reader = "dlcards.yamlload" in sys.modules
stats = "dlcards.stats" in sys.modules
result = {"code": code, "heavy": heavy, "commands": commands, "reader": reader, "stats": stats}
print("\\n@@probe " + json.dumps(result))
"""

COMMANDS = [["--version"], ["topics"], ["list"], ["show", "gd-23"], ["due"]]
# dlcards.commands modules each may import: its own, and the shared options
MODULES = {"--version": set(), "topics": {"browse"}, "list": {"browse"}, "show": {"browse"}}
MODULES["due"] = {"progress"}
SHARED = {"common", "options", "run"}  # run: the bodies the fast path shares (dlcards.quick)


@pytest.fixture(scope="module")
def synced_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """A database synced once with the built-in decks, its deck cache warm."""
    tmp = tmp_path_factory.mktemp("lazy")
    env = {k: v for k, v in os.environ.items() if not k.startswith("DLCARDS_")}
    env.update(
        DLCARDS_DB=str(tmp / "progress.db"),
        DLCARDS_CACHE_DIR=str(tmp / "cache"),
        DLCARDS_TODAY="2026-11-26",
        NO_COLOR="1",
        COLUMNS="120",
    )
    for warm in (["due"], ["topics"]):  # sync the database, then fill the deck cache
        # the same working directory as the probes, so the same dlcards (and decks) is imported
        done = subprocess.run(
            [sys.executable, "-m", "dlcards", *warm],
            env=env,
            cwd=tmp,
            capture_output=True,
            text=True,
        )
        assert done.returncode == 0, done.stderr
    return env


def probe(args: list[str], env: dict[str, str], cwd: Path) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, "-c", PROBE, json.dumps(args), json.dumps(sorted(HEAVY))],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    result: dict[str, Any] = json.loads(done.stdout.rsplit("@@probe ", 1)[-1])
    return result


@pytest.mark.parametrize("args", COMMANDS, ids=[" ".join(c) for c in COMMANDS])
def test_quick_command_imports_no_heavy_library(
    args: list[str], synced_env: dict[str, str], tmp_path: Path
) -> None:
    result = probe(args, synced_env, tmp_path)
    assert result["code"] == 0
    allowed = {"pylatexenc"} if args[0] in RENDERS_LATEX else set()
    assert set(result["heavy"]) <= allowed, f"dlcards {' '.join(args)} imported {result['heavy']}"
    assert not result["reader"], "the deck reader, with every deck in the cache"
    # nor the statistics (their dataclasses, ~14 ms): the store's tally shares only its bins
    assert not result["stats"], "dlcards.stats"


@pytest.mark.parametrize("args", COMMANDS, ids=[" ".join(c) for c in COMMANDS])
def test_quick_command_imports_only_its_own_command_module(
    args: list[str], synced_env: dict[str, str], tmp_path: Path
) -> None:
    """The CLI loads a command's module when that command runs, not every command's."""
    result = probe(args, synced_env, tmp_path)
    assert set(result["commands"]) <= MODULES[args[0]] | SHARED, result["commands"]


def test_the_probe_sees_heavy_imports(synced_env: dict[str, str], tmp_path: Path) -> None:
    """The probe itself works: a command that parses YAML (a changed deck) does import yaml."""
    env = {**synced_env, "DLCARDS_CACHE_DIR": str(tmp_path / "empty-cache")}
    result = probe(["topics"], env, tmp_path)
    assert result["code"] == 0
    assert "yaml" in result["heavy"]
    assert result["reader"]


def test_doctor_on_a_small_log_replays_without_numpy(
    synced_env: dict[str, str], tmp_path: Path
) -> None:
    """`doctor` replays a log of fewer than 10,000 reviews card by card: NumPy's import alone
    took longer (0.27 -> 0.12 CPU s for `doctor --check` on the built-in decks)."""
    result = probe(["doctor", "--check"], synced_env, tmp_path)
    assert result["code"] == 0
    assert "numpy" not in result["heavy"], result["heavy"]
