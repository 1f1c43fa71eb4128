"""Activations as tensor ops (sigmoid, tanh, relu, softmax, log_softmax: torch.softmax is a tensor op too), each
Function before its function.
"""
import warnings

import numpy as np

from minigrad import backend, cuda
from minigrad.backend import get_array_module
from minigrad.checks import wrap_dim
from minigrad.core import DerivativeFunction, Function, Tensor
from minigrad.dtypes import bool_
from minigrad.ops.indexing import where
from minigrad.ops.pointwise import exp
from minigrad.ops.utils import floating, select, split_outer



def _sigmoid_grad(y, gy):
    """gy * y * (1 - y) on raw arrays (one fused kernel on the GPU)."""
    if get_array_module(gy) is not np:
        return cuda.kernels().sigmoid_backward(gy, y)
    gx = 1 - y
    gx *= y
    gx *= gy
    return gx


class SigmoidGrad(DerivativeFunction):
    """Sigmoid's gradient as an op of (y, gy): gx = gy * y * (1 - y), differentiable again.

    Its own derivatives: d/dy = g * gy * (1 - 2 y),  d/dgy = g * y * (1 - y).
    """

    saves_output = False

    def forward(self, y, gy):
        return _sigmoid_grad(y, gy)

    def backward_graph(self, g):
        y, gy = self.inputs
        need_y, need_gy = self.needs_input_grad
        return g * gy * (1 - 2 * y) if need_y else None, SigmoidGrad()(y, g) if need_gy else None


class Sigmoid(Function):
    """y = 1 / (1 + exp(-x));  gx = gy * y * (1 - y)  (``SigmoidGrad``).

    exp(-x) overflows to inf for very negative x (float32: x < -88), which
    gives the right limit y = 0; NumPy's overflow warning is silenced for it.
    """

    saves_inputs = False

    def forward(self, x):
        xp = get_array_module(x)
        if xp is not np:
            self.y = cuda.kernels().sigmoid(x)
            return self.y
        with np.errstate(over="ignore"):
            y = np.negative(x, out=np.empty_like(x))  # out=: an array for a 0-d x too (NumPy returns a scalar)
            np.exp(y, out=y)
        y += 1
        np.divide(1, y, out=y)  # the same values as np.reciprocal, twice as fast (SIMD)
        self.y = y
        return y

    def backward(self, gy):
        return _sigmoid_grad(self.y, gy)

    def backward_graph(self, gy):
        return SigmoidGrad()(self.output_tensor(), gy)


def sigmoid(x):
    """1 / (1 + e^-x) elementwise (an integer or bool tensor in float32)."""
    return Sigmoid()(floating(x))


class Tanh(Function):
    """y = tanh(x);  gx = gy * (1 - y^2)."""

    saves_inputs = False

    def forward(self, x):
        self.y = get_array_module(x).tanh(x)
        return self.y

    def backward(self, gy):
        return gy * (1 - self.y * self.y)

    def backward_graph(self, gy):
        y = self.output_tensor()
        return gy * (1 - y * y)


def tanh(x):
    """tanh(x) elementwise (an integer or bool tensor in float32)."""
    return Tanh()(floating(x))


class ReLU(Function):
    """y = max(x, 0);  gx = gy where y > 0 or NaN, else 0, even for an inf gy (the mask is constant: higher derivatives
    are 0).

    Backward reads the output, as PyTorch's: the next layer keeps it anyway, where a mask of its own cost a byte
    per element until backward (DenseNet: ~100 MB of its peak). Changing the output in place then makes backward
    refuse, as PyTorch's."""

    saves_inputs = False

    def forward(self, x):
        if get_array_module(x) is np and x.dtype.kind == "f":  # split over minigrad's threads
            self.y = split_outer(lambda y, x: np.maximum(x, 0, out=y), np.empty_like(x), x)
        else:
            self.y = get_array_module(x).maximum(x, 0)
        return self.y

    def _passes(self):  # not y <= 0: NaN passes, as PyTorch's threshold_backward
        y = self.y
        if get_array_module(y) is not np:
            stops = y <= 0
            return get_array_module(stops).logical_not(stops, out=stops)
        return split_outer(lambda out, y: np.logical_not(np.less_equal(y, 0, out=out), out=out),
                           np.empty_like(y, dtype=bool), y)

    def backward(self, gy):
        return select(gy, self._passes())

    def backward_graph(self, gy):
        return where(Tensor._wrap(self._passes()), gy, 0.0)


def relu(x):
    """max(x, 0) elementwise."""
    return ReLU()(x)


class LogSoftmax(Function):
    """y = x - logsumexp(x) along ``axis`` (max subtracted first);  gx = gy - softmax(x) * sum(gy).

    The graph path builds softmax(x) = exp(log_softmax(x)) as Functions of x, so gx is differentiable again.
    """


    def __init__(self, axis=-1):
        self.axis = axis

    def forward(self, x):
        xp = get_array_module(x)
        if not x.size:  # empty, as PyTorch (x.max would raise)
            self.y = x.copy()
            return self.y
        z = x - x.max(axis=self.axis, keepdims=True)
        y = z - xp.log(xp.exp(z).sum(axis=self.axis, keepdims=True))
        self.y = y
        return y

    def backward(self, gy):
        xp = get_array_module(gy)
        return gy - xp.exp(self.y) * gy.sum(axis=self.axis, keepdims=True)

    def backward_graph(self, gy):
        probs = exp(self.output_tensor())
        return (gy - probs * gy.sum(self.axis, True),)


def _softmax_dim(x, dim, name):
    """``dim`` checked, or PyTorch's implicit choice when it is None (0 for 0-, 1- and 3-D input, else 1), with
    PyTorch's deprecation warning."""
    if dim is None:
        warnings.warn(f"Implicit dimension choice for {name} has been deprecated (as in PyTorch); pass dim=",
                      UserWarning, stacklevel=3)
        return 0 if x.ndim in (0, 1, 3) else 1
    return wrap_dim(dim, x.ndim, name)


def log_softmax(input, dim=None, dtype=None):  # noqa: A002 (PyTorch's argument names)
    """log(softmax(input)) along ``dim`` (input cast to ``dtype`` first), as ``torch.nn.functional.log_softmax``."""
    dim = _softmax_dim(input, dim, "log_softmax")
    if dtype is not None:
        input = input.to(dtype)  # noqa: A001
    if input.dtype.kind != "f":
        raise NotImplementedError(f"softmax/log_softmax: not implemented for dtype {input.dtype} (as PyTorch); "
                                  "convert the input with .float() or pass dtype=")
    if input.ndim == 0:
        return LogSoftmax(0)(input.reshape(1)).reshape(())
    return LogSoftmax(dim)(input)


def softmax(input, dim=None, dtype=None):  # noqa: A002
    """exp(input) / sum(exp(input)) along ``dim`` (input cast to ``dtype`` first), as
    ``torch.nn.functional.softmax``."""
    return exp(log_softmax(input, _softmax_dim(input, dim, "softmax"), dtype))


#: functions that are also Tensor methods with the same arguments (``x.name(...)`` is ``name(x, ...)``)
TENSOR_FUNCTIONS = ("sigmoid", "relu", "tanh")


class ActivationMethods:
    """Tensor's activation methods and their in-place forms:
    methods whose arguments differ from the functions', installed by ``minigrad.ops.install_tensor_methods``."""

    def relu_(self):
        """max(x, 0) in place (NaN stays NaN)."""
        if self.dtype == bool_:
            raise RuntimeError("Boolean inputs not supported for relu")
        if self._records("relu_"):
            return self._record_in_place("relu_", relu, reads_old=False)
        xp = backend.get_array_module(self.array)
        return self._modify("relu_", lambda a: xp.maximum(a, 0, out=a))

    def sigmoid_(self): return self._apply_in_place("sigmoid_", sigmoid)
    def tanh_(self): return self._apply_in_place("tanh_", tanh)

    def softmax(self, dim):
        return softmax(self, dim)

    def log_softmax(self, dim):
        return log_softmax(self, dim)
