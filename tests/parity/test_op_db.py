"""tests/op_db.py's op samples in PyTorch and in minigrad: the same forward values and input gradients (float64,
random upstream gradient). Runs each GRADCHECK and GRADGRAD sample whose call is written with tensor methods and
operators only, so that the same call runs on either library's tensors (tinygrad's helper_test_op idea)."""
import numpy as np
import op_db
import pytest

from .compare import minigrad, torch
from .known import KNOWN_OPS

LIBRARY_NAMES = {"minigrad", "F", "ops", "nn"}  # a call that names one of these runs on minigrad only


def runs_on_both(fn):
    """A lambda of op_db whose names (and those of the op_db helpers it calls) name no library."""
    if getattr(fn, "__name__", "") != "<lambda>":
        return False  # minigrad.matmul and the like
    names = set(fn.__code__.co_names)
    for name in list(names):
        helper = getattr(op_db, name, None)
        if callable(helper) and hasattr(helper, "__code__"):
            names |= set(helper.__code__.co_names)
    return not names & LIBRARY_NAMES


def parity_params():
    seen, out = set(), []
    for check in (op_db.GRADCHECK, op_db.GRADGRAD):
        for op, sample, fn in op_db.samples(check):
            if id(sample) not in seen and runs_on_both(fn):
                seen.add(id(sample))
                name = f"{op.name}-{sample.id}-{check.name.lower()}"
                marks = ()
                if name in KNOWN_OPS:
                    marks = pytest.mark.xfail(strict=True, raises=RuntimeError, reason=KNOWN_OPS[name])
                out.append(pytest.param(fn, sample, id=name, marks=marks))
    return out


def run(lib, fn, arrays):
    """Forward values and input gradients of <u, fn(x)> for a fixed random u (None where an input is unused)."""
    inputs = [lib.tensor(a, requires_grad=True) for a in arrays]
    out = fn(*inputs)
    outs = tuple(out) if isinstance(out, (tuple, list)) else (out,)
    rng = np.random.default_rng(1)
    loss = sum((y * lib.tensor(rng.standard_normal(tuple(y.shape)))).sum() for y in outs)
    loss.backward()
    return [y.detach().numpy() for y in outs], [None if x.grad is None else x.grad.numpy() for x in inputs]


def test_most_samples_run_on_both():
    assert len(parity_params()) >= 100


@pytest.mark.parametrize("fn, sample", parity_params())
def test_op_sample_matches_pytorch(fn, sample):
    arrays = op_db.arrays(sample.inputs)
    (theirs, their_grads), (ours, our_grads) = run(torch, fn, arrays), run(minigrad, fn, arrays)
    assert len(ours) == len(theirs)
    for a, b in zip(ours, theirs):
        assert a.shape == b.shape and a.dtype == b.dtype
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)
    for a, b in zip(our_grads, their_grads):
        assert (a is None) == (b is None)
        if a is not None:
            np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)
