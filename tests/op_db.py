"""One table of minigrad's ops, PyTorch's OpInfo idea: each entry an op with its sample calls.

An ``OpInfo`` names an op, its default call on minigrad tensors, its in-place variant (with a NumPy
reference), a family for the tests that group ops so, and its samples. A sample ``S`` is one call:
its test id, its inputs (``A``: any values, ``P``: positive, for log, sqrt, pow bases; ``Z``: away
from 0, for kinks and divisors; ``W``: wide; ``U``: in [0, 1), for probabilities; ``G``: given
values), the call when it is not the op's default one, a NumPy reference of the forward, and the
checks it feeds:

- ``GRADCHECK``: forward against NumPy (the reference, else the call itself on arrays) and a float64
  gradcheck (tests/test_gradcheck.py);
- ``GRADGRAD``: gradcheck, gradgradcheck and the create_graph gradient equal to the fast path's
  (tests/test_ops_higher_order.py);
- ``THIRD``: third derivatives, gradgradcheck of the graph-built gradient (tests/test_ops_higher_order.py);
- ``GPU``: forward and gradients on CuPy equal to NumPy's, float32 and float64 (tests/test_gpu.py);
- ``VALUES``: forward against the NumPy reference to 1e-12, gradcheck and gradgradcheck
  (tests/test_pytorch_extras.py, by family: activations, losses, rearranging ops);
- ``INPUT_NOT_SAVED``, ``INPUT_SAVED``, ``OUTPUT_SAVED``: what the op's backward reads, so whether an
  in-place change of its input or output before the backward is allowed or raises the version error
  (tests/test_ops_higher_order.py).

Every GRADCHECK and GRADGRAD sample whose call uses only tensor methods and operators also runs in
PyTorch (tests/parity/test_op_db.py). tests/test_properties.py draws its broadcasting binary ops
(``vjp``: the NumPy gradient of each input) from here, and the in-place math test the ops that have
an in-place variant. A new op gets an entry here with at least a GRADCHECK and a GRADGRAD sample.
"""
import enum
import math
from dataclasses import dataclass

import numpy as np

import minigrad
from minigrad import ops
from minigrad.nn import functional as F


class Check(enum.Flag):
    GRADCHECK = enum.auto()
    GRADGRAD = enum.auto()
    THIRD = enum.auto()
    GPU = enum.auto()
    VALUES = enum.auto()
    INPUT_NOT_SAVED = enum.auto()
    INPUT_SAVED = enum.auto()
    OUTPUT_SAVED = enum.auto()


GRADCHECK, GRADGRAD, THIRD, GPU, VALUES = Check.GRADCHECK, Check.GRADGRAD, Check.THIRD, Check.GPU, Check.VALUES
INPUT_NOT_SAVED, INPUT_SAVED, OUTPUT_SAVED = Check.INPUT_NOT_SAVED, Check.INPUT_SAVED, Check.OUTPUT_SAVED


@dataclass(frozen=True)
class Input:
    shape: tuple
    domain: str = "any"
    given: object = None


def A(*shape):
    return Input(shape)


def P(*shape):
    return Input(shape, "positive")


def Z(*shape):
    return Input(shape, "away_from_zero")


def W(*shape):
    return Input(shape, "wide")


def U(*shape):
    return Input(shape, "unit")


def G(values):
    return Input(np.shape(values), "given", np.asarray(values, dtype=np.float64))


def array(spec, rng):
    """A float64 NumPy input drawn for ``spec`` (its given values, if any)."""
    x = rng.standard_normal(spec.shape)
    if spec.domain == "given":
        return spec.given.copy()
    if spec.domain == "positive":
        return np.abs(x) + 0.5
    if spec.domain == "away_from_zero":
        return np.sign(x) * (np.abs(x) + 0.2)
    if spec.domain == "wide":
        return 2 * x
    if spec.domain == "unit":
        return rng.uniform(0, 1, spec.shape)
    return x


def arrays(inputs, seed=0):
    rng = np.random.default_rng(seed)
    return [array(spec, rng) for spec in inputs]


@dataclass(frozen=True)
class S:
    """One sample call of an op: test id, input specs, the checks it feeds, its call (None: the op's), reference."""
    id: str
    inputs: tuple
    checks: Check
    fn: object = None
    ref: object = None


@dataclass(frozen=True)
class OpInfo:
    name: str
    op: object                  # the default call on minigrad tensors
    samples: tuple = ()
    inplace: tuple = None       # (method name, NumPy reference), e.g. ("exp_", np.exp)
    family: str = ""            # "activation", "loss", "rearrange": the tests of tests/test_pytorch_extras.py
    vjp: object = None          # NumPy (inputs..., u) -> input gradients, for tests/test_properties.py


def samples(check, family=None):
    """[(op, sample, its call)] of every sample that feeds ``check`` (of one family, if given)."""
    return [(op, s, s.fn or op.op) for op in OPS for s in op.samples
            if check in s.checks and (family is None or op.family == family)]


def params(check, family=None):
    """pytest parameters (call, sample), one per sample that feeds ``check``, with the sample's id."""
    import pytest
    return [pytest.param(fn, s, id=s.id) for _, s, fn in samples(check, family)]


def sq(t):
    """t * t: makes a linear op's second derivative non-zero, so its backward_graph is differentiated."""
    return t * t


def _written(a, v, w):
    """t[key] = v recorded (IndexPut): gradients to v and to the unwritten part of t, at every order."""
    y = a * a
    y[minigrad.tensor([2, 0])] = v.sin()
    y[1, 1:3] = w * w
    return y * a


def _copied(a, v):
    y = a.sin()
    y.copy_(v * v)  # broadcast (4,) -> (3, 4); y's former values no longer matter
    return y * a


def _sigmoid(x):
    return 1 / (1 + np.exp(-x))


def _np_erf(a):
    return np.vectorize(math.erf)(a)


def _huber(d, delta):
    return np.where(np.abs(d) < delta, 0.5 * d * d, delta * (np.abs(d) - 0.5 * delta))


def _np_bce(p, t):
    return -(t * np.maximum(np.log(p), -100) + (1 - t) * np.maximum(np.log1p(-p), -100))


def _np_bce_logits(x, t, pos_weight):
    log_sig, log_one_minus = -np.logaddexp(0, -x), -np.logaddexp(0, x)
    return -(pos_weight * t * log_sig + (1 - t) * log_one_minus)


OPS = [
    OpInfo("add", lambda a, b: a + b, vjp=lambda a, b, u: (u, u), samples=(
        S("add", (A(3, 4), A(3, 4)), GRADCHECK),
        S("add_(3,1)+(1,4)", (A(3, 1), A(1, 4)), GRADCHECK),
        S("add_0d+(3,)", (A(), A(3)), GRADCHECK),
        S("x+1", (A(3, 4),), GRADCHECK, fn=lambda x: x + 1),
        S("add", (A(3, 4), A(4)), GRADGRAD, fn=lambda a, b: sq(a + b)),
        S("add_scalar", (A(3, 4),), GRADGRAD, fn=lambda a: sq(a + 2.0)),
        S("add_sub_alpha", (A(3, 4), A(4)), GRADGRAD,
          fn=lambda a, b: sq(minigrad.add(a, b, alpha=2.0) - a.sub(b, alpha=0.5))),
        S("add", (A(3, 4), A(4)), GPU),
        S("add", (P(3),), INPUT_NOT_SAVED, fn=lambda x: x + 1),
    )),
    OpInfo("sub", lambda a, b: a - b, vjp=lambda a, b, u: (u, -u), samples=(
        S("sub", (A(3, 4), A(3, 4)), GRADCHECK),
        S("sub_(1,4)-(3,1)", (A(1, 4), A(3, 1)), GRADCHECK),
        S("2.0-x", (A(3, 4),), GRADCHECK, fn=lambda x: 2.0 - x),
        S("x-2.0", (A(3, 4),), GRADCHECK, fn=lambda x: x - 2.0),
        S("sub", (A(3, 1), A(1, 4)), GRADGRAD, fn=lambda a, b: sq(a - b)),
        S("rsub", (A(3, 4),), GRADGRAD, fn=lambda a: sq(1.0 - a)),
        S("sub", (A(3, 1), A(1, 4)), GPU),
        S("sub", (P(3),), INPUT_NOT_SAVED, fn=lambda x: x - 1),
    )),
    OpInfo("mul", lambda a, b: a * b, vjp=lambda a, b, u: (u * b, u * a), samples=(
        S("mul", (A(3, 4), A(3, 4)), GRADCHECK),
        S("mul_(4,)*(3,4)", (A(4), A(3, 4)), GRADCHECK),
        S("mul_(3,4)*(4,)", (A(3, 4), A(4)), GRADCHECK),
        S("3.0*x", (A(3, 4),), GRADCHECK, fn=lambda x: 3.0 * x),
        S("mul", (A(3, 4), A(3, 1)), GRADGRAD),
        S("mul_self", (A(3, 4),), GRADGRAD, fn=lambda a: a * a * a),
        S("mul", (A(2, 3, 4), A(3, 4)), GPU),
        S("mul", (P(3),), INPUT_SAVED, fn=lambda x: x * x),
    )),
    OpInfo("div", lambda a, b: a / b, vjp=lambda a, b, u: (u / b, -u * a / (b * b)), samples=(
        S("div", (A(3, 4), Z(3, 4)), GRADCHECK),
        S("div_(3,4)/(4,)", (A(3, 4), Z(4)), GRADCHECK),
        S("div_(4,)/(2,3,4)", (A(4), Z(2, 3, 4)), GRADCHECK),
        S("1/x", (Z(3, 4),), GRADCHECK, fn=lambda x: 1 / x),
        S("x/3", (A(3, 4),), GRADCHECK, fn=lambda x: x / 3),
        S("div", (A(3, 4), P(4)), GRADGRAD),
        S("rdiv", (P(3, 4),), GRADGRAD, fn=lambda a: 2.0 / a),
        S("div", (A(3, 4), A(3, 4)), GPU, fn=lambda a, b: a / (b * b + 1)),
        S("div", (P(3),), OUTPUT_SAVED, fn=lambda x: x / 2.0),
    )),
    OpInfo("pow", lambda x: x ** 2, samples=(
        S("x**2", (A(3, 4),), GRADCHECK),
        S("x**3.0", (A(3, 4),), GRADCHECK, fn=lambda x: x ** 3.0),
        S("x**0.5", (P(3, 4),), GRADCHECK, fn=lambda x: x ** 0.5),
        S("x**-1.5", (P(3, 4),), GRADCHECK, fn=lambda x: x ** -1.5),
        S("x**y", (P(3, 4), A(3, 4)), GRADCHECK, fn=lambda x, y: x ** y),
        S("x**y_broadcast", (P(3, 1), A(4)), GRADCHECK, fn=lambda x, y: x ** y),
        S("2.0**x", (A(3, 4),), GRADCHECK, fn=lambda x: 2.0 ** x),
        S("pow_scalar", (A(3, 4),), GRADGRAD, fn=lambda a: a ** 3),
        S("pow_fraction", (P(3, 4),), GRADGRAD, fn=lambda a: a ** 2.5),
        S("pow_tensors", (P(3, 4), A(1, 4)), GRADGRAD, fn=lambda a, b: a ** b),
        S("rpow", (A(3, 4),), GRADGRAD, fn=lambda b: 2.0 ** b),
        S("pow_tensors", (P(2, 3), A(3)), THIRD, fn=lambda a, b: a ** b),
        S("pow", (A(3, 4),), GPU, fn=lambda a: (a * a + 1) ** 1.5),
        S("pow", (P(3),), INPUT_SAVED, fn=lambda x: x ** 2),
    )),
    OpInfo("matmul", lambda a, b: a @ b, samples=(
        S("matmul_2d", (A(2, 3), A(3, 4)), GRADCHECK),
        S("matmul_1d@2d", (A(3), A(3, 4)), GRADCHECK),
        S("matmul_2d@1d", (A(2, 3), A(3)), GRADCHECK),
        S("matmul_1d@1d", (A(3), A(3)), GRADCHECK),
        S("matmul_batched", (A(2, 3, 4), A(2, 4, 2)), GRADCHECK),
        S("matmul_batch_broadcast", (A(2, 1, 3, 4), A(3, 4, 2)), GRADCHECK),
        S("matmul_2d@batched", (A(3, 4), A(2, 4, 2)), GRADCHECK),
        S("matmul_1d@batched", (A(4), A(2, 4, 3)), GRADCHECK),
        S("matmul_batched@1d", (A(2, 3, 4), A(4)), GRADCHECK),
        S("minigrad.matmul", (A(2, 3), A(3, 4)), GRADCHECK, fn=minigrad.matmul, ref=np.matmul),
        S("matmul", (A(3, 4), A(4, 2)), GRADGRAD),
        S("matmul_self", (A(3, 3),), GRADGRAD, fn=lambda a: a @ a),
        S("matmul_vec_mat", (A(4), A(4, 2)), GRADGRAD),
        S("matmul_mat_vec", (A(3, 4), A(4)), GRADGRAD),
        S("matmul_vec_vec", (A(4), A(4)), GRADGRAD),
        S("matmul_batched_broadcast", (A(2, 3, 4), A(4, 2)), GRADGRAD),
        S("matmul_batch_vec", (A(4), A(2, 4, 3)), GRADGRAD),
        S("matmul", (A(2, 3), A(3, 3)), THIRD, fn=lambda a, b: (a @ b) * (a @ b) @ b.T),
        S("matmul", (A(2, 3, 4), A(4, 5)), GPU),
        S("matmul", (P(3),), INPUT_SAVED, fn=lambda x: x @ x),
    )),
    OpInfo("neg", lambda x: -x, inplace=("neg_", np.negative), samples=(
        S("neg", (A(3, 4),), GRADCHECK),
        S("neg", (A(3, 4),), GRADGRAD, fn=lambda a: sq(-a)),
        S("neg", (P(3),), INPUT_NOT_SAVED, fn=lambda x: -x),
    )),
    OpInfo("exp", lambda x: x.exp(), inplace=("exp_", np.exp), samples=(
        S("exp", (A(3, 4),), GRADCHECK | GRADGRAD, ref=np.exp),
        S("exp", (A(2, 3),), THIRD, fn=lambda a: a.exp()),
        S("exp", (P(3),), INPUT_NOT_SAVED, fn=lambda x: x.exp()),
        S("exp", (P(3),), OUTPUT_SAVED, fn=lambda x: x.exp()),
    )),
    OpInfo("log", lambda x: x.log(), inplace=("log_", np.log), samples=(
        S("log", (P(3, 4),), GRADCHECK | GRADGRAD, ref=np.log),
        S("log", (P(3),), INPUT_SAVED, fn=lambda x: x.log()),
    )),
    OpInfo("sqrt", lambda x: x.sqrt(), inplace=("sqrt_", np.sqrt), samples=(
        S("sqrt", (P(3, 4),), GRADCHECK | GRADGRAD, ref=np.sqrt),
        S("sqrt", (P(3),), INPUT_NOT_SAVED, fn=lambda x: x.sqrt()),
        S("sqrt", (P(3),), OUTPUT_SAVED, fn=lambda x: x.sqrt()),
    )),
    OpInfo("sigmoid", lambda x: x.sigmoid(), inplace=("sigmoid_", lambda a: 1 / (1 + np.exp(-a))), samples=(
        S("sigmoid", (A(3, 4),), GRADCHECK | GRADGRAD, ref=_sigmoid),
        S("sigmoid_large", (A(3, 4),), GRADCHECK,
          fn=lambda x: minigrad.sigmoid(x * 30.0),
          ref=lambda x: _sigmoid(x * 30.0)),
        S("sigmoid", (A(2, 3),), THIRD, fn=lambda a: a.sigmoid()),
        S("sigmoid", (A(4, 5),), GPU, fn=lambda a: a.sigmoid()),
        S("sigmoid", (P(3),), INPUT_NOT_SAVED, fn=lambda x: x.sigmoid()),
        S("sigmoid", (P(3),), OUTPUT_SAVED, fn=lambda x: x.sigmoid()),
    )),
    OpInfo("tanh", lambda x: x.tanh(), inplace=("tanh_", np.tanh), samples=(
        S("tanh", (A(3, 4),), GRADCHECK | GRADGRAD, ref=np.tanh),
        S("tanh", (A(2, 3),), THIRD, fn=lambda a: a.tanh()),
        S("tanh", (P(3),), INPUT_NOT_SAVED, fn=lambda x: x.tanh()),
        S("tanh", (P(3),), OUTPUT_SAVED, fn=lambda x: x.tanh()),
    )),
    OpInfo("relu", lambda x: x.relu(), samples=(
        S("relu", (Z(3, 4),), GRADCHECK, ref=lambda x: np.maximum(x, 0)),
        S("relu", (Z(3, 4),), GRADGRAD, fn=lambda a: sq(a.relu())),
        S("relu", (P(3),), INPUT_NOT_SAVED, fn=lambda x: x.relu()),
    )),
    # compositions: ops checked where their upstream gradient is not a leaf's
    OpInfo("composite", None, samples=(
        S("functional_exp_log", (A(3, 4),), GRADCHECK,
          fn=lambda x: minigrad.log(minigrad.exp(x) + minigrad.sqrt(x * x + 1.0)),
          ref=lambda x: np.log(np.exp(x) + np.sqrt(x * x + 1.0))),
        S("composite", (A(3, 2), P(2, 4)), GRADCHECK,
          fn=lambda a, b: ((a @ b).tanh() * a.sum(dim=1, keepdim=True)).max(dim=0).values / b.mean(),
          ref=lambda a, b: (np.tanh(a @ b) * a.sum(axis=1, keepdims=True)).max(axis=0) / b.mean()),
        S("composite", (A(3, 2), A(2, 4)), GRADGRAD,
          fn=lambda a, b: ((a @ b).tanh() * a.sum()).sigmoid() / b.exp().mean()),
        S("div_log", (P(2, 3), P(3)), THIRD, fn=lambda a, b: (a / b).log()),
        S("exp_log_sqrt", (A(5, 6),), GPU, fn=lambda a: ((a.exp() + 1).log() + (a * a + 1).sqrt())),
        S("tanh_relu", (A(4, 5),), GPU, fn=lambda a: a.tanh() + a.relu()),
        S("reductions", (A(6, 3),), GPU, fn=lambda a: a.sum(dim=0) + a.mean(axis=0) + a.amax(0) + a.max(dim=0).values),
        S("shape", (A(2, 3, 4),), GPU, fn=lambda a: a.reshape(4, 6).T.transpose(1, 0)[1:3, ::2]),
        S("cat_stack", (A(2, 3), A(2, 3)), GPU,
          fn=lambda a, b: minigrad.cat([a, b], axis=0) + minigrad.stack([a, b]).sum(axis=0).sum(axis=0)),
    )),
    OpInfo("reshape", lambda x: x.reshape(6, 4), samples=(
        S("reshape", (A(2, 3, 4),), GRADCHECK),
        S("reshape_tuple", (A(2, 3, 4),), GRADCHECK, fn=lambda x: x.reshape((4, 6))),
        S("reshape_-1", (A(2, 3, 4),), GRADCHECK, fn=lambda x: x.reshape(4, -1, 2)),
        S("reshape_flat", (A(2, 3, 4),), GRADCHECK, fn=lambda x: x.reshape(-1)),
        S("reshape", (A(2, 3, 4),), GRADGRAD, fn=lambda a: sq(a.reshape(4, 6))),
        S("reshape", (P(3),), INPUT_NOT_SAVED, fn=lambda x: x.reshape(-1)),
    )),
    OpInfo("view", lambda x: x.view(3, 8), samples=(
        S("view", (A(2, 3, 4),), GRADCHECK, ref=lambda x: x.reshape(3, 8)),
        S("view", (A(2, 3, 4),), GRADGRAD, fn=lambda a: sq(a.view(-1, 4))),
    )),
    OpInfo("flatten", lambda x: x.flatten(1), samples=(
        S("flatten", (A(2, 3, 4),), GRADCHECK, ref=lambda x: x.reshape(2, 12)),
        S("flatten", (A(2, 3, 4),), GRADGRAD, fn=lambda a: sq(a.flatten(1))),
    )),
    OpInfo("permute", lambda x: x.permute(1, 2, 0), samples=(
        S("permute", (A(2, 3, 4),), GRADCHECK, ref=lambda x: x.transpose(1, 2, 0)),
        S("permute_tuple", (A(2, 3, 4),), GRADCHECK,
          fn=lambda x: x.permute((2, 0, 1)),
          ref=lambda x: x.transpose(2, 0, 1)),
        S("permute_negative", (A(2, 3, 4),), GRADCHECK,
          fn=lambda x: x.permute(-1, 0, 1),
          ref=lambda x: x.transpose(2, 0, 1)),
        S("permute", (A(2, 3, 4),), GRADGRAD, fn=lambda a: sq(a.permute(2, 0, 1))),
    )),
    OpInfo("transpose", lambda x: x.transpose(0, 2), samples=(
        S("transpose_swaps_two_dims", (A(2, 3, 4),), GRADCHECK, ref=lambda x: x.transpose(2, 1, 0)),
        S("minigrad.transpose", (A(3, 4),), GRADCHECK, fn=lambda x: minigrad.transpose(x, 1, 0), ref=lambda x: x.T),
        S("transpose", (A(2, 3, 4),), GRADGRAD, fn=lambda a: sq(a.transpose(0, 2))),
    )),
    OpInfo("T", lambda x: x.T, samples=(
        S(".T", (A(3, 4),), GRADCHECK),
        S("T", (A(3, 4),), GRADGRAD, fn=lambda a: sq(a.T)),
    )),
    OpInfo("getitem", lambda x: x[1], samples=(
        S("getitem_int", (A(3, 4),), GRADCHECK),
        S("getitem_negative_int", (A(3, 4),), GRADCHECK, fn=lambda x: x[-1, 2]),
        S("getitem_slices", (A(3, 4),), GRADCHECK, fn=lambda x: x[:, 1:3]),
        S("getitem_step", (A(3, 4),), GRADCHECK, fn=lambda x: x[::2, 1::2]),  # a negative step: ValueError, as PyTorch
        S("getitem_none", (A(3, 4),), GRADCHECK, fn=lambda x: x[None, 1, :, None]),
        S("getitem_ellipsis", (A(2, 3, 4),), GRADCHECK, fn=lambda x: x[..., 0]),
        # integer arrays with repeated indices: the gradient must scatter-add
        S("getitem_list_repeats", (A(3, 4),), GRADCHECK, fn=lambda x: x[[0, 0, 2, 0]]),
        S("getitem_array_repeats", (A(3, 4),), GRADCHECK, fn=lambda x: x[np.array([1, 1, 1, 0])]),
        S("getitem_tensor_repeats", (A(3, 4),), GRADCHECK,
          fn=lambda x: x[minigrad.tensor([2, 2, 0])],
          ref=lambda x: x[np.array([2, 2, 0])]),
        S("getitem_pairs_repeats", (A(3, 4),), GRADCHECK, fn=lambda x: x[[0, 2, 0, 0], [1, 3, 1, 1]]),
        S("getitem_mixed_repeats", (A(3, 4),), GRADCHECK, fn=lambda x: x[[1, 1], 1:3]),
        S("getitem_2d_index", (A(3, 4),), GRADCHECK, fn=lambda x: x[np.array([[0, 1], [1, 1]])]),
        S("getitem_slices", (A(3, 4),), GRADGRAD, fn=lambda a: sq(a[:, 1:3])),
        S("getitem_repeats", (A(3, 4),), GRADGRAD, fn=lambda a: sq(a[[0, 0, 2]])),
        S("getitem_repeated", (A(3, 4),), GPU, fn=lambda a: a[np.array([0, 2, 2, 1])]),
        S("getitem", (P(3),), INPUT_NOT_SAVED, fn=lambda x: x[0]),
    )),
    OpInfo("cat", lambda a, b, c: minigrad.cat([a, b, c]), samples=(
        S("cat_axis0", (A(1, 3), A(2, 3), A(3, 3)), GRADCHECK, ref=lambda a, b, c: np.concatenate([a, b, c])),
        S("cat_axis1", (A(2, 3), A(2, 1)), GRADCHECK,
          fn=lambda a, b: minigrad.cat([a, b], axis=1),
          ref=lambda a, b: np.concatenate([a, b], 1)),
        S("cat_axis-1", (A(2, 2, 1), A(2, 2, 3)), GRADCHECK,
          fn=lambda a, b: minigrad.cat((a, b), axis=-1),
          ref=lambda a, b: np.concatenate([a, b], -1)),
        S("cat", (A(2, 3), A(2, 1)), GRADGRAD, fn=lambda a, b: sq(minigrad.cat([a, b], 1))),
        S("cat_negative_dim", (A(2, 3), A(2, 1)), GRADGRAD, fn=lambda a, b: sq(minigrad.cat([a, b], dim=-1))),
        S("cat", (P(3),), INPUT_NOT_SAVED, fn=lambda x: minigrad.cat([x, x])),
    )),
    OpInfo("stack", lambda a, b, c: minigrad.stack([a, b, c]), samples=(
        S("stack_axis0", (A(2, 3), A(2, 3), A(2, 3)), GRADCHECK, ref=lambda a, b, c: np.stack([a, b, c])),
        S("stack_axis1", (A(2, 3), A(2, 3)), GRADCHECK,
          fn=lambda a, b: minigrad.stack([a, b], axis=1),
          ref=lambda a, b: np.stack([a, b], 1)),
        S("stack_axis-1", (A(2, 3), A(2, 3)), GRADCHECK,
          fn=lambda a, b: minigrad.stack([a, b], axis=-1),
          ref=lambda a, b: np.stack([a, b], -1)),
        S("stack", (A(2, 3), A(2, 3)), GRADGRAD, fn=lambda a, b: sq(minigrad.stack([a, b], 1))),
        S("stack_negative_dim", (A(2, 3), A(2, 3)), GRADGRAD, fn=lambda a, b: sq(minigrad.stack([a, b], dim=-1))),
        S("stack", (P(3),), INPUT_NOT_SAVED, fn=lambda x: minigrad.stack([x, x])),
    )),
    OpInfo("abs", lambda a: sq(a.abs()) * a, inplace=("abs_", np.abs), samples=(
        S("abs", (Z(3, 4),), GRADGRAD),
    )),
    OpInfo("clamp", lambda a: sq(a.clamp(-0.5, 0.7)) * a, samples=(
        S("clamp", (Z(3, 4),), GRADGRAD),
        S("clamp_min_only", (Z(3, 4),), GRADGRAD, fn=lambda a: sq(minigrad.clamp(a, min=0.1))),
        S("clamp_tensor_bounds", (A(3, 4), G([-0.4, 0.1, -1.3, 0.6]), G([[0.9], [-0.2], [1.4]])), GRADGRAD,
          fn=lambda a, lo, hi: sq(a.clamp(lo, hi)) * (a + lo + hi)),
    )),
    OpInfo("maximum", lambda a, b: sq(minigrad.maximum(a, b)), samples=(
        S("maximum", (A(3, 4), A(4)), GRADGRAD),
    )),
    OpInfo("minimum", lambda a, b: sq(minigrad.minimum(a, b)), samples=(
        S("minimum", (A(3, 1), A(3, 4)), GRADGRAD),
    )),
    OpInfo("where", lambda a, b: sq(minigrad.where(minigrad.tensor([True, False, True, False]), a, b)), samples=(
        S("where", (A(3, 4), A(3, 1)), GRADGRAD),
    )),
    OpInfo("square", lambda a: a.square() * a, inplace=("square_", np.square), samples=(
        S("square", (A(3, 4),), GRADGRAD),
    )),
    OpInfo("cast", lambda a: sq(ops.Cast(np.dtype("float64"))(a)), samples=(
        S("cast_same_dtype", (A(3, 4),), GRADGRAD),
        S("cast", (P(3),), INPUT_NOT_SAVED, fn=lambda x: x.to(minigrad.float32)),
    )),
    OpInfo("to", lambda a: sq(ops.ToDevice(minigrad.device("cpu"))(a)), samples=(
        S("to_device_cpu", (A(3, 4),), GRADGRAD),
    )),
    OpInfo("clone", lambda a: sq(a.clone()), samples=(
        S("clone", (A(3, 4),), GRADGRAD),
    )),
    OpInfo("sum", lambda a: sq(a.sum()), samples=(
        S("sum_all", (A(2, 3, 4),), GRADGRAD),
        S("sum_dim", (A(2, 3, 4),), GRADGRAD, fn=lambda a: sq(a.sum(1))),
        S("sum_dims_keepdim", (A(2, 3, 4),), GRADGRAD, fn=lambda a: sq(a.sum(dim=(0, 2), keepdim=True))),
        S("sum", (P(3),), INPUT_NOT_SAVED, fn=lambda x: x.sum()),
    )),
    OpInfo("mean", lambda a: sq(a.mean()), samples=(
        S("mean_all", (A(2, 3, 4),), GRADGRAD),
        S("mean_dim", (A(2, 3, 4),), GRADGRAD, fn=lambda a: sq(a.mean(-1))),
        S("mean", (P(3),), INPUT_NOT_SAVED, fn=lambda x: x.mean()),
    )),
    OpInfo("var", lambda a: a.var(dim=(0, 2)), samples=(
        S("var_unbiased", (A(2, 3, 4),), GRADGRAD),
        S("var_biased_keepdim", (A(2, 3, 4),), GRADGRAD, fn=lambda a: a.var(1, unbiased=False, keepdim=True)),
        S("var_correction_2", (A(2, 3, 4),), GRADGRAD, fn=lambda a: a.var(correction=2)),
        S("var", (A(3, 2),), THIRD, fn=lambda a: a.var(0)),
    )),
    OpInfo("std", lambda a: a.std(dim=-1), samples=(
        S("std", (A(2, 3, 4),), GRADGRAD),
    )),
    OpInfo("max", lambda a: sq(a.max()), samples=(
        S("max_all", (A(2, 3, 4),), GRADGRAD),
        S("max_dim_values", (A(2, 3, 4),), GRADGRAD, fn=lambda a: sq(a.max(dim=1).values)),
    )),
    OpInfo("min", lambda a: sq(a.min()), samples=(
        S("min_all", (A(2, 3, 4),), GRADGRAD),
        S("min_dim_keepdim", (A(2, 3, 4),), GRADGRAD, fn=lambda a: sq(a.min(0, keepdim=True).values)),
    )),
    OpInfo("amax", lambda a: sq(a.amax(dim=(0, 2))), samples=(
        S("amax_dims", (A(2, 3, 4),), GRADGRAD),
    )),
    OpInfo("amin", lambda a: sq(a.amin(-1, keepdim=True)), samples=(
        S("amin_dim", (A(2, 3, 4),), GRADGRAD),
    )),
    OpInfo("prod", lambda a: a.prod(), samples=(
        S("prod_all", (A(2, 3),), GRADGRAD),
        S("prod_dim", (A(2, 3, 2),), GRADGRAD, fn=lambda a: a.prod(1)),
        S("prod_with_zeros", (G([[0.0, 1.5, -2.0], [0.0, 0.0, 3.0], [1.2, 0.7, 2.0]]),), GRADGRAD,
          fn=lambda a: a.prod(dim=1, keepdim=True)),
        S("prod_with_a_zero", (G([[0.0, 1.5, -2.0, 0.5], [0.3, 0.0, 0.0, 3.0]]),), THIRD,
          fn=lambda a: a.prod(1)),
    )),
    OpInfo("logsumexp", lambda a: a.logsumexp(1), samples=(
        S("logsumexp", (A(2, 3, 4),), GRADGRAD),
        S("logsumexp_dims_keepdim", (A(2, 3, 4),), GRADGRAD, fn=lambda a: a.logsumexp((0, 2), keepdim=True)),
        S("logsumexp", (A(2, 3),), THIRD, fn=lambda a: a.logsumexp(-1)),
    )),
    OpInfo("squeeze", lambda a: sq(a.unsqueeze(1).squeeze(0)), samples=(
        S("squeeze_unsqueeze", (A(1, 3, 4),), GRADGRAD),
    )),
    OpInfo("expand", lambda a: sq(a.expand(2, 3, 4)), samples=(
        S("expand", (A(3, 1),), GRADGRAD),
    )),
    OpInfo("mT", lambda a: sq(a.mT), samples=(
        S("mT", (A(2, 3, 4),), GRADGRAD),
    )),
    OpInfo("broadcast_to", lambda a: sq(ops.BroadcastTo((2, 3, 4))(a)), samples=(
        S("broadcast_to", (A(3, 1),), GRADGRAD),
        S("broadcast_to", (P(3),), INPUT_NOT_SAVED, fn=lambda x: ops.BroadcastTo((2, 3))(x)),
    )),
    OpInfo("sum_to", lambda a: sq(ops.SumTo((3, 1))(a)), samples=(
        S("sum_to", (A(2, 3, 4),), GRADGRAD),
        S("sum_to", (P(3),), INPUT_NOT_SAVED, fn=lambda x: ops.SumTo((1,))(x)),
    )),
    OpInfo("cumsum", lambda a: sq(a.cumsum(1)), samples=(
        S("cumsum", (A(3, 4),), GRADGRAD),
        S("cumsum_negative_dim", (A(2, 3, 2),), GRADGRAD, fn=lambda a: sq(minigrad.cumsum(a, -3))),
    )),
    OpInfo("rounding", lambda a: a * (a.floor() + a.ceil() + a.round() + a.trunc() + a.sign()), samples=(
        S("rounding", (A(3, 4),), GRADGRAD),
        S("round_decimals", (A(3, 4),), GRADGRAD, fn=lambda a: a * a.round(decimals=1)),
    )),
    OpInfo("norm", lambda a: a.norm(), samples=(
        S("norm_all", (A(3, 4),), GRADGRAD),
        S("norm_dim_keepdim", (A(3, 4),), GRADGRAD, fn=lambda a: a.norm(dim=1, keepdim=True)),
        S("norm_p1", (Z(3, 4),), GRADGRAD, fn=lambda a: sq(a.norm(p=1, dim=0))),
        S("norm", (A(3, 2),), THIRD, fn=lambda a: a.norm(dim=0)),
    )),
    OpInfo("remainder", lambda a, b: sq(a % b), samples=(
        S("remainder", (A(3, 4), P(4)), GRADGRAD),
    )),
    OpInfo("floor_divide", lambda a, b: a * (a // b), samples=(
        S("floor_divide_is_flat", (A(3, 4), P(4)), GRADGRAD),
    )),
    OpInfo("unbind", lambda a: sq(a.unbind(1)[2]), samples=(
        S("unbind", (A(3, 4),), GRADGRAD),
    )),
    OpInfo("sin", lambda a: a.sin(), samples=(
        S("sin", (A(3, 4),), GRADGRAD),
        S("sin_cos", (A(2, 3),), THIRD, fn=lambda a: a.sin() * a.cos()),
    )),
    OpInfo("cos", lambda a: a.cos(), samples=(
        S("cos", (A(3, 4),), GRADGRAD),
    )),
    OpInfo("rsqrt", lambda a: a.rsqrt(), inplace=("rsqrt_", lambda a: 1 / np.sqrt(a)), samples=(
        S("rsqrt", (P(3, 4),), GRADGRAD),
    )),
    OpInfo("gather", lambda a: sq(a.gather(1, minigrad.tensor([[0, 0], [2, 1], [3, 3]]))), samples=(
        S("gather_repeated_indices", (A(3, 4),), GRADGRAD),
    )),
    OpInfo("masked_fill", lambda a: sq(a.masked_fill(minigrad.tensor([True, False, False, True]), 2.0)), samples=(
        S("masked_fill", (A(3, 4),), GRADGRAD),
    )),
    OpInfo("repeat", lambda a: sq(a.repeat(2, 1, 3)), samples=(
        S("repeat", (A(3, 2),), GRADGRAD),
    )),
    OpInfo("split", lambda a: sq(a.split([1, 3], dim=1)[1]) + sq(a.chunk(2)[1]).sum(), samples=(
        S("split_chunk", (A(4, 4),), GRADGRAD),
    )),
    OpInfo("mm", lambda a, b, c: sq(minigrad.mm(a, b)).sum() + sq(minigrad.bmm(c, c.mT)).sum()
     + minigrad.dot(a[0], b[:, 0]),
           samples=(
        S("mm_bmm_dot", (A(3, 4), A(4, 2), A(2, 3, 2)), GRADGRAD),
    )),
    OpInfo("sort", lambda a: sq(a.sort(dim=1).values) * a, samples=(
        S("sort_values", (A(3, 4),), GRADGRAD),
        S("sort_descending_dim0", (A(3, 4),), GRADGRAD, fn=lambda a: sq(minigrad.sort(a, 0, descending=True)[0])),
    )),
    OpInfo("argsort", lambda a: sq(a.gather(1, a.argsort(dim=1))), samples=(
        S("argsort_gather", (A(3, 4),), GRADGRAD),
    )),
    OpInfo("topk", lambda a: sq(a.topk(2).values) + a.topk(2, dim=0, largest=False)[0].sum(), samples=(
        S("topk_largest_and_smallest", (A(3, 4),), GRADGRAD),
    )),
    OpInfo("masked_select", lambda a: sq(minigrad.masked_select(a, minigrad.tensor([True, False, True, True]))),
           samples=(
        S("masked_select", (A(3, 4),), GRADGRAD),
    )),
    OpInfo("reciprocal", lambda a: a.reciprocal() * minigrad.reciprocal(a + 3.0),
           inplace=("reciprocal_", np.reciprocal), samples=(
        S("reciprocal", (Z(3, 4),), GRADGRAD),
    )),
    OpInfo("unflatten", lambda a: sq(a.unflatten(1, (2, 2))), samples=(
        S("unflatten", (A(3, 4),), GRADGRAD),
    )),
    OpInfo("index_put", lambda a, v, w: _written(a, v, w), samples=(
        S("index_put_rows_and_slice", (A(3, 4), A(2, 4), A(2)), GRADGRAD),
    )),
    OpInfo("copy_", lambda a, v: _copied(a, v), samples=(
        S("copy_recorded", (A(3, 4), A(4)), GRADGRAD),
    )),
    OpInfo("linear", lambda x, w, b: F.linear(x, w, b), samples=(
        S("linear", (A(5, 4), A(3, 4), A(3)), GPU),
    )),
    OpInfo("conv2d", lambda x, w, b: F.conv2d(x, w, b, stride=2, padding=1), samples=(
        S("conv2d", (A(2, 3, 7, 9), A(4, 3, 3, 2), A(4)), GPU),
    )),
    OpInfo("avg_pool2d", lambda x: F.avg_pool2d(x, 3, stride=2, padding=1), samples=(
        S("avg_pool", (A(2, 3, 7, 8),), GPU),
    )),
    OpInfo("max_pool2d", lambda x: F.max_pool2d(x, 2), samples=(
        S("max_pool", (A(2, 3, 6, 8),), GPU),
    )),
    OpInfo("batch_norm", lambda x, g, b: F.BatchNormFunction()(x, g, b), samples=(
        S("batch_norm_2d", (A(8, 5), A(5), A(5)), GPU),
        S("batch_norm_4d", (A(4, 3, 5, 6), A(3), A(3)), GPU),
    )),
    OpInfo("cross_entropy", lambda z: F.cross_entropy(z, minigrad.tensor(np.array([0, 3, 1, 3]), device=z.device)),
           samples=(
        S("cross_entropy", (A(4, 5),), GPU),
    )),
    OpInfo("leaky_relu", lambda x: F.leaky_relu(x, 0.2), family="activation", samples=(
        S("leaky_relu", (A(12),), VALUES, ref=lambda a: np.where(a > 0, a, 0.2 * a)),
    )),
    OpInfo("elu", lambda x: F.elu(x, alpha=0.7), family="activation", samples=(
        S("elu", (A(12),), VALUES, ref=lambda a: np.where(a > 0, a, 0.7 * (np.exp(a) - 1))),
    )),
    OpInfo("silu", F.silu, family="activation", samples=(
        S("silu", (A(12),), VALUES, ref=lambda a: a / (1 + np.exp(-a))),
    )),
    OpInfo("gelu", F.gelu, family="activation", samples=(
        S("gelu", (A(12),), VALUES, ref=lambda a: 0.5 * a * (1 + _np_erf(a / np.sqrt(2)))),
        S("gelu_tanh", (A(12),), VALUES,
          fn=lambda x: F.gelu(x, approximate="tanh"),
          ref=lambda a: 0.5 * a * (1 + np.tanh(np.sqrt(2 / np.pi) * (a + 0.044715 * a ** 3)))),
    )),
    OpInfo("softplus", lambda x: F.softplus(x, beta=2.0, threshold=3.0), family="activation", samples=(
        S("softplus", (A(12),), VALUES, ref=lambda a: np.where(2 * a > 3, a, np.log1p(np.exp(2 * a)) / 2)),
    )),
    OpInfo("relu6", lambda x: F.relu6(x * 4), family="activation", samples=(
        S("relu6", (A(12),), VALUES, ref=lambda a: np.clip(4 * a, 0, 6)),
    )),
    OpInfo("normalize", lambda x: F.normalize(x.reshape(3, 4)), family="activation", samples=(
        S("normalize", (A(12),), VALUES,
          ref=lambda a: a.reshape(3, 4) / np.linalg.norm(a.reshape(3, 4), axis=1, keepdims=True)),
        S("normalize_p3_dim0", (A(12),), VALUES,
          fn=lambda x: F.normalize(x.reshape(3, 4), p=3, dim=0),
          ref=lambda a: a.reshape(3, 4) / (np.abs(a.reshape(3, 4)) ** 3).sum(0, keepdims=True) ** (1 / 3)),
    )),
    OpInfo("log1p", lambda x: minigrad.log1p(x * x), inplace=("log1p_", np.log1p), family="activation", samples=(
        S("log1p", (A(12),), VALUES, ref=lambda a: np.log1p(a * a)),
    )),
    OpInfo("erf", minigrad.erf, family="activation", samples=(
        S("erf", (A(12),), VALUES, ref=_np_erf),
    )),
    OpInfo("l1_loss", lambda x, t, r: F.l1_loss(x, t, reduction=r), family="loss", samples=(
        S("l1", (W(4, 3), U(4, 3)), VALUES, ref=lambda x, t: np.abs(x - t)),
        S("l1_weight", (W(4, 3), U(4, 3)), VALUES,
          fn=lambda x, t, r: F.l1_loss(x, t, reduction=r, weight=t * 2 + 0.5),
          ref=lambda x, t: np.abs(x - t) * (t * 2 + 0.5)),
    )),
    OpInfo("smooth_l1_loss", lambda x, t, r: F.smooth_l1_loss(x, t, reduction=r, beta=0.5), family="loss", samples=(
        S("smooth_l1", (W(4, 3), U(4, 3)), VALUES, ref=lambda x, t: _huber(x - t, 0.5) / 0.5),
    )),
    OpInfo("huber_loss", lambda x, t, r: F.huber_loss(x, t, reduction=r, delta=0.7), family="loss", samples=(
        S("huber", (W(4, 3), U(4, 3)), VALUES, ref=lambda x, t: _huber(x - t, 0.7)),
        S("huber_weight", (W(4, 3), U(4, 3)), VALUES,
          fn=lambda x, t, r: F.huber_loss(x, t, reduction=r, weight=t + 0.5),
          ref=lambda x, t: _huber(x - t, 1.0) * (t + 0.5)),
    )),
    OpInfo("binary_cross_entropy", lambda x, t, r: F.binary_cross_entropy(minigrad.sigmoid(x), t, reduction=r),
           family="loss", samples=(
        S("bce", (W(4, 3), U(4, 3)), VALUES, ref=lambda x, t: _np_bce(1 / (1 + np.exp(-x)), t)),
        S("bce_weight", (W(4, 3), U(4, 3)), VALUES,
          fn=lambda x, t, r: F.binary_cross_entropy(minigrad.sigmoid(x), t, weight=t + 1, reduction=r),
          ref=lambda x, t: _np_bce(1 / (1 + np.exp(-x)), t) * (t + 1)),
    )),
    OpInfo("binary_cross_entropy_with_logits", lambda x, t, r: F.binary_cross_entropy_with_logits(x, t, reduction=r),
           family="loss", samples=(
        S("bce_logits", (W(4, 3), U(4, 3)), VALUES, ref=lambda x, t: _np_bce_logits(x, t, 1.0)),
        S("bce_logits_weights", (W(4, 3), U(4, 3)), VALUES,
          fn=lambda x, t, r: F.binary_cross_entropy_with_logits(
            x, t, weight=minigrad.tensor([0.5, 2.0, 1.0], dtype=minigrad.float64), reduction=r,
            pos_weight=minigrad.tensor([3.0, 1.0, 0.2], dtype=minigrad.float64)),
          ref=lambda x, t: _np_bce_logits(x, t, np.array([3.0, 1.0, 0.2])) * np.array([0.5, 2.0, 1.0])),
    )),
    OpInfo("flip", lambda x: x.flip(0, 2), family="rearrange", samples=(
        S("flip", (A(2, 3, 4),), VALUES, ref=lambda a: a[::-1, :, ::-1]),
        S("flip_fn", (A(2, 3, 4),), VALUES, fn=lambda x: minigrad.flip(x, dims=[-1]), ref=lambda a: a[..., ::-1]),
    )),
    OpInfo("roll", lambda x: x.roll((1, -2), (0, 2)), family="rearrange", samples=(
        S("roll", (A(2, 3, 4),), VALUES, ref=lambda a: np.roll(a, (1, -2), (0, 2))),
        S("roll_flat", (A(2, 3, 4),), VALUES, fn=lambda x: minigrad.roll(x, 5), ref=lambda a: np.roll(a, 5)),
    )),
    OpInfo("narrow", lambda x: x.narrow(2, -3, 2), family="rearrange", samples=(
        S("narrow", (A(2, 3, 4),), VALUES, ref=lambda a: a[:, :, 1:3]),
    )),
    OpInfo("tile", lambda x: x.tile(2), family="rearrange", samples=(
        S("tile", (A(2, 3, 4),), VALUES, ref=lambda a: np.tile(a, 2)),
        S("tile_more", (A(2, 3, 4),), VALUES,
          fn=lambda x: minigrad.tile(x, (2, 1, 1, 2)),
          ref=lambda a: np.tile(a, (2, 1, 1, 2))),
    )),
    OpInfo("repeat_interleave", lambda x: x.repeat_interleave(2), family="rearrange", samples=(
        S("repeat_interleave", (A(2, 3, 4),), VALUES, ref=lambda a: np.repeat(a, 2)),
        S("repeat_interleave_dim", (A(2, 3, 4),), VALUES,
          fn=lambda x: x.repeat_interleave(minigrad.tensor([2, 0, 1]), dim=1),
          ref=lambda a: np.repeat(a, [2, 0, 1], axis=1)),
    )),
    OpInfo("hstack", lambda x: minigrad.hstack([x, x * 2]), family="rearrange", samples=(
        S("hstack", (A(2, 3, 4),), VALUES, ref=lambda a: np.hstack([a, a * 2])),
    )),
    OpInfo("vstack", lambda x: minigrad.vstack([x[0, 0], x[1]]), family="rearrange", samples=(
        S("vstack", (A(2, 3, 4),), VALUES, ref=lambda a: np.vstack([a[0, 0], a[1]])),
    )),
    OpInfo("pad", lambda x: F.pad(x, (1, 2, 0, 1), value=-1.5), family="rearrange", samples=(
        S("pad", (A(2, 3, 4),), VALUES, ref=lambda a: np.pad(a, ((0, 0), (0, 1), (1, 2)), constant_values=-1.5)),
        S("pad_crop", (A(2, 3, 4),), VALUES,
          fn=lambda x: F.pad(x, (-1, 2, 1, -2)),
          ref=lambda a: np.pad(a[:, :1, 1:], ((0, 0), (1, 0), (0, 2)))),
        S("pad_reflect", (A(2, 3, 4),), VALUES,
          fn=lambda x: F.pad(x, (3, 1, 2, 1), mode="reflect"),
          ref=lambda a: np.pad(a, ((0, 0), (2, 1), (3, 1)), mode="reflect")),
        S("pad_replicate", (A(2, 3, 4),), VALUES,
          fn=lambda x: F.pad(x, (5, 0), mode="replicate"),
          ref=lambda a: np.pad(a, ((0, 0), (0, 0), (5, 0)), mode="edge")),
        S("pad_circular", (A(2, 3, 4),), VALUES,
          fn=lambda x: F.pad(x, (-1, 2, 1, 1), mode="circular"),
          ref=lambda a: np.pad(a[:, :, 1:], ((0, 0), (1, 1), (0, 2)), mode="wrap")),
    )),
]
