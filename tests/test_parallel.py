"""minigrad.set_num_threads: BLAS threads under minigrad's control."""
import pytest

import minigrad
from minigrad import parallel


def test_blas_is_on_one_thread_by_default_and_settable():
    before = minigrad.get_num_threads()
    try:
        minigrad.set_num_threads(2)
        assert minigrad.get_num_threads() == 2
    finally:
        minigrad.set_num_threads(before)
    assert minigrad.get_num_threads() == before


def test_numpys_openblas_is_found_on_linux():
    import sys
    import numpy as np
    if not sys.platform.startswith("linux") or "openblas" not in str(np.show_config(mode="dicts")).lower():
        pytest.skip("NumPy here is not built with OpenBLAS on Linux")
    assert parallel._openblas_setters(), "NumPy's OpenBLAS was not found among the loaded libraries"


def test_set_num_threads_rejects_zero():
    with pytest.raises(ValueError, match="at least 1"):
        minigrad.set_num_threads(0)
