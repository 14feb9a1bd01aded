"""The `dlcards` command as installed: dlcards's own launcher (hatch_build.py), which imports
`sys` and dlcards and nothing else, where pip's console-script template imports `re` first."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from typer.testing import CliRunner

from dlcards.cli import app

ROOT = Path(__file__).resolve().parents[1]
DAY = "2026-11-26"


def hooks() -> ModuleType:
    """hatch_build.py, the build's hooks (at the project's root, not in the package)."""
    spec = importlib.util.spec_from_file_location("hatch_build", ROOT / "hatch_build.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def imported_by(command: list[str], env: dict[str, str]) -> tuple[str, set[str]]:
    """What `command` (a Python program and its arguments) prints, and every module it
    imported (`-X importtime`)."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", *command],
        env=env, capture_output=True, text=True, check=True,
    )  # fmt: skip
    lines = [x for x in done.stderr.splitlines() if x.startswith("import time:")]
    return done.stdout, {x.rsplit("|", 1)[1].strip() for x in lines[1:]}  # (a header first)


def test_the_launcher_starts_dlcards_with_sys_alone(isolated: Path, tmp_path: Path) -> None:
    """The launcher runs the command (the prompt's count, the full CLI's number) and imports
    nothing of its own: `due --count` loads no `re` and no `enum` (pip's template loaded both
    before dlcards started, ~5.5 ms of its ~20)."""
    launcher = tmp_path / "dlcards"
    launcher.write_text(hooks().LAUNCHER, encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    out, modules = imported_by([str(launcher), "due", "--count", "--today", DAY], env)
    count = CliRunner().invoke(app, ["due", "--count", "--today", DAY])
    assert count.exit_code == 0 and out == count.output
    assert "dlcards.quick" in modules
    assert not modules & {"re", "enum", "typer"}, modules & {"re", "enum", "typer"}
    # and pip's template, for the difference: `re` before anything of dlcards's
    pip = tmp_path / "pip-launcher"
    pip.write_text(
        "import re\nimport sys\nfrom dlcards.quick import script\nif __name__ == '__main__':\n"
        "    sys.argv[0] = re.sub(r'(-script\\.pyw|\\.exe)?$', '', sys.argv[0])\n"
        "    sys.exit(script())\n"
    )
    assert "re" in imported_by([str(pip), "due", "--count", "--today", DAY], env)[1]


def test_a_ctrl_c_while_the_launcher_imports_dlcards_is_exit_130_without_a_traceback(
    tmp_path: Path,
) -> None:
    """Before `script`'s own guard takes over, the launcher's import of dlcards is the
    command's first work: a Ctrl-C there (here: a dlcards whose import raises it) ends it as
    a shell reports Ctrl-C, 130, and prints nothing."""
    launcher = tmp_path / "dlcards"
    launcher.write_text(hooks().LAUNCHER, encoding="utf-8")
    fake = tmp_path / "fake" / "dlcards"
    fake.mkdir(parents=True)
    (fake / "__init__.py").write_text("raise KeyboardInterrupt\n")
    env = {**os.environ, "PYTHONPATH": str(fake.parent)}
    done = subprocess.run(
        [sys.executable, str(launcher), "due"], env=env, capture_output=True, text=True
    )
    assert (done.returncode, done.stdout, done.stderr) == (130, "", "")


def test_the_wheel_carries_the_launcher_and_windows_the_console_script(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The build hook gives the wheel an executable `dlcards` script (the installer points
    its `#!python` at the environment's interpreter) made for the build and gone after it;
    the metadata hook declares no console script, but on Windows (an `.exe` launcher is made
    for a console script only) the console script and no script of the wheel's."""
    pytest.importorskip("hatchling")  # (the test extra installs it)
    build = hooks()

    def hook() -> Any:
        return build.CustomBuildHook(str(ROOT), {}, None, None, str(tmp_path), "wheel")

    made: dict[str, Any] = {"shared_scripts": {}}
    wheel = hook()
    wheel.initialize("standard", made)
    ((source, name),) = made["shared_scripts"].items()
    script = Path(source)
    assert name == "dlcards" and os.access(script, os.X_OK)
    assert script.read_text(encoding="utf-8") == build.LAUNCHER
    assert build.LAUNCHER.startswith("#!python\n")
    wheel.finalize("standard", made, str(tmp_path / "x.whl"))
    assert not script.exists() and not script.parent.exists()
    metadata: dict[str, Any] = {}
    build.CustomMetadataHook(str(ROOT), {}).update(metadata)
    assert "scripts" not in metadata

    monkeypatch.setattr(build, "console_script", lambda: True)  # Windows
    build.CustomMetadataHook(str(ROOT), {}).update(metadata)
    assert metadata["scripts"] == {"dlcards": "dlcards.quick:script"}
    made = {"shared_scripts": {}}
    hook().initialize("standard", made)
    assert made["shared_scripts"] == {}
    sdist: dict[str, Any] = {"shared_scripts": {}}  # another target: nothing
    build.CustomBuildHook(str(ROOT), {}, None, None, str(tmp_path), "sdist").initialize(
        "standard", sdist
    )
    assert sdist["shared_scripts"] == {}


@pytest.mark.skipif(os.name == "nt", reason="the console script's dlcards.exe on Windows")
def test_the_installed_command_is_dlcardss_own_launcher() -> None:
    """The `dlcards` command installed beside this interpreter (`.ci/run`'s fresh install of
    the project, or an editable one made since hatch_build.py) is the launcher, as the wheel
    carried it: the environment's interpreter on its `#!` line, then LAUNCHER."""
    command = Path(sys.executable).with_name("dlcards")
    if not command.is_file():
        pytest.skip("dlcards is not installed beside this interpreter (run from the source)")
    first, rest = command.read_text(encoding="utf-8").split("\n", 1)
    assert first.startswith("#!") and "python" in first, first
    assert rest == hooks().LAUNCHER.split("\n", 1)[1], (
        f"{command} is not dlcards's own launcher: install the project again (pip install -e .)"
    )
