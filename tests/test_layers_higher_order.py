"""Higher-order derivatives of the layers (minigrad/nn/functional.py), in float64 with random upstream gradients.

Every layer passes minigrad.gradgradcheck (second derivatives against finite differences of the
first-order gradient), its graph-built gradient equals the fast one, the gradient Functions
(Conv2dGradInput/Weight, pooling gradients, BatchNormGrad) pass a third-order check, and
BatchNorm's third derivative equals that of the same normalisation composed from primitive ops.
Also the edge cases these Functions own: NaN in max-pooling, float16 BatchNorm, empty batches,
cross-entropy reductions and dtypes.
"""
import numpy as np
import pytest

import minigrad
from minigrad import gradgradcheck, nn
from minigrad.autograd import grad
from minigrad.nn import functional as F
from scripts_loader import load_script

NAN = float("nan")


def leaf(array):
    return minigrad.tensor(array, dtype=minigrad.float64, requires_grad=True)


def _array(rng, shape, kind):
    if kind == "away0":  # relu and max-pool: no kinks or ties within the finite-difference step
        return rng.permutation(np.arange(1, int(np.prod(shape)) + 1)).reshape(shape) * 0.1 * rng.choice([-1, 1], shape)
    if kind == "zero":
        return np.zeros(shape)
    if kind == "pos":
        return rng.uniform(0.5, 1.5, shape)
    return rng.standard_normal(shape)


def A(*shape): return shape, "any"      # noqa: E704
def D(*shape): return shape, "away0"    # noqa: E704
def Z(*shape): return shape, "zero"     # noqa: E704
def P(*shape): return shape, "pos"      # noqa: E704


TARGET = np.array([0, 2, 1, 2])
MEAN, VAR = np.array([0.3, -0.5, 1.0]), np.array([0.8, 1.5, 0.4])


def _seed_bn(training):
    def fn(x, gamma, beta):
        shape = (1, x.shape[1]) + (1,) * (x.ndim - 2)
        return F.d2l_batch_norm(x, gamma, beta, minigrad.tensor(MEAN.reshape(shape)),
                                minigrad.tensor(VAR.reshape(shape)),
                                training=training)[0]
    return fn


def _module(cls, train, **kwargs):
    def fn(x, gamma, beta):
        m = cls(x.shape[1], **kwargs).double()
        m.weight, m.bias = gamma, beta  # the leaves under test
        if not train:
            m.running_mean.copy_(MEAN)
            m.running_var.copy_(VAR)
        return m.train(train)(x)
    return fn


LAYER_CASES = [
    ("linear", lambda x, w, b: F.linear(x, w, b), [A(3, 4), A(2, 4), A(2)]),
    ("linear_nobias", lambda x, w: F.linear(x, w) * F.linear(x, w), [A(3, 4), A(2, 4)]),
    ("conv", lambda x, w, b: F.conv2d(x, w, b), [A(2, 2, 4, 4), A(3, 2, 3, 3), A(3)]),
    ("conv_stride_padding_rect", lambda x, w, b: F.conv2d(x, w, b, stride=(2, 1), padding=(1, 2)),
     [A(2, 2, 5, 4), A(3, 2, 3, 2), A(3)]),
    ("conv_stride_uneven", lambda x, w: F.conv2d(x, w, stride=2, padding=1), [A(1, 2, 6, 5), A(2, 2, 2, 3)]),
    ("conv_squared", lambda x, w: F.conv2d(x, w, padding=1) ** 2, [A(1, 2, 3, 4), A(2, 2, 3, 2)]),
    ("avg_pool", lambda x: F.avg_pool2d(x, 2) ** 2, [A(2, 2, 4, 4)]),
    ("avg_pool_stride_padding", lambda x: F.avg_pool2d(x, (3, 2), stride=(2, 1), padding=(1, 1)) ** 2,
     [A(2, 2, 5, 4)]),
    ("max_pool", lambda x: F.max_pool2d(x, 2) ** 2, [D(2, 2, 4, 4)]),
    ("max_pool_stride_padding", lambda x: F.max_pool2d(x, (3, 2), stride=(2, 1), padding=(1, 1)) ** 2,
     [D(2, 2, 5, 4)]),
    ("sigmoid", F.sigmoid, [A(3, 4)]),
    ("relu_squared", lambda x: F.relu(x) ** 2, [D(3, 4)]),
    ("tanh", F.tanh, [A(3, 4)]),
    ("log_softmax_dim1", lambda x: F.log_softmax(x, 1), [A(4, 3)]),
    ("log_softmax_dim0", lambda x: F.log_softmax(x, 0), [A(4, 3)]),
    ("softmax", lambda x: F.softmax(x, -1), [A(4, 3)]),
    ("cross_entropy_mean", lambda x: F.cross_entropy(x, TARGET), [A(4, 3)]),
    ("cross_entropy_sum", lambda x: F.cross_entropy(x, TARGET, reduction="sum"), [A(4, 3)]),
    ("cross_entropy_none", lambda x: F.cross_entropy(x, TARGET, reduction="none"), [A(4, 3)]),
    ("batch_norm_2d", lambda x, g, b: F.BatchNormFunction()(x, g, b), [A(5, 3), A(3), A(3)]),
    ("batch_norm_4d", lambda x, g, b: F.BatchNormFunction()(x, g, b), [A(2, 3, 2, 2), A(3), A(3)]),
    ("batch_norm_gamma0", lambda x, g, b: F.BatchNormFunction()(x, g, b), [A(5, 3), Z(3), A(3)]),
    ("batch_norm_4d_gamma0", lambda x, g, b: F.BatchNormFunction()(x, g, b), [A(2, 3, 2, 2), Z(3), A(3)]),
    ("batch_norm_eval", lambda x, g, b: F.FixedBatchNormFunction(MEAN, VAR)(x, g, b), [A(2, 3, 2, 2), A(3), A(3)]),
    ("seed_batch_norm_train_2d", _seed_bn(True), [A(5, 3), A(1, 3), A(1, 3)]),
    ("seed_batch_norm_train_4d", _seed_bn(True), [A(2, 3, 2, 2), A(1, 3, 1, 1), A(1, 3, 1, 1)]),
    ("seed_batch_norm_eval_4d", _seed_bn(False), [A(2, 3, 2, 2), A(1, 3, 1, 1), A(1, 3, 1, 1)]),
    ("BatchNorm1d_train", _module(nn.BatchNorm1d, True), [A(5, 3), A(3), A(3)]),
    ("BatchNorm1d_train_3d", _module(nn.BatchNorm1d, True), [A(2, 3, 3), A(3), A(3)]),
    ("BatchNorm1d_eval", _module(nn.BatchNorm1d, False), [A(5, 3), A(3), A(3)]),
    ("BatchNorm2d_train", _module(nn.BatchNorm2d, True), [A(2, 3, 2, 2), A(3), A(3)]),
    ("BatchNorm2d_eval", _module(nn.BatchNorm2d, False), [A(2, 3, 2, 2), A(3), A(3)]),
    ("lenet_block", lambda x, w, g, b: F.avg_pool2d(F.sigmoid(F.BatchNormFunction()(F.conv2d(x, w), g, b)), 2),
     [A(2, 1, 5, 5), A(2, 1, 2, 2), P(2), A(2)]),
]


def _inputs(specs, seed=0):
    """float64 leaves; Parameters, so that the BatchNorm modules can take gamma and beta as their own."""
    rng = np.random.default_rng(seed)
    return [nn.Parameter(minigrad.tensor(_array(rng, shape, kind), dtype=minigrad.float64)) for shape, kind in specs]


@pytest.mark.parametrize("fn, specs", [pytest.param(f, s, id=name) for name, f, s in LAYER_CASES])
def test_second_derivative(fn, specs):
    inputs = _inputs(specs)
    assert gradgradcheck(fn, inputs)


@pytest.mark.parametrize("fn, specs", [pytest.param(f, s, id=name) for name, f, s in LAYER_CASES])
def test_graph_gradient_equals_fast_gradient(fn, specs):
    inputs = _inputs(specs, seed=1)
    y = fn(*inputs)
    u = minigrad.tensor(np.random.default_rng(2).standard_normal(y.shape), dtype=minigrad.float64)
    graph = grad(y, inputs, u, create_graph=True)
    fast = grad(fn(*inputs), inputs, u)
    for g, f in zip(graph, fast):
        assert g.dtype == f.dtype == minigrad.float64
        np.testing.assert_allclose(g.numpy(), f.numpy(), rtol=1e-12, atol=1e-13)


def _gradient_fn(fn, n, seed=5):
    """(x, u) -> d<u, fn(x)>/dx built as a graph: checking it to second order checks fn to third order."""
    u_cache = {}

    def gradient(*xs):
        y = fn(*xs)
        if "u" not in u_cache:
            u_cache["u"] = minigrad.tensor(np.random.default_rng(seed).standard_normal(y.shape), dtype=minigrad.float64)
        return grad(y, xs, u_cache["u"], create_graph=True)
    return gradient


THIRD_ORDER = [
    ("conv_stride_padding_rect", lambda x, w: F.conv2d(x, w, stride=(2, 1), padding=(1, 0)) ** 2,
     [A(1, 2, 4, 3), A(2, 2, 2, 2)]),
    ("avg_pool", lambda x: F.avg_pool2d(x, 2, stride=1, padding=1) ** 3, [A(1, 2, 3, 3)]),
    ("max_pool", lambda x: F.max_pool2d(x, 2, stride=1) ** 3, [D(1, 2, 3, 3)]),
    ("linear", lambda x, w: F.linear(x, w) ** 3, [A(3, 2), A(2, 2)]),
    ("cross_entropy", lambda x: F.cross_entropy(x, TARGET, reduction="none"), [A(4, 3)]),
    ("batch_norm_2d", lambda x, g, b: F.BatchNormFunction()(x, g, b), [A(4, 2), A(2), A(2)]),
    ("batch_norm_4d_gamma0", lambda x, g, b: F.BatchNormFunction()(x, g, b), [A(2, 2, 2, 1), Z(2), A(2)]),
    ("batch_norm_eval", lambda x, g, b: F.FixedBatchNormFunction(MEAN, VAR)(x, g, b) ** 2,
     [A(2, 3, 1, 2), A(3), A(3)]),
]


@pytest.mark.parametrize("fn, specs", [pytest.param(f, s, id=name) for name, f, s in THIRD_ORDER])
def test_third_derivative(fn, specs):
    inputs = _inputs(specs, seed=3)
    assert gradgradcheck(_gradient_fn(fn, len(inputs)), inputs)


# ---------------------------------------------------------------------------
# BatchNorm: exact at every order

def _composed_batch_norm(x, gamma, beta, eps=1e-5):
    """Training-mode BatchNorm from primitive ops only (mean, -, *, +, sqrt, /)."""
    axes, shape = (0,) + tuple(range(2, x.ndim)), (1, x.shape[1]) + (1,) * (x.ndim - 2)
    xc = x - x.mean(axes, True)
    x_hat = xc / ((xc * xc).mean(axes, True) + eps).sqrt()
    return gamma.reshape(*shape) * x_hat + beta.reshape(*shape)


def _three_derivatives(bn, x_np, gamma_np, beta_np, directions):
    """First, second and third derivatives of bn along random directions, each by autograd.grad(create_graph=True)."""
    x, gamma, beta = leaf(x_np), leaf(gamma_np), leaf(beta_np)
    u, v, w = (minigrad.tensor(d, dtype=minigrad.float64) for d in directions[:3])
    wg = minigrad.tensor(directions[3], dtype=minigrad.float64)
    g1 = grad(bn(x, gamma, beta), (x, gamma, beta), u, create_graph=True)
    g2 = grad((g1[0] * v).sum() + (g1[1] * g1[1]).sum(), (x, gamma), create_graph=True)
    g3 = grad((g2[0] * w).sum() + (g2[1] * wg).sum(), (x, gamma))
    return [g.numpy() for g in g1 + g2 + g3]


@pytest.mark.parametrize("shape", [(6, 3), (3, 2, 2, 3)])
@pytest.mark.parametrize("gamma_kind", ["random", "zero"])
def test_batch_norm_third_derivative_equals_composed(shape, gamma_kind):
    rng = np.random.default_rng(7)
    x = rng.standard_normal(shape) * 1.5 + 0.5
    gamma = rng.standard_normal(shape[1]) if gamma_kind == "random" else np.zeros(shape[1])
    beta = rng.standard_normal(shape[1])
    directions = [rng.standard_normal(shape) for _ in range(3)] + [rng.standard_normal(shape[1])]
    fused = _three_derivatives(lambda a, g, b: F.BatchNormFunction()(a, g, b), x, gamma, beta, directions)
    composed = _three_derivatives(_composed_batch_norm, x, gamma, beta, directions)
    for k, (a, b) in enumerate(zip(fused, composed)):
        assert np.all(np.isfinite(a)), k
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-8, err_msg=f"derivative {k}")
    assert np.abs(fused[-2]).max() > 1e-2  # the third derivative along x is not trivially zero


def test_batch_norm_double_backward_is_finite_at_gamma_zero():
    x = leaf(np.random.default_rng(0).standard_normal((4, 3)))
    gamma, beta = leaf(np.zeros(3)), leaf(np.ones(3))
    gx, = grad(F.BatchNormFunction()(x, gamma, beta), x, minigrad.tensor(np.arange(12.0).reshape(4, 3)).double(),
               create_graph=True)
    np.testing.assert_array_equal(gx.numpy(), 0.0)  # gx = gamma * ... is zero at gamma = 0
    r = minigrad.tensor(np.random.default_rng(1).standard_normal((4, 3)), dtype=minigrad.float64)
    h = grad((gx * r).sum() + (gx * gx).sum(), (x, gamma))
    assert all(np.all(np.isfinite(t.numpy())) for t in h)
    assert np.abs(h[1].numpy()).max() > 0.1  # d gx / d gamma is not zero


def test_eval_batch_norm_is_affine_in_x():
    """Fixed statistics: d(gx)/dx = 0 and d(gx)/dgamma = gy / sqrt(var + eps), exactly."""
    rng = np.random.default_rng(4)
    x, gamma, beta = leaf(rng.standard_normal((3, 3, 2, 2))), leaf(rng.standard_normal(3)), leaf(rng.standard_normal(3))
    gy = leaf(rng.standard_normal((3, 3, 2, 2)))
    gx, = grad(F.FixedBatchNormFunction(MEAN, VAR)(x, gamma, beta), x, gy, create_graph=True)
    hx, hgamma, hgy = grad(gx.sum(), (x, gamma, gy), allow_unused=True)
    assert hx is None or np.all(hx.numpy() == 0)
    np.testing.assert_allclose(hgamma.numpy(), (gy.numpy() / np.sqrt(VAR + 1e-5).reshape(1, 3, 1, 1)).sum((0, 2, 3)),
                               rtol=1e-12)
    np.testing.assert_allclose(hgy.numpy(), np.broadcast_to((gamma.numpy() / np.sqrt(VAR + 1e-5)).reshape(1, 3, 1, 1),
                                                            gy.shape), rtol=1e-12)


# ---------------------------------------------------------------------------
# Edge cases owned by these Functions

def test_max_pool_nan_propagates_and_routes_the_gradient_to_the_last_nan():
    """PyTorch: a window with NaN gives NaN; the gradient goes to its last NaN in row-major order."""
    x = leaf(np.array([[[[NAN, 2.0], [NAN, 8.0]], [[1.0, NAN], [9.0, NAN]], [[9.0, 1.0], [1.0, 2.0]]]]))
    y = F.max_pool2d(x, 2)
    assert np.isnan(y.numpy()[0, :2]).all() and y.numpy()[0, 2, 0, 0] == 9.0
    y.backward(minigrad.tensor(np.array([[[[1.0]], [[2.0]], [[3.0]]]])).double())
    expected = np.zeros((1, 3, 2, 2))
    expected[0, 0, 1, 0], expected[0, 1, 1, 1], expected[0, 2, 0, 0] = 1.0, 2.0, 3.0
    np.testing.assert_array_equal(x.grad.numpy(), expected)


def test_max_pool_nan_with_padding_and_overlap():
    x = leaf(np.array([[[[NAN, 2.0, 3.0], [NAN, 8.0, NAN], [1.0, 2.0, 3.0]]]]))
    y = F.max_pool2d(x, 2, stride=1, padding=1)
    expected = np.array([[NAN, NAN, 3, 3], [NAN, NAN, NAN, NAN], [NAN, NAN, NAN, NAN], [1, 2, 3, 3]])
    np.testing.assert_array_equal(y.numpy()[0, 0], expected)
    y.sum().backward()
    # PyTorch's argmax per window (flat input index): [[0,0,2,2],[3,3,5,5],[3,3,5,5],[6,7,8,8]]
    counts = np.bincount([0, 0, 2, 2, 3, 3, 5, 5, 3, 3, 5, 5, 6, 7, 8, 8], minlength=9).reshape(3, 3)
    np.testing.assert_array_equal(x.grad.numpy()[0, 0], counts)


@pytest.mark.parametrize("create_graph", [False, True])
def test_max_pool_nan_upstream_gradient_reaches_only_the_argmax(create_graph):
    """PyTorch scatters gy to each window's argmax: a NaN in gy makes that one element NaN, not its whole window
    (gy * mask would spread NaN * 0 = NaN)."""
    x = leaf(np.array([[[[1.0, 4.0, 0.0, 2.0], [3.0, 1.5, 5.0, 2.5]]]]))
    y = F.max_pool2d(x, 2)
    gx, = grad(y, x, minigrad.tensor(np.array([[[[NAN, 2.0]]]])), create_graph=create_graph)
    expected = np.zeros((1, 1, 2, 4))
    expected[0, 0, 0, 1], expected[0, 0, 1, 2] = NAN, 2.0
    np.testing.assert_array_equal(gx.detach().numpy(), expected)


@pytest.mark.parametrize("create_graph", [False, True])
def test_cross_entropy_with_every_target_ignored_has_zero_gradient_even_for_a_nan_upstream(create_graph):
    """PyTorch: the loss is NaN (0 / 0) and the logits' gradient is exactly 0, whatever flows in (a NaN
    upstream gradient too: loss * sin(loss) has one), at first order and through create_graph."""
    z = leaf(np.random.default_rng(0).standard_normal((2, 3)))
    loss = F.cross_entropy(z, minigrad.tensor([-100, -100]), weight=minigrad.tensor([1.0, 2.0, 0.5]))
    assert np.isnan(loss.item())
    g, = grad(loss * loss.sin(), z, create_graph=create_graph)
    np.testing.assert_array_equal(g.detach().numpy(), np.zeros((2, 3)))


@pytest.mark.parametrize("cls, shape", [(nn.BatchNorm2d, (8, 3, 5, 5)), (nn.BatchNorm1d, (64, 4))])
def test_float16_batch_norm_is_finite_and_accurate(cls, shape):
    """Statistics in float32: float16 sums of squares of values ~300 would overflow (max 65504)."""
    x = np.random.default_rng(0).normal(300.0, 20.0, shape).astype(np.float16)
    bn = cls(shape[1])
    y = bn(minigrad.tensor(x))
    assert y.dtype == minigrad.float16 and np.all(np.isfinite(y.numpy()))
    ref = cls(shape[1]).double()(minigrad.tensor(x.astype(np.float64)))
    np.testing.assert_allclose(y.numpy().astype(np.float64), ref.numpy(), atol=2e-2)
    assert np.all(np.isfinite(bn.running_mean.numpy())) and np.all(np.isfinite(bn.running_var.numpy()))


def test_float16_batch_norm_backward_is_finite():
    x = minigrad.tensor(np.random.default_rng(1).normal(300.0, 20.0, (16, 3)).astype(np.float16), requires_grad=True)
    gamma = minigrad.ones(3, dtype=minigrad.float16, requires_grad=True)
    beta = minigrad.zeros(3, dtype=minigrad.float16, requires_grad=True)
    y = F.BatchNormFunction()(x, gamma, beta)
    (y * y).sum().backward()
    for t in (x, gamma, beta):
        assert t.grad.dtype == minigrad.float16 and np.all(np.isfinite(t.grad.numpy()))


def test_empty_batch_flows_through_the_layers():
    x = minigrad.zeros(0, 2, 6, 6, requires_grad=True)
    w, b = minigrad.randn(3, 2, 3, 3, requires_grad=True), minigrad.zeros(3, requires_grad=True)
    y = F.conv2d(x, w, b, padding=1)
    assert y.shape == (0, 3, 6, 6)
    pooled = [F.avg_pool2d(y, 2), F.max_pool2d(y, 2, padding=1)]
    assert [p.shape for p in pooled] == [(0, 3, 3, 3), (0, 3, 4, 4)]
    gamma, beta = minigrad.ones(3, requires_grad=True), minigrad.zeros(3, requires_grad=True)
    normed = F.BatchNormFunction()(pooled[0], gamma, beta)
    assert normed.shape == (0, 3, 3, 3)
    fixed = F.FixedBatchNormFunction(np.zeros(3, np.float32), np.ones(3, np.float32))(pooled[1], gamma, beta)
    lin_w = minigrad.randn(4, 27, requires_grad=True)
    out = F.linear(normed.reshape(0, 27), lin_w) .sum() + fixed.sum()
    out.backward()
    for t in (x, w, b, gamma, beta, lin_w):
        assert t.grad.shape == t.shape and np.all(t.grad.numpy() == 0)


def test_seed_batch_norm_on_an_empty_batch_keeps_the_moving_statistics():
    mm, mv = minigrad.tensor(MEAN.reshape(1, 3)), minigrad.tensor(VAR.reshape(1, 3))
    gamma, beta = minigrad.ones(1, 3, requires_grad=True), minigrad.zeros(1, 3, requires_grad=True)
    y, new_mm, new_mv = F.d2l_batch_norm(minigrad.zeros(0, 3), gamma, beta, mm, mv, training=True)
    assert y.shape == (0, 3)
    np.testing.assert_array_equal(new_mm.numpy(), MEAN.reshape(1, 3))
    np.testing.assert_array_equal(new_mv.numpy(), VAR.reshape(1, 3))


def _np_cross_entropy(z, t):
    shifted = z - z.max(1, keepdims=True)
    return np.log(np.exp(shifted).sum(1)) - shifted[np.arange(len(t)), t]


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_cross_entropy_reductions(reduction):
    z = np.random.default_rng(0).standard_normal((4, 3)) * 3
    losses = _np_cross_entropy(z, TARGET)
    expected = {"mean": losses.mean(), "sum": losses.sum(), "none": losses}[reduction]
    logits = leaf(z)
    out = F.cross_entropy(logits, minigrad.tensor(TARGET), reduction=reduction)
    assert out.shape == np.shape(expected)
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-12)
    assert minigrad.gradcheck(lambda a: F.cross_entropy(a, TARGET, reduction=reduction), [logits])


def test_cross_entropy_empty_batch_as_pytorch():
    z, t = minigrad.zeros(0, 3), np.zeros(0, dtype=np.int64)
    assert np.isnan(F.cross_entropy(z, t).item())
    assert F.cross_entropy(z, t, reduction="sum").item() == 0.0
    assert F.cross_entropy(z, t, reduction="none").shape == (0,)


def test_cross_entropy_bad_arguments():
    z = minigrad.zeros(2, 3)
    t = np.array([0, 1])
    with pytest.raises(ValueError, match="reduction.*'average'"):
        F.cross_entropy(z, t, reduction="average")
    for dtype in (minigrad.int64, minigrad.bool_):
        with pytest.raises(TypeError, match=f"floating-point logits, got dtype {np.dtype(dtype)}"):
            F.cross_entropy(minigrad.zeros(2, 3, dtype=dtype), t)
    with pytest.raises(ValueError, match="label_smoothing must lie in"):
        F.cross_entropy(z, t, label_smoothing=1.5)
    with pytest.raises(RuntimeError, match=r"weight must be a tensor of shape \(3,\)"):
        F.cross_entropy(z, t, minigrad.ones(4))
    with pytest.raises(NotImplementedError, match="weight that requires grad"):
        F.cross_entropy(z, t, minigrad.ones(3, requires_grad=True))


@pytest.mark.parametrize("dim", [0, 1, -1])
def test_softmax_and_log_softmax_follow_dim(dim):
    z = np.random.default_rng(0).standard_normal((3, 4)) * 4
    log_p = z - np.log(np.exp(z).sum(dim, keepdims=True))
    x = minigrad.tensor(z, dtype=minigrad.float64)
    np.testing.assert_allclose(F.log_softmax(x, dim).numpy(), log_p, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(F.softmax(x, dim).numpy(), np.exp(log_p), rtol=1e-12)


def test_bn_backward_script_order_2_agrees_four_ways(capsys):
    """scripts/bn_backward.py --order 2: staged, BatchNormGrad, composed and finite differences agree."""
    script = load_script("bn_backward")
    diffs = script.main(["--order", "2", "--quiet", "--seed", "2", "--shape", "5,3", "2,2,3,2"])
    assert set(diffs) == {(5, 3), (2, 2, 3, 2)}
    assert capsys.readouterr().out.count("max |difference| of the second derivative") == 2
    for table in diffs.values():
        assert len(table) == 6
        for pair, d in table.items():
            assert max(d.values()) < (1e-7 if "finite diff" in pair else 1e-12), (pair, d)
