#!/usr/bin/env python
"""Training-step speed of LeNet-BN, ResNet-18 and DenseNet in minigrad, optionally side by side with PyTorch.

    python scripts/bench.py                       # both LeNet-BN variants, batch 256, CPU
    python scripts/bench.py --compare-torch       # the same nets and recipe in PyTorch, alternating, and the ratio
    python scripts/bench.py --compare-torch --under-load --threads auto 1 2   # beside one busy process of its own
    python scripts/bench.py --models resnet18 --compare-torch --profile       # the book's ResNet-18, per layer
    python scripts/bench.py --device cuda --compare-torch

A step is forward, cross-entropy, backward and an SGD update on a fixed
synthetic batch (uniform pixels, random labels): 28x28 at batch 256 for the
LeNets, 96x96 at batch 128 for ResNet-18 and DenseNet (the book's settings).
Each repeat times --steps steps after --warmup; the table gives the median
examples/second, ms/step and CPU ms/step (this process's, all its threads) over
the repeats, and their spread (min-max). With
--threads each of minigrad's thread settings is timed in turn; with
--under-load one CPU-bound process of the script's own runs beside the timed
steps (and is ended with them, also on an error or Ctrl-C). --profile times
every op of minigrad's step by layer and by kind (3x3 conv, 1x1 conv, BN, ReLU,
pool, add, cat, ...), forward and backward, and PyTorch's ops with its own
profiler. Peak resident memory is measured for each framework in a child
process of its own. The load average is printed before and after each model.
PyTorch is only used when installed (the CPU build: pip install torch==2.13.0 --index-url
https://download.pytorch.org/whl/cpu); it is never a dependency of minigrad. This script also runs under a
Python that has torch but not minigrad installed: it imports minigrad from the checkout.
"""
import argparse
import contextlib
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

# the checkout's minigrad, models/ and scripts/cli_args.py (also when this file is loaded by path, as the tests do)
sys.path[:0] = [str(Path(__file__).resolve().parents[1]), str(Path(__file__).resolve().parent)]

import cli_args  # noqa: E402
import minigrad  # noqa: E402
from minigrad import backend, nn, threads  # noqa: E402
from minigrad.core import Function  # noqa: E402
from minigrad.train import init_weights, train_step  # noqa: E402
from models import MODELS as ALL_MODELS, MODERN_CNNS, model_name  # noqa: E402

# the networks PyTorch has a twin of here
MODELS = {**{name: ALL_MODELS[name] for name in ("lenet-bn-scratch", "lenet-bn")}, **MODERN_CNNS}
# per network, what the flags left unset mean: the book's image size and batch, and runs that fit a few minutes
DEFAULTS = {"lenet": {"image_size": 28, "batch_size": 256, "steps": 20, "repeats": 7, "warmup": 5, "memory_steps": 50},
            "modern": {"image_size": 96, "batch_size": 128, "steps": 2, "repeats": 5, "warmup": 1, "memory_steps": 2}}


def settings(args, model):
    """The run's settings for ``model``: the flags given, else that network's DEFAULTS."""
    base = DEFAULTS["modern" if model in MODERN_CNNS else "lenet"]
    return argparse.Namespace(**{k: v if getattr(args, k, None) is None else getattr(args, k) for k, v in base.items()})


def synthetic_batch(batch_size, seed=0, image_size=28):
    rng = np.random.default_rng(seed)
    return rng.random((batch_size, 1, image_size, image_size), dtype=np.float32), rng.integers(0, 10, batch_size)


# ---------------------------------------------------------------------------
# a busy neighbour

@contextlib.contextmanager
def busy_neighbour(limit_seconds):
    """One CPU-bound process (a pure-Python loop) beside this one for the block. It is killed when the block
    ends, also on an exception or Ctrl-C, and ends by itself after ``limit_seconds`` or once this process is
    gone (its parent is then another process)."""
    code = ("import os, sys, time\n"
            "parent, end = int(sys.argv[2]), time.monotonic() + float(sys.argv[1])\n"
            "while time.monotonic() < end and os.getppid() == parent:\n"
            "    sum(range(20000))\n")
    quiet = subprocess.DEVNULL
    proc = subprocess.Popen([sys.executable, "-c", code, str(limit_seconds), str(os.getpid())], stdin=quiet,
                            stdout=quiet, stderr=quiet)
    try:
        yield proc
    finally:
        proc.kill()
        proc.wait()


# ---------------------------------------------------------------------------
# minigrad

def minigrad_stepper(model, batch_size, device, lr, image_size=28):
    """A step of minigrad.train.train_step, then the device synchronisation the training loop does."""
    minigrad.manual_seed(0)
    net = init_weights(MODELS[model]()).to(device)
    opt = minigrad.optim.SGD(net.parameters(), lr=lr)
    loss_fn = nn.CrossEntropyLoss()
    x, y = synthetic_batch(batch_size, image_size=image_size)
    X, Y = minigrad.Tensor(x, device=device), minigrad.Tensor(y, device=device)

    def step():
        loss, _ = train_step(net, X, Y, loss_fn, opt)
        backend.synchronize(loss.array)
        return loss
    return step, net, (X, Y, loss_fn, opt)


def use_threads(setting):
    """minigrad's threads for the next timing (None leaves them, 'auto' the automatic choice, else a
    count); returns the count now."""
    if setting == "auto":
        if not threads.is_automatic():  # back from a fixed count; left alone otherwise, so that it keeps adapting
            threads.use_automatic_threads()
    elif setting is not None:
        minigrad.set_num_threads(setting)
    return minigrad.get_num_threads()


def op_kind(module, fn):
    """The kind of op a Function is, from the leaf module that ran it (a conv by its kernel), else its class."""
    if isinstance(module, nn.Conv2d):
        return "{}x{} conv".format(*module.kernel_size)
    by_module = {nn.BatchNorm: "BN", nn.BatchNorm1d: "BN", nn.BatchNorm2d: "BN", nn.ReLU: "ReLU", nn.Linear: "linear",
                 nn.MaxPool2d: "pool", nn.AvgPool2d: "pool", nn.AdaptiveAvgPool2d: "pool", nn.Sigmoid: "sigmoid",
                 nn.Flatten: "reshape", nn.CrossEntropyLoss: "loss"}
    kind = by_module.get(type(module))
    return kind or {"Add": "add", "Concatenate": "cat", "ReLU": "ReLU"}.get(type(fn).__name__, type(fn).__name__)


class LayerProfile:
    """Times every Function of a minigrad step, forward and backward, by the innermost module that ran it and
    its kind of op. Inside ``with`` it patches ``Module.__call__`` and ``Function.__call__`` (restored after)."""

    def __init__(self, net, loss_fn, clock=time.perf_counter):
        self.clock = clock
        self.names = {id(m): name for name, m in net.named_modules() if name}
        self.names[id(loss_fn)] = "loss"
        self.stack, self.steps, self.shapes = [None], [], {}

    def new_step(self):
        self.steps.append({})

    def record(self, key, which, seconds):
        self.steps[-1].setdefault(key, [0.0, 0.0])[which] += seconds

    def __enter__(self):
        self.saved = module_call, function_call = nn.Module.__call__, Function.__call__

        def in_module(module, *args, **kwargs):
            self.stack.append(module)
            try:
                return module_call(module, *args, **kwargs)
            finally:
                self.stack.pop()

        def timed(fn, *inputs):
            start = self.clock()
            out = function_call(fn, *inputs)
            backend.synchronize(out.array)
            module = self.stack[-1]
            key = (self.names.get(id(module), "-"), op_kind(module, fn))
            self.record(key, 0, self.clock() - start)
            self.shapes.setdefault(key, out.shape)
            if out._ctx is fn:
                fn.backward = self.timed_backward(fn.backward, key)
            return out

        nn.Module.__call__, Function.__call__ = in_module, timed
        return self

    def timed_backward(self, backward, key):
        def run(gy):
            start = self.clock()
            grads = backward(gy)
            backend.synchronize(gy)
            self.record(key, 1, self.clock() - start)
            return grads
        return run

    def __exit__(self, *exc):
        nn.Module.__call__, Function.__call__ = self.saved

    def medians(self):
        """{(layer, kind): (forward ms, backward ms)}: medians over the steps, in the order first run."""
        keys = list(dict.fromkeys(k for step in self.steps for k in step))
        return {k: tuple(statistics.median(s.get(k, (0.0, 0.0))[i] for s in self.steps) * 1e3 for i in (0, 1))
                for k in keys}


CLOCKS = {"wall": time.perf_counter, "cpu": time.process_time}


def profile_minigrad(model, batch_size, device, lr, steps, image_size, clock="wall"):
    """Per layer and per kind of op, the median forward and backward ms of minigrad's step (wall-clock, or this
    process's CPU time: on a busy machine with one thread, the work itself); returns them."""
    step, net, (X, Y, loss_fn, opt) = minigrad_stepper(model, batch_size, device, lr, image_size)
    step()
    totals, sgd = [], []
    now = CLOCKS[clock]
    with LayerProfile(net, loss_fn, now) as prof:
        for _ in range(steps):
            prof.new_step()
            begin = now()
            opt.zero_grad()
            loss = loss_fn(net(X), Y)
            loss.backward()
            start = now()
            opt.step()
            backend.synchronize(loss.array)
            sgd.append(now() - start)
            totals.append(now() - begin)
    layers = prof.medians()
    whole = statistics.median(totals) * 1e3
    print(f"\nper-layer profile of {model} (batch {batch_size}, {image_size}x{image_size}, {device}, "
          f"{minigrad.get_num_threads()} threads), median {clock} ms over {steps} steps")
    print(f"{'layer':<22}{'kind':<10}{'output':>18}{'forward':>10}{'backward':>10}{'total':>10}")
    kinds = {}
    for (name, kind), (f, b) in layers.items():
        shape = "x".join(map(str, prof.shapes[name, kind][1:]))
        print(f"{name:<22}{kind:<10}{shape:>18}{f:10.2f}{b:10.2f}{f + b:10.2f}")
        row = kinds.setdefault(kind, [0, 0.0, 0.0])
        row[0], row[1], row[2] = row[0] + 1, row[1] + f, row[2] + b
    kinds["SGD step"] = [1, statistics.median(sgd) * 1e3, 0.0]
    print(f"\nby kind of op{'layers':>25}{'forward':>10}{'backward':>10}{'total':>10}{'of step':>9}")
    for kind, (count, f, b) in sorted(kinds.items(), key=lambda kv: -(kv[1][1] + kv[1][2])):
        print(f"{kind:<30}{count:>7}{f:10.1f}{b:10.1f}{f + b:10.1f}{(f + b) / whole:9.0%}")
    accounted = sum(f + b for _, f, b in kinds.values())
    print(f"{'sum of the above':<37}{accounted:30.1f}")
    print(f"{'whole step':<37}{whole:30.1f}  ({batch_size / whole * 1e3:,.1f} examples/s)")
    return {"clock": clock, "step_ms": whole, "by_kind": {k: {"layers": c, "forward_ms": f, "backward_ms": b}
                                          for k, (c, f, b) in kinds.items()},
            "by_layer": [{"layer": n, "kind": k, "forward_ms": f, "backward_ms": b}
                         for (n, k), (f, b) in layers.items()]}


# ---------------------------------------------------------------------------
# PyTorch, the same networks and recipe (only when installed)

def torch_lenet(model, device):
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
    return tnn.Sequential(
        tnn.Conv2d(1, 6, kernel_size=5), bn2(6), tnn.Sigmoid(), tnn.AvgPool2d(2, 2),
        tnn.Conv2d(6, 16, kernel_size=5), bn2(16), tnn.Sigmoid(), tnn.AvgPool2d(2, 2), tnn.Flatten(),
        tnn.Linear(256, 120), bn1(120), tnn.Sigmoid(),
        tnn.Linear(120, 84), bn1(84), tnn.Sigmoid(), tnn.Linear(84, 10))


def torch_modern_cnn(model):
    """models/resnet.py's ResNet-18 or models/densenet.py's DenseNet, layer for layer in torch.nn."""
    import torch
    from torch import nn as tnn
    relu = torch.nn.functional.relu

    class Residual(tnn.Module):
        def __init__(self, in_channels, num_channels, use_1x1conv=False, strides=1):
            super().__init__()
            self.conv1 = tnn.Conv2d(in_channels, num_channels, kernel_size=3, padding=1, stride=strides)
            self.conv2 = tnn.Conv2d(num_channels, num_channels, kernel_size=3, padding=1)
            self.conv3 = tnn.Conv2d(in_channels, num_channels, kernel_size=1, stride=strides) if use_1x1conv else None
            self.bn1, self.bn2 = tnn.BatchNorm2d(num_channels), tnn.BatchNorm2d(num_channels)

        def forward(self, X):
            Y = self.bn2(self.conv2(relu(self.bn1(self.conv1(X)))))
            Y += X if self.conv3 is None else self.conv3(X)
            return relu(Y)

    class DenseBlock(tnn.Module):
        def __init__(self, num_convs, in_channels, num_channels):
            super().__init__()
            self.net = tnn.Sequential(*[tnn.Sequential(*bn_relu_conv(in_channels + i * num_channels, num_channels,
                                                                     3)) for i in range(num_convs)])

        def forward(self, X):
            for blk in self.net:
                X = torch.cat((X, blk(X)), dim=1)
            return X

    def bn_relu_conv(in_channels, num_channels, kernel):
        return [tnn.BatchNorm2d(in_channels), tnn.ReLU(),
                tnn.Conv2d(in_channels, num_channels, kernel_size=kernel, padding=kernel // 2)]

    stem = [tnn.Conv2d(1, 64, kernel_size=7, stride=2, padding=3), tnn.BatchNorm2d(64), tnn.ReLU(),
            tnn.MaxPool2d(kernel_size=3, stride=2, padding=1)]
    head = [tnn.AdaptiveAvgPool2d((1, 1)), tnn.Flatten()]
    if model == "resnet18":
        stages, channels = [], 64
        for out in (64, 128, 256, 512):
            stages += [Residual(channels, out, use_1x1conv=out != 64, strides=1 if out == 64 else 2),
                       Residual(out, out)]
            channels = out
        return tnn.Sequential(*stem, *stages, *head, tnn.Linear(512, 10))
    layers, channels = stem, 64
    for i in range(4):
        layers.append(DenseBlock(4, channels, 32))
        channels += 4 * 32
        if i != 3:
            layers += [*bn_relu_conv(channels, channels // 2, 1), tnn.AvgPool2d(kernel_size=2, stride=2)]
            channels //= 2
    return tnn.Sequential(*layers, tnn.BatchNorm2d(channels), tnn.ReLU(), *head, tnn.Linear(channels, 10))


def torch_stepper(model, batch_size, device, lr, image_size=28):
    import torch
    from torch import nn as tnn
    net = (torch_modern_cnn(model) if model in MODERN_CNNS else torch_lenet(model, device)).to(device)
    for m in net.modules():
        if isinstance(m, (tnn.Linear, tnn.Conv2d)):
            tnn.init.xavier_uniform_(m.weight)
    opt = torch.optim.SGD(net.parameters(), lr=lr)
    loss_fn = tnn.CrossEntropyLoss()
    x, y = synthetic_batch(batch_size, image_size=image_size)
    X, Y = torch.from_numpy(x).to(device), torch.from_numpy(y).to(device)
    sync = torch.cuda.synchronize if str(device).startswith("cuda") else (lambda: None)

    def step():
        opt.zero_grad()
        loss = loss_fn(net(X), Y)
        loss.backward()
        opt.step()
        sync()
        return loss
    step.parameters = sum(p.numel() for p in net.parameters())
    return step


def profile_torch(step, steps):
    """PyTorch's own profiler over ``steps`` steps: its ops by self CPU time (the backward ops included)."""
    import torch
    with torch.profiler.profile(activities=[torch.profiler.ProfilerActivity.CPU]) as prof:
        for _ in range(steps):
            step()
    print(f"\nPyTorch's profiler over {steps} steps ({torch.get_num_threads()} threads), the ops by self CPU time:")
    print(prof.key_averages().table(sort_by="self_cpu_time_total", row_limit=15, max_name_column_width=40))


# ---------------------------------------------------------------------------

def throughput(step, batch_size, steps):
    start = time.perf_counter()
    for _ in range(steps):
        step()
    return batch_size * steps / (time.perf_counter() - start)


def peak_memory(framework, model, run, args):
    """Peak RSS (MiB) of a child process that trains ``run.memory_steps`` steps in one framework."""
    cmd = [sys.executable, __file__, "--only", framework, "--models", model, "--batch-size", str(run.batch_size),
           "--device", args.device, "--memory-steps", str(run.memory_steps)]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    return json.loads(out.strip().splitlines()[-1])["peak_rss_mib"]


def run_only(args):
    """Child-process mode: train, then print the peak RSS as JSON."""
    run = settings(args, args.models[0])
    if args.only == "minigrad":
        step = minigrad_stepper(args.models[0], run.batch_size, args.device, args.lr, run.image_size)[0]
    else:
        step = torch_stepper(args.models[0], run.batch_size, args.device, args.lr, run.image_size)
    for _ in range(run.memory_steps):
        step()
    print(json.dumps({"peak_rss_mib": peak_rss_mib()}))


def peak_rss_mib():
    """This process's peak resident memory (VmHWM: unlike ru_maxrss, not inherited across exec)."""
    try:
        with open("/proc/self/status") as f:
            return next(int(line.split()[1]) for line in f if line.startswith("VmHWM")) / 1024
    except (OSError, StopIteration):
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def thread_setting(text):
    """'auto' or a number of threads >= 1."""
    return "auto" if text.strip().lower() == "auto" else cli_args.int_at_least(1)(text)


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--models", nargs="+", type=model_name, choices=list(MODELS), default=list(MODELS)[:2],
                   help="the networks to time; '_' or '-' in the names (default: the two LeNet-BN variants)")
    p.add_argument("--batch-size", type=cli_args.int_at_least(2), default=None,
                   help="(default: 256 for the LeNets, 128 for ResNet-18 and DenseNet)")
    p.add_argument("--device", type=cli_args.device, default="cpu", help="cpu, cuda or cuda:N (default: %(default)s)")
    p.add_argument("--lr", type=cli_args.positive_number, default=0.1, help="SGD learning rate (default: %(default)s)")
    p.add_argument("--steps", type=cli_args.int_at_least(1), default=None,
                   help="steps per timed repeat, and of the --profile run (default: 20 for the LeNets, 2 for "
                        "ResNet-18 and DenseNet)")
    p.add_argument("--repeats", type=cli_args.int_at_least(1), default=None,
                   help="timed repeats (default: 7 for the LeNets, 5 for ResNet-18 and DenseNet)")
    p.add_argument("--warmup", type=cli_args.int_at_least(0), default=None,
                   help="untimed steps before the repeats (default: 5 for the LeNets, 1 for ResNet-18 and DenseNet)")
    p.add_argument("--threads", nargs="+", type=thread_setting, default=None, metavar="N|auto",
                   help="time minigrad with each of these thread settings in turn, 'auto' being its automatic "
                        "choice (default: as minigrad set them at import)")
    p.add_argument("--torch-threads", nargs="+", type=cli_args.int_at_least(1), default=None, metavar="N",
                   help="with --compare-torch, time PyTorch with each of these thread counts in turn (default: "
                        "PyTorch's own, one per core)")
    p.add_argument("--under-load", action="store_true",
                   help="run one CPU-bound process of the script's own beside the timed steps (default: off)")
    p.add_argument("--load-limit", type=cli_args.int_at_least(1), default=3600, metavar="SECONDS",
                   help="the busy process of --under-load ends by itself after this long (default: %(default)s)")
    p.add_argument("--compare-torch", action="store_true",
                   help="time PyTorch too, alternating (default: off; needs torch installed)")
    p.add_argument("--profile", action="store_true",
                   help="print minigrad's per-layer forward/backward times, and PyTorch's ops (default: off)")
    p.add_argument("--profile-clock", choices=list(CLOCKS), default="wall",
                   help="what --profile measures: wall-clock time, or this process's CPU time (the work itself on "
                        "a busy machine, with one thread) (default: %(default)s)")
    p.add_argument("--memory-steps", type=cli_args.int_at_least(1), default=None,
                   help="steps of the peak-memory child runs (default: 50 for the LeNets, 2 for ResNet-18 and "
                        "DenseNet)")
    p.add_argument("--no-memory", action="store_true", help="skip the peak-memory child runs (default: run them)")
    p.add_argument("--json", default=None, metavar="FILE", help="also write the results to FILE (default: none)")
    p.add_argument("--only", choices=["minigrad", "torch"], help=argparse.SUPPRESS)
    return p.parse_args(argv)


def label(framework, setting):
    return framework if setting is None else f"{framework} {setting}" + ("" if setting == "auto" else "T")


def use_torch_threads(setting):
    """PyTorch's threads for the next timing (None leaves them); returns the count now."""
    import torch
    if setting is not None:
        torch.set_num_threads(setting)
    return torch.get_num_threads()


def time_model(model, run, args, use_torch):
    """Alternate minigrad and PyTorch (each thread setting) step for step; returns {name: rates and more}."""
    step, net, _ = minigrad_stepper(model, run.batch_size, args.device, args.lr, run.image_size)
    steppers = {label("minigrad", s): (step, use_threads, s) for s in (args.threads or [None])}
    if use_torch:
        twin = torch_stepper(model, run.batch_size, args.device, args.lr, run.image_size)
        steppers.update({label("torch", s): (twin, use_torch_threads, s) for s in (args.torch_threads or [None])})
        ours = sum(p.numel() for p in net.parameters())
        if twin.parameters != ours:
            raise RuntimeError(f"{model}: the PyTorch twin has {twin.parameters:,} parameters, "
                               f"minigrad's network {ours:,}: the two are not the same network")
    for fn, use, setting in steppers.values():
        use(setting)
        for _ in range(run.warmup):
            fn()
    rates, cpu, chosen = ({name: [] for name in steppers} for _ in range(3))
    for _ in range(run.repeats):  # alternate, so all see the same machine load
        for name, (fn, use, setting) in steppers.items():
            use(setting)
            start = time.process_time()
            rates[name].append(throughput(fn, run.batch_size, run.steps))
            cpu[name].append((time.process_time() - start) / run.steps * 1e3)
            chosen[name].append(use(None))  # the count it ran with (the automatic one may have changed)
    return {name: {"median": statistics.median(r), "min": min(r), "max": max(r), "rates": r,
                   "ms_per_step": run.batch_size / statistics.median(r) * 1e3,
                   "cpu_ms_per_step": statistics.median(cpu[name]), "threads": chosen[name]}
            for name, r in rates.items()}


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
          + f"; device {args.device}" + (", beside one busy process of the script's own" if args.under_load else ""))

    results = {}
    load = busy_neighbour(args.load_limit) if args.under_load else contextlib.nullcontext()
    with load as neighbour:
        if neighbour is not None:
            results["busy_pid"] = neighbour.pid
        for model in args.models:
            run = settings(args, model)
            before = os.getloadavg()
            results[model] = time_model(model, run, args, use_torch)
            if args.profile:
                use_threads((args.threads or [None])[0])
                results[model]["profile"] = profile_minigrad(model, run.batch_size, args.device, args.lr, run.steps,
                                                             run.image_size, args.profile_clock)
                if use_torch:
                    use_torch_threads((args.torch_threads or [None])[0])
                    profile_torch(torch_stepper(model, run.batch_size, args.device, args.lr, run.image_size),
                                  run.steps)
            results[model]["load_average"] = [round(before[0], 2), round(os.getloadavg()[0], 2)]
            results[model]["settings"] = vars(run)
    for model in args.models:
        if not args.no_memory:
            run = settings(args, model)
            results[model]["peak_rss_mib"] = {name: peak_memory(name, model, run, args)
                                              for name in (["minigrad", "torch"] if use_torch else ["minigrad"])}
        print_table(model, results[model])
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2))
    return results


def print_table(model, by_fw):
    run = by_fw["settings"]
    print(f"\n{model}: batch {run['batch_size']}, {run['image_size']}x{run['image_size']}, {run['repeats']} repeats "
          f"x {run['steps']} steps; load average {by_fw['load_average'][0]} before, {by_fw['load_average'][1]} after")
    print(f"{'framework':<16}{'examples/s (median)':>21}{'min-max':>22}{'ms/step':>10}{'CPU ms/step':>12}"
          f"{'peak RSS':>11}  threads")
    names = [n for n, r in by_fw.items() if isinstance(r, dict) and "median" in r]
    for name in names:
        r = by_fw[name]
        mib = by_fw.get("peak_rss_mib", {}).get(name.split()[0])
        mem = "-" if mib is None else f"{mib:.0f} MiB"
        chosen = ",".join(map(str, r["threads"]))
        print(f"{name:<16}{r['median']:>21,.1f}{r['min']:>11,.1f}-{r['max']:<10,.1f}{r['ms_per_step']:>10,.1f}"
              f"{r['cpu_ms_per_step']:>12,.1f}{mem:>11}  {chosen}")
    for theirs in (n for n in names if n.startswith("torch")):
        for ours in (n for n in names if n.startswith("minigrad")):
            ratio = by_fw[ours]["median"] / by_fw[theirs]["median"]
            by_fw[ours].setdefault("ratio", {})[theirs] = ratio
            print(f"{'ratio':<16}{ratio:>20.2f}x  ({ours} / {theirs})")
            paired = paired_ratios(by_fw[ours]["rates"], by_fw[theirs]["rates"])
            by_fw[ours].setdefault("paired_ratio", {})[theirs] = paired
            print(f"{'':<16}{paired['median']:>20.2f}x  repeat by repeat ({paired['min']:.2f}-{paired['max']:.2f}x; "
                  "each pair timed back to back)")


def paired_ratios(ours, theirs):
    """The ratios of two frameworks' rates repeat by repeat (the two timed back to back in each): their median, min
    and max. Beside the ratio of the medians, their spread says how far the machine moved the comparison."""
    pairs = [a / b for a, b in zip(ours, theirs)]
    return {"median": statistics.median(pairs), "min": min(pairs), "max": max(pairs)}


if __name__ == "__main__":
    main()
