"""PyTorch names beyond the D2L chapter that ordinary training code uses: gradient clipping, autograd.backward,
activations, losses, rearranging ops, padding, adaptive pooling, in-place math, finfo/iinfo. References are
NumPy (those of the activations, losses, rearranging and in-place ops are in tests/op_db.py); every
differentiable op gets a float64 gradcheck and gradgradcheck."""
import math

import numpy as np
import op_db
import pytest

import minigrad
from minigrad import nn
from minigrad.nn import functional as F

RNG = np.random.default_rng(0)


def leaf(values):
    return minigrad.tensor(np.asarray(values, dtype=np.float64), requires_grad=True)


def randn(*shape):
    return leaf(RNG.standard_normal(shape))


def check_grads(fn, *inputs):
    assert minigrad.gradcheck(fn, inputs) and minigrad.gradgradcheck(fn, inputs)


# -- gradient clipping and autograd.backward -------------------------------------------------------------------

def _params_with_grads(grads):
    params = []
    for g in grads:
        p = minigrad.zeros(len(g) if g is not None else 2, requires_grad=True)
        if g is not None:
            p.grad = minigrad.tensor(np.asarray(g, dtype=np.float32))
        params.append(p)
    return params


@pytest.mark.parametrize("norm_type", [2.0, 1, 3.5, math.inf, "inf"])
def test_clip_grad_norm_scales_every_grad_by_the_total_norm(norm_type):
    grads = [np.array([3.0, -4.0, 0.5]), np.array([0.0, 12.0])]
    params = _params_with_grads(grads + [None])
    p = float(norm_type)
    joined = np.concatenate(grads)
    expected = np.abs(joined).max() if p == math.inf else (np.abs(joined) ** p).sum() ** (1 / p)
    total = nn.utils.clip_grad_norm_(params, 1.0, norm_type=norm_type)
    assert total.dtype == minigrad.float32 and not total.requires_grad and total.shape == ()
    np.testing.assert_allclose(total.item(), expected, rtol=1e-6)
    scale = 1.0 / (expected + 1e-6)
    for param, g in zip(params, grads):
        np.testing.assert_allclose(param.grad.numpy(), g * scale, rtol=1e-6)
    assert params[2].grad is None


def test_clip_grad_norm_leaves_small_grads_and_handles_edge_cases():
    (p,) = _params_with_grads([[0.3, 0.4]])
    assert nn.utils.clip_grad_norm_(p, max_norm=10).item() == pytest.approx(0.5)  # one tensor, not a list
    np.testing.assert_allclose(p.grad.numpy(), [0.3, 0.4], rtol=1e-6)  # coefficient clamped at 1
    assert nn.utils.clip_grad_norm_([minigrad.zeros(2, requires_grad=True)], 1.0).item() == 0.0  # no grads
    (p,) = _params_with_grads([[3.0, -4.0, 0.0]])
    # norm 0: the count of non-zero per-parameter counts, as PyTorch (which stacks the per-parameter norms)
    assert nn.utils.clip_grad_norm_(p, 10.0, norm_type=0).item() == 1.0
    assert nn.utils.clip_grad_norm_(p, 10.0, norm_type=-math.inf).item() == 0.0
    (p,) = _params_with_grads([[3.0, float("nan")]])
    with pytest.raises(RuntimeError, match="non-finite"):
        nn.utils.clip_grad_norm_(p, 1.0, error_if_nonfinite=True)
    assert math.isnan(nn.utils.clip_grad_norm_(p, 1.0).item()) and np.isnan(p.grad.numpy()).all()
    with pytest.raises(TypeError, match="parameters must be tensors"):
        nn.utils.clip_grad_norm_([3], 1.0)
    with pytest.raises(ValueError):
        nn.utils.clip_grad_norm_(p, 1.0, norm_type="x")
    with pytest.raises(AttributeError, match="does not implement torch.nn.utils.parameters_to_vector"):
        nn.utils.parameters_to_vector  # noqa: B018


def test_clip_grad_norm_keeps_a_float64_grad_float64():
    p = minigrad.zeros(2, dtype=minigrad.float64, requires_grad=True)
    p.grad = minigrad.tensor([3.0, 4.0], dtype=minigrad.float64)
    assert nn.utils.clip_grad_norm_(p, 1.0).dtype == minigrad.float64
    np.testing.assert_allclose(p.grad.numpy(), [3 / (5 + 1e-6), 4 / (5 + 1e-6)])


def test_clip_grad_value_clamps_in_place():
    params = _params_with_grads([[3.0, -4.0, 0.5], None])
    version = params[0].grad._vc[0]
    assert nn.utils.clip_grad_value_(params, 1.0) is None
    assert params[0].grad.tolist() == [1.0, -1.0, 0.5] and params[0].grad._vc[0] > version


def test_autograd_backward_sums_several_roots_and_honours_inputs():
    x, y = leaf([1.0, 2.0]), leaf([3.0, 5.0])
    minigrad.autograd.backward([(x * y).sum(), (x * x).sum()])
    np.testing.assert_allclose(x.grad.numpy(), [3 + 2, 5 + 4])
    np.testing.assert_allclose(y.grad.numpy(), [1.0, 2.0])
    x.grad = y.grad = None
    minigrad.autograd.backward(x * y, grad_tensors=minigrad.tensor([1.0, -1.0], dtype=minigrad.float64),
                               inputs=[x])
    assert x.grad.tolist() == [3.0, -5.0] and y.grad is None
    h = x * 2
    minigrad.autograd.backward((h * h).sum(), inputs=h)  # a non-leaf input gets .grad
    assert h.grad.tolist() == [4.0, 8.0]
    z = leaf(1.0)
    minigrad.autograd.backward((x * 2).sum(), inputs=[z])  # unreached input: .grad stays None
    assert z.grad is None


def test_autograd_backward_create_graph_gives_differentiable_grads():
    x = leaf([1.5, -2.0])
    minigrad.autograd.backward((x ** 3).sum(), create_graph=True)
    np.testing.assert_allclose(x.grad.detach().numpy(), 3 * np.array([1.5, -2.0]) ** 2)
    (g2,) = minigrad.autograd.grad(x.grad.sum(), x)
    np.testing.assert_allclose(g2.numpy(), 6 * np.array([1.5, -2.0]))


def test_autograd_backward_refuses_bad_arguments():
    with pytest.raises(RuntimeError, match="element 0 of tensors does not require grad"):
        minigrad.autograd.backward(minigrad.ones(2))
    x = leaf([1.0, 2.0])
    with pytest.raises(RuntimeError, match="one-element"):
        minigrad.autograd.backward(x * 2)
    with pytest.raises(ValueError, match="2 grad_tensors for 1 tensors"):
        minigrad.autograd.backward([x * 2], [minigrad.ones(2), minigrad.ones(2)])
    with pytest.raises(RuntimeError, match="cannot be empty"):
        minigrad.autograd.backward((x * 2).sum(), inputs=[])
    with pytest.raises(TypeError, match="inputs must be Tensors"):
        minigrad.autograd.backward((x * 2).sum(), inputs=[3])


# -- activations ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("fn, sample", op_db.params(op_db.VALUES, "activation"))
def test_activation_values_and_derivatives(fn, sample):
    x = leaf(op_db.arrays(sample.inputs)[0])
    np.testing.assert_allclose(fn(x).detach().numpy().reshape(-1), sample.ref(x.detach().numpy()).reshape(-1),
                               rtol=1e-12, atol=1e-12)
    check_grads(fn, x)


def test_activation_gradients_at_their_kinks_are_pytorchs():
    x = leaf([0.0, 6.0, 3.0, -1.0])
    F.relu6(x).sum().backward()
    assert x.grad.tolist() == [0.0, 0.0, 1.0, 0.0]  # hardtanh: 0 at the bounds
    x = leaf([0.0])
    F.elu(x, 0.5).sum().backward()
    assert x.grad.tolist() == [0.5]
    x = leaf([0.0])
    F.leaky_relu(x, 0.1).sum().backward()
    assert x.grad.tolist() == [0.1]


def test_activations_do_not_overflow_in_unselected_branches():
    x = leaf([1000.0, -1000.0, 0.0])
    y = F.softplus(x) + F.elu(x) + F.silu(x)
    y.sum().backward()
    assert np.isfinite(y.detach().numpy()).all() and np.isfinite(x.grad.numpy()).all()
    np.testing.assert_allclose(F.softplus(leaf([-100.0])).item(), np.exp(-100.0), rtol=1e-12)


def test_normalize_of_a_zero_row_is_zero_with_gradient_one_over_eps():
    x = minigrad.zeros(2, 3, dtype=minigrad.float64, requires_grad=True)
    y = F.normalize(x)
    y.sum().backward()
    assert y.tolist() == [[0.0] * 3] * 2 and x.grad.tolist() == [[1e12] * 3] * 2
    np.testing.assert_allclose(F.normalize(minigrad.tensor([[1.0, -2.0]]), p=math.inf).numpy(), [[0.5, -1.0]])


def test_activation_modules_and_their_prints():
    x = randn(5)
    for module, fn in ((nn.LeakyReLU(0.2), lambda t: F.leaky_relu(t, 0.2)), (nn.ELU(0.5), lambda t: F.elu(t, 0.5)),
                       (nn.GELU("tanh"), lambda t: F.gelu(t, approximate="tanh")), (nn.SiLU(), F.silu),
                       (nn.ReLU6(), F.relu6), (nn.Softplus(2.0, 5.0), lambda t: F.softplus(t, 2.0, 5.0))):
        np.testing.assert_array_equal(module(x).detach().numpy(), fn(x).detach().numpy())
    assert [repr(m) for m in (nn.LeakyReLU(), nn.GELU(), nn.ELU(), nn.SiLU(), nn.ReLU6(), nn.Softplus())] == [
        "LeakyReLU(negative_slope=0.01)", "GELU(approximate='none')", "ELU(alpha=1.0)", "SiLU()", "ReLU6()",
        "Softplus(beta=1.0, threshold=20.0)"]


def test_activation_argument_errors():
    with pytest.raises(NotImplementedError, match='"leaky_relu" not implemented for dtype int64'):
        F.leaky_relu(minigrad.tensor([1, 2]))
    assert F.relu6(minigrad.tensor([-2, 0, 9])).tolist() == [0, 0, 6]  # integers allowed, as PyTorch
    with pytest.raises(RuntimeError, match="approximate argument must be either none or tanh"):
        F.gelu(minigrad.ones(2), approximate="foo")
    with pytest.raises(TypeError):
        F.gelu(minigrad.ones(2), "tanh")  # keyword-only in PyTorch
    with pytest.raises(TypeError, match="negative_slope must be a real number"):
        nn.LeakyReLU("0.1")
    with pytest.raises(TypeError, match=r"relu6\(\): expected a Tensor as input, got list"):
        F.relu6([1.0], inplace=True)
    with pytest.raises(IndexError, match="dimension out of range"):
        F.normalize(minigrad.ones(3))
    with pytest.raises(RuntimeError, match="Expected a floating point tensor"):
        F.normalize(minigrad.tensor([[1, 2]]))


# -- losses --------------------------------------------------------------------------------------------------

def _reduced(loss, reduction):
    return loss.mean() if reduction == "mean" else loss.sum() if reduction == "sum" else loss


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("loss, sample", op_db.params(op_db.VALUES, "loss"))
def test_loss_values_and_derivatives(loss, sample, reduction):
    x, t = (leaf(a) for a in op_db.arrays(sample.inputs))
    reference = sample.ref(x.detach().numpy(), t.detach().numpy())
    expected = _reduced(reference, reduction)
    if sample.id == "l1_weight" and reduction == "mean":  # PyTorch's weighted mean: sum(w l) / sum(w)
        expected = reference.sum() / (t.detach().numpy() * 2 + 0.5).sum()
    np.testing.assert_allclose(loss(x, t, reduction).detach().numpy(), expected, rtol=1e-10, atol=1e-12)
    check_grads(lambda a, b: loss(a, b, reduction), x, t)


def test_bce_at_exact_zero_and_one_is_pytorchs():
    p = leaf([0.0, 0.3, 1.0])
    loss = F.binary_cross_entropy(p, minigrad.tensor([0.0, 1.0, 1.0], dtype=minigrad.float64), reduction="none")
    np.testing.assert_allclose(loss.detach().numpy(), [0.0, -np.log(0.3), 0.0])
    p = leaf([0.0])
    F.binary_cross_entropy(p, minigrad.tensor([1.0], dtype=minigrad.float64)).backward()
    assert p.grad.tolist() == [-1e12]  # (x - t) / max(x (1 - x), 1e-12)
    p = leaf([0.0])
    F.binary_cross_entropy(p, minigrad.tensor([0.5], dtype=minigrad.float64)).backward()
    assert p.grad.tolist() == [-0.5e12]
    big = leaf([-200.0, 200.0])
    out = F.binary_cross_entropy_with_logits(big, minigrad.tensor([1.0, 0.0], dtype=minigrad.float64),
                                             reduction="none")
    np.testing.assert_allclose(out.detach().numpy(), [200.0, 200.0])
    x = leaf([0.0])
    F.binary_cross_entropy_with_logits(x, minigrad.tensor([1.0], dtype=minigrad.float64)).backward()
    assert x.grad.tolist() == [-0.5]


def test_loss_modules():
    x, t = randn(3, 2), leaf(RNG.uniform(0, 1, (3, 2)))
    w, pw = minigrad.tensor([1.0, 2.0], dtype=minigrad.float64), minigrad.tensor([2.0, 0.5], dtype=minigrad.float64)
    pairs = ((nn.L1Loss(reduction="sum"), F.l1_loss(x, t, reduction="sum")),
             (nn.SmoothL1Loss(beta=0.3), F.smooth_l1_loss(x, t, beta=0.3)),
             (nn.HuberLoss(delta=2.0), F.huber_loss(x, t, delta=2.0)),
             (nn.BCELoss(weight=w), F.binary_cross_entropy(minigrad.sigmoid(x), t, weight=w)),
             (nn.BCEWithLogitsLoss(weight=w, pos_weight=pw),
              F.binary_cross_entropy_with_logits(x, t, weight=w, pos_weight=pw)))
    for i, (module, expected) in enumerate(pairs):
        got = module(minigrad.sigmoid(x) if i == 3 else x, t)
        assert got.item() == pytest.approx(expected.item(), rel=1e-12)
    assert [repr(m) for m, _ in pairs] == ["L1Loss()", "SmoothL1Loss()", "HuberLoss()", "BCELoss()",
                                           "BCEWithLogitsLoss()"]
    assert list(nn.BCEWithLogitsLoss(weight=w, pos_weight=pw).state_dict()) == ["weight", "pos_weight"]


def test_loss_argument_errors():
    x, t = minigrad.tensor([0.5, 0.5]), minigrad.tensor([1.0, 0.0])
    with pytest.raises(RuntimeError, match="between 0 and 1"):
        F.binary_cross_entropy(minigrad.tensor([1.5]), minigrad.tensor([1.0]))
    with pytest.raises(ValueError, match=r"target size \(\(2, 1\)\) that is different to the input size"):
        F.binary_cross_entropy(x, t.reshape(2, 1))
    with pytest.raises(ValueError, match=r"Target size \(\(2, 1\)\) must be the same as input size \(\(2,\)\)"):
        F.binary_cross_entropy_with_logits(x, t.reshape(2, 1))
    with pytest.warns(UserWarning, match="different to the input size"):
        F.l1_loss(x, t.reshape(2, 1))
    with pytest.raises(RuntimeError, match="expected floating-point input and target, got dtypes float32 and int64"):
        F.binary_cross_entropy(x, minigrad.tensor([1, 0]))
    with pytest.raises(RuntimeError, match="expected input and target of one dtype"):
        F.binary_cross_entropy(x.double(), t)
    with pytest.raises(RuntimeError, match="smooth_l1_loss does not support negative values for beta"):
        F.smooth_l1_loss(x, t, beta=-1)
    assert F.smooth_l1_loss(x, t, beta=0).item() == pytest.approx(F.l1_loss(x, t).item())
    with pytest.raises(RuntimeError, match="huber_loss does not support non-positive values for delta"):
        F.huber_loss(x, t, delta=0)
    with pytest.raises(ValueError, match="reduction must be 'mean', 'sum' or 'none'"):
        F.l1_loss(x, t, reduction="avg")
    with pytest.raises(NotImplementedError, match="size_average="):
        nn.BCELoss(size_average=True)
    with pytest.raises(ValueError, match="Weights and input must have the same size"):
        F.l1_loss(x, t, weight=minigrad.ones(1))
    with pytest.raises(TypeError, match="argument 'target' must be Tensor"):
        F.l1_loss(x, [1.0, 0.0])


# -- rearranging ops -----------------------------------------------------------------------------------------

ARANGE = np.arange(24.0).reshape(2, 3, 4)

@pytest.mark.parametrize("op, sample", op_db.params(op_db.VALUES, "rearrange"))
def test_rearranging_values_and_derivatives(op, sample):
    np.testing.assert_array_equal(op(leaf(ARANGE)).detach().numpy(), sample.ref(ARANGE))
    check_grads(op, *(leaf(a) for a in op_db.arrays(sample.inputs)))


def test_narrow_is_a_view_and_flip_a_copy():
    x = minigrad.arange(12.0).reshape(3, 4)
    x.narrow(1, 1, 2).add_(100)
    assert x[0].tolist() == [0.0, 101.0, 102.0, 3.0]
    x.flip((1,)).add_(100)
    assert x[0].tolist() == [0.0, 101.0, 102.0, 3.0]


def test_repeat_interleave_of_counts_alone():
    out = minigrad.repeat_interleave(minigrad.tensor([1, 0, 2]))
    assert out.dtype == minigrad.int64 and out.tolist() == [0, 2, 2]


def test_rearranging_argument_errors():
    x = minigrad.arange(12.0).reshape(3, 4)
    with pytest.raises(TypeError, match="argument 'dims' must be tuple of ints"):
        minigrad.flip(x, 0)
    with pytest.raises(RuntimeError, match="more than once"):
        x.flip(0, 0)
    with pytest.raises(IndexError, match="dimension out of range"):
        x.flip(2)
    with pytest.raises(RuntimeError, match="shifts and dimensions must align. shifts: 2, dims: 1"):
        x.roll((1, 2), 0)
    with pytest.raises(RuntimeError, match=r"start \(3\) \+ length \(2\) exceeds dimension size \(4\)"):
        x.narrow(1, 3, 2)
    with pytest.raises(IndexError, match="start out of range"):
        x.narrow(1, 5, 0)
    with pytest.raises(RuntimeError, match="length must be non-negative"):
        x.narrow(1, 0, -1)
    with pytest.raises(RuntimeError, match="repeats must have the same size as input along dim"):
        x.repeat_interleave(minigrad.tensor([1, 2]), dim=0)
    with pytest.raises(RuntimeError, match="repeats can not be negative"):
        x.repeat_interleave(-1)
    with pytest.raises(RuntimeError, match="repeats must be an integer tensor"):
        x.repeat_interleave(minigrad.tensor([1.0, 2.0, 3.0]), dim=0)
    with pytest.raises(RuntimeError, match="sizes of tensors must match"):
        minigrad.vstack([minigrad.ones(2), minigrad.ones(1)])
    with pytest.raises(TypeError, match="argument 'dims' must be an int or a tuple of ints"):
        x.tile(1.5)


def test_pad_argument_errors():
    x = minigrad.zeros(1, 3, 4)
    with pytest.raises(RuntimeError, match="Padding length must be divisible by 2"):
        F.pad(x, (1,))
    with pytest.raises(RuntimeError, match="padding length 8 and input of dimension 3"):
        F.pad(x, (1,) * 8)
    with pytest.raises(TypeError, match="argument 'pad' must be tuple of ints"):
        F.pad(x, (1.5, 1))
    with pytest.raises(RuntimeError, match="resulted in a negative output size"):
        F.pad(x, (-3, -2))
    with pytest.raises(NotImplementedError, match="Unrecognised padding mode 'foo'"):
        F.pad(x, (1, 1), mode="foo")
    with pytest.raises(RuntimeError, match="padding size should be less than the corresponding input dimension"):
        F.pad(x, (4, 1), mode="reflect")
    with pytest.raises(RuntimeError, match="wrap around more than once"):
        F.pad(x, (5, 0), mode="circular")
    with pytest.raises(RuntimeError, match="doesn't take in value argument"):
        F.pad(x, (1, 1), mode="reflect", value=1.0)
    with pytest.raises(NotImplementedError, match="Padding size 2 is not supported for 1D input"):
        F.pad(minigrad.zeros(4), (1, 1), mode="replicate")
    assert F.pad(minigrad.arange(3), (1, 1), value=2.5).tolist() == [2, 0, 1, 2, 2]  # cast to int64, as PyTorch


# -- scatter -------------------------------------------------------------------------------------------------

INDEX = np.array([[0, 1], [2, 0], [1, 3]])


def _np_scatter(base, index, src, add):
    out = base.copy()
    for i in range(index.shape[0]):
        for j in range(index.shape[1]):
            if add:
                out[i, index[i, j]] += src[i, j]
            else:
                out[i, index[i, j]] = src[i, j]
    return out


@pytest.mark.parametrize("add", [False, True], ids=["scatter", "scatter_add"])
def test_scatter_values_and_derivatives(add):
    index = minigrad.tensor(INDEX)
    base, src = RNG.standard_normal((3, 4)), RNG.standard_normal((3, 3))  # src larger than index: sliced

    def op(x, s):
        return x.scatter_add(1, index, s) if add else x.scatter(1, index, s)

    np.testing.assert_array_equal(op(leaf(base), leaf(src)).detach().numpy(), _np_scatter(base, INDEX, src, add))
    check_grads(op, leaf(base), leaf(src))
    x, s = leaf(base), leaf(src)
    op(x, s).sum().backward()
    written = np.zeros((3, 4), bool)
    written[np.arange(3)[:, None], INDEX] = True
    np.testing.assert_array_equal(x.grad.numpy(), np.ones((3, 4)) if add else ~written)
    np.testing.assert_array_equal(s.grad.numpy(), np.pad(np.ones((3, 2)), ((0, 0), (0, 1))))


def test_scatter_of_a_value_along_dim0():
    out = minigrad.zeros(3, 2).scatter(0, minigrad.tensor([[2, 0]]), 5.0)
    assert out.tolist() == [[0.0, 5.0], [0.0, 0.0], [5.0, 0.0]]
    assert minigrad.scatter(minigrad.zeros(3, dtype=minigrad.int64), 0, minigrad.tensor([1]), value=7).tolist() == \
        [0, 7, 0]


def test_scatter_in_place():
    x = minigrad.zeros(3, 4)
    assert x.scatter_(1, minigrad.tensor([2, 0, 3]).unsqueeze(1), 1) is x
    np.testing.assert_array_equal(x.numpy(), np.eye(4)[[2, 0, 3]])
    x.scatter_add_(1, minigrad.tensor([[0, 0], [1, 1], [3, 2]]), minigrad.ones(3, 2))
    np.testing.assert_array_equal(x.numpy(), [[2, 0, 1, 0], [1, 2, 0, 0], [0, 0, 1, 2]])
    with pytest.raises(RuntimeError, match="leaf tensor that requires grad"):
        leaf([0.0, 0.0]).scatter_(0, minigrad.tensor([1]), 1.0)
    src = leaf([1.0])
    y = minigrad.zeros(2, dtype=minigrad.float64).scatter_add_(0, minigrad.tensor([1]), src)  # recorded, as PyTorch
    assert y.tolist() == [0.0, 1.0]
    (y * minigrad.tensor([5.0, 7.0], dtype=minigrad.float64)).sum().backward()
    assert src.grad.tolist() == [7.0]


def test_scatter_argument_errors():
    x, index = minigrad.zeros(3, 4), minigrad.tensor(INDEX)
    with pytest.raises(RuntimeError, match="index 5 is out of bounds for dimension 1 with size 4"):
        x.scatter(1, index + 2, 1.0)
    with pytest.raises(RuntimeError, match="Expected dtype int64 for index"):
        x.scatter(1, index.float(), 1.0)
    with pytest.raises(RuntimeError, match="same number of dimensions"):
        x.scatter(1, index[0], 1.0)
    with pytest.raises(RuntimeError, match="no larger size than src"):
        x.scatter(1, index, minigrad.ones(3, 1))
    with pytest.raises(RuntimeError, match="Expected self.dtype to be equal to src.dtype"):
        x.scatter(1, index, minigrad.ones(3, 2, dtype=minigrad.float64))
    with pytest.raises(TypeError, match="argument 'src' must be Tensor"):
        x.scatter_add(1, index, 1.0)
    with pytest.raises(NotImplementedError, match="reduce="):
        x.scatter(1, index, minigrad.ones(3, 2), reduce="add")


# -- adaptive pooling, Unflatten -----------------------------------------------------------------------------

def _np_adaptive_avg(a, oh, ow):
    h, w = a.shape[-2:]
    out = np.empty(a.shape[:-2] + (oh, ow))
    for i in range(oh):
        for j in range(ow):
            rows = slice(i * h // oh, -(-(i + 1) * h // oh))
            cols = slice(j * w // ow, -(-(j + 1) * w // ow))
            out[..., i, j] = a[..., rows, cols].mean(axis=(-2, -1))
    return out


@pytest.mark.parametrize("size", [1, (2, 3), (None, 2), (8, 7), (5, 7)])
def test_adaptive_avg_pool2d_values_and_derivatives(size):
    a = RNG.standard_normal((2, 3, 5, 7))
    oh, ow = (size, size) if isinstance(size, int) else (size[0] or 5, size[1] or 7)
    np.testing.assert_allclose(F.adaptive_avg_pool2d(leaf(a), size).detach().numpy(), _np_adaptive_avg(a, oh, ow),
                               rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(nn.AdaptiveAvgPool2d(size)(leaf(a[0])).detach().numpy(),
                               _np_adaptive_avg(a[0], oh, ow), rtol=1e-12, atol=1e-12)
    check_grads(lambda x: F.adaptive_avg_pool2d(x, size), randn(1, 2, 5, 7))


def test_adaptive_avg_pool2d_argument_errors_and_print():
    x = minigrad.zeros(1, 2, 5, 7)
    with pytest.raises(RuntimeError, match="output_size must be 2"):
        F.adaptive_avg_pool2d(x, (2, 2, 2))
    with pytest.raises(RuntimeError, match="greater than or equal to 0"):
        F.adaptive_avg_pool2d(x, -1)
    with pytest.raises(RuntimeError, match=r"Expected 3D or 4D tensor, but got \[5, 7\]"):
        F.adaptive_avg_pool2d(x[0, 0], 2)
    with pytest.raises(NotImplementedError, match="not implemented for dtype int64"):
        F.adaptive_avg_pool2d(x.long(), 2)
    assert repr(nn.AdaptiveAvgPool2d((2, None))) == "AdaptiveAvgPool2d(output_size=(2, None))"


def test_unflatten_module():
    x = randn(3, 4)
    assert nn.Unflatten(1, (2, -1))(x).shape == (3, 2, 2)
    assert repr(nn.Unflatten(1, [2, -1])) == "Unflatten(dim=1, unflattened_size=[2, -1])"
    with pytest.raises(TypeError, match="unflattened_size must be a tuple or list"):
        nn.Unflatten(1, 4)


# -- in-place math, finfo/iinfo ------------------------------------------------------------------------------

IN_PLACE = dict(op.inplace for op in op_db.OPS if op.inplace)  # "exp_": np.exp, ...


@pytest.mark.parametrize("name", IN_PLACE)
def test_in_place_math(name):
    a = np.array([0.5, 2.0, 9.0])
    x = minigrad.tensor(a)
    version = x._vc[0]
    assert getattr(x, name)() is x and x._vc[0] == version + 1
    np.testing.assert_allclose(x.numpy(), IN_PLACE[name](a), rtol=1e-6)


def test_in_place_pow_and_its_refusals():
    x = minigrad.tensor([4.0, 9.0])
    x.pow_(minigrad.tensor([1.0, 0.5]))
    assert x.tolist() == [4.0, 3.0]
    assert minigrad.tensor([4, 9]).pow_(2).tolist() == [16, 81]
    with pytest.raises(RuntimeError, match="type float32 can't be cast to the desired output of shape"):
        minigrad.tensor([4, 9]).sqrt_()
    with pytest.raises(RuntimeError, match="can't be cast"):
        minigrad.tensor([4.0]).pow_(minigrad.ones(2))  # would need another shape
    with pytest.raises(RuntimeError, match="leaf tensor that requires grad"):
        leaf([1.0]).exp_()


def test_finfo_and_iinfo():
    for dtype in (minigrad.float16, minigrad.float32, minigrad.float64):
        info, ref = minigrad.finfo(dtype), np.finfo(dtype)
        assert (info.bits, info.eps, info.max, info.min, info.tiny) == (
            ref.bits, float(ref.eps), float(ref.max), float(ref.min), float(ref.smallest_normal))
        assert info.dtype == str(np.dtype(dtype)) and info.resolution == 10.0 ** -ref.precision
    assert minigrad.finfo().eps == 2.0 ** -23
    assert (minigrad.iinfo(minigrad.int64).max, minigrad.iinfo(minigrad.uint8).min) == (2 ** 63 - 1, 0)
    assert minigrad.iinfo(minigrad.int32).bits == 32
    with pytest.raises(TypeError, match="requires a floating point input type"):
        minigrad.finfo(minigrad.int64)
    with pytest.raises(TypeError, match="requires an integer input type, got bool"):
        minigrad.iinfo(minigrad.bool)
