#!/usr/bin/env python
"""Gradient flow with and without BatchNorm: LeNet vs LeNet-BN, per-layer weight-gradient norms per step.

    python scripts/gradient_flow.py                               # both nets at lr 1.0, 3 epochs of Fashion-MNIST
    python scripts/gradient_flow.py --epochs 5 --lr-plain 0.9     # plain LeNet also at 0.9: the figure in docs/
    python scripts/gradient_flow.py --epochs 5 --lr-plain 0.9 --out docs   # ... and replace docs/gradient_flow.*
    python scripts/gradient_flow.py --lr-plain 0.1 0.3 2.0 --out /tmp/sweep   # several learning rates for LeNet
    python scripts/gradient_flow.py --synthetic --limit-train 512 --epochs 1 --out /tmp/gf   # no dataset needed

Both networks follow D2L's train_ch6 recipe (Xavier init, SGD, cross-entropy, batch 256,
``minigrad.manual_seed(seed)`` before each is built, the same batch order). Each run records,
per training step, the loss and the L2 norm of each Conv2d/Linear weight's gradient (and
the weight's norm), and per epoch the test accuracy. The plain LeNet is trained at ``--lr``
and again at each ``--lr-plain`` value; LeNet-BN at ``--lr``.
Writes ``gradient_flow.json`` and (with matplotlib) ``gradient_flow.png`` to ``--out``, by default a new
folder ``runs/gradient-flow-<timestamp>``: the tracked files in docs/ change only with ``--out docs``.
"""
import argparse
import json
import math
import re
import sys
import time
from pathlib import Path

import numpy as np

# the checkout's models/ and scripts/cli_args.py (also when this file is loaded by path, as the tests do)
sys.path[:0] = [str(Path(__file__).resolve().parents[1]), str(Path(__file__).resolve().parent)]

import cli_args  # noqa: E402
import minigrad  # noqa: E402
from minigrad import nn  # noqa: E402
from minigrad.data import DataLoader, DatasetError, load_fashion_mnist  # noqa: E402
from minigrad.train import evaluate_accuracy, init_weights, train_step  # noqa: E402
from models import lenet, lenet_bn_scratch  # noqa: E402

LAYERS = ("conv1", "conv2", "fc1", "fc2", "fc3")
TITLES = {"lenet": "LeNet", "lenet-bn-scratch": "LeNet-BN"}


def weight_layers(net):
    """The Conv2d and Linear layers in order, named conv1, conv2, fc1, fc2, fc3."""
    layers = [m for m in net if isinstance(m, (nn.Conv2d, nn.Linear))]
    assert len(layers) == len(LAYERS), layers
    return dict(zip(LAYERS, layers))


def pyplot():
    """matplotlib.pyplot drawing to files only (the Agg backend), or None where matplotlib is not installed."""
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return None
    return plt


def make_loaders(args):
    """Fresh (train, test) loaders; the training order depends only on --seed, so every run sees the same batches."""
    if not args.synthetic:
        return load_fashion_mnist(args.batch_size, root=args.data_dir, seed=args.seed,
                                  limit_train=args.limit_train, limit_test=args.limit_test)
    rng = np.random.default_rng(1234)  # random images and labels: exercises the plumbing, nothing to learn
    loaders = []
    for n, train in ((args.limit_train or 512, True), (args.limit_test or 256, False)):
        images, labels = rng.integers(0, 256, (n, 28, 28), dtype=np.uint8), rng.integers(0, 10, n)
        loaders.append(DataLoader(images, labels, args.batch_size, shuffle=train, seed=args.seed if train else None))
    return tuple(loaders)


def train_run(model, lr, args):
    """Train one network; return its per-step and per-epoch record."""
    minigrad.manual_seed(args.seed)
    net = init_weights({"lenet": lenet, "lenet-bn-scratch": lenet_bn_scratch}[model]())
    layers = weight_layers(net)
    train_iter, test_iter = make_loaders(args)
    optimizer, loss_fn = minigrad.optim.SGD(net.parameters(), lr=lr), nn.CrossEntropyLoss()
    rec = {"name": f"{TITLES[model]}, lr {lr}", "model": model, "lr": lr, "loss": [], "epochs": [],
           "grad_norm": {k: [] for k in LAYERS}, "weight_norm": {k: [] for k in LAYERS}}
    for epoch in range(1, args.epochs + 1):
        start, first = time.perf_counter(), len(rec["loss"])
        net.train()
        for X, y in train_iter:
            loss, _ = train_step(net, X, y, loss_fn, optimizer)
            rec["loss"].append(float(loss.array))
            for k, layer in layers.items():
                rec["grad_norm"][k].append(float(np.linalg.norm(layer.weight.grad.array)))
                rec["weight_norm"][k].append(float(np.linalg.norm(layer.weight.array)))
            if not math.isfinite(rec["loss"][-1]):
                rec["diverged_at_step"] = len(rec["loss"])
                print(f"{rec['name']}: loss {rec['loss'][-1]} at step {len(rec['loss'])}; stopping this run")
                return rec
        rec["epochs"].append({"epoch": epoch, "step": len(rec["loss"]),
                              "train_loss": float(np.mean(rec["loss"][first:])),
                              "test_acc": evaluate_accuracy(net, test_iter), "seconds": time.perf_counter() - start,
                              "weight_norm": {k: rec["weight_norm"][k][-1] for k in LAYERS}})
        e = rec["epochs"][-1]
        print(f"{rec['name']:<22} epoch {epoch}: train loss {e['train_loss']:.3f}, test acc {e['test_acc']:.3f} "
              f"({e['seconds']:.0f} s)")
    return rec


def smooth(values, window):
    """Running mean over the last ``window`` values (shorter at the start)."""
    c = np.cumsum(np.insert(np.asarray(values, float), 0, 0.0))
    lo = np.maximum(np.arange(1, len(values) + 1) - window, 0)
    return (c[1:] - c[lo]) / (np.arange(1, len(values) + 1) - lo)


def summarize(rec, window=20):
    """The numbers quoted in docs/batchnorm.md: gradient-norm ratios early/late, loss milestones, accuracy."""
    g = {k: np.asarray(v) for k, v in rec["grad_norm"].items()}
    w = {k: np.asarray(v) for k, v in rec["weight_norm"].items()}
    n = len(rec["loss"])
    tenth = max(n // 10, 1)
    ratio, rel = g["conv1"] / g["fc3"], (g["conv1"] / w["conv1"]) / (g["fc3"] / w["fc3"])
    loss = smooth(rec["loss"], window)
    below = lambda t: next((i + 1 for i, v in enumerate(loss) if v < t), None)  # noqa: E731
    return {"steps": n,
            "grad_ratio_conv1_fc3": {"first_10pct": float(np.median(ratio[:tenth])),
                                     "last_10pct": float(np.median(ratio[-tenth:])), "all": float(np.median(ratio))},
            "relative_grad_ratio_conv1_fc3": {"first_10pct": float(np.median(rel[:tenth])),
                                              "last_10pct": float(np.median(rel[-tenth:]))},
            "median_grad_norm": {k: float(np.median(v)) for k, v in g.items()},
            f"loss_mean_{window}_steps_at": {str(s): float(loss[s - 1]) for s in (50, 100, 200, 400, n) if s <= n},
            "first_step_loss_below": {str(t): below(t) for t in (2.0, 1.0, 0.6)},
            "test_acc": [e["test_acc"] for e in rec["epochs"]],
            "best_test_acc": max((e["test_acc"] for e in rec["epochs"]), default=None)}


def plot(runs, path, window=20):
    """Top: per-layer gradient norms, one panel per run (same y-limits). Bottom: loss, test accuracy, conv1/fc3."""
    plt = pyplot()
    if plt is None:
        return False
    from matplotlib.ticker import MaxNLocator
    fig = plt.figure(figsize=(4.3 * max(len(runs), 3), 7.2), layout="constrained")
    top, bottom = fig.subfigures(2, 1)  # the rows have their own column counts: no empty panel
    grad_axes = top.subplots(1, len(runs), squeeze=False)[0]
    colours = dict(zip(LAYERS, plt.cm.viridis(np.linspace(0, 0.9, len(LAYERS)))))
    for ax, rec in zip(grad_axes, runs):
        for k in LAYERS:
            ax.plot(rec["grad_norm"][k], color=colours[k], lw=0.4, alpha=0.3)
            ax.plot(smooth(rec["grad_norm"][k], window), color=colours[k], lw=1.4, label=k)
        for e in rec["epochs"][:-1]:
            ax.axvline(e["step"], color="grey", lw=0.6, ls=":")
        ax.set(yscale="log", title=rec["name"], xlabel="training step (dotted: epoch ends)",
               ylabel="‖∂L/∂W‖₂ (log scale)")
        ax.grid(True, which="major", alpha=0.3)
    grad_axes[-1].legend(title="layer (input → output)", fontsize=8, loc="lower right")
    lo = min(ax.get_ylim()[0] for ax in grad_axes)
    hi = max(ax.get_ylim()[1] for ax in grad_axes)
    for ax in grad_axes:
        ax.set_ylim(lo, hi)
    styles, markers = ["-", "--", ":", "-."], "osD^v"
    loss_ax, acc_ax, ratio_ax = bottom.subplots(1, 3)
    for i, rec in enumerate(runs):
        c, ls = f"C{i}", styles[i % len(styles)]
        loss_ax.plot(smooth(rec["loss"], window), color=c, ls=ls, label=rec["name"])
        dodge = (i - (len(runs) - 1) / 2) * 0.06  # equal accuracies side by side, not one dot over another
        acc_ax.plot([e["epoch"] + dodge for e in rec["epochs"]], [e["test_acc"] for e in rec["epochs"]], ls=ls,
                    color=c, marker=markers[i % len(markers)], mfc="white" if i else c, label=rec["name"])
        ratio = np.asarray(rec["grad_norm"]["conv1"]) / np.asarray(rec["grad_norm"]["fc3"])
        ratio_ax.plot(smooth(ratio, window), color=c, ls=ls, label=rec["name"])
    loss_ax.set(title=f"training loss ({window}-step running mean)", xlabel="training step",
                ylabel="cross-entropy")
    acc_ax.set(title="test accuracy", xlabel="epoch", ylabel="accuracy", ylim=(0, 1))
    acc_ax.xaxis.set_major_locator(MaxNLocator(integer=True, min_n_ticks=1))
    ratio_ax.set(title="‖∂L/∂W_conv1‖ / ‖∂L/∂W_fc3‖", xlabel="training step", ylabel="ratio (log)",
                 yscale="log")
    ratio_ax.axhline(1.0, color="grey", lw=0.8)
    for ax in (loss_ax, acc_ax, ratio_ax):
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize=8)
    fig.suptitle(f"Gradient flow, LeNet vs LeNet-BN (thin: per step; thick: {window}-step running mean)")
    fig.savefig(path, dpi=100)
    plt.close(fig)
    from PIL import Image  # a matplotlib dependency: a 256-colour palette makes the file about 3x smaller
    with Image.open(path) as im:
        small = im.convert("RGB").quantize(256, method=Image.Quantize.MEDIANCUT)
    small.save(path, optimize=True)
    return True


def write_outputs(result, out):
    """gradient_flow.json (per-step numbers to 5 digits, weight norms per epoch only) and gradient_flow.png."""
    out.mkdir(parents=True, exist_ok=True)
    for rec in result["runs"]:
        rec["summary"] = summarize(rec)
    runs = [{k: v for k, v in rec.items() if k != "weight_norm"} for rec in result["runs"]]
    text = re.sub(r"\bNaN\b|-?\bInfinity\b", "null", json.dumps({**result, "runs": runs}, indent=1))
    text = re.sub(r"-?\d+\.\d{6,}(e-?\d+)?", lambda m: f"{float(m.group()):.5g}", text)
    text = re.sub(r"\[([^\[\]{}\"]*)\]", lambda m: "[" + re.sub(r"\s+", "", m.group(1)) + "]", text)
    (out / "gradient_flow.json").write_text(text)
    return plot(result["runs"], out / "gradient_flow.png")


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--epochs", type=cli_args.int_at_least(1), default=3, help="epochs per run (default: %(default)s)")
    p.add_argument("--lr", type=cli_args.positive_number, default=1.0,
                   help="learning rate of LeNet-BN and of plain LeNet (default: %(default)s)")
    p.add_argument("--lr-plain", type=cli_args.positive_number, nargs="+", default=[], metavar="LR",
                   help="also train plain LeNet at these learning rates (default: none)")
    p.add_argument("--batch-size", type=cli_args.int_at_least(2), default=256,
                   help="examples per training batch (default: %(default)s)")
    p.add_argument("--seed", type=cli_args.int_at_least(0), default=0,
                   help="seeds the weights and the batch order (default: %(default)s)")
    p.add_argument("--limit-train", type=cli_args.int_at_least(2), default=None, metavar="N",
                   help="train on the first N examples only (default: all)")
    p.add_argument("--limit-test", type=cli_args.int_at_least(1), default=None, metavar="N",
                   help="test on the first N examples only (default: all)")
    cli_args.add_data_dir(p)
    p.add_argument("--synthetic", action="store_true",
                   help="random images and labels instead of Fashion-MNIST (default: off)")
    p.add_argument("--out", default=None,
                   help="output folder (default: runs/gradient-flow-<timestamp>; --out docs replaces the figure "
                        "and numbers docs/ shows)")
    return p.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    out = cli_args.out_folder(args.out, "gradient-flow")
    plan = [("lenet", args.lr)] + [("lenet", lr) for lr in args.lr_plain if lr != args.lr]
    plan.append(("lenet-bn-scratch", args.lr))
    runs = [train_run(model, lr, args) for model, lr in plan]
    result = {"settings": {k: v for k, v in vars(args).items() if k != "out"}, "layers": list(LAYERS), "runs": runs}
    plotted = write_outputs(result, out)
    print(f"\n{'run':<24}{'conv1/fc3 first 10%':>20}{'last 10%':>10}{'steps to loss<1':>17}{'best test acc':>15}")
    for rec in runs:
        s = rec["summary"]
        r = s["grad_ratio_conv1_fc3"]
        print(f"{rec['name']:<24}{r['first_10pct']:>20.3g}{r['last_10pct']:>10.3g}"
              f"{str(s['first_step_loss_below']['1.0']):>17}{s['best_test_acc'] or float('nan'):>15.3f}")
    print(f"wrote {out / 'gradient_flow.json'}" + (f" and {out / 'gradient_flow.png'}" if plotted else
                                                    " (no figure: pip install matplotlib)"))
    return result


if __name__ == "__main__":
    try:
        main()
    except (DatasetError, FileNotFoundError) as exc:
        sys.exit(f"error: {exc}")
