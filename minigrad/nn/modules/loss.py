"""Loss layers: each calls its functional form with the reduction given at construction."""
from minigrad.nn._functions.loss import (binary_cross_entropy, binary_cross_entropy_with_logits, cross_entropy,
                                         huber_loss, l1_loss, mse_loss, nll_loss, smooth_l1_loss)
from minigrad.nn._utils import _unsupported_loss_args
from minigrad.nn.modules.module import Module


class _Loss(Module):
    """A loss module: ``reduction`` 'mean' (default), 'sum' or 'none', checked when called; printed as
    ``Name()`` whatever its arguments, as in PyTorch."""

    def __init__(self, reduction="mean"):
        super().__init__()
        self.reduction = reduction


class _ClassIndexLoss(_Loss):
    """A loss over class indices: ``weight`` (K,) is a buffer (in the state_dict when given), ``ignore_index``."""

    def __init__(self, weight=None, size_average=None, ignore_index=-100, reduce=None, reduction="mean"):
        super().__init__(reduction)
        _unsupported_loss_args(type(self).__name__, size_average=size_average, reduce=reduce)
        self.register_buffer("weight", weight)
        self.ignore_index = ignore_index


class CrossEntropyLoss(_ClassIndexLoss):
    """Cross-entropy of logits (N, K) and class indices (N,) (``cross_entropy``)."""

    def __init__(self, weight=None, size_average=None, ignore_index=-100, reduce=None, reduction="mean",
                 label_smoothing=0.0):
        super().__init__(weight, size_average, ignore_index, reduce, reduction)
        self.label_smoothing = label_smoothing

    def forward(self, logits, target):
        return cross_entropy(logits, target, self.weight, ignore_index=self.ignore_index, reduction=self.reduction,
                               label_smoothing=self.label_smoothing)


class NLLLoss(_ClassIndexLoss):
    """Negative log-likelihood of log-probabilities (N, K) at class indices (N,) (``nll_loss``)."""

    def forward(self, log_probs, target):
        return nll_loss(log_probs, target, self.weight, ignore_index=self.ignore_index, reduction=self.reduction)


class MSELoss(_Loss):
    """Mean squared error (``mse_loss``), ``reduction`` 'mean' (default), 'sum' or 'none'."""

    def forward(self, input, target):  # noqa: A002
        return mse_loss(input, target, reduction=self.reduction)


class L1Loss(_Loss):
    """``l1_loss``."""

    def __init__(self, size_average=None, reduce=None, reduction="mean"):
        super().__init__(reduction)
        _unsupported_loss_args("L1Loss", size_average=size_average, reduce=reduce)

    def forward(self, input, target):  # noqa: A002
        return l1_loss(input, target, reduction=self.reduction)


class SmoothL1Loss(_Loss):
    """``smooth_l1_loss`` with ``beta``."""

    def __init__(self, size_average=None, reduce=None, reduction="mean", beta=1.0):
        super().__init__(reduction)
        _unsupported_loss_args("SmoothL1Loss", size_average=size_average, reduce=reduce)
        self.beta = beta

    def forward(self, input, target):  # noqa: A002
        return smooth_l1_loss(input, target, reduction=self.reduction, beta=self.beta)


class HuberLoss(_Loss):
    """``huber_loss`` with ``delta``."""

    def __init__(self, reduction="mean", delta=1.0):
        super().__init__(reduction)
        self.delta = delta

    def forward(self, input, target):  # noqa: A002
        return huber_loss(input, target, reduction=self.reduction, delta=self.delta)


class BCELoss(_Loss):
    """``binary_cross_entropy``; ``weight`` is a buffer (in the state_dict when given), as PyTorch."""

    def __init__(self, weight=None, size_average=None, reduce=None, reduction="mean"):
        super().__init__(reduction)
        _unsupported_loss_args("BCELoss", size_average=size_average, reduce=reduce)
        self.register_buffer("weight", weight)

    def forward(self, input, target):  # noqa: A002
        return binary_cross_entropy(input, target, self.weight, reduction=self.reduction)


class BCEWithLogitsLoss(_Loss):
    """``binary_cross_entropy_with_logits``; ``weight`` and ``pos_weight`` are buffers, as PyTorch."""

    def __init__(self, weight=None, size_average=None, reduce=None, reduction="mean", pos_weight=None):
        super().__init__(reduction)
        _unsupported_loss_args("BCEWithLogitsLoss", size_average=size_average, reduce=reduce)
        self.register_buffer("weight", weight)
        self.register_buffer("pos_weight", pos_weight)

    def forward(self, input, target):  # noqa: A002
        return binary_cross_entropy_with_logits(input, target, self.weight, reduction=self.reduction,
                                                pos_weight=self.pos_weight)
