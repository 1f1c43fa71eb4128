"""2-D convolution as im2col: one GEMM per call and group, channel-major so that the large dimension is contiguous;
with hand-derived backwards for the input and the weight (each a Function, so differentiable again).
"""
from collections import namedtuple

from minigrad import ops
from minigrad.backend import get_array_module
from minigrad.checks import check_int
from minigrad.core import DerivativeFunction, Function
from minigrad.nn._functions.pooling import _batched
from minigrad.nn._utils import _batch_last, _check_tensors, _from_batch_last, _output_size, _pair, _row_sums



class ConvArgs(namedtuple("ConvArgs", "stride padding dilation groups")):
    """A convolution's geometry: stride, padding and dilation (pairs) and groups (an int), as PyTorch's arguments."""

    def out_hw(self, x_shape, kernel):
        """(OH, OW): (size + 2 padding - dilation (k - 1) - 1) // stride + 1 on each side."""
        return tuple(_output_size(x_shape[2 + d], self.dilation[d] * (kernel[d] - 1) + 1, self.stride[d],
                                  self.padding[d], "conv2d") for d in (0, 1))


def _im2col(x, kernel, args, out_hw):
    """cols (C*kh*kw, OH*OW*N): every (dilated) window of x (N, C, H, W) as a column, batch-last."""
    xp = get_array_module(x)
    n, c = x.shape[:2]
    (kh, kw), (sh, sw), (ph, pw), (dh, dw), (oh, ow) = kernel, args.stride, args.padding, args.dilation, out_hw
    xt = _batch_last(x)                                              # (C, H, W, N)
    if ph or pw:
        xt = xp.pad(xt, ((0, 0), (ph, ph), (pw, pw), (0, 0)))
    c_s, h_s, w_s, n_s = xt.strides
    windows = xp.lib.stride_tricks.as_strided(                       # (C, kh, kw, OH, OW, N)
        xt, shape=(c, kh, kw, oh, ow, n), strides=(c_s, h_s * dh, w_s * dw, h_s * sh, w_s * sw, n_s))
    return xp.ascontiguousarray(windows).reshape(c * kh * kw, -1)


def _grouped_matmul(a, b, groups, transpose_a=False, transpose_b=False):
    """(a or a^T) @ (b or b^T) for each of ``groups`` blocks of rows of a and of b, the products stacked by rows:
    one GEMM for groups = 1, one batched matmul otherwise."""
    if groups == 1:
        return (a.T if transpose_a else a) @ (b.T if transpose_b else b)
    a3, b3 = a.reshape(groups, -1, a.shape[1]), b.reshape(groups, -1, b.shape[1])
    product = (a3.transpose(0, 2, 1) if transpose_a else a3) @ (b3.transpose(0, 2, 1) if transpose_b else b3)
    return product.reshape(-1, product.shape[2])


class Conv2dGradInput(DerivativeFunction):
    """gx = conv2d's input gradient for upstream gy and weight W: a transposed convolution.

    gcols = W_mat^T @ gY (per group), then col2im adds each window's column back into the
    (padded) input at its dilated taps, which is cropped. Bilinear in (gy, W); for an upstream ggx:
        d/dgy = conv2d(ggx, W),   d/dW = Conv2dGradWeight(ggx, gy).
    """

    def __init__(self, args, in_shape):
        self.args, self.in_shape = args, tuple(in_shape)

    def forward(self, gy, weight):
        return self.fused(_batch_last(gy).reshape(gy.shape[1], -1), weight, gy.shape[2:])

    def fused(self, gy_mat, weight, out_hw):
        """The raw kernel on gY (O, OH*OW*N), shared with Conv2dFunction.backward."""
        xp = get_array_module(gy_mat)
        n, c, h, w = self.in_shape
        o, _, kh, kw = weight.shape
        (sh, sw), (ph, pw), (dh, dw), (oh, ow) = self.args.stride, self.args.padding, self.args.dilation, out_hw
        gcols = _grouped_matmul(weight.reshape(o, -1), gy_mat, self.args.groups, transpose_a=True)
        gcols = gcols.reshape(c, kh, kw, oh, ow, n)
        gxt = xp.zeros((c, h + 2 * ph, w + 2 * pw, n), dtype=gy_mat.dtype)
        for i in range(kh):
            for j in range(kw):
                gxt[:, i * dh:i * dh + sh * oh:sh, j * dw:j * dw + sw * ow:sw] += gcols[:, i, j]
        return _from_batch_last(gxt[:, ph:ph + h, pw:pw + w])

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
        cols = _im2col(x, self.weight_shape[2:], self.args, gy.shape[2:])
        return self.fused(_batch_last(gy).reshape(gy.shape[1], -1), cols)

    def fused(self, gy_mat, cols):
        """The raw kernel on gY (O, OH*OW*N) and cols, shared with Conv2dFunction.backward."""
        return _grouped_matmul(gy_mat, cols, self.args.groups, transpose_b=True).reshape(self.weight_shape)

    def backward_graph(self, ggw):
        x, gy = self.inputs
        g_x = Conv2dGradInput(self.args, x.shape)(gy, ggw) if self.needs_input_grad[0] else None
        g_gy = Conv2dFunction(self.args)(x, ggw) if self.needs_input_grad[1] else None
        return g_x, g_gy


class Conv2dFunction(Function):
    """2-D cross-correlation, y[n, o] = sum_c W[o, c] * x[n, c] (+ b[o]), by im2col.

    cols (C*kh*kw, OH*OW*N) holds every input window (dilated: taps ``dilation`` apart) as a column, so the
    forward is one GEMM  Y = W_mat (O, C/g*kh*kw) @ cols  per group (output channels o of group j read input
    channels j*C/g .. (j+1)*C/g - 1), whose long dimension is the contiguous one; Y comes out batch-last. Backward:
        gx = Conv2dGradInput(gy, W)    (a transposed convolution: col2im(W_mat^T @ gY) per group),
        gW = Conv2dGradWeight(x, gy)   (gY @ cols^T per group; the fast path reuses the forward's cols),
        gb = sum of gY over (OH, OW, N).
    conv2d, Conv2dGradInput and Conv2dGradWeight are closed under differentiation.
    """

    saves_output = False

    def __init__(self, args):
        self.args = args

    def forward(self, x, weight, bias=None):
        o, _, kh, kw = weight.shape
        oh, ow = self.args.out_hw(x.shape, (kh, kw))
        cols = _im2col(x, (kh, kw), self.args, (oh, ow))
        y = _grouped_matmul(weight.reshape(o, -1), cols, self.args.groups)
        if bias is not None:
            y += bias[:, None]
        self.cols, self.weight, self.in_shape = cols, weight, x.shape
        return _from_batch_last(y.reshape(o, oh, ow, x.shape[0]))

    def backward(self, gy):
        gy_mat = _batch_last(gy).reshape(gy.shape[1], -1)                # (O, OH*OW*N)
        gx = gw = gb = None
        if self.needs_input_grad[0]:
            gx = Conv2dGradInput(self.args, self.in_shape).fused(gy_mat, self.weight, gy.shape[2:])
        if self.needs_input_grad[1]:
            gw = Conv2dGradWeight(self.args, self.weight.shape).fused(gy_mat, self.cols)
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
