"""Casts and copies (Cast, ToDevice, Clone, type()), and PyTorch's dtype promotion of op operands
(result_type, the casts it implies).
"""
import numpy as np

from minigrad import backend
from minigrad.backend import Device, get_array_module
from minigrad.core import Function, Tensor, parse_to_args
from minigrad.dtypes import CATEGORY, bool_, float16, float32, float64, int32, int64, promote_types, wrapped_int



def _number_dtype(x):
    if isinstance(x, (bool, np.bool_)):
        return np.dtype(np.bool_)
    if isinstance(x, (int, np.integer)):
        return np.dtype(np.int64)
    if isinstance(x, (float, np.floating)):
        return np.dtype(np.float32)  # the default float type, as a Python float is in PyTorch
    raise TypeError(f"expected a Tensor or a Python number, got {type(x).__name__}")


def result_type(*operands):
    """The dtype of an elementwise op on ``operands`` (tensors and Python numbers), by PyTorch's rule.

    Tensors with dimensions decide, then 0-d tensors, then numbers; an operand
    of a higher category (bool < integer < floating) than the result so far
    raises it to that category: ``int64 tensor + 2.5`` is float32,
    ``float32 tensor + float64 0-d tensor`` float32, ``int32 tensor + 1`` int32.
    """
    groups = [None, None, None]  # tensors with dimensions, 0-d tensors, Python numbers
    for x in operands:
        dtype, group = (x.dtype, 0 if x.ndim else 1) if isinstance(x, Tensor) else (_number_dtype(x), 2)
        groups[group] = dtype if groups[group] is None else promote_types(groups[group], dtype)
    result = None
    for dtype in groups:
        if dtype is not None:
            higher = result is None or CATEGORY[dtype.kind] > CATEGORY[result.kind]
            result = dtype if result is None else promote_types(result, dtype) if higher else result
    return result


class Cast(Function):
    """y = x as another dtype;  gx = gy cast back to x's dtype."""

    saves_inputs = saves_output = False

    def __init__(self, dtype):
        self.dtype = dtype

    def forward(self, x):
        self.in_dtype = x.dtype
        return x.astype(self.dtype)

    def backward(self, gy):
        return gy.astype(self.in_dtype)

    def backward_graph(self, gy):
        return Cast(self.in_dtype)(gy)


def _as_dtype(x, dtype, xp):
    """``x`` (a tensor or a number) as a tensor of ``dtype`` (a differentiable cast for tensors)."""
    if isinstance(x, Tensor):
        return x if x.dtype == dtype else Cast(dtype)(x)
    try:
        return Tensor._wrap(xp.asarray(x, dtype=dtype))
    except OverflowError:  # an integer beyond an integer dtype: wrapped, as PyTorch (uint8 + 300 adds 44)
        return Tensor._wrap(xp.asarray(wrapped_int(x, dtype), dtype=dtype))


def _promoted(operands, dtype=None):
    """The operands as tensors of one dtype: ``dtype`` or PyTorch's ``result_type``."""
    dtype = result_type(*operands) if dtype is None else dtype
    ref = next((x for x in operands if isinstance(x, Tensor)), None)
    xp = np if ref is None else get_array_module(ref.array)
    return tuple(_as_dtype(x, dtype, xp) for x in operands)


class Clone(Function):
    """y = a copy of x;  gx = gy."""

    saves_inputs = saves_output = False

    def forward(self, x):
        return x.copy()

    def backward(self, gy):
        return gy

    def backward_graph(self, gy):
        return gy


def clone(x):
    """A copy of ``x`` that gradients flow through, as ``torch.clone``."""
    return Clone()(x)


def contiguous(x):
    """``x`` itself when its memory is C-contiguous, else a contiguous copy (differentiable)."""
    return x if x.array.flags.c_contiguous else clone(x)


_TYPE_NAMES = {"float32": "Float", "float64": "Double", "float16": "Half", "int64": "Long", "int32": "Int",
               "int16": "Short", "int8": "Char", "uint8": "Byte", "bool": "Bool"}


_TYPE_DTYPES = {f"torch.{name}Tensor": dtype for dtype, name in _TYPE_NAMES.items()}


def type_of(x, dtype=None):
    """``Tensor.type``: without an argument PyTorch's name of the tensor type ('torch.FloatTensor',
    'torch.cuda.FloatTensor'), so that comparisons written for PyTorch hold; with a dtype, ``x.to(dtype)``."""
    if dtype is None:
        where = "torch.cuda." if x.device.type == "cuda" else "torch."
        return f"{where}{_TYPE_NAMES.get(x.dtype.name, x.dtype.name)}Tensor"
    if isinstance(dtype, str) and dtype.endswith("Tensor"):
        if dtype not in _TYPE_DTYPES:
            raise TypeError(f"type({dtype!r}): not a CPU tensor type minigrad knows; pass a dtype")
        dtype = _TYPE_DTYPES[dtype]
    return x.to(dtype)


#: functions that are also Tensor methods with the same arguments (``x.name(...)`` is ``name(x, ...)``)
TENSOR_FUNCTIONS = ("clone", "contiguous")


class ToDevice(Function):
    """y = x copied to another device;  gx = gy copied back."""

    saves_inputs = saves_output = False

    def __init__(self, device):
        self.device = device

    def forward(self, x):
        self.in_device = backend.device_of(x)
        return backend.to_device(x, self.device)

    def backward(self, gy):
        return backend.to_device(gy, self.in_device)

    def backward_graph(self, gy):
        return ToDevice(self.in_device)(gy)


class ConversionMethods:
    """Tensor's conversions (to, float, double, ..., type): methods whose arguments differ from the functions',
    installed by ``minigrad.ops.install_tensor_methods``."""

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
            out = Cast(dtype)(out) if dtype.kind == "f" else Tensor._wrap(out.array.astype(dtype))
        if device is not None and Device(device) != self.device:
            out = ToDevice(Device(device))(out)
        return clone(out) if copy and out is self else out

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

    def type(self, dtype=None): return type_of(self, dtype)
