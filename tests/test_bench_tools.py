"""bench/undo_model.py, the model checker of `dlcards undo`, runs clean on a few rounds, and
catches a deliberately wrong undo (one that takes back the second-newest thing)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TOOL = ROOT / "bench" / "undo_model.py"


def _run(tmp_path: Path, *args: str, wrong: bool = False) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("UNDO_MODEL_")}
    if wrong:
        env["UNDO_MODEL_WRONG"] = "1"
    return subprocess.run(
        [sys.executable, str(TOOL), "--work", str(tmp_path / "w"), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_undo_model_finds_no_mismatch_on_a_few_rounds(tmp_path: Path) -> None:
    done = _run(tmp_path, "--rounds", "8", "--seed", "3")
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert "mismatches: 0 in 0 rounds" in done.stdout
    assert "undo commits checked: 0;" not in done.stdout  # it did check some undos


def test_undo_model_catches_an_undo_of_the_second_newest(tmp_path: Path) -> None:
    done = _run(tmp_path, "--rounds", "6", "--seed", "1", "--kill", "0", "--die-p", "0", wrong=True)
    assert done.returncode == 1, done.stdout[-3000:] + done.stderr[-2000:]
    assert "but the top was" in done.stdout
    assert "replay: python bench/undo_model.py --seed 1 --rounds" in done.stdout
