"""sinh, cosh (functions and Tensor methods; minigrad/ops/pointwise.py) and meshgrid (minigrad/ops/shape.py), as
PyTorch 2.13 has them."""
import re
import warnings

import numpy as np
import pytest

import minigrad
from minigrad import gradcheck, gradgradcheck
from minigrad.autograd import grad
from minigrad.ops import shape


def leaf(a):
    return minigrad.tensor(a, dtype=minigrad.float64, requires_grad=True)


@pytest.mark.parametrize("name", ["sinh", "cosh"])
def test_values_dtypes_and_methods(name):
    x = np.linspace(-3, 3, 13)
    fn, ref = getattr(minigrad, name), getattr(np, name)
    np.testing.assert_allclose(fn(minigrad.tensor(x)).numpy(), ref(x), rtol=1e-15)
    np.testing.assert_allclose(getattr(minigrad.tensor(x), name)().numpy(), ref(x), rtol=1e-15)
    y32 = fn(minigrad.tensor(x.astype(np.float32)))
    assert y32.dtype == np.float32
    ints = fn(minigrad.tensor([1, 2]))  # integers computed as float32, as PyTorch
    assert ints.dtype == np.float32
    np.testing.assert_allclose(ints.numpy(), ref(np.array([1.0, 2.0], np.float32)), rtol=1e-7)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no overflow warning: inf, as PyTorch
        assert np.isinf(fn(minigrad.tensor([100.0])).numpy()).all()
    with pytest.raises(TypeError):
        fn([1.0, 2.0])


@pytest.mark.parametrize("name, derivative", [("sinh", np.cosh), ("cosh", np.sinh)])
def test_backward_is_the_other_function(name, derivative):
    x = np.array([-2.0, -0.5, 0.0, 0.7, 3.0])
    u = np.array([0.3, -1.0, 2.0, 0.5, -0.2])
    t = leaf(x)
    g, = grad(getattr(minigrad, name)(t), t, minigrad.tensor(u))
    np.testing.assert_allclose(g.numpy(), u * derivative(x), rtol=1e-15)
    g2, = grad(grad(getattr(t, name)(), t, minigrad.tensor(u), create_graph=True)[0].sum(), t)
    np.testing.assert_allclose(g2.numpy(), u * getattr(np, name)(x), rtol=1e-14)  # sinh'' = sinh, cosh'' = cosh


@pytest.mark.parametrize("name", ["sinh", "cosh"])
def test_gradcheck_gradgradcheck_and_third_order(name):
    rng = np.random.default_rng(0)
    x = leaf(rng.uniform(-2, 2, (3, 4)))
    fn = getattr(minigrad, name)
    assert gradcheck(fn, [x])
    assert gradgradcheck(lambda t: fn(t) * t, [x])
    u = minigrad.tensor(rng.standard_normal((3, 4)))
    assert gradgradcheck(lambda t: grad(fn(t), t, u, create_graph=True)[0], [x])  # third derivatives


def test_sinh_and_cosh_satisfy_their_identities():
    x = minigrad.tensor(np.linspace(-2, 2, 9))
    np.testing.assert_allclose((minigrad.cosh(x) ** 2 - minigrad.sinh(x) ** 2).numpy(), 1.0, rtol=1e-13)
    np.testing.assert_allclose((minigrad.cosh(x) + minigrad.sinh(x)).numpy(), np.exp(x.numpy()), rtol=1e-14)


# ---------------------------------------------------------------------------
# meshgrid

def test_meshgrid_ij_and_xy():
    a, b, c = minigrad.arange(3.0), minigrad.arange(2.0) * 10, minigrad.arange(4.0) * 100
    X, Y = minigrad.meshgrid(a, b, indexing="ij")
    assert X.shape == Y.shape == (3, 2)
    np.testing.assert_array_equal(X.numpy(), [[0, 0], [1, 1], [2, 2]])
    np.testing.assert_array_equal(Y.numpy(), [[0, 10], [0, 10], [0, 10]])
    X, Y = minigrad.meshgrid(a, b, indexing="xy")
    assert X.shape == Y.shape == (2, 3)
    np.testing.assert_array_equal(X.numpy(), [[0, 1, 2], [0, 1, 2]])
    np.testing.assert_array_equal(Y.numpy(), [[0, 0, 0], [10, 10, 10]])
    grids = minigrad.meshgrid([a, b, c], indexing="xy")  # a list of tensors, as PyTorch takes it
    assert isinstance(grids, tuple) and [g.shape for g in grids] == [(2, 3, 4)] * 3
    for g, ref in zip(grids, np.meshgrid(a.numpy(), b.numpy(), c.numpy(), indexing="xy")):
        np.testing.assert_array_equal(g.numpy(), ref)
    for g, ref in zip(minigrad.meshgrid(a, b, c, indexing="ij"),
                      np.meshgrid(a.numpy(), b.numpy(), c.numpy(), indexing="ij")):
        np.testing.assert_array_equal(g.numpy(), ref)
    single, = minigrad.meshgrid(a, indexing="xy")
    np.testing.assert_array_equal(single.numpy(), a.numpy())
    zero_d = minigrad.meshgrid(minigrad.tensor(5.0), b, indexing="ij")  # a 0-d tensor counts as one element
    assert [g.shape for g in zero_d] == [(1, 2), (1, 2)] and zero_d[0].dtype == np.float32


def test_meshgrid_without_indexing_uses_ij_and_warns_once_per_process(monkeypatch):
    monkeypatch.setattr(shape, "_warned_indexing", [False])
    a, b = minigrad.arange(3.0), minigrad.arange(2.0)
    with pytest.warns(UserWarning, match="it will be required to pass the indexing argument"):
        X, _ = minigrad.meshgrid(a, b)
    assert X.shape == (3, 2)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        minigrad.meshgrid(a, b)  # PyTorch warns once


def test_meshgrid_gradient_sums_over_the_repeated_dimensions():
    x, y = leaf([0.0, 1.0, 2.0]), leaf([1.0, 3.0])
    X, Y = minigrad.meshgrid(x, y, indexing="ij")
    w = minigrad.tensor(np.arange(6.0).reshape(3, 2))
    gx, gy = grad((X * Y * w).sum(), (x, y))
    np.testing.assert_allclose(gx.numpy(), (w.numpy() * np.array([1.0, 3.0])).sum(1))
    np.testing.assert_allclose(gy.numpy(), (w.numpy() * np.array([[0.0], [1.0], [2.0]])).sum(0))
    assert gradcheck(lambda a, b: minigrad.meshgrid(a, b, indexing="xy"), [x, y])
    assert gradgradcheck(lambda a, b: [g * g for g in minigrad.meshgrid(a, b, indexing="xy")], [x, y])


@pytest.mark.parametrize("call, error, message", [
    (lambda: minigrad.meshgrid(indexing="ij"), RuntimeError, "meshgrid expects a non-empty TensorList"),
    (lambda: minigrad.meshgrid(minigrad.arange(2.0), indexing="ab"), RuntimeError,
     'meshgrid: indexing must be one of "xy" or "ij", but received: ab'),
    (lambda: minigrad.meshgrid(minigrad.zeros(2, 2), minigrad.zeros(2), indexing="ij"), RuntimeError,
     "meshgrid: expected 0D or 1D tensors, but element 0 has shape (2, 2)"),
    (lambda: minigrad.meshgrid(minigrad.zeros(2), minigrad.arange(2), indexing="ij"), RuntimeError,
     "meshgrid expects all tensors to have the same dtype"),
    (lambda: minigrad.meshgrid(minigrad.zeros(2), [1, 2], indexing="ij"), TypeError,
     "meshgrid: expected Tensor as element 1, but got list"),
])
def test_meshgrid_errors(call, error, message):
    with pytest.raises(error, match=re.escape(message)):
        call()


def test_against_pytorch():
    torch = pytest.importorskip("torch")
    x = np.linspace(-2, 2, 7)
    for name in ("sinh", "cosh"):
        t = torch.tensor(x, requires_grad=True)
        getattr(torch, name)(t).sum().backward()
        ours = leaf(x)
        getattr(minigrad, name)(ours).sum().backward()
        np.testing.assert_allclose(getattr(minigrad, name)(ours).detach().numpy(),
                                   getattr(torch, name)(t).detach().numpy(), rtol=1e-15)
        np.testing.assert_allclose(ours.grad.numpy(), t.grad.numpy(), rtol=1e-15)
    a, b, c = np.arange(3.0), np.arange(2.0), np.arange(4.0)
    for indexing in ("ij", "xy"):
        theirs = torch.meshgrid(*(torch.tensor(v) for v in (a, b, c)), indexing=indexing)
        ours = minigrad.meshgrid(*(minigrad.tensor(v) for v in (a, b, c)), indexing=indexing)
        for o, t in zip(ours, theirs):
            np.testing.assert_array_equal(o.numpy(), t.numpy())


@pytest.mark.gpu
def test_sinh_cosh_and_meshgrid_on_the_gpu_match_the_cpu():
    x = minigrad.randn(7, dtype=minigrad.float64)
    for name in ("sinh", "cosh"):
        cpu, gpu = x.detach().clone().requires_grad_(), x.detach().cuda().requires_grad_()
        out_cpu, out_gpu = getattr(cpu, name)(), getattr(gpu, name)()
        gy = minigrad.randn(7, dtype=minigrad.float64)
        out_cpu.backward(gy)
        out_gpu.backward(gy.cuda())
        assert out_gpu.device.type == "cuda"
        np.testing.assert_allclose(out_gpu.numpy(), out_cpu.numpy(), rtol=1e-12)
        np.testing.assert_allclose(gpu.grad.numpy(), cpu.grad.numpy(), rtol=1e-12)
    a, b = minigrad.arange(3.0), minigrad.arange(4.0)
    for cpu, gpu in zip(minigrad.meshgrid(a, b, indexing="xy"), minigrad.meshgrid(a.cuda(), b.cuda(), indexing="xy")):
        assert gpu.device.type == "cuda" and np.array_equal(gpu.numpy(), cpu.numpy())
