"""What the op families share: broadcasting's gradient (unbroadcast, sum_to and their Functions),
argument checks (tensor_arg, wrap_dim, ...) and the binary ops' base class. A leaf of the ops package.
"""
import builtins
import collections
import math
import numbers
import types

import numpy as np

from minigrad import backend, threads
from minigrad.backend import get_array_module
from minigrad.checks import wrap_dim
from minigrad.core import DerivativeFunction, Function, Tensor



def unbroadcast(g, shape):
    """Sum ``g`` over the axes that broadcasting added or stretched, giving ``shape``."""
    if tuple(g.shape) == tuple(shape):
        return g
    lead = g.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(i + lead for i, n in enumerate(shape) if n == 1 and g.shape[i + lead] != 1)
    g = g.sum(axis=axes, keepdims=True)
    return g.reshape(shape)


def split_outer(fn, out, *arrays):
    """``fn(out, *arrays)`` for NumPy arrays of ``out``'s shape (an elementwise op into ``out``), over parts of the
    axis of ``out`` that is outermost in memory (the channels of a batch-last array), on minigrad's threads
    (``threads.split``)."""
    if out.ndim == 0:
        fn(out, *arrays)
        return out
    axis = max(range(out.ndim), key=lambda d: (out.shape[d] > 1, abs(out.strides[d])))
    lead = (slice(None),) * axis
    threads.split(lambda lo, hi: fn(*(a[lead + (slice(lo, hi),)] for a in (out,) + arrays)), out.shape[axis],
                  out.size)
    return out


def select(g, passes):
    """``g`` where ``passes``, else 0, on raw arrays of one shape: a gradient a mask stops (ReLU, clamp) is 0 even
    where ``g`` is inf or NaN, as PyTorch's (``g * passes`` gives NaN there). On the CPU the product (split over
    minigrad's threads), kept when one BLAS dot of each part with itself is finite: then no value of g was inf or
    NaN (a square that overflows only sends it the slow way too). np.where and copyto(where=) are four times slower
    than the product; np.isfinite(g).all() before it cost a third of the product's time, the dot a sixth."""
    xp = get_array_module(g)
    if xp is not np:
        return xp.where(passes, g, 0)
    finite = []

    def product(out, g, passes):
        np.multiply(g, passes, out=out)
        flat = out.ravel(order="K")  # a view where the part is one run in memory (a copy otherwise)
        finite.append(bool(np.isfinite(np.dot(flat, flat))))
    with np.errstate(invalid="ignore", over="ignore"):  # inf * 0 and an overflowing square are expected here
        out = split_outer(product, np.empty_like(g, dtype=np.result_type(g, passes)), g, np.asarray(passes))
    if all(finite):
        return out
    out = np.zeros_like(g)
    np.copyto(out, g, where=passes)
    return out


class BroadcastTo(Function):
    """y = x broadcast to ``shape`` (a read-only view);  gx = gy summed back to x's shape (``SumTo``)."""

    saves_inputs = saves_output = False

    def __init__(self, shape):
        self.shape = tuple(shape)

    def forward(self, x):
        self.in_shape = x.shape
        return get_array_module(x).broadcast_to(x, self.shape)

    def backward(self, gy):
        return unbroadcast(gy, self.in_shape)

    def backward_graph(self, gy):
        return sum_to(gy, self.in_shape)


class SumTo(DerivativeFunction):
    """y = x summed to ``shape`` (undoing a broadcast; BroadcastTo's gradient);  gx = gy broadcast back."""

    saves_inputs = saves_output = False

    def __init__(self, shape):
        self.shape = tuple(shape)

    def forward(self, x):
        self.in_shape = x.shape
        return unbroadcast(x, self.shape)

    def backward_graph(self, gy):
        return BroadcastTo(self.in_shape)(gy)


def sum_to(x, shape):
    """The Tensor ``x`` summed to ``shape`` (the reverse of broadcasting); ``x`` itself when it has it."""
    return x if x.shape == tuple(shape) else SumTo(shape)(x)


def check_same_dtype(what, *named):
    """RuntimeError naming both dtypes unless the tensors of the (name, tensor) pairs share the first one's dtype
    (None skipped): PyTorch's matmul, linear, conv2d and batch_norm compute in one dtype and do not promote."""
    (first_name, first), *rest = named
    for name, t in rest:
        if t is not None and t.dtype != first.dtype:
            raise RuntimeError(f"{what}: expected {first_name} and {name} to have the same dtype, "
                               f"but got {first.dtype} and {t.dtype}")


def _reduced_shape(shape, axes):
    """``shape`` with the reduced ``axes`` kept as size 1 (NumPy's keepdims)."""
    return tuple(1 if i in axes else n for i, n in enumerate(shape))


class _Binary(Function):
    def check_inputs(self, a, b):
        if a.array.shape != b.array.shape:
            try:
                np.broadcast_shapes(a.shape, b.shape)
            except ValueError:
                raise RuntimeError(f"{type(self).__name__}: shapes {a.shape} and {b.shape} cannot be broadcast "
                                   f"together") from None

    def _shapes(self):
        return self.input_shapes


def _accumulate(x, method, axes, keepdims):
    """``x.<method>(axes)`` for 'sum', 'prod' or 'mean'; float16 accumulated in float32, returned as float16;
    bool and integers give int64."""
    if x.dtype == np.float16:
        with np.errstate(over="ignore"):  # a result beyond float16's range is inf, as in PyTorch
            return getattr(x, method)(axis=axes, keepdims=keepdims, dtype=np.float32).astype(np.float16)
    if x.dtype.kind in "biu":  # PyTorch sums and multiplies bool and every integer dtype into int64 (NumPy: uint64)
        return getattr(x, method)(axis=axes, keepdims=keepdims, dtype=np.int64)
    return getattr(x, method)(axis=axes, keepdims=keepdims)


def _is_advanced(key):
    parts = key if isinstance(key, tuple) else (key,)
    return builtins.any(not isinstance(k, (int, np.integer, slice, type(None), type(Ellipsis))) for k in parts)


#: the named tuples ``max(dim=)``/``min(dim=)``/``sort``/``topk`` return, as ``torch.return_types``
return_types = types.SimpleNamespace(**{name: collections.namedtuple(name, ["values", "indices"])
                                        for name in ("max", "min", "sort", "topk")})


def tensor_arg(x, name):
    if not isinstance(x, Tensor):
        raise TypeError(f"{name}(): expected a Tensor as input, got {type(x).__name__}")
    return x


def _resolve_aliases(name, dim, axis, keepdim=False, keepdims=None):
    """(dim, keepdim) from PyTorch's names or NumPy's ``axis``/``keepdims``; TypeError when both spellings are given."""
    if axis is not None:
        if dim is not None:
            raise TypeError(f"{name}() got both 'dim' and its NumPy alias 'axis'; pass one of them")
        dim = axis
    if keepdims is not None:
        if keepdim:
            raise TypeError(f"{name}() got both 'keepdim' and its NumPy alias 'keepdims'; pass one of them")
        keepdim = keepdims
    return dim, bool(keepdim)


def wrap_dims(dim, ndim, name):
    """The sorted dimensions a reduction runs over: an int, a sequence, or None (or empty) for all of them."""
    dims = () if dim is None else tuple(dim) if isinstance(dim, (tuple, list)) else (dim,)
    wrapped = [wrap_dim(d, ndim, name) for d in dims]
    if len(set(wrapped)) != len(wrapped):
        raise RuntimeError(f"{name}(): dim {dim} names a dimension more than once")
    return tuple(sorted(d for d in wrapped if d < ndim)) if wrapped else tuple(range(ndim))


def _int64_if_integer(x):
    """Integer and bool tensors sum (and multiply) as int64 in PyTorch (NumPy would give uint64 for unsigned)."""
    return x.to(np.int64) if x.dtype.kind in "biu" and x.dtype != np.int64 else x


def _check_floating(x, name):
    if x.dtype.kind != "f":
        raise RuntimeError(f"{name}(): expected a floating-point tensor, got dtype {x.dtype} "
                           "(convert it with .float() or pass dtype=)")


def _squeezed(shape, dims):
    return tuple(n for i, n in enumerate(shape) if i not in dims)


def _operand(x):
    """A binary op's operand: a Tensor or a Python number as given, a NumPy/CuPy array as a Tensor."""
    if isinstance(x, (Tensor, int, float)):
        return x
    if isinstance(x, np.generic) or get_array_module(x) is not np or isinstance(x, np.ndarray):
        return Tensor(x)
    raise TypeError(f"unsupported operand type for a tensor op: {type(x).__name__} (expected a Tensor, a number "
                    "or an array)")


def _refuse_bool(name, *operands):
    """PyTorch refuses ``-`` on bool tensors (``~`` inverts a mask); NumPy would compute or raise its own error."""
    if builtins.any(isinstance(x, Tensor) and x.dtype == np.bool_ for x in operands):
        raise RuntimeError(f"{name}, the `-` operator, with a bool tensor is not supported; "
                           "to invert a mask use the `~` operator or logical_not()")


def floating(x):
    """``x`` for the float-valued unary ops: an integer or bool tensor as the default float type (float32), as
    PyTorch computes ``exp``, ``sigmoid``, ... of one (NumPy would give float64, or fail writing in place)."""
    if isinstance(x, Tensor) and x.dtype.kind != "f":
        return Tensor._wrap(x.array.astype(np.float32))
    return x


def _correction(name, dim, unbiased, correction):
    """(dim, correction) from torch.var's overloads: ``var(x, False)`` is ``unbiased=False``."""
    if isinstance(dim, bool):
        dim, unbiased = None, dim
    if unbiased is not None and correction is not None:
        raise TypeError(f"{name}() takes 'unbiased' or 'correction', not both")
    if correction is not None and (isinstance(correction, bool) or not isinstance(correction, numbers.Real)):
        raise TypeError(f"{name}(): correction must be a number, got {type(correction).__name__} {correction!r}")
    return dim, (1 if unbiased is None else int(unbiased)) if correction is None else correction


def _check_reducible(x, dims, name, error=IndexError):
    """An error (IndexError by default, as PyTorch) for a reduction with no identity (max, argmax) over nothing."""
    if x.numel() == 0:
        if not dims or len(dims) == x.ndim:
            raise error(f"{name}(): expected a reduction dim to be specified for an input with 0 elements "
                        f"(shape {x.shape})")
        empty = [d for d in dims if x.shape[d] == 0]
        if empty:
            raise IndexError(f"{name}(): expected reduction dim {empty[0]} to have non-zero size (shape {x.shape})")


def _view_of(out, x):
    """``out``, a view op's result, shares ``x``'s version counter when it shares its memory, as in PyTorch:
    an in-place change through either is then seen by the autograd checks of both."""
    if get_array_module(x.array).may_share_memory(out.array, x.array):
        out._vc = x._vc
        # a later recorded write into x would not reach this view, nor one into the view x (Tensor._record_in_place)
        x._viewed = out._viewed = True
    return out


def _shape_args(shape, name):
    """A shape given as varargs (``reshape(2, 3)``) or as one sequence (``reshape((2, 3))``): a tuple of ints."""
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    for n in shape:
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)):
            raise TypeError(f"{name}(): sizes must be ints, got {type(n).__name__} {n!r} in {shape}")
    return tuple(int(n) for n in shape)


def _infer_shape(shape, in_shape, name):
    """``shape`` with its one -1 replaced so that it holds the elements of ``in_shape``; RuntimeError where
    impossible."""
    numel = math.prod(in_shape)
    unknown = [i for i, n in enumerate(shape) if n == -1]
    if len(unknown) > 1:
        raise RuntimeError(f"{name}(): only one dimension can be inferred, got shape {list(shape)}")
    if builtins.any(n < -1 for n in shape):
        raise RuntimeError(f"{name}(): invalid shape dimension {builtins.min(shape)} in {list(shape)}")
    known = math.prod(n for n in shape if n != -1)
    if unknown:
        if known == 0:
            raise RuntimeError(f"{name}(): cannot reshape a tensor of shape {tuple(in_shape)} into shape {shape}: "
                               "the size of the -1 dimension is ambiguous")
        if numel % known == 0:
            return shape[:unknown[0]] + (numel // known,) + shape[unknown[0] + 1:]
    elif known == numel:
        return shape
    raise RuntimeError(f"{name}(): shape {shape} is invalid for a tensor of shape {tuple(in_shape)} ({numel} elements)")


def _raw_key(key, xp):
    """The index as arrays of ``xp`` (the indexed tensor's library): tensors, lists and arrays converted."""
    if isinstance(key, tuple):
        return tuple(_raw_key(k, xp) for k in key)
    if isinstance(key, Tensor):
        key = key.array
    if isinstance(key, range):  # positions, as a list (d2l's y_hat[range(n), y])
        key = list(key)
    if isinstance(key, list) or hasattr(key, "__array_interface__") or hasattr(key, "__cuda_array_interface__"):
        key = xp.asarray(backend.to_numpy(key) if xp is np else key)
        if key.dtype == np.uint8:  # PyTorch reads a uint8 index as a mask (deprecated there), not as positions
            return key.astype(bool)
        return key.astype(np.int64) if key.size == 0 else key  # x[[]]: an empty list selects nothing
    return key


def check_sequence(tensors, name):
    """cat and stack take a non-empty list or tuple of tensors (a Tensor would be split into its rows)."""
    if not isinstance(tensors, (list, tuple)):
        raise TypeError(f"{name}() expects a list or tuple of tensors, got {type(tensors).__name__}")
    if not tensors:
        raise ValueError(f"{name}() expects a non-empty list of tensors, got an empty one")
    for i, t in enumerate(tensors):
        if not isinstance(t, Tensor):
            raise TypeError(f"{name}() expects a sequence of tensors, got {type(t).__name__} at position {i}")


def _join_dim(dim, axis, name):
    if axis is not None and dim is not None:
        raise TypeError(f"{name}() got both 'dim' and its NumPy alias 'axis'; pass one of them")
    return 0 if dim is None and axis is None else axis if dim is None else dim


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
