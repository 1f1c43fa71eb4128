"""Special functions that other ops are built from: log1p and erf (``torch.log1p``, ``torch.erf``)."""
import math

import numpy as np

from minigrad.backend import get_array_module
from minigrad.core import Function
from minigrad import ops

_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)


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
        return gy * (_TWO_OVER_SQRT_PI * ops.exp(-(x * x)))


def log1p(input):  # noqa: A002 (PyTorch's argument name)
    """log(1 + x) elementwise, accurate where x is tiny (integers computed as float32, as PyTorch)."""
    return Log1p()(ops._floating(ops._tensor_arg(input, "log1p")))


def erf(input):  # noqa: A002
    """The error function elementwise (integers computed as float32, as PyTorch)."""
    return Erf()(ops._floating(ops._tensor_arg(input, "erf")))
