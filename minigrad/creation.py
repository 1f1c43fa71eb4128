"""Tensor factories with PyTorch's names: zeros, ones, full, arange, rand, randn, and *_like."""
import numpy as np

from minigrad import random
from minigrad.core import Tensor, _resolve_dtype, float32


def _shape(size):
    return tuple(size[0]) if len(size) == 1 and isinstance(size[0], (tuple, list)) else tuple(size)


def _make(array, dtype, requires_grad, device):
    return Tensor(array.astype(_resolve_dtype(dtype) or float32, copy=False), requires_grad=requires_grad, device=device)


def zeros(*size, dtype=None, requires_grad=False, device=None):
    return _make(np.zeros(_shape(size)), dtype, requires_grad, device)


def empty(*size, dtype=None, requires_grad=False, device=None):
    """Uninitialised values (zeros here), to be filled by an initialiser."""
    return zeros(*size, dtype=dtype, requires_grad=requires_grad, device=device)


def ones(*size, dtype=None, requires_grad=False, device=None):
    return _make(np.ones(_shape(size)), dtype, requires_grad, device)


def full(size, fill_value, dtype=None, requires_grad=False, device=None):
    return _make(np.full(_shape((size,)), fill_value), dtype, requires_grad, device)


def rand(*size, dtype=None, requires_grad=False, device=None):
    """Uniform on [0, 1)."""
    return _make(random.default_generator().random(_shape(size)), dtype, requires_grad, device)


def randn(*size, dtype=None, requires_grad=False, device=None):
    """Standard normal."""
    return _make(random.default_generator().standard_normal(_shape(size)), dtype, requires_grad, device)


def arange(start, end=None, step=1, dtype=None, device=None):
    values = np.arange(start, end, step) if end is not None else np.arange(start)
    return Tensor(values if dtype is None else values.astype(_resolve_dtype(dtype)), device=device)


def zeros_like(t, dtype=None, requires_grad=False):
    return zeros(t.shape, dtype=dtype or t.dtype, requires_grad=requires_grad, device=t.device)


def ones_like(t, dtype=None, requires_grad=False):
    return ones(t.shape, dtype=dtype or t.dtype, requires_grad=requires_grad, device=t.device)
