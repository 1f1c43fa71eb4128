"""Parity idioms: state_dict, load_state_dict, deepcopy, save and load of modules and optimisers."""
from .common import A, T, mlp, setw
from .compare import Idioms, test_idiom  # noqa: F401  (test_idiom runs once per idiom of this module)

idioms = Idioms()
one, case = idioms.one, idioms.case


one("batchnorm_state_dict_keys", lambda torch: list(torch.nn.BatchNorm2d(3).state_dict().keys()))
one("state_dict_keys", lambda torch: list(torch.nn.Sequential(
    torch.nn.Conv2d(1, 2, 3), torch.nn.BatchNorm2d(2), torch.nn.Flatten(), torch.nn.Linear(2, 1)).state_dict()))


@case
def load_state_dict_roundtrip(torch):
    a, b = torch.nn.Linear(3, 2), torch.nn.Linear(3, 2)
    setw(torch, a.weight, A(2, 3, seed=1))
    result = b.load_state_dict(a.state_dict())
    return b.weight, list(result.missing_keys), list(result.unexpected_keys)


@case
def load_state_dict_missing_raises(torch):
    torch.nn.Linear(3, 2).load_state_dict({"weight": torch.zeros(2, 3)})


@case
def load_state_dict_non_strict(torch):
    r = torch.nn.Linear(3, 2).load_state_dict({"weight": torch.zeros(2, 3)}, strict=False)
    return list(r.missing_keys), list(r.unexpected_keys)


@case
def state_dict_shares_memory(torch):
    net = torch.nn.Linear(2, 2)
    setw(torch, net.weight, A(2, 2, seed=1))
    sd = net.state_dict()
    sd["weight"].fill_(3.0)
    return net.weight, sd["weight"].requires_grad


@case
def deepcopy_module(torch):
    import copy
    net = torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.BatchNorm1d(2))
    setw(torch, net[0].weight, A(2, 2, seed=1))
    twin = copy.deepcopy(net)
    with torch.no_grad():
        net[0].weight.fill_(0.0)
    return twin[0].weight, net[0].weight, twin[0].weight is not net[0].weight


@case
def save_load_roundtrip(torch):
    import os
    import tempfile
    net = torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.BatchNorm1d(2))
    setw(torch, net[0].weight, A(2, 2, seed=1))
    setw(torch, net[0].bias, A(2, seed=2))
    net(T(torch, 4, 2))
    path = os.path.join(tempfile.mkdtemp(), "net.pt")
    torch.save(net.state_dict(), path)
    other = torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.BatchNorm1d(2))
    other.load_state_dict(torch.load(path))
    return other[0].weight, other[1].running_mean, other[1].num_batches_tracked


one("seq_state_dict_keys", lambda torch: list(mlp(torch).state_dict().keys()))
one("shared_layer_state_dict", lambda torch:
    (lambda layer: list(torch.nn.Sequential(layer, layer).state_dict().keys()))(
    torch.nn.Linear(2, 2)))


@case
def load_state_dict_unexpected_raises(torch):
    net = torch.nn.Linear(2, 2)
    sd = dict(net.state_dict())
    sd["extra"] = torch.zeros(1)
    net.load_state_dict(sd)


@case
def load_state_dict_shape_mismatch_raises(torch):
    net = torch.nn.Linear(2, 2)
    net.load_state_dict({"weight": torch.zeros(3, 2), "bias": torch.zeros(2)})


@case
def load_state_dict_non_strict_result(torch):
    net = torch.nn.Linear(2, 2)
    result = net.load_state_dict({"weight": torch.zeros(2, 2), "extra": torch.zeros(1)}, strict=False)
    return list(result.missing_keys), list(result.unexpected_keys), net.weight


@case
def load_state_dict_copies(torch):
    a, b = torch.nn.Linear(2, 2), torch.nn.Linear(2, 2)
    b.load_state_dict(a.state_dict())
    with torch.no_grad():
        a.weight.fill_(3.0)
    return bool(torch.equal(a.weight, b.weight)), b.weight.requires_grad


@case
def state_dict_values_detached(torch):
    net = torch.nn.Linear(2, 2)
    return [v.requires_grad for v in net.state_dict().values()]


@case
def optimizer_state_dict_roundtrip(torch):
    p = torch.nn.Parameter(torch.ones(2))
    opt = torch.optim.SGD([p], lr=0.1, momentum=0.9)
    p.grad = torch.ones(2)
    opt.step()
    sd = opt.state_dict()
    opt2 = torch.optim.SGD([p], lr=0.5, momentum=0.9)
    opt2.load_state_dict(sd)
    return opt2.param_groups[0]["lr"], sorted(sd.keys()), sd["state"][0]["momentum_buffer"]


one("ce_module_weight_state_dict", lambda torch: list(torch.nn.CrossEntropyLoss(weight=torch.ones(3)).state_dict()))
one("state_dict_save_load_values", lambda torch: _state_copy(torch))


def _state_copy(torch):
    src, dst = torch.nn.Linear(2, 2), torch.nn.Linear(2, 2)
    setw(torch, src.weight, A(2, 2, seed=4))
    sd = {k: v.clone() for k, v in src.state_dict().items()}
    dst.load_state_dict(sd)
    return dst.weight, dst.bias.requires_grad
