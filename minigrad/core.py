"""The autograd core: Tensor, Function, grad mode and the backward engine.

A Tensor wraps one NumPy or CuPy array. Applying a Function to tensors runs its
``forward`` on their raw arrays; when gradients are enabled and some input
requires grad, the output remembers the Function (``grad_fn``) and the Function
remembers its inputs. ``Tensor.backward`` walks that graph from the output back
to the leaves in reverse topological order (no recursion), calling each
Function's hand-written ``backward`` once with the gradient of its output.
"""
import builtins
import contextlib
import functools
import threading
import weakref

import numpy as np

from minigrad import backend, random
from minigrad.backend import Device

float32 = np.dtype("float32")
float64 = np.dtype("float64")
float16 = np.dtype("float16")
int64 = np.dtype("int64")
int32 = np.dtype("int32")
uint8 = np.dtype("uint8")
bool_ = np.dtype("bool")


def _resolve_dtype(dtype):
    """A NumPy dtype from a dtype, a type or a name such as 'float64'; None stays None."""
    if dtype is None or isinstance(dtype, np.dtype):
        return dtype
    try:
        return np.dtype(dtype)
    except TypeError:
        raise TypeError(f"unknown dtype {dtype!r}: use e.g. minigrad.float32, 'float64' or numpy.int64") from None


# ---------------------------------------------------------------------------
# Grad mode (per thread, as in PyTorch)

_grad_state = threading.local()


def is_grad_enabled():
    """True unless inside ``no_grad()`` or ``set_grad_enabled(False)``."""
    return getattr(_grad_state, "enabled", True)


class _GradMode:
    """A context manager and decorator that sets grad mode to ``mode`` and restores it afterwards."""

    mode = True

    def __new__(cls, func=None):
        self = super().__new__(cls)
        return self(func) if callable(func) else self  # a bare @no_grad decorates directly

    def __enter__(self):
        self.prev = is_grad_enabled()
        _grad_state.enabled = self.mode
        return self

    def __exit__(self, *exc):
        _grad_state.enabled = self.prev
        return False

    def _fresh(self):
        return type(self)()

    def __call__(self, fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with self._fresh():
                return fn(*args, **kwargs)
        return wrapper


class no_grad(_GradMode):
    """Record no graph (outputs keep no reference to inputs): ``with no_grad():`` or ``@no_grad``."""

    mode = False


class enable_grad(_GradMode):
    """Record the graph again inside a ``no_grad`` block."""

    mode = True


class set_grad_enabled(_GradMode):
    """Turn graph recording on or off; works as a call, a context manager and a decorator."""

    def __new__(cls, mode):
        return object.__new__(cls)

    def __init__(self, mode):
        self.mode = bool(mode)
        self.prev = is_grad_enabled()
        _grad_state.enabled = self.mode  # a plain call takes effect at once

    def __enter__(self):
        return self

    def _fresh(self):
        return set_grad_enabled(self.mode)

    def __call__(self, fn):
        _grad_state.enabled = self.prev  # used as a decorator: construction must not switch the mode
        return super().__call__(fn)


# ---------------------------------------------------------------------------
# Function: one differentiable op

class Function:
    """A differentiable op with a hand-written backward.

    Subclasses implement ``forward(*arrays) -> array`` on raw arrays (use
    ``xp = get_array_module(x)`` to serve NumPy and CuPy alike) and
    ``backward(gy) -> tuple`` returning one gradient array per input, or None
    where ``self.needs_input_grad[i]`` is False. Anything the backward needs is
    stored on ``self`` during forward; it is freed after backward.
    Call an instance on tensors (or numbers) to apply it: ``Exp()(x)``.

    Higher order: ``backward_graph(gy)`` is the same derivative built from
    Functions on Tensors (``self.inputs``; ``gy`` a Tensor), so that the
    result can be differentiated again. ``backward(create_graph=True)`` and
    ``autograd.grad(..., create_graph=True)`` call it; an op without one raises.
    An op that is itself a gradient subclasses ``DerivativeFunction`` and writes its
    derivative once.
    """

    #: which saved values ``backward`` reads, for the version check (see ``_check_versions``):
    #: all inputs and the output by default; ops whose backward reads neither turn these off
    saves_inputs = True
    saves_output = True
    #: whether ``backward_graph`` builds on the output Tensor (``output_tensor``), as PyTorch's saved results
    graph_uses_output = False

    def __call__(self, *inputs):
        tensors = _as_tensors(inputs, type(self).__name__)
        self.check_inputs(*tensors)
        out = self.forward(*[t.array for t in tensors])
        needs = tuple(t._requires_grad for t in tensors)
        if is_grad_enabled() and any(needs):
            self.inputs = tensors
            self.needs_input_grad = needs
            self.input_versions = tuple(t._vc[0] for t in tensors)
            result = Tensor._wrap(out, requires_grad=True)
            result._ctx = self
            self.output_version = result._vc
            if self.graph_uses_output:
                self._output_ref = weakref.ref(result)
            return result
        return Tensor._wrap(out)

    def check_inputs(self, *tensors):
        """Raise a clear error for inputs the op cannot take (shapes, ranks); none by default."""

    def forward(self, *arrays):
        raise NotImplementedError

    def backward(self, gy):
        raise NotImplementedError

    def backward_graph(self, gy):
        raise RuntimeError(
            f"{type(self).__name__}: differentiating its gradient again (create_graph=True) is not "
            "implemented for this op")

    def output_tensor(self, recompute):
        """This op's output Tensor while it lives and is still this op's result, else ``recompute()`` (its
        value, built anew from the inputs). A gradient built on the output flows back through this op's node,
        so its hooks fire and ``retain_grad`` sees it in a second pass too, as with PyTorch's saved results."""
        ref = self.__dict__.get("_output_ref")
        y = None if ref is None else ref()
        return y if y is not None and y._ctx is self else recompute()

    def release(self):
        """Drop the inputs and everything saved for backward."""
        self.__dict__.clear()

    def __repr__(self):
        return f"<{type(self).__name__}Backward>"


class DerivativeFunction(Function):
    """A Function that is the derivative of another (the forward of a gradient).

    Subclasses write the next derivative once, as ``backward_graph`` (Tensors,
    built from Functions); the raw ``backward`` evaluates that same graph code
    without recording it. Only second and higher derivatives run through here.
    """

    def backward(self, gy):
        with no_grad():
            gxs = self.backward_graph(Tensor._wrap(gy))
        if isinstance(gxs, Tensor):
            return gxs.array
        return tuple(None if g is None else g.array for g in gxs)


def _as_tensors(inputs, op_name):
    """Tensors for ``inputs``: Python numbers take the dtype and device of the first tensor."""
    ref = next((x for x in inputs if isinstance(x, Tensor)), None)
    tensors = []
    for x in inputs:
        if isinstance(x, Tensor):
            tensors.append(x)
        elif ref is not None and isinstance(x, (int, float, bool)):
            xp = backend.get_array_module(ref.array)
            tensors.append(Tensor._wrap(xp.asarray(x, dtype=ref.dtype if ref.dtype.kind == "f" else None)))
        else:
            tensors.append(tensor(x))
    if len(tensors) > 1:
        first = tensors[0].array
        for t in tensors[1:]:
            if type(t.array) is not type(first) or (
                    type(first) is not np.ndarray and t.device != tensors[0].device):
                raise RuntimeError(
                    f"{op_name}: expected all tensors on the same device, "
                    f"but found {tensors[0].device} and {t.device}; move them with .to(device)")
    return tensors


def _refuse_grad_source(src, name):
    """RuntimeError when ``src`` requires grad and gradients are recorded: PyTorch records an in-place write of it
    into another tensor in the graph (CopySlices); minigrad does not, so it refuses rather than drop the gradient."""
    if src.requires_grad and is_grad_enabled():
        raise RuntimeError(
            f"{name}: writing a tensor that requires grad into another in place is not supported by minigrad "
            "(its gradient would be lost); build the result out of place (minigrad.cat, stack, where) or write "
            "a detached value (value.detach())")


# ---------------------------------------------------------------------------
# Tensor

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
        self.array = _to_array(data, _resolve_dtype(dtype), device)
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
        return _ops.Size(self.array.shape)

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
            return _ops.Size(self.array.shape)
        if self.ndim == 0:
            raise IndexError(f"size(): dimension specified as {dim} but the tensor has no dimensions")
        return self.array.shape[_ops._wrap_dim(dim, self.ndim, "size")]

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
        """Keep ``.grad`` on this non-leaf tensor after backward (for inspecting a graph)."""
        self._retains_grad = True
        return self

    _grad_hooks = None  # {handle: hook} once register_hook is called
    _viewed = False  # set when a view of this tensor is made, or it is one (see _record_in_place)
    #: [(version, position), ...]: the graph positions this tensor had before recorded in-place changes, each with
    #: the version it ended at; an op that took this tensor at version <= v took that position (see _position)
    _earlier = None

    def register_hook(self, hook):
        """Call ``hook(grad)`` each time the gradient with respect to this tensor is computed, before it goes
        on (to ``.grad`` for a leaf, to the inputs otherwise); a non-None result replaces the gradient.
        Returns a handle whose ``remove()`` unregisters it (as in PyTorch)."""
        if not self.requires_grad:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
        if self._grad_hooks is None:
            self._grad_hooks = {}
        handle = _HookHandle(self._grad_hooks)
        self._grad_hooks[handle] = hook
        return handle

    def register_post_accumulate_grad_hook(self, hook):
        """Call ``hook(self)`` whenever backward has accumulated a gradient into this leaf's ``.grad``;
        returns a handle whose ``remove()`` unregisters it (as in PyTorch)."""
        if self._ctx is not None:
            raise RuntimeError("post accumulate grad hooks cannot be registered on non-leaf tensors")
        hooks = self.__dict__.setdefault("_post_accumulate_grad_hooks", {})
        handle = _HookHandle(hooks)
        hooks[handle] = hook
        return handle

    # -- conversion -----------------------------------------------------------
    def detach(self):
        """The same data, cut from the graph (sharing the version counter, as in PyTorch)."""
        return Tensor._wrap(self.array, version=self._vc)

    def detach_(self):
        """Cut this tensor from the graph in place: a leaf that does not require grad (not for a view). Ops that
        used it before keep its graph position (``_move_position``), as in PyTorch."""
        if self._ctx is not None and self.array.base is not None:
            raise RuntimeError("Can't detach views in-place. Use detach() instead.")
        if self._ctx is not None:
            old = Tensor._wrap(self.array, requires_grad=True)
            old._ctx = self._ctx
            self._move_position(old)
        self._ctx, self._requires_grad = None, False
        return self

    def _move_position(self, old):
        """``old`` (given this tensor's grad_fn) takes its graph position so far, hooks included: ops recorded on
        this tensor up to now route their gradient to ``old`` (``_earlier``, read by the engine's ``_position``)."""
        old._grad_hooks, self._grad_hooks = self._grad_hooks, None  # hooks see the old value's gradient, as PyTorch's
        if self._earlier is None:
            self._earlier = []
        self._earlier.append((self._vc[0], old))

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

    def to(self, *args, dtype=None, device=None, non_blocking=False, copy=False):
        """``to(device)``, ``to(dtype)``, both, or ``to(other)`` (other's dtype and device), as PyTorch.

        Differentiable to a floating dtype; a cast to an integer or bool dtype
        is cut from the graph. Returns self when nothing changes (unless ``copy``).
        """
        if args and isinstance(args[0], Tensor):
            dtype, device, args = args[0].dtype, args[0].device, args[1:]
        dtype, device = parse_to_args(args, dtype, device)
        out = self
        if dtype is not None and dtype != self.dtype:
            out = _ops.Cast(dtype)(out) if dtype.kind == "f" else Tensor._wrap(out.array.astype(dtype))
        if device is not None and Device(device) != self.device:
            out = _ops.ToDevice(Device(device))(out)
        return _ops.clone(out) if copy and out is self else out

    def cpu(self):
        return self.to("cpu")

    def cuda(self, index=0):
        return self.to(f"cuda:{index}")

    # dtype conversions, as PyTorch: differentiable to a float dtype, cut from the graph to an integer one
    def float(self): return self.to(float32)
    def double(self): return self.to(float64)
    def half(self): return self.to(float16)
    def long(self): return self.to(int64)
    def int(self): return self.to(int32)
    def bool(self): return self.to(bool_)
    def type_as(self, other): return self.to(other.dtype)

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
        that is self stands for ``old``. Ops recorded earlier on self keep ``old`` as their input (``_earlier``,
        read by the engine); a backward that needs self's overwritten values raises the version error. Refused for
        a view or a tensor with views (PyTorch rewrites every view's graph; these would not follow the change)."""
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
            new = _ops.Cast(self.dtype)(new)
        if new.array is not self.array:
            self.array[...] = new.array
        self._move_position(old)
        self._ctx, self._requires_grad = new._ctx, True
        self._vc[0] += 1
        return self

    def _apply_in_place(self, name, op, *args, reads_old=True):
        """``op(self, *args)`` (Tensors in, a Tensor out) written into self: recorded in the graph where PyTorch
        records it (``_record_in_place``), else computed and written as a plain in-place change."""
        if self._records(name, *args):
            return self._record_in_place(name, op, args, reads_old)
        return self._write_result(name, op(self, *args))

    def _in_place_operand(self, name, other, true_division=False):
        """``other`` (raw) for ``self <op>= other``: RuntimeError, as PyTorch, when the result would need
        another shape or a dtype that ``self`` cannot hold (NumPy would raise its own casting error)."""
        o = self._raw(_ops._operand(other), name)
        try:
            result = np.result_type(self.array.dtype, o.dtype if hasattr(o, "dtype") else o)
        except OverflowError:
            raise RuntimeError(f"{name}: value {o} cannot be converted to type {self.array.dtype} without overflow") from None
        if true_division:
            result = np.result_type(result, np.float32)
        if not np.can_cast(result, self.array.dtype, "same_kind"):
            raise RuntimeError(f"{name}: result type {result} can't be cast to the desired output type "
                               f"{self.array.dtype}")
        shape = tuple(getattr(o, "shape", ()))
        if shape != self.array.shape and np.broadcast_shapes(shape, self.array.shape) != self.array.shape:
            raise RuntimeError(f"{name}: output with shape {self.shape} doesn't match the broadcast shape "
                               f"{np.broadcast_shapes(shape, self.array.shape)}")
        return o

    def _raw(self, other, name):
        """``other`` as something NumPy/CuPy can combine with this tensor's array."""
        if isinstance(other, Tensor):
            _refuse_grad_source(other, name)
            if type(other.array) is not type(self.array) or other.device != self.device:
                raise RuntimeError(f"expected both tensors on the same device, but found {self.device} and {other.device}")
            return other.array
        return other

    def zero_(self):
        if self._records("zero_"):
            return self._record_in_place("zero_", lambda x: _ops.masked_fill(x, True, 0), reads_old=False)
        return self._modify("zero_", lambda a: a.fill(0))

    def fill_(self, value):
        """Every element set to ``value`` (a number or a 0-d tensor, whose gradient is then the sum of self's)."""
        if self._records("fill_", value):
            return self._record_in_place("fill_", lambda x, v: _ops.masked_fill(x, True, v), (value,), reads_old=False)
        value = value.item() if isinstance(value, Tensor) else value
        return self._modify("fill_", lambda a: a.fill(value))

    def copy_(self, src):
        """Copy ``src``'s values (broadcast to this shape, cast to this dtype, moved to this device) into self."""
        if isinstance(src, Tensor) and is_grad_enabled() and src.device == self.device and (
                src._requires_grad or self._requires_grad and self._ctx is not None):
            self[...] = src  # recorded in the graph, as PyTorch's copy_ (dtype cast, broadcast)
            return self
        if isinstance(src, Tensor):
            _refuse_grad_source(src, "copy_")
        values = backend.to_device(src.array if isinstance(src, Tensor) else np.asarray(src), self.device)
        return self._modify("copy_", lambda a: a.__setitem__(Ellipsis, values))

    def add_(self, other, alpha=1):
        if self._records("add_", other):
            return self._record_in_place("add_", _ops.add_alpha, (other, alpha), reads_old=False)
        o = self._in_place_operand("add_", other)
        return self._modify("add_", lambda a: a.__iadd__(o if alpha == 1 else o * alpha))

    def sub_(self, other, alpha=1):
        if self._records("sub_", other):
            return self._record_in_place("sub_", _ops.sub_alpha, (other, alpha), reads_old=False)
        o = self._in_place_operand("sub_", other)
        return self._modify("sub_", lambda a: a.__isub__(o if alpha == 1 else o * alpha))

    def mul_(self, other):
        if self._records("mul_", other):
            return self._record_in_place("mul_", _ops.mul, (other,))
        o = self._in_place_operand("mul_", other)
        return self._modify("mul_", lambda a: a.__imul__(o))

    def div_(self, other):
        if self._records("div_", other):
            return self._record_in_place("div_", _ops.div, (other,))
        o = self._in_place_operand("div_", other, true_division=True)
        return self._modify("div_", lambda a: a.__itruediv__(o))

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

    def relu_(self):
        """max(x, 0) in place (NaN stays NaN)."""
        if self.dtype == bool_:
            raise RuntimeError("Boolean inputs not supported for relu")
        if self._records("relu_"):
            return self._record_in_place("relu_", _ops.relu, reads_old=False)
        xp = backend.get_array_module(self.array)
        return self._modify("relu_", lambda a: xp.maximum(a, 0, out=a))

    def clamp_(self, min=None, max=None):  # noqa: A002 (PyTorch's argument names)
        """``clamp(min, max)`` written into self; the result must keep this tensor's dtype."""
        if self._records("clamp_", min, max):
            return self._record_in_place("clamp_", _ops.clamp, (min, max))
        values = _ops.clamp(self, min, max)
        if values.dtype != self.dtype:
            raise RuntimeError(f"clamp_: result type {values.dtype} can't be cast to the desired output type {self.dtype}")
        return self._modify("clamp_", lambda a: a.__setitem__(Ellipsis, values.array))

    clip_ = clamp_

    def _write_result(self, name, values):
        """``values`` (an out-of-place result) written into self, as PyTorch's in-place ops: same shape, and a
        dtype that casts to self's within its kind (a float result does not go into an integer tensor)."""
        if values.shape != self.shape or not np.can_cast(values.dtype, self.dtype, "same_kind"):
            raise RuntimeError(f"{name}: result of shape {values.shape} and type {values.dtype} can't be cast to "
                               f"the desired output of shape {self.shape} and type {self.dtype}")
        return self._modify(name, lambda a: a.__setitem__(Ellipsis, values.array))

    def pow_(self, exponent): return self._apply_in_place("pow_", _ops.pow, exponent)
    def exp_(self): return self._apply_in_place("exp_", _ops.exp)
    def log_(self): return self._apply_in_place("log_", _ops.log)
    def log1p_(self): return self._apply_in_place("log1p_", _special.log1p)
    def sqrt_(self): return self._apply_in_place("sqrt_", _ops.sqrt)
    def rsqrt_(self): return self._apply_in_place("rsqrt_", _ops.rsqrt)
    def abs_(self): return self._apply_in_place("abs_", _ops.abs, reads_old=False)
    def neg_(self): return self._apply_in_place("neg_", _ops.neg, reads_old=False)
    def square_(self): return self._apply_in_place("square_", _ops.square)
    def reciprocal_(self): return self._apply_in_place("reciprocal_", _ops.reciprocal)
    def sigmoid_(self): return self._apply_in_place("sigmoid_", _ops.sigmoid)
    def tanh_(self): return self._apply_in_place("tanh_", _ops.tanh)

    def __iadd__(self, other): return self.add_(other)
    def __isub__(self, other): return self.sub_(other)
    def __imul__(self, other): return self.mul_(other)
    def __itruediv__(self, other): return self.div_(other)

    def __setitem__(self, key, value):
        k = _ops._raw_key(key, backend.get_array_module(self.array))
        if is_grad_enabled() and (self._requires_grad or isinstance(value, Tensor) and value._requires_grad) \
                and not (self._requires_grad and self._ctx is None):  # (a leaf that requires grad: refused below)
            return self._setitem_recorded(k, value)
        v = self._raw(value, "__setitem__")
        self._modify("__setitem__", lambda a: a.__setitem__(k, v))

    def _setitem_recorded(self, key, value):
        """``self[key] = value`` in the graph: self becomes the output of an ``IndexPut`` of (its old self,
        value), as PyTorch's CopySlices (``_record_in_place``; IndexPut writes into self's memory itself)."""
        if isinstance(value, Tensor):
            self._raw(value.detach(), "__setitem__")  # the device check
        self._record_in_place("__setitem__", lambda old, v: _ops.IndexPut(key)(old, v), (value,), reads_old=False)

    # -- autograd -------------------------------------------------------------
    def backward(self, gradient=None, retain_graph=None, create_graph=False):
        """Accumulate d(self)/d(leaf) into ``leaf.grad`` for every leaf that requires grad.

        ``gradient`` is the upstream gradient (same shape as self); a one-element
        tensor may omit it (it is 1). The graph is freed afterwards unless
        ``retain_graph`` (default: ``create_graph``). With ``create_graph=True``
        the gradients are themselves built as a graph (``.grad`` has a grad_fn),
        so they can be differentiated again.
        """
        if not self.requires_grad:
            raise RuntimeError("backward() on a tensor that does not require grad and has no grad_fn")
        run_backward([self], [gradient], retain_graph, create_graph)

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

    # -- operators and methods (ops live in minigrad.ops; PyTorch's names, arguments and meanings) --
    def __add__(self, other): return _ops.add(self, other)
    def __radd__(self, other): return _ops.add(other, self)
    def __sub__(self, other): return _ops.sub(self, other)
    def __rsub__(self, other): return _ops.sub(other, self)
    def __mul__(self, other): return _ops.mul(self, other)
    def __rmul__(self, other): return _ops.mul(other, self)
    def __truediv__(self, other): return _ops.div(self, other)
    def __rtruediv__(self, other): return _ops.div(other, self)
    def __pow__(self, other): return _ops.pow(self, other)
    def __rpow__(self, other): return _ops.pow(other, self)
    def __matmul__(self, other): return _ops.matmul(self, other)
    def __rmatmul__(self, other): return _ops.matmul(other, self)
    def __floordiv__(self, other): return _ops.floor_divide(self, other)
    def __rfloordiv__(self, other): return _ops.floor_divide(other, self)
    def __mod__(self, other): return _ops.remainder(self, other)
    def __rmod__(self, other): return _ops.remainder(other, self)
    def __neg__(self): return _ops.neg(self)
    def __abs__(self): return _ops.abs(self)
    def __getitem__(self, key): return _ops.getitem(self, key)

    def __format__(self, spec):
        # a one-element tensor formats as its number (f"{loss:.3f}"), as in PyTorch
        if self.ndim == 0:
            return format(self.item(), spec)
        return object.__format__(self, spec)

    def __iter__(self):
        if self.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(self.shape[0]))

    def __lt__(self, other): return _ops.compare("less", self, other)
    def __le__(self, other): return _ops.compare("less_equal", self, other)
    def __gt__(self, other): return _ops.compare("greater", self, other)
    def __ge__(self, other): return _ops.compare("greater_equal", self, other)
    def __eq__(self, other): return _ops.compare("equal", self, other)
    def __ne__(self, other): return _ops.compare("not_equal", self, other)
    def __and__(self, other): return _ops.logical("bitwise_and", self, other)
    def __rand__(self, other): return _ops.logical("bitwise_and", other, self)
    def __or__(self, other): return _ops.logical("bitwise_or", self, other)
    def __ror__(self, other): return _ops.logical("bitwise_or", other, self)
    def __xor__(self, other): return _ops.logical("bitwise_xor", self, other)
    def __rxor__(self, other): return _ops.logical("bitwise_xor", other, self)
    def __invert__(self): return _ops.logical("invert", self)

    def eq(self, other): return _ops.compare("equal", self, other)
    def ne(self, other): return _ops.compare("not_equal", self, other)
    def lt(self, other): return _ops.compare("less", self, other)
    def le(self, other): return _ops.compare("less_equal", self, other)
    def gt(self, other): return _ops.compare("greater", self, other)
    def ge(self, other): return _ops.compare("greater_equal", self, other)
    def add(self, other, *, alpha=1): return _ops.add_alpha(self, other, alpha)
    def sub(self, other, *, alpha=1): return _ops.sub_alpha(self, other, alpha)
    def mul(self, other): return _ops.mul(self, other)
    def div(self, other, *, rounding_mode=None): return _ops.div_mode(self, other, rounding_mode)
    def matmul(self, other): return _ops.matmul(self, other)
    def mm(self, other): return _ops.mm(self, other)
    def all(self, dim=None, keepdim=False): return _ops.all(self, dim, keepdim)
    def any(self, dim=None, keepdim=False): return _ops.any(self, dim, keepdim)

    # reductions: dim is an int or a tuple (None: all); NumPy's axis/keepdims are aliases of dim/keepdim
    def sum(self, dim=None, keepdim=False, *, dtype=None, axis=None, keepdims=None):
        return _ops.sum(self, dim, keepdim, dtype=dtype, axis=axis, keepdims=keepdims)

    def mean(self, dim=None, keepdim=False, *, dtype=None, axis=None, keepdims=None):
        return _ops.mean(self, dim, keepdim, dtype=dtype, axis=axis, keepdims=keepdims)

    def var(self, dim=None, unbiased=None, keepdim=False, *, correction=None, axis=None, keepdims=None):
        return _ops.var(self, dim, unbiased, keepdim, correction=correction, axis=axis, keepdims=keepdims)

    def std(self, dim=None, unbiased=None, keepdim=False, *, correction=None, axis=None, keepdims=None):
        return _ops.std(self, dim, unbiased, keepdim, correction=correction, axis=axis, keepdims=keepdims)

    def max(self, dim=None, keepdim=False, *, axis=None, keepdims=None):
        return _ops.max(self, dim, keepdim, axis=axis, keepdims=keepdims)

    def min(self, dim=None, keepdim=False, *, axis=None, keepdims=None):
        return _ops.min(self, dim, keepdim, axis=axis, keepdims=keepdims)

    def amax(self, dim=(), keepdim=False, *, axis=None, keepdims=None):
        return _ops.amax(self, dim, keepdim, axis=axis, keepdims=keepdims)

    def amin(self, dim=(), keepdim=False, *, axis=None, keepdims=None):
        return _ops.amin(self, dim, keepdim, axis=axis, keepdims=keepdims)

    def argmax(self, dim=None, keepdim=False, *, axis=None, keepdims=None):
        return _ops.argmax(self, dim, keepdim, axis=axis, keepdims=keepdims)

    def argmin(self, dim=None, keepdim=False, *, axis=None, keepdims=None):
        return _ops.argmin(self, dim, keepdim, axis=axis, keepdims=keepdims)

    def prod(self, dim=None, keepdim=False, *, dtype=None): return _ops.prod(self, dim, keepdim, dtype=dtype)
    def logsumexp(self, dim, keepdim=False): return _ops.logsumexp(self, dim, keepdim)

    # elementwise
    def exp(self): return _ops.exp(self)
    def log(self): return _ops.log(self)
    def sqrt(self): return _ops.sqrt(self)
    def sigmoid(self): return _ops.sigmoid(self)
    def relu(self): return _ops.relu(self)
    def tanh(self): return _ops.tanh(self)
    def abs(self): return _ops.abs(self)
    def neg(self): return _ops.neg(self)
    def square(self): return _ops.square(self)
    def pow(self, exponent): return _ops.pow(self, exponent)
    def maximum(self, other): return _ops.maximum(self, other)
    def minimum(self, other): return _ops.minimum(self, other)
    def clamp(self, min=None, max=None): return _ops.clamp(self, min, max)  # noqa: A002
    clip = clamp

    def sin(self): return _ops.sin(self)
    def floor(self): return _ops.floor(self)
    def ceil(self): return _ops.ceil(self)
    def round(self, *, decimals=0): return _ops.round(self, decimals=decimals)
    def norm(self, p="fro", dim=None, keepdim=False): return _ops.norm(self, p, dim, keepdim)
    def unbind(self, dim=0): return _ops.unbind(self, dim)
    def remainder(self, other): return _ops.remainder(self, other)
    def trunc(self): return _ops.trunc(self)
    def sign(self): return _ops.sign(self)
    def cumsum(self, dim=None, *, dtype=None, axis=None): return _ops.cumsum(self, dim, dtype=dtype, axis=axis)
    def nonzero(self, *, as_tuple=False): return _ops.nonzero(self, as_tuple=as_tuple)
    def reciprocal(self): return _ops.reciprocal(self)
    def logical_not(self): return _ops.logical_not(self)
    def isclose(self, other, rtol=1e-5, atol=1e-8, equal_nan=False):
        return _ops.isclose(self, other, rtol, atol, equal_nan)

    def allclose(self, other, rtol=1e-5, atol=1e-8, equal_nan=False):
        return _ops.allclose(self, other, rtol, atol, equal_nan)

    def equal(self, other): return _ops.equal(self, other)
    def sort(self, dim=-1, descending=False, *, stable=False): return _ops.sort(self, dim, descending, stable=stable)
    def argsort(self, dim=-1, descending=False, *, stable=False): return _ops.argsort(self, dim, descending)
    def topk(self, k, dim=-1, largest=True, sorted=True): return _ops.topk(self, k, dim, largest, sorted)  # noqa: A002

    def unique(self, sorted=True, return_inverse=False, return_counts=False, dim=None):  # noqa: A002
        return _ops.unique(self, sorted, return_inverse, return_counts, dim)

    def masked_fill_(self, mask, value):
        """``masked_fill`` written into self (its dtype kept)."""
        return self._apply_in_place("masked_fill_", lambda x, v: _ops.masked_fill(x, mask, v), value, reads_old=False)

    def is_contiguous(self):
        """True when the elements lie in memory in row-major order without gaps (``view`` needs it)."""
        return bool(self.array.flags.c_contiguous)

    @property
    def is_cuda(self):
        return self.device.type == "cuda"

    def element_size(self):
        """Bytes per element."""
        return self.array.itemsize

    def new_zeros(self, *size, dtype=None, device=None, requires_grad=False):
        return _creation().zeros(*size, dtype=dtype or self.dtype, device=device or self.device,
                                 requires_grad=requires_grad)

    def new_ones(self, *size, dtype=None, device=None, requires_grad=False):
        return _creation().ones(*size, dtype=dtype or self.dtype, device=device or self.device,
                                requires_grad=requires_grad)

    def new_full(self, size, fill_value, *, dtype=None, device=None, requires_grad=False):
        return _creation().full(size, fill_value, dtype=dtype or self.dtype, device=device or self.device,
                                requires_grad=requires_grad)

    def new_tensor(self, data, *, dtype=None, device=None, requires_grad=False):
        return tensor(data, dtype=dtype or self.dtype, device=device or self.device, requires_grad=requires_grad)
    def cos(self): return _ops.cos(self)
    def rsqrt(self): return _ops.rsqrt(self)
    def masked_fill(self, mask, value): return _ops.masked_fill(self, mask, value)
    def masked_select(self, mask): return _ops.masked_select(self, mask)
    def gather(self, dim, index): return _ops.gather(self, dim, index)

    def softmax(self, dim):
        from minigrad.nn import functional
        return functional.softmax(self, dim)

    def log_softmax(self, dim):
        from minigrad.nn import functional
        return functional.log_softmax(self, dim)

    # shape
    def reshape(self, *shape): return _ops.reshape(self, *shape)
    def view(self, *shape): return _ops.view(self, *shape)
    def reshape_as(self, other): return _ops.reshape(self, other.shape)
    def view_as(self, other): return _ops.view(self, other.shape)
    def flatten(self, start_dim=0, end_dim=-1): return _ops.flatten(self, start_dim, end_dim)
    def unflatten(self, dim, sizes): return _ops.unflatten(self, dim, sizes)
    def squeeze(self, dim=None): return _ops.squeeze(self, dim)
    def unsqueeze(self, dim): return _ops.unsqueeze(self, dim)
    def expand(self, *sizes): return _ops.expand(self, *sizes)
    def expand_as(self, other): return _ops.expand(self, other.shape)
    def transpose(self, dim0, dim1): return _ops.transpose(self, dim0, dim1)
    swapaxes = swapdims = transpose

    def permute(self, *dims): return _ops.permute(self, *dims)
    def split(self, split_size, dim=0): return _ops.split(self, split_size, dim)
    def chunk(self, chunks, dim=0): return _ops.chunk(self, chunks, dim)
    def repeat(self, *sizes): return _ops.repeat(self, *sizes)
    def flip(self, *dims, **kwargs): return _rearrange.flip(self, _rearrange.varargs(dims, kwargs, "dims"))
    def tile(self, *dims, **kwargs): return _rearrange.tile(self, _rearrange.varargs(dims, kwargs, "dims"))
    def roll(self, shifts, dims=None): return _rearrange.roll(self, shifts, dims)
    def narrow(self, dim, start, length): return _rearrange.narrow(self, dim, start, length)

    def repeat_interleave(self, repeats=None, dim=None, *, output_size=None):
        return _rearrange.repeat_interleave(self, repeats, dim, output_size=output_size)

    def scatter(self, dim, index, src=None, value=None, *, reduce=None):
        return _rearrange.scatter(self, dim, index, src, value, reduce=reduce)

    def scatter_add(self, dim, index, src): return _rearrange.scatter_add(self, dim, index, src)

    def scatter_(self, dim, index, src=None, value=None, *, reduce=None):
        """``scatter`` written into self."""
        return self._apply_in_place(
            "scatter_", lambda x, s: _rearrange.scatter(x, dim, index, s, value, reduce=reduce), src, reads_old=False)

    def scatter_add_(self, dim, index, src):
        """``scatter_add`` written into self."""
        return self._apply_in_place("scatter_add_", lambda x, s: _rearrange.scatter_add(x, dim, index, s), src,
                                    reads_old=False)
    def log1p(self): return _special.log1p(self)
    def erf(self): return _special.erf(self)
    def sinh(self): return _hyperbolic.sinh(self)
    def cosh(self): return _hyperbolic.cosh(self)
    def type(self, dtype=None): return _ops.type_of(self, dtype)
    def t(self): return _ops.t(self)
    def clone(self): return _ops.clone(self)
    def contiguous(self): return _ops.contiguous(self)

    @property
    def T(self):
        """The matrix transposed (reversed dimensions, with PyTorch's deprecation warning, for other ranks)."""
        return _ops.reverse_dims(self)

    @property
    def mT(self):  # noqa: N802 (PyTorch's name)
        """The last two dimensions swapped."""
        return _ops.matrix_transpose(self)

    def __getattr__(self, name):
        # only reached for names Tensor lacks: say that minigrad does not have it, rather than a bare AttributeError
        if name.startswith("_"):
            raise AttributeError(name)
        raise AttributeError(f"'Tensor' object has no attribute {name!r}: minigrad does not implement "
                             f"torch.Tensor.{name} (docs/pytorch.md lists what it supports)")


class _HookHandle:
    """What ``register_hook`` and ``register_post_accumulate_grad_hook`` return: ``remove()`` unregisters the hook."""

    def __init__(self, hooks):
        self._hooks = hooks

    def remove(self):
        self._hooks.pop(self, None)


def _creation():
    from minigrad import creation  # the factories build on Tensor: imported when first used
    return creation


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
    dtype = _resolve_dtype(dtype)
    if dtype is not None and dtype.kind not in "biuf":
        raise TypeError(f"to(): {dtype} is not a tensor dtype (bool, int or float)")
    return dtype, (None if device is None else Device(device))


def tensor(data, dtype=None, requires_grad=False, device=None):
    """A new tensor holding a copy of ``data``."""
    array = _to_array(data, _resolve_dtype(dtype), device)
    if array is (data.array if isinstance(data, Tensor) else data):
        array = array.copy()
    return Tensor(array, requires_grad=requires_grad)


# ---------------------------------------------------------------------------
# The backward engine

def _topological_order(roots):
    """Tensors that need grad reachable from ``roots``, every input before its users.

    An iterative depth-first post-order: deep graphs cannot hit the recursion limit.
    """
    order, visited = [], set()
    stack = [(root, False) for root in reversed(roots)]
    while stack:
        t, inputs_done = stack.pop()
        if inputs_done:
            order.append(t)
            continue
        # mark a tensor when it is expanded, not when it is pushed: a tensor pushed
        # early may be reached again through a longer path and must then come later
        if id(t) in visited:
            continue
        visited.add(id(t))
        stack.append((t, True))
        fn = t._ctx
        if fn is None:
            continue
        if "inputs" not in vars(fn):
            raise RuntimeError(
                "backward() through a graph that was already freed: call the first backward() "
                "with retain_graph=True to go through it again")
        for x, version, needed in zip(fn.inputs, fn.input_versions, fn.needs_input_grad):
            x = _position(x, version)
            if needed and id(x) not in visited:
                stack.append((x, False))
    return order


def _position(x, version):
    """The tensor that stands for input ``x`` taken at ``version``: ``x`` itself, or the graph position it had then
    if a recorded in-place change has moved it since (``Tensor._record_in_place``)."""
    if x._earlier is not None:
        for last_version, old in x._earlier:
            if version <= last_version:
                return old
    return x


def _root_grad(t, g, create_graph):
    """The upstream gradient of output ``t``: ones for a one-element ``t`` without one; a Tensor when building a graph."""
    xp = backend.get_array_module(t.array)
    if g is None:
        if t.array.size != 1:
            raise RuntimeError(
                f"grad can be implicitly created only for one-element outputs; this tensor has shape {t.shape}: "
                "pass a gradient of that shape")
        g = xp.ones_like(t.array)
    elif isinstance(g, Tensor):
        if create_graph:
            if g.shape != t.shape:
                raise RuntimeError(f"gradient of shape {g.shape} for a tensor of shape {t.shape}")
            return g
        g = g.array
    else:
        g = xp.asarray(g, dtype=t.dtype)
    if tuple(g.shape) != t.shape:
        raise RuntimeError(f"gradient of shape {tuple(g.shape)} for a tensor of shape {t.shape}")
    return Tensor._wrap(g) if create_graph else g


def _check_versions(fn, create_graph):
    """RuntimeError when a tensor saved for ``fn``'s backward was changed in place after it was saved."""
    name = f"{type(fn).__name__}Backward"
    if (fn.saves_inputs or create_graph):
        for i, (x, v) in enumerate(zip(fn.inputs, fn.input_versions)):
            if x._vc[0] != v:
                raise RuntimeError(
                    f"one of the variables needed for gradient computation has been modified by an inplace "
                    f"operation: input {i} of {name} (a tensor of shape {x.shape}, {x.dtype}) is at version "
                    f"{x._vc[0]}; expected version {v} instead")
    if fn.saves_output and fn.output_version[0] != 0:
        raise RuntimeError(
            f"one of the variables needed for gradient computation has been modified by an inplace operation: "
            f"the output of {name} is at version {fn.output_version[0]}; expected version 0 instead")


_backward_callbacks = []  # queued during a backward pass, run when the outermost pass ends
_backward_depth = [0]


def queue_backward_callback(callback):
    """Run ``callback()`` once the backward pass now running has finished (PyTorch's engine
    ``queue_callback``; DistributedDataParallel checks there that every bucket was averaged)."""
    if not _backward_depth[0]:
        raise RuntimeError("queue_backward_callback: no backward pass is running")
    _backward_callbacks.append(callback)


@contextlib.contextmanager
def backward_pass():
    """The extent of one backward pass (nested ones count as part of the outermost): when the outermost
    ends without an error, the callbacks queued during it run, in order."""
    _backward_depth[0] += 1
    try:
        yield
    finally:
        _backward_depth[0] -= 1
        callbacks = [] if _backward_depth[0] else _backward_callbacks[:]
        if not _backward_depth[0]:
            _backward_callbacks.clear()
    for callback in callbacks:
        callback()


def run_backward(roots, root_grads, retain_graph=None, create_graph=False, inputs=None, allow_unused=False):
    """``_run_backward`` (below) as one backward pass (``backward_pass``)."""
    with backward_pass():
        return _run_backward(roots, root_grads, retain_graph, create_graph, inputs, allow_unused)


def _run_backward(roots, root_grads, retain_graph, create_graph, inputs, allow_unused):
    """The engine behind ``Tensor.backward`` and ``autograd.grad``.

    Walks the graph from ``roots`` (tensors, with upstream gradients
    ``root_grads``, None for ones) in reverse topological order, calling each
    Function's backward once with its output's total gradient. Without
    ``inputs`` the gradients are accumulated into the leaves' ``.grad``; with
    ``inputs`` (tensors) they are returned, one per input, and no ``.grad``
    changes. ``create_graph`` calls ``backward_graph`` (Tensors in, Tensors
    out, recorded) instead of the raw-array ``backward``.
    """
    if retain_graph is None:
        retain_graph = create_graph
    grads = {}
    for t, g in zip(roots, root_grads):
        g = _root_grad(t, g, create_graph)
        previous = grads.get(id(t))
        grads[id(t)] = g if previous is None else previous + g
    wanted = None if inputs is None else {id(t): None for t in inputs}
    with set_grad_enabled(create_graph):
        for t in reversed(_topological_order(roots)):
            g = grads.pop(id(t), None)
            if g is None:
                continue
            if t._grad_hooks:
                g = _run_grad_hooks(t, g, create_graph)
            if wanted is not None:
                if id(t) in wanted:
                    wanted[id(t)] = g
            elif t._ctx is None or t._retains_grad:
                accumulate_grad_and_run_hooks(t, g, create_graph)
            fn = t._ctx
            if fn is None:
                continue
            for x, gx in _input_grads(fn, g, create_graph):
                previous = grads.get(id(x))
                grads[id(x)] = gx if previous is None else previous + gx
            if not retain_graph:
                fn.release()
    return None if wanted is None else _requested_grads(inputs, wanted, allow_unused, create_graph)


def accumulate_grad_and_run_hooks(t, g, create_graph):
    """``g`` added into the leaf ``t``'s ``.grad``, then ``t``'s post-accumulate-grad hooks called."""
    _accumulate_grad(t, g, create_graph)
    hooks = t.__dict__.get("_post_accumulate_grad_hooks")
    for hook in (list(hooks.values()) if hooks else ()):
        hook(t)


def _run_grad_hooks(t, g, create_graph):
    """``g`` passed through ``t``'s ``register_hook`` hooks in order; a hook's non-None result replaces it."""
    for hook in list(t._grad_hooks.values()):
        result = hook(g if create_graph else Tensor._wrap(g))
        if result is not None:
            if not isinstance(result, Tensor) or (result.shape, result.dtype, result.device) != (
                    t.shape, t.dtype, t.device):
                raise RuntimeError(f"a hook registered with register_hook returned {type(result).__name__}"
                                   + (f" of shape {result.shape}, dtype {result.dtype} on {result.device}"
                                      if isinstance(result, Tensor) else "")
                                   + f"; expected None or a tensor of shape {t.shape}, dtype {t.dtype} on {t.device}")
            g = result if create_graph else result.array
    return g


def _input_grads(fn, g, create_graph):
    """(input, gradient) for each input of ``fn`` that gets one from its backward (``backward_graph`` when
    ``create_graph``) for output gradient ``g``; RuntimeError for a wrong count or shape."""
    _check_versions(fn, create_graph)
    gxs = fn.backward_graph(g) if create_graph else fn.backward(g)
    if not isinstance(gxs, tuple):
        gxs = (gxs,)
    if len(gxs) != len(fn.inputs):
        raise RuntimeError(f"{type(fn).__name__}.backward returned {len(gxs)} gradients for {len(fn.inputs)} inputs")
    pairs = []
    for x, version, gx, needed in zip(fn.inputs, fn.input_versions, gxs, fn.needs_input_grad):
        if not needed or gx is None:
            continue
        if gx.shape != x.array.shape:
            raise RuntimeError(f"{type(fn).__name__}.backward returned a gradient of shape {tuple(gx.shape)} "
                               f"for an input of shape {x.shape}")
        pairs.append((_position(x, version), gx))
    return pairs


def _requested_grads(inputs, wanted, allow_unused, create_graph):
    """``autograd.grad``'s result: the gradient of each of ``inputs`` (from ``wanted``, by id) as a Tensor."""
    results = []
    for i, t in enumerate(inputs):
        g = wanted[id(t)]
        if g is None and not allow_unused:
            raise RuntimeError(
                f"input {i} (shape {t.shape}) was not used to compute the outputs (or does not require grad); "
                "pass allow_unused=True to get None for it")
        if g is not None and not create_graph:
            g = Tensor._wrap(g.astype(t.dtype, copy=False))
        results.append(g)
    return tuple(results)


def _accumulate_grad(t, g, create_graph=False):
    if create_graph:  # keep the graph: .grad is a tensor with a grad_fn
        t._grad = g if t._grad is None else t._grad + g
        return
    if g.dtype != t.dtype:
        g = g.astype(t.dtype)
    if t._grad is None:
        # copy: the array may be shared with another gradient (Add passes gy to both sides)
        t._grad = Tensor._wrap(g.copy())
    else:
        t._grad.array += g


from minigrad import ops as _ops  # noqa: E402  (ops builds on Function and Tensor above)
from minigrad import rearrange as _rearrange, special as _special  # noqa: E402  (they build on ops)
from minigrad import ops_hyperbolic as _hyperbolic  # noqa: E402  (builds on ops)
