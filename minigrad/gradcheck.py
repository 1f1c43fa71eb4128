"""Gradient checking: analytic derivatives against central finite differences, in float64.

``gradcheck`` checks first derivatives (each op's ``backward``); ``gradgradcheck``
checks second derivatives (each op's ``backward_graph`` and the backward of what it
builds) by running the same check on the first-order gradient as a function.
"""
import numpy as np

from minigrad import backend
from minigrad.checks import check_real
from minigrad.core import Tensor, enable_grad, run_backward


class GradcheckError(RuntimeError):
    """An analytic gradient disagrees with the finite-difference estimate."""


def gradcheck(fn, inputs, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True, seed=0):
    """Check the backward of ``fn`` at ``inputs`` against central differences.

    ``fn(*inputs)`` returns a tensor (or a tuple of tensors). Each output y is
    contracted with a random upstream gradient u (seeded by ``seed``), so the
    checked quantity is the scalar L = sum(u * y). A random u matters: with
    u = 1, the gradient of a normalisation such as BatchNorm is exactly zero
    whatever its variance term does, so a wrong backward would pass.

    For every input that requires grad and every element i, the numerical
    gradient (L(x + eps e_i) - L(x - eps e_i)) / (2 eps) must match the
    analytic one within ``atol + rtol * |numerical|``. Inputs that require grad
    must be float64. On a mismatch raise :class:`GradcheckError` naming the
    input, the worst element and both values, or return False when
    ``raise_exception=False``; return True when all match. No tensor's ``.grad`` changes (the
    gradients are taken as values, as PyTorch's gradcheck takes them with ``autograd.grad``).
    """
    if not callable(fn):
        raise TypeError(f"gradcheck: fn must be callable, got {type(fn).__name__}")
    check_real("eps", eps, low_open=True, message="gradcheck: invalid eps")
    check_real("atol", atol, message="gradcheck: invalid atol")
    check_real("rtol", rtol, message="gradcheck: invalid rtol")
    inputs = _as_inputs(inputs, "gradcheck")
    return _check(fn, inputs, eps, atol, rtol, raise_exception, seed, "gradcheck",
                  lambda i: f"gradient of input {i}")


def gradgradcheck(fn, inputs, grad_outputs=None, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True, seed=0):
    """Check the second derivatives of ``fn`` at ``inputs`` against finite differences of its gradient.

    The first-order gradient g(x, u) = d<u, fn(x)>/dx is built with
    ``create_graph=True`` for upstream gradients u (``grad_outputs``: one float64
    tensor per differentiable output; None draws them at random from ``seed``,
    never all ones, and makes them require grad). Then g itself is checked as in
    :func:`gradcheck`: contracted with a second random v, the analytic
    d<v, g>/dx and d<v, g>/du must match central differences of g, computed by
    rebuilding it at perturbed inputs. First, g must equal the gradient of the
    fast ``backward`` path. Raises :class:`GradcheckError` naming the input or
    grad_output that disagrees (or returns False).
    """
    inputs = _as_inputs(inputs, "gradgradcheck")
    checked = _checked_inputs(inputs, "gradgradcheck")
    with enable_grad():
        first = _outputs(fn, inputs)
    outputs = [y for y in first if y.requires_grad]
    if not outputs:
        raise ValueError("gradgradcheck: no output of fn requires grad, so there is no gradient to differentiate")
    if grad_outputs is None:
        rng = np.random.default_rng(seed)
        grad_outputs = [Tensor(backend.to_device(rng.standard_normal(y.shape), y.device), requires_grad=True)
                        for y in outputs]
    else:
        grad_outputs = _as_inputs(grad_outputs, "gradgradcheck")
        if len(grad_outputs) != len(outputs):
            raise ValueError(
                f"gradgradcheck: {len(grad_outputs)} grad_outputs for {len(outputs)} differentiable outputs")
        for j, (u, y) in enumerate(zip(grad_outputs, outputs)):
            if not isinstance(u, Tensor) or u.shape != y.shape or u.dtype != np.float64:
                raise ValueError(f"gradgradcheck: grad_outputs[{j}] must be a float64 tensor of shape {y.shape}, "
                                 f"got {u.dtype if isinstance(u, Tensor) else type(u).__name__} "
                                 f"{getattr(u, 'shape', '')}")
    n = len(inputs)

    def first_order_gradient(*args):
        xs, us = args[:n], args[n:]
        with enable_grad():
            ys = [y for y in _outputs(fn, xs) if y.requires_grad]
            grads = run_backward(ys, list(us), create_graph=True, inputs=[xs[i] for i in checked],
                                 allow_unused=True)
        # an input the outputs do not depend on has gradient 0 (checked numerically like the others)
        return tuple(Tensor._wrap(xs[i].array * 0) if g is None else g for i, g in zip(checked, grads))

    # the gradient built as a graph must have the value of the fast backward's (checked by gradcheck)
    graph = first_order_gradient(*inputs, *grad_outputs)
    with enable_grad():
        ys = [y for y in _outputs(fn, inputs) if y.requires_grad]
        fast = run_backward(ys, [u.array for u in grad_outputs], inputs=[inputs[i] for i in checked],
                            allow_unused=True)
    for i, g, f in zip(checked, graph, fast):
        if f is not None and not _agree(
                f"gradgradcheck: the gradient of input {i} built with create_graph=True (shape {inputs[i].shape})",
                backend.to_numpy(g.array), backend.to_numpy(f.array), "graph", "backward", atol, rtol,
                raise_exception):
            return False

    def label(i):
        what = f"input {i}" if i < n else f"grad_output {i - n}"
        return f"second derivative (of the gradient, with a random upstream v) with respect to {what}"

    return _check(first_order_gradient, inputs + tuple(grad_outputs), eps, atol, rtol, raise_exception, seed + 1,
                  "gradgradcheck", label)


def _as_inputs(inputs, what):
    if isinstance(inputs, Tensor):
        return (inputs,)
    if not isinstance(inputs, (tuple, list)):
        raise TypeError(f"{what}: inputs must be a Tensor or a tuple/list of them, got {type(inputs).__name__}")
    return tuple(inputs)


def _checked_inputs(inputs, what):
    """Indices of the inputs that require grad (all float64)."""
    checked = [i for i, x in enumerate(inputs) if isinstance(x, Tensor) and x.requires_grad]
    if not checked:
        raise ValueError(f"{what}: no input requires grad, so there is nothing to check")
    for i in checked:
        if inputs[i].dtype != np.float64:
            raise TypeError(f"{what}: input {i} is {inputs[i].dtype}; finite differences need float64 "
                            "(create it with dtype=minigrad.float64)")
    return checked


def _outputs(fn, inputs):
    out = fn(*inputs)
    out = tuple(out) if isinstance(out, (tuple, list)) else (out,)
    for i, y in enumerate(out):
        if not isinstance(y, Tensor):
            raise TypeError(f"fn must return a Tensor or a tuple of Tensors, got {type(y).__name__} as output {i}")
    return out


def _check(fn, inputs, eps, atol, rtol, raise_exception, seed, what, label):
    """The check behind gradcheck and gradgradcheck; ``label(i)`` names what input i's derivative is."""
    checked = _checked_inputs(inputs, what)
    rng = np.random.default_rng(seed)
    first = _outputs(fn, inputs)
    upstream = [backend.to_device(rng.standard_normal(y.shape), y.device).astype(y.dtype) for y in first]

    def objective():
        # grad mode stays as the caller set it: some functions (the D2L chapter's batch_norm) switch on it
        return float(sum(float((y.array * u).sum()) for y, u in zip(_outputs(fn, inputs), upstream)))

    # gradients as values (autograd.grad's engine, as PyTorch's gradcheck): no tensor's .grad changes, neither the
    # inputs' nor that of a parameter fn closes over, which the next optimiser step would otherwise use
    differentiable = [(y, u) for y, u in zip(first, upstream) if y.requires_grad]
    grads = run_backward([y for y, _ in differentiable], [u for _, u in differentiable],
                         inputs=[inputs[i] for i in checked], allow_unused=True)
    analytic = [np.zeros(inputs[i].shape) if g is None else backend.to_numpy(g.array) for i, g in zip(checked, grads)]

    for i, a in zip(checked, analytic):
        data = inputs[i].array
        numerical = np.zeros(data.shape)
        for idx in np.ndindex(*data.shape):
            orig = data[idx].item()
            data[idx] = orig + eps
            plus = objective()
            data[idx] = orig - eps
            minus = objective()
            data[idx] = orig
            numerical[idx] = (plus - minus) / (2 * eps)
        if not _agree(f"{what}: {label(i)} (shape {inputs[i].shape})", a, numerical, "analytic", "numerical",
                      atol, rtol, raise_exception):
            return False
    return True


def _agree(subject, a, reference, a_name, ref_name, atol, rtol, raise_exception):
    """True when |a - reference| <= atol + rtol * |reference| everywhere; else raise (or return False)
    naming the worst element."""
    excess = np.abs(a - reference) - (atol + rtol * np.abs(reference))
    excess = np.where(np.isnan(excess), np.inf, excess)  # a NaN gradient is a mismatch, not a pass
    if not (excess.size and excess.max() > 0):
        return True
    worst = np.unravel_index(np.argmax(excess), excess.shape)
    message = (f"{subject} disagrees at index {tuple(int(w) for w in worst)}: {a_name} {a[worst]:.10g}, "
               f"{ref_name} {reference[worst]:.10g}, |difference| {abs(a[worst] - reference[worst]):.3g} > "
               f"atol + rtol*|{ref_name}| = {atol + rtol * abs(reference[worst]):.3g} "
               f"({int((excess > 0).sum())} of {excess.size} elements disagree)")
    if raise_exception:
        raise GradcheckError(message)
    return False
