"""Autograd semantics: gradient values, accumulation, graph freeing, grad mode, deep graphs,
dtype preservation and backward's errors."""
import numpy as np
import pytest

import minigrad
from minigrad import Function


def leaf(array):
    return minigrad.tensor(array, dtype=minigrad.float64, requires_grad=True)


# ---------------------------------------------------------------------------
# ((a @ b).sigmoid() * c).sum() against finite differences computed on NumPy

def _expression_np(a, b, c):
    return (1 / (1 + np.exp(-(a @ b))) * c).sum()


def _finite_differences(f, arrays, h=1e-6):
    grads = []
    for k, arr in enumerate(arrays):
        g = np.zeros_like(arr)
        for idx in np.ndindex(*arr.shape):
            plus = [a.copy() for a in arrays]
            minus = [a.copy() for a in arrays]
            plus[k][idx] += h
            minus[k][idx] -= h
            g[idx] = (f(*plus) - f(*minus)) / (2 * h)
        grads.append(g)
    return grads


@pytest.mark.parametrize("device", ["cpu", pytest.param("cuda", marks=pytest.mark.gpu)])
def test_expression_gradients_match_finite_differences(device):
    rng = np.random.default_rng(0)
    arrays = [rng.standard_normal((4, 3)), rng.standard_normal((3, 5)), rng.standard_normal(5)]  # c broadcasts
    a, b, c = (minigrad.tensor(x, dtype=minigrad.float64, requires_grad=True, device=device) for x in arrays)
    assert a.device == device
    out = ((a @ b).sigmoid() * c).sum()
    assert out.device == device and out.shape == ()
    np.testing.assert_allclose(out.item(), _expression_np(*arrays), rtol=1e-12)
    out.backward()
    numerical = _finite_differences(_expression_np, arrays)
    for t, g in zip((a, b, c), numerical):
        assert t.grad.device == device and t.grad.shape == t.shape and t.grad.dtype == minigrad.float64
        np.testing.assert_allclose(t.grad.numpy(), g, rtol=1e-6, atol=1e-8)
    # and the closed form, exactly
    s = 1 / (1 + np.exp(-(arrays[0] @ arrays[1])))
    np.testing.assert_allclose(a.grad.numpy(), (arrays[2] * s * (1 - s)) @ arrays[1].T, rtol=1e-12)


@pytest.mark.gpu
def test_expression_float32_on_gpu_matches_cpu():
    rng = np.random.default_rng(1)
    arrays = [rng.standard_normal((4, 3)), rng.standard_normal((3, 5)), rng.standard_normal(5)]
    grads = {}
    for device in ("cpu", "cuda"):
        ts = [minigrad.tensor(x, dtype=minigrad.float32, requires_grad=True, device=device) for x in arrays]
        ((ts[0] @ ts[1]).sigmoid() * ts[2]).sum().backward()
        assert all(t.grad.dtype == minigrad.float32 for t in ts)
        grads[device] = [t.grad.numpy() for t in ts]
    for g_cpu, g_gpu in zip(grads["cpu"], grads["cuda"]):
        np.testing.assert_allclose(g_gpu, g_cpu, rtol=1e-5, atol=1e-6)


# ---------------------------------------------------------------------------
# Gradient values through shared tensors

def test_tensor_used_twice_gets_summed_gradients():
    x_np = np.array([1.0, -2.0, 3.0])
    x = leaf(x_np)
    (x * x).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), 2 * x_np)

    x = leaf(x_np)
    (x + x).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [2.0, 2.0, 2.0])

    x = leaf(x_np)
    (x - x * 3.0 + x / 2.0).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [-1.5] * 3)


def test_diamond_graph():
    # x -> a = exp(x) -> {a * x, a + 1} -> y: dy/dx = a*x + a + a
    x_np = np.array([0.5, -1.0])
    x = leaf(x_np)
    a = x.exp()
    y = (a * x) * (a + 1.0)
    y.sum().backward()
    e = np.exp(x_np)
    expected = (e * x_np + e) * (e + 1) + e * x_np * e  # product rule
    np.testing.assert_allclose(x.grad.numpy(), expected, rtol=1e-14)


def test_node_reached_through_paths_of_different_length():
    # a is an input of the root and of b = a * 3: its gradient must be complete (1 + 3)
    # before it is passed on to x, whatever order the graph is explored in
    x = leaf([1.0])
    a = x * 2.0
    b = a * 3.0
    (a + b).sum().backward()
    assert x.grad.numpy().tolist() == [8.0]
    x = leaf([1.0])
    a = x * 2.0
    (a * 3.0 + a).sum().backward()
    assert x.grad.numpy().tolist() == [8.0]


class CountingIdentity(Function):
    calls = 0

    def forward(self, x):
        return x.copy()

    def backward(self, gy):
        CountingIdentity.calls += 1
        return gy


def test_shared_subexpressions_visit_each_node_once():
    # y_{k+1} = y_k + y_k, ten times: 2^10 paths from the root to x, but 11 nodes
    CountingIdentity.calls = 0
    x = leaf([1.0, 2.0])
    y = CountingIdentity()(x)
    for _ in range(10):
        y = CountingIdentity()(y + y)
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [1024.0, 1024.0])
    assert CountingIdentity.calls == 11


def test_getitem_with_repeated_indices_scatter_adds():
    x = leaf(np.arange(4.0))
    x[[0, 0, 2, 0]].sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [3.0, 0.0, 1.0, 0.0])
    x = leaf(np.arange(6.0).reshape(2, 3))
    (x[[1, 1], [2, 2]] * minigrad.tensor([1.0, 10.0], dtype=minigrad.float64)).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[0, 0, 0], [0, 0, 11.0]])


def test_zero_dimensional_results_are_tensors_of_arrays():
    # NumPy returns scalars (not 0-d arrays) for full reductions and 0-d arithmetic
    x = leaf(np.arange(6.0).reshape(2, 3))
    total = x.sum(axis=(0, 1))
    assert isinstance(total.array, np.ndarray) and total.shape == ()
    (total * x).sum().backward()  # a 0-d result combines with other tensors
    np.testing.assert_array_equal(x.grad.numpy(), np.full((2, 3), 30.0))  # total + sum(x)
    z = leaf(1.5)
    (z * 2.0 + z * 3.0).backward()
    assert isinstance(z.grad.array, np.ndarray) and z.grad.item() == 5.0
    z.grad.zero_()
    assert z.grad.item() == 0.0
    assert isinstance((minigrad.tensor(1.0) < minigrad.tensor(2.0)).array, np.ndarray)


def test_max_shares_gradient_between_ties():
    x = leaf([1.0, 3.0, 3.0, 2.0])
    x.max().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0.0, 0.5, 0.5, 0.0])


def test_inputs_without_requires_grad_and_unused_leaves_get_no_grad():
    x, unused = leaf([1.0, 2.0]), leaf([3.0])
    c = minigrad.tensor([5.0, 7.0], dtype=minigrad.float64)
    (x * c).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [5.0, 7.0])
    assert c.grad is None and unused.grad is None


def test_backward_of_a_leaf_and_with_an_explicit_gradient():
    x = leaf([1.0, 2.0])
    x.backward(minigrad.tensor([3.0, 4.0], dtype=minigrad.float64))
    np.testing.assert_array_equal(x.grad.numpy(), [3.0, 4.0])
    x = leaf([[1.0, 2.0], [3.0, 4.0]])
    (x * 2.0).backward(np.array([[1.0, 0.0], [0.0, -1.0]]))
    np.testing.assert_array_equal(x.grad.numpy(), [[2.0, 0.0], [0.0, -2.0]])


# ---------------------------------------------------------------------------
# Accumulation and graph freeing

def test_grad_accumulates_until_zeroed():
    x = leaf([1.0, 2.0])
    (x * 3.0).sum().backward()
    (x * 3.0).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [6.0, 6.0])
    grad_object = x.grad
    x.grad.zero_()
    (x * x).sum().backward()
    assert x.grad is grad_object  # accumulated in place
    np.testing.assert_array_equal(x.grad.numpy(), [2.0, 4.0])
    x.grad = None
    (x * 5.0).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [5.0, 5.0])


def test_leaf_grad_does_not_alias_other_gradients():
    # Add hands the same upstream array to both inputs; the stored grads must be independent
    x, y = leaf([1.0]), leaf([2.0])
    (x + y).sum().backward()
    x.grad.array += 100.0
    assert y.grad.numpy().tolist() == [1.0]


def test_retain_graph_allows_a_second_backward():
    x = leaf([1.0, 2.0])
    y = (x * x).sum()
    y.backward(retain_graph=True)
    y.backward()
    np.testing.assert_array_equal(x.grad.numpy(), [4.0, 8.0])


def test_second_backward_without_retain_graph_raises():
    x = leaf([1.0, 2.0])
    y = (x.exp() * x).sum()
    y.backward()
    with pytest.raises(RuntimeError, match="retain_graph"):
        y.backward()


def test_freed_graph_is_detected_through_a_shared_subgraph():
    x = leaf([1.0, 2.0])
    h = x * 2.0
    h.sum().backward()
    with pytest.raises(RuntimeError, match="retain_graph"):
        (h * 3.0).sum().backward()


def test_detach_cuts_the_graph():
    x = leaf([1.0, 2.0])
    d = (x * 2.0).detach()
    assert not d.requires_grad and d.grad_fn is None and d.is_leaf
    np.testing.assert_array_equal(d.numpy(), [2.0, 4.0])
    (d * x).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [2.0, 4.0])  # no term through d


def test_retain_grad_keeps_a_non_leaf_grad():
    x = leaf([1.0, -2.0])
    h = x * 3.0
    h.retain_grad()
    other = x * 2.0
    (h * h + other).sum().backward()
    np.testing.assert_array_equal(h.grad.numpy(), [6.0, -12.0])  # 2h
    assert other.grad is None
    np.testing.assert_array_equal(x.grad.numpy(), [18.0 + 2.0, -36.0 + 2.0])


def test_leaf_grad_is_a_tensor_and_graph_attributes():
    x = leaf([1.0, 2.0])
    y = x * 2.0
    assert x.is_leaf and x.grad_fn is None and x.requires_grad
    assert not y.is_leaf and y.grad_fn is not None and y.requires_grad
    y.sum().backward()
    assert isinstance(x.grad, minigrad.Tensor)
    assert not x.grad.requires_grad
    assert y.grad is None  # non-leaf without retain_grad


def test_requires_grad_off_only_on_leaves():
    x = leaf([1.0])
    with pytest.raises(RuntimeError, match="detach"):
        (x * 2.0).requires_grad_(False)
    x.requires_grad_(False)
    assert not (x * 2.0).requires_grad


def test_deep_chain_backpropagates_without_recursion():
    x = leaf([1.0, 2.0])
    y = x
    for _ in range(100_000):
        y = y * 1.00001
    y.sum().backward()
    expected = np.float64(1.0)
    for _ in range(100_000):
        expected *= 1.00001
    np.testing.assert_allclose(x.grad.numpy(), [expected, expected], rtol=1e-12)
    np.testing.assert_allclose(expected, np.e, rtol=1e-4)  # (1 + 1e-5)^1e5 ~ e


# ---------------------------------------------------------------------------
# Grad mode

def _records(x):
    y = x * 2.0
    return y.requires_grad, y.grad_fn is not None


def test_no_grad_context_manager():
    x = leaf([1.0])
    with minigrad.no_grad():
        assert not minigrad.is_grad_enabled()
        y = (x * 2.0).exp()
        assert not y.requires_grad and y.grad_fn is None
    assert minigrad.is_grad_enabled()
    assert _records(x) == (True, True)


def test_no_grad_decorator_and_restoring_on_exception():
    x = leaf([1.0])

    @minigrad.no_grad()
    def f(t):
        assert not minigrad.is_grad_enabled()
        return _records(t)

    assert minigrad.is_grad_enabled()  # decorating switches nothing
    assert f(x) == (False, False)
    assert minigrad.is_grad_enabled()
    with pytest.raises(KeyError):
        with minigrad.no_grad():
            raise KeyError
    assert minigrad.is_grad_enabled()


def test_enable_grad_inside_no_grad():
    x = leaf([1.0])
    with minigrad.no_grad():
        with minigrad.enable_grad():
            assert minigrad.is_grad_enabled()
            assert _records(x) == (True, True)
        assert not minigrad.is_grad_enabled()

        @minigrad.enable_grad()
        def g(t):
            return _records(t)

        assert g(x) == (True, True)
        assert not minigrad.is_grad_enabled()
    assert minigrad.is_grad_enabled()


def test_set_grad_enabled_as_call_context_manager_and_decorator():
    x = leaf([1.0])
    minigrad.set_grad_enabled(False)
    try:
        assert not minigrad.is_grad_enabled()
        assert _records(x) == (False, False)
    finally:
        minigrad.set_grad_enabled(True)
    assert minigrad.is_grad_enabled()

    with minigrad.set_grad_enabled(False):
        assert _records(x) == (False, False)
        with minigrad.set_grad_enabled(True):
            assert _records(x) == (True, True)
        assert not minigrad.is_grad_enabled()
    assert minigrad.is_grad_enabled()

    @minigrad.set_grad_enabled(False)
    def h(t):
        return _records(t)

    assert minigrad.is_grad_enabled()
    assert h(x) == (False, False)
    assert minigrad.is_grad_enabled()


def test_is_grad_enabled_returns_a_bool():
    assert minigrad.is_grad_enabled() is True
    with minigrad.no_grad():
        assert minigrad.is_grad_enabled() is False


def test_no_grad_output_keeps_no_reference_to_inputs():
    x = leaf(np.ones(3))
    with minigrad.no_grad():
        y = x * 2.0
    assert y.grad_fn is None and y.is_leaf
    with pytest.raises(RuntimeError):
        y.sum().backward()


# ---------------------------------------------------------------------------
# dtype preservation

SCALAR_EXPRESSIONS = {
    "x*2.0": lambda x: x * 2.0,
    "2.0*x": lambda x: 2.0 * x,
    "x*2": lambda x: x * 2,
    "x+1": lambda x: x + 1,
    "2.0-x": lambda x: 2.0 - x,
    "1/x": lambda x: 1 / x,
    "x/3.0": lambda x: x / 3.0,
    "x**2": lambda x: x ** 2,
    "x**0.5": lambda x: x ** 0.5,
    "2.0**x": lambda x: 2.0 ** x,
    "-x": lambda x: -x,
    "exp_log_sqrt": lambda x: (x.exp() + x.log() + x.sqrt()),
    "sigmoid_tanh_relu": lambda x: x.sigmoid() * x.tanh() + x.relu(),
    "reductions": lambda x: x.sum(dim=0) + x.mean(axis=0) + x.max(dim=0).values + x.amax(0) + x.min(),
    "mean_all": lambda x: x.mean(),
    "matmul": lambda x: x @ x.T,
    "shape_ops": lambda x: minigrad.cat([x.reshape(-1), x.T[0], x[[0, 0]].reshape(-1)]),
    "stack": lambda x: minigrad.stack([x, x * 2.0]),
}


@pytest.mark.parametrize("dtype", [minigrad.float32, minigrad.float64], ids=str)
@pytest.mark.parametrize("expr", list(SCALAR_EXPRESSIONS.values()), ids=list(SCALAR_EXPRESSIONS))
def test_dtype_is_preserved_through_ops_and_grads(expr, dtype):
    x = minigrad.tensor(np.random.default_rng(0).uniform(0.5, 2.0, (2, 3)), dtype=dtype, requires_grad=True)
    y = expr(x)
    assert y.dtype == dtype
    y.sum().backward()
    assert x.grad.dtype == dtype
    assert np.all(np.isfinite(x.grad.numpy()))


def test_float32_binary_ops_with_float32_tensors_stay_float32():
    a = minigrad.tensor([[1.0, 2.0]], requires_grad=True)
    b = minigrad.tensor([[3.0], [4.0]], requires_grad=True)
    assert a.dtype == minigrad.float32
    for y in (a + b, a - b, a * b, a / b, a ** b, a @ b, b @ a):
        assert y.dtype == minigrad.float32
    (a @ b).sum().backward()
    assert a.grad.dtype == minigrad.float32 and b.grad.dtype == minigrad.float32


def test_cast_changes_dtype_forward_and_back():
    x = leaf([1.5, -2.0])
    y = x.to(minigrad.float32)
    assert y.dtype == minigrad.float32 and y.grad_fn is not None
    assert x.to(minigrad.float64) is x and x.double() is x
    assert y.float() is y
    z = y.to(dtype=minigrad.float64)
    assert z.dtype == minigrad.float64
    (z * z).sum().backward()
    assert x.grad.dtype == minigrad.float64
    np.testing.assert_array_equal(x.grad.numpy(), [3.0, -4.0])


# ---------------------------------------------------------------------------
# backward's errors

def test_backward_on_a_non_scalar_needs_a_gradient():
    x = leaf(np.ones((2, 3)))
    with pytest.raises(RuntimeError, match=r"\(2, 3\)"):
        (x * 2.0).backward()


def test_backward_with_a_wrong_shaped_gradient():
    x = leaf(np.ones((2, 3)))
    with pytest.raises(RuntimeError, match=r"\(3, 2\).*\(2, 3\)"):
        (x * 2.0).backward(np.ones((3, 2)))


def test_backward_on_a_tensor_without_grad():
    with pytest.raises(RuntimeError, match="does not require grad"):
        minigrad.tensor([1.0]).sum().backward()


class WrongShapeBackward(Function):
    def forward(self, x):
        return x * 2

    def backward(self, gy):
        return gy.sum()


class TooManyGrads(Function):
    def forward(self, x):
        return x * 2

    def backward(self, gy):
        return gy, gy


def test_custom_function_backward_contract_is_checked():
    x = leaf(np.ones(3))
    with pytest.raises(RuntimeError, match=r"WrongShapeBackward.*shape \(\).*\(3,\)"):
        WrongShapeBackward()(x).sum().backward()
    with pytest.raises(RuntimeError, match="2 gradients for 1 inputs"):
        TooManyGrads()(x).sum().backward()


def test_custom_function_sees_needs_input_grad():
    seen = []

    class Probe(Function):
        def forward(self, a, b):
            return a * b

        def backward(self, gy):
            seen.append(self.needs_input_grad)
            return gy, None

    a, b = leaf([1.0]), minigrad.tensor([2.0], dtype=minigrad.float64)
    Probe()(a, b).sum().backward()
    assert seen == [(True, False)]
    np.testing.assert_array_equal(a.grad.numpy(), [1.0])
