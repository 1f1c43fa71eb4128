"""Regression and binary-classification losses, as ``torch.nn.functional`` functions and ``torch.nn`` modules:
L1, smooth L1, Huber, binary cross-entropy (of probabilities and of logits). Every ``reduction``
('mean', 'sum', 'none'); differentiable in input and target at every order."""
import math
import warnings

import numpy as np

from minigrad import ops
from minigrad.backend import get_array_module
from minigrad.checks import check_real
from minigrad.core import Function, Tensor
from minigrad.nn.functional import _check_reduction, _reduce, _unsupported_loss_args
from minigrad.nn.layers import _Loss

_BCE_EPS = 1e-12  # PyTorch's floor under x (1 - x) in binary_cross_entropy's gradient


def _pair(name, input, target, reduction, size_average, reduce, shape_error=None):  # noqa: A002
    """Check a loss's arguments: tensors of a floating dtype, a known reduction, and PyTorch's shape rule: targets
    of another shape broadcast with a warning, or raise ValueError(``shape_error``) where PyTorch refuses them."""
    _unsupported_loss_args(name, size_average=size_average, reduce=reduce)
    _check_reduction(name, reduction)
    for arg, t in (("input", input), ("target", target)):
        if not isinstance(t, Tensor):
            raise TypeError(f"{name}(): argument '{arg}' must be Tensor, not {type(t).__name__}")
    if input.dtype.kind != "f" or target.dtype.kind != "f":
        raise RuntimeError(f"{name}: expected floating-point input and target, got dtypes {input.dtype} and "
                           f"{target.dtype}")
    if target.shape != input.shape:
        if shape_error:
            raise ValueError(shape_error.format(target=target.shape, input=input.shape))
        warnings.warn(f"Using a target size ({target.shape}) that is different to the input size ({input.shape}). "
                      "This will likely lead to incorrect results due to broadcasting. Please ensure they have the "
                      "same size.", UserWarning, stacklevel=3)


def _check_weight(weight, input):  # noqa: A002
    if weight is not None and (not isinstance(weight, Tensor) or weight.shape != input.shape):
        raise ValueError(f"Weights and input must have the same size (input {input.shape}, weight "
                         f"{getattr(weight, 'shape', type(weight).__name__)}).")


def l1_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):  # noqa: A002
    """|input - target|, reduced (gradient sign(input - target), 0 at equality). With ``weight`` (input's
    shape): w |input - target|, and 'mean' is the weighted mean sum(w l) / sum(w), as PyTorch."""
    _pair("l1_loss", input, target, reduction, size_average, reduce)
    _check_weight(weight, input)
    loss = ops.abs(input - target)
    if weight is None:
        return _reduce(loss, reduction)
    loss = loss * weight
    return loss.sum() / weight.sum() if reduction == "mean" else _reduce(loss, reduction)


def _huber(d, delta):
    """0.5 d^2 where |d| < delta, else delta (|d| - 0.5 delta)."""
    a = ops.abs(d)
    return ops.where(a < delta, 0.5 * d * d, delta * (a - 0.5 * delta))


def smooth_l1_loss(input, target, size_average=None, reduce=None, reduction="mean", beta=1.0):  # noqa: A002
    """0.5 d^2 / beta where |d| < beta, else |d| - 0.5 beta (d = input - target); beta = 0 is the L1 loss."""
    _pair("smooth_l1_loss", input, target, reduction, size_average, reduce)
    beta = check_real("beta", beta, -math.inf)
    if beta < 0:
        raise RuntimeError(f"smooth_l1_loss does not support negative values for beta, got {beta}")
    d = input - target
    return _reduce(ops.abs(d) if beta == 0 else _huber(d, beta) / beta, reduction)


def huber_loss(input, target, reduction="mean", delta=1.0, weight=None):  # noqa: A002
    """0.5 d^2 where |d| < delta, else delta (|d| - 0.5 delta) (d = input - target; delta > 0), times ``weight``
    (input's shape) when given ('mean' is then the plain mean of the weighted losses, as PyTorch)."""
    _pair("huber_loss", input, target, reduction, None, None)
    _check_weight(weight, input)
    delta = check_real("delta", delta, -math.inf)
    if delta <= 0:
        raise RuntimeError(f"huber_loss does not support non-positive values for delta, got {delta}")
    loss = _huber(input - target, delta)
    return _reduce(loss if weight is None else loss * weight, reduction)


def _clamped_logs(x):
    """log(x) and log(1 - x) on raw arrays, each floored at -100 as PyTorch's binary_cross_entropy."""
    xp = get_array_module(x)
    with np.errstate(divide="ignore"):
        return xp.maximum(xp.log(x), -100), xp.maximum(xp.log1p(-x), -100)


class BinaryCrossEntropy(Function):
    """l = -(t log x + (1 - t) log(1 - x)), each log floored at -100;
    gx = gy (x - t) / max(x (1 - x), 1e-12),  gt = gy (log(1 - x) - log x) (floored logs), as PyTorch."""

    saves_output = False

    def forward(self, x, t):
        log_x, log_1mx = _clamped_logs(x)
        return -(t * log_x + (1 - t) * log_1mx)

    def backward(self, gy):
        (x, t), (need_x, need_t) = (i.array for i in self.inputs), self.needs_input_grad
        xp = get_array_module(x)
        gx = gy * (x - t) / xp.maximum(x * (1 - x), _BCE_EPS) if need_x else None
        if need_t:
            log_x, log_1mx = _clamped_logs(x)
            return gx, gy * (log_1mx - log_x)
        return gx, None

    def backward_graph(self, gy):
        (x, t), (need_x, need_t) = self.inputs, self.needs_input_grad
        gx = gy * (x - t) / ops.clamp(x * (1 - x), min=_BCE_EPS) if need_x else None
        if need_t:
            floor = -100.0
            return gx, gy * (ops.clamp(ops.log1p(-x), min=floor) - ops.clamp(ops.log(x), min=floor))
        return gx, None


def binary_cross_entropy(input, target, weight=None, size_average=None, reduce=None,  # noqa: A002
                         reduction="mean"):
    """-weight (t log x + (1 - t) log(1 - x)) of probabilities x in [0, 1] (logs floored at -100), reduced."""
    _pair("binary_cross_entropy", input, target, reduction, size_average, reduce,
          "Using a target size ({target}) that is different to the input size ({input}) is deprecated. "
          "Please ensure they have the same size.")
    if input.dtype != target.dtype:
        raise RuntimeError(f"binary_cross_entropy: expected input and target of one dtype, got {input.dtype} "
                           f"and {target.dtype}")
    a = input.array
    if a.size and not bool(((a >= 0) & (a <= 1)).all()):
        raise RuntimeError("binary_cross_entropy: all elements of input should be between 0 and 1")
    loss = BinaryCrossEntropy()(input, target)
    return _reduce(loss if weight is None else loss * weight, reduction)


def binary_cross_entropy_with_logits(input, target, weight=None, size_average=None, reduce=None,  # noqa: A002
                                     reduction="mean", pos_weight=None):
    """-weight (pos_weight t log s(x) + (1 - t) log(1 - s(x))), s the sigmoid, computed stably as
    (1 - t) x + (1 + (pos_weight - 1) t) (m + log(exp(-m) + exp(-x - m))) with m = max(-x, 0)."""
    _pair("binary_cross_entropy_with_logits", input, target, reduction, size_average, reduce,
          "Target size ({target}) must be the same as input size ({input})")
    m = ops.clamp(-input, min=0.0)
    softplus_neg = m + ops.log(ops.exp(-m) + ops.exp(-input - m))  # log(1 + exp(-x)), never overflowing
    log_weight = 1 if pos_weight is None else 1 + (pos_weight - 1) * target
    loss = (1 - target) * input + log_weight * softplus_neg
    return _reduce(loss if weight is None else loss * weight, reduction)


class L1Loss(_Loss):
    """``F.l1_loss``."""

    def __init__(self, size_average=None, reduce=None, reduction="mean"):
        super().__init__(reduction)
        _unsupported_loss_args("L1Loss", size_average=size_average, reduce=reduce)

    def forward(self, input, target):  # noqa: A002
        return l1_loss(input, target, reduction=self.reduction)


class SmoothL1Loss(_Loss):
    """``F.smooth_l1_loss`` with ``beta``."""

    def __init__(self, size_average=None, reduce=None, reduction="mean", beta=1.0):
        super().__init__(reduction)
        _unsupported_loss_args("SmoothL1Loss", size_average=size_average, reduce=reduce)
        self.beta = beta

    def forward(self, input, target):  # noqa: A002
        return smooth_l1_loss(input, target, reduction=self.reduction, beta=self.beta)


class HuberLoss(_Loss):
    """``F.huber_loss`` with ``delta``."""

    def __init__(self, reduction="mean", delta=1.0):
        super().__init__(reduction)
        self.delta = delta

    def forward(self, input, target):  # noqa: A002
        return huber_loss(input, target, reduction=self.reduction, delta=self.delta)


class BCELoss(_Loss):
    """``F.binary_cross_entropy``; ``weight`` is a buffer (in the state_dict when given), as PyTorch."""

    def __init__(self, weight=None, size_average=None, reduce=None, reduction="mean"):
        super().__init__(reduction)
        _unsupported_loss_args("BCELoss", size_average=size_average, reduce=reduce)
        self.register_buffer("weight", weight)

    def forward(self, input, target):  # noqa: A002
        return binary_cross_entropy(input, target, self.weight, reduction=self.reduction)


class BCEWithLogitsLoss(_Loss):
    """``F.binary_cross_entropy_with_logits``; ``weight`` and ``pos_weight`` are buffers, as PyTorch."""

    def __init__(self, weight=None, size_average=None, reduce=None, reduction="mean", pos_weight=None):
        super().__init__(reduction)
        _unsupported_loss_args("BCEWithLogitsLoss", size_average=size_average, reduce=reduce)
        self.register_buffer("weight", weight)
        self.register_buffer("pos_weight", pos_weight)

    def forward(self, input, target):  # noqa: A002
        return binary_cross_entropy_with_logits(input, target, self.weight, reduction=self.reduction,
                                                pos_weight=self.pos_weight)
