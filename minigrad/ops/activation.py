"""Activations as tensor ops (sigmoid, tanh, relu), each Function before its function.
"""

import numpy as np

from minigrad import cuda
from minigrad.backend import get_array_module
from minigrad.core import DerivativeFunction, Function, Tensor
from minigrad.ops.utils import floating


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



def sigmoid(x): return Sigmoid()(floating(x))



class Sigmoid(Function):
    """y = 1 / (1 + exp(-x));  gx = gy * y * (1 - y)  (``SigmoidGrad``).

    exp(-x) overflows to inf for very negative x (float32: x < -88), which
    gives the right limit y = 0; NumPy's overflow warning is silenced for it.
    """

    saves_inputs = False
    graph_uses_output = True

    def forward(self, x):
        xp = get_array_module(x)
        if xp is not np:
            self.y = cuda.kernels().sigmoid(x)
            return self.y
        with np.errstate(over="ignore"):
            y = np.negative(x)
            np.exp(y, out=y)
        y += 1
        np.reciprocal(y, out=y)
        self.y = y
        return y

    def backward(self, gy):
        return _sigmoid_grad(self.y, gy)

    def backward_graph(self, gy):
        return SigmoidGrad()(self.output_tensor(lambda: sigmoid(self.inputs[0])), gy)



def tanh(x): return Tanh()(floating(x))



class Tanh(Function):
    """y = tanh(x);  gx = gy * (1 - y^2)."""

    saves_inputs = False
    graph_uses_output = True

    def forward(self, x):
        self.y = get_array_module(x).tanh(x)
        return self.y

    def backward(self, gy):
        return gy * (1 - self.y * self.y)

    def backward_graph(self, gy):
        y = self.output_tensor(lambda: tanh(self.inputs[0]))
        return gy * (1 - y * y)



class ReLU(Function):
    """y = max(x, 0);  gx = gy where x > 0 or NaN, else 0 (the mask is constant: higher derivatives are 0)."""

    saves_inputs = saves_output = False  # backward reads its own copy, the mask

    def forward(self, x):
        self.mask = ~(x <= 0)  # NaN passes its gradient, as PyTorch's threshold_backward
        return get_array_module(x).maximum(x, 0)

    def backward(self, gy):
        return gy * self.mask

    def backward_graph(self, gy):
        return gy * Tensor._wrap(self.mask.astype(gy.dtype))



def relu(x): return ReLU()(x)
