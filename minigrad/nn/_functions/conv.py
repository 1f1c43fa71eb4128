"""2-D convolution as im2col: one GEMM per call, channel-major so that the large dimension is contiguous; with
hand-derived backwards for the input and the weight (each a Function, so differentiable again).
"""
from minigrad import ops
from minigrad.backend import get_array_module
from minigrad.core import DerivativeFunction, Function
from minigrad.nn._functions.pooling import _batched
from minigrad.nn._utils import _batch_last, _check_tensors, _from_batch_last, _output_size, _pair, _row_sums



def _im2col(x, kernel, stride, padding, out_hw):
    """cols (C*kh*kw, OH*OW*N): every window of x (N, C, H, W) as a column, batch-last."""
    xp = get_array_module(x)
    n, c = x.shape[:2]
    (kh, kw), (sh, sw), (ph, pw), (oh, ow) = kernel, stride, padding, out_hw
    xt = _batch_last(x)                                              # (C, H, W, N)
    if ph or pw:
        xt = xp.pad(xt, ((0, 0), (ph, ph), (pw, pw), (0, 0)))
    c_s, h_s, w_s, n_s = xt.strides
    windows = xp.lib.stride_tricks.as_strided(                       # (C, kh, kw, OH, OW, N)
        xt, shape=(c, kh, kw, oh, ow, n), strides=(c_s, h_s, w_s, h_s * sh, w_s * sw, n_s))
    return xp.ascontiguousarray(windows).reshape(c * kh * kw, -1)


def _conv_out_hw(x_shape, kernel, stride, padding):
    return tuple(_output_size(x_shape[2 + d], kernel[d], stride[d], padding[d], "conv2d") for d in (0, 1))


class Conv2dGradInput(DerivativeFunction):
    """gx = conv2d's input gradient for upstream gy and weight W: a transposed convolution.

    gcols = W_mat^T @ gY, then col2im adds each window's column back into the
    (padded) input, which is cropped. Bilinear in (gy, W); for an upstream ggx:
        d/dgy = conv2d(ggx, W),   d/dW = Conv2dGradWeight(ggx, gy).
    """

    def __init__(self, stride, padding, in_shape):
        self.stride, self.padding, self.in_shape = stride, padding, tuple(in_shape)

    def forward(self, gy, weight):
        return self.fused(_batch_last(gy).reshape(gy.shape[1], -1), weight, gy.shape[2:])

    def fused(self, gy_mat, weight, out_hw):
        """The raw kernel on gY (O, OH*OW*N), shared with Conv2dFunction.backward."""
        xp = get_array_module(gy_mat)
        n, c, h, w = self.in_shape
        o, _, kh, kw = weight.shape
        (sh, sw), (ph, pw), (oh, ow) = self.stride, self.padding, out_hw
        gcols = (weight.reshape(o, -1).T @ gy_mat).reshape(c, kh, kw, oh, ow, n)
        gxt = xp.zeros((c, h + 2 * ph, w + 2 * pw, n), dtype=gy_mat.dtype)
        for i in range(kh):
            for j in range(kw):
                gxt[:, i:i + sh * oh:sh, j:j + sw * ow:sw] += gcols[:, i, j]
        return _from_batch_last(gxt[:, ph:ph + h, pw:pw + w])

    def backward_graph(self, ggx):
        gy, weight = self.inputs
        g_gy = Conv2dFunction(self.stride, self.padding)(ggx, weight) if self.needs_input_grad[0] else None
        g_w = (Conv2dGradWeight(self.stride, self.padding, weight.shape)(ggx, gy)
               if self.needs_input_grad[1] else None)
        return g_gy, g_w


class Conv2dGradWeight(DerivativeFunction):
    """gW = conv2d's weight gradient for input x and upstream gy: gY @ im2col(x)^T.

    Bilinear in (x, gy); for an upstream ggW:
        d/dx = Conv2dGradInput(gy, ggW),   d/dgy = conv2d(x, ggW).
    """

    def __init__(self, stride, padding, weight_shape):
        self.stride, self.padding, self.weight_shape = stride, padding, tuple(weight_shape)

    def forward(self, x, gy):
        cols = _im2col(x, self.weight_shape[2:], self.stride, self.padding, gy.shape[2:])
        return self.fused(_batch_last(gy).reshape(gy.shape[1], -1), cols, self.weight_shape)

    @staticmethod
    def fused(gy_mat, cols, weight_shape):
        """The raw kernel on gY (O, OH*OW*N) and cols, shared with Conv2dFunction.backward."""
        return (gy_mat @ cols.T).reshape(weight_shape)

    def backward_graph(self, ggw):
        x, gy = self.inputs
        g_x = Conv2dGradInput(self.stride, self.padding, x.shape)(gy, ggw) if self.needs_input_grad[0] else None
        g_gy = Conv2dFunction(self.stride, self.padding)(x, ggw) if self.needs_input_grad[1] else None
        return g_x, g_gy


class Conv2dFunction(Function):
    """2-D cross-correlation, y[n, o] = sum_c W[o, c] * x[n, c] (+ b[o]), by im2col.

    cols (C*kh*kw, OH*OW*N) holds every input window as a column, so the
    forward is one GEMM  Y = W_mat (O, C*kh*kw) @ cols  whose long dimension is
    the contiguous one; Y comes out batch-last. Backward:
        gx = Conv2dGradInput(gy, W)    (a transposed convolution: col2im(W_mat^T @ gY)),
        gW = Conv2dGradWeight(x, gy)   (gY @ cols^T; the fast path reuses the forward's cols),
        gb = sum of gY over (OH, OW, N).
    conv2d, Conv2dGradInput and Conv2dGradWeight are closed under differentiation.
    """

    saves_output = False

    def __init__(self, stride, padding):
        self.stride, self.padding = stride, padding

    def forward(self, x, weight, bias=None):
        o, _, kh, kw = weight.shape
        oh, ow = _conv_out_hw(x.shape, (kh, kw), self.stride, self.padding)
        cols = _im2col(x, (kh, kw), self.stride, self.padding, (oh, ow))
        y = weight.reshape(o, -1) @ cols
        if bias is not None:
            y += bias[:, None]
        self.cols, self.weight, self.in_shape = cols, weight, x.shape
        return _from_batch_last(y.reshape(o, oh, ow, x.shape[0]))

    def backward(self, gy):
        gy_mat = _batch_last(gy).reshape(gy.shape[1], -1)                # (O, OH*OW*N)
        gx = gw = gb = None
        if self.needs_input_grad[0]:
            gx = Conv2dGradInput(self.stride, self.padding, self.in_shape).fused(gy_mat, self.weight, gy.shape[2:])
        if self.needs_input_grad[1]:
            gw = Conv2dGradWeight.fused(gy_mat, self.cols, self.weight.shape)
        if len(self.needs_input_grad) == 3 and self.needs_input_grad[2]:
            gb = _row_sums(gy_mat)[:, 0]
        return (gx, gw, gb)[:len(self.needs_input_grad)]

    def backward_graph(self, gy):
        x, weight = self.inputs[:2]
        need = self.needs_input_grad
        gx = Conv2dGradInput(self.stride, self.padding, x.shape)(gy, weight) if need[0] else None
        gw = Conv2dGradWeight(self.stride, self.padding, weight.shape)(x, gy) if need[1] else None
        gb = gy.sum((0, 2, 3)) if len(need) == 3 and need[2] else None
        return (gx, gw, gb)[:len(need)]


def conv2d(x, weight, bias=None, stride=1, padding=0):
    _check_tensors("conv2d", input=x, weight=weight, **({} if bias is None else {"bias": bias}))
    if weight.ndim != 4:
        raise RuntimeError("conv2d: expected a 4-D weight (out_channels, in_channels, kh, kw), "
                           f"got shape {weight.shape}")
    if bias is not None and tuple(bias.shape) != weight.shape[:1]:
        raise RuntimeError(f"conv2d: expected a bias of shape ({weight.shape[0]},) for a weight of shape "
                           f"{weight.shape}, got {tuple(bias.shape)}")
    if x.ndim not in (3, 4) or x.shape[-3] != weight.shape[1]:
        raise RuntimeError(f"conv2d: expected input of shape (N, {weight.shape[1]}, H, W) or ({weight.shape[1]}, H, "
                           f"W), "
                           f"got {x.shape}")
    ops.check_same_dtype("conv2d", ("input", x), ("weight", weight), ("bias", bias))
    fn = Conv2dFunction(_pair(stride, "stride", 1, "conv2d"), _pair(padding, "padding", 0, "conv2d"))
    return _batched(x, "conv2d", lambda x4: fn(x4, weight) if bias is None else fn(x4, weight, bias))
