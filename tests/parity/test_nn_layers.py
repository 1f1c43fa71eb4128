"""Parity idioms: nn layers and their functional forms: Linear, Conv2d, pooling, BatchNorm, activations, dropout,
softmax, pad, flatten."""
import numpy as np

from .common import A, T, setw, value_and_grad
from .compare import Idioms, test_idiom  # noqa: F401  (test_idiom runs once per idiom of this module)

idioms = Idioms()
one, case = idioms.one, idioms.case


@case
def linear_forward_backward(torch):
    layer = torch.nn.Linear(3, 2)
    setw(torch, layer.weight, A(2, 3, seed=1))
    setw(torch, layer.bias, A(2, seed=2))
    x = T(torch, 4, 3, grad=True)
    y = layer(x)
    (y ** 2).sum().backward()
    return y, x.grad, layer.weight.grad, layer.bias.grad


one("linear_shapes", lambda torch: (torch.nn.Linear(3, 2).weight.shape, torch.nn.Linear(3, 2).bias.shape,
                                    torch.nn.Linear(3, 2, bias=False).bias is None))
one("linear_default_init_bound", lambda torch: bool(torch.nn.Linear(100, 50).weight.abs().max() <= 0.1))


@case
def conv2d_forward_backward(torch):
    layer = torch.nn.Conv2d(2, 3, kernel_size=3, padding=1, stride=2)
    setw(torch, layer.weight, A(3, 2, 3, 3, seed=1))
    setw(torch, layer.bias, A(3, seed=2))
    x = T(torch, 2, 2, 7, 7, grad=True)
    y = layer(x)
    (y * torch.tensor(A(*y.shape, seed=3))).sum().backward()
    return y, x.grad, layer.weight.grad, layer.bias.grad


@case
def conv2d_rect_kernel(torch):
    layer = torch.nn.Conv2d(1, 2, kernel_size=(3, 2), bias=False)
    setw(torch, layer.weight, A(2, 1, 3, 2, seed=1))
    return layer(T(torch, 1, 1, 5, 5)), layer.bias is None


@case
def conv2d_groups(torch):
    layer = torch.nn.Conv2d(4, 4, kernel_size=3, groups=2)
    return layer(T(torch, 1, 4, 5, 5)).shape


@case
def maxpool_forward_backward(torch):
    x = T(torch, 1, 2, 4, 4, grad=True)
    y = torch.nn.MaxPool2d(2)(x)
    (y * torch.tensor(A(*y.shape, seed=3))).sum().backward()
    return y, x.grad


@case
def avgpool_forward_backward(torch):
    x = T(torch, 1, 2, 4, 4, grad=True)
    y = torch.nn.AvgPool2d(kernel_size=2, stride=2)(x)
    (y * torch.tensor(A(*y.shape, seed=3))).sum().backward()
    return y, x.grad


one("avgpool_padding", lambda torch: torch.nn.AvgPool2d(3, stride=1, padding=1)(T(torch, 1, 1, 4, 4)))
one("maxpool_stride_default", lambda torch: torch.nn.MaxPool2d(3)(T(torch, 1, 1, 7, 7)).shape)


@case
def batchnorm2d_train_step(torch):
    bn = torch.nn.BatchNorm2d(3)
    setw(torch, bn.weight, A(3, seed=1, low=0.5))
    setw(torch, bn.bias, A(3, seed=2))
    x = T(torch, 4, 3, 2, 2, grad=True)
    y = bn(x)
    (y * torch.tensor(A(*y.shape, seed=3))).sum().backward()
    return y, x.grad, bn.weight.grad, bn.bias.grad, bn.running_mean, bn.running_var, bn.num_batches_tracked


@case
def batchnorm2d_eval(torch):
    bn = torch.nn.BatchNorm2d(3)
    bn(T(torch, 4, 3, 2, 2))
    bn.eval()
    return bn(T(torch, 2, 3, 2, 2, seed=1)), bn.training


@case
def batchnorm1d_train_eval(torch):
    bn = torch.nn.BatchNorm1d(4, momentum=0.2, eps=1e-3)
    y = bn(T(torch, 5, 4))
    bn.eval()
    return y, bn(T(torch, 2, 4, seed=1)), bn.running_var


@case
def batchnorm1d_batch_of_one_raises(torch):
    return torch.nn.BatchNorm1d(4)(T(torch, 1, 4))


one("activations_modules", lambda torch: (torch.nn.ReLU()(T(torch, 4)), torch.nn.Sigmoid()(T(torch, 4)),
                                          torch.nn.Tanh()(T(torch, 4))))
one("flatten_module", lambda torch: torch.nn.Flatten()(T(torch, 2, 3, 4)).shape)
one("softmax_module", lambda torch: torch.nn.Softmax(dim=1)(T(torch, 2, 3)))
one("dropout_eval_identity", lambda torch: torch.nn.Dropout(0.5).eval()(T(torch, 4)))
one("identity_module", lambda torch: torch.nn.Identity()(T(torch, 3)))
one("F_softmax_dim1", lambda torch: torch.nn.functional.softmax(T(torch, 2, 3), dim=1))
one("F_softmax_dim0", lambda torch: torch.nn.functional.softmax(T(torch, 2, 3), dim=0))
one("F_log_softmax_last", lambda torch: torch.nn.functional.log_softmax(T(torch, 2, 3), dim=-1))
one("softmax_method", lambda torch: T(torch, 2, 3).softmax(dim=1))
one("torch_softmax_positional", lambda torch: torch.softmax(T(torch, 2, 3), 0))
one("log_softmax_method", lambda torch: T(torch, 2, 3).log_softmax(1))
one("softmax_large_logits", lambda torch: torch.nn.functional.softmax(torch.tensor([[1000.0, 0.0]]), dim=1))
one("F_relu_sigmoid", lambda torch: (torch.nn.functional.relu(T(torch, 4)), torch.nn.functional.sigmoid(T(torch, 4))))
one("F_linear", lambda torch: torch.nn.functional.linear(T(torch, 2, 3), T(torch, 4, 3, seed=1), T(torch, 4, seed=2)))
one("F_conv2d", lambda torch: torch.nn.functional.conv2d(T(torch, 1, 2, 5, 5), T(torch, 3, 2, 3, 3, seed=1),
                                                         padding=1))
one("F_max_pool2d", lambda torch: torch.nn.functional.max_pool2d(T(torch, 1, 1, 4, 4), 2))
one("F_avg_pool2d", lambda torch: torch.nn.functional.avg_pool2d(T(torch, 1, 1, 4, 4), kernel_size=2))
one("softmax_from_scratch", lambda torch: (lambda X: torch.exp(X) / torch.exp(X).sum(1, keepdim=True))(T(torch, 2, 3)))
one("linear_by_hand", lambda torch: T(torch, 4, 3) @ T(torch, 2, 3, seed=1).T + T(torch, 2, seed=2))
one("layer_attributes", lambda torch:
    (lambda layer, c, b: (layer.in_features, layer.out_features, c.in_channels, c.out_channels,
                      c.kernel_size, c.stride, c.padding, b.num_features,
                      b.eps, b.momentum))(
    torch.nn.Linear(3, 4), torch.nn.Conv2d(1, 6, kernel_size=5), torch.nn.BatchNorm2d(6)))
one("F_softmax_no_dim_3d", lambda torch: torch.nn.functional.softmax(T(torch, 2, 3, 4)))
one("F_softmax_no_dim_4d", lambda torch: torch.nn.functional.softmax(T(torch, 2, 3, 2, 2)))
one("F_batch_norm_torch_signature", lambda torch: torch.nn.functional.batch_norm(
    T(torch, 4, 3), torch.zeros(3), torch.ones(3), T(torch, 3, seed=1), T(torch, 3, seed=2), training=True))
one("F_batch_norm_eval", lambda torch: torch.nn.functional.batch_norm(
    T(torch, 4, 3), T(torch, 3, seed=3), T(torch, 3, seed=4, low=0.5), T(torch, 3, seed=1), T(torch, 3, seed=2)))
one("conv2d_padding_same", lambda torch: torch.nn.Conv2d(1, 2, 3, padding="same")(T(torch, 1, 1, 5, 5)).shape)
one("batchnorm_momentum_none", lambda torch: (lambda bn: (bn(T(torch, 4, 3)), bn(T(torch, 4, 3, seed=1)),
                                                          bn.running_mean)[2])(torch.nn.BatchNorm1d(3, momentum=None)))
one("batchnorm_affine_false", lambda torch: (lambda bn: (bn(T(torch, 4, 3)), bn.weight is None,
                                                         list(bn.state_dict())))(torch.nn.BatchNorm1d(3, affine=False)))
one("batchnorm_no_running_stats", lambda torch: (lambda bn: (bn.eval()(T(torch, 4, 3)), bn.running_mean is None))(
    torch.nn.BatchNorm1d(3, track_running_stats=False)))
one("avg_pool_count_include_pad_false", lambda torch: torch.nn.functional.avg_pool2d(
    T(torch, 1, 1, 4, 4), 3, stride=1, padding=1, count_include_pad=False))
one("max_pool_ceil_mode", lambda torch: torch.nn.functional.max_pool2d(T(torch, 1, 1, 5, 5), 2, ceil_mode=True))
one("avgpool_odd_floor", lambda torch: torch.nn.AvgPool2d(2)(T(torch, 1, 1, 5, 5)))
one("F_linear_1d_input", lambda torch: torch.nn.functional.linear(T(torch, 3), T(torch, 2, 3, seed=1)))
one("softmax_function_dtype", lambda torch: torch.softmax(T(torch, 2, 3), dim=1, dtype=torch.float64))
one("log_softmax_function", lambda torch: torch.log_softmax(T(torch, 2, 3), 1))


@case
def linear_3d_input(torch):
    layer = torch.nn.Linear(2, 3)
    setw(torch, layer.weight, A(3, 2, seed=1))
    setw(torch, layer.bias, A(3, seed=2))
    return layer(T(torch, 4, 5, 2))


@case
def conv2d_unbatched(torch):
    layer = torch.nn.Conv2d(1, 2, 3, bias=False)
    setw(torch, layer.weight, A(2, 1, 3, 3, seed=1))
    return layer(T(torch, 1, 5, 5))


one("batchnorm2d_3d_input_raises", lambda torch: torch.nn.BatchNorm2d(3)(T(torch, 3, 4, 4)))
one("flatten_module_start0", lambda torch: torch.nn.Flatten(0)(T(torch, 2, 3)).shape)
one("linear_float64_input_raises", lambda torch: torch.nn.Linear(2, 2)(torch.zeros(3, 2, dtype=torch.float64)))
one("leaky_relu_inplace_functional", lambda torch:
    (lambda t: (torch.nn.functional.leaky_relu(t, 0.2, inplace=True) is t,
                 t))(T(torch, 5)))
one("elu_silu_relu6_inplace", lambda torch: [(lambda t: (f(t) is t, t))(T(torch, 5) * 4) for f in (
    lambda t: torch.nn.functional.elu(t, inplace=True), lambda t: torch.nn.functional.silu(t, inplace=True),
    lambda t: torch.nn.functional.relu6(t, inplace=True))])
one("inplace_activation_reprs", lambda torch: [repr(m) for m in (
    torch.nn.ReLU(inplace=True), torch.nn.LeakyReLU(0.2, inplace=True), torch.nn.ELU(inplace=True),
    torch.nn.SiLU(inplace=True), torch.nn.ReLU6(inplace=True), torch.nn.Dropout(0.5, inplace=True))])
one("dropout_inplace_eval_and_p1", lambda torch: (lambda t: (torch.nn.functional.dropout(t, 0.5, False, True) is t,
                                                             torch.nn.functional.dropout(t, 1.0, True, True) is t,
                                                             t))(T(torch, 4)))
one("softmax_float64", lambda torch: torch.nn.functional.softmax(T(torch, 2, 3, dtype=np.float64), dim=1))


@case
def conv2d_pair_stride_padding(torch):
    layer = torch.nn.Conv2d(2, 3, kernel_size=(3, 2), stride=(2, 1), padding=(1, 0))
    setw(torch, layer.weight, A(3, 2, 3, 2, seed=1))
    setw(torch, layer.bias, A(3, seed=2))
    x = T(torch, 2, 2, 7, 6, grad=True)
    y = layer(x)
    (y * torch.tensor(A(*y.shape, seed=3))).sum().backward()
    return y, x.grad, layer.weight.grad


@case
def pools_with_padding_grad(torch):
    x = T(torch, 1, 2, 5, 5, grad=True)
    a = torch.nn.MaxPool2d(3, stride=2, padding=1)(x)
    b = torch.nn.AvgPool2d(3, stride=2, padding=1)(x)
    ((a * torch.tensor(A(*a.shape, seed=1))).sum() + (b * torch.tensor(A(*b.shape, seed=2))).sum()).backward()
    return a, b, x.grad


@case
def activation_grads(torch):
    x = T(torch, 2, 3, grad=True)
    w = torch.tensor(A(2, 3, seed=1))
    (torch.nn.functional.softmax(x, dim=1) * w).sum().backward()
    g1 = x.grad.clone()
    x.grad = None
    ((torch.sigmoid(x) + torch.tanh(x) + torch.relu(x)) * w).sum().backward()
    return g1, x.grad


@case
def batchnorm2d_several_steps_then_eval(torch):
    bn = torch.nn.BatchNorm2d(2, momentum=0.5)
    for seed in range(3):
        bn(T(torch, 3, 2, 2, 2, seed=seed))
    bn.eval()
    return bn.running_mean, bn.running_var, bn.num_batches_tracked, bn(T(torch, 1, 2, 2, 2, seed=9))


one("dropout_train_statistics", lambda torch: (lambda y: (y.dtype, round(float((y == 0).float().mean()), 1),
                                                          sorted(set(y.unique().tolist()) if hasattr(y, "unique")
                                                                 else set(y.flatten().tolist()))))(
    torch.nn.functional.dropout(torch.ones(100, 100), 0.2)))
one("dropout_module_train_scale", lambda torch: (lambda y: float(y.max()))(torch.nn.Dropout(0.75)(torch.ones(1000))))
one("dropout_p_one_zeros", lambda torch: torch.nn.functional.dropout(T(torch, 3, 4), 1.0))
one("dropout_p_zero_is_input", lambda torch: (lambda x: torch.nn.functional.dropout(x, 0.0) is x)(T(torch, 3)))
one("dropout_not_training_is_input", lambda torch: (lambda x: torch.nn.functional.dropout(x, 0.5, False) is x)(
    T(torch, 3)))
one("dropout_functional_training_keyword", lambda torch:
    torch.nn.functional.dropout(T(torch, 3), p=0.3, training=False))
one("dropout_p_out_of_range", lambda torch: torch.nn.functional.dropout(T(torch, 3), 1.5))
one("dropout_module_p_negative", lambda torch: torch.nn.Dropout(-0.1))
one("dropout_p_string", lambda torch: torch.nn.Dropout("0.5"))
one("dropout_p_numpy_float", lambda torch: repr(torch.nn.Dropout(np.float32(0.25))))
one("dropout_repr", lambda torch: repr(torch.nn.Dropout(0.3)))
one("dropout_int_input", lambda torch: torch.nn.functional.dropout(torch.ones(3, dtype=torch.long), 0.5))


@case
def dropout_backward_is_the_mask(torch):
    x = torch.ones(50, 40, requires_grad=True)
    y = torch.nn.functional.dropout(x, 0.4)
    (y * 3).sum().backward()
    return bool((x.grad == 3 * y.detach()).all()), y.requires_grad


one("relu_module_inplace_false", lambda torch: (repr(torch.nn.ReLU(inplace=False)), torch.nn.ReLU(False)(T(torch, 4)),
                                               torch.nn.functional.relu(T(torch, 4), inplace=False)))
one("identity_module_returns_its_input", lambda torch:
    (lambda x: torch.nn.Identity(3, bias=False)(x) is x)(T(torch, 2)))
one("identity_repr", lambda torch: repr(torch.nn.Identity()))
one("softmax_module_requires_grad", lambda torch: torch.nn.Softmax(dim=1)(T(torch, 2, 3, grad=True)))
one("softmax_module_dim0", lambda torch: torch.nn.Softmax(0)(T(torch, 2, 3)))
one("log_softmax_module", lambda torch: torch.nn.LogSoftmax(dim=-1)(T(torch, 2, 3, grad=True)))
one("softmax_module_repr", lambda torch: (repr(torch.nn.Softmax(dim=1)), repr(torch.nn.LogSoftmax())))
one("linear_shapes_no_bias", lambda torch:
    (lambda layer: (tuple(layer.weight.shape), layer.bias is None))(torch.nn.Linear(3, 2, bias=False)))
one("linear_attrs", lambda torch: (lambda layer: (layer.in_features, layer.out_features))(torch.nn.Linear(3, 2)))
one("conv_attrs", lambda torch: (lambda c: (c.in_channels, c.out_channels, c.kernel_size, c.stride, c.padding,
                                                tuple(c.weight.shape), tuple(c.bias.shape)))(
    torch.nn.Conv2d(1, 6, 5, padding=2)))
one("linear_repr", lambda torch: repr(torch.nn.Linear(3, 2)))
one("conv_repr", lambda torch: repr(torch.nn.Conv2d(1, 6, kernel_size=5, padding=2)))
one("bn_repr", lambda torch: repr(torch.nn.BatchNorm2d(6)))
one("pool_repr", lambda torch: (repr(torch.nn.AvgPool2d(kernel_size=2, stride=2)), repr(torch.nn.MaxPool2d(2))))
one("flatten_repr", lambda torch: repr(torch.nn.Flatten()))
one("flatten_module_default", lambda torch: torch.nn.Flatten()(T(torch, 2, 3, 4)).shape)
one("flatten_module_1d_input", lambda torch: torch.nn.Flatten()(T(torch, 5)).shape)
one("unflatten_module", lambda torch: torch.nn.Unflatten(1, (2, 2))(T(torch, 3, 4)).shape)
one("dropout_eval_is_input", lambda torch: (lambda d, x: d.eval()(x) is x)(torch.nn.Dropout(0.5), T(torch, 3)))
one("dropout_p_attr", lambda torch: torch.nn.Dropout(0.3).p)
one("relu_module_int", lambda torch: torch.nn.ReLU()(torch.tensor([-1, 2])))
one("sigmoid_module_grad", lambda torch: torch.nn.Sigmoid()(T(torch, 3, grad=True)))
one("softmax_module_dim_attr", lambda torch: torch.nn.Softmax(dim=1).dim)
one("softmax_rows_sum", lambda torch: torch.nn.Softmax(dim=1)(T(torch, 3, 4)).sum(dim=1))
one("leaky_relu", lambda torch: torch.nn.LeakyReLU(0.1)(T(torch, 4)))
one("gelu", lambda torch: torch.nn.GELU()(T(torch, 4)))
one("r2_F_leaky_relu", lambda torch: torch.nn.functional.leaky_relu(T(torch, 4), 0.2))
one("r2_F_gelu", lambda torch: torch.nn.functional.gelu(T(torch, 4)))
one("r2_F_relu6", lambda torch: torch.nn.functional.relu6(T(torch, 4, low=-8, high=8)))
one("r2_F_softplus", lambda torch: torch.nn.functional.softplus(T(torch, 4)))
one("F_sigmoid_int", lambda torch: torch.nn.functional.sigmoid(torch.tensor([0, 1])))
one("F_dropout_eval_values", lambda torch: torch.nn.functional.dropout(T(torch, 4), 0.5, training=False))
one("r2_F_normalize", lambda torch: torch.nn.functional.normalize(T(torch, 3, 4), dim=1))
one("F_pad", lambda torch: torch.nn.functional.pad(T(torch, 2, 2), (1, 1)))
one("F_conv2d_stride_tuple", lambda torch:
    torch.nn.functional.conv2d(T(torch, 1, 1, 5, 5), T(torch, 2, 1, 3, 3, seed=1),
                                   stride=(2, 1), padding=1))
one("F_avg_pool_stride_default", lambda torch: torch.nn.functional.avg_pool2d(T(torch, 1, 1, 4, 4), 2))
one("F_max_pool_tuple_kernel", lambda torch: torch.nn.functional.max_pool2d(T(torch, 1, 1, 4, 6), (2, 3)))
one("adaptive_avg_pool", lambda torch: torch.nn.AdaptiveAvgPool2d((1, 1))(T(torch, 2, 3, 4, 4)).shape)
one("global_avg_by_mean", lambda torch: T(torch, 2, 3, 4, 4).mean(dim=(2, 3)))


@case
def bn1d_3d_input(torch):
    bn = torch.nn.BatchNorm1d(3)
    y = bn(T(torch, 4, 3, 5))
    return y, bn.running_mean, bn.running_var


@case
def bn_running_stats_one_step(torch):
    bn = torch.nn.BatchNorm2d(3, momentum=0.2)
    bn(T(torch, 4, 3, 2, 2))
    return bn.running_mean, bn.running_var, bn.num_batches_tracked


@case
def bn_params(torch):
    bn = torch.nn.BatchNorm2d(3)
    return ([n for n, _ in bn.named_parameters()], [n for n, _ in bn.named_buffers()], bn.weight, bn.bias,
            bn.eps, bn.momentum)


@case
def bn_no_grad_forward_updates(torch):
    bn = torch.nn.BatchNorm1d(2)
    with torch.no_grad():
        bn(T(torch, 5, 2))
    return bn.running_mean


one("normalize_channels", lambda torch: (T(torch, 2, 3, 2, 2) - torch.tensor([0.5, 0.4, 0.3]).view(1, 3, 1, 1))
    / torch.tensor([0.2, 0.2, 0.2]).view(1, 3, 1, 1))
one("softmax_int_raises", lambda torch: torch.softmax(torch.tensor([1, 2]), dim=0))
one("log_softmax_dim_neg", lambda torch: torch.log_softmax(T(torch, 2, 3), -1))
one("linear_weight_t", lambda torch: torch.nn.Linear(3, 2).weight.t().shape)
one("linear_in_out_features_int", lambda torch: torch.nn.Linear(3.0, 2))
one("conv_tuple_kernel", lambda torch: torch.nn.Conv2d(1, 2, (3, 5), padding=(1, 2)).weight.shape)
one("conv_stride2_shape", lambda torch: torch.nn.Conv2d(1, 2, 3, stride=2, padding=1)(torch.zeros(1, 1, 7, 7)).shape)
one("maxpool_stride1", lambda torch: torch.nn.MaxPool2d(3, stride=1, padding=1)(T(torch, 1, 1, 4, 4)))
one("avgpool_tuple", lambda torch: torch.nn.AvgPool2d((2, 1))(T(torch, 1, 1, 4, 4)))
one("bn_momentum_attr_change", lambda torch: _bn_momentum_change(torch))
one("bn_eps_effect", lambda torch: torch.nn.BatchNorm1d(2, eps=0.5)(T(torch, 4, 2)))
one("bn_train_stats_unbiased", lambda torch:
    (lambda bn: (bn(T(torch, 3, 2)), bn.running_var)[1])(torch.nn.BatchNorm1d(2, momentum=1.0)))
one("bn_input_channels_mismatch", lambda torch: torch.nn.BatchNorm2d(3)(torch.zeros(2, 4, 2, 2)))
one("bn_reset_running_stats", lambda torch: (lambda bn: (bn(T(torch, 4, 2)), bn.reset_running_stats(), bn.running_mean,
                                                           bn.num_batches_tracked)[2:])(torch.nn.BatchNorm1d(2)))


def _bn_momentum_change(torch):
    bn = torch.nn.BatchNorm1d(2)
    bn.momentum = 0.5
    bn(T(torch, 4, 2))
    return bn.running_mean


_F_ACTIVATIONS = {
    "leaky_relu": lambda F, x: F.leaky_relu(x), "leaky_relu_slope": lambda F, x: F.leaky_relu(x, 0.2),
    "leaky_relu_neg_slope": lambda F, x: F.leaky_relu(x, negative_slope=-0.5),
    "elu": lambda F, x: F.elu(x), "elu_alpha": lambda F, x: F.elu(x, alpha=0.5), "silu": lambda F, x: F.silu(x),
    "gelu": lambda F, x: F.gelu(x), "gelu_tanh": lambda F, x: F.gelu(x, approximate="tanh"),
    "softplus": lambda F, x: F.softplus(x), "softplus_beta": lambda F, x: F.softplus(x, beta=3, threshold=2),
    "relu6": lambda F, x: F.relu6(x * 4), "normalize": lambda F, x: F.normalize(x),
    "normalize_dim0_p1": lambda F, x: F.normalize(x, p=1, dim=0),
    "normalize_inf": lambda F, x: F.normalize(x, float("inf")),
    "normalize_p3": lambda F, x: F.normalize(x, 3.0, -1), "normalize_eps": lambda F, x: F.normalize(x * 1e-3, eps=1.0),
}

for _name, _f in _F_ACTIVATIONS.items():
    one(f"F_{_name}", lambda torch, f=_f:
        value_and_grad(torch, lambda x: f(torch.nn.functional, x), 3, 4, low=-4, high=4))
    one(f"F_{_name}_float64", lambda torch, f=_f: f(torch.nn.functional, T(torch, 2, 5, seed=2, dtype=np.float64)))

one("F_relu6_kinks", lambda torch: value_and_grad(torch, torch.nn.functional.relu6, 4, low=0, high=0) + (
    (lambda x: (torch.nn.functional.relu6(x).sum().backward(), x.grad)[1])(
        torch.tensor([0.0, 6.0, 3.0, -1.0, 7.0], requires_grad=True)),))
one("F_elu_at_zero", lambda torch: (lambda x: (torch.nn.functional.elu(x, 0.5).sum().backward(), x.grad)[1])(
    torch.zeros(2, requires_grad=True)))
one("F_softplus_extremes", lambda torch: value_and_grad(torch, torch.nn.functional.softplus, 6, low=-120, high=120))
one("F_elu_large", lambda torch: value_and_grad(torch, torch.nn.functional.elu, 6, low=-200, high=200))
one("F_normalize_zero_row", lambda torch: (lambda x: (torch.nn.functional.normalize(x).sum().backward(), x.grad)[1])(
    torch.zeros(2, 3, requires_grad=True)))
one("F_normalize_1d_default_dim_raises", lambda torch: torch.nn.functional.normalize(T(torch, 3)))
one("F_leaky_relu_int_raises", lambda torch: torch.nn.functional.leaky_relu(torch.tensor([1, -2])))
one("F_relu6_int", lambda torch: torch.nn.functional.relu6(torch.tensor([-1, 3, 9])))
one("F_gelu_bad_approximate", lambda torch: torch.nn.functional.gelu(T(torch, 2), approximate="exact"))
one("F_gelu_positional_approximate", lambda torch: torch.nn.functional.gelu(T(torch, 2), "tanh"))

for _module, _f in (("LeakyReLU", lambda nn: nn.LeakyReLU(0.3)), ("ELU", lambda nn: nn.ELU()),
                    ("GELU", lambda nn: nn.GELU()), ("GELU_tanh", lambda nn: nn.GELU("tanh")),
                    ("SiLU", lambda nn: nn.SiLU()), ("ReLU6", lambda nn: nn.ReLU6()),
                    ("Softplus", lambda nn: nn.Softplus(2.0, 10.0))):
    one(f"nn_{_module}", lambda torch, f=_f: (lambda m: (repr(m), m(T(torch, 2, 3))))(f(torch.nn)))

one("nn_LeakyReLU_in_sequential", lambda torch: (lambda net: (setw(torch, net[0].weight, A(4, 3, seed=1)),
                                                                setw(torch, net[0].bias, A(4, seed=2)),
                                                                net(T(torch, 2, 3)))[2])(
    torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.LeakyReLU(), torch.nn.GELU(), torch.nn.Linear(4, 1))[:3]))
one("pad_odd_length", lambda torch: torch.nn.functional.pad(T(torch, 3, 4), (1,)))
one("pad_too_long", lambda torch: torch.nn.functional.pad(T(torch, 3, 4), (1,) * 6))
one("pad_float_pad", lambda torch: torch.nn.functional.pad(T(torch, 3, 4), (1.5, 1)))
one("pad_int_value", lambda torch: torch.nn.functional.pad(torch.arange(4), (1, 2), value=3.7))
one("pad_unknown_mode", lambda torch: torch.nn.functional.pad(T(torch, 1, 3, 4), (1, 1), mode="symmetric"))
one("pad_reflect_too_wide", lambda torch: torch.nn.functional.pad(T(torch, 1, 3, 4), (4, 0), mode="reflect"))
one("pad_reflect_1d_input", lambda torch: torch.nn.functional.pad(T(torch, 4), (1, 1), mode="reflect"))
one("pad_reflect_value", lambda torch: torch.nn.functional.pad(T(torch, 1, 3, 4), (1, 1), mode="reflect", value=2.0))
one("pad_negative_too_much", lambda torch: torch.nn.functional.pad(T(torch, 3, 4), (-3, -2)))

for _size in (1, 2, 3, (2, 3), (None, 2), (7, 5), (4, None)):
    one(f"F_adaptive_avg_pool2d_{_size}".replace(" ", ""), lambda torch, s=_size: value_and_grad(
        torch, lambda x: torch.nn.functional.adaptive_avg_pool2d(x, s), 2, 3, 5, 7))

one("nn_AdaptiveAvgPool2d_3d", lambda torch:
    (lambda m: (repr(m), m(T(torch, 3, 4, 6))))(torch.nn.AdaptiveAvgPool2d((2, 3))))
one("nn_AdaptiveAvgPool2d_flatten_head", lambda torch: (lambda net: net(T(torch, 2, 3, 8, 8)))(
    torch.nn.Sequential(torch.nn.AdaptiveAvgPool2d(1), torch.nn.Flatten())))
one("nn_AdaptiveAvgPool2d_repr_none", lambda torch: repr(torch.nn.AdaptiveAvgPool2d((None, 2))))
one("F_adaptive_avg_pool2d_2d_raises", lambda torch: torch.nn.functional.adaptive_avg_pool2d(T(torch, 5, 7), 2))
one("F_adaptive_avg_pool2d_int_raises", lambda torch:
    torch.nn.functional.adaptive_avg_pool2d(torch.ones(1, 1, 4, 4, dtype=torch.long), 2))
one("F_adaptive_avg_pool2d_three_sizes", lambda torch:
    torch.nn.functional.adaptive_avg_pool2d(T(torch, 1, 1, 4, 4), (2, 2, 2)))
one("F_adaptive_avg_pool2d_negative", lambda torch: torch.nn.functional.adaptive_avg_pool2d(T(torch, 1, 1, 4, 4), -1))
one("nn_Unflatten", lambda torch: (lambda m: (repr(m), value_and_grad(torch, m, 3, 4)))(torch.nn.Unflatten(1, (2, 2))))
one("nn_Unflatten_list_minus_one", lambda torch:
    (lambda m: (repr(m), m(T(torch, 3, 4)).shape))(torch.nn.Unflatten(-1, [2, -1])))
one("nn_Unflatten_bad_sizes", lambda torch: torch.nn.Unflatten(1, (2, 3))(T(torch, 3, 4)))
# issue 26: integers in pooling, negative pads
one("max_pool_int_with_padding", lambda torch: torch.nn.functional.max_pool2d(torch.arange(16).reshape(1, 1, 4, 4), 2,
                                                                              padding=1))
one("max_pool_window_over_int16", lambda torch: value_and_grad(
    torch, lambda x: torch.nn.functional.max_pool2d(x, 190), 1, 1, 190, 190))
one("pad_reflect_negative", lambda torch: value_and_grad(
    torch, lambda x: torch.nn.functional.pad(x, (2, -3), mode="reflect"), 1, 2, 5))
one("pad_replicate_negative", lambda torch: value_and_grad(
    torch, lambda x: torch.nn.functional.pad(x, (-1, -1, 1, -2), mode="replicate"), 1, 1, 5, 5))
