"""Reductions: sum, mean, max/min, prod, var/std, logsumexp, argmax/argmin, cumsum, all/any. float16 input
is accumulated in float32 and the result cast back (NumPy's dtype= argument), so a float16 sum or mean of many
values neither overflows on the way nor loses small terms.
"""
import builtins
import math

import numpy as np

from minigrad.backend import get_array_module
from minigrad.core import Function, Tensor
from minigrad.ops.arithmetic import maximum, minimum
from minigrad.ops.conversion import Cast, clone
from minigrad.ops.indexing import GetItem, Where
from minigrad.ops.pointwise import StdSqrt, exp, log
from minigrad.ops.shape import cat, reshape
from minigrad.ops.utils import (BroadcastTo, _accumulate, _check_floating, _check_reducible, _correction,
                                _int64_if_integer, _reduced_shape, _resolve_aliases, _squeezed, return_types,
                                tensor_arg, wrap_dim, wrap_dims)



class Sum(Function):
    """y = sum of x over ``axis``;  gx = gy broadcast back over the summed axes."""

    saves_inputs = saves_output = False

    def __init__(self, axis=None, keepdims=False):
        self.axis, self.keepdims = axis, keepdims

    def forward(self, x):
        self.axes = wrap_dims(self.axis, x.ndim, type(self).__name__.lower())
        self.in_shape = x.shape
        return _accumulate(x, "sum", self.axes, self.keepdims)

    def _expand(self, gy):
        xp = get_array_module(gy)
        if not self.keepdims:
            gy = xp.expand_dims(gy, self.axes) if self.axes else gy
        return xp.broadcast_to(gy, self.in_shape)

    def backward(self, gy):
        return self._expand(gy)

    def _expand_graph(self, gy):
        """``_expand`` on Tensors, recorded."""
        return BroadcastTo(self.in_shape)(gy.reshape(_reduced_shape(self.in_shape, self.axes)))

    def backward_graph(self, gy):
        return self._expand_graph(gy)


def sum(x, dim=None, keepdim=False, *, dtype=None, axis=None, keepdims=None):  # noqa: A001
    """Sum over ``dim`` (an int, a tuple, or None for all), as ``torch.sum``; float16 accumulates in float32."""
    dim, keepdim = _resolve_aliases("sum", dim, axis, keepdim, keepdims)
    x = tensor_arg(x, "sum") if dtype is None else tensor_arg(x, "sum").to(dtype)
    x = _int64_if_integer(x)
    return Sum(wrap_dims(dim, x.ndim, "sum"), keepdim)(x)


class Mean(Sum):
    """y = mean of x over ``axis`` (m elements each; NaN for m = 0);  gx = gy / m broadcast back."""

    def forward(self, x):
        self.axes = wrap_dims(self.axis, x.ndim, type(self).__name__.lower())
        self.in_shape = x.shape
        count = math.prod(x.shape[a] for a in self.axes)
        self.count = count or 1  # no elements: gx is empty whatever it is divided by
        if count == 0:  # NumPy would warn "mean of empty slice"; PyTorch quietly gives NaN
            with np.errstate(invalid="ignore", divide="ignore"):
                return _accumulate(x, "sum", self.axes, self.keepdims) / x.dtype.type(0)
        return _accumulate(x, "mean", self.axes, self.keepdims)

    def backward(self, gy):
        return self._expand(gy / self.count)

    def backward_graph(self, gy):
        return self._expand_graph(gy / self.count)


def mean(x, dim=None, keepdim=False, *, dtype=None, axis=None, keepdims=None):
    """Mean over ``dim`` (an int, a tuple, or None for all), as ``torch.mean``; floating-point input only."""
    dim, keepdim = _resolve_aliases("mean", dim, axis, keepdim, keepdims)
    x = tensor_arg(x, "mean") if dtype is None else tensor_arg(x, "mean").to(dtype)
    _check_floating(x, "mean")
    return Mean(wrap_dims(dim, x.ndim, "mean"), keepdim)(x)


def _variance(name, x, dim, unbiased, keepdim, correction, axis, keepdims):
    """``var``'s computation; its errors name ``name`` (var or std)."""
    dim, correction = _correction(name, dim, unbiased, correction)
    dim, keepdim = _resolve_aliases(name, dim, axis, keepdim, keepdims)
    _check_floating(tensor_arg(x, name), name)
    dims = wrap_dims(dim, x.ndim, name)
    m = math.prod(x.shape[d] for d in dims)
    wide = x if x.dtype == np.float64 else Cast(np.float64)(x)  # squares in float64: finite where x's overflow
    centred = wide - mean(wide, dims, keepdim=True)
    return sum(centred * centred, dims, keepdim) / float(builtins.max(m - correction, 0))  # Div: x / 0 quietly


def var(x, dim=None, unbiased=None, keepdim=False, *, correction=None, axis=None, keepdims=None):
    """Variance over ``dim``: sum((x - mean)^2) / (m - correction), as ``torch.var``.

    ``correction`` is 1 by default (the unbiased estimate; ``unbiased=False`` means 0).
    m - correction <= 0 divides by 0 (inf or NaN), as PyTorch.
    """
    with np.errstate(over="ignore"):  # a variance beyond x's dtype is inf, quietly, as in PyTorch
        return _variance("var", x, dim, unbiased, keepdim, correction, axis, keepdims).to(x.dtype)


def std(x, dim=None, unbiased=None, keepdim=False, *, correction=None, axis=None, keepdims=None):
    """Standard deviation: sqrt of ``var`` with the same arguments, as ``torch.std`` (gradient 0 where it is 0)."""
    return StdSqrt()(_variance("std", x, dim, unbiased, keepdim, correction, axis, keepdims)).to(x.dtype)


def _arg_extreme(x, dim, keepdim, name):
    """Index of the first largest (argmax) or smallest (argmin) element along ``dim`` (None: flat); NaN counts as
    extreme."""
    arr = x.array
    if arr.dtype == np.bool_:
        raise RuntimeError(f"{name}(): does not support bool input (as PyTorch); convert it with .int() or .float()")
    xp = get_array_module(arr)
    pick = xp.argmax if name.endswith("max") else xp.argmin
    if dim is None:
        _check_reducible(x, (), name)
        index = pick(arr.reshape(-1)).astype(np.int64)
        return Tensor._wrap(index.reshape((1,) * x.ndim) if keepdim else index)
    d = wrap_dim(dim, x.ndim, name)
    if x.ndim == 0:
        return Tensor._wrap(xp.zeros((), dtype=np.int64))
    _check_reducible(x, (d,), name)
    return Tensor._wrap(pick(arr, axis=d, keepdims=keepdim).astype(np.int64, copy=False))


def argmax(x, dim=None, keepdim=False, *, axis=None, keepdims=None):
    """Index of the first maximal element (of the flattened tensor when ``dim`` is None), as ``torch.argmax``."""
    dim, keepdim = _resolve_aliases("argmax", dim, axis, keepdim, keepdims)
    return _arg_extreme(tensor_arg(x, "argmax"), dim, keepdim, "argmax")


def argmin(x, dim=None, keepdim=False, *, axis=None, keepdims=None):
    """Index of the first minimal element (of the flattened tensor when ``dim`` is None), as ``torch.argmin``."""
    dim, keepdim = _resolve_aliases("argmin", dim, axis, keepdim, keepdims)
    return _arg_extreme(tensor_arg(x, "argmin"), dim, keepdim, "argmin")


class Max(Sum):
    """y = max of x over ``axis``, NaN where the slice holds a NaN (PyTorch's ``amax`` and full ``max()``).

    gx = gy shared equally among the elements equal to y (the NaNs, for a NaN
    result), 0 elsewhere. The mask and the number of winners are constants, so
    the higher derivatives go through ``Where`` alone.
    """

    reduce = "max"

    def forward(self, x):
        self.axes = wrap_dims(self.axis, x.ndim, type(self).__name__.lower())
        self.in_shape = x.shape
        y = getattr(x, self.reduce)(axis=self.axes, keepdims=True)
        # x != x marks NaNs; a slice holds one only where y is NaN, so this selects exactly the winners
        self.mask = (x == y) | (x != x)
        self.count = self.mask.sum(axis=self.axes, keepdims=True)
        return y if self.keepdims else y.reshape([n for i, n in enumerate(x.shape) if i not in self.axes])

    def backward(self, gy):
        xp = get_array_module(gy)
        return xp.where(self.mask, self._expand(gy) / self.count.astype(gy.dtype), gy.dtype.type(0))

    def backward_graph(self, gy):
        share = self._expand_graph(gy) / Tensor._wrap(self.count.astype(gy.dtype))
        return Where(self.mask)(share, 0.0)


class Min(Max):
    """y = min of x over ``axis``, NaN where the slice holds a NaN (``amin``, full ``min()``);  gx as for Max."""

    reduce = "min"


def _extreme(x, dim, keepdim, axis, keepdims, name):
    """``torch.max``/``torch.min``: the value, a (values, indices) named tuple along ``dim``, or elementwise."""
    if isinstance(dim, Tensor):
        return (maximum if name == "max" else minimum)(x, dim)
    dim, keepdim = _resolve_aliases(name, dim, axis, keepdim, keepdims)
    tensor_arg(x, name)
    if dim is None:
        if keepdim:
            raise TypeError(f"{name}(): keepdim needs a dim")
        _check_reducible(x, (), name, RuntimeError)
        return (Max if name == "max" else Min)(None, False)(x)
    if not isinstance(dim, (int, np.integer)) or isinstance(dim, bool):
        raise TypeError(f"{name}(dim=...) takes one int dimension, got {dim!r} "
                        f"(reduce over several with minigrad.a{name})")
    indices = _arg_extreme(x, dim, True, name)
    if x.ndim == 0:
        return getattr(return_types, name)(reshape(x), indices)
    d = wrap_dim(dim, x.ndim, name)
    xp = get_array_module(x.array)
    key = tuple(indices.array if i == d else xp.arange(n).reshape([-1 if j == i else 1 for j in range(x.ndim)])
                for i, n in enumerate(x.shape))
    values = GetItem(key)(x)  # the gradient goes to the returned index alone, as in PyTorch
    if not keepdim:
        values, indices = reshape(values, _squeezed(x.shape, (d,))), reshape(indices, _squeezed(x.shape, (d,)))
    return getattr(return_types, name)(values, indices)


def max(x, dim=None, keepdim=False, *, axis=None, keepdims=None):  # noqa: A001
    """``torch.max``: ``max(x)`` the largest value (NaN if any element is; the gradient shared among ties);
    ``max(x, dim)`` a named tuple (values, indices) (the gradient goes to the index); ``max(x, other)`` the
    elementwise maximum."""
    return _extreme(x, dim, keepdim, axis, keepdims, "max")


def min(x, dim=None, keepdim=False, *, axis=None, keepdims=None):  # noqa: A001
    """``torch.min``, as :func:`max` for the smallest values."""
    return _extreme(x, dim, keepdim, axis, keepdims, "min")


def amax(x, dim=(), keepdim=False, *, axis=None, keepdims=None):
    """The largest values over ``dim`` (an int or a tuple; () for all), NaN-propagating, as ``torch.amax``;
    the gradient is shared equally among ties."""
    dim, keepdim = _resolve_aliases("amax", None if dim == () else dim, axis, keepdim, keepdims)
    dims = wrap_dims(dim, tensor_arg(x, "amax").ndim, "amax")
    _check_reducible(x, dims, "amax")
    return Max(dims, keepdim)(x)


def amin(x, dim=(), keepdim=False, *, axis=None, keepdims=None):
    """The smallest values over ``dim``, as ``torch.amin`` (see :func:`amax`)."""
    dim, keepdim = _resolve_aliases("amin", None if dim == () else dim, axis, keepdim, keepdims)
    dims = wrap_dims(dim, tensor_arg(x, "amin").ndim, "amin")
    _check_reducible(x, dims, "amin")
    return Min(dims, keepdim)(x)


def _exclusive_products(x, axis):
    """For each element of x, the product of the other elements of its slice along ``axis`` (no division)."""
    xp = get_array_module(x)
    xm = xp.moveaxis(x, axis, -1)
    ones = xp.ones(xm.shape[:-1] + (1,), dtype=x.dtype)
    left = xp.cumprod(xp.concatenate([ones, xm[..., :-1]], axis=-1), axis=-1)
    right = xp.cumprod(xp.concatenate([ones, xm[..., :0:-1]], axis=-1), axis=-1)[..., ::-1]
    return xp.moveaxis(left * right, -1, axis)


def _exclusive_products_graph(x, axis):
    """``_exclusive_products`` built from recorded ops (products from the left and the right, slice by slice)."""
    if x.shape[axis] == 0:
        return Tensor._wrap(get_array_module(x.array).zeros(x.shape, dtype=x.dtype))
    lead = (slice(None),) * axis
    slices = [x[lead + (slice(i, i + 1),)] for i in range(x.shape[axis])]

    def running(parts):
        out, acc = [], None
        for p in parts:
            out.append(acc)
            acc = p if acc is None else acc * p
        return out

    left, right = running(slices), running(slices[::-1])[::-1]
    ones = Tensor._wrap(get_array_module(x.array).ones(slices[0].shape, dtype=x.dtype))
    return cat([ones if a is None and b is None else a if b is None else b if a is None else a * b
                for a, b in zip(left, right)], axis)


class Prod(Function):
    """y = product of x over ``axis`` (None: all elements);  gx = gy * (product of the other elements).

    The other elements' product comes from running products from both sides,
    so a zero in x gives the exact gradient (no division by x).
    """

    saves_output = False

    def __init__(self, axis=None, keepdims=False):
        self.axis, self.keepdims = axis, keepdims

    def forward(self, x):
        self.x = x
        return _accumulate(x, "prod", self.axis, self.keepdims)

    def _flat(self, x, gy):
        """(x, gy, axis) with the reduced axis present in both (x flattened for a full reduction)."""
        if self.axis is None:
            return x.reshape(-1), gy.reshape(1), 0
        return x, gy if self.keepdims else gy.reshape(_reduced_shape(x.shape, (self.axis,))), self.axis

    def backward(self, gy):
        x, gy, axis = self._flat(self.x, gy)
        return (gy * _exclusive_products(x, axis)).reshape(self.x.shape)

    def backward_graph(self, gy):
        x, gy, axis = self._flat(self.inputs[0], gy)
        return (gy * _exclusive_products_graph(x, axis)).reshape(self.inputs[0].shape)


def prod(x, dim=None, keepdim=False, *, dtype=None):
    """Product over one ``dim`` (None: all elements), as ``torch.prod``; exact gradients where x holds zeros."""
    x = _int64_if_integer(tensor_arg(x, "prod") if dtype is None else tensor_arg(x, "prod").to(dtype))
    if dim is None:
        if keepdim:
            raise TypeError("prod(): keepdim needs a dim")
        return Prod()(x)
    d = wrap_dim(dim, x.ndim, "prod")
    return Prod(d if x.ndim else None, keepdim)(x)


def logsumexp(x, dim, keepdim=False):
    """log(sum(exp(x))) over ``dim`` (an int or a tuple), computed stably, as ``torch.logsumexp``.

    The largest value m of each slice is subtracted first and added back:
    log(sum(exp(x - m))) + m, with m a constant (any constant gives the same
    function, so every derivative is exact); an infinite m is replaced by 0.
    """
    x = tensor_arg(x, "logsumexp")
    if x.dtype.kind != "f":
        x = x.to(np.float32)  # integers are promoted to the default float type
    dims = wrap_dims(dim, x.ndim, "logsumexp")
    xp = get_array_module(x.array)
    if x.numel():
        shift = x.array.max(axis=dims, keepdims=True)
        shift = xp.where(xp.isfinite(shift), shift, x.dtype.type(0))
    else:
        shift = xp.zeros(_reduced_shape(x.shape, dims), dtype=x.dtype)
    m = Tensor._wrap(shift)
    y = log(sum(exp(x - m), dims, keepdim=True)) + m  # a slice of -inf gives log(0) = -inf (quietly), as it should
    return y if keepdim else reshape(y, _squeezed(x.shape, dims))


def all(x, dim=None, keepdim=False):  # noqa: A001
    """True where every element over ``dim`` (None: all) is nonzero; a bool tensor."""
    return Tensor._wrap(get_array_module(x.array).all(x.array, axis=wrap_dims(dim, x.ndim, "all"), keepdims=keepdim))


def any(x, dim=None, keepdim=False):  # noqa: A001
    """True where some element over ``dim`` (None: all) is nonzero; a bool tensor."""
    return Tensor._wrap(get_array_module(x.array).any(x.array, axis=wrap_dims(dim, x.ndim, "any"), keepdims=keepdim))


class Cumsum(Function):
    """y_i = sum of x_j for j <= i along ``axis``;  gx_i = sum of gy_j for j >= i (a reversed cumulative sum)."""

    saves_inputs = saves_output = False

    def __init__(self, axis):
        self.axis = axis

    def forward(self, x):
        return get_array_module(x).cumsum(x, axis=self.axis)

    def backward(self, gy):
        xp = get_array_module(gy)
        return xp.flip(xp.cumsum(xp.flip(gy, self.axis), axis=self.axis), self.axis)

    def backward_graph(self, gy):
        # the same reversed sum from recorded ops: total - (inclusive sum) + own term
        return sum(gy, self.axis, keepdim=True) - Cumsum(self.axis)(gy) + gy


def cumsum(x, dim=None, *, dtype=None, axis=None):
    """Cumulative sum along ``dim`` (NumPy's ``axis`` accepted, as PyTorch does), as ``torch.cumsum`` (integers
    and bools sum as int64)."""
    dim, _ = _resolve_aliases("cumsum", dim, axis)
    if dim is None:
        raise TypeError("cumsum() missing 1 required argument: 'dim'")
    x = _int64_if_integer(tensor_arg(x, "cumsum") if dtype is None else tensor_arg(x, "cumsum").to(dtype))
    d = wrap_dim(dim, x.ndim, "cumsum")
    return Cumsum(d)(x) if x.ndim else clone(x)


#: functions that are also Tensor methods with the same arguments (``x.name(...)`` is ``name(x, ...)``)
TENSOR_FUNCTIONS = ("all", "any", "sum", "mean", "var", "std", "max", "min", "amax", "amin", "argmax", "argmin",
                    "prod", "logsumexp", "cumsum")
