"""``minigrad.autograd.functional``: derivatives of whole functions, as ``torch.autograd.functional``.

Each takes ``func`` and ``inputs`` (a Tensor or a tuple of Tensors) and returns
results shaped like ``inputs`` (a Tensor for a Tensor, a tuple for a tuple):

* ``vjp(func, inputs, v)``: (func(inputs), v^T J);  ``jvp(func, inputs, v)``: (func(inputs), J v);
* ``vhp(func, inputs, v)`` / ``hvp(func, inputs, v)``: (func(inputs), v^T H) / (func(inputs), H v)
  for a scalar ``func``;
* ``jacobian(func, inputs)``: J, of shape output.shape + input.shape, one backward pass per output element;
* ``hessian(func, inputs)``: H, of shape input.shape + input.shape (the Jacobian of the gradient).

The inputs are used through fresh leaves, so the caller's tensors get no ``.grad``.
With ``create_graph=False`` the results are detached; with ``create_graph=True`` they
carry a graph back to the inputs (those that require grad) and can be differentiated
again. ``strict=True`` raises when an output is independent of an input (whose
derivative is then zeros, not None, otherwise).
"""
from minigrad import ops
from minigrad.backend import get_array_module
from minigrad.core import Tensor, enable_grad, run_backward


def _tuple_of_tensors(x, arg, fn_name):
    """(was it a tuple, the tensors as a tuple)."""
    is_tuple = isinstance(x, (tuple, list))
    xs = tuple(x) if is_tuple else (x,)
    for i, t in enumerate(xs):
        if not isinstance(t, Tensor):
            raise TypeError(f"{fn_name}: {arg}[{i}] is a {type(t).__name__}, not a Tensor" if is_tuple
                            else f"{fn_name}: {arg} must be a Tensor or a tuple of Tensors, got {type(t).__name__}")
    return is_tuple, xs


def _leaves(xs, create_graph):
    """Fresh tensors requiring grad for the inputs: linked to the caller's graph only when building one."""
    out = []
    for x in xs:
        if x.dtype.kind != "f":
            raise TypeError(f"autograd.functional: inputs must be floating point, got dtype {x.dtype}")
        out.append(ops.reshape(x, x.shape) if create_graph and x.requires_grad else x.detach().requires_grad_(True))
    return tuple(out)


def _vectors(v, like, fn_name, what):
    """``v`` checked against the tensors ``like`` (None: ones, allowed only for one-element tensors)."""
    if v is None:
        if any(t.numel() != 1 for t in like):
            raise RuntimeError(f"{fn_name}: v can only be None when the {what} has a single element each")
        return tuple(Tensor._wrap(t.array * 0 + 1) for t in like)
    _, vs = _tuple_of_tensors(v, "v", fn_name)
    if len(vs) != len(like) or any(a.shape != b.shape for a, b in zip(vs, like)):
        raise RuntimeError(f"{fn_name}: v has shapes {[tuple(a.shape) for a in vs]}, "
                           f"expected {[tuple(b.shape) for b in like]} (the shapes of the {what})")
    return vs


def _grads(outputs, grad_outputs, xs, create_graph, strict, fn_name, what="output"):
    """d<grad_outputs, outputs>/dxs: zeros (or an error when ``strict``) for inputs the outputs do not depend on."""
    pairs = [(y, g) for y, g in zip(outputs, grad_outputs) if y.requires_grad]
    grads = (None,) * len(xs)
    if pairs:
        grads = run_backward([y for y, _ in pairs], [g for _, g in pairs], retain_graph=True,
                             create_graph=create_graph, inputs=xs, allow_unused=True)
    result = []
    for i, (x, g) in enumerate(zip(xs, grads)):
        if g is None:
            if strict:
                raise RuntimeError(f"{fn_name}: the {what} of the function is independent of input {i}; "
                                   "this is not allowed in strict mode")
            g = Tensor._wrap(x.array * 0)
        result.append(g if create_graph else g.detach())
    return tuple(result)


def _scalar_output(func, xs, fn_name):
    with enable_grad():
        out = func(*xs)
    if not isinstance(out, Tensor):
        raise RuntimeError(f"{fn_name}: the function must return a single Tensor, got {type(out).__name__}")
    if out.numel() != 1:
        raise RuntimeError(f"{fn_name}: the function must return a Tensor with a single element, got shape {out.shape}")
    return out


def _gradient_function(func, create_graph, strict, fn_name):
    """x -> d func(x) / dx, built with a graph (so it can be differentiated again)."""
    def gradient(*xs):
        out = _scalar_output(func, xs, fn_name)
        with enable_grad():
            return _grads([out], [None], xs, True, strict, fn_name)
    return gradient


def _shaped(is_tuple, results):
    return tuple(results) if is_tuple else results[0]


def vjp(func, inputs, v=None, create_graph=False, strict=False):
    """(func(inputs), v^T J): the vector-Jacobian product, one backward pass."""
    is_tuple, xs = _tuple_of_tensors(inputs, "inputs", "vjp")
    xs = _leaves(xs, create_graph)
    with enable_grad():
        out = func(*xs)
    out_tuple, outs = _tuple_of_tensors(out, "output", "vjp")
    vs = _vectors(v, outs, "vjp", "outputs")
    with enable_grad():
        result = _grads(outs, vs, xs, create_graph, strict, "vjp")
    outs = outs if create_graph else tuple(o.detach() for o in outs)
    return _shaped(out_tuple, outs), _shaped(is_tuple, result)


def jvp(func, inputs, v=None, create_graph=False, strict=False):
    """(func(inputs), J v): the Jacobian-vector product, by the double-vjp trick.

    g(u) = u^T J is linear in a dummy u; its gradient with respect to u along v is J v.
    """
    is_tuple, xs = _tuple_of_tensors(inputs, "inputs", "jvp")
    xs = _leaves(xs, create_graph)
    vs = _vectors(v, xs, "jvp", "inputs")
    with enable_grad():
        out = func(*xs)
    out_tuple, outs = _tuple_of_tensors(out, "output", "jvp")
    dummies = tuple(Tensor._wrap(y.array * 0, requires_grad=True) for y in outs)
    with enable_grad():
        g = _grads(outs, dummies, xs, True, strict, "jvp")
        result = _grads(g, vs, dummies, create_graph, strict, "jvp", what="vector-Jacobian product")
    outs = outs if create_graph else tuple(o.detach() for o in outs)
    return _shaped(out_tuple, outs), _shaped(out_tuple, result)


def vhp(func, inputs, v=None, create_graph=False, strict=False):
    """(func(inputs), v^T H) for a function returning one element: the gradient of <grad func, v>."""
    is_tuple, xs = _tuple_of_tensors(inputs, "inputs", "vhp")
    xs = _leaves(xs, create_graph)
    vs = _vectors(v, xs, "vhp", "inputs")
    out = _scalar_output(func, xs, "vhp")
    with enable_grad():
        grads = _grads([out], [None], xs, True, strict, "vhp")
        result = _grads(grads, vs, xs, create_graph, strict, "vhp", what="gradient")
    return (out if create_graph else out.detach()), _shaped(is_tuple, result)


def hvp(func, inputs, v=None, create_graph=False, strict=False):
    """(func(inputs), H v) for a function returning one element.

    The Hessian of a twice differentiable scalar function is symmetric, so H v = (v^T H)^T
    is computed as ``vhp`` does: two backward passes.
    """
    return vhp(func, inputs, v, create_graph, strict)


def jacobian(func, inputs, create_graph=False, strict=False, vectorize=False, strategy="reverse-mode"):
    """The Jacobian of ``func`` at ``inputs``: J[i][j] of shape outputs[i].shape + inputs[j].shape.

    A Tensor for one input and one output; a tuple over the inputs (or outputs) when
    that side is a tuple; a tuple of tuples when both are. Computed in reverse mode,
    one backward pass per output element (``vectorize`` and ``strategy`` change only
    how PyTorch computes the same values; both are accepted).
    """
    if strategy not in ("reverse-mode", "forward-mode"):
        raise ValueError(f"jacobian: strategy must be 'reverse-mode' or 'forward-mode', got {strategy!r}")
    is_tuple, xs = _tuple_of_tensors(inputs, "inputs", "jacobian")
    xs = _leaves(xs, create_graph)
    with enable_grad():
        out = func(*xs)
    out_tuple, outs = _tuple_of_tensors(out, "output", "jacobian")
    rows = []
    for y in outs:
        flat = [[] for _ in xs]
        for k in range(y.numel()):
            onehot = y.array.reshape(-1) * 0
            onehot[k] = 1
            with enable_grad():
                grads = _grads([y], [Tensor._wrap(onehot.reshape(y.shape))], xs, create_graph, strict, "jacobian")
            for j, g in enumerate(grads):
                flat[j].append(g)
        rows.append(tuple(ops.stack(f, 0).reshape(*(y.shape + x.shape)) if f  # an empty output: an empty J
                          else Tensor._wrap(get_array_module(x.array).zeros(y.shape + x.shape, x.dtype))
                          for f, x in zip(flat, xs)))
    rows = [_shaped(is_tuple, r) for r in rows]
    return _shaped(out_tuple, rows)


def hessian(func, inputs, create_graph=False, strict=False, vectorize=False, outer_jacobian_strategy="reverse-mode"):
    """The Hessian of a function returning one element: H[i][j] of shape inputs[i].shape + inputs[j].shape.

    A Tensor for one input, a tuple of tuples for a tuple of inputs; computed as the
    Jacobian of the gradient (one double-backward pass per input element).
    """
    is_tuple, xs = _tuple_of_tensors(inputs, "inputs", "hessian")
    gradient = _gradient_function(func, create_graph, strict, "hessian")
    return jacobian(lambda *a: _shaped(is_tuple, gradient(*a)), _shaped(is_tuple, xs), create_graph, strict,
                    vectorize, outer_jacobian_strategy)
