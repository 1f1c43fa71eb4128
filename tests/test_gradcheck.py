"""Every differentiable op (the GRADCHECK samples of tests/op_db.py) against finite differences (float64,
random upstream gradient), and minigrad.gradcheck itself as a tool: it must catch wrong backwards, including the
BatchNorm-style bug that an all-ones upstream gradient cannot see."""
import re

import numpy as np
import pytest
from op_db import GRADCHECK, arrays, params

import minigrad
from minigrad import Function, GradcheckError, gradcheck


def leaf(array):
    return minigrad.tensor(array, dtype=minigrad.float64, requires_grad=True)


@pytest.mark.parametrize("fn, sample", params(GRADCHECK))
def test_op_forward_and_gradcheck(fn, sample):
    values = arrays(sample.inputs)
    inputs = [leaf(a) for a in values]
    out = fn(*inputs)
    expected = (sample.ref or fn)(*[a.copy() for a in values])
    assert out.shape == np.shape(expected)
    assert out.dtype == minigrad.float64
    assert out.requires_grad and out.grad_fn is not None
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-10, atol=1e-12)
    assert gradcheck(fn, inputs) is True


REDUCTION_AXES = [None, 0, 1, 2, -1, -3, (0, 2), (-1, 0), (0, 1, 2)]


@pytest.mark.parametrize("keepdims", [False, True], ids=["", "keepdims"])
@pytest.mark.parametrize("axis", REDUCTION_AXES, ids=str)
@pytest.mark.parametrize("op", ["sum", "mean", "max"])
def test_reduction_forward_and_gradcheck(op, axis, keepdims):
    x_np = np.random.default_rng(1).standard_normal((2, 3, 4))  # distinct values: max has no ties
    x = leaf(x_np)

    def fn(t):
        return getattr(t, "amax" if op == "max" else op)(axis=axis, keepdims=keepdims)  # max(dim) takes one dim

    out = fn(x)
    expected = getattr(x_np, op)(axis=axis, keepdims=keepdims)
    assert out.shape == expected.shape
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-12)
    assert gradcheck(fn, [x])


@pytest.mark.parametrize("op", [minigrad.sum, minigrad.mean, minigrad.amax])
def test_reduction_functions_and_0d_input(op):
    x = leaf(np.random.default_rng(2).standard_normal((3, 4)))
    assert gradcheck(lambda t: op(op(t, axis=1), axis=0), [x])
    s = leaf(np.array(1.5))
    assert gradcheck(lambda t: op(t) * 2.0, [s])


def test_cast_roundtrip_gradcheck():
    x = leaf(np.random.default_rng(3).standard_normal((3, 4)))

    def fn(t):
        y = t.to(minigrad.float32)
        assert y.dtype == minigrad.float32
        return y.to(minigrad.float64) * 3.0

    # float32 rounding limits the finite differences, so a coarse step: the op is linear
    assert gradcheck(fn, [x], eps=1e-2, atol=1e-4)
    x.grad = None
    fn(x).sum().backward()
    assert x.grad.dtype == minigrad.float64
    np.testing.assert_array_equal(x.grad.numpy(), np.full((3, 4), 3.0))


# ---------------------------------------------------------------------------
# gradcheck as a tool

class WrongSquare(Function):
    """y = x^2 with backward missing the factor 2."""

    def forward(self, x):
        self.x = x
        return x * x

    def backward(self, gy):
        return gy * self.x


class RightSquare(WrongSquare):
    def backward(self, gy):
        return 2 * gy * self.x


class WrongSecondInput(Function):
    """y = a * b with a correct gradient for a and the wrong sign for b."""

    def forward(self, a, b):
        self.a, self.b = a, b
        return a * b

    def backward(self, gy):
        return gy * self.b, -gy * self.a


class NanBackward(Function):
    def forward(self, x):
        return 2 * x

    def backward(self, gy):
        return gy * np.nan


def test_gradcheck_passes_a_correct_custom_function():
    x = leaf(np.random.default_rng(0).standard_normal((2, 3)))
    assert gradcheck(lambda t: RightSquare()(t), [x]) is True
    assert gradcheck(lambda t: RightSquare()(t), x) is True  # a single tensor is accepted too


def test_gradcheck_error_names_input_index_and_both_values():
    x_np = np.random.default_rng(0).standard_normal((2, 3))
    x = leaf(x_np)
    with pytest.raises(GradcheckError) as info:
        gradcheck(lambda t: WrongSquare()(t), [x], seed=5)
    message = str(info.value)
    assert "input 0" in message
    match = re.search(r"index \((\d+), (\d+)\): analytic (\S+), numerical (\S+),", message)
    assert match, message
    idx = (int(match[1]), int(match[2]))
    analytic, numerical = float(match[3]), float(match[4])
    # the same random upstream gradient u that gradcheck draws for this seed
    u = np.random.default_rng(5).standard_normal((2, 3))
    np.testing.assert_allclose(analytic, u[idx] * x_np[idx], rtol=1e-9)
    np.testing.assert_allclose(numerical, 2 * u[idx] * x_np[idx], rtol=1e-6)
    # the reported element is the one that disagrees the most
    assert idx == np.unravel_index(np.argmax(np.abs(u * x_np)), (2, 3))


def test_gradcheck_error_names_the_second_input():
    rng = np.random.default_rng(1)
    a, b = leaf(rng.standard_normal(3)), leaf(rng.standard_normal(3))
    with pytest.raises(GradcheckError, match=r"input 1 \(shape \(3,\)\)"):
        gradcheck(lambda p, q: WrongSecondInput()(p, q), [a, b])
    # with only the first input checked, the wrong gradient of the second is not looked at
    b.requires_grad_(False)
    assert gradcheck(lambda p, q: WrongSecondInput()(p, q), [a, b])


def test_gradcheck_returns_false_without_raising():
    x = leaf(np.random.default_rng(0).standard_normal(4))
    assert gradcheck(lambda t: WrongSquare()(t), [x], raise_exception=False) is False
    assert gradcheck(lambda t: RightSquare()(t), [x], raise_exception=False) is True


def test_gradcheck_does_not_pass_a_nan_gradient():
    x = leaf(np.ones(3))
    with pytest.raises(GradcheckError):
        gradcheck(lambda t: NanBackward()(t), [x])


def test_gradcheck_rejects_float32_inputs():
    x = minigrad.tensor([1.0, 2.0], requires_grad=True)  # float32
    with pytest.raises(TypeError, match="float64"):
        gradcheck(lambda t: t * t, [x])


def test_gradcheck_needs_an_input_that_requires_grad():
    x = minigrad.tensor([1.0, 2.0], dtype=minigrad.float64)
    with pytest.raises(ValueError, match="requires grad"):
        gradcheck(lambda t: t * t, [x])


def test_gradcheck_multiple_outputs():
    rng = np.random.default_rng(2)
    x, w = leaf(rng.standard_normal((2, 3))), leaf(rng.standard_normal((3, 2)))
    assert gradcheck(lambda a, b: (a @ b, a.sum(axis=0) * b.sum(axis=1), a.exp()), [x, w])
    # only the second output is wrong: gradcheck must look past the first
    with pytest.raises(GradcheckError, match="input 0"):
        gradcheck(lambda a, b: (a @ b, WrongSquare()(a)), [x, w])


def test_gradcheck_with_inputs_that_do_not_require_grad():
    rng = np.random.default_rng(3)
    x = leaf(rng.standard_normal((2, 3)))
    c = minigrad.tensor(rng.standard_normal((2, 3)), dtype=minigrad.float64)   # constant tensor
    n = minigrad.tensor([1, 1])                                                 # int64 index tensor
    assert gradcheck(lambda a, const, idx, k: (a * const + k)[idx.numpy()] ** 2, [x, c, n, 1.5])
    assert c.grad is None and n.grad is None
    with pytest.raises(GradcheckError):
        gradcheck(lambda a, const: WrongSquare()(a * const), [x, c])


def test_gradcheck_leaves_grads_and_data_unchanged():
    rng = np.random.default_rng(4)
    x_np = rng.standard_normal((2, 3))
    x, y = leaf(x_np), leaf(rng.standard_normal(3))
    previous = minigrad.tensor(np.full((2, 3), 7.0), dtype=minigrad.float64)
    x.grad = previous
    assert gradcheck(lambda a, b: (a * b).sigmoid(), [x, y])
    assert x.grad is previous
    np.testing.assert_array_equal(x.grad.numpy(), np.full((2, 3), 7.0))
    assert y.grad is None
    np.testing.assert_array_equal(x.numpy(), x_np)  # every perturbation was undone


# ---------------------------------------------------------------------------
# The key test: a BatchNorm backward that drops the variance term

EPS = 1e-5


class _BatchNormBase(Function):
    """x_hat = (x - mean) / sqrt(var + eps) for each column of an (N, C) input."""

    def forward(self, x):
        mean = x.mean(axis=0)
        var = x.var(axis=0)
        self.inv_std = 1.0 / np.sqrt(var + EPS)
        self.x_hat = (x - mean) * self.inv_std
        return self.x_hat


class BatchNormNoVarianceTerm(_BatchNormBase):
    def backward(self, gy):
        g = gy * self.inv_std
        return g - g.mean(axis=0)  # missing: - x_hat * mean(gy * x_hat) * inv_std


class BatchNormClosedForm(_BatchNormBase):
    def backward(self, gy):
        return self.inv_std * (gy - gy.mean(axis=0) - self.x_hat * (gy * self.x_hat).mean(axis=0))


def _batchnorm_np(x):
    return (x - x.mean(axis=0)) / np.sqrt(x.var(axis=0) + EPS)


@pytest.fixture
def bn_input():
    return np.random.default_rng(7).normal(1.0, 2.0, size=(5, 3))


def test_all_ones_upstream_cannot_see_the_missing_variance_term(bn_input):
    x = leaf(bn_input)
    BatchNormNoVarianceTerm()(x).sum().backward()
    analytic = x.grad.numpy()

    numerical = np.zeros_like(bn_input)
    h = 1e-6
    for idx in np.ndindex(*bn_input.shape):
        plus, minus = bn_input.copy(), bn_input.copy()
        plus[idx] += h
        minus[idx] -= h
        numerical[idx] = (_batchnorm_np(plus).sum() - _batchnorm_np(minus).sum()) / (2 * h)

    # each column of x_hat sums to 0 whatever x is, so d(sum y)/dx = 0, and the wrong backward
    # also gives 0 for an all-ones gy: a check with u = 1 agrees with the bug
    np.testing.assert_allclose(analytic, 0.0, atol=1e-12)
    np.testing.assert_allclose(numerical, 0.0, atol=1e-6)
    np.testing.assert_allclose(analytic, numerical, atol=1e-5, rtol=1e-3)


def test_random_upstream_gradcheck_catches_the_missing_variance_term(bn_input):
    x = leaf(bn_input)
    with pytest.raises(GradcheckError, match="input 0"):
        gradcheck(lambda t: BatchNormNoVarianceTerm()(t), [x])
    assert gradcheck(lambda t: BatchNormNoVarianceTerm()(t), [x], raise_exception=False) is False


def test_closed_form_batchnorm_backward_passes_gradcheck(bn_input):
    x = leaf(bn_input)
    out = BatchNormClosedForm()(x)
    np.testing.assert_allclose(out.numpy(), _batchnorm_np(bn_input), rtol=1e-12)
    assert gradcheck(lambda t: BatchNormClosedForm()(t), [x])
    # and composed with other ops (scale and shift, as a BatchNorm layer does)
    gamma, beta = leaf(np.array([0.5, -1.0, 2.0])), leaf(np.array([0.1, 0.2, 0.3]))
    assert gradcheck(lambda t, g, b: BatchNormClosedForm()(t) * g + b, [x, gamma, beta])
