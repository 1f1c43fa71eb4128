"""The graph keeps what backward reads, not the tensors it went through: a recorded op keeps its inputs' nodes
(their grad_fn, or the leaf), and the input tensors only when its derivatives read them, as PyTorch's nodes. A
tensor the user drops is freed, array and all, while backward, its hooks, ``retain_grad`` and higher derivatives
through the ops that consumed it still give PyTorch's results. References are NumPy."""
import gc
import weakref

import numpy as np
import pytest

import minigrad
from minigrad import nn
from minigrad.gradcheck import gradgradcheck


def t64(values, requires_grad=False):
    return minigrad.tensor(np.asarray(values, dtype=np.float64), requires_grad=requires_grad)


def memory_of(t):
    """A weak reference to the array that owns ``t``'s memory (the end of its chain of views)."""
    a = t.array
    while a.base is not None:
        a = a.base
    return weakref.ref(a)


def bn_relu_grads(drop):
    """(x.grad, gamma.grad, whether the BatchNorm output's memory was freed) after relu(bn(x)).backward()."""
    minigrad.manual_seed(0)
    bn = nn.BatchNorm2d(3).double()
    x = minigrad.randn(4, 3, 5, 5, dtype=minigrad.float64, requires_grad=True)
    y = bn(x)
    memory = memory_of(y)
    z = y.relu()
    if drop:
        del y
        gc.collect()
    freed = memory() is None
    (z * z).sum().backward()
    return x.grad.numpy(), bn.weight.grad.numpy(), freed


def test_a_dropped_batchnorm_output_is_freed_before_backward_and_the_gradients_do_not_change():
    gx, gg, freed = bn_relu_grads(drop=True)
    gx_kept, gg_kept, freed_kept = bn_relu_grads(drop=False)
    assert freed and not freed_kept  # relu's node keeps its own output, not its input
    np.testing.assert_array_equal(gx, gx_kept)
    np.testing.assert_array_equal(gg, gg_kept)


KEEP_NO_INPUT = {  # an op whose derivatives read no input, and d(sum of its result)/dh at h = 3 * x below
    "add": (lambda h: h + 1, [[1, 1], [1, 1]]),
    "sub": (lambda h: 1 - h, [[-1, -1], [-1, -1]]),
    "relu": (lambda h: h.relu(), [[1, 0], [1, 1]]),
    "reshape": (lambda h: h.reshape(4), [[1, 1], [1, 1]]),
    "cat": (lambda h: minigrad.cat([h, h]), [[2, 2], [2, 2]]),
    "maximum": (lambda h: minigrad.maximum(h, t64([[0.0, 0.0], [10.0, 0.0]])), [[1, 0], [0, 1]]),
    "where": (lambda h: minigrad.where(minigrad.tensor([[True, False], [False, True]]), h, 0.0), [[1, 0], [0, 1]]),
    "sum": (lambda h: h.sum(0), [[1, 1], [1, 1]]),
}


@pytest.mark.parametrize("name", sorted(KEEP_NO_INPUT))
def test_ops_whose_derivatives_read_no_input_do_not_keep_it(name):
    op, dh = KEEP_NO_INPUT[name]
    x = t64([[1.0, -2.0], [3.0, 0.5]], True)
    h = x * 3
    ref = weakref.ref(h)
    y = op(h)
    del h
    gc.collect()
    assert ref() is None
    y.sum().backward()
    assert x.grad.tolist() == (3 * np.array(dh)).tolist()


def test_a_hook_on_a_dropped_tensor_still_fires_and_changes_the_gradient():
    x = t64([1.0, -2.0, 3.0], True)
    y = x * 2
    seen = []
    y.register_hook(lambda g: seen.append(g.tolist()) or g * 3)
    ref = weakref.ref(y)
    z = (y + 1).sum()
    del y
    gc.collect()
    assert ref() is None
    z.backward()
    assert seen == [[1.0, 1.0, 1.0]] and x.grad.tolist() == [6.0, 6.0, 6.0]


def test_retain_grad_on_a_dropped_tensor_is_harmless_and_does_not_keep_it():
    x = t64([1.0, -2.0, 3.0], True)
    y = x * 2
    y.retain_grad()
    kept = x * 5
    kept.retain_grad()
    ref = weakref.ref(y)
    z = ((y + 1) * kept).sum()
    del y
    gc.collect()
    assert ref() is None
    z.backward()
    assert x.grad.tolist() == [25.0, -35.0, 65.0] and kept.grad.tolist() == [3.0, -3.0, 7.0]


def test_hooks_stay_with_the_old_value_and_retain_grad_follows_the_tensor_through_an_in_place_change():
    x = t64([1.0, -2.0, 3.0], True)
    y = x * 2
    seen = []
    y.register_hook(lambda g: seen.append(g.tolist()))
    y.retain_grad()
    y.mul_(4)
    (y * t64([1.0, 2.0, 3.0])).sum().backward()
    assert seen == [[4.0, 8.0, 12.0]]  # the gradient of the value before mul_, as PyTorch's
    assert y.grad.tolist() == [1.0, 2.0, 3.0]  # of the value after it
    assert x.grad.tolist() == [8.0, 16.0, 24.0]


SECOND_DERIVATIVES = {  # op, its second derivative, inputs where both are finite
    "sigmoid": (minigrad.sigmoid, lambda x: (s := 1 / (1 + np.exp(-x))) * (1 - s) * (1 - 2 * s), [-1.5, 0.3, 2.0]),
    "tanh": (minigrad.tanh, lambda x: -2 * np.tanh(x) * (1 - np.tanh(x) ** 2), [-1.5, 0.3, 2.0]),
    "exp": (minigrad.exp, np.exp, [-1.5, 0.3, 2.0]),
    "sqrt": (minigrad.sqrt, lambda x: -0.25 * x ** -1.5, [0.5, 1.3, 2.0]),
}


@pytest.mark.parametrize("name", sorted(SECOND_DERIVATIVES))
def test_create_graph_through_an_op_whose_output_was_dropped(name):
    op, second, values = SECOND_DERIVATIVES[name]
    x = t64(values, True)
    h = op(x)
    ref = weakref.ref(h)
    y = h + 0.5  # add keeps no input: nothing holds h but its own node's saved result
    del h
    gc.collect()
    assert ref() is None
    (g,) = minigrad.autograd.grad(y.sum(), x, create_graph=True)
    (gg,) = minigrad.autograd.grad(g.sum(), x)
    np.testing.assert_allclose(gg.numpy(), second(np.asarray(values)), rtol=1e-13)
    assert gradgradcheck(lambda t: op(t) + 0.5, [t64(values, True)])


def test_std_of_a_constant_row_differentiated_twice_after_its_sqrt_output_was_dropped():
    x = t64([[1.0, 1.0, 1.0], [1.0, 2.0, 4.0]], True)
    y = x.std(1) + 0  # std's sqrt output is dropped; its graph derivative uses its saved result
    (g,) = minigrad.autograd.grad(y.sum(), x, create_graph=True)
    (gg,) = minigrad.autograd.grad((g * g).sum(), x)
    assert g[0].tolist() == [0.0, 0.0, 0.0] and gg[0].tolist() == [0.0, 0.0, 0.0]  # PyTorch's 0 at a zero std
    assert gradgradcheck(lambda t: t.std(1) + 0, [t64([[1.0, 1.5, 4.0], [1.0, 2.0, 4.0]], True)])


def test_backward_twice_through_a_freed_graph_still_raises():
    x = t64([1.0, 2.0], True)
    z = (x.sigmoid() + 1).sum()
    z.backward()
    with pytest.raises(RuntimeError, match="backward\\(\\) through a graph that was already freed"):
        z.backward()


def test_a_function_that_keeps_no_inputs_says_so_when_its_backward_reads_them():
    class Twice(minigrad.autograd.Function):
        saves_inputs = False

        def forward(self, x):
            return 2 * x

        def backward(self, gy):
            return 2 * gy + 0 * self.inputs[0].array

    y = Twice()(t64([1.0, 2.0], True))
    with pytest.raises(AttributeError, match="Twice.inputs: this op keeps no input tensors .*saves_inputs = True"):
        y.sum().backward()
