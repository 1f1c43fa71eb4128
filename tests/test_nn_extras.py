"""PyTorch names beyond the D2L chapter: random in-place fills, relu_/clamp_, Dropout, Identity, Softmax/LogSoftmax
modules, MSE and NLL losses, one_hot, ModuleList/ModuleDict and forward hooks; values against NumPy references."""
import warnings

import numpy as np
import pytest

import minigrad
from minigrad import gradcheck, gradgradcheck, nn
from minigrad.nn import functional as F


def t64(a, requires_grad=True):
    return minigrad.tensor(np.asarray(a, dtype=np.float64), requires_grad=requires_grad)


# -- in-place fills ----------------------------------------------------------------

@pytest.mark.parametrize("method, args, draw", [
    ("normal_", (0.5, 0.01), lambda g, shape: g.normal(0.5, 0.01, shape)),
    ("uniform_", (-2.0, 3.0), lambda g, shape: g.uniform(-2.0, 3.0, shape)),
])
def test_random_fills_draw_from_minigrads_generator_in_place(method, args, draw):
    x = minigrad.zeros(4, 5)
    view, version = x[1:], x._vc[0]
    minigrad.manual_seed(3)
    assert getattr(x, method)(*args) is x
    expected = draw(np.random.default_rng(3), (4, 5)).astype(np.float32)
    np.testing.assert_array_equal(x.numpy(), expected)
    np.testing.assert_array_equal(view.numpy(), expected[1:])  # same memory
    assert x._vc[0] == version + 1 and x.dtype == minigrad.float32


def test_normal_on_data_is_the_books_initialisation_and_nn_init_gives_the_same_values():
    net = nn.Sequential(nn.Linear(6, 3))
    minigrad.manual_seed(7)
    net[0].weight.data.normal_(0, 0.01)
    minigrad.manual_seed(7)
    w = minigrad.empty(3, 6)
    nn.init.normal_(w, 0, 0.01)
    np.testing.assert_array_equal(net[0].weight.numpy(), w.numpy())
    assert net[0].weight.requires_grad and abs(float(w.std())) < 0.03


def test_random_fills_refuse_what_pytorch_refuses():
    with pytest.raises(RuntimeError, match="normal expects std >= 0.0, but found std -1"):
        minigrad.zeros(2).normal_(0, -1)
    with pytest.raises(RuntimeError, match=r"uniform_ expects to return a \[from, to\) range, but found from=1 > to=0"):
        minigrad.zeros(2).uniform_(1, 0)
    with pytest.raises(NotImplementedError, match="normal_: expected a floating-point tensor, got dtype int64"):
        minigrad.zeros(2, dtype=minigrad.long).normal_()
    w = nn.Parameter(minigrad.zeros(2))
    with pytest.raises(RuntimeError, match="uniform_: a leaf tensor that requires grad"):
        w.uniform_()
    np.testing.assert_array_equal(w.numpy(), [0, 0])
    with minigrad.no_grad():
        w.uniform_(5, 6)
    assert (w.numpy() >= 5).all() and (w.numpy() < 6).all()


def test_relu_and_clamp_in_place():
    x = minigrad.tensor([-1.5, 0.0, float("nan"), 2.0])
    assert x.relu_() is x
    np.testing.assert_array_equal(x.numpy(), [0.0, 0.0, np.nan, 2.0])
    i = minigrad.tensor([-3, 1, 5])
    np.testing.assert_array_equal(i.relu_().numpy(), [0, 1, 5])
    y = minigrad.tensor([-3.0, 0.5, 7.0])
    assert y.clamp_(-1, 2) is y
    np.testing.assert_array_equal(y.numpy(), np.clip([-3.0, 0.5, 7.0], -1, 2).astype(np.float32))
    np.testing.assert_array_equal(minigrad.tensor([1, 2, 3]).clip_(max=2).numpy(), [1, 2, 2])
    with pytest.raises(RuntimeError,
                       match="clamp_: result type float32 can't be cast to the desired output type int64"):
        minigrad.tensor([1, 2, 3]).clamp_(0.5, 1.5)
    with pytest.raises(RuntimeError, match="at least one of 'min' or 'max'"):
        y.clamp_()
    with pytest.raises(RuntimeError, match="Boolean inputs not supported for relu"):
        minigrad.tensor([True]).relu_()
    w = t64([1.0, -1.0], requires_grad=True)
    h = w * 2
    assert h.relu_() is h and h.tolist() == [2.0, 0.0]  # recorded in the graph, as PyTorch's
    h.sum().backward()
    assert w.grad.tolist() == [2.0, 0.0]


# -- dropout -------------------------------------------------------------------------

def test_dropout_zeroes_with_probability_p_and_scales_the_rest():
    x = minigrad.arange(1.0, 2001.0).reshape(40, 50)
    minigrad.manual_seed(11)
    y = F.dropout(x, 0.3)
    keep = np.random.default_rng(11).random((40, 50)) >= 0.3
    np.testing.assert_allclose(y.numpy(), np.where(keep, x.numpy() / 0.7, 0.0), rtol=1e-6)
    assert 0.25 < 1 - keep.mean() < 0.35 and y.dtype == minigrad.float32


def test_dropout_identity_cases_and_p_one():
    x = minigrad.randn(3, 4)
    assert F.dropout(x, 0.5, training=False) is x and F.dropout(x, 0.0) is x
    np.testing.assert_array_equal(F.dropout(x, 1.0).numpy(), np.zeros((3, 4), np.float32))
    layer = nn.Dropout(0.4)
    assert layer.eval()(x) is x and repr(layer) == "Dropout(p=0.4, inplace=False)"


@pytest.mark.parametrize("p", [-0.1, 1.5, float("nan")])
def test_dropout_probability_is_validated_with_pytorchs_message(p):
    with pytest.raises(ValueError, match=f"dropout probability has to be between 0 and 1, but got {p}"):
        F.dropout(minigrad.ones(2), p)
    with pytest.raises(ValueError, match="dropout probability"):
        nn.Dropout(p)
    with pytest.raises(TypeError, match="dropout probability must be a real number, got str '0.5'"):
        nn.Dropout("0.5")
    assert nn.Dropout(np.float32(0.25)).p == 0.25


def test_dropout_backward_multiplies_by_the_saved_mask():
    x = t64(np.random.default_rng(0).normal(size=(5, 6)))
    minigrad.manual_seed(2)
    y = F.dropout(x, 0.5)
    g = np.random.default_rng(1).normal(size=(5, 6))
    y.backward(minigrad.tensor(g))
    mask = (np.random.default_rng(2).random((5, 6)) >= 0.5) * 2.0
    np.testing.assert_allclose(x.grad.numpy(), g * mask)

    def seeded_dropout(x):
        minigrad.manual_seed(5)
        return F.dropout(x, 0.25) ** 2  # squared: a nonzero second derivative
    assert gradcheck(seeded_dropout, [x]) and gradgradcheck(seeded_dropout, [x])


# -- modules that apply functions -----------------------------------------------------

def test_identity_softmax_and_log_softmax_modules():
    x = minigrad.randn(2, 3, 4)
    assert nn.Identity(54, unused=1)(x) is x
    a = x.numpy().astype(np.float64)
    for dim in (0, 1, -1):
        expected = np.exp(a) / np.exp(a).sum(axis=dim, keepdims=True)
        np.testing.assert_allclose(nn.Softmax(dim=dim)(x).numpy(), expected, rtol=1e-5)
        np.testing.assert_allclose(nn.LogSoftmax(dim)(x).numpy(), np.log(expected), rtol=1e-5, atol=1e-6)
    assert repr(nn.Softmax(dim=1)) == "Softmax(dim=1)" and repr(nn.LogSoftmax()) == "LogSoftmax(dim=None)"
    assert not isinstance(nn.LogSoftmax(1), nn.Softmax)


# -- losses ------------------------------------------------------------------------------

@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_mse_loss_values_and_derivatives(reduction):
    rng = np.random.default_rng(4)
    a, b = rng.normal(size=(3, 4)), rng.normal(size=(3, 4))
    expected = {"mean": ((a - b) ** 2).mean(), "sum": ((a - b) ** 2).sum(), "none": (a - b) ** 2}[reduction]
    np.testing.assert_allclose(F.mse_loss(t64(a), t64(b), reduction=reduction).numpy(), expected)
    np.testing.assert_allclose(nn.MSELoss(reduction=reduction)(t64(a), t64(b)).numpy(), expected)
    fn = lambda x, y: F.mse_loss(x, y, reduction=reduction)  # noqa: E731
    assert gradcheck(fn, [t64(a), t64(b)]) and gradgradcheck(fn, [t64(a), t64(b)])


def test_mse_loss_broadcasts_with_pytorchs_warning_and_checks_reduction():
    with pytest.warns(UserWarning, match=r"Using a target size \(\(3, 1\)\) that is different to the input size"):
        loss = F.mse_loss(minigrad.ones(3), minigrad.zeros(3, 1))
    assert loss.item() == 1.0
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert F.mse_loss(minigrad.ones(3), minigrad.zeros(3, dtype=minigrad.float64)).dtype == minigrad.float64
    with pytest.raises(ValueError, match="mse_loss: reduction must be 'mean', 'sum' or 'none', got 'bad'"):
        F.mse_loss(minigrad.ones(3), minigrad.zeros(3), reduction="bad")
    with pytest.raises(NotImplementedError,
                       match="mse_loss: expected floating-point input or target, got dtypes int64"):
        F.mse_loss(minigrad.tensor([1]), minigrad.tensor([0]))


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_nll_loss_values_and_derivatives(reduction):
    rng = np.random.default_rng(6)
    z, target = rng.normal(size=(5, 4)), np.array([3, 0, 1, 1, 2])
    picked = -z[np.arange(5), target]
    expected = {"mean": picked.mean(), "sum": picked.sum(), "none": picked}[reduction]
    y = minigrad.tensor(target)
    np.testing.assert_allclose(F.nll_loss(t64(z), y, reduction=reduction).numpy(), expected)
    np.testing.assert_allclose(nn.NLLLoss(reduction=reduction)(t64(z), y).numpy(), expected)
    fn = lambda x: F.nll_loss(F.log_softmax(x, 1), y, reduction=reduction)  # noqa: E731
    assert gradcheck(fn, [t64(z)]) and gradgradcheck(fn, [t64(z)])
    # nll_loss of log_softmax is cross_entropy
    np.testing.assert_allclose(fn(t64(z)).numpy(), F.cross_entropy(t64(z), y, reduction=reduction).numpy())


def test_nll_loss_refuses_bad_targets_and_unsupported_arguments():
    x = minigrad.zeros(2, 3)
    with pytest.raises(IndexError, match=r"nll_loss: targets must lie in \[0, 2\] or be ignore_index=-100, "
                                         r"got values in \[0, 5\]"):
        F.nll_loss(x, minigrad.tensor([0, 5]))
    with pytest.raises(ValueError, match=r"nll_loss: expected targets of shape \(2,\), got \(3,\)"):
        F.nll_loss(x, minigrad.tensor([0, 1, 2]))
    with pytest.raises(IndexError, match=r"or be ignore_index=-100, got values in \[-1, 1\]"):
        F.nll_loss(x, minigrad.tensor([-1, 1]))
    with pytest.raises(ValueError, match="nll_loss: reduction must be"):
        F.nll_loss(x, minigrad.tensor([0, 1]), reduction="avg")


def test_one_hot():
    labels = np.array([[0, 2], [1, 4]])
    out = F.one_hot(minigrad.tensor(labels))
    np.testing.assert_array_equal(out.numpy(), np.eye(5, dtype=np.int64)[labels])
    assert out.dtype == minigrad.int64 and out.shape == (2, 2, 5)
    np.testing.assert_array_equal(F.one_hot(minigrad.tensor(2), 3).numpy(), [0, 0, 1])
    assert F.one_hot(minigrad.zeros(0, dtype=minigrad.long), 3).shape == (0, 3)
    np.testing.assert_array_equal(F.one_hot(minigrad.tensor([0, 2]), 5).numpy(), np.eye(5, dtype=np.int64)[[0, 2]])
    with pytest.raises(RuntimeError, match="Class values must be smaller than num_classes"):
        F.one_hot(minigrad.tensor([0, 2]), 2)
    with pytest.raises(RuntimeError, match="Class values must be non-negative"):
        F.one_hot(minigrad.tensor([0, -1]))
    with pytest.raises(RuntimeError, match="one_hot is only applicable to index tensor of type LongTensor"):
        F.one_hot(minigrad.tensor([0.0, 1.0]))
    with pytest.raises(RuntimeError, match="Can not infer total number of classes from empty tensor"):
        F.one_hot(minigrad.zeros(0, dtype=minigrad.long))


# -- containers --------------------------------------------------------------------------

def test_module_list_registers_its_modules():
    a, b, c = nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1)
    layers = nn.ModuleList([a, b])
    layers.append(c)
    assert list(layers) == [a, b, c] and len(layers) == 3 and layers[-1] is c
    assert [n for n, _ in layers.named_parameters()] == ["0.weight", "0.bias", "2.weight", "2.bias"]
    d = nn.Tanh()
    layers.insert(1, d)
    assert list(layers) == [a, d, b, c] and layers[1] is d
    assert list(layers[1:3]) == [d, b] and isinstance(layers[1:3], nn.ModuleList)
    del layers[0]
    assert list(layers) == [d, b, c] and [n for n, _ in layers.named_children()] == ["0", "1", "2"]
    layers.extend([nn.Sigmoid()])
    layers += [nn.Identity()]
    assert len(layers) == 5
    layers[0] = a
    assert layers[0] is a and len(list(layers.parameters())) == 4

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.blocks = nn.ModuleList([nn.Linear(2, 2) for _ in range(3)])

        def forward(self, x):
            for block in self.blocks:
                x = block(x)
            return x
    net = Net()
    assert len(list(net.parameters())) == 6 and "blocks.2.bias" in net.state_dict()
    x = minigrad.randn(4, 2)
    expected = x
    for block in net.blocks:
        expected = block(expected)
    np.testing.assert_array_equal(net(x).numpy(), expected.numpy())


def test_module_list_errors():
    layers = nn.ModuleList([nn.ReLU()])
    with pytest.raises(IndexError, match="index 5 is out of range for a ModuleList of 1 modules"):
        layers[5]
    with pytest.raises(TypeError, match="int is not a Module subclass"):
        layers.insert(0, 3)
    with pytest.raises(TypeError, match="ModuleList.extend should be called with an iterable, but got ReLU"):
        layers.extend(nn.ReLU())
    with pytest.raises(TypeError, match="must be a Module, got int"):
        nn.ModuleList([nn.ReLU(), 3])
    with pytest.raises(NotImplementedError, match="ModuleList must define forward"):
        layers(minigrad.ones(1))


def test_module_dict():
    heads = nn.ModuleDict({"a": nn.Linear(2, 2)})
    heads["b"] = nn.Linear(2, 1)
    heads.update([("c", nn.ReLU())])
    assert list(heads) == ["a", "b", "c"] and "b" in heads and len(heads) == 3
    assert [n for n, _ in heads.named_parameters()] == ["a.weight", "a.bias", "b.weight", "b.bias"]
    assert [k for k, _ in heads.items()] == list(heads.keys())
    c = heads.pop("c")
    assert isinstance(c, nn.ReLU) and "c" not in heads
    with pytest.raises(KeyError, match="'z'"):
        heads["z"]
    heads.clear()
    assert len(heads) == 0 and list(heads.parameters()) == []


# -- forward hooks --------------------------------------------------------------------------

def test_forward_hooks_see_and_replace_inputs_and_outputs():
    layer = nn.Linear(3, 2)
    seen = []
    handle_post = layer.register_forward_hook(lambda m, args, out: seen.append((m, args[0].shape, out.shape)))
    handle_pre = layer.register_forward_pre_hook(lambda m, args: args[0] * 2)  # not a tuple: wrapped in one
    x = minigrad.randn(4, 3)
    out = layer(x)
    np.testing.assert_allclose(out.numpy(), F.linear(x * 2, layer.weight, layer.bias).detach().numpy(), rtol=1e-6)
    assert seen == [(layer, (4, 3), (4, 2))]
    doubled = layer.register_forward_hook(lambda m, args, out: out * 10)
    np.testing.assert_allclose(layer(x).numpy(), 10 * out.detach().numpy(), rtol=1e-6)
    for handle in (handle_pre, handle_post, doubled):
        handle.remove()
    handle_post.remove()  # removing twice is harmless, as in PyTorch
    np.testing.assert_array_equal(layer(x).numpy(), F.linear(x, layer.weight, layer.bias).detach().numpy())
    assert len(seen) == 2


def test_forward_hook_on_a_submodule_records_activations_and_gradients_flow():
    net = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 1))
    activations = {}
    net[1].register_forward_hook(lambda m, args, out: activations.__setitem__("relu", out))
    net(minigrad.randn(5, 3)).sum().backward()
    assert activations["relu"].shape == (5, 4) and (activations["relu"].numpy() >= 0).all()
    assert net[0].weight.grad is not None
    with pytest.raises(TypeError, match="a forward hook must be callable, got int"):
        net.register_forward_hook(3)


def test_inplace_flags_default_to_false_and_true_writes_into_the_input():
    x = minigrad.tensor([-1.0, 2.0])
    np.testing.assert_array_equal(nn.ReLU(inplace=False)(x).numpy(), [0.0, 2.0])
    np.testing.assert_array_equal(F.relu(x, inplace=False).numpy(), [0.0, 2.0])
    np.testing.assert_array_equal(x.numpy(), [-1.0, 2.0])
    assert repr(nn.ReLU()) == "ReLU()" and repr(nn.ReLU(inplace=True)) == "ReLU(inplace=True)"
    for make in (lambda t: nn.ReLU(inplace=True)(t), lambda t: F.relu(t, inplace=True)):
        t = minigrad.tensor([-1.0, 2.0])
        assert make(t) is t and t.tolist() == [0.0, 2.0] and t._version == 1
    minigrad.manual_seed(0)
    expected = F.dropout(minigrad.ones(8), 0.5)
    for make in (lambda t: nn.Dropout(0.5, True)(t), lambda t: F.dropout(t, 0.5, inplace=True)):
        minigrad.manual_seed(0)
        t = minigrad.ones(8)
        assert make(t) is t and t.tolist() == expected.tolist()
    t = minigrad.ones(3)
    assert F.dropout(t, 0.5, training=False, inplace=True) is t and t.tolist() == [1.0, 1.0, 1.0]


@pytest.mark.parametrize("name, make", [
    ("relu_", lambda t: F.relu(t, inplace=True)), ("relu_", lambda t: nn.ReLU(inplace=True)(t)),
    (r"dropout\(inplace=True\)", lambda t: F.dropout(t, 0.5, inplace=True)),
    (r"dropout\(inplace=True\)", lambda t: nn.Dropout(0.5, True)(t))])
def test_an_inplace_layer_on_a_leaf_that_requires_grad_names_itself(name, make):
    """RuntimeError as PyTorch's, the message naming the layer and the way out."""
    t = minigrad.ones(3, requires_grad=True)
    with pytest.raises(RuntimeError, match=rf"^{name}: a leaf tensor that requires grad cannot be "
                                           r"changed in place .*minigrad.no_grad\(\)"):
        make(t)
    assert t.tolist() == [1.0, 1.0, 1.0] and t._version == 0
