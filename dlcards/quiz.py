"""Quiz questions, answers and scores, independent of the terminal (`dlcards quiz` runs them).

Pure: randomness comes in as a `random.Random`, nothing is read or printed. Three kinds of
question:

- typed: a card with a `quiz:` template gets fresh parameters (drawn from the template's ranges
  and choices) and the engine works out the expected value, with steps to show afterwards;
- self: any other card; the answer is revealed and the learner grades themself;
- choice: any other card, with its answer and the answers of three other cards of its topic.

Typed answers are parsed without eval: integers, decimals, scientific notation (2.5e-3, or
2.5 × 10⁻³ as answers are shown, or 2.5 x 10^-3), fractions such as 1/4, powers such as 0.25^3
(or 0.25**3), a leading sign (also the Unicode minus), thousands separators, and for a vector,
numbers separated by commas or spaces, optionally in brackets.
"""

from __future__ import annotations

import math
import random
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import TYPE_CHECKING, Literal, TypeVar

from dlcards.deck import PLACEHOLDER, Card, Mistake, Quiz, Scalar
from dlcards.errors import DlcardsError, quoted

if TYPE_CHECKING:
    from dlcards.engine import Result

SIGNIFICANT = 3
"""The significant figures a typed answer is held to (the prompt says so), unless the card's
quiz sets a relative `tolerance` of its own."""
DRAW_ATTEMPTS = 50  # parameter draws tried before a template falls back to a self-graded card

Kind = Literal["typed", "self", "choice"]
Mode = Literal["self", "choice"]


class AnswerError(ValueError):
    """A typed answer that is not a number (or not the right count of numbers); ask again."""


# --- drawing parameters -----------------------------------------------------------------------


def _decimals(step: float) -> int:
    text = repr(float(step))
    if "e" in text:
        mantissa, exponent = text.split("e")
        frac = mantissa.split(".")[1].rstrip("0") if "." in mantissa else ""
        return max(0, len(frac) - int(exponent))
    frac = text.split(".")[1].rstrip("0")
    return len(frac)


def draw_value(spec: Sequence[int | float], rng: random.Random) -> int | float:
    """One value of a range [low, high, step]: a whole number of steps above low."""
    low, high, step = spec
    count = int(round((high - low) / step))
    k = rng.randint(0, count)
    if isinstance(low, int) and isinstance(step, int):
        return low + k * step
    value = round(low + k * step, _decimals(step))
    return 0.0 if value == 0 else value  # never -0.0


def draw_params(quiz: Quiz, rng: random.Random) -> dict[str, Scalar]:
    """Fresh values for every parameter, in template order (so a seed gives the same draw)."""
    values: dict[str, Scalar] = {}
    for name in quiz.names:
        if name in quiz.ranges:
            values[name] = draw_value(quiz.ranges[name], rng)
        else:
            values[name] = rng.choice(list(quiz.params[name]))
    return values


def show(value: object) -> str:
    """A drawn value or an answer as the learner reads it, in the engine's one display format:
    `3`, `0.35`, `−1.5`, `5,000`, `9.537 × 10⁻⁷`; a whole float without `.0`; text as written."""
    from dlcards.engine import fmt

    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return fmt(int(value))
    return fmt(value)


def fill(template: str, values: Mapping[str, Scalar]) -> str:
    """Replace `{name}` by the drawn value; nothing else in the text is interpreted."""
    return PLACEHOLDER.sub(lambda m: show(values[m.group(1)]), template)


def _substitute(item: object, values: Mapping[str, Scalar]) -> object:
    from dlcards.engine import plain

    if isinstance(item, str):
        whole = PLACEHOLDER.fullmatch(item.strip())
        if whole:
            return values[whole.group(1)]
        # Inside a longer argument text the engine parses: the spelling it reads back.
        return PLACEHOLDER.sub(lambda m: plain(values[m.group(1)]), item)
    return item


def engine_args(card: Card, values: Mapping[str, Scalar]) -> dict[str, object]:
    """The arguments for the answer's computation: block args, matching params, quiz args."""
    from dlcards import engine

    assert card.quiz is not None
    block = card.compute[card.quiz.answer]
    comp = engine.get(block.fn)
    args: dict[str, object] = dict(block.args)
    for name, value in values.items():
        if comp.param(name) is not None:
            args[name] = value
    for key, raw in card.quiz.args.items():
        if isinstance(raw, list):
            args[key] = [_substitute(item, values) for item in raw]
        else:
            args[key] = _substitute(raw, values)
    return args


def mistake_args(card: Card, values: Mapping[str, Scalar], mistake: Mistake) -> dict[str, object]:
    """The arguments of the answer's computation that give `mistake` (`Quiz.mistakes`): the
    answer's, with the mistake's put in; a value written as arithmetic on drawn parameters
    (`-{grad}`, `{lam}/2`, `4*{g1}`) worked out. ValueError for one that is not."""
    args = engine_args(card, values)
    for key, raw in mistake.args.items():
        items = raw if isinstance(raw, list) else [raw]
        worked = [_worked(item, values) for item in items]
        args[key] = worked if isinstance(raw, list) else worked[0]
    return args


def _worked(item: object, values: Mapping[str, Scalar]) -> object:
    if not isinstance(item, str):
        return item
    whole = PLACEHOLDER.fullmatch(item.strip())
    if whole:
        return values[whole.group(1)]
    if not PLACEHOLDER.search(item):
        return item  # a word: a choice of the computation
    text = PLACEHOLDER.sub(lambda m: f"({values[m.group(1)]!r})", item)
    return _arithmetic(text)


def _arithmetic(text: str) -> float:
    """`text`, numbers with + − × ÷ and parentheses, worked out; ValueError for anything else
    (no names, no calls: this is not eval)."""
    import ast
    import operator

    ops: dict[type, Callable[..., float]] = {
        ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul,
        ast.Div: operator.truediv, ast.USub: operator.neg, ast.UAdd: operator.pos,
    }  # fmt: skip

    def work(node: ast.AST) -> float:
        if isinstance(node, ast.Constant) and isinstance(node.value, int | float):
            if isinstance(node.value, bool):
                raise ValueError(f"not arithmetic: {text}")
            return float(node.value)
        if isinstance(node, ast.UnaryOp) and type(node.op) in ops:
            return ops[type(node.op)](work(node.operand))
        if isinstance(node, ast.BinOp) and type(node.op) in ops:
            return ops[type(node.op)](work(node.left), work(node.right))
        raise ValueError(f"not arithmetic: {text}")

    try:
        return work(ast.parse(text.strip(), mode="eval").body)
    except (SyntaxError, ZeroDivisionError) as err:
        raise ValueError(f"not arithmetic: {text}") from err


def taken_for_a_mistake(card: Card, values: Mapping[str, Scalar], result: Result) -> Mistake | None:
    """The first of the quiz's mistakes whose answer would be marked right for this draw
    (its answer within the quiz's tolerance of `result`'s), or None. A mistake that cannot be
    computed for the draw is none (`template_problems` reports one that never can)."""
    return _first_taken(card, _mistake_answers(card, values), result)


def _mistake_answers(card: Card, values: Mapping[str, Scalar]) -> list[tuple[Mistake, object]]:
    """Each of the quiz's mistakes with what it answers for this draw: the engine's value, or
    the error (DlcardsError or ValueError) when it cannot be computed."""
    from dlcards import engine

    assert card.quiz is not None
    block = card.compute[card.quiz.answer]
    out: list[tuple[Mistake, object]] = []
    for mistake in card.quiz.mistakes:
        try:
            args = mistake_args(card, values, mistake)
            out.append((mistake, engine.run(block.fn, args, block.symbols).value))
        except (DlcardsError, ValueError) as err:
            out.append((mistake, err))
    return out


def _first_taken(
    card: Card, answers: Sequence[tuple[Mistake, object]], result: Result
) -> Mistake | None:
    """`taken_for_a_mistake` of the mistakes' answers (`_mistake_answers`)."""
    assert card.quiz is not None
    for mistake, wrong in answers:
        if isinstance(wrong, Exception) or not _answerable(wrong):
            continue
        given = [float(v) for v in (wrong if isinstance(wrong, list) else [wrong])]  # type: ignore[arg-type]
        if is_correct(given, result.value, card.quiz.tolerance):
            return mistake
    return None


def unused_params(card: Card) -> list[str]:
    """Template parameters that never reach the computation (a deck mistake `check` reports)."""
    from dlcards import engine

    assert card.quiz is not None
    comp = engine.get(card.compute[card.quiz.answer].fn)
    referenced: set[str] = set()
    for raw in card.quiz.args.values():
        for item in raw if isinstance(raw, list) else [raw]:
            if isinstance(item, str):
                referenced.update(PLACEHOLDER.findall(item))
    return [n for n in card.quiz.names if comp.param(n) is None and n not in referenced]


_TEMPLATE_PROBLEMS: dict[tuple[str, int], list[str]] = {}
"""`template_problems` by the card's whole value (its repr: every field, exactly) and draws: a
pure function of them, worked out once per process (`check` asks for all 51 templates, 0.25 s;
a process that checks the decks again, as `add` and `edit` do after each save, asks again)."""


def template_problems(card: Card, draws: int = 25) -> list[str]:
    """What is wrong with the card's quiz template, from `draws` seeded draws (empty if fine)."""
    if card.quiz is None:
        return []
    key = (repr(card), draws)
    if key not in _TEMPLATE_PROBLEMS:
        _TEMPLATE_PROBLEMS[key] = _template_problems(card, draws)
    return list(_TEMPLATE_PROBLEMS[key])


def _template_problems(card: Card, draws: int) -> list[str]:
    from dlcards import engine

    assert card.quiz is not None
    try:
        block = card.compute[card.quiz.answer]
        engine.get(block.fn)
    except (IndexError, DlcardsError) as err:
        return [f"quiz answer block: {err}"]
    problems = [
        f"quiz parameter '{name}' never reaches {block.fn}; name it after one of its "
        "parameters or use it in the quiz's args"
        for name in unused_params(card)
    ]
    taken: dict[str, int] = {}
    failed: dict[str, str] = {}
    trivial = unchanged = posed = 0
    degenerate: str | None = None
    for seed in range(draws):
        values = draw_params(card.quiz, random.Random(seed))
        args = engine_args(card, values)
        try:
            result = engine.run(block.fn, args, block.symbols)
        except DlcardsError as err:
            shown = ", ".join(f"{k}={show(v)}" for k, v in values.items())
            problems.append(f"quiz draw {shown}: {err}")
            break
        if not _answerable(result.value):
            problems.append(f"quiz answers must be numbers; {block.fn} gives {result.display}")
            break
        reason = ill_posed(result)
        if reason is not None:  # never asked (`typed_question`): nothing to count
            degenerate = degenerate or reason
            continue
        posed += 1
        trivial += trivial_answer(result.value, values)
        unchanged += unchanged_answer(result.value, args)
        answers = _mistake_answers(card, values)  # each computed once a draw
        for mistake, answer in answers:
            if isinstance(answer, Exception):
                failed.setdefault(mistake.label, str(answer))
            else:
                failed[mistake.label] = ""
        wrong = _first_taken(card, answers, result)
        if wrong is not None:
            taken[wrong.label] = taken.get(wrong.label, 0) + 1
    problems += [
        f"quiz mistake '{label}' cannot be computed: {err}" for label, err in failed.items() if err
    ]
    if degenerate is not None and posed == 0:  # no question at all: self-graded every time
        problems.append(
            f"quiz: all {draws} draws ask a degenerate question ({degenerate}); choose ranges "
            "that reach others"
        )
    if posed and trivial == posed and card.quiz.trivial_share < 1:  # only fallbacks to ask
        problems.append(
            f"quiz: all {posed} draws have a trivial answer (0 or one of the drawn numbers); "
            "choose ranges whose answer needs working out, or set trivial_share: 1"
        )
    share = card.quiz.unchanged_share
    if posed and share is not None and 0 < share < 1 and unchanged in (0, posed):
        problems.append(
            f"quiz: {'none' if unchanged == 0 else 'all'} of {posed} draws leave a given vector "
            f"unchanged, so unchanged_share: {share:g} cannot be kept; choose ranges that "
            "reach both cases"
        )
    if sum(taken.values()) > posed // 2:  # most questions would be drawn again and again
        said = ", ".join(f"'{label}' {n}" for label, n in taken.items())
        problems.append(
            f"quiz: {sum(taken.values())} of {posed} draws would mark a mistake right ({said}); "
            "choose parameters whose answer tells it apart"
        )
    return problems


# --- questions --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Question:
    card: Card
    kind: Kind
    prompt: str  # typed: the filled template; otherwise the card's question
    params: Mapping[str, Scalar] = field(default_factory=dict)
    result: Result | None = None  # typed: the engine's answer and steps
    options: tuple[str, ...] = ()  # choice: answers to pick from
    correct: int = -1  # choice: index of the card's own answer in options
    tolerance: float | None = None  # the quiz's own (relative); None: SIGNIFICANT figures

    @property
    def expected(self) -> str:
        """What the right answer is, as logged and shown: a number, or the option's key."""
        if self.kind == "typed" and self.result is not None:
            return show(self.result.value)
        if self.kind == "choice":
            return str(self.correct + 1)
        return ""

    @property
    def needs_integer(self) -> bool:
        return self.result is not None and isinstance(self.result.value, int)


def typed_question(card: Card, rng: random.Random) -> Question | None:
    """A fresh variant of the card's template, or None if no draw gives a valid computation.

    A draw whose answer is trivial (`trivial_answer`: 0, or a number the question gives) is
    drawn again, unless this question is one of the quiz's `trivial_share` (decided by one
    draw of `rng` first, so a seed still gives the same quiz): a learner who types 0, or the
    number in front of them, is not right for long. A card with an `unchanged_share` asks the
    unchanged case (`unchanged_answer`) in that share of its questions, decided by a draw of
    `rng` too, and draws again until the answer is of the case decided. After DRAW_ATTEMPTS
    draws the first is asked rather than none. A draw whose question is degenerate
    (`ill_posed`) is never asked."""
    from dlcards import engine

    quiz = card.quiz
    if quiz is None or not card.compute:
        return None
    block = card.compute[quiz.answer]
    share = quiz.trivial_share
    keep_trivial = share >= 1 or (share > 0 and rng.random() < share)
    # which case this question asks, when the card says how often w may stay as it is
    unchanged = None if quiz.unchanged_share is None else rng.random() < quiz.unchanged_share
    fallback: Question | None = None
    for _ in range(DRAW_ATTEMPTS):
        values = draw_params(quiz, rng)
        args = engine_args(card, values)
        try:
            result = engine.run(block.fn, args, block.symbols)
        except DlcardsError:
            continue
        if not _answerable(result.value):
            return None
        if ill_posed(result) is not None:
            continue  # degenerate whatever its answer: never asked, not even as the fallback
        if taken_for_a_mistake(card, values, result) is not None:
            continue  # a common mistake would be marked right: other numbers
        question = Question(
            card=card,
            kind="typed",
            prompt=fill(quiz.template, values),
            params=values,
            result=result,
            tolerance=quiz.tolerance,
        )
        if not keep_trivial and trivial_answer(result.value, values):
            fallback = fallback or question
            continue  # 0, or a number the question gives: other numbers
        if unchanged is not None and unchanged_answer(result.value, args) != unchanged:
            fallback = fallback or question
            continue  # the other case (w changed, or not) than this question asks
        return question
    return fallback


def ill_posed(result: Result) -> str | None:
    """Why the question a draw makes is degenerate whatever its answer, or None: each parameter
    is drawn from its own range, and some draws no range can leave out without leaving out
    good ones too (x1 = 0 and x2 = 0 are each fine, x = [0, 0] is not).

    - a perceptron step on x = [0, 0]: w + η·y·0 is w whatever the label, so the question
      shows no rule (and counted as a point already correct, `unchanged_share`, it is not);
    - the perceptron loss's subgradient at x = [0, 0], [0, 0] on either side, or on the
      boundary, y·(w·x + b) = 0: the loss's kink, where every vector from [0, 0] to −y·x is a
      subgradient (as ReLU′ and d|e|/de are never asked at 0);
    - a dataset with a point twice: one example counted twice, or one point with both labels.

    `result.args` are the computation's arguments as bound, each number read as the decimal
    the learner reads (0.1 is 1/10), so that a margin that is 0 is 0."""
    rule = _ILL_POSED.get(result.name)
    return None if rule is None else rule(result.args)


def _exact(values: object) -> list[Fraction]:
    from dlcards.engine.core import decimal

    assert isinstance(values, list)
    return [decimal(v) for v in values]


def _zeros(count: int) -> str:
    return "[" + ", ".join(["0"] * count) + "]"


def _step_on_origin(args: Mapping[str, object]) -> str | None:
    x = _exact(args["x"])
    return None if any(x) else f"x = {_zeros(len(x))}: w + η·y·x is w whatever the label"


def _subgradient_at_a_kink(args: Mapping[str, object]) -> str | None:
    from dlcards.engine.core import decimal

    w, x = _exact(args["w"]), _exact(args["x"])
    if not any(x):
        return f"x = {_zeros(len(x))}: ∂L/∂w is {_zeros(len(x))} on either side"
    b, y = args["b"], args["y"]
    assert isinstance(b, int | float) and isinstance(y, int | float)
    if sum((wi * xi for wi, xi in zip(w, x, strict=True)), decimal(b)) * decimal(y) == 0:
        return "the point is on the boundary, the loss's kink: no one subgradient"
    return None


def _a_point_twice(args: Mapping[str, object]) -> str | None:
    xs, d = _exact(args["xs"]), len(_exact(args["w"]))
    points = [tuple(xs[i : i + d]) for i in range(0, len(xs), d)]
    return None if len(set(points)) == len(points) else "a point twice in the dataset"


_ILL_POSED: dict[str, Callable[[Mapping[str, object]], str | None]] = {
    "perceptron_update": _step_on_origin,
    "perceptron_subgradient": _subgradient_at_a_kink,
    "perceptron_total_loss": _a_point_twice,
}


def unchanged_answer(value: object, args: Mapping[str, object]) -> bool:
    """Whether a vector answer is one of the vectors the question gives, unchanged (the
    perceptron's w on a point it already classifies correctly: no update)."""
    if not isinstance(value, list) or not value:
        return False
    return any(isinstance(arg, list) and arg == value for arg in args.values())


def trivial_answer(value: object, values: Mapping[str, Scalar]) -> bool:
    """Whether an answer needs no working out: 0 (a vector: all 0), or a number equal to one
    of the drawn `values` (x·1, the mean of equal losses, a median that does not move...)."""
    if isinstance(value, list):
        return bool(value) and all(v == 0 for v in value)
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    given = (v for v in values.values() if isinstance(v, int | float) and not isinstance(v, bool))
    return value == 0 or any(value == v for v in given)


def _answerable(value: object) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, int | float):
        return True
    return isinstance(value, list) and bool(value)


def choice_question(card: Card, pool: Sequence[Card], rng: random.Random) -> Question | None:
    """The card's answer among up to three answers of other cards of its topic (None if none),
    never one of a card that answers the same question (`same_question`, either way round):
    that answer would be right too, and marked wrong. None for a card with an erratum: its
    answer is the source's mistake, which a choice would mark right (it is self-graded, its
    erratum shown with the answer)."""
    if card.erratum:
        return None
    seen = {card.answer.strip()}
    others: list[Card] = []
    for other in pool:
        text = other.answer.strip()
        if (
            other.topic == card.topic
            and other.id != card.id
            and text not in seen
            and other.id not in card.same_question
            and card.id not in other.same_question
        ):
            seen.add(text)
            others.append(other)
    if not others:
        return None
    picked = rng.sample(others, k=min(3, len(others)))
    options = [card.answer, *(o.answer for o in picked)]
    order = list(range(len(options)))
    rng.shuffle(order)
    return Question(
        card=card,
        kind="choice",
        prompt=card.question,
        options=tuple(options[i] for i in order),
        correct=order.index(0),
    )


T = TypeVar("T")


def pick(
    items: Sequence[T], templated: Callable[[T], bool], rng: random.Random, count: int
) -> list[T]:
    """`count` different items in random order, half of them (when there are enough) those
    `templated` says have a quiz template, so a quiz mixes worked numbers with recall whatever
    the topic. Items are cards or their ids: the same order and `rng` pick the same ones."""
    with_template = [item for item in items if templated(item)]
    others = [item for item in items if not templated(item)]
    count = min(count, len(items))
    n_typed = min(len(with_template), max(count - len(others), (count + 1) // 2))
    chosen = rng.sample(with_template, k=n_typed) + rng.sample(others, k=count - n_typed)
    rng.shuffle(chosen)
    return chosen


def pick_cards(cards: Sequence[Card], rng: random.Random, count: int) -> list[Card]:
    """`pick` on cards."""
    return pick(cards, lambda card: card.quiz is not None, rng, count)


def questions_on(
    cards: Sequence[Card], pool: Sequence[Card], rng: random.Random, mode: Mode = "self"
) -> list[Question]:
    """A question on each of `cards`, in order: cards with a quiz template become typed
    questions; the others are self-graded, or multiple choice with `mode="choice"`
    (distractors from `pool`, usually all the cards)."""
    questions: list[Question] = []
    for card in cards:
        question = typed_question(card, rng) if card.quiz else None
        if question is None and mode == "choice":
            question = choice_question(card, pool, rng)
        if question is None:
            question = Question(card=card, kind="self", prompt=card.question)
        questions.append(question)
    return questions


def build_quiz(
    cards: Sequence[Card],
    pool: Sequence[Card],
    rng: random.Random,
    count: int,
    mode: Mode = "self",
) -> list[Question]:
    """`count` questions on different cards from `cards` (`pick_cards`, `questions_on`)."""
    return questions_on(pick_cards(cards, rng, count), pool, rng, mode)


# --- answers ------------------------------------------------------------------------------------

_NUMBER = r"(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?"
_SCALAR = re.compile(rf"^([+-]?)({_NUMBER})(?:/([+-]?{_NUMBER})|\^([+-]?\d+))?$", re.ASCII)
# a signed number raised to a power, in brackets: (−3)^2 is 9, where −3^2 is −9
_BRACKETED_POWER = re.compile(rf"^\(([+-]?{_NUMBER})\)\^([+-]?\d+)$", re.ASCII)
# a signed number in brackets where a learner writes one: (−3)/4, 3/(−4), 2^(−2)
_BRACKETED = (
    re.compile(rf"^\(([+-]?{_NUMBER})\)(?=/)", re.ASCII),
    re.compile(rf"(?<=/)\(([+-]?{_NUMBER})\)$", re.ASCII),
    re.compile(r"(?<=\^)\(([+-]?\d+)\)$", re.ASCII),
)
# thousands separators: 5,000 and 1,000.5; not 0,625 (a decimal comma: no group starts "0")
_GROUPED = re.compile(r"^([+-]?)([1-9]\d{0,2}(?:,\d{3})+(?:\.\d+)?)$", re.ASCII)
_DECIMAL_COMMA = re.compile(r"^[+-]?\d+,\d+$", re.ASCII)
# one group of three after one comma: 4,875 is 4875 to some learners and 4.875 to others
_EITHER_COMMA = re.compile(r"^[+-]?[1-9]\d{0,2},\d{3}$", re.ASCII)
_EXPONENT = re.compile(r"[eE]([+-]?\d+)", re.ASCII)
_APPROX = ("≈", "~", "=")
_TIMES_TEN = re.compile(
    r"^([+-]?(?:\d+(?:\.\d*)?|\.\d+))\s*[×xX*·]\s*10\s*(?:\^|\*\*)\s*([+-]?\d{1,3})$",
    re.ASCII,
)
_FROM_SUPERSCRIPT = str.maketrans({**{c: str(i) for i, c in enumerate("⁰¹²³⁴⁵⁶⁷⁸⁹")}, "⁻": "-"})
_SUPERSCRIPT_POWER = re.compile(r"(?<=10)\s*([⁻]?[⁰¹²³⁴⁵⁶⁷⁸⁹]+)$")
MAX_ANSWER = 200  # characters
MAX_EXPONENT = 400  # beyond float range anyway; keeps Fraction from building huge integers


def _clean(text: str) -> str:
    text = text.strip().replace("\u2212", "-").replace("\u2013", "-")
    while text[:1] in _APPROX:
        text = text[1:].strip()
    return text


def parse_number(text: str) -> float:
    """One number: `3`, `-0.25`, `2.5e-3`, `2.5 × 10⁻³`, `1/4`, `0.25^3`, `−1`, `5,000`.

    Raises AnswerError."""
    cleaned = _clean(text)
    if not cleaned:
        raise AnswerError("type a number")
    if len(cleaned) > MAX_ANSWER:
        raise AnswerError("that answer is too long to be a number")
    cleaned = _SUPERSCRIPT_POWER.sub(
        lambda m: "^" + m.group(1).translate(_FROM_SUPERSCRIPT), cleaned
    )
    from dlcards.numerals import DIGITS_LINE, NotAsciiDigits, ascii_number

    try:  # the digits `calc` reads: 0-9 once NFKC-normalised, `_` grouping them
        cleaned = _clean(ascii_number(cleaned))
    except NotAsciiDigits:
        shown = quoted(text.strip())
        raise AnswerError(f"{shown} has digits other than 0-9; {DIGITS_LINE}") from None
    times_ten = _TIMES_TEN.match(cleaned)
    if times_ten:  # 9.5 × 10⁻⁷, 9.5 x 10^-7, 9.5*10**-7: as the answers are shown
        cleaned = f"{times_ten.group(1)}e{times_ten.group(2)}"
    grouped = _GROUPED.match(cleaned)
    if grouped:
        cleaned = grouped.group(1) + grouped.group(2).replace(",", "")
    cleaned = cleaned.replace("**", "^")
    if "/" in cleaned or "^" in cleaned:
        cleaned = cleaned.replace(" ", "")
        for bracketed in _BRACKETED:
            cleaned = bracketed.sub(r"\1", cleaned)
    match = _SCALAR.match(cleaned)
    shown = quoted(text.strip())
    raised = _BRACKETED_POWER.match(cleaned)
    if raised is not None:  # (−3)^2: the sign inside the power
        base, exponent = raised.groups()
        if any(abs(int(e)) > MAX_EXPONENT for e in [exponent, *_EXPONENT.findall(base)]):
            raise AnswerError(f"{shown} is too large or too small")
        try:
            value = float(base) ** int(exponent)
        except ZeroDivisionError:
            raise AnswerError(f"{shown} divides by zero") from None
        except OverflowError:
            raise AnswerError(f"{shown} is too large") from None
        if not math.isfinite(value):
            raise AnswerError(f"{shown} is too large")
        return value
    if not match and _DECIMAL_COMMA.match(cleaned):
        point = cleaned.replace(",", ".")
        raise AnswerError(f"{shown}: write the decimal point as a point ({point})")
    if not match:
        raise AnswerError(f"{shown} is not a number; write e.g. 0.25, 1/4, 2.5e-3, 0.5^3 or -3")
    sign, num, den, power = match.groups()
    if any(abs(int(e)) > MAX_EXPONENT for e in _EXPONENT.findall(cleaned)):
        raise AnswerError(f"{shown} is too large or too small")
    try:
        if den is not None:
            value = float(Fraction(num) / Fraction(den))
        elif power is not None:
            value = float(num) ** int(power)
        else:
            value = float(num)
    except ZeroDivisionError:
        raise AnswerError(f"{shown} divides by zero") from None
    except (OverflowError, ValueError):
        raise AnswerError(f"{shown} is too large") from None
    if not math.isfinite(value):
        raise AnswerError(f"{shown} is too large")
    return -value if sign == "-" else value


def parse_answer(text: str, size: int = 1) -> list[float]:
    """`size` numbers from the learner's text (1 for a scalar answer). Raises AnswerError."""
    cleaned = _clean(text)
    if size == 1:
        return [parse_number(cleaned)]
    if cleaned[:1] in "[(" and cleaned[-1:] in "])":
        cleaned = cleaned[1:-1]
    pieces = [p for p in re.split(r"[,;\s]+", cleaned.strip()) if p]
    if len(pieces) != size:
        raise AnswerError(
            f"type {size} numbers separated by commas, e.g. "
            + ", ".join(["0.5", "-1", "2", "0.1", "3"][:size])
        )
    return [parse_number(p) for p in pieces]


def answer_size(question: Question) -> int:
    if question.result is not None and isinstance(question.result.value, list):
        return len(question.result.value)
    return 1


def _figure(value: float) -> float:
    """One unit in the SIGNIFICANT-th significant figure of `value` (not 0): 0.001 for 0.977."""
    return float(10.0 ** (math.floor(math.log10(abs(value))) - (SIGNIFICANT - 1)))


def is_correct(given: Sequence[float], expected: object, tolerance: float | None = None) -> bool:
    """Whether the parsed answer matches the engine's value.

    Integers must match exactly. Floats to SIGNIFICANT figures: within one unit of the value
    rounded to them (σ(3.75) = 0.977023: 0.976 to 0.978, as a rounded step on the way may
    move it; 0.975 and 0.968 are wrong), each entry of a vector so, where an entry under a
    ten-thousandth of the largest entry's power of ten (10⁻⁵ when the largest is 0.99) may be
    given as 0. With a `tolerance` (a quiz's own):
    within it, relative (for a vector, to its largest entry).
    """
    if isinstance(expected, bool):
        return False
    if isinstance(expected, int):
        return len(given) == 1 and given[0] == expected
    if isinstance(expected, float):
        values = [expected]
    elif isinstance(expected, list) and all(
        isinstance(e, int | float) and not isinstance(e, bool) for e in expected
    ):
        values = [float(e) for e in expected]
    else:
        return False
    if len(given) != len(values):
        return False
    scale = max((abs(v) for v in values), default=0.0)
    if tolerance is not None:
        return all(
            math.isclose(g, e, rel_tol=tolerance, abs_tol=max(tolerance * scale, 1e-12))
            for g, e in zip(given, values, strict=True)
        )
    floor = _figure(scale) / 100 if scale else 1e-12
    # one unit either side of the value rounded to SIGNIFICANT figures, which is itself up to
    # half a unit from the exact one: 1.5 units from it (σ(3.75) = 0.977023: 0.976 to 0.978)
    return all(
        abs(g - e) <= max(1.5 * _figure(e) if e else 0.0, floor) * (1 + 1e-9)
        for g, e in zip(given, values, strict=True)
    )


def check_typed(question: Question, text: str) -> tuple[bool, list[float]]:
    """Parse and check a typed answer. Raises AnswerError if it cannot be parsed."""
    assert question.result is not None
    given = parse_answer(text, answer_size(question))
    correct = is_correct(given, question.result.value, question.tolerance)
    cleaned = _clean(text)
    if not correct and _EITHER_COMMA.match(cleaned):
        # 4,875 for 4.875 (a decimal comma) was read as 4875 and marked wrong: a reading
        # that would be right is not graded wrong; the learner is asked which was meant
        point = cleaned.replace(",", ".")
        if is_correct([float(point)], question.result.value, question.tolerance):
            raise AnswerError(
                f"{quoted(text.strip())}: write the decimal point as a point ({point}), "
                f"thousands without a comma ({cleaned.replace(',', '')})"
            )
    return correct, given


# --- scores -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Answered:
    question: Question
    correct: bool
    given: str | None


def score_by_topic(answers: Sequence[Answered]) -> dict[str, tuple[int, int]]:
    """topic -> (correct, asked), topics in the order they were first asked."""
    scores: dict[str, tuple[int, int]] = {}
    for a in answers:
        right, asked = scores.get(a.question.card.topic, (0, 0))
        scores[a.question.card.topic] = (right + int(a.correct), asked + 1)
    return scores
