"""PyTorch's functional forms in minigrad/nn/functional.py, against NumPy references written here.

``F.batch_norm(input, running_mean, running_var, weight, bias, training, momentum, eps)`` with
PyTorch's meaning (batch or running statistics, running statistics updated in place), the
modules built on it; and the input shapes PyTorch accepts beyond the batched ones: ``(*, in)`` for
``linear``/``Linear`` and an unbatched ``(C, H, W)`` image for ``conv2d``, the poolings and their
modules. Float64, gradients by ``gradcheck`` and ``gradgradcheck`` with random upstream gradients.
"""
import re

import numpy as np
import pytest

import minigrad
from minigrad import gradcheck, gradgradcheck, nn
from minigrad.nn import functional as F

EPS = 1e-5
SHAPES = [(5, 3), (4, 3, 6), (2, 3, 4, 5), (2, 3, 2, 2, 2)]


def t64(a, requires_grad=False):
    return minigrad.tensor(np.asarray(a, dtype=np.float64), requires_grad=requires_grad)


def np_stats(x):
    """Per-channel mean and biased variance over every axis but 1, and the count m."""
    axes = (0,) + tuple(range(2, x.ndim))
    return x.mean(axis=axes), x.var(axis=axes), x.size // x.shape[1]


def np_normalize(x, mean, var, weight, bias, eps=EPS):
    shape = (1, -1) + (1,) * (x.ndim - 2)
    return (x - mean.reshape(shape)) / np.sqrt(var.reshape(shape) + eps) * weight.reshape(shape) + bias.reshape(shape)


def case(shape, seed):
    rng = np.random.default_rng(seed)
    c = shape[1]
    return (rng.standard_normal(shape), rng.standard_normal(c), rng.standard_normal(c),
            rng.standard_normal(c), rng.uniform(0.5, 2.0, c))


# ---------------------------------------------------------------------------
# F.batch_norm: values and running statistics

@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("momentum", [0.1, 0.7])
def test_training_normalises_with_batch_statistics_and_updates_the_running_ones_in_place(shape, momentum):
    x, w, b, rm, rv = case(shape, 0)
    running_mean, running_var = t64(rm), t64(rv)
    mean_memory, var_memory = running_mean.array, running_var.array
    y = F.batch_norm(t64(x), running_mean, running_var, t64(w), t64(b), training=True, momentum=momentum, eps=EPS)
    mean, var, m = np_stats(x)
    np.testing.assert_allclose(y.numpy(), np_normalize(x, mean, var, w, b), rtol=1e-12, atol=1e-12)
    assert running_mean.array is mean_memory and running_var.array is var_memory  # in place
    np.testing.assert_allclose(running_mean.numpy(), (1 - momentum) * rm + momentum * mean, rtol=1e-12)
    np.testing.assert_allclose(running_var.numpy(), (1 - momentum) * rv + momentum * var * m / (m - 1), rtol=1e-12)


@pytest.mark.parametrize("shape", SHAPES)
def test_inference_normalises_with_the_running_statistics_and_leaves_them(shape):
    x, w, b, rm, rv = case(shape, 1)
    running_mean, running_var = t64(rm), t64(rv)
    y = F.batch_norm(t64(x), running_mean, running_var, t64(w), t64(b))  # training=False by default
    np.testing.assert_allclose(y.numpy(), np_normalize(x, rm, rv, w, b), rtol=1e-12, atol=1e-12)
    np.testing.assert_array_equal(running_mean.numpy(), rm)
    np.testing.assert_array_equal(running_var.numpy(), rv)


def test_defaults_are_pytorchs_weight_1_bias_0_eps_1e_5_and_no_running_statistics():
    x = np.random.default_rng(2).standard_normal((6, 3)) * 1e-3  # a variance near eps: eps matters
    mean, var, _ = np_stats(x)
    ones, zeros = np.ones(3), np.zeros(3)
    y = F.batch_norm(t64(x), None, None, training=True)
    np.testing.assert_allclose(y.numpy(), np_normalize(x, mean, var, ones, zeros, 1e-5), rtol=1e-10)
    y = F.batch_norm(t64(x), None, None, training=True, eps=1e-4)
    np.testing.assert_allclose(y.numpy(), np_normalize(x, mean, var, ones, zeros, 1e-4), rtol=1e-10)
    rm, rv = t64(zeros), t64(ones)
    F.batch_norm(t64(x), rm, rv, training=True)  # momentum 0.1 by default
    np.testing.assert_allclose(rm.numpy(), 0.1 * mean, rtol=1e-12)


def test_an_empty_batch_gives_an_empty_output_and_keeps_the_running_statistics():
    _, w, b, rm, rv = case((4, 3), 3)
    running_mean, running_var = t64(rm), t64(rv)
    x = t64(np.zeros((0, 3, 2, 2)), requires_grad=True)
    y = F.batch_norm(x, running_mean, running_var, t64(w), t64(b), training=True)
    assert y.shape == (0, 3, 2, 2)
    np.testing.assert_array_equal(running_mean.numpy(), rm)
    np.testing.assert_array_equal(running_var.numpy(), rv)
    y.sum().backward()
    assert x.grad.shape == (0, 3, 2, 2)


def test_float16_input_with_float16_running_statistics_stays_finite_and_accurate():
    x = np.random.default_rng(4).normal(300.0, 2.0, (64, 3, 4, 4))  # a float16 sum of squares would overflow
    rm, rv = minigrad.zeros(3, dtype=minigrad.float16), minigrad.ones(3, dtype=minigrad.float16)
    y = F.batch_norm(minigrad.tensor(x.astype(np.float16)), rm, rv, training=True)
    assert y.dtype == minigrad.float16 and rm.dtype == minigrad.float16
    mean, var, m = np_stats(x.astype(np.float16).astype(np.float64))
    ones, zeros = np.ones(3), np.zeros(3)
    np.testing.assert_allclose(y.numpy().astype(np.float64), np_normalize(x.astype(np.float16), mean, var, ones, zeros),
                               atol=2e-2)
    np.testing.assert_allclose(rm.numpy().astype(np.float64), 0.1 * mean, rtol=1e-3)
    np.testing.assert_allclose(rv.numpy().astype(np.float64), 0.9 + 0.1 * var * m / (m - 1), rtol=1e-3)


# ---------------------------------------------------------------------------
# F.batch_norm: gradients (first and second order)

@pytest.mark.parametrize("shape", SHAPES[:3])
@pytest.mark.parametrize("training", [True, False])
def test_gradcheck_and_gradgradcheck(shape, training):
    x, w, b, rm, rv = case(shape, 5)

    def fn(x, w, b):  # fresh running statistics each call: the check evaluates fn many times
        return F.batch_norm(x, t64(rm), t64(rv), w, b, training=training, momentum=0.3)

    inputs = [t64(x, True), t64(w, True), t64(b, True)]
    assert gradcheck(fn, inputs)
    assert gradgradcheck(fn, inputs)


@pytest.mark.parametrize("training", [True, False])
def test_gradcheck_and_gradgradcheck_without_weight_and_bias(training):
    x, _, _, rm, rv = case((3, 2, 2, 3), 6)

    def fn(x):
        return F.batch_norm(x, t64(rm), t64(rv), training=training)

    assert gradcheck(fn, [t64(x, True)])
    assert gradgradcheck(fn, [t64(x, True)])


# ---------------------------------------------------------------------------
# F.batch_norm: errors, as PyTorch (which raises for each of these)

def test_bad_arguments_are_named():
    x = t64(np.ones((4, 3)))
    with pytest.raises(ValueError, match=re.escape("expected more than 1 value per channel when training, "
                                                   "got input of shape (1, 3)")):
        F.batch_norm(t64(np.ones((1, 3))), None, None, training=True)
    with pytest.raises(RuntimeError, match="running_mean and running_var must be given when training=False"):
        F.batch_norm(x, None, None)
    with pytest.raises(ValueError, match="running_mean and running_var must either both be None or neither"):
        F.batch_norm(x, t64(np.zeros(3)), None, training=True)
    with pytest.raises(RuntimeError, match=re.escape("running_var should contain 3 elements (the channels of an input "
                                                   "of shape (4, 3)), got shape (4,)")):
        F.batch_norm(x, t64(np.zeros(3)), t64(np.ones(4)), training=True)
    with pytest.raises(RuntimeError, match=re.escape("weight should contain 3 elements")):
        F.batch_norm(x, None, None, t64(np.ones(2)), training=True)
    with pytest.raises(ValueError, match=re.escape("expected a Tensor input of shape (N, C, *), got (4,)")):
        F.batch_norm(t64(np.ones(4)), None, None, training=True)
    with pytest.raises(TypeError, match="momentum must be a real number, got NoneType"):
        F.batch_norm(x, t64(np.zeros(3)), t64(np.ones(3)), training=True, momentum=None)


# ---------------------------------------------------------------------------
# BatchNorm1d / BatchNorm2d: the modules' side (num_batches_tracked, momentum=None, modes)

def test_momentum_none_is_the_cumulative_average_and_every_batch_is_counted():
    bn = nn.BatchNorm1d(3, momentum=None).double()
    rng = np.random.default_rng(7)
    batches = [rng.standard_normal((5, 3)), np.zeros((0, 3)), rng.standard_normal((8, 3))]
    for x in batches:
        bn(t64(x))
    assert int(bn.num_batches_tracked.item()) == 3
    # the empty batch is counted (its factor 1/2 is spent on no update), as in PyTorch
    mean0, var0, m0 = np_stats(batches[0])
    mean2, var2, m2 = np_stats(batches[2])
    np.testing.assert_allclose(bn.running_mean.numpy(), (2 / 3) * mean0 + (1 / 3) * mean2, rtol=1e-12)
    np.testing.assert_allclose(bn.running_var.numpy(), (2 / 3) * var0 * m0 / (m0 - 1) + (1 / 3) * var2 * m2 / (m2 - 1),
                               rtol=1e-12)


def test_a_refused_batch_changes_no_buffer():
    bn = nn.BatchNorm2d(3)
    with pytest.raises(ValueError, match=re.escape("(1, 3, 1, 1)")):
        bn(minigrad.ones(1, 3, 1, 1))
    assert int(bn.num_batches_tracked.item()) == 0
    np.testing.assert_array_equal(bn.running_mean.numpy(), 0.0)


@pytest.mark.parametrize("kwargs", [{"affine": False}, {"track_running_stats": False}])
def test_modules_without_affine_or_running_statistics(kwargs):
    x, _, _, _, _ = case((4, 3, 2, 2), 8)
    bn = nn.BatchNorm2d(3, **kwargs).double()
    mean, var, m = np_stats(x)
    expected = np_normalize(x, mean, var, np.ones(3), np.zeros(3))
    np.testing.assert_allclose(bn(t64(x)).numpy(), expected, rtol=1e-12, atol=1e-12)
    bn.eval()  # without running statistics, eval still normalises with the batch's (PyTorch)
    out = bn(t64(x)).numpy()
    if "track_running_stats" in kwargs:
        np.testing.assert_allclose(out, expected, rtol=1e-12, atol=1e-12)
    else:
        np.testing.assert_allclose(out, np_normalize(x, 0.1 * mean, 0.9 + 0.1 * var * m / (m - 1), np.ones(3),
                                                     np.zeros(3)), rtol=1e-12, atol=1e-12)


# ---------------------------------------------------------------------------
# linear on (*, in_features); conv2d and pooling on an unbatched (C, H, W) image

def np_conv2d(x, w, b, stride, padding):
    """Cross-correlation of one image (C, H, W) with w (O, C, kh, kw), written as loops over the output."""
    x = np.pad(x, ((0, 0), (padding, padding), (padding, padding)))
    o, _, kh, kw = w.shape
    oh, ow = (x.shape[1] - kh) // stride + 1, (x.shape[2] - kw) // stride + 1
    y = np.empty((o, oh, ow))
    for i in range(oh):
        for j in range(ow):
            window = x[:, i * stride:i * stride + kh, j * stride:j * stride + kw]
            y[:, i, j] = np.tensordot(w, window, axes=3) + b
    return y


def np_pool2d(x, k, reduce):
    c, h, w = x.shape
    return reduce(x[:, :h // k * k, :w // k * k].reshape(c, h // k, k, w // k, k), axis=(2, 4))


@pytest.mark.parametrize("shape", [(4,), (2, 3, 4), (2, 1, 3, 4), (0, 4)])
def test_linear_takes_any_leading_dims(shape):
    rng = np.random.default_rng(9)
    x, w, b = rng.standard_normal(shape), rng.standard_normal((3, 4)), rng.standard_normal(3)
    y = F.linear(t64(x), t64(w), t64(b))
    assert y.shape == shape[:-1] + (3,)
    np.testing.assert_allclose(y.numpy(), x @ w.T + b, rtol=1e-12, atol=1e-12)
    layer = nn.Linear(4, 3).double()
    np.testing.assert_allclose(layer(t64(x)).numpy(), x @ layer.weight.numpy().T + layer.bias.numpy(), rtol=1e-12,
                               atol=1e-12)


@pytest.mark.parametrize("shape", [(4,), (2, 3, 4)])
def test_linear_on_any_leading_dims_gradcheck_and_gradgradcheck(shape):
    rng = np.random.default_rng(10)
    inputs = [t64(rng.standard_normal(shape), True), t64(rng.standard_normal((3, 4)), True),
              t64(rng.standard_normal(3), True)]
    assert gradcheck(F.linear, inputs)
    assert gradgradcheck(lambda x, w, b: F.linear(x, w, b) ** 2, inputs)  # squared: a nonzero second derivative


@pytest.mark.parametrize("stride, padding", [(1, 0), (2, 1)])
def test_conv2d_on_an_unbatched_image(stride, padding):
    rng = np.random.default_rng(11)
    x, w, b = rng.standard_normal((2, 5, 6)), rng.standard_normal((3, 2, 3, 3)), rng.standard_normal(3)
    y = F.conv2d(t64(x), t64(w), t64(b), stride, padding)
    np.testing.assert_allclose(y.numpy(), np_conv2d(x, w, b, stride, padding), rtol=1e-12, atol=1e-12)
    layer = nn.Conv2d(2, 3, 3, stride=stride, padding=padding).double()
    np.testing.assert_allclose(layer(t64(x)).numpy(), np_conv2d(x, layer.weight.numpy(), layer.bias.numpy(), stride,
                                                                padding), rtol=1e-12, atol=1e-12)
    inputs = [t64(x, True), t64(w, True), t64(b, True)]
    assert gradcheck(lambda x, w, b: F.conv2d(x, w, b, stride, padding), inputs)
    assert gradgradcheck(lambda x, w, b: F.conv2d(x, w, b, stride, padding) ** 2, inputs)


@pytest.mark.parametrize("pool, module, reduce", [(F.avg_pool2d, nn.AvgPool2d, np.mean),
                                                  (F.max_pool2d, nn.MaxPool2d, np.max)])
def test_pooling_on_an_unbatched_image(pool, module, reduce):
    rng = np.random.default_rng(12)
    x = rng.permutation(np.arange(2 * 4 * 5)).reshape(2, 4, 5) * 0.1  # no ties within a finite-difference step
    np.testing.assert_allclose(pool(t64(x), 2).numpy(), np_pool2d(x, 2, reduce), rtol=1e-12)
    np.testing.assert_allclose(module(2)(t64(x)).numpy(), np_pool2d(x, 2, reduce), rtol=1e-12)
    assert gradcheck(lambda x: pool(x, 2), [t64(x, True)])
    assert gradgradcheck(lambda x: pool(x, 2) ** 2, [t64(x, True)])
