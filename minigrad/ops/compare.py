"""Comparisons and logical ops (no gradient), isclose/allclose/equal, sort/argsort/topk/unique, and
masked_select.
"""
import numbers

import numpy as np

from minigrad.backend import get_array_module
from minigrad.core import Function, Tensor, as_tensors
from minigrad.dtypes import wrapped_int
from minigrad.ops.conversion import _promoted, clone
from minigrad.ops.indexing import gather, getitem
from minigrad.ops.shape import expand
from minigrad.ops.utils import _operand, return_types, wrap_dim



def _sort_order(arr, axis, descending):
    """Indices that sort ``arr`` along ``axis``, stably; NaN counts as the largest value (PyTorch's order)."""
    xp = get_array_module(arr)
    if not descending:
        return xp.argsort(arr, axis=axis, kind="stable")
    n = arr.shape[axis]  # stable descending: sort the reversed array ascending, then reverse the order back
    order = xp.argsort(xp.flip(arr, axis), axis=axis, kind="stable")
    return n - 1 - xp.flip(order, axis)


def argsort(x, dim=-1, descending=False, *, stable=False):
    """Indices that sort ``x`` along ``dim`` (int64), as ``torch.argsort``; ties keep their order (stable)."""
    d = wrap_dim(dim, x.ndim, "argsort")
    if x.ndim == 0:
        return Tensor._wrap(get_array_module(x.array).zeros((), dtype=np.int64))
    return Tensor._wrap(_sort_order(x.array, d, descending).astype(np.int64, copy=False))


def sort(x, dim=-1, descending=False, *, stable=False):
    """(values, indices) of ``x`` sorted along ``dim``, as ``torch.sort``; values = x.gather(dim, indices), so
    the gradient goes back to each value's position. Ties keep their order; NaN sorts as the largest."""
    indices = argsort(x, dim, descending)
    return return_types.sort(gather(x, dim, indices) if x.ndim else clone(x), indices)


def topk(x, k, dim=-1, largest=True, sorted=True):  # noqa: A002 (PyTorch's argument name)
    """(values, indices) of the ``k`` largest (``largest=False``: smallest) elements along ``dim``, in order,
    as ``torch.topk``; the gradient goes back to the chosen positions."""
    d = wrap_dim(dim, x.ndim, "topk")
    n = x.shape[d] if x.ndim else 1
    if not 0 <= k <= n:
        raise RuntimeError(f"topk(): selected index k={k} out of range for a dimension of size {n}")
    if x.ndim == 0:
        return return_types.topk(clone(x), Tensor._wrap(np.zeros((), dtype=np.int64)))
    order = _sort_order(x.array, d, largest)[(slice(None),) * d + (slice(0, k),)]
    indices = Tensor._wrap(order.astype(np.int64, copy=False))
    return return_types.topk(gather(x, d, indices), indices)


class Unique(Function):
    """The sorted distinct values of x (and each element's position among them, and their counts).

    No derivative, as in PyTorch (its ``_unique2`` has none): the values are recorded in the graph so that a
    backward reaching them raises instead of leaving out this path's share of the gradient in silence.
    """

    saves_inputs = saves_output = False

    def forward(self, x):
        self.values, inverse, self.counts = get_array_module(x).unique(  # each NaN distinct, as PyTorch
            x, return_inverse=True, return_counts=True, equal_nan=False)
        self.inverse = inverse.reshape(x.shape)
        return self.values

    def backward(self, gy):
        raise NotImplementedError("unique: the derivative of unique() is not implemented (nor in PyTorch); use "
                           "unique(x.detach()) when its values are meant as constants")

    def backward_graph(self, gy):
        return self.backward(gy)


def unique(x, sorted=True, return_inverse=False, return_counts=False, dim=None):  # noqa: A002
    """The distinct values of ``x``, ascending, as ``torch.unique`` (no derivative: a backward through them
    raises); with ``return_inverse`` each element's position among them (x's shape), with ``return_counts``
    how often each occurs."""
    if dim is not None:
        raise NotImplementedError("unique(): the argument dim= is not supported by minigrad")
    fn = Unique()
    out = [fn(x)]
    if return_inverse:
        out.append(Tensor._wrap(fn.inverse.astype(np.int64, copy=False)))
    if return_counts:
        out.append(Tensor._wrap(fn.counts.astype(np.int64, copy=False)))
    return out[0] if len(out) == 1 else tuple(out)


def logical(name, a, b=None):
    """Bitwise and/or/xor/not of bool or integer tensors (no gradient), as PyTorch's ``&``, ``|``, ``^``, ``~``."""
    operands = (a,) if b is None else _promoted((_operand(a), _operand(b)))
    for t in operands:
        t = _operand(t)
        if isinstance(t, Tensor) and t.dtype.kind not in "biu":  # PyTorch: TypeError for ~, else NotImplementedError
            raise (TypeError if b is None else NotImplementedError)(
                f"{name}: only bool and integer tensors, got dtype {t.dtype}")
    arrays = [t.array for t in operands]
    return Tensor._wrap(getattr(get_array_module(arrays[0]), name)(*arrays))


def equal(a, b):
    """True when both tensors have the same shape and the same values (a Python bool)."""
    return a.shape == b.shape and bool(get_array_module(a.array).array_equal(a.array, b.array))


def isclose(a, b, rtol=1e-5, atol=1e-8, equal_nan=False):
    """A bool tensor: |a - b| <= atol + rtol * |b| elementwise (broadcast); a and b of one dtype, as PyTorch."""
    if a.dtype != b.dtype:
        raise RuntimeError(f"isclose(): expected both tensors of one dtype, got {a.dtype} and {b.dtype}")
    return Tensor._wrap(get_array_module(a.array).isclose(a.array, b.array, rtol=rtol, atol=atol, equal_nan=equal_nan))


def allclose(a, b, rtol=1e-5, atol=1e-8, equal_nan=False):
    """True when |a - b| <= atol + rtol * |b| everywhere (a Python bool); a and b of one dtype, as PyTorch."""
    return bool(isclose(a, b, rtol, atol, equal_nan).array.all())


def masked_select(x, mask):
    """The elements of ``x`` where the bool ``mask`` holds (both broadcast), as a 1-D tensor (differentiable)."""
    cond = mask.array if isinstance(mask, Tensor) else np.asarray(mask)
    if cond.dtype != np.bool_:
        raise RuntimeError(f"masked_select(): expected a bool mask, got dtype {cond.dtype}")
    shape = np.broadcast_shapes(x.shape, cond.shape)
    return getitem(expand(x, *shape) if x.shape != shape else x, get_array_module(cond).broadcast_to(cond, shape))


def _wrapped(t, number):
    """``number`` as PyTorch compares it with the tensor ``t``: an integer wrapped into t's integer dtype
    (uint8 == 300 compares with 44), anything else unchanged."""
    if isinstance(number, numbers.Integral) and not isinstance(number, bool) and isinstance(t, Tensor) \
            and t.dtype.kind in "iu":
        return wrapped_int(number, t.dtype)
    return number


def compare(name, a, b):
    """Elementwise comparison (no gradient); the result is a bool tensor. ``t == None`` is False, as in PyTorch."""
    if b is None and name in ("equal", "not_equal"):
        return name == "not_equal"
    a, b = (_wrapped(b, a), b) if isinstance(b, Tensor) else (a, _wrapped(a, b))
    a, b = as_tensors((a, b), name)
    xp = get_array_module(a.array)
    return Tensor._wrap(getattr(xp, name)(a.array, b.array))


#: functions that are also Tensor methods with the same arguments (``x.name(...)`` is ``name(x, ...)``)
TENSOR_FUNCTIONS = ("sort", "topk", "unique", "masked_select")


class CompareMethods:
    """Tensor's comparison operators and methods: methods whose arguments differ from the functions', installed by
    ``minigrad.ops.install_tensor_methods``."""

    def __lt__(self, other): return compare("less", self, other)
    def __le__(self, other): return compare("less_equal", self, other)
    def __gt__(self, other): return compare("greater", self, other)
    def __ge__(self, other): return compare("greater_equal", self, other)
    def __eq__(self, other): return compare("equal", self, other)
    def __ne__(self, other): return compare("not_equal", self, other)
    def __and__(self, other): return logical("bitwise_and", self, other)
    def __rand__(self, other): return logical("bitwise_and", other, self)
    def __or__(self, other): return logical("bitwise_or", self, other)
    def __ror__(self, other): return logical("bitwise_or", other, self)
    def __xor__(self, other): return logical("bitwise_xor", self, other)
    def __rxor__(self, other): return logical("bitwise_xor", other, self)
    def __invert__(self): return logical("invert", self)
    def eq(self, other): return compare("equal", self, other)
    def ne(self, other): return compare("not_equal", self, other)
    def lt(self, other): return compare("less", self, other)
    def le(self, other): return compare("less_equal", self, other)
    def gt(self, other): return compare("greater", self, other)
    def ge(self, other): return compare("greater_equal", self, other)

    def isclose(self, other, rtol=1e-5, atol=1e-8, equal_nan=False):
        return isclose(self, other, rtol, atol, equal_nan)

    def allclose(self, other, rtol=1e-5, atol=1e-8, equal_nan=False):
        return allclose(self, other, rtol, atol, equal_nan)

    def equal(self, other): return equal(self, other)
    def argsort(self, dim=-1, descending=False, *, stable=False): return argsort(self, dim, descending)
