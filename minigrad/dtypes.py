"""dtypes: the constants, their resolution from names, and PyTorch's promotion of two dtypes (what the core and
the ops share)."""
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
