#!/usr/bin/env python
"""Train LeNet with batch normalization on Fashion-MNIST, as the seed chapter does with d2l's train_ch6.

    python scripts/train_lenet.py                      # lenet-bn-scratch, 10 epochs, lr 1.0, batch 256, CPU
    python scripts/train_lenet.py --model lenet-bn --device cuda
    python scripts/train_lenet.py --resume runs/<stamp>/checkpoint.npz

Writes to --out: metrics.json, metrics.csv, checkpoint.npz (after every epoch:
model, optimiser, epoch, RNG and shuffling state) and curves.png.
"""
import argparse
import csv
import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout without installing

import minigrad  # noqa: E402
from minigrad import nn  # noqa: E402
from minigrad.data import DatasetError, load_fashion_mnist  # noqa: E402
from minigrad.train import (NonFiniteLossError, evaluate_accuracy, init_weights, plot_history, summary,  # noqa: E402
                            train_epoch)
from models import MODELS  # noqa: E402


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--model", choices=list(MODELS), default="lenet-bn-scratch")
    p.add_argument("--epochs", type=int, default=10)
    p.add_argument("--lr", type=float, default=None, help="learning rate (default: 1.0, or the checkpoint's with --resume)")
    p.add_argument("--batch-size", type=int, default=256)
    p.add_argument("--device", default="cpu", help="cpu, cuda or cuda:N")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--data-dir", default=None,
                   help="folder with the Fashion-MNIST IDX files (default: $MINIGRAD_DATA, else ~/.cache/minigrad/fashion-mnist)")
    p.add_argument("--out", default=None, help="output folder (default: runs/<timestamp>)")
    p.add_argument("--resume", default=None, metavar="CHECKPOINT", help="continue the run saved in this checkpoint")
    p.add_argument("--limit-train", type=int, default=None, help="use only the first N training examples")
    p.add_argument("--limit-test", type=int, default=None, help="use only the first N test examples")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    args = p.parse_args(argv)
    if args.epochs < 1 or args.batch_size < 1 or (args.lr is not None and args.lr <= 0):
        p.error(f"--epochs and --batch-size must be positive and --lr > 0, got {args.epochs}, {args.batch_size}, {args.lr}")
    return args


def first_batchnorm(net):
    """The first BatchNorm layer's (gamma, beta), whichever convention it follows; None without one."""
    for layer in net:
        if isinstance(layer, nn.BatchNorm):
            return layer.gamma, layer.beta
        if isinstance(layer, (nn.BatchNorm1d, nn.BatchNorm2d)):
            return layer.weight, layer.bias
    return None


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
    resume = minigrad.load(args.resume) if args.resume else None
    if resume is not None:
        # the run's network, batches and data subset come from the checkpoint (else the resumed epochs would
        # train on other data or in another order); the learning rate too unless --lr is given
        for key in ("model", "batch_size", "seed"):
            setattr(args, key, resume["args"][key])
        for key in ("lr", "limit_train", "limit_test"):
            if getattr(args, key) is None:
                setattr(args, key, resume["args"].get(key))
    if args.lr is None:
        args.lr = 1.0
    out = Path(args.out or (Path(args.resume).parent if args.resume else Path("runs") / time.strftime("%Y%m%d-%H%M%S")))

    minigrad.manual_seed(args.seed)
    train_iter, test_iter = load_fashion_mnist(args.batch_size, root=args.data_dir, device=args.device,
                                               seed=args.seed, limit_train=args.limit_train,
                                               limit_test=args.limit_test)
    net = init_weights(MODELS[args.model]())
    summary(net)
    net.to(args.device)
    optimizer = minigrad.optim.SGD(net.parameters(), lr=args.lr)
    loss_fn = nn.CrossEntropyLoss()
    history, start_epoch = [], 1
    if resume is not None:
        net.load_state_dict(resume["model"])
        optimizer.load_state_dict(resume["optimizer"])
        for group in optimizer.param_groups:  # load_state_dict restored the saved lr; args.lr is the one to use
            group["lr"] = args.lr
        minigrad.set_rng_state(resume["rng"])
        train_iter.load_state_dict(resume["loader"])
        history, start_epoch = resume["history"], resume["epoch"] + 1
        print(f"resuming {args.model} from {args.resume} after epoch {resume['epoch']}")
    print(f"training {args.model} on {args.device}: {train_iter.num_examples} examples, "
          f"{len(train_iter)} batches of {args.batch_size}, lr {args.lr}, output in {out}")

    out.mkdir(parents=True, exist_ok=True)  # only now: a run that fails to start leaves no empty folder behind
    checkpoint = out / "checkpoint.npz"
    last_good = args.resume  # the checkpoint of the last finished epoch, None before one
    epoch = start_epoch - 1
    try:
        for epoch in range(start_epoch, args.epochs + 1):
            started = time.perf_counter()
            progress = None
            if not args.no_progress:
                from tqdm import tqdm
                progress = tqdm(total=len(train_iter), desc=f"epoch {epoch}/{args.epochs}", leave=False)
            try:
                stats = train_epoch(net, train_iter, loss_fn, optimizer, progress=progress)
            finally:
                if progress is not None:
                    progress.close()
            test_acc = evaluate_accuracy(net, test_iter)
            history.append({"epoch": epoch, "train_loss": stats["loss"], "train_acc": stats["train_acc"],
                            "test_acc": test_acc, "examples_per_sec": stats["examples"] / stats["train_time"],
                            "epoch_seconds": time.perf_counter() - started})
            h = history[-1]
            print(f"epoch {epoch}: loss {h['train_loss']:.3f}, train acc {h['train_acc']:.3f}, "
                  f"test acc {h['test_acc']:.3f}, {h['examples_per_sec']:.1f} examples/sec on {args.device}")
            save_checkpoint(checkpoint, net, optimizer, train_iter, epoch, history, args)
            write_metrics(out, args, history)
            last_good = checkpoint
    except NonFiniteLossError as exc:
        print(f"error: {exc} in epoch {epoch}; stopping. The last good checkpoint (after epoch {epoch - 1}) is "
              f"{last_good or 'not there: no epoch finished'}. Try a lower --lr.", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        path = out / "interrupted.npz"
        save_checkpoint(path, net, optimizer, train_iter, epoch - 1, history, args)
        exact = (f"--resume {last_good} continues exactly after epoch {epoch - 1}" if last_good
                 else "no epoch had finished")
        print(f"\ninterrupted in epoch {epoch}: the weights so far are saved in {path} (resuming from it "
              f"repeats epoch {epoch} starting from them); {exact}", file=sys.stderr)
        return 130

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
    except (DatasetError, FileNotFoundError, RuntimeError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(2)
