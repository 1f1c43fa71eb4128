"""Conv2d / F.conv2d with groups= and dilation= (PyTorch's semantics): derivatives to third order, the module,
the lazy module, errors, and PyTorch's values where it is installed. Loop references: tests/test_references.py."""
import math
import re

import numpy as np
import pytest

import minigrad
from minigrad import gradcheck, gradgradcheck, nn
from minigrad.autograd import grad
from minigrad.nn import functional as F

CASES = [  # (x shape, weight shape, stride, padding, dilation, groups)
    ((2, 4, 5, 6), (6, 2, 2, 3), (1, 2), (1, 0), 1, 2),
    ((1, 3, 6, 5), (3, 1, 3, 2), 1, 1, 1, 3),           # depthwise
    ((2, 2, 7, 6), (3, 2, 2, 2), (2, 1), (0, 1), (2, 3), 1),
    ((1, 4, 7, 7), (2, 2, 3, 2), 2, 1, (2, 1), 2),
    ((6, 5, 4), (4, 3, 2, 2), 1, 0, 2, 2),               # an unbatched (C, H, W) input
]


def leaf(a):
    return minigrad.tensor(a, dtype=minigrad.float64, requires_grad=True)


def inputs_of(x_shape, w_shape, seed):
    rng = np.random.default_rng(seed)
    return [leaf(rng.standard_normal(x_shape)), leaf(rng.standard_normal(w_shape)),
            leaf(rng.standard_normal(w_shape[0]))]


def conv(stride, padding, dilation, groups):
    return lambda x, w, b: F.conv2d(x, w, b, stride, padding, dilation, groups)


@pytest.mark.parametrize("x_shape, w_shape, stride, padding, dilation, groups", CASES)
def test_gradcheck_and_gradgradcheck(x_shape, w_shape, stride, padding, dilation, groups):
    fn = conv(stride, padding, dilation, groups)
    inputs = inputs_of(x_shape, w_shape, 0)
    assert gradcheck(fn, inputs)
    assert gradgradcheck(lambda x, w, b: fn(x, w, b) ** 2, inputs)


@pytest.mark.parametrize("x_shape, w_shape, stride, padding, dilation, groups", CASES[:4])
def test_the_gradient_functions_are_closed_under_differentiation(x_shape, w_shape, stride, padding, dilation, groups):
    """gradgradcheck of the input and weight gradients (Conv2dGradInput, Conv2dGradWeight): third order of conv2d."""
    fn = conv(stride, padding, dilation, groups)
    x, w, b = inputs_of(x_shape, w_shape, 1)
    gy = leaf(np.random.default_rng(2).standard_normal(fn(x, w, b).shape))

    def gradients(x, w, gy):
        gx, gw = grad(fn(x, w, b), (x, w), gy, create_graph=True)
        return gx * gx.sum() + gx, gw * gw

    assert gradgradcheck(gradients, [x, w, gy])
    gx, gw = grad(fn(x, w, b), (x, w), gy, create_graph=True)
    assert type(gx.grad_fn).__name__ == "Conv2dGradInput" and type(gw.grad_fn).__name__ == "Conv2dGradWeight"


@pytest.mark.parametrize("x_shape, w_shape, stride, padding, dilation, groups", CASES)
def test_graph_gradient_equals_fast_gradient(x_shape, w_shape, stride, padding, dilation, groups):
    fn = conv(stride, padding, dilation, groups)
    inputs = inputs_of(x_shape, w_shape, 3)
    u = minigrad.tensor(np.random.default_rng(4).standard_normal(fn(*inputs).shape))
    fast = grad(fn(*inputs), inputs, u)
    graph = grad(fn(*inputs), inputs, u, create_graph=True)
    for f, g in zip(fast, graph):
        np.testing.assert_allclose(f.numpy(), g.numpy(), rtol=1e-12, atol=1e-12)


def test_groups_are_independent_convolutions_and_dilation_spreads_the_taps():
    rng = np.random.default_rng(5)
    x, w = minigrad.tensor(rng.standard_normal((2, 6, 5, 5))), minigrad.tensor(rng.standard_normal((4, 3, 3, 3)))
    y = F.conv2d(x, w, groups=2, padding=1)
    for g in range(2):
        part = F.conv2d(x[:, 3 * g:3 * g + 3], w[2 * g:2 * g + 2], padding=1)
        np.testing.assert_allclose(y[:, 2 * g:2 * g + 2].numpy(), part.numpy(), rtol=1e-12, atol=1e-12)
    spread = np.zeros((4, 6, 5, 5))
    spread[:, :3, ::2, ::2] = w.numpy()
    np.testing.assert_allclose(F.conv2d(x, w[:, :], dilation=2, groups=2).numpy()[:, :2],
                               F.conv2d(x, minigrad.tensor(spread)).numpy()[:, :2], rtol=1e-12, atol=1e-12)
    assert F.conv2d(x, w, dilation=(2, 1), groups=2).shape == (2, 4, 1, 3)


def test_conv2d_module_with_groups_and_dilation():
    minigrad.manual_seed(0)
    layer = nn.Conv2d(6, 4, 3, padding=2, dilation=2, groups=2)
    assert layer.weight.shape == (4, 3, 3, 3) and (layer.groups, layer.dilation) == (2, (2, 2))
    assert repr(layer) == "Conv2d(6, 4, kernel_size=(3, 3), stride=(1, 1), padding=(2, 2), dilation=(2, 2), groups=2)"
    bound = 1 / math.sqrt(3 * 9)  # PyTorch's default init: fan_in = in_channels / groups * kh * kw
    assert np.abs(layer.weight.numpy()).max() <= bound and np.abs(layer.weight.numpy()).max() > 0.9 * bound
    assert np.abs(layer.bias.numpy()).max() <= bound
    x = minigrad.randn(2, 6, 7, 7)
    np.testing.assert_array_equal(layer(x).numpy(),
                                  F.conv2d(x, layer.weight, layer.bias, 1, 2, 2, 2).numpy())
    assert repr(nn.Conv2d(4, 4, 3, dilation=(1, 2), bias=False)) == \
        "Conv2d(4, 4, kernel_size=(3, 3), stride=(1, 1), dilation=(1, 2), bias=False)"


def test_lazy_conv2d_with_groups_infers_in_channels():
    """The ResNeXt block's grouped 3x3 convolution, as the book builds it."""
    layer = nn.LazyConv2d(8, kernel_size=3, padding=1, groups=4)
    y = layer(minigrad.randn(2, 12, 5, 5))
    assert type(layer) is nn.Conv2d and layer.in_channels == 12 and layer.weight.shape == (8, 3, 3, 3)
    assert y.shape == (2, 8, 5, 5)
    odd = nn.LazyConv2d(8, 3, groups=4)
    with pytest.raises(ValueError, match="LazyConv2d: in_channels must be divisible by groups, got in_channels=6, "
                                         "groups=4"):
        odd(minigrad.randn(1, 6, 5, 5))
    assert isinstance(odd.weight, nn.UninitializedParameter)  # still lazy


@pytest.mark.parametrize("call, error, message", [
    (lambda: nn.Conv2d(3, 4, 3, groups=2), ValueError,
     "Conv2d: in_channels must be divisible by groups, got in_channels=3, groups=2"),
    (lambda: nn.Conv2d(4, 3, 3, groups=2), ValueError,
     "Conv2d: out_channels must be divisible by groups, got out_channels=3, groups=2"),
    (lambda: nn.Conv2d(4, 4, 3, groups=0), ValueError, "Conv2d: groups must be an int >= 1, got 0"),
    (lambda: nn.Conv2d(4, 4, 3, groups=2.0), TypeError, "Conv2d: groups must be an int, got float 2.0"),
    (lambda: nn.Conv2d(4, 4, 3, dilation=0), ValueError, "Conv2d: dilation must be an int >= 1, got 0"),
    (lambda: nn.LazyConv2d(3, 3, groups=2), ValueError,
     "LazyConv2d: out_channels must be divisible by groups, got out_channels=3, groups=2"),
    (lambda: F.conv2d(minigrad.randn(1, 3, 5, 5), minigrad.randn(4, 2, 3, 3), groups=2), RuntimeError,
     "conv2d: expected input of shape (N, 4, H, W) or (4, H, W), got (1, 3, 5, 5) (groups=2 of 2 channels: "
     "weight (4, 2, 3, 3))"),
    (lambda: F.conv2d(minigrad.randn(1, 4, 5, 5), minigrad.randn(3, 2, 3, 3), groups=2), RuntimeError,
     "conv2d: given groups=2, expected weight to be divisible by 2 at dimension 0, but got weight of size "
     "(3, 2, 3, 3) instead"),
    (lambda: F.conv2d(minigrad.randn(1, 4, 5, 5), minigrad.randn(4, 2, 3, 3), groups=0), ValueError,
     "conv2d: groups must be an int >= 1, got 0"),
    (lambda: F.conv2d(minigrad.randn(1, 4, 5, 5), minigrad.randn(4, 4, 3, 3), dilation=(1, 0)), ValueError,
     "conv2d: dilation must be an int >= 1, got 0"),
    (lambda: F.conv2d(minigrad.randn(1, 4, 5, 5), minigrad.randn(4, 4, 3, 3), dilation=3), RuntimeError,
     "conv2d: input of size 5 with padding 0 is smaller than the kernel (7)"),
])
def test_bad_arguments(call, error, message):
    with pytest.raises(error, match=re.escape(message)):
        call()


@pytest.mark.parametrize("x_shape, w_shape, stride, padding, dilation, groups", CASES)
def test_forward_and_backward_match_pytorch(x_shape, w_shape, stride, padding, dilation, groups):
    torch = pytest.importorskip("torch")
    inputs = inputs_of(x_shape, w_shape, 6)
    y = conv(stride, padding, dilation, groups)(*inputs)
    u = np.random.default_rng(7).standard_normal(y.shape)
    ours = grad(y, inputs, minigrad.tensor(u))
    t_inputs = [torch.tensor(t.numpy(), requires_grad=True) for t in inputs]
    t_y = torch.nn.functional.conv2d(*t_inputs, stride=stride, padding=padding, dilation=dilation, groups=groups)
    theirs = torch.autograd.grad(t_y, t_inputs, torch.tensor(u))
    np.testing.assert_allclose(y.numpy(), t_y.detach().numpy(), rtol=1e-12, atol=1e-12)
    for o, t in zip(ours, theirs):
        np.testing.assert_allclose(o.numpy(), t.numpy(), rtol=1e-12, atol=1e-12)


def test_module_repr_and_errors_as_pytorch():
    torch = pytest.importorskip("torch")
    for args, kwargs in [((6, 4, 3), {"padding": 2, "dilation": 2, "groups": 2}), ((4, 4, (3, 1)), {"bias": False}),
                         ((4, 8, 3), {"stride": 2, "groups": 4, "dilation": (1, 3)})]:
        assert repr(nn.Conv2d(*args, **kwargs)) == repr(torch.nn.Conv2d(*args, **kwargs))
    for args, kwargs in [((3, 4, 3), {"groups": 2}), ((4, 3, 3), {"groups": 2}), ((4, 4, 3), {"groups": 0})]:
        with pytest.raises(ValueError):
            torch.nn.Conv2d(*args, **kwargs)
        with pytest.raises(ValueError):
            nn.Conv2d(*args, **kwargs)


@pytest.mark.gpu
@pytest.mark.parametrize("x_shape, w_shape, stride, padding, dilation, groups", CASES[:4])
def test_gpu_forward_and_backward_equal_the_cpu_ones(x_shape, w_shape, stride, padding, dilation, groups):
    fn = conv(stride, padding, dilation, groups)
    cpu = inputs_of(x_shape, w_shape, 8)
    gpu = [t.cuda().detach().requires_grad_() for t in cpu]
    u = np.random.default_rng(9).standard_normal(fn(*cpu).shape)
    for want, got in zip([fn(*cpu)] + list(grad(fn(*cpu), cpu, minigrad.tensor(u))),
                         [fn(*gpu)] + list(grad(fn(*gpu), gpu, minigrad.tensor(u).cuda()))):
        assert got.device.type == "cuda"
        np.testing.assert_allclose(got.cpu().numpy(), want.detach().numpy(), rtol=1e-12, atol=1e-12)
