"""The random number generator behind initialisation, shuffling and the random tensor factories.

Numbers are drawn on the CPU with NumPy and moved to the requested device, so a
seed gives the same values on every device.
"""
import numpy as np

_generator = np.random.default_rng()


def manual_seed(seed):
    """Seed minigrad's generator (``torch.manual_seed``)."""
    global _generator
    _generator = np.random.default_rng(seed)
    return _generator


def default_generator():
    """The generator minigrad draws from (a ``numpy.random.Generator``)."""
    return _generator


def get_rng_state():
    """The generator's state, a JSON-serialisable dict (for checkpoints)."""
    return _generator.bit_generator.state


def set_rng_state(state):
    """Restore a state returned by ``get_rng_state``."""
    _generator.bit_generator.state = state
