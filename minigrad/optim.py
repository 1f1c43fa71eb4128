"""Optimisers (``torch.optim``): SGD with momentum and weight decay, and Adam.

Updates are made in place on each parameter's array, on its own device; the
per-parameter state (momentum buffers, Adam moments, as Tensors) lives beside it
in ``optimizer.state[param]``, as in PyTorch.
"""
import copy
import numbers

import numpy as np

from minigrad import backend, cuda, threads
from minigrad.checks import check_real, missing_names
from minigrad.core import Tensor, zero_grads


class Optimizer:
    """Holds ``param_groups`` (lists of parameters with their hyper-parameters) and per-parameter ``state``.

    Every group's hyper-parameters are checked once, when it is added and in ``load_state_dict``
    (``_check_group``) and again by ``step`` (they may be edited in ``param_groups``); ``step`` also checks
    that each gradient has its parameter's shape.
    """

    def __init__(self, params, defaults):
        if isinstance(params, Tensor) or not hasattr(params, "__iter__"):
            raise TypeError("params given to the optimizer must be an iterable of tensors or dicts "
                            f"(e.g. model.parameters()), got {type(params).__name__}")
        params = list(params)
        if not params:
            raise ValueError("optimizer got an empty parameter list")
        self.defaults = defaults
        self.param_groups = []
        self.state = {}  # param -> {name: Tensor or number}, as PyTorch's (the Tensors are updated in place)
        for group in params if isinstance(params[0], dict) else [{"params": params}]:
            self.add_param_group(group)

    def add_param_group(self, param_group):
        """Add a group (a dict with 'params' and any hyper-parameters, the others taken from the defaults)."""
        if not isinstance(param_group, dict) or "params" not in param_group:
            raise TypeError(f"a parameter group must be a dict with a 'params' entry, got {param_group!r:.80}")
        params = param_group["params"]
        group = {**self.defaults, **param_group, "params": [params] if isinstance(params, Tensor) else list(params)}
        seen = {id(p) for p in self._params()}
        for p in group["params"]:
            if not isinstance(p, Tensor) or not p.requires_grad:
                raise TypeError(f"optimizer can only optimise tensors that require grad, got {type(p).__name__}")
            if p._ctx is not None:
                raise ValueError("can't optimize a non-leaf Tensor (one computed from others, "
                                 f"grad_fn={p._ctx!r}): optimise the leaf it came from")
            if id(p) in seen:
                raise ValueError(f"a parameter of shape {p.shape} appears twice in the optimizer's "
                                 "parameters (in one group or in two): it would be updated twice per step")
            seen.add(id(p))
        self._check_group(group)
        self.param_groups.append(group)

    def _check_group(self, group):
        """Raise a ValueError naming the hyper-parameter of ``group`` that is out of range; store them as floats."""
        group["lr"] = check_real("lr", group["lr"], message="Invalid learning rate")
        group["weight_decay"] = check_real("weight_decay", group["weight_decay"], message="Invalid weight_decay value")

    def _params(self):
        return [p for group in self.param_groups for p in group["params"]]

    def zero_grad(self, set_to_none=True):
        zero_grads(self._params(), set_to_none)

    def step(self):
        threads.adapt()  # the thread count follows the load of the machine (a clock read on most steps)
        for group in self.param_groups:
            self._check_group(group)  # a hyper-parameter edited in param_groups since (a few float checks per group)
            for p in group["params"]:
                if p.grad is not None:
                    g = p.grad.array
                    if g.shape != p.array.shape:  # NumPy would broadcast it into a wrong update
                        raise RuntimeError(f"the gradient of a parameter of shape {p.shape} has shape "
                                           f"{p.grad.shape}; a .grad must have its tensor's shape")
                    self._update(p, g, self.state.setdefault(p, {}), group)
                    p._vc[0] += 1  # an in-place change: a graph that saved p can no longer be differentiated

    def _update(self, p, g, state, group):
        raise NotImplementedError

    def state_dict(self):
        """Hyper-parameters per group and state per parameter index (arrays as NumPy copies, a snapshot)."""
        index = {id(p): i for i, p in enumerate(self._params())}
        state = {index[id(p)]: {k: backend.to_numpy(v.array).copy() if isinstance(v, Tensor) else v
                                for k, v in s.items()}
                 for p, s in self.state.items() if id(p) in index}
        groups = [{**{k: v for k, v in g.items() if k != "params"}, "params": [index[id(p)] for p in g["params"]]}
                  for g in self.param_groups]
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict):
        """Load what ``state_dict()`` returned, as PyTorch (its ValueErrors for another number or size of groups),
        and stricter: every group must hold this optimiser's hyper-parameters and every state its keys, shapes
        and a floating-point dtype, all checked before anything changes, so that the state of another optimiser
        (SGD's into Adam) or a damaged one fails here, naming what is wrong, not later inside ``step()``."""
        if not isinstance(state_dict, dict) or not {"state", "param_groups"} <= state_dict.keys():
            raise TypeError("optimizer.load_state_dict expects the dict that optimizer.state_dict() returns "
                            f"(with 'state' and 'param_groups'), got {type(state_dict).__name__}"
                            + (f" with keys {sorted(map(str, state_dict))}" if isinstance(state_dict, dict) else ""))
        groups, saved_state = state_dict["param_groups"], state_dict["state"]
        if not isinstance(groups, (list, tuple)) or not all(
                isinstance(g, dict) and isinstance(g.get("params"), (list, tuple)) for g in groups):
            raise TypeError("optimizer state_dict: 'param_groups' must be a list of dicts, each with a 'params' "
                            f"list of parameter indices, got {groups!r:.80}")
        if len(groups) != len(self.param_groups):
            raise ValueError(f"loaded state dict has a different number of parameter groups ({len(groups)}; "
                             f"this optimizer has {len(self.param_groups)})")
        sizes = [len(g["params"]) for g in groups], [len(g["params"]) for g in self.param_groups]
        if sizes[0] != sizes[1]:
            raise ValueError("loaded state dict contains a parameter group that doesn't match the size of "
                             f"optimizer's group (sizes {sizes[0]}; this optimizer has {sizes[1]})")
        ids = [i for g in groups for i in g["params"]]
        if not all(isinstance(i, int) and not isinstance(i, bool) for i in ids) or len(set(ids)) != len(ids):
            raise ValueError(f"optimizer state_dict: the groups' 'params' must be distinct int indices, got {ids}")
        params = dict(zip(ids, self._params()))  # saved index -> parameter, in order, as PyTorch maps them
        name = type(self).__name__
        for n, saved in enumerate(groups):
            missing = sorted(self.defaults.keys() - saved.keys())
            if missing:
                raise ValueError(f"{name}.load_state_dict: parameter group {n} has no {', '.join(missing)} (it has "
                                 f"{', '.join(sorted(map(str, saved.keys() - {'params'})))}): is it the state of "
                                 "another optimizer?")
        loaded = [{**group, **{k: copy.deepcopy(v) for k, v in saved.items() if k != "params"}}
                  for group, saved in zip(self.param_groups, groups)]
        for group in loaded:  # all checks before any change: a bad saved value leaves the optimizer as it was
            self._check_group(group)
        if not isinstance(saved_state, dict):
            raise TypeError(f"optimizer state_dict: 'state' must be a dict of parameter index -> state, "
                            f"got {type(saved_state).__name__}")
        bad = [i for i in saved_state if i not in params]
        if bad:
            raise ValueError(f"optimizer state_dict has state for parameter(s) {bad}, this optimizer has "
                             f"{len(params)} parameters")
        state = {params[i]: self._checked_state(i, s, params[i]) for i, s in saved_state.items()}
        for group, new in zip(self.param_groups, loaded):
            group.update(new)
        self.state = state

    _STATE_KEYS = ()  # the keys of a parameter's state once step() made one: arrays, and Adam's 'step' count

    def _checked_state(self, i, saved, p):
        """The state saved for parameter ``i`` (``p``) as this optimizer keeps it: arrays on ``p``'s device and
        dtype, copied (they are updated in place); ValueError naming what does not fit."""
        where = f"{type(self).__name__}.load_state_dict: the state of parameter {i}"
        if not isinstance(saved, dict) or (saved and set(saved) != set(self._STATE_KEYS)):
            raise ValueError(f"{where} is {saved!r:.80}, expected a dict with the keys "
                             f"{', '.join(self._STATE_KEYS)} (or an empty one): is it the state of another optimizer?")
        state = {}
        for k, v in saved.items():
            if k == "step":
                if isinstance(v, bool) or not isinstance(v, numbers.Integral) or v < 1:
                    raise ValueError(f"{where}: 'step' is {v!r}, expected an int >= 1 (the steps taken)")
                state[k] = int(v)
                continue
            v = v.array if isinstance(v, Tensor) else v
            what = f"{type(self).__name__}.load_state_dict: {k!r} of parameter {i}"
            if not hasattr(v, "shape") or isinstance(v, np.generic):
                raise ValueError(f"{what} is {type(v).__name__} {v!r:.40}, expected an array of the parameter's "
                                 f"shape {p.shape}")
            if tuple(v.shape) != p.shape:
                raise ValueError(f"{what} has shape {tuple(v.shape)}, the parameter {p.shape}")
            if v.dtype.kind != "f":
                raise ValueError(f"{what} has dtype {v.dtype}, expected a floating-point array")
            # copy=True: the loaded buffers are updated in place, so they must not alias the given state_dict
            state[k] = Tensor._wrap(backend.to_device(v, p.device).astype(p.dtype, copy=True))
        return state


class SGD(Optimizer):
    """PyTorch's SGD: g = grad (+ weight_decay * p); with momentum, v = g at the first step, then
    v = momentum * v + (1 - dampening) * g, and g = v (or g + momentum * v with ``nesterov``); p -= lr * g."""

    _STATE_KEYS = ("momentum_buffer",)

    def __init__(self, params, lr=1e-3, momentum=0.0, dampening=0.0, weight_decay=0.0, nesterov=False):
        super().__init__(params, dict(lr=lr, momentum=momentum, dampening=dampening,
                                      weight_decay=weight_decay, nesterov=nesterov))

    def _check_group(self, group):
        super()._check_group(group)
        group["momentum"] = check_real("momentum", group["momentum"], message="Invalid momentum value")
        group["dampening"] = check_real("dampening", group["dampening"], message="Invalid dampening value")
        if not isinstance(group["nesterov"], bool):
            raise TypeError(f"nesterov must be True or False, got {type(group['nesterov']).__name__} "
                            f"{group['nesterov']!r}")
        if group["nesterov"] and (group["momentum"] <= 0 or group["dampening"] != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening, got "
                             f"momentum={group['momentum']}, dampening={group['dampening']}")

    def _update(self, p, g, state, group):
        if group["weight_decay"]:
            g = g + group["weight_decay"] * p.array
        if group["momentum"]:
            if "momentum_buffer" not in state:
                buf = g.copy()
                state["momentum_buffer"] = Tensor._wrap(buf)
            else:
                buf = state["momentum_buffer"].array
                buf *= group["momentum"]
                buf += g if not group["dampening"] else (1.0 - group["dampening"]) * g
            g = g + group["momentum"] * buf if group["nesterov"] else buf
        if backend.get_array_module(g) is np:
            p.array -= group["lr"] * g
        else:
            cuda.kernels().sgd(g, group["lr"], p.array)


class Adam(Optimizer):
    """Adam (Kingma and Ba, 2015) with bias-corrected first and second moments."""

    _STATE_KEYS = ("step", "exp_avg", "exp_avg_sq")

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0):
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay))

    def _check_group(self, group):
        super()._check_group(group)
        betas = group["betas"]
        if not isinstance(betas, (tuple, list)) or len(betas) != 2:
            raise ValueError(f"betas must be a pair (beta1, beta2), got {betas!r}")
        group["betas"] = tuple(check_real("betas", b, high=1.0, message=f"Invalid beta parameter at index {i}")
                               for i, b in enumerate(betas))
        # eps > 0 (PyTorch allows 0): with eps = 0 a coordinate whose gradient is 0 gets 0 / 0 = NaN
        group["eps"] = check_real("eps", group["eps"], low_open=True, message="Invalid epsilon value")

    def _update(self, p, g, state, group):
        xp = backend.get_array_module(g)
        b1, b2 = group["betas"]
        if group["weight_decay"]:
            g = g + group["weight_decay"] * p.array
        if not state:
            state["step"] = 0
            state["exp_avg"] = Tensor._wrap(xp.zeros_like(p.array))
            state["exp_avg_sq"] = Tensor._wrap(xp.zeros_like(p.array))
        state["step"] += 1
        m, v = state["exp_avg"].array, state["exp_avg_sq"].array
        m *= b1
        m += (1 - b1) * g
        v *= b2
        v += (1 - b2) * g * g
        step_size = group["lr"] / (1 - b1 ** state["step"])
        denom = xp.sqrt(v / (1 - b2 ** state["step"])) + group["eps"]
        p.array -= step_size * m / denom

__getattr__ = missing_names("minigrad.optim", "torch.optim")  # a PyTorch name minigrad lacks: say so
