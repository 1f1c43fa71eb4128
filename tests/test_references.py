"""Every layer's forward and backward against a second, independent reference to 1e-10 (float64).

The references (tests/naive.py) loop over output positions with explicit window slices; the
backward is compared as a vector-Jacobian product with a random upstream gradient. Gradient checks
(test_layers.py) use finite differences with a relative tolerance of 1e-3: they miss a backward that
is off by a small factor, which these comparisons see. Pairs are asymmetric on purpose (kernel
(2, 3), stride (1, 2), padding (1, 0), ...), sizes do not all tile, and inputs come both
C-contiguous and in the batch-last memory order the conv stack produces.
"""
import numpy as np
import pytest

import minigrad
from minigrad import nn
from minigrad.autograd import grad
from minigrad.nn import functional as F
from minigrad.nn._functions import pooling

import naive

TOL = 1e-10


def assert_close(actual, expected, what=""):
    """max |actual - expected| <= 1e-10 * max(1, max |expected|), shapes equal."""
    actual, expected = np.asarray(actual), np.asarray(expected)
    assert actual.shape == expected.shape, (what, actual.shape, expected.shape)
    scale = max(1.0, float(np.abs(expected).max(initial=0.0)))
    err = float(np.abs(actual - expected).max(initial=0.0))
    assert err <= TOL * scale, f"{what}: max |difference| {err:.3g} > {TOL * scale:.3g}"


def in_layout(a, layout):
    """The same values in C order or in batch-last memory order (C, H, W, N), as Conv2d outputs are."""
    if layout == "C" or a.ndim < 3:
        return np.ascontiguousarray(a)
    return np.ascontiguousarray(np.moveaxis(a, 0, -1)).transpose((a.ndim - 1,) + tuple(range(a.ndim - 1)))


def vjp(fn, arrays, gy, layout="C"):
    """Output and input gradients of ``fn`` on float64 leaves, for the upstream gradient ``gy``."""
    leaves = [None if a is None else minigrad.Tensor(in_layout(a, layout), requires_grad=True) for a in arrays]
    y = fn(*leaves)
    y.backward(minigrad.Tensor(in_layout(gy, layout)))
    return y.numpy(), [None if t is None else t.grad.numpy() for t in leaves]


def distinct(shape, rng):
    """Values without ties (a scaled permutation): max pooling has one maximum per window."""
    n = int(np.prod(shape))
    return ((rng.permutation(n) - n / 2) * 0.37).reshape(shape)


LAYOUTS = ["C", "batch_last"]

# ---------------------------------------------------------------------------
# conv2d

CONV_CASES = [
    # (N, C, O, (H, W), kernel, stride, padding)
    (2, 3, 4, (7, 9), (2, 3), (1, 2), (1, 0)),
    (2, 2, 3, (8, 5), (3, 2), (2, 1), (0, 1)),
    (1, 2, 2, (7, 7), 3, 2, 1),                      # odd size: the stride does not tile it
    (3, 1, 2, (6, 11), (1, 4), (1, 3), (0, 2)),
    (2, 2, 2, (5, 6), (4, 1), (3, 1), (2, 0)),       # padding larger than half the kernel
    (2, 2, 3, (8, 9), 2, (3, 4), (0, 1)),            # stride larger than the kernel: unread pixels
    (2, 3, 2, (9, 8), 5, 1, 0),                      # LeNet's first layer, small
    (2, 2, 3, (4, 5), (4, 5), 1, 0),                 # kernel = input: a 1x1 output
]


@pytest.mark.parametrize("n,c,o,hw,kernel,stride,padding", CONV_CASES)
@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("layout", LAYOUTS)
def test_conv2d_forward_and_backward_match_naive_loops(n, c, o, hw, kernel, stride, padding, bias, layout):
    rng = np.random.default_rng(hash((n, c, o, hw)) % 2**32)
    kh, kw = naive.pair(kernel)
    x, w = rng.standard_normal((n, c) + hw), rng.standard_normal((o, c, kh, kw))
    b = rng.standard_normal(o) if bias else None
    y_ref = naive.conv2d(x, w, b, stride, padding)
    gy = rng.standard_normal(y_ref.shape)
    _, gx_ref, gw_ref, gb_ref = naive.conv2d(x, w, b, stride, padding, gy)
    y, (gx, gw, gb) = vjp(lambda x, w, b: F.conv2d(x, w, b, stride=stride, padding=padding), (x, w, b), gy, layout)
    assert_close(y, y_ref, "y")
    assert_close(gx, gx_ref, "gx")
    assert_close(gw, gw_ref, "gw")
    if bias:
        assert_close(gb, gb_ref, "gb")


GROUPED_DILATED_CASES = [
    # (N, C, O, (H, W), kernel, stride, padding, dilation, groups)
    (2, 4, 6, (7, 9), (2, 3), (1, 2), (1, 0), 1, 2),
    (2, 6, 3, (8, 7), 3, 1, 1, 1, 3),                # 3 groups of 2 input channels, 1 output channel each
    (2, 4, 4, (6, 5), (3, 2), 1, 0, 1, 4),           # depthwise: a group per channel
    (1, 3, 2, (9, 8), (3, 2), 1, (2, 1), (2, 3), 1),  # rectangular dilation
    (2, 2, 3, (10, 9), 3, (2, 3), 1, 3, 1),          # dilation with a stride that does not tile
    (2, 6, 4, (9, 11), (2, 3), (2, 1), (1, 2), (3, 2), 2),
    (1, 4, 2, (5, 5), 3, 1, 0, 2, 2),                # the dilated kernel spans the input: a 1x1 output
]


@pytest.mark.parametrize("n,c,o,hw,kernel,stride,padding,dilation,groups", GROUPED_DILATED_CASES)
@pytest.mark.parametrize("layout", LAYOUTS)
def test_grouped_and_dilated_conv2d_match_naive_loops(n, c, o, hw, kernel, stride, padding, dilation, groups, layout):
    rng = np.random.default_rng(hash((n, c, o, hw, groups)) % 2**32)
    kh, kw = naive.pair(kernel)
    x, w, b = rng.standard_normal((n, c) + hw), rng.standard_normal((o, c // groups, kh, kw)), rng.standard_normal(o)
    y_ref = naive.conv2d(x, w, b, stride, padding, dilation=dilation, groups=groups)
    gy = rng.standard_normal(y_ref.shape)
    _, gx_ref, gw_ref, gb_ref = naive.conv2d(x, w, b, stride, padding, gy, dilation, groups)
    y, (gx, gw, gb) = vjp(lambda x, w, b: F.conv2d(x, w, b, stride, padding, dilation, groups), (x, w, b), gy, layout)
    for got, want, what in ((y, y_ref, "y"), (gx, gx_ref, "gx"), (gw, gw_ref, "gw"), (gb, gb_ref, "gb")):
        assert_close(got, want, what)


def test_naive_grouped_conv_is_the_concatenation_of_its_groups():
    """The reference's groups against its own groups=1 form, so a bug in both the reference and minigrad shows."""
    rng = np.random.default_rng(3)
    x, w = rng.standard_normal((2, 4, 5, 5)), rng.standard_normal((6, 2, 3, 3))
    whole = naive.conv2d(x, w, None, 1, 1, groups=2)
    halves = [naive.conv2d(x[:, 2 * g:2 * g + 2], w[3 * g:3 * g + 3], None, 1, 1) for g in range(2)]
    np.testing.assert_array_equal(whole, np.concatenate(halves, axis=1))
    dilated = naive.conv2d(x, w[:, :1].repeat(4, 1)[:1], None, 1, 0, dilation=2)  # taps 2 apart: a 5x5 span
    spread = np.zeros((1, 4, 5, 5))
    spread[:, :, ::2, ::2] = w[:1, :1].repeat(4, 1)
    np.testing.assert_allclose(dilated, naive.conv2d(x, spread, None, 1, 0), rtol=1e-14)


def test_conv2d_module_passes_its_pairs_in_height_width_order():
    rng = np.random.default_rng(1)
    layer = nn.Conv2d(2, 3, (2, 3), stride=(1, 2), padding=(1, 0)).double()
    assert layer.kernel_size == (2, 3) and layer.stride == (1, 2) and layer.padding == (1, 0)
    x = rng.standard_normal((2, 2, 6, 7))
    gy = rng.standard_normal((2, 3, 7, 3))
    xt = minigrad.Tensor(x, requires_grad=True)
    y = layer(xt)
    y.backward(minigrad.Tensor(gy))
    ref = naive.conv2d(x, layer.weight.numpy(), layer.bias.numpy(), (1, 2), (1, 0), gy)
    for got, want, what in zip((y, xt.grad, layer.weight.grad, layer.bias.grad), ref, ("y", "gx", "gw", "gb")):
        assert_close(got.numpy(), want, what)


# ---------------------------------------------------------------------------
# pooling

POOL_CASES = [
    # ((H, W), kernel, stride, padding); stride None = the kernel
    ((5, 7), (2, 3), (1, 2), (1, 0)),
    ((6, 7), (3, 2), (2, 1), (0, 1)),
    ((7, 5), 2, None, 0),                 # odd sizes: the last row and column are in no window
    ((4, 9), (2, 3), None, 0),            # rectangular windows that tile the input exactly
    ((6, 8), 2, None, 0),                 # LeNet's pooling: square windows that tile
    ((5, 8), (1, 4), (1, 3), (0, 2)),
    ((8, 5), (4, 1), (3, 1), (2, 0)),
    ((7, 8), 3, (2, 3), 1),
    ((9, 10), 2, (3, 4), 0),              # stride larger than the kernel: pixels in no window
    ((6, 6), 3, 1, 1),
    ((7, 9), 3, 2, 1),                    # the ResNet/DenseNet stem's pooling: windows that overlap across
    ((5, 10), (2, 5), (1, 3), (0, 2)),    # padded columns (14) not a multiple of the stride across (3)
    ((3, 6), (5, 3), 2, (2, 1)),          # fewer input rows (3) than twice the padding (4): padding rows both ends
]


@pytest.mark.parametrize("hw,kernel,stride,padding", POOL_CASES)
@pytest.mark.parametrize("kind", ["avg", "max"])
@pytest.mark.parametrize("layout", LAYOUTS)
def test_pool_forward_and_backward_match_naive_loops(hw, kernel, stride, padding, kind, layout):
    rng = np.random.default_rng(sum(hw) * 7 + naive.pair(kernel)[1])
    x = distinct((2, 3) + hw, rng)
    y_ref = naive.pool2d(x, kind, kernel, stride, padding)
    gy = rng.standard_normal(y_ref.shape)
    _, gx_ref = naive.pool2d(x, kind, kernel, stride, padding, gy)
    pool = F.avg_pool2d if kind == "avg" else F.max_pool2d
    y, (gx,) = vjp(lambda x: pool(x, kernel_size=kernel, stride=stride, padding=padding), (x,), gy, layout)
    assert_close(y, y_ref, "y")
    assert_close(gx, gx_ref, "gx")


@pytest.mark.parametrize("hw,kernel,stride,padding", [((4, 6), 2, None, 0), ((5, 7), (2, 3), (1, 2), (1, 0)),
                                                      ((6, 6), 3, 1, 1), ((7, 7), 3, 2, 1)])
def test_max_pool_ties_send_the_gradient_to_the_first_maximum(hw, kernel, stride, padding):
    """Many equal values: the gradient goes to the first maximum of each window in row-major order (as PyTorch)."""
    rng = np.random.default_rng(3)
    x = rng.integers(0, 3, (2, 2) + hw).astype(np.float64)
    y_ref = naive.pool2d(x, "max", kernel, stride, padding)
    gy = rng.standard_normal(y_ref.shape)
    _, gx_ref = naive.pool2d(x, "max", kernel, stride, padding, gy)
    y, (gx,) = vjp(lambda x: F.max_pool2d(x, kernel_size=kernel, stride=stride, padding=padding), (x,), gy)
    assert_close(y, y_ref, "y")
    assert_close(gx, gx_ref, "gx")


@pytest.mark.parametrize("hw,kernel,stride,padding", [((4, 6), 2, None, 0), ((7, 9), 3, 2, 1),
                                                      ((5, 10), (2, 5), (1, 3), (0, 2))])
def test_max_pool_inf_and_nan_upstream_gradients_reach_their_argmax_only(hw, kernel, stride, padding):
    """An inf or NaN in gy lands at its window's argmax alone, added to what other windows send there (as
    PyTorch's scatter): np.add.at on the CPU adds it there only (a product gy * hit would spread it as inf * 0)."""
    rng = np.random.default_rng(7)
    x = distinct((2, 3) + hw, rng)
    y_ref = naive.pool2d(x, "max", kernel, stride, padding)
    gy = rng.standard_normal(y_ref.shape)
    gy[0, 1, 0, 0], gy[1, 2, -1, -1], gy[1, 0, 1, 1] = np.nan, np.inf, -np.inf
    _, gx_ref = naive.pool2d(x, "max", kernel, stride, padding, gy)
    _, (gx,) = vjp(lambda x: F.max_pool2d(x, kernel_size=kernel, stride=stride, padding=padding), (x,), gy)
    assert (~np.isfinite(gx_ref)).sum() == 3
    np.testing.assert_allclose(gx, gx_ref, rtol=1e-14, atol=0)  # NaN and inf where they are; sums in another order


@pytest.mark.parametrize("hw,kernel,stride,padding", POOL_CASES)
def test_max_pool_gradient_by_offsets_is_the_scatter_add(hw, kernel, stride, padding):
    """MaxPool2dGrad's two ways to gx give the same values: the CPU's one np.add.at at the argmax (``add_at``) and
    the GPU's offset by offset (``by_offsets``, run here on NumPy), an inf and a NaN gy included."""
    rng = np.random.default_rng(sum(hw) + 11)
    x = minigrad.tensor(distinct((2, 3) + hw, rng), requires_grad=True)
    pool = F.max_pool2d(x, kernel_size=kernel, stride=stride, padding=padding).grad_fn
    grad = pooling.MaxPool2dGrad(pool.windows, pool.argmax)
    gy = rng.standard_normal(pool.windows.out_shape)
    gy[0, 1, 0, 0], gy[1, 2, -1, -1] = np.nan, np.inf
    scattered, by_offsets = grad.forward(gy), grad.by_offsets(gy)
    assert scattered.shape == by_offsets.shape == x.shape
    np.testing.assert_allclose(scattered, by_offsets, rtol=1e-14, atol=0)


@pytest.mark.parametrize("cls,kind", [(nn.AvgPool2d, "avg"), (nn.MaxPool2d, "max")])
def test_pool_modules_pass_their_pairs_in_height_width_order(cls, kind):
    rng = np.random.default_rng(4)
    x = distinct((2, 2, 5, 7), rng)
    layer = cls((2, 3), stride=(1, 2), padding=(1, 0))
    y_ref = naive.pool2d(x, kind, (2, 3), (1, 2), (1, 0))
    assert y_ref.shape == (2, 2, 6, 3)
    gy = rng.standard_normal(y_ref.shape)
    y, (gx,) = vjp(layer, (x,), gy)
    assert_close(y, y_ref, "y")
    assert_close(gx, naive.pool2d(x, kind, (2, 3), (1, 2), (1, 0), gy)[1], "gx")


def is_batch_last(a):
    """The (N, C, ...) array ``a`` is laid out as a C-contiguous (C, ..., N) array."""
    return a.transpose(tuple(range(1, a.ndim)) + (0,)).flags.c_contiguous


@pytest.mark.parametrize("kind", ["avg", "max"])
@pytest.mark.parametrize("padding", [0, 1, (1, 0)])
def test_pool_of_batch_last_input_stays_batch_last(kind, padding):
    """Padding too: every layer after a pool (BN, conv, DenseNet's cat, a residual add) reads it without a copy."""
    x = distinct((4, 3, 6, 7), np.random.default_rng(5))
    pool = F.avg_pool2d if kind == "avg" else F.max_pool2d
    y = pool(minigrad.Tensor(in_layout(x, "batch_last")), kernel_size=3, stride=2, padding=padding).array
    assert_close(y, naive.pool2d(x, kind, 3, 2, padding), "y")
    assert is_batch_last(y)


@pytest.mark.parametrize("layouts", [("batch_last",) * 3, ("batch_last", "C", "batch_last")])
def test_cat_of_channels_keeps_batch_last_inputs_batch_last(layouts):
    """DenseNet's cat along dim 1: batch-last inputs give a batch-last result; values and gradients as NumPy's."""
    rng = np.random.default_rng(6)
    xs = [rng.standard_normal((3, c, 4, 5)) for c in (2, 5, 1)]
    leaves = [minigrad.Tensor(in_layout(x, layout), requires_grad=True) for x, layout in zip(xs, layouts)]
    y = minigrad.cat(leaves, dim=1)
    gy = rng.standard_normal(y.shape)
    y.backward(minigrad.Tensor(in_layout(gy, "batch_last")))
    assert_close(y.numpy(), np.concatenate(xs, axis=1), "y")
    assert is_batch_last(y.array) == (set(layouts) == {"batch_last"})
    for leaf, g in zip(leaves, np.split(gy, [2, 7], axis=1)):
        assert_close(leaf.grad.numpy(), g, "gx")


# ---------------------------------------------------------------------------
# linear, cross-entropy, log-softmax, activations

@pytest.mark.parametrize("n,k,o", [(5, 4, 3), (1, 7, 2), (6, 1, 5)])
@pytest.mark.parametrize("bias", [True, False])
def test_linear_forward_and_backward_match_term_by_term_sums(n, k, o, bias):
    rng = np.random.default_rng(n * 100 + k * 10 + o)
    x, w = rng.standard_normal((n, k)), rng.standard_normal((o, k))
    b = rng.standard_normal(o) if bias else None
    gy = rng.standard_normal((n, o))
    y_ref, gx_ref, gw_ref, gb_ref = naive.linear(x, w, b, gy)
    y, (gx, gw, gb) = vjp(F.linear, (x, w, b), gy)
    assert_close(y, y_ref, "y")
    assert_close(gx, gx_ref, "gx")
    assert_close(gw, gw_ref, "gw")
    if bias:
        assert_close(gb, gb_ref, "gb")


@pytest.mark.parametrize("scale", [1.0, 3.0, 300.0])  # 300: logits whose exp overflows without the max shift
@pytest.mark.parametrize("n,k", [(6, 5), (1, 3), (7, 2)])
def test_cross_entropy_and_its_gradient_match_row_by_row_sums(scale, n, k):
    rng = np.random.default_rng(n * 10 + k)
    z = rng.standard_normal((n, k)) * scale
    target = rng.integers(0, k, n)
    g = 0.37  # an upstream gradient other than 1: the backward must scale by it
    loss_ref, gz_ref = naive.cross_entropy(z, target, g)
    zt = minigrad.Tensor(z, requires_grad=True)
    loss = F.cross_entropy(zt, minigrad.tensor(target))
    loss.backward(minigrad.tensor(g, dtype=minigrad.float64))
    assert_close(loss.numpy(), loss_ref, "loss")
    assert_close(zt.grad.numpy(), gz_ref, "gz")


@pytest.mark.parametrize("shape,dim", [((3, 4), -1), ((3, 4), 0), ((2, 3, 4), 1), ((5, 1), 1)])
def test_log_softmax_and_its_gradient_match_the_formula(shape, dim):
    rng = np.random.default_rng(len(shape) + dim)
    z, gy = rng.standard_normal(shape) * 3, rng.standard_normal(shape)
    y_ref, gx_ref = naive.log_softmax(z, dim, gy)
    y, (gx,) = vjp(lambda z: F.log_softmax(z, dim), (z,), gy)
    assert_close(y, y_ref, "y")
    assert_close(gx, gx_ref, "gx")


@pytest.mark.parametrize("name", ["sigmoid", "tanh", "relu"])
@pytest.mark.parametrize("layout", LAYOUTS)
def test_activations_and_their_gradients_match_math(name, layout):
    rng = np.random.default_rng(6)
    x = rng.standard_normal((3, 2, 4, 5)) * 4
    x[0, 0, 0, :5] = [-700.0, -40.0, 0.0, 40.0, 700.0]  # saturated: no overflow, no NaN
    gy = rng.standard_normal(x.shape)
    y_ref, gx_ref = naive.elementwise(name, x, gy)
    y, (gx,) = vjp(getattr(F, name), (x,), gy, layout)
    assert_close(y, y_ref, "y")
    assert_close(gx, gx_ref, "gx")


# ---------------------------------------------------------------------------
# BatchNorm in eval mode (training mode: tests/test_batchnorm.py, against a composition of primitive ops)

@pytest.mark.parametrize("shape", [(5, 3), (2, 3, 4, 5)])
@pytest.mark.parametrize("layout", LAYOUTS)
def test_eval_batch_norm_and_its_gradients_match_the_affine_map(shape, layout):
    rng = np.random.default_rng(7)
    c = shape[1]
    x, gy = rng.standard_normal(shape) * 2 + 1, rng.standard_normal(shape)
    gamma, beta = rng.uniform(0.5, 2, c), rng.standard_normal(c)
    mean, var = rng.standard_normal(c), rng.uniform(0.3, 3, c)
    s = (1, c) + (1,) * (len(shape) - 2)
    axes = (0,) + tuple(range(2, len(shape)))
    x_hat = (x - mean.reshape(s)) / np.sqrt(var.reshape(s) + 1e-5)
    bn = (nn.BatchNorm1d if len(shape) == 2 else nn.BatchNorm2d)(c).double().eval()
    bn.running_mean.array[...], bn.running_var.array[...] = mean, var
    bn.weight.array[...], bn.bias.array[...] = gamma, beta
    y, (gx,) = vjp(bn, (x,), gy, layout)
    assert_close(y, gamma.reshape(s) * x_hat + beta.reshape(s), "y")
    assert_close(gx, gy * (gamma / np.sqrt(var + 1e-5)).reshape(s), "gx")
    assert_close(bn.weight.grad.numpy(), (gy * x_hat).sum(axis=axes), "dgamma")
    assert_close(bn.bias.grad.numpy(), gy.sum(axis=axes), "dbeta")


# ---------------------------------------------------------------------------
# Second derivatives: the graph-built backward (create_graph=True) differentiated once more

def second_vjp(fn, arrays, gy, us):
    """For L2 = sum_k <u_k, d<gy, fn(x)>/dx_k>, the gradients dL2/dx_k (zeros where unused) and dL2/dgy."""
    leaves = [minigrad.Tensor(a, requires_grad=True) for a in arrays]
    gy_t = minigrad.Tensor(np.asarray(gy, dtype=np.float64), requires_grad=True)
    firsts = grad([fn(*leaves)], leaves, [gy_t], create_graph=True)
    l2 = sum((g * minigrad.Tensor(u)).sum() for g, u in zip(firsts, us))
    seconds = grad([l2], leaves + [gy_t], allow_unused=True)
    return [np.zeros(np.shape(t.numpy())) if s is None else s.numpy() for s, t in zip(seconds, leaves + [gy_t])]


@pytest.mark.parametrize("n,c,o,hw,kernel,stride,padding", CONV_CASES[:6])
def test_conv2d_second_derivatives_match_naive_loops(n, c, o, hw, kernel, stride, padding):
    """gx is linear in (W, gy) and gw in (x, gy), so d<u, gx> + <v, gw> + <t, gb> is made of the naive VJPs."""
    rng = np.random.default_rng(sum(hw) + o)
    kh, kw = naive.pair(kernel)
    x, w, b = rng.standard_normal((n, c) + hw), rng.standard_normal((o, c, kh, kw)), rng.standard_normal(o)
    y = naive.conv2d(x, w, b, stride, padding)
    gy, u, v, t = (rng.standard_normal(s) for s in (y.shape, x.shape, w.shape, b.shape))
    dx, dw, db, dgy = second_vjp(lambda x, w, b: F.conv2d(x, w, b, stride=stride, padding=padding),
                                 (x, w, b), gy, (u, v, t))
    assert_close(dx, naive.conv2d(x, v, None, stride, padding, gy)[1], "d/dx")
    assert_close(dw, naive.conv2d(u, w, None, stride, padding, gy)[2], "d/dW")
    assert_close(db, np.zeros(o), "d/db")
    expected = (naive.conv2d(u, w, None, stride, padding) + naive.conv2d(x, v, None, stride, padding)
                + t[None, :, None, None])
    assert_close(dgy, expected, "d/dgy")


def _pool_transpose(x, kind, kernel, stride, padding, u, out_shape):
    """G^T u for the linear map gy -> gx of the naive pooling backward, one output element at a time."""
    result = np.zeros(out_shape)
    for e in np.ndindex(out_shape):
        basis = np.zeros(out_shape)
        basis[e] = 1.0
        result[e] = np.sum(naive.pool2d(x, kind, kernel, stride, padding, basis)[1] * u)
    return result


@pytest.mark.parametrize("hw,kernel,stride,padding", POOL_CASES[:4])
@pytest.mark.parametrize("kind", ["avg", "max"])
def test_pool_second_derivatives_match_naive_loops(hw, kernel, stride, padding, kind):
    """gx is linear in gy (and, for max pooling, piecewise constant in x): d/dx = 0, d/dgy = G^T u."""
    rng = np.random.default_rng(sum(hw))
    x = distinct((1, 2) + hw, rng)
    y = naive.pool2d(x, kind, kernel, stride, padding)
    gy, u = rng.standard_normal(y.shape), rng.standard_normal(x.shape)
    pool = F.avg_pool2d if kind == "avg" else F.max_pool2d
    dx, dgy = second_vjp(lambda x: pool(x, kernel_size=kernel, stride=stride, padding=padding), (x,), gy, (u,))
    assert_close(dx, np.zeros(x.shape), "d/dx")
    assert_close(dgy, _pool_transpose(x, kind, kernel, stride, padding, u, y.shape), "d/dgy")


def test_linear_second_derivatives_match_the_formulas():
    rng = np.random.default_rng(8)
    x, w, b = rng.standard_normal((5, 4)), rng.standard_normal((3, 4)), rng.standard_normal(3)
    gy, u, v, t = (rng.standard_normal(s) for s in ((5, 3), x.shape, w.shape, b.shape))
    dx, dw, db, dgy = second_vjp(F.linear, (x, w, b), gy, (u, v, t))
    assert_close(dx, gy @ v, "d/dx")
    assert_close(dw, gy.T @ u, "d/dW")
    assert_close(db, np.zeros(3), "d/db")
    assert_close(dgy, u @ w.T + x @ v.T + t, "d/dgy")


def test_cross_entropy_second_derivatives_match_the_softmax_hessian():
    """d<u, gz>/dz = g/N (p*u - p <p, u>) per row (the Hessian (diag p - p p^T) g/N);
    d<u, gz>/dg = <(p - onehot)/N, u>."""
    rng = np.random.default_rng(9)
    z, u = rng.standard_normal((6, 5)) * 2, rng.standard_normal((6, 5))
    target = rng.integers(0, 5, 6)
    g = 0.37
    p = np.exp(naive.log_softmax(z, 1, np.zeros_like(z))[0])
    dz, dg = second_vjp(lambda z: F.cross_entropy(z, minigrad.tensor(target)), (z,), g, (u,))
    assert_close(dz, g / 6 * (p * u - p * (p * u).sum(axis=1, keepdims=True)), "d/dz")
    assert_close(dg, np.sum((p - np.eye(5)[target]) / 6 * u), "d/dg")


@pytest.mark.parametrize("dim", [-1, 0])
def test_log_softmax_second_derivatives_match_the_formulas(dim):
    rng = np.random.default_rng(10)
    z, gy, u = (rng.standard_normal((3, 4)) for _ in range(3))
    s = np.exp(naive.log_softmax(z, dim, gy)[0])
    total = gy.sum(axis=dim, keepdims=True)
    dz, dgy = second_vjp(lambda z: F.log_softmax(z, dim), (z,), gy, (u,))
    w = total * u
    assert_close(dz, -(s * w - s * (s * w).sum(axis=dim, keepdims=True)), "d/dz")
    assert_close(dgy, u - (s * u).sum(axis=dim, keepdims=True), "d/dgy")


@pytest.mark.parametrize("name", ["sigmoid", "tanh", "relu"])
def test_activation_second_derivatives_match_the_formulas(name):
    rng = np.random.default_rng(11)
    x, gy, u = rng.standard_normal((4, 5)) * 3, rng.standard_normal((4, 5)), rng.standard_normal((4, 5))
    y = naive.elementwise(name, x, gy)[0]
    d1, d2 = {"sigmoid": (y * (1 - y), y * (1 - y) * (1 - 2 * y)),
              "tanh": (1 - y * y, -2 * y * (1 - y * y)),
              "relu": ((x > 0) * 1.0, np.zeros_like(x))}[name]
    dx, dgy = second_vjp(getattr(F, name), (x,), gy, (u,))
    assert_close(dx, gy * u * d2, "d/dx")
    assert_close(dgy, u * d1, "d/dgy")


@pytest.mark.parametrize("shape", [(6, 3), (3, 2, 4, 5)])
def test_batch_norm_second_derivatives_match_the_composition_of_primitive_ops(shape):
    """The hand-derived double backward of training-mode BatchNorm against autograd (twice) through BatchNorm
    written with mean, -, *, sqrt and /."""
    rng = np.random.default_rng(12)
    c = shape[1]
    x, gy = rng.standard_normal(shape) * 2 + 1, rng.standard_normal(shape)
    gamma, beta = rng.uniform(0.5, 2, c), rng.standard_normal(c)
    us = (rng.standard_normal(shape), rng.standard_normal(c), rng.standard_normal(c))
    axes = (0,) + tuple(range(2, len(shape)))
    s = (1, c) + (1,) * (len(shape) - 2)

    def composed(x, gamma, beta):
        centred = x - x.mean(axis=axes, keepdims=True)
        x_hat = centred / ((centred * centred).mean(axis=axes, keepdims=True) + 1e-5).sqrt()
        return gamma.reshape(s) * x_hat + beta.reshape(s)

    hand = second_vjp(lambda x, g, b: F.BatchNormFunction(1e-5)(x, g, b), (x, gamma, beta), gy, us)
    reference = second_vjp(composed, (x, gamma, beta), gy, us)
    for a, r, what in zip(hand, reference, ("d/dx", "d/dgamma", "d/dbeta", "d/dgy")):
        assert_close(a, r, what)


def test_conv2d_second_derivative_for_x_alone():
    """d<v, gw>/dx with the upstream gradient a constant: only x needs the second derivative."""
    rng = np.random.default_rng(13)
    x, w = rng.standard_normal((2, 2, 6, 7)), rng.standard_normal((3, 2, 2, 3))
    gy, v = rng.standard_normal((2, 3, 7, 3)), rng.standard_normal(w.shape)
    xt, wt = minigrad.Tensor(x, requires_grad=True), minigrad.Tensor(w, requires_grad=True)
    _, gw = grad([F.conv2d(xt, wt, stride=(1, 2), padding=(1, 0))], [xt, wt], [minigrad.Tensor(gy)],
                 create_graph=True)
    (dx,) = grad([(gw * minigrad.Tensor(v)).sum()], [xt])
    assert_close(dx.numpy(), naive.conv2d(x, v, None, (1, 2), (1, 0), gy)[1], "d/dx")


def test_conv2d_graph_built_input_gradient_with_a_constant_weight():
    """create_graph=True when only x requires grad: the graph-built gx (constant in x) equals the naive loops."""
    rng = np.random.default_rng(14)
    x, w, gy = rng.standard_normal((2, 2, 5, 6)), rng.standard_normal((3, 2, 3, 2)), rng.standard_normal((2, 3, 5, 3))
    xt = minigrad.Tensor(x, requires_grad=True)
    (gx,) = grad([F.conv2d(xt, minigrad.Tensor(w), stride=(1, 2), padding=(1, 0))], [xt], [minigrad.Tensor(gy)],
                 create_graph=True)
    assert_close(gx.numpy(), naive.conv2d(x, w, None, (1, 2), (1, 0), gy)[1], "gx")
