"""CUDA queries in PyTorch's spelling; they never raise when CuPy or a GPU is missing."""
import types

from minigrad import backend


def is_available():
    """True when CuPy imports and at least one CUDA device is present."""
    return backend.cuda_is_available()


def device_count():
    """Number of CUDA devices (0 without CuPy or a GPU)."""
    if not backend.cuda_is_available():
        return 0
    return backend.load_cupy().cuda.runtime.getDeviceCount()


_kernels = None  # the compiled kernels, once built


def kernels():
    """Fused CuPy kernels for the hot elementwise chains (compiled on first use, cached).

    Each computes the same function as the NumPy path beside which it is used:
    bn_normalize (x_hat and y of BatchNormFunction.forward in one pass), bn_x_hat (its x_hat again, for backward),
    bn_backward (its dx expression), sigmoid and sigmoid_backward, dot_rows
    (sum over axis 1 of a * b, a reduction without the product in memory), sq_dev_rows
    (sum over axis 1 of (x - mean)^2, BatchNorm's second pass) and
    sgd (p -= lr * g in place).
    """
    global _kernels
    if _kernels is None:
        cupy = backend.load_cupy()
        ew, red = cupy.ElementwiseKernel, cupy.ReductionKernel
        _kernels = types.SimpleNamespace(
            bn_normalize=ew("T x, T mean, T inv_std, T gamma, T beta", "T x_hat, T y",
                            "x_hat = (x - mean) * inv_std; y = gamma * x_hat + beta", "minigrad_bn_normalize"),
            bn_x_hat=ew("T x, T mean, T inv_std", "T x_hat", "x_hat = (x - mean) * inv_std", "minigrad_bn_x_hat"),
            bn_backward=ew("T gy, T x_hat, T scale, T dbeta_m, T dgamma_m", "T gx",
                           "gx = scale * (gy - dbeta_m - x_hat * dgamma_m)", "minigrad_bn_backward"),
            sigmoid=ew("T x", "T y", "y = 1 / (1 + exp(-x))", "minigrad_sigmoid"),
            sigmoid_backward=ew("T gy, T y", "T gx", "gx = gy * y * (1 - y)", "minigrad_sigmoid_backward"),
            dot_rows=red("T a, T b", "T s", "a * b", "a + b", "s = a", "0", "minigrad_dot_rows"),
            sq_dev_rows=red("T x, T mean", "T s", "(x - mean) * (x - mean)", "a + b", "s = a", "0",
                            "minigrad_sq_dev_rows"),
            sgd=ew("T g, T lr", "T p", "p -= lr * g", "minigrad_sgd"),
        )
    return _kernels

