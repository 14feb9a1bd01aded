"""Values the user gave, quoted in messages as the user can read them: a byte that is not
UTF-8 (Python's lone surrogate) as the byte, `\\xff`, never Python's `\\udcff`; control
characters as escapes, so that a message stays one line."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dlcards.console import click_line, quoted


def _bytes_as_latin1(text: str) -> str:
    """`text` with each lone surrogate of surrogateescape (U+DC80-U+DCFF) as its byte's
    Latin-1 character: what `\\xNN` in a Python literal reads back as."""
    return "".join(chr(ord(c) - 0xDC00) if 0xDC80 <= ord(c) <= 0xDCFF else c for c in text)


_ANY_CHARACTER = st.one_of(
    st.characters(),  # hypothesis leaves out surrogates: bytes that were not UTF-8, by hand
    st.integers(0xDC80, 0xDCFF).map(chr),
    st.integers(0xD800, 0xDFFF).map(chr),  # other lone surrogates, as repr shows them
)


@pytest.mark.no_files
@given(st.text(_ANY_CHARACTER))
def test_quoted_is_one_printable_line_that_reads_back_with_bytes_as_bytes(text: str) -> None:
    shown = quoted(text)
    assert shown.isprintable() and "\n" not in shown
    assert not any(0xDC80 <= ord(c) <= 0xDCFF for c in shown)
    # a Python literal of the text, with each byte that was not UTF-8 written as \xNN
    assert ast.literal_eval(shown) == _bytes_as_latin1(text)


@pytest.mark.no_files
@given(st.binary())
def test_quoted_shows_bytes_that_are_not_utf8_as_the_bytes(raw: bytes) -> None:
    text = raw.decode("utf-8", "surrogateescape")
    shown = quoted(text)
    assert "\\udc" not in shown.replace("\\\\", "")
    for byte in {ord(c) - 0xDC00 for c in text if 0xDC80 <= ord(c) <= 0xDCFF}:
        assert byte >= 0x80 and f"\\x{byte:02x}" in shown


@pytest.mark.no_files
@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("sm3", "'sm3'"),
        ("it's", '"it\'s"'),
        ("a\"b'c", "'a\"b\\'c'"),
        ("\udcff", "'\\xff'"),
        ("a\nb", "'a\\nb'"),
        ("\x1b[31mred", "'\\x1b[31mred'"),
        ("C:\\x", "'C:\\\\x'"),
        ("é", "'é'"),
    ],
)
def test_quoted_quotes_as_repr_does_but_bytes_as_bytes(text: str, shown: str) -> None:
    assert quoted(text) == shown


@pytest.mark.no_files
def test_quoted_shows_a_value_that_is_not_text_as_python_writes_it() -> None:
    """A deck's `tags: [1]` reaches a message as the int 1 (quoted raised a TypeError)."""
    assert quoted(1) == "1" and quoted([1, "a"]) == "[1, 'a']" and quoted(None) == "None"


@pytest.mark.no_files
def test_click_line_shows_a_repr_surrogate_as_its_byte_but_not_a_typed_backslash() -> None:
    assert click_line("'\\udcff' is not a valid int.") == "'\\xff' is not a valid int."
    assert click_line("No such option: --\udcff") == "No such option: --\\xff"
    assert click_line("'\\\\udcff' is not a valid int.") == "'\\\\udcff' is not a valid int."
    assert click_line("No such option: --a\nb") == "No such option: --a\\nb"


def _run(args: list[bytes], env: dict[str, str | bytes] | None = None, stdin: bytes = b""):
    environ: dict[bytes, bytes] = {os.fsencode(k): os.fsencode(v) for k, v in os.environ.items()}
    environ[b"LC_ALL"] = b"C.UTF-8"
    for key, value in (env or {}).items():
        environ[os.fsencode(key)] = value if isinstance(value, bytes) else os.fsencode(value)
    return subprocess.run(
        [sys.executable.encode(), b"-m", b"dlcards", *args],
        input=stdin,
        capture_output=True,
        env=environ,
    )


BAD = b"\xff"

CASES = {
    # dlcards' own messages
    "config scheduler": ([b"config", b"scheduler", BAD], "not '\\xff'"),
    "config unknown key": ([b"config", BAD, b"1"], "unknown setting '\\xff'"),
    "calc computation": ([b"calc", BAD], "unknown computation '\\xff'"),
    "calc value": ([b"calc", b"relu", b"z=" + BAD], "(got '\\xff')"),
    "due --today": ([b"due", b"--today", BAD], "not '\\xff'"),
    "quiz --mode": ([b"quiz", b"--mode", BAD], "--mode must be self or choice, not '\\xff'"),
    "simulate --schedulers": ([b"simulate", b"--schedulers", BAD], "scheduler '\\xff'"),
    "import anki path": ([b"import", b"anki", b"/nonexistent/" + BAD], "/nonexistent/\\xff"),
    # click's messages, through the error funnel
    "click int": ([b"simulate", b"--days", BAD], "--days must be a whole number, not '\\xff'"),
    "click int range": ([b"quiz", b"--count", BAD], "a whole number, 1 or more, not '\\xff'"),
    "click command": ([BAD], "dlcards has no command '\\xff'"),
    "click option": ([b"due", b"--" + BAD], "dlcards due has no option --\\xff"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_a_byte_that_is_not_utf8_on_the_command_line_is_said_as_the_byte(case: str) -> None:
    args, expected = CASES[case]
    result = _run(args)
    err = result.stderr.decode("utf-8", "replace")
    assert result.returncode != 0, err
    assert "Traceback" not in err
    assert "\\udc" not in err, err
    assert expected in err, err
    assert err.startswith("error: ") and expected in err.splitlines()[0], err
    assert len([line for line in err.splitlines() if line.startswith("error:")]) == 1
    assert not any(ord(c) < 0x20 and c != "\n" for c in err), err


@pytest.mark.parametrize(
    ("editor", "shown"),
    [(BAD, "the editor '\\xff'"), (b"vi '" + BAD, '"vi \'\\xff"')],
)
def test_an_editor_with_bytes_that_are_not_utf8_is_said_as_the_bytes(
    tmp_path: Path, editor: bytes, shown: str
) -> None:
    decks = tmp_path / "decks"
    copied = _run([b"decks", b"copy", os.fsencode(decks)])
    assert copied.returncode == 0, copied.stderr
    result = _run([b"edit", b"gd-1"], env={"EDITOR": editor, "DLCARDS_DECKS": str(decks)})
    err = result.stderr.decode("utf-8", "replace")
    assert result.returncode != 0, err
    assert "\\udc" not in err and shown in err, err
    assert len(err.splitlines()) == 1, err


def test_a_typed_answer_with_bytes_that_are_not_utf8_is_said_as_the_bytes() -> None:
    result = _run(
        [b"quiz", b"--topic", b"vgp", b"--mode", b"choice", b"--count", b"1", b"--seed", b"1"],
        stdin=BAD + b"\n",
    )
    said = (result.stdout + result.stderr).decode("utf-8", "replace")
    assert "Traceback" not in said
    assert "\\udc" not in said, said
    assert "'\\xff' is not" in said, said


NEWLINE = b"odd\nzzpath"
ESCAPE = b"\x1b[31mzzpath"


@pytest.mark.parametrize("odd", [NEWLINE, ESCAPE], ids=["newline", "escape"])
@pytest.mark.parametrize(
    "case", ["export anki", "decks copy", "backup", "backup --list", "no database"]
)
def test_a_path_with_a_newline_or_an_escape_sequence_is_said_on_one_line_escaped(
    tmp_path: Path, case: str, odd: bytes
) -> None:
    """A path the user gave, named in a message on stdout (`wrote`, `copied ... to`, `backed
    up ... to`, a backup's name) or stderr (a note): its newline split the message in two,
    its escape sequence reached the terminal (red text), or in a pipe lost its ESC."""
    shown = odd.decode().replace("\n", "\\n").replace("\x1b", "\\x1b")
    here = os.fsencode(tmp_path)
    db = here + b"/" + odd + b".db"
    env: dict[str, str | bytes] = {"DLCARDS_DB": db}
    if case == "export anki":
        args, expected = [b"export", b"anki", b"-o", here + b"/" + odd + b".apkg"], "wrote "
    elif case == "decks copy":
        args, expected = [b"decks", b"copy", here + b"/" + odd], "copied "
    elif case == "backup":
        args, expected = [b"backup"], "backed up "
    else:
        assert _run([b"backup"], env=env).returncode == 0
        if case == "backup --list":
            args, expected = [b"backup", b"--list"], "backup of "
        else:  # the database deleted, its backups kept: a note on stderr names both
            os.unlink(db)
            args, expected = [b"due"], "note: there was no database at "
    result = _run(args, env=env)
    said = (result.stdout + result.stderr).decode("utf-8", "replace")
    assert result.returncode == 0, said
    assert "\x1b" not in said, said
    line = next((line for line in said.splitlines() if expected in line), None)
    assert line is not None, said
    assert f"{shown}" in line, said
    # no piece of the path on a line of its own
    assert not any(ln.startswith("zzpath") for ln in said.splitlines()), said


# What a learner typed, said back as typed under a C locale: Python reads the command line as
# UTF-8 there (its UTF-8 mode, PEP 540), but dlcards writes ASCII to such a terminal and
# spelled é as e, a text the learner did not type (a card id, a file that may well exist).
# Each character it cannot show is said as the bytes typed, as a byte that is not UTF-8 is.
TYPED = "\\xc3\\xa9"  # é as its UTF-8 bytes, each \xNN

C_LOCALES = {
    "LC_ALL=C": {b"LC_ALL": b"C"},
    "LC_ALL=POSIX": {b"LC_ALL": b"POSIX"},
    "LANG=C": {b"LANG": b"C"},
}

TYPED_CASES = {
    "suspend": ([b"suspend", "é".encode()], f"unknown card id '{TYPED}'"),
    "show": ([b"show", "é".encode()], f"unknown card id '{TYPED}'"),
    "search tag:": ([b"search", "tag:é".encode()], f"unknown tag '{TYPED}'"),
    "list --topic": ([b"list", b"--topic", "é".encode()], f"unknown topic '{TYPED}'"),
    "calc": ([b"calc", "é".encode()], f"unknown computation '{TYPED}'"),
    "import path": ([b"import", b"anki", "/nonexistent/é".encode()], f"/nonexistent/{TYPED}"),
    "export path": (
        [b"export", b"anki", b"-o", "/nonexistent/é.apkg".encode()],
        f"/nonexistent/{TYPED}.apkg",
    ),
    "search, no match": ([b"search", "zzzé".encode()], f"No card matches 'zzz{TYPED}'"),
}


@pytest.mark.parametrize("locale", list(C_LOCALES))
@pytest.mark.parametrize("case", list(TYPED_CASES))
def test_what_was_typed_is_said_as_typed_under_a_c_locale(locale: str, case: str) -> None:
    args, expected = TYPED_CASES[case]
    env: dict[str, str | bytes] = {"LC_ALL": b"", "LC_CTYPE": b"", "LANG": b""}
    env.update({k.decode(): v for k, v in C_LOCALES[locale].items()})
    result = _run(args, env=env)
    said = result.stdout + result.stderr
    assert said.isascii(), said  # an ASCII terminal's: nothing it cannot show
    text = said.decode()
    assert "Traceback" not in text, text
    assert expected in text, text
    assert "'e'" not in text and "/e" not in text and "zzze'" not in text, text
    if case != "search, no match":
        assert result.returncode == 2, text
        assert len(text.splitlines()) == 1, text
