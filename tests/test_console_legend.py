"""Key legends at every width: no item of a legend (`Space answer`, `[s] show the answer`,
`q quit`, a grade key) is split across two lines. It moves whole to the next line; only an
item wider than the terminal breaks, between its words."""

from __future__ import annotations

import re
from contextlib import nullcontext
from datetime import date, datetime, timezone

import helpers as h
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from rich.cells import cell_len
from typer.testing import CliRunner

from dlcards.catalog import load_catalog
from dlcards.cli import app
from dlcards.commands import study as study_screen
from dlcards.commands.quiz import TYPED_KEYS
from dlcards.pager import scroll_line
from dlcards.session import Limits, StudySession
from dlcards.store import Store
from dlcards.terminal import KeyInput, LineInput

DAY = date(2026, 11, 26)
NOW = datetime(2026, 11, 26, 9, 0, tzinfo=timezone.utc)
SEPARATORS = re.compile(r" [·*] |\n")

QUIZ_LEGENDS = [  # as the quiz writes them (`dlcards.commands.quiz`)
    r"Did you know it? \[y] yes · \[n] no · \[q] quit",
    rf"Answer: a whole number · {TYPED_KEYS}",
    rf"Answer: a number to 3 significant figures (1/4, 2.5e-3 and 0.5^3 work too) · {TYPED_KEYS}",
    TYPED_KEYS,
    r"\[Space] show the answer · \[q] quit",
    r"empty line: show the answer · \[q] quit",
    r"\[Space] next question · \[q] quit",
    r"\[Space] the score · \[q] quit",
    r"Pick 1-4 · \[q] quit",
]


def _study_legends(width: int) -> list[str]:
    """Each key hint `study` writes at `width`: in a terminal and through a pipe, on the
    question and on the answer, with and without the grade legend above."""
    from dlcards.console import out

    console = out()
    inputs = [KeyInput(iter(()).__next__, console), LineInput(iter(()).__next__)]
    return [
        study_screen.key_hints(keys, revealed, width, legend)
        for keys in inputs
        for revealed in (False, True)
        for legend in (False, True)
    ]


def _items(legend: str) -> list[str]:
    """The items of `legend` as the terminal shows them: the pieces between its separators."""
    from dlcards.console import as_shown

    shown = as_shown(legend.replace("\\[", "["))
    return [" ".join(piece.split()) for piece in SEPARATORS.split(shown) if piece.strip()]


def _split_items(lines: list[str], items: list[str], width: int) -> list[tuple[str, list[str]]]:
    """The items of `items` that fit `width` and are on no line whole."""
    flat = [" ".join(line.split()) for line in lines]
    return [
        (item, lines) for item in items if cell_len(item) <= width and not _on_a_line(item, flat)
    ]


def _on_a_line(item: str, lines: list[str]) -> bool:
    return any(re.search(rf"(^|\s){re.escape(item)}(\s|$)", line) for line in lines)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(width=st.integers(20, 200), spelled=st.booleans())
@example(width=40, spelled=False)
@example(width=40, spelled=True)
@example(width=20, spelled=False)
@example(width=33, spelled=False)
def test_no_legend_item_is_split_across_lines(
    monkeypatch: pytest.MonkeyPatch, width: int, spelled: bool
) -> None:
    """At 40 columns the quiz's typed hint read `Answer: a whole number · [s] show the` /
    `answer · [q] quit`, and at 20 the study hint `u undo · s skip · q` / `quit`: rich broke
    an item between its words where the one before it left no room for it whole. Every
    legend the study and quiz screens write, printed at any width (in UTF-8 and in a terminal
    that shows ASCII alone), keeps each of its items on one line."""
    from dlcards.console import out

    _tty(monkeypatch, width)
    with h.ascii_terminal(monkeypatch, width) if spelled else nullcontext():
        console = out()
        for legend in [*_study_legends(width), *QUIZ_LEGENDS]:
            with console.capture() as captured:
                console.print(f"[dim]{legend}[/dim]")
            lines = captured.get().splitlines()
            assert all(cell_len(line) <= width for line in lines), (width, lines)
            assert not _split_items(lines, _items(legend), width), (width, legend, lines)


def _tty(monkeypatch: pytest.MonkeyPatch, width: int) -> None:
    """rich takes standard output for a terminal of `width` columns, without escape codes."""
    from dlcards.console import out

    monkeypatch.setenv("TTY_COMPATIBLE", "1")
    monkeypatch.setenv("TERM", "dumb")
    monkeypatch.setenv("COLUMNS", str(width))
    monkeypatch.setenv("LINES", "40")
    out.cache_clear()


def _study_frames(width: int, height: int, card_id: str) -> str:
    """What `study` draws for `card_id`, its question then its answer (Space, then q), in a
    terminal of this size, with the console dlcards prints with."""
    import io

    from dlcards.console import out

    catalog = load_catalog()
    card = catalog.card(card_id)
    screen = io.StringIO()
    console = out()
    console.file = screen
    with Store.open() as store:
        store.sync(catalog.cards, "legend", NOW)
        session = StudySession(store, [card_id, "gd-1"], DAY, lambda: NOW, Limits(new=20))
        pressed = iter(" q")
        study_screen.card_screen(
            session,
            card,
            catalog.topic_titles()[card.topic],
            "new card",
            "",
            console,
            KeyInput(pressed.__next__, console),
        )
    return screen.getvalue()


def _shown_lines(output: str) -> list[str]:
    """The lines of `output` as the terminal shows them: each key hint written over the
    cursor's row replaces what was there."""
    return [line.split("\r\x1b[2K")[-1] for line in re.split(r"\n|\x1b\[2J\x1b\[H", output)]


def _broken_inside(lines: list[str], items: list[str], width: int) -> list[tuple[str, str, str]]:
    """Where an item (that fits `width`) of `items` ends one line with its first words and
    begins the next with the rest."""
    found = []
    for above, below in zip(lines, lines[1:], strict=False):
        above, below = above.rstrip(), below.lstrip()
        for item in items:
            words = item.split(" ")
            if cell_len(item) > width:
                continue
            for k in range(1, len(words)):
                head, rest = " ".join(words[:k]), " ".join(words[k:])
                if (above == head or above.endswith(" " + head)) and (
                    below == rest or below.startswith(rest + " ")
                ):
                    found.append((item, above, below))
    return found


def _screen_items(width: int) -> list[str]:
    items = {item for legend in _study_legends(width) for item in _items(legend)}
    items |= {item for legend in QUIZ_LEGENDS for item in _items(legend)}
    items |= {"0 blackout", "1 wrong", "2 almost", "3 hard", "4 good", "5 perfect"}
    items |= {"j/↓ more", "k/↑ back", "↓ more", "↑ back", "j more", "k back"}
    return sorted(item for item in items if " " in item)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    width=st.integers(20, 200),
    height=st.sampled_from([10, 15, 40]),
    card_id=st.sampled_from(["perceptron-1", "gd-1", "backprop-26"]),
)
@example(width=20, height=40, card_id="perceptron-1")
@example(width=40, height=15, card_id="perceptron-1")
def test_no_item_of_a_study_screens_legends_is_split(
    monkeypatch: pytest.MonkeyPatch, width: int, height: int, card_id: str
) -> None:
    """The study screen as it is drawn, question and answer: no item of its key hints, its
    grade legend or its scroll line ends one line and begins the next (at 20 columns the
    answer's hint ended `u undo · s skip · q` and the next line read `quit`), and the scroll
    line is not cut (`lines 1-20 of 22 · …`)."""
    _tty(monkeypatch, width)
    monkeypatch.setenv("LINES", str(height))
    lines = _shown_lines(_study_frames(width, height, card_id))
    assert all(cell_len(line) <= width for line in lines), (width, lines)
    assert not _broken_inside(lines, _screen_items(width), width), (width, lines)
    scroll = [line for line in lines if re.match(r"(lines )?[\d,]+-[\d,]+( of |/)", line)]
    assert not [line for line in scroll if "…" in line], scroll


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(width=st.integers(20, 200), mode=st.sampled_from(["self", "choice", "mixed"]))
@example(width=40, mode="mixed")
def test_no_item_of_a_quiz_legend_is_split(
    monkeypatch: pytest.MonkeyPatch, width: int, mode: str
) -> None:
    """The quiz as it is written, each kind of question (typed ones among the mixed): no item
    of a legend is split (at 40 columns `Answer: a whole number · [s] show the` / `answer ·
    [q] quit`)."""
    _tty(monkeypatch, width)
    # seed 1 on gd, mixed: a self-graded card, then a typed question (not a number, then wrong)
    typed = {"self": "\nn\n\ny\n", "choice": "1\n1\n", "mixed": "\nn\nabc\n7\n"}[mode]
    args = ["--topic", "gd", "--seed", "1", "--count", "2"]
    args += [] if mode == "mixed" else ["--mode", mode]
    result = CliRunner().invoke(app, ["quiz", *args, "--today", "2026-11-26"], input=typed)
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert all(cell_len(line) <= width for line in lines), (width, lines)
    assert not _broken_inside(lines, _screen_items(width), width), (width, lines)


@given(
    width=st.integers(20, 200),
    numbers=st.tuples(st.integers(1, 20_000), st.integers(1, 20_000), st.integers(1, 20_000)),
    keys=st.sampled_from([("j/↓", "k/↑"), ("↓", "↑")]),
    more=st.booleans(),
    back=st.booleans(),
)
def test_the_scroll_line_fits_and_names_each_way_it_scrolls(
    width: int, numbers: tuple[int, int, int], keys: tuple[str, str], more: bool, back: bool
) -> None:
    """The line under a scrolled card fits the width whole: it was cut at the width, a key or
    half its word gone (`lines 1-20 of 22 · …` at 20 columns). Each way it scrolls is named
    with its key, whatever the width from 20 columns."""
    if not (more or back):
        more = True
    shown = tuple(f"{n:,}" for n in numbers)
    said = scroll_line(shown, keys, more, back, width)  # type: ignore[arg-type]
    assert cell_len(said) <= width, said
    down, up = (key.split("/")[0] for key in keys)
    assert (f"{down} more" in said or f"{keys[0]} more" in said) == more, said
    assert (f"{up} back" in said or f"{keys[1]} back" in said) == back, said
