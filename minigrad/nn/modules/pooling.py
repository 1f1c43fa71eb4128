"""Pooling layers: AvgPool2d, MaxPool2d, AdaptiveAvgPool2d."""
from minigrad.nn._functions.pooling import _pool_args, adaptive_avg_pool2d, avg_pool2d, max_pool2d
from minigrad.nn.modules.module import Module


class _Pool2d(Module):
    def __init__(self, kernel_size, stride=None, padding=0):
        super().__init__()
        _pool_args(kernel_size, stride, padding, type(self).__name__)  # the checks, once
        self.kernel_size, self.stride, self.padding = kernel_size, kernel_size if stride is None else stride, padding

    def extra_repr(self):
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class AvgPool2d(_Pool2d):
    def forward(self, x):
        return avg_pool2d(x, self.kernel_size, self.stride, self.padding)


class MaxPool2d(_Pool2d):
    def forward(self, x):
        return max_pool2d(x, self.kernel_size, self.stride, self.padding)

    def extra_repr(self):  # PyTorch's print of a MaxPool2d; minigrad's pooling has no dilation or ceil mode
        return super().extra_repr() + ", dilation=1, ceil_mode=False"


class AdaptiveAvgPool2d(Module):
    """``adaptive_avg_pool2d(x, output_size)``."""

    def __init__(self, output_size):
        super().__init__()
        self.output_size = output_size

    def forward(self, x):
        return adaptive_avg_pool2d(x, self.output_size)

    def extra_repr(self):
        return f"output_size={self.output_size}"
