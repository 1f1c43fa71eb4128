"""scripts/bn_landscape.py: the curvature and step-size measures on problems with known answers,
the script end to end on a tiny run, and the claims of docs/batchnorm.md ("Measured: does BatchNorm
smooth the loss landscape?") against the committed docs/bn_landscape.json."""
import json
import re
from pathlib import Path

import numpy as np
import pytest

import minigrad
from scripts_loader import load_script

ROOT = Path(__file__).resolve().parents[1]
bn_landscape = load_script("bn_landscape")


def _symmetric(spectrum, seed=0):
    """A = Q diag(spectrum) Qᵀ with a random orthogonal Q."""
    q, _ = np.linalg.qr(np.random.default_rng(seed).standard_normal((len(spectrum), len(spectrum))))
    return q @ np.diag(spectrum) @ q.T


def _quadratic(a, theta0):
    """L(x) = ½ xᵀ A x built from minigrad ops, as an Objective at x = theta0."""
    x = minigrad.tensor(theta0, dtype=minigrad.float64, requires_grad=True)
    A = minigrad.tensor(a, dtype=minigrad.float64)
    return bn_landscape.Objective([x], lambda: (x * (A @ x)).sum() * 0.5)


SPECTRUM = [6.0, 3.0, 1.5, 0.5, 0.1, -0.4, -2.0]


def test_power_iteration_finds_the_top_eigenvalue_of_a_known_matrix():
    a = _symmetric(SPECTRUM)
    res = bn_landscape.power_iteration(lambda v: a @ v, len(SPECTRUM), tol=1e-10, max_iter=500)
    assert res["converged"] and 1 < res["iterations"] < 500
    assert abs(res["eigenvalue"] - 6.0) < 1e-8
    assert abs(abs(res["vector"] @ np.linalg.eigh(a)[1][:, -1]) - 1) < 1e-6
    loose = bn_landscape.power_iteration(lambda v: a @ v, len(SPECTRUM), tol=1e-2, max_iter=500)
    assert loose["iterations"] < res["iterations"] and abs(loose["eigenvalue"] - 6.0) < 0.1


def test_top_eigenvalue_when_the_dominant_one_is_negative():
    """Power iteration finds the eigenvalue largest in magnitude (-5); the shifted second run finds 2."""
    a = _symmetric([2.0, 1.0, 0.5, -1.0, -5.0], seed=1)
    res = bn_landscape.top_eigenvalue(lambda v: a @ v, 5, tol=1e-12, max_iter=2000)
    assert abs(res["dominant"] + 5.0) < 1e-8 and abs(res["eigenvalue"] - 2.0) < 1e-6 and res["converged"]


def test_exact_hvp_of_a_quadratic_and_its_top_eigenvalue():
    """½ xᵀAx through minigrad's double backward: H v = A v exactly, and power iteration gives max(spectrum)."""
    a = _symmetric(SPECTRUM, seed=2)
    obj = _quadratic(a, np.random.default_rng(3).standard_normal(len(SPECTRUM)))
    hvp = obj.hvp_operator()
    v = np.random.default_rng(4).standard_normal(len(SPECTRUM))
    np.testing.assert_allclose(hvp(v), a @ v, rtol=0, atol=1e-12)
    np.testing.assert_allclose(hvp(2 * v), 2 * (a @ v), rtol=0, atol=1e-12)  # the graph is reused
    res = bn_landscape.top_eigenvalue(hvp, len(SPECTRUM), tol=1e-10, max_iter=500)
    assert res["converged"] and abs(res["eigenvalue"] - 6.0) < 1e-8


def test_finite_difference_hvp_of_a_quadratic_and_theta_restored():
    a = _symmetric(SPECTRUM, seed=5)
    theta = np.random.default_rng(6).standard_normal(len(SPECTRUM))
    obj = _quadratic(a, theta)
    v = np.random.default_rng(7).standard_normal(len(SPECTRUM))
    np.testing.assert_allclose(obj.fd_hvp(v, 1e-3), a @ v, rtol=0, atol=1e-9)  # exact up to rounding: L is quadratic
    np.testing.assert_array_equal(obj.get(), theta)


def test_gradient_direction_measures_match_the_closed_form_on_a_quadratic():
    """With g = Aθ: L(θ − ηg) = L − η‖g‖² + ½η² gᵀAg and ‖∇L(θ − ηg) − g‖ = η‖Ag‖,
    so the ratio to the step length ‖ηg‖ is ‖Ag‖/‖g‖ at every step."""
    a = _symmetric([3.0, 1.0, 0.2, -0.5], seed=8)
    theta = np.random.default_rng(9).standard_normal(4)
    obj = _quadratic(a, theta)
    lr, factors = 0.3, [0.05, 0.5, 1.0, 4.0]
    res = bn_landscape.gradient_direction_measures(obj.loss_grad, theta, lr, factors)
    g = a @ theta
    etas = lr * np.array(factors)
    loss0 = 0.5 * theta @ a @ theta
    losses = loss0 - etas * (g @ g) + 0.5 * etas ** 2 * (g @ a @ g)
    np.testing.assert_allclose(res["losses"], losses, rtol=1e-12)
    np.testing.assert_allclose(res["grad_changes"], etas * np.linalg.norm(a @ g), rtol=1e-12)
    np.testing.assert_allclose(res["betas"], np.linalg.norm(a @ g) / np.linalg.norm(g), rtol=1e-12)
    assert res["loss_range"] == pytest.approx(losses.max() - losses.min(), rel=1e-12)
    assert res["grad_change_max"] == pytest.approx(4.0 * lr * np.linalg.norm(a @ g), rel=1e-12)
    assert res["loss"] == pytest.approx(loss0, rel=1e-12) and res["grad_norm"] == pytest.approx(np.linalg.norm(g))
    np.testing.assert_array_equal(obj.get(), theta)  # parameters left at θ


def test_resolve_points():
    assert bn_landscape.resolve_points(["0", "50", "e1", "e5", "235"], 235) == [0, 50, 235, 1175]
    with pytest.raises(ValueError, match="eK"):
        bn_landscape.resolve_points(["x3"], 235)
    with pytest.raises(ValueError, match=">= 0"):
        bn_landscape.resolve_points(["-1"], 235)


def test_quick_run_end_to_end(tmp_path):
    """--quick on random images: every record present, the exact H v agrees with finite differences."""
    result = bn_landscape.main(["--quick", "--synthetic", "--out", str(tmp_path / "run")])
    data = json.loads((tmp_path / "run" / "bn_landscape.json").read_text())
    assert [r["model"] for r in data["landscape"]] == ["lenet", "lenet-bn-scratch"]
    for rec in data["landscape"]:
        assert [p["step"] for p in rec["points"]] == [0, 2]  # 512 examples in batches of 256: epoch 1 ends at 2
        check = rec["points"][0]["batches"][0]["fd_check"]
        assert check["rel_diff"] < 1e-6 and check["norm_hvp"] > 0
        for p in rec["points"]:
            b = p["batches"][0]
            assert 1 <= b["power_iterations"] and b["residual"] >= 0
            assert len(b["losses"]) == len(b["grad_changes"]) == len(data["settings"]["step_factors"])
            assert b["loss_range"] == pytest.approx(max(b["losses"]) - min(b["losses"]))
    assert {(r["model"], r["lr"]) for r in data["sweep"]} == {(m, lr) for m in ("lenet", "lenet-bn-scratch")
                                                              for lr in bn_landscape.QUICK["sweep_lrs"]}
    assert bn_landscape.markdown_tables(data).count("| step 0 |") == 2
    assert len(result["sweep"]) == 4
    pytest.importorskip("matplotlib", reason="the figure needs the plot extra (pip install -e '.[plot]')")
    assert (tmp_path / "run" / "bn_landscape.png").stat().st_size > 20_000


def test_no_output_left_after_a_failure(tmp_path):
    with pytest.raises(ValueError, match="--batches 3 × --hessian-batch 256"):
        bn_landscape.main(["--synthetic", "--limit-train", "512", "--batches", "3", "--out", str(tmp_path / "run")])
    assert not (tmp_path / "run").exists()


def test_lanczos_finds_both_ends_of_a_known_spectrum():
    spectrum = np.concatenate([[5.0, -3.0], np.linspace(-1, 1, 198)])
    a = _symmetric(spectrum, seed=10)
    lo, hi = bn_landscape.lanczos_extremes(lambda v: a @ v, len(spectrum), steps=40)
    assert abs(hi - 5.0) < 1e-8 and abs(lo + 3.0) < 1e-8
    lo, hi = bn_landscape.lanczos_extremes(lambda v: a @ v, len(spectrum), steps=3)  # Ritz values lie inside
    assert -3.0 <= lo < hi <= 5.0


# ---------------------------------------------------------------------------------------------
# docs/batchnorm.md, "Measured: does BatchNorm smooth the loss landscape?", against docs/bn_landscape.json

DOCS = ROOT / "docs" / "batchnorm.md"
RESULT = json.loads((ROOT / "docs" / "bn_landscape.json").read_text())


def _section():
    text = DOCS.read_text()
    match = re.search(r"^## (\d+\. )?Measured: does BatchNorm smooth the loss landscape\?$(.*?)(?=^## |\Z)", text,
                      re.M | re.S)
    assert match, "the section is missing from docs/batchnorm.md"
    return match.group(2)


def _points(model):
    rec = next(r for r in RESULT["landscape"] if r["model"] == model)
    return {p["step"]: p for p in rec["points"]}


def _sweep(model, lr):
    return [r for r in RESULT["sweep"] if r["model"] == model and r["lr"] == lr]


PLAIN, BN = _points("lenet"), _points("lenet-bn-scratch")


def test_docs_tables_are_the_committed_json_and_the_documented_command():
    assert bn_landscape.markdown_tables(RESULT) in _section()
    defaults = vars(bn_landscape.parse_args([]))
    ignore = {"data_dir", "out", "replot"}
    assert {k: v for k, v in RESULT["settings"].items() if k not in ignore} == \
        {k: v for k, v in defaults.items() if k not in ignore}
    assert "python scripts/bn_landscape.py --data-dir /path/to/fashion-mnist --out docs" in _section()
    seconds = RESULT["seconds"]
    assert [round(seconds["landscape"] / 60, 1), round(seconds["sweep"] / 60, 1)] == [3.3, 5.7]
    assert round((seconds["landscape"] + seconds["sweep"]) / 60, 1) == 9.0
    assert round(RESULT["machine"]["load_average"][0], 1) == 5.0
    assert round(RESULT["machine"]["load_average_end"][0], 1) == 2.3


def test_docs_claim_a_bn_is_not_smoother_at_its_own_training_points():
    measures = ("loss_range", "grad_change_max", "beta_max")
    for step in (0, 50, 200, 235, 1175):
        for key in measures:
            assert BN[step][key]["mean"] > PLAIN[step][key]["mean"], (step, key)
    for step in (50, 200, 235):  # every BN batch above every plain batch; the plain net on its plateau
        assert all(BN[step][key]["min"] > PLAIN[step][key]["max"] for key in measures), step
        assert PLAIN[step]["loss"]["mean"] > 2.3
    assert BN[0]["loss_range"]["min"] < PLAIN[0]["loss_range"]["max"]  # overlap at step 0
    end = 1175  # overlap at epoch 5 for the loss range and beta, not for the gradient change
    assert BN[end]["loss_range"]["min"] < PLAIN[end]["loss_range"]["max"]
    assert BN[end]["beta_max"]["min"] < PLAIN[end]["beta_max"]["max"]
    assert BN[end]["grad_change_max"]["min"] > PLAIN[end]["grad_change_max"]["max"]
    # at a lower loss (step 200) BN is smoother than plain at epoch 5 except in the gradient change; at epoch 1 rougher
    assert BN[200]["loss"]["mean"] < PLAIN[end]["loss"]["mean"] < 2.3
    for key in ("sharpness", "loss_range", "beta_max"):
        assert BN[200][key]["mean"] < PLAIN[end][key]["mean"] < BN[235][key]["mean"], key
    assert BN[200]["grad_change_max"]["mean"] > PLAIN[end]["grad_change_max"]["mean"]


def test_docs_claim_b_sharpness():
    assert BN[0]["sharpness"]["mean"] > 3 * PLAIN[0]["sharpness"]["mean"]
    assert BN[0]["lanczos_min"]["mean"] < -40 < -1 < PLAIN[0]["lanczos_min"]["mean"]
    assert BN[0]["grad_curvature"]["max"] < 0 < PLAIN[0]["grad_curvature"]["min"]
    lr_plain, lr_bn = RESULT["settings"]["lr_plain"], RESULT["settings"]["lr_bn"]
    assert all(PLAIN[s]["sharpness"]["max"] < 2 / lr_plain for s in (50, 200, 235))
    assert PLAIN[1175]["sharpness"]["min"] > 2 / lr_plain
    ratios = [BN[s]["sharpness"]["mean"] * lr_bn / 2 for s in (50, 200, 235, 1175)]
    assert min(ratios) == pytest.approx(1.15, abs=0.01) and max(ratios) == pytest.approx(2.8, abs=0.05)
    assert all(b["sharpness"] > 2 / lr_bn for s in (50, 200, 235, 1175) for b in BN[s]["batches"])
    align = {m: [b["grad_curvature"] / b["sharpness"] for s in (50, 200, 235, 1175) for b in pts[s]["batches"]]
             for m, pts in (("plain", PLAIN), ("bn", BN))}
    assert round(min(align["plain"]), 2) == 0.76 and round(max(align["plain"]), 2) == 0.92
    assert round(min(align["bn"]), 2) == 0.53 and round(max(align["bn"]), 2) == 0.70


def test_docs_claim_c_learning_rate_sweep():
    assert all(r["diverged_at_step"] is None for r in RESULT["sweep"])  # no NaN anywhere
    lrs = RESULT["settings"]["sweep_lrs"]
    bn_acc = [np.mean([r["final_test_acc"] for r in _sweep("lenet-bn-scratch", lr)]) for lr in lrs]
    assert round(min(bn_acc), 3) == 0.694 and round(max(bn_acc), 3) == 0.803
    assert round(min(r["final_test_acc"] for r in RESULT["sweep"] if r["model"] == "lenet-bn-scratch"), 3) == 0.598
    for lr in (0.03, 0.1, 10.0):  # the plain LeNet at chance on both seeds
        assert all(r["final_test_acc"] == 0.1 and r["final_train_loss"] > 2.3 for r in _sweep("lenet", lr)), lr
    for lr in (0.3, 1.0):
        assert all(r["final_test_acc"] > 0.5 for r in _sweep("lenet", lr)), lr
    s0, s1 = sorted(_sweep("lenet", 3.0), key=lambda r: r["seed"])
    assert s0["final_test_acc"] == 0.1 and round(s1["final_test_acc"], 3) == 0.647  # lr 3: the edge for the plain LeNet
    spread = [abs(a["final_train_loss"] - b["final_train_loss"]) for a, b in
              (sorted(_sweep("lenet-bn-scratch", lr), key=lambda r: r["seed"]) for lr in lrs)]
    assert round(max(spread), 3) == 0.051


def test_docs_method_checks():
    batches = [b for pts in (PLAIN, BN) for p in pts.values() for b in p["batches"]]
    assert all(b["converged"] for b in batches)
    iterations = [b["power_iterations"] for b in batches]
    assert (min(iterations), max(iterations)) == (6, 77)
    gaps = [(b["lanczos_max"] - b["sharpness"]) / b["lanczos_max"] for b in batches]
    assert 0 <= min(gaps) and max(gaps) < 0.011
    assert PLAIN[0]["batches"][0]["fd_check"]["rel_diff"] < 1.1e-8
    assert BN[0]["batches"][0]["fd_check"]["rel_diff"] < 6.1e-6


def test_docs_measuring_does_not_disturb_training():
    """The plain LeNet at lr 0.9 trains exactly as in docs/gradient_flow.json (section 6), measurements and all."""
    flow = json.loads((ROOT / "docs" / "gradient_flow.json").read_text())
    reference = next(r for r in flow["runs"] if r["model"] == "lenet" and r["lr"] == 0.9)
    ours = next(r for r in RESULT["landscape"] if r["model"] == "lenet")
    assert ours["test_acc"] == [e["test_acc"] for e in reference["epochs"]][:len(ours["test_acc"])]
    assert [round(a, 3) for a in ours["test_acc"]] == [0.1, 0.565, 0.701, 0.726, 0.73]


SEED1 = json.loads((ROOT / "docs" / "bn_landscape_seed1.json").read_text())


def test_docs_second_seed_paragraphs_are_the_committed_seed1_json():
    """docs/batchnorm.md, "A second training seed", number by number against docs/bn_landscape_seed1.json."""
    assert SEED1["settings"]["seed"] == 1 and SEED1["settings"]["sweep_lrs"] == []
    assert {k: v for k, v in SEED1["settings"].items() if k not in {"data_dir", "out", "replot", "seed", "sweep_lrs"}} \
        == {k: v for k, v in RESULT["settings"].items() if k not in {"data_dir", "out", "replot", "seed", "sweep_lrs"}}
    assert round(SEED1["seconds"]["landscape"] / 60, 1) == 3.4 and round(SEED1["machine"]["load_average"][0], 1) == 4.3
    pts = {r["model"]: {p["step"]: p for p in r["points"]} for r in SEED1["landscape"]}
    plain, bn = pts["lenet"], pts["lenet-bn-scratch"]

    def mean(points, step, key, digits=2):
        return round(points[step][key]["mean"], digits)

    assert (mean(plain, 200, "loss"), mean(plain, 235, "loss")) == (2.12, 1.61)
    assert (round(PLAIN[200]["loss"]["mean"], 2), round(PLAIN[235]["loss"]["mean"], 2)) == (2.31, 2.31)  # seed 0
    measures = ("loss_range", "grad_change_max", "beta_max")
    assert all(bn[50][k]["mean"] > plain[50][k]["mean"] for k in measures)
    assert (mean(bn, 50, "loss_range"), mean(plain, 50, "loss_range"), mean(bn, 50, "beta_max"),
            mean(plain, 50, "beta_max")) == (3.14, 0.12, 2.19, 1.01)
    assert bn[0]["loss_range"]["mean"] < plain[0]["loss_range"]["mean"]
    assert (mean(bn, 0, "loss_range"), mean(plain, 0, "loss_range")) == (3.15, 4.36)
    assert all(bn[0][k]["mean"] > plain[0][k]["mean"] for k in ("grad_change_max", "beta_max"))
    # step 200: BN larger loss range and gradient change, smaller beta
    assert bn[200]["loss_range"]["mean"] > plain[200]["loss_range"]["mean"]
    assert bn[200]["grad_change_max"]["mean"] > plain[200]["grad_change_max"]["mean"]
    assert (mean(bn, 200, "beta_max"), mean(plain, 200, "beta_max")) == (2.04, 2.5)
    # end of epoch 1: BN smaller loss range and gradient change, larger beta
    assert (mean(bn, 235, "loss_range"), mean(plain, 235, "loss_range"), mean(bn, 235, "grad_change_max"),
            mean(plain, 235, "grad_change_max")) == (1.49, 3.22, 2.55, 3.03)
    assert bn[235]["beta_max"]["mean"] > plain[235]["beta_max"]["mean"]
    # epoch 5: BN smaller loss range and beta, larger gradient change; the batches' ranges overlap on all three
    assert (round(bn[1175]["loss"]["mean"], 3), round(plain[1175]["loss"]["mean"], 3)) == (0.298, 0.594)
    assert (round(bn[1175]["loss_range"]["mean"], 3), round(plain[1175]["loss_range"]["mean"], 3)) == (0.656, 0.911)
    assert (mean(bn, 1175, "beta_max"), mean(plain, 1175, "beta_max")) == (1.35, 1.66)
    assert (mean(bn, 1175, "grad_change_max"), mean(plain, 1175, "grad_change_max")) == (2.17, 1.88)
    assert all(bn[1175][k]["min"] < plain[1175][k]["max"] and plain[1175][k]["min"] < bn[1175][k]["max"]
               for k in measures)
    # sharpness
    assert (round(bn[0]["sharpness"]["mean"], 1), round(bn[0]["lanczos_min"]["mean"], 1)) == (35.6, -20.4)
    assert (mean(plain, 0, "sharpness"), round(plain[0]["lanczos_min"]["mean"], 3)) == (4.63, -0.279)
    assert mean(bn, 0, "grad_curvature") == 5.03 and BN[0]["grad_curvature"]["mean"] < 0
    lr_plain, lr_bn = SEED1["settings"]["lr_plain"], SEED1["settings"]["lr_bn"]
    assert [round(plain[s]["sharpness"]["mean"] * lr_plain / 2, 2) for s in (200, 235, 1175)] == [1.29, 1.23, 0.92]
    bn_ratios = [round(bn[s]["sharpness"]["mean"] * lr_bn / 2, 2) for s in (50, 200, 235)]
    assert (min(bn_ratios), max(bn_ratios)) == (1.38, 1.98)
    assert round(bn[1175]["sharpness"]["mean"] * lr_bn / 2, 2) == 1.02
