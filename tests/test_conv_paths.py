"""The paths of conv2d (nn/_functions/conv.py), each chosen by its shapes, against tests/naive.py to 1e-10 in float64:
the forward by kernel rows (stride 1, C/g >= ROWS_MIN_CHANNELS: lowered here to reach it) or from columns, the input
gradient as a convolution of gY with the flipped kernel (stride 1, O <= C) or by col2im, the weight gradient tap by
tap (stride 1 across) or from columns, the pointwise (1x1, stride 1, unpadded) GEMM, columns kept from the forward
or built in blocks of output rows (again in backward); and the scratch buffer those blocks share (backend.scratch),
which no result may alias.
"""
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
    assert bigger.shape == (10, 10) and backend._scratch.buffers[("test-a", None)].size == 800
    seen = []
    thread = threading.Thread(target=lambda: seen.append(backend.scratch(np, "test-a", (3, 4), np.float64)))
    thread.start()
    thread.join()
    assert not np.shares_memory(seen[0], bigger)
