"""Tests written for survivors of the full mutmut run over minigrad/nn/functional.py (docs/testing.md,
"Mutation testing"): PyTorch's defaults, dtype checks of every argument, gradients asked for one input
only, pooling's padding bound and its non-tiling windows, against NumPy and the loops of tests/naive.py."""

import numpy as np
import pytest

import minigrad
import minigrad.nn.functional as F
from minigrad.autograd import grad
from naive import pool2d as naive_pool2d

RNG = np.random.default_rng(1217)


def t(a, requires_grad=False):
    return minigrad.tensor(np.asarray(a), requires_grad=requires_grad)


def np_batch_norm(x, mean, var, eps=1e-5):
    shape = (1, -1) + (1,) * (x.ndim - 2)
    return (x - mean.reshape(shape)) / np.sqrt(var.reshape(shape) + eps)


# -- batch_norm ------------------------------------------------------------------------------------

def test_batch_norm_defaults_are_eval_mode_momentum_0_1_and_eps_1e_5():
    x = RNG.standard_normal((4, 3, 2))
    rm, rv = RNG.standard_normal(3), RNG.uniform(0.5, 2.0, 3)
    y = F.batch_norm(t(x), t(rm.copy()), t(rv.copy()))                     # training=False by default
    np.testing.assert_allclose(y.numpy(), np_batch_norm(x, rm, rv), rtol=1e-12)
    run_m, run_v = t(rm.copy()), t(rv.copy())
    y = F.batch_norm(t(x), run_m, run_v, training=True)
    mu, var = x.mean((0, 2)), x.var((0, 2))
    np.testing.assert_allclose(y.numpy(), np_batch_norm(x, mu, var), rtol=1e-12)
    np.testing.assert_allclose(run_m.numpy(), 0.9 * rm + 0.1 * mu, rtol=1e-12)
    np.testing.assert_allclose(run_v.numpy(), 0.9 * rv + 0.1 * x.var((0, 2), ddof=1), rtol=1e-12)


@pytest.mark.parametrize("momentum", [1.5, -0.1])
def test_batch_norm_momentum_outside_0_1_is_a_value_error(momentum):
    with pytest.raises(ValueError, match="momentum"):
        F.batch_norm(t(np.ones((2, 3))), t(np.zeros(3)), t(np.ones(3)), training=True, momentum=momentum)


@pytest.mark.parametrize("which", ["running_mean", "running_var", "weight", "bias"])
def test_batch_norm_checks_the_dtype_of_each_statistic_and_parameter(which):
    args = {k: t(np.ones(3, dtype=np.float32)) for k in ("running_mean", "running_var", "weight", "bias")}
    args[which] = t(np.ones(3, dtype=np.float64))
    with pytest.raises(RuntimeError, match=which):
        F.batch_norm(t(np.ones((2, 3), dtype=np.float32)), args["running_mean"], args["running_var"],
                     args["weight"], args["bias"])


def test_batch_norm_with_a_weight_and_no_bias_keeps_float32():
    x = RNG.standard_normal((4, 3)).astype(np.float32)
    w = RNG.standard_normal(3).astype(np.float32)
    y = F.batch_norm(t(x), None, None, t(w), None, training=True)
    assert y.dtype == minigrad.float32
    np.testing.assert_allclose(y.numpy(), np_batch_norm(x.astype(np.float64), x.mean(0), x.var(0)) * w,
                               rtol=2e-5, atol=1e-5)


def test_eval_batch_norm_gives_the_input_gradient_when_only_the_input_asks():
    x = t(RNG.standard_normal((4, 3)), requires_grad=True)
    rm, rv, w = RNG.standard_normal(3), RNG.uniform(0.5, 2.0, 3), RNG.standard_normal(3)
    gy = RNG.standard_normal((4, 3))
    (F.batch_norm(x, t(rm), t(rv), t(w)) * t(gy)).sum().backward()   # the weight does not require grad
    np.testing.assert_allclose(x.grad.numpy(), gy * w / np.sqrt(rv + 1e-5), rtol=1e-12)


def test_d2l_batch_norm_default_momentum_weighs_the_old_value_by_0_9():
    x = RNG.standard_normal((5, 3))
    mm, mv = RNG.standard_normal(3), RNG.uniform(0.5, 2.0, 3)
    _, new_m, new_v = F.d2l_batch_norm(t(x), t(np.ones(3)), t(np.zeros(3)), t(mm), t(mv), training=True)
    np.testing.assert_allclose(new_m.numpy(), 0.9 * mm + 0.1 * x.mean(0), rtol=1e-12)
    np.testing.assert_allclose(new_v.numpy(), 0.9 * mv + 0.1 * x.var(0), rtol=1e-12)


# -- conv2d and linear -----------------------------------------------------------------------------

def test_conv2d_default_padding_is_0_and_unbatched_input_is_one_sample():
    x, w = RNG.standard_normal((2, 5, 6)), RNG.standard_normal((3, 2, 3, 2))
    y = F.conv2d(t(x), t(w))
    assert y.shape == (3, 3, 5)
    np.testing.assert_allclose(y.numpy(), F.conv2d(t(x[None]), t(w)).numpy()[0], rtol=1e-14)


@pytest.mark.parametrize("fn, shapes", [(F.conv2d, [(1, 2, 4, 4), (3, 2, 2, 2), (3,)]),
                                        (F.linear, [(4, 5), (3, 5), (3,)])])
@pytest.mark.parametrize("odd", [0, 1, 2])
def test_conv2d_and_linear_check_the_dtype_of_every_argument(fn, shapes, odd):
    args = [t(np.ones(s, dtype=np.float64 if i == odd else np.float32)) for i, s in enumerate(shapes)]
    with pytest.raises(RuntimeError, match="dtype|float"):
        fn(*args)


def test_conv2d_gives_the_input_gradient_when_only_the_input_asks():
    x = t(RNG.standard_normal((2, 2, 5, 4)), requires_grad=True)
    w = RNG.standard_normal((3, 2, 2, 3))
    y = F.conv2d(x, t(w), stride=(1, 2), padding=(1, 0))
    gy = RNG.standard_normal(y.shape)
    (y * t(gy)).sum().backward()
    x2 = t(x.numpy(), requires_grad=True)
    w2 = t(w, requires_grad=True)                                     # both asking: the usual path
    (F.conv2d(x2, w2, stride=(1, 2), padding=(1, 0)) * t(gy)).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), x2.grad.numpy(), rtol=1e-13)


def test_conv2d_input_gradient_is_differentiable_in_the_upstream_gradient_alone():
    # gx = conv_transpose(gy, w) is linear in gy: d<gx, v>/dgy = conv(v, w)
    x = t(RNG.standard_normal((1, 2, 4, 5)), requires_grad=True)
    w = t(RNG.standard_normal((3, 2, 2, 2)))
    y = F.conv2d(x, w, padding=1)
    gy = t(RNG.standard_normal(y.shape), requires_grad=True)
    (gx,) = grad(y, x, gy, create_graph=True)
    v = RNG.standard_normal(gx.shape)
    (ggy,) = grad((gx * t(v)).sum(), gy)
    np.testing.assert_allclose(ggy.numpy(), F.conv2d(t(v), w, padding=1).numpy(), rtol=1e-13)


def test_linear_graph_gradient_of_the_input_when_only_the_input_asks():
    x = t(RNG.standard_normal((4, 3)), requires_grad=True)
    w = RNG.standard_normal((2, 3))
    gy = RNG.standard_normal((4, 2))
    (gx,) = grad(F.linear(x, t(w)), x, t(gy), create_graph=True)
    np.testing.assert_allclose(gx.numpy(), gy @ w, rtol=1e-14)


# -- log_softmax / softmax -------------------------------------------------------------------------

def test_log_softmax_dtype_argument_converts_first():
    a = RNG.standard_normal((2, 3)).astype(np.float32)
    y = F.log_softmax(t(a), 1, dtype=minigrad.float64)
    assert y.dtype == minigrad.float64
    a64 = a.astype(np.float64)
    np.testing.assert_allclose(y.numpy(), a64 - np.log(np.exp(a64).sum(1, keepdims=True)), rtol=1e-14)
    assert F.log_softmax(t(a), 1).dtype == minigrad.float32


def test_softmax_of_a_0d_tensor_with_the_implicit_dim_is_1():
    with pytest.warns(UserWarning, match="Implicit dimension"):
        y = F.softmax(t(np.float64(3.0)))
    assert y.shape == () and y.item() == 1.0
    with pytest.warns(UserWarning, match="Implicit dimension"):
        y = F.log_softmax(t(np.float64(3.0)))
    assert y.shape == () and y.item() == 0.0


# -- pooling: padding bound and windows that do not tile -------------------------------------------

@pytest.mark.parametrize("pool", [F.max_pool2d, F.avg_pool2d])
@pytest.mark.parametrize("padding", [(2, 0), (0, 2)])
def test_pooling_padding_over_half_the_kernel_on_either_axis_is_an_error(pool, padding):
    with pytest.raises((ValueError, RuntimeError), match="pad"):
        pool(t(np.ones((1, 1, 6, 6))), (2, 2), padding=padding)


@pytest.mark.parametrize("kind", ["max", "avg"])
@pytest.mark.parametrize("shape, kernel, stride, padding", [
    ((2, 2, 6, 6), 3, 2, 0),                 # h == k * oh although the windows overlap
    ((2, 2, 4, 4), (4, 2), (4, 2), (1, 0)),  # stride == kernel and h == k * oh, but padded
])
def test_pooling_where_sizes_look_tiled_but_windows_are_not_tiles(kind, shape, kernel, stride, padding):
    x = RNG.standard_normal(shape)
    pool = F.max_pool2d if kind == "max" else F.avg_pool2d
    xt = t(x, requires_grad=True)
    y = pool(xt, kernel, stride, padding)
    gy = RNG.standard_normal(y.shape)
    (y * t(gy)).sum().backward()
    y_ref, gx_ref = naive_pool2d(x, kind, kernel, stride, padding, gy)
    np.testing.assert_allclose(y.numpy(), y_ref, rtol=1e-13)
    np.testing.assert_allclose(xt.grad.numpy(), gx_ref, rtol=1e-13, atol=1e-15)


def test_batch_norm_float64_input_with_float32_statistics_is_an_error_and_float16_mixes_with_float32():
    with pytest.raises(RuntimeError, match="dtype|float"):
        F.batch_norm(t(np.ones((2, 3))), t(np.zeros(3, dtype=np.float32)), t(np.ones(3, dtype=np.float32)))
    x = RNG.standard_normal((4, 3)).astype(np.float16)                  # mixed precision: float32 weight only
    y = F.batch_norm(t(x), None, None, t(np.ones(3, dtype=np.float32)), None, training=True)
    x64 = x.astype(np.float64)
    np.testing.assert_allclose(y.numpy().astype(np.float64), np_batch_norm(x64, x64.mean(0), x64.var(0)),
                               atol=1e-2)


def test_log_softmax_shifts_each_row_by_its_own_maximum():
    a = np.array([[1000.0, 999.0, 997.0], [-1000.0, -1001.0, -1004.0]])
    ref = a - np.log(np.exp(a - a.max(1, keepdims=True)).sum(1, keepdims=True)) - a.max(1, keepdims=True)
    np.testing.assert_allclose(F.log_softmax(t(a), 1).numpy(), ref, rtol=1e-12)   # a global shift: -inf, NaN
    np.testing.assert_allclose(F.softmax(t(a), 1).numpy(), np.exp(ref), rtol=1e-12)


def test_softmax_dtype_argument_converts_first():
    a = RNG.standard_normal((2, 3)).astype(np.float32)
    y = F.softmax(t(a), 1, dtype=minigrad.float64)
    assert y.dtype == minigrad.float64
    e = np.exp(a.astype(np.float64))
    np.testing.assert_allclose(y.numpy(), e / e.sum(1, keepdims=True), rtol=1e-14)


def test_implicit_softmax_dim_warning_points_at_the_callers_line():
    with pytest.warns(UserWarning, match="Implicit dimension") as record:
        F.log_softmax(t(np.ones((2, 3))))
    assert record[0].filename == __file__


@pytest.mark.parametrize("kwargs", [{"reduce": False}, {"size_average": True}])
def test_cross_entropy_unsupported_arguments_are_refused(kwargs):
    with pytest.raises(NotImplementedError):
        F.cross_entropy(t(np.zeros((2, 3))), t(np.array([0, 1])), **kwargs)


# -- dropout and one_hot: PyTorch's defaults --------------------------------------------------------

def test_dropout_defaults_to_p_one_half_in_training():
    x = minigrad.ones(200, 50)
    minigrad.manual_seed(3)
    y = F.dropout(x).numpy()
    keep = np.random.default_rng(3).random((200, 50)) >= 0.5
    np.testing.assert_array_equal(y, np.where(keep, 2.0, 0.0).astype(np.float32))
    layer = minigrad.nn.Dropout()
    assert layer.p == 0.5 and layer.training
    minigrad.manual_seed(3)
    np.testing.assert_array_equal(layer(x).numpy(), y)                    # the module passes p and training


def test_one_hot_of_an_empty_tensor_with_zero_classes_is_an_error():
    with pytest.raises(RuntimeError, match=r"^Can not infer total number of classes from empty tensor\.$"):
        F.one_hot(minigrad.zeros(0, dtype=minigrad.long), 0)             # as PyTorch: no classes to count


def test_one_hot_with_zero_classes_names_the_value_too_large():
    with pytest.raises(RuntimeError, match=r"^Class values must be smaller than num_classes \(0\), got 0$"):
        F.one_hot(minigrad.tensor([0]), 0)


def test_mse_loss_takes_one_integer_operand():
    # PyTorch promotes: only two integer operands are an error
    loss = F.mse_loss(t(np.array([1.0, 2.0, 4.0])), t(np.array([1, 0, 2])))
    assert loss.dtype == minigrad.float64 and float(loss) == (0.0 + 4.0 + 4.0) / 3
    assert float(F.mse_loss(t(np.array([1, 0, 2])), t(np.array([1.0, 2.0, 4.0])))) == 8.0 / 3


def test_cross_entropy_of_an_empty_batch_is_nan_of_the_logits_dtype():
    loss = F.cross_entropy(minigrad.zeros(0, 3), minigrad.zeros(0, dtype=minigrad.long))
    assert loss.shape == () and loss.dtype == minigrad.float32 and np.isnan(float(loss))   # PyTorch: nan


def test_mse_loss_and_tensor_T_warnings_point_at_the_callers_line():  # noqa: N802 (PyTorch's Tensor.T)
    # blind under mutmut (its trampoline adds a frame): scripts/mutation.py deselects it there
    with pytest.warns(UserWarning, match=r"Using a target size \(\(3, 1\)\) that is different to the input size "
                      r"\(\(3,\)\)") as record:
        F.mse_loss(minigrad.ones(3), minigrad.zeros(3, 1))
    assert record[0].filename == __file__
    with pytest.warns(UserWarning, match="Tensor.T on a tensor of dimension other than 2") as record:
        minigrad.ones(3).T
    assert record[0].filename == __file__


def test_mse_loss_against_a_python_number():
    assert float(F.mse_loss(t(np.array([1.0, 2.0])), 1.0)) == 0.5
    # an integer input and an int number: the dtype error names both (was an AttributeError on the number)
    with pytest.raises(NotImplementedError,
                       match=r"^mse_loss: expected floating-point input or target, got dtypes int64 and int64$"):
        F.mse_loss(minigrad.tensor([1, 2]), 1)


def test_eval_batch_norm_weight_gradient_with_one_value_per_channel():
    x, w = RNG.standard_normal((1, 3)), RNG.standard_normal(3)
    rm, rv, gy = RNG.standard_normal(3), RNG.uniform(0.5, 2.0, 3), RNG.standard_normal((1, 3))
    weight = t(w, requires_grad=True)
    F.batch_norm(t(x), t(rm), t(rv), weight=weight).backward(t(gy))
    np.testing.assert_allclose(weight.grad.numpy(), (gy * np_batch_norm(x, rm, rv))[0], rtol=1e-12)


def test_batch_norm_third_derivative_through_the_upstream_gradient():
    # gradgradcheck of x, v -> d<v, bn(x)>/dx differentiates BatchNorm's input gradient in v, then in x
    def input_grad(x, v):
        (g,) = grad(F.batch_norm(x, None, None, training=True), [x], grad_outputs=[v], create_graph=True)
        return g
    x = t(RNG.standard_normal((4, 2)), requires_grad=True)
    v = t(RNG.standard_normal((4, 2)), requires_grad=True)
    assert minigrad.gradgradcheck(input_grad, [x, v])
