"""Parity idioms: Optimisers (SGD, Adam, parameter groups, state) and gradient clipping."""
from .common import A, T, setw
from .compare import Idioms, test_idiom  # noqa: F401  (test_idiom runs once per idiom of this module)

idioms = Idioms()
one, case = idioms.one, idioms.case


def _quadratic_param(torch):
    p = torch.nn.Parameter(torch.tensor(A(3, seed=5)))
    return p, torch.tensor(A(3, seed=6))


def _run_steps(torch, make_opt, steps=3):
    p, target = _quadratic_param(torch)
    opt = make_opt([p])
    for _ in range(steps):
        opt.zero_grad()
        ((p - target) ** 2).sum().backward()
        opt.step()
    return p


one("sgd_steps", lambda torch: _run_steps(torch, lambda ps: torch.optim.SGD(ps, lr=0.1)))
one("sgd_momentum", lambda torch: _run_steps(torch, lambda ps: torch.optim.SGD(ps, lr=0.1, momentum=0.9)))
one("sgd_nesterov_wd", lambda torch: _run_steps(torch, lambda ps: torch.optim.SGD(
    ps, lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.01)))
one("sgd_dampening", lambda torch: _run_steps(torch, lambda ps: torch.optim.SGD(ps, lr=0.1, momentum=0.5,
                                                                                   dampening=0.3)))
one("adam_steps", lambda torch: _run_steps(torch, lambda ps: torch.optim.Adam(ps, lr=0.01)))
one("adam_betas_wd", lambda torch: _run_steps(torch, lambda ps: torch.optim.Adam(
    ps, lr=0.01, betas=(0.8, 0.9), weight_decay=0.1)))
one("adam_amsgrad", lambda torch: _run_steps(torch, lambda ps: torch.optim.Adam(ps, lr=0.01, amsgrad=True)))
one("adamw", lambda torch: _run_steps(torch, lambda ps: torch.optim.AdamW(ps, lr=0.01)))
one("sgd_negative_lr_raises", lambda torch: torch.optim.SGD([torch.nn.Parameter(torch.zeros(2))], lr=-1))


@case
def optimizer_zero_grad_none(torch):
    p, target = _quadratic_param(torch)
    opt = torch.optim.SGD([p], lr=0.1)
    ((p - target) ** 2).sum().backward()
    opt.zero_grad()
    return p.grad is None


@case
def optimizer_param_groups_lr(torch):
    p, target = _quadratic_param(torch)
    opt = torch.optim.SGD([p], lr=0.1)
    lr0 = opt.param_groups[0]["lr"]
    for group in opt.param_groups:
        group["lr"] = 0.5
    ((p - target) ** 2).sum().backward()
    opt.step()
    return lr0, p


@case
def optimizer_state_dict_keys(torch):
    p, target = _quadratic_param(torch)
    opt = torch.optim.Adam([p], lr=0.1)
    ((p - target) ** 2).sum().backward()
    opt.step()
    state = opt.state_dict()
    return sorted(state), sorted(state["param_groups"][0]["params"])


@case
def sgd_skips_params_without_grad(torch):
    p, q = torch.nn.Parameter(torch.ones(2)), torch.nn.Parameter(torch.ones(2))
    opt = torch.optim.SGD([p, q], lr=0.1, momentum=0.9)
    (p * 2).sum().backward()
    opt.step()
    return p, q


@case
def sgd_from_scratch(torch):
    w = torch.normal(0, 0.01, size=(3, 1), requires_grad=True)
    with torch.no_grad():
        w.zero_()
    b = torch.zeros(1, requires_grad=True)
    X, y = T(torch, 8, 3), T(torch, 8, 1, seed=1)
    for _ in range(3):
        loss = ((torch.matmul(X, w) + b - y.reshape(-1, 1)) ** 2 / 2).sum()
        loss.backward()
        with torch.no_grad():
            for param in [w, b]:
                param -= 0.1 * param.grad / 8
                param.grad.zero_()
    return w, b


one("sgd_positional_lr", lambda torch: _run_steps(torch, lambda ps: torch.optim.SGD(ps, 0.1)))
one("adam_eps", lambda torch: _run_steps(torch, lambda ps: torch.optim.Adam(ps, lr=0.01, eps=1e-3)))


@case
def optimizer_param_groups(torch):
    p, q = torch.nn.Parameter(torch.ones(2)), torch.nn.Parameter(torch.ones(2))
    opt = torch.optim.SGD([{"params": [p], "lr": 0.01}, {"params": [q]}], lr=0.1)
    (p * 3 + q * 3).sum().backward()
    opt.step()
    return p, q, [g["lr"] for g in opt.param_groups]


@case
def zero_grad_set_to_none_false(torch):
    net = torch.nn.Linear(2, 1)
    opt = torch.optim.SGD(net.parameters(), lr=0.1)
    net(T(torch, 3, 2)).sum().backward()
    opt.zero_grad(set_to_none=False)
    net.zero_grad(set_to_none=False)
    return net.weight.grad


@case
def add_param_group(torch):
    p, q = torch.nn.Parameter(torch.ones(2)), torch.nn.Parameter(torch.ones(2))
    opt = torch.optim.SGD([p], lr=0.1)
    opt.add_param_group({"params": [q], "lr": 0.5})
    (p.sum() + q.sum()).backward()
    opt.step()
    return p, q, len(opt.param_groups)


@case
def sgd_momentum_state(torch):
    p, target = _quadratic_param(torch)
    opt = torch.optim.SGD([p], lr=0.1, momentum=0.9)
    for _ in range(2):
        opt.zero_grad()
        ((p - target) ** 2).sum().backward()
        opt.step()
    return sorted(opt.state[p]), opt.state[p]["momentum_buffer"]


@case
def adam_state(torch):
    p, target = _quadratic_param(torch)
    opt = torch.optim.Adam([p], lr=0.1)
    for _ in range(3):
        opt.zero_grad()
        ((p - target) ** 2).sum().backward()
        opt.step()
    state = opt.state[p]
    return sorted(state), state["exp_avg"], state["exp_avg_sq"], float(state["step"])


one("sgd_default_lr", lambda torch: torch.optim.SGD([torch.nn.Parameter(torch.zeros(2))]).param_groups[0]["lr"])
one("adam_default_lr", lambda torch: torch.optim.Adam([torch.nn.Parameter(torch.zeros(2))]).param_groups[0]["lr"])
one("optimizer_param_group_params", lambda torch:
    (lambda p: torch.optim.SGD([p], lr=0.1).param_groups[0]["params"][0] is p)(
    torch.nn.Parameter(torch.zeros(2))))
one("optimizer_defaults_momentum", lambda torch:
    torch.optim.SGD([torch.nn.Parameter(torch.zeros(2))], lr=0.1).defaults["momentum"])
one("sgd_non_param_tensor_raises", lambda torch: torch.optim.SGD([torch.zeros(2)], lr=0.1))
one("sgd_empty_params_raises", lambda torch: torch.optim.SGD([], lr=0.1))


@case
def sgd_lr_edit_takes_effect(torch):
    p = torch.nn.Parameter(torch.ones(2))
    opt = torch.optim.SGD([p], lr=0.1)
    p.grad = torch.ones(2)
    opt.step()
    for g in opt.param_groups:
        g["lr"] = 1.0
    opt.step()
    return p


@case
def sgd_weight_decay_step(torch):
    p = torch.nn.Parameter(torch.tensor([1.0, -2.0]))
    opt = torch.optim.SGD([p], lr=0.1, weight_decay=0.5)
    p.grad = torch.tensor([0.5, 0.5])
    opt.step()
    return p


@case
def zero_grad_default_none(torch):
    p = torch.nn.Parameter(torch.ones(2))
    opt = torch.optim.SGD([p], lr=0.1)
    p.grad = torch.ones(2)
    opt.zero_grad()
    return p.grad


one("adam_step_values", lambda torch: _adam_two_steps(torch))
one("adam_weight_decay_l2", lambda torch: _adam_two_steps(torch, weight_decay=0.1))
one("sgd_momentum_first_step", lambda torch: _sgd_momentum(torch))
one("param_groups_two_lrs", lambda torch: _two_groups(torch))
one("optimizer_zero_grad_after_no_backward", lambda torch:
    (lambda p: (torch.optim.SGD([p], lr=1).zero_grad(), p.grad)[1])(
    torch.nn.Parameter(torch.ones(1))))
one("optimizer_repr_type", lambda torch: type(torch.optim.SGD([torch.nn.Parameter(torch.ones(1))], lr=1)).__name__)
one("optimizer_state_empty", lambda torch: len(torch.optim.SGD([torch.nn.Parameter(torch.ones(1))], lr=1).state))
one("lr_negative_raises", lambda torch: torch.optim.Adam([torch.nn.Parameter(torch.ones(1))], lr=-1))
one("adam_betas_bad", lambda torch: torch.optim.Adam([torch.nn.Parameter(torch.ones(1))], betas=(1.0, 0.999)))
one("grad_accum_over_microbatches", lambda torch: _microbatches(torch))


def _adam_two_steps(torch, **kw):
    p = torch.nn.Parameter(torch.tensor(A(3, seed=1)))
    opt = torch.optim.Adam([p], lr=0.1, **kw)
    for seed in (2, 3):
        opt.zero_grad()
        (p * torch.tensor(A(3, seed=seed))).sum().backward()
        opt.step()
    return p


def _sgd_momentum(torch):
    p = torch.nn.Parameter(torch.tensor([1.0, 2.0]))
    opt = torch.optim.SGD([p], lr=0.1, momentum=0.9, dampening=0.5)
    for _ in range(3):
        p.grad = torch.tensor([1.0, -1.0])
        opt.step()
    return p


def _two_groups(torch):
    a, b = torch.nn.Parameter(torch.ones(2)), torch.nn.Parameter(torch.ones(2))
    opt = torch.optim.SGD([{"params": [a]}, {"params": [b], "lr": 0.5}], lr=0.1, momentum=0.0)
    a.grad, b.grad = torch.ones(2), torch.ones(2)
    opt.step()
    return a, b, [g["lr"] for g in opt.param_groups]


def _microbatches(torch):
    layer = torch.nn.Linear(3, 1)
    setw(torch, layer.weight, A(1, 3, seed=1))
    setw(torch, layer.bias, A(1, seed=2))
    opt = torch.optim.SGD(layer.parameters(), lr=0.1)
    opt.zero_grad()
    for seed in range(3):
        loss = (layer(T(torch, 4, 3, seed=seed)) ** 2).mean() / 3
        loss.backward()
    grads = (layer.weight.grad.clone(), layer.bias.grad.clone())
    opt.step()
    return grads, layer.weight


def _clipped(torch, max_norm, norm_type=2.0, grads=((3.0, -4.0, 0.5), (0.0, 12.0), None), **kw):
    params = []
    for g in grads:
        p = torch.zeros(2 if g is None else len(g), requires_grad=True)
        if g is not None:
            p.grad = torch.tensor(g)
        params.append(p)
    total = torch.nn.utils.clip_grad_norm_(params, max_norm, norm_type, **kw)
    return total, [p.grad for p in params]


def _clip_value(torch):
    p = torch.zeros(3, requires_grad=True)
    p.grad = torch.tensor([3.0, -4.0, 0.5])
    return torch.nn.utils.clip_grad_value_([p], 1.0), p.grad


for _name, _args in (("l2", (1.0,)), ("inf", (10.0, "inf")), ("l1_small", (100.0, 1)), ("p3", (0.5, 3.0)),
                     ("zero_norm", (10.0, 0)), ("neg_max_norm", (-1.0,))):
    one(f"clip_grad_norm_{_name}", lambda torch, a=_args: _clipped(torch, *a))

one("clip_grad_norm_no_grads", lambda torch: _clipped(torch, 1.0, grads=(None,)))
one("clip_grad_norm_tensor_param", lambda torch: (lambda p: (torch.nn.utils.clip_grad_norm_(p, 0.1), p.grad))(
    (lambda p: (setattr(p, "grad", torch.tensor([0.3, 0.4])), p)[1])(torch.zeros(2, requires_grad=True))))
one("clip_grad_norm_nan_error", lambda torch: _clipped(torch, 1.0, grads=((1.0, float("nan")),),
                                                          error_if_nonfinite=True))
one("clip_grad_norm_nan", lambda torch: _clipped(torch, 1.0, grads=((1.0, float("nan")),)))
one("clip_grad_norm_foreach_false", lambda torch: _clipped(torch, 1.0, foreach=False))
one("clip_grad_norm_bad_norm_type", lambda torch: _clipped(torch, 1.0, "x"))
one("clip_grad_value", _clip_value)
