"""sinh and cosh (``torch.sinh``, ``torch.cosh``), with hand-written backwards, and ``torch.meshgrid``."""
import warnings

import numpy as np

from minigrad import ops
from minigrad.backend import get_array_module
from minigrad.core import Function, Tensor


class Sinh(Function):
    """y = sinh(x);  gx = gy * cosh(x)."""

    saves_output = False

    def forward(self, x):
        self.x = x
        with np.errstate(over="ignore"):  # inf beyond the dtype's range, as PyTorch (no warning)
            return get_array_module(x).sinh(x)

    def backward(self, gy):
        with np.errstate(over="ignore"):
            return gy * get_array_module(gy).cosh(self.x)

    def backward_graph(self, gy):
        return gy * cosh(self.inputs[0])


class Cosh(Function):
    """y = cosh(x);  gx = gy * sinh(x)."""

    saves_output = False

    def forward(self, x):
        self.x = x
        with np.errstate(over="ignore"):
            return get_array_module(x).cosh(x)

    def backward(self, gy):
        with np.errstate(over="ignore"):
            return gy * get_array_module(gy).sinh(self.x)

    def backward_graph(self, gy):
        return gy * sinh(self.inputs[0])


def sinh(input):  # noqa: A002 (PyTorch's argument name)
    """The hyperbolic sine elementwise (integers computed as float32, as PyTorch)."""
    return Sinh()(ops._floating(ops._tensor_arg(input, "sinh")))


def cosh(input):  # noqa: A002
    """The hyperbolic cosine elementwise (integers computed as float32, as PyTorch)."""
    return Cosh()(ops._floating(ops._tensor_arg(input, "cosh")))


_warned_indexing = [False]  # PyTorch warns about a missing indexing= once per process


def meshgrid(*tensors, indexing=None):
    """Coordinate grids from 1-D tensors (0-D ones count as one element), as ``torch.meshgrid``: for inputs of
    sizes n1, ..., nk the k outputs have shape (n1, ..., nk) with ``indexing='ij'`` (the default, with PyTorch's
    warning once when it is not given) or (n2, n1, n3, ..., nk) with ``'xy'``; output i repeats input i along the
    other dimensions (a broadcast view, so the gradient sums over them)."""
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    if indexing is None:
        if not _warned_indexing[0]:
            _warned_indexing[0] = True
            warnings.warn("meshgrid: in an upcoming release, it will be required to pass the indexing argument "
                          "(as PyTorch warns); pass indexing='ij' (the default) or indexing='xy'", UserWarning,
                          stacklevel=2)
        indexing = "ij"
    if indexing not in ("ij", "xy"):
        raise RuntimeError(f'meshgrid: indexing must be one of "xy" or "ij", but received: {indexing}')
    if not tensors:
        raise RuntimeError("meshgrid expects a non-empty TensorList")
    for i, t in enumerate(tensors):
        if not isinstance(t, Tensor):
            raise TypeError(f"meshgrid: expected Tensor as element {i}, but got {type(t).__name__}")
        if t.ndim > 1:
            raise RuntimeError(f"meshgrid: expected 0D or 1D tensors, but element {i} has shape {tuple(t.shape)}")
        if t.dtype != tensors[0].dtype or t.device != tensors[0].device:
            raise RuntimeError(f"meshgrid expects all tensors to have the same dtype and device, got "
                               f"{tensors[0].dtype} on {tensors[0].device} and {t.dtype} on {t.device} (element {i})")
    sizes = [t.numel() for t in tensors]
    order = list(range(len(tensors)))  # the output dimension each input runs along
    if indexing == "xy" and len(tensors) > 1:
        order[0], order[1] = 1, 0
    shape = [0] * len(tensors)
    for i, n in enumerate(sizes):
        shape[order[i]] = n
    grids = []
    for i, t in enumerate(tensors):
        column = [1] * len(tensors)
        column[order[i]] = sizes[i]
        grids.append(ops.expand(ops.reshape(t, tuple(column)), tuple(shape)))
    return tuple(grids)
