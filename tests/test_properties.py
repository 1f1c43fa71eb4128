"""Property-based tests (hypothesis): broadcasting, reductions and shape ops against NumPy, with PyTorch's API.

Random shapes (size-0 dimensions included), dims (negative ones included), keepdim and dtypes
(float32, float64). Values and gradients are checked: the gradient of L = sum(u * f(x)) for a
random u. For the shape ops, which only move elements, the reference gradient comes from
applying the same op to an array of element indices: each output position names the input
element it came from, and that element's gradient is the sum of u over those positions.
"""
import numpy as np
import op_db
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import minigrad

pytestmark = pytest.mark.filterwarnings("ignore:Mean of empty slice", "ignore:invalid value encountered")

PROPERTY = settings(max_examples=40, deadline=None, derandomize=True)
DTYPES = st.sampled_from([np.float32, np.float64])
SHAPES = hnp.array_shapes(min_dims=0, max_dims=4, min_side=0, max_side=4)


def values(shape, dtype, seed):
    """Distinct random values (no ties, so max/argmax are well defined), away from 0 (for division)."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(0.5, 2.0, shape) * rng.choice([-1.0, 1.0], shape)
    return x.astype(dtype)


def leaf(array):
    return minigrad.tensor(array, requires_grad=True)


def tolerance(dtype):
    return dict(rtol=1e-5, atol=1e-5) if dtype == np.float32 else dict(rtol=1e-12, atol=1e-12)


def sum_to(g, shape):
    """Sum ``g`` over the axes that broadcasting added or stretched, down to ``shape`` (NumPy reference)."""
    g = g.sum(axis=tuple(range(g.ndim - len(shape))))
    return g.sum(axis=tuple(i for i, n in enumerate(shape) if n == 1 and g.shape[i] != 1), keepdims=True)


def backward(out, seed):
    """Backpropagate a random upstream gradient u through ``out``; returns u."""
    u = values(out.shape, out.dtype, seed + 1)
    out.backward(minigrad.tensor(u))
    return u


def moved_gradient(op, shape, u):
    """The gradient of sum(u * op(x)) w.r.t. x for an op that only moves (or repeats) elements of x."""
    index = np.arange(int(np.prod(shape))).reshape(shape)
    source = np.asarray(op(index))
    return np.bincount(source.ravel(), weights=u.astype(np.float64).ravel(),
                       minlength=index.size).reshape(shape)


def dims(ndim):
    """A valid dim in [-ndim, ndim), for a tensor with at least one dim."""
    return st.integers(-ndim, ndim - 1)


# ---------------------------------------------------------------------------
# Broadcasting binary ops and their gradients

OPS = {op.name: (op.op, op.vjp) for op in op_db.OPS if op.vjp}  # the broadcasting binary ops: add, sub, mul, div


@PROPERTY
@given(shapes=hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=4, min_side=0, max_side=3),
       op=st.sampled_from(sorted(OPS)), dtype=DTYPES, seed=st.integers(0, 2 ** 16))
def test_binary_ops_broadcast_as_numpy_with_gradients(shapes, op, dtype, seed):
    (sa, sb), result_shape = shapes.input_shapes, shapes.result_shape
    forward, grads = OPS[op]
    a_np, b_np = values(sa, dtype, seed), values(sb, dtype, seed + 7)
    a, b = leaf(a_np), leaf(b_np)
    out = forward(a, b)
    assert out.shape == result_shape and out.dtype == dtype
    np.testing.assert_allclose(out.numpy(), forward(a_np, b_np), **tolerance(dtype))
    u = backward(out, seed)
    ga, gb = grads(a_np.astype(np.float64), b_np.astype(np.float64), u.astype(np.float64))
    assert a.grad.shape == sa and b.grad.shape == sb
    assert a.grad.dtype == dtype and b.grad.dtype == dtype
    np.testing.assert_allclose(a.grad.numpy(), sum_to(np.broadcast_to(ga, result_shape), sa), **tolerance(dtype))
    np.testing.assert_allclose(b.grad.numpy(), sum_to(np.broadcast_to(gb, result_shape), sb), **tolerance(dtype))


@PROPERTY
@given(shape=SHAPES, scalar=st.floats(-3, 3).filter(lambda v: abs(v) > 0.1), dtype=DTYPES, seed=st.integers(0, 99))
def test_a_python_number_keeps_the_tensors_dtype(shape, scalar, dtype, seed):
    # PyTorch: a Python float does not promote a float32 tensor
    x = minigrad.tensor(values(shape, dtype, seed))
    for out, ref in ((x * scalar, x.numpy() * scalar), (scalar - x, scalar - x.numpy()),
                     (x / scalar, x.numpy() / scalar)):
        assert out.dtype == dtype and out.shape == shape
        np.testing.assert_allclose(out.numpy(), ref.astype(dtype), **tolerance(dtype))


# ---------------------------------------------------------------------------
# Reductions with random dims and keepdim

@st.composite
def reduction_case(draw):
    shape = draw(hnp.array_shapes(min_dims=1, max_dims=4, min_side=0, max_side=4))
    ndim = len(shape)
    kind = draw(st.sampled_from(["none", "int", "tuple"]))
    if kind == "none":
        dim = None
    elif kind == "int":
        dim = draw(dims(ndim))
    else:
        axes = draw(st.lists(st.integers(0, ndim - 1), min_size=1, max_size=ndim, unique=True))
        dim = tuple(a - ndim if draw(st.booleans()) else a for a in axes)  # some negative
    return shape, dim, draw(st.booleans())


@PROPERTY
@given(case=reduction_case(), name=st.sampled_from(["sum", "mean"]), dtype=DTYPES, seed=st.integers(0, 2 ** 16))
def test_sum_and_mean_over_random_dims(case, name, dtype, seed):
    shape, dim, keepdim = case
    x_np = values(shape, dtype, seed)
    x = leaf(x_np)
    out = getattr(x, name)() if dim is None else getattr(x, name)(dim=dim, keepdim=keepdim)
    keep = keepdim and dim is not None
    ref = getattr(np, name)(x_np.astype(np.float64), axis=dim, keepdims=keep)
    assert out.shape == np.shape(ref) and out.dtype == dtype
    np.testing.assert_allclose(out.numpy(), ref, **tolerance(dtype))  # an empty mean is NaN in both
    u = backward(out, seed)
    axes = tuple(range(len(shape))) if dim is None else tuple(np.atleast_1d(dim) % len(shape))
    count = int(np.prod([shape[a] for a in axes])) if name == "mean" else 1
    expected = np.broadcast_to(np.expand_dims(u.astype(np.float64), axes) if not keep else u, shape) / max(count, 1)
    assert x.grad.shape == shape
    np.testing.assert_allclose(x.grad.numpy(), expected, **tolerance(dtype))


@PROPERTY
@given(shape=hnp.array_shapes(min_dims=1, max_dims=4, min_side=1, max_side=4), data=st.data(),
       dtype=DTYPES, seed=st.integers(0, 2 ** 16))
def test_max_and_argmax_over_a_random_dim(shape, data, dtype, seed):
    # PyTorch: x.max(dim, keepdim) returns (values, indices); the gradient goes to the maximum
    dim, keepdim = data.draw(dims(len(shape))), data.draw(st.booleans())
    x_np = values(shape, dtype, seed)
    x = leaf(x_np)
    result = x.max(dim=dim, keepdim=keepdim)
    top, index = result.values, result.indices
    np.testing.assert_array_equal(top.numpy(), np.max(x_np, axis=dim, keepdims=keepdim))
    np.testing.assert_array_equal(index.numpy(), np.argmax(x_np, axis=dim, keepdims=keepdim))
    np.testing.assert_array_equal(x.argmax(dim=dim, keepdim=keepdim).numpy(),
                                  np.argmax(x_np, axis=dim, keepdims=keepdim))
    assert x.max().item() == x_np.max() and x.argmax().item() == np.argmax(x_np)
    u = backward(top, seed)
    where = np.argmax(x_np, axis=dim, keepdims=True)
    expected = np.zeros(shape)
    np.put_along_axis(expected, where, u.reshape(where.shape), axis=dim)
    np.testing.assert_allclose(x.grad.numpy(), expected, **tolerance(dtype))


# ---------------------------------------------------------------------------
# Shape ops: values against NumPy, gradients by where each element went

def check_moving_op(shape, dtype, seed, minigrad_op, numpy_op):
    x_np = values(shape, dtype, seed)
    x = leaf(x_np)
    out = minigrad_op(x)
    ref = numpy_op(x_np)
    assert out.shape == ref.shape and out.dtype == dtype
    np.testing.assert_array_equal(out.numpy(), ref)
    u = backward(out, seed)
    assert x.grad.shape == shape
    np.testing.assert_allclose(x.grad.numpy(), moved_gradient(numpy_op, shape, u), **tolerance(dtype))


@PROPERTY
@given(shape=SHAPES, data=st.data(), dtype=DTYPES, seed=st.integers(0, 2 ** 16))
def test_reshape_to_a_random_factorisation(shape, data, dtype, seed):
    size = int(np.prod(shape))
    if size == 0:
        new = data.draw(st.permutations(list(shape) + [1]))  # explicit sizes: -1 is ambiguous for 0 elements
    else:
        divisors = [d for d in range(1, size + 1) if size % d == 0]
        first = data.draw(st.sampled_from(divisors))
        new = [first, -1] if data.draw(st.booleans()) else [first, size // first]
    new = tuple(new)
    check_moving_op(shape, dtype, seed, lambda x: x.reshape(*new), lambda a: a.reshape(new))
    check_moving_op(shape, dtype, seed, lambda x: x.reshape(new), lambda a: a.reshape(new))  # a tuple too


@PROPERTY
@given(shape=SHAPES, data=st.data(), dtype=DTYPES, seed=st.integers(0, 2 ** 16))
def test_permute(shape, data, dtype, seed):
    perm = tuple(data.draw(st.permutations(range(len(shape)))))
    perm = tuple(p - len(shape) if data.draw(st.booleans()) else p for p in perm)  # negative dims too
    check_moving_op(shape, dtype, seed, lambda x: x.permute(perm), lambda a: np.transpose(a, perm))
    if perm:  # PyTorch takes the dims as one tuple or (for at least one dim) spread out
        check_moving_op(shape, dtype, seed, lambda x: x.permute(*perm), lambda a: np.transpose(a, perm))


@PROPERTY
@given(shape=hnp.array_shapes(min_dims=1, max_dims=4, min_side=0, max_side=4), data=st.data(),
       dtype=DTYPES, seed=st.integers(0, 2 ** 16))
def test_transpose_swaps_two_dims(shape, data, dtype, seed):
    d0, d1 = data.draw(dims(len(shape))), data.draw(dims(len(shape)))
    check_moving_op(shape, dtype, seed, lambda x: x.transpose(d0, d1), lambda a: np.swapaxes(a, d0, d1))


@PROPERTY
@given(shape=hnp.array_shapes(min_dims=1, max_dims=4, min_side=0, max_side=2), data=st.data(),
       dtype=DTYPES, seed=st.integers(0, 2 ** 16))
def test_squeeze_and_unsqueeze(shape, data, dtype, seed):
    dim = data.draw(dims(len(shape)))
    # PyTorch: squeeze(dim) removes that dim only when its size is 1, else returns the same shape
    squeezed = (lambda a: np.squeeze(a, dim)) if shape[dim] == 1 else (lambda a: a)
    check_moving_op(shape, dtype, seed, lambda x: x.squeeze(dim), squeezed)
    check_moving_op(shape, dtype, seed, lambda x: x.squeeze(), np.squeeze)
    new = data.draw(st.integers(-len(shape) - 1, len(shape)))
    check_moving_op(shape, dtype, seed, lambda x: x.unsqueeze(new), lambda a: np.expand_dims(a, new))


@PROPERTY
@given(shape=hnp.array_shapes(min_dims=1, max_dims=4, min_side=0, max_side=4), data=st.data(),
       dtype=DTYPES, seed=st.integers(0, 2 ** 16))
def test_flatten_between_two_dims(shape, data, dtype, seed):
    ndim = len(shape)
    start = data.draw(st.integers(0, ndim - 1))
    end = data.draw(st.integers(start, ndim - 1))
    start_arg = start - ndim if data.draw(st.booleans()) else start
    end_arg = end - ndim if data.draw(st.booleans()) else end
    new = shape[:start] + (int(np.prod(shape[start:end + 1])),) + shape[end + 1:]
    check_moving_op(shape, dtype, seed, lambda x: x.flatten(start_arg, end_arg), lambda a: a.reshape(new))


@PROPERTY
@given(shape=hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=3), data=st.data(),
       dtype=DTYPES, seed=st.integers(0, 2 ** 16))
def test_expand(shape, data, dtype, seed):
    # PyTorch: size-1 dims stretch to any size, -1 keeps a dim, new dims may lead
    lead = tuple(data.draw(st.lists(st.integers(0, 3), max_size=2)))
    sizes = tuple(data.draw(st.integers(0, 3)) if n == 1 else data.draw(st.sampled_from([n, -1])) for n in shape)
    target = lead + tuple(n if s == -1 else s for n, s in zip(shape, sizes))
    check_moving_op(shape, dtype, seed, lambda x: x.expand(lead + sizes), lambda a: np.broadcast_to(a, target))
    if lead + sizes:  # as one tuple or (for at least one size) spread out
        check_moving_op(shape, dtype, seed, lambda x: x.expand(*lead, *sizes), lambda a: np.broadcast_to(a, target))


@PROPERTY
@given(shape=hnp.array_shapes(min_dims=1, max_dims=3, min_side=0, max_side=3), data=st.data(),
       dtype=DTYPES, seed=st.integers(0, 2 ** 16))
def test_cat_and_stack(shape, data, dtype, seed):
    dim = data.draw(dims(len(shape)))
    sizes = data.draw(st.lists(st.integers(0, 3), min_size=1, max_size=3))
    parts = []
    for k, n in enumerate(sizes):
        part_shape = list(shape)
        part_shape[dim] = n
        parts.append(values(tuple(part_shape), dtype, seed + k))
    leaves = [leaf(p) for p in parts]
    out = minigrad.cat(leaves, dim=dim)
    np.testing.assert_array_equal(out.numpy(), np.concatenate(parts, axis=dim))
    assert out.dtype == dtype
    u = backward(out, seed)
    for got, want in zip(leaves, np.split(u, np.cumsum(sizes)[:-1], axis=dim)):
        np.testing.assert_allclose(got.grad.numpy(), want, **tolerance(dtype))

    new = data.draw(st.integers(-len(shape) - 1, len(shape)))
    same = [values(shape, dtype, seed + k) for k in range(len(sizes))]
    leaves = [leaf(p) for p in same]
    out = minigrad.stack(leaves, dim=new)
    np.testing.assert_array_equal(out.numpy(), np.stack(same, axis=new))
    u = backward(out, seed)
    for k, got in enumerate(leaves):
        np.testing.assert_allclose(got.grad.numpy(), np.take(u, k, axis=new), **tolerance(dtype))
