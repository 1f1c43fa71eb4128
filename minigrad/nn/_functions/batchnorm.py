"""Batch normalisation's ops (derivation: docs/batchnorm.md): the statistics, shared by BatchNorm and
SyncBatchNorm (``_row_moments``, ``_normalize_rows``), the closed-form backward (``BatchNormGrad``), the
evaluation-mode form and the functional wrappers (``batch_norm``, the book's ``d2l_batch_norm``).

SyncBatchNorm normalises over the batch of all processes together. Each process holds n_r of the
M = sum_r n_r values of a channel. Forward: one all-gather of each channel's (n_r, local mean, local sum of
squared deviations) merged, in float64, by count into the global mean and biased variance (Chan et al.'s
parallel formula, no cancellation). Backward: one all-reduce of each channel's local (sum dy, sum dy * x_hat),
then BatchNorm's closed form with the global sums and M. Every process's outputs and input gradients are then
those of BatchNorm on the concatenated batch; its gamma/beta gradients are its own share, which
DistributedDataParallel's all-reduce completes. With create_graph the gradient is built from Functions (the
global sums through a differentiable all-reduce), so it can be differentiated again.
"""
import warnings

import numpy as np

from minigrad import cuda, ops, threads
from minigrad import distributed as dist
from minigrad.backend import get_array_module
from minigrad.checks import check_real
from minigrad.core import DerivativeFunction, Function, Tensor, is_grad_enabled, run_backward
from minigrad.nn._utils import (_channel_axes, _channel_rows, _from_channel_rows, _per_channel_shape, _row_dots,
                                _row_sums)

#: the channels split over threads in parts of multiples of this many rows: BLAS's matrix-vector kernels sum rows
#: in groups of 4, and a remainder row another way, so that aligned parts give the sums of one call
_ROWS_ALIGN = 8


def check_batch_norm_input(x, num_features, ndims, what):
    """An error naming the expected and actual shape when x does not fit a BatchNorm layer: ValueError for the
    number of dimensions, RuntimeError for the number of channels (PyTorch's types)."""
    if x.ndim not in ndims:
        expected = " or ".join({2: "(N, C)", 3: "(N, C, L)", 4: "(N, C, H, W)"}[d] for d in ndims)
        raise ValueError(f"{what}: expected {expected} input, got shape {x.shape}")
    if x.shape[1] != num_features:
        raise RuntimeError(f"{what}: expected {num_features} channels (dim 1), got input of shape {x.shape}")


def _stat_rows(a):
    """``_channel_rows(a)``, in float32 when ``a`` is float16: BatchNorm's sums run in at least float32."""
    rows = _channel_rows(a)
    return rows.astype(np.float32) if rows.dtype == np.float16 else rows


def _like_input(out, a):
    """``out`` back in float16 when the input ``a`` was float16 (see ``_stat_rows``)."""
    return out.astype(np.float16) if a.dtype == np.float16 and out.dtype != np.float16 else out


def _row_moments(x2):
    """BatchNorm's local statistics of (C, n) rows: (mean, m2, centred), the per-channel mean (C, 1), the sum of
    squared deviations from it (C, 1) and, on the CPU, the centred rows x2 - mean (that ``_normalize_rows`` turns into y
    in place; the channels split over minigrad's threads); None on a GPU, whose fused kernels need no centred copy.
    An empty batch gives zeros."""
    c, m = x2.shape
    if get_array_module(x2) is not np:
        mean = _row_sums(x2) / max(m, 1)
        return mean, cuda.kernels().sq_dev_rows(x2, mean, axis=1)[:, None], None
    mean, m2, centred = np.empty((c, 1), x2.dtype), np.empty((c, 1), x2.dtype), np.empty_like(x2)

    def part(a, b):
        mean[a:b] = _row_sums(x2[a:b]) / max(m, 1)
        np.subtract(x2[a:b], mean[a:b], out=centred[a:b])
        m2[a:b] = _row_dots(centred[a:b], centred[a:b])
    threads.split(part, c, 3 * x2.size, _ROWS_ALIGN)
    return mean, m2, centred


def _normalize_rows(x2, centred, local_mean, mean, inv_std, gamma_col, beta_col):
    """y rows from the statistics: y = gamma * x_hat + beta, x_hat = (x - mean) * inv_std. ``centred`` and
    ``local_mean`` are ``_row_moments(x2)``'s; ``mean`` is the same array (BatchNorm) or the mean over every
    process's batch (SyncBatchNorm). On the CPU y is written into ``centred`` in two passes, y = centred * scale +
    shift with scale = gamma * inv_std per channel (PyTorch's CPU kernel also folds gamma into one scale), shift =
    beta, plus (local_mean - mean) * scale for SyncBatchNorm; x_hat itself is not formed (backward rebuilds it,
    ``_x_hat_rows``; the channels split over minigrad's threads). On a GPU one fused kernel."""
    if centred is None:
        return cuda.kernels().bn_normalize(x2, mean.astype(x2.dtype, copy=False), inv_std, gamma_col, beta_col)[1]
    scale = (gamma_col * inv_std).astype(centred.dtype, copy=False)
    shift = (beta_col if mean is local_mean else beta_col + (local_mean - mean) * scale).astype(centred.dtype,
                                                                                                copy=False)

    def part(a, b):
        y = centred[a:b]
        y *= scale[a:b]
        y += shift[a:b]
    threads.split(part, len(centred), 2 * centred.size, _ROWS_ALIGN)
    return centred


def _centre_and_scale(centred, local_mean, mean, inv_std):
    """x_hat rows, in place, from ``centred`` = x - local_mean: moved to ``mean`` when that is another array
    (SyncBatchNorm's, over every process's batch), then scaled by inv_std."""
    if mean is not local_mean:
        centred += (local_mean - mean).astype(centred.dtype)  # now x - mean
    centred *= inv_std
    return centred


def _x_hat_rows(x2, local_mean, mean, inv_std):
    """The x_hat rows of a BatchNorm input's rows ``x2``, (x - mean) * inv_std, rebuilt from the forward's statistics
    (the forward forms y directly, ``_normalize_rows``). BatchNorm keeps x, the mean and inv_std for its backward,
    not x_hat, as PyTorch's (input, save_mean, save_invstd): one activation fewer held per layer until backward
    (DenseNet: 328 MiB at batch 128), for one pass more in backward."""
    if get_array_module(x2) is not np:
        return cuda.kernels().bn_x_hat(x2, mean.astype(x2.dtype, copy=False), inv_std)
    return _centre_and_scale(x2 - local_mean, local_mean, mean, inv_std)


def _normalize_graph(x, eps, channel_mean=None):
    """(x_hat, inv_std) of a training-mode BatchNorm input, built from primitive ops: differentiable to any order.
    ``channel_mean(a)``: the per-channel mean of a Tensor shaped like x, kept (1, C, 1, ...) (default: over
    this batch; SyncBatchNorm's is over every process's batch)."""
    if channel_mean is None:
        axes = _channel_axes(x.ndim)
        channel_mean = lambda a: a.mean(axes, True)  # noqa: E731
    xc = x - channel_mean(x)
    inv_std = 1.0 / (channel_mean(xc * xc) + eps).sqrt()
    return xc * inv_std, inv_std


def _bn_input_grad_rows(gy2, x_hat, scale, sum_dy, sum_dy_xhat, m, scratch=False):
    """BatchNorm's input gradient on (C, n) rows: scale * (gy - sum_dy / m - x_hat * sum_dy_xhat / m).

    scale = gamma * inv_std; sum_dy and sum_dy_xhat (C, 1) are the sums over the m values of each
    channel (this batch's for BatchNorm, every process's for SyncBatchNorm). One buffer on the CPU (``x_hat``
    itself when ``scratch``: rebuilt for this backward, nothing else reads it), one fused kernel on a GPU.
    """
    if get_array_module(gy2) is not np:
        return cuda.kernels().bn_backward(gy2, x_hat, scale, sum_dy / m, sum_dy_xhat / m)
    if scratch:
        gx = x_hat
        gx *= sum_dy_xhat * (-1.0 / m)
    else:
        gx = x_hat * (sum_dy_xhat * (-1.0 / m))
    gx -= sum_dy * (1.0 / m)
    gx += gy2
    gx *= scale
    return gx


class BatchNormGrad(DerivativeFunction):
    """BatchNorm's input gradient as a Function of (x, gamma, gy), so that it can be differentiated again.

    Per channel (m values, <v> their mean, s = inv_std, x_hat = (x - mu) s):
        gx = gamma s (gy - <gy> - x_hat <gy x_hat>) = gamma s P(gy)
    where P removes the mean and the x_hat component. ``fused`` is this closed form on
    (C, m) rows, shared with BatchNormFunction.backward; ``x_hat`` and ``inv_std`` are
    the forward's saved statistics of x (the graph path rebuilds them from x, so their
    dependence on x is differentiated). Double backward, for an upstream a = dL/d(gx),
    with G(v) = BatchNormGrad(x, 1, v) = s P(v) (derivation: docs/batchnorm.md, section 7):
        d/dgy    = gamma s P(a) = BatchNormGrad(x, gamma, a)      (gx is self-adjoint in gy)
        d/dgamma = sum(a G(gy))
        d/dx     = -gamma s (x_hat <a G(gy)> + <gy x_hat> G(a) + <a x_hat> G(gy))
    exact (the batch mean and variance are differentiated, not held constant), with no
    division by gamma, and built from Functions: every further derivative is exact too.
    """

    def __init__(self, x_hat, inv_std, eps):
        self.x_hat, self.inv_std, self.eps = x_hat, inv_std, eps

    def forward(self, x, gamma, gy):
        gx, _, _ = self.fused(_stat_rows(gy), self.x_hat, gamma.reshape(-1, 1) * self.inv_std, True)
        return _like_input(_from_channel_rows(gx, x.shape), gy)

    @staticmethod
    def fused(gy2, x_hat, scale, need_x, scratch=False, inv_std=None):
        """The closed form on (C, m) rows: (gx rows or None, dgamma (C, 1), dbeta (C, 1)); scale = gamma * inv_std;
        ``scratch``: x_hat may become gx. With ``inv_std`` the rows given are x - mean, and x_hat is them times
        inv_std, which is applied to the sums instead: a pass fewer than forming x_hat."""
        dbeta, dgamma = _row_sums(gy2), _row_dots(gy2, x_hat)
        k = dgamma  # the coefficient of the rows given in gx
        if inv_std is not None:
            dgamma = dgamma * inv_std
            k = dgamma * inv_std
        gx = _bn_input_grad_rows(gy2, x_hat, scale, dbeta, k, max(x_hat.shape[1], 1), scratch) if need_x else None
        return gx, dgamma, dbeta

    def backward_graph(self, a):
        x, gamma, gy = self.inputs
        need_x, need_gamma, need_gy = self.needs_input_grad
        axes, b = _channel_axes(x.ndim), _per_channel_shape(x.shape)
        g_gy = BatchNormGrad(self.x_hat, self.inv_std, self.eps)(x, gamma, a) if need_gy else None
        g_x = g_gamma = None
        if need_x or need_gamma:
            ones = Tensor._wrap(get_array_module(gamma.array).ones(gamma.shape, dtype=gamma.dtype))

            def G(v):  # noqa: N802 (the derivation's name): s P(v)
                return BatchNormGrad(self.x_hat, self.inv_std, self.eps)(x, ones, v)

            G_gy = G(gy)
            if need_gamma:
                g_gamma = (a * G_gy).sum(axes, True).reshape(gamma.shape)
            if need_x:
                x_hat, inv_std = _normalize_graph(x, self.eps)

                def mean(t):
                    return t.mean(axes, True)

                g_x = -(gamma.reshape(*b) * inv_std) * (
                    x_hat * mean(a * G_gy) + mean(gy * x_hat) * G(a) + mean(a * x_hat) * G_gy)
        return g_x, g_gamma, g_gy


class BatchNormFunction(Function):
    """Batch normalisation with the batch's own statistics (training mode).

    Per channel, over its m values (m = N for (N, C) input, N*H*W for (N, C, H, W)):
        mu = sum(x) / m,   var = sum((x - mu)^2) / m        (biased; two passes, stable in float32)
        inv_std = 1 / sqrt(var + eps),   x_hat = (x - mu) * inv_std,   y = gamma * x_hat + beta
    Backward, closed form:
        dbeta  = sum(dy)
        dgamma = sum(dy * x_hat)
        dx     = gamma * inv_std / m * (m * dy - dbeta - x_hat * dgamma)  = BatchNormGrad(x, gamma, dy)
    Kept for it: x (the input), mean, inv_std and gamma; x_hat is rebuilt from them (``_x_hat_rows``; on the CPU
    backward only forms x - mean and applies inv_std to the sums).
    The work runs on x as a (C, m) matrix (see ``_channel_rows``), one row per channel,
    in float32 for float16 input. After forward, ``self.mean`` and ``self.var`` hold the
    batch statistics, shape (C,). An empty batch gives an empty output (its statistics are 0).
    """

    saves_output = False  # backward reads its input (x_hat rebuilt from it), not its output

    def __init__(self, eps=1e-5):
        self.eps = eps

    def forward(self, x, gamma, beta):
        x2 = _stat_rows(x)                              # (C, m)
        mean, m2, centred = _row_moments(x2)            # (C, 1) each
        var = m2 / max(x2.shape[1], 1)
        inv_std = 1.0 / get_array_module(x).sqrt(var + self.eps)
        self.gamma, beta_col = gamma.reshape(-1, 1), beta.reshape(-1, 1)
        y = _normalize_rows(x2, centred, mean, mean, inv_std, self.gamma, beta_col)
        self.mean_col, self.inv_std, self.shape = mean, inv_std, x.shape
        self.mean, self.var = mean[:, 0], var[:, 0]
        self.param_shapes = gamma.shape, beta.shape
        return _like_input(_from_channel_rows(y, x.shape), x)

    def x_hat(self):
        """The forward's x_hat rows (C, m), rebuilt from the input."""
        return _x_hat_rows(_stat_rows(self.inputs[0].array), self.mean_col, self.mean_col, self.inv_std)

    def backward(self, gy):
        x2, gy2, scale = _stat_rows(self.inputs[0].array), _stat_rows(gy), self.gamma * self.inv_std
        need_x = self.needs_input_grad[0]
        if get_array_module(x2) is np:  # on x - mean, inv_std applied to the sums; the channels split over threads
            rows, c = np.empty_like(x2), len(x2)
            dgamma, dbeta = np.empty((c, 1), x2.dtype), np.empty((c, 1), x2.dtype)

            def part(a, b):
                np.subtract(x2[a:b], self.mean_col[a:b], out=rows[a:b])
                _, dgamma[a:b], dbeta[a:b] = BatchNormGrad.fused(gy2[a:b], rows[a:b], scale[a:b], need_x, True,
                                                                 self.inv_std[a:b])
            threads.split(part, c, 5 * x2.size, _ROWS_ALIGN)
            gx = rows if need_x else None
        else:
            gx, dgamma, dbeta = BatchNormGrad.fused(gy2, self.x_hat(), scale, need_x, True)
        if gx is not None:
            gx = _like_input(_from_channel_rows(gx, self.shape), gy)
        g_shape, b_shape = self.param_shapes
        return gx, dgamma.reshape(g_shape), dbeta.reshape(b_shape)

    def backward_graph(self, gy):
        x, gamma, beta = self.inputs
        need_x, need_gamma, need_beta = self.needs_input_grad
        axes = _channel_axes(x.ndim)
        gx = BatchNormGrad(self.x_hat(), self.inv_std, self.eps)(x, gamma, gy) if need_x else None
        g_gamma = (gy * _normalize_graph(x, self.eps)[0]).sum(axes, True).reshape(gamma.shape) if need_gamma else None
        g_beta = gy.sum(axes, True).reshape(beta.shape) if need_beta else None
        return gx, g_gamma, g_beta


class FixedBatchNormFunction(Function):
    """Batch normalisation with given statistics (inference mode).

    y = gamma * x_hat + beta with x_hat = (x - mean) * inv_std, inv_std = 1 / sqrt(var + eps);
    mean and var are constants here, so dx = dy * gamma * inv_std, dgamma = sum(dy * x_hat), dbeta = sum(dy).
    The layer is affine in x: d(dx)/dx = 0, d(dx)/dgamma = dy * inv_std, d(dgamma)/dx = dy * inv_std.
    """

    saves_output = False

    def __init__(self, mean, var, eps=1e-5):
        self.mean, self.var, self.eps = mean, var, eps

    def forward(self, x, gamma, beta):
        xp = get_array_module(x)
        x2 = _stat_rows(x)
        self.inv_std = 1.0 / xp.sqrt(self.var.reshape(-1, 1) + self.eps)
        self.gamma, self.shape = gamma.reshape(-1, 1), x.shape
        self.param_shapes = gamma.shape, beta.shape
        y = self._x_hat(x2) * self.gamma
        y += beta.reshape(-1, 1)
        return _like_input(_from_channel_rows(y, x.shape), x)

    def _x_hat(self, x2):
        """x_hat rows of the input rows x2 (rebuilt in backward, not kept: one activation fewer held)."""
        return (x2 - self.mean.reshape(-1, 1)) * self.inv_std

    def backward(self, gy):
        gy2 = _stat_rows(gy)
        need_x, need_gamma, _ = self.needs_input_grad
        gx = dgamma = None
        if need_x:
            gx = _like_input(_from_channel_rows(gy2 * (self.gamma * self.inv_std), self.shape), gy)
        g_shape, b_shape = self.param_shapes
        if need_gamma:
            dgamma = _row_dots(gy2, self._x_hat(_stat_rows(self.inputs[0].array))).reshape(g_shape)
        return gx, dgamma, _row_sums(gy2).reshape(b_shape)

    def backward_graph(self, gy):
        x, gamma, beta = self.inputs
        need_x, need_gamma, need_beta = self.needs_input_grad
        axes, b = _channel_axes(x.ndim), _per_channel_shape(x.shape)
        inv_std = Tensor._wrap(self.inv_std.reshape(b))
        gx = gy * (gamma.reshape(*b) * inv_std) if need_x else None
        g_gamma = None
        if need_gamma:
            x_hat = (x - Tensor._wrap(self.mean.reshape(b))) * inv_std
            g_gamma = (gy * x_hat).sum(axes, True).reshape(gamma.shape)
        g_beta = gy.sum(axes, True).reshape(beta.shape) if need_beta else None
        return gx, g_gamma, g_beta


def _scale_and_shift(weight, bias, x):
    """(weight, bias) of a batch norm over ``x``, with PyTorch's None meaning 1 and 0 (constants of x's dtype)."""
    xp = get_array_module(x.array)
    c = x.shape[1]
    return (Tensor._wrap(xp.ones(c, dtype=x.dtype)) if weight is None else weight,
            Tensor._wrap(xp.zeros(c, dtype=x.dtype)) if bias is None else bias)


def _update_running_stats(running_mean, running_var, mean, var, count, momentum):
    """In place: running = (1 - momentum) * running + momentum * batch (PyTorch's convention), from the batch
    mean and biased variance (raw arrays) of ``count`` values per channel; the running variance takes the
    unbiased one, var * count / (count - 1)."""
    for running, batch in ((running_mean, mean), (running_var, var * (count / (count - 1)))):
        r = running.array
        r *= 1.0 - momentum
        r += momentum * batch.reshape(r.shape)


def _check_batch_norm_dtypes(x, running_mean, running_var, weight, bias):
    """RuntimeError, as PyTorch, unless the statistics and parameters given have the input's dtype, or
    float32 all for a float16 input (mixed precision)."""
    named = [(name, t) for name, t in (("running_mean", running_mean), ("running_var", running_var),
                                       ("weight", weight), ("bias", bias)) if t is not None]
    if x.dtype == np.float16 and named and named[0][1].dtype == np.float32:
        ops.check_same_dtype("batch_norm", *named)
    else:
        ops.check_same_dtype("batch_norm", ("input", x), *named)


def batch_norm(input, running_mean, running_var, weight=None, bias=None, training=False,  # noqa: A002
               momentum=0.1, eps=1e-5):
    """Batch normalisation of input (N, C, *) per channel, as ``torch.nn.functional.batch_norm``.

    y = weight * (x - mu) / sqrt(var + eps) + bias, with ``weight`` None meaning 1 and ``bias`` None 0.
    ``training``: mu and var are the batch's mean and biased variance over the m = N * prod(*) values of
    each channel (m = 1 is a ValueError); the running statistics, when given, are updated in place,
        running_mean = (1 - momentum) * running_mean + momentum * mu,
        running_var  = (1 - momentum) * running_var  + momentum * var * m / (m - 1)   (unbiased),
    and an empty batch leaves them as they are. Otherwise mu and var are ``running_mean`` and
    ``running_var`` (required). Returns y. The D2L chapter's function of the same name is ``d2l_batch_norm``.
    """
    x = input
    if not isinstance(x, Tensor) or x.ndim < 2:
        raise ValueError(f"batch_norm: expected a Tensor input of shape (N, C, *), got "
                         f"{tuple(x.shape) if isinstance(x, Tensor) else type(x).__name__}")
    c = x.shape[1]
    if (running_mean is None) != (running_var is None):
        raise ValueError("batch_norm: running_mean and running_var must either both be None or neither be None")
    for name, t in (("running_mean", running_mean), ("running_var", running_var), ("weight", weight),
                    ("bias", bias)):
        if t is not None and not isinstance(t, Tensor):  # PyTorch: TypeError "argument ... must be Tensor, not int"
            raise TypeError(f"batch_norm: {name} must be a Tensor or None, got {type(t).__name__}")
        if t is not None and t.numel() != c:
            raise RuntimeError(f"batch_norm: {name} should contain {c} elements (the channels of an input of shape "
                               f"{x.shape}), got shape {tuple(t.shape)}")
    _check_batch_norm_dtypes(x, running_mean, running_var, weight, bias)
    gamma, beta = _scale_and_shift(weight, bias, x)
    if not training:
        if running_mean is None:
            raise RuntimeError("batch_norm: running_mean and running_var must be given when training=False")
        return FixedBatchNormFunction(running_mean.array, running_var.array, eps)(x, gamma, beta)
    m = x.numel() // c if c else 0
    if m == 1:
        raise ValueError(f"batch_norm: expected more than 1 value per channel when training, got input of shape "
                         f"{x.shape}")
    fn = BatchNormFunction(eps)
    y = fn(x, gamma, beta)
    if running_mean is not None and m:
        momentum = check_real("momentum", momentum, high=1.0, high_open=False, message="batch_norm: invalid momentum")
        _update_running_stats(running_mean, running_var, fn.mean, fn.var, m, momentum)
    return y


def _d2l_moving_average(moving, batch, momentum):
    """The chapter's update, a new Tensor: momentum * moving + (1 - momentum) * batch, in the dtype of ``moving``."""
    new = momentum * moving + (1.0 - momentum) * batch.reshape(moving.shape)
    return Tensor(new.astype(moving.dtype, copy=False))


def d2l_batch_norm(X, gamma, beta, moving_mean, moving_var, eps=1e-5, momentum=0.9, training=None):
    """The D2L chapter's own ``batch_norm`` (not PyTorch's ``batch_norm`` above): returns ``(Y, moving_mean,
    moving_var)``.

    Training (``training=None`` means ``is_grad_enabled()``, as in the chapter):
    normalise with the batch mean and biased variance over the feature axis
    (2-D input) or the channel axis (4-D input), and return new moving
    statistics ``moving = momentum * moving + (1 - momentum) * batch`` (momentum
    weighs the old value; biased variance). Inference: normalise with the moving
    statistics and return them unchanged. An empty batch leaves them unchanged.
    """
    gamma_size = gamma.array.size if isinstance(gamma, Tensor) else np.size(gamma)
    check_batch_norm_input(X, gamma_size, (2, 4), "d2l_batch_norm")
    if X.dtype.kind != "f":  # the chapter's X.mean(...) in PyTorch: RuntimeError "mean(): could not infer output dtype"
        raise RuntimeError(f"d2l_batch_norm: expected a floating-point input, got dtype {X.dtype} (call .float())")
    if training is None:
        training = is_grad_enabled()
    mm = moving_mean.array if isinstance(moving_mean, Tensor) else moving_mean
    mv = moving_var.array if isinstance(moving_var, Tensor) else moving_var
    if not training:
        return FixedBatchNormFunction(mm, mv, eps)(X, gamma, beta), moving_mean, moving_var
    if X.array.size == X.shape[1]:  # warned once per calling line (Python's default filter), as the chapter allows it
        warnings.warn(f"d2l_batch_norm: a training batch of shape {X.shape} has one value per channel, which "
                      "normalises to 0: the output is beta and no gradient reaches X or gamma (PyTorch's BatchNorm "
                      "layers refuse such a batch); train on more than one example, or call .eval()", stacklevel=2)
    fn = BatchNormFunction(eps)
    Y = fn(X, gamma, beta)
    if X.array.size == 0:  # an empty batch has no statistics: the moving ones stay as they are
        return Y, moving_mean, moving_var
    return Y, _d2l_moving_average(mm, fn.mean, momentum), _d2l_moving_average(mv, fn.var, momentum)


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

    saves_output = False  # backward reads its input (x_hat rebuilt from it), not its output

    def __init__(self, eps=1e-5):
        self.eps = eps

    def forward(self, x, gamma, beta):
        xp = get_array_module(x)
        x2 = _channel_rows(x)                                            # (C, n)
        n = x2.shape[1]
        local_mean, local_m2, centred = _row_moments(x2)                # (C, 1) each; zeros for an empty batch
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
        y = _normalize_rows(x2, centred, local_mean, mean, inv_std, self.gamma, beta_col)
        self.means, self.inv_std, self.shape = (local_mean, mean), inv_std, x.shape
        self.mean, self.var = mean[:, 0].astype(x.dtype), var[:, 0].astype(x.dtype)
        self.param_shapes = gamma.shape, beta.shape
        return _from_channel_rows(y, x.shape)

    def backward(self, gy):
        xp = get_array_module(gy)
        x_hat = _x_hat_rows(_channel_rows(self.inputs[0].array), *self.means, self.inv_std)
        m = max(self.count, 1)
        gy2 = _channel_rows(gy)
        dbeta, dgamma = _row_sums(gy2), _row_dots(gy2, x_hat)             # this process's sums, (C, 1)
        sums = dist.all_reduce_array(xp.concatenate([dbeta, dgamma], axis=1).astype(np.float64),
                                     what=f"SyncBatchNorm's gradient sums of {len(dbeta)} channels")
        sum_dy, sum_dy_xhat = (sums[:, i:i + 1].astype(gy.dtype) for i in (0, 1))
        gx = None
        if self.needs_input_grad[0]:
            gx_rows = _bn_input_grad_rows(gy2, x_hat, self.gamma * self.inv_std, sum_dy, sum_dy_xhat, m, True)
            gx = _from_channel_rows(gx_rows, self.shape)
        g_shape, b_shape = self.param_shapes
        return gx, dgamma.reshape(g_shape), dbeta.reshape(b_shape)

    def backward_graph(self, gy):
        """The same gradients built from Functions, so that they can be differentiated again: the
        normalisation rebuilt from primitive ops with its global sums through ``AllReduceSum`` (one per
        statistic), differentiated with create_graph. Every process runs the same collectives in the same
        order, as the graphs are alike."""
        x, gamma, beta = self.inputs
        axes, shape, m = _channel_axes(x.ndim), _per_channel_shape(x.shape), max(self.count, 1)
        x_hat, _ = _normalize_graph(x, self.eps, lambda a: dist.AllReduceSum()(a.sum(axes, True)) / m)
        y = x_hat * gamma.reshape(shape) + beta.reshape(shape)
        wanted = [t for t, need in zip(self.inputs, self.needs_input_grad) if need]
        grads = iter(run_backward([y], [gy], create_graph=True, inputs=wanted, allow_unused=True))
        return tuple(next(grads) if need else None for need in self.needs_input_grad)
