"""Higher-order derivatives of every op in minigrad/ops.py: backward_graph checked in float64.

For an op f and random upstream gradients u (first level) and v (second
level), the gradient g(x) = d<u, f(x)>/dx is built with create_graph=True;
its derivative d<v, g(x)>/dx from autograd must match central differences
of g computed by the fast first-order path. The graph-built g itself must
equal the fast g. Third derivatives apply the same check to x -> g(x).
"""
import numpy as np
import pytest

import minigrad
from minigrad import ops
from minigrad.autograd import grad


def leaf(array):
    return minigrad.tensor(array, dtype=minigrad.float64, requires_grad=True)


def _outputs(fn, inputs):
    out = fn(*inputs)
    return tuple(out) if isinstance(out, (tuple, list)) else (out,)


def _first_gradients(fn, inputs, upstream, create_graph):
    """d<u, fn(x)>/dx for each input (zeros where unused), built as a graph or by the fast path."""
    outs = [(y, u) for y, u in zip(_outputs(fn, inputs), upstream) if y.requires_grad]
    grads = grad([y for y, _ in outs], inputs, [u for _, u in outs], create_graph=create_graph, allow_unused=True)
    return [minigrad.zeros(x.shape, dtype=x.dtype) if g is None else g for g, x in zip(grads, inputs)]


def gradgradcheck(fn, inputs, eps=1e-6, atol=1e-6, rtol=1e-4, seed=0):
    """Second derivatives of ``fn`` at ``inputs`` against central differences of its first derivatives."""
    rng = np.random.default_rng(seed)
    upstream = [minigrad.tensor(rng.standard_normal(y.shape)) .double() for y in _outputs(fn, inputs)]
    gs = _first_gradients(fn, inputs, upstream, create_graph=True)
    fast = _first_gradients(fn, inputs, upstream, create_graph=False)
    for g, f in zip(gs, fast):  # the graph-built gradient has the fast path's value
        np.testing.assert_allclose(g.numpy(), f.numpy(), rtol=1e-10, atol=1e-12)
    vs = [rng.standard_normal(x.shape) for x in inputs]
    second_of = [(g, v) for g, v in zip(gs, vs) if g.requires_grad]
    analytic = [np.zeros(x.shape) for x in inputs]
    if second_of:
        total = sum(((g * minigrad.tensor(v).double()).sum() for g, v in second_of), minigrad.zeros(()).double())
        for k, h in enumerate(grad(total, inputs, allow_unused=True)):
            if h is not None:
                assert h.dtype == minigrad.float64
                analytic[k] = h.numpy()

    def objective():
        with minigrad.enable_grad():
            return sum(float((g.numpy() * v).sum())
                       for g, v in zip(_first_gradients(fn, inputs, upstream, create_graph=False), vs))

    for k, x in enumerate(inputs):
        numerical = np.zeros(x.shape)
        for idx in np.ndindex(*x.shape):
            orig = x.array[idx].item()
            x.array[idx] = orig + eps
            plus = objective()
            x.array[idx] = orig - eps
            minus = objective()
            x.array[idx] = orig
            numerical[idx] = (plus - minus) / (2 * eps)
        np.testing.assert_allclose(analytic[k], numerical, rtol=rtol, atol=atol,
                                   err_msg=f"second derivative of input {k}")
    return True


def _first_gradient_fn(fn, n_inputs, seed=1):
    """x -> d<u, fn(x)>/dx with a fixed random u, built as a graph (to check third derivatives)."""
    state = {}

    def gradient(*inputs):
        if "u" not in state:
            rng = np.random.default_rng(seed)
            state["u"] = [minigrad.tensor(rng.standard_normal(y.shape)).double() for y in _outputs(fn, inputs)]
        return tuple(_first_gradients(fn, inputs, state["u"], create_graph=True)[:n_inputs])
    return gradient


def A(*shape):
    return shape, "any"


def P(*shape):
    return shape, "positive"


def Z(*shape):
    return shape, "away_from_zero"


def _array(rng, shape, kind):
    x = rng.standard_normal(shape)
    if kind == "positive":
        return np.abs(x) + 0.5
    if kind == "away_from_zero":
        return np.sign(x) * (np.abs(x) + 0.2)
    return x


def sq(t):
    """t * t: makes a linear op's second derivative non-zero, so its backward_graph is differentiated."""
    return t * t


CASES = [
    ("add", lambda a, b: sq(a + b), [A(3, 4), A(4)]),
    ("add_scalar", lambda a: sq(a + 2.0), [A(3, 4)]),
    ("sub", lambda a, b: sq(a - b), [A(3, 1), A(1, 4)]),
    ("rsub", lambda a: sq(1.0 - a), [A(3, 4)]),
    ("mul", lambda a, b: a * b, [A(3, 4), A(3, 1)]),
    ("mul_self", lambda a: a * a * a, [A(3, 4)]),
    ("div", lambda a, b: a / b, [A(3, 4), P(4)]),
    ("rdiv", lambda a: 2.0 / a, [P(3, 4)]),
    ("pow_scalar", lambda a: a ** 3, [A(3, 4)]),
    ("pow_fraction", lambda a: a ** 2.5, [P(3, 4)]),
    ("pow_tensors", lambda a, b: a ** b, [P(3, 4), A(1, 4)]),
    ("rpow", lambda b: 2.0 ** b, [A(3, 4)]),
    ("matmul", lambda a, b: a @ b, [A(3, 4), A(4, 2)]),
    ("matmul_self", lambda a: a @ a, [A(3, 3)]),
    ("matmul_vec_mat", lambda a, b: a @ b, [A(4), A(4, 2)]),
    ("matmul_mat_vec", lambda a, b: a @ b, [A(3, 4), A(4)]),
    ("matmul_vec_vec", lambda a, b: a @ b, [A(4), A(4)]),
    ("matmul_batched_broadcast", lambda a, b: a @ b, [A(2, 3, 4), A(4, 2)]),
    ("matmul_batch_vec", lambda a, b: a @ b, [A(4), A(2, 4, 3)]),
    ("neg", lambda a: sq(-a), [A(3, 4)]),
    ("exp", lambda a: a.exp(), [A(3, 4)]),
    ("log", lambda a: a.log(), [P(3, 4)]),
    ("sqrt", lambda a: a.sqrt(), [P(3, 4)]),
    ("sigmoid", lambda a: a.sigmoid(), [A(3, 4)]),
    ("tanh", lambda a: a.tanh(), [A(3, 4)]),
    ("relu", lambda a: sq(a.relu()), [Z(3, 4)]),
    ("cast_same_dtype", lambda a: sq(ops.Cast(np.dtype("float64"))(a)), [A(3, 4)]),
    ("to_device_cpu", lambda a: sq(ops.ToDevice(minigrad.device("cpu"))(a)), [A(3, 4)]),
    ("sum_all", lambda a: sq(a.sum()), [A(2, 3, 4)]),
    ("sum_axis", lambda a: sq(ops.sum(a, 1)), [A(2, 3, 4)]),
    ("sum_axes_keepdims", lambda a: sq(ops.sum(a, (0, 2), True)), [A(2, 3, 4)]),
    ("mean_all", lambda a: sq(a.mean()), [A(2, 3, 4)]),
    ("mean_axis", lambda a: sq(ops.mean(a, -1)), [A(2, 3, 4)]),
    ("max_all", lambda a: sq(ops.max(a)), [A(2, 3, 4)]),
    ("max_axis", lambda a: sq(ops.max(a, 1)), [A(2, 3, 4)]),
    ("reshape", lambda a: sq(a.reshape(4, 6)), [A(2, 3, 4)]),
    ("permute", lambda a: sq(ops.Transpose((2, 0, 1))(a)), [A(2, 3, 4)]),
    ("getitem_slices", lambda a: sq(a[:, 1:3]), [A(3, 4)]),
    ("getitem_repeats", lambda a: sq(a[[0, 0, 2]]), [A(3, 4)]),
    ("cat", lambda a, b: sq(minigrad.cat([a, b], 1)), [A(2, 3), A(2, 1)]),
    ("cat_negative_axis", lambda a, b: sq(minigrad.cat([a, b], -1)), [A(2, 3), A(2, 1)]),
    ("stack", lambda a, b: sq(minigrad.stack([a, b], 1)), [A(2, 3), A(2, 3)]),
    ("stack_negative_axis", lambda a, b: sq(minigrad.stack([a, b], -1)), [A(2, 3), A(2, 3)]),
    ("broadcast_to", lambda a: sq(ops.BroadcastTo((2, 3, 4))(a)), [A(3, 1)]),
    ("sum_to", lambda a: sq(ops.SumTo((3, 1))(a)), [A(2, 3, 4)]),
    ("composite", lambda a, b: ((a @ b).tanh() * a.sum()).sigmoid() / b.exp().mean(), [A(3, 2), A(2, 4)]),
]


@pytest.mark.parametrize("fn, specs", [pytest.param(f, s, id=name) for name, f, s in CASES])
def test_second_derivative(fn, specs):
    rng = np.random.default_rng(0)
    inputs = [leaf(_array(rng, shape, kind)) for shape, kind in specs]
    assert gradgradcheck(fn, inputs)


THIRD_ORDER = [
    ("exp", lambda a: a.exp(), [A(2, 3)]),
    ("sigmoid", lambda a: a.sigmoid(), [A(2, 3)]),
    ("tanh", lambda a: a.tanh(), [A(2, 3)]),
    ("pow_tensors", lambda a, b: a ** b, [P(2, 3), A(3)]),
    ("matmul", lambda a, b: (a @ b) * (a @ b) @ b.T, [A(2, 3), A(3, 3)]),
    ("div_log", lambda a, b: (a / b).log(), [P(2, 3), P(3)]),
]


@pytest.mark.parametrize("fn, specs", [pytest.param(f, s, id=name) for name, f, s in THIRD_ORDER])
def test_third_derivative(fn, specs):
    rng = np.random.default_rng(3)
    inputs = [leaf(_array(rng, shape, kind)) for shape, kind in specs]
    assert gradgradcheck(_first_gradient_fn(fn, len(inputs)), inputs)


def test_gradient_of_a_linear_op_does_not_depend_on_x():
    x = leaf(np.arange(6.0).reshape(2, 3))
    g, = grad((x.sum() * 3.0), x, create_graph=True)
    assert not g.requires_grad  # the gradient is a constant: nothing to differentiate
    np.testing.assert_array_equal(g.numpy(), np.full((2, 3), 3.0))


def test_cast_graph_keeps_dtypes():
    x = leaf(np.array([1.0, -2.0, 3.0]))
    y = (x.float() ** 2).double().sum()
    g, = grad(y, x, create_graph=True)
    assert g.dtype == minigrad.float64 and g.grad_fn is not None
    np.testing.assert_allclose(g.numpy(), [2.0, -4.0, 6.0], rtol=1e-6)
    h, = grad(g.sum(), x)
    assert h.dtype == minigrad.float64
    np.testing.assert_allclose(h.numpy(), [2.0, 2.0, 2.0], rtol=1e-6)


def test_sigmoid_third_derivative_closed_form():
    """s''' = s (1 - s)(1 - 6 s + 6 s^2) from repeated create_graph gradients."""
    x_np = np.linspace(-3, 3, 7)
    x = leaf(x_np)
    g1, = grad(x.sigmoid().sum(), x, create_graph=True)
    g2, = grad(g1.sum(), x, create_graph=True)
    g3, = grad(g2.sum(), x)
    s = 1 / (1 + np.exp(-x_np))
    np.testing.assert_allclose(g3.numpy(), s * (1 - s) * (1 - 6 * s + 6 * s * s), rtol=1e-10, atol=1e-14)


# ---------------------------------------------------------------------------
# Ops whose backward reads no saved tensor allow in-place changes of their inputs, as in PyTorch

@pytest.mark.parametrize("op", [
    lambda x: x + 1, lambda x: x - 1, lambda x: -x, lambda x: x.sum(), lambda x: x.mean(),
    lambda x: x.reshape(-1), lambda x: x[0], lambda x: minigrad.cat([x, x]), lambda x: minigrad.stack([x, x]),
    lambda x: x.relu(), lambda x: x.exp(), lambda x: x.sigmoid(), lambda x: x.tanh(), lambda x: x.sqrt(),
    lambda x: ops.BroadcastTo((2, 3))(x), lambda x: ops.SumTo((1,))(x), lambda x: x.to(minigrad.float32),
], ids=["add", "sub", "neg", "sum", "mean", "reshape", "getitem", "cat", "stack", "relu", "exp", "sigmoid",
        "tanh", "sqrt", "broadcast_to", "sum_to", "cast"])
def test_changing_an_input_that_backward_does_not_read(op):
    x = leaf(np.array([1.0, 2.0, 3.0]))
    base = x * 1.0
    y = op(base)
    with minigrad.no_grad():
        base.add_(1.0)
    y.sum().backward()
    assert x.grad is not None and x.grad.shape == (3,)


@pytest.mark.parametrize("op", [lambda x: x * x, lambda x: x.log(), lambda x: x ** 2, lambda x: x @ x],
                         ids=["mul", "log", "pow", "matmul"])
def test_changing_an_input_that_backward_reads_raises(op):
    x = leaf(np.array([1.0, 2.0, 3.0]))
    base = x * 1.0
    y = op(base)
    with minigrad.no_grad():
        base.add_(1.0)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.sum().backward()


@pytest.mark.parametrize("op", [lambda x: x.exp(), lambda x: x.sigmoid(), lambda x: x.tanh(), lambda x: x.sqrt(),
                                lambda x: x / 2.0], ids=["exp", "sigmoid", "tanh", "sqrt", "div"])
def test_changing_an_output_that_backward_reads_raises(op):
    x = leaf(np.array([1.0, 2.0, 3.0]))
    y = op(x)
    with minigrad.no_grad():
        y.add_(1.0)
    with pytest.raises(RuntimeError, match="the output of"):
        y.sum().backward()
