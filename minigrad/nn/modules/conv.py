"""Conv2d."""
from minigrad import ops
from minigrad.checks import check_int
from minigrad.nn import init
from minigrad.nn._functions.conv import conv2d
from minigrad.nn._utils import _pair
from minigrad.nn.modules.module import Module, Parameter


class Conv2d(Module):
    """2-D convolution (cross-correlation), W (out_channels, in_channels, kh, kw); input (N, C, H, W) or (C, H, W)."""

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, bias=True):
        super().__init__()
        self.in_channels = check_int("in_channels", in_channels, 1, "Conv2d")
        self.out_channels = check_int("out_channels", out_channels, 1, "Conv2d")
        self.kernel_size = _pair(kernel_size, "kernel_size", 1, "Conv2d")
        self.stride, self.padding = _pair(stride, "stride", 1, "Conv2d"), _pair(padding, "padding", 0, "Conv2d")
        self.weight = Parameter(ops.empty(out_channels, in_channels, *self.kernel_size))
        self.bias = Parameter(ops.empty(out_channels)) if bias else None
        init.default_init_(self.weight, self.bias)

    def forward(self, x):
        return conv2d(x, self.weight, self.bias, self.stride, self.padding)

    def extra_repr(self):
        return (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
                f"stride={self.stride}, padding={self.padding}")
