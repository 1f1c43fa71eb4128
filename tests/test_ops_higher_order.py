"""Every op in minigrad/ops.py at every order, in float64 with random upstream gradients (the ops and their
samples: the GRADGRAD and THIRD samples of tests/op_db.py).

For an op f: its backward against central differences (gradcheck); the
gradient g(x, u) = d<u, f(x)>/dx built with create_graph=True differentiated
again against central differences of g (gradgradcheck, random u and v); and
that graph-built g equal to the fast first-order path's. Third derivatives
run gradgradcheck on x -> g(x).
"""
import numpy as np
import pytest
from op_db import GRADGRAD, INPUT_NOT_SAVED, INPUT_SAVED, OUTPUT_SAVED, THIRD, arrays, params

import minigrad
from minigrad import gradcheck, gradgradcheck
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


def check_all_orders(fn, inputs, seed=0):
    """First derivatives (gradcheck), second derivatives (gradgradcheck), and the gradient that
    create_graph=True builds equal to the fast path's, all with random upstream gradients."""
    assert gradcheck(fn, inputs, seed=seed)
    assert gradgradcheck(fn, inputs, seed=seed)
    rng = np.random.default_rng(seed)
    upstream = [minigrad.tensor(rng.standard_normal(y.shape)).double() for y in _outputs(fn, inputs)]
    graph = _first_gradients(fn, inputs, upstream, create_graph=True)
    fast = _first_gradients(fn, inputs, upstream, create_graph=False)
    for g, f in zip(graph, fast):
        assert g.dtype == f.dtype == minigrad.float64
        np.testing.assert_allclose(g.numpy(), f.numpy(), rtol=1e-10, atol=1e-12)
    return True


def _first_gradient_fn(fn, n_inputs, seed=1):
    """x -> d<u, fn(x)>/dx with a fixed random u, built as a graph: gradgradcheck of it checks third derivatives."""
    state = {}

    def gradient(*inputs):
        if "u" not in state:
            rng = np.random.default_rng(seed)
            state["u"] = [minigrad.tensor(rng.standard_normal(y.shape)).double() for y in _outputs(fn, inputs)]
        return tuple(_first_gradients(fn, inputs, state["u"], create_graph=True)[:n_inputs])
    return gradient


def test_register_hook_scales_every_pass_through_its_tensor():
    """A hook on y = a^2 fires on each gradient that reaches y, in the second pass too (as PyTorch):
    with hook g -> 3 g and out = sin(y): g1 = 6 a u cos(a^2),
    d<v, g1>/da = 6 u v cos(a^2) + 3 * (-6 a u v sin(a^2)) * 2 a."""
    rng = np.random.default_rng(4)
    a_np, u, v = rng.standard_normal(5), rng.standard_normal(5), rng.standard_normal(5)
    a = leaf(a_np)
    y = a * a
    y.register_hook(lambda g: g * 3.0)
    g1, = grad(y.sin(), a, minigrad.tensor(u), create_graph=True)
    np.testing.assert_allclose(g1.detach().numpy(), 6 * a_np * u * np.cos(a_np ** 2), rtol=1e-12)
    g2, = grad((g1 * minigrad.tensor(v)).sum(), a)
    expected = 6 * u * v * np.cos(a_np ** 2) - 36 * a_np ** 2 * u * v * np.sin(a_np ** 2)
    np.testing.assert_allclose(g2.numpy(), expected, rtol=1e-12)


@pytest.mark.parametrize("fn, sample", params(GRADGRAD))
def test_first_and_second_derivatives(fn, sample):
    inputs = [leaf(a) for a in arrays(sample.inputs)]
    assert check_all_orders(fn, inputs)


@pytest.mark.parametrize("fn, sample", params(THIRD))
def test_third_derivative(fn, sample):
    inputs = [leaf(a) for a in arrays(sample.inputs, seed=3)]
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


def _three_orders(fn, x_np, seed=0):
    """grad of <u, fn(x)>, then of <v, g1>, then of <w, g2> (random u, v, w), all built with create_graph."""
    rng = np.random.default_rng(seed)
    x = leaf(x_np)
    y = fn(x)
    level = y * minigrad.tensor(rng.standard_normal(y.shape))
    out = []
    for _ in range(3):
        g, = grad(level.sum(), x, create_graph=True)
        out.append(g.detach().numpy())
        level = g * minigrad.tensor(rng.standard_normal(x.shape))
    return out


@pytest.mark.parametrize("exponent", [0.0, 1.0, 2.0, 3.0])
def test_pow_at_zero_is_finite_at_every_order(exponent):
    """x ** c at x = 0: every derivative c (c-1) ... x^(c-k) is 0 or finite there, never 0 * inf = NaN
    (PyTorch's rule that the derivative is 0 where the exponent is 0, applied at every order)."""
    x_np = np.array([0.0, 1.5, -2.0, 0.0, 0.3])
    rng = np.random.default_rng(0)
    u, v, w = rng.standard_normal(5), rng.standard_normal(5), rng.standard_normal(5)
    c = exponent

    def falling(k):  # c (c - 1) ... (c - k + 1) x^(c - k), 0 where the factor is 0
        factor = np.prod([c - i for i in range(k)])
        return np.zeros(5) if factor == 0 else factor * x_np ** (c - k)
    got = _three_orders(lambda x: x ** c, x_np)
    np.testing.assert_allclose(got[0], u * falling(1), rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(got[1], u * v * falling(2), rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(got[2], u * v * w * falling(3), rtol=1e-12, atol=1e-15)


def test_pow_tensor_exponent_at_zero_base_is_finite_at_second_order():
    """d/db a^b = a^b log a is 0 at a = 0 (b >= 0); its derivative in a there is b a^(b-1) log a + a^(b-1),
    finite for b > 1: the graph must not hold log(0) (0 * -inf = NaN)."""
    a = leaf(np.array([0.0, 0.5, 2.0]))
    b = leaf(np.array([2.0, 3.0, 2.5]))
    gb, = grad((a ** b).sum(), b, create_graph=True)
    gab, = grad(gb.sum(), a)
    a_np, b_np = np.array([0.0, 0.5, 2.0]), np.array([2.0, 3.0, 2.5])
    with np.errstate(divide="ignore", invalid="ignore"):
        expected = np.where(a_np == 0, 0.0, b_np * a_np ** (b_np - 1) * np.log(a_np) + a_np ** (b_np - 1))
    np.testing.assert_allclose(gab.numpy(), expected, rtol=1e-12)


@pytest.mark.parametrize("name, dz", [("exp", lambda z: z), ("tanh", lambda z: 1 - z * z),
                                      ("sigmoid", lambda z: z * (1 - z)), ("sqrt", lambda z: 0.5 / z)])
def test_second_pass_goes_through_the_saved_output_and_fires_its_hooks(name, dz):
    """As PyTorch's saved results: the gradient of z = f(x) is built on z itself, so a second pass reaches z's
    node and a hook on z fires again. With hook g -> 3 g and L = <u, z^2>: g1 = 6 u z f'(z) with f' written in
    z, and d<v, g1>/dx = 3 * 6 u v d(z f'(z))/dz * f'(z) (a recomputed f(x) would skip the hook on one path)."""
    rng = np.random.default_rng(0)
    x_np, u, v = rng.uniform(0.2, 1.5, 4), rng.standard_normal(4), rng.standard_normal(4)
    x = leaf(x_np)
    z = getattr(x, name)()
    z.register_hook(lambda g: g * 3.0)
    g1, = grad((z * z * minigrad.tensor(u)).sum(), x, create_graph=True)
    g2, = grad((g1 * minigrad.tensor(v)).sum(), x)
    zn = z.detach().numpy()
    d_z_dz = {"exp": 2 * zn, "tanh": 1 - 3 * zn ** 2, "sigmoid": 2 * zn - 3 * zn ** 2, "sqrt": 0 * zn}[name]
    np.testing.assert_allclose(g1.detach().numpy(), 6 * u * zn * dz(zn), rtol=1e-12)
    np.testing.assert_allclose(g2.numpy(), 18 * u * v * d_z_dz * dz(zn), rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("create_graph", [False, True])
def test_unique_has_no_derivative_and_says_so(create_graph):
    """As PyTorch: unique's values are in the graph, and a backward through them raises (a loss that also
    uses them must not get the other paths' gradient alone, in silence); detached, they are constants."""
    x = leaf(np.array([2.0, 1.0, 2.0, 3.0]))
    values, inverse, counts = minigrad.unique(x, return_inverse=True, return_counts=True)
    assert values.requires_grad and values.tolist() == [1.0, 2.0, 3.0]
    assert inverse.tolist() == [1, 0, 1, 2] and counts.tolist() == [1, 2, 1]
    with pytest.raises(NotImplementedError, match="derivative of unique"):
        grad((x * x).sum() + values.sum(), x, create_graph=create_graph)
    g, = grad((x * x).sum() + minigrad.unique(x.detach()).sum(), x, create_graph=create_graph)
    np.testing.assert_array_equal(g.detach().numpy(), 2 * x.detach().numpy())


def test_std_of_a_constant_row_has_zero_derivatives_at_every_order():
    """PyTorch's std_backward sets the gradient to 0 where std = 0; the second and third derivatives there
    are 0 too (not NaN), and the other rows' derivatives are those of each row alone."""
    x_np = np.array([[1.0, 3.0, 3.0, -2.0], [0.5, 0.5, 0.5, 0.5], [-1.0, 2.0, -1.5, 2.0]])
    together = _three_orders(lambda x: x.std(dim=1), x_np)
    for order in together:
        assert np.isfinite(order).all()
        np.testing.assert_array_equal(order[1], 0.0)
    # each row alone, with the same random vectors' entries
    rng = np.random.default_rng(0)
    u, v, w = rng.standard_normal(3), rng.standard_normal((3, 4)), rng.standard_normal((3, 4))
    for r in (0, 2):
        x = leaf(x_np[r])
        g1, = grad(x.std() * u[r], x, create_graph=True)
        g2, = grad((g1 * minigrad.tensor(v[r])).sum(), x, create_graph=True)
        g3, = grad((g2 * minigrad.tensor(w[r])).sum(), x)
        for got, alone in zip(together, (g1, g2, g3)):
            np.testing.assert_allclose(got[r], alone.detach().numpy(), rtol=1e-12)


@pytest.mark.filterwarnings("error")  # quietly, as PyTorch: no RuntimeWarning from the division at 0
def test_norm_second_derivative_at_zero_is_nan_as_pytorch():
    """||x|| has no second derivative at x = 0: NaN there (PyTorch's value), never a silent 0; the gradient
    there is 0 (PyTorch's subgradient); another row's Hessian-vector product is (v - x_hat <x_hat, v>) / ||x||."""
    x_np = np.array([[0.3, -1.1, 2.0], [0.0, 0.0, 0.0]])
    x = leaf(x_np)
    g, = grad(x.norm(dim=1).sum(), x, create_graph=True)
    np.testing.assert_array_equal(g.detach().numpy()[1], 0.0)
    v = np.array([[0.5, -0.2, 1.0], [1.0, 2.0, 3.0]])
    h, = grad((g * minigrad.tensor(v)).sum(), x)
    n = np.linalg.norm(x_np[0])
    x_hat = x_np[0] / n
    np.testing.assert_allclose(h.numpy()[0], (v[0] - x_hat * (x_hat @ v[0])) / n, rtol=1e-12)
    assert np.isnan(h.numpy()[1]).all()


# ---------------------------------------------------------------------------
# Ops whose backward reads no saved tensor allow in-place changes of their inputs, as in PyTorch

@pytest.mark.parametrize("op, sample", params(INPUT_NOT_SAVED))
def test_changing_an_input_that_backward_does_not_read(op, sample):
    x, y = _input_changed_after(op, sample)
    y.sum().backward()
    assert x.grad is not None and x.grad.shape == (3,)


def _input_changed_after(op, sample):
    """(x, y): y = op(base) with base = x * 1, then base changed in place (under no_grad)."""
    x = leaf(arrays(sample.inputs)[0])
    base = x * 1.0
    y = op(base)
    with minigrad.no_grad():
        base.add_(1.0)
    return x, y


@pytest.mark.parametrize("op, sample", params(INPUT_SAVED))
def test_changing_an_input_that_backward_reads_raises(op, sample):
    _, y = _input_changed_after(op, sample)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.sum().backward()


@pytest.mark.parametrize("op, sample", params(OUTPUT_SAVED))
def test_changing_an_output_that_backward_reads_raises(op, sample):
    x = leaf(arrays(sample.inputs)[0])
    y = op(x)
    with minigrad.no_grad():
        y.add_(1.0)
    with pytest.raises(RuntimeError, match="the output of"):
        y.sum().backward()
