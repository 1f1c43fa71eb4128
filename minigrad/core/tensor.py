"""Tensor: an array (NumPy or CuPy) and what autograd needs of it: its attributes, .grad, the version counter,
hooks, detach, conversion to NumPy, and the machinery of in-place changes. The ops are installed as its methods
from above (``minigrad.ops.install_tensor_methods``); the core imports nothing above it.
"""
import builtins
import math
import numbers
import weakref

import numpy as np

from minigrad import backend, random
from minigrad.backend import Device
from minigrad.checks import wrap_dim
from minigrad.core.grad_mode import is_grad_enabled
from minigrad.dtypes import bool_, checked_scalar, float32, int64, resolve_dtype


def _refuse_grad_source(src, name):
    """RuntimeError when ``src`` requires grad and gradients are recorded: PyTorch records an in-place write of it
    into another tensor in the graph (CopySlices); minigrad does not, so it refuses rather than drop the gradient."""
    if src.requires_grad and is_grad_enabled():
        raise RuntimeError(
            f"{name}: writing a tensor that requires grad into another in place is not supported by minigrad "
            "(its gradient would be lost); build the result out of place (minigrad.cat, stack, where) or write "
            "a detached value (value.detach())")


class Size(tuple):
    """A tensor's shape as ``torch.Size``: a tuple of ints that also has ``numel()``."""

    def numel(self):
        return math.prod(self)

    def __getitem__(self, index):
        item = tuple.__getitem__(self, index)
        return Size(item) if isinstance(index, slice) else item

    def __add__(self, other):
        return Size(tuple.__add__(self, tuple(other)))

    def __repr__(self):
        return f"minigrad.Size({list(self)})"

    __str__ = tuple.__repr__  # in messages and print() a shape reads (2, 3), as before it was a Size


class HookHandle:
    """What ``register_hook`` and ``register_post_accumulate_grad_hook`` return: ``remove()`` unregisters the hook."""

    def __init__(self, hooks):
        self._hooks = hooks

    def remove(self):
        self._hooks.pop(self, None)


def _to_array(data, dtype, device):
    """The raw array for ``Tensor(data, dtype, device)``: numbers only (bool, int, float), else a TypeError."""
    if isinstance(data, Tensor):
        data = data.array
    xp_in = backend.get_array_module(data)
    if isinstance(data, (np.ndarray, np.generic)) or xp_in is not np:
        array = data
    else:
        try:
            array = np.asarray(data)
        except (ValueError, TypeError) as exc:  # ValueError for ragged nested lists, as PyTorch
            raise type(exc)(f"cannot make a tensor from {type(data).__name__}: {exc}") from None
        if array.dtype == np.float64 and dtype is None:
            array = array.astype(np.float32)  # Python floats default to float32, as in PyTorch
        elif array.dtype == np.uint64:  # NumPy's type for Python ints beyond int64; PyTorch refuses them
            raise RuntimeError(f"cannot make a tensor from {type(data).__name__} {data!r:.50}: a value does not fit "
                               "int64 (value cannot be converted to type int64 without overflow)")
        if dtype is not None and dtype.kind in "iu" and array.dtype.kind in "iu" and array.size:
            checked_scalar(int(array.min()), dtype), checked_scalar(int(array.max()), dtype)  # as PyTorch's check
    if array.dtype.kind not in "biuf":
        raise TypeError(f"cannot make a tensor from {type(data).__name__} {data!r:.50} (dtype {array.dtype}): "
                        "a tensor holds numbers (bool, int or float)")
    if dtype is not None and dtype.kind not in "biuf":
        raise TypeError(f"cannot make a tensor of dtype {dtype}: a tensor holds numbers (bool, int or float)")
    if device is not None:
        array = backend.to_device(array, device)
    elif isinstance(array, np.generic):
        array = np.asarray(array)
    if dtype is not None and array.dtype != dtype:
        if dtype.kind in "iu" and array.dtype.kind == "f" and array.size:
            info, xp = np.iinfo(dtype), backend.get_array_module(array)
            if not bool(xp.all((array >= info.min) & (array <= info.max))):  # NaN fails both comparisons
                raise RuntimeError(f"cannot convert {array.dtype} values outside [{info.min}, {info.max}] "
                                   f"(or NaN) to {dtype} without overflow")
        array = array.astype(dtype)
    return array


def tensor(data, dtype=None, requires_grad=False, device=None):
    """A new tensor holding a copy of ``data``."""
    array = _to_array(data, resolve_dtype(dtype), device)
    if array is (data.array if isinstance(data, Tensor) else data):
        array = array.copy()
    return Tensor(array, requires_grad=requires_grad)


class Tensor:
    """An n-dimensional array (NumPy or CuPy) that records the ops applied to it.

    ``Tensor(data, dtype=None, requires_grad=False, device=None)`` wraps
    ``data`` (sharing a NumPy array when no conversion is asked for); use
    ``minigrad.tensor`` for a copy. Nested Python lists become float32 whatever
    their elements, as ``torch.Tensor([1, 2])`` does; a bare Python number
    needs ``dtype=`` (``torch.Tensor(3)`` is an uninitialised tensor of 3
    elements, which minigrad does not make); an array keeps its dtype.

    ``t.array`` is the raw NumPy/CuPy array (what ops compute on). ``t.data``
    is, as in PyTorch, a Tensor sharing that memory, cut from the graph.
    Every in-place change (``add_``, ``+=``, ``t[i] = v``, an optimiser step)
    bumps a version counter shared by all tensors viewing the same memory;
    backward raises when a value saved for it was changed after it was saved.
    """

    __array_priority__ = 1000  # ndarray (op) Tensor defers to Tensor's reflected operator
    __hash__ = object.__hash__  # __eq__ is elementwise, so identity hashing is explicit

    def __init__(self, data, dtype=None, requires_grad=False, device=None):
        number = type(data) in (builtins.int, builtins.float, builtins.bool)  # not NumPy scalars
        if number and (dtype is None or type(dtype) is builtins.int):  # Tensor(3) or Tensor(2, 3)
            raise TypeError(f"Tensor({data!r}, ...): torch.Tensor(*sizes) is an uninitialised tensor (a number is not "
                            "data there); use minigrad.empty(*sizes), or minigrad.tensor(value) for a 0-d tensor")
        if dtype is None and isinstance(data, (list, tuple)):
            dtype = float32  # torch.Tensor is the float32 tensor type: torch.Tensor([1, 2]) holds 1.0, 2.0
        self.array = _to_array(data, resolve_dtype(dtype), device)
        self._vc = [0]
        self.grad = None
        self._ctx = None
        self._retains_grad = False
        self._requires_grad = False
        if requires_grad:
            self.requires_grad_(True)

    @classmethod
    def _wrap(cls, array, requires_grad=False, version=None):
        """Wrap a raw array without checks (the ops' fast path); ``version``: a counter to share."""
        if isinstance(array, np.generic):  # NumPy gives scalars for 0-d results; a tensor holds an array
            array = np.asarray(array)
        t = cls.__new__(cls)
        t.array, t._grad, t._ctx, t._retains_grad, t._requires_grad = array, None, None, False, requires_grad
        t._vc = [0] if version is None else version
        return t

    # -- attributes -----------------------------------------------------------
    @property
    def shape(self):
        return Size(self.array.shape)

    @property
    def ndim(self):
        return self.array.ndim

    @property
    def dtype(self):
        return self.array.dtype

    @property
    def device(self):
        return backend.device_of(self.array)

    @property
    def is_leaf(self):
        return self._ctx is None

    @property
    def grad(self):
        """The accumulated gradient (a Tensor of this shape, dtype and device), or None."""
        return self._grad

    @grad.setter
    def grad(self, value):
        # checked as PyTorch checks it: a .grad of another shape would be broadcast into a wrong update
        if value is not None:
            if not isinstance(value, Tensor):
                raise TypeError(f"assigned grad expected to be a Tensor or None, got {type(value).__name__}")
            for what, got, expected in (("shape", value.shape, self.shape), ("dtype", value.dtype, self.dtype),
                                        ("device", value.device, self.device)):
                if got != expected:
                    raise RuntimeError(f"attempting to assign a gradient of {what} {got} to a tensor of {what} "
                                       f"{expected}: a .grad must have its tensor's shape, dtype and device")
        self._grad = value

    @property
    def grad_fn(self):
        return self._ctx

    @property
    def data(self):
        """This tensor's values as a new Tensor cut from the graph (same memory, same version counter)."""
        return Tensor._wrap(self.array, version=self._vc)

    @data.setter
    def data(self, value):
        """``t.data = other``: make ``t`` hold ``other``'s values (a Tensor or array of the same device)."""
        self.array = value.array if isinstance(value, Tensor) else _to_array(value, None, self.device)

    @property
    def _version(self):
        """How many in-place changes this tensor's memory has had."""
        return self._vc[0]

    def size(self, dim=None):
        """The shape as a ``minigrad.Size`` (a tuple), or the size of dimension ``dim``."""
        if dim is None:
            return Size(self.array.shape)
        if self.ndim == 0:
            raise IndexError(f"size(): dimension specified as {dim} but the tensor has no dimensions")
        return self.array.shape[wrap_dim(dim, self.ndim, "size")]

    def numel(self):
        return int(self.array.size)

    nelement = numel

    def dim(self):
        return self.array.ndim

    ndimension = dim

    def is_floating_point(self):
        return self.dtype.kind == "f"

    def __len__(self):
        if self.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self.shape[0]

    @property
    def requires_grad(self):
        """Whether gradients flow to this tensor (True for every result of an op on one that requires grad)."""
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, requires_grad):
        """``t.requires_grad = flag``: ``requires_grad_(flag)`` on a leaf; a RuntimeError on a computed tensor,
        as PyTorch."""
        if self._ctx is not None:
            raise RuntimeError(f"requires_grad can only be changed on a leaf tensor, this one has grad_fn="
                               f"{self._ctx!r}; use .detach() for a tensor cut from the graph")
        self.requires_grad_(requires_grad)

    def requires_grad_(self, requires_grad=True):
        if requires_grad and self.dtype.kind != "f":
            raise RuntimeError(f"only floating-point tensors can require gradients, got dtype {self.dtype}")
        if not requires_grad and self._ctx is not None:
            raise RuntimeError("requires_grad can only be turned off on a leaf tensor; use .detach()")
        self._requires_grad = bool(requires_grad)
        return self

    def retain_grad(self):
        """Keep ``.grad`` on this non-leaf tensor after backward (for inspecting a graph). Its grad_fn writes it
        through a weak reference: a tensor dropped before backward costs nothing (as in PyTorch)."""
        self._retains_grad = True
        if self._ctx is not None:
            self._ctx._retained = weakref.ref(self)
        return self

    _grad_hooks = None  # a leaf's {handle: hook} once register_hook is called (a computed tensor's are its grad_fn's)
    _viewed = False  # set when a view of this tensor is made, or it is one (see _record_in_place)

    def register_hook(self, hook):
        """Call ``hook(grad)`` each time the gradient with respect to this tensor is computed, before it goes
        on (to ``.grad`` for a leaf, to the inputs otherwise); a non-None result replaces the gradient.
        Returns a handle whose ``remove()`` unregisters it (as in PyTorch). A computed tensor's hooks live on its
        grad_fn, as PyTorch's: they fire when the tensor itself was dropped, and stay with the value they were
        registered on when an in-place change or ``detach_`` gives the tensor a new grad_fn."""
        if not self.requires_grad:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
        node = self._ctx or self
        if node._grad_hooks is None:
            node._grad_hooks = {}
            if node is not self:  # what the engine checks a hook's result against
                node._output_meta = (self.shape, self.dtype, self.device)
        handle = HookHandle(node._grad_hooks)
        node._grad_hooks[handle] = hook
        return handle

    def register_post_accumulate_grad_hook(self, hook):
        """Call ``hook(self)`` whenever backward has accumulated a gradient into this leaf's ``.grad``;
        returns a handle whose ``remove()`` unregisters it (as in PyTorch)."""
        if self._ctx is not None:
            raise RuntimeError("post accumulate grad hooks cannot be registered on non-leaf tensors")
        hooks = self.__dict__.setdefault("_post_accumulate_grad_hooks", {})
        handle = HookHandle(hooks)
        hooks[handle] = hook
        return handle

    # -- conversion -----------------------------------------------------------
    def detach(self):
        """The same data, cut from the graph (sharing the version counter, as in PyTorch)."""
        return Tensor._wrap(self.array, version=self._vc)

    def detach_(self):
        """Cut this tensor from the graph in place: a leaf that does not require grad (not for a view). Ops that
        used it before keep their edge to its grad_fn, as in PyTorch."""
        if self._ctx is not None and self.array.base is not None:
            raise RuntimeError("Can't detach views in-place. Use detach() instead.")
        self._ctx, self._requires_grad = None, False
        return self

    def item(self):
        if self.array.size != 1:
            raise RuntimeError(f"a Tensor with {self.array.size} elements (shape {self.shape}) cannot be converted "
                               "to a Python number; only one-element tensors can")
        return self.array.item()

    def tolist(self):
        return backend.to_numpy(self.array).tolist()

    def numpy(self):
        """A NumPy array (this tensor's own array on the CPU, a copy from the GPU)."""
        return backend.to_numpy(self.array)

    def __array__(self, dtype=None, copy=None):
        arr = self.numpy()
        return arr if dtype is None else arr.astype(dtype)

    # -- in-place changes (each bumps the version counter; recorded in the graph where PyTorch records them) --
    def _modify(self, name, update):
        """Apply ``update(array)`` in place after checking that autograd allows it here."""
        if self.requires_grad and is_grad_enabled():
            self._refuse_leaf(name)
            raise RuntimeError(
                f"{name}: in-place change of a tensor that is part of a graph (grad_fn={self._ctx!r}) "
                "is not supported by minigrad; use the out-of-place form")
        try:
            update(self.array)
        except (ValueError, TypeError, OverflowError) as exc:  # NumPy's broadcast/conversion error, said of this tensor
            raise (TypeError if isinstance(exc, TypeError) else RuntimeError)(
                f"{name}: {exc} (changing in place a tensor of shape {self.shape} and dtype {self.dtype})") from None
        self._vc[0] += 1
        return self

    def _refuse_leaf(self, name):
        """RuntimeError for an in-place change of a leaf that requires grad while gradients are recorded (PyTorch's)."""
        if self._ctx is None:
            raise RuntimeError(
                f"{name}: a leaf tensor that requires grad cannot be changed in place while gradients "
                "are recorded; wrap the change in `with minigrad.no_grad():` or change `.data`")

    def _records(self, name, *args):
        """Whether an in-place change of self by ``args`` goes into the graph (``_record_in_place``): gradients are
        recorded and self is part of a graph or an argument requires grad. A leaf that requires grad is refused."""
        if self._requires_grad:
            if not is_grad_enabled():
                return False
            self._refuse_leaf(name)
            return True
        for a in args:  # a loop, not any(...): this runs on every in-place change
            if isinstance(a, Tensor) and a._requires_grad:
                return is_grad_enabled()
        return False

    def _record_in_place(self, name, op, args=(), reads_old=True):
        """``self <- op(self, *args)`` recorded in the graph, as PyTorch records an in-place op: ``op`` runs out of
        place (its Functions, their backward) on ``old``, a tensor that takes self's place in the graph so far (a
        copy of self's values when ``reads_old``: ``op``'s backward reads them); its result, cast to self's dtype,
        is written into self's memory (aliases such as ``.data`` see it) and self becomes its output. An argument
        that is self stands for ``old``. Ops recorded earlier on self keep their edge to self's grad_fn then, with
        the hooks registered so far (``retain_grad`` follows self); a backward that needs self's overwritten
        values raises the version error. Refused for a view or a tensor with views (PyTorch rewrites every view's
        graph; these would not follow the change)."""
        if self._viewed:
            raise RuntimeError(
                f"{name}: an in-place change recorded in the graph of a view, or of a tensor a view was taken of, is "
                f"not supported by minigrad (the other views would not follow the change; tensor of shape "
                f"{self.shape}); change a clone (y = y.clone()), or use the out-of-place form")
        old = Tensor._wrap(self.array.copy() if reads_old else self.array, requires_grad=self._requires_grad)
        old._ctx = self._ctx  # self's place in the graph so far (the rest moves there once the op has succeeded)
        new = op(old, *[old if a is self else a for a in args])
        if new.shape != self.shape or not np.can_cast(new.dtype, self.dtype, "same_kind"):
            raise RuntimeError(f"{name}: result of shape {new.shape} and type {new.dtype} can't be cast to the "
                               f"desired output of shape {self.shape} and type {self.dtype}")
        if new.dtype != self.dtype:
            new = new.to(self.dtype)  # differentiable: a float result cast to self's float dtype
        if new.array is not self.array:
            self.array[...] = new.array
        self._ctx, self._requires_grad = new._ctx, True
        if self._retains_grad:
            self.retain_grad()
        self._vc[0] += 1
        return self

    def _apply_in_place(self, name, op, *args, reads_old=True):
        """``op(self, *args)`` (Tensors in, a Tensor out) written into self: recorded in the graph where PyTorch
        records it (``_record_in_place``), else computed and written as a plain in-place change."""
        if self._records(name, *args):
            return self._record_in_place(name, op, args, reads_old)
        return self._write_result(name, op(self, *args))

    def _raw(self, other, name):
        """``other`` as something NumPy/CuPy can combine with this tensor's array."""
        if isinstance(other, Tensor):
            _refuse_grad_source(other, name)
            if type(other.array) is not type(self.array) or other.device != self.device:
                raise RuntimeError(f"expected both tensors on the same device, but found {self.device} and "
                                   f"{other.device}")
            return other.array
        return other

    def _check_assignable(self, value, name):
        """TypeError unless ``value`` can be written into self: a Tensor, a number or an array (PyTorch takes a
        Tensor or a number; a list, a tuple or None would be read by NumPy as values or as NaN)."""
        if not (isinstance(value, (Tensor, numbers.Number)) or hasattr(value, "__array_interface__")
                or hasattr(value, "__cuda_array_interface__")):
            raise TypeError(f"{name}: can't assign a {type(value).__name__} to a tensor of dtype {self.dtype}; "
                            "pass a Tensor or a number (minigrad.tensor(values) makes a tensor of a list)")

    def copy_(self, src):
        """Copy ``src``'s values (broadcast to this shape, cast to this dtype, moved to this device) into self."""
        self._check_assignable(src, "copy_()")
        if is_grad_enabled() and (isinstance(src, Tensor) and src._requires_grad or
                                  self._requires_grad and self._ctx is not None) and (
                not isinstance(src, Tensor) or src.device == self.device):
            self[...] = src  # recorded in the graph, as PyTorch's copy_ (dtype cast, broadcast)
            return self
        if isinstance(src, Tensor):
            _refuse_grad_source(src, "copy_")
        values = backend.to_device(src.array if isinstance(src, Tensor) else np.asarray(src), self.device)
        try:
            fits = np.broadcast_shapes(values.shape, self.shape) == self.shape
        except ValueError:
            fits = False
        if not fits:
            raise RuntimeError(f"copy_(): the source of shape {tuple(values.shape)} cannot be broadcast to this "
                               f"tensor's shape {tuple(self.shape)}")
        return self._modify("copy_", lambda a: a.__setitem__(Ellipsis, values))

    def _fill_random(self, name, draw):
        """Overwrite every element with ``draw(generator, shape)`` (float64 NumPy values from minigrad's generator)."""
        if self.dtype.kind != "f":
            raise NotImplementedError(f"{name}: expected a floating-point tensor, got dtype {self.dtype}")
        return self._modify(name, lambda a: a.__setitem__(Ellipsis, backend.to_device(
            draw(random.default_generator(), self.shape), self.device)))

    def normal_(self, mean=0.0, std=1.0):
        """Fill with draws from N(mean, std^2), in place (``torch.Tensor.normal_``)."""
        if std < 0:
            raise RuntimeError(f"normal expects std >= 0.0, but found std {std}")
        return self._fill_random("normal_", lambda g, shape: g.normal(mean, std, shape))

    def uniform_(self, a=0.0, b=1.0):
        """Fill with draws from U[a, b), in place (``torch.Tensor.uniform_``, arguments ``from``/``to``)."""
        if a > b:
            raise RuntimeError(f"uniform_ expects to return a [from, to) range, but found from={a} > to={b}")
        return self._fill_random("uniform_", lambda g, shape: g.uniform(a, b, shape))

    def _write_result(self, name, values):
        """``values`` (an out-of-place result) written into self, as PyTorch's in-place ops: same shape, and a
        dtype that casts to self's within its kind (a float result does not go into an integer tensor)."""
        if values.shape != self.shape or not np.can_cast(values.dtype, self.dtype, "same_kind"):
            raise RuntimeError(f"{name}: result of shape {values.shape} and type {values.dtype} can't be cast to "
                               f"the desired output of shape {self.shape} and type {self.dtype}")
        return self._modify(name, lambda a: a.__setitem__(Ellipsis, values.array))

    def __iadd__(self, other): return self.add_(other)
    def __isub__(self, other): return self.sub_(other)
    def __imul__(self, other): return self.mul_(other)
    def __itruediv__(self, other): return self.div_(other)

    # -- printing -------------------------------------------------------------
    def __repr__(self):
        body = np.array2string(self.numpy(), separator=", ", prefix="tensor(", precision=4)
        extras = []
        if self.dtype not in (float32, int64, bool_):
            extras.append(f"dtype={self.dtype}")
        if self.device.type != "cpu":
            extras.append(f"device='{self.device}'")
        if self._ctx is not None:
            extras.append(f"grad_fn={self._ctx!r}")
        elif self.requires_grad:
            extras.append("requires_grad=True")
        return "tensor(" + ", ".join([body] + extras) + ")"

    def __bool__(self):
        if self.array.size != 1:
            raise RuntimeError(f"the truth value of a tensor of shape {self.shape} is ambiguous")
        return bool(self.array)

    def _python_number(self):
        """item() for float(t)/int(t), which raise ValueError for several elements, as PyTorch."""
        if self.array.size != 1:
            raise ValueError(f"only one element tensors can be converted to Python scalars, got shape {self.shape}")
        return self.array.item()

    def __index__(self):
        """An integer tensor of one element as a Python int (``range(t)``, ``seq[t]``), as PyTorch."""
        if self.dtype.kind not in "iu" or self.array.size != 1:
            raise TypeError(f"only integer tensors of a single element can be converted to an index, got dtype "
                            f"{self.dtype} and shape {self.shape}")
        return int(self.array.item())

    def __float__(self):
        return float(self._python_number())

    def __int__(self):
        return int(self._python_number())

    def __format__(self, spec):
        # a one-element tensor formats as its number (f"{loss:.3f}"), as in PyTorch
        if self.ndim == 0:
            return format(self.item(), spec)
        return object.__format__(self, spec)

    def __iter__(self):
        if self.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(self.shape[0]))

    def is_contiguous(self):
        """True when the elements lie in memory in row-major order without gaps (``view`` needs it)."""
        return bool(self.array.flags.c_contiguous)

    @property
    def is_cuda(self):
        return self.device.type == "cuda"

    def element_size(self):
        """Bytes per element."""
        return self.array.itemsize

    def new_tensor(self, data, *, dtype=None, device=None, requires_grad=False):
        return tensor(data, dtype=dtype or self.dtype, device=device or self.device, requires_grad=requires_grad)

    def __getattr__(self, name):
        # only reached for names Tensor lacks: say that minigrad does not have it, rather than a bare AttributeError
        if name.startswith("_"):
            raise AttributeError(name)
        raise AttributeError(f"'Tensor' object has no attribute {name!r}: minigrad does not implement "
                             f"torch.Tensor.{name} (docs/pytorch.md lists what it supports)")


def zero_grads(tensors, set_to_none=True):
    """Reset the ``.grad`` of each tensor: to None (PyTorch's default), or to zeros in place."""
    for t in tensors:
        if set_to_none:
            t.grad = None
        elif t.grad is not None:
            t.grad.zero_()


def parse_to_args(args, dtype=None, device=None):
    """(dtype, device) from the arguments of ``to``: a device, a dtype (or the name of one) or a tensor.

    A string that names neither raises the device's ValueError ("unknown device"); a dtype that
    is not a number type raises TypeError.
    """
    for arg in args:
        if isinstance(arg, Device):
            device = arg
        elif isinstance(arg, Tensor):  # to(other): other's dtype and device
            dtype, device = arg.dtype, arg.device
        elif isinstance(arg, str):
            try:
                device = Device(arg)
            except ValueError as exc:
                try:
                    dtype = np.dtype(arg)
                except TypeError:
                    raise ValueError(f"{exc} (or a dtype name such as 'float32')") from None
        else:
            dtype = arg
    dtype = resolve_dtype(dtype)
    if dtype is not None and dtype.kind not in "biuf":
        raise TypeError(f"to(): {dtype} is not a tensor dtype (bool, int or float)")
    return dtype, (None if device is None else Device(device))
