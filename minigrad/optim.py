"""Optimisers (``torch.optim``): SGD with momentum and weight decay, and Adam.

Updates are made in place on each parameter's array, on its own device; the
per-parameter state (momentum buffers, Adam moments) lives beside it.
"""
import copy

import numpy as np

from minigrad import backend, cuda
from minigrad.core import Tensor, zero_grads


class Optimizer:
    """Holds ``param_groups`` (lists of parameters with their hyper-parameters) and per-parameter ``state``."""

    def __init__(self, params, defaults):
        params = list(params)
        if not params:
            raise ValueError("optimizer got an empty parameter list")
        groups = params if isinstance(params[0], dict) else [{"params": params}]
        self.defaults = defaults
        self.param_groups = []
        for group in groups:
            group = {**defaults, **group, "params": list(group["params"])}
            for p in group["params"]:
                if not isinstance(p, Tensor) or not p.requires_grad:
                    raise TypeError(f"optimizer can only optimise tensors that require grad, got {type(p).__name__}")
            self.param_groups.append(group)
        self.state = {}  # id(param) -> dict of arrays

    def _params(self):
        return [p for group in self.param_groups for p in group["params"]]

    def zero_grad(self, set_to_none=True):
        zero_grads(self._params(), set_to_none)

    def step(self):
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is not None:
                    self._update(p, p.grad.array, self.state.setdefault(id(p), {}), group)
                    p._vc[0] += 1  # an in-place change: a graph that saved p can no longer be differentiated

    def _update(self, p, g, state, group):
        raise NotImplementedError

    def state_dict(self):
        """Hyper-parameters per group and state per parameter index (arrays as NumPy copies, a snapshot)."""
        index = {id(p): i for i, p in enumerate(self._params())}
        state = {index[pid]: {k: backend.to_numpy(v).copy() if hasattr(v, "shape") else v for k, v in s.items()}
                 for pid, s in self.state.items() if pid in index}
        groups = [{**{k: v for k, v in g.items() if k != "params"}, "params": [index[id(p)] for p in g["params"]]}
                  for g in self.param_groups]
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict):
        params = self._params()
        groups = state_dict["param_groups"]
        if [len(g["params"]) for g in groups] != [len(g["params"]) for g in self.param_groups]:
            raise ValueError("optimizer state_dict has parameter groups of sizes "
                             f"{[len(g['params']) for g in groups]}, this optimizer "
                             f"{[len(g['params']) for g in self.param_groups]}")
        for group, saved in zip(self.param_groups, groups):
            group.update({k: copy.deepcopy(v) for k, v in saved.items() if k != "params"})
        self.state = {}
        for i, s in state_dict["state"].items():
            p = params[int(i)]
            # copy=True: the loaded buffers are updated in place, so they must not alias the given state_dict
            self.state[id(p)] = {k: backend.to_device(v, p.device).astype(p.dtype, copy=True)
                                 if hasattr(v, "shape") and not isinstance(v, np.generic) else v
                                 for k, v in s.items()}


class SGD(Optimizer):
    """p -= lr * v, where v = g (+ weight_decay * p), or with momentum v = momentum * v + g (PyTorch's form)."""

    def __init__(self, params, lr, momentum=0.0, weight_decay=0.0, nesterov=False):
        if lr < 0 or momentum < 0 or weight_decay < 0:
            raise ValueError(f"SGD: lr, momentum and weight_decay must be non-negative, got {lr}, {momentum}, {weight_decay}")
        super().__init__(params, dict(lr=lr, momentum=momentum, weight_decay=weight_decay, nesterov=nesterov))

    def _update(self, p, g, state, group):
        if group["weight_decay"]:
            g = g + group["weight_decay"] * p.array
        if group["momentum"]:
            buf = state.get("momentum_buffer")
            if buf is None:
                buf = state["momentum_buffer"] = g.copy()
            else:
                buf *= group["momentum"]
                buf += g
            g = g + group["momentum"] * buf if group["nesterov"] else buf
        if backend.get_array_module(g) is np:
            p.array -= group["lr"] * g
        else:
            cuda.kernels().sgd(g, group["lr"], p.array)


class Adam(Optimizer):
    """Adam (Kingma and Ba, 2015) with bias-corrected first and second moments."""

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0):
        if lr < 0 or not (0 <= betas[0] < 1 and 0 <= betas[1] < 1):
            raise ValueError(f"Adam: need lr >= 0 and betas in [0, 1), got lr={lr}, betas={betas}")
        super().__init__(params, dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay))

    def _update(self, p, g, state, group):
        xp = backend.get_array_module(g)
        b1, b2 = group["betas"]
        if group["weight_decay"]:
            g = g + group["weight_decay"] * p.array
        if not state:
            state["step"] = 0
            state["exp_avg"] = xp.zeros_like(p.array)
            state["exp_avg_sq"] = xp.zeros_like(p.array)
        state["step"] += 1
        m, v = state["exp_avg"], state["exp_avg_sq"]
        m *= b1
        m += (1 - b1) * g
        v *= b2
        v += (1 - b2) * g * g
        step_size = group["lr"] / (1 - b1 ** state["step"])
        denom = xp.sqrt(v / (1 - b2 ** state["step"])) + group["eps"]
        p.array -= step_size * m / denom
