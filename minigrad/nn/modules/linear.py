"""Linear and Identity."""
from minigrad import ops
from minigrad.checks import check_int
from minigrad.nn import init
from minigrad.nn._functions.linear import linear
from minigrad.nn.modules.module import Module, Parameter


class Linear(Module):
    """y = x W^T + b with W (out_features, in_features), for input (*, in_features) as in PyTorch."""

    def __init__(self, in_features, out_features, bias=True):
        super().__init__()
        self.in_features = check_int("in_features", in_features, 1, "Linear")
        self.out_features = check_int("out_features", out_features, 1, "Linear")
        self.weight = Parameter(ops.empty(out_features, in_features))
        self.bias = Parameter(ops.empty(out_features)) if bias else None
        init.default_init_(self.weight, self.bias)

    def forward(self, x):
        return linear(x, self.weight, self.bias)

    def extra_repr(self):
        return f"in_features={self.in_features}, out_features={self.out_features}, bias={self.bias is not None}"


class Identity(Module):
    """Returns its input; any constructor arguments are ignored, as in PyTorch."""

    def __init__(self, *args, **kwargs):
        super().__init__()

    def forward(self, x):
        return x
