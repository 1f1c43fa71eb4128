#!/usr/bin/env python
"""Training-step throughput of LeNet-BN in minigrad, optionally side by side with PyTorch.

    python scripts/bench.py                       # both LeNet-BN variants, batch 256, CPU
    python scripts/bench.py --compare-torch       # the same nets and recipe in PyTorch, alternating, and the ratio
    python scripts/bench.py --profile             # per-layer forward/backward times of minigrad's step
    python scripts/bench.py --device cuda --compare-torch

A step is forward, cross-entropy, backward and an SGD update on a fixed
synthetic batch (uniform pixels, random labels). Each repeat times --steps
steps after --warmup; the table gives the median examples/second over the
repeats and their spread (min-max). Peak resident memory is measured for each
framework in a child process of its own, training --memory-steps steps.
PyTorch is only used when installed (the CPU build: pip install torch==2.13.0 --index-url
https://download.pytorch.org/whl/cpu); it is never a dependency of minigrad.
"""
import argparse
import json
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

# the checkout's models/ and scripts/cli_args.py (also when this file is loaded by path, as the tests do)
sys.path[:0] = [str(Path(__file__).resolve().parents[1]), str(Path(__file__).resolve().parent)]

import cli_args  # noqa: E402
import minigrad  # noqa: E402
from minigrad import backend, nn  # noqa: E402
from minigrad.train import init_weights, train_step  # noqa: E402
from models import MODELS as ALL_MODELS, model_name  # noqa: E402

MODELS = {name: ALL_MODELS[name] for name in ("lenet-bn-scratch", "lenet-bn")}  # the two PyTorch has a twin of


def synthetic_batch(batch_size, seed=0):
    rng = np.random.default_rng(seed)
    return rng.random((batch_size, 1, 28, 28), dtype=np.float32), rng.integers(0, 10, batch_size)


# ---------------------------------------------------------------------------
# minigrad

def minigrad_stepper(model, batch_size, device, lr):
    minigrad.manual_seed(0)
    net = init_weights(MODELS[model]()).to(device)
    opt = minigrad.optim.SGD(net.parameters(), lr=lr)
    loss_fn = nn.CrossEntropyLoss()
    x, y = synthetic_batch(batch_size)
    X, Y = minigrad.Tensor(x, device=device), minigrad.Tensor(y, device=device)

    def step():
        loss, _ = train_step(net, X, Y, loss_fn, opt)
        backend.synchronize(loss.array)
        return loss
    return step, net, (X, Y, loss_fn, opt)


def profile_minigrad(model, batch_size, device, lr, steps):
    """Median forward and backward time of each layer (one Function each) over ``steps`` steps."""
    step, net, (X, Y, loss_fn, opt) = minigrad_stepper(model, batch_size, device, lr)
    for _ in range(3):
        step()
    names = [f"{i:2d} {type(layer).__name__}" for i, layer in enumerate(net)] + ["   loss", "   sgd step"]
    fwd = {n: [] for n in names}
    bwd = {n: [] for n in names}
    totals = []

    def timed_backward(fn, name):
        original = fn.backward

        def backward(gy):
            start = time.perf_counter()
            out = original(gy)
            backend.synchronize(gy)
            bwd[name].append(time.perf_counter() - start)
            return out
        fn.backward = backward

    for _ in range(steps):
        begin = time.perf_counter()
        opt.zero_grad()
        h = X
        for name, layer in zip(names, net):
            start = time.perf_counter()
            h = layer(h)
            backend.synchronize(h.array)
            fwd[name].append(time.perf_counter() - start)
            timed_backward(h.grad_fn, name)
        start = time.perf_counter()
        loss = loss_fn(h, Y)
        fwd["   loss"].append(time.perf_counter() - start)
        timed_backward(loss.grad_fn, "   loss")
        loss.backward()
        start = time.perf_counter()
        opt.step()
        backend.synchronize(loss.array)
        fwd["   sgd step"].append(time.perf_counter() - start)
        totals.append(time.perf_counter() - begin)

    med = lambda v: statistics.median(v) * 1e3 if v else 0.0  # noqa: E731
    print(f"\nper-layer profile of {model} (batch {batch_size}, {device}), median ms over {steps} steps")
    print(f"{'layer':<18}{'forward':>10}{'backward':>10}{'total':>10}")
    for n in names:
        print(f"{n:<18}{med(fwd[n]):10.3f}{med(bwd[n]):10.3f}{med(fwd[n]) + med(bwd[n]):10.3f}")
    accounted = sum(med(fwd[n]) + med(bwd[n]) for n in names)
    print(f"{'sum of layers':<18}{accounted:30.3f}")
    print(f"{'whole step':<18}{med(totals):30.3f}  ({batch_size / statistics.median(totals):,.0f} examples/s)")


# ---------------------------------------------------------------------------
# PyTorch, the same networks and recipe (only when installed)

def torch_stepper(model, batch_size, device, lr):
    import torch
    from torch import nn as tnn

    def batch_norm(X, gamma, beta, moving_mean, moving_var, eps, momentum):
        # the chapter's from-scratch batch_norm, verbatim in its logic
        if not torch.is_grad_enabled():
            X_hat = (X - moving_mean) / torch.sqrt(moving_var + eps)
        else:
            if X.dim() == 2:
                mean = X.mean(dim=0)
                var = ((X - mean) ** 2).mean(dim=0)
            else:
                mean = X.mean(dim=(0, 2, 3), keepdim=True)
                var = ((X - mean) ** 2).mean(dim=(0, 2, 3), keepdim=True)
            X_hat = (X - mean) / torch.sqrt(var + eps)
            moving_mean = momentum * moving_mean + (1.0 - momentum) * mean
            moving_var = momentum * moving_var + (1.0 - momentum) * var
        return gamma * X_hat + beta, moving_mean.data, moving_var.data

    class BatchNorm(tnn.Module):
        def __init__(self, num_features, num_dims):
            super().__init__()
            shape = (1, num_features) if num_dims == 2 else (1, num_features, 1, 1)
            self.gamma = tnn.Parameter(torch.ones(shape))
            self.beta = tnn.Parameter(torch.zeros(shape))
            self.moving_mean = torch.zeros(shape, device=device)
            self.moving_var = torch.ones(shape, device=device)

        def forward(self, X):
            Y, self.moving_mean, self.moving_var = batch_norm(
                X, self.gamma, self.beta, self.moving_mean, self.moving_var, eps=1e-5, momentum=0.9)
            return Y

    bn2 = (lambda c: BatchNorm(c, 4)) if model == "lenet-bn-scratch" else tnn.BatchNorm2d
    bn1 = (lambda c: BatchNorm(c, 2)) if model == "lenet-bn-scratch" else tnn.BatchNorm1d
    net = tnn.Sequential(
        tnn.Conv2d(1, 6, kernel_size=5), bn2(6), tnn.Sigmoid(), tnn.AvgPool2d(2, 2),
        tnn.Conv2d(6, 16, kernel_size=5), bn2(16), tnn.Sigmoid(), tnn.AvgPool2d(2, 2), tnn.Flatten(),
        tnn.Linear(256, 120), bn1(120), tnn.Sigmoid(),
        tnn.Linear(120, 84), bn1(84), tnn.Sigmoid(), tnn.Linear(84, 10)).to(device)
    for m in net.modules():
        if isinstance(m, (tnn.Linear, tnn.Conv2d)):
            tnn.init.xavier_uniform_(m.weight)
    opt = torch.optim.SGD(net.parameters(), lr=lr)
    loss_fn = tnn.CrossEntropyLoss()
    x, y = synthetic_batch(batch_size)
    X, Y = torch.from_numpy(x).to(device), torch.from_numpy(y).to(device)
    sync = torch.cuda.synchronize if str(device).startswith("cuda") else (lambda: None)

    def step():
        opt.zero_grad()
        loss = loss_fn(net(X), Y)
        loss.backward()
        opt.step()
        sync()
        return loss
    return step


# ---------------------------------------------------------------------------

def throughput(step, batch_size, steps):
    start = time.perf_counter()
    for _ in range(steps):
        step()
    return batch_size * steps / (time.perf_counter() - start)


def peak_memory(framework, model, args):
    """Peak RSS (MiB) of a child process that trains ``args.memory_steps`` steps in one framework."""
    cmd = [sys.executable, __file__, "--only", framework, "--models", model, "--batch-size", str(args.batch_size),
           "--device", args.device, "--memory-steps", str(args.memory_steps)]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    return json.loads(out.strip().splitlines()[-1])["peak_rss_mib"]


def run_only(args):
    """Child-process mode: train, then print the peak RSS as JSON."""
    maker = minigrad_stepper if args.only == "minigrad" else torch_stepper
    step = maker(args.models[0], args.batch_size, args.device, args.lr)
    step = step[0] if isinstance(step, tuple) else step
    for _ in range(args.memory_steps):
        step()
    print(json.dumps({"peak_rss_mib": peak_rss_mib()}))


def peak_rss_mib():
    """This process's peak resident memory (VmHWM: unlike ru_maxrss, not inherited across exec)."""
    try:
        with open("/proc/self/status") as f:
            return next(int(line.split()[1]) for line in f if line.startswith("VmHWM")) / 1024
    except (OSError, StopIteration):
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--models", nargs="+", type=model_name, choices=list(MODELS), default=list(MODELS),
                   help="the networks to time; '_' or '-' in the names (default: both)")
    p.add_argument("--batch-size", type=cli_args.int_at_least(2), default=256, help="(default: %(default)s)")
    p.add_argument("--device", type=cli_args.device, default="cpu", help="cpu, cuda or cuda:N (default: %(default)s)")
    p.add_argument("--lr", type=cli_args.positive_number, default=0.1, help="SGD learning rate (default: %(default)s)")
    p.add_argument("--steps", type=cli_args.int_at_least(1), default=20,
                   help="steps per timed repeat, and of the --profile run (default: %(default)s)")
    p.add_argument("--repeats", type=cli_args.int_at_least(1), default=7, help="timed repeats (default: %(default)s)")
    p.add_argument("--warmup", type=cli_args.int_at_least(0), default=5,
                   help="untimed steps before the repeats (default: %(default)s)")
    p.add_argument("--compare-torch", action="store_true",
                   help="time PyTorch too, alternating (default: off; needs torch installed)")
    p.add_argument("--profile", action="store_true",
                   help="print minigrad's per-layer forward/backward times (default: off)")
    p.add_argument("--memory-steps", type=cli_args.int_at_least(1), default=50,
                   help="steps of the peak-memory child runs (default: %(default)s)")
    p.add_argument("--no-memory", action="store_true", help="skip the peak-memory child runs (default: run them)")
    p.add_argument("--json", default=None, metavar="FILE", help="also write the results to FILE (default: none)")
    p.add_argument("--only", choices=["minigrad", "torch"], help=argparse.SUPPRESS)
    return p.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    if args.only:
        return run_only(args)

    use_torch = False
    if args.compare_torch:
        try:
            import torch
            use_torch = True
            torch.manual_seed(0)
        except ImportError:
            print("--compare-torch: PyTorch is not installed here, so only minigrad is timed (CPU build: "
                  "pip install torch==2.13.0 --index-url https://download.pytorch.org/whl/cpu)")
    print(f"minigrad {minigrad.__version__}, numpy {np.__version__}"
          + (f", torch {torch.__version__} ({torch.get_num_threads()} threads)" if use_torch else "")
          + f"; batch {args.batch_size}, device {args.device}, {args.repeats} repeats x {args.steps} steps")

    results = {}
    for model in args.models:
        steppers = {"minigrad": minigrad_stepper(model, args.batch_size, args.device, args.lr)[0]}
        if use_torch:
            steppers["torch"] = torch_stepper(model, args.batch_size, args.device, args.lr)
        for step in steppers.values():
            for _ in range(args.warmup):
                step()
        rates = {name: [] for name in steppers}
        for _ in range(args.repeats):  # alternate, so both see the same machine load
            for name, step in steppers.items():
                rates[name].append(throughput(step, args.batch_size, args.steps))
        results[model] = {name: {"median": statistics.median(r), "min": min(r), "max": max(r)}
                          for name, r in rates.items()}
        if not args.no_memory:
            for name in steppers:
                results[model][name]["peak_rss_mib"] = peak_memory(name, model, args)

    if args.profile:
        for model in args.models:
            profile_minigrad(model, args.batch_size, args.device, args.lr, args.steps)

    print(f"\n{'model':<18}{'framework':<10}{'examples/s (median)':>21}{'min-max':>20}{'peak RSS':>11}")
    for model, by_fw in results.items():
        for name, r in by_fw.items():
            mem = f"{r['peak_rss_mib']:.0f} MiB" if "peak_rss_mib" in r else "-"
            print(f"{model:<18}{name:<10}{r['median']:>21,.0f}{r['min']:>10,.0f}-{r['max']:<9,.0f}{mem:>11}")
        if "torch" in by_fw:
            ratio = by_fw["minigrad"]["median"] / by_fw["torch"]["median"]
            by_fw["ratio"] = ratio
            print(f"{model:<18}{'ratio':<10}{ratio:>20.2f}x  (minigrad / PyTorch)")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2))
    return results


if __name__ == "__main__":
    main()
