"""scripts/covariate_shift.py: the noise, the percentile probe and Santurkar et al.'s ICS measure against
independent computations, the script end to end on a tiny run, and the claims of docs/batchnorm.md
("Measured: internal covariate shift") against the committed docs/covariate_shift_*.json."""
import json
import re
from pathlib import Path

import numpy as np
import pytest

import cpu_bounded
import minigrad
from minigrad import nn
from scripts_loader import load_script

ROOT = Path(__file__).resolve().parents[1]
cs = load_script("covariate_shift")

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


@cpu_bounded.hang_guard  # work done in this process: the wall clock only guards against a hang
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


@cpu_bounded.hang_guard
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


# ---------------------------------------------------------------------------------------------
# docs/batchnorm.md, "Measured: internal covariate shift", against docs/covariate_shift_*.json

DOCS = ROOT / "docs" / "batchnorm.md"


def _load(name):
    return json.loads((ROOT / "docs" / f"{name}.json").read_text())


MLP, LENET = _load("covariate_shift_mlp"), _load("covariate_shift_lenet")
MLP1, LENET1 = _load("covariate_shift_mlp_seed1"), _load("covariate_shift_lenet_seed1")
SCREEN = {lr: _load(f"covariate_shift_mlp_screen_lr{lr}") for lr in ("0.1", "0.5", "2.0")}


def _section():
    text = DOCS.read_text()
    match = re.search(r"^## Measured: internal covariate shift$(.*?)(?=^## |\Z)", text, re.M | re.S)
    assert match, "the section is missing from docs/batchnorm.md"
    return match.group(1)


def _runs(result):
    return {r["variant"]: r for r in result["runs"]}


def _acc_at(rec, step):
    return rec["test_acc"][rec["steps"].index(step)]


def test_docs_tables_are_the_committed_json_and_the_documented_commands():
    section = _section()
    for result in (MLP, LENET, MLP1, LENET1):
        assert [r["variant"] for r in result["runs"]] == list(cs.VARIANTS)
        assert cs.markdown_table(result) in section, (result["net"], result["settings"]["seed"])
        assert all(r["diverged_at_step"] is None for r in result["runs"])
    defaults = vars(cs.parse_args([]))
    assert (defaults["steps_mlp"], defaults["steps_lenet"]) == (50_000, 1175)  # the paper's length; 5 epochs
    documented = {"mlp": {"steps_mlp": 10000, "record_every": 200}, "lenet": {"steps_lenet": 470}}
    for result in (MLP, LENET, MLP1, LENET1):
        s = result["settings"]
        expected = {**defaults, **documented[result["net"]], "nets": [result["net"]], "seed": s["seed"],
                    "variants": list(cs.VARIANTS)}
        net_keys = tuple(documented[result["net"]])
        for key in ("lr_mlp", "batch_mlp", "init_std", "lr_lenet", "batch_lenet", "noise_scale", "noise_shift",
                    "probe", "unit", "limit_train", "limit_test", "synthetic", "quick") + net_keys:
            assert s[key] == (list(expected[key]) if isinstance(expected[key], tuple) else expected[key]), key
        assert s["record_every"] == (200 if result["net"] == "mlp" else 50)
    assert (MLP["settings"]["seed"], MLP1["settings"]["seed"], LENET["settings"]["seed"], LENET1["settings"]["seed"]) \
        == (0, 1, 0, 1)
    for net, steps in (("mlp", "--steps-mlp 10000 --record-every 200"), ("lenet", "--steps-lenet 470")):
        assert (f"python scripts/covariate_shift.py --data-dir /path/to/fashion-mnist --nets {net} --variants $v "
                f"{steps} --out runs/{net}-$v") in section
        assert (f"python scripts/covariate_shift.py --merge runs/{net}-*/covariate_shift_{net}.json "
                "--out docs") in section
    for result in SCREEN.values():
        assert cs.markdown_table(result) in section
    assert round(MLP["machine"]["load_average"][0], 1) == 22.7
    minutes = {net: [round(r["seconds"] / 60, 1) for r in result["runs"]] for net, result in (("mlp", MLP),
                                                                                              ("lenet", LENET))}
    assert (min(minutes["mlp"]), max(minutes["mlp"]), min(minutes["lenet"]), max(minutes["lenet"])) == \
        (17.6, 21.9, 18.0, 19.9)


def test_docs_lr_screen():
    for lr, result in SCREEN.items():
        s = result["settings"]
        assert (s["lr_mlp"], s["steps_mlp"], s["seed"], s["variants"]) == (float(lr), 3000, 0, ["plain", "bn"])
    acc = {lr: {v: r["test_acc"][-1] for v, r in _runs(res).items()} for lr, res in SCREEN.items()}
    assert [round(acc[lr]["plain"], 3) for lr in SCREEN] == [0.758, 0.820, 0.846]
    assert [round(acc[lr]["bn"], 3) for lr in SCREEN] == [0.848, 0.852, 0.857]
    assert round(acc["2.0"]["bn"] - acc["2.0"]["plain"], 3) == 0.011
    assert round(acc["0.1"]["bn"] - acc["0.1"]["plain"], 3) == 0.090


def test_docs_claim_a_sooner_holds_higher_not_settled():
    for mlp, lenet in ((MLP, LENET), (MLP1, LENET1)):
        m, le = _runs(mlp), _runs(lenet)
        for level in (0.7, 0.8):
            assert cs.first_step_reaching(m["bn"], level) < cs.first_step_reaching(m["plain"], level)
        assert cs.first_step_reaching(le["bn"], 0.7) == 100 and cs.first_step_reaching(le["plain"], 0.7) is None
        assert m["bn"]["train_loss"][-1] < m["plain"]["train_loss"][-1]
    m, m1, le = _runs(MLP), _runs(MLP1), _runs(LENET)
    assert (round(_acc_at(m["bn"], 200), 3), round(_acc_at(m["plain"], 200), 3)) == (0.762, 0.510)
    assert [round(a, 3) for a in le["plain"]["test_acc"][:6]] == [0.1] * 6 and le["plain"]["steps"][5] == 250
    assert le["plain"]["test_acc"][6] > 0.1
    assert [round(max(m[v]["test_acc"]), 3) for v in ("bn", "plain")] == [0.877, 0.869]
    assert m["bn"]["test_acc"][-1] > m["plain"]["test_acc"][-1]
    assert m1["bn"]["test_acc"][-1] < m1["plain"]["test_acc"][-1]
    gaps = [abs(r["bn"]["test_acc"][-1] - r["plain"]["test_acc"][-1]) for r in (m, m1)]
    assert max(gaps) < 0.012


def test_docs_claim_b_drift():
    m, le = _runs(MLP), _runs(LENET)
    unit_plain, unit_bn = np.array(m["plain"]["unit"]), np.array(m["bn"]["unit"])
    assert (round(unit_plain[0, 1], 3), round(unit_plain[-1, 1], 2)) == (-0.592, -1.69)
    assert (round(unit_bn[0, 2] - unit_bn[0, 0], 2), round(unit_bn[-1, 2] - unit_bn[-1, 0], 2)) == (2.10, 4.16)
    ratios = [m["plain"]["units"]["median_range"] / m["bn"]["units"]["median_range"],
              le["plain"]["units"]["median_range"] / le["bn"]["units"]["median_range"]]
    assert 3 < min(ratios) and max(ratios) < 6
    for result in (MLP, LENET, MLP1, LENET1):
        r = _runs(result)
        for key in ("median_range", "spread_range", "median_jitter"):
            assert r["bn"]["units"][key] < r["plain"]["units"][key], (result["net"], key)


def test_docs_claim_c_noisy_batchnorm():
    for mlp, lenet in ((MLP, LENET), (MLP1, LENET1)):
        for r in (_runs(mlp), _runs(lenet)):
            noisy, bn, plain = r["noisy"], r["bn"], r["plain"]
            assert noisy["units"]["median_jitter"] > 1.9 * plain["units"]["median_jitter"]
            assert noisy["units"]["spread_range"] > plain["units"]["spread_range"]
            assert noisy["units"]["median_range"] > 0.9 * plain["units"]["median_range"]
            assert cs.first_step_reaching(noisy, 0.8) == cs.first_step_reaching(bn, 0.8)
            assert noisy["train_loss"][-1] > bn["train_loss"][-1]
    m, le = _runs(MLP), _runs(LENET)
    assert round(m["noisy"]["units"]["median_jitter"] / m["bn"]["units"]["median_jitter"]) == 10
    assert round(m["noisy"]["units"]["median_jitter"] / m["plain"]["units"]["median_jitter"], 1) == 3.6
    assert m["noisy"]["train_loss"][-1] > m["plain"]["train_loss"][-1]
    assert (cs.first_step_reaching(le["noisy"], 0.7), cs.first_step_reaching(le["bn"], 0.7)) == (150, 100)
    assert [round(max(le[v]["test_acc"]), 3) for v in ("noisy", "bn")] == [0.805, 0.824]
    m1, le1 = _runs(MLP1), _runs(LENET1)
    assert all(cs.first_step_reaching(r["noisy"], lv) == cs.first_step_reaching(r["bn"], lv)
               for r in (m1, le1) for lv in (0.7, 0.8))
    assert le1["noisy"]["test_acc"][-1] < le1["bn"]["test_acc"][-1]


def test_docs_claim_d_ics_measure():
    for mlp in (MLP, MLP1):  # the MLP: BatchNorm's change smaller and cosine higher in every layer
        r = _runs(mlp)
        assert all(b < p for b, p in zip(r["bn"]["ics_median"]["relative_l2"], r["plain"]["ics_median"]["relative_l2"]))
        assert all(b > p for b, p in zip(r["bn"]["ics_median"]["cos"], r["plain"]["ics_median"]["cos"]))
    for lenet in (LENET, LENET1):  # LeNet: BatchNorm's larger in every layer
        r = _runs(lenet)
        assert all(b > p for b, p in zip(r["bn"]["ics_median"]["relative_l2"], r["plain"]["ics_median"]["relative_l2"]))
    rel = {lr: {v: r["ics_median"]["relative_l2"][0] for v, r in _runs(res).items()} for lr, res in SCREEN.items()}
    assert rel["0.1"]["bn"] > rel["0.1"]["plain"] and rel["0.5"]["bn"] < rel["0.5"]["plain"]
    assert rel["2.0"]["bn"] < rel["2.0"]["plain"]
    for result in (MLP, LENET):  # noisy BatchNorm's cosines within 0.04 of BatchNorm's
        r = _runs(result)
        assert max(abs(a - b) for a, b in zip(r["noisy"]["ics_median"]["cos"], r["bn"]["ics_median"]["cos"])) < 0.04
    le, le1 = _runs(LENET), _runs(LENET1)
    noisy, bn = le["noisy"]["ics_median"]["relative_l2"], le["bn"]["ics_median"]["relative_l2"]
    assert (round(min(noisy), 3), round(max(noisy), 3), round(min(bn), 3), round(max(bn), 3)) == \
        (0.261, 0.699, 0.309, 0.757)
    noisy1, bn1 = le1["noisy"]["ics_median"]["relative_l2"], le1["bn"]["ics_median"]["relative_l2"]
    assert all(a < b for a, b in zip(noisy1, bn1)) and (round(min(noisy1), 3), round(max(noisy1), 3)) == (0.279, 0.704)
    assert (round(min(bn1), 3), round(max(bn1), 3)) == (0.409, 0.777)
    plain1 = le1["plain"]["ics_median"]["relative_l2"]
    assert (round(min(plain1), 4), round(max(plain1), 2)) == (0.0499, 0.66)


FULL = _load("covariate_shift_mlp_50000")


def test_docs_the_papers_length():
    s, section = FULL["settings"], _section()
    assert (s["steps_mlp"], s["record_every"], s["seed"], s["lr_mlp"]) == (50_000, 500, 0, 0.5)
    assert cs.markdown_table(FULL) in section
    assert [round(r["seconds"] / 60, 1) for r in FULL["runs"]] == [15.9, 19.9, 20.5]
    assert round(FULL["machine"]["load_average"][0], 1) == 12.7
    full, short = _runs(FULL), _runs(MLP)
    for v in cs.VARIANTS:  # the first 10,000 steps are the 10,000-step run's
        common = [t for t in full[v]["steps"] if t in short[v]["steps"]]
        assert len(common) == 11 and all(_acc_at(full[v], t) == _acc_at(short[v], t) for t in common), v
        # the probe too, but for noisy BatchNorm's last short record: it keeps the noise of step 9,999
        units = [(r["unit"][r["steps"].index(t)] for r in (full[v], short[v])) for t in common[:-1]]
        assert all(a == b for a, b in units), v
    plain, bn, noisy = full["plain"], full["bn"], full["noisy"]
    assert [cs.first_step_reaching(r, lv) for r in (bn, plain) for lv in (0.85, 0.88)] == [3000, 14000, 6000, 20500]
    finals = [r["test_acc"][-1] for r in (bn, plain, noisy)]
    assert [round(a, 3) for a in finals] == [0.888, 0.889, 0.885] and max(finals) - min(finals) < 0.004
    assert bn["test_acc"][-1] < plain["test_acc"][-1]
    unit = np.array(bn["unit"])
    assert round(unit[-1, 2] - unit[-1, 0], 2) == 7.49
    assert all(cs.first_step_reaching(noisy, lv) == cs.first_step_reaching(bn, lv) for lv in (0.7, 0.8, 0.85))
    assert noisy["train_loss"][-1] > plain["train_loss"][-1] > bn["train_loss"][-1]
    rel = {v: r["ics_median"]["relative_l2"] for v, r in full.items()}
    assert all(n < b < p for n, b, p in zip(rel["noisy"], rel["bn"], rel["plain"]))
