"""Optimisers: SGD (momentum, weight decay, nesterov) and Adam against hand-computed PyTorch formulas."""
import re

import numpy as np
import pytest

import minigrad
from minigrad import nn, optim
from models import lenet_bn, lenet_bn_scratch


def make_params(seed=0, shapes=((3, 2), (2,))):
    rng = np.random.default_rng(seed)
    return [nn.Parameter(minigrad.tensor(rng.standard_normal(s))) for s in shapes]  # float64


def grads_for(step, params, seed=100):
    rng = np.random.default_rng(seed + step)
    return [rng.standard_normal(p.shape) for p in params]


def set_grads(params, grads):
    for p, g in zip(params, grads):
        p.grad = minigrad.tensor(g)


def run(opt, params, steps, seed=100):
    for k in range(steps):
        set_grads(params, grads_for(k, params, seed))
        opt.step()


# ---------------------------------------------------------------------------
# SGD

def test_sgd_step_is_p_minus_lr_g():
    params = make_params()
    start = [p.numpy().copy() for p in params]
    grads = grads_for(0, params)
    set_grads(params, grads)
    optim.SGD(params, lr=0.3).step()
    for p, p0, g in zip(params, start, grads):
        np.testing.assert_allclose(p.numpy(), p0 - 0.3 * g, rtol=0, atol=1e-15)


def test_sgd_float32_parameters_stay_float32():
    p = nn.Parameter(minigrad.ones(3))
    p.grad = minigrad.ones(3)
    optim.SGD([p], lr=0.5, momentum=0.9, weight_decay=0.1).step()
    assert p.dtype == np.float32
    np.testing.assert_allclose(p.numpy(), 1 - 0.5 * 1.1, rtol=1e-6)


@pytest.mark.parametrize("momentum,weight_decay,nesterov", [
    (0.9, 0.0, False), (0.0, 0.01, False), (0.9, 0.01, False), (0.8, 0.05, True)])
def test_sgd_momentum_and_weight_decay_over_three_steps(momentum, weight_decay, nesterov):
    params = make_params()
    lr = 0.1
    ref = [p.numpy().copy() for p in params]
    bufs = [None] * len(params)
    opt = optim.SGD(params, lr=lr, momentum=momentum, weight_decay=weight_decay, nesterov=nesterov)
    for k in range(3):
        grads = grads_for(k, params)
        set_grads(params, grads)
        opt.step()
        # PyTorch: g += wd * p; buf = g (first step) or momentum * buf + g; p -= lr * (g + momentum * buf | buf)
        for i, g in enumerate(grads):
            g = g + weight_decay * ref[i]
            if momentum:
                bufs[i] = g.copy() if bufs[i] is None else momentum * bufs[i] + g
                g = g + momentum * bufs[i] if nesterov else bufs[i]
            ref[i] = ref[i] - lr * g
        for p, r in zip(params, ref):
            np.testing.assert_allclose(p.numpy(), r, rtol=1e-13, atol=1e-15)
    if momentum:
        np.testing.assert_allclose(opt.state_dict()["state"][0]["momentum_buffer"], bufs[0], rtol=1e-13)


def test_sgd_skips_parameters_without_grad_and_param_groups():
    a, b, c = make_params(shapes=((2,), (2,), (2,)))
    a0, b0, c0 = a.numpy().copy(), b.numpy().copy(), c.numpy().copy()
    opt = optim.SGD([{"params": [a]}, {"params": [b, c], "lr": 1.0}], lr=0.1)
    assert opt.param_groups[0]["lr"] == 0.1 and opt.param_groups[1]["lr"] == 1.0
    a.grad = minigrad.tensor(np.ones(2))
    b.grad = minigrad.tensor(np.ones(2))
    opt.step()
    np.testing.assert_allclose(a.numpy(), a0 - 0.1)
    np.testing.assert_allclose(b.numpy(), b0 - 1.0)
    np.testing.assert_array_equal(c.numpy(), c0)


def test_sgd_bad_arguments():
    p = make_params()
    with pytest.raises(ValueError, match="lr"):
        optim.SGD(p, lr=-0.1)
    with pytest.raises(ValueError, match="empty"):
        optim.SGD([], lr=0.1)
    with pytest.raises(TypeError, match="require grad"):
        optim.SGD([minigrad.zeros(2)], lr=0.1)


# ---------------------------------------------------------------------------
# Adam

@pytest.mark.parametrize("weight_decay", [0.0, 0.01])
def test_adam_against_numpy_reference_over_three_steps(weight_decay):
    params = make_params(1)
    lr, (b1, b2), eps = 0.01, (0.9, 0.999), 1e-8
    ref = [p.numpy().copy() for p in params]
    m = [np.zeros_like(r) for r in ref]
    v = [np.zeros_like(r) for r in ref]
    opt = optim.Adam(params, lr=lr, betas=(b1, b2), eps=eps, weight_decay=weight_decay)
    for t in range(1, 4):
        grads = grads_for(t, params)
        set_grads(params, grads)
        opt.step()
        for i, g in enumerate(grads):
            g = g + weight_decay * ref[i]
            m[i] = b1 * m[i] + (1 - b1) * g
            v[i] = b2 * v[i] + (1 - b2) * g * g
            m_hat = m[i] / (1 - b1 ** t)
            v_hat = v[i] / (1 - b2 ** t)
            ref[i] = ref[i] - lr * m_hat / (np.sqrt(v_hat) + eps)
        for p, r in zip(params, ref):
            np.testing.assert_allclose(p.numpy(), r, rtol=1e-12, atol=1e-14)
    state = opt.state_dict()["state"]
    assert state[0]["step"] == 3
    np.testing.assert_allclose(state[0]["exp_avg"], m[0], rtol=1e-12)
    np.testing.assert_allclose(state[1]["exp_avg_sq"], v[1], rtol=1e-12)


def test_adam_first_step_moves_each_coordinate_by_lr():
    # bias correction: after one step m_hat / sqrt(v_hat) = sign(g)
    p = nn.Parameter(minigrad.tensor(np.zeros(4)))
    p.grad = minigrad.tensor(np.array([3.0, -0.01, 50.0, -2.0]))
    optim.Adam([p], lr=0.05).step()
    np.testing.assert_allclose(p.numpy(), [-0.05, 0.05, -0.05, 0.05], rtol=1e-5)


def test_adam_bad_betas():
    with pytest.raises(ValueError, match="betas"):
        optim.Adam(make_params(), betas=(0.9, 1.0))


# ---------------------------------------------------------------------------
# state_dict / load_state_dict, zero_grad

@pytest.mark.parametrize("make_opt", [
    lambda ps: optim.SGD(ps, lr=0.1, momentum=0.9, weight_decay=0.01),
    lambda ps: optim.Adam(ps, lr=0.01),
])
@pytest.mark.parametrize("through_file", [False, True])
def test_state_dict_round_trip_continues_identically(make_opt, through_file, tmp_path):
    params1 = make_params(2)
    opt1 = make_opt(params1)
    run(opt1, params1, 2)
    sd = opt1.state_dict()
    assert sorted(sd["state"]) == [0, 1]
    snapshot = {i: {k: np.array(v, copy=True) for k, v in s.items()} for i, s in sd["state"].items()}
    if through_file:
        minigrad.save(sd, tmp_path / "opt.npz")
        sd = minigrad.load(tmp_path / "opt.npz")
        assert sorted(sd["state"]) == [0, 1]  # int keys survive

    params2 = make_params(99)  # other values, then the checkpointed ones
    for p2, p1 in zip(params2, params1):
        p2.array[...] = p1.array
    opt2 = make_opt(params2)
    opt2.load_state_dict(sd)
    assert opt2.param_groups[0]["lr"] == opt1.param_groups[0]["lr"]

    for k in range(2, 5):  # same gradients for both
        grads = grads_for(k, params1)
        set_grads(params1, grads)
        set_grads(params2, grads)
        opt1.step()
        opt2.step()
    for p1, p2 in zip(params1, params2):
        np.testing.assert_array_equal(p1.numpy(), p2.numpy())
    # the state_dict was a snapshot: further steps did not change it
    for i, s in snapshot.items():
        for k, v in s.items():
            np.testing.assert_array_equal(np.asarray(sd["state"][i][k]), v)


def test_state_dict_round_trip_with_a_scalar_parameter():
    p1 = nn.Parameter(minigrad.tensor(np.array(1.0)))
    opt1 = optim.SGD([p1], lr=0.1, momentum=0.9)
    p1.grad = minigrad.tensor(np.array(2.0))
    opt1.step()
    p2 = nn.Parameter(minigrad.tensor(p1.numpy().copy()))
    opt2 = optim.SGD([p2], lr=0.1, momentum=0.9)
    opt2.load_state_dict(opt1.state_dict())
    for g in (1.0, -3.0):
        p1.grad = minigrad.tensor(np.array(g))
        p2.grad = minigrad.tensor(np.array(g))
        opt1.step()
        opt2.step()
    # buf: 2 -> 0.9*2 + 1 = 2.8 -> 0.9*2.8 - 3 = -0.48; p: 1 - 0.2 - 0.28 + 0.048
    assert p1.item() == pytest.approx(0.568, abs=1e-12)
    assert p2.item() == p1.item()


def test_load_state_dict_restores_hyper_parameters_and_checks_sizes():
    opt1 = optim.SGD(make_params(), lr=0.5, momentum=0.7)
    opt2 = optim.SGD(make_params(), lr=0.1)
    opt2.load_state_dict(opt1.state_dict())
    assert opt2.param_groups[0]["lr"] == 0.5 and opt2.param_groups[0]["momentum"] == 0.7
    opt3 = optim.SGD(make_params(shapes=((2,),)), lr=0.1)
    with pytest.raises(ValueError, match="sizes"):
        opt3.load_state_dict(opt1.state_dict())


def test_optimizer_zero_grad():
    params = make_params()
    set_grads(params, grads_for(0, params))
    opt = optim.SGD(params, lr=0.1)
    opt.zero_grad(set_to_none=False)
    assert all(p.grad is not None and np.all(p.grad.numpy() == 0) for p in params)
    opt.zero_grad()
    assert all(p.grad is None for p in params)
    before = [p.numpy().copy() for p in params]
    opt.step()  # no gradients: nothing moves, nothing fails
    for p, b in zip(params, before):
        np.testing.assert_array_equal(p.numpy(), b)
    momentum = optim.SGD(params, lr=0.1, momentum=0.9)
    set_grads(params, grads_for(1, params))
    momentum.step()
    momentum.zero_grad()
    after_one = [p.numpy().copy() for p in params]
    assert all(not np.array_equal(a, b) for a, b in zip(after_one, before))
    momentum.step()  # a momentum buffer alone does not move a parameter whose gradient is gone (as PyTorch)
    for p, b in zip(params, after_one):
        np.testing.assert_array_equal(p.numpy(), b)


# ---------------------------------------------------------------------------
# Training LeNet-BN on a fixed batch

@pytest.mark.parametrize("make_net", [lenet_bn_scratch, lenet_bn])
def test_training_steps_lower_the_loss(make_net):
    minigrad.manual_seed(0)
    rng = np.random.default_rng(0)
    net = make_net()
    x = minigrad.tensor(rng.random((16, 1, 28, 28)).astype(np.float32))
    y = minigrad.tensor(rng.integers(0, 10, 16))
    loss_fn = nn.CrossEntropyLoss()
    opt = optim.SGD(net.parameters(), lr=0.5)
    losses = []
    for _ in range(5):
        loss = loss_fn(net(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert all(np.isfinite(losses))
    assert losses[-1] < losses[0] * 0.8, losses
    assert all(b < a for a, b in zip(losses, losses[1:])), losses
    # every parameter received a gradient and moved
    assert all(p.grad is not None and np.abs(p.grad.numpy()).max() > 0 for p in net.parameters())


@pytest.mark.gpu
@pytest.mark.skipif(not minigrad.cuda.is_available(), reason="CUDA (CuPy and a GPU) is not available")
def test_optimizer_state_moves_to_the_parameters_device():
    cpu_params = make_params(3)
    gpu_params = [nn.Parameter(minigrad.tensor(p.numpy(), device="cuda")) for p in cpu_params]
    cpu_opt = optim.Adam(cpu_params, lr=0.01)
    gpu_opt = optim.Adam(gpu_params, lr=0.01)
    for k in range(2):
        grads = grads_for(k, cpu_params)
        set_grads(cpu_params, grads)
        for p, g in zip(gpu_params, grads):
            p.grad = minigrad.tensor(g, device="cuda")
        cpu_opt.step()
        gpu_opt.step()
    for pc, pg in zip(cpu_params, gpu_params):
        assert pg.device == "cuda:0"
        np.testing.assert_allclose(pg.numpy(), pc.numpy(), rtol=1e-12, atol=1e-14)
    sd = gpu_opt.state_dict()
    assert isinstance(sd["state"][0]["exp_avg"], np.ndarray)  # saved as NumPy
    other = [nn.Parameter(minigrad.tensor(p.numpy(), device="cuda")) for p in gpu_params]
    opt = optim.Adam(other, lr=0.01)
    opt.load_state_dict(cpu_opt.state_dict())
    grads = grads_for(5, cpu_params)
    for p, g in zip(other, grads):
        p.grad = minigrad.tensor(g, device="cuda")
    set_grads(cpu_params, grads)
    opt.step()
    cpu_opt.step()
    for pc, po in zip(cpu_params, other):
        assert po.device == "cuda:0"
        np.testing.assert_allclose(po.numpy(), pc.numpy(), rtol=1e-12, atol=1e-14)


# ---------------------------------------------------------------------------
# Arguments, groups and state as PyTorch keeps them (each test kills mutants that survived: docs/testing.md)

@pytest.mark.parametrize("make,message", [
    (lambda ps: optim.SGD(ps, lr=-1), "Invalid learning rate: -1 (lr must be in [0, inf))"),
    (lambda ps: optim.SGD(ps, lr=0.1, momentum=-1), "Invalid momentum value: -1 (momentum must be in [0, inf))"),
    (lambda ps: optim.SGD(ps, lr=0.1, dampening=-1), "Invalid dampening value: -1 (dampening must be in [0, inf))"),
    (lambda ps: optim.SGD(ps, lr=0.1, weight_decay=-1),
     "Invalid weight_decay value: -1 (weight_decay must be in [0, inf))"),
    (lambda ps: optim.Adam(ps, eps=0), "Invalid epsilon value: 0 (eps must be in (0, inf))"),
    (lambda ps: optim.Adam(ps, betas=(0.9, 1.0)), "Invalid beta parameter at index 1: 1.0 (betas must be in [0, 1))"),
    (lambda ps: optim.Adam(ps, betas=(-0.1, 0.9)), "Invalid beta parameter at index 0: -0.1 (betas must be in [0, 1))"),
])
def test_hyper_parameter_errors_name_the_value_and_its_interval(make, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        make(make_params())


def test_param_groups_hold_exactly_the_hyper_parameters_and_adam_has_pytorchs_defaults():
    sgd = optim.SGD(make_params(), lr=1)
    assert sorted(sgd.param_groups[0]) == ["dampening", "lr", "momentum", "nesterov", "params", "weight_decay"]
    assert sorted(sgd.state_dict()["param_groups"][0]) == sorted(sgd.param_groups[0])
    adam = optim.Adam(make_params(), betas=[0.8, 0.9])
    assert sorted(adam.param_groups[0]) == ["betas", "eps", "lr", "params", "weight_decay"]
    assert tuple(adam.param_groups[0]["betas"]) == (0.8, 0.9)
    assert optim.Adam(make_params()).defaults == {"lr": 1e-3, "betas": (0.9, 0.999), "eps": 1e-8, "weight_decay": 0.0}


def test_adam_defaults_take_a_step_of_lr_1e_3():
    params = make_params()
    before = [p.numpy().copy() for p in params]
    set_grads(params, grads_for(0, params))
    optim.Adam(params).step()
    for p, b, g in zip(params, before, grads_for(0, params)):
        np.testing.assert_allclose(p.numpy(), b - 1e-3 * np.sign(g), rtol=0, atol=1e-9)


def test_add_param_group_checks_its_argument_and_takes_a_single_tensor():
    opt = optim.SGD(make_params(), lr=0.1)
    for bad in ({"lr": 0.1}, [1]):
        with pytest.raises(TypeError, match=re.escape(f"a parameter group must be a dict with a 'params' entry, "
                                                      f"got {bad!r}")):
            opt.add_param_group(bad)
    extra = make_params(seed=3, shapes=((4,),))[0]
    opt.add_param_group({"params": extra, "lr": 0.5})
    assert opt.param_groups[1]["params"] == [extra] and opt.param_groups[1]["lr"] == 0.5
    extra.grad = minigrad.tensor(np.ones(4))
    before = extra.numpy().copy()
    opt.step()
    np.testing.assert_allclose(extra.numpy(), before - 0.5)


def test_bad_parameters_are_named_in_the_error():
    with pytest.raises(TypeError, match="optimizer can only optimise tensors that require grad, got Tensor$"):
        optim.SGD([minigrad.tensor(np.ones(2))], lr=0.1)
    leaf = nn.Parameter(minigrad.tensor(np.ones(2)))
    with pytest.raises(ValueError, match=re.escape("can't optimize a non-leaf Tensor (one computed from others, "
                                                   "grad_fn=<MulBackward>): optimise the leaf it came from")):
        optim.SGD([leaf * 2], lr=0.1)


def test_load_state_dict_rejects_other_objects_naming_them():
    opt = optim.SGD(make_params(), lr=0.1)
    expects = ("optimizer.load_state_dict expects the dict that optimizer.state_dict() returns "
               "(with 'state' and 'param_groups'), got ")
    with pytest.raises(TypeError, match=re.escape(expects + "dict with keys ['a']") + "$"):
        opt.load_state_dict({"a": 1})
    with pytest.raises(TypeError, match=re.escape(expects + "int") + "$"):
        opt.load_state_dict(3)


def test_loaded_state_keeps_the_parameters_dtype_and_a_step_bumps_the_version_by_one():
    params = [nn.Parameter(minigrad.tensor(np.ones(3, dtype=np.float32)))]
    opt = optim.SGD(params, lr=0.1, momentum=0.9)
    params[0].grad = minigrad.tensor(np.ones(3, dtype=np.float32))
    version = params[0]._version
    opt.step()
    opt.step()
    assert params[0]._version == version + 2  # one in-place change per step, as torch's _version counts
    fresh = optim.SGD(params, lr=0.1, momentum=0.9)
    fresh.load_state_dict(opt.state_dict())
    fresh.step()
    assert fresh.state_dict()["state"][0]["momentum_buffer"].dtype == np.float32


def test_sgd_dampening_scales_the_new_gradient_after_the_first_step():
    """PyTorch: buf = g on the first step, then buf = momentum * buf + (1 - dampening) * g."""
    params = make_params()
    opt = optim.SGD(params, lr=0.1, momentum=0.9, dampening=0.5)
    before = [p.numpy().copy() for p in params]
    g0, g1 = grads_for(0, params), grads_for(1, params)
    set_grads(params, g0)
    opt.step()
    set_grads(params, g1)
    opt.step()
    for p, b, a, c in zip(params, before, g0, g1):
        np.testing.assert_allclose(p.numpy(), b - 0.1 * a - 0.1 * (0.9 * a + 0.5 * c), rtol=1e-12)


def test_state_is_keyed_by_parameter_and_holds_tensors_as_pytorch():
    # torch: opt.state[p]["momentum_buffer"], ["exp_avg"], ["exp_avg_sq"] are Tensors updated in place
    params = make_params(4)
    sgd = optim.SGD(params, lr=0.1, momentum=0.9)
    run(sgd, params, 2)
    g0, g1 = grads_for(0, params)[0], grads_for(1, params)[0]
    buf = sgd.state[params[0]]["momentum_buffer"]
    assert isinstance(buf, minigrad.Tensor) and sorted(sgd.state[params[0]]) == ["momentum_buffer"]
    np.testing.assert_allclose(buf.numpy(), 0.9 * g0 + g1, rtol=1e-12)
    params = make_params(5)
    adam = optim.Adam(params, lr=0.1)
    run(adam, params, 3)
    state = adam.state[params[1]]
    assert sorted(state) == ["exp_avg", "exp_avg_sq", "step"] and state["step"] == 3
    grads = [grads_for(k, params)[1] for k in range(3)]
    np.testing.assert_allclose(state["exp_avg"].numpy(), 0.1 * (0.81 * grads[0] + 0.9 * grads[1] + grads[2]),
                               rtol=1e-12)
    np.testing.assert_allclose(state["exp_avg_sq"].numpy(),
                               0.001 * (0.999 ** 2 * grads[0] ** 2 + 0.999 * grads[1] ** 2 + grads[2] ** 2),
                               rtol=1e-12)
    assert sorted(adam.state_dict()["state"]) == [0, 1]  # the saved form is still by index


def test_sgd_lr_defaults_to_1e_3_as_in_pytorch():
    assert optim.SGD(make_params()).defaults["lr"] == 1e-3


def test_load_state_dict_names_state_for_a_parameter_it_does_not_have():
    params = make_params(shapes=((3,),))
    opt = optim.Adam(params)
    set_grads(params, grads_for(0, params))
    opt.step()
    state = opt.state_dict()
    state["state"][1] = state["state"][0]
    with pytest.raises(ValueError, match=re.escape("optimizer state_dict has state for parameter(s) [1], this "
                                                   "optimizer has 1 parameters")):
        optim.Adam(make_params(shapes=((3,),))).load_state_dict(state)
