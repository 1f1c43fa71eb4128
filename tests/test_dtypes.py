"""Mixed dtypes: where PyTorch 2.13 refuses them, minigrad raises the same RuntimeError naming both dtypes;
where PyTorch promotes (elementwise binary ops), minigrad promotes alike.

The comment beside each case is what PyTorch 2.13 (CPU) does with the same call.
"""
import re
import warnings

import numpy as np
import pytest

import minigrad
from minigrad import nn
from minigrad.nn import functional as F

f16, f32, f64, i64 = minigrad.float16, minigrad.float32, minigrad.float64, minigrad.int64


def rand(*shape, dtype=f32):
    return minigrad.randn(*shape).to(dtype)


def raises_naming(first, second):
    """pytest.raises for a RuntimeError whose message names both dtypes, in that order."""
    return pytest.raises(RuntimeError, match=rf"same dtype.*{first}.*{second}")


# ---------------------------------------------------------------------------
# Matrix products: "expected m1 and m2 to have the same dtype, but got: double != float"

@pytest.mark.parametrize("call", [
    lambda a, b: a @ b,
    lambda a, b: minigrad.matmul(a, b),
    lambda a, b: minigrad.mm(a, b),
    lambda a, b: a.matmul(b),
])
def test_matrix_products_of_two_dtypes_raise(call):
    with raises_naming("float64", "float32"):
        call(rand(2, 3, dtype=f64), rand(3, 4))
    with raises_naming("float32", "float64"):
        call(rand(2, 3), rand(3, 4, dtype=f64))


def test_batched_vector_and_int_products_of_two_dtypes_raise():
    with raises_naming("float64", "float32"):  # bmm: "expected scalar type Double but found Float"
        minigrad.bmm(rand(1, 2, 3, dtype=f64), rand(1, 3, 4))
    with raises_naming("float64", "float32"):  # dot: "expected both vectors to have same dtype"
        minigrad.dot(rand(3, dtype=f64), rand(3))
    with raises_naming("float32", "float64"):  # vector @ matrix
        rand(3) @ rand(3, 2, dtype=f64)
    with raises_naming("float32", "float64"):  # batched @ matrix
        rand(2, 2, 3) @ rand(3, 2, dtype=f64)
    with raises_naming("int64", "float32"):  # "expected m1 and m2 to have the same dtype, but got: long int != float"
        minigrad.ones(2, 2, dtype=i64) @ minigrad.ones(2, 2)


def test_matrix_product_of_one_dtype_keeps_it_and_its_values():
    a, b = np.arange(6.0).reshape(2, 3), np.arange(12.0).reshape(3, 4) - 5
    for dtype in (f32, f64):
        y = minigrad.tensor(a, dtype=dtype) @ minigrad.tensor(b, dtype=dtype)
        assert y.dtype == dtype
        np.testing.assert_allclose(y.numpy(), a @ b)
    y = minigrad.tensor([[1, 2]]) @ minigrad.tensor([[3], [4]])  # int64 @ int64 stays int64
    assert y.dtype == i64 and y.tolist() == [[11]]


# ---------------------------------------------------------------------------
# linear and conv2d

def test_linear_of_two_dtypes_raises():
    with raises_naming("float64", "float32"):  # "expected m1 and m2 to have the same dtype, but got: double != float"
        F.linear(rand(2, 3, dtype=f64), rand(4, 3))
    with raises_naming("float32", "float64"):  # a float64 bias: "self and mat2 must have the same dtype"
        F.linear(rand(2, 3), rand(4, 3), rand(4, dtype=f64))
    with raises_naming("float16", "float32"):  # "got: c10::Half != float"
        F.linear(rand(2, 3, dtype=f16), rand(4, 3))
    with raises_naming("float64", "float32"):  # any number of leading dims
        F.linear(rand(5, 2, 3, dtype=f64), rand(4, 3))
    layer = nn.Linear(3, 4)
    with pytest.raises(RuntimeError, match=r"linear: expected input and weight to have the same dtype, "
                                           r"but got float64 and float32"):
        layer(rand(2, 3, dtype=f64))
    y = layer.double()(rand(2, 3, dtype=f64))  # the cure PyTorch's message implies: one dtype
    assert y.dtype == f64 and y.shape == (2, 4)


def test_linear_of_one_dtype_matches_numpy():
    x, w, b = rand(2, 3, dtype=f64), rand(4, 3, dtype=f64), rand(4, dtype=f64)
    y = F.linear(x, w, b)
    assert y.dtype == f64
    np.testing.assert_allclose(y.numpy(), x.numpy() @ w.numpy().T + b.numpy(), rtol=1e-12)


def test_conv2d_of_two_dtypes_raises():
    with raises_naming("float64", "float32"):  # "expected scalar type Double but found Float"
        F.conv2d(rand(1, 1, 5, 5, dtype=f64), rand(2, 1, 3, 3))
    with raises_naming("float32", "float64"):  # "expected scalar type Float but found Double"
        F.conv2d(rand(1, 1, 5, 5), rand(2, 1, 3, 3, dtype=f64))
    with raises_naming("float32", "float64"):  # "Input type (float) and bias type (double) should be the same"
        F.conv2d(rand(1, 1, 5, 5), rand(2, 1, 3, 3), rand(2, dtype=f64))
    with raises_naming("float64", "float32"):  # an unbatched (C, H, W) input too
        nn.Conv2d(1, 2, 3)(rand(1, 5, 5, dtype=f64))


def test_conv2d_of_one_dtype_keeps_it():
    x = rand(1, 1, 4, 4, dtype=f64)
    y = F.conv2d(x, minigrad.ones(1, 1, 2, 2, dtype=f64), minigrad.zeros(1, dtype=f64))
    assert y.dtype == f64
    a = x.numpy()[0, 0]
    np.testing.assert_allclose(y.numpy()[0, 0], a[:-1, :-1] + a[1:, :-1] + a[:-1, 1:] + a[1:, 1:], rtol=1e-12)


# ---------------------------------------------------------------------------
# batch_norm: "mixed dtype (CPU): all inputs must share same datatype"; a float16 input may take float32
# statistics and parameters (PyTorch's mixed precision), float64 ones it refuses

@pytest.mark.parametrize("training", [True, False])
def test_batch_norm_of_two_dtypes_raises(training):
    x = rand(4, 3, dtype=f64)
    with raises_naming("float64", "float32"):
        F.batch_norm(x, minigrad.zeros(3), minigrad.ones(3), training=training)
    with raises_naming("float64", "float32"):
        F.batch_norm(x, minigrad.zeros(3, dtype=f64), minigrad.ones(3, dtype=f64), minigrad.ones(3),
                     training=training)
    with raises_naming("float64", "float32"):
        F.batch_norm(x, minigrad.zeros(3, dtype=f64), minigrad.ones(3, dtype=f64), None, minigrad.zeros(3),
                     training=training)
    with raises_naming("float32", "float64"):
        F.batch_norm(rand(4, 3), minigrad.zeros(3), minigrad.ones(3), minigrad.ones(3, dtype=f64),
                     training=training)


def test_batch_norm_layer_with_float64_input_raises():
    layer = nn.BatchNorm2d(2)
    with pytest.raises(RuntimeError, match=r"batch_norm: expected input and running_mean to have the same dtype, "
                                           r"but got float64 and float32"):
        layer(rand(4, 2, 3, 3, dtype=f64))
    assert np.all(layer.running_mean.numpy() == 0) and np.all(layer.running_var.numpy() == 1)  # nothing updated
    y = layer.double()(rand(4, 2, 3, 3, dtype=f64))
    assert y.dtype == f64


def test_batch_norm_of_float16_input_takes_float32_statistics_and_parameters():
    x32 = rand(8, 3)
    y = F.batch_norm(x32.half(), minigrad.zeros(3), minigrad.ones(3), minigrad.ones(3), minigrad.zeros(3),
                     training=True)
    assert y.dtype == f16
    want = (x32.numpy() - x32.numpy().mean(0)) / np.sqrt(x32.numpy().var(0) + 1e-5)
    np.testing.assert_allclose(y.numpy().astype(np.float32), want, atol=1e-2)
    with raises_naming("float16", "float64"):  # "expect parameter to have scalar type of Float"
        F.batch_norm(x32.half(), minigrad.zeros(3, dtype=f64), minigrad.ones(3, dtype=f64), training=True)
    with raises_naming("float32", "float16"):  # float32 statistics with a float16 weight: not one dtype
        F.batch_norm(x32.half(), minigrad.zeros(3), minigrad.ones(3), minigrad.ones(3, dtype=f16), training=True)


# ---------------------------------------------------------------------------
# Elementwise binary ops promote, as PyTorch

@pytest.mark.parametrize("a_dtype, b_dtype, expected", [
    (f64, f32, f64), (f32, f64, f64), (f16, f32, f32), (i64, f32, f32), (i64, f16, f16),
])
def test_elementwise_binary_ops_promote(a_dtype, b_dtype, expected):
    a = minigrad.tensor([1.0, 2.0]).to(a_dtype)
    b = minigrad.tensor([4.0, 8.0]).to(b_dtype)
    for op, want in ((lambda u, v: u + v, [5, 10]), (lambda u, v: u - v, [-3, -6]),
                     (lambda u, v: u * v, [4, 16]), (lambda u, v: u / v, [0.25, 0.25]),
                     (minigrad.maximum, [4, 8])):
        y = op(a, b)
        assert y.dtype == expected, (a_dtype, b_dtype, y.dtype)
        np.testing.assert_allclose(y.numpy(), want)


def test_error_message_names_the_op():
    for call, name in ((lambda: rand(2, 2, dtype=f64) @ rand(2, 2), "matmul"),
                       (lambda: F.linear(rand(1, 2, dtype=f64), rand(1, 2)), "linear"),
                       (lambda: F.conv2d(rand(1, 1, 3, 3, dtype=f64), rand(1, 1, 3, 3)), "conv2d"),
                       (lambda: F.batch_norm(rand(2, 2, dtype=f64), None, None, rand(2), training=True),
                        "batch_norm")):
        with pytest.raises(RuntimeError) as info:
            call()
        assert re.match(rf"{name}: expected .* to have the same dtype, but got float64 and float32$",
                        str(info.value)), str(info.value)


# ---------------------------------------------------------------------------
# Float-valued unary ops of integer and bool tensors give the default float type, float32 (NumPy: float64)

@pytest.mark.parametrize("name, fn", [
    ("exp", np.exp), ("log", np.log), ("sqrt", np.sqrt), ("sigmoid", lambda v: 1 / (1 + np.exp(-v))),
    ("tanh", np.tanh), ("sin", np.sin), ("cos", np.cos), ("rsqrt", lambda v: 1 / np.sqrt(v)),
])
@pytest.mark.parametrize("dtype", [i64, minigrad.int32, minigrad.uint8])
def test_float_unary_ops_of_integer_tensors_are_float32(name, fn, dtype):
    x = minigrad.tensor([1, 4, 9]).to(dtype)
    for y in (getattr(minigrad, name)(x), getattr(x, name)()):
        assert y.dtype == f32, (name, dtype, y.dtype)
        np.testing.assert_allclose(y.numpy(), fn(np.array([1.0, 4.0, 9.0])), rtol=1e-6)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # log(0), 1 / sqrt(0): inf quietly, as PyTorch
        y = getattr(minigrad, name)(minigrad.tensor([True, False]))  # bool as well
    assert y.dtype == f32
    with np.errstate(divide="ignore"):
        np.testing.assert_allclose(y.numpy(), fn(np.array([1.0, 0.0])), rtol=1e-6)


# ---------------------------------------------------------------------------
# cross_entropy's targets: int64 or uint8, as PyTorch ("expected target dtype to be Long or Byte, but got Int")

def test_cross_entropy_takes_int64_and_uint8_targets_and_refuses_other_integers():
    logits = minigrad.tensor(np.log(np.array([[0.5, 0.25, 0.25], [0.1, 0.1, 0.8]])), dtype=f64)
    want = -(np.log(0.5) + np.log(0.8)) / 2
    for dtype in (i64, minigrad.uint8):
        np.testing.assert_allclose(F.cross_entropy(logits, minigrad.tensor([0, 2]).to(dtype)).item(), want)
    for dtype in (minigrad.int32, np.int16, np.int8):
        with pytest.raises(RuntimeError, match=f"expected targets of dtype int64 or uint8 .*got {np.dtype(dtype)}"):
            F.cross_entropy(logits, minigrad.tensor([0, 2]).to(dtype))
