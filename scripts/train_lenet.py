#!/usr/bin/env python
"""Train LeNet with batch normalization on Fashion-MNIST, as the D2L chapter "Batch Normalization" does with train_ch6.

    python scripts/train_lenet.py                      # lenet-bn-scratch, 10 epochs, lr 1.0, batch 256, CPU
    python scripts/train_lenet.py --data-dir DIR       # the four IDX files from DIR instead of the download cache
    python scripts/train_lenet.py --model lenet-bn --device cuda
    python scripts/train_lenet.py --resume runs/<stamp>/checkpoint.npz --epochs 15   # 5 more epochs
    mpiexec -n 2 python -m mpi4py scripts/train_lenet.py   # data-parallel in 2 processes (docs/distributed.md)

Writes to --out: metrics.json, metrics.csv, checkpoint.npz (after every epoch:
model, optimiser, epoch, RNG and shuffling state) and curves.png.
"""
import argparse
import contextlib
import csv
import json
import math
import os
import signal
import sys
import time
from pathlib import Path

# the checkout's models/ and scripts/cli_args.py (also when this file is loaded by path, as the tests do)
sys.path[:0] = [str(Path(__file__).resolve().parents[1]), str(Path(__file__).resolve().parent)]

import cli_args  # noqa: E402
import minigrad  # noqa: E402
from minigrad import backend, nn  # noqa: E402
from minigrad.data import COUNTS, DatasetError, load_fashion_mnist  # noqa: E402
from minigrad.train import (DistributedRun, NonFiniteLossError, evaluate_accuracy, init_weights,  # noqa: E402
                            plot_history, summary, train_epoch)
from models import MODELS, model_name  # noqa: E402


# what a resumed run takes from its checkpoint (an explicit flag must agree), with the defaults of a new run
_RUN_SETTINGS = {"model": "lenet-bn-scratch", "batch_size": 256, "seed": 0, "limit_train": None, "limit_test": None}
_NEW_RUN = {"epochs": 10, "lr": 1.0}


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--model", type=model_name, choices=list(MODELS), default=None,
                   help=f"the network; '_' or '-' in the name (default: {_RUN_SETTINGS['model']}, or the "
                        "checkpoint's with --resume)")
    p.add_argument("--epochs", type=cli_args.int_at_least(1), default=None,
                   help="total number of epochs; with --resume the total including the epochs already done "
                        f"(default: {_NEW_RUN['epochs']}, or the resumed run's total)")
    p.add_argument("--lr", type=cli_args.positive_number, default=None,
                   help=f"learning rate (default: {_NEW_RUN['lr']}, or the checkpoint's with --resume)")
    p.add_argument("--batch-size", type=cli_args.int_at_least(1), default=None,
                   help=f"examples per batch (default: {_RUN_SETTINGS['batch_size']}, or the checkpoint's with "
                        "--resume)")
    p.add_argument("--device", type=cli_args.device, default="cpu", help="cpu, cuda or cuda:N (default: %(default)s)")
    p.add_argument("--seed", type=cli_args.int_at_least(0), default=None,
                   help=f"seeds the weights and the batch order (default: {_RUN_SETTINGS['seed']}, or the checkpoint's "
                        "with --resume)")
    p.add_argument("--data-dir", default=None,
                   help="folder with the four Fashion-MNIST IDX files (default: $MINIGRAD_DATA, else "
                        "~/.cache/minigrad/fashion-mnist, downloaded there on first use)")
    p.add_argument("--out", default=None,
                   help="output folder (default: runs/<timestamp>, or the checkpoint's folder with --resume)")
    p.add_argument("--resume", default=None, metavar="CHECKPOINT",
                   help="continue the run saved in this checkpoint.npz (default: start a new run)")
    p.add_argument("--limit-train", type=cli_args.int_at_least(1), default=None, metavar="N",
                   help=f"train on the first N examples only (default: all {COUNTS['train']})")
    p.add_argument("--limit-test", type=cli_args.int_at_least(1), default=None, metavar="N",
                   help=f"test on the first N examples only (default: all {COUNTS['test']})")
    p.add_argument("--no-progress", action="store_true",
                   help="no progress bar (default: a bar on a terminal, none when stderr is redirected)")
    return p.parse_args(argv)


def _flag(key):
    return "--" + key.replace("_", "-")


def load_run_checkpoint(path):
    """The checkpoint ``path`` as ``save_checkpoint`` wrote it; an error naming --resume otherwise."""
    try:
        ckpt = minigrad.load(path)
    except (OSError, ValueError) as exc:
        kind = FileNotFoundError if isinstance(exc, FileNotFoundError) else ValueError
        raise kind(f"--resume {path}: {exc}") from None
    keys = ("model", "optimizer", "epoch", "rng", "loader", "history", "args")
    if isinstance(ckpt, dict) and all(k in ckpt for k in keys) and isinstance(ckpt["args"], dict):
        problem = _run_checkpoint_problem(ckpt)
        if problem:
            raise ValueError(f"--resume {path}: not a valid run checkpoint: {problem}")
        return ckpt
    if isinstance(ckpt, dict) and ckpt and all(isinstance(v, minigrad.Tensor) for v in ckpt.values()):
        found = f"a bare state_dict ({len(ckpt)} tensors: {', '.join(list(ckpt)[:3])}, ...)"
    elif isinstance(ckpt, dict):
        found = f"a dict with the keys {sorted(map(str, ckpt))}"
    else:
        found = f"a {type(ckpt).__name__}"
    raise ValueError(f"--resume {path}: this file holds {found}, not a training run's checkpoint. --resume needs the "
                     "checkpoint.npz that scripts/train_lenet.py writes (weights, optimiser, epoch, RNG and data "
                     "state); bare weights load in Python with net.load_state_dict(minigrad.load(path))")


_METRICS = ("epoch", "train_loss", "train_acc", "test_acc", "examples_per_sec", "epoch_seconds")


def _run_checkpoint_problem(ckpt):
    """What is wrong with the parts of a run checkpoint that the loaders below do not check themselves, or None."""
    epoch, history = ckpt["epoch"], ckpt["history"]
    if isinstance(epoch, bool) or not isinstance(epoch, int) or epoch < 1:
        return f"'epoch' is {epoch!r}, expected the number of finished epochs (an int >= 1)"
    if not isinstance(history, list) or len(history) != epoch or not all(
            isinstance(h, dict) and all(isinstance(h.get(k), (int, float)) for k in _METRICS) for h in history):
        return f"'history' must be {epoch} dicts of the numbers {', '.join(_METRICS)}, got {str(history)[:80]}"
    for key in ("model", "optimizer", "rng", "loader"):
        if not isinstance(ckpt[key], dict):
            return f"{key!r} is {type(ckpt[key]).__name__}, expected a dict (a state_dict)"
    saved = ckpt["args"]
    for key in (*_RUN_SETTINGS, *_NEW_RUN):  # every saved argument a resumed run reads: none is guessed
        if key not in saved:
            return f"its saved arguments lack {_flag(key)} ({key!r}), which a resumed run takes from them"
        if not _valid_setting(key, saved[key]):
            return f"its {_flag(key)} is {saved[key]!r}, not a valid value of that flag"
    return None


def _valid_setting(key, value):
    """Whether ``value`` is one that the flag ``key`` can take (as parse_args would give it)."""
    if key == "model":
        return isinstance(value, str) and value in MODELS
    if key in ("limit_train", "limit_test") and value is None:
        return True
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    if key == "lr":
        return math.isfinite(value) and value > 0
    return isinstance(value, int) and value >= (0 if key == "seed" else 1)


def restore_run(resume, net, optimizer, train_iter):
    """Load a checked run checkpoint's state into the model, optimiser, RNG and loader (named errors)."""
    try:
        net.load_state_dict(resume["model"])
        optimizer.load_state_dict(resume["optimizer"])
        minigrad.set_rng_state(resume["rng"])
        train_iter.load_state_dict(resume["loader"])
    except (TypeError, ValueError, KeyError, RuntimeError) as exc:
        raise ValueError(f"--resume: the checkpoint's state does not load ({type(exc).__name__}: {exc})") from None


def settle_settings(args, resume):
    """Fill the unset flags from the checkpoint (resume) or the defaults; refuse flags the checkpoint contradicts."""
    if resume is None:
        for key, value in {**_RUN_SETTINGS, **_NEW_RUN}.items():
            if getattr(args, key) is None:
                setattr(args, key, value)
        return
    saved = resume["args"]
    for key in _RUN_SETTINGS:
        value = saved[key]  # all there and valid: load_run_checkpoint checked them
        if getattr(args, key) is not None and getattr(args, key) != value:
            raise ValueError(f"{_flag(key)} {getattr(args, key)} contradicts --resume {args.resume}, a run with "
                             f"{_flag(key)} {value}: a resumed run keeps its model, batches and data; leave "
                             f"{_flag(key)} out, or start a new run")
        setattr(args, key, value)
    for key in _NEW_RUN:
        if getattr(args, key) is None:
            setattr(args, key, saved[key])
    done = resume["epoch"]
    if args.epochs <= done:
        raise ValueError(f"--epochs {args.epochs}: {args.resume} has already finished epoch {done} (--epochs is the "
                         f"total, not the number of epochs to add); pass --epochs {done + 1} or more to train on")


def check_out_folder(out, resuming_in):
    """Refuse, before any work, an --out that is a file, lies under a file, cannot be created or holds another run."""
    if out.exists() and not out.is_dir():
        raise ValueError(f"--out {out}: this is an existing file, not a folder")
    if (out / "checkpoint.npz").exists() and (resuming_in is None or out.resolve() != resuming_in.resolve()):
        raise ValueError(f"--out {out} already holds a run ({out / 'checkpoint.npz'}): continue it with "
                         f"--resume {out / 'checkpoint.npz'}, or choose another --out")
    existing = next(p for p in [out, *out.absolute().parents] if p.exists())
    if not existing.is_dir():
        raise ValueError(f"--out {out}: {existing} is a file, so no folder can be made under it")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise ValueError(f"--out {out}: no permission to write in {existing}")


def training_examples(args, net):
    """How many training examples to use: a batch of one is refused or dropped for a network with BatchNorm.

    In training mode BatchNorm normalises with the batch's own statistics; over one example a 2-D
    BatchNorm outputs beta whatever its input (nothing before it learns), and PyTorch's layers refuse it.
    """
    n = COUNTS["train"] if args.limit_train is None else min(args.limit_train, COUNTS["train"])
    if first_batchnorm(net) is None or (n % args.batch_size != 1 and args.batch_size > 1):
        return n
    if n == 1 or args.batch_size == 1:
        flag = "--batch-size 1" if args.batch_size == 1 else "--limit-train 1"
        raise ValueError(f"{flag}: {args.model} has BatchNorm layers, which need at least 2 examples per "
                         "training batch (over one example a BatchNorm1d outputs its bias beta whatever the input)")
    print(f"note: {n} training examples in batches of {args.batch_size} would end each epoch with a batch of one, "
          f"on which BatchNorm cannot normalise; training on the first {n - 1}")
    return n - 1


def first_batchnorm(net):
    """The first BatchNorm layer's (gamma, beta), whichever convention it follows; None without one."""
    for layer in net:
        if isinstance(layer, nn.BatchNorm):
            return layer.gamma, layer.beta
        if isinstance(layer, (nn.BatchNorm1d, nn.BatchNorm2d)):
            return layer.weight, layer.bias
    return None


@contextlib.contextmanager
def interrupts_deferred():
    """Run the block to its end before a Ctrl-C (SIGINT) that arrives during it is raised as KeyboardInterrupt."""
    received = []
    previous = signal.signal(signal.SIGINT, lambda signum, frame: received.append(signum))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
    if received:
        raise KeyboardInterrupt


def write_metrics(out, args, history):
    fields = ["epoch", "train_loss", "train_acc", "test_acc", "examples_per_sec", "epoch_seconds"]
    with open(out / "metrics.csv.tmp", "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=fields)
        writer.writeheader()
        writer.writerows({k: h[k] for k in fields} for h in history)
    os.replace(out / "metrics.csv.tmp", out / "metrics.csv")
    summary_ = {"model": args.model, "device": args.device, "lr": args.lr, "batch_size": args.batch_size,
                "seed": args.seed, "epochs": history,
                "best_test_acc": max(h["test_acc"] for h in history)}
    (out / "metrics.json.tmp").write_text(json.dumps(summary_, indent=2))
    os.replace(out / "metrics.json.tmp", out / "metrics.json")


def save_checkpoint(path, net, optimizer, train_iter, epoch, history, args):
    minigrad.save({"model": net.state_dict(), "optimizer": optimizer.state_dict(), "epoch": epoch,
                   "rng": minigrad.get_rng_state(), "loader": train_iter.state_dict(),
                   "history": history, "args": vars(args)}, path)


def main(argv=None):
    args = parse_args(argv)
    run = DistributedRun.from_launch()  # under mpiexec with several processes: data-parallel, else None
    is_main = run is None or run.is_main
    if not is_main:  # rank 0 alone prints and shows progress; every rank's errors still reach stderr
        sys.stdout, args.no_progress = open(os.devnull, "w"), True
    resume = load_run_checkpoint(args.resume) if args.resume else None
    settle_settings(args, resume)
    if run is not None:
        run.local_batch_size(args.batch_size)  # the global batch must split evenly: checked before any work
    if backend.Device(args.device).type == "cuda":
        try:
            backend.check_cuda(backend.Device(args.device))
        except RuntimeError as exc:
            raise RuntimeError(f"{exc} (from --device {args.device}; --device cpu trains on the CPU)") from None
    resuming_in = Path(args.resume).parent if args.resume else None
    out = Path(args.out or resuming_in or Path("runs") / time.strftime("%Y%m%d-%H%M%S"))
    check_out_folder(out, resuming_in)

    minigrad.manual_seed(args.seed)
    net = init_weights(MODELS[args.model]())
    num_train = training_examples(args, net)
    train_iter, test_iter = load_fashion_mnist(args.batch_size, root=args.data_dir, device=args.device,
                                               seed=args.seed, limit_train=num_train, limit_test=args.limit_test)
    summary(net)
    net.to(args.device)
    optimizer = minigrad.optim.SGD(net.parameters(), lr=args.lr)
    loss_fn = nn.CrossEntropyLoss()
    history, start_epoch = [], 1
    if resume is not None:
        restore_run(resume, net, optimizer, train_iter)
        for group in optimizer.param_groups:  # load_state_dict restored the saved lr; args.lr is the one to use
            group["lr"] = args.lr
        history, start_epoch = resume["history"], resume["epoch"] + 1
        print(f"resuming {args.model} from {args.resume} after epoch {resume['epoch']}, up to epoch {args.epochs}")
    print(f"training {args.model} on {args.device}: {train_iter.num_examples} examples, "
          f"{len(train_iter)} batch{'es' if len(train_iter) != 1 else ''} of {args.batch_size}, lr {args.lr}, "
          f"output in {out}")

    train_net = net
    if run is not None:
        train_net, train_iter, test_iter = run.wrap(net, train_iter, test_iter, args.seed)
        print(f"data-parallel over {run.world_size} processes: {len(train_iter.sampler)} examples and "
              f"{train_iter.batch_size} of each batch per process, SyncBatchNorm, gradients averaged")
    if is_main:
        try:
            out.mkdir(parents=True, exist_ok=True)  # only now: a run that fails to start leaves no empty folder behind
        except OSError as exc:
            raise ValueError(f"--out {out}: the folder cannot be created ({exc})") from None
    checkpoint = out / "checkpoint.npz"
    last_good = args.resume  # the checkpoint of the last finished epoch, None before one
    epoch = finished = start_epoch - 1  # finished: the last epoch whose checkpoint is on disk
    try:
        for epoch in range(start_epoch, args.epochs + 1):
            started = time.perf_counter()
            progress = None
            if not args.no_progress:
                from tqdm import tqdm
                # disable=None: no bar when stderr is not a terminal (a log file fills with its frames otherwise)
                progress = tqdm(total=len(train_iter), desc=f"epoch {epoch}/{args.epochs}", leave=False, disable=None)
            try:
                stats = (train_epoch(net, train_iter, loss_fn, optimizer, progress=progress) if run is None else
                         run.train_epoch(epoch, train_net, train_iter, loss_fn, optimizer, progress=progress))
            finally:
                if progress is not None:
                    progress.close()
            test_acc = evaluate_accuracy(net, test_iter) if run is None else run.evaluate_accuracy(net, test_iter)
            history.append({"epoch": epoch, "train_loss": stats["loss"], "train_acc": stats["train_acc"],
                            "test_acc": test_acc, "examples_per_sec": stats["examples"] / stats["train_time"],
                            "epoch_seconds": time.perf_counter() - started})
            h = history[-1]
            print(f"epoch {epoch}: loss {h['train_loss']:.3f}, train acc {h['train_acc']:.3f}, "
                  f"test acc {h['test_acc']:.3f}, {h['examples_per_sec']:.1f} examples/sec on {args.device}")
            with interrupts_deferred():  # the checkpoint on disk and `finished` change together
                if is_main:
                    save_checkpoint(checkpoint, net, optimizer, train_iter, epoch, history, args)
                finished, last_good = epoch, checkpoint
                if is_main:
                    write_metrics(out, args, history)
    except NonFiniteLossError as exc:
        print(f"error: {exc} in epoch {epoch}; stopping. The last good checkpoint (after epoch {finished}) is "
              f"{last_good or 'not there: no epoch finished'}. Try a lower --lr.", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        if not is_main:
            return 130
        # history may hold the interrupted epoch's line already (Ctrl-C before its checkpoint): keep the finished ones
        epoch, history = finished + 1, [h for h in history if h["epoch"] <= finished]
        path = out / "interrupted.npz"
        save_checkpoint(path, net, optimizer, train_iter, finished, history, args)
        exact = (f"--resume {last_good} continues exactly after epoch {finished}" if last_good
                 else "no epoch had finished")
        print(f"\ninterrupted in epoch {epoch}: the weights so far are saved in {path} (resuming from it "
              f"repeats epoch {epoch} starting from them); {exact}", file=sys.stderr)
        if history and plot_history(history, out / "curves.png", title=f"{args.model} (interrupted in epoch {epoch})"):
            print(f"curves of the finished epochs: {out / 'curves.png'}", file=sys.stderr)
        return 130

    if not is_main:
        return 0
    h = history[-1]
    print(f"loss {h['train_loss']:.3f}, train acc {h['train_acc']:.3f}, test acc {h['test_acc']:.3f}")
    print(f"{h['examples_per_sec']:.1f} examples/sec on {args.device}")
    print(f"best test acc {max(x['test_acc'] for x in history):.3f}")
    if plot_history(history, out / "curves.png", title=args.model):
        print(f"curves: {out / 'curves.png'}")
    else:
        print("curves.png not written: matplotlib is missing (pip install -e '.[plot]')")
    bn = first_batchnorm(net)
    if bn is not None:
        gamma, beta = bn
        print("first BatchNorm gamma:", gamma.reshape(-1))
        print("first BatchNorm beta: ", beta.reshape(-1))
    print(f"metrics: {out / 'metrics.json'}, {out / 'metrics.csv'}; checkpoint: {checkpoint}")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except (DatasetError, OSError, RuntimeError, ValueError) as exc:  # OSError: e.g. --out not creatable
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(2)
