"""How many threads minigrad's CPU work uses: OpenBLAS is kept on one thread by default.

OpenBLAS's worker threads spin while they wait for work. On a machine whose
cores are busy with anything else, every GEMM then waits for a descheduled
spinning thread, and a LeNet-BN step measured here went from ~10,000 to
~4,500 examples/s with one other busy process, and far lower under more load.
The GEMMs of a small convnet are skinny and memory-bound: a second BLAS
thread gained nothing measurable on an idle 2-core machine (docs/performance.md).
So minigrad sets OpenBLAS to one thread at import; ``set_num_threads(n)``
(``torch.set_num_threads``'s name) or ``MINIGRAD_NUM_THREADS=n`` gives it more.
"""
import ctypes
import os
import re

_num_threads = None


def _openblas_setters():
    """The ``*_set_num_threads`` functions of the OpenBLAS libraries loaded in this process."""
    try:
        with open("/proc/self/maps") as f:
            paths = set(re.findall(r"(/\S*openblas\S*\.so\S*)", f.read()))
    except OSError:  # not Linux: leave BLAS as it is
        return []
    setters = []
    for path in paths:
        try:
            lib = ctypes.CDLL(path)
        except OSError:
            continue
        for name in ("scipy_openblas_set_num_threads64_", "openblas_set_num_threads64_",
                     "scipy_openblas_set_num_threads", "openblas_set_num_threads"):
            if hasattr(lib, name):
                setters.append(getattr(lib, name))
                break
    return setters


def set_num_threads(n):
    """Let BLAS (NumPy's OpenBLAS) use ``n`` threads."""
    global _num_threads
    n = int(n)
    if n < 1:
        raise ValueError(f"set_num_threads: need at least 1 thread, got {n}")
    for setter in _openblas_setters():
        setter(n)
    _num_threads = n


def get_num_threads():
    return _num_threads


set_num_threads(int(os.environ.get("MINIGRAD_NUM_THREADS", 0) or 1))
