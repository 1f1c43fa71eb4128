"""Recorded writes and copies (issue 26): ``t[key] = v`` and ``copy_`` take a Tensor, a number or an array; a list,
a tuple, None or a string is a TypeError naming its type (as PyTorch's "can't assign a list to a ..."), never values
NumPy guessed (None became NaN); a value of the wrong shape is a RuntimeError naming both shapes, recorded in the
graph or not, never NumPy's ValueError or a stale "in-place change ... not supported". PyTorch 2.13's behaviour
beside each case."""
import numpy as np
import pytest

import minigrad
from minigrad import gradcheck, gradgradcheck


def _plain():
    return minigrad.zeros(2, 3)


def _in_graph():
    return minigrad.zeros(2, 3, requires_grad=True) * 1


BAD_VALUES = [([1.0, 2.0, 3.0], "list"), ((1.0, 2.0, 3.0), "tuple"), (None, "NoneType"), ("a", "str"),
              ((i for i in range(3)), "generator")]


@pytest.mark.parametrize("make", [_plain, _in_graph], ids=["plain", "in_graph"])
@pytest.mark.parametrize("value,kind", BAD_VALUES, ids=[k for _, k in BAD_VALUES])
def test_setitem_refuses_what_is_not_a_tensor_or_a_number(make, value, kind):
    t = make()
    with pytest.raises(TypeError, match=f"can't assign a {kind} to a tensor of dtype float32"):  # PyTorch: TypeError
        t[0] = value
    assert t.detach().tolist() == [[0.0] * 3] * 2  # nothing written


@pytest.mark.parametrize("make", [_plain, _in_graph], ids=["plain", "in_graph"])
@pytest.mark.parametrize("value,kind", BAD_VALUES, ids=[k for _, k in BAD_VALUES])
def test_copy_refuses_what_is_not_a_tensor_or_a_number(make, value, kind):
    with pytest.raises(TypeError, match=f"copy_\\(\\): can't assign a {kind}"):  # PyTorch: TypeError
        make().copy_(value)


@pytest.mark.parametrize("write", [
    lambda t, v: t.__setitem__(0, v),  # PyTorch: RuntimeError "The expanded size of the tensor (3) must match ..."
    lambda t, v: t.copy_(v),  # PyTorch: RuntimeError "The size of tensor a (3) must match the size of tensor b (4)"
], ids=["setitem", "copy_"])
@pytest.mark.parametrize("make", [_plain, _in_graph], ids=["plain", "in_graph"])
@pytest.mark.parametrize("grad", [False, True], ids=["value", "value_requiring_grad"])
def test_a_mis_shaped_value_is_a_runtime_error_naming_both_shapes(write, make, grad):
    if make is _plain and grad:  # a plain tensor with a value that requires grad is recorded too
        t, v = _plain(), minigrad.ones(4, requires_grad=True) * 1
    else:
        t, v = make(), (minigrad.ones(4, requires_grad=True) * 1 if grad else minigrad.ones(4))
    with pytest.raises(RuntimeError,
                       match=r"shape \(4,\) cannot be broadcast to (this tensor's|the) shape \((2, 3|3,)\)") as info:
        write(t, v)
    assert "not supported" not in str(info.value)


def test_numbers_and_arrays_are_still_written():
    t = _plain()
    t[0] = 2  # PyTorch: a number broadcasts
    t[1] = np.array([1.0, 2.0, 3.0])  # minigrad also takes an array (PyTorch wants a Tensor: docs/pytorch.md)
    assert t.tolist() == [[2.0] * 3, [1.0, 2.0, 3.0]]
    assert _plain().copy_(np.ones(3)).tolist() == [[1.0] * 3] * 2


def test_copy_of_a_number_into_a_tensor_in_the_graph_is_recorded():
    x = minigrad.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = (x * 2).copy_(5.0)  # PyTorch: [5., 5., 5.] with a grad_fn; nothing flows back to x
    assert y.tolist() == [5.0] * 3 and y.requires_grad
    (y * minigrad.tensor([1.0, 2.0, 3.0])).sum().backward()
    assert x.grad.tolist() == [0.0] * 3


def test_recorded_copy_gradcheck():
    x = minigrad.tensor(np.random.default_rng(0).standard_normal((2, 3)), requires_grad=True)
    v = minigrad.tensor(np.random.default_rng(1).standard_normal(3), requires_grad=True)

    def copied(a, b):
        return (a * 1).copy_(b)
    assert gradcheck(copied, (x, v)) and gradgradcheck(copied, (x, v))


def test_copy_of_a_wider_source_names_both_shapes():
    with pytest.raises(RuntimeError, match=r"shape \(2, 2, 3\) cannot be broadcast to this tensor's shape \(2, 3\)"):
        _plain().copy_(minigrad.ones(2, 2, 3))  # PyTorch: RuntimeError too
