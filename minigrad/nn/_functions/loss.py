"""Loss functions: cross_entropy and nll_loss (one fused Function with a hand-derived backward), mse_loss,
one_hot; and the regression and binary-classification losses L1, smooth L1, Huber, binary cross-entropy (of
probabilities and of logits). Every ``reduction`` ('mean', 'sum', 'none'); differentiable in input and target at
every order.
"""
import math
import warnings

import numpy as np

from minigrad import ops
from minigrad.backend import get_array_module
from minigrad.checks import check_int, check_real
from minigrad.core import Function, Tensor
from minigrad.nn._utils import _check_reduction, _reduce, _unsupported_loss_args
from minigrad.ops.activation import LogSoftmax, log_softmax



class CrossEntropyFunction(Function):
    """Cross-entropy of logits z (N, K) and integer targets t (N,).

    Per sample l_n = logsumexp(z_n) - z_n[t_n], from a stable log-softmax; the output is
    mean_n l_n (``reduction='mean'``; NaN for N = 0, as PyTorch), sum_n l_n ('sum') or l ('none').
    gz = (softmax(z) - onehot(t)) * w with w = gL / N, gL, or gl[:, None]; the graph path
    builds softmax(z) from Functions of z, so gz is differentiable again.
    """

    def __init__(self, target, reduction="mean"):
        self.target, self.reduction = target, reduction

    def forward(self, z):
        xp = get_array_module(z)
        n = z.shape[0]
        shifted = z - z.max(axis=1, keepdims=True)
        exp = xp.exp(shifted)
        sum_exp = exp.sum(axis=1, keepdims=True)
        rows = xp.arange(n)
        loss = xp.log(sum_exp[:, 0]) - shifted[rows, self.target]
        if self.reduction == "mean":
            loss = loss.mean() if n else xp.nan
        elif self.reduction == "sum":
            loss = loss.sum()
        exp /= sum_exp
        self.probs, self.rows = exp, rows
        return xp.asarray(loss, dtype=z.dtype)

    def _scale(self, gy):
        """w, the factor of each row of the gradient (raw array or Tensor ``gy``)."""
        if self.reduction == "none":
            return gy.reshape(-1, 1)
        return gy / max(self.rows.shape[0], 1) if self.reduction == "mean" else gy

    def backward(self, gy):
        g = self.probs.copy()
        g[self.rows, self.target] -= 1
        g *= self._scale(gy)
        return g

    def backward_graph(self, gy):
        z = self.inputs[0]
        onehot = get_array_module(z.array).zeros(z.shape, dtype=z.dtype)
        onehot[self.rows, self.target] = 1
        return ((ops.exp(LogSoftmax(1)(z)) - Tensor._wrap(onehot)) * self._scale(gy),)


def _class_targets(name, logits, target, ignore_index=None):
    """``target`` as a raw int64/uint8 array of shape (N,) with values in [0, K) (or ``ignore_index``), for
    (N, K) float ``logits``."""
    if logits.dtype.kind != "f":
        raise TypeError(f"{name}: expected floating-point logits, got dtype {logits.dtype}")
    t = target.array if isinstance(target, Tensor) else get_array_module(logits.array).asarray(target)
    if logits.ndim != 2:
        raise ValueError(f"{name}: expected logits of shape (N, K), got {logits.shape}")
    if t.dtype.kind not in "iu":
        probabilities = t.dtype.kind == "f" and tuple(t.shape) == logits.shape
        raise RuntimeError(f"{name}: targets must be integer class indices, got dtype {t.dtype}"
                        + (" (class probabilities as targets, PyTorch's other form, are not supported by minigrad)"
                           if probabilities else ""))
    if t.dtype not in (np.int64, np.uint8):
        raise RuntimeError(f"{name}: expected targets of dtype int64 or uint8 (PyTorch's Long or Byte), "
                           f"got {t.dtype}; convert them with .long()")
    if t.shape != (logits.shape[0],):  # PyTorch: RuntimeError for a target of 2+ dims, ValueError for another N
        raise (RuntimeError if t.ndim > 1 else ValueError)(
            f"{name}: expected targets of shape ({logits.shape[0]},), got {tuple(t.shape)}")
    k = logits.shape[1]
    # range check on the CPU only: on a GPU it would cost a device-to-host sync every step
    if get_array_module(t) is np and t.size:
        counted = t if ignore_index is None else t[t != ignore_index]
        if counted.size and (int(counted.min()) < 0 or int(counted.max()) >= k):
            raise IndexError(f"{name}: targets must lie in [0, {k - 1}]"
                             + ("" if ignore_index is None else f" or be ignore_index={ignore_index}")
                             + f", got values in [{int(counted.min())}, {int(counted.max())}]")
    return t


def _class_weights(name, weight, logits):
    """The raw (K,) class weights, checked (a constant: a weight that requires grad is refused)."""
    if not isinstance(weight, Tensor) or weight.shape != (logits.shape[1],):  # PyTorch: TypeError, RuntimeError
        raise (RuntimeError if isinstance(weight, Tensor) else TypeError)(
            f"{name}: weight must be a tensor of shape ({logits.shape[1]},), got "
                         + (f"shape {weight.shape}" if isinstance(weight, Tensor) else type(weight).__name__))
    if weight.requires_grad:
        raise NotImplementedError(f"{name}: a weight that requires grad is not supported by minigrad")
    return weight.array.astype(logits.dtype, copy=False)


def _weighted_nll(name, logp, t, weight, ignore_index, label_smoothing, reduction):
    """PyTorch's class-index loss of log-probabilities ``logp`` (N, K), from differentiable ops.

    With c_n = w[t_n] (1 without weights; 0 where t_n = ignore_index), l_n = -c_n logp[n, t_n];
    with label smoothing e, l_n = (1 - e) l_n + e / K * s_n, s_n = -[t_n kept] sum_k w_k logp[n, k].
    'mean' divides the sums by sum_n c_n (NaN when every target is ignored), 'sum' sums, 'none' keeps l.
    """
    xp = get_array_module(t)
    n, k = logp.shape
    kept = t != ignore_index
    safe = xp.where(kept, t, 0)
    w = None if weight is None else _class_weights(name, weight, logp)
    c = kept.astype(logp.dtype) if w is None else w[safe] * kept
    per_sample = -ops.GetItem((xp.arange(n), safe))(logp) * Tensor._wrap(c)
    denominator = c.sum()
    if label_smoothing:
        if not 0.0 <= label_smoothing <= 1.0:
            raise ValueError(f"{name}: label_smoothing must lie in [0, 1], got {label_smoothing}")
        row = logp if w is None else logp * Tensor._wrap(w)
        smooth = -row.sum(1) * Tensor._wrap(kept.astype(logp.dtype))
        per_sample = per_sample * (1.0 - label_smoothing) + smooth * (label_smoothing / k)
    if reduction == "none":
        return per_sample
    total = per_sample.sum()
    if reduction == "sum":
        return total
    if not denominator:  # every target ignored (or weighted 0): a NaN loss with zero gradients, as PyTorch
        # where, not total * 0 + NaN: the gradient is exactly 0 even for a NaN upstream gradient (NaN * 0)
        return ops.Where(xp.asarray(True))(Tensor._wrap(xp.asarray(np.nan, dtype=logp.dtype)), total)
    return total / Tensor._wrap(xp.asarray(denominator, dtype=logp.dtype))


def _needs_weighted(t, weight, ignore_index, label_smoothing):
    """True when a class-index loss needs ``_weighted_nll`` rather than its fast path."""
    return weight is not None or bool(label_smoothing) or bool((t == ignore_index).any())


def cross_entropy(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None,  # noqa: A002
                  reduction="mean", label_smoothing=0.0):
    """Cross-entropy loss of logits (N, K) against class indices (N,), as ``torch.nn.functional.cross_entropy``.

    ``reduction``: 'mean' (default), 'sum' or 'none' (per-sample losses, shape (N,)). ``weight`` (K,),
    ``ignore_index`` and ``label_smoothing`` as PyTorch (see ``_weighted_nll``; then built from
    log_softmax, a gather and sums, so every derivative exists); without them, one fused Function.
    The legacy ``size_average``/``reduce`` are not supported (NotImplementedError when given).
    """
    _unsupported_loss_args("cross_entropy", size_average=size_average, reduce=reduce)
    _check_reduction("cross_entropy", reduction)
    if isinstance(input, Tensor) and input.ndim == 1 and isinstance(target, Tensor) and target.ndim == 0:
        loss = cross_entropy(input.reshape(1, -1), target.reshape(1), weight, ignore_index=ignore_index,
                             reduction=reduction, label_smoothing=label_smoothing)  # one unbatched sample (K,)
        return loss.reshape(()) if reduction == "none" else loss
    t = _class_targets("cross_entropy", input, target, ignore_index)
    if _needs_weighted(t, weight, ignore_index, label_smoothing):
        return _weighted_nll("cross_entropy", log_softmax(input, 1), t, weight, ignore_index, label_smoothing,
                             reduction)
    return CrossEntropyFunction(t, reduction)(input)


def nll_loss(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None,  # noqa: A002
             reduction="mean"):
    """Negative log-likelihood of log-probabilities (N, K) at class indices (N,): l_n = -input[n, target_n],
    reduced by ``reduction`` ('mean', 'sum', 'none'), as ``torch.nn.functional.nll_loss``; built from
    differentiable ops (a gather), so every derivative exists. ``weight`` (K,) and ``ignore_index`` as
    PyTorch: l_n = -w[t_n] input[n, t_n], 0 for an ignored target; 'mean' divides by sum_n w[t_n]."""
    _unsupported_loss_args("nll_loss", size_average=size_average, reduce=reduce)
    _check_reduction("nll_loss", reduction)
    t = _class_targets("nll_loss", input, target, ignore_index)
    if _needs_weighted(t, weight, ignore_index, 0.0):
        return _weighted_nll("nll_loss", input, t, weight, ignore_index, 0.0, reduction)
    rows = get_array_module(t).arange(t.shape[0])
    return _reduce(-ops.GetItem((rows, t))(input), reduction)


def mse_loss(input, target, size_average=None, reduce=None, reduction="mean"):  # noqa: A002
    """Mean squared error (input - target)^2, reduced by ``reduction`` ('mean', 'sum', 'none'), as
    ``torch.nn.functional.mse_loss``: different shapes broadcast, with PyTorch's warning; differentiable
    in both arguments at every order (built from subtraction and products)."""
    _unsupported_loss_args("mse_loss", size_average=size_average, reduce=reduce)
    _check_reduction("mse_loss", reduction)
    target_dtype = getattr(target, "dtype", input.dtype)  # a Python number takes the input's dtype
    if input.dtype.kind != "f" and target_dtype.kind != "f":  # PyTorch: NotImplementedError "mse_cpu" for 'Long'
        raise NotImplementedError(f"mse_loss: expected floating-point input or target, got dtypes {input.dtype} "
                                  f"and {target_dtype}")
    if isinstance(target, Tensor) and target.shape != input.shape:
        warnings.warn(f"Using a target size ({target.shape}) that is different to the input size ({input.shape}). "
                      "This will likely lead to incorrect results due to broadcasting. Please ensure they have the "
                      "same size.", UserWarning, stacklevel=2)
    diff = input - target
    return _reduce(diff * diff, reduction)


def one_hot(tensor, num_classes=-1):
    """int64 tensor of shape (*tensor.shape, num_classes) with 1 at each value's index
    (``num_classes=-1``: max + 1), as ``torch.nn.functional.one_hot``."""
    a = tensor.array
    if a.dtype != np.int64:
        raise RuntimeError(f"one_hot is only applicable to index tensor of type LongTensor, got dtype {a.dtype}")
    xp = get_array_module(a)
    if a.size == 0 and num_classes in (-1, 0):  # as PyTorch: 0 classes for no values is an error too
        raise RuntimeError("Can not infer total number of classes from empty tensor.")
    if num_classes == -1:
        num_classes = int(a.max()) + 1
    num_classes = check_int("num_classes", num_classes, 0, "one_hot")
    if a.size and int(a.min()) < 0:
        raise RuntimeError(f"Class values must be non-negative, got {int(a.min())}")
    if a.size and int(a.max()) >= num_classes:
        raise RuntimeError(f"Class values must be smaller than num_classes ({num_classes}), got {int(a.max())}")
    return Tensor._wrap((a[..., None] == xp.arange(num_classes)).astype(np.int64))


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


_BCE_EPS = 1e-12  # PyTorch's floor under x (1 - x) in binary_cross_entropy's gradient


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
