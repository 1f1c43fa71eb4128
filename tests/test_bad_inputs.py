"""Bad and edge inputs: each gets PyTorch's result or a clear error (type and message), never a silent wrong value.

One test per class of bad input; the comment beside each says what PyTorch 2.13 does with it.
Where minigrad raises a ValueError for a bad constructor argument that PyTorch accepts and only
rejects at the first forward (with a RuntimeError), minigrad's earlier, named error is deliberate.
"""
import importlib.util
import json
import math
import os
import re
import warnings
import stat
import zipfile
from pathlib import Path

import numpy as np
import pytest

import cpu_bounded
import minigrad
from minigrad import nn, optim
from minigrad.data import DataLoader
from minigrad.nn import functional as F
from models import lenet, lenet_bn, lenet_bn_scratch
from scripts_loader import load_script

ROOT = Path(__file__).resolve().parents[1]
NAN, INF = float("nan"), float("inf")


def t64(values, requires_grad=False):
    return minigrad.tensor(np.asarray(values, dtype=np.float64), requires_grad=requires_grad)


# ---------------------------------------------------------------------------
# Autograd integrity: a tensor saved for backward and then changed in place

def test_in_place_change_of_a_saved_leaf_through_data_is_an_error():
    # PyTorch: w.data is not tracked, so it silently returns [0, 0] instead of 2w = [4, 8];
    # minigrad's .data shares the version counter, so the stale graph is refused
    w = t64([2.0, 4.0], requires_grad=True)
    y = (w * w).sum()
    w.data.fill_(0.0)
    with pytest.raises(RuntimeError,
                       match=r"modified by an inplace operation.*MulBackward.*version 1; expected version 0"):
        y.backward()


def test_in_place_add_to_a_saved_tensor_is_an_error():
    # `a += 1` on a saved intermediate -> RuntimeError at backward, as PyTorch's ("... output 0 of MulBackward0, is
    # at version 1; expected version 0"). A leaf changed under no_grad: RuntimeError at backward in both.
    w = t64([2.0, 4.0], requires_grad=True)
    a = w * 2
    y = (a * a).sum()
    a += 1
    with pytest.raises(RuntimeError, match=r"input 0 of MulBackward .* is at version 1; expected version 0"):
        y.backward()
    y = (w * w).sum()
    with minigrad.no_grad():
        w += 1
    with pytest.raises(RuntimeError, match=r"input 0 of MulBackward .* is at version 1; expected version 0"):
        y.backward()


def test_optimiser_step_between_two_backwards_of_a_retained_graph_is_an_error():
    # PyTorch: RuntimeError "... is at version 1; expected version 0 instead"
    w = nn.Parameter(t64([2.0, 4.0]))
    opt = optim.SGD([w], lr=0.1)
    y = (w * w).sum()
    y.backward(retain_graph=True)
    np.testing.assert_array_equal(w.grad.numpy(), [4.0, 8.0])
    opt.step()
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.backward()


def test_a_change_that_the_graph_did_not_save_is_allowed():
    # PyTorch: (w + 1).sum() saves nothing, so changing w afterwards still gives the gradient ones
    w = t64([2.0, 4.0], requires_grad=True)
    y = (w + 1).sum()
    w.data.fill_(0.0)
    y.backward()
    np.testing.assert_array_equal(w.grad.numpy(), [1.0, 1.0])


# ---------------------------------------------------------------------------
# NaN: propagated in the value, the gradient routed as PyTorch routes it

def test_max_min_and_argmax_propagate_nan():
    # PyTorch: max() = nan, its gradient split evenly over the NaNs ([0, .5, 0, .5]); argmax = the first NaN (1);
    # min() of [1, nan, 3] = nan with the gradient [0, 1, 0]
    x = t64([1.0, NAN, 3.0, NAN], requires_grad=True)
    y = x.max()
    assert math.isnan(y.item())
    y.backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0.0, 0.5, 0.0, 0.5])
    assert x.argmax().item() == 1
    z = t64([1.0, NAN, 3.0], requires_grad=True)
    m = z.min()
    assert math.isnan(m.item())
    m.backward()
    np.testing.assert_array_equal(z.grad.numpy(), [0.0, 1.0, 0.0])


def test_max_pool2d_propagates_nan_after_the_first_element():
    # PyTorch: max_pool2d([[1, nan], [3, 0]]) = nan, gradient 1 at the NaN
    x = t64([[[[1.0, NAN], [3.0, 0.0]]]], requires_grad=True)
    y = F.max_pool2d(x, 2)
    assert math.isnan(y.item())
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[[[0.0, 1.0], [0.0, 0.0]]]])


# ---------------------------------------------------------------------------
# dtypes

def test_float16_mean_accumulates_in_float32():
    # PyTorch: the float16 mean of 10,000 tens is 10.0 (float16), not inf
    x = minigrad.tensor(np.full(10000, 10.0, np.float16))
    m = x.mean()
    assert m.dtype == np.float16 and m.item() == 10.0


def test_batchnorm2d_in_float16_gives_finite_output():
    # PyTorch: BatchNorm2d(3).half() on ordinary float16 input is finite
    rng = np.random.default_rng(0)
    x = minigrad.tensor((rng.standard_normal((8, 3, 16, 16)) * 100 + 300).astype(np.float16))
    bn = nn.BatchNorm2d(3)
    bn.to(minigrad.float16)
    y = bn(x)
    assert y.dtype == np.float16 and np.isfinite(y.numpy()).all()
    np.testing.assert_allclose(y.numpy().astype(np.float64).mean(axis=(0, 2, 3)), 0.0, atol=0.05)


def test_cross_entropy_refuses_integer_logits():
    # PyTorch: NotImplementedError "log_softmax ... not implemented for 'Long'"; minigrad: TypeError naming the dtype
    with pytest.raises(TypeError, match="int64"):
        F.cross_entropy(minigrad.tensor([[1, 2, 3]]), minigrad.tensor([0]))


@pytest.mark.parametrize("data, shown", [
    ("abc", "str"), (np.array(["a", "b"]), "<U1"), (object(), "object"), (None, "NoneType"),
    (np.array([1, None], dtype=object), "object"), ({"a": 1}, "dict"),
])
def test_tensor_refuses_strings_objects_and_none(data, shown):
    # PyTorch: TypeError ("new(): invalid data type 'str'", "can't convert np.ndarray of type numpy.str_")
    # or RuntimeError ("Could not infer dtype of NoneType"); minigrad: TypeError naming what it got
    with pytest.raises(TypeError, match=re.escape(shown)):
        minigrad.tensor(data)
    with pytest.raises(TypeError, match="holds numbers"):
        minigrad.Tensor(data)


def test_tensor_refuses_a_non_numeric_dtype():
    # PyTorch has no string dtype; minigrad: TypeError naming it
    with pytest.raises(TypeError, match="<U5"):
        minigrad.tensor([1, 2], dtype="U5")
    with pytest.raises(TypeError, match="not a tensor dtype"):
        minigrad.ones(2).to("U5")


@pytest.mark.parametrize("values, dtype", [([NAN], "int64"), ([1e30], "int64"), ([-1.0], "uint8"), ([256.0], "uint8")])
def test_tensor_refuses_floats_that_do_not_fit_an_integer_dtype(values, dtype):
    # PyTorch: RuntimeError "value cannot be converted to type int64 without overflow"; NumPy would wrap silently
    with pytest.raises(RuntimeError, match=f"to {dtype} without overflow"):
        minigrad.tensor(values, dtype=dtype)
    # truncation, as PyTorch
    np.testing.assert_array_equal(minigrad.tensor([1.7, -1.7], dtype="int64").numpy(), [1, -1])


@pytest.mark.parametrize("spec", ["tpu", "cuda:x", "floaty", "cpu:0"])
def test_an_unknown_device_string_says_unknown_device(spec):
    # PyTorch: RuntimeError "Expected one of cpu, cuda, ... device type at start of device string: tpu";
    # minigrad: ValueError "unknown device 'tpu'" (not "unknown dtype")
    with pytest.raises(ValueError, match=f"unknown device {spec!r}"):
        minigrad.ones(2).to(spec)
    with pytest.raises(ValueError, match=f"unknown device {spec!r}"):
        nn.Linear(2, 2).to(spec)
    with pytest.raises(ValueError, match="unknown device"):
        minigrad.ones(2).to(device=spec)


def test_to_another_tensor_takes_its_dtype_and_device():
    # PyTorch: x.to(other) and module.to(other) take other's dtype and device
    other = minigrad.zeros(1, dtype=minigrad.float64)
    assert minigrad.ones(2).to(other).dtype == np.float64
    assert nn.Linear(2, 2).to(other).weight.dtype == np.float64


def test_module_to_an_integer_dtype_is_refused():
    # PyTorch: TypeError "nn.Module.to only accepts floating point or complex dtypes, but got desired dtype=torch.int64"
    net = nn.Linear(2, 2)
    with pytest.raises(TypeError, match="floating-point dtypes.*int64"):
        net.to(minigrad.int64)
    assert net.weight.dtype == np.float32


# ---------------------------------------------------------------------------
# Empty and tiny batches

def test_seed_batchnorm_on_an_empty_training_batch_keeps_its_moving_statistics():
    # PyTorch's BatchNorm2d leaves its running statistics as they were on a batch of 0;
    # the seed-style layer must not write the NaN mean of nothing into them
    bn = nn.BatchNorm(3, num_dims=4)
    bn(minigrad.randn(4, 3, 2, 2) * 2 + 1)
    mean, var = bn.moving_mean.numpy().copy(), bn.moving_var.numpy().copy()
    y = bn(minigrad.zeros(0, 3, 2, 2))
    assert y.shape == (0, 3, 2, 2)
    np.testing.assert_array_equal(bn.moving_mean.numpy(), mean)
    np.testing.assert_array_equal(bn.moving_var.numpy(), var)
    assert np.isfinite(mean).all() and np.isfinite(var).all()


@pytest.mark.parametrize("layer, shape", [
    (lambda: nn.BatchNorm2d(3), (0, 3, 4, 4)), (lambda: nn.BatchNorm1d(3), (0, 3)),
    (lambda: nn.BatchNorm1d(3), (0, 3, 5)), (lambda: nn.BatchNorm1d(3), (2, 3, 0)),
])
def test_pytorch_batchnorm_on_an_empty_training_batch(layer, shape):
    # PyTorch: output of shape (0, ...), running statistics unchanged, num_batches_tracked + 1,
    # and zero gradients for weight and bias
    bn = layer()
    x = minigrad.zeros(*shape, dtype=minigrad.float64, requires_grad=True)
    bn.double()
    y = bn(x)
    assert y.shape == shape
    np.testing.assert_array_equal(bn.running_mean.numpy(), [0.0, 0.0, 0.0])
    np.testing.assert_array_equal(bn.running_var.numpy(), [1.0, 1.0, 1.0])
    assert int(bn.num_batches_tracked.item()) == 1
    y.sum().backward()
    assert x.grad.shape == shape
    np.testing.assert_array_equal(bn.weight.grad.numpy(), [0.0, 0.0, 0.0])
    np.testing.assert_array_equal(bn.bias.grad.numpy(), [0.0, 0.0, 0.0])


def test_pytorch_batchnorm_refuses_one_value_per_channel_in_training():
    # PyTorch: ValueError "Expected more than 1 value per channel when training, got input size [1, 3]"
    with pytest.raises(ValueError, match=r"more than 1 value per channel.*\(1, 3\)"):
        nn.BatchNorm1d(3)(minigrad.ones(1, 3))
    assert nn.BatchNorm1d(3).eval()(minigrad.ones(1, 3)).shape == (1, 3)


def test_seed_batchnorm_on_a_batch_of_one_is_the_chapters_behaviour():
    # the D2L chapter's batch_norm on one example: x - mean = 0, so a 2-D BatchNorm outputs beta (kept on purpose:
    # the chapter's shape printout runs one example through the network in training mode)
    bn = nn.BatchNorm(4, num_dims=2)
    bn.beta.data.copy_(minigrad.tensor([[1.0, -2.0, 3.0, 0.5]]))
    with pytest.warns(UserWarning, match="one value per channel"):  # said once (tests/test_batch_of_one.py)
        np.testing.assert_allclose(bn(minigrad.randn(1, 4)).numpy(), [[1.0, -2.0, 3.0, 0.5]])


def test_flatten_takes_an_empty_batch():
    # PyTorch: nn.Flatten()(zeros(0, 3, 4, 4)).shape == (0, 48); nn.Flatten(1, 2) joins dims 1..2 only
    assert nn.Flatten()(minigrad.zeros(0, 3, 4, 4)).shape == (0, 48)
    assert nn.Flatten(1, 2)(minigrad.zeros(2, 3, 4, 5)).shape == (2, 12, 5)
    assert nn.Flatten(0)(minigrad.zeros(2, 3)).shape == (6,)
    # PyTorch: IndexError "Dimension out of range (expected to be in range of [-1, 0], but got 1)";
    # RuntimeError "flatten() has invalid args: start_dim cannot come after end_dim"
    with pytest.raises(IndexError,
                       match=re.escape("Flatten: start_dim=1, end_dim=-1 do not fit an input of shape (5,)")):
        nn.Flatten()(minigrad.zeros(5))
    with pytest.raises(RuntimeError, match="start_dim .* cannot come after end_dim"):
        nn.Flatten(2, 1)(minigrad.zeros(2, 3, 4))


@pytest.mark.parametrize("make", [lenet, lenet_bn, lenet_bn_scratch])
def test_lenets_take_an_empty_batch_in_training(make):
    # PyTorch: every layer of LeNet(-BN) passes a batch of 0 through, forward and backward, with zero gradients
    net = make()
    buffers = {k: v.numpy().copy() for k, v in net.named_buffers()}
    x = minigrad.zeros(0, 1, 28, 28, requires_grad=True)
    y = net(x)
    assert y.shape == (0, 10)
    y.sum().backward()
    assert x.grad.shape == (0, 1, 28, 28)
    for name, p in net.named_parameters():
        np.testing.assert_array_equal(p.grad.numpy(), 0.0, err_msg=name)
    for name, value in net.named_buffers():
        if name.endswith("num_batches_tracked"):
            continue
        np.testing.assert_array_equal(value.numpy(), buffers[name], err_msg=name)


def test_cross_entropy_of_an_empty_batch_is_nan_as_pytorch():
    # PyTorch: the mean over no examples is nan, and the gradient has the logits' shape (0, K)
    z = minigrad.zeros(0, 3, requires_grad=True)
    loss = F.cross_entropy(z, minigrad.tensor(np.zeros(0, np.int64)))
    assert math.isnan(loss.item())
    loss.backward()
    assert z.grad.shape == (0, 3)


# ---------------------------------------------------------------------------
# Parameters of layers and functions: ValueError/TypeError naming the argument and its value

@pytest.mark.parametrize("build, error, message", [
    # PyTorch accepts these in the constructor and fails at the first forward:
    # RuntimeError "non-positive stride is not supported" / "negative padding is not supported"
    (lambda: nn.Conv2d(1, 1, 3, stride=0), ValueError, "Conv2d: stride must be an int >= 1, got 0"),
    (lambda: nn.Conv2d(1, 1, 3, padding=-1), ValueError, "Conv2d: padding must be an int >= 0, got -1"),
    (lambda: nn.Conv2d(1, 1, (3, 0)), ValueError, "Conv2d: kernel_size must be an int >= 1, got 0"),
    (lambda: nn.Conv2d(1, 1, (3, 3, 3)), ValueError, "Conv2d: kernel_size must be an int or a pair"),
    # PyTorch: TypeError "empty(): argument 'size' ... must be tuple of ints, but got float"
    (lambda: nn.Conv2d(1, 1, 2.5), TypeError, "Conv2d: kernel_size must be an int, got float 2.5"),
    (lambda: nn.Linear(2.0, 3), TypeError, "Linear: in_features must be an int, got float 2.0"),
    # PyTorch: Linear(0, 3) and Conv2d(0, ...) are built (zero-element weights, a warning); minigrad: sizes >= 1
    (lambda: nn.Linear(0, 3), ValueError, "Linear: in_features must be an int >= 1, got 0"),
    (lambda: nn.Linear(3, -1), ValueError, "Linear: out_features must be an int >= 1, got -1"),
    (lambda: nn.Conv2d(0, 1, 3), ValueError, "Conv2d: in_channels must be an int >= 1, got 0"),
    (lambda: nn.BatchNorm2d(0), ValueError, "BatchNorm2d: num_features must be an int >= 1, got 0"),
    (lambda: nn.BatchNorm(-1, num_dims=4), ValueError, "BatchNorm: num_features must be an int >= 1, got -1"),
    # PyTorch: ValueError at the first forward ("batch_norm eps must be positive during training, but got -1")
    (lambda: nn.BatchNorm2d(3, eps=-1), ValueError, "BatchNorm2d: invalid eps: -1"),
    (lambda: nn.BatchNorm1d(3, momentum=2), ValueError, "BatchNorm1d: invalid momentum: 2"),
    (lambda: nn.BatchNorm(3, num_dims=2, eps=NAN), ValueError, "BatchNorm: invalid eps: nan"),
    # PyTorch: RuntimeError "stride should not be zero" / "pad must be non-negative" / "pad should be at most half"
    (lambda: nn.MaxPool2d(2, stride=0), ValueError, "MaxPool2d: stride must be an int >= 1, got 0"),
    (lambda: nn.AvgPool2d(2, padding=-1), ValueError, "AvgPool2d: padding must be an int >= 0, got -1"),
    (lambda: nn.AvgPool2d(2, padding=2), ValueError,
     "AvgPool2d: padding (2, 2) must be at most half the kernel_size (2, 2)"),
    (lambda: nn.MaxPool2d(0), ValueError, "MaxPool2d: kernel_size must be an int >= 1, got 0"),
])
def test_layer_constructors_check_their_arguments(build, error, message):
    with pytest.raises(error, match=re.escape(message)):
        build()


@pytest.mark.parametrize("call, error, message", [
    # PyTorch: RuntimeError "non-positive stride is not supported", "negative padding is not supported"
    (lambda x4: F.conv2d(x4, minigrad.ones(1, 1, 2, 2), stride=0), ValueError,
     "conv2d: stride must be an int >= 1, got 0"),
    (lambda x4: F.conv2d(x4, minigrad.ones(1, 1, 2, 2), padding=-1), ValueError,
     "conv2d: padding must be an int >= 0, got -1"),
    # PyTorch: RuntimeError "expected stride to be a single integer value ..." / "expected bias ... 1 elements"
    (lambda x4: F.conv2d(x4, minigrad.ones(1, 2, 2)), RuntimeError, "conv2d: expected a 4-D weight"),
    (lambda x4: F.conv2d(x4, minigrad.ones(1, 1, 2, 2), minigrad.ones(3)), RuntimeError,
     "expected a bias of shape (1,)"),
    # PyTorch: RuntimeError "stride should not be zero", "kernel size should be greater than zero"
    (lambda x4: F.max_pool2d(x4, 0), ValueError, "max_pool2d: kernel_size must be an int >= 1, got 0"),
    (lambda x4: F.avg_pool2d(x4, 2, stride=0), ValueError, "avg_pool2d: stride must be an int >= 1, got 0"),
    (lambda x4: F.avg_pool2d(x4, 2.5), TypeError, "avg_pool2d: kernel_size must be an int, got float 2.5"),
    # PyTorch: F.linear with a 1-D weight is a matrix-vector product; minigrad asks for the 2-D weight
    (lambda x4: F.linear(minigrad.ones(2, 3), minigrad.ones(3)), RuntimeError,
     "linear: expected a 2-D weight (out_features, in_features), got shape (3,)"),
    # PyTorch: RuntimeError "The expanded size of the tensor (4) must match the existing size (3)"
    (lambda x4: F.linear(minigrad.ones(2, 3), minigrad.ones(4, 3), minigrad.ones(3)), RuntimeError,
     "linear: expected a bias of shape (4,)"),
    # PyTorch: ValueError "torch.cat(): expected a non-empty list of Tensors"; RuntimeError for stack
    (lambda x4: minigrad.cat([]), ValueError, "cat() expects a non-empty list of tensors"),
    (lambda x4: minigrad.stack([]), ValueError, "stack() expects a non-empty list of tensors"),
    # PyTorch: TypeError "cat(): argument 'tensors' (position 1) must be tuple of Tensors, not Tensor"
    (lambda x4: minigrad.cat(minigrad.ones(2, 2)), TypeError, "cat() expects a list or tuple of tensors, got Tensor"),
])
def test_functions_check_their_arguments(call, error, message):
    with pytest.raises(error, match=re.escape(message)):
        call(minigrad.ones(1, 1, 4, 4))


@pytest.mark.parametrize("build, error, message", [
    # PyTorch 2.13: Adam ValueError "Invalid learning rate: nan"; SGD accepts lr=nan (minigrad refuses both)
    (lambda p: optim.SGD(p, lr=NAN), ValueError, "Invalid learning rate: nan"),
    (lambda p: optim.SGD(p, lr=INF), ValueError, "Invalid learning rate: inf"),
    (lambda p: optim.Adam(p, lr=NAN), ValueError, "Invalid learning rate: nan"),
    (lambda p: optim.SGD(p, lr=-1), ValueError, "Invalid learning rate: -1"),
    # PyTorch: TypeError "'<' not supported between instances of 'str' and 'float'"
    (lambda p: optim.SGD(p, lr="0.1"), TypeError, "lr must be a real number, got str '0.1'"),
    # PyTorch: ValueError "Invalid momentum value: -1", "Invalid weight_decay value: -1"
    (lambda p: optim.SGD(p, lr=0.1, momentum=-1), ValueError, "Invalid momentum value: -1"),
    (lambda p: optim.SGD(p, lr=0.1, weight_decay=-1), ValueError, "Invalid weight_decay value: -1"),
    (lambda p: optim.SGD(p, lr=0.1, momentum=NAN), ValueError, "Invalid momentum value: nan"),
    # PyTorch: ValueError "Nesterov momentum requires a momentum and zero dampening"
    (lambda p: optim.SGD(p, lr=0.1, nesterov=True), ValueError,
     "Nesterov momentum requires a momentum and zero dampening"),
    (lambda p: optim.SGD(p, lr=0.1, momentum=0.9, dampening=0.1, nesterov=True), ValueError,
     "Nesterov momentum requires a momentum and zero dampening"),
    # PyTorch: ValueError "Invalid epsilon value: -1" (eps=0 is accepted there; 0/0 = NaN for a zero gradient)
    (lambda p: optim.Adam(p, eps=-1), ValueError, "Invalid epsilon value: -1"),
    (lambda p: optim.Adam(p, eps=0.0), ValueError, "Invalid epsilon value: 0.0"),
    # PyTorch: ValueError "Invalid beta parameter at index 0: 1.0"; IndexError for a 1-tuple
    (lambda p: optim.Adam(p, betas=(1.0, 0.9)), ValueError, "Invalid beta parameter at index 0: 1.0"),
    (lambda p: optim.Adam(p, betas=(0.9, -0.1)), ValueError, "Invalid beta parameter at index 1: -0.1"),
    (lambda p: optim.Adam(p, betas=(0.9,)), ValueError, "betas must be a pair (beta1, beta2), got (0.9,)"),
    (lambda p: optim.Adam(p, weight_decay=-1), ValueError, "Invalid weight_decay value: -1"),
    # per-group values are checked too (PyTorch's SGD accepts a group's lr=nan)
    (lambda p: optim.SGD([{"params": p, "lr": NAN}], lr=0.1), ValueError, "Invalid learning rate: nan"),
    # PyTorch: TypeError "params argument given to the optimizer should be an iterable of Tensors or dicts"
    (lambda p: optim.SGD(p[0], lr=0.1), TypeError, "must be an iterable of tensors or dicts"),
    # PyTorch: ValueError "some parameters appear in more than one parameter group" (a warning within one group)
    (lambda p: optim.SGD([p[0], p[0]], lr=0.1), ValueError, "appears twice"),
    (lambda p: optim.SGD([{"params": p}, {"params": p}], lr=0.1), ValueError, "appears twice"),
])
def test_optimisers_check_their_hyper_parameters(build, error, message):
    with pytest.raises(error, match=re.escape(message)):
        build([nn.Parameter(minigrad.ones(2))])


def test_optimiser_load_state_dict_checks_before_changing_anything():
    # PyTorch: KeyError 'param_groups' for a dict without it; a NaN lr in a saved group is loaded silently
    p = nn.Parameter(minigrad.ones(2))
    opt = optim.SGD([p], lr=0.1, momentum=0.9)
    with pytest.raises(TypeError, match="'state' and 'param_groups'"):
        opt.load_state_dict({"state": {}})
    bad = opt.state_dict()
    bad["param_groups"][0]["lr"] = NAN
    with pytest.raises(ValueError, match="Invalid learning rate: nan"):
        opt.load_state_dict(bad)
    assert opt.param_groups[0]["lr"] == 0.1
    bad = opt.state_dict()
    bad["state"] = {5: {"momentum_buffer": np.zeros(2)}}
    with pytest.raises(ValueError, match=r"state for parameter\(s\) \[5\], this optimizer has 1"):
        opt.load_state_dict(bad)


def test_optimiser_refuses_a_gradient_of_another_shape_and_checks_added_groups():
    # PyTorch: RuntimeError "attempting to assign a gradient of size '[3]' to a tensor of size '[2]'";
    # NumPy would broadcast a (1,)-shaped .grad into every element of the update
    p = nn.Parameter(minigrad.ones(2))
    opt = optim.SGD([p], lr=0.1)
    with pytest.raises(RuntimeError, match=r"assign a gradient of shape \(1,\) to a tensor of shape \(2,\)"):
        p.grad = minigrad.ones(1)
    q = nn.Parameter(minigrad.ones(2))
    q.grad = minigrad.ones(2)
    q.data = minigrad.ones(3)  # the parameter changed shape under its gradient
    with pytest.raises(RuntimeError, match=r"parameter of shape \(3,\) has shape \(2,\)"):
        optim.SGD([q], lr=0.1).step()
    np.testing.assert_array_equal(q.numpy(), [1.0, 1.0, 1.0])
    # PyTorch's add_param_group accepts lr=nan for SGD; minigrad checks an added group as the constructor does
    with pytest.raises(ValueError, match="Invalid learning rate: nan"):
        opt.add_param_group({"params": [nn.Parameter(minigrad.ones(3))], "lr": NAN})
    with pytest.raises(ValueError, match="appears twice"):
        opt.add_param_group({"params": [p]})
    assert len(opt.param_groups) == 1
    # PyTorch: a momentum buffer of another shape fails at the next step (RuntimeError); minigrad at loading
    opt = optim.SGD([p], lr=0.1, momentum=0.9)
    state = {"state": {0: {"momentum_buffer": np.zeros(3)}}, "param_groups": opt.state_dict()["param_groups"]}
    with pytest.raises(ValueError, match=r"'momentum_buffer' of parameter 0 has shape \(3,\), the parameter \(2,\)"):
        opt.load_state_dict(state)


def test_gradcheck_refuses_inputs_that_are_not_tensors():
    # PyTorch: ValueError "gradcheck expects at least one input tensor to require gradient"; minigrad: TypeError
    with pytest.raises(TypeError, match="gradcheck: inputs must be a Tensor or a tuple/list of them, got float"):
        minigrad.gradcheck(lambda x: x, 3.0)
    with pytest.raises(ValueError, match="no input requires grad"):
        minigrad.gradcheck(lambda x: x, (t64([1.0]),))
    # PyTorch: eps=0 divides by zero; minigrad names the argument (a NaN difference would read as a wrong backward)
    x = t64([1.0], requires_grad=True)
    with pytest.raises(ValueError, match=re.escape("gradcheck: invalid eps: 0 (eps must be in (0, inf))")):
        minigrad.gradcheck(lambda x: x * x, (x,), eps=0)
    with pytest.raises(ValueError, match="gradcheck: invalid atol: -1"):
        minigrad.gradcheck(lambda x: x * x, (x,), atol=-1)
    with pytest.raises(TypeError, match="fn must be callable, got Tensor"):
        minigrad.gradcheck(x, (x,))


# ---------------------------------------------------------------------------
# Checkpoints and module state

def _write_npz(path, meta, **arrays):
    raw = meta if isinstance(meta, bytes) else json.dumps(meta).encode()
    np.savez(path, __minigrad__=np.frombuffer(raw, np.uint8), **arrays)


@pytest.mark.parametrize("kind, what", [
    ("text", "not an .npz (zip) archive: it starts with b'hello!'"),
    ("corrupt_zip", "not a readable .npz archive"),
    ("corrupt_json", "metadata is not valid JSON text"),
    ("not_utf8", "metadata is not valid JSON text"),
    ("missing_array", "the entry at obj['w'] names the array 'a7', which the file does not hold"),
    ("wrong_structure", "the entry at obj is dict {'weights': 5}"),
    ("dict_not_pairs", "the dict at obj is not a list of [key, value] pairs"),
    ("list_not_list", "the entry at obj (__list__) holds int, expected a list"),
    ("string_tensor", "the tensor at obj is an array of dtype <U1"),
    ("foreign_npz", "without the '__minigrad__' member"),
    ("npy", "it holds a single .npy array"),
])
def test_malformed_checkpoints_are_named_invalid(tmp_path, kind, what):
    # PyTorch's torch.load: pickle.UnpicklingError / RuntimeError "PytorchStreamReader failed reading zip archive"
    # for such files; minigrad: ValueError("<path> is not a valid minigrad checkpoint: <what is wrong>")
    path = tmp_path / "bad.npz"
    if kind == "text":
        path.write_text("hello! not a checkpoint")
    elif kind == "corrupt_zip":
        minigrad.save({"w": minigrad.ones(100)}, path)
        raw = bytearray(path.read_bytes())
        raw[60:90] = b"\xff" * 30
        path.write_bytes(bytes(raw))
    elif kind == "corrupt_json":
        _write_npz(path, b'{"__dict__": [["w", {"__tensor__": ')
    elif kind == "not_utf8":
        _write_npz(path, b"\xff\xfe\x00")
    elif kind == "missing_array":
        _write_npz(path, {"__dict__": [["w", {"__tensor__": "a7"}]]}, a0=np.ones(2))
    elif kind == "wrong_structure":
        _write_npz(path, {"weights": 5})
    elif kind == "dict_not_pairs":
        _write_npz(path, {"__dict__": [["a", 1, 2]]})
    elif kind == "list_not_list":
        _write_npz(path, {"__list__": 5})
    elif kind == "string_tensor":
        _write_npz(path, {"__tensor__": "a0"}, a0=np.array(["x"]))
    elif kind == "foreign_npz":
        np.savez(path, weights=np.ones(3))
    else:
        with open(path, "wb") as f:
            np.save(f, np.arange(3))
    with pytest.raises(ValueError) as info:
        minigrad.load(path)
    message = str(info.value)
    assert message.startswith(f"{path} is not a valid minigrad checkpoint: "), message
    assert what in message, message


def test_load_checks_map_location_first(tmp_path):
    minigrad.save({"w": minigrad.ones(2)}, tmp_path / "c.npz")
    with pytest.raises(ValueError, match="unknown device 'tpu'"):
        minigrad.load(tmp_path / "c.npz", map_location="tpu")


def test_saved_files_get_the_umask_permissions_and_keep_an_existing_files(tmp_path):
    # torch.save opens the file with open(): mode 0o666 less the umask, or the replaced file's own mode
    old = os.umask(0o022)
    try:
        minigrad.save({"a": 1}, tmp_path / "new.npz")
        assert stat.S_IMODE(os.stat(tmp_path / "new.npz").st_mode) == 0o644
        os.umask(0o077)
        minigrad.save({"a": 1}, tmp_path / "private.npz")
        assert stat.S_IMODE(os.stat(tmp_path / "private.npz").st_mode) == 0o600
        os.chmod(tmp_path / "new.npz", 0o640)
        minigrad.save({"a": 2}, tmp_path / "new.npz")
        assert stat.S_IMODE(os.stat(tmp_path / "new.npz").st_mode) == 0o640
        assert minigrad.load(tmp_path / "new.npz") == {"a": 2}
    finally:
        os.umask(old)
    assert sorted(os.listdir(tmp_path)) == ["new.npz", "private.npz"]  # no temporary file left


def test_save_refuses_what_load_could_not_read(tmp_path):
    # an array of Python objects needs pickle (which minigrad.load refuses): refused at save, naming where;
    # PyTorch pickles both of these
    with pytest.raises(TypeError, match=re.escape("array of Python objects (dtype object) at obj['o']")):
        minigrad.save({"o": np.array([1, None], dtype=object)}, tmp_path / "o.npz")
    loop = []
    loop.append(loop)
    with pytest.raises(ValueError, match="nested too deeply, or contains itself"):
        minigrad.save(loop, tmp_path / "loop.npz")
    assert os.listdir(tmp_path) == []


def test_save_to_a_folder_path_says_so(tmp_path):
    # PyTorch: RuntimeError "... open file failed with strerror: Is a directory"
    for path in (tmp_path, f"{tmp_path}/sub/"):
        with pytest.raises(IsADirectoryError, match="names a folder; give the checkpoint's file name"):
            minigrad.save({"a": 1}, path)
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize("state, message", [
    # PyTorch: TypeError "Expected state_dict to be dict-like, got <class 'list'>."
    ([1, 2], "Expected state_dict to be dict-like (names to tensors), got list"),
    ([("weight", np.ones((2, 2)))], "got list"),
])
def test_load_state_dict_refuses_a_non_mapping(state, message):
    with pytest.raises(TypeError, match=re.escape(message)):
        nn.Linear(2, 2).load_state_dict(state)


@pytest.mark.parametrize("value, shown", [("abc", "got str"), (None, "got NoneType"),
                                          ([[1.0, 1.0], [1.0, 1.0]], "got list"),
                                          (np.array([["a", "b"], ["c", "d"]]), "got ndarray of dtype <U1")])
def test_load_state_dict_refuses_values_that_are_not_tensors(value, shown):
    # PyTorch: RuntimeError "While copying the parameter named "weight", expected torch.Tensor or Tensor-like
    # object from checkpoint but received <class 'str'>"; minigrad: TypeError naming the key
    net = nn.Linear(2, 2)
    before = net.weight.numpy().copy()
    with pytest.raises(TypeError,
                       match=re.escape(f"the value of 'weight' must be a tensor or a numeric array, {shown}")):
        net.load_state_dict({"weight": value, "bias": minigrad.zeros(2)})
    np.testing.assert_array_equal(net.weight.numpy(), before)  # nothing half-loaded


def test_load_state_dict_takes_numpy_arrays_and_names_an_unexpected_int_key():
    net = nn.Linear(2, 2)
    net.load_state_dict({"weight": np.full((2, 2), 3.0), "bias": np.zeros(2)})
    np.testing.assert_array_equal(net.weight.numpy(), 3.0)
    # PyTorch: AttributeError "'int' object has no attribute 'startswith'"; minigrad names the key
    with pytest.raises(RuntimeError, match="unexpected keys: 0"):
        net.load_state_dict({"weight": np.ones((2, 2)), "bias": np.zeros(2), 0: np.ones(1)})


@pytest.mark.parametrize("register", [
    lambda m: m.register_buffer("a.b", minigrad.ones(1)),
    lambda m: m.register_parameter("", nn.Parameter(minigrad.ones(1))),
    lambda m: m.add_module("x.y", nn.ReLU()),
])
def test_module_names_with_dots_or_empty_are_refused(register):
    # PyTorch: KeyError "buffer name can't contain ".""; such a name would make state_dict keys ambiguous
    with pytest.raises(KeyError, match="non-empty and contain no '.'"):
        register(nn.Module())


def test_batchnorm_without_affine_or_running_stats_has_none_there():
    # PyTorch: weight and bias are None with affine=False; running_mean/var and num_batches_tracked
    # are None with track_running_stats=False (and batch statistics are used in eval mode too)
    bn = nn.BatchNorm1d(3, affine=False, track_running_stats=False)
    assert bn.weight is None and bn.bias is None
    assert bn.running_mean is None and bn.running_var is None and bn.num_batches_tracked is None
    assert list(bn.state_dict()) == [] and list(bn.parameters()) == []
    x = t64([[1.0, 2.0, 3.0], [3.0, 6.0, 9.0]])
    bn.double()
    np.testing.assert_allclose(bn.eval()(x).numpy(), [[-1.0, -1.0, -1.0], [1.0, 1.0, 1.0]], rtol=1e-4)


def test_module_requires_grad_takes_a_bool():
    # PyTorch: TypeError "requires_grad_(): argument 'requires_grad' (position 1) must be bool, not str"
    with pytest.raises(TypeError, match="expected True or False, got str 'no'"):
        nn.Linear(2, 2).requires_grad_("no")


def test_train_mode_must_be_a_bool():
    # PyTorch: ValueError "training mode is expected to be boolean"
    with pytest.raises(ValueError, match="mode must be True or False, got str 'no'"):
        nn.ReLU().train("no")


# ---------------------------------------------------------------------------
# DataLoader

@pytest.mark.parametrize("kwargs, error, message", [
    # PyTorch: ValueError "batch_size should be a positive integer value, but got batch_size=0"
    (dict(batch_size=0), ValueError, "batch_size must be a positive int, got 0"),
    (dict(batch_size=2, resize=0), ValueError, "DataLoader: resize must be an int >= 1, got 0"),
    (dict(batch_size=2, resize=(8, 2.5)), TypeError, "DataLoader: resize must be an int, got float 2.5"),
    (dict(batch_size=2, resize=(1, 2, 3)), ValueError, "resize must be an int or a pair (h, w)"),
    # NumPy: ValueError "expected non-negative integer" without naming the argument
    (dict(batch_size=2, shuffle=True, seed=-1), ValueError, "DataLoader: seed must be an int >= 0, got -1"),
    (dict(batch_size=2, device="tpu"), ValueError, "unknown device 'tpu'"),
    (dict(batch_size=2, labels=np.full(5, 2 ** 63, np.uint64)), ValueError,
     "labels must fit int64, got 9223372036854775808"),
])
def test_dataloader_checks_its_arguments(kwargs, error, message):
    kwargs = {"images": np.zeros((5, 4, 4), np.uint8), "labels": np.arange(5), **kwargs}
    with pytest.raises(error, match=re.escape(message)):
        DataLoader(**kwargs)


# ---------------------------------------------------------------------------
# The training script's flags (checked before any data is read)

@pytest.fixture(scope="module")
def train_script():
    return load_script("train_lenet")


@pytest.mark.parametrize("argv, flag", [
    (["--lr", "nan"], "--lr"), (["--lr", "inf"], "--lr"), (["--limit-test", "0"], "--limit-test"),
    (["--limit-train", "-1"], "--limit-train"), (["--seed", "-1"], "--seed"), (["--epochs", "0"], "--epochs"),
    (["--batch-size", "0"], "--batch-size"), (["--device", "tpu"], "--device"),
])
def test_train_script_argument_errors_name_the_flag(train_script, capsys, argv, flag):
    with pytest.raises(SystemExit) as info:
        train_script.main(argv + ["--out", "/nonexistent/never-created"])
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert f"argument {flag}" in err and argv[1] in err, err


def test_train_script_refuses_a_training_batch_of_one_for_batchnorm(train_script, tmp_path):
    # over one example a 2-D BatchNorm outputs beta whatever its input: nothing below it would learn
    with pytest.raises(ValueError, match="--limit-train 1: lenet-bn-scratch has BatchNorm layers"):
        train_script.main(["--limit-train", "1", "--out", str(tmp_path / "run")])
    assert not (tmp_path / "run").exists()


def test_train_script_checks_out_before_any_work(train_script, tmp_path):
    (tmp_path / "file").write_text("x")
    with pytest.raises(ValueError, match=re.escape(f"--out {tmp_path / 'file'}: this is an existing file")):
        train_script.main(["--out", str(tmp_path / "file"), "--data-dir", str(tmp_path / "no-data")])


def test_train_script_resume_explains_a_bare_state_dict(train_script, tmp_path):
    minigrad.save(lenet_bn_scratch().state_dict(), tmp_path / "weights.npz")
    with pytest.raises(ValueError, match="a bare state_dict.*net.load_state_dict"):
        train_script.main(["--resume", str(tmp_path / "weights.npz")])


def test_train_script_resume_refuses_another_model(train_script, tmp_path):
    # a real run checkpoint of lenet-bn-scratch, written by the script's own save_checkpoint
    path = _edited_run_checkpoint(train_script, tmp_path)
    with pytest.raises(ValueError, match="--model lenet contradicts --resume .*a run with --model lenet-bn-scratch"):
        train_script.main(["--model", "lenet", "--resume", str(path), "--epochs", "2"])
    assert zipfile.is_zipfile(path)


# ---------------------------------------------------------------------------
# Data limits and DataLoader state (PyTorch has no load_fashion_mnist; torch's DataLoader has no state_dict)

@pytest.mark.parametrize("kwargs, error, message", [
    # images[:-1] would silently keep 59,999 examples, images[:0] none
    (dict(limit_train=-1), ValueError, "load_fashion_mnist: limit_train must be an int >= 1, got -1"),
    (dict(limit_train=0), ValueError, "load_fashion_mnist: limit_train must be an int >= 1, got 0"),
    (dict(limit_test=0), ValueError, "load_fashion_mnist: limit_test must be an int >= 1, got 0"),
    (dict(limit_test=2.5), TypeError, "load_fashion_mnist: limit_test must be an int, got float 2.5"),
    (dict(limit_train=True), TypeError, "load_fashion_mnist: limit_train must be an int, got bool True"),
])
def test_load_fashion_mnist_checks_its_limits_before_reading(tmp_path, kwargs, error, message):
    with pytest.raises(error, match=re.escape(message)):
        minigrad.data.load_fashion_mnist(4, root=tmp_path, download=False, **kwargs)  # an empty folder: not read


@pytest.mark.parametrize("state, error, message", [
    ([3], TypeError, "expected a dict with keys 'epoch' and 'rng_state' (from DataLoader.state_dict()), got list"),
    ({"rng_state": {}}, ValueError, "the state has no 'epoch' (expected DataLoader.state_dict()'s keys"),
    ({}, ValueError, "the state has no 'epoch' and no 'rng_state'"),
    ({"epoch": -1, "rng_state": {}}, ValueError, "DataLoader.load_state_dict: epoch must be an int >= 0, got -1"),
    ({"epoch": 1, "rng_state": {"bit_generator": "MT19937"}}, ValueError,
     "rng_state is not a state of the PCG64 generator: ValueError"),
    ({"epoch": 1, "rng_state": "abc"}, ValueError, "rng_state is not a state of the PCG64 generator: TypeError"),
])
def test_dataloader_load_state_dict_refuses_a_wrong_state_and_changes_nothing(state, error, message):
    loader = DataLoader(np.zeros((6, 4, 4), np.uint8), np.arange(6), 2, shuffle=True, seed=0)
    next(iter(loader))
    before = loader.state_dict()
    with pytest.raises(error, match=re.escape(message)):
        loader.load_state_dict(state)
    assert loader.state_dict() == before


# ---------------------------------------------------------------------------
# Second adversarial probe: gradients at singular points, dtypes, wrong types, in-place ops, module and data misuse

def _value_and_grad(fn, values):
    x = t64(values, requires_grad=True)
    y = fn(x)
    y.sum().backward()
    return y.numpy(), x.grad.numpy()


def test_gradients_at_zero_and_nan_are_pytorchs():
    # PyTorch: d(x**0)/dx = 0 at x = 0 (not 0 * 0**-1 = NaN); d(0**e)/de = 0 for e >= 0 (not 0 * log 0);
    # the std of a constant sample has gradient 0; relu passes the gradient at NaN (threshold_backward);
    # abs has gradient 0 at NaN (sgn(NaN) = 0)
    np.testing.assert_array_equal(_value_and_grad(lambda x: x ** 0, [0.0, 2.0])[1], [0.0, 0.0])
    np.testing.assert_array_equal(_value_and_grad(lambda x: t64(0.0) ** x, [0.0, 2.0])[1], [0.0, 0.0])
    b, e = t64([0.0, -1.0, 2.0], requires_grad=True), t64([2.0, 2.0, 0.0], requires_grad=True)
    (b ** e).sum().backward()
    np.testing.assert_allclose(b.grad.numpy(), [0.0, -2.0, 0.0])
    np.testing.assert_allclose(e.grad.numpy(), [0.0, NAN, math.log(2.0)])  # log(-1) stays NaN, as PyTorch
    np.testing.assert_array_equal(_value_and_grad(lambda x: x.std(), [1.0, 1.0])[1], [0.0, 0.0])
    np.testing.assert_array_equal(_value_and_grad(F.relu, [NAN, -1.0, 1.0])[1], [1.0, 0.0, 1.0])
    np.testing.assert_array_equal(_value_and_grad(minigrad.abs, [NAN, 0.0, -2.0])[1], [0.0, 0.0, -1.0])
    # the second derivative keeps the rule: d/dx of d(x**0)/dx and of d(std)/dx are 0 there too
    x = t64([0.0, 2.0], requires_grad=True)
    g, = minigrad.autograd.grad((x ** 0).sum(), [x], create_graph=True)
    np.testing.assert_array_equal(g.numpy(), [0.0, 0.0])
    x = t64([1.0, 1.0], requires_grad=True)
    g, = minigrad.autograd.grad(x.std(), [x], create_graph=True)
    np.testing.assert_array_equal(g.numpy(), [0.0, 0.0])


def test_integer_sums_products_and_cumsums_are_int64():
    # PyTorch: tensor([200, 100], dtype=uint8).sum() is int64 300; NumPy would give uint64
    x = minigrad.tensor([200, 100], dtype=minigrad.uint8)
    for y, value in ((x.sum(), 300), (x.prod(), 20000), (x.cumsum(0), [200, 300])):
        assert y.dtype == np.int64
        np.testing.assert_array_equal(y.numpy(), value)


@pytest.mark.parametrize("call, error, message", [
    # PyTorch: TypeError "round() received an invalid combination of arguments ... (decimals=float)"
    (lambda: minigrad.ones(2).round(decimals=1.5), TypeError, "round(): decimals must be an int, got float 1.5"),
    # PyTorch: TypeError "clamp() received an invalid combination of arguments"
    (lambda: minigrad.ones(2).clamp(min="a"), TypeError, "clamp(): min must be a number or a Tensor, got str 'a'"),
    # PyTorch: TypeError "full(): argument 'fill_value' must be Number, not str"
    (lambda: minigrad.full((2,), "a"), TypeError, "full(): fill_value must be a number, got str 'a'"),
    # PyTorch: RuntimeError "n must be greater or equal to 0, got -1"
    (lambda: minigrad.eye(-1), RuntimeError, "eye(): dimension sizes must be non-negative, got (-1,)"),
    # PyTorch: RuntimeError "index -1 is out of bounds for dimension 1 with size 3" (NumPy would wrap around)
    (lambda: minigrad.ones(2, 3).gather(1, minigrad.tensor([[-1]])), RuntimeError,
     "gather(): index -1 is out of bounds for dimension 1 with size 3"),
    # PyTorch: NotImplementedError "softmax_lastdim_kernel_impl" not implemented for 'Long'
    (lambda: minigrad.tensor([1, 2]).softmax(0), NotImplementedError, "not implemented for dtype int64"),
    (lambda: F.log_softmax(minigrad.tensor([1, 2]), 0), NotImplementedError, "not implemented for dtype int64"),
    # PyTorch averages integers with truncation; minigrad asks for floats
    (lambda: F.avg_pool2d(minigrad.ones(1, 1, 2, 2, dtype=minigrad.int64), 2), TypeError,
     "avg_pool2d: expected floating-point input, got dtype int64"),
    # PyTorch: TypeError "linear(): argument 'input' (position 1) must be Tensor, not list"
    (lambda: nn.Linear(3, 2)([1.0, 2.0, 3.0]), TypeError, "linear(): argument 'input' must be a Tensor, got list"),
    (lambda: F.linear(minigrad.ones(1, 2), None), TypeError,
     "linear(): argument 'weight' must be a Tensor, got NoneType"),
    (lambda: F.max_pool2d([[1.0]], 1), TypeError, "max_pool2d(): argument 'input' must be a Tensor, got list"),
    # PyTorch: TypeError at the first forward ("flatten() received an invalid combination of arguments")
    (lambda: nn.Flatten(start_dim="a"), TypeError, "Flatten: start_dim must be an int, got str 'a'"),
    # the chapter's batch_norm in PyTorch: RuntimeError "mean(): could not infer output dtype ... Long"
    (lambda: nn.BatchNorm(3, num_dims=4)(minigrad.ones(2, 3, 2, 2, dtype=minigrad.int64)), RuntimeError,
     "d2l_batch_norm: expected a floating-point input, got dtype int64"),
    # PyTorch: RuntimeError "Overflow when unpacking long"; NumPy would make it uint64
    (lambda: minigrad.tensor(2 ** 63), RuntimeError, "a value does not fit int64"),
])
def test_wrong_types_and_dtypes_get_named_errors(call, error, message):
    with pytest.raises(error, match=re.escape(message)):
        call()


@pytest.mark.parametrize("change, message", [
    # PyTorch: RuntimeError "result type Float can't be cast to the desired output type Long"
    (lambda a: a.add_(1.5), "add_: result type float64 can't be cast to the desired output type int64"),
    (lambda a: a.div_(2), "div_: result type float64 can't be cast to the desired output type int64"),
    # PyTorch: RuntimeError "output with shape [2] doesn't match the broadcast shape [3, 2]"
    (lambda a: a.mul_(minigrad.ones(3, 2, dtype=minigrad.int64)),
     "mul_: output with shape (2,) doesn't match the broadcast shape (3, 2)"),
    # PyTorch: RuntimeError "The size of tensor a (2) must match the size of tensor b (3)"
    (lambda a: a.copy_(minigrad.ones(3)), "copy_(): the source of shape (3,) cannot be broadcast to this tensor's "
                                          "shape (2,)"),
    (lambda a: a.__setitem__(slice(None), minigrad.ones(3, dtype=minigrad.int64)),
     "the value of shape (3,) cannot be broadcast to the shape (2,) of the elements it is written to"),
])
def test_in_place_changes_that_cannot_cast_or_broadcast_are_named(change, message):
    a = minigrad.ones(2, dtype=minigrad.int64)
    with pytest.raises(RuntimeError, match=re.escape(message)):
        change(a)
    np.testing.assert_array_equal(a.numpy(), [1, 1])
    assert a._version == 0


def test_grad_assignment_is_checked():
    # PyTorch: TypeError "assigned grad expected to be a Tensor or None but got grad of type list";
    # RuntimeError "attempting to assign a gradient with dtype 'double' to a tensor with grad_dtype 'Float'"
    p = nn.Parameter(minigrad.ones(2))
    with pytest.raises(TypeError, match="assigned grad expected to be a Tensor or None, got list"):
        p.grad = [1.0, 1.0]
    with pytest.raises(RuntimeError, match=r"gradient of dtype float64 to a tensor of dtype float32"):
        p.grad = minigrad.ones(2, dtype=minigrad.float64)
    assert p.grad is None
    p.grad = minigrad.ones(2)
    np.testing.assert_array_equal(p.grad.numpy(), [1.0, 1.0])


def test_optimiser_step_checks_hyper_parameters_edited_in_param_groups():
    # PyTorch: TypeError "bad operand type for unary -: 'str'" at step; NumPy's ufunc error otherwise
    p = nn.Parameter(minigrad.ones(2))
    p.grad = minigrad.ones(2)
    opt = optim.SGD([p], lr=0.1)
    opt.param_groups[0]["lr"] = "x"
    with pytest.raises(TypeError, match="lr must be a real number, got str 'x'"):
        opt.step()
    opt.param_groups[0]["lr"] = -1.0
    with pytest.raises(ValueError, match="Invalid learning rate: -1.0"):
        opt.step()
    np.testing.assert_array_equal(p.numpy(), [1.0, 1.0])


def test_module_refuses_name_clashes_and_non_module_children():
    # PyTorch: KeyError "attribute 'weight' already exists"; TypeError "cannot assign 'int' as child module 'a'"
    with pytest.raises(KeyError, match="attribute 'weight' already exists"):
        nn.Linear(2, 2).register_buffer("weight", minigrad.ones(1))
    m = nn.Module()
    m.foo = 3
    with pytest.raises(KeyError, match="attribute 'foo' already exists"):
        m.register_parameter("foo", nn.Parameter(minigrad.ones(1)))
    with pytest.raises(KeyError, match="attribute 'foo' already exists"):
        m.add_module("foo", nn.ReLU())
    assert m.foo == 3
    s = nn.Sequential(nn.Linear(2, 2))
    with pytest.raises(TypeError, match=r"cannot assign int as child module '0' \(nn.Module or None expected\)"):
        setattr(s, "0", 5)
    assert isinstance(s[0], nn.Linear)
    assert nn.Linear(2, 2).half().weight.dtype == np.float16  # Module.half(), as PyTorch


def test_load_state_dict_counts_as_an_in_place_change():
    # PyTorch: load_state_dict copies in place, so a graph that saved the old weight refuses to backward
    # ("... is at version 2; expected version 1"); minigrad gave the gradient of the new value
    m = nn.Linear(1, 1)
    y = (m.weight * m.weight).sum()
    m.load_state_dict({"weight": minigrad.ones(1, 1) * 3, "bias": minigrad.ones(1)})
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.backward()


@pytest.mark.parametrize("kwargs, error, message", [
    # PyTorch's DataLoader takes any truthy shuffle; minigrad asks for a bool ('no' would shuffle)
    (dict(shuffle="no"), TypeError, "DataLoader: shuffle must be True or False, got str 'no'"),
    # PyTorch: TypeError "'int' object is not iterable" at the first epoch
    (dict(sampler=5), TypeError, "DataLoader: sampler must be an iterable of indices with a length"),
])
def test_dataloader_checks_shuffle_and_sampler_types(kwargs, error, message):
    with pytest.raises(error, match=re.escape(message)):
        DataLoader(np.zeros((6, 4, 4), np.uint8), np.arange(6), 2, **kwargs)


@pytest.mark.parametrize("sampler, shown", [([0, 1, 99], "int64 indices from 0 to 99"),
                                             ([-1, 0], "int64 indices from -1 to 0"),
                                             ([0.5, 1.7], "float64 indices")])
def test_dataloader_refuses_sampler_indices_out_of_range_or_not_integers(sampler, shown):
    # NumPy would index from the end for -1 and truncate 0.5 to 0: the wrong examples, silently
    loader = DataLoader(np.zeros((6, 4, 4), np.uint8), np.arange(6), 2, sampler=sampler)
    with pytest.raises(IndexError, match=re.escape(f"integer indices in [0, 6), got {shown}")):
        list(loader)


@pytest.mark.parametrize("call, error, message", [
    # NumPy: ValueError "expected non-negative integer" when the epoch's order is drawn
    (lambda: minigrad.data.DistributedSampler(10, 2, 0, seed=-1), ValueError,
     "DistributedSampler: seed must be an int >= 0, got -1"),
    (lambda: minigrad.data.DistributedSampler(10, 2, 0, seed="a"), TypeError,
     "DistributedSampler: seed must be an int, got str 'a'"),
    (lambda: minigrad.data.DistributedSampler(10, 2, 0).set_epoch(-5), ValueError,
     "DistributedSampler.set_epoch: epoch must be an int >= 0, got -5"),
    # ZeroDivisionError before
    (lambda: minigrad.data.bilinear_resize(np.ones((1, 4, 4), np.float32), 0), ValueError,
     "bilinear_resize: height must be an int >= 1, got 0"),
    # IndexError "tuple index out of range" before
    (lambda: minigrad.data.get_fashion_mnist_labels([0, 10]), ValueError,
     "get_fashion_mnist_labels: labels must be integers in [0, 10), got int64 values [0, 10]"),
    (lambda: minigrad.d2l.try_gpu("a"), TypeError, "try_gpu: i must be an int, got str 'a'"),
    # NumPy's "operands could not be broadcast together" before
    (lambda: minigrad.d2l.accuracy(minigrad.ones(3, 2), minigrad.tensor([0, 1])), ValueError,
     "accuracy: y_hat of shape (3, 2) and labels y of shape (2,) do not match"),
    (lambda: minigrad.d2l.accuracy([[0.1, 0.9]], [1]), TypeError, "accuracy: y_hat must be a Tensor, got list"),
    # AttributeError "'function' object has no attribute 'apply'" / "'float' object cannot be interpreted" before
    (lambda: minigrad.d2l.train_ch6(lambda x: x, [], [], 1, 0.1, "cpu"), TypeError,
     "train_ch6: net must be an nn.Module, got function"),
    (lambda: minigrad.d2l.train_ch6(nn.Linear(2, 2), [], [], 1.5, 0.1, "cpu"), TypeError,
     "train_ch6: num_epochs must be an int, got float 1.5"),
    # PyTorch: AttributeError "'float' object has no attribute ..." inside gradcheck
    (lambda: minigrad.gradcheck(lambda x: 5.0, (t64([1.0], requires_grad=True),)), TypeError,
     "fn must return a Tensor or a tuple of Tensors, got float as output 0"),
    (lambda: minigrad.gradcheck(lambda x: (x * 2, None), (t64([1.0], requires_grad=True),)), TypeError,
     "got NoneType as output 1"),
])
def test_data_d2l_and_gradcheck_helpers_check_their_arguments(call, error, message):
    import minigrad.d2l  # noqa: F401 (minigrad.d2l is not imported by minigrad itself)
    with pytest.raises(error, match=re.escape(message)):
        call()


def test_save_and_load_keep_requires_grad_and_parameters(tmp_path):
    # torch.save/torch.load keep a Parameter a Parameter and requires_grad as it was; a state_dict's detached
    # tensors are stored as before
    minigrad.save({"p": nn.Parameter(minigrad.ones(2)), "f": nn.Parameter(minigrad.ones(1), requires_grad=False),
                   "r": t64([1.0], requires_grad=True), "t": minigrad.ones(1)}, tmp_path / "c.npz")
    loaded = minigrad.load(tmp_path / "c.npz")
    assert {k: (type(v).__name__, v.requires_grad) for k, v in loaded.items()} == {
        "p": ("Parameter", True), "f": ("Parameter", False), "r": ("Tensor", True), "t": ("Tensor", False)}
    _write_npz(tmp_path / "bad.npz", {"__tensor__": ["a0", {"requires_grad": "yes"}]}, a0=np.ones(1))
    with pytest.raises(ValueError, match=re.escape("the tensor at obj is ['a0', {'requires_grad': 'yes'}]")):
        minigrad.load(tmp_path / "bad.npz")


@pytest.mark.skipif(importlib.util.find_spec("mpi4py") is None, reason="mpi4py is not installed")
@cpu_bounded.hang_guard
def test_ddp_of_a_module_without_trainable_parameters_is_refused():
    # PyTorch: RuntimeError "DistributedDataParallel is not needed when a module doesn't have any parameter
    # that requires a gradient."; one MPI process (a singleton launch) is enough to build it
    import sys
    code = ("import minigrad.distributed as d, minigrad.nn as nn; d.init_process_group('mpi'); "
            "nn.parallel.DistributedDataParallel(nn.ReLU())")
    proc = cpu_bounded.run([sys.executable, "-c", code], 120, capture_output=True, text=True,
                           env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert proc.returncode != 0
    assert "RuntimeError: DistributedDataParallel: ReLU has no parameter that requires grad" in proc.stderr


def _edited_run_checkpoint(train_script, tmp_path, **changes):
    args = train_script.parse_args(["--limit-train", "8", "--batch-size", "4"])
    train_script.settle_settings(args, None)
    net = lenet_bn_scratch()
    opt = optim.SGD(net.parameters(), lr=args.lr)
    loader = DataLoader(np.zeros((8, 28, 28), np.uint8), np.zeros(8, np.int64), 4, shuffle=True, seed=0)
    history = [{"epoch": 1, "train_loss": 2.0, "train_acc": 0.1, "test_acc": 0.1, "examples_per_sec": 10.0,
                "epoch_seconds": 1.0}]
    path = tmp_path / "checkpoint.npz"
    train_script.save_checkpoint(path, net, opt, loader, 1, history, args)
    ckpt = minigrad.load(path)
    ckpt.update(changes)
    minigrad.save(ckpt, path)
    return path


@pytest.mark.parametrize("changes, message", [
    (dict(epoch="one"), "'epoch' is 'one', expected the number of finished epochs"),
    (dict(history=5), "'history' must be 1 dicts of the numbers epoch, train_loss"),
    (dict(rng="x"), "'rng' is str, expected a dict"),
])
def test_train_script_refuses_an_edited_run_checkpoint(train_script, tmp_path, changes, message):
    # before: TypeError/AttributeError tracebacks, the last one after an epoch of training
    path = _edited_run_checkpoint(train_script, tmp_path, **changes)
    with pytest.raises(ValueError, match=re.escape(f"--resume {path}: not a valid run checkpoint: {message}")):
        train_script.main(["--resume", str(path), "--epochs", "2", "--out", str(tmp_path / "out")])
    assert not (tmp_path / "out").exists()


def test_train_script_names_a_resume_state_that_does_not_load(train_script, tmp_path):
    # before: numpy's ValueError traceback from set_rng_state (the script restores after reading the data)
    resume = minigrad.load(_edited_run_checkpoint(train_script, tmp_path, rng={"bit_generator": "MT19937"}))
    net = lenet_bn_scratch()
    loader = DataLoader(np.zeros((8, 28, 28), np.uint8), np.zeros(8, np.int64), 4, shuffle=True, seed=0)
    with pytest.raises(ValueError, match=r"--resume: the checkpoint's state does not load \(ValueError"):
        train_script.restore_run(resume, net, optim.SGD(net.parameters(), lr=0.1), loader)


def test_cross_entropy_names_the_pytorch_target_form_it_lacks():
    # PyTorch takes class probabilities of the logits' shape as targets; minigrad says it does not
    message = ("targets must be integer class indices, got dtype float32 (class probabilities as targets, "
               "PyTorch's other form, are not supported by minigrad)")
    with pytest.raises(RuntimeError, match=re.escape(message)):
        F.cross_entropy(minigrad.ones(2, 3), minigrad.ones(2, 3) / 3)


def test_masked_fill_takes_a_number_or_a_0d_tensor_and_differentiates_the_tensor():
    # PyTorch: RuntimeError "masked_fill_ only supports a 0-dimensional value tensor, but got tensor with 1
    # dimension(s)"; a 0-d value tensor gets the gradient of the elements it fills (minigrad took its .item())
    mask = minigrad.tensor([True, False, True])
    with pytest.raises(RuntimeError, match=re.escape("only supports a 0-dimensional value tensor, got shape (1,)")):
        minigrad.ones(3).masked_fill(mask, minigrad.tensor([5.0]))
    with pytest.raises(TypeError, match="value must be a number or a 0-d tensor, got str"):
        minigrad.ones(3).masked_fill(mask, "a")
    v, x = t64(5.0, requires_grad=True), t64([1.0, 2.0, 3.0], requires_grad=True)
    y = x.masked_fill(mask, v)
    y.sum().backward()
    np.testing.assert_array_equal(y.numpy(), [5.0, 2.0, 5.0])
    assert v.grad.item() == 2.0
    np.testing.assert_array_equal(x.grad.numpy(), [0.0, 1.0, 0.0])


@pytest.mark.parametrize("call, error, message", [
    # PyTorch 2.13's exception type for each, beside its message
    # RuntimeError "0D or 1D target tensor expected, multi-target not supported"
    (lambda: F.cross_entropy(minigrad.ones(3, 3), minigrad.zeros(3, 1, dtype=minigrad.int64)), RuntimeError,
     "expected targets of shape (3,), got (3, 1)"),
    # ValueError "Expected input batch_size (3) to match target batch_size (2)."
    (lambda: F.cross_entropy(minigrad.ones(3, 3), minigrad.zeros(2, dtype=minigrad.int64)), ValueError,
     "expected targets of shape (3,), got (2,)"),
    # RuntimeError "weight tensor should be defined either for all 3 classes or no classes ..."
    (lambda: F.cross_entropy(minigrad.ones(3, 3), minigrad.zeros(3, dtype=minigrad.int64), weight=minigrad.ones(4)),
     RuntimeError, "weight must be a tensor of shape (3,), got shape (4,)"),
    # TypeError "cross_entropy_loss(): argument 'weight' (position 3) must be Tensor, not list"
    (lambda: F.cross_entropy(minigrad.ones(3, 3), minigrad.zeros(3, dtype=minigrad.int64), weight=[1, 1, 1]),
     TypeError, "weight must be a tensor of shape (3,), got list"),
    # RuntimeError "expected target dtype to be Long or Byte, but got Float"
    (lambda: F.cross_entropy(minigrad.ones(2, 3), minigrad.tensor([0.0, 1.0])), RuntimeError,
     "targets must be integer class indices, got dtype float32"),
    # NotImplementedError "mse_cpu" not implemented for 'Long'
    (lambda: F.mse_loss(minigrad.tensor([1]), minigrad.tensor([0])), NotImplementedError,
     "expected floating-point input or target, got dtypes int64 and int64"),
    # TypeError "~ (operator.invert) is only implemented on integer and Boolean-type tensors"
    (lambda: ~minigrad.tensor([1.0]), TypeError, "only bool and integer tensors, got dtype float32"),
    # NotImplementedError "bitwise_and_cpu" not implemented for 'Float'
    (lambda: minigrad.tensor([1.0]) & minigrad.tensor([1.0]), NotImplementedError,
     "only bool and integer tensors, got dtype float32"),
    # ValueError "expected sequence of length 2 at dim 1 (got 1)"
    (lambda: minigrad.tensor([[1, 2], [3]]), ValueError, "cannot make a tensor from list"),
    # RuntimeError "only Tensors of floating point dtype can require gradients"
    (lambda: minigrad.tensor([1, 2]).requires_grad_(), RuntimeError,
     "only floating-point tensors can require gradients, got dtype int64"),
])
def test_errors_have_pytorchs_exception_type(call, error, message):
    with pytest.raises(error, match=re.escape(message)):
        call()


def test_std_where_batch_norm_and_remainder_name_their_own_errors():
    # found by mutation testing: std's errors named var(), where's did not name where, batch_norm read .numel() of
    # an int (AttributeError), and a float remainder by 0 warned
    x = minigrad.ones(4, 3)
    with pytest.raises(IndexError, match=re.escape("std(): dimension out of range")):
        x.std(dim=5)
    with pytest.raises(TypeError, match=re.escape("std(): correction must be a number, got str 'a'")):
        x.std(correction="a")
    with pytest.raises(TypeError, match=re.escape("where(): other must be a Tensor or a number, got str")):
        minigrad.where(x > 0, x, "a")
    # PyTorch: TypeError "batch_norm(): argument 'running_mean' (position 2) must be Tensor, not int"
    with pytest.raises(TypeError, match=re.escape("batch_norm: running_mean must be a Tensor or None, got int")):
        F.batch_norm(x, 5, minigrad.ones(3))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert np.isnan(minigrad.remainder(minigrad.tensor([1.0]), 0).item())


@pytest.mark.parametrize("edit, message", [
    # before: a missing field resumed with the default of a new run (batch size 256, seed 0, ...), silently
    (lambda a: a.pop("batch_size"), "its saved arguments lack --batch-size ('batch_size'), which a resumed run takes"),
    (lambda a: a.pop("limit_train"), "its saved arguments lack --limit-train ('limit_train')"),
    (lambda a: a.pop("lr"), "its saved arguments lack --lr ('lr')"),
    (lambda a: a.pop("model"), "its saved arguments lack --model ('model')"),
    # before: a TypeError traceback from the comparison with --epochs, or from SGD's lr check
    (lambda a: a.update(epochs="10"), "its --epochs is '10', not a valid value of that flag"),
    (lambda a: a.update(lr="fast"), "its --lr is 'fast', not a valid value of that flag"),
    (lambda a: a.update(lr=float("nan")), "its --lr is nan, not a valid value of that flag"),
    (lambda a: a.update(seed=1.5), "its --seed is 1.5, not a valid value of that flag"),
    (lambda a: a.update(model="resnet"), "its --model is 'resnet', not a valid value of that flag"),
    (lambda a: a.update(batch_size=True), "its --batch-size is True, not a valid value of that flag"),
])
def test_train_script_refuses_saved_arguments_that_lack_a_field_or_hold_a_wrong_type(train_script, tmp_path, capsys,
                                                                                   edit, message):
    path = _edited_run_checkpoint(train_script, tmp_path)
    ckpt = minigrad.load(path)
    edit(ckpt["args"])
    minigrad.save(ckpt, path)
    with pytest.raises(ValueError, match=re.escape(f"--resume {path}: not a valid run checkpoint: {message}")):
        train_script.main(["--resume", str(path), "--out", str(tmp_path / "out")])
    assert capsys.readouterr().out == "" and not (tmp_path / "out").exists()  # refused before any work
