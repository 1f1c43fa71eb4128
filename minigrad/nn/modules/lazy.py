"""Lazy modules (``torch.nn.LazyLinear``, ``LazyConv2d``, ``LazyBatchNorm1d/2d``): the input size is taken at
the first forward.

Until then their parameters and running statistics are ``UninitializedParameter`` / ``UninitializedBuffer``
objects, which hold a dtype and a device but no shape; using one raises a ValueError that says to run a
forward first. The first forward fills them *in place* (the same objects become ordinary Parameters and
Tensors, so an optimiser built before it trains them), initialises them as the eager layer would, and
turns the module into that layer: a ``LazyConv2d`` is then a ``Conv2d`` (class, repr and state_dict),
as PyTorch's ``cls_to_become``. ``load_state_dict`` into a lazy module fills its parameters from the
loaded shapes (``Module.load_state_dict``); it becomes the eager class at its next forward.
"""
import numpy as np

from minigrad import backend
from minigrad.checks import check_int
from minigrad.core import Tensor, no_grad
from minigrad.nn import init
from minigrad.nn._functions.batchnorm import check_batch_norm_input
from minigrad.nn.modules.batchnorm import BatchNorm1d, BatchNorm2d, _BatchNormTorch
from minigrad.nn.modules.conv import Conv2d
from minigrad.nn.modules.linear import Linear
from minigrad.nn.modules.module import Module, Parameter

_USE_MESSAGE = ("Attempted to use an uninitialized parameter or buffer: a lazy module (nn.LazyLinear, "
                "nn.LazyConv2d, nn.LazyBatchNorm1d/2d) infers its shapes at its first forward. Call the module "
                "(or the network holding it) on a dummy batch first to initialize its parameters")


class _Uninitialized:
    """A tensor whose shape is not known yet: only a dtype and a device (an empty placeholder array, converted
    by ``Module.to``) until ``materialize`` gives it an array and turns it into ``cls_to_become``."""

    cls_to_become = None
    _lazy = True  # what Module's state_dict, load_state_dict and to() look for

    @property
    def array(self):
        raise ValueError(_USE_MESSAGE)

    @array.setter
    def array(self, value):
        self.__dict__["_placeholder"] = value

    @property
    def shape(self):
        raise RuntimeError("Can't access the shape of an uninitialized parameter or buffer (a lazy module's, before "
                           "its first forward). Call the module (or the network holding it) on a dummy batch first "
                           "to initialize its parameters")

    @property
    def dtype(self):
        return self._placeholder.dtype

    @property
    def device(self):
        return backend.device_of(self._placeholder)

    def materialize(self, shape, device=None, dtype=None):
        """Become a ``cls_to_become`` of ``shape`` in place (uninitialised values), on this placeholder's device
        and dtype unless given."""
        placeholder = self.__dict__.pop("_placeholder")
        dtype = placeholder.dtype if dtype is None else np.dtype(dtype)
        device = backend.device_of(placeholder) if device is None else device
        self.__class__ = self.cls_to_become
        self.array = backend.to_device(np.empty(tuple(shape), dtype=dtype), device)

    def __repr__(self):
        return f"<{type(self).__name__}>"


class UninitializedParameter(_Uninitialized, Parameter):
    """A lazy module's parameter before its first forward (``torch.nn.UninitializedParameter``)."""

    cls_to_become = Parameter

    def __init__(self, requires_grad=True, device=None, dtype=None):
        super().__init__(_placeholder(device, dtype), requires_grad=requires_grad)


class UninitializedBuffer(_Uninitialized, Tensor):
    """A lazy module's buffer (running statistics) before its first forward (``torch.nn.UninitializedBuffer``)."""

    cls_to_become = Tensor

    def __init__(self, requires_grad=False, device=None, dtype=None):
        super().__init__(_placeholder(device, dtype), requires_grad=requires_grad)


def _placeholder(device, dtype):
    return backend.to_device(np.empty(0, dtype=np.float32 if dtype is None else dtype), device or "cpu")


def is_lazy(tensor):
    """Whether ``tensor`` is an UninitializedParameter or UninitializedBuffer (``torch.nn.parameter.is_lazy``)."""
    return isinstance(tensor, _Uninitialized)


class LazyModuleMixin:
    """Infers the parameters' shapes at the first forward (``initialize_parameters``, a forward pre-hook), then
    turns the module into ``cls_to_become``."""

    cls_to_become = None

    def _await_first_forward(self):
        """Register the pre-hook that initializes the parameters at the first forward (end of ``__init__``)."""
        self._initialize_hook = self.register_forward_pre_hook(self._infer_parameters)

    def has_uninitialized_params(self):
        """Whether a parameter or buffer of this module is still uninitialized."""
        return any(is_lazy(t) for t in (*self._parameters.values(), *self._buffers.values()))

    def initialize_parameters(self, *args):
        raise NotImplementedError(f"initialize_parameters is not implemented for {type(self).__name__}")

    def _infer_parameters(self, module, args):
        if not args or not isinstance(args[0], Tensor):
            raise TypeError(f"{type(self).__name__}: expected a Tensor as the first argument of the forward "
                            f"that infers its shapes, got {type(args[0]).__name__ if args else 'no argument'}")
        with no_grad():
            self.initialize_parameters(*args)
        self._initialize_hook.remove()
        del self._initialize_hook
        if self.cls_to_become is not None:
            self.__class__ = self.cls_to_become

    def _materialize(self, shapes):
        """Materialize each uninitialized parameter or buffer named in ``shapes`` ({name: shape})."""
        for name, shape in shapes.items():
            t = getattr(self, name)
            if is_lazy(t):
                t.materialize(shape)


class LazyLinear(LazyModuleMixin, Linear):
    """A ``Linear`` whose ``in_features`` is the last dimension of its first input."""

    cls_to_become = Linear

    def __init__(self, out_features, bias=True):
        Module.__init__(self)  # not Linear.__init__, which would draw a weight
        self.in_features = 0
        self.out_features = check_int("out_features", out_features, 1, "LazyLinear")
        self.weight = UninitializedParameter()
        self.bias = UninitializedParameter() if bias else None
        self._await_first_forward()

    def initialize_parameters(self, input):  # noqa: A002
        if not self.has_uninitialized_params():  # loaded by load_state_dict
            self.in_features = self.weight.shape[1]
            return
        if input.ndim == 0:
            raise RuntimeError("LazyLinear: expected an input of shape (..., in_features), got a 0-d tensor")
        self.in_features = input.shape[-1]
        self._materialize({"weight": (self.out_features, self.in_features), "bias": (self.out_features,)})
        init.default_init_(self.weight, self.bias)


class LazyConv2d(LazyModuleMixin, Conv2d):
    """A ``Conv2d`` whose ``in_channels`` is dimension -3 of its first input ((N, C, H, W) or (C, H, W))."""

    cls_to_become = Conv2d

    def __init__(self, out_channels, kernel_size, stride=1, padding=0, dilation=1, groups=1, bias=True):
        Module.__init__(self)  # not Conv2d.__init__, which would draw a weight
        self.in_channels = 0
        self._set_arguments(out_channels, kernel_size, stride, padding, dilation, groups, "LazyConv2d")
        self.weight = UninitializedParameter()
        self.bias = UninitializedParameter() if bias else None
        self._await_first_forward()

    def initialize_parameters(self, input):  # noqa: A002
        if not self.has_uninitialized_params():  # loaded by load_state_dict
            self.in_channels = self.weight.shape[1] * self.groups
            return
        if input.ndim not in (3, 4):
            raise RuntimeError(f"Expected 3D (unbatched) or 4D (batched) input to LazyConv2d, but got input of "
                               f"size: {tuple(input.shape)}")
        self.in_channels = self._checked_in_channels(input.shape[-3], "LazyConv2d")
        self._materialize({"weight": (self.out_channels, self.in_channels // self.groups, *self.kernel_size),
                           "bias": (self.out_channels,)})
        init.default_init_(self.weight, self.bias)


class _LazyBatchNorm(LazyModuleMixin, _BatchNormTorch):
    """A PyTorch-style BatchNorm whose ``num_features`` is dimension 1 of its first input."""

    def __init__(self, eps=1e-5, momentum=0.1, affine=True, track_running_stats=True, *, bias=True):
        super().__init__(1, eps, momentum, affine, track_running_stats, bias=bias)  # the checks (and no draws)
        self.num_features = 0
        for name in ("weight", "bias"):
            if self._parameters[name] is not None:
                setattr(self, name, UninitializedParameter())
        for name in ("running_mean", "running_var"):
            if self._buffers[name] is not None:
                setattr(self, name, UninitializedBuffer())
        self._await_first_forward()

    def initialize_parameters(self, input):  # noqa: A002
        name = type(self).__name__
        if input.ndim not in self.ndims:
            check_batch_norm_input(input, 0, self.ndims, name)
        if not self.has_uninitialized_params():  # loaded by load_state_dict, or nothing to infer
            loaded = [t for t in (self.weight, self.bias, self.running_mean) if t is not None]
            self.num_features = loaded[0].shape[0] if loaded else input.shape[1]
            return
        self.num_features = input.shape[1]
        self._materialize({key: (self.num_features,) for key in ("weight", "bias", "running_mean", "running_var")})
        self.reset_parameters()


class LazyBatchNorm1d(_LazyBatchNorm):
    """A ``BatchNorm1d`` whose ``num_features`` is taken at the first forward ((N, C) or (N, C, L) input)."""

    cls_to_become = BatchNorm1d
    ndims = BatchNorm1d.ndims


class LazyBatchNorm2d(_LazyBatchNorm):
    """A ``BatchNorm2d`` whose ``num_features`` is taken at the first forward ((N, C, H, W) input)."""

    cls_to_become = BatchNorm2d
    ndims = BatchNorm2d.ndims
