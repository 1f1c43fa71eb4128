"""Differentiable tensor ops: forward on raw arrays, backward written by hand.

Each op is a small Function subclass with two backwards: ``backward`` on raw
arrays (the fast first-order path) and ``backward_graph``, the same derivative
built from Functions on Tensors, so that it can be differentiated again to any
order (``create_graph=True``). Where a gradient needs its own op (sigmoid's,
indexing's, broadcasting's), that op is a ``DerivativeFunction`` whose raw
forward is the one body both paths call, and whose own derivative is written
once, as ``backward_graph``. Notation: x, y are the op's input and output,
gy = dL/dy is the upstream gradient, gx = dL/dx.

The lower-case functions at the end are PyTorch's API over these ops (what
Tensor's methods and the ``minigrad.*`` names call): PyTorch's arguments
(``dim``, ``keepdim``; NumPy's ``axis``/``keepdims`` accepted as aliases),
results, dtype promotion and error types.
"""
import builtins
import collections
import math
import numbers
import types
import warnings

import numpy as np

from minigrad import backend, cuda
from minigrad.backend import get_array_module
from minigrad.core import DerivativeFunction, Function, Tensor, _as_tensors


def unbroadcast(g, shape):
    """Sum ``g`` over the axes that broadcasting added or stretched, giving ``shape``."""
    if tuple(g.shape) == tuple(shape):
        return g
    lead = g.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(i + lead for i, n in enumerate(shape) if n == 1 and g.shape[i + lead] != 1)
    g = g.sum(axis=axes, keepdims=True)
    return g.reshape(shape)


def sum_to(x, shape):
    """The Tensor ``x`` summed to ``shape`` (the reverse of broadcasting); ``x`` itself when it has it."""
    return x if x.shape == tuple(shape) else SumTo(shape)(x)


def check_same_dtype(what, *named):
    """RuntimeError naming both dtypes unless the tensors of the (name, tensor) pairs share the first one's dtype
    (None skipped): PyTorch's matmul, linear, conv2d and batch_norm compute in one dtype and do not promote."""
    (first_name, first), *rest = named
    for name, t in rest:
        if t is not None and t.dtype != first.dtype:
            raise RuntimeError(f"{what}: expected {first_name} and {name} to have the same dtype, "
                               f"but got {first.dtype} and {t.dtype}")


def _reduced_shape(shape, axes):
    """``shape`` with the reduced ``axes`` kept as size 1 (NumPy's keepdims)."""
    return tuple(1 if i in axes else n for i, n in enumerate(shape))


# ---------------------------------------------------------------------------
# Elementwise binary ops (NumPy broadcasting; backward reduces to each input's shape)

class _Binary(Function):
    def check_inputs(self, a, b):
        if a.array.shape != b.array.shape:
            try:
                np.broadcast_shapes(a.shape, b.shape)
            except ValueError:
                raise RuntimeError(f"{type(self).__name__}: shapes {a.shape} and {b.shape} cannot be broadcast together") from None

    def _shapes(self):
        return self.inputs[0].array.shape, self.inputs[1].array.shape


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
        with np.errstate(divide="ignore", invalid="ignore"):  # x / 0 is inf or NaN, quietly, as in PyTorch
            self.y = a / b
        return self.y

    def backward(self, gy):
        sa, sb = self._shapes()
        with np.errstate(divide="ignore", invalid="ignore"):  # the gradient at b = 0 is inf or NaN, quietly
            ga = unbroadcast(gy / self.b, sa) if self.needs_input_grad[0] else None
            gb = unbroadcast(-gy * self.y / self.b, sb) if self.needs_input_grad[1] else None
        return ga, gb

    def backward_graph(self, gy):
        a, b = self.inputs
        ga = sum_to(gy / b, a.shape) if self.needs_input_grad[0] else None
        gb = sum_to(-gy * (a / b) / b, b.shape) if self.needs_input_grad[1] else None
        return ga, gb


class Pow(_Binary):
    """y = a ** b;  ga = gy * b * a^(b-1) (0 where b = 0), gb = gy * y * log(a) (0 where a = 0 and b >= 0).

    The two exceptions are PyTorch's: without them 0 * a^-1 and 0 * log(0) would be NaN at a = 0.
    """

    graph_uses_output = True

    def forward(self, a, b):
        self.a, self.b = a, b
        if a.dtype.kind in "iu" and b.dtype.kind in "iu" and bool((b < 0).any()):
            raise RuntimeError("Integers to negative integer powers are not allowed.")  # PyTorch's error and type
        with np.errstate(divide="ignore", invalid="ignore"):  # 0 ** -1 = inf, (-1) ** 0.5 = NaN, quietly
            self.y = a ** b
        return self.y

    def _masks(self, xp):
        """(where b = 0, where a = 0 and b >= 0): the elements whose gradient is 0 by definition, or None."""
        b_zero = self.b == 0
        a_zero = (self.a == 0) & (self.b >= 0) if self.needs_input_grad[1] else None
        return (b_zero if b_zero.any() else None), (a_zero if a_zero is not None and a_zero.any() else None)

    def backward(self, gy):
        xp = get_array_module(gy)
        sa, sb = self._shapes()
        b_zero, a_zero = self._masks(xp)
        ga = gb = None
        with np.errstate(divide="ignore", invalid="ignore"):
            if self.needs_input_grad[0]:
                ga = gy * self.b * self.a ** (self.b - 1)
                ga = unbroadcast(ga if b_zero is None else xp.where(b_zero, 0, ga).astype(ga.dtype, copy=False), sa)
            if self.needs_input_grad[1]:
                gb = gy * self.y * xp.log(self.a)
                gb = unbroadcast(gb if a_zero is None else xp.where(a_zero, 0, gb).astype(gb.dtype, copy=False), sb)
        return ga, gb

    def backward_graph(self, gy):
        """The same derivatives with the masked elements kept finite inside the graph (a ** 0 instead of
        0 ** -1, log(1) instead of log(0)), so that differentiating again gives 0 there, not 0 * inf = NaN."""
        a, b = self.inputs
        b_zero, a_zero = self._masks(get_array_module(gy.array))
        ga = gb = None
        with np.errstate(divide="ignore", invalid="ignore"):  # a ** (b - 1) at a = 0 is inf, quietly
            if self.needs_input_grad[0]:  # b * a ** 0 = 0 where b = 0
                ga = sum_to(gy * b * a ** (b - 1 if b_zero is None else where(b_zero, 0.0, b - 1)), a.shape)
            if self.needs_input_grad[1]:  # a ** b * log(1) = 0 where a = 0 (and b >= 0)
                y = self.output_tensor(lambda: a ** b)
                gb = sum_to(gy * y * log(a if a_zero is None else where(a_zero, 1.0, a)), b.shape)
        return ga, gb


def _matrix_transpose(x):
    """The Tensor ``x`` with its last two axes swapped (recorded)."""
    return Transpose(tuple(range(x.ndim - 2)) + (x.ndim - 1, x.ndim - 2))(x)


class MatMul(Function):
    """y = a @ b (NumPy's matmul, batched and broadcast);  ga = gy @ b^T, gb = a^T @ gy.

    A 1-D operand is promoted to a matrix (a row on the left, a column on the
    right) and the added axis removed from y, as in NumPy. Both operands must
    have one dtype (RuntimeError otherwise, as PyTorch; no promotion).
    """

    saves_output = False

    def check_inputs(self, a, b):
        if a.ndim == 0 or b.ndim == 0:
            raise RuntimeError(f"matmul: both operands need at least one dimension, got shapes {a.shape} and {b.shape}")
        check_same_dtype("matmul", ("the first operand", a), ("the second operand", b))
        ka, kb = a.shape[-1], b.shape[-2] if b.ndim > 1 else b.shape[0]
        if ka != kb:
            raise RuntimeError(
                f"matmul: shapes {a.shape} and {b.shape} are not aligned: "
                f"the last dimension of the first ({ka}) must equal the "
                f"{'second-to-last' if b.ndim > 1 else 'only'} dimension of the second ({kb})")
        try:
            np.broadcast_shapes(a.shape[:-2], b.shape[:-2])
        except ValueError:
            raise RuntimeError(f"matmul: batch dimensions of shapes {a.shape} and {b.shape} cannot be broadcast") from None

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


class Maximum(_Binary):
    """y = max(a, b) elementwise, NaN where either is;  PyTorch's gradient rule:
    ga = gy where a > b, gy / 2 where a == b, gy where either is NaN, else 0 (gb likewise).
    The weights are constants, so higher derivatives go through Mul alone."""

    saves_inputs = saves_output = False
    pick = "maximum"

    def forward(self, a, b):
        xp = get_array_module(a)
        y = getattr(xp, self.pick)(a, b)
        a_loses = a < b if self.pick == "maximum" else a > b
        b_loses = b < a if self.pick == "maximum" else b > a
        tie = a == b
        self.weights = [xp.where(tie, 0.5, xp.where(loses, 0.0, 1.0)).astype(y.dtype) for loses in (a_loses, b_loses)]
        return y

    def backward(self, gy):
        return tuple(unbroadcast(gy * w, x.shape) if need else None
                     for w, x, need in zip(self.weights, self.inputs, self.needs_input_grad))

    def backward_graph(self, gy):
        return tuple(sum_to(gy * Tensor._wrap(w), x.shape) if need else None
                     for w, x, need in zip(self.weights, self.inputs, self.needs_input_grad))


class Minimum(Maximum):
    """y = min(a, b) elementwise, NaN where either is;  gradients as for Maximum with the comparison reversed."""

    pick = "minimum"


class Where(_Binary):
    """y = a where cond else b (cond: a constant bool array, broadcast with a and b);
    ga = gy where cond, gb = gy elsewhere, each summed to its input's shape."""

    saves_inputs = saves_output = False

    def __init__(self, cond):
        self.cond = cond

    def check_inputs(self, a, b):
        try:
            np.broadcast_shapes(tuple(self.cond.shape), a.shape, b.shape)
        except ValueError:
            raise RuntimeError(f"where: the shapes of condition {tuple(self.cond.shape)}, input {a.shape} and "
                               f"other {b.shape} cannot be broadcast together") from None

    def forward(self, a, b):
        return get_array_module(a).where(self.cond, a, b)

    def backward(self, gy):
        xp = get_array_module(gy)
        zero = gy.dtype.type(0)
        (a, b), (need_a, need_b) = self.inputs, self.needs_input_grad
        return (unbroadcast(xp.where(self.cond, gy, zero), a.shape) if need_a else None,
                unbroadcast(xp.where(self.cond, zero, gy), b.shape) if need_b else None)

    def backward_graph(self, gy):
        (a, b), (need_a, need_b) = self.inputs, self.needs_input_grad
        return (sum_to(Where(self.cond)(gy, 0.0), a.shape) if need_a else None,
                sum_to(Where(self.cond)(0.0, gy), b.shape) if need_b else None)


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
    graph_uses_output = True

    def forward(self, x):
        self.y = get_array_module(x).exp(x)
        return self.y

    def backward(self, gy):
        return gy * self.y

    def backward_graph(self, gy):
        return gy * self.output_tensor(lambda: exp(self.inputs[0]))


class Log(Function):
    """y = log(x);  gx = gy / x."""

    saves_output = False

    def forward(self, x):
        self.x = x
        with np.errstate(divide="ignore", invalid="ignore"):  # log(0) = -inf, log(-1) = NaN, quietly as PyTorch
            return get_array_module(x).log(x)

    def backward(self, gy):
        with np.errstate(divide="ignore"):  # the gradient at 0 is inf, quietly as PyTorch
            return gy / self.x

    def backward_graph(self, gy):
        return gy / self.inputs[0]


class Sqrt(Function):
    """y = sqrt(x);  gx = gy / (2 y)."""

    saves_inputs = False
    graph_uses_output = True

    def forward(self, x):
        with np.errstate(invalid="ignore"):  # sqrt(-1) = NaN, quietly as PyTorch
            self.y = get_array_module(x).sqrt(x)
        return self.y

    def backward(self, gy):
        with np.errstate(divide="ignore"):  # the gradient at 0 is inf, quietly as PyTorch
            return gy / (2 * self.y)

    def backward_graph(self, gy):
        return gy / (2 * self.output_tensor(lambda: sqrt(self.inputs[0])))


class StdSqrt(Sqrt):
    """y = sqrt(v) of a variance v;  gv = gy / (2 y), but 0 where y = 0 (PyTorch's std_backward: a constant
    sample's standard deviation has gradient 0, not 0 * inf = NaN)."""

    def backward(self, gy):
        g = super().backward(gy)
        zero = self.y == 0
        return get_array_module(g).where(zero, 0, g).astype(g.dtype, copy=False) if zero.any() else g

    def backward_graph(self, gy):
        zero = self.y == 0
        if not zero.any():
            return super().backward_graph(gy)
        # sqrt of 1 where y = 0, so that the next derivative there is 0, not 0 * inf = NaN
        return where(zero, 0.0, gy / (2 * sqrt(where(zero, 1.0, self.inputs[0]))))


def _sigmoid_grad(y, gy):
    """gy * y * (1 - y) on raw arrays (one fused kernel on the GPU)."""
    if get_array_module(gy) is not np:
        return cuda.kernels().sigmoid_backward(gy, y)
    gx = 1 - y
    gx *= y
    gx *= gy
    return gx


class SigmoidGrad(DerivativeFunction):
    """Sigmoid's gradient as an op of (y, gy): gx = gy * y * (1 - y), differentiable again.

    Its own derivatives: d/dy = g * gy * (1 - 2 y),  d/dgy = g * y * (1 - y).
    """

    saves_output = False

    def forward(self, y, gy):
        return _sigmoid_grad(y, gy)

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
    graph_uses_output = True

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
        return SigmoidGrad()(self.output_tensor(lambda: sigmoid(self.inputs[0])), gy)


class Tanh(Function):
    """y = tanh(x);  gx = gy * (1 - y^2)."""

    saves_inputs = False
    graph_uses_output = True

    def forward(self, x):
        self.y = get_array_module(x).tanh(x)
        return self.y

    def backward(self, gy):
        return gy * (1 - self.y * self.y)

    def backward_graph(self, gy):
        y = self.output_tensor(lambda: tanh(self.inputs[0]))
        return gy * (1 - y * y)


class ReLU(Function):
    """y = max(x, 0);  gx = gy where x > 0 or NaN, else 0 (the mask is constant: higher derivatives are 0)."""

    saves_inputs = saves_output = False  # backward reads its own copy, the mask

    def forward(self, x):
        self.mask = ~(x <= 0)  # NaN passes its gradient, as PyTorch's threshold_backward
        return get_array_module(x).maximum(x, 0)

    def backward(self, gy):
        return gy * self.mask

    def backward_graph(self, gy):
        return gy * Tensor._wrap(self.mask.astype(gy.dtype))


class Abs(Function):
    """y = |x|;  gx = gy * sign(x) (0 at x = 0 and at NaN, as PyTorch)."""

    saves_inputs = saves_output = False

    def forward(self, x):
        xp = get_array_module(x)
        self.sign = xp.sign(x)
        if x.dtype.kind == "f":
            self.sign[xp.isnan(x)] = 0  # PyTorch's sgn(NaN) is 0: the gradient at NaN is 0
        return xp.abs(x)

    def backward(self, gy):
        return gy * self.sign

    def backward_graph(self, gy):
        return gy * Tensor._wrap(self.sign)


class Clamp(Function):
    """y = min(max(x, lo), hi) (all hi when lo > hi; NaN stays NaN);  gx = gy where lo <= x <= hi, else 0."""

    saves_inputs = saves_output = False

    def __init__(self, lo, hi):
        self.lo, self.hi = lo, hi

    def forward(self, x):
        xp = get_array_module(x)
        y, inside = x, True
        if self.lo is not None:
            y, inside = xp.maximum(y, self.lo), x >= self.lo
        if self.hi is not None:
            y, inside = xp.minimum(y, self.hi), inside & (x <= self.hi)
        self.inside = inside
        return y.astype(x.dtype, copy=False)

    def backward(self, gy):
        return gy * self.inside

    def backward_graph(self, gy):
        return gy * Tensor._wrap(self.inside.astype(gy.dtype))


class Sin(Function):
    """y = sin(x);  gx = gy * cos(x)."""

    saves_output = False

    def forward(self, x):
        self.x = x
        return get_array_module(x).sin(x)

    def backward(self, gy):
        return gy * get_array_module(gy).cos(self.x)

    def backward_graph(self, gy):
        return gy * cos(self.inputs[0])


class Cos(Function):
    """y = cos(x);  gx = -gy * sin(x)."""

    saves_output = False

    def forward(self, x):
        self.x = x
        return get_array_module(x).cos(x)

    def backward(self, gy):
        return -gy * get_array_module(gy).sin(self.x)

    def backward_graph(self, gy):
        return -gy * sin(self.inputs[0])


class Rounding(Function):
    """y = floor, ceil, round, trunc or sign of x (``name``): piecewise constant, so gx = 0 (as PyTorch)."""

    saves_inputs = saves_output = False

    def __init__(self, name):
        self.name = name

    def forward(self, x):
        self.shape = x.shape
        if x.dtype == np.bool_:  # the sign (floor, ...) of a bool is itself, as in PyTorch (NumPy has no loop)
            return x.copy()
        return getattr(get_array_module(x), self.name)(x)

    def backward(self, gy):
        return get_array_module(gy).zeros(self.shape, dtype=gy.dtype)

    def backward_graph(self, gy):
        return Tensor._wrap(self.backward(gy.array))


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


class SumTo(DerivativeFunction):
    """y = x summed to ``shape`` (undoing a broadcast; BroadcastTo's gradient);  gx = gy broadcast back."""

    saves_inputs = saves_output = False

    def __init__(self, shape):
        self.shape = tuple(shape)

    def forward(self, x):
        self.in_shape = x.shape
        return unbroadcast(x, self.shape)

    def backward_graph(self, gy):
        return BroadcastTo(self.in_shape)(gy)


# ---------------------------------------------------------------------------
# Reductions. float16 input is accumulated in float32 and the result cast back (NumPy's dtype=
# argument), so a float16 sum or mean of many values neither overflows on the way nor loses small terms.

def _accumulate(x, method, axes, keepdims):
    """``x.<method>(axes)`` for 'sum', 'prod' or 'mean'; float16 accumulated in float32, returned as float16;
    bool and integers give int64."""
    if x.dtype == np.float16:
        with np.errstate(over="ignore"):  # a result beyond float16's range is inf, as in PyTorch
            return getattr(x, method)(axis=axes, keepdims=keepdims, dtype=np.float32).astype(np.float16)
    if x.dtype.kind in "biu":  # PyTorch sums and multiplies bool and every integer dtype into int64 (NumPy: uint64)
        return getattr(x, method)(axis=axes, keepdims=keepdims, dtype=np.int64)
    return getattr(x, method)(axis=axes, keepdims=keepdims)


class Sum(Function):
    """y = sum of x over ``axis``;  gx = gy broadcast back over the summed axes."""

    saves_inputs = saves_output = False

    def __init__(self, axis=None, keepdims=False):
        self.axis, self.keepdims = axis, keepdims

    def forward(self, x):
        self.axes = _wrap_dims(self.axis, x.ndim, type(self).__name__.lower())
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


class Mean(Sum):
    """y = mean of x over ``axis`` (m elements each; NaN for m = 0);  gx = gy / m broadcast back."""

    def forward(self, x):
        self.axes = _wrap_dims(self.axis, x.ndim, type(self).__name__.lower())
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


class Max(Sum):
    """y = max of x over ``axis``, NaN where the slice holds a NaN (PyTorch's ``amax`` and full ``max()``).

    gx = gy shared equally among the elements equal to y (the NaNs, for a NaN
    result), 0 elsewhere. The mask and the number of winners are constants, so
    the higher derivatives go through ``Where`` alone.
    """

    reduce = "max"

    def forward(self, x):
        self.axes = _wrap_dims(self.axis, x.ndim, type(self).__name__.lower())
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


class Norm2(Sum):
    """y = sqrt(sum of x^2 over ``axis``);  gx = gy * x / y, and 0 where y = 0 (as PyTorch)."""

    saves_output = True

    def forward(self, x):
        xp = get_array_module(x)
        self.axes = _wrap_dims(self.axis, x.ndim, "norm")
        self.in_shape, self.x = x.shape, x
        self.y = xp.sqrt(_accumulate(x * x, "sum", self.axes, True))
        return self.y if self.keepdims else self.y.reshape(_squeezed(x.shape, self.axes))

    def backward(self, gy):
        xp = get_array_module(gy)
        safe = xp.where(self.y == 0, gy.dtype.type(1), self.y)
        return self._expand(gy) * (self.x / safe)

    def backward_graph(self, gy):
        """gy * (x / y), with x / y set to 0 where y = 0 (PyTorch's norm_backward): the second derivative at
        y = 0, which does not exist, comes out NaN there (0 / 0 in the quotient's derivative) as in PyTorch,
        not a silent 0."""
        x = self.inputs[0]
        with np.errstate(divide="ignore", invalid="ignore"):
            return self._expand_graph(gy) * Where(self.y == 0)(0.0, x / Norm2(self.axes, True)(x))


class Min(Max):
    """y = min of x over ``axis``, NaN where the slice holds a NaN (``amin``, full ``min()``);  gx as for Max."""

    reduce = "min"


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
            raise RuntimeError(f"cannot reshape a tensor of shape {tuple(x.shape)} ({x.size} elements) "
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
            raise RuntimeError(f"transpose: axes {self.axes} are not a permutation of the {x.ndim} axes of shape {x.shape}")
        self.inverse = tuple(np.argsort(axes))
        return x.transpose(axes)

    def backward(self, gy):
        return gy.transpose(self.inverse)

    def backward_graph(self, gy):
        return Transpose(self.inverse)(gy)


def _is_advanced(key):
    parts = key if isinstance(key, tuple) else (key,)
    return builtins.any(not isinstance(k, (int, np.integer, slice, type(None), type(Ellipsis))) for k in parts)


class GetItemGrad(DerivativeFunction):
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

    def backward_graph(self, g):
        return GetItem(self.key)(g)


class IndexPut(Function):
    """``x[key] = v`` recorded: y is x's memory with v (broadcast, cast to x's dtype) written at ``key``;
    gx = gy where nothing was written (0 there), gv = gy[key] summed to v's shape, in v's dtype. Neither
    reads a value, so nothing is saved (PyTorch's CopySlices)."""

    saves_inputs = saves_output = False

    def __init__(self, key):
        self.key = key

    def forward(self, x, v):
        x[self.key] = v
        self.written = get_array_module(x).zeros(x.shape, dtype=bool)
        self.written[self.key] = True
        return x

    def backward(self, gy):
        (_, v), (need_x, need_v) = self.inputs, self.needs_input_grad
        zero = gy.dtype.type(0)
        return (get_array_module(gy).where(self.written, zero, gy) if need_x else None,
                unbroadcast(gy[self.key], v.shape).astype(v.dtype, copy=False) if need_v else None)

    def backward_graph(self, gy):
        (_, v), (need_x, need_v) = self.inputs, self.needs_input_grad
        gv = GetItem(self.key)(gy) if need_v else None
        return (Where(self.written)(0.0, gy) if need_x else None,
                None if gv is None else sum_to(gv if gv.dtype == v.dtype else Cast(v.dtype)(gv), v.shape))


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
            raise RuntimeError(f"cat: shapes {[tuple(x.shape) for x in xs]} do not match outside axis {self.axis}") from None

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
            raise RuntimeError(f"stack: all tensors need the same shape, got {[tuple(x.shape) for x in xs]}")
        return get_array_module(xs[0]).stack(xs, axis=self.axis)

    def backward(self, gy):
        xp = get_array_module(gy)
        return tuple(xp.moveaxis(gy, self.axis, 0))

    def backward_graph(self, gy):
        lead = (slice(None),) * (self.axis % gy.ndim)
        return tuple(GetItem(lead + (i,))(gy) if need else None for i, need in enumerate(self.needs_input_grad))


class Clone(Function):
    """y = a copy of x;  gx = gy."""

    saves_inputs = saves_output = False

    def forward(self, x):
        return x.copy()

    def backward(self, gy):
        return gy

    def backward_graph(self, gy):
        return gy


class Unique(Function):
    """The sorted distinct values of x (and each element's position among them, and their counts).

    No derivative, as in PyTorch (its ``_unique2`` has none): the values are recorded in the graph so that a
    backward reaching them raises instead of leaving out this path's share of the gradient in silence.
    """

    saves_inputs = saves_output = False

    def forward(self, x):
        self.values, inverse, self.counts = get_array_module(x).unique(x, return_inverse=True, return_counts=True)
        self.inverse = inverse.reshape(x.shape)
        return self.values

    def backward(self, gy):
        raise NotImplementedError("unique: the derivative of unique() is not implemented (nor in PyTorch); use "
                           "unique(x.detach()) when its values are meant as constants")

    def backward_graph(self, gy):
        return self.backward(gy)


# ---------------------------------------------------------------------------
# PyTorch's API: the functions behind Tensor's methods and the minigrad.* names. Arguments and
# results follow PyTorch (dim, keepdim, its dtype promotion and error types); NumPy's axis/keepdims
# are accepted as aliases of dim/keepdim, with the same meaning.

class Size(tuple):
    """A tensor's shape as ``torch.Size``: a tuple of ints that also has ``numel()``."""

    def numel(self):
        return math.prod(self)

    def __getitem__(self, index):
        item = tuple.__getitem__(self, index)
        return Size(item) if isinstance(index, slice) else item

    def __add__(self, other):
        return Size(tuple.__add__(self, tuple(other)))

    def __repr__(self):
        return f"minigrad.Size({list(self)})"

    __str__ = tuple.__repr__  # in messages and print() a shape reads (2, 3), as before it was a Size


#: the named tuples ``max(dim=)``/``min(dim=)``/``sort``/``topk`` return, as ``torch.return_types``
return_types = types.SimpleNamespace(**{name: collections.namedtuple(name, ["values", "indices"])
                                        for name in ("max", "min", "sort", "topk")})


def _tensor_arg(x, name):
    if not isinstance(x, Tensor):
        raise TypeError(f"{name}(): expected a Tensor as input, got {type(x).__name__}")
    return x


def _resolve_aliases(name, dim, axis, keepdim=False, keepdims=None):
    """(dim, keepdim) from PyTorch's names or NumPy's ``axis``/``keepdims``; TypeError when both spellings are given."""
    if axis is not None:
        if dim is not None:
            raise TypeError(f"{name}() got both 'dim' and its NumPy alias 'axis'; pass one of them")
        dim = axis
    if keepdims is not None:
        if keepdim:
            raise TypeError(f"{name}() got both 'keepdim' and its NumPy alias 'keepdims'; pass one of them")
        keepdim = keepdims
    return dim, bool(keepdim)


def _wrap_dim(d, ndim, name):
    """``d`` as a dimension in [0, ndim) (negative counts from the end; a 0-d tensor takes 0 and -1), as PyTorch."""
    if isinstance(d, bool) or not isinstance(d, (int, np.integer)):
        raise TypeError(f"{name}(): dim must be an int, got {type(d).__name__} {d!r}")
    bound = builtins.max(ndim, 1)
    if not -bound <= d < bound:
        raise IndexError(f"{name}(): dimension out of range (expected to be in range of [{-bound}, {bound - 1}], "
                         f"but got {d})")
    return int(d) % bound


def _wrap_dims(dim, ndim, name):
    """The sorted dimensions a reduction runs over: an int, a sequence, or None (or empty) for all of them."""
    dims = () if dim is None else tuple(dim) if isinstance(dim, (tuple, list)) else (dim,)
    wrapped = [_wrap_dim(d, ndim, name) for d in dims]
    if len(set(wrapped)) != len(wrapped):
        raise RuntimeError(f"{name}(): dim {dim} names a dimension more than once")
    return tuple(sorted(d for d in wrapped if d < ndim)) if wrapped else tuple(range(ndim))


def _int64_if_integer(x):
    """Integer and bool tensors sum (and multiply) as int64 in PyTorch (NumPy would give uint64 for unsigned)."""
    return x.to(np.int64) if x.dtype.kind in "biu" and x.dtype != np.int64 else x


def _check_floating(x, name):
    if x.dtype.kind != "f":
        raise RuntimeError(f"{name}(): expected a floating-point tensor, got dtype {x.dtype} "
                           "(convert it with .float() or pass dtype=)")


def _squeezed(shape, dims):
    return tuple(n for i, n in enumerate(shape) if i not in dims)


# -- dtype promotion, as PyTorch ---------------------------------------------

_CATEGORY = {"b": 0, "u": 1, "i": 1, "f": 2}


def promote_types(a, b):
    """PyTorch's ``promote_types``: the higher category wins (bool < integer < floating), else NumPy's promotion."""
    a, b = np.dtype(a), np.dtype(b)
    ca, cb = _CATEGORY[a.kind], _CATEGORY[b.kind]
    return (a if ca > cb else b) if ca != cb else np.promote_types(a, b)


def _number_dtype(x):
    if isinstance(x, (bool, np.bool_)):
        return np.dtype(np.bool_)
    if isinstance(x, (int, np.integer)):
        return np.dtype(np.int64)
    if isinstance(x, (float, np.floating)):
        return np.dtype(np.float32)  # the default float type, as a Python float is in PyTorch
    raise TypeError(f"expected a Tensor or a Python number, got {type(x).__name__}")


def result_type(*operands):
    """The dtype of an elementwise op on ``operands`` (tensors and Python numbers), by PyTorch's rule.

    Tensors with dimensions decide, then 0-d tensors, then numbers; an operand
    of a higher category (bool < integer < floating) than the result so far
    raises it to that category: ``int64 tensor + 2.5`` is float32,
    ``float32 tensor + float64 0-d tensor`` float32, ``int32 tensor + 1`` int32.
    """
    groups = [None, None, None]  # tensors with dimensions, 0-d tensors, Python numbers
    for x in operands:
        dtype, group = (x.dtype, 0 if x.ndim else 1) if isinstance(x, Tensor) else (_number_dtype(x), 2)
        groups[group] = dtype if groups[group] is None else promote_types(groups[group], dtype)
    result = None
    for dtype in groups:
        if dtype is not None:
            higher = result is None or _CATEGORY[dtype.kind] > _CATEGORY[result.kind]
            result = dtype if result is None else promote_types(result, dtype) if higher else result
    return result


def _as_dtype(x, dtype, xp):
    """``x`` (a tensor or a number) as a tensor of ``dtype`` (a differentiable cast for tensors)."""
    if isinstance(x, Tensor):
        return x if x.dtype == dtype else Cast(dtype)(x)
    return Tensor._wrap(xp.asarray(x, dtype=dtype))


def _promoted(operands, dtype=None):
    """The operands as tensors of one dtype: ``dtype`` or PyTorch's ``result_type``."""
    dtype = result_type(*operands) if dtype is None else dtype
    ref = next((x for x in operands if isinstance(x, Tensor)), None)
    xp = np if ref is None else get_array_module(ref.array)
    return tuple(_as_dtype(x, dtype, xp) for x in operands)


def _operand(x):
    """A binary op's operand: a Tensor or a Python number as given, a NumPy/CuPy array as a Tensor."""
    if isinstance(x, (Tensor, int, float)):
        return x
    if isinstance(x, np.generic) or get_array_module(x) is not np or isinstance(x, np.ndarray):
        return Tensor(x)
    raise TypeError(f"unsupported operand type for a tensor op: {type(x).__name__} (expected a Tensor, a number "
                    "or an array)")


def _binary(fn, a, b):
    """Apply the binary Function ``fn`` after PyTorch's dtype promotion (fast when nothing needs converting)."""
    a, b = _operand(a), _operand(b)
    if isinstance(a, Tensor):
        if isinstance(b, Tensor) and a.dtype == b.dtype:
            return fn(a, b)
        if a.dtype.kind == "f" and isinstance(b, (int, float)):  # a number takes a float tensor's dtype
            return fn(a, b)
    elif isinstance(b, Tensor) and b.dtype.kind == "f" and isinstance(a, (int, float)):
        return fn(a, b)
    return fn(*_promoted((a, b)))


# -- elementwise ---------------------------------------------------------------

def _refuse_bool(name, *operands):
    """PyTorch refuses ``-`` on bool tensors (``~`` inverts a mask); NumPy would compute or raise its own error."""
    if builtins.any(isinstance(x, Tensor) and x.dtype == np.bool_ for x in operands):
        raise RuntimeError(f"{name}, the `-` operator, with a bool tensor is not supported; "
                           "to invert a mask use the `~` operator or logical_not()")


def add(a, b): return _binary(Add(), a, b)


def sub(a, b):
    _refuse_bool("Subtraction", a, b)
    return _binary(Sub(), a, b)


def mul(a, b): return _binary(Mul(), a, b)
def pow(a, b): return _binary(Pow(), a, b)  # noqa: A001 (the operator's name)


def div(a, b):
    """True division; integer operands give the default float type (float32), as in PyTorch."""
    a, b = _operand(a), _operand(b)
    dtype = result_type(a, b)
    dtype = dtype if dtype.kind == "f" else np.dtype(np.float32)
    tensors = [x for x in (a, b) if isinstance(x, Tensor)]
    if tensors and builtins.all(x.dtype == dtype for x in tensors):  # a number takes the tensors' dtype
        return Div()(a, b)
    return Div()(*_promoted((a, b), dtype))


def matmul(a, b): return MatMul()(a, b)
def neg(x):
    _refuse_bool("Negation", x)
    return Neg()(x)
def _floating(x):
    """``x`` for the float-valued unary ops: an integer or bool tensor as the default float type (float32), as
    PyTorch computes ``exp``, ``sigmoid``, ... of one (NumPy would give float64, or fail writing in place)."""
    if isinstance(x, Tensor) and x.dtype.kind != "f":
        return Tensor._wrap(x.array.astype(np.float32))
    return x


def exp(x): return Exp()(_floating(x))
def log(x): return Log()(_floating(x))
def sqrt(x): return Sqrt()(_floating(x))
def sigmoid(x): return Sigmoid()(_floating(x))
def tanh(x): return Tanh()(_floating(x))
def relu(x): return ReLU()(x)
def abs(x): return Abs()(x)  # noqa: A001


def square(x):
    """x * x."""
    return mul(x, x)


def maximum(a, b):
    """Elementwise maximum, NaN where either is NaN (``torch.maximum``)."""
    return Maximum()(*_promoted((_tensor_arg(a, "maximum"), _tensor_arg(b, "maximum"))))


def minimum(a, b):
    """Elementwise minimum, NaN where either is NaN (``torch.minimum``)."""
    return Minimum()(*_promoted((_tensor_arg(a, "minimum"), _tensor_arg(b, "minimum"))))


def clamp(x, min=None, max=None):  # noqa: A002 (PyTorch's argument names)
    """Each element limited to [min, max] (numbers or tensors, broadcast; ``max`` wins where min > max), as
    ``torch.clamp``. With a tensor bound: where(x < min, min, x), then where(. > max, max, .), so a value equal
    to a bound gets the gradient and the bound gets it where it is chosen (PyTorch's rule)."""
    if min is None and max is None:
        raise RuntimeError("clamp(): at least one of 'min' or 'max' must not be None")
    for name, bound in (("min", min), ("max", max)):
        if bound is not None and not isinstance(bound, Tensor) and (
                isinstance(bound, bool) or not isinstance(bound, numbers.Real)):
            raise TypeError(f"clamp(): {name} must be a number or a Tensor, got {type(bound).__name__} {bound!r}")
    if isinstance(min, Tensor) or isinstance(max, Tensor):
        out = x if min is None else where(x < min, min, x)
        return out if max is None else where(out > max, max, out)
    if x.dtype.kind != "f" and builtins.any(isinstance(b, float) for b in (min, max)):
        x = x.to(np.float32)
    return Clamp(min, max)(x)


clip = clamp


def where(condition, input=None, other=None):  # noqa: A002
    """``input`` where ``condition`` (a bool tensor) holds, else ``other`` (tensors or numbers, broadcast).

    With the condition alone: the indices of its True elements, one int64 tensor per dimension.
    """
    cond = condition.array if isinstance(condition, Tensor) else np.asarray(condition)
    if cond.dtype != np.bool_:
        raise RuntimeError(f"where(): expected the condition to be a bool tensor, got dtype {cond.dtype}")
    if input is None and other is None:
        return tuple(Tensor._wrap(i.astype(np.int64)) for i in get_array_module(cond).nonzero(cond))
    if input is None or other is None:
        raise TypeError("where() takes the condition alone or the condition, input and other")
    for name, value in (("input", input), ("other", other)):
        if not isinstance(value, (Tensor, numbers.Number)):
            raise TypeError(f"where(): {name} must be a Tensor or a number, got {type(value).__name__}")
    return Where(cond)(*_promoted((input, other)))


# -- reductions ----------------------------------------------------------------

def sum(x, dim=None, keepdim=False, *, dtype=None, axis=None, keepdims=None):  # noqa: A001
    """Sum over ``dim`` (an int, a tuple, or None for all), as ``torch.sum``; float16 accumulates in float32."""
    dim, keepdim = _resolve_aliases("sum", dim, axis, keepdim, keepdims)
    x = _tensor_arg(x, "sum") if dtype is None else _tensor_arg(x, "sum").to(dtype)
    x = _int64_if_integer(x)
    return Sum(_wrap_dims(dim, x.ndim, "sum"), keepdim)(x)


def mean(x, dim=None, keepdim=False, *, dtype=None, axis=None, keepdims=None):
    """Mean over ``dim`` (an int, a tuple, or None for all), as ``torch.mean``; floating-point input only."""
    dim, keepdim = _resolve_aliases("mean", dim, axis, keepdim, keepdims)
    x = _tensor_arg(x, "mean") if dtype is None else _tensor_arg(x, "mean").to(dtype)
    _check_floating(x, "mean")
    return Mean(_wrap_dims(dim, x.ndim, "mean"), keepdim)(x)


def _correction(name, dim, unbiased, correction):
    """(dim, correction) from torch.var's overloads: ``var(x, False)`` is ``unbiased=False``."""
    if isinstance(dim, bool):
        dim, unbiased = None, dim
    if unbiased is not None and correction is not None:
        raise TypeError(f"{name}() takes 'unbiased' or 'correction', not both")
    if correction is not None and (isinstance(correction, bool) or not isinstance(correction, numbers.Real)):
        raise TypeError(f"{name}(): correction must be a number, got {type(correction).__name__} {correction!r}")
    return dim, (1 if unbiased is None else int(unbiased)) if correction is None else correction


def var(x, dim=None, unbiased=None, keepdim=False, *, correction=None, axis=None, keepdims=None):
    """Variance over ``dim``: sum((x - mean)^2) / (m - correction), as ``torch.var``.

    ``correction`` is 1 by default (the unbiased estimate; ``unbiased=False`` means 0).
    m - correction <= 0 divides by 0 (inf or NaN), as PyTorch.
    """
    return _variance("var", x, dim, unbiased, keepdim, correction, axis, keepdims)


def std(x, dim=None, unbiased=None, keepdim=False, *, correction=None, axis=None, keepdims=None):
    """Standard deviation: sqrt of ``var`` with the same arguments, as ``torch.std`` (gradient 0 where it is 0)."""
    return StdSqrt()(_variance("std", x, dim, unbiased, keepdim, correction, axis, keepdims))


def _variance(name, x, dim, unbiased, keepdim, correction, axis, keepdims):
    """``var``'s computation; its errors name ``name`` (var or std)."""
    dim, correction = _correction(name, dim, unbiased, correction)
    dim, keepdim = _resolve_aliases(name, dim, axis, keepdim, keepdims)
    _check_floating(_tensor_arg(x, name), name)
    dims = _wrap_dims(dim, x.ndim, name)
    m = math.prod(x.shape[d] for d in dims)
    centred = x - mean(x, dims, keepdim=True)
    return sum(centred * centred, dims, keepdim) / float(builtins.max(m - correction, 0))  # Div: x / 0 quietly


def _check_reducible(x, dims, name, error=IndexError):
    """An error (IndexError by default, as PyTorch) for a reduction with no identity (max, argmax) over nothing."""
    if x.numel() == 0:
        if not dims or len(dims) == x.ndim:
            raise error(f"{name}(): expected a reduction dim to be specified for an input with 0 elements "
                        f"(shape {x.shape})")
        empty = [d for d in dims if x.shape[d] == 0]
        if empty:
            raise IndexError(f"{name}(): expected reduction dim {empty[0]} to have non-zero size (shape {x.shape})")


def _arg_extreme(x, dim, keepdim, name):
    """Index of the first largest (argmax) or smallest (argmin) element along ``dim`` (None: flat); NaN counts as extreme."""
    arr = x.array
    if arr.dtype == np.bool_:
        raise RuntimeError(f"{name}(): does not support bool input (as PyTorch); convert it with .int() or .float()")
    xp = get_array_module(arr)
    pick = xp.argmax if name.endswith("max") else xp.argmin
    if dim is None:
        _check_reducible(x, (), name)
        index = pick(arr.reshape(-1)).astype(np.int64)
        return Tensor._wrap(index.reshape((1,) * x.ndim) if keepdim else index)
    d = _wrap_dim(dim, x.ndim, name)
    if x.ndim == 0:
        return Tensor._wrap(xp.zeros((), dtype=np.int64))
    _check_reducible(x, (d,), name)
    return Tensor._wrap(pick(arr, axis=d, keepdims=keepdim).astype(np.int64, copy=False))


def argmax(x, dim=None, keepdim=False, *, axis=None, keepdims=None):
    """Index of the first maximal element (of the flattened tensor when ``dim`` is None), as ``torch.argmax``."""
    dim, keepdim = _resolve_aliases("argmax", dim, axis, keepdim, keepdims)
    return _arg_extreme(_tensor_arg(x, "argmax"), dim, keepdim, "argmax")


def argmin(x, dim=None, keepdim=False, *, axis=None, keepdims=None):
    """Index of the first minimal element (of the flattened tensor when ``dim`` is None), as ``torch.argmin``."""
    dim, keepdim = _resolve_aliases("argmin", dim, axis, keepdim, keepdims)
    return _arg_extreme(_tensor_arg(x, "argmin"), dim, keepdim, "argmin")


def _extreme(x, dim, keepdim, axis, keepdims, name):
    """``torch.max``/``torch.min``: the value, a (values, indices) named tuple along ``dim``, or elementwise."""
    if isinstance(dim, Tensor):
        return (maximum if name == "max" else minimum)(x, dim)
    dim, keepdim = _resolve_aliases(name, dim, axis, keepdim, keepdims)
    _tensor_arg(x, name)
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
    d = _wrap_dim(dim, x.ndim, name)
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
    dims = _wrap_dims(dim, _tensor_arg(x, "amax").ndim, "amax")
    _check_reducible(x, dims, "amax")
    return Max(dims, keepdim)(x)


def amin(x, dim=(), keepdim=False, *, axis=None, keepdims=None):
    """The smallest values over ``dim``, as ``torch.amin`` (see :func:`amax`)."""
    dim, keepdim = _resolve_aliases("amin", None if dim == () else dim, axis, keepdim, keepdims)
    dims = _wrap_dims(dim, _tensor_arg(x, "amin").ndim, "amin")
    _check_reducible(x, dims, "amin")
    return Min(dims, keepdim)(x)


def prod(x, dim=None, keepdim=False, *, dtype=None):
    """Product over one ``dim`` (None: all elements), as ``torch.prod``; exact gradients where x holds zeros."""
    x = _int64_if_integer(_tensor_arg(x, "prod") if dtype is None else _tensor_arg(x, "prod").to(dtype))
    if dim is None:
        if keepdim:
            raise TypeError("prod(): keepdim needs a dim")
        return Prod()(x)
    d = _wrap_dim(dim, x.ndim, "prod")
    return Prod(d if x.ndim else None, keepdim)(x)


def logsumexp(x, dim, keepdim=False):
    """log(sum(exp(x))) over ``dim`` (an int or a tuple), computed stably, as ``torch.logsumexp``.

    The largest value m of each slice is subtracted first and added back:
    log(sum(exp(x - m))) + m, with m a constant (any constant gives the same
    function, so every derivative is exact); an infinite m is replaced by 0.
    """
    x = _tensor_arg(x, "logsumexp")
    if x.dtype.kind != "f":
        x = x.to(np.float32)  # integers are promoted to the default float type
    dims = _wrap_dims(dim, x.ndim, "logsumexp")
    xp = get_array_module(x.array)
    if x.numel():
        shift = x.array.max(axis=dims, keepdims=True)
        shift = xp.where(xp.isfinite(shift), shift, x.dtype.type(0))
    else:
        shift = xp.zeros(_reduced_shape(x.shape, dims), dtype=x.dtype)
    m = Tensor._wrap(shift)
    y = log(sum(exp(x - m), dims, keepdim=True)) + m  # a slice of -inf gives log(0) = -inf (quietly), as it should
    return y if keepdim else reshape(y, _squeezed(x.shape, dims))


# -- shape ops -------------------------------------------------------------------

def _view_of(out, x):
    """``out``, a view op's result, shares ``x``'s version counter when it shares its memory, as in PyTorch:
    an in-place change through either is then seen by the autograd checks of both."""
    if get_array_module(x.array).may_share_memory(out.array, x.array):
        out._vc = x._vc
        # a later recorded write into x would not reach this view, nor one into the view x (Tensor._record_in_place)
        x._viewed = out._viewed = True
    return out


def _shape_args(shape, name):
    """A shape given as varargs (``reshape(2, 3)``) or as one sequence (``reshape((2, 3))``): a tuple of ints."""
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    for n in shape:
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)):
            raise TypeError(f"{name}(): sizes must be ints, got {type(n).__name__} {n!r} in {shape}")
    return tuple(int(n) for n in shape)


def _infer_shape(shape, in_shape, name):
    """``shape`` with its one -1 replaced so that it holds the elements of ``in_shape``; RuntimeError where impossible."""
    numel = math.prod(in_shape)
    unknown = [i for i, n in enumerate(shape) if n == -1]
    if len(unknown) > 1:
        raise RuntimeError(f"{name}(): only one dimension can be inferred, got shape {list(shape)}")
    if builtins.any(n < -1 for n in shape):
        raise RuntimeError(f"{name}(): invalid shape dimension {builtins.min(shape)} in {list(shape)}")
    known = math.prod(n for n in shape if n != -1)
    if unknown:
        if known == 0:
            raise RuntimeError(f"{name}(): cannot reshape a tensor of shape {tuple(in_shape)} into shape {shape}: "
                               "the size of the -1 dimension is ambiguous")
        if numel % known == 0:
            return shape[:unknown[0]] + (numel // known,) + shape[unknown[0] + 1:]
    elif known == numel:
        return shape
    raise RuntimeError(f"{name}(): shape {shape} is invalid for a tensor of shape {tuple(in_shape)} ({numel} elements)")


def reshape(x, *shape):
    """``x`` with a new shape of the same number of elements (one size may be -1), as ``torch.reshape``:
    a view of the same memory where the layout allows, else a copy."""
    shape = _infer_shape(_shape_args(shape, "reshape"), _tensor_arg(x, "reshape").shape, "reshape")
    return _view_of(Reshape(shape)(x), x)


def view(x, *shape):
    """``reshape`` that must share ``x``'s memory (RuntimeError where it cannot), as ``Tensor.view``."""
    if len(shape) == 1 and not isinstance(shape[0], (tuple, list, int, np.integer)):
        raise NotImplementedError(f"view({shape[0]!r}): reinterpreting memory as another dtype is not supported "
                                  "by minigrad; convert with .to(dtype)")
    shape = _infer_shape(_shape_args(shape, "view"), x.shape, "view")
    if x.numel() and not get_array_module(x.array).may_share_memory(x.array.reshape(shape), x.array):
        raise RuntimeError(f"view(): a tensor of shape {x.shape} whose memory is not contiguous cannot be viewed "
                           f"as shape {list(shape)}; use .reshape(...) instead")
    return reshape(x, shape)


def flatten(x, start_dim=0, end_dim=-1):
    """Dimensions start_dim..end_dim merged into one, as ``torch.flatten`` (a 0-d tensor becomes 1-D)."""
    if _tensor_arg(x, "flatten").ndim == 0:
        return reshape(x, 1)
    start, end = _wrap_dim(start_dim, x.ndim, "flatten"), _wrap_dim(end_dim, x.ndim, "flatten")
    if start > end:
        raise RuntimeError(f"flatten(): start_dim ({start_dim}) cannot come after end_dim ({end_dim})")
    merged = math.prod(x.shape[start:end + 1])  # explicit: a size-0 batch flattens too
    return reshape(x, x.shape[:start] + (merged,) + x.shape[end + 1:])


def squeeze(x, dim=None):
    """``x`` without its dimensions of size 1 (only those in ``dim``, an int or a tuple, when given)."""
    dims = range(x.ndim) if dim is None else _wrap_dims(dim, x.ndim, "squeeze")
    return reshape(x, _squeezed(x.shape, {d for d in dims if x.shape[d] == 1}))


def unsqueeze(x, dim):
    """``x`` with a new dimension of size 1 at ``dim`` (in [-ndim - 1, ndim])."""
    d = _wrap_dim(dim, _tensor_arg(x, "unsqueeze").ndim + 1, "unsqueeze")
    return reshape(x, x.shape[:d] + (1,) + x.shape[d:])


def expand(x, *sizes):
    """A view of ``x`` repeated along its size-1 dimensions (and new leading ones) to ``sizes``; -1 keeps a size."""
    sizes = _shape_args(sizes, "expand")
    lead = len(sizes) - x.ndim
    if lead < 0:
        raise RuntimeError(f"expand(): the number of sizes provided ({len(sizes)}) must be greater or equal to "
                           f"the number of dimensions in the tensor ({x.ndim})")
    target = []
    for i, n in enumerate(sizes):
        have = x.shape[i - lead] if i >= lead else None
        if n == -1 and have is not None:
            n = have
        if n < 0:
            raise RuntimeError(f"expand(): the expanded size {n} is not allowed in dimension {i} "
                               f"(sizes {list(sizes)}, tensor of shape {list(x.shape)})")
        if have is not None and have != 1 and n != have:
            raise RuntimeError(f"expand(): the expanded size of the tensor ({n}) must match the existing size "
                               f"({have}) at non-singleton dimension {i}. Target sizes: {list(sizes)}. "
                               f"Tensor sizes: {list(x.shape)}")
        target.append(n)
    return _view_of(BroadcastTo(tuple(target))(x), x)


def permute(x, *dims):
    """``x`` with its dimensions reordered: output dimension i is input dimension dims[i], as ``torch.permute``."""
    dims = _shape_args(dims, "permute")
    if len(dims) != x.ndim:
        raise RuntimeError(f"permute(): the number of dims ({len(dims)}) does not match the tensor's "
                           f"{x.ndim} dimensions (shape {x.shape})")
    wrapped = tuple(_wrap_dim(d, x.ndim, "permute") for d in dims)
    if len(set(wrapped)) != len(wrapped):
        raise RuntimeError(f"permute(): duplicate dims are not allowed, got {dims}")
    return _view_of(Transpose(wrapped)(x), x)


def transpose(x, dim0, dim1):
    """``x`` with dimensions ``dim0`` and ``dim1`` swapped, as ``torch.transpose``."""
    perm = list(range(_tensor_arg(x, "transpose").ndim))
    d0, d1 = _wrap_dim(dim0, x.ndim, "transpose"), _wrap_dim(dim1, x.ndim, "transpose")
    if x.ndim:
        perm[d0], perm[d1] = perm[d1], perm[d0]
    return _view_of(Transpose(tuple(perm))(x), x)


def reverse_dims(x):
    """``Tensor.T``: a matrix transposed; other ranks reversed with PyTorch's deprecation warning (0-d, 1-D, >2-D)."""
    if x.ndim != 2:
        warnings.warn("Tensor.T on a tensor of dimension other than 2 is deprecated in PyTorch; use .mT to "
                      "transpose batches of matrices or .permute(...) to reverse the dimensions", UserWarning,
                      stacklevel=3)
    return _view_of(Transpose(tuple(reversed(range(x.ndim))))(x), x)


def matrix_transpose(x):
    """``Tensor.mT``: the last two dimensions swapped (a batch of matrices transposed)."""
    if x.ndim < 2:
        raise RuntimeError(f"tensor.mT is only supported on matrices or batches of matrices, got a {x.ndim}-D tensor")
    return transpose(x, -2, -1)


def t(x):
    """``torch.t``: a matrix transposed; a 0-d or 1-D tensor unchanged; more dimensions raise."""
    if x.ndim > 2:
        raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but it has {x.ndim} (shape {x.shape})")
    return transpose(x, 0, -1) if x.ndim == 2 else reshape(x, x.shape)


def _raw_key(key, xp):
    """The index as arrays of ``xp`` (the indexed tensor's library): tensors, lists and arrays converted."""
    if isinstance(key, tuple):
        return tuple(_raw_key(k, xp) for k in key)
    if isinstance(key, Tensor):
        key = key.array
    if isinstance(key, list) or hasattr(key, "__array_interface__") or hasattr(key, "__cuda_array_interface__"):
        key = xp.asarray(backend.to_numpy(key) if xp is np else key)
        if key.dtype == np.uint8:  # PyTorch reads a uint8 index as a mask (deprecated there), not as positions
            return key.astype(bool)
        return key.astype(np.int64) if key.size == 0 else key  # x[[]]: an empty list selects nothing
    return key


def getitem(x, key):
    for k in key if isinstance(key, tuple) else (key,):
        if isinstance(k, slice) and k.step is not None and k.step <= 0:
            raise ValueError(f"step must be greater than zero, got slice {k} (as PyTorch; flip with "
                             "x[minigrad.arange(n - 1, -1, -1)] instead)")
    key = _raw_key(key, get_array_module(x.array))
    out = GetItem(key)(x)
    return out if _is_advanced(key) else _view_of(out, x)


def clone(x):
    """A copy of ``x`` that gradients flow through, as ``torch.clone``."""
    return Clone()(x)


def contiguous(x):
    """``x`` itself when its memory is C-contiguous, else a contiguous copy (differentiable)."""
    return x if x.array.flags.c_contiguous else clone(x)


def _check_sequence(tensors, name):
    """cat and stack take a non-empty list or tuple of tensors (a Tensor would be split into its rows)."""
    if not isinstance(tensors, (list, tuple)):
        raise TypeError(f"{name}() expects a list or tuple of tensors, got {type(tensors).__name__}")
    if not tensors:
        raise ValueError(f"{name}() expects a non-empty list of tensors, got an empty one")
    for i, t in enumerate(tensors):
        if not isinstance(t, Tensor):
            raise TypeError(f"{name}() expects a sequence of tensors, got {type(t).__name__} at position {i}")


def _join_dim(dim, axis, name):
    if axis is not None and dim is not None:
        raise TypeError(f"{name}() got both 'dim' and its NumPy alias 'axis'; pass one of them")
    return 0 if dim is None and axis is None else axis if dim is None else dim


def cat(tensors, dim=None, *, axis=None):
    """Join tensors along an existing dimension ``dim`` (default 0), as ``torch.cat``.

    Their sizes must match outside ``dim``; dtypes are promoted; a 1-D empty
    tensor is skipped, as PyTorch does for compatibility.
    """
    _check_sequence(tensors, "cat")
    dim = _join_dim(dim, axis, "cat")
    for i, t in enumerate(tensors):
        if t.ndim == 0:
            raise RuntimeError(f"cat(): a zero-dimensional tensor (at position {i}) cannot be concatenated")
    legacy_empty = builtins.any(t.ndim != 1 for t in tensors)  # then 1-D empty tensors are skipped
    joined = [t for t in tensors if not (legacy_empty and t.shape == (0,))] or [tensors[0]]
    d = _wrap_dim(dim, joined[0].ndim, "cat")
    for i, t in enumerate(joined):
        if t.ndim != joined[0].ndim:
            raise RuntimeError(f"cat(): tensors must have the same number of dimensions: got shapes "
                               f"{joined[0].shape} and {t.shape}")
        if _squeezed(t.shape, (d,)) != _squeezed(joined[0].shape, (d,)):
            raise RuntimeError(f"cat(): sizes of tensors must match except in dimension {d}: got shapes "
                               f"{[tuple(u.shape) for u in joined]}")
    return Concatenate(d)(*_promoted(joined))


def stack(tensors, dim=None, *, axis=None):
    """Join same-shaped tensors along a new dimension ``dim`` (default 0), as ``torch.stack``."""
    _check_sequence(tensors, "stack")
    dim = _join_dim(dim, axis, "stack")
    for i, t in enumerate(tensors):
        if t.shape != tensors[0].shape:
            raise RuntimeError(f"stack(): expects each tensor to be equal size, but got {list(tensors[0].shape)} "
                               f"at entry 0 and {list(t.shape)} at entry {i}")
    d = _wrap_dim(dim, tensors[0].ndim + 1, "stack")
    return Stack(d)(*_promoted(tensors))


concat = concatenate = cat


# -- more of PyTorch's everyday names --------------------------------------------

def sin(x): return Sin()(_floating(x))
def cos(x): return Cos()(_floating(x))


def rsqrt(x):
    """1 / sqrt(x)."""
    return pow(x, -0.5)


def add_alpha(a, b, alpha=1):
    """``torch.add(a, b, alpha=)``: a + alpha * b."""
    return add(a, b if alpha == 1 else mul(b, alpha))


def sub_alpha(a, b, alpha=1):
    """``torch.sub(a, b, alpha=)``: a - alpha * b."""
    return sub(a, b if alpha == 1 else mul(b, alpha))


def div_mode(a, b, rounding_mode=None):
    """``torch.div``: true division, or rounded ('trunc' toward 0, 'floor' down; integers stay integers,
    the gradient is 0)."""
    if rounding_mode is None:
        return div(a, b)
    if rounding_mode not in ("trunc", "floor"):
        raise RuntimeError(f"div(): rounding_mode must be None, 'trunc' or 'floor', got {rounding_mode!r}")
    a, b = _operand(a), _operand(b)
    if result_type(a, b).kind in "biu":
        a, b = _integer_divisor_checked(a, b, "div")
        xp = get_array_module(a.array)
        quotient = xp.floor_divide(a.array, b.array)
        if rounding_mode == "trunc":  # floor rounds negative quotients down, trunc toward 0
            quotient = quotient + ((quotient < 0) & (xp.remainder(a.array, b.array) != 0))
        return Tensor._wrap(quotient)
    return Rounding(rounding_mode)(div(a, b))


def logical_not(x):
    """True where ``x`` is zero (False): a bool tensor, as ``torch.logical_not``."""
    return Tensor._wrap(get_array_module(x.array).logical_not(x.array))


def reciprocal(x):
    """1 / x (integers give float32, as PyTorch)."""
    return div(1, x)


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
    d = _wrap_dim(dim, x.ndim, "argsort")
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
    d = _wrap_dim(dim, x.ndim, "topk")
    n = x.shape[d] if x.ndim else 1
    if not 0 <= k <= n:
        raise RuntimeError(f"topk(): selected index k={k} out of range for a dimension of size {n}")
    if x.ndim == 0:
        return return_types.topk(clone(x), Tensor._wrap(np.zeros((), dtype=np.int64)))
    order = _sort_order(x.array, d, largest)[(slice(None),) * d + (slice(0, k),)]
    indices = Tensor._wrap(order.astype(np.int64, copy=False))
    return return_types.topk(gather(x, d, indices), indices)


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


def unflatten(x, dim, sizes):
    """Dimension ``dim`` split into ``sizes`` (one may be -1), as ``torch.unflatten``."""
    d = _wrap_dim(dim, x.ndim, "unflatten")
    return reshape(x, x.shape[:d] + tuple(sizes) + x.shape[d + 1:])


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


def all(x, dim=None, keepdim=False):  # noqa: A001
    """True where every element over ``dim`` (None: all) is nonzero; a bool tensor."""
    return Tensor._wrap(get_array_module(x.array).all(x.array, axis=_wrap_dims(dim, x.ndim, "all"), keepdims=keepdim))


def any(x, dim=None, keepdim=False):  # noqa: A001
    """True where some element over ``dim`` (None: all) is nonzero; a bool tensor."""
    return Tensor._wrap(get_array_module(x.array).any(x.array, axis=_wrap_dims(dim, x.ndim, "any"), keepdims=keepdim))


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


def mm(a, b):
    """Matrix product of two 2-D tensors (``torch.mm``)."""
    if a.ndim != 2 or b.ndim != 2:
        raise RuntimeError(f"mm(): expected two 2-D tensors, got shapes {a.shape} and {b.shape}")
    return matmul(a, b)


def bmm(a, b):
    """Batched matrix product of two 3-D tensors with the same batch size (``torch.bmm``)."""
    if a.ndim != 3 or b.ndim != 3 or a.shape[0] != b.shape[0]:
        raise RuntimeError(f"bmm(): expected two 3-D tensors with the same batch size, got shapes {a.shape} and {b.shape}")
    return matmul(a, b)


def dot(a, b):
    """Inner product of two 1-D tensors of the same length (``torch.dot``)."""
    if a.ndim != 1 or b.ndim != 1 or a.shape != b.shape:
        raise RuntimeError(f"dot(): expected two 1-D tensors of the same length, got shapes {a.shape} and {b.shape}")
    return matmul(a, b)


def gather(x, dim, index):
    """out[i][j][k] = x[index[i][j][k]][j][k] for dim 0 (and likewise for the others), as ``torch.gather``;
    the gradient is scatter-added back (repeated indices accumulate)."""
    d = _wrap_dim(dim, x.ndim, "gather")
    idx = index.array if isinstance(index, Tensor) else np.asarray(index)
    if idx.dtype.kind not in "iu":
        raise RuntimeError(f"gather(): expected an int64 index, got dtype {idx.dtype}")
    if idx.ndim != x.ndim or builtins.any(idx.shape[i] > x.shape[i] for i in range(x.ndim) if i != d):
        raise RuntimeError(f"gather(): index of shape {tuple(idx.shape)} does not fit input of shape {x.shape} "
                           f"(same number of dimensions, no larger outside dim {d})")
    if idx.size and (int(idx.min()) < 0 or int(idx.max()) >= x.shape[d]):
        bad = int(idx.min()) if int(idx.min()) < 0 else int(idx.max())
        raise RuntimeError(f"gather(): index {bad} is out of bounds for dimension {d} with size {x.shape[d]}")
    xp = get_array_module(x.array)
    key = tuple(xp.asarray(idx) if i == d else xp.arange(n).reshape([-1 if j == i else 1 for j in range(x.ndim)])
                for i, n in enumerate(idx.shape))
    return GetItem(key)(x)


def masked_select(x, mask):
    """The elements of ``x`` where the bool ``mask`` holds (both broadcast), as a 1-D tensor (differentiable)."""
    cond = mask.array if isinstance(mask, Tensor) else np.asarray(mask)
    if cond.dtype != np.bool_:
        raise RuntimeError(f"masked_select(): expected a bool mask, got dtype {cond.dtype}")
    shape = np.broadcast_shapes(x.shape, cond.shape)
    return getitem(expand(x, *shape) if x.shape != shape else x, get_array_module(cond).broadcast_to(cond, shape))


def masked_fill(x, mask, value):
    """``x`` with ``value`` where the bool ``mask`` (broadcast) is True; the dtype stays x's."""
    cond = mask.array if isinstance(mask, Tensor) else np.asarray(mask)
    if cond.dtype != np.bool_:
        raise RuntimeError(f"masked_fill(): expected a bool mask, got dtype {cond.dtype}")
    if isinstance(value, Tensor) and value.ndim != 0:  # PyTorch: RuntimeError, a 0-d value tensor only
        raise RuntimeError(f"masked_fill only supports a 0-dimensional value tensor, got shape {value.shape}")
    if not isinstance(value, (Tensor, numbers.Number)):
        raise TypeError(f"masked_fill(): value must be a number or a 0-d tensor, got {type(value).__name__}")
    return Where(cond)(*_promoted((value, x), x.dtype))  # a 0-d tensor value gets its gradient, as in PyTorch


def split(x, split_size_or_sections, dim=0):
    """``x`` cut along ``dim`` into pieces of one size (the last may be smaller) or of the listed sizes (views)."""
    d = _wrap_dim(dim, x.ndim, "split")
    n = x.shape[d]
    if isinstance(split_size_or_sections, (tuple, list)):
        sizes = list(split_size_or_sections)
        if builtins.sum(sizes) != n:
            raise RuntimeError(f"split(): sizes {sizes} do not add up to {n}, the size of dimension {d}")
    else:
        if split_size_or_sections <= 0:
            raise RuntimeError(f"split(): split size must be positive, got {split_size_or_sections}")
        sizes = [builtins.min(split_size_or_sections, n - s) for s in range(0, n, split_size_or_sections)] or [0]
    lead, start, pieces = (slice(None),) * d, 0, []
    for size in sizes:
        pieces.append(getitem(x, lead + (slice(start, start + size),)))
        start += size
    return tuple(pieces)


def chunk(x, chunks, dim=0):
    """``x`` cut along ``dim`` into at most ``chunks`` pieces of ceil(n / chunks) elements (views)."""
    if chunks <= 0:
        raise RuntimeError(f"chunk(): chunks must be positive, got {chunks}")
    n = x.shape[_wrap_dim(dim, x.ndim, "chunk")]
    return split(x, builtins.max(-(-n // chunks), 1), dim)


def repeat(x, *sizes):
    """``x`` tiled ``sizes[i]`` times along dimension i (new leading dimensions allowed), as ``Tensor.repeat``."""
    sizes = _shape_args(sizes, "repeat")
    if len(sizes) < x.ndim:
        raise RuntimeError(f"repeat(): the number of repeats ({len(sizes)}) cannot be smaller than the number of "
                           f"dimensions of the tensor ({x.ndim})")
    shape = (1,) * (len(sizes) - x.ndim) + x.shape
    interleaved = builtins.sum(((1, n) for n in shape), ())  # (1, n0, 1, n1, ...) -> (r0, n0, r1, n1, ...)
    tiled = expand(reshape(x, interleaved), *builtins.sum(((r, n) for r, n in zip(sizes, shape)), ()))
    return reshape(tiled, tuple(r * n for r, n in zip(sizes, shape)))


def _rounding(name):
    def op(x):
        return Rounding(name)(_tensor_arg(x, name))
    op.__name__ = name
    op.__doc__ = f"Elementwise {name} (gradient 0, as PyTorch)."
    return op


floor, ceil, trunc, sign = (_rounding(n) for n in ("floor", "ceil", "trunc", "sign"))


def round(x, *, decimals=0):  # noqa: A001
    """Elementwise rounding to ``decimals`` places, halves to even (gradient 0, as PyTorch)."""
    if isinstance(decimals, bool) or not isinstance(decimals, (int, np.integer)):
        raise TypeError(f"round(): decimals must be an int, got {type(decimals).__name__} {decimals!r}")
    if decimals == 0:
        return Rounding("round")(_tensor_arg(x, "round"))
    scale = 10.0 ** decimals
    return div(Rounding("round")(mul(x, scale)), scale)


def cumsum(x, dim=None, *, dtype=None, axis=None):
    """Cumulative sum along ``dim`` (NumPy's ``axis`` accepted, as PyTorch does), as ``torch.cumsum`` (integers
    and bools sum as int64)."""
    dim, _ = _resolve_aliases("cumsum", dim, axis)
    if dim is None:
        raise TypeError("cumsum() missing 1 required argument: 'dim'")
    x = _int64_if_integer(_tensor_arg(x, "cumsum") if dtype is None else _tensor_arg(x, "cumsum").to(dtype))
    d = _wrap_dim(dim, x.ndim, "cumsum")
    return Cumsum(d)(x) if x.ndim else clone(x)


def nonzero(x, *, as_tuple=False):
    """Indices of the nonzero elements: an (n, ndim) int64 tensor, or one index tensor per dimension."""
    found = get_array_module(x.array).nonzero(x.array.reshape(-1) if x.ndim == 0 else x.array)
    if as_tuple:
        return tuple(Tensor._wrap(i.astype(np.int64)) for i in found)
    if x.ndim == 0:  # as PyTorch: one row per nonzero element, no columns
        return Tensor._wrap(get_array_module(x.array).zeros((found[0].size, 0), dtype=np.int64))
    return Tensor._wrap(get_array_module(x.array).stack(found, axis=-1).astype(np.int64))


def _integer_divisor_checked(a, b, name):
    """Integer operands promoted; RuntimeError for a zero divisor (NumPy would quietly give 0, PyTorch raises)."""
    a, b = _promoted((a, b))
    if not b.array.all():
        raise RuntimeError(f"{name}(): ZeroDivisionError: integer division by zero")
    return a, b


def floor_divide(a, b):
    """a / b rounded down (``//``, ``div(rounding_mode='floor')``): integers stay integers; the gradient is 0."""
    return div_mode(a, b, "floor")


def remainder(a, b):
    """a - floor(a / b) * b, the sign of b's (Python's ``%``); ga = gy, gb = -floor(a / b) * gy."""
    a, b = _operand(a), _operand(b)
    if result_type(a, b).kind in "biu":
        a, b = _integer_divisor_checked(a, b, "remainder")
        return Tensor._wrap(get_array_module(a.array).remainder(a.array, b.array))
    with np.errstate(invalid="ignore"):  # x % 0 is NaN (inf * 0), quietly as PyTorch
        return sub(a, mul(floor_divide(a, b), b))


def norm(x, p="fro", dim=None, keepdim=False):
    """The 2-norm (``p`` 2 or 'fro', the default) or 1-norm of ``x`` over ``dim`` (None: all elements).

    The 2-norm's gradient x / norm is 0 where the norm is 0, as PyTorch's.
    """
    x = _tensor_arg(x, "norm")
    _check_floating(x, "norm")
    if p == 1:
        return sum(abs(x), dim, keepdim)
    if p not in (2, "fro"):
        raise NotImplementedError(f"norm(p={p!r}) is not supported by minigrad (p=2, 'fro' and 1 are)")
    return Norm2(_wrap_dims(dim, x.ndim, "norm"), keepdim)(x)


def unbind(x, dim=0):
    """The slices of ``x`` along ``dim``, as a tuple of views (``torch.unbind``)."""
    d = _wrap_dim(dim, x.ndim, "unbind")
    return tuple(getitem(x, (slice(None),) * d + (i,)) for i in range(x.shape[d]))


_TYPE_NAMES = {"float32": "Float", "float64": "Double", "float16": "Half", "int64": "Long", "int32": "Int",
               "int16": "Short", "int8": "Char", "uint8": "Byte", "bool": "Bool"}
_TYPE_DTYPES = {f"torch.{name}Tensor": dtype for dtype, name in _TYPE_NAMES.items()}


def type_of(x, dtype=None):
    """``Tensor.type``: without an argument PyTorch's name of the tensor type ('torch.FloatTensor',
    'torch.cuda.FloatTensor'), so that comparisons written for PyTorch hold; with a dtype, ``x.to(dtype)``."""
    if dtype is None:
        where = "torch.cuda." if x.device.type == "cuda" else "torch."
        return f"{where}{_TYPE_NAMES.get(x.dtype.name, x.dtype.name)}Tensor"
    if isinstance(dtype, str) and dtype.endswith("Tensor"):
        if dtype not in _TYPE_DTYPES:
            raise TypeError(f"type({dtype!r}): not a CPU tensor type minigrad knows; pass a dtype")
        dtype = _TYPE_DTYPES[dtype]
    return x.to(dtype)


def compare(name, a, b):
    """Elementwise comparison (no gradient); the result is a bool tensor. ``t == None`` is False, as in PyTorch."""
    if b is None and name in ("equal", "not_equal"):
        return name == "not_equal"
    a, b = _as_tensors((a, b), name)
    xp = get_array_module(a.array)
    return Tensor._wrap(getattr(xp, name)(a.array, b.array))
