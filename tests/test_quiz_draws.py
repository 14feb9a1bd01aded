"""What a quiz template's draws ask: a question that is what the card asks, graded fairly.

A mini-batch question never draws a batch as large as the dataset (that is batch gradient
descent, and its steps say so beside a prompt that says mini-batch), nor a perceptron question
about a point's side of the boundary w = [0, 0] (which has none).

A learner who rounds on the way as a teacher asks is graded right.

The quiz holds a typed answer to 3 significant figures (`dlcards.quiz.is_correct`). A learner
who carries one guard digit, every intermediate value to 4 significant figures, and gives the
result to 3 must be marked right on every draw of every template whose answer takes more than
one step. The learners below work each template out with the math module, not with the
engine; every draw of a template's ranges and choices is tried (its grid), or, for a grid of
more than MAX_GRID draws, MAX_GRID seeded draws of it."""

from __future__ import annotations

import itertools
import math
import random
from collections.abc import Callable, Iterator, Mapping

import pytest

from dlcards.catalog import load_catalog
from dlcards.deck import Card, Scalar
from dlcards.quiz import draw_params, is_correct

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
    from dlcards.quiz import engine_args

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
        answer = learner(values)
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
