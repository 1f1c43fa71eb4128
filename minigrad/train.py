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

import numpy as np

from minigrad import backend, nn
from minigrad import distributed as dist
from minigrad.core import no_grad
from minigrad.data import DataLoader, DistributedSampler
from minigrad.nn.parallel import DistributedDataParallel
from minigrad.ops.creation import rand


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
    """Print each layer's output shape for a random input, as the D2L chapter's loop does.

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
    if total == 0:
        raise ValueError("evaluate_accuracy: the data iterator gave no examples, so there is no accuracy to report")
    return correct / total


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
    try:  # a Figure outside pyplot: pyplot's backend (a notebook's inline one) is left as it is
        from matplotlib.figure import Figure
        from matplotlib.ticker import MaxNLocator
    except ImportError:
        return False
    epochs = [h["epoch"] for h in history]
    fig = Figure(figsize=(5, 3.5))
    ax = fig.subplots()
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
    return True


class DistributedRun:
    """The single-process recipe spread over the processes of an MPI launch (``mpiexec -n K python -m mpi4py``).

    ``wrap`` splits each global batch of B examples into K local batches of
    B / K: a ``DistributedSampler`` gives process r the positions r, r + K, ...
    of the epoch's order, so the local batches of one step together are one
    global batch. BatchNorm layers become SyncBatchNorm (statistics of the
    global batch) and ``DistributedDataParallel`` averages the gradients, so a
    step is the single-process step on that batch. The test set is cut into K
    disjoint shards. ``train_epoch`` and ``evaluate_accuracy`` return the
    figures of all processes together: loss and accuracy over the global
    examples, the slowest process's step time. Only ``is_main`` (rank 0)
    should print and write files.
    """

    def __init__(self):
        self.rank, self.world_size = dist.get_rank(), dist.get_world_size()
        self.is_main = self.rank == 0
        self.sampler = None

    @classmethod
    def from_launch(cls):
        """A DistributedRun when an MPI launcher started more than one process (the process group is
        initialised with the ``mpi`` backend), else None (and MPI is not touched)."""
        if dist.launched_world_size() < 2:
            return None
        if not dist.is_initialized():
            dist.init_process_group("mpi")
        return cls()

    def local_batch_size(self, batch_size):
        """B / K; a ValueError when the global batch does not split evenly."""
        if batch_size % self.world_size:
            raise ValueError(f"--batch-size {batch_size} (the global batch) must split evenly over the "
                             f"{self.world_size} processes: use a multiple of {self.world_size}")
        return batch_size // self.world_size

    def wrap(self, net, train_iter, test_iter, seed):
        """(the data-parallel network, this process's training loader, its test shard), from the
        single-process network (converted to SyncBatchNorm in place, so its state_dict keeps its keys) and
        loaders; build the optimiser on ``net.parameters()`` before or after, they are the same tensors."""
        # SyncBatchNorm keeps the running statistics equal in every process: no need to broadcast buffers
        ddp = DistributedDataParallel(nn.SyncBatchNorm.convert_sync_batchnorm(net), broadcast_buffers=False)
        self.sampler = DistributedSampler(train_iter.num_examples, self.world_size, self.rank, seed=seed)
        common = {"device": train_iter.device, "resize": train_iter.resize}
        train = DataLoader(train_iter.images, train_iter.labels, self.local_batch_size(train_iter.batch_size),
                           sampler=self.sampler, **common)
        shard = slice(self.rank, None, self.world_size)
        test = DataLoader(test_iter.images[shard], test_iter.labels[shard], test_iter.batch_size, **common)
        return ddp, train, test

    def train_epoch(self, epoch, net, train_iter, loss_fn, optimizer, progress=None):
        """``train_epoch`` on this process's share of epoch ``epoch``'s order; the figures of all processes."""
        self.sampler.set_epoch(epoch)
        stats = train_epoch(net, train_iter, loss_fn, optimizer, progress=progress)
        n = stats["examples"]
        sums = np.array([stats["loss"] * n, stats["train_acc"] * n, n], dtype=np.float64)
        dist.all_reduce_array(sums)
        slowest = dist.all_reduce_array(np.array([stats["train_time"]]), dist.ReduceOp.MAX)
        return {"loss": sums[0] / sums[2], "train_acc": sums[1] / sums[2], "examples": int(sums[2]),
                "train_time": float(slowest[0])}

    def evaluate_accuracy(self, net, test_iter):
        """The accuracy over the test shards of all processes."""
        local = evaluate_accuracy(net, test_iter) if test_iter.num_examples else 0.0  # a shard may be empty
        counts = np.array([local * test_iter.num_examples, test_iter.num_examples])
        dist.all_reduce_array(counts)
        return float(np.round(counts[0]) / max(counts[1], 1))
