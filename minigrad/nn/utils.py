"""Gradient clipping (``torch.nn.utils``): rescale or clamp the ``.grad`` of parameters in place, after backward."""
import math

from minigrad import ops
from minigrad.checks import missing_names
from minigrad.core import Tensor, no_grad, tensor


def _grads(parameters, name):
    """The ``.grad`` of each parameter that has one (``parameters``: a tensor or an iterable of tensors)."""
    params = [parameters] if isinstance(parameters, Tensor) else list(parameters)
    for i, p in enumerate(params):
        if not isinstance(p, Tensor):
            raise TypeError(f"{name}: parameters must be tensors, got {type(p).__name__} at position {i}")
    return [p.grad for p in params if p.grad is not None]


def _vector_norm(g, p):
    """The p-norm of all elements of ``g`` as a 0-d tensor: max |g| (p = inf), min |g| (-inf), the count of
    non-zeros (p = 0), else (sum |g|^p)^(1/p)."""
    a = ops.abs(g.flatten() if g.ndim else g.reshape(1))
    if p == math.inf:
        return a.max() if a.numel() else a.sum()
    if p == -math.inf:
        return a.min()
    if p == 0:
        return (a != 0).sum().to(g.dtype)
    return (a ** p).sum() ** (1.0 / p)


def clip_grad_norm_(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False, foreach=None):
    """Scale all gradients by min(1, max_norm / (total_norm + 1e-6)), where total_norm is the ``norm_type``-norm
    of the per-parameter norms (the norm of all gradients joined into one vector); returns total_norm.

    Parameters without a gradient are skipped (none at all: a 0-d ``0.``). ``norm_type`` may be ``inf``.
    ``error_if_nonfinite=True`` raises RuntimeError when total_norm is NaN or infinite (else the gradients
    become NaN, as PyTorch). ``foreach`` (PyTorch's kernel choice) changes nothing here.
    """
    grads = _grads(parameters, "clip_grad_norm_")
    max_norm, norm_type = float(max_norm), float(norm_type)
    if not grads:
        return tensor(0.0)
    with no_grad():
        total = _vector_norm(ops.stack([_vector_norm(g, norm_type) for g in grads]), norm_type)
        if error_if_nonfinite and not math.isfinite(total.item()):
            raise RuntimeError(
                f"The total norm of order {norm_type} for gradients from `parameters` is non-finite, so it cannot be "
                "clipped. To disable this error and scale the gradients by the non-finite norm anyway, set "
                "`error_if_nonfinite=False`")
        coef = ops.clamp(max_norm / (total + 1e-6), max=1.0)
        for g in grads:
            g.mul_(coef.to(g.dtype))
    return total


def clip_grad_value_(parameters, clip_value, foreach=None):
    """Clamp every gradient into [-clip_value, clip_value] in place (parameters without one are skipped); None."""
    clip_value = float(clip_value)
    with no_grad():
        for g in _grads(parameters, "clip_grad_value_"):
            g.clamp_(-clip_value, clip_value)


__getattr__ = missing_names("minigrad.nn.utils", "torch.nn.utils")
