"""The command line as a whole: help everywhere, version, `python -m`, the installed wheel."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import helpers as h
import pytest
from typer.testing import CliRunner

from dlcards import __version__
from dlcards.cli import app

runner = CliRunner()


def commands() -> list[list[str]]:
    import typer.main

    group = typer.main.get_command(app)
    out: list[list[str]] = []
    for name, cmd in group.commands.items():  # type: ignore[attr-defined]
        sub = getattr(cmd, "commands", None)
        if sub:
            out += [[name, s] for s in sub]
        out.append([name])
    return out


def test_every_command_has_help_text() -> None:
    names = commands()
    assert {
        "study",
        "due",
        "stats",
        "topics",
        "list",
        "show",
        "calc",
        "check",
        "quiz",
        "config",
        "simulate",
    } <= {n[0] for n in names}
    for name in names:
        result = runner.invoke(app, [*name, "--help"])
        assert result.exit_code == 0, name
        body = result.output.split("Options:")[0]
        assert len(body.split("\n", 2)[-1].strip()) > 10, f"{name} has no help text"


def test_version() -> None:
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0 and result.output.strip() == f"dlcards {__version__}"


def test_python_dash_m(tmp_path: Path) -> None:
    out = subprocess.run(
        [sys.executable, "-m", "dlcards", "--version"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout.strip() == f"dlcards {__version__}"


def test_unknown_command_and_option_exit_2() -> None:
    assert runner.invoke(app, ["studdy"]).exit_code == 2
    assert runner.invoke(app, ["topics", "--colour"]).exit_code == 2


def test_show_unknown_id_suggests() -> None:
    result = runner.invoke(app, ["show", "gd-230"])
    assert result.exit_code == 2
    assert result.output.startswith("error: unknown card id 'gd-230' (did you mean 'gd-30' or")
    assert "gd-23" in result.output


def test_topics_json_and_list_filters() -> None:
    rows = json.loads(runner.invoke(app, ["topics", "--json"]).output)
    assert [r["topic"] for r in rows][:2] == ["perceptron", "mlp"]
    assert sum(r["cards"] for r in rows) == h.shipped()[0]
    listed = json.loads(
        runner.invoke(app, ["list", "--topic", "gd", "--tag", "math", "--json"]).output
    )
    assert listed and all(c["topic"] == "gd" and "math" in c["tags"] for c in listed)


def _installed_from_wheel() -> bool:
    try:
        dist = metadata.distribution("dlcards")
    except metadata.PackageNotFoundError:
        return False
    direct = dist.read_text("direct_url.json")
    return not (direct and json.loads(direct).get("dir_info", {}).get("editable"))


@pytest.mark.skipif(not _installed_from_wheel(), reason="dlcards is installed editable here")
def test_wheel_ships_the_decks_and_runs_from_anywhere(tmp_path: Path) -> None:
    files = {str(f) for f in metadata.files("dlcards") or []}
    assert "dlcards/decks/08-gd.yaml" in files
    script = Path(sys.executable).parent / "dlcards"
    env = {
        **os.environ,
        "DLCARDS_DB": str(tmp_path / "p.db"),
        "DLCARDS_CACHE_DIR": str(tmp_path / "c"),
        "NO_COLOR": "1",
    }
    out = subprocess.run(
        [str(script), "topics", "--json"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert sum(r["cards"] for r in json.loads(out.stdout)) == h.shipped()[0]


@pytest.mark.parametrize("args", [["list"], ["list", "--json"]])
def test_reader_closing_the_pipe_is_not_an_error(tmp_path: Path, args: list[str]) -> None:
    env = {**os.environ, "DLCARDS_CACHE_DIR": str(tmp_path / "c"), "NO_COLOR": "1"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "dlcards", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
        bufsize=0,
    )
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.read(10)  # like `| head -c 10`
    proc.stdout.close()
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=20) == 0, err
    assert "Traceback" not in err and "Broken pipe" not in err
