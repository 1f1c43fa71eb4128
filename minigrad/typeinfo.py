"""``minigrad.finfo`` and ``minigrad.iinfo``: the numerical limits of a dtype, as ``torch.finfo``/``torch.iinfo``
(Python numbers, from NumPy's ``finfo``/``iinfo``)."""
import numpy as np

from minigrad.dtypes import float32


class finfo:  # noqa: N801 (PyTorch's name)
    """Limits of a floating-point dtype (default float32): ``bits``, ``eps`` (1.0's gap to the next float),
    ``max``, ``min`` (= -max), ``tiny`` = ``smallest_normal``, ``resolution`` (10^-precision), ``dtype``."""

    def __init__(self, type=float32):  # noqa: A002 (PyTorch's argument name)
        dtype = np.dtype(type)
        if dtype.kind != "f":
            raise TypeError(f"minigrad.finfo() requires a floating point input type, got {dtype}; use "
                            "minigrad.iinfo for integers")
        info = np.finfo(dtype)
        self.bits, self.dtype = int(info.bits), str(dtype)
        self.eps, self.max, self.min = float(info.eps), float(info.max), float(info.min)
        self.tiny = self.smallest_normal = float(info.smallest_normal)
        self.resolution = 10.0 ** -int(info.precision)

    def __repr__(self):
        return (f"finfo(resolution={self.resolution:g}, min={self.min:g}, max={self.max:g}, eps={self.eps:g}, "
                f"smallest_normal={self.smallest_normal:g}, tiny={self.tiny:g}, dtype={self.dtype})")


class iinfo:  # noqa: N801
    """Limits of an integer dtype: ``bits``, ``max``, ``min``, ``dtype`` (bool is refused, as PyTorch)."""

    def __init__(self, type):  # noqa: A002
        dtype = np.dtype(type)
        if dtype.kind not in "iu":
            raise TypeError(f"minigrad.iinfo() requires an integer input type, got {dtype}; use minigrad.finfo "
                            "for floating point")
        info = np.iinfo(dtype)
        self.bits, self.max, self.min, self.dtype = int(info.bits), int(info.max), int(info.min), str(dtype)

    def __repr__(self):
        return f"iinfo(min={self.min:g}, max={self.max:g}, dtype={self.dtype})"
