"""minigrad's own threads (``threads.split``, ``threads.gemm``): the parts, their exceptions, the cases that run
alone, and the ops split over them giving the values of one thread (the GEMMs' within rounding, as OpenBLAS's own
threads give)."""
import multiprocessing
import threading

import numpy as np
import pytest

import minigrad
import minigrad.nn.functional as F
from minigrad import backend, threads
from minigrad.ops.utils import select


@pytest.fixture
def two_threads(monkeypatch):
    """Two threads that split any work (the suite runs with one), no spin window; restored after."""
    minigrad.set_num_threads(2)
    monkeypatch.setattr(threads, "MIN_PART_WORK", 1)
    monkeypatch.setattr(threads, "SPIN_SECONDS", 0.0)
    monkeypatch.setattr(threads._pool, "spinning_until", 0.0)
    monkeypatch.setattr(threads._pool, "split_until", 0.0)
    yield
    minigrad.set_num_threads(1)


@pytest.fixture
def handovers(monkeypatch):
    """How many parts were handed to worker threads so far (a list of one count)."""
    count, inboxes = [0], threads._pool.inboxes

    def counted(k):
        count[0] += k
        return inboxes(k)
    monkeypatch.setattr(threads._pool, "inboxes", counted)
    return count


def _parts(n, work, align=1):
    """The (lo, hi, thread) of each part ``split`` runs."""
    seen, lock = [], threading.Lock()

    def part(lo, hi):
        with lock:
            seen.append((lo, hi, threading.get_ident()))
    threads.split(part, n, work, align)
    return sorted(seen)


@pytest.mark.timeout(60)
@pytest.mark.parametrize("count, n, align, bounds", [
    (2, 10, 1, [0, 5, 10]),
    (3, 10, 1, [0, 3, 6, 10]),
    (3, 44, 8, [0, 16, 32, 44]),   # cut at multiples of 8; the last part takes the rest
    (2, 12, 8, [0, 8, 12]),
    (4, 3, 1, [0, 1, 2, 3]),       # no more parts than items
])
def test_split_cuts_the_range_into_one_part_per_thread(two_threads, count, n, align, bounds):
    minigrad.set_num_threads(count)
    parts = _parts(n, 10 ** 6, align)
    assert [(lo, hi) for lo, hi, _ in parts] == list(zip(bounds[:-1], bounds[1:]))
    assert len({ident for _, _, ident in parts}) == len(parts)
    assert threading.get_ident() in {ident for lo, _, ident in parts if lo == 0}  # the caller runs the first


@pytest.mark.parametrize("count, work", [(1, 10 ** 9), (2, 1)])
def test_split_runs_alone_with_one_thread_or_too_little_work(two_threads, monkeypatch, count, work):
    minigrad.set_num_threads(count)
    monkeypatch.setattr(threads, "MIN_PART_WORK", 100)
    assert _parts(10, work) == [(0, 10, threading.get_ident())]


@pytest.mark.timeout(60)
def test_a_parts_exception_reaches_the_caller_once_every_part_has_run(two_threads):
    finished = []

    def part(lo, hi):
        if lo:
            raise ValueError(f"part {lo}-{hi} failed")
        finished.append(lo)
    with pytest.raises(ValueError, match="part 5-10 failed"):
        threads.split(part, 10, 10 ** 6)
    assert finished == [0]
    assert len(_parts(10, 10 ** 6)) == 2  # the workers still serve


@pytest.mark.timeout(60)
def test_a_split_inside_a_part_or_beside_another_runs_alone(two_threads):
    inner, release, started = [], threading.Event(), threading.Event()

    def part(lo, hi):
        inner.append(_parts(4, 10 ** 6))
    threads.split(part, 2, 10 ** 6)
    assert [len(p) for p in inner] == [1, 1]  # each part's own split ran in one call, on its thread

    def holding(lo, hi):
        started.set()
        release.wait(30)
    outer = threading.Thread(target=threads.split, args=(holding, 2, 10 ** 6))
    outer.start()
    started.wait(30)
    try:
        assert _parts(10, 10 ** 6) == [(0, 10, threading.get_ident())]  # the pool is taken: alone
    finally:
        release.set()
        outer.join(30)


def test_a_mid_sized_gemm_runs_on_openblas_threads_and_keeps_splits_off_while_they_spin(two_threads, monkeypatch):
    calls = []
    monkeypatch.setattr(threads, "_set_blas_threads", calls.append)
    monkeypatch.setattr(threads, "SPIN_SECONDS", 60.0)
    monkeypatch.setattr(threads, "MIN_PART_WORK", 1 << 40)  # no GEMM large enough to split
    a, b = np.ones((64, 128), np.float32), np.ones((128, 256), np.float32)  # 2^21 multiply-adds
    np.testing.assert_array_equal(backend.matmul(a, b), a @ b)
    backend.matmul(a, b)
    assert calls == [2]  # and BLAS keeps it for its other calls
    monkeypatch.setattr(threads, "MIN_PART_WORK", 1)
    assert len(_parts(10, 10 ** 6)) == 1  # OpenBLAS's workers may spin: minigrad's threads wait their turn
    monkeypatch.setattr(threads._pool, "spinning_until", 0.0)
    assert len(_parts(10, 10 ** 6)) == 2
    assert calls == [2, 1]  # a split's parts call BLAS on their own threads


def test_after_a_split_a_mid_sized_gemm_runs_alone(two_threads, monkeypatch):
    calls = []
    monkeypatch.setattr(threads, "_set_blas_threads", calls.append)
    monkeypatch.setattr(threads, "SPIN_SECONDS", 60.0)
    assert len(_parts(10, 10 ** 6)) == 2
    monkeypatch.setattr(threads, "MIN_PART_WORK", 1 << 40)
    a, b = np.ones((64, 128), np.float32), np.ones((128, 256), np.float32)
    backend.matmul(a, b)
    assert calls == []  # minigrad's threads had the cores a moment ago: OpenBLAS's stay asleep


@pytest.mark.skipif(not threads._BLAS_SETTERS, reason="NumPy here has no OpenBLAS whose threads minigrad sets")
def test_blas_goes_back_to_one_thread_when_the_count_drops(two_threads, monkeypatch):
    """A neighbour that takes a core must not find OpenBLAS's workers spinning (the collapse of threads.py)."""
    monkeypatch.setattr(threads, "MIN_PART_WORK", 1 << 40)
    a, b = np.ones((64, 128), np.float32), np.ones((128, 256), np.float32)
    backend.matmul(a, b)
    assert threads._blas_threads() == 2
    minigrad.set_num_threads(1)
    assert threads._blas_threads() == 1


def _threads_in_a_child(queue):
    minigrad.set_num_threads(2)
    threads.MIN_PART_WORK = 1
    queue.put(len({ident for _, _, ident in _parts(10, 10 ** 6)}))


@pytest.mark.timeout(120)
def test_a_forked_child_splits_over_threads_of_its_own(two_threads):
    assert len(_parts(10, 10 ** 6)) == 2  # the parent's worker exists before the fork
    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    child = context.Process(target=_threads_in_a_child, args=(queue,))
    child.start()
    try:
        assert queue.get(timeout=60) == 2
    finally:
        child.join(60)
    assert child.exitcode == 0


def _batch_last(rng, shape):
    """A float32 array of ``shape`` (N, C, ...) laid out batch-last, as the conv stack keeps activations."""
    a = rng.standard_normal(shape[1:] + shape[:1]).astype(np.float32)
    return a.transpose((a.ndim - 1,) + tuple(range(a.ndim - 1)))


def _values(fn, arrays, gy_seed=5):
    """fn's output and the gradients of its inputs (in their layouts), for one random upstream gradient."""
    ts = [minigrad.from_numpy(np.array(a, order="K")).requires_grad_() for a in arrays]
    y = fn(*ts)
    y.backward(minigrad.tensor(np.random.default_rng(gy_seed).standard_normal(y.shape).astype(np.float32)))
    return [y.numpy()] + [t.grad.numpy() for t in ts]


CASES = {  # name: (fn, input shapes (None: batch-last activations' (N, C, H, W)), exact)
    "batch_norm": (lambda x, w, b: F.batch_norm(x, None, None, w, b, training=True), [(8, 44, 10, 10), (44,), (44,)],
                   True),
    "relu": (F.relu, [(8, 44, 10, 10)], True),
    "max_pool2d": (lambda x: F.max_pool2d(x, 3, 2, 1), [(8, 44, 10, 10)], True),
    "avg_pool2d": (lambda x: F.avg_pool2d(x, 2), [(8, 44, 10, 10)], True),
    "cat": (lambda x: minigrad.cat([x[:, 20:] * 2, x, x[:, :20]], 1), [(8, 44, 10, 10)], True),  # batch-last
    "conv2d by kernel rows": (lambda x, w: F.conv2d(x, w, padding=1), [(4, 64, 9, 9), (32, 64, 3, 3)], False),
    "conv2d by columns": (lambda x, w: F.conv2d(x, w, padding=1), [(4, 8, 9, 9), (16, 8, 3, 3)], False),
    "conv2d stride 2": (lambda x, w: F.conv2d(x, w, stride=2, padding=1), [(4, 8, 9, 9), (16, 8, 3, 3)], False),
    "conv2d pointwise": (lambda x, w: F.conv2d(x, w), [(4, 24, 6, 6), (40, 24, 1, 1)], False),
    "linear": (F.linear, [(64, 50), (30, 50)], False),
}


@pytest.mark.timeout(120)
@pytest.mark.parametrize("name", CASES)
@pytest.mark.parametrize("count", [2, 3])
def test_an_op_split_over_threads_gives_the_values_of_one(two_threads, handovers, name, count):
    fn, shapes, exact = CASES[name]
    rng = np.random.default_rng(0)
    arrays = [_batch_last(rng, s) if len(s) == 4 and i == 0 else rng.standard_normal(s).astype(np.float32)
              for i, s in enumerate(shapes)]
    minigrad.set_num_threads(1)
    alone = _values(fn, arrays)
    minigrad.set_num_threads(count)
    split = _values(fn, arrays)
    assert handovers[0] > 0
    for a, b in zip(alone, split):
        if exact:
            np.testing.assert_array_equal(b, a)
        else:  # a GEMM's blocking follows its shape: rounding differs, as between OpenBLAS's thread counts
            np.testing.assert_allclose(b, a, rtol=1e-5, atol=1e-6 * np.abs(a).max())


@pytest.mark.parametrize("bad", [np.inf, -np.inf, np.nan])
def test_select_split_stops_an_inf_or_nan_gradient_in_any_part(two_threads, handovers, bad):
    g = np.random.default_rng(0).standard_normal((6, 7, 5)).astype(np.float32)
    passes = g > 0
    g[5, 6, 4], passes[5, 6, 4] = bad, False   # in the last part: stopped
    g[0, 0, 0], passes[0, 0, 0] = bad, True    # in the first: passed on
    out = select(g, passes)
    assert handovers[0] > 0
    expected = np.where(passes, g, 0)
    np.testing.assert_array_equal(out, expected)


@pytest.mark.parametrize("shape_a, shape_b, transpose_b", [((5, 7), (7, 300), False), ((300, 7), (7, 5), False),
                                                           ((5, 7), (300, 7), True)])
def test_matmul_split_by_the_longer_side_of_the_output(two_threads, handovers, shape_a, shape_b, transpose_b):
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal(shape_a), rng.standard_normal(shape_b)
    b = b.T if transpose_b else b
    out = np.full((a.shape[0], b.shape[1]), np.nan)
    assert backend.matmul(a, b, out=out) is out
    assert handovers[0] > 0
    np.testing.assert_allclose(out, a @ b, rtol=1e-12)


@pytest.mark.timeout(60)
def test_each_part_runs_under_the_callers_errstate(two_threads):
    big = np.full(10, 3e38, np.float32)

    def part(lo, hi):
        big[lo:hi] * np.float32(10)
    with np.errstate(over="raise"), pytest.raises(FloatingPointError, match="overflow"):
        threads.split(lambda lo, hi: part(max(lo, 5), hi), 10, 10 ** 6)  # only the worker's part has values
