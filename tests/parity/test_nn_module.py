"""Parity idioms: The Module API: containers, parameters and buffers, named_*, train/eval, to(), apply, nn.init,
forward hooks."""
import math

from .common import A, T, mlp, setw
from .compare import Idioms, test_idiom  # noqa: F401  (test_idiom runs once per idiom of this module)

idioms = Idioms()
one, case = idioms.one, idioms.case


one("parameter_repr_type", lambda torch: (isinstance(torch.nn.Linear(2, 2).weight, torch.nn.Parameter),
                                          torch.nn.Linear(2, 2).weight.requires_grad))


@case
def init_zeros_ones_constant(torch):
    w = torch.nn.Linear(3, 2).weight
    r = torch.nn.init.zeros_(w)
    a = w.clone()
    torch.nn.init.ones_(w)
    b = w.clone()
    torch.nn.init.constant_(w, 0.5)
    return r is w, a, b, w, w.requires_grad, w.grad_fn is None


@case
def init_uniform_normal(torch):
    w = torch.nn.Parameter(torch.zeros(200, 100))
    torch.nn.init.uniform_(w, -0.1, 0.1)
    in_range = bool(w.abs().max() <= 0.1)
    torch.nn.init.normal_(w, mean=1.0, std=0.01)
    return in_range, round(float(w.mean()), 2), w.requires_grad, w.is_leaf


@case
def init_xavier_uniform_bound(torch):
    w = torch.nn.Parameter(torch.zeros(30, 20, 3, 3))
    torch.nn.init.xavier_uniform_(w)
    bound = math.sqrt(6 / (20 * 9 + 30 * 9))
    return bool(w.abs().max() <= bound), bool(w.abs().max() > 0.9 * bound)


@case
def init_xavier_gain(torch):
    w = torch.nn.Parameter(torch.zeros(300, 200))
    torch.nn.init.xavier_normal_(w, gain=torch.nn.init.calculate_gain("relu"))
    return round(float(w.std()) / (math.sqrt(2) * math.sqrt(2 / 500)), 1)


@case
def init_kaiming(torch):
    w = torch.nn.Parameter(torch.zeros(200, 300))
    torch.nn.init.kaiming_uniform_(w, a=math.sqrt(5))
    bound = 1 / math.sqrt(300)
    u = (bool(w.abs().max() <= bound), bool(w.abs().max() > 0.9 * bound))
    torch.nn.init.kaiming_normal_(w, mode="fan_out", nonlinearity="relu")
    return u, round(float(w.std()) / math.sqrt(2 / 200), 1)


@case
def init_trunc_normal(torch):
    w = torch.nn.Parameter(torch.zeros(300, 200))
    r = torch.nn.init.trunc_normal_(w, std=0.02)
    inside = bool(w.abs().max() <= 2.0)
    torch.nn.init.trunc_normal_(w, mean=0.0, std=1.0, a=-1.0, b=1.0)
    return r is w, inside, bool(w.abs().max() <= 1.0), round(float(w.std()), 2)


@case
def init_1d_fan_raises(torch):
    torch.nn.init.xavier_uniform_(torch.nn.Parameter(torch.zeros(5)))


@case
def apply_order_and_return(torch):
    net = torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.Sequential(torch.nn.ReLU(), torch.nn.Linear(3, 1)))
    seen = []
    r = net.apply(lambda m: seen.append(type(m).__name__))
    return r is net, seen


@case
def apply_d2l_init(torch):
    net = torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.Sigmoid(), torch.nn.Linear(3, 1))

    def init_weights(m):
        if type(m) == torch.nn.Linear:  # noqa: E721  (the book's spelling)
            torch.nn.init.constant_(m.weight, 0.25)
            torch.nn.init.zeros_(m.bias)
    net.apply(init_weights)
    return net(T(torch, 4, 2))


one("modules_list", lambda torch: [type(m).__name__ for m in torch.nn.Sequential(
    torch.nn.Linear(2, 3), torch.nn.Sequential(torch.nn.ReLU(), torch.nn.Linear(3, 1))).modules()])
one("named_parameters_keys", lambda torch: [n for n, _ in torch.nn.Sequential(
    torch.nn.Linear(2, 3), torch.nn.BatchNorm1d(3), torch.nn.Linear(3, 1)).named_parameters()])
one("parameter_count", lambda torch: sum(p.numel() for p in torch.nn.Sequential(
    torch.nn.Conv2d(1, 6, 5), torch.nn.BatchNorm2d(6), torch.nn.Linear(10, 4)).parameters()))
one("sequential_index_len", lambda torch: (lambda net: (type(net[1]).__name__, len(net), type(net[1:]).__name__,
                                                        len(net[1:]), type(net[-1]).__name__))(
    torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.ReLU(), torch.nn.Linear(3, 1))))
one("train_eval_flags", lambda torch: (lambda net: (net.training, net.eval().training, net[0].training,
                                                    net.train().training))(
    torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.ReLU())))
one("module_to_double", lambda torch: torch.nn.Linear(2, 3).to(torch.float64).weight.dtype)
one("module_double", lambda torch: torch.nn.Linear(2, 3).double().bias.dtype)


@case
def custom_module_registration(torch):
    class M(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.gamma = torch.nn.Parameter(torch.ones((1, 3)))
            self.register_buffer("stat", torch.zeros(3))
            self.plain = torch.zeros(3)
            self.inner = torch.nn.Linear(3, 2)

        def forward(self, x):
            return self.inner(x * self.gamma)
    m = M()
    return [n for n, _ in m.named_parameters()], list(m.state_dict()), [n for n, _ in m.named_buffers()]


@case
def module_requires_grad_false(torch):
    net = torch.nn.Linear(2, 1)
    net.requires_grad_(False)
    return net.weight.requires_grad, net(T(torch, 3, 2)).requires_grad


one("add_module_named_children", lambda torch: (lambda net: (net.add_module("act", torch.nn.ReLU()),
                                                             [n for n, _ in net.named_children()])[1])(
    torch.nn.Sequential(torch.nn.Linear(2, 2))))
one("module_list", lambda torch: len(torch.nn.ModuleList([torch.nn.Linear(2, 2), torch.nn.ReLU()])))
one("sequential_ordered_dict", lambda torch: list(torch.nn.Sequential(__import__("collections").OrderedDict(
    [("fc", torch.nn.Linear(2, 3)), ("act", torch.nn.ReLU())])).state_dict()))
one("sequential_append", lambda torch: len(torch.nn.Sequential(torch.nn.Linear(2, 2)).append(torch.nn.ReLU())))


@case
def register_parameter_and_buffer_none(torch):
    m = torch.nn.Module()
    m.register_parameter("w", torch.nn.Parameter(torch.ones(2)))
    m.register_buffer("b", torch.zeros(2))
    m.register_buffer("tmp", torch.zeros(1), persistent=False)
    return list(m.state_dict()), [n for n, _ in m.named_buffers()]


@case
def module_to_device_and_dtype(torch):
    net = torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.BatchNorm1d(2))
    net.to("cpu", torch.float64)
    return net[0].weight.dtype, net[1].running_mean.dtype, net[1].num_batches_tracked.dtype


one("forward_hook", lambda torch: torch.nn.Linear(2, 2).register_forward_hook(lambda m, i, o: None) is not None)
one("params_generator_consumed", lambda torch: (lambda net: (len(list(net.parameters())), len(list(net.parameters()))))(
    torch.nn.Linear(2, 2)))
one("trainable_count", lambda torch: (lambda net: (net[0].requires_grad_(False), sum(
    p.numel() for p in net.parameters() if p.requires_grad))[1])(
    torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.Linear(3, 1))))
one("parameter_derived_types", lambda torch: (lambda p: (type(p * 2).__name__, type(p.data).__name__,
                                                         type(p.detach()).__name__, type(p.clone()).__name__))(
    torch.nn.Parameter(torch.ones(2))))
one("parameter_requires_grad_false", lambda torch: (lambda p: (p.requires_grad, p.is_leaf))(
    torch.nn.Parameter(torch.ones(2), requires_grad=False)))
one("named_modules_nested", lambda torch: [n for n, _ in torch.nn.Sequential(
    torch.nn.Linear(2, 3), torch.nn.Sequential(torch.nn.ReLU(), torch.nn.Linear(3, 1))).named_modules()])
one("state_dict_nested_keys", lambda torch: list(torch.nn.Sequential(
    torch.nn.Linear(2, 3), torch.nn.Sequential(torch.nn.BatchNorm1d(3), torch.nn.Linear(3, 1))).state_dict()))
one("train_false", lambda torch: (lambda net: (net.train(False).training, net[0].training))(
    torch.nn.Sequential(torch.nn.BatchNorm1d(2))))
one("conv_default_init_bound", lambda torch: (lambda c: (bool(c.weight.abs().max() <= 1 / math.sqrt(3 * 9)),
                                                         bool(c.weight.abs().max() > 0.9 / math.sqrt(3 * 9)),
                                                         bool(c.bias.abs().max() <= 1 / math.sqrt(3 * 9))))(
    torch.nn.Conv2d(3, 64, 3)))
one("batchnorm_defaults", lambda torch: (lambda bn: (bn.weight, bn.bias, bn.running_mean, bn.running_var,
                                                     bn.num_batches_tracked, bn.eps, bn.momentum))(
    torch.nn.BatchNorm2d(3)))


@case
def module_list_operations(torch):
    nn = torch.nn
    layers = nn.ModuleList([nn.Linear(2, 3), nn.ReLU()])
    layers.append(nn.Linear(3, 1))
    layers.insert(1, nn.Tanh())
    layers.extend([nn.Sigmoid()])
    layers += [nn.Identity()]
    del layers[0]
    names = [type(m).__name__ for m in layers]
    return (names, len(layers), type(layers[-1]).__name__, [type(m).__name__ for m in layers[1:3]],
            [n for n, _ in layers.named_parameters()], [n for n, _ in layers.named_children()])


@case
def module_list_in_a_module(torch):
    nn = torch.nn

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.blocks = nn.ModuleList([nn.Linear(2, 2) for _ in range(2)])

    net = Net()
    return [n for n, _ in net.named_parameters()], list(net.state_dict().keys())


one("module_list_index_error", lambda torch: torch.nn.ModuleList([torch.nn.ReLU()])[3])
one("module_list_non_module", lambda torch: torch.nn.ModuleList([torch.nn.ReLU(), 3]))
one("module_list_forward", lambda torch: torch.nn.ModuleList([torch.nn.ReLU()])(T(torch, 2)))
one("module_list_repr", lambda torch: repr(torch.nn.ModuleList([torch.nn.ReLU(), torch.nn.Tanh()])))


@case
def module_dict_operations(torch):
    nn = torch.nn
    heads = nn.ModuleDict({"b": nn.Linear(2, 2), "a": nn.ReLU()})
    heads["c"] = nn.Linear(2, 1)
    heads.update([("d", nn.Tanh())])
    popped = type(heads.pop("a")).__name__
    return (list(heads), list(heads.keys()), [type(m).__name__ for m in heads.values()], "c" in heads, len(heads),
            popped, [n for n, _ in heads.named_parameters()], repr(heads))


one("module_dict_missing_key", lambda torch: torch.nn.ModuleDict({"a": torch.nn.ReLU()})["b"])


@case
def forward_hooks_replace_and_remove(torch):
    layer = torch.nn.Linear(3, 2)
    setw(torch, layer.weight, A(2, 3, seed=1))
    setw(torch, layer.bias, A(2, seed=2))
    seen = []
    pre = layer.register_forward_pre_hook(lambda m, args: (args[0] * 2,))
    post = layer.register_forward_hook(lambda m, args, out: seen.append(tuple(args[0].shape)) or out + 1)
    x = T(torch, 4, 3)
    hooked = layer(x)
    pre.remove()
    post.remove()
    post.remove()
    return hooked, layer(x), seen


@case
def forward_pre_hook_non_tuple_result(torch):
    layer = torch.nn.Linear(3, 2)
    setw(torch, layer.weight, A(2, 3, seed=1))
    setw(torch, layer.bias, A(2, seed=2))
    layer.register_forward_pre_hook(lambda m, args: args[0] * 0)
    return layer(T(torch, 2, 3))


@case
def forward_hook_collects_activations(torch):
    net = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.ReLU())
    setw(torch, net[0].weight, A(4, 3, seed=1))
    setw(torch, net[0].bias, A(4, seed=2))
    store = {}
    net[1].register_forward_hook(lambda m, args, out: store.__setitem__("relu", out))
    net(T(torch, 2, 3))
    return store["relu"]


one("seq_len_index", lambda torch: (lambda net: (len(net), type(net[1]).__name__, type(net[-1]).__name__))(mlp(torch)))
one("seq_slice_type", lambda torch: (lambda s: (type(s).__name__, len(s), type(s[0]).__name__))(mlp(torch)[1:3]))
one("seq_iteration", lambda torch: [type(m).__name__ for m in mlp(torch)])
one("seq_index_out_of_range", lambda torch: mlp(torch)[4])
one("seq_named_parameters", lambda torch: [(n, tuple(p.shape)) for n, p in mlp(torch).named_parameters()])
one("seq_named_modules", lambda torch: [(n, type(m).__name__) for n, m in mlp(torch).named_modules()])
one("seq_named_children", lambda torch: [n for n, _ in mlp(torch).named_children()])
one("seq_children_count", lambda torch: len(list(mlp(torch).children())))
one("seq_param_count", lambda torch: sum(p.numel() for p in mlp(torch).parameters()))
one("seq_param_requires_grad", lambda torch: [p.requires_grad for p in mlp(torch).parameters()])
one("parameter_is_tensor", lambda torch: (isinstance(torch.nn.Parameter(torch.zeros(2)), torch.Tensor),
                                             torch.nn.Parameter(torch.zeros(2)).requires_grad,
                                             torch.nn.Parameter(torch.zeros(2), requires_grad=False).requires_grad))
one("parameter_is_leaf", lambda torch: torch.nn.Parameter(torch.zeros(2)).is_leaf)
one("parameter_arith_is_tensor", lambda torch: type(torch.nn.Parameter(torch.zeros(2)) * 2).__name__)
one("seq_repr", lambda torch: repr(torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.Sigmoid())))
one("train_returns_self", lambda torch: (lambda n: (n.train() is n, n.eval() is n, n.train(False) is n))(mlp(torch)))
one("eval_flags_children", lambda torch: [m.training for m in mlp(torch).eval().modules()])
one("train_false_flags", lambda torch: [m.training for m in mlp(torch).train(False).modules()])
one("apply_returns_self", lambda torch: (lambda n: n.apply(lambda m: None) is n)(mlp(torch)))
one("zero_grad_module", lambda torch: (lambda n: (n(T(torch, 2, 4)).sum().backward(), n.zero_grad(),
                                                     [p.grad is None for p in n.parameters()])[2])(mlp(torch)))
one("module_to_float64", lambda torch: [p.dtype for p in mlp(torch).to(torch.float64).parameters()])
one("module_to_returns_self", lambda torch: (lambda n: n.to(torch.float64) is n)(mlp(torch)))
one("bn_to_double_buffers", lambda torch: [(n, b.dtype) for n, b in torch.nn.BatchNorm2d(2).double().named_buffers()])
one("shared_layer_params_dedup", lambda torch:
    (lambda layer: len(list(torch.nn.Sequential(layer, layer).parameters())))(
    torch.nn.Linear(2, 2)))
one("plain_tensor_attr_not_param", lambda torch: _custom_module_params(torch))


def _custom_module_params(torch):
    class Net(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.w = torch.nn.Parameter(torch.ones(2))
            self.scale = torch.ones(2)
            self.sub = torch.nn.Linear(2, 1)

    net = Net()
    return [n for n, _ in net.named_parameters()], list(net.state_dict().keys())


@case
def init_returns_tensor(torch):
    w = torch.empty(3, 4)
    nn = torch.nn
    return (nn.init.xavier_uniform_(w) is w, nn.init.zeros_(w) is w, nn.init.normal_(w, std=0.01) is w,
            nn.init.constant_(w, 0.5) is w, nn.init.kaiming_normal_(w) is w, nn.init.uniform_(w) is w)


@case
def init_on_parameter_keeps_grad_flag(torch):
    layer = torch.nn.Linear(3, 4)
    torch.nn.init.normal_(layer.weight, std=0.01)
    torch.nn.init.zeros_(layer.bias)
    return layer.weight.requires_grad, layer.bias, layer.weight.is_leaf


@case
def xavier_stats(torch):
    w = torch.empty(300, 200)
    torch.nn.init.xavier_normal_(w)
    return round(float(w.std()) / math.sqrt(2.0 / 500), 1)


@case
def kaiming_uniform_bound(torch):
    w = torch.empty(100, 50)
    torch.nn.init.kaiming_uniform_(w, nonlinearity="relu")
    return round(float(w.abs().max()) / math.sqrt(6.0 / 50), 1)


@case
def linear_init_stats(torch):
    layer = torch.nn.Linear(400, 300)
    bound = 1 / math.sqrt(400)
    return (round(float(layer.weight.abs().max()) / bound, 1), round(float(layer.bias.abs().max()) / bound, 1),
            round(float(layer.weight.std()) / (bound / math.sqrt(3)), 1))


@case
def conv_init_stats(torch):
    torch.manual_seed(0)
    conv = torch.nn.Conv2d(16, 32, 3)
    bound = 1 / math.sqrt(16 * 9)
    # 32 biases: their largest is near the bound but not always above 0.95 of it (it rounded to 0.9 or 1.0)
    return (round(float(conv.weight.abs().max()) / bound, 1), 0.8 < float(conv.bias.abs().max()) / bound <= 1)


one("seq_nested_repr", lambda torch:
    repr(torch.nn.Sequential(torch.nn.Sequential(torch.nn.Linear(2, 2)), torch.nn.ReLU())))
one("seq_del_item", lambda torch: (lambda s: (s.__delitem__(0), len(s), type(s[0]).__name__)[1:])(
    torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.ReLU())))
one("seq_setitem", lambda torch: (lambda s: (s.__setitem__(1, torch.nn.Tanh()), type(s[1]).__name__)[1])(
    torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.ReLU())))
one("seq_insert_extend", lambda torch: (lambda s: (s.insert(0, torch.nn.Tanh()), s.extend([torch.nn.ReLU()]),
                                                     [type(m).__name__ for m in s])[2])(
    torch.nn.Sequential(torch.nn.Linear(2, 2))))
one("module_getattr_missing", lambda torch: torch.nn.Linear(2, 2).nonexistent)
one("module_delattr_param", lambda torch:
    (lambda layer: (delattr(layer, "bias"), [n for n, _ in layer.named_parameters()])[1])(
    torch.nn.Linear(2, 2)))
one("module_set_param_none", lambda torch:
    (lambda layer: (setattr(layer, "bias", None), layer.bias, [n for n, _ in layer.named_parameters()])[1:])(
    torch.nn.Linear(2, 2)))
one("module_assign_tensor_to_param_raises", lambda torch: setattr(torch.nn.Linear(2, 2), "weight", torch.zeros(2, 2)))
one("module_assign_parameter", lambda torch:
    (lambda layer: (setattr(layer, "weight", torch.nn.Parameter(torch.zeros(2, 2))),
                  layer.weight.sum())[1])(torch.nn.Linear(2, 2)))
one("named_buffers_bn", lambda torch: [n for n, _ in torch.nn.Sequential(torch.nn.BatchNorm1d(2)).named_buffers()])
one("buffers_count", lambda torch: len(list(torch.nn.BatchNorm2d(3).buffers())))
one("register_buffer_persistent_false", lambda torch: _buffer_non_persistent(torch))
one("requires_grad_false_module_params", lambda torch:
    [p.requires_grad for p in torch.nn.Linear(2, 2).requires_grad_(False).parameters()])
one("freeze_then_count", lambda torch: _freeze_count(torch))


def _buffer_non_persistent(torch):
    class M(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.register_buffer("a", torch.zeros(1))
            self.register_buffer("b", torch.ones(1), persistent=False)

    m = M()
    return list(m.state_dict()), [n for n, _ in m.named_buffers()]


def _freeze_count(torch):
    net = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Linear(4, 2))
    for p in net[0].parameters():
        p.requires_grad = False
    return sum(p.numel() for p in net.parameters() if p.requires_grad)
