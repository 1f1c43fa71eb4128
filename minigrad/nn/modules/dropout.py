"""Dropout."""
from minigrad.nn._functions.dropout import check_dropout_p, dropout
from minigrad.nn.modules.module import Module


class Dropout(Module):
    """Inverted dropout (``dropout``) with probability ``p`` in training mode, the identity in eval mode."""

    def __init__(self, p=0.5, inplace=False):
        super().__init__()
        self.p, self.inplace = check_dropout_p(p), inplace

    def forward(self, x):
        return dropout(x, self.p, self.training, self.inplace)

    def extra_repr(self):
        return f"p={self.p}, inplace={self.inplace}"
