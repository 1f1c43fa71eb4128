"""The layers LeNet and LeNet-BN are built from, with PyTorch's names, arguments and parameter shapes."""
import numpy as np

from minigrad import creation, ops
from minigrad.checks import check_int, check_real
from minigrad.core import Tensor, is_grad_enabled, no_grad
from minigrad.nn import functional as F
from minigrad.nn import init
from minigrad.nn.module import Module, Parameter


class Linear(Module):
    """y = x W^T + b with W (out_features, in_features), for input (*, in_features) as in PyTorch."""

    def __init__(self, in_features, out_features, bias=True):
        super().__init__()
        self.in_features = check_int("in_features", in_features, 1, "Linear")
        self.out_features = check_int("out_features", out_features, 1, "Linear")
        self.weight = Parameter(creation.empty(out_features, in_features))
        self.bias = Parameter(creation.empty(out_features)) if bias else None
        init.default_init_(self.weight, self.bias)

    def forward(self, x):
        return F.linear(x, self.weight, self.bias)

    def extra_repr(self):
        return f"in_features={self.in_features}, out_features={self.out_features}, bias={self.bias is not None}"


class Conv2d(Module):
    """2-D convolution (cross-correlation), W (out_channels, in_channels / groups, kh, kw); input (N, C, H, W) or
    (C, H, W). ``groups`` splits the channels into that many independent convolutions (both channel counts must
    be divisible by it); ``dilation`` spaces the kernel's taps."""

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1, groups=1, bias=True):
        super().__init__()
        self._set_arguments(out_channels, kernel_size, stride, padding, dilation, groups, "Conv2d")
        self.in_channels = self._checked_in_channels(in_channels, "Conv2d")
        self.weight = Parameter(creation.empty(out_channels, in_channels // groups, *self.kernel_size))
        self.bias = Parameter(creation.empty(out_channels)) if bias else None
        init.default_init_(self.weight, self.bias)

    def _set_arguments(self, out_channels, kernel_size, stride, padding, dilation, groups, owner):
        """The arguments but ``in_channels``, checked (shared with ``LazyConv2d``, whose ``owner`` it is then)."""
        self.groups = check_int("groups", groups, 1, owner)
        self.out_channels = check_int("out_channels", out_channels, 1, owner)
        if out_channels % groups:
            raise ValueError(f"{owner}: out_channels must be divisible by groups, got out_channels={out_channels}, "
                             f"groups={groups}")
        self.kernel_size = F._pair(kernel_size, "kernel_size", 1, owner)
        self.stride, self.padding = F._pair(stride, "stride", 1, owner), F._pair(padding, "padding", 0, owner)
        self.dilation = F._pair(dilation, "dilation", 1, owner)

    def _checked_in_channels(self, in_channels, owner):
        in_channels = check_int("in_channels", in_channels, 1, owner)
        if in_channels % self.groups:
            raise ValueError(f"{owner}: in_channels must be divisible by groups, got in_channels={in_channels}, "
                             f"groups={self.groups}")
        return in_channels

    def forward(self, x):
        return F.conv2d(x, self.weight, self.bias, self.stride, self.padding, self.dilation, self.groups)

    def extra_repr(self):  # PyTorch's: padding, dilation, groups and bias only when not the default
        return (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, stride={self.stride}"
                + (f", padding={self.padding}" if self.padding != (0, 0) else "")
                + (f", dilation={self.dilation}" if self.dilation != (1, 1) else "")
                + (f", groups={self.groups}" if self.groups != 1 else "")
                + (", bias=False" if self.bias is None else ""))


class _Pool2d(Module):
    def __init__(self, kernel_size, stride=None, padding=0):
        super().__init__()
        F._pool_args(kernel_size, stride, padding, type(self).__name__)  # the checks, once
        self.kernel_size, self.stride, self.padding = kernel_size, kernel_size if stride is None else stride, padding

    def extra_repr(self):
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class AvgPool2d(_Pool2d):
    def forward(self, x):
        return F.avg_pool2d(x, self.kernel_size, self.stride, self.padding)


class MaxPool2d(_Pool2d):
    def forward(self, x):
        return F.max_pool2d(x, self.kernel_size, self.stride, self.padding)

    def extra_repr(self):  # PyTorch's print of a MaxPool2d; minigrad's pooling has no dilation or ceil mode
        return super().extra_repr() + ", dilation=1, ceil_mode=False"


class Sigmoid(Module):
    def forward(self, x):
        return ops.sigmoid(x)


class ReLU(Module):
    """max(x, 0); ``inplace=True`` writes it into the input (``F.relu(x, inplace=True)``)."""

    def __init__(self, inplace=False):
        super().__init__()
        self.inplace = inplace

    def forward(self, x):
        return F.relu(x, self.inplace)

    def extra_repr(self):
        return "inplace=True" if self.inplace else ""


class Tanh(Module):
    def forward(self, x):
        return ops.tanh(x)


class Flatten(Module):
    """Dims ``start_dim`` to ``end_dim`` joined into one: (N, d1, d2, ...) -> (N, d1*d2*...) by default."""

    def __init__(self, start_dim=1, end_dim=-1):
        super().__init__()
        self.start_dim = check_int("start_dim", start_dim, -2 ** 63, "Flatten")
        self.end_dim = check_int("end_dim", end_dim, -2 ** 63, "Flatten")

    def forward(self, x):
        if not (-x.ndim <= self.start_dim < x.ndim and -x.ndim <= self.end_dim < x.ndim):
            raise IndexError(f"Flatten: start_dim={self.start_dim}, end_dim={self.end_dim} do not fit an input "
                             f"of shape {x.shape}")
        return ops.flatten(x, self.start_dim, self.end_dim)

    def extra_repr(self):
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"


class Unflatten(Module):
    """Dimension ``dim`` split into ``unflattened_size`` (one entry may be -1), as ``x.unflatten(dim, sizes)``."""

    def __init__(self, dim, unflattened_size):
        super().__init__()
        self.dim = check_int("dim", dim, -2 ** 63, "Unflatten")
        if not isinstance(unflattened_size, (tuple, list)):
            raise TypeError(f"Unflatten: unflattened_size must be a tuple or list of ints, got "
                            f"{type(unflattened_size).__name__} {unflattened_size!r}")
        self.unflattened_size = unflattened_size

    def forward(self, x):
        return ops.unflatten(x, self.dim, self.unflattened_size)

    def extra_repr(self):
        return f"dim={self.dim}, unflattened_size={self.unflattened_size}"


class BatchNorm(Module):
    """The D2L chapter's from-scratch BatchNorm (``num_dims`` 2 for Linear outputs, 4 for Conv2d).

    gamma = 1 and beta = 0 are parameters of shape (1, C) or (1, C, 1, 1);
    moving_mean = 0 and moving_var = 1 are buffers of the same shape, updated
    with momentum 0.9 on the chapter's convention. It normalises with the moving
    statistics when the module is in eval mode or gradients are disabled.
    """

    def __init__(self, num_features, num_dims, eps=1e-5, momentum=0.9):
        super().__init__()
        if num_dims not in (2, 4):
            raise ValueError(f"BatchNorm: num_dims must be 2 (fully connected) or 4 (convolutional), got {num_dims!r}")
        num_features = check_int("num_features", num_features, 1, "BatchNorm")
        shape = (1, num_features) if num_dims == 2 else (1, num_features, 1, 1)
        self.num_features, self.num_dims = num_features, num_dims
        self.eps = check_real("eps", eps, low_open=True, message="BatchNorm: invalid eps")
        self.momentum = check_real("momentum", momentum, high=1.0, high_open=False, message="BatchNorm: invalid momentum")
        self.gamma = Parameter(creation.ones(shape))
        self.beta = Parameter(creation.zeros(shape))
        self.register_buffer("moving_mean", creation.zeros(shape))
        self.register_buffer("moving_var", creation.ones(shape))

    def forward(self, X):
        F.check_batch_norm_input(X, self.num_features, (self.num_dims,), f"BatchNorm(num_dims={self.num_dims})")
        Y, self.moving_mean, self.moving_var = F.d2l_batch_norm(
            X, self.gamma, self.beta, self.moving_mean, self.moving_var,
            eps=self.eps, momentum=self.momentum, training=self.training and is_grad_enabled())
        return Y

    def extra_repr(self):
        return f"{self.num_features}, num_dims={self.num_dims}"


class _BatchNormTorch(Module):
    """PyTorch's BatchNorm{1,2}d: ``running = (1 - momentum) * running + momentum * batch``.

    Normalisation uses the biased batch variance; the running variance is
    updated with the unbiased one (times m / (m - 1)). ``momentum=None`` gives
    a cumulative average. Training mode follows ``module.training``. ``bias=False``
    (keyword only, PyTorch 2.13) keeps the scale gamma and drops the shift beta.
    """

    ndims = ()

    def __init__(self, num_features, eps=1e-5, momentum=0.1, affine=True, track_running_stats=True, *, bias=True):
        super().__init__()
        name = type(self).__name__
        num_features = check_int("num_features", num_features, 1, name)
        self.num_features = num_features
        self.eps = check_real("eps", eps, low_open=True, message=f"{name}: invalid eps")
        self.momentum = momentum if momentum is None else check_real(
            "momentum", momentum, high=1.0, high_open=False, message=f"{name}: invalid momentum")
        self.affine, self.track_running_stats = affine, track_running_stats
        if not isinstance(bias, bool):
            raise TypeError(f"{name}: bias must be a bool, got {type(bias).__name__} {bias!r}")
        # weight or bias None, as in PyTorch (F.batch_norm reads them as 1 and 0)
        self.register_parameter("weight", Parameter(creation.ones(num_features)) if affine else None)
        self.register_parameter("bias", Parameter(creation.zeros(num_features)) if affine and bias else None)
        if track_running_stats:
            self.register_buffer("running_mean", creation.zeros(num_features))
            self.register_buffer("running_var", creation.ones(num_features))
            self.register_buffer("num_batches_tracked", Tensor(np.array(0, dtype=np.int64)))
        else:
            for buffer in ("running_mean", "running_var", "num_batches_tracked"):
                self.register_buffer(buffer, None)

    def reset_running_stats(self):
        """Running mean 0, running variance 1, no batches counted (in place)."""
        if self.track_running_stats:
            with no_grad():
                self.running_mean.zero_()
                self.running_var.fill_(1.0)
                self.num_batches_tracked.zero_()

    def reset_parameters(self):
        """``reset_running_stats`` and, with ``affine``, gamma 1 and beta 0."""
        self.reset_running_stats()
        with no_grad():
            if self.weight is not None:
                self.weight.fill_(1.0)
            if self.bias is not None:
                self.bias.zero_()

    def forward(self, x):
        F.check_batch_norm_input(x, self.num_features, self.ndims, type(self).__name__)
        counting = self.training and self.track_running_stats
        factor = self.momentum
        if counting and self.momentum is None:  # cumulative average over the batches, this one included
            factor = 1.0 / (float(self.num_batches_tracked.array) + 1.0)
        use_batch_stats = self.training or self.running_mean is None
        track = not self.training or self.track_running_stats
        y = F.batch_norm(x, self.running_mean if track else None, self.running_var if track else None,
                         self.weight, self.bias, use_batch_stats, factor, self.eps)
        if counting:  # an empty batch counts too, as in PyTorch; a refused one does not
            with no_grad():
                self.num_batches_tracked.array += 1
        return y

    def extra_repr(self):
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, affine={self.affine}, "
                f"bias={self.bias is not None}, track_running_stats={self.track_running_stats}")


class BatchNorm1d(_BatchNormTorch):
    """Over (N, C) or (N, C, L) input."""
    ndims = (2, 3)


class BatchNorm2d(_BatchNormTorch):
    """Over (N, C, H, W) input, per channel."""
    ndims = (4,)


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
        F._unsupported_loss_args(type(self).__name__, size_average=size_average, reduce=reduce)
        self.register_buffer("weight", weight)
        self.ignore_index = ignore_index


class CrossEntropyLoss(_ClassIndexLoss):
    """Cross-entropy of logits (N, K) and class indices (N,) (``F.cross_entropy``)."""

    def __init__(self, weight=None, size_average=None, ignore_index=-100, reduce=None, reduction="mean",
                 label_smoothing=0.0):
        super().__init__(weight, size_average, ignore_index, reduce, reduction)
        self.label_smoothing = label_smoothing

    def forward(self, logits, target):
        return F.cross_entropy(logits, target, self.weight, ignore_index=self.ignore_index, reduction=self.reduction,
                               label_smoothing=self.label_smoothing)


class NLLLoss(_ClassIndexLoss):
    """Negative log-likelihood of log-probabilities (N, K) at class indices (N,) (``F.nll_loss``)."""

    def forward(self, log_probs, target):
        return F.nll_loss(log_probs, target, self.weight, ignore_index=self.ignore_index, reduction=self.reduction)


class MSELoss(_Loss):
    """Mean squared error (``F.mse_loss``), ``reduction`` 'mean' (default), 'sum' or 'none'."""

    def forward(self, input, target):  # noqa: A002
        return F.mse_loss(input, target, reduction=self.reduction)


class Identity(Module):
    """Returns its input; any constructor arguments are ignored, as in PyTorch."""

    def __init__(self, *args, **kwargs):
        super().__init__()

    def forward(self, x):
        return x


class Dropout(Module):
    """Inverted dropout (``F.dropout``) with probability ``p`` in training mode, the identity in eval mode."""

    def __init__(self, p=0.5, inplace=False):
        super().__init__()
        self.p, self.inplace = F.check_dropout_p(p), inplace

    def forward(self, x):
        return F.dropout(x, self.p, self.training, self.inplace)

    def extra_repr(self):
        return f"p={self.p}, inplace={self.inplace}"


class _AlongDim(Module):
    """A module applying a function along one dimension ``dim``."""

    def __init__(self, dim=None):
        super().__init__()
        self.dim = dim

    def extra_repr(self):
        return f"dim={self.dim}"


class Softmax(_AlongDim):
    """``F.softmax(x, dim)``."""

    def forward(self, x):
        return F.softmax(x, self.dim)


class LogSoftmax(_AlongDim):
    """``F.log_softmax(x, dim)``."""

    def forward(self, x):
        return F.log_softmax(x, self.dim)
