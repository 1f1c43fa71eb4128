"""Parity idioms: In-place ops, views and .data: shared memory, version counters, in-place changes recorded in a
graph (PyTorch's CopySlices)."""
import numpy as np

from .common import A, T, setw
from .compare import Idioms, test_idiom  # noqa: F401  (test_idiom runs once per idiom of this module)

idioms = Idioms()
one, case = idioms.one, idioms.case


@case
def add_inplace(torch):
    x = T(torch, 3)
    x.add_(1)
    x += 2
    x.mul_(2)
    x.sub_(torch.ones(3), alpha=2)
    x.add_(torch.ones(3), alpha=0.5)
    return x


@case
def zero_fill_copy(torch):
    x, y = T(torch, 3), T(torch, 3, seed=1)
    a = x.clone().zero_()
    b = x.clone().fill_(3)
    return a, b, x.copy_(y)


@case
def inplace_returns_self(torch):
    x = T(torch, 3)
    return x.add_(1) is x, x.zero_() is x


@case
def view_shares_memory(torch):
    x = T(torch, 3, 4)
    y = x.view(-1)
    y[0] = 100.0
    return x


@case
def transpose_shares_memory(torch):
    x = T(torch, 2, 3)
    x.t()[0, 1] = 9.0
    return x


@case
def data_is_tensor_sharing_memory(torch):
    x = T(torch, 3, grad=True)
    d = x.data
    d.add_(1)
    return type(d).__name__ == "Tensor", d.requires_grad, x


@case
def detach_shares_memory(torch):
    x = T(torch, 3, grad=True)
    d = x.detach()
    d[0] = 5.0
    return d.requires_grad, x


@case
def clone_does_not_share(torch):
    x = T(torch, 3)
    c = x.clone()
    c[0] = 9.0
    return x, c


@case
def clone_is_differentiable(torch):
    x = T(torch, 3, grad=True)
    (x.clone() * 2).sum().backward()
    return x.grad


@case
def inplace_on_leaf_requiring_grad_raises(torch):
    x = T(torch, 3, grad=True)
    x.add_(1)
    return x


@case
def inplace_under_no_grad_on_leaf(torch):
    x = T(torch, 3, grad=True)
    with torch.no_grad():
        x.sub_(0.5 * torch.ones(3))
    return x


@case
def modified_saved_tensor_raises(torch):
    x = T(torch, 3, grad=True)
    y = x.exp()
    z = y * 1
    y2 = y.detach()
    y2.add_(1)
    (y * 2).sum().backward()
    return x.grad, z


@case
def data_inplace_then_backward(torch):
    x = T(torch, 3, grad=True)
    y = x * x
    x.data.mul_(2)
    y.sum().backward()
    return x.grad


@case
def data_assignment(torch):
    x = T(torch, 3, grad=True)
    x.data = torch.tensor([1.0, 2.0, 3.0])
    return x


@case
def weight_data_normal_fill(torch):
    net = torch.nn.Sequential(torch.nn.Linear(20, 30))
    net[0].weight.data.normal_(0, 0.01)
    net[0].bias.data.fill_(0)
    net[0].weight.data.uniform_(-0.1, 0.1)
    w = net[0].weight
    return bool(w.abs().max() <= 0.1), net[0].bias, w.requires_grad, w.grad_fn is None


@case
def chained_setitem_is_a_view(torch):
    x = T(torch, 3, 4)
    x[1][2] = 5.0
    return x


@case
def slice_iadd_is_a_view(torch):
    x = T(torch, 3, 4)
    x[:, 0] += 1
    row = x[0]
    row.add_(10)
    return x


@case
def data_and_detach_stop_gradients(torch):
    x = T(torch, 3, grad=True)
    return (x.data * 2).requires_grad, (x.detach() * 2).requires_grad, (x * 2).requires_grad


one("masked_fill_broadcast_mask",
    lambda torch: T(torch, 3, 4).masked_fill(torch.tensor([True, False, True, False]), 9.0))
one("inplace_relu_clamp", lambda torch: (T(torch, 4).relu_(), T(torch, 4).clamp_(min=0)))


@case
def inplace_on_nonleaf_in_graph(torch):
    x = T(torch, 3, grad=True)
    y = x * 2
    y += 1
    (y ** 2).sum().backward()
    return x.grad


@case
def residual_add_inplace_after_relu(torch):
    x = T(torch, 4, grad=True)
    out = torch.relu(x * 3)
    out += x
    out.sum().backward()
    return x.grad


@case
def residual_block_inplace_add_and_relu_module(torch):
    x, w = T(torch, 2, 3, grad=True), T(torch, 3, 3, seed=1, grad=True)
    lin = torch.nn.Linear(3, 3)
    setw(torch, lin.weight, A(3, 3, seed=2))
    setw(torch, lin.bias, A(3, seed=3))
    out = torch.nn.ReLU(inplace=True)(lin(x) @ w)
    out = lin(out)
    out += x
    out = torch.nn.functional.relu(out, inplace=True)
    (out * T(torch, 2, 3, seed=4)).sum().backward()
    return out, x.grad, w.grad, lin.weight.grad, lin.bias.grad


@case
def inplace_mul_by_value_requiring_grad(torch):
    x, w = T(torch, 4, grad=True), T(torch, 4, seed=1, grad=True)
    y = x * 1.5
    y.mul_(w)
    y.sub_(w, alpha=0.5)
    (y * T(torch, 4, seed=2)).sum().backward()
    return y, x.grad, w.grad


@case
def inplace_into_plain_tensor_of_value_requiring_grad(torch):
    w = T(torch, 3, grad=True)
    z = torch.zeros(3)
    z.add_(w)
    z.mul_(w)
    z.sum().backward()
    return z.requires_grad, z.is_leaf, w.grad


@case
def inplace_unary_chain_in_graph(torch):
    x = T(torch, 5, grad=True)
    y = x * 2
    y.clamp_(-1.0, 1.5).mul_(3).tanh_()
    (y * T(torch, 5, seed=1)).sum().backward()
    return y, x.grad


@case
def inplace_hook_before_sees_old_grad(torch):
    x, seen = T(torch, 3, grad=True), []
    y = x * 2
    y.register_hook(lambda g: seen.append(g.tolist()))
    y.retain_grad()
    y.mul_(3)
    (y * T(torch, 3, seed=1)).sum().backward()
    return seen, y.grad, x.grad


@case
def inplace_exp_then_add_raises_at_backward(torch):
    x = T(torch, 3, grad=True)
    y = x.exp()
    y += 1
    y.sum().backward()
    return x.grad


@case
def inplace_after_use_by_saving_op(torch):  # both raise at backward: mul saved y
    x = T(torch, 3, grad=True)
    y = x * 2
    z = y * y
    y += 1
    z.sum().backward()
    return x.grad


@case
def detach_inplace_after_use(torch):  # the earlier use keeps y's graph position
    x = T(torch, 3, grad=True)
    y = x * 2
    z = y + 1
    y.detach_()
    (z.sum() + (y * x).sum()).backward()
    return x.grad, y.requires_grad


@case
def inplace_after_use_by_add(torch):  # add saved nothing: its gradient goes to y's old graph position
    x = T(torch, 3, grad=True)
    y = x * 2
    z = y + 1
    y.mul_(3)
    y.relu_()
    (z * T(torch, 3, seed=1) + y * T(torch, 3, seed=2)).sum().backward()
    return y, z, x.grad


one("relu_inplace", lambda torch: (lambda x: (x.relu_() is x, x))(T(torch, 5)))
one("relu_inplace_int", lambda torch: torch.tensor([-2, 0, 3]).relu_())
one("clamp_inplace", lambda torch: (lambda x: (x.clamp_(-0.5, 0.5) is x, x))(T(torch, 5)))
one("clamp_inplace_max_only", lambda torch: T(torch, 5).clamp_(max=0.0))
one("clip_inplace", lambda torch: T(torch, 5).clip_(min=0.1))
one("clamp_inplace_int_float_bounds", lambda torch: torch.tensor([1, 2, 3]).clamp_(0.5, 1.5))
one("clamp_inplace_int", lambda torch: torch.tensor([1, 2, 3]).clamp_(0, 2))
one("relu_inplace_leaf_requiring_grad", lambda torch: T(torch, 3, grad=True).relu_())
one("normal_inplace_stats", lambda torch: (lambda w: (w.normal_(2.0, 0.5) is w, w.dtype, w.shape,
                                                      round(float(w.mean()), 1), round(float(w.std()), 1)))(
    torch.zeros(200, 100)))
one("uniform_inplace_range", lambda torch: (lambda w: (w.dtype, bool((w >= -3).all()), bool((w < -1).all()),
                                                       round(float(w.mean()), 1)))(
    torch.zeros(200, 100).uniform_(-3, -1)))
one("uniform_inplace_defaults", lambda torch: (lambda w: (bool((w >= 0).all()), bool((w < 1).all())))(
    torch.zeros(1000, dtype=torch.float64).uniform_()))
one("normal_inplace_negative_std", lambda torch: torch.zeros(3).normal_(0, -1))
one("uniform_inplace_reversed", lambda torch: torch.zeros(3).uniform_(1, 0))
one("normal_inplace_int", lambda torch: torch.zeros(3, dtype=torch.long).normal_())
one("normal_inplace_leaf_requiring_grad", lambda torch: torch.zeros(3, requires_grad=True).normal_())
one("normal_inplace_view_shares_memory", lambda torch: (lambda w: (w[0].normal_(0, 1), float(w[1].abs().sum())))(
    torch.zeros(2, 3))[1])


@case
def rows_written_then_summed(torch):
    w = T(torch, 3, grad=True)
    Y = torch.zeros(2, 3)
    Y[0] = w * 2
    Y[1] = w ** 2
    (Y * torch.tensor(A(2, 3, seed=5))).sum().backward()
    return Y, Y.requires_grad, Y.is_leaf, w.grad


@case
def overwrite_part_of_nonleaf(torch):
    w = T(torch, 4, grad=True)
    x = w * 2
    x[1:3] = 0.0
    (x * torch.tensor(A(4, seed=6))).sum().backward()
    return x, w.grad


@case
def mask_write(torch):
    w = T(torch, 5, grad=True)
    y = torch.zeros(5)
    y[w.detach() > 0] = w[w.detach() > 0] * 3
    y.sum().backward()
    return y, w.grad


@case
def float64_value_into_float32(torch):
    w = T(torch, 2, dtype=np.float64, grad=True)
    y = torch.zeros(3)
    y[:2] = w * 2
    (y * torch.arange(3.0)).sum().backward()
    return y, w.grad


@case
def broadcast_value(torch):
    w = T(torch, 3, grad=True)
    y = torch.zeros(4, 3)
    y[1:3] = w
    (y * torch.tensor(A(4, 3, seed=7))).sum().backward()
    return w.grad


@case
def repeated_index_write(torch):
    w = T(torch, 3, grad=True)
    y = torch.zeros(4)
    y[[0, 2, 3]] = w
    (y * torch.arange(4.0)).sum().backward()
    return y, w.grad


@case
def write_then_exp_output_raises(torch):
    w = T(torch, 3, grad=True)
    y = w.exp()
    y[0] = 1.0
    y.sum().backward()
    return w.grad


@case
def view_before_write(torch):
    w = T(torch, 3, grad=True)
    Y = torch.zeros(2, 3)
    row = Y[1]
    Y[1] = w
    (row * 2).sum().backward()
    return w.grad


@case
def write_into_view(torch):
    w = T(torch, 3, grad=True)
    Y = torch.zeros(2, 3)
    Y[1][0] = w[0]
    Y.sum().backward()
    return w.grad


@case
def double_backward_through_write(torch):
    w = T(torch, 3, grad=True)
    y = torch.zeros(4)
    y[1:] = w ** 3
    (g,) = torch.autograd.grad(y.sum(), w, create_graph=True)
    g.sum().backward()
    return g, w.grad


@case
def leaf_requiring_grad_write_raises(torch):
    w = T(torch, 3, grad=True)
    w[0] = 1.0


@case
def leaf_requiring_grad_write_no_grad(torch):
    w = T(torch, 3, grad=True)
    with torch.no_grad():
        w[0] = 1.0
    return w, w.is_leaf, w.requires_grad


@case
def write_after_use_elsewhere(torch):
    w = T(torch, 3, grad=True)
    y = torch.zeros(3)
    z = y + 1
    y[0] = w[0]
    (z.sum() + y.sum()).backward()
    return w.grad, z


@case
def copy_into_fresh(torch):
    w = T(torch, 3, grad=True)
    y = torch.zeros(3)
    y.copy_(w * 2)
    y.sum().backward()
    return w.grad


@case
def detach_inplace_nonleaf(torch):
    y = T(torch, 3, grad=True) * 2
    return y.detach_() is y, y.requires_grad, y.is_leaf, y.grad_fn is None


one("detach_inplace_view_raises", lambda torch: (T(torch, 3, grad=True) * 2)[1:].detach_())
one("detach_inplace_leaf", lambda torch: T(torch, 3, grad=True).detach_().requires_grad)
one("data_assign_shape_change", lambda torch:
    (lambda x: (setattr(x, "data", torch.zeros(4)), x.shape, x.requires_grad)[1:])(
    T(torch, 3, grad=True)))
one("inplace_on_detached_changes_original", lambda torch:
    (lambda x: (x.detach().zero_(), x)[1])(T(torch, 3, grad=True)))
one("F_leaky_relu_inplace", lambda torch: torch.nn.functional.leaky_relu(T(torch, 3), 0.1, True))

for _name, _f in (("pow_", lambda x: x.pow_(2)), ("pow_tensor", lambda x: x.pow_(x.new_tensor([1.0, 0.5, 2.0]))),
                  ("sqrt_", lambda x: x.sqrt_()), ("exp_", lambda x: x.exp_()), ("log_", lambda x: x.log_()),
                  ("log1p_", lambda x: x.log1p_()), ("rsqrt_", lambda x: x.rsqrt_()), ("abs_", lambda x: x.abs_()),
                  ("neg_", lambda x: x.neg_()), ("square_", lambda x: x.square_()),
                  ("reciprocal_", lambda x: x.reciprocal_()), ("sigmoid_", lambda x: x.sigmoid_()),
                  ("tanh_", lambda x: x.tanh_())):
    one(f"inplace_{_name}", lambda torch, f=_f: (lambda x: (f(x) is x, x))(T(torch, 3, low=0.5, high=3)))

one("inplace_sqrt_int_raises", lambda torch: torch.tensor([4, 9]).sqrt_())
one("inplace_pow_int", lambda torch: torch.tensor([4, 9]).pow_(2))
one("inplace_pow_int_float_raises", lambda torch: torch.tensor([4, 9]).pow_(0.5))
one("inplace_abs_int", lambda torch: torch.tensor([-4, 9]).abs_())
one("inplace_exp_leaf_raises", lambda torch: T(torch, 3, grad=True).exp_())
one("inplace_exp_no_grad_leaf", lambda torch: _exp_under_no_grad(torch))


def _exp_under_no_grad(torch):
    x = T(torch, 3, grad=True)
    with torch.no_grad():
        x.exp_()
    return x.detach(), x.requires_grad


one("inplace_pow_broadcast_raises", lambda torch: T(torch, 1).pow_(T(torch, 3)))
one("inplace_pow_float64_into_float32", lambda torch: T(torch, 3).pow_(T(torch, 3, dtype=np.float64, low=0, high=2)))
# issue 26: what a write takes
one("setitem_list_raises", lambda torch: torch.zeros(2, 3).__setitem__(0, [1.0, 2.0, 3.0]))
one("setitem_none_raises", lambda torch: torch.zeros(2, 3).__setitem__(0, None))
one("copy_list_raises", lambda torch: torch.zeros(3).copy_([1.0, 2.0, 3.0]))
one("copy_misshaped_recorded_raises", lambda torch: (T(torch, 2, 3, grad=True) * 1).copy_(T(torch, 4, grad=True)))
one("setitem_misshaped_recorded_raises", lambda torch: (T(torch, 2, 3, grad=True) * 1).__setitem__(0, T(torch, 4)))
one("fill_uint8_overflow_raises", lambda torch: torch.zeros(2, dtype=torch.uint8).fill_(256))


@case
def copy_number_into_graph(torch):
    x = T(torch, 3, grad=True)
    y = (x * 2).copy_(5.0)
    (y * torch.tensor(A(3, seed=1))).sum().backward()
    return y, x.grad
