"""Elementwise binary arithmetic with NumPy broadcasting and PyTorch's dtype promotion (add, sub, mul,
div, pow, maximum, minimum, floor_divide, remainder); each backward sums its gradient back to its input's shape.
"""
import builtins
import numbers

import numpy as np

from minigrad.backend import get_array_module
from minigrad.core import Tensor
from minigrad.dtypes import wrapped_int
from minigrad.ops.conversion import _promoted, result_type
from minigrad.ops.indexing import where
from minigrad.ops.pointwise import Rounding, log
from minigrad.ops.utils import _Binary, _operand, _refuse_bool, select, sum_to, tensor_arg, unbroadcast



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


def add(a, b): return _binary(Add(), a, b)


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


def sub(a, b):
    _refuse_bool("Subtraction", a, b)
    return _binary(Sub(), a, b)


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


def mul(a, b): return _binary(Mul(), a, b)


class Pow(_Binary):
    """y = a ** b;  ga = gy * b * a^(b-1) (0 where b = 0), gb = gy * y * log(a) (0 where a = 0 and b >= 0).

    The two exceptions are PyTorch's: without them 0 * a^-1 and 0 * log(0) would be NaN at a = 0.
    """

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
                y = self.output_tensor()
                gb = sum_to(gy * y * log(a if a_zero is None else where(a_zero, 1.0, a)), b.shape)
        return ga, gb


def pow(a, b): return _binary(Pow(), a, b)  # noqa: A001 (the operator's name)


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


def div(a, b):
    """True division; integer operands give the default float type (float32), as in PyTorch."""
    a, b = _operand(a), _operand(b)
    dtype = result_type(a, b)
    dtype = dtype if dtype.kind == "f" else np.dtype(np.float32)
    tensors = [x for x in (a, b) if isinstance(x, Tensor)]
    if tensors and builtins.all(x.dtype == dtype for x in tensors):  # a number takes the tensors' dtype
        return Div()(a, b)
    return Div()(*_promoted((a, b), dtype))


def square(x):
    """x * x."""
    return mul(x, x)


class Maximum(_Binary):
    """y = max(a, b) elementwise, NaN where either is;  PyTorch's gradient rule:
    ga = gy where a > b, gy / 2 where a == b, gy where either is NaN, else 0 even for an inf gy (gb likewise).
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

    def backward(self, gy):  # selected first: a loser's gradient is 0 even for an inf gy (inf * 0 is NaN)
        return tuple(unbroadcast(select(gy, w != 0) * w, shape) if need else None
                     for w, shape, need in zip(self.weights, self.input_shapes, self.needs_input_grad))

    def backward_graph(self, gy):
        return tuple(sum_to(where(Tensor._wrap(w != 0), gy, 0.0) * Tensor._wrap(w), shape) if need else None
                     for w, shape, need in zip(self.weights, self.input_shapes, self.needs_input_grad))


def maximum(a, b):
    """Elementwise maximum, NaN where either is NaN (``torch.maximum``)."""
    return Maximum()(*_promoted((tensor_arg(a, "maximum"), tensor_arg(b, "maximum"))))


class Minimum(Maximum):
    """y = min(a, b) elementwise, NaN where either is;  gradients as for Maximum with the comparison reversed."""

    pick = "minimum"


def minimum(a, b):
    """Elementwise minimum, NaN where either is NaN (``torch.minimum``)."""
    return Minimum()(*_promoted((tensor_arg(a, "minimum"), tensor_arg(b, "minimum"))))


def rsqrt(x):
    """1 / sqrt(x)."""
    return pow(x, -0.5)


def add_alpha(a, b, alpha=1):
    """``torch.add(a, b, alpha=)``: a + alpha * b."""
    return add(a, b if alpha == 1 else mul(b, alpha))


def sub_alpha(a, b, alpha=1):
    """``torch.sub(a, b, alpha=)``: a - alpha * b."""
    return sub(a, b if alpha == 1 else mul(b, alpha))


def _integer_divisor_checked(a, b, name):
    """Integer operands promoted; RuntimeError for a zero divisor (NumPy would quietly give 0, PyTorch raises)."""
    a, b = _promoted((a, b))
    if not b.array.all():
        raise RuntimeError(f"{name}(): ZeroDivisionError: integer division by zero")
    return a, b


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


def reciprocal(x):
    """1 / x (integers give float32, as PyTorch)."""
    return div(1, x)


def round(x, *, decimals=0):  # noqa: A001
    """Elementwise rounding to ``decimals`` places, halves to even (gradient 0, as PyTorch)."""
    if isinstance(decimals, bool) or not isinstance(decimals, (int, np.integer)):
        raise TypeError(f"round(): decimals must be an int, got {type(decimals).__name__} {decimals!r}")
    if decimals == 0:
        return Rounding("round")(tensor_arg(x, "round"))
    scale = 10.0 ** decimals
    return div(Rounding("round")(mul(x, scale)), scale)


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


#: functions that are also Tensor methods with the same arguments (``x.name(...)`` is ``name(x, ...)``)
TENSOR_FUNCTIONS = ("square", "round", "reciprocal", "rsqrt")


class ArithmeticMethods:
    """Tensor's operators and in-place arithmetic: methods whose arguments differ from the functions', installed by
    ``minigrad.ops.install_tensor_methods``."""

    def _in_place_operand(self, name, other, true_division=False):
        """``other`` (raw) for ``self <op>= other``: RuntimeError, as PyTorch, when the result would need
        another shape or a dtype that ``self`` cannot hold (NumPy would raise its own casting error)."""
        o = self._raw(_operand(other), name)
        if isinstance(o, numbers.Integral) and not isinstance(o, bool) and self.array.dtype.kind in "iu":
            o = wrapped_int(o, self.array.dtype)  # as PyTorch: uint8 add_(300) adds 44
        try:
            result = np.result_type(self.array.dtype, o.dtype if hasattr(o, "dtype") else o)
        except OverflowError:
            raise RuntimeError(f"{name}: value {o} cannot be converted to type {self.array.dtype} without "
                               f"overflow") from None
        if true_division:
            result = np.result_type(result, np.float32)
        if not np.can_cast(result, self.array.dtype, "same_kind"):
            raise RuntimeError(f"{name}: result type {result} can't be cast to the desired output type "
                               f"{self.array.dtype}")
        shape = tuple(getattr(o, "shape", ()))
        if shape != self.array.shape and np.broadcast_shapes(shape, self.array.shape) != self.array.shape:
            raise RuntimeError(f"{name}: output with shape {self.shape} doesn't match the broadcast shape "
                               f"{np.broadcast_shapes(shape, self.array.shape)}")
        return o

    def add_(self, other, alpha=1):
        if self._records("add_", other):
            return self._record_in_place("add_", add_alpha, (other, alpha), reads_old=False)
        o = self._in_place_operand("add_", other)
        return self._modify("add_", lambda a: a.__iadd__(o if alpha == 1 else o * alpha))

    def sub_(self, other, alpha=1):
        if self._records("sub_", other):
            return self._record_in_place("sub_", sub_alpha, (other, alpha), reads_old=False)
        o = self._in_place_operand("sub_", other)
        return self._modify("sub_", lambda a: a.__isub__(o if alpha == 1 else o * alpha))

    def mul_(self, other):
        if self._records("mul_", other):
            return self._record_in_place("mul_", mul, (other,))
        o = self._in_place_operand("mul_", other)
        return self._modify("mul_", lambda a: a.__imul__(o))

    def div_(self, other):
        if self._records("div_", other):
            return self._record_in_place("div_", div, (other,))
        o = self._in_place_operand("div_", other, true_division=True)
        return self._modify("div_", lambda a: a.__itruediv__(o))

    def pow_(self, exponent): return self._apply_in_place("pow_", pow, exponent)
    def rsqrt_(self): return self._apply_in_place("rsqrt_", rsqrt)
    def square_(self): return self._apply_in_place("square_", square)
    def reciprocal_(self): return self._apply_in_place("reciprocal_", reciprocal)
    # operators: PyTorch's names, arguments and meanings
    def __add__(self, other): return add(self, other)
    def __radd__(self, other): return add(other, self)
    def __sub__(self, other): return sub(self, other)
    def __rsub__(self, other): return sub(other, self)
    def __mul__(self, other): return mul(self, other)
    def __rmul__(self, other): return mul(other, self)
    def __truediv__(self, other): return div(self, other)
    def __rtruediv__(self, other): return div(other, self)
    def __pow__(self, other): return pow(self, other)
    def __rpow__(self, other): return pow(other, self)
    def __floordiv__(self, other): return floor_divide(self, other)
    def __rfloordiv__(self, other): return floor_divide(other, self)
    def __mod__(self, other): return remainder(self, other)
    def __rmod__(self, other): return remainder(other, self)
    def add(self, other, *, alpha=1): return add_alpha(self, other, alpha)
    def sub(self, other, *, alpha=1): return sub_alpha(self, other, alpha)
    def mul(self, other): return mul(self, other)
    def div(self, other, *, rounding_mode=None): return div_mode(self, other, rounding_mode)
    def pow(self, exponent): return pow(self, exponent)
    def maximum(self, other): return maximum(self, other)
    def minimum(self, other): return minimum(self, other)
    def remainder(self, other): return remainder(self, other)
