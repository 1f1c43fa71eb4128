#!/usr/bin/env python
"""A short run of the book's ResNet-18 or DenseNet at the book's settings: the curves and the time per step.

    python scripts/cnn_short_run.py --model resnet18 --steps 100                  # into runs/cnn-resnet18-<stamp>/
    MINIGRAD_NUM_THREADS=1 python scripts/cnn_short_run.py --model densenet --steps 100 --out docs
    python scripts/cnn_short_run.py --steps 3 --batch-size 4 --image-size 32 --val-size 8   # a quick try

The d2l chapters "Residual Networks" and "Densely Connected Networks" train these networks (models/resnet.py,
models/densenet.py) on Fashion-MNIST resized to 96x96 (bilinear, as the book's Resize), batch 128, SGD at
lr 0.01, initialised as each chapter does (``build``), for 10 epochs: hours per epoch on a small CPU.
This script trains the first --steps steps of such a run from --seed (weights and batch order), records
the training loss of every step with its CPU and wall seconds (the step itself: forward, loss, backward,
update; the batch's loading and resizing apart), and the loss and accuracy on a fixed validation subset
(the first --val-size test images, eval mode) before the first step and every --eval-every steps.
Writes ``cnn_short_run_<model>.json`` and, with matplotlib, ``cnn_short_run_<model>.png`` (the book's
board: train_loss, val_loss, val_acc against the step) to --out, by default a new folder
``runs/cnn-<model>-<timestamp>``: the files in docs/ change only with ``--out docs``.
"""
import argparse
import json
import math
import os
import platform
import re
import statistics
import sys
import time
from pathlib import Path

import numpy as np

# the checkout's minigrad, models/ and scripts/cli_args.py (also when this file is loaded by path, as the tests do)
sys.path[:0] = [str(Path(__file__).resolve().parents[1]), str(Path(__file__).resolve().parent)]

import cli_args  # noqa: E402
import minigrad  # noqa: E402
from minigrad import d2l, nn  # noqa: E402
from minigrad.data import DatasetError, load_fashion_mnist  # noqa: E402
from minigrad.train import train_step  # noqa: E402
from models import MODERN_CNNS, model_name  # noqa: E402

TITLES = {"resnet18": "ResNet-18", "densenet": "DenseNet"}
TRAIN_EXAMPLES = 60000


def build(model, seed, device, first_batch):
    """The network from ``seed``, initialised as its chapter does. The book's ``init_cnn`` (Xavier-uniform) only
    reaches layers that are already ``nn.Conv2d``/``nn.Linear``, not the lazy ones of its ``__init__``: the ResNet
    chapter calls ``apply_init`` (a training-mode forward of one batch, which sizes the lazy layers and moves the
    BatchNorm running statistics once, then ``init_cnn``); the DenseNet chapter does not, so its weights keep
    PyTorch's default initialisation."""
    minigrad.manual_seed(seed)
    net = MODERN_CNNS[model]().to(device)
    if model == "resnet18":
        with minigrad.no_grad():
            net(first_batch)
        net.apply(d2l.init_cnn)
    return net


def batches(train_iter, steps):
    """``steps`` training batches, epoch after epoch of ``train_iter`` (each epoch reshuffled)."""
    taken = 0
    while True:
        for batch in train_iter:
            if taken == steps:
                return
            taken += 1
            yield batch


def validate(net, val_iter, loss_fn):
    """(mean loss, accuracy) over ``val_iter`` in eval mode, without a graph; training mode afterwards."""
    net.eval()
    total_loss, correct, count = 0.0, 0, 0
    with minigrad.no_grad():
        for X, y in val_iter:
            logits = net(X)
            total_loss += float(loss_fn(logits, y).array) * y.shape[0]
            correct += int((logits.argmax(dim=1) == y).sum().item())
            count += y.shape[0]
    net.train()
    return total_loss / count, correct / count


def run(args):
    """Train ``args.steps`` steps; returns the record (settings, per-step numbers, validation points, summary)."""
    train_iter, val_iter = load_fashion_mnist(args.batch_size, root=args.data_dir, resize=args.image_size,
                                              device=args.device, seed=args.seed, limit_train=args.limit_train,
                                              limit_test=args.val_size)
    net = build(args.model, args.seed, args.device, next(iter(train_iter))[0])  # as the chapter: its own shuffle
    optimizer, loss_fn = minigrad.optim.SGD(net.parameters(), lr=args.lr), nn.CrossEntropyLoss()
    settings = {k: v for k, v in vars(args).items() if k not in ("out", "data_dir")}
    rec = {"model": args.model, "title": TITLES[args.model], "settings": settings,
           "parameters": sum(p.numel() for p in net.parameters()),
           "train_examples": train_iter.num_examples, "val_examples": val_iter.num_examples,
           "machine": {"cpu": cpu_name(), "cores": os.cpu_count(), "blas_threads": minigrad.get_num_threads(),
                       "python": platform.python_version(), "numpy": np.__version__,
                       "minigrad": minigrad.__version__, "device": args.device},
           "load_average": {"before": round(os.getloadavg()[0], 2)},
           "train_loss": [], "cpu_s": [], "wall_s": [], "val": []}

    def checkpoint(step):
        loss, acc = validate(net, val_iter, loss_fn)
        rec["val"].append({"step": step, "loss": loss, "acc": acc})
        print(f"step {step}: val loss {loss:.4f}, val acc {acc:.3f}", flush=True)

    net.train()
    checkpoint(0)
    for step, (X, y) in enumerate(batches(train_iter, args.steps), 1):
        cpu, wall = time.process_time(), time.perf_counter()
        loss, _ = train_step(net, X, y, loss_fn, optimizer)
        value = float(loss.array)  # reads the loss back: the step has finished on the device too
        rec["cpu_s"].append(time.process_time() - cpu)
        rec["wall_s"].append(time.perf_counter() - wall)
        rec["train_loss"].append(value)
        print(f"step {step}: loss {value:.4f}, {rec['cpu_s'][-1]:.2f} s CPU, {rec['wall_s'][-1]:.2f} s wall",
              flush=True)
        if not math.isfinite(value):
            print(f"step {step}: the loss is {value}: stopping", flush=True)
            break
        if step % args.eval_every == 0 or step == args.steps:
            checkpoint(step)
    rec["load_average"]["after"] = round(os.getloadavg()[0], 2)
    rec["flops"] = count_flops(net, args.image_size, args.batch_size, args.device)
    rec["summary"] = summarize(rec, args.batch_size)
    return rec


def summarize(rec, batch_size):
    """Medians of the per-step times, an epoch's projected time from them, and where the curves end."""
    steps_per_epoch = math.ceil(TRAIN_EXAMPLES / batch_size)
    cpu, wall = statistics.median(rec["cpu_s"]), statistics.median(rec["wall_s"])
    last = rec["train_loss"][-10:]
    return {"steps": len(rec["train_loss"]), "median_cpu_s_per_step": cpu, "median_wall_s_per_step": wall,
            "steps_per_epoch": steps_per_epoch, "projected_epoch_cpu_hours": cpu * steps_per_epoch / 3600,
            "first_train_loss": rec["train_loss"][0], "mean_train_loss_last_10": sum(last) / len(last),
            "final_val_loss": rec["val"][-1]["loss"], "final_val_acc": rec["val"][-1]["acc"]}


def count_flops(net, image_size, batch_size, device):
    """The floating-point operations of the Conv2d and Linear layers, counted from their shapes in a forward of one
    example (eval mode, no graph): 2 x (output elements x input channels per group x kernel area) for a
    convolution, 2 x in x out for a Linear. A training step is 3 forwards' worth (the forward, the input gradient,
    the weight gradient) less the first layer's input gradient, which nothing needs; BatchNorm, ReLU, pooling and
    the update are left out (a few percent, and bound by memory rather than arithmetic)."""
    layers = []

    def hook(module, inputs, output):
        if isinstance(module, nn.Conv2d):
            kh, kw = module.kernel_size
            layers.append(2 * output.numel() * (module.in_channels // module.groups) * kh * kw)
        else:
            layers.append(2 * module.in_features * module.out_features)
    handles = [m.register_forward_hook(hook) for m in net.modules() if isinstance(m, (nn.Conv2d, nn.Linear))]
    net.eval()
    try:
        with minigrad.no_grad():
            net(minigrad.zeros(1, 1, image_size, image_size, device=device))
    finally:
        net.train()
        for handle in handles:
            handle.remove()
    forward = sum(layers)
    return {"forward_per_example": forward, "first_layer_per_example": layers[0],
            "training_step": batch_size * (3 * forward - layers[0])}


def cpu_name():
    """The CPU's model name (Linux), else the platform's processor string."""
    try:
        with open("/proc/cpuinfo") as f:
            return next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        return platform.processor()


def plot(rec, path):
    """The book's board over steps: train_loss, val_loss and val_acc in one axes (and PyTorch's train_loss where the
    record holds it). False without matplotlib."""
    try:
        fig, (ax,) = d2l.classic.new_figure((5, 3.2))
    except ImportError:
        return False
    s = rec["settings"]
    steps = range(1, len(rec["train_loss"]) + 1)
    val_steps = [v["step"] for v in rec["val"]]
    ax.plot(steps, rec["train_loss"], linestyle="-", color="C0", label="train_loss")
    ax.plot(val_steps, [v["loss"] for v in rec["val"]], linestyle="--", color="C1", marker="o", markersize=3,
            label="val_loss")
    ax.plot(val_steps, [v["acc"] for v in rec["val"]], linestyle="-.", color="C2", marker="o", markersize=3,
            label="val_acc")
    theirs = rec.get("pytorch")  # the same run in PyTorch (same weights and batches), where it was recorded beside
    if theirs:
        ax.plot(range(1, len(theirs["train_loss"]) + 1), theirs["train_loss"], linestyle=":", color="C3",
                label="train_loss, PyTorch")
    ax.set_xlabel("step")
    ax.set_xlim(0, max(steps[-1], 1))
    ax.set_ylim(0, max(2.6, max(rec["train_loss"][:5] or [0]) * 1.05))
    ax.legend(fontsize="small", framealpha=0.6)
    ax.set_title(f"{rec['title']}: the first {len(steps)} steps (batch {s['batch_size']}, "
                 f"{s['image_size']}x{s['image_size']}, SGD lr {s['lr']})", fontsize="medium")
    fig.tight_layout()
    tmp = path.with_name(f".{path.name}.part")
    fig.savefig(tmp, dpi=100, format="png")
    os.replace(tmp, path)
    return True


def write_outputs(rec, out):
    """cnn_short_run_<model>.json (floats to 5 significant digits) and its figure; returns (json path, png path
    or None)."""
    out.mkdir(parents=True, exist_ok=True)
    stem = out / f"cnn_short_run_{rec['model']}"
    rounded = json.loads(json.dumps(rec), parse_float=lambda text: float(f"{float(text):.5g}"))
    text = json.dumps(rounded, indent=1)
    text = re.sub(r"\[([^\[\]{}\"]*)\]", lambda m: "[" + re.sub(r"\s+", "", m.group(1)) + "]", text)  # a list on a line
    json_path = stem.with_suffix(".json")
    tmp = json_path.with_name(f".{json_path.name}.part")
    tmp.write_text(text + "\n")
    os.replace(tmp, json_path)
    png = stem.with_suffix(".png")
    return json_path, png if plot(rec, png) else None


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--model", type=model_name, choices=list(MODERN_CNNS), default="resnet18",
                   help="the network: resnet18 or densenet (default: %(default)s)")
    p.add_argument("--steps", type=cli_args.int_at_least(1), default=100,
                   help="training steps (batches) to run (default: %(default)s; an epoch is 469)")
    p.add_argument("--eval-every", type=cli_args.int_at_least(1), default=20, metavar="K",
                   help="validate after every K steps, and after the last (default: %(default)s)")
    p.add_argument("--val-size", type=cli_args.int_at_least(1), default=512, metavar="N",
                   help="the validation subset: the first N test images (default: %(default)s)")
    p.add_argument("--batch-size", type=cli_args.int_at_least(2), default=128,
                   help="examples per training batch (default: %(default)s, the book's)")
    p.add_argument("--image-size", type=cli_args.int_at_least(32), default=96,
                   help="images are resized to this height and width (default: %(default)s, the book's)")
    p.add_argument("--lr", type=cli_args.positive_number, default=0.01,
                   help="SGD learning rate (default: %(default)s, the book's)")
    p.add_argument("--seed", type=cli_args.int_at_least(0), default=0,
                   help="seeds the weights and the batch order (default: %(default)s)")
    p.add_argument("--limit-train", type=cli_args.int_at_least(2), default=None, metavar="N",
                   help="draw the batches from the first N training images only (default: all 60,000)")
    p.add_argument("--device", type=cli_args.device, default="cpu", help="cpu, cuda or cuda:N (default: %(default)s)")
    cli_args.add_data_dir(p)
    p.add_argument("--out", default=None,
                   help="output folder (default: runs/cnn-<model>-<timestamp>; --out docs replaces the record "
                        "and figure docs/ shows)")
    return p.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    out = cli_args.out_folder(args.out, f"cnn-{args.model}")
    print(f"{TITLES[args.model]} on {args.device}: {args.steps} steps of batch {args.batch_size}, "
          f"{args.image_size}x{args.image_size}, SGD lr {args.lr}, seed {args.seed}; "
          f"{minigrad.get_num_threads()} thread(s)", flush=True)
    rec = run(args)
    json_path, png = write_outputs(rec, out)
    s = rec["summary"]
    print(f"median per step: {s['median_cpu_s_per_step']:.2f} s CPU, {s['median_wall_s_per_step']:.2f} s wall "
          f"(load average {rec['load_average']['before']} before, {rec['load_average']['after']} after); "
          f"an epoch of {s['steps_per_epoch']} steps: about {s['projected_epoch_cpu_hours']:.2f} h of CPU")
    print(f"wrote {json_path}" + (f" and {png}" if png else " (no figure: pip install matplotlib)"))
    return rec


if __name__ == "__main__":
    try:
        main()
    except (DatasetError, FileNotFoundError) as exc:
        sys.exit(f"error: {exc}")
