"""User-facing errors. Anything a user can cause is raised as a DlcardsError subclass and turned
into one clean line and an exit code by the CLI (dlcards.cli); nothing else prints tracebacks."""

from __future__ import annotations

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (the prompt's fast path)
if TYPE_CHECKING:
    import re
    from collections.abc import Callable


class DlcardsError(Exception):
    """An error the user can fix. `str(err)` is the one line shown; `exit_code` is returned.

    `outcome`: what the error left saved, as said when its line stands alone ("nothing was
    lost"), shown after the message in brackets. A command that goes on after the error, or
    that did more than the failed write, says its own outcome with the error's `cause_of`:
    a full disk under an export said "(nothing was lost)" beside the warning of what the
    database did not keep."""

    exit_code = 2

    def __init__(
        self, message: str, exit_code: int | None = None, outcome: str | None = None
    ) -> None:
        super().__init__(f"{message} ({outcome})" if outcome else message)
        self.cause = message
        self.outcome = outcome
        if exit_code is not None:
            self.exit_code = exit_code

    def renamed(self, old: str, new: str) -> None:
        """Name `new` where the message named `old` (a file the work was done in)."""
        self.cause = self.cause.replace(old, new)
        if self.args and isinstance(self.args[0], str):
            self.args = (self.args[0].replace(old, new), *self.args[1:])


def cause_of(err: BaseException) -> str:
    """`err`'s line without what it says was saved (`DlcardsError.outcome`), as one line: for
    a line that says the outcome itself (an export that wrote its package, an import)."""
    cause = getattr(err, "cause", None)
    return one_line(cause if isinstance(cause, str) else str(err))


class DeckError(DlcardsError):
    """A deck file is malformed: message names file, line, card id and the problem."""


class UsageError(DlcardsError):
    """Bad arguments: unknown card id, bad grade, bad value for a computation, ..."""


class StoreError(DlcardsError):
    """The progress database cannot be used (corrupt, locked, read-only, newer version)."""


CONTROL_ESCAPES = {
    **{c: f"\\x{c:02x}" for c in [*range(0x20), *range(0x7F, 0xA0)]},
    0x0A: "\\n",
    0x0D: "\\r",
    0x09: "\\t",
    0x2028: "\\u2028",
    0x2029: "\\u2029",
    # a byte that was not UTF-8 (on the command line, in a path), decoded by Python as a lone
    # surrogate: shown as the byte the user typed, not as Python's `\\udcff`
    **{c: f"\\x{c - 0xDC00:02x}" for c in range(0xDC80, 0xDD00)},
}
"""Control characters as the escapes an error line shows (`one_line`); deck text shows the
same characters, but tab and newline, as `\\xNN` (`dlcards.deck`)."""


LONG_WORD = 4096
"""The most characters of one word (a run without spaces) an error line shows whole: a card
id, a query or a deck key the user gave may be a megabyte long, and the line quoting it would
be as long; a longer word shows its start and end and how long it is. As long as the longest
path Linux takes (PATH_MAX): a path is shown whole, so it can be copied (at 160, a database
in a folder 150 characters deep was named `/home/…/nothere/p.db: (162 characters)`)."""


def quoted(text: object) -> str:
    """`text`, a value the user gave (an argument, an option's value, a path, a typed answer,
    a deck's text), quoted for a message as `repr` quotes it (`'sm3'`; `"it's"` when it holds
    a `'` and no `"`), but true to what the user typed: a byte that was not UTF-8 (decoded by
    Python as a lone surrogate, U+DC80-U+DCFF) shows as that byte, `\\xff`, where `repr`
    shows `\\udcff`; control characters as escapes, so the message stays one printable
    line; a character the output's encoding cannot show (`LC_ALL=C`: é) as the bytes it was
    typed as, `\\xc3\\xa9` (`as_bytes`), never spelled (é as e named another card id). A
    value that is not text (a deck's `tags: [1]`) as Python writes it, `1`."""
    if not isinstance(text, str):
        return repr(text)
    quote = '"' if "'" in text and '"' not in text else "'"
    unshown = None if text.isascii() else unshown_test()
    parts = [quote]
    for ch in text:
        code = ord(ch)
        if 0xDC80 <= code <= 0xDCFF:  # surrogateescape: the original byte
            parts.append(f"\\x{code - 0xDC00:02x}")
        elif code > 0x7F and unshown and ch.isprintable() and unshown(ch):
            parts.append(as_bytes(ch))
        elif ch == quote or ch == "\\":
            parts.append("\\" + ch)
        elif ch.isprintable():
            parts.append(ch)
        else:
            parts.append(repr(ch)[1:-1])
    parts.append(quote)
    return "".join(parts)


def unshown_test() -> Callable[[str], bool] | None:
    """A test of whether standard output or standard error cannot show a character (their
    encoding is ASCII under `LC_ALL=C`, `dlcards.stdio.prepare`, or any other not UTF-8);
    None when both are UTF-8 (every character shows)."""
    import sys

    encodings = set()
    for stream in (sys.stdout, sys.stderr):
        encoding = (getattr(stream, "encoding", None) or "utf-8").lower().replace("_", "-")
        if encoding not in ("utf-8", "utf8"):
            encodings.add(encoding)
    if not encodings:
        return None

    def unshown(ch: str) -> bool:
        for encoding in encodings:
            try:
                ch.encode(encoding)
            except (UnicodeEncodeError, LookupError):
                return True
        return False

    return unshown


def as_bytes(ch: str) -> str:
    """`ch`, a character the user gave that the terminal cannot show, as the bytes they gave
    it as, each `\\xNN` (é as `\\xc3\\xa9`: under `LC_ALL=C` Python reads the command line
    as UTF-8, PEP 540), as a byte that was not UTF-8 is shown; never spelled, as the cards'
    symbols are (`dlcards.stdio`): é spelled e is another text, a card id or a file that may
    well exist."""
    return "".join(f"\\x{b:02x}" for b in ch.encode("utf-8", "surrogateescape"))


def typed_as_bytes(line: str) -> str:
    """`line`, a message (an error, a note, a report's line), with each letter, digit or mark
    standard output or error cannot show (`LC_ALL=C`: é, 日) written as its bytes
    (`as_bytes`): in a message such characters are the user's (a path, a deck's name), said
    as typed. dlcards's own symbols (…, ·, ≥) are left to be spelled (`dlcards.stdio`)."""
    if line.isascii():
        return line
    unshown = unshown_test()
    if unshown is None:
        return line
    import unicodedata

    return "".join(
        as_bytes(ch)
        if not ch.isascii() and unicodedata.category(ch)[0] in "LMN" and unshown(ch)
        else ch
        for ch in line
    )


def one_line(message: str) -> str:
    """`message` as one printable line: newlines, NUL and other control characters (from a
    deck's text or a card id) are shown as escapes, so an error never spans two lines; a word
    longer than LONG_WORD is shortened (`_shortened`)."""
    line = message.translate(CONTROL_ESCAPES)
    if len(line) <= LONG_WORD or not any(len(w) > LONG_WORD for w in line.split()):
        return line
    import re

    return re.sub(rf"\S{{{LONG_WORD + 1},}}", _shortened, line)


_AROUND = "'\"()[]{}`,;:."
"""What a message puts around a value it quotes (`(got '999')`, `'x';`): not the value's."""


def _shortened(match: re.Match[str]) -> str:
    """A long word by its start, its end and the length of the value in it: the quotes and
    the brackets or punctuation the message put around the value stay around it, and are not
    counted (`(got '999…999 (5,000 characters)')`: the count said 5,003, and outside the
    quotes, where `escaped` values say 5,000 inside them)."""
    word = match.group()
    core = word.lstrip(_AROUND)
    lead = word[: len(word) - len(core)]
    core = core.rstrip(_AROUND)
    trail = word[len(lead) + len(core) :]
    if len(core) <= LONG_WORD:  # the message's own characters made it long, not the value
        core, lead, trail = word, "", ""
    return f"{lead}{core[:100]}…{core[-40:]} ({len(core):,} characters){trail}"


def nonempty(value: str, what: str, wanted: str) -> str:
    """`value` as given for `what` (an option or argument); an empty or blank one is a
    UsageError: taken as a path it would mean the current directory (or standard output), not
    what the user meant, which is usually an unset shell variable."""
    if not value.strip():
        raise UsageError(f"{what} is empty; give {wanted} (is a variable unset?)")
    return value


def interrupted(err: BaseException) -> bool:
    """A Ctrl-C: a KeyboardInterrupt, or the RuntimeError Python wraps one in when it lands in
    a class body's hooks ("Error calling __set_name__"). Both end a command with exit 130."""
    if isinstance(err, RuntimeError):
        err = err.__cause__ or err.__context__  # type: ignore[assignment]
    return isinstance(err, KeyboardInterrupt)


def interrupt_code(err: BaseException) -> int:
    """The exit code of a command `interrupted` by `err`, as a shell reports the signal: 130
    for Ctrl-C (SIGINT), 129 for a closed terminal (SIGHUP), 143 for a `kill` (SIGTERM)
    (`dlcards.terminal.Hangup` carries its code)."""
    if isinstance(err, RuntimeError):
        err = err.__cause__ or err.__context__ or err
    code = getattr(err, "code", None)
    return code if isinstance(err, KeyboardInterrupt) and isinstance(code, int) else 130
