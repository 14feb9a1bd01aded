"""`dlcards quiz`: unscheduled practice for cramming; results are logged, the schedule is untouched.

Math cards with a `quiz:` template ask for a typed number with fresh parameters; the other cards
are self-graded (`y`/`n` after the answer is shown) or, with `--mode choice`, multiple choice
(`1`-`4`). In a terminal, single keys drive reveal, grading and choices, and typed answers are
read as a line edited as a shell's (the arrow keys, Home, End); when standard input is not a
terminal everything is one line per answer (an empty line reveals), as in `dlcards study`. `q`
quits, and end of input ends the quiz; both show the score so far. Questions come from
`dlcards.quiz` (pure); this module only talks.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from collections.abc import Set as AbstractSet
from contextlib import nullcontext
from functools import partial
from typing import TYPE_CHECKING

import typer

from dlcards.commands.common import (
    FULL_DISK_PATIENCE_S,
    clock,
    end_saved,
    today_from,
    until_saved,
)
from dlcards.commands.options import (
    DbOption,
    DecksOption,
    SearchOption,
    TagOption,
    TodayOption,
    TopicOption,
)
from dlcards.errors import UsageError, quoted
from dlcards.terminal import (
    KeyInput,
    LineInput,
    Quit,
    line_editing,
    pastes_marked,
    read_line,
    resizes_noted,
    run_until_stopped,
    stops_as_ctrl_c,
)

if TYPE_CHECKING:
    import random

    from rich.console import Console, ConsoleOptions, RenderableType, RenderResult
    from rich.text import Text

    from dlcards.catalog import Catalog
    from dlcards.deck import Card
    from dlcards.quiz import Answered, Mode, Question
    from dlcards.store import Store

MODES = ("self", "choice")
SKIP_WORDS = {"s", "?"}


class QuizLines(LineInput):
    """The line protocol, with a reminder that names only the answers allowed at this point."""

    def complain(self, text: str, allowed: set[str]) -> None:
        from dlcards.console import echo

        # the typed line as it is, never read as markup (`[/b]` was a MarkupError traceback)
        echo(f"? {quoted(text)}: type {_choices(allowed)}", "yellow", console=self.console)

    def line(
        self,
        prompt: str,
        redraw: Callable[[], object] | None = None,
        scroll: Callable[[str], object] | None = None,
    ) -> str:
        self.console.print(prompt)
        text = sys.stdin.readline()
        if text == "":
            raise Quit("eof")
        return text.strip()


class TerminalKeys(KeyInput):
    """Single keys, and a whole line (with the terminal's editing) for typed answers."""

    grade_keys: frozenset[str] = frozenset()  # a quiz's digits choose, y and n self-grade

    def __init__(self, console: Console) -> None:
        super().__init__(console=console)

    def line(
        self,
        prompt: str,
        redraw: Callable[[], object] | None = None,
        scroll: Callable[[str], object] | None = None,
    ) -> str:
        """A typed line, edited as a shell's (`read_line`; `redraw` draws what is above it
        again after a resize, or Ctrl-Z and `fg`; `scroll` scrolls it with the arrow keys);
        Ctrl-D on an empty line ends the quiz."""
        assert self.console is not None
        self.console.file.flush()
        typed = read_line(prompt + " ", redraw, scroll, TYPED_COMMANDS)
        if typed is None:
            raise Quit("eof")
        return typed.strip()


def _reveal_key(keys: KeyInput | LineInput) -> str:
    """What reveals, as hints name it: `[Space]` in a terminal, `empty line` in a script."""
    return r"\[Space]" if keys.interactive else "empty line:"


def _choices(allowed: set[str]) -> str:
    words = {"reveal": "an empty line", "y": "y", "n": "n", "q": "q"}
    shown = [words.get(a, a) for a in sorted(allowed, key=lambda a: (a == "q", a))]
    return ", ".join(shown[:-1]) + " or " + shown[-1] if len(shown) > 1 else shown[0]


# --- one question -----------------------------------------------------------------------------


def _question_panel(question: Question, title: str, fitted: bool = False) -> RenderableType:
    """The question (and its options) in a card's panel; `fitted`, for a screen of its own in
    a terminal: compact there as `study`'s card is (`view.compact_screen`), as drawn."""
    from rich.console import Group
    from rich.table import Table
    from rich.text import Text

    from dlcards.render import to_rich
    from dlcards.view import PADDING, FittedPanel

    body = Table.grid(padding=(0, 1))
    body.add_column(no_wrap=True)
    body.add_column(ratio=1)
    body.add_row(Text("Q", style="bold cyan"), to_rich(question.prompt))
    parts: list[RenderableType] = [body]
    if question.kind == "choice":
        options = Table.grid(padding=(0, 1))
        options.add_column(no_wrap=True)
        options.add_column(ratio=1)
        for i, option in enumerate(question.options, start=1):
            if i > 1:
                options.add_row("", "")
            options.add_row(Text(f"{i}", style="bold"), to_rich(option))
        parts += [Text(""), options]
    kind = {"typed": "typed answer", "choice": "multiple choice", "self": "self-graded"}
    padding = None if fitted else PADDING[False]
    return FittedPanel(
        Group(*parts), question.card.id, title, "", f"quiz · {kind[question.kind]}", padding
    )


TYPED_KEYS = r"\[s] show the answer · \[q] quit"
"""The keys a typed question offers besides the answer, as its hints name them."""
TYPED_COMMANDS = frozenset({*SKIP_WORDS, "q"})
"""The keys that act at once on an empty answer line, as the hint says (`[s]`), not after
Enter (no answer begins with one of them): typed there, `s` went into the answer."""


def _typed_hint(question: Question) -> str:
    return rf"[dim]Answer: {_typed_what(question)} · {TYPED_KEYS}[/dim]"


def _typed_what(question: Question) -> str:
    """What to type for `question`'s answer: `a number to 3 significant figures (...)`."""
    from dlcards.quiz import SIGNIFICANT, answer_size

    size = answer_size(question)
    if question.tolerance is not None:  # the card's quiz sets how close
        each = f"within {question.tolerance:.2%}".replace(".00%", "%")
    else:
        each = f"to {SIGNIFICANT} significant figures"
    if size > 1:
        what = f"{size} numbers separated by commas, each {each}, e.g. " + ", ".join(
            ["1.5", "-0.5", "0.2", "3", "0"][:size]
        )
    elif question.needs_integer:
        what = "a whole number"
    else:
        what = f"a number {each} (1/4, 2.5e-3 and 0.5^3 work too)"
    return what


def _ask_typed(
    question: Question,
    keys: QuizLines | TerminalKeys,
    console: Console,
    draw: Callable[[], object] = lambda: None,
    screen: TypedScreen | None = None,
) -> Answered:
    """The typed answer to `question`, asked again until it is a number; `draw` draws the
    question (again, in a terminal that changed size or came back from Ctrl-Z). In a
    terminal, `screen` draws the whole screen instead, fitted to it."""
    from dlcards.console import echo
    from dlcards.quiz import Answered, AnswerError, check_typed

    def again() -> None:
        if screen is not None:
            screen()
            return
        draw()
        console.print(_typed_hint(question))

    if screen is not None:
        screen()
    else:
        console.print(_typed_hint(question))
    while True:
        text = keys.line("answer ›", again, screen)
        word = text.lower()
        if word == "q":
            raise Quit("q")
        if word in SKIP_WORDS:
            return Answered(question, False, None)
        try:
            correct, _ = check_typed(question, text)
        except AnswerError as err:
            if screen is not None:  # said under the hint, the screen drawn again to fit
                screen.said = f"? {err}"
                screen()
                continue
            echo(f"? {err}", "yellow", console=console)
            continue
        return Answered(question, correct, text)


class TypedScreen:
    """A typed question in a real terminal, drawn to fit it as `study` draws a card
    (`pager.paint`): the heading, the question, the hint (and the last answer's complaint),
    the answer typed on the last row. In a small terminal the heading and the hint give way
    to the question, and a question still taller than the room scrolls with the arrow keys
    and Page Up/Down, from its top (j and k are letters of the answer). At 40x12 the screen
    was printed whole, and the heading and the question's first lines, its numbers with them,
    scrolled off the top before a word of the answer could be typed."""

    def __init__(
        self, console: Console, heading: RenderableType, panel: RenderableType, what: str
    ) -> None:
        self.console, self.heading, self.panel, self.what = console, heading, panel, what
        self.offset, self.page = 0, 1
        self.said: str | None = None

    def __call__(self, key: str | None = None) -> None:
        from rich.text import Text

        from dlcards.pager import paint
        from dlcards.stdio import hanging

        # a page at a time, as ↓ and ↑ scroll a card in study (they are its j and k)
        step = {"Down": self.page, "Up": -self.page, "Page Down": self.page, "Page Up": -self.page}
        self.offset += step.get(key or "", 0)
        # what to type (and what was wrong with the last answer), then the keys on a line of
        # their own: in a small terminal the first parts give way first, the keys last; at
        # 100 columns `[q] quit` no longer wrapped alone
        bottom: list[RenderableType] = [Text(f"Answer: {self.what}", style="dim")]
        if self.said is not None:  # its lines under its first words, as `echo` writes it
            said = "\n".join(hanging(self.said, self.console.width))
            bottom.append(Text(said, style="yellow"))
        bottom.append(Text.from_markup(f"[dim]{TYPED_KEYS}[/dim]"))
        self.offset, _, page = paint(
            self.console, [self.heading], self.panel, bottom, self.offset, scroll_keys=("↓", "↑")
        )
        self.page = max(1, page - 1)  # a page down keeps one line of the last page in view


def _typed_feedback(answered: Answered) -> list[RenderableType]:
    """What a typed answer gets: ✓, or the right value (and what was said), then the steps."""
    from rich.padding import Padding
    from rich.text import Text

    from dlcards.flowtext import flowing

    question = answered.question
    assert question.result is not None
    parts: list[RenderableType] = []
    if answered.correct:
        parts.append(flowing(f"✓ correct: {question.expected}", style="bold green"))
    elif answered.given is None:
        parts.append(flowing(f"→ the answer is {question.expected}", style="bold yellow"))
    else:
        parts.append(
            flowing(f"✗ the answer is {question.expected}", style="bold red")
            + Text(f" (you said {answered.given})")
        )
    for step in question.result.steps:  # a long step wraps under itself, not at the margin
        parts.append(Padding(flowing(step, style="dim"), (0, 0, 0, 4), expand=False))
    return parts


def _ask_self(
    question: Question,
    title: str,
    keys: QuizLines | TerminalKeys,
    console: Console,
    draw: Callable[[RenderableType], None],
    heading: RenderableType,
) -> Answered:
    from dlcards.quiz import Answered
    from dlcards.view import card_panel, math_extras

    console.print(f"[dim]{_reveal_key(keys)} show the answer · \\[q] quit[/dim]")
    if keys.next({"reveal", "q"}) == "q":
        raise Quit("q")
    card = question.card
    extra = math_extras(card)
    fitted = None if keys.interactive else False  # a screen of its own: as `study`'s card
    answer = card_panel(card, title, True, "quiz · self-graded", extra, compact=fitted)
    hint = r"[dim]Did you know it? \[y] yes · \[n] no · \[q] quit[/dim]"
    if keys.interactive:
        asked = card_panel(card, title, False, subtitle="quiz · self-graded", compact=None)
        key = _paged(heading, answer, asked, hint, {"y", "n", "q"}, keys, console)
    else:
        draw(answer)
        console.print(hint)
        key = keys.next({"y", "n", "q"})
    if key == "q":
        raise Quit("q")
    return Answered(question, key == "y", "yes" if key == "y" else "no")


def _paged(
    heading: RenderableType,
    body: RenderableType,
    pinned_part: RenderableType,
    hint: str,
    allowed: set[str],
    keys: QuizLines | TerminalKeys,
    console: Console,
    start: RenderableType | None = None,
) -> str:
    """`body` in a real terminal, as `study` shows a card: taller than the terminal, it
    scrolls with j/k (the screen says so) while `pinned_part`'s lines (the question) stay in
    view, and it is drawn again when the terminal changes size. Returns a key of `allowed`.
    With `start` (the first part of `body`), the body is first shown scrolled just past it."""
    from rich.text import Text

    from dlcards.pager import paint

    offset = 0
    past = None  # the first screen: scrolled past `start` (its pinned lines kept if they fit)
    if start is not None:
        past = len(console.render_lines(start, console.options, pad=False))
    while True:
        pinned = len(console.render_lines(pinned_part, console.options, pad=False)) - 1
        bottom: list[RenderableType] = [Text.from_markup(hint)]
        offset, most, page = paint(console, [heading], body, bottom, offset, pinned, past=past)
        past = None
        key = keys.next(allowed | {"redraw"} | ({"j", "k"} if most else set()))
        page = max(1, page - 1)  # a page down keeps one line of the last page in view
        if key == "j":
            offset += page
        elif key == "k":
            offset -= page
        elif key != "redraw":
            return key


class Heading:
    """`dlcards quiz · question i of n · Topic · score r/a · seed s` on one line when it fits
    the width it is drawn at; else the topic on a line of its own (shortened with … if need
    be) above the counts, rather than wrapped mid-title with a dangling `·`."""

    def __init__(self, at: str, title: str, score: str) -> None:
        self.at, self.title, self.score = at, title, score

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        from rich.text import Text

        from dlcards.view import shorten

        full = Text.assemble(
            ("dlcards quiz", "bold"), f" · {self.at} · {self.title} · {self.score}"
        )
        if full.cell_len <= options.max_width:
            yield full
            return
        title = shorten(self.title, options.max_width) or self.title
        yield Text(title, style="bold", no_wrap=True, overflow="ellipsis")
        yield Text(f"{self.at} · {self.score}", no_wrap=True, overflow="ellipsis")


def _ask_choice(
    question: Question,
    title: str,
    keys: QuizLines | TerminalKeys,
    console: Console,
    heading: RenderableType,
) -> Answered:
    from dataclasses import replace

    from dlcards.quiz import Answered

    n = len(question.options)
    hint = rf"[dim]Pick 1-{n} · \[q] quit[/dim]"
    allowed = {str(i) for i in range(1, n + 1)} | {"q"}
    if keys.interactive:  # the options may not fit: paged, the question pinned
        asked = _question_panel(replace(question, kind="self", options=()), title, True)
        panel = _question_panel(question, title, True)
        key = _paged(heading, panel, asked, hint, allowed, keys, console)
    else:
        console.print(hint)
        key = keys.next(allowed)
    if key == "q":
        raise Quit("q")
    answered = Answered(question, int(key) - 1 == question.correct, key)
    if not keys.interactive:  # in a terminal the feedback is drawn with the question: see below
        for part in _choice_feedback(answered):
            console.print(part)
    return answered


def _choice_feedback(answered: Answered) -> list[RenderableType]:
    """What a picked option gets: ✓, or ✗ and the right option."""
    from rich.text import Text

    from dlcards.render import to_rich

    question = answered.question
    if answered.correct:
        return [Text(f"✓ correct: {question.expected}", style="bold green")]
    return [
        Text(f"✗ the answer is {question.expected}:", style="bold red"),
        _indented(Text(""), to_rich(question.options[question.correct])),
    ]


def _show_feedback(
    answered: Answered,
    title: str,
    keys: QuizLines | TerminalKeys,
    console: Console,
    heading: RenderableType,
    then: str,
) -> str:
    """In a terminal, the answered question on one screen: the heading, the question (and
    its options), the feedback and the card's remarks, paged like the question (j/k, the question
    pinned, first scrolled to the feedback) so that nothing scrolls the heading away; returns
    the key pressed (Space or q).
    Before, the feedback was printed below a screen already full, and at 15 rows it pushed
    the heading off the top. A choice question is asked again without its options, a typed
    one as it was."""
    from dataclasses import replace

    from rich.console import Group

    question = answered.question
    asked = _question_panel(replace(question, kind="self", options=()), title, True)
    panel = _question_panel(question, title, True)
    if question.kind == "choice":
        feedback = _choice_feedback(answered)
    else:
        feedback = _typed_feedback(answered)
    parts = [panel, *feedback]
    said = _remarks(question)
    if said is not None:
        parts.append(said)
    hint = rf"[dim]\[Space] {then} · \[q] quit[/dim]"
    # shown from the feedback (under the pinned question); k scrolls back to the options
    return _paged(heading, Group(*parts), asked, hint, {"reveal", "q"}, keys, console, panel)


def _indented(mark: Text, text: Text) -> RenderableType:
    """`text` after a one-character mark, wrapped lines aligned under its first line."""
    from rich.table import Table

    grid = Table.grid(padding=(0, 1))
    grid.add_column(width=1, no_wrap=True)
    grid.add_column()
    grid.add_row(mark, text)
    return grid


# --- the quiz -----------------------------------------------------------------------------------


def _run(
    questions: list[Question],
    titles: dict[str, str],
    keys: QuizLines | TerminalKeys,
    console: Console,
    store: Store,
    session_id: int,
    answers: list[Answered],
    seed: int,
) -> None:
    from dlcards.console import counted as c
    from dlcards.lite import GLUE

    total = len(questions)
    for i, question in enumerate(questions, start=1):
        title = titles[question.card.topic]
        right = sum(a.correct for a in answers)
        # `score` and its count on one line (GLUE): at 60 columns `score` ended one, `0/0` alone
        at, score = f"question {c(i)} of {c(total)}", f"{c(right)}/{c(len(answers))}"
        head = f"{at} · {title} · score{GLUE}{score}"
        heading = Heading(at, title, f"score {score} · seed {seed}")

        def draw(panel: RenderableType, heading: Heading = heading) -> None:
            """In a terminal the screen holds one question; a script's output keeps them all."""
            if keys.interactive:
                console.clear()
                console.print(heading)
            console.print(panel)

        if not keys.interactive:
            console.print("\n" + head, style="bold", markup=False, highlight=False)
        typed_screen = question.kind == "typed" and keys.interactive and line_editing()
        if not (keys.interactive and question.kind == "choice") and not typed_screen:
            # (a choice, a typed screen: their own)
            draw(_question_panel(question, title, keys.interactive))
        if question.kind == "typed":
            panel = _question_panel(question, title, keys.interactive)
            screen = None
            if typed_screen:  # else (TERM=dumb) no key could scroll it: printed whole
                screen = TypedScreen(console, heading, panel, _typed_what(question))
            answered = _ask_typed(question, keys, console, partial(draw, panel), screen)
            if not keys.interactive:  # in a terminal: drawn with the question, see below
                for part in _typed_feedback(answered):
                    console.print(part)
        elif question.kind == "choice":
            answered = _ask_choice(question, title, keys, console, heading)
        else:
            answered = _ask_self(question, title, keys, console, draw, heading)
        paged = keys.interactive and question.kind != "self"  # remarks on the paged screen
        if question.kind != "self" and not paged:  # self-graded: shown with the answer
            said = _remarks(question)
            if said is not None:
                console.print(said)
        until_saved(
            console,
            partial(
                store.record_quiz_answer,
                session_id,
                question.card.id,
                question.kind,
                answered.correct,
                answered.given,
                question.expected or None,
                clock(),
            ),
            f"your answer to question {i} is kept and will be saved",
            f"your answer to question {i} was not saved",
            None if keys.interactive else FULL_DISK_PATIENCE_S,
            store,
        )
        answers.append(answered)
        then = "next question" if i < total else "the score"
        if paged:
            right = sum(a.correct for a in answers)
            after = Heading(at, title, f"score {c(right)}/{c(len(answers))} · seed {seed}")
            if _show_feedback(answered, title, keys, console, after, then) == "q":
                raise Quit("q")
        elif keys.interactive and question.kind != "self":  # time to read the feedback
            console.print(rf"[dim]\[Space] {then} · \[q] quit[/dim]")
            if keys.next({"reveal", "q"}) == "q":
                raise Quit("q")


def _summary(answers: list[Answered], titles: dict[str, str]) -> RenderableType:
    from rich.console import Group
    from rich.panel import Panel
    from rich.table import Table
    from rich.text import Text

    from dlcards.console import counted, out
    from dlcards.quiz import score_by_topic

    if not answers:  # quit at the first question: a score table would be empty
        nothing = Text("No question was answered, so there is no score.")
        return Panel(nothing, title="[bold]Quiz summary[/bold]", title_align="left", expand=False)
    table = Table(box=None, header_style="bold", pad_edge=False)
    table.add_column("topic")
    table.add_column("score", justify="right", no_wrap=True)
    table.add_column("", justify="right", no_wrap=True)
    for topic, (right, asked) in score_by_topic(answers).items():
        score = f"{counted(right)}/{counted(asked)}"
        table.add_row(Text(titles.get(topic, topic)), score, f"{right / asked:.0%}")
    right = sum(a.correct for a in answers)
    if answers:
        table.add_section()
        score = f"{counted(right)}/{counted(len(answers))}"
        table.add_row("total", score, f"{right / len(answers):.0%}")
    parts: list[RenderableType] = [table]
    missed = [a for a in answers if not a.correct]
    if missed:
        parts.append(Text("\nMissed:", style="bold"))
        parts.append(_missed(missed, out().width - 4))  # the panel's borders and padding
    return Panel(Group(*parts), title="[bold]Quiz summary[/bold]", title_align="left", expand=False)


MIN_PROMPT = 24
"""The fewest cells a missed question's prompt gets beside its id (and outcome); fewer, and
the outcome goes under the prompt, then the prompt under the id (`_missed`)."""


PROMPT_MOST = 100
"""The cells of a missed question's prompt in the quiz's summary (`_missed`)."""


def cut_prompt(prompt: str, most: int) -> str:
    """`prompt` in at most `most` cells, cut after a whole word (`view.shorten`). A prompt
    longer keeps its last sentence, the question a typed prompt ends with, when that takes at
    most half the room: cut from the start, "B_old = 0.1, ... B_new = −5...." lost "What is
    Z_new?", and the summary's line no longer said what was asked."""
    from rich.cells import cell_len

    from dlcards.view import shorten

    if cell_len(prompt) <= most:
        return prompt
    end = max(prompt.rfind(f"{stop} ", 0, len(prompt) - 1) for stop in ".?!:")
    last = prompt[end + 2 :] if end > 0 else ""
    if last and cell_len(last) <= most // 2:
        head = shorten(prompt[: end + 1], most - cell_len(last) - 1)
        if head:
            return f"{head} {last}"
    return shorten(prompt, most) or prompt[: most - 1] + "…"


def _missed(missed: list[Answered], width: int) -> RenderableType:
    """The missed questions in `width` cells: id, prompt and outcome side by side; on a
    narrower screen the outcome under the prompt, and on a narrow one (30 columns) the
    prompt and outcome under the id, indented. Nothing is cut but a prompt longer than 100
    cells, after a whole word: three columns at 30 cut "you said 0.123456789" to "0.12345…"."""
    from rich.cells import cell_len
    from rich.console import Group
    from rich.padding import Padding
    from rich.table import Table
    from rich.text import Text

    from dlcards.console import as_shown
    from dlcards.flowtext import flowing
    from dlcards.render import to_output
    from dlcards.view import shorten

    rows = []
    for a in missed:
        q = a.question
        prompt = " ".join(to_output(q.prompt).split())  # a plain string: its formulas spelled
        prompt = cut_prompt(prompt, PROMPT_MOST)
        if q.kind == "typed":
            said = f"you said {a.given}" if a.given is not None else "shown"
            outcome = f"→ {q.expected} ({said})"
        elif q.kind == "choice":  # the right option's words: its number alone, once the
            # options are off the screen, said nothing ("→ 2 (you picked 1)")
            right = " ".join(to_output(q.options[q.correct]).split())
            right = shorten(right, 80) or right[:79] + "…"
            outcome = f"→ {q.expected}. {right} (you picked {a.given})"
        else:
            outcome = ""
        # measured as the terminal shows it: in ASCII `→` is `->`, a cell wider, and an
        # outcome measured as written lost its last word (`-> 5.05 (you sai...`)
        rows.append((q.card.id, prompt, as_shown(outcome)))
    id_w = max(cell_len(i) for i, _, _ in rows)
    outcome_w = max(cell_len(o) for _, _, o in rows)
    if width - id_w - 4 - outcome_w >= MIN_PROMPT:  # side by side
        grid = Table.grid(padding=(0, 2))
        grid.add_column(style="cyan", no_wrap=True)
        grid.add_column(ratio=1, overflow="fold")
        grid.add_column(style="yellow", no_wrap=True)
        for i, prompt, outcome in rows:  # as written: a prompt's `x[i]` is no markup
            grid.add_row(Text(i), flowing(prompt), Text(outcome))
        return grid
    if width - id_w - 2 >= MIN_PROMPT:  # the outcome under the prompt
        grid = Table.grid(padding=(0, 2))
        grid.add_column(style="cyan", no_wrap=True)
        grid.add_column(overflow="fold")
        for i, prompt, outcome in rows:
            cell = flowing(prompt)  # its formulas kept whole: `with h` / `= 0.1` was cut
            if outcome:
                cell.append("\n" + outcome, style="yellow")
            grid.add_row(Text(i), cell)
        return grid
    lines: list[RenderableType] = []  # the prompt and outcome under the id
    for i, prompt, outcome in rows:
        lines.append(Text(i, style="cyan", overflow="fold"))
        lines.append(Padding(flowing(prompt), (0, 0, 0, 2)))
        if outcome:
            lines.append(Padding(Text(outcome, style="yellow", overflow="fold"), (0, 0, 0, 2)))
    return Group(*lines)


def _remarks(question: Question) -> RenderableType | None:
    """The card's remarks (erratum, note, references) under an answered question. A typed
    question has fresh numbers, and the remarks speak of the card's own example: they are
    introduced as such, so that "1.5 -> 3 in the example" is not read as about this one."""
    from dlcards.view import remarks

    said = remarks(question.card)
    if said is None or question.kind != "typed":
        return said
    from rich.console import Group
    from rich.text import Text

    lead = Text(
        f"What the card ({question.card.id}) says of its own example, not of these numbers:",
        style="dim",
    )
    return Group(lead, said)


SEARCH_COMMAND = "dlcards quiz --search"
"""The command a `--search` query is given to, as a line that gives it again names it."""


def picked_questions(
    catalog: Catalog,
    store: Store,
    topics: Sequence[str],
    tag: str | None,
    within: AbstractSet[str] | None,
    rng: random.Random,
    count: int,
    mode: Mode = "self",
) -> list[Question]:
    """`count` questions on the cards `catalog.select(topics, tag, within)` gives, the same
    ones `build_quiz` asks of them with the same `rng` and `mode` (distractors from every
    card), picked by id (from the deck index and the tags the last sync stored) so that only
    the decks of the picked cards are loaded: at 100,000 cards, every deck's cards are about a
    second. A choice's distractors are answers of its card's topic, which is one deck's."""
    from dlcards.quiz import pick, questions_on

    ids = catalog.ids(topics)
    if within is not None:
        ids = [cid for cid in ids if cid in within]
    if tag is not None:
        tagged = set(store.tagged(tag, topics))
        ids = [cid for cid in ids if cid in tagged]
        if not ids and not store.tagged(tag):  # a tag no card carries: the error names it
            catalog.check_tag(tag)
    templated = catalog.templated()
    chosen = catalog.cards_of(pick(ids, templated.__contains__, rng, count))
    pool: list[Card] = []
    if mode == "choice":  # each picked card's topic, in deck order as in the whole catalog
        for deck_topic in dict.fromkeys(card.topic for card in chosen):
            pool.extend(catalog.deck(deck_topic).cards)
    return questions_on(chosen, pool, rng, mode)


def quiz(
    topic: list[str] | None = TopicOption,
    tag: str | None = TagOption,
    count: int = typer.Option(10, "--count", "-n", min=1, metavar="N", help="Number of questions."),
    seed: int | None = typer.Option(
        None, "--seed", metavar="SEED", help="Random seed: the same seed asks the same questions."
    ),
    mode: str = typer.Option(
        "self",
        "--mode",
        metavar="MODE",
        help="Text cards: 'self' (reveal, then y/n) or 'choice' (pick 1-4).",
    ),
    search: str | None = SearchOption,
    decks: list[str] | None = DecksOption,
    db: str | None = DbOption,
    today: str | None = TodayOption,
) -> None:
    """Cram without touching the schedule: typed math with fresh numbers, and text cards.

    When the chosen cards have quiz templates, about half the questions are typed math. Scores
    per topic and the missed questions are shown at the end and logged; the cards' schedules
    (SM-2's or FSRS's) and due dates are not changed.
    """
    import random

    from dlcards.catalog import load_catalog
    from dlcards.commands.common import not_before_the_log, opened_store, sync_if_needed
    from dlcards.console import counted, echo, escaped, out, plural

    if mode not in MODES:
        raise UsageError(f"--mode must be self or choice, not {quoted(mode)}")
    day = today_from(today)
    if seed is not None and seed < 0:  # as `simulate` (NumPy's generators take no negative)
        raise UsageError(f"--seed must be 0 or more, not {seed}")
    if seed is None:
        seed = random.SystemRandom().randrange(1_000_000)
    console = out()
    with opened_store(db, decks=decks or ()) as store:
        day = not_before_the_log(store, day, today)
        catalog = sync_if_needed(store, decks or (), writes=True) or load_catalog(decks or ())
        topics = list(topic or ())
        within: set[str] | None = None
        if search is not None:
            from dlcards.commands.common import schedule_of, unknown_names, with_decks
            from dlcards.search import parse_words, shell_quotes_after

            catalog.check_topics(topics)  # an unknown topic first, as select says it
            query = with_decks(parse_words([search], SEARCH_COMMAND), decks or (), catalog, store)
            hits, _ = store.search(query, day, schedule_of(store).name)
            within = {hit.id for hit in hits}
            if not within:  # a topic or tag no deck has is the error `search` gives
                unknown_names(query, decks or (), catalog)
        rng = random.Random(seed)
        choice: Mode = "choice" if mode == "choice" else "self"
        questions = picked_questions(catalog, store, topics, tag, within, rng, count, choice)
        if not questions:  # why, as `study` says it (`--tag leech` with no leech said only ".")
            where = f" in {', '.join(topics)}" if topics else ""
            if search is not None and not within:
                why = f": the search '{escaped(search)}' found none."
                why += shell_quotes_after([search], SEARCH_COMMAND)
            elif tag is not None:
                found = " the search finds" if search is not None else ""
                why = f": no card{found}{where} has the tag '{escaped(tag)}'."
            else:
                why = "."
            echo(f"No cards to quiz on{why}")
            return
        titles = catalog.topic_titles()
        interactive = sys.stdin.isatty() and sys.stdout.isatty()
        keys: QuizLines | TerminalKeys = (
            TerminalKeys(console) if interactive else QuizLines(console)
        )
        typed = sum(q.kind == "typed" for q in questions)
        # first: a database that cannot be written (read-only) stops here, before a question
        session_id = store.start_session("quiz", day, clock())
        if not interactive:
            asked = plural(len(questions), "question")
            console.print(
                f"[bold]dlcards quiz[/bold] · {asked} ({counted(typed)} typed) · "
                f"seed {seed} (--seed {seed} asks the same ones again)"
            )
        answers: list[Answered] = []
        stopped, code = True, 0
        with stops_as_ctrl_c():
            try:
                with pastes_marked() if keys.interactive else nullcontext(), resizes_noted():
                    ending, code = run_until_stopped(
                        lambda: _run(
                            questions, titles, keys, console, store, session_id, answers, seed
                        ),
                        "Quiz complete.",
                    )
                stopped = False
            finally:
                patience = None if keys.interactive else FULL_DISK_PATIENCE_S
                end = partial(store.end_session, session_id, clock())
                end_saved(console, store, end, stopped, "quiz", patience, code)
            if keys.interactive:
                console.clear()
            console.print(_summary(answers, titles))
            n = len(answers)
            done = f"{ending} {plural(n, 'answer')} logged; the study schedule is unchanged."
            console.print(done)
    if code:
        raise typer.Exit(code)
