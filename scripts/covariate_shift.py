#!/usr/bin/env python
"""Internal covariate shift, measured: Ioffe & Szegedy's Figure 1 and Santurkar et al.'s noisy BatchNorm.

    python scripts/covariate_shift.py --data-dir /path/to/fashion-mnist        # into runs/covariate_shift-<stamp>
    python scripts/covariate_shift.py --nets mlp --out docs                     # docs/covariate_shift_mlp.{json,png}
    python scripts/covariate_shift.py --quick --synthetic --out /tmp/ics        # seconds, no data needed

Two networks, each trained three ways from the same initial weights and on the same batches:
``plain`` (no BatchNorm), ``bn`` (BatchNorm before each hidden sigmoid) and ``noisy`` (the same, with a
random per-unit scale and shift after each BatchNorm, drawn afresh at every step):

* ``mlp``: Ioffe & Szegedy (2015), Figure 1: 784-100-100-100-10, sigmoid hidden units, weights drawn
  from N(0, ``--init-std``²), biases 0, softmax cross-entropy, plain SGD (``--lr-mlp``) at batch
  ``--batch-mlp`` (60) for ``--steps-mlp`` (50,000) steps; BatchNorm1d after each hidden Linear, before
  the sigmoid, as the paper places it.
* ``lenet``: LeNet and the chapter's concise LeNet-BN (models/: BatchNorm2d/1d), D2L's recipe (Xavier
  init, SGD at ``--lr-lenet``, batch ``--batch-lenet``) for ``--steps-lenet`` steps.

Noisy BatchNorm (Santurkar et al., NeurIPS 2018, section 2.1): after each BatchNorm, at every training step
and for each unit (channel) u, y_u = s_u · x_u + m_u with s_u ~ U(``--noise-scale``) and m_u ~
U(``--noise-shift``), the same for every example of the batch; off in eval mode (E[s] = 1, E[m] = 0 by
default, so the eval network is the noise's mean).

Every ``--record-every`` steps, before that step's update and with that step's batch and noise:

* test accuracy (eval mode: running statistics, no noise) and the mean training loss since the last record;
* the input of the last hidden layer's sigmoid (its pre-activation, after BatchNorm and noise) on a fixed
  probe set (the first ``--probe`` training images, file order), in training mode with the step's noise;
  BatchNorm's running statistics are restored afterwards. Kept: the 15th/50th/85th percentiles of unit
  ``--unit`` (the figure's panels) and of every unit (summarised as the range of each percentile over training);
* Santurkar et al.'s ICS (Definition 2.1): for each layer i with layers below it, G = ∇_{W_i} L on the batch,
  and G' = the same gradient after the layers below i (their weights, biases and BatchNorm γ, β) have
  taken this step's SGD update (θ − lr·∇L); ``‖G − G'‖₂``, ``‖G‖₂`` and cos(G, G'), by
  ``minigrad.autograd.grad``. The network is restored before the step proper, so measuring does not change
  the training. The final record (after the last step) measures on the last step's batch, which the
  network has just been trained on.

Writes ``covariate_shift_<net>.json`` (every number, the settings and the machine; ``_seed<K>`` added for
``--seed K`` ≠ 0) and, with matplotlib, ``covariate_shift_<net>.png`` to ``--out`` (default: a new
run folder ``runs/covariate_shift-<stamp>``).
"""
import argparse
import io
import json
import math
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout without installing
sys.path.insert(0, str(Path(__file__).resolve().parent))  # the other studies' helpers

import minigrad  # noqa: E402
from minigrad import autograd, nn  # noqa: E402
from minigrad.train import evaluate_accuracy, init_weights  # noqa: E402
from models import lenet, lenet_bn  # noqa: E402
import cli_args  # noqa: E402
from gradient_flow import make_loaders, pyplot  # noqa: E402
from bn_landscape import _plain, _replace_atomically, machine  # noqa: E402

VARIANTS = ("plain", "bn", "noisy")
LABELS = {"plain": "no BatchNorm", "bn": "BatchNorm", "noisy": "noisy BatchNorm"}
NETS = {"mlp": "MLP 784-100-100-100-10 (sigmoid)", "lenet": "LeNet"}
PERCENTILES = (15, 50, 85)


# ---------------------------------------------------------------------------------------------
# The networks


class Noise(nn.Module):
    """Santurkar et al.'s noise after a BatchNorm: y = s·x + m per unit (channel, dim 1), s and m drawn by
    ``resample`` (once per training step); the identity in eval mode."""

    def __init__(self, num_features):
        super().__init__()
        self.num_features, self.scale, self.shift = num_features, None, None

    def resample(self, rng, scale_range, shift_range):
        self.scale = rng.uniform(*scale_range, self.num_features)
        self.shift = rng.uniform(*shift_range, self.num_features)

    def forward(self, x):
        if not self.training:
            return x
        if self.scale is None:
            raise RuntimeError("Noise: call resample(rng, scale_range, shift_range) before a training forward")
        shape = (1, self.num_features) + (1,) * (x.ndim - 2)
        scale = minigrad.tensor(self.scale.reshape(shape), dtype=x.dtype)
        return x * scale + minigrad.tensor(self.shift.reshape(shape), dtype=x.dtype)


class Tap(nn.Module):
    """The identity; keeps a NumPy copy of its input while ``keep`` is set (the sigmoid's input we watch)."""

    def __init__(self):
        super().__init__()
        self.keep, self.seen = False, None

    def forward(self, x):
        if self.keep:
            self.seen = x.numpy().reshape(x.shape[0], -1)
        return x


def mlp(variant, hidden=(100, 100, 100), init_std=0.1):
    """Ioffe & Szegedy's Figure 1 network; BatchNorm1d (and Noise) between each hidden Linear and its sigmoid."""
    layers, width = [nn.Flatten()], 784
    for k, h in enumerate(hidden):
        layers.append(nn.Linear(width, h))
        if variant != "plain":
            layers.append(nn.BatchNorm1d(h))
        if variant == "noisy":
            layers.append(Noise(h))
        if k == len(hidden) - 1:
            layers.append(Tap())
        layers += [nn.Sigmoid()]
        width = h
    net = nn.Sequential(*layers, nn.Linear(width, 10))
    for m in net:
        if isinstance(m, nn.Linear):
            nn.init.normal_(m.weight, std=init_std)
            nn.init.zeros_(m.bias)
    return net


def lenet_variant(variant):
    """LeNet (plain) or the chapter's concise LeNet-BN (bn), Xavier-initialised; noisy: a Noise after each
    BatchNorm. A Tap before the last hidden sigmoid (fc2's 84 units)."""
    net = init_weights(lenet() if variant == "plain" else lenet_bn())
    layers = list(net)
    last_sigmoid = max(i for i, m in enumerate(layers) if isinstance(m, nn.Sigmoid))
    out = []
    for i, m in enumerate(layers):
        if i == last_sigmoid:
            out.append(Tap())
        out.append(m)
        if variant == "noisy" and isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d)):
            out.append(Noise(m.num_features))
    return nn.Sequential(*out)


def blocks(net):
    """The network's layers for the ICS measure: each Linear/Conv2d with the BatchNorm after it, as
    (weight, all parameters of the block), bottom to top."""
    out = []
    for m in net:
        if isinstance(m, (nn.Linear, nn.Conv2d)):
            out.append((m.weight, list(m.parameters())))
        elif list(m.parameters()):
            out[-1][1].extend(m.parameters())
    return out


def build(net_name, variant, args):
    minigrad.manual_seed(args.seed)
    return mlp(variant, init_std=args.init_std) if net_name == "mlp" else lenet_variant(variant)


# ---------------------------------------------------------------------------------------------
# The measurements


class _KeepBuffers:
    """Restores every buffer (BatchNorm's running statistics) on exit: forwards in training mode update them."""

    def __init__(self, net):
        self.saved = [(b, b.numpy().copy()) for b in net.buffers()]

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        with minigrad.no_grad():
            for b, value in self.saved:
                b.copy_(value)


def probe_percentiles(net, tap, X):
    """The 15th/50th/85th percentiles of each unit's input at ``tap`` over the probe set X: array (3, units)."""
    with _KeepBuffers(net), minigrad.no_grad():
        tap.keep = True
        try:
            net(X)
        finally:
            tap.keep = False
    return np.percentile(tap.seen.astype(np.float64), PERCENTILES, axis=0)


def ics(net, loss_fn, X, y, lr):
    """Santurkar et al.'s ICS for each layer i ≥ 2: ‖G − G'‖₂, ‖G‖₂ and cos(G, G'), where G = ∇_{W_i} L(θ) and
    G' = ∇_{W_i} L after the SGD update θ_j − lr·∇_{θ_j} L of the parameters of the layers j < i, same batch.
    Parameters and running statistics are left as they were."""
    layers = blocks(net)
    params = [p for _, ps in layers for p in ps]
    with _KeepBuffers(net):
        grads = dict(zip(map(id, params), autograd.grad(loss_fn(net(X), y), params)))
        out = []
        for i in range(1, len(layers)):
            below = [p for _, ps in layers[:i] for p in ps]
            saved = [p.numpy().copy() for p in below]
            with minigrad.no_grad():
                for p in below:
                    p.sub_(grads[id(p)] * lr)
            weight = layers[i][0]
            (g_after,) = autograd.grad(loss_fn(net(X), y), [weight])
            with minigrad.no_grad():
                for p, value in zip(below, saved):
                    p.copy_(value)
            g, g2 = grads[id(weight)].numpy().astype(np.float64).ravel(), g_after.numpy().astype(np.float64).ravel()
            norm, norm2 = np.linalg.norm(g), np.linalg.norm(g2)
            out.append({"l2": float(np.linalg.norm(g - g2)), "grad_norm": float(norm),
                        "cos": float(g @ g2 / (norm * norm2)) if norm * norm2 > 0 else float("nan")})
    return out


def percentile_summary(series, first=0):
    """Per unit, the range (max − min over the records from ``first`` on) of the median and of the 15–85
    spread, and the mean step-to-step change of the median (None from a single record); each the median
    over the units."""
    q = np.asarray(series)[first:]  # (records, 3, units)
    median, spread = q[:, 1], q[:, 2] - q[:, 0]
    return {"median_range": float(np.median(median.max(0) - median.min(0))),
            "spread_range": float(np.median(spread.max(0) - spread.min(0))),
            "median_jitter": float(np.median(np.abs(np.diff(median, axis=0)).mean(0))) if len(q) > 1 else None,
            "spread_mean": float(np.median(spread.mean(0)))}


def train_run(net_name, variant, args):
    """Train one network, recording accuracy, the watched unit's percentiles and the ICS measure."""
    net = build(net_name, variant, args)
    tap = next(m for m in net if isinstance(m, Tap))
    noises = [m for m in net if isinstance(m, Noise)]
    rng = np.random.default_rng(args.seed + 1000)  # the noise's own stream: the same for every run of a seed
    batch, lr, steps = (getattr(args, f"{k}_{net_name}") for k in ("batch", "lr", "steps"))
    loaders = argparse.Namespace(**{**vars(args), "batch_size": batch})
    train_iter, test_iter = make_loaders(loaders)
    if args.probe > train_iter.num_examples:
        raise ValueError(f"--probe {args.probe}: the training set holds only {train_iter.num_examples} images")
    probe_X = minigrad.tensor(train_iter.images[:args.probe] / 255.0, dtype=minigrad.float32).reshape(
        args.probe, 1, 28, 28)
    optimizer, loss_fn = minigrad.optim.SGD(net.parameters(), lr=lr), nn.CrossEntropyLoss()
    rec = {"net": net_name, "variant": variant, "name": f"{NETS[net_name]}, {LABELS[variant]}", "lr": lr,
           "batch": batch, "steps": [], "test_acc": [], "train_loss": [], "unit": [], "ics": [],
           "diverged_at_step": None}
    units, losses, step, start = [], [], 0, time.perf_counter()

    def record(X, y):
        rec["steps"].append(step)
        rec["test_acc"].append(evaluate_accuracy(net, test_iter))
        rec["train_loss"].append(float(np.mean(losses)) if losses else None)
        losses.clear()
        q = probe_percentiles(net, tap, probe_X)
        units.append(q)
        rec["unit"].append([float(v) for v in q[:, args.unit]])
        rec["ics"].append(ics(net, loss_fn, X, y, lr))

    net.train()
    while step < steps and rec["diverged_at_step"] is None:
        for X, y in train_iter:
            for noise in noises:
                noise.resample(rng, args.noise_scale, args.noise_shift)
            if step % args.record_every == 0:
                record(X, y)
            optimizer.zero_grad()
            loss = loss_fn(net(X), y)
            loss.backward()
            optimizer.step()
            step += 1
            losses.append(float(loss.item()))
            if not math.isfinite(losses[-1]):
                rec["diverged_at_step"] = step
                break
            if step == steps:
                break
    if rec["diverged_at_step"] is None:
        record(X, y)  # the final point (ICS on the last batch again: the layers' response at the end)
    rec["seconds"] = time.perf_counter() - start
    rec["units"] = percentile_summary(units)
    rec["units_after_first"] = percentile_summary(units, first=1)
    layers = np.array([[r["l2"] for r in point] for point in rec["ics"]])
    cosines = np.array([[r["cos"] for r in point] for point in rec["ics"]])
    norms = np.array([[r["grad_norm"] for r in point] for point in rec["ics"]])
    rec["ics_median"] = {"l2": np.median(layers, 0).tolist(), "cos": np.median(cosines, 0).tolist(),
                         "relative_l2": np.median(layers / np.maximum(norms, 1e-300), 0).tolist()}
    acc = rec["test_acc"]
    print(f"{rec['name']:<55} {step:>6} steps: test acc {acc[0]:.3f} -> {acc[-1]:.3f} (best {max(acc):.3f}), "
          f"median range {rec['units']['median_range']:.3g}, spread range {rec['units']['spread_range']:.3g}, "
          f"jitter {rec['units']['median_jitter']:.3g}, ICS l2 {np.round(rec['ics_median']['l2'], 4).tolist()} "
          f"cos {np.round(rec['ics_median']['cos'], 3).tolist()} ({rec['seconds']:.0f} s)", flush=True)
    return rec


def first_step_reaching(rec, level):
    """The first recorded step at which the test accuracy is at least ``level`` (None if never)."""
    return next((s for s, a in zip(rec["steps"], rec["test_acc"]) if a >= level), None)


# ---------------------------------------------------------------------------------------------
# Output


def plot(result, path):
    """Row 1: test accuracy, and the watched unit's percentiles for each variant. Row 2: the ICS measure
    (‖G − G'‖ relative to ‖G‖, and cos(G, G')) per layer for each variant."""
    plt = pyplot()
    if plt is None:
        return False
    runs = {r["variant"]: r for r in result["runs"]}
    fig, axes = plt.subplots(2, 4, figsize=(20, 9))
    acc = axes[0, 0]
    for i, (v, r) in enumerate(runs.items()):
        acc.plot(r["steps"], r["test_acc"], color=f"C{i}", label=f"{LABELS[v]} (lr {r['lr']:g})")
    acc.axhline(0.1, color="grey", lw=0.8, ls=":", label="chance (0.1)")
    acc.set(title="(a) test accuracy (eval mode)", xlabel="training step", ylabel="test accuracy", ylim=(0, 1))
    acc.legend(fontsize=9)
    unit = result["settings"]["unit"]
    low, high = (f(f(u) for r in runs.values() for u in r["unit"]) for f in (min, max))
    lims = (low - 0.05 * (high - low), high + 0.05 * (high - low))
    for ax, (letter, (v, r)) in zip(axes[0, 1:], zip("bcd", runs.items())):
        q = np.array(r["unit"])
        for k, (p, style) in enumerate(zip(PERCENTILES, (":", "-", "--"))):
            ax.plot(r["steps"], q[:, k], style, color=f"C{list(runs).index(v)}", label=f"{p}th percentile")
        ax.set(title=f"({letter}) {LABELS[v]}: input of sigmoid unit {unit},\nlast hidden layer "
                     f"(probe of {result['settings']['probe']} training images)",
               xlabel="training step", ylabel="pre-activation (after BN and noise)", ylim=lims)
        ax.legend(fontsize=9)
    for ax, key, title in ((axes[1, 0], "relative_l2", "(e) ICS: ‖G − G'‖₂ / ‖G‖₂"),
                           (axes[1, 1], "cos", "(f) ICS: cos(G, G')")):
        for i, (v, r) in enumerate(runs.items()):
            pts = r["ics"]
            for j in range(len(pts[0])):
                vals = [p[j]["l2"] / p[j]["grad_norm"] if key == "relative_l2" else p[j]["cos"] for p in pts]
                ax.plot(r["steps"], vals, color=f"C{i}", ls=("-", "--", ":", "-.")[j % 4], lw=1,
                        label=f"{LABELS[v]}, layer {j + 2}")
        ax.set(title=f"{title}\nG, G': layer i's weight gradient before / after\n"
                     "the layers below i take this step's update",
               xlabel="training step", yscale="log" if key == "relative_l2" else "linear")
        ax.legend(fontsize=7, ncol=2)
    loss_ax = axes[1, 2]
    for i, (v, r) in enumerate(runs.items()):
        pairs = [(s, x) for s, x in zip(r["steps"], r["train_loss"]) if x is not None]
        loss_ax.plot(*zip(*pairs), color=f"C{i}", label=LABELS[v])
    loss_ax.set(title="(g) training loss (mean since the last record)", xlabel="training step", ylabel="cross-entropy",
                yscale="log")
    loss_ax.legend(fontsize=9)
    text = axes[1, 3]
    text.axis("off")
    s = result["settings"]
    lines = [f"{v}: {LABELS[v]}, lr {r['lr']:g}, batch {r['batch']}, {r['steps'][-1]} steps, seed {s['seed']}\n"
             f"   final test acc {r['test_acc'][-1]:.3f}; all units: median range {r['units']['median_range']:.3g},\n"
             f"   spread range {r['units']['spread_range']:.3g}, step-to-step median change "
             f"{r['units']['median_jitter']:.3g}" for v, r in runs.items()]
    lines.append(f"noise after each BN, per unit and step:\n   s ~ U{tuple(s['noise_scale'])}, "
                 f"m ~ U{tuple(s['noise_shift'])}, y = s·x + m")
    text.text(0, 1, "\n\n".join(lines), va="top", fontsize=9, family="monospace")
    for ax in axes.flat:
        if ax is not text:
            ax.grid(True, alpha=0.3)
    fig.suptitle(f"Internal covariate shift, {NETS[result['net']]} on Fashion-MNIST: Ioffe & Szegedy's Figure 1 "
                 "and Santurkar et al.'s noisy BatchNorm and ICS measure")
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, dpi=72, format="png")
    plt.close(fig)
    from PIL import Image  # matplotlib's own dependency; 256 colours keep the committed figure small
    image = Image.open(buffer).convert("RGB").quantize(256)
    _replace_atomically(path, lambda p: image.save(p, format="png", optimize=True))
    return True


def markdown_table(result, levels=(0.7, 0.8)):
    """The table quoted in docs/batchnorm.md: per variant, the test accuracy, the mean training loss since the
    record before the last, the first recorded steps at
    which it reaches ``levels``, the last hidden layer's input drift (all units: median over the units) and
    Santurkar et al.'s ICS (median over the records) for each layer from the second on."""
    runs = result["runs"]
    layers = len(runs[0]["ics_median"]["l2"])
    head = (["network", "final test acc (best)", "training loss, last interval"]
            + [f"first step ≥ {lv:g}" for lv in levels]
            + ["median range", "spread range", "median change per record"]
            + [f"layer {j + 2}: ‖G − G'‖/‖G‖, cos" for j in range(layers)])
    lines = ["| " + " | ".join(head) + " |", "|---" * len(head) + "|"]
    for r in runs:
        u, m = r["units"], r["ics_median"]
        cells = ([LABELS[r["variant"]], f"{r['test_acc'][-1]:.3f} ({max(r['test_acc']):.3f})",
                  f"{r['train_loss'][-1]:.3f}"]
                 + [str(first_step_reaching(r, lv) if first_step_reaching(r, lv) is not None else "–") for lv in levels]
                 + [f"{u[k]:.3g}" for k in ("median_range", "spread_range", "median_jitter")]
                 + [f"{rel:.3g}, {cos:.3f}" for rel, cos in zip(m["relative_l2"], m["cos"])])
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def file_stem(net_name, seed):
    return f"covariate_shift_{net_name}" + (f"_seed{seed}" if seed else "")


def write_outputs(result, out):
    out.mkdir(parents=True, exist_ok=True)
    stem = file_stem(result["net"], result["settings"]["seed"])
    text = json.dumps(_plain(result), indent=1)
    _replace_atomically(out / f"{stem}.json", lambda p: p.write_text(text + "\n"))
    return plot(result, out / f"{stem}.png")


QUICK = {"limit_train": 600, "limit_test": 200, "steps_mlp": 40, "steps_lenet": 6, "batch_lenet": 60, "probe": 120}
RECORD_EVERY = {"mlp": 500, "lenet": 50}
QUICK_RECORD_EVERY = {"mlp": 20, "lenet": 3}


def _range(text):
    low, _, high = text.partition(",")
    try:
        pair = (float(low), float(high))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected LOW,HIGH (two numbers), got {text!r}") from None
    if not pair[0] <= pair[1]:
        raise argparse.ArgumentTypeError(f"expected LOW <= HIGH, got {text!r}")
    return pair


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    cli_args.add_data_dir(p)
    p.add_argument("--out", default=None, help="output folder (default: runs/covariate_shift-<stamp>)")
    p.add_argument("--seed", type=cli_args.int_at_least(0), default=0,
                   help="initial weights, batch order and noise (default 0)")
    p.add_argument("--nets", nargs="+", choices=tuple(NETS), default=list(NETS))
    p.add_argument("--variants", nargs="+", choices=VARIANTS, default=list(VARIANTS))
    p.add_argument("--lr-mlp", type=cli_args.positive_number, default=0.5, help="SGD learning rate of the MLP")
    p.add_argument("--batch-mlp", type=cli_args.int_at_least(2), default=60)
    p.add_argument("--steps-mlp", type=cli_args.int_at_least(1), default=50_000)
    p.add_argument("--init-std", type=cli_args.positive_number, default=0.1,
                   help="standard deviation of the MLP's Gaussian initial weights")
    p.add_argument("--lr-lenet", type=cli_args.positive_number, default=0.9, help="SGD learning rate of LeNet (D2L)")
    p.add_argument("--batch-lenet", type=cli_args.int_at_least(2), default=256)
    p.add_argument("--steps-lenet", type=cli_args.int_at_least(1), default=1175, help="default: 5 epochs")
    p.add_argument("--noise-scale", type=_range, default=(0.25, 1.75), metavar="LOW,HIGH",
                   help="the noise's per-unit scale s ~ U(LOW, HIGH)")
    p.add_argument("--noise-shift", type=_range, default=(-1.0, 1.0), metavar="LOW,HIGH",
                   help="the noise's per-unit shift m ~ U(LOW, HIGH)")
    p.add_argument("--record-every", type=cli_args.int_at_least(1), default=None,
                   help="steps between records (default: 500 for the MLP, 50 for LeNet)")
    p.add_argument("--probe", type=cli_args.int_at_least(2), default=1000, help="training images of the probe set")
    p.add_argument("--unit", type=cli_args.int_at_least(0), default=0, help="the watched unit of the last hidden layer")
    p.add_argument("--limit-train", type=cli_args.int_at_least(1), default=None)
    p.add_argument("--limit-test", type=cli_args.int_at_least(1), default=None)
    p.add_argument("--synthetic", action="store_true", help="random images and labels instead of Fashion-MNIST")
    p.add_argument("--replot", metavar="JSON", default=None, help="only redraw the figure of an earlier run's JSON")
    p.add_argument("--merge", nargs="+", metavar="JSON", default=None,
                   help="only merge the JSON files of runs split by --variants into one (written to --out)")
    p.add_argument("--quick", action="store_true",
                   help="tiny sizes for a smoke test: " + ", ".join(f"{k}={v}" for k, v in QUICK.items())
                   + f", record every {QUICK_RECORD_EVERY['mlp']} (MLP) and "
                     f"{QUICK_RECORD_EVERY['lenet']} (LeNet) steps")
    args = p.parse_args(argv)
    vars(args).update(QUICK if args.quick else {})
    if args.unit >= 84:
        p.error(f"--unit {args.unit}: the last hidden layer has 100 units (MLP) and 84 (LeNet); use 0..83")
    return args


def run_net(net_name, args):
    every = args.record_every or (QUICK_RECORD_EVERY if args.quick else RECORD_EVERY)[net_name]
    local = argparse.Namespace(**{**vars(args), "record_every": every})
    start, at_start = time.perf_counter(), machine()
    runs = [train_run(net_name, v, local) for v in args.variants]
    result = {"net": net_name, "settings": {k: v for k, v in vars(local).items() if k != "out"},
              "machine": at_start, "seconds": time.perf_counter() - start, "runs": runs}
    result["machine"]["load_average_end"] = machine()["load_average"]
    return result


def merge(paths):
    """One result from runs of the same network and settings written by several processes (``--variants``
    split between them): the runs in VARIANTS order, the seconds of each process summed."""
    parts = [json.loads(Path(p).read_text()) for p in paths]
    first = parts[0]
    same = {k: v for k, v in first["settings"].items() if k != "variants"}
    for path, part in zip(paths, parts):
        other = {k: v for k, v in part["settings"].items() if k != "variants"}
        if part["net"] != first["net"] or other != same:
            diff = sorted(k for k in set(same) | set(other) if same.get(k) != other.get(k)) or ["net"]
            raise ValueError(f"--merge: {path} was run with other settings than {paths[0]} ({', '.join(diff)}); "
                             "merge only runs of one network made with the same flags")
    runs = {r["variant"]: r for part in parts for r in part["runs"]}
    if len(runs) < sum(len(part["runs"]) for part in parts):
        raise ValueError("--merge: a variant appears in more than one file; give each variant once")
    ordered = [runs[v] for v in VARIANTS if v in runs]
    return {**first, "settings": {**first["settings"], "variants": [r["variant"] for r in ordered]},
            "seconds": sum(part["seconds"] for part in parts), "runs": ordered,
            "machine": {**first["machine"], "processes": [part["machine"] for part in parts]}}


def main(argv=None):
    args = parse_args(argv)
    if args.merge:
        result = merge(args.merge)
        out = Path(args.out) if args.out else Path(args.merge[0]).parent
        plotted = write_outputs(result, out)
        print(markdown_table(_plain(result)))
        stem = out / file_stem(result["net"], result["settings"]["seed"])
        print(f"wrote {stem}.json" + (" and .png" if plotted else ""))
        return result
    if args.replot:
        result = json.loads(Path(args.replot).read_text())
        out = Path(args.out) if args.out else Path(args.replot).parent
        path = out / f"{file_stem(result['net'], result['settings']['seed'])}.png"
        print(f"wrote {path}" if plot(result, path) else "no figure: pip install matplotlib")
        return result
    out = cli_args.out_folder(args.out, "covariate_shift")
    results = {}
    for net_name in args.nets:
        results[net_name] = run_net(net_name, args)
        plotted = write_outputs(results[net_name], out)
        print(markdown_table(_plain(results[net_name])))
        stem = out / file_stem(net_name, args.seed)
        print(f"wrote {stem}.json" + (f" and {stem}.png" if plotted else " (no figure: pip install matplotlib)"))
    return results


if __name__ == "__main__":
    main()
