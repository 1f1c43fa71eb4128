"""Gradient checking: analytic gradients against central finite differences, in float64."""
import numpy as np

from minigrad import backend
from minigrad.core import Tensor


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
    ``raise_exception=False``; return True when all match.
    """
    inputs = (inputs,) if isinstance(inputs, Tensor) else tuple(inputs)
    checked = [i for i, x in enumerate(inputs) if isinstance(x, Tensor) and x.requires_grad]
    if not checked:
        raise ValueError("gradcheck: no input requires grad, so there is nothing to check")
    for i in checked:
        if inputs[i].dtype != np.float64:
            raise TypeError(f"gradcheck: input {i} is {inputs[i].dtype}; finite differences need float64 "
                            "(create it with dtype=minigrad.float64)")

    def outputs():
        out = fn(*inputs)
        return tuple(out) if isinstance(out, (tuple, list)) else (out,)

    rng = np.random.default_rng(seed)
    first = outputs()
    upstream = [backend.to_device(rng.standard_normal(y.shape), y.device).astype(y.dtype) for y in first]

    def objective():
        # grad mode stays as the caller set it: some functions (the seed's batch_norm) switch on it
        return float(sum(float((y.array * u).sum()) for y, u in zip(outputs(), upstream)))

    saved_grads = [inputs[i].grad for i in checked]
    for i in checked:
        inputs[i].grad = None
    differentiable = [(y, u) for y, u in zip(first, upstream) if y.requires_grad]
    for k, (y, u) in enumerate(differentiable):
        y.backward(u, retain_graph=k < len(differentiable) - 1)
    analytic = [backend.to_numpy(inputs[i].grad.array) if inputs[i].grad is not None
                else np.zeros(inputs[i].shape) for i in checked]
    for i, g in zip(checked, saved_grads):
        inputs[i].grad = g

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
        excess = np.abs(a - numerical) - (atol + rtol * np.abs(numerical))
        excess = np.where(np.isnan(excess), np.inf, excess)  # a NaN gradient is a mismatch, not a pass
        if excess.size and excess.max() > 0:
            worst = np.unravel_index(np.argmax(excess), excess.shape)
            message = (f"gradcheck: gradient of input {i} (shape {inputs[i].shape}) disagrees at index "
                       f"{tuple(int(w) for w in worst)}: analytic {a[worst]:.10g}, numerical {numerical[worst]:.10g}, "
                       f"|difference| {abs(a[worst] - numerical[worst]):.3g} > atol + rtol*|numerical| = "
                       f"{atol + rtol * abs(numerical[worst]):.3g} "
                       f"({int((excess > 0).sum())} of {excess.size} elements disagree)")
            if raise_exception:
                raise GradcheckError(message)
            return False
    return True
