"""Second references for the layers: plain NumPy loops over output positions, float64, forward and backward.

Each function takes the inputs and an upstream gradient ``gy`` and returns the output and every input
gradient (the vector-Jacobian product), computed window by window with explicit slices: no im2col,
no strided views, no batch-last layout, none of the vectorised tricks of minigrad/nn/functional.py.
Pairs are (height, width): kernel (kh, kw), stride (sh, sw), padding (ph, pw).
"""
import math

import numpy as np


def pair(v):
    return (int(v[0]), int(v[1])) if isinstance(v, (tuple, list)) else (int(v), int(v))


def out_size(size, k, s, p):
    return (size + 2 * p - k) // s + 1


def _windows(h, w, kernel, stride, padding):
    """Yield (i, j, rows, cols): output position and the slices of its window in the padded input."""
    (kh, kw), (sh, sw), (ph, pw) = kernel, stride, padding
    for i in range(out_size(h, kh, sh, ph)):
        for j in range(out_size(w, kw, sw, pw)):
            yield i, j, slice(i * sh, i * sh + kh), slice(j * sw, j * sw + kw)


def conv2d(x, weight, bias, stride, padding, gy=None, dilation=1, groups=1):
    """y[n, o, i, j] = sum_{c, a, b} xpad[n, g*C/G + c, i*sh + a*dh, j*sw + b*dw] * W[o, c, a, b] + bias[o] for the
    output channel o of group g (O/G output channels and C/G input channels a group); and its VJP.

    Returns y, or (y, gx, gw, gb) when ``gy`` is given (gb None without a bias).
    """
    (sh, sw), (ph, pw), (dh, dw) = pair(stride), pair(padding), pair(dilation)
    n, c, h, w = x.shape
    o, c_group, kh, kw = weight.shape
    o_group = o // groups
    xpad = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    extent = (dh * (kh - 1) + 1, dw * (kw - 1) + 1)                      # the dilated kernel's span
    oh, ow = out_size(h, extent[0], sh, ph), out_size(w, extent[1], sw, pw)
    y = np.zeros((n, o, oh, ow))
    gxpad, gw = np.zeros_like(xpad), np.zeros_like(weight)
    for i, j, rows, cols in _windows(h, w, extent, (sh, sw), (ph, pw)):
        rows, cols = slice(rows.start, rows.stop, dh), slice(cols.start, cols.stop, dw)  # every dilation-th tap
        for g in range(groups):
            ins, outs = slice(g * c_group, (g + 1) * c_group), slice(g * o_group, (g + 1) * o_group)
            patch = xpad[:, ins, rows, cols]                             # (N, C/G, kh, kw)
            y[:, outs, i, j] = np.einsum("ncab,ocab->no", patch, weight[outs])
            if gy is not None:
                gyg = gy[:, outs, i, j]                                  # (N, O/G)
                gw[outs] += np.einsum("no,ncab->ocab", gyg, patch)
                gxpad[:, ins, rows, cols] += np.einsum("no,ocab->ncab", gyg, weight[outs])
    if bias is not None:
        y += bias[None, :, None, None]
    if gy is None:
        return y
    gb = None if bias is None else gy.sum(axis=(0, 2, 3))
    return y, gxpad[:, :, ph:ph + h, pw:pw + w], gw, gb


def pool2d(x, kind, kernel, stride, padding, gy=None):
    """Average (zero padding counted, divisor kh*kw) or max (padding -inf, gradient to the window's first
    maximum in row-major order) pooling; returns y, or (y, gx) when ``gy`` is given."""
    kernel, padding = pair(kernel), pair(padding)
    stride = kernel if stride is None else pair(stride)
    (kh, kw), (ph, pw) = kernel, padding
    n, c, h, w = x.shape
    fill = 0.0 if kind == "avg" else -np.inf
    xpad = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)), constant_values=fill)
    y = np.zeros((n, c, out_size(h, kh, stride[0], ph), out_size(w, kw, stride[1], pw)))
    gxpad = np.zeros_like(xpad)
    for i, j, rows, cols in _windows(h, w, kernel, stride, padding):
        win = xpad[:, :, rows, cols]
        if kind == "avg":
            y[:, :, i, j] = win.sum(axis=(2, 3)) / (kh * kw)
            if gy is not None:
                gxpad[:, :, rows, cols] += gy[:, :, i, j][:, :, None, None] / (kh * kw)
            continue
        flat = win.reshape(n, c, kh * kw)
        first = flat.argmax(axis=2)                                      # first maximum, row-major
        y[:, :, i, j] = np.take_along_axis(flat, first[:, :, None], axis=2)[:, :, 0]
        if gy is not None:
            for a in range(n):
                for ch in range(c):
                    r, q = divmod(int(first[a, ch]), kw)
                    gxpad[a, ch, rows.start + r, cols.start + q] += gy[a, ch, i, j]
    if gy is None:
        return y
    return y, gxpad[:, :, ph:ph + h, pw:pw + w]


def linear(x, weight, bias, gy):
    """y[n, o] = sum_k x[n, k] W[o, k] + b[o] term by term (math.fsum); returns (y, gx, gw, gb)."""
    n, k = x.shape
    o = weight.shape[0]
    y = np.array([[math.fsum(x[a, q] * weight[f, q] for q in range(k)) + (0.0 if bias is None else bias[f])
                   for f in range(o)] for a in range(n)])
    gx = np.array([[math.fsum(gy[a, f] * weight[f, q] for f in range(o)) for q in range(k)] for a in range(n)])
    gw = np.array([[math.fsum(gy[a, f] * x[a, q] for a in range(n)) for q in range(k)] for f in range(o)])
    gb = None if bias is None else np.array([math.fsum(gy[:, f]) for f in range(o)])
    return y, gx, gw, gb


def cross_entropy(z, target, g):
    """Mean over rows of logsumexp(z_n) - z_n[t_n], one row at a time; its gradient for upstream scalar g."""
    n = z.shape[0]
    losses, gz = [], np.zeros_like(z)
    for a in range(n):
        m = max(z[a])
        total = math.fsum(math.exp(v - m) for v in z[a])
        losses.append(m + math.log(total) - z[a, target[a]])
        for q in range(z.shape[1]):
            gz[a, q] = (math.exp(z[a, q] - m) / total - (q == target[a])) * g / n
    return math.fsum(losses) / n, gz


def log_softmax(z, axis, gy):
    """log_softmax along ``axis`` and its VJP  gx = gy - softmax * sum(gy)."""
    zs = z - z.max(axis=axis, keepdims=True)
    y = zs - np.log(np.exp(zs).sum(axis=axis, keepdims=True))
    return y, gy - np.exp(y) * gy.sum(axis=axis, keepdims=True)


def elementwise(name, x, gy):
    """sigmoid, tanh or relu value by value with math, and the derivative formula times gy."""
    if name == "sigmoid":
        f = np.vectorize(lambda v: 1 / (1 + math.exp(-v)) if v >= 0 else math.exp(v) / (1 + math.exp(v)))
        y = f(x)
        return y, gy * y * (1 - y)
    if name == "tanh":
        y = np.vectorize(math.tanh)(x)
        return y, gy * (1 - y * y)
    if name == "relu":
        return np.where(x > 0, x, 0.0), np.where(x > 0, gy, 0.0)
    raise ValueError(name)
