"""``minigrad.autograd``: gradients as values (``grad``), as in ``torch.autograd``."""
from minigrad.autograd import functional  # hvp, vhp, vjp, jvp, jacobian, hessian (built on the engine, not on grad)
from minigrad.checks import missing_names
from minigrad.core import Function, Tensor, accumulate_grad_and_run_hooks, backward_pass, run_backward


def _as_tuple(x):
    return (x,) if isinstance(x, Tensor) or x is None else tuple(x)


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False, allow_unused=False):
    """The gradients of ``outputs`` with respect to ``inputs``, returned (``.grad`` is left alone).

    ``outputs``: a tensor or a sequence; ``grad_outputs``: their upstream
    gradients (None: ones, for one-element outputs). With ``create_graph=True``
    the returned gradients carry a graph and can be differentiated again
    (``retain_graph`` then defaults to True). An input that the outputs do not
    depend on raises, unless ``allow_unused=True`` (its gradient is then None).
    """
    outputs, inputs = _as_tuple(outputs), _as_tuple(inputs)
    grad_outputs = (None,) * len(outputs) if grad_outputs is None else _as_tuple(grad_outputs)
    if len(grad_outputs) != len(outputs):
        raise ValueError(f"grad: {len(grad_outputs)} grad_outputs for {len(outputs)} outputs")
    if not inputs:  # PyTorch's error; an exhausted generator (parameters() iterated before) is empty too
        raise RuntimeError("`inputs` argument to `grad()` cannot be empty. (A generator such as model.parameters() "
                           "is empty once iterated: pass list(model.parameters()).)")
    for i, t in enumerate(inputs):
        if not isinstance(t, Tensor):
            raise TypeError(f"grad: input {i} is a {type(t).__name__}, not a Tensor")
        if not t.requires_grad:
            raise RuntimeError(f"grad: input {i} (shape {t.shape}) does not require grad")
    for i, t in enumerate(outputs):
        if not isinstance(t, Tensor) or not t.requires_grad:
            raise RuntimeError(f"grad: output {i} does not require grad and has no grad_fn")
    return run_backward(outputs, grad_outputs, retain_graph, create_graph, inputs=inputs, allow_unused=allow_unused)


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False, inputs=None):
    """``tensors[i].backward(grad_tensors[i])`` for all i in one pass of the engine, as ``torch.autograd.backward``.

    Gradients are accumulated into ``.grad`` of the graph's leaves, or, with ``inputs`` (a tensor or a
    sequence), only into those tensors' ``.grad`` (leaves or not; an input the outputs do not reach keeps its
    ``.grad``). ``grad_tensors``: one per tensor, None for a one-element tensor (ones).
    """
    tensors = _as_tuple(tensors)
    grad_tensors = (None,) * len(tensors) if grad_tensors is None else _as_tuple(grad_tensors)
    if len(grad_tensors) != len(tensors):
        raise ValueError(f"backward: {len(grad_tensors)} grad_tensors for {len(tensors)} tensors")
    for i, t in enumerate(tensors):
        if not isinstance(t, Tensor):
            raise TypeError(f"backward: tensors must be Tensors, got {type(t).__name__} at position {i}")
        if not t.requires_grad:
            raise RuntimeError(f"element {i} of tensors does not require grad and does not have a grad_fn")
    if inputs is None:
        run_backward(tensors, grad_tensors, retain_graph, create_graph)
        return
    inputs = _as_tuple(inputs)
    if not inputs:
        raise RuntimeError("`inputs` argument to `backward()` cannot be empty.")
    for i, t in enumerate(inputs):
        if not isinstance(t, Tensor):
            raise TypeError(f"backward: inputs must be Tensors, got {type(t).__name__} at position {i}")
    with backward_pass():  # the hooks, and callbacks they queue, as in a backward without inputs
        grads = run_backward(tensors, grad_tensors, retain_graph, create_graph, inputs=inputs, allow_unused=True)
        for t, g in zip(inputs, grads):
            if g is not None:
                accumulate_grad_and_run_hooks(t, g if create_graph else g.array, create_graph)


__all__ = ["Function", "backward", "functional", "grad"]

__getattr__ = missing_names("minigrad.autograd", "torch.autograd")  # a PyTorch name minigrad lacks: say so
