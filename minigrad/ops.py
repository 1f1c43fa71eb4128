"""Differentiable tensor ops: forward on raw arrays, backward written by hand.

Each op is a small Function subclass; the lower-case functions below apply
them and are what Tensor's operators and methods call. Notation: x, y are the
op's input and output, gy = dL/dy is the upstream gradient, gx = dL/dx.
"""
import builtins

import numpy as np

from minigrad import backend, cuda
from minigrad.backend import get_array_module
from minigrad.core import Function, Tensor, _as_tensors


def unbroadcast(g, shape):
    """Sum ``g`` over the axes that broadcasting added or stretched, giving ``shape``."""
    if tuple(g.shape) == tuple(shape):
        return g
    lead = g.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(i + lead for i, n in enumerate(shape) if n == 1 and g.shape[i + lead] != 1)
    g = g.sum(axis=axes, keepdims=True)
    return g.reshape(shape)


def _normalize_axes(axis, ndim):
    """A sorted tuple of non-negative axes (all axes for None)."""
    if axis is None:
        return tuple(range(ndim))
    axes = (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis)
    out = []
    bound = builtins.max(ndim, 1)  # this module's own max() is the tensor reduction
    for a in axes:
        if not -ndim <= a < bound:
            raise ValueError(f"axis {a} is out of range for a tensor with {ndim} dimensions")
        out.append(int(a) % bound)
    return tuple(sorted(set(out)))


def sum_to(x, shape):
    """The Tensor ``x`` summed to ``shape`` (the reverse of broadcasting); ``x`` itself when it has it."""
    return x if x.shape == tuple(shape) else SumTo(shape)(x)


def _reduced_shape(shape, axes):
    """``shape`` with the reduced ``axes`` kept as size 1 (NumPy's keepdims)."""
    return tuple(1 if i in axes else n for i, n in enumerate(shape))


# ---------------------------------------------------------------------------
# Elementwise binary ops (NumPy broadcasting; backward reduces to each input's shape)

class _Binary(Function):
    def check_inputs(self, a, b):
        if a.shape != b.shape:
            try:
                np.broadcast_shapes(a.shape, b.shape)
            except ValueError:
                raise ValueError(f"{type(self).__name__}: shapes {a.shape} and {b.shape} cannot be broadcast together") from None

    def _shapes(self):
        return self.inputs[0].shape, self.inputs[1].shape


class Add(_Binary):
    """y = a + b;  ga = gy, gb = gy."""

    saves_inputs = saves_output = False

    def forward(self, a, b):
        return a + b

    def backward(self, gy):
        sa, sb = self._shapes()
        return unbroadcast(gy, sa), unbroadcast(gy, sb)

    def backward_graph(self, gy):
        sa, sb = self._shapes()
        return sum_to(gy, sa), sum_to(gy, sb)


class Sub(_Binary):
    """y = a - b;  ga = gy, gb = -gy."""

    saves_inputs = saves_output = False

    def forward(self, a, b):
        return a - b

    def backward(self, gy):
        sa, sb = self._shapes()
        gb = unbroadcast(-gy, sb) if self.needs_input_grad[1] else None
        return unbroadcast(gy, sa), gb

    def backward_graph(self, gy):
        sa, sb = self._shapes()
        return sum_to(gy, sa), sum_to(-gy, sb) if self.needs_input_grad[1] else None


class Mul(_Binary):
    """y = a * b;  ga = gy * b, gb = gy * a."""

    saves_output = False

    def forward(self, a, b):
        self.a, self.b = a, b
        return a * b

    def backward(self, gy):
        sa, sb = self._shapes()
        ga = unbroadcast(gy * self.b, sa) if self.needs_input_grad[0] else None
        gb = unbroadcast(gy * self.a, sb) if self.needs_input_grad[1] else None
        return ga, gb

    def backward_graph(self, gy):
        a, b = self.inputs
        ga = sum_to(gy * b, a.shape) if self.needs_input_grad[0] else None
        gb = sum_to(gy * a, b.shape) if self.needs_input_grad[1] else None
        return ga, gb


class Div(_Binary):
    """y = a / b;  ga = gy / b, gb = -gy * a / b^2 = -gy * y / b."""

    def forward(self, a, b):
        self.b = b
        self.y = a / b
        return self.y

    def backward(self, gy):
        sa, sb = self._shapes()
        ga = unbroadcast(gy / self.b, sa) if self.needs_input_grad[0] else None
        gb = unbroadcast(-gy * self.y / self.b, sb) if self.needs_input_grad[1] else None
        return ga, gb

    def backward_graph(self, gy):
        a, b = self.inputs
        ga = sum_to(gy / b, a.shape) if self.needs_input_grad[0] else None
        gb = sum_to(-gy * (a / b) / b, b.shape) if self.needs_input_grad[1] else None
        return ga, gb


class Pow(_Binary):
    """y = a ** b;  ga = gy * b * a^(b-1), gb = gy * y * log(a)."""

    def forward(self, a, b):
        self.a, self.b = a, b
        self.y = a ** b
        return self.y

    def backward(self, gy):
        xp = get_array_module(gy)
        sa, sb = self._shapes()
        ga = unbroadcast(gy * self.b * self.a ** (self.b - 1), sa) if self.needs_input_grad[0] else None
        gb = unbroadcast(gy * self.y * xp.log(self.a), sb) if self.needs_input_grad[1] else None
        return ga, gb

    def backward_graph(self, gy):
        a, b = self.inputs
        ga = sum_to(gy * b * a ** (b - 1), a.shape) if self.needs_input_grad[0] else None
        gb = sum_to(gy * a ** b * log(a), b.shape) if self.needs_input_grad[1] else None
        return ga, gb


def _matrix_transpose(x):
    """The Tensor ``x`` with its last two axes swapped (recorded)."""
    return Transpose(tuple(range(x.ndim - 2)) + (x.ndim - 1, x.ndim - 2))(x)


class MatMul(Function):
    """y = a @ b (NumPy's matmul, batched and broadcast);  ga = gy @ b^T, gb = a^T @ gy.

    A 1-D operand is promoted to a matrix (a row on the left, a column on the
    right) and the added axis removed from y, as in NumPy.
    """

    saves_output = False

    def check_inputs(self, a, b):
        if a.ndim == 0 or b.ndim == 0:
            raise ValueError(f"matmul: both operands need at least one dimension, got shapes {a.shape} and {b.shape}")
        ka, kb = a.shape[-1], b.shape[-2] if b.ndim > 1 else b.shape[0]
        if ka != kb:
            raise ValueError(
                f"matmul: shapes {a.shape} and {b.shape} are not aligned: "
                f"the last dimension of the first ({ka}) must equal the "
                f"{'second-to-last' if b.ndim > 1 else 'only'} dimension of the second ({kb})")
        try:
            np.broadcast_shapes(a.shape[:-2], b.shape[:-2])
        except ValueError:
            raise ValueError(f"matmul: batch dimensions of shapes {a.shape} and {b.shape} cannot be broadcast") from None

    def forward(self, a, b):
        self.a2 = a[None, :] if a.ndim == 1 else a
        self.b2 = b[:, None] if b.ndim == 1 else b
        self.shape_a, self.shape_b = a.shape, b.shape
        return a @ b

    def backward(self, gy):
        xp = get_array_module(gy)
        a2, b2 = self.a2, self.b2
        gy2 = gy
        if len(self.shape_b) == 1:  # first: for 1-D @ 1-D, gy is 0-d and gains its axes one at a time
            gy2 = xp.expand_dims(gy2, -1)
        if len(self.shape_a) == 1:
            gy2 = xp.expand_dims(gy2, -2)
        ga = gb = None
        if self.needs_input_grad[0]:
            ga = unbroadcast(gy2 @ xp.swapaxes(b2, -1, -2), a2.shape).reshape(self.shape_a)
        if self.needs_input_grad[1]:
            gb = unbroadcast(xp.swapaxes(a2, -1, -2) @ gy2, b2.shape).reshape(self.shape_b)
        return ga, gb

    def backward_graph(self, gy):
        a, b = self.inputs
        a2 = a.reshape(1, -1) if a.ndim == 1 else a
        b2 = b.reshape(-1, 1) if b.ndim == 1 else b
        gy2 = gy
        if b.ndim == 1:
            gy2 = gy2.reshape(gy2.shape + (1,))
        if a.ndim == 1:
            gy2 = gy2.reshape(gy2.shape[:-1] + (1,) + gy2.shape[-1:])
        ga = gb = None
        if self.needs_input_grad[0]:
            ga = sum_to(gy2 @ _matrix_transpose(b2), a2.shape).reshape(a.shape)
        if self.needs_input_grad[1]:
            gb = sum_to(_matrix_transpose(a2) @ gy2, b2.shape).reshape(b.shape)
        return ga, gb


# ---------------------------------------------------------------------------
# Elementwise unary ops

class Neg(Function):
    """y = -x;  gx = -gy."""

    saves_inputs = saves_output = False

    def forward(self, x):
        return -x

    def backward(self, gy):
        return -gy

    def backward_graph(self, gy):
        return -gy


class Exp(Function):
    """y = exp(x);  gx = gy * y."""

    saves_inputs = False

    def forward(self, x):
        self.y = get_array_module(x).exp(x)
        return self.y

    def backward(self, gy):
        return gy * self.y

    def backward_graph(self, gy):
        return gy * exp(self.inputs[0])


class Log(Function):
    """y = log(x);  gx = gy / x."""

    saves_output = False

    def forward(self, x):
        self.x = x
        return get_array_module(x).log(x)

    def backward(self, gy):
        return gy / self.x

    def backward_graph(self, gy):
        return gy / self.inputs[0]


class Sqrt(Function):
    """y = sqrt(x);  gx = gy / (2 y)."""

    saves_inputs = False

    def forward(self, x):
        self.y = get_array_module(x).sqrt(x)
        return self.y

    def backward(self, gy):
        return gy / (2 * self.y)

    def backward_graph(self, gy):
        return gy / (2 * sqrt(self.inputs[0]))


def _sigmoid_grad(y, gy):
    """gy * y * (1 - y) on raw arrays (one fused kernel on the GPU)."""
    if get_array_module(gy) is not np:
        return cuda.kernels().sigmoid_backward(gy, y)
    gx = 1 - y
    gx *= y
    gx *= gy
    return gx


class SigmoidGrad(Function):
    """Sigmoid's gradient as an op of (y, gy): gx = gy * y * (1 - y), differentiable again.

    Its own derivatives: d/dy = g * gy * (1 - 2 y),  d/dgy = g * y * (1 - y).
    """

    saves_output = False

    def forward(self, y, gy):
        self.y, self.gy = y, gy
        return _sigmoid_grad(y, gy)

    def backward(self, g):
        need_y, need_gy = self.needs_input_grad
        return (g * self.gy * (1 - 2 * self.y) if need_y else None,
                _sigmoid_grad(self.y, g) if need_gy else None)

    def backward_graph(self, g):
        y, gy = self.inputs
        need_y, need_gy = self.needs_input_grad
        return g * gy * (1 - 2 * y) if need_y else None, SigmoidGrad()(y, g) if need_gy else None


class Sigmoid(Function):
    """y = 1 / (1 + exp(-x));  gx = gy * y * (1 - y)  (``SigmoidGrad``).

    exp(-x) overflows to inf for very negative x (float32: x < -88), which
    gives the right limit y = 0; NumPy's overflow warning is silenced for it.
    """

    saves_inputs = False

    def forward(self, x):
        xp = get_array_module(x)
        if xp is not np:
            self.y = cuda.kernels().sigmoid(x)
            return self.y
        with np.errstate(over="ignore"):
            y = np.negative(x)
            np.exp(y, out=y)
        y += 1
        np.reciprocal(y, out=y)
        self.y = y
        return y

    def backward(self, gy):
        return _sigmoid_grad(self.y, gy)

    def backward_graph(self, gy):
        return SigmoidGrad()(sigmoid(self.inputs[0]), gy)


class Tanh(Function):
    """y = tanh(x);  gx = gy * (1 - y^2)."""

    saves_inputs = False

    def forward(self, x):
        self.y = get_array_module(x).tanh(x)
        return self.y

    def backward(self, gy):
        return gy * (1 - self.y * self.y)

    def backward_graph(self, gy):
        y = tanh(self.inputs[0])
        return gy * (1 - y * y)


class ReLU(Function):
    """y = max(x, 0);  gx = gy where x > 0, else 0 (the mask is constant: higher derivatives are 0)."""

    saves_inputs = saves_output = False  # backward reads its own copy, the mask

    def forward(self, x):
        self.mask = x > 0
        return get_array_module(x).maximum(x, 0)

    def backward(self, gy):
        return gy * self.mask

    def backward_graph(self, gy):
        return gy * Tensor._wrap(self.mask.astype(gy.dtype))


class Cast(Function):
    """y = x as another dtype;  gx = gy cast back to x's dtype."""

    saves_inputs = saves_output = False

    def __init__(self, dtype):
        self.dtype = dtype

    def forward(self, x):
        self.in_dtype = x.dtype
        return x.astype(self.dtype)

    def backward(self, gy):
        return gy.astype(self.in_dtype)

    def backward_graph(self, gy):
        return Cast(self.in_dtype)(gy)


class ToDevice(Function):
    """y = x copied to another device;  gx = gy copied back."""

    saves_inputs = saves_output = False

    def __init__(self, device):
        self.device = device

    def forward(self, x):
        self.in_device = backend.device_of(x)
        return backend.to_device(x, self.device)

    def backward(self, gy):
        return backend.to_device(gy, self.in_device)

    def backward_graph(self, gy):
        return ToDevice(self.in_device)(gy)


class BroadcastTo(Function):
    """y = x broadcast to ``shape`` (a read-only view);  gx = gy summed back to x's shape (``SumTo``)."""

    saves_inputs = saves_output = False

    def __init__(self, shape):
        self.shape = tuple(shape)

    def forward(self, x):
        self.in_shape = x.shape
        return get_array_module(x).broadcast_to(x, self.shape)

    def backward(self, gy):
        return unbroadcast(gy, self.in_shape)

    def backward_graph(self, gy):
        return sum_to(gy, self.in_shape)


class SumTo(Function):
    """y = x summed to ``shape`` (undoing a broadcast);  gx = gy broadcast back (``BroadcastTo``)."""

    saves_inputs = saves_output = False

    def __init__(self, shape):
        self.shape = tuple(shape)

    def forward(self, x):
        self.in_shape = x.shape
        return unbroadcast(x, self.shape)

    def backward(self, gy):
        return get_array_module(gy).broadcast_to(gy, self.in_shape)

    def backward_graph(self, gy):
        return BroadcastTo(self.in_shape)(gy)


# ---------------------------------------------------------------------------
# Reductions

class Sum(Function):
    """y = sum of x over ``axis``;  gx = gy broadcast back over the summed axes."""

    saves_inputs = saves_output = False

    def __init__(self, axis=None, keepdims=False):
        self.axis, self.keepdims = axis, keepdims

    def forward(self, x):
        self.axes = _normalize_axes(self.axis, x.ndim)
        self.in_shape = x.shape
        return x.sum(axis=self.axes, keepdims=self.keepdims)

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


class Mean(Sum):
    """y = mean of x over ``axis`` (m elements each);  gx = gy / m broadcast back."""

    def forward(self, x):
        y = super().forward(x)
        self.count = int(np.prod([x.shape[a] for a in self.axes], dtype=np.int64))
        return y / self.count if y.dtype.kind == "f" else y / float(self.count)

    def backward(self, gy):
        return self._expand(gy / self.count)

    def backward_graph(self, gy):
        return self._expand_graph(gy / self.count)


class Max(Sum):
    """y = max of x over ``axis``;  gx = gy at the maximal elements (shared equally between ties), else 0."""

    def forward(self, x):
        self.axes = _normalize_axes(self.axis, x.ndim)
        self.in_shape = x.shape
        y = x.max(axis=self.axes, keepdims=True)
        mask = x == y
        self.weight = mask / mask.sum(axis=self.axes, keepdims=True)
        return y if self.keepdims else y.reshape([n for i, n in enumerate(x.shape) if i not in self.axes])

    def backward(self, gy):
        return (self._expand(gy) * self.weight).astype(gy.dtype, copy=False)

    def backward_graph(self, gy):
        return self._expand_graph(gy) * Tensor._wrap(self.weight.astype(gy.dtype, copy=False))


# ---------------------------------------------------------------------------
# Shape ops

class Reshape(Function):
    """y = x viewed with a new shape;  gx = gy reshaped back."""

    saves_inputs = saves_output = False

    def __init__(self, shape):
        self.shape = shape

    def forward(self, x):
        self.in_shape = x.shape
        try:
            return x.reshape(self.shape)
        except ValueError:
            raise ValueError(f"cannot reshape a tensor of shape {tuple(x.shape)} ({x.size} elements) "
                             f"into shape {tuple(self.shape)}") from None

    def backward(self, gy):
        return gy.reshape(self.in_shape)

    def backward_graph(self, gy):
        return Reshape(self.in_shape)(gy)


class Transpose(Function):
    """y = x with its axes permuted (reversed when none are given);  gx = gy with the inverse permutation."""

    saves_inputs = saves_output = False

    def __init__(self, axes=None):
        self.axes = axes

    def forward(self, x):
        axes = tuple(reversed(range(x.ndim))) if not self.axes else tuple(a % x.ndim for a in self.axes)
        if sorted(axes) != list(range(x.ndim)):
            raise ValueError(f"transpose: axes {self.axes} are not a permutation of the {x.ndim} axes of shape {x.shape}")
        self.inverse = tuple(np.argsort(axes))
        return x.transpose(axes)

    def backward(self, gy):
        return gy.transpose(self.inverse)

    def backward_graph(self, gy):
        return Transpose(self.inverse)(gy)


def _is_advanced(key):
    parts = key if isinstance(key, tuple) else (key,)
    return any(not isinstance(k, (int, np.integer, slice, type(None), type(Ellipsis))) for k in parts)


class GetItemGrad(Function):
    """GetItem's gradient as an op: zeros of ``in_shape`` with gy scatter-added at ``key``; its gradient is g[key]."""

    saves_inputs = saves_output = False

    def __init__(self, key, in_shape):
        self.key, self.in_shape = key, in_shape

    def forward(self, gy):
        xp = get_array_module(gy)
        gx = xp.zeros(self.in_shape, dtype=gy.dtype)
        if _is_advanced(self.key):
            backend.scatter_add(gx, self.key, gy)
        else:
            gx[self.key] = gy
        return gx

    def backward(self, g):
        return g[self.key]

    def backward_graph(self, g):
        return GetItem(self.key)(g)


class GetItem(Function):
    """y = x[key] (basic or integer-array indexing);  gx = zeros with gy scatter-added at key (``GetItemGrad``)."""

    saves_inputs = saves_output = False

    def __init__(self, key):
        self.key = key

    def forward(self, x):
        self.in_shape, self.in_dtype = x.shape, x.dtype
        try:
            return x[self.key]
        except IndexError as exc:
            raise IndexError(f"{exc} (indexing a tensor of shape {tuple(x.shape)})") from None

    def backward(self, gy):
        return GetItemGrad(self.key, self.in_shape).forward(gy)

    def backward_graph(self, gy):
        return GetItemGrad(self.key, self.in_shape)(gy)


class Concatenate(Function):
    """y = the inputs joined along ``axis``;  each gx = its slice of gy."""

    saves_inputs = saves_output = False

    def __init__(self, axis=0):
        self.axis = axis

    def forward(self, *xs):
        xp = get_array_module(xs[0])
        self.sizes = [x.shape[self.axis] for x in xs]
        try:
            return xp.concatenate(xs, axis=self.axis)
        except ValueError:
            raise ValueError(f"cat: shapes {[tuple(x.shape) for x in xs]} do not match outside axis {self.axis}") from None

    def backward(self, gy):
        xp = get_array_module(gy)
        return tuple(xp.split(gy, np.cumsum(self.sizes)[:-1], axis=self.axis))

    def backward_graph(self, gy):
        lead = (slice(None),) * (self.axis % gy.ndim)
        ends = np.cumsum(self.sizes)
        return tuple(GetItem(lead + (slice(int(e - n), int(e)),))(gy) if need else None
                     for n, e, need in zip(self.sizes, ends, self.needs_input_grad))


class Stack(Function):
    """y = the inputs stacked along a new ``axis``;  each gx = its index of gy along that axis."""

    saves_inputs = saves_output = False

    def __init__(self, axis=0):
        self.axis = axis

    def forward(self, *xs):
        if len({tuple(x.shape) for x in xs}) != 1:
            raise ValueError(f"stack: all tensors need the same shape, got {[tuple(x.shape) for x in xs]}")
        return get_array_module(xs[0]).stack(xs, axis=self.axis)

    def backward(self, gy):
        xp = get_array_module(gy)
        return tuple(xp.moveaxis(gy, self.axis, 0))

    def backward_graph(self, gy):
        lead = (slice(None),) * (self.axis % gy.ndim)
        return tuple(GetItem(lead + (i,))(gy) if need else None for i, need in enumerate(self.needs_input_grad))


# ---------------------------------------------------------------------------
# The functions that apply the ops

def add(a, b): return Add()(a, b)
def sub(a, b): return Sub()(a, b)
def mul(a, b): return Mul()(a, b)
def div(a, b): return Div()(a, b)
def pow(a, b): return Pow()(a, b)  # noqa: A001 (the operator's name)
def matmul(a, b): return MatMul()(a, b)
def neg(x): return Neg()(x)
def exp(x): return Exp()(x)
def log(x): return Log()(x)
def sqrt(x): return Sqrt()(x)
def sigmoid(x): return Sigmoid()(x)
def tanh(x): return Tanh()(x)
def relu(x): return ReLU()(x)


def sum(x, axis=None, keepdims=False):  # noqa: A001
    return Sum(axis, keepdims)(x)


def mean(x, axis=None, keepdims=False):
    return Mean(axis, keepdims)(x)


def max(x, axis=None, keepdims=False):  # noqa: A001
    return Max(axis, keepdims)(x)


def _shape_args(shape):
    return tuple(shape[0]) if len(shape) == 1 and isinstance(shape[0], (tuple, list)) else shape


def reshape(x, *shape):
    return Reshape(_shape_args(shape))(x)


def flatten(x, start_dim=0):
    return reshape(x, *x.shape[:start_dim], -1)


def transpose(x, *axes):
    return Transpose(_shape_args(axes) or None)(x)


def _raw_key(key, xp):
    """The index as arrays of ``xp`` (the indexed tensor's library): tensors, lists and arrays converted."""
    if isinstance(key, tuple):
        return tuple(_raw_key(k, xp) for k in key)
    if isinstance(key, Tensor):
        key = key.array
    if isinstance(key, list) or hasattr(key, "__array_interface__") or hasattr(key, "__cuda_array_interface__"):
        return xp.asarray(backend.to_numpy(key) if xp is np else key)
    return key


def getitem(x, key):
    return GetItem(_raw_key(key, get_array_module(x.array)))(x)


def _check_sequence(tensors, name):
    """cat and stack take a non-empty list or tuple of tensors (a Tensor would be split into its rows)."""
    if not isinstance(tensors, (list, tuple)):
        raise TypeError(f"{name}() expects a list or tuple of tensors, got {type(tensors).__name__}")
    if not tensors:
        raise ValueError(f"{name}() expects a non-empty list of tensors, got an empty one")


def cat(tensors, axis=0):
    """Join tensors along an existing axis (``torch.cat``)."""
    _check_sequence(tensors, "cat")
    return Concatenate(axis)(*tensors)


def stack(tensors, axis=0):
    """Join same-shaped tensors along a new axis (``torch.stack``)."""
    _check_sequence(tensors, "stack")
    return Stack(axis)(*tensors)


def compare(name, a, b):
    """Elementwise comparison (no gradient); the result is a bool tensor. ``t == None`` is False, as in PyTorch."""
    if b is None and name in ("equal", "not_equal"):
        return name == "not_equal"
    a, b = _as_tensors((a, b), name)
    xp = get_array_module(a.array)
    return Tensor._wrap(getattr(xp, name)(a.array, b.array))


def argmax(x, axis=None):
    """Index of the largest element (no gradient)."""
    return Tensor._wrap(get_array_module(x.array).asarray(x.array.argmax(axis=axis)))

