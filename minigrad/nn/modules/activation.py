"""Activation layers: ReLU, Sigmoid, Tanh, LeakyReLU, ELU, GELU, SiLU, ReLU6, Softplus, Softmax, LogSoftmax."""
import math

from minigrad import ops
from minigrad.checks import check_real
from minigrad.nn._functions.activation import elu, gelu, leaky_relu, relu, relu6, silu, softplus
from minigrad.nn.modules.module import Module
from minigrad.ops.activation import log_softmax, softmax


class Sigmoid(Module):
    def forward(self, x):
        return ops.sigmoid(x)


class ReLU(Module):
    """max(x, 0); ``inplace=True`` writes it into the input (``relu(x, inplace=True)``)."""

    def __init__(self, inplace=False):
        super().__init__()
        self.inplace = inplace

    def forward(self, x):
        return relu(x, self.inplace)

    def extra_repr(self):
        return "inplace=True" if self.inplace else ""


class Tanh(Module):
    def forward(self, x):
        return ops.tanh(x)


class _AlongDim(Module):
    """A module applying a function along one dimension ``dim``."""

    def __init__(self, dim=None):
        super().__init__()
        self.dim = dim

    def extra_repr(self):
        return f"dim={self.dim}"


class Softmax(_AlongDim):
    """``softmax(x, dim)``."""

    def forward(self, x):
        return softmax(x, self.dim)


class LogSoftmax(_AlongDim):
    """``log_softmax(x, dim)``."""

    def forward(self, x):
        return log_softmax(x, self.dim)


class LeakyReLU(Module):
    """``leaky_relu(x, negative_slope, inplace)``."""

    def __init__(self, negative_slope=0.01, inplace=False):
        super().__init__()
        self.negative_slope = check_real("negative_slope", negative_slope, -math.inf)
        self.inplace = inplace

    def forward(self, x):
        return leaky_relu(x, self.negative_slope, self.inplace)

    def extra_repr(self):
        return f"negative_slope={self.negative_slope}" + (", inplace=True" if self.inplace else "")


class ELU(Module):
    """``elu(x, alpha, inplace)``."""

    def __init__(self, alpha=1.0, inplace=False):
        super().__init__()
        self.alpha = check_real("alpha", alpha, -math.inf)
        self.inplace = inplace

    def forward(self, x):
        return elu(x, self.alpha, self.inplace)

    def extra_repr(self):
        return f"alpha={self.alpha}" + (", inplace=True" if self.inplace else "")


class GELU(Module):
    """``gelu(x, approximate)``, ``approximate`` 'none' (erf) or 'tanh'."""

    def __init__(self, approximate="none"):
        super().__init__()
        if approximate not in ("none", "tanh"):
            raise RuntimeError(f"approximate argument must be either none or tanh, got {approximate!r}")
        self.approximate = approximate

    def forward(self, x):
        return gelu(x, approximate=self.approximate)

    def extra_repr(self):
        return f"approximate={self.approximate!r}"


class SiLU(Module):
    """``silu(x, inplace)``."""

    def __init__(self, inplace=False):
        super().__init__()
        self.inplace = inplace

    def forward(self, x):
        return silu(x, self.inplace)

    def extra_repr(self):
        return "inplace=True" if self.inplace else ""


class ReLU6(Module):
    """``relu6(x, inplace)``."""

    def __init__(self, inplace=False):
        super().__init__()
        self.inplace = inplace

    def forward(self, x):
        return relu6(x, self.inplace)

    def extra_repr(self):
        return "inplace=True" if self.inplace else ""


class Softplus(Module):
    """``softplus(x, beta, threshold)``."""

    def __init__(self, beta=1.0, threshold=20.0):
        super().__init__()
        self.beta = check_real("beta", beta, -math.inf)
        self.threshold = check_real("threshold", threshold, -math.inf)

    def forward(self, x):
        return softplus(x, self.beta, self.threshold)

    def extra_repr(self):
        return f"beta={self.beta}, threshold={self.threshold}"
