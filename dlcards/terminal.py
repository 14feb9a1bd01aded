"""Terminal input for the interactive commands (`study`, `quiz`): one home for it.

In a real terminal, single keys without Enter (`KeyInput`); when standard input is not a
terminal, a line protocol for scripts (`LineInput`: one command per line, an empty line
reveals). Ctrl-C stays SIGINT; Ctrl-D and the end of input stop the loop (`Quit`).
`run_until_stopped` turns every way a loop can end into a closing line and an exit code.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from collections.abc import Set as AbstractSet
from contextlib import AbstractContextManager, contextmanager, nullcontext, suppress
from itertools import accumulate
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    from types import FrameType

    from rich.console import Console

    from dlcards.interrupts import CtrlC


T = TypeVar("T")


class Quit(Exception):
    """The learner asked to stop (q), or input ended."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _read_key(idle: float | None = None) -> str:
    """One key press from the terminal, without waiting for Enter. `idle`: after that many
    seconds with no key, `Idle` is raised (the caller looks at what may have changed, then
    waits again)."""
    if sys.platform == "win32":  # pragma: no cover
        import msvcrt

        return msvcrt.getwch()
    fd = sys.stdin.fileno()
    with _single_keys(fd), _pastes_bracketed():
        return _one_character(fd, idle)


class Idle(Exception):
    """No key came within the time a wait for one was given (`_read_key(idle)`)."""


PASTE_START, PASTE_END = "200", "201"
"""The first numbers of the sequences a terminal puts around pasted text (`ESC [ 200 ~` ...
`ESC [ 201 ~`) once asked to (bracketed paste, xterm's mode 2004, as vim and bash ask)."""


@contextmanager
def _pastes_bracketed() -> Iterator[None]:
    """The terminal asked, for the block, to mark text pasted into it (`PASTE_START`), so a
    paste is read as one paste, not as keys: without the marks, a paste of "the answer is 42"
    into `study` was read key by key, `e` opening the editor, `s` skipping cards, a digit
    grading one unseen and `u` taking back a grade. Asked where standard output is the
    terminal (not a dumb one), and the mode put back after."""
    import os

    asked = sys.stdout.isatty() and os.environ.get("TERM", "") != "dumb"
    if asked:
        with suppress(OSError, ValueError):  # a terminal closed: its read says so
            sys.stdout.write("\x1b[?2004h")
            sys.stdout.flush()
    try:
        yield
    finally:
        if asked and not _marks_held:
            with suppress(OSError, ValueError):
                sys.stdout.write("\x1b[?2004l")
                sys.stdout.flush()


_marks_held = 0
"""How many `pastes_marked` blocks are open: while one is, a key read leaves the terminal
marking pastes when it returns (`_pastes_bracketed`)."""


@contextmanager
def pastes_marked() -> Iterator[None]:
    """The terminal asked to mark pastes for a whole interactive session, between key reads
    too, and the mode put back at its end. Asked only while a key was awaited, a paste that
    came while the screen was drawn (after a key, or a resize: pasted at once after the
    window was resized) came unmarked, and its `s`, `u`, digits and `q` skipped a card, took
    back a grade and quit the session. Each key read asks again (an editor run with `e`, or
    the shell after Ctrl-Z and `fg`, turns the mode off); `unmarked_pastes` turns it off
    while another program has the terminal."""
    global _marks_held
    with _pastes_bracketed():
        _marks_held += 1
        try:
            yield
        finally:
            _marks_held -= 1


def unmarked_pastes() -> None:
    """The terminal no longer asked to mark pastes, before another program (an editor) takes
    it: one that does not ask for the marks itself would take them for typed text. The next
    key read asks again."""
    import os

    if _marks_held and sys.stdout.isatty() and os.environ.get("TERM", "") != "dumb":
        with suppress(OSError, ValueError):
            sys.stdout.write("\x1b[?2004l")
            sys.stdout.flush()


@contextmanager
def _single_keys(fd: int) -> Iterator[None]:
    """The terminal at `fd` in cbreak mode for the block (each key read alone, not echoed;
    Ctrl-C still a SIGINT), set again after Ctrl-Z and `fg`, and its mode put back after.
    TCSANOW, not the default TCSAFLUSH: a key pressed while the last one was being acted on
    (held in the terminal's line meanwhile) is read next, not thrown away."""
    import termios
    import tty

    try:
        old = termios.tcgetattr(fd)
    except termios.error:  # the terminal closed (EIO): no mode to set; its read says so
        yield
        return

    def again() -> None:
        with suppress(termios.error):  # continued as its terminal closed: no mode to set
            tty.setcbreak(fd, termios.TCSANOW)

    restore = _on_continue(again)
    try:
        with suppress(termios.error):  # closed since the line above: its read says so
            tty.setcbreak(fd, termios.TCSANOW)
        yield
    finally:
        with suppress(termios.error):  # the terminal closed meanwhile: no mode to put back
            termios.tcsetattr(fd, termios.TCSADRAIN, old)
        restore()


def read_line(
    prompt: str,
    redraw: Callable[[], object] | None = None,
    scroll: Callable[[str], object] | None = None,
    commands: AbstractSet[str] = frozenset(),
) -> str | None:
    """A line typed at the terminal after `prompt`, without its newline; None at the end of
    input (Ctrl-D on an empty line). Where standard input and output are both the terminal
    (and it is not a dumb one), the line is edited as a shell's is (`LineEditor`: the arrow
    keys, Home, End, Delete, Ctrl-A/E/U/K/W): the terminal's own line mode edits with
    Backspace alone and took the arrow keys' escape codes into the line (44 then Left was
    "44\\x1b[D"). Otherwise that line mode: the stream's readline, not input(), which drops
    the last character of a line ended with Ctrl-D. `commands`: keys that end an empty line
    at once, as that line (`LineEditor`)."""
    if line_editing():
        return LineEditor(prompt, redraw, scroll, commands).read()
    sys.stdout.write(prompt)
    sys.stdout.flush()
    return sys.stdin.readline().removesuffix("\n") or None


def line_editing() -> bool:
    """Whether `read_line` edits its line itself (`LineEditor`, which reads single keys: the
    arrow keys can scroll what is above it), not in the terminal's own line mode: standard
    input and output both the terminal, and not a dumb one."""
    import os

    return (
        sys.platform != "win32"
        and sys.stdin.isatty()
        and sys.stdout.isatty()
        and os.environ.get("TERM", "") != "dumb"
    )


SCROLL_KEYS = frozenset({"Up", "Down", "Page Up", "Page Down"})
"""The keys a `LineEditor` with `scroll` passes on to it."""

_JOINING = frozenset("\u200d\ufe0f\ufe0e")
"""The invisible characters a line may hold inside a grapheme cluster: the zero-width joiner
and the variation selectors (not printable to Python, as a control character is not)."""


def _clusters(text: str) -> list[str]:
    """`text` as its grapheme clusters, as rich measures them (its `split_graphemes`)."""
    from rich.cells import split_graphemes

    spans, _ = split_graphemes(text)
    return [text[start:end] for start, end, _ in spans]


class LineEditor:
    """One line typed in single-key mode, drawn by this program: what is typed goes in at the
    cursor; Left/Right (Ctrl-B/F), Home/End (Ctrl-A/E) move it; Backspace and Delete (Ctrl-D
    inside the line) delete; Ctrl-U, Ctrl-K and Ctrl-W cut before the cursor, after it, and
    the word before it; Enter ends the line, Ctrl-D on an empty one the input; Ctrl-C stays
    SIGINT. The keys are read as `KeyInput` reads them (a signal wakes the wait whichever
    thread takes it), and a resize, or Ctrl-Z and `fg` (the shell has set the terminal back
    to echoed lines), draws the line again, with its text, in single-key mode, after what is
    above it (`redraw`: the screen at the new size, or after what the shell wrote). A line
    wider than the terminal scrolls sideways, so it stays on one row. `scroll`, given, is
    called with the name of each of `SCROLL_KEYS` typed (Up, Down, Page Up, Page Down) and
    draws what is above the line again, scrolled: the arrows scroll a question taller than
    the screen while its answer is typed (the letters j and k are the answer's). `commands`:
    keys that, typed on an empty line, end it at once as that line (a quiz's `s` and `q`,
    which its hint names as keys: they went into the line, and waited for Enter)."""

    def __init__(
        self,
        prompt: str,
        redraw: Callable[[], object] | None = None,
        scroll: Callable[[str], object] | None = None,
        commands: AbstractSet[str] = frozenset(),
    ) -> None:
        self.prompt = prompt
        self.commands = commands
        self.redraw = redraw
        self.scroll = scroll
        self.chars: list[str] = []
        self.cursor = 0
        self.first = 0  # the first character shown
        self.pasted = ""  # the text of the last paste (`key`, when it says PASTE)

    def read(self) -> str | None:
        fd = sys.stdin.fileno()
        while True:
            restore = _resize_handler_installed()
            try:
                _awaiting_resizes()
                with _single_keys(fd), _pastes_bracketed():
                    self.draw()
                    while True:
                        key = self.key(fd)
                        if key in ("\r", "\n"):
                            self.end_line()
                            return "".join(self.chars)
                        if key == "" or (key == "\x04" and not self.chars):
                            self.end_line()
                            return None
                        if not self.chars and key.lower() in self.commands:
                            self.insert(key)  # a key its hint names (`[s] show the answer`)
                            self.draw()
                            self.end_line()
                            return key
                        if key in SCROLL_KEYS and self.scroll is not None:
                            self.scroll(key)
                        elif key == PASTE:
                            self.insert(self.pasted)
                        else:
                            self.act(key)
                        self.draw()
            except Resized:
                _done_awaiting_resizes()  # one during the drawing is drawn next time round
                if self.redraw is not None:
                    self.redraw()
                continue
            except KeyboardInterrupt:
                self.end_line()
                raise
            finally:
                _done_awaiting_resizes()
                restore()

    def key(self, fd: int) -> str:
        """The next key: a character, or the name of a key sent as an escape sequence."""
        ch = _one_character(fd)
        if ch != "\x1b" or not _key_follows(ESC_WAIT_S):
            return ch
        ch = _one_character(fd)
        if ch not in ("[", "O"):
            return "Esc"
        name = _sequence_key(lambda: _one_character(fd)) or "Esc"
        if name == PASTE:
            self.pasted = _pasted_text(fd)
        return name

    def insert(self, text: str) -> None:
        """`text` typed or pasted at the cursor, as one: its line breaks and tabs as spaces (a
        paste of `0.25` and its newline does not end the line unseen), other control
        characters left out. The line is kept as the terminal draws it, a character a
        grapheme cluster: an emoji family (four emoji joined by U+200D), a flag, a letter and
        its combining accent are one, two cells wide or one, moved over and deleted whole
        (each code point was measured apart, 8 cells for a family, and its joiners dropped).
        Only the clusters from the one before the cursor on are made again (what comes before
        a cluster keeps its boundary): the whole line made again at each key took a paste of
        4,500 characters 25 s, a character at a time."""
        text = text.replace("\r\n", "\n")
        kept = "".join(
            " " if ch in "\r\n\t" else ch
            for ch in text
            if ch in "\r\n\t" or ch.isprintable() or ch in _JOINING
        )
        if not kept:
            return
        chars, at = self.chars, self.cursor
        start = max(at - 1, 0)
        before = "".join(chars[start:at]) + kept
        chars[start:] = _clusters(before + "".join(chars[at:]))
        ends = accumulate(len(cluster) for cluster in chars[start:])
        self.cursor = start + sum(end <= len(before) for end in ends)

    def act(self, key: str) -> None:
        chars, at = self.chars, self.cursor
        if key in ("Left", "\x02"):
            self.cursor = max(at - 1, 0)
        elif key in ("Right", "\x06"):
            self.cursor = min(at + 1, len(chars))
        elif key in ("Home", "\x01"):
            self.cursor = 0
        elif key in ("End", "\x05"):
            self.cursor = len(chars)
        elif key in ("\x7f", "\x08"):  # Backspace
            if at:
                del chars[at - 1]
                self.cursor -= 1
        elif key in ("Delete", "\x04"):
            del chars[at : at + 1]
        elif key == "\x15":  # Ctrl-U
            del chars[:at]
            self.cursor = 0
        elif key == "\x0b":  # Ctrl-K
            del chars[at:]
        elif key == "\x17":  # Ctrl-W: the word before the cursor, and the spaces after it
            start = at
            while start and chars[start - 1] == " ":
                start -= 1
            while start and chars[start - 1] != " ":
                start -= 1
            del chars[start:at]
            self.cursor = start
        elif len(key) == 1 and (key.isprintable() or key in _JOINING):
            self.insert(key)
        # any other key (Up, Down, a function key, Esc, a control character) does nothing

    def draw(self) -> None:
        """The prompt and the part of the line around the cursor that fits, on this row."""
        import os

        from rich.cells import cell_len

        try:  # the terminal's own size, now (not a COLUMNS left in the environment)
            width = os.get_terminal_size(sys.stdout.fileno()).columns
        except (OSError, ValueError):
            width = 80
        room = max(width - 1 - cell_len(self.prompt), 1)  # the last column left free
        # the first character shown: as far back from the cursor as fits, not before the one
        # shown last (counted from the cursor back: from the start, each step measured the
        # whole line before the cursor again, quadratic in a long line)
        first, used = self.cursor, 0
        while first > min(self.first, self.cursor):
            width_of = cell_len(self.chars[first - 1])
            if used + width_of >= room:
                break
            used += width_of
            first -= 1
        self.first = first
        shown, used = [], 0
        for ch in self.chars[self.first :]:
            used += cell_len(ch)
            if used >= room:
                break
            shown.append(ch)
        back = cell_len("".join(shown[self.cursor - self.first :]))
        move = f"\x1b[{back}D" if back else ""
        sys.stdout.write(f"\r{self.prompt}{''.join(shown)}\x1b[K{move}")
        sys.stdout.flush()

    def end_line(self) -> None:
        """The whole line shown as far as it fits, and the cursor on the next row."""
        self.cursor = len(self.chars)
        self.draw()
        sys.stdout.write("\r\n")
        sys.stdout.flush()


def _key_follows(seconds: float) -> bool:
    """Whether another byte is typed at the terminal within `seconds`: the rest of an escape
    sequence arrives with its Esc (a terminal writes it whole), a key pressed after Esc does
    not. Read in cbreak mode, as the keys are (in line mode the bytes before a newline wait
    unread)."""
    if sys.platform == "win32":  # pragma: no cover - Windows has no escape sequences
        return False
    import select

    fd = sys.stdin.fileno()
    with _single_keys(fd):
        return bool(select.select([fd], [], [], seconds)[0])


def _drop_paste(fd: int, end: bytes) -> None:
    """What the terminal at `fd` sends up to and with `end` (a paste's end mark), read and
    dropped as it comes; a pause of PASTE_WAIT_S, or the end of input, ends it too."""
    import os
    import select

    with _single_keys(fd):
        seen = b""
        while select.select([fd], [], [], PASTE_WAIT_S)[0]:
            try:
                chunk = os.read(fd, 65536)
            except OSError:  # the terminal is gone: the next read says so
                return
            if not chunk:
                return
            seen = seen[-len(end) :] + chunk
            if end in seen:
                return


def _pasted_text(fd: int) -> str:
    """The text of a paste, after its start mark, read up to its end mark (`ESC [ 201 ~`),
    which is not in it; a pause of PASTE_WAIT_S, or the end of input, ends it too."""
    end = f"\x1b[{PASTE_END}~"
    text: list[str] = []
    tail = ""
    while tail != end:
        try:
            ch = _one_character(fd, PASTE_WAIT_S)
        except Idle:
            break
        if ch == "":
            break
        text.append(ch)
        tail = (tail + ch)[-len(end) :]
    return "".join(text).removesuffix(end)


PASTE_WAIT_S = 0.5
"""How long a paste may pause before its end mark: a paste comes at once."""

ESC_WAIT_S = 0.05
"""How long after Esc the rest of an escape sequence may arrive (a terminal sends it whole;
over ssh it may come a little later); nothing within it: the Esc key alone."""

_CSI_KEYS = {
    "A": "Up", "B": "Down", "C": "Right", "D": "Left", "H": "Home", "F": "End",
    "P": "F1", "Q": "F2", "R": "F3", "S": "F4",
}  # fmt: skip
"""The keys named by the final byte of their escape sequence (`ESC [ A`, `ESC O P`)."""
_TILDE_KEYS = {
    "1": "Home", "2": "Insert", "3": "Delete", "4": "End", "5": "Page Up", "6": "Page Down",
    "7": "Home", "8": "End", "11": "F1", "12": "F2", "13": "F3", "14": "F4", "15": "F5",
    "17": "F6", "18": "F7", "19": "F8", "20": "F9", "21": "F10", "23": "F11", "24": "F12",
}  # fmt: skip
"""The keys whose sequence ends in `~`, by its first number (`ESC [ 1 5 ; 2 ~`: Shift-F5)."""


def _sequence_key(read: Callable[[], str]) -> str | None:
    """The key an escape sequence names, its characters after `ESC [` or `ESC O` given by
    `read` ("" at the end of input): ECMA-48's parameter and intermediate bytes (at most 16),
    then a final byte; `ESC [ 1 5 ; 2 ~` is Shift-F5, F5 here. None for a key not known."""
    body, final = "", ""
    while len(body) < 16:
        code = read()
        if not code or "\x40" <= code <= "\x7e":
            final = code
            break
        body += code
    if final == "~":
        if body == PASTE_START:
            return PASTE
        return _TILDE_KEYS.get(body.split(";")[0])
    return _CSI_KEYS.get(final)


PASTE = "pasted text"
"""What `_sequence_key` names a bracketed paste by, and a hint says does nothing."""

_KEY_NAMES = {
    " ": "Space", "\r": "Enter", "\n": "Enter", "\t": "Tab", "\x7f": "Backspace",
    "\x08": "Backspace",
}  # fmt: skip
"""The keys a hint names by their name, not their character."""
_SCROLL = {"Up": "k", "Page Up": "k", "Down": "j", "Page Down": "j"}
"""The keys that scroll the card, as the letters that do."""


@contextmanager
def keys_held(flush_after: float = 0.0) -> Iterator[None]:
    """While the program may wait (a save that can meet a locked database or a full disk):
    keys typed at the terminal are not echoed over the screen, and when the block lasted
    `flush_after` seconds or more they are thrown away at its end, so that none grades a card
    whose answer was never shown (a key typed during a quick save is kept: the next card
    reads it); Ctrl-C still stops it. A no-op when standard input is not a terminal."""
    if sys.platform == "win32" or not sys.stdin.isatty():  # pragma: no cover - Windows
        yield
        return
    import termios
    import time

    fd = sys.stdin.fileno()
    start = time.monotonic()
    with _single_keys(fd):
        try:
            yield
        finally:
            if time.monotonic() - start >= flush_after:
                with suppress(termios.error):  # a terminal closed meanwhile has no keys
                    termios.tcflush(fd, termios.TCIFLUSH)  # what was typed meanwhile


_WAKE: tuple[int, int] | None = None
"""A pipe Python's signal handling writes to (`signal.set_wakeup_fd`) while a key is awaited."""


def _one_character(fd: int, idle: float | None = None) -> str:
    """The next character typed at `fd` ("" at its end), read byte by byte. The wait is a
    select() that a signal also ends, whichever thread the kernel gave it to: numpy's BLAS
    threads can take a SIGINT, SIGWINCH or SIGCONT meant for the program, and a read() in the
    main thread would sleep on through it, so Ctrl-C, a resize or `fg` did nothing until the
    next key. Python runs the signal's handler as soon as the wait returns. `idle`: `Idle`
    after that many seconds with no byte (never within a character's bytes)."""
    import codecs
    import errno
    import os
    import select
    import signal
    import threading
    import time

    global _WAKE
    if _WAKE is None:
        _WAKE = os.pipe()
        for end in _WAKE:
            os.set_blocking(end, False)
    woken, wake = _WAKE
    main = threading.current_thread() is threading.main_thread()
    before = signal.set_wakeup_fd(wake, warn_on_full_buffer=False) if main else -1
    decoder = codecs.getincrementaldecoder(sys.stdin.encoding or "utf-8")("replace")
    until = None if idle is None else time.monotonic() + idle
    try:
        while True:
            left = None
            if until is not None and not decoder.getstate()[0]:  # not within a character
                left = until - time.monotonic()
                if left <= 0:
                    raise Idle
            ready = select.select([fd, woken] if main else [fd], [], [], left)[0]
            if woken in ready:  # a signal: its handler has run (it may raise) by now
                try:
                    os.read(woken, 512)
                except BlockingIOError:
                    pass
            if fd in ready:
                try:
                    byte = os.read(fd, 1)
                except OSError as err:
                    if err.errno == errno.EIO:  # the terminal is gone (closed): a hang-up
                        raise Hangup from None
                    raise
                if not byte:
                    return ""
                ch = decoder.decode(byte)
                if ch:
                    return ch
    finally:
        if main:
            signal.set_wakeup_fd(before)


def _on_continue(again: Callable[[], object]) -> Callable[[], None]:
    """Call `again` when the program is continued after Ctrl-Z (SIGCONT; the shell set the
    terminal back to lines meanwhile), then the handler there was; returns what puts that one
    back. A no-op where there is no SIGCONT or outside the main thread."""
    import signal
    import threading

    cont = getattr(signal, "SIGCONT", None)
    if cont is None or threading.current_thread() is not threading.main_thread():
        return lambda: None

    # the handler there was, kept where `continued` finds it even when a SIGCONT comes
    # while it is being installed (a closed terminal sends SIGHUP and SIGCONT at once: the
    # handler ran before `signal.signal` had returned, and a NameError ended the session)
    prior: list[object] = []

    def continued(signum: int, frame: FrameType | None) -> None:
        again()
        if prior and callable(prior[0]):
            prior[0](signum, frame)

    prior.append(signal.signal(cont, continued))

    def restore() -> None:
        signal.signal(cont, prior[0])  # type: ignore[arg-type]

    return restore


def describe_keys(allowed: set[str], reveal: str) -> str:
    """The allowed keys in words, for a hint: `Space, 0-5, s, u or q`."""
    digits = sorted(k for k in allowed if k.isdigit())
    shown: list[str] = []
    if "reveal" in allowed:
        shown.append(reveal)
    if digits:
        contiguous = [int(d) for d in digits] == list(range(int(digits[0]), int(digits[-1]) + 1))
        shown += [f"{digits[0]}-{digits[-1]}"] if contiguous and len(digits) > 2 else digits
    letters = [k for k in allowed if len(k) == 1 and not k.isdigit()]  # not reveal/redraw
    shown += sorted(letters, key=_key_place)
    return ", ".join(shown[:-1]) + " or " + shown[-1] if len(shown) > 1 else "".join(shown)


KEY_ORDER = "ynsu!e"
"""Letters in the order the screens' own key lines put them (`[y] yes · [n] no`, `s skip · u
undo · ! suspend · e edit`); any other in alphabetical order after them, and `q` last, as
every key line ends. Sorted alphabetically, the quiz's hint said "press n, y or q" under
"[y] yes · [n] no"."""


def _key_place(key: str) -> tuple[int, int, str]:
    """Where `key` goes in a hint (KEY_ORDER)."""
    at = KEY_ORDER.find(key)
    return (key == "q", at if at >= 0 else len(KEY_ORDER), key)


def half_width(key: str) -> str:
    """`key` as the ASCII it stands for when an input method typed it full-width (`４` is 4,
    `ｑ` is q, the ideographic space a space: NFKC), as `calc`, `config` and a quiz's typed
    answer read such digits; anything else as it is. A grade typed `４` was "not one of:
    0-5"."""
    if key.isascii():
        return key
    import unicodedata

    normal = unicodedata.normalize("NFKC", key)
    return normal if normal.isascii() and len(normal) == len(key) else key


class Resized(Exception):
    """The terminal changed size while a key was awaited (SIGWINCH)."""


_resize_noted = False
"""A resize (or a return from Ctrl-Z) came while no key was awaited: the next wait for a key
draws the screen again first (`_awaiting_resizes`)."""
_resize_raises = False
"""A key is awaited, in a block ready for `Resized`: a resize interrupts the wait."""


def _on_resize(signum: int, frame: object) -> None:
    """A resize, or a return from Ctrl-Z: `Resized` while a key is awaited, else noted for
    the next wait. It raised wherever it came: while its own handler was being installed
    (before the wait's `try`), a resize ended the session with a traceback, and one that came
    while the screen was drawn, between two waits, found the default handler and was lost
    (the screen stayed drawn for the old size)."""
    global _resize_noted
    if _hanging_up:  # the SIGCONT a closed terminal sends with its SIGHUP: no screen
        return  # to draw again, and the Hangup under way must not be replaced
    if _resize_raises:
        raise Resized
    _resize_noted = True


def _awaiting_resizes() -> None:
    """From here (inside the wait's `try`), a resize interrupts the wait; one noted since
    the last wait interrupts it now."""
    global _resize_raises, _resize_noted
    _resize_raises = True
    if _resize_noted:
        _resize_noted = False
        raise Resized


def _done_awaiting_resizes() -> None:
    global _resize_raises
    _resize_raises = False


@contextmanager
def resizes_noted() -> Iterator[None]:
    """For a whole interactive session, a resize (or a return from Ctrl-Z) that comes while
    no key is awaited (a card being drawn, the deck files looked at each second) is noted,
    and the next wait draws the screen again, instead of being lost to the default action."""
    global _resize_noted
    _resize_noted = False
    restore = _resize_handler_installed()
    try:
        yield
    finally:
        restore()


def _resize_handler_installed() -> Callable[[], None]:
    """Make a change of the terminal's size, or a return from Ctrl-Z (the shell wrote over
    the screen meanwhile), interrupt the wait for a key (`Resized`), so the screen is drawn
    again; returns what puts the old handlers back. A no-op where there is no SIGWINCH or
    outside the main thread."""
    import signal
    import threading

    winch = getattr(signal, "SIGWINCH", None)
    if winch is None or threading.current_thread() is not threading.main_thread():
        return lambda: None
    old = signal.signal(winch, _on_resize)
    cont = getattr(signal, "SIGCONT", None)
    old_cont = signal.signal(cont, _on_resize) if cont is not None else None

    def restore() -> None:
        signal.signal(winch, old)
        if cont is not None:
            signal.signal(cont, old_cont)

    return restore


IDLE_LOOK_S = 1.0
"""While a key is awaited with `idle` allowed (a study card on screen), how often the wait
stops to let the screen look at what changed (the deck files: a stat each, `study`)."""


class KeyInput:
    """Single keys in a real terminal. A key that means nothing here gets a one-line hint at
    the bottom of the screen (when a console is given), rewritten in place."""

    interactive = True
    reveal = "Space"  # what reveals, in hints
    grade_keys = frozenset("012345")  # keys that grade once the answer is shown (study's)

    def __init__(
        self,
        read_key: Callable[[], str] = _read_key,
        console: Console | None = None,
        follows: Callable[[float], bool] | None = None,
    ) -> None:
        """`follows(seconds)`: whether another key byte comes within `seconds` (default: the
        terminal's, with the terminal's `read_key`; True with another `read_key`, whose keys
        are all there already)."""
        self.read_key = read_key
        self.console = console
        # the terminal's reader can wait for a key a while only (`Idle`); another cannot
        self.idle_read = _read_key if read_key is _read_key else None
        if follows is None:
            follows = _key_follows if read_key is _read_key else (lambda seconds: True)
        self.follows = follows

    def next(self, allowed: set[str]) -> str:
        """The next allowed key; `redraw` when the terminal changed size, if it is allowed;
        `idle` when no key came for IDLE_LOOK_S seconds, if it is allowed (and the terminal's
        keys are read: `idle_read`)."""
        idle = self.idle_read if "idle" in allowed else None
        while True:
            restore = _resize_handler_installed() if "redraw" in allowed else None
            try:
                if restore is not None:
                    _awaiting_resizes()
                ch = self.read_key() if idle is None else idle(IDLE_LOOK_S)
            except Resized:
                return "redraw"
            except Idle:
                return "idle"
            finally:
                _done_awaiting_resizes()
                if restore is not None:
                    restore()
            if ch in ("", "\x04"):  # end of input, Ctrl-D
                raise Quit("eof")
            name = None
            if ch == "\x1b":
                ch, name = self._escape()
            ch = half_width(ch)
            name = name or _KEY_NAMES.get(ch)  # as the hint names it: not "reveal" or "\t"
            if ch in (" ", "\r", "\n"):
                ch = "reveal"
            ch = ch.lower()
            if ch in allowed:
                return ch
            self.complain(name or ch, allowed)

    def held(self) -> AbstractContextManager[None]:
        """While the block runs (the screen looking at what changed, between two waits for a
        key), keys typed are kept for the next wait and not echoed over the screen (the
        terminal is back in lines between waits, and echoes them)."""
        if self.read_key is not _read_key:
            return nullcontext()
        return keys_held(flush_after=float("inf"))

    def drop_typed(self) -> None:
        """Throw away the keys typed and not read yet: the screen just changed under them (a
        card redrawn with its deck's new text), and a grade typed for what was on screen
        before must not grade what is there now, unseen. The terminal's own keys only."""
        if self.read_key is not _read_key or sys.platform == "win32":  # pragma: no cover
            return
        import termios

        with suppress(termios.error, OSError, ValueError):  # not a terminal, or closed
            termios.tcflush(sys.stdin.fileno(), termios.TCIFLUSH)

    def _escape(self) -> tuple[str, str]:
        """After Esc, the key it begins as (its letter, its name). An escape sequence is read
        whole (a function key's digits are not grades): the arrow keys and Page Up/Down scroll
        like k and j, another named key does nothing, with or without Shift, Ctrl or Alt
        (`ESC [ 1 ; 2 B`); Alt with a key (Esc and the key at once) does nothing either, and
        nor does the Esc key alone, with its hint as any other key (it was dropped without a
        word: an Anki user pressing it to leave the review was not told that q quits)."""
        if not self.follows(ESC_WAIT_S):
            return "", "Esc"
        ch = self.read_key()
        if ch not in ("[", "O"):
            return "", "Esc" if ch == "\x1b" else f"Alt+{ch}"
        name = _sequence_key(self.read_key) or "that key"
        if name == PASTE:
            self._skip_paste()
        return _SCROLL.get(name, ""), name

    def _skip_paste(self) -> None:
        """The pasted text after `ESC [ 200 ~`, read up to its end mark `ESC [ 201 ~` and
        dropped: none of its characters is a key. The end of input, or no byte for a moment
        (a terminal that never sends the end mark), ends it too."""
        end = f"\x1b[{PASTE_END}~"
        if self.read_key is _read_key:  # the terminal's: read in bulk (a key at a time, with
            _drop_paste(sys.stdin.fileno(), end.encode())  # its modes set, took 1.4 s for 5 KB)
            return
        seen = ""
        while self.follows(PASTE_WAIT_S):
            ch = self.read_key()
            if ch == "":
                return
            seen = (seen + ch)[-len(end) :]
            if seen == end:
                return

    def complain(self, key: str, allowed: set[str]) -> None:
        if self.console is None:
            return
        from dlcards.console import escaped

        if key.startswith("Alt+") and len(key) == 5:
            shown = f"Alt+{escaped(key[4:])}"
        else:
            shown = "Esc" if key == "\x1b" else key if len(key) > 1 else escaped(key)
        press = describe_keys(allowed, self.reveal)
        hint = f"? {shown} does nothing here: press {press}"
        first: list[str] = []
        # a grade on the question: "4 does nothing here" said neither why nor what to press
        if key in self.grade_keys and "reveal" in allowed and not allowed & self.grade_keys:
            hint = f"? {shown} grades once the answer is shown: press {self.reveal} to show it"
            first = [hint, f"? {shown} grades after {self.reveal}"]
        if self.console.is_terminal:
            from rich.cells import cell_len

            # on the last row, short of its last column (a full row would scroll the screen):
            # narrower, shorter wordings that keep every key (the words go first), then a cut
            room = max(self.console.width - 1, 1)
            keys = press.replace(",", "").replace(" or ", " ")  # `Space ! e s u q`
            wordings = [hint, f"? {shown}: press {press}", f"? press {press}", f"? {keys}"]
            wordings = [*first, *wordings[1:]] if first else wordings
            hint = next((w for w in wordings if cell_len(w) <= room), wordings[-1])
            # carriage return and erase the line: repeated hints do not scroll the screen
            self.console.file.write("\r\x1b[2K" + hint[:room])
            self.console.file.flush()
        else:
            self.console.print(hint, markup=False, highlight=False)


class LineInput:
    """The line protocol for scripts: one command per line."""

    interactive = False
    reveal = "an empty line"  # what reveals, in hints

    def __init__(self, console: Console) -> None:
        self.console = console

    def held(self) -> AbstractContextManager[None]:
        """A script's lines are not echoed: nothing to hold."""
        return nullcontext()

    def drop_typed(self) -> None:
        """A script's lines are all meant: none is thrown away."""

    def next(self, allowed: set[str]) -> str:
        while True:
            line = sys.stdin.readline()
            if line == "":
                raise Quit("eof")
            token = half_width(line.strip()).lower() or "reveal"
            if token in allowed:
                return token
            self.complain(line.strip(), allowed)

    def complain(self, text: str, allowed: set[str]) -> None:
        """Say what is allowed after an invalid line; the line is then asked again."""
        from dlcards.console import echo, quoted

        # the line as typed: lower-cased, `Q!` was said back as 'q!', not what was typed
        echo(
            f"? {quoted(text)} is not one of: {describe_keys(allowed, self.reveal)}",
            "yellow",
            console=self.console,
        )


INTERRUPTED = 130
"""The exit code of a session ended by Ctrl-C (128 + SIGINT, as a shell reports it)."""
HUNG_UP = 129
"""The exit code of a session ended by its terminal closing (128 + SIGHUP, as a shell reports
it); a `kill` (SIGTERM) ends one with 143."""
SIGHUP_NUMBER = 1  # signal.SIGHUP on every POSIX system (not imported for a number)


def run_until_stopped(body: Callable[[], None], done: str) -> tuple[str, int]:
    """Run an interactive loop; returns how it ended (for the closing line) and the exit code:
    finished, `q`, end of input, or Ctrl-C (INTERRUPTED). Grades are saved as they happen.
    A Ctrl-C is also the RuntimeError Python wraps one in when it lands while a class is made
    (an Enum's members, in a module a card's first drawing imports: "Error calling
    __set_name__"): that one ended the session with no closing line at all."""
    from dlcards.errors import interrupted

    try:
        body()
        return done, 0
    except Quit as stop:
        return ("Stopped." if stop.reason == "q" else "Input ended."), 0
    except Hangup as err:  # the terminal closed, or a `kill`: as a shell reports the signal
        _ending.append(err.signum)  # first: a stop from here on is this one (`_ending`)
        _hung_up_handled()
        return "Interrupted.", err.code
    except (KeyboardInterrupt, RuntimeError) as err:
        _ending.append(INTERRUPTED - 128)  # first, as above (a kill just after a Ctrl-C)
        if not interrupted(err):
            _ending.clear()
            raise
        return "Interrupted.", INTERRUPTED


class Hangup(KeyboardInterrupt):
    """SIGTERM (`kill`) or SIGHUP (the terminal closed), raised as Ctrl-C by
    `stops_as_ctrl_c`: the learner did not ask to stop, so a save under way is finished
    first (`stops_held`). Also a terminal found closed without the signal (a read of it
    failing with EIO, as under `nohup`). `code`: the exit code a shell would report for the
    signal (128 + its number)."""

    def __init__(self, signum: int = SIGHUP_NUMBER) -> None:
        global _hanging_up
        super().__init__()
        self.signum = signum
        self.code = 128 + signum
        _hanging_up = True


_hanging_up = False
"""A Hangup was raised and is on its way out: a resize (`_on_resize`) is not drawn."""

_ending: list[int] = []
"""The stop that ended a session (`run_until_stopped`), while the session ends (its end time,
summary and closing line) in its `stops_as_ctrl_c` block: a second `kill` or closed terminal
then is the same stop again, noted and not raised. Raised, it cut that end short: two
SIGTERMs a few milliseconds apart left `Interrupted. N grades saved.` unsaid."""


def _hung_up_handled() -> None:
    """The Hangup reached the code that ends the session: resizes count again (a program
    that goes on, as the tests' CliRunner, must not keep ignoring them)."""
    global _hanging_up
    _hanging_up = False


class StopsHeld:
    """The SIGTERMs and SIGHUPs a `stops_held` block held back, in order. `once`: held only
    from the moment a write transaction commits (`stops_held_from_commit`)."""

    def __init__(self) -> None:
        self.signals: list[int] = []
        self.once: CtrlC | None = None

    def holding(self) -> bool:
        return self.once is None or self.once.writing


_holder: list[StopsHeld] = []  # the active `stops_held` block's, if one is


@contextmanager
def stops_held() -> Iterator[StopsHeld]:
    """In the block (a save the learner asked for, `commands.common.until_saved`), SIGTERM
    and SIGHUP as `stops_as_ctrl_c` takes them do not interrupt it: they are noted in the
    `StopsHeld` given, for the block to finish the save and then stop (Hangup). A closed
    terminal or a `kill` during a grade's wait for another program's lock used to give the
    grade up, as a Ctrl-C does, though the screen said it was kept and would be saved and no
    one chose to drop it. Ctrl-C (SIGINT) still stops at once. Nested blocks share one."""
    if _holder:
        yield _holder[0]
        return
    held = StopsHeld()
    _holder.append(held)
    try:
        yield held
    finally:
        _holder.clear()


@contextmanager
def stops_held_from_commit() -> Iterator[Callable[[], BaseException | None]]:
    """In the block (the writes of an import), Ctrl-C, `kill` (SIGTERM) and a closed terminal
    (SIGHUP) stop it at once, a write under way rolled back, until a write transaction of
    the store commits (`interrupts.committing`); from then on they are noted, and the
    block's writes go on to its end. A SIGTERM that came while an import's merge committed
    (SQLite's commit runs in C, and Python's handler right after it) ended it after the
    commit: its report not shown (exit 143 and not a word, the reviews imported) and its
    last writes (the suspensions taken from Anki, the notes' GUIDs) not made. Yields a
    function that gives, after the block, the interruption to raise for what was noted
    (KeyboardInterrupt for Ctrl-C, a Hangup for a signal), or None."""
    from dlcards.interrupts import ctrl_c_held

    nested = bool(_holder)  # inside a `stops_held` block: held as that one holds them
    with ctrl_c_held(from_commit=True) as ctrl_c, stops_held() as held:
        if not nested:
            held.once = ctrl_c

        def noted() -> BaseException | None:
            if held.signals:
                return Hangup(held.signals[0])
            return KeyboardInterrupt() if ctrl_c.pressed else None

        yield noted


@contextmanager
def stops_as_ctrl_c(unsaved: str | Callable[[], str | None] | None = None) -> Iterator[None]:
    """In the block (a session, its end and its summary), SIGTERM (`kill`) and SIGHUP (the
    terminal closed) raise KeyboardInterrupt, where they still have their default action of
    ending the process at once: the session ends as Ctrl-C ends it, its end time written and
    the database closed (no -wal left). Closing the terminal ends the input first, so the
    signal may come while the session is ending: the block covers that too. Once the
    command's work is saved (`stops_once_saved`), a stop is said in one line at the block's
    end; after the block, it is noted for the process's entry (`stopped_late`) where that
    entry owns the process's end (`stdio.guarded`). `unsaved`: the one line a stop (Ctrl-C
    too) says before the work is saved (`stopped: nothing was suspended`), or a function that
    makes it when the stop comes (`doctor`: whether a repair had begun; None says nothing); a
    one-write command ended with exit 130 or 143 and not a word, its change made or not. A
    no-op outside the main thread."""
    import signal
    import threading

    from dlcards.interrupts import stop_noted

    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def stop(signum: int, frame: FrameType | None) -> None:
        if _holder and _holder[0].holding():  # a save under way: it finishes first
            _holder[0].signals.append(signum)
            stop_noted()  # (a write that can still be taken back whole gives up)
            return
        if _saved:  # the command's work is saved: said at the block's end (`stops_once_saved`)
            _late.append(signum)
            return
        if _ending:  # the session is stopping already: its end is said whole
            return
        raise Hangup(signum)

    taken: list[int] = []
    for name in ("SIGTERM", "SIGHUP"):
        number = getattr(signal, name, None)
        if number is not None and signal.getsignal(number) in (signal.SIG_DFL, _noted_late):
            signal.signal(number, stop)
            taken.append(number)
    if taken:
        _ending.clear()  # (a session run without the block, as the tests' CliRunner runs one)
    if _late and taken:  # one came between two blocks (`_noted_late`): it stops the command
        _restore(taken)
        raise Hangup(_late.pop(0))

    try:
        yield
    except BaseException as err:
        from dlcards.errors import interrupted

        if taken and interrupted(err):  # once the work was saved, that it was (Ctrl-C too)
            if _saved:
                _say_stopped()
            elif unsaved is not None:
                from dlcards.stdio import say

                line = unsaved if isinstance(unsaved, str) else unsaved()
                if line is not None:
                    say(line)
            _late.clear()  # (the stop on its way out)
        _restore(taken)
        raise
    late = _late.pop(0) if taken and _late and _saved else None
    if late is not None:  # noted once the work was saved (`stops_once_saved`)
        _say_stopped()
    _restore(taken)
    if late is not None:
        raise Hangup(late)


def _restore(taken: list[int]) -> None:
    """The end of a `stops_as_ctrl_c` block that took the signals `taken`: SIGTERM and SIGHUP
    to their default action again, or, when the process's entry says a stop that comes
    after the command (`stdio.guarded`), noted to the process's end (`_noted_late`): a
    `kill` in the instants left (the database closed, the interpreter ending) ended the
    process as SIGKILL would, its exit status -15 and not a word."""
    import signal

    from dlcards.stdio import ENDS_HERE

    owned = bool(ENDS_HERE)
    if taken:
        _ending.clear()
    for number in taken:
        signal.signal(number, _noted_late if owned else signal.SIG_DFL)
    if taken and not owned:  # (kept for `stopped_late` otherwise)
        _saved.clear()
        _late.clear()
    _hung_up_handled()  # no key is awaited past the block: no resize to draw


_saved: list[str] = []
"""The line a stop says once the command's work is saved (`stops_once_saved`)."""
_late: list[int] = []
"""The SIGTERMs and SIGHUPs noted, not raised: once the work was saved, or after the command's
`stops_as_ctrl_c` blocks (`_noted_late`)."""


def saved_once_committed(write: Callable[[], T], saved: Callable[[T], str]) -> T:
    """Run `write` (one write transaction of the store, in a `stops_as_ctrl_c` block): a
    Ctrl-C, `kill` or closed terminal before its commit takes it back whole; from its commit
    on, one is held until `write` returns, and then ends the block saying the line `saved`
    makes of what it returned (that the change was made), as one after it does
    (`stops_once_saved`). A stop landing in the commit ended `reset --yes` with the reset made
    and exit 143, not a word said."""
    with stops_held_from_commit() as stopped:
        done = write()
        stops_once_saved(saved(done))
    stop = stopped()
    if stop is not None:
        raise stop
    return done


def stops_once_saved(line: str) -> None:
    """From now on (the command's work saved: an import's transaction committed) to the end
    of its `stops_as_ctrl_c` block, `kill` (SIGTERM) and a closed terminal (SIGHUP) are noted,
    not raised, and Ctrl-C is let through: the block ends by saying `line` (that the work was
    saved, in one line) and ending as that stop ends a command (exit 143, 129, 130). A `kill`
    once the import had committed, while it reported, ended it with exit 143 and not a word
    (the report cut short), and once the block had ended, as SIGKILL would (-15)."""
    _saved[:] = [line]


def _say_stopped() -> None:
    from dlcards.stdio import say

    if _saved:
        say(_saved.pop())
        _saved.clear()


def _noted_late(signum: int, frame: FrameType | None) -> None:
    """SIGTERM or SIGHUP after the command's `stops_as_ctrl_c` blocks: noted for the process's
    entry (`stdio.guarded`) to end as that stop ends a command (`stopped_late`)."""
    _late.append(signum)


def stops_as_before() -> None:
    """SIGTERM and SIGHUP that `stops_as_ctrl_c` left noted (`_noted_late`) to their default
    action again, and nothing noted kept: for a caller that goes on after the command (a
    test's)."""
    import signal

    for name in ("SIGTERM", "SIGHUP"):
        number = getattr(signal, name, None)
        if number is not None and signal.getsignal(number) is _noted_late:
            signal.signal(number, signal.SIG_DFL)
    _late.clear()
    _saved.clear()


def stopped_late() -> int | None:
    """The exit code of a stop noted after the command's `stops_as_ctrl_c` blocks ended (128
    + the signal), its line said if its work was saved; None when none came."""
    if not _late:
        return None
    _say_stopped()
    return 128 + _late.pop(0)
