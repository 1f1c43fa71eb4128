#!/usr/bin/env python
"""BatchNorm's backward pass, step by step, on a small input (float64; derivation: docs/batchnorm.md).

    python scripts/bn_backward.py                         # a 4x3 matrix and a 2x2x2x2 image batch
    python scripts/bn_backward.py --seed 3 --shape 5,2    # another input: one or more shapes (N,C) or (N,C,H,W)
    python scripts/bn_backward.py --order 2               # the double backward (docs/batchnorm.md, section 7)

For each input x (with random gamma, beta and a random upstream gradient dy) it prints
the forward intermediates (mu, var, 1/sigma, x_hat, y), the staged backward (each node
of the derivation: dx_hat, dvar, dmu, dx), and compares four ways of getting dx, dgamma
and dbeta: the staged one, minigrad's closed form (BatchNormFunction), autograd through a
BatchNorm built from primitive minigrad ops, and central finite differences.
It ends by showing why an all-ones dy makes a gradient check of BatchNorm vacuous.

With --order 2 it does the same one level up: the input gradient dx = B(x, gamma, dy) is
itself differentiated, for a random upstream a = dL/d(dx). It prints the staged second
derivative (the nodes P(a), P(dy), G(a), G(dy), the three means, and d/dx, d/dgamma, d/ddy
of <a, dx>) and compares it with minigrad's BatchNormGrad through autograd, autograd twice
through BatchNorm built from primitive ops, and central finite differences of the staged dx.
"""
import argparse
import itertools
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout without installing

import minigrad  # noqa: E402
from minigrad.autograd import grad  # noqa: E402
from minigrad.nn.functional import BatchNormFunction  # noqa: E402


def _axes(x):
    """The axes reduced per channel, and the shape that broadcasts a (C,) vector against x."""
    return (0,) + tuple(range(2, x.ndim)), (1, x.shape[1]) + (1,) * (x.ndim - 2)


def forward(x, gamma, beta, eps):
    """The forward graph, node by node: mu, var (biased), inv_std = 1/sigma, x_hat, y."""
    axes, b = _axes(x)
    mu = x.mean(axis=axes, keepdims=True)
    var = ((x - mu) ** 2).mean(axis=axes, keepdims=True)
    inv_std = 1.0 / np.sqrt(var + eps)
    x_hat = (x - mu) * inv_std
    return dict(mu=mu, var=var, inv_std=inv_std, x_hat=x_hat, y=gamma.reshape(b) * x_hat + beta.reshape(b))


def staged_backward(x, gamma, dy, eps=1e-5):
    """The chain rule applied node by node (docs/batchnorm.md, "Backward, node by node")."""
    axes, b = _axes(x)
    m = x.size // x.shape[1]
    f = forward(x, gamma, np.zeros_like(gamma), eps)
    xc, inv_std, x_hat = x - f["mu"], f["inv_std"], f["x_hat"]
    dx_hat = dy * gamma.reshape(b)                                                    # y = gamma x_hat + beta
    dvar = (dx_hat * xc).sum(axis=axes, keepdims=True) * -0.5 * inv_std ** 3          # x_hat = xc (var+eps)^-1/2
    dmu = (-dx_hat * inv_std).sum(axis=axes, keepdims=True) \
        + dvar * (-2.0 * xc).sum(axis=axes, keepdims=True) / m                        # the second term is 0
    dx = dx_hat * inv_std + dvar * 2.0 * xc / m + dmu / m                              # three paths into x
    return dict(dx_hat=dx_hat, dvar=dvar, dmu=dmu, dx=dx,
                dgamma=(dy * x_hat).sum(axis=axes), dbeta=dy.sum(axis=axes))


def closed_form_backward(x, gamma, beta, dy, eps=1e-5):
    """minigrad's BatchNormFunction (closed-form backward) through autograd."""
    xs = [minigrad.tensor(a, dtype=minigrad.float64, requires_grad=True) for a in (x, gamma, beta)]
    BatchNormFunction(eps)(*xs).backward(dy)
    return dict(zip(("dx", "dgamma", "dbeta"), (t.grad.numpy() for t in xs)))


def composed_backward(x, gamma, beta, dy, eps=1e-5):
    """Autograd through BatchNorm written with primitive ops (mean, -, *, sqrt, /): no hand-written BN backward."""
    axes, b = _axes(x)
    X, G, B = [minigrad.tensor(a, dtype=minigrad.float64, requires_grad=True) for a in (x, gamma, beta)]
    xc = X - X.mean(axis=axes, keepdims=True)
    x_hat = xc / ((xc * xc).mean(axis=axes, keepdims=True) + eps).sqrt()
    (G.reshape(*b) * x_hat + B.reshape(*b)).backward(dy)
    return dict(dx=X.grad.numpy(), dgamma=G.grad.numpy(), dbeta=B.grad.numpy())


def _central_differences(loss, arrays, h):
    """d loss / d array for each array, by central differences, one element at a time (arrays changed in place)."""
    grads = [np.zeros_like(a) for a in arrays]
    for a, g in zip(arrays, grads):
        for i in np.ndindex(a.shape):
            orig = a[i]
            a[i] = orig + h
            plus = loss()
            a[i] = orig - h
            g[i] = (plus - loss()) / (2 * h)
            a[i] = orig
    return grads


def finite_differences(x, gamma, beta, dy, eps=1e-5, h=1e-6):
    """Central differences of L = sum(dy * y), one element at a time."""
    arrays = [a.copy() for a in (x, gamma, beta)]
    loss = lambda: float((dy * forward(*arrays, eps)["y"]).sum())  # noqa: E731
    return dict(zip(("dx", "dgamma", "dbeta"), _central_differences(loss, arrays, h)))


def staged_double_backward(x, gamma, dy, a, eps=1e-5):
    """The second derivative, node by node (docs/batchnorm.md, section 7): d<a, dx>/d(x, gamma, dy).

    dx = gamma * s * P(dy) with P(v) = v - <v> - x_hat <v x_hat> (<.> the channel mean) and
    s = inv_std; G(v) = s P(v) is dx at gamma = 1.
    """
    axes, b = _axes(x)
    f = forward(x, gamma, np.zeros_like(gamma), eps)
    s, x_hat, g = f["inv_std"], f["x_hat"], gamma.reshape(b)
    mean = lambda v: v.mean(axis=axes, keepdims=True)                                 # noqa: E731
    P = lambda v: v - mean(v) - x_hat * mean(v * x_hat)                               # noqa: E731
    G_a, G_dy = s * P(a), s * P(dy)
    a_G_dy, dy_x_hat, a_x_hat = mean(a * G_dy), mean(dy * x_hat), mean(a * x_hat)
    d_dy = g * G_a                                                  # <a, dx> is symmetric in a and dy
    d_gamma = (a * G_dy).sum(axis=axes)                             # no division by gamma
    d_x = -g * s * (x_hat * a_G_dy + dy_x_hat * G_a + a_x_hat * G_dy)  # through s and x_hat (mean, var)
    return dict(P_a=P(a), P_dy=P(dy), G_a=G_a, G_dy=G_dy, a_G_dy=a_G_dy, dy_x_hat=dy_x_hat, a_x_hat=a_x_hat,
                d_x=d_x, d_gamma=d_gamma, d_dy=d_dy)


def _second_by_autograd(batch_norm, x, gamma, beta, dy, a):
    """d<a, dx>/d(x, gamma, dy) with dx from autograd.grad(create_graph=True) through ``batch_norm``."""
    X, G, B, DY = [minigrad.tensor(v, dtype=minigrad.float64, requires_grad=True) for v in (x, gamma, beta, dy)]
    dx, = grad(batch_norm(X, G, B), X, DY, create_graph=True)
    d = grad((dx * minigrad.tensor(a, dtype=minigrad.float64)).sum(), (X, G, DY))
    return dict(zip(("d_x", "d_gamma", "d_dy"), (t.numpy() for t in d)))


def closed_form_double_backward(x, gamma, beta, dy, a, eps=1e-5):
    """minigrad's BatchNormFunction, whose backward is the Function BatchNormGrad, differentiated by autograd."""
    return _second_by_autograd(lambda *t: BatchNormFunction(eps)(*t), x, gamma, beta, dy, a)


def composed_double_backward(x, gamma, beta, dy, a, eps=1e-5):
    """Autograd twice through BatchNorm written with primitive ops: no hand-written BN derivative at all."""
    axes, b = _axes(x)

    def composed(X, G, B):
        xc = X - X.mean(axes, True)
        return G.reshape(*b) * (xc / ((xc * xc).mean(axes, True) + eps).sqrt()) + B.reshape(*b)
    return _second_by_autograd(composed, x, gamma, beta, dy, a)


def finite_differences_double(x, gamma, dy, a, eps=1e-5, h=1e-6):
    """Central differences of <a, staged dx> in x, gamma and dy, one element at a time."""
    arrays = [v.copy() for v in (x, gamma, dy)]
    loss = lambda: float((a * staged_backward(*arrays, eps)["dx"]).sum())  # noqa: E731
    return dict(zip(("d_x", "d_gamma", "d_dy"), _central_differences(loss, arrays, h)))


def study_order2(shape, rng, eps=1e-5, verbose=True):
    """The double backward on one random input; returns {"staged vs closed form": {"d_x": maxdiff, ...}, ...}."""
    x = rng.standard_normal(shape) * 2.0 + 1.0
    gamma, beta = rng.uniform(0.5, 1.5, shape[1]), rng.standard_normal(shape[1])
    dy, a = rng.standard_normal(shape), rng.standard_normal(shape)
    s = staged_double_backward(x, gamma, dy, a, eps)
    if verbose:
        print(f"\n=== x of shape {shape}: second derivative of <a, dx>, per channel m = {x.size // shape[1]} ===")
        for name, v in [("x", x), ("gamma", gamma), ("dy", dy), ("a (random upstream gradient of dx)", a)]:
            print(f"{name}:\n{v}")
        print("\n-- staged double backward --")
        for name in ("P_a", "P_dy", "G_a", "G_dy", "a_G_dy", "dy_x_hat", "a_x_hat", "d_x", "d_gamma", "d_dy"):
            print(f"{name}:\n{s[name] if s[name].shape == x.shape else s[name].reshape(-1)}")
    methods = {"staged": s, "closed form": closed_form_double_backward(x, gamma, beta, dy, a, eps),
               "composed": composed_double_backward(x, gamma, beta, dy, a, eps),
               "finite diff": finite_differences_double(x, gamma, dy, a, eps)}
    return compare(methods, {"d_x": "d/dx", "d_gamma": "d/dgamma", "d_dy": "d/ddy"},
                   f"max |difference| of the second derivative for x of shape {shape}")


def compare(methods, columns, title):
    """Print the max |difference| of each pair of methods for each quantity; return {pair: {key: difference}}.

    ``methods``: {name: {key: array}}; ``columns``: {key: column heading}.
    """
    diffs = {f"{p} vs {q}": {k: float(np.abs(methods[p][k] - methods[q][k]).max()) for k in columns}
             for p, q in itertools.combinations(methods, 2)}
    print(f"\n{title}")
    print(f"{'pair':<28}" + "".join(f"{heading:>12}" for heading in columns.values()))
    for pair, d in diffs.items():
        print(f"{pair:<28}" + "".join(f"{d[k]:>12.2e}" for k in columns))
    return diffs


def study(shape, rng, eps=1e-5, verbose=True):
    """Run everything on one random input of ``shape``; return {"staged vs closed form": {"dx": maxdiff, ...}, ...}."""
    x = rng.standard_normal(shape) * 2.0 + 1.0
    gamma, beta = rng.uniform(0.5, 1.5, shape[1]), rng.standard_normal(shape[1])
    dy = rng.standard_normal(shape)
    f, s = forward(x, gamma, beta, eps), staged_backward(x, gamma, dy, eps)
    if verbose:
        print(f"\n=== x of shape {shape}: per channel m = {x.size // shape[1]} values ===")
        for name, a in [("x", x), ("gamma", gamma), ("beta", beta), ("dy (random upstream gradient)", dy)]:
            print(f"{name}:\n{a}")
        print("\n-- forward --")
        for name in ("mu", "var", "inv_std", "x_hat", "y"):
            print(f"{name}:\n{f[name] if name in ('x_hat', 'y') else f[name].reshape(-1)}")
        print("\n-- staged backward --")
        for name in ("dx_hat", "dvar", "dmu", "dx", "dgamma", "dbeta"):
            print(f"{name}:\n{s[name] if name in ('dx_hat', 'dx') else s[name].reshape(-1)}")
    methods = {"staged": s, "closed form": closed_form_backward(x, gamma, beta, dy, eps),
               "composed": composed_backward(x, gamma, beta, dy, eps),
               "finite diff": finite_differences(x, gamma, beta, dy, eps)}
    if verbose:
        print("\n-- closed form (minigrad BatchNormFunction.backward) --")
        print(f"dx:\n{methods['closed form']['dx']}")
    return compare(methods, {"dx": "dx", "dgamma": "dgamma", "dbeta": "dbeta"},
                   f"max |difference| for x of shape {shape}")


def ones_demo(shape, rng, eps=1e-5):
    """dy = 1: the true dx is 0, and so is that of a backward that forgets the variance term."""
    x, gamma = rng.standard_normal(shape), rng.uniform(0.5, 1.5, shape[1])
    axes, b = _axes(x)
    no_var = lambda dy: gamma.reshape(b) * forward(x, gamma, gamma * 0, eps)["inv_std"] * (  # noqa: E731
        dy - dy.mean(axis=axes, keepdims=True))                                            # wrong: drops dvar
    out = {}
    for name, dy in (("ones", np.ones(shape)), ("random", rng.standard_normal(shape))):
        right = staged_backward(x, gamma, dy, eps)["dx"]
        out[name] = (float(np.abs(right).max()), float(np.abs(right - no_var(dy)).max()))
        print(f"dy = {name:<6}: max|dx| = {out[name][0]:.2e}, "
              f"max|dx - dx(without the variance term)| = {out[name][1]:.2e}")
    return out


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--seed", type=int, default=0, help="seeds the input and the upstream gradient (default: 0)")
    p.add_argument("--shape", nargs="+", default=["4,3", "2,2,2,2"],
                   help="input shapes, (N, C) or (N, C, H, W) (default: 4,3 2,2,2,2)")
    p.add_argument("--eps", type=float, default=1e-5, help="BatchNorm's epsilon (default: 1e-05)")
    p.add_argument("--quiet", action="store_true",
                   help="print only the difference tables (default: every intermediate too)")
    p.add_argument("--order", type=int, choices=(1, 2), default=1,
                   help="1: the backward; 2: the double backward, the derivative of dx (default: 1)")
    args = p.parse_args(argv)
    shapes = [tuple(int(d) for d in s.split(",")) for s in args.shape]
    for s in shapes:
        if len(s) not in (2, 4) or min(s) < 1 or s[0] * (s[2] * s[3] if len(s) == 4 else 1) < 2:
            p.error(f"shape {s}: need (N, C) or (N, C, H, W) with at least 2 values per channel")
    np.set_printoptions(precision=6, suppress=True, linewidth=110)
    rng = np.random.default_rng(args.seed)
    if args.order == 2:
        return {s: study_order2(s, rng, args.eps, verbose=not args.quiet) for s in shapes}
    diffs = {s: study(s, rng, args.eps, verbose=not args.quiet) for s in shapes}
    print("\n-- why the upstream gradient must be random (a gradient check with dy = 1 is vacuous) --")
    ones_demo(shapes[0], rng, args.eps)
    return diffs


if __name__ == "__main__":
    main()
