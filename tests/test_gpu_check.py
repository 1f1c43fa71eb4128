"""scripts/gpu_check.sh fails, in one line, when it cannot verify anything (no GPU, no CuPy)."""
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import minigrad

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "gpu_check.sh"
BASE_PATH = os.pathsep.join([str(Path(sys.executable).parent), "/usr/bin", "/bin"])


def run_check(tmp_path, *args, path=BASE_PATH):
    env = {**os.environ, "PATH": path, "OUT": str(tmp_path / "out")}
    return subprocess.run(["bash", str(SCRIPT), *args], capture_output=True, text=True, env=env, timeout=120)


def test_help_describes_every_step(tmp_path):
    done = run_check(tmp_path, "--help")
    assert done.returncode == 0 and done.stderr == ""
    assert done.stdout.startswith("usage: bash scripts/gpu_check.sh")
    for step in ("nvidia-smi", "skipped gpu test is a failure", "same seed", "--compare-torch", "MINIGRAD_DATA",
                 "--models resnet18 densenet"):
        assert step in done.stdout


def test_unknown_argument_is_refused(tmp_path):
    done = run_check(tmp_path, "--fast")
    assert done.returncode == 2
    assert done.stderr.strip() == "gpu_check.sh: unknown argument '--fast' (see --help)"


@pytest.mark.skipif(shutil.which("nvidia-smi", path=BASE_PATH) is not None, reason="this machine has nvidia-smi")
def test_without_a_gpu_it_fails_in_one_line(tmp_path):
    done = run_check(tmp_path)
    assert done.returncode == 1 and done.stderr == ""
    assert done.stdout.splitlines() == [
        "gpu_check: FAILED: no nvidia-smi on PATH: no NVIDIA driver or GPU here, nothing was verified"]


@pytest.mark.skipif(minigrad.cuda.is_available(), reason="CuPy and a GPU are available here")
def test_without_cupy_it_fails_in_one_line_after_naming_the_gpu(tmp_path):
    fake = tmp_path / "bin"
    fake.mkdir()
    (fake / "nvidia-smi").write_text("#!/bin/sh\necho 'Fake GPU, 1024 MiB, 1.0'\n")
    (fake / "nvidia-smi").chmod(0o755)
    done = run_check(tmp_path, path=f"{fake}{os.pathsep}{BASE_PATH}")
    assert done.returncode == 1 and done.stderr == ""
    lines = done.stdout.splitlines()
    assert lines[0] == "GPU: Fake GPU, 1024 MiB, 1.0"
    assert len(lines) == 2 and lines[1].startswith("gpu_check: FAILED: minigrad cannot use the GPU: ")
    assert lines[1].endswith("(install CuPy: pip install -e '.[cuda13]')")
    assert "Traceback" not in done.stdout
