"""LayerNorm (its Functions and ``F.layer_norm``: ``minigrad/nn/_functions/normalization.py``)."""
import numpy as np

from minigrad.checks import check_real
from minigrad.nn import init
from minigrad.nn._functions.normalization import _check_normalized_shape, layer_norm
from minigrad.nn.modules.module import Module, Parameter


class LayerNorm(Module):
    """``torch.nn.LayerNorm``: ``F.layer_norm`` over the last dimensions ``normalized_shape`` (an int or a tuple),
    with a weight (ones) and a bias (zeros) of that shape when ``elementwise_affine`` (``bias=False``: no bias)."""

    def __init__(self, normalized_shape, eps=1e-5, elementwise_affine=True, bias=True):
        super().__init__()
        if isinstance(normalized_shape, (int, np.integer)) and not isinstance(normalized_shape, bool):
            normalized_shape = (normalized_shape,)
        self.normalized_shape = _check_normalized_shape(normalized_shape, "LayerNorm")
        self.eps = check_real("eps", eps, message="LayerNorm: invalid eps")
        self.elementwise_affine = elementwise_affine
        self.register_parameter("weight", Parameter(np.empty(self.normalized_shape, np.float32))
                                if elementwise_affine else None)
        self.register_parameter("bias", Parameter(np.empty(self.normalized_shape, np.float32))
                                if elementwise_affine and bias else None)
        self.reset_parameters()

    def reset_parameters(self):
        """Weight 1 and bias 0 (in place)."""
        if self.weight is not None:
            init.ones_(self.weight)
        if self.bias is not None:
            init.zeros_(self.bias)

    def forward(self, x):
        return layer_norm(x, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self):
        return (f"{self.normalized_shape}, eps={self.eps}, elementwise_affine={self.elementwise_affine}, "
                f"bias={self.bias is not None}")
