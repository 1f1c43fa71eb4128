"""Activation functions with PyTorch's names and arguments (relu, leaky_relu, elu, gelu, silu, softplus, relu6;
sigmoid and tanh are tensor ops) and normalize.

Those beyond relu/sigmoid/tanh are composed of differentiable ops (where, exp, log1p, erf, tanh, sigmoid), so
every derivative, to any order, comes from theirs; branches that are not selected are clamped so that they never
overflow (an inf in an unselected branch would turn its zero gradient into NaN).
"""
import math

from minigrad import ops
from minigrad.checks import check_real, wrap_dim
from minigrad.core import Tensor
from minigrad.nn._utils import in_place_or_not



def sigmoid(x): return ops.sigmoid(x)
def tanh(x): return ops.tanh(x)


def relu(input, inplace=False):  # noqa: A002
    """max(x, 0); with ``inplace=True`` written into ``input`` (``input.relu_()``), which is returned."""
    if inplace:
        return ops.tensor_arg(input, "relu").relu_()
    return ops.relu(input)


def _float_input(x, name):
    """``x``, a floating-point Tensor; NotImplementedError for integers, as PyTorch's kernels."""
    if not isinstance(x, Tensor):
        raise TypeError(f"{name}(): argument 'input' must be Tensor, not {type(x).__name__}")
    if x.dtype.kind != "f":
        raise NotImplementedError(f'"{name}" not implemented for dtype {x.dtype} (floating-point tensors only)')
    return x


def leaky_relu(input, negative_slope=0.01, inplace=False):  # noqa: A002 (PyTorch's argument names)
    """x where x > 0, else negative_slope * x (gradient negative_slope at 0, as PyTorch)."""
    x = _float_input(input, "leaky_relu")
    slope = check_real("negative_slope", negative_slope, -math.inf)
    return in_place_or_not(x, inplace, "leaky_relu", lambda x: ops.where(x > 0, x, x * slope))


def elu(input, alpha=1.0, inplace=False):  # noqa: A002
    """x where x > 0, else alpha * (exp(x) - 1) (gradient alpha at 0, as PyTorch)."""
    x = _float_input(input, "elu")
    alpha = check_real("alpha", alpha, -math.inf)
    return in_place_or_not(x, inplace, "elu",
                           lambda x: ops.where(x > 0, x, alpha * (ops.exp(ops.clamp(x, max=0.0)) - 1)))


def silu(input, inplace=False):  # noqa: A002
    """x * sigmoid(x) (also called swish)."""
    x = _float_input(input, "silu")
    return in_place_or_not(x, inplace, "silu", lambda x: x * ops.sigmoid(x))


_SQRT_HALF = math.sqrt(0.5)


_SQRT_TWO_OVER_PI = math.sqrt(2.0 / math.pi)


def gelu(input, *, approximate="none"):  # noqa: A002 (keyword-only in PyTorch)
    """x * Phi(x) = x/2 (1 + erf(x / sqrt 2)) (``approximate='none'``) or
    x/2 (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))) (``approximate='tanh'``)."""
    if approximate not in ("none", "tanh"):
        raise RuntimeError(f"approximate argument must be either none or tanh, got {approximate!r}")
    x = _float_input(input, "gelu")
    if approximate == "tanh":
        return 0.5 * x * (1 + ops.tanh(_SQRT_TWO_OVER_PI * (x + 0.044715 * x * x * x)))
    return 0.5 * x * (1 + ops.erf(x * _SQRT_HALF))


def softplus(input, beta=1.0, threshold=20.0):  # noqa: A002
    """log(1 + exp(beta x)) / beta, and x itself where beta x > threshold (for numerical stability)."""
    x = _float_input(input, "softplus")
    beta = check_real("beta", beta, -math.inf)
    threshold = check_real("threshold", threshold, -math.inf)
    bx = x * beta
    return ops.where(bx > threshold, x, ops.log1p(ops.exp(ops.clamp(bx, max=threshold))) / beta)


def relu6(input, inplace=False):  # noqa: A002
    """min(max(x, 0), 6) (PyTorch's hardtanh(x, 0, 6): gradient 1 strictly inside (0, 6), 0 at the bounds)."""
    x = ops.tensor_arg(input, "relu6")
    return in_place_or_not(x, inplace, "relu6", lambda x: ops.where(x <= 0, 0, ops.where(x >= 6, 6, x)))


def _p_norm(x, p, dim):
    """The ``p``-norm of ``x`` over ``dim``, kept as a size-1 dimension (p: inf, -inf, 0 or any real)."""
    if p in (1, 2):
        return ops.norm(x, p, dim, keepdim=True)
    if p == math.inf:
        return ops.amax(ops.abs(x), dim, keepdim=True)
    if p == -math.inf:
        return ops.amin(ops.abs(x), dim, keepdim=True)
    if p == 0:
        return (x != 0).sum(dim, keepdim=True).to(x.dtype)
    return ops.sum(ops.abs(x) ** p, dim, keepdim=True) ** (1.0 / p)


def normalize(input, p=2.0, dim=1, eps=1e-12, out=None):  # noqa: A002
    """x / max(||x||_p, eps), the p-norm taken over ``dim`` (rows of a matrix by default)."""
    if out is not None:
        raise NotImplementedError("normalize: the argument out= is not supported by minigrad")
    x = ops.tensor_arg(input, "normalize")
    if x.dtype.kind != "f":
        raise RuntimeError(f"linalg.vector_norm: Expected a floating point tensor as input. Got {x.dtype}")
    p = check_real("p", p, -math.inf, math.inf, high_open=False)
    dim = wrap_dim(dim, x.ndim, "normalize")
    return x / ops.clamp(_p_norm(x, p, dim), min=float(eps))
