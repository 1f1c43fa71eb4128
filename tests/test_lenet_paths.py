"""The LeNet step's fast paths give the values of the plain formulas, bitwise: the sigmoid's division
(docs/performance.md, "The LeNet-BN step at two threads") and the average pool's backward for a C-order
gradient (a Flatten's)."""
import numpy as np
import pytest

from minigrad.nn._functions.pooling import AvgPool2dFunction
from minigrad.ops.activation import Sigmoid


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_sigmoid_forward_is_the_reciprocal_of_one_plus_exp_bitwise(dtype):
    x = (np.random.default_rng(0).standard_normal((4, 3, 5, 7)) * 20).astype(dtype)
    with np.errstate(over="ignore"):
        expected = np.reciprocal(1 + np.exp(-x))
    np.testing.assert_array_equal(Sigmoid().forward(x), expected)


def test_avg_pool_backward_takes_a_c_order_gradient_as_a_batch_last_one():
    rng = np.random.default_rng(1)
    x = np.ascontiguousarray(rng.standard_normal((16, 8, 8, 6))).transpose(3, 0, 1, 2)  # batch-last (6, 16, 8, 8)
    fn = AvgPool2dFunction((2, 2), (2, 2), (0, 0))
    fn.forward(x)
    gy = rng.standard_normal((6, 16, 4, 4))  # C order
    gx = fn.backward(gy)
    np.testing.assert_array_equal(gx, fn.backward(np.ascontiguousarray(np.moveaxis(gy, 0, -1)).transpose(3, 0, 1, 2)))
    np.testing.assert_array_equal(gx, np.repeat(np.repeat(gy / 4, 2, axis=2), 2, axis=3))
    assert gx.transpose(1, 2, 3, 0).flags.c_contiguous  # batch-last, as the layers after it expect
