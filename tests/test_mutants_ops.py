"""Tests written for survivors of the full mutmut run over minigrad/ops.py (docs/testing.md, "Mutation
testing"): each checks a documented behaviour (PyTorch's defaults, dtype rules, ties, empty inputs) against
NumPy or a hand value. The mutants they were written against are named in docs/testing.md."""
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
