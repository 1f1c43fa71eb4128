"""``minigrad.utils``: ``minigrad.utils.data``, shaped like ``torch.utils.data``."""
from minigrad.utils import data

__all__ = ["data"]


def __getattr__(name):
    raise AttributeError(f"module 'minigrad.utils' has no attribute {name!r}: minigrad does not implement "
                         f"torch.utils.{name} (docs/pytorch.md lists what it supports)")
