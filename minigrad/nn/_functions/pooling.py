"""Pooling: average and max as a sum or max over the kh*kw strided slices of the input (no loop over pixels), with
hand-derived backwards; and adaptive average pooling.

Adaptive average pooling (``F.adaptive_avg_pool2d``): an (oh, ow) output whatever the input's (H, W), output
cell (i, j) averaging rows floor(i H / oh) to ceil((i + 1) H / oh) - 1 and likewise the columns (PyTorch's
windows; they overlap when H is not a multiple of oh). It is two matrix products, y = A_H x A_W^T, with A (o, n)
holding 1/len in each output's window, so the gradient (A_H^T gy A_W) and every higher derivative come from matmul.
"""
import numbers

import numpy as np

from minigrad import ops, threads
from minigrad.backend import get_array_module
from minigrad.core import DerivativeFunction, Function, Tensor
from minigrad.nn._utils import (_batch_last, _check_tensors, _empty_batch_last, _from_batch_last, _output_size,
                                _padded_batch_last, _pair)



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
        # windows that tile the input exactly: every input element has one window, so a scatter's writes cover gx
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

    def columns_by_phase(self, x, value):
        """x padded with ``value``, its columns grouped by their remainder modulo the stride across: an (N, C, H + 2ph,
        sw, ceil((W + 2pw) / sw)) view of batch-last memory, read with ``window``. Where windows overlap across (kw >
        sw > 1) an offset's elements then lie in runs of ow * N, not N: the max-pool's passes over them run ~3x
        faster (the stem's 3x3 stride-2 pool: NumPy's per-run cost, not memory, was the time); else ``padded``."""
        kw, (ph, pw), sw = self.kernel[1], self.padding, self.stride[1]
        if not kw > sw > 1:
            return self.padded(x, value)
        n, c, h, w = x.shape
        wq = -(-(w + 2 * pw) // sw)
        q = get_array_module(x).empty((c, h + 2 * ph, sw, wq, n), x.dtype).transpose(4, 0, 1, 2, 3)
        q[:, :, :ph] = value
        q[:, :, ph + h:] = value
        for phase in range(sw):
            first = (phase - pw) % sw  # the input column that lands first in this phase, at q0
            q0, count = (first + pw) // sw, len(range(first, w, sw))
            q[:, :, ph:ph + h, phase, :q0] = value
            q[:, :, ph:ph + h, phase, q0 + count:] = value
            q[:, :, ph:ph + h, phase, q0:q0 + count] = x[:, :, :, first::sw]
        return q

    def window(self, q, i, j):
        """What offset (i, j) of every window reads in ``columns_by_phase``'s array: (N, C, oh, ow)."""
        (sh, sw), (oh, ow) = self.stride, self.out_hw
        if q.ndim == 4:
            return q[self.slices(i, j)]
        return q[:, :, i:i + sh * oh:sh, j % sw, j // sw:j // sw + ow]

    def add_at(self, g, offset):
        """gx (N, C, H, W), batch-last: each g of a window (N, C, oh, ow, batch-last like ``offset``) added at its
        window's element ``offset`` (k = i * kw + j), on the CPU: one np.add.at per part of the channels (split over
        minigrad's threads) at the flat indices ((c Hp + sh r + i) Wp + sw s + j) N + n of the padded gx (C, Hp, Wp,
        N), then cropped. An element that several windows pick gets each one's g, in the order of the windows (as
        PyTorch's loop over them)."""
        n, c, h, w = self.in_shape
        (kh, kw), (ph, pw), (sh, sw), (oh, ow) = self.kernel, self.padding, self.stride, self.out_hw
        hp, wp = h + 2 * ph, w + 2 * pw
        step = np.array([(k // kw * wp + k % kw) * n for k in range(kh * kw)], dtype=np.int64)  # (i Wp + j) N
        within = ((sh * wp * np.arange(oh)[:, None] + sw * np.arange(ow)) * n)[..., None] + np.arange(n)  # (oh, ow, N)
        gx = _empty_batch_last(np, (n, c, hp, wp), g.dtype)
        gx_rows, g_t, offset_t = _batch_last(gx).reshape(c, -1), _batch_last(g), _batch_last(offset)

        def part(a, b):  # channels [a, b): indices within their own rows of gx
            index = step.take(offset_t[a:b])                                                   # (b - a, oh, ow, N)
            index += within
            index += (hp * wp * n * np.arange(b - a))[:, None, None, None]
            np.add.at(gx_rows[a:b].reshape(-1), index.reshape(-1), g_t[a:b].reshape(-1))
        threads.split(part, c, 6 * g.size)
        return gx[:, :, ph:ph + h, pw:pw + w]

    def scatter(self, dtype, xp, write):
        """gx: each offset's window gradient put back into the (padded) input, then cropped. ``write(k, target,
        first)`` puts offset k's into the view ``target``: written where ``first`` (no earlier offset reaches those
        elements: i < sh and j < sw), else added."""
        n, c, h, w = self.in_shape
        (ph, pw), (sh, sw) = self.padding, self.stride
        gx = _empty_batch_last(xp, (n, c, h + 2 * ph, w + 2 * pw), dtype, zero=not self.tiles)
        for i, j, k in self.offsets():
            write(k, gx[self.slices(i, j)], i < sh and j < sw)
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

        def write(k, target, first):
            if first:
                target[...] = g
            else:
                target += g
        return self.windows.scatter(gy.dtype, xp, write)

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

        def part(a, b):  # channels [a, b)
            out, x_part = y[:, a:b], x[:, a:b]
            out[...] = x_part[win.slices(0, 0)]
            for i, j, k in win.offsets():
                if k:
                    out += x_part[win.slices(i, j)]
            out *= 1.0 / (win.kernel[0] * win.kernel[1])
        threads.split(part, x.shape[1], (len(win.offsets()) + 1) * y.size if xp is np else 0)  # minigrad's threads
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
        gy = _from_batch_last(_batch_last(gy))  # laid out as the argmax and gx (gy from a Flatten is C order)
        if get_array_module(gy) is np:
            return self.windows.add_at(gy, self.argmax)
        return self.by_offsets(gy)

    def by_offsets(self, gy):
        """The same gx offset by offset, for a GPU array (``add_at`` is NumPy's np.add.at; on the CPU this way is 2.4x
        slower): gy where the argmax is that offset, written or added into gx's slice. A NaN or inf gy reaches its
        argmax only, as in PyTorch (where, not gy * hit: NaN * 0 would spread it)."""
        xp = get_array_module(gy)
        hit = _empty_batch_last(xp, gy.shape, bool, zero=False)

        def write(k, target, first):
            xp.equal(self.argmax, k, out=hit)
            part = xp.where(hit, gy, gy.dtype.type(0))
            if first:
                target[...] = part
            else:
                target += part
        return self.windows.scatter(gy.dtype, xp, write)

    def backward_graph(self, ggx):
        return (MaxPool2dGather(self.windows, self.argmax)(ggx),)


def _take_offset(argmax, step, k, found):
    """argmax = k where ``found``, in place: argmax += (k - argmax) * found (``step``: scratch like argmax), as masked
    writes (copyto, where) are several times slower."""
    get_array_module(argmax).subtract(argmax.dtype.type(k), argmax, out=step)
    step *= found
    argmax += step


class MaxPool2dFunction(_Pool2d):
    """y = max of each window (padding is -inf);  gx = MaxPool2dGrad(gy): gy at the window's argmax.

    The argmax is the first maximum in row-major window order; a window holding
    NaN gives NaN and routes its gradient to its last NaN, as PyTorch does.
    """

    def forward(self, x):
        xp = get_array_module(x)
        win = self._windows(x)
        kinds = len(win.offsets())
        y = _empty_batch_last(xp, win.out_shape, x.dtype, zero=False)
        # the argmax as the offset k in its window, in the narrowest integer that holds kh*kw
        am = self.argmax = _empty_batch_last(xp, y.shape, np.int8 if kinds <= 127 else np.int16 if kinds <= 2 ** 15
                                             else np.int64, zero=False)
        # by parts of the channels, split over minigrad's threads on the CPU
        threads.split(lambda a, b: self._sweep(win, x[:, a:b], y[:, a:b], am[:, a:b]), x.shape[1],
                      5 * kinds * y.size if xp is np else 0)
        return y

    @staticmethod
    def _sweep(win, x, y, am):
        """y and its argmax ``am`` of the windows of x, written: one sweep over the window's offsets, in which an
        offset strictly above the maximum so far takes the argmax, so the first offset holding the maximum keeps it."""
        xp = get_array_module(x)
        x = win.columns_by_phase(x, -np.inf if x.dtype.kind == "f" else np.iinfo(x.dtype).min)  # (bool: refused)
        offsets = win.offsets()
        y[...] = win.window(x, 0, 0)
        am[...] = 0
        above = _empty_batch_last(xp, y.shape, bool, zero=False)
        step = _empty_batch_last(xp, y.shape, am.dtype, zero=False)
        mask = above.view(np.int8) if am.dtype == np.int8 else above
        for i, j, k in offsets[1:]:
            window = win.window(x, i, j)
            xp.greater(window, y, out=above)
            xp.maximum(y, window, out=y)  # NaN propagates
            _take_offset(am, step, k, mask)
        if x.dtype.kind == "f" and xp.isnan(y).any():  # a window holding NaN: its last NaN, later offsets overwriting
            for i, j, k in offsets:
                window = win.window(x, i, j)
                _take_offset(am, step, k, window != window)

    def backward(self, gy):
        return MaxPool2dGrad(self.windows, self.argmax).forward(gy)

    def backward_graph(self, gy):
        return (MaxPool2dGrad(self.windows, self.argmax)(gy),)


def max_pool2d(x, kernel_size, stride=None, padding=0):
    _check_tensors("max_pool2d", input=x)
    if x.dtype == np.bool_:  # PyTorch's kernels take numbers only
        raise NotImplementedError('"max_pool2d" not implemented for dtype bool (call .to(minigrad.uint8) first)')
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
