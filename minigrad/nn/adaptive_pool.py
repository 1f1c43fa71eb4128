"""Adaptive average pooling (``F.adaptive_avg_pool2d``, ``nn.AdaptiveAvgPool2d``): an (oh, ow) output whatever
the input's (H, W), output cell (i, j) averaging rows floor(i H / oh) to ceil((i + 1) H / oh) - 1 and likewise
the columns (PyTorch's windows; they overlap when H is not a multiple of oh).

It is two matrix products, y = A_H x A_W^T, with A (o, n) holding 1/len in each output's window, so the
gradient (A_H^T gy A_W) and every higher derivative come from matmul.
"""
import numbers

import numpy as np

from minigrad import ops
from minigrad.backend import get_array_module
from minigrad.core import Tensor
from minigrad.nn.module import Module


def _window_matrix(n, out, dtype, xp):
    """A (out, n): row i averages inputs floor(i n / out) .. ceil((i + 1) n / out) - 1."""
    a = np.zeros((out, n), dtype=dtype)
    for i in range(out):
        start, end = (i * n) // out, -(-((i + 1) * n) // out)
        a[i, start:end] = 1.0 / (end - start)
    return Tensor._wrap(xp.asarray(a))


def _output_size(output_size, in_hw):
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


def adaptive_avg_pool2d(input, output_size):  # noqa: A002 (PyTorch's argument names)
    """Average pooling of (N, C, H, W) or (C, H, W) to spatial size ``output_size`` (int, or pair with None)."""
    x = ops.tensor_arg(input, "adaptive_avg_pool2d")
    if x.ndim not in (3, 4):
        raise RuntimeError(f"adaptive_avg_pool2d(): Expected 3D or 4D tensor, but got {list(x.shape)}")
    if x.dtype.kind != "f":
        raise NotImplementedError(f'"adaptive_avg_pool2d" not implemented for dtype {x.dtype}')
    oh, ow = _output_size(output_size, x.shape[-2:])
    xp = get_array_module(x.array)
    a_h = _window_matrix(x.shape[-2], oh, x.dtype, xp)
    a_w = _window_matrix(x.shape[-1], ow, x.dtype, xp)
    return ops.matmul(ops.matmul(a_h, x), a_w.transpose(0, 1))


class AdaptiveAvgPool2d(Module):
    """``F.adaptive_avg_pool2d(x, output_size)``."""

    def __init__(self, output_size):
        super().__init__()
        self.output_size = output_size

    def forward(self, x):
        return adaptive_avg_pool2d(x, self.output_size)

    def extra_repr(self):
        return f"output_size={self.output_size}"
