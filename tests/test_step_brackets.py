"""Worked steps put numbers into formulas by one rule (`engine.core.bracketed`): a value next to
an operator is in brackets exactly when it is negative, in scientific notation, or itself an
expression. `0.8·(−0.5)` and `(−2)²`, but `2 − 0.5·1.5` and `10² = 100`, never `0.5·(1.5)`.

The checks read the steps as a learner does, with regular expressions written here from that
rule, not from the engine's helpers: for values drawn at random for every computation, no step
holds a plain non-negative number alone in grouping brackets, and every negative number that
follows an operator, or that a product, quotient or power applies to, is bracketed.
"""

from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dlcards import engine
from dlcards.engine import Param
from dlcards.errors import UsageError

_SUPER = "⁰¹²³⁴⁵⁶⁷⁸⁹⁻"
# `(1.5)`, `(10)`, `(1,000)`: a plain number alone in brackets that are not a function's
# (`σ(2)`, `log(0.8)`, `f'(3)` are calls: the bracket follows a letter or a prime)
BARE_IN_BRACKETS = re.compile(r"(?<![\w'′])\((\d{1,3}(?:,\d{3})*(?:\.\d+)?)\)")
# a negative number, `−0.5` or `−1 × 10⁻⁷`: the minus sign directly before a digit (a binary
# minus has a space after it)
NEGATIVE = re.compile(rf"−\d{{1,3}}(?:,\d{{3}})*(?:\.\d+)?(?: × 10[{_SUPER}]+)?")
BEFORE = set("·×/^√+−")  # an operator the number follows
AFTER = set("·×/²³^")  # an operator that binds the number tighter than its sign


def bare_positive_brackets(step: str) -> list[str]:
    return BARE_IN_BRACKETS.findall(step)


def unbracketed_negatives(step: str) -> list[str]:
    found = []
    for m in NEGATIVE.finditer(step):
        before = step[: m.start()].rstrip()[-1:]
        after = step[m.end() :].lstrip()[:1]
        if before in BEFORE and before or after in AFTER and after:
            found.append(m.group())
    return found


def test_the_checks_catch_what_they_are_for() -> None:
    """Each check fails on the text it is about (the defects a teacher found) and passes the
    rule's own examples, so that a property below cannot hold by reading nothing."""
    assert bare_positive_brackets("2 − 0.5·(1.5) = 1.25") == ["1.5"]
    assert bare_positive_brackets("(1,000) / 2; visit (0,0), (0,1)") == ["1,000"]
    assert bare_positive_brackets("(10)² = 100") == ["10"]
    assert bare_positive_brackets("y·(w·x) = (1)·((−0.5)·3 + (−1)·1)") == ["1"]
    assert bare_positive_brackets("σ(2) = 1 / (1 + e^(−2)); log(0.8); f'(3); 2·(1 − 0.5)") == []
    assert unbracketed_negatives("0.8 × −0.5") == ["−0.5"]
    assert unbracketed_negatives("−2² = 4") == ["−2"]
    assert unbracketed_negatives("1 − −1 × 10⁻⁷") == ["−1 × 10⁻⁷"]
    assert unbracketed_negatives("= −3 + 2 = −1; 0.8 × (−0.5); (−2)² = 4; max(0, −3)") == []


_PLAIN = st.one_of(
    st.integers(-20, 20).map(float),
    st.integers(-2000, 2000).map(lambda k: k / 100),
    st.integers(-999, 999).map(lambda k: k / 1000),
)
_SCI = st.builds(
    lambda m, e, s: s * m * 10.0**e,
    st.integers(1, 9),
    st.sampled_from([-12, -9, -6, -4, 15, 18]),
    st.sampled_from([1, -1]),
)
NUMBER = st.one_of(_PLAIN, _PLAIN, _PLAIN, _SCI)


def _value(p: Param, n: int) -> st.SearchStrategy[object]:
    if p.kind == "choice":
        return st.sampled_from(p.choices)
    if p.check == "sign":
        one = st.sampled_from([1, -1])
        return st.lists(one, min_size=n, max_size=n) if p.kind == "ints" else one
    if p.kind in ("int", "ints"):
        low = 1 if p.check == "positive" else 0 if p.check == "nonnegative" else -50
        one = st.integers(low, 300)
        return st.lists(one, min_size=n, max_size=n) if p.kind == "ints" else one
    one = NUMBER
    if p.check == "probability":
        one = NUMBER.map(lambda v: min(abs(v), 1.0))
    elif p.check == "positive":
        one = NUMBER.map(abs).filter(lambda v: v > 0)
    elif p.check == "nonnegative":
        one = NUMBER.map(abs)
    return st.lists(one, min_size=n, max_size=n) if p.kind == "floats" else one


@st.composite
def arguments(draw: st.DrawFn, name: str) -> dict[str, object]:
    comp = engine.get(name)
    n = draw(st.integers(1, 4))
    args = {p.name: draw(_value(p, n)) for p in comp.params}
    if name in ("cce", "cce_grad_logit"):
        weights = draw(st.lists(st.integers(1, 9), min_size=2, max_size=4))
        args["probs"] = [w / sum(weights) for w in weights]
        args["target"] = draw(st.integers(0, len(weights) - 1))
    if name == "perceptron_total_loss":
        ys = args["ys"]
        assert isinstance(ys, list)
        args["xs"] = draw(st.lists(NUMBER, min_size=n * len(ys), max_size=n * len(ys)))
    if name == "perceptron_train":
        args["epochs"] = draw(st.integers(1, 30))
    return args


@pytest.mark.parametrize("name", sorted(engine.REGISTRY))
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_steps_bracket_a_value_exactly_when_it_needs_it(name: str, data: st.DataObject) -> None:
    args = data.draw(arguments(name))
    try:
        result = engine.run(name, args)
    except UsageError:
        return  # out of range for this computation (an overflow, a sum that is not 1): said so
    for step in result.steps:
        assert not bare_positive_brackets(step), (name, args, step)
        assert not unbracketed_negatives(step), (name, args, step)


def test_the_teachers_examples() -> None:
    """The three steps the colleague found, now written as a textbook writes them."""
    gd = engine.run("gd_step", {"w": 2, "grad": 1.5, "eta": 0.5}).steps
    assert gd[0].startswith("w_new = w − η·∇ = 2 − 0.5·1.5 = 2 − 0.75 = 1.25")
    assert engine.run("mse", {"error": 10}).steps == ("mse(10) = 10² = 100",)
    update = engine.run("perceptron_update", {"w": [-0.5, -1], "x": [3, 1], "y": 1}).steps
    assert update[0] == "y·(w·x) = 1·((−0.5)·3 + (−1)·1) = 1·(−1.5 − 1) = −2.5"
    # and where brackets are needed, they stay
    assert engine.run("mse", {"error": -2}).steps == ("mse(−2) = (−2)² = 4",)
    down = engine.run("gd_step", {"w": 0.8, "grad": -0.5, "eta": 0.1}).steps
    assert down[0].startswith("w_new = w − η·∇ = 0.8 − 0.1·(−0.5) = 0.8 + 0.05")
    assert (
        "(1 × 10⁻⁵)·(|3| − 0.5·(1 × 10⁻⁵))"
        in engine.run("huber", {"error": 3, "delta": 1e-5}).steps[1]
    )
