"""BatchNorm: the seed chapter's from-scratch batch_norm / BatchNorm and PyTorch's BatchNorm1d / BatchNorm2d."""
import re

import numpy as np
import pytest

import minigrad
from minigrad import nn
from minigrad.nn import functional as F

EPS = 1e-5


def t64(a, requires_grad=True):
    return minigrad.tensor(np.asarray(a, dtype=np.float64), requires_grad=requires_grad)


def axes_of(ndim):
    return (0,) if ndim == 2 else (0,) + tuple(range(2, ndim))


def bshape(x_shape):
    return (1, x_shape[1]) + (1,) * (len(x_shape) - 2)


def np_batch_norm(x, gamma, beta, mean, var, eps=EPS):
    s = bshape(x.shape)
    return gamma.reshape(s) * (x - mean.reshape(s)) / np.sqrt(var.reshape(s) + eps) + beta.reshape(s)


def np_batch_stats(x):
    ax = axes_of(x.ndim)
    return x.mean(axis=ax), x.var(axis=ax)  # biased variance, as the normalisation uses


def composed_batch_norm(X, gamma, beta, eps=EPS):
    """BatchNorm from primitive minigrad ops only (autograd differentiates it)."""
    ax = axes_of(X.ndim)
    s = bshape(X.shape)
    mean = X.mean(axis=ax, keepdims=True)
    centred = X - mean
    var = (centred * centred).mean(axis=ax, keepdims=True)
    x_hat = centred / minigrad.sqrt(var + eps)
    return gamma.reshape(s) * x_hat + beta.reshape(s)


SHAPES = [(5, 3), (2, 3, 3, 2)]


def seed_param_shape(x_shape):
    return (1, x_shape[1]) if len(x_shape) == 2 else (1, x_shape[1], 1, 1)


def random_case(shape, seed):
    rng = np.random.default_rng(seed)
    c = shape[1]
    x = rng.standard_normal(shape) * 2 + rng.standard_normal(bshape(shape)) * 3
    gamma = rng.uniform(0.5, 2.0, seed_param_shape(shape))
    beta = rng.standard_normal(seed_param_shape(shape))
    mm = rng.standard_normal(seed_param_shape(shape))
    mv = rng.uniform(0.5, 2.0, seed_param_shape(shape))
    assert gamma.size == c
    return rng, x, gamma, beta, mm, mv


# ---------------------------------------------------------------------------
# The D2L chapter's functional batch_norm (F.d2l_batch_norm)

@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("training", [True, False])
def test_functional_batch_norm_gradcheck(shape, training):
    _, x, gamma, beta, mm, mv = random_case(shape, 0)
    X, g, b = t64(x), t64(gamma), t64(beta)
    mmt, mvt = t64(mm, False), t64(mv, False)
    assert minigrad.gradcheck(
        lambda X, g, b: F.d2l_batch_norm(X, g, b, mmt, mvt, EPS, 0.9, training=training)[0], [X, g, b])


@pytest.mark.parametrize("shape", SHAPES)
def test_functional_batch_norm_values_and_moving_stats(shape):
    _, x, gamma, beta, mm, mv = random_case(shape, 1)
    Y, new_mm, new_mv = F.d2l_batch_norm(t64(x), t64(gamma), t64(beta), t64(mm, False), t64(mv, False),
                                         eps=EPS, momentum=0.9, training=True)
    mean, var = np_batch_stats(x)
    np.testing.assert_allclose(Y.numpy(), np_batch_norm(x, gamma, beta, mean, var), rtol=1e-12, atol=1e-12)
    assert new_mm.shape == mm.shape and new_mv.shape == mv.shape
    np.testing.assert_allclose(new_mm.numpy(), 0.9 * mm + 0.1 * mean.reshape(mm.shape), rtol=1e-12)
    np.testing.assert_allclose(new_mv.numpy(), 0.9 * mv + 0.1 * var.reshape(mv.shape), rtol=1e-12)
    # inference: the moving statistics normalise, and come back unchanged
    mmt, mvt = t64(mm, False), t64(mv, False)
    Y, out_mm, out_mv = F.d2l_batch_norm(t64(x), t64(gamma), t64(beta), mmt, mvt, EPS, 0.9, training=False)
    np.testing.assert_allclose(Y.numpy(), np_batch_norm(x, gamma, beta, mm, mv), rtol=1e-12, atol=1e-12)
    np.testing.assert_array_equal(out_mm.numpy(), mm)
    np.testing.assert_array_equal(out_mv.numpy(), mv)


def test_functional_batch_norm_follows_grad_mode_by_default():
    _, x, gamma, beta, mm, mv = random_case((6, 2), 2)
    args = (t64(x), t64(gamma), t64(beta), t64(mm, False), t64(mv, False))
    mean, var = np_batch_stats(x)
    Y, _, _ = F.d2l_batch_norm(*args, eps=EPS, momentum=0.9)
    np.testing.assert_allclose(Y.numpy(), np_batch_norm(x, gamma, beta, mean, var), rtol=1e-12)
    with minigrad.no_grad():
        Y, _, _ = F.d2l_batch_norm(*args, eps=EPS, momentum=0.9)
    np.testing.assert_allclose(Y.numpy(), np_batch_norm(x, gamma, beta, mm, mv), rtol=1e-12)


def test_functional_batch_norm_bad_rank():
    with pytest.raises(ValueError, match=re.escape("(2, 3, 4)")):
        F.d2l_batch_norm(minigrad.zeros(2, 3, 4), minigrad.ones(1, 3), minigrad.zeros(1, 3),
                         minigrad.zeros(1, 3), minigrad.ones(1, 3), EPS, 0.9, training=True)


# ---------------------------------------------------------------------------
# Hand-derived backward against autograd through primitive ops

@pytest.mark.parametrize("shape", SHAPES + [(4, 2, 3)])
@pytest.mark.parametrize("param_shape", ["seed", "flat"])
def test_hand_derived_backward_equals_composed_autograd(shape, param_shape):
    rng, x, gamma, beta, _, _ = random_case(shape, 3)
    if param_shape == "flat":
        gamma, beta = gamma.reshape(-1), beta.reshape(-1)
    upstream = rng.standard_normal(shape)

    X1, g1, b1 = t64(x), t64(gamma), t64(beta)
    fn = F.BatchNormFunction(EPS)
    y1 = fn(X1, g1, b1)
    mean, var = np_batch_stats(x)
    np.testing.assert_allclose(fn.mean, mean, rtol=1e-12)  # read before backward frees the Function
    np.testing.assert_allclose(fn.var, var, rtol=1e-12)
    y1.backward(upstream)

    X2, g2, b2 = t64(x), t64(gamma), t64(beta)
    y2 = composed_batch_norm(X2, g2, b2)
    y2.backward(upstream)

    np.testing.assert_allclose(y1.numpy(), y2.numpy(), rtol=0, atol=1e-10)
    for a, b in ((X1, X2), (g1, g2), (b1, b2)):
        assert a.grad.shape == a.shape
        np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=0, atol=1e-10)
    # the gradient w.r.t. X is not trivially zero (a random upstream gradient is needed for that)
    assert np.abs(X1.grad.numpy()).max() > 1e-3


@pytest.mark.parametrize("shape", SHAPES)
def test_hand_derived_backward_equals_composed_through_modules(shape):
    rng, x, gamma, beta, _, _ = random_case(shape, 4)
    upstream = rng.standard_normal(shape)
    seed_bn = nn.BatchNorm(shape[1], num_dims=len(shape)).double()
    torch_bn = (nn.BatchNorm1d if len(shape) == 2 else nn.BatchNorm2d)(shape[1]).double()
    seed_bn.gamma.array[...] = gamma
    seed_bn.beta.array[...] = beta
    torch_bn.weight.array[...] = gamma.reshape(-1)
    torch_bn.bias.array[...] = beta.reshape(-1)
    X0, X1, X2 = t64(x), t64(x), t64(x)
    seed_bn(X0).backward(upstream)
    torch_bn(X1).backward(upstream)
    g2, b2 = t64(gamma), t64(beta)
    composed_batch_norm(X2, g2, b2).backward(upstream)
    for X in (X0, X1):
        np.testing.assert_allclose(X.grad.numpy(), X2.grad.numpy(), rtol=0, atol=1e-10)
    np.testing.assert_allclose(seed_bn.gamma.grad.numpy(), g2.grad.numpy(), rtol=0, atol=1e-10)
    np.testing.assert_allclose(seed_bn.beta.grad.numpy(), b2.grad.numpy(), rtol=0, atol=1e-10)
    np.testing.assert_allclose(torch_bn.weight.grad.numpy(), g2.grad.numpy().reshape(-1), rtol=0, atol=1e-10)
    np.testing.assert_allclose(torch_bn.bias.grad.numpy(), b2.grad.numpy().reshape(-1), rtol=0, atol=1e-10)


# ---------------------------------------------------------------------------
# Module gradchecks

def gradcheck_bn_module(module, x, grad_mode=True):
    """Gradcheck a (float64) BatchNorm module w.r.t. input and parameters.

    gradcheck evaluates its finite differences under no_grad; the seed's
    BatchNorm decides train/inference by grad mode, so the call re-enables it.
    """
    module.double()
    params = list(module.parameters())
    assert len(params) == 2

    def fn(x, *ps):
        with minigrad.set_grad_enabled(grad_mode):
            return module(x)
    return minigrad.gradcheck(fn, [x, *params])


def warm_up(module, shape, steps=3, seed=5):
    """A few training batches so that the running statistics are not the initial 0 / 1."""
    rng = np.random.default_rng(seed)
    module.train()
    for _ in range(steps):
        module(minigrad.tensor(rng.standard_normal(shape) * 2 + 1, dtype=module_dtype(module)))


def module_dtype(module):
    return next(module.parameters()).dtype


def randomise_affine(module, seed=6):
    rng = np.random.default_rng(seed)
    scale, shift = module.parameters()  # gamma / weight, then beta / bias
    scale.array[...] = rng.uniform(0.5, 1.5, scale.shape)
    shift.array[...] = rng.standard_normal(shift.shape)
    return module


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("training", [True, False])
def test_seed_batchnorm_module_gradcheck(shape, training):
    rng = np.random.default_rng(7)
    bn = nn.BatchNorm(shape[1], num_dims=len(shape)).double()
    randomise_affine(bn)
    warm_up(bn, shape)
    bn.train(training)
    assert gradcheck_bn_module(bn, t64(rng.standard_normal(shape) * 2))


@pytest.mark.parametrize("cls,shape", [(nn.BatchNorm1d, (5, 3)), (nn.BatchNorm1d, (3, 2, 4)),
                                       (nn.BatchNorm2d, (2, 3, 3, 2))])
@pytest.mark.parametrize("training", [True, False])
def test_torch_batchnorm_module_gradcheck(cls, shape, training):
    rng = np.random.default_rng(8)
    bn = cls(shape[1]).double()
    randomise_affine(bn)
    warm_up(bn, shape)
    bn.train(training)
    assert gradcheck_bn_module(bn, t64(rng.standard_normal(shape) * 2))


# ---------------------------------------------------------------------------
# Running statistics

@pytest.mark.parametrize("shape", SHAPES)
def test_seed_batchnorm_moving_statistics(shape):
    rng = np.random.default_rng(9)
    bn = nn.BatchNorm(shape[1], num_dims=len(shape)).double()
    ps = seed_param_shape(shape)
    mm, mv = np.zeros(ps), np.ones(ps)
    for step in range(4):
        x = rng.standard_normal(shape) * (step + 1) + step
        y = bn(t64(x))
        mean, var = np_batch_stats(x)
        np.testing.assert_allclose(y.numpy(), np_batch_norm(x, np.ones(ps), np.zeros(ps), mean, var), rtol=1e-10,
                                   atol=1e-12)
        mm = 0.9 * mm + 0.1 * mean.reshape(ps)
        mv = 0.9 * mv + 0.1 * var.reshape(ps)  # biased variance, the seed's convention
        np.testing.assert_allclose(bn.moving_mean.numpy(), mm, rtol=1e-12)
        np.testing.assert_allclose(bn.moving_var.numpy(), mv, rtol=1e-12)
    # the buffers stay registered (and in the state_dict) after forward replaced them
    sd = bn.state_dict()
    np.testing.assert_allclose(sd["moving_mean"].numpy(), mm, rtol=1e-12)
    np.testing.assert_allclose(sd["moving_var"].numpy(), mv, rtol=1e-12)
    assert bn.moving_mean.requires_grad is False and bn.moving_var.requires_grad is False

    # inference: module.eval() or no_grad() use the moving statistics and leave them alone
    x = rng.standard_normal(shape)
    expected = np_batch_norm(x, np.ones(ps), np.zeros(ps), mm, mv)
    with minigrad.no_grad():
        y_nograd = bn(t64(x, False))
    bn.eval()
    y_eval = bn(t64(x))
    for y in (y_nograd, y_eval):
        np.testing.assert_allclose(y.numpy(), expected, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(bn.moving_mean.numpy(), mm, rtol=1e-12)
    np.testing.assert_allclose(bn.moving_var.numpy(), mv, rtol=1e-12)


def test_seed_batchnorm_float32_stays_float32():
    bn = nn.BatchNorm(3, num_dims=2)
    rng = np.random.default_rng(10)
    x = rng.standard_normal((8, 3)).astype(np.float32)
    y = bn(minigrad.tensor(x))
    assert y.dtype == np.float32 and bn.moving_mean.dtype == np.float32 and bn.moving_var.dtype == np.float32
    np.testing.assert_allclose(bn.moving_mean.numpy(), 0.1 * x.mean(0, keepdims=True), rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("cls,shape", [(nn.BatchNorm1d, (6, 3)), (nn.BatchNorm1d, (3, 3, 4)),
                                       (nn.BatchNorm2d, (2, 3, 3, 2))])
def test_torch_batchnorm_running_statistics(cls, shape):
    rng = np.random.default_rng(11)
    bn = cls(shape[1]).double()
    c = shape[1]
    rm, rv = np.zeros(c), np.ones(c)
    m = int(np.prod(shape)) // c
    for step in range(4):
        x = rng.standard_normal(shape) * (step + 1) + step
        y = bn(t64(x))
        mean, var = np_batch_stats(x)
        # normalisation with the biased variance
        np.testing.assert_allclose(y.numpy(), np_batch_norm(x, np.ones(c), np.zeros(c), mean, var), rtol=1e-10,
                                   atol=1e-12)
        rm = 0.9 * rm + 0.1 * mean
        rv = 0.9 * rv + 0.1 * var * m / (m - 1)  # running variance: the unbiased one
        np.testing.assert_allclose(bn.running_mean.numpy(), rm, rtol=1e-12)
        np.testing.assert_allclose(bn.running_var.numpy(), rv, rtol=1e-12)
        assert int(bn.num_batches_tracked.item()) == step + 1
    assert bn.num_batches_tracked.dtype == np.int64

    # eval mode normalises with the running statistics and does not update them
    bn.eval()
    x = rng.standard_normal(shape)
    y = bn(t64(x))
    np.testing.assert_allclose(y.numpy(), np_batch_norm(x, np.ones(c), np.zeros(c), rm, rv), rtol=1e-10,
                               atol=1e-12)
    np.testing.assert_allclose(bn.running_mean.numpy(), rm, rtol=1e-12)
    assert int(bn.num_batches_tracked.item()) == 4


def test_torch_batchnorm_momentum_none_is_cumulative_average():
    rng = np.random.default_rng(12)
    bn = nn.BatchNorm2d(2, momentum=None).double()
    means, uvars = [], []
    for step in range(5):
        x = rng.standard_normal((3, 2, 2, 2)) * (step + 1) + 2 * step
        bn(t64(x))
        means.append(x.mean(axis=(0, 2, 3)))
        uvars.append(x.var(axis=(0, 2, 3), ddof=1))
        np.testing.assert_allclose(bn.running_mean.numpy(), np.mean(means, axis=0), rtol=1e-12)
        np.testing.assert_allclose(bn.running_var.numpy(), np.mean(uvars, axis=0), rtol=1e-12)
    assert int(bn.num_batches_tracked.item()) == 5


def test_torch_batchnorm_custom_momentum():
    rng = np.random.default_rng(13)
    bn = nn.BatchNorm1d(2, momentum=0.3).double()
    x = rng.standard_normal((4, 2))
    bn(t64(x))
    np.testing.assert_allclose(bn.running_mean.numpy(), 0.3 * x.mean(0), rtol=1e-12)
    np.testing.assert_allclose(bn.running_var.numpy(), 0.7 + 0.3 * x.var(0, ddof=1), rtol=1e-12)


def test_torch_batchnorm_train_mode_under_no_grad_uses_batch_stats():
    """PyTorch's BatchNorm2d follows module.training, not grad mode (unlike the seed's BatchNorm)."""
    rng = np.random.default_rng(14)
    bn = nn.BatchNorm2d(2).double()
    x = rng.standard_normal((2, 2, 2, 2)) + 5
    with minigrad.no_grad():
        y = bn(t64(x, False))
    mean, var = np_batch_stats(x)
    np.testing.assert_allclose(y.numpy(), np_batch_norm(x, np.ones(2), np.zeros(2), mean, var), rtol=1e-10)
    np.testing.assert_allclose(bn.running_mean.numpy(), 0.1 * mean, rtol=1e-12)
    assert int(bn.num_batches_tracked.item()) == 1


def test_seed_batchnorm_single_example_does_not_crash():
    """The seed's shape-printing run puts one example through BatchNorm(120, 2): var = 0, so x_hat = 0 and Y = beta."""
    bn = nn.BatchNorm(4, num_dims=2)
    bn.beta.array[...] = np.array([[1.0, 2.0, 3.0, 4.0]])
    with pytest.warns(UserWarning, match="one value per channel"):  # said once (tests/test_batch_of_one.py)
        y = bn(minigrad.tensor(np.array([[5.0, -1.0, 2.0, 7.0]], dtype=np.float32)))
    assert y.shape == (1, 4)
    np.testing.assert_allclose(y.numpy(), [[1.0, 2.0, 3.0, 4.0]])
    assert np.all(np.isfinite(y.numpy()))
    np.testing.assert_allclose(bn.moving_var.numpy(), 0.9)  # 0.9 * 1 + 0.1 * 0


# ---------------------------------------------------------------------------
# Parameters, buffers and initial values

@pytest.mark.parametrize("num_dims,shape", [(2, (1, 5)), (4, (1, 5, 1, 1))])
def test_seed_batchnorm_init_parameters_and_buffers(num_dims, shape):
    bn = nn.BatchNorm(5, num_dims=num_dims)
    assert bn.gamma.shape == shape and bn.beta.shape == shape
    assert np.all(bn.gamma.numpy() == 1) and np.all(bn.beta.numpy() == 0)
    assert bn.gamma.dtype == np.float32 and bn.gamma.requires_grad and bn.beta.requires_grad
    assert isinstance(bn.gamma, nn.Parameter) and isinstance(bn.beta, nn.Parameter)
    assert [n for n, _ in bn.named_parameters()] == ["gamma", "beta"]
    assert [n for n, _ in bn.named_buffers()] == ["moving_mean", "moving_var"]
    assert list(bn.state_dict()) == ["gamma", "beta", "moving_mean", "moving_var"]
    assert bn.moving_mean.shape == shape and np.all(bn.moving_mean.numpy() == 0)
    assert bn.moving_var.shape == shape and np.all(bn.moving_var.numpy() == 1)
    assert not isinstance(bn.moving_mean, nn.Parameter) and not bn.moving_mean.requires_grad


@pytest.mark.parametrize("cls", [nn.BatchNorm1d, nn.BatchNorm2d])
def test_torch_batchnorm_init_parameters_and_buffers(cls):
    bn = cls(7)
    assert bn.weight.shape == (7,) and bn.bias.shape == (7,)
    assert np.all(bn.weight.numpy() == 1) and np.all(bn.bias.numpy() == 0)
    assert [n for n, _ in bn.named_parameters()] == ["weight", "bias"]
    assert [n for n, _ in bn.named_buffers()] == ["running_mean", "running_var", "num_batches_tracked"]
    assert list(bn.state_dict()) == ["weight", "bias", "running_mean", "running_var", "num_batches_tracked"]
    assert np.all(bn.running_mean.numpy() == 0) and np.all(bn.running_var.numpy() == 1)
    assert bn.num_batches_tracked.shape == () and int(bn.num_batches_tracked.item()) == 0
    assert bn.momentum == 0.1 and bn.eps == 1e-5


def test_seed_gamma_reshape_as_in_the_chapter():
    bn = nn.BatchNorm(6, num_dims=4)
    assert bn.gamma.reshape((-1,)).shape == (6,)
    assert bn.beta.reshape((-1,)).shape == (6,)


# ---------------------------------------------------------------------------
# Bad input

@pytest.mark.parametrize("make,shape,expected", [
    (lambda: nn.BatchNorm(3, num_dims=2), (4, 3, 2, 2), "(N, C)"),
    (lambda: nn.BatchNorm(3, num_dims=4), (4, 3), "(N, C, H, W)"),
    (lambda: nn.BatchNorm(3, num_dims=2), (4, 5), "3"),
    (lambda: nn.BatchNorm(3, num_dims=4), (2, 4, 2, 2), "3"),
    (lambda: nn.BatchNorm2d(3), (4, 3), "(N, C, H, W)"),
    (lambda: nn.BatchNorm2d(3), (2, 5, 2, 2), "3"),
    (lambda: nn.BatchNorm1d(3), (4, 3, 2, 2), "(N, C)"),
    (lambda: nn.BatchNorm1d(3), (4, 2), "3"),
])
def test_batchnorm_wrong_shape_names_expected_and_actual(make, shape, expected):
    bn = make()
    # PyTorch's types: ValueError for the number of dimensions, RuntimeError for the number of channels
    with pytest.raises(RuntimeError if expected == "3" else ValueError) as info:
        bn(minigrad.zeros(*shape))
    message = str(info.value)
    assert expected in message and str(shape) in message


@pytest.mark.parametrize("cls,shape", [(nn.BatchNorm1d, (1, 3)), (nn.BatchNorm1d, (1, 3, 1)),
                                       (nn.BatchNorm2d, (1, 3, 1, 1))])
def test_torch_batchnorm_one_value_per_channel_in_training(cls, shape):
    bn = cls(3)
    with pytest.raises(ValueError, match=re.escape(str(shape))):
        bn(minigrad.ones(*shape))
    assert int(bn.num_batches_tracked.item()) == 0
    bn.eval()  # inference with one example is fine
    y = bn(minigrad.ones(*shape))
    np.testing.assert_allclose(y.numpy(), 1 / np.sqrt(1 + 1e-5), rtol=1e-6)


def test_torch_batchnorm_two_values_per_channel_is_enough():
    y = nn.BatchNorm2d(3)(minigrad.tensor(np.arange(6, dtype=np.float32).reshape(1, 3, 2, 1)))
    np.testing.assert_allclose(y.numpy()[0, :, :, 0], [[-1, 1]] * 3, rtol=1e-4)


@pytest.mark.parametrize("num_dims", [1, 3, 5])
def test_seed_batchnorm_bad_num_dims(num_dims):
    with pytest.raises(ValueError, match=str(num_dims)):
        nn.BatchNorm(4, num_dims=num_dims)


# ---------------------------------------------------------------------------
# eps and momentum: checked with their names, and used (each test kills a surviving mutant: docs/testing.md)

@pytest.mark.parametrize("make,name", [(lambda **kw: nn.BatchNorm(3, num_dims=2, **kw), "BatchNorm"),
                                       (lambda **kw: nn.BatchNorm1d(3, **kw), "BatchNorm1d"),
                                       (lambda **kw: nn.BatchNorm2d(3, **kw), "BatchNorm2d")])
def test_eps_and_momentum_are_checked_with_their_names(make, name):
    with pytest.raises(ValueError, match=re.escape(f"{name}: invalid eps: 0 (eps must be in (0, inf))")):
        make(eps=0)
    with pytest.raises(ValueError, match=re.escape(f"{name}: invalid momentum: 1.5 (momentum must be in [0, 1])")):
        make(momentum=1.5)
    assert make(momentum=1.0).momentum == 1.0 and make(eps=1e-9).eps == 1e-9


@pytest.mark.parametrize("shape", SHAPES)
def test_seed_batchnorm_uses_its_eps_and_momentum(shape):
    rng, x, gamma, beta, _, _ = random_case(shape, 8)
    bn = nn.BatchNorm(shape[1], num_dims=len(shape), eps=0.5, momentum=0.25).double()
    y = bn(t64(x, requires_grad=False))
    mean, var = np_batch_stats(x)
    ones = np.ones(shape[1])
    np.testing.assert_allclose(y.numpy(), np_batch_norm(x, ones, 0 * ones, mean, var, eps=0.5), rtol=1e-12)
    np.testing.assert_allclose(bn.moving_mean.numpy().ravel(), 0.75 * mean, rtol=1e-12)
    np.testing.assert_allclose(bn.moving_var.numpy().ravel(), 0.25 + 0.75 * var, rtol=1e-12)


def test_torch_batchnorm_eval_uses_its_eps():
    rng = np.random.default_rng(9)
    x = rng.standard_normal((4, 3, 2, 2))
    bn = nn.BatchNorm2d(3, eps=0.5).double().eval()
    np.testing.assert_allclose(bn(t64(x, requires_grad=False)).numpy(), x / np.sqrt(1.5), rtol=1e-12)


def test_torch_batchnorm_counts_batches_in_int64_and_keeps_no_affine_stand_ins():
    bn = nn.BatchNorm2d(3)
    assert bn.num_batches_tracked.dtype == np.int64
    assert list(nn.BatchNorm2d(3, affine=False).state_dict()) == ["running_mean", "running_var", "num_batches_tracked"]


@pytest.mark.parametrize("make,name", [(lambda: nn.BatchNorm(3, num_dims=4), "BatchNorm(num_dims=4)"),
                                       (lambda: nn.BatchNorm2d(3), "BatchNorm2d")])
def test_wrong_channel_count_error_names_the_layer(make, name):
    with pytest.raises(RuntimeError, match=re.escape(f"{name}: expected 3 channels (dim 1), got input of shape "
                                                   "(2, 4, 2, 2)")):
        make()(minigrad.zeros(2, 4, 2, 2))


def test_float32_statistics_over_many_values_stay_close_to_float64():
    """A channel of 294,912 values (ResNet's stem at batch 128): the float32 output within 1e-6 of the float64 one
    (relative to its largest value). Summing the squared deviations in one running sum (einsum) gave 7e-6; the
    per-row BLAS dots give 4.7e-7."""
    x = (np.random.default_rng(0).standard_normal((128, 8, 48, 48)) * 2 + 3).astype(np.float32)
    y32 = nn.BatchNorm2d(8)(minigrad.tensor(x)).numpy()
    y64 = nn.BatchNorm2d(8).double()(minigrad.tensor(x.astype(np.float64))).numpy()
    assert y32.dtype == np.float32
    assert np.abs(y32 - y64).max() / np.abs(y64).max() < 1e-6


@pytest.mark.parametrize("training", [True, False])
def test_batchnorm_keeps_no_activation_sized_array_of_its_own_for_backward(training):
    """x_hat is rebuilt from the kept input in backward (as PyTorch keeps input, mean, invstd): the graph node holds
    nothing of the activation's size besides its input, and the gradients match the closed form on x_hat."""
    rng = np.random.default_rng(5)
    x = minigrad.tensor(rng.standard_normal((6, 3, 4, 5)), requires_grad=True)
    gamma = minigrad.tensor(rng.standard_normal(3), requires_grad=True)
    beta = minigrad.tensor(rng.standard_normal(3), requires_grad=True)
    mean, var = rng.standard_normal(3), rng.random(3) + 0.5
    y = F.batch_norm(x, minigrad.tensor(mean), minigrad.tensor(var), gamma, beta, training=training)
    kept = {k: v.shape for k, v in vars(y.grad_fn).items() if isinstance(v, np.ndarray) and v.size >= x.numel()}
    assert kept == {}
    gy = rng.standard_normal(y.shape)
    y.backward(minigrad.tensor(gy))
    xa = x.numpy()
    if training:
        mean, var = xa.mean((0, 2, 3)), xa.var((0, 2, 3))
    x_hat = (xa - mean[:, None, None]) / np.sqrt(var[:, None, None] + 1e-5)
    np.testing.assert_allclose(gamma.grad.numpy(), (gy * x_hat).sum((0, 2, 3)), rtol=1e-12)
    dxh = gy * gamma.numpy()[:, None, None]
    expected = dxh / np.sqrt(var[:, None, None] + 1e-5)
    if training:
        expected -= (dxh.mean((0, 2, 3), keepdims=True)
                     + x_hat * (dxh * x_hat).mean((0, 2, 3), keepdims=True)) / np.sqrt(var[:, None, None] + 1e-5)
    np.testing.assert_allclose(x.grad.numpy(), expected, rtol=1e-9, atol=1e-12)


def test_batchnorm_backward_refuses_an_input_changed_in_place_after_forward():
    """The input is what backward rebuilds x_hat from: a change to it in place is the version error."""
    x = minigrad.randn(4, 3, requires_grad=True) * 1.0
    y = nn.BatchNorm1d(3)(x)
    with minigrad.no_grad():
        x += 1
    with pytest.raises(RuntimeError, match="modified by an inplace operation: input 0 of BatchNormFunctionBackward"):
        y.sum().backward()
