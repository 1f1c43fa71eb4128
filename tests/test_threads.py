"""minigrad.set_num_threads: BLAS threads under minigrad's control, checked through OpenBLAS's own getter."""
import ctypes
import glob
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import minigrad

ROOT = Path(__file__).resolve().parents[1]


def _numpys_openblas_getter():
    """openblas_get_num_threads of the OpenBLAS bundled with NumPy, found here independently of minigrad/threads.py
    (from NumPy's own library folder, not from /proc/self/maps); None where NumPy has no bundled OpenBLAS."""
    libs = sorted(glob.glob(os.path.join(os.path.dirname(np.__file__), os.pardir, "numpy.libs", "*openblas*")))
    for path in libs:
        lib = ctypes.CDLL(path)  # already loaded by NumPy: the same library
        for name in ("scipy_openblas_get_num_threads64_", "openblas_get_num_threads64_", "openblas_get_num_threads"):
            if hasattr(lib, name):
                return getattr(lib, name)
    return None


requires_openblas = pytest.mark.skipif(_numpys_openblas_getter() is None,
                                       reason="NumPy here has no bundled OpenBLAS (numpy.libs/*openblas*)")


@requires_openblas
def test_set_num_threads_sets_openblas_threads():
    getter = _numpys_openblas_getter()
    before = minigrad.get_num_threads()
    try:
        for n in (2, 1, 3):
            minigrad.set_num_threads(n)
            assert getter() == n
            assert minigrad.get_num_threads() == n
    finally:
        minigrad.set_num_threads(before)
    assert minigrad.get_num_threads() == before == getter()


@requires_openblas
@pytest.mark.timeout(60)
@pytest.mark.parametrize("n", ["1", "2"])
def test_minigrad_num_threads_is_read_at_import(n):
    """README: MINIGRAD_NUM_THREADS=n sets BLAS's thread count when minigrad is imported."""
    code = "import minigrad; print(minigrad.get_num_threads())"
    env = dict(os.environ, MINIGRAD_NUM_THREADS=n, OPENBLAS_NUM_THREADS="3")  # minigrad's variable wins
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=50)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == n


def test_numpys_openblas_is_found_on_linux():
    if not sys.platform.startswith("linux") or "openblas" not in str(np.show_config(mode="dicts")).lower():
        pytest.skip("NumPy here is not built with OpenBLAS on Linux")
    from minigrad import threads
    assert threads._openblas_functions(threads._SETTERS), "NumPy's OpenBLAS was not found among the loaded libraries"


def test_set_num_threads_rejects_zero():
    with pytest.raises(ValueError, match="at least 1"):
        minigrad.set_num_threads(0)
