"""Inputs and helpers shared by the idioms of several families."""
import numpy as np


def A(*shape, seed=0, dtype=np.float32, low=-2.0, high=2.0):
    """A fixed NumPy input: uniform in [low, high) (integers for an integer dtype)."""
    rng = np.random.default_rng(seed)
    if np.dtype(dtype).kind in "iu":
        return rng.integers(int(low), int(high), shape).astype(dtype)
    return rng.uniform(low, high, shape).astype(dtype)


def T(torch, *shape, seed=0, dtype=np.float32, grad=False, **kw):
    """``A(...)`` as a tensor of the library under test (a leaf requiring grad with ``grad``)."""
    return torch.tensor(A(*shape, seed=seed, dtype=dtype, **kw), requires_grad=grad)


def setw(torch, param, array):
    """Copy fixed values into a parameter (both libraries start layers from the same weights)."""
    with torch.no_grad():
        param.copy_(torch.tensor(np.asarray(array, dtype=np.float32)))


Y3 = np.array([2, 0, 1])


def mlp(torch):
    nn = torch.nn
    torch.manual_seed(0)
    return nn.Sequential(nn.Flatten(), nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 2))


def grad_of(torch, f):
    x = torch.arange(4.0)
    x.requires_grad_(True)
    f(x).backward()
    return x.grad


def value_and_grad(torch, f, *shape, seed=0, **kw):
    """f(x) and d sum(f(x) * u)/dx for a fixed x and a fixed upstream u."""
    x = T(torch, *shape, seed=seed, grad=True, **kw)
    y = f(x)
    (y * torch.tensor(A(*y.shape, seed=seed + 50))).sum().backward()
    return y, x.grad
