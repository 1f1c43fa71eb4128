"""Parity idioms: Autograd: backward, gradient accumulation, no_grad, detach, tensor hooks, autograd.grad,
autograd.backward, autograd.functional, higher-order derivatives."""
import numpy as np

from .common import A, T, grad_of, setw
from .compare import Idioms, test_idiom  # noqa: F401  (test_idiom runs once per idiom of this module)

idioms = Idioms()
one, case = idioms.one, idioms.case


@case
def backward_square(torch):
    x = T(torch, 3, grad=True)
    (x ** 2).sum().backward()
    return x.grad


@case
def grad_none_before_backward(torch):
    return T(torch, 3, grad=True).grad is None


@case
def grads_accumulate(torch):
    x = T(torch, 3, grad=True)
    y = (x * x).sum()
    y.backward(retain_graph=True)
    y.backward()
    return x.grad


@case
def backward_twice_raises(torch):
    x = T(torch, 3, grad=True)
    y = (x.exp()).sum()
    y.backward()
    y.backward()
    return x.grad


@case
def backward_nonscalar_raises(torch):
    x = T(torch, 3, grad=True)
    (x * 2).backward()


@case
def backward_with_gradient(torch):
    x = T(torch, 3, grad=True)
    (x * x).backward(torch.tensor([1.0, 0.5, -1.0]))
    return x.grad


@case
def autograd_grad(torch):
    x = T(torch, 3, grad=True)
    return torch.autograd.grad((x.sigmoid() * x).sum(), x)


@case
def autograd_grad_create_graph(torch):
    x = T(torch, 3, grad=True)
    (g,) = torch.autograd.grad((x ** 3).sum(), x, create_graph=True)
    (h,) = torch.autograd.grad(g.sum(), x)
    return g, h


@case
def double_backward_tanh(torch):
    x = T(torch, 4, grad=True)
    (g,) = torch.autograd.grad(torch.tanh(x).sum(), [x], create_graph=True)
    g.sum().backward()
    return x.grad


@case
def autograd_grad_unused_raises(torch):
    x, y = T(torch, 2, grad=True), T(torch, 2, grad=True)
    return torch.autograd.grad((x * 2).sum(), [x, y])


@case
def autograd_grad_allow_unused(torch):
    x, y = T(torch, 2, grad=True), T(torch, 2, grad=True)
    return torch.autograd.grad((x * 2).sum(), [x, y], allow_unused=True)


@case
def no_grad_context(torch):
    x = T(torch, 3, grad=True)
    with torch.no_grad():
        y = x * 2
    return y.requires_grad, y.grad_fn is None, torch.is_grad_enabled()


@case
def no_grad_decorator(torch):
    @torch.no_grad()
    def f(x):
        return x * 2
    return f(T(torch, 3, grad=True)).requires_grad


@case
def enable_grad_inside_no_grad(torch):
    x = T(torch, 3, grad=True)
    with torch.no_grad():
        with torch.enable_grad():
            y = x * 2
    return y.requires_grad


@case
def set_grad_enabled_context(torch):
    x = T(torch, 3, grad=True)
    with torch.set_grad_enabled(False):
        y = x * 2
        inside = torch.is_grad_enabled()
    return y.requires_grad, inside, torch.is_grad_enabled()


@case
def detach_no_grad(torch):
    x = T(torch, 3, grad=True)
    return (x * 2).detach().requires_grad, (x * 2).is_leaf, x.is_leaf


@case
def requires_grad_inplace(torch):
    x = T(torch, 3)
    x.requires_grad_()
    (x * 3).sum().backward()
    return x.grad


@case
def requires_grad_int_raises(torch):
    return torch.tensor([1, 2]).requires_grad_()


@case
def retain_grad_intermediate(torch):
    x = T(torch, 3, grad=True)
    y = x * 2
    y.retain_grad()
    (y ** 2).sum().backward()
    return y.grad, x.grad


@case
def nonleaf_grad_is_none(torch):
    x = T(torch, 3, grad=True)
    y = x * 2
    y.sum().backward()
    return y.grad is None


@case
def grad_zero_(torch):
    x = T(torch, 3, grad=True)
    x.sum().backward()
    x.grad.zero_()
    (2 * x).sum().backward()
    return x.grad


@case
def grad_of_mean_var_std(torch):
    x = T(torch, 3, 4, grad=True)
    (x.mean() + x.var(dim=0).sum() + x.std(dim=1, keepdim=True).sum()).backward()
    return x.grad


@case
def grad_of_max_dim(torch):
    x = T(torch, 3, 4, grad=True)
    x.max(dim=1)[0].sum().backward()
    return x.grad


@case
def grad_of_min_all(torch):
    x = T(torch, 3, 4, grad=True)
    x.min().backward()
    return x.grad


@case
def grad_of_logsumexp(torch):
    x = T(torch, 3, 4, grad=True)
    torch.logsumexp(x, dim=1).sum().backward()
    return x.grad


@case
def grad_broadcast(torch):
    a, b = T(torch, 3, 1, grad=True), T(torch, 1, 4, seed=1, grad=True)
    ((a + b) * (a - b)).sum().backward()
    return a.grad, b.grad


@case
def grad_matmul(torch):
    a, b = T(torch, 2, 3, grad=True), T(torch, 3, 4, seed=1, grad=True)
    (a @ b).sum().backward()
    return a.grad, b.grad


@case
def grad_index_repeated(torch):
    x = T(torch, 4, grad=True)
    x[torch.tensor([0, 0, 2])].sum().backward()
    return x.grad


@case
def grad_cat_stack(torch):
    a, b = T(torch, 2, 3, grad=True), T(torch, 2, 3, seed=1, grad=True)
    w = torch.tensor(A(4, 3, seed=2))
    (torch.cat([a, b]) * w).sum().backward()
    (torch.stack([a, b]).sum(dim=0) ** 2).sum().backward()
    return a.grad, b.grad


@case
def grad_transpose_permute_expand(torch):
    x = T(torch, 2, 3, grad=True)
    w = torch.tensor(A(3, 2, seed=1))
    (x.transpose(0, 1) * w).sum().backward()
    (x.unsqueeze(0).expand(4, 2, 3).permute(2, 1, 0) ** 2).sum().backward()
    return x.grad


@case
def grad_where_clamp(torch):
    x = T(torch, 5, grad=True)
    (torch.where(x > 0, x * 3, x * x) + x.clamp(-0.5, 0.5)).sum().backward()
    return x.grad


@case
def grad_fn_presence(torch):
    x = T(torch, 3, grad=True)
    return x.grad_fn is None, (x * 2).grad_fn is not None


@case
def grad_log_softmax(torch):
    x = T(torch, 2, 3, grad=True)
    (torch.nn.functional.log_softmax(x, dim=0) * torch.tensor(A(2, 3, seed=1))).sum().backward()
    return x.grad


@case
def zero_grad_sets_none(torch):
    net = torch.nn.Linear(2, 1)
    net(T(torch, 3, 2)).sum().backward()
    net.zero_grad()
    return net.weight.grad is None


one("clone_detach", lambda torch: (lambda c: (c.requires_grad, c))(T(torch, 3, grad=True).clone().detach()))
one("loss_item_after_backward", lambda torch: (lambda x: ((x ** 2).mean().backward(), (x ** 2).mean().item())[1])(
    T(torch, 3, grad=True)))


@case
def backward_one_element_nonscalar(torch):
    x = T(torch, 3, grad=True)
    (x * 2).sum().reshape(1).backward()
    return x.grad


@case
def autograd_grad_grad_outputs(torch):
    x = T(torch, 3, grad=True)
    y = x ** 2
    return torch.autograd.grad(y, x, grad_outputs=torch.ones_like(y))


@case
def register_hook(torch):
    x = T(torch, 3, grad=True)
    x.register_hook(lambda g: g * 10)
    (x * 2).sum().backward()
    return x.grad


@case
def grad_gather_masked_fill_cumsum(torch):
    x = T(torch, 3, 4, grad=True)
    w = torch.tensor(A(3, 4, seed=1))
    (torch.gather(x, 1, torch.tensor([[0, 0], [3, 1], [2, 2]])).sum() + (x.masked_fill(x > 0, 0.0) * w).sum()
     + (x.cumsum(dim=1) * w).sum()).backward()
    return x.grad


@case
def grad_split_chunk_repeat(torch):
    x = T(torch, 4, 3, grad=True)
    a, b = x.split(2)
    c = x.chunk(3, dim=1)[1]
    ((a * 2).sum() + (b ** 2).sum() + (c * 3).sum() + (x.repeat(2, 1) ** 2).sum()).backward()
    return x.grad


@case
def requires_grad_attribute(torch):
    x = T(torch, 3)
    x.requires_grad = True
    (x * 2).sum().backward()
    g = x.grad
    x.grad = None
    return g, x.grad is None


@case
def requires_grad_attribute_nonleaf_raises(torch):
    x = T(torch, 3, grad=True)
    y = x * 2
    y.requires_grad = False


@case
def grad_assignment(torch):
    x = T(torch, 3, grad=True)
    x.grad = torch.ones(3)
    (x * 2).sum().backward()
    return x.grad


@case
def grad_max_ties(torch):
    x = torch.tensor([[1.0, 3.0, 3.0], [2.0, 2.0, 0.0]], requires_grad=True)
    x.max().backward()
    full = x.grad.clone()
    x.grad = None
    x.amax(dim=1).sum().backward()
    return full, x.grad


@case
def grad_maxpool_ties(torch):
    x = torch.ones(1, 1, 2, 2, requires_grad=True)
    torch.nn.functional.max_pool2d(x, 2).sum().backward()
    return x.grad


@case
def grad_max_dim_ties(torch):
    x = torch.tensor([[1.0, 3.0, 3.0], [2.0, 2.0, 0.0]], requires_grad=True)
    values, indices = x.max(dim=1)
    values.sum().backward()
    return x.grad.sum(dim=1), indices.shape


one("std_mean_grad", lambda torch: (lambda x: (x.std(dim=0, correction=0).sum().backward(), x.grad)[1])(
    T(torch, 3, 4, grad=True)))


def _cubic(x):
    return (x ** 3).sum()


def _vector_fn(x):
    return x.sigmoid() * x[0]


one("af_jacobian", lambda torch: torch.autograd.functional.jacobian(_vector_fn, T(torch, 3)))
one("af_jacobian_tuple", lambda torch: torch.autograd.functional.jacobian(
    lambda a, b: a * b.sum(), (T(torch, 2), T(torch, 3, seed=1))))
one("af_hessian", lambda torch: torch.autograd.functional.hessian(_cubic, T(torch, 3)))
one("af_vjp", lambda torch: torch.autograd.functional.vjp(_vector_fn, T(torch, 3), torch.tensor([1.0, 0.5, -1.0])))
one("af_jvp", lambda torch: torch.autograd.functional.jvp(_vector_fn, T(torch, 3), torch.tensor([1.0, 0.5, -1.0])))
one("af_hvp_vhp", lambda torch: (torch.autograd.functional.hvp(_cubic, T(torch, 3), torch.ones(3)),
                                 torch.autograd.functional.vhp(_cubic, T(torch, 3), torch.ones(3))))
one("af_inputs_get_no_grad", lambda torch: (lambda x: (torch.autograd.functional.jacobian(_vector_fn, x), x.grad)[1])(
    T(torch, 3, grad=True)))
one("autograd_backward_function", lambda torch: (lambda x: (torch.autograd.backward([(x * x).sum()]), x.grad)[1])(
    T(torch, 3, grad=True)))


@case
def gradient_penalty_through_linear(torch):
    layer = torch.nn.Linear(3, 2)
    setw(torch, layer.weight, A(2, 3, seed=1))
    setw(torch, layer.bias, A(2, seed=2))
    x = T(torch, 4, 3, grad=True)
    out = torch.sigmoid(layer(x))
    (g,) = torch.autograd.grad(out.sum(), x, create_graph=True)
    penalty = (g.norm(2, dim=1) - 1).pow(2).mean()
    penalty.backward()
    return g, penalty, layer.weight.grad, layer.bias.grad


@case
def maml_style_inner_step(torch):
    layer = torch.nn.Linear(3, 1)
    setw(torch, layer.weight, A(1, 3, seed=1))
    setw(torch, layer.bias, A(1, seed=2))
    x, y = T(torch, 5, 3), T(torch, 5, 1, seed=3)
    loss = ((layer(x) - y) ** 2).mean()
    gw, gb = torch.autograd.grad(loss, [layer.weight, layer.bias], create_graph=True)
    w2, b2 = layer.weight - 0.1 * gw, layer.bias - 0.1 * gb
    outer = ((torch.nn.functional.linear(x, w2, b2) - y) ** 2).mean()
    outer.backward()
    return outer, layer.weight.grad, layer.bias.grad


@case
def double_backward_conv_bn(torch):
    conv = torch.nn.Conv2d(1, 2, 3, bias=False)
    setw(torch, conv.weight, A(2, 1, 3, 3, seed=1))
    bn = torch.nn.BatchNorm2d(2)
    x = T(torch, 2, 1, 5, 5, grad=True)
    y = torch.tanh(bn(conv(x)))
    (g,) = torch.autograd.grad((y * torch.tensor(A(*y.shape, seed=2))).sum(), x, create_graph=True)
    (g ** 2).sum().backward()
    return g, x.grad, conv.weight.grad


one("leaf_grad_fn_none", lambda torch: (T(torch, 2, grad=True).grad_fn is None, T(torch, 2).grad_fn is None))
one("is_leaf_flags", lambda torch: (lambda x: (x.is_leaf, (x * 2).is_leaf, x.detach().is_leaf,
                                                  T(torch, 2).is_leaf, x.detach().requires_grad))(
    T(torch, 2, grad=True)))
one("nonleaf_grad_fn_present", lambda torch: (T(torch, 2, grad=True) * 2).grad_fn is not None)
one("no_grad_result", lambda torch: (lambda x: (lambda y: (y.requires_grad, y.grad_fn is None, y.is_leaf))(
    _no_grad_call(torch, lambda: x * 2)))(T(torch, 2, grad=True)))
one("int_tensor_of_grad", lambda torch: T(torch, 2, grad=True).long().requires_grad)
one("compare_of_grad", lambda torch: (T(torch, 2, grad=True) > 0).requires_grad)
one("argmax_of_grad", lambda torch: T(torch, 2, grad=True).argmax().requires_grad)
one("requires_grad_false_nonleaf_raises", lambda torch: (T(torch, 2, grad=True) * 2).requires_grad_(False))
one("requires_grad_true_nonleaf_ok", lambda torch: (T(torch, 2, grad=True) * 2).requires_grad_().requires_grad)
one("detach_then_requires_grad", lambda torch: (lambda d: (d.requires_grad, d.is_leaf))(
    T(torch, 2, grad=True).detach().requires_grad_()))
one("backward_no_grad_raises", lambda torch: T(torch, 2).sum().backward())
one("r2_backward_nonscalar_raises", lambda torch: (T(torch, 2, grad=True) * 2).backward())
one("is_grad_enabled_default", lambda torch: torch.is_grad_enabled())


def _no_grad_call(torch, fn):
    with torch.no_grad():
        return fn()


@case
def set_grad_enabled_as_call(torch):
    torch.set_grad_enabled(False)
    try:
        inside = (torch.is_grad_enabled(), (T(torch, 2, grad=True) * 2).requires_grad)
    finally:
        torch.set_grad_enabled(True)
    return inside, torch.is_grad_enabled()


@case
def enable_grad_decorator(torch):
    @torch.enable_grad()
    def f(x):
        return x * 2

    with torch.no_grad():
        y = f(T(torch, 2, grad=True))
    return y.requires_grad


@case
def no_grad_decorator_bare(torch):
    @torch.no_grad()
    def f(x):
        return x * 2

    return f(T(torch, 2, grad=True)).requires_grad, torch.is_grad_enabled()


@case
def grads_accumulate_two_backwards(torch):
    x = T(torch, 3, grad=True)
    (x * x).sum().backward()
    (3 * x).sum().backward()
    return x.grad


@case
def retain_graph_twice(torch):
    x = T(torch, 3, grad=True)
    y = (x.exp()).sum()
    y.backward(retain_graph=True)
    y.backward()
    return x.grad


@case
def grad_zero_then_backward(torch):
    x = T(torch, 3, grad=True)
    (x * 2).sum().backward()
    x.grad.zero_()
    (x * 5).sum().backward()
    return x.grad


@case
def grad_none_then_backward(torch):
    x = T(torch, 3, grad=True)
    (x * 2).sum().backward()
    x.grad = None
    (x * 5).sum().backward()
    return x.grad


@case
def retain_grad_nonleaf(torch):
    x = T(torch, 3, grad=True)
    y = x * 2
    y.retain_grad()
    (y ** 2).sum().backward()
    return y.grad, x.grad, y.is_leaf


@case
def grad_dtype_float64(torch):
    x = T(torch, 3, dtype=np.float64, grad=True)
    (x.float() * 2).sum().backward()
    return x.grad


@case
def grad_broadcast_scalar_param(torch):
    w = torch.tensor(2.0, requires_grad=True)
    (w * T(torch, 3, 4)).sum().backward()
    return w.grad


@case
def grad_clamp_boundary(torch):
    x = torch.tensor([-1.0, 0.0, 0.5, 1.0, 2.0], requires_grad=True)
    x.clamp(0.0, 1.0).sum().backward()
    return x.grad


@case
def grad_relu_at_zero(torch):
    x = torch.tensor([-1.0, 0.0, 1.0], requires_grad=True)
    torch.relu(x).sum().backward()
    return x.grad


@case
def grad_abs_at_zero(torch):
    x = torch.tensor([-1.0, 0.0, 1.0], requires_grad=True)
    x.abs().sum().backward()
    return x.grad


@case
def grad_sqrt_at_zero(torch):
    x = torch.tensor([0.0, 4.0], requires_grad=True)
    x.sqrt().sum().backward()
    return x.grad


@case
def grad_norm_at_zero(torch):
    x = torch.zeros(3, requires_grad=True)
    x.norm().backward()
    return x.grad


@case
def grad_maximum_ties(torch):
    a = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
    b = torch.tensor([1.0, 1.0, 4.0], requires_grad=True)
    torch.maximum(a, b).sum().backward()
    return a.grad, b.grad


@case
def grad_minimum_ties(torch):
    a = torch.tensor([1.0, 2.0], requires_grad=True)
    b = torch.tensor([1.0, 3.0], requires_grad=True)
    torch.min(a, b).sum().backward()
    return a.grad, b.grad


@case
def grad_clamp_tensor_bounds(torch):
    x = torch.tensor([-1.0, 0.0, 0.5, 2.0], requires_grad=True)
    lo = torch.tensor([0.0, 0.0, 0.0, 0.0], requires_grad=True)
    x.clamp(min=lo).sum().backward()
    return x.grad, lo.grad


@case
def grad_topk(torch):
    x = T(torch, 2, 5, grad=True)
    v, _ = x.topk(2, dim=1)
    (v * torch.tensor(A(2, 2, seed=5))).sum().backward()
    return x.grad


@case
def grad_sort(torch):
    x = T(torch, 6, grad=True)
    v, _ = torch.sort(x, descending=True)
    (v * torch.arange(6.0)).sum().backward()
    return x.grad


@case
def grad_min_dim(torch):
    x = T(torch, 3, 4, grad=True)
    x.min(dim=1).values.sum().backward()
    return x.grad


@case
def grad_where_scalar_branch(torch):
    x = T(torch, 5, grad=True)
    torch.where(x > 0, x * 3, 0.0).sum().backward()
    return x.grad


@case
def grad_pow_zero_base(torch):
    x = torch.tensor([0.0, 2.0], requires_grad=True)
    (x ** 2).sum().backward()
    return x.grad


@case
def grad_scalar_pow_tensor(torch):
    x = T(torch, 3, grad=True)
    (2 ** x).sum().backward()
    return x.grad


@case
def grad_division_by_tensor(torch):
    a, b = T(torch, 3, grad=True), T(torch, 3, seed=1, low=1.0, high=2.0, grad=True)
    (a / b).sum().backward()
    return a.grad, b.grad


@case
def grad_std_mean(torch):
    x = T(torch, 4, 3, grad=True)
    ((x - x.mean(0)) / x.std(0)).pow(2).sum().backward()
    return x.grad


@case
def grad_cumsum(torch):
    x = T(torch, 2, 4, grad=True)
    (x.cumsum(1) * torch.tensor(A(2, 4, seed=8))).sum().backward()
    return x.grad


@case
def grad_view_reshape_chain(torch):
    x = T(torch, 2, 6, grad=True)
    (x.view(3, 4).t().reshape(2, 6) * torch.tensor(A(2, 6, seed=2))).sum().backward()
    return x.grad


@case
def grad_expand(torch):
    x = T(torch, 3, 1, grad=True)
    (x.expand(3, 4) * torch.tensor(A(3, 4, seed=2))).sum().backward()
    return x.grad


@case
def grad_of_shared_input(torch):
    x = T(torch, 3, grad=True)
    y = x * x + x
    y.sum().backward()
    return x.grad


@case
def backward_through_detach(torch):
    x = T(torch, 3, grad=True)
    y = x * x.detach()
    y.sum().backward()
    return x.grad


@case
def data_zero_does_not_track(torch):
    x = T(torch, 3, grad=True)
    x.data.zero_()
    return x, x.requires_grad, x.is_leaf


@case
def detach_inplace(torch):
    x = T(torch, 3, grad=True)
    y = x * 2
    y.detach_()
    return y.requires_grad, y.is_leaf


@case
def grad_after_no_grad_update(torch):
    w = T(torch, 3, grad=True)
    (w * 2).sum().backward()
    with torch.no_grad():
        w -= 0.1 * w.grad
    return w, w.requires_grad, w.is_leaf, w.grad


@case
def register_hook_scales(torch):
    x = T(torch, 3, grad=True)
    y = x * 2
    y.register_hook(lambda g: g * 10)
    y.sum().backward()
    return x.grad


@case
def register_hook_on_leaf(torch):
    x = T(torch, 3, grad=True)
    seen = []
    x.register_hook(lambda g: seen.append(g.clone()))
    (x * 3).sum().backward()
    return seen, x.grad


@case
def autograd_grad_retain(torch):
    x = T(torch, 3, grad=True)
    y = (x ** 3).sum()
    (g1,) = torch.autograd.grad(y, x, retain_graph=True)
    (g2,) = torch.autograd.grad(y, [x])
    return g1, g2, x.grad


@case
def autograd_grad_returns_tuple(torch):
    x = T(torch, 3, grad=True)
    g = torch.autograd.grad((x * 2).sum(), x)
    return type(g).__name__, len(g)


@case
def hook_remove(torch):
    x = T(torch, 3, grad=True)
    y = x * 2
    handle = y.register_hook(lambda g: g * 100)
    handle.remove()
    y.sum().backward()
    return x.grad


@case
def hook_on_non_grad_raises(torch):
    return torch.zeros(2).register_hook(lambda g: g)


@case
def hook_two_in_order(torch):
    x = T(torch, 3, grad=True)
    x.register_hook(lambda g: g + 1)
    x.register_hook(lambda g: g * 3)
    (x * 2).sum().backward()
    return x.grad


@case
def hook_and_retain_grad(torch):
    x = T(torch, 3, grad=True)
    y = x * 2
    y.retain_grad()
    y.register_hook(lambda g: g * 5)
    (y * y).sum().backward()
    return y.grad, x.grad


@case
def hook_with_autograd_grad(torch):
    x = T(torch, 3, grad=True)
    y = x ** 2
    y.register_hook(lambda g: g * 0.5)
    return torch.autograd.grad(y.sum(), x)


@case
def hook_gradient_clipping_idiom(torch):
    layer = torch.nn.Linear(3, 2)
    setw(torch, layer.weight, A(2, 3, seed=1))
    setw(torch, layer.bias, A(2, seed=2))
    for p in layer.parameters():
        p.register_hook(lambda g: g.clamp(-0.1, 0.1))
    (layer(T(torch, 4, 3)) ** 2).sum().backward()
    return layer.weight.grad, layer.bias.grad


@case
def hook_sees_summed_grad(torch):
    x = T(torch, 3, grad=True)
    y = x * 2
    seen = []
    y.register_hook(lambda g: seen.append(g.clone()))
    (y * 3 + y).sum().backward()
    return seen


@case
def hook_create_graph(torch):
    x = T(torch, 3, grad=True)
    y = x ** 3
    y.register_hook(lambda g: g * x)
    (g,) = torch.autograd.grad(y.sum(), x, create_graph=True)
    g.sum().backward()
    return g, x.grad


one("factory_requires_grad_under_no_grad", lambda torch:
    _no_grad_call(torch, lambda: torch.ones(2, requires_grad=True)).requires_grad)
one("tensor_requires_grad_under_no_grad", lambda torch:
    _no_grad_call(torch, lambda: torch.tensor([1.0], requires_grad=True)).is_leaf)
one("detach_numpy_idiom", lambda torch: T(torch, 3, grad=True).detach().cpu().numpy())
one("tolist_requires_grad", lambda torch: T(torch, 2, grad=True).tolist())
one("item_requires_grad", lambda torch: (T(torch, 2, grad=True) * 2).sum().item())
one("zeros_like_requires_grad_kw", lambda torch: torch.zeros_like(T(torch, 2), requires_grad=True).is_leaf)
one("grad_shape_broadcast_bias", lambda torch: _bias_grad_shape(torch))
one("autograd_backward_raises", lambda torch: torch.autograd.backward)
one("grad_of_int_pow_float", lambda torch: grad_of(torch, lambda x: (x ** 2.5).sum()))


def _bias_grad_shape(torch):
    b = torch.zeros(1, 3, requires_grad=True)
    (T(torch, 4, 3) + b).sum().backward()
    return b.grad


def _backward_several(torch, **kw):
    x, y = T(torch, 3, grad=True), T(torch, 3, seed=1, grad=True)
    torch.autograd.backward([(x * y).sum(), (x * x).sum()], **kw)
    return x.grad, y.grad


one("autograd_backward_two_roots", _backward_several)
one("autograd_backward_inputs", lambda torch: _backward_several(torch, inputs=[T(torch, 1)] * 0 or None))
one("autograd_backward_grad_tensors", lambda torch: (lambda x: (torch.autograd.backward(
    [x * 2, x.sum()], [torch.tensor(A(3, seed=3)), None]), x.grad)[1])(T(torch, 3, grad=True)))
one("autograd_backward_only_inputs", lambda torch: (lambda x, y: (torch.autograd.backward(
    (x * y).sum(), inputs=[y]), x.grad, y.grad)[1:])(T(torch, 3, grad=True), T(torch, 3, seed=1, grad=True)))
one("autograd_backward_nonleaf_input", lambda torch: (lambda h: (torch.autograd.backward(
    (h * h).sum(), inputs=h), h.grad)[1])(T(torch, 3, grad=True) * 2))
one("autograd_backward_no_grad_raises", lambda torch: torch.autograd.backward(torch.ones(2).sum()))
one("autograd_backward_empty_inputs", lambda torch: torch.autograd.backward(T(torch, 3, grad=True).sum(), inputs=[]))
one("autograd_backward_create_graph", lambda torch: (lambda x: (torch.autograd.backward(
    (x ** 3).sum(), create_graph=True), torch.autograd.grad(x.grad.sum(), x))[1])(T(torch, 3, grad=True)))
