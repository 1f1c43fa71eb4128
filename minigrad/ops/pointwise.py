"""Elementwise unary ops (neg, exp, log, sqrt, abs, clamp, sin, cos, rounding, log1p, erf, sinh, cosh).
Notation: x, y are the op's input and output, gy = dL/dy the upstream gradient, gx = dL/dx.
"""
import builtins
import math
import numbers

import numpy as np

from minigrad.backend import get_array_module
from minigrad.core import Function, Tensor
from minigrad.dtypes import checked_scalar
from minigrad.ops.indexing import where
from minigrad.ops.utils import _refuse_bool, floating, select, tensor_arg



class Exp(Function):
    """y = exp(x);  gx = gy * y."""

    saves_inputs = False

    def forward(self, x):
        self.y = get_array_module(x).exp(x)
        return self.y

    def backward(self, gy):
        return gy * self.y

    def backward_graph(self, gy):
        return gy * self.output_tensor()


def exp(x):
    """e^x elementwise (an integer or bool tensor in float32, as PyTorch)."""
    return Exp()(floating(x))


class Sqrt(Function):
    """y = sqrt(x);  gx = gy / (2 y)."""

    saves_inputs = False

    def forward(self, x):
        with np.errstate(invalid="ignore"):  # sqrt(-1) = NaN, quietly as PyTorch
            self.y = get_array_module(x).sqrt(x)
        return self.y

    def backward(self, gy):
        with np.errstate(divide="ignore", invalid="ignore"):  # inf at 0 (NaN for gy = 0), quietly as PyTorch
            return gy / (2 * self.y)

    def backward_graph(self, gy):
        return gy / (2 * self.output_tensor())


def sqrt(x):
    """The square root elementwise (an integer or bool tensor in float32)."""
    return Sqrt()(floating(x))


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
        # 1 in place of y where y = 0, so that the next derivative there is 0, not 0 * inf = NaN
        return where(zero, 0.0, gy / (2 * where(zero, 1.0, self.output_tensor())))


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


def sin(x):
    """sin(x) elementwise (an integer or bool tensor in float32)."""
    return Sin()(floating(x))


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


def cos(x):
    """cos(x) elementwise (an integer or bool tensor in float32)."""
    return Cos()(floating(x))


class Neg(Function):
    """y = -x;  gx = -gy."""

    saves_inputs = saves_output = False

    def forward(self, x):
        return -x

    def backward(self, gy):
        return -gy

    def backward_graph(self, gy):
        return -gy


def neg(x):
    """-x elementwise (a bool tensor is refused, as PyTorch)."""
    _refuse_bool("Negation", x)
    return Neg()(x)


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


def log(x):
    """The natural logarithm elementwise (an integer or bool tensor in float32)."""
    return Log()(floating(x))


class Abs(Function):
    """y = |x|;  gx = gy * sign(x) (0 at x = 0 and at NaN, as PyTorch)."""

    saves_inputs = saves_output = False

    def forward(self, x):
        xp = get_array_module(x)
        self.sign = xp.sign(x, out=xp.empty_like(x))  # out=: an array for a 0-d x too (NumPy returns a scalar)
        if x.dtype.kind == "f":
            self.sign[xp.isnan(x)] = 0  # PyTorch's sgn(NaN) is 0: the gradient at NaN is 0
        return xp.abs(x)

    def backward(self, gy):
        return gy * self.sign

    def backward_graph(self, gy):
        return gy * Tensor._wrap(self.sign)


def abs(x):  # noqa: A001
    """|x| elementwise."""
    return Abs()(x)


class Clamp(Function):
    """y = min(max(x, lo), hi) (all hi when lo > hi; NaN stays NaN);  gx = gy where lo <= x <= hi, else 0 (even
    for an inf gy)."""

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
        return select(gy, self.inside)

    def backward_graph(self, gy):
        return where(Tensor._wrap(self.inside), gy, 0.0)


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
    elif x.dtype.kind in "iu":  # PyTorch's check of an integer bound (RuntimeError), an unsigned one wrapped
        return Clamp(*(None if b is None else checked_scalar(b, x.dtype) for b in (min, max)))(x)
    return Clamp(min, max)(x)


clip = clamp


def logical_not(x):
    """True where ``x`` is zero (False): a bool tensor, as ``torch.logical_not``."""
    return Tensor._wrap(get_array_module(x.array).logical_not(x.array))


class Rounding(Function):
    """y = floor, ceil, round, trunc or sign of x (``name``): piecewise constant, so gx = 0 (as PyTorch)."""

    saves_inputs = saves_output = False

    def __init__(self, name):
        self.name = name

    def forward(self, x):
        self.shape = x.shape
        if x.dtype == np.bool_:  # the sign (floor, ...) of a bool is itself, as in PyTorch (NumPy has no loop)
            return x.copy()
        xp = get_array_module(x)
        y = getattr(xp, self.name)(x)
        return xp.nan_to_num(y, nan=0.0) if self.name == "sign" and x.dtype.kind == "f" else y  # sign(NaN) is 0

    def backward(self, gy):
        return get_array_module(gy).zeros(self.shape, dtype=gy.dtype)

    def backward_graph(self, gy):
        return Tensor._wrap(self.backward(gy.array))


def _rounding(name):
    def op(x):
        return Rounding(name)(tensor_arg(x, name))
    op.__name__ = name
    op.__doc__ = f"Elementwise {name} (gradient 0, as PyTorch)."
    return op


floor, ceil, trunc, sign = (_rounding(n) for n in ("floor", "ceil", "trunc", "sign"))


class Log1p(Function):
    """y = log(1 + x), exact for tiny x;  gx = gy / (1 + x)."""

    saves_output = False

    def forward(self, x):
        self.x = x
        with np.errstate(divide="ignore", invalid="ignore"):  # log1p(-1) = -inf, log1p(-2) = NaN, as PyTorch
            return get_array_module(x).log1p(x)

    def backward(self, gy):
        with np.errstate(divide="ignore"):
            return gy / (1 + self.x)

    def backward_graph(self, gy):
        return gy / (1 + self.inputs[0])


def log1p(input):  # noqa: A002 (PyTorch's argument name)
    """log(1 + x) elementwise, accurate where x is tiny (integers computed as float32, as PyTorch)."""
    return Log1p()(floating(tensor_arg(input, "log1p")))


_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)


def _erf(x):
    """erf on a raw array: CuPy's kernel on the GPU; on the CPU ``math.erf`` per element (NumPy has no erf)."""
    xp = get_array_module(x)
    if xp is not np:
        from cupyx.scipy import special  # only with CuPy
        return special.erf(x)
    return np.asarray(np.frompyfunc(math.erf, 1, 1)(x), dtype=x.dtype)


class Erf(Function):
    """y = erf(x) = 2/sqrt(pi) * integral_0^x exp(-t^2) dt;  gx = gy * 2/sqrt(pi) * exp(-x^2)."""

    saves_output = False

    def forward(self, x):
        self.x = x
        return _erf(x)

    def backward(self, gy):
        xp = get_array_module(gy)
        return gy * (_TWO_OVER_SQRT_PI * xp.exp(-self.x * self.x))

    def backward_graph(self, gy):
        x = self.inputs[0]
        return gy * (_TWO_OVER_SQRT_PI * exp(-(x * x)))


def erf(input):  # noqa: A002
    """The error function elementwise (integers computed as float32, as PyTorch)."""
    return Erf()(floating(tensor_arg(input, "erf")))


class Sinh(Function):
    """y = sinh(x);  gx = gy * cosh(x)."""

    saves_output = False

    def forward(self, x):
        self.x = x
        with np.errstate(over="ignore"):  # inf beyond the dtype's range, as PyTorch (no warning)
            return get_array_module(x).sinh(x)

    def backward(self, gy):
        with np.errstate(over="ignore"):
            return gy * get_array_module(gy).cosh(self.x)

    def backward_graph(self, gy):
        return gy * cosh(self.inputs[0])


def sinh(input):  # noqa: A002 (PyTorch's argument name)
    """The hyperbolic sine elementwise (integers computed as float32, as PyTorch)."""
    return Sinh()(floating(tensor_arg(input, "sinh")))


class Cosh(Function):
    """y = cosh(x);  gx = gy * sinh(x)."""

    saves_output = False

    def forward(self, x):
        self.x = x
        with np.errstate(over="ignore"):
            return get_array_module(x).cosh(x)

    def backward(self, gy):
        with np.errstate(over="ignore"):
            return gy * get_array_module(gy).sinh(self.x)

    def backward_graph(self, gy):
        return gy * sinh(self.inputs[0])


def cosh(input):  # noqa: A002
    """The hyperbolic cosine elementwise (integers computed as float32, as PyTorch)."""
    return Cosh()(floating(tensor_arg(input, "cosh")))


#: functions that are also Tensor methods with the same arguments (``x.name(...)`` is ``name(x, ...)``)
TENSOR_FUNCTIONS = ("exp", "log", "sqrt", "abs", "neg", "clamp", "sin", "floor", "ceil", "trunc", "sign",
                    "logical_not", "cos", "log1p", "erf", "sinh", "cosh")


class PointwiseMethods:
    """Tensor's in-place elementwise forms and operators:
    methods whose arguments differ from the functions', installed by ``minigrad.ops.install_tensor_methods``."""

    def clamp_(self, min=None, max=None):  # noqa: A002 (PyTorch's argument names)
        """``clamp(min, max)`` written into self; the result must keep this tensor's dtype."""
        if self._records("clamp_", min, max):
            return self._record_in_place("clamp_", clamp, (min, max))
        values = clamp(self, min, max)
        if values.dtype != self.dtype:
            raise RuntimeError(f"clamp_: result type {values.dtype} can't be cast to the desired output type "
                               f"{self.dtype}")
        return self._modify("clamp_", lambda a: a.__setitem__(Ellipsis, values.array))

    clip_ = clamp_
    def exp_(self): return self._apply_in_place("exp_", exp)
    def log_(self): return self._apply_in_place("log_", log)
    def log1p_(self): return self._apply_in_place("log1p_", log1p)
    def sqrt_(self): return self._apply_in_place("sqrt_", sqrt)
    def abs_(self): return self._apply_in_place("abs_", abs, reads_old=False)
    def neg_(self): return self._apply_in_place("neg_", neg, reads_old=False)
    def __neg__(self): return neg(self)
    def __abs__(self): return abs(self)
    clip = clamp
