"""What a quiz template's draws ask: a question that is what the card asks, graded fairly.

A mini-batch question never draws a batch as large as the dataset (that is batch gradient
descent, and its steps say so beside a prompt that says mini-batch), nor a perceptron question
about a point's side of the boundary w = [0, 0] (which has none).

Every question the quiz asks (`typed_question`: QUESTIONS of each template) is worth asking
by the property of its computation's family, written here: no input x = [0, 0] for a
perceptron step (it moves no w, whatever the label), no point twice in a dataset, no
derivative asked at a kink, no tie where "how many times larger" is asked, no probability of
0 or 1 under a log; and the numbers the prompt shows give the expected answer.

A learner who rounds on the way as a teacher asks is graded right.

The quiz holds a typed answer to 3 significant figures (`dlcards.quiz.is_correct`). A learner
who carries one guard digit, every intermediate value to 4 significant figures, and gives the
result to 3 must be marked right on every draw of every template whose answer takes more than
one step. The learners below work each template out with the math module, not with the
engine, from the numbers as the prompt shows them; every draw of a template's ranges and
choices is tried (its grid), or, for a grid of more than MAX_GRID draws, MAX_GRID seeded draws
of it."""

from __future__ import annotations

import itertools
import math
import random
import re
from collections.abc import Callable, Iterator, Mapping
from fractions import Fraction

import pytest

from dlcards.catalog import load_catalog
from dlcards.deck import Card, Scalar, parse_deck
from dlcards.quiz import Question, draw_params, engine_args, is_correct, show, typed_question

pytestmark = pytest.mark.no_files

MAX_GRID = 3000
GUARD = 4  # significant figures a learner keeps on the way (one more than the answer's 3)
ANSWER = 3


def r(x: float, figures: int = GUARD) -> float:
    """`x` rounded to `figures` significant figures, as a learner writes it down."""
    if x == 0 or not math.isfinite(x):
        return x
    return round(x, figures - 1 - math.floor(math.log10(abs(x))))


def floats(text: object) -> list[float]:
    return [float(v) for v in str(text).split(",")]


_SHOWN = re.compile(r"^(−?[\d,]+(?:\.\d+)?)(?: × 10([⁻]?[⁰¹²³⁴⁵⁶⁷⁸⁹]+))?$")
_SUPERSCRIPTS = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹⁻", "0123456789-")


def read(shown: str) -> float:
    """A number as the prompt shows it (`−1.5`, `5,000`, `9.537 × 10⁻⁷`), read as a learner
    reads it: written here, not with the quiz's own parser."""
    match = _SHOWN.match(shown)
    assert match, f"not a number as the quiz shows one: {shown!r}"
    mantissa = float(match.group(1).replace("−", "-").replace(",", ""))
    power = match.group(2)
    return mantissa * 10.0 ** int(power.translate(_SUPERSCRIPTS)) if power else mantissa


def displayed(values: Mapping[str, Scalar]) -> dict[str, Scalar]:
    """The drawn values as the prompt shows them to the learner (`quiz.show`), read back; a
    choice of words or of a list of numbers is shown as written."""
    shown: dict[str, Scalar] = {}
    for name, value in values.items():
        if isinstance(value, str):
            shown[name] = value
        else:
            number = read(show(value))
            shown[name] = int(number) if isinstance(value, int) and number.is_integer() else number
    return shown


Values = Mapping[str, Scalar]


def tanh_or_sigmoid_slope(v: Values) -> float:
    z = float(v["z"])
    if v["activation"] == "tanh":
        t = r(math.tanh(z))
        return 1 - r(t * t)
    s = r(1 / (1 + r(math.exp(-z))))
    return r(s * r(1 - s))


def sigmoid(v: Values) -> float:
    z = float(v["z"])
    return 1 / r(1 + r(math.exp(-z)))


def signed_distance(v: Values) -> float:
    w1, w2, b = float(v["w1"]), float(v["w2"]), float(v["b"])
    margin = float(v["y"]) * (w1 * float(v["x1"]) + w2 * float(v["x2"]) + b)  # exact: halves
    return margin / r(math.sqrt(w1 * w1 + w2 * w2))


def rmse(v: Values) -> float:
    squares = sum(float(v[k]) ** 2 for k in ("e1", "e2", "e3"))
    return math.sqrt(r(squares / 3))


def bce(v: Values) -> float:
    y, p = float(v["y"]), float(v["p"])
    pos = r(y * r(math.log(p))) if y > 0 else 0.0
    neg = r((1 - y) * r(math.log(1 - p))) if y < 1 else 0.0
    return -(pos + neg)


def cce(v: Values) -> float:
    return -math.log(floats(v["probs"])[int(v["target"])])


def softmax(v: Values) -> list[float]:
    z = [float(v[k]) for k in ("z1", "z2", "z3")]
    exps = [r(math.exp(x - max(z))) for x in z]
    total = r(sum(exps))
    return [e / total for e in exps]


def objective(v: Values) -> float:
    cost = r(sum(float(v[k]) for k in ("l1", "l2", "l3")) / 3)
    return cost + float(v["lam"]) * (float(v["w1"]) ** 2 + float(v["w2"]) ** 2)


def relative_error(v: Values) -> float:
    x, h = float(v["x"]), float(v["h"])
    numeric = r(((x + h) ** 3 - (x - h) ** 3) / (2 * h))
    analytic = 3 * x * x
    return abs(analytic - numeric) / max(abs(analytic), abs(numeric))


def mean_shift(v: Values) -> float:
    values = [float(v[f"v{i}"]) for i in range(1, 6)]
    return r((sum(values) + float(v["outlier"])) / 6) - sum(values) / 5


def central_difference(v: Values) -> float:
    x, h = float(v["x"]), float(v["h"])
    return (r((x + h) ** 3) - r((x - h) ** 3)) / (2 * h)  # each cube written down


def squared_ratio(v: Values) -> float:
    return r(float(v["error"]) / float(v["base"])) ** 2


def product_of(factor: float, count: int) -> float:
    """factor·factor·... `count` times, a product written down after each multiplication."""
    product = 1.0
    for _ in range(count):
        product = r(product * factor)
    return product


LEARNERS: dict[str, Callable[[Values], float | list[float]]] = {
    "vgp-3": tanh_or_sigmoid_slope,
    "mlp-6": sigmoid,
    "perceptron-21": signed_distance,
    "robust-14": rmse,
    "bce-18": bce,
    "bce-22": bce,
    "cce-28": cce,
    "cce-24": softmax,
    "loss-ig2": objective,
    "backprop-24": relative_error,
    "robust-i8": mean_shift,
    "backprop-39": central_difference,
    "robust-i4": squared_ratio,
    "vgp-1": lambda v: product_of(0.25, int(v["layers"])),
    "vgp-10": lambda v: product_of(float(v["f"]), 10),
}


def grid(card: Card, limit: int | None = MAX_GRID) -> Iterator[dict[str, Scalar]]:
    """Every draw the template can make (each range's every step, each choice), or `limit`
    of them drawn as the quiz draws them when there are more."""
    quiz = card.quiz
    assert quiz is not None
    axes: list[list[Scalar]] = []
    for name in quiz.names:
        if name in quiz.ranges:
            low, high, step = quiz.ranges[name]
            count = int(round((high - low) / step))
            axes.append([round(low + k * step, 10) for k in range(count + 1)])
        else:
            axes.append(list(quiz.params[name]))
    if limit is not None and math.prod(len(axis) for axis in axes) > limit:
        rng = random.Random(0)
        for _ in range(limit):
            yield draw_params(quiz, rng)
        return
    for combo in itertools.product(*axes):
        yield dict(zip(quiz.names, combo, strict=True))


@pytest.fixture(scope="module")
def cards() -> dict[str, Card]:
    return load_catalog(use_cache=False).by_id()


@pytest.mark.parametrize("card_id", sorted(LEARNERS))
def test_a_learner_carrying_a_guard_digit_is_graded_right(
    cards: dict[str, Card], card_id: str
) -> None:
    from dlcards import engine

    card = cards[card_id]
    assert card.quiz is not None
    block = card.compute[card.quiz.answer]
    learner = LEARNERS[card_id]
    wrong = []
    draws = 0
    for values in grid(card):
        try:
            expected = engine.run(block.fn, engine_args(card, values), block.symbols).value
        except Exception:  # a draw the quiz would not ask (it draws again)
            continue
        draws += 1
        answer = learner(displayed(values))
        given = [r(a, ANSWER) for a in answer] if isinstance(answer, list) else [r(answer, ANSWER)]
        if not is_correct(given, expected, card.quiz.tolerance):
            wrong.append((values, given, expected))
    assert draws > 0
    assert not wrong, f"{len(wrong)} of {draws} draws graded wrong, e.g. {wrong[:3]}"


@pytest.mark.parametrize("card_id", ["gd-22", "gd-23", "gd-28"])
def test_a_mini_batch_question_never_draws_the_whole_dataset_as_one_batch(
    cards: dict[str, Card], card_id: str
) -> None:
    """gd-22 asked 'Mini-batch GD on 100 rows with batch size 128' (n from 100, B up to 128)
    and gd-23 '100 rows and the batch size is 256': B ≥ n is one batch per epoch, batch
    gradient descent, as the worked steps then said under a mini-batch prompt."""
    card = cards[card_id]
    whole = [v for v in grid(card, None) if not 1 < int(v["batch_size"]) < int(v["n"])]
    assert not whole, f"{len(whole)} draws with B ≥ n, e.g. {whole[:3]}"


def axis_values(card: Card, name: str) -> list[Scalar]:
    """Every value the template draws for parameter `name`."""
    quiz = card.quiz
    assert quiz is not None
    if name in quiz.ranges:
        low, high, step = quiz.ranges[name]
        return [round(low + k * step, 10) for k in range(int(round((high - low) / step)) + 1)]
    return list(quiz.params[name])


@pytest.mark.parametrize(
    "card_id", ["perceptron-3", "perceptron-21", "perceptron-22", "perceptron-24", "perceptron-30"]
)
def test_a_question_on_a_point_s_side_never_draws_w_zero(
    cards: dict[str, Card], card_id: str
) -> None:
    """perceptron-3, -22, -24 and -30 drew w1 and w2 from ranges through 0, so one question in
    81 (one in 25 for -22) read 'A perceptron has w = [0, 0] and b = 2 ... (It is 0 when the
    point is on its correct side.)': w = 0 has no boundary and no sides, every point is
    classified as sign(b). perceptron-21 (a distance, which divides by ‖w‖) already drew w1
    without 0."""
    card = cards[card_id]
    assert 0 not in axis_values(card, "w1") or 0 not in axis_values(card, "w2")


# --- every question the quiz asks is worth asking, by its computation's family --------------
#
# A template draws each parameter from its own range, so a draw can make a question that is
# degenerate whatever the ranges: perceptron-8 and -9 asked a step on x = [0, 0] (w + η·y·0
# is w whatever the label: counted among the "point already correct" questions their
# unchanged_share sets, on a point that is not), perceptron-22 put one point twice in its three
# (once with y = +1 and once with y = −1 too), perceptron-30 asked "the subgradient" at
# x = [0, 0] ([0, 0] on either side) and on the boundary, where the loss has a kink and every
# vector from [0, 0] to −y·x is one. QUESTIONS questions of every template, as the quiz asks
# them (`typed_question`: its redraws and shares included), are held to the properties of
# their computation's family, written here, and to the numbers the prompt shows.

QUESTIONS = 300
SEED = 4
Args = Mapping[str, object]
Property = Callable[[Args], "str | None"]


def exact(value: object) -> Fraction:
    """A drawn number as the learner reads it: 0.1 is 1/10."""
    assert isinstance(value, int | float) and not isinstance(value, bool), value
    return Fraction(value) if isinstance(value, int) else Fraction(repr(value))


def vector(args: Args, name: str) -> list[Fraction]:
    value = args[name]
    assert isinstance(value, list), (name, value)
    return [exact(v) for v in value]


def w_is_not_zero(args: Args) -> str | None:
    return None if any(vector(args, "w")) else "w = [0, 0]: no boundary, so no sides"


def x_is_not_zero(args: Args) -> str | None:
    if any(vector(args, "x")):
        return None
    return "x = [0, 0]: η·y·x and −y·x are [0, 0] whichever side the point is on"


def off_the_boundary(args: Args) -> str | None:
    w, x = vector(args, "w"), vector(args, "x")
    out = sum((a * c for a, c in zip(w, x, strict=True)), exact(args["b"]))
    if exact(args["y"]) * out != 0:
        return None
    return "y·(w·x + b) = 0: the loss's kink, where every vector from [0, 0] to −y·x is one"


def distinct_points(args: Args) -> str | None:
    xs, d = vector(args, "xs"), len(vector(args, "w"))
    points = [tuple(xs[i : i + d]) for i in range(0, len(xs), d)]
    return None if len(set(points)) == len(points) else "a point twice in one dataset"


def off_the_kink(name: str) -> Property:
    def check(args: Args) -> str | None:
        return None if exact(args[name]) != 0 else f"{name} = 0: a kink, with no derivative"

    return check


def first_larger(args: Args) -> str | None:
    error, base = abs(exact(args["error"])), abs(exact(args["base"]))
    return None if error > base > 0 else "'how many times larger' for an error not larger"


def inside(name: str) -> Property:
    def check(args: Args) -> str | None:
        return None if 0 < exact(args[name]) < 1 else f"{name} of 0 or 1, under a log"

    return check


def softmax_output(args: Args) -> str | None:
    if all(0 < p < 1 for p in vector(args, "probs")):
        return None
    return "a probability of 0 or 1, which a softmax never gives (and under a log)"


def derivative_not_zero(args: Args) -> str | None:
    flat = args["function"] in ("square", "cube") and exact(args["x"]) == 0
    return "f′(0) = 0: the relative error is 1 whatever h" if flat else None


# Each computation a template asks, and what its questions need besides the numbers shown.
FAMILIES: dict[str, tuple[Property, ...]] = {
    "perceptron_update": (x_is_not_zero,),
    "perceptron_subgradient": (w_is_not_zero, x_is_not_zero, off_the_boundary),
    "perceptron_loss": (w_is_not_zero,),
    "hinge_loss": (w_is_not_zero,),
    "geometric_margin": (w_is_not_zero,),
    "perceptron_total_loss": (w_is_not_zero, distinct_points),
    "relu_grad": (off_the_kink("z"),),
    "mae_grad": (off_the_kink("error"),),
    "penalty_ratio": (first_larger,),
    "bce": (inside("p"),),
    "bce_grad_logit": (inside("p"),),
    "mse_grad_logit": (inside("p"),),
    "cce": (softmax_output,),
    "cce_grad_logit": (softmax_output,),
    "gradient_check": (derivative_not_zero,),
    # a value of the numbers as drawn: nothing to hold but the numbers shown (below) and what
    # tests/test_quiz.py holds each draw of their ranges to
    **dict.fromkeys(
        [
            "activation_grad", "central_difference", "chain_product", "gd_step", "huber",
            "huber_grad", "l2_objective", "last_batch_size", "mean_loss", "minibatch_step",
            "minibatch_variance", "mse", "mse_grad", "onehot_memory", "outlier_shift", "rmse",
            "sigmoid", "softmax", "total_updates", "updates_per_epoch", "vanishing_product",
            "weighted_sum",
        ],
        (),
    ),
}  # fmt: skip


def misread(card: Card, question: Question) -> str | None:
    """Whether a learner who works exactly from the numbers the prompt shows is marked wrong:
    a drawn value whose display rounds it (0.99996 shown as 1) changes the answer."""
    from dlcards import engine

    assert card.quiz is not None and question.result is not None
    block = card.compute[card.quiz.answer]
    shown = displayed(question.params)
    if shown == question.params:  # shown as drawn: the answer is the engine's for the draw
        return None
    answer = engine.run(block.fn, engine_args(card, shown), block.symbols).value
    given = answer if isinstance(answer, list) else [answer]
    assert all(isinstance(v, int | float) for v in given), answer
    if is_correct([float(v) for v in given], question.result.value, question.tolerance):
        return None
    return f"the numbers shown give {answer}, the quiz wants {question.result.value}"


def faults(card: Card, question: Question | None) -> list[str]:
    """What is wrong with a question the quiz asks on `card` (empty if nothing)."""
    if question is None or question.result is None:
        return ["no typed question"]
    assert card.quiz is not None
    family = FAMILIES[card.compute[card.quiz.answer].fn]
    found = [fault for held in family if (fault := held(question.result.args))]
    wrong = misread(card, question)
    return found + ([wrong] if wrong else [])


def test_every_templated_computation_has_its_family(cards: dict[str, Card]) -> None:
    """A template of a computation not yet here is read for what its questions need."""
    asked = {c.compute[c.quiz.answer].fn for c in cards.values() if c.quiz is not None}
    assert asked <= set(FAMILIES), sorted(asked - set(FAMILIES))


def test_every_question_the_quiz_asks_is_worth_asking(cards: dict[str, Card]) -> None:
    found: dict[str, list[str]] = {}
    for card in cards.values():
        if card.quiz is None:
            continue
        rng = random.Random(SEED)
        for _ in range(QUESTIONS):
            question = typed_question(card, rng)
            for fault in faults(card, question):
                prompt = question.prompt if question else ""
                found.setdefault(card.id, []).append(f"{fault}: {prompt}")
    said = {card_id: (len(f), f[0]) for card_id, f in sorted(found.items())}
    assert not found, f"questions not worth asking (of {QUESTIONS} a template): {said}"


@pytest.mark.parametrize(
    ("fn", "bad", "good"),
    [
        ("perceptron_update", {"x": [0, 0]}, {"x": [0, 1]}),
        ("perceptron_subgradient", {"w": [0.0, 0], "x": [1, 1], "b": 0.5, "y": 1}, {"w": [0.5, 0]}),
        ("perceptron_subgradient", {"w": [1, 1], "x": [0, 0], "b": 0.5, "y": 1}, {"x": [0, 1]}),
        ("perceptron_subgradient", {"w": [0.3, 1], "x": [1, -3], "b": 2.7, "y": -1}, {"b": 2}),
        (
            "perceptron_total_loss",
            {"w": [1, 1], "xs": [1, 2, 0, 0, 1, 2]},
            {"xs": [1, 2, 0, 0, 2, 1]},
        ),
        (
            "perceptron_total_loss",
            {"w": [1, 1], "xs": [1, 2, 1, 2, 0, 0]},
            {"xs": [1, 2, 2, 1, 0, 0]},
        ),
        ("relu_grad", {"z": 0.0}, {"z": 0.1}),
        ("mae_grad", {"error": 0}, {"error": -0.01}),
        ("penalty_ratio", {"error": 3, "base": 3}, {"error": 4}),
        ("bce", {"p": 1.0}, {"p": 0.999}),
        ("cce", {"probs": [0.0, 0.7, 0.3]}, {"probs": [0.1, 0.6, 0.3]}),
        ("gradient_check", {"function": "cube", "x": 0}, {"x": 0.5}),
    ],
)
def test_each_property_tells_the_draw_it_is_about(
    fn: str, bad: dict[str, object], good: dict[str, object]
) -> None:
    """Each family's properties find the degenerate draw they are written for, and pass the
    same draw with one value changed: an assertion above that can fail."""
    assert [fault for held in FAMILIES[fn] if (fault := held(bad))]
    assert not [fault for held in FAMILIES[fn] if held({**bad, **good})]


def test_a_value_the_prompt_shows_rounded_is_a_misread_question() -> None:
    """ŷ = 0.99996 is shown as 1, from which ∂L/∂z = 2(ŷ − y)·ŷ(1 − ŷ) is 0, not −3.2 × 10⁻⁹:
    the learner reading the prompt is marked wrong."""
    deck = parse_deck(
        """\
topic: t
title: T
cards:
- id: t-1
  question: q
  answer: a
  tags: [math]
  compute:
  - {fn: mse_grad_logit, args: {y: 1, p: 0.5}}
  quiz:
    template: "y = {y}, ŷ = {p}: ∂L/∂z?"
    params:
      y: {choices: [1]}
      p: {choices: [0.99996, 0.5]}
""",
        "d.yaml",
    )
    card = deck.cards[0]
    assert card.quiz is not None
    faulty = set()
    for seed in range(20):
        question = typed_question(card, random.Random(seed))
        assert question is not None
        faulty.add((question.params["p"], bool(misread(card, question))))
    assert faulty == {(0.99996, True), (0.5, False)}
