"""The backward engine: walks the graph from the outputs back to the leaves in reverse topological order
(iteratively, no recursion), calling each Function's hand-written backward once with its output's total gradient.
"""
import contextlib

from minigrad import backend
from minigrad.core.grad_mode import set_grad_enabled
from minigrad.core.tensor import Tensor


def _topological_order(roots):
    """The graph's nodes reachable from the nodes ``roots``, every input before its users. A node is a Function
    (a computed tensor's grad_fn) or a leaf tensor; a Function's edges (``next_nodes``) are its inputs' nodes.

    An iterative depth-first post-order: deep graphs cannot hit the recursion limit.
    """
    order, visited = [], set()
    stack = [(root, False) for root in reversed(roots)]
    while stack:
        node, inputs_done = stack.pop()
        if inputs_done:
            order.append(node)
            continue
        # mark a node when it is expanded, not when it is pushed: a node pushed
        # early may be reached again through a longer path and must then come later
        if id(node) in visited:
            continue
        visited.add(id(node))
        stack.append((node, True))
        if isinstance(node, Tensor):  # a leaf
            continue
        if "next_nodes" not in vars(node):
            raise RuntimeError(
                "backward() through a graph that was already freed: call the first backward() "
                "with retain_graph=True to go through it again")
        for x in node.next_nodes:
            if x is not None and id(x) not in visited:
                stack.append((x, False))
    return order


def _root_grad(t, g, create_graph):
    """The upstream gradient of output ``t``: ones for a one-element ``t`` without one; a Tensor when building a
    graph."""
    xp = backend.get_array_module(t.array)
    if g is None:
        if t.array.size != 1:
            raise RuntimeError(
                f"grad can be implicitly created only for one-element outputs; this tensor has shape {t.shape}: "
                "pass a gradient of that shape")
        g = xp.ones_like(t.array)
    elif isinstance(g, Tensor):
        if create_graph:
            if g.shape != t.shape:
                raise RuntimeError(f"gradient of shape {g.shape} for a tensor of shape {t.shape}")
            return g
        g = g.array
    else:
        g = xp.asarray(g, dtype=t.dtype)
    if tuple(g.shape) != t.shape:
        raise RuntimeError(f"gradient of shape {tuple(g.shape)} for a tensor of shape {t.shape}")
    return Tensor._wrap(g) if create_graph else g


def _check_versions(fn):
    """RuntimeError when a tensor saved for ``fn``'s backward was changed in place after it was saved."""
    name = f"{type(fn).__name__}Backward"
    if fn.saves_inputs:
        for i, (x, v) in enumerate(zip(fn.inputs, fn.input_versions)):
            if x._vc[0] != v:
                raise RuntimeError(
                    f"one of the variables needed for gradient computation has been modified by an inplace "
                    f"operation: input {i} of {name} (a tensor of shape {x.shape}, {x.dtype}) is at version "
                    f"{x._vc[0]}; expected version {v} instead")
    if fn.saves_output and fn.output_version[0] != 0:
        raise RuntimeError(
            f"one of the variables needed for gradient computation has been modified by an inplace operation: "
            f"the output of {name} is at version {fn.output_version[0]}; expected version 0 instead")


_backward_callbacks = []  # queued during a backward pass, run when the outermost pass ends

_backward_depth = [0]


def queue_backward_callback(callback):
    """Run ``callback()`` once the backward pass now running has finished (PyTorch's engine
    ``queue_callback``; DistributedDataParallel checks there that every bucket was averaged)."""
    if not _backward_depth[0]:
        raise RuntimeError("queue_backward_callback: no backward pass is running")
    _backward_callbacks.append(callback)


@contextlib.contextmanager
def backward_pass():
    """The extent of one backward pass (nested ones count as part of the outermost): when the outermost
    ends without an error, the callbacks queued during it run, in order."""
    _backward_depth[0] += 1
    try:
        yield
    finally:
        _backward_depth[0] -= 1
        callbacks = [] if _backward_depth[0] else _backward_callbacks[:]
        if not _backward_depth[0]:
            _backward_callbacks.clear()
    for callback in callbacks:
        callback()


def _accumulate_grad(t, g, create_graph=False):
    if create_graph:  # keep the graph: .grad is a tensor with a grad_fn
        t._grad = g if t._grad is None else t._grad + g
        return
    if g.dtype != t.dtype:
        g = g.astype(t.dtype)
    if t._grad is None:
        # copy: the array may be shared with another gradient (Add passes gy to both sides)
        t._grad = Tensor._wrap(g.copy())
    else:
        t._grad.array += g


def accumulate_grad_and_run_hooks(t, g, create_graph):
    """``g`` added into the leaf ``t``'s ``.grad``, then ``t``'s post-accumulate-grad hooks called."""
    _accumulate_grad(t, g, create_graph)
    hooks = t.__dict__.get("_post_accumulate_grad_hooks")
    for hook in (list(hooks.values()) if hooks else ()):
        hook(t)


def _accumulate_retained(fn, g, create_graph):
    """``g`` into ``.grad`` of the tensor that called ``retain_grad`` with ``fn`` as its grad_fn, while it lives and
    ``fn`` is still its grad_fn (PyTorch's retain_grad writes through a weak reference too)."""
    t = fn._retained()
    if t is not None and t._ctx is fn:
        _accumulate_grad(t, g, create_graph)


def _run_grad_hooks(node, g, create_graph):
    """``g`` passed through the ``register_hook`` hooks of ``node``'s tensor in order; a hook's non-None result
    replaces it."""
    shape, dtype, device = (node.shape, node.dtype, node.device) if isinstance(node, Tensor) else node._output_meta
    for hook in list(node._grad_hooks.values()):
        result = hook(g if create_graph else Tensor._wrap(g))
        if result is not None:
            if not isinstance(result, Tensor) or (result.shape, result.dtype, result.device) != (shape, dtype, device):
                raise RuntimeError(f"a hook registered with register_hook returned {type(result).__name__}"
                                   + (f" of shape {result.shape}, dtype {result.dtype} on {result.device}"
                                      if isinstance(result, Tensor) else "")
                                   + f"; expected None or a tensor of shape {shape}, dtype {dtype} on {device}")
            g = result if create_graph else result.array
    return g


def _input_grads(fn, g, create_graph):
    """(input node, gradient) for each input of ``fn`` that gets one from its backward (``backward_graph`` when
    ``create_graph``) for output gradient ``g``; RuntimeError for a wrong count or shape."""
    _check_versions(fn)
    gxs = fn.backward_graph(g) if create_graph else fn.backward(g)
    if not isinstance(gxs, tuple):
        gxs = (gxs,)
    if len(gxs) != len(fn.next_nodes):
        raise RuntimeError(f"{type(fn).__name__}.backward returned {len(gxs)} gradients for "
                           f"{len(fn.next_nodes)} inputs")
    pairs = []
    for node, shape, gx in zip(fn.next_nodes, fn.input_shapes, gxs):
        if node is None or gx is None:
            continue
        if gx.shape != shape:
            raise RuntimeError(f"{type(fn).__name__}.backward returned a gradient of shape {tuple(gx.shape)} "
                               f"for an input of shape {shape}")
        pairs.append((node, gx))
    return pairs


def _requested_grads(inputs, wanted, allow_unused, create_graph):
    """``autograd.grad``'s result: the gradient of each of ``inputs`` (from ``wanted``, by its node's id) as a
    Tensor."""
    results = []
    for i, t in enumerate(inputs):
        g = wanted[id(t._ctx or t)]
        if g is None and not allow_unused:
            raise RuntimeError(
                f"input {i} (shape {t.shape}) was not used to compute the outputs (or does not require grad); "
                "pass allow_unused=True to get None for it")
        if g is not None and not create_graph:
            g = Tensor._wrap(g.astype(t.dtype, copy=False))
        results.append(g)
    return tuple(results)


def _run_backward(roots, root_grads, retain_graph, create_graph, inputs, allow_unused):
    """The engine behind ``Tensor.backward`` and ``autograd.grad``.

    Walks the graph from ``roots`` (tensors, with upstream gradients
    ``root_grads``, None for ones) in reverse topological order, calling each
    Function's backward once with its output's total gradient. Without
    ``inputs`` the gradients are accumulated into the leaves' ``.grad``; with
    ``inputs`` (tensors) they are returned, one per input, and no ``.grad``
    changes. ``create_graph`` calls ``backward_graph`` (Tensors in, Tensors
    out, recorded) instead of the raw-array ``backward``.
    """
    if retain_graph is None:
        retain_graph = create_graph
    grads = {}
    for t, g in zip(roots, root_grads):
        g, node = _root_grad(t, g, create_graph), t._ctx or t
        previous = grads.get(id(node))
        grads[id(node)] = g if previous is None else previous + g
    wanted = None if inputs is None else {id(t._ctx or t): None for t in inputs}
    with set_grad_enabled(create_graph):
        for node in reversed(_topological_order([t._ctx or t for t in roots])):
            g = grads.pop(id(node), None)
            if g is None:
                continue
            if node._grad_hooks:
                g = _run_grad_hooks(node, g, create_graph)
            leaf = isinstance(node, Tensor)
            if wanted is not None:
                if id(node) in wanted:
                    wanted[id(node)] = g
            elif leaf:
                accumulate_grad_and_run_hooks(node, g, create_graph)
            elif node._retained is not None:
                _accumulate_retained(node, g, create_graph)
            if leaf:
                continue
            for x, gx in _input_grads(node, g, create_graph):
                previous = grads.get(id(x))
                grads[id(x)] = gx if previous is None else previous + gx
            if not retain_graph:
                node.release()
    return None if wanted is None else _requested_grads(inputs, wanted, allow_unused, create_graph)


def run_backward(roots, root_grads, retain_graph=None, create_graph=False, inputs=None, allow_unused=False):
    """``_run_backward`` (below) as one backward pass (``backward_pass``)."""
    with backward_pass():
        return _run_backward(roots, root_grads, retain_graph, create_graph, inputs, allow_unused)


def backward(self, gradient=None, retain_graph=None, create_graph=False):
    """``Tensor.backward``: accumulate d(self)/d(leaf) into ``leaf.grad`` for every leaf that requires grad.

    ``gradient`` is the upstream gradient (same shape as self); a one-element
    tensor may omit it (it is 1). The graph is freed afterwards unless
    ``retain_graph`` (default: ``create_graph``). With ``create_graph=True``
    the gradients are themselves built as a graph (``.grad`` has a grad_fn),
    so they can be differentiated again.
    """
    if not self.requires_grad:
        raise RuntimeError("backward() on a tensor that does not require grad and has no grad_fn")
    run_backward([self], [gradient], retain_graph, create_graph)
