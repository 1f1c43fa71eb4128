"""The paths of conv2d (nn/_functions/conv.py), each chosen by its shapes, against tests/naive.py to 1e-10 in float64:
the forward by kernel rows (stride 1, C/g >= ROWS_MIN_CHANNELS: lowered here to reach it) or from columns, the input
gradient as a convolution of gY with the flipped kernel (stride 1, O <= C) or by col2im, the weight gradient tap by
tap (stride 1 across) or from columns, the pointwise (1x1, stride 1, unpadded) GEMM, columns kept from the forward
or built in blocks of output rows (again in backward); the scratch buffer those blocks share (backend.scratch),
which no result may alias; and where the columns lie relative to the input (backend.empty_apart).
"""
import itertools
import threading

import numpy as np
import pytest

import minigrad
from minigrad import backend, gradcheck, gradgradcheck
from minigrad.nn import functional as F
from minigrad.nn._functions import conv

import naive
import test_references as references
from test_references import LAYOUTS, assert_close

PATH_CASES = [
    # (N, C, O, (H, W), kernel, stride, padding, dilation, groups), whether gx is a convolution of gY, whether gW
    # is built tap by tap (else from cols)
    ((2, 6, 3, (5, 7), 3, 1, 1, 1, 1), True, True),                # O < C, stride 1: DenseNet's case
    ((2, 4, 4, (6, 5), (3, 2), 1, (1, 0), 1, 1), True, True),      # O = C: the boundary, ResNet's case
    ((2, 4, 5, (6, 5), (3, 2), 1, (1, 0), 1, 1), False, True),     # O = C + 1: col2im
    ((2, 6, 3, (7, 8), 3, 2, 1, 1, 1), False, False),              # stride 2: col2im, gW from cols
    ((2, 6, 3, (7, 8), 3, (2, 1), 1, 1, 1), False, True),          # stride 2 down, 1 across: gW by taps
    ((2, 6, 3, (7, 8), 3, (1, 2), 1, 1, 1), False, False),         # stride 1 down, 2 across: gW from cols
    ((2, 6, 2, (5, 6), 3, 1, 3, 1, 1), True, True),                # padding 3 > k - 1: the flipped conv crops gY
    ((2, 6, 3, (5, 7), 3, 1, (3, 1), 1, 1), True, True),           # a tap reaches every column, no kernel row every row
    ((2, 7, 3, (6, 5), (3, 2), (2, 1), (2, 0), (1, 2), 1), False, True),  # O < C / 2: the forward tap by tap
    ((2, 6, 4, (9, 8), 3, 1, (2, 1), 2, 2), True, True),           # dilated and grouped
    ((2, 4, 6, (9, 8), 3, 1, (2, 1), (2, 1), 2), False, True),     # the same with O > C
    ((2, 6, 3, (4, 5), 1, 1, 0, 1, 1), True, False),               # pointwise, O < C: DenseNet's transitions
    ((2, 3, 5, (4, 5), 1, 1, 0, 1, 1), True, False),               # pointwise, O > C: still one GEMM
    ((2, 4, 6, (3, 4), 1, 1, 0, 1, 2), True, False),               # pointwise, grouped
    ((2, 3, 2, (4, 4), 1, 1, 1, 1, 1), True, True),                # 1x1 with padding: not pointwise
    ((2, 4, 2, (5, 6), 1, 2, 0, 1, 1), False, False),              # 1x1 of stride 2: ResNet's shortcut
]


def rows_bytes(n, c, hw, kernel, stride, padding, dilation, rows):
    """BLOCK_BYTES for blocks of ``rows`` output rows of this conv's columns (float64)."""
    kh, kw = naive.pair(kernel)
    args = conv.ConvArgs(naive.pair(stride), naive.pair(padding), naive.pair(dilation), 1)
    ow = args.out_hw((n, c) + hw, (kh, kw))[1]
    return rows * c * kh * kw * ow * n * 8


@pytest.mark.parametrize("case, by_convolution, by_taps", PATH_CASES)
@pytest.mark.parametrize("rows", [None, 1, 2])
@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("kernel_rows", [False, True])
def test_every_path_matches_naive_loops(case, by_convolution, by_taps, rows, layout, kernel_rows, monkeypatch):
    """rows None: the forward keeps its columns (few output channels, small); 1 and 2: none kept, blocks of that
    many output rows (the last one shorter where 2 does not divide OH), built again in backward. kernel_rows:
    ROWS_MIN_CHANNELS lowered to 1, so that every stride-1 forward that keeps no columns goes by kernel rows (the
    input gradients that are stride-1 convolutions of gY too), in blocks of 1 or 2 output rows."""
    n, c, o, hw, kernel, stride, padding, dilation, groups = case
    kh, kw = naive.pair(kernel)
    args = conv.ConvArgs(naive.pair(stride), naive.pair(padding), naive.pair(dilation), groups)
    if kernel_rows:
        monkeypatch.setattr(conv, "ROWS_MIN_CHANNELS", 1)
    assert conv._grad_by_convolution(args, (kh, kw), o, c) == by_convolution
    assert conv._weight_grad_by_taps(args, (kh, kw)) == by_taps
    by_kernel_rows = conv._forward_by_kernel_rows(args, (o, c // groups, kh, kw))
    assert by_kernel_rows == (kernel_rows and args.stride == (1, 1) and by_taps)
    if rows is not None:
        block = (rows * kw * o * hw[1] * n * 8 if by_kernel_rows  # a kernel row's product: kw*O x W*N per row
                 else rows_bytes(n, c, hw, kernel, stride, padding, dilation, rows))
        monkeypatch.setattr(conv, "BLOCK_BYTES", block)
        monkeypatch.setattr(conv, "KEEP_BYTES", 0)
    references.test_grouped_and_dilated_conv2d_match_naive_loops(*case, layout)


@pytest.mark.parametrize("case", [PATH_CASES[i][0] for i in (0, 2, 3, 5, 6, 7, 8, 10)])
@pytest.mark.parametrize("kernel_rows", [False, True])
def test_gradients_in_blocks_are_differentiable_again(case, kernel_rows, monkeypatch):
    """gradcheck and gradgradcheck (random upstream gradients) with a block per output row: the Conv2dGradInput
    and Conv2dGradWeight of the graph build their columns in blocks too; kernel_rows: every stride-1 forward, the
    graph's included, by kernel rows."""
    n, c, o, hw, kernel, stride, padding, dilation, groups = case
    if kernel_rows:
        monkeypatch.setattr(conv, "ROWS_MIN_CHANNELS", 1)
    monkeypatch.setattr(conv, "BLOCK_BYTES", rows_bytes(n, c, hw, kernel, stride, padding, dilation, 1))
    monkeypatch.setattr(conv, "KEEP_BYTES", 0)
    kh, kw = naive.pair(kernel)
    rng = np.random.default_rng(7)
    inputs = [minigrad.tensor(rng.standard_normal(shape), dtype=minigrad.float64, requires_grad=True)
              for shape in ((n, c) + hw, (o, c // groups, kh, kw), (o,))]

    def fn(x, w, b):
        return F.conv2d(x, w, b, stride, padding, dilation, groups)

    assert gradcheck(fn, inputs)
    assert gradgradcheck(lambda x, w, b: fn(x, w, b) ** 2, inputs)


@pytest.mark.parametrize("out_channels, kept", [(31, True), (32, False)])
def test_the_forward_keeps_the_columns_of_small_narrow_convs_only(out_channels, kept, monkeypatch):
    """Fewer than KEEP_BELOW_CHANNELS output channels and at most KEEP_BYTES of columns: kept (LeNet's convs);
    the gradient is the same either way."""
    rng = np.random.default_rng(11)
    x = minigrad.tensor(rng.standard_normal((2, 3, 6, 5)), requires_grad=True)
    w = minigrad.tensor(rng.standard_normal((out_channels, 3, 3, 3)), requires_grad=True)
    y = F.conv2d(x, w, padding=1)
    assert (y.grad_fn.cols is not None) == kept
    gy = rng.standard_normal(y.shape)
    y.backward(minigrad.tensor(gy))
    _, gx_ref, gw_ref, _ = naive.conv2d(x.numpy(), w.numpy(), None, 1, 1, gy)
    assert_close(x.grad.numpy(), gx_ref, "gx")
    assert_close(w.grad.numpy(), gw_ref, "gw")
    monkeypatch.setattr(conv, "KEEP_BYTES", 2 * 3 * 9 * 6 * 5 * 8 - 1)   # one byte short of these columns
    assert F.conv2d(x, w, padding=1).grad_fn.cols is None


def test_outputs_and_gradients_never_alias_the_scratch_buffer(monkeypatch):
    """Two convs' outputs and gradients keep their values after a third conv and its backward reuse the scratch
    buffers (forward columns or kernel rows' products, and col2im's), and none of them shares memory with those
    buffers."""
    monkeypatch.setattr(conv, "BLOCK_BYTES", 1)   # every conv in blocks of one output row, all in the scratch
    monkeypatch.setattr(conv, "ROWS_MIN_CHANNELS", 1)   # the stride-1 forwards by kernel rows
    monkeypatch.setattr(conv, "KEEP_BYTES", 0)
    rng = np.random.default_rng(3)
    cases = [((2, 3, 7, 6), (4, 3, 3, 3), 1), ((2, 3, 7, 6), (5, 3, 3, 3), 2), ((3, 4, 6, 6), (6, 4, 3, 3), 1)]
    results = []
    for x_shape, w_shape, stride in cases:
        x = minigrad.tensor(rng.standard_normal(x_shape), requires_grad=True)
        w = minigrad.tensor(rng.standard_normal(w_shape), requires_grad=True)
        y = F.conv2d(x, w, stride=stride, padding=1)
        y.backward(minigrad.tensor(rng.standard_normal(y.shape)))
        results.append((x, w, y))
        expected = naive.conv2d(x.numpy(), w.numpy(), None, stride, 1, np.zeros(y.shape))[0]
        assert_close(y.numpy(), expected, "y")
    snapshots = [[t.numpy().copy() for t in (y, x.grad, w.grad)] for x, w, y in results[:2]]
    buffers = list(backend._scratch.buffers.values())
    assert buffers
    for (x, w, y), before in zip(results[:2], snapshots):
        for t, value in zip((y, x.grad, w.grad), before):
            np.testing.assert_array_equal(t.numpy(), value)
            assert not any(np.shares_memory(t.numpy(), buf) for buf in buffers)


def test_scratch_reuses_one_buffer_per_name_and_thread():
    a = backend.scratch(np, "test-a", (3, 4), np.float64)
    again = backend.scratch(np, "test-a", (2, 5), np.float32)
    other = backend.scratch(np, "test-b", (3, 4), np.float64)
    assert a.shape == (3, 4) and a.dtype == np.float64 and again.shape == (2, 5) and again.dtype == np.float32
    assert np.shares_memory(a, again) and not np.shares_memory(a, other)
    bigger = backend.scratch(np, "test-a", (10, 10), np.float64)   # grows: a new buffer of 800 bytes
    assert bigger.shape == (10, 10) and backend._scratch.buffers[("test-a", None)].size == 800 + backend.PAGE
    seen = []
    thread = threading.Thread(target=lambda: seen.append(backend.scratch(np, "test-a", (3, 4), np.float64)))
    thread.start()
    thread.join()
    assert not np.shares_memory(seen[0], bigger)


def _source_at(page_offset, shape, dtype):
    """A C-contiguous array of ``shape`` whose data starts ``page_offset`` bytes into a 4 KiB page."""
    dtype = np.dtype(dtype)
    raw = np.empty(np.prod(shape) * dtype.itemsize + 2 * backend.PAGE, dtype=np.uint8)
    start = (page_offset - raw.ctypes.data) % backend.PAGE
    array = raw[start:start + np.prod(shape) * dtype.itemsize].view(dtype).reshape(shape)
    assert array.ctypes.data % backend.PAGE == page_offset
    return array


def _run_starts(array):
    """Offsets of some of the runs a copy reads or writes: combinations of 0-2 times each outer stride."""
    return {int(np.dot(index, array.strides[:-1])) for index in itertools.product(range(3), repeat=array.ndim - 1)}


@pytest.mark.parametrize("n, dtype, gap, avoids", [
    (256, np.float32, 512, True),    # LeNet's batch: every run starts a multiple of 1 KiB into either array
    (1024, np.float32, 2048, True),  # runs a multiple of the page apart: half a page
    (16, np.float32, 32, True),      # a granule of 64 bytes: 32 apart, never 0 or 16
    (128, np.float64, 512, True),
    (7, np.float32, 2048, False),    # a granule of 4 bytes: no gap avoids every run; half a page
])
@pytest.mark.parametrize("page_offset", [0, 16, 48, 1040, 4080])
def test_a_copy_destination_lies_half_a_granule_from_its_source(n, dtype, gap, avoids, page_offset):
    """empty_apart and scratch(apart_from=) place their array so that (destination - source) mod 4096 is half the
    page granule g of both arrays' outer strides (2048 below g = 64): every copied run then starts g/2 mod g apart,
    never 0 or 16 bytes (glibc's slow REP MOVSB case on AMD Zen 3/4). Wherever the source starts in its page."""
    source = _source_at(page_offset, (3, 5, 6, n), dtype)
    shape = (3, 2, 2, 4, 4, n)   # im2col's (C, kh, kw, rows, OW, N)
    for array in (backend.empty_apart(source, shape, dtype),
                  backend.scratch(np, "test-apart", shape, dtype, apart_from=source)):
        assert array.shape == shape and array.dtype == dtype and array.flags.c_contiguous and array.flags.writeable
        assert (array.ctypes.data - source.ctypes.data) % backend.PAGE == gap
        gaps = {(array.ctypes.data + to - source.ctypes.data - of) % backend.PAGE
                for to in _run_starts(array) for of in _run_starts(source)}
        assert gaps.isdisjoint({0, 16}) == avoids, sorted(gaps)[:4]


def test_a_copy_destination_keeps_its_own_alignment():
    """A float64 destination for a float32 source that starts 4 bytes into an 8-byte word: 8-byte aligned, a few
    bytes off half a granule, rather than misaligned."""
    source = _source_at(4, (2, 3, 256), np.float32)
    for array in (backend.empty_apart(source, (5, 256), np.float64),
                  backend.scratch(np, "test-apart", (5, 256), np.float64, apart_from=source)):
        assert array.ctypes.data % 8 == 0 and array.flags.aligned
        assert (array.ctypes.data - source.ctypes.data) % backend.PAGE == 512 - 4


def test_the_columns_of_lenets_first_conv_lie_apart_from_its_input():
    """Kept columns (a whole new array) and blocks of columns (the scratch buffer) are placed by the input they copy,
    and hold its windows."""
    rng = np.random.default_rng(5)
    xt = _source_at(0, (1, 10, 9, 256), np.float32)
    xt[...] = rng.standard_normal(xt.shape)
    args = conv.ConvArgs((1, 1), (0, 0), (1, 1), 1)
    kept = conv._kept_cols(xt, (6, 1, 5, 5), args, (6, 5))
    (_, _, block), = conv._col_blocks(xt, (5, 5), args, (6, 5))
    for cols in (kept, block):
        assert (cols.ctypes.data - xt.ctypes.data) % backend.PAGE == 512
        np.testing.assert_array_equal(cols.reshape(1, 5, 5, 6, 5, 256)[0, 2, 3], xt[0, 2:8, 3:8])
