"""The one place that chooses the array library: NumPy on the CPU, CuPy on a GPU.

Every other module asks ``xp = get_array_module(x)`` of its inputs and calls
``xp.<function>``, so the same op code runs on both libraries.
"""
import ctypes
import ctypes.util
import math
import os
import sys
import threading

import numpy as np

from minigrad import threads

_cupy = None          # the cupy module once imported
_cupy_error = None    # why it could not be imported or used


def load_cupy():
    """The cupy module, imported on first use (None without CuPy; ``cuda_unavailable_reason`` says why)."""
    global _cupy, _cupy_error
    if _cupy is None and _cupy_error is None:
        try:
            import cupy
            _cupy = cupy
        except Exception as exc:  # ImportError, or a broken CUDA install
            _cupy_error = f"CuPy could not be imported ({type(exc).__name__}: {exc})"
    return _cupy


def cuda_unavailable_reason():
    """None when a CUDA device can be used, else a sentence saying why not."""
    cupy = load_cupy()
    if cupy is None:
        return _cupy_error
    try:
        count = cupy.cuda.runtime.getDeviceCount()
    except Exception as exc:
        return f"CuPy found no usable CUDA driver ({type(exc).__name__}: {exc})"
    if count == 0:
        return "CuPy is installed but no CUDA device is present"
    return None


def cuda_is_available():
    return cuda_unavailable_reason() is None


class Device:
    """A device name in PyTorch's spelling: ``cpu``, ``cuda`` or ``cuda:N``."""

    __slots__ = ("type", "index")

    def __init__(self, spec="cpu"):
        if isinstance(spec, Device):
            self.type, self.index = spec.type, spec.index
            return
        if not isinstance(spec, str):
            raise TypeError(f"device must be a str such as 'cpu' or 'cuda:0', got {type(spec).__name__}")
        kind, _, index = spec.strip().lower().partition(":")
        if kind not in ("cpu", "cuda") or (index and not index.isdigit()) or (kind == "cpu" and index):
            raise ValueError(f"unknown device {spec!r}: expected 'cpu', 'cuda' or 'cuda:N'")
        self.type = kind
        self.index = int(index) if index else (0 if kind == "cuda" else None)

    def __str__(self):
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __repr__(self):
        return f"device(type={self.type!r}" + ("" if self.index is None else f", index={self.index}") + ")"

    def __eq__(self, other):
        if isinstance(other, str):
            try:
                other = Device(other)
            except (TypeError, ValueError):
                return False
        return isinstance(other, Device) and (self.type, self.index) == (other.type, other.index)

    def __hash__(self):
        return hash((self.type, self.index))


def check_cuda(device):
    """Raise a RuntimeError saying why ``device`` (a cuda Device) cannot be used."""
    reason = cuda_unavailable_reason()
    if reason is not None:
        raise RuntimeError(
            f"device {str(device)!r} was requested but CUDA is not available: {reason}. "
            "Install the GPU extra that matches your CUDA toolkit "
            "(pip install -e '.[cuda12]' or '.[cuda13]') on a machine with an NVIDIA GPU, "
            "or use device='cpu'.")
    count = _cupy.cuda.runtime.getDeviceCount()
    if device.index >= count:
        raise RuntimeError(f"device {str(device)!r} was requested but only {count} CUDA device(s) exist")


def keep_freed_memory():
    """Tell glibc's malloc to keep freed memory for reuse instead of returning it to the OS.

    A training step allocates the same multi-megabyte temporaries every time.
    By default glibc serves each with a fresh mmap and unmaps it on free, so
    every step pays page faults on memory it had a moment ago (about a third of
    a LeNet-BN step here). Raising the mmap and trim thresholds makes freed
    blocks stay in the heap; the threshold stops at 32 MiB, so mmap is also
    turned off (M_MMAP_MAX 0), for the larger arrays of ResNet and DenseNet
    (docs/performance.md). Done once at import on Linux with glibc; set
    MINIGRAD_KEEP_MALLOC=1 to leave the allocator alone. Returns True if applied.
    """
    if not sys.platform.startswith("linux") or os.environ.get("MINIGRAD_KEEP_MALLOC") == "1":
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):  # not glibc (e.g. musl)
        return False
    m_trim_threshold, m_mmap_threshold, m_mmap_max = -1, -3, -4
    return (bool(mallopt(m_mmap_threshold, 32 * 1024 * 1024)) and bool(mallopt(m_trim_threshold, 1 << 30))
            and bool(mallopt(m_mmap_max, 0)))


keep_freed_memory()

_scratch = threading.local()   # per thread: {(name, device): the bytes of that name's scratch buffer}


#: glibc before 2.39 copies runs of a few KiB and more with REP MOVSB, which AMD Zen 3 and 4 run up to 10x slower
#: when the destination lies 16 bytes past the source modulo the 4 KiB page (sourceware.org bug 30994; measured on
#: this project's machine in docs/performance.md). ``empty_apart`` and ``scratch(apart_from=)`` place a copy's
#: destination so that no run of it can.
PAGE = 4096


def _apart_offset(buffer, source, shape, dtype):
    """Bytes to skip at the start of ``buffer`` so that a C-contiguous ``shape`` array of ``dtype`` there, and every
    run of a copy between it and ``source`` (whose runs start at combinations of both arrays' outer strides), lie
    half the strides' common page granule g apart modulo the page: never 0 or 16 bytes when g >= 64."""
    itemsize = np.dtype(dtype).itemsize
    outer = [itemsize * math.prod(shape[k + 1:]) for k in range(len(shape) - 1)] + list(source.strides[:-1])
    granule = math.gcd(PAGE, *(abs(s) for s in outer if s))
    target = granule // 2 if granule >= 64 else PAGE // 2
    offset = (source.ctypes.data + target - buffer.ctypes.data) % PAGE
    return offset - offset % itemsize


def empty_apart(source, shape, dtype):
    """An uninitialised array of ``shape`` and ``dtype`` on ``source``'s device, to be filled by copies from the
    NumPy array ``source``: placed so that those copies avoid glibc's slow REP MOVSB case (``PAGE``)."""
    if not isinstance(source, np.ndarray):
        return get_array_module(source).empty(shape, dtype=dtype)
    nbytes = math.prod(shape) * np.dtype(dtype).itemsize
    buffer = np.empty(nbytes + PAGE, dtype=np.uint8)
    offset = _apart_offset(buffer, source, shape, dtype)
    return buffer[offset:offset + nbytes].view(dtype).reshape(shape)


def scratch(xp, name, shape, dtype, apart_from=None):
    """An uninitialised ``xp`` array of ``shape`` and ``dtype`` in memory kept for reuse between calls.

    The next call with the same ``name`` on this thread and device returns the same memory, so use the array
    before then and never hand it, or a view of it, to a caller or a graph node. The memory grows to the largest
    request and stays allocated: a step reuses it instead of asking the allocator for a large block each time.
    A NumPy array ``apart_from`` that the caller copies into it: placed as ``empty_apart`` places its arrays.
    """
    buffers = _scratch.__dict__.setdefault("buffers", {})
    key = (name, None if xp is np else xp.cuda.Device().id)
    nbytes = math.prod(shape) * np.dtype(dtype).itemsize
    slack = PAGE if xp is np else 0
    if key not in buffers or buffers[key].size < nbytes + slack:
        buffers.pop(key, None)  # freed before the larger one is allocated
        buffers[key] = xp.empty(nbytes + slack, dtype=np.uint8)
    offset = 0 if apart_from is None or xp is not np else _apart_offset(buffers[key], apart_from, shape, dtype)
    return buffers[key][offset:offset + nbytes].view(dtype).reshape(shape)


def get_array_module(x):
    """numpy or cupy, whichever holds ``x`` (an array, a Tensor, or anything else: numpy)."""
    data = getattr(x, "array", x) if not isinstance(x, np.ndarray) else x
    if _cupy is not None and isinstance(data, _cupy.ndarray):
        return _cupy
    return np


def device_of(array):
    """The Device that holds a raw array."""
    if _cupy is not None and isinstance(array, _cupy.ndarray):
        return Device(f"cuda:{array.device.id}")
    return Device("cpu")


def to_device(array, device):
    """Return ``array`` (numpy or cupy) on ``device``; no copy when it is already there."""
    device = Device(device)
    if device.type == "cpu":
        if _cupy is not None and isinstance(array, _cupy.ndarray):
            return _cupy.asnumpy(array)
        return np.asarray(array)
    check_cuda(device)
    with _cupy.cuda.Device(device.index):
        return _cupy.asarray(array)


def to_numpy(array):
    """A NumPy array with the values of ``array``, copied from the GPU where needed."""
    return to_device(array, "cpu")


def matmul(a, b, out=None):
    """a @ b for 2-D ``a`` and ``b`` (into ``out`` when given); on the CPU a ``threads.gemm``: when large, split
    over minigrad's threads by the output's columns or, when it has more rows, by its rows."""
    xp = get_array_module(a)
    if xp is not np or not threads.SPLIT_GEMMS:
        return xp.matmul(a, b) if out is None else xp.matmul(a, b, out=out)
    m, n = a.shape[0], b.shape[1]
    if out is None:
        out = np.empty((m, n), dtype=np.result_type(a, b))
    if n >= m:
        threads.gemm(lambda lo, hi: np.matmul(a, b[:, lo:hi], out=out[:, lo:hi]), n, m * n * a.shape[1])
    else:
        threads.gemm(lambda lo, hi: np.matmul(a[lo:hi], b, out=out[lo:hi]), m, m * n * a.shape[1])
    return out


def scatter_add(target, index, values):
    """``target[index] += values`` with repeated indices accumulated (NumPy's ``add.at``)."""
    if _cupy is not None and isinstance(target, _cupy.ndarray):
        import cupyx
        cupyx.scatter_add(target, index, values)
    else:
        np.add.at(target, index, values)


def synchronize(array):
    """Wait until the GPU has finished the work queued for ``array`` (no-op on the CPU).

    The training loop and the benchmarks call it once a step, so it also lets the automatic
    thread count look at the machine's load (``threads.adapt``: a clock read most steps).
    """
    threads.adapt()
    if _cupy is not None and isinstance(array, _cupy.ndarray):
        _cupy.cuda.get_current_stream().synchronize()
