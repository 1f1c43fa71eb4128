"""Dropout: the op (mask saved for backward) and its functional form."""
import numbers

from minigrad import backend, random
from minigrad.core import Function, Tensor
from minigrad.nn._utils import in_place_or_not



def check_dropout_p(p):
    """``p``, a real number in [0, 1] (NaN is not), with PyTorch's messages."""
    if not isinstance(p, numbers.Real):
        raise TypeError(f"dropout probability must be a real number, got {type(p).__name__} {p!r}")
    if not 0 <= p <= 1:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    return p


class DropoutFunction(Function):
    """y = x * m with m = keep / (1 - p), keep ~ Bernoulli(1 - p) from minigrad's generator (all 0 for p = 1);
    gx = gy * m (the mask is constant, so higher derivatives are gy * m again)."""

    saves_inputs = saves_output = False  # backward reads only the mask

    def __init__(self, p):
        self.p = p

    def forward(self, x):
        keep = random.default_generator().random(x.shape) >= self.p
        scale = 0.0 if self.p == 1 else 1.0 / (1.0 - self.p)
        self.mask = backend.to_device((keep * scale).astype(x.dtype), backend.device_of(x))
        return x * self.mask

    def backward(self, gy):
        return gy * self.mask

    def backward_graph(self, gy):
        return (gy * Tensor._wrap(self.mask),)


def dropout(input, p=0.5, training=True, inplace=False):  # noqa: A002
    """Inverted dropout, as ``torch.nn.functional.dropout``: in training each element is zeroed with
    probability p and the rest scaled by 1 / (1 - p); ``input`` itself when not training or p = 0."""
    check_dropout_p(p)
    if not training or p == 0:
        return input
    if input.dtype.kind != "f":
        raise RuntimeError(f"dropout: expected a floating-point input, got dtype {input.dtype}")
    return in_place_or_not(input, inplace, "dropout", lambda x: DropoutFunction(p)(x), reads_old=False)
