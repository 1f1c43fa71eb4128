"""Pooling: average and max as a sum or max over the kh*kw strided slices of the input (no loop over pixels), with
hand-derived backwards; and adaptive average pooling.

Adaptive average pooling (``F.adaptive_avg_pool2d``): an (oh, ow) output whatever the input's (H, W), output
cell (i, j) averaging rows floor(i H / oh) to ceil((i + 1) H / oh) - 1 and likewise the columns (PyTorch's
windows; they overlap when H is not a multiple of oh). It is two matrix products, y = A_H x A_W^T, with A (o, n)
holding 1/len in each output's window, so the gradient (A_H^T gy A_W) and every higher derivative come from matmul.
"""
import numbers

import numpy as np

from minigrad import ops
from minigrad.backend import get_array_module
from minigrad.core import DerivativeFunction, Function, Tensor
from minigrad.nn._utils import _check_tensors, _empty_batch_last, _output_size, _padded_batch_last, _pair



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
        return _padded_batch_last(x, ph, pw, value) if ph or pw else x

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


class AvgPool2dGrad(DerivativeFunction):
    """gx = avg_pool2d's input gradient: gy / (kh*kw) added to every element of its window.

    Linear in gy, and the adjoint of the pooling: for an upstream ggx, d/dgy = avg_pool2d(ggx).
    """

    def __init__(self, windows):
        self.windows = windows

    def forward(self, gy):
        (kh, kw), xp = self.windows.kernel, get_array_module(gy)
        # batch-last like gx, so that each offset's write is a contiguous copy (gy from a Flatten is C order)
        g = xp.multiply(gy, 1.0 / (kh * kw), out=_empty_batch_last(xp, gy.shape, gy.dtype, zero=False))
        return self.windows.scatter(gy, lambda i, j: g)

    def backward_graph(self, ggx):
        w = self.windows
        return (AvgPool2dFunction(w.kernel, w.stride, w.padding)(ggx),)


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


class MaxPool2dFunction(_Pool2d):
    """y = max of each window (padding is -inf);  gx = MaxPool2dGrad(gy): gy at the window's argmax.

    The argmax is the first maximum in row-major window order; a window holding
    NaN gives NaN and routes its gradient to its last NaN, as PyTorch does.
    """

    def forward(self, x):
        xp = get_array_module(x)
        win = self._windows(x)
        x = win.padded(x, -np.inf if x.dtype.kind == "f" else np.iinfo(x.dtype).min if x.dtype.kind in "iu" else 0)
        y = x[win.slices(0, 0)].copy(order="K")
        for i, j, _ in win.offsets()[1:]:
            xp.maximum(y, x[win.slices(i, j)], out=y)  # NaN propagates
        # int16 window offsets where they fit (less memory to scan), zeros
        self.argmax = _empty_batch_last(xp, y.shape, np.int16 if win.kernel[0] * win.kernel[1] <= 2 ** 15 else np.int64)
        # the first offset holding the maximum: written from the last offset back, so the first one stays
        self._mark(x, reversed(win.offsets()), lambda window: window == y)
        if x.dtype.kind == "f" and xp.isnan(y).any():  # a window holding NaN: its last NaN
            self._mark(x, win.offsets(), lambda window: window != window)
        return y

    def _mark(self, x, offsets, hit):
        """argmax = k where ``hit`` holds for offset k's window, later offsets overwriting earlier ones; written as
        argmax - (argmax - k) * hit, since masked writes (copyto, where) are several times slower."""
        am, win = self.argmax, self.windows
        step = get_array_module(am).empty_like(am)
        for i, j, k in offsets:
            found = hit(x[win.slices(i, j)])
            step[...] = am
            step -= k
            step *= found
            am -= step

    def backward(self, gy):
        return MaxPool2dGrad(self.windows, self.argmax).forward(gy)

    def backward_graph(self, gy):
        return (MaxPool2dGrad(self.windows, self.argmax)(gy),)


def max_pool2d(x, kernel_size, stride=None, padding=0):
    _check_tensors("max_pool2d", input=x)
    return _batched(x, "max_pool2d", MaxPool2dFunction(*_pool_args(kernel_size, stride, padding, "max_pool2d")))


def _adaptive_output_size(output_size, in_hw):
    """(oh, ow) from an int or a pair whose None entries keep the input's size."""
    sizes = tuple(output_size) if isinstance(output_size, (tuple, list)) else (output_size, output_size)
    if len(sizes) != 2:
        raise RuntimeError(f"adaptive_avg_pool2d: output_size must be 2, got {output_size!r}")
    result = []
    for s, n in zip(sizes, in_hw):
        if s is None:
            s = n
        if isinstance(s, bool) or not isinstance(s, numbers.Integral):
            raise TypeError(f"adaptive_avg_pool2d: output_size must be ints (or None), got {output_size!r}")
        if s < 0:
            raise RuntimeError(f"adaptive_avg_pool2d: elements of output_size must be greater than or equal to 0 "
                               f"but received {output_size!r}")
        result.append(int(s))
    return tuple(result)


def _window_matrix(n, out, dtype, xp):
    """A (out, n): row i averages inputs floor(i n / out) .. ceil((i + 1) n / out) - 1."""
    a = np.zeros((out, n), dtype=dtype)
    for i in range(out):
        start, end = (i * n) // out, -(-((i + 1) * n) // out)
        a[i, start:end] = 1.0 / (end - start)
    return Tensor._wrap(xp.asarray(a))


def adaptive_avg_pool2d(input, output_size):  # noqa: A002 (PyTorch's argument names)
    """Average pooling of (N, C, H, W) or (C, H, W) to spatial size ``output_size`` (int, or pair with None)."""
    x = ops.tensor_arg(input, "adaptive_avg_pool2d")
    if x.ndim not in (3, 4):
        raise RuntimeError(f"adaptive_avg_pool2d(): Expected 3D or 4D tensor, but got {list(x.shape)}")
    if x.dtype.kind != "f":
        raise NotImplementedError(f'"adaptive_avg_pool2d" not implemented for dtype {x.dtype}')
    oh, ow = _adaptive_output_size(output_size, x.shape[-2:])
    xp = get_array_module(x.array)
    a_h = _window_matrix(x.shape[-2], oh, x.dtype, xp)
    a_w = _window_matrix(x.shape[-1], ow, x.dtype, xp)
    return ops.matmul(ops.matmul(a_h, x), a_w.transpose(0, 1))
