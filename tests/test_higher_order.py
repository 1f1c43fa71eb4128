"""The higher-order tools: minigrad.gradgradcheck itself, minigrad.autograd.functional (hvp, vhp, vjp,
jvp, jacobian, hessian) against finite differences and closed forms, a Hessian eigenvalue by power
iteration, and the clear error of an op that cannot be differentiated twice."""
import numpy as np
import pytest

import cpu_bounded
import minigrad
from minigrad import Function, GradcheckError, gradgradcheck, nn
from minigrad.autograd import functional as AF
from minigrad.autograd import grad
from minigrad.nn import functional as F


def leaf(array):
    return minigrad.tensor(array, dtype=minigrad.float64, requires_grad=True)


def const(array):
    return minigrad.tensor(array, dtype=minigrad.float64)


# ---------------------------------------------------------------------------
# gradgradcheck as a tool

class _Cube(Function):
    """y = x^3 with a correct backward and a backward_graph that is off by ``error`` (0: right)."""

    def __init__(self, error=0.0):
        self.error = error

    def forward(self, x):
        return x ** 3

    def backward(self, gy):
        return 3 * gy * self.inputs[0].array ** 2

    def backward_graph(self, gy):
        x = self.inputs[0]
        return (3 * gy * x * x * (1 + self.error),)


def test_gradgradcheck_passes_a_right_double_backward_and_names_a_wrong_one():
    x = leaf(np.random.default_rng(0).standard_normal((2, 3)))
    assert gradgradcheck(lambda a: _Cube()(a), [x])
    # the second-level error shows in d/dx and in d/d(grad_output)
    with pytest.raises(GradcheckError, match=r"gradgradcheck: the gradient of input 0 built with create_graph=True "
                                             r"\(shape \(2, 3\)\) disagrees at index .*graph .*backward"):
        gradgradcheck(lambda a: _Cube(1e-2)(a), [x])
    assert gradgradcheck(lambda a: _Cube(1e-2)(a), [x], raise_exception=False) is False


def test_gradgradcheck_checks_the_grad_outputs_too():
    """A backward_graph that is right in x but wrong in gy is caught through the grad_output."""
    class WrongInGy(_Cube):
        def backward_graph(self, gy):
            x = self.inputs[0]
            return (3 * gy.detach() * x * x,)  # d/dgy lost

    x = leaf(np.random.default_rng(1).standard_normal(4))
    with pytest.raises(GradcheckError, match="with respect to grad_output 0"):
        gradgradcheck(lambda a: WrongInGy()(a), [x])


def test_gradgradcheck_explicit_grad_outputs_and_errors():
    rng = np.random.default_rng(2)
    x = leaf(rng.standard_normal(3))
    u = leaf(rng.standard_normal(3))
    assert gradgradcheck(lambda a: a.sigmoid() * a, [x], grad_outputs=[u])
    with pytest.raises(ValueError, match=r"grad_outputs\[0\] must be a float64 tensor of shape \(3,\)"):
        gradgradcheck(lambda a: a * a, [x], grad_outputs=[const(np.ones(4))])
    with pytest.raises(TypeError, match="input 0 is float32"):
        gradgradcheck(lambda a: a * a, [minigrad.ones(3, requires_grad=True)])
    with pytest.raises(TypeError, match="inputs must be a Tensor or a tuple/list of them, got float"):
        gradgradcheck(lambda a: a * a, 3.0)


class _ConstantStatisticsGrad(F.BatchNormGrad):
    """The peers' mistake: differentiate gx = gamma s P(gy) holding the batch mean and 1/sigma constant."""

    def backward_graph(self, a):
        g_x, g_gamma, g_gy = super().backward_graph(a)
        return g_x * 0.0, g_gamma, g_gy


class _ConstantStatisticsBatchNorm(F.BatchNormFunction):
    def backward_graph(self, gy):
        x, gamma, beta = self.inputs
        _, g_gamma, g_beta = super().backward_graph(gy)
        return _ConstantStatisticsGrad(self.x_hat(), self.inv_std, self.eps)(x, gamma, gy), g_gamma, g_beta


def test_gradgradcheck_catches_a_batchnorm_double_backward_with_constant_statistics():
    """With the default random grad_outputs the wrong double backward is caught; with all-ones ones it is not:
    for u = 1 BatchNorm's input gradient is 0 for every x, so its derivative in x says nothing."""
    rng = np.random.default_rng(3)
    inputs = [leaf(rng.standard_normal((5, 3))), leaf(rng.standard_normal(3)), leaf(rng.standard_normal(3))]
    right = lambda x, g, b: F.BatchNormFunction()(x, g, b)  # noqa: E731
    wrong = lambda x, g, b: _ConstantStatisticsBatchNorm()(x, g, b)  # noqa: E731
    assert gradgradcheck(right, inputs)
    with pytest.raises(GradcheckError, match="second derivative .* with respect to input 0"):
        gradgradcheck(wrong, inputs)
    assert gradgradcheck(wrong, inputs, grad_outputs=[leaf(np.ones((5, 3)))])  # vacuous


def test_op_without_backward_graph_raises_clearly():
    class Square(Function):
        def forward(self, x):
            return x * x

        def backward(self, gy):
            return 2 * gy * self.inputs[0].array

    x = leaf(np.array([1.0, 2.0]))
    with pytest.raises(RuntimeError, match="Square: differentiating its gradient again .*create_graph=True"):
        grad(Square()(x).sum(), x, create_graph=True)
    with pytest.raises(RuntimeError, match="Square"):
        gradgradcheck(lambda a: Square()(a), [x])
    g, = grad(Square()(x).sum(), x)  # first order is unaffected
    np.testing.assert_array_equal(g.numpy(), [2.0, 4.0])


# ---------------------------------------------------------------------------
# autograd.functional

def _mlp_loss(w1, w2, x, t):
    """A small network with a BatchNorm: cross_entropy(linear(sigmoid(bn(linear(x, w1)))), t)."""
    h = F.linear(x, w1)
    h = F.BatchNormFunction()(h, const(np.full(h.shape[1], 1.3)), const(np.zeros(h.shape[1])))
    return F.cross_entropy(F.linear(h.sigmoid(), w2), t)


def test_hvp_matches_finite_differences_of_gradients():
    rng = np.random.default_rng(0)
    x, t = const(rng.standard_normal((6, 4))), np.array([0, 1, 2, 0, 1, 2])
    w = (rng.standard_normal((5, 4)), rng.standard_normal((3, 5)))
    v = (rng.standard_normal((5, 4)), rng.standard_normal((3, 5)))
    f = lambda a, b: _mlp_loss(a, b, x, t)  # noqa: E731
    out, hv = AF.hvp(f, tuple(const(a) for a in w), tuple(const(a) for a in v))
    np.testing.assert_allclose(out.item(), f(*(const(a) for a in w)).item(), rtol=1e-14)
    assert isinstance(hv, tuple) and [h.shape for h in hv] == [(5, 4), (3, 5)]
    assert not out.requires_grad and not any(h.requires_grad for h in hv)

    def gradient(scale):
        ws = [leaf(a + scale * b) for a, b in zip(w, v)]
        return [g.numpy() for g in grad(f(*ws), ws)]
    h = 1e-5
    numerical = [(p - m) / (2 * h) for p, m in zip(gradient(h), gradient(-h))]
    for a, n in zip(hv, numerical):
        np.testing.assert_allclose(a.numpy(), n, rtol=1e-5, atol=1e-8)
    _, vh = AF.vhp(f, tuple(const(a) for a in w), tuple(const(a) for a in v))
    for a, b in zip(hv, vh):  # the Hessian is symmetric
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-12, atol=1e-14)


def test_hessian_and_jacobian_closed_forms():
    rng = np.random.default_rng(1)
    a = rng.standard_normal((3, 3))
    m = const(a)
    x0 = rng.standard_normal(3)
    # f(x) = sum(x^3) + x^T M x:  grad = 3x^2 + (M + M^T) x,  H = diag(6x) + M + M^T
    f = lambda x: (x ** 3).sum() + (x * (m @ x)).sum()  # noqa: E731
    H = AF.hessian(f, const(x0))
    assert H.shape == (3, 3)
    np.testing.assert_allclose(H.numpy(), np.diag(6 * x0) + a + a.T, rtol=1e-12)
    J = AF.jacobian(lambda x: m @ x.sigmoid(), const(x0))
    s = 1 / (1 + np.exp(-x0))
    np.testing.assert_allclose(J.numpy(), a * (s * (1 - s))[None, :], rtol=1e-12)
    # tuple inputs: blocks H[i][j] of shape inputs[i].shape + inputs[j].shape
    p, q = rng.standard_normal((2, 2)), rng.standard_normal(3)
    blocks = AF.hessian(lambda u, w: (u.sum() ** 2) * (w * w).sum(), (const(p), const(q)))
    assert [[b.shape for b in row] for row in blocks] == [[(2, 2, 2, 2), (2, 2, 3)], [(3, 2, 2), (3, 3)]]
    np.testing.assert_allclose(blocks[0][1].numpy(), np.broadcast_to(4 * p.sum() * q, (2, 2, 3)), rtol=1e-12)
    np.testing.assert_allclose(blocks[1][1].numpy(), 2 * p.sum() ** 2 * np.eye(3), rtol=1e-12)
    jac = AF.jacobian(lambda u, w: (u * 2.0, w.sum()), (const(p), const(q)))
    assert [[b.shape for b in row] for row in jac] == [[(2, 2, 2, 2), (2, 2, 3)], [(2, 2), (3,)]]
    np.testing.assert_array_equal(jac[0][1].numpy(), 0)
    np.testing.assert_array_equal(jac[1][1].numpy(), 1)


def test_vjp_and_create_graph():
    rng = np.random.default_rng(2)
    a = rng.standard_normal((2, 3))
    x = leaf(rng.standard_normal(3))
    v = const(rng.standard_normal(2))
    out, g = AF.vjp(lambda z: const(a) @ z, x.detach(), v)
    np.testing.assert_allclose(g.numpy(), v.numpy() @ a, rtol=1e-12)
    e = const(rng.standard_normal(3))
    out, jv = AF.jvp(lambda z: const(a) @ z.tanh(), x, e)
    np.testing.assert_allclose(jv.numpy(), a @ ((1 - np.tanh(x.numpy()) ** 2) * e.numpy()), rtol=1e-12)
    np.testing.assert_allclose(out.numpy(), a @ np.tanh(x.numpy()), rtol=1e-12)
    # create_graph: the hvp of sum(x^4) is 12 x^2 v, and differentiating it again w.r.t. x gives 24 x v
    w = const(np.array([1.0, -2.0, 0.5]))
    _, hv = AF.hvp(lambda z: (z ** 4).sum(), x, w, create_graph=True)
    assert hv.requires_grad
    np.testing.assert_allclose(hv.numpy(), 12 * x.numpy() ** 2 * w.numpy(), rtol=1e-12)
    d, = grad(hv.sum(), x)
    np.testing.assert_allclose(d.numpy(), 24 * x.numpy() * w.numpy(), rtol=1e-12)
    assert x.grad is None  # the caller's tensor got no .grad


def test_functional_errors_and_strict():
    x = const(np.ones(3))
    with pytest.raises(RuntimeError, match="single element, got shape \\(3,\\)"):
        AF.hvp(lambda z: z * 2, x, x)
    with pytest.raises(RuntimeError, match="v can only be None"):
        AF.hvp(lambda z: (z * z).sum(), x)
    with pytest.raises(RuntimeError, match=r"v has shapes \[\(2,\)\], expected \[\(3,\)\]"):
        AF.vhp(lambda z: (z * z).sum(), x, const(np.ones(2)))
    y = const(np.ones(2))
    _, (hx, hy) = AF.hvp(lambda a, b: (a * a).sum(), (x, y), (x, y))
    np.testing.assert_array_equal(hy.numpy(), 0)  # independent input: zeros
    with pytest.raises(RuntimeError, match="independent of input 1"):
        AF.hvp(lambda a, b: (a * a).sum(), (x, y), (x, y), strict=True)
    with pytest.raises(TypeError, match=r"inputs\[0\] is a float, not a Tensor"):
        AF.hessian(lambda a: a, (1.0,))


def test_power_iteration_finds_the_top_hessian_eigenvalue_of_a_quadratic():
    """f(x) = 1/2 x^T A x + b^T x with A = Q diag(lambda) Q^T: hvp gives A v; power iteration finds max lambda."""
    rng = np.random.default_rng(5)
    q, _ = np.linalg.qr(rng.standard_normal((6, 6)))
    eigenvalues = np.array([4.0, -1.5, 2.5, 1.0, 0.3, -0.7])
    a = const(q @ np.diag(eigenvalues) @ q.T)
    b = const(rng.standard_normal(6))
    f = lambda x: 0.5 * (x * (a @ x)).sum() + (b * x).sum()  # noqa: E731
    x0 = const(rng.standard_normal(6))
    v = rng.standard_normal(6)
    for _ in range(200):
        v /= np.linalg.norm(v)
        _, hv = AF.hvp(f, x0, const(v))
        v = hv.numpy()
    v_unit = v / np.linalg.norm(v)
    _, hv = AF.hvp(f, x0, const(v_unit))
    rayleigh = float(v_unit @ hv.numpy())
    np.testing.assert_allclose(rayleigh, 4.0, rtol=1e-8)
    np.testing.assert_allclose(abs(v_unit @ q[:, 0]), 1.0, rtol=1e-6)


def test_hessian_of_a_batchnorm_network_is_symmetric_and_matches_hvp():
    rng = np.random.default_rng(6)
    net = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.Tanh(), nn.Linear(4, 2)).double()
    x, t = const(rng.standard_normal((5, 3))), np.array([0, 1, 1, 0, 1])
    w0 = net[0].weight.detach()

    def loss(w):
        return F.cross_entropy(net[3](net[2](net[1](F.linear(x, w, net[0].bias)))), t)
    H = AF.hessian(loss, w0).numpy().reshape(12, 12)
    np.testing.assert_allclose(H, H.T, atol=1e-12)
    v = rng.standard_normal((4, 3))
    _, hv = AF.hvp(loss, w0, const(v))
    np.testing.assert_allclose(hv.numpy().ravel(), H @ v.ravel(), rtol=1e-10, atol=1e-12)


@cpu_bounded.hang_guard
def test_autograd_is_reachable_from_the_package_alone():
    """``import minigrad`` is enough for ``minigrad.autograd.grad`` and ``.functional.hvp``, as with torch."""
    import sys
    code = ("import minigrad; x = minigrad.tensor([3.0], requires_grad=True); "
            "(g,) = minigrad.autograd.grad((x ** 3).sum(), x, create_graph=True); "
            "print(g.item(), "
            "minigrad.autograd.functional.hvp(lambda t: (t ** 3).sum(), x, minigrad.ones(1))[1].item())")
    out = cpu_bounded.run([sys.executable, "-c", code], 60, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["27.0", "18.0"]
