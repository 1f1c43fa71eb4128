"""Layer normalisation (``torch.nn.LayerNorm``, ``torch.nn.functional.layer_norm``) with a hand-derived fused
backward and double backward, BatchNorm's cousin (derivation side by side with BatchNorm's: docs/batchnorm.md).

The statistics run over the last D = len(normalized_shape) dimensions of each example, not over the batch:
x (..., *normalized_shape) is viewed as rows (R, M), one row per example (M = prod(normalized_shape)),
where BatchNorm views its input as one row per channel. weight and bias have the normalized shape and act
elementwise along a row (BatchNorm's gamma and beta are one number per row). No running statistics: training
and evaluation compute the same thing.
"""
import math

import numpy as np

from minigrad import ops
from minigrad.backend import get_array_module
from minigrad.checks import check_real
from minigrad.core import DerivativeFunction, Function, Tensor
from minigrad.nn._functions.batchnorm import _bn_input_grad_rows, _normalize_graph
from minigrad.nn._utils import _row_dots, _row_sums


def _rows(a, normalized_shape):
    """``a`` (..., *normalized_shape) as (R, M) rows, in float32 for float16 ``a`` (sums run in at least float32)."""
    rows = a.reshape(math.prod(a.shape[:a.ndim - len(normalized_shape)]), math.prod(normalized_shape))
    return rows.astype(np.float32) if rows.dtype == np.float16 else rows


def _normalized_axes(x, normalized_shape):
    return tuple(range(x.ndim - len(normalized_shape), x.ndim))


def _sum_rows(t, normalized_shape):
    """``t`` summed over its leading (per-example) dimensions: a Tensor of the normalized shape."""
    leading = tuple(range(t.ndim - len(normalized_shape)))
    return t.sum(leading) if leading else t


def _mean_over(axes):
    """The mean of a Tensor over ``axes``, kept as size 1."""
    return lambda t: t.mean(axes, True)


class LayerNormGrad(DerivativeFunction):
    """LayerNorm's input gradient as a Function of (x, weight, gy), so that it can be differentiated again.

    Per row (M values, <v> their mean, s = inv_std, x_hat = (x - mu) s), with G(v) = s (v - <v> - x_hat <v x_hat>)
    (BatchNormGrad's projection with gamma = 1, over a row instead of a channel):
        gx = G(weight * gy)
    Double backward, for an upstream a = dL/d(gx), with v = weight * gy (derivation: docs/batchnorm.md):
        d/dgy     = weight * G(a)                              (G is self-adjoint)
        d/dweight = sum over rows of gy * G(a)
        d/dx      = -s (x_hat <a G(v)> + <v x_hat> G(a) + <a x_hat> G(v))
    exact (the row statistics are differentiated) and built from Functions: every further derivative is exact.
    """

    def __init__(self, x_hat, inv_std, normalized_shape, eps):
        self.x_hat, self.inv_std, self.normalized_shape, self.eps = x_hat, inv_std, normalized_shape, eps

    def forward(self, x, weight, gy):
        gx = self.fused(_rows(gy, self.normalized_shape), self.x_hat, self.inv_std, weight.reshape(1, -1))
        return gx.astype(gy.dtype, copy=False).reshape(x.shape)

    @staticmethod
    def fused(gy2, x_hat, inv_std, weight_row):
        """The closed form on (R, M) rows, shared with LayerNormFunction.backward: BatchNorm's with dy = weight * gy."""
        v = gy2 * weight_row
        return _bn_input_grad_rows(v, x_hat, inv_std, _row_sums(v), _row_dots(v, x_hat), max(x_hat.shape[1], 1))

    def backward_graph(self, a):
        x, weight, gy = self.inputs
        need_x, need_weight, need_gy = self.needs_input_grad
        ones = Tensor._wrap(get_array_module(weight.array).ones(weight.shape, dtype=weight.dtype))

        def G(v):  # noqa: N802 (the docstring's G: s P(v))
            return LayerNormGrad(self.x_hat, self.inv_std, self.normalized_shape, self.eps)(x, ones, v)

        G_a = G(a)
        g_gy = weight * G_a if need_gy else None
        g_weight = g_x = None
        if need_weight:
            g_weight = _sum_rows(gy * G_a, self.normalized_shape)
        if need_x:
            mean = _mean_over(_normalized_axes(x, self.normalized_shape))
            x_hat, inv_std = _normalize_graph(x, self.eps, mean)
            v = weight * gy
            G_v = G(v)
            g_x = -inv_std * (x_hat * mean(a * G_v) + mean(v * x_hat) * G_a + mean(a * x_hat) * G_v)
        return g_x, g_weight, g_gy


def _column_sums(a):
    """Sums over axis 0 of (R, m) rows: the per-element sums over the examples that dweight and dbias are."""
    return get_array_module(a).ones(a.shape[0], dtype=a.dtype) @ a if a.shape[0] else a.sum(axis=0)


class LayerNormFunction(Function):
    """Layer normalisation over the last dimensions, one row of M values per example.

    Per row: mu = sum(x) / M,  var = sum((x - mu)^2) / M  (biased),  inv_std = 1 / sqrt(var + eps),
        x_hat = (x - mu) * inv_std,   y = weight * x_hat + bias   (weight, bias elementwise along the row)
    Backward, closed form (with dx_hat = weight * dy, whose weight varies along the row):
        dbias   = sum over rows of dy
        dweight = sum over rows of dy * x_hat
        dx      = inv_std / M * (M * dx_hat - sum(dx_hat) - x_hat * sum(dx_hat * x_hat))  = LayerNormGrad(x, w, dy)
    Cached for it: x_hat and inv_std. The work runs on (R, M) rows, in float32 for float16 input.
    """

    saves_output = False  # backward reads its own x_hat

    def __init__(self, normalized_shape, eps):
        self.normalized_shape, self.eps = tuple(normalized_shape), eps

    def forward(self, x, weight, bias):
        x2 = _rows(x, self.normalized_shape)
        m = max(x2.shape[1], 1)
        x_hat = x2 - _row_sums(x2) / m
        inv_std = 1.0 / get_array_module(x).sqrt(_row_dots(x_hat, x_hat) / m + self.eps)
        x_hat *= inv_std
        self.x_hat, self.inv_std, self.weight = x_hat, inv_std, weight.reshape(1, -1)
        y = x_hat * self.weight
        y += bias.reshape(1, -1)
        return y.astype(x.dtype, copy=False).reshape(x.shape)

    def backward(self, gy):
        gy2 = _rows(gy, self.normalized_shape)
        gx = LayerNormGrad.fused(gy2, self.x_hat, self.inv_std, self.weight) if self.needs_input_grad[0] else None
        if gx is not None:
            gx = gx.astype(gy.dtype, copy=False).reshape(gy.shape)
        shape, dtype = self.normalized_shape, gy.dtype
        return (gx, _column_sums(gy2 * self.x_hat).astype(dtype, copy=False).reshape(shape),
                _column_sums(gy2).astype(dtype, copy=False).reshape(shape))

    def backward_graph(self, gy):
        x, weight, bias = self.inputs
        need_x, need_weight, need_bias = self.needs_input_grad
        gx = LayerNormGrad(self.x_hat, self.inv_std, self.normalized_shape, self.eps)(x, weight, gy) if need_x else None
        g_weight = g_bias = None
        if need_weight:
            x_hat = _normalize_graph(x, self.eps, _mean_over(_normalized_axes(x, self.normalized_shape)))[0]
            g_weight = _sum_rows(gy * x_hat, self.normalized_shape)
        if need_bias:
            g_bias = _sum_rows(gy, self.normalized_shape)
        return gx, g_weight, g_bias


def _check_normalized_shape(normalized_shape, what):
    """``normalized_shape`` as a tuple of ints >= 0 (at least one); TypeError/RuntimeError as PyTorch."""
    if not isinstance(normalized_shape, (tuple, list)):
        raise TypeError(f"{what}: argument 'normalized_shape' must be a tuple of ints, not "
                        f"{type(normalized_shape).__name__}")
    for n in normalized_shape:
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)):
            raise TypeError(f"{what}: argument 'normalized_shape' must be a tuple of ints, but found an element of "
                            f"type {type(n).__name__}: {n!r}")
        if n < 0:
            raise RuntimeError(f"{what}: normalized_shape must not hold negative sizes, got {list(normalized_shape)}")
    if not normalized_shape:
        raise RuntimeError("Expected normalized_shape to be at least 1-dimensional, i.e., containing at least one "
                           "element, but got normalized_shape = []")
    return tuple(int(n) for n in normalized_shape)


def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-5):  # noqa: A002
    """Normalise each example over its last len(normalized_shape) dimensions, as ``torch.nn.functional.layer_norm``:
    y = weight * (x - mu) / sqrt(var + eps) + bias, with the mean and biased variance of those dimensions;
    ``weight`` and ``bias`` (None: 1 and 0) have the shape ``normalized_shape``."""
    if not isinstance(input, Tensor):
        raise TypeError(f"layer_norm(): argument 'input' must be a Tensor, got {type(input).__name__}")
    shape = _check_normalized_shape(normalized_shape, "layer_norm()")
    if tuple(input.shape[input.ndim - len(shape):]) != shape or input.ndim < len(shape):
        raise RuntimeError(f"Given normalized_shape={list(shape)}, expected input with shape [*, "
                           f"{', '.join(map(str, shape))}], but got input of size{list(input.shape)}")
    if input.dtype.kind != "f":
        raise NotImplementedError(f"layer_norm: not implemented for dtype {input.dtype} (as PyTorch); convert the "
                                  "input with .float()")
    xp = get_array_module(input.array)
    for name, t in (("weight", weight), ("bias", bias)):
        if t is not None and not isinstance(t, Tensor):
            raise TypeError(f"layer_norm(): argument '{name}' must be a Tensor or None, got {type(t).__name__}")
        if t is not None and tuple(t.shape) != shape:
            raise RuntimeError(f"Expected {name} to be of same shape as normalized_shape, but got {name} of shape "
                               f"{list(t.shape)} and normalized_shape = {list(shape)}")
    ops.check_same_dtype("layer_norm", ("input", input), ("weight", weight), ("bias", bias))
    eps = check_real("eps", eps, message="layer_norm: invalid eps")
    weight = Tensor._wrap(xp.ones(shape, dtype=input.dtype)) if weight is None else weight
    bias = Tensor._wrap(xp.zeros(shape, dtype=input.dtype)) if bias is None else bias
    return LayerNormFunction(shape, eps)(input, weight, bias)
