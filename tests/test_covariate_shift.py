"""scripts/covariate_shift.py: the noise, the percentile probe and Santurkar et al.'s ICS measure against
independent computations, the script end to end on a tiny run, and the claims of docs/batchnorm.md
("Measured: internal covariate shift") against the committed docs/covariate_shift_*.json."""
import importlib.util
import json
from pathlib import Path

import numpy as np
import pytest

import minigrad
from minigrad import nn

ROOT = Path(__file__).resolve().parents[1]
spec = importlib.util.spec_from_file_location("_covariate_shift", ROOT / "scripts" / "covariate_shift.py")
cs = importlib.util.module_from_spec(spec)
spec.loader.exec_module(cs)

SCALE, SHIFT = (0.25, 1.75), (-1.0, 1.0)


def _state(net):
    return {k: v.numpy().copy() for k, v in net.state_dict().items()}


def _assert_same_state(before, net):
    after = _state(net)
    assert before.keys() == after.keys()
    for k in before:
        np.testing.assert_array_equal(before[k], after[k], err_msg=k)


@pytest.mark.parametrize("shape", [(5, 3), (2, 3, 4, 4)])
def test_noise_is_a_per_unit_scale_and_shift_in_training_and_the_identity_in_eval(shape):
    x = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
    noise = cs.Noise(3)
    with pytest.raises(RuntimeError, match="resample"):
        noise(minigrad.tensor(x))
    noise.resample(np.random.default_rng(1), SCALE, SHIFT)
    s, m = noise.scale, noise.shift
    assert s.shape == m.shape == (3,) and np.all((0.25 <= s) & (s <= 1.75)) and np.all(np.abs(m) <= 1)
    bshape = (1, 3) + (1,) * (len(shape) - 2)
    np.testing.assert_allclose(noise(minigrad.tensor(x)).numpy(), x * s.reshape(bshape) + m.reshape(bshape),
                               rtol=1e-6, atol=1e-6)
    noise.resample(np.random.default_rng(2), SCALE, SHIFT)  # drawn afresh
    assert not np.allclose(noise.scale, s)
    noise.eval()
    np.testing.assert_array_equal(noise(minigrad.tensor(x)).numpy(), x)


def test_networks_have_the_papers_layout():
    plain, bn, noisy = (cs.mlp(v) for v in cs.VARIANTS)
    assert [type(m).__name__ for m in noisy] == ["Flatten"] + ["Linear", "BatchNorm1d", "Noise", "Sigmoid"] * 2 + [
        "Linear", "BatchNorm1d", "Noise", "Tap", "Sigmoid", "Linear"]
    assert [type(m).__name__ for m in plain].count("BatchNorm1d") == 0 and len(cs.blocks(plain)) == 4
    weights = [m.weight.numpy() for m in plain if isinstance(m, nn.Linear)]
    assert [w.shape for w in weights] == [(100, 784), (100, 100), (100, 100), (10, 100)]
    assert abs(np.concatenate([w.ravel() for w in weights]).std() - 0.1) < 0.002
    lenet = cs.lenet_variant("noisy")
    names = [type(m).__name__ for m in lenet]
    assert names.count("Noise") == 4 and names[-4:] == ["Noise", "Tap", "Sigmoid", "Linear"]
    assert [len(ps) for _, ps in cs.blocks(lenet)] == [4, 4, 4, 4, 2]  # weight, bias, γ, β; the last: no BN


def test_probe_gives_the_percentiles_of_the_last_hidden_pre_activation_and_leaves_the_statistics():
    minigrad.manual_seed(0)
    net = cs.mlp("noisy")
    rng = np.random.default_rng(3)
    for m in net:
        if isinstance(m, cs.Noise):
            m.resample(rng, SCALE, SHIFT)
    X = minigrad.tensor(rng.uniform(0, 1, (50, 784)).astype(np.float32))
    before = _state(net)
    tap = next(m for m in net if isinstance(m, cs.Tap))
    q = cs.probe_percentiles(net, tap, X)
    _assert_same_state(before, net)
    h = X.numpy().astype(np.float64)  # the same layers by hand in NumPy: BatchNorm with the batch's statistics
    for m in net:
        if m is tap:
            break
        if isinstance(m, nn.Linear):
            h = h @ m.weight.numpy().T + m.bias.numpy()
        elif isinstance(m, nn.BatchNorm1d):
            h = (h - h.mean(0)) / np.sqrt(h.var(0) + m.eps) * m.weight.numpy() + m.bias.numpy()
        elif isinstance(m, cs.Noise):
            h = h * m.scale + m.shift
        elif isinstance(m, nn.Sigmoid):
            h = 1 / (1 + np.exp(-h))
    assert q.shape == (3, 100)
    np.testing.assert_allclose(q, np.percentile(h, [15, 50, 85], axis=0), rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("variant", cs.VARIANTS)
def test_ics_against_the_definition_by_backward_and_a_manual_update(variant):
    """G' recomputed on a copy: full .backward(), θ_j -= lr·grad for the layers below i, .backward() again."""
    minigrad.manual_seed(1)
    net, lr = cs.mlp(variant), 0.5
    rng = np.random.default_rng(4)
    for m in net:
        if isinstance(m, cs.Noise):
            m.resample(rng, SCALE, SHIFT)
    X = minigrad.tensor(rng.uniform(0, 1, (16, 784)).astype(np.float32))
    y = minigrad.tensor(rng.integers(0, 10, 16))
    loss_fn, before = nn.CrossEntropyLoss(), _state(net)
    measured = cs.ics(net, loss_fn, X, y, lr)
    _assert_same_state(before, net)
    assert len(measured) == 3
    for i, rec in enumerate(measured, start=1):
        copy = cs.mlp(variant)
        copy.load_state_dict(net.state_dict())
        for a, b in zip((m for m in copy if isinstance(m, cs.Noise)), (m for m in net if isinstance(m, cs.Noise))):
            a.scale, a.shift = b.scale, b.shift
        loss_fn(copy(X), y).backward()
        blocks = cs.blocks(copy)
        g = blocks[i][0].grad.numpy().astype(np.float64).ravel()
        with minigrad.no_grad():
            for _, ps in blocks[:i]:
                for p in ps:
                    p.copy_(p.numpy() - lr * p.grad.numpy())
        copy.zero_grad()
        loss_fn(copy(X), y).backward()
        g2 = blocks[i][0].grad.numpy().astype(np.float64).ravel()
        assert rec["grad_norm"] == pytest.approx(np.linalg.norm(g), rel=1e-5)
        assert rec["l2"] == pytest.approx(np.linalg.norm(g - g2), rel=1e-3, abs=1e-7)
        assert rec["cos"] == pytest.approx(g @ g2 / np.linalg.norm(g) / np.linalg.norm(g2), abs=1e-5)
        assert rec["l2"] > 0


def test_ics_vanishes_with_the_step():
    minigrad.manual_seed(2)
    net = cs.mlp("bn")
    rng = np.random.default_rng(5)
    X, y = minigrad.tensor(rng.uniform(0, 1, (16, 784)).astype(np.float32)), minigrad.tensor(rng.integers(0, 10, 16))
    small, large = (cs.ics(net, nn.CrossEntropyLoss(), X, y, lr) for lr in (1e-4, 1.0))
    for a, b in zip(small, large):
        assert a["l2"] < 1e-2 * b["l2"] and a["cos"] > 1 - 1e-4 and a["grad_norm"] == b["grad_norm"]


def test_percentile_summary():
    # 3 records of 2 units: unit 0's median 0, 2, 1 (range 2, mean step 1.5); unit 1's 5, 5, 5
    median = np.array([[0.0, 5.0], [2.0, 5.0], [1.0, 5.0]])
    spread = np.array([[1.0, 2.0], [1.0, 4.0], [1.0, 3.0]])
    series = np.stack([median - spread / 2, median, median + spread / 2], axis=1)
    s = cs.percentile_summary(series)
    assert s == {"median_range": 1.0, "spread_range": 1.0, "median_jitter": 0.75, "spread_mean": 2.0}
    assert cs.percentile_summary(series, first=1)["median_range"] == 0.5


def _quick(tmp_path, *flags):
    return cs.main(["--quick", "--synthetic", "--nets", "mlp", *flags, "--out", str(tmp_path)])["mlp"]


@pytest.mark.timeout(600)
def test_quick_run_end_to_end(tmp_path):
    """--quick on random images, both networks and all three variants: every record present."""
    results = cs.main(["--quick", "--synthetic", "--out", str(tmp_path / "run")])
    for net, steps, every, layers in (("mlp", 40, 20, 3), ("lenet", 6, 3, 4)):
        data = json.loads((tmp_path / "run" / f"covariate_shift_{net}.json").read_text())
        assert [r["variant"] for r in data["runs"]] == list(cs.VARIANTS) and data["net"] == net
        for rec in data["runs"]:
            assert rec["steps"] == list(range(0, steps + 1, every)) and rec["diverged_at_step"] is None
            assert len(rec["test_acc"]) == len(rec["unit"]) == len(rec["ics"]) == len(rec["steps"])
            assert all(len(p) == layers for p in rec["ics"]) and all(len(u) == 3 for u in rec["unit"])
            assert all(q15 <= q50 <= q85 for q15, q50, q85 in rec["unit"])
            assert all(-1 <= r["cos"] <= 1 and r["l2"] >= 0 for p in rec["ics"] for r in p)
        assert results[net]["runs"][0]["steps"] == data["runs"][0]["steps"]
        pytest.importorskip("matplotlib", reason="the figure needs the plot extra (pip install -e '.[plot]')")
        assert (tmp_path / "run" / f"covariate_shift_{net}.png").stat().st_size > 20_000


@pytest.mark.timeout(600)
def test_measuring_does_not_change_the_training_and_split_runs_merge(tmp_path):
    """Records every 20 or every 40 steps: the same network at step 40; variants run apart merge into one."""
    every20 = _quick(tmp_path / "a", "--variants", "plain", "noisy")
    every40 = _quick(tmp_path / "b", "--variants", "noisy", "--record-every", "40")
    a, b = every20["runs"][1], every40["runs"][0]
    assert (a["steps"], b["steps"]) == ([0, 20, 40], [0, 40])
    assert a["test_acc"][-1] == b["test_acc"][-1] and a["unit"][-1] == b["unit"][-1] and a["ics"][-1] == b["ics"][-1]
    _quick(tmp_path / "c", "--variants", "bn")
    merged = cs.main(["--merge", str(tmp_path / "a" / "covariate_shift_mlp.json"),
                      str(tmp_path / "c" / "covariate_shift_mlp.json"), "--out", str(tmp_path / "m")])
    assert [r["variant"] for r in merged["runs"]] == ["plain", "bn", "noisy"]
    assert json.loads((tmp_path / "m" / "covariate_shift_mlp.json").read_text())["settings"]["variants"] == \
        ["plain", "bn", "noisy"]
    with pytest.raises(ValueError, match=r"other settings .*\(record_every\)"):
        cs.main(["--merge", str(tmp_path / "b" / "covariate_shift_mlp.json"),
                 str(tmp_path / "c" / "covariate_shift_mlp.json"), "--out", str(tmp_path / "n")])
    with pytest.raises(ValueError, match="more than one file"):
        cs.main(["--merge", str(tmp_path / "a" / "covariate_shift_mlp.json"),
                 str(tmp_path / "a" / "covariate_shift_mlp.json"), "--out", str(tmp_path / "n")])
    assert not (tmp_path / "n").exists()


def test_bad_flags_name_the_flag(capsys):
    for flags, message in ((["--unit", "84"], "--unit 84"), (["--noise-scale", "2,1"], "LOW <= HIGH"),
                           (["--lr-mlp", "0"], "--lr-mlp")):
        with pytest.raises(SystemExit):
            cs.parse_args(flags)
        assert message in capsys.readouterr().err
