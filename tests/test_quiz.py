"""`dlcards quiz` and the pure `dlcards.quiz`: generated variants against independent arithmetic,
answer parsing (hypothesis), choice questions, scripted CLI runs, the quiz log, and a schedule
that a quiz never touches; plus the deck's validation of quiz templates."""

from __future__ import annotations

import json
import math
import random
import re
from collections.abc import Callable
from fractions import Fraction

import helpers as h
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from dlcards import engine
from dlcards.catalog import Catalog, load_catalog
from dlcards.cli import app
from dlcards.deck import Card, parse_deck
from dlcards.errors import DeckError
from dlcards.quiz import (
    AnswerError,
    Mode,
    Question,
    _arithmetic,
    build_quiz,
    choice_question,
    draw_params,
    draw_value,
    engine_args,
    fill,
    is_correct,
    mistake_args,
    parse_answer,
    parse_number,
    pick_cards,
    questions_on,
    show,
    taken_for_a_mistake,
    template_problems,
    typed_question,
)
from dlcards.store import Store

runner = CliRunner()


@pytest.fixture(scope="module")
def cards() -> dict[str, Card]:
    return load_catalog(use_cache=False).by_id()


def numbers(text: str) -> list[float]:
    """Every number written in a prompt, in order: a '−' (or '-') right before a digit is a sign,
    and commas between groups of three digits are thousands separators."""
    found = re.findall(r"[−-]?\d{1,3}(?:,\d{3})+(?:\.\d+)?|[−-]?\d+(?:\.\d+)?", text)
    return [float(x.replace("−", "-").replace(",", "")) for x in found]


def variants(card: Card, n: int = 60) -> list[Question]:
    out = [typed_question(card, random.Random(seed)) for seed in range(n)]
    assert all(q is not None for q in out), card.id
    return [q for q in out if q is not None]


# --- generated variants, checked with arithmetic written here -----------------------------


def test_update_count_variants(cards: dict[str, Card]) -> None:
    for q in variants(cards["gd-23"]):
        n, b = numbers(q.prompt)
        assert q.result is not None and q.result.value == math.ceil(n / b)
        assert q.needs_integer
    for q in variants(cards["gd-14"]):
        n, epochs = numbers(q.prompt)
        assert q.result is not None and q.result.value == n * epochs
    for q in variants(cards["gd-22"]):
        n, b, epochs = numbers(q.prompt)
        assert q.result is not None and q.result.value == epochs * math.ceil(n / b)
    for q in variants(cards["gd-28"]):
        n, b = numbers(q.prompt)
        assert q.result is not None and q.result.value == (n % b or b)
    for q in variants(cards["gd-30"]):
        epochs, n = numbers(q.prompt)
        assert q.result is not None and q.result.value == epochs * n


def test_gradient_step_variants(cards: dict[str, Card]) -> None:
    for q in variants(cards["gd-2"]):
        w, grad, eta = numbers(q.prompt.replace("W_old", "W").replace("∂L/∂W", "g"))
        assert q.result is not None
        assert q.result.value == pytest.approx(w - eta * grad)
    for q in variants(cards["gd-20"]):
        g1, g2, g3, g4, w, eta = numbers(q.prompt.split("m = 4", 1)[1])
        assert q.result is not None
        assert q.result.value == pytest.approx(w - eta * (g1 + g2 + g3 + g4) / 4)


def test_loss_variants(cards: dict[str, Card]) -> None:
    for q in variants(cards["robust-3"]):
        (e,) = numbers(q.prompt)
        assert q.result is not None and q.result.value == e * e
    for q in variants(cards["robust-i9"]):
        delta, e = numbers(q.prompt)
        expected = 0.5 * e * e if abs(e) <= delta else delta * (abs(e) - delta / 2)
        assert q.result is not None and q.result.value == pytest.approx(expected)
    for q in variants(cards["robust-i4"]):
        e, base = numbers(q.prompt)
        assert q.result is not None and q.result.value == pytest.approx((e / base) ** 2)
    for q in variants(cards["bce-18"]):
        y, p = numbers(q.prompt.split("BCE")[0])
        expected = -math.log(p) if y == 1 else -math.log(1 - p)
        assert q.result is not None and q.result.value == pytest.approx(expected)
    for q in variants(cards["cce-28"]):
        *probs, target, _ = numbers(q.prompt.replace("3-class", ""))
        assert q.result is not None
        assert q.result.value == pytest.approx(-math.log(probs[int(target)]))
    for q in variants(cards["cce-27"]):
        *probs, target, _ = numbers(q.prompt.replace("0-based", "0"))
        expected = [p - (i == int(target)) for i, p in enumerate(probs)]
        assert q.result is not None and q.result.value == pytest.approx(expected)


def test_neuron_variants(cards: dict[str, Card]) -> None:
    for q in variants(cards["mlp-6"]):
        z = numbers(q.prompt.split("What is")[1])[0]
        assert q.result is not None and q.result.value == pytest.approx(1 / (1 + math.exp(-z)))
    for q in variants(cards["mlp-15"]):
        _, p1, p2, w1, w2 = numbers(q.prompt)  # the first is the 1 of "Layer-1"
        assert q.result is not None and q.result.value == pytest.approx(w1 * p1 + w2 * p2)
    for q in variants(cards["vgp-1"]):
        layers = numbers(q.prompt)[0]
        assert q.result is not None and q.result.value == pytest.approx(0.25**layers)
    for q in variants(cards["perceptron-8"]):
        w1, w2, x1, x2, eta = numbers(q.prompt.split("w =", 1)[1].split("What")[0])
        if w1 * x1 + w2 * x2 <= 0:  # misclassified positive: w + ηx
            expected = [w1 + eta * x1, w2 + eta * x2]
        else:
            expected = [w1, w2]
        assert q.result is not None and q.result.value == pytest.approx(expected)


def test_draws_stay_in_range_on_the_step() -> None:
    rng = random.Random(0)
    for _ in range(500):
        v = draw_value([100, 5000, 10], rng)
        assert isinstance(v, int) and 100 <= v <= 5000 and v % 10 == 0
        f = draw_value([-4.0, 4.0, 0.25], rng)
        assert isinstance(f, float) and -4 <= f <= 4 and (f * 4).is_integer()
        assert str(f) == str(round(f, 2))  # no 0.30000000000000004
    assert {draw_value([0, 1, 1], rng) for _ in range(50)} == {0, 1}
    assert show(2.0) == "2" and show(-1.5) == "\u22121.5" and show("0.1, 0.7") == "0.1, 0.7"
    assert show(5000) == "5,000" and show(-3.0) == "\u22123" and show(2.5e-7) == "2.5 × 10⁻⁷"


def test_a_seed_gives_the_same_quiz(cards: dict[str, Card]) -> None:
    pool = list(cards.values())
    gd = [c for c in pool if c.topic == "gd"]
    first = build_quiz(gd, pool, random.Random(1), 10)
    again = build_quiz(gd, pool, random.Random(1), 10)
    assert [(q.card.id, q.prompt) for q in first] == [(q.card.id, q.prompt) for q in again]
    assert len({q.card.id for q in first}) == 10
    typed = [q for q in first if q.kind == "typed"]
    assert len(typed) == 5  # half typed, since the topic has enough templates
    assert {q.kind for q in first} == {"typed", "self"}


def test_pick_cards_fills_with_whatever_there_is(cards: dict[str, Card]) -> None:
    templated = [c for c in cards.values() if c.quiz][:3]
    text = [c for c in cards.values() if not c.quiz][:2]
    picked = pick_cards(templated + text, random.Random(4), 10)
    assert sorted(c.id for c in picked) == sorted(c.id for c in templated + text)
    assert len(pick_cards(templated + text, random.Random(4), 4)) == 4
    assert pick_cards([], random.Random(4), 4) == []


# --- multiple choice ---------------------------------------------------------------------------


def test_choice_questions_are_deterministic_and_use_the_topic(cards: dict[str, Card]) -> None:
    pool = list(cards.values())
    for card_id in ("gd-2", "cce-30", "backprop-6", "loss-g1"):
        card = cards[card_id]
        first = choice_question(card, pool, random.Random(7))
        again = choice_question(card, pool, random.Random(7))
        assert first is not None and again is not None
        assert (first.options, first.correct) == (again.options, again.correct)
        assert len(first.options) == 4 and len(set(first.options)) == 4
        assert first.options[first.correct] == card.answer
        topic_answers = {c.answer for c in pool if c.topic == card.topic}
        assert set(first.options) <= topic_answers
        assert first.expected == str(first.correct + 1)
    # over many seeds the right answer lands on every key
    spots = set()
    for seed in range(40):
        q = choice_question(cards["gd-1"], pool, random.Random(seed))
        assert q is not None
        spots.add(q.correct)
    assert spots == {0, 1, 2, 3}


def test_a_choice_question_never_offers_an_answer_that_is_right_too() -> None:
    """`quiz --mode choice --seed 4` on robust-15 ("How does MAE's linear penalty make it
    robust? Compare its penalty for an error of 10 with that for an error of 1.") offered
    robust-4's answer, "MAE's penalty is linear. The penalty grows steadily, ...; an error of 10
    is only penalized 10 times more than an error of 1.", as option 1 and took only option 2,
    the same words without the first sentence, as right."""
    args = ("--mode", "choice", "-n", "1", "--seed", "4", "-s", '"linear penalty make it robust"')
    out = quiz(["q"], *args)
    assert "robust-15" in out and "How does MAE's linear penalty" in out
    assert "MAE's penalty is linear" not in out


def test_cards_that_answer_the_same_question_are_never_each_other_s_wrong_option(
    cards: dict[str, Card],
) -> None:
    """`same_question` is written on one card of each pair; it holds both ways round."""
    pool = list(cards.values())
    declared = [(c, cards[o]) for c in pool for o in c.same_question]
    assert ("robust-15", "robust-4") in {(a.id, b.id) for a, b in declared}
    for first, second in declared:
        assert first.topic == second.topic
        for card, twin in ((first, second), (second, first)):
            if card.erratum:  # never multiple choice (the test below)
                continue
            for seed in range(30):
                question = choice_question(card, pool, random.Random(seed))
                assert question is not None
                assert twin.answer not in question.options, (card.id, twin.id, seed)


def test_a_card_with_an_erratum_is_never_asked_as_multiple_choice(
    cards: dict[str, Card],
) -> None:
    """`quiz --mode choice` on perceptron-29 ("How does the update rule ensure that the loss
    is reduced during an iteration?") offered its source answer, which the card's erratum says
    is false, as the option marked right. A card with an erratum is
    self-graded instead, with its erratum shown beside the answer."""
    pool = list(cards.values())
    corrected = [c for c in pool if c.erratum]
    assert len(corrected) >= 10 and cards["perceptron-29"].erratum
    for card in corrected:
        assert choice_question(card, pool, random.Random(0)) is None, card.id
        assert [q.kind for q in questions_on([card], pool, random.Random(0), "choice")] == [
            "typed" if card.quiz else "self"
        ], card.id
    args = ("--mode", "choice", "-n", "1", "--seed", "1", "-s", "update rule ensure reduced")
    out = quiz(["", "y"], *args)
    assert "perceptron-29" in out and "self-graded" in out and "multiple choice" not in out
    assert "Erratum" in out
    assert all(c.erratum is None for c in pool if choice_question(c, pool, random.Random(0)))


def test_a_topic_of_one_card_has_no_choice(cards: dict[str, Card]) -> None:
    card = cards["gd-1"]
    assert choice_question(card, [card], random.Random(0)) is None


# --- answers --------------------------------------------------------------------------------------


def test_parse_number_examples() -> None:
    assert parse_number("3") == 3
    assert parse_number(" -0.25 ") == -0.25
    assert parse_number("−0.25") == -0.25  # the Unicode minus
    assert parse_number("+4") == 4
    assert parse_number(".5") == 0.5
    assert parse_number("2.5e-3") == 0.0025
    assert parse_number("1E3") == 1000
    assert parse_number("1/4") == 0.25
    assert parse_number("-3 / 8") == -0.375
    assert parse_number("5,000") == 5000
    assert parse_number("1,234,567.5") == 1234567.5
    assert parse_number("≈ 2.3") == 2.3
    assert parse_number("~0.36") == 0.36
    assert parse_number("0.25^3") == 0.25**3
    assert parse_number("0.25 ** 3") == 0.25**3
    assert parse_number("2**3") == 8
    assert parse_number("2^-10") == 2**-10
    assert parse_number("-0.5^2") == -0.25  # the sign applies to the power, as in math
    # scientific notation as the answers are shown, and as people write it
    assert parse_number("9.537 × 10⁻⁷") == 9.537e-7
    assert parse_number("\u22124 × 10⁻⁵") == -4e-5
    assert parse_number("3 × 10⁴") == 3e4
    assert parse_number("2.5x10^-3") == 2.5e-3
    assert parse_number("1.5 * 10**4") == 1.5e4
    assert parse_number("10⁴") == 1e4


@pytest.mark.parametrize(
    "text",
    [
        "",
        "abc",
        "1e",
        "1/0",
        "0/0",
        "nan",
        "inf",
        "-inf",
        "1e999",
        "1+1",
        "__import__('os')",
        "1,00",
        "12,3456",
        "0x10",
        "1__000",
        "_1000",
        "1000_",
        "١٢٣",
        "(-3)^0.5",
        "--1",
        "3.4.5",
        "1/",
        "/2",
        "1e99999999999",
        "½",
        "10^999",
        "0^-1",
        "2^0.5",
        "2^",
        "^2",
        "2^1024",
    ],
)
def test_parse_number_rejects(text: str) -> None:
    with pytest.raises(AnswerError):
        parse_number(text)


def test_a_learners_brackets_around_a_signed_number_are_read() -> None:
    """`2^(-2)`, `3/-4`, `(−3)/4` were refused ("is not a number"), written as a learner
    writes them. The brackets hold a signed number in a power, a denominator or a numerator;
    `(−3)^2` is 9, where `−3^2` is −9 (the sign applies to the power, as in math)."""
    assert parse_number("2^(-2)") == 0.25
    assert parse_number("2^(−2)") == 0.25
    assert parse_number("3/-4") == -0.75
    assert parse_number("3 / (−4)") == -0.75
    assert parse_number("(−3)/4") == -0.75
    assert parse_number("-3/-4") == 0.75
    assert parse_number("(−3)^2") == 9
    assert parse_number("(-0.5)^3") == -0.125
    assert parse_number("-3^2") == -9
    with pytest.raises(AnswerError, match="divides by zero"):
        parse_number("(0)^-1")


SPELLINGS = ["1_000", "1_000.5", "１２３", "－５", "١٢٣", "٣", "1__0", "_1", "1e1_0", "1e3"]


@pytest.mark.parametrize("text", SPELLINGS)
def test_calc_and_a_typed_answer_read_the_same_spellings_of_a_number(text: str) -> None:
    """`calc` took `1_000`, Arabic-Indic `١٢٣` and full-width `１２３` (Python's float reads
    every script's digits); the quiz refused `1_000` and took Arabic-Indic digits through
    `\\d`. Both now read a number one way (`numerals.ascii_number`): NFKC-normalised (the
    full-width digits an input method types are 0-9), digits 0-9 only, `_` between digits
    grouping them; another script's digits are one line saying to write 0-9."""
    from dlcards.engine.params import parse_value
    from dlcards.errors import UsageError

    try:
        calc: float | None = float(parse_value(text, "float"))  # type: ignore[arg-type]
    except UsageError as err:
        calc = None
        calc_said = str(err)
    try:
        typed: float | None = parse_number(text)
    except AnswerError as err:
        typed = None
        typed_said = str(err)
    assert calc == typed, (text, calc, typed)
    if calc is None and any(c.isdigit() and not "0" <= c <= "9" for c in text):
        assert "digits other than 0-9" in calc_said and "digits other than 0-9" in typed_said
    expected = {"1_000": 1000, "1_000.5": 1000.5, "１２３": 123, "－５": -5, "1e1_0": 1e10}
    assert calc == expected.get(text, 1000 if text == "1e3" else None)


@pytest.mark.parametrize(
    ("text", "point"), [("0,625", "0.625"), ("0,6", "0.6"), ("-0,5", "-0.5"), ("12,5", "12.5")]
)
def test_a_decimal_comma_is_refused_with_the_point_to_write(text: str, point: str) -> None:
    """Found in a quiz: "0,625" for 0.625 (a decimal comma, as much of Europe writes it) was
    read as the thousands grouping 625 and marked wrong ("you said 0,625"), while "0,6" was
    refused as not a number. No thousands group starts with 0: both are refused, with the
    number written with a point, and neither is graded."""
    said = re.escape(f"write the decimal point as a point ({point})")
    with pytest.raises(AnswerError, match=said):
        parse_number(text)
    assert parse_number("5,000") == 5000 and parse_number("1,000.5") == 1000.5


def test_parse_vectors() -> None:
    assert parse_answer("[1.5, -0.5]", 2) == [1.5, -0.5]
    assert parse_answer("1.5 -0.5", 2) == [1.5, -0.5]
    assert parse_answer("(1/2; 3)", 2) == [0.5, 3]
    with pytest.raises(AnswerError, match="type 2 numbers"):
        parse_answer("1.5", 2)
    with pytest.raises(AnswerError):
        parse_answer("1, x", 2)


finite = st.floats(allow_nan=False, allow_infinity=False, min_value=-1e300, max_value=1e300)


@given(finite)
def test_any_float_written_by_python_parses_back(x: float) -> None:
    assert parse_number(repr(x)) == x
    assert parse_number(f"{x:e}") == pytest.approx(x, rel=1e-6)
    assert parse_number(repr(x).replace("-", "−")) == x


@given(st.integers(min_value=-(10**15), max_value=10**15))
def test_integers_with_and_without_thousands_separators(n: int) -> None:
    assert parse_number(str(n)) == n
    assert parse_number(f"{n:,}") == n


@given(st.integers(-1000, 1000), st.integers(1, 1000))
def test_fractions(a: int, b: int) -> None:
    assert parse_number(f"{a}/{b}") == pytest.approx(float(Fraction(a, b)))


@given(st.text(max_size=40))
def test_any_text_parses_or_says_why(text: str) -> None:
    for size in (1, 3):
        try:
            values = parse_answer(text, size)
        except AnswerError as err:
            assert str(err)
        else:
            assert len(values) == size and all(math.isfinite(v) for v in values)


@given(st.lists(finite, min_size=2, max_size=5))
def test_vectors_round_trip(xs: list[float]) -> None:
    assert parse_answer(", ".join(repr(x) for x in xs), len(xs)) == xs


def test_is_correct() -> None:
    # three significant figures, within one unit of the third (a rounded step may move it)
    assert is_correct([0.357], 0.35667494393873245)
    assert is_correct([0.3567], 0.35667494393873245) and is_correct([0.356], 0.35667494393873245)
    assert not is_correct([0.36], 0.35667494393873245)  # two figures: not what was asked
    assert not is_correct([0.3], 0.35667494393873245)
    assert is_correct([5], 5) and not is_correct([5.04], 5)  # counts are exact
    assert not is_correct([4990], 5000)
    assert is_correct([0.0], 0.0)
    assert is_correct([-0.9, 0.7, 0.2], [-0.9, 0.7, 0.2])
    assert is_correct([-0.9, 0.7, 0.201], [-0.9, 0.7, 0.2])
    assert not is_correct([-0.9, 0.7], [-0.9, 0.7, 0.2])
    assert not is_correct([1.0], "never converges")
    # a quiz's own tolerance, relative (to the largest entry for a vector)
    assert is_correct([0.36], 0.35667494393873245, 1e-2)
    assert is_correct([-0.9, 0.7, 0.205], [-0.9, 0.7, 0.2], 1e-2)


def test_a_typed_answer_is_held_to_the_precision_the_prompt_asks() -> None:
    """The prompt asks for 3 significant figures but ±1% passed: σ(3.75) = 0.977 took 0.968
    and 0.986, 42/2 = 21 took 20.8 and 21.2, and softmax [0.0177, 0.965, 0.0177] took
    0.009, 0.965, 0.026 (two equal logits' probabilities three times apart)."""
    sigma = 1 / (1 + math.exp(-3.75))  # 0.977023: one unit either side of 0.977
    assert all(is_correct([x], sigma) for x in (0.976, 0.977, 0.9770, 0.978))
    assert not any(is_correct([x], sigma) for x in (0.975, 0.979, 0.968, 0.986))
    assert all(is_correct([-x], -sigma) for x in (0.976, 0.978))  # both sides, negative too
    assert is_correct([21], 21.0) and is_correct([21.0], 21.0)
    assert not is_correct([20.8], 21.0) and not is_correct([21.2], 21.0)
    soft = [0.017668422478559816, 0.9646631550428804, 0.017668422478559816]
    assert is_correct([0.0177, 0.965, 0.0177], soft)
    assert not is_correct([0.009, 0.965, 0.026], soft)
    assert not is_correct([0.018, 0.965, 0.018], soft)  # two figures each
    # an entry under a ten-thousandth of the largest may be given as 0
    assert is_correct([0.0, 1.0], [2.0e-20, 1.0]) and is_correct([0, 0.5, 0.5], [0.0, 0.5, 0.5])
    assert is_correct([-1.5e-7], -1.5e-7) and not is_correct([-1.6e-7], -1.5e-7)


# --- the command ----------------------------------------------------------------------------------


def answer_for(q: Question) -> str:
    assert q.result is not None
    value = q.result.value
    if isinstance(value, list):
        return ", ".join(repr(v) for v in value)
    return repr(value)


def quiz(script: list[str], *args: str) -> str:
    result = runner.invoke(app, ["quiz", *args], input="".join(f"{line}\n" for line in script))
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output
    return result.output


def expected_quiz(
    topics: list[str], seed: int, count: int = 10, mode: Mode = "self"
) -> list[Question]:
    catalog = load_catalog()
    return build_quiz(catalog.select(topics), catalog.cards, random.Random(seed), count, mode)


def quiz_rows() -> list[tuple]:
    with Store.open() as store:
        return store.query(
            "SELECT s.kind, r.card_id, r.mode, r.correct, r.given, r.expected "
            "FROM quiz_results r JOIN sessions s ON s.id = r.session_id ORDER BY r.id"
        )


def test_scripted_gd_quiz_start_to_end() -> None:
    questions = expected_quiz(["gd"], 1)
    script: list[str] = []
    for i, q in enumerate(questions):
        if q.kind == "typed":
            if i == 0:
                script += ["abc", ""]  # not a number, then an empty line: both asked again
            script.append(answer_for(q))
        else:
            script += ["", "y"]
    out = quiz(script, "--topic", "gd", "--seed", "1", "--today", "2026-11-26")
    assert "Quiz complete. 10 answers logged; the study schedule is unchanged." in out
    assert "10/10" in out and "100%" in out and "Missed" not in out
    assert "seed 1" in out
    for q in questions:
        assert q.prompt.split("?")[0][:40] in out.replace("\n", " ") or q.kind == "self"
    assert out.count("✓ correct") == sum(q.kind == "typed" for q in questions)
    rows = quiz_rows()
    assert [r[1] for r in rows] == [q.card.id for q in questions]
    assert all(r[0] == "quiz" and r[3] == 1 for r in rows)
    typed = [(r, q) for r, q in zip(rows, questions, strict=True) if q.kind == "typed"]
    assert typed and all(r[2] == "typed" and r[5] == q.expected for r, q in typed)
    assert {r[4] for r, q in zip(rows, questions, strict=True) if q.kind == "self"} == {"yes"}


def test_wrong_and_shown_answers_are_missed_and_logged() -> None:
    questions = expected_quiz(["gd"], 2, count=4)
    script: list[str] = []
    for q in questions:
        if q.kind == "typed":
            script.append("s" if not script else "-123456")
        else:
            script += ["", "n"]
    out = quiz(script, "--topic", "gd", "--seed", "2", "--count", "4")
    assert "0/4" in out and "Missed:" in out
    for q in questions:
        assert q.card.id in out.split("Missed:")[1]
    rows = quiz_rows()
    assert [r[3] for r in rows] == [0, 0, 0, 0]
    givens = [r[4] for r, q in zip(rows, questions, strict=True) if q.kind == "typed"]
    assert givens[0] is None and all(g == "-123456" for g in givens[1:])


def test_choice_mode_is_deterministic_and_checks_the_key() -> None:
    questions = expected_quiz(["cce"], 5, count=5, mode="choice")
    assert any(q.kind == "choice" for q in questions)
    script: list[str] = []
    for q in questions:
        if q.kind == "typed":
            script.append(answer_for(q))
        else:
            script += ["9", str(q.correct + 1)]  # 9 is not a key: asked again
    args = ("--topic", "cce", "--seed", "5", "--count", "5", "--mode", "choice")
    out = quiz(script, *args)
    assert "5/5" in out
    assert "'9': type 1, 2, 3, 4 or q" in out
    assert quiz(script, *args) == out  # the same seed asks the same questions in the same order
    rows = quiz_rows()
    assert {r[2] for r in rows} == {"typed", "choice"}


def test_q_quits_and_eof_ends_with_the_score_so_far() -> None:
    questions = expected_quiz(["gd"], 1)
    first = answer_for(questions[0]) if questions[0].kind == "typed" else None
    script = [first] if first else ["", "y"]
    out = quiz([*script, "q"], "--topic", "gd", "--seed", "1")
    assert "Stopped. 1 answer logged" in out and "1/1" in out
    out = quiz(script, "--topic", "gd", "--seed", "1")
    assert "Input ended. 1 answer logged" in out
    out = quiz([], "--topic", "gd", "--seed", "1")
    assert "Input ended. 0 answers logged" in out


def test_a_quiz_never_changes_the_schedule() -> None:
    study = runner.invoke(
        app, ["study", "--topic", "gd", "--today", "2026-11-20"], input="\n5\n\n2\n\n4\nq\n"
    )
    assert study.exit_code == 0, study.output
    catalog = load_catalog()
    with Store.open() as store:
        before = {c.id: h.state(store, c.id) for c in catalog.cards}
        reviews = store.review_count()
    assert sum(s.repetitions > 0 for s in before.values()) >= 2
    questions = expected_quiz(["gd"], 3, count=8)
    script: list[str] = []
    for q in questions:
        script += [answer_for(q)] if q.kind == "typed" else ["", "n"]
    quiz(script, "--topic", "gd", "--seed", "3", "--count", "8", "--today", "2026-11-21")
    with Store.open() as store:
        after = {c.id: h.state(store, c.id) for c in catalog.cards}
        assert store.review_count() == reviews
    assert after == before
    due = runner.invoke(app, ["due", "--json", "--today", "2026-11-21"])
    assert due.exit_code == 0


def test_bad_options() -> None:
    result = runner.invoke(app, ["quiz", "--mode", "hard"], input="")
    assert result.exit_code == 2 and "--mode must be self or choice" in result.output
    result = runner.invoke(app, ["quiz", "--topic", "nope"], input="")
    assert result.exit_code == 2 and "unknown topic 'nope'" in result.output
    result = runner.invoke(app, ["quiz", "--count", "0"], input="")
    assert result.exit_code == 2


def test_tag_filter_and_empty_selection() -> None:
    questions = expected_quiz(["vgp"], 4, count=3)
    out = runner.invoke(app, ["quiz", "--tag", "nothing-has-this"], input="")
    # an unknown tag is an error naming it and the tags there are (issue 12)
    assert out.exit_code == 2, out.output
    lines = out.output.strip().splitlines()
    assert lines == ["error: unknown tag 'nothing-has-this'; tags are: interview, intuitive, math"]
    # a known tag that no card of the chosen topics carries: nothing to ask, said so
    out = runner.invoke(app, ["quiz", "--topic", "gd", "--tag", "interview"], input="")
    said = "No cards to quiz on: no card in gd has the tag 'interview'."
    assert out.exit_code == 0 and said in out.output
    assert questions


# --- quiz templates in decks ------------------------------------------------------------------

DECK = """topic: demo
title: Demo
cards:
  - id: demo-1
    question: q
    answer: a
    tags: [math]
    compute: {{fn: updates_per_epoch, args: {{n: 10, batch_size: 2}}}}
    quiz:
{quiz}
"""


def parse_quiz(quiz_yaml: str) -> Card:
    text = DECK.format(quiz="\n".join("      " + line for line in quiz_yaml.strip().splitlines()))
    return parse_deck(text, "demo.yaml").cards[0]


def test_quiz_specs_parse() -> None:
    card = parse_quiz(
        """
template: "{n} rows, batch {batch_size}, {k} {p}?"
params:
  n: [100, 5000]
  batch_size: {choices: [32, 64]}
  k: {range: [0.5, 2.5], step: 0.5}
  p: [0.1, 0.2, 0.3]
args: {n: "{n}"}
tolerance: 0.05
"""
    )
    assert card.quiz is not None
    assert card.quiz.ranges == {"n": [100, 5000, 1], "k": [0.5, 2.5, 0.5]}
    assert card.quiz.params == {"batch_size": [32, 64], "p": [0.1, 0.2, 0.3]}
    assert card.quiz.names == ["n", "batch_size", "k", "p"]
    assert card.quiz.args == {"n": "{n}"} and card.quiz.tolerance == 0.05
    assert card.quiz.trivial_share == 0  # by default a trivial answer is drawn again
    shared = parse_quiz('template: "{n}"\nparams: {n: [1, 2]}\ntrivial_share: 0.25')
    assert shared.quiz is not None and shared.quiz.trivial_share == 0.25
    floats = parse_quiz('template: "{z}"\nparams: {z: [-4.0, 4.0]}')
    assert floats.quiz is not None and floats.quiz.ranges["z"] == [-4.0, 4.0, 0.1]


@pytest.mark.parametrize(
    ("quiz_yaml", "message"),
    [
        ('template: "{n} and {m}"\nparams: {n: [1, 2]}', "uses {m} but 'params' does not define"),
        ('template: "{n}"\nparams: {n: [1, 2], m: [1, 2]}', "'m' does not appear in the template"),
        ('template: "{n}"\nparams: {n: [5, 1]}', "low 5 is above high 1"),
        ('template: "{n}"\nparams: {n: {range: [1, 3], step: 5}}', "step 5 is wider than"),
        ('template: "{n}"\nparams: {n: {range: [1, 3], step: 0}}', "step must be a finite pos"),
        ('template: "{n}"\nparams: {n: {range: [0.5, 2.5], step: .nan}}', "step must be a finite"),
        ('template: "{n}"\nparams: {n: {range: [0.5, 2.5], step: .inf}}', "step must be a finite"),
        ('template: "{n}"\nparams: {n: [0, .inf]}', "a range's bounds must be finite, not inf"),
        ('template: "{n}"\nparams: {n: [-.inf, 0]}', "a range's bounds must be finite, not -inf"),
        ('template: "{n}"\nparams: {n: [.nan, 1]}', "a range's bounds must be finite, not nan"),
        ('template: "{n}"\nparams: {n: {range: [0.0, .nan], step: 1}}', "bounds must be finite"),
        ('template: "{n}"\nparams: {n: [-1.0e+308, 1.0e+308]}', "is too wide to count its steps"),
        ('template: "{n}"\nparams: {n: {choices: [.nan, 1.5]}}', "choices must be finite, not nan"),
        ('template: "{n}"\nparams: {n: [.inf, 1, 2]}', "choices must be finite, not inf"),
        ('template: "{n}"\nparams: {n: {range: [1]}}', "a range is [low, high]"),
        ('template: "{n}"\nparams: {n: {pick: [1]}}', "must be [low, high], {range"),
        ('template: "{n}"\nparams: {n: []}', "must be [low, high] or a list of choices"),
        ('template: "{n}"\nparams: {n: [[1], [2]]}', "choices must be numbers or text"),
        ('template: "{n}"\nparams: {n: [1, 2]}\nargs: {n: "{x}"}', "uses {x}, which is not"),
        ('template: "{n}"\nparams: {n: [1, 2]}\nanswer: 1', "must index one of the card's"),
        ('template: "{n}"\nparams: {n: [1, 2]}\ntolerance: -1', "tolerance must be a finite non"),
        ('template: "{n}"\nparams: {n: [1, 2]}\ntolerance: .nan', "tolerance must be a finite"),
        ('template: "{n}"\nparams: {n: [1, 2]}\nhint: x', "unknown key 'hint' in quiz"),
        ('template: "{n}"\nparams: {n: [1, 2]}\ntrivial_share: 1.5', "trivial_share must be a"),
        ('template: "{n}"\nparams: {n: [1, 2]}\ntrivial_share: .nan', "trivial_share must be"),
        ('template: "{n}"\nparams: {n: [1, 2]}\ntrivial_share: yes', "trivial_share must be"),
    ],
)
def test_bad_quiz_specs_name_the_card_and_line(quiz_yaml: str, message: str) -> None:
    with pytest.raises(DeckError) as info:
        parse_quiz(quiz_yaml)
    text = str(info.value)
    assert message in text, text
    assert text.startswith("demo.yaml:") and "card demo-1" in text


# --- every template, 200 seeded draws, against formulas written here ------------------------
#
# One checker per card with a `quiz:` template. It gets the drawn parameters and the prompt,
# asserts what the template's wording needs to be true for that draw (the "larger" side larger,
# a divisor not 0, "the last batch" one of several, a soft label soft...), and returns the answer
# computed here with the math module, independently of the engine.

DRAWS = 200
Params = dict[str, object]


def _n(p: Params, name: str) -> float:
    value = p[name]
    assert isinstance(value, int | float) and not isinstance(value, bool), (name, value)
    return float(value)


def _sig(z: float) -> float:
    return 1 / (1 + math.exp(-z))


def _affine(p: Params) -> tuple[float, float]:
    """(y, w·x + b) of the one-point perceptron templates."""
    out = _n(p, "w1") * _n(p, "x1") + _n(p, "w2") * _n(p, "x2") + _n(p, "b")
    return _n(p, "y"), out


def _distance(p: Params) -> float:
    y, out = _affine(p)
    norm = math.hypot(_n(p, "w1"), _n(p, "w2"))
    assert norm > 0, "the distance divides by ‖w‖"
    return y * out / norm


def _update(p: Params, y: int) -> list[float]:
    w, x, eta = [_n(p, "w1"), _n(p, "w2")], [_n(p, "x1"), _n(p, "x2")], _n(p, "eta")
    if y * (w[0] * x[0] + w[1] * x[1]) <= 0:  # a mistake (on the boundary too): w + η·y·x
        return [w[0] + eta * y * x[0], w[1] + eta * y * x[1]]
    return w


def _perceptron_total(p: Params, prompt: str) -> float:
    labels = re.findall(r"with y = ([+−]1)", prompt)
    assert labels == ["+1", "−1", "+1"]  # the labels the deck passes as ys, in this order
    w = (_n(p, "w1"), _n(p, "w2"))
    total = 0.0
    for (a, c), y in zip((("u1", "u2"), ("v1", "v2"), ("s1", "s2")), (1, -1, 1), strict=True):
        margin = y * (w[0] * _n(p, a) + w[1] * _n(p, c) + _n(p, "b"))
        total += -margin if margin <= 0 else 0.0
    return total


def _subgradient(p: Params) -> list[float]:
    y, out = _affine(p)
    if y * out > 0:
        return [0.0, 0.0]
    return [-y * _n(p, "x1"), -y * _n(p, "x2")]


def _ratio(p: Params, power: int) -> float:
    error, base = _n(p, "error"), _n(p, "base")
    assert error > base > 0, "'how many times larger' needs the first penalty larger"
    return (error / base) ** power


def _huber(e: float, d: float) -> float:
    return 0.5 * e * e if abs(e) <= d else d * (abs(e) - 0.5 * d)


def _huber_at_delta(p: Params) -> float:
    d = _n(p, "delta")
    quadratic, linear = 0.5 * d * d, d * (d - 0.5 * d)
    assert math.isclose(quadratic, linear), "the two pieces must meet, as the question says"
    return quadratic


def _median(xs: list[float]) -> float:
    s = sorted(xs)
    mid = len(s) // 2
    return s[mid] if len(s) % 2 else (s[mid - 1] + s[mid]) / 2


def _outlier(p: Params, stat: str) -> float:
    values = [_n(p, f"v{i}") for i in range(1, 6)]
    outlier = _n(p, "outlier")
    assert outlier > 2 * max(values), "the added point must be an outlier"
    if stat == "mean":
        shift = sum([*values, outlier]) / 6 - sum(values) / 5
        assert shift > 0
    else:
        shift = _median([*values, outlier]) - _median(values)
        assert 0 <= shift < sum([*values, outlier]) / 6 - sum(values) / 5
    return shift


def _hard_bce(p: Params) -> float:
    y, q = _n(p, "y"), _n(p, "p")
    assert y in (0, 1) and 0 < q < 1
    return -math.log(q) if y == 1 else -math.log(1 - q)


def _soft_bce(p: Params) -> float:
    y, q = _n(p, "y"), _n(p, "p")
    assert 0 < y < 1 and 0 < q < 1, "label smoothing gives a soft label"
    return -(y * math.log(q) + (1 - y) * math.log(1 - q))


def _softmax(p: Params) -> list[float]:
    z = [_n(p, f"z{i}") for i in (1, 2, 3)]
    exps = [math.exp(v) for v in z]
    return [e / sum(exps) for e in exps]


def _probs(p: Params) -> tuple[list[float], int]:
    text = p["probs"]
    assert isinstance(text, str)
    probs = [float(v) for v in text.split(",")]
    target = int(_n(p, "target"))
    assert len(probs) == 3 and math.isclose(sum(probs), 1) and 0 <= target < 3
    return probs, target


def _cce_grad(p: Params) -> list[float]:
    probs, target = _probs(p)
    return [q - (1.0 if i == target else 0.0) for i, q in enumerate(probs)]


def _cce(p: Params) -> float:
    probs, target = _probs(p)
    return -math.log(probs[target])


def _cube_diff(p: Params) -> float:
    x, h = _n(p, "x"), _n(p, "h")
    return ((x + h) ** 3 - (x - h) ** 3) / (2 * h)


def _cube_check(p: Params) -> float:
    analytic, numeric = 3 * _n(p, "x") ** 2, _cube_diff(p)
    assert max(abs(analytic), abs(numeric)) > 0, "the relative error divides by this"
    return abs(analytic - numeric) / max(abs(analytic), abs(numeric))


def _activation_slope(p: Params) -> float:
    z = _n(p, "z")
    if p["activation"] == "sigmoid":
        return _sig(z) * (1 - _sig(z))
    assert p["activation"] == "tanh"
    return 1 - math.tanh(z) ** 2


def _relu_slope(p: Params) -> float:
    z = _n(p, "z")
    assert z != 0, "ReLU has no derivative at its kink"
    return 1.0 if z > 0 else 0.0


def _mae_slope(p: Params) -> float:
    e = _n(p, "error")
    assert e != 0, "|e| has no derivative at 0"
    return math.copysign(1.0, e)


def _last_batch(p: Params) -> int:
    n, b = int(_n(p, "n")), int(_n(p, "batch_size"))
    assert n > b, "'the last mini-batch' needs more than one batch"
    return n % b or b


def _minibatch(p: Params) -> float:
    grads = [_n(p, f"g{i}") for i in (1, 2, 3, 4)]
    return _n(p, "w") - _n(p, "eta") * sum(grads) / 4


TEMPLATE_CHECKS: dict[str, Callable[[Params, str], object]] = {
    "perceptron-3": lambda p, _: max(0.0, -_affine(p)[0] * _affine(p)[1]),
    "perceptron-8": lambda p, _: _update(p, 1),
    "perceptron-9": lambda p, _: _update(p, -1),
    "perceptron-21": lambda p, _: _distance(p),
    "perceptron-22": _perceptron_total,
    "perceptron-24": lambda p, _: max(0.0, 1 - _affine(p)[0] * _affine(p)[1]),
    "perceptron-26": lambda p, _: (
        _n(p, "bias") + _n(p, "w1") * _n(p, "x1") + _n(p, "w2") * _n(p, "x2")
    ),
    "perceptron-30": lambda p, _: _subgradient(p),
    "mlp-6": lambda p, _: _sig(_n(p, "z")),
    "mlp-11": lambda p, _: _n(p, "w1") * _n(p, "p1") + _n(p, "w2") * _n(p, "p2") + _n(p, "b"),
    "mlp-15": lambda p, _: _n(p, "w1") * _n(p, "p1") + _n(p, "w2") * _n(p, "p2"),
    "mlp-21": lambda p, _: sum(_n(p, f"w{i}") * _n(p, f"p{i}") for i in (1, 2, 3)) + _n(p, "b"),
    "loss-g2": lambda p, _: (_n(p, "l1") + _n(p, "l2") + _n(p, "l3")) / 3,
    "loss-ig2": lambda p, _: (
        (_n(p, "l1") + _n(p, "l2") + _n(p, "l3")) / 3
        + _n(p, "lam") * (_n(p, "w1") ** 2 + _n(p, "w2") ** 2)
    ),
    "robust-3": lambda p, _: _n(p, "error") ** 2,
    "robust-4": lambda p, _: _ratio(p, 1),
    "robust-7": lambda p, _: _huber_at_delta(p),
    "robust-14": lambda p, _: math.sqrt(sum(_n(p, f"e{i}") ** 2 for i in (1, 2, 3)) / 3),
    "robust-i2": lambda p, _: _mae_slope(p),
    "robust-i3": lambda p, _: max(-_n(p, "delta"), min(_n(p, "delta"), _n(p, "error"))),
    "robust-i4": lambda p, _: _ratio(p, 2),
    "robust-i7": lambda p, _: 2 * _n(p, "error"),
    "robust-i8": lambda p, _: _outlier(p, "mean"),
    "robust-i9": lambda p, _: _huber(_n(p, "error"), _n(p, "delta")),
    "robust-i11": lambda p, _: _outlier(p, "median"),
    "bce-18": lambda p, _: _hard_bce(p),
    "bce-19": lambda p, _: 2 * (_n(p, "p") - _n(p, "y")) * _n(p, "p") * (1 - _n(p, "p")),
    "bce-21": lambda p, _: _n(p, "p") - _n(p, "y"),
    "bce-22": lambda p, _: _soft_bce(p),
    "cce-24": lambda p, _: _softmax(p),
    "cce-26": lambda p, _: int(_n(p, "batch")) * int(_n(p, "classes")) * 4,
    "cce-27": lambda p, _: _cce_grad(p),
    "cce-28": lambda p, _: _cce(p),
    "backprop-15": lambda p, _: _n(p, "f1") * _n(p, "f2") * _n(p, "f3"),
    "backprop-24": lambda p, _: _cube_check(p),
    "backprop-31": lambda p, _: _n(p, "g") * _n(p, "x"),
    "backprop-35": lambda p, _: _n(p, "variance") / _n(p, "batch_size"),
    "backprop-39": lambda p, _: _cube_diff(p),
    "gd-2": lambda p, _: _n(p, "w") - _n(p, "eta") * _n(p, "grad"),
    "gd-8": lambda p, _: sum(_n(p, f"l{i}") for i in (1, 2, 3, 4)) / 4,
    "gd-14": lambda p, _: int(_n(p, "n")) * int(_n(p, "epochs")),
    "gd-20": lambda p, _: _minibatch(p),
    "gd-22": lambda p, _: int(_n(p, "epochs")) * -(-int(_n(p, "n")) // int(_n(p, "batch_size"))),
    "gd-23": lambda p, _: -(-int(_n(p, "n")) // int(_n(p, "batch_size"))),
    "gd-28": lambda p, _: _last_batch(p),
    "gd-30": lambda p, _: int(_n(p, "epochs")) * int(_n(p, "n")),
    "gd-49": lambda p, _: _n(p, "variance") / _n(p, "batch_size"),
    "vgp-1": lambda p, _: 0.25 ** _n(p, "layers"),
    "vgp-3": lambda p, _: _activation_slope(p),
    "vgp-8": lambda p, _: _relu_slope(p),
    "vgp-10": lambda p, _: _n(p, "f") ** 10,
}

HYPHEN_MINUS = re.compile(r"(?<!\w)-(?=\d)")
PYTHON_EXPONENT = re.compile(r"\de[+-]?\d")


def test_every_template_has_a_checker(cards: dict[str, Card]) -> None:
    assert {c.id for c in cards.values() if c.quiz} == set(TEMPLATE_CHECKS)


@pytest.mark.parametrize("card_id", sorted(TEMPLATE_CHECKS))
def test_every_template_reads_right_for_every_draw(cards: dict[str, Card], card_id: str) -> None:
    from dlcards import engine

    card = cards[card_id]
    assert card.quiz is not None
    block = card.compute[card.quiz.answer]
    tolerance = card.quiz.tolerance
    prompts = set()
    for seed in range(DRAWS):
        values = draw_params(card.quiz, random.Random(seed))
        # every draw computes: no division by zero, no out-of-range argument, no retry needed
        result = engine.run(block.fn, engine_args(card, values))
        prompt = fill(card.quiz.template, values)
        prompts.add(prompt)
        where = f"{card_id} seed {seed}: {prompt}"
        assert "{" not in prompt and "}" not in prompt, where
        assert not HYPHEN_MINUS.search(prompt) and not PYTHON_EXPONENT.search(prompt), where
        expected = TEMPLATE_CHECKS[card_id](dict(values), prompt)
        value = result.value
        if isinstance(expected, int):
            assert type(value) is int and value == expected, where
        elif isinstance(expected, list):
            assert isinstance(value, list) and len(value) == len(expected), where
            assert all(math.isfinite(v) for v in value), where
            assert value == pytest.approx(expected, rel=1e-9, abs=1e-12), where
        else:
            assert isinstance(value, float) and math.isfinite(value), where
            assert value == pytest.approx(expected, rel=1e-9, abs=1e-12), where
        # the answer as shown is one number format, and typing it back counts as right
        shown = show(value)
        assert not HYPHEN_MINUS.search(shown) and "e-" not in shown and "e+" not in shown, where
        size = len(value) if isinstance(value, list) else 1
        typed = shown.strip("[]") if isinstance(value, list) else shown
        if isinstance(value, list):
            given = [parse_number(piece) for piece in typed.split(", ")]
        else:
            given = parse_answer(typed, size)
        assert is_correct(given, value, tolerance), (where, shown)
    # the draws give real variety: every variant of a small template, many of a large one
    variants = math.prod(
        [len(c) for c in card.quiz.params.values()]
        + [round((hi - lo) / step) + 1 for lo, hi, step in card.quiz.ranges.values()]
    )
    assert len(prompts) >= min(variants, 20), card_id


# --- issue 12: honest messages --------------------------------------------------------------


@pytest.mark.parametrize("text", ["2^1000000", "2**1000000", "10^400", "-3^99999"])
def test_huge_powers_are_too_large_not_not_a_number(text: str) -> None:
    with pytest.raises(AnswerError, match="is too large"):
        parse_number(text)


def test_one_question_is_singular_and_hints_do_not_say_space() -> None:
    (only,) = expected_quiz(["gd"], 3, count=1)
    out = quiz(
        [answer_for(only)] if only.kind == "typed" else ["", "y"],
        "--topic",
        "gd",
        "--seed",
        "3",
        "--count",
        "1",
    )
    assert "· 1 question (" in out and "1 questions" not in out
    assert "1 answer logged" in out
    questions = expected_quiz(["mlp"], 5, count=4)
    assert any(q.kind == "self" for q in questions)
    script = [
        line for q in questions for line in ([answer_for(q)] if q.kind == "typed" else ["", "y"])
    ]
    out = quiz(script, "--topic", "mlp", "--seed", "5", "--count", "4")
    assert "4 answers logged" in out
    assert "empty line: show the answer" in out
    assert "Space" not in out  # the line protocol reveals with an empty line


def test_quitting_at_the_first_question_says_nothing_was_answered() -> None:
    """The summary after 0 answers was an empty table (`topic  score` and nothing): it says
    plainly that nothing was answered (issue 12)."""
    from dlcards.cli import app

    result = runner.invoke(
        app, ["quiz", "--topic", "gd", "--seed", "1", "--count", "2"], input="q\n"
    )
    assert result.exit_code == 0, result.output
    summary = result.output[result.output.index("Quiz summary") :]
    assert "No question was answered, so there is no score." in summary
    assert "score  " not in summary and "topic" not in summary
    assert "0 answers logged" in summary


TOPICS = ["perceptron", "mlp", "loss", "robust", "bce", "cce", "backprop", "gd", "vgp"]


@settings(max_examples=80, deadline=None)
@given(
    seed=st.integers(0, 10**6),
    count=st.integers(1, 60),
    topics=st.lists(st.sampled_from(TOPICS), max_size=3, unique=True),
    tag=st.sampled_from([None, "math", "interview", "intuitive", "nope"]),
    narrow=st.none() | st.integers(0, 10**6),
    mode=st.sampled_from(["self", "choice"]),
)
def test_picking_by_id_asks_what_building_from_the_cards_asks(
    seed: int, count: int, topics: list[str], tag: str | None, narrow: int | None, mode: Mode
) -> None:
    """`dlcards quiz` picks its cards by id, loading only the picked cards' decks: the same
    questions, in the same order (with the same distractors in multiple choice), as
    `build_quiz` on the cards `select` gives with every card as the distractors' pool, for
    any seed, count, topics, tag and search result (`within`), and the same error for a tag
    no card carries."""
    from dlcards.commands.quiz import picked_questions
    from dlcards.errors import UsageError

    catalog = load_catalog()
    ids = [c.id for c in catalog.cards]
    within = None if narrow is None else set(random.Random(narrow).sample(ids, k=narrow % 80))

    def old() -> list[Question]:
        cards = catalog.select(topics, tag, within)
        return build_quiz(cards, catalog.cards, random.Random(seed), count, mode)

    def new(cat: Catalog) -> list[Question]:
        rng = random.Random(seed)
        return picked_questions(cat, store, topics, tag, within, rng, count, mode)

    with Store.open() as store:
        try:
            expected = old()
        except UsageError as err:
            with pytest.raises(UsageError, match=re.escape(str(err))):
                new(catalog)
            return
        fresh = load_catalog()  # nothing loaded yet
        got = new(fresh)
    assert got == expected
    # only the picked cards' decks (loaded by file)
    assert {d.topic for d in fresh._decks.values()} == {q.card.topic for q in got}


def test_the_deck_index_knows_the_templated_cards() -> None:
    """`Catalog.templated` from a fresh parse and from the cache's index (a second load reads
    no deck) are the cards with a quiz template."""
    first = load_catalog()
    expected = {c.id for c in first.cards if c.quiz is not None}
    assert len(expected) > 20
    assert first.templated() == expected
    again = load_catalog()
    assert again.templated() == expected and not again._decks


def test_a_quiz_of_one_question_reads_one_deck(monkeypatch: pytest.MonkeyPatch) -> None:
    import dlcards.catalog

    loaded: list[str] = []
    real = dlcards.catalog.Catalog.deck

    def deck(self: dlcards.catalog.Catalog, topic: str) -> object:
        loaded.append(topic)
        return real(self, topic)

    runner.invoke(app, ["due"])  # synced before: the quiz itself parses nothing
    monkeypatch.setattr(dlcards.catalog.Catalog, "deck", deck)
    output = quiz(["q"], "-n", "1", "--seed", "3")
    assert "1 question" in output
    assert len(set(loaded)) == 1


def test_remarks_under_fresh_numbers_say_they_are_about_the_cards_example(
    cards: dict[str, Card],
) -> None:
    """A typed question has fresh numbers; the card's erratum or note speaks of the card's own
    example, and is introduced as such under it (not under a choice or self-graded one)."""
    import io as _io

    from rich.console import Console

    from dlcards.commands.quiz import _remarks

    card = next(c for c in cards.values() if c.quiz is not None and (c.erratum or c.note))

    def shown(kind: str) -> str:
        said = _remarks(Question(card=card, kind=kind, prompt=card.question))  # type: ignore[arg-type]
        assert said is not None
        console = Console(file=_io.StringIO(), width=100, no_color=True)
        console.print(said)
        return console.file.getvalue()  # type: ignore[attr-defined]

    lead = f"What the card ({card.id}) says of its own example, not of these numbers:"
    assert lead in shown("typed")
    assert lead not in shown("choice") and lead not in shown("self")
    assert ("Erratum" if card.erratum else "Note") in shown("typed")


def test_an_answer_that_meets_a_full_disk_is_kept_and_saved_once_there_is_room(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import sqlite3

    import dlcards.commands.common as common
    from dlcards.store import default_db
    from dlcards.store.connection import translate_error

    monkeypatch.setattr(common, "FULL_DISK_RETRY_S", 0.0)
    real, tries = Store.record_quiz_answer, []

    def record(self: Store, *args: object) -> None:
        tries.append(1)
        if len(tries) <= 2:  # the disk is full twice, then there is room
            raise translate_error(
                default_db(), sqlite3.OperationalError("database or disk is full")
            )
        real(self, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(Store, "record_quiz_answer", record)
    questions = expected_quiz(["gd"], 3, count=2)
    script = [
        line for q in questions for line in ([answer_for(q)] if q.kind == "typed" else ["", "y"])
    ]
    out = quiz(script, "--topic", "gd", "--seed", "3", "--count", "2")
    assert out.count("is full: free some space") == 1
    assert "your answer to question 1 is kept and will be saved" in " ".join(out.split())
    assert "2 answers logged" in out
    assert [r[1] for r in quiz_rows()] == [q.card.id for q in questions]
    assert [r[3] for r in quiz_rows()] == [1, 1]


@pytest.mark.parametrize("command", [["quiz", "-n", "1"], ["simulate", "--days", "1"]])
def test_a_negative_seed_is_refused_alike(command: list[str]) -> None:
    """`quiz --seed -1` was taken where `simulate --seed -1` was refused."""
    result = CliRunner().invoke(app, [*command, "--seed", "-1"], input="q\n")
    assert (result.exit_code, result.output) == (2, "error: --seed must be 0 or more, not -1\n")


# --- common mistakes are never marked right ---------------------------------------------------

MISTAKEN_DECK = """topic: d
title: D
cards:
- id: d-1
  question: A step?
  answer: w − η·g.
  compute:
  - {fn: gd_step, args: {w: 1, grad: 1, eta: 0.1}}
  quiz:
    template: "W_old = {w}, ∂L/∂W = {grad}, η = {eta}. W_new?"
    params:
      w: {range: [-2.0, 2.0], step: 0.1}
      grad: {range: [-5.0, 5.0], step: 0.5}
      eta: {choices: [0.01, 0.5]}
    mistakes:
    - {args: {grad: 0}, label: unchanged}
    - {args: {grad: "-{grad}"}, label: up the slope}
"""


@pytest.mark.parametrize("card_id", ["gd-2", "gd-20", "loss-ig2", "backprop-39"])
def test_a_draw_never_marks_a_common_mistake_right(cards: dict[str, Card], card_id: str) -> None:
    """W left unchanged next to a tiny step, a step up the slope, the sum for the mean, the
    penalty left out or halved, the exact derivative for the central difference: marked right
    in up to 58% of draws (an expert read of the quiz). Such a draw is drawn again."""
    card = cards[card_id]
    assert card.quiz is not None and card.quiz.mistakes
    for seed in range(400):
        q = typed_question(card, random.Random(seed))
        assert q is not None and q.result is not None
        for mistake in card.quiz.mistakes:
            wrong = engine.run(
                card.compute[card.quiz.answer].fn, mistake_args(card, q.params, mistake)
            ).value
            given = wrong if isinstance(wrong, list) else [wrong]
            assert not is_correct(given, q.result.value, q.tolerance), (seed, mistake.label)


def test_the_helper_s_draw_is_drawn_again() -> None:
    """W_old = 1.6, ∂L/∂W = −0.5, η = 0.01: the answer 1.605, and 1.595 (a step up the slope)
    and 1.6 (no step) were both marked right."""
    card = parse_deck(MISTAKEN_DECK, "d.yaml").cards[0]
    values = {"w": 1.6, "grad": -0.5, "eta": 0.01}
    result = engine.run("gd_step", engine_args(card, values))
    mistake = taken_for_a_mistake(card, values, result)
    assert mistake is not None and mistake.label == "unchanged"
    values = {"w": 1.6, "grad": -0.5, "eta": 0.5}  # 1.85: 1.6 and 1.35 are told apart
    assert (
        taken_for_a_mistake(card, values, engine.run("gd_step", engine_args(card, values))) is None
    )


def test_a_mistake_s_arithmetic_is_numbers_only() -> None:
    card = parse_deck(MISTAKEN_DECK, "d.yaml").cards[0]
    values = {"w": 1.0, "grad": -0.5, "eta": 0.1}
    assert mistake_args(card, values, card.quiz.mistakes[1])["grad"] == 0.5  # type: ignore[union-attr]
    for text in ("__import__('os')", "x + 1", "2 ** 3", "1/0", "(1,)", "True"):
        with pytest.raises(ValueError, match="not arithmetic"):
            _arithmetic(text)
    assert _arithmetic("4*(0.3) - (-(0.5))/2") == pytest.approx(1.45)


def test_a_template_whose_draws_mostly_take_a_mistake_is_reported_by_check() -> None:
    text = MISTAKEN_DECK.replace("eta: {choices: [0.01, 0.5]}", "eta: {choices: [0.001]}")
    card = parse_deck(text, "d.yaml").cards[0]
    [problem] = template_problems(card)
    assert (
        problem.startswith("quiz: ") and "draws would mark a mistake right ('unchanged'" in problem
    )
    broken = MISTAKEN_DECK.replace(
        "{args: {grad: 0}, label: unchanged}", "{args: {gard: 0}, label: unchanged}"
    )
    problems = template_problems(parse_deck(broken, "d.yaml").cards[0])
    assert len(problems) == 1 and problems[0].startswith(
        "quiz mistake 'unchanged' cannot be computed"
    )


def test_a_template_whose_every_answer_is_trivial_is_reported_by_check() -> None:
    """A template whose every draw answers 0 (here W_old − η·0) would ask that trivial
    question anyway, after DRAW_ATTEMPTS redraws: `check` names it, unless the deck says
    the trivial case is the lesson (`trivial_share: 1`)."""
    text = MISTAKEN_DECK.replace("grad: {range: [-5.0, 5.0], step: 0.5}", "grad: [0, 0]")
    text = text.replace("w: {range: [-2.0, 2.0], step: 0.1}", "w: [0, 0]")
    text = text.split("    mistakes:")[0]
    card = parse_deck(text, "d.yaml").cards[0]
    assert [p for p in template_problems(card) if "trivial" in p] == [
        "quiz: all 25 draws have a trivial answer (0 or one of the drawn numbers); "
        "choose ranges whose answer needs working out, or set trivial_share: 1"
    ]
    question = typed_question(card, random.Random(0))  # still asked, not dropped
    assert question is not None and question.result is not None
    assert question.result.value == 0
    allowed = parse_deck(
        text.replace("    template:", "    trivial_share: 1\n    template:"), "d.yaml"
    )
    assert not [p for p in template_problems(allowed.cards[0]) if "trivial" in p]


def test_template_problems_are_worked_out_once_per_card_value() -> None:
    """The memo is keyed by the card's whole value: the same card gives the same answer without
    drawing again, a card that differs in any field is worked out afresh, and a caller that
    changes the list it got changes nothing for the next."""
    from dlcards import quiz

    quiz._TEMPLATE_PROBLEMS.clear()  # whatever the tests before asked
    card = parse_deck(MISTAKEN_DECK, "d.yaml").cards[0]
    first = template_problems(card)
    calls = []
    real = quiz._template_problems
    try:
        quiz._template_problems = lambda c, d: calls.append(c.id) or real(c, d)  # type: ignore[assignment]
        assert template_problems(card) == first and calls == []
        first.append("changed by a caller")
        assert template_problems(card) == first[:-1]
        text = MISTAKEN_DECK.replace("eta: {choices: [0.01, 0.5]}", "eta: {choices: [0.001]}")
        other = parse_deck(text, "d.yaml").cards[0]
        assert other.id == card.id and template_problems(other) != first[:-1]
        assert calls == [card.id]
    finally:
        quiz._template_problems = real  # type: ignore[assignment]


@pytest.mark.parametrize(
    ("mistakes", "message"),
    [
        ("    mistakes: {args: {grad: 0}}\n", "quiz 'mistakes' must be a list"),
        ("    mistakes:\n    - {args: {grad: 0}}\n", "a quiz mistake needs a 'label'"),
        ("    mistakes:\n    - {grad: 0, label: x}\n", "a quiz mistake must be {args: {...}"),
        ("    mistakes:\n    - {args: {grad: 0}, label: x, why: y}\n", "unknown key 'why'"),
        ("    mistakes:\n    - {args: {grad: '{g}'}, label: x}\n", "uses {g}, not a parameter"),
    ],
)
def test_a_bad_mistake_is_one_line_naming_its_line(mistakes: str, message: str) -> None:
    text = MISTAKEN_DECK.split("    mistakes:\n")[0] + mistakes
    with pytest.raises(DeckError, match=re.escape(message)) as caught:
        parse_deck(text, "d.yaml")
    assert re.search(r"d\.yaml:1[56]: ", str(caught.value)), caught.value  # its own line
    assert "\n" not in str(caught.value)


def test_mistakes_survive_the_deck_cache(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from dlcards.catalog import _deck_from_json, _deck_to_json

    deck = parse_deck(MISTAKEN_DECK, "d.yaml")
    data = json.loads(json.dumps(_deck_to_json(deck, tmp_path / "d.yaml", "s")))
    assert _deck_from_json(data, "d.yaml", "s").cards[0].quiz == deck.cards[0].quiz


def test_a_trivial_share_survives_the_deck_cache(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from dlcards.catalog import _deck_from_json, _deck_to_json

    text = MISTAKEN_DECK.replace("    template:", "    trivial_share: 0.3\n    template:", 1)
    deck = parse_deck(text, "d.yaml")
    assert deck.cards[0].quiz is not None and deck.cards[0].quiz.trivial_share == 0.3
    data = json.loads(json.dumps(_deck_to_json(deck, tmp_path / "d.yaml", "s")))
    assert _deck_from_json(data, "d.yaml", "s").cards[0].quiz == deck.cards[0].quiz


@pytest.mark.parametrize("columns", [30, 40, 60])
def test_the_summary_never_cuts_a_missed_answer_on_a_narrow_screen(
    monkeypatch: pytest.MonkeyPatch, columns: int
) -> None:
    """At 30 columns the missed answers' three columns cut what the learner said to
    '0.12345…' and the prompts' words to 'quadr…', at 40 'implementa…' (UX sweep): every
    line fits, and nothing is cut but a long prompt, after a whole word."""
    from dlcards.console import out
    from dlcards.render import to_plain

    monkeypatch.setenv("TTY_COMPATIBLE", "1")
    monkeypatch.setenv("TERM", "dumb")
    monkeypatch.setenv("COLUMNS", str(columns))
    out.cache_clear()
    questions = expected_quiz(["robust", "gd"], 2, count=6)
    said = "0.123456789"
    script = [said if q.kind == "typed" else "\nn" for q in questions]
    text = quiz(script, "--topic", "robust", "--topic", "gd", "--seed", "2", "--count", "6")
    summary = text[text.index("Quiz summary") :]
    assert all(len(line) <= columns for line in summary.splitlines()), summary
    words = [w for w in summary.split() if w.strip("│╭╮╰╯─")]
    typed = [q for q in questions if q.kind == "typed"]
    assert typed and words.count(f"{said})") == len(typed), summary
    for q in typed:
        assert q.expected in words, summary
    prompts = {w for q in questions for w in to_plain(q.prompt).split()}
    for word in words:
        assert not word.endswith("…") or word == "…" or word[:-1] in prompts, (word, summary)


def test_the_summary_says_a_missed_choice_in_words_and_keeps_formulas_whole(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Found in tmux (`quiz --mode choice` at 60 columns): a missed multiple-choice question
    was summed up as `→ 2 (you picked 1)`, its options long gone from the screen; and a
    prompt was wrapped as prose, `... at x = 2 with h` / `= 0.1: the analytic ...`. The
    right option is named by its words too, and a prompt wraps as a card does (a line never
    starts with an operator standing alone)."""
    from dlcards.console import out
    from dlcards.flow import OPERATORS
    from dlcards.render import to_plain

    monkeypatch.setenv("TTY_COMPATIBLE", "1")
    monkeypatch.setenv("TERM", "dumb")
    monkeypatch.setenv("COLUMNS", "60")
    out.cache_clear()
    questions = expected_quiz([], 3, count=5, mode="choice")
    assert {"typed", "choice"} <= {q.kind for q in questions}
    wrong = {"typed": lambda q: "999", "self": lambda q: "\nn"}
    pick = lambda q: str(1 + (q.correct + 1) % len(q.options))  # noqa: E731
    script = [wrong.get(q.kind, pick)(q) for q in questions]
    summary = quiz(script, "--seed", "3", "--count", "5", "--mode", "choice")
    summary = summary[summary.index("Missed:") :]
    lines = [line.strip("│ ") for line in summary.splitlines()]
    prompts = [line for line in lines if not line.startswith("→ ")]  # not an outcome's arrow
    assert not any(line.split(" ")[0] in OPERATORS for line in prompts), summary
    flat = " ".join(summary.replace("│", " ").split())
    for q in questions:
        if q.kind == "choice":
            words = " ".join(to_plain(q.options[q.correct]).split()[:4])
            assert f"→ {q.expected}. {words}" in flat, (words, summary)


def test_an_answer_with_a_ctrl_d_in_it_at_a_terminal_is_the_whole_answer() -> None:
    """A torture run: at a terminal, 12 then Ctrl-D (twice) was graded as "1": input() drops
    the last character of a line that ends without a newline. The line is read whole (with
    the line editor, Ctrl-D inside a line deletes the character under the cursor, none at
    its end, and ends nothing, as in bash: Enter ends it); Ctrl-D on an empty line still ends
    the quiz."""
    import os

    import helpers as h

    env = {**os.environ, "NO_COLOR": "1", "PYTHONIOENCODING": "utf-8"}
    args = ("quiz", "--topic", "gd", "--count", "1", "--seed", "3", "--today", "2026-02-15")
    with h.in_a_pty(env, *args) as (_, fd):
        h.read_until(fd, "answer ›".encode())
        os.write(fd, b"12\x04\x04\r")
        screen = h.read_until(fd, b"you said")
        if b")" not in screen.split(b"you said")[-1]:
            screen += h.read_until(fd, b")")
        assert b"you said 12)" in screen, screen[-300:]
    with h.in_a_pty(env, *args) as (_, fd):
        h.read_until(fd, "answer ›".encode())
        os.write(fd, b"\x04")
        assert b"Input ended" in h.read_until(fd, b"Input ended")


def test_a_typed_answer_is_edited_with_the_arrow_keys_home_and_end_at_a_terminal() -> None:
    """Found in tmux: at a terminal, 44 then Left (to fix a digit) was refused as
    "'44\\x1b[D' is not a number", and Home, End and the other arrows put their escape codes
    into the answer: the line was read in the terminal's cooked mode, which edits with
    Backspace only. The line is read with a line editor, as a shell's is: 2,
    Home, 1, End, 4, Left, Left, 3 is the answer 1324. The line is drawn at the terminal's
    width, not at a COLUMNS left in the environment (12 here: it would scroll "1324" away)."""
    import os

    import helpers as h

    env = {**os.environ, "NO_COLOR": "1", "PYTHONIOENCODING": "utf-8", "TERM": "xterm"}
    args = ("quiz", "--topic", "gd", "--count", "1", "--seed", "3", "--today", "2026-02-15")
    with h.in_a_pty({**env, "COLUMNS": "12"}, *args) as (_, fd):
        h.read_until(fd, "answer ›".encode())
        os.write(fd, b"2\x1b[H1\x1b[F4\x1b[D\x1b[D3")
        h.read_until(fd, "answer › 1324".encode())
    with h.in_a_pty(env, *args) as (_, fd):
        h.read_until(fd, "answer ›".encode())
        os.write(fd, b"2\x1b[H1\x1b[F4\x1b[D\x1b[D3\r")
        screen = h.read_until(fd, b"you said")
        if b")" not in screen.split(b"you said")[-1]:
            screen += h.read_until(fd, b")")
        assert b"you said 1324)" in screen, screen[-300:]


def test_a_typed_answer_after_ctrl_z_and_fg_is_edited_again_with_its_text_kept() -> None:
    """After Ctrl-Z and `fg` the shell has put the terminal back to whole lines, echoed: the
    line being typed comes back on a new prompt with its text (12), in the line editor's own
    mode (keys read alone, not echoed: Left moves the cursor), so 3, Left, 4 is 1243."""
    import os

    import helpers as h

    env = {**os.environ, "NO_COLOR": "1", "PYTHONIOENCODING": "utf-8", "TERM": "xterm"}
    args = ("quiz", "--topic", "gd", "--count", "1", "--seed", "3", "--today", "2026-02-15")
    with h.in_a_pty(env, *args) as (pid, fd):
        h.read_until(fd, "answer ›".encode())
        os.write(fd, b"12")
        h.read_until(fd, b"12")
        h.stopped_and_resumed(pid, fd)  # Ctrl-Z, then fg
        h.read_until(fd, "answer › 12".encode(), timeout=10)
        h.waiting_for_a_key(fd, timeout=10)
        os.write(fd, b"3\x1b[D4\r")
        screen = h.read_until(fd, b"you said")
        if b")" not in screen.split(b"you said")[-1]:
            screen += h.read_until(fd, b")")
        assert b"you said 1243)" in screen, screen[-300:]


FAMILY = "👨\u200d👩\u200d👧\u200d👦"


@pytest.mark.parametrize(
    ("keys", "line", "cursor"),
    [
        (["a", "b", "c", "Left", "Left", "x"], "axbc", 2),
        (["a", "b", "Home", "\x7f", "Delete"], "b", 0),  # Backspace at the start: nothing
        (["a", "b", "c", "\x01", "\x04", "\x05", "d"], "bcd", 3),  # Ctrl-A, Ctrl-D, Ctrl-E
        (["x", " ", "y", "y", " ", " ", "\x17"], "x ", 2),  # Ctrl-W: the word and its spaces
        (["a", "b", "c", "Left", "\x15"], "c", 0),  # Ctrl-U
        (["a", "b", "c", "Home", "Right", "\x0b"], "a", 1),  # Ctrl-K
        (["日", "本", "Left", "é", "Up", "F5", "Esc", "\x07"], "日é本", 2),  # others: nothing
        # a grapheme cluster is one character: an emoji family (joined by U+200D, which was
        # dropped), a letter and its combining accent; moved over, deleted whole
        (["a", *FAMILY, "b", "Left", "Left"], f"a{FAMILY}b", 1),
        (["a", *"👨\u200d👩\u200d👧", "\x7f"], "a", 1),
        (["e", "\u0301", "x", "Left", "Left", "\x04"], "x", 0),
        (["x", "Left", *"❤\ufe0f"], "❤\ufe0fx", 1),
    ],
)
def test_the_line_editors_keys(keys: list[str], line: str, cursor: int) -> None:
    from dlcards.terminal import LineEditor

    editor = LineEditor("answer › ")
    for key in keys:
        editor.act(key)
    assert ("".join(editor.chars), editor.cursor) == (line, cursor)


def test_the_line_editor_measures_a_family_emoji_as_the_terminal_draws_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A family emoji (four emoji joined by U+200D) typed at the answer prompt was measured
    as 8 cells, each emoji apart, and the cursor moved back 8 over a 2-cell glyph."""
    import io
    import sys

    from dlcards.terminal import LineEditor

    screen = io.StringIO()
    monkeypatch.setattr(sys, "stdout", screen)
    editor = LineEditor("› ")
    for key in ["a", *"👨\u200d👩\u200d👧\u200d👦", "b", "Left", "Left"]:
        editor.act(key)
    editor.draw()
    drawn = screen.getvalue()
    assert drawn.endswith("\r› a👨\u200d👩\u200d👧\u200d👦b\x1b[K\x1b[3D"), repr(drawn)


def test_a_paste_into_the_answer_is_one_insertion_and_ends_no_line() -> None:
    """A UX run (ui10): a paste into the answer line came key by key, unmarked (the terminal
    was not asked to mark pastes there), so a pasted newline ended the answer unseen, and a
    paste of 4,500 characters took 25 s to appear. The terminal is asked to mark pastes; a
    marked one goes in at once, its line break a space: 1 and a newline pasted, Backspace,
    then 3 and Enter is the answer 13."""
    import os

    import helpers as h

    env = {**os.environ, "NO_COLOR": "1", "PYTHONIOENCODING": "utf-8", "TERM": "xterm"}
    args = ("quiz", "--topic", "gd", "--count", "1", "--seed", "3", "--today", "2026-02-15")
    with h.in_a_pty(env, *args) as (_, fd):
        asked = h.read_until(fd, "answer ›".encode())
        assert b"\x1b[?2004h" in asked, asked[-300:]  # pastes marked, as bash asks
        os.write(fd, b"\x1b[200~1\n\x1b[201~")
        h.read_until(fd, "answer › 1 ".encode(), timeout=10)
        os.write(fd, b"\x7f3\r")
        screen = h.read_until(fd, b"you said")
        if b")" not in screen.split(b"you said")[-1]:
            screen += h.read_until(fd, b")")
        assert b"you said 13)" in screen, screen[-300:]


def test_a_long_line_is_typed_and_drawn_in_time_linear_in_its_length(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Each key made the whole line's grapheme clusters again, and each draw measured the
    line before the cursor once per character scrolled past: 4,500 characters typed or
    pasted (unmarked, a key at a time) took 25 s. The characters looked at per key are now
    a few, whatever the line's length, and a draw measures about the row it shows."""
    import io
    import os
    import sys

    from rich import cells

    from dlcards import terminal
    from dlcards.terminal import LineEditor

    clustered: list[int] = []
    real_clusters = terminal._clusters

    def counting_clusters(text: str) -> list[str]:
        clustered.append(len(text))
        return real_clusters(text)

    monkeypatch.setattr(terminal, "_clusters", counting_clusters)
    text = "1234567890 abc " * 300
    editor = LineEditor("answer › ")
    for key in text:
        editor.act(key)
    assert ("".join(editor.chars), editor.cursor) == (text, len(text))
    assert sum(clustered) < 4 * len(text), sum(clustered)  # was ~len(text)²/2
    measured: list[int] = []
    real_len = cells.cell_len

    def counting_len(text: str, *args: object) -> int:
        measured.append(len(text))
        return real_len(text)

    monkeypatch.setattr(cells, "cell_len", counting_len)
    monkeypatch.setattr(sys, "stdout", io.StringIO())
    monkeypatch.setattr(os, "get_terminal_size", lambda fd: os.terminal_size((80, 24)))
    editor.draw()  # the first draw of the whole line: from the first character shown, 0
    assert sum(measured) < 20 * 80, sum(measured)  # was ~len(text)²/2
    assert sys.stdout.getvalue().startswith("\ranswer › ")
    pasted = LineEditor("answer › ")
    pasted.insert("0.5\r\n\t\x07x")  # line breaks and a tab as spaces, a bell left out
    assert ("".join(pasted.chars), pasted.cursor) == ("0.5  x", 6)


def test_a_resize_while_an_answer_is_typed_draws_the_question_again() -> None:
    """Found in tmux: narrowing the terminal while typing an answer left the question panel
    as drawn at the old width (its lines cut and wrapped by the terminal), and after Ctrl-Z
    and `fg` the question was gone under the shell's lines, while `study` draws its screen
    again. The question, its hint and the line typed so far are drawn again at the new
    width."""
    import os

    import helpers as h

    env = {**os.environ, "NO_COLOR": "1", "PYTHONIOENCODING": "utf-8", "TERM": "xterm"}
    env.pop("COLUMNS", None)
    args = ("quiz", "--topic", "gd", "--count", "1", "--seed", "3", "--today", "2026-02-15")
    with h.in_a_pty(env, *args, columns=100) as (_, fd):
        h.read_until(fd, "answer ›".encode())
        os.write(fd, b"12")
        h.read_until(fd, b"12")
        h.window(fd, 40, 70)  # SIGWINCH
        again = h.read_until(fd, "answer › 12".encode(), timeout=10).decode(errors="replace")
        screen = again.split("\x1b[2J")[-1]  # cleared, then drawn at 70 columns
        assert "\x1b[2J" in again and "mini-batch" in screen, again[-400:]
        blank = "│" + " " * 68 + "│"  # the panel's padding line, 70 wide
        assert blank in screen.splitlines(), screen
        os.write(fd, b"\r")
        said = h.read_until(fd, b"you said")
        if b")" not in said.split(b"you said")[-1]:
            said += h.read_until(fd, b")")
        assert b"you said 12)" in said


def test_the_median_quiz_says_which_median_an_even_count_has(cards: dict[str, Card]) -> None:
    """robust-i11 adds a sixth value and asks how far the median moves: any value between
    the middle two minimizes MAE and torch.median takes the lower one, so 1..5 with 1,000
    added moves it 0 by that convention and 0.5 by the midpoint the answer uses. The
    question says which before it is answered."""
    question = typed_question(cards["robust-i11"], random.Random(0))
    assert question is not None
    assert "the median is halfway between the two middle ones" in question.prompt


# What a template's answer rests on besides its numbers: where the field has more than one
# convention, a learner who follows the other one is marked wrong unless the prompt says which.
STATED_CONVENTIONS: dict[str, tuple[str, ...]] = {
    # Huber (1964) and PyTorch: ½e² and δ(|e| − ½δ); Hastie et al. §10.6 doubles both pieces
    "huber": (r"½e²", r"δ\(\|e\| − ½δ\)"),
    "huber_grad": (r"½e²", r"δ\(\|e\| − ½δ\)"),
    # a cost, and the gradient a mini-batch steps along, are also often the sum
    "mean_loss": (r"\bmean\b|\baverage\b|\(1/N\)",),
    "minibatch_step": (r"\bmean\b|\baverage\b|\(1/m\)",),
    # log base; which entry is class 1
    "bce": (r"natural log",),
    "cce": (r"natural log", r"0-based"),
    "cce_grad_logit": (r"0-based",),
    # ∂L/∂z names a z the prompt has to define
    "bce_grad_logit": (r"σ\(z\)",),
}


@pytest.mark.parametrize("fn", sorted(STATED_CONVENTIONS))
def test_a_template_states_the_convention_its_answer_rests_on(
    cards: dict[str, Card], fn: str
) -> None:
    """robust-i9 asked 'Huber loss with δ = 1: what is the loss for an error of 17.5?' and
    wanted 17 (½e², δ(|e| − ½δ)); with Hastie et al.'s Huber, e² and 2δ|e| − δ², it is 34.
    loss-g2 asked for 'the cost of the batch' and wanted the mean, not the sum."""
    templated = [c for c in cards.values() if c.quiz and c.compute[c.quiz.answer].fn == fn]
    assert templated, fn
    for card in templated:
        assert card.quiz is not None
        for pattern in STATED_CONVENTIONS[fn]:
            assert re.search(pattern, card.quiz.template), (card.id, pattern)


def test_a_product_over_layers_asks_for_it_after_all_of_them(cards: dict[str, Card]) -> None:
    """vgp-10 asked "Backpropagating through 10 layers, each multiplies the gradient by 0.9.
    What factor has the gradient been multiplied by at the first layer?" and wanted 0.9¹⁰:
    arriving at the first layer the gradient has passed the nine layers after it, so 0.9⁹ is
    as good a reading. A template that multiplies one factor per layer asks for the product
    after all of them, as many as it multiplies."""
    products = [
        c
        for c in cards.values()
        if c.quiz
        and c.compute[c.quiz.answer].fn in ("chain_product", "vanishing_product")
        and "layers" in c.quiz.template
    ]
    assert {c.id for c in products} >= {"vgp-1", "vgp-10"}
    for card in products:
        question = typed_question(card, random.Random(0))
        assert question is not None and question.result is not None
        args = question.result.args  # chain_product's factors, or vanishing_product's layers
        count = len(args["factors"]) if isinstance(args.get("factors"), list) else args["layers"]
        assert f"after all {count} layers?" in question.prompt, question.prompt
        assert "first layer" not in question.prompt, question.prompt


def test_a_perceptron_step_prompt_says_where_the_bias_is(cards: dict[str, Card]) -> None:
    """perceptron-8 and -9 said "bias folded into w" and then gave x = [−2, −1]: with the
    bias folded in, x carries a constant input 1 (perceptron-26's bias trick), so the prompt
    contradicted itself; the step has no bias at all. A perceptron-step prompt either says
    there is no bias or shows the constant input."""
    steps = [
        c for c in cards.values() if c.quiz and c.compute[c.quiz.answer].fn == "perceptron_update"
    ]
    assert steps
    for card in steps:
        assert card.quiz is not None
        for seed in range(5):
            prompt = fill(card.quiz.template, draw_params(card.quiz, random.Random(seed)))
            assert "no bias" in prompt or re.search(r"x = \[1, ", prompt), (card.id, prompt)
            assert "folded" not in prompt or re.search(r"x = \[1, ", prompt), (card.id, prompt)


def test_an_answer_that_also_answers_the_question_is_not_a_wrong_option(
    cards: dict[str, Card],
) -> None:
    """`quiz --mode choice --seed 3` on backprop-10 ("the slope is positive: will you increase or
    decrease the weight, and why?") offered backprop-9's answer ("A positive gradient leads to a
    negative update (decreasing the weight). ...") as option 3 and marked it wrong. The same
    held for backprop-11 (a negative gradient: backprop-9's answer says the weight increases),
    robust-i8 (an outlier's effect on the MSE fit: robust-2's answer says it forces the model
    to distort its fit), vgp-1 (define the VGP and its cause: vgp-10's answer does) and robust-2
    (why MSE is not robust: robust-3's answer, 'MSE's penalty is 10 times larger, explaining why
    it's so sensitive to extreme points')."""
    right_too = {
        "backprop-10": "backprop-9",
        "backprop-11": "backprop-9",
        "robust-i8": "robust-2",
        "vgp-1": "vgp-10",
        "robust-2": "robust-3",
    }
    pool = list(cards.values())
    for card_id, other in right_too.items():
        for seed in range(40):
            question = choice_question(cards[card_id], pool, random.Random(seed))
            assert question is not None
            assert cards[other].answer not in question.options, (card_id, other, seed)
    args = ("--mode", "choice", "-n", "1", "--seed", "3", "-s", '"slope (gradient) is positive"')
    out = quiz(["q"], *args)
    assert "backprop-10" in out and "multiple choice" in out
    assert "elegantly self-correcting" not in out


@pytest.mark.parametrize("kind", ["typed", "self"])
def test_a_line_typed_in_a_quiz_is_shown_as_typed_never_read_as_markup(kind: str) -> None:
    """`[/b]` typed at a quiz's prompt was taken for rich markup: a MarkupError traceback (exit
    1) in the line that says what to type; `[b]x` lost its `[b]`."""
    seed = next(s for s in range(100) if expected_quiz(["vgp"], s)[0].kind == kind)
    out = quiz(["[/b]", "[b]x", "q"], "--topic", "vgp", "--seed", str(seed))
    assert "? '[/b]'" in out and "? '[b]x'" in out, out


def test_a_search_that_finds_nothing_to_quiz_on_is_named_as_typed() -> None:
    """`quiz --search 'zzzqqq [/b]'` ended in rich's MarkupError traceback: the query was
    read as markup in the line saying it found nothing."""
    result = runner.invoke(app, ["quiz", "--search", "zzzqqq [/b]"], input="")
    assert result.exit_code == 0, result.output
    assert result.output == "No cards to quiz on: the search 'zzzqqq [/b]' found none.\n"


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["--tag", "leech"], "no card has the tag 'leech'."),
        (["--topic", "loss", "--topic", "gd", "--tag", "leech"], "no card in loss, gd has the tag"),
        (
            ["--search", "sigmoid", "--tag", "leech"],
            "no card the search finds has the tag 'leech'.",
        ),
    ],
)
def test_a_tag_no_card_to_quiz_on_has_is_named(args: list[str], said: str) -> None:
    """Found in a terminal: `quiz --tag leech` with no leech yet said only "No cards to quiz
    on.", where `study --tag leech` says no card has the tag; the quiz says so too."""
    result = runner.invoke(app, ["quiz", *args], input="")
    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"No cards to quiz on: {said}"), result.output


def test_a_typed_question_fits_a_small_terminal_and_scrolls_with_the_arrows() -> None:
    """Found in tmux at 40x12: a typed question was printed whole (heading, card, hint and
    the answer's line: 16 rows), so the heading and the question's first lines, its numbers
    with them, scrolled off the top before the answer could be typed. It is drawn as study
    draws a card: the screen fits the terminal, the question from its top, and the arrow keys
    scroll it (j and k are letters of the answer); the answer is then typed as before. And
    the feedback after it is on screen: at 12 rows the question was too tall to stay pinned
    above it, and the screen meant to open at the feedback opened on the question's lines
    again (its offset counted the pinned lines the pager then dropped)."""
    import os
    import re

    import helpers as h

    env = {**os.environ, "NO_COLOR": "1", "PYTHONIOENCODING": "utf-8", "TERM": "xterm"}
    env.pop("COLUMNS", None)
    env.pop("LINES", None)
    args = ("quiz", "--topic", "gd", "--count", "1", "--seed", "3", "--today", "2026-02-15")

    def last_screen(seen: bytes) -> list[str]:
        shown = seen.decode(errors="replace").split("\x1b[2J")[-1]
        shown = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", shown)
        return shown.replace("\r", "").split("\n")

    with h.in_a_pty(env, *args, rows=12, columns=40) as (_, fd):
        lines = last_screen(h.read_until(fd, "answer ›".encode()))
        assert len(lines) <= 12, lines  # the answer's row is the last: nothing scrolled away
        assert lines[0].startswith("Gradient Descent"), lines
        assert any(line.startswith("╭─ gd-20") for line in lines), lines
        assert "A mini-batch of m = 4" in "\n".join(lines), lines
        assert any("↓ more" in line for line in lines), lines
        os.write(fd, b"\x1b[B")  # Down: the question scrolls, its top goes
        lines = last_screen(h.read_until(fd, "↑ back".encode()))
        assert len(lines) <= 12, lines
        assert not any(line.startswith("╭─ gd-20") for line in lines), lines
        os.write(fd, b"0.625\r")  # 0.9 - 0.5 * (1.7 + 1.4 - 1.2 + 0.3) / 4
        h.read_until(fd, "✓ correct".encode())


def test_the_keys_a_typed_questions_hint_names_act_at_once() -> None:
    """Found in tmux: under `answer ›` the hint says `[s] show the answer · [q] quit`, keys as
    study's hints name them, but `s` went into the answer's line and nothing happened until
    Enter (a learner pressing `q` to leave, then Enter, had `q` plus whatever came next read
    as an answer). On an empty line they act at once; in an answer they are letters."""
    import os

    import helpers as h

    env = {**os.environ, "NO_COLOR": "1", "PYTHONIOENCODING": "utf-8", "TERM": "xterm"}
    env.pop("COLUMNS", None)
    env.pop("LINES", None)
    args = ("quiz", "--topic", "gd", "--count", "1", "--seed", "3", "--today", "2026-02-15")
    with h.in_a_pty(env, *args, rows=30, columns=80) as (_, fd):
        assert b"[s] show the answer" in h.read_until(fd, "answer ›".encode())
        os.write(fd, b"s")
        h.read_until(fd, b"the answer is", timeout=10)
    with h.in_a_pty(env, *args, rows=30, columns=80) as (_, fd):
        h.read_until(fd, "answer ›".encode())
        os.write(fd, b"1")
        h.read_until(fd, b"1")
        os.write(fd, b"q")  # a letter of the answer now, not a command
        os.write(fd, b"\x15")  # Ctrl-U: the line empty again
        os.write(fd, b"q")
        h.read_until(fd, b"Stopped.", timeout=10)


def test_a_typed_question_in_a_dumb_terminal_is_printed_whole() -> None:
    """Under TERM=dumb the answer is read in the terminal's own line mode, where no arrow key
    reaches dlcards (and the screen is never cleared): a typed question is printed whole,
    not cut to the terminal's height under a `↓ more` no key could act on."""
    import os

    import helpers as h

    env = {**os.environ, "NO_COLOR": "1", "PYTHONIOENCODING": "utf-8", "TERM": "dumb"}
    env.pop("COLUMNS", None)
    env.pop("LINES", None)
    args = ("quiz", "--topic", "gd", "--count", "1", "--seed", "3", "--today", "2026-02-15")
    with h.in_a_pty(env, *args, rows=12, columns=40) as (_, fd):
        seen = h.read_until(fd, "answer ›".encode()).decode(errors="replace")
        os.write(fd, b"q\r")
    assert "W_new?" in seen and "more" not in seen, seen


# --- fresh numbers worth answering: no card answers 0 (or a number it gives) for free -------
#
# A colleague drew 300 questions per card with seed 1: perceptron-3 answered 0 in 56% of
# them, perceptron-30 [0, 0] in 51%, perceptron-24 44%, robust-i11 21%, backprop-31 13%
# ("∂z/∂w = 0"), robust-3 asked for "an error of 0": typing 0 scored well and taught nothing.
# The share each card may ask its trivial case is decided here, per card, from its lesson.

TRIVIAL_DRAWS = 300
TRIVIAL_AT_MOST = {
    "perceptron-3": 0.25,  # the loss is 0 on the correct side: that case sometimes
    "perceptron-22": 0.15,  # L = 0 when every point is on its side
    "perceptron-24": 0.25,  # hinge 0 beyond the margin
    "perceptron-30": 0.25,  # [0, 0] on the correct side
    "robust-i11": 0.15,  # a median that does not move
    # the gradient is e or ±δ by definition, each "a number the question gives" but −δ: its
    # two branches (|e| ≤ δ, |e| > δ) are held about even by
    # test_huber_s_gradient_asks_the_capped_branch_about_half_the_time
    "robust-i3": 1.0,
}
# Cards whose answer is a branch of a definition (0 or 1; ŷ or ŷ − 1): every branch is asked,
# none in more than 70% of the questions, so no one answer wins most of them.
BRANCHES = {"vgp-8", "bce-21"}


def _trivially(value: object, params: Params) -> bool:
    """0, all 0, or a number the question gives: written here, not the quiz's own rule."""
    if isinstance(value, list):
        return all(v == 0 for v in value)
    given = [float(v) for v in params.values() if type(v) in (int, float)]
    return value == 0 or float(value) in given  # type: ignore[arg-type]


@pytest.mark.parametrize("card_id", sorted(TEMPLATE_CHECKS))
def test_fresh_numbers_ask_something_worth_answering(cards: dict[str, Card], card_id: str) -> None:
    card = cards[card_id]
    assert card.quiz is not None
    block = card.compute[card.quiz.answer]
    rng = random.Random(1)
    trivial = 0
    for i in range(TRIVIAL_DRAWS):
        question = typed_question(card, rng)
        assert question is not None and question.result is not None, (card_id, i)
        value = question.result.value
        where = f"{card_id} draw {i}: {question.prompt}"
        entries = value if isinstance(value, list) else [value]
        assert all(math.isfinite(v) for v in entries), where  # well-defined: no NaN, no ∞
        # the answer shown is the engine's for the numbers shown, and the formula's
        again = engine.run(block.fn, engine_args(card, question.params)).value
        assert again == value and question.expected == show(again), where
        expected = TEMPLATE_CHECKS[card_id](dict(question.params), question.prompt)
        assert value == pytest.approx(expected, rel=1e-9, abs=1e-12), where
        trivial += _trivially(value, dict(question.params))
    share = trivial / TRIVIAL_DRAWS
    if card_id in BRANCHES:  # both kinds of answer asked, neither most of the time
        assert 0.3 <= share <= 0.7, (card_id, share)
    else:
        assert share <= TRIVIAL_AT_MOST.get(card_id, 0.0), (card_id, share)


# --- the perceptron's "nothing changes" case: asked, in the share its card sets ------------
#
# perceptron-8 and -9 drew a point the weights already classify correctly (w unchanged) in
# 48% and 50% of 500 draws (`bench/quiz_draws.py`, column same%): half the quiz asked "nothing
# changes". Their decks set `unchanged_share: 0.2`; both cases must still be asked.


@pytest.mark.parametrize(("card_id", "y"), [("perceptron-8", 1), ("perceptron-9", -1)])
def test_the_perceptron_step_asks_an_unchanged_w_in_about_one_question_in_five(
    cards: dict[str, Card], card_id: str, y: int
) -> None:
    card = cards[card_id]
    rng = random.Random(7)
    unchanged = 0
    for _ in range(TRIVIAL_DRAWS):
        q = typed_question(card, rng)
        assert q is not None and q.result is not None
        p = dict(q.params)
        w, x = [_n(p, "w1"), _n(p, "w2")], [_n(p, "x1"), _n(p, "x2")]
        correct = y * (w[0] * x[0] + w[1] * x[1]) > 0  # the rule, written here
        assert q.result.value == pytest.approx(_update(p, y))
        unchanged += correct
    assert 0.12 <= unchanged / TRIVIAL_DRAWS <= 0.28, (card_id, unchanged)


def test_an_unchanged_share_is_read_checked_and_kept_by_the_cache(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from dlcards.catalog import _deck_from_json, _deck_to_json

    deck = parse_deck(PERCEPTRON_STEP_DECK.format(share="0.25"), "d.yaml")
    quiz = deck.cards[0].quiz
    assert quiz is not None and quiz.unchanged_share == 0.25
    unset = PERCEPTRON_STEP_DECK.format(share="0").replace("    unchanged_share: 0\n", "")
    assert parse_deck(unset, "d.yaml").cards[0].quiz.unchanged_share is None  # type: ignore[union-attr]
    data = json.loads(json.dumps(_deck_to_json(deck, tmp_path / "d.yaml", "s")))
    assert _deck_from_json(data, "d.yaml", "s").cards[0].quiz == quiz
    for bad in ("1.5", "-0.1", ".nan", "often"):
        with pytest.raises(DeckError, match=r"d\.yaml:\d+: .*unchanged_share must be a number"):
            parse_deck(PERCEPTRON_STEP_DECK.format(share=bad), "d.yaml")


def test_an_unchanged_share_no_draw_can_keep_is_reported_by_check() -> None:
    """w and x both positive, y = +1: every point is on its correct side and leaves w as it
    is, so no share below 1 can be kept."""
    text = PERCEPTRON_STEP_DECK.format(share="0.2").replace("x1: [-3, 3]", "x1: [1, 3]")
    assert not [p for p in template_problems(parse_deck(text, "d.yaml").cards[0]) if "unch" in p]
    stuck = text.replace("x2: [-3, 3]", "x2: [1, 3]").replace("y: {choices: [1, -1]}", "y: [1, 1]")
    stuck = stuck.replace("w1: [-2, 2]", "w1: [1, 2]").replace("w2: [-2, 2]", "w2: [1, 2]")
    assert [p for p in template_problems(parse_deck(stuck, "d.yaml").cards[0]) if "unch" in p] == [
        "quiz: all of 25 draws leave a given vector unchanged, so unchanged_share: 0.2 cannot "
        "be kept; choose ranges that reach both cases"
    ]


def test_a_template_that_only_draws_degenerate_questions_is_reported_by_check() -> None:
    """x = [0, 0] moves no w whatever the label (`quiz.ill_posed`): such a draw is never
    asked, so a template that draws nothing else asks no typed question at all."""
    text = PERCEPTRON_STEP_DECK.format(share="0.2")
    stuck = text.replace("x1: [-3, 3]", "x1: [0, 0]").replace("x2: [-3, 3]", "x2: [0, 0]")
    card = parse_deck(stuck, "d.yaml").cards[0]
    assert template_problems(card) == [
        "quiz: all 25 draws ask a degenerate question (x = [0, 0]: w + η·y·x is w whatever the "
        "label); choose ranges that reach others"
    ]
    assert typed_question(card, random.Random(0)) is None  # self-graded
    assert not template_problems(parse_deck(text, "d.yaml").cards[0])


def test_a_degenerate_draw_is_named_in_its_dimension_and_in_the_decimals_shown() -> None:
    """0.1 + 0.2 − 0.3 is 5.55 × 10⁻¹⁷ in floats: the point [1, 1] with w = [0.1, 0.2] and
    b = −0.3 is on the boundary as the learner reads it, and so at the loss's kink."""
    from dlcards.quiz import ill_posed

    def said(fn: str, args: dict[str, object]) -> str | None:
        return ill_posed(engine.run(fn, args))

    step = {"w": [1, -1, 2], "x": [0, 0, 0], "y": 1, "eta": 0.5}
    assert said("perceptron_update", step) == ("x = [0, 0, 0]: w + η·y·x is w whatever the label")
    assert said("perceptron_update", {**step, "x": [0, 0, 1]}) is None
    kink = {"w": [0.1, 0.2], "x": [1, 1], "b": -0.3, "y": -1}
    assert said("perceptron_subgradient", kink) == (
        "the point is on the boundary, the loss's kink: no one subgradient"
    )
    assert said("perceptron_subgradient", {**kink, "b": -0.4}) is None
    assert said("perceptron_subgradient", {**kink, "x": [0, 0]}) == (
        "x = [0, 0]: ∂L/∂w is [0, 0] on either side"
    )
    points = {"w": [1, 1, 1], "b": 0, "xs": [1, 2, 3, 0, 0, 0, 1, 2, 3], "ys": [1, -1, -1]}
    assert said("perceptron_total_loss", points) == "a point twice in the dataset"
    assert said("perceptron_total_loss", {**points, "xs": [1, 2, 3, 0, 0, 0, 3, 2, 1]}) is None
    assert said("perceptron_loss", {"w": [1, 1], "b": 0, "x": [0, 0], "y": 1}) is None


PERCEPTRON_STEP_DECK = """\
topic: t
title: T
cards:
- id: t-1
  question: q
  answer: a
  tags: [math]
  compute:
  - {{fn: perceptron_update, args: {{w: [1, 1], x: [1, 1], y: 1, eta: 1}}}}
  quiz:
    unchanged_share: {share}
    template: "w = [{{w1}}, {{w2}}], x = [{{x1}}, {{x2}}], y = {{y}}: w after?"
    params:
      w1: [-2, 2]
      w2: [-2, 2]
      x1: [-3, 3]
      x2: [-3, 3]
      y: {{choices: [1, -1]}}
    args: {{w: ["{{w1}}", "{{w2}}"], x: ["{{x1}}", "{{x2}}"]}}
"""


def test_huber_s_gradient_asks_the_capped_branch_about_half_the_time(
    cards: dict[str, Card],
) -> None:
    """robust-i3 drew errors in ±6 for δ of 0.5 to 3: 70% of its questions had |e| > δ, whose
    answer is ±δ (the gradient clipped), so answering ±δ won most of them. Errors in ±3.5
    ask the two branches about evenly; both are asked."""
    rng = random.Random(5)
    capped = 0
    for _ in range(TRIVIAL_DRAWS):
        q = typed_question(cards["robust-i3"], rng)
        assert q is not None and q.result is not None
        e, delta = _n(dict(q.params), "error"), _n(dict(q.params), "delta")
        assert q.result.value == (max(-delta, min(delta, e)))  # the gradient, by hand
        capped += abs(e) > delta
    assert 0.35 <= capped / TRIVIAL_DRAWS <= 0.6, capped


def test_a_decimal_comma_before_three_digits_is_not_graded_wrong() -> None:
    """Found in a quiz: Huber loss of 4.875 typed as "4,875" (a decimal comma) was read as the
    thousands grouping 4875 and marked wrong ("the answer is 4.875 (you said 4,875)"), where
    "0,625" and "12,5" were refused with the point to write. A grouping whose decimal reading
    is the answer is refused the same way, not graded; "5,000" for 5000 still passes."""
    q = next(q for q in expected_quiz(["robust"], 3, count=4) if q.kind == "typed")
    assert q.result is not None and isinstance(q.result.value, float)
    value = q.result.value
    assert 1 <= abs(value) < 1000 and round(value, 3) == value  # three decimals, by hand below
    whole, decimals = f"{value:.3f}".split(".")
    comma = f"{whole},{decimals}"  # 4.875 -> "4,875"
    out = quiz([comma, "q"], "--topic", "robust", "--seed", "3", "--count", "4")
    assert f"write the decimal point as a point ({whole}.{decimals})" in out
    assert "you said" not in out and "✗" not in out
    # a grouping read as thousands is still a number, and still graded
    assert parse_number(comma) == int(whole + decimals)


@pytest.mark.parametrize("width", [40, 60])
def test_a_typed_answer_that_is_not_a_number_is_said_under_itself_in_a_terminal(
    monkeypatch: pytest.MonkeyPatch, width: int
) -> None:
    """In a terminal at 40 columns the complaint about a typed answer that is no number began
    its second line at the margin (`? 'abc' is not a number; write e.g.` / `0.25, 1/4, ...`),
    under the hint's words, where the same complaint through a pipe (`echo`) stands its
    lines under its first words. Drawn on the question's screen, it is laid out as `echo`
    lays it out."""
    import io
    from datetime import date, datetime, timezone

    from rich.console import Console

    from dlcards.commands import quiz as quiz_screen
    from dlcards.stdio import hanging
    from dlcards.store import Store

    monkeypatch.setattr(quiz_screen, "line_editing", lambda: True)  # its own screen, as a tty's
    catalog = load_catalog()
    card = catalog.card("backprop-15")
    question = typed_question(card, random.Random(2))
    assert question is not None
    screen = io.StringIO()
    console = Console(
        file=screen, width=width, height=30, force_terminal=True, color_system=None,
        legacy_windows=False, highlight=False,
    )  # fmt: skip
    keys = quiz_screen.TerminalKeys(console)
    keys.read_key = iter(" ").__next__
    typed = iter(["abc", "12345"])

    def line(prompt: str, redraw: Callable[[], None] | None = None, scroll: object = None) -> str:
        return next(typed)

    keys.line = line  # type: ignore[method-assign]
    with Store.open() as store:
        store.sync(catalog.cards, "quiz", datetime(2026, 11, 26, 9, tzinfo=timezone.utc))
        session = store.start_session(
            "quiz", date(2026, 11, 26), datetime(2026, 11, 26, 9, tzinfo=timezone.utc)
        )
        titles = {card.topic: catalog.topic_titles()[card.topic]}
        quiz_screen._run([question], titles, keys, console, store, session, [], 2)
    said = next(frame for frame in screen.getvalue().split("\x1b[2J\x1b[H") if "? 'abc'" in frame)
    lines = [line.rstrip() for line in said.splitlines()]
    start = next(i for i, text in enumerate(lines) if text.startswith("? 'abc'"))
    from dlcards.quiz import AnswerError, check_typed

    with pytest.raises(AnswerError) as complaint:
        check_typed(question, "abc")
    expected = hanging(f"? {complaint.value}", width)
    assert len(expected) > 1  # the test is of a complaint that wraps
    assert lines[start : start + len(expected)] == [text.rstrip() for text in expected], said


@pytest.mark.parametrize("columns", [60, 100])
def test_the_summary_in_ascii_keeps_each_missed_outcome_whole(
    monkeypatch: pytest.MonkeyPatch, columns: int
) -> None:
    """With LC_ALL=C, in tmux at 60 columns, a missed typed answer was summed up as `-> 5.05
    (you sai...`: its column was measured with `→` as written, one cell, and printed `->`,
    two, so the cut took the last word. Each outcome is now measured as the terminal shows
    it, and is whole."""
    from dlcards.commands.quiz import _summary
    from dlcards.console import out
    from dlcards.quiz import Answered

    typed = [q for q in expected_quiz(["mlp"], 1, count=10) if q.kind == "typed"]
    missed = [Answered(q, False, "5") for q in typed[:2]]
    with h.ascii_terminal(monkeypatch, columns) as raw:
        out().print(_summary(missed, {}))
    shown = re.sub(r"\x1b\[[0-9;]*m", "", raw.getvalue().decode("ascii"))
    flat = " ".join(shown.replace("|", " ").split())
    for a in missed:
        expected = a.question.expected.replace("\u2212", "-")  # the minus sign, in ASCII
        assert f"-> {expected} (you said 5)" in flat, shown


def test_a_long_missed_prompt_keeps_the_question_it_ends_with() -> None:
    """Term's tmux pass: the summary cut a long typed prompt at 100 cells from its start and
    lost the question at its end ("B_new = −5...." without "What is Z_new?"). Now its last
    sentence stays when it takes at most half the room; otherwise it is cut as before."""
    from rich.cells import cell_len

    from dlcards.commands.quiz import cut_prompt
    from dlcards.stdio import cut_mark

    given = ", ".join(f"w{i} = 0.{i}5" for i in range(12))
    prompt = f"A layer has {given}. With B_new = −5.0, what is the step? What is Z_new?"
    cut = cut_prompt(prompt, 100)
    assert cell_len(prompt) > 100 >= cell_len(cut)
    assert cut.startswith("A layer has w0 = 0.05") and cut.endswith(f"{cut_mark()} What is Z_new?")
    assert cut_prompt("What is Z?", 100) == "What is Z?"  # whole when it fits
    long_last = f"A layer. {given} and so on, which is it?"  # a last sentence over half the room
    assert cut_prompt(long_last, 60).endswith(cut_mark())
    assert cell_len(cut_prompt(long_last, 60)) <= 60
