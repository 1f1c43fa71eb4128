"""Conv2d."""
from minigrad import ops
from minigrad.checks import check_int
from minigrad.nn import init
from minigrad.nn._functions.conv import conv2d
from minigrad.nn._utils import _pair
from minigrad.nn.modules.module import Module, Parameter


class Conv2d(Module):
    """2-D convolution (cross-correlation), W (out_channels, in_channels / groups, kh, kw); input (N, C, H, W) or
    (C, H, W). ``groups`` splits the channels into that many independent convolutions (both channel counts must
    be divisible by it); ``dilation`` spaces the kernel's taps."""

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1, groups=1, bias=True):
        super().__init__()
        self._set_arguments(out_channels, kernel_size, stride, padding, dilation, groups, "Conv2d")
        self.in_channels = self._checked_in_channels(in_channels, "Conv2d")
        self.weight = Parameter(ops.empty(out_channels, in_channels // groups, *self.kernel_size))
        self.bias = Parameter(ops.empty(out_channels)) if bias else None
        init.default_init_(self.weight, self.bias)

    def _set_arguments(self, out_channels, kernel_size, stride, padding, dilation, groups, owner):
        """The arguments but ``in_channels``, checked (shared with ``LazyConv2d``, whose ``owner`` it is then)."""
        self.groups = check_int("groups", groups, 1, owner)
        self.out_channels = check_int("out_channels", out_channels, 1, owner)
        if out_channels % groups:
            raise ValueError(f"{owner}: out_channels must be divisible by groups, got out_channels={out_channels}, "
                             f"groups={groups}")
        self.kernel_size = _pair(kernel_size, "kernel_size", 1, owner)
        self.stride, self.padding = _pair(stride, "stride", 1, owner), _pair(padding, "padding", 0, owner)
        self.dilation = _pair(dilation, "dilation", 1, owner)

    def _checked_in_channels(self, in_channels, owner):
        in_channels = check_int("in_channels", in_channels, 1, owner)
        if in_channels % self.groups:
            raise ValueError(f"{owner}: in_channels must be divisible by groups, got in_channels={in_channels}, "
                             f"groups={self.groups}")
        return in_channels

    def forward(self, x):
        return conv2d(x, self.weight, self.bias, self.stride, self.padding, self.dilation, self.groups)

    def extra_repr(self):  # PyTorch's: padding, dilation, groups and bias only when not the default
        return (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, stride={self.stride}"
                + (f", padding={self.padding}" if self.padding != (0, 0) else "")
                + (f", dilation={self.dilation}" if self.dilation != (1, 1) else "")
                + (f", groups={self.groups}" if self.groups != 1 else "")
                + (", bias=False" if self.bias is None else ""))
