"""Argument types shared by the scripts: argparse names the flag in front of each message.

    p.add_argument("--epochs", type=int_at_least(1))   # --epochs 0 -> "argument --epochs: must be at least 1, got 0"
"""
import argparse
import math
import sys
import time
from pathlib import Path

from minigrad import backend


def int_at_least(low):
    """An integer >= ``low``."""
    def parse(text):
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}") from None
        if value < low:
            raise argparse.ArgumentTypeError(f"must be at least {low}, got {value}")
        return value
    return parse


def positive_number(text):
    """A finite float > 0 (a learning rate: nan and inf are refused)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not math.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError(f"must be a finite number > 0, got {value}")
    return value


def device(text):
    """A device name minigrad knows (cpu, cuda, cuda:N); whether CUDA is there is checked when it is used."""
    try:
        backend.Device(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return text


def add_data_dir(parser):
    """The scripts' --data-dir option: the Fashion-MNIST folder."""
    parser.add_argument("--data-dir", default=None,
                        help="Fashion-MNIST folder (default: $MINIGRAD_DATA, else the download cache)")


def out_folder(given, stem):
    """The run's output folder: ``given`` (--out), else runs/<stem>-<date>-<time>; exits with an error naming it when
    it is an existing file."""
    out = Path(given) if given else Path("runs") / time.strftime(f"{stem}-%Y%m%d-%H%M%S")
    if out.exists() and not out.is_dir():
        sys.exit(f"error: --out {out} is an existing file, not a folder")
    return out


if __name__ == "__main__":
    raise SystemExit("cli_args.py is a helper module that the scripts in scripts/ import; it has no command line "
                     "(see e.g. python scripts/train_lenet.py --help)")
