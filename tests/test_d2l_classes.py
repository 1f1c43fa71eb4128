"""minigrad.d2l's current-edition class API (Module, Classifier, Trainer, DataModule, FashionMNIST, ProgressBoard,
SGD, init_cnn, add_to_class, the aliases), the shared tools (Timer, Accumulator, Animator, devices),
minigrad.utils.data, and the notebook converter `python -m minigrad.d2l convert`."""
import math
import os
import sys

import numpy as np
import pytest

import cpu_bounded
import minigrad
from minigrad import d2l, nn
from minigrad.utils import data as udata


# -- HyperParameters, add_to_class -------------------------------------------------------------------------------

class Keeps(d2l.HyperParameters):
    def __init__(self, a, b=2, _private=3, skipped=4):
        local = a + b  # noqa: F841 (a local of __init__ is saved as well, as in the book)
        self.save_hyperparameters(ignore=["skipped"])


def test_save_hyperparameters_keeps_the_callers_arguments_but_ignored_and_private_ones():
    k = Keeps(1)
    assert k.hparams == {"a": 1, "b": 2, "local": 3} and (k.a, k.b, k.local) == (1, 2, 3)
    assert not hasattr(k, "skipped") and not hasattr(k, "_private")


def test_add_to_class_sets_the_method_and_the_decorated_name_becomes_none():
    class A:
        pass

    @d2l.add_to_class(A)
    def twice(self, x):
        return 2 * x
    assert A().twice(4) == 8 and twice is None


# -- Classifier, SGD, init_cnn, apply_init -----------------------------------------------------------------------

def test_classifier_loss_and_accuracy_are_the_books():
    rng = np.random.default_rng(0)
    scores, labels = rng.normal(size=(6, 4)).astype(np.float32), np.array([0, 1, 2, 3, 1, 0])
    model = d2l.Classifier()
    Y_hat, Y = minigrad.tensor(scores), minigrad.tensor(labels)
    log_softmax = scores - np.log(np.exp(scores).sum(1, keepdims=True))
    per_example = -log_softmax[np.arange(6), labels]
    assert model.loss(Y_hat, Y).item() == pytest.approx(per_example.mean(), rel=1e-5)
    np.testing.assert_allclose(model.loss(Y_hat, Y, averaged=False).numpy(), per_example, rtol=1e-5)
    hits = (scores.argmax(1) == labels).astype(np.float32)
    assert model.accuracy(Y_hat, Y).item() == pytest.approx(hits.mean())
    np.testing.assert_array_equal(model.accuracy(Y_hat, Y, averaged=False).numpy(), hits)
    # (batch, steps, classes) scores and (batch, steps) labels are flattened, as in the book
    assert model.loss(Y_hat.reshape(2, 3, 4), Y.reshape(2, 3)).item() == pytest.approx(per_example.mean(), rel=1e-5)


def test_sgd_steps_by_lr_times_grad_and_zero_grad_zeroes():
    w = nn.Parameter(minigrad.tensor([1.0, -2.0]))
    opt = d2l.SGD([w], lr=0.5)
    (w * w).sum().backward()
    with minigrad.no_grad():
        opt.step()
    np.testing.assert_allclose(w.numpy(), [1.0 - 0.5 * 2.0, -2.0 - 0.5 * -4.0])
    opt.zero_grad()
    np.testing.assert_array_equal(w.grad.numpy(), [0.0, 0.0])
    assert opt.hparams == {"params": [w], "lr": 0.5}


def test_init_cnn_draws_xavier_uniform_for_exactly_linear_and_conv2d():
    class MyLinear(nn.Linear):
        pass
    net = nn.Sequential(nn.Conv2d(1, 6, 5), nn.BatchNorm2d(6), nn.Flatten(), nn.Linear(96, 40), MyLinear(40, 10))
    for module in (net[0], net[3], net[4]):
        module.weight.data.fill_(9.0)
    net.apply(d2l.init_cnn)
    for module, fan_in, fan_out in ((net[0], 25, 150), (net[3], 96, 40)):
        bound, w = math.sqrt(6 / (fan_in + fan_out)), np.abs(module.weight.numpy())
        assert w.max() <= bound and w.max() > 0.8 * bound
    assert (net[4].weight.numpy() == 9.0).all() and (net[1].weight.numpy() == 1.0).all()


class Blobs(d2l.DataModule):
    """Three well separated Gaussian blobs in 2-D: 240 training and 60 validation points."""

    def __init__(self, batch_size=32):
        super().__init__()
        self.save_hyperparameters()
        rng = np.random.default_rng(0)
        labels = rng.integers(0, 3, 300)
        centres = np.array([[4.0, 0.0], [-4.0, 0.0], [0.0, 4.0]])
        self.X = minigrad.tensor((centres[labels] + rng.normal(size=(300, 2))).astype(np.float32))
        self.y = minigrad.tensor(labels)

    def get_dataloader(self, train):
        return self.get_tensorloader((self.X, self.y), train, slice(0, 240) if train else slice(240, None))


class Softmax(d2l.Classifier):
    def __init__(self, lr):
        super().__init__()
        self.save_hyperparameters()
        self.net = nn.Sequential(nn.Linear(2, 3))


def test_trainer_fits_a_classifier_and_its_board_draws_the_books_curves(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv(d2l.FIGURES_VAR, str(tmp_path))
    minigrad.manual_seed(0)
    model, data = Softmax(lr=0.1), Blobs()
    trainer = d2l.Trainer(max_epochs=4)
    trainer.fit(model, data)
    assert (trainer.num_train_batches, trainer.num_val_batches) == (8, 2)
    assert (trainer.train_batch_idx, trainer.val_batch_idx, trainer.epoch) == (32, 8, 3)
    board = model.board.data
    assert list(board) == ["train_loss", "val_loss", "val_acc"]
    # two training points per epoch (each the mean of 4 batch losses), one validation point per epoch
    assert [p.x for p in board["train_loss"]] == [(4 * i + 1.5) / 8 for i in range(8)]  # batch index before the step
    assert [p.x for p in board["val_acc"]] == [1, 2, 3, 4]
    assert board["train_loss"][-1].y < board["train_loss"][0].y / 2 and board["val_acc"][-1].y > 0.95
    # the validation point is the accuracy of the trained model on the 60 validation points
    with minigrad.no_grad():
        model.eval()
        acc = model.accuracy(model(data.X[240:]), data.y[240:]).item()
    assert board["val_acc"][-1].y == pytest.approx(acc, abs=1e-6)
    figure = tmp_path / "Softmax_1.png"
    assert capsys.readouterr().out == f"curves: {figure}\n" and figure.stat().st_size > 0
    assert model.board.title == "Softmax" and model.board.xlim == [0, 4]


@pytest.mark.gpu
def test_trainer_with_a_gpu_trains_there_as_on_the_cpu(tmp_path, monkeypatch):
    monkeypatch.setenv(d2l.FIGURES_VAR, str(tmp_path))
    boards = {}
    for gpus in (0, 1):  # the book's Trainer(num_gpus=1): the model and every batch on the first GPU
        minigrad.manual_seed(0)
        model = Softmax(lr=0.1)
        trainer = d2l.Trainer(max_epochs=2, num_gpus=gpus)
        trainer.fit(model, Blobs())
        assert all(p.device.type == ("cuda" if gpus else "cpu") for p in model.parameters())
        boards[gpus] = [p.y for p in model.board.data["train_loss"]]
    np.testing.assert_allclose(boards[1], boards[0], rtol=1e-4)


def test_the_switches_cut_batches_and_epochs_and_a_bad_value_is_refused(tmp_path, monkeypatch):
    monkeypatch.setenv(d2l.FIGURES_VAR, str(tmp_path))
    monkeypatch.setenv(d2l.MAX_BATCHES_VAR, "3")
    monkeypatch.setenv(d2l.MAX_EPOCHS_VAR, "2")
    trainer = d2l.Trainer(max_epochs=10)
    trainer.fit(Softmax(lr=0.1), Blobs())
    assert (trainer.num_train_batches, trainer.num_val_batches) == (3, 2)
    assert (trainer.train_batch_idx, trainer.val_batch_idx, trainer.max_epochs) == (6, 4, 10)
    monkeypatch.setenv(d2l.MAX_BATCHES_VAR, "0")
    with pytest.raises(ValueError, match="MINIGRAD_D2L_MAX_BATCHES must be a positive number, got '0'"):
        trainer.fit(Softmax(lr=0.1), Blobs())


def test_clip_gradients_scales_the_joint_norm_down_to_the_value():
    model = Softmax(lr=0.1)
    X, y = Blobs().X[:32], Blobs().y[:32]
    model.loss(model(X * 100), y).backward()
    norm = lambda: math.sqrt(sum(float((p.grad ** 2).sum()) for p in model.parameters()))  # noqa: E731
    assert norm() > 1.0
    d2l.Trainer(1).clip_gradients(0.5, model)
    assert norm() == pytest.approx(0.5, rel=1e-4)


def test_apply_init_runs_forward_then_applies_init_to_net():
    model = Softmax(lr=0.1)
    seen = []
    model.apply_init([minigrad.randn(4, 2)], lambda m: seen.append(type(m).__name__))
    assert seen == ["Linear", "Sequential"]
    with pytest.raises(AssertionError, match="Module has no self.net"):
        d2l.Module()(minigrad.randn(2))


# -- FashionMNIST --------------------------------------------------------------------------------------------------

def test_fashion_mnist_gives_the_books_batches_with_the_limit_and_resize(real_data, monkeypatch):
    monkeypatch.setenv(d2l.LIMIT_VAR, "300,70")
    fm = d2l.FashionMNIST(batch_size=64, resize=(32, 32))
    assert (len(fm.train), len(fm.val), fm.batch_size, fm.resize) == (300, 70, 64, (32, 32))
    train, val = fm.train_dataloader(), fm.val_dataloader()
    assert (len(train), len(val)) == (5, 2)
    X, y = next(iter(val))
    assert X.shape == (64, 1, 32, 32) and X.dtype == minigrad.float32 and y.dtype == minigrad.int64
    assert 0 <= X.numpy().min() and X.numpy().max() <= 1
    image, label = fm.val[0]  # the first validation image, as the first of the (unshuffled) validation batches
    assert image.shape == (1, 32, 32) and label == int(y[0].item())
    np.testing.assert_allclose(image.numpy(), X[0].numpy(), rtol=1e-6, atol=1e-7)  # one image or a batch: 1 ulp
    assert fm.text_labels([0, 9, 3]) == ["t-shirt", "ankle boot", "dress"]
    assert d2l.FashionMNIST(batch_size=256).get_dataloader(False).resize is None  # 28 x 28: kept as it is
    minigrad.manual_seed(1)
    first = next(iter(train))[1].tolist()
    assert next(iter(train))[1].tolist() != first  # reshuffled every epoch


def test_fashion_mnist_reads_the_books_download_folder(real_data, tmp_path, monkeypatch):
    """MINIGRAD_DATA may be the book's data folder: torchvision keeps the files in FashionMNIST/raw there."""
    raw = tmp_path / "FashionMNIST" / "raw"
    raw.mkdir(parents=True)
    for f in real_data.iterdir():
        if "ubyte" in f.name:
            (raw / f.name).symlink_to(f)
    monkeypatch.setenv("MINIGRAD_DATA", str(tmp_path))
    monkeypatch.setenv(d2l.LIMIT_VAR, "10")
    fm = d2l.FashionMNIST(batch_size=4)
    assert (len(fm.train), len(fm.val)) == (10, 10) and fm.root is None


# -- ProgressBoard, Animator, Timer, Accumulator, devices --------------------------------------------------------------

def test_progress_board_plots_the_mean_of_every_n_points_into_a_titled_file(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv(d2l.FIGURES_VAR, str(tmp_path))
    board = d2l.ProgressBoard(xlabel="x")
    board.title = "Run"
    for i in range(5):
        board.draw(i, 10.0 * i, "loss", every_n=2)
    assert board.data["loss"] == [(0.5, 5.0), (2.5, 25.0)] and board.raw_points["loss"] == [(4, 40.0)]
    assert capsys.readouterr().out == f"curves: {tmp_path / 'Run_1.png'}\n" and (tmp_path / "Run_1.png").stat().st_size
    assert board.axes.get_title() == "Run" and board.axes.get_xlabel() == "x"
    quiet = d2l.ProgressBoard(display=False)
    quiet.draw(0, 1.0, "a")
    assert quiet.data["a"] == [(0, 1.0)] and quiet.fig is None


def test_animator_timer_accumulator_and_devices(tmp_path, monkeypatch):
    monkeypatch.setenv(d2l.FIGURES_VAR, str(tmp_path))
    animator = d2l.Animator(xlabel="epoch", legend=["a", "b"])
    for x in (1, 2, 3):
        animator.add(x, (x, minigrad.tensor(2.0 * x)))
    assert animator.X == [[1, 2, 3]] * 2 and animator.Y == [[1, 2, 3], [2.0, 4.0, 6.0]]
    assert animator.path.parent == tmp_path and animator.path.stat().st_size > 0
    timer = d2l.Timer()
    laps = [timer.stop() for _ in range(3)]
    assert timer.sum() == pytest.approx(sum(laps)) and timer.avg() == pytest.approx(sum(laps) / 3)
    assert timer.cumsum() == pytest.approx(np.cumsum(laps).tolist())
    acc = d2l.Accumulator(2)
    acc.add(1, minigrad.tensor(2.5))
    acc.add(2, 0.5)
    assert (acc[0], acc[1]) == (3.0, 3.0)
    acc.reset()
    assert acc.data == [0.0, 0.0]
    with pytest.raises(ValueError, match="expected 2 values, got 1"):
        acc.add(1)
    n = minigrad.cuda.device_count()
    assert d2l.num_gpus() == n and d2l.cpu() == minigrad.device("cpu") and d2l.gpu(1) == minigrad.device("cuda:1")
    assert d2l.try_all_gpus() == ([minigrad.device(f"cuda:{i}") for i in range(n)] or [minigrad.device("cpu")])


# -- aliases and missing names ----------------------------------------------------------------------------------------

def test_the_books_aliases_call_minigrad():
    x = minigrad.arange(6.0)
    assert d2l.reshape(x, (2, 3)).shape == (2, 3) and d2l.size(x) == 6
    assert d2l.concat is minigrad.cat and d2l.batch_matmul is minigrad.bmm and d2l.randn is minigrad.randn
    assert d2l.reduce_sum(x).item() == 15.0 and d2l.reduce_mean(x).item() == 2.5
    assert d2l.argmax(d2l.reshape(x, (2, 3)), axis=1).tolist() == [2, 2]
    assert d2l.astype(x, d2l.int64).dtype == minigrad.int64 and d2l.expand_dims(x, 0).shape == (1, 6)
    assert d2l.transpose(d2l.reshape(x, (2, 3))).shape == (3, 2) and isinstance(d2l.numpy(x), np.ndarray)
    assert d2l.nn_Module is nn.Module


def test_a_missing_name_says_minigrad_does_not_implement_it(monkeypatch):
    with pytest.raises(AttributeError, match="minigrad does not implement d2l.load_data_time_machine"):
        d2l.load_data_time_machine  # noqa: B018
    monkeypatch.setitem(d2l.FUNCTIONS, "fancy", "no_such_function")
    with pytest.raises(AttributeError, match="minigrad does not implement torch.no_such_function, which d2l.fancy"):
        d2l.fancy  # noqa: B018


# -- minigrad.utils.data ----------------------------------------------------------------------------------------------

def test_tensor_dataset_and_dataloader_as_torch():
    X, y = minigrad.arange(20.0).reshape(10, 2), minigrad.arange(10)
    ds = udata.TensorDataset(X, y)
    assert len(ds) == 10 and [t.tolist() for t in ds[3]] == [[6.0, 7.0], 3]
    loader = udata.DataLoader(ds, batch_size=4)
    batches = list(loader)
    assert len(loader) == 3 and [b[1].tolist() for b in batches] == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]
    assert isinstance(batches[0], list) and batches[0][0].tolist() == [[0, 1], [2, 3], [4, 5], [6, 7]]
    assert len(udata.DataLoader(ds, batch_size=4, drop_last=True)) == 2
    minigrad.manual_seed(5)
    order = [i for _, b in udata.DataLoader(ds, 3, shuffle=True) for i in b.tolist()]
    minigrad.manual_seed(5)
    assert sorted(order) == list(range(10)) and order != list(range(10))
    assert [i for _, b in udata.DataLoader(ds, 3, shuffle=True) for i in b.tolist()] == order
    assert [b.tolist() for _, b in udata.DataLoader(ds, 2, sampler=[9, 0, 5])] == [[9, 0], [5]]


def test_dataloader_collates_a_map_style_dataset():
    class Pairs(udata.Dataset):
        def __len__(self):
            return 3

        def __getitem__(self, i):
            return {"x": minigrad.ones(2) * i, "n": i, "a": np.array([i, -i])}
    batch = next(iter(udata.DataLoader(Pairs(), batch_size=3)))
    assert batch["x"].tolist() == [[0, 0], [1, 1], [2, 2]] and batch["n"].tolist() == [0, 1, 2]
    assert batch["a"].tolist() == [[0, 0], [1, -1], [2, -2]]
    assert next(iter(udata.DataLoader(Pairs(), 2, collate_fn=len))) == 2
    with pytest.raises(TypeError, match="found str"):
        udata.default_collate(["a", "b"])


@pytest.mark.parametrize("call, error, message", [
    (lambda: udata.TensorDataset(minigrad.ones(3), minigrad.ones(4)), AssertionError, r"Size mismatch .* \[3, 4\]"),
    (lambda: udata.DataLoader([], batch_size=0), ValueError, "positive integer value, but got batch_size=0"),
    (lambda: udata.DataLoader([], sampler=[0], shuffle=True), ValueError, "mutually exclusive with shuffle"),
    (lambda: udata.DataLoader([], batch_sampler=[[0]]), NotImplementedError, "does not implement batch_sampler="),
    (lambda: udata.DataLoader([], num_workers=-1), ValueError, "num_workers option should be non-negative"),
    (lambda: udata.Dataset()[0], NotImplementedError, "Dataset must define __getitem__"),
    (lambda: minigrad.utils.DataPipe, AttributeError, "minigrad does not implement torch.utils.DataPipe"),
])
def test_utils_data_refuses_what_torch_refuses(call, error, message):
    with pytest.raises(error, match=message):
        call()


# -- the notebook converter ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("book, ours", [
    ("import torch", "import minigrad as torch"),
    ("from torch import nn", "from minigrad import nn"),
    ("from torch.nn import functional as F", "from minigrad.nn import functional as F"),
    ("import torch.nn.functional as F", "import minigrad.nn.functional as F"),
    ("from torch.utils import data", "from minigrad.utils import data"),
    ("from d2l import torch as d2l", "from minigrad import d2l"),
    ("    import torch", "    import minigrad as torch"),
    ("x = torch.ones(2)  # import torch", "x = torch.ones(2)  # import torch"),
    ("import torchvision", "import torchvision"),
])
def test_to_minigrad_changes_only_the_import_lines(book, ours):
    assert d2l.notebook.to_minigrad(book) == ours


def book_notebook(path, cells):
    import nbformat
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(source) for source in cells]
    nb.cells.insert(1, nbformat.v4.new_markdown_cell("Some text with !pip install d2l"))
    nb.cells[-1].outputs = [nbformat.v4.new_output("stream", text="the book's output\n")]
    nbformat.write(nb, str(path))


def run_cli(*args, cwd):
    """``python -m minigrad.d2l ...``, bounded by the CPU time it uses, not the wall clock: 300 s for the
    converter, and as much for the Jupyter kernel it may start (the kernel inherits the RLIMIT_CPU)."""
    return cpu_bounded.run([sys.executable, "-m", "minigrad.d2l", *map(str, args)], 300, cwd=cwd,
                           capture_output=True, text=True, env=dict(os.environ, MINIGRAD_NUM_THREADS="1"))


@cpu_bounded.hang_guard
def test_convert_drops_the_pip_cell_changes_imports_and_clears_the_books_outputs(tmp_path):
    import nbformat
    book = tmp_path / "chapter.ipynb"
    book_notebook(book, ["!pip install d2l==1.0.3\n", "import torch\nfrom d2l import torch as d2l",
                         "torch.ones(2).sum()"])
    done = run_cli("convert", book, cwd=tmp_path)
    out = tmp_path / "chapter.minigrad.ipynb"
    assert done.returncode == 0 and done.stdout == f"wrote {out}\n", done.stderr
    nb = nbformat.read(str(out), 4)
    assert [c.cell_type for c in nb.cells] == ["markdown", "code", "code"]
    assert nb.cells[1].source == "import minigrad as torch\nfrom minigrad import d2l"
    assert nb.cells[2].outputs == [] and nb.cells[2].execution_count is None


@cpu_bounded.hang_guard
def test_convert_execute_runs_it_in_a_kernel_and_a_failing_cell_is_one_line_and_no_file(tmp_path):
    import nbformat
    book = tmp_path / "chapter.ipynb"
    book_notebook(book, ["import torch", "torch.ones(2, 3).sum(dim=0)"])
    done = run_cli("convert", book, "-o", tmp_path / "out" / "ran.ipynb", "--execute", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    result = nbformat.read(str(tmp_path / "out" / "ran.ipynb"), 4).cells[-1].outputs
    assert [o.data["text/plain"] for o in result if o.output_type == "execute_result"] == ["tensor([2., 2., 2.])"]
    book_notebook(book, ["import torch", "torch.ones(2).no_such_method()"])
    failed = run_cli("convert", book, "-o", tmp_path / "failed.ipynb", "--execute", cwd=tmp_path)
    assert failed.returncode == 1 and "Traceback" not in failed.stderr
    assert failed.stderr.splitlines()[-1].startswith(f"error: {book}: AttributeError: ")
    assert not (tmp_path / "failed.ipynb").exists() and not list(tmp_path.glob(".failed*"))


@cpu_bounded.hang_guard
def test_torch_utils_data_needs_no_import_of_its_own():
    code = ("import minigrad as torch; "
            "print(len(torch.utils.data.DataLoader(torch.utils.data.TensorDataset(torch.ones(5)), 2)))")
    assert cpu_bounded.run([sys.executable, "-c", code], 60, capture_output=True, text=True).stdout == "3\n"
