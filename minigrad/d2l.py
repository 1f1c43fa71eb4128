"""The Dive into Deep Learning helpers that the chapter "Batch Normalization" calls, on minigrad.

``from minigrad import d2l`` stands in for ``from d2l import torch as d2l``:
``load_data_fashion_mnist``, ``train_ch6``, ``try_gpu``, ``accuracy`` and
``evaluate_accuracy_gpu`` keep the book's signatures and printed output, and
are built on ``minigrad.data`` and ``minigrad.train`` (one training loop).
``run_notebook`` runs a chapter saved as a Python file of ``# %%`` cells as a notebook would.

Environment variables (none needed for the book's results):

- ``MINIGRAD_DATA``: the Fashion-MNIST folder (else ``~/.cache/minigrad/fashion-mnist``,
  downloaded once), as everywhere in minigrad.
- ``MINIGRAD_D2L_LIMIT``: ``N`` or ``N,M``: ``load_data_fashion_mnist`` keeps only the
  first N training and M test examples (M = N when omitted), for quick runs.
- ``MINIGRAD_D2L_FIGURES``: the folder where ``train_ch6`` writes its curves
  (``train_ch6_1.png``, ``train_ch6_2.png``, ... for the 1st, 2nd, ... call in a process;
  default ``runs/d2l``), redrawn after every epoch where the book animates them in a notebook.
"""
import ast
import bisect
import itertools
import os
import pprint
import sys
from pathlib import Path

from tqdm import tqdm

from minigrad import backend, cuda, nn, optim, train
from minigrad.checks import check_int
from minigrad.core import Tensor
from minigrad.data import load_fashion_mnist

LIMIT_VAR = "MINIGRAD_D2L_LIMIT"
FIGURES_VAR = "MINIGRAD_D2L_FIGURES"
DEFAULT_FIGURES = "runs/d2l"
_figure_count = itertools.count(1)


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


def load_data_fashion_mnist(batch_size, resize=None):
    """``(train_iter, test_iter)`` of Fashion-MNIST: float32 images (n, 1, H, W) in [0, 1], int64 labels.

    The training set is reshuffled every epoch from minigrad's generator (``minigrad.manual_seed``
    makes it repeatable); ``resize`` (an int or (h, w)) resizes bilinearly, as the book's
    ``transforms.Resize``. ``$MINIGRAD_D2L_LIMIT`` keeps only the first examples (module docstring).
    """
    limit_train, limit_test = _limits()
    return load_fashion_mnist(batch_size, resize=resize, seed=None,
                              limit_train=limit_train, limit_test=limit_test)


def try_gpu(i=0):
    """The device ``cuda:i`` if it exists, else ``cpu``."""
    check_int("i", i, 0, "try_gpu")
    return backend.Device(f"cuda:{i}" if cuda.device_count() >= i + 1 else "cpu")


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


def _figure_path():
    """Where the next ``train_ch6`` call draws its curves."""
    return Path(os.environ.get(FIGURES_VAR) or DEFAULT_FIGURES) / f"train_ch6_{next(_figure_count)}.png"


def _draw(history, path):
    """Draw the curves into ``path`` (its folder made); False when matplotlib is missing."""
    path.parent.mkdir(parents=True, exist_ok=True)
    return train.plot_history(history, path)


def train_ch6(net, train_iter, test_iter, num_epochs, lr, device):
    """Train ``net`` as the book's ``train_ch6``: Xavier-uniform init of Linear and Conv2d weights,
    SGD at ``lr``, cross-entropy loss, ``num_epochs`` epochs on ``device``.

    Prints ``training on <device>``, where the curves go, a progress bar per epoch (on a terminal),
    then the book's closing lines: the last epoch's mean training loss and accuracy and its test
    accuracy, and the examples/second over all training steps. Returns None, as the book's
    (a returned value would be shown after those lines in a notebook).
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
    figure = _figure_path()
    history, examples, seconds = [], 0, 0.0
    for epoch in range(1, num_epochs + 1):
        with tqdm(total=len(train_iter), desc=f"epoch {epoch}/{num_epochs}", leave=False, disable=None,
                  file=sys.stderr) as progress:
            stats = train.train_epoch(net, train_batches, loss, optimizer, progress=progress)
        test_acc = evaluate_accuracy_gpu(net, test_iter, device)
        history.append({"epoch": epoch, "train_loss": stats["loss"], "train_acc": stats["train_acc"],
                        "test_acc": test_acc})
        examples, seconds = examples + stats["examples"], seconds + stats["train_time"]
        drawn = _draw(history, figure)
        if epoch == 1:
            print(f"curves: {figure}" if drawn else "curves not drawn: matplotlib is missing")
    last = history[-1]
    print(f"loss {last['train_loss']:.3f}, train acc {last['train_acc']:.3f}, test acc {last['test_acc']:.3f}")
    print(f"{examples / seconds:.1f} examples/sec on {device}")


CELL_MARK = "# %%"


def run_notebook(path):
    """Run the ``# %%`` cells of the Python file ``path`` in order, in one namespace, as Jupyter
    runs a notebook: when a cell ends with an expression whose value is not None, that value is
    displayed (pretty-printed). Code before the first ``# %%`` line is not run."""
    source = Path(path).read_text(encoding="utf-8")
    marks = [n for n, line in enumerate(source.splitlines(), 1) if line.strip() == CELL_MARK]
    if not marks:
        raise ValueError(f"{path} has no '{CELL_MARK}' cell markers")
    cells = [[] for _ in marks]
    for statement in ast.parse(source, filename=str(path)).body:
        if statement.lineno > marks[0]:
            cells[bisect.bisect(marks, statement.lineno) - 1].append(statement)
    namespace = {"__name__": "__main__", "__file__": str(path)}
    for body in cells:
        last = body.pop() if body and isinstance(body[-1], ast.Expr) else None
        exec(compile(ast.Module(body=body, type_ignores=[]), str(path), "exec"), namespace)
        if last is not None:
            value = eval(compile(ast.Expression(last.value), str(path), "eval"), namespace)
            if value is not None:
                pprint.pprint(value)
