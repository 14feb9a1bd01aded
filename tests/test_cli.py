"""The command line as a whole: help everywhere, version, `python -m`, the installed wheel."""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import subprocess
import sys
import time
from importlib import metadata
from pathlib import Path
from typing import Any

import helpers as h
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
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


def test_quiz_help_says_it_leaves_either_schedulers_schedule() -> None:
    """`quiz --help` said "SM-2 states and due dates are not changed": under FSRS, the
    scheduler `config scheduler fsrs` picks, a learner could read that FSRS's were."""
    said = " ".join(runner.invoke(app, ["quiz", "--help"]).output.split())
    assert "SM-2 states" not in said
    assert "schedules (SM-2's or FSRS's) and due dates are not changed" in said, said


def value_options() -> list[list[str]]:
    """Every command line `COMMAND [SUB] --option` whose option takes a value."""
    import typer.main

    group = typer.main.get_command(app)
    out: list[list[str]] = []
    for name in commands():
        cmd = group.commands[name[0]]  # type: ignore[attr-defined]
        if len(name) == 2:
            cmd = cmd.commands[name[1]]
        elif getattr(cmd, "commands", None):
            continue
        for param in cmd.params:
            if type(param).__name__.endswith("Option") and not param.is_flag:
                out += [[*name, opt] for opt in param.opts if opt.startswith("--")]
    return out


def test_help_after_an_option_that_takes_a_value_is_the_help() -> None:
    """`dlcards doctor --restore --help` took `--help` as the backup's name (click gives an
    option that takes a value the next word, whatever it is): `--help` anywhere before `--`
    is the command's help, exit 0, for every option of every command."""
    lines = value_options()
    assert ["doctor", "--restore"] in lines and ["study", "--new"] in lines
    for line in lines:
        help_text = runner.invoke(app, [*line[:-1], "--help"]).output
        result = runner.invoke(app, [*line, "--help"])
        assert (result.exit_code, result.output) == (0, help_text), line
        later = runner.invoke(app, [*line, "--help", "more"])
        assert (later.exit_code, later.output) == (0, help_text), line
    # after `--` it is a word like any other (a search for "--help")
    assert "Usage:" not in runner.invoke(app, ["search", "--", "--help"]).output


def test_help_after_an_option_is_the_help_from_the_shell(tmp_path: Path) -> None:
    """The same through the real entry point (its fast path parses some command lines)."""
    env = {**os.environ, "DLCARDS_DB": str(tmp_path / "d.db")}
    for line in (["doctor", "--restore"], ["study", "--new"], ["show", "--db"], ["due", "--db"]):
        ran = subprocess.run(
            [sys.executable, "-m", "dlcards", *line, "--help"],
            capture_output=True, text=True, env=env, timeout=60,
        )  # fmt: skip
        assert ran.returncode == 0 and ran.stdout.startswith("Usage: "), (line, ran.stderr)
        assert ran.stderr == "", line


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
    assert result.output.startswith("error: unknown card id 'gd-230' (did you mean 'gd-30',")
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
    err = proc.communicate(timeout=20)[1].decode()
    assert proc.returncode == 0, err
    assert "Traceback" not in err and "Broken pipe" not in err


@pytest.fixture(scope="module")
def synced_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """An environment whose database is synced and has a review (for `export reviews`)."""
    tmp = tmp_path_factory.mktemp("stdout")
    env = {
        **os.environ,
        "DLCARDS_DB": str(tmp / "p.db"),
        "DLCARDS_CACHE_DIR": str(tmp / "c"),
        "DLCARDS_TODAY": "2026-11-26",
        "NO_COLOR": "1",
    }
    env.pop("PYTHONIOENCODING", None)
    subprocess.run(
        [sys.executable, "-m", "dlcards", "study"], input="\n4\nq\n", env=env, text=True,
        capture_output=True, check=True,
    )  # fmt: skip
    return env


def _closed_stdout() -> None:
    os.close(1)


@pytest.mark.parametrize(
    ("args", "stdout"),
    [
        (["list"], "closed"),
        (["due", "--count"], "closed"),
        (["export", "reviews"], "closed"),
        (["show", "gd-23"], "closed"),
        (["search", "--json", "loss"], "closed"),
        (["stats", "--json"], "closed"),
        (["show", "gd-23", "--json"], "closed"),
        (["export", "anki", "-o", "-"], "closed"),
        (["list"], "full"),
        (["due"], "full"),
        (["due", "--count"], "full"),
        (["--version"], "full"),
        (["stats"], "full"),
    ],
)
def test_standard_output_that_cannot_be_written_is_one_error_line(
    synced_env: dict[str, str], args: list[str], stdout: str
) -> None:
    """`dlcards list >&-` and `dlcards due >/dev/full`: one line naming the cause, exit 1,
    never a traceback (Python left sys.stdout None, or the write failed at the flush)."""
    if stdout == "full" and not Path("/dev/full").exists():
        pytest.skip("no /dev/full here")
    with open("/dev/full" if stdout == "full" else os.devnull, "wb") as sink:
        done = subprocess.run(
            [sys.executable, "-m", "dlcards", *args],
            stdout=sink,
            stderr=subprocess.PIPE,
            env=synced_env,
            text=True,
            preexec_fn=_closed_stdout if stdout == "closed" else None,
        )
    why = "Bad file descriptor" if stdout == "closed" else "No space left on device"
    assert done.returncode == 1
    assert done.stderr == f"error: cannot write standard output: {why}\n"


@pytest.mark.parametrize(
    "args",
    [
        ["export", "anki", "-o", "/dev/stdout"],
        ["export", "anki", "-o", "/dev/fd/1", "--force"],
        ["export", "text", "-o", "/dev/stdout"],
        ["export", "reviews", "-o", "/dev/stdout"],
    ],
)
def test_an_export_to_dev_stdout_closed_is_one_line_and_writes_no_file(
    synced_env: dict[str, str], tmp_path: Path, args: list[str]
) -> None:
    """Torture run: `dlcards export anki -o /dev/stdout >&-` said "/dev/stdout is not a
    regular file, a FIFO or a character device" (exit 2): with descriptor 1 closed, the first
    file the command opened took it (/dev/null here), and `/dev/stdout` named that file,
    whatever it was. Descriptor 1 is
    held by a pipe no one writes now: the export says standard output cannot be written, as
    every other command does, exit 1, and no file changes."""
    db = Path(synced_env["DLCARDS_DB"])
    before = {p: p.read_bytes() for p in db.parent.rglob("*") if p.is_file()}
    with open(os.devnull, "wb") as sink:
        done = subprocess.run(
            [sys.executable, "-m", "dlcards", *args],
            stdout=sink,
            stderr=subprocess.PIPE,
            env=synced_env,
            text=True,
            preexec_fn=_closed_stdout,
        )
    assert done.returncode == 1, done.stderr
    assert done.stderr == f"error: cannot write {args[3]}: Bad file descriptor\n"
    after = {p: p.read_bytes() for p in db.parent.rglob("*") if p.is_file()}
    assert after == before


@pytest.mark.parametrize(
    "args",
    [
        ["export", "anki", "-o", "/dev/stdout"],
        ["export", "reviews"],
        ["search", "--json", "loss"],
        ["stats", "--json"],
        ["show", "gd-23", "--json"],
    ],
)
def test_a_reader_that_went_away_ends_the_command_quietly(
    synced_env: dict[str, str], args: list[str]
) -> None:
    """`dlcards export anki -o /dev/stdout | head -c 10`: the reader took what it wanted and
    left. Not an error (as `list | head`, see `console.reader_left`): exit 0, nothing on
    stderr (no traceback, no "Exception ignored" of Python's at exit)."""
    line = " ".join([sys.executable, "-m", "dlcards", *args])
    done = subprocess.run(
        ["bash", "-c", f"set -o pipefail; {line} | head -c 10 >/dev/null"],
        env=synced_env,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""


@pytest.mark.parametrize(
    ("args", "code"),
    [(["show", "no-such-card"], 2), (["config", "leech_threshold", "0"], 2), (["due"], 0)],
)
@pytest.mark.parametrize("stderr", ["closed", "full"])
def test_an_error_keeps_its_exit_code_when_stderr_cannot_be_written(
    synced_env: dict[str, str], args: list[str], code: int, stderr: str
) -> None:
    """`dlcards show nope 2>&-`: the line cannot be said, the exit code still tells a script
    what went wrong (it was 1, the code of a failed write, instead of 2)."""
    if stderr == "full" and not Path("/dev/full").exists():
        pytest.skip("no /dev/full here")
    redirect = "2>&-" if stderr == "closed" else "2>/dev/full"
    line = " ".join([sys.executable, "-m", "dlcards", *args, redirect, ">/dev/null"])
    done = subprocess.run(["sh", "-c", line], env=synced_env)
    assert done.returncode == code


def test_a_terminal_that_cannot_show_the_symbols_gets_them_in_ascii(
    synced_env: dict[str, str],
) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "dlcards", "show", "perceptron-22"],
        env={**synced_env, "PYTHONIOENCODING": "ascii", "COLUMNS": "100"},
        capture_output=True,
    )
    assert done.returncode == 0, done.stderr
    text = done.stdout.decode("ascii")  # every byte is ASCII
    # symbols with a meaning spelled out, marks one for one
    assert "L(w) = sum_(i in misclassified) -y_i (w^T x_i + b)?" in text
    assert "w*x + b = 1*1 + (-1)*3" in text and "?" not in text.replace("b)?", "")
    borders = [line for line in text.splitlines() if line.startswith("+")]
    assert len({len(line) for line in borders}) == 1  # the panel's top and bottom line up
    for card in ("perceptron-22", "bce-23", "robust-i3", "cce-28"):
        shown = subprocess.run(
            [sys.executable, "-m", "dlcards", "show", card],
            env={**synced_env, "PYTHONIOENCODING": "ascii", "COLUMNS": "60"},
            capture_output=True,
        ).stdout.decode("ascii")
        lines = shown.splitlines()
        top = next(i for i, line in enumerate(lines) if line.startswith("+-"))
        bottom = max(i for i, line in enumerate(lines) if line.startswith("+-"))
        # spelled before the layout (>= is two cells): every line of the panel is 60 wide
        assert {len(line) for line in lines[top : bottom + 1]} == {60}, (card, shown)
        assert any(s in shown for s in (">=", "<=", "sum", "sigma", "->")), card
    worked = subprocess.run(
        [sys.executable, "-m", "dlcards", "show", "gd-8"],
        env={**synced_env, "PYTHONIOENCODING": "ascii", "COLUMNS": "160"},
        capture_output=True,
    ).stdout.decode("ascii")
    # a grid's column measured as spelled (sum is wider than Σ): the step is not wrapped
    assert "cost = (1/N)*sum L_i = (0.2 + 0.5 + 0.1 + 0.4) / 4" in worked, worked
    stats = subprocess.run(
        [sys.executable, "-m", "dlcards", "stats"],
        env={**synced_env, "PYTHONIOENCODING": "ascii", "COLUMNS": "100"},
        capture_output=True,
    )
    # "passed: grade ≥ 3" must not become "grade > 3"
    assert stats.returncode == 0 and b"grade >= 3" in stats.stdout


@pytest.mark.parametrize(
    ("locale", "ascii_only"),
    [
        ({"LC_ALL": "C"}, True),
        ({"LANG": "C"}, True),
        ({"LC_ALL": "POSIX", "LANG": "C.UTF-8"}, True),
        ({}, True),  # no locale at all: POSIX's default, C
        ({"LC_ALL": "C.UTF-8"}, False),
        ({"LANG": "C.UTF-8"}, False),
        ({"LC_ALL": "C", "PYTHONIOENCODING": "utf-8"}, False),  # asked for by name
    ],
)
def test_the_c_locale_gets_ascii(
    synced_env: dict[str, str], locale: dict[str, str], ascii_only: bool
) -> None:
    """`LC_ALL=C dlcards show perceptron-22` printed `╭─`, `Σ` and `∈` as UTF-8: in the C
    locale Python turns on its UTF-8 mode (PEP 538, 540), so the ASCII fallback was never
    used there, where `ls` and `less` take the terminal for ASCII. It is now, as it is for
    PYTHONIOENCODING=ascii; `--json` keeps its data whole in `\\u` escapes."""
    env = {k: v for k, v in synced_env.items() if not k.startswith(("LC_", "LANG"))}
    env = {**env, **locale, "COLUMNS": "60"}
    if "PYTHONIOENCODING" not in locale:
        env.pop("PYTHONIOENCODING", None)
    env.pop("PYTHONUTF8", None)

    def dlcards(*args: str) -> bytes:
        done = subprocess.run(
            [sys.executable, "-m", "dlcards", *args], env=env, capture_output=True
        )
        assert done.returncode == 0, done.stderr
        return done.stdout

    shown = dlcards("show", "perceptron-22")
    as_json = dlcards("show", "perceptron-2", "--json")
    data = json.loads(as_json)
    assert "wᵀx" in data["note"]
    if ascii_only:
        text = shown.decode("ascii")
        assert "L(w) = sum_(i in misclassified) -y_i (w^T x_i + b)?" in text, text
        assert text.startswith("+- perceptron-22 * ")
        assert as_json.isascii()
    else:
        assert "∑_(i ∈ misclassified)" in shown.decode("utf-8")


def _gd_answer_in_ascii(
    synced_env: dict[str, str], **extra: str
) -> subprocess.CompletedProcess[bytes]:
    """`study --topic gd` under LC_ALL=C (no other locale variable, no PYTHONIOENCODING),
    its first answer shown, then quit; `extra`: more of its environment."""
    env = {k: v for k, v in synced_env.items() if not k.startswith(("LC_", "LANG"))}
    env = {**env, "LC_ALL": "C", **extra}
    env.pop("PYTHONIOENCODING", None)
    return subprocess.run(
        [sys.executable, "-m", "dlcards", "study", "--topic", "gd"],
        input=b"\nq\n",
        env=env,
        capture_output=True,
    )


def test_list_in_a_pipe_spells_a_formula_as_show_does(
    synced_env: dict[str, str], tmp_path: Path
) -> None:
    """`LC_ALL=C dlcards list | cat` printed a `$\\tilde{x}$` question as `x` (its lines
    went through the stream's error handler, which knows no formula) where `show` printed
    `x_tilde`: every output spells a formula the same way."""
    decks = tmp_path / "decks"
    decks.mkdir()
    (decks / "acc.yaml").write_text(
        "topic: acc\ntitle: Accents\ncards:\n"
        "  - id: acc-1\n"
        "    question: What is $\\tilde{x} + \\dot{y}$ and $\\Sigma^{-1}$?\n"
        "    answer: a\n",
        encoding="utf-8",
    )
    env = {k: v for k, v in synced_env.items() if not k.startswith(("LC_", "LANG"))}
    env = {**env, "LC_ALL": "C", "DLCARDS_DECKS": str(decks), "COLUMNS": "120"}
    env.pop("PYTHONIOENCODING", None)

    def run(*args: str) -> str:
        done = subprocess.run(
            [sys.executable, "-m", "dlcards", *args], env=env, capture_output=True
        )
        assert done.returncode == 0, done.stderr
        return done.stdout.decode("ascii")

    question = "What is x_tilde + y_dot and Sigma^-1?"
    assert f"acc-1\t{question}" in run("list", "--topic", "acc").splitlines()
    assert question in run("show", "acc-1")


def test_a_glued_space_is_a_space_in_ascii(synced_env: dict[str, str]) -> None:
    """With LC_ALL=C the study screen's panel title read `perceptron-1?* Perceptron...`: the
    space kept with a separator (console.GLUE, written as a space) was spelled "?" as a
    character ASCII cannot hold; and a spelled separator (`*`) started a line."""
    done = _gd_answer_in_ascii(synced_env, COLUMNS="40", TTY_COMPATIBLE="1")
    assert done.returncode == 0, done.stderr
    lines = re.sub(r"\x1b\[[0-9;]*m", "", done.stdout.decode("ascii")).splitlines()
    assert not [line for line in lines if "?*" in line or "? *" in line], lines
    assert [line for line in lines if line.startswith("+- gd-")], lines
    assert not [line for line in lines if line.startswith("* ")], lines


def test_a_cut_text_reads_as_cut_in_ascii(synced_env: dict[str, str]) -> None:
    """With PYTHONIOENCODING=ascii `list` at 40 columns showed `perceptron-1   What is the
    primary.`: the `…` of a question cut short spelled ".", read as a finished sentence. It
    is `...`, measured as three cells, so the lines keep the terminal's width."""
    done = subprocess.run(
        [sys.executable, "-m", "dlcards", "list", "--topic", "perceptron"],
        env={**synced_env, "PYTHONIOENCODING": "ascii", "COLUMNS": "40", "TTY_COMPATIBLE": "1"},
        capture_output=True,
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.decode("ascii").splitlines()
    assert all(len(line) <= 40 for line in lines), lines
    rows = [line.rstrip() for line in lines[1:] if line.startswith("perceptron-")]
    cut = [line for line in rows if line.endswith("...")]
    assert cut, lines
    assert not [line for line in rows if re.search(r"\w\.$", line)], lines


def test_richs_own_cut_reads_as_cut_in_ascii(monkeypatch: pytest.MonkeyPatch) -> None:
    """Where rich cuts a text to a width itself (a table's cell) its `…` is `...` in ASCII,
    over the cells it ends: the line keeps its width."""
    from rich.table import Table

    from dlcards.console import out
    from dlcards.view import shorten

    with h.ascii_terminal(monkeypatch, 30) as raw:
        table = Table(box=None, pad_edge=False, show_header=False)
        table.add_column(no_wrap=True, max_width=12, overflow="ellipsis")
        table.add_column(justify="right")
        table.add_row("regularization-and-dropout", "100%")
        out().print(table)
        assert shorten("Gradient Descent and Its Variants", 20) == "Gradient Descent..."
    lines = raw.getvalue().decode("ascii").splitlines()
    assert lines[0].split() == ["regulariz...", "100%"], lines


def test_a_study_screen_in_ascii_lines_up_as_spelled(tmp_path: Path) -> None:
    """Found in tmux with PYTHONIOENCODING=ascii: the card panel's top border stood 8 columns
    short of its sides (a title "Odd 文字 Deck", tags 日本::タグ, measured in their own cells and
    printed as "??"), and the grade legend's intervals stood out of line under the grades,
    wrapped onto a third line: "↺" was measured as one cell and printed "(again)". The title,
    the legend, the header and the key hints are spelled before they are measured."""
    import re

    deck = tmp_path / "wide.yaml"
    deck.write_text(
        "topic: wide\ntitle: Odd 文字 Deck\ncards:\n"
        "  - id: wide-1\n    question: Q one?\n    answer: A one.\n    tags: [日本::タグ]\n",
        encoding="utf-8",
    )
    env = {
        **os.environ,
        "DLCARDS_DB": str(tmp_path / "p.db"),
        "DLCARDS_CACHE_DIR": str(tmp_path / "c"),
        "DLCARDS_TODAY": "2026-11-26",
        "NO_COLOR": "1",
        "PYTHONIOENCODING": "ascii",
        "COLUMNS": "60",
    }
    done = subprocess.run(
        [sys.executable, "-m", "dlcards", "study", "--decks", str(deck), "--topic", "wide"],
        input=b"\nq\n",
        env=env,
        capture_output=True,
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.decode("ascii").splitlines()
    card = lines[: next(i for i, line in enumerate(lines) if "Session summary" in line)]
    borders = [line for line in card if line.startswith("+-")]
    assert borders and {len(line) for line in borders} == {60}, lines
    legend = [i for i, line in enumerate(lines) if line.startswith("0 blackout")]
    assert legend, lines
    for at in range(legend[0], legend[0] + 4, 2):  # each row of grades, its intervals below
        grades = [m.start() for m in re.finditer(r"\d [a-z]+", lines[at])]
        intervals = [m.start() for m in re.finditer(r"\S+(?: \(again\))?", lines[at + 1])]
        assert grades == intervals, lines[at : at + 2]


def test_every_symbol_of_the_cards_has_an_ascii_spelling() -> None:
    """No character of a built-in card reaches an ASCII terminal as "?" (but the two emoji):
    superscripts and subscripts as TeX writes them, a run of them under one mark, other
    characters by their compatibility decomposition."""
    from dlcards.catalog import load_catalog
    from dlcards.render import to_plain
    from dlcards.stdio import spelled_pieces

    def ascii_of(text: str) -> str:
        return "".join(spelled_pieces(text))

    assert ascii_of("x² + 10⁻⁵ wᵢⱼ x⁽ⁱ⁾ Σᵢ₌₁ᴺ wᵀxᵢ") == "x^2 + 10^-5 w_ij x^(i) sum_(i=1)^N w^T x_i"
    # a letter or digit after a run of them is kept apart: "W^Tdelta" read as W^(Tdelta),
    # "eta^2R^2" as eta^(2R^2) (backprop-23, perceptron-19); ceiling and floor are named, not
    # both [ ] ("an epoch has [N/B] updates, not N/B", gd-22)
    assert ascii_of("Wᵀδ, gᵀHg, η²R², aᵢ²b") == "W^T delta, g^T Hg, eta^2 R^2, a_i^2 b"
    assert ascii_of("⌈N/B⌉ = ⌈5.16⌉, ⌊N/B⌋") == "ceil(N/B) = ceil(5.16), floor(N/B)"
    assert ascii_of("½η², ∞, √d, y ∝ x, a ⊙ b, ±δ, café") == (
        "(1/2)eta^2, inf, sqrt d, y propto x, a (.) b, +/-delta, cafe"
    )
    # a vulgar fraction next to what it multiplies, or after a whole number: never one number
    # with it ("1/2e^2" reads as 1/(2e^2), "31/2" as thirty-one halves)
    assert (
        ascii_of("½e² and 3½ days, ½(a+b), x = ½") == "(1/2)e^2 and 3 1/2 days, (1/2)(a+b), x = 1/2"
    )
    unknown = set()
    for card in load_catalog().cards:
        fields = (card.question, card.answer, card.erratum, card.note, *card.references)
        for field in filter(None, fields):
            plain = ascii_of(to_plain(field))
            assert plain.isascii(), (card.id, plain)
            if plain.count("?") > to_plain(field).count("?"):
                unknown.add(card.id)
    assert unknown == {"loss-g1", "loss-g5"}  # 📉 and ⛰️: no spelling


@settings(max_examples=500, deadline=None)
@given(st.text(max_size=12))
def test_any_text_is_spelled_in_ascii(text: str) -> None:
    """Whatever a deck holds (any code point, surrogates too), its spelling is ASCII: every
    rule ends in ASCII or "?", and none of them loops."""
    from dlcards.stdio import spelled

    out = "".join(spelled(ch, b) for b, ch in zip(" " + text, text, strict=False))
    assert out.isascii()


# --- issue 12: inputs and errors ------------------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ["due", "--foo"],
        ["show"],
        ["nosuch"],
        ["--bar"],
        ["study", "--new", "99999999999999999999"],
        ["export", "anki", "--frob"],
    ],
)
def test_usage_errors_are_at_most_two_lines(args: list[str]) -> None:
    result = runner.invoke(app, args)
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert 1 <= len(lines) <= 2, result.output
    assert lines[0].startswith("error: ") and "Traceback" not in result.output
    assert not lines[1:] or lines[1].startswith("Try '")


def test_card_ids_ignore_surrounding_whitespace() -> None:
    result = runner.invoke(app, ["show", " gd-2 \t", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["id"] == "gd-2"


@pytest.mark.parametrize(
    ("given", "shown"),
    [("gd\x07-2", "gd\\x07-2"), ("gd-2\nrm", "gd-2\\nrm"), ("gd-\udcff", "gd-\\xff")],
)
def test_odd_card_ids_are_shown_escaped(given: str, shown: str) -> None:
    """Control characters, and bytes that were not UTF-8 (which Python hands over as lone
    surrogates), are shown as escapes in the one-line error."""
    result = runner.invoke(app, ["show", given])
    assert result.exit_code == 2
    assert result.output.startswith(f"error: unknown card id '{shown}'")
    assert len(result.output.strip().splitlines()) == 1


def test_named_database_in_a_missing_directory_is_an_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    missing = tmp_path / "nonexistent" / "dir"
    result = runner.invoke(app, ["due", "--db", str(missing / "x.db")])
    assert result.exit_code == 2
    assert result.output.strip() == (
        f"error: cannot create database {missing / 'x.db'}: {missing} does not exist; "
        "check the path (--db or DLCARDS_DB) or create the directory"
    )
    monkeypatch.setenv("DLCARDS_DB", str(missing / "y.db"))
    result = runner.invoke(app, ["due"])
    assert result.exit_code == 2 and f"{missing} does not exist" in result.output
    assert not (tmp_path / "nonexistent").exists()
    # the default location is still made on first use
    monkeypatch.delenv("DLCARDS_DB")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    result = runner.invoke(app, ["due"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "xdg" / "dlcards" / "dlcards.db").is_file()


def test_unknown_tag_is_an_error_naming_the_known_tags() -> None:
    from dlcards.catalog import load_catalog

    known = sorted({t for c in load_catalog().cards for t in c.tags})
    for command in (["list"], ["quiz"], ["study"]):
        result = runner.invoke(app, [*command, "--tag", "mathh"], input="")
        assert result.exit_code == 2
        assert result.output.strip() == (
            f"error: unknown tag 'mathh' (did you mean 'math'?); tags are: {', '.join(known)}"
        )


def test_an_unknown_tag_is_named_as_typed_not_as_the_decks_write_tags() -> None:
    """`--tag ÉX` chooses the tag `éx` (tags ignore case), but an unknown one was said back
    as 'éx', what the decks would write, not what was typed; in a search (`tag:ÉX`) too."""
    for command in (["list"], ["quiz"], ["study"], ["search"]):
        args = [*command, "tag:ÉX"] if command == ["search"] else [*command, "--tag", "ÉX"]
        result = runner.invoke(app, args, input="")
        assert result.exit_code == 2, result.output
        assert result.output.startswith("error: unknown tag 'ÉX';"), (command, result.output)


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["search", "topic:GDX"], "error: unknown topic 'GDX' (did you mean 'gd'?);"),
        (["simulate", "--learner", "XYZ"], "error: unknown learner 'XYZ';"),
    ],
)
def test_a_value_read_in_any_case_is_named_as_typed(args: list[str], said: str) -> None:
    """A search's `topic:` and `simulate --learner` take their value in any case, and said an
    unknown one back lower-cased ('gdx', 'xyz'), not as typed."""
    result = runner.invoke(app, args, input="")
    assert result.exit_code == 2, result.output
    assert result.output.startswith(said), result.output


def test_the_tags_export_gives_anki_notes_are_pointed_to_where_dlcards_keeps_them() -> None:
    """`export anki` tags each note with its topic, so an Anki user finds them by `tag:gd`;
    here a topic is `--topic` (`topic:` in a search). A tag of a topic's name that no card has
    says where to look, in every command that takes a tag (it said only "unknown tag"). A
    leech's `leech` chooses the leeches (`test_leech`)."""
    for command in (["list"], ["quiz"], ["study"], ["search"]):
        for tag, hint in (("gd", "(gd is a topic: --topic gd, or topic:gd in a search)"),):
            args = [*command, f"tag:{tag}"] if command == ["search"] else [*command, "--tag", tag]
            result = runner.invoke(app, args, input="")
            assert result.exit_code == 2, result.output
            assert result.output.startswith(f"error: unknown tag '{tag}' {hint}"), result.output


def test_a_tag_is_chosen_in_any_case_with_the_tags_under_it(tmp_path: Path) -> None:
    """Tags as Anki has them (`C++`, `日本::タグ`, a hierarchy): `--tag` in any case chooses a
    tag, and a tag chooses those under it (`ml` chooses `ml::cnn`), as Anki's `tag:ml` finds
    them, in each command that takes `--tag` (study through the quick entry point too)."""
    decks = tmp_path / "decks"
    decks.mkdir()
    (decks / "tg.yaml").write_text(
        "topic: tg\ntitle: Tags\ncards:\n"
        "  - {id: tg-1, question: Q1, answer: A1, tags: [c++, 日本::タグ, ml::cnn]}\n"
        "  - {id: tg-2, question: Q2, answer: A2, tags: [ml]}\n"
        "  - {id: tg-3, question: Q3, answer: A3, tags: [mlx]}\n",
        encoding="utf-8",
    )
    d = ("--decks", str(decks))

    def listed(tag: str) -> list[str]:
        result = runner.invoke(app, ["list", *d, "--tag", tag])
        assert result.exit_code == 0, result.output
        return [line.split("\t")[0] for line in result.output.splitlines()]

    assert listed("C++") == ["tg-1"]
    assert listed("ML") == ["tg-1", "tg-2"]
    assert listed("ml::CNN") == listed("日本") == ["tg-1"]
    unknown = runner.invoke(app, ["list", *d, "--tag", "タグ"])
    assert unknown.exit_code == 2 and "unknown tag 'タグ'" in unknown.output
    out = tmp_path / "t.txt"
    assert runner.invoke(app, ["export", "text", "-o", str(out), *d, "--tag", "ML"]).exit_code == 0
    exported = out.read_text(encoding="utf-8")
    assert "tg-1" in exported and "tg-2" in exported and "tg-3" not in exported
    quiz = runner.invoke(app, ["quiz", *d, "--tag", "C++", "-n", "1"], input="x\n")
    assert quiz.exit_code == 0 and "Q1" in quiz.output, quiz.output
    for study in (
        runner.invoke(app, ["study", *d, "--tag", "ML::cnn"], input="q\n").output,
        "\n".join(h.quick_run(["study", *d, "--tag", "ML::cnn"], "''")),
    ):
        assert "Q1" in study and "Q2" not in study, study


def test_a_tag_is_checked_against_every_card_only_when_the_decks_gave_none(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """`Catalog.stream` checked its tag first: every card's tags gathered (every deck read, and
    kept) before the first deck was streamed, and `list --tag` in a pipe did it again in each
    deck's worker (100,000 cards: `list --tag math | wc -l` 3.7 s of CPU). The tag is
    checked now, as `select` checks it, only when no card carried it: the same lines and
    files, the same one-line error for an unknown tag."""
    from dlcards.catalog import Catalog, load_catalog

    gathered: list[str] = []
    every = Catalog.tags

    def tags(self: Catalog) -> list[str]:
        gathered.append("tags")
        return every(self)

    monkeypatch.setattr(Catalog, "tags", tags)
    math = [c.id for c in load_catalog().select((), "math")]
    listed = runner.invoke(app, ["list", "--tag", "math"])
    assert listed.exit_code == 0, listed.output
    assert [line.split("\t")[0] for line in listed.output.splitlines()] == math
    out = tmp_path / "math.txt"
    exported = runner.invoke(app, ["export", "text", "-o", str(out), "--tag", "math"])
    assert exported.exit_code == 0, exported.output
    assert all(f"{cid}" in out.read_text(encoding="utf-8") for cid in math)
    assert gathered == []
    for command in (["list"], ["export", "text", "-o", str(tmp_path / "x.txt")]):
        result = runner.invoke(app, [*command, "--tag", "mathh"])
        assert result.exit_code == 2, result.output
        assert result.output.startswith("error: unknown tag 'mathh' (did you mean 'math'?)")
    assert not (tmp_path / "x.txt").exists()


def test_list_in_a_pipe_is_one_plain_line_per_card() -> None:
    from dlcards.catalog import load_catalog

    gd = [c.id for c in load_catalog().select(["gd"])]
    result = runner.invoke(app, ["list"])
    lines = result.output.splitlines()
    assert sum("gd-" in line for line in lines) == len(gd)  # `dlcards list | grep -c gd-`
    assert all(len(line.split("\t")) == 2 for line in lines)
    assert [line.split("\t")[0] for line in lines if line.startswith("gd-")] == gd


_LIST_IN_WORKERS = """
import sys
import dlcards.commands.browse as browse
import dlcards.export.parallel as parallel
browse.PARALLEL_LIST_MIN = int(sys.argv[1])  # 0: every list in a pipe forks its workers
print(parallel.workers(), file=sys.stderr)
start = parallel._start
def started(work):
    print("worker", file=sys.stderr, flush=True)
    start(work)
parallel._start = started
sys.argv = ["dlcards", *sys.argv[2:]]
from dlcards.cli import main
main()
"""


@pytest.mark.parametrize("args", [[], ["--topic", "gd"], ["--tag", "math", "--topic", "vgp"]])
def test_list_in_a_pipe_by_workers_is_the_same_text(tmp_path: Path, args: list[str]) -> None:
    """`list` in a pipe renders its decks in worker processes from PARALLEL_LIST_MIN cards: a
    fresh process (one thread, so it may fork) forced to, and one with the threshold out of
    reach, write the same lines, each card once, in deck order."""
    from dlcards.catalog import load_catalog

    root = Path(__file__).resolve().parent.parent
    env = {**os.environ, "PYTHONPATH": str(root), "DLCARDS_CACHE_DIR": str(tmp_path / "c")}
    texts = []
    for least in ("0", str(10**9)):
        done = subprocess.run(
            [sys.executable, "-c", _LIST_IN_WORKERS, least, "list", *args],
            env=env, capture_output=True, text=True, check=True,
        )  # fmt: skip
        if least == "0" and (os.cpu_count() or 1) > 1:
            assert done.stderr.split()[0] == "2" and done.stderr.count("worker") == 2  # forked
        texts.append(done.stdout)
    topics = [a for i, a in enumerate(args) if i and args[i - 1] == "--topic"]
    tag = args[args.index("--tag") + 1] if "--tag" in args else None
    want = [c.id for c in load_catalog().select(topics, tag)]
    assert texts[0] == texts[1]
    assert [line.split("\t")[0] for line in texts[0].splitlines()] == want and want


def test_list_in_a_pipe_closed_by_its_reader_ends_its_workers(tmp_path: Path) -> None:
    """`dlcards list | head -1` with the decks rendered by workers: the command ends at once,
    quietly, exit 0, and leaves no worker behind."""
    root = Path(__file__).resolve().parent.parent
    env = {**os.environ, "PYTHONPATH": str(root), "DLCARDS_CACHE_DIR": str(tmp_path / "c")}
    script = f"{_LIST_IN_WORKERS}# {tmp_path}\n"  # in the workers' command lines too
    proc = subprocess.Popen(
        [sys.executable, "-c", script, "0", "list"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, bufsize=0,
    )  # fmt: skip
    assert proc.stdout is not None
    first = proc.stdout.readline()
    assert first.startswith(b"perceptron-1\t")
    proc.stdout.close()
    err = proc.communicate(timeout=30)[1].decode()
    assert proc.returncode == 0, err
    assert "Traceback" not in err and "Broken pipe" not in err, err
    deadline = time.monotonic() + 10
    while (left := subprocess.run(["pgrep", "-f", str(tmp_path)], capture_output=True)).stdout:
        assert time.monotonic() < deadline, left.stdout  # a worker outlived the command
        time.sleep(0.05)


@pytest.mark.parametrize("width", [60, 100])
def test_list_in_a_terminal_lines_up_a_wide_tag(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, width: int
) -> None:
    """Found in tmux: `dlcards list` of a card tagged 日本::タグ (the README's own example of a
    tag) printed "odd-1  日本::タグ日本語の質問…": the tags column was measured in characters
    (6), not cells (10), so the question ran into the tag, out of line with the others, and
    the row was wider than the terminal. Every question starts under "question"."""
    from rich.cells import cell_len

    from dlcards.console import out

    deck = tmp_path / "wide.yaml"
    deck.write_text(
        "topic: wide\ntitle: Wide\ncards:\n"
        "  - id: wide-1\n    question: Qa first\n    answer: A.\n    tags: [日本::タグ]\n"
        "  - id: wide-2\n    question: Qb second\n    answer: A.\n",
        encoding="utf-8",
    )
    monkeypatch.setenv("TTY_COMPATIBLE", "1")
    monkeypatch.setenv("TERM", "dumb")
    monkeypatch.setenv("COLUMNS", str(width))
    monkeypatch.setenv("LINES", "24")
    out.cache_clear()
    result = runner.invoke(app, ["list", "--decks", str(deck), "--topic", "wide"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    column = lines[0].index("question")
    for mark in ("Qa", "Qb"):
        line = next(line for line in lines if mark in line)
        assert cell_len(line[: line.index(mark)]) == column, lines
        assert cell_len(line.rstrip()) <= width, lines


@pytest.mark.parametrize("width", [40, 60, 100])
def test_list_in_a_terminal_never_cuts_ids(monkeypatch: pytest.MonkeyPatch, width: int) -> None:
    from dlcards.catalog import load_catalog

    monkeypatch.setenv("TTY_COMPATIBLE", "1")  # rich: a terminal, though CliRunner captures
    monkeypatch.setenv("TERM", "dumb")  # ... without escape codes
    monkeypatch.setenv("COLUMNS", str(width))
    monkeypatch.setenv("LINES", "24")
    result = runner.invoke(app, ["list"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert max(len(line) for line in lines) <= width
    ids = [c.id for c in load_catalog().cards]
    assert [line.split()[0] for line in lines[1:-1]] == ids
    assert lines[-1] == f"{len(ids)} cards"


@pytest.mark.parametrize("width", [26, 30, 34])
def test_list_on_a_narrow_terminal_puts_each_question_under_its_id(
    monkeypatch: pytest.MonkeyPatch, width: int
) -> None:
    """Found in tmux at 30 columns: `dlcards list` left the question 11 cells beside the
    id, so nearly every line read `What is…`, `How does…`, `Describe…`, where `list
    --leeches` and `search` put each question under its id. Now list does too: every id
    starts a line, and every word of every question is on screen."""
    from dlcards.catalog import load_catalog
    from dlcards.console import out
    from dlcards.render import to_plain

    monkeypatch.setenv("TTY_COMPATIBLE", "1")
    monkeypatch.setenv("TERM", "dumb")
    monkeypatch.setenv("COLUMNS", str(width))
    monkeypatch.setenv("LINES", "24")
    out.cache_clear()
    result = runner.invoke(app, ["list", "--topic", "perceptron"])  # ids of 12-13 cells
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert max(len(line) for line in lines) <= width, lines
    cards = [c for c in load_catalog().cards if c.topic == "perceptron"]
    assert [line.split()[0] for line in lines if not line.startswith(" ")][:-1] == [
        c.id for c in cards
    ]
    shown = " ".join(line.strip() for line in lines)
    assert "…" not in shown, shown
    for card in cards:
        assert " ".join(to_plain(card.question).split()) in shown, card.id


# --- every error a user can cause: one line --------------------------------------------------


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("20261126", "must be a date like 2026-11-26 (YYYY-MM-DD), not '20261126'"),
        ("2026-W48-4", "must be a date like 2026-11-26 (YYYY-MM-DD), not '2026-W48-4'"),
        ("", "must be a date like 2026-11-26 (YYYY-MM-DD), not ''"),
        ("2026-02-30", "must be a date like 2026-11-26 (YYYY-MM-DD), not '2026-02-30'"),
        ("２０２６-11-26", "must be a date like 2026-11-26 (YYYY-MM-DD), not '２０２６-11-26'"),
        ("2026/11/26", "must be a date like 2026-11-26 (YYYY-MM-DD), not '2026/11/26'"),
        (
            "9999-12-31",
            "9999-12-31 is outside the dates dlcards accepts (2000-01-01 to 2199-12-31)",
        ),
        (
            "0005-01-01",
            "0005-01-01 is outside the dates dlcards accepts (2000-01-01 to 2199-12-31)",
        ),
    ],
)
def test_today_accepts_only_iso_dates_in_the_documented_range(text: str, problem: str) -> None:
    for args in (["study"], ["stats"], ["due"], ["show", "gd-2"]):
        result = runner.invoke(app, [*args, "--today", text], input="q\n")
        assert result.exit_code == 2, (args, result.output)
        assert result.output == f"error: --today {problem}\n"
    for edge in ("2000-01-01", "2199-12-31"):
        assert runner.invoke(app, ["stats", "--today", edge]).exit_code == 0


def test_an_error_message_never_spans_two_lines(tmp_path: Path) -> None:
    decks = tmp_path / "decks"
    decks.mkdir()
    (decks / "bad.yaml").write_bytes(b'topic: bad\ntitle: Bad\ncards:\n  - id: "x\\ny\\u0000z"\n')
    result = runner.invoke(app, ["check", "--decks", str(decks)])
    assert result.exit_code == 2
    assert result.output.count("\n") == 1 and result.output.startswith("error: ")
    assert "\\n" in result.output and "\\x00" in result.output
    shown = runner.invoke(app, ["show", "gd-2\n\x00evil"])
    assert shown.exit_code == 2
    assert shown.output.count("\n") == 1 and "\\n\\x00evil" in shown.output


@pytest.mark.parametrize(
    ("args", "first"),
    [
        (["show", "nosuch-card-id-that-is-long"], "unknown card id"),  # the error funnel
        (["study", "--nope"], "dlcards study has no option --nope"),  # click's usage errors
        (["check", "--decks", "/tmp/" + "long-folder/" * 5 + "d.yaml"], "deck path"),
    ],
)
def test_an_error_on_a_narrow_terminal_breaks_between_words_under_its_message(
    monkeypatch: pytest.MonkeyPatch, args: list[str], first: str
) -> None:
    """At 40 columns the terminal folded the one line of an error inside its words
    (`unknown card id 'nosuch-card-id-t` / `hat-is-long'`). On a terminal it is now broken
    between words, each further line under the message after `error: `; a word wider than a
    line (a path) whole on its own; in a pipe (CliRunner's capture) one line, as ever."""
    monkeypatch.setenv("COLUMNS", "40")
    piped = runner.invoke(app, args).output.splitlines()
    assert piped[0].startswith(f"error: {first}") and len(piped[0]) > 40
    monkeypatch.setenv("TTY_COMPATIBLE", "1")
    shown = runner.invoke(app, args).output.splitlines()
    message = shown[: len(shown) - len(piped) + 1]
    assert " ".join(line.strip() for line in message) == piped[0]
    assert shown[len(message) :] == piped[1:]  # `Try '... --help'`: short, one line
    assert len(message) > 1 and message[0].startswith(f"error: {first.split()[0]}")
    for line in message[1:]:
        assert line.startswith(" " * 7) and line[7] != " ", message
    for line in message:
        assert len(line) <= 40 or " " not in line.strip(), message
    assert all(len(line) <= 40 for line in shown[len(message) :])


@pytest.mark.no_files
@pytest.mark.parametrize(
    ("line", "indent"),
    [
        ("warning: could not back up /tmp/p.db today: No space left on device", 9),
        ("note: there was no database at /tmp/p.db, so a new one was made; backups", 6),
        ("another `dlcards add` or `dlcards edit` is changing a deck in this folder", 2),
        ("note: gd-1 is held; `dlcards unsuspend gd-1` brings it back into study", 6),
    ],
)
def test_warnings_and_notes_on_stderr_are_wrapped_as_errors_are(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], line: str, indent: int
) -> None:
    from dlcards.stdio import say

    monkeypatch.setenv("COLUMNS", "30")
    say(line)
    assert capsys.readouterr().err == line + "\n"  # not a terminal: one line
    monkeypatch.setenv("TTY_COMPATIBLE", "1")
    say(line)
    lines = capsys.readouterr().err.splitlines()
    assert " ".join(part.strip() for part in lines) == line
    assert all(len(part) <= 30 for part in lines) and len(lines) > 2
    assert all(part.startswith(" " * indent) and part[indent] != " " for part in lines[1:])
    for command in re.findall(r"`[^`]+`", line):  # a command to type: on one line
        assert any(command in part for part in lines), (command, lines)


@pytest.mark.parametrize("width", range(30, 61))
def test_a_command_in_a_message_stays_on_one_line(
    monkeypatch: pytest.MonkeyPatch, width: int
) -> None:
    """At 36 columns `due`'s line about the review cap ended with "(`dlcards config" and
    began the next with "reviews_per_day N` to change)": rich (and dlcards.lite, which
    prints as rich does) broke a command to type between its words. A code span that fits a
    line is kept on one, as a str or a Text, by rich or by the light printer (which lays it
    out as rich does: it left such a line to rich, ~27 ms of importing it in `due`); one
    longer than a line still wraps between its words."""
    from rich.text import Text

    from dlcards import lite
    from dlcards.console import out

    monkeypatch.setenv("COLUMNS", str(width))
    monkeypatch.setenv("TTY_COMPATIBLE", "1")
    monkeypatch.setenv("NO_COLOR", "1")
    out.cache_clear()
    line = (
        "40 new cards wait: the daily review cap of 5 leaves no room for them today "
        "(`dlcards config reviews_per_day N` to change)"
    )
    screen = lite.Screen.detect()
    assert screen is not None
    with out().capture() as captured:
        out().print(Text(line))
    assert screen.render([], [[(line, "")]]) == captured.get()  # the light printer's too
    with out().capture() as captured:
        out().print(line)
        out().print(Text(line, style="yellow"))
    lines = captured.get().splitlines()
    assert all(len(shown) <= width for shown in lines), lines
    whole = sum("`dlcards config reviews_per_day N`" in shown for shown in lines)
    # the command and the bracket before it fit a line from 35 columns on
    assert whole == (2 if width >= 35 else 0), lines
    with out().capture() as captured:
        out().print("run `" + "x " * width + "` now")  # longer than a line: between words
    assert all(len(shown) <= width for shown in captured.get().splitlines())
    out.cache_clear()


@pytest.mark.parametrize("width", range(20, 61))
def test_a_hints_key_stays_with_its_word(monkeypatch: pytest.MonkeyPatch, width: int) -> None:
    """In tmux at 40 columns the quiz's hint read `Did you know it? [y] yes · [n] no · [q]` /
    `quit`: a key at the end of a line, its word on the next; and study's line-protocol
    hint `... ! suspend` / `· e edit ...`, a separator starting a line."""
    from dlcards.console import out

    monkeypatch.setenv("COLUMNS", str(width))
    monkeypatch.setenv("TTY_COMPATIBLE", "1")
    monkeypatch.setenv("NO_COLOR", "1")
    out.cache_clear()
    with out().capture() as captured:
        out().print(r"[dim]Did you know it? \[y] yes · \[n] no · \[q] quit[/dim]")
        out().print(r"[dim]\[Space] show the answer · \[s] skip · \[q] quit[/dim]")
        out().print("grade 0-5 · u undo · s skip · ! suspend · e edit · q quit · ↺ again today")
    out.cache_clear()
    shown = re.sub(r"\x1b\[[0-9;]*m", "", captured.get())
    lines = [line.rstrip() for line in shown.splitlines()]
    assert all(len(line) <= width for line in lines), lines
    assert not [line for line in lines if re.search(r"\[\w+\]$", line)], lines
    assert not [line for line in lines if line.startswith("·")], lines  # `· e edit`
    words = " ".join(lines)
    assert "[y] yes" in words and "[q] quit" in words and "[Space] show" in words, lines


@pytest.mark.parametrize(
    "args",
    [
        ["calc", "huber", "error=100", "delta=1"],
        ["calc", "--list"],
        ["calc", "softmax", "logits=1,2,3"],
        ["check"],
        ["stats"],
    ],
)
@pytest.mark.parametrize("columns", ["60", "160"])
def test_piped_output_has_no_trailing_spaces(
    monkeypatch: pytest.MonkeyPatch, args: list[str], columns: str
) -> None:
    """`dlcards calc … | cat -A` showed every table line padded to its width (issue 12)."""
    from dlcards.console import out

    monkeypatch.setenv("COLUMNS", columns)
    out.cache_clear()
    result = CliRunner().invoke(app, args)  # not a terminal: a pipe
    assert result.exit_code == 0, result.output
    padded = [line for line in result.output.split("\n") if line != line.rstrip(" \t")]
    assert not padded, padded[:3]
    assert len(result.output.splitlines()) > 2


def test_reset_of_a_database_that_cannot_be_written_is_refused_before_it_asks(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """On a read-only database `dlcards reset gd-1` asked "Reset card gd-1 to new? [y/N]" on a
    terminal, and only after a `y` said the database cannot be written: the README says a
    command that would write is refused, naming the file, before it asks anything, as `study`
    is. (In a script, with no one to answer, "pass --yes" still comes first, before the
    database is opened.)"""
    import typer.testing

    import dlcards.stdio

    asked: list[str] = []
    monkeypatch.setattr(dlcards.stdio, "confirm", lambda question, **_: asked.append(question))
    # the runner's standard input, as a terminal's: reset asks there
    monkeypatch.setattr(typer.testing._NamedTextIOWrapper, "isatty", lambda self: True)
    # a terminal wide enough for the whole line: at the suite's 160 columns, a temporary
    # folder a few characters longer (TMPDIR=/dev/shm/..., pytest-10, gw10) wrapped it in two
    monkeypatch.setenv("COLUMNS", "1000")
    real_access = os.access
    monkeypatch.setattr(
        os, "access", lambda p, mode: False if mode == os.W_OK else real_access(p, mode)
    )
    db = os.environ["DLCARDS_DB"]
    before = Path(db).read_bytes()
    for args in (["reset", "gd-1"], ["reset", "--all"], ["reset", "gd-1", "--yes"]):
        result = runner.invoke(app, args)
        assert result.exit_code == 2, result.output
        (line,) = result.output.strip().splitlines()
        assert line.startswith(f"error: database {db} is read-only"), line
    assert asked == [] and Path(db).read_bytes() == before


def test_a_writer_on_a_read_only_database_with_unsynced_decks_says_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With a deck the database had not synced, `study`, `quiz`, `suspend`, `unsuspend`,
    `reset` and `import anki` on a read-only database said "note: ... the decks' changes since
    it was last synced are not in it; what it holds is shown", then refused to write: nothing
    was shown, and the README promises one line. A command that writes refuses before the
    sync; one that reads (`due`) still says what it shows."""
    package = tmp_path / "cards.apkg"
    assert runner.invoke(app, ["export", "anki", "-o", str(package)]).exit_code == 0
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "zz.yaml").write_text(
        "topic: zz\ntitle: ZZ\ncards:\n- id: zz-1\n  question: Q?\n  answer: A.\n"
    )
    real_access = os.access
    monkeypatch.setattr(
        os, "access", lambda p, mode: False if mode == os.W_OK else real_access(p, mode)
    )
    db = os.environ["DLCARDS_DB"]
    before = Path(db).read_bytes()
    decks = ["--decks", str(mine)]
    for args in (
        ["study"],
        ["quiz", "-n", "1"],
        ["suspend", "gd-1"],
        ["unsuspend", "gd-1"],
        ["reset", "gd-1", "--yes"],
        ["import", "anki", str(package)],
    ):
        result = runner.invoke(app, [*args, *decks], input="")
        assert result.exit_code == 2, (args, result.output)
        lines = result.output.strip().splitlines()
        said = f"error: database {db} is read-only; check its permissions or pass --db"
        # (an import says what it left, as its other refusals do)
        said += " (nothing was imported)" if args[0] == "import" else ""
        assert lines == [said], (args, lines)
    shown = runner.invoke(app, ["due", *decks])
    assert shown.exit_code == 0 and "note: database" in shown.output
    assert Path(db).read_bytes() == before


def test_a_read_only_database_and_a_deck_saved_again_as_it_was_say_no_change(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A deck file saved again as it was (an editor's `:w`) after the last sync: a command
    on a database that cannot be written said "the decks' changes since it was last synced
    are not in it", of a save that changed nothing (the deck files' signature is made from
    their times). Now the decks' text decides: nothing is said; a real change still is."""
    mine = tmp_path / "mine"
    mine.mkdir()
    deck = mine / "zz.yaml"
    text = "topic: zz\ntitle: ZZ\ncards:\n- id: zz-1\n  question: Q?\n  answer: A.\n"
    deck.write_text(text)
    decks = ["--decks", str(mine)]
    assert runner.invoke(app, ["due", *decks]).exit_code == 0  # synced
    real_access = os.access
    monkeypatch.setattr(
        os, "access", lambda p, mode: False if mode == os.W_OK else real_access(p, mode)
    )
    deck.write_text(text)  # saved again: a new time, the same text
    shown = runner.invoke(app, ["due", *decks])
    assert shown.exit_code == 0 and "note: database" not in shown.output, shown.output
    deck.write_text(text.replace("A.", "An answer."))
    shown = runner.invoke(app, ["due", *decks])
    assert shown.exit_code == 0 and "note: database" in shown.output, shown.output


def _closed_stdin() -> None:
    os.close(0)


@pytest.mark.parametrize(
    ("args", "code", "said"),
    [
        (["study"], 0, "Input ended. 0 grades saved."),
        (["quiz", "-n", "1"], 0, "Input ended."),
        (["reset", "gd-1"], 2, "pass --yes"),
    ],
)
def test_a_closed_standard_input_is_the_end_of_input(
    synced_env: dict[str, str], args: list[str], code: int, said: str
) -> None:
    """Torture run 2 (f3.sh): `dlcards study <&-` died with AttributeError ('NoneType' object
    has no attribute 'isatty'); it is now read as `</dev/null` is."""
    done = subprocess.run(
        [sys.executable, "-m", "dlcards", *args],
        capture_output=True,
        text=True,
        env=synced_env,
        preexec_fn=_closed_stdin,
    )
    assert done.returncode == code, done.stderr
    assert said in done.stdout + done.stderr and "Traceback" not in done.stderr


def test_ctrl_c_while_a_command_starts_is_exit_130_without_a_traceback() -> None:
    """Torture run 2 (f4.sh): Ctrl-C in the first 0.15 s of `dlcards backup` (typer's modules
    importing) printed a KeyboardInterrupt traceback."""
    from dlcards.stdio import guarded

    def interrupted() -> None:
        raise KeyboardInterrupt

    with pytest.raises(SystemExit) as stopped:
        guarded(interrupted)
    assert stopped.value.code == 130

    def wrapped() -> None:  # "Error calling __set_name__ on 'cached_property'" (run 3)
        try:
            raise KeyboardInterrupt
        except KeyboardInterrupt as err:
            raise RuntimeError("Error calling __set_name__") from err

    with pytest.raises(SystemExit) as stopped:
        guarded(wrapped)
    assert stopped.value.code == 130


def test_ctrl_c_while_the_prompts_count_reads_is_exit_130(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The prompt's count runs before the guard is imported: a Ctrl-C there ends as the
    guard ends one, with nothing written."""
    import dlcards.prompt
    from dlcards import quick

    def wrapped(argv: list[str]) -> int:
        try:
            raise KeyboardInterrupt
        except KeyboardInterrupt as err:
            raise RuntimeError("Error calling __set_name__") from err

    monkeypatch.setattr(sys, "argv", ["dlcards", "due", "--count"])
    for interrupted in (wrapped, lambda argv: (_ for _ in ()).throw(KeyboardInterrupt)):
        monkeypatch.setattr(dlcards.prompt, "count", interrupted)
        with pytest.raises(SystemExit) as stopped:
            quick.main()
        assert stopped.value.code == 130
    assert capsys.readouterr() == ("", "")


@pytest.mark.parametrize(
    "args",
    [
        ["export", "anki", "-o", "loop"],
        ["export", "text", "-o", "loop"],
        ["export", "reviews", "-o", "loop"],
        ["add", "--deck", "loop"],
    ],
)
def test_a_path_that_is_a_symlink_loop_is_one_line(
    synced_env: dict[str, str], tmp_path: Path, args: list[str]
) -> None:
    """Torture run: `-o loop` (a symbolic link to itself) printed pathlib's RuntimeError
    traceback, wherever a given path was resolved (Python before 3.13; OSError from 3.13)."""
    (tmp_path / "loop").symlink_to("loop")
    done = subprocess.run(
        [sys.executable, "-m", "dlcards", *args], cwd=tmp_path, env=synced_env,
        capture_output=True, text=True, stdin=subprocess.DEVNULL,
    )  # fmt: skip
    assert done.returncode != 0 and "Traceback" not in done.stderr, done.stderr
    assert done.stderr.count("\n") == 1 and "loop" in done.stderr, done.stderr


def test_an_empty_db_option_is_an_error_not_the_default_database() -> None:
    """Torture run 2 (f7.sh): `--db "$UNSET"` opened (and created) the default database."""
    for args in (["due"], ["due", "--count"], ["show", "gd-23"], ["stats"], ["list"]):
        done = runner.invoke(app, [*args, "--db", ""])
        assert done.exit_code == 2, (args, done.output)
        assert "--db is empty" in done.output


def test_a_command_run_from_a_deleted_directory_works(
    synced_env: dict[str, str], tmp_path: Path
) -> None:
    """Torture run 3 (cwd.sh): from a removed working directory `due`, `stats`, `list` and
    `show` said "error: No such file or directory", naming nothing (the decks' names are
    shown relative to the current directory, which no longer existed)."""
    gone = tmp_path / "gone"
    script = (
        f"import os, subprocess, sys; os.mkdir({str(gone)!r}); os.chdir({str(gone)!r}); "
        f"os.rmdir({str(gone)!r}); "
        "sys.exit(subprocess.run([sys.executable, '-m', 'dlcards'] + sys.argv[1:]).returncode)"
    )
    for args in (["due"], ["list"], ["show", "gd-1"], ["stats"]):
        done = subprocess.run(
            [sys.executable, "-c", script, *args], env=synced_env, capture_output=True, text=True
        )
        assert done.returncode == 0, (args, done.stderr)


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["export", "anki", "-o", ""], "-o is empty; give a file name, or - for standard output"),
        (["export", "text", "-o", ""], "-o is empty; give a file name, or - for standard output"),
        (
            ["export", "reviews", "-o", " "],
            "-o is empty; give a file name, or - for standard output",
        ),
        (["import", "anki", ""], "FILE is empty; give the .apkg, .colpkg or .anki2 file"),
        (["import", "anki", "x.apkg", "--to-yaml", ""], "--to-yaml is empty; give the folder"),
        (["doctor", "--restore", ""], "--restore is empty; give a backup's path or name"),
        (["decks", "copy", ""], "DIR is empty; give the folder to copy the decks into"),
        (["add", "--deck", ""], "--deck is empty; give the deck file to add to"),
        (["due", "--decks", ""], "--decks is empty; give a deck file or directory"),
        (["show", "gd-1", "--decks", ""], "--decks is empty; give a deck file or directory"),
    ],
)
def test_an_empty_path_is_an_error_not_the_current_directory(
    args: list[str], said: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An empty path (`-o "$UNSET"`) would be read as the current directory, or standard
    output: a command says so instead, and writes nothing."""
    here = tmp_path / "here"
    here.mkdir()
    monkeypatch.chdir(here)
    result = runner.invoke(app, args)
    assert result.exit_code == 2, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"error: {said}"), lines
    assert lines[0].endswith("(is a variable unset?)")
    assert list(here.iterdir()) == []


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["search", "loss", "-n"], "error: dlcards search -n needs a value"),
        (["due", "--json=1"], "error: dlcards due --json takes no value"),
        (["quiz", "--count"], "error: dlcards quiz --count needs a value"),
    ],
)
def test_an_option_without_its_value_says_so_in_one_line(args: list[str], said: str) -> None:
    result = runner.invoke(app, args)
    assert result.exit_code == 2
    assert result.output.strip().splitlines() == [said]


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["study", "--new", "-1"], "--new must be from 0 to 9999, not -1"),
        (
            ["study", "--reviews", "abc"],
            "--reviews must be a whole number, from 0 to 1,000,000, not 'abc'",
        ),
        (["quiz", "-n", "0"], "--count must be 1 or more, not 0"),
        (["search", "loss", "-n", "x"], "--limit must be a whole number, 1 or more, not 'x'"),
        (["quiz", "--seed", "1.5"], "--seed must be a whole number, not '1.5'"),
        (["simulate", "--retention", "high"], "--retention must be a number, not 'high'"),
        # a range's limit of five digits or more is grouped, as `console.bound` writes it
        (["simulate", "--days", "0"], "--days must be from 1 to 36,500, not 0"),
        (["export", "reviews", "--format", "xml"], "--format must be csv or json, not 'xml'"),
    ],
)
def test_a_bad_number_or_choice_for_an_option_is_said_in_plain_words(
    args: list[str], said: str
) -> None:
    """Found in a terminal: `study --new -1` said "-1 is not in the range 0<=x<=9999.",
    `--reviews abc` "'abc' is not a valid int range." and `--format xml` "'xml' is not one of
    'csv', 'json'.", click's words, where dlcards's own checks (`config`, `simulate --days`,
    `quiz --mode`) say what the value must be, in one line as they do."""
    result = runner.invoke(app, args)
    assert result.exit_code == 2
    assert result.output.strip().splitlines() == [f"error: {said}"]


def test_a_retired_card_is_named_as_retired_not_unknown(tmp_path: Path) -> None:
    """A card its deck dropped (retired at the next sync, its log kept) is refused by every
    command that takes a card id saying what became of it, not as an id never known; an id
    never synced is still unknown."""
    deck = tmp_path / "my.yaml"
    two = "topic: my\ntitle: Mine\ncards:\n"
    two += "  - {id: my-1, question: q1, answer: a1}\n  - {id: my-2, question: q2, answer: a2}\n"
    deck.write_text(two, encoding="utf-8")
    decks = ["--decks", str(deck)]
    studied = runner.invoke(app, ["study", *decks, "--topic", "my"], input=" \n4\nq\n")
    assert studied.exit_code == 0, studied.output
    assert runner.invoke(app, ["show", "my-1", *decks]).exit_code == 0
    deck.write_text(two.replace("  - {id: my-1, question: q1, answer: a1}\n", ""), "utf-8")
    said = (
        "error: card 'my-1' is in no deck now: its deck no longer has it; its log (1 review) "
        "is kept and comes back with it if a deck has the id again\n"
    )
    # before any sync has retired it too (show reads the decks, it does not sync)
    assert runner.invoke(app, ["show", "my-1", *decks]).output == said
    assert runner.invoke(app, ["due", *decks]).exit_code == 0  # the sync retires my-1
    for command in (["show", " my-1"], ["suspend", "my-1"], ["reset", "my-1"], ["edit", "my-1"]):
        result = runner.invoke(app, [*command, *decks])
        assert (result.exit_code, result.output) == (2, said), command
    result = runner.invoke(app, ["show", "my-3", *decks])
    assert result.exit_code == 2 and result.output.startswith("error: unknown card id 'my-3'")


def test_show_refuses_a_database_no_command_could_use(tmp_path: Path) -> None:
    """`show` reads without creating the database, and a path no command could use (a
    typo's missing directory, a directory, a place where no file can be made) was shown as a
    collection in which the card is new, exit 0. Now the one line the other commands give;
    a new file in a usable folder still shows the card as new, and nothing is left there."""
    runner = CliRunner()
    bad = [str(tmp_path / "nowhere" / "p.db"), str(tmp_path)]
    if Path("/proc/self").is_dir():
        bad.append("/proc/x")  # no file can be made there, whoever runs this
    for db in bad:
        result = runner.invoke(app, ["show", "gd-3", "--db", db])
        assert result.exit_code == 2, (db, result.output)
        assert result.output.startswith("error: ") and result.output.count("\n") == 1
    (tmp_path / "fine").mkdir()
    result = runner.invoke(app, ["show", "gd-3", "--db", str(tmp_path / "fine" / "new.db")])
    assert result.exit_code == 0 and "new · not studied yet" in result.output
    assert list((tmp_path / "fine").iterdir()) == []


@pytest.mark.parametrize(
    "args",
    [["search"], ["study", "--search"], ["quiz", "--search"]],
    ids=["search", "study", "quiz"],
)
def test_a_line_that_matched_nothing_quotes_a_huge_query_by_its_ends(args: list[str]) -> None:
    """`search`, `study --search` and `quiz --search` say the query found nothing by quoting
    it: a word of 100,000 characters was printed back whole (an error line already showed it
    by its ends and its length)."""
    result = CliRunner().invoke(app, [*args, "q" * 100_000])
    assert result.exit_code == 0, result.output
    assert "(100,000 characters)" in result.output and len(result.output) < 400, result.output


def test_an_error_quoting_a_huge_argument_is_a_short_line(tmp_path: Path) -> None:
    """An error line quotes what the user gave: a card id of 100,000 characters, or a deck
    key of a megabyte, made a line as long. The word is shown by its ends and its length."""
    runner = CliRunner()
    result = runner.invoke(app, ["show", "x" * 100_000])
    assert result.exit_code == 2
    line = result.output
    assert line.count("\n") == 1 and len(line) < 400
    assert line.startswith("error: unknown card id 'xxx") and "(100,000 characters)" in line
    deck = tmp_path / "big.yaml"
    deck.write_text(
        "topic: big\ntitle: Big\ncards:\n  - id: big-1\n    question: Q?\n    answer: A.\n"
        f"    {'k' * 1_000_000}: v\n",
        encoding="utf-8",
    )
    result = runner.invoke(app, ["topics", "--decks", str(deck)])
    assert result.exit_code == 2
    assert result.output.count("\n") == 1 and len(result.output) < 600, result.output[:300]
    assert "big.yaml:7" in result.output and "characters)" in result.output


def test_a_huge_value_quoted_in_a_message_is_counted_as_given() -> None:
    """Found in tmux: `calc sigmoid z=<5,000 nines>` said `(got '999…999') (5,003
    characters)`: the count took in the quotes and the bracket the message put around the
    value, and stood outside them, where an id shortened before it is quoted says `'xxx…xxx
    (5,000 characters)'`. The value's own length, inside its quotes."""
    result = CliRunner().invoke(app, ["calc", "sigmoid", "z=" + "9" * 5000])
    assert result.exit_code == 2
    line = result.output
    assert line.count("\n") == 1 and len(line) < 400, line
    assert line.rstrip().endswith("999 (5,000 characters)')"), line


def test_an_error_naming_a_long_path_shows_it_whole(tmp_path: Path) -> None:
    """A path is shown whole in an error, however deep, so that it can be copied: a database
    in a missing folder 150 characters deep was named by its ends and "(162 characters)"."""
    deep = tmp_path.joinpath(*(["d" * 60] * 5))
    deep.mkdir(parents=True)
    db = deep / "missing" / "progress.db"
    result = CliRunner().invoke(app, ["due", "--db", str(db)])
    assert result.exit_code == 2, result.output
    assert result.output.count("\n") == 1 and str(db) in result.output, result.output
    assert "…" not in result.output and "characters)" not in result.output


def test_a_switch_to_fsrs_counts_the_cards_it_rebuilt_in_words() -> None:
    runner = CliRunner()
    result = runner.invoke(app, ["study", "--topic", "gd", "--new", "1"], input="\n4\nq\n")
    assert result.exit_code == 0, result.output
    result = runner.invoke(app, ["config", "scheduler", "fsrs"])
    assert result.exit_code == 0, result.output
    assert "rebuilt the state of 1 card from the review history" in result.output


def test_every_symbol_the_program_draws_has_an_ascii_spelling() -> None:
    """Each character outside ASCII in dlcards's own strings (the study screen's ↺ and
    progress bar, the histograms' partial blocks, the heatmap's scale and today mark...)
    has a spelling for a terminal that cannot show it, not "?" (an adversarial run saw `1d ?`
    and `???-----` in study); and the heatmap's steps and its today mark stay distinct."""
    import ast
    import tokenize

    from dlcards.commands.stats_views import LEVELS, TODAY_MARK
    from dlcards.stdio import spelled

    root = Path(__file__).resolve().parent.parent / "dlcards"
    unspelled: dict[str, str] = {}
    in_ascii = set(map(chr, range(128)))
    for path in sorted(root.rglob("*.py")):
        source = path.read_text(encoding="utf-8")
        if not any(spelled(ch) == "?" and not ch.isalpha() for ch in set(source) - in_ascii):
            continue  # no string of this file can hold one: not tokenized (~1 s in all)
        docstrings = {
            node.body[0].value.lineno
            for node in ast.walk(ast.parse(source))
            if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef)
            and node.body
            and isinstance(node.body[0], ast.Expr)
            and isinstance(node.body[0].value, ast.Constant)
        }
        for token in tokenize.generate_tokens(io.StringIO(source).readline):
            if token.type != tokenize.STRING or token.start[0] in docstrings:
                continue
            for ch in set(token.string) - in_ascii:
                if spelled(ch) == "?" and not ch.isalpha():
                    unspelled.setdefault(ch, f"{path.name}:{token.start[0]}")
    assert unspelled == {}
    shown = [spelled(ch) for ch in LEVELS + TODAY_MARK]
    assert len(set(shown)) == len(shown), shown


def test_an_id_in_the_wrong_case_gets_its_suggestion() -> None:
    result = runner.invoke(app, ["show", "GD-1"])
    assert result.exit_code == 2
    assert result.output.startswith("error: unknown card id 'GD-1' (did you mean 'gd-1',")


def test_a_suggestion_is_never_the_word_itself() -> None:
    """Found by a torture run: a catalog read before a deck was saved without `own-4` still
    listed it, and asked for it said "unknown card id 'own-4' (did you mean 'own-4' ...)"."""
    from dlcards.suggest import did_you_mean

    assert did_you_mean("own-4", ["own-4", "own-5"]) == " (did you mean 'own-5'?)"
    assert did_you_mean("own-4", ["own-4"]) == ""
    assert did_you_mean("GD-1", ["gd-1", "GD-1"]) == " (did you mean 'gd-1'?)"


@pytest.mark.parametrize("width", [30, 40, 48])
def test_topics_on_a_narrow_screen_put_each_title_under_its_topic(
    monkeypatch: pytest.MonkeyPatch, width: int
) -> None:
    """At 30 columns `topics` squeezed the titles into five cells a line ("Perc…", then a
    word a line): each title now goes under its topic's row, wrapped, whole."""
    from dlcards.catalog import load_catalog
    from dlcards.console import out

    monkeypatch.setenv("COLUMNS", str(width))
    monkeypatch.setenv("TTY_COMPATIBLE", "1")
    out.cache_clear()
    shown = re.sub(r"\x1b\[[0-9;]*m", "", CliRunner().invoke(app, ["topics"]).output)
    lines = shown.splitlines()
    assert all(len(line) <= width for line in lines), shown
    assert lines[0].split() == ["topic", "cards", "math"]
    assert "…" not in shown
    words = " ".join(shown.split())
    for info in load_catalog().infos:
        assert f"{info.topic} {info.size} {info.math} {info.title}" in words, info.topic
    catalog = load_catalog()  # the totals row: topics, cards, math cards, as the decks have them
    math = sum(card.is_math for card in catalog.cards)
    assert lines[-1].split() == [
        str(len(catalog.infos)),
        "topics",
        str(len(catalog.cards)),
        str(math),
    ]


def _one_card_deck(folder: Path, topic: str, title: str) -> Path:
    """A deck file of one card, of this topic and title."""
    deck = folder / "long.yaml"
    deck.write_text(
        f"topic: {topic}\ntitle: {title}\ncards:\n  - id: l-1\n    question: Q?\n    answer: A.\n",
        encoding="utf-8",
    )
    return deck


@pytest.mark.parametrize("width", [60, 100])
def test_a_long_topic_folds_and_keeps_the_other_columns(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, width: int
) -> None:
    """A topic of 110 characters (an Anki deck deep down, converted) took the whole line in
    `topics`: its title and counts were not shown at all. It is wrapped at its hyphens."""
    from dlcards.console import out

    topic = "a" + "-very-long-topic-name" * 5 + "-end"
    deck = _one_card_deck(tmp_path, topic, "A long deck")
    monkeypatch.setenv("COLUMNS", str(width))
    out.cache_clear()
    shown = CliRunner().invoke(app, ["topics", "--decks", str(deck)]).output
    lines = shown.splitlines()
    assert all(len(line) <= width for line in lines)
    first = next(line for line in lines if line.startswith("a-very"))
    assert first.rstrip().endswith("1     0")  # the counts beside the topic's first line
    assert "A long deck" in " ".join(shown.split())  # the title, beside or under it
    folded = "".join(line.split()[0] for line in lines[lines.index(first) :] if line.strip())
    assert folded.startswith(topic)  # the whole slug, over its column's lines


@pytest.mark.parametrize("width", [30, 40, 60, 80])
def test_due_shows_a_long_topic_whole_wrapped_at_its_hyphens(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, width: int
) -> None:
    """At 60 columns `due` showed `regularization-and-generalization-in-very-deep-ne…`, and at
    40 `regularization-and-generaliza…`: a topic cut with nothing to say which one. The topic
    now wraps in its column at its hyphens, whole, beside its counts."""
    from dlcards.console import out

    topic = "regularization-and-generalization-in-very-deep-networks"
    deck = _one_card_deck(tmp_path, topic, "Regularization")
    monkeypatch.setenv("COLUMNS", str(width))
    monkeypatch.setenv("TTY_COMPATIBLE", "1")
    out.cache_clear()
    result = CliRunner().invoke(app, ["due", "--decks", str(deck)])
    assert result.exit_code == 0, result.output
    lines = re.sub(r"\x1b\[[0-9;]*m", "", result.output).splitlines()
    assert all(len(line) <= width for line in lines), lines
    assert "…" not in result.output
    start = next(n for n, line in enumerate(lines) if line.startswith("regularization"))
    assert lines[start].split()[1:] == ["0", "1"], lines
    end = next(n for n in range(start, len(lines)) if lines[n].startswith("total"))
    pieces = [line.strip() for line in lines[start + 1 : end]]
    assert lines[start].split()[0] + "".join(pieces) == topic, lines


def _command_paths() -> list[list[str]]:
    """Every command line whose `--help` the app has: none, each command, each group's
    commands."""
    import typer

    from dlcards.cli import COMMANDS

    group = typer.main.get_command(app)
    paths: list[list[str]] = [[]]
    for name in COMMANDS:
        paths.append([name])
        sub = group.get_command(None, name)  # type: ignore[attr-defined]
        paths += [[name, inner] for inner in getattr(sub, "commands", {})]
    return paths


@pytest.mark.parametrize("columns", [40, 60])
def test_every_help_fits_a_narrow_terminal(monkeypatch: pytest.MonkeyPatch, columns: int) -> None:
    """At 40 columns every `--help` was laid out for 50 (click's least width), and the
    terminal folded its lines inside words: `[ARGS]...` under `Usage: python -m dlcards
    [OPTIONS] COMMAND`."""
    from dlcards.cli import COMMANDS

    monkeypatch.setenv("COLUMNS", str(columns))
    paths = _command_paths()
    assert len(paths) > len(COMMANDS) + 1  # the groups' commands too
    for path in paths:
        result = runner.invoke(app, [*path, "--help"])
        assert result.exit_code == 0, (path, result.output)
        wide = [line for line in result.output.splitlines() if len(line) > columns]
        assert not wide, (path, wide)


@pytest.mark.parametrize("columns", [60, 100])
def test_a_command_to_type_in_a_help_is_never_cut_across_lines(
    monkeypatch: pytest.MonkeyPatch, columns: int
) -> None:
    """Found reading every `--help` in tmux: click wrapped a command to type like prose, so at
    60 columns `search --help` ended a line with `dlcards quiz --search` and began the next
    with `QUERY`` and `doctor --help` split `dlcards backup`; at 100 `study --help` split
    `dlcards unsuspend ID`. A backticked command that fits the help's column stays whole
    on one line (in a description and in an option's help alike), as `[default: ...]`
    notes already did."""

    monkeypatch.setenv("COLUMNS", str(columns))
    paths = _command_paths()
    cut = []
    for path in paths:
        result = runner.invoke(app, [*path, "--help"])
        assert result.exit_code == 0, (path, result.output)
        cut += [(path, line) for line in result.output.splitlines() if line.count("`") % 2]
    assert not cut, cut


def test_every_argument_is_named_in_capitals_in_help_and_errors() -> None:
    """A command's arguments read as FILE, ID, QUERY in its usage line and in "Missing
    argument" errors; `show`, `edit`, `suspend`, `unsuspend`, `reset`, `config` and `calc`
    showed their Python parameter names (`{card_ids}...`, `[assignments]...`)."""
    import typer.core
    import typer.main

    def walk(command: Any, path: str) -> list[tuple[str, str]]:
        found = []
        ctx = command.context_class(command, info_name=path)
        if hasattr(command, "list_commands"):  # a group: its commands load when asked for
            for name in command.list_commands(ctx):
                found += walk(command.get_command(ctx, name), f"{path} {name}")
        for param in command.params:
            if isinstance(param, typer.core.TyperArgument):
                found.append((path, param.make_metavar(ctx)))
        return found

    shown = walk(typer.main.get_command(app), "dlcards")
    assert ("dlcards suspend", "ID...") in [(p, m.strip("{}[]")) for p, m in shown]
    named = [(path, metavar) for path, metavar in shown if metavar != metavar.upper()]
    assert not named, named


def test_a_placeholder_a_help_speaks_of_is_on_its_usage_line() -> None:
    """`dlcards decks copy --help` said "Copy the built-in decks to DIR, to edit them (use them
    with --decks DIR)" under `Usage: dlcards decks copy [OPTIONS] {DIRECTORY}`: no DIR on its
    line. A placeholder (a value name some option or argument shows, as DIR, FILE or ID) in a
    command's own help, outside a quoted command line, is one of that command's."""
    import re

    import typer.main

    def walk(command: Any, path: str) -> list[tuple[str, Any, Any]]:
        ctx = command.context_class(command, info_name=path)
        if hasattr(command, "list_commands"):
            found = []
            for name in command.list_commands(ctx):
                found += walk(command.get_command(ctx, name), f"{path} {name}")
            return found
        return [(path, command, ctx)]

    def metavars(command: Any, ctx: Any) -> set[str]:
        names = set()
        for param in command.params:
            shown = param.make_metavar(ctx) if param.param_type_name == "argument" else None
            names |= set(re.findall(r"[A-Z][A-Z_]*", shown or str(param.metavar or "")))
        return names

    commands = walk(typer.main.get_command(app), "dlcards")
    every = set().union(*(metavars(c, ctx) for _, c, ctx in commands))
    assert {"DIR", "FILE", "ID", "QUERY"} <= every
    wrong = []
    for path, command, ctx in commands:
        text = re.sub(r"`[^`]*`|\$\w+", "", command.help or "")  # command lines, variables
        said = set(re.findall(r"(?<![\w-])[A-Z][A-Z_]*(?![\w])", text)) & every
        wrong += [(path, name) for name in sorted(said - metavars(command, ctx))]
    assert not wrong, wrong


@pytest.mark.parametrize("width", [50, 60])
def test_a_topic_that_fits_the_line_is_never_cut(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, width: int
) -> None:
    """A torture run: at 60 columns `topics` showed `regularisation-and-d` / `ropout`: the
    slug `--topic` takes, cut in the middle to leave room for its title. A topic that fits
    the line stays whole, its title under it."""
    from dlcards.console import out

    topic = "regularisation-and-dropout"
    deck = _one_card_deck(tmp_path, topic, "Regularisation and dropout")
    monkeypatch.setenv("COLUMNS", str(width))
    monkeypatch.setenv("TTY_COMPATIBLE", "1")
    out.cache_clear()
    shown = re.sub(
        r"\x1b\[[0-9;]*m", "", CliRunner().invoke(app, ["topics", "--decks", str(deck)]).output
    )
    lines = shown.splitlines()
    assert all(len(line) <= width for line in lines), shown
    row = next(line for line in lines if topic in line)
    assert row.split() == [topic, "1", "0"], shown
    assert lines[lines.index(row) + 1].strip() == "Regularisation and dropout", shown


@pytest.mark.no_files
@pytest.mark.parametrize(
    ("text", "ascii_text"),
    [
        ("cafe\u0301", "cafe"),  # é written as e and a combining accent (NFD, as macOS does)
        ("Z\u0335\u0321a\u0336lgo", "Zalgo"),
        ("na\u0303o", "nao"),
        ("\u200fabc\u200e", "abc"),  # direction marks
        ("\U0001f468\u200d\U0001f469", "??"),  # an emoji family: its emoji, not its joiners
        ("y\u0302", "y_hat"),  # a combining mark math writes (ŷ, in the decks): spelled
    ],
)
def test_a_combining_mark_or_format_character_is_no_question_mark(
    text: str, ascii_text: str
) -> None:
    """Found in tmux with PYTHONIOENCODING=ascii: "e\u0301 a\u0300 n\u0303" (accents written
    apart) showed "e? a? n?", where "é" composed shows "e": a combining mark is dropped, as
    the README says (only an emoji is left as "?"), and so is an invisible format character."""
    from rich.text import Text

    from dlcards.console import in_encoding

    assert in_encoding(Text(text), "ascii").plain == ascii_text


@pytest.mark.no_files
def test_a_symbol_spelled_as_a_word_is_kept_apart_from_the_next_letter() -> None:
    """A torture run: in ASCII, perceptron-9's erratum read `w <- w - etax_i` (the deck's
    `ηxᵢ`). A symbol spelled as a word is kept apart from a letter, digit or word after it,
    in both ways dlcards spells (a Text before layout, and the stream's error handler)."""
    cases = {
        "w ← w − ηxᵢ": "w <- w - eta x_i", "ηθ": "eta theta", "Δx": "Delta x",
        "σ(z)": "sigma(z)", "∑ᵢ xᵢ": "sum_i x_i", "λ2": "lambda 2", "x²": "x^2",
    }  # fmt: skip
    _spelled_alike_both_ways(cases)


def _spelled_alike_both_ways(cases: dict[str, str]) -> None:
    """Each text of `cases` is spelled for an ASCII terminal as its value, both ways dlcards
    spells (a Text before layout, and the stream's error handler, a line each)."""
    from rich.text import Text

    from dlcards.console import in_encoding
    from dlcards.stdio import prepare

    for text, ascii_text in cases.items():
        assert in_encoding(Text(text), "ascii").plain == ascii_text
    stream = io.TextIOWrapper(io.BytesIO(), encoding="ascii")
    saved = sys.stdout
    try:
        sys.stdout = stream
        prepare()
        for text in cases:
            stream.write(text + "\n")
        stream.flush()
    finally:
        sys.stdout = saved
    assert stream.buffer.getvalue().decode().splitlines() == list(cases.values())


_SCRIPT_RUNS = {
    "δₗ = Wₗ₊₁ᵀδₗ₊₁ ⊙ f′(zₗ)": "delta_l = W_(l+1)^T delta_(l+1) (.) f'(z_l)",  # vgp-7's note
    "Σᵢ₌₁ᴺ Lᵢ": "sum_(i=1)^N L_i",  # gd-8
    "θₜ₊₁ = θₜ": "theta_(t+1) = theta_t",
    "xⁿ⁺¹y, Σᵢ₌₁ⁿ⁻¹": "x^(n+1) y, sum_(i=1)^(n-1)",
    # one token stays bare: a name, a number with its sign, a group in its own brackets
    "wᵢⱼ xₘₐₓ 10⁻⁵ 0.25¹⁰ x⁽ⁱ⁾ⱼ": "w_ij x_max 10^-5 0.25^10 x^(i)_j",
}


@pytest.mark.no_files
def test_a_run_of_scripts_of_more_than_one_token_is_bracketed_in_ascii() -> None:
    """In ASCII, vgp-7's note read `delta_l = W_l+1^T delta_l+1` (W_l plus 1, to the power
    T) and gd-8's sum `sum_i=1^N`: a run of subscripts or superscripts was spelled one
    character at a time. A run of more than one token is bracketed, as plain-text math
    writes it, in both ways dlcards spells (a Text before layout, the stream's handler)."""
    _spelled_alike_both_ways(_SCRIPT_RUNS)


def _both_spellings(text: str, math: bool = False) -> tuple[str, str]:
    """`text` spelled for an ASCII terminal both ways dlcards spells: a Text before layout
    (a formula's span marked when `math`), and the stream's error handler."""
    from rich.text import Text

    from dlcards.console import in_encoding
    from dlcards.flowtext import rich_spans
    from dlcards.render import MATH_MARK, Span
    from dlcards.stdio import prepare

    spans = rich_spans([Span(0, len(text), MATH_MARK)]) if math else []
    laid_out = in_encoding(Text(text, spans=spans), "ascii").plain
    stream = io.TextIOWrapper(io.BytesIO(), encoding="ascii")
    saved = sys.stdout
    try:
        sys.stdout = stream
        prepare()
        stream.write(text)
        stream.flush()
    finally:
        sys.stdout = saved
    return laid_out, stream.buffer.getvalue().decode()


@pytest.mark.no_files
def test_the_letter_sigma_and_the_sum_are_told_apart_in_ascii() -> None:
    """`$\\Sigma^{-1}$` (a covariance matrix's inverse) read `sum^-1` in ASCII: \\Sigma and
    \\sum both became Σ, spelled sum. LaTeX's sum is ∑ (spelled sum) and \\Sigma the letter
    (Sigma); a Σ typed in text, as the decks' notes write sums, is a sum with limits or an
    operand after it, the letter before a superscript, an operator or the end. (A formula's
    `\\Sigma_{ij}` is the letter only where its span is known: see `_both_spellings`.)"""
    from dlcards.render import latex_to_unicode

    formulas = {
        r"\Sigma^{-1}": "Sigma^-1",
        r"x^T \Sigma^{-1} x": "x^T Sigma^-1 x",
        r"\Sigma_{ij} = \sum_{k} x_{ik} x_{jk}": "Sigma_ij = sum_k x_ik x_jk",
        r"\sum_{i=1}^N L_i": "sum_(i=1)^N L_i",
        r"\sum x": "sum x",
        r"\Pi \ne \prod_k p_k": "Pi != prod_k p_k",
        r"Σ_i x_i": "sum_i x_i",  # the character typed in LaTeX, with limits: the sum
    }
    for tex, ascii_text in formulas.items():
        shown = latex_to_unicode(tex)
        assert _both_spellings(shown, math=True)[0] == ascii_text, tex
        if "Sigma_" not in ascii_text:  # no span: Σᵢⱼ reads as a sum with limits
            assert _both_spellings(shown) == (ascii_text, ascii_text), tex
    texts = {  # the decks' own (perceptron-12's note, gd-17's, cce-28's answer, the engine's)
        "Σ max(0, −yᵢ(wᵀxᵢ + b))": "sum max(0, -y_i(w^T x_i + b))",
        "∇E(w) = Σₙ (yₙ − tₙ)φₙ": "grad E(w) = sum_n (y_n - t_n)phi_n",
        "Σₖ ηₖ = ∞ and Σεₖ² < ∞": "sum_k eta_k = inf and sum eps_k^2 < inf",
        "-Σ y_j log(ŷ_j)": "-sum y_j log(y_hat_j)",
        "L = Σ −y·(w·x + b)": "L = sum -y*(w*x + b)",
        "exp / Σ exp(…)": "exp / sum exp(...)",
        "Σ⁻¹ and Σᵀ": "Sigma^-1 and Sigma^T",
        "Σ = LLᵀ, so Σ is symmetric": "Sigma = LL^T, so Sigma is symmetric",
    }
    for text, ascii_text in texts.items():
        assert _both_spellings(text) == (ascii_text, ascii_text), text


@pytest.mark.no_files
def test_an_accented_letter_of_no_word_is_named_and_a_words_accent_dropped() -> None:
    """gd-8's source `ĝ ← (1/m)∇θ Σᵢ L` read `g <- ...` in ASCII: an accented letter typed
    outside LaTeX lost its accent, the estimate ĝ read as g. A letter with a math accent that
    is no word's (fewer than three letters in its run; its scripts and digits are no
    letters) is a math letter, named as in a formula; in a word the accent is dropped."""
    cases = {
        "ĝ ← (1/m)∇θ Σᵢ L": "g_hat <- (1/m)grad theta sum_i L",
        "the estimate â of a, and âᵢ": "the estimate a_hat of a, and a_hat_i",
        "2x\u0303 + ö, x\u0303y": "2x_tilde + o_ddot, x_tilde y",  # combining, after its letter
        "Fréchet, naïve, não, cafe\u0301, à la": "Frechet, naive, nao, cafe, a la",
    }
    for text, ascii_text in cases.items():
        assert _both_spellings(text) == (ascii_text, ascii_text), text


@settings(max_examples=60, deadline=None)
@given(
    letter=st.sampled_from("abgmxzABTW"),  # ŷ is y_hat everywhere (∇ŷJ, backprop-9)
    mark=st.sampled_from(["\u0302", "\u0303", "\u0307", "\u0308", "\u0304"]),
    left=st.sampled_from(["", " ", "(", "= ", "2", "−"]),
    right=st.sampled_from(["", " ", ")", ",", "₁", "²", " = 1"]),
    word=st.sampled_from(["er", "Fr", "nai", "ch"]),
)
def test_a_math_accent_is_named_on_a_lone_letter_and_dropped_in_a_word(
    letter: str, mark: str, left: str, right: str, word: str
) -> None:
    """The class: every math accent (hat, tilde, dot, diaeresis, macron), composed or not,
    on a letter standing alone is named as a formula names it; the same letter inside a
    word (three letters or more) keeps only its letter."""
    import unicodedata

    from dlcards.stdio import MATH_ACCENTS, spelled_pieces

    for accented in {letter + mark, unicodedata.normalize("NFC", letter + mark)}:
        lone = "".join(spelled_pieces(left + accented + right))
        named = letter + MATH_ACCENTS[mark]
        assert named in lone, (left + accented + right, lone)
        inside = "".join(spelled_pieces(word + accented + word))
        assert inside == word + letter + word, (word + accented + word, inside)


def test_show_in_ascii_brackets_a_subscript_of_several_tokens(synced_env: dict[str, str]) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "dlcards", "show", "vgp-7"],
        env={**synced_env, "PYTHONIOENCODING": "ascii", "COLUMNS": "160"},
        capture_output=True,
    )
    assert done.returncode == 0, done.stderr
    assert "delta_l = W_(l+1)^T delta_(l+1) (.) f'(z_l)" in done.stdout.decode("ascii")


@pytest.mark.no_files
def test_a_roots_degree_reads_as_a_degree_in_ascii() -> None:
    """`$\\sqrt[3]{x}$` shows as ³√x; in ASCII it read `^3 sqrt x`, a power times a square
    root. A superscript before √ that follows no operand is the root's degree, written as
    LaTeX writes it; after an operand (x²√y) it is still that operand's power."""
    from rich.text import Text

    from dlcards.console import in_encoding
    from dlcards.render import latex_to_unicode

    cases = {
        r"\sqrt[3]{x}": "root[3] x",
        r"a = \sqrt[n]{x+1}": "a = root[n](x+1)",
        r"x^2\sqrt{y} + \sqrt{2}": "x^2 sqrt y + sqrt 2",
    }
    for tex, ascii_text in cases.items():
        assert in_encoding(Text(latex_to_unicode(tex)), "ascii").plain == ascii_text


@pytest.mark.no_files
def test_a_hat_reads_as_a_hat_not_a_power_in_ascii() -> None:
    """bce-16's erratum and backprop-38's note in ASCII: the sigmoid's slope ŷ(1 − ŷ) read
    `y^(1 - y^)`, y to the power (1 - y^), and ½(ŷ − y)² `(1/2)(y^ - y)^2`: the hat was
    spelled as a caret. It is named as code names it."""
    from rich.text import Text

    from dlcards.console import in_encoding
    from dlcards.render import latex_to_unicode
    from dlcards.stdio import spelled_pieces

    cases = {
        "ŷ(1 − ŷ)": "y_hat(1 - y_hat)",
        "½(ŷ − y)²": "(1/2)(y_hat - y)^2",
        "ŷᵢ": "y_hat_i",
        latex_to_unicode(r"\hat{\theta}_{MLE}"): "theta_hat_MLE",
        latex_to_unicode(r"\hat{y}^{(i)}"): "y_hat^(i)",
    }
    for text, ascii_text in cases.items():
        assert "".join(spelled_pieces(text)) == ascii_text
        assert in_encoding(Text(text), "ascii").plain == ascii_text


@pytest.mark.no_files
def test_a_norm_reads_as_a_norm_in_ascii() -> None:
    """perceptron-8's note in ASCII: the margin rises 'by eta|x|^2' and perceptron-21's
    erratum divides by '|w|': the norm ‖x‖ was spelled as the absolute value |x|. It is
    ||x||, as plain-text math (and loss-ig2's own `λ||w||²`) writes a norm."""
    from rich.text import Text

    from dlcards.console import in_encoding
    from dlcards.render import latex_to_unicode

    cases = {
        "η‖x‖²": "eta||x||^2",
        "y(wᵀx + b)/‖w‖": "y(w^T x + b)/||w||",
        latex_to_unicode(r"\|x\|_2^2"): "||x||_2^2",
    }
    for text, ascii_text in cases.items():
        assert in_encoding(Text(text), "ascii").plain == ascii_text


#: LaTeX's everyday symbols, as a deck's math writes them: none is "?" in ASCII.
_EVERYDAY = (
    r"\cdots \ldots \vdots \ddots \forall \exists \nexists \neg \emptyset \varnothing \in"
    r" \notin \ni \subset \supset \subseteq \supseteq \setminus \circ \bullet \otimes \oplus"
    r" \ominus \odot \wedge \vee \cap \cup \bigcup \bigcap \int \iint \oint \partial \nabla"
    r" \infty \pm \mp \times \div \cdot \ast \star \dagger \ll \gg \le \ge \leqslant"
    r" \geqslant \neq \approx \simeq \cong \equiv \sim \propto \perp \parallel \mid \langle"
    r" \rangle \lceil \rceil \lfloor \rfloor \lVert \rVert \to \mapsto \Rightarrow"
    r" \Leftarrow \Leftrightarrow \longrightarrow \Longrightarrow \hookrightarrow \uparrow"
    r" \downarrow \hbar \ell \aleph \angle \top \bot \vdash \models \prime \triangleq"
    r" \prec \succ \preceq \succeq \lesssim \gtrsim \therefore \because \prod \coprod \sum"
    r" \coloneqq \lessapprox \rightharpoonup \nearrow"
).split()
#: Greek letters, each spelled as its name; those with another spelling, as that.
_GREEK = (
    "alpha beta gamma delta zeta eta theta iota kappa lambda mu nu xi pi rho sigma tau"
    " upsilon phi chi psi omega Gamma Delta Theta Lambda Xi Phi Psi Omega Upsilon Sigma Pi"
).split()
_GREEK_OTHERWISE = {
    "epsilon": "eps", "varepsilon": "eps", "vartheta": "theta", "varpi": "pi",
    "varrho": "rho", "varsigma": "sigma", "varphi": "phi",
}  # fmt: skip


@pytest.mark.no_files
def test_every_everyday_latex_symbol_and_greek_letter_has_an_ascii_spelling() -> None:
    """Reading user-deck math in ASCII: `$\\forall x \\in X$` read `? x in X`,
    `$\\prod_k$` `?_k`, `$\\langle x, y \\rangle$` `? x, y ?`, `$x_1, \\cdots, x_n$`
    `x_1, ?, x_n`, and ξ, κ, ν, ψ, χ, Γ, Θ, Λ, Ω all `?`: only the symbols of the built-in
    cards had spellings. Each everyday symbol has one now, a Greek letter is its name, and
    any other symbol pylatexenc writes is its LaTeX name."""
    from dlcards.render import latex_to_unicode
    from dlcards.stdio import spelled_pieces

    def ascii_of(tex: str) -> str:
        return "".join(spelled_pieces(latex_to_unicode(tex)))

    unspelled = [tex for tex in _EVERYDAY if "?" in ascii_of(tex) or not ascii_of(tex).strip()]
    assert unspelled == []
    for name in _GREEK:
        assert ascii_of("\\" + name) == name
    for name, spelling in _GREEK_OTHERWISE.items():
        assert ascii_of("\\" + name) == spelling
    assert ascii_of(r"\forall x \in X, \exists y") == "forall x in X, exists y"
    assert ascii_of(r"\prod_{k=1}^{K} p_k") == "prod_(k=1)^K p_k"
    assert ascii_of(r"x_1, \cdots, x_n") == "x_1, ..., x_n"
    assert ascii_of(r"a \otimes b \oplus c") == "a (x) b (+) c"
    assert ascii_of(r"\kappa\nu") == "kappa nu"
    assert ascii_of(r"x \lessapprox y") == r"x \lessapprox y"  # the long tail: its LaTeX name
    assert "".join(spelled_pieces("straße, Ø")) == "strasse, O"  # a letter's name, bare


_SUBSCRIPT = {"0": "₀", "1": "₁", "2": "₂", "+": "₊", "-": "₋", "=": "₌", "i": "ᵢ", "j": "ⱼ"}


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="".join(_SUBSCRIPT), min_size=1, max_size=6))
def test_a_run_of_subscripts_reads_as_one_subscript_in_ascii(written: str) -> None:
    """x followed by subscripts whose letters are `written`: in ASCII, `x_` and those
    letters, bare when they are one character, one name or one signed number, else in
    brackets."""
    from dlcards.stdio import spelled_pieces

    shown = "".join(spelled_pieces("x" + "".join(_SUBSCRIPT[ch] for ch in written)))
    one = len(written) == 1 or re.fullmatch(r"[+-]?(?:[0-9]+|[a-z]+[0-9]*)", written) is not None
    assert shown == ("x_" + written if one else f"x_({written})")


@pytest.mark.parametrize(
    "size",
    [{"COLUMNS": "0"}, {"COLUMNS": "0", "LINES": "0"}, {"COLUMNS": "99999999999999999999"}],
)
def test_a_size_of_zero_in_the_environment_is_no_size(size: dict[str, str]) -> None:
    """Torture run (garbage in the environment): with COLUMNS=0, rich drew everything 0
    wide: `due`, `show` and `study` printed nothing and exited 0, and `stats` never ended
    (killed after minutes at full CPU); with COLUMNS=99999999999999999999, `stats` and
    `show` ended in a traceback (OverflowError). A size of 0 or past any terminal's is taken
    as none, as a terminal's own 0 x 0 is: 80 columns."""
    env = {**os.environ, **size}

    def dlcards(*args: str, given: str = "") -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "dlcards", *args],
            env=env,
            input=given,
            capture_output=True,
            text=True,
            timeout=60,
        )

    stats = dlcards("stats")
    assert stats.returncode == 0 and "cards" in stats.stdout, stats.stderr
    assert max(map(len, stats.stdout.splitlines())) <= 80
    due = dlcards("due", "--today", "2026-11-26")
    assert due.returncode == 0 and "Today: 0 due, 20 new" in due.stdout
    shown = dlcards("show", "gd-1")
    assert shown.returncode == 0 and "optimization" in shown.stdout
    studied = dlcards("study", "--today", "2026-11-26", given="\n4\nq\n")
    assert studied.returncode == 0 and "saved: perceptron-1: 4" in studied.stdout


@pytest.mark.skipif(shutil.which("faketime") is None, reason="needs faketime")
@pytest.mark.parametrize("clock", ["1970-01-02 08:00:00", "2300-01-01 08:00:00"])
def test_a_system_clock_outside_the_dates_dlcards_accepts_is_one_line(
    isolated: Path, clock: str
) -> None:
    """A clock that jumped (a machine without a clock battery boots in 1970; one set to 2300):
    `study` dated its grades 1970 (re-drills that change nothing, said to be saved) and `due`
    said nothing was due; past 2262 Python's nanosecond clock overflowed, a traceback. Now
    one line says what the clock says, exit 2, before any file is opened."""
    db = isolated / "data" / "dlcards.db"
    before = db.read_bytes()
    for args in (["due"], ["study"]):
        result = subprocess.run(
            ["faketime", clock, sys.executable, "-m", "dlcards", *args],
            capture_output=True, text=True, input="\n4\n", timeout=60,
        )  # fmt: skip
        assert result.returncode == 2, result.stderr
        lines = result.stderr.splitlines()
        assert len(lines) == 1 and lines[0].startswith("error: the system clock says "), lines
        assert "outside the dates dlcards accepts (2000-01-01 to 2199-12-31)" in lines[0]
    assert db.read_bytes() == before


def test_a_message_to_a_pipe_is_one_line_as_typed(monkeypatch: pytest.MonkeyPatch) -> None:
    """To a pipe, `suspend` of 20 cards, `unsuspend` and `undo` broke their one-line
    message at 80 columns (`undid grade 4 on perceptron-1 (...); perceptron-1 is new` /
    `again`), so a script's `grep` missed it: rich's console wrapped what `echo` keeps whole."""
    from dlcards.console import out

    monkeypatch.delenv("COLUMNS")  # a pipe's width: rich's 80
    out.cache_clear()
    ids = [f"gd-{n}" for n in range(1, 21)]
    for command, word in (("suspend", "suspended"), ("unsuspend", "unsuspended")):
        result = runner.invoke(app, [command, *ids])
        assert result.exit_code == 0, result.output
        assert result.output.splitlines() == [f"{word} 20 cards: {', '.join(ids)}"]
    studied = runner.invoke(
        app, ["study", "--topic", "perceptron", "--today", "2026-11-26"], input="\n4\nq\n"
    )
    assert studied.exit_code == 0, studied.output
    result = runner.invoke(app, ["undo"])
    assert result.exit_code == 0, result.output
    [line] = result.output.splitlines()
    assert line.startswith("undid grade 4 on perceptron-1 (given ") and line.endswith(
        "; perceptron-1 is new again"
    ), result.output


def test_a_command_given_hundreds_of_ids_names_twenty_and_counts_the_rest() -> None:
    """`dlcards suspend` of the 2,000 cards of a topic said every id back on one line of
    ~25,000 characters (and so would `unsuspend`, the error for ids in no deck, and the
    import's lists): past 20 the message names the first 19 and counts the others."""
    from dlcards.catalog import load_catalog

    ids = load_catalog().ids()[:60]
    first = ", ".join(ids[:19])
    result = runner.invoke(app, ["suspend", *ids])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [f"suspended 60 cards: {first} and 41 more"]
    result = runner.invoke(app, ["suspend", *ids[:25]])
    assert result.output.splitlines() == [f"already suspended: {first} and 6 more"]
    result = runner.invoke(app, ["unsuspend", *ids[:20]])  # twenty: each named
    assert result.output.splitlines() == [f"unsuspended 20 cards: {', '.join(ids[:20])}"]
    result = runner.invoke(app, ["unsuspend", ids[0]])  # it said "already not suspended"
    assert result.output.splitlines() == [f"not suspended, left as is: {ids[0]}"]
    unknown = [f"no-such-{n}" for n in range(30)]
    result = runner.invoke(app, ["unsuspend", *unknown])
    assert result.exit_code == 2, result.output
    named = ", ".join(f"'{cid}'" for cid in unknown[:19])
    assert result.output.splitlines() == [
        f"error: 30 of the card ids are in no deck: {named} and 11 more; nothing was "
        "unsuspended (see `dlcards list`)"
    ]


@pytest.mark.parametrize("columns", [60, 80, 160])
def test_the_commands_a_help_lists_are_each_described_whole(
    monkeypatch: pytest.MonkeyPatch, columns: int
) -> None:
    """`dlcards --help` listed every command with the first sentence of its help cut to fit
    the line, at any width (`suspend    Keep cards out of study sessions...`, `study
    Study today's cards: due reviews, then...` at 60 columns): each line is now written whole,
    on one line at 60 columns, and so are the commands of `export`, `import` and `decks`."""
    monkeypatch.setenv("COLUMNS", str(columns))
    for path in ([], ["export"], ["import"], ["decks"]):
        result = runner.invoke(app, [*path, "--help"])
        assert result.exit_code == 0, result.output
        listed = result.output.split("Commands:\n", 1)[1].splitlines()
        assert len(listed) >= 1, result.output
        for line in listed:
            name, description = line.split(None, 1)
            assert not description.endswith("..."), (path, line)
            assert len(line) <= max(columns, 60), (path, line)


def test_deck_text_with_brackets_is_shown_as_written(tmp_path: Path) -> None:
    """A deck titled `Attention [draft] [/b]` (an Anki deck's name, converted) made `topics`,
    a piped `study` and the end of a `quiz` end in rich's MarkupError traceback, and a title
    `Attention [draft]` was shown as `Attention `: the title, and a missed question's
    `x[i]`, were printed as rich markup. Each is its text now."""
    title = "Attention [draft] [/b]"
    deck = tmp_path / "att.yaml"
    deck.write_text(
        f'topic: att\ntitle: "{title}"\ncards:\n'
        '  - id: att-1\n    question: "What is x[i] [/b] here?"\n    answer: "[red]A[/red]"\n',
        encoding="utf-8",
    )
    decks = ["--decks", str(deck)]
    topics = runner.invoke(app, ["topics", *decks])
    assert topics.exit_code == 0, topics.output
    assert re.search(r"^att +Attention \[draft\] \[/b\] +1 +0$", topics.output, re.M), topics.output
    study = runner.invoke(app, ["study", "--topic", "att", *decks], input="\n4\nq\n")
    assert study.exit_code == 0, study.output
    assert f"card 1 of 1 · {title} · new 1" in study.output, study.output
    quiz = runner.invoke(app, ["quiz", "--topic", "att", "--seed", "1", *decks], input="\nn\n")
    assert quiz.exit_code == 0, quiz.output
    assert f"question 1 of 1 · {title} · score 0/0" in quiz.output, quiz.output
    summary = quiz.output[quiz.output.index("Quiz summary") :]
    assert re.search(r"│ Attention \[draft\] \[/b\] +0/1", summary), summary
    assert re.search(r"att-1 +What is x\[i\] \[/b\] here\?", summary), summary


@pytest.mark.parametrize("columns", [60, 80])
def test_an_options_bracketed_note_stays_on_one_line(
    monkeypatch: pytest.MonkeyPatch, columns: int
) -> None:
    """At 60 columns `simulate --help` broke `[default: sm2,fsrs]` as `[default:` / `sm2,fsrs]`
    (and `export anki --help` its `[default: dlcards.apkg]`): each bracketed note click adds
    after an option's help is now kept whole on a line. And every option's value is named
    in capitals, as the arguments are: `simulate` showed `--days <int>`, `export reviews`
    `--format <csv|json>`."""
    monkeypatch.setenv("COLUMNS", str(columns))
    seen = 0
    for path in commands():
        result = runner.invoke(app, [*path, "--help"])
        assert result.exit_code == 0, (path, result.output)
        options = result.output.split("Options:\n", 1)[-1]
        for line in options.splitlines():
            assert line.count("[") == line.count("]"), (path, line)
            seen += "[default: " in line
            named = re.match(r"\s+(?:-\w, )?--[\w-]+ (\S+)", line)
            if named:
                assert named[1][:1].isupper() and "<" not in named[1], (path, line)
    assert seen > 10


def test_every_option_and_argument_is_helped_by_a_sentence() -> None:
    """`calc --help` alone described its options in lower case without a full stop (`--list
    list computations and their parameters`), where every other command writes a sentence."""
    import typer.main

    group = typer.main.get_command(app)
    checked = 0
    for path in commands():
        cmd = group.commands[path[0]]  # type: ignore[attr-defined]
        if len(path) == 2:
            cmd = cmd.commands[path[1]]
        for param in getattr(cmd, "params", []):
            text = getattr(param, "help", None)
            if text:
                checked += 1
                assert text[0].isupper() and text.rstrip(")").endswith("."), (path, text)
    assert checked > 50


def test_a_note_wider_than_its_column_breaks_between_words(monkeypatch: pytest.MonkeyPatch) -> None:
    """At 40 columns `[default: dlcards.apkg]` is wider than the help column: kept as one
    word, click cut it inside its words (`output).  [d` / `efault: dlca` / `rds.apkg]`); it
    now breaks at its space, as any help text does."""
    monkeypatch.setenv("COLUMNS", "40")
    result = runner.invoke(app, ["export", "anki", "--help"])
    assert result.exit_code == 0, result.output
    lines = [line.strip() for line in result.output.splitlines()]
    assert any(line.startswith("[default:") for line in lines), result.output


def test_the_first_help_says_where_to_start() -> None:
    """`dlcards --help` showed one line above the options: the root's own help, which says to
    start with `dlcards study` and where the decks are listed, was written but never shown
    (the app's `help=` took its place)."""
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0, result.output
    said = " ".join(result.output.split("Options:")[0].split())
    assert "Start with `dlcards study`." in said, result.output
    assert "`dlcards topics`, `dlcards list`, `dlcards show ID`" in said, result.output


def test_a_question_to_confirm_is_wrapped_between_words(tmp_path: Path) -> None:
    """Found in tmux at 40 columns: `reset --topic gd` asked "Reset 50 cards of gd to new?
    Their review history is kept. [y/N]:" as one line, and the terminal folded it inside a
    word (`Their revie` / `w history`). The question is wrapped to the terminal between
    words, its last line with room for `[y/N]:` and the answer."""
    import re

    env = h.terminal_env(tmp_path)
    with h.in_a_pty(env, "reset", "--topic", "gd", rows=12, columns=40) as (_, fd):
        seen = h.read_until(fd, b"[y/N]: ").decode(errors="replace")
        os.write(fd, b"n\r")
        assert "nothing reset" in h.read_until(fd, b"nothing reset").decode(errors="replace")
    shown = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", seen).replace("\r", "")
    lines = [line for line in shown.split("\n") if line]
    asked = lines[-2:]
    assert asked == ["Reset 50 cards of gd to new? Their", "review history is kept. [y/N]: "], lines


@pytest.mark.skipif(sys.platform != "linux", reason="a pseudo-terminal")
@pytest.mark.parametrize("key", [b"\x03", b"\x04"], ids=["ctrl-c", "ctrl-d"])
def test_ctrl_c_at_a_question_to_confirm_ends_its_line(tmp_path: Path, key: bytes) -> None:
    """A UX run (ui10): Ctrl-C at `reset`'s question left the cursor after `[y/N]: ^C`, and
    the shell's prompt (or `edit`'s "stopped: ..." at its question) went on on that line;
    nothing said that nothing was reset. The question's line is ended, `reset` says
    `nothing reset` as n makes it say, and the exit is Ctrl-C's 130. Ctrl-D, the end of
    input, is no answer: no, written on the question's line, and the exit n gives (1); it
    ended the command as Ctrl-C, 130."""
    import re
    import time

    env = h.terminal_env(tmp_path)
    with h.in_a_pty(env, "reset", "gd-3", rows=12, columns=80) as (pid, fd):
        h.read_until(fd, b"[y/N]: ")
        # as a person finds it: reading its answer (a Ctrl-C sent in the moment between the
        # question and the read is one that input() never sees, Python's own race)
        deadline = time.monotonic() + 20
        while Path(f"/proc/{pid}/syscall").read_text().split()[:2] != ["0", "0x0"]:
            assert time.monotonic() < deadline, "the question never waited for an answer"
            time.sleep(0.01)
        os.write(fd, key)
        seen = h.read_until(fd, b"nothing reset").decode(errors="replace")
        _, status = os.waitpid(pid, 0)
    shown = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", seen).replace("\r", "").replace("^C", "")
    assert shown.split("\n")[-2:] == ["nothing reset", ""], shown  # on a line of its own
    if key == b"\x04":
        assert shown == "no\nnothing reset\n", shown  # after `[y/N]: `, read before
    assert os.WIFEXITED(status), status
    assert os.WEXITSTATUS(status) == (130 if key == b"\x03" else 1), status


@pytest.mark.skipif(sys.platform != "linux", reason="a pseudo-terminal")
def test_an_answer_to_confirm_that_is_neither_yes_nor_no_is_said_in_one_line(
    tmp_path: Path,
) -> None:
    """A UX run (ui10): `maybe` at reset's question got click's `Error: invalid input`,
    naming neither the answer nor what is asked. It is one line in the program's words, the
    question asked again; Enter then takes the default (no)."""
    import re

    env = h.terminal_env(tmp_path)
    with h.in_a_pty(env, "reset", "gd-3", rows=12, columns=80) as (pid, fd):
        h.read_until(fd, b"[y/N]: ")
        os.write(fd, b"Maybe\r")
        seen = h.read_until(fd, b"[y/N]: ").decode(errors="replace")
        os.write(fd, b"\r")
        seen += h.read_until(fd, b"nothing reset").decode(errors="replace")
        _, status = os.waitpid(pid, 0)
    shown = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", seen).replace("\r", "")
    assert "error: answer y or n, not 'Maybe'\n" in shown, shown
    assert "Error: invalid input" not in shown, shown
    assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 1, status


def test_the_again_mark_is_not_said_twice_in_ascii(synced_env: dict[str, str]) -> None:
    """Found in tmux under LC_ALL=C: ↺ is spelled `(again)` there, so the hint under an
    answer ended `(again) again today`. Where ↺ is spelled, the hint says `(again) comes
    back` (a wording the hints already had)."""
    done = _gd_answer_in_ascii(synced_env, COLUMNS="80")
    assert done.returncode == 0, done.stderr
    shown = done.stdout.decode("ascii")
    assert "(again) comes back" in shown and "(again) again" not in shown, shown


def test_suspend_of_many_ids_tells_the_changed_from_the_rest_in_one_pass(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """`suspend` and `unsuspend` said which ids were already as asked by searching the list of
    the changed ones for each id given: 10,000 ids took 1.7 s of CPU for that line alone
    (quadratic). The list the store returns is no longer searched id by id, and the two lines
    still name the changed cards and the others, in the order given."""
    from dlcards.catalog import load_catalog
    from dlcards.store import Store

    searched: list[str] = []

    class Changed(list):  # type: ignore[type-arg]
        def __contains__(self, item: object) -> bool:
            searched.append(str(item))
            return super().__contains__(item)

    real = Store.set_suspended
    monkeypatch.setattr(Store, "set_suspended", lambda *a, **k: Changed(real(*a, **k)))
    ids = load_catalog().ids()[:150]
    assert len(ids) == 150
    for command, word, already in (
        ("suspend", "suspended", "already suspended"),
        ("unsuspend", "unsuspended", "not suspended, left as is"),
    ):
        # the middle fifty as asked already, the other hundred changed
        assert runner.invoke(app, [command, *ids[50:100]]).exit_code == 0
        searched.clear()
        result = runner.invoke(app, [command, *ids])
        assert result.exit_code == 0, result.output
        assert result.output.splitlines() == [
            f"{word} 100 cards: {', '.join(ids[:19])} and 81 more",
            f"{already}: {', '.join(ids[50:69])} and 31 more",
        ]
        assert searched == [], f"{len(searched)} searches of the list of changed ids"


def test_ids_in_no_deck_are_named_without_working_out_what_each_may_have_meant(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """`suspend` and `unsuspend` worked out, for every id in no deck, the ids it may have meant
    (difflib over every id of the decks) and whether the database kept its log, then said
    only "N of the card ids are in no deck": at 100,000 cards, 50 mistyped ids took 15 s of
    CPU. That is worked out now only for the one such id its own line names."""
    import dlcards.commands.common as common
    import dlcards.suggest as suggest

    asked: list[str] = []
    real_suggest, real_retired = suggest.did_you_mean, common._retired_reviews

    def suggesting(word: str, *args: Any, **kwargs: Any) -> str:
        asked.append(word)
        return real_suggest(word, *args, **kwargs)

    def retired(card_id: str, db: str | None) -> int | None:
        asked.append(card_id)
        return real_retired(card_id, db)

    monkeypatch.setattr(suggest, "did_you_mean", suggesting)
    monkeypatch.setattr(common, "_retired_reviews", retired)
    unknown = [f"gd-{n}x" for n in range(30)]
    for command in ("suspend", "unsuspend"):
        result = runner.invoke(app, [command, "gd-1", *unknown, "gd-2"])
        assert result.exit_code == 2, result.output
        assert result.output.startswith("error: 30 of the card ids are in no deck: 'gd-0x', ")
        assert asked == [], asked
    result = runner.invoke(app, ["suspend", "gd-1", "gd-1x", " gd-1x "])  # one id, twice
    assert result.exit_code == 2, result.output
    assert result.output.startswith("error: unknown card id 'gd-1x' (did you mean 'gd-1'")
    assert set(asked) == {"gd-1x"}, asked
    listed = runner.invoke(app, ["list", "--topic", "gd"]).output  # nothing was suspended
    assert "(s)" not in listed and "gd-1" in listed


_OTHER_FILES = {
    "deck": ("decks/01-perceptron.yaml", "a deck file (YAML text)"),
    "package": (None, "a zip file (an Anki package?"),
    "backup": (None, "a gzip file (a backup?"),
}


@pytest.mark.parametrize("kind", list(_OTHER_FILES))
def test_a_deck_package_or_backup_given_as_the_database_is_named_and_never_replaced(
    tmp_path: Path, kind: str
) -> None:
    """A deck file (or an Anki package, or a backup) given as the database was called
    "corrupt or not a dlcards database ... run `dlcards doctor` to repair it or restore a
    backup"; doctor said to restore the newest backup, and `doctor --restore` put a database
    in the deck's place. Every command now says what the file is, in one line, exit 2, and
    the file is left as it was (a restore over it is refused)."""
    import gzip
    import zipfile

    source, said = _OTHER_FILES[kind]
    folder = tmp_path / "given"
    folder.mkdir()
    path = folder / f"given.{kind}"
    if source is not None:
        shutil.copy(Path(__file__).resolve().parent.parent / source, path)
    elif kind == "package":
        with zipfile.ZipFile(path, "w") as z:
            z.writestr("collection.anki2", b"x")
    else:
        path.write_bytes(gzip.compress(b"SQLite format 3\0" + bytes(200)))
    before = path.read_bytes()
    backup = folder / "b.db.gz"
    backup.write_bytes(gzip.compress(b"x"))
    for args in (
        ["due"], ["stats"], ["suspend", "perceptron-1"], ["config", "new_per_day", "5"],
        ["backup"], ["doctor"], ["doctor", "--check"], ["undo"], ["reset", "--all", "--yes"],
        ["doctor", "--restore", str(backup)],
    ):  # fmt: skip
        result = runner.invoke(app, [*args, "--db", str(path)])
        assert result.exit_code == 2, (args, result.output)
        lines = [line for line in result.output.splitlines() if line.strip()]
        assert len(lines) == 1 and lines[0].startswith("error: "), (args, result.output)
        line = lines[0]
        assert said in line and "not a dlcards database" in line, (args, result.output)
        assert "repair" not in line and "restore a backup" not in line, (args, result.output)
        assert path.read_bytes() == before, args
    assert sorted(p.name for p in folder.iterdir()) == sorted(["b.db.gz", path.name])


@pytest.mark.parametrize("args", [["due"], ["due", "--count"], ["study"], ["backup"]])
def test_an_empty_dlcards_db_is_an_error_not_the_default_collection(
    tmp_path: Path, args: list[str]
) -> None:
    """`DLCARDS_DB=""` (a variable unset in a script: `DLCARDS_DB="$TYPO"`) was taken for
    "not set": the command opened the learner's own collection in the data directory, synced
    it, backed it up and upgraded its schema (a torture run's, in the real data directory),
    where `--db ""` is refused. It is refused the same way now, and nothing is made there."""
    home = tmp_path / "home"
    env = {
        **os.environ,
        "HOME": str(home),
        "XDG_DATA_HOME": str(home / "data"),
        "XDG_CACHE_HOME": str(home / "cache"),
        "DLCARDS_DB": "",
        "PYTHONPATH": str(Path(__file__).resolve().parent.parent),
    }
    env.pop("DLCARDS_CACHE_DIR", None)
    done = subprocess.run(
        [sys.executable, "-m", "dlcards", *args],
        env=env, input="", capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 2, (done.stdout, done.stderr)
    assert done.stdout == ""
    assert done.stderr.splitlines() == [
        "error: DLCARDS_DB is empty; give the database file, or unset it for the default "
        "(is a variable unset?)"
    ], done.stderr
    assert not (home / "data").exists()


def test_a_line_interrupted_as_it_is_written_is_not_written_again(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A Ctrl-C (or a `kill` raised as one) landing just after rich wrote a line, before it
    emptied its buffer, left the line in the buffer: the session's closing lines wrote it a
    second time. Seen in a study session stopped by SIGINT as it said its grade: `saved:
    perceptron-3: re-drill graded 5` twice for one row in the log (and a line counted twice,
    an `undid grade ...` as much as a `saved: ...`, hides one missing from the log)."""
    from dlcards.console import echo, out

    class Interrupted(io.StringIO):
        armed = True

        def flush(self) -> None:
            if self.armed and self.getvalue():
                self.armed = False
                raise KeyboardInterrupt

    stream = Interrupted()
    monkeypatch.setattr(sys, "stdout", stream)
    monkeypatch.setenv("NO_COLOR", "1")
    out.cache_clear()
    try:
        with pytest.raises(KeyboardInterrupt):
            echo("saved: perceptron-3: re-drill graded 5", "dim", console=out())
        echo("Interrupted. 1 grade saved.", console=out())
    finally:
        out.cache_clear()
    assert stream.getvalue().splitlines() == [
        "saved: perceptron-3: re-drill graded 5",
        "Interrupted. 1 grade saved.",
    ]


def test_reset_and_export_help_say_what_their_options_do() -> None:
    """`reset --help` called `--topic` "Only this topic", as the commands that filter by it
    do, where reset's makes every card of the topic new; `export anki --help` said
    --with-progress carries "interval, due, ease, lapses", where it carries the reps, the
    suspension and a leech's `leech` tag too (the README's Export to Anki)."""
    reset = " ".join(runner.invoke(app, ["reset", "--help"]).output.split())
    assert "-t, --topic TOPIC Reset every card of this topic (repeatable)." in reset, reset
    export = " ".join(runner.invoke(app, ["export", "anki", "--help"]).output.split())
    carried = re.search(r"--with-progress Include each card's schedule [^(]*\(([^;]*);", export)
    assert carried, export
    assert carried[1] == "interval, due, ease, reps, lapses, suspension, a leech's `leech` tag"
