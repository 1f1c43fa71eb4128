"""``minigrad.utils``: ``minigrad.utils.data``, shaped like ``torch.utils.data``."""
from minigrad.checks import missing_names
from minigrad.utils import data

__all__ = ["data"]

__getattr__ = missing_names("minigrad.utils", "torch.utils")  # a PyTorch name minigrad lacks: say so
