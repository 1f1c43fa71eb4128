"""nn.Module and nn.Parameter with PyTorch's names and meanings.

A Module owns three kinds of state, kept apart: parameters (trainable tensors, seen by the optimiser), buffers
(persistent non-trainable tensors such as running statistics, saved in the state_dict and moved by ``to``) and
child modules.
"""
from collections import OrderedDict, namedtuple
from collections.abc import Mapping

import numpy as np

from minigrad import backend
from minigrad.backend import Device
from minigrad.core import HookHandle, Tensor, parse_to_args, zero_grads

IncompatibleKeys = namedtuple("IncompatibleKeys", ["missing_keys", "unexpected_keys"])  # as PyTorch returns


class Parameter(Tensor):
    """A tensor that a Module registers as trainable (requires_grad=True)."""

    def __init__(self, data, requires_grad=True):
        super().__init__(data.array if isinstance(data, Tensor) else data, requires_grad=requires_grad)

    def __repr__(self):
        return "Parameter containing:\n" + super().__repr__()


def _is_lazy(t):
    """Whether ``t`` is a lazy module's uninitialized parameter or buffer (minigrad/nn/modules/lazy.py marks them)."""
    return getattr(type(t), "_lazy", False)


def _check_name(kind, name, module, store):
    """A parameter, buffer or submodule name must be a non-empty str without dots (dots join state_dict keys),
    and not already an attribute of ``module`` other than an entry of ``store`` (KeyError, as PyTorch)."""
    if not isinstance(name, str):
        raise TypeError(f"{kind} name must be a str, got {type(name).__name__} {name!r}")
    if not name or "." in name:
        raise KeyError(f"{kind} name must be non-empty and contain no '.', got {name!r}")
    if name not in store and hasattr(module, name):
        raise KeyError(f"attribute {name!r} already exists: cannot register a {kind} under that name")


class Module:
    """Base class of every layer and network: define ``forward``, call the module."""

    def __init__(self):
        object.__setattr__(self, "_parameters", OrderedDict())
        object.__setattr__(self, "_buffers", OrderedDict())
        object.__setattr__(self, "_modules", OrderedDict())
        object.__setattr__(self, "training", True)

    # -- registration -----------------------------------------------------------
    def __setattr__(self, name, value):
        if "_parameters" not in self.__dict__:
            raise RuntimeError(f"{type(self).__name__}.__init__ must call super().__init__() before assigning "
                               f"attributes")
        if name in self._parameters and not (value is None or isinstance(value, Parameter)):
            raise TypeError(f"cannot assign {type(value).__name__} to parameter {name!r} (nn.Parameter or None "
                            f"expected)")
        if name in self._modules and not (value is None or isinstance(value, Module)):
            raise TypeError(f"cannot assign {type(value).__name__} as child module {name!r} (nn.Module or None "
                            f"expected)")
        if name in self._buffers and not isinstance(value, Parameter):
            if value is not None and not isinstance(value, Tensor):
                raise TypeError(f"cannot assign {type(value).__name__} to buffer {name!r} (Tensor or None expected)")
            self._buffers[name] = value
            return
        for store in (self._parameters, self._buffers, self._modules):
            store.pop(name, None)
        if isinstance(value, Parameter):
            self._parameters[name] = value
        elif isinstance(value, Module):
            self._modules[name] = value
        else:
            object.__setattr__(self, name, value)

    def __getattr__(self, name):
        for store in ("_parameters", "_buffers", "_modules"):
            values = self.__dict__.get(store)
            if values is not None and name in values:
                return values[name]
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def __delattr__(self, name):
        for store in (self._parameters, self._buffers, self._modules):
            if name in store:
                del store[name]
                return
        object.__delattr__(self, name)

    def register_buffer(self, name, tensor, persistent=True):
        """Register a non-trainable tensor (saved in state_dict unless ``persistent=False``)."""
        _check_name("buffer", name, self, self._buffers)
        if tensor is not None and not isinstance(tensor, Tensor):
            raise TypeError(f"buffer {name!r} must be a Tensor or None, got {type(tensor).__name__}")
        self._buffers[name] = tensor
        if not persistent:
            self.__dict__.setdefault("_non_persistent", set()).add(name)

    def register_parameter(self, name, param):
        _check_name("parameter", name, self, self._parameters)
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(f"parameter {name!r} must be an nn.Parameter or None, got {type(param).__name__}")
        self._parameters[name] = param

    def add_module(self, name, module):
        _check_name("module", name, self, self._modules)
        if not isinstance(module, Module):
            raise TypeError(f"{name!r} must be a Module, got {type(module).__name__}")
        self._modules[name] = module

    # -- traversal --------------------------------------------------------------
    def named_modules(self, prefix=""):
        seen, stack = set(), [(prefix, self)]
        while stack:
            name, module = stack.pop()
            if id(module) in seen:
                continue
            seen.add(id(module))
            yield name, module
            children = [(f"{name}.{n}" if name else n, m) for n, m in module._modules.items() if m is not None]
            stack.extend(reversed(children))

    def modules(self):
        return (m for _, m in self.named_modules())

    def named_children(self):
        return ((n, m) for n, m in self._modules.items() if m is not None)

    def children(self):
        return (m for _, m in self.named_children())

    def _named_tensors(self, kind, recurse=True):
        seen = set()
        modules = self.named_modules() if recurse else [("", self)]
        for prefix, module in modules:
            for name, t in getattr(module, kind).items():
                if t is not None and id(t) not in seen:
                    seen.add(id(t))
                    yield (f"{prefix}.{name}" if prefix else name), module, name, t

    def named_parameters(self, recurse=True):
        return ((full, p) for full, _, _, p in self._named_tensors("_parameters", recurse))

    def parameters(self, recurse=True):
        return (p for _, p in self.named_parameters(recurse))

    def named_buffers(self, recurse=True):
        return ((full, b) for full, _, _, b in self._named_tensors("_buffers", recurse))

    def buffers(self, recurse=True):
        return (b for _, b in self.named_buffers(recurse))

    def apply(self, fn):
        """Call ``fn`` on every submodule (children first) and on self, as PyTorch does."""
        for child in self.children():
            child.apply(fn)
        fn(self)
        return self

    # -- modes and gradients ------------------------------------------------------
    def train(self, mode=True):
        if not isinstance(mode, bool):
            raise ValueError(f"train(mode): mode must be True or False, got {type(mode).__name__} {mode!r}")
        for m in self.modules():
            object.__setattr__(m, "training", bool(mode))
        return self

    def eval(self):
        return self.train(False)

    def zero_grad(self, set_to_none=True):
        zero_grads(self.parameters(), set_to_none)

    def requires_grad_(self, requires_grad=True):
        if not isinstance(requires_grad, bool):
            raise TypeError(f"requires_grad_(requires_grad): expected True or False, got "
                            f"{type(requires_grad).__name__} {requires_grad!r}")
        for p in self.parameters():
            p.requires_grad_(requires_grad)
        return self

    def to(self, *args, dtype=None, device=None):
        """Move parameters and buffers (in place, keeping their identity) to a device and/or float dtype."""
        dtype, device = parse_to_args(args, dtype, device)
        device = None if device is None else Device(device)
        if dtype is not None and dtype.kind != "f":
            raise TypeError(f"Module.to only accepts floating-point dtypes (it converts the floating-point "
                            f"parameters and buffers), got {dtype}")

        def convert(t, floating_only):
            array = t._placeholder if _is_lazy(t) else t.array  # a lazy module's keeps its dtype and device
            if device is not None:
                array = backend.to_device(array, device)
            if dtype is not None and (array.dtype.kind == "f" or not floating_only):
                array = array.astype(dtype, copy=False)
            t.array = array
            if t.grad is not None:
                t._grad = Tensor._wrap(backend.to_device(t.grad.array, backend.device_of(array)).astype(array.dtype))

        for t in list(self.parameters()) + list(self.buffers()):
            convert(t, floating_only=True)
        return self

    def cpu(self):
        return self.to("cpu")

    def cuda(self, index=0):
        return self.to(f"cuda:{index}")

    def double(self):
        return self.to(np.float64)

    def float(self):
        return self.to(np.float32)

    def half(self):
        return self.to(np.float16)

    # -- state --------------------------------------------------------------------
    def _state_tensors(self, prefix=""):
        """(dotted name, tensor) of the parameters and persistent buffers, in PyTorch's order: each module's
        parameters, then its buffers, then its children's. A module or tensor reached twice is listed twice
        (``Sequential(layer, layer)`` has ``0.weight`` and ``1.weight``), as in PyTorch's state_dict."""
        for name, p in self._parameters.items():
            if p is not None:
                yield prefix + name, p
        skipped = self.__dict__.get("_non_persistent", ())
        for name, b in self._buffers.items():
            if b is not None and name not in skipped:
                yield prefix + name, b
        for name, child in self._modules.items():
            if child is not None:
                yield from child._state_tensors(f"{prefix}{name}.")

    def state_dict(self):
        """Parameters and persistent buffers by dotted name (tensors sharing this module's data)."""
        return OrderedDict((full, t if _is_lazy(t) else t.detach()) for full, t in self._state_tensors())

    def load_state_dict(self, state_dict, strict=True):
        """Copy values into the parameters and buffers; mismatches raise a RuntimeError naming them.

        With ``strict`` (the default) missing and unexpected keys are errors; a
        shape mismatch always is. Returns ``(missing_keys, unexpected_keys)``.
        """
        if not isinstance(state_dict, Mapping):
            raise TypeError(f"Expected state_dict to be dict-like (names to tensors), got {type(state_dict).__name__}")
        own = targets = OrderedDict(self._state_tensors())
        missing = [k for k in own if k not in state_dict]
        unexpected = [k for k in state_dict if k not in own]
        arrays = {}
        for key, value in state_dict.items():
            if key not in targets:
                continue
            if _is_lazy(value):  # saved before a lazy module's first forward: nothing to copy
                if not _is_lazy(targets[key]):
                    raise RuntimeError(f"load_state_dict: {key!r} is an uninitialized parameter or buffer (saved "
                                       "before its lazy module's first forward) and cannot be loaded into an "
                                       "initialized one: run a forward on the source module first")
                continue
            array = value.array if isinstance(value, Tensor) else value
            if not (hasattr(array, "__array_interface__") or hasattr(array, "__cuda_array_interface__")) \
                    or array.dtype.kind not in "biuf":
                what = type(value).__name__ + (f" of dtype {array.dtype}" if hasattr(array, "dtype") else "")
                raise TypeError(f"load_state_dict: the value of {key!r} must be a tensor or a numeric array, got "
                                f"{what}")
            arrays[key] = array
        errors = []
        if strict and missing:
            errors.append("missing keys: " + ", ".join(missing))
        if strict and unexpected:
            errors.append("unexpected keys: " + ", ".join(map(str, unexpected)))
        errors += [f"{key}: expected shape {targets[key].shape}, got {tuple(array.shape)}"
                   for key, array in arrays.items()
                   if not _is_lazy(targets[key]) and tuple(array.shape) != targets[key].shape]
        if errors:
            raise RuntimeError(f"error(s) loading the state_dict of {type(self).__name__}: " + "; ".join(errors))
        for key, array in arrays.items():
            target = targets[key]
            if _is_lazy(target):  # a lazy module's, filled in place with the loaded shape
                target.materialize(array.shape)
            target.array[...] = backend.to_device(array, target.device).astype(target.dtype, copy=False)
            target._vc[0] += 1  # an in-place change: a graph that saved the old value refuses to backward
        return IncompatibleKeys(missing, unexpected)

    # -- calling and printing -----------------------------------------------------
    def forward(self, *args, **kwargs):
        raise NotImplementedError(f"{type(self).__name__} must define forward()")

    _hooks = None  # {"pre": {handle: fn}, "post": {handle: fn}} once a hook is registered; None keeps calls direct

    def __call__(self, *args, **kwargs):
        if self._hooks is None:
            return self.forward(*args, **kwargs)
        for hook in tuple(self._hooks["pre"].values()):
            result = hook(self, args)
            if result is not None:
                args = result if isinstance(result, tuple) else (result,)
        output = self.forward(*args, **kwargs)
        for hook in tuple(self._hooks["post"].values()):
            result = hook(self, args, output)
            if result is not None:
                output = result
        return output

    def _register_hook(self, kind, hook):
        if not callable(hook):
            raise TypeError(f"a forward hook must be callable, got {type(hook).__name__}")
        if self._hooks is None:
            object.__setattr__(self, "_hooks", {"pre": {}, "post": {}})
        handle = HookHandle(self._hooks[kind])
        self._hooks[kind][handle] = hook
        return handle

    def register_forward_pre_hook(self, hook):
        """Call ``hook(module, args)`` before each forward; a non-None result replaces the positional
        arguments (wrapped in a tuple unless it is one). Returns a handle whose ``remove()`` unregisters it."""
        return self._register_hook("pre", hook)

    def register_forward_hook(self, hook):
        """Call ``hook(module, args, output)`` after each forward; a non-None result replaces the output.
        Returns a handle whose ``remove()`` unregisters it."""
        return self._register_hook("post", hook)

    def extra_repr(self):
        return ""

    def __repr__(self):
        children = [f"  ({name}): " + repr(m).replace("\n", "\n  ") for name, m in self.named_children()]
        if not children:
            return f"{type(self).__name__}({self.extra_repr()})"
        return f"{type(self).__name__}(\n" + "\n".join(children) + "\n)"
