"""Tests written for survivors of the full mutmut run over minigrad/ops.py (docs/testing.md, "Mutation
testing"): each checks a documented behaviour (PyTorch's defaults, dtype rules, ties, empty inputs) against
NumPy or a hand value. The mutants they were written against are named in docs/testing.md."""
import warnings

import numpy as np
import pytest

import minigrad
from minigrad.autograd import grad

RNG = np.random.default_rng(17)


def t(a, requires_grad=False):
    return minigrad.tensor(np.asarray(a), requires_grad=requires_grad)


def np_logsumexp(a, axis, keepdims=False):
    m = a.max(axis=axis, keepdims=True)
    out = np.log(np.exp(a - m).sum(axis=axis, keepdims=True)) + m
    return out if keepdims else np.squeeze(out, axis=axis)


# -- logsumexp -------------------------------------------------------------------------------------

def test_logsumexp_keeps_rows_of_very_different_scale_finite():
    # each row is shifted by its own maximum: a global shift would underflow the second row to -inf
    a = np.array([[1000.0, 999.0, 998.0], [-1000.0, -1001.0, -1003.0]])
    y = minigrad.logsumexp(t(a), 1)
    assert y.shape == (2,)                                         # keepdim defaults to False
    np.testing.assert_allclose(y.numpy(), np_logsumexp(a, 1), rtol=1e-14)
    assert np.isfinite(y.numpy()).all()


def test_logsumexp_keepdim_true_keeps_the_reduced_dim():
    a = RNG.standard_normal((2, 3, 4))
    y = minigrad.logsumexp(t(a), (0, 2), keepdim=True)
    assert y.shape == (1, 3, 1)
    np.testing.assert_allclose(y.numpy(), np_logsumexp(a, (0, 2), keepdims=True), rtol=1e-14)


def test_logsumexp_of_integers_is_float32():
    y = minigrad.logsumexp(t(np.array([[0, 1], [2, 3]], dtype=np.int64)), 1)
    assert y.dtype == minigrad.float32
    np.testing.assert_allclose(y.numpy(), np_logsumexp(np.array([[0.0, 1.0], [2.0, 3.0]]), 1), rtol=1e-6)


@pytest.mark.parametrize("keepdim, shape", [(False, (3,)), (True, (1, 3))])
def test_logsumexp_over_an_empty_dim_is_minus_inf_of_the_input_dtype(keepdim, shape):
    y = minigrad.logsumexp(t(np.zeros((0, 3), dtype=np.float32)), 0, keepdim=keepdim)
    assert y.shape == shape and y.dtype == minigrad.float32
    assert (y.numpy() == -np.inf).all()


# -- norm, std, var, prod, cumsum: PyTorch's defaults and dtype arguments ---------------------------

def test_norm_defaults_to_no_keepdim_and_p1_reduces_over_dim():
    a = RNG.standard_normal((3, 4))
    assert minigrad.norm(t(a)).shape == ()
    np.testing.assert_allclose(minigrad.norm(t(a)).item(), np.linalg.norm(a), rtol=1e-14)
    y = minigrad.norm(t(a), 1, dim=1)
    assert y.shape == (3,)
    np.testing.assert_allclose(y.numpy(), np.abs(a).sum(1), rtol=1e-14)
    y = minigrad.norm(t(a), 1, dim=0, keepdim=True)
    assert y.shape == (1, 4)
    np.testing.assert_allclose(y.numpy(), np.abs(a).sum(0, keepdims=True), rtol=1e-14)
    y = minigrad.norm(t(a), 2, dim=1, keepdim=True)
    assert y.shape == (3, 1)
    np.testing.assert_allclose(y.numpy(), np.linalg.norm(a, axis=1, keepdims=True), rtol=1e-14)


def test_norm_second_derivative_at_zero_is_zero_not_nan():
    # d norm / dx = x / norm with 0 where the norm is 0; built as a graph, it must stay finite there
    x = t(np.zeros(3), requires_grad=True)
    (g,) = grad(minigrad.norm(x), x, create_graph=True)
    np.testing.assert_array_equal(g.numpy(), np.zeros(3))
    x = t(np.array([0.6, 0.8]), requires_grad=True)                # norm exactly 1
    (g,) = grad(minigrad.norm(x), x, create_graph=True)
    np.testing.assert_allclose(g.numpy(), [0.6, 0.8], rtol=1e-15)


def test_std_and_var_defaults_and_numpy_aliases():
    a = RNG.standard_normal((3, 5))
    assert minigrad.std(t(a)).shape == ()
    assert minigrad.std(t(a), 1).shape == (3,)
    np.testing.assert_allclose(minigrad.std(t(a), 1).numpy(), a.std(1, ddof=1), rtol=1e-14)
    np.testing.assert_allclose(minigrad.std(t(a), axis=0).numpy(), a.std(0, ddof=1), rtol=1e-14)
    y = minigrad.std(t(a), 1, keepdims=True)
    assert y.shape == (3, 1)
    np.testing.assert_allclose(y.numpy(), a.std(1, ddof=1, keepdims=True), rtol=1e-14)
    np.testing.assert_allclose(minigrad.var(t(a), axis=1).numpy(), a.var(1, ddof=1), rtol=1e-14)
    assert minigrad.var(t(a), 0, keepdims=True).shape == (1, 5)


def test_prod_defaults_and_dtype():
    a = RNG.uniform(0.5, 1.5, (3, 4)).astype(np.float32)
    assert minigrad.prod(t(a), 1).shape == (3,)
    y = minigrad.prod(t(a), 1, dtype=minigrad.float64)
    assert y.dtype == minigrad.float64
    np.testing.assert_allclose(y.numpy(), a.astype(np.float64).prod(1), rtol=1e-14)
    y = minigrad.prod(t(a), dtype=minigrad.float64)
    assert y.dtype == minigrad.float64 and y.shape == ()
    np.testing.assert_allclose(y.item(), a.astype(np.float64).prod(), rtol=1e-14)
    assert minigrad.prod(t(a), 1).dtype == minigrad.float32


def test_cumsum_dtype_argument_converts_first():
    a = RNG.standard_normal(5).astype(np.float32)
    y = minigrad.cumsum(t(a), 0, dtype=minigrad.float64)
    assert y.dtype == minigrad.float64
    np.testing.assert_allclose(y.numpy(), np.cumsum(a.astype(np.float64)), rtol=1e-14)
    assert minigrad.cumsum(t(a), 0).dtype == minigrad.float32
    y = minigrad.cumsum(t(np.float32(2.5)), 0)                      # a 0-d tensor: a copy of itself
    assert y.shape == () and y.item() == 2.5


# -- max: full reductions and ties ------------------------------------------------------------------

def test_max_of_all_elements_is_0d():
    a = RNG.standard_normal((2, 3))
    assert minigrad.max(t(a)).shape == ()
    assert minigrad.max(t(a)).item() == a.max()
    assert minigrad.min(t(a)).shape == () and minigrad.min(t(a)).item() == a.min()


def test_max_graph_gradient_shares_ties_equally():
    # the graph-built gradient (create_graph=True) divides the upstream gradient among the tied maxima
    x = t(np.array([[1.0, 3.0, 3.0], [2.0, 2.0, 2.0]]), requires_grad=True)
    (g,) = grad(minigrad.amax(x, 1).sum(), x, create_graph=True)
    np.testing.assert_allclose(g.numpy(), [[0, 0.5, 0.5], [1 / 3, 1 / 3, 1 / 3]], rtol=1e-15)
    (g,) = grad(minigrad.max(x), x, create_graph=True)
    np.testing.assert_allclose(g.numpy(), [[0, 0.5, 0.5], [0, 0, 0]], rtol=1e-15)


# -- amax/min defaults, float16 accumulation, alpha, rounding, integer division ---------------------

def test_amax_and_min_defaults_and_numpy_aliases():
    a = RNG.standard_normal((3, 4))
    assert minigrad.amax(t(a), 1).shape == (3,)
    np.testing.assert_array_equal(minigrad.amax(t(a), 1, keepdims=True).numpy(), a.max(1, keepdims=True))
    assert minigrad.amax(t(a)).shape == ()
    values, indices = minigrad.min(t(a), 1)
    assert values.shape == (3,) and indices.shape == (3,)
    np.testing.assert_array_equal(values.numpy(), a.min(1))
    values, _ = minigrad.min(t(a), axis=0, keepdims=True)
    np.testing.assert_array_equal(values.numpy(), a.min(0, keepdims=True))
    values, _ = minigrad.max(t(a), 1, keepdims=True)
    np.testing.assert_array_equal(values.numpy(), a.max(1, keepdims=True))


@pytest.mark.parametrize("method", ["sum", "mean"])
def test_float16_reductions_over_a_dim_accumulate_in_float32(method):
    a = np.full((3, 2048), 1.0, dtype=np.float16)                   # a float16 running sum stalls at 2048
    a[:, 0] = 3.0
    y = getattr(t(a), method)(1, keepdim=True)
    assert y.dtype == minigrad.float16 and y.shape == (3, 1)
    np.testing.assert_array_equal(y.numpy(), getattr(a.astype(np.float32), method)(1, keepdims=True)
                                  .astype(np.float16))


def test_add_and_sub_alpha():
    a, b = RNG.standard_normal(4), RNG.standard_normal(4)
    np.testing.assert_allclose(minigrad.add(t(a), t(b)).numpy(), a + b, rtol=1e-15)
    np.testing.assert_allclose(minigrad.sub(t(a), t(b)).numpy(), a - b, rtol=1e-15)
    np.testing.assert_allclose(minigrad.add(t(a), t(b), alpha=2).numpy(), a + 2 * b, rtol=1e-15)
    np.testing.assert_allclose(minigrad.sub(t(a), t(b), alpha=2).numpy(), a - 2 * b, rtol=1e-15)
    np.testing.assert_allclose(minigrad.sub(t(a), t(b), alpha=-0.5).numpy(), a + 0.5 * b, rtol=1e-15)


def test_round_defaults_to_integers_and_takes_decimals():
    a = np.array([1.26, -2.5, 0.5, 1.5, 3.14159])
    np.testing.assert_array_equal(minigrad.round(t(a)).numpy(), np.round(a))
    np.testing.assert_allclose(minigrad.round(t(a), decimals=1).numpy(), np.round(a, 1), rtol=1e-15)
    np.testing.assert_allclose(minigrad.round(t(a), decimals=2).numpy(), np.round(a, 2), rtol=1e-15)


@pytest.mark.parametrize("mode", ["trunc", "floor"])
def test_integer_division_rounding_modes(mode):
    a = np.array([7, -7, 1, -1, 6, 0, 5], dtype=np.int64)
    b = np.array([2, 2, 3, 3, -3, 5, 5], dtype=np.int64)
    ref = np.trunc(a / b) if mode == "trunc" else np.floor(a / b)
    y = minigrad.div(t(a), t(b), rounding_mode=mode)
    assert y.dtype == minigrad.int64
    np.testing.assert_array_equal(y.numpy(), ref.astype(np.int64))
    y = minigrad.div(t(a.astype(np.float64)), t(b), rounding_mode=mode)   # float with int: float
    assert y.dtype == minigrad.float64
    np.testing.assert_array_equal(y.numpy(), ref)


def test_remainder_of_float_and_int_is_float():
    a = np.array([5.5, -5.5])
    y = minigrad.remainder(t(a), t(np.array([2, 2])))
    assert y.dtype == minigrad.float64
    np.testing.assert_array_equal(y.numpy(), np.remainder(a, 2))


# -- quiet NaN/inf rules, abs's second derivative, shape checks -------------------------------------

def test_division_log_and_pow_give_inf_and_nan_without_warnings():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        np.testing.assert_array_equal((t([1.0, 0.0]) / t([0.0, 0.0])).numpy(), [np.inf, np.nan])
        np.testing.assert_array_equal(minigrad.log(t([0.0, -1.0])).numpy(), [-np.inf, np.nan])
        np.testing.assert_array_equal((t([0.0]) ** -1.0).numpy(), [np.inf])
        assert np.isnan((t([-1.0]) ** 0.5).numpy()).all()


def test_abs_graph_gradient_at_zero_is_zero():
    x = t(np.array([-2.0, 0.0, 3.0]), requires_grad=True)
    (g,) = grad(minigrad.abs(x).sum(), x, create_graph=True)
    np.testing.assert_array_equal(g.numpy(), [-1.0, 0.0, 1.0])


def test_matrix_transpose_of_a_matrix():
    a = RNG.standard_normal((2, 3))
    np.testing.assert_array_equal(t(a).mT.numpy(), a.T)
    np.testing.assert_array_equal(t(a).t().numpy(), a.T)


@pytest.mark.parametrize("fn, shapes", [(minigrad.bmm, [(2, 3, 4), (3, 4, 5)]), (minigrad.bmm, [(2, 3, 4), (4, 5)]),
                                        (minigrad.dot, [(3,), (4,)]), (minigrad.dot, [(3,), (3, 1)])])
def test_bmm_and_dot_shape_errors(fn, shapes):
    with pytest.raises(RuntimeError, match="expected"):
        fn(*[t(np.ones(s)) for s in shapes])


def test_where_needs_both_values_or_none_and_checks_the_condition_shape():
    cond = t(np.array([True, False, True]))
    with pytest.raises((TypeError, ValueError, RuntimeError)):
        minigrad.where(cond, t(np.ones(3)))
    with pytest.raises((TypeError, ValueError, RuntimeError)):
        minigrad.where(cond, None, t(np.ones(3)))
    with pytest.raises(RuntimeError, match="where"):
        minigrad.where(t(np.array([True, False])), t(np.ones(3)), t(np.zeros(3)))
    (idx,) = minigrad.where(cond)
    np.testing.assert_array_equal(idx.numpy(), [0, 2])


def test_gather_index_larger_than_the_input_off_dim_is_an_error():
    x = t(np.ones((2, 3)))
    with pytest.raises(RuntimeError, match="gather"):
        minigrad.gather(x, 1, t(np.zeros((3, 1), dtype=np.int64)))
    y = minigrad.gather(t(np.arange(6.0).reshape(2, 3)), 1, [[2, 0], [1, 1]])   # a list index
    np.testing.assert_array_equal(y.numpy(), [[2.0, 0.0], [4.0, 4.0]])


# -- boolean reductions, allclose, arg-reductions, splitting, nonzero, promotion --------------------

def test_all_any_default_to_no_keepdim():
    a = np.array([[True, False, True], [True, True, True]])
    np.testing.assert_array_equal(minigrad.all(t(a), 1).numpy(), a.all(1))
    np.testing.assert_array_equal(minigrad.any(t(~a), 1).numpy(), (~a).any(1))
    assert minigrad.all(t(a)).shape == () and not minigrad.all(t(a)).item()
    assert minigrad.all(t(a), 0, keepdim=True).shape == (1, 3)


def test_allclose_honours_rtol_atol_and_equal_nan():
    a = np.array([1.0, 2.0])
    assert minigrad.allclose(t(a), t(a * (1 + 1e-3)), rtol=1e-2)
    assert not minigrad.allclose(t(a), t(a * (1 + 1e-3)))
    assert minigrad.allclose(t(np.zeros(2)), t(np.full(2, 1e-3)), atol=1e-2)
    assert not minigrad.allclose(t(np.array([np.nan])), t(np.array([np.nan])))
    assert minigrad.allclose(t(np.array([np.nan])), t(np.array([np.nan])), equal_nan=True)


def test_argmax_argmin_numpy_aliases():
    a = RNG.standard_normal((3, 4))
    np.testing.assert_array_equal(minigrad.argmax(t(a), 1, keepdims=True).numpy(), a.argmax(1)[:, None])
    np.testing.assert_array_equal(minigrad.argmin(t(a), axis=0).numpy(), a.argmin(0))


def test_chunk_split_and_unbind_sizes():
    a = np.arange(5.0)
    assert [c.numpy().tolist() for c in minigrad.chunk(t(a), 1)] == [a.tolist()]
    assert [c.shape[0] for c in minigrad.split(t(a), 2)] == [2, 2, 1]
    for bad in (minigrad.chunk, minigrad.split):
        with pytest.raises((ValueError, RuntimeError)):
            bad(t(a), 0)
    rows = minigrad.unbind(t(np.arange(6.0).reshape(2, 3)))
    assert len(rows) == 2 and rows[1].numpy().tolist() == [3.0, 4.0, 5.0]


def test_nonzero_defaults_to_an_index_matrix_and_takes_a_0d_tensor_as_a_tuple():
    a = np.array([[0.0, 1.0], [2.0, 0.0]])
    np.testing.assert_array_equal(minigrad.nonzero(t(a)).numpy(), np.argwhere(a))
    (idx,) = minigrad.nonzero(t(np.float64(5.0)), as_tuple=True)     # a 0-d tensor: one index, 0, as PyTorch
    np.testing.assert_array_equal(idx.numpy(), [0])


def test_promotion_keeps_the_wider_float_in_either_order():
    assert minigrad.promote_types(minigrad.float64, minigrad.float32) == minigrad.float64
    assert minigrad.promote_types(minigrad.float32, minigrad.float64) == minigrad.float64
    assert minigrad.promote_types(minigrad.int64, minigrad.float32) == minigrad.float32


def test_python_number_on_the_left_of_a_tensor_keeps_the_tensor_dtype():
    x = np.array([1.0, 2.0], dtype=np.float32)
    for y, ref in [(2 - t(x), 2 - x), (3.5 / t(x), 3.5 / x), (2.0 ** t(x), 2.0 ** x)]:
        assert y.dtype == minigrad.float32
        np.testing.assert_allclose(y.numpy(), ref, rtol=1e-7)
    y = 2.5 * t(np.array([1, 2], dtype=np.int64))                    # int tensor, float number: float32
    assert y.dtype == minigrad.float32
    np.testing.assert_array_equal(y.numpy(), [2.5, 5.0])


def test_matmul_and_where_check_dtypes_and_shapes():
    with pytest.raises(RuntimeError, match="dtype|float"):
        t(np.ones((2, 2), dtype=np.float32)) @ t(np.ones((2, 2)))
    with pytest.raises(RuntimeError, match="dtype|float"):
        t(np.ones((2, 2))) @ t(np.ones((2, 2), dtype=np.float32))
    cond = t(np.array([True, False, True]))
    with pytest.raises(RuntimeError, match="where"):
        minigrad.where(cond, t(np.ones(2)), t(np.zeros(3)))
    with pytest.raises(RuntimeError, match="where"):
        minigrad.where(cond, t(np.ones(3)), t(np.zeros(2)))


def test_masked_fill_with_a_0d_tensor_value_and_a_list_mask():
    a = np.arange(3.0)
    y = minigrad.masked_fill(t(a), [True, False, True], t(np.float64(9.0)))
    np.testing.assert_array_equal(y.numpy(), [9.0, 1.0, 9.0])


def test_cast_graph_gradient_comes_back_in_the_input_dtype():
    x = t(np.array([1.0, 2.0], dtype=np.float32), requires_grad=True)
    (g,) = grad((x.to(minigrad.float64) ** 2).sum(), x, create_graph=True)
    assert g.dtype == minigrad.float32
    np.testing.assert_array_equal(g.numpy(), [2.0, 4.0])


def test_nonzero_of_a_0d_tensor_has_no_index_columns():
    """PyTorch 2.13: nonzero(tensor(5.)) has shape (1, 0), nonzero(tensor(0.)) (0, 0)."""
    assert minigrad.nonzero(minigrad.tensor(5.0)).shape == (1, 0)
    assert minigrad.nonzero(minigrad.tensor(0.0)).shape == (0, 0)
    assert minigrad.nonzero(minigrad.tensor([[0.0, 2.0], [3.0, 0.0]])).tolist() == [[0, 1], [1, 0]]


# -- shapes of reductions with keepdim, nonzero's dtype, t of small tensors, quiet log gradient -------

def test_argmax_over_all_elements_is_0d_unless_keepdim():
    x = t(np.array([[0.0, 5.0, 1.0], [2.0, 3.0, 4.0]]))
    assert minigrad.argmax(x).shape == () and int(minigrad.argmax(x)) == 1
    assert minigrad.argmin(x, keepdim=True).shape == (1, 1) and int(minigrad.argmin(x, keepdim=True)) == 0


def test_amax_and_any_keep_the_dim_when_asked_positionally():
    a = np.array([[0.0, 5.0, 1.0], [2.0, 0.0, 4.0]])
    np.testing.assert_array_equal(minigrad.amax(t(a), 0, True).numpy(), a.max(0, keepdims=True))
    np.testing.assert_array_equal(minigrad.any(t(a), 0, True).numpy(), a.any(0, keepdims=True))
    np.testing.assert_array_equal(minigrad.all(t(a), 1, True).numpy(), a.all(1, keepdims=True))


def test_nonzero_of_a_0d_tensor_is_an_int64_index_matrix():
    for value, rows in ((1.0, 1), (0.0, 0)):
        idx = minigrad.nonzero(t(np.array(value)))
        assert idx.shape == (rows, 0) and idx.dtype == minigrad.int64


def test_t_leaves_0d_and_1d_tensors_unchanged():
    np.testing.assert_array_equal(minigrad.t(t(np.array(2.0))).numpy(), 2.0)
    np.testing.assert_array_equal(minigrad.t(t(np.array([1.0, 2.0]))).numpy(), [1.0, 2.0])


def test_log_gradient_at_zero_is_inf_without_a_warning():
    x = t(np.array([0.0, 2.0]), requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        minigrad.log(x).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [np.inf, 0.5])


def test_float_tensor_divided_by_a_python_int_keeps_float_semantics():
    a = t(np.array([5.5, -3.5]))
    np.testing.assert_array_equal(minigrad.remainder(a, 2).numpy(), [1.5, 0.5])
    np.testing.assert_array_equal(minigrad.div(a, 2, rounding_mode="floor").numpy(), [2.0, -2.0])
    np.testing.assert_array_equal(minigrad.div(a, 2, rounding_mode="trunc").numpy(), [2.0, -1.0])


def test_amax_of_an_empty_tensor_over_a_nonempty_dim():
    y = minigrad.amax(t(np.zeros((0, 3))), 1)
    assert y.shape == (0,)                                     # PyTorch: fine, the reduced dim has elements


def test_basic_index_is_a_view_sharing_the_version_and_an_advanced_index_a_copy():
    x = minigrad.zeros(2, 3)
    x[[0, 1], 0].add_(1.0)                                     # a list in the key: a copy (as PyTorch)
    assert x._version == 0 and float(x.sum()) == 0.0
    x[0, 0:2].add_(1.0)                                        # ints and slices: a view of x
    assert x._version == 1
    np.testing.assert_array_equal(x.numpy(), [[1.0, 1.0, 0.0], [0.0, 0.0, 0.0]])


def test_batch_norm_without_bias_keeps_the_input_dtype():
    x = minigrad.tensor(RNG.standard_normal((4, 3)).astype(np.float32))
    y = minigrad.nn.functional.batch_norm(x, None, None, weight=minigrad.ones(3), bias=None, training=True)
    assert y.dtype == minigrad.float32
    y = minigrad.nn.functional.batch_norm(x, None, None, weight=None, bias=minigrad.zeros(3), training=True)
    assert y.dtype == minigrad.float32


@pytest.mark.parametrize("shape", [(3, 1), (3, 0)])
def test_prod_graph_gradient_over_a_dim_of_one_or_no_elements(shape):
    # one element: its gradient is 1 (nothing else to multiply); none: an empty gradient; float32 kept
    x = minigrad.tensor(RNG.standard_normal(shape).astype(np.float32), requires_grad=True)
    (g,) = grad(minigrad.prod(x, 1).sum(), [x], create_graph=True)
    assert g.shape == shape and g.dtype == minigrad.float32
    np.testing.assert_array_equal(g.numpy(), np.ones(shape, np.float32))
    (gg,) = grad((g * x).sum(), [x])
    np.testing.assert_array_equal(gg.numpy(), np.ones(shape, np.float32))


def test_sum_and_mean_default_to_all_elements_without_keepdim():
    a = RNG.standard_normal((2, 3))
    assert minigrad.sum(t(a)).shape == () and minigrad.mean(t(a)).shape == ()
    np.testing.assert_allclose(float(minigrad.mean(t(a))), a.mean(), rtol=1e-15)


def test_a_0d_float64_tensor_promotes_an_integer_tensor_to_float64():
    # PyTorch: a 0-d tensor of a higher category gives its dtype (a Python float would give float32)
    assert (minigrad.tensor([1, 2]) + minigrad.tensor(1.5, dtype=minigrad.float64)).dtype == minigrad.float64
    assert (minigrad.tensor([1, 2]) + 1.5).dtype == minigrad.float32
    assert (minigrad.tensor(1, dtype=minigrad.int32) + 5).dtype == minigrad.int32   # a 0-d tensor outranks a number


def test_gradient_of_a_broadcast_operand_with_leading_and_inner_size_one_dims():
    b = t(np.array([[2.0]]), requires_grad=True)               # (1, 1) against (2, 3, 1)
    a = t(RNG.standard_normal((2, 3, 1)), requires_grad=True)
    (a * b).sum().backward()
    assert b.grad.shape == (1, 1)
    np.testing.assert_allclose(b.grad.numpy(), [[a.numpy().sum()]], rtol=1e-14)


def test_sqrt_of_negatives_and_its_gradient_at_zero_and_float16_overflow_are_quiet():
    x = t(np.array([-1.0, 0.0, 4.0]), requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        y = minigrad.sqrt(x)
        y[1:].sum().backward()
        big = minigrad.sum(minigrad.full((2,), 60000.0, dtype=minigrad.float16))
    assert np.isnan(y.numpy()[0]) and x.grad.numpy()[1] == np.inf and x.grad.numpy()[2] == 0.25
    assert big.dtype == minigrad.float16 and float(big) == np.inf


def test_batch_norm_of_zero_channels_is_empty():
    y = minigrad.nn.functional.batch_norm(minigrad.zeros(4, 0), minigrad.zeros(0), minigrad.ones(0), training=True)
    assert y.shape == (4, 0)                                   # as PyTorch


def test_python_numbers_take_the_tensor_dtype_of_their_category():
    # PyTorch: a float number keeps a float16 tensor float16; a bool keeps an int tensor int64 and a bool one bool
    assert (minigrad.ones(2, dtype=minigrad.float16) + 1.5).dtype == minigrad.float16
    assert (minigrad.tensor([1, 2]) + True).dtype == minigrad.int64
    assert (minigrad.tensor([True]) + True).dtype == minigrad.bool


def test_float_division_by_an_integer_zero_and_integer_division_by_a_float_zero_follow_ieee():
    # as PyTorch: only two integer operands make division by zero an error
    for a, b in ((t(np.array([1.5])), 0), (minigrad.tensor([1]), 0.0)):
        assert float(minigrad.div(a, b, rounding_mode="floor")) == np.inf
        assert np.isnan(float(minigrad.remainder(a, b)))


def test_sigmoid_saturates_quietly():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        y = minigrad.sigmoid(t(np.array([-1000.0, 0.0, 1000.0])))
    np.testing.assert_array_equal(y.numpy(), [0.0, 0.5, 1.0])


def test_numpy_scalars_are_operands_like_python_numbers():
    # as PyTorch: a NumPy float32 scalar keeps a float32 tensor float32, an int32 scalar an int64 tensor int64
    y = minigrad.ones(2, 3) * np.float32(2.0)
    assert y.dtype == minigrad.float32 and (y.numpy() == 2.0).all()
    assert (minigrad.tensor([1, 2]) + np.int32(3)).dtype == minigrad.int64
