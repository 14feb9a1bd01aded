"""`dlcards.lite`: lines printed without rich are the bytes rich prints for them, in every
environment rich tells apart (a terminal or a pipe, TTY_COMPATIBLE, FORCE_COLOR, TERM,
COLORTERM, NO_COLOR, COLUMNS/LINES, the terminal's size); what it cannot print as rich would it
leaves to rich. And `due`/`topics` print the same with it and without it."""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path

import pytest
from helpers import ENV_KEYS, Stdout, printed, quick_run
from hypothesis import example, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from dlcards import console, lite
from dlcards.cli import app
from dlcards.console import PlainTable

unset = st.none()
environments = st.fixed_dictionaries(
    {
        "TTY_COMPATIBLE": unset | st.sampled_from(["0", "1", "", "2"]),
        "FORCE_COLOR": unset | st.sampled_from(["", "1", "0"]),
        "TERM": unset | st.sampled_from(["dumb", "Unknown", "xterm", "xterm-256color", "vt100"]),
        "COLORTERM": unset | st.sampled_from(["truecolor", "24bit", ""]),
        "NO_COLOR": unset | st.sampled_from(["", "1"]),
        "COLUMNS": unset | st.sampled_from(["0", "12", "40", "100", "x", "٣"]),
        "LINES": unset | st.sampled_from(["24", "y"]),
    }
)
STYLES = ["", "bold", "cyan", "bold green", "bold blue", "bold red", "yellow", "dim", "green"]
segments = st.lists(
    st.tuples(st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=40),
              st.sampled_from(STYLES)),
    max_size=5,
)  # fmt: skip
# the terminal's size as os.get_terminal_size gives it for stdin, stdout and stderr (None: the
# descriptor is not a terminal); rich asks them in that order
terminal_sizes = st.tuples(*[st.none() | st.sampled_from([0, 20, 60, 100, 160])] * 3)


def rich_prints(lines: list[list[tuple[str, str]]]) -> None:
    """The lines as dlcards prints them through rich: each a Text of its segments."""
    from rich.text import Text

    for line in lines:
        console.out().print(Text.assemble(*line))


@settings(max_examples=400, deadline=None)
@given(env=environments, tty=st.booleans(), sizes=terminal_sizes,
       lines=st.lists(segments, min_size=1, max_size=4))  # fmt: skip
def test_text_is_wrapped_as_rich_wraps_it(
    env: dict[str, str | None],
    tty: bool,
    sizes: tuple[int | None, ...],
    lines: list[list[tuple[str, str]]],
) -> None:
    """Lines of text (rich's Text): words greedily, spaces kept or dropped at the edge as rich
    does, a word wider than the console folded, styles carried across the breaks."""
    with pytest.MonkeyPatch.context() as mp:
        done: list[bool] = []
        ours = printed(mp, env, tty, sizes, lambda: done.append(lite.write((), lines)))
        theirs = printed(mp, env, tty, sizes, lambda: rich_prints(lines))
        screens: list[lite.Screen | None] = []
        printed(mp, env, tty, sizes, lambda: screens.append(lite.Screen.detect()))
    # declined only where rich decides more: the console's kind and size
    assert done[0] == (screens[0] is not None)
    assert ours == (theirs if done[0] else "")


# what `dlcards.console.glued` keeps with a word: a code span's spaces (when it fits a line), a
# key's (`[q] quit`) and a separator's (` * `), and what looks like them and is not
GLUED_PIECES = [
    "`", "``", "dlcards config reviews_per_day N", " ", "  ", "[q]", "[", "]", "] ",
    "quit", " * ", "*", "a", "word", "to change)", "[toolong-key]", "[k]]", "x y z",
]  # fmt: skip


@settings(max_examples=400, deadline=None)
@given(
    pieces=st.lists(st.sampled_from(GLUED_PIECES), min_size=1, max_size=14),
    cuts=st.lists(st.integers(0, 200), max_size=3),
    width=st.sampled_from([12, 19, 20, 21, 30, 36, 45, 60, 100]),
)
def test_spaces_rich_keeps_with_a_word_are_kept_here(
    pieces: list[str], cuts: list[int], width: int
) -> None:
    """A paragraph with a command in backticks, a hint's key or a separator is laid out here
    as rich lays it out (`due`'s line about the review cap was left to rich, ~27 ms of
    importing it, at every count over the cap); split into segments anywhere, styled."""
    text = "".join(pieces)
    bounds = sorted({0, len(text), *(c % (len(text) + 1) for c in cuts)})
    line = [
        (text[a:b], STYLES[i % len(STYLES)])
        for i, (a, b) in enumerate(zip(bounds, bounds[1:], strict=False))
    ]
    env: dict[str, str | None] = {"COLUMNS": str(width), "FORCE_COLOR": "1"}
    with pytest.MonkeyPatch.context() as mp:
        done: list[bool] = []
        ours = printed(
            mp, env, True, (None, None, None), lambda: done.append(lite.write((), [line]))
        )
        theirs = printed(mp, env, True, (None, None, None), lambda: rich_prints([line]))
    assert done == [True]
    assert ours == theirs, (text, width)


@settings(max_examples=300, deadline=None)
@given(
    text=st.text(st.sampled_from("  abc-"), max_size=60),
    styles=st.lists(st.sampled_from(STYLES), min_size=1, max_size=4),
    width=st.integers(1, 30),
)
@example(text="abc     def", styles=["bold", ""], width=5)  # spaces past the edge: 2 kept
@example(text="ab cdefghijk  l", styles=["cyan"], width=4)  # a word folded, spaces and all
@example(text="   abc de", styles=[""], width=2)  # leading spaces belong to the first word
def test_breaks_are_riches(text: str, styles: list[str], width: int) -> None:
    """Words and runs of spaces in every arrangement, at narrow widths, split into segments."""
    from rich._wrap import divide_line

    assert lite.breaks(text, width) == divide_line(text, width)
    cut = len(text) // len(styles) or 1
    line = [(text[i : i + cut], styles[(i // cut) % len(styles)]) for i in range(0, len(text), cut)]
    with pytest.MonkeyPatch.context() as mp:
        env = {"FORCE_COLOR": "1", "COLUMNS": str(width), "LINES": "5"}
        ours = printed(mp, env, True, (None,) * 3, lambda: lite.write((), [line]))
        theirs = printed(mp, env, True, (None,) * 3, lambda: rich_prints([line]))
    assert ours == theirs


@pytest.mark.parametrize("length", [79, 80, 81, 159, 160, 161])
@pytest.mark.parametrize("sizes", [(0, 0, 0), (None, 160, None), (None, None, None)])
@pytest.mark.parametrize(
    "env", [{}, {"TTY_COMPATIBLE": "1", "TERM": "dumb"}, {"FORCE_COLOR": "1", "COLUMNS": "160"}]
)
def test_the_width_at_its_edges(
    env: dict[str, str | None], sizes: tuple[int | None, ...], length: int
) -> None:
    """80 columns when the size is unknown or reported as 0 (a dumb terminal too: otherwise
    its real size): text one column wider is wrapped there, and a table's row one column
    wider goes to rich."""
    lines = [[("x" * (length - 1), "bold"), (".", "")]]
    with pytest.MonkeyPatch.context() as mp:
        done: list[bool] = []
        ours = printed(mp, env, False, sizes, lambda: done.append(lite.write((), lines)))
        theirs = printed(mp, env, False, sizes, lambda: rich_prints(lines))
        row = printed(mp, env, False, sizes, lambda: done.append(lite.write(lines)))
    assert done[0] and ours == theirs
    assert done[1] == (theirs.count("\n") == 1)  # a row: declined exactly where rich wraps
    assert row == (theirs if done[1] else "")


@pytest.mark.parametrize(
    ("sizes", "env", "size"),
    [
        ((120, 120, 120), {}, (120, 30)),  # (a terminal's rows are 30 in `printed`)
        ((None, 50, None), {}, (50, 30)),
        ((30, None, None), {}, (30, 30)),  # the output is not a terminal: the next one that is
        ((None, None, None), {}, (80, 25)),  # no terminal at all: 80 x 25
        ((0, 0, 0), {}, (80, 30)),  # a terminal that says 0 columns: 80
        ((None, 120, None), {"COLUMNS": "64"}, (64, 30)),  # COLUMNS, as for any terminal
        ((None, 120, None), {"COLUMNS": "64", "LINES": "20"}, (64, 20)),
    ],
)
def test_a_dumb_terminal_is_as_wide_as_it_is(
    sizes: tuple[int | None, ...], env: dict[str, str], size: tuple[int, int]
) -> None:
    """TERM=dumb used to mean 80 columns and 25 rows whatever the terminal's size (rich's
    rule, unless COLUMNS and LINES were both set), so a card's panel was 80 wide in a terminal
    of 120 or 50: its size is now asked as for any other terminal, the output's first. Rich
    and the lines printed without it agree."""
    env = {"TTY_COMPATIBLE": "1", "TERM": "dumb", **env}
    with pytest.MonkeyPatch.context() as mp:
        found: list[tuple[int, int]] = []
        screens: list[lite.Screen | None] = []

        def ask() -> None:
            found.append(console.out().size)
            screens.append(lite.Screen.detect())

        printed(mp, env, True, sizes, ask)
    assert tuple(found[0]) == size
    assert screens[0] is not None and screens[0].width == size[0]
    assert not screens[0].styled  # still a dumb terminal: no colours, no codes


def _show_in_a_pty(columns: int, env: dict[str, str]) -> list[str]:
    """`dlcards show gd-1` through the real entry point on a terminal of `columns` x 40."""
    import fcntl
    import os
    import pty
    import struct
    import subprocess
    import termios

    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, columns, 0, 0))
    try:
        proc = subprocess.Popen(
            [sys.executable, "-m", "dlcards", "show", "gd-1"],
            stdin=slave, stdout=slave, stderr=slave, env=env, close_fds=True,
        )  # fmt: skip
        os.close(slave)
        chunks = []
        while True:
            try:
                chunk = os.read(master, 65536)
            except OSError:  # EIO: the child closed its side
                break
            if not chunk:
                break
            chunks.append(chunk)
        assert proc.wait(timeout=60) == 0, b"".join(chunks)
    finally:
        os.close(master)
    return b"".join(chunks).decode().replace("\r", "").splitlines()


@pytest.mark.parametrize("columns", [50, 120])
def test_show_in_a_dumb_terminal_fills_its_width(isolated: Path, columns: int) -> None:
    import os

    from rich.cells import cell_len

    env = {k: v for k, v in os.environ.items() if k not in ENV_KEYS}
    env["TERM"] = "dumb"
    lines = _show_in_a_pty(columns, env)
    panel = [line for line in lines if line.startswith(("╭", "╰", "│"))]
    assert panel, lines
    assert {cell_len(line) for line in panel} == {columns}, lines


@settings(max_examples=200, deadline=None)
@given(
    env=environments,
    tty=st.booleans(),
    rows=st.lists(
        st.tuples(
            st.text("abc-", max_size=9),
            st.text(" abcdefgh()&/,.-'!?#", max_size=30).map(str.strip),
            st.integers(0, 9999).map(str),
        ).map(list),
        min_size=1,
        max_size=5,
    ),
)
def test_a_plain_table_is_the_bytes_rich_prints(
    env: dict[str, str | None], tty: bool, rows: list[list[str]]
) -> None:
    columns = [("topic", "cyan", "left"), ("title", "", "left"), ("n", "", "right")]
    table = PlainTable.of(columns, rows, None)
    assert table is not None
    with pytest.MonkeyPatch.context() as mp:
        done: list[bool] = []
        ours = printed(
            mp, env, tty, (None, 200, None), lambda: done.append(lite.write(table.segments()))
        )
        theirs = printed(mp, env, tty, (None, 200, None), lambda: console.out().print(table))
    assert ours == (theirs if done[0] else "")


def test_what_rich_must_print_is_left_to_it(monkeypatch: pytest.MonkeyPatch) -> None:
    for key in ENV_KEYS:
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("COLUMNS", "20")
    stdout = Stdout(True)
    monkeypatch.setattr(sys, "stdout", stdout)
    for line in (
        [("数学", "")],  # wide characters
        [("café", "")],  # not ASCII
        [("tab\there", "")],  # a control character
        [("x", "italic magenta on white")],  # a background
        [("x", "#ff0000")],  # a colour other than the eight standard ones
        [("x" * 21, "")],  # wider than the console
    ):
        assert lite.write([line]) is False, line
    assert stdout.getvalue() == ""
    assert lite.write([[("x" * 20, "bold")]]) is True
    assert stdout.getvalue() == "\x1b[1m" + "x" * 20 + "\x1b[0m\n"
    import builtins

    monkeypatch.setattr(builtins, "get_ipython", lambda: None, raising=False)
    assert lite.Screen.detect() is None  # Jupyter: rich decides from the kernel


# --- the commands -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def reviewed_once() -> dict[date, Path]:
    """The database folders `reviewed` made, by the day they were made on."""
    return {}


@pytest.fixture
def reviewed(
    isolated: Path, reviewed_once: dict[date, Path], tmp_path_factory: pytest.TempPathFactory
) -> Path:
    """Six new cards studied (three remembered, three to re-drill) and a cap of one review a
    day. The session is run once per module and day, by the first test that asks, in its
    isolated environment; the others copy its database folder (was ~60 ms x 20)."""
    import shutil

    data = isolated / "data"
    today = date.today()
    if today in reviewed_once:
        shutil.copytree(reviewed_once[today], data, dirs_exist_ok=True)
        return isolated
    runner = CliRunner()
    day = "2026-11-26"
    keys = "\n5\n" * 3 + "\n1\n" * 3 + "q\n"  # three remembered, three to re-drill
    session = runner.invoke(app, ["study", "--new", "6", "--today", day], input=keys)
    assert session.exit_code == 0, session.output
    assert runner.invoke(app, ["config", "reviews_per_day", "1"]).exit_code == 0
    kept = tmp_path_factory.mktemp("reviewed") / "data"
    shutil.copytree(data, kept)
    reviewed_once[today] = kept
    return isolated


COMMANDS = [["topics"], ["due"], ["due", "--today", "2026-11-26"], ["due", "--today", "2026-12-20"]]
ENVIRONMENTS = [
    {},
    {"FORCE_COLOR": "1"},
    {"FORCE_COLOR": "1", "NO_COLOR": "1"},
    {"COLUMNS": "30"},
    {"TTY_COMPATIBLE": "1", "TERM": "dumb"},
]


@pytest.mark.parametrize("argv", COMMANDS, ids=" ".join)
@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_the_commands_print_the_same_with_and_without_rich(
    reviewed: Path, monkeypatch: pytest.MonkeyPatch, argv: list[str], env: dict[str, str]
) -> None:
    """The re-drill line, the cap's line and the next review date included; at 30 columns
    the tables and lines go to rich, which wraps them."""
    for key in ENV_KEYS:
        monkeypatch.delenv(key, raising=False)
    runner = CliRunner()
    console.out.cache_clear()  # the console is made once a process: as the environment is now
    first = runner.invoke(app, argv, env=env)
    monkeypatch.setattr(lite, "write", lambda *lines: False)
    console.out.cache_clear()
    second = runner.invoke(app, argv, env=env)
    console.out.cache_clear()
    assert first.exit_code == second.exit_code == 0, first.output
    assert first.stdout == second.stdout
    if argv == ["due", "--today", "2026-11-26"]:
        assert "to re-drill" in first.stdout and "beyond the daily cap" not in first.stdout
    if argv == ["due", "--today", "2026-12-20"]:
        # wrapped at the width: the words of the line, not its breaks
        assert "beyond the daily cap of 1" in " ".join(first.stdout.split())


def test_due_and_topics_start_without_rich(isolated: Path) -> None:
    assert CliRunner().invoke(app, ["due"]).exit_code == 0  # synced
    for argv in (["due"], ["topics"]):
        report = "sorted(m for m in ('typer', 'click', 'rich') if m in sys.modules)"
        assert quick_run(argv, report)[-1] == "[]", argv


@pytest.mark.parametrize("system", ["standard", "256", "truecolor"])
@pytest.mark.parametrize("style", ["green4", "green3", "green1", "bold bright_green", "bright_red"])
def test_the_palettes_colours_are_the_codes_rich_writes(system: str, style: str) -> None:
    """The 256-colour palette's greens of `stats`'s heatmap and the bright colours, in a
    terminal of 8 colours (rich writes the nearest of them) and of 256 or more."""
    from rich.color import ColorSystem
    from rich.style import Style

    chosen = {"standard": ColorSystem.STANDARD, "256": ColorSystem.EIGHT_BIT}.get(
        system, ColorSystem.TRUECOLOR
    )
    for name in dir(Style):  # rich keeps a style's codes, worked out for the first system
        cached = getattr(Style, name, None)
        if hasattr(cached, "cache_clear"):
            cached.cache_clear()
    rendered = Style.parse(style).render("x", color_system=chosen)
    assert rendered == f"\x1b[{lite.codes(style, True, system != 'standard')}mx\x1b[0m"


@settings(max_examples=300, deadline=None)
@given(env=environments, tty=st.booleans(), sizes=terminal_sizes)
def test_the_colour_system_is_riches(
    env: dict[str, str | None], tty: bool, sizes: tuple[int | None, ...]
) -> None:
    """`Screen.eight_bit` (a terminal of 256 colours or more) where rich writes colours:
    rich's colour system is EIGHT_BIT or TRUECOLOR."""
    screens: list[lite.Screen | None] = []
    systems: list[str | None] = []
    with pytest.MonkeyPatch.context() as mp:
        printed(mp, env, tty, sizes, lambda: screens.append(lite.Screen.detect()))
        printed(mp, env, tty, sizes, lambda: systems.append(console.out().color_system))
    screen = screens[0]
    assert screen is not None
    assert screen.styled == (systems[0] is not None)
    if screen.styled:
        assert screen.eight_bit == (systems[0] in ("256", "truecolor"))


def test_stats_starts_without_rich(isolated: Path) -> None:
    """`stats` in a pipe (no leech, a console as wide as its views) is written by
    `stats_views.write_stats`: rich, ~40% of its time at 100,000 cards, is not imported; nor
    `dataclasses` (with `inspect`, ~7 ms: the statistics' records are NamedTuples)."""
    assert CliRunner().invoke(app, ["due"]).exit_code == 0  # synced
    watched = "('typer', 'click', 'rich', 'dataclasses', 'inspect')"
    report = f"sorted(m for m in {watched} if m in sys.modules)"
    assert quick_run(["stats"], report)[-1] == "[]"
