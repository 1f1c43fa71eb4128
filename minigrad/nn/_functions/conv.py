"""2-D convolution as im2col: a GEMM per block of output rows and group, channel-major so that the large dimension
is contiguous (or, for a stride of 1 over many channels, a GEMM per kernel row on the input as it is); with
hand-derived backwards for the input and the weight (each a Function, so differentiable again).

Memory: the columns (C*kh*kw rows, 9x the input for a 3x3 kernel) are built a block of output rows at a time into
a scratch buffer that the next block and the next call reuse (``backend.scratch``), and rebuilt in backward from
the saved input instead of being kept (except a small, narrow conv's, as LeNet's): a training step holds no
large layer's columns.
"""
from collections import namedtuple

import numpy as np

from minigrad import ops, threads
from minigrad.backend import empty_apart, get_array_module, matmul, scratch
from minigrad.checks import check_int
from minigrad.core import DerivativeFunction, Function
from minigrad.nn._functions.pooling import _batched
from minigrad.nn._utils import _batch_last, _check_tensors, _from_batch_last, _output_size, _pair, _row_sums

#: the size of one block of columns (at least one output row's): the scratch memory of im2col and of col2im each
BLOCK_BYTES = 8 << 20
#: the forward keeps its columns for the weight gradient when they are at most this large and the conv has fewer
#: output channels than KEEP_BELOW_CHANNELS (see ``_kept_cols``)
KEEP_BYTES, KEEP_BELOW_CHANNELS = 32 << 20, 32
#: a stride-1 forward goes by kernel rows, without cols, from this many input channels per group
ROWS_MIN_CHANNELS = 64


class ConvArgs(namedtuple("ConvArgs", "stride padding dilation groups")):
    """A convolution's geometry: stride, padding and dilation (pairs) and groups (an int), as PyTorch's arguments."""

    def out_hw(self, x_shape, kernel):
        """(OH, OW): (size + 2 padding - dilation (k - 1) - 1) // stride + 1 on each side."""
        return tuple(_output_size(x_shape[2 + d], self.dilation[d] * (kernel[d] - 1) + 1, self.stride[d],
                                  self.padding[d], "conv2d") for d in (0, 1))

    def is_pointwise(self, kernel):
        """A 1x1 kernel of stride 1 without padding: the columns are the input itself, the col2im is nothing."""
        return tuple(kernel) == (1, 1) and self.stride == (1, 1) and self.padding == (0, 0)


def _tap_range(out_n, size, stride, offset, r0=0, r1=None):
    """The output positions [lo, hi), within [r0, r1), whose tap at ``offset`` (i * dilation - padding) reads
    one of ``size`` input positions, and the input slice they read."""
    r1 = out_n if r1 is None else r1
    lo = min(max(0, -(offset // stride), r0), r1)
    hi = max(lo, min(r1, (size - 1 - offset) // stride + 1))
    return lo, hi, slice(lo * stride + offset, (hi - 1) * stride + offset + 1, stride) if hi > lo else slice(0, 0)


def _taps(xt, kernel, args, out_hw, r0, r1):
    """(i, j, rows, columns, source) for every tap: output rows [r0, r1) and columns whose tap (i, j) reads the
    input xt (C, H, W, N), local to the block, and xt's window they read."""
    _, h, w, _ = xt.shape
    (kh, kw), (sh, sw), (ph, pw), (dh, dw), (oh, ow) = kernel, args.stride, args.padding, args.dilation, out_hw
    for i in range(kh):
        lo, hi, src_rows = _tap_range(oh, h, sh, i * dh - ph, r0, r1)
        for j in range(kw):
            clo, chi, src_cols = _tap_range(ow, w, sw, j * dw - pw)
            yield i, j, (lo - r0, hi - r0), (clo, chi), xt[:, src_rows, src_cols]


def _row_blocks(out_hw, row_bytes, rows=None):
    """[r0, r1) ranges of the output rows ``rows`` (default all), each (at least one row) with columns of about
    BLOCK_BYTES."""
    lo, hi = (0, out_hw[0]) if rows is None else rows
    step = max(1, BLOCK_BYTES // max(1, row_bytes))
    return [(r0, min(hi, r0 + step)) for r0 in range(lo, hi, step)]


def _split_rows(fn, out_hw, macs, xp):
    """``fn(r0, r1)`` over parts of the output rows, for a layer of ``macs`` multiply-adds: on the CPU split over
    minigrad's threads (``threads.split``; each thread has its own scratch buffers)."""
    threads.split(fn, out_hw[0], macs // 16 if xp is np else 0)


def _im2col(xt, kernel, args, out_hw, rows, cols):
    """cols (C, kh, kw, r1-r0, OW, N), filled and returned as (C*kh*kw, (r1-r0)*OW*N): as columns, batch-last,
    every (dilated) window of xt (C, H, W, N) whose output lies in rows [r0, r1); a tap in the padding reads 0."""
    for i, j, (a, b), (ca, cb), window in _taps(xt, kernel, args, out_hw, *rows):
        tap = cols[:, i, j]                                              # (C, r1 - r0, OW, N)
        for zero in (tap[:, :a], tap[:, b:], tap[:, a:b, :ca], tap[:, a:b, cb:]):
            if zero.size:
                zero[...] = 0
        tap[:, a:b, ca:cb] = window
    return cols.reshape(cols.shape[0] * kernel[0] * kernel[1], -1)


def _kept_cols(xt, weight_shape, args, out_hw):
    """All of cols in a new array, for the forward to keep for the weight gradient, or None (built in blocks, in
    the forward and again in backward). Kept when small and the conv narrow (LeNet's): the GEMMs do 2 O flops per
    element of cols, so for few output channels O building cols is a large part of a gradient."""
    c, _, _, n = xt.shape
    o, _, kh, kw = weight_shape
    shape = (c, kh, kw) + tuple(out_hw) + (n,)
    if (args.is_pointwise((kh, kw)) or o >= KEEP_BELOW_CHANNELS
            or c * kh * kw * out_hw[0] * out_hw[1] * n * xt.itemsize > KEEP_BYTES):
        return None
    return _im2col(xt, (kh, kw), args, out_hw, (0, out_hw[0]), empty_apart(xt, shape, xt.dtype))


def _col_blocks(xt, kernel, args, out_hw, cols=None, rows=None):
    """(r0, r1, cols) per block of output rows [r0, r1) within ``rows`` (default all): cols (C*kh*kw,
    (r1-r0)*OW*N) as ``_im2col``. All blocks share one scratch buffer of this thread: use each before taking the
    next. One block when ``cols`` (all rows, sliced to ``rows``) is given; a pointwise conv's cols are xt."""
    c, _, _, n = xt.shape
    if cols is not None or args.is_pointwise(kernel):
        lo, hi = (0, out_hw[0]) if rows is None else rows
        whole = xt.reshape(c, -1) if cols is None else cols
        yield lo, hi, whole[:, lo * out_hw[1] * n:hi * out_hw[1] * n]
        return
    for r0, r1 in _row_blocks(out_hw, c * kernel[0] * kernel[1] * out_hw[1] * n * xt.itemsize, rows):
        block = scratch(get_array_module(xt), "cols", (c,) + tuple(kernel) + (r1 - r0, out_hw[1], n), xt.dtype,
                        apart_from=xt)
        yield r0, r1, _im2col(xt, kernel, args, out_hw, (r0, r1), block)


def _grouped_matmul(a, b, groups, transpose_a=False, transpose_b=False, out=None):
    """(a or a^T) @ (b or b^T) for each of ``groups`` blocks of rows of a and of b, the products stacked by rows:
    one GEMM for groups = 1 (``backend.matmul``: split over minigrad's threads), one batched matmul otherwise;
    into ``out`` when given."""
    xp = get_array_module(a)
    if groups == 1:
        return matmul(a.T if transpose_a else a, b.T if transpose_b else b, out=out)
    a3, b3 = a.reshape(groups, -1, a.shape[1]), b.reshape(groups, -1, b.shape[1])
    product = xp.matmul(a3.transpose(0, 2, 1) if transpose_a else a3, b3.transpose(0, 2, 1) if transpose_b else b3)
    product = product.reshape(-1, product.shape[2])
    if out is None:
        return product
    out[...] = product
    return out


def _weight_grad_by_taps(args, kernel):
    """Whether the weight gradient is built tap by tap from the arrays as they are (a stride of 1 along the width,
    not pointwise), without cols."""
    return args.stride[1] == 1 and not args.is_pointwise(kernel)


def _forward_by_kernel_rows(args, weight_shape):
    """Whether the forward is a GEMM per kernel row on the input as it is, without cols (``_convolve_by_kernel_rows``):
    a stride of 1, not pointwise, and at least ROWS_MIN_CHANNELS input channels per group (the GEMMs' inner
    dimension; LeNet's 1 and 6 keep cols, whose inner dimension is C*kh*kw)."""
    o, cg, kh, kw = weight_shape
    return args.stride == (1, 1) and not args.is_pointwise((kh, kw)) and cg >= ROWS_MIN_CHANNELS


def _convolve_by_kernel_rows(xt, weight, args, out_hw):
    """y (O, OH, OW, N), batch-last, without cols, for a stride of 1: for each kernel row i, per group, one GEMM
        P = [W[:, :, i, 0]; ...; W[:, :, i, kw-1]]  (kw*O, C)  @  x[:, the input rows row i reads]  (C, rows*W*N)
    on the batch-last input as it is; then tap j's O rows of P, shifted by its column offset (j * dilation -
    padding), are added into y. A block of output rows at a time (P about BLOCK_BYTES, in scratch memory: smaller
    blocks were measured faster than whole images, and peak memory stays as with cols), the rows split over
    minigrad's threads.
    Against a GEMM per block of cols (9x the input built first): DenseNet's 3x3 convs 1.3-1.9x faster at two BLAS
    threads, ResNet-18's 1.0-1.2x (docs/performance.md)."""
    xp = get_array_module(xt)
    o, cg, kh, kw = weight.shape
    g, (_, h, w, n), (oh, ow) = args.groups, xt.shape, out_hw
    (ph, pw), (dh, dw) = args.padding, args.dilation
    # (kh, g*kw*O/g, C/g): kernel row i's taps stacked by rows within each group
    w_rows = xp.ascontiguousarray(weight.reshape(g, o // g, cg, kh, kw).transpose(3, 0, 4, 1, 2))
    w_rows = w_rows.reshape(kh, g * kw * (o // g), cg)
    y = xp.empty((o, oh, ow, n), dtype=xt.dtype)
    y_groups = y.reshape(g, o // g, oh, ow, n)
    columns = [_tap_range(ow, w, 1, j * dw - pw) for j in range(kw)]  # tap j's output columns and input columns
    wide = [j for j, (clo, chi, _) in enumerate(columns) if (clo, chi) == (0, ow)][:1]  # a tap reaching every column
    taps = wide + [j for j in range(kw) if j not in wide]

    def part(first, stop):  # output rows [first, stop), a block at a time
        for r0, r1 in _row_blocks(out_hw, kw * o * w * n * xt.itemsize, (first, stop)):
            spans = sorted((_tap_range(oh, h, 1, i * dh - ph, r0, r1) + (i,) for i in range(kh)),
                           key=lambda span: span[:2] != (r0, r1))  # kernel rows reaching every row of the block first
            # the first part written covers the whole block where it can (a wide tap of a kernel row reaching every
            # row: 'same' and 'valid' convs), and is assigned, not added: no zeros to add to
            fresh = bool(wide) and spans[0][:2] == (r0, r1)
            if not fresh:
                y[:, r0:r1] = 0
            for lo, hi, rows, i in spans:
                if hi == lo:
                    continue
                product = scratch(xp, "kernel rows", (g * kw * (o // g), (hi - lo) * w * n), xt.dtype)
                _grouped_matmul(w_rows[i], xt[:, rows].reshape(g * cg, -1), g, out=product)
                product = product.reshape(g, kw, o // g, hi - lo, w, n)
                for j in taps:
                    clo, chi, cols = columns[j]
                    shifted, target = product[:, j, :, :, cols], y_groups[:, :, lo:hi, clo:chi]
                    if fresh:
                        target[...] = shifted
                        fresh = False
                    else:
                        target += shifted
    _split_rows(part, out_hw, kh * kw * o * cg * oh * ow * n, xp)
    return y


def _convolve(xt, weight, args, out_hw, cols=None):
    """y (O, OH, OW, N), batch-last: by kernel rows (``_forward_by_kernel_rows``), or W_mat (O, C/g*kh*kw) @ cols
    per group, a block of output rows at a time (``_col_blocks``); the rows split over minigrad's threads."""
    if cols is None and _forward_by_kernel_rows(args, weight.shape):
        return _convolve_by_kernel_rows(xt, weight, args, out_hw)
    o = weight.shape[0]
    oh, ow = out_hw
    n = xt.shape[3]
    w_mat = weight.reshape(o, -1)
    y = get_array_module(xt).empty((o, oh * ow * n), dtype=xt.dtype)

    def part(first, stop):  # output rows [first, stop), a block at a time
        for r0, r1, block in _col_blocks(xt, weight.shape[2:], args, out_hw, cols, (first, stop)):
            _grouped_matmul(w_mat, block, args.groups, out=y[:, r0 * ow * n:r1 * ow * n])
    _split_rows(part, out_hw, w_mat.size * oh * ow * n, get_array_module(xt))
    return y.reshape(o, oh, ow, n)


def _transposed_kernel(weight, groups):
    """W' (C, O/g, kh, kw), W'[c, o, i, j] = W[o, c, kh-1-i, kw-1-j] within each group: the kernel whose
    stride-1 convolution of gY is the input gradient."""
    o, cg, kh, kw = weight.shape
    flipped = weight.reshape(groups, o // groups, cg, kh, kw).transpose(0, 2, 1, 3, 4)[..., ::-1, ::-1]
    return get_array_module(weight).ascontiguousarray(flipped).reshape(groups * cg, o // groups, kh, kw)


def _grad_by_convolution(args, kernel, out_channels, in_channels):
    """Whether the input gradient is a convolution of gY (stride 1, and O <= C or a pointwise kernel), not col2im."""
    return args.stride == (1, 1) and (out_channels <= in_channels or args.is_pointwise(kernel))


def _input_grad(gyt, weight, args, in_shape):
    """gx (C, H, W, N), batch-last, for gY (O, OH, OW, N): a transposed convolution.

    With stride 1 and no more output than input channels (DenseNet's 32 of 64-216; ResNet's equal ones), the
    convolution of gY, padded by dilation (k - 1) - padding (negative: cropped), with the flipped, transposed
    kernel: its columns have O*kh*kw rows, and a pointwise one is a GEMM. Otherwise col2im: gcols = W_mat^T @ gY
    per group (C*kh*kw rows), each window's column added back into gx at its (dilated, strided) taps, a block of
    output rows at a time."""
    xp = get_array_module(gyt)
    n, c, h, w = in_shape
    o, _, kh, kw = weight.shape
    if _grad_by_convolution(args, (kh, kw), o, c):
        padding = tuple(d * (k - 1) - p for d, k, p in zip(args.dilation, (kh, kw), args.padding))
        flipped = ConvArgs((1, 1), padding, args.dilation, args.groups)
        return _convolve(gyt, _transposed_kernel(weight, args.groups), flipped, (h, w))
    oh, ow = gyt.shape[1:3]
    gy_mat, w_mat = gyt.reshape(o, -1), weight.reshape(o, -1)
    gxt = xp.zeros((c, h, w, n), dtype=gyt.dtype)
    for r0, r1 in _row_blocks((oh, ow), c * kh * kw * ow * n * gyt.itemsize):
        gcols = scratch(xp, "gcols", (c * kh * kw, (r1 - r0) * ow * n), gyt.dtype)
        _grouped_matmul(w_mat, gy_mat[:, r0 * ow * n:r1 * ow * n], args.groups, transpose_a=True, out=gcols)
        gcols = gcols.reshape(c, kh, kw, r1 - r0, ow, n)
        for i, j, (a, b), (ca, cb), window in _taps(gxt, (kh, kw), args, (oh, ow), r0, r1):
            window += gcols[:, i, j, a:b, ca:cb]
    return gxt


def _weight_grad(xt, gyt, weight_shape, args, cols=None):
    """gW for input xt (C, H, W, N) and gY (O, OH, OW, N), both batch-last: gY_mat @ cols^T per group.

    With kept ``cols``, or a pointwise conv's (xt), one GEMM. Else, for a stride of 1 along the width, no cols:
        gW[:, :, i, j] = sum over the output rows r of  gY[:, r, taps] @ x[:, input row of r, taps]^T
    for each tap (i, j), each side a (channels, OW'*N) matrix of the batch-last arrays as they are (one batched
    matmul over the rows per tap; the taps split over minigrad's threads). Otherwise the sum over blocks of output
    rows of gY_block @ cols_block^T."""
    xp = get_array_module(xt)
    o, cg, kh, kw = weight_shape
    g, n, (oh, ow) = args.groups, xt.shape[3], gyt.shape[1:3]
    if cols is not None or not _weight_grad_by_taps(args, (kh, kw)):
        gw, gy_mat = xp.zeros((o, cg * kh * kw), dtype=xt.dtype), gyt.reshape(o, -1)
        for r0, r1, block in _col_blocks(xt, (kh, kw), args, (oh, ow), cols):
            gw += _grouped_matmul(gy_mat[:, r0 * ow * n:r1 * ow * n], block, g, transpose_b=True)
        return gw.reshape(weight_shape)
    gw = xp.zeros(weight_shape, dtype=xt.dtype)
    taps = [(i, j, rows, cols, window) for i, j, rows, cols, window in _taps(xt, (kh, kw), args, (oh, ow), 0, oh)
            if rows[1] > rows[0] and cols[1] > cols[0]]

    def some(first, stop):  # taps [first, stop), each a gw[:, :, i, j] of its own
        for i, j, (a, b), (ca, cb), window in taps[first:stop]:
            rows, k = b - a, (cb - ca) * n
            gy_rows = gyt[:, a:b, ca:cb].reshape(g, o // g, rows, k).transpose(0, 2, 1, 3)   # (g, rows, O/g, k)
            x_rows = window.reshape(g, cg, rows, k).transpose(0, 2, 3, 1)                  # (g, rows, k, C/g)
            gw[:, :, i, j] = xp.matmul(gy_rows, x_rows).sum(axis=1).reshape(o, cg)
    threads.split(some, len(taps), o * cg * oh * ow * n * len(taps) // 16 if xp is np else 0)
    return gw


class Conv2dGradInput(DerivativeFunction):
    """gx = conv2d's input gradient for upstream gy and weight W: a transposed convolution (``_input_grad``).

    Bilinear in (gy, W); for an upstream ggx:
        d/dgy = conv2d(ggx, W),   d/dW = Conv2dGradWeight(ggx, gy).
    """

    def __init__(self, args, in_shape):
        self.args, self.in_shape = args, tuple(in_shape)

    def forward(self, gy, weight):
        return _from_batch_last(_input_grad(_batch_last(gy), weight, self.args, self.in_shape))

    def backward_graph(self, ggx):
        gy, weight = self.inputs
        g_gy = Conv2dFunction(self.args)(ggx, weight) if self.needs_input_grad[0] else None
        g_w = Conv2dGradWeight(self.args, weight.shape)(ggx, gy) if self.needs_input_grad[1] else None
        return g_gy, g_w


class Conv2dGradWeight(DerivativeFunction):
    """gW = conv2d's weight gradient for input x and upstream gy: gY @ im2col(x)^T (per group).

    Bilinear in (x, gy); for an upstream ggW:
        d/dx = Conv2dGradInput(gy, ggW),   d/dgy = conv2d(x, ggW).
    """

    def __init__(self, args, weight_shape):
        self.args, self.weight_shape = args, tuple(weight_shape)

    def forward(self, x, gy):
        return _weight_grad(_batch_last(x), _batch_last(gy), self.weight_shape, self.args)

    def backward_graph(self, ggw):
        x, gy = self.inputs
        g_x = Conv2dGradInput(self.args, x.shape)(gy, ggw) if self.needs_input_grad[0] else None
        g_gy = Conv2dFunction(self.args)(x, ggw) if self.needs_input_grad[1] else None
        return g_x, g_gy


class Conv2dFunction(Function):
    """2-D cross-correlation, y[n, o] = sum_c W[o, c] * x[n, c] (+ b[o]), by im2col.

    cols (C*kh*kw, OH*OW*N) holds every input window (dilated: taps ``dilation`` apart) as a column, so the
    forward is the GEMM  Y = W_mat (O, C/g*kh*kw) @ cols  per group (output channels o of group j read input
    channels j*C/g .. (j+1)*C/g - 1), whose long dimension is the contiguous one; Y comes out batch-last. cols
    is built in blocks of output rows (``_col_blocks``: none for a pointwise conv), or whole and kept when small
    and the conv narrow (``_kept_cols``); with a stride of 1 and at least ROWS_MIN_CHANNELS input channels per
    group there are no cols: a GEMM per kernel row on x as it is (``_convolve_by_kernel_rows``). Backward, from
    the saved x:
        gx = Conv2dGradInput(gy, W)    (a transposed convolution: ``_input_grad``),
        gW = Conv2dGradWeight(x, gy)   (``_weight_grad``: tap by tap for a stride of 1 along the width, else
                                        gY @ cols^T per group, cols built again unless kept),
        gb = sum of gY over (OH, OW, N).
    conv2d, Conv2dGradInput and Conv2dGradWeight are closed under differentiation.
    """

    saves_output = False

    def __init__(self, args):
        self.args = args

    def forward(self, x, weight, bias=None):
        xt, out_hw = _batch_last(x), self.args.out_hw(x.shape, weight.shape[2:])
        self.cols = _kept_cols(xt, weight.shape, self.args, out_hw)
        y = _convolve(xt, weight, self.args, out_hw, self.cols)
        if bias is not None:
            y += bias[:, None, None, None]
        return _from_batch_last(y)

    def backward(self, gy):
        x, weight = self.inputs[0].array, self.inputs[1].array
        gyt = _batch_last(gy)                                            # (O, OH, OW, N)
        gy_mat = gyt.reshape(gy.shape[1], -1)
        gx = gw = gb = None
        if self.needs_input_grad[0]:
            gx = _from_batch_last(_input_grad(gyt, weight, self.args, x.shape))
        if self.needs_input_grad[1]:
            gw = _weight_grad(_batch_last(x), gyt, weight.shape, self.args, self.cols)
        if len(self.needs_input_grad) == 3 and self.needs_input_grad[2]:
            gb = _row_sums(gy_mat)[:, 0]
        return (gx, gw, gb)[:len(self.needs_input_grad)]

    def backward_graph(self, gy):
        x, weight = self.inputs[:2]
        need = self.needs_input_grad
        gx = Conv2dGradInput(self.args, x.shape)(gy, weight) if need[0] else None
        gw = Conv2dGradWeight(self.args, weight.shape)(x, gy) if need[1] else None
        gb = gy.sum((0, 2, 3)) if len(need) == 3 and need[2] else None
        return (gx, gw, gb)[:len(need)]


def conv2d(x, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """2-D cross-correlation of x (N, C, H, W) or (C, H, W) with weight (O, C/groups, kh, kw), as
    ``torch.nn.functional.conv2d``: ``groups`` splits the channels into independent convolutions, ``dilation``
    spaces the kernel's taps."""
    _check_tensors("conv2d", input=x, weight=weight, **({} if bias is None else {"bias": bias}))
    if weight.ndim != 4:
        raise RuntimeError("conv2d: expected a 4-D weight (out_channels, in_channels, kh, kw), "
                           f"got shape {weight.shape}")
    groups = check_int("groups", groups, 1, "conv2d")
    if weight.shape[0] % groups:
        raise RuntimeError(f"conv2d: given groups={groups}, expected weight to be divisible by {groups} at dimension "
                           f"0, but got weight of size {tuple(weight.shape)} instead")
    if bias is not None and tuple(bias.shape) != weight.shape[:1]:
        raise RuntimeError(f"conv2d: expected a bias of shape ({weight.shape[0]},) for a weight of shape "
                           f"{weight.shape}, got {tuple(bias.shape)}")
    c = weight.shape[1] * groups
    if x.ndim not in (3, 4) or x.shape[-3] != c:
        raise RuntimeError(f"conv2d: expected input of shape (N, {c}, H, W) or ({c}, H, W), got {x.shape}"
                           + (f" (groups={groups} of {weight.shape[1]} channels: weight {tuple(weight.shape)})"
                              if groups > 1 else ""))
    ops.check_same_dtype("conv2d", ("input", x), ("weight", weight), ("bias", bias))
    fn = Conv2dFunction(ConvArgs(_pair(stride, "stride", 1, "conv2d"), _pair(padding, "padding", 0, "conv2d"),
                                 _pair(dilation, "dilation", 1, "conv2d"), groups))
    return _batched(x, "conv2d", lambda x4: fn(x4, weight) if bias is None else fn(x4, weight, bias))
