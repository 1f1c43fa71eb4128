"""Tensor factories with PyTorch's names and arguments.

Sizes are given as varargs (``zeros(2, 3)``), as one sequence (``zeros((2, 3))``)
or as ``size=``; every factory takes ``dtype=``, ``device=`` and ``requires_grad=``.
The default dtype is float32 (integers for ``arange`` of integers and ``full`` of an
int, as PyTorch infers them).
"""
import math
import numbers

import numpy as np

from minigrad import backend, random
from minigrad.core import Tensor, tensor
from minigrad.dtypes import checked_scalar, float32, int64, resolve_dtype



def _size(sizes, size, name):
    """The shape from ``sizes`` (varargs or one sequence) or ``size=``; TypeError/RuntimeError as PyTorch."""
    if size is not None:
        if sizes:
            raise TypeError(f"{name}() got multiple values for argument 'size'")
        sizes = (size,)
    size = sizes
    if not size:
        raise TypeError(f"{name}() missing 1 required positional argument: 'size'")
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = tuple(size[0])
    for n in size:
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)):
            raise TypeError(f"{name}(): size must be a tuple of ints, got {type(n).__name__} {n!r} in {size}")
        if n < 0:
            raise RuntimeError(f"{name}(): dimension sizes must be non-negative, got {tuple(size)}")
    return tuple(int(n) for n in size)


def _dtype(dtype, default, name, floating=False):
    dtype = resolve_dtype(dtype) or np.dtype(default)
    if floating and dtype.kind != "f":
        raise TypeError(f"{name}(): dtype must be a floating-point dtype, got {dtype}")
    return dtype


def _finish(array, requires_grad, device):
    """A tensor of the NumPy ``array`` on ``device`` (requiring grad if asked)."""
    return Tensor(array if device is None else backend.to_device(array, device), requires_grad=requires_grad)


def randint(*args, size=None, dtype=None, device=None, requires_grad=False):
    """Integers uniform in [low, high): ``randint(high, size)`` or ``randint(low, high, size)``; int64 by default."""
    if size is None and args and isinstance(args[-1], (tuple, list)):
        args, size = args[:-1], args[-1]
    if size is None or len(args) not in (1, 2):
        raise TypeError("randint() takes (high, size) or (low, high, size)")
    low, high = (0, args[0]) if len(args) == 1 else args
    if high <= low:
        raise RuntimeError(f"randint(): expected low < high, got low={low}, high={high}")
    dtype = _dtype(dtype, int64, "randint")
    values = random.default_generator().integers(low, high, _size((), size, "randint"))
    return _finish(values.astype(dtype, copy=False), requires_grad, device)


def normal(mean, std, size=None, *, dtype=None, device=None, requires_grad=False):
    """Normal values of mean ``mean`` and standard deviation ``std``, as ``torch.normal``: numbers with a
    ``size``, or tensors (broadcast together; the result has their shape and dtype, and no gradient)."""
    tensors = [t for t in (mean, std) if isinstance(t, Tensor)]
    if tensors:
        arrays = [t.array if isinstance(t, Tensor) else t for t in (mean, std)]
        shape = np.broadcast_shapes(*(np.shape(a) for a in arrays))
        dtype = _dtype(dtype, tensors[0].dtype, "normal", floating=True)
        noise = backend.to_device(random.default_generator().standard_normal(shape), tensors[0].device)
        return Tensor((arrays[0] + arrays[1] * noise).astype(dtype, copy=False), requires_grad=requires_grad)
    if size is None:
        raise TypeError("normal(): with numbers for mean and std, pass size=")
    if std < 0:
        raise RuntimeError(f"normal(): std must be >= 0, got {std}")
    dtype = _dtype(dtype, float32, "normal", floating=True)
    values = mean + std * random.default_generator().standard_normal(_size((), size, "normal"))
    return _finish(values.astype(dtype, copy=False), requires_grad, device)


def _number(x, name, what):
    x = x.item() if isinstance(x, Tensor) else x
    if isinstance(x, bool) or not isinstance(x, (int, float, np.integer, np.floating)):
        raise TypeError(f"{name}(): {what} must be a number, got {type(x).__name__} {x!r}")
    return x


def arange(start=0, end=None, step=1, *, dtype=None, device=None, requires_grad=False):
    """start, start + step, ... below ``end`` (``arange(end)`` counts from 0); int64 for integer arguments,
    float32 when any is a float, as ``torch.arange``."""
    if end is None:
        start, end = 0, start
    start, end, step = (_number(v, "arange", k) for v, k in ((start, "start"), (end, "end"), (step, "step")))
    if not all(math.isfinite(v) for v in (start, end)):  # NaN or an infinity: no length (PyTorch's message)
        raise RuntimeError(f"arange(): unsupported range: {start} -> {end}")
    if step == 0 or math.isnan(step):  # (PyTorch says the same of a NaN step)
        raise RuntimeError("arange(): step must be nonzero")
    if (end - start) * step < 0:
        raise RuntimeError(f"arange(): upper bound {end} and lower bound {start} are inconsistent with step sign "
                           f"{step}")
    integral = all(isinstance(v, (int, np.integer)) for v in (start, end, step))
    dtype = _dtype(dtype, int64 if integral else float32, "arange")
    return _finish(np.arange(start, end, step).astype(dtype, copy=False), requires_grad, device)


def linspace(start, end, steps, *, dtype=None, device=None, requires_grad=False):
    """``steps`` evenly spaced values from ``start`` to ``end`` inclusive, as ``torch.linspace``."""
    start, end = _number(start, "linspace", "start"), _number(end, "linspace", "end")
    if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or steps < 0:
        raise (TypeError if not isinstance(steps, (int, np.integer)) else RuntimeError)(
            f"linspace(): steps must be a non-negative int, got {steps!r}")
    dtype = _dtype(dtype, float32, "linspace")
    return _finish(np.linspace(start, end, steps).astype(dtype), requires_grad, device)


def eye(n, m=None, *, dtype=None, device=None, requires_grad=False):
    """The n x m identity matrix (m = n by default)."""
    _size((n,) if m is None else (n, m), None, "eye")  # ints >= 0, as PyTorch
    return _finish(np.eye(n, n if m is None else m, dtype=_dtype(dtype, float32, "eye")), requires_grad, device)


def from_numpy(array):
    """A tensor sharing the memory of the NumPy ``array`` (its dtype kept)."""
    if not isinstance(array, np.ndarray):
        raise TypeError(f"from_numpy(): expected a numpy.ndarray, got {type(array).__name__}")
    return Tensor(array)


def as_tensor(data, dtype=None, device=None):
    """``data`` as a tensor, sharing its memory where no conversion is needed (a tensor is returned as is)."""
    if isinstance(data, Tensor) and dtype is None and device is None:
        return data
    if not isinstance(data, (Tensor, np.ndarray, np.generic)) and backend.get_array_module(data) is np:
        return tensor(data, dtype=dtype, device=device)  # Python data: PyTorch's dtype inference, a new array
    return Tensor(data, dtype=dtype, device=device)


def zeros(*sizes, size=None, dtype=None, device=None, requires_grad=False):
    """A tensor of zeros."""
    shape = _size(sizes, size, "zeros")
    return _finish(np.zeros(shape, _dtype(dtype, float32, "zeros")), requires_grad, device)


def ones(*sizes, size=None, dtype=None, device=None, requires_grad=False):
    """A tensor of ones."""
    shape = _size(sizes, size, "ones")
    return _finish(np.ones(shape, _dtype(dtype, float32, "ones")), requires_grad, device)


def empty(*sizes, size=None, dtype=None, device=None, requires_grad=False):
    """An uninitialised tensor (zeros here), to be filled by an initialiser."""
    shape = _size(sizes, size, "empty")
    return _finish(np.zeros(shape, _dtype(dtype, float32, "empty")), requires_grad, device)


def _fill_dtype(fill_value):
    """The dtype PyTorch infers from a fill value: bool, int64 for an int, float32 for a float."""
    if isinstance(fill_value, (bool, np.bool_)):
        return np.dtype(np.bool_)
    return np.dtype(int64 if isinstance(fill_value, (int, np.integer)) else float32)


def full(size, fill_value, *, dtype=None, device=None, requires_grad=False):
    """A tensor of shape ``size`` (a sequence) filled with ``fill_value``."""
    if not isinstance(size, (tuple, list)):
        raise TypeError(f"full(): size must be a tuple of ints, got {type(size).__name__} {size!r}")
    fill_value = fill_value.item() if isinstance(fill_value, Tensor) else fill_value
    if not isinstance(fill_value, (numbers.Number, np.bool_)):
        raise TypeError(f"full(): fill_value must be a number, got {type(fill_value).__name__} {fill_value!r}")
    dtype = _dtype(dtype, _fill_dtype(fill_value), "full")
    fill_value = checked_scalar(fill_value, dtype)
    return _finish(np.full(_size((size,), None, "full"), fill_value, dtype), requires_grad, device)


def rand(*sizes, size=None, dtype=None, device=None, requires_grad=False):
    """Uniform on [0, 1), from minigrad's seeded generator."""
    shape = _size(sizes, size, "rand")
    dtype = _dtype(dtype, float32, "rand", floating=True)
    return _finish(random.default_generator().random(shape).astype(dtype, copy=False), requires_grad, device)


def randn(*sizes, size=None, dtype=None, device=None, requires_grad=False):
    """Standard normal, from minigrad's seeded generator."""
    shape = _size(sizes, size, "randn")
    dtype = _dtype(dtype, float32, "randn", floating=True)
    return _finish(random.default_generator().standard_normal(shape).astype(dtype, copy=False), requires_grad, device)


# *_like: the shape (and by default the dtype and device) of another tensor
def _like(factory):
    """``<factory>_like(t, *args, dtype=None, device=None, requires_grad=False)``: ``factory`` with ``t``'s shape
    and, unless given, its dtype and device (``full_like`` takes the fill value in ``args``)."""
    def like(t, *args, dtype=None, device=None, requires_grad=False):
        return factory(t.shape, *args, dtype=resolve_dtype(dtype) or t.dtype,
                       device=t.device if device is None else device, requires_grad=requires_grad)
    like.__name__ = like.__qualname__ = f"{factory.__name__}_like"
    like.__doc__ = f"``{factory.__name__}`` with the shape (and by default the dtype and device) of a tensor."
    return like


zeros_like, ones_like, empty_like, full_like, rand_like, randn_like = (
    _like(f) for f in (zeros, ones, empty, full, rand, randn))


class CreationMethods:
    """Tensor's ``new_*`` factories: methods whose arguments differ from the functions', installed by
    ``minigrad.ops.install_tensor_methods``."""

    def new_zeros(self, *size, dtype=None, device=None, requires_grad=False):
        return zeros(*size, dtype=dtype or self.dtype, device=device or self.device,
                                 requires_grad=requires_grad)

    def new_ones(self, *size, dtype=None, device=None, requires_grad=False):
        return ones(*size, dtype=dtype or self.dtype, device=device or self.device,
                                requires_grad=requires_grad)

    def new_full(self, size, fill_value, *, dtype=None, device=None, requires_grad=False):
        return full(size, fill_value, dtype=dtype or self.dtype, device=device or self.device,
                                requires_grad=requires_grad)
