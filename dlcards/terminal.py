"""Terminal input for the interactive commands (`study`, `quiz`): one home for it.

In a real terminal, single keys without Enter (`KeyInput`); when standard input is not a
terminal, a line protocol for scripts (`LineInput`: one command per line, an empty line
reveals). Ctrl-C stays SIGINT; Ctrl-D and the end of input stop the loop (`Quit`).
`run_until_stopped` turns every way a loop can end into a closing line and an exit code.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rich.console import Console


class Quit(Exception):
    """The learner asked to stop (q), or input ended."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _read_key() -> str:
    """One key press from the terminal, without waiting for Enter."""
    if sys.platform == "win32":  # pragma: no cover
        import msvcrt

        return msvcrt.getwch()
    import termios
    import tty

    fd = sys.stdin.fileno()
    old = termios.tcgetattr(fd)
    try:
        tty.setcbreak(fd)  # keeps Ctrl-C as SIGINT
        ch = sys.stdin.read(1)
    finally:
        termios.tcsetattr(fd, termios.TCSADRAIN, old)
    return ch


class KeyInput:
    """Single keys in a real terminal."""

    interactive = True

    def __init__(self, read_key: Callable[[], str] = _read_key) -> None:
        self.read_key = read_key

    def next(self, allowed: set[str]) -> str:
        while True:
            ch = self.read_key()
            if ch in ("", "\x04"):  # end of input, Ctrl-D
                raise Quit("eof")
            if ch in (" ", "\r", "\n"):
                ch = "reveal"
            ch = ch.lower()
            if ch in allowed:
                return ch


class LineInput:
    """The line protocol for scripts: one command per line."""

    interactive = False

    def __init__(self, console: Console) -> None:
        self.console = console

    def next(self, allowed: set[str]) -> str:
        while True:
            line = sys.stdin.readline()
            if line == "":
                raise Quit("eof")
            token = line.strip().lower() or "reveal"
            if token in allowed:
                return token
            self.complain(line.strip(), allowed)

    def complain(self, text: str, allowed: set[str]) -> None:
        """Say what is allowed after an invalid line; the line is then asked again."""
        choices = sorted(allowed - {"reveal"})
        self.console.print(
            f"[yellow]? {text.lower()!r} is not one of: empty line (reveal), "
            f"{', '.join(choices)}[/yellow]"
        )


def run_until_stopped(body: Callable[[], None], done: str) -> tuple[str, int]:
    """Run an interactive loop; returns how it ended (for the closing line) and the exit code:
    finished, `q`, end of input, or Ctrl-C (130). Grades are saved as they happen."""
    try:
        body()
        return done, 0
    except Quit as stop:
        return ("Stopped." if stop.reason == "q" else "Input ended."), 0
    except KeyboardInterrupt:
        return "Interrupted.", 130
