"""Indexing: getitem and its gradient, index_put (``t[key] = v``), gather, scatter, masked_fill, where,
nonzero. A scatter is the gradient of a gather (GetItemGrad).
"""
import builtins
import numbers

import numpy as np

from minigrad import backend
from minigrad.backend import get_array_module
from minigrad.core import DerivativeFunction, Function, Tensor, is_grad_enabled
from minigrad.dtypes import checked_scalar
from minigrad.ops.conversion import Cast, _promoted, clone
from minigrad.ops.utils import _Binary, _is_advanced, _raw_key, _view_of, sum_to, tensor_arg, unbroadcast, wrap_dim



class Where(_Binary):
    """y = a where cond else b (cond: a constant bool array, broadcast with a and b);
    ga = gy where cond, gb = gy elsewhere, each summed to its input's shape."""

    saves_inputs = saves_output = False

    def __init__(self, cond):
        self.cond = cond

    def check_inputs(self, a, b):
        try:
            np.broadcast_shapes(tuple(self.cond.shape), a.shape, b.shape)
        except ValueError:
            raise RuntimeError(f"where: the shapes of condition {tuple(self.cond.shape)}, input {a.shape} and "
                               f"other {b.shape} cannot be broadcast together") from None

    def forward(self, a, b):
        return get_array_module(a).where(self.cond, a, b)

    def backward(self, gy):
        xp = get_array_module(gy)
        zero = gy.dtype.type(0)
        (sa, sb), (need_a, need_b) = self.input_shapes, self.needs_input_grad
        return (unbroadcast(xp.where(self.cond, gy, zero), sa) if need_a else None,
                unbroadcast(xp.where(self.cond, zero, gy), sb) if need_b else None)

    def backward_graph(self, gy):
        (sa, sb), (need_a, need_b) = self.input_shapes, self.needs_input_grad
        return (sum_to(Where(self.cond)(gy, 0.0), sa) if need_a else None,
                sum_to(Where(self.cond)(0.0, gy), sb) if need_b else None)


def where(condition, input=None, other=None):  # noqa: A002
    """``input`` where ``condition`` (a bool tensor) holds, else ``other`` (tensors or numbers, broadcast).

    With the condition alone: the indices of its True elements, one int64 tensor per dimension.
    """
    cond = condition.array if isinstance(condition, Tensor) else np.asarray(condition)
    if cond.dtype != np.bool_:
        raise RuntimeError(f"where(): expected the condition to be a bool tensor, got dtype {cond.dtype}")
    if input is None and other is None:
        return tuple(Tensor._wrap(i.astype(np.int64)) for i in get_array_module(cond).nonzero(cond))
    if input is None or other is None:
        raise TypeError("where() takes the condition alone or the condition, input and other")
    for name, value, peer in (("input", input, other), ("other", other, input)):
        if not isinstance(value, (Tensor, numbers.Number)):
            raise TypeError(f"where(): {name} must be a Tensor or a number, got {type(value).__name__}")
        if isinstance(value, numbers.Integral) and isinstance(peer, Tensor):
            checked_scalar(value, peer.dtype)  # PyTorch's RuntimeError for 300 beside a uint8 tensor
    return Where(cond)(*_promoted((input, other)))


class _Split:
    """A key NumPy reads otherwise than PyTorch (integers or a bool scalar beside index arrays): PyTorch applies the
    integers first as basic indices, so ``a[key]`` is ``a[basic][rest]`` (``a[basic]`` a view that writes reach)."""

    def __init__(self, basic, rest):
        self.basic, self.rest = basic, rest


def _torch_key(key, xp):
    """``key`` (raw arrays) as PyTorch reads it: unchanged where NumPy's rule agrees, else a ``_Split``. An
    integer or 0-d integer array selects first; a bool scalar adds a dimension that a one-element mask indexes;
    the index arrays that remain go in place when adjacent, else to the front (NumPy's rule and PyTorch's)."""
    if type(key) is not tuple:  # one index: nothing to mix (the fast path of x[i], x[mask])
        return key
    ints = arrays = False
    for k in key:
        if isinstance(k, (slice, type(None), type(Ellipsis))):
            continue
        if isinstance(k, (bool, np.bool_)) or hasattr(k, "ndim") and (k.ndim or k.dtype == np.bool_):
            arrays = True
        elif isinstance(k, numbers.Integral) or hasattr(k, "ndim"):  # an integer or a 0-d integer array
            ints = True
    if not (ints and arrays):
        return key
    basic, rest = [], []
    for k in key:
        if isinstance(k, (bool, np.bool_)) or hasattr(k, "ndim") and k.ndim == 0 and k.dtype == np.bool_:
            basic.append(None)
            rest.append(xp.asarray([bool(k)]))
        elif isinstance(k, numbers.Integral) or hasattr(k, "ndim") and k.ndim == 0:
            basic.append(int(k))
        elif hasattr(k, "ndim"):
            basic += [slice(None)] * (k.ndim if k.dtype == np.bool_ else 1)
            rest.append(k)
        else:  # a slice, None or ...
            basic.append(k)
            rest.append(k if k is Ellipsis else slice(None))
    return _Split(tuple(basic), tuple(rest))


def _read(a, key):
    return a[key.basic][key.rest] if isinstance(key, _Split) else a[key]


def _write(a, key, v):
    """``a[key] = v``; a value that does not broadcast to the elements written is a RuntimeError naming both shapes."""
    try:
        if isinstance(key, _Split):
            a[key.basic][key.rest] = v
        else:
            a[key] = v
    except ValueError:
        if not hasattr(v, "shape"):
            raise
        raise RuntimeError(f"the value of shape {tuple(v.shape)} cannot be broadcast to the shape "
                           f"{tuple(_read(a, key).shape)} of the elements it is written to (the tensor's shape: "
                           f"{tuple(a.shape)})") from None


class GetItemGrad(DerivativeFunction):
    """GetItem's gradient as an op: zeros of ``in_shape`` with gy scatter-added at ``key``; its gradient is g[key]."""

    saves_inputs = saves_output = False

    def __init__(self, key, in_shape):
        self.key, self.in_shape = key, in_shape

    def forward(self, gy):
        xp = get_array_module(gy)
        gx = xp.zeros(self.in_shape, dtype=gy.dtype)
        if isinstance(self.key, _Split):
            backend.scatter_add(gx[self.key.basic], self.key.rest, gy)
        elif _is_advanced(self.key):
            backend.scatter_add(gx, self.key, gy)
        else:
            gx[self.key] = gy
        return gx

    def backward_graph(self, g):
        return GetItem(self.key)(g)


class GetItem(Function):
    """y = x[key] (basic or integer-array indexing);  gx = zeros with gy scatter-added at key (``GetItemGrad``)."""

    saves_inputs = saves_output = False

    def __init__(self, key):
        self.key = key

    def forward(self, x):
        self.in_shape, self.in_dtype = x.shape, x.dtype
        try:
            return _read(x, self.key)
        except IndexError as exc:
            raise IndexError(f"{exc} (indexing a tensor of shape {tuple(x.shape)})") from None

    def backward(self, gy):
        return GetItemGrad(self.key, self.in_shape).forward(gy)

    def backward_graph(self, gy):
        return GetItemGrad(self.key, self.in_shape)(gy)


def getitem(x, key):
    for k in key if isinstance(key, tuple) else (key,):
        if isinstance(k, slice) and k.step is not None and k.step <= 0:
            raise ValueError(f"step must be greater than zero, got slice {k} (as PyTorch; flip with "
                             "x[minigrad.arange(n - 1, -1, -1)] instead)")
    xp = get_array_module(x.array)
    key = _torch_key(_raw_key(key, xp), xp)
    out = GetItem(key)(x)
    return out if isinstance(key, _Split) or _is_advanced(key) else _view_of(out, x)


def gather(x, dim, index):
    """out[i][j][k] = x[index[i][j][k]][j][k] for dim 0 (and likewise for the others), as ``torch.gather``;
    the gradient is scatter-added back (repeated indices accumulate)."""
    d = wrap_dim(dim, x.ndim, "gather")
    idx = index.array if isinstance(index, Tensor) else np.asarray(index)
    if idx.dtype.kind not in "iu":
        raise RuntimeError(f"gather(): expected an int64 index, got dtype {idx.dtype}")
    if idx.ndim != x.ndim or builtins.any(idx.shape[i] > x.shape[i] for i in range(x.ndim) if i != d):
        raise RuntimeError(f"gather(): index of shape {tuple(idx.shape)} does not fit input of shape {x.shape} "
                           f"(same number of dimensions, no larger outside dim {d})")
    if idx.size and (int(idx.min()) < 0 or int(idx.max()) >= x.shape[d]):
        bad = int(idx.min()) if int(idx.min()) < 0 else int(idx.max())
        raise RuntimeError(f"gather(): index {bad} is out of bounds for dimension {d} with size {x.shape[d]}")
    xp = get_array_module(x.array)
    key = tuple(xp.asarray(idx) if i == d else xp.arange(n).reshape([-1 if j == i else 1 for j in range(x.ndim)])
                for i, n in enumerate(idx.shape))
    return GetItem(key)(x)


def masked_fill(x, mask, value):
    """``x`` with ``value`` where the bool ``mask`` (broadcast) is True; the dtype stays x's."""
    cond = mask.array if isinstance(mask, Tensor) else np.asarray(mask)
    if cond.dtype != np.bool_:
        raise RuntimeError(f"masked_fill(): expected a bool mask, got dtype {cond.dtype}")
    if isinstance(value, Tensor) and value.ndim != 0:  # PyTorch: RuntimeError, a 0-d value tensor only
        raise RuntimeError(f"masked_fill only supports a 0-dimensional value tensor, got shape {value.shape}")
    if not isinstance(value, (Tensor, numbers.Number)):
        raise TypeError(f"masked_fill(): value must be a number or a 0-d tensor, got {type(value).__name__}")
    if isinstance(value, numbers.Number):
        checked_scalar(value, x.dtype)  # PyTorch's RuntimeError for a value the dtype cannot hold
    return Where(cond)(*_promoted((value, x), x.dtype))  # a 0-d tensor value gets its gradient, as in PyTorch


def nonzero(x, *, as_tuple=False):
    """Indices of the nonzero elements: an (n, ndim) int64 tensor, or one index tensor per dimension."""
    found = get_array_module(x.array).nonzero(x.array.reshape(-1) if x.ndim == 0 else x.array)
    if as_tuple:
        return tuple(Tensor._wrap(i.astype(np.int64)) for i in found)
    if x.ndim == 0:  # as PyTorch: one row per nonzero element, no columns
        return Tensor._wrap(get_array_module(x.array).zeros((found[0].size, 0), dtype=np.int64))
    return Tensor._wrap(get_array_module(x.array).stack(found, axis=-1).astype(np.int64))


class IndexPut(Function):
    """``x[key] = v`` recorded: y is x's memory with v (broadcast, cast to x's dtype) written at ``key``;
    gx = gy where nothing was written (0 there), gv = gy[key] summed to v's shape, in v's dtype. Neither
    reads a value, so nothing is saved (PyTorch's CopySlices)."""

    saves_inputs = saves_output = False

    def __init__(self, key):
        self.key = key

    def forward(self, x, v):
        _write(x, self.key, v)
        self.v_dtype = v.dtype
        self.written = get_array_module(x).zeros(x.shape, dtype=bool)
        _write(self.written, self.key, True)
        return x

    def backward(self, gy):
        (_, v_shape), (need_x, need_v) = self.input_shapes, self.needs_input_grad
        zero = gy.dtype.type(0)
        return (get_array_module(gy).where(self.written, zero, gy) if need_x else None,
                unbroadcast(_read(gy, self.key), v_shape).astype(self.v_dtype, copy=False) if need_v else None)

    def backward_graph(self, gy):
        (_, v_shape), (need_x, need_v) = self.input_shapes, self.needs_input_grad
        gv = GetItem(self.key)(gy) if need_v else None
        return (Where(self.written)(0.0, gy) if need_x else None,
                None if gv is None else sum_to(gv if gv.dtype == self.v_dtype else Cast(self.v_dtype)(gv), v_shape))


def _scatter_key(name, x, dim, index, src):
    """The NumPy index that puts ``src``'s element [i][j][k] at [index[i][j][k]][j][k] of ``x`` (for dim 0);
    ``src`` (a Tensor or None) sliced to ``index``'s shape. PyTorch's checks, with its messages."""
    d = wrap_dim(dim, x.ndim, name)
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
    part = None if src is None else getitem(src, tuple(slice(0, n) for n in idx.shape))
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
    x = tensor_arg(input, "scatter")
    src, value = _scatter_src("scatter", x, src, value)
    key, part = _scatter_key("scatter", x, dim, index, src)
    if part is None:
        part = Tensor._wrap(get_array_module(x.array).full(index.shape, checked_scalar(value, x.dtype), dtype=x.dtype))
    return IndexPut(key)(clone(x), part)


def scatter_add(input, dim, index, src):  # noqa: A002
    """A copy of ``input`` with src[i][j][k] added to out[index[i][j][k]][j][k] (dim 0; likewise for the others),
    repeated indices accumulating, as ``torch.scatter_add`` (the gradient of ``gather``)."""
    x = tensor_arg(input, "scatter_add")
    if not isinstance(src, Tensor):
        raise TypeError(f"scatter_add(): argument 'src' must be Tensor, not {type(src).__name__}")
    _scatter_src("scatter_add", x, src, None)
    key, part = _scatter_key("scatter_add", x, dim, index, src)
    return x + GetItemGrad(key, x.shape)(part)


#: functions that are also Tensor methods with the same arguments (``x.name(...)`` is ``name(x, ...)``)
TENSOR_FUNCTIONS = ("nonzero", "masked_fill", "gather", "scatter", "scatter_add")


class IndexingMethods:
    """Tensor's indexing (``t[key]``, ``t[key] = v``) and in-place writes:
    methods whose arguments differ from the functions', installed by ``minigrad.ops.install_tensor_methods``."""

    def zero_(self):
        if self._records("zero_"):
            return self._record_in_place("zero_", lambda x: masked_fill(x, True, 0), reads_old=False)
        return self._modify("zero_", lambda a: a.fill(0))

    def fill_(self, value):
        """Every element set to ``value`` (a number or a 0-d tensor, whose gradient is then the sum of self's)."""
        if self._records("fill_", value):
            return self._record_in_place("fill_", lambda x, v: masked_fill(x, True, v), (value,), reads_old=False)
        value = value.to(self.dtype).item() if isinstance(value, Tensor) else checked_scalar(value, self.dtype)
        return self._modify("fill_", lambda a: a.fill(value))

    def __setitem__(self, key, value):
        self._check_assignable(value, "__setitem__")
        if isinstance(value, numbers.Number):
            value = checked_scalar(value, self.dtype)
        xp = backend.get_array_module(self.array)
        k = _torch_key(_raw_key(key, xp), xp)
        if is_grad_enabled() and (self._requires_grad or isinstance(value, Tensor) and value._requires_grad) \
                and not (self._requires_grad and self._ctx is None):  # (a leaf that requires grad: refused below)
            return self._setitem_recorded(k, value)
        v = self._raw(value, "__setitem__")
        self._modify("__setitem__", lambda a: _write(a, k, v))

    def _setitem_recorded(self, key, value):
        """``self[key] = value`` in the graph: self becomes the output of an ``IndexPut`` of (its old self,
        value), as PyTorch's CopySlices (``_record_in_place``; IndexPut writes into self's memory itself)."""
        if isinstance(value, Tensor):
            self._raw(value.detach(), "__setitem__")  # the device check
        self._record_in_place("__setitem__", lambda old, v: IndexPut(key)(old, v), (value,), reads_old=False)

    def __getitem__(self, key): return getitem(self, key)

    def masked_fill_(self, mask, value):
        """``masked_fill`` written into self (its dtype kept)."""
        return self._apply_in_place("masked_fill_", lambda x, v: masked_fill(x, mask, v), value, reads_old=False)

    def scatter_(self, dim, index, src=None, value=None, *, reduce=None):
        """``scatter`` written into self."""
        return self._apply_in_place(
            "scatter_", lambda x, s: scatter(x, dim, index, s, value, reduce=reduce), src, reads_old=False)

    def scatter_add_(self, dim, index, src):
        """``scatter_add`` written into self."""
        return self._apply_in_place("scatter_add_", lambda x, s: scatter_add(x, dim, index, s), src,
                                    reads_old=False)
