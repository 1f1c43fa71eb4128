"""The layers' differentiable functions, each a Function with a hand-derived backward.

Shapes follow PyTorch: images are (N, C, H, W), a Linear weight is (out, in),
a Conv2d weight is (out_channels, in_channels, kh, kw).

Higher order (Chainer's design): the gradient of a big op is itself a Function
(``Conv2dGradInput``, ``Conv2dGradWeight``, ``AvgPool2dGrad``, ``MaxPool2dGrad``,
``BatchNormGrad``, ...; ``core.DerivativeFunction``s) whose raw ``forward`` is the
fused kernel that the fast first-order ``backward`` also calls, and whose
``backward_graph`` is the next derivative, again built from Functions (their raw
``backward`` evaluates it unrecorded); so every derivative can be taken again.
"""
import math
import numbers
import warnings
from collections import namedtuple

import numpy as np

from minigrad import backend, cuda, ops, random
from minigrad.backend import get_array_module
from minigrad.checks import check_int, check_real
from minigrad.core import DerivativeFunction, Function, Tensor, is_grad_enabled


def _pair(v, name, minimum, owner):
    """(v, v) for an int, (v[0], v[1]) for a pair, each an int >= ``minimum``; else an error naming ``owner``."""
    if isinstance(v, (tuple, list)):
        if len(v) != 2:
            raise ValueError(f"{owner}: {name} must be an int or a pair of ints, got {v!r}")
        return check_int(name, v[0], minimum, owner), check_int(name, v[1], minimum, owner)
    v = check_int(name, v, minimum, owner)
    return v, v


# Layout. The conv stack keeps its (N, C, H, W) tensors in "batch-last" memory
# order (C, H, W, N): Conv2d's GEMM produces its output so, each channel is
# then one contiguous row (BatchNorm's statistics are row sums), and every
# window slice that im2col, col2im and pooling take has the whole batch as
# its contiguous inner run. The elementwise ops keep the layout of their input
# (NumPy's order='K'); an input in another layout is copied once.

def _batch_last(x):
    """x (N, C, ...) as a C-contiguous (C, ..., N) array: a view when x is batch-last already, else a copy."""
    return get_array_module(x).ascontiguousarray(x.transpose(tuple(range(1, x.ndim)) + (0,)))


def _from_batch_last(a):
    """The (C, ..., N) array ``a`` viewed as (N, C, ...)."""
    return a.transpose((a.ndim - 1,) + tuple(range(a.ndim - 1)))


def _empty_batch_last(xp, shape, dtype, zero=True):
    """A new (N, C, ...) array laid out batch-last; zeros unless ``zero=False``."""
    make = xp.zeros if zero else xp.empty
    return _from_batch_last(make(tuple(shape[1:]) + (shape[0],), dtype=dtype))


def _channel_rows(x):
    """x (N, C, ...) as a (C, m) matrix, one row per channel (a view for 2-D and batch-last input)."""
    return x.T if x.ndim == 2 else _batch_last(x).reshape(x.shape[1], -1)


def _from_channel_rows(a, shape):
    """Inverse of ``_channel_rows``: the (C, m) matrix ``a`` as an (N, C, ...) tensor's array."""
    return a.T if len(shape) == 2 else _from_batch_last(a.reshape(tuple(shape[1:]) + (shape[0],)))


def _row_sums(a):
    """Sums over axis 1 of a 2-D array, as a column (C, 1): a matrix-vector product, far faster than ``sum``."""
    xp = get_array_module(a)
    if a.shape[1] == 0:
        return _empty_row_reduction(a)
    return (a @ xp.ones(a.shape[1], dtype=a.dtype))[:, None]


def _row_dots(a, b):
    """sum(a * b, axis=1) of 2-D arrays, as a column (C, 1), without the product as a temporary."""
    xp = get_array_module(a)
    if a.shape[1] == 0:
        return _empty_row_reduction(a)
    if xp is not np:
        return cuda.kernels().dot_rows(a, b, axis=1)[:, None]
    return xp.einsum("ij,ij->i", a, b)[:, None]


def _empty_row_reduction(a):
    """The sums over an empty axis 1: zeros (C, 1), written here, not left to a BLAS or einsum loop over
    nothing (on CI's CPU an empty batch once gave NaN dgamma that way; this machine gives zeros)."""
    return get_array_module(a).zeros((a.shape[0], 1), dtype=a.dtype)


def _output_size(size, k, s, p, what):
    out = (size + 2 * p - k) // s + 1
    if out < 1:
        raise RuntimeError(f"{what}: input of size {size} with padding {p} is smaller than the kernel ({k})")
    return out


def _channel_axes(ndim):
    """The axes a per-channel statistic reduces over: all but dim 1."""
    return (0,) + tuple(range(2, ndim))


def _per_channel_shape(shape):
    """The shape that broadcasts one value per channel against ``shape``: (1, C, 1, ...)."""
    return (1, shape[1]) + (1,) * (len(shape) - 2)


# ---------------------------------------------------------------------------
# Linear

class LinearFunction(Function):
    """y = x W^T + b;  gx = gy W,  gW = gy^T x,  gb = sum over the batch of gy."""

    saves_output = False  # (an in-place op may change y: nn.ReLU(inplace=True) after a layer, as in PyTorch)

    def forward(self, x, weight, bias=None):
        self.x, self.weight = x, weight
        y = x @ weight.T
        if bias is not None:
            y += bias
        return y

    def backward(self, gy):
        need_x, need_w = self.needs_input_grad[:2]
        gx = gy @ self.weight if need_x else None
        gw = gy.T @ self.x if need_w else None
        if len(self.needs_input_grad) == 2:
            return gx, gw
        gb = gy.sum(axis=0) if self.needs_input_grad[2] else None
        return gx, gw, gb

    def backward_graph(self, gy):
        x, weight = self.inputs[:2]
        need = self.needs_input_grad
        gx = gy @ weight if need[0] else None
        gw = gy.T @ x if need[1] else None
        gb = gy.sum(0) if len(need) == 3 and need[2] else None
        return (gx, gw, gb)[:len(need)]


def _check_tensors(name, **arguments):
    """TypeError, as PyTorch's "argument 'input' (position 1) must be Tensor, not list", for a non-tensor argument
    (None is allowed only for the optional ones, passed here as None-free)."""
    for arg, value in arguments.items():
        if not isinstance(value, Tensor):
            raise TypeError(f"{name}(): argument '{arg}' must be a Tensor, got {type(value).__name__}")


def linear(x, weight, bias=None):
    _check_tensors("linear", input=x, weight=weight, **({} if bias is None else {"bias": bias}))
    if weight.ndim != 2:
        raise RuntimeError(f"linear: expected a 2-D weight (out_features, in_features), got shape {weight.shape}")
    if bias is not None and tuple(bias.shape) != weight.shape[:1]:
        raise RuntimeError(f"linear: expected a bias of shape ({weight.shape[0]},) for a weight of shape "
                           f"{weight.shape}, got {tuple(bias.shape)}")
    if x.ndim == 0 or x.shape[-1] != weight.shape[1]:
        raise RuntimeError(f"linear: expected input of shape (..., {weight.shape[1]}), got {x.shape}")
    ops.check_same_dtype("linear", ("input", x), ("weight", weight), ("bias", bias))
    if x.ndim != 2:  # any leading dims, as PyTorch: one batch dim for the GEMM, then restored
        y = linear(ops.reshape(x, math.prod(x.shape[:-1]), x.shape[-1]), weight, bias)
        return ops.reshape(y, *x.shape[:-1], weight.shape[0])
    return LinearFunction()(x, weight) if bias is None else LinearFunction()(x, weight, bias)


# ---------------------------------------------------------------------------
# Convolution (im2col: one GEMM per call and group, channel-major so the large dimension is contiguous)

class ConvArgs(namedtuple("ConvArgs", "stride padding dilation groups")):
    """A convolution's geometry: stride, padding and dilation (pairs) and groups (an int), as PyTorch's arguments."""

    def out_hw(self, x_shape, kernel):
        """(OH, OW): (size + 2 padding - dilation (k - 1) - 1) // stride + 1 on each side."""
        return tuple(_output_size(x_shape[2 + d], self.dilation[d] * (kernel[d] - 1) + 1, self.stride[d],
                                  self.padding[d], "conv2d") for d in (0, 1))


def _im2col(x, kernel, args, out_hw):
    """cols (C*kh*kw, OH*OW*N): every (dilated) window of x (N, C, H, W) as a column, batch-last."""
    xp = get_array_module(x)
    n, c = x.shape[:2]
    (kh, kw), (sh, sw), (ph, pw), (dh, dw), (oh, ow) = kernel, args.stride, args.padding, args.dilation, out_hw
    xt = _batch_last(x)                                              # (C, H, W, N)
    if ph or pw:
        xt = xp.pad(xt, ((0, 0), (ph, ph), (pw, pw), (0, 0)))
    c_s, h_s, w_s, n_s = xt.strides
    windows = xp.lib.stride_tricks.as_strided(                       # (C, kh, kw, OH, OW, N)
        xt, shape=(c, kh, kw, oh, ow, n), strides=(c_s, h_s * dh, w_s * dw, h_s * sh, w_s * sw, n_s))
    return xp.ascontiguousarray(windows).reshape(c * kh * kw, -1)


def _grouped_matmul(a, b, groups, transpose_a=False, transpose_b=False):
    """(a or a^T) @ (b or b^T) for each of ``groups`` blocks of rows of a and of b, the products stacked by rows:
    one GEMM for groups = 1, one batched matmul otherwise."""
    if groups == 1:
        return (a.T if transpose_a else a) @ (b.T if transpose_b else b)
    a3, b3 = a.reshape(groups, -1, a.shape[1]), b.reshape(groups, -1, b.shape[1])
    product = (a3.transpose(0, 2, 1) if transpose_a else a3) @ (b3.transpose(0, 2, 1) if transpose_b else b3)
    return product.reshape(-1, product.shape[2])


class Conv2dFunction(Function):
    """2-D cross-correlation, y[n, o] = sum_c W[o, c] * x[n, c] (+ b[o]), by im2col.

    cols (C*kh*kw, OH*OW*N) holds every input window (dilated: taps ``dilation`` apart) as a column, so the
    forward is one GEMM  Y = W_mat (O, C/g*kh*kw) @ cols  per group (output channels o of group j read input
    channels j*C/g .. (j+1)*C/g - 1), whose long dimension is the contiguous one; Y comes out batch-last. Backward:
        gx = Conv2dGradInput(gy, W)    (a transposed convolution: col2im(W_mat^T @ gY) per group),
        gW = Conv2dGradWeight(x, gy)   (gY @ cols^T per group; the fast path reuses the forward's cols),
        gb = sum of gY over (OH, OW, N).
    conv2d, Conv2dGradInput and Conv2dGradWeight are closed under differentiation.
    """

    saves_output = False

    def __init__(self, args):
        self.args = args

    def forward(self, x, weight, bias=None):
        o, _, kh, kw = weight.shape
        oh, ow = self.args.out_hw(x.shape, (kh, kw))
        cols = _im2col(x, (kh, kw), self.args, (oh, ow))
        y = _grouped_matmul(weight.reshape(o, -1), cols, self.args.groups)
        if bias is not None:
            y += bias[:, None]
        self.cols, self.weight, self.in_shape = cols, weight, x.shape
        return _from_batch_last(y.reshape(o, oh, ow, x.shape[0]))

    def backward(self, gy):
        gy_mat = _batch_last(gy).reshape(gy.shape[1], -1)                # (O, OH*OW*N)
        gx = gw = gb = None
        if self.needs_input_grad[0]:
            gx = Conv2dGradInput(self.args, self.in_shape).fused(gy_mat, self.weight, gy.shape[2:])
        if self.needs_input_grad[1]:
            gw = Conv2dGradWeight(self.args, self.weight.shape).fused(gy_mat, self.cols)
        if len(self.needs_input_grad) == 3 and self.needs_input_grad[2]:
            gb = _row_sums(gy_mat)[:, 0]
        return (gx, gw, gb)[:len(self.needs_input_grad)]

    def backward_graph(self, gy):
        x, weight = self.inputs[:2]
        need = self.needs_input_grad
        gx = Conv2dGradInput(self.args, x.shape)(gy, weight) if need[0] else None
        gw = Conv2dGradWeight(self.args, weight.shape)(x, gy) if need[1] else None
        gb = gy.sum((0, 2, 3)) if len(need) == 3 and need[2] else None
        return (gx, gw, gb)[:len(need)]


class Conv2dGradInput(DerivativeFunction):
    """gx = conv2d's input gradient for upstream gy and weight W: a transposed convolution.

    gcols = W_mat^T @ gY (per group), then col2im adds each window's column back into the
    (padded) input at its dilated taps, which is cropped. Bilinear in (gy, W); for an upstream ggx:
        d/dgy = conv2d(ggx, W),   d/dW = Conv2dGradWeight(ggx, gy).
    """

    def __init__(self, args, in_shape):
        self.args, self.in_shape = args, tuple(in_shape)

    def forward(self, gy, weight):
        return self.fused(_batch_last(gy).reshape(gy.shape[1], -1), weight, gy.shape[2:])

    def fused(self, gy_mat, weight, out_hw):
        """The raw kernel on gY (O, OH*OW*N), shared with Conv2dFunction.backward."""
        xp = get_array_module(gy_mat)
        n, c, h, w = self.in_shape
        o, _, kh, kw = weight.shape
        (sh, sw), (ph, pw), (dh, dw), (oh, ow) = self.args.stride, self.args.padding, self.args.dilation, out_hw
        gcols = _grouped_matmul(weight.reshape(o, -1), gy_mat, self.args.groups, transpose_a=True)
        gcols = gcols.reshape(c, kh, kw, oh, ow, n)
        gxt = xp.zeros((c, h + 2 * ph, w + 2 * pw, n), dtype=gy_mat.dtype)
        for i in range(kh):
            for j in range(kw):
                gxt[:, i * dh:i * dh + sh * oh:sh, j * dw:j * dw + sw * ow:sw] += gcols[:, i, j]
        return _from_batch_last(gxt[:, ph:ph + h, pw:pw + w])

    def backward_graph(self, ggx):
        gy, weight = self.inputs
        g_gy = Conv2dFunction(self.args)(ggx, weight) if self.needs_input_grad[0] else None
        g_w = Conv2dGradWeight(self.args, weight.shape)(ggx, gy) if self.needs_input_grad[1] else None
        return g_gy, g_w


class Conv2dGradWeight(DerivativeFunction):
    """gW = conv2d's weight gradient for input x and upstream gy: gY @ im2col(x)^T (per group).

    Bilinear in (x, gy); for an upstream ggW:
        d/dx = Conv2dGradInput(gy, ggW),   d/dgy = conv2d(x, ggW).
    """

    def __init__(self, args, weight_shape):
        self.args, self.weight_shape = args, tuple(weight_shape)

    def forward(self, x, gy):
        cols = _im2col(x, self.weight_shape[2:], self.args, gy.shape[2:])
        return self.fused(_batch_last(gy).reshape(gy.shape[1], -1), cols)

    def fused(self, gy_mat, cols):
        """The raw kernel on gY (O, OH*OW*N) and cols, shared with Conv2dFunction.backward."""
        return _grouped_matmul(gy_mat, cols, self.args.groups, transpose_b=True).reshape(self.weight_shape)

    def backward_graph(self, ggw):
        x, gy = self.inputs
        g_x = Conv2dGradInput(self.args, x.shape)(gy, ggw) if self.needs_input_grad[0] else None
        g_gy = Conv2dFunction(self.args)(x, ggw) if self.needs_input_grad[1] else None
        return g_x, g_gy


def conv2d(x, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """2-D cross-correlation of x (N, C, H, W) or (C, H, W) with weight (O, C/groups, kh, kw), as
    ``torch.nn.functional.conv2d``: ``groups`` splits the channels into independent convolutions, ``dilation``
    spaces the kernel's taps."""
    _check_tensors("conv2d", input=x, weight=weight, **({} if bias is None else {"bias": bias}))
    if weight.ndim != 4:
        raise RuntimeError("conv2d: expected a 4-D weight (out_channels, in_channels, kh, kw), "
                           f"got shape {weight.shape}")
    groups = check_int("groups", groups, 1, "conv2d")
    if weight.shape[0] % groups:
        raise RuntimeError(f"conv2d: given groups={groups}, expected weight to be divisible by {groups} at dimension "
                           f"0, but got weight of size {tuple(weight.shape)} instead")
    if bias is not None and tuple(bias.shape) != weight.shape[:1]:
        raise RuntimeError(f"conv2d: expected a bias of shape ({weight.shape[0]},) for a weight of shape "
                           f"{weight.shape}, got {tuple(bias.shape)}")
    c = weight.shape[1] * groups
    if x.ndim not in (3, 4) or x.shape[-3] != c:
        raise RuntimeError(f"conv2d: expected input of shape (N, {c}, H, W) or ({c}, H, W), got {x.shape}"
                           + (f" (groups={groups} of {weight.shape[1]} channels: weight {tuple(weight.shape)})"
                              if groups > 1 else ""))
    ops.check_same_dtype("conv2d", ("input", x), ("weight", weight), ("bias", bias))
    fn = Conv2dFunction(ConvArgs(_pair(stride, "stride", 1, "conv2d"), _pair(padding, "padding", 0, "conv2d"),
                                 _pair(dilation, "dilation", 1, "conv2d"), groups))
    return _batched(x, "conv2d", lambda x4: fn(x4, weight) if bias is None else fn(x4, weight, bias))


# ---------------------------------------------------------------------------
# Pooling (a sum or max over the kh*kw strided slices of the input: no loop over pixels)

class _Windows:
    """The kh x kw windows of a pooling over an (N, C, H, W) input: the geometry a pooling shares with its gradients."""

    def __init__(self, kernel, stride, padding, in_shape, what):
        (kh, kw), (sh, sw), (ph, pw) = kernel, stride, padding
        if ph * 2 > kh or pw * 2 > kw:
            raise RuntimeError(f"{what}: padding {padding} must be at most half the kernel {kernel}")
        n, c, h, w = in_shape
        oh, ow = _output_size(h, kh, sh, ph, what), _output_size(w, kw, sw, pw, what)
        self.kernel, self.stride, self.padding = kernel, stride, padding
        self.in_shape, self.out_shape, self.out_hw = tuple(in_shape), (n, c, oh, ow), (oh, ow)
        # windows that tile the input exactly: every input element has one window, so a scatter assigns
        self.tiles = (sh, sw) == (kh, kw) and not (ph or pw) and (h, w) == (kh * oh, kw * ow)

    def offsets(self):
        """(i, j, k) for each offset in the window, k = i * kw + j in row-major order."""
        kh, kw = self.kernel
        return [(i, j, i * kw + j) for i in range(kh) for j in range(kw)]

    def slices(self, i, j):
        """The elements of the padded input that offset (i, j) of every window reads."""
        (sh, sw), (oh, ow) = self.stride, self.out_hw
        return (slice(None), slice(None), slice(i, i + sh * oh, sh), slice(j, j + sw * ow, sw))

    def padded(self, x, value=0.0):
        (ph, pw) = self.padding
        if not (ph or pw):
            return x
        return get_array_module(x).pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)), constant_values=value)

    def scatter(self, gy, grads_of_offset):
        """gx: each offset's window gradient added back into the (padded) input, then cropped."""
        n, c, h, w = self.in_shape
        (ph, pw) = self.padding
        gx = _empty_batch_last(get_array_module(gy), (n, c, h + 2 * ph, w + 2 * pw), gy.dtype, zero=not self.tiles)
        for i, j, _ in self.offsets():
            if self.tiles:
                gx[self.slices(i, j)] = grads_of_offset(i, j)
            else:
                gx[self.slices(i, j)] += grads_of_offset(i, j)
        return gx[:, :, ph:ph + h, pw:pw + w]


class _Pool2d(Function):
    saves_output = False

    def __init__(self, kernel_size, stride, padding):
        self.kernel, self.stride, self.padding = kernel_size, stride, padding

    def _windows(self, x):
        self.windows = _Windows(self.kernel, self.stride, self.padding, x.shape, type(self).__name__)
        return self.windows


class AvgPool2dFunction(_Pool2d):
    """y = mean of each kh x kw window (zero padding counted, as PyTorch's default);  gx = AvgPool2dGrad(gy)."""

    def forward(self, x):
        xp = get_array_module(x)
        win = self._windows(x)
        x = win.padded(x)
        y = _empty_batch_last(xp, win.out_shape, x.dtype, zero=False)
        y[...] = x[win.slices(0, 0)]
        for i, j, k in win.offsets():
            if k:
                y += x[win.slices(i, j)]
        y *= 1.0 / (win.kernel[0] * win.kernel[1])
        return y

    def backward(self, gy):
        return AvgPool2dGrad(self.windows).forward(gy)

    def backward_graph(self, gy):
        return (AvgPool2dGrad(self.windows)(gy),)


class AvgPool2dGrad(DerivativeFunction):
    """gx = avg_pool2d's input gradient: gy / (kh*kw) added to every element of its window.

    Linear in gy, and the adjoint of the pooling: for an upstream ggx, d/dgy = avg_pool2d(ggx).
    """

    def __init__(self, windows):
        self.windows = windows

    def forward(self, gy):
        kh, kw = self.windows.kernel
        g = gy * (1.0 / (kh * kw))
        return self.windows.scatter(gy, lambda i, j: g)

    def backward_graph(self, ggx):
        w = self.windows
        return (AvgPool2dFunction(w.kernel, w.stride, w.padding)(ggx),)


class MaxPool2dFunction(_Pool2d):
    """y = max of each window (padding is -inf);  gx = MaxPool2dGrad(gy): gy at the window's argmax.

    The argmax is the first maximum in row-major window order; a window holding
    NaN gives NaN and routes its gradient to its last NaN, as PyTorch does.
    """

    def forward(self, x):
        xp = get_array_module(x)
        win = self._windows(x)
        x = win.padded(x, -np.inf)
        y = x[win.slices(0, 0)].copy(order="K")
        self.argmax = xp.zeros(y.shape, dtype=np.int16)
        for i, j, k in win.offsets():
            if k:
                window = x[win.slices(i, j)]
                better = window > y
                better |= xp.isnan(window)
                y = xp.where(better, window, y)
                self.argmax[better] = k
        return y

    def backward(self, gy):
        return MaxPool2dGrad(self.windows, self.argmax).forward(gy)

    def backward_graph(self, gy):
        return (MaxPool2dGrad(self.windows, self.argmax)(gy),)


class MaxPool2dGrad(DerivativeFunction):
    """gx = max_pool2d's input gradient: each gy added at its window's saved argmax.

    Linear in gy; its adjoint gathers by the same argmax: d/dgy = MaxPool2dGather(ggx).
    """

    def __init__(self, windows, argmax):
        self.windows, self.argmax = windows, argmax

    def forward(self, gy):
        # where, not gy * mask: a NaN gy reaches its argmax only, as in PyTorch (NaN * 0 would spread it)
        xp, zero = get_array_module(gy), gy.dtype.type(0)
        return self.windows.scatter(gy, lambda i, j: xp.where(self.argmax == i * self.windows.kernel[1] + j, gy, zero))

    def backward_graph(self, ggx):
        return (MaxPool2dGather(self.windows, self.argmax)(ggx),)


class MaxPool2dGather(DerivativeFunction):
    """y[n, c, p] = g at the saved argmax of window p (g shaped like the pooling's input).

    Linear in g, the adjoint of MaxPool2dGrad: d/dg = MaxPool2dGrad(gy).
    """

    def __init__(self, windows, argmax):
        self.windows, self.argmax = windows, argmax

    def forward(self, g):
        xp = get_array_module(g)
        g = self.windows.padded(g)
        out = _empty_batch_last(xp, self.windows.out_shape, g.dtype)
        for i, j, k in self.windows.offsets():
            out = xp.where(self.argmax == k, g[self.windows.slices(i, j)], out)
        return out

    def backward_graph(self, gy):
        return (MaxPool2dGrad(self.windows, self.argmax)(gy),)


def _pool_args(kernel_size, stride, padding, owner):
    """(kernel, stride, padding) as pairs, checked: kernel and stride >= 1, 0 <= padding <= kernel / 2."""
    k = _pair(kernel_size, "kernel_size", 1, owner)
    s = k if stride is None else _pair(stride, "stride", 1, owner)
    p = _pair(padding, "padding", 0, owner)
    if 2 * p[0] > k[0] or 2 * p[1] > k[1]:
        raise ValueError(f"{owner}: padding {p} must be at most half the kernel_size {k}")
    return k, s, p


def _batched(x, what, run):
    """``run`` on (N, C, H, W) input; a (C, H, W) image (PyTorch's unbatched input) runs as a batch of one."""
    if x.ndim == 3:
        y = run(ops.reshape(x, 1, *x.shape))
        return ops.reshape(y, *y.shape[1:])
    if x.ndim != 4:
        raise RuntimeError(f"{what}: expected (N, C, H, W) or (C, H, W) input, got shape {x.shape}")
    return run(x)


def avg_pool2d(x, kernel_size, stride=None, padding=0):
    _check_tensors("avg_pool2d", input=x)
    if x.dtype.kind != "f":  # PyTorch averages integers with truncation; minigrad asks for floats
        raise TypeError(f"avg_pool2d: expected floating-point input, got dtype {x.dtype} (call .float() first)")
    return _batched(x, "avg_pool2d", AvgPool2dFunction(*_pool_args(kernel_size, stride, padding, "avg_pool2d")))


def max_pool2d(x, kernel_size, stride=None, padding=0):
    _check_tensors("max_pool2d", input=x)
    return _batched(x, "max_pool2d", MaxPool2dFunction(*_pool_args(kernel_size, stride, padding, "max_pool2d")))


# ---------------------------------------------------------------------------
# Batch normalisation (derivation: docs/batchnorm.md)

def _stat_rows(a):
    """``_channel_rows(a)``, in float32 when ``a`` is float16: BatchNorm's sums run in at least float32."""
    rows = _channel_rows(a)
    return rows.astype(np.float32) if rows.dtype == np.float16 else rows


def _like_input(out, a):
    """``out`` back in float16 when the input ``a`` was float16 (see ``_stat_rows``)."""
    return out.astype(np.float16) if a.dtype == np.float16 and out.dtype != np.float16 else out


def _normalize_graph(x, eps, channel_mean=None):
    """(x_hat, inv_std) of a training-mode BatchNorm input, built from primitive ops: differentiable to any order.
    ``channel_mean(a)``: the per-channel mean of a Tensor shaped like x, kept (1, C, 1, ...) (default: over
    this batch; SyncBatchNorm's is over every process's batch)."""
    if channel_mean is None:
        axes = _channel_axes(x.ndim)
        channel_mean = lambda a: a.mean(axes, True)  # noqa: E731
    xc = x - channel_mean(x)
    inv_std = 1.0 / (channel_mean(xc * xc) + eps).sqrt()
    return xc * inv_std, inv_std


class BatchNormFunction(Function):
    """Batch normalisation with the batch's own statistics (training mode).

    Per channel, over its m values (m = N for (N, C) input, N*H*W for (N, C, H, W)):
        mu = sum(x) / m,   var = sum((x - mu)^2) / m        (biased; two passes, stable in float32)
        inv_std = 1 / sqrt(var + eps),   x_hat = (x - mu) * inv_std,   y = gamma * x_hat + beta
    Backward, closed form:
        dbeta  = sum(dy)
        dgamma = sum(dy * x_hat)
        dx     = gamma * inv_std / m * (m * dy - dbeta - x_hat * dgamma)  = BatchNormGrad(x, gamma, dy)
    Cached for it: x_hat, inv_std and gamma (m is x_hat's size per channel).
    The work runs on x as a (C, m) matrix (see ``_channel_rows``), one row per channel,
    in float32 for float16 input. After forward, ``self.mean`` and ``self.var`` hold the
    batch statistics, shape (C,). An empty batch gives an empty output (its statistics are 0).
    """

    saves_output = False  # backward reads its own x_hat

    def __init__(self, eps=1e-5):
        self.eps = eps

    def forward(self, x, gamma, beta):
        xp = get_array_module(x)
        x2 = _stat_rows(x)                              # (C, m)
        m = max(x2.shape[1], 1)
        mean = _row_sums(x2) / m                        # (C, 1)
        self.gamma, beta_col = gamma.reshape(-1, 1), beta.reshape(-1, 1)
        if xp is np:
            x_hat = x2 - mean
            var = _row_dots(x_hat, x_hat) / m
            inv_std = 1.0 / np.sqrt(var + self.eps)
            x_hat *= inv_std
            y = x_hat * self.gamma
            y += beta_col
        else:  # fused kernels: no centred copy, normalise-scale-shift in one pass
            var = cuda.kernels().sq_dev_rows(x2, mean, axis=1)[:, None] / m
            inv_std = 1.0 / xp.sqrt(var + self.eps)
            x_hat, y = cuda.kernels().bn_normalize(x2, mean, inv_std, self.gamma, beta_col)
        self.x_hat, self.inv_std, self.shape = x_hat, inv_std, x.shape
        self.mean, self.var = mean[:, 0], var[:, 0]
        self.param_shapes = gamma.shape, beta.shape
        return _like_input(_from_channel_rows(y, x.shape), x)

    def backward(self, gy):
        gx, dgamma, dbeta = BatchNormGrad.fused(_stat_rows(gy), self.x_hat, self.gamma * self.inv_std,
                                                self.needs_input_grad[0])
        if gx is not None:
            gx = _like_input(_from_channel_rows(gx, self.shape), gy)
        g_shape, b_shape = self.param_shapes
        return gx, dgamma.reshape(g_shape), dbeta.reshape(b_shape)

    def backward_graph(self, gy):
        x, gamma, beta = self.inputs
        need_x, need_gamma, need_beta = self.needs_input_grad
        axes = _channel_axes(x.ndim)
        gx = BatchNormGrad(self.x_hat, self.inv_std, self.eps)(x, gamma, gy) if need_x else None
        g_gamma = (gy * _normalize_graph(x, self.eps)[0]).sum(axes, True).reshape(gamma.shape) if need_gamma else None
        g_beta = gy.sum(axes, True).reshape(beta.shape) if need_beta else None
        return gx, g_gamma, g_beta


def _bn_input_grad_rows(gy2, x_hat, scale, sum_dy, sum_dy_xhat, m):
    """BatchNorm's input gradient on (C, n) rows: scale * (gy - sum_dy / m - x_hat * sum_dy_xhat / m).

    scale = gamma * inv_std; sum_dy and sum_dy_xhat (C, 1) are the sums over the m values of each
    channel (this batch's for BatchNorm, every process's for SyncBatchNorm). One buffer on the CPU,
    one fused kernel on a GPU.
    """
    if get_array_module(gy2) is not np:
        return cuda.kernels().bn_backward(gy2, x_hat, scale, sum_dy / m, sum_dy_xhat / m)
    gx = x_hat * (sum_dy_xhat * (-1.0 / m))
    gx -= sum_dy * (1.0 / m)
    gx += gy2
    gx *= scale
    return gx


class BatchNormGrad(DerivativeFunction):
    """BatchNorm's input gradient as a Function of (x, gamma, gy), so that it can be differentiated again.

    Per channel (m values, <v> their mean, s = inv_std, x_hat = (x - mu) s):
        gx = gamma s (gy - <gy> - x_hat <gy x_hat>) = gamma s P(gy)
    where P removes the mean and the x_hat component. ``fused`` is this closed form on
    (C, m) rows, shared with BatchNormFunction.backward; ``x_hat`` and ``inv_std`` are
    the forward's saved statistics of x (the graph path rebuilds them from x, so their
    dependence on x is differentiated). Double backward, for an upstream a = dL/d(gx),
    with G(v) = BatchNormGrad(x, 1, v) = s P(v) (derivation: docs/batchnorm.md, section 7):
        d/dgy    = gamma s P(a) = BatchNormGrad(x, gamma, a)      (gx is self-adjoint in gy)
        d/dgamma = sum(a G(gy))
        d/dx     = -gamma s (x_hat <a G(gy)> + <gy x_hat> G(a) + <a x_hat> G(gy))
    exact (the batch mean and variance are differentiated, not held constant), with no
    division by gamma, and built from Functions: every further derivative is exact too.
    """

    def __init__(self, x_hat, inv_std, eps):
        self.x_hat, self.inv_std, self.eps = x_hat, inv_std, eps

    def forward(self, x, gamma, gy):
        gx, _, _ = self.fused(_stat_rows(gy), self.x_hat, gamma.reshape(-1, 1) * self.inv_std, True)
        return _like_input(_from_channel_rows(gx, x.shape), gy)

    @staticmethod
    def fused(gy2, x_hat, scale, need_x):
        """The closed form on (C, m) rows: (gx rows or None, dgamma (C, 1), dbeta (C, 1)); scale = gamma * inv_std."""
        dbeta, dgamma = _row_sums(gy2), _row_dots(gy2, x_hat)
        gx = _bn_input_grad_rows(gy2, x_hat, scale, dbeta, dgamma, max(x_hat.shape[1], 1)) if need_x else None
        return gx, dgamma, dbeta

    def backward_graph(self, a):
        x, gamma, gy = self.inputs
        need_x, need_gamma, need_gy = self.needs_input_grad
        axes, b = _channel_axes(x.ndim), _per_channel_shape(x.shape)
        g_gy = BatchNormGrad(self.x_hat, self.inv_std, self.eps)(x, gamma, a) if need_gy else None
        g_x = g_gamma = None
        if need_x or need_gamma:
            ones = Tensor._wrap(get_array_module(gamma.array).ones(gamma.shape, dtype=gamma.dtype))

            def G(v):  # s P(v)
                return BatchNormGrad(self.x_hat, self.inv_std, self.eps)(x, ones, v)

            G_gy = G(gy)
            if need_gamma:
                g_gamma = (a * G_gy).sum(axes, True).reshape(gamma.shape)
            if need_x:
                x_hat, inv_std = _normalize_graph(x, self.eps)

                def mean(t):
                    return t.mean(axes, True)

                g_x = -(gamma.reshape(*b) * inv_std) * (
                    x_hat * mean(a * G_gy) + mean(gy * x_hat) * G(a) + mean(a * x_hat) * G_gy)
        return g_x, g_gamma, g_gy


class FixedBatchNormFunction(Function):
    """Batch normalisation with given statistics (inference mode).

    y = gamma * x_hat + beta with x_hat = (x - mean) * inv_std, inv_std = 1 / sqrt(var + eps);
    mean and var are constants here, so dx = dy * gamma * inv_std, dgamma = sum(dy * x_hat), dbeta = sum(dy).
    The layer is affine in x: d(dx)/dx = 0, d(dx)/dgamma = dy * inv_std, d(dgamma)/dx = dy * inv_std.
    """

    saves_output = False

    def __init__(self, mean, var, eps=1e-5):
        self.mean, self.var, self.eps = mean, var, eps

    def forward(self, x, gamma, beta):
        xp = get_array_module(x)
        x2 = _stat_rows(x)
        self.inv_std = 1.0 / xp.sqrt(self.var.reshape(-1, 1) + self.eps)
        self.x_hat = (x2 - self.mean.reshape(-1, 1)) * self.inv_std
        self.gamma, self.shape = gamma.reshape(-1, 1), x.shape
        self.param_shapes = gamma.shape, beta.shape
        y = self.x_hat * self.gamma
        y += beta.reshape(-1, 1)
        return _like_input(_from_channel_rows(y, x.shape), x)

    def backward(self, gy):
        gy2 = _stat_rows(gy)
        gx = None
        if self.needs_input_grad[0]:
            gx = _like_input(_from_channel_rows(gy2 * (self.gamma * self.inv_std), self.shape), gy)
        g_shape, b_shape = self.param_shapes
        return gx, _row_dots(gy2, self.x_hat).reshape(g_shape), _row_sums(gy2).reshape(b_shape)

    def backward_graph(self, gy):
        x, gamma, beta = self.inputs
        need_x, need_gamma, need_beta = self.needs_input_grad
        axes, b = _channel_axes(x.ndim), _per_channel_shape(x.shape)
        inv_std = Tensor._wrap(self.inv_std.reshape(b))
        gx = gy * (gamma.reshape(*b) * inv_std) if need_x else None
        g_gamma = None
        if need_gamma:
            x_hat = (x - Tensor._wrap(self.mean.reshape(b))) * inv_std
            g_gamma = (gy * x_hat).sum(axes, True).reshape(gamma.shape)
        g_beta = gy.sum(axes, True).reshape(beta.shape) if need_beta else None
        return gx, g_gamma, g_beta


def check_batch_norm_input(x, num_features, ndims, what):
    """An error naming the expected and actual shape when x does not fit a BatchNorm layer: ValueError for the
    number of dimensions, RuntimeError for the number of channels (PyTorch's types)."""
    if x.ndim not in ndims:
        expected = " or ".join({2: "(N, C)", 3: "(N, C, L)", 4: "(N, C, H, W)"}[d] for d in ndims)
        raise ValueError(f"{what}: expected {expected} input, got shape {x.shape}")
    if x.shape[1] != num_features:
        raise RuntimeError(f"{what}: expected {num_features} channels (dim 1), got input of shape {x.shape}")


def _scale_and_shift(weight, bias, x):
    """(weight, bias) of a batch norm over ``x``, with PyTorch's None meaning 1 and 0 (constants of x's dtype)."""
    xp = get_array_module(x.array)
    c = x.shape[1]
    return (Tensor._wrap(xp.ones(c, dtype=x.dtype)) if weight is None else weight,
            Tensor._wrap(xp.zeros(c, dtype=x.dtype)) if bias is None else bias)


def _update_running_stats(running_mean, running_var, mean, var, count, momentum):
    """In place: running = (1 - momentum) * running + momentum * batch (PyTorch's convention), from the batch
    mean and biased variance (raw arrays) of ``count`` values per channel; the running variance takes the
    unbiased one, var * count / (count - 1)."""
    for running, batch in ((running_mean, mean), (running_var, var * (count / (count - 1)))):
        r = running.array
        r *= 1.0 - momentum
        r += momentum * batch.reshape(r.shape)


def _check_batch_norm_dtypes(x, running_mean, running_var, weight, bias):
    """RuntimeError, as PyTorch, unless the statistics and parameters given have the input's dtype, or
    float32 all for a float16 input (mixed precision)."""
    named = [(name, t) for name, t in (("running_mean", running_mean), ("running_var", running_var),
                                       ("weight", weight), ("bias", bias)) if t is not None]
    if x.dtype == np.float16 and named and named[0][1].dtype == np.float32:
        ops.check_same_dtype("batch_norm", *named)
    else:
        ops.check_same_dtype("batch_norm", ("input", x), *named)


def batch_norm(input, running_mean, running_var, weight=None, bias=None, training=False,  # noqa: A002
               momentum=0.1, eps=1e-5):
    """Batch normalisation of input (N, C, *) per channel, as ``torch.nn.functional.batch_norm``.

    y = weight * (x - mu) / sqrt(var + eps) + bias, with ``weight`` None meaning 1 and ``bias`` None 0.
    ``training``: mu and var are the batch's mean and biased variance over the m = N * prod(*) values of
    each channel (m = 1 is a ValueError); the running statistics, when given, are updated in place,
        running_mean = (1 - momentum) * running_mean + momentum * mu,
        running_var  = (1 - momentum) * running_var  + momentum * var * m / (m - 1)   (unbiased),
    and an empty batch leaves them as they are. Otherwise mu and var are ``running_mean`` and
    ``running_var`` (required). Returns y. The D2L chapter's function of the same name is ``d2l_batch_norm``.
    """
    x = input
    if not isinstance(x, Tensor) or x.ndim < 2:
        raise ValueError(f"batch_norm: expected a Tensor input of shape (N, C, *), got "
                         f"{tuple(x.shape) if isinstance(x, Tensor) else type(x).__name__}")
    c = x.shape[1]
    if (running_mean is None) != (running_var is None):
        raise ValueError("batch_norm: running_mean and running_var must either both be None or neither be None")
    for name, t in (("running_mean", running_mean), ("running_var", running_var), ("weight", weight),
                    ("bias", bias)):
        if t is not None and not isinstance(t, Tensor):  # PyTorch: TypeError "argument ... must be Tensor, not int"
            raise TypeError(f"batch_norm: {name} must be a Tensor or None, got {type(t).__name__}")
        if t is not None and t.numel() != c:
            raise RuntimeError(f"batch_norm: {name} should contain {c} elements (the channels of an input of shape "
                               f"{x.shape}), got shape {tuple(t.shape)}")
    _check_batch_norm_dtypes(x, running_mean, running_var, weight, bias)
    gamma, beta = _scale_and_shift(weight, bias, x)
    if not training:
        if running_mean is None:
            raise RuntimeError("batch_norm: running_mean and running_var must be given when training=False")
        return FixedBatchNormFunction(running_mean.array, running_var.array, eps)(x, gamma, beta)
    m = x.numel() // c if c else 0
    if m == 1:
        raise ValueError(f"batch_norm: expected more than 1 value per channel when training, got input of shape "
                         f"{x.shape}")
    fn = BatchNormFunction(eps)
    y = fn(x, gamma, beta)
    if running_mean is not None and m:
        momentum = check_real("momentum", momentum, high=1.0, high_open=False, message="batch_norm: invalid momentum")
        _update_running_stats(running_mean, running_var, fn.mean, fn.var, m, momentum)
    return y


def d2l_batch_norm(X, gamma, beta, moving_mean, moving_var, eps=1e-5, momentum=0.9, training=None):
    """The D2L chapter's own ``batch_norm`` (not PyTorch's ``batch_norm`` above): returns ``(Y, moving_mean,
    moving_var)``.

    Training (``training=None`` means ``is_grad_enabled()``, as in the chapter):
    normalise with the batch mean and biased variance over the feature axis
    (2-D input) or the channel axis (4-D input), and return new moving
    statistics ``moving = momentum * moving + (1 - momentum) * batch`` (momentum
    weighs the old value; biased variance). Inference: normalise with the moving
    statistics and return them unchanged. An empty batch leaves them unchanged.
    """
    gamma_size = gamma.array.size if isinstance(gamma, Tensor) else np.size(gamma)
    check_batch_norm_input(X, gamma_size, (2, 4), "d2l_batch_norm")
    if X.dtype.kind != "f":  # the chapter's X.mean(...) in PyTorch: RuntimeError "mean(): could not infer output dtype"
        raise RuntimeError(f"d2l_batch_norm: expected a floating-point input, got dtype {X.dtype} (call .float())")
    if training is None:
        training = is_grad_enabled()
    mm = moving_mean.array if isinstance(moving_mean, Tensor) else moving_mean
    mv = moving_var.array if isinstance(moving_var, Tensor) else moving_var
    if not training:
        return FixedBatchNormFunction(mm, mv, eps)(X, gamma, beta), moving_mean, moving_var
    fn = BatchNormFunction(eps)
    Y = fn(X, gamma, beta)
    if X.array.size == 0:  # an empty batch has no statistics: the moving ones stay as they are
        return Y, moving_mean, moving_var
    return Y, _d2l_moving_average(mm, fn.mean, momentum), _d2l_moving_average(mv, fn.var, momentum)


def _d2l_moving_average(moving, batch, momentum):
    """The chapter's update, a new Tensor: momentum * moving + (1 - momentum) * batch, in the dtype of ``moving``."""
    new = momentum * moving + (1.0 - momentum) * batch.reshape(moving.shape)
    return Tensor(new.astype(moving.dtype, copy=False))


# ---------------------------------------------------------------------------
# Activations and loss

def in_place_or_not(x, inplace, name, op, reads_old=True):
    """``op(x)``; with ``inplace=True`` that result written into ``x``, which is returned (PyTorch's
    ``inplace=``; recorded in the graph as PyTorch records it, see ``Tensor._record_in_place``). ``x``: a Tensor."""
    return x._apply_in_place(f"{name}(inplace=True)", op, reads_old=reads_old) if inplace else op(x)


def sigmoid(x): return ops.sigmoid(x)
def tanh(x): return ops.tanh(x)


def relu(input, inplace=False):  # noqa: A002
    """max(x, 0); with ``inplace=True`` written into ``input`` (``input.relu_()``), which is returned."""
    if inplace:
        return ops._tensor_arg(input, "relu").relu_()
    return ops.relu(input)


class LogSoftmax(Function):
    """y = x - logsumexp(x) along ``axis`` (max subtracted first);  gx = gy - softmax(x) * sum(gy).

    The graph path builds softmax(x) = exp(log_softmax(x)) as Functions of x, so gx is differentiable again.
    """

    graph_uses_output = True

    def __init__(self, axis=-1):
        self.axis = axis

    def forward(self, x):
        xp = get_array_module(x)
        z = x - x.max(axis=self.axis, keepdims=True)
        y = z - xp.log(xp.exp(z).sum(axis=self.axis, keepdims=True))
        self.y = y
        return y

    def backward(self, gy):
        xp = get_array_module(gy)
        return gy - xp.exp(self.y) * gy.sum(axis=self.axis, keepdims=True)

    def backward_graph(self, gy):
        probs = ops.exp(self.output_tensor(lambda: LogSoftmax(self.axis)(self.inputs[0])))
        return (gy - probs * gy.sum(self.axis, True),)


def _softmax_dim(x, dim, name):
    """``dim`` checked, or PyTorch's implicit choice when it is None (0 for 0-, 1- and 3-D input, else 1), with
    PyTorch's deprecation warning."""
    if dim is None:
        warnings.warn(f"Implicit dimension choice for {name} has been deprecated (as in PyTorch); pass dim=",
                      UserWarning, stacklevel=3)
        return 0 if x.ndim in (0, 1, 3) else 1
    return ops._wrap_dim(dim, x.ndim, name)


def log_softmax(input, dim=None, dtype=None):  # noqa: A002 (PyTorch's argument names)
    """log(softmax(input)) along ``dim`` (input cast to ``dtype`` first), as ``torch.nn.functional.log_softmax``."""
    dim = _softmax_dim(input, dim, "log_softmax")
    if dtype is not None:
        input = input.to(dtype)
    if input.dtype.kind != "f":
        raise NotImplementedError(f"softmax/log_softmax: not implemented for dtype {input.dtype} (as PyTorch); "
                                  "convert the input with .float() or pass dtype=")
    if input.ndim == 0:
        return LogSoftmax(0)(input.reshape(1)).reshape(())
    return LogSoftmax(dim)(input)


def softmax(input, dim=None, dtype=None):  # noqa: A002
    """exp(input) / sum(exp(input)) along ``dim`` (input cast to ``dtype`` first), as ``torch.nn.functional.softmax``."""
    return ops.exp(log_softmax(input, _softmax_dim(input, dim, "softmax"), dtype))


REDUCTIONS = ("mean", "sum", "none")


class CrossEntropyFunction(Function):
    """Cross-entropy of logits z (N, K) and integer targets t (N,).

    Per sample l_n = logsumexp(z_n) - z_n[t_n], from a stable log-softmax; the output is
    mean_n l_n (``reduction='mean'``; NaN for N = 0, as PyTorch), sum_n l_n ('sum') or l ('none').
    gz = (softmax(z) - onehot(t)) * w with w = gL / N, gL, or gl[:, None]; the graph path
    builds softmax(z) from Functions of z, so gz is differentiable again.
    """

    def __init__(self, target, reduction="mean"):
        self.target, self.reduction = target, reduction

    def forward(self, z):
        xp = get_array_module(z)
        n = z.shape[0]
        shifted = z - z.max(axis=1, keepdims=True)
        exp = xp.exp(shifted)
        sum_exp = exp.sum(axis=1, keepdims=True)
        rows = xp.arange(n)
        loss = xp.log(sum_exp[:, 0]) - shifted[rows, self.target]
        if self.reduction == "mean":
            loss = loss.mean() if n else xp.nan
        elif self.reduction == "sum":
            loss = loss.sum()
        exp /= sum_exp
        self.probs, self.rows = exp, rows
        return xp.asarray(loss, dtype=z.dtype)

    def _scale(self, gy):
        """w, the factor of each row of the gradient (raw array or Tensor ``gy``)."""
        if self.reduction == "none":
            return gy.reshape(-1, 1)
        return gy / max(self.rows.shape[0], 1) if self.reduction == "mean" else gy

    def backward(self, gy):
        g = self.probs.copy()
        g[self.rows, self.target] -= 1
        g *= self._scale(gy)
        return g

    def backward_graph(self, gy):
        z = self.inputs[0]
        onehot = get_array_module(z.array).zeros(z.shape, dtype=z.dtype)
        onehot[self.rows, self.target] = 1
        return ((ops.exp(LogSoftmax(1)(z)) - Tensor._wrap(onehot)) * self._scale(gy),)


def _unsupported_loss_args(name, weight=None, size_average=None, reduce=None, ignore_index=-100, label_smoothing=0.0):
    """NotImplementedError naming the first of PyTorch's loss arguments that minigrad does not support."""
    given = [arg for arg, unset in (("weight", weight is None), ("size_average", size_average is None),
                                    ("reduce", reduce is None), ("ignore_index", ignore_index == -100),
                                    ("label_smoothing", not label_smoothing)) if not unset]
    if given:
        raise NotImplementedError(f"{name}: the argument {given[0]}= is not supported by minigrad")


def _class_targets(name, logits, target, ignore_index=None):
    """``target`` as a raw int64/uint8 array of shape (N,) with values in [0, K) (or ``ignore_index``), for
    (N, K) float ``logits``."""
    if logits.dtype.kind != "f":
        raise TypeError(f"{name}: expected floating-point logits, got dtype {logits.dtype}")
    t = target.array if isinstance(target, Tensor) else get_array_module(logits.array).asarray(target)
    if logits.ndim != 2:
        raise ValueError(f"{name}: expected logits of shape (N, K), got {logits.shape}")
    if t.dtype.kind not in "iu":
        probabilities = t.dtype.kind == "f" and tuple(t.shape) == logits.shape
        raise RuntimeError(f"{name}: targets must be integer class indices, got dtype {t.dtype}"
                        + (" (class probabilities as targets, PyTorch's other form, are not supported by minigrad)"
                           if probabilities else ""))
    if t.dtype not in (np.int64, np.uint8):
        raise RuntimeError(f"{name}: expected targets of dtype int64 or uint8 (PyTorch's Long or Byte), "
                           f"got {t.dtype}; convert them with .long()")
    if t.shape != (logits.shape[0],):  # PyTorch: RuntimeError for a target of 2+ dims, ValueError for another N
        raise (RuntimeError if t.ndim > 1 else ValueError)(
            f"{name}: expected targets of shape ({logits.shape[0]},), got {tuple(t.shape)}")
    k = logits.shape[1]
    # range check on the CPU only: on a GPU it would cost a device-to-host sync every step
    if get_array_module(t) is np and t.size:
        counted = t if ignore_index is None else t[t != ignore_index]
        if counted.size and (int(counted.min()) < 0 or int(counted.max()) >= k):
            raise IndexError(f"{name}: targets must lie in [0, {k - 1}]"
                             + ("" if ignore_index is None else f" or be ignore_index={ignore_index}")
                             + f", got values in [{int(counted.min())}, {int(counted.max())}]")
    return t


def _check_reduction(name, reduction):
    if reduction not in REDUCTIONS:
        raise ValueError(f"{name}: reduction must be 'mean', 'sum' or 'none', got {reduction!r}")


def _class_weights(name, weight, logits):
    """The raw (K,) class weights, checked (a constant: a weight that requires grad is refused)."""
    if not isinstance(weight, Tensor) or weight.shape != (logits.shape[1],):  # PyTorch: TypeError, RuntimeError
        raise (RuntimeError if isinstance(weight, Tensor) else TypeError)(
            f"{name}: weight must be a tensor of shape ({logits.shape[1]},), got "
                         + (f"shape {weight.shape}" if isinstance(weight, Tensor) else type(weight).__name__))
    if weight.requires_grad:
        raise NotImplementedError(f"{name}: a weight that requires grad is not supported by minigrad")
    return weight.array.astype(logits.dtype, copy=False)


def _weighted_nll(name, logp, t, weight, ignore_index, label_smoothing, reduction):
    """PyTorch's class-index loss of log-probabilities ``logp`` (N, K), from differentiable ops.

    With c_n = w[t_n] (1 without weights; 0 where t_n = ignore_index), l_n = -c_n logp[n, t_n];
    with label smoothing e, l_n = (1 - e) l_n + e / K * s_n, s_n = -[t_n kept] sum_k w_k logp[n, k].
    'mean' divides the sums by sum_n c_n (NaN when every target is ignored), 'sum' sums, 'none' keeps l.
    """
    xp = get_array_module(t)
    n, k = logp.shape
    kept = t != ignore_index
    safe = xp.where(kept, t, 0)
    w = None if weight is None else _class_weights(name, weight, logp)
    c = kept.astype(logp.dtype) if w is None else w[safe] * kept
    per_sample = -ops.GetItem((xp.arange(n), safe))(logp) * Tensor._wrap(c)
    denominator = c.sum()
    if label_smoothing:
        if not 0.0 <= label_smoothing <= 1.0:
            raise ValueError(f"{name}: label_smoothing must lie in [0, 1], got {label_smoothing}")
        row = logp if w is None else logp * Tensor._wrap(w)
        smooth = -row.sum(1) * Tensor._wrap(kept.astype(logp.dtype))
        per_sample = per_sample * (1.0 - label_smoothing) + smooth * (label_smoothing / k)
    if reduction == "none":
        return per_sample
    total = per_sample.sum()
    if reduction == "sum":
        return total
    if not denominator:  # every target ignored (or weighted 0): a NaN loss with zero gradients, as PyTorch
        # where, not total * 0 + NaN: the gradient is exactly 0 even for a NaN upstream gradient (NaN * 0)
        return ops.Where(xp.asarray(True))(Tensor._wrap(xp.asarray(np.nan, dtype=logp.dtype)), total)
    return total / Tensor._wrap(xp.asarray(denominator, dtype=logp.dtype))


def _needs_weighted(t, weight, ignore_index, label_smoothing):
    """True when a class-index loss needs ``_weighted_nll`` rather than its fast path."""
    return weight is not None or bool(label_smoothing) or bool((t == ignore_index).any())


def cross_entropy(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None,  # noqa: A002
                  reduction="mean", label_smoothing=0.0):
    """Cross-entropy loss of logits (N, K) against class indices (N,), as ``torch.nn.functional.cross_entropy``.

    ``reduction``: 'mean' (default), 'sum' or 'none' (per-sample losses, shape (N,)). ``weight`` (K,),
    ``ignore_index`` and ``label_smoothing`` as PyTorch (see ``_weighted_nll``; then built from
    log_softmax, a gather and sums, so every derivative exists); without them, one fused Function.
    The legacy ``size_average``/``reduce`` are not supported (NotImplementedError when given).
    """
    _unsupported_loss_args("cross_entropy", size_average=size_average, reduce=reduce)
    _check_reduction("cross_entropy", reduction)
    if isinstance(input, Tensor) and input.ndim == 1 and isinstance(target, Tensor) and target.ndim == 0:
        loss = cross_entropy(input.reshape(1, -1), target.reshape(1), weight, ignore_index=ignore_index,
                             reduction=reduction, label_smoothing=label_smoothing)  # one unbatched sample (K,)
        return loss.reshape(()) if reduction == "none" else loss
    t = _class_targets("cross_entropy", input, target, ignore_index)
    if _needs_weighted(t, weight, ignore_index, label_smoothing):
        return _weighted_nll("cross_entropy", log_softmax(input, 1), t, weight, ignore_index, label_smoothing,
                             reduction)
    return CrossEntropyFunction(t, reduction)(input)


def _reduce(loss, reduction):
    return loss.mean() if reduction == "mean" else loss.sum() if reduction == "sum" else loss


def nll_loss(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None,  # noqa: A002
             reduction="mean"):
    """Negative log-likelihood of log-probabilities (N, K) at class indices (N,): l_n = -input[n, target_n],
    reduced by ``reduction`` ('mean', 'sum', 'none'), as ``torch.nn.functional.nll_loss``; built from
    differentiable ops (a gather), so every derivative exists. ``weight`` (K,) and ``ignore_index`` as
    PyTorch: l_n = -w[t_n] input[n, t_n], 0 for an ignored target; 'mean' divides by sum_n w[t_n]."""
    _unsupported_loss_args("nll_loss", size_average=size_average, reduce=reduce)
    _check_reduction("nll_loss", reduction)
    t = _class_targets("nll_loss", input, target, ignore_index)
    if _needs_weighted(t, weight, ignore_index, 0.0):
        return _weighted_nll("nll_loss", input, t, weight, ignore_index, 0.0, reduction)
    rows = get_array_module(t).arange(t.shape[0])
    return _reduce(-ops.GetItem((rows, t))(input), reduction)


def mse_loss(input, target, size_average=None, reduce=None, reduction="mean"):  # noqa: A002
    """Mean squared error (input - target)^2, reduced by ``reduction`` ('mean', 'sum', 'none'), as
    ``torch.nn.functional.mse_loss``: different shapes broadcast, with PyTorch's warning; differentiable
    in both arguments at every order (built from subtraction and products)."""
    _unsupported_loss_args("mse_loss", size_average=size_average, reduce=reduce)
    _check_reduction("mse_loss", reduction)
    target_dtype = getattr(target, "dtype", input.dtype)  # a Python number takes the input's dtype
    if input.dtype.kind != "f" and target_dtype.kind != "f":  # PyTorch: NotImplementedError "mse_cpu" for 'Long'
        raise NotImplementedError(f"mse_loss: expected floating-point input or target, got dtypes {input.dtype} "
                                  f"and {target_dtype}")
    if isinstance(target, Tensor) and target.shape != input.shape:
        warnings.warn(f"Using a target size ({target.shape}) that is different to the input size ({input.shape}). "
                      "This will likely lead to incorrect results due to broadcasting. Please ensure they have the "
                      "same size.", UserWarning, stacklevel=2)
    diff = input - target
    return _reduce(diff * diff, reduction)


def one_hot(tensor, num_classes=-1):
    """int64 tensor of shape (*tensor.shape, num_classes) with 1 at each value's index
    (``num_classes=-1``: max + 1), as ``torch.nn.functional.one_hot``."""
    a = tensor.array
    if a.dtype != np.int64:
        raise RuntimeError(f"one_hot is only applicable to index tensor of type LongTensor, got dtype {a.dtype}")
    xp = get_array_module(a)
    if a.size == 0 and num_classes in (-1, 0):  # as PyTorch: 0 classes for no values is an error too
        raise RuntimeError("Can not infer total number of classes from empty tensor.")
    if num_classes == -1:
        num_classes = int(a.max()) + 1
    num_classes = check_int("num_classes", num_classes, 0, "one_hot")
    if a.size and int(a.min()) < 0:
        raise RuntimeError(f"Class values must be non-negative, got {int(a.min())}")
    if a.size and int(a.max()) >= num_classes:
        raise RuntimeError(f"Class values must be smaller than num_classes ({num_classes}), got {int(a.max())}")
    return Tensor._wrap((a[..., None] == xp.arange(num_classes)).astype(np.int64))


class DropoutFunction(Function):
    """y = x * m with m = keep / (1 - p), keep ~ Bernoulli(1 - p) from minigrad's generator (all 0 for p = 1);
    gx = gy * m (the mask is constant, so higher derivatives are gy * m again)."""

    saves_inputs = saves_output = False  # backward reads only the mask

    def __init__(self, p):
        self.p = p

    def forward(self, x):
        keep = random.default_generator().random(x.shape) >= self.p
        scale = 0.0 if self.p == 1 else 1.0 / (1.0 - self.p)
        self.mask = backend.to_device((keep * scale).astype(x.dtype), backend.device_of(x))
        return x * self.mask

    def backward(self, gy):
        return gy * self.mask

    def backward_graph(self, gy):
        return (gy * Tensor._wrap(self.mask),)


def check_dropout_p(p):
    """``p``, a real number in [0, 1] (NaN is not), with PyTorch's messages."""
    if not isinstance(p, numbers.Real):
        raise TypeError(f"dropout probability must be a real number, got {type(p).__name__} {p!r}")
    if not 0 <= p <= 1:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    return p


def dropout(input, p=0.5, training=True, inplace=False):  # noqa: A002
    """Inverted dropout, as ``torch.nn.functional.dropout``: in training each element is zeroed with
    probability p and the rest scaled by 1 / (1 - p); ``input`` itself when not training or p = 0."""
    check_dropout_p(p)
    if not training or p == 0:
        return input
    if input.dtype.kind != "f":
        raise RuntimeError(f"dropout: expected a floating-point input, got dtype {input.dtype}")
    return in_place_or_not(input, inplace, "dropout", lambda x: DropoutFunction(p)(x), reads_old=False)


from minigrad.nn.activations import elu, gelu, leaky_relu, normalize, relu6, silu, softplus  # noqa: E402
from minigrad.nn.losses import (binary_cross_entropy, binary_cross_entropy_with_logits, huber_loss,  # noqa: E402
                                l1_loss, smooth_l1_loss)
from minigrad.nn.padding import pad  # noqa: E402
from minigrad.nn.adaptive_pool import adaptive_avg_pool2d  # noqa: E402
from minigrad.nn.layer_norm import layer_norm  # noqa: E402
