#!/usr/bin/env python
"""Does BatchNorm smooth the loss landscape? Sharpness and Santurkar et al.'s measures, LeNet vs LeNet-BN.

    python scripts/bn_landscape.py --data-dir /path/to/fashion-mnist   # into runs/bn_landscape-<stamp>
    python scripts/bn_landscape.py --out docs                                # docs/bn_landscape.{json,png}
    python scripts/bn_landscape.py --quick --synthetic --out /tmp/bnl        # seconds, no data needed

Two parts, both with D2L's train_ch6 recipe (Xavier init, SGD, cross-entropy, batch 256,
``minigrad.manual_seed(seed)`` before each network is built, the same batch order):

1. **Curvature along training.** LeNet (``--lr-plain``, 0.9, D2L's value) and LeNet-BN (``--lr-bn``,
   1.0) are trained to each of ``--points`` (steps; ``eK`` is the end of epoch K). At each point a
   float64 copy of the network is measured, in training mode (BatchNorm normalises with the batch's
   own statistics, as in the loss that SGD descends), on ``--batches`` fixed training batches of
   ``--hessian-batch`` images (the first images of the training set, in file order):

   * sharpness: the top eigenvalue of the Hessian H of the batch loss L(θ), by power iteration on
     exact Hessian-vector products (``autograd.grad`` with ``create_graph=True``, then the gradient
     of <∇L, v>), stopped when the Rayleigh quotient changes by less than ``--tol`` relatively; once
     per network H v is checked against central differences of gradients;
   * Santurkar et al. (NeurIPS 2018), along the gradient g = ∇L(θ): for steps η = f·lr
     (f in ``--step-factors``, 0.05 to 4), the range of L(θ − ηg) ("loss landscape variation"),
     the ℓ2 change ‖∇L(θ − ηg) − g‖ ("gradient predictiveness"), and the largest
     ‖∇L(θ − ηg) − g‖ / ‖ηg‖ ("effective β-smoothness").

2. **A learning-rate sweep.** Both networks for ``--sweep-epochs`` at each of ``--sweep-lrs``
   (and each of ``--sweep-seeds``): training loss and test accuracy per epoch; a NaN or infinite
   loss is recorded as divergence (the step where it happened) and ends that run.

Writes ``bn_landscape.json`` (every number, the settings and the machine) and, with matplotlib,
``bn_landscape.png`` to ``--out`` (default: a new run folder ``runs/bn_landscape-<stamp>``).
"""
import argparse
import json
import math
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout without installing
sys.path.insert(0, str(Path(__file__).resolve().parent))  # gradient_flow's data loaders and pyplot

import minigrad  # noqa: E402
from minigrad import autograd, nn  # noqa: E402
from minigrad.nn.functional import cross_entropy  # noqa: E402
from minigrad.train import evaluate_accuracy, init_weights, train_step  # noqa: E402
from models import lenet, lenet_bn, lenet_bn_scratch  # noqa: E402
import cli_args  # noqa: E402
from gradient_flow import make_loaders, pyplot  # noqa: E402

BUILDERS = {"lenet": lenet, "lenet-bn-scratch": lenet_bn_scratch, "lenet-bn": lenet_bn}
TITLES = {"lenet": "LeNet", "lenet-bn-scratch": "LeNet-BN", "lenet-bn": "LeNet-BN (BatchNorm2d/1d)"}
MEASURES = ("sharpness", "loss_range", "grad_change_max", "beta_max")
SUMMARISED = MEASURES + ("grad_curvature", "dominant_eigenvalue", "lanczos_min", "lanczos_max", "loss",
                         "grad_norm")


# ---------------------------------------------------------------------------------------------
# The measurements, on any scalar function of a list of parameter tensors


class Objective:
    """L(θ): a scalar ``loss_fn()`` of the tensors ``params``, seen as one flat float64 vector θ.

    ``loss_grad`` gives L and ∇L (first order); ``hvp_operator`` gives v ↦ H v with the exact
    Hessian H = ∇²L, from one differentiable backward (``create_graph=True``) that every product
    reuses: H v = ∇_θ <∇L(θ), v>.
    """

    def __init__(self, params, loss_fn):
        self.params, self.loss_fn = list(params), loss_fn
        self.sizes = [p.array.size for p in self.params]

    def get(self):
        return np.concatenate([p.numpy().ravel() for p in self.params]).astype(np.float64)

    def set(self, theta):
        with minigrad.no_grad():
            for p, part in zip(self.params, self._split(theta)):
                p.copy_(part.reshape(p.shape))

    def _split(self, vec):
        return np.split(np.asarray(vec, np.float64), np.cumsum(self.sizes)[:-1])

    def _flat(self, grads):
        return np.concatenate([np.zeros(n) if g is None else g.numpy().ravel().astype(np.float64)
                               for g, n in zip(grads, self.sizes)])

    def loss_grad(self, theta=None):
        """(L(θ), ∇L(θ)); sets the parameters to ``theta`` first when given."""
        if theta is not None:
            self.set(theta)
        loss = self.loss_fn()
        return float(loss.item()), self._flat(autograd.grad(loss, self.params, allow_unused=True))

    def hvp_operator(self):
        """v ↦ H v at the current θ (exact: the gradient of <∇L, v> through the graph of ∇L)."""
        loss = self.loss_fn()
        grads = autograd.grad(loss, self.params, create_graph=True, allow_unused=True)
        used = [(g, p, i) for i, (g, p) in enumerate(zip(grads, self.params)) if g is not None]

        def hvp(v):
            parts = self._split(v)
            dot = sum((g * minigrad.tensor(parts[i].reshape(p.shape), dtype=p.dtype)).sum() for g, p, i in used)
            return self._flat(autograd.grad(dot, self.params, retain_graph=True, allow_unused=True))
        return hvp

    def fd_hvp(self, v, h):
        """(∇L(θ + h v) − ∇L(θ − h v)) / 2h, the central-difference check of H v; θ is restored."""
        theta = self.get()
        plus, minus = self.loss_grad(theta + h * v)[1], self.loss_grad(theta - h * v)[1]
        self.set(theta)
        return (plus - minus) / (2 * h)


def power_iteration(hvp, dim, tol=1e-3, max_iter=100, seed=0, shift=0.0):
    """The dominant eigenvalue of (H − shift·I) from products v ↦ H v, by power iteration.

    From a random unit v: λ = vᵀHv (the Rayleigh quotient of H), v ← (H − shift) v / ‖(H − shift) v‖;
    converged when |λ − λ_prev| < tol·|λ|. Returns λ (an eigenvalue of H, or a lower bound on the
    largest one when not converged with shift < 0), the number of products, whether it converged,
    the unit eigenvector estimate and the relative residual ‖H v − λ v‖ / |λ|.
    """
    v = np.random.default_rng(seed).standard_normal(dim)
    v /= np.linalg.norm(v)
    lam, converged = None, False
    for it in range(1, max_iter + 1):
        hv = hvp(v)
        lam_new = float(v @ hv)
        converged = lam is not None and abs(lam_new - lam) < tol * abs(lam_new)
        lam = lam_new
        w = hv - shift * v
        norm = np.linalg.norm(w)
        if converged or norm == 0 or it == max_iter:
            break
        v = w / norm
    residual = float(np.linalg.norm(hv - lam * v) / max(abs(lam), 1e-300))
    return {"eigenvalue": lam, "iterations": it, "converged": bool(converged), "residual": residual, "vector": v}


def top_eigenvalue(hvp, dim, tol=1e-3, max_iter=100, seed=0):
    """The largest (algebraic) eigenvalue λ_max of H. Power iteration gives the dominant one λ_d
    (largest |λ|); when λ_d < 0, a second run on H − λ_d·I (whose dominant eigenvalue is
    λ_max − λ_d ≥ 0) gives λ_max. ``iterations`` counts the products of both runs."""
    first = power_iteration(hvp, dim, tol, max_iter, seed)
    if first["eigenvalue"] >= 0:
        return {**first, "dominant": first["eigenvalue"]}
    top = power_iteration(hvp, dim, tol, max_iter, seed + 1, shift=first["eigenvalue"])
    return {**top, "dominant": first["eigenvalue"], "iterations": first["iterations"] + top["iterations"]}


def lanczos_extremes(hvp, dim, steps=20, seed=0):
    """(λ_min, λ_max) estimates of H from ``steps`` Lanczos iterations (full reorthogonalisation):
    the extreme eigenvalues of the tridiagonal matrix T = QᵀHQ on the Krylov basis Q. Both lie
    inside [λ_min(H), λ_max(H)] and usually converge in far fewer products than power iteration:
    the independent check of its λ_max, and the most negative curvature λ_min."""
    q = np.random.default_rng(seed).standard_normal(dim)
    basis, alphas, betas = [q / np.linalg.norm(q)], [], []
    for _ in range(min(steps, dim)):
        w = hvp(basis[-1])
        alphas.append(float(basis[-1] @ w))
        for _ in range(2):  # twice is enough (Kahan-Parlett)
            w -= np.array(basis).T @ (np.array(basis) @ w)
        beta = float(np.linalg.norm(w))
        if beta < 1e-12 * abs(alphas[-1]) or len(alphas) == min(steps, dim):
            break
        betas.append(beta)
        basis.append(w / beta)
    ritz = np.linalg.eigvalsh(np.diag(alphas) + np.diag(betas, 1) + np.diag(betas, -1))
    return float(ritz[0]), float(ritz[-1])


def gradient_direction_measures(loss_grad, theta, lr, factors):
    """Santurkar et al.'s three measures along the gradient g = ∇L(θ), for steps η = f·lr.

    ``loss_grad(θ') -> (L(θ'), ∇L(θ'))``. Returns the losses L(θ − ηg) and gradient changes
    ‖∇L(θ − ηg) − g‖ at every step, the loss range over the steps ("loss landscape variation"),
    the largest gradient change ("gradient predictiveness", ℓ2) and the largest
    ‖∇L(θ − ηg) − g‖ / ‖ηg‖ ("effective β-smoothness").
    """
    loss0, g = loss_grad(theta)
    gnorm = float(np.linalg.norm(g))
    losses, changes, betas = [], [], []
    for f in factors:
        eta = f * lr
        loss, g_step = loss_grad(theta - eta * g)
        change = float(np.linalg.norm(g_step - g))
        losses.append(loss)
        changes.append(change)
        betas.append(change / (eta * gnorm) if gnorm > 0 else float("nan"))
    loss_grad(theta)  # leave the parameters at θ
    finite = [v for v in losses if math.isfinite(v)]
    return {"loss": loss0, "grad_norm": gnorm, "step_factors": list(factors), "losses": losses,
            "grad_changes": changes, "betas": betas,
            "loss_range": max(finite) - min(finite) if len(finite) == len(losses) else float("inf"),
            "grad_change_max": max(changes), "beta_max": max(betas)}


# ---------------------------------------------------------------------------------------------
# LeNet and LeNet-BN along training


def measurement_batches(train_iter, args):
    """``--batches`` fixed batches of ``--hessian-batch`` images: the training set's first, in file order."""
    n, size = args.batches, args.hessian_batch
    if n * size > train_iter.num_examples:
        raise ValueError(f"--batches {n} × --hessian-batch {size} = {n * size} images, but the training set "
                         f"holds {train_iter.num_examples}")
    dtype = np.dtype(args.measure_dtype)
    return [(minigrad.tensor(train_iter.images[k * size:(k + 1) * size] / 255.0, dtype=dtype),
             minigrad.tensor(train_iter.labels[k * size:(k + 1) * size]))
            for k in range(n)]


def measure(net, model, lr, batches, args, cross_check):
    """Sharpness and Santurkar's measures of a float64 copy of ``net`` (training mode) on each batch."""
    copy = BUILDERS[model]()
    copy.load_state_dict(net.state_dict())
    copy.to(np.dtype(args.measure_dtype)).train()
    per_batch = []
    for k, (X, y) in enumerate(batches):
        obj = Objective(copy.parameters(), lambda X=X, y=y: cross_entropy(copy(X), y))
        theta = obj.get()
        start = time.perf_counter()
        hvp = obj.hvp_operator()
        eig = top_eigenvalue(hvp, theta.size, args.tol, args.power_iters, seed=args.seed + k)
        rec = {"batch": k, "sharpness": eig["eigenvalue"], "dominant_eigenvalue": eig["dominant"],
               "power_iterations": eig["iterations"], "converged": eig["converged"], "residual": eig["residual"],
               "seconds_power": time.perf_counter() - start}
        rec["lanczos_min"], rec["lanczos_max"] = lanczos_extremes(hvp, theta.size, args.lanczos_steps, args.seed + k)
        g = obj.loss_grad()[1]
        rec["grad_curvature"] = float(g @ hvp(g) / (g @ g))  # ĝᵀHĝ, the Hessian's quadratic form along ĝ
        if cross_check and k == 0:  # last use of hvp: fd_hvp moves the parameters, which invalidates its graph
            exact = hvp(eig["vector"])
            fd = obj.fd_hvp(eig["vector"], args.fd_step)
            rec["fd_check"] = {"h": args.fd_step, "norm_hvp": float(np.linalg.norm(exact)),
                               "rel_diff": float(np.linalg.norm(exact - fd) / np.linalg.norm(exact))}
        rec.update(gradient_direction_measures(obj.loss_grad, theta, lr, args.step_factors))
        per_batch.append(rec)
    summary = {}
    for key in SUMMARISED:
        vals = np.array([r[key] for r in per_batch], float)
        summary[key] = {"mean": float(vals.mean()), "min": float(vals.min()), "max": float(vals.max())}
    return {"batches": per_batch, **summary}


def resolve_points(points, steps_per_epoch):
    """Step numbers from ``--points`` tokens: an integer step, or ``eK`` for the end of epoch K."""
    steps = []
    for token in points:
        t = str(token).strip().lower()
        try:
            step = int(t[1:]) * steps_per_epoch if t.startswith("e") else int(t)
        except ValueError:
            raise ValueError(f"--points: expected a step number or eK (end of epoch K), got {token!r}") from None
        if step < 0:
            raise ValueError(f"--points: steps must be >= 0, got {token!r}")
        steps.append(step)
    return sorted(set(steps))


def point_label(step, steps_per_epoch):
    if step and step % steps_per_epoch == 0:
        return f"epoch {step // steps_per_epoch}\n(step {step})"
    return f"step {step}"


def landscape_run(model, lr, args):
    """Train ``model`` at ``lr`` to the last of ``--points``, measuring at each point on the way."""
    minigrad.manual_seed(args.seed)
    net = init_weights(BUILDERS[model]())
    train_iter, test_iter = make_loaders(args)
    batches = measurement_batches(train_iter, args)
    per_epoch = len(train_iter)
    targets = resolve_points(args.points, per_epoch)
    optimizer, loss_fn = minigrad.optim.SGD(net.parameters(), lr=lr), nn.CrossEntropyLoss()
    rec = {"name": f"{TITLES[model]}, lr {lr}", "model": model, "lr": lr, "steps_per_epoch": per_epoch,
           "points": [], "loss": [], "test_acc": []}

    def measure_now(step):
        start = time.perf_counter()
        m = measure(net, model, lr, batches, args, cross_check=not rec["points"])
        rec["points"].append({"step": step, "label": point_label(step, per_epoch), **m,
                              "seconds": time.perf_counter() - start})
        s = m["sharpness"]
        print(f"{rec['name']:<18} step {step:>5}: sharpness {s['mean']:.4g} [{s['min']:.4g}, {s['max']:.4g}], "
              f"loss range {m['loss_range']['mean']:.3g}, grad change {m['grad_change_max']['mean']:.3g}, "
              f"beta {m['beta_max']['mean']:.3g}, ĝᵀHĝ {m['grad_curvature']['mean']:.3g}, "
              f"λ_min {m['lanczos_min']['mean']:.3g} ({rec['points'][-1]['seconds']:.0f} s)", flush=True)

    step = 0
    if step in targets:
        measure_now(step)
    while step < targets[-1]:
        net.train()
        for X, y in train_iter:
            loss, _ = train_step(net, X, y, loss_fn, optimizer)
            rec["loss"].append(float(loss.item()))
            step += 1
            if not math.isfinite(rec["loss"][-1]):
                rec["diverged_at_step"] = step
                print(f"{rec['name']}: loss {rec['loss'][-1]} at step {step}; no later points")
                return rec
            if step in targets:
                measure_now(step)
            if step == targets[-1]:
                break
        if step % per_epoch == 0:
            rec["test_acc"].append(evaluate_accuracy(net, test_iter))
    return rec


def sweep_run(model, lr, seed, args):
    """Train ``model`` at ``lr`` for ``--sweep-epochs``: training loss and test accuracy per epoch."""
    run_args = argparse.Namespace(**{**vars(args), "seed": seed})
    minigrad.manual_seed(seed)
    net = init_weights(BUILDERS[model]())
    train_iter, test_iter = make_loaders(run_args)
    optimizer, loss_fn = minigrad.optim.SGD(net.parameters(), lr=lr), nn.CrossEntropyLoss()
    rec = {"model": model, "lr": lr, "seed": seed, "epochs": [], "diverged_at_step": None}
    step, start = 0, time.perf_counter()
    for epoch in range(1, args.sweep_epochs + 1):
        net.train()
        losses = []
        for X, y in train_iter:
            loss, _ = train_step(net, X, y, loss_fn, optimizer)
            losses.append(float(loss.item()))
            step += 1
            if not math.isfinite(losses[-1]):
                rec["diverged_at_step"] = step
                break
        if rec["diverged_at_step"] is not None:
            break
        rec["epochs"].append({"epoch": epoch, "train_loss": float(np.mean(losses)),
                              "test_acc": evaluate_accuracy(net, test_iter)})
    last = rec["epochs"][-1] if rec["epochs"] and rec["diverged_at_step"] is None else None
    rec["final_train_loss"] = last["train_loss"] if last else None
    rec["final_test_acc"] = last["test_acc"] if last else None
    rec["seconds"] = time.perf_counter() - start
    outcome = (f"diverged (NaN/inf loss) at step {step}" if last is None else
               f"train loss {last['train_loss']:.3f}, test acc {last['test_acc']:.3f}")
    print(f"sweep {TITLES[model]:<9} lr {lr:<6g} seed {seed}: {outcome} ({rec['seconds']:.0f} s)", flush=True)
    return rec


# ---------------------------------------------------------------------------------------------
# Output


def _plain(obj):
    """JSON-ready: arrays dropped (eigenvectors), floats to 6 significant digits, NaN/inf as null."""
    if isinstance(obj, dict):
        return {k: _plain(v) for k, v in obj.items() if not isinstance(v, np.ndarray)}
    if isinstance(obj, (list, tuple)):
        return [_plain(v) for v in obj]
    if isinstance(obj, (float, np.floating)):
        return float(f"{obj:.6g}") if math.isfinite(obj) else None
    if isinstance(obj, np.integer):
        return int(obj)
    return obj


def _replace_atomically(path, write):
    """Write through ``write(tmp_path)`` and rename, so ``path`` is never left half-written."""
    tmp = path.with_name(f".{path.stem}.tmp{path.suffix}")
    try:
        write(tmp)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def plot(result, path):
    """Row 1: the four measures per training point (mean over batches, bars: min..max). Row 2: the loss
    along the gradient at each point, for each network, and the learning-rate sweep."""
    plt = pyplot()
    if plt is None:
        return False
    from matplotlib.lines import Line2D
    runs = result["landscape"]
    fig = plt.figure(figsize=(20, 10.5), layout="constrained")
    axes = fig.subplots(2, 4)
    titles = {"sharpness": "curvature: top Hessian eigenvalue λ_max (solid),\n"
                           "ĝᵀHĝ (dashed), λ_min (hollow, Lanczos)",
              "loss_range": "loss landscape variation:\nrange of L(θ − ηg), η = 0.05..4 × lr",
              "grad_change_max": "gradient predictiveness:\nmax ‖∇L(θ − ηg) − ∇L(θ)‖₂",
              "beta_max": "effective β-smoothness:\nmax ‖∇L(θ − ηg) − ∇L(θ)‖ / ‖ηg‖"}
    longest = max(runs, key=lambda r: len(r["points"]))

    def series(ax, rec, i, key, **style):
        pts = rec["points"]
        x = np.arange(len(pts)) + (i - 0.5 * (len(runs) - 1)) * 0.08
        mean = np.array([p[key]["mean"] for p in pts])
        err = [mean - [p[key]["min"] for p in pts], np.array([p[key]["max"] for p in pts]) - mean]
        ax.errorbar(x, mean, yerr=err, color=f"C{i}", capsize=3, **style)
        return x, mean

    for ax, key in zip(axes[0], MEASURES):
        for i, rec in enumerate(runs):
            series(ax, rec, i, key, fmt="o-")
            if key == "sharpness":
                series(ax, rec, i, "grad_curvature", fmt="s--", ms=4, lw=1)
                series(ax, rec, i, "lanczos_min", fmt="v:", mfc="none", ms=8, lw=0.8)
                ax.axhline(2 / rec["lr"], color=f"C{i}", ls=":", lw=1.2)
        ax.set_xticks(range(len(longest["points"])), [p["label"] for p in longest["points"]], fontsize=9)
        ax.set(title=titles[key], xlabel="training point", yscale="log")
        ax.grid(True, which="both", alpha=0.3)
    axes[0, 0].set_yscale("symlog", linthresh=0.1)
    axes[0, 0].axhline(0, color="black", lw=0.6)
    axes[0, 0].set_ylabel("symmetric log scale (linear within ±0.1)")
    axes[0, 1].set_ylabel("log scale (bars: min..max over the batches)")
    for ax, rec in zip(axes[1, :2], runs):
        colours = plt.cm.viridis(np.linspace(0, 0.9, len(rec["points"])))
        for c, p in zip(colours, rec["points"]):
            b = p["batches"][0]
            ax.plot(b["step_factors"], b["losses"], "o-", color=c, ms=3, label=p["label"].replace("\n", " "))
            ax.plot([min(b["step_factors"]) / 2], [b["loss"]], "x", color=c)
        ax.set(title=f"{rec['name']}: loss along the gradient (batch 0)\n(x at left: L(θ), no step)",
               xlabel="step η / lr (log scale)", ylabel="training loss L(θ − ηg)", xscale="log")
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(title="measured at", fontsize=8, loc="upper left")
    acc_ax, loss_ax = axes[1, 2:]
    for i, model in enumerate(dict.fromkeys(r["model"] for r in result["sweep"])):
        recs = [r for r in result["sweep"] if r["model"] == model]
        lrs = sorted({r["lr"] for r in recs})
        for ax, key in ((acc_ax, "final_test_acc"), (loss_ax, "final_train_loss")):
            by_lr = [[r[key] for r in recs if r["lr"] == lr and r[key] is not None] for lr in lrs]
            ok = [(lr, np.mean(v)) for lr, v in zip(lrs, by_lr) if v]
            ax.plot([a for a, _ in ok], [b for _, b in ok], "o-", color=f"C{i}")
            for r in recs:  # every seed, and a cross where a run diverged
                if r[key] is not None:
                    ax.plot(r["lr"], r[key], ".", color=f"C{i}", alpha=0.5)
            bad = [r["lr"] for r in recs if r["final_test_acc"] is None]
            if bad:
                y = 0.02 if ax is acc_ax else 2.5
                ax.plot(bad, [y] * len(bad), "x", color=f"C{i}", ms=10, mew=2, label=f"{TITLES[model]}: diverged")
    epochs, seeds = result["settings"]["sweep_epochs"], result["settings"]["sweep_seeds"]
    how = f"\n(line: mean over seeds {', '.join(map(str, seeds))}; dots: each seed)" if len(seeds) > 1 else ""
    acc_ax.axhline(0.1, color="grey", lw=0.8, ls=":")
    acc_ax.annotate("chance (0.1)", (0.45, 0.1), xycoords=("axes fraction", "data"), va="bottom", color="grey")
    acc_ax.set(title=f"learning-rate sweep: test accuracy after {epochs} epoch{'s' * (epochs > 1)}" + how,
               xlabel="learning rate (log scale)",
               ylabel="test accuracy", xscale="log", ylim=(0, 1))
    loss_ax.axhline(math.log(10), color="grey", lw=0.8, ls=":")
    loss_ax.annotate("chance (ln 10)", (0.45, math.log(10)), xycoords=("axes fraction", "data"), va="top", color="grey")
    loss_ax.set(title=f"learning-rate sweep: training loss, epoch {epochs}" + how, xlabel="learning rate (log scale)",
                ylabel="mean training loss of the last epoch", xscale="log")
    for ax in (acc_ax, loss_ax):
        ax.grid(True, which="both", alpha=0.3)
        if ax.get_legend_handles_labels()[0]:  # only the runs that diverged carry a label
            ax.legend(fontsize=8, loc="center right")
    # one legend for every panel, outside the data: the colour is the network, the line style the measure
    handles = [Line2D([], [], color=f"C{i}", marker="o", label=rec["name"]) for i, rec in enumerate(runs)] + [
        Line2D([], [], color="black", marker="o", label="λ_max (first panel), the measure (others)"),
        Line2D([], [], color="black", marker="s", ls="--", ms=4, lw=1, label="ĝᵀHĝ"),
        Line2D([], [], color="black", marker="v", ls=":", mfc="none", lw=0.8, label="λ_min (Lanczos)"),
        Line2D([], [], color="black", ls=":", lw=1.2, label="2 / lr of each network"),
        Line2D([], [], color="grey", marker=".", ls="none", label="one training seed (sweep)")]
    fig.legend(handles=handles, loc="outside lower center", ncol=len(handles), fontsize=10)
    fig.suptitle("Does BatchNorm smooth the loss landscape? LeNet vs LeNet-BN on Fashion-MNIST "
                 "(measures on fixed training batches, training-mode BatchNorm, float64)", fontsize=13)
    _replace_atomically(path, lambda p: fig.savefig(p, dpi=90, format="png"))
    plt.close(fig)
    return True


def _g(x):
    """3 significant digits, as the docs quote them."""
    return "–" if x is None else f"{x:.3g}"


def _spread(m):
    """mean [min, max] over the measured batches."""
    return f"{_g(m['mean'])} [{_g(m['min'])}, {_g(m['max'])}]" if m["min"] != m["max"] else _g(m["mean"])


def markdown_tables(result):
    """The tables quoted in docs/batchnorm.md: one per network (each measure at each point, mean
    [min, max] over the batches), and the learning-rate sweep (mean over seeds, and the runs that
    diverged or stayed at chance)."""
    lines = []
    for rec in result["landscape"]:
        lines += [f"**{rec['name']}**", "",
                  "| point | loss | ‖g‖ | λ_max, power (iterations) | λ_max, Lanczos | λ_min, Lanczos "
                  "| ĝᵀHĝ "
                  "| loss range | max ‖Δg‖ | β |",
                  "|---|---|---|---|---|---|---|---|---|---|"]
        for p in rec["points"]:
            iters = "/".join(str(b["power_iterations"]) + ("" if b["converged"] else "*") for b in p["batches"])
            lines.append(f"| {p['label'].replace(chr(10), ' ')} | {_g(p['loss']['mean'])} "
                         f"| {_g(p['grad_norm']['mean'])} | {_spread(p['sharpness'])} ({iters}) "
                         f"| {_spread(p['lanczos_max'])} | {_spread(p['lanczos_min'])} "
                         f"| {_spread(p['grad_curvature'])} | {_spread(p['loss_range'])} "
                         f"| {_spread(p['grad_change_max'])} | {_spread(p['beta_max'])} |")
        lines.append("")
    models = list(dict.fromkeys(r["model"] for r in result["sweep"]))
    seeds = sorted({r["seed"] for r in result["sweep"]})
    epochs = result["settings"]["sweep_epochs"]
    lines += [f"Learning-rate sweep, after {epochs} epoch{'s' * (epochs > 1)}: test accuracy and training loss of the "
              f"last epoch, mean over seeds {', '.join(map(str, seeds))}"
              + ("; in brackets the lowest and highest test accuracy of the seeds" if len(seeds) > 1 else "") + ".", "",
              "| lr | " + " | ".join(f"{TITLES[m]}: test acc, train loss" for m in models) + " |",
              "|---|" + "---|" * len(models)]
    for lr in sorted({r["lr"] for r in result["sweep"]}):
        cells = []
        for m in models:
            runs = [r for r in result["sweep"] if r["model"] == m and r["lr"] == lr]
            ok = [r for r in runs if r["final_test_acc"] is not None]
            cell = (f"{np.mean([r['final_test_acc'] for r in ok]):.3f}, "
                    f"{np.mean([r['final_train_loss'] for r in ok]):.3f}" if ok else "")
            if len(seeds) > 1 and len(ok) > 1:
                accs = [r["final_test_acc"] for r in ok]
                cell += f" ({min(accs):.3f}–{max(accs):.3f})"
            if len(ok) < len(runs):
                cell += f"{'; ' if ok else ''}diverged in {len(runs) - len(ok)} of {len(runs)}"
            cells.append(cell)
        lines.append(f"| {lr:g} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def write_outputs(result, out):
    out.mkdir(parents=True, exist_ok=True)
    text = json.dumps(_plain(result), indent=1)
    _replace_atomically(out / "bn_landscape.json", lambda p: p.write_text(text + "\n"))
    return plot(result, out / "bn_landscape.png")


def machine():
    return {"platform": platform.platform(), "python": platform.python_version(), "cpus": os.cpu_count(),
            "load_average": list(os.getloadavg()) if hasattr(os, "getloadavg") else None}


QUICK = {"limit_train": 512, "limit_test": 256, "points": ["0", "e1"], "batches": 1, "hessian_batch": 32,
         "power_iters": 30, "sweep_lrs": [0.1, 10.0], "sweep_epochs": 1, "sweep_seeds": [0]}


class _DefaultsShown(argparse.HelpFormatter):
    """Each option's help ends with its default, unless the help already says it."""

    def _get_help_string(self, action):
        if "(default: " in action.help or action.default is argparse.SUPPRESS:
            return action.help
        return action.help + (" (default: off)" if action.default is False else " (default: %(default)s)")


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=_DefaultsShown)
    cli_args.add_data_dir(p)
    p.add_argument("--out", default=None, help="output folder (default: runs/bn_landscape-<stamp>)")
    p.add_argument("--seed", type=int, default=0,
                   help="seeds the training (weights, batch order) and the power iterations' start vectors")
    p.add_argument("--lr-plain", type=float, default=0.9, help="learning rate of LeNet (D2L: 0.9)")
    p.add_argument("--lr-bn", type=float, default=1.0, help="learning rate of LeNet-BN (D2L: 1.0)")
    p.add_argument("--bn-model", choices=("lenet-bn-scratch", "lenet-bn"), default="lenet-bn-scratch",
                   help="which LeNet-BN: the chapter's from-scratch BatchNorm or nn.BatchNorm2d/1d")
    p.add_argument("--batch-size", type=int, default=256, help="training batch size")
    p.add_argument("--points", nargs="+", default=["0", "50", "200", "e1", "e5"],
                   help="where to measure: step numbers, eK = end of epoch K")
    p.add_argument("--batches", type=int, default=3, help="fixed training batches measured at each point")
    p.add_argument("--hessian-batch", type=int, default=256, help="images per measured batch")
    p.add_argument("--power-iters", type=int, default=100, help="most power iterations")
    p.add_argument("--tol", type=float, default=1e-3, help="power iteration: stop at this relative change")
    p.add_argument("--lanczos-steps", type=int, default=20, help="Lanczos iterations of the λ_min/λ_max check")
    p.add_argument("--fd-step", type=float, default=1e-4, help="finite-difference step of the H v check")
    p.add_argument("--step-factors", type=float, nargs="+", default=[0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 4.0],
                   help="steps along the gradient, as multiples of the learning rate")
    p.add_argument("--measure-dtype", choices=("float64", "float32"), default="float64",
                   help="dtype of the curvature and gradient measurements (training stays float32)")
    p.add_argument("--sweep-lrs", type=float, nargs="*", default=[0.03, 0.1, 0.3, 1.0, 3.0, 10.0],
                   help="learning rates of the sweep (none: no sweep)")
    p.add_argument("--sweep-epochs", type=int, default=3, help="epochs of each sweep run")
    p.add_argument("--sweep-seeds", type=int, nargs="+", default=[0, 1], help="training seeds of each sweep run")
    p.add_argument("--limit-train", type=int, default=None,
                   help="use only the first N training examples (default: all)")
    p.add_argument("--limit-test", type=int, default=None, help="use only the first N test examples (default: all)")
    p.add_argument("--synthetic", action="store_true", help="random images and labels instead of Fashion-MNIST")
    p.add_argument("--replot", metavar="JSON", default=None,
                   help="only redraw the figure (and print the tables) of an earlier run's bn_landscape.json "
                        "(default: run the study)")
    p.add_argument("--quick", action="store_true",
                   help="tiny sizes for a smoke test: " + ", ".join(f"{k}={v}" for k, v in QUICK.items()))
    args = p.parse_args(argv)
    if args.quick:
        for k, v in QUICK.items():
            setattr(args, k, v)
    if min(args.batches, args.hessian_batch, args.power_iters, args.lanczos_steps, args.sweep_epochs,
           args.batch_size) < 1:
        p.error("--batches, --hessian-batch, --power-iters, --lanczos-steps, --sweep-epochs and --batch-size "
                "must be positive")
    if min([args.lr_plain, args.lr_bn, args.tol, args.fd_step] + args.step_factors + args.sweep_lrs) <= 0:
        p.error("learning rates, --tol, --fd-step and --step-factors must be positive")
    return args


def main(argv=None):
    args = parse_args(argv)
    if args.replot:
        result = json.loads(Path(args.replot).read_text())
        out = Path(args.out) if args.out else Path(args.replot).parent
        out.mkdir(parents=True, exist_ok=True)
        print(markdown_tables(result) + (f"wrote {out / 'bn_landscape.png'}" if plot(result, out / "bn_landscape.png")
                                         else "no figure: pip install matplotlib"))
        return result
    out = cli_args.out_folder(args.out, "bn_landscape")
    start, at_start = time.perf_counter(), machine()
    landscape = [landscape_run("lenet", args.lr_plain, args), landscape_run(args.bn_model, args.lr_bn, args)]
    seconds_landscape = time.perf_counter() - start
    sweep = [sweep_run(model, lr, seed, args) for seed in args.sweep_seeds for lr in args.sweep_lrs
             for model in ("lenet", args.bn_model)]
    result = {"settings": {k: v for k, v in vars(args).items() if k != "out"}, "machine": at_start,
              "seconds": {"landscape": seconds_landscape, "sweep": time.perf_counter() - start - seconds_landscape},
              "landscape": landscape, "sweep": sweep}
    result["machine"]["load_average_end"] = machine()["load_average"]
    plotted = write_outputs(result, out)
    print("\n" + markdown_tables(_plain(result)))
    print(f"\nwrote {out / 'bn_landscape.json'}" + (f" and {out / 'bn_landscape.png'}" if plotted else
                                                    " (no figure: pip install matplotlib)")
          + f" in {time.perf_counter() - start:.0f} s")
    return result


if __name__ == "__main__":
    main()
