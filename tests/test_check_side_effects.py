"""Checks leave no trace: gradcheck and gradgradcheck change no tensor's .grad (PyTorch's use autograd.grad, so
lin.weight.grad and x.grad stay None after torch.autograd.gradcheck(lambda x: lin(x), (x,)) in PyTorch 2.13), and
autograd.grad refuses empty inputs, an exhausted generator among them, as PyTorch does."""
import re

import numpy as np
import pytest

import minigrad
from minigrad import autograd, nn, optim
from minigrad.gradcheck import gradcheck, gradgradcheck


def linear_and_input():
    minigrad.manual_seed(0)
    lin = nn.Linear(3, 2)
    for p in lin.parameters():
        p.array = p.array.astype(np.float64)
    x = minigrad.tensor(np.random.default_rng(0).standard_normal((4, 3)), requires_grad=True)
    return lin, x


@pytest.mark.parametrize("check", [gradcheck, gradgradcheck])
def test_a_check_leaves_the_grad_of_closed_over_parameters_and_of_inputs_as_it_was(check):
    lin, x = linear_and_input()
    assert check(lambda x: lin(x).tanh(), (x,))
    assert lin.weight.grad is None and lin.bias.grad is None and x.grad is None
    # .grad that was there stays, the same tensor with the same values
    kept = minigrad.tensor(np.full((2,), 7.0))
    lin.bias.grad, x.grad = kept, minigrad.tensor(np.ones((4, 3)))
    assert check(lambda x: lin(x).tanh(), (x,))
    assert lin.bias.grad is kept and kept.tolist() == [7.0, 7.0] and lin.weight.grad is None
    np.testing.assert_array_equal(x.grad.numpy(), np.ones((4, 3)))


def test_an_optimiser_step_after_a_check_moves_nothing():
    """Before: the check's backward filled lin.weight.grad, and the next step used it."""
    lin, x = linear_and_input()
    opt = optim.SGD(lin.parameters(), lr=1.0)
    before = [p.numpy().copy() for p in lin.parameters()]
    assert gradcheck(lambda x: (lin(x) ** 2).sum(), (x,))
    opt.step()
    for p, b in zip(lin.parameters(), before):
        np.testing.assert_array_equal(p.numpy(), b)


def test_a_check_still_finds_a_wrong_gradient():
    def doubled_gradient(x):  # a hook that doubles the gradient: the analytic one is twice the numerical one
        y = x * x
        y.register_hook(lambda g: g * 2)
        return y

    x = minigrad.tensor(np.array([1.0, 2.0]), requires_grad=True)
    assert gradcheck(lambda x: x * x, (x,))
    assert not gradcheck(doubled_gradient, (x,), raise_exception=False)
    assert x.grad is None


EMPTY = "`inputs` argument to `grad()` cannot be empty."


def test_grad_refuses_empty_inputs_and_an_exhausted_generator_as_pytorch():
    lin, x = linear_and_input()
    y = lin(x).sum()
    params = lin.parameters()
    assert len(autograd.grad(y, params, retain_graph=True)) == 2  # a live generator: its tensors
    with pytest.raises(RuntimeError, match=re.escape(EMPTY) + ".*pass list\\(model.parameters\\(\\)\\)"):
        autograd.grad(y, params, retain_graph=True)  # the same generator, now exhausted
    for empty in ((), []):
        with pytest.raises(RuntimeError, match=re.escape(EMPTY)):
            autograd.grad(y, empty, retain_graph=True)
