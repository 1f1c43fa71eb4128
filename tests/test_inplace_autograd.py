"""In-place ops on tensors that are part of a graph (or with a value that requires grad), recorded as PyTorch
records them: values, gradients (float64 gradcheck/gradgradcheck with random upstream gradients), the
version-counter errors PyTorch raises, the refusals minigrad keeps, and ``inplace=True``. References are NumPy."""
import numpy as np
import pytest

import minigrad
from minigrad import nn
from minigrad.gradcheck import gradcheck, gradgradcheck
from minigrad.nn import functional as F


def t64(values, requires_grad=False):
    return minigrad.tensor(np.asarray(values, dtype=np.float64), requires_grad=requires_grad)


def rand64(seed, *shape, low=0.5, high=1.5, signs=True):
    """float64 values with |v| in [low, high) (away from the kinks of relu, abs, clamp at +-0.25), random signs."""
    rng = np.random.default_rng(seed)
    v = rng.uniform(low, high, shape)
    return v * rng.choice([-1.0, 1.0], shape) if signs else v


# -- values and gradients against NumPy ------------------------------------------------------------------------

def test_residual_add_in_place_then_relu_in_place():
    x_np, w_np, u = rand64(0, 2, 3), rand64(1, 2, 3), rand64(2, 2, 3)
    x, w = t64(x_np, True), t64(w_np, True)
    out = x * w
    out += x  # the residual connection of a ResNet block, then nn.ReLU(inplace=True)
    assert nn.ReLU(inplace=True)(out) is out and out.grad_fn is not None
    pre = x_np * w_np + x_np
    np.testing.assert_allclose(out.numpy(), np.maximum(pre, 0), rtol=1e-12)
    (out * t64(u)).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), u * (pre > 0) * (w_np + 1), rtol=1e-12)
    np.testing.assert_allclose(w.grad.numpy(), u * (pre > 0) * x_np, rtol=1e-12)


def test_mul_in_place_by_a_value_that_requires_grad_reads_the_old_value():
    x_np, w_np, u = rand64(3, 4), rand64(4, 4), rand64(5, 4)
    x, w = t64(x_np, True), t64(w_np, True)
    y = x.exp()
    y = y + 0  # exp's backward reads its output: change a copy
    y.mul_(w)
    y.add_(w, alpha=-2)
    (y * t64(u)).sum().backward()
    np.testing.assert_allclose(y.numpy(), np.exp(x_np) * w_np - 2 * w_np, rtol=1e-12)
    np.testing.assert_allclose(x.grad.numpy(), u * np.exp(x_np) * w_np, rtol=1e-12)  # the old y, not y * w
    np.testing.assert_allclose(w.grad.numpy(), u * (np.exp(x_np) - 2), rtol=1e-12)


def test_a_chain_of_in_place_ops_and_a_plain_tensor_that_receives_a_value_requiring_grad():
    x_np, u = rand64(6, 5), rand64(7, 5)
    x = t64(x_np, True)
    y = x * 3
    assert y.relu_().mul_(2).sub_(1).tanh_() is y and y._version == 4
    ref = np.tanh(2 * np.maximum(3 * x_np, 0) - 1)
    np.testing.assert_allclose(y.numpy(), ref, rtol=1e-12)
    (y * t64(u)).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), u * (1 - ref ** 2) * 2 * 3 * (x_np > 0), rtol=1e-12)
    w = t64([1.0, 2.0, 3.0], True)
    z = minigrad.zeros(3, dtype=minigrad.float64)
    z.add_(w)
    z.mul_(w)  # z = w * w
    assert z.requires_grad and not z.is_leaf and z.tolist() == [1.0, 4.0, 9.0]
    z.sum().backward()
    assert w.grad.tolist() == [2.0, 4.0, 6.0]


def test_the_value_may_be_the_tensor_itself():
    x = t64([1.0, -2.0, 3.0], True)
    y = x * 2
    y.mul_(y)  # (2x)^2; PyTorch's backward raises here, minigrad's op kept the old value
    y += y  # 2 (2x)^2
    y.sum().backward()
    assert y.tolist() == [8.0, 32.0, 72.0] and x.grad.tolist() == [16.0, -32.0, 48.0]


def test_aliases_see_the_change_and_the_dtype_is_kept():
    x = t64([1.0, -1.0], True)
    y = x * 2
    alias = y.detach()
    y.add_(1)
    assert alias.tolist() == [3.0, -1.0] and alias._version == 1 and not alias.requires_grad
    w = t64([0.5, 0.25], True)
    h = minigrad.zeros(2)  # float32 += float64 that requires grad: the result is cast to float32, as PyTorch
    h += w
    assert h.dtype == minigrad.float32 and h.tolist() == [0.5, 0.25]
    (h * minigrad.tensor([2.0, 3.0])).sum().backward()
    assert w.grad.dtype == minigrad.float64 and w.grad.tolist() == [2.0, 3.0]


def test_hooks_registered_before_the_change_see_the_old_values_gradient_retain_grad_the_new():
    x = t64([1.0, -2.0, 3.0], True)
    seen = []
    y = x * 2
    y.register_hook(lambda g: seen.append(g.tolist()))
    y.retain_grad()
    y.mul_(3)
    later = y.register_hook(lambda g: seen.append(("new", g.tolist())))
    (y * t64([1.0, 2.0, 3.0])).sum().backward()
    assert seen == [("new", [1.0, 2.0, 3.0]), [3.0, 6.0, 9.0]]  # PyTorch's: the hook follows the old value
    assert y.grad.tolist() == [1.0, 2.0, 3.0] and x.grad.tolist() == [6.0, 12.0, 18.0]
    later.remove()


def test_fill_and_zero_in_a_graph():
    x, v = t64([1.0, 2.0, 3.0], True), t64(2.5, True)
    y = x * 2
    y[0:1].sum()  # a view read before the change would be refused: use a fresh one below
    z = x * 2
    assert z.fill_(v) is z and z.tolist() == [2.5, 2.5, 2.5]
    (z * t64([1.0, 2.0, 4.0])).sum().backward()
    assert v.grad.item() == 7.0 and x.grad.tolist() == [0.0, 0.0, 0.0]
    x.grad = None
    z = x * 2
    z.zero_()
    (z + x).sum().backward()
    assert z.tolist() == [0.0, 0.0, 0.0] and x.grad.tolist() == [1.0, 1.0, 1.0]


def test_under_no_grad_an_in_place_change_is_not_recorded():
    x = t64([1.0, 2.0], True)
    y = x * 2
    fn = y.grad_fn
    with minigrad.no_grad():
        y.add_(1)
    assert y.grad_fn is fn and y.tolist() == [3.0, 5.0] and y._version == 1
    y.sum().backward()  # Mul's backward reads x and 2, not its output
    assert x.grad.tolist() == [2.0, 2.0]


# -- float64 gradcheck and gradgradcheck through each recorded in-place op -----------------------------------

MASK = minigrad.tensor([True, False, True, False])
INDEX = minigrad.tensor([[0, 2], [3, 3]])  # repeated: scatter_add_ accumulates
UNIQUE_INDEX = minigrad.tensor([[0, 2], [3, 1]])  # scatter_ with a repeated index keeps one write, unspecified

IN_PLACE = {  # name: (change y in place using w (shape (2, 4)) and s (0-d); y's values: |y| in [0.5, 1.5))
    "add_": lambda y, w, s: y.add_(w),
    "sub_alpha": lambda y, w, s: y.sub_(w, alpha=2.0),
    "iadd_scalar_tensor": lambda y, w, s: y.__iadd__(s),
    "mul_": lambda y, w, s: y.mul_(w),
    "imul_number": lambda y, w, s: y.__imul__(3.0),
    "div_": lambda y, w, s: y.div_(w),
    "pow_number": lambda y, w, s: y.abs_().pow_(2.5),
    "pow_tensor": lambda y, w, s: y.abs_().pow_(w),
    "exp_": lambda y, w, s: y.exp_(),
    "log_": lambda y, w, s: y.abs_().log_(),
    "log1p_": lambda y, w, s: y.abs_().log1p_(),
    "sqrt_": lambda y, w, s: y.abs_().sqrt_(),
    "rsqrt_": lambda y, w, s: y.abs_().rsqrt_(),
    "neg_": lambda y, w, s: y.neg_(),
    "square_": lambda y, w, s: y.square_(),
    "reciprocal_": lambda y, w, s: y.reciprocal_(),
    "sigmoid_": lambda y, w, s: y.sigmoid_(),
    "tanh_": lambda y, w, s: y.tanh_(),
    "relu_": lambda y, w, s: y.relu_(),
    "clamp_": lambda y, w, s: y.clamp_(-1.0, 0.25),
    "masked_fill_": lambda y, w, s: y.masked_fill_(MASK, s),
    "scatter_": lambda y, w, s: y.scatter_(1, UNIQUE_INDEX, w),
    "scatter_add_": lambda y, w, s: y.scatter_add_(1, INDEX, w),
    "setitem": lambda y, w, s: (y.__setitem__((0, slice(1, 3)), w[1, :2]), y)[1],
    "copy_": lambda y, w, s: y.copy_(w),
    "leaky_relu": lambda y, w, s: F.leaky_relu(y, 0.1, inplace=True),
    "elu": lambda y, w, s: nn.ELU(0.7, inplace=True)(y),
    "silu": lambda y, w, s: F.silu(y, inplace=True),
    "relu6": lambda y, w, s: F.relu6(y * 4, inplace=True),
}


@pytest.mark.parametrize("name", IN_PLACE, ids=str)
def test_gradcheck_and_gradgradcheck_through_an_in_place_op(name):
    change = IN_PLACE[name]

    def f(x, w, s):
        y = x * 1.0  # a non-leaf in the graph
        out = change(y, w, s)
        return out * w + y  # both uses after the change see the new values

    inputs = (t64(rand64(8, 2, 4), True), t64(rand64(9, 2, 4), True), t64(0.75, True))
    assert gradcheck(f, inputs, seed=1)
    assert gradgradcheck(f, inputs, seed=2)


def test_in_place_values_match_the_out_of_place_ops():
    x, w, s = t64(rand64(10, 2, 4)), t64(rand64(11, 2, 4)), t64(0.75)
    for name, change in IN_PLACE.items():
        y = x * 1.0
        out = change(y, w, s)
        assert out is y or name == "relu6", name  # relu6's input is y * 4
    y = x.abs() * 1.0
    np.testing.assert_allclose(y.pow_(2.5).numpy(), np.abs(x.numpy()) ** 2.5, rtol=1e-12)
    y = x * 1.0
    np.testing.assert_allclose(F.leaky_relu(y, 0.1, inplace=True).numpy(),
                               np.where(x.numpy() > 0, x.numpy(), 0.1 * x.numpy()), rtol=1e-12)
    np.testing.assert_allclose(y.numpy(), np.where(x.numpy() > 0, x.numpy(), 0.1 * x.numpy()), rtol=1e-12)


# -- inplace=True -----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("layer, reference", [
    (nn.ReLU(inplace=True), lambda a: np.maximum(a, 0)),
    (nn.LeakyReLU(0.2, inplace=True), lambda a: np.where(a > 0, a, 0.2 * a)),
    (nn.ELU(1.0, inplace=True), lambda a: np.where(a > 0, a, np.expm1(np.minimum(a, 0)))),
    (nn.SiLU(inplace=True), lambda a: a / (1 + np.exp(-a))),
    (nn.ReLU6(inplace=True), lambda a: np.clip(a, 0, 6)),
], ids=lambda v: type(v).__name__ if isinstance(v, nn.Module) else "")
def test_inplace_layers_write_into_their_input(layer, reference):
    a = rand64(12, 3, 4) * 4
    x = t64(a)
    memory = x.array
    assert layer(x) is x and x.array is memory and x._version == 1
    np.testing.assert_allclose(memory, reference(a), rtol=1e-12)
    assert "inplace=True" in repr(layer)
    w, u = t64(a, True), t64(rand64(13, 3, 4))
    layer.inplace = False
    z = w * 1.0
    (layer(z) * u).sum().backward()
    out_of_place_grad, w.grad = w.grad.numpy(), None
    assert z.tolist() == a.tolist()
    layer.inplace = True
    y = w * 1.0
    assert layer(y) is y and y.grad_fn is not None
    (y * u).sum().backward()
    np.testing.assert_allclose(w.grad.numpy(), out_of_place_grad, rtol=1e-12)


def test_inplace_dropout_writes_its_mask_into_the_input():
    minigrad.manual_seed(3)
    expected = F.dropout(minigrad.ones(2, 8, dtype=minigrad.float64), 0.25)
    minigrad.manual_seed(3)
    w = t64(np.ones((2, 8)), True)
    y = w * 1.0
    assert nn.Dropout(0.25, inplace=True)(y) is y and y.tolist() == expected.tolist()
    y.sum().backward()
    assert w.grad.tolist() == expected.tolist()  # gradient: the same mask, scaled by 1 / (1 - p)


# -- what PyTorch raises at backward, and what minigrad refuses ---------------------------------------------------

def test_a_value_saved_for_backward_changed_in_place_raises_at_backward_as_in_pytorch():
    x = t64([0.5, 1.0], True)
    y = x.exp()  # exp's backward reads its output
    y += 1
    with pytest.raises(RuntimeError, match="modified by an inplace operation: the output of ExpBackward"):
        y.sum().backward()
    y = x.sigmoid()
    y.mul_(2)
    with pytest.raises(RuntimeError, match="modified by an inplace operation: the output of SigmoidBackward"):
        y.sum().backward()
    y = x * 2
    y.mul_(y.detach())  # mul_ saved the detached alias, which the change itself then overwrote
    with pytest.raises(RuntimeError, match=r"modified by an inplace operation: input 1 of MulBackward"):
        y.sum().backward()


def test_ops_that_used_the_tensor_before_the_change_keep_its_old_graph_position():
    x_np, c = np.array([1.0, -2.0, 3.0]), np.array([1.0, 2.0, 3.0])
    x = t64(x_np, True)
    y = x * 2
    z = y + 3  # add does not save y: its backward still works after the change, as PyTorch's
    y.mul_(5)
    w = y.relu()
    y.relu_()
    y -= 1
    q = y.sum() * 2
    y += x
    (z.sum() * 3 + (w * t64(c)).sum() + (y * y).sum() + q).backward()
    y_np = np.maximum(10 * x_np, 0) - 1 + x_np
    np.testing.assert_allclose(y.numpy(), y_np, rtol=1e-12)
    expected = 6 + c * 10 * (x_np > 0) + 2 * y_np * (10 * (x_np > 0) + 1) + 20 * (x_np > 0)
    np.testing.assert_allclose(x.grad.numpy(), expected, rtol=1e-12)


def test_ops_that_used_a_tensor_before_detach_in_place_keep_its_graph_position():
    x = t64([1.0, -2.0, 3.0], True)
    y = x * 2
    z = y + 1
    assert y.detach_() is y and not y.requires_grad and y.grad_fn is None
    w = y * x  # y is now a constant
    (z.sum() + w.sum()).backward()
    assert x.grad.tolist() == [2.0 + 2.0, 2.0 - 4.0, 2.0 + 6.0]  # PyTorch's: z still reaches x


def test_an_op_that_saved_the_tensor_before_the_change_raises_at_backward_as_in_pytorch():
    x = t64([1.0, -2.0, 3.0], True)
    y = x * 2
    z = y * y  # mul saves y
    y += 1
    assert y.tolist() == [3.0, -3.0, 7.0] and y._version == 1
    with pytest.raises(RuntimeError, match=r"modified by an inplace operation: input 0 of MulBackward .* is at "
                                           r"version 1; expected version 0"):
        z.sum().backward()


def test_differentiating_again_through_an_op_whose_input_changed_later_works_as_in_pytorch():
    x = t64([1.0, 2.0], True)
    y = x * 2
    z = (y + 1).sum()
    y += 1
    assert minigrad.autograd.grad(z, x, retain_graph=True)[0].tolist() == [2.0, 2.0]  # first order: fine
    (g,) = minigrad.autograd.grad(z, x, create_graph=True)  # add saved nothing: its graph derivative reads no input
    assert g.tolist() == [2.0, 2.0]


def test_refused_for_views_and_leaves():
    x = t64([1.0, -2.0, 3.0], True)
    message = "an in-place change recorded in the graph of a view, or of a tensor a view was taken of"
    y = x * 2
    row = y[1:]  # a view of y
    with pytest.raises(RuntimeError, match="relu_: " + message):
        y.relu_()
    with pytest.raises(RuntimeError, match=r"leaky_relu\(inplace=True\): " + message):
        F.leaky_relu(row, inplace=True)
    assert y.tolist() == [2.0, -4.0, 6.0] and row.tolist() == [-4.0, 6.0]
    with pytest.raises(RuntimeError, match="normal_: in-place change of a tensor that is part of a graph"):
        (x * 2).normal_()  # PyTorch records it with a zero gradient; minigrad refuses
    with pytest.raises(RuntimeError, match="mul_: a leaf tensor that requires grad cannot be changed in place"):
        x.mul_(t64([1.0, 1.0, 1.0], True))
    with pytest.raises(RuntimeError, match=r"add_: result of shape \(2, 3\) and type float64 can't be cast to the "
                                           r"desired output of shape \(3,\)"):
        (x * 2).add_(t64(np.ones((2, 3)), True))
    with pytest.raises(RuntimeError, match="result of shape .* and type float64 can't be cast .* type int64"):
        minigrad.tensor([1, 2, 3]).add_(t64([1.0, 1.0, 1.0], True))
