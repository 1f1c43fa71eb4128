"""scripts/bench.py's modes on tiny settings: the modern CNNs with the per-layer profile, minigrad's thread settings,
and --under-load's busy process, which is gone afterwards (also after an error, or when the script dies). No timing
is asserted: the numbers are the bench's to report, not a test's."""
import sys
import time
from pathlib import Path

import pytest

import cpu_bounded
import minigrad
from minigrad import threads
from scripts_loader import load_script

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def bench():
    return load_script("bench")


@pytest.fixture(autouse=True)
def _one_thread_after():
    yield
    minigrad.set_num_threads(1)  # the suite's setting (conftest.py), whatever a test chose


def gone(pid):
    """True once process ``pid`` has ended (no such process, or a zombie nobody reaped yet)."""
    try:
        with open(f"/proc/{pid}/status") as f:
            return any(line.startswith("State:") and "Z" in line.split()[1] for line in f)
    except FileNotFoundError:
        return True


def test_flags_and_per_model_defaults(bench):
    args = bench.parse_args(["--model", "resnet18", "--threads", "auto", "1", "--under-load"])
    assert args.models == ["resnet18"] and args.threads == ["auto", 1] and args.under_load
    run = bench.settings(args, "resnet18")
    assert (run.image_size, run.batch_size, run.steps) == (96, 128, 2)  # the book's 96x96, batch 128
    run = bench.settings(bench.parse_args(["--batch-size", "64"]), "lenet-bn")
    assert (run.image_size, run.batch_size, run.steps, run.memory_steps) == (28, 64, 20, 50)


@pytest.mark.parametrize("argv, message", [
    (["--threads", "0"], "argument --threads: must be at least 1, got 0"),
    (["--threads", "many"], "argument --threads: expected an integer, got 'many'"),
    (["--models", "resnet"], "argument --models: invalid choice: 'resnet'"),
    (["--load-limit", "0"], "argument --load-limit: must be at least 1, got 0"),
])
def test_new_flags_name_themselves_in_errors(bench, capsys, argv, message):
    with pytest.raises(SystemExit):
        bench.parse_args(argv)
    assert message in capsys.readouterr().err


@cpu_bounded.hang_guard  # work done in this process: the wall clock only guards against a hang
def test_smoke_modern_cnns_profiled_under_load(bench, capsys):
    results = bench.main(["--models", "resnet18", "densenet", "--batch-size", "2", "--steps", "1", "--repeats", "1",
                          "--warmup", "0", "--profile", "--under-load", "--threads", "auto", "1", "--no-memory",
                          "--load-limit", "300", "--profile-clock", "cpu"])
    assert gone(results["busy_pid"])
    out = capsys.readouterr().out
    assert "beside one busy process of the script's own" in out
    for model, convs3, convs1, bns in (("resnet18", 16, 3, 17), ("densenet", 16, 3, 21)):
        r = results[model]
        assert set(r) >= {"minigrad auto", "minigrad 1T", "profile", "load_average"}
        assert r["minigrad 1T"]["threads"] == [1]
        assert 1 <= r["minigrad auto"]["threads"][0] <= len(threads.os.sched_getaffinity(0))
        kinds = r["profile"]["by_kind"]
        counts = (kinds["3x3 conv"]["layers"], kinds["1x1 conv"]["layers"], kinds["BN"]["layers"])
        assert counts == (convs3, convs1, bns)
        assert kinds["7x7 conv"]["layers"] == 1 and kinds["pool"]["layers"] == (2 if model == "resnet18" else 5)
        rows = r["profile"]["by_layer"]
        assert all(row["forward_ms"] >= 0 and row["backward_ms"] >= 0 for row in rows)
        assert sum(row["forward_ms"] + row["backward_ms"] for row in rows) > 0
        assert f"per-layer profile of {model} (batch 2, 96x96" in out and r["profile"]["clock"] == "cpu"
    assert results["resnet18"]["profile"]["by_kind"]["add"]["layers"] == 8   # one per Residual block
    assert results["densenet"]["profile"]["by_kind"]["cat"]["layers"] == 4   # one row per dense block (4 cats each)
    assert "add" not in results["densenet"]["profile"]["by_kind"]


def test_the_busy_neighbour_is_killed_on_an_exception(bench):
    with pytest.raises(KeyboardInterrupt):
        with bench.busy_neighbour(300) as proc:
            time.sleep(0.2)
            assert proc.poll() is None  # running
            raise KeyboardInterrupt
    assert proc.poll() is not None and gone(proc.pid)


def test_the_busy_neighbour_ends_by_itself(bench):
    with bench.busy_neighbour(1) as proc:
        assert proc.wait(timeout=60) == 0  # its 1 s limit; 60 s only guards against a hang (it is killed after it)


@cpu_bounded.hang_guard
def test_the_busy_neighbour_ends_when_the_script_dies(bench):
    """A bench killed without cleanup (here: os._exit) leaves no busy process behind."""
    code = (f"import os, sys\nsys.path.insert(0, {str(ROOT / 'tests')!r})\n"
            "from scripts_loader import load_script\nb = load_script('bench')\n"
            "cm = b.busy_neighbour(300); proc = cm.__enter__(); print(proc.pid, flush=True); os._exit(0)\n")
    out = cpu_bounded.run([sys.executable, "-c", code], 60, capture_output=True, text=True, cwd=ROOT)
    assert out.returncode == 0, out.stderr
    pid = int(out.stdout.split()[-1])
    # it checks for its parent at every turn of its loop, so it ends within milliseconds of CPU time; 60 s of wall
    # clock lie far above that on any load, and far below its own 300 s limit, which a broken check would reach
    deadline = time.monotonic() + 60
    while not gone(pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert gone(pid)


def test_the_ratio_is_given_of_the_medians_and_repeat_by_repeat(bench, capsys):
    """--compare-torch's table (fed here by hand, no PyTorch needed): the ratio of the median rates, then the median
    and range of the ratios of the two runs of each repeat, which were timed back to back."""
    row = {"ms_per_step": 1.0, "cpu_ms_per_step": 1.0, "threads": [2, 2, 2]}
    by_fw = {"settings": {"batch_size": 4, "image_size": 28, "repeats": 3, "steps": 1}, "load_average": (0.1, 0.2),
             "minigrad": dict(row, median=100.0, min=60.0, max=110.0, rates=[100.0, 60.0, 110.0]),
             "torch": dict(row, median=100.0, min=50.0, max=120.0, rates=[50.0, 100.0, 120.0])}
    bench.print_table("lenet-bn", by_fw)
    out = capsys.readouterr().out
    assert by_fw["minigrad"]["ratio"] == {"torch": 1.0}
    paired = by_fw["minigrad"]["paired_ratio"]["torch"]
    assert paired == {"median": 110.0 / 120.0, "min": 0.6, "max": 2.0}  # 2.0, 0.6 and 0.9167, repeat by repeat
    assert "1.00x  (minigrad / torch)" in out and "0.92x  repeat by repeat (0.60-2.00x; each pair" in out
