"""minigrad.set_num_threads: BLAS threads under minigrad's control."""
import sys

import numpy as np
import pytest

import minigrad
from minigrad import threads


def test_set_and_get_num_threads():
    before = minigrad.get_num_threads()
    try:
        minigrad.set_num_threads(1)
        assert minigrad.get_num_threads() == 1
        minigrad.set_num_threads(2)
        assert minigrad.get_num_threads() == (2 if threads._openblas_functions(threads._GETTERS) else before)
    finally:
        minigrad.set_num_threads(before)
    assert minigrad.get_num_threads() == before


def test_numpys_openblas_is_found_on_linux():
    if not sys.platform.startswith("linux") or "openblas" not in str(np.show_config(mode="dicts")).lower():
        pytest.skip("NumPy here is not built with OpenBLAS on Linux")
    assert threads._openblas_functions(threads._SETTERS), "NumPy's OpenBLAS was not found among the loaded libraries"


def test_set_num_threads_rejects_zero():
    with pytest.raises(ValueError, match="at least 1"):
        minigrad.set_num_threads(0)
