"""The thread-split CPU paths compute exactly what the single-thread paths compute."""
import numpy as np
import pytest

import minigrad
from minigrad import parallel
from minigrad.nn import functional as F


@pytest.fixture
def threads(monkeypatch):
    """Run a function on one thread and on three (every op split, however small); restore afterwards."""
    monkeypatch.setattr(parallel, "MIN_ELEMENTS", 0)
    before = parallel.get_num_threads()

    def run(fn):
        results = []
        for n in (1, 3):
            parallel.set_num_threads(n)
            results.append(fn())
        return results
    yield run
    parallel.set_num_threads(before)


def forward_and_grads(fn, arrays, seed=0):
    inputs = [minigrad.tensor(a, requires_grad=True) for a in arrays]
    out = fn(*inputs)
    out.backward(np.random.default_rng(seed).standard_normal(out.shape))
    return [out.numpy()] + [t.grad.numpy() for t in inputs]


CASES = {
    "conv2d": (lambda x, w, b: F.conv2d(x, w, b), [(4, 3, 9, 10), (5, 3, 3, 3), (5,)]),
    "conv2d_stride_pad": (lambda x, w, b: F.conv2d(x, w, b, stride=2, padding=1), [(3, 2, 7, 9), (4, 2, 3, 2), (4,)]),
    "avg_pool": (lambda x: F.avg_pool2d(x, 2), [(4, 5, 8, 6)]),
    "avg_pool_overlap": (lambda x: F.avg_pool2d(x, 3, stride=1, padding=1), [(3, 4, 6, 5)]),
    "max_pool": (lambda x: F.max_pool2d(x, 2), [(3, 5, 6, 8)]),
    "batch_norm_4d": (lambda x, g, b: F.BatchNormFunction()(x, g, b), [(4, 5, 3, 6), (5,), (5,)]),
    "batch_norm_2d": (lambda x, g, b: F.BatchNormFunction()(x, g, b), [(9, 7), (7,), (7,)]),
    "sigmoid": (lambda x: x.sigmoid(), [(4, 3, 5, 7)]),
    "conv_bn_sigmoid_pool": (lambda x, w: F.avg_pool2d(
        F.BatchNormFunction()(F.conv2d(x, w), minigrad.ones(4, dtype="float64"), minigrad.zeros(4, dtype="float64"))
        .sigmoid(), 2), [(6, 2, 10, 10), (4, 2, 3, 3)]),
}


@pytest.mark.parametrize("name", list(CASES))
def test_split_equals_single_thread(name, threads):
    fn, shapes = CASES[name]
    rng = np.random.default_rng(1)
    arrays = [rng.permutation(int(np.prod(s))).reshape(s) / np.prod(s) - 0.5 for s in shapes]
    single, split = threads(lambda: forward_and_grads(fn, arrays))
    for a, b in zip(single, split):
        np.testing.assert_allclose(b, a, rtol=1e-12, atol=1e-13)


@pytest.mark.parametrize("name", ["conv2d_stride_pad", "batch_norm_4d", "conv_bn_sigmoid_pool"])
def test_gradcheck_with_threads(name, threads):
    fn, shapes = CASES[name]
    rng = np.random.default_rng(2)
    inputs = [minigrad.tensor(rng.standard_normal(s), requires_grad=True) for s in shapes]
    assert threads(lambda: minigrad.gradcheck(fn, inputs)) == [True, True]


def test_chunks_cover_the_range_once():
    for total, parts in [(10, 3), (2, 4), (7, 7), (1000, 2)]:
        pieces = parallel.chunks(total, parts)
        covered = [i for a, b in pieces for i in range(a, b)]
        assert covered == list(range(total))
        assert max(b - a for a, b in pieces) - min(b - a for a, b in pieces) <= 1


def test_parallel_for_propagates_errors(threads):
    def fail(a, b):
        if a > 0:
            raise ValueError(f"chunk {a}")
    parallel.set_num_threads(2)
    with pytest.raises(ValueError, match="chunk"):
        parallel.parallel_for(fail, 10, 10)


def test_elementwise_falls_back_on_mixed_layouts():
    x = np.arange(24.0).reshape(2, 3, 4)
    y = np.ascontiguousarray(x.transpose(2, 0, 1)).transpose(1, 2, 0)   # same values, another layout
    out = np.empty_like(x)
    parallel.elementwise(lambda o, a, b: np.add(a, b, out=o), out, x, y)
    np.testing.assert_array_equal(out, 2 * x)


def test_set_num_threads_rejects_zero():
    with pytest.raises(ValueError, match="at least 1"):
        parallel.set_num_threads(0)
