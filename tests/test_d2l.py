"""minigrad.d2l's older-edition helpers and `python -m minigrad.d2l run-chapter` on the older edition's chapter
(its text, ../shared/seeds/): the chapter end to end on a few examples, the full 10-epoch run (slow), the data
hint, and each helper on its own."""
import hashlib
import os
import re
import sys
import textwrap
import traceback
from pathlib import Path

import numpy as np
import pytest

import cpu_bounded
import minigrad
from minigrad import d2l, nn
from minigrad.data import DataLoader
from test_train import synthetic_images  # images of ten classes shown by bright bars

ROOT = Path(__file__).resolve().parents[1]
CHAPTER = ROOT.parent / "shared" / "seeds" / "000_1c2b7c813d785098.txt"  # the older edition's chapter, as text

# The chapter's shape table: each layer of the from-scratch LeNet-BN on a (1, 1, 28, 28) input.
SHAPE_TABLE = [
    ("Conv2d", (1, 6, 24, 24)), ("BatchNorm", (1, 6, 24, 24)), ("Sigmoid", (1, 6, 24, 24)),
    ("AvgPool2d", (1, 6, 12, 12)), ("Conv2d", (1, 16, 8, 8)), ("BatchNorm", (1, 16, 8, 8)),
    ("Sigmoid", (1, 16, 8, 8)), ("AvgPool2d", (1, 16, 4, 4)), ("Flatten", (1, 256)),
    ("Linear", (1, 120)), ("BatchNorm", (1, 120)), ("Sigmoid", (1, 120)), ("Linear", (1, 84)),
    ("BatchNorm", (1, 84)), ("Sigmoid", (1, 84)), ("Linear", (1, 10))]
LOSS_LINE = re.compile(r"^loss (\d\.\d{3}), train acc (\d\.\d{3}), test acc (\d\.\d{3})$")
SPEED_LINE = re.compile(r"^(\d+\.\d) examples/sec on (\S+)$")
GAMMA_BETA = re.compile(r"^\(tensor\(\[([^\]]*)\][^\n]*\),\n tensor\(\[([^\]]*)\][^\n]*\)\)$", re.M)


def chapter_env(tmp_path):
    """The environment of a user's run: figures in tmp_path, one thread, downloads failing at once (a dead proxy)."""
    env = dict(os.environ, MINIGRAD_D2L_FIGURES=str(tmp_path),
               OPENBLAS_NUM_THREADS="1", MINIGRAD_NUM_THREADS="1",
               http_proxy="http://127.0.0.1:9", https_proxy="http://127.0.0.1:9",
               HTTP_PROXY="http://127.0.0.1:9", HTTPS_PROXY="http://127.0.0.1:9", no_proxy="", NO_PROXY="")
    env.pop(d2l.LIMIT_VAR, None)
    return env


def run_chapter_command(tmp_path, env, *args, cpu_seconds=120):
    """The command, bounded by CPU time (10 times what the chapter on a few examples needs), not by the wall clock,
    which a loaded machine stretches."""
    return cpu_bounded.run([sys.executable, "-m", "minigrad.d2l", "run-chapter", str(CHAPTER), *args], cpu_seconds,
                           cwd=tmp_path, env=env, capture_output=True, text=True)


def run_chapter(tmp_path, limit=None, cpu_seconds=120):
    """`python -m minigrad.d2l run-chapter` on the chapter's text as a user runs it, with $MINIGRAD_DATA (the
    real_data fixture)."""
    if not CHAPTER.is_file():
        pytest.skip(f"the chapter's text is not at {CHAPTER} (../shared/seeds next to the checkout)")
    env = chapter_env(tmp_path)
    if limit is not None:
        env[d2l.LIMIT_VAR] = limit
    result = run_chapter_command(tmp_path, env, cpu_seconds=cpu_seconds)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "epoch 1/10" not in result.stderr  # no progress bar when the output is not a terminal
    return result.stdout


def closing_figures(out):
    """[(loss, train acc, test acc, examples/sec, device)] of each train_ch6 call, from its two closing lines."""
    lines = out.splitlines()
    runs = []
    for i, line in enumerate(lines):
        m = LOSS_LINE.match(line)
        if m:
            speed = SPEED_LINE.match(lines[i + 1])
            assert speed, f"no examples/sec line after {line!r}: {lines[i + 1]!r}"
            runs.append((*map(float, m.groups()), float(speed.group(1)), speed.group(2)))
    return runs


def check_chapter_output(out, tmp_path):
    """The chapter's printed results, in its order; returns each run's closing figures and gamma, beta."""
    lines = out.splitlines()
    table = [line for line in lines if " output shape: \t " in line]
    assert len(table) == len(SHAPE_TABLE), out
    for line, (name, shape) in zip(table, SHAPE_TABLE):
        layer, _, printed = line.partition(" output shape: \t ")
        assert layer == name and tuple(int(n) for n in re.findall(r"\d+", printed)) == shape, line
    device = str(d2l.try_gpu())
    assert [line for line in lines if line.startswith("training on")] == [f"training on {device}"] * 2
    runs = closing_figures(out)
    assert len(runs) == 2 and all(run[4] == device and run[3] > 0 for run in runs), out
    match = GAMMA_BETA.search(out)
    assert match, out
    gamma, beta = (np.array([float(v) for v in group.split(",")]) for group in match.groups())
    assert gamma.shape == beta.shape == (6,)
    # in the chapter's order: table, first training, gamma and beta, second training
    first_close = lines.index(next(line for line in lines if LOSS_LINE.match(line)))
    assert lines.index(table[-1]) < first_close < out[:match.start()].count("\n") < \
        len(lines) - 1 - lines[::-1].index(f"training on {device}")
    for n in (1, 2):
        figure = tmp_path / f"train_ch6_{n}.png"
        assert f"curves: {figure}" in lines and figure.stat().st_size > 0
    return runs, gamma, beta


@cpu_bounded.hang_guard
def test_the_chapter_runs_from_its_text_on_a_few_examples(real_data, tmp_path):
    out = run_chapter(tmp_path, limit="2048,256")
    runs, gamma, beta = check_chapter_output(out, tmp_path)
    # 80 steps at lr 1.0 (unseeded, as in the chapter) end near loss 0.65, train acc 0.76, test acc 0.7
    for loss, train_acc, test_acc, _, _ in runs:
        assert loss < 1.0 and train_acc > 0.6 and test_acc > 0.4, runs
    # gamma and beta start at 1 and 0; training moved them (by 0.3 to 0.5 at most in such runs)
    assert np.abs(gamma - 1).max() > 0.1 and np.abs(beta).max() > 0.1, (gamma, beta)


@pytest.mark.slow
@cpu_bounded.hang_guard
def test_the_chapter_reaches_the_books_figures_in_10_epochs(real_data, tmp_path):
    """The full run: the book reports loss 0.268, train acc 0.900 (from scratch) and 0.266, 0.902 (concise)."""
    out = run_chapter(tmp_path, cpu_seconds=1800)
    print(out)  # the run's figures, shown by pytest -rP
    runs, _, _ = check_chapter_output(out, tmp_path)
    for loss, train_acc, test_acc, _, _ in runs:
        assert loss <= 0.29 and train_acc >= 0.89 and test_acc >= 0.6, runs


# SHA-256 of the chapter's eight ```python code blocks (text between the fences, trailing newlines removed)
# joined by "\n# %%\n": a fingerprint of the chapter's code, which is not part of this repository.
CHAPTER_CODE_SHA256 = "e1e190df8c767f1629ae592b104ce9cf851e5eec9b293d008a025383de955a65"
IMPORTS = {"import torch": "import minigrad as torch", "from torch import nn": "from minigrad import nn",
           "from d2l import torch as d2l": "from minigrad import d2l"}


def test_run_chapter_runs_the_chapters_code_with_only_the_three_import_lines_changed():
    if not CHAPTER.is_file():
        pytest.skip(f"the chapter's text is not at {CHAPTER}")
    blocks = d2l.notebook.chapter_blocks(CHAPTER.read_text(encoding="utf-8"))
    assert len(blocks) == 8 and blocks[0][0] == 40  # the first block starts on the text's line 40
    code = "\n# %%\n".join(block for _, block in blocks)
    assert hashlib.sha256(code.encode("utf-8")).hexdigest() == CHAPTER_CODE_SHA256
    changed = [(old, new) for old, new in zip(code.split("\n"), d2l.notebook.to_minigrad(code).split("\n"))
               if old != new]
    assert changed == list(IMPORTS.items())


# -- load_data_fashion_mnist ----------------------------------------------------------------------------

def test_load_data_fashion_mnist_honours_the_limit_and_resize(real_data, monkeypatch):
    monkeypatch.setenv(d2l.LIMIT_VAR, "300,70")
    train_iter, test_iter = d2l.load_data_fashion_mnist(64, resize=32)
    assert (train_iter.num_examples, test_iter.num_examples, len(train_iter), len(test_iter)) == (300, 70, 5, 2)
    X, y = next(iter(test_iter))
    assert X.shape == (64, 1, 32, 32) and X.dtype == minigrad.float32 and y.dtype == minigrad.int64
    assert 0 <= float(X.array.min()) and float(X.array.max()) <= 1
    monkeypatch.setenv(d2l.LIMIT_VAR, "40")
    train_iter, test_iter = d2l.load_data_fashion_mnist(256)
    assert (train_iter.num_examples, test_iter.num_examples) == (40, 40)
    assert next(iter(train_iter))[0].shape == (40, 1, 28, 28)
    # the training set is reshuffled each epoch, from minigrad's generator
    minigrad.manual_seed(3)
    first = [next(iter(train_iter))[1].tolist() for _ in range(2)]
    minigrad.manual_seed(3)
    assert [next(iter(train_iter))[1].tolist() for _ in range(2)] == first and first[0] != first[1]


@pytest.mark.parametrize("value", ["abc", "0", "10,0", "1,2,3", "-5", "5,"])
def test_a_bad_limit_is_an_error_naming_the_variable(monkeypatch, value):
    monkeypatch.setenv(d2l.LIMIT_VAR, value)
    with pytest.raises(ValueError, match=f"MINIGRAD_D2L_LIMIT must be N or N,M .* got {re.escape(repr(value))}"):
        d2l.load_data_fashion_mnist(256)


# -- try_gpu, accuracy, evaluate_accuracy_gpu -----------------------------------------------------------

def test_try_gpu_gives_cuda_i_when_it_exists_else_cpu():
    count = minigrad.cuda.device_count()
    assert d2l.try_gpu() == (minigrad.device("cuda:0") if count else minigrad.device("cpu"))
    assert d2l.try_gpu(count) == minigrad.device("cpu") and str(d2l.try_gpu(count)) == "cpu"
    assert isinstance(d2l.try_gpu(), minigrad.device)


def test_accuracy_counts_correct_predictions_from_scores_or_labels():
    scores = minigrad.tensor([[0.1, 0.9, 0.0], [2.0, 1.0, 0.0], [0.0, 0.2, 0.1], [0.3, 0.2, 0.4]])
    y = minigrad.tensor([1, 0, 2, 2])
    assert d2l.accuracy(scores, y) == 3.0 and isinstance(d2l.accuracy(scores, y), float)
    assert d2l.accuracy(minigrad.tensor([1, 2, 2, 0]), y) == 2.0


def test_evaluate_accuracy_gpu_matches_a_numpy_count_and_restores_the_mode():
    images, labels = synthetic_images(50, seed=1)
    net = nn.Sequential(nn.Flatten(), nn.Linear(784, 10))
    net.train()
    X = images.reshape(50, -1).astype(np.float32) / 255
    weight, bias = (p.numpy() for p in net.parameters())
    expected = np.mean((X @ weight.T + bias).argmax(axis=1) == labels)
    assert d2l.evaluate_accuracy_gpu(net, DataLoader(images, labels, 16)) == pytest.approx(expected)
    assert net.training


# -- train_ch6 ------------------------------------------------------------------------------------------

def test_train_ch6_trains_and_prints_the_books_lines(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv(d2l.FIGURES_VAR, str(tmp_path))
    titles, plot_history = [], minigrad.train.plot_history
    monkeypatch.setattr(minigrad.train, "plot_history",
                        lambda *a, title: titles.append(title) or plot_history(*a, title=title))
    minigrad.manual_seed(0)
    train_iter = DataLoader(*synthetic_images(300, seed=0), 32, shuffle=True, seed=0)
    test_iter = DataLoader(*synthetic_images(100, seed=1), 32)
    net = nn.Sequential(nn.Flatten(), nn.Linear(784, 10))
    assert d2l.train_ch6(net, train_iter, test_iter, 3, 0.5, minigrad.device("cpu")) is None
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "training on cpu"
    figure = Path(lines[1].removeprefix("curves: "))
    assert figure.parent == tmp_path and re.fullmatch(r"train_ch6_\d+\.png", figure.name) and figure.stat().st_size
    # one figure per epoch, each titled with the run and the network (issue 24: which network is it?)
    assert titles == [f"{figure.stem}: Sequential(Flatten, Linear)"] * 3
    loss, train_acc, test_acc = map(float, LOSS_LINE.match(lines[2]).groups())
    assert SPEED_LINE.match(lines[3]).group(2) == "cpu" and len(lines) == 4
    # the printed test accuracy is the trained net's, and the bars were learnt
    assert test_acc == round(d2l.evaluate_accuracy_gpu(net, test_iter), 3)
    assert train_acc > 0.8 and test_acc > 0.8 and loss < 1.0, lines


def test_train_ch6_initialises_with_xavier_uniform():
    net = nn.Sequential(nn.Flatten(), nn.Linear(784, 10))
    net[1].weight.data.fill_(100.0)
    empty = DataLoader(np.zeros((1, 28, 28), np.uint8), np.zeros(1, np.int64), 1)
    d2l.train_ch6(net, empty, empty, 1, 0.0, "cpu")  # lr 0: the weights are the initial ones
    bound = np.sqrt(6 / (784 + 10))
    w = net[1].weight.numpy()
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.9 * bound


def test_train_ch6_refuses_zero_epochs():
    with pytest.raises(ValueError, match="num_epochs must be at least 1, got 0"):
        d2l.train_ch6(nn.Sequential(nn.Linear(2, 2)), [], [], 0, 0.1, "cpu")


# -- run_notebook ---------------------------------------------------------------------------------------

def test_run_notebook_shows_each_cells_last_value_as_jupyter_does(tmp_path, capsys):
    path = tmp_path / "chapter.py"
    path.write_text(textwrap.dedent("""\
        raise SystemExit("code before the first cell does not run")
        # %%
        a = [1, 2]
        a
        # %%
        print("printed")
        a.append(3)
        # %%
        b = len(a)
        b * 10, "x" * 3
        # %%
        def f():
            return 1 / 0
        # %%
        f()
        """))
    with pytest.raises(ZeroDivisionError) as info:
        d2l.run_notebook(path)
    assert capsys.readouterr().out == "[1, 2]\nprinted\n(30, 'xxx')\n"
    frames = [(f.filename, f.lineno) for f in traceback.extract_tb(info.value.__traceback__)]
    assert (str(path), 13) in frames and (str(path), 15) in frames  # the file's own line numbers


def test_run_notebook_needs_cell_markers(tmp_path):
    path = tmp_path / "plain.py"
    path.write_text("x = 1\n")
    with pytest.raises(ValueError, match="has no '# %%' cell markers"):
        d2l.run_notebook(path)


@cpu_bounded.hang_guard
def test_without_data_run_chapter_says_in_one_line_how_to_pass_it_and_that_way_works(tmp_path, real_data):
    if not CHAPTER.is_file():
        pytest.skip(f"the chapter's text is not at {CHAPTER}")
    env = dict(chapter_env(tmp_path), MINIGRAD_DATA=str(tmp_path / "no-data"))
    env[d2l.LIMIT_VAR] = "64,32"
    failed = run_chapter_command(tmp_path, env)
    assert failed.returncode == 1 and "Traceback" not in failed.stderr, failed.stderr
    assert failed.stderr.count("\n") == 1 and failed.stderr.startswith(f"error: {CHAPTER}: FileNotFoundError: ")
    assert "pass --data-dir DIR (or set MINIGRAD_DATA=DIR)" in failed.stderr
    assert "Linear output shape" in failed.stdout and "training on" not in failed.stdout
    ran = run_chapter_command(tmp_path, env, "--data-dir", str(real_data))
    assert ran.returncode == 0, ran.stderr[-3000:]
    assert len(closing_figures(ran.stdout)) == 2
