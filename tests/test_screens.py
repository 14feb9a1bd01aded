"""The main screens at 40, 60, 80 and 120 columns and 15 and 24 rows, as golden files.

Each screen is rendered as the terminal shows it (rich treats the output as a terminal, without
colour) and compared with `tests/snapshots/<screen>-<columns>x<rows>.txt`; a person has read
each of those files once. After a deliberate change of a screen, rewrite them with
`DLCARDS_UPDATE_SNAPSHOTS=1 pytest tests/test_screens.py` and read the diff before committing.

The study screens (card before and after reveal, scrolled, grade legend, summary) depend on
both sizes; the other commands print and scroll like any program, so only the width matters
and they are taken at 24 rows. Every snapshot also holds the property that no line is wider
than the terminal, and a hypothesis test checks it (and that the question stays in view) for
any size and any card.
"""

from __future__ import annotations

import io
import os
import re
from datetime import date, datetime, timezone
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rich.cells import cell_len
from rich.console import Console
from typer.testing import CliRunner

from dlcards.catalog import load_catalog
from dlcards.cli import app
from dlcards.commands import study as study_screen
from dlcards.quiz import Answered
from dlcards.session import Limits, StudySession
from dlcards.sm2 import Grade
from dlcards.store import Store
from dlcards.terminal import KeyInput

SNAPSHOTS = Path(__file__).resolve().parent / "snapshots"
WIDTHS = (40, 60, 80, 120)
HEIGHTS = (15, 24)
DAY = date(2026, 11, 26)
NOW = datetime(2026, 11, 26, 9, 0, tzinfo=timezone.utc)
CLEAR = "\x1b[2J\x1b[H"  # how rich clears the screen: one frame starts after each

runner = CliRunner()


def snapshot(name: str, text: str, width: int) -> None:
    """Compare `text` with its golden file (or write it, with DLCARDS_UPDATE_SNAPSHOTS=1)."""
    too_wide = [line for line in text.splitlines() if cell_len(line) > width]
    assert not too_wide, f"{name}: lines wider than {width}: {too_wide[:3]}"
    path = SNAPSHOTS / f"{name}.txt"
    if os.environ.get("DLCARDS_UPDATE_SNAPSHOTS"):
        path.parent.mkdir(exist_ok=True)
        path.write_text(text, encoding="utf-8")
        return
    assert path.exists(), f"no snapshot {path.name}: run with DLCARDS_UPDATE_SNAPSHOTS=1"
    assert text == path.read_text(encoding="utf-8"), f"{name} differs from {path.name}"


def terminal(width: int, height: int) -> tuple[Console, io.StringIO]:
    screen = io.StringIO()
    console = Console(
        file=screen,
        width=width,
        height=height,
        force_terminal=True,
        color_system=None,
        legacy_windows=False,
        highlight=False,
    )
    return console, screen


def frames(output: str) -> list[str]:
    """The screens drawn, each as the terminal shows it: a key hint is written over the last
    row (the cursor's), each hint replacing the one before."""
    shown = []
    for frame in output.split(CLEAR):
        if frame:
            body, hint = frame.rsplit("\n", 1) if "\n" in frame else ("", frame)
            last = hint.split("\r\x1b[2K")[-1]
            shown.append(body + "\n" + (last + "\n" if last else ""))
    return shown


def session_on(store: Store, card_ids: list[str]) -> StudySession:
    return StudySession(store, card_ids, DAY, lambda: NOW, Limits(new=20))


def study_frames(card_id: str, width: int, height: int, keys: str) -> list[str]:
    """The frames of one card's screen while `keys` are pressed (the last one ends it)."""
    catalog = load_catalog()
    card = catalog.card(card_id)
    title = catalog.topic_titles()[card.topic]
    console, screen = terminal(width, height)
    with Store.open() as store:
        store.sync(catalog.cards, "screens", NOW)
        session = session_on(store, [card_id, "gd-1", "gd-2"])
        pressed = iter(keys)
        study_screen.card_screen(
            session, card, title, "new card", "", console, KeyInput(pressed.__next__, console)
        )
    return frames(screen.getvalue())


def tty_env(monkeypatch: pytest.MonkeyPatch, width: int, height: int = 24) -> None:
    """rich takes CliRunner's output for a terminal of this size, without escape codes."""
    monkeypatch.setenv("TTY_COMPATIBLE", "1")
    monkeypatch.setenv("TERM", "dumb")
    monkeypatch.setenv("COLUMNS", str(width))
    monkeypatch.setenv("LINES", str(height))
    from dlcards.console import out

    out.cache_clear()  # the console reads the size when made


def run(*args: str, input: str | None = None) -> str:
    result = runner.invoke(app, list(args), input=input)
    assert result.exit_code == 0, result.output
    return result.output


@pytest.fixture(scope="module")
def week(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where the first test that studies the week keeps its database folder for the others."""
    return tmp_path_factory.mktemp("week")


def history(week: Path) -> None:
    """A week of study, the same every run: stats and due have something to show. Studied (7
    sessions, ~1 s) by the first test of a process that asks, in its isolated environment;
    the others copy the database folder that left."""
    import shutil

    data = Path(os.environ["DLCARDS_DB"]).parent
    if (week / "data").exists():
        shutil.copytree(week / "data", data, dirs_exist_ok=True)
        return
    for day in range(20, 27):
        script = "".join(f"\n{g}\n" for g in (4, 5, 3, 4, 2, 5)) + "q\n"
        run("study", "--today", f"2026-11-{day}", "--new", "6", input=script)
    shutil.copytree(data, week / "data")


# --- the study screen -----------------------------------------------------------------------


@pytest.mark.parametrize("height", HEIGHTS)
@pytest.mark.parametrize("width", WIDTHS)
def test_study_card_before_and_after_reveal(width: int, height: int) -> None:
    """perceptron-12, the long card of the issue: the question, then the answer with its live
    computation, then one page further down (j), each a frame of the terminal's size."""
    shown = study_frames("perceptron-12", width, height, " jq")
    before, after = shown[0], shown[1]
    snapshot(f"study-question-{width}x{height}", before, width)
    snapshot(f"study-answer-{width}x{height}", after, width)
    for frame in shown:
        assert len(frame.splitlines()) <= height - 1  # the last row is the cursor's (no hint)
        assert "What happens to the weights" in frame  # the question stays in view
        assert "perceptron-12" in frame and "Perceptron" in frame.splitlines()[0]
    if len(shown) > 2:  # scrolled: the keys to scroll are on screen
        snapshot(f"study-scrolled-{width}x{height}", shown[2], width)
        assert re.search(r"lines \d+-\d+ of \d+ · (j/↓ more · )?k/↑ back", shown[2])
        assert "j/↓ more" in after


@pytest.mark.parametrize("width", WIDTHS)
def test_grade_legend_columns_line_up(width: int) -> None:
    console, screen = terminal(width, 24)
    preview = dict(zip(Grade, (1, 1, 1, 1, 6, 45), strict=True))
    console.print(study_screen.grade_legend(preview, width))
    text = screen.getvalue()
    snapshot(f"grade-legend-{width}", text, width)
    lines = text.splitlines()
    for names, whens in zip(lines[::2], lines[1::2], strict=True):
        starts = [m.start() for m in re.finditer(r"\d [a-z]+", names)]
        assert [m.start() for m in re.finditer(r"\S+( ↺)?", whens)] == starts


@pytest.mark.parametrize("height", HEIGHTS)
@pytest.mark.parametrize("width", WIDTHS)
def test_summary(width: int, height: int) -> None:
    console, screen = terminal(width, height)
    with Store.open() as store:
        store.sync(load_catalog().cards, "screens", NOW)
        session = session_on(store, ["gd-1", "gd-2", "gd-3"])
        for grade, seconds in ((Grade.GOOD, 12.0), (Grade.HARD, 300.0), (Grade.PERFECT, 9.0)):
            session.grade(grade, seconds)
        console.print(study_screen.summary_panel(session, date(2026, 11, 27)))
    snapshot(f"summary-{width}x{height}", screen.getvalue(), width)
    assert "1m 21s" in screen.getvalue()  # 12 + 60 (capped) + 9 seconds


def test_a_summary_with_no_answer_says_no_cap_on_answers() -> None:
    """A session quit before any grade said `time 0m 00s (≤ 1 min per card)`: the cap on
    each answer's time, said of no answer. It is said where an answer was timed."""
    with Store.open() as store:
        store.sync(load_catalog().cards, "screens", NOW)
        session = session_on(store, ["gd-1", "gd-2"])
        console, screen = terminal(80, 24)
        console.print(study_screen.summary_panel(session, date(2026, 11, 27)))
        assert "0m 00s" in screen.getvalue() and "per card" not in screen.getvalue()
        session.grade(Grade.GOOD, 12.0)
        console, screen = terminal(80, 24)
        console.print(study_screen.summary_panel(session, date(2026, 11, 27)))
        assert "0m 12s (≤ 1 min per card)" in screen.getvalue(), screen.getvalue()


def test_the_summary_names_each_grade_as_the_legend_does_and_keeps_each_count_whole() -> None:
    """Found in tmux under LC_ALL=C: the summary counted grades as `4·good: 1`, a name the
    legend (`4 good`) does not use, and in ASCII `4*good: 1`, read as a product. Each count
    is `4 good: 1`, as the legend names the grade, and at every width its line breaks between
    counts, never inside one (`4 good:` / `1`)."""
    from dlcards.sm2 import SHORT_LABELS

    grades = [Grade.BLACKOUT, Grade.WRONG_REMEMBERED, Grade.WRONG_EASY, Grade.HARD]
    grades += [Grade.GOOD, Grade.PERFECT]
    counts = [f"{int(g)} {SHORT_LABELS[g]}: 1" for g in grades]
    with Store.open() as store:
        store.sync(load_catalog().cards, "screens", NOW)
        session = session_on(store, [f"gd-{n}" for n in range(1, 7)])
        for grade in grades:
            session.grade(grade, 5.0)
        for width in range(30, 101):
            console, screen = terminal(width, 24)
            console.print(study_screen.summary_panel(session, date(2026, 11, 27)))
            shown = screen.getvalue()
            assert "·" not in shown.split("re-drills")[0], shown
            for count in counts:
                assert count in shown, (width, count, shown)


# --- the other commands -------------------------------------------------------------------


@pytest.mark.parametrize("width", WIDTHS)
def test_stats_and_due(monkeypatch: pytest.MonkeyPatch, width: int, week: Path) -> None:
    history(week)
    tty_env(monkeypatch, width)
    snapshot(f"stats-{width}", run("stats", "--today", "2026-11-27"), width)
    snapshot(f"due-{width}", run("due", "--today", "2026-11-27"), width)


@pytest.mark.parametrize("width", WIDTHS)
def test_list_show_check(monkeypatch: pytest.MonkeyPatch, width: int) -> None:
    tty_env(monkeypatch, width)
    snapshot(f"list-{width}", run("list", "--topic", "vgp"), width)
    snapshot(f"show-{width}", run("show", "robust-i9", "--today", "2026-11-27"), width)
    lines = run("check").splitlines(keepends=True)
    snapshot(f"check-{width}", "".join(lines[:16] + ["…\n"] + lines[-6:]), width)


@pytest.mark.parametrize("width", WIDTHS)
def test_quiz_feedback(monkeypatch: pytest.MonkeyPatch, width: int) -> None:
    tty_env(monkeypatch, width)
    # seed 1 on gd: a self-graded card (revealed, not known), then a typed question answered
    # with something that is not a number, then wrongly
    out = run(
        "quiz",
        "--topic",
        "gd",
        "--seed",
        "1",
        "--count",
        "2",
        "--today",
        "2026-11-26",
        input="\nn\nabc\n7\n",
    )
    snapshot(f"quiz-{width}", out, width)


# --- any size -------------------------------------------------------------------------------


CARD_IDS = [c.id for c in load_catalog().cards]


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    card_id=st.sampled_from(CARD_IDS),
    width=st.integers(min_value=30, max_value=200),
    height=st.integers(min_value=12, max_value=60),
)
def test_any_card_at_any_size_fits_and_keeps_the_question(
    card_id: str, width: int, height: int
) -> None:
    shown = study_frames(card_id, width, height, " jjq")
    for frame in shown:
        lines = frame.splitlines()
        assert max(cell_len(line) for line in lines) <= width
        assert len(lines) <= height  # the last row is the cursor's, where key hints go
    question = re.compile(r"│ +Q ")
    assert question.search(shown[0]) and question.search(shown[1])  # before and after reveal


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    card_id=st.sampled_from(CARD_IDS),
    width=st.integers(min_value=16, max_value=40),
    height=st.integers(min_value=5, max_value=11),
)
def test_a_tiny_terminal_still_shows_the_card(card_id: str, width: int, height: int) -> None:
    """However small the terminal, the card keeps rows of its own (the header, the grade
    legend and the key hints give way), before and after the answer is shown."""
    shown = study_frames(card_id, width, height, " jq")
    question = re.compile(r"│ +Q ")
    for frame in shown:
        lines = frame.splitlines()
        assert len(lines) <= height and max(cell_len(line) for line in lines) <= width
        body = [line for line in lines if line.startswith(("│", "╭", "╰"))]
        assert len(body) >= 3, frame
    assert question.search(shown[0]) and question.search(shown[1]), shown[:2]


@pytest.mark.parametrize(("width", "height"), [(40, 10), (45, 9), (53, 10), (60, 8)])
def test_a_small_terminal_still_says_how_to_grade(width: int, height: int) -> None:
    """With the answer shown, where the grade legend does not fit the key hints name the
    grade keys themselves (at 40x10 the screen said only `u undo · s skip · q quit`)."""
    shown = study_frames("perceptron-1", width, height, " q")
    revealed = shown[1]
    assert "0-5" in revealed or "5 perfect" in revealed, revealed


@pytest.mark.parametrize(
    ("card_id", "width", "height"),
    [
        *(("perceptron-1", w, h) for w, h in [(40, 10), (36, 10), (30, 10), (45, 9), (60, 10)]),
        *(("gd-1", w, h) for w, h in [(40, 10), (45, 9), (53, 10), (40, 12), (60, 10)]),
        # (gd-1's question takes five lines at 30 columns: its answer is below, with j)
    ],
)
def test_a_small_terminal_shows_the_answer_without_scrolling(
    card_id: str, width: int, height: int
) -> None:
    """At 40x10, after Space, the key hints (they name the grades there) wrapped to two lines
    and the header kept its two, so the card had four rows: its border, the question and a
    blank, and the answer was seen only with `j`. A hint is now the longest of its wordings
    that fits on one line (or two, the second giving way where the card would scroll), and
    in a terminal too short for the question and the answer's first lines the header gives
    way; the hints stay."""
    shown = study_frames(card_id, width, height, " q")
    hints = []
    for frame in shown[:2]:
        lines = frame.splitlines()
        assert len(lines) <= height and max(cell_len(line) for line in lines) <= width
        assert lines[-1].strip() and not lines[-1].startswith(("│", "╰", "lines ")), frame
        after = lines[max(i for i, line in enumerate(lines) if line.startswith(("│", "╰"))) :]
        # a scroll line and a one-line hint, or a hint of two lines: nothing wrapped
        assert len(after) <= 3, frame
        hints.append(" ".join(line for line in after[1:] if not line.startswith("lines ")))
    question, revealed = shown[0], shown[1]
    assert "Space" in hints[0] and "quit" in hints[0], question
    assert re.search(r"│ +Q ", revealed) and re.search(r"│ +A \w", revealed), revealed
    assert "0-5" in hints[1] or "5 perfect" in revealed, revealed


def test_a_resized_terminal_redraws_the_card_at_its_new_size() -> None:
    """The window narrowed from 80 to 40 columns while the answer is shown: the card is drawn
    again at 40 (before, the 80-column frame stayed and the terminal wrapped it to garbage)."""
    from dlcards.terminal import Resized

    catalog = load_catalog()
    card = catalog.card("perceptron-12")
    console, screen = terminal(80, 24)
    presses = iter(" Rq")

    def read_key() -> str:
        key = next(presses)
        if key == "R":
            console.width = 40
            raise Resized
        return key

    with Store.open() as store:
        store.sync(catalog.cards, "screens", NOW)
        session = session_on(store, ["perceptron-12"])
        key = study_screen.card_screen(
            session,
            card,
            "Perceptron Loss Function",
            "new card",
            "",
            console,
            KeyInput(read_key, console),
        )
    assert key == "q"
    shown = frames(screen.getvalue())
    assert len(shown) == 3, shown
    assert max(cell_len(line) for line in shown[1].splitlines()) == 80
    assert max(cell_len(line) for line in shown[2].splitlines()) <= 40
    assert "What happens to the weights" in shown[2]
    assert "does nothing here" not in screen.getvalue()


def test_the_key_hint_never_names_redraw() -> None:
    from dlcards.terminal import describe_keys

    assert describe_keys({"reveal", "s", "q", "redraw", "1", "2"}, "Space") == "Space, 1, 2, s or q"


def test_the_key_hint_names_letters_in_the_screens_order() -> None:
    """The hint lists keys as the key line under it does: the quiz's "[y] yes · [n] no ·
    [q] quit" was hinted "press n, y or q" (alphabetical), study's "s skip · u undo ·
    ! suspend · e edit · q quit" as "!, e, s, u or q"."""
    from dlcards.terminal import describe_keys

    assert describe_keys({"y", "n", "q"}, "Space") == "y, n or q"
    assert describe_keys({"reveal", "q", "e", "!", "u", "s"}, "Space") == "Space, s, u, !, e or q"
    assert describe_keys({"q", "x", "b", "y"}, "Enter") == "y, b, x or q"  # others after, a-z


@pytest.mark.parametrize("width", (40, 50, 60, 80))
def test_panel_labels_are_shortened_at_a_word_never_cropped(width: int) -> None:
    """Every card's panel at narrow widths: the title `id · topic · tags` and the source keep
    whole words (cut with …) and the id and the source's `#n`; rich alone cropped them to
    `perceptron-12 · Perceptron Loss Fun─` and `Gradient Descent and Its Variants #─`."""
    from dlcards.view import card_panel

    catalog = load_catalog()
    titles = catalog.topic_titles()
    for card in catalog.cards:
        console, screen = terminal(width, 24)
        console.print(card_panel(card, titles[card.topic], False))
        lines = screen.getvalue().splitlines()
        top = lines[0].removeprefix("╭─ ").rstrip("─╮").rstrip()
        bottom = lines[-1].removesuffix(" ─╯").lstrip("╰─").lstrip()
        assert top.startswith(f"{card.id}"), lines[0]
        full = f"{card.id} · {titles[card.topic]} · {', '.join(card.tags)}".split()
        for shown, words in ((top, full), (bottom, (card.source or "").split())):
            for word in shown.split():
                assert (
                    word.removesuffix("…") in words
                    or word.endswith("…")
                    and any(w.rstrip(",;:") == word.removesuffix("…") for w in words)
                ), (word, lines[0], lines[-1])
            assert shown.count("(") == shown.count(")"), shown
        if card.source and "#" in card.source:
            assert bottom.endswith(card.source.split()[-1]), lines[-1]


def _self_graded(
    card_id: str, keys_typed: str, width: int, height: int, fitted: bool = False
) -> tuple[Answered, list[str]]:
    """`card_id` asked self-graded in a quiz in a terminal of `width` x `height`, answered by
    `keys_typed`, its question drawn first (`fitted`: to the terminal, as the quiz's loop
    draws it): what `_ask_self` answered, and the frames drawn."""
    from dlcards.commands import quiz as quiz_screen
    from dlcards.quiz import Question

    catalog = load_catalog()
    card = catalog.card(card_id)
    title = catalog.topic_titles()[card.topic]
    console, screen = terminal(width, height)
    keys = quiz_screen.TerminalKeys(console)
    keys.read_key = iter(keys_typed).__next__
    heading = quiz_screen.Heading("question 1 of 3", title, "score 0/0 · seed 1")

    def draw(panel: object) -> None:
        console.clear()
        console.print(heading)
        console.print(panel)

    question = Question(card, "self", card.question)
    draw(quiz_screen._question_panel(question, title, fitted))
    answered = quiz_screen._ask_self(question, title, keys, console, draw, heading)
    return answered, frames(screen.getvalue())


@pytest.mark.parametrize(("width", "height"), [(40, 15), (60, 15), (80, 24)])
def test_quiz_answer_of_a_tall_card_scrolls_and_keeps_the_question(width: int, height: int) -> None:
    """`quiz` in a terminal of 15 rows, perceptron-16 revealed (self-graded): before, the
    answer was printed below the question and pushed it (and the header) off the screen with
    no way to scroll back; now it is paged like `study`: j/k, the question pinned."""
    answered, shown = _self_graded("perceptron-16", " jjy", width, height)
    assert answered.correct
    assert len(shown) >= 3, shown
    for frame in shown:
        lines = frame.splitlines()
        assert len(lines) <= height - 1, frame
        assert max(cell_len(line) for line in lines) <= width, frame
        assert "Convergence" in frame and "Perceptron" in lines[0], frame
    if height < 24:
        assert "j/↓ more" in shown[1] and "k/↑ back" in shown[-1]


@pytest.mark.parametrize(("width", "height"), [(40, 15), (80, 15), (40, 24), (100, 30)])
def test_quiz_card_in_a_small_terminal_has_no_blank_padding_as_studys(
    width: int, height: int
) -> None:
    """Found in tmux at 40x15: `quiz`'s card kept its blank padding (a blank row above the
    question, one under the answer, two spaces each side) where `study`'s drops it below 20
    rows or 60 columns, and of bce-14's answer two lines were in view at 40x15 (now three).
    In a small terminal the quiz's card is as compact as study's (decided as it is drawn, so
    a resize changes it too); a big one keeps the padding."""
    _, shown = _self_graded("bce-14", " y", width, height, fitted=True)
    assert len(shown) == 2, shown  # the question, then its answer
    small = width < 60 or height < 20
    for frame in shown:
        lines = frame.splitlines()
        top = next(i for i, line in enumerate(lines) if line.startswith("╭"))
        first = lines[top + 1]
        if small:
            assert first.startswith("│ Q Binary"), frame
        else:
            assert re.fullmatch(r"│ *│", first) and lines[top + 2].startswith("│  Q "), frame


def test_quiz_choices_that_do_not_fit_are_paged_with_the_question_in_view() -> None:
    """A multiple-choice question at 40x15 (backprop-6, four long options): before, options 1-3
    and the question scrolled off the top; now j/k page through them under the question, and
    the header's topic is shortened after a word ('Opti…' was cut mid-word)."""
    import random

    from dlcards.commands import quiz as quiz_screen
    from dlcards.quiz import choice_question

    catalog = load_catalog()
    card = catalog.card("backprop-6")
    title = catalog.topic_titles()[card.topic]
    pool = [c for c in catalog.cards if c.topic == card.topic]
    question = choice_question(card, pool, random.Random(2))
    assert question is not None
    console, screen = terminal(40, 15)
    keys = quiz_screen.TerminalKeys(console)
    keys.read_key = iter("jj" + question.expected).__next__
    heading = quiz_screen.Heading("question 1 of 3", title, "score 0/0 · seed 2")
    answered = quiz_screen._ask_choice(question, title, keys, console, heading)
    assert answered.correct
    shown = frames(screen.getvalue())
    assert len(shown) == 3, shown
    for frame in shown:
        lines = frame.splitlines()
        lines = lines[: lines.index("Pick 1-4 · [q] quit") + 1]  # then the feedback, once
        assert len(lines) <= 14 and max(cell_len(line) for line in lines) <= 40, frame
        assert "Using the analogy" in frame, frame
        assert lines[0] == "Core Concepts of Backpropagation…", lines[0]
    assert "1 " in shown[0] and "j/↓ more" in shown[0] and "k/↑ back" in shown[1]


def test_heatmap_footer_wraps_under_itself(monkeypatch: pytest.MonkeyPatch, week: Path) -> None:
    """At 40 columns `42 reviews on 7 days since 2025-11-24` does not fit: its rest goes on an
    indented line, not against the border (`│2025-11-24`)."""
    history(week)
    tty_env(monkeypatch, 40)
    lines = run("stats", "--today", "2026-11-27").splitlines()
    start = next(i for i, line in enumerate(lines) if "less" in line and "more" in line)
    end = next(i for i in range(start, len(lines)) if lines[i].startswith("╰"))
    footer = lines[start + 1 : end]
    assert len(footer) >= 3 and "since" in footer[0], footer
    assert all(line.startswith("│    ") for line in footer), footer


@pytest.mark.parametrize("kind", ["choice", "typed"])
@pytest.mark.parametrize("width", (40, 60))
def test_quiz_feedback_at_15_rows_keeps_the_heading_in_view(width: int, kind: str) -> None:
    """A multiple-choice answer at 15 rows (backprop-6, picked wrongly): the feedback and the
    card's remarks were printed under a screen already full and scrolled the heading off the
    top (issue 12). Now they are drawn on the question's screen, shown from the feedback,
    the heading and the question kept; j/k scroll. The same for a typed answer (backprop-15).
    """
    import random

    from dlcards.commands import quiz as quiz_screen
    from dlcards.quiz import choice_question, typed_question

    catalog = load_catalog()
    card = catalog.card("backprop-6" if kind == "choice" else "backprop-15")
    title = catalog.topic_titles()[card.topic]
    if kind == "choice":
        pool = [c for c in catalog.cards if c.topic == card.topic]
        question = choice_question(card, pool, random.Random(2))
        assert question is not None
        keys_pressed = next(str(i) for i in range(1, 5) if i - 1 != question.correct) + "j "
        said = f"✗ the answer is {question.expected}:"
    else:
        question = typed_question(card, random.Random(2))
        assert question is not None
        keys_pressed = "j "
        said = f"✗ the answer is {question.expected} (you said 12345)"
    console, screen = terminal(width, 15)
    keys = quiz_screen.TerminalKeys(console)
    keys.read_key = iter(keys_pressed).__next__
    keys.line = lambda prompt, redraw=None, scroll=None: "12345"  # type: ignore[method-assign]
    with Store.open() as store:
        store.sync(catalog.cards, "screens", NOW)
        session = store.start_session("quiz", DAY, NOW)
        quiz_screen._run([question], {card.topic: title}, keys, console, store, session, [], 2)
    shown = frames(screen.getvalue())
    for frame in shown:
        lines = frame.splitlines()
        assert len(lines) <= 14, frame  # the last row is the cursor's
        assert max(cell_len(line) for line in lines) <= width, frame
        assert title.split()[0] in lines[0] and "question 1 of 1" in frame, frame
    answered = " ".join(shown[-2].split())
    assert " ".join(said.split()) in answered, shown[-2]  # shown first, without scrolling
    assert "score 0/1" in shown[-2] and "k/↑ back" in shown[-1]


def test_list_in_a_terminal_makes_its_lines_a_chunk_at_a_time(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """At 100,000 cards `dlcards list` showed nothing for 20 s, then everything: every line was
    made before the first was printed. The table now comes in chunks, each made when printed
    (first screen after 1.0 s at 100,000 cards, in a pty)."""
    import dlcards.render
    from dlcards.catalog import load_catalog
    from dlcards.commands.browse import _card_table

    made: list[str] = []
    real = dlcards.render.to_rich

    def counting(text: str) -> object:
        made.append(text)
        return real(text)

    monkeypatch.setattr(dlcards.render, "to_rich", counting)
    cards = list(load_catalog().cards)
    chunks = _card_table(cards, 100, chunk=50)
    next(chunks)  # the header
    assert made == []
    next(chunks)
    assert len(made) == 50
    rest = list(chunks)
    assert len(made) == len(cards) and len(rest) == -(-len(cards) // 50) - 1


def test_a_narrow_header_never_cuts_a_count() -> None:
    """A helper's UX run at 30 columns: the header's second line was `card 2 of 41 · new 20 ·
    due 2…`, the due count cut and `again` gone. The counts that do not fit go to a line of
    their own, each whole."""
    catalog = load_catalog()
    card = catalog.card("perceptron-1")
    ids = [c.id for c in catalog.cards if c.topic == "perceptron"][:20]
    console, screen = terminal(30, 24)
    with Store.open() as store:
        store.sync(catalog.cards, "screens", NOW)
        session = session_on(store, ids)
        keys = iter("q")
        study_screen.card_screen(
            session, card, "Perceptron Loss Function", "new card", "", console,
            KeyInput(keys.__next__, console),
        )  # fmt: skip
    top = frames(screen.getvalue())[0].split("╭")[0]
    assert "…" not in top, top
    assert top.splitlines()[1:] == ["card 1 of 20 · new 20 · due 0", "again 0", "─" * 30]


KEYS_ON_A_CARD = ("s skip", "u undo", "! suspend", "e edit", "q quit")


@pytest.mark.parametrize(("width", "height"), [(40, 24), (45, 24), (54, 30), (57, 30), (60, 30)])
def test_every_key_on_a_card_is_named_on_both_sides(width: int, height: int) -> None:
    """A helper's run at 54-60 columns: with the answer shown the hint said `grade 0-5 · u
    undo · s skip · q quit · ↺ again today`, and below 60 the question's said `Space answer ·
    s skip · u undo · q quit`: `!` (suspend) and `e` (edit) work on either side, and nothing
    on the screen named them. Where one line cannot hold them all, the hint takes two."""
    question, revealed = study_frames("perceptron-1", width, height, " q")[:2]
    for frame in (question, revealed):
        lines = frame.splitlines()
        assert max(cell_len(line) for line in lines) <= width, frame
        hint = " · ".join(lines[max(i for i, s in enumerate(lines) if s.startswith("╰")) + 1 :])
        for key in KEYS_ON_A_CARD:
            assert key in hint, frame
    assert "Space" in question.split("╰")[-1]
    assert "0-5" in revealed.split("╰")[-1] or "5 perfect" in revealed


@pytest.mark.parametrize("legend", [True, False])
@pytest.mark.parametrize("revealed", [True, False])
def test_the_key_hint_names_every_key_at_every_width(revealed: bool, legend: bool) -> None:
    """From 40 to 200 columns, each key of the card on screen in the hint, each of its lines
    within the width; the grade keys in it where no legend names them."""
    console, _ = terminal(80, 24)
    keys = KeyInput(iter(()).__next__, console)
    for width in range(40, 201):
        hint = study_screen.key_hints(keys, revealed, width, legend).replace("\\[", "[")
        assert all(cell_len(line) <= width for line in hint.splitlines()), (width, hint)
        words = hint.replace("[", "").replace("]", "")
        for key in KEYS_ON_A_CARD:
            assert key in words, (width, hint)
        if not revealed:
            assert "Space" in words, (width, hint)
        elif not legend:
            assert "0-5" in words, (width, hint)
        else:
            assert "again today" in words or "comes back" in words, (width, hint)


@pytest.mark.parametrize("width", [30, 40, 60])
def test_show_breaks_its_state_line_between_phrases(
    monkeypatch: pytest.MonkeyPatch, width: int, week: Path
) -> None:
    """At 30 columns `show`'s state line read `due 2026-11-27 · reviews in a` / `row 2 ·
    lapses 0 · recall` / `today 92%`: it is now broken between its phrases only."""
    import json

    history(week)
    card = json.loads(run("list", "--json"))[0]["id"]  # studied on the week's first day
    state = json.loads(run("show", card, "--json", "--today", "2026-11-27"))["state"]
    assert state["status"] != "new" and state["recall"] is not None
    assert state["due"] == "2026-11-27"
    tty_env(monkeypatch, width)
    shown = run("show", card, "--today", "2026-11-27").splitlines()
    below = shown[next(i for i, line in enumerate(shown) if line.startswith("╰")) + 1 :]
    assert all(cell_len(line) <= width for line in below), below
    said = [part for line in below for part in line.split(" · ")]
    assert said == [
        f"sm2: ease {state['ef']:.2f}",
        f"interval {state['interval']}d",
        "due today",  # the week's 6-day interval ends on the 27th (the JSON's due, above)
        f"reviews in a row {state['repetitions']}",
        f"lapses {state['lapses']}",
        f"recall today {state['recall']:.0%}",
    ], below


FAMILY = "\U0001f468\u200d\U0001f469\u200d\U0001f467\u200d\U0001f466"
"""An emoji family: four emoji joined by U+200D, one glyph two cells wide in a terminal."""


@pytest.mark.parametrize("width", [40, 60, 100])
def test_a_joined_emoji_is_measured_as_the_terminal_draws_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, width: int
) -> None:
    """With rich before 14.3 (which the requirements allowed) an emoji family was measured
    as 8 cells, each emoji apart: its line in a card's panel stood 6 cells short of the
    border. Counted here as a terminal draws it: the family 2 cells, every other character
    of the line 1."""
    deck = tmp_path / "emoji.yaml"
    deck.write_text(
        "topic: emoji\ntitle: Emoji\ncards:\n  - id: emoji-1\n    question: Who?\n"
        f"    answer: The {FAMILY} family.\n",
        encoding="utf-8",
    )
    tty_env(monkeypatch, width)
    shown = run("show", "emoji-1", "--decks", str(deck))
    lines = [line for line in shown.splitlines() if line.startswith("│")]
    family = [line for line in lines if FAMILY in line]
    assert family, shown
    for line in lines:
        cells = len(line) - line.count(FAMILY) * (len(FAMILY) - 2)
        assert cells == width, (cells, line)


def test_the_requirements_ask_for_a_rich_that_measures_grapheme_clusters() -> None:
    """rich measures text by grapheme cluster from 14.3 on (`rich.cells.split_graphemes`):
    an older one, which `rich>=13.7` allowed, measured an emoji family as 8 cells."""
    pyproject = Path(__file__).resolve().parent.parent / "pyproject.toml"
    found = re.search(r'^\s*"rich>=([\d.]+)', pyproject.read_text(encoding="utf-8"), re.M)
    assert found is not None
    assert tuple(int(part) for part in found[1].split(".")) >= (14, 3), found[0]


def test_a_private_use_character_of_a_card_is_shown_as_it_is(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The space that keeps a hint's words together (console.GLUE) was U+E000, written as a
    space at output: a card holding U+E000 (a Nerd Font icon, in the private-use area)
    showed a space in its place."""
    deck = tmp_path / "icon.yaml"
    deck.write_text(
        "topic: icon\ntitle: Icon\ncards:\n  - id: icon-1\n    question: Which icon?\n"
        '    answer: "The \\ue000 one."\n',
        encoding="utf-8",
    )
    tty_env(monkeypatch, 60)
    shown = run("show", "icon-1", "--decks", str(deck))
    assert "The \ue000 one." in shown, shown


def test_a_key_typed_before_a_card_is_redrawn_is_not_its_grade() -> None:
    """The card on screen is drawn again when its deck changes while it waits for a key (the
    idle look, `refresh`). A grade typed for the answer as it was, read only after the
    redraw (typed while the look ran), graded the new answer, which the learner had not
    seen. Keys typed before the redraw are now thrown away (`KeyInput.drop_typed`: the
    terminal's queue); the key typed after it grades."""
    from dlcards.terminal import Idle

    catalog = load_catalog()
    card = catalog.card("perceptron-12")
    changed = card._replace(answer="An answer saved in another terminal meanwhile")
    console, screen = terminal(80, 24)
    typed = [" ", "idle", "4", "redrawn", "5"]  # "4" typed while the look ran

    def read_key() -> str:
        key = typed.pop(0)
        return typed.pop(0) if key == "redrawn" else key

    def idle_read(seconds: float) -> str:
        key = read_key()
        if key == "idle":
            raise Idle
        return key

    def drop_typed() -> None:  # the terminal's queue: what was typed before the redraw
        if "redrawn" in typed:
            del typed[: typed.index("redrawn") + 1]

    looks: list[str] = []

    def refresh(shown):  # type: ignore[no-untyped-def]
        looks.append(shown.answer)
        return (changed, "perceptron-12 was changed in its deck") if len(looks) == 1 else None

    keys = KeyInput(read_key, console)
    keys.idle_read = idle_read  # type: ignore[assignment]
    keys.drop_typed = drop_typed  # type: ignore[method-assign]
    with Store.open() as store:
        store.sync(catalog.cards, "screens", NOW)
        session = session_on(store, ["perceptron-12"])
        key = study_screen.card_screen(
            session, card, "Perceptron Loss Function", "new card", "", console, keys, None, refresh
        )
    assert looks == [card.answer]
    assert key == "5"
    assert "An answer saved in another terminal meanwhile" in frames(screen.getvalue())[-1]


def _separator_ends(line: str) -> bool:
    """Whether `line` starts or ends with a separator (` · `, `*` as spelled in ASCII)."""
    shown = line.strip()
    return shown[:1] in ("·", "*") or shown[-1:] in ("·", "*")


@pytest.mark.parametrize("mode", ["self", "choice"])
@pytest.mark.parametrize("width", [40, 60, 100, 160])
def test_no_line_of_a_quiz_starts_or_ends_with_a_separator(
    monkeypatch: pytest.MonkeyPatch, width: int, mode: str
) -> None:
    """In a real terminal at 40 columns the quiz's self-graded hint ended a line with `·`
    (`Did you know it? [y] yes · [n] no ·` / `[q] quit`), as did its first line (`dlcards
    quiz · 2 questions (1 typed) ·`), and at 60 each question's heading (`question 1 of 2 ·
    Gradient Descent and Its Variants ·` / `score 0/0`): where a line breaks at a
    separator, the separator goes (the break separates the items already)."""
    tty_env(monkeypatch, width)
    count, typed = {"self": ("2", "\nn\nabc\n7\n"), "choice": ("3", "1\n1\n1\n")}[mode]
    args = ["--topic", "gd", "--seed", "1", "--count", count, "--mode", mode]
    shown = run("quiz", *args, "--today", "2026-11-26", input=typed)
    lines = shown.splitlines()
    assert not [line for line in lines if _separator_ends(line)], shown
    assert all(cell_len(line) <= width for line in lines), shown
    said = " ".join(shown.split())  # every key still named, wrapped or not
    keys = ["[y] yes", "[n] no", "[q] quit"] if mode == "self" else ["Pick 1-4", "[q] quit"]
    assert all(key in said for key in keys), shown


LEGENDS = [
    r"Did you know it? \[y] yes · \[n] no · \[q] quit",
    r"Answer: a number to 3 significant figures (1/4, 2.5e-3 and 0.5^3 work too) · "
    r"\[s] show the answer · \[q] quit",
    r"\[Space] next question · \[q] quit",
    r"Pick 1-4 · \[q] quit",
    r"grade 0-5 · \[u] undo · \[s] skip · \[!] suspend · \[e] edit · \[q] quit · "
    "↺ comes back this session",
    "Space answer · s skip · u undo · ! suspend · e edit · q quit",
    "dlcards quiz · 12 questions (5 typed) · seed 7 (--seed 7 asks the same ones again)",
]


@pytest.mark.parametrize("spelled", [False, True], ids=["utf8", "ascii"])
@pytest.mark.parametrize("legend", LEGENDS, ids=range(len(LEGENDS)))
def test_a_key_legend_wraps_without_a_separator_at_either_end_of_a_line(
    monkeypatch: pytest.MonkeyPatch, legend: str, spelled: bool
) -> None:
    """Every key legend (and line of items) rich wraps: at every width from 12 columns (the
    longest word) to 160, no line starts or ends with a separator (`·`, or `*` where the
    terminal shows ASCII alone), no line is wider than the terminal, and every word but the
    separators dropped at the breaks is there, in order."""
    from contextlib import nullcontext

    import helpers as h

    from dlcards.console import as_shown, out

    tty_env(monkeypatch, 160)
    with h.ascii_terminal(monkeypatch, 160) if spelled else nullcontext():
        console = out()
        plain = as_shown(legend.replace("\\[", "["))
        words = [word for word in plain.split() if word not in ("·", "*")]
        assert spelled == ("*" in plain)
        for width in range(12, 161):
            console.width = width
            with console.capture() as captured:
                console.print(f"[dim]{legend}[/dim]")
            lines = captured.get().splitlines()
            assert not [line for line in lines if _separator_ends(line)], (width, lines)
            assert all(cell_len(line) <= width for line in lines), (width, lines)
            shown = [word for line in lines for word in line.split() if word not in ("·", "*")]
            assert shown == words, (width, lines)
            if cell_len(plain) <= width:
                assert len(lines) == 1, (width, lines)
