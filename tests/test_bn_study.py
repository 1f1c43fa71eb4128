"""The BatchNorm study (docs/batchnorm.md): the staged derivation against minigrad's closed form,
the claims the document makes about the backward and the running statistics, and the two scripts."""
import argparse
import json
import sys
from pathlib import Path

import numpy as np
import pytest

import minigrad
from minigrad import nn
from minigrad.data import SHA256
from minigrad.nn.functional import BatchNormFunction, FixedBatchNormFunction
from real_data import REAL_DATA
from scripts_loader import load_script

ROOT = Path(__file__).resolve().parents[1]
SHAPES = [(4, 3), (7, 5), (2, 2, 2, 2), (3, 4, 5, 2)]


bn_backward = load_script("bn_backward")
gradient_flow = load_script("gradient_flow")


def _inputs(shape, seed=0):
    rng = np.random.default_rng(seed)
    return (rng.standard_normal(shape) * 2 + 1, rng.uniform(0.5, 1.5, shape[1]), rng.standard_normal(shape[1]),
            rng.standard_normal(shape))


def _fashion_mnist_dir():
    """``real_data.REAL_DATA``; None when the four files are not there."""
    if all((REAL_DATA / n).is_file() or (REAL_DATA / f"{n}.gz").is_file() for n in SHA256):
        return str(REAL_DATA)
    return None


@pytest.mark.parametrize("shape", SHAPES)
def test_staged_backward_matches_closed_form(shape):
    x, gamma, beta, dy = _inputs(shape)
    staged = bn_backward.staged_backward(x, gamma, dy, eps=1e-5)
    closed = bn_backward.closed_form_backward(x, gamma, beta, dy, eps=1e-5)
    composed = bn_backward.composed_backward(x, gamma, beta, dy, eps=1e-5)
    for k in ("dx", "dgamma", "dbeta"):
        assert staged[k].shape == closed[k].shape
        np.testing.assert_allclose(staged[k], closed[k], rtol=0, atol=1e-10, err_msg=k)
        np.testing.assert_allclose(composed[k], closed[k], rtol=0, atol=1e-10, err_msg=k)


@pytest.mark.parametrize("shape", [(4, 3), (2, 3, 2, 2)])
def test_staged_backward_matches_finite_differences(shape):
    x, gamma, beta, dy = _inputs(shape, seed=1)
    staged = bn_backward.staged_backward(x, gamma, dy)
    numerical = bn_backward.finite_differences(x, gamma, beta, dy)
    for k in ("dx", "dgamma", "dbeta"):
        np.testing.assert_allclose(staged[k], numerical[k], rtol=0, atol=1e-7, err_msg=k)


def test_dmu_has_no_variance_contribution():
    """The dvar term of dmu multiplies sum(x - mu), which is zero: dmu = -sum(dx_hat) / sigma."""
    x, gamma, _, dy = _inputs((6, 3))
    s = bn_backward.staged_backward(x, gamma, dy)
    inv_std = bn_backward.forward(x, gamma, gamma * 0, 1e-5)["inv_std"]
    np.testing.assert_allclose(s["dmu"], -(s["dx_hat"] * inv_std).sum(axis=0, keepdims=True), atol=1e-12)


def test_all_ones_upstream_gradient_is_vacuous():
    """With dy = 1 the true dx is exactly 0, and a backward without its variance term also gives 0."""
    out = bn_backward.ones_demo((5, 3), np.random.default_rng(0))
    assert out["ones"][0] < 1e-12 and out["ones"][1] < 1e-12
    assert out["random"][1] > 1e-2  # a random dy tells the right backward from the wrong one
    x, gamma, beta, _ = _inputs((2, 3, 4, 4))
    xs = [minigrad.tensor(a, dtype=minigrad.float64, requires_grad=True) for a in (x, gamma, beta)]
    BatchNormFunction(1e-5)(*xs).sum().backward()
    assert np.abs(xs[0].grad.numpy()).max() < 1e-12


def test_input_gradient_sums_to_zero_per_channel():
    """sum_i dx_i = 0 per channel, so a bias added just before BatchNorm receives no gradient (float64: exactly 0
    up to rounding), while the same bias without BatchNorm after it does."""
    x, gamma, beta, dy = _inputs((3, 4, 5, 2))
    dx = bn_backward.closed_form_backward(x, gamma, beta, dy)["dx"]
    np.testing.assert_allclose(dx.sum(axis=(0, 2, 3)), 0, atol=1e-12)
    rng = np.random.default_rng(2)
    images = minigrad.tensor(rng.standard_normal((4, 2, 6, 5)))
    minigrad.manual_seed(0)
    for with_bn in (True, False):
        conv = nn.Conv2d(2, 3, (3, 2)).double()
        net = nn.Sequential(conv, nn.BatchNorm2d(3).double()) if with_bn else conv
        net(images).backward(minigrad.tensor(rng.standard_normal((4, 3, 4, 4))))
        bias_grad, weight_grad = np.abs(conv.bias.grad.numpy()).max(), np.abs(conv.weight.grad.numpy()).max()
        assert weight_grad > 0.1
        assert (bias_grad < 1e-13) if with_bn else (bias_grad > 0.1), (with_bn, bias_grad)


def test_biases_before_batchnorm_get_rounding_level_gradients_in_float32():
    """docs/batchnorm.md: one float32 step of LeNet-BN on the first seeded Fashion-MNIST batch gives the conv and
    linear biases that feed a BatchNorm gradients of at most 4e-7 (rounding), against largest weight-gradient
    entries of 0.04 to 0.2; the last layer's bias, with no BatchNorm after it, gets a real gradient (~0.1)."""
    root = _fashion_mnist_dir()
    if root is None:
        pytest.skip("Fashion-MNIST not found: set MINIGRAD_DATA to the folder holding its four IDX files")
    from minigrad.data import load_fashion_mnist
    from minigrad.train import init_weights, train_step
    from models import lenet_bn_scratch
    minigrad.manual_seed(0)
    train_iter, _ = load_fashion_mnist(256, root=root, limit_test=1)
    net = init_weights(lenet_bn_scratch())
    X, y = next(iter(train_iter))
    train_step(net, X, y, nn.CrossEntropyLoss(), minigrad.optim.SGD(net.parameters(), lr=1.0))
    layers = [m for m in net if isinstance(m, (nn.Conv2d, nn.Linear))]
    biases = [np.abs(m.bias.grad.numpy()).max() for m in layers]
    weights = [np.abs(m.weight.grad.numpy()).max() for m in layers]
    assert max(biases[:-1]) < 4e-7 and biases[-1] > 0.05, biases
    assert 0.04 < min(weights) and max(weights) < 0.2, weights


def test_input_gradient_is_orthogonal_to_x_hat_up_to_eps():
    """docs/batchnorm.md: sum_i dx_i x_hat_i = gamma * s * dgamma * eps / (sigma^2 + eps) per channel. With a
    variance comparable to eps the right side is far from zero, so the identity is a real check."""
    for scale in (1.0, 3e-3):  # sigma^2 ~ 1 and ~ eps
        x, gamma, beta, dy = _inputs((6, 3, 2, 3), seed=4)
        x = x * scale
        f = bn_backward.forward(x, gamma, beta, 1e-5)
        b = bn_backward.closed_form_backward(x, gamma, beta, dy, eps=1e-5)
        lhs = (b["dx"] * f["x_hat"]).sum(axis=(0, 2, 3))
        var, s = f["var"].ravel(), f["inv_std"].ravel()
        rhs = gamma * s * b["dgamma"].ravel() * 1e-5 / (var + 1e-5)
        assert np.abs(rhs).max() > (1e-6 if scale == 1.0 else 1.0)
        np.testing.assert_allclose(lhs, rhs, rtol=1e-6, atol=1e-12)


def test_inference_mode_gradient():
    x, gamma, beta, dy = _inputs((4, 3, 2, 2))
    mean, var = np.array([0.5, -1.0, 2.0]), np.array([1.5, 0.3, 4.0])
    xs = [minigrad.tensor(a, dtype=minigrad.float64, requires_grad=True) for a in (x, gamma, beta)]
    FixedBatchNormFunction(mean, var, 1e-5)(*xs).backward(dy)
    expected = dy * (gamma / np.sqrt(var + 1e-5)).reshape(1, 3, 1, 1)
    np.testing.assert_allclose(xs[0].grad.numpy(), expected, rtol=1e-12)


def test_running_statistics_conventions():
    """Seed: moving = 0.9 moving + 0.1 batch (biased var); PyTorch: momentum 0.1, unbiased var in the estimate."""
    x = np.random.default_rng(0).standard_normal((4, 3, 2, 2)).astype(np.float32) * 2 + 1
    m = 4 * 2 * 2
    mean, var = x.mean(axis=(0, 2, 3)), x.var(axis=(0, 2, 3))
    seed_bn, torch_bn = nn.BatchNorm(3, num_dims=4), nn.BatchNorm2d(3)
    seed_bn.train(), torch_bn.train()
    seed_bn(minigrad.tensor(x)), torch_bn(minigrad.tensor(x))
    np.testing.assert_allclose(seed_bn.moving_mean.numpy().ravel(), 0.1 * mean, rtol=1e-5)
    np.testing.assert_allclose(torch_bn.running_mean.numpy(), 0.1 * mean, rtol=1e-5)
    np.testing.assert_allclose(seed_bn.moving_var.numpy().ravel(), 0.9 + 0.1 * var, rtol=1e-5)
    np.testing.assert_allclose(torch_bn.running_var.numpy(), 0.9 + 0.1 * var * m / (m - 1), rtol=1e-5)


def test_bn_backward_script_prints_tiny_differences(capsys):
    diffs = bn_backward.main(["--quiet", "--seed", "3", "--shape", "4,3", "3,2,2,2"])
    printed = capsys.readouterr().out
    assert set(diffs) == {(4, 3), (3, 2, 2, 2)} and printed.count("max |difference|") == 2
    for table in diffs.values():
        assert len(table) == 6  # every pair of: staged, closed form, composed, finite differences
        for pair, d in table.items():
            limit = 1e-6 if "finite diff" in pair else 1e-12
            assert max(d.values()) < limit, (pair, d)


def test_bn_backward_script_default_run_gives_the_documented_differences(capsys):
    """The table in docs/batchnorm.md section 2 (seed 0, default shapes): exact paths agree to < 1e-15, finite
    differences to 4e-10 (dx, 4x3), 1.3e-9 (dx, 2x2x2x2) and 6e-10 (dgamma, dbeta)."""
    diffs = bn_backward.main(["--quiet"])
    printed = capsys.readouterr().out
    assert set(diffs) == {(4, 3), (2, 2, 2, 2)}
    # section 3's output, quoted in the document
    assert ("dy = ones  : max|dx| = 0.00e+00, max|dx - dx(without the variance term)| = 0.00e+00\n"
            "dy = random: max|dx| = 2.13e+00, max|dx - dx(without the variance term)| = 3.07e+00") in printed
    for shape, table in diffs.items():
        for pair, d in table.items():
            if "finite diff" not in pair:
                assert max(d.values()) < 1e-15, (shape, pair, d)
                continue
            assert d["dx"] < (4e-10 if shape == (4, 3) else 1.3e-9), (shape, pair, d)
            assert max(d["dgamma"], d["dbeta"]) < 6e-10, (shape, pair, d)


def _check_gradient_flow_output(out, result, models_expected):
    """gradient_flow.json holds the returned record: the same runs, per-step numbers to 5 significant digits."""
    data = json.loads((out / "gradient_flow.json").read_text())
    assert [r["model"] for r in data["runs"]] == models_expected
    assert len(result["runs"]) == len(models_expected)
    for run, rec in zip(data["runs"], result["runs"]):
        steps = len(run["loss"])
        assert steps >= 1 and all(np.isfinite(run["loss"]))
        np.testing.assert_allclose(run["loss"], rec["loss"], rtol=1e-4)
        assert set(run["grad_norm"]) == set(gradient_flow.LAYERS)
        for k, v in run["grad_norm"].items():
            assert len(v) == steps and min(v) > 0
            np.testing.assert_allclose(v, rec["grad_norm"][k], rtol=1e-4, err_msg=k)
        assert len(run["epochs"]) == 1 and 0 <= run["epochs"][0]["test_acc"] <= 1
        assert run["summary"]["steps"] == steps


def _first_step(model, args):
    """An independent first training step: the loss and each Conv2d/Linear weight-gradient norm."""
    from minigrad.train import init_weights
    from models import lenet, lenet_bn_scratch
    minigrad.manual_seed(args.seed)
    net = init_weights({"lenet": lenet, "lenet-bn-scratch": lenet_bn_scratch}[model]())
    X, y = next(iter(gradient_flow.make_loaders(args)[0]))
    loss = nn.CrossEntropyLoss()(net(X), y)
    loss.backward()
    layers = [m for m in net if isinstance(m, (nn.Conv2d, nn.Linear))]
    return loss.item(), [float(np.linalg.norm(m.weight.grad.numpy())) for m in layers]


SYNTHETIC = ["--synthetic", "--limit-train", "512", "--limit-test", "256", "--epochs", "1"]


def _without_matplotlib(monkeypatch):
    """``import matplotlib`` raises ImportError (as where it is not installed): no figure, and no time spent on one."""
    monkeypatch.setitem(sys.modules, "matplotlib", None)


def test_gradient_flow_script_synthetic(tmp_path, capsys, monkeypatch):
    _without_matplotlib(monkeypatch)
    result = gradient_flow.main([*SYNTHETIC, "--lr-plain", "0.3", "--out", str(tmp_path)])
    _check_gradient_flow_output(tmp_path, result, ["lenet", "lenet", "lenet-bn-scratch"])
    assert [r["lr"] for r in result["runs"]] == [1.0, 0.3, 1.0]
    assert len(result["runs"][0]["loss"]) == 2  # 512 examples in batches of 256
    args = argparse.Namespace(synthetic=True, limit_train=512, limit_test=256, batch_size=256, seed=0)
    for rec in result["runs"]:
        loss, norms = _first_step(rec["model"], args)
        assert rec["loss"][0] == pytest.approx(loss, rel=1e-6)
        np.testing.assert_allclose([rec["grad_norm"][k][0] for k in gradient_flow.LAYERS], norms, rtol=1e-5)
    assert "(no figure: pip install matplotlib)" in capsys.readouterr().out
    assert not (tmp_path / "gradient_flow.png").exists()


def test_gradient_flow_script_draws_the_figure(tmp_path):
    pytest.importorskip("matplotlib", reason="the figure needs matplotlib (the plot extra)")
    gradient_flow.main([*SYNTHETIC, "--out", str(tmp_path)])
    png = (tmp_path / "gradient_flow.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")
    assert (width, height) == (1290, 720)  # 3 columns of 4.3 x 7.2 inches at 100 dpi
    assert len(png) > 10_000


def test_gradient_flow_script_fashion_mnist(tmp_path, monkeypatch):
    _without_matplotlib(monkeypatch)
    root = _fashion_mnist_dir()
    if root is None:
        pytest.skip("Fashion-MNIST not found: set MINIGRAD_DATA to the folder holding its four IDX files")
    result = gradient_flow.main(["--data-dir", root, "--limit-train", "512", "--limit-test", "256", "--epochs", "1",
                                 "--out", str(tmp_path)])
    _check_gradient_flow_output(tmp_path, result, ["lenet", "lenet-bn-scratch"])
    args = argparse.Namespace(synthetic=False, data_dir=root, limit_train=512, limit_test=256, batch_size=256, seed=0)
    for rec in result["runs"]:
        loss, norms = _first_step(rec["model"], args)
        assert rec["loss"][0] == pytest.approx(loss, rel=1e-6)
        np.testing.assert_allclose([rec["grad_norm"][k][0] for k in gradient_flow.LAYERS], norms, rtol=1e-5)


# ---------------------------------------------------------------------------
# docs/gradient_flow.json: the record behind the figures quoted in docs/batchnorm.md section 6 and README

RECORD = ROOT / "docs" / "gradient_flow.json"


def _record():
    runs = json.loads(RECORD.read_text())["runs"]
    return {r["name"]: r for r in runs}


def _first_below(losses, threshold, window=20):
    """1-based first step whose running mean over the last ``window`` losses is below ``threshold``."""
    for i in range(len(losses)):
        if np.mean(losses[max(0, i + 1 - window):i + 1]) < threshold:
            return i + 1
    return None


def test_documented_gradient_flow_figures_follow_from_the_record():
    """Each figure of docs/batchnorm.md section 6 (a), (b) and README's summary, recomputed from the record."""
    runs = _record()
    plain, plain09, bn = runs["LeNet, lr 1.0"], runs["LeNet, lr 0.9"], runs["LeNet-BN, lr 1.0"]
    layers = gradient_flow.LAYERS
    step1 = {name: [r["grad_norm"][k][0] for k in layers] for name, r in (("plain", plain), ("bn", bn))}
    np.testing.assert_allclose(step1["plain"], [0.0030, 0.037, 0.21, 0.45, 1.28], rtol=0.05)
    np.testing.assert_allclose(step1["bn"], [0.73, 1.37, 1.07, 0.69, 1.06], rtol=0.01)
    ratio_plain, ratio_bn = step1["plain"][0] / step1["plain"][4], step1["bn"][0] / step1["bn"][4]
    assert round(1 / ratio_plain, -1) == 430 and round(ratio_bn, 2) == 0.69          # "430 times smaller"
    assert round(1 / (ratio_plain * np.sqrt(840 / 150)), -1) == 180                    # per weight (RMS)
    # per epoch (235 steps), the median conv1/fc3 ratio
    for r, expected in ((plain, [0.017, 0.13, 0.15, 0.25, 0.26]), (bn, [0.27, 0.45, 0.64, 0.75, 0.74])):
        ratio = np.asarray(r["grad_norm"]["conv1"]) / np.asarray(r["grad_norm"]["fc3"])
        medians = [np.median(ratio[e * 235:(e + 1) * 235]) for e in range(5)]
        np.testing.assert_allclose(medians, expected, rtol=0.05, atol=0.001)
    # "within a factor ~2": median over steps of (largest / smallest layer norm); 90th percentiles
    for r, med, p90 in ((bn, 2.0, 4.1), (plain, 7.2, 58)):
        g = np.array([r["grad_norm"][k] for k in layers])
        spread = g.max(axis=0) / g.min(axis=0)
        assert np.median(spread) == pytest.approx(med, rel=0.03)
        assert np.percentile(spread, 90) == pytest.approx(p90, rel=0.03)
    # (b): first step with 20-step mean loss < 2.0 / 1.0 / 0.6, and the summaries the script wrote agree
    for r, expected in ((plain, [318, 475, 1043]), (plain09, [310, 476, None]), (bn, [8, 37, 145])):
        assert [_first_below(r["loss"], t) for t in (2.0, 1.0, 0.6)] == expected, r["name"]
        assert list(r["summary"]["first_step_loss_below"].values()) == expected
    for r, acc, (first, fifth) in ((plain, 0.100, (2.319, 0.632)), (plain09, 0.100, (2.319, 0.643)),
                                   (bn, 0.781, (0.747, 0.333))):
        assert round(r["epochs"][0]["test_acc"], 3) == acc
        assert [round(r["epochs"][e]["train_loss"], 3) for e in (0, 4)] == [first, fifth], r["name"]


@pytest.mark.slow
def test_gradient_flow_record_is_what_the_code_computes():
    """The record's first 40 steps (plain LeNet and LeNet-BN at lr 1.0, full data, seed 0) recomputed here: the
    figures above come from running this code, not from another version of it."""
    root = _fashion_mnist_dir()
    if root is None:
        pytest.skip("Fashion-MNIST not found: set MINIGRAD_DATA to the folder holding its four IDX files")
    from minigrad.data import load_fashion_mnist
    from minigrad.train import init_weights, train_step
    from models import lenet, lenet_bn_scratch
    runs = _record()
    for name, make in (("LeNet, lr 1.0", lenet), ("LeNet-BN, lr 1.0", lenet_bn_scratch)):
        minigrad.manual_seed(0)
        net = init_weights(make())
        train_iter, _ = load_fashion_mnist(256, root=root, seed=0, limit_test=1)
        optimizer = minigrad.optim.SGD(net.parameters(), lr=1.0)
        layers = [m for m in net if isinstance(m, (nn.Conv2d, nn.Linear))]
        losses, norms = [], []
        for step, (X, y) in zip(range(40), train_iter):
            losses.append(train_step(net, X, y, nn.CrossEntropyLoss(), optimizer)[0].item())
            norms.append([float(np.linalg.norm(m.weight.grad.numpy())) for m in layers])
        rec = runs[name]
        # float32 at lr 1.0: a change in the order of a sum (BatchNorm's row dots, a GEMM's blocking) moves the
        # 40th step by ~1e-3 relative; a different computation would differ at the first steps already
        np.testing.assert_allclose(losses, rec["loss"][:40], rtol=3e-3, err_msg=name)
        np.testing.assert_allclose(np.array(norms).T, [rec["grad_norm"][k][:40] for k in gradient_flow.LAYERS],
                                   rtol=3e-3, err_msg=name)
        np.testing.assert_allclose(losses[:3], rec["loss"][:3], rtol=0, atol=1e-4, err_msg=name)  # 4 decimals kept
    assert _first_below(losses, 1.0) == 37  # LeNet-BN: below 1.0 after 37 steps
