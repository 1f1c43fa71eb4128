"""Training utilities following D2L's ``train_ch6`` recipe.

Xavier-uniform initialisation of every Linear and Conv2d weight, SGD,
cross-entropy. Per epoch: the mean training loss and accuracy over the
batches as they were trained (training-mode outputs), the test accuracy (eval
mode, no graph), and the throughput in examples/second counted over the
training steps only (as D2L does: the sum of per-batch step times).
"""
import contextlib
import math
import time

from minigrad import backend, nn
from minigrad.core import no_grad
from minigrad.creation import rand


class NonFiniteLossError(RuntimeError):
    """The training loss became NaN or infinite."""


def init_weights(net):
    """Xavier-uniform for every Linear and Conv2d weight (D2L's ``init_weights``); biases keep their init."""
    def init(m):
        if isinstance(m, (nn.Linear, nn.Conv2d)):
            nn.init.xavier_uniform_(m.weight)
    return net.apply(init)


@contextlib.contextmanager
def _evaluating(net):
    """Eval mode and no graph for the block; the module's mode is restored afterwards, even on error."""
    was_training = net.training
    net.eval()
    try:
        with no_grad():
            yield
    finally:
        net.train(was_training)


def summary(net, input_shape=(1, 1, 28, 28), device="cpu", file=None):
    """Print each layer's output shape for a random input, as the seed's loop does.

    Runs in eval mode without recording a graph, so the running statistics of
    BatchNorm layers are not touched; returns the list of (layer name, shape).
    """
    rows = []
    with _evaluating(net):
        X = rand(*input_shape, device=device)
        for layer in net:
            X = layer(X)
            rows.append((type(layer).__name__, X.shape))
            print(f"{type(layer).__name__} output shape:\t {X.shape}", file=file)
    return rows


def accuracy(logits, y):
    """Number of correct predictions, as a device array (no host sync)."""
    return (logits.array.argmax(axis=1) == y.array).sum()


def evaluate_accuracy(net, data_iter):
    """Accuracy of ``net`` on ``data_iter`` in eval mode without a graph; the mode is restored."""
    correct, total = 0, 0
    with _evaluating(net):
        for X, y in data_iter:
            correct += int(accuracy(net(X), y))
            total += y.shape[0]
    return correct / max(total, 1)


def train_step(net, X, y, loss_fn, optimizer):
    """One SGD step on the batch (X, y); returns (loss, logits) with the graph freed."""
    optimizer.zero_grad()
    logits = net(X)
    loss = loss_fn(logits, y)
    loss.backward()
    optimizer.step()
    return loss, logits


def train_epoch(net, train_iter, loss_fn, optimizer, progress=None, log_every=10):
    """Train one epoch; returns a dict with loss, train_acc, examples and train_time (seconds of steps).

    The loss and the correct count are summed on the device and read back every
    ``log_every`` batches (to update ``progress``, a tqdm bar, and to check that
    the loss is finite), not once per step.
    """
    net.train()
    loss_sum = correct = 0.0
    examples, step_time = 0, 0.0
    for i, (X, y) in enumerate(train_iter, 1):
        start = time.perf_counter()
        loss, logits = train_step(net, X, y, loss_fn, optimizer)
        loss_sum = loss_sum + loss.array * y.shape[0]
        correct = correct + accuracy(logits, y)
        backend.synchronize(loss.array)
        step_time += time.perf_counter() - start
        examples += y.shape[0]
        if i % log_every == 0 or i == len(train_iter):
            mean_loss = float(loss_sum) / examples
            if not math.isfinite(mean_loss):
                raise NonFiniteLossError(f"the training loss became {mean_loss} at batch {i}")
            if progress is not None:
                progress.set_postfix(loss=f"{mean_loss:.3f}", acc=f"{float(correct) / examples:.3f}")
        if progress is not None:
            progress.update(1)
    return {"loss": float(loss_sum) / examples, "train_acc": float(correct) / examples,
            "examples": examples, "train_time": step_time}


def plot_history(history, path, title=None):
    """Save the chapter's figure: train loss, train acc and test acc against epoch. False without matplotlib.

    Each epoch is a marker on its line (a 1-epoch run is three visible points), the epoch axis has
    integer ticks only and half an epoch of margin on each side.
    """
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        from matplotlib.ticker import MaxNLocator
    except ImportError:
        return False
    epochs = [h["epoch"] for h in history]
    fig, ax = plt.subplots(figsize=(5, 3.5))
    ax.plot(epochs, [h["train_loss"] for h in history], "o-", ms=4, label="train loss")
    ax.plot(epochs, [h["train_acc"] for h in history], "ms--", ms=4, label="train acc")
    ax.plot(epochs, [h["test_acc"] for h in history], "g^-.", ms=4, label="test acc")
    ax.set_xlabel("epoch")
    ax.set_xlim(epochs[0] - 0.5, epochs[-1] + 0.5)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True, min_n_ticks=1))
    ax.grid(True, alpha=0.3)
    ax.legend()
    if title:
        ax.set_title(title)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return True
