"""nn.Module, nn.Parameter and nn.Sequential: registration, traversal, modes, dtype/device moves and state_dicts."""
import re
from collections import OrderedDict

import numpy as np
import pytest

import minigrad
from minigrad import nn

requires_cuda = pytest.mark.skipif(not minigrad.cuda.is_available(), reason="CUDA (CuPy and a GPU) is not available")


def small_net():
    return nn.Sequential(nn.Linear(4, 3), nn.BatchNorm(3, num_dims=2), nn.Sigmoid(), nn.Linear(3, 2))


def bn2d_net():
    return nn.Sequential(nn.Conv2d(1, 2, 3), nn.BatchNorm2d(2), nn.ReLU(), nn.Flatten(), nn.Linear(8, 3))


def batch(shape, seed=0):
    return minigrad.tensor(np.random.default_rng(seed).standard_normal(shape).astype(np.float32))


# ---------------------------------------------------------------------------
# Names and traversal

def test_named_parameters_and_buffers_follow_pytorch_names():
    net = small_net()
    assert [n for n, _ in net.named_parameters()] == ["0.weight", "0.bias", "1.gamma", "1.beta", "3.weight", "3.bias"]
    assert [p.shape for p in net.parameters()] == [(3, 4), (3,), (1, 3), (1, 3), (2, 3), (2,)]
    assert all(isinstance(p, nn.Parameter) and p.requires_grad for p in net.parameters())
    assert [n for n, _ in net.named_buffers()] == ["1.moving_mean", "1.moving_var"]
    # PyTorch's order: module by module, parameters then buffers
    assert list(net.state_dict()) == ["0.weight", "0.bias", "1.gamma", "1.beta", "1.moving_mean", "1.moving_var",
                                      "3.weight", "3.bias"]
    assert net[0].weight is dict(net.named_parameters())["0.weight"]
    net2 = bn2d_net()
    assert [n for n, _ in net2.named_buffers()] == ["1.running_mean", "1.running_var", "1.num_batches_tracked"]


def test_nested_names_and_shared_parameters_counted_once():
    inner = nn.Sequential(nn.Linear(2, 2), nn.Tanh())
    shared = nn.Linear(2, 2)
    net = nn.Sequential(inner, shared, shared)
    assert [n for n, _ in net.named_parameters()] == ["0.0.weight", "0.0.bias", "1.weight", "1.bias"]
    assert len(list(net.parameters())) == 4
    assert [n for n, _ in net.named_modules()] == ["", "0", "0.0", "0.1", "1"]


def test_children_and_modules():
    net = small_net()
    kids = list(net.children())
    assert [type(m).__name__ for m in kids] == ["Linear", "BatchNorm", "Sigmoid", "Linear"]
    assert kids[1] is net[1]
    assert [n for n, _ in net.named_children()] == ["0", "1", "2", "3"]
    mods = list(net.modules())
    assert mods[0] is net and mods[1:] == kids
    nested = nn.Sequential(nn.Sequential(nn.Linear(1, 1)), nn.ReLU())
    assert [type(m).__name__ for m in nested.modules()] == ["Sequential", "Sequential", "Linear", "ReLU"]
    assert len(list(nested.children())) == 2


def test_apply_visits_children_first_then_self():
    nested = nn.Sequential(nn.Sequential(nn.Linear(1, 1), nn.ReLU()), nn.Tanh())
    seen = []
    out = nested.apply(lambda m: seen.append(type(m).__name__))
    assert out is nested
    assert seen == ["Linear", "ReLU", "Sequential", "Tanh", "Sequential"]

    def init_linear(m):
        if isinstance(m, nn.Linear):
            nn.init.constant_(m.weight, 0.5)
            nn.init.zeros_(m.bias)
    net = small_net().apply(init_linear)
    assert np.all(net[0].weight.numpy() == 0.5) and np.all(net[3].weight.numpy() == 0.5)
    assert np.all(net[0].bias.numpy() == 0)


def test_custom_module_registration():
    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.scale = nn.Parameter(minigrad.ones(2))
            self.body = nn.Linear(2, 2)
            self.register_buffer("count", minigrad.zeros(1))
            self.register_buffer("scratch", minigrad.zeros(3), persistent=False)
            self.note = "plain attribute"

        def forward(self, x):
            return self.body(x) * self.scale

    net = Net()
    assert [n for n, _ in net.named_parameters()] == ["scale", "body.weight", "body.bias"]
    assert [n for n, _ in net.named_buffers()] == ["count", "scratch"]
    assert list(net.state_dict()) == ["scale", "count", "body.weight", "body.bias"]  # non-persistent left out
    assert net.note == "plain attribute"
    assert net(batch((5, 2))).shape == (5, 2)
    with pytest.raises(TypeError, match="scale"):
        net.scale = minigrad.ones(2)  # a plain tensor cannot replace a parameter
    net.scale = nn.Parameter(minigrad.zeros(2))
    assert np.all(dict(net.named_parameters())["scale"].numpy() == 0)
    with pytest.raises(TypeError, match="count"):
        net.count = np.zeros(1)  # a buffer takes a Tensor or None, and stays registered
    net.count = minigrad.ones(1)
    assert [n for n, _ in net.named_buffers()] == ["count", "scratch"]
    np.testing.assert_array_equal(net.state_dict()["count"].numpy(), [1.0])
    del net.body
    assert [n for n, _ in net.named_parameters()] == ["scale"]
    with pytest.raises(AttributeError, match="missing"):
        net.missing

    class Forgot(nn.Module):
        def __init__(self):
            self.w = nn.Parameter(minigrad.ones(1))
    with pytest.raises(RuntimeError, match="super"):
        Forgot()


def test_module_without_forward():
    with pytest.raises(NotImplementedError):
        nn.Module()(minigrad.zeros(1))


# ---------------------------------------------------------------------------
# Modes, gradients, dtype and device

def test_train_eval_propagate_to_every_submodule():
    net = nn.Sequential(nn.Sequential(nn.BatchNorm2d(1), nn.ReLU()), nn.BatchNorm(1, num_dims=4))
    assert all(m.training for m in net.modules())
    assert net.eval() is net
    assert not any(m.training for m in net.modules())
    assert net.train() is net
    assert all(m.training for m in net.modules())
    net.train(False)
    assert not any(m.training for m in net.modules())
    net[0].train()
    assert net[0].training and net[0][0].training and not net.training and not net[1].training


def test_zero_grad():
    net = small_net()
    net(batch((6, 4))).sum().backward()
    assert all(p.grad is not None for p in net.parameters())
    assert any(np.abs(p.grad.numpy()).max() > 0 for p in net.parameters())
    net.zero_grad(set_to_none=False)
    assert all(p.grad is not None and np.all(p.grad.numpy() == 0) for p in net.parameters())
    net(batch((6, 4))).sum().backward()
    net.zero_grad()  # PyTorch 2's default: set_to_none=True
    assert all(p.grad is None for p in net.parameters())


def test_gradients_accumulate_across_backward_calls():
    lin = nn.Linear(3, 2)
    x = batch((4, 3))
    lin(x).sum().backward()
    first = lin.weight.grad.numpy().copy()
    lin(x).sum().backward()
    np.testing.assert_allclose(lin.weight.grad.numpy(), 2 * first, rtol=1e-6)


def test_to_cpu_keeps_identity():
    net = small_net()
    params = list(net.parameters())
    assert net.to("cpu") is net
    assert net.cpu() is net
    assert all(a is b for a, b in zip(params, net.parameters()))
    assert all(p.device == "cpu" and p.dtype == np.float32 for p in net.parameters())


def test_double_converts_parameters_buffers_and_grads_in_place():
    net = bn2d_net()
    net.append(nn.BatchNorm(3, num_dims=2))
    params = list(net.parameters())
    before = [p.numpy().copy() for p in params]
    net(batch((4, 1, 4, 4))).sum().backward()
    assert net.double() is net
    assert all(a is b for a, b in zip(params, net.parameters()))  # an optimiser keeps working
    assert all(p.dtype == np.float64 and p.grad.dtype == np.float64 for p in net.parameters())
    for full, b in net.named_buffers():
        expected = np.int64 if full.endswith("num_batches_tracked") else np.float64
        assert b.dtype == expected, full
    np.testing.assert_allclose(params[0].numpy(), before[0], rtol=1e-7)
    y = net(minigrad.tensor(np.ones((4, 1, 4, 4))))
    assert y.dtype == np.float64
    net.float()
    assert all(p.dtype == np.float32 for p in net.parameters())
    assert all(b.dtype == np.float32 for n, b in net.named_buffers() if "num_batches" not in n)
    net.to(minigrad.float64)
    assert net[0].weight.dtype == np.float64


def test_requires_grad_toggle():
    net = small_net().requires_grad_(False)
    assert not any(p.requires_grad for p in net.parameters())
    net.requires_grad_()
    assert all(p.requires_grad for p in net.parameters())


# ---------------------------------------------------------------------------
# state_dict / load_state_dict

def train_a_little(net, shape, steps=2, seed=0):
    opt = minigrad.optim.SGD(net.parameters(), lr=0.1)
    device = next(net.parameters()).device
    for i in range(steps):
        loss = (net(batch(shape, seed + i).to(device)) ** 2).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()


@pytest.mark.parametrize("make,shape", [(small_net, (5, 4)), (bn2d_net, (3, 1, 4, 4))])
def test_state_dict_round_trip_into_fresh_network(make, shape):
    minigrad.manual_seed(0)
    net1 = make()
    train_a_little(net1, shape)
    sd = net1.state_dict()
    assert all(not t.requires_grad for t in sd.values())
    minigrad.manual_seed(1)
    net2 = make()
    assert any(not np.array_equal(sd[k].numpy(), v.numpy()) for k, v in net2.state_dict().items())
    missing, unexpected = net2.load_state_dict(sd)
    assert missing == [] and unexpected == []
    for k, v in net2.state_dict().items():
        np.testing.assert_array_equal(v.numpy(), sd[k].numpy(), err_msg=k)
        assert v.dtype == sd[k].dtype
    net1.eval()
    net2.eval()
    x = batch(shape, 9)
    np.testing.assert_array_equal(net1(x).numpy(), net2(x).numpy())
    # load copies the values: later changes to net1 do not reach net2
    w1 = dict(net1.named_parameters())[next(iter(sd))]
    w1.array[...] += 1
    assert not np.array_equal(w1.numpy(), dict(net2.named_parameters())[next(iter(sd))].numpy())


def test_state_dict_accepts_numpy_arrays():
    net = nn.Linear(2, 2)
    net.load_state_dict({"weight": np.eye(2), "bias": np.array([1.0, 2.0])})
    np.testing.assert_array_equal(net.weight.numpy(), np.eye(2))
    assert net.weight.dtype == np.float32
    np.testing.assert_array_equal(net.bias.numpy(), [1.0, 2.0])


def test_load_state_dict_strict_errors_name_the_keys():
    net = small_net()
    sd = net.state_dict()
    before = {k: v.numpy().copy() for k, v in sd.items()}

    missing = OrderedDict((k, v.numpy() + 1) for k, v in sd.items() if k != "1.moving_var")
    with pytest.raises(RuntimeError, match=r"missing keys: 1\.moving_var"):
        net.load_state_dict(missing)

    unexpected = OrderedDict((k, v.numpy()) for k, v in sd.items())
    unexpected["4.weight"] = np.zeros(3)
    with pytest.raises(RuntimeError, match=r"unexpected keys: 4\.weight"):
        net.load_state_dict(unexpected)

    misshaped = OrderedDict((k, v.numpy() + 1) for k, v in sd.items())
    misshaped["0.weight"] = np.zeros((4, 3))
    with pytest.raises(RuntimeError) as info:
        net.load_state_dict(misshaped)
    message = str(info.value)
    assert "0.weight" in message and "(3, 4)" in message and "(4, 3)" in message
    with pytest.raises(RuntimeError, match=re.escape("(4, 3)")):
        net.load_state_dict(misshaped, strict=False)  # a shape mismatch is an error even when not strict

    # a failed load changes nothing
    for k, v in net.state_dict().items():
        np.testing.assert_array_equal(v.numpy(), before[k], err_msg=k)


def test_load_state_dict_non_strict_returns_missing_and_unexpected():
    net = small_net()
    sd = OrderedDict((k, v.numpy() + 1) for k, v in net.state_dict().items() if not k.startswith("3."))
    sd["extra"] = np.zeros(1)
    result = net.load_state_dict(sd, strict=False)
    missing, unexpected = result
    assert missing == ["3.weight", "3.bias"]
    assert unexpected == ["extra"]
    assert result.missing_keys == missing and result.unexpected_keys == unexpected  # PyTorch's field names
    np.testing.assert_array_equal(net[1].moving_var.numpy(), np.full((1, 3), 2.0))  # the others were loaded


# ---------------------------------------------------------------------------
# Sequential

def test_sequential_indexing_slicing_len_iteration():
    net = small_net()
    assert len(net) == 4
    assert isinstance(net[0], nn.Linear) and net[-1] is net[3]
    sub = net[1:3]
    assert isinstance(sub, nn.Sequential) and len(sub) == 2
    assert sub[0] is net[1] and sub[1] is net[2]
    assert [type(m).__name__ for m in net] == ["Linear", "BatchNorm", "Sigmoid", "Linear"]
    assert list(net) == list(net.children())
    with pytest.raises(IndexError, match="4"):
        net[4]
    net.eval()
    x = batch((3, 4))
    np.testing.assert_allclose(net(x).numpy(), net[3](net[2](net[1](net[0](x)))).numpy(), rtol=1e-6)
    np.testing.assert_allclose(net[1:](net[0](x)).numpy(), net(x).numpy(), rtol=1e-6)


def test_sequential_from_ordered_dict_and_append():
    net = nn.Sequential(OrderedDict([("conv", nn.Conv2d(1, 1, 1)), ("act", nn.ReLU())]))
    assert [n for n, _ in net.named_parameters()] == ["conv.weight", "conv.bias"]
    assert isinstance(net[0], nn.Conv2d)
    net.append(nn.Flatten())
    assert len(net) == 3 and isinstance(net[2], nn.Flatten)
    assert net(minigrad.zeros(2, 1, 3, 3)).shape == (2, 9)


def test_repr_mentions_layers():
    text = repr(small_net())
    assert "(0): Linear(in_features=4, out_features=3, bias=True)" in text
    assert "BatchNorm(3, num_dims=2)" in text


# ---------------------------------------------------------------------------
# GPU

@pytest.mark.gpu
@requires_cuda
def test_to_cuda_moves_parameters_and_buffers():
    net = nn.Sequential(nn.Conv2d(1, 2, 3), nn.BatchNorm(2, num_dims=4), nn.BatchNorm2d(2), nn.Flatten(),
                        nn.Linear(8, 3), nn.BatchNorm1d(3))
    params = list(net.parameters())
    assert net.to("cuda") is net
    assert all(a is b for a, b in zip(params, net.parameters()))
    for name, t in list(net.named_parameters()) + list(net.named_buffers()):
        assert t.device == "cuda:0", name
    x = minigrad.tensor(np.random.default_rng(0).standard_normal((4, 1, 4, 4)).astype(np.float32), device="cuda")
    y = net(x)
    assert y.device == "cuda:0"
    y.sum().backward()
    assert all(p.grad.device == "cuda:0" for p in net.parameters())
    for name, t in net.named_buffers():  # the seed BatchNorm's replaced buffers stay on the GPU
        assert t.device == "cuda:0", name
    assert int(net[2].num_batches_tracked.item()) == 1


@pytest.mark.gpu
@requires_cuda
def test_state_dict_device_round_trip():
    minigrad.manual_seed(0)
    gpu_net = bn2d_net().to("cuda")
    train_a_little(gpu_net, (3, 1, 4, 4))
    sd = gpu_net.state_dict()
    assert all(v.device == "cuda:0" for v in sd.values())
    cpu_net = bn2d_net()
    cpu_net.load_state_dict(sd)
    for k, v in cpu_net.state_dict().items():
        assert v.device == "cpu"
        np.testing.assert_array_equal(v.numpy(), sd[k].numpy(), err_msg=k)
    back = bn2d_net().to("cuda")
    back.load_state_dict(cpu_net.state_dict())
    for k, v in back.state_dict().items():
        assert v.device == "cuda:0"
        np.testing.assert_array_equal(v.numpy(), sd[k].numpy(), err_msg=k)
    gpu_net.to("cpu")
    assert all(t.device == "cpu" for t in list(gpu_net.parameters()) + list(gpu_net.buffers()))
