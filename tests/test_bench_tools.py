"""bench/undo_model.py, the model checker of `dlcards undo`, runs clean on a few rounds (an
Anki package imported among them), lands its kills inside the transaction, and catches a
deliberately wrong undo (one that takes back the second-newest thing); its model's
expectations after an `import anki`, fed snapshots by hand, fail on the wrong outcome."""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

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
    if importlib.util.find_spec("anki") is not None:  # a package made and imported
        assert "packages exported and answered in Anki: 1 " in done.stdout, done.stdout
        assert "'import': " in done.stdout, done.stdout


def test_undo_model_catches_an_undo_of_the_second_newest(tmp_path: Path) -> None:
    done = _run(tmp_path, "--rounds", "6", "--seed", "1", "--kill", "0", "--die-p", "0", wrong=True)
    assert done.returncode == 1, done.stdout[-3000:] + done.stderr[-2000:]
    assert "but the top was" in done.stdout
    assert "replay: python bench/undo_model.py --seed 1 --rounds" in done.stdout


def test_undo_model_lands_its_kills_inside_the_transaction(tmp_path: Path) -> None:
    """Every process marked for a kill: those held before their first COMMIT by the shim get
    the signal in that wait, and die of it (before, commands ended in ~0.2 s and most kill
    moments came after the end)."""
    done = _run(tmp_path, "--rounds", "6", "--seed", "2", "--kill", "1", "--die-p", "0")
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    landed = re.search(r"of them ended by the signal: (\{.*?\})", done.stdout)
    assert landed is not None, done.stdout
    assert "'in the transaction': " in landed.group(1), done.stdout


# --- the model's expectations after an `import anki`, fed snapshots by hand -------------------


def _model() -> Any:
    spec = importlib.util.spec_from_file_location("undo_model", TOOL)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["undo_model"] = module
    spec.loader.exec_module(module)
    return module.Model()


class Log:
    """Snapshots as bench/undo_shim.py notes them, one commit at a time."""

    def __init__(self) -> None:
        self.model = _model()
        self.state: dict[str, Any] = {
            "grades": [],
            "imported": [],
            "acts": [],
            "marks": {},
            "flags": {},
            "recs": [],
        }
        self.tok = 0

    def commit(self, *argv: str, **changes: Any) -> list[str]:
        self.tok += 1
        self.state = {**self.state, **changes}
        event = {"tok": self.tok, "pid": 1, "argv": list(argv), **self.state}
        return list(self.model.step(event))


SUSPEND = [7, "suspend", '[["gd-1", [0, null], [1, 100]]]']


def test_an_action_whose_flag_an_import_changed_is_dropped_not_taken_back() -> None:
    log = Log()
    assert log.commit("suspend", "gd-1", acts=[SUSPEND], flags={"gd-1": [1, 0]}) == []
    assert log.commit("import", "anki", "p.apkg", flags={}) == []  # unsuspended in Anki
    # dropped, its card left as the import made it: what undo must do
    assert log.commit("undo", acts=[]) == []
    assert log.model.refusals == 1
    log = Log()
    log.commit("suspend", "gd-1", acts=[SUSPEND], flags={"gd-1": [1, 0]})
    log.commit("import", "anki", "p.apkg", flags={})
    log.commit("suspend", "gd-2", acts=[SUSPEND], flags={"gd-1": [1, 0]})  # the import's kept
    wrong = log.commit("undo", acts=[], flags={})  # taken back over the import's change
    assert any("over an import's change of ['gd-1']" in p for p in wrong), wrong


def test_an_action_no_import_changed_is_taken_back_to_its_flags_before() -> None:
    log = Log()
    log.commit("suspend", "gd-1", acts=[SUSPEND], flags={"gd-1": [1, 0]})
    wrong = log.commit("undo", acts=[])  # dropped, gd-1 left suspended
    assert any("are not as before it" in p for p in wrong), wrong
    log = Log()
    log.commit("suspend", "gd-1", acts=[SUSPEND], flags={"gd-1": [1, 0]})
    assert log.commit("undo", acts=[], flags={}) == []


def test_an_import_that_brings_back_a_grade_undo_took_back_is_a_mismatch() -> None:
    log = Log()
    log.commit("study", grades=[[5, "gd-1", 4, 1_000]])
    assert log.commit("undo", grades=[]) == []
    wrong = log.commit("import", "anki", "p.apkg", imported=[[6, "gd-1", 1_000, 1_000]])
    assert any("brought back grade 5 on gd-1" in p for p in wrong), wrong
    log = Log()
    log.commit("study", grades=[[5, "gd-1", 4, 1_000]])
    log.commit("undo", grades=[])
    assert log.commit("import", "anki", "p.apkg", imported=[[6, "gd-1", 2_000, 2_000]]) == []


def test_a_reset_undone_puts_back_only_its_cards_no_import_answered_since() -> None:
    def reset_then_import(at: int) -> Log:
        log = Log()
        marks = {"gd-1": [500, 3], "gd-2": [500, 3]}
        log.commit("reset", "--topic", "gd", marks=marks, recs=[[500, 3]])
        log.commit("import", "anki", "p.apkg", imported=[[4, "gd-1", at, at]])
        return log

    log = reset_then_import(at=600)  # answered in Anki after the reset
    both = log.commit("undo", marks={})
    assert any("expected ['gd-2']" in p for p in both), both
    log = reset_then_import(at=600)
    assert log.commit("undo", marks={"gd-1": [500, 3]}) == []
    log = reset_then_import(at=400)  # answered before the reset: it stays before it
    assert log.commit("undo", marks={}) == []
    log = reset_then_import(at=600)  # gd-2 still as the reset left it: not to be dropped
    dropped = log.commit("undo", recs=[])
    assert any("which no import answered all of since" in p for p in dropped), dropped
