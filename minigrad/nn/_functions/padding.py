"""``F.pad``: padding with a constant, or by reflecting, replicating or wrapping the border
(``torch.nn.functional.pad``).

Negative pads crop. The constant mode is a Function (gradient: the inner slice of gy); the other modes gather
the padded dimensions by index (``GetItem``), so their gradient scatter-adds and every order exists.
"""
import numbers

import numpy as np

from minigrad import ops
from minigrad.backend import get_array_module
from minigrad.core import DerivativeFunction, Function



_INDEX_MODES = {"reflect": "reflect", "replicate": "edge", "circular": "wrap"}  # PyTorch's name -> NumPy's


class ConstantPadGrad(DerivativeFunction):
    """ConstantPad's gradient as an op: g = gy[inner];  its gradient pads with zeros again."""

    saves_inputs = saves_output = False

    def __init__(self, inner, widths):
        self.inner, self.widths = inner, widths

    def forward(self, gy):
        return gy[self.inner]

    def backward_graph(self, g):
        return ConstantPad(self.widths, 0)(g)


class ConstantPad(Function):
    """y = x surrounded by ``value`` (``widths``: (before, after) per dimension, >= 0);  gx = gy's inner part."""

    saves_inputs = saves_output = False

    def __init__(self, widths, value):
        self.widths, self.value = widths, value

    def forward(self, x):
        self.inner = tuple(slice(b, b + n) for (b, _), n in zip(self.widths, x.shape))
        return get_array_module(x).pad(x, self.widths, constant_values=self.value)

    def backward(self, gy):
        return gy[self.inner]

    def backward_graph(self, gy):
        return ConstantPadGrad(self.inner, self.widths)(gy)


def _check_non_constant(mode, pairs, x, value):
    """PyTorch's limits for the reflect, replicate and circular modes (which dims, how far)."""
    if value is not None and value != 0:
        raise RuntimeError(f'Padding mode "{mode}" doesn\'t take in value argument')
    k = len(pairs)
    if k > 3 or x.ndim not in (k + 1, k + 2):
        raise NotImplementedError(
            f"Padding size {2 * k} is not supported for {x.ndim}D input tensor (mode {mode!r} pads the last 1, 2 "
            "or 3 dimensions of a 2D/3D, 3D/4D or 4D/5D input)")
    for i, (before, after) in enumerate(pairs):
        d, n = x.ndim - 1 - i, x.shape[x.ndim - 1 - i]
        if mode == "reflect" and max(before, after) >= n:
            raise RuntimeError(f"pad(): padding size should be less than the corresponding input dimension, but "
                               f"got padding ({before}, {after}) at dimension {d} of input {list(x.shape)}")
        if mode == "circular" and max(before, after) > n:
            raise RuntimeError(f"pad(): padding ({before}, {after}) at dimension {d} of input {list(x.shape)} "
                               "would wrap around more than once")


def pad(input, pad, mode="constant", value=None):  # noqa: A002 (PyTorch's argument names)
    """``input`` padded by ``pad`` = (left, right) of the last dimension, then of the one before, ...;
    ``mode`` 'constant' (with ``value``, default 0), 'reflect', 'replicate' or 'circular'; negative pads crop."""
    x = ops.tensor_arg(input, "pad")
    if not isinstance(pad, (tuple, list)) or not all(
            isinstance(p, numbers.Integral) and not isinstance(p, bool) for p in pad):
        raise TypeError(f"pad(): argument 'pad' must be tuple of ints, got {pad!r}")
    if len(pad) % 2:
        raise RuntimeError(f"Padding length must be divisible by 2, got {len(pad)}")
    if len(pad) // 2 > x.ndim:
        raise RuntimeError(f"Padding length should be less than or equal to two times the input dimension but got "
                           f"padding length {len(pad)} and input of dimension {x.ndim}")
    if mode != "constant" and mode not in _INDEX_MODES:
        raise NotImplementedError(f"Unrecognised padding mode {mode!r} (constant, reflect, replicate, circular)")
    pairs = [(int(pad[2 * i]), int(pad[2 * i + 1])) for i in range(len(pad) // 2)]  # last dimension first
    crop = [slice(None)] * x.ndim
    for i, (before, after) in enumerate(pairs):
        d, n = x.ndim - 1 - i, x.shape[x.ndim - 1 - i]
        if n + min(before, 0) + min(after, 0) < 0:
            raise RuntimeError(f"The input size {n}, plus negative padding {before} and {after} resulted in a "
                               f"negative output size, which is invalid. Check dimension {d} of your input.")
        crop[d] = slice(-min(before, 0), n + min(after, 0))
    crop_first = mode in ("constant", "circular")  # reflect and replicate pad the whole input, then crop (PyTorch)
    x = ops.getitem(x, tuple(crop)) if crop_first and any(min(p) < 0 for p in pairs) else x
    grow = [(max(before, 0), max(after, 0)) for before, after in pairs]
    if mode == "constant":
        widths = [(0, 0)] * (x.ndim - len(grow)) + grow[::-1]
        return ConstantPad(widths, 0 if value is None else value)(x)
    _check_non_constant(mode, grow, x, value)
    xp = get_array_module(x.array)
    for i, ((before, after), (cut_before, cut_after)) in enumerate(zip(grow, pairs)):
        d = x.ndim - 1 - i
        positions = np.pad(np.arange(x.shape[d]), (before, after), mode=_INDEX_MODES[mode])
        if not crop_first:
            positions = positions[-min(cut_before, 0):positions.size + min(cut_after, 0)]
        x = ops.GetItem((slice(None),) * d + (xp.asarray(positions),))(x)
    return x
