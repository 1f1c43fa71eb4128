"""Batch normalization layers: the chapter's BatchNorm, PyTorch's BatchNorm1d/2d, SyncBatchNorm and the
chapter's layer synchronised across processes (ChapterSyncBatchNorm).
"""
import numpy as np

from minigrad import distributed as dist
from minigrad import ops
from minigrad.checks import check_int, check_real
from minigrad.core import Tensor, is_grad_enabled, no_grad
from minigrad.nn._functions.batchnorm import (SyncBatchNormFunction, _d2l_moving_average, _scale_and_shift,
                                              _update_running_stats, batch_norm, check_batch_norm_input, d2l_batch_norm)
from minigrad.nn.modules.module import Module, Parameter


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
        self.momentum = check_real("momentum", momentum, high=1.0, high_open=False,
                                   message="BatchNorm: invalid momentum")
        self.gamma = Parameter(ops.ones(shape))
        self.beta = Parameter(ops.zeros(shape))
        self.register_buffer("moving_mean", ops.zeros(shape))
        self.register_buffer("moving_var", ops.ones(shape))

    def forward(self, X):
        check_batch_norm_input(X, self.num_features, (self.num_dims,), f"BatchNorm(num_dims={self.num_dims})")
        Y, self.moving_mean, self.moving_var = d2l_batch_norm(
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
        # weight or bias None, as in PyTorch (batch_norm reads them as 1 and 0)
        self.register_parameter("weight", Parameter(ops.ones(num_features)) if affine else None)
        self.register_parameter("bias", Parameter(ops.zeros(num_features)) if affine and bias else None)
        if track_running_stats:
            self.register_buffer("running_mean", ops.zeros(num_features))
            self.register_buffer("running_var", ops.ones(num_features))
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
        check_batch_norm_input(x, self.num_features, self.ndims, type(self).__name__)
        counting = self.training and self.track_running_stats
        factor = self.momentum
        if counting and self.momentum is None:  # cumulative average over the batches, this one included
            factor = 1.0 / (float(self.num_batches_tracked.array) + 1.0)
        use_batch_stats = self.training or self.running_mean is None
        track = not self.training or self.track_running_stats
        y = batch_norm(x, self.running_mean if track else None, self.running_var if track else None,
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


def _synchronised(training):
    """Whether a BatchNorm layer must use the statistics of all processes now."""
    return training and dist.is_initialized() and dist.get_world_size() > 1


class ChapterSyncBatchNorm(BatchNorm):
    """The D2L chapter's ``BatchNorm(num_features, num_dims)`` with statistics over every process's batch.

    Same parameters (gamma, beta of shape (1, C) or (1, C, 1, 1)), buffers
    (moving_mean, moving_var) and conventions as ``nn.BatchNorm``: momentum 0.9
    weighs the old value and the moving variance takes the biased batch
    variance, now of the concatenated batch. Running statistics are used when
    the module is in eval mode or gradients are disabled, as in the chapter.
    """

    def forward(self, X):
        if not _synchronised(self.training and is_grad_enabled()):
            return super().forward(X)
        check_batch_norm_input(X, self.num_features, (self.num_dims,), f"SyncBatchNorm(num_dims={self.num_dims})")
        fn = SyncBatchNormFunction(self.eps)
        Y = fn(X, self.gamma, self.beta)
        if fn.count == 0:  # every process's batch is empty: no statistics, the moving ones stay
            return Y
        self.moving_mean = _d2l_moving_average(self.moving_mean.array, fn.mean, self.momentum)
        self.moving_var = _d2l_moving_average(self.moving_var.array, fn.var, self.momentum)
        return Y


class SyncBatchNorm(_BatchNormTorch):
    """PyTorch's ``nn.SyncBatchNorm``: BatchNorm whose training statistics cover every process's batch.

    Arguments, parameters, buffers and conventions are those of BatchNorm1d/2d
    (momentum 0.1 weighs the new value; the running variance is the unbiased
    one, with the global count M: var * M / (M - 1)). Input (N, C), (N, C, L)
    or (N, C, H, W); N may differ between processes, and may be 0. Without an
    initialised process group (or with one process), and in eval mode, it is
    ordinary BatchNorm. On CPUs (MPI) as on GPUs (NCCL or MPI).
    """

    ndims = (2, 3, 4)

    def __init__(self, num_features, eps=1e-5, momentum=0.1, affine=True, track_running_stats=True,
                 process_group=None, *, bias=True):
        if process_group is not None:
            raise ValueError(f"SyncBatchNorm: only the default process group (process_group=None) is supported, "
                             f"got {process_group!r}")
        super().__init__(num_features, eps, momentum, affine, track_running_stats, bias=bias)

    def forward(self, x):
        if not _synchronised(self.training):
            return super().forward(x)
        check_batch_norm_input(x, self.num_features, self.ndims, "SyncBatchNorm")
        gamma, beta = _scale_and_shift(self.weight, self.bias, x)
        fn = SyncBatchNormFunction(self.eps)
        y = fn(x, gamma, beta)
        m = fn.count
        if m == 1:
            raise ValueError(f"SyncBatchNorm: expected more than 1 value per channel over all processes when "
                             f"training, got 1 (input shape here {x.shape})")
        if self.track_running_stats:
            with no_grad():
                self.num_batches_tracked.array += 1
                if m == 0:  # every process's batch is empty: no statistics, the running ones stay
                    return y
                f = 1.0 / float(self.num_batches_tracked.array) if self.momentum is None else self.momentum
                _update_running_stats(self.running_mean, self.running_var, fn.mean, fn.var, m, f)
        return y

    @classmethod
    def convert_sync_batchnorm(cls, module, process_group=None):
        """``module`` with every BatchNorm1d/2d replaced by a SyncBatchNorm and every chapter-style
        ``nn.BatchNorm`` by a ``ChapterSyncBatchNorm``, sharing their parameters and buffers (so an optimiser
        built before still holds the right tensors); returns the converted module (a new one if ``module``
        itself is a BatchNorm layer)."""
        if process_group is not None:
            raise ValueError(f"convert_sync_batchnorm: only the default process group (process_group=None) is "
                             f"supported, got {process_group!r}")
        converted = module
        if isinstance(module, _BatchNormTorch) and not isinstance(module, SyncBatchNorm):
            converted = SyncBatchNorm(module.num_features, module.eps, module.momentum, module.affine,
                                      module.track_running_stats)
        elif isinstance(module, BatchNorm) and not isinstance(module, ChapterSyncBatchNorm):
            converted = ChapterSyncBatchNorm(module.num_features, module.num_dims, module.eps, module.momentum)
        if converted is not module:
            for store in ("_parameters", "_buffers"):
                converted.__dict__[store].update(module.__dict__[store])
            converted.__dict__.setdefault("_non_persistent", set()).update(module.__dict__.get("_non_persistent", ()))
            object.__setattr__(converted, "training", module.training)
        for name, child in list(module.named_children()):
            converted.add_module(name, cls.convert_sync_batchnorm(child))
        return converted
