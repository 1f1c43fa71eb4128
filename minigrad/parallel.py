"""CPU parallelism that minigrad controls itself: large NumPy ops split across a small thread pool.

NumPy's ufuncs and BLAS release the GIL, so the halves of a large op run on
two cores at once. minigrad splits the hot ops of the conv stack (im2col and
its GEMM, col2im, BatchNorm, sigmoid, pooling) over ``get_num_threads()``
threads, and keeps OpenBLAS itself on one thread: OpenBLAS's own workers spin
while they wait, which fights any other thread for the cores (on a busy
machine a step then takes many times longer). ``set_num_threads(n)`` changes
both, as ``torch.set_num_threads`` does.
"""
import concurrent.futures
import ctypes
import os
import re

import numpy as np

_pool = None
_num_threads = None
MIN_ELEMENTS = 1 << 16  # smaller ops are not worth a hand-off to another thread


def _openblas_setters():
    """The ``*_set_num_threads`` functions of the OpenBLAS libraries loaded in this process."""
    try:
        with open("/proc/self/maps") as f:
            paths = set(re.findall(r"(/\S*openblas\S*\.so\S*)", f.read()))
    except OSError:
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
    """Use ``n`` threads for minigrad's CPU ops (BLAS runs single-threaded inside each)."""
    global _pool, _num_threads
    n = int(n)
    if n < 1:
        raise ValueError(f"set_num_threads: need at least 1 thread, got {n}")
    for setter in _openblas_setters():
        setter(1)
    if _pool is not None:
        _pool.shutdown(wait=True)
    _pool = concurrent.futures.ThreadPoolExecutor(n - 1, thread_name_prefix="minigrad") if n > 1 else None
    _num_threads = n


def get_num_threads():
    if _num_threads is None:
        set_num_threads(int(os.environ.get("MINIGRAD_NUM_THREADS", 0)) or min(os.cpu_count() or 1, 4))
    return _num_threads


def chunks(total, parts):
    """``parts`` contiguous (start, stop) ranges covering range(total), as equal as can be."""
    bounds = [total * k // parts for k in range(parts + 1)]
    return [(a, b) for a, b in zip(bounds, bounds[1:]) if b > a]


def parallel_for(fn, total, elements=None, xp=np):
    """Call ``fn(start, stop)`` on chunks of range(total), one per thread, and wait for all.

    ``elements`` is the op's size: below ``MIN_ELEMENTS``, on one thread, or
    for GPU arrays (``xp`` not NumPy: the GPU runs them asynchronously anyway)
    it is one call. The calling thread runs the first chunk; exceptions propagate.
    """
    threads = get_num_threads()
    if threads == 1 or total < 2 or xp is not np or (elements is not None and elements < MIN_ELEMENTS):
        fn(0, total)
        return
    parts = chunks(total, min(threads, total))
    futures = [_pool.submit(fn, a, b) for a, b in parts[1:]]
    fn(*parts[0])
    for f in futures:
        f.result()


def elementwise(body, out, *inputs):
    """Run ``body(out, *inputs)`` split over the threads in memory-order chunks.

    Chunks are taken from 1-D views in memory order, so every array must share
    ``out``'s layout (equal strides, one contiguous block); otherwise ``body``
    runs once on the whole arrays.
    """
    arrays = (out,) + inputs
    flats = [a.ravel(order="K") for a in arrays]
    if any(a.strides != out.strides for a in inputs) or not all(
            np.may_share_memory(f, a) for f, a in zip(flats, arrays)):  # ravel copied: not one block
        body(out, *inputs)
        return
    parallel_for(lambda a, b: body(*(f[a:b] for f in flats)), out.size, out.size)


get_num_threads()  # at import: pin OpenBLAS to one thread before any GEMM runs (see above)
