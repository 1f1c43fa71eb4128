"""Layers: float64 gradchecks, forward values, bad input, initialisers (tight references: test_references.py)."""
import math
import re
import warnings

import numpy as np
import pytest

import minigrad
from minigrad import nn
from minigrad.nn import functional as F

import naive


def re_shape(shape):
    return re.escape(str(tuple(shape)))


def t64(a, requires_grad=True):
    return minigrad.tensor(np.asarray(a, dtype=np.float64), requires_grad=requires_grad)


def gradcheck_module(module, x):
    """Gradcheck ``module`` (converted to float64) w.r.t. its input and every parameter."""
    module.double()
    params = list(module.parameters())
    assert all(p.dtype == np.float64 for p in params)
    assert minigrad.gradcheck(lambda x, *ps: module(x), [x, *params])


# ---------------------------------------------------------------------------
# References (the tight forward and backward comparisons are in test_references.py)

def np_log_softmax(z, axis=-1):
    z = z - z.max(axis=axis, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=axis, keepdims=True))


# ---------------------------------------------------------------------------
# Linear

@pytest.mark.parametrize("bias", [True, False])
def test_linear_gradcheck(bias):
    rng = np.random.default_rng(0)
    layer = nn.Linear(4, 3, bias=bias)
    assert (layer.bias is not None) == bias
    gradcheck_module(layer, t64(rng.standard_normal((5, 4))))


@pytest.mark.parametrize("bias", [True, False])
def test_linear_forward_matches_numpy(bias):
    rng = np.random.default_rng(1)
    layer = nn.Linear(6, 4, bias=bias)
    x = rng.standard_normal((3, 6)).astype(np.float32)
    y = layer(minigrad.tensor(x))
    expected = x @ layer.weight.numpy().T + (layer.bias.numpy() if bias else 0)
    assert y.shape == (3, 4) and y.dtype == np.float32
    np.testing.assert_allclose(y.numpy(), expected, rtol=1e-5, atol=1e-6)
    assert [n for n, _ in layer.named_parameters()] == (["weight", "bias"] if bias else ["weight"])
    assert layer.weight.shape == (4, 6)


@pytest.mark.parametrize("shape", [(2, 5), (2, 3, 5), (5,)])
def test_linear_wrong_input_shape(shape):  # PyTorch's (*, in_features): any leading dims, the last one must fit
    layer = nn.Linear(4, 3)
    with pytest.raises(RuntimeError, match=re_shape(shape)):
        layer(minigrad.zeros(*shape))
    with pytest.raises(RuntimeError, match=re.escape("got ()")):
        layer(minigrad.zeros(()))


# ---------------------------------------------------------------------------
# Conv2d

CONV_CASES = [
    # (input HxW, kernel, stride, padding)
    ((5, 5), 3, 1, 0),
    ((5, 6), 3, 2, 1),
    ((7, 9), (2, 3), 1, 0),
    ((7, 9), (2, 3), 2, 1),
    ((6, 7), (3, 2), (2, 1), (0, 1)),  # different strides and paddings per axis
]


@pytest.mark.parametrize("hw,kernel,stride,padding", CONV_CASES)
@pytest.mark.parametrize("bias", [True, False])
def test_conv2d_gradcheck(hw, kernel, stride, padding, bias):
    rng = np.random.default_rng(2)
    layer = nn.Conv2d(2, 3, kernel, stride=stride, padding=padding, bias=bias)
    gradcheck_module(layer, t64(rng.standard_normal((2, 2) + hw)))


def test_conv2d_output_shapes_and_parameter_shapes():
    layer = nn.Conv2d(3, 8, (2, 3), stride=2, padding=1)
    assert layer.weight.shape == (8, 3, 2, 3) and layer.bias.shape == (8,)
    y = layer(minigrad.zeros(4, 3, 7, 9))
    assert y.shape == (4, 8, (7 + 2 - 2) // 2 + 1, (9 + 2 - 3) // 2 + 1)  # (4, 8, 4, 5)
    y = nn.Conv2d(1, 6, kernel_size=5)(minigrad.zeros(1, 1, 28, 28))
    assert y.shape == (1, 6, 24, 24)


def test_conv2d_non_contiguous_input():
    rng = np.random.default_rng(10)
    base = rng.standard_normal((2, 5, 6, 2))
    x = base.transpose(0, 3, 1, 2)  # (2, 2, 5, 6), not C-contiguous
    layer = nn.Conv2d(2, 3, 3, stride=(1, 2), padding=(1, 0)).double()
    y = layer(minigrad.Tensor(x))
    expected = naive.conv2d(np.ascontiguousarray(x), layer.weight.numpy(), layer.bias.numpy(), (1, 2), (1, 0))
    np.testing.assert_allclose(y.numpy(), expected, rtol=1e-12, atol=1e-12)


def test_layer_chain_gradcheck():
    """Layers fed by other layers' outputs (whatever memory layout those come in) differentiate correctly."""
    rng = np.random.default_rng(11)
    net = nn.Sequential(nn.Conv2d(2, 3, 3, padding=1), nn.BatchNorm2d(3), nn.Tanh(), nn.AvgPool2d(2),
                        nn.Conv2d(3, 2, 2), nn.Flatten(), nn.Linear(2, 3))
    gradcheck_module(net, t64(rng.standard_normal((2, 2, 4, 4))))
    net.eval()
    gradcheck_module(net, t64(rng.standard_normal((2, 2, 4, 4))))
    pool_net = nn.Sequential(nn.Conv2d(2, 3, 2), nn.MaxPool2d(2, stride=1), nn.BatchNorm2d(3), nn.Sigmoid())
    gradcheck_module(pool_net, t64(rng.standard_normal((2, 2, 4, 5))))


@pytest.mark.parametrize("shape", [(2, 4, 5, 5), (4, 5, 5), (3, 5), (1, 2, 3, 5, 5)])
def test_conv2d_wrong_input_shape(shape):  # (N, C, H, W) or PyTorch's unbatched (C, H, W)
    layer = nn.Conv2d(3, 2, 3)
    with pytest.raises(RuntimeError, match=re_shape(shape)):
        layer(minigrad.zeros(*shape))


def test_conv2d_input_smaller_than_kernel():
    with pytest.raises(RuntimeError, match="kernel"):
        nn.Conv2d(1, 1, 5)(minigrad.zeros(1, 1, 3, 8))


# ---------------------------------------------------------------------------
# Pooling

POOL_CASES = [(2, 2, 0), (3, 2, 0), (3, 1, 0), (2, 2, 1), (3, 2, 1), (3, 1, 1),  # (kernel, stride, padding)
              ((2, 3), (1, 2), (1, 0)), ((3, 2), (2, 1), (0, 1)), ((2, 3), None, 0), ((1, 3), (2, 2), (0, 1))]


def distinct_input(shape, seed):
    """Values without ties (a scaled random permutation), so max pooling is differentiable."""
    rng = np.random.default_rng(seed)
    n = int(np.prod(shape))
    return (rng.permutation(n).reshape(shape) - n / 2) * 0.1


@pytest.mark.parametrize("k,s,p", POOL_CASES)
@pytest.mark.parametrize("cls", [nn.AvgPool2d, nn.MaxPool2d])
def test_pool_gradcheck(cls, k, s, p):
    x = t64(distinct_input((2, 2, 5, 6), seed=3))
    assert minigrad.gradcheck(cls(kernel_size=k, stride=s, padding=p), [x])


def test_maxpool_gradient_goes_to_the_maximum_only():
    x = t64([[[[1.0, 5.0], [3.0, 2.0]]]])
    y = nn.MaxPool2d(2)(x)
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[[[0, 1], [0, 0]]]])


def test_avgpool_overlapping_gradient_counts_windows():
    # k=2, s=1 on 3x3: the centre pixel lies in all four windows
    x = t64(np.zeros((1, 1, 3, 3)))
    nn.AvgPool2d(2, stride=1)(x).sum().backward()
    np.testing.assert_allclose(x.grad.numpy()[0, 0], np.array([[1, 2, 1], [2, 4, 2], [1, 2, 1]]) / 4)


def test_pool_stride_defaults_to_kernel_and_rejects_bad_input():
    assert nn.AvgPool2d(kernel_size=2)(minigrad.zeros(1, 6, 24, 24)).shape == (1, 6, 12, 12)
    assert nn.MaxPool2d(2)(minigrad.zeros(6, 24, 24)).shape == (6, 12, 12)  # unbatched (C, H, W), as PyTorch
    with pytest.raises(RuntimeError, match=re_shape((24, 24))):
        nn.MaxPool2d(2)(minigrad.zeros(24, 24))
    with pytest.raises(ValueError, match="padding"):
        nn.MaxPool2d(2, padding=2)(minigrad.zeros(1, 1, 6, 6))


# ---------------------------------------------------------------------------
# Activations and Flatten

@pytest.mark.parametrize("cls,ref", [
    (nn.Sigmoid, lambda x: 1 / (1 + np.exp(-x))),
    (nn.ReLU, lambda x: np.maximum(x, 0)),
    (nn.Tanh, np.tanh),
])
def test_activation_modules(cls, ref):
    rng = np.random.default_rng(5)
    x = rng.standard_normal((3, 4)) * 3
    x[np.abs(x) < 0.05] = 0.5  # ReLU: keep finite differences away from the kink
    xt = t64(x)
    np.testing.assert_allclose(cls()(xt).numpy(), ref(x), rtol=1e-12, atol=1e-15)
    assert minigrad.gradcheck(cls(), [xt])
    assert list(cls().parameters()) == []


def test_sigmoid_extreme_inputs_are_finite():
    y = nn.Sigmoid()(minigrad.tensor(np.array([-1000.0, 0.0, 1000.0])))
    np.testing.assert_allclose(y.numpy(), [0.0, 0.5, 1.0])


def test_flatten():
    rng = np.random.default_rng(6)
    x = rng.standard_normal((2, 3, 2, 2))
    y = nn.Flatten()(minigrad.tensor(x))
    assert y.shape == (2, 12)
    np.testing.assert_array_equal(y.numpy(), x.reshape(2, 12))
    assert minigrad.gradcheck(nn.Flatten(), [t64(x)])


# ---------------------------------------------------------------------------
# Softmax and cross-entropy

@pytest.mark.parametrize("dim", [-1, 0])
def test_log_softmax_and_softmax(dim):
    rng = np.random.default_rng(7)
    z = rng.standard_normal((3, 4)) * 2
    np.testing.assert_allclose(F.log_softmax(t64(z), dim).numpy(), np_log_softmax(z, dim), rtol=1e-12)
    sm = F.softmax(t64(z), dim).numpy()
    np.testing.assert_allclose(sm, np.exp(np_log_softmax(z, dim)), rtol=1e-12)
    np.testing.assert_allclose(sm.sum(axis=dim), 1.0, rtol=1e-12)
    assert minigrad.gradcheck(lambda x: F.log_softmax(x, dim), [t64(z)])
    assert minigrad.gradcheck(lambda x: F.softmax(x, dim), [t64(z)])


def test_log_softmax_large_logits_stay_finite():
    y = F.log_softmax(minigrad.tensor(np.array([[1000.0, 0.0, -1000.0]])), -1).numpy()
    np.testing.assert_allclose(y, [[0.0, -1000.0, -2000.0]])


def test_cross_entropy_matches_negative_log_softmax():
    rng = np.random.default_rng(8)
    z = rng.standard_normal((6, 5)) * 3
    t = np.array([0, 4, 2, 2, 1, 3])
    expected = -np_log_softmax(z)[np.arange(6), t].mean()
    loss = F.cross_entropy(t64(z), t)
    assert loss.shape == ()
    assert loss.item() == pytest.approx(expected, rel=1e-12)
    loss_module = nn.CrossEntropyLoss()(t64(z), minigrad.tensor(t))
    assert loss_module.item() == pytest.approx(expected, rel=1e-12)
    # float32 logits give a float32 loss
    assert F.cross_entropy(minigrad.tensor(z.astype(np.float32)), t).dtype == np.float32


def test_cross_entropy_gradcheck_and_gradient_formula():
    rng = np.random.default_rng(9)
    z = rng.standard_normal((4, 3))
    t = minigrad.tensor(np.array([2, 0, 1, 2]))
    assert minigrad.gradcheck(lambda x: F.cross_entropy(x, t), [t64(z)])
    assert minigrad.gradcheck(lambda x: nn.CrossEntropyLoss()(x, t), [t64(z)])
    zt = t64(z)
    F.cross_entropy(zt, t).backward()
    onehot = np.eye(3)[t.numpy()]
    np.testing.assert_allclose(zt.grad.numpy(), (np.exp(np_log_softmax(z)) - onehot) / 4, rtol=1e-12)


def test_cross_entropy_bad_targets():
    z = minigrad.zeros(3, 4)
    with pytest.raises(RuntimeError, match="float"):  # PyTorch: RuntimeError
        F.cross_entropy(z, minigrad.tensor(np.array([0.0, 1.0, 2.0])))
    with pytest.raises(RuntimeError, match=re_shape((3, 1))):
        F.cross_entropy(z, np.array([[0], [1], [2]]))
    with pytest.raises(ValueError, match=re_shape((2,))):
        F.cross_entropy(z, np.array([0, 1]))
    with pytest.raises(IndexError, match=r"\[0, 3\]"):
        F.cross_entropy(z, np.array([0, 4, 1]))
    with pytest.raises(IndexError, match=r"\[0, 3\]"):
        F.cross_entropy(z, np.array([0, -1, 1]))
    with pytest.raises(ValueError, match=re_shape((3, 4, 1))):
        F.cross_entropy(minigrad.zeros(3, 4, 1), np.array([0, 1, 2]))


# ---------------------------------------------------------------------------
# Initialisation

@pytest.mark.parametrize("make,fan_in", [
    (lambda: nn.Linear(50, 30), 50),
    (lambda: nn.Conv2d(3, 16, (3, 5)), 3 * 3 * 5),
])
def test_default_init_bounds(make, fan_in):
    minigrad.manual_seed(0)
    layer = make()
    bound = 1 / math.sqrt(fan_in)
    for p in (layer.weight, layer.bias):
        values = p.numpy()
        assert np.abs(values).max() <= bound
        assert p.dtype == np.float32
    w = layer.weight.numpy()
    # uniform over the whole interval, not a narrower one
    assert w.max() > 0.9 * bound and w.min() < -0.9 * bound
    assert np.var(w) == pytest.approx(bound ** 2 / 3, rel=0.15)


def test_xavier_uniform_bound_and_variance():
    minigrad.manual_seed(1)
    w = minigrad.empty(200, 300)
    out = nn.init.xavier_uniform_(w)
    assert out is w
    a = math.sqrt(6 / (200 + 300))
    v = w.numpy()
    assert np.abs(v).max() <= a and v.max() > 0.99 * a and v.min() < -0.99 * a
    assert np.var(v) == pytest.approx(a * a / 3, rel=0.03)
    assert abs(v.mean()) < 0.01 * a
    counts, _ = np.histogram(v, bins=10, range=(-a, a))
    np.testing.assert_allclose(counts, v.size / 10, rtol=0.1)
    # convolution weight: fans include the receptive field
    conv = minigrad.empty(16, 8, 3, 3)
    nn.init.xavier_uniform_(conv, gain=2.0)
    a = 2.0 * math.sqrt(6 / (8 * 9 + 16 * 9))
    assert np.abs(conv.numpy()).max() <= a and np.abs(conv.numpy()).max() > 0.9 * a


def test_xavier_needs_two_dimensions():
    with pytest.raises(ValueError, match=re_shape((5,))):
        nn.init.xavier_uniform_(minigrad.empty(5))


def test_simple_initialisers():
    minigrad.manual_seed(2)
    t = minigrad.empty(100, 100)
    assert nn.init.ones_(t) is t and np.all(t.numpy() == 1)
    assert nn.init.zeros_(t) is t and np.all(t.numpy() == 0)
    nn.init.constant_(t, 0.25)
    assert np.all(t.numpy() == 0.25)
    nn.init.uniform_(t, -2.0, 3.0)
    v = t.numpy()
    assert v.min() >= -2.0 and v.max() < 3.0 and v.mean() == pytest.approx(0.5, abs=0.05)
    nn.init.normal_(t, mean=1.0, std=0.5)
    v = t.numpy()
    assert v.mean() == pytest.approx(1.0, abs=0.02) and v.std() == pytest.approx(0.5, rel=0.03)
    d = minigrad.empty(10, 10, dtype=minigrad.float64)
    nn.init.normal_(d)
    assert d.dtype == np.float64 and d.numpy().std() > 0.5


def test_kaiming_uniform_bound():
    minigrad.manual_seed(3)
    w = nn.init.kaiming_uniform_(minigrad.empty(64, 40), a=0.0)
    bound = math.sqrt(6 / 40)
    assert np.abs(w.numpy()).max() <= bound and np.abs(w.numpy()).max() > 0.95 * bound


def test_manual_seed_makes_init_reproducible():
    minigrad.manual_seed(123)
    a = nn.Conv2d(2, 3, 3)
    minigrad.manual_seed(123)
    b = nn.Conv2d(2, 3, 3)
    c = nn.Conv2d(2, 3, 3)  # continues the stream: different values
    np.testing.assert_array_equal(a.weight.numpy(), b.weight.numpy())
    np.testing.assert_array_equal(a.bias.numpy(), b.bias.numpy())
    assert not np.array_equal(a.weight.numpy(), c.weight.numpy())
    minigrad.manual_seed(124)
    d = nn.Conv2d(2, 3, 3)
    assert not np.array_equal(a.weight.numpy(), d.weight.numpy())


# ---------------------------------------------------------------------------
# Constructor arguments as PyTorch keeps them (each test here kills a mutant that survived the rest: docs/testing.md)

def test_conv2d_keeps_its_arguments_and_checks_out_channels():
    layer = nn.Conv2d(2, 3, 3)
    assert repr(layer) == "Conv2d(2, 3, kernel_size=(3, 3), stride=(1, 1))"  # PyTorch's: no default padding
    assert (layer.in_channels, layer.out_channels) == (2, 3)
    with pytest.raises(ValueError, match=re.escape("Conv2d: out_channels must be an int >= 1, got 0")):
        nn.Conv2d(1, 0, 3)


@pytest.mark.parametrize("make", [lambda bias: nn.Conv2d(2, 3, 3, bias=bias), lambda bias: nn.Linear(4, 3, bias=bias)])
def test_bias_false_means_no_bias_parameter(make):
    assert [n for n, _ in make(False).named_parameters()] == ["weight"]
    assert make(False).bias is None
    assert [n for n, _ in make(True).named_parameters()] == ["weight", "bias"]


@pytest.mark.parametrize("make,fan_in", [(lambda: nn.Linear(50, 300), 50), (lambda: nn.Conv2d(3, 300, (3, 5)), 45)])
def test_default_init_spreads_the_bias_over_its_whole_interval(make, fan_in):
    minigrad.manual_seed(0)
    bias, bound = make().bias.numpy(), 1 / math.sqrt(fan_in)
    assert np.abs(bias).max() <= bound and bias.max() > 0.9 * bound and bias.min() < -0.9 * bound


@pytest.mark.parametrize("cls", [nn.AvgPool2d, nn.MaxPool2d])
def test_pool_stride_defaults_to_the_kernel_in_the_module(cls):
    layer = cls(2)
    extra = ", dilation=1, ceil_mode=False" if cls is nn.MaxPool2d else ""  # PyTorch's print of each
    assert layer.stride == 2 and repr(layer) == f"{cls.__name__}(kernel_size=2, stride=2, padding=0{extra})"


def test_flatten_accepts_start_equal_to_end_and_rejects_end_past_the_last_dim():
    x = minigrad.zeros(2, 3, 4)
    assert nn.Flatten(1, 1)(x).shape == (2, 3, 4)
    assert nn.Flatten(0, 2)(x).shape == (24,)
    with pytest.raises(IndexError, match=re.escape("Flatten: start_dim=1, end_dim=3 do not fit an input of shape "
                                                   "(2, 3, 4)")):
        nn.Flatten(1, 3)(x)


# ---------------------------------------------------------------------------
# nn.functional details (each test kills a mutant of minigrad/nn/functional.py that survived: docs/testing.md)

@pytest.mark.parametrize("pool", [F.avg_pool2d, F.max_pool2d])
def test_pooling_keeps_float32(pool):
    assert pool(minigrad.zeros(2, 3, 4, 5), 2).dtype == np.float32


@pytest.mark.filterwarnings("ignore:Implicit dimension choice")
@pytest.mark.parametrize("shape,dim", [((5,), 0), ((2, 3), 1), ((2, 3, 4), 0), ((2, 3, 4, 2), 1)])
def test_softmax_without_dim_picks_pytorchs_legacy_dim(shape, dim):
    """PyTorch's _get_softmax_dim: dim 0 for 0-, 1- and 3-D input, else 1."""
    z = np.random.default_rng(0).standard_normal(shape)
    np.testing.assert_allclose(F.softmax(minigrad.tensor(z)).numpy(), np.exp(np_log_softmax(z, dim)), rtol=1e-12)


def test_unsupported_arguments_are_named():
    z, t = minigrad.zeros(3, 4), minigrad.tensor(np.array([0, 1, 2]))
    with pytest.raises(NotImplementedError, match=re.escape("cross_entropy: the argument reduce= is not supported")):
        F.cross_entropy(z, t, reduce=False)
    with pytest.raises(IndexError, match=re.escape("softmax(): dimension out of range (expected to be in range of "
                                                   "[-2, 1], but got 5)")):
        F.softmax(z, dim=5)
    with pytest.raises(ValueError, match=r"^d2l_batch_norm: "):
        F.d2l_batch_norm(minigrad.zeros(2, 3, 4), minigrad.ones(1, 3), minigrad.zeros(1, 3), minigrad.zeros(1, 3),
                         minigrad.ones(1, 3))


@pytest.mark.parametrize("training", [True, False])
def test_functional_batch_norm_uses_eps_1e_5_by_default_and_the_eps_given(training):
    rng = np.random.default_rng(1)
    x = rng.standard_normal((6, 3)) * 1e-3  # a variance near eps: eps changes the result
    ones, zeros = np.ones((1, 3)), np.zeros((1, 3))
    mean, var = (x.mean(axis=0), x.var(axis=0)) if training else (zeros, ones * 1e-6)
    for kwargs, eps in (({}, 1e-5), ({"eps": 1e-4}, 1e-4)):
        y, _, _ = F.d2l_batch_norm(t64(x), t64(ones), t64(zeros), t64(zeros if training else mean, False),
                                   t64(ones if training else var, False), training=training, **kwargs)
        np.testing.assert_allclose(y.numpy(), (x - mean) / np.sqrt(var + eps), rtol=1e-10)


def test_batch_norm_with_one_value_per_channel_passes_no_gradient_to_x():
    """m = 1: y = beta whatever x is, so dx = 0 exactly (the seed's BatchNorm allows one example)."""
    x, gamma, beta = t64(np.array([[1.0, -2.0, 3.0]])), t64(np.ones(3)), t64(np.zeros(3))
    F.BatchNormFunction(1e-5)(x, gamma, beta).backward(t64(np.array([[0.5, -1.0, 2.0]]), False))
    np.testing.assert_array_equal(x.grad.numpy(), 0.0)


def test_cross_entropy_of_an_empty_batch_is_nan_without_a_warning():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        loss = F.cross_entropy(minigrad.zeros(0, 3), minigrad.tensor(np.zeros(0, dtype=np.int64)))
    assert np.isnan(loss.item())


def test_d2l_batch_norm_accepts_numpy_parameters():
    x = np.random.default_rng(2).standard_normal((4, 3))
    y, _, _ = F.d2l_batch_norm(t64(x, False), np.ones((1, 3)), np.zeros((1, 3)), np.zeros((1, 3)), np.ones((1, 3)),
                               training=True)
    np.testing.assert_allclose(y.numpy(), (x - x.mean(0)) / np.sqrt(x.var(0) + 1e-5), rtol=1e-10)


def test_batchnorm_without_affine_keeps_float32():
    x = minigrad.tensor(np.random.default_rng(3).standard_normal((2, 3, 2, 2)).astype(np.float32))
    assert nn.BatchNorm2d(3, affine=False)(x).dtype == np.float32


def test_linear_on_more_than_two_dims():
    rng = np.random.default_rng(4)
    x, w, b = rng.standard_normal((2, 3, 4)), rng.standard_normal((5, 4)), rng.standard_normal(5)
    y = F.linear(t64(x), t64(w), t64(b))
    assert y.shape == (2, 3, 5)
    np.testing.assert_allclose(y.numpy(), x @ w.T + b, rtol=1e-12)


def test_log_softmax_of_a_scalar_is_zero():
    z = t64(3.0)
    y = F.log_softmax(z, dim=0)
    y.backward()
    assert y.shape == () and y.item() == 0.0 and z.grad.item() == 0.0


def test_flatten_dims_may_be_minus_ndim():
    assert nn.Flatten(0, -3)(minigrad.zeros(2, 3, 4)).shape == (2, 3, 4)
    assert nn.Flatten(-3, -1)(minigrad.zeros(2, 3, 4)).shape == (24,)


def test_loss_modules_print_as_pytorch_whatever_their_arguments():
    assert repr(nn.CrossEntropyLoss()) == "CrossEntropyLoss()"
    assert repr(nn.CrossEntropyLoss(reduction="sum", label_smoothing=0.1)) == "CrossEntropyLoss()"
    assert repr(nn.MSELoss(reduction="none")) == "MSELoss()"
