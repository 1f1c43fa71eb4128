"""Function: one differentiable op, its forward on raw arrays and its hand-written backward; applying it to
tensors records it in the graph when gradients are enabled.
"""
import numpy as np

from minigrad import backend
from minigrad.core.grad_mode import is_grad_enabled, no_grad
from minigrad.core.tensor import Tensor, tensor


def as_tensors(inputs, op_name):
    """Tensors for ``inputs``: Python numbers take the dtype and device of the first tensor."""
    ref = next((x for x in inputs if isinstance(x, Tensor)), None)
    tensors = []
    for x in inputs:
        if isinstance(x, Tensor):
            tensors.append(x)
        elif ref is not None and isinstance(x, (int, float, bool)):
            xp = backend.get_array_module(ref.array)
            tensors.append(Tensor._wrap(xp.asarray(x, dtype=ref.dtype if ref.dtype.kind == "f" else None)))
        else:
            tensors.append(tensor(x))
    if len(tensors) > 1:
        first = tensors[0].array
        for t in tensors[1:]:
            if type(t.array) is not type(first) or (
                    type(first) is not np.ndarray and t.device != tensors[0].device):
                raise RuntimeError(
                    f"{op_name}: expected all tensors on the same device, "
                    f"but found {tensors[0].device} and {t.device}; move them with .to(device)")
    return tensors


class Function:
    """A differentiable op with a hand-written backward.

    Subclasses implement ``forward(*arrays) -> array`` on raw arrays (use
    ``xp = get_array_module(x)`` to serve NumPy and CuPy alike) and
    ``backward(gy) -> tuple`` returning one gradient array per input, or None
    where ``self.needs_input_grad[i]`` is False. Anything the backward needs is
    stored on ``self`` during forward (the inputs' shapes are in
    ``self.input_shapes``); it is freed after backward.
    Call an instance on tensors (or numbers) to apply it: ``Exp()(x)``.

    Higher order: ``backward_graph(gy)`` is the same derivative built from
    Functions on Tensors (``self.inputs``, kept where ``saves_inputs``, or
    ``output_tensor()``; ``gy`` a Tensor), so that the result can be
    differentiated again. ``backward(create_graph=True)`` and
    ``autograd.grad(..., create_graph=True)`` call it; an op without one raises.
    An op that is itself a gradient subclasses ``DerivativeFunction`` and writes its
    derivative once.
    """

    #: which saved values ``backward`` and ``backward_graph`` read, for the version check (see
    #: ``_check_versions``): all inputs and the output by default. An op whose derivatives read no input turns
    #: ``saves_inputs`` off and keeps no input tensor: its node then frees what its inputs hold once the user drops
    #: them (as PyTorch's nodes, which keep only what they saved)
    saves_inputs = True
    saves_output = True
    _grad_hooks = None  # {handle: hook} registered on the output tensor (``Tensor.register_hook``)
    _retained = None  # a weak reference to the output tensor when it called ``retain_grad``

    def __call__(self, *inputs):
        tensors = as_tensors(inputs, type(self).__name__)
        self.check_inputs(*tensors)
        arrays = [t.array for t in tensors]
        out = self.forward(*arrays)
        needs = tuple([t._requires_grad for t in tensors])
        if is_grad_enabled() and any(needs):
            # the graph's edges: each input's node (its grad_fn, or the leaf itself) as it was when recorded
            self.next_nodes = tuple([(t._ctx or t) if t._requires_grad else None for t in tensors])
            self.needs_input_grad = needs
            self.input_shapes = tuple([a.shape for a in arrays])
            if self.saves_inputs:
                self.inputs = tensors
                self.input_versions = tuple([t._vc[0] for t in tensors])
            result = Tensor._wrap(out, requires_grad=True)
            result._ctx = self
            self.output_version = result._vc
            return result
        return Tensor._wrap(out)

    def check_inputs(self, *tensors):
        """Raise a clear error for inputs the op cannot take (shapes, ranks); none by default."""

    def forward(self, *arrays):
        raise NotImplementedError

    def backward(self, gy):
        raise NotImplementedError

    def backward_graph(self, gy):
        raise RuntimeError(
            f"{type(self).__name__}: differentiating its gradient again (create_graph=True) is not "
            "implemented for this op")

    def output_tensor(self):
        """This op's output (its saved ``self.y``) as a Tensor whose grad_fn is this op, for ``backward_graph``: a
        gradient built on it flows back through this op's node, its hooks and ``retain_grad`` included, as
        PyTorch's saved results do."""
        y = Tensor._wrap(self.y, requires_grad=True, version=self.output_version)
        y._ctx = self
        return y

    def __getattr__(self, name):  # only reached for a name the op lacks
        if name == "inputs" and not self.saves_inputs:
            raise AttributeError(f"{type(self).__name__}.inputs: this op keeps no input tensors (saves_inputs = "
                                 "False); save what its backward reads in forward, read self.input_shapes for their "
                                 "shapes, or set saves_inputs = True")
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def release(self):
        """Drop the inputs and everything saved for backward."""
        self.__dict__.clear()

    def __repr__(self):
        return f"<{type(self).__name__}Backward>"


class DerivativeFunction(Function):
    """A Function that is the derivative of another (the forward of a gradient).

    Subclasses write the next derivative once, as ``backward_graph`` (Tensors,
    built from Functions); the raw ``backward`` evaluates that same graph code
    without recording it. Only second and higher derivatives run through here.
    """

    def backward(self, gy):
        with no_grad():
            gxs = self.backward_graph(Tensor._wrap(gy))
        if isinstance(gxs, Tensor):
            return gxs.array
        return tuple(None if g is None else g.array for g in gxs)
