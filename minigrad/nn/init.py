"""In-place parameter initialisers (``torch.nn.init``), drawing from minigrad's generator."""
import math

from minigrad import random
from minigrad.core import no_grad


def _fill(tensor, values):
    with no_grad():  # as in PyTorch: initialisers change parameters in place, outside the graph
        return tensor.copy_(values)


def _fans(tensor):
    """(fan_in, fan_out): in/out features times the kernel's receptive field."""
    if tensor.ndim < 2:
        raise ValueError(f"fan in and fan out need a tensor of at least 2 dimensions, got shape {tensor.shape}")
    receptive = math.prod(tensor.shape[2:])
    return tensor.shape[1] * receptive, tensor.shape[0] * receptive


def uniform_(tensor, a=0.0, b=1.0):
    return _fill(tensor, random.default_generator().uniform(a, b, tensor.shape))


def normal_(tensor, mean=0.0, std=1.0):
    return _fill(tensor, random.default_generator().normal(mean, std, tensor.shape))


@no_grad()
def constant_(tensor, value):
    return tensor.fill_(value)


def zeros_(tensor):
    return constant_(tensor, 0.0)


def ones_(tensor):
    return constant_(tensor, 1.0)


def xavier_uniform_(tensor, gain=1.0):
    """U(-a, a) with a = gain * sqrt(6 / (fan_in + fan_out)) (Glorot and Bengio, 2010)."""
    fan_in, fan_out = _fans(tensor)
    a = gain * math.sqrt(6.0 / (fan_in + fan_out))
    return uniform_(tensor, -a, a)


def xavier_normal_(tensor, gain=1.0):
    fan_in, fan_out = _fans(tensor)
    return normal_(tensor, 0.0, gain * math.sqrt(2.0 / (fan_in + fan_out)))


def kaiming_uniform_(tensor, a=0.0):
    """U(-b, b) with b = sqrt(6 / ((1 + a^2) fan_in)), the leaky-ReLU gain of slope a."""
    fan_in, _ = _fans(tensor)
    bound = math.sqrt(6.0 / ((1 + a * a) * fan_in))
    return uniform_(tensor, -bound, bound)


def default_init_(weight, bias=None):
    """PyTorch's default for Linear and Conv2d: weight kaiming_uniform_(a=sqrt(5)), i.e. U(+-1/sqrt(fan_in)), bias likewise."""
    kaiming_uniform_(weight, a=math.sqrt(5))
    if bias is not None:
        bound = 1.0 / math.sqrt(_fans(weight)[0])
        uniform_(bias, -bound, bound)
