"""Lazy modules (minigrad/nn/modules/lazy.py): nn.LazyLinear, nn.LazyConv2d, nn.LazyBatchNorm1d/2d, as PyTorch 2.13
has them.

The input size is taken at the first forward, the parameters are filled in place (an optimiser built before
trains them), and the module then is the eager layer. The last tests compare with PyTorch where it is installed.
"""
import math
import re

import numpy as np
import pytest

import minigrad
from minigrad import nn
from minigrad.nn import functional as F

USE = re.escape("Attempted to use an uninitialized parameter")

LAZY_CASES = [  # (lazy module, the eager layer it becomes, an input shape, the inferred attribute and its value)
    (lambda: nn.LazyLinear(3), lambda: nn.Linear(5, 3), (4, 5), "in_features", 5),
    (lambda: nn.LazyLinear(3, bias=False), lambda: nn.Linear(5, 3, bias=False), (2, 6, 5), "in_features", 5),
    (lambda: nn.LazyConv2d(6, 3, padding=1), lambda: nn.Conv2d(4, 6, 3, padding=1), (2, 4, 5, 5), "in_channels", 4),
    (lambda: nn.LazyConv2d(2, (3, 2), stride=2, bias=False), lambda: nn.Conv2d(3, 2, (3, 2), stride=2, bias=False),
     (3, 5, 6), "in_channels", 3),
    (lambda: nn.LazyBatchNorm2d(), lambda: nn.BatchNorm2d(3), (2, 3, 4, 4), "num_features", 3),
    (lambda: nn.LazyBatchNorm1d(momentum=None), lambda: nn.BatchNorm1d(4, momentum=None), (5, 4), "num_features", 4),
    (lambda: nn.LazyBatchNorm1d(affine=False), lambda: nn.BatchNorm1d(4, affine=False), (5, 4, 3), "num_features", 4),
    (lambda: nn.LazyBatchNorm1d(track_running_stats=False, bias=False),
     lambda: nn.BatchNorm1d(2, track_running_stats=False, bias=False), (5, 2), "num_features", 2),
]


def _uninitialized(module):
    return [t for t in list(module._parameters.values()) + list(module._buffers.values())
            if isinstance(t, (nn.UninitializedParameter, nn.UninitializedBuffer))]


@pytest.mark.parametrize("make, make_eager, shape, attribute, size", LAZY_CASES)
def test_first_forward_fills_the_same_parameters_in_place_and_the_module_becomes_the_eager_layer(
        make, make_eager, shape, attribute, size):
    minigrad.manual_seed(0)
    m, eager = make(), make_eager()
    assert getattr(m, attribute) == 0 and repr(m) == "Lazy" + repr(eager).replace(str(size), "0", 1)
    before = dict(m.named_parameters())
    assert all(isinstance(p, nn.UninitializedParameter) for p in before.values())
    x = minigrad.randn(*shape)
    y = m(x)
    assert type(m) is type(eager) and getattr(m, attribute) == size and repr(m) == repr(eager)
    assert not _uninitialized(m)
    after = dict(m.named_parameters())
    assert list(after) == list(before) and all(after[k] is before[k] for k in before)  # the same objects
    assert all(type(p) is nn.Parameter for p in after.values())
    assert list(m.state_dict()) == list(eager.state_dict())
    eager.load_state_dict(m.state_dict())  # the output is the eager layer's with these parameters
    np.testing.assert_array_equal(eager(x).numpy(), y.numpy())
    assert m._hooks is None or not any(m._hooks.values())  # the initializing hook is gone


def test_lazy_linear_and_conv_initialise_as_pytorchs_default_and_the_batch_norm_as_ones_and_zeros():
    minigrad.manual_seed(1)
    lin = nn.LazyLinear(40)
    lin(minigrad.randn(2, 25))
    bound = 1 / math.sqrt(25)
    for p in (lin.weight, lin.bias):
        a = p.numpy()
        assert a.dtype == np.float32 and np.abs(a).max() <= bound and np.abs(a).max() > 0.9 * bound
        assert abs(a.mean()) < 0.2 * bound  # U(-bound, bound), not a constant
    conv = nn.LazyConv2d(30, 3)
    conv(minigrad.randn(1, 2, 4, 4))
    assert conv.weight.shape == (30, 2, 3, 3) and np.abs(conv.weight.numpy()).max() <= 1 / math.sqrt(18)
    bn = nn.LazyBatchNorm2d()
    bn(minigrad.randn(2, 3, 2, 2))
    np.testing.assert_array_equal(bn.weight.numpy(), np.ones(3, np.float32))
    np.testing.assert_array_equal(bn.bias.numpy(), np.zeros(3, np.float32))
    assert int(bn.num_batches_tracked.item()) == 1 and bn.running_mean.shape == (3,)


def test_construction_draws_no_random_numbers():
    """As in PyTorch, a lazy module is initialised at its first forward, not when it is built."""
    minigrad.manual_seed(3)
    nn.LazyLinear(4), nn.LazyConv2d(2, 3), nn.LazyBatchNorm2d()
    drawn = minigrad.rand(3).numpy()
    minigrad.manual_seed(3)
    np.testing.assert_array_equal(minigrad.rand(3).numpy(), drawn)


def test_an_optimiser_built_before_the_first_forward_trains_the_filled_parameters():
    """The DenseNet chapter's order: parameters() handed to SGD, then the first forward."""
    minigrad.manual_seed(0)
    net = nn.Sequential(nn.LazyConv2d(3, 3), nn.LazyBatchNorm2d(), nn.ReLU(), nn.Flatten(), nn.LazyLinear(2))
    params = list(net.parameters())
    opt = minigrad.optim.SGD(params, lr=0.5)
    x = minigrad.randn(4, 2, 5, 5)
    loss = F.cross_entropy(net(x), minigrad.tensor([0, 1, 1, 0]))
    loss.backward()
    old = [p.numpy().copy() for p in params]
    grads = [p.grad.numpy().copy() for p in params]
    opt.step()
    assert list(net.parameters()) == params and len(params) == 6
    for p, w, g in zip(params, old, grads):
        np.testing.assert_allclose(p.numpy(), w - 0.5 * g, rtol=1e-6, atol=1e-7)
        assert np.abs(g).max() > 0


def test_using_an_uninitialized_parameter_is_a_clear_error():
    m = nn.LazyLinear(3)
    for use in (lambda: m.weight + 1, lambda: m.weight.numel(), lambda: m.weight.numpy(), lambda: m.weight.sum(),
                lambda: minigrad.matmul(m.weight, m.weight)):
        with pytest.raises(ValueError, match=USE + ".*dummy batch"):
            use()
    with pytest.raises(RuntimeError, match="Can't access the shape of an uninitialized parameter"):
        m.weight.shape
    # what stays usable, as in PyTorch: dtype, device, requires_grad, grad, repr, zero_grad
    assert (m.weight.dtype, str(m.weight.device), m.weight.requires_grad, m.weight.grad) == \
        (np.float32, "cpu", True, None)
    assert repr(m.weight) == "<UninitializedParameter>" and repr(nn.LazyBatchNorm2d().running_var) == \
        "<UninitializedBuffer>"
    m.zero_grad()


def test_apply_before_the_first_forward_sees_the_lazy_class_and_after_it_the_eager_one():
    """d2l.init_cnn tests type(module) == nn.Linear or nn.Conv2d: it runs after a forward on a dummy batch."""
    seen = []

    def init_cnn(module):
        if type(module) in (nn.Linear, nn.Conv2d):
            nn.init.xavier_uniform_(module.weight)
            seen.append(type(module).__name__)

    net = nn.Sequential(nn.LazyConv2d(4, 3), nn.ReLU(), nn.Flatten(), nn.LazyLinear(2))
    net.apply(init_cnn)
    assert seen == []
    net(minigrad.randn(2, 1, 5, 5))
    before = net[0].weight.numpy().copy()
    net.apply(init_cnn)
    assert seen == ["Conv2d", "Linear"]
    bound = math.sqrt(6 / (1 * 9 + 4 * 9))
    w = net[0].weight.numpy()
    assert not np.array_equal(w, before) and np.abs(w).max() <= bound and np.abs(w).max() > 0.5 * bound


def test_state_dict_before_the_first_forward_lists_the_uninitialized_tensors():
    m = nn.LazyBatchNorm1d()
    state = m.state_dict()
    assert list(state) == ["weight", "bias", "running_mean", "running_var", "num_batches_tracked"]
    assert [type(v).__name__ for v in state.values()] == ["UninitializedParameter", "UninitializedParameter",
                                                          "UninitializedBuffer", "UninitializedBuffer", "Tensor"]
    assert state["weight"] is m.weight


def test_load_state_dict_fills_a_lazy_module_which_becomes_eager_at_its_next_forward():
    minigrad.manual_seed(0)
    source = nn.Sequential(nn.Conv2d(2, 3, 3), nn.BatchNorm2d(3), nn.Flatten(), nn.Linear(12, 4))
    x = minigrad.randn(2, 2, 4, 4)
    source(x)  # running statistics that differ from 0 and 1
    lazy = nn.Sequential(nn.LazyConv2d(3, 3), nn.LazyBatchNorm2d(), nn.Flatten(), nn.LazyLinear(4))
    params = list(lazy.parameters())
    result = lazy.load_state_dict(source.state_dict())
    assert result == ([], [])
    assert [type(m).__name__ for m in lazy] == ["LazyConv2d", "LazyBatchNorm2d", "Flatten", "LazyLinear"]
    assert all(type(p) is nn.Parameter for p in params) and list(lazy.parameters()) == params
    for key, value in source.state_dict().items():
        np.testing.assert_array_equal(lazy.state_dict()[key].numpy(), value.numpy())
    source.eval(), lazy.eval()
    np.testing.assert_array_equal(lazy(x).numpy(), source(x).numpy())  # the loaded values, not new ones
    assert repr(lazy) == repr(source)


def test_load_state_dict_between_lazy_and_initialized_modules():
    lazy = nn.LazyLinear(3)
    assert lazy.load_state_dict(nn.LazyLinear(3).state_dict()) == ([], [])  # nothing to copy: it stays lazy
    assert isinstance(lazy.weight, nn.UninitializedParameter)
    with pytest.raises(RuntimeError, match=r"'weight' is an uninitialized parameter.*run a forward on the source"):
        nn.Linear(5, 3).load_state_dict(nn.LazyLinear(3).state_dict())
    with pytest.raises(RuntimeError, match="missing keys: bias"):  # strict loading checks before it fills anything
        lazy.load_state_dict({"weight": minigrad.zeros(3, 5)})
    assert isinstance(lazy.weight, nn.UninitializedParameter)


def test_to_before_the_first_forward_sets_the_dtype_of_the_filled_parameters():
    net = nn.Sequential(nn.LazyLinear(3), nn.LazyBatchNorm1d()).double()
    assert net[0].weight.dtype == np.float64
    y = net(minigrad.randn(4, 2, dtype=minigrad.float64))
    assert y.dtype == np.float64 and net[1].running_var.dtype == np.float64 and net[0].weight.dtype == np.float64


@pytest.mark.parametrize("make, x_shape, error, message", [
    (lambda: nn.LazyConv2d(2, 3), (5,), RuntimeError,
     "Expected 3D (unbatched) or 4D (batched) input to LazyConv2d, but got input of size: (5,)"),
    (lambda: nn.LazyBatchNorm2d(), (3, 4), ValueError,
     "LazyBatchNorm2d: expected (N, C, H, W) input, got shape (3, 4)"),
    (lambda: nn.LazyBatchNorm1d(), (3, 4, 5, 6), ValueError,
     "LazyBatchNorm1d: expected (N, C) or (N, C, L) input, got shape (3, 4, 5, 6)"),
    (lambda: nn.LazyLinear(2), (), RuntimeError, "LazyLinear: expected an input of shape (..., in_features)"),
])
def test_a_first_input_of_the_wrong_rank_is_refused_and_the_module_stays_lazy(make, x_shape, error, message):
    m = make()
    with pytest.raises(error, match=re.escape(message)):
        m(minigrad.tensor(np.zeros(x_shape, np.float32)))
    assert type(m).__name__.startswith("Lazy") and _uninitialized(m)


def test_after_the_first_forward_another_input_size_is_an_error_of_the_eager_layer():
    m = nn.LazyLinear(2)
    m(minigrad.randn(3, 4))
    with pytest.raises(RuntimeError, match=re.escape("linear: expected input of shape (..., 4), got (3, 5)")):
        m(minigrad.randn(3, 5))


def test_forward_pre_hooks_registered_before_the_first_forward_still_run():
    m = nn.LazyLinear(2)
    calls = []
    m.register_forward_pre_hook(lambda module, args: calls.append(type(module).__name__))
    m(minigrad.randn(1, 3))
    m(minigrad.randn(1, 3))
    assert calls == ["Linear", "Linear"]  # after the lazy hook, which turned the module into a Linear


def test_constructor_arguments_are_checked_when_the_module_is_built():
    with pytest.raises(ValueError, match="LazyLinear: out_features must be an int >= 1, got 0"):
        nn.LazyLinear(0)
    with pytest.raises(ValueError, match="LazyConv2d: kernel_size must be an int >= 1, got 0"):
        nn.LazyConv2d(2, 0)
    with pytest.raises(ValueError, match="LazyBatchNorm2d: invalid eps"):
        nn.LazyBatchNorm2d(eps=0)


# ---------------------------------------------------------------------------
# Against PyTorch 2.13 (where it is installed)

def _torch_cases(torch):
    tnn = torch.nn
    return [(lambda lib: lib.LazyLinear(3), (4, 5)),
            (lambda lib: lib.LazyLinear(2, bias=False), (5,)),
            (lambda lib: lib.LazyConv2d(6, 3, padding=1), (2, 4, 5, 5)),
            (lambda lib: lib.LazyConv2d(2, (3, 2), stride=2, padding=(1, 0), bias=False), (3, 5, 6)),
            (lambda lib: lib.LazyBatchNorm2d(), (2, 3, 4, 4)),
            (lambda lib: lib.LazyBatchNorm1d(affine=False, momentum=None), (5, 4)),
            (lambda lib: lib.LazyBatchNorm1d(track_running_stats=False), (5, 2, 3))], tnn


def test_repr_state_dict_and_errors_as_pytorch():
    torch = pytest.importorskip("torch")
    cases, tnn = _torch_cases(torch)
    for make, shape in cases:
        ours, theirs = make(nn), make(tnn)
        assert repr(ours) == repr(theirs)
        assert {k: type(v).__name__ for k, v in ours.state_dict().items()} == \
            {k: type(v).__name__ for k, v in theirs.state_dict().items()}
        assert isinstance(ours, type(ours).cls_to_become) == isinstance(theirs, type(theirs).cls_to_become)
        for lib, m, error in ((minigrad, ours, None), (torch, theirs, None)):
            p = next(iter(m.parameters()), None)
            if p is not None:
                with pytest.raises(ValueError, match=USE):
                    p + 1
                with pytest.raises(RuntimeError, match="Can't access the shape"):
                    p.shape
        x = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
        y_ours, y_theirs = ours(minigrad.tensor(x)), theirs(torch.tensor(x))
        assert repr(ours) == repr(theirs) and type(ours).__name__ == type(theirs).__name__
        assert {k: tuple(v.shape) for k, v in ours.state_dict().items()} == \
            {k: tuple(v.shape) for k, v in theirs.state_dict().items()}
        assert y_ours.shape == tuple(y_theirs.shape)


@pytest.mark.gpu
def test_lazy_modules_moved_to_the_gpu_before_the_first_forward_fill_their_parameters_there():
    net = nn.Sequential(nn.LazyConv2d(4, 3, groups=1), nn.LazyBatchNorm2d(), nn.Flatten(), nn.LazyLinear(2)).cuda()
    y = net(minigrad.randn(2, 3, 5, 5).cuda())
    assert y.device.type == "cuda" and y.shape == (2, 2)
    assert all(t.device.type == "cuda" for t in list(net.parameters()) + list(net.buffers()))
    assert [type(m).__name__ for m in net] == ["Conv2d", "BatchNorm2d", "Flatten", "Linear"]


def test_load_state_dict_optimiser_and_apply_behave_as_pytorchs():
    torch = pytest.importorskip("torch")
    for lib, new in ((nn, minigrad), (torch.nn, torch)):
        source = lib.Linear(5, 3)
        lazy = lib.LazyLinear(3)
        params = list(lazy.parameters())
        lazy.load_state_dict(source.state_dict())
        seen = []
        lazy.apply(lambda m: seen.append(type(m).__name__))
        assert seen == ["LazyLinear"] and lazy.in_features == 0  # loaded, but lazy until the next forward
        assert [type(p).__name__ for p in params] == ["Parameter", "Parameter"]
        lazy(new.ones(2, 5))
        assert type(lazy).__name__ == "Linear" and lazy.in_features == 5 and list(lazy.parameters()) == params
        np.testing.assert_array_equal(lazy.weight.detach().numpy(), source.weight.detach().numpy())
        fresh = lib.LazyConv2d(2, 3)
        opt = new.optim.SGD(fresh.parameters(), lr=1.0)  # built before the first forward
        fresh(new.ones(1, 2, 4, 4)).sum().backward()
        before = fresh.bias.detach().numpy().copy()
        opt.step()
        np.testing.assert_allclose(fresh.bias.detach().numpy(), before - 4.0, rtol=1e-6)  # d(sum)/d(bias) = 2 * 2
