"""minigrad.train and scripts/train_lenet.py: init, summary, steps, epochs, evaluation, the script end to end,
checkpoint/resume reproducibility, bad input and NaN handling, and one real epoch (marked slow)."""
import csv
import ctypes
import glob
import importlib.util
import io
import json
import math
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

import cpu_bounded
import minigrad
from minigrad import nn
from minigrad.core import is_grad_enabled
from minigrad.data import DataLoader, load_fashion_mnist
from minigrad.train import (NonFiniteLossError, evaluate_accuracy, init_weights, summary, train_epoch,
                            train_step)
from models import MODELS, lenet_bn, lenet_bn_scratch
from real_data import MISSING, REAL_DATA
from scripts_loader import load_script

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "scripts" / "train_lenet.py"
requires_data = pytest.mark.skipif(not REAL_DATA.is_dir(), reason=MISSING)
SUBSET = ["--limit-train", "512", "--limit-test", "256"]
FIELDS = ["epoch", "train_loss", "train_acc", "test_acc", "examples_per_sec", "epoch_seconds"]

# The seed's per-layer loop: class name and output shape for a (1, 1, 28, 28) input.
_TAIL_BN = [("AvgPool2d", (1, 16, 4, 4)), ("Flatten", (1, 256)), ("Linear", (1, 120))]
SHAPES = {
    "lenet-bn-scratch": [
        ("Conv2d", (1, 6, 24, 24)), ("BatchNorm", (1, 6, 24, 24)), ("Sigmoid", (1, 6, 24, 24)),
        ("AvgPool2d", (1, 6, 12, 12)), ("Conv2d", (1, 16, 8, 8)), ("BatchNorm", (1, 16, 8, 8)),
        ("Sigmoid", (1, 16, 8, 8)), *_TAIL_BN, ("BatchNorm", (1, 120)), ("Sigmoid", (1, 120)),
        ("Linear", (1, 84)), ("BatchNorm", (1, 84)), ("Sigmoid", (1, 84)), ("Linear", (1, 10))],
    "lenet-bn": [
        ("Conv2d", (1, 6, 24, 24)), ("BatchNorm2d", (1, 6, 24, 24)), ("Sigmoid", (1, 6, 24, 24)),
        ("AvgPool2d", (1, 6, 12, 12)), ("Conv2d", (1, 16, 8, 8)), ("BatchNorm2d", (1, 16, 8, 8)),
        ("Sigmoid", (1, 16, 8, 8)), *_TAIL_BN, ("BatchNorm1d", (1, 120)), ("Sigmoid", (1, 120)),
        ("Linear", (1, 84)), ("BatchNorm1d", (1, 84)), ("Sigmoid", (1, 84)), ("Linear", (1, 10))],
    "lenet": [
        ("Conv2d", (1, 6, 28, 28)), ("Sigmoid", (1, 6, 28, 28)), ("AvgPool2d", (1, 6, 14, 14)),
        ("Conv2d", (1, 16, 10, 10)), ("Sigmoid", (1, 16, 10, 10)), ("AvgPool2d", (1, 16, 5, 5)),
        ("Flatten", (1, 400)), ("Linear", (1, 120)), ("Sigmoid", (1, 120)), ("Linear", (1, 84)),
        ("Sigmoid", (1, 84)), ("Linear", (1, 10))],
}


def shape_lines(model):
    return [f"{name} output shape:\t {shape}" for name, shape in SHAPES[model]]


# -- keeping the tests fast on a few shared cores -----------------------------------------------------

def _openblas_thread_setters():
    """(get, set) of the OpenBLAS NumPy links to, or None. Its worker threads spin while waiting; on a
    machine with more busy processes than cores a LeNet step then takes ~100x longer than on one thread."""
    libs = glob.glob(os.path.join(os.path.dirname(np.__file__), os.pardir, "numpy.libs", "*openblas*"))
    for path in libs:
        try:
            lib = ctypes.CDLL(path)  # already loaded by NumPy: the same library, not a second copy
        except OSError:
            continue
        for get, set_ in (("scipy_openblas_get_num_threads64_", "scipy_openblas_set_num_threads64_"),
                          ("openblas_get_num_threads64_", "openblas_set_num_threads64_"),
                          ("openblas_get_num_threads", "openblas_set_num_threads")):
            if hasattr(lib, get) and hasattr(lib, set_):
                return getattr(lib, get), getattr(lib, set_)
    return None


@pytest.fixture(scope="module", autouse=True)
def _one_blas_thread():
    setters = _openblas_thread_setters()
    if setters is None:
        yield
        return
    get, set_ = setters
    before = get()
    set_(1)
    try:
        yield
    finally:
        set_(before)


# -- helpers ---------------------------------------------------------------------------------------------

def synthetic_images(n, seed=0):
    """n uint8 28x28 images whose class k (label = index mod 10) shows a bright bar at rows 4+2k, 5+2k."""
    rng = np.random.default_rng(seed)
    labels = np.arange(n) % 10
    images = rng.integers(0, 80, (n, 28, 28), dtype=np.uint8)
    for k in range(10):
        images[labels == k, 4 + 2 * k:6 + 2 * k, 4:24] = 255
    return images, labels


def batch(n, seed=0):
    images, labels = synthetic_images(n, seed)
    return (minigrad.tensor(images[:, None].astype(np.float32) / 255), minigrad.tensor(labels.astype(np.int64)))


def state_arrays(net):
    return {k: np.array(v.array, copy=True) for k, v in net.state_dict().items()}


@pytest.fixture(scope="module")
def script():
    return load_script("train_lenet")


def script_env():
    """The environment the script runs in: one BLAS thread, the real data, downloads failing at once (a dead proxy)."""
    return dict(os.environ, OPENBLAS_NUM_THREADS="1", MINIGRAD_DATA=str(REAL_DATA), PYTHONUNBUFFERED="1",
                http_proxy="http://127.0.0.1:9", https_proxy="http://127.0.0.1:9",
                HTTP_PROXY="http://127.0.0.1:9", HTTPS_PROXY="http://127.0.0.1:9", no_proxy="", NO_PROXY="")


def run_script(args, cwd, cpu_seconds=180):
    """The script as a user runs it, in a subprocess (bounded by CPU time: tests/cpu_bounded.py)."""
    return cpu_bounded.run([sys.executable, str(SCRIPT), *map(str, args)], cpu_seconds, cwd=cwd, env=script_env(),
                           capture_output=True, text=True)


def model_weights(path):
    return {k: np.asarray(v.array) for k, v in minigrad.load(path)["model"].items()}


# -- init_weights ----------------------------------------------------------------------------------------

def test_init_weights_xavier_uniform_on_linear_and_conv_only(rng):
    net = lenet_bn_scratch()
    before = state_arrays(net)
    assert init_weights(net) is net
    # (index in the Sequential, sqrt(6 / (fan_in + fan_out))) with the fans worked out by hand
    expected = {0: math.sqrt(6 / (25 + 150)), 4: math.sqrt(6 / (150 + 400)), 9: math.sqrt(6 / (256 + 120)),
                12: math.sqrt(6 / (120 + 84)), 15: math.sqrt(6 / (84 + 10))}
    layers = list(net)
    assert [i for i, m in enumerate(layers) if isinstance(m, (nn.Linear, nn.Conv2d))] == sorted(expected)
    for i, bound in expected.items():
        w = np.asarray(layers[i].weight.array, np.float64)
        assert np.abs(w).max() <= bound + 1e-7, i
        assert np.abs(w).max() > 0.9 * bound, i  # fills the interval (1 - 0.1)^150 chance to miss, at least
        assert not np.array_equal(w, before[f"{i}.weight"]), i
        if w.size >= 10000:  # the two large Linear layers: a uniform's std and a zero mean (5 sigma)
            assert w.std() == pytest.approx(bound / math.sqrt(3), rel=0.025)
            assert abs(w.mean()) < 5 * bound / math.sqrt(3 * w.size)
        np.testing.assert_array_equal(layers[i].bias.array, before[f"{i}.bias"])  # biases keep their init
    after = state_arrays(net)
    for key in before:
        if not key.endswith("weight") or not isinstance(layers[int(key.split(".")[0])], (nn.Linear, nn.Conv2d)):
            np.testing.assert_array_equal(after[key], before[key], err_msg=key)  # BatchNorm gamma/beta/moving_*
    bn = layers[1]
    np.testing.assert_array_equal(bn.gamma.array, np.ones((1, 6, 1, 1)))
    np.testing.assert_array_equal(bn.beta.array, np.zeros((1, 6, 1, 1)))


def test_init_weights_leaves_torch_style_batchnorm_alone(rng):
    net = lenet_bn()
    before = state_arrays(net)
    init_weights(net)
    after = state_arrays(net)
    changed = sorted(k for k in before if not np.array_equal(before[k], after[k]))
    assert changed == ["0.weight", "12.weight", "15.weight", "4.weight", "9.weight"]


# -- summary ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("training", [True, False])
@pytest.mark.parametrize("model", ["lenet-bn-scratch", "lenet-bn"])
def test_summary_prints_seed_shapes_and_touches_no_state(rng, model, training):
    net = init_weights(MODELS[model]())
    net.train(training)
    before = state_arrays(net)
    out = io.StringIO()
    rows = summary(net, file=out)
    assert rows == SHAPES[model]
    assert out.getvalue().splitlines() == shape_lines(model)
    assert net.training is training
    assert all(m.training is training for m in net)
    after = state_arrays(net)
    for key in before:  # moving/running statistics included: one forward in training mode would change them
        np.testing.assert_array_equal(after[key], before[key], err_msg=key)
    assert all(p.grad is None for p in net.parameters())
    assert is_grad_enabled()


def test_summary_prints_to_stdout_by_default(rng, capsys):
    summary(init_weights(lenet_bn_scratch()))
    assert capsys.readouterr().out.splitlines() == shape_lines("lenet-bn-scratch")


# -- train_step ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("model", ["lenet-bn-scratch", "lenet-bn"])
def test_train_step_lowers_the_loss_on_a_fixed_batch(rng, model):
    net = init_weights(MODELS[model]())
    lr = 0.5
    optimizer = minigrad.optim.SGD(net.parameters(), lr=lr)
    X, y = batch(64)
    losses = []
    for step in range(8):
        params = [np.array(p.array, copy=True) for p in net.parameters()]
        twin = MODELS[model]()  # the same weights: its fresh gradient is what this step must apply
        twin.load_state_dict(net.state_dict())
        nn.CrossEntropyLoss()(twin(X), y).backward()
        loss, logits = train_step(net, X, y, nn.CrossEntropyLoss(), optimizer)
        assert logits.shape == (64, 10) and loss.shape == ()
        losses.append(float(loss.item()))
        for p, q, old in zip(net.parameters(), twin.parameters(), params):
            # this batch's gradient alone (none left over from the step before), applied once
            np.testing.assert_allclose(p.grad.array, q.grad.array, rtol=1e-4, atol=1e-6)
            np.testing.assert_allclose(p.array, old - lr * np.asarray(p.grad.array), rtol=1e-6, atol=1e-7)
    assert all(math.isfinite(v) for v in losses)
    assert losses[0] > 2.0  # about ln 10 at the start
    assert losses[-1] < 0.6 * losses[0], losses
    assert min(losses[-3:]) < min(losses[:3]), losses


# -- train_epoch -----------------------------------------------------------------------------------------

class Recorder:
    """A loss function that records what train_epoch is about to sum: each batch's loss, size and hits."""

    def __init__(self):
        self.loss_fn, self.rows = nn.CrossEntropyLoss(), []

    def __call__(self, logits, y):
        loss = self.loss_fn(logits, y)
        hits = int((np.asarray(logits.array).argmax(1) == np.asarray(y.array)).sum())
        self.rows.append((float(loss.item()), y.shape[0], hits))
        return loss


class FakeProgress:
    def __init__(self):
        self.updates, self.postfixes = 0, []

    def update(self, n):
        self.updates += n

    def set_postfix(self, **kwargs):
        self.postfixes.append((self.updates, kwargs))


def test_train_epoch_returns_example_weighted_stats_including_the_partial_batch(rng):
    images, labels = synthetic_images(100)
    loader = DataLoader(images, labels, batch_size=32, shuffle=True, seed=1)
    net = init_weights(lenet_bn_scratch())
    net.eval()  # train_epoch must switch it to training mode
    recorder, progress = Recorder(), FakeProgress()
    stats = train_epoch(net, loader, recorder, minigrad.optim.SGD(net.parameters(), lr=0.5),
                        progress=progress, log_every=2)
    assert sorted(stats) == ["examples", "loss", "train_acc", "train_time"]
    assert [n for _, n, _ in recorder.rows] == [32, 32, 32, 4]
    assert stats["examples"] == 100
    expected_loss = sum(loss * n for loss, n, _ in recorder.rows) / 100
    assert stats["loss"] == pytest.approx(expected_loss, rel=1e-5)
    assert stats["train_acc"] == pytest.approx(sum(h for _, _, h in recorder.rows) / 100, abs=1e-12)
    assert 0.0 <= stats["train_acc"] <= 1.0
    assert isinstance(stats["loss"], float) and isinstance(stats["train_acc"], float)
    assert stats["train_time"] > 0.0
    assert net.training is True
    assert progress.updates == 4
    assert [at for at, _ in progress.postfixes] == [1, 3]  # after batches 2 and 4, before their update()
    assert set(progress.postfixes[-1][1]) == {"loss", "acc"}
    assert float(progress.postfixes[-1][1]["loss"]) == pytest.approx(stats["loss"], abs=5e-4)


def test_train_epoch_learns_over_epochs(rng):
    images, labels = synthetic_images(200)
    loader = DataLoader(images, labels, batch_size=50, shuffle=True, seed=0)
    net = init_weights(lenet_bn_scratch())
    optimizer = minigrad.optim.SGD(net.parameters(), lr=0.9)
    first = train_epoch(net, loader, nn.CrossEntropyLoss(), optimizer)
    for _ in range(3):
        last = train_epoch(net, loader, nn.CrossEntropyLoss(), optimizer)
    assert last["loss"] < 0.5 * first["loss"]
    assert last["train_acc"] > first["train_acc"] and last["train_acc"] > 0.8


@pytest.mark.parametrize("log_every, batch_no", [(1, 1), (10, 4)])
def test_train_epoch_raises_on_nan_weights(rng, log_every, batch_no):
    images, labels = synthetic_images(100)
    loader = DataLoader(images, labels, batch_size=32)
    net = init_weights(lenet_bn_scratch())
    for p in net.parameters():
        p.array[...] = np.nan
    with pytest.raises(NonFiniteLossError) as err:
        train_epoch(net, loader, nn.CrossEntropyLoss(), minigrad.optim.SGD(net.parameters(), lr=0.1),
                    log_every=log_every)
    # checked every log_every batches and after the last one
    assert str(err.value) == f"the training loss became nan at batch {batch_no}"
    assert isinstance(err.value, RuntimeError)


@pytest.mark.filterwarnings("ignore:overflow encountered:RuntimeWarning",
                            "ignore:invalid value encountered:RuntimeWarning")
def test_train_epoch_raises_when_a_huge_lr_blows_up(rng):
    images, labels = synthetic_images(128)
    loader = DataLoader(images, labels, batch_size=32, shuffle=True, seed=0)
    net = init_weights(lenet_bn_scratch())
    with pytest.raises(NonFiniteLossError, match=r"^the training loss became (nan|inf) at batch [234]$"):
        train_epoch(net, loader, nn.CrossEntropyLoss(), minigrad.optim.SGD(net.parameters(), lr=1e36), log_every=1)


# -- evaluate_accuracy -----------------------------------------------------------------------------------

class Probe(nn.Module):
    """Records, for every input it sees, whether a graph was being recorded and the module's mode."""

    def __init__(self):
        super().__init__()
        self.seen = []

    def forward(self, x):
        self.seen.append((x.requires_grad, x.grad_fn, self.training, is_grad_enabled()))
        return x


@pytest.mark.parametrize("training", [True, False])
def test_evaluate_accuracy_by_hand_in_eval_mode_without_graph(training):
    linear, bn, probe = nn.Linear(2, 3), nn.BatchNorm1d(3), Probe()
    linear.weight.array[...] = np.array([[1, 0], [0, 1], [-1, -1]], np.float32)
    linear.bias.array[...] = 0
    net = nn.Sequential(linear, bn, probe)
    net.train(training)
    # scores x0, x1, -x0-x1: predictions 0, 1, 2 | 1 against labels 0, 1, 1 | 0: 2 of 4 right
    # (the mean of the per-batch accuracies would be 1/3)
    data = [(minigrad.tensor([[2.0, 1.0], [0.0, 3.0], [-1.0, -2.0]]), minigrad.tensor([0, 1, 1])),
            (minigrad.tensor([[1.0, 2.0]]), minigrad.tensor([0]))]
    running = np.array(bn.running_mean.array, copy=True), np.array(bn.running_var.array, copy=True)
    acc = evaluate_accuracy(net, data)
    assert acc == 0.5
    assert probe.seen == [(False, None, False, False)] * 2
    assert net.training is training and all(m.training is training for m in net)
    assert is_grad_enabled()
    np.testing.assert_array_equal(bn.running_mean.array, running[0])
    np.testing.assert_array_equal(bn.running_var.array, running[1])
    assert all(p.grad is None for p in net.parameters())


def test_evaluate_accuracy_restores_mode_when_the_net_fails():
    net = nn.Sequential(nn.Linear(2, 3))
    with pytest.raises(RuntimeError):
        evaluate_accuracy(net, [(minigrad.tensor([[1.0, 2.0, 3.0]]), minigrad.tensor([0]))])
    assert net.training is True and is_grad_enabled()


# -- the script end to end -------------------------------------------------------------------------------

@pytest.mark.parametrize("model", ["lenet-bn-scratch", "lenet-bn", "lenet"])
def test_script_end_to_end_on_a_subset(script, real_data, tmp_path, capsys, model):
    out = tmp_path / "run"
    args = [*SUBSET, "--epochs", "2", "--out", str(out), "--model", model]
    if model != "lenet":
        args.append("--no-progress")  # lenet runs with the progress bar (on stderr)
    assert script.main(args) == 0
    stdout = capsys.readouterr().out
    lines = stdout.splitlines()

    summary_ = json.loads((out / "metrics.json").read_text())
    assert {k: summary_[k] for k in ("model", "device", "lr", "batch_size", "seed")} == \
        {"model": model, "device": "cpu", "lr": 1.0, "batch_size": 256, "seed": 0}
    epochs = summary_["epochs"]
    assert [h["epoch"] for h in epochs] == [1, 2]
    for h in epochs:
        assert sorted(h) == sorted(FIELDS)
        assert math.isfinite(h["train_loss"]) and h["train_loss"] > 0
        assert 0 <= h["train_acc"] <= 1 and 0 <= h["test_acc"] <= 1
        assert h["examples_per_sec"] > 0 and h["epoch_seconds"] > 0
    assert summary_["best_test_acc"] == max(h["test_acc"] for h in epochs)

    with open(out / "metrics.csv", newline="") as f:
        rows = list(csv.reader(f))
    assert rows[0] == FIELDS and len(rows) == 3
    for row, h in zip(rows[1:], epochs):
        assert [float(v) for v in row] == [h[k] for k in FIELDS]

    ckpt = minigrad.load(out / "checkpoint.npz")
    assert {"model", "optimizer", "epoch"} <= set(ckpt) and ckpt["epoch"] == 2
    assert ckpt["history"] == epochs
    net = MODELS[model]()
    assert sorted(ckpt["model"]) == sorted(net.state_dict())
    net.load_state_dict(ckpt["model"])
    assert ckpt["optimizer"]["param_groups"][0]["lr"] == 1.0
    _, test_iter = load_fashion_mnist(256, limit_test=256)
    assert evaluate_accuracy(net, test_iter) == epochs[-1]["test_acc"]  # the saved weights are the final ones

    if importlib.util.find_spec("matplotlib") is not None:
        assert (out / "curves.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert f"curves: {out / 'curves.png'}" in lines
    else:
        assert not (out / "curves.png").exists()
        assert any("curves.png not written: matplotlib is missing" in line for line in lines)
    assert sorted(p.name for p in out.iterdir()) == sorted(
        ["metrics.json", "metrics.csv", "checkpoint.npz"] + (["curves.png"] if (out / "curves.png").exists() else []))

    assert lines[:len(SHAPES[model])] == shape_lines(model)
    assert f"training {model} on cpu: 512 examples, 2 batches of 256, lr 1.0, output in {out}" in lines
    last = epochs[-1]
    assert f"loss {last['train_loss']:.3f}, train acc {last['train_acc']:.3f}, test acc {last['test_acc']:.3f}" \
        in lines
    assert re.search(r"^loss \d+\.\d{3}, train acc [01]\.\d{3}, test acc [01]\.\d{3}$", stdout, re.M)
    assert f"{last['examples_per_sec']:.1f} examples/sec on cpu" in lines
    assert re.search(r"^\d+\.\d examples/sec on cpu$", stdout, re.M)
    assert sum(line.startswith("epoch ") for line in lines) == 2
    assert any(line.startswith("first BatchNorm gamma:") for line in lines) is (model != "lenet")


def test_script_resume_reproduces_an_uninterrupted_run(script, real_data, tmp_path, capsys):
    common = [*SUBSET, "--batch-size", "64", "--lr", "0.5", "--no-progress"]
    straight, split = tmp_path / "straight", tmp_path / "split"
    assert script.main([*common, "--epochs", "2", "--out", str(straight)]) == 0
    assert script.main([*common, "--epochs", "1", "--out", str(split)]) == 0
    first = (split / "metrics.json").read_text()
    capsys.readouterr()
    # as the brief's user would: only the checkpoint and the new epoch count; subset, batch size, lr
    # and output folder all come from the checkpoint
    assert script.main(["--resume", str(split / "checkpoint.npz"), "--epochs", "2", "--no-progress"]) == 0
    stdout = capsys.readouterr().out
    assert f"resuming lenet-bn-scratch from {split / 'checkpoint.npz'} after epoch 1" in stdout
    assert f"training lenet-bn-scratch on cpu: 512 examples, 8 batches of 64, lr 0.5, output in {split}" in stdout

    a, b = json.loads((straight / "metrics.json").read_text()), json.loads((split / "metrics.json").read_text())
    assert b["lr"] == a["lr"] == 0.5 and b["batch_size"] == 64
    assert json.loads(first)["epochs"][0] == b["epochs"][0]  # epoch 1 kept as it was
    assert [h["epoch"] for h in b["epochs"]] == [1, 2]
    for ha, hb in zip(a["epochs"], b["epochs"]):
        for key in ("epoch", "train_loss", "train_acc", "test_acc"):
            assert ha[key] == hb[key], (ha["epoch"], key)  # exactly, not approximately
    assert len(list(csv.reader(open(split / "metrics.csv")))) == 3

    ca, cb = minigrad.load(straight / "checkpoint.npz"), minigrad.load(split / "checkpoint.npz")
    assert ca["epoch"] == cb["epoch"] == 2
    wa, wb = model_weights(straight / "checkpoint.npz"), model_weights(split / "checkpoint.npz")
    assert sorted(wa) == sorted(wb)
    for key in wa:
        np.testing.assert_array_equal(wa[key], wb[key], err_msg=key)
    assert ca["loader"] == cb["loader"] and ca["rng"] == cb["rng"]
    assert ca["optimizer"]["param_groups"] == cb["optimizer"]["param_groups"]


def test_script_resume_continues_from_a_checkpoint_rebuilt_by_hand(script, real_data, tmp_path, capsys):
    """Train one epoch with the library, save as the script does, resume with the script: same as a 2-epoch run."""
    straight = tmp_path / "straight"
    assert script.main([*SUBSET, "--batch-size", "128", "--epochs", "2", "--out", str(straight),
                        "--no-progress"]) == 0
    minigrad.manual_seed(0)
    train_iter, test_iter = load_fashion_mnist(128, seed=0, limit_train=512, limit_test=256)
    net = init_weights(lenet_bn_scratch())
    summary(net, file=io.StringIO())  # draws its input from minigrad's generator, as the script's does
    optimizer = minigrad.optim.SGD(net.parameters(), lr=1.0)
    stats = train_epoch(net, train_iter, nn.CrossEntropyLoss(), optimizer)
    history = [{"epoch": 1, "train_loss": stats["loss"], "train_acc": stats["train_acc"],
                "test_acc": evaluate_accuracy(net, test_iter), "examples_per_sec": 1.0, "epoch_seconds": 1.0}]
    manual = tmp_path / "manual"
    manual.mkdir()
    args = script.parse_args([*SUBSET, "--batch-size", "128", "--epochs", "1"])
    script.settle_settings(args, None)  # the unset flags get a new run's defaults (lr 1.0, seed 0, ...)
    script.save_checkpoint(manual / "checkpoint.npz", net, optimizer, train_iter, 1, history, args)
    assert script.main(["--resume", str(manual / "checkpoint.npz"), "--epochs", "2", "--no-progress"]) == 0
    capsys.readouterr()
    a, b = json.loads((straight / "metrics.json").read_text()), json.loads((manual / "metrics.json").read_text())
    for ha, hb in zip(a["epochs"], b["epochs"]):
        for key in ("epoch", "train_loss", "train_acc", "test_acc"):
            assert ha[key] == hb[key], (ha["epoch"], key)
    wa, wb = model_weights(straight / "checkpoint.npz"), model_weights(manual / "checkpoint.npz")
    for key in wa:
        np.testing.assert_array_equal(wa[key], wb[key], err_msg=key)


# -- bad input -------------------------------------------------------------------------------------------

@pytest.mark.skipif(minigrad.cuda.is_available(), reason="CUDA is available here")
@requires_data
@cpu_bounded.hang_guard
def test_script_cuda_without_cuda_exits_2(tmp_path):
    out = tmp_path / "out"
    result = run_script([*SUBSET, "--device", "cuda", "--out", out, "--no-progress"], cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    assert result.stderr.startswith("error: device 'cuda:0' was requested but CUDA is not available")
    assert "Traceback" not in result.stderr
    assert not out.exists() and not (tmp_path / "runs").exists()


@cpu_bounded.hang_guard
def test_script_empty_data_dir_exits_2_and_writes_nothing(tmp_path):
    empty, out = tmp_path / "empty", tmp_path / "out"
    empty.mkdir()
    result = run_script(["--data-dir", empty, "--out", out, "--no-progress", *SUBSET], cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith("error: ")
    assert str(empty / "train-images-idx3-ubyte") in result.stderr  # --data-dir wins over $MINIGRAD_DATA
    assert "MINIGRAD_DATA" in result.stderr
    assert list(empty.iterdir()) == []  # no partial download left behind
    assert not out.exists()
    assert "output shape" not in result.stdout


def test_script_epochs_0_is_an_argparse_error(script, capsys):
    with pytest.raises(SystemExit) as exc:
        script.main(["--epochs", "0"])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("usage:") and "argument --epochs: must be at least 1, got 0" in err
    for bad in (["--batch-size", "0"], ["--lr", "0"], ["--lr", "-1"], ["--epochs", "two"]):
        with pytest.raises(SystemExit) as exc:
            script.parse_args(bad)
        assert exc.value.code == 2, bad
    capsys.readouterr()


@cpu_bounded.hang_guard
def test_script_resume_of_a_missing_file_exits_2(tmp_path):
    missing = tmp_path / "nope" / "checkpoint.npz"
    result = run_script(["--resume", missing, "--no-progress"], cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.startswith("error: ") and str(missing) in result.stderr
    assert "Traceback" not in result.stderr
    assert list(tmp_path.iterdir()) == []  # neither the checkpoint's folder nor runs/ created


# -- NaN in the script -----------------------------------------------------------------------------------

@requires_data
@cpu_bounded.hang_guard
def test_script_nan_in_first_epoch_exits_1(tmp_path):
    out = tmp_path / "out"
    result = run_script([*SUBSET, "--lr", "1e36", "--epochs", "2", "--out", out, "--no-progress"], cwd=tmp_path)
    assert result.returncode == 1, result.stderr
    assert re.search(r"^error: the training loss became (nan|inf) at batch \d+ in epoch 1; stopping\. "
                     r"The last good checkpoint \(after epoch 0\) is not there: no epoch finished\. "
                     r"Try a lower --lr\.$", result.stderr, re.M), result.stderr
    assert "Traceback" not in result.stderr
    assert "epoch 1:" not in result.stdout
    assert not (out / "checkpoint.npz").exists() and not (out / "metrics.json").exists()


@pytest.mark.filterwarnings("ignore:overflow encountered:RuntimeWarning",
                            "ignore:invalid value encountered:RuntimeWarning")
def test_script_nan_after_a_good_epoch_keeps_its_checkpoint(script, real_data, tmp_path, capsys):
    out = tmp_path / "out"
    assert script.main([*SUBSET, "--epochs", "1", "--out", str(out), "--no-progress"]) == 0
    saved = {name: (out / name).read_bytes() for name in ("checkpoint.npz", "metrics.json", "metrics.csv")}
    capsys.readouterr()
    checkpoint = out / "checkpoint.npz"
    # --lr on resume replaces the checkpoint's lr: this one overflows float32 in epoch 2
    assert script.main(["--resume", str(checkpoint), "--epochs", "3", "--lr", "1e36", "--no-progress"]) == 1
    captured = capsys.readouterr()
    assert "lr 1e+36" in captured.out
    assert re.search(r"the training loss became (nan|inf) at batch \d+ in epoch 2", captured.err), captured.err
    assert f"The last good checkpoint (after epoch 1) is {checkpoint}." in captured.err
    for name, content in saved.items():
        assert (out / name).read_bytes() == content, name
    assert minigrad.load(checkpoint)["epoch"] == 1


def test_script_nan_in_a_later_epoch_names_that_runs_checkpoint(script, real_data, tmp_path, capsys, monkeypatch):
    real_train_epoch, calls = script.train_epoch, []

    def nan_in_epoch_2(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise NonFiniteLossError("the training loss became nan at batch 3")
        return real_train_epoch(*args, **kwargs)

    monkeypatch.setattr(script, "train_epoch", nan_in_epoch_2)
    out = tmp_path / "out"
    assert script.main([*SUBSET, "--epochs", "3", "--out", str(out), "--no-progress"]) == 1
    captured = capsys.readouterr()
    assert len(calls) == 2
    assert captured.err == (f"error: the training loss became nan at batch 3 in epoch 2; stopping. The last good "
                            f"checkpoint (after epoch 1) is {out / 'checkpoint.npz'}. Try a lower --lr.\n")
    assert minigrad.load(out / "checkpoint.npz")["epoch"] == 1
    assert [h["epoch"] for h in json.loads((out / "metrics.json").read_text())["epochs"]] == [1]
    assert len(list(csv.reader(open(out / "metrics.csv")))) == 2
    assert not (out / "curves.png").exists()


# -- Ctrl-C ----------------------------------------------------------------------------------------------

@requires_data
@cpu_bounded.hang_guard
def test_script_ctrl_c_saves_a_checkpoint_and_exits_130(tmp_path):
    """README: Ctrl-C saves a checkpoint before exiting. SIGINT after the first epoch's line, in a real process."""
    out = tmp_path / "out"
    limit = cpu_bounded.limit(120)

    def preexec():
        limit()
        # Ctrl-C's default, as in a terminal: a shell without job control starts a background job (a suite run as
        # `pytest &` from a script) with SIGINT ignored, which the script would inherit and never see the signal
        signal.signal(signal.SIGINT, signal.SIG_DFL)

    proc = subprocess.Popen([sys.executable, str(SCRIPT), *SUBSET, "--epochs", "1000", "--out", str(out),
                             "--no-progress"], cwd=tmp_path, env=script_env(), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, preexec_fn=preexec)
    try:
        lines = []
        while not lines or not lines[-1].startswith("epoch 1:"):
            line = proc.stdout.readline()
            assert line, f"the script ended before its first epoch: {''.join(lines)} {proc.stderr.read()}"
            lines.append(line)
        while not (out / "metrics.json").exists():  # epoch 1's checkpoint and metrics written: now in epoch 2+
            time.sleep(0.01)
        time.sleep(0.1)
        proc.send_signal(signal.SIGINT)
        stdout, stderr = proc.communicate(timeout=cpu_bounded.HANG_SECONDS)
    finally:
        proc.kill()
    assert proc.returncode == 130, stderr
    assert "Traceback" not in stderr
    match = re.search(r"interrupted in epoch (\d+): the weights so far are saved in (\S+) ", stderr)
    assert match, stderr
    epoch, path = int(match.group(1)), Path(match.group(2))
    assert epoch >= 2 and path == out / "interrupted.npz"
    saved = minigrad.load(path)
    assert saved["epoch"] == epoch - 1
    net = lenet_bn_scratch()
    net.load_state_dict(saved["model"])  # a complete model, loadable
    assert minigrad.load(out / "checkpoint.npz")["epoch"] == epoch - 1
    assert f"--resume {out / 'checkpoint.npz'} continues exactly after epoch {epoch - 1}" in stderr


@pytest.fixture
def python_sigint_handler():
    """Python's own SIGINT handler for the test, as in a terminal (a suite started in the background by a shell
    without job control inherits SIGINT ignored, and Python then leaves it so); the handler before, after."""
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, previous)


def test_a_ctrl_c_during_the_checkpoint_block_waits_for_its_end(script, python_sigint_handler):
    """A SIGINT inside ``interrupts_deferred`` lets the block finish (checkpoint and epoch count move together),
    then raises KeyboardInterrupt; Python's own handler is back afterwards."""
    done = []
    with pytest.raises(KeyboardInterrupt):
        with script.interrupts_deferred():
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(0.05)  # the signal is delivered here, between bytecodes
            done.append("rest of the block")
    assert done == ["rest of the block"]
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    with script.interrupts_deferred():  # no signal: nothing raised
        done.append("again")
    assert done[-1] == "again"


# -- one real epoch --------------------------------------------------------------------------------------

@pytest.mark.slow
@requires_data
@cpu_bounded.hang_guard  # a full-data epoch in this process: the wall clock only guards a hang
def test_one_real_epoch_of_lenet_bn_scratch_gives_its_pinned_figures(real_data):
    minigrad.manual_seed(0)
    train_iter, test_iter = load_fashion_mnist(256)
    assert len(train_iter) == 235 and train_iter.num_examples == 60000
    net = init_weights(lenet_bn_scratch())
    optimizer = minigrad.optim.SGD(net.parameters(), lr=1.0)
    stats = train_epoch(net, train_iter, nn.CrossEntropyLoss(), optimizer)
    test_acc = evaluate_accuracy(net, test_iter)
    assert stats["examples"] == 60000
    # The seeded run is deterministic: 0.74741 / 0.73095 / 0.7806 with one BLAS thread, 0.74738 / 0.73098 /
    # 0.7807 with two (summation order). 1e-3 is ten times that spread; a BatchNorm backward without its
    # variance term gives 0.901 / 0.667 / 0.720. README's epoch-1 line (0.747, 0.731, 0.781) is this run.
    assert stats["loss"] == pytest.approx(0.7474, abs=1e-3), stats
    assert stats["train_acc"] == pytest.approx(0.7310, abs=1e-3), stats
    assert test_acc == pytest.approx(0.7806, abs=1e-3), test_acc


def test_lenet_bn_and_lenet_bn_scratch_train_bit_identically_from_the_same_seed():
    """README: `--model lenet-bn` ends at the same figures as lenet-bn-scratch. Their layers compute the
    same thing in the same order, so five SGD steps give the same losses and weights bit for bit
    (only the running variance differs: unbiased in BatchNorm2d/1d)."""
    runs = []
    for make in (lenet_bn_scratch, lenet_bn):
        minigrad.manual_seed(0)
        net = init_weights(make())
        optimizer = minigrad.optim.SGD(net.parameters(), lr=1.0)
        losses = [train_step(net, *batch(64, seed=step), nn.CrossEntropyLoss(), optimizer)[0].item()
                  for step in range(5)]
        runs.append((losses, [p.numpy().ravel() for p in net.parameters()]))
    (losses_a, params_a), (losses_b, params_b) = runs
    assert losses_a == losses_b and losses_a[-1] < losses_a[0], (losses_a, losses_b)
    assert len(params_a) == len(params_b)
    for a, b in zip(params_a, params_b):
        np.testing.assert_array_equal(a, b)
