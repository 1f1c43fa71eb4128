"""Flatten and Unflatten."""
from minigrad import ops
from minigrad.checks import check_int
from minigrad.nn.modules.module import Module


class Flatten(Module):
    """Dims ``start_dim`` to ``end_dim`` joined into one: (N, d1, d2, ...) -> (N, d1*d2*...) by default."""

    def __init__(self, start_dim=1, end_dim=-1):
        super().__init__()
        self.start_dim = check_int("start_dim", start_dim, -2 ** 63, "Flatten")
        self.end_dim = check_int("end_dim", end_dim, -2 ** 63, "Flatten")

    def forward(self, x):
        if not (-x.ndim <= self.start_dim < x.ndim and -x.ndim <= self.end_dim < x.ndim):
            raise IndexError(f"Flatten: start_dim={self.start_dim}, end_dim={self.end_dim} do not fit an input "
                             f"of shape {x.shape}")
        return ops.flatten(x, self.start_dim, self.end_dim)

    def extra_repr(self):
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"


class Unflatten(Module):
    """Dimension ``dim`` split into ``unflattened_size`` (one entry may be -1), as ``x.unflatten(dim, sizes)``."""

    def __init__(self, dim, unflattened_size):
        super().__init__()
        self.dim = check_int("dim", dim, -2 ** 63, "Unflatten")
        if not isinstance(unflattened_size, (tuple, list)):
            raise TypeError(f"Unflatten: unflattened_size must be a tuple or list of ints, got "
                            f"{type(unflattened_size).__name__} {unflattened_size!r}")
        self.unflattened_size = unflattened_size

    def forward(self, x):
        return ops.unflatten(x, self.dim, self.unflattened_size)

    def extra_repr(self):
        return f"dim={self.dim}, unflattened_size={self.unflattened_size}"
