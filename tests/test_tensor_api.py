"""The tensor API under PyTorch's names and meanings, against NumPy references written here.

Reductions (dim/keepdim, NumPy's aliases), max/min/argmax with PyTorch's NaN and tie rules,
shape ops (transpose swaps two dims), factories, conversions, dtype promotion and the errors
PyTorch gives. Gradients of every op are checked in tests/test_ops_higher_order.py.
"""
import warnings

import numpy as np
import pytest

import minigrad
from minigrad import nn

NAN = float("nan")


def leaf(array, dtype=minigrad.float64):
    return minigrad.tensor(array, dtype=dtype, requires_grad=True)


@pytest.fixture
def x_np():
    return np.random.default_rng(0).standard_normal((2, 3, 4))


# ---------------------------------------------------------------------------
# Reductions: dim (int, tuple, negative), keepdim, NumPy's aliases

@pytest.mark.parametrize("dim", [None, 0, -1, (0, 2), (-1, 1), (0, 1, 2)])
@pytest.mark.parametrize("keepdim", [False, True])
@pytest.mark.parametrize("op", ["sum", "mean"])
def test_sum_and_mean_with_dim_and_keepdim(x_np, op, dim, keepdim):
    x = minigrad.tensor(x_np, dtype=minigrad.float64)
    expected = getattr(x_np, op)(axis=dim, keepdims=keepdim)
    for out in (getattr(x, op)(dim=dim, keepdim=keepdim), getattr(x, op)(dim, keepdim),
                getattr(x, op)(axis=dim, keepdims=keepdim), getattr(minigrad, op)(x, dim, keepdim=keepdim)):
        assert out.shape == np.shape(expected)
        np.testing.assert_allclose(out.numpy(), expected, rtol=1e-12)


def test_empty_dim_tuple_reduces_everything_as_pytorch(x_np):
    x = minigrad.tensor(x_np, dtype=minigrad.float64)
    np.testing.assert_allclose(x.sum(dim=()).item(), x_np.sum(), rtol=1e-12)


@pytest.mark.parametrize("call", [
    lambda x: x.sum(dim=1, axis=1), lambda x: x.mean(1, axis=0), lambda x: x.sum(1, keepdim=True, keepdims=True),
    lambda x: x.max(dim=0, axis=0), lambda x: minigrad.cat([x, x], dim=0, axis=0),
], ids=["sum", "mean", "keepdims", "max", "cat"])
def test_dim_and_its_numpy_alias_together_raise_type_error(call):
    with pytest.raises(TypeError, match="alias"):
        call(minigrad.zeros(2, 3))


@pytest.mark.parametrize("call, error, match", [
    (lambda x: x.sum(dim=3), IndexError, r"range of \[-3, 2\], but got 3"),
    (lambda x: x.mean(dim=(1, -2)), RuntimeError, "more than once"),
    (lambda x: x.sum(dim=1.0), TypeError, "int"),
    (lambda x: x.long().mean(), RuntimeError, "floating-point"),
    (lambda x: x.long().var(), RuntimeError, "floating-point"),
], ids=["out_of_range", "repeated", "float_dim", "int_mean", "int_var"])
def test_reduction_errors_have_pytorch_types(call, error, match):
    with pytest.raises(error, match=match):
        call(minigrad.zeros(2, 3, 4))


def test_integer_and_bool_sums_are_int64_and_mean_takes_dtype():
    assert minigrad.tensor(np.arange(6, dtype=np.int32)).sum().dtype == minigrad.int64
    t = minigrad.tensor([True, True, False])
    assert t.sum().dtype == minigrad.int64 and t.sum().item() == 2
    m = minigrad.tensor([1, 2, 4]).mean(dtype=minigrad.float64)
    assert m.dtype == minigrad.float64 and m.item() == pytest.approx(7 / 3)


def test_float16_reductions_accumulate_in_float32():
    x = minigrad.full((10_000,), 10.0, dtype=minigrad.float16)
    m = x.mean()
    assert m.dtype == minigrad.float16 and m.item() == 10.0  # float16 accumulation would overflow to inf
    assert x.var().item() == 0.0
    small = minigrad.full((4096,), 1.0, dtype=minigrad.float16)
    assert small.sum().item() == 4096.0  # float16 accumulation stalls at 2048
    assert x.sum().item() == float("inf")  # 100000 itself is beyond float16's range, as in PyTorch


@pytest.mark.parametrize("kwargs, correction", [({}, 1), ({"unbiased": True}, 1), ({"unbiased": False}, 0),
                                                ({"correction": 0}, 0), ({"correction": 2}, 2)])
@pytest.mark.parametrize("dim", [None, 1, (0, 2)])
def test_var_and_std(x_np, kwargs, correction, dim):
    x = minigrad.tensor(x_np, dtype=minigrad.float64)
    expected = x_np.var(axis=dim, ddof=correction)
    np.testing.assert_allclose(x.var(dim=dim, **kwargs).numpy(), expected, rtol=1e-12)
    np.testing.assert_allclose(minigrad.std(x, dim, keepdim=True, **kwargs).numpy(),
                               np.sqrt(x_np.var(axis=dim, ddof=correction, keepdims=True)), rtol=1e-12)


def test_var_positional_forms_and_edge_cases():
    x_np = np.array([[1.0, 2.0, 4.0], [3.0, 5.0, 9.0]])
    x = minigrad.tensor(x_np, dtype=minigrad.float64)
    assert x.var().item() == pytest.approx(x_np.var(ddof=1))  # unbiased by default, as PyTorch
    assert x.var(False).item() == pytest.approx(x_np.var())  # var(unbiased) overload
    np.testing.assert_allclose(x.var(1, False).numpy(), x_np.var(axis=1))  # var(dim, unbiased)
    np.testing.assert_allclose(x.var(1, True, True).numpy(), x_np.var(axis=1, ddof=1, keepdims=True))
    with pytest.raises(TypeError, match="not both"):
        x.var(unbiased=False, correction=0)
    assert np.isnan(minigrad.tensor([1.0]).var().item())  # 0 / 0, as PyTorch
    assert minigrad.tensor([1.0, 2.0]).var(correction=3).item() == float("inf")


def test_prod(x_np):
    x = minigrad.tensor(x_np, dtype=minigrad.float64)
    np.testing.assert_allclose(x.prod().item(), x_np.prod(), rtol=1e-12)
    np.testing.assert_allclose(x.prod(1).numpy(), x_np.prod(axis=1), rtol=1e-12)
    np.testing.assert_allclose(x.prod(-1, keepdim=True).numpy(), x_np.prod(axis=-1, keepdims=True), rtol=1e-12)
    assert minigrad.tensor([2, 3], dtype=minigrad.int32).prod().dtype == minigrad.int64
    with pytest.raises(TypeError):
        x.prod(dim=(0, 1))  # PyTorch's prod takes one dim


def test_prod_gradient_with_zeros_is_exact():
    x = leaf([[2.0, 0.0, 3.0], [1.0, 2.0, 3.0], [0.0, 0.0, 5.0]])
    x.prod(1).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[0.0, 6.0, 0.0], [6.0, 3.0, 2.0], [0.0, 0.0, 0.0]])


def test_logsumexp(x_np):
    x = minigrad.tensor(x_np, dtype=minigrad.float64)
    np.testing.assert_allclose(x.logsumexp(1).numpy(), np.log(np.exp(x_np).sum(axis=1)), rtol=1e-12)
    np.testing.assert_allclose(minigrad.logsumexp(x, (0, 2), keepdim=True).numpy(),
                               np.log(np.exp(x_np).sum(axis=(0, 2), keepdims=True)), rtol=1e-12)
    big = minigrad.tensor([1000.0, 1000.0])
    assert big.logsumexp(0).item() == pytest.approx(1000.0 + np.log(2))  # no overflow
    assert minigrad.tensor([-np.inf, -np.inf]).logsumexp(0).item() == -np.inf
    assert minigrad.tensor([np.inf, 1.0]).logsumexp(0).item() == np.inf
    with pytest.raises(TypeError):
        x.logsumexp()  # dim is required, as in PyTorch


# ---------------------------------------------------------------------------
# max, min, argmax, argmin: PyTorch's results, NaN and tie rules

def test_max_without_dim_is_the_value_and_with_dim_a_named_tuple():
    x_np = np.array([[1.0, 5.0, 3.0], [4.0, 2.0, 6.0]])
    x = minigrad.tensor(x_np)
    assert x.max().item() == 6.0 and x.min().item() == 1.0
    r = x.max(dim=1)
    assert isinstance(r, tuple) and type(r).__name__ == "max" and r._fields == ("values", "indices")
    values, indices = r
    assert values.tolist() == [5.0, 6.0] and indices.tolist() == [1, 2] and indices.dtype == minigrad.int64
    r = minigrad.min(x, 0, keepdim=True)
    assert type(r).__name__ == "min" and r.values.tolist() == [[1.0, 2.0, 3.0]] and r.indices.tolist() == [[0, 1, 0]]
    assert x.max(axis=0).values.tolist() == [4.0, 5.0, 6.0]  # axis: the alias of dim
    with pytest.raises(TypeError, match="amax"):
        x.max(dim=(0, 1))
    np.testing.assert_array_equal(x.amax(dim=(0, 1)).numpy(), 6.0)
    np.testing.assert_array_equal(minigrad.amin(x, -1, keepdim=True).numpy(), [[1.0], [2.0]])


def test_max_of_two_tensors_is_elementwise():
    a, b = minigrad.tensor([1.0, 5.0, NAN]), minigrad.tensor([3.0, 2.0, 0.0])
    np.testing.assert_array_equal(minigrad.max(a, b).numpy(), [3.0, 5.0, NAN])
    np.testing.assert_array_equal(a.min(b).numpy(), [1.0, 2.0, NAN])


def test_max_gradient_full_reduction_shares_ties_and_dim_reduction_picks_the_index():
    x = leaf([[1.0, 3.0, 3.0], [2.0, 2.0, 0.0]])
    x.max().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[0, 0.5, 0.5], [0, 0, 0]])
    x = leaf([[1.0, 3.0, 3.0], [2.0, 2.0, 0.0]])
    x.max(dim=1).values.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[0, 1, 0], [1, 0, 0]])  # first maximal index, as returned
    x = leaf([[1.0, 3.0, 3.0], [2.0, 2.0, 0.0]])
    x.amax(dim=1).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[0, 0.5, 0.5], [0.5, 0.5, 0]])


@pytest.mark.parametrize("op", ["max", "min"])
def test_nan_propagates_and_takes_the_gradient(op):
    x = leaf([1.0, NAN, 3.0, NAN])
    y = getattr(x, op)()
    assert np.isnan(y.item())
    y.backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0, 0.5, 0, 0.5])  # shared among the NaNs, as PyTorch
    x = leaf([[1.0, NAN, 3.0, NAN], [1.0, 2.0, 5.0, 5.0]])
    values, indices = getattr(x, op)(dim=1)
    assert np.isnan(values.numpy()[0]) and indices.tolist()[0] == 1
    values.sum().backward()
    assert x.grad.numpy()[0].tolist() == [0, 1, 0, 0]  # one element: the returned index


def test_argmax_and_argmin():
    x = minigrad.tensor([[1.0, 7.0, 7.0], [9.0, 2.0, 2.0]])
    assert x.argmax().item() == 3 and x.argmax().dtype == minigrad.int64  # of the flattened tensor
    assert x.argmax(dim=1).tolist() == [1, 0] and x.argmin(1).tolist() == [0, 1]  # first of ties
    assert x.argmax(axis=0).tolist() == [1, 0, 0]
    assert x.argmax(dim=1, keepdim=True).shape == (2, 1) and x.argmax(keepdim=True).shape == (1, 1)
    assert minigrad.argmin(x).item() == 0
    n = minigrad.tensor([[1.0, NAN, 3.0, NAN], [1.0, 2.0, 5.0, 5.0]])
    assert n.argmax().item() == 1 and n.argmax(1).tolist() == [1, 2] and n.argmin(1).tolist() == [1, 0]
    with pytest.raises(TypeError):
        x.argmax(dim=(0, 1))


def test_reductions_without_identity_on_empty_input_raise():
    with pytest.raises(RuntimeError, match="0 elements"):
        minigrad.zeros(0).max()
    with pytest.raises(IndexError, match="non-zero size"):
        minigrad.zeros(0, 3).max(dim=0)
    with pytest.raises(IndexError):
        minigrad.zeros(0).argmax()
    r = minigrad.zeros(0, 3).max(dim=1)
    assert r.values.shape == (0,) and r.indices.shape == (0,)
    assert minigrad.zeros(0).sum().item() == 0.0 and minigrad.zeros(0).prod().item() == 1.0
    assert np.isnan(minigrad.zeros(0).mean().item())


def test_zero_dimensional_tensor_reduces_along_dim_0():
    s = minigrad.tensor(3.0)
    r = s.max(dim=0)
    assert r.values.item() == 3.0 and r.indices.item() == 0
    assert s.sum(0).item() == 3.0 and s.argmax(0).item() == 0


# ---------------------------------------------------------------------------
# Elementwise: maximum/minimum, clamp, where, abs, square, pow

def test_maximum_minimum_follow_pytorch_for_nan_and_ties():
    a, b = leaf([1.0, 2.0, 3.0, NAN, 1.0]), leaf([2.0, 2.0, 1.0, 1.0, NAN])
    y = minigrad.maximum(a, b)
    np.testing.assert_array_equal(y.numpy(), [2.0, 2.0, 3.0, NAN, NAN])
    y.sum().backward()
    np.testing.assert_array_equal(a.grad.numpy(), [0, 0.5, 1, 1, 1])
    np.testing.assert_array_equal(b.grad.numpy(), [1, 0.5, 0, 1, 1])
    a, b = leaf([1.0, 2.0, 3.0]), leaf([2.0, 2.0, 1.0])
    minigrad.minimum(a, b).sum().backward()
    np.testing.assert_array_equal(a.grad.numpy(), [1, 0.5, 0])


def test_clamp_values_and_gradient():
    x = leaf([-1.0, 0.0, 0.5, 1.0, 2.0, NAN])
    y = x.clamp(0.0, 1.0)
    np.testing.assert_array_equal(y.numpy(), [0.0, 0.0, 0.5, 1.0, 1.0, NAN])
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0, 1, 1, 1, 0, 0])  # inclusive bounds; NaN gets none
    np.testing.assert_array_equal(minigrad.clamp(minigrad.tensor([0.0, 1.5, 3.0]), 2.0, 1.0).numpy(), [1.0] * 3)
    np.testing.assert_array_equal(minigrad.tensor([-2.0, 3.0]).clip(max=0.5).numpy(), [-2.0, 0.5])
    assert minigrad.tensor([1, 5]).clamp(min=2).tolist() == [2, 5]
    with pytest.raises(RuntimeError, match="at least one"):
        minigrad.tensor([1.0]).clamp()


def test_where():
    cond = minigrad.tensor([[True, False, True]])
    a, b = leaf([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]), leaf([10.0, 20.0, 30.0])
    y = minigrad.where(cond, a, b)
    np.testing.assert_array_equal(y.numpy(), [[1, 20, 3], [4, 20, 6]])
    y.sum().backward()
    np.testing.assert_array_equal(a.grad.numpy(), [[1, 0, 1], [1, 0, 1]])
    np.testing.assert_array_equal(b.grad.numpy(), [0, 2, 0])
    assert minigrad.where(cond, minigrad.ones(1, 3), 0.0).dtype == minigrad.float32
    assert minigrad.where(cond, 1.0, 0.0).dtype == minigrad.float32
    rows, cols = minigrad.where(minigrad.tensor([[True, False], [True, True]]))
    assert rows.tolist() == [0, 1, 1] and cols.tolist() == [0, 0, 1] and rows.dtype == minigrad.int64
    with pytest.raises(RuntimeError, match="bool"):
        minigrad.where(minigrad.tensor([1.0, 0.0]), 1.0, 0.0)


def test_abs_square_pow_neg():
    x = leaf([-1.0, 0.0, 2.0])
    np.testing.assert_array_equal(abs(x).numpy(), [1, 0, 2])
    x.abs().sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [-1, 0, 1])  # sign(0) = 0, as PyTorch
    assert x.square().tolist() == [1.0, 0.0, 4.0] and minigrad.square(minigrad.tensor([3])).tolist() == [9]
    assert x.pow(3).tolist() == [-1.0, 0.0, 8.0] and x.neg().tolist() == [1.0, 0.0, -2.0]


# ---------------------------------------------------------------------------
# Dtype promotion, as PyTorch

@pytest.mark.parametrize("make, dtype", [
    (lambda: minigrad.tensor([1, 2]) + 1.5, "float32"),                       # int tensor, float number
    (lambda: minigrad.tensor([1, 2]) / 2, "float32"),                         # true division of integers
    (lambda: minigrad.tensor([1, 2]) / minigrad.tensor([2, 4]), "float32"),
    (lambda: minigrad.tensor([1, 2]) ** 0.5, "float32"),
    (lambda: minigrad.ones(2) + minigrad.tensor([1, 2]), "float32"),          # float32 + int64 tensor
    (lambda: minigrad.ones(2) + minigrad.tensor(1.0, dtype=minigrad.float64), "float32"),  # 0-d loses
    (lambda: minigrad.ones(2) + minigrad.ones(2, dtype=minigrad.float64), "float64"),
    (lambda: minigrad.tensor([1, 2], dtype=minigrad.int32) + 1, "int32"),
    (lambda: minigrad.tensor([True, False]) + 1, "int64"),
    (lambda: minigrad.tensor([1, 2], dtype=minigrad.int32) * minigrad.tensor(2.5), "float32"),
    (lambda: minigrad.ones(2, dtype=minigrad.float16) * 3.0, "float16"),
    (lambda: 2 ** minigrad.tensor([1, 2]), "int64"),
    (lambda: minigrad.cat([minigrad.ones(2), minigrad.ones(2, dtype=minigrad.float64)]), "float64"),
], ids=lambda v: v if isinstance(v, str) else "")
def test_result_dtypes_follow_pytorch(make, dtype):
    assert make().dtype == np.dtype(dtype)


def test_promotion_keeps_gradients_flowing():
    x = leaf([1.0, 2.0], dtype=minigrad.float32)
    y = (x * minigrad.tensor([3, 4])).sum()
    assert y.dtype == minigrad.float32
    y.backward()
    np.testing.assert_array_equal(x.grad.numpy(), [3.0, 4.0])


def test_operands_that_are_not_numbers_or_arrays_raise():
    with pytest.raises(TypeError, match="tuple"):
        minigrad.ones(2) + (1, 2)


# ---------------------------------------------------------------------------
# Shape ops

def test_transpose_swaps_two_dims():
    x_np = np.arange(24.0).reshape(2, 3, 4)
    x = minigrad.tensor(x_np)
    np.testing.assert_array_equal(minigrad.tensor([[1, 2, 3], [4, 5, 6]]).transpose(0, 1).numpy(),
                                  [[1, 4], [2, 5], [3, 6]])
    np.testing.assert_array_equal(x.transpose(1, 2).numpy(), np.swapaxes(x_np, 1, 2))
    np.testing.assert_array_equal(x.transpose(-1, 0).numpy(), np.swapaxes(x_np, 0, 2))
    np.testing.assert_array_equal(minigrad.transpose(x, 0, 1).numpy(), np.swapaxes(x_np, 0, 1))
    np.testing.assert_array_equal(x.swapaxes(0, 1).numpy(), np.swapaxes(x_np, 0, 1))
    with pytest.raises(TypeError):
        x.transpose(0, 1, 2)  # a permutation is permute's job
    with pytest.raises(TypeError):
        x.transpose()
    with pytest.raises(IndexError):
        x.transpose(0, 3)
    assert minigrad.tensor(1.0).transpose(0, -1).shape == ()


def test_permute():
    x_np = np.arange(24.0).reshape(2, 3, 4)
    x = minigrad.tensor(x_np)
    for out in (x.permute(2, 0, 1), x.permute((2, 0, 1)), x.permute([-1, 0, 1]), minigrad.permute(x, (2, 0, 1))):
        np.testing.assert_array_equal(out.numpy(), x_np.transpose(2, 0, 1))
    with pytest.raises(RuntimeError, match="duplicate"):
        x.permute(0, 0, 1)
    with pytest.raises(RuntimeError, match="number of dims"):
        x.permute(0, 1)


def test_T_mT_and_t():  # noqa: N802 (PyTorch's Tensor.T and Tensor.mT)
    m = minigrad.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    assert m.T.shape == (3, 2) and m.T.tolist() == [[1, 4], [2, 5], [3, 6]] and m.t().shape == (3, 2)
    v = minigrad.ones(3)
    assert v.t().shape == (3,)
    for u in (v, minigrad.tensor(2.0)):  # PyTorch 2.13 warns for a 1-D and a 0-d .T as well
        with pytest.warns(UserWarning, match="deprecated"):
            assert u.T.shape == u.shape
    b = minigrad.zeros(2, 3, 4)
    assert b.mT.shape == (2, 4, 3)
    with pytest.warns(UserWarning, match="deprecated"):  # PyTorch reverses the dims and warns
        assert b.T.shape == (4, 3, 2)
    with pytest.raises(RuntimeError, match="<= 2"):
        b.t()
    with pytest.raises(RuntimeError, match="matrices"):
        v.mT


def test_reshape_view_and_inference():
    x = minigrad.arange(24)
    assert x.reshape(2, -1, 4).shape == (2, 3, 4) and x.reshape((4, 6)).shape == (4, 6)
    assert x.view(-1, 12).shape == (2, 12) and minigrad.reshape(x, [3, 8]).shape == (3, 8)
    y = minigrad.zeros(2, 3)
    assert y.view_as(minigrad.zeros(3, 2)).shape == (3, 2) and y.reshape_as(minigrad.zeros(6)).shape == (6,)
    with pytest.raises(RuntimeError, match="only one dimension can be inferred"):
        x.reshape(-1, -1)
    with pytest.raises(RuntimeError, match=r"\(5, -1\).*\(24,\)"):
        x.reshape(5, -1)
    with pytest.raises(RuntimeError, match="invalid shape dimension"):
        x.reshape(-2, 12)
    with pytest.raises(TypeError):
        x.reshape(2.0, 12)


def test_view_shares_memory_or_raises():
    x = minigrad.zeros(2, 3)
    v = x.view(6)
    with minigrad.no_grad():
        v[0] = 5.0
    assert x[0, 0].item() == 5.0
    with pytest.raises(RuntimeError, match="reshape"):
        x.T.view(6)  # not contiguous: PyTorch refuses too
    assert x.T.reshape(6).shape == (6,)  # reshape copies instead
    with pytest.raises(NotImplementedError, match="dtype"):
        x.view(minigrad.int32)


def test_batch_of_zero_flattens_and_reshapes_as_pytorch():
    x = minigrad.zeros(0, 16, 4, 4)
    assert x.flatten(1).shape == (0, 256) and nn.Flatten()(x).shape == (0, 256)
    assert x.reshape(-1, 256).shape == (0, 256) and x.reshape(0, 16, 16).shape == (0, 16, 16)
    with pytest.raises(RuntimeError, match="ambiguous"):
        x.reshape(0, -1)  # -1 could be anything: PyTorch refuses


def test_flatten_squeeze_unsqueeze_expand():
    x = minigrad.zeros(2, 3, 4, 5)
    assert x.flatten().shape == (120,) and x.flatten(1).shape == (2, 60)
    assert x.flatten(1, 2).shape == (2, 12, 5) and minigrad.flatten(x, start_dim=-2).shape == (2, 3, 20)
    assert minigrad.tensor(2.0).flatten().shape == (1,)
    with pytest.raises(RuntimeError, match="start_dim"):
        x.flatten(2, 1)
    y = minigrad.zeros(1, 3, 1)
    assert y.squeeze().shape == (3,) and y.squeeze(0).shape == (3, 1) and y.squeeze(1).shape == (1, 3, 1)
    assert y.squeeze((0, 2)).shape == (3,) and minigrad.squeeze(y, -1).shape == (1, 3)
    z = minigrad.zeros(2, 3)
    assert z.unsqueeze(0).shape == (1, 2, 3) and z.unsqueeze(-1).shape == (2, 3, 1)
    assert z.unsqueeze(1).shape == (2, 1, 3)
    with pytest.raises(IndexError):
        z.unsqueeze(3)
    c = minigrad.tensor([[1.0], [2.0], [3.0]])
    np.testing.assert_array_equal(c.expand(2, 3, 4).numpy(), np.broadcast_to(c.numpy(), (2, 3, 4)))
    assert c.expand(-1, 4).shape == (3, 4) and c.expand((3, 4)).shape == (3, 4)
    assert c.expand_as(minigrad.zeros(3, 5)).shape == (3, 5)
    with pytest.raises(RuntimeError, match="non-singleton"):
        minigrad.zeros(3, 2).expand(3, 4)
    with pytest.raises(RuntimeError):
        c.expand(-1, 3, 4)  # -1 in a new leading dim
    with pytest.raises(RuntimeError, match="number of sizes"):
        c.expand(4)


def test_size_numel_dim():
    x = minigrad.zeros(2, 3, 4)
    assert x.size() == (2, 3, 4) and isinstance(x.size(), tuple) and repr(x.size()) == "minigrad.Size([2, 3, 4])"
    assert x.size(-1) == 4 and x.size(dim=1) == 3 and x.numel() == 24 and x.dim() == 3 and x.ndimension() == 3
    with pytest.raises(IndexError):
        x.size(3)
    assert minigrad.Size((2, 3)).numel() == 6


def test_cat_and_stack_with_dim():
    a, b = minigrad.arange(6.0).reshape(2, 3), minigrad.arange(6.0, 12.0).reshape(2, 3)
    np.testing.assert_array_equal(minigrad.cat([a, b], dim=1).numpy(), np.concatenate([a.numpy(), b.numpy()], 1))
    np.testing.assert_array_equal(minigrad.cat((a, b), -1).numpy(), np.concatenate([a.numpy(), b.numpy()], 1))
    np.testing.assert_array_equal(minigrad.cat([a, b], axis=0).numpy(), np.concatenate([a.numpy(), b.numpy()]))
    np.testing.assert_array_equal(minigrad.stack([a, b], dim=2).numpy(), np.stack([a.numpy(), b.numpy()], 2))
    np.testing.assert_array_equal(minigrad.stack([a, b], -1).numpy(), np.stack([a.numpy(), b.numpy()], -1))
    assert minigrad.cat([a, minigrad.zeros(0)]).shape == (2, 3)  # 1-D empty tensors are skipped, as PyTorch
    assert minigrad.concat([a, b]).shape == (4, 3)


@pytest.mark.parametrize("call, error, match", [
    (lambda: minigrad.cat([minigrad.zeros(2, 3), minigrad.zeros(2)]), RuntimeError, "number of dimensions"),
    (lambda: minigrad.cat([minigrad.zeros(2, 3), minigrad.zeros(2, 4)]), RuntimeError, "except in dimension 0"),
    (lambda: minigrad.cat([minigrad.tensor(1.0), minigrad.tensor(2.0)]), RuntimeError, "zero-dimensional"),
    (lambda: minigrad.cat([minigrad.zeros(2)], dim=1), IndexError, "range"),
    (lambda: minigrad.cat([]), ValueError, "non-empty"),
    (lambda: minigrad.cat(minigrad.zeros(2, 2)), TypeError, "list or tuple"),
    (lambda: minigrad.stack([minigrad.zeros(2, 3), minigrad.zeros(3, 2)]), RuntimeError, "equal size"),
    (lambda: minigrad.stack([minigrad.zeros(2)], dim=2), IndexError, "range"),
], ids=["ndim", "sizes", "0-d", "dim", "empty", "tensor", "stack_sizes", "stack_dim"])
def test_cat_and_stack_errors(call, error, match):
    with pytest.raises(error, match=match):
        call()


def test_iterating_a_tensor_gives_its_rows_and_a_0d_tensor_raises():
    rows = list(minigrad.tensor([[1, 2], [3, 4]]))
    assert [r.tolist() for r in rows] == [[1, 2], [3, 4]]
    with pytest.raises(TypeError, match="0-d"):
        list(minigrad.tensor(1.0))


def test_clone_and_contiguous():
    x = leaf([1.0, 2.0])
    c = x.clone()
    with minigrad.no_grad():
        c.add_(1.0)
    assert x.tolist() == [1.0, 2.0] and c.grad_fn is not None
    m = minigrad.zeros(2, 3)
    assert m.contiguous() is m and m.T.contiguous().array.flags.c_contiguous


def test_view_ops_share_the_version_counter_so_autograd_sees_changes_through_them():
    w = leaf([1.0, 2.0, 3.0])
    base = w * 1.0
    y = (base * base).sum()  # Mul saves base
    view = base.view(3, 1)
    with minigrad.no_grad():
        view.add_(1.0)  # changes base too
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.backward()
    for make in (lambda t: t[0:2], lambda t: t.unsqueeze(0), lambda t: t.expand(2, 3), lambda t: t.view(1, 3).T,
                 lambda t: t.transpose(0, 0), lambda t: t.reshape(3)):
        t = minigrad.zeros(3)
        assert make(t)._vc is t._vc


# ---------------------------------------------------------------------------
# Factories

@pytest.mark.parametrize("factory", [minigrad.zeros, minigrad.ones, minigrad.empty, minigrad.rand, minigrad.randn])
def test_factories_take_sizes_as_varargs_a_sequence_or_size(factory):
    for t in (factory(2, 3), factory((2, 3)), factory([2, 3]), factory(size=(2, 3)), factory(minigrad.Size((2, 3)))):
        assert t.shape == (2, 3) and t.dtype == minigrad.float32 and not t.requires_grad and t.device == "cpu"
    t = factory(2, dtype=minigrad.float64, requires_grad=True, device="cpu")
    assert t.dtype == minigrad.float64 and t.requires_grad and t.is_leaf
    assert factory(()).shape == () and factory(0, 3).shape == (0, 3)
    with pytest.raises(TypeError, match="size"):
        factory()
    with pytest.raises(TypeError, match="multiple values"):
        factory(2, size=(2, 3))
    with pytest.raises(TypeError):
        factory(2.0)
    with pytest.raises(RuntimeError, match="non-negative"):
        factory(-1)


def test_factory_values_and_dtypes():
    assert minigrad.zeros(2, dtype=minigrad.int64).tolist() == [0, 0] and minigrad.ones(2).tolist() == [1.0, 1.0]
    assert minigrad.full((2,), 1).dtype == minigrad.int64 and minigrad.full((2,), 1.5).dtype == minigrad.float32
    assert minigrad.full([2, 2], True).dtype == minigrad.bool_ and minigrad.full((2,), 7.0).tolist() == [7.0, 7.0]
    with pytest.raises(TypeError, match="tuple"):
        minigrad.full(2, 1.0)
    with pytest.raises(TypeError, match="floating"):
        minigrad.rand(2, dtype=minigrad.int64)
    r = minigrad.rand(1000)
    assert 0.0 <= r.numpy().min() and r.numpy().max() < 1.0
    assert abs(minigrad.randn(10_000, dtype=minigrad.float64).numpy().std() - 1.0) < 0.05
    assert minigrad.eye(2).tolist() == [[1.0, 0.0], [0.0, 1.0]]


def test_arange_and_linspace():
    assert minigrad.arange(5).tolist() == [0, 1, 2, 3, 4] and minigrad.arange(5).dtype == minigrad.int64
    np.testing.assert_array_equal(minigrad.arange(0, 1, 0.25).numpy(), [0, 0.25, 0.5, 0.75])
    assert minigrad.arange(0, 1, 0.25).dtype == minigrad.float32
    assert minigrad.arange(0, 5, 2.0).dtype == minigrad.float32
    assert minigrad.arange(end=3).tolist() == [0, 1, 2] and minigrad.arange(5, 0, -2).tolist() == [5, 3, 1]
    assert minigrad.arange(3.0, requires_grad=True).requires_grad
    assert minigrad.arange(3, dtype=minigrad.float64).dtype == minigrad.float64
    with pytest.raises(RuntimeError, match="nonzero"):
        minigrad.arange(0, 3, 0)
    with pytest.raises(RuntimeError, match="inconsistent"):
        minigrad.arange(3, 0)
    np.testing.assert_allclose(minigrad.linspace(0, 1, 5).numpy(), [0, 0.25, 0.5, 0.75, 1.0])
    assert minigrad.linspace(0, 1, 5).dtype == minigrad.float32 and minigrad.linspace(0, 1, 1).tolist() == [0.0]
    assert minigrad.linspace(0, 10, 4, dtype=minigrad.int64).tolist() == [0, 3, 6, 10]
    with pytest.raises(TypeError):
        minigrad.linspace(0, 1)


def test_like_factories():
    t = minigrad.ones(2, 3, dtype=minigrad.float64)
    for make in (minigrad.zeros_like, minigrad.ones_like, minigrad.empty_like, minigrad.rand_like, minigrad.randn_like):
        u = make(t)
        assert u.shape == (2, 3) and u.dtype == minigrad.float64 and not u.requires_grad
    assert minigrad.zeros_like(t, dtype=minigrad.float32).dtype == minigrad.float32
    assert minigrad.ones_like(t, requires_grad=True).requires_grad
    assert minigrad.full_like(minigrad.ones(2, dtype=minigrad.int64), 2.7).tolist() == [2, 2]  # keeps the dtype
    assert minigrad.full_like(t, 3.0).tolist() == [[3.0] * 3] * 2
    assert not minigrad.ones_like(leaf([1.0])).requires_grad
    with pytest.raises(TypeError):
        minigrad.rand_like(minigrad.ones(2, dtype=minigrad.int64))


def test_from_numpy_shares_memory_and_as_tensor():
    a = np.arange(3.0)
    t = minigrad.from_numpy(a)
    a[0] = 7.0
    assert t.dtype == minigrad.float64 and t.tolist() == [7.0, 1.0, 2.0]
    assert minigrad.as_tensor(t) is t and minigrad.as_tensor([1, 2]).dtype == minigrad.int64
    with pytest.raises(TypeError):
        minigrad.from_numpy([1, 2])


# ---------------------------------------------------------------------------
# Conversions

def test_item_tolist_numpy():
    t = minigrad.tensor([[1.5, 2.0]])
    assert t[0, 0].item() == 1.5 and minigrad.tensor([[3]]).item() == 3 and minigrad.tensor(2.0).tolist() == 2.0
    assert t.tolist() == [[1.5, 2.0]] and isinstance(t.numpy(), np.ndarray)
    with pytest.raises(RuntimeError, match="2 elements"):
        t.item()


def test_dtype_conversions():
    x = leaf([1.7, -2.2], dtype=minigrad.float32)
    assert x.double().dtype == minigrad.float64 and x.double().requires_grad
    assert x.half().dtype == minigrad.float16 and x.float() is x
    assert x.long().tolist() == [1, -2] and x.long().dtype == minigrad.int64 and not x.long().requires_grad
    assert x.int().dtype == minigrad.int32 and x.bool().tolist() == [True, True]
    assert minigrad.tensor([0.0, 2.0]).bool().tolist() == [False, True]
    assert x.to(minigrad.float64).dtype == minigrad.float64 and x.to("cpu") is x
    assert x.to(minigrad.zeros(1, dtype=minigrad.float64)).dtype == minigrad.float64
    assert x.to(dtype=minigrad.float64, device="cpu").dtype == minigrad.float64
    assert x.to(minigrad.float32, copy=True) is not x
    assert x.type_as(minigrad.zeros(1, dtype=minigrad.int64)).dtype == minigrad.int64
    assert x.is_floating_point() and not x.long().is_floating_point()
    with pytest.raises(ValueError, match="tpu"):
        x.to("tpu")
    x.double().sum().backward()
    assert x.grad.dtype == minigrad.float32 and x.grad.tolist() == [1.0, 1.0]


def test_pytorch_dtype_names():
    assert minigrad.float is minigrad.float32 and minigrad.double is minigrad.float64
    assert minigrad.half is minigrad.float16
    assert minigrad.long is minigrad.int64 and minigrad.int is minigrad.int32 and minigrad.bool is minigrad.bool_


# ---------------------------------------------------------------------------
# Names minigrad does not have say so (never another meaning under PyTorch's name)

def test_unsupported_names_raise_attribute_errors_naming_them():
    with pytest.raises(AttributeError, match="torch.Tensor.bernoulli_"):
        minigrad.ones(2).bernoulli_(0.5)
    with pytest.raises(AttributeError, match="torch.fft"):
        minigrad.fft
    assert not hasattr(minigrad.ones(2), "_no_such_private")  # private names stay ordinary AttributeErrors
    assert minigrad.is_tensor(minigrad.ones(1)) and not minigrad.is_tensor(1.0)


def test_bool_logic_and_comparison_methods():
    x = minigrad.tensor([-1.0, 0.5, 2.0])
    assert ((x > 0) & (x < 1)).tolist() == [False, True, False] and ((x < 0) | (x > 1)).tolist() == [True, False, True]
    assert (~(x > 0)).tolist() == [True, False, False] and ((x > 0) ^ (x > 1)).tolist() == [False, True, False]
    assert (minigrad.tensor([6]) & 3).tolist() == [2]
    with pytest.raises(RuntimeError, match="bool and integer"):
        x & x
    assert x.eq(0.5).tolist() == [False, True, False] and x.ge(0.5).tolist() == [False, True, True]
    assert minigrad.lt(x, 0).tolist() == [True, False, False] and x.ne(2.0).tolist() == [True, True, False]
    assert x.gt(0).all().item() is False and x.gt(0).any().item() is True and minigrad.all(x > -2).item() is True
    assert minigrad.tensor([[True, False], [True, True]]).all(dim=1).tolist() == [False, True]
    assert minigrad.equal(x, minigrad.tensor([-1.0, 0.5, 2.0])) and not minigrad.equal(x, x[:2])
    assert minigrad.allclose(x, x + 1e-9) and not minigrad.allclose(x, x + 1e-3)


def test_method_forms_of_arithmetic():
    a, b = minigrad.tensor([1.0, 2.0]), minigrad.tensor([10.0, 20.0])
    assert a.add(b).tolist() == [11.0, 22.0] and a.add(b, alpha=2).tolist() == [21.0, 42.0]
    assert minigrad.add(a, b, alpha=-1).tolist() == [-9.0, -18.0] and b.sub(a, alpha=10).tolist() == [0.0, 0.0]
    assert a.mul(b).tolist() == [10.0, 40.0] and minigrad.mul(a, 3).tolist() == [3.0, 6.0]
    assert b.div(a).tolist() == [10.0, 10.0] and minigrad.div(b, 4).tolist() == [2.5, 5.0]
    assert b.div(minigrad.tensor([3.0, 3.0]), rounding_mode="floor").tolist() == [3.0, 6.0]
    np.testing.assert_allclose(minigrad.sin(a).numpy(), np.sin([1.0, 2.0]), rtol=1e-6)
    np.testing.assert_allclose(a.cos().numpy(), np.cos([1.0, 2.0]), rtol=1e-6)
    np.testing.assert_allclose(b.rsqrt().numpy(), 1 / np.sqrt([10.0, 20.0]), rtol=1e-6)


def test_matrix_products_check_their_ranks():
    a, b = minigrad.ones(2, 3), minigrad.ones(3, 4)
    assert minigrad.mm(a, b).shape == (2, 4) and a.mm(b).shape == (2, 4) and a.matmul(b).shape == (2, 4)
    assert minigrad.bmm(minigrad.ones(5, 2, 3), minigrad.ones(5, 3, 4)).shape == (5, 2, 4)
    assert minigrad.dot(minigrad.ones(3), minigrad.ones(3)).item() == 3.0
    with pytest.raises(RuntimeError, match="2-D"):
        minigrad.mm(minigrad.ones(3), b)
    with pytest.raises(RuntimeError, match="batch"):
        minigrad.bmm(minigrad.ones(5, 2, 3), minigrad.ones(4, 3, 4))
    with pytest.raises(RuntimeError, match="1-D"):
        minigrad.dot(a, a)


def test_gather_masked_fill_split_chunk_repeat():
    x_np = np.arange(12.0).reshape(3, 4)
    x = minigrad.tensor(x_np)
    idx = np.array([[0, 3], [1, 1], [2, 0]])
    np.testing.assert_array_equal(x.gather(1, minigrad.tensor(idx)).numpy(), np.take_along_axis(x_np, idx, 1))
    np.testing.assert_array_equal(minigrad.gather(x, 0, minigrad.tensor([[2, 0, 1, 0]])).numpy(), [[8, 1, 6, 3]])
    with pytest.raises(RuntimeError, match="int64 index"):
        x.gather(1, minigrad.tensor([[0.0]]))
    filled = x.masked_fill(x > 5, -1.0)
    np.testing.assert_array_equal(filled.numpy(), np.where(x_np > 5, -1.0, x_np))
    assert minigrad.tensor([1, 2]).masked_fill(minigrad.tensor([True, False]), 2.7).tolist() == [2, 2]
    assert [p.shape for p in x.split(3, dim=1)] == [(3, 3), (3, 1)]
    assert [p.shape for p in x.split([1, 2])] == [(1, 4), (2, 4)]
    assert [p.shape for p in x.chunk(3, 1)] == [(3, 2), (3, 2)] and len(minigrad.chunk(x, 3)) == 3
    with pytest.raises(RuntimeError, match="add up"):
        x.split([1, 1])
    np.testing.assert_array_equal(x.repeat(2, 1).numpy(), np.tile(x_np, (2, 1)))
    np.testing.assert_array_equal(x.repeat(2, 1, 3).numpy(), np.tile(x_np, (2, 1, 3)))
    with pytest.raises(RuntimeError, match="repeats"):
        x.repeat(2)


def test_rounding_cumsum_nonzero_and_new_factories():
    x_np = np.array([[1.5, -2.5, 0.0], [3.2, -0.7, 1.0]])
    x = leaf(x_np)
    for name in ("floor", "ceil", "round", "trunc", "sign"):
        np.testing.assert_array_equal(getattr(x, name)().numpy(), getattr(np, name)(x_np))
    (x.floor() * 3).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.zeros((2, 3)))  # piecewise constant: gradient 0, as PyTorch
    np.testing.assert_allclose(x.cumsum(1).numpy(), np.cumsum(x_np, 1))
    np.testing.assert_allclose(minigrad.cumsum(x, dim=0).numpy(), np.cumsum(x_np, 0))
    assert minigrad.tensor([True, False, True]).cumsum(0).tolist() == [1, 1, 2]
    assert minigrad.tensor([1, 2], dtype=minigrad.int32).cumsum(0).dtype == minigrad.int64
    assert x.nonzero().tolist() == [[0, 0], [0, 1], [1, 0], [1, 1], [1, 2]] and x.nonzero().dtype == minigrad.int64
    rows, cols = minigrad.nonzero(x, as_tuple=True)
    assert rows.tolist() == [0, 0, 1, 1, 1] and cols.tolist() == [0, 1, 0, 1, 2]
    z = x.new_zeros(2, 3)
    assert z.shape == (2, 3) and z.dtype == minigrad.float64 and not z.requires_grad
    assert x.new_ones((2,)).tolist() == [1.0, 1.0] and x.new_full((2,), 4).dtype == minigrad.float64
    assert x.new_tensor([1, 2]).dtype == minigrad.float64


def test_floor_division_remainder_norm_unbind_format():
    a_np, b_np = np.array([-3.5, 2.5, 7.0]), np.array([2.0, -2.0, 3.0])
    a, b = leaf(a_np), leaf(b_np)
    np.testing.assert_array_equal((a // b).numpy(), np.floor_divide(a_np, b_np))
    np.testing.assert_array_equal((a % b).numpy(), np.remainder(a_np, b_np))  # the divisor's sign, as PyTorch
    (a % b).sum().backward()
    np.testing.assert_array_equal(a.grad.numpy(), [1, 1, 1])
    np.testing.assert_array_equal(b.grad.numpy(), -np.floor(a_np / b_np))
    i = minigrad.tensor([-7, 7])
    assert (i // 2).tolist() == [-4, 3] and (i // 2).dtype == minigrad.int64 and (i % 3).tolist() == [2, 1]
    assert i.div(2, rounding_mode="trunc").tolist() == [-3, 3] and (7 // minigrad.tensor([2])).tolist() == [3]
    assert minigrad.tensor([-7.0, 7.0]).div(2, rounding_mode="trunc").tolist() == [-3.0, 3.0]
    with pytest.raises(RuntimeError, match="rounding_mode"):
        i.div(2, rounding_mode="up")
    for zero_division in (lambda: i // 0, lambda: i % minigrad.tensor([1, 0]), lambda: i.div(0, rounding_mode="trunc")):
        with pytest.raises(RuntimeError, match="ZeroDivisionError"):  # NumPy would give 0 quietly
            zero_division()
    assert minigrad.tensor([1.0, 0.0]).div(0.0).tolist()[0] == float("inf")
    np.testing.assert_allclose(minigrad.tensor([1.2345, 2.5]).round(decimals=2).numpy(), [1.23, 2.5])
    x_np = np.array([[3.0, 4.0], [0.0, 0.0]])
    x = leaf(x_np)
    assert x.norm().item() == 5.0 and x.norm(dim=1).tolist() == [5.0, 0.0] and x.norm(p=1).item() == 7.0
    x.norm(dim=1).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[0.6, 0.8], [0.0, 0.0]])  # 0 at a zero norm, as PyTorch
    with pytest.raises(NotImplementedError, match="p=3"):
        x.norm(p=3)
    parts = minigrad.tensor([[1, 2, 3], [4, 5, 6]]).unbind(1)
    assert [p.tolist() for p in parts] == [[1, 4], [2, 5], [3, 6]]
    assert f"{minigrad.tensor(3.14159):.2f}" == "3.14" and f"{minigrad.tensor(2)}" == "2"
    with pytest.raises(TypeError):
        f"{minigrad.tensor([1.0, 2.0]):.2f}"


def test_type_randint_normal():
    x = minigrad.ones(2)
    assert x.type() == "torch.FloatTensor" and x.long().type() == "torch.LongTensor"
    assert x.type(minigrad.int64).dtype == minigrad.int64
    r = minigrad.randint(3, 7, (1000,))
    assert r.dtype == minigrad.int64 and r.numpy().min() == 3 and r.numpy().max() == 6
    assert minigrad.randint(5, size=(2, 2)).shape == (2, 2)
    n = minigrad.normal(2.0, 0.5, size=(10_000,))
    assert n.dtype == minigrad.float32 and abs(n.numpy().mean() - 2.0) < 0.05 and abs(n.numpy().std() - 0.5) < 0.05
    m = minigrad.normal(minigrad.zeros(2, 1), minigrad.ones(3, dtype=minigrad.float32))
    assert m.shape == (2, 3) and m.dtype == minigrad.float32 and not m.requires_grad
    assert x.type("torch.DoubleTensor").dtype == minigrad.float64
    with pytest.raises(TypeError, match="size"):
        minigrad.normal(0.0, 1.0)


def test_softmax_and_log_softmax_take_dim():
    x_np = np.random.default_rng(1).standard_normal((2, 3))
    x = minigrad.tensor(x_np)
    e = np.exp(x_np - x_np.max(0))
    np.testing.assert_allclose(x.softmax(0).numpy(), e / e.sum(0), rtol=1e-6)
    np.testing.assert_allclose(nn.functional.log_softmax(x, dim=0).numpy(), np.log(e / e.sum(0)), rtol=1e-5, atol=1e-6)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        implicit = nn.functional.softmax(minigrad.tensor(np.zeros((2, 3, 4))))  # PyTorch's implicit dim: 0 for 3-D
    assert caught and np.allclose(implicit.numpy(), 0.5)
    with pytest.raises(IndexError):
        x.softmax(2)


def test_cross_entropy_loss_reduction():
    logits, target = minigrad.tensor([[2.0, 0.5, -1.0], [0.1, 0.2, 3.0]]), minigrad.tensor([0, 1])
    z = logits.numpy().astype(np.float64)
    per_sample = np.log(np.exp(z).sum(1)) - z[[0, 1], [0, 1]]
    np.testing.assert_allclose(nn.CrossEntropyLoss(reduction="none")(logits, target).numpy(), per_sample, rtol=1e-6)
    np.testing.assert_allclose(nn.CrossEntropyLoss(reduction="sum")(logits, target).item(), per_sample.sum(), rtol=1e-6)
    np.testing.assert_allclose(nn.CrossEntropyLoss()(logits, target).item(), per_sample.mean(), rtol=1e-6)


def test_shape_is_a_size_as_in_pytorch():
    # torch: t.shape is t.size(), a torch.Size: a tuple with numel(), slices stay Size
    x = minigrad.zeros(2, 3, 4)
    assert isinstance(x.shape, minigrad.Size) and x.shape == x.size() == (2, 3, 4)
    assert x.shape.numel() == 24 and x.shape[1:].numel() == 12 and isinstance(x.shape[1:], minigrad.Size)
    assert repr(x.shape) == "minigrad.Size([2, 3, 4])"
    assert f"{x.shape}" == str(x.shape) == "(2, 3, 4)"  # in messages a shape reads as the tuple it is
    assert minigrad.zeros(x.shape).shape == (2, 3, 4) and minigrad.zeros(()).shape.numel() == 1


def test_requires_grad_attribute_as_pytorch():
    # torch: assigning on a leaf is requires_grad_(); on a computed tensor it raises
    # "you can only change requires_grad flags of leaf variables"
    x = minigrad.ones(2)
    x.requires_grad = True
    assert x.requires_grad and x.is_leaf
    y = x * 2
    assert y.requires_grad
    for flag in (True, False):
        with pytest.raises(RuntimeError, match="leaf"):
            y.requires_grad = flag
    assert y.requires_grad
    with pytest.raises(RuntimeError, match="floating-point"):
        minigrad.tensor([1]).requires_grad = True
    x.requires_grad = False
    assert not (x * 2).requires_grad


def test_slices_with_a_step_below_one_raise_as_pytorch():
    # torch: ValueError "step must be greater than zero" (NumPy would reverse the tensor)
    x = minigrad.arange(6.0).reshape(2, 3)
    assert x[:, ::2].tolist() == [[0, 2], [3, 5]] and x[::1].tolist() == x.tolist()
    for key in (slice(None, None, -1), (slice(None), slice(None, None, -2)), slice(None, None, 0)):
        with pytest.raises(ValueError, match="step must be greater than zero"):
            x[key]
