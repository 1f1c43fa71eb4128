"""The older edition's helpers (``load_data_fashion_mnist``, ``train_ch6``, ...), the small tools both
editions share (``Timer``, ``Accumulator``, ``Animator``, devices), and the environment switches.

Environment variables (none needed for the book's results):

- ``MINIGRAD_DATA``: the Fashion-MNIST folder (else ``~/.cache/minigrad/fashion-mnist``,
  downloaded once), as everywhere in minigrad.
- ``MINIGRAD_D2L_LIMIT``: ``N`` or ``N,M``: ``load_data_fashion_mnist`` and ``FashionMNIST`` keep only
  the first N training and M test examples (M = N when omitted), for quick runs.
- ``MINIGRAD_D2L_MAX_BATCHES``: ``N``: ``Trainer`` trains and validates on at most N batches per epoch.
- ``MINIGRAD_D2L_MAX_EPOCHS``: ``N``: ``Trainer`` runs at most N epochs (its ``max_epochs`` is kept for the plot).
- ``MINIGRAD_D2L_FIGURES``: the folder where figures go outside a notebook (default ``runs/d2l``):
  ``train_ch6_1.png``, ``train_ch6_2.png``, ... for the 1st, 2nd, ... ``train_ch6`` call in a process,
  ``<Model>_<n>.png`` for a ``Trainer.fit`` board, ``animator_<n>.png``; redrawn as the book animates
  them in a notebook. In a notebook they are shown in place, as the book's.
"""
import collections
import io
import itertools
import os
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
from tqdm import tqdm

from minigrad import backend, cuda, nn, optim, train
from minigrad.checks import check_int
from minigrad.core import Tensor
from minigrad.data import load_fashion_mnist

LIMIT_VAR = "MINIGRAD_D2L_LIMIT"
MAX_BATCHES_VAR = "MINIGRAD_D2L_MAX_BATCHES"
MAX_EPOCHS_VAR = "MINIGRAD_D2L_MAX_EPOCHS"
FIGURES_VAR = "MINIGRAD_D2L_FIGURES"
DEFAULT_FIGURES = "runs/d2l"
_figure_counts = collections.defaultdict(itertools.count)


def _limits():
    """(train limit, test limit) from ``$MINIGRAD_D2L_LIMIT`` (``N`` or ``N,M``); (None, None) when unset."""
    value = os.environ.get(LIMIT_VAR, "").strip()
    if not value:
        return None, None
    parts = value.split(",")
    if len(parts) > 2 or not all(p.strip().isdigit() and int(p) > 0 for p in parts):
        raise ValueError(f"{LIMIT_VAR} must be N or N,M (positive numbers of training and test examples), "
                         f"got {value!r}")
    limits = [int(p) for p in parts]
    return limits[0], limits[-1]


def _cap(var):
    """The positive int in ``$var``, or None when it is unset."""
    value = os.environ.get(var, "").strip()
    if not value:
        return None
    if not value.isdigit() or int(value) < 1:
        raise ValueError(f"{var} must be a positive number, got {value!r}")
    return int(value)


def in_notebook():
    """True in a Jupyter kernel (where figures are shown in place)."""
    ipython = sys.modules.get("IPython")
    return ipython is not None and hasattr(ipython.get_ipython(), "kernel")


def figure_path(prefix):
    """A new file for a figure outside a notebook: ``<figures folder>/<prefix>_<n>.png``, n = 1, 2, ..."""
    folder = Path(os.environ.get(FIGURES_VAR) or DEFAULT_FIGURES)
    return folder / f"{prefix}_{next(_figure_counts[prefix]) + 1}.png"


def new_figure(figsize, nrows=1, ncols=1):
    """(figure, list of axes) of a matplotlib Figure outside pyplot (nothing shown twice in a notebook)."""
    try:
        from matplotlib.figure import Figure
    except ImportError:
        raise ImportError("minigrad.d2l draws with matplotlib: pip install matplotlib "
                          "(or minigrad's 'plot' extra)") from None
    fig = Figure(figsize=figsize)
    return fig, list(np.ravel(fig.subplots(nrows, ncols, squeeze=False)))


def show(fig, path):
    """In a notebook: replace the cell's figure with ``fig``; elsewhere: save it to ``path``."""
    fig.tight_layout()
    if in_notebook():
        from IPython import display
        png = io.BytesIO()
        fig.savefig(png, format="png")
        display.clear_output(wait=True)
        display.display(display.Image(png.getvalue()))
    else:
        path.parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(path, dpi=120)


def set_axes(axes, xlabel, ylabel, xlim, ylim, xscale, yscale, legend):
    """Labels, limits, scales, legend and grid of ``axes``, as the book's ``set_axes``."""
    axes.set_xlabel(xlabel)
    axes.set_ylabel(ylabel)
    axes.set_xscale(xscale)
    axes.set_yscale(yscale)
    axes.set_xlim(xlim)
    axes.set_ylim(ylim)
    if legend:
        axes.legend(legend)
    axes.grid()


class Timer:
    """Several running times: ``start``, ``stop`` (records and returns the lap), ``avg``, ``sum``, ``cumsum``."""

    def __init__(self):
        self.times = []
        self.start()

    def start(self):
        self.tik = time.perf_counter()

    def stop(self):
        self.times.append(time.perf_counter() - self.tik)
        return self.times[-1]

    def avg(self):
        return sum(self.times) / len(self.times)

    def sum(self):
        return sum(self.times)

    def cumsum(self):
        return np.array(self.times).cumsum().tolist()


class Accumulator:
    """Running sums of ``n`` numbers: ``add(*values)``, ``reset()``, ``acc[i]``."""

    def __init__(self, n):
        self.data = [0.0] * n

    def add(self, *args):
        if len(args) != len(self.data):
            raise ValueError(f"Accumulator.add: expected {len(self.data)} values, got {len(args)}")
        self.data = [a + float(b) for a, b in zip(self.data, args)]

    def reset(self):
        self.data = [0.0] * len(self.data)

    def __getitem__(self, idx):
        return self.data[idx]


class Animator:
    """Lines drawn point by point (``add(x, y)``, y one value or one per line), as the book's ``Animator``:
    redrawn in place in a notebook, into ``$MINIGRAD_D2L_FIGURES/animator_<n>.png`` elsewhere."""

    def __init__(self, xlabel=None, ylabel=None, legend=None, xlim=None, ylim=None, xscale="linear",
                 yscale="linear", fmts=("-", "m--", "g-.", "r:"), nrows=1, ncols=1, figsize=(3.5, 2.5)):
        self.fig, self.axes = new_figure(figsize, nrows, ncols)
        self.config_axes = lambda: set_axes(self.axes[0], xlabel, ylabel, xlim, ylim, xscale, yscale, legend or [])
        self.X, self.Y, self.fmts = None, None, fmts
        self.path = None if in_notebook() else figure_path("animator")

    def add(self, x, y):
        y = list(y) if hasattr(y, "__len__") else [y]
        x = list(x) if hasattr(x, "__len__") else [x] * len(y)
        if not self.X:
            self.X, self.Y = [[] for _ in y], [[] for _ in y]
        for i, (a, b) in enumerate(zip(x, y)):
            if a is not None and b is not None:
                self.X[i].append(a)
                self.Y[i].append(float(b))
        self.axes[0].cla()
        for xs, ys, fmt in zip(self.X, self.Y, self.fmts):
            self.axes[0].plot(xs, ys, fmt)
        self.config_axes()
        show(self.fig, self.path)


def cpu():
    """The CPU device."""
    return backend.Device("cpu")


def gpu(i=0):
    """The device ``cuda:i`` (whether it exists or not, as the book's)."""
    check_int("i", i, 0, "gpu")
    return backend.Device(f"cuda:{i}")


def num_gpus():
    """The number of CUDA devices minigrad sees (0 without CuPy)."""
    return cuda.device_count()


def try_gpu(i=0):
    """The device ``cuda:i`` if it exists, else ``cpu``."""
    check_int("i", i, 0, "try_gpu")
    return gpu(i) if num_gpus() >= i + 1 else cpu()


def try_all_gpus():
    """Every CUDA device, or ``[cpu]`` when there is none."""
    return [gpu(i) for i in range(num_gpus())] or [cpu()]


def load_data_fashion_mnist(batch_size, resize=None):
    """``(train_iter, test_iter)`` of Fashion-MNIST: float32 images (n, 1, H, W) in [0, 1], int64 labels.

    The training set is reshuffled every epoch from minigrad's generator (``minigrad.manual_seed``
    makes it repeatable); ``resize`` (an int or (h, w)) resizes bilinearly, as the book's
    ``transforms.Resize``. ``$MINIGRAD_D2L_LIMIT`` keeps only the first examples (module docstring).
    """
    limit_train, limit_test = _limits()
    return load_fashion_mnist(batch_size, resize=resize, seed=None,
                              limit_train=limit_train, limit_test=limit_test)


def accuracy(y_hat, y):
    """The number of correct predictions (a float): ``y_hat`` holds class scores (n, classes) or labels (n,)."""
    for name, t in (("y_hat", y_hat), ("y", y)):
        if not isinstance(t, Tensor):
            raise TypeError(f"accuracy: {name} must be a Tensor, got {type(t).__name__}")
    if len(y_hat) != y.numel() or y.ndim != 1:
        raise ValueError(f"accuracy: y_hat of shape {y_hat.shape} and labels y of shape {y.shape} do not match "
                         "(expected y_hat (n, classes) or (n,) and y (n,))")
    if y_hat.ndim > 1 and y_hat.shape[1] > 1:
        return float(train.accuracy(y_hat, y))
    return float((y_hat.array.reshape(y.shape).astype(y.dtype) == y.array).sum())


class _OnDevice:
    """The batches of ``data_iter`` moved to ``device`` (no copy when they are there), with its length."""

    def __init__(self, data_iter, device):
        self.data_iter, self.device = data_iter, device

    def __len__(self):
        return len(self.data_iter)

    def __iter__(self):
        return ((X.to(self.device), y.to(self.device)) for X, y in self.data_iter)


def evaluate_accuracy_gpu(net, data_iter, device=None):
    """Accuracy of ``net`` on ``data_iter`` (eval mode, no graph), batches moved to ``device``
    (default: where the parameters of ``net`` are). Unlike the book's, it gives ``net`` back in the
    mode it found it in."""
    if device is None:
        device = next(iter(net.parameters())).device
    return train.evaluate_accuracy(net, _OnDevice(data_iter, device))


def describe(net):
    """A network in a few words for a figure's title: its class and its layers' classes (each once, in order)."""
    names = dict.fromkeys(type(m).__name__ for m in net.children())
    return f"{type(net).__name__}({', '.join(names)})" if names else type(net).__name__


def _draw(history, path, title):
    """Draw the curves into ``path`` (its folder made); False when matplotlib is missing."""
    path.parent.mkdir(parents=True, exist_ok=True)
    return train.plot_history(history, path, title="\n".join(textwrap.wrap(title, 48)))


def train_ch6(net, train_iter, test_iter, num_epochs, lr, device):
    """Train ``net`` as the book's ``train_ch6``: Xavier-uniform init of Linear and Conv2d weights,
    SGD at ``lr``, cross-entropy loss, ``num_epochs`` epochs on ``device``.

    Prints ``training on <device>``, where the curves go (a figure titled with the run's number and
    ``describe(net)``), a progress bar per epoch (on a terminal), then the book's closing lines: the last
    epoch's mean training loss and accuracy and its test accuracy, and the examples/second over all training
    steps. Returns None, as the book's (a returned value would be shown after those lines in a notebook).
    """
    if not isinstance(net, nn.Module):
        raise TypeError(f"train_ch6: net must be an nn.Module, got {type(net).__name__}")
    if check_int("num_epochs", num_epochs, 0, "train_ch6") < 1:
        raise ValueError(f"num_epochs must be at least 1, got {num_epochs}")
    train.init_weights(net)
    print("training on", device)
    net.to(device)
    optimizer = optim.SGD(net.parameters(), lr=lr)
    loss = nn.CrossEntropyLoss()
    train_batches = _OnDevice(train_iter, device)
    figure = figure_path("train_ch6")
    title = f"{figure.stem}: {describe(net)}"
    history, examples, seconds = [], 0, 0.0
    for epoch in range(1, num_epochs + 1):
        with tqdm(total=len(train_iter), desc=f"epoch {epoch}/{num_epochs}", leave=False, disable=None,
                  file=sys.stderr) as progress:
            stats = train.train_epoch(net, train_batches, loss, optimizer, progress=progress)
        test_acc = evaluate_accuracy_gpu(net, test_iter, device)
        history.append({"epoch": epoch, "train_loss": stats["loss"], "train_acc": stats["train_acc"],
                        "test_acc": test_acc})
        examples, seconds = examples + stats["examples"], seconds + stats["train_time"]
        drawn = _draw(history, figure, title)
        if epoch == 1:
            print(f"curves: {figure}" if drawn else "curves not drawn: matplotlib is missing")
    last = history[-1]
    print(f"loss {last['train_loss']:.3f}, train acc {last['train_acc']:.3f}, test acc {last['test_acc']:.3f}")
    print(f"{examples / seconds:.1f} examples/sec on {device}")
