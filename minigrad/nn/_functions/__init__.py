"""The layers' differentiable functions by family, each a Function with a hand-derived backward beside its functional
wrapper (``minigrad.nn.functional`` re-exports them).

Shapes follow PyTorch: images are (N, C, H, W), a Linear weight is (out, in), a Conv2d weight is
(out_channels, in_channels, kh, kw).

Higher order (Chainer's design): the gradient of a big op is itself a Function (``Conv2dGradInput``,
``Conv2dGradWeight``, ``AvgPool2dGrad``, ``MaxPool2dGrad``, ``BatchNormGrad``, ...; ``core.DerivativeFunction``s)
whose raw ``forward`` is the fused kernel that the fast first-order ``backward`` also calls, and whose
``backward_graph`` is the next derivative, again built from Functions (their raw ``backward`` evaluates it
unrecorded); so every derivative can be taken again.
"""
