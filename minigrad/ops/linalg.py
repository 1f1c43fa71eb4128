"""Matrix products (matmul, mm, bmm, dot) and norms."""
import numpy as np

from minigrad import backend
from minigrad.backend import get_array_module
from minigrad.core import Function
from minigrad.ops.indexing import Where
from minigrad.ops.pointwise import abs
from minigrad.ops.reduction import Sum, sum
from minigrad.ops.shape import _matrix_transpose
from minigrad.ops.utils import (_accumulate, _check_floating, _squeezed, check_same_dtype, sum_to, tensor_arg,
                                unbroadcast, wrap_dims)


def _product(a, b):
    """a @ b of raw arrays: of two matrices, ``backend.matmul`` (split over minigrad's threads when large)."""
    return backend.matmul(a, b) if a.ndim == b.ndim == 2 else a @ b


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
            raise RuntimeError(f"matmul: batch dimensions of shapes {a.shape} and {b.shape} cannot be "
                               f"broadcast") from None

    def forward(self, a, b):
        self.a2 = a[None, :] if a.ndim == 1 else a
        self.b2 = b[:, None] if b.ndim == 1 else b
        self.shape_a, self.shape_b = a.shape, b.shape
        return _product(a, b)

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
            ga = unbroadcast(_product(gy2, xp.swapaxes(b2, -1, -2)), a2.shape).reshape(self.shape_a)
        if self.needs_input_grad[1]:
            gb = unbroadcast(_product(xp.swapaxes(a2, -1, -2), gy2), b2.shape).reshape(self.shape_b)
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


def matmul(a, b): return MatMul()(a, b)


def mm(a, b):
    """Matrix product of two 2-D tensors (``torch.mm``)."""
    if a.ndim != 2 or b.ndim != 2:
        raise RuntimeError(f"mm(): expected two 2-D tensors, got shapes {a.shape} and {b.shape}")
    return matmul(a, b)


def bmm(a, b):
    """Batched matrix product of two 3-D tensors with the same batch size (``torch.bmm``)."""
    if a.ndim != 3 or b.ndim != 3 or a.shape[0] != b.shape[0]:
        raise RuntimeError(f"bmm(): expected two 3-D tensors with the same batch size, got shapes {a.shape} and "
                           f"{b.shape}")
    return matmul(a, b)


def dot(a, b):
    """Inner product of two 1-D tensors of the same length (``torch.dot``)."""
    if a.ndim != 1 or b.ndim != 1 or a.shape != b.shape:
        raise RuntimeError(f"dot(): expected two 1-D tensors of the same length, got shapes {a.shape} and {b.shape}")
    return matmul(a, b)


class Norm2(Sum):
    """y = sqrt(sum of x^2 over ``axis``);  gx = gy * x / y, and 0 where y = 0 (as PyTorch)."""

    saves_inputs = saves_output = True

    def forward(self, x):
        xp = get_array_module(x)
        self.axes = wrap_dims(self.axis, x.ndim, "norm")
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


def norm(x, p="fro", dim=None, keepdim=False):
    """The 2-norm (``p`` 2 or 'fro', the default) or 1-norm of ``x`` over ``dim`` (None: all elements).

    The 2-norm's gradient x / norm is 0 where the norm is 0, as PyTorch's.
    """
    x = tensor_arg(x, "norm")
    _check_floating(x, "norm")
    if p == 1:
        return sum(abs(x), dim, keepdim)
    if p not in (2, "fro"):
        raise NotImplementedError(f"norm(p={p!r}) is not supported by minigrad (p=2, 'fro' and 1 are)")
    return Norm2(wrap_dims(dim, x.ndim, "norm"), keepdim)(x)


#: functions that are also Tensor methods with the same arguments (``x.name(...)`` is ``name(x, ...)``)
TENSOR_FUNCTIONS = ("norm",)


class LinalgMethods:
    """Tensor's matrix-product operators and methods: methods whose arguments differ from the functions', installed by
    ``minigrad.ops.install_tensor_methods``."""

    def __matmul__(self, other): return matmul(self, other)
    def __rmatmul__(self, other): return matmul(other, self)
    def matmul(self, other): return matmul(self, other)
    def mm(self, other): return mm(self, other)
