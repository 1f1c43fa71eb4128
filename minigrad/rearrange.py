"""Rearranging ops with PyTorch's names: flip, roll, narrow, tile, repeat_interleave, hstack, vstack, scatter,
scatter_add (all out of place except ``narrow``, a view).

flip and roll are Functions whose gradient is the same move backwards; the others are built from indexing,
``repeat``, ``cat`` and ``IndexPut``/``GetItemGrad`` (a scatter is the gradient of a gather), so their
derivatives of every order come from those ops.
"""
import builtins
import numbers

import numpy as np

from minigrad import backend, ops
from minigrad.backend import get_array_module
from minigrad.core import Function, Tensor


def _int_list(value, name, arg):
    """``value`` (an int or a sequence of ints) as a tuple of ints; TypeError naming ``arg`` otherwise."""
    items = tuple(value) if isinstance(value, (tuple, list)) else (value,)
    for v in items:
        if isinstance(v, bool) or not isinstance(v, (numbers.Integral, Tensor)):
            raise TypeError(f"{name}(): argument '{arg}' must be an int or a tuple of ints, got "
                            f"{type(v).__name__} {v!r}")
    return tuple(int(v) for v in items)


def _int_arg(value, name, arg):
    """``value`` as an int (a one-element integer tensor allowed); TypeError naming ``arg`` otherwise."""
    if isinstance(value, bool) or not isinstance(value, (numbers.Integral, Tensor)):
        raise TypeError(f"{name}(): argument '{arg}' must be int, not {type(value).__name__}")
    return int(value)


def varargs(values, kwargs, name):
    """A method's sizes given as varargs (``x.flip(0, 1)``), one sequence (``x.flip((0, 1))``) or by keyword."""
    if kwargs:
        if values or set(kwargs) != {name}:
            raise TypeError(f"expected the argument '{name}' once, got {values} and {kwargs}")
        return kwargs[name]
    return values[0] if len(values) == 1 and isinstance(values[0], (tuple, list)) else values


class Flip(Function):
    """y = x reversed along ``axes`` (a copy);  gx = gy reversed along the same axes."""

    saves_inputs = saves_output = False

    def __init__(self, axes):
        self.axes = axes

    def forward(self, x):
        return get_array_module(x).flip(x, self.axes).copy()

    def backward(self, gy):
        return get_array_module(gy).flip(gy, self.axes).copy()

    def backward_graph(self, gy):
        return Flip(self.axes)(gy)


class Roll(Function):
    """y = x shifted cyclically by ``shifts`` along ``axes`` (None: the flattened tensor);  gx = gy shifted back."""

    saves_inputs = saves_output = False

    def __init__(self, shifts, axes):
        self.shifts, self.axes = shifts, axes

    def forward(self, x):
        return get_array_module(x).roll(x, self.shifts, self.axes)

    def backward(self, gy):
        return get_array_module(gy).roll(gy, tuple(-s for s in self.shifts), self.axes)

    def backward_graph(self, gy):
        return Roll(tuple(-s for s in self.shifts), self.axes)(gy)


def flip(input, dims):  # noqa: A002 (PyTorch's argument names)
    """``input`` with the order of its elements reversed along each of ``dims`` (a tuple or list), as
    ``torch.flip``; a copy, as in PyTorch."""
    x = ops._tensor_arg(input, "flip")
    if not isinstance(dims, (tuple, list)):
        raise TypeError(f"flip(): argument 'dims' must be tuple of ints, not {type(dims).__name__}")
    axes = tuple(ops._wrap_dim(d, x.ndim, "flip") for d in _int_list(dims, "flip", "dims"))
    if len(set(axes)) != len(axes):
        raise RuntimeError(f"flip(): dims {tuple(dims)} name a dimension more than once")
    return Flip(axes)(x) if x.ndim else ops.clone(x)


def roll(input, shifts, dims=None):  # noqa: A002
    """``input`` shifted cyclically by ``shifts[i]`` along ``dims[i]``; without ``dims``, the flattened tensor
    is shifted and the shape restored, as ``torch.roll``."""
    x = ops._tensor_arg(input, "roll")
    shifts = _int_list(shifts, "roll", "shifts")
    dims = () if dims is None else _int_list(dims, "roll", "dims")
    if len(shifts) != builtins.max(len(dims), 1):
        raise RuntimeError(f"roll(): shifts and dimensions must align. shifts: {len(shifts)}, dims: {len(dims)}")
    axes = tuple(ops._wrap_dim(d, x.ndim, "roll") for d in dims) or None
    return Roll(shifts, axes)(x)


def narrow(input, dim, start, length):  # noqa: A002
    """The view ``input[..., start:start + length, ...]`` along ``dim`` (a negative ``start`` counts from the
    end; ``start`` may be a 0-d integer tensor), as ``torch.narrow``."""
    x = ops._tensor_arg(input, "narrow")
    d = ops._wrap_dim(dim, x.ndim, "narrow")
    start, length = _int_arg(start, "narrow", "start"), _int_arg(length, "narrow", "length")
    n = x.shape[d]
    if not -n <= start <= n:
        raise IndexError(f"narrow(): start out of range (expected to be in range of [{-n}, {n}], but got {start})")
    start += n if start < 0 else 0
    if length < 0:
        raise RuntimeError(f"narrow(): length must be non-negative, got {length}")
    if start + length > n:
        raise RuntimeError(f"narrow(): start ({start}) + length ({length}) exceeds dimension size ({n}).")
    return ops.getitem(x, (slice(None),) * d + (slice(start, start + length),))


def tile(input, dims):  # noqa: A002
    """``input`` repeated ``dims[i]`` times along each dimension; fewer ``dims`` than dimensions are padded
    with ones in front, more add leading dimensions (``torch.tile``)."""
    x = ops._tensor_arg(input, "tile")
    dims = _int_list(dims, "tile", "dims")
    return ops.repeat(x, (1,) * (x.ndim - len(dims)) + dims)


def _repeat_counts(repeats, n):
    """``repeats`` (an int or an integer tensor of 1 or n elements) as n non-negative counts (a NumPy array:
    CuPy's ``repeat`` takes no array of counts, and the positions are computed on the host)."""
    if isinstance(repeats, Tensor):
        if repeats.dtype.kind not in "iu":
            raise RuntimeError(f"repeat_interleave(): repeats must be an integer tensor, got dtype {repeats.dtype}")
        if repeats.ndim > 1:
            raise RuntimeError(f"repeat_interleave(): repeats must be 0-dim or 1-dim tensor, got shape "
                               f"{repeats.shape}")
        counts = backend.to_numpy(repeats.array).reshape(-1)
        if counts.size != 1 and counts.size != n:
            raise RuntimeError(f"repeats must have the same size as input along dim, but got repeats.size(0) = "
                               f"{counts.size} and input.size(0) = {n}")
    else:
        counts = np.asarray([_int_arg(repeats, "repeat_interleave", "repeats")])
    if counts.size and int(counts.min()) < 0:
        raise RuntimeError(f"repeat_interleave(): repeats can not be negative, got {int(counts.min())}")
    return np.broadcast_to(counts, (n,))


def repeat_interleave(input, repeats=None, dim=None, *, output_size=None):  # noqa: A002
    """Each element (or slice along ``dim``) of ``input`` repeated ``repeats`` times in place (an int, or an
    integer tensor with one count per element); ``dim=None`` flattens first, as ``torch.repeat_interleave``.
    ``repeat_interleave(counts)`` alone gives each index i ``counts[i]`` times."""
    x = ops._tensor_arg(input, "repeat_interleave")
    xp = get_array_module(x.array)
    if repeats is None:  # torch.repeat_interleave(repeats): the indices repeated
        counts = _repeat_counts(x, x.numel())
        return Tensor._wrap(xp.asarray(np.repeat(np.arange(counts.size, dtype=np.int64), counts)))
    if dim is None:
        x, d = ops.flatten(x), 0
    else:
        d = ops._wrap_dim(dim, x.ndim, "repeat_interleave")
    n = x.shape[d] if x.ndim else 1
    positions = xp.asarray(np.repeat(np.arange(n, dtype=np.int64), _repeat_counts(repeats, n)))
    if output_size is not None and output_size != positions.size:
        raise RuntimeError(f"repeat_interleave(): output_size {output_size} does not match the {positions.size} "
                           "elements the repeats give")
    return ops.GetItem((slice(None),) * d + (positions,))(x.reshape(1) if not x.ndim else x)


def hstack(tensors):
    """Tensors joined column-wise: along dimension 0 when they are 1-D (0-d ones count as 1-D), else 1."""
    ops._check_sequence(tensors, "hstack")
    tensors = [t.reshape(1) if t.ndim == 0 else t for t in tensors]
    return ops.cat(tensors, 0 if tensors[0].ndim == 1 else 1)


def vstack(tensors):
    """Tensors joined row-wise (dimension 0), 0-d and 1-D ones first made rows (1, n), as ``torch.vstack``."""
    ops._check_sequence(tensors, "vstack")
    return ops.cat([t.reshape(1, -1) if t.ndim < 2 else t for t in tensors], 0)


def _scatter_key(name, x, dim, index, src):
    """The NumPy index that puts ``src``'s element [i][j][k] at [index[i][j][k]][j][k] of ``x`` (for dim 0);
    ``src`` (a Tensor or None) sliced to ``index``'s shape. PyTorch's checks, with its messages."""
    d = ops._wrap_dim(dim, x.ndim, name)
    if not isinstance(index, Tensor):
        raise TypeError(f"{name}(): argument 'index' must be Tensor, not {type(index).__name__}")
    idx = index.array
    if idx.dtype.kind not in "iu":
        raise RuntimeError(f"{name}(): Expected dtype int64 for index, got {idx.dtype}")
    if idx.ndim != builtins.max(x.ndim, 1) and not (idx.ndim == 0 and x.ndim == 0):
        raise RuntimeError(f"{name}(): Index tensor must have the same number of dimensions as self tensor "
                           f"(index shape {tuple(idx.shape)}, self shape {x.shape})")
    if builtins.any(idx.shape[i] > x.shape[i] for i in range(idx.ndim) if i != d) or (
            src is not None and builtins.any(idx.shape[i] > src.shape[i] for i in range(idx.ndim))):
        raise RuntimeError(f"{name}(): Expected index {list(idx.shape)} to be no larger than self {list(x.shape)} "
                           f"apart from dimension {d}" + ("" if src is None else
                                                          f" and to be no larger size than src {list(src.shape)}"))
    if idx.size and (int(idx.min()) < 0 or int(idx.max()) >= x.shape[d]):
        bad = int(idx.min()) if int(idx.min()) < 0 else int(idx.max())
        raise RuntimeError(f"{name}(): index {bad} is out of bounds for dimension {d} with size {x.shape[d]}")
    xp = get_array_module(x.array)
    key = tuple(idx.astype(np.int64) if i == d else xp.arange(n).reshape([-1 if j == i else 1 for j in range(idx.ndim)])
                for i, n in enumerate(idx.shape))
    part = None if src is None else ops.getitem(src, tuple(slice(0, n) for n in idx.shape))
    return key, part


def _scatter_src(name, x, src, value):
    if src is not None and value is not None:
        raise TypeError(f"{name}(): pass either src or value, not both")
    if src is None and value is None:
        raise TypeError(f"{name}() missing 1 required argument: 'src' (or 'value')")
    if isinstance(src, Tensor):
        if src.dtype != x.dtype:
            raise RuntimeError(f"{name}(): Expected self.dtype to be equal to src.dtype, got {x.dtype} and "
                               f"{src.dtype}")
        return src, None
    value = src if value is None else value
    if isinstance(value, Tensor) or isinstance(value, bool) or not isinstance(value, numbers.Number):
        raise TypeError(f"{name}(): value must be a number, got {type(value).__name__}")
    return None, value


def scatter(input, dim, index, src=None, value=None, *, reduce=None):  # noqa: A002
    """A copy of ``input`` with out[index[i][j][k]][j][k] = src[i][j][k] (dim 0; likewise for the others), or the
    number ``value`` there, as ``torch.scatter``; with repeated indices one of the writes wins. Gradients: to
    ``input`` where nothing was written, to ``src`` the gathered upstream gradient."""
    if reduce is not None:
        raise NotImplementedError("scatter(): the argument reduce= is not supported by minigrad (use scatter_add)")
    x = ops._tensor_arg(input, "scatter")
    src, value = _scatter_src("scatter", x, src, value)
    key, part = _scatter_key("scatter", x, dim, index, src)
    if part is None:
        part = Tensor._wrap(get_array_module(x.array).full(index.shape, value, dtype=x.dtype))
    return ops.IndexPut(key)(ops.clone(x), part)


def scatter_add(input, dim, index, src):  # noqa: A002
    """A copy of ``input`` with src[i][j][k] added to out[index[i][j][k]][j][k] (dim 0; likewise for the others),
    repeated indices accumulating, as ``torch.scatter_add`` (the gradient of ``gather``)."""
    x = ops._tensor_arg(input, "scatter_add")
    if not isinstance(src, Tensor):
        raise TypeError(f"scatter_add(): argument 'src' must be Tensor, not {type(src).__name__}")
    _scatter_src("scatter_add", x, src, None)
    key, part = _scatter_key("scatter_add", x, dim, index, src)
    return x + ops.GetItemGrad(key, x.shape)(part)
