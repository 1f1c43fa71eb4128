"""LeNet and the seed chapter's two LeNet-BN networks: per-layer shapes, parameter counts, BatchNorm edge cases."""
import numpy as np
import pytest

import minigrad
from minigrad import nn
from models import MODELS, lenet, lenet_bn, lenet_bn_scratch

# The seed chapter's printed output for X of shape (1, 1, 28, 28)
SEED_SHAPES = [
    ("Conv2d", (1, 6, 24, 24)),
    ("BatchNorm", (1, 6, 24, 24)),
    ("Sigmoid", (1, 6, 24, 24)),
    ("AvgPool2d", (1, 6, 12, 12)),
    ("Conv2d", (1, 16, 8, 8)),
    ("BatchNorm", (1, 16, 8, 8)),
    ("Sigmoid", (1, 16, 8, 8)),
    ("AvgPool2d", (1, 16, 4, 4)),
    ("Flatten", (1, 256)),
    ("Linear", (1, 120)),
    ("BatchNorm", (1, 120)),
    ("Sigmoid", (1, 120)),
    ("Linear", (1, 84)),
    ("BatchNorm", (1, 84)),
    ("Sigmoid", (1, 84)),
    ("Linear", (1, 10)),
]


def image(n=1, seed=0):
    return minigrad.tensor(np.random.default_rng(seed).random((n, 1, 28, 28)).astype(np.float32))


def test_seed_shape_printing_loop(capsys):
    minigrad.manual_seed(0)
    net = lenet_bn_scratch()
    assert net.training and minigrad.is_grad_enabled()  # as the seed runs it: train mode, grad enabled
    X = image()
    seen = []
    with pytest.warns(UserWarning, match="one value per channel"):  # the (1, 120) and (1, 84) BatchNorm layers
        for layer in net:
            X = layer(X)
            print(layer.__class__.__name__, 'output shape: \t', X.shape)
            seen.append((layer.__class__.__name__, X.shape))
            assert np.all(np.isfinite(X.numpy())), layer.__class__.__name__
    assert seen == SEED_SHAPES
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "Conv2d output shape: \t (1, 6, 24, 24)"
    assert lines[-1] == "Linear output shape: \t (1, 10)"
    assert len(lines) == 16


def test_seed_batchnorm_with_one_example_gives_beta():
    """For the (1, 120) BatchNorm the batch variance is 0, so x_hat = 0 and the output is beta (0 at init)."""
    minigrad.manual_seed(0)
    net = lenet_bn_scratch()
    x = net[:10](image())
    assert type(net[10]).__name__ == "BatchNorm" and x.shape == (1, 120)
    with pytest.warns(UserWarning, match="one value per channel"):  # said once (tests/test_batch_of_one.py)
        y = net[10](x)
    np.testing.assert_array_equal(y.numpy(), np.zeros((1, 120), dtype=np.float32))
    np.testing.assert_allclose(net[10].moving_var.numpy(), np.full((1, 120), 0.9), rtol=1e-6)
    np.testing.assert_allclose(net[10].moving_mean.numpy(), 0.1 * x.numpy(), rtol=1e-5, atol=1e-7)


def test_concise_lenet_bn_shapes():
    minigrad.manual_seed(0)
    net = lenet_bn()
    X = image(2)
    names = []
    for layer in net:
        X = layer(X)
        names.append(layer.__class__.__name__)
    assert X.shape == (2, 10)
    assert names == ["Conv2d", "BatchNorm2d", "Sigmoid", "AvgPool2d", "Conv2d", "BatchNorm2d", "Sigmoid",
                     "AvgPool2d", "Flatten", "Linear", "BatchNorm1d", "Sigmoid", "Linear", "BatchNorm1d",
                     "Sigmoid", "Linear"]


def test_concise_lenet_bn_one_example_raises_in_training_but_not_in_eval():
    minigrad.manual_seed(0)
    net = lenet_bn()
    X = image(1)
    for i, layer in enumerate(net):
        if isinstance(layer, nn.BatchNorm1d):
            with pytest.raises(ValueError, match=r"\(1, 120\)"):
                layer(X)
            assert i == 10
            break
        X = layer(X)  # the BatchNorm2d layers have 24*24 and 8*8 values per channel: fine
    else:
        pytest.fail("no BatchNorm1d layer in lenet_bn")
    net.eval()
    assert net(image(1)).shape == (1, 10)


def test_lenet_shapes():
    net = lenet()
    X = image(3)
    shapes = []
    for layer in net:
        X = layer(X)
        shapes.append(X.shape)
    assert shapes == [(3, 6, 28, 28), (3, 6, 28, 28), (3, 6, 14, 14), (3, 16, 10, 10), (3, 16, 10, 10),
                      (3, 16, 5, 5), (3, 400), (3, 120), (3, 120), (3, 84), (3, 84), (3, 10)]


def conv_params(c_in, c_out, k):
    return c_out * c_in * k * k + c_out


def linear_params(n_in, n_out):
    return n_out * n_in + n_out


def bn_params(c):
    return 2 * c  # gamma and beta (or weight and bias)


BN_LENET_COUNT = (conv_params(1, 6, 5) + bn_params(6) + conv_params(6, 16, 5) + bn_params(16)
                  + linear_params(16 * 4 * 4, 120) + bn_params(120) + linear_params(120, 84) + bn_params(84)
                  + linear_params(84, 10))
LENET_COUNT = (conv_params(1, 6, 5) + conv_params(6, 16, 5) + linear_params(16 * 5 * 5, 120)
               + linear_params(120, 84) + linear_params(84, 10))


@pytest.mark.parametrize("make,expected", [(lenet_bn_scratch, BN_LENET_COUNT), (lenet_bn, BN_LENET_COUNT),
                                           (lenet, LENET_COUNT)])
def test_parameter_counts_match_pytorch(make, expected):
    net = make()
    assert sum(p.numel() for p in net.parameters()) == expected
    assert expected in (44878, 61706)  # the same totals PyTorch reports for these architectures


def test_parameter_and_buffer_names():
    scratch = lenet_bn_scratch()
    names = [n for n, _ in scratch.named_parameters()]
    assert names[:4] == ["0.weight", "0.bias", "1.gamma", "1.beta"]
    assert len(names) == 18
    assert [n for n, _ in scratch.named_buffers()] == [
        f"{i}.{b}" for i in (1, 5, 10, 13) for b in ("moving_mean", "moving_var")]
    assert scratch[1].gamma.shape == (1, 6, 1, 1) and scratch[10].gamma.shape == (1, 120)
    assert scratch[1].gamma.reshape((-1,)).shape == (6,)  # the seed's "net[1].gamma.reshape((-1,))"

    concise = lenet_bn()
    assert [n for n, _ in concise.named_parameters()][:4] == ["0.weight", "0.bias", "1.weight", "1.bias"]
    assert len(list(concise.named_buffers())) == 4 * 3
    assert concise[1].weight.shape == (6,) and concise[10].weight.shape == (120,)


def test_models_registry():
    assert MODELS["lenet-bn-scratch"] is lenet_bn_scratch
    assert MODELS["lenet-bn"] is lenet_bn
    assert MODELS["lenet"] is lenet


@pytest.mark.parametrize("make", [lenet_bn_scratch, lenet_bn])
def test_eval_mode_is_deterministic_per_example(make):
    """In eval mode BatchNorm uses stored statistics: an example's output does not depend on its batch."""
    minigrad.manual_seed(0)
    net = make()
    net(image(8, seed=1))  # one training step updates the running statistics
    net.eval()
    batch = image(4, seed=2)
    full = net(batch).numpy()
    single = net(batch[1:2]).numpy()
    np.testing.assert_allclose(single, full[1:2], rtol=1e-5, atol=1e-6)
    net.train()
    with minigrad.no_grad():
        a = net(batch).numpy()
    if make is lenet_bn_scratch:  # the seed's BatchNorm uses the moving statistics when grad is off
        np.testing.assert_allclose(a, full, rtol=1e-5, atol=1e-6)
    else:  # BatchNorm1d/2d follow module.training: batch statistics
        assert not np.allclose(a, full, rtol=1e-5, atol=1e-6)
