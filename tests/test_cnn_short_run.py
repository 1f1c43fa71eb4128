"""scripts/cnn_short_run.py: a tiny run of each network as a user runs it (the record's fields, the figure), the
FLOP count on a network small enough to count by hand, and docs/pytorch.md's figures for the short runs of
ResNet-18 and DenseNet against the committed docs/cnn_short_run_*.json."""
import importlib.util
import json
import math
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from minigrad import nn
from real_data import MISSING, REAL_DATA

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "scripts" / "cnn_short_run.py"
spec = importlib.util.spec_from_file_location("_cnn_short_run", SCRIPT)
cnn_short_run = importlib.util.module_from_spec(spec)
spec.loader.exec_module(cnn_short_run)

TINY = ["--steps", "3", "--batch-size", "4", "--image-size", "32", "--val-size", "8", "--eval-every", "2",
        "--limit-train", "16"]
needs_data = pytest.mark.skipif(not (REAL_DATA / "t10k-labels-idx1-ubyte.gz").exists()
                                and not (REAL_DATA / "t10k-labels-idx1-ubyte").exists(), reason=MISSING)


def run_script(*args):
    env = dict(os.environ, MINIGRAD_DATA=str(REAL_DATA), MINIGRAD_NUM_THREADS="1")
    return subprocess.run([sys.executable, str(SCRIPT), *args], capture_output=True, text=True, env=env,
                          cwd=ROOT, timeout=300)


@needs_data
@pytest.mark.parametrize("model, parameters", [("resnet18", 11_178_378), ("densenet", 758_226)])
def test_a_tiny_run_writes_the_record_and_the_figure(tmp_path, model, parameters):
    done = run_script("--model", model, *TINY, "--out", str(tmp_path))
    assert done.returncode == 0, done.stderr
    rec = json.loads((tmp_path / f"cnn_short_run_{model}.json").read_text())
    png = tmp_path / f"cnn_short_run_{model}.png"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([png.name, f"cnn_short_run_{model}.json"])
    assert rec["model"] == model and rec["parameters"] == parameters
    assert rec["settings"] == {"model": model, "steps": 3, "eval_every": 2, "val_size": 8, "batch_size": 4,
                               "image_size": 32, "lr": 0.01, "seed": 0, "limit_train": 16, "device": "cpu"}
    assert rec["train_examples"] == 16 and rec["val_examples"] == 8
    assert len(rec["train_loss"]) == len(rec["cpu_s"]) == len(rec["wall_s"]) == 3
    assert all(math.isfinite(v) and v > 0 for v in rec["train_loss"] + rec["cpu_s"] + rec["wall_s"])
    assert [v["step"] for v in rec["val"]] == [0, 2, 3]  # before training, every 2 steps and after the last
    assert all(v["loss"] > 0 and 0 <= v["acc"] <= 1 and v["acc"] * 8 == round(v["acc"] * 8) for v in rec["val"])
    assert rec["machine"]["blas_threads"] == 1
    s = rec["summary"]
    assert s["steps"] == 3 and s["steps_per_epoch"] == 15000  # 60,000 training images in batches of 4
    assert s["median_cpu_s_per_step"] == pytest.approx(sorted(rec["cpu_s"])[1], rel=1e-4)
    assert s["projected_epoch_cpu_hours"] == pytest.approx(s["median_cpu_s_per_step"] * 15000 / 3600, rel=1e-3)
    assert s["final_val_acc"] == rec["val"][-1]["acc"]
    assert rec["flops"]["training_step"] == 4 * (3 * rec["flops"]["forward_per_example"]
                                                 - rec["flops"]["first_layer_per_example"])
    assert f"wrote {tmp_path / f'cnn_short_run_{model}.json'} and {png}" in done.stdout


@needs_data
def test_the_same_seed_gives_the_same_curve_and_another_seed_another(tmp_path):
    losses = []
    for seed, out in (("0", "a"), ("0", "b"), ("1", "c")):
        done = run_script("--model", "densenet", *TINY, "--seed", seed, "--out", str(tmp_path / out))
        assert done.returncode == 0, done.stderr
        losses.append(json.loads((tmp_path / out / "cnn_short_run_densenet.json").read_text())["train_loss"])
    assert losses[0] == losses[1] and losses[0] != losses[2]


def test_bad_flags_are_refused_before_any_work(tmp_path):
    done = run_script("--model", "vgg")
    assert done.returncode == 2 and "argument --model: invalid choice: 'vgg'" in done.stderr
    done = run_script("--steps", "0")
    assert done.returncode == 2 and "argument --steps: must be at least 1, got 0" in done.stderr
    (tmp_path / "file").write_text("")
    done = run_script("--out", str(tmp_path / "file"))
    assert done.returncode == 1 and f"--out {tmp_path / 'file'} is an existing file, not a folder" in done.stderr


def test_flops_are_counted_from_the_layer_shapes():
    net = nn.Sequential(nn.Conv2d(1, 2, kernel_size=3, padding=1), nn.ReLU(), nn.Conv2d(2, 4, kernel_size=1),
                        nn.Flatten(), nn.Linear(4 * 4 * 4, 3))
    flops = cnn_short_run.count_flops(net, image_size=4, batch_size=2, device="cpu")
    first = 2 * (2 * 4 * 4) * (1 * 3 * 3)   # 2 x output elements x in_channels x kernel area
    forward = first + 2 * (4 * 4 * 4) * 2 + 2 * 64 * 3
    assert flops == {"forward_per_example": forward, "first_layer_per_example": first,
                     "training_step": 2 * (3 * forward - first)}
    assert net.training and all(not m._hooks["post"] for m in (net[0], net[2], net[4]))  # hooks removed


# ---------------------------------------------------------------------------------------------
# docs/pytorch.md, "The book's chapters (d2l 1.0.3) and the older edition", against docs/cnn_short_run_*.json

def record(model):
    return json.loads((ROOT / "docs" / f"cnn_short_run_{model}.json").read_text())


def section():
    text = (ROOT / "docs" / "pytorch.md").read_text()
    match = re.search(r"^## The book's chapters \(d2l 1\.0\.3\) and the older edition$(.*?)(?=^## |\Z)", text,
                      re.M | re.S)
    assert match, "the section is missing from docs/pytorch.md"
    return match.group(1)


@pytest.mark.parametrize("model", ["resnet18", "densenet"])
def test_the_committed_runs_are_the_books_settings_and_the_documented_command(model):
    rec = record(model)
    defaults = vars(cnn_short_run.parse_args(["--model", model]))
    assert rec["settings"] == {k: v for k, v in defaults.items() if k not in ("out", "data_dir")} | {"steps": 100}
    assert rec["settings"]["batch_size"] == 128 and rec["settings"]["image_size"] == 96
    assert rec["settings"]["lr"] == 0.01 and rec["machine"]["blas_threads"] == 1
    assert len(rec["train_loss"]) == len(rec["pytorch"]["train_loss"]) == 100
    assert rec["train_examples"] == 60000 and rec["val_examples"] == 512
    assert f"scripts/cnn_short_run.py --model {model} --steps 100 --out docs" in section()


def test_help_gives_every_option_its_default():
    done = run_script("--help")
    assert done.returncode == 0, done.stderr
    entries = [" ".join(e.split()) for e in re.split(r"\n(?=  -)", done.stdout.split("options:", 1)[1]) if e.strip()]
    assert len(entries) == 13 and entries[0].startswith("-h, --help")
    assert all("(default: " in entry for entry in entries[1:]), entries


@pytest.mark.parametrize("model", ["resnet18", "densenet"])
def test_the_committed_figure_is_the_books_board_with_pytorchs_loss(model, tmp_path, monkeypatch):
    pytest.importorskip("matplotlib", reason="the figure needs the plot extra (pip install -e '.[plot]')")
    from matplotlib.figure import Figure
    drawn, save = [], Figure.savefig
    monkeypatch.setattr(Figure, "savefig", lambda fig, *a, **k: (drawn.append(fig), save(fig, *a, **k))[1])
    rec = record(model)
    assert cnn_short_run.plot(rec, tmp_path / "board.png") and (tmp_path / "board.png").stat().st_size > 0
    (ax,) = drawn[0].get_axes()
    assert ax.get_title().startswith(f"{rec['title']}: the first 100 steps (batch 128, 96x96, SGD lr 0.01)")
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["train_loss", "val_loss", "val_acc",
                                                                   "train_loss, PyTorch"]
    assert ax.get_xlabel() == "step" and list(ax.get_lines()[0].get_ydata()) == rec["train_loss"]


EPOCH = 469            # steps of batch 128 in the 60,000 training images
H100_FP32 = 67e12      # NVIDIA's H100 SXM datasheet, FP32 (no tensor cores) peak FLOP/s
FRACTION = 0.5         # the fraction of that peak the estimate assumes


def table_rows(rec):
    """The two rows (minigrad, PyTorch) of the docs' table for one network."""
    rows = []
    for library, run in (("minigrad", rec), (f"PyTorch {rec['pytorch']['version'].split('+')[0]}", rec["pytorch"])):
        cpu, wall = sorted(run["cpu_s"]), sorted(run["wall_s"])
        cpu, wall = (cpu[49] + cpu[50]) / 2, (wall[49] + wall[50]) / 2  # the median of 100
        last = sum(run["train_loss"][-10:]) / 10
        rows.append(f"| {rec['title']} | {library} | {cpu:.2f} | {wall:.2f} | {cpu * EPOCH / 60:.0f} min | "
                    f"{run['train_loss'][0]:.3f} | {last:.3f} | {run['val'][-1]['loss']:.3f} / "
                    f"{run['val'][-1]['acc']:.3f} |")
    return "\n".join(rows)


def drift(rec):
    """How far apart minigrad's and PyTorch's training losses are, step by step (minigrad - PyTorch)."""
    diff = [abs(d) for d in rec["pytorch"]["loss_diff"]]
    worst = max(range(len(diff)), key=diff.__getitem__)
    return (f"{diff[0]:.2g} at step 1, {diff[1]:.2g} at step 2, {diff[2]:.2g} at step 3, at most {diff[worst]:.2g} "
            f"(step {worst + 1}) and {diff[-1]:.2g} at step 100")


def estimate(rec):
    """The GPU estimate's figures: GFLOP per step, and ms per step and s per epoch at FRACTION of the H100's FP32."""
    flop = rec["flops"]["training_step"]
    step = flop / (FRACTION * H100_FP32)
    return (f"{rec['flops']['forward_per_example'] / 1e9:.3f} GFLOP per example forward, {flop / 1e9:.1f} GFLOP "
            f"per step of 128", f"{step * 1e3:.1f} ms per step, {step * EPOCH:.1f} s per epoch")


@pytest.mark.parametrize("model", ["resnet18", "densenet"])
def test_docs_quote_the_committed_runs(model):
    rec, text = record(model), " ".join(section().split())
    assert table_rows(rec) in section()
    assert drift(rec) in text
    for figure in estimate(rec):
        assert figure in text
    load = rec["load_average"]
    assert f"{rec['title']} {load['before']:.1f} → {load['after']:.1f}" in text
    cpu_rate = rec["flops"]["training_step"] / rec["summary"]["median_cpu_s_per_step"] / 1e9
    assert f"{rec['title']}: {cpu_rate:.0f} GFLOP/s" in text
    cpu = rec["cpu_s"]
    assert f"{rec['title']}: {min(cpu):.2f} to {max(cpu):.2f} s" in text


def test_the_resnet18_count_is_the_usual_one_less_what_this_network_lacks():
    from models import resnet18
    flops = cnn_short_run.count_flops(resnet18(), image_size=224, batch_size=1, device="cpu")
    usual = 1_814_073_344                  # multiply-adds of torchvision's ResNet-18 at 3 x 224 x 224, 1000 classes
    stem = 64 * 112 * 112 * 7 * 7 * 2      # the stem's two input channels this network (1 channel) has not
    head = 512 * 990                       # the 990 classes it has not
    assert flops["forward_per_example"] == 2 * (usual - stem - head)
    assert round(flops["forward_per_example"] / 1e9, 2) == 3.47
