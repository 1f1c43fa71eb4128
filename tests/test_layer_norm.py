"""LayerNorm (minigrad/nn/_functions/normalization.py, nn/modules/normalization.py): F.layer_norm and nn.LayerNorm
with a fused backward and double backward.

Values against NumPy; first, second and third derivatives against the same normalisation composed from primitive
ops (float64, 1e-10); gradcheck and gradgradcheck with random upstream gradients (third order too); errors with
PyTorch's messages; PyTorch's forward and backward where it is installed.
"""
import re

import numpy as np
import pytest

import minigrad
from minigrad import gradcheck, gradgradcheck, nn
from minigrad.autograd import grad
from minigrad.nn import functional as F
from minigrad.nn.functional import LayerNormFunction, LayerNormGrad

CASES = [  # (input shape, normalized_shape)
    ((4, 5), (5,)),
    ((2, 3, 4), (4,)),
    ((2, 3, 4), (3, 4)),
    ((3, 2, 2, 3), (2, 2, 3)),
    ((6,), (6,)),
]


def leaf(a):
    return minigrad.tensor(a, dtype=minigrad.float64, requires_grad=True)


def random_case(x_shape, shape, seed=0):
    rng = np.random.default_rng(seed)
    offsets = rng.standard_normal(x_shape[:len(x_shape) - len(shape)] + (1,) * len(shape))  # one per example
    x = rng.standard_normal(x_shape) * 1.5 + offsets
    return rng, x, rng.uniform(0.5, 2.0, shape) * rng.choice([-1, 1], shape), rng.standard_normal(shape)


def np_layer_norm(x, shape, w=None, b=None, eps=1e-5):
    axes = tuple(range(x.ndim - len(shape), x.ndim))
    y = (x - x.mean(axes, keepdims=True)) / np.sqrt(x.var(axes, keepdims=True) + eps)
    return y * (1 if w is None else w) + (0 if b is None else b)


def composed_layer_norm(x, shape, w, b, eps=1e-5):
    """LayerNorm from primitive minigrad ops only (mean, -, *, +, sqrt, /): autograd differentiates it."""
    axes = tuple(range(x.ndim - len(shape), x.ndim))
    xc = x - x.mean(axes, True)
    return w * (xc / ((xc * xc).mean(axes, True) + eps).sqrt()) + b


@pytest.mark.parametrize("x_shape, shape", CASES)
@pytest.mark.parametrize("affine", ["both", "weight", "none"])
def test_values_match_numpy(x_shape, shape, affine):
    _, x, w, b = random_case(x_shape, shape)
    w_t = None if affine == "none" else minigrad.tensor(w)
    b_t = minigrad.tensor(b) if affine == "both" else None
    y = F.layer_norm(minigrad.tensor(x), shape, w_t, b_t)
    expected = np_layer_norm(x, shape, None if w_t is None else w, None if b_t is None else b)
    assert y.shape == x_shape and y.dtype == np.float64
    np.testing.assert_allclose(y.numpy(), expected, rtol=1e-13, atol=1e-13)


def test_each_example_is_normalised_on_its_own():
    """Per example, over the normalized dimensions: mean 0 and variance var / (var + eps), whatever the batch."""
    x = np.random.default_rng(1).standard_normal((3, 4, 5)) * np.array([1.0, 10.0, 0.1])[:, None, None]
    y = F.layer_norm(minigrad.tensor(x), [4, 5]).numpy()
    var = x.reshape(3, -1).var(axis=1)
    np.testing.assert_allclose(y.reshape(3, -1).mean(axis=1), 0, atol=1e-15)
    np.testing.assert_allclose(y.reshape(3, -1).var(axis=1), var / (var + 1e-5), rtol=1e-13)
    y0 = F.layer_norm(minigrad.tensor(x[:1]), [4, 5]).numpy()
    np.testing.assert_allclose(y0, y[:1], rtol=1e-14, atol=1e-15)  # no statistic across the batch


def _three_derivatives(fn, x_np, w_np, b_np, directions):
    """First (x, w, b), second (x, w) and third (x, w) derivatives along random directions, by autograd.grad."""
    x, w, b = leaf(x_np), leaf(w_np), leaf(b_np)
    u, v, z = (minigrad.tensor(d, dtype=minigrad.float64) for d in directions[:3])
    vw = minigrad.tensor(directions[3], dtype=minigrad.float64)
    g1 = grad(fn(x, w, b), (x, w, b), u, create_graph=True)
    g2 = grad((g1[0] * v).sum() + (g1[1] * g1[1]).sum() + (g1[0] * g1[0]).sum(), (x, w), create_graph=True)
    g3 = grad((g2[0] * z).sum() + (g2[1] * vw).sum(), (x, w))
    return [g.numpy() for g in g1 + g2 + g3]


@pytest.mark.parametrize("x_shape, shape", CASES)
def test_first_second_and_third_derivatives_equal_the_composed_normalisation(x_shape, shape):
    rng, x, w, b = random_case(x_shape, shape, seed=2)
    directions = [rng.standard_normal(x_shape) for _ in range(3)] + [rng.standard_normal(shape)]
    fused = _three_derivatives(lambda a, w, b: F.layer_norm(a, shape, w, b), x, w, b, directions)
    composed = _three_derivatives(lambda a, w, b: composed_layer_norm(a, shape, w, b), x, w, b, directions)
    for k, (f, c) in enumerate(zip(fused, composed)):
        assert np.all(np.isfinite(f)), k
        np.testing.assert_allclose(f, c, rtol=0, atol=1e-10 * max(1.0, np.abs(c).max()), err_msg=f"derivative {k}")
    assert np.abs(fused[-2]).max() > 1e-2  # the third derivative along x is not trivially zero


@pytest.mark.parametrize("x_shape, shape", CASES)
def test_gradcheck_and_gradgradcheck_with_random_upstream_gradients(x_shape, shape):
    _, x, w, b = random_case(x_shape, shape, seed=3)
    inputs = [leaf(x), leaf(w), leaf(b)]
    assert gradcheck(lambda x, w, b: F.layer_norm(x, shape, w, b), inputs)
    assert gradgradcheck(lambda x, w, b: F.layer_norm(x, shape, w, b), inputs)


def test_third_order_check_of_the_gradient_function():
    """LayerNormGrad's own gradient (the double backward) passes gradgradcheck: LayerNorm is checked to third order."""
    _, x, w, _ = random_case((3, 2, 4), (2, 4), seed=4)
    gy = np.random.default_rng(5).standard_normal((3, 2, 4))

    def gx(x, w, gy):
        return grad(F.layer_norm(x, (2, 4), w), x, gy, create_graph=True)[0]
    inputs = [leaf(x), leaf(w), leaf(gy)]
    assert gradcheck(gx, inputs)
    assert gradgradcheck(gx, inputs)


def test_fused_backward_equals_the_graph_built_backward():
    rng, x, w, b = random_case((4, 3, 5), (5,), seed=6)
    u = minigrad.tensor(rng.standard_normal((4, 3, 5)))
    inputs = [leaf(x), leaf(w), leaf(b)]
    fast = grad(F.layer_norm(inputs[0], (5,), inputs[1], inputs[2]), inputs, u)
    graph = grad(F.layer_norm(inputs[0], (5,), inputs[1], inputs[2]), inputs, u, create_graph=True)
    assert isinstance(graph[0].grad_fn, LayerNormGrad)
    for f, g in zip(fast, graph):
        np.testing.assert_allclose(f.numpy(), g.numpy(), rtol=1e-12, atol=1e-13)


def test_closed_form_backward_formulas():
    """dbias = sum dy, dweight = sum dy * x_hat over the examples; dx sums to 0 over each example (mean removed)."""
    rng, x, w, b = random_case((5, 2, 3), (2, 3), seed=7)
    dy = rng.standard_normal(x.shape)
    inputs = [leaf(x), leaf(w), leaf(b)]
    gx, gw, gb = grad(F.layer_norm(inputs[0], (2, 3), inputs[1], inputs[2]), inputs, minigrad.tensor(dy))
    x_hat = np_layer_norm(x, (2, 3))
    np.testing.assert_allclose(gb.numpy(), dy.sum(0), rtol=1e-13)
    np.testing.assert_allclose(gw.numpy(), (dy * x_hat).sum(0), rtol=1e-12)
    np.testing.assert_allclose(gx.numpy().reshape(5, -1).sum(1), 0, atol=1e-12)
    # with dy = ones and no weight, dx is exactly 0 (the constant direction is projected out), as for BatchNorm
    ones = minigrad.ones(5, 2, 3, dtype=minigrad.float64)
    ones_gx, = grad(F.layer_norm(inputs[0], (2, 3)), inputs[0], ones)
    np.testing.assert_allclose(ones_gx.numpy(), 0, atol=1e-13)
    # with a weight that varies along the example, not: dx = s P(w)
    ones_gx, = grad(F.layer_norm(inputs[0], (2, 3), inputs[1]), inputs[0], ones)
    assert np.abs(ones_gx.numpy()).max() > 0.1


def test_float32_float16_and_empty_inputs():
    x = np.random.default_rng(8).standard_normal((3, 4)).astype(np.float32)
    y32 = F.layer_norm(minigrad.tensor(x), (4,))
    assert y32.dtype == np.float32
    np.testing.assert_allclose(y32.numpy(), np_layer_norm(x.astype(np.float64), (4,)), atol=1e-6)
    x16 = minigrad.tensor(x.astype(np.float16), requires_grad=True)
    w16 = minigrad.ones(4, dtype=minigrad.float16, requires_grad=True)
    y16 = F.layer_norm(x16, (4,), w16)
    y16.sum().backward()
    assert y16.dtype == x16.grad.dtype == w16.grad.dtype == np.float16
    np.testing.assert_allclose(y16.numpy(), np_layer_norm(x.astype(np.float16).astype(np.float64), (4,)), atol=3e-3)
    empty = minigrad.zeros(0, 4, requires_grad=True)
    w = minigrad.ones(4, requires_grad=True)
    y = F.layer_norm(empty, (4,), w)
    y.sum().backward()
    assert y.shape == (0, 4) and empty.grad.shape == (0, 4)
    np.testing.assert_array_equal(w.grad.numpy(), np.zeros(4, np.float32))


@pytest.mark.parametrize("call, error, message", [
    (lambda: F.layer_norm(minigrad.randn(2, 3, 4), [5]), RuntimeError,
     "Given normalized_shape=[5], expected input with shape [*, 5], but got input of size[2, 3, 4]"),
    (lambda: F.layer_norm(minigrad.randn(2, 3, 4), [2, 3, 4, 5]), RuntimeError,
     "Given normalized_shape=[2, 3, 4, 5], expected input with shape [*, 2, 3, 4, 5], but got input of size[2, 3, 4]"),
    (lambda: F.layer_norm(minigrad.randn(2, 3, 4), [4], minigrad.ones(5)), RuntimeError,
     "Expected weight to be of same shape as normalized_shape, but got weight of shape [5] and normalized_shape = [4]"),
    (lambda: F.layer_norm(minigrad.randn(2, 4), [4], None, minigrad.ones(1, 4)), RuntimeError,
     "Expected bias to be of same shape as normalized_shape, but got bias of shape [1, 4] and normalized_shape = [4]"),
    (lambda: F.layer_norm(minigrad.randn(2, 4), 4), TypeError,
     "layer_norm(): argument 'normalized_shape' must be a tuple of ints, not int"),
    (lambda: F.layer_norm(minigrad.randn(2, 4), (4.0,)), TypeError, "must be a tuple of ints, but found an element"),
    (lambda: F.layer_norm(minigrad.randn(2, 4), []), RuntimeError,
     "Expected normalized_shape to be at least 1-dimensional"),
    (lambda: F.layer_norm(minigrad.arange(12).reshape(3, 4), [4]), NotImplementedError,
     "layer_norm: not implemented for dtype int64"),
    (lambda: F.layer_norm(minigrad.randn(2, 4), [4], minigrad.ones(4, dtype=minigrad.float64)), RuntimeError,
     "layer_norm: expected input and weight to have the same dtype, but got float32 and float64"),
    (lambda: F.layer_norm([1.0, 2.0], [2]), TypeError, "layer_norm(): argument 'input' must be a Tensor, got list"),
    (lambda: F.layer_norm(minigrad.randn(2, 4), [4], eps=-1.0), ValueError, "layer_norm: invalid eps"),
    (lambda: nn.LayerNorm(4, eps=-1.0), ValueError, "LayerNorm: invalid eps"),
    (lambda: nn.LayerNorm("4"), TypeError, "LayerNorm: argument 'normalized_shape' must be a tuple of ints, not str"),
])
def test_bad_arguments_raise_pytorchs_errors(call, error, message):
    with pytest.raises(error, match=re.escape(message)):
        call()


def test_module_parameters_repr_and_modes():
    m = nn.LayerNorm([2, 3])
    assert repr(m) == "LayerNorm((2, 3), eps=1e-05, elementwise_affine=True, bias=True)"
    assert m.normalized_shape == (2, 3) and list(m.state_dict()) == ["weight", "bias"]
    np.testing.assert_array_equal(m.weight.numpy(), np.ones((2, 3), np.float32))
    np.testing.assert_array_equal(m.bias.numpy(), np.zeros((2, 3), np.float32))
    assert repr(nn.LayerNorm(4, bias=False)) == "LayerNorm((4,), eps=1e-05, elementwise_affine=True, bias=False)"
    assert nn.LayerNorm(4, bias=False).bias is None
    plain = nn.LayerNorm(4, eps=1e-3, elementwise_affine=False)
    assert repr(plain) == "LayerNorm((4,), eps=0.001, elementwise_affine=False, bias=False)"
    assert list(plain.parameters()) == [] and not plain.state_dict()
    x = np.random.default_rng(9).standard_normal((3, 2, 3)).astype(np.float32)
    with minigrad.no_grad():
        m.weight.copy_(np.arange(6.0).reshape(2, 3))
    y_train = m(minigrad.tensor(x)).numpy()
    y_eval = m.eval()(minigrad.tensor(x)).numpy()  # no running statistics: the same in both modes
    np.testing.assert_array_equal(y_train, y_eval)
    np.testing.assert_allclose(y_train, np_layer_norm(x.astype(np.float64), (2, 3), np.arange(6.0).reshape(2, 3)),
                               atol=1e-5)
    m.reset_parameters()
    np.testing.assert_array_equal(m.weight.numpy(), np.ones((2, 3), np.float32))


def test_layer_norm_trains_in_a_network():
    minigrad.manual_seed(0)
    net = nn.Sequential(nn.Linear(4, 8), nn.LayerNorm(8), nn.ReLU(), nn.Linear(8, 2))
    opt = minigrad.optim.SGD(net.parameters(), lr=0.5)
    x, t = minigrad.randn(16, 4), minigrad.tensor(np.arange(16) % 2)
    losses = []
    for _ in range(60):
        opt.zero_grad()
        loss = F.cross_entropy(net(x), t)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < 0.5 * losses[0]


def test_the_function_class_is_the_one_in_the_graph():
    y = F.layer_norm(minigrad.randn(2, 3, requires_grad=True), (3,))
    assert isinstance(y.grad_fn, LayerNormFunction)


@pytest.mark.parametrize("x_shape, shape", CASES)
def test_forward_and_backward_match_pytorch(x_shape, shape):
    torch = pytest.importorskip("torch")
    rng, x, w, b = random_case(x_shape, shape, seed=10)
    u = rng.standard_normal(x_shape)
    inputs = [leaf(x), leaf(w), leaf(b)]
    y = F.layer_norm(inputs[0], shape, inputs[1], inputs[2], eps=1e-3)
    ours = grad(y, inputs, minigrad.tensor(u))
    t_inputs = [torch.tensor(a, requires_grad=True) for a in (x, w, b)]
    t_y = torch.nn.functional.layer_norm(t_inputs[0], list(shape), t_inputs[1], t_inputs[2], eps=1e-3)
    theirs = torch.autograd.grad(t_y, t_inputs, torch.tensor(u))
    np.testing.assert_allclose(y.numpy(), t_y.detach().numpy(), rtol=1e-12, atol=1e-12)
    for o, t in zip(ours, theirs):
        np.testing.assert_allclose(o.numpy(), t.numpy(), rtol=1e-10, atol=1e-12)
    module, t_module = nn.LayerNorm(shape[-1]), torch.nn.LayerNorm(shape[-1])
    assert repr(module) == repr(t_module) and list(module.state_dict()) == list(t_module.state_dict())


@pytest.mark.gpu
def test_gpu_forward_and_backward_equal_the_cpu_ones():
    rng, x, w, b = random_case((4, 3, 5), (3, 5), seed=11)
    u = rng.standard_normal(x.shape)
    results = []
    for device in ("cpu", "cuda"):
        inputs = [leaf(a).to(device).detach().requires_grad_() for a in (x, w, b)]
        y = F.layer_norm(inputs[0], (3, 5), inputs[1], inputs[2])
        results.append([y.cpu().numpy()] + [g.cpu().numpy() for g in
                                             grad(y, inputs, minigrad.tensor(u).to(device))])
    for c, g in zip(*results):
        np.testing.assert_allclose(g, c, rtol=1e-12, atol=1e-12)
