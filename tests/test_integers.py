"""Integer semantics as PyTorch's (issue 26): a number that does not fit an integer dtype raises where PyTorch raises
(making, filling, clamping, writing) and wraps where PyTorch wraps (arithmetic with a number); integer max-pooling
with padding, and bool refused; pooling windows beyond int8 and int16 offsets; arange of a NaN or infinite bound.
Never NumPy's OverflowError. Each expected value is PyTorch 2.13's, stated beside it."""
import numpy as np
import pytest

import minigrad
import minigrad.nn.functional as F
from minigrad import gradcheck, gradgradcheck

OVERFLOW = "value cannot be converted to type"


@pytest.mark.parametrize("make", [
    lambda: minigrad.tensor([300], dtype=minigrad.uint8),  # PyTorch: RuntimeError
    lambda: minigrad.tensor([-256], dtype=minigrad.uint8),  # PyTorch: RuntimeError (below -255)
    lambda: minigrad.tensor([2 ** 31], dtype=minigrad.int32),  # PyTorch: RuntimeError
    lambda: minigrad.full((2,), 300, dtype=minigrad.uint8),  # PyTorch: RuntimeError
    lambda: minigrad.full((2,), float("nan"), dtype=minigrad.int64),  # PyTorch: RuntimeError
    lambda: minigrad.zeros(2, dtype=minigrad.uint8).fill_(256),  # PyTorch: RuntimeError
    lambda: minigrad.tensor([1, 200], dtype=minigrad.uint8).clamp(max=300),  # PyTorch: RuntimeError
    lambda: minigrad.tensor([1], dtype=minigrad.int32).clamp(min=-2 ** 31 - 1),  # PyTorch: RuntimeError
    lambda: minigrad.zeros(2, dtype=minigrad.uint8).__setitem__(0, 300),  # PyTorch: RuntimeError
    lambda: minigrad.zeros(2, dtype=minigrad.int32).__setitem__(0, float("inf")),  # PyTorch: RuntimeError
])
def test_a_number_that_does_not_fit_raises_as_in_pytorch(make):
    with pytest.raises(RuntimeError, match=OVERFLOW):
        make()


def test_the_message_names_the_range():
    with pytest.raises(RuntimeError, match=r"uint8 without overflow \(got 300; uint8 holds \[0, 255\]\)"):
        minigrad.tensor([300], dtype=minigrad.uint8)


def test_an_unsigned_dtype_takes_negative_numbers_down_to_minus_its_maximum():
    # PyTorch: tensor([-1, -255], dtype=uint8) is [255, 1]; full/fill_/setitem of -1 give 255; clamp(min=-5) of
    # [1, 200] is [251, 251] (the bound wraps to 251)
    assert minigrad.tensor([-1, -255], dtype=minigrad.uint8).tolist() == [255, 1]
    assert minigrad.full((1,), -1, dtype=minigrad.uint8).tolist() == [255]
    assert minigrad.zeros(1, dtype=minigrad.uint8).fill_(-1).tolist() == [255]
    t = minigrad.zeros(2, dtype=minigrad.uint8)
    t[0] = -2
    assert t.tolist() == [254, 0]
    assert minigrad.tensor([1, 200], dtype=minigrad.uint8).clamp(min=-5).tolist() == [251, 251]


@pytest.mark.parametrize("dtype,op,number,expected", [
    ("uint8", "add", 300, [45, 38]),  # PyTorch: [1, 250] + 300 -> [45, 38] (300 wraps to 44)
    ("uint8", "sub", 300, [213, 206]),  # PyTorch: [1, 250] - 300 -> [213, 206]
    ("uint8", "mul", -1, [255, 6]),  # PyTorch: [1, 250] * -1 -> [255, 6]
    ("int32", "add", 2 ** 40, [1, 250]),  # PyTorch: 2**40 wraps to 0 in int32
    ("int32", "mul", 2 ** 31, [-2 ** 31, 0]),  # PyTorch: [-2147483648, 0]
    ("int64", "add", 2 ** 63, [-2 ** 63 + 1, -2 ** 63 + 250]),  # PyTorch: wraps in int64 too
])
def test_arithmetic_with_a_number_wraps_as_in_pytorch(dtype, op, number, expected):
    x = minigrad.tensor([1, 250], dtype=getattr(minigrad, dtype))
    y = {"add": x + number, "sub": x - number, "mul": x * number}[op]
    assert y.dtype == x.dtype and y.tolist() == expected


def test_a_number_beyond_64_bits_is_an_overflow_error_naming_it():
    with pytest.raises(OverflowError, match="does not fit 64 bits"):  # PyTorch: OverflowError too
        minigrad.tensor([1], dtype=minigrad.uint8) + 2 ** 64


def test_floats_keep_promoting():
    # PyTorch: uint8 + 1.5e10 is float32 (no wrap for a float)
    y = minigrad.tensor([1], dtype=minigrad.uint8) + 1.5e10
    assert y.dtype == minigrad.float32 and y.item() == np.float32(1.5e10 + 1)


@pytest.mark.parametrize("args", [(0, float("nan")), (0, float("inf")), (float("-inf"), 3)])
def test_arange_of_a_nan_or_infinite_bound_raises_pytorchs_runtime_error(args):
    with pytest.raises(RuntimeError, match="unsupported range"):  # PyTorch: "unsupported range: 0 -> nan"
        minigrad.arange(*args)
    with pytest.raises(RuntimeError, match="step must be nonzero"):  # PyTorch's message for a NaN step
        minigrad.arange(0, 5, float("nan"))


@pytest.mark.parametrize("dtype", ["int64", "int32", "uint8"])
def test_max_pooling_an_integer_tensor_pads_with_the_dtypes_minimum(dtype):
    x = minigrad.arange(16).reshape(1, 1, 4, 4).to(getattr(minigrad, dtype))
    # PyTorch: [[0, 2, 3], [8, 10, 11], [12, 14, 15]], the input's dtype kept
    y = F.max_pool2d(x, 2, padding=1)
    assert y.dtype == x.dtype and y.tolist() == [[[[0, 2, 3], [8, 10, 11], [12, 14, 15]]]]
    if dtype != "uint8":  # all negative: the padding never wins (PyTorch: [-1, -2, -4] as the first row)
        assert F.max_pool2d(-x - 1, 2, padding=1).tolist()[0][0][0] == [-1, -2, -4]


def test_max_pooling_a_bool_tensor_is_refused_as_pytorch():
    # PyTorch: NotImplementedError "max_pool2d" not implemented for 'Bool'
    with pytest.raises(NotImplementedError, match='"max_pool2d" not implemented for dtype bool'):
        F.max_pool2d(minigrad.zeros(1, 1, 4, 4, dtype=minigrad.bool), 2)


@pytest.mark.parametrize("size, row, column", [(12, 11, 10), (190, 189, 180)])
def test_a_pooling_window_beyond_int8_and_int16_offsets_routes_the_gradient_to_its_maximum(size, row, column):
    """The argmax is kept as int8 up to 127 window offsets, int16 up to 32,768, else int64: offsets 142 and 36,090."""
    x = np.zeros((1, 1, size, size))
    x[0, 0, row, column] = 1.0
    t = minigrad.tensor(x, requires_grad=True)
    F.max_pool2d(t, size).sum().backward()
    # PyTorch: the gradient 1 at (row, column), nowhere else
    assert np.argwhere(t.grad.numpy()).tolist() == [[0, 0, row, column]]
    small = minigrad.tensor(np.random.default_rng(0).standard_normal((1, 1, 4, 4)), requires_grad=True)
    assert gradcheck(lambda v: F.max_pool2d(v, 2, padding=1), (small,))
    assert gradgradcheck(lambda v: F.max_pool2d(v, 2, padding=1), (small,))


def test_in_place_arithmetic_and_comparisons_wrap_the_number_as_pytorch():
    # PyTorch: uint8 [1] add_(300) is [45]; int32 [3] mul_(2**40) is [0]
    assert minigrad.tensor([1], dtype=minigrad.uint8).add_(300).tolist() == [45]
    assert minigrad.tensor([3], dtype=minigrad.int32).mul_(2 ** 40).tolist() == [0]
    u = minigrad.tensor([0, 44, 255], dtype=minigrad.uint8)
    assert (u == 300).tolist() == [False, True, False]  # PyTorch: 300 compares as 44
    assert (u < -1).tolist() == [True, True, False]  # PyTorch: -1 compares as 255
    assert (minigrad.tensor([0, 5], dtype=minigrad.int32) < 2 ** 40).tolist() == [False, False]  # PyTorch: as 0
    assert (minigrad.tensor([0, 5]) < 2 ** 40).tolist() == [True, True]  # fits int64: no wrap


@pytest.mark.parametrize("make", [
    lambda: minigrad.tensor([1, 2], dtype=minigrad.uint8).masked_fill(minigrad.tensor([True, False]), 300),
    lambda: minigrad.where(minigrad.tensor([True, False]), minigrad.tensor([1, 2], dtype=minigrad.uint8), 300),
    lambda: minigrad.zeros(3, dtype=minigrad.uint8).scatter(0, minigrad.tensor([1]), 300),
])
def test_masked_fill_where_and_scatter_check_the_number(make):
    with pytest.raises(RuntimeError, match=OVERFLOW):  # PyTorch: RuntimeError for each
        make()


def test_fill_with_a_tensor_casts_it():
    # PyTorch: fill_(tensor(300)) on uint8 casts the tensor (wraps): [44, 44]
    assert minigrad.zeros(2, dtype=minigrad.uint8).fill_(minigrad.tensor(300)).tolist() == [44, 44]
