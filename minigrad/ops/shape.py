"""Shape ops: reshape/view, transpose/permute, expand, squeeze (views share their input's memory), cat/stack/split,
and the rearranging ops with PyTorch's names: flip, roll, narrow, tile, repeat_interleave, hstack, vstack (all out
of place except ``narrow``, a view); meshgrid (broadcast views).

flip and roll are Functions whose gradient is the same move backwards; the others are built from indexing,
``repeat`` and ``cat``, so their derivatives of every order come from those ops.
"""
import builtins
import math
import warnings

import numpy as np

from minigrad import backend, threads
from minigrad.backend import get_array_module
from minigrad.core import Function, Tensor
from minigrad.ops.conversion import _promoted, clone
from minigrad.ops.indexing import GetItem, getitem
from minigrad.ops.utils import (BroadcastTo, _infer_shape, _int_arg, _int_list, _join_dim, _shape_args, _squeezed,
                                _view_of, check_sequence, tensor_arg, varargs, wrap_dim, wrap_dims)



class Transpose(Function):
    """y = x with its axes permuted (reversed when none are given);  gx = gy with the inverse permutation."""

    saves_inputs = saves_output = False

    def __init__(self, axes=None):
        self.axes = axes

    def forward(self, x):
        axes = tuple(reversed(range(x.ndim))) if not self.axes else tuple(a % x.ndim for a in self.axes)
        if sorted(axes) != list(range(x.ndim)):
            raise RuntimeError(f"transpose: axes {self.axes} are not a permutation of the {x.ndim} axes of shape "
                               f"{x.shape}")
        self.inverse = tuple(np.argsort(axes))
        return x.transpose(axes)

    def backward(self, gy):
        return gy.transpose(self.inverse)

    def backward_graph(self, gy):
        return Transpose(self.inverse)(gy)


def _matrix_transpose(x):
    """The Tensor ``x`` with its last two axes swapped (recorded)."""
    return Transpose(tuple(range(x.ndim - 2)) + (x.ndim - 1, x.ndim - 2))(x)


class Reshape(Function):
    """y = x viewed with a new shape;  gx = gy reshaped back."""

    saves_inputs = saves_output = False

    def __init__(self, shape):
        self.shape = shape

    def forward(self, x):
        self.in_shape = x.shape
        try:
            return x.reshape(self.shape)
        except ValueError:
            raise RuntimeError(f"cannot reshape a tensor of shape {tuple(x.shape)} ({x.size} elements) "
                             f"into shape {tuple(self.shape)}") from None

    def backward(self, gy):
        return gy.reshape(self.in_shape)

    def backward_graph(self, gy):
        return Reshape(self.in_shape)(gy)


def reshape(x, *shape):
    """``x`` with a new shape of the same number of elements (one size may be -1), as ``torch.reshape``:
    a view of the same memory where the layout allows, else a copy."""
    shape = _infer_shape(_shape_args(shape, "reshape"), tensor_arg(x, "reshape").shape, "reshape")
    return _view_of(Reshape(shape)(x), x)


def view(x, *shape):
    """``reshape`` that must share ``x``'s memory (RuntimeError where it cannot), as ``Tensor.view``."""
    if len(shape) == 1 and not isinstance(shape[0], (tuple, list, int, np.integer)):
        raise NotImplementedError(f"view({shape[0]!r}): reinterpreting memory as another dtype is not supported "
                                  "by minigrad; convert with .to(dtype)")
    shape = _infer_shape(_shape_args(shape, "view"), x.shape, "view")
    if x.numel() and not get_array_module(x.array).may_share_memory(x.array.reshape(shape), x.array):
        raise RuntimeError(f"view(): a tensor of shape {x.shape} whose memory is not contiguous cannot be viewed "
                           f"as shape {list(shape)}; use .reshape(...) instead")
    return reshape(x, shape)


def flatten(x, start_dim=0, end_dim=-1):
    """Dimensions start_dim..end_dim merged into one, as ``torch.flatten`` (a 0-d tensor becomes 1-D)."""
    if tensor_arg(x, "flatten").ndim == 0:
        return reshape(x, 1)
    start, end = wrap_dim(start_dim, x.ndim, "flatten"), wrap_dim(end_dim, x.ndim, "flatten")
    if start > end:
        raise RuntimeError(f"flatten(): start_dim ({start_dim}) cannot come after end_dim ({end_dim})")
    merged = math.prod(x.shape[start:end + 1])  # explicit: a size-0 batch flattens too
    return reshape(x, x.shape[:start] + (merged,) + x.shape[end + 1:])


def squeeze(x, dim=None):
    """``x`` without its dimensions of size 1 (only those in ``dim``, an int or a tuple, when given)."""
    dims = range(x.ndim) if dim is None else wrap_dims(dim, x.ndim, "squeeze")
    return reshape(x, _squeezed(x.shape, {d for d in dims if x.shape[d] == 1}))


def unsqueeze(x, dim):
    """``x`` with a new dimension of size 1 at ``dim`` (in [-ndim - 1, ndim])."""
    d = wrap_dim(dim, tensor_arg(x, "unsqueeze").ndim + 1, "unsqueeze")
    return reshape(x, x.shape[:d] + (1,) + x.shape[d:])


def expand(x, *sizes):
    """A view of ``x`` repeated along its size-1 dimensions (and new leading ones) to ``sizes``; -1 keeps a size."""
    sizes = _shape_args(sizes, "expand")
    lead = len(sizes) - x.ndim
    if lead < 0:
        raise RuntimeError(f"expand(): the number of sizes provided ({len(sizes)}) must be greater or equal to "
                           f"the number of dimensions in the tensor ({x.ndim})")
    target = []
    for i, n in enumerate(sizes):
        have = x.shape[i - lead] if i >= lead else None
        if n == -1 and have is not None:
            n = have
        if n < 0:
            raise RuntimeError(f"expand(): the expanded size {n} is not allowed in dimension {i} "
                               f"(sizes {list(sizes)}, tensor of shape {list(x.shape)})")
        if have is not None and have != 1 and n != have:
            raise RuntimeError(f"expand(): the expanded size of the tensor ({n}) must match the existing size "
                               f"({have}) at non-singleton dimension {i}. Target sizes: {list(sizes)}. "
                               f"Tensor sizes: {list(x.shape)}")
        target.append(n)
    return _view_of(BroadcastTo(tuple(target))(x), x)


def permute(x, *dims):
    """``x`` with its dimensions reordered: output dimension i is input dimension dims[i], as ``torch.permute``."""
    dims = _shape_args(dims, "permute")
    if len(dims) != x.ndim:
        raise RuntimeError(f"permute(): the number of dims ({len(dims)}) does not match the tensor's "
                           f"{x.ndim} dimensions (shape {x.shape})")
    wrapped = tuple(wrap_dim(d, x.ndim, "permute") for d in dims)
    if len(set(wrapped)) != len(wrapped):
        raise RuntimeError(f"permute(): duplicate dims are not allowed, got {dims}")
    return _view_of(Transpose(wrapped)(x), x)


def transpose(x, dim0, dim1):
    """``x`` with dimensions ``dim0`` and ``dim1`` swapped, as ``torch.transpose``."""
    perm = list(range(tensor_arg(x, "transpose").ndim))
    d0, d1 = wrap_dim(dim0, x.ndim, "transpose"), wrap_dim(dim1, x.ndim, "transpose")
    if x.ndim:
        perm[d0], perm[d1] = perm[d1], perm[d0]
    return _view_of(Transpose(tuple(perm))(x), x)


def reverse_dims(x):
    """``Tensor.T``: a matrix transposed; other ranks reversed with PyTorch's deprecation warning (0-d, 1-D, >2-D)."""
    if x.ndim != 2:
        warnings.warn("Tensor.T on a tensor of dimension other than 2 is deprecated in PyTorch; use .mT to "
                      "transpose batches of matrices or .permute(...) to reverse the dimensions", UserWarning,
                      stacklevel=3)
    return _view_of(Transpose(tuple(reversed(range(x.ndim))))(x), x)


def matrix_transpose(x):
    """``Tensor.mT``: the last two dimensions swapped (a batch of matrices transposed)."""
    if x.ndim < 2:
        raise RuntimeError(f"tensor.mT is only supported on matrices or batches of matrices, got a {x.ndim}-D tensor")
    return transpose(x, -2, -1)


def t(x):
    """``torch.t``: a matrix transposed; a 0-d or 1-D tensor unchanged; more dimensions raise."""
    if x.ndim > 2:
        raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but it has {x.ndim} (shape {x.shape})")
    return transpose(x, 0, -1) if x.ndim == 2 else reshape(x, x.shape)


class Stack(Function):
    """y = the inputs stacked along a new ``axis``;  each gx = its index of gy along that axis."""

    saves_inputs = saves_output = False

    def __init__(self, axis=0):
        self.axis = axis

    def forward(self, *xs):
        if len({tuple(x.shape) for x in xs}) != 1:
            raise RuntimeError(f"stack: all tensors need the same shape, got {[tuple(x.shape) for x in xs]}")
        return get_array_module(xs[0]).stack(xs, axis=self.axis)

    def backward(self, gy):
        xp = get_array_module(gy)
        return tuple(xp.moveaxis(gy, self.axis, 0))

    def backward_graph(self, gy):
        lead = (slice(None),) * (self.axis % gy.ndim)
        return tuple(GetItem(lead + (i,))(gy) if need else None for i, need in enumerate(self.needs_input_grad))


def stack(tensors, dim=None, *, axis=None):
    """Join same-shaped tensors along a new dimension ``dim`` (default 0), as ``torch.stack``."""
    check_sequence(tensors, "stack")
    dim = _join_dim(dim, axis, "stack")
    for i, t in enumerate(tensors):
        if t.shape != tensors[0].shape:
            raise RuntimeError(f"stack(): expects each tensor to be equal size, but got {list(tensors[0].shape)} "
                               f"at entry 0 and {list(t.shape)} at entry {i}")
    d = wrap_dim(dim, tensors[0].ndim + 1, "stack")
    return Stack(d)(*_promoted(tensors))


def _join_rows(xp, parts):
    """The arrays ``parts`` joined along their first axis; on the CPU copied by parts of the rows over minigrad's
    threads (``threads.split``)."""
    if xp is not np or any(p.shape[1:] != parts[0].shape[1:] for p in parts):
        return xp.concatenate(parts)  # (mismatched shapes: its ValueError)
    y = np.empty((sum(len(p) for p in parts),) + parts[0].shape[1:], dtype=np.result_type(*parts))
    starts = np.cumsum([0] + [len(p) for p in parts])

    def rows(lo, hi):  # y[lo:hi] from the parts that hold those rows
        for p, s in zip(parts, starts):
            a, b = max(lo, s), min(hi, s + len(p))
            if a < b:
                y[a:b] = p[a - s:b - s]
    threads.split(rows, len(y), 2 * y.size)
    return y


class Concatenate(Function):
    """y = the inputs joined along ``axis``;  each gx = its slice of gy."""

    saves_inputs = saves_output = False

    def __init__(self, axis=0):
        self.axis = axis

    def forward(self, *xs):
        xp = get_array_module(xs[0])
        self.sizes = [x.shape[self.axis] for x in xs]
        last = tuple(range(1, xs[0].ndim)) + (0,)
        try:
            if self.axis == 1 and len(last) > 1 and all(x.transpose(last).flags.c_contiguous for x in xs):
                # batch-last (C, ..., N) inputs, as the conv stack keeps them (DenseNet's channels): joined along
                # their first axis, the result is batch-last too, so the next layer reads it without a copy
                y = _join_rows(xp, [x.transpose(last) for x in xs])
                return y.transpose((y.ndim - 1,) + tuple(range(y.ndim - 1)))
            return xp.concatenate(xs, axis=self.axis)
        except ValueError:
            raise RuntimeError(f"cat: shapes {[tuple(x.shape) for x in xs]} do not match outside axis "
                               f"{self.axis}") from None

    def backward(self, gy):
        xp = get_array_module(gy)
        return tuple(xp.split(gy, np.cumsum(self.sizes)[:-1], axis=self.axis))

    def backward_graph(self, gy):
        lead = (slice(None),) * (self.axis % gy.ndim)
        ends = np.cumsum(self.sizes)
        return tuple(GetItem(lead + (slice(int(e - n), int(e)),))(gy) if need else None
                     for n, e, need in zip(self.sizes, ends, self.needs_input_grad))


def cat(tensors, dim=None, *, axis=None):
    """Join tensors along an existing dimension ``dim`` (default 0), as ``torch.cat``.

    Their sizes must match outside ``dim``; dtypes are promoted; a 1-D empty
    tensor is skipped, as PyTorch does for compatibility.
    """
    check_sequence(tensors, "cat")
    dim = _join_dim(dim, axis, "cat")
    for i, t in enumerate(tensors):
        if t.ndim == 0:
            raise RuntimeError(f"cat(): a zero-dimensional tensor (at position {i}) cannot be concatenated")
    legacy_empty = builtins.any(t.ndim != 1 for t in tensors)  # then 1-D empty tensors are skipped
    joined = [t for t in tensors if not (legacy_empty and t.shape == (0,))] or [tensors[0]]
    d = wrap_dim(dim, joined[0].ndim, "cat")
    for i, t in enumerate(joined):
        if t.ndim != joined[0].ndim:
            raise RuntimeError(f"cat(): tensors must have the same number of dimensions: got shapes "
                               f"{joined[0].shape} and {t.shape}")
        if _squeezed(t.shape, (d,)) != _squeezed(joined[0].shape, (d,)):
            raise RuntimeError(f"cat(): sizes of tensors must match except in dimension {d}: got shapes "
                               f"{[tuple(u.shape) for u in joined]}")
    return Concatenate(d)(*_promoted(joined))


concat = concatenate = cat


def unflatten(x, dim, sizes):
    """Dimension ``dim`` split into ``sizes`` (one may be -1), as ``torch.unflatten``."""
    d = wrap_dim(dim, x.ndim, "unflatten")
    return reshape(x, x.shape[:d] + tuple(sizes) + x.shape[d + 1:])


def split(x, split_size_or_sections, dim=0):
    """``x`` cut along ``dim`` into pieces of one size (the last may be smaller) or of the listed sizes (views)."""
    d = wrap_dim(dim, x.ndim, "split")
    n = x.shape[d]
    if isinstance(split_size_or_sections, (tuple, list)):
        sizes = list(split_size_or_sections)
        if builtins.sum(sizes) != n:
            raise RuntimeError(f"split(): sizes {sizes} do not add up to {n}, the size of dimension {d}")
    else:
        if split_size_or_sections <= 0:
            raise RuntimeError(f"split(): split size must be positive, got {split_size_or_sections}")
        sizes = [builtins.min(split_size_or_sections, n - s) for s in range(0, n, split_size_or_sections)] or [0]
    lead, start, pieces = (slice(None),) * d, 0, []
    for size in sizes:
        pieces.append(getitem(x, lead + (slice(start, start + size),)))
        start += size
    return tuple(pieces)


def chunk(x, chunks, dim=0):
    """``x`` cut along ``dim`` into at most ``chunks`` pieces of ceil(n / chunks) elements (views)."""
    if chunks <= 0:
        raise RuntimeError(f"chunk(): chunks must be positive, got {chunks}")
    n = x.shape[wrap_dim(dim, x.ndim, "chunk")]
    return split(x, builtins.max(-(-n // chunks), 1), dim)


def repeat(x, *sizes):
    """``x`` tiled ``sizes[i]`` times along dimension i (new leading dimensions allowed), as ``Tensor.repeat``."""
    sizes = _shape_args(sizes, "repeat")
    if len(sizes) < x.ndim:
        raise RuntimeError(f"repeat(): the number of repeats ({len(sizes)}) cannot be smaller than the number of "
                           f"dimensions of the tensor ({x.ndim})")
    shape = (1,) * (len(sizes) - x.ndim) + x.shape
    interleaved = builtins.sum(((1, n) for n in shape), ())  # (1, n0, 1, n1, ...) -> (r0, n0, r1, n1, ...)
    tiled = expand(reshape(x, interleaved), *builtins.sum(((r, n) for r, n in zip(sizes, shape)), ()))
    return reshape(tiled, tuple(r * n for r, n in zip(sizes, shape)))


def unbind(x, dim=0):
    """The slices of ``x`` along ``dim``, as a tuple of views (``torch.unbind``)."""
    d = wrap_dim(dim, x.ndim, "unbind")
    return tuple(getitem(x, (slice(None),) * d + (i,)) for i in range(x.shape[d]))


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


def flip(input, dims):  # noqa: A002 (PyTorch's argument names)
    """``input`` with the order of its elements reversed along each of ``dims`` (a tuple or list), as
    ``torch.flip``; a copy, as in PyTorch."""
    x = tensor_arg(input, "flip")
    if not isinstance(dims, (tuple, list)):
        raise TypeError(f"flip(): argument 'dims' must be tuple of ints, not {type(dims).__name__}")
    axes = tuple(wrap_dim(d, x.ndim, "flip") for d in _int_list(dims, "flip", "dims"))
    if len(set(axes)) != len(axes):
        raise RuntimeError(f"flip(): dims {tuple(dims)} name a dimension more than once")
    return Flip(axes)(x) if x.ndim else clone(x)


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


def roll(input, shifts, dims=None):  # noqa: A002
    """``input`` shifted cyclically by ``shifts[i]`` along ``dims[i]``; without ``dims``, the flattened tensor
    is shifted and the shape restored, as ``torch.roll``."""
    x = tensor_arg(input, "roll")
    shifts = _int_list(shifts, "roll", "shifts")
    dims = () if dims is None else _int_list(dims, "roll", "dims")
    if len(shifts) != builtins.max(len(dims), 1):
        raise RuntimeError(f"roll(): shifts and dimensions must align. shifts: {len(shifts)}, dims: {len(dims)}")
    axes = tuple(wrap_dim(d, x.ndim, "roll") for d in dims) or None
    return Roll(shifts, axes)(x)


def narrow(input, dim, start, length):  # noqa: A002
    """The view ``input[..., start:start + length, ...]`` along ``dim`` (a negative ``start`` counts from the
    end; ``start`` may be a 0-d integer tensor), as ``torch.narrow``."""
    x = tensor_arg(input, "narrow")
    d = wrap_dim(dim, x.ndim, "narrow")
    start, length = _int_arg(start, "narrow", "start"), _int_arg(length, "narrow", "length")
    n = x.shape[d]
    if not -n <= start <= n:
        raise IndexError(f"narrow(): start out of range (expected to be in range of [{-n}, {n}], but got {start})")
    start += n if start < 0 else 0
    if length < 0:
        raise RuntimeError(f"narrow(): length must be non-negative, got {length}")
    if start + length > n:
        raise RuntimeError(f"narrow(): start ({start}) + length ({length}) exceeds dimension size ({n}).")
    return getitem(x, (slice(None),) * d + (slice(start, start + length),))


def tile(input, dims):  # noqa: A002
    """``input`` repeated ``dims[i]`` times along each dimension; fewer ``dims`` than dimensions are padded
    with ones in front, more add leading dimensions (``torch.tile``)."""
    x = tensor_arg(input, "tile")
    dims = _int_list(dims, "tile", "dims")
    return repeat(x, (1,) * (x.ndim - len(dims)) + dims)


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
    x = tensor_arg(input, "repeat_interleave")
    xp = get_array_module(x.array)
    if repeats is None:  # torch.repeat_interleave(repeats): the indices repeated
        counts = _repeat_counts(x, x.numel())
        return Tensor._wrap(xp.asarray(np.repeat(np.arange(counts.size, dtype=np.int64), counts)))
    if dim is None:
        x, d = flatten(x), 0
    else:
        d = wrap_dim(dim, x.ndim, "repeat_interleave")
    n = x.shape[d] if x.ndim else 1
    positions = xp.asarray(np.repeat(np.arange(n, dtype=np.int64), _repeat_counts(repeats, n)))
    if output_size is not None and output_size != positions.size:
        raise RuntimeError(f"repeat_interleave(): output_size {output_size} does not match the {positions.size} "
                           "elements the repeats give")
    return GetItem((slice(None),) * d + (positions,))(x.reshape(1) if not x.ndim else x)


def hstack(tensors):
    """Tensors joined column-wise: along dimension 0 when they are 1-D (0-d ones count as 1-D), else 1."""
    check_sequence(tensors, "hstack")
    tensors = [t.reshape(1) if t.ndim == 0 else t for t in tensors]
    return cat(tensors, 0 if tensors[0].ndim == 1 else 1)


def vstack(tensors):
    """Tensors joined row-wise (dimension 0), 0-d and 1-D ones first made rows (1, n), as ``torch.vstack``."""
    check_sequence(tensors, "vstack")
    return cat([t.reshape(1, -1) if t.ndim < 2 else t for t in tensors], 0)


_warned_indexing = [False]  # PyTorch warns about a missing indexing= once per process


def meshgrid(*tensors, indexing=None):
    """Coordinate grids from 1-D tensors (0-D ones count as one element), as ``torch.meshgrid``: for inputs of
    sizes n1, ..., nk the k outputs have shape (n1, ..., nk) with ``indexing='ij'`` (the default, with PyTorch's
    warning once when it is not given) or (n2, n1, n3, ..., nk) with ``'xy'``; output i repeats input i along the
    other dimensions (a broadcast view, so the gradient sums over them)."""
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    if indexing is None:
        if not _warned_indexing[0]:
            _warned_indexing[0] = True
            warnings.warn("meshgrid: in an upcoming release, it will be required to pass the indexing argument "
                          "(as PyTorch warns); pass indexing='ij' (the default) or indexing='xy'", UserWarning,
                          stacklevel=2)
        indexing = "ij"
    if indexing not in ("ij", "xy"):
        raise RuntimeError(f'meshgrid: indexing must be one of "xy" or "ij", but received: {indexing}')
    if not tensors:
        raise RuntimeError("meshgrid expects a non-empty TensorList")
    for i, t in enumerate(tensors):
        if not isinstance(t, Tensor):
            raise TypeError(f"meshgrid: expected Tensor as element {i}, but got {type(t).__name__}")
        if t.ndim > 1:
            raise RuntimeError(f"meshgrid: expected 0D or 1D tensors, but element {i} has shape {tuple(t.shape)}")
        if t.dtype != tensors[0].dtype or t.device != tensors[0].device:
            raise RuntimeError(f"meshgrid expects all tensors to have the same dtype and device, got "
                               f"{tensors[0].dtype} on {tensors[0].device} and {t.dtype} on {t.device} (element {i})")
    sizes = [t.numel() for t in tensors]
    order = list(range(len(tensors)))  # the output dimension each input runs along
    if indexing == "xy" and len(tensors) > 1:
        order[0], order[1] = 1, 0
    shape = [0] * len(tensors)
    for i, n in enumerate(sizes):
        shape[order[i]] = n
    grids = []
    for i, t in enumerate(tensors):
        column = [1] * len(tensors)
        column[order[i]] = sizes[i]
        grids.append(expand(reshape(t, tuple(column)), tuple(shape)))
    return tuple(grids)


#: functions that are also Tensor methods with the same arguments (``x.name(...)`` is ``name(x, ...)``)
TENSOR_FUNCTIONS = ("unbind", "flatten", "unflatten", "squeeze", "unsqueeze", "transpose", "chunk", "roll", "narrow",
                    "repeat_interleave", "t")


class ShapeMethods:
    """Tensor's shape methods with varargs or another tensor:
    methods whose arguments differ from the functions', installed by ``minigrad.ops.install_tensor_methods``."""

    def reshape(self, *shape): return reshape(self, *shape)
    def view(self, *shape): return view(self, *shape)
    def reshape_as(self, other): return reshape(self, other.shape)
    def view_as(self, other): return view(self, other.shape)
    def expand(self, *sizes): return expand(self, *sizes)
    def expand_as(self, other): return expand(self, other.shape)
    swapaxes = swapdims = transpose
    def permute(self, *dims): return permute(self, *dims)
    def split(self, split_size, dim=0): return split(self, split_size, dim)
    def repeat(self, *sizes): return repeat(self, *sizes)
    def flip(self, *dims, **kwargs): return flip(self, varargs(dims, kwargs, "dims"))
    def tile(self, *dims, **kwargs): return tile(self, varargs(dims, kwargs, "dims"))

    @property
    def T(self):  # noqa: N802 (PyTorch's name)
        """The matrix transposed (reversed dimensions, with PyTorch's deprecation warning, for other ranks)."""
        return reverse_dims(self)

    @property
    def mT(self):  # noqa: N802 (PyTorch's name)
        """The last two dimensions swapped."""
        return matrix_transpose(self)
