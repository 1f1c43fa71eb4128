"""The chapter's own BatchNorm (nn.BatchNorm, F.d2l_batch_norm) on a training batch with one value per channel:
it outputs beta and passes no gradient, as the book's code does, and says so once. PyTorch's layers refuse such a
batch (torch.nn.BatchNorm1d(3)(torch.randn(1, 3)) raises ValueError: Expected more than 1 value per channel when
training); minigrad's BatchNorm1d/2d do too (tests/test_layers.py)."""
import warnings

import numpy as np
import pytest

import minigrad
from minigrad import nn
from minigrad.nn import functional as F

REASON = "has one value per channel, which normalises to 0: the output is beta and no gradient reaches X or gamma"


@pytest.mark.parametrize("num_dims,shape", [(2, (1, 3)), (4, (1, 3, 1, 1))])
def test_a_batch_of_one_warns_outputs_beta_and_passes_no_gradient(num_dims, shape):
    bn = nn.BatchNorm(3, num_dims=num_dims)
    bn.beta.array[...] = np.arange(3).reshape(bn.beta.shape)
    x = minigrad.tensor(np.random.default_rng(0).standard_normal(shape), requires_grad=True)
    with pytest.warns(UserWarning, match=REASON):
        y = bn(x)
    np.testing.assert_allclose(y.numpy().reshape(3), [0.0, 1.0, 2.0], atol=1e-12)
    (y * minigrad.tensor(np.random.default_rng(1).standard_normal(shape))).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 0, atol=1e-12)
    np.testing.assert_allclose(bn.gamma.grad.numpy(), 0, atol=1e-12)


@pytest.mark.parametrize("shape,train", [((2, 3), True), ((1, 3, 2, 1), True), ((1, 3), False), ((0, 3), True)])
def test_no_warning_with_more_than_one_value_per_channel_in_eval_mode_or_for_an_empty_batch(shape, train):
    bn = nn.BatchNorm(3, num_dims=len(shape))
    bn.train(train)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        bn(minigrad.tensor(np.ones(shape)))


def test_warned_once_per_process_under_pythons_default_filter():
    layers = [nn.BatchNorm(3, num_dims=2), nn.BatchNorm(3, num_dims=2)]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("default")
        for _ in range(3):
            for bn in layers:
                bn(minigrad.ones(1, 3))
    assert [str(w.message).split(":")[0] for w in caught] == ["d2l_batch_norm"]
    assert "shape (1, 3)" in str(caught[0].message) and caught[0].category is UserWarning


def test_the_function_warns_at_its_callers_line():
    gamma, beta = minigrad.ones(1, 2), minigrad.zeros(1, 2)
    with pytest.warns(UserWarning, match=REASON) as caught:
        F.d2l_batch_norm(minigrad.ones(1, 2), gamma, beta, minigrad.zeros(1, 2), minigrad.ones(1, 2), training=True)
    assert caught[0].filename == __file__
