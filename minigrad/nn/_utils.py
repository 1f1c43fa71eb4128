"""nn's shared private helpers: argument pairs, the layouts the layers compute in, loss reduction checks. A leaf,
imported only inside minigrad.nn.

Layout. The conv stack keeps its (N, C, H, W) tensors in "batch-last" memory order (C, H, W, N): Conv2d's GEMM
produces its output so, each channel is then one contiguous row (BatchNorm's statistics are row sums), and every
window slice that im2col, col2im and pooling take has the whole batch as its contiguous inner run. The elementwise
ops keep the layout of their input (NumPy's order='K'); an input in another layout is copied once.
"""
import numpy as np

from minigrad import cuda
from minigrad.backend import get_array_module
from minigrad.checks import check_int
from minigrad.core import Tensor



def _pair(v, name, minimum, owner):
    """(v, v) for an int, (v[0], v[1]) for a pair, each an int >= ``minimum``; else an error naming ``owner``."""
    if isinstance(v, (tuple, list)):
        if len(v) != 2:
            raise ValueError(f"{owner}: {name} must be an int or a pair of ints, got {v!r}")
        return check_int(name, v[0], minimum, owner), check_int(name, v[1], minimum, owner)
    v = check_int(name, v, minimum, owner)
    return v, v


def _from_batch_last(a):
    """The (C, ..., N) array ``a`` viewed as (N, C, ...)."""
    return a.transpose((a.ndim - 1,) + tuple(range(a.ndim - 1)))


def _empty_batch_last(xp, shape, dtype, zero=True):
    """A new (N, C, ...) array laid out batch-last; zeros unless ``zero=False``."""
    make = xp.zeros if zero else xp.empty
    return _from_batch_last(make(tuple(shape[1:]) + (shape[0],), dtype=dtype))


def _padded_batch_last(x, ph, pw, value):
    """x (N, C, H, W) with ``ph`` rows and ``pw`` columns of ``value`` on each side, in a new batch-last array
    (``np.pad`` of a batch-last view would give C order, and every layer after it would copy back)."""
    n, c, h, w = x.shape
    out = _empty_batch_last(get_array_module(x), (n, c, h + 2 * ph, w + 2 * pw), x.dtype, zero=False)
    out[:, :, :ph] = value
    out[:, :, ph + h:] = value
    out[:, :, ph:ph + h, :pw] = value
    out[:, :, ph:ph + h, pw + w:] = value
    out[:, :, ph:ph + h, pw:pw + w] = x
    return out


def _batch_last(x):
    """x (N, C, ...) as a C-contiguous (C, ..., N) array: a view when x is batch-last already, else a copy."""
    return get_array_module(x).ascontiguousarray(x.transpose(tuple(range(1, x.ndim)) + (0,)))


def _channel_rows(x):
    """x (N, C, ...) as a (C, m) matrix, one row per channel (a view for 2-D and batch-last input)."""
    return x.T if x.ndim == 2 else _batch_last(x).reshape(x.shape[1], -1)


def _from_channel_rows(a, shape):
    """Inverse of ``_channel_rows``: the (C, m) matrix ``a`` as an (N, C, ...) tensor's array."""
    return a.T if len(shape) == 2 else _from_batch_last(a.reshape(tuple(shape[1:]) + (shape[0],)))


def _empty_row_reduction(a):
    """The sums over an empty axis 1: zeros (C, 1), written here, not left to a BLAS or einsum loop over
    nothing (on CI's CPU an empty batch once gave NaN dgamma that way; this machine gives zeros)."""
    return get_array_module(a).zeros((a.shape[0], 1), dtype=a.dtype)


_BLOCK = 4096  # values one BLAS call adds up in _row_sums and _row_dots on the CPU


def _blocked_row_reduction(a, b):
    """sum(a * b, axis=1) of (C, m) NumPy rows (b None: sum(a, axis=1)), as (C,): BLAS over blocks of ``_BLOCK``
    values, then NumPy's pairwise sum over the blocks. One BLAS pass over a long row keeps a few running sums: on
    ResNet's stem at batch 128 (294,912 values a row) its float32 sum of squared deviations was 4.4e-5 from float64
    (einsum's 3.7e-4); in blocks 4.8e-7, at the same speed."""
    c, m = a.shape
    q = m // _BLOCK
    head, tail = slice(0, q * _BLOCK), slice(q * _BLOCK, m)
    if b is None:
        ones = np.ones(_BLOCK, dtype=a.dtype)
        return (a[:, head].reshape(c, q, _BLOCK) @ ones).sum(1) + a[:, tail] @ ones[:m - q * _BLOCK]
    blocks = a[:, head].reshape(c, q, 1, _BLOCK) @ b[:, head].reshape(c, q, _BLOCK, 1)
    return blocks[:, :, 0, 0].sum(1) + (a[:, None, tail] @ b[:, tail, None])[:, 0, 0]


def _row_sums(a):
    """Sums over axis 1 of a 2-D array, as a column (C, 1): matrix-vector products (``_blocked_row_reduction`` on
    the CPU), far faster than ``sum``."""
    xp = get_array_module(a)
    if a.shape[1] == 0:
        return _empty_row_reduction(a)
    if xp is not np:
        return (a @ xp.ones(a.shape[1], dtype=a.dtype))[:, None]
    return _blocked_row_reduction(a, None)[:, None]


def _row_dots(a, b):
    """sum(a * b, axis=1) of 2-D arrays, as a column (C, 1), without the product as a temporary: BLAS dots over
    blocks of each row on the CPU (``_blocked_row_reduction``), a fused kernel on a GPU."""
    xp = get_array_module(a)
    if a.shape[1] == 0:
        return _empty_row_reduction(a)
    if xp is not np:
        return cuda.kernels().dot_rows(a, b, axis=1)[:, None]
    return _blocked_row_reduction(a, b)[:, None]


def _output_size(size, k, s, p, what):
    out = (size + 2 * p - k) // s + 1
    if out < 1:
        raise RuntimeError(f"{what}: input of size {size} with padding {p} is smaller than the kernel ({k})")
    return out


def _channel_axes(ndim):
    """The axes a per-channel statistic reduces over: all but dim 1."""
    return (0,) + tuple(range(2, ndim))


def _per_channel_shape(shape):
    """The shape that broadcasts one value per channel against ``shape``: (1, C, 1, ...)."""
    return (1, shape[1]) + (1,) * (len(shape) - 2)


def _check_tensors(name, **arguments):
    """TypeError, as PyTorch's "argument 'input' (position 1) must be Tensor, not list", for a non-tensor argument
    (None is allowed only for the optional ones, passed here as None-free)."""
    for arg, value in arguments.items():
        if not isinstance(value, Tensor):
            raise TypeError(f"{name}(): argument '{arg}' must be a Tensor, got {type(value).__name__}")


def in_place_or_not(x, inplace, name, op, reads_old=True):
    """``op(x)``; with ``inplace=True`` that result written into ``x``, which is returned (PyTorch's
    ``inplace=``; recorded in the graph as PyTorch records it, see ``Tensor._record_in_place``). ``x``: a Tensor."""
    return x._apply_in_place(f"{name}(inplace=True)", op, reads_old=reads_old) if inplace else op(x)


REDUCTIONS = ("mean", "sum", "none")


def _unsupported_loss_args(name, weight=None, size_average=None, reduce=None, ignore_index=-100, label_smoothing=0.0):
    """NotImplementedError naming the first of PyTorch's loss arguments that minigrad does not support."""
    given = [arg for arg, unset in (("weight", weight is None), ("size_average", size_average is None),
                                    ("reduce", reduce is None), ("ignore_index", ignore_index == -100),
                                    ("label_smoothing", not label_smoothing)) if not unset]
    if given:
        raise NotImplementedError(f"{name}: the argument {given[0]}= is not supported by minigrad")


def _check_reduction(name, reduction):
    if reduction not in REDUCTIONS:
        raise ValueError(f"{name}: reduction must be 'mean', 'sum' or 'none', got {reduction!r}")


def _reduce(loss, reduction):
    return loss.mean() if reduction == "mean" else loss.sum() if reduction == "sum" else loss
