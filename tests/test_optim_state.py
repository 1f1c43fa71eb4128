"""Optimizer.load_state_dict of another optimiser's state or of a damaged one: refused at load, naming what is
wrong, with PyTorch's exception and message where PyTorch raises at load (recorded from PyTorch 2.13 in the
comments), and before anything changes. PyTorch accepts the rest and fails, or steps wrongly, later."""
import copy
import re

import numpy as np
import pytest

import minigrad
from minigrad import nn, optim


def params(shapes=((3, 2), (2,))):
    rng = np.random.default_rng(0)
    return [nn.Parameter(minigrad.tensor(rng.standard_normal(s))) for s in shapes]


def stepped(make):
    ps = params()
    opt = make(ps)
    for p in ps:
        p.grad = minigrad.ones(*p.shape, dtype=p.dtype)
    opt.step()
    return opt.state_dict()


def sgd(ps):
    return optim.SGD(ps, lr=0.1, momentum=0.9)


def adam(ps):
    return optim.Adam(ps, lr=0.1)


def edited(make, edit):
    state_dict = copy.deepcopy(stepped(make))
    edit(state_dict)
    return state_dict


def set_item(path, value):
    def edit(state_dict):
        *where, last = path
        target = state_dict
        for key in where:
            target = target[key]
        target[last] = value
    return edit


CASES = [  # (optimiser, state_dict, exception, message); what PyTorch 2.13 does with the same in the comment
    # torch: accepted; step() raises KeyError: 'step'
    (adam, stepped(sgd), ValueError, "Adam.load_state_dict: parameter group 0 has no betas, eps (it has dampening, "
                                     "lr, momentum, nesterov, weight_decay): is it the state of another optimizer?"),
    # torch: accepted; step() raises KeyError: 'momentum'
    (sgd, stepped(adam), ValueError, "SGD.load_state_dict: parameter group 0 has no dampening, momentum, nesterov"),
    # torch: ValueError, the same words
    (sgd, edited(sgd, lambda sd: sd["param_groups"].append(dict(sd["param_groups"][0]))), ValueError,
     "loaded state dict has a different number of parameter groups (2; this optimizer has 1)"),
    (sgd, edited(sgd, set_item(("param_groups", 0, "params"), [0])), ValueError,
     "loaded state dict contains a parameter group that doesn't match the size of optimizer's group "
     "(sizes [1]; this optimizer has [2])"),
    # torch: accepted; step() raises RuntimeError: The size of tensor a (5) must match the size of tensor b (2)
    (sgd, edited(sgd, set_item(("state", 0, "momentum_buffer"), np.zeros(5))), ValueError,
     "SGD.load_state_dict: 'momentum_buffer' of parameter 0 has shape (5,), the parameter (3, 2)"),
    # torch: accepted, and the integer buffer steps
    (sgd, edited(sgd, set_item(("state", 1, "momentum_buffer"), np.zeros(2, np.int64))), ValueError,
     "SGD.load_state_dict: 'momentum_buffer' of parameter 1 has dtype int64, expected a floating-point array"),
    (sgd, edited(sgd, set_item(("state", 1, "momentum_buffer"), 0.5)), ValueError,
     "'momentum_buffer' of parameter 1 is float 0.5, expected an array of the parameter's shape (2,)"),
    # torch: accepted; step() raises TypeError: bad operand type for unary -: 'str'
    (sgd, edited(sgd, set_item(("param_groups", 0, "lr"), "fast")), TypeError, "lr must be a real number, got str"),
    (sgd, edited(sgd, set_item(("param_groups", 0, "nesterov"), "yes")), TypeError,
     "nesterov must be True or False, got str 'yes'"),
    # torch: accepted, and the negative rate is used
    (sgd, edited(sgd, set_item(("param_groups", 0, "lr"), -1.0)), ValueError, "Invalid learning rate: -1.0"),
    # torch: accepted; step() raises ValueError: not enough values to unpack (expected 2, got 1)
    (adam, edited(adam, set_item(("param_groups", 0, "betas"), (0.9,))), ValueError,
     "betas must be a pair (beta1, beta2), got (0.9,)"),
    # torch: accepted; step() raises KeyError: 'momentum'
    (sgd, edited(sgd, lambda sd: sd["param_groups"][0].pop("momentum")), ValueError,
     "SGD.load_state_dict: parameter group 0 has no momentum"),
    # torch: accepted, the state kept under its stray key and never used
    (sgd, edited(sgd, set_item(("state", 7), {"momentum_buffer": np.zeros(2)})), ValueError,
     "optimizer state_dict has state for parameter(s) [7], this optimizer has 2 parameters"),
    (sgd, edited(sgd, lambda sd: sd["state"].__setitem__("0", sd["state"].pop(0))), ValueError,
     "optimizer state_dict has state for parameter(s) ['0']"),
    # torch: accepted; step() raises RuntimeError: output with shape [2] doesn't match the broadcast shape [3, 2]
    (sgd, edited(sgd, set_item(("param_groups", 0, "params"), [0, 0])), ValueError,
     "optimizer state_dict: the groups' 'params' must be distinct int indices, got [0, 0]"),
    # torch: accepted; step() raises AttributeError: 'int' object has no attribute 'get'
    (sgd, edited(sgd, set_item(("state", 0), 5)), ValueError,
     "SGD.load_state_dict: the state of parameter 0 is 5, expected a dict with the keys momentum_buffer"),
    (adam, edited(adam, lambda sd: sd["state"][0].pop("exp_avg_sq")), ValueError,
     "Adam.load_state_dict: the state of parameter 0 is {'step': 1, 'exp_avg': array"),
    # torch: accepted; step() raises ValueError: could not convert string to float
    (adam, edited(adam, set_item(("state", 0, "step"), "x")), ValueError,
     "Adam.load_state_dict: the state of parameter 0: 'step' is 'x', expected an int >= 1 (the steps taken)"),
    (adam, edited(adam, set_item(("state", 0, "step"), 0)), ValueError, "'step' is 0, expected an int >= 1"),
    (adam, edited(adam, set_item(("state", 0, "step"), True)), ValueError, "'step' is True, expected an int >= 1"),
    # torch: KeyError: 'state'; TypeError: list indices must be integers or slices, not str
    (sgd, {"param_groups": []}, TypeError, "optimizer.load_state_dict expects the dict that optimizer.state_dict() "
                                           "returns (with 'state' and 'param_groups'), got dict with keys"),
    # torch: ValueError: loaded state dict has a different number of parameter groups (len('abc') is 3)
    (sgd, edited(sgd, set_item(("param_groups",), "abc")), TypeError,
     "optimizer state_dict: 'param_groups' must be a list of dicts, each with a 'params' list"),
    (sgd, edited(sgd, set_item(("state",), [1])), TypeError, "optimizer state_dict: 'state' must be a dict"),
]


@pytest.mark.parametrize("make,state_dict,exception,message", CASES)
def test_a_foreign_or_damaged_state_is_refused_at_load_and_changes_nothing(make, state_dict, exception, message):
    ps = params()
    opt = make(ps)
    for p in ps:
        p.grad = minigrad.full(p.shape, 0.5, dtype=p.dtype)
    opt.step()
    before = copy.deepcopy(opt.state_dict())
    with pytest.raises(exception, match=re.escape(message)):
        opt.load_state_dict(state_dict)
    after = opt.state_dict()
    assert after["param_groups"] == before["param_groups"]
    for i, s in before["state"].items():
        for k, v in s.items():
            np.testing.assert_array_equal(after["state"][i][k], v)


def test_saved_indices_map_to_the_parameters_in_order_as_in_pytorch():
    """PyTorch maps the saved groups' indices, in order, to this optimiser's parameters, whatever the numbers."""
    state_dict = stepped(sgd)
    renumbered = {"param_groups": [{**state_dict["param_groups"][0], "params": [10, 4]}],
                  "state": {10: state_dict["state"][0], 4: state_dict["state"][1]}}
    ps = params()
    opt = sgd(ps)
    opt.load_state_dict(renumbered)
    np.testing.assert_array_equal(opt.state[ps[0]]["momentum_buffer"].numpy(), np.ones((3, 2)))
    np.testing.assert_array_equal(opt.state[ps[1]]["momentum_buffer"].numpy(), np.ones(2))


def test_state_given_as_tensors_and_as_float32_is_cast_to_the_parameters_dtype():
    state_dict = stepped(adam)
    state_dict["state"][0]["exp_avg"] = minigrad.tensor(state_dict["state"][0]["exp_avg"].astype(np.float32))
    ps = params()
    opt = adam(ps)
    opt.load_state_dict(state_dict)
    assert opt.state[ps[0]]["exp_avg"].dtype == np.float64 and opt.state[ps[0]]["step"] == 1
    np.testing.assert_allclose(opt.state[ps[0]]["exp_avg"].numpy(), 0.1, rtol=1e-7)
