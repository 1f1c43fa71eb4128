"""Shared test setup: the ``gpu`` marker, one thread, seeding/grad-mode hygiene, the real data's folder."""
import numpy as np
import pytest

import minigrad
from minigrad import backend
from real_data import MISSING, REAL_DATA

# One thread: the tests' work is small, and on a machine busy with other work OpenBLAS's
# spinning threads can make each of them many times slower (minigrad/threads.py).
minigrad.set_num_threads(1)


def pytest_collection_modifyitems(config, items):
    """Skip tests marked ``@pytest.mark.gpu`` where CuPy or a CUDA device is missing."""
    if minigrad.cuda.is_available():
        return
    skip = pytest.mark.skip(reason=f"CuPy/CUDA not available: {backend.cuda_unavailable_reason()}")
    for item in items:
        if item.get_closest_marker("gpu") is not None:  # not item.keywords: that also holds ids like [gpu]
            item.add_marker(skip)


@pytest.fixture
def rng():
    """A fresh, seeded NumPy generator for test inputs (minigrad's own generator is seeded too)."""
    minigrad.manual_seed(0)
    return np.random.default_rng(0)


@pytest.fixture(autouse=True)
def _restore_grad_mode():
    """A test that switches grad mode off and fails half-way must not leak that into the next test."""
    yield
    minigrad.set_grad_enabled(True)


@pytest.fixture
def real_data(monkeypatch):
    """The Fashion-MNIST folder (``real_data.REAL_DATA``), exported as MINIGRAD_DATA for the code under test; the
    test is skipped, with the reason, where the folder is missing."""
    if not REAL_DATA.is_dir():
        pytest.skip(MISSING)
    monkeypatch.setenv("MINIGRAD_DATA", str(REAL_DATA))
    return REAL_DATA
