"""The math engine against PyTorch itself: its functional losses, softmax, autograd, SGD and
DataLoader, in float64. CI does not install torch, so this file is skipped there; the same
cases have torch-free golden values in test_engine.py."""

from __future__ import annotations

import math
from typing import Any

import pytest

from dlcards.engine import fmt, run

torch = pytest.importorskip("torch")
F = torch.nn.functional

pytestmark = pytest.mark.no_files


def value(name: str, **args: Any) -> Any:
    return run(name, args).value


def t(x: Any) -> Any:
    return torch.tensor(x, dtype=torch.float64)


def grad(f: Any, x: float) -> float:
    xt = t(x).requires_grad_()
    f(xt).backward()
    return float(xt.grad)


@pytest.mark.parametrize(
    ("logits", "c"),
    [([1, 2], -745), ([0.134, -9.3855, 2.915, 4.92], -729), ([1, 2, 3], 1000), ([1, -1000], 709)],
)
def test_softmax_shift_is_torch_s_difference(logits: list[float], c: float) -> None:
    z = t(logits)
    difference = float((F.softmax(z, 0) - F.softmax(z + c, 0)).abs().max())
    assert value("softmax_shift", logits=logits, c=c) == pytest.approx(difference, abs=1e-14)


def test_the_activations_slopes_are_autograd_s() -> None:
    """Where torch's own σ(1 − σ) and 1 − tanh² keep their digits: as σ or tanh nears 1
    they cancel (torch's tanh' of 30 is 0, not 3.5 × 10⁻²⁶); the engine's far values are
    held to exp in test_engine.py."""
    for z in [-30.0, -8.5, -1.0, -0.0, 0.0, 0.3, 2.0, 7.25]:
        assert value("sigmoid", z=z) == pytest.approx(float(torch.sigmoid(t(z))), rel=1e-15, abs=0)
        assert value("relu_grad", z=z) == grad(torch.relu, z)  # 0 at the kink, as torch
        if abs(z) <= 8.5:
            tanh_slope = grad(torch.tanh, z)
            assert value("tanh_grad", z=z) == pytest.approx(tanh_slope, rel=1e-9, abs=0)
        if z <= 2:
            sigmoid_slope = grad(torch.sigmoid, z)
            assert value("sigmoid_grad", z=z) == pytest.approx(sigmoid_slope, rel=1e-12, abs=0)


def test_the_losses_are_torch_s() -> None:
    zero = t(0.0)
    for e in [-1234.0, -3.0, -1.0, -0.25, 0.0, 0.5, 1.0, 2.0, 99.5]:
        for delta in [0.5, 1.0, 2.0]:
            torch_huber = float(F.huber_loss(t(e), zero, delta=delta))
            assert value("huber", error=e, delta=delta) == pytest.approx(torch_huber, rel=1e-15)
            slope = grad(lambda x, d=delta: F.huber_loss(x, zero, delta=d), e)
            assert value("huber_grad", error=e, delta=delta) == slope
        assert value("mae_grad", error=e) == grad(lambda x: F.l1_loss(x, zero), e)
        assert value("mse_grad", error=e) == grad(lambda x: F.mse_loss(x, zero), e)
    for y, p in [(1, 0.9), (0, 0.9), (0.1, 0.8), (1, 1e-30), (0.95, 0.999)]:
        torch_bce = float(F.binary_cross_entropy(t(p), t(float(y))))
        assert value("bce", y=y, p=p) == pytest.approx(torch_bce, rel=1e-12)
        logit = math.log(p / (1 - p))
        with_logits = grad(lambda x, y=y: F.binary_cross_entropy_with_logits(x, t(float(y))), logit)
        assert value("bce_grad_logit", y=y, p=p) == pytest.approx(with_logits, abs=1e-12)
        through = grad(lambda x, y=y: F.mse_loss(torch.sigmoid(x), t(float(y))), logit)
        assert value("mse_grad_logit", y=y, p=p) == pytest.approx(through, abs=1e-12)
    probs = [0.1, 0.7, 0.2]
    for target in range(3):
        logits = torch.log(t(probs)).unsqueeze(0).requires_grad_()
        loss = F.cross_entropy(logits, torch.tensor([target]))
        loss.backward()
        assert value("cce", probs=probs, target=target) == pytest.approx(loss.item(), rel=1e-12)
        assert value("cce_grad_logit", probs=probs, target=target) == pytest.approx(
            logits.grad[0].tolist(), abs=1e-15
        )


def test_the_mean_and_median_are_torch_s() -> None:
    """torch.quantile(·, 0.5) interpolates between the two middle values as the engine's
    median does (torch.median takes the lower one)."""
    for values, outlier in [([1, 2, 3, 4, 5], 100), ([0.1, 0.2, 0.3, 0.4], -7.5), ([3], 3.5)]:
        got = value("mean_median_outlier", values=values, outlier=outlier)
        for name, data in (("before", t(values)), ("after", t([*values, outlier]))):
            assert got[f"mean_{name}"] == pytest.approx(float(torch.mean(data)), rel=1e-15)
            median = float(torch.quantile(data, 0.5))
            assert got[f"median_{name}"] == pytest.approx(median, rel=1e-15)


def test_the_perceptron_is_torch_s_affine_map_and_relu() -> None:
    cases = [([1.0, -2.0], 0.5, [3.0, 1.0], 1), ([0.5, 1.5], -1.0, [-2.0, 0.0], -1)]
    for w, b, x, y in cases:
        out = F.linear(t(x), t([w]), t([b]))[0]
        assert value("weighted_sum", p=x, w=w, b=b) == pytest.approx(float(out), rel=1e-15)
        margin = y * float(out)
        assert value("perceptron_margin", w=w, b=b, x=x, y=y) == pytest.approx(margin, rel=1e-15)
        assert value("hinge_loss", w=w, b=b, x=x, y=y) == float(torch.relu(1 - y * out))
        weights = t(w).requires_grad_()
        loss = torch.relu(-y * (weights @ t(x) + b))
        loss.backward()
        assert value("perceptron_loss", w=w, b=b, x=x, y=y) == loss.item()
        assert value("perceptron_subgradient", w=w, b=b, x=x, y=y) == weights.grad.tolist()


@pytest.mark.parametrize(("y", "p"), [(1, 1e-50), (0.21, 5e-324), (0.5, 1e-44)])
def test_the_bce_step_gives_torch_s_clamped_value(y: float, p: float) -> None:
    clamped = float(F.binary_cross_entropy(t(p), t(float(y))))
    said = run("bce", {"y": y, "p": p}).steps[-1]
    assert said.startswith(f"PyTorch's BCELoss clamps log(p) at −100 and gives {fmt(clamped)} ")


def test_penalty_ratio_is_the_ratio_of_torch_s_losses() -> None:
    zero = t(0.0)
    losses = {
        "mse": lambda e: F.mse_loss(t(e), zero),
        "mae": lambda e: F.l1_loss(t(e), zero),
        "huber": lambda e: F.huber_loss(t(e), zero, delta=1.5),
    }
    for name, loss in losses.items():
        for error, base in [(10.0, 1.0), (-3.0, 0.5), (0.25, -2.0)]:
            ratio = float(loss(error) / loss(base))
            got = value("penalty_ratio", loss=name, error=error, base=base, delta=1.5)
            assert got == pytest.approx(ratio, rel=1e-15)


def test_chain_product_is_torch_s_product() -> None:
    for factors in ([0.5, 2.0, 0.8], [-1.5, 0.25, 3.0, -2.0], [0.9] * 10, [1.1] * 10):
        assert value("chain_product", factors=factors) == pytest.approx(
            float(torch.prod(t(factors))), rel=1e-15
        )
