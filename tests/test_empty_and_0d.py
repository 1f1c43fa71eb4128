"""Empty, 0-d and extreme values as PyTorch's (issue 26): softmax over a zero-size dimension, reductions of empty
tensors, elementwise ops of a 0-d tensor, F.pad's negative pads in reflect/replicate mode, std/var of large
float32 values, NaN in sign and unique. Each expected value is PyTorch 2.13's, stated beside it."""
import math

import numpy as np
import pytest

import minigrad
import minigrad.nn.functional as F
from minigrad import gradcheck, gradgradcheck


@pytest.mark.parametrize("fn", [lambda x: x.softmax(-1), lambda x: F.log_softmax(x, 1), lambda x: x.softmax(0)])
def test_softmax_of_an_empty_dimension_is_empty(fn):
    x = minigrad.zeros(2, 0, requires_grad=True)
    y = fn(x)  # PyTorch: an empty (2, 0) tensor
    assert y.shape == (2, 0) and y.dtype == minigrad.float32
    y.sum().backward()
    assert x.grad.shape == (2, 0)


def test_reductions_of_empty_tensors():
    e = minigrad.zeros(2, 0)
    assert e.sum(1).tolist() == [0.0, 0.0]  # PyTorch: [0., 0.]
    assert all(math.isnan(v) for v in e.mean(1).tolist())  # PyTorch: [nan, nan]
    assert e.amax(0).shape == (0,)  # PyTorch: an empty (0,) tensor
    with pytest.raises(IndexError, match="non-zero size"):  # PyTorch: IndexError, amax over an empty dimension
        e.amax(1)


@pytest.mark.parametrize("name,expected", [
    ("abs", 0.5), ("sigmoid", 1 / (1 + math.exp(-0.5))), ("silu", 0.5 / (1 + math.exp(-0.5))),
])
def test_elementwise_ops_of_a_0d_tensor(name, expected):
    x = minigrad.tensor(0.5)
    y = F.silu(x) if name == "silu" else getattr(x, name)()
    assert y.shape == () and y.dtype == minigrad.float32  # PyTorch: a 0-d float32 tensor
    assert y.item() == pytest.approx(expected, rel=1e-6)
    x64 = minigrad.tensor(-0.7, dtype=minigrad.float64, requires_grad=True)
    fn = F.silu if name == "silu" else (lambda t: getattr(t, name)())
    assert gradcheck(fn, (x64,)) and gradgradcheck(fn, (x64,))


@pytest.mark.parametrize("mode,pad,shape,expected", [
    # PyTorch pads the whole input, then crops: reflect (2, -3) of [0 1 2 3 4] is [2 1 0 1]
    ("reflect", (2, -3), (1, 1, 5), [2.0, 1.0, 0.0, 1.0]),
    ("reflect", (-3, 3), (1, 1, 5), [3.0, 4.0, 3.0, 2.0, 1.0]),  # PyTorch: [3, 4, 3, 2, 1]
    ("reflect", (4, -4), (1, 1, 5), [4.0, 3.0, 2.0, 1.0, 0.0]),  # PyTorch: [4, 3, 2, 1, 0]
    ("replicate", (-1, 2), (1, 1, 5), [1.0, 2.0, 3.0, 4.0, 4.0, 4.0]),  # PyTorch: [1, 2, 3, 4, 4, 4]
    ("replicate", (2, -2), (1, 1, 5), [0.0, 0.0, 0.0, 1.0, 2.0]),  # PyTorch: [0, 0, 0, 1, 2]
])
def test_negative_pads_crop_as_in_pytorch(mode, pad, shape, expected):
    x = minigrad.arange(5.0).reshape(*shape)
    assert F.pad(x, pad, mode=mode).tolist() == [[expected]]
    x64 = minigrad.tensor(np.random.default_rng(0).standard_normal((1, 2, 5)), requires_grad=True)
    assert gradcheck(lambda t: F.pad(t, pad, mode=mode), (x64,))
    assert gradgradcheck(lambda t: F.pad(t, pad, mode=mode), (x64,))


def test_reflect_limits_count_the_whole_input():
    with pytest.raises(RuntimeError, match="padding size should be less"):  # PyTorch: (5, -1) of 5 is refused
        F.pad(minigrad.arange(5.0).reshape(1, 1, 5), (5, -1), mode="reflect")


def test_std_and_var_of_large_float32_values_square_without_overflow():
    x = minigrad.tensor([[1e20, -1e20, 3e20]])
    std = x.std(1)
    assert std.dtype == minigrad.float32 and std.item() == pytest.approx(2e20, rel=1e-6)  # PyTorch: 2.0000e+20
    # many moderate squares: each fits float32, their sum would not; PyTorch: var 1e34 (finite)
    many = minigrad.tensor(np.tile([1e17, -1e17], 50_000).astype(np.float32))
    assert many.var(unbiased=False).item() == pytest.approx(1e34, rel=1e-5)
    assert math.isinf(x.var().item())  # PyTorch: inf (4e40 is beyond float32 itself)


def test_std_gradient_in_float32_matches_float64():
    data = np.random.default_rng(1).standard_normal((3, 4))
    grads = []
    for dtype in (minigrad.float32, minigrad.float64):
        x = minigrad.tensor(data, dtype=dtype, requires_grad=True)
        x.std(1).sum().backward()
        assert x.grad.dtype == dtype
        grads.append(x.grad.numpy())
    np.testing.assert_allclose(grads[0], grads[1], rtol=1e-5)
    x = minigrad.tensor(data, requires_grad=True, dtype=minigrad.float64)
    assert gradcheck(lambda t: t.std(0), (x,)) and gradgradcheck(lambda t: t.var(1), (x,))


def test_sign_of_nan_is_zero():
    x = minigrad.tensor([float("nan"), -2.0, 0.0, 3.0], requires_grad=True)
    y = x.sign()
    assert y.tolist() == [0.0, -1.0, 0.0, 1.0]  # PyTorch: [0., -1., 0., 1.]
    y.sum().backward()
    assert x.grad.tolist() == [0.0, 0.0, 0.0, 0.0]
    assert minigrad.tensor(float("nan")).sign().item() == 0.0


def test_unique_keeps_each_nan_distinct():
    nan = float("nan")
    values, inverse, counts = minigrad.unique(minigrad.tensor([nan, 1.0, nan, 1.0]), return_inverse=True,
                                              return_counts=True)
    # PyTorch: values [1., nan, nan], inverse [1, 0, 2, 0], counts [2, 1, 1]
    assert values.shape == (3,) and values[0].item() == 1.0 and np.isnan(values.numpy()[1:]).all()
    assert inverse.tolist() == [1, 0, 2, 0] and counts.tolist() == [2, 1, 1]
