"""How many threads BLAS (NumPy's OpenBLAS) uses for minigrad's GEMMs: ``set_num_threads(n)``.

By default BLAS keeps its own setting, one thread per core: on an idle 2-core
machine two threads make a LeNet-BN step about 15% faster (the skinny conv
GEMMs gain, nothing else is threaded). But OpenBLAS's waiting threads spin, so
on a machine whose cores are busy with other work every GEMM waits for a
descheduled spinning thread: with one other busy process a step measured here
fell from ~10,000 to ~4,500 examples/s, and far lower under more load, while
one thread held ~10,000. On a shared or busy machine run with
``MINIGRAD_NUM_THREADS=1`` (or call ``minigrad.set_num_threads(1)``, the name
``torch.set_num_threads`` has). Measurements: docs/performance.md.
"""
import ctypes
import os
import re

_SETTERS = ("scipy_openblas_set_num_threads64_", "openblas_set_num_threads64_",
            "scipy_openblas_set_num_threads", "openblas_set_num_threads")
_GETTERS = ("scipy_openblas_get_num_threads64_", "openblas_get_num_threads64_",
            "scipy_openblas_get_num_threads", "openblas_get_num_threads")


def _openblas_functions(names):
    """The first of ``names`` found in each OpenBLAS library loaded in this process."""
    try:
        with open("/proc/self/maps") as f:
            paths = set(re.findall(r"(/\S*openblas\S*\.so\S*)", f.read()))
    except OSError:  # not Linux: BLAS is left as it is
        return []
    found = []
    for path in sorted(paths):
        try:
            lib = ctypes.CDLL(path)
        except OSError:
            continue
        name = next((n for n in names if hasattr(lib, n)), None)
        if name is not None:
            found.append(getattr(lib, name))
    return found


def set_num_threads(n):
    """Let BLAS use ``n`` threads."""
    n = int(n)
    if n < 1:
        raise ValueError(f"set_num_threads: need at least 1 thread, got {n}")
    for setter in _openblas_functions(_SETTERS):
        setter(n)


def get_num_threads():
    """BLAS's thread count (the CPU count when no OpenBLAS is found)."""
    getters = _openblas_functions(_GETTERS)
    return int(getters[0]()) if getters else (os.cpu_count() or 1)


if os.environ.get("MINIGRAD_NUM_THREADS"):
    set_num_threads(os.environ["MINIGRAD_NUM_THREADS"])
