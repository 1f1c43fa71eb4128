"""Indexing that mixes integers with index tensors, as PyTorch reads it (no PyTorch needed: the expectations
are computed by hand). PyTorch applies each integer first, as a basic index (a select), then indexes with the
tensors that remain: next to each other they keep their place, separated by a slice or None they go first.
NumPy treats the integer as one more index array instead, which moves the result's dimensions elsewhere."""
import numpy as np
import pytest

import minigrad
from minigrad import gradcheck, gradgradcheck

X = np.arange(24.0).reshape(2, 3, 4)
IDX = [1, 0]


def _x(requires_grad=False):
    return minigrad.tensor(X, dtype=minigrad.float64, requires_grad=requires_grad)


# key, then PyTorch's reading of it written with basic steps on a NumPy array (checked with PyTorch 2.13)
CASES = [
    # PyTorch: (3, 2), x[0][:, idx]; NumPy's rule gives (2, 3)
    ("int, slice, tensor", lambda t: (0, slice(None), t), lambda a: a[0][:, IDX]),
    # PyTorch: (2, 2), x[:, :, -1][:, idx]
    ("slice, tensor, int", lambda t: (slice(None), t, -1), lambda a: a[:, :, -1][:, IDX]),
    # PyTorch: (3, 2), x[0][..., idx]
    ("int, ellipsis, tensor", lambda t: (0, Ellipsis, t), lambda a: a[0][..., IDX]),
    # PyTorch: (1, 3, 2), x[0][None][:, :, idx]
    ("int, None, slice, tensor", lambda t: (0, None, slice(None), t), lambda a: a[0][None][:, :, IDX]),
    # PyTorch: (2, 4), tensors separated by an integer only are adjacent once it is applied: x[:, 1][idx, idx]
    ("tensor, int, tensor", lambda t: (t, 1, t), lambda a: a[:, 1][IDX, IDX]),
    # PyTorch and NumPy agree: (2, 4), x[1][idx]
    ("int, tensor", lambda t: (1, t), lambda a: a[1][IDX]),
]


@pytest.mark.parametrize("name,key,expected", CASES, ids=[c[0] for c in CASES])
def test_values_and_gradients_follow_pytorchs_placement(name, key, expected):
    x = _x(requires_grad=True)
    y = x[key(minigrad.tensor(IDX))]
    want = expected(X)
    assert y.shape == want.shape and np.array_equal(y.numpy(), want)
    u = np.random.default_rng(0).standard_normal(want.shape)
    (y * minigrad.tensor(u)).sum().backward()
    grad = np.zeros(X.size)
    np.add.at(grad, expected(np.arange(X.size).reshape(X.shape)), u)  # u scattered back to the positions read
    np.testing.assert_allclose(x.grad.numpy(), grad.reshape(X.shape))


def test_the_issues_example():
    # PyTorch: x[0, :, idx] on a (2, 3, 4) tensor has shape (3, 2): the integer selects first
    x = minigrad.zeros(2, 3, 4)
    assert x[0, :, minigrad.tensor([1, 0])].shape == (3, 2)
    assert x[:, 0, minigrad.tensor([1, 0])].shape == (2, 2)  # adjacent once the integer is applied: in place
    assert x[minigrad.tensor([1, 0]), :, 0].shape == (2, 3)
    assert x[0, :, range(2)].shape == (3, 2)  # a range is a list of positions (PyTorch: (3, 2))


def test_a_zero_d_integer_tensor_is_an_integer():
    # PyTorch: x[t0, :, idx] with t0 = tensor(0) is x[0, :, idx], shape (3, 2)
    y = _x()[minigrad.tensor(0), :, minigrad.tensor(IDX)]
    assert y.shape == (3, 2) and np.array_equal(y.numpy(), X[0][:, IDX])


def test_a_bool_scalar_beside_an_integer_adds_a_dimension_in_place():
    # PyTorch: x[0, :, True] has shape (3, 1, 4); x[0, ..., True] has shape (3, 4, 1)
    assert _x()[0, :, True].shape == (3, 1, 4)
    assert np.array_equal(_x()[0, ..., True].numpy(), X[0][..., None])
    assert _x()[0, :, False].shape == (3, 0, 4)


def test_a_mask_beside_an_integer():
    mask = minigrad.tensor([True, False, True])
    # PyTorch: x[1, mask, 2:] is x[1][mask][:, 2:], shape (2, 2)
    assert np.array_equal(_x()[1, mask, 2:].numpy(), X[1][[0, 2]][:, 2:])
    # PyTorch: x[0, :, bool 4-mask] is x[0][:, mask], shape (3, 2)
    assert np.array_equal(_x()[0, :, minigrad.tensor([True, False, False, True])].numpy(), X[0][:, [0, 3]])


def test_setitem_writes_where_getitem_reads():
    # PyTorch: x[0, :, idx] = v writes x[0, r, idx[j]] = v[r, j] for v of shape (3, 2)
    v = np.arange(6.0).reshape(3, 2) + 100
    x = _x()
    x[0, :, minigrad.tensor(IDX)] = minigrad.tensor(v)
    want = X.copy()
    want[0][:, IDX] = v
    np.testing.assert_array_equal(x.numpy(), want)
    with pytest.raises(RuntimeError, match=r"shape \(2, 3\)"):  # NumPy's (2, 3) placement is refused, as in PyTorch
        y = _x(requires_grad=True) * 1
        y[0, :, minigrad.tensor(IDX)] = minigrad.tensor(v.T.copy(), requires_grad=True)


def test_recorded_setitem_gradients():
    x = _x(requires_grad=True)
    v = minigrad.tensor(np.ones((3, 2)), dtype=minigrad.float64, requires_grad=True)
    y = x * 1
    y[0, :, minigrad.tensor(IDX)] = v
    u = np.random.default_rng(1).standard_normal(X.shape)
    (y * minigrad.tensor(u)).sum().backward()
    written = np.zeros(X.shape, bool)
    written[0][:, IDX] = True
    np.testing.assert_allclose(x.grad.numpy(), np.where(written, 0.0, u))
    np.testing.assert_allclose(v.grad.numpy(), u[0][:, IDX])


def test_gradcheck_and_gradgradcheck_of_mixed_keys():
    idx, rows = minigrad.tensor([2, 0, 2]), minigrad.tensor([1, 0, 1])  # repeated: the gradient accumulates
    x = minigrad.tensor(np.random.default_rng(2).standard_normal((2, 3, 4)), requires_grad=True)
    for key in [(0, slice(None), idx), (slice(None), 1, idx), (rows, 1, idx), (1, None, idx)]:
        assert gradcheck(lambda t, key=key: t[key], (x,))
        assert gradgradcheck(lambda t, key=key: t[key], (x,))
    v = minigrad.tensor(np.random.default_rng(3).standard_normal((3, 3)), requires_grad=True)

    def put(t, w):
        y = t * 1
        y[0, :, minigrad.tensor([3, 1, 0])] = w
        return y
    assert gradcheck(put, (x, v))
    assert gradgradcheck(put, (x, v))


@pytest.mark.gpu
@pytest.mark.parametrize("name,key,expected", CASES, ids=[c[0] for c in CASES])
def test_mixed_keys_on_the_gpu_read_and_write_as_on_the_cpu(name, key, expected):
    want = expected(X)
    x = _x(requires_grad=True)
    gpu = x.detach().cuda().requires_grad_()
    y = gpu[key(minigrad.tensor(IDX).cuda())]
    assert y.device.type == "cuda" and np.array_equal(y.numpy(), want)
    u = np.random.default_rng(0).standard_normal(want.shape)
    (y * minigrad.tensor(u).cuda()).sum().backward()
    (x[key(minigrad.tensor(IDX))] * minigrad.tensor(u)).sum().backward()
    np.testing.assert_allclose(gpu.grad.numpy(), x.grad.numpy())
    written = _x().cuda()
    written[key(minigrad.tensor(IDX).cuda())] = minigrad.zeros(want.shape).cuda()
    on_cpu = _x()
    on_cpu[key(minigrad.tensor(IDX))] = minigrad.zeros(want.shape)
    assert np.array_equal(written.numpy(), on_cpu.numpy())

