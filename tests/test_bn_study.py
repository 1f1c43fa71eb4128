"""The BatchNorm study (docs/batchnorm.md): the staged derivation against minigrad's closed form,
the claims the document makes about the backward and the running statistics, and the two scripts."""
import importlib.util
import json
import os
from pathlib import Path

import numpy as np
import pytest

import minigrad
from minigrad import nn
from minigrad.data import SHA256
from minigrad.nn.functional import BatchNormFunction, FixedBatchNormFunction

ROOT = Path(__file__).resolve().parents[1]
SHAPES = [(4, 3), (7, 5), (2, 2, 2, 2), (3, 4, 5, 2)]


def _load_script(name):
    """Import scripts/<name>.py as a module (scripts/ is not a package)."""
    spec = importlib.util.spec_from_file_location(f"_study_{name}", ROOT / "scripts" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


bn_backward = _load_script("bn_backward")
gradient_flow = _load_script("gradient_flow")


def _inputs(shape, seed=0):
    rng = np.random.default_rng(seed)
    return (rng.standard_normal(shape) * 2 + 1, rng.uniform(0.5, 1.5, shape[1]), rng.standard_normal(shape[1]),
            rng.standard_normal(shape))


def _fashion_mnist_dir():
    """$MINIGRAD_DATA, else the shared copy next to the checkout; None when the four files are not there."""
    for d in (os.environ.get("MINIGRAD_DATA"), ROOT.parent / "shared" / "data" / "fashion-mnist"):
        if d and all((Path(d) / n).is_file() or (Path(d) / f"{n}.gz").is_file() for n in SHA256):
            return str(d)
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
    """sum_i dx_i = 0 per channel: a bias added just before BatchNorm receives no gradient."""
    x, gamma, beta, dy = _inputs((3, 4, 5, 2))
    dx = bn_backward.closed_form_backward(x, gamma, beta, dy)["dx"]
    np.testing.assert_allclose(dx.sum(axis=(0, 2, 3)), 0, atol=1e-12)


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


def _check_gradient_flow_output(out, result, models_expected):
    data = json.loads((out / "gradient_flow.json").read_text())
    assert [r["model"] for r in data["runs"]] == models_expected
    for run in data["runs"]:
        steps = len(run["loss"])
        assert steps >= 1 and all(np.isfinite(run["loss"]))
        assert set(run["grad_norm"]) == set(gradient_flow.LAYERS)
        assert all(len(v) == steps and min(v) > 0 for v in run["grad_norm"].values())
        assert len(run["epochs"]) == 1 and 0 <= run["epochs"][0]["test_acc"] <= 1
        assert run["summary"]["steps"] == steps
    assert len(result["runs"]) == len(models_expected)
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        return
    assert (out / "gradient_flow.png").stat().st_size > 10_000


def test_gradient_flow_script_synthetic(tmp_path):
    result = gradient_flow.main(["--synthetic", "--limit-train", "512", "--limit-test", "256", "--epochs", "1",
                                 "--lr-plain", "0.3", "--out", str(tmp_path)])
    _check_gradient_flow_output(tmp_path, result, ["lenet", "lenet", "lenet-bn-scratch"])
    assert [r["lr"] for r in result["runs"]] == [1.0, 0.3, 1.0]
    assert len(result["runs"][0]["loss"]) == 2  # 512 examples in batches of 256


def test_gradient_flow_script_fashion_mnist(tmp_path):
    root = _fashion_mnist_dir()
    if root is None:
        pytest.skip("Fashion-MNIST not found: set MINIGRAD_DATA to the folder holding its four IDX files")
    result = gradient_flow.main(["--data-dir", root, "--limit-train", "512", "--limit-test", "256", "--epochs", "1",
                                 "--out", str(tmp_path)])
    _check_gradient_flow_output(tmp_path, result, ["lenet", "lenet-bn-scratch"])
