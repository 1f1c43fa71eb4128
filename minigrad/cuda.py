"""CUDA queries in PyTorch's spelling; they never raise when CuPy or a GPU is missing."""
from minigrad import backend


def is_available():
    """True when CuPy imports and at least one CUDA device is present."""
    return backend.cuda_is_available()


def device_count():
    """Number of CUDA devices (0 without CuPy or a GPU)."""
    if not backend.cuda_is_available():
        return 0
    return backend._load_cupy().cuda.runtime.getDeviceCount()
