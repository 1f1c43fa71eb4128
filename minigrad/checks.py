"""Argument checks shared by the constructors, optimisers and ops: one clear error, naming the argument and its value.

``check_int``/``check_real`` run once, when a layer or optimiser is built; ``wrap_dim`` checks an op's ``dim``;
``missing_names`` gives each package face the same answer for a PyTorch name minigrad lacks.
"""
import builtins
import math
import numbers

import numpy as np


def check_int(name, value, minimum, owner):
    """``value`` as an int >= ``minimum``; TypeError when it is not an int (bool and float included), else
    ValueError."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{owner}: {name} must be an int, got {type(value).__name__} {value!r}")
    if value < minimum:
        raise ValueError(f"{owner}: {name} must be an int >= {minimum}, got {value}")
    return int(value)


def check_real(name, value, low=0.0, high=math.inf, low_open=False, high_open=True, message=None):
    """``value`` as a float in the interval from ``low`` to ``high`` (NaN never is).

    TypeError when it is not a real number; ValueError otherwise, starting with ``message``
    (default ``invalid <name>``), then the value and the interval.
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {type(value).__name__} {value!r}")
    above = low < value if low_open else low <= value
    below = value < high if high_open else value <= high
    if not (above and below):
        interval = f"{'(' if low_open else '['}{low:g}, {high:g}{')' if high_open else ']'}"
        raise ValueError(f"{message or f'invalid {name}'}: {value} ({name} must be in {interval})")
    return float(value)


def wrap_dim(d, ndim, name):
    """``d`` as a dimension in [0, ndim) (negative counts from the end; a 0-d tensor takes 0 and -1), as PyTorch."""
    if isinstance(d, bool) or not isinstance(d, (int, np.integer)):
        raise TypeError(f"{name}(): dim must be an int, got {type(d).__name__} {d!r}")
    bound = builtins.max(ndim, 1)
    if not -bound <= d < bound:
        raise IndexError(f"{name}(): dimension out of range (expected to be in range of [{-bound}, {bound - 1}], "
                         f"but got {d})")
    return int(d) % bound


def missing_names(module, torch_module):
    """A module-level ``__getattr__`` (PEP 562) for ``module``, the minigrad counterpart of ``torch_module``: it is
    reached only for a name the module lacks, and says that minigrad does not implement PyTorch's one."""
    def __getattr__(name):  # noqa: N807 (the module-level hook of PEP 562)
        if name.startswith("_"):  # private and dunder names (tools probe __path__, __wrapped__, ...): the plain error
            raise AttributeError(f"module {module!r} has no attribute {name!r}")
        raise AttributeError(f"module {module!r} has no attribute {name!r}: minigrad does not implement "
                             f"{torch_module}.{name} (docs/pytorch.md lists what it supports)")
    return __getattr__

