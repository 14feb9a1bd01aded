"""Hatchling's hooks (pyproject.toml: `[tool.hatch.metadata.hooks.custom]`,
`[tool.hatch.build.targets.wheel.hooks.custom]`): how the `dlcards` command is installed.

pip writes a console script's launcher from its own template, which imports `re` before the
program starts (to trim `-script.pyw` and `.exe` from `sys.argv[0]`, a Windows matter): `re`
and the enum, functools and collections modules under it were ~5.5 ms of the ~20 that
`dlcards due --count` takes at a shell prompt, and of every other command's start
(bench/HISTORY.md). On POSIX the wheel carries its own launcher instead, `LAUNCHER`, as a
script (the wheel's `.data/scripts`, whose `#!python` line the installer points at the
environment's interpreter, as it does for a console script): it imports `sys` and dlcards,
nothing else. On Windows, where an installer makes `dlcards.exe` only for a console script,
the wheel declares the console script as before (`ENTRY`)."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface
from hatchling.metadata.plugin.interface import MetadataHookInterface

COMMAND = "dlcards"
ENTRY = "dlcards.quick:script"
"""The command's function, as a console script names it (Windows)."""

LAUNCHER = '''#!python
"""The `dlcards` command (dlcards's own launcher: hatch_build.py)."""
import sys

try:
    from dlcards.quick import script
except KeyboardInterrupt:  # Ctrl-C before the command's own guard: as a shell reports it
    sys.exit(130)

if __name__ == "__main__":
    sys.exit(script())
'''
"""The installed command: what pip's console script does, less its `re` (a Windows matter); a
Ctrl-C while dlcards is imported ends it with 130 and no traceback, as `script` ends one."""


def console_script() -> bool:
    """Whether the command is installed as a console script (Windows), not as `LAUNCHER`."""
    return os.name == "nt"


class CustomMetadataHook(MetadataHookInterface):
    """`[project] dynamic = ["scripts"]`: the console script on Windows only."""

    def update(self, metadata: dict[str, Any]) -> None:
        if console_script():
            metadata["scripts"] = {COMMAND: ENTRY}


class CustomBuildHook(BuildHookInterface):  # type: ignore[type-arg]
    """The wheel's `dlcards` script (`LAUNCHER`), elsewhere than on Windows; it is written to a
    folder of its own for the build (executable: the wheel keeps a script's mode) and removed
    after it."""

    folder: str | None = None

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        if self.target_name != "wheel" or console_script():
            return
        self.folder = tempfile.mkdtemp(prefix="dlcards-launcher-")
        path = Path(self.folder) / COMMAND
        path.write_text(LAUNCHER, encoding="utf-8")
        path.chmod(0o755)
        build_data["shared_scripts"][str(path)] = COMMAND

    def finalize(self, version: str, build_data: dict[str, Any], artifact_path: str) -> None:
        if self.folder is not None:
            shutil.rmtree(self.folder, ignore_errors=True)
            self.folder = None
