"""threads.split: large NumPy work (pooling and its gradient, padding copies) divided among the threads minigrad
gives BLAS. The split results are the unsplit ones, bit for bit (each part writes its own channels; no sum changes
order); a part's exception reaches the caller after every part has ended; one thread splits nothing."""
import threading
import time

import numpy as np
import pytest

import minigrad
from minigrad import threads
from minigrad.nn import functional as F


@pytest.fixture
def two_threads(monkeypatch):
    """split_count() 2, whatever the machine's load, without touching BLAS."""
    monkeypatch.setitem(threads._auto, "threads", 2)


def record_parts(monkeypatch):
    """The (lo, hi, thread id) of every part that threads.split runs from now on."""
    parts, real = [], threads._run_part

    def spy(work, lo, hi):
        parts.append((lo, hi, threading.get_ident()))
        real(work, lo, hi)

    monkeypatch.setattr(threads, "_run_part", spy)
    return parts


def test_the_parts_cover_the_range_once_on_two_threads(two_threads, monkeypatch):
    parts, out = record_parts(monkeypatch), np.zeros(1 << 22)   # 32 MiB: above SPLIT_BYTES

    def work(lo, hi):
        out[lo:hi] += 1
    threads.split(out.size, work, out)
    assert sorted((lo, hi) for lo, hi, _ in parts) == [(0, 1 << 21), (1 << 21, 1 << 22)]
    assert len({ident for _, _, ident in parts}) == 2 and threading.get_ident() in {i for _, _, i in parts}
    np.testing.assert_array_equal(out, 1)


@pytest.mark.parametrize("count, nbytes, parts", [(1, 1 << 25, 1), (2, threads.SPLIT_BYTES - 8, 1),
                                                  (2, threads.SPLIT_BYTES, 2), (3, 1 << 25, 3)])
def test_small_work_or_one_thread_runs_here_unsplit(count, nbytes, parts, monkeypatch):
    monkeypatch.setitem(threads._auto, "threads", count)
    seen = []
    threads.split(10, lambda lo, hi: seen.append((lo, hi, threading.get_ident())), np.empty(nbytes, dtype=np.uint8))
    assert sorted(lo for lo, _, _ in seen) == [10 * k // parts for k in range(parts)]
    if parts == 1:
        assert seen == [(0, 10, threading.get_ident())]


def test_arrays_that_are_not_numpys_are_not_split(two_threads, monkeypatch):
    """A GPU array's work stays on the thread that holds its device."""
    class NotNumpy:
        nbytes = 1 << 30
    seen = []
    threads.split(4, lambda lo, hi: seen.append((lo, hi, threading.get_ident())), np.empty(1 << 25, dtype=np.uint8),
                  NotNumpy())
    assert seen == [(0, 4, threading.get_ident())]


@pytest.mark.timeout(60)
@pytest.mark.parametrize("failing", [0, 1])
def test_an_error_in_a_part_is_raised_after_every_part_ended(failing, two_threads, monkeypatch):
    """Either part's exception reaches the caller, and not before the other part has finished writing."""
    monkeypatch.setattr(threads, "SPLIT_BYTES", 0)
    ended = []

    def work(lo, hi):
        if lo == failing:
            raise KeyError(f"part {lo}")
        time.sleep(0.2)
        ended.append(lo)
    with pytest.raises(KeyError, match=f"part {failing}"):
        threads.split(2, work)
    assert ended == [1 - failing]
    threads.split(2, lambda lo, hi: ended.append(lo))   # the pool still works afterwards
    assert sorted(ended[1:]) == [0, 1]


def test_a_split_inside_a_part_runs_on_the_parts_thread(two_threads, monkeypatch):
    monkeypatch.setattr(threads, "SPLIT_BYTES", 0)
    inner = []

    def outer(lo, hi):
        threads.split(4, lambda a, b: inner.append((lo, a, b, threading.get_ident())))
    threads.split(2, outer)
    assert sorted(i[:3] for i in inner) == [(0, 0, 4), (1, 0, 4)]


# -- the split ops equal the unsplit ones --------------------------------------------------------------------

POOLS = [(F.max_pool2d, 3, 2, 1), (F.max_pool2d, 2, 2, 0), (F.avg_pool2d, 3, 2, 1), (F.avg_pool2d, 2, 2, 0)]


def run_pool(pool, kernel, stride, padding, layout):
    rng = np.random.default_rng(5)
    values = rng.standard_normal((64, 64, 32, 32)).astype(np.float32)   # 16 MiB
    values[0, 3, 4:6, 4:6] = values[0, 3, 4, 4]         # ties: the first maximum wins
    values[1, 5, 7, 7] = np.nan                         # a NaN window
    if layout == "batch-last":
        values = np.ascontiguousarray(values.transpose(1, 2, 3, 0)).transpose(3, 0, 1, 2)
    x = minigrad.tensor(values, requires_grad=True)
    y = pool(x, kernel, stride, padding)
    y.backward(minigrad.tensor(rng.standard_normal(y.shape).astype(np.float32)))
    return y.numpy(), x.grad.numpy()


@pytest.mark.parametrize("pool, kernel, stride, padding", POOLS)
@pytest.mark.parametrize("layout", ["C", "batch-last"])
def test_split_pooling_equals_the_unsplit_one(pool, kernel, stride, padding, layout, monkeypatch):
    """The forward (padding, windows) and the gradient at the default SPLIT_BYTES (each reads and writes more than
    16 MiB, here), split in halves of the channels, against one thread."""
    monkeypatch.setitem(threads._auto, "threads", 1)
    alone = run_pool(pool, kernel, stride, padding, layout)
    monkeypatch.setitem(threads._auto, "threads", 2)
    parts = record_parts(monkeypatch)
    split = run_pool(pool, kernel, stride, padding, layout)
    assert {(lo, hi) for lo, hi, _ in parts} == {(0, 32), (32, 64)}
    assert len(parts) == 2 * (2 + bool(padding))   # forward, gradient and the padding copy, in two parts each
    for a, b in zip(alone, split):
        np.testing.assert_array_equal(a, b)
