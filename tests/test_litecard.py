"""`dlcards.litecard`: `dlcards show`'s card panel written without rich is the bytes rich writes
for it: every built-in card (erratum, note, references, math, display formulas, worked steps)
at widths from the narrowest it takes to a wide terminal, in a terminal with and without
colour, in a pipe, and random cards; what it cannot lay out as rich would it leaves to rich."""

from __future__ import annotations

import re
from collections.abc import Mapping

import pytest
from helpers import printed, quick_run
from hypothesis import example, given, settings
from hypothesis import strategies as st

from dlcards import console, litecard
from dlcards.catalog import load_catalog
from dlcards.deck import Card
from dlcards.view import card_blocks, card_panel, math_extras, phrases

STATUS = (
    "new · not studied yet",
    "sm2: ease 2.36 · interval 16d · due 2026-12-12 · reviews in a row 3 · lapses 1 · "
    "recall today 93%",
    "fsrs: stability 12.4d · difficulty 5.31 · interval 12d · due 2026-12-08 · "
    "reviews in a row 2 · lapses 0 · recall today 90% · suspended",
)


def compare(card: Card, title: str, status: str, env: Mapping[str, str], tty: bool) -> bool:
    """Whether litecard wrote the card; asserts that what it wrote is what rich writes."""
    extra = math_extras(card)
    blocks = card_blocks(card, True, extra)
    tags, source = ", ".join(card.tags), card.source or ""
    parts = status.split(" · ")
    done: list[bool] = []

    def ours() -> None:
        done.append(litecard.write(card.id, title, tags, source, blocks, parts, "dim"))

    def theirs() -> None:
        console.out().print(card_panel(card, title, reveal=True, extra=extra))
        for line in phrases(parts, console.out().width):  # as `dlcards show` prints them
            console.out().print(f"[dim]{line}[/dim]")

    encoding = env.get("ENCODING", "utf-8")
    with pytest.MonkeyPatch.context() as mp:
        mine = printed(mp, env, tty, None, ours, encoding)
        rich = printed(mp, env, tty, None, theirs, encoding)
    if done[0]:
        assert mine == rich, (card.id, env)
    else:
        assert mine == ""
    return done[0]


CATALOG = load_catalog(())
TITLES = CATALOG.topic_titles()
WIDTHS = [20, 33, 72, 160]


@pytest.mark.parametrize("width", WIDTHS)
def test_every_card_in_a_colour_terminal(width: int) -> None:
    """Every built-in card, laid out by litecard and by rich, at this width: the same bytes,
    and litecard lays every one of them out but the two whose emoji (📉️, ⛰️: a character and
    U+FE0F) rich measures as two cells."""
    env = {"FORCE_COLOR": "1", "COLUMNS": str(width), "LINES": "40"}
    left = [
        card.id
        for n, card in enumerate(CATALOG.cards)
        if not compare(card, TITLES[card.topic], STATUS[n % 3], env, True)
    ]
    assert left == ["loss-g1", "loss-g5"]


ENVIRONMENTS = [
    ({"COLUMNS": "80", "LINES": "40"}, False),  # a pipe: no codes, no padding
    ({"FORCE_COLOR": "1", "NO_COLOR": "1", "COLUMNS": "64", "LINES": "40"}, True),
    ({"TTY_COMPATIBLE": "1", "TERM": "dumb"}, True),  # 80 columns, no codes
    ({"COLUMNS": "100", "LINES": "40"}, True),
]


@pytest.mark.parametrize(("env", "tty"), ENVIRONMENTS)
def test_cards_in_every_environment(env: dict[str, str], tty: bool) -> None:
    for n, card in enumerate(CATALOG.cards[::11]):
        assert compare(card, TITLES[card.topic], STATUS[n % 3], env, tty), card.id


def test_what_rich_must_lay_out_is_left_to_it(monkeypatch: pytest.MonkeyPatch) -> None:
    card = CATALOG.card("gd-23")
    wide = card._replace(question="数学 " + card.question)
    tab = card._replace(answer="a\tb")
    env = {"FORCE_COLOR": "1", "COLUMNS": "80", "LINES": "40"}
    assert not compare(wide, "Gradient Descent", STATUS[0], env, True)  # two cells wide
    assert not compare(tab, "Gradient Descent", STATUS[0], env, True)
    assert not compare(card, "Gradient Descent", "[b]x[/b]", env, True)  # markup
    assert not compare(card, "Gradient Descent", "a :smile: b", env, True)  # an emoji code
    long_id = card._replace(id="a-card-id-longer-than-the-border")
    assert not compare(long_id, "G", STATUS[0], {**env, "COLUMNS": "30"}, True)
    assert compare(long_id, "G", STATUS[0], {**env, "COLUMNS": "40"}, True)
    narrow = {**env, "COLUMNS": str(litecard.MIN_WIDTH - 1)}
    assert not compare(card, "Gradient Descent", STATUS[0], narrow, True)
    ascii_only = {**env, "ENCODING": "ascii"}  # rich draws the border in ASCII
    assert not compare(card, "Gradient Descent", STATUS[0], ascii_only, True)


words = st.sampled_from(
    [
        "word", "a", "longerword", "$x_i$", "$\\eta = 0.1$", "**bold**", "*it*", "`code`",
        "$a - b$", "(f(x + h)", "=", "−", "<br>", "$$\\sum_i w_i x_i$$", "Σⱼ", "x" * 30,
        "f(x, y)", ",", "·", "→", "é", "[sound: media/a%20b.mp3]",
    ]
)  # fmt: skip
texts = st.lists(words, min_size=1, max_size=25).map(" ".join)


@settings(max_examples=100, deadline=None)
@given(
    question=texts,
    answer=texts,
    note=st.none() | texts,
    tags=st.lists(st.sampled_from(["math", "core", "a-long-tag"]), max_size=3),
    source=st.sampled_from(["", "Some Source #1", "A very long source title indeed #23"]),
    width=st.integers(litecard.MIN_WIDTH, 120),
    status=st.sampled_from(STATUS),
)
@example(
    question="x " * 40, answer="$$a$$", note=None, tags=[], source="", width=20, status=STATUS[0]
)
def test_random_cards(
    question: str,
    answer: str,
    note: str | None,
    tags: list[str],
    source: str,
    width: int,
    status: str,
) -> None:
    card = CATALOG.card("gd-23")
    fields = {"question": question, "answer": answer, "note": note, "tags": tuple(tags)}
    card = card._replace(**fields, source=source or None)
    env = {"FORCE_COLOR": "1", "COLUMNS": str(width), "LINES": "40"}
    compare(card, "Gradient Descent and Its Variants", status, env, True)


def test_a_long_card_is_laid_out_in_steps_linear_in_its_length() -> None:
    """A card four times as long (a line of inline formulas, and as many lines of a formula
    and bold each) takes about four times the steps in litecard and in rich alike, and the
    two write the same bytes. Each line clipped every span of the card, and each piece of a
    line every span of the line: a card of 2,000 formulas on one line took 1.5 s to show."""
    from helpers import lines_run

    card = CATALOG.card("gd-23")
    env = {"FORCE_COLOR": "1", "COLUMNS": "72", "LINES": "40"}

    def steps(n: int) -> int:
        inline = " ".join(f"then $x_{{{i}}} = {i}$," for i in range(n))
        lines = "<br>".join(f"line {i}: $y_{{{i}}}$ is **{i}**" for i in range(n))
        long = card._replace(answer=f"{inline}<br>{lines}")
        written: list[bool] = []
        count = lines_run(lambda: written.append(compare(long, "G", STATUS[0], env, True)))
        assert written == [True]  # laid out by litecard, and the same as rich's
        return count

    short, long = steps(100), steps(400)
    assert long < 5 * short, (short, long)


def test_show_starts_without_rich(isolated: object) -> None:
    report = "sorted(m for m in ('typer', 'click', 'rich.console') if m in sys.modules)"
    lines = quick_run(["show", "gd-23"], report)
    assert lines[-1] == "[]"
    assert any("gd-23 · Gradient Descent" in line for line in lines)


@pytest.mark.parametrize("width", [20, 45, 100])
def test_a_computation_that_fails_is_laid_out_as_rich_lays_it_out(width: int) -> None:
    """A card whose computation cannot run shows its ⚠ line (a plain Text, word-wrapped as
    rich wraps it) among the checks that ran."""
    from dlcards.deck import Compute

    card = CATALOG.card("gd-23")
    broken = Compute(fn="no_such_computation", label="a label long enough to be wrapped")
    card = card._replace(compute=(broken, *card.compute))
    assert any(b.plain.startswith("⚠") for b in math_extras(card) if hasattr(b, "plain"))
    env = {"FORCE_COLOR": "1", "COLUMNS": str(width), "LINES": "40"}
    assert compare(card, TITLES[card.topic], STATUS[1], env, True)


@pytest.mark.parametrize("width", [20, 27, 33, 45])
def test_a_name_cut_with_its_continuation_mark_is_laid_out_as_rich_does(width: int) -> None:
    """A name longer than the line is cut with a mark at the line's end (`flow.CONTINUED`),
    which litecard adds where FlowText adds it: the same bytes."""
    from dlcards.flow import CONTINUED

    card = CATALOG.card("gd-23")._replace(
        answer="it calls `enumerate(training_data_loader_with_augmentation_and_shuffling)`"
    )
    env = {"FORCE_COLOR": "1", "COLUMNS": str(width), "LINES": "40"}
    assert compare(card, "Gradient Descent", STATUS[0], env, True)
    with pytest.MonkeyPatch.context() as mp:
        shown = printed(
            mp,
            env,
            True,
            None,
            lambda: litecard.write(
                card.id, "G", "", "", card_blocks(card, True, math_extras(card)), ["new"], "dim"
            ),
            "utf-8",
        )
    lines = re.sub(r"\x1b\[[0-9;]*m", "", shown).splitlines()
    assert any(line.rstrip(" │").endswith(CONTINUED) for line in lines), shown
