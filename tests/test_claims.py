"""Measured claims of README.md and docs/ that are cheap enough to assert (the list: docs/testing.md)."""
import os
import sys
from pathlib import Path

import pytest

import cpu_bounded

ROOT = Path(__file__).resolve().parents[1]

# Minor page faults per LeNet-BN training step (batch 64), after three warm-up steps, in a fresh process:
# the allocator setting is applied when minigrad is imported.
FAULTS_PER_STEP = """
import resource, numpy as np, minigrad
from minigrad import nn
from minigrad.train import init_weights, train_step
from models import lenet_bn_scratch
minigrad.set_num_threads(1)
minigrad.manual_seed(0)
net = init_weights(lenet_bn_scratch())
opt, loss_fn = minigrad.optim.SGD(net.parameters(), lr=0.1), nn.CrossEntropyLoss()
rng = np.random.default_rng(0)
X, y = minigrad.tensor(rng.random((64, 1, 28, 28), dtype=np.float32)), minigrad.tensor(rng.integers(0, 10, 64))
for _ in range(3):
    train_step(net, X, y, loss_fn, opt)
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for _ in range(3):
    train_step(net, X, y, loss_fn, opt)
print((resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before) / 3)
"""


# Minor page faults per 64 MiB array (above glibc's largest mmap threshold, as ResNet's im2col buffers are) made,
# filled and freed again, after one such array.
FAULTS_PER_LARGE_ARRAY = """
import resource, numpy as np, minigrad
np.ones(8 << 20).sum()
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for _ in range(3):
    np.ones(8 << 20).sum()
print((resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before) / 3)
"""


def faults_with_and_without_the_setting(script):
    """{MINIGRAD_KEEP_MALLOC: the minor page faults ``script`` prints}, each in a fresh process."""
    faults = {}
    for keep in ("0", "1"):
        env = dict(os.environ, MINIGRAD_KEEP_MALLOC=keep, OPENBLAS_NUM_THREADS="1")
        run = cpu_bounded.run([sys.executable, "-c", script], 100, cwd=ROOT, env=env, capture_output=True,
                              text=True)
        assert run.returncode == 0, run.stderr
        faults[keep] = float(run.stdout)
    return faults


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the allocator setting is for glibc on Linux")
@cpu_bounded.hang_guard
def test_freed_memory_kept_by_the_allocator_even_above_the_mmap_threshold():
    """docs/performance.md: mmap is off, so a freed 64 MiB array's memory is reused; glibc's defaults map fresh
    pages each time, which the kernel zeroes and faults in: at least 32 faults (2 MiB huge pages), 16,384 with
    4 KiB pages (this machine: 544)."""
    faults = faults_with_and_without_the_setting(FAULTS_PER_LARGE_ARRAY)
    assert faults["0"] < 10 and faults["1"] >= 32, faults


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the allocator setting is for glibc on Linux")
@cpu_bounded.hang_guard
def test_freed_memory_kept_by_the_allocator_means_no_page_faults_per_step():
    """docs/performance.md: with the mmap and trim thresholds raised at import a training step takes no minor
    page faults; with glibc's defaults (MINIGRAD_KEEP_MALLOC=1) it takes thousands (6,301 at batch 256)."""
    faults = faults_with_and_without_the_setting(FAULTS_PER_STEP)
    assert faults["0"] < 50 and faults["1"] > 1000, faults
