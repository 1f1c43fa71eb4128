"""The linear layer's op: y = x W^T + b, its hand-derived backward and its functional form."""
import math

from minigrad import ops
from minigrad.backend import matmul
from minigrad.core import Function
from minigrad.nn._utils import _check_tensors



class LinearFunction(Function):
    """y = x W^T + b;  gx = gy W,  gW = gy^T x,  gb = sum over the batch of gy (the GEMMs: ``backend.matmul``)."""

    saves_output = False  # (an in-place op may change y: nn.ReLU(inplace=True) after a layer, as in PyTorch)

    def forward(self, x, weight, bias=None):
        self.x, self.weight = x, weight
        y = matmul(x, weight.T)
        if bias is not None:
            y += bias
        return y

    def backward(self, gy):
        need_x, need_w = self.needs_input_grad[:2]
        gx = matmul(gy, self.weight) if need_x else None
        gw = matmul(gy.T, self.x) if need_w else None
        if len(self.needs_input_grad) == 2:
            return gx, gw
        gb = gy.sum(axis=0) if self.needs_input_grad[2] else None
        return gx, gw, gb

    def backward_graph(self, gy):
        x, weight = self.inputs[:2]
        need = self.needs_input_grad
        gx = gy @ weight if need[0] else None
        gw = gy.T @ x if need[1] else None
        gb = gy.sum(0) if len(need) == 3 and need[2] else None
        return (gx, gw, gb)[:len(need)]


def linear(x, weight, bias=None):
    _check_tensors("linear", input=x, weight=weight, **({} if bias is None else {"bias": bias}))
    if weight.ndim != 2:
        raise RuntimeError(f"linear: expected a 2-D weight (out_features, in_features), got shape {weight.shape}")
    if bias is not None and tuple(bias.shape) != weight.shape[:1]:
        raise RuntimeError(f"linear: expected a bias of shape ({weight.shape[0]},) for a weight of shape "
                           f"{weight.shape}, got {tuple(bias.shape)}")
    if x.ndim == 0 or x.shape[-1] != weight.shape[1]:
        raise RuntimeError(f"linear: expected input of shape (..., {weight.shape[1]}), got {x.shape}")
    ops.check_same_dtype("linear", ("input", x), ("weight", weight), ("bias", bias))
    if x.ndim != 2:  # any leading dims, as PyTorch: one batch dim for the GEMM, then restored
        y = linear(ops.reshape(x, math.prod(x.shape[:-1]), x.shape[-1]), weight, bias)
        return ops.reshape(y, *x.shape[:-1], weight.shape[0])
    return LinearFunction()(x, weight) if bias is None else LinearFunction()(x, weight, bias)
