"""nn.init: PyTorch's gains and the Kaiming (He) initialisers with mode and nonlinearity."""
import math

import numpy as np
import pytest

import minigrad
from minigrad import nn


@pytest.mark.parametrize("nonlinearity, param, gain", [
    ("linear", None, 1.0), ("conv2d", None, 1.0), ("sigmoid", None, 1.0), ("tanh", None, 5 / 3),
    ("relu", None, math.sqrt(2)), ("selu", None, 0.75), ("leaky_relu", None, math.sqrt(2 / (1 + 0.01 ** 2))),
    ("leaky_relu", 0.2, math.sqrt(2 / 1.04)), ("leaky_relu", math.sqrt(5), math.sqrt(1 / 3))])
def test_calculate_gain(nonlinearity, param, gain):
    assert nn.init.calculate_gain(nonlinearity, param) == pytest.approx(gain, rel=1e-12)


def test_calculate_gain_refuses_unknown_names_and_slopes():
    with pytest.raises(ValueError, match="Unsupported nonlinearity 'gelu'"):
        nn.init.calculate_gain("gelu")
    with pytest.raises(ValueError, match="negative_slope 'x' is not a valid number"):
        nn.init.calculate_gain("leaky_relu", "x")


@pytest.mark.parametrize("mode, fan", [("fan_in", 30 * 9), ("fan_out", 20 * 9)])
def test_kaiming_uniform_bound_follows_mode_and_nonlinearity(rng, mode, fan):
    w = nn.Parameter(minigrad.zeros(20, 30, 3, 3))
    out = nn.init.kaiming_uniform_(w, mode=mode, nonlinearity="relu")
    bound = math.sqrt(3) * math.sqrt(2) / math.sqrt(fan)
    values = np.abs(w.numpy())
    assert out is w and values.max() <= bound and values.max() > 0.95 * bound
    assert w.requires_grad and w.grad_fn is None


def test_kaiming_uniform_default_is_the_leaky_relu_bound(rng):
    w = nn.Parameter(minigrad.zeros(50, 40))
    nn.init.kaiming_uniform_(w, a=math.sqrt(5))  # PyTorch's Linear default: U(+-1/sqrt(fan_in))
    assert np.abs(w.numpy()).max() <= 1 / math.sqrt(40) and np.abs(w.numpy()).max() > 0.95 / math.sqrt(40)


def test_kaiming_normal_std(rng):
    w = nn.Parameter(minigrad.zeros(400, 500))
    nn.init.kaiming_normal_(w, mode="fan_out", nonlinearity="relu")
    # 200,000 draws: the sample std is within 0.5% of sqrt(2 / 400) with overwhelming probability
    assert w.numpy().std() == pytest.approx(math.sqrt(2 / 400), rel=5e-3)
    assert abs(w.numpy().mean()) < 3e-4


def test_kaiming_refuses_an_unknown_mode():
    with pytest.raises(ValueError, match="Mode 'fan_avg' not supported, please use one of fan_in, fan_out"):
        nn.init.kaiming_normal_(nn.Parameter(minigrad.zeros(3, 3)), mode="fan_avg")


def test_constant_takes_val_as_pytorch():
    w = nn.Parameter(minigrad.zeros(2, 3))
    assert nn.init.constant_(w, val=0.25) is w
    np.testing.assert_array_equal(w.numpy(), np.full((2, 3), 0.25, np.float32))


def test_trunc_normal_stays_in_its_bounds_with_the_truncated_moments(rng):
    w = nn.Parameter(minigrad.zeros(400, 500))
    assert nn.init.trunc_normal_(w, mean=0.5, std=1.0, a=0.0, b=2.0) is w
    values = w.numpy().astype(np.float64)
    assert values.min() >= 0.0 and values.max() <= 2.0
    # a normal truncated to [mean - 0.5 std, mean + 1.5 std]: mean + std (phi(alpha) - phi(beta)) / Z
    pdf = lambda z: math.exp(-z * z / 2) / math.sqrt(2 * math.pi)  # noqa: E731
    cdf = lambda z: 0.5 * (1 + math.erf(z / math.sqrt(2)))  # noqa: E731
    expected = 0.5 + (pdf(-0.5) - pdf(1.5)) / (cdf(1.5) - cdf(-0.5))
    assert values.mean() == pytest.approx(expected, abs=5e-3)  # 200,000 draws: standard error ~1e-3
    assert w.requires_grad and w.grad_fn is None


def test_trunc_normal_refuses_an_empty_interval():
    with pytest.raises(ValueError, match=r"a < b, got a=1.0, b=1.0"):
        nn.init.trunc_normal_(nn.Parameter(minigrad.zeros(2, 2)), a=1.0, b=1.0)
