"""Batch normalisation over the batch of all processes together (derivation: docs/batchnorm.md, "SyncBatchNorm").

Each process holds n_r of the M = sum_r n_r values of a channel. Forward: one
all-gather of each channel's (n_r, local mean, local sum of squared deviations)
merged, in float64, by count into the global mean and biased variance
(Chan et al.'s parallel formula, no cancellation). Backward: one all-reduce of
each channel's local (sum dy, sum dy * x_hat), then BatchNorm's closed form with
the global sums and M. Every process's outputs and input gradients are then
those of BatchNorm on the concatenated batch; its gamma/beta gradients are its
own share, which DistributedDataParallel's all-reduce completes. With
create_graph the gradient is built from Functions (the global sums through a
differentiable all-reduce), so it can be differentiated again.
"""
import numpy as np

from minigrad import cuda
from minigrad import distributed as dist
from minigrad.backend import get_array_module
from minigrad.core import Function, is_grad_enabled, no_grad, run_backward
from minigrad.nn import functional as F
from minigrad.nn.functional import _channel_rows, _from_channel_rows, _row_dots, _row_sums
from minigrad.nn.layers import BatchNorm, _BatchNormTorch


class SyncBatchNormFunction(Function):
    """Training-mode BatchNorm with statistics over all processes' batches (any process's may be empty).

    Per channel, from the gathered (n_r, mu_r, S_r), S_r = sum_i (x_i - mu_r)^2 over process r's values:
        M = sum_r n_r,   mu = sum_r n_r mu_r / M,   var = (sum_r S_r + sum_r n_r (mu_r - mu)^2) / M
        x_hat = (x - mu) / sqrt(var + eps),   y = gamma * x_hat + beta
    Backward, with the sums over all processes (one all-reduce):
        dx = gamma * inv_std / M * (M dy - sum_all dy - x_hat * sum_all dy x_hat)
        dgamma = sum_local dy x_hat,   dbeta = sum_local dy   (this process's share)
    After forward, ``mean`` and ``var`` (C,) hold the global statistics and ``count`` holds M.
    """

    saves_output = False  # backward reads its own x_hat

    def __init__(self, eps=1e-5):
        self.eps = eps

    def forward(self, x, gamma, beta):
        xp = get_array_module(x)
        x2 = _channel_rows(x)                                            # (C, n)
        n = x2.shape[1]
        local_mean = _row_sums(x2) / max(n, 1)                          # (C, 1); zeros for an empty batch
        if xp is np:
            centred = x2 - local_mean
            local_m2 = _row_dots(centred, centred)
        else:
            local_m2 = cuda.kernels().sq_dev_rows(x2, local_mean, axis=1)[:, None]
        stats = xp.concatenate([xp.full_like(local_mean, n), local_mean, local_m2], axis=1).astype(np.float64)
        gathered = dist.all_gather_array(stats, f"SyncBatchNorm's statistics of {len(stats)} channels")
        counts, means, m2s = xp.moveaxis(gathered, 2, 0)[:, :, :, None]  # each (W, C, 1)
        total = counts.sum(axis=0)                                        # (C, 1), M in every row
        self.count = int(total[0, 0])
        m = max(self.count, 1)  # every batch empty: the output is empty too, and the statistics are 0
        mean = (counts * means).sum(axis=0) / m
        var = (m2s.sum(axis=0) + (counts * (means - mean) ** 2).sum(axis=0)) / m
        inv_std = (1.0 / xp.sqrt(var + self.eps)).astype(x.dtype)
        self.gamma, beta_col = gamma.reshape(-1, 1), beta.reshape(-1, 1)
        if xp is np:
            centred += (local_mean - mean).astype(x.dtype)                # now x - mu (global)
            centred *= inv_std
            x_hat = centred
            y = x_hat * self.gamma
            y += beta_col
        else:
            x_hat, y = cuda.kernels().bn_normalize(x2, mean.astype(x.dtype), inv_std, self.gamma, beta_col)
        self.x_hat, self.inv_std, self.shape = x_hat, inv_std, x.shape
        self.mean, self.var = mean[:, 0].astype(x.dtype), var[:, 0].astype(x.dtype)
        self.param_shapes = gamma.shape, beta.shape
        return _from_channel_rows(y, x.shape)

    def backward(self, gy):
        xp = get_array_module(gy)
        x_hat, m = self.x_hat, max(self.count, 1)
        gy2 = _channel_rows(gy)
        dbeta, dgamma = _row_sums(gy2), _row_dots(gy2, x_hat)             # this process's sums, (C, 1)
        sums = dist.all_reduce_array(xp.concatenate([dbeta, dgamma], axis=1).astype(np.float64),
                                     what=f"SyncBatchNorm's gradient sums of {len(dbeta)} channels")
        sum_dy, sum_dy_xhat = (sums[:, i:i + 1].astype(gy.dtype) for i in (0, 1))
        gx = None
        if self.needs_input_grad[0]:
            gx_rows = F._bn_input_grad_rows(gy2, x_hat, self.gamma * self.inv_std, sum_dy, sum_dy_xhat, m)
            gx = _from_channel_rows(gx_rows, self.shape)
        g_shape, b_shape = self.param_shapes
        return gx, dgamma.reshape(g_shape), dbeta.reshape(b_shape)

    def backward_graph(self, gy):
        """The same gradients built from Functions, so that they can be differentiated again: the
        normalisation rebuilt from primitive ops with its global sums through ``AllReduceSum`` (one per
        statistic), differentiated with create_graph. Every process runs the same collectives in the same
        order, as the graphs are alike."""
        x, gamma, beta = self.inputs
        axes, shape, m = F._channel_axes(x.ndim), F._per_channel_shape(x.shape), max(self.count, 1)
        x_hat, _ = F._normalize_graph(x, self.eps, lambda a: dist.AllReduceSum()(a.sum(axes, True)) / m)
        y = x_hat * gamma.reshape(shape) + beta.reshape(shape)
        wanted = [t for t, need in zip(self.inputs, self.needs_input_grad) if need]
        grads = iter(run_backward([y], [gy], create_graph=True, inputs=wanted, allow_unused=True))
        return tuple(next(grads) if need else None for need in self.needs_input_grad)


def _synchronised(training):
    """Whether a BatchNorm layer must use the statistics of all processes now."""
    return training and dist.is_initialized() and dist.get_world_size() > 1


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
        F.check_batch_norm_input(x, self.num_features, self.ndims, "SyncBatchNorm")
        gamma, beta = F._scale_and_shift(self.weight, self.bias, x)
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
                F._update_running_stats(self.running_mean, self.running_var, fn.mean, fn.var, m, f)
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
        F.check_batch_norm_input(X, self.num_features, (self.num_dims,), f"SyncBatchNorm(num_dims={self.num_dims})")
        fn = SyncBatchNormFunction(self.eps)
        Y = fn(X, self.gamma, self.beta)
        if fn.count == 0:  # every process's batch is empty: no statistics, the moving ones stay
            return Y
        self.moving_mean = F._d2l_moving_average(self.moving_mean.array, fn.mean, self.momentum)
        self.moving_var = F._d2l_moving_average(self.moving_var.array, fn.var, self.momentum)
        return Y
