"""dtypes: the constants, their resolution from names, and PyTorch's promotion of two dtypes (what the core and
the ops share)."""
import numbers

import numpy as np

float32 = np.dtype("float32")
float64 = np.dtype("float64")
float16 = np.dtype("float16")
int64 = np.dtype("int64")
int32 = np.dtype("int32")
uint8 = np.dtype("uint8")
bool_ = np.dtype("bool")


def resolve_dtype(dtype):
    """A NumPy dtype from a dtype, a type or a name such as 'float64'; None stays None."""
    if dtype is None or isinstance(dtype, np.dtype):
        return dtype
    try:
        return np.dtype(dtype)
    except TypeError:
        raise TypeError(f"unknown dtype {dtype!r}: use e.g. minigrad.float32, 'float64' or numpy.int64") from None


#: PyTorch's promotion categories: bool < integer < floating
CATEGORY = {"b": 0, "u": 1, "i": 1, "f": 2}


def promote_types(a, b):
    """PyTorch's ``promote_types``: the higher category wins (bool < integer < floating), else NumPy's promotion."""
    a, b = np.dtype(a), np.dtype(b)
    ca, cb = CATEGORY[a.kind], CATEGORY[b.kind]
    return (a if ca > cb else b) if ca != cb else np.promote_types(a, b)


def checked_scalar(value, dtype):
    """The Python number ``value`` as PyTorch converts it into the integer ``dtype`` (c10's ``overflows`` check):
    RuntimeError for NaN, an infinity or a value out of the dtype's range, except that an integer down to minus
    an unsigned dtype's maximum wraps (-1 is 255 in uint8); other dtypes and bools pass unchanged."""
    if dtype.kind not in "iu" or isinstance(value, (bool, np.bool_)):
        return value
    info = np.iinfo(dtype)
    if isinstance(value, numbers.Integral):
        if info.min <= value <= info.max:
            return value
        if dtype.kind == "u" and -info.max <= value < 0:
            return value + info.max + 1
    elif info.min <= value <= info.max:  # NaN fails both comparisons
        return value
    raise RuntimeError(f"value cannot be converted to type {dtype} without overflow (got {value!r}; {dtype} "
                       f"holds [{info.min}, {info.max}])")


def wrapped_int(value, dtype):
    """A Python integer outside the integer ``dtype``'s range wrapped into it (two's complement), as PyTorch casts
    the number of ``tensor + number``; OverflowError beyond 64 bits (PyTorch's too)."""
    if not -2 ** 63 <= value < 2 ** 64:
        raise OverflowError(f"int too big to convert: {value} does not fit 64 bits")
    bits = 8 * dtype.itemsize
    value %= 2 ** bits
    return value - 2 ** bits if dtype.kind == "i" and value >= 2 ** (bits - 1) else value
