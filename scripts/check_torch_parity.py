#!/usr/bin/env python
"""Run common PyTorch idioms in minigrad and in PyTorch, and say where minigrad differs.

    /work/torchenv/bin/python scripts/check_torch_parity.py            # every idiom, a line each
    /work/torchenv/bin/python scripts/check_torch_parity.py --problems # only what is not the same
    /work/torchenv/bin/python scripts/check_torch_parity.py -k var     # idioms whose name has "var"

Each idiom is a function of one argument named ``torch``: it is called once with PyTorch and once
with minigrad (``torch.nn``, ``torch.nn.functional``, ``torch.optim``, ``torch.autograd`` resolve to
minigrad's), on the same NumPy inputs, and its result (tensors: dtype, shape, values,
requires_grad; tuples; Python numbers with their type) is compared. Verdicts:

- ``same``:      the same result, or both raise the same exception type (or minigrad an
                 AttributeError for a name it lacks);
- ``exc-type``:  both raise, with different exception types (reported, not a failure);
- ``error``:     minigrad raises a clear error (TypeError, ValueError, RuntimeError,
                 NotImplementedError, AttributeError, IndexError) where PyTorch works;
- ``lenient``:   PyTorch raises, minigrad returns a result;
- ``MISMATCH``:  both return, with different results: a silent change of meaning;
- ``INTERNAL``:  minigrad fails with another exception, or inside NumPy, or with NumPy's own error.

Needs PyTorch (not a dependency of minigrad; not run by the tests). Exit status 1 when a
MISMATCH or INTERNAL is found.
"""
import argparse
import warnings
import math
import sys
import traceback
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # minigrad from this checkout

import minigrad  # noqa: E402
import minigrad.autograd  # noqa: E402,F401  (torch.autograd is importable as torch's attribute)
import minigrad.autograd.functional  # noqa: E402,F401

CASES = []


def case(fn):
    CASES.append((fn.__name__, fn))
    return fn


def one(name, fn):
    CASES.append((name, fn))


def A(*shape, seed=0, dtype=np.float32, low=-2.0, high=2.0):
    """A fixed NumPy input: uniform in [low, high) (integers for an integer dtype)."""
    rng = np.random.default_rng(seed)
    if np.dtype(dtype).kind in "iu":
        return rng.integers(int(low), int(high), shape).astype(dtype)
    return rng.uniform(low, high, shape).astype(dtype)


def T(torch, *shape, seed=0, dtype=np.float32, grad=False, **kw):
    """``A(...)`` as a tensor of the library under test (a leaf requiring grad with ``grad``)."""
    return torch.tensor(A(*shape, seed=seed, dtype=dtype, **kw), requires_grad=grad)


def setw(torch, param, array):
    """Copy fixed values into a parameter (both libraries start layers from the same weights)."""
    with torch.no_grad():
        param.copy_(torch.tensor(np.asarray(array, dtype=np.float32)))


# =========================================================================================
# Creation

one("tensor_int_list", lambda torch: torch.tensor([1, 2, 3]))
one("tensor_float_list", lambda torch: torch.tensor([1.0, 2.5]))
one("tensor_mixed_list", lambda torch: torch.tensor([1, 2.5]))
one("tensor_bool_list", lambda torch: torch.tensor([True, False]))
one("tensor_dtype_kw", lambda torch: torch.tensor([[1, 2], [3, 4]], dtype=torch.float32))
one("tensor_scalar_0d", lambda torch: torch.tensor(3.5))
one("tensor_from_float64_ndarray", lambda torch: torch.tensor(np.arange(3.0)))
one("tensor_from_int32_ndarray", lambda torch: torch.tensor(np.arange(3, dtype=np.int32)))
one("zeros_varargs", lambda torch: torch.zeros(2, 3))
one("zeros_tuple", lambda torch: torch.zeros((2, 3)))
one("zeros_size_kw", lambda torch: torch.zeros(size=(2, 3)))
one("ones_int_dtype", lambda torch: torch.ones(2, 3, dtype=torch.int64))
one("ones_list_size", lambda torch: torch.ones([2, 2]))
one("empty_shape_dtype", lambda torch: (torch.empty(2, 3).shape, torch.empty(2, 3).dtype))
one("full_float", lambda torch: torch.full((2, 3), 7.0))
one("full_int_infers_int64", lambda torch: torch.full((2, 2), 7))
one("full_bool", lambda torch: torch.full((2,), True))
one("arange_int", lambda torch: torch.arange(5))
one("arange_float_step", lambda torch: torch.arange(0, 1, 0.25))
one("arange_start_end_step", lambda torch: torch.arange(1, 10, 3))
one("arange_float_end", lambda torch: torch.arange(5.0))
one("arange_dtype", lambda torch: torch.arange(4, dtype=torch.float32))
one("linspace", lambda torch: torch.linspace(0, 1, 5))
one("linspace_steps_kw", lambda torch: torch.linspace(-1, 1, steps=3))
one("eye", lambda torch: torch.eye(3))
one("rand_range", lambda torch: (lambda r: (torch.rand(2, 3).shape, torch.rand(2, 3).dtype,
                                            bool(r.min() >= 0), bool(r.max() < 1)))(torch.rand(1000)))
one("rand_size_kw_dtype", lambda torch: (torch.rand(size=(1, 1, 28, 28), dtype=torch.float32).shape,
                                         torch.rand(size=(2,), dtype=torch.float64).dtype))
one("randn_shape_dtype", lambda torch: (torch.randn(2, 3).shape, torch.randn(4).dtype))
one("randn_tuple", lambda torch: torch.randn((2, 3)).shape)
one("randint", lambda torch: (torch.randint(0, 10, (3,)).shape, torch.randint(0, 10, (3,)).dtype,
                              bool(torch.randint(3, 5, (50,)).min() >= 3)))
one("zeros_like", lambda torch: torch.zeros_like(T(torch, 2, 3)))
one("ones_like_int", lambda torch: torch.ones_like(T(torch, 2, dtype=np.int64)))
one("full_like", lambda torch: torch.full_like(T(torch, 2, 2), 3.0))
one("rand_like", lambda torch: (torch.rand_like(T(torch, 2, 3)).shape, torch.rand_like(T(torch, 3)).dtype))
one("randn_like", lambda torch: torch.randn_like(T(torch, 2, 3, dtype=np.float64)).dtype)
one("empty_like", lambda torch: torch.empty_like(T(torch, 2, 3)).shape)
one("factory_requires_grad", lambda torch: torch.ones(2, requires_grad=True).requires_grad)
one("from_numpy_shares", lambda torch: (lambda a: (torch.from_numpy(a).add_(1), a.tolist())[1])(np.zeros(3)))
one("as_tensor", lambda torch: torch.as_tensor([1.0, 2.0]))
one("new_zeros", lambda torch: T(torch, 2, dtype=np.float64).new_zeros(3))

# =========================================================================================
# Dtypes and promotion

one("int_plus_float_scalar", lambda torch: torch.tensor([1, 2]) + 1.5)
one("int_times_int_scalar", lambda torch: torch.tensor([1, 2]) * 2)
one("float32_plus_python_float", lambda torch: T(torch, 3) + 1.5)
one("float32_plus_float64_tensor", lambda torch: T(torch, 3) + T(torch, 3, dtype=np.float64))
one("float32_plus_int64_tensor", lambda torch: T(torch, 3) + torch.tensor([1, 2, 3]))
one("int_true_division", lambda torch: torch.tensor([1, 2, 3]) / 2)
one("int_tensor_division", lambda torch: torch.tensor([1, 2, 3]) / torch.tensor([2, 2, 2]))
one("int_floor_division", lambda torch: torch.tensor([-3, 5, 7]) // 2)
one("float_floor_division", lambda torch: torch.tensor([-3.5, 5.0]) // 2)
one("int_remainder", lambda torch: torch.tensor([-3, 5, 7]) % 3)
one("int_pow_int", lambda torch: torch.tensor([1, 2, 3]) ** 2)
one("int_pow_float", lambda torch: torch.tensor([1, 4, 9]) ** 0.5)
one("scalar_pow_tensor", lambda torch: 2 ** T(torch, 3))
one("int_plus_0d_float_tensor", lambda torch: torch.tensor([1, 2]) + torch.tensor(1.5))
one("float32_plus_0d_float64", lambda torch: T(torch, 2) + torch.tensor(1.5, dtype=torch.float64))
one("bool_plus_int", lambda torch: torch.tensor([True, False]) + 1)
one("int32_plus_int64", lambda torch: torch.tensor([1, 2], dtype=torch.int32) + torch.tensor([1, 2]))
one("int32_plus_python_int", lambda torch: torch.tensor([1, 2], dtype=torch.int32) + 1)
one("float_to_int_astype", lambda torch: T(torch, 4).long())
one("to_int", lambda torch: T(torch, 4).int())
one("to_double", lambda torch: T(torch, 3).double())
one("to_float_from_int", lambda torch: torch.tensor([1, 2]).float())
one("to_bool", lambda torch: torch.tensor([0.0, 2.0]).bool())
one("to_dtype", lambda torch: T(torch, 3).to(torch.float64))
one("to_dtype_kw", lambda torch: T(torch, 3).to(dtype=torch.float64))
one("type_dtype", lambda torch: T(torch, 3).type(torch.float64))
one("compare_gives_bool", lambda torch: T(torch, 4) > 0)
one("bool_sum_int64", lambda torch: (T(torch, 6) > 0).sum())
one("int_sum_int64", lambda torch: torch.tensor([1, 2, 3], dtype=torch.int32).sum())
one("int_mean_raises", lambda torch: torch.tensor([1, 2, 3]).mean())
one("dtype_equality", lambda torch: (T(torch, 2).dtype == torch.float32, torch.tensor([1]).dtype == torch.int64))
one("is_floating_point", lambda torch: (T(torch, 2).is_floating_point(), torch.tensor([1]).is_floating_point()))

# =========================================================================================
# Reductions


@case
def sum_all(torch):
    return T(torch, 3, 4).sum()


one("sum_dim0", lambda torch: T(torch, 3, 4).sum(dim=0))
one("sum_dim_keepdim", lambda torch: T(torch, 3, 4).sum(dim=1, keepdim=True))
one("sum_dim_tuple", lambda torch: T(torch, 2, 3, 4).sum(dim=(0, 2)))
one("sum_positional_negative", lambda torch: T(torch, 2, 3).sum(-1))
one("sum_function_dim", lambda torch: torch.sum(T(torch, 2, 3), dim=0))
one("sum_axis_alias", lambda torch: T(torch, 2, 3).sum(axis=0))
one("sum_keepdims_alias", lambda torch: torch.sum(T(torch, 2, 3), axis=1, keepdims=True))
one("sum_dtype_kw", lambda torch: torch.tensor([1, 2]).sum(dtype=torch.float64))
one("mean_all", lambda torch: T(torch, 3, 4).mean())
one("mean_dim0", lambda torch: T(torch, 3, 4).mean(dim=0))
one("mean_chapter_4d", lambda torch: T(torch, 2, 3, 4, 4).mean(dim=(0, 2, 3), keepdim=True))
one("mean_positional", lambda torch: T(torch, 3, 4).mean(1))
one("var_all_unbiased", lambda torch: T(torch, 3, 4).var())
one("var_dim", lambda torch: T(torch, 3, 4).var(dim=0))
one("var_unbiased_false", lambda torch: T(torch, 3, 4).var(dim=1, unbiased=False))
one("var_correction0", lambda torch: T(torch, 3, 4).var(0, correction=0))
one("var_keepdim", lambda torch: T(torch, 2, 3, 4).var(dim=(0, 2), keepdim=True))
one("var_function", lambda torch: torch.var(T(torch, 5), unbiased=False))
one("std_all", lambda torch: T(torch, 3, 4).std())
one("std_dim_keepdim", lambda torch: T(torch, 3, 4).std(dim=1, keepdim=True))
one("std_function", lambda torch: torch.std(T(torch, 3, 4), dim=0))
one("max_all", lambda torch: T(torch, 3, 4).max())
one("max_dim_tuple_result", lambda torch: tuple(T(torch, 3, 4).max(dim=1)))
one("max_dim_values_indices", lambda torch: (T(torch, 3, 4).max(1).values, T(torch, 3, 4).max(1).indices))
one("max_dim_keepdim", lambda torch: tuple(T(torch, 3, 4).max(1, keepdim=True)))
one("max_function_dim", lambda torch: tuple(torch.max(T(torch, 3, 4), 0)))
one("max_two_tensors", lambda torch: torch.max(T(torch, 4), T(torch, 4, seed=1)))
one("min_all", lambda torch: T(torch, 3, 4).min())
one("min_dim", lambda torch: tuple(T(torch, 3, 4).min(dim=0)))
one("min_two_tensors", lambda torch: torch.min(T(torch, 4), T(torch, 4, seed=1)))
one("maximum", lambda torch: torch.maximum(T(torch, 4), T(torch, 4, seed=1)))
one("minimum", lambda torch: torch.minimum(T(torch, 4), T(torch, 4, seed=1)))
one("amax_dim", lambda torch: T(torch, 3, 4).amax(dim=1))
one("argmax_all", lambda torch: T(torch, 3, 4).argmax())
one("argmax_dim", lambda torch: T(torch, 3, 4).argmax(dim=1))
one("argmax_keepdim", lambda torch: T(torch, 3, 4).argmax(1, keepdim=True))
one("argmax_axis_alias", lambda torch: T(torch, 3, 4).argmax(axis=1))
one("argmax_function", lambda torch: torch.argmax(T(torch, 3, 4), dim=0))
one("argmin_dim", lambda torch: T(torch, 3, 4).argmin(dim=0))
one("prod_all", lambda torch: T(torch, 2, 3).prod())
one("prod_dim", lambda torch: T(torch, 2, 3).prod(dim=1))
one("logsumexp_dim", lambda torch: T(torch, 3, 4).logsumexp(dim=1))
one("logsumexp_function_keepdim", lambda torch: torch.logsumexp(T(torch, 3, 4), dim=0, keepdim=True))
one("logsumexp_large", lambda torch: torch.logsumexp(torch.tensor([1000.0, 1000.0]), dim=0))
one("all_any", lambda torch: ((T(torch, 4) > -5).all(), (T(torch, 4) > 5).any()))
one("all_dim", lambda torch: (T(torch, 3, 4) > 0).all(dim=1))
one("cumsum", lambda torch: T(torch, 3, 4).cumsum(dim=1))
one("norm", lambda torch: T(torch, 3, 4).norm())
one("abs_sum", lambda torch: T(torch, 3).abs().sum())

# =========================================================================================
# Shapes

one("transpose_2d", lambda torch: T(torch, 2, 3).transpose(0, 1))
one("transpose_4d_1_2", lambda torch: T(torch, 2, 3, 4, 5).transpose(1, 2))
one("transpose_negative", lambda torch: T(torch, 2, 3, 4).transpose(-1, -2))
one("transpose_function", lambda torch: torch.transpose(T(torch, 2, 3), 0, 1))
one("transpose_one_arg_raises", lambda torch: T(torch, 2, 3).transpose(0))
one("t_method", lambda torch: T(torch, 2, 3).t())
one("T_property", lambda torch: T(torch, 2, 3).T)
one("mT_property", lambda torch: T(torch, 2, 3, 4).mT)
one("permute_varargs", lambda torch: T(torch, 2, 3, 4).permute(2, 0, 1))
one("permute_tuple", lambda torch: T(torch, 2, 3, 4).permute((1, 2, 0)))
one("permute_negative", lambda torch: T(torch, 2, 3, 4).permute(-1, 0, 1))
one("permute_function", lambda torch: torch.permute(T(torch, 2, 3, 4), (2, 1, 0)))
one("view_minus1", lambda torch: T(torch, 3, 4).view(-1))
one("view_two", lambda torch: T(torch, 3, 4).view(2, -1))
one("view_tuple", lambda torch: T(torch, 3, 4).view((4, 3)))
one("view_noncontiguous_raises", lambda torch: T(torch, 3, 4).t().view(-1))
one("reshape_minus1", lambda torch: T(torch, 3, 4).reshape(-1))
one("reshape_tuple", lambda torch: T(torch, 3, 4).reshape((2, 6)))
one("reshape_chapter", lambda torch: T(torch, 1, 6, grad=True).reshape((-1,)))
one("reshape_function", lambda torch: torch.reshape(T(torch, 3, 4), (6, 2)))
one("reshape_bad_raises", lambda torch: T(torch, 3, 4).reshape(5, -1))
one("flatten_all", lambda torch: T(torch, 2, 3, 4).flatten())
one("flatten_start", lambda torch: T(torch, 2, 3, 4).flatten(1))
one("flatten_start_end", lambda torch: T(torch, 2, 3, 4, 5).flatten(start_dim=1, end_dim=2))
one("flatten_function", lambda torch: torch.flatten(T(torch, 2, 3, 4), 1))
one("squeeze_all", lambda torch: T(torch, 1, 3, 1).squeeze())
one("squeeze_dim", lambda torch: T(torch, 1, 3, 1).squeeze(0))
one("squeeze_non1_dim_noop", lambda torch: T(torch, 2, 3).squeeze(1))
one("squeeze_function", lambda torch: torch.squeeze(T(torch, 3, 1), 1))
one("unsqueeze_0", lambda torch: T(torch, 3).unsqueeze(0))
one("unsqueeze_negative", lambda torch: T(torch, 2, 3).unsqueeze(-1))
one("unsqueeze_function", lambda torch: torch.unsqueeze(T(torch, 3), 1))
one("none_index", lambda torch: T(torch, 3)[None, :, None])
one("expand", lambda torch: T(torch, 1, 4).expand(3, 4))
one("expand_minus1", lambda torch: T(torch, 3, 1).expand(-1, 4))
one("expand_tuple", lambda torch: T(torch, 1, 4).expand((2, 4)))
one("expand_as", lambda torch: T(torch, 1, 4).expand_as(T(torch, 3, 4)))
one("repeat", lambda torch: T(torch, 2, 3).repeat(2, 1))
one("cat_default", lambda torch: torch.cat([T(torch, 2, 3), T(torch, 1, 3, seed=1)]))
one("cat_dim1", lambda torch: torch.cat((T(torch, 2, 3), T(torch, 2, 1, seed=1)), dim=1))
one("cat_negative", lambda torch: torch.cat([T(torch, 2, 3), T(torch, 2, 2, seed=1)], -1))
one("stack_default", lambda torch: torch.stack([T(torch, 3), T(torch, 3, seed=1)]))
one("stack_dim1", lambda torch: torch.stack([T(torch, 2, 3), T(torch, 2, 3, seed=1)], dim=1))
one("chunk", lambda torch: T(torch, 4, 3).chunk(2, dim=0))
one("split", lambda torch: T(torch, 5, 2).split(2))
one("size_call", lambda torch: T(torch, 2, 3).size())
one("size_dim", lambda torch: (T(torch, 2, 3).size(1), T(torch, 2, 3).size(-1)))
one("shape_index", lambda torch: T(torch, 2, 3).shape[1])
one("shape_equals_tuple", lambda torch: T(torch, 2, 3).shape == (2, 3))
one("numel_dim_ndim_len", lambda torch: (T(torch, 2, 3).numel(), T(torch, 2, 3).dim(), T(torch, 2, 3).ndim,
                                         len(T(torch, 2, 3))))
one("contiguous", lambda torch: T(torch, 2, 3).t().contiguous())

# =========================================================================================
# Indexing

one("index_int", lambda torch: T(torch, 3, 4)[0])
one("index_negative", lambda torch: T(torch, 3, 4)[-1])
one("index_column", lambda torch: T(torch, 3, 4)[:, 1])
one("index_slice_step", lambda torch: T(torch, 6)[1:5:2])
one("index_ellipsis", lambda torch: T(torch, 2, 3, 4)[..., 0])
one("index_list", lambda torch: T(torch, 4, 3)[[0, 2]])
one("index_long_tensor", lambda torch: T(torch, 4, 3)[torch.tensor([3, 0])])
one("index_bool_mask", lambda torch: (lambda x: x[x > 0])(T(torch, 3, 4)))
one("index_pairs", lambda torch: T(torch, 3, 4)[[0, 1, 2], [1, 2, 3]])
one("index_arange_labels", lambda torch: T(torch, 3, 4)[torch.arange(3), torch.tensor([0, 3, 1])])
one("index_item", lambda torch: T(torch, 3, 4)[1, 2].item())
one("index_out_of_range_raises", lambda torch: T(torch, 3)[5])


@case
def setitem_int(torch):
    x = T(torch, 3, 4)
    x[0] = 5.0
    return x


@case
def setitem_mask(torch):
    x = T(torch, 3, 4)
    x[x < 0] = 0
    return x


@case
def setitem_column_tensor(torch):
    x = T(torch, 3, 4)
    x[:, 1] = torch.tensor([1.0, 2.0, 3.0])
    return x


one("gather", lambda torch: torch.gather(T(torch, 3, 4), 1, torch.tensor([[0], [3], [1]])))
one("gather_method", lambda torch: T(torch, 3, 4).gather(1, torch.tensor([[2, 1], [0, 0], [3, 3]])))
one("where", lambda torch: torch.where(T(torch, 3) > 0, T(torch, 3), torch.zeros(3)))
one("where_scalar", lambda torch: torch.where(T(torch, 4) > 0, T(torch, 4), 0.0))
one("masked_fill", lambda torch: T(torch, 3, 4).masked_fill(T(torch, 3, 4, seed=1) > 0, -1.0))
one("clamp_min", lambda torch: T(torch, 5).clamp(min=0))
one("clamp_both", lambda torch: T(torch, 5).clamp(-0.5, 0.5))
one("clamp_function", lambda torch: torch.clamp(T(torch, 5), max=0.1))

# =========================================================================================
# Elementwise, broadcasting, matmul

one("exp_log_sqrt", lambda torch: (T(torch, 3).exp(), T(torch, 3, low=0.5).log(), T(torch, 3, low=0.5).sqrt()))
one("function_forms", lambda torch: (torch.exp(T(torch, 3)), torch.log(T(torch, 3, low=1)),
                                     torch.sqrt(T(torch, 3, low=1)), torch.abs(T(torch, 3))))
one("sigmoid_tanh_relu", lambda torch: (torch.sigmoid(T(torch, 4)), torch.tanh(T(torch, 4)),
                                        torch.relu(T(torch, 4))))
one("pow_method", lambda torch: T(torch, 3).pow(2))
one("neg_sign", lambda torch: (-T(torch, 3), torch.sign(T(torch, 3))))
one("square_rsqrt", lambda torch: (T(torch, 3).square(), T(torch, 3, low=1).rsqrt()))
one("sin_cos", lambda torch: (torch.sin(T(torch, 3)), torch.cos(T(torch, 3))))
one("broadcast_col_row", lambda torch: T(torch, 3, 1) + T(torch, 1, 4, seed=1))
one("broadcast_trailing", lambda torch: T(torch, 2, 3, 4) * T(torch, 4, seed=1))
one("broadcast_3d", lambda torch: T(torch, 2, 1, 4) - T(torch, 3, 1, seed=1))
one("broadcast_bad_raises", lambda torch: T(torch, 2, 3) + T(torch, 2))
one("matmul_2d", lambda torch: T(torch, 2, 3) @ T(torch, 3, 4, seed=1))
one("matmul_batched", lambda torch: T(torch, 2, 3, 4) @ T(torch, 4, 5, seed=1))
one("matmul_vec_mat", lambda torch: T(torch, 3) @ T(torch, 3, 4, seed=1))
one("matmul_mat_vec", lambda torch: T(torch, 2, 3) @ T(torch, 3, seed=1))
one("matmul_vec_vec", lambda torch: torch.matmul(T(torch, 3), T(torch, 3, seed=1)))
one("mm", lambda torch: torch.mm(T(torch, 2, 3), T(torch, 3, 2, seed=1)))
one("bmm", lambda torch: torch.bmm(T(torch, 2, 2, 3), T(torch, 2, 3, 2, seed=1)))
one("dot", lambda torch: torch.dot(T(torch, 3), T(torch, 3, seed=1)))
one("matmul_bad_raises", lambda torch: T(torch, 2, 3) @ T(torch, 2, 3))
one("equal_allclose", lambda torch: (torch.equal(T(torch, 3), T(torch, 3)),
                                     torch.allclose(T(torch, 3), T(torch, 3) + 1e-9)))
one("eq_elementwise", lambda torch: T(torch, 3) == T(torch, 3))

# =========================================================================================
# In-place changes, views, .data


@case
def add_inplace(torch):
    x = T(torch, 3)
    x.add_(1)
    x += 2
    x.mul_(2)
    x.sub_(torch.ones(3), alpha=2)
    x.add_(torch.ones(3), alpha=0.5)
    return x


@case
def zero_fill_copy(torch):
    x, y = T(torch, 3), T(torch, 3, seed=1)
    a = x.clone().zero_()
    b = x.clone().fill_(3)
    return a, b, x.copy_(y)


@case
def inplace_returns_self(torch):
    x = T(torch, 3)
    return x.add_(1) is x, x.zero_() is x


@case
def view_shares_memory(torch):
    x = T(torch, 3, 4)
    y = x.view(-1)
    y[0] = 100.0
    return x


@case
def transpose_shares_memory(torch):
    x = T(torch, 2, 3)
    x.t()[0, 1] = 9.0
    return x


@case
def data_is_tensor_sharing_memory(torch):
    x = T(torch, 3, grad=True)
    d = x.data
    d.add_(1)
    return type(d).__name__ == "Tensor", d.requires_grad, x


@case
def detach_shares_memory(torch):
    x = T(torch, 3, grad=True)
    d = x.detach()
    d[0] = 5.0
    return d.requires_grad, x


@case
def clone_does_not_share(torch):
    x = T(torch, 3)
    c = x.clone()
    c[0] = 9.0
    return x, c


@case
def clone_is_differentiable(torch):
    x = T(torch, 3, grad=True)
    (x.clone() * 2).sum().backward()
    return x.grad


@case
def inplace_on_leaf_requiring_grad_raises(torch):
    x = T(torch, 3, grad=True)
    x.add_(1)
    return x


@case
def inplace_under_no_grad_on_leaf(torch):
    x = T(torch, 3, grad=True)
    with torch.no_grad():
        x.sub_(0.5 * torch.ones(3))
    return x


@case
def modified_saved_tensor_raises(torch):
    x = T(torch, 3, grad=True)
    y = x.exp()
    z = y * 1
    y2 = y.detach()
    y2.add_(1)
    (y * 2).sum().backward()
    return x.grad, z


@case
def data_inplace_then_backward(torch):
    x = T(torch, 3, grad=True)
    y = x * x
    x.data.mul_(2)
    y.sum().backward()
    return x.grad


@case
def data_assignment(torch):
    x = T(torch, 3, grad=True)
    x.data = torch.tensor([1.0, 2.0, 3.0])
    return x


# =========================================================================================
# Conversion to Python and NumPy

one("item_float", lambda torch: T(torch, 3).sum().item())
one("item_int", lambda torch: torch.tensor([4]).sum().item())
one("item_bool", lambda torch: (T(torch, 1) > 0).item())
one("item_multi_raises", lambda torch: T(torch, 3).item())
one("tolist_nested", lambda torch: T(torch, 2, 2).tolist())
one("tolist_int", lambda torch: torch.tensor([[1, 2], [3, 4]]).tolist())
one("tolist_scalar", lambda torch: torch.tensor(3).tolist())
one("numpy_type", lambda torch: (type(T(torch, 2).numpy()).__name__, T(torch, 2).numpy().dtype.name))
one("numpy_requires_grad_raises", lambda torch: T(torch, 2, grad=True).numpy())
one("float_int_bool", lambda torch: (float(torch.tensor(2.5)), int(torch.tensor(7)), bool(torch.tensor(1.0))))
one("bool_multi_raises", lambda torch: bool(T(torch, 3)))
one("device_str", lambda torch: (str(T(torch, 2).device), T(torch, 2).device.type))
one("to_same_device_is_self", lambda torch: (lambda x: x.to("cpu") is x)(T(torch, 2)))
one("float_on_float32_is_self", lambda torch: (lambda x: x.float() is x)(T(torch, 2)))
one("device_object", lambda torch: torch.device("cpu") == T(torch, 2).device)

# =========================================================================================
# Autograd


@case
def backward_square(torch):
    x = T(torch, 3, grad=True)
    (x ** 2).sum().backward()
    return x.grad


@case
def grad_none_before_backward(torch):
    return T(torch, 3, grad=True).grad is None


@case
def grads_accumulate(torch):
    x = T(torch, 3, grad=True)
    y = (x * x).sum()
    y.backward(retain_graph=True)
    y.backward()
    return x.grad


@case
def backward_twice_raises(torch):
    x = T(torch, 3, grad=True)
    y = (x.exp()).sum()
    y.backward()
    y.backward()
    return x.grad


@case
def backward_nonscalar_raises(torch):
    x = T(torch, 3, grad=True)
    (x * 2).backward()


@case
def backward_with_gradient(torch):
    x = T(torch, 3, grad=True)
    (x * x).backward(torch.tensor([1.0, 0.5, -1.0]))
    return x.grad


@case
def autograd_grad(torch):
    x = T(torch, 3, grad=True)
    return torch.autograd.grad((x.sigmoid() * x).sum(), x)


@case
def autograd_grad_create_graph(torch):
    x = T(torch, 3, grad=True)
    (g,) = torch.autograd.grad((x ** 3).sum(), x, create_graph=True)
    (h,) = torch.autograd.grad(g.sum(), x)
    return g, h


@case
def double_backward_tanh(torch):
    x = T(torch, 4, grad=True)
    (g,) = torch.autograd.grad(torch.tanh(x).sum(), [x], create_graph=True)
    g.sum().backward()
    return x.grad


@case
def autograd_grad_unused_raises(torch):
    x, y = T(torch, 2, grad=True), T(torch, 2, grad=True)
    return torch.autograd.grad((x * 2).sum(), [x, y])


@case
def autograd_grad_allow_unused(torch):
    x, y = T(torch, 2, grad=True), T(torch, 2, grad=True)
    return torch.autograd.grad((x * 2).sum(), [x, y], allow_unused=True)


@case
def no_grad_context(torch):
    x = T(torch, 3, grad=True)
    with torch.no_grad():
        y = x * 2
    return y.requires_grad, y.grad_fn is None, torch.is_grad_enabled()


@case
def no_grad_decorator(torch):
    @torch.no_grad()
    def f(x):
        return x * 2
    return f(T(torch, 3, grad=True)).requires_grad


@case
def enable_grad_inside_no_grad(torch):
    x = T(torch, 3, grad=True)
    with torch.no_grad():
        with torch.enable_grad():
            y = x * 2
    return y.requires_grad


@case
def set_grad_enabled_context(torch):
    x = T(torch, 3, grad=True)
    with torch.set_grad_enabled(False):
        y = x * 2
        inside = torch.is_grad_enabled()
    return y.requires_grad, inside, torch.is_grad_enabled()


@case
def detach_no_grad(torch):
    x = T(torch, 3, grad=True)
    return (x * 2).detach().requires_grad, (x * 2).is_leaf, x.is_leaf


@case
def requires_grad_inplace(torch):
    x = T(torch, 3)
    x.requires_grad_()
    (x * 3).sum().backward()
    return x.grad


@case
def requires_grad_int_raises(torch):
    return torch.tensor([1, 2]).requires_grad_()


@case
def retain_grad_intermediate(torch):
    x = T(torch, 3, grad=True)
    y = x * 2
    y.retain_grad()
    (y ** 2).sum().backward()
    return y.grad, x.grad


@case
def nonleaf_grad_is_none(torch):
    x = T(torch, 3, grad=True)
    y = x * 2
    y.sum().backward()
    return y.grad is None


@case
def grad_zero_(torch):
    x = T(torch, 3, grad=True)
    x.sum().backward()
    x.grad.zero_()
    (2 * x).sum().backward()
    return x.grad


@case
def grad_of_mean_var_std(torch):
    x = T(torch, 3, 4, grad=True)
    (x.mean() + x.var(dim=0).sum() + x.std(dim=1, keepdim=True).sum()).backward()
    return x.grad


@case
def grad_of_max_dim(torch):
    x = T(torch, 3, 4, grad=True)
    x.max(dim=1)[0].sum().backward()
    return x.grad


@case
def grad_of_min_all(torch):
    x = T(torch, 3, 4, grad=True)
    x.min().backward()
    return x.grad


@case
def grad_of_logsumexp(torch):
    x = T(torch, 3, 4, grad=True)
    torch.logsumexp(x, dim=1).sum().backward()
    return x.grad


@case
def grad_broadcast(torch):
    a, b = T(torch, 3, 1, grad=True), T(torch, 1, 4, seed=1, grad=True)
    ((a + b) * (a - b)).sum().backward()
    return a.grad, b.grad


@case
def grad_matmul(torch):
    a, b = T(torch, 2, 3, grad=True), T(torch, 3, 4, seed=1, grad=True)
    (a @ b).sum().backward()
    return a.grad, b.grad


@case
def grad_index_repeated(torch):
    x = T(torch, 4, grad=True)
    x[torch.tensor([0, 0, 2])].sum().backward()
    return x.grad


@case
def grad_cat_stack(torch):
    a, b = T(torch, 2, 3, grad=True), T(torch, 2, 3, seed=1, grad=True)
    w = torch.tensor(A(4, 3, seed=2))
    (torch.cat([a, b]) * w).sum().backward()
    (torch.stack([a, b]).sum(dim=0) ** 2).sum().backward()
    return a.grad, b.grad


@case
def grad_transpose_permute_expand(torch):
    x = T(torch, 2, 3, grad=True)
    w = torch.tensor(A(3, 2, seed=1))
    (x.transpose(0, 1) * w).sum().backward()
    (x.unsqueeze(0).expand(4, 2, 3).permute(2, 1, 0) ** 2).sum().backward()
    return x.grad


@case
def grad_where_clamp(torch):
    x = T(torch, 5, grad=True)
    (torch.where(x > 0, x * 3, x * x) + x.clamp(-0.5, 0.5)).sum().backward()
    return x.grad


@case
def grad_fn_presence(torch):
    x = T(torch, 3, grad=True)
    return x.grad_fn is None, (x * 2).grad_fn is not None


# =========================================================================================
# nn layers with copied weights


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
one("parameter_repr_type", lambda torch: (isinstance(torch.nn.Linear(2, 2).weight, torch.nn.Parameter),
                                          torch.nn.Linear(2, 2).weight.requires_grad))


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


one("batchnorm_state_dict_keys", lambda torch: list(torch.nn.BatchNorm2d(3).state_dict().keys()))
one("activations_modules", lambda torch: (torch.nn.ReLU()(T(torch, 4)), torch.nn.Sigmoid()(T(torch, 4)),
                                          torch.nn.Tanh()(T(torch, 4))))
one("flatten_module", lambda torch: torch.nn.Flatten()(T(torch, 2, 3, 4)).shape)
one("softmax_module", lambda torch: torch.nn.Softmax(dim=1)(T(torch, 2, 3)))
one("dropout_eval_identity", lambda torch: torch.nn.Dropout(0.5).eval()(T(torch, 4)))
one("identity_module", lambda torch: torch.nn.Identity()(T(torch, 3)))

# =========================================================================================
# Losses and functional

Y3 = np.array([2, 0, 1])


@case
def cross_entropy_mean(torch):
    logits = T(torch, 3, 4, grad=True)
    loss = torch.nn.CrossEntropyLoss()(logits, torch.tensor(Y3))
    loss.backward()
    return loss, logits.grad


one("cross_entropy_sum", lambda torch: torch.nn.CrossEntropyLoss(reduction="sum")(T(torch, 3, 4), torch.tensor(Y3)))
one("cross_entropy_none", lambda torch: torch.nn.CrossEntropyLoss(reduction="none")(T(torch, 3, 4), torch.tensor(Y3)))
one("cross_entropy_bad_reduction_raises",
    lambda torch: torch.nn.CrossEntropyLoss(reduction="avg")(T(torch, 3, 4), torch.tensor(Y3)))
one("F_cross_entropy", lambda torch: torch.nn.functional.cross_entropy(T(torch, 3, 4), torch.tensor(Y3)))
one("F_cross_entropy_none", lambda torch: torch.nn.functional.cross_entropy(T(torch, 3, 4), torch.tensor(Y3),
                                                                             reduction="none"))
one("F_cross_entropy_label_smoothing",
    lambda torch: torch.nn.functional.cross_entropy(T(torch, 3, 4), torch.tensor(Y3), label_smoothing=0.1))
one("F_cross_entropy_prob_targets",
    lambda torch: torch.nn.functional.cross_entropy(T(torch, 3, 4), torch.softmax(T(torch, 3, 4, seed=1), dim=1)))
one("cross_entropy_float_labels_raises",
    lambda torch: torch.nn.functional.cross_entropy(T(torch, 3, 4), torch.tensor([2.0, 0.0, 1.0])))
one("cross_entropy_label_out_of_range_raises",
    lambda torch: torch.nn.functional.cross_entropy(T(torch, 3, 4), torch.tensor([4, 0, 1])))
one("nll_loss", lambda torch: torch.nn.functional.nll_loss(torch.log_softmax(T(torch, 3, 4), dim=1), torch.tensor(Y3)))
one("mse_loss", lambda torch: (torch.nn.MSELoss()(T(torch, 3), T(torch, 3, seed=1)),
                               torch.nn.functional.mse_loss(T(torch, 3), T(torch, 3, seed=1), reduction="sum")))
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
one("F_one_hot", lambda torch: torch.nn.functional.one_hot(torch.tensor([0, 2]), num_classes=3))


@case
def grad_log_softmax(torch):
    x = T(torch, 2, 3, grad=True)
    (torch.nn.functional.log_softmax(x, dim=0) * torch.tensor(A(2, 3, seed=1))).sum().backward()
    return x.grad


# =========================================================================================
# nn.init, apply, modules, state_dict


@case
def init_zeros_ones_constant(torch):
    w = torch.nn.Linear(3, 2).weight
    r = torch.nn.init.zeros_(w)
    a = w.clone()
    torch.nn.init.ones_(w)
    b = w.clone()
    torch.nn.init.constant_(w, 0.5)
    return r is w, a, b, w, w.requires_grad, w.grad_fn is None


@case
def init_uniform_normal(torch):
    w = torch.nn.Parameter(torch.zeros(200, 100))
    torch.nn.init.uniform_(w, -0.1, 0.1)
    in_range = bool(w.abs().max() <= 0.1)
    torch.nn.init.normal_(w, mean=1.0, std=0.01)
    return in_range, round(float(w.mean()), 2), w.requires_grad, w.is_leaf


@case
def init_xavier_uniform_bound(torch):
    w = torch.nn.Parameter(torch.zeros(30, 20, 3, 3))
    torch.nn.init.xavier_uniform_(w)
    bound = math.sqrt(6 / (20 * 9 + 30 * 9))
    return bool(w.abs().max() <= bound), bool(w.abs().max() > 0.9 * bound)


@case
def init_xavier_gain(torch):
    w = torch.nn.Parameter(torch.zeros(300, 200))
    torch.nn.init.xavier_normal_(w, gain=torch.nn.init.calculate_gain("relu"))
    return round(float(w.std()) / (math.sqrt(2) * math.sqrt(2 / 500)), 1)


@case
def init_kaiming(torch):
    w = torch.nn.Parameter(torch.zeros(200, 300))
    torch.nn.init.kaiming_uniform_(w, a=math.sqrt(5))
    bound = 1 / math.sqrt(300)
    u = (bool(w.abs().max() <= bound), bool(w.abs().max() > 0.9 * bound))
    torch.nn.init.kaiming_normal_(w, mode="fan_out", nonlinearity="relu")
    return u, round(float(w.std()) / math.sqrt(2 / 200), 1)


@case
def init_trunc_normal(torch):
    w = torch.nn.Parameter(torch.zeros(300, 200))
    r = torch.nn.init.trunc_normal_(w, std=0.02)
    inside = bool(w.abs().max() <= 2.0)
    torch.nn.init.trunc_normal_(w, mean=0.0, std=1.0, a=-1.0, b=1.0)
    return r is w, inside, bool(w.abs().max() <= 1.0), round(float(w.std()), 2)


@case
def init_1d_fan_raises(torch):
    torch.nn.init.xavier_uniform_(torch.nn.Parameter(torch.zeros(5)))


@case
def apply_order_and_return(torch):
    net = torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.Sequential(torch.nn.ReLU(), torch.nn.Linear(3, 1)))
    seen = []
    r = net.apply(lambda m: seen.append(type(m).__name__))
    return r is net, seen


@case
def apply_d2l_init(torch):
    net = torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.Sigmoid(), torch.nn.Linear(3, 1))

    def init_weights(m):
        if type(m) == torch.nn.Linear:
            torch.nn.init.constant_(m.weight, 0.25)
            torch.nn.init.zeros_(m.bias)
    net.apply(init_weights)
    return net(T(torch, 4, 2))


one("modules_list", lambda torch: [type(m).__name__ for m in torch.nn.Sequential(
    torch.nn.Linear(2, 3), torch.nn.Sequential(torch.nn.ReLU(), torch.nn.Linear(3, 1))).modules()])
one("named_parameters_keys", lambda torch: [n for n, _ in torch.nn.Sequential(
    torch.nn.Linear(2, 3), torch.nn.BatchNorm1d(3), torch.nn.Linear(3, 1)).named_parameters()])
one("state_dict_keys", lambda torch: list(torch.nn.Sequential(
    torch.nn.Conv2d(1, 2, 3), torch.nn.BatchNorm2d(2), torch.nn.Flatten(), torch.nn.Linear(2, 1)).state_dict()))
one("parameter_count", lambda torch: sum(p.numel() for p in torch.nn.Sequential(
    torch.nn.Conv2d(1, 6, 5), torch.nn.BatchNorm2d(6), torch.nn.Linear(10, 4)).parameters()))
one("sequential_index_len", lambda torch: (lambda net: (type(net[1]).__name__, len(net), type(net[1:]).__name__,
                                                        len(net[1:]), type(net[-1]).__name__))(
    torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.ReLU(), torch.nn.Linear(3, 1))))
one("train_eval_flags", lambda torch: (lambda net: (net.training, net.eval().training, net[0].training,
                                                    net.train().training))(
    torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.ReLU())))
one("module_to_double", lambda torch: torch.nn.Linear(2, 3).to(torch.float64).weight.dtype)
one("module_double", lambda torch: torch.nn.Linear(2, 3).double().bias.dtype)


@case
def custom_module_registration(torch):
    class M(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.gamma = torch.nn.Parameter(torch.ones((1, 3)))
            self.register_buffer("stat", torch.zeros(3))
            self.plain = torch.zeros(3)
            self.inner = torch.nn.Linear(3, 2)

        def forward(self, x):
            return self.inner(x * self.gamma)
    m = M()
    return [n for n, _ in m.named_parameters()], list(m.state_dict()), [n for n, _ in m.named_buffers()]


@case
def load_state_dict_roundtrip(torch):
    a, b = torch.nn.Linear(3, 2), torch.nn.Linear(3, 2)
    setw(torch, a.weight, A(2, 3, seed=1))
    result = b.load_state_dict(a.state_dict())
    return b.weight, list(result.missing_keys), list(result.unexpected_keys)


@case
def load_state_dict_missing_raises(torch):
    torch.nn.Linear(3, 2).load_state_dict({"weight": torch.zeros(2, 3)})


@case
def load_state_dict_non_strict(torch):
    r = torch.nn.Linear(3, 2).load_state_dict({"weight": torch.zeros(2, 3)}, strict=False)
    return list(r.missing_keys), list(r.unexpected_keys)


@case
def zero_grad_sets_none(torch):
    net = torch.nn.Linear(2, 1)
    net(T(torch, 3, 2)).sum().backward()
    net.zero_grad()
    return net.weight.grad is None


@case
def module_requires_grad_false(torch):
    net = torch.nn.Linear(2, 1)
    net.requires_grad_(False)
    return net.weight.requires_grad, net(T(torch, 3, 2)).requires_grad


# =========================================================================================
# Optimisers


def _quadratic_param(torch):
    p = torch.nn.Parameter(torch.tensor(A(3, seed=5)))
    return p, torch.tensor(A(3, seed=6))


def _run_steps(torch, make_opt, steps=3):
    p, target = _quadratic_param(torch)
    opt = make_opt([p])
    for _ in range(steps):
        opt.zero_grad()
        ((p - target) ** 2).sum().backward()
        opt.step()
    return p


one("sgd_steps", lambda torch: _run_steps(torch, lambda ps: torch.optim.SGD(ps, lr=0.1)))
one("sgd_momentum", lambda torch: _run_steps(torch, lambda ps: torch.optim.SGD(ps, lr=0.1, momentum=0.9)))
one("sgd_nesterov_wd", lambda torch: _run_steps(torch, lambda ps: torch.optim.SGD(
    ps, lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.01)))
one("sgd_dampening", lambda torch: _run_steps(torch, lambda ps: torch.optim.SGD(ps, lr=0.1, momentum=0.5,
                                                                                   dampening=0.3)))
one("adam_steps", lambda torch: _run_steps(torch, lambda ps: torch.optim.Adam(ps, lr=0.01)))
one("adam_betas_wd", lambda torch: _run_steps(torch, lambda ps: torch.optim.Adam(
    ps, lr=0.01, betas=(0.8, 0.9), weight_decay=0.1)))
one("adam_amsgrad", lambda torch: _run_steps(torch, lambda ps: torch.optim.Adam(ps, lr=0.01, amsgrad=True)))
one("adamw", lambda torch: _run_steps(torch, lambda ps: torch.optim.AdamW(ps, lr=0.01)))
one("sgd_negative_lr_raises", lambda torch: torch.optim.SGD([torch.nn.Parameter(torch.zeros(2))], lr=-1))


@case
def optimizer_zero_grad_none(torch):
    p, target = _quadratic_param(torch)
    opt = torch.optim.SGD([p], lr=0.1)
    ((p - target) ** 2).sum().backward()
    opt.zero_grad()
    return p.grad is None


@case
def optimizer_param_groups_lr(torch):
    p, target = _quadratic_param(torch)
    opt = torch.optim.SGD([p], lr=0.1)
    lr0 = opt.param_groups[0]["lr"]
    for group in opt.param_groups:
        group["lr"] = 0.5
    ((p - target) ** 2).sum().backward()
    opt.step()
    return lr0, p


@case
def optimizer_state_dict_keys(torch):
    p, target = _quadratic_param(torch)
    opt = torch.optim.Adam([p], lr=0.1)
    ((p - target) ** 2).sum().backward()
    opt.step()
    state = opt.state_dict()
    return sorted(state), sorted(state["param_groups"][0]["params"])


@case
def sgd_skips_params_without_grad(torch):
    p, q = torch.nn.Parameter(torch.ones(2)), torch.nn.Parameter(torch.ones(2))
    opt = torch.optim.SGD([p, q], lr=0.1, momentum=0.9)
    (p * 2).sum().backward()
    opt.step()
    return p, q


# =========================================================================================
# The chapter's own code


@case
def chapter_batch_norm_function(torch):
    X = T(torch, 4, 3, 2, 2)
    moving_mean, moving_var = torch.zeros((1, 3, 1, 1)), torch.ones((1, 3, 1, 1))
    mean = X.mean(dim=(0, 2, 3), keepdim=True)
    var = ((X - mean) ** 2).mean(dim=(0, 2, 3), keepdim=True)
    X_hat = (X - mean) / torch.sqrt(var + 1e-5)
    moving_mean = 0.9 * moving_mean + (1.0 - 0.9) * mean
    moving_var = 0.9 * moving_var + (1.0 - 0.9) * var
    return X_hat, moving_mean.data, moving_var.data


@case
def chapter_moving_mean_to_device(torch):
    m = torch.zeros((1, 3))
    X = T(torch, 2, 3)
    return m.device != X.device, m.to(X.device).shape


# =========================================================================================
# Idioms of the book's other chapters and of older PyTorch code

one("dtype_aliases", lambda torch: (torch.zeros(2, dtype=torch.long), torch.zeros(2, dtype=torch.float),
                                    torch.zeros(2, dtype=torch.double), torch.zeros(2, dtype=torch.int),
                                    torch.zeros(2, dtype=torch.bool)))
one("to_long_alias", lambda torch: T(torch, 3).to(torch.long))
one("normal_size_kw", lambda torch: (lambda w: (w.shape, w.dtype, w.requires_grad))(
    torch.normal(0, 0.01, size=(784, 10), requires_grad=True)))
one("normal_positional_size", lambda torch: torch.normal(0, 1, (100, 2)).shape)
one("softmax_from_scratch", lambda torch: (lambda X: torch.exp(X) / torch.exp(X).sum(1, keepdim=True))(T(torch, 2, 3)))
one("sum_positional_keepdim", lambda torch: T(torch, 2, 3).sum(0, True))
one("sum_dim_list", lambda torch: T(torch, 2, 3, 4).sum(dim=[0, 2]))
one("var_positional_dim", lambda torch: T(torch, 3, 4).var(1))
one("mean_negative_dim", lambda torch: T(torch, 3, 4).mean(dim=-1))
one("cross_entropy_from_scratch_range_index",
    lambda torch: -torch.log(torch.softmax(T(torch, 3, 4), dim=1)[range(3), torch.tensor(Y3)]))
one("accuracy_idiom", lambda torch: (T(torch, 3, 4).argmax(dim=1) == torch.tensor(Y3)).float().mean().item())
one("d2l_accuracy_type", lambda torch: float((T(torch, 3, 4).argmax(axis=1).type(torch.tensor(Y3).dtype)
                                             == torch.tensor(Y3)).type(torch.int64).sum()))
one("view_batch_flatten", lambda torch: (lambda x: x.view(x.size(0), -1))(T(torch, 2, 3, 4)))
one("reshape_column", lambda torch: T(torch, 4).reshape((-1, 1)))
one("flatten_0_1", lambda torch: T(torch, 2, 3, 4).flatten(0, 1))
one("linear_by_hand", lambda torch: T(torch, 4, 3) @ T(torch, 2, 3, seed=1).T + T(torch, 2, seed=2))
one("method_arithmetic", lambda torch: (T(torch, 3).add(T(torch, 3, seed=1)), T(torch, 3).mul(2), T(torch, 3).sub(1),
                                        T(torch, 3).div(4)))
one("add_alpha_function", lambda torch: torch.add(T(torch, 3), T(torch, 3, seed=1), alpha=2))
one("compare_methods", lambda torch: (T(torch, 3).eq(T(torch, 3)), T(torch, 3).gt(0), T(torch, 3).lt(0)))
one("is_tensor_isinstance", lambda torch: (torch.is_tensor(T(torch, 2)), isinstance(T(torch, 2), torch.Tensor),
                                           torch.is_tensor([1.0])))
one("clone_detach", lambda torch: (lambda c: (c.requires_grad, c))(T(torch, 3, grad=True).clone().detach()))


@case
def sgd_from_scratch(torch):
    w = torch.normal(0, 0.01, size=(3, 1), requires_grad=True)
    with torch.no_grad():
        w.zero_()
    b = torch.zeros(1, requires_grad=True)
    X, y = T(torch, 8, 3), T(torch, 8, 1, seed=1)
    for _ in range(3):
        loss = ((torch.matmul(X, w) + b - y.reshape(-1, 1)) ** 2 / 2).sum()
        loss.backward()
        with torch.no_grad():
            for param in [w, b]:
                param -= 0.1 * param.grad / 8
                param.grad.zero_()
    return w, b


@case
def old_style_data_update(torch):
    w = torch.nn.Parameter(torch.tensor(A(3, seed=5)))
    (w ** 2).sum().backward()
    w.data -= 0.1 * w.grad.data
    w.grad.data.zero_()
    w.data.sub_(torch.ones(3))
    return w, w.grad


@case
def weight_data_normal_fill(torch):
    net = torch.nn.Sequential(torch.nn.Linear(20, 30))
    net[0].weight.data.normal_(0, 0.01)
    net[0].bias.data.fill_(0)
    net[0].weight.data.uniform_(-0.1, 0.1)
    w = net[0].weight
    return bool(w.abs().max() <= 0.1), net[0].bias, w.requires_grad, w.grad_fn is None


@case
def cross_entropy_none_then_reduce(torch):
    logits = T(torch, 3, 4, grad=True)
    losses = torch.nn.CrossEntropyLoss(reduction="none")(logits, torch.tensor(Y3))
    losses.mean().backward()
    return losses, logits.grad


@case
def evaluate_idiom(torch):
    net = torch.nn.Sequential(torch.nn.Linear(4, 3), torch.nn.BatchNorm1d(3))
    net(T(torch, 6, 4))
    net.eval()
    with torch.no_grad():
        out = net(T(torch, 2, 4, seed=1))
    return out.requires_grad, net[1].training, out.shape


one("layer_attributes", lambda torch: (lambda l, c, b: (l.in_features, l.out_features, c.in_channels, c.out_channels,
                                                        c.kernel_size, c.stride, c.padding, b.num_features,
                                                        b.eps, b.momentum))(
    torch.nn.Linear(3, 4), torch.nn.Conv2d(1, 6, kernel_size=5), torch.nn.BatchNorm2d(6)))
one("add_module_named_children", lambda torch: (lambda net: (net.add_module("act", torch.nn.ReLU()),
                                                             [n for n, _ in net.named_children()])[1])(
    torch.nn.Sequential(torch.nn.Linear(2, 2))))
one("module_list", lambda torch: len(torch.nn.ModuleList([torch.nn.Linear(2, 2), torch.nn.ReLU()])))
one("sequential_ordered_dict", lambda torch: list(torch.nn.Sequential(__import__("collections").OrderedDict(
    [("fc", torch.nn.Linear(2, 3)), ("act", torch.nn.ReLU())])).state_dict()))
one("loss_item_after_backward", lambda torch: (lambda x: ((x ** 2).mean().backward(), (x ** 2).mean().item())[1])(
    T(torch, 3, grad=True)))


# =========================================================================================
# Defaults and edge cases where a different meaning would go unnoticed

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
one("cross_entropy_class_weight", lambda torch: torch.nn.functional.cross_entropy(
    T(torch, 3, 4), torch.tensor(Y3), weight=torch.tensor([1.0, 2.0, 0.5, 1.0])))
one("cross_entropy_ignore_index", lambda torch: torch.nn.functional.cross_entropy(
    T(torch, 3, 4), torch.tensor([2, -100, 1])))
one("cross_entropy_4d", lambda torch: torch.nn.functional.cross_entropy(
    T(torch, 2, 3, 2, 2), torch.tensor(A(2, 2, 2, dtype=np.int64, low=0, high=3))))
one("avg_pool_count_include_pad_false", lambda torch: torch.nn.functional.avg_pool2d(
    T(torch, 1, 1, 4, 4), 3, stride=1, padding=1, count_include_pad=False))
one("max_pool_ceil_mode", lambda torch: torch.nn.functional.max_pool2d(T(torch, 1, 1, 5, 5), 2, ceil_mode=True))
one("avgpool_odd_floor", lambda torch: torch.nn.AvgPool2d(2)(T(torch, 1, 1, 5, 5)))
one("F_linear_1d_input", lambda torch: torch.nn.functional.linear(T(torch, 3), T(torch, 2, 3, seed=1)))
one("sgd_positional_lr", lambda torch: _run_steps(torch, lambda ps: torch.optim.SGD(ps, 0.1)))
one("adam_eps", lambda torch: _run_steps(torch, lambda ps: torch.optim.Adam(ps, lr=0.01, eps=1e-3)))


@case
def optimizer_param_groups(torch):
    p, q = torch.nn.Parameter(torch.ones(2)), torch.nn.Parameter(torch.ones(2))
    opt = torch.optim.SGD([{"params": [p], "lr": 0.01}, {"params": [q]}], lr=0.1)
    (p * 3 + q * 3).sum().backward()
    opt.step()
    return p, q, [g["lr"] for g in opt.param_groups]


@case
def zero_grad_set_to_none_false(torch):
    net = torch.nn.Linear(2, 1)
    opt = torch.optim.SGD(net.parameters(), lr=0.1)
    net(T(torch, 3, 2)).sum().backward()
    opt.zero_grad(set_to_none=False)
    net.zero_grad(set_to_none=False)
    return net.weight.grad


one("max_tuple_dim_raises", lambda torch: T(torch, 3, 4).max(dim=(0, 1)))
one("argmax_tuple_dim_raises", lambda torch: T(torch, 3, 4).argmax(dim=(0, 1)))
one("mean_function_tuple", lambda torch: torch.mean(T(torch, 2, 3, 4), (0, 2)))
one("std_unbiased_kw_var_correction2", lambda torch: (T(torch, 5).std(unbiased=True), T(torch, 5).var(correction=2)))
one("cat_axis_alias", lambda torch: torch.cat([T(torch, 2, 2), T(torch, 2, 2, seed=1)], axis=1))
one("negative_step_raises", lambda torch: T(torch, 4)[::-1])
one("bool_list_index", lambda torch: T(torch, 3)[[True, False, True]])
one("zero_d_tensor_index", lambda torch: T(torch, 3, 2)[torch.tensor(1)])
one("argmax_ties_first", lambda torch: (torch.tensor([1.0, 3.0, 3.0, 0.0]).argmax(),
                                        torch.tensor([[2.0, 2.0], [1.0, 1.0]]).argmax(dim=1)))
one("int_max_stays_int", lambda torch: torch.tensor([3, 1, 2]).max())
one("floor_round", lambda torch: (torch.tensor([-1.5, 0.5, 2.5]).floor(), torch.tensor([-1.5, 0.5, 2.5]).round()))
one("divide_by_zero", lambda torch: (torch.tensor([1.0, -1.0, 0.0]) / 0, torch.tensor([1, 2]) / 0))
one("where_one_arg", lambda torch: torch.where(T(torch, 2, 3) > 0))
one("nonzero", lambda torch: (T(torch, 2, 3) > 0).nonzero())


@case
def chained_setitem_is_a_view(torch):
    x = T(torch, 3, 4)
    x[1][2] = 5.0
    return x


@case
def slice_iadd_is_a_view(torch):
    x = T(torch, 3, 4)
    x[:, 0] += 1
    row = x[0]
    row.add_(10)
    return x


@case
def mask_index_is_a_copy(torch):
    x = T(torch, 3, 4)
    y = x[x > 0]
    y.zero_()
    return x


@case
def backward_one_element_nonscalar(torch):
    x = T(torch, 3, grad=True)
    (x * 2).sum().reshape(1).backward()
    return x.grad


@case
def autograd_grad_grad_outputs(torch):
    x = T(torch, 3, grad=True)
    y = x ** 2
    return torch.autograd.grad(y, x, grad_outputs=torch.ones_like(y))


@case
def data_and_detach_stop_gradients(torch):
    x = T(torch, 3, grad=True)
    return (x.data * 2).requires_grad, (x.detach() * 2).requires_grad, (x * 2).requires_grad


@case
def register_hook(torch):
    x = T(torch, 3, grad=True)
    x.register_hook(lambda g: g * 10)
    (x * 2).sum().backward()
    return x.grad


# =========================================================================================
# The rest of what docs/pytorch.md lists as supported

one("type_as_half", lambda torch: (T(torch, 3).type_as(torch.tensor([1.0], dtype=torch.float64)), T(torch, 3).half()))
one("view_as_reshape_as", lambda torch: (T(torch, 2, 3).view_as(T(torch, 3, 2)),
                                         T(torch, 6).reshape_as(T(torch, 2, 3))))
one("swapaxes_amin_clip", lambda torch: (T(torch, 2, 3).swapaxes(0, 1), T(torch, 2, 3).amin(dim=0),
                                         T(torch, 4).clip(-1, 1)))
one("concat_alias", lambda torch: torch.concat([T(torch, 2), T(torch, 2, seed=1)]))
one("promote_result_types", lambda torch: (torch.promote_types(torch.int32, torch.float32),
                                           torch.result_type(torch.tensor([1, 2]), 1.0)))
one("nelement_ndimension", lambda torch: (T(torch, 2, 3).nelement(), T(torch, 2, 3).ndimension()))
one("sequential_append", lambda torch: len(torch.nn.Sequential(torch.nn.Linear(2, 2)).append(torch.nn.ReLU())))


@case
def register_parameter_and_buffer_none(torch):
    m = torch.nn.Module()
    m.register_parameter("w", torch.nn.Parameter(torch.ones(2)))
    m.register_buffer("b", torch.zeros(2))
    m.register_buffer("tmp", torch.zeros(1), persistent=False)
    return list(m.state_dict()), [n for n, _ in m.named_buffers()]


@case
def module_to_device_and_dtype(torch):
    net = torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.BatchNorm1d(2))
    net.to("cpu", torch.float64)
    return net[0].weight.dtype, net[1].running_mean.dtype, net[1].num_batches_tracked.dtype


# =========================================================================================
# Names added while the API grew: their meanings in the corners

one("new_factories", lambda torch: (lambda x: (x.new_zeros(2, 3), x.new_ones((2,)), x.new_full((2,), 7),
                                               x.new_tensor([1, 2])))(T(torch, 2, dtype=np.float64)))
one("type_string", lambda torch: (T(torch, 2).type(), torch.tensor([1]).type(), T(torch, 2, dtype=np.float64).type()))
one("type_string_dtype", lambda torch: T(torch, 3).type("torch.DoubleTensor"))
one("floor_ceil_trunc_round", lambda torch: (lambda x: (x.floor(), x.ceil(), x.trunc(), x.round(), torch.round(x)))(
    torch.tensor([-2.5, -1.5, -0.5, 0.5, 1.5, 2.5, 1.7])))
one("round_decimals", lambda torch: torch.round(torch.tensor([1.2345, -0.0051]), decimals=2))
one("split_sizes_list", lambda torch: T(torch, 5, 2).split([2, 3]))
one("split_dim1", lambda torch: T(torch, 2, 5).split(2, dim=1))
one("chunk_uneven", lambda torch: T(torch, 5).chunk(3))
one("repeat_more_dims", lambda torch: T(torch, 2, 3).repeat(2, 1, 2))
one("cumsum_negative_dim", lambda torch: T(torch, 2, 3).cumsum(-1))
one("cumsum_int_dtype", lambda torch: torch.tensor([1, 2, 3], dtype=torch.int32).cumsum(0))
one("nonzero_as_tuple", lambda torch: torch.nonzero(T(torch, 2, 3) > 0, as_tuple=True))
one("all_any_dim_keepdim", lambda torch: ((T(torch, 3, 4) > -1).all(dim=1, keepdim=True), (T(torch, 3, 4) > 1).any(0),
                                          torch.all(T(torch, 3) > -5), torch.any(torch.tensor([0, 0, 2]))))
one("logical_ops", lambda torch: (lambda a, b: (a & b, a | b, ~a, a ^ b))(T(torch, 4) > 0, T(torch, 4, seed=1) > 0))
one("int_bitwise", lambda torch: (torch.tensor([5, 3]) & torch.tensor([3, 1]), torch.tensor([5, 3]) | 2))
one("compare_functions", lambda torch: (torch.eq(T(torch, 3), 0.5), torch.ge(T(torch, 3), 0), torch.le(T(torch, 3), 0),
                                        torch.ne(T(torch, 3), T(torch, 3, seed=1))))
one("arith_functions", lambda torch: (torch.sub(T(torch, 3), 1, alpha=2), torch.mul(T(torch, 3), 2),
                                      torch.div(T(torch, 3), 4), T(torch, 3).sub(T(torch, 3, seed=1), alpha=0.5)))
one("div_rounding_mode", lambda torch: (torch.div(torch.tensor([-7, 7]), 2, rounding_mode="floor"),
                                        torch.div(torch.tensor([-7.0, 7.0]), 2, rounding_mode="trunc")))
one("randint_kwargs", lambda torch: (lambda r: (r.shape, r.dtype, bool(r.min() >= 2), bool(r.max() < 4)))(
    torch.randint(2, 4, size=(100,))))
one("randint_high_only", lambda torch: (lambda r: (r.dtype, bool(r.max() < 3)))(torch.randint(3, (50,))))
one("randint_dtype", lambda torch: torch.randint(0, 5, (3,), dtype=torch.float32).dtype)
one("normal_tensor_mean", lambda torch: torch.normal(torch.zeros(3), 1.0).shape)
one("normal_stats", lambda torch: (lambda r: (r.dtype, round(float(r.mean()), 1), round(float(r.std()), 1)))(
    torch.normal(2.0, 3.0, size=(20000,))))
one("gather_3d_dim0", lambda torch: torch.gather(T(torch, 2, 3, 2), 0, torch.tensor([[[1, 0], [0, 1], [1, 1]]])))
one("masked_fill_broadcast_mask",
    lambda torch: T(torch, 3, 4).masked_fill(torch.tensor([True, False, True, False]), 9.0))
one("sin_cos_sign_rsqrt", lambda torch: (torch.sin(T(torch, 3)), torch.cos(T(torch, 3)), torch.sign(T(torch, 3)),
                                         torch.rsqrt(T(torch, 3, low=0.5))))
one("sign_int", lambda torch: torch.sign(torch.tensor([-3, 0, 2])))
one("softmax_function_dtype", lambda torch: torch.softmax(T(torch, 2, 3), dim=1, dtype=torch.float64))
one("log_softmax_function", lambda torch: torch.log_softmax(T(torch, 2, 3), 1))
one("dot_mm_bmm_ints", lambda torch: (torch.dot(torch.tensor([1, 2]), torch.tensor([3, 4])),
                                      torch.mm(torch.tensor([[1, 2]]), torch.tensor([[3], [4]]))))
one("mm_1d_raises", lambda torch: torch.mm(T(torch, 3), T(torch, 3, 2)))
one("equal_shapes_dtypes", lambda torch: (torch.equal(torch.tensor([1, 2]), torch.tensor([1.0, 2.0])),
                                          torch.equal(T(torch, 2), T(torch, 3))))
one("allclose_tolerances", lambda torch: (torch.allclose(torch.tensor([1.0]), torch.tensor([1.001]), rtol=1e-2),
                                          torch.allclose(torch.tensor([1.0]), torch.tensor([1.001]))))
one("floor_divide_remainder_signs", lambda torch: (torch.tensor([-7, 7]) // torch.tensor([2, -2]),
                                                   torch.tensor([-7, 7]) % torch.tensor([2, -2]),
                                                   torch.tensor([-7.5, 7.5]) % 2))


@case
def grad_gather_masked_fill_cumsum(torch):
    x = T(torch, 3, 4, grad=True)
    w = torch.tensor(A(3, 4, seed=1))
    (torch.gather(x, 1, torch.tensor([[0, 0], [3, 1], [2, 2]])).sum() + (x.masked_fill(x > 0, 0.0) * w).sum()
     + (x.cumsum(dim=1) * w).sum()).backward()
    return x.grad


@case
def grad_split_chunk_repeat(torch):
    x = T(torch, 4, 3, grad=True)
    a, b = x.split(2)
    c = x.chunk(3, dim=1)[1]
    ((a * 2).sum() + (b ** 2).sum() + (c * 3).sum() + (x.repeat(2, 1) ** 2).sum()).backward()
    return x.grad


# =========================================================================================
# Everyday idioms around training loops


@case
def state_dict_shares_memory(torch):
    net = torch.nn.Linear(2, 2)
    setw(torch, net.weight, A(2, 2, seed=1))
    sd = net.state_dict()
    sd["weight"].fill_(3.0)
    return net.weight, sd["weight"].requires_grad


@case
def deepcopy_module(torch):
    import copy
    net = torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.BatchNorm1d(2))
    setw(torch, net[0].weight, A(2, 2, seed=1))
    twin = copy.deepcopy(net)
    with torch.no_grad():
        net[0].weight.fill_(0.0)
    return twin[0].weight, net[0].weight, twin[0].weight is not net[0].weight


@case
def save_load_roundtrip(torch):
    import os
    import tempfile
    net = torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.BatchNorm1d(2))
    setw(torch, net[0].weight, A(2, 2, seed=1))
    setw(torch, net[0].bias, A(2, seed=2))
    net(T(torch, 4, 2))
    path = os.path.join(tempfile.mkdtemp(), "net.pt")
    torch.save(net.state_dict(), path)
    other = torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.BatchNorm1d(2))
    other.load_state_dict(torch.load(path))
    return other[0].weight, other[1].running_mean, other[1].num_batches_tracked


@case
def requires_grad_attribute(torch):
    x = T(torch, 3)
    x.requires_grad = True
    (x * 2).sum().backward()
    g = x.grad
    x.grad = None
    return g, x.grad is None


@case
def requires_grad_attribute_nonleaf_raises(torch):
    x = T(torch, 3, grad=True)
    y = x * 2
    y.requires_grad = False


@case
def grad_assignment(torch):
    x = T(torch, 3, grad=True)
    x.grad = torch.ones(3)
    (x * 2).sum().backward()
    return x.grad


one("tensor_from_tensor", lambda torch: (lambda x: (torch.tensor(x), torch.tensor(x) is not x))(T(torch, 3)))
one("tensor_from_list_of_0d", lambda torch: torch.tensor([torch.tensor(1.5), torch.tensor(2.0)]))
one("format_0d", lambda torch: (f"{torch.tensor(0.123456):.3f}", f"{T(torch, 3, grad=True).sum():.2f}"))
one("format_1d_raises", lambda torch: f"{T(torch, 3):.3f}")
one("iterate_rows", lambda torch: [r.sum() for r in T(torch, 3, 2)])
one("list_and_unbind", lambda torch: (list(T(torch, 2, 2)), T(torch, 2, 3).unbind(1)))
one("len_0d_raises", lambda torch: len(torch.tensor(1.0)))
one("mean_negative_tuple", lambda torch: T(torch, 2, 3, 4).mean((-2, -1)))
one("inplace_relu_clamp", lambda torch: (T(torch, 4).relu_(), T(torch, 4).clamp_(min=0)))


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
one("cross_entropy_int32_targets", lambda torch: torch.nn.functional.cross_entropy(
    T(torch, 3, 4), torch.tensor(Y3, dtype=torch.int32)))
one("forward_hook", lambda torch: torch.nn.Linear(2, 2).register_forward_hook(lambda m, i, o: None) is not None)
one("params_generator_consumed", lambda torch: (lambda net: (len(list(net.parameters())), len(list(net.parameters()))))(
    torch.nn.Linear(2, 2)))
one("trainable_count", lambda torch: (lambda net: (net[0].requires_grad_(False), sum(
    p.numel() for p in net.parameters() if p.requires_grad))[1])(
    torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.Linear(3, 1))))


@case
def add_param_group(torch):
    p, q = torch.nn.Parameter(torch.ones(2)), torch.nn.Parameter(torch.ones(2))
    opt = torch.optim.SGD([p], lr=0.1)
    opt.add_param_group({"params": [q], "lr": 0.5})
    (p.sum() + q.sum()).backward()
    opt.step()
    return p, q, len(opt.param_groups)


@case
def grad_max_ties(torch):
    x = torch.tensor([[1.0, 3.0, 3.0], [2.0, 2.0, 0.0]], requires_grad=True)
    x.max().backward()
    full = x.grad.clone()
    x.grad = None
    x.amax(dim=1).sum().backward()
    return full, x.grad


@case
def grad_maxpool_ties(torch):
    x = torch.ones(1, 1, 2, 2, requires_grad=True)
    torch.nn.functional.max_pool2d(x, 2).sum().backward()
    return x.grad


@case
def grad_max_dim_ties(torch):
    x = torch.tensor([[1.0, 3.0, 3.0], [2.0, 2.0, 0.0]], requires_grad=True)
    values, indices = x.max(dim=1)
    values.sum().backward()
    return x.grad.sum(dim=1), indices.shape


# =========================================================================================
# Dtypes where NumPy's rules differ from PyTorch's

one("cat_int_float", lambda torch: torch.cat([torch.tensor([1, 2]), torch.tensor([1.5])]))
one("stack_int_float", lambda torch: torch.stack([torch.tensor([1, 2]), torch.tensor([1.5, 2.5])]))
one("where_int_float", lambda torch: torch.where(torch.tensor([True, False]), torch.tensor([1, 2]),
                                                torch.tensor([0.5, 1.5])))
one("where_int_scalar_on_float", lambda torch: torch.where(T(torch, 3) > 0, T(torch, 3), 0))
one("maximum_int_float", lambda torch: torch.maximum(torch.tensor([1, 5]), torch.tensor([2.5, 0.5])))
one("clamp_int_float_bound", lambda torch: torch.tensor([1, 2, 3]).clamp(min=1.5))
for _name in ("exp", "sqrt", "log", "sigmoid", "tanh", "sin", "rsqrt"):
    one(f"{_name}_of_int", lambda torch, _name=_name: getattr(torch, _name)(torch.tensor([1, 4])))
one("int_pow_negative_float", lambda torch: torch.tensor([1, 4]) ** -0.5)
one("mean_int_dtype_kw", lambda torch: torch.tensor([1, 4]).mean(dtype=torch.float32))
one("int_negative_power_raises", lambda torch: torch.tensor([1, 2]) ** -1)
one("scalar_int_tensor_division", lambda torch: torch.tensor(3) / 2)
one("arange_float_steps", lambda torch: (torch.arange(0, 1, 0.1), torch.arange(1, 2.5, 0.5)))
one("empty_tensor", lambda torch: (torch.tensor([]), torch.zeros(0).sum(), torch.zeros(0, 3).sum(dim=0)))
one("empty_mean_is_nan", lambda torch: torch.zeros(0).mean())
one("empty_max_raises", lambda torch: torch.zeros(0).max())
one("std_single_element", lambda torch: (torch.tensor([2.0]).std(), torch.tensor([[1.0, 2.0]]).var(dim=0)))
one("matmul_int_float_raises", lambda torch: torch.tensor([[1.0, 2.0]]) @ torch.tensor([[1], [2]]))
one("linear_float64_input_raises", lambda torch: torch.nn.Linear(2, 2)(torch.zeros(3, 2, dtype=torch.float64)))


@case
def iadd_needs_broadcast_raises(torch):
    a = torch.zeros(3, 1)
    a += torch.ones(1, 3)
    return a


@case
def int_iadd_float_raises(torch):
    a = torch.tensor([1, 2])
    a += 1.5
    return a


@case
def int_idiv_raises(torch):
    a = torch.tensor([1, 2])
    a /= 2
    return a


@case
def float32_iadd_float64(torch):
    a = T(torch, 3)
    a += T(torch, 3, seed=1, dtype=np.float64)
    return a


@case
def setitem_shape_mismatch_raises(torch):
    x = T(torch, 3, 4)
    x[0] = torch.tensor([1.0, 2.0])
    return x


# =========================================================================================
# Parameters, optimiser state, in-place ops inside a graph


@case
def inplace_on_nonleaf_in_graph(torch):
    x = T(torch, 3, grad=True)
    y = x * 2
    y += 1
    (y ** 2).sum().backward()
    return x.grad


@case
def residual_add_inplace_after_relu(torch):
    x = T(torch, 4, grad=True)
    out = torch.relu(x * 3)
    out += x
    out.sum().backward()
    return x.grad


@case
def residual_block_inplace_add_and_relu_module(torch):
    x, w = T(torch, 2, 3, grad=True), T(torch, 3, 3, seed=1, grad=True)
    lin = torch.nn.Linear(3, 3)
    setw(torch, lin.weight, A(3, 3, seed=2))
    setw(torch, lin.bias, A(3, seed=3))
    out = torch.nn.ReLU(inplace=True)(lin(x) @ w)
    out = lin(out)
    out += x
    out = torch.nn.functional.relu(out, inplace=True)
    (out * T(torch, 2, 3, seed=4)).sum().backward()
    return out, x.grad, w.grad, lin.weight.grad, lin.bias.grad


@case
def inplace_mul_by_value_requiring_grad(torch):
    x, w = T(torch, 4, grad=True), T(torch, 4, seed=1, grad=True)
    y = x * 1.5
    y.mul_(w)
    y.sub_(w, alpha=0.5)
    (y * T(torch, 4, seed=2)).sum().backward()
    return y, x.grad, w.grad


@case
def inplace_into_plain_tensor_of_value_requiring_grad(torch):
    w = T(torch, 3, grad=True)
    z = torch.zeros(3)
    z.add_(w)
    z.mul_(w)
    z.sum().backward()
    return z.requires_grad, z.is_leaf, w.grad


@case
def inplace_unary_chain_in_graph(torch):
    x = T(torch, 5, grad=True)
    y = x * 2
    y.clamp_(-1.0, 1.5).mul_(3).tanh_()
    (y * T(torch, 5, seed=1)).sum().backward()
    return y, x.grad


@case
def inplace_hook_before_sees_old_grad(torch):
    x, seen = T(torch, 3, grad=True), []
    y = x * 2
    y.register_hook(lambda g: seen.append(g.tolist()))
    y.retain_grad()
    y.mul_(3)
    (y * T(torch, 3, seed=1)).sum().backward()
    return seen, y.grad, x.grad


@case
def inplace_exp_then_add_raises_at_backward(torch):
    x = T(torch, 3, grad=True)
    y = x.exp()
    y += 1
    y.sum().backward()
    return x.grad


@case
def inplace_after_use_by_saving_op(torch):  # both raise at backward: mul saved y
    x = T(torch, 3, grad=True)
    y = x * 2
    z = y * y
    y += 1
    z.sum().backward()
    return x.grad


@case
def detach_inplace_after_use(torch):  # the earlier use keeps y's graph position
    x = T(torch, 3, grad=True)
    y = x * 2
    z = y + 1
    y.detach_()
    (z.sum() + (y * x).sum()).backward()
    return x.grad, y.requires_grad


@case
def inplace_after_use_by_add(torch):  # add saved nothing: its gradient goes to y's old graph position
    x = T(torch, 3, grad=True)
    y = x * 2
    z = y + 1
    y.mul_(3)
    y.relu_()
    (z * T(torch, 3, seed=1) + y * T(torch, 3, seed=2)).sum().backward()
    return y, z, x.grad


one("leaky_relu_inplace_functional", lambda torch: (lambda t: (torch.nn.functional.leaky_relu(t, 0.2, inplace=True) is t,
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
one("parameter_derived_types", lambda torch: (lambda p: (type(p * 2).__name__, type(p.data).__name__,
                                                         type(p.detach()).__name__, type(p.clone()).__name__))(
    torch.nn.Parameter(torch.ones(2))))
one("parameter_requires_grad_false", lambda torch: (lambda p: (p.requires_grad, p.is_leaf))(
    torch.nn.Parameter(torch.ones(2), requires_grad=False)))


@case
def sgd_momentum_state(torch):
    p, target = _quadratic_param(torch)
    opt = torch.optim.SGD([p], lr=0.1, momentum=0.9)
    for _ in range(2):
        opt.zero_grad()
        ((p - target) ** 2).sum().backward()
        opt.step()
    return sorted(opt.state[p]), opt.state[p]["momentum_buffer"]


@case
def adam_state(torch):
    p, target = _quadratic_param(torch)
    opt = torch.optim.Adam([p], lr=0.1)
    for _ in range(3):
        opt.zero_grad()
        ((p - target) ** 2).sum().backward()
        opt.step()
    state = opt.state[p]
    return sorted(state), state["exp_avg"], state["exp_avg_sq"], float(state["step"])


# =========================================================================================
# Devices and dtype objects

one("cuda_queries", lambda torch: (torch.cuda.is_available(), torch.cuda.device_count()))
one("device_choice_idiom", lambda torch: str(torch.device("cuda" if torch.cuda.is_available() else "cpu")))
one("to_non_blocking", lambda torch: T(torch, 2).to("cpu", non_blocking=True))
one("dtype_is_floating_point", lambda torch: (torch.float32.is_floating_point, torch.int64.is_floating_point))
one("finfo_eps", lambda torch: torch.finfo(torch.float32).eps)
one("default_dtype", lambda torch: torch.get_default_dtype())
one("size_constructor", lambda torch: (torch.Size([2, 3]), torch.Size([2, 3]) == T(torch, 2, 3).shape,
                                       isinstance(T(torch, 2).shape, tuple)))
one("shape_numel", lambda torch: T(torch, 2, 3).shape.numel())


# =========================================================================================
# The book's preliminaries chapters

one("d2l_cumsum_axis", lambda torch: torch.arange(12, dtype=torch.float32).reshape(3, 4).cumsum(axis=0))
one("d2l_mv_norm", lambda torch: (torch.mv(T(torch, 2, 3), T(torch, 3, seed=1)), torch.norm(T(torch, 3)),
                                  torch.ones((4, 9)).norm(), torch.abs(T(torch, 3)).sum()))
one("d2l_normalise_rows", lambda torch: (lambda A: A / A.sum(axis=1, keepdims=True))(T(torch, 2, 3, low=0.5)))
one("d2l_sum_axes_list", lambda torch: T(torch, 2, 3, 4).sum(axis=[0, 1]))
one("d2l_symmetric_check", lambda torch: (lambda B: B == B.T)(torch.tensor([[1, 2, 3], [2, 0, 4], [3, 4, 5]])))
one("d2l_dropout_mask", lambda torch: (lambda X: ((T(torch, 2, 3, low=0, high=1) > 0.5).float() * X / 0.5).shape)(
    T(torch, 2, 3)))


@case
def d2l_slice_assignment_in_place(torch):
    X, Y = T(torch, 3, 4), T(torch, 3, 4, seed=1)
    Z = torch.zeros_like(Y)
    before = id(Z)
    Z[:] = X + Y
    X[0:2, :] = 12
    return Z, X, id(Z) == before


@case
def d2l_autograd_dot(torch):
    x = torch.arange(4.0)
    x.requires_grad_(True)
    y = 2 * torch.dot(x, x)
    y.backward()
    first = x.grad.clone()
    x.grad.zero_()
    y = x * x
    y.sum().backward()
    return first, x.grad


@case
def d2l_detach_u(torch):
    x = torch.arange(4.0, requires_grad=True)
    y = x * x
    u = y.detach()
    (u * x).sum().backward()
    return x.grad, u


# =========================================================================================
# NumPy scalars and 0-d tensors in arithmetic

one("numpy_scalars", lambda torch: (T(torch, 2) * np.float64(2.0), T(torch, 2) * np.float32(2.0),
                                    T(torch, 2) * np.int64(3), torch.tensor([1, 2]) * np.float64(0.5)))
one("tensor_of_numpy_scalar", lambda torch: (torch.tensor(np.float64(1.5)), torch.tensor(np.int32(3))))
one("linspace_dtype", lambda torch: torch.linspace(0, 1, 5, dtype=torch.float64))
one("cross_entropy_float64", lambda torch: torch.nn.functional.cross_entropy(T(torch, 3, 4, dtype=np.float64),
                                                                             torch.tensor(Y3)))
one("softmax_float64", lambda torch: torch.nn.functional.softmax(T(torch, 2, 3, dtype=np.float64), dim=1))
one("clamp_tensor_bounds", lambda torch: T(torch, 4).clamp(min=torch.tensor(0.0), max=torch.tensor(0.5)))
one("pow_0d_int_exponent", lambda torch: (T(torch, 3).pow(torch.tensor(2)), 2 ** torch.tensor([1, 2]),
                                          torch.tensor([1, 2]) * True))


# =========================================================================================
# Layer configurations off the chapter's path


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


# =========================================================================================
# Keyword spellings and optional arguments of the shape and reduction methods

one("squeeze_dim_tuple", lambda torch: T(torch, 1, 3, 1, 2).squeeze(dim=(0, 2)))
one("unsqueeze_transpose_keywords", lambda torch: (T(torch, 3).unsqueeze(dim=1),
                                                   T(torch, 2, 3).transpose(dim0=0, dim1=1)))
one("permute_dims_keyword", lambda torch: T(torch, 2, 3).permute(dims=(1, 0)))
one("reshape_shape_keyword", lambda torch: T(torch, 2, 3).reshape(shape=(3, 2)))
one("cat_tensors_keyword", lambda torch: torch.cat(tensors=[T(torch, 2), T(torch, 1)], dim=0))
one("expand_size_keyword", lambda torch: T(torch, 1, 3).expand(size=(2, 3)))
one("mean_dim_none_keepdim", lambda torch: T(torch, 2, 3).mean(dim=None, keepdim=True))
one("sum_dim_none_keepdim", lambda torch: T(torch, 2, 3).sum(dim=None, keepdim=True))
one("max_keepdim_without_dim_raises", lambda torch: T(torch, 2, 3).max(keepdim=True))
one("argmax_none_keepdim", lambda torch: T(torch, 2, 3).argmax(dim=None, keepdim=True))
one("var_positional_unbiased_keepdim", lambda torch: (T(torch, 3, 4).var(0, True), T(torch, 3, 4).var(0, False, True),
                                                      torch.var(T(torch, 3, 4), 0)))
one("mean_positional_keepdim", lambda torch: T(torch, 3, 4).mean(-1, True))
one("logsumexp_tuple_dims", lambda torch: T(torch, 2, 3, 4).logsumexp(dim=(0, 2)))
one("prod_keepdim", lambda torch: T(torch, 2, 3).prod(0, keepdim=True))
one("norm_variants", lambda torch: (T(torch, 3, 4).norm(dim=1), T(torch, 3, 4).norm(p=1),
                                    T(torch, 3, 4).norm(2, dim=0, keepdim=True)))
one("all_dim_tuple", lambda torch: (T(torch, 2, 3, 4) > -1.5).all(dim=(0, 2)))
one("std_mean_grad", lambda torch: (lambda x: (x.std(dim=0, correction=0).sum().backward(), x.grad)[1])(
    T(torch, 3, 4, grad=True)))


# =========================================================================================
# torch.autograd.functional, 0-d edge cases, more indexing


def _cubic(x):
    return (x ** 3).sum()


def _vector_fn(x):
    return x.sigmoid() * x[0]


one("af_jacobian", lambda torch: torch.autograd.functional.jacobian(_vector_fn, T(torch, 3)))
one("af_jacobian_tuple", lambda torch: torch.autograd.functional.jacobian(
    lambda a, b: a * b.sum(), (T(torch, 2), T(torch, 3, seed=1))))
one("af_hessian", lambda torch: torch.autograd.functional.hessian(_cubic, T(torch, 3)))
one("af_vjp", lambda torch: torch.autograd.functional.vjp(_vector_fn, T(torch, 3), torch.tensor([1.0, 0.5, -1.0])))
one("af_jvp", lambda torch: torch.autograd.functional.jvp(_vector_fn, T(torch, 3), torch.tensor([1.0, 0.5, -1.0])))
one("af_hvp_vhp", lambda torch: (torch.autograd.functional.hvp(_cubic, T(torch, 3), torch.ones(3)),
                                 torch.autograd.functional.vhp(_cubic, T(torch, 3), torch.ones(3))))
one("af_inputs_get_no_grad", lambda torch: (lambda x: (torch.autograd.functional.jacobian(_vector_fn, x), x.grad)[1])(
    T(torch, 3, grad=True)))
one("autograd_backward_function", lambda torch: (lambda x: (torch.autograd.backward([(x * x).sum()]), x.grad)[1])(
    T(torch, 3, grad=True)))
one("T_on_3d", lambda torch: T(torch, 2, 3, 4).T.shape)
one("flatten_0d", lambda torch: torch.tensor(3.0).flatten())
one("squeeze_to_0d", lambda torch: T(torch, 1, 1).squeeze())
one("stack_0d", lambda torch: torch.stack([torch.tensor(1.0), torch.tensor(2.0)]))
one("negative_list_index", lambda torch: T(torch, 4, 2)[[-1, 0]])
one("ellipsis_none", lambda torch: T(torch, 2, 3)[..., None].shape)
one("chained_advanced", lambda torch: T(torch, 3, 4)[[0, 1]][:, [1]])
one("tail_slice", lambda torch: T(torch, 5)[-2:])


# =========================================================================================
# Module trees and default initialisation

one("named_modules_nested", lambda torch: [n for n, _ in torch.nn.Sequential(
    torch.nn.Linear(2, 3), torch.nn.Sequential(torch.nn.ReLU(), torch.nn.Linear(3, 1))).named_modules()])
one("state_dict_nested_keys", lambda torch: list(torch.nn.Sequential(
    torch.nn.Linear(2, 3), torch.nn.Sequential(torch.nn.BatchNorm1d(3), torch.nn.Linear(3, 1))).state_dict()))
one("train_false", lambda torch: (lambda net: (net.train(False).training, net[0].training))(
    torch.nn.Sequential(torch.nn.BatchNorm1d(2))))
one("conv_default_init_bound", lambda torch: (lambda c: (bool(c.weight.abs().max() <= 1 / math.sqrt(3 * 9)),
                                                         bool(c.weight.abs().max() > 0.9 / math.sqrt(3 * 9)),
                                                         bool(c.bias.abs().max() <= 1 / math.sqrt(3 * 9))))(
    torch.nn.Conv2d(3, 64, 3)))
one("batchnorm_defaults", lambda torch: (lambda bn: (bn.weight, bn.bias, bn.running_mean, bn.running_var,
                                                     bn.num_batches_tracked, bn.eps, bn.momentum))(
    torch.nn.BatchNorm2d(3)))


# =========================================================================================
# Second-order idioms through layers


@case
def gradient_penalty_through_linear(torch):
    layer = torch.nn.Linear(3, 2)
    setw(torch, layer.weight, A(2, 3, seed=1))
    setw(torch, layer.bias, A(2, seed=2))
    x = T(torch, 4, 3, grad=True)
    out = torch.sigmoid(layer(x))
    (g,) = torch.autograd.grad(out.sum(), x, create_graph=True)
    penalty = (g.norm(2, dim=1) - 1).pow(2).mean()
    penalty.backward()
    return g, penalty, layer.weight.grad, layer.bias.grad


@case
def maml_style_inner_step(torch):
    layer = torch.nn.Linear(3, 1)
    setw(torch, layer.weight, A(1, 3, seed=1))
    setw(torch, layer.bias, A(1, seed=2))
    x, y = T(torch, 5, 3), T(torch, 5, 1, seed=3)
    loss = ((layer(x) - y) ** 2).mean()
    gw, gb = torch.autograd.grad(loss, [layer.weight, layer.bias], create_graph=True)
    w2, b2 = layer.weight - 0.1 * gw, layer.bias - 0.1 * gb
    outer = ((torch.nn.functional.linear(x, w2, b2) - y) ** 2).mean()
    outer.backward()
    return outer, layer.weight.grad, layer.bias.grad


@case
def double_backward_conv_bn(torch):
    conv = torch.nn.Conv2d(1, 2, 3, bias=False)
    setw(torch, conv.weight, A(2, 1, 3, 3, seed=1))
    bn = torch.nn.BatchNorm2d(2)
    x = T(torch, 2, 1, 5, 5, grad=True)
    y = torch.tanh(bn(conv(x)))
    (g,) = torch.autograd.grad((y * torch.tensor(A(*y.shape, seed=2))).sum(), x, create_graph=True)
    (g ** 2).sum().backward()
    return g, x.grad, conv.weight.grad


# =========================================================================================
# In-place fills, dropout, losses, containers and forward hooks

one("relu_inplace", lambda torch: (lambda x: (x.relu_() is x, x))(T(torch, 5)))
one("relu_inplace_int", lambda torch: torch.tensor([-2, 0, 3]).relu_())
one("clamp_inplace", lambda torch: (lambda x: (x.clamp_(-0.5, 0.5) is x, x))(T(torch, 5)))
one("clamp_inplace_max_only", lambda torch: T(torch, 5).clamp_(max=0.0))
one("clip_inplace", lambda torch: T(torch, 5).clip_(min=0.1))
one("clamp_inplace_int_float_bounds", lambda torch: torch.tensor([1, 2, 3]).clamp_(0.5, 1.5))
one("clamp_inplace_int", lambda torch: torch.tensor([1, 2, 3]).clamp_(0, 2))
one("relu_inplace_leaf_requiring_grad", lambda torch: T(torch, 3, grad=True).relu_())
one("normal_inplace_stats", lambda torch: (lambda w: (w.normal_(2.0, 0.5) is w, w.dtype, w.shape,
                                                      round(float(w.mean()), 1), round(float(w.std()), 1)))(
    torch.zeros(200, 100)))
one("uniform_inplace_range", lambda torch: (lambda w: (w.dtype, bool((w >= -3).all()), bool((w < -1).all()),
                                                       round(float(w.mean()), 1)))(torch.zeros(200, 100).uniform_(-3, -1)))
one("uniform_inplace_defaults", lambda torch: (lambda w: (bool((w >= 0).all()), bool((w < 1).all())))(
    torch.zeros(1000, dtype=torch.float64).uniform_()))
one("normal_inplace_negative_std", lambda torch: torch.zeros(3).normal_(0, -1))
one("uniform_inplace_reversed", lambda torch: torch.zeros(3).uniform_(1, 0))
one("normal_inplace_int", lambda torch: torch.zeros(3, dtype=torch.long).normal_())
one("normal_inplace_leaf_requiring_grad", lambda torch: torch.zeros(3, requires_grad=True).normal_())
one("normal_inplace_view_shares_memory", lambda torch: (lambda w: (w[0].normal_(0, 1), float(w[1].abs().sum())))(
    torch.zeros(2, 3))[1])
one("dropout_train_statistics", lambda torch: (lambda y: (y.dtype, round(float((y == 0).float().mean()), 1),
                                                          sorted(set(y.unique().tolist()) if hasattr(y, "unique")
                                                                 else set(y.flatten().tolist()))))(
    torch.nn.functional.dropout(torch.ones(100, 100), 0.2)))
one("dropout_module_train_scale", lambda torch: (lambda y: float(y.max()))(torch.nn.Dropout(0.75)(torch.ones(1000))))
one("dropout_p_one_zeros", lambda torch: torch.nn.functional.dropout(T(torch, 3, 4), 1.0))
one("dropout_p_zero_is_input", lambda torch: (lambda x: torch.nn.functional.dropout(x, 0.0) is x)(T(torch, 3)))
one("dropout_not_training_is_input", lambda torch: (lambda x: torch.nn.functional.dropout(x, 0.5, False) is x)(
    T(torch, 3)))
one("dropout_functional_training_keyword", lambda torch: torch.nn.functional.dropout(T(torch, 3), p=0.3, training=False))
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
one("identity_module_returns_its_input", lambda torch: (lambda x: torch.nn.Identity(3, bias=False)(x) is x)(T(torch, 2)))
one("identity_repr", lambda torch: repr(torch.nn.Identity()))
one("softmax_module_requires_grad", lambda torch: torch.nn.Softmax(dim=1)(T(torch, 2, 3, grad=True)))
one("softmax_module_dim0", lambda torch: torch.nn.Softmax(0)(T(torch, 2, 3)))
one("log_softmax_module", lambda torch: torch.nn.LogSoftmax(dim=-1)(T(torch, 2, 3, grad=True)))
one("softmax_module_repr", lambda torch: (repr(torch.nn.Softmax(dim=1)), repr(torch.nn.LogSoftmax())))
one("mse_loss_none", lambda torch: torch.nn.MSELoss(reduction="none")(T(torch, 2, 3, grad=True), T(torch, 2, 3, seed=1)))
one("mse_loss_float64_target", lambda torch: torch.nn.functional.mse_loss(T(torch, 3), T(torch, 3, dtype=np.float64)))
one("mse_loss_bad_reduction", lambda torch: torch.nn.functional.mse_loss(T(torch, 3), T(torch, 3), reduction="avg"))
one("mse_loss_int", lambda torch: torch.nn.functional.mse_loss(torch.tensor([1, 2]), torch.tensor([0, 0])))


@case
def mse_loss_grads(torch):
    a, b = T(torch, 4, 3, grad=True), T(torch, 4, 3, seed=1, grad=True)
    torch.nn.functional.mse_loss(a, b).backward()
    return a.grad, b.grad


@case
def mse_loss_broadcast_warns(torch):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        loss = torch.nn.functional.mse_loss(T(torch, 3), T(torch, 3, 1, seed=1))
    return loss, any("different to the input size" in str(w.message) for w in caught)


one("nll_loss_none", lambda torch: torch.nn.NLLLoss(reduction="none")(T(torch, 3, 4, grad=True), torch.tensor([3, 0, 1])))
one("nll_loss_sum", lambda torch: torch.nn.functional.nll_loss(T(torch, 3, 4), torch.tensor([3, 0, 1]), reduction="sum"))
one("nll_loss_target_out_of_range", lambda torch: torch.nn.functional.nll_loss(T(torch, 2, 3), torch.tensor([0, 5])))


@case
def nll_loss_of_log_softmax_grad(torch):
    z = T(torch, 4, 5, grad=True)
    torch.nn.functional.nll_loss(torch.nn.functional.log_softmax(z, dim=1), torch.tensor([4, 0, 2, 2])).backward()
    return z.grad


one("one_hot_inferred_classes", lambda torch: torch.nn.functional.one_hot(torch.tensor([[1, 3], [0, 0]])))
one("one_hot_0d", lambda torch: torch.nn.functional.one_hot(torch.tensor(2), 4))
one("one_hot_empty_with_classes", lambda torch: torch.nn.functional.one_hot(torch.zeros(0, dtype=torch.long), 3))
one("one_hot_empty_inferred", lambda torch: torch.nn.functional.one_hot(torch.zeros(0, dtype=torch.long)))
one("one_hot_too_few_classes", lambda torch: torch.nn.functional.one_hot(torch.tensor([0, 2]), 2))
one("one_hot_negative", lambda torch: torch.nn.functional.one_hot(torch.tensor([0, -1])))
one("one_hot_float", lambda torch: torch.nn.functional.one_hot(torch.tensor([0.0, 1.0])))
one("one_hot_int32", lambda torch: torch.nn.functional.one_hot(torch.tensor([0, 1], dtype=torch.int32), 3))


@case
def module_list_operations(torch):
    nn = torch.nn
    layers = nn.ModuleList([nn.Linear(2, 3), nn.ReLU()])
    layers.append(nn.Linear(3, 1))
    layers.insert(1, nn.Tanh())
    layers.extend([nn.Sigmoid()])
    layers += [nn.Identity()]
    del layers[0]
    names = [type(m).__name__ for m in layers]
    return (names, len(layers), type(layers[-1]).__name__, [type(m).__name__ for m in layers[1:3]],
            [n for n, _ in layers.named_parameters()], [n for n, _ in layers.named_children()])


@case
def module_list_in_a_module(torch):
    nn = torch.nn

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.blocks = nn.ModuleList([nn.Linear(2, 2) for _ in range(2)])

    net = Net()
    return [n for n, _ in net.named_parameters()], list(net.state_dict().keys())


one("module_list_index_error", lambda torch: torch.nn.ModuleList([torch.nn.ReLU()])[3])
one("module_list_non_module", lambda torch: torch.nn.ModuleList([torch.nn.ReLU(), 3]))
one("module_list_forward", lambda torch: torch.nn.ModuleList([torch.nn.ReLU()])(T(torch, 2)))
one("module_list_repr", lambda torch: repr(torch.nn.ModuleList([torch.nn.ReLU(), torch.nn.Tanh()])))


@case
def module_dict_operations(torch):
    nn = torch.nn
    heads = nn.ModuleDict({"b": nn.Linear(2, 2), "a": nn.ReLU()})
    heads["c"] = nn.Linear(2, 1)
    heads.update([("d", nn.Tanh())])
    popped = type(heads.pop("a")).__name__
    return (list(heads), list(heads.keys()), [type(m).__name__ for m in heads.values()], "c" in heads, len(heads),
            popped, [n for n, _ in heads.named_parameters()], repr(heads))


one("module_dict_missing_key", lambda torch: torch.nn.ModuleDict({"a": torch.nn.ReLU()})["b"])


@case
def forward_hooks_replace_and_remove(torch):
    layer = torch.nn.Linear(3, 2)
    setw(torch, layer.weight, A(2, 3, seed=1))
    setw(torch, layer.bias, A(2, seed=2))
    seen = []
    pre = layer.register_forward_pre_hook(lambda m, args: (args[0] * 2,))
    post = layer.register_forward_hook(lambda m, args, out: seen.append(tuple(args[0].shape)) or out + 1)
    x = T(torch, 4, 3)
    hooked = layer(x)
    pre.remove()
    post.remove()
    post.remove()
    return hooked, layer(x), seen


@case
def forward_pre_hook_non_tuple_result(torch):
    layer = torch.nn.Linear(3, 2)
    setw(torch, layer.weight, A(2, 3, seed=1))
    setw(torch, layer.bias, A(2, seed=2))
    layer.register_forward_pre_hook(lambda m, args: args[0] * 0)
    return layer(T(torch, 2, 3))


@case
def forward_hook_collects_activations(torch):
    net = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.ReLU())
    setw(torch, net[0].weight, A(4, 3, seed=1))
    setw(torch, net[0].bias, A(4, seed=2))
    store = {}
    net[1].register_forward_hook(lambda m, args, out: store.__setitem__("relu", out))
    net(T(torch, 2, 3))
    return store["relu"]


# =========================================================================================
# Round two: idioms of ordinary training code and the D2L book, probed for silent differences


def _seeded_equal(torch, draw):
    torch.manual_seed(3)
    a = draw()
    torch.manual_seed(3)
    return bool(torch.equal(a, draw()))


# creation and dtype inference
one("r2_tensor_nested_bools", lambda torch: torch.tensor([[True, False], [False, True]]))
one("r2_tensor_int_and_bool", lambda torch: torch.tensor([1, True]))
one("r2_tensor_float_and_bool", lambda torch: torch.tensor([1.5, True]))
one("r2_tensor_empty_list", lambda torch: torch.tensor([]))
one("r2_tensor_empty_nested", lambda torch: torch.tensor([[], []]))
one("r2_tensor_ragged_raises", lambda torch: torch.tensor([[1, 2], [3]]))
one("r2_tensor_int_0d", lambda torch: torch.tensor(3))
one("r2_tensor_bool_0d", lambda torch: torch.tensor(True))
one("r2_tensor_float_list_int_dtype", lambda torch: torch.tensor([1.7, -2.7], dtype=torch.int64))
one("r2_tensor_float16", lambda torch: torch.tensor([1, 2]).to(torch.float16))
one("r2_tensor_from_float32_ndarray_keeps", lambda torch: torch.tensor(np.ones(2, dtype=np.float32)).dtype)
one("r2_tensor_from_bool_ndarray", lambda torch: torch.tensor(np.array([True, False])))
one("r2_tensor_from_uint8_ndarray", lambda torch: torch.tensor(np.array([1, 250], dtype=np.uint8)))
one("r2_tensor_of_tuples", lambda torch: torch.tensor(((1, 2), (3, 4))))
one("r2_tensor_list_of_ndarrays", lambda torch: torch.tensor(np.stack([np.zeros(2), np.ones(2)])))
one("r2_Tensor_class_from_list", lambda torch: torch.Tensor([1, 2]))
one("r2_Tensor_class_sizes", lambda torch: torch.Tensor(2, 3).shape)
one("r2_FloatTensor", lambda torch: torch.FloatTensor([1, 2]))
one("r2_LongTensor", lambda torch: torch.LongTensor([1, 2]))
one("r2_arange_tenths_len", lambda torch: torch.arange(0, 1, 0.1).shape)
one("r2_arange_half_steps", lambda torch: torch.arange(1, 2.5, 0.5))
one("r2_arange_float64", lambda torch: torch.arange(10, dtype=torch.float64))
one("r2_arange_negative_step", lambda torch: torch.arange(5, 0, -1))
one("r2_arange_int32_step", lambda torch: torch.arange(0, 5, 2, dtype=torch.int32))
one("r2_arange_keywords", lambda torch: torch.arange(start=2, end=6))
one("r2_arange_float_dtype_int_args", lambda torch: torch.arange(0, 3, dtype=torch.float))
one("r2_arange_requires_grad", lambda torch: torch.arange(3.0, requires_grad=True))
one("r2_arange_0d_tensor_end", lambda torch: torch.arange(torch.tensor(4)))
one("r2_arange_wrong_sign", lambda torch: torch.arange(0, 5, -1))
one("r2_linspace_float64", lambda torch: torch.linspace(0, 10, steps=5, dtype=torch.float64))
one("r2_linspace_one_step", lambda torch: torch.linspace(2, 5, 1))
one("r2_linspace_ints", lambda torch: torch.linspace(0, 4, 5))
one("r2_linspace_reversed", lambda torch: torch.linspace(1, 0, 3))
one("r2_full_float64", lambda torch: torch.full((2,), 1.5, dtype=torch.float64))
one("r2_full_int_fill_float_dtype", lambda torch: torch.full((2,), 3, dtype=torch.float32))
one("r2_full_list_size_negative_fill", lambda torch: torch.full([2, 3], -1))
one("r2_full_0d", lambda torch: torch.full((), 2.0))
one("r2_full_float_fill_int_dtype", lambda torch: torch.full((2,), 2.7, dtype=torch.int64))
one("r2_full_requires_grad", lambda torch: torch.full((2,), 1.0, requires_grad=True))
one("r2_zeros_like_dtype", lambda torch: torch.zeros_like(torch.tensor([1, 2]), dtype=torch.float32))
one("r2_ones_like_requires_grad", lambda torch: torch.ones_like(T(torch, 2), requires_grad=True))
one("r2_full_like_int_float_fill", lambda torch: torch.full_like(torch.tensor([1, 2]), 2.7))
one("r2_full_like_bool", lambda torch: torch.full_like(torch.tensor([True]), 5))
one("r2_zeros_like_keeps_int", lambda torch: torch.zeros_like(torch.tensor([3, 4])))
one("r2_ones_like_of_requires_grad", lambda torch: torch.ones_like(T(torch, 2, grad=True)))
one("r2_eye_rect", lambda torch: torch.eye(2, 3))
one("r2_eye_long", lambda torch: torch.eye(3, dtype=torch.long))
one("r2_eye_zero", lambda torch: torch.eye(0).shape)
one("r2_zeros_empty", lambda torch: torch.zeros(0))
one("r2_zeros_empty_sum", lambda torch: torch.zeros(2, 0).sum(dim=1))
one("r2_zeros_bool", lambda torch: torch.zeros((2, 3), dtype=torch.bool))
one("r2_ones_default_dtype", lambda torch: torch.ones(3).dtype)
one("r2_zeros_negative_size", lambda torch: torch.zeros(-1))
one("r2_zeros_float_size", lambda torch: torch.zeros(2.0))
one("r2_manual_seed_randn", lambda torch: _seeded_equal(torch, lambda: torch.randn(5)))
one("r2_manual_seed_rand", lambda torch: _seeded_equal(torch, lambda: torch.rand(2, 2)))
one("r2_manual_seed_randint", lambda torch: _seeded_equal(torch, lambda: torch.randint(0, 9, (6,))))
one("r2_randn_float64", lambda torch: torch.randn(2, 3, dtype=torch.float64).dtype)
one("r2_randn_0d", lambda torch: torch.randn(()).shape)
one("r2_randn_empty", lambda torch: torch.randn(0, 3).shape)
one("r2_rand_requires_grad", lambda torch: torch.rand(3, requires_grad=True).requires_grad)
one("r2_randn_stats", lambda torch: (lambda r: (round(float(r.mean()), 1), round(float(r.std()), 1)))(
    torch.randn(100000)))
one("r2_randint_high_only_tuple", lambda torch: (torch.randint(5, (2, 2)).dtype, torch.randint(5, (2, 2)).shape))
one("r2_randint_bounds", lambda torch: (lambda r: (int(r.min()), int(r.max())))(torch.randint(-2, 3, (2000,))))
one("r2_randint_int_size_raises", lambda torch: torch.randint(0, 5, 3))
one("r2_as_tensor_shares", lambda torch: (lambda a: (torch.as_tensor(a).add_(1), a.tolist())[1])(np.zeros(2)))
one("r2_as_tensor_dtype_copies", lambda torch: (lambda a: (torch.as_tensor(a, dtype=torch.float32).add_(1), a.tolist(),
                                                           torch.as_tensor(a, dtype=torch.float32).dtype)[1:])(np.zeros(2)))
one("r2_as_tensor_of_tensor_is_it", lambda torch: (lambda x: torch.as_tensor(x) is x)(T(torch, 2)))
one("r2_as_tensor_int_list", lambda torch: torch.as_tensor([1, 2]))
one("r2_from_numpy_int32", lambda torch: torch.from_numpy(np.arange(3, dtype=np.int32)))
one("r2_from_numpy_list_raises", lambda torch: torch.from_numpy([1, 2]))
one("r2_numpy_shares", lambda torch: (lambda x: (x.numpy().__setitem__(0, 5.0), x)[1])(torch.zeros(3)))
one("r2_tensor_copies_ndarray", lambda torch: (lambda a: (torch.tensor(a).add_(1), a.tolist())[1])(np.zeros(2)))
one("r2_new_tensor_dtype", lambda torch: torch.zeros(2).new_tensor([1, 2]))
one("r2_new_ones_int", lambda torch: torch.tensor([1]).new_ones(2, 2))
one("r2_new_full", lambda torch: T(torch, 2, dtype=np.float64).new_full((2,), 3))
one("r2_new_zeros_dtype_kw", lambda torch: T(torch, 2).new_zeros((2,), dtype=torch.int64))
one("r2_tensor_from_tensor_detaches", lambda torch: torch.tensor(T(torch, 2, grad=True)).requires_grad)

# indexing
one("r2_index_list_rows", lambda torch: T(torch, 4, 3)[[0, 2]])
one("r2_index_pairs_lists", lambda torch: T(torch, 4, 3)[[0, 3], [1, 2]])
one("r2_index_columns_list", lambda torch: T(torch, 4, 3)[:, [0, 2]])
one("r2_index_bool_list", lambda torch: T(torch, 3)[[True, False, True]])
one("r2_index_slice_none", lambda torch: T(torch, 4, 3)[1:3, None].shape)
one("r2_index_ellipsis_last", lambda torch: T(torch, 2, 3, 4)[..., 0])
one("r2_index_ellipsis_none", lambda torch: T(torch, 2, 3)[None, ..., None].shape)
one("r2_index_negative_slices", lambda torch: T(torch, 5)[-3:-1])
one("r2_index_steps_2d", lambda torch: T(torch, 5, 7)[1::2, ::3])
one("r2_index_0d_tensor", lambda torch: T(torch, 4, 3)[torch.tensor(1)])
one("r2_index_2d_int_tensor", lambda torch: T(torch, 4, 3)[torch.tensor([[0, 1], [1, 2]])])
one("r2_index_row_mask", lambda torch: T(torch, 4, 3)[torch.tensor([True, False, True, False])])
one("r2_index_wrong_mask_size", lambda torch: T(torch, 4)[torch.tensor([True, False])])
one("r2_index_float_tensor_raises", lambda torch: T(torch, 4)[torch.tensor([0.0, 1.0])])
one("r2_index_float_raises", lambda torch: T(torch, 4)[1.0])
one("r2_index_ndarray", lambda torch: T(torch, 4)[np.array([0, 3])])
one("r2_index_int32_tensor", lambda torch: T(torch, 4)[torch.tensor([3, 1], dtype=torch.int32)])
one("r2_index_uint8_tensor_mask", lambda torch: T(torch, 3)[torch.tensor([1, 0, 1], dtype=torch.uint8)])
one("r2_index_mask_and_slice", lambda torch: T(torch, 4, 3)[torch.tensor([True, False, True, True]), 1:])
one("r2_index_list_and_int", lambda torch: T(torch, 4, 3)[[0, 2], 1])
one("r2_index_negative_list", lambda torch: T(torch, 4)[[-1, -2]])
one("r2_index_out_of_range_list", lambda torch: T(torch, 4)[[0, 4]])
one("r2_index_too_many", lambda torch: T(torch, 4)[0, 0])
one("r2_index_empty_list", lambda torch: T(torch, 4, 2)[[]].shape)
one("r2_index_slice_beyond", lambda torch: T(torch, 4)[2:10])
one("r2_index_is_view_column", lambda torch: (lambda x: (x[:, 1].fill_(9.0), x)[1])(T(torch, 2, 3)))
one("r2_setitem_row_broadcast", lambda torch: (lambda x: (x.__setitem__(0, 1.0), x)[1])(T(torch, 2, 3)))
one("r2_setitem_column_tensor", lambda torch: (lambda x: (x.__setitem__((slice(None), 0), torch.tensor([5.0, 6.0])), x)[1])(
    T(torch, 2, 3)))
one("r2_setitem_mask_scalar", lambda torch: (lambda x: (x.__setitem__(x > 0, 0.0), x)[1])(T(torch, 3, 3)))
one("r2_setitem_mask_values", lambda torch: (lambda x: (x.__setitem__(torch.tensor([True, False, True]),
                                                                       torch.tensor([7.0, 8.0])), x)[1])(T(torch, 3)))
one("r2_setitem_list", lambda torch: (lambda x: (x.__setitem__([0, 2], -1.0), x)[1])(T(torch, 4)))
one("r2_setitem_repeated_index", lambda torch: (lambda x: (x.__setitem__([0, 0], torch.tensor([1.0, 2.0])), x)[1])(
    torch.zeros(3)))
one("r2_index_iadd_repeated", lambda torch: (lambda x: (x.__setitem__([0, 0], x[[0, 0]] + 1), x)[1])(torch.zeros(3)))
one("r2_setitem_int_tensor_float_value", lambda torch: (lambda x: (x.__setitem__(0, 2.7), x)[1])(torch.tensor([1, 2])))
one("r2_setitem_row_vector_broadcast", lambda torch: (lambda x: (x.__setitem__(slice(0, 2), torch.tensor([1.0, 2.0, 3.0])),
                                                                 x)[1])(torch.zeros(3, 3)))
one("r2_setitem_shape_bad", lambda torch: (lambda x: x.__setitem__(slice(0, 2), torch.tensor([1.0, 2.0, 3.0])))(
    torch.zeros(3, 2)))
one("r2_setitem_ellipsis", lambda torch: (lambda x: (x.__setitem__((Ellipsis, 0), 1.0), x)[1])(torch.zeros(2, 2, 2)))
one("r2_setitem_chained", lambda torch: (lambda x: (x[1].__setitem__(0, 4.0), x)[1])(torch.zeros(2, 2)))


@case
def r2_setitem_grad_value_into_plain(torch):
    w = T(torch, 2, grad=True)
    y = torch.zeros(3)
    y[1:] = w
    y.sum().backward()
    return y.requires_grad, w.grad


@case
def r2_grad_through_bool_mask(torch):
    x = T(torch, 5, grad=True)
    x[x > 0].sum().backward()
    return x.grad


@case
def r2_grad_through_list_index(torch):
    x = T(torch, 3, 2, grad=True)
    (x[[0, 0, 2]] * torch.tensor(A(3, 2, seed=4))).sum().backward()
    return x.grad


# arithmetic and type promotion
one("r2_int_div_int_scalar", lambda torch: torch.tensor([3, 4]) / 2)
one("r2_rdiv_int", lambda torch: 1 / torch.tensor([2, 4]))
one("r2_int_floor_negative_divisor", lambda torch: torch.tensor([7, -7]) // -2)
one("r2_int_mod_negative_divisor", lambda torch: torch.tensor([7, -7]) % -3)
one("r2_float_mod_negative", lambda torch: torch.tensor([7.5, -7.5]) % -2)
one("r2_float_mod_positive", lambda torch: torch.tensor([-7.5, 7.5]) % 2)
one("r2_int_floordiv_zero", lambda torch: torch.tensor([1, 2]) // 0)
one("r2_int_mod_zero", lambda torch: torch.tensor([1, 2]) % 0)
one("r2_int_div_zero", lambda torch: torch.tensor([1, 0]) / 0)
one("r2_float_floordiv_zero", lambda torch: torch.tensor([1.0, -1.0]) // 0)
one("r2_int_pow_negative_int", lambda torch: torch.tensor([1, 2]) ** -1)
one("r2_float_pow_negative_int", lambda torch: torch.tensor([1.0, 2.0]) ** -1)
one("r2_float_scalar_pow_int_tensor", lambda torch: 2.0 ** torch.tensor([1, 2]))
one("r2_int_scalar_pow_int_tensor", lambda torch: 2 ** torch.tensor([1, 2]))
one("r2_int_pow_float_scalar", lambda torch: torch.tensor([1, 2]) ** 2.0)
one("r2_int_pow_int_tensor", lambda torch: torch.tensor([2, 3]) ** torch.tensor([3, 2]))
one("r2_negative_pow_half", lambda torch: torch.tensor([-4.0, 4.0]) ** 0.5)
one("r2_bool_add_bool", lambda torch: torch.tensor([True, False]) + torch.tensor([True, False]))
one("r2_bool_mul_bool", lambda torch: torch.tensor([True, False]) * torch.tensor([True, True]))
one("r2_bool_sub_bool", lambda torch: torch.tensor([True, False]) - torch.tensor([True, True]))
one("r2_neg_bool", lambda torch: -torch.tensor([True, False]))
one("r2_one_minus_bool", lambda torch: 1 - torch.tensor([True, False]))
one("r2_bool_times_float", lambda torch: torch.tensor([True, False]) * 1.5)
one("r2_bool_div_int", lambda torch: torch.tensor([True, False]) / 2)
one("r2_bool_sum_python", lambda torch: torch.tensor([True, True]) + True)
one("r2_int_plus_bool_tensor", lambda torch: torch.tensor([1, 2]) + torch.tensor([True, False]))
one("r2_float32_times_np_float64", lambda torch: T(torch, 2) * np.float64(2.0))
one("r2_float32_times_0d_float64_tensor", lambda torch: T(torch, 2) * torch.tensor(2.0, dtype=torch.float64))
one("r2_int_times_2_5", lambda torch: torch.tensor([1, 2]) * 2.5)
one("r2_int32_times_2_5", lambda torch: torch.tensor([1, 2], dtype=torch.int32) * 2.5)
one("r2_uint8_plus_int", lambda torch: torch.tensor([250], dtype=torch.uint8) + 10)
one("r2_uint8_plus_int64_tensor", lambda torch: torch.tensor([250], dtype=torch.uint8) + torch.tensor([10]))
one("r2_float16_plus_float32", lambda torch: torch.ones(2, dtype=torch.float16) + torch.ones(2))
one("r2_float16_plus_python_float", lambda torch: torch.ones(2, dtype=torch.float16) + 1.5)
one("r2_int64_plus_0d_int32", lambda torch: torch.tensor([1], dtype=torch.int32) + torch.tensor(1))
one("r2_0d_int_plus_0d_float", lambda torch: torch.tensor(1) + torch.tensor(1.5))
one("r2_int_eq_float_scalar", lambda torch: torch.tensor([1, 2]) == 1.5)
one("r2_int_eq_float_tensor", lambda torch: torch.tensor([1, 2]) == torch.tensor([1.0, 2.5]))
one("r2_compare_broadcast", lambda torch: T(torch, 3, 1) < T(torch, 1, 4, seed=1))
one("r2_invert_bool", lambda torch: ~torch.tensor([True, False]))
one("r2_invert_int", lambda torch: ~torch.tensor([0, 5, -1]))
one("r2_invert_float_raises", lambda torch: ~torch.tensor([1.0]))
one("r2_and_bool", lambda torch: torch.tensor([True, False]) & torch.tensor([True, True]))
one("r2_or_int", lambda torch: torch.tensor([1, 2]) | torch.tensor([4, 2]))
one("r2_xor_bool", lambda torch: torch.tensor([True, False]) ^ torch.tensor([True, True]))
one("r2_and_bool_int", lambda torch: torch.tensor([True, False]) & torch.tensor([3, 3]))
one("r2_and_float_raises", lambda torch: torch.tensor([1.0]) & torch.tensor([1.0]))
one("r2_and_python_bool", lambda torch: torch.tensor([True, False]) & True)
one("r2_mask_combination", lambda torch: (lambda x: x[(x > -1) & (x < 1)])(T(torch, 8)))
one("r2_logical_not", lambda torch: torch.logical_not(torch.tensor([True, False])))
one("r2_abs_int", lambda torch: torch.tensor([-3, 2]).abs())
one("r2_abs_int32", lambda torch: torch.abs(torch.tensor([-3, 2], dtype=torch.int32)))
one("r2_abs_builtin", lambda torch: abs(T(torch, 3)))
one("r2_round_half_even", lambda torch: torch.round(torch.tensor([0.5, 1.5, 2.5, -0.5, -1.5])))
one("r2_floor_int", lambda torch: torch.floor(torch.tensor([1, -2])))
one("r2_ceil_int", lambda torch: torch.tensor([1, -2]).ceil())
one("r2_round_int", lambda torch: torch.tensor([1, -2]).round())
one("r2_trunc_negative", lambda torch: torch.tensor([-1.7, 1.7]).trunc())
one("r2_sign_zero", lambda torch: torch.tensor([-0.0, 0.0, -2.0, 3.0]).sign())
one("r2_sign_bool", lambda torch: torch.tensor([True, False]).sign())
one("r2_neg_int", lambda torch: -torch.tensor([1, -2]))
one("r2_sqrt_negative_nan", lambda torch: torch.sqrt(torch.tensor([-1.0, 4.0])))
one("r2_log_zero", lambda torch: torch.log(torch.tensor([0.0, 1.0])))
one("r2_exp_overflow", lambda torch: torch.exp(torch.tensor([1000.0, -1000.0])))
one("r2_sigmoid_extremes", lambda torch: torch.sigmoid(torch.tensor([-1000.0, 1000.0, 0.0])))
one("r2_tanh_extremes", lambda torch: torch.tanh(torch.tensor([-1000.0, 1000.0])))
one("r2_reciprocal", lambda torch: T(torch, 3).reciprocal())
one("r2_add_scalar_alpha", lambda torch: T(torch, 3).add(1, alpha=2))
one("r2_torch_add_alpha", lambda torch: torch.add(T(torch, 3), T(torch, 3, seed=1), alpha=-0.5))
one("r2_torch_sub_scalar", lambda torch: torch.sub(T(torch, 3), 1))
one("r2_torch_mul_scalar_first", lambda torch: torch.mul(2, T(torch, 3)))
one("r2_torch_div_int_tensors", lambda torch: torch.div(torch.tensor([5, -5]), 2))
one("r2_div_floor_int", lambda torch: torch.div(torch.tensor([5, -5]), 2, rounding_mode="floor"))
one("r2_div_trunc_int", lambda torch: torch.div(torch.tensor([5, -5]), 2, rounding_mode="trunc"))
one("r2_div_trunc_float", lambda torch: torch.tensor([5.0, -5.0]).div(2, rounding_mode="trunc"))
one("r2_mul_inplace_int_on_float", lambda torch: T(torch, 3).mul_(2))
one("r2_div_inplace_int_by_float", lambda torch: torch.tensor([2, 4]).div_(2))
one("r2_add_inplace_broadcast_row", lambda torch: torch.zeros(2, 3).add_(torch.tensor([1.0, 2.0, 3.0])))
one("r2_add_inplace_alpha", lambda torch: torch.zeros(2).add_(torch.ones(2), alpha=3))
one("r2_float32_iadd_int_tensor", lambda torch: (lambda x: (x.__iadd__(torch.tensor([1, 2])), x)[1])(torch.zeros(2)))
one("r2_maximum_nan", lambda torch: torch.maximum(torch.tensor([float("nan"), 1.0]), torch.tensor([0.0, 2.0])))
one("r2_clamp_int_float_bounds", lambda torch: torch.tensor([1, 2, 3]).clamp(0.5, 1.5))
one("r2_clamp_min_gt_max", lambda torch: T(torch, 4).clamp(1.0, -1.0))
one("r2_clamp_tensor_min", lambda torch: T(torch, 4).clamp(min=torch.zeros(4)))
one("r2_clamp_tensor_both", lambda torch: T(torch, 2, 3).clamp(torch.full((3,), -0.5), torch.full((2, 1), 0.5)))
one("r2_clamp_no_bounds_raises", lambda torch: T(torch, 3).clamp())
one("r2_clamp_nan", lambda torch: torch.tensor([float("nan"), 2.0]).clamp(0, 1))
one("r2_where_float_zero", lambda torch: (lambda x: torch.where(x > 0, x, 0.0))(T(torch, 4)))
one("r2_where_int_and_float_scalar", lambda torch: torch.where(torch.tensor([True, False]), torch.tensor([1, 2]), 1.5))
one("r2_where_scalars", lambda torch: torch.where(torch.tensor([True, False]), 1.0, 0.0))
one("r2_where_int_scalars", lambda torch: torch.where(torch.tensor([True, False]), 1, 0))
one("r2_where_broadcast", lambda torch: torch.where(T(torch, 3, 1) > 0, T(torch, 1, 4, seed=1), T(torch, 3, 4, seed=2)))
one("r2_where_float_condition_raises", lambda torch: torch.where(torch.tensor([1.0, 0.0]), 1.0, 0.0))
one("r2_masked_fill_int_float_value", lambda torch: torch.tensor([1, 2]).masked_fill(torch.tensor([True, False]), 2.7))
one("r2_masked_fill_neg_inf", lambda torch: T(torch, 2, 3).masked_fill(torch.tensor([[True], [False]]), float("-inf")))
one("r2_masked_fill_tensor_value", lambda torch: T(torch, 3).masked_fill(torch.tensor([True, False, True]), torch.tensor(5.0)))
one("r2_masked_fill_int_mask_raises", lambda torch: T(torch, 3).masked_fill(torch.tensor([1, 0, 1]), 0.0))
one("r2_masked_fill_inplace", lambda torch: (lambda x: (x.masked_fill_(x > 0, 0.0), x)[1])(T(torch, 4)))

# reductions
one("r2_sum_bool_dim", lambda torch: (T(torch, 3, 4) > 0).sum(dim=1))
one("r2_sum_int32_dim", lambda torch: torch.tensor([[1, 2]], dtype=torch.int32).sum(0))
one("r2_sum_uint8", lambda torch: torch.tensor([200, 100], dtype=torch.uint8).sum())
one("r2_sum_float16", lambda torch: torch.ones(3, dtype=torch.float16).sum().dtype)
one("r2_mean_bool_raises", lambda torch: torch.tensor([True, False]).mean())
one("r2_mean_int_dim_raises", lambda torch: torch.tensor([[1, 2]]).mean(dim=0))
one("r2_bool_float_mean", lambda torch: (T(torch, 10) > 0).float().mean())
one("r2_prod_int", lambda torch: torch.tensor([2, 3, 4]).prod())
one("r2_prod_bool", lambda torch: torch.tensor([True, True]).prod())
one("r2_prod_int32_dim", lambda torch: torch.tensor([[2, 3]], dtype=torch.int32).prod(1))
one("r2_max_bool", lambda torch: torch.tensor([True, False]).max())
one("r2_max_int_dim", lambda torch: tuple(torch.tensor([[1, 5, 5], [7, 0, 7]]).max(dim=1)))
one("r2_max_dim_getitem", lambda torch: T(torch, 3, 4).max(dim=1)[0])
one("r2_max_dim_keepdim_values", lambda torch: torch.max(T(torch, 3, 4), dim=1, keepdim=True).values)
one("r2_max_dim_type_name", lambda torch: (lambda r: (type(r).__name__, len(r)))(T(torch, 2, 2).max(0)))
one("r2_min_int_dim", lambda torch: tuple(torch.min(torch.tensor([[3, 1], [1, 3]]), 1)))
one("r2_max_nan", lambda torch: torch.tensor([1.0, float("nan"), 3.0]).max())
one("r2_min_nan", lambda torch: torch.tensor([1.0, float("nan"), 3.0]).min())
one("r2_max_dim_nan", lambda torch: tuple(torch.tensor([[1.0, float("nan"), 3.0]]).max(dim=1)))
one("r2_argmax_nan", lambda torch: torch.tensor([1.0, float("nan"), 3.0, float("nan")]).argmax())
one("r2_argmin_nan", lambda torch: torch.tensor([1.0, float("nan"), -3.0]).argmin())
one("r2_argmax_ties_dim", lambda torch: torch.tensor([[1, 3, 3], [2, 2, 0]]).argmax(dim=1))
one("r2_argmin_ties", lambda torch: torch.tensor([0.0, -1.0, -1.0]).argmin())
one("r2_argmax_bool", lambda torch: torch.tensor([False, True, True]).argmax())
one("r2_argmax_0d", lambda torch: torch.tensor(3.0).argmax())
one("r2_argmax_negative_dim", lambda torch: T(torch, 2, 3, 4).argmax(dim=-2))
one("r2_amax_int_tuple", lambda torch: torch.tensor([[1, 9], [4, 2]]).amax(dim=(0, 1)))
one("r2_amin_keepdim", lambda torch: T(torch, 2, 3).amin(1, keepdim=True))
one("r2_all_float", lambda torch: torch.all(torch.tensor([1.0, 0.5])))
one("r2_any_int_dim", lambda torch: torch.tensor([[0, 0], [0, 3]]).any(dim=1))
one("r2_all_empty", lambda torch: torch.tensor([]).all())
one("r2_any_empty", lambda torch: torch.tensor([]).any())
one("r2_cumsum_bool", lambda torch: torch.tensor([True, False, True]).cumsum(0))
one("r2_cumsum_int32", lambda torch: torch.tensor([1, 2], dtype=torch.int32).cumsum(dim=0))
one("r2_cumsum_2d_dim1", lambda torch: T(torch, 2, 3).cumsum(dim=1))
one("r2_cumsum_function", lambda torch: torch.cumsum(T(torch, 4), dim=0))
one("r2_cumsum_no_dim_raises", lambda torch: T(torch, 4).cumsum())
one("r2_cumprod", lambda torch: torch.tensor([1.0, 2.0, 3.0, 4.0]).cumprod(dim=0))
one("r2_cumprod_int", lambda torch: torch.cumprod(torch.tensor([[1, 2], [3, 4]]), dim=1))
one("r2_std_int_raises", lambda torch: torch.tensor([1, 2, 3]).std())
one("r2_var_bool_raises", lambda torch: torch.tensor([True, False]).var())
one("r2_var_dim_list", lambda torch: T(torch, 2, 3, 4).var(dim=[0, 2]))
one("r2_norm_dim", lambda torch: T(torch, 3, 4).norm(dim=1))
one("r2_norm_p1", lambda torch: T(torch, 3, 4).norm(p=1))
one("r2_norm_int_raises", lambda torch: torch.tensor([3, 4]).norm())
one("r2_logsumexp_neg_inf_row", lambda torch: torch.logsumexp(torch.tensor([[float("-inf"), float("-inf")], [0.0, 0.0]]), dim=1))
one("r2_sum_empty_tuple_dim", lambda torch: T(torch, 2, 3).sum(dim=()))
one("r2_sum_repeated_dim_raises", lambda torch: T(torch, 2, 3).sum(dim=(0, 0)))
one("r2_sum_dim_out_of_range", lambda torch: T(torch, 2, 3).sum(dim=2))
one("r2_mean_dim_list", lambda torch: T(torch, 2, 3, 4).mean([1, 2]))
one("r2_median", lambda torch: torch.tensor([1.0, 4.0, 2.0, 3.0]).median())
one("r2_topk", lambda torch: tuple(torch.topk(torch.tensor([1.0, 5.0, 3.0, 4.0]), 2)))
one("r2_topk_method_dim", lambda torch: tuple(T(torch, 3, 5).topk(2, dim=1)))
one("r2_topk_smallest", lambda torch: tuple(T(torch, 6).topk(3, largest=False)))
one("r2_topk_fields", lambda torch: (lambda r: (r.values, r.indices))(T(torch, 2, 4).topk(1)))
one("r2_topk_too_many", lambda torch: T(torch, 3).topk(4))
one("r2_topk_int", lambda torch: tuple(torch.tensor([3, 1, 2]).topk(2)))
one("r2_sort", lambda torch: tuple(torch.sort(torch.tensor([3.0, 1.0, 2.0]))))
one("r2_sort_descending", lambda torch: tuple(T(torch, 2, 5).sort(dim=1, descending=True)))
one("r2_sort_stable_ties", lambda torch: tuple(torch.tensor([2, 1, 2, 1, 0]).sort(stable=True)))
one("r2_sort_stable_descending_ties", lambda torch: tuple(torch.sort(torch.tensor([2, 1, 2, 1, 0]), descending=True,
                                                                     stable=True)))
one("r2_sort_dim0", lambda torch: tuple(T(torch, 4, 2).sort(0)))
one("r2_sort_nan", lambda torch: tuple(torch.tensor([2.0, float("nan"), 1.0]).sort()))
one("r2_sort_nan_descending", lambda torch: tuple(torch.tensor([2.0, float("nan"), 1.0]).sort(descending=True)))
one("r2_argsort", lambda torch: torch.argsort(torch.tensor([3.0, 1.0, 2.0])))
one("r2_argsort_descending", lambda torch: T(torch, 2, 5).argsort(dim=1, descending=True))
one("r2_unique", lambda torch: torch.unique(torch.tensor([3, 1, 3, 2])))
one("r2_unique_counts", lambda torch: torch.unique(torch.tensor([3, 1, 3, 2]), return_counts=True))
one("r2_allclose_defaults", lambda torch: torch.allclose(torch.tensor([1.0]), torch.tensor([1.0 + 1e-6])))
one("r2_allclose_nan", lambda torch: (torch.allclose(torch.tensor([float("nan")]), torch.tensor([float("nan")])),
                                      torch.allclose(torch.tensor([float("nan")]), torch.tensor([float("nan")]),
                                                     equal_nan=True)))
one("r2_allclose_broadcast", lambda torch: torch.allclose(torch.ones(2, 2), torch.ones(2)))
one("r2_allclose_int_float", lambda torch: torch.allclose(torch.tensor([1, 2]), torch.tensor([1.0, 2.0])))
one("r2_isclose", lambda torch: torch.isclose(torch.tensor([1.0, 2.0]), torch.tensor([1.0, 2.1])))
one("r2_equal_int_float", lambda torch: torch.equal(torch.tensor([1, 2]), torch.tensor([1.0, 2.0])))
one("r2_equal_shapes", lambda torch: torch.equal(torch.ones(2), torch.ones(1, 2)))
one("r2_nonzero_2d", lambda torch: torch.tensor([[0, 1], [2, 0]]).nonzero())
one("r2_nonzero_bool_function", lambda torch: torch.nonzero(torch.tensor([False, True, True])))
one("r2_gather_out_of_range", lambda torch: T(torch, 2, 3).gather(1, torch.tensor([[0], [3]])))
one("r2_gather_int32_index_raises", lambda torch: T(torch, 2, 3).gather(1, torch.tensor([[0], [1]], dtype=torch.int32)))
one("r2_gather_labels_idiom", lambda torch: T(torch, 3, 4).gather(1, torch.tensor([2, 0, 3]).view(-1, 1)).squeeze(1))
one("r2_scatter", lambda torch: torch.zeros(2, 3).scatter(1, torch.tensor([[1], [2]]), 1.0))
one("r2_scatter_add", lambda torch: torch.zeros(3).scatter_add(0, torch.tensor([0, 0, 2]), torch.ones(3)))

# shape operations
one("r2_view_slice_rows_contiguous", lambda torch: T(torch, 4, 3)[1:].view(-1))
one("r2_view_sliced_columns_raises", lambda torch: T(torch, 4, 3)[:, 1:].view(-1))
one("r2_view_sliced_columns_same_shape", lambda torch: T(torch, 4, 3)[:, 1:].view(4, 2))
one("r2_view_after_permute_raises", lambda torch: T(torch, 2, 3, 4).permute(0, 2, 1).view(2, 12))
one("r2_view_expand_raises", lambda torch: T(torch, 3, 1).expand(3, 4).view(-1))
one("r2_view_unsqueeze_ok", lambda torch: T(torch, 3, 4).t().unsqueeze(0).view(1, 4, 3).shape)
one("r2_is_contiguous", lambda torch: (T(torch, 2, 3).is_contiguous(), T(torch, 2, 3).t().is_contiguous(),
                                       T(torch, 2, 3).t().contiguous().is_contiguous()))
one("r2_contiguous_then_view", lambda torch: T(torch, 2, 3).t().contiguous().view(-1))
one("r2_reshape_transposed", lambda torch: T(torch, 2, 3).t().reshape(-1))
one("r2_reshape_two_minus_one", lambda torch: T(torch, 2, 3).reshape(-1, -1))
one("r2_reshape_zero_size", lambda torch: torch.zeros(0, 3).reshape(-1, 3).shape)
one("r2_view_dtype", lambda torch: T(torch, 2).view(torch.int32))
one("r2_view_size_object", lambda torch: (lambda x: x.view(x.size(0), -1).shape)(T(torch, 2, 3, 4)))
one("r2_view_three", lambda torch: T(torch, 2, 3, 4).view(2, -1, 2).shape)
one("r2_flatten_1", lambda torch: T(torch, 2, 3, 4).flatten(1).shape)
one("r2_flatten_0_minus2", lambda torch: T(torch, 2, 3, 4).flatten(0, -2).shape)
one("r2_torch_flatten_1", lambda torch: torch.flatten(T(torch, 2, 3, 4), 1).shape)
one("r2_unflatten", lambda torch: T(torch, 2, 12).unflatten(1, (3, 4)).shape)
one("r2_unflatten_minus1", lambda torch: T(torch, 2, 12).unflatten(1, (-1, 4)).shape)
one("r2_squeeze_noop", lambda torch: T(torch, 2, 3).squeeze().shape)
one("r2_squeeze_all_ones", lambda torch: T(torch, 1, 3, 1, 1).squeeze().shape)
one("r2_squeeze_negative", lambda torch: T(torch, 2, 1).squeeze(-1).shape)
one("r2_squeeze_out_of_range", lambda torch: T(torch, 2, 1).squeeze(2))
one("r2_unsqueeze_minus1", lambda torch: T(torch, 2, 3).unsqueeze(-1).shape)
one("r2_unsqueeze_end", lambda torch: T(torch, 2, 3).unsqueeze(2).shape)
one("r2_unsqueeze_out_of_range", lambda torch: T(torch, 2, 3).unsqueeze(3))
one("r2_unsqueeze_minus3", lambda torch: T(torch, 2, 3).unsqueeze(-3).shape)
one("r2_expand_minus1_new_dims", lambda torch: T(torch, 3, 1).expand(2, -1, 4).shape)
one("r2_expand_non1_raises", lambda torch: T(torch, 3, 2).expand(3, 4))
one("r2_expand_minus1_leading_raises", lambda torch: T(torch, 3).expand(-1, 3))
one("r2_expand_shares_memory", lambda torch: (lambda x: (x.expand(2, 3), x.fill_(1.0))[0])(torch.zeros(1, 3)))
one("r2_repeat_fewer_dims_raises", lambda torch: T(torch, 2, 3).repeat(2))
one("r2_repeat_1d", lambda torch: torch.tensor([1, 2]).repeat(3))
one("r2_repeat_values", lambda torch: torch.tensor([[1, 2]]).repeat(2, 2))
one("r2_repeat_interleave", lambda torch: torch.tensor([1, 2]).repeat_interleave(2))
one("r2_tile", lambda torch: torch.tensor([1, 2]).tile((2,)))
one("r2_transpose_same_dim", lambda torch: T(torch, 2, 3).transpose(0, 0).shape)
one("r2_transpose_out_of_range", lambda torch: T(torch, 2, 3).transpose(0, 2))
one("r2_permute_wrong_count", lambda torch: T(torch, 2, 3).permute(0))
one("r2_permute_repeated", lambda torch: T(torch, 2, 3).permute(0, 0))
one("r2_mT_3d", lambda torch: T(torch, 2, 3, 4).mT.shape)
one("r2_T_1d", lambda torch: T(torch, 3).T)
one("r2_t_1d", lambda torch: T(torch, 3).t())
one("r2_t_3d_raises", lambda torch: T(torch, 2, 3, 4).t())
one("r2_chunk_sizes_10_3", lambda torch: [c.shape for c in torch.arange(10).chunk(3)])
one("r2_chunk_sizes_6_4", lambda torch: [c.shape for c in torch.arange(6).chunk(4)])
one("r2_chunk_sizes_5_4", lambda torch: [c.shape for c in torch.arange(5).chunk(4)])
one("r2_chunk_more_than_size", lambda torch: [c.shape for c in torch.arange(2).chunk(5)])
one("r2_chunk_dim1", lambda torch: [c.shape for c in T(torch, 2, 5).chunk(2, dim=1)])
one("r2_chunk_zero_raises", lambda torch: torch.arange(4).chunk(0))
one("r2_split_int_uneven", lambda torch: [c.tolist() for c in torch.arange(5).split(2)])
one("r2_split_list", lambda torch: [c.tolist() for c in torch.arange(5).split([1, 4])])
one("r2_split_list_bad_raises", lambda torch: torch.arange(5).split([1, 3]))
one("r2_torch_split_dim1", lambda torch: [c.shape for c in torch.split(T(torch, 2, 5), 2, dim=1)])
one("r2_split_returns_tuple", lambda torch: type(torch.arange(4).split(2)).__name__)
one("r2_chunk_returns_tuple", lambda torch: type(torch.arange(4).chunk(2)).__name__)
one("r2_cat_int32_int64", lambda torch: torch.cat([torch.tensor([1], dtype=torch.int32), torch.tensor([2])]))
one("r2_cat_bool_int", lambda torch: torch.cat([torch.tensor([True]), torch.tensor([2])]))
one("r2_cat_float16_float32", lambda torch: torch.cat([torch.ones(1, dtype=torch.float16), torch.ones(1)]).dtype)
one("r2_cat_legacy_empty", lambda torch: torch.cat([torch.tensor([]), T(torch, 2, 3)]).shape)
one("r2_cat_shape_mismatch", lambda torch: torch.cat([T(torch, 2, 3), T(torch, 2, 4)]))
one("r2_cat_tuple_input", lambda torch: torch.cat((T(torch, 1, 2), T(torch, 2, 2)), 0).shape)
one("r2_cat_single", lambda torch: torch.cat([T(torch, 2)]))
one("r2_cat_empty_list_raises", lambda torch: torch.cat([]))
one("r2_cat_0d_raises", lambda torch: torch.cat([torch.tensor(1.0), torch.tensor(2.0)]))
one("r2_stack_shapes_mismatch", lambda torch: torch.stack([T(torch, 2), T(torch, 3)]))
one("r2_stack_negative_dim", lambda torch: torch.stack([T(torch, 2, 3), T(torch, 2, 3)], dim=-1).shape)
one("r2_stack_int_bool", lambda torch: torch.stack([torch.tensor([1]), torch.tensor([True])]))
one("r2_hstack", lambda torch: torch.hstack([T(torch, 2), T(torch, 3)]).shape)
one("r2_vstack", lambda torch: torch.vstack([T(torch, 2), T(torch, 2)]).shape)
one("r2_unbind_dim1", lambda torch: [u.shape for u in T(torch, 2, 3).unbind(1)])
one("r2_narrow", lambda torch: T(torch, 4, 3).narrow(0, 1, 2))
one("r2_flip", lambda torch: T(torch, 3).flip(0))
one("r2_roll", lambda torch: torch.arange(4).roll(1))
one("r2_size_negative", lambda torch: T(torch, 2, 3).size(-1))
one("r2_size_is_tuple", lambda torch: (isinstance(T(torch, 2, 3).size(), tuple), T(torch, 2, 3).size() == (2, 3),
                                       list(T(torch, 2, 3).shape)))
one("r2_size_out_of_range", lambda torch: T(torch, 2, 3).size(2))
one("r2_numel_0d", lambda torch: torch.tensor(1.0).numel())
one("r2_torch_numel", lambda torch: torch.numel(T(torch, 2, 3)))
one("r2_dim_0d", lambda torch: torch.tensor(1.0).dim())
one("r2_len_dims", lambda torch: len(T(torch, 4, 2)))
one("r2_shape_unpack", lambda torch: (lambda n, c: n * c)(*T(torch, 4, 2).shape))

# autograd
one("r2_leaf_grad_fn_none", lambda torch: (T(torch, 2, grad=True).grad_fn is None, T(torch, 2).grad_fn is None))
one("r2_is_leaf_flags", lambda torch: (lambda x: (x.is_leaf, (x * 2).is_leaf, x.detach().is_leaf,
                                                  T(torch, 2).is_leaf, x.detach().requires_grad))(T(torch, 2, grad=True)))
one("r2_nonleaf_grad_fn_present", lambda torch: (T(torch, 2, grad=True) * 2).grad_fn is not None)
one("r2_no_grad_result", lambda torch: (lambda x: (lambda y: (y.requires_grad, y.grad_fn is None, y.is_leaf))(
    _no_grad_call(torch, lambda: x * 2)))(T(torch, 2, grad=True)))
one("r2_int_tensor_of_grad", lambda torch: T(torch, 2, grad=True).long().requires_grad)
one("r2_compare_of_grad", lambda torch: (T(torch, 2, grad=True) > 0).requires_grad)
one("r2_argmax_of_grad", lambda torch: T(torch, 2, grad=True).argmax().requires_grad)
one("r2_requires_grad_false_nonleaf_raises", lambda torch: (T(torch, 2, grad=True) * 2).requires_grad_(False))
one("r2_requires_grad_true_nonleaf_ok", lambda torch: (T(torch, 2, grad=True) * 2).requires_grad_().requires_grad)
one("r2_detach_then_requires_grad", lambda torch: (lambda d: (d.requires_grad, d.is_leaf))(
    T(torch, 2, grad=True).detach().requires_grad_()))
one("r2_backward_no_grad_raises", lambda torch: T(torch, 2).sum().backward())
one("r2_backward_nonscalar_raises", lambda torch: (T(torch, 2, grad=True) * 2).backward())
one("r2_is_grad_enabled_default", lambda torch: torch.is_grad_enabled())


def _no_grad_call(torch, fn):
    with torch.no_grad():
        return fn()


@case
def r2_set_grad_enabled_as_call(torch):
    torch.set_grad_enabled(False)
    try:
        inside = (torch.is_grad_enabled(), (T(torch, 2, grad=True) * 2).requires_grad)
    finally:
        torch.set_grad_enabled(True)
    return inside, torch.is_grad_enabled()


@case
def r2_enable_grad_decorator(torch):
    @torch.enable_grad()
    def f(x):
        return x * 2

    with torch.no_grad():
        y = f(T(torch, 2, grad=True))
    return y.requires_grad


@case
def r2_no_grad_decorator_bare(torch):
    @torch.no_grad()
    def f(x):
        return x * 2

    return f(T(torch, 2, grad=True)).requires_grad, torch.is_grad_enabled()


@case
def r2_grads_accumulate_two_backwards(torch):
    x = T(torch, 3, grad=True)
    (x * x).sum().backward()
    (3 * x).sum().backward()
    return x.grad


@case
def r2_retain_graph_twice(torch):
    x = T(torch, 3, grad=True)
    y = (x.exp()).sum()
    y.backward(retain_graph=True)
    y.backward()
    return x.grad


@case
def r2_grad_zero_then_backward(torch):
    x = T(torch, 3, grad=True)
    (x * 2).sum().backward()
    x.grad.zero_()
    (x * 5).sum().backward()
    return x.grad


@case
def r2_grad_none_then_backward(torch):
    x = T(torch, 3, grad=True)
    (x * 2).sum().backward()
    x.grad = None
    (x * 5).sum().backward()
    return x.grad


@case
def r2_retain_grad_nonleaf(torch):
    x = T(torch, 3, grad=True)
    y = x * 2
    y.retain_grad()
    (y ** 2).sum().backward()
    return y.grad, x.grad, y.is_leaf


@case
def r2_grad_dtype_float64(torch):
    x = T(torch, 3, dtype=np.float64, grad=True)
    (x.float() * 2).sum().backward()
    return x.grad


@case
def r2_grad_broadcast_scalar_param(torch):
    w = torch.tensor(2.0, requires_grad=True)
    (w * T(torch, 3, 4)).sum().backward()
    return w.grad


@case
def r2_grad_clamp_boundary(torch):
    x = torch.tensor([-1.0, 0.0, 0.5, 1.0, 2.0], requires_grad=True)
    x.clamp(0.0, 1.0).sum().backward()
    return x.grad


@case
def r2_grad_relu_at_zero(torch):
    x = torch.tensor([-1.0, 0.0, 1.0], requires_grad=True)
    torch.relu(x).sum().backward()
    return x.grad


@case
def r2_grad_abs_at_zero(torch):
    x = torch.tensor([-1.0, 0.0, 1.0], requires_grad=True)
    x.abs().sum().backward()
    return x.grad


@case
def r2_grad_sqrt_at_zero(torch):
    x = torch.tensor([0.0, 4.0], requires_grad=True)
    x.sqrt().sum().backward()
    return x.grad


@case
def r2_grad_norm_at_zero(torch):
    x = torch.zeros(3, requires_grad=True)
    x.norm().backward()
    return x.grad


@case
def r2_grad_maximum_ties(torch):
    a = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
    b = torch.tensor([1.0, 1.0, 4.0], requires_grad=True)
    torch.maximum(a, b).sum().backward()
    return a.grad, b.grad


@case
def r2_grad_minimum_ties(torch):
    a = torch.tensor([1.0, 2.0], requires_grad=True)
    b = torch.tensor([1.0, 3.0], requires_grad=True)
    torch.min(a, b).sum().backward()
    return a.grad, b.grad


@case
def r2_grad_clamp_tensor_bounds(torch):
    x = torch.tensor([-1.0, 0.0, 0.5, 2.0], requires_grad=True)
    lo = torch.tensor([0.0, 0.0, 0.0, 0.0], requires_grad=True)
    x.clamp(min=lo).sum().backward()
    return x.grad, lo.grad


@case
def r2_grad_topk(torch):
    x = T(torch, 2, 5, grad=True)
    v, _ = x.topk(2, dim=1)
    (v * torch.tensor(A(2, 2, seed=5))).sum().backward()
    return x.grad


@case
def r2_grad_sort(torch):
    x = T(torch, 6, grad=True)
    v, _ = torch.sort(x, descending=True)
    (v * torch.arange(6.0)).sum().backward()
    return x.grad


@case
def r2_grad_min_dim(torch):
    x = T(torch, 3, 4, grad=True)
    x.min(dim=1).values.sum().backward()
    return x.grad


@case
def r2_grad_where_scalar_branch(torch):
    x = T(torch, 5, grad=True)
    torch.where(x > 0, x * 3, 0.0).sum().backward()
    return x.grad


@case
def r2_grad_pow_zero_base(torch):
    x = torch.tensor([0.0, 2.0], requires_grad=True)
    (x ** 2).sum().backward()
    return x.grad


@case
def r2_grad_scalar_pow_tensor(torch):
    x = T(torch, 3, grad=True)
    (2 ** x).sum().backward()
    return x.grad


@case
def r2_grad_division_by_tensor(torch):
    a, b = T(torch, 3, grad=True), T(torch, 3, seed=1, low=1.0, high=2.0, grad=True)
    (a / b).sum().backward()
    return a.grad, b.grad


@case
def r2_grad_std_mean(torch):
    x = T(torch, 4, 3, grad=True)
    ((x - x.mean(0)) / x.std(0)).pow(2).sum().backward()
    return x.grad


@case
def r2_grad_cumsum(torch):
    x = T(torch, 2, 4, grad=True)
    (x.cumsum(1) * torch.tensor(A(2, 4, seed=8))).sum().backward()
    return x.grad


@case
def r2_grad_view_reshape_chain(torch):
    x = T(torch, 2, 6, grad=True)
    (x.view(3, 4).t().reshape(2, 6) * torch.tensor(A(2, 6, seed=2))).sum().backward()
    return x.grad


@case
def r2_grad_expand(torch):
    x = T(torch, 3, 1, grad=True)
    (x.expand(3, 4) * torch.tensor(A(3, 4, seed=2))).sum().backward()
    return x.grad


@case
def r2_grad_of_shared_input(torch):
    x = T(torch, 3, grad=True)
    y = x * x + x
    y.sum().backward()
    return x.grad


@case
def r2_backward_through_detach(torch):
    x = T(torch, 3, grad=True)
    y = x * x.detach()
    y.sum().backward()
    return x.grad


@case
def r2_data_zero_does_not_track(torch):
    x = T(torch, 3, grad=True)
    x.data.zero_()
    return x, x.requires_grad, x.is_leaf


@case
def r2_detach_inplace(torch):
    x = T(torch, 3, grad=True)
    y = x * 2
    y.detach_()
    return y.requires_grad, y.is_leaf


@case
def r2_grad_after_no_grad_update(torch):
    w = T(torch, 3, grad=True)
    (w * 2).sum().backward()
    with torch.no_grad():
        w -= 0.1 * w.grad
    return w, w.requires_grad, w.is_leaf, w.grad


@case
def r2_register_hook_scales(torch):
    x = T(torch, 3, grad=True)
    y = x * 2
    y.register_hook(lambda g: g * 10)
    y.sum().backward()
    return x.grad


@case
def r2_register_hook_on_leaf(torch):
    x = T(torch, 3, grad=True)
    seen = []
    x.register_hook(lambda g: seen.append(g.clone()))
    (x * 3).sum().backward()
    return seen, x.grad


@case
def r2_autograd_grad_retain(torch):
    x = T(torch, 3, grad=True)
    y = (x ** 3).sum()
    (g1,) = torch.autograd.grad(y, x, retain_graph=True)
    (g2,) = torch.autograd.grad(y, [x])
    return g1, g2, x.grad


@case
def r2_autograd_grad_returns_tuple(torch):
    x = T(torch, 3, grad=True)
    g = torch.autograd.grad((x * 2).sum(), x)
    return type(g).__name__, len(g)


# nn
def _mlp(torch):
    nn = torch.nn
    torch.manual_seed(0)
    return nn.Sequential(nn.Flatten(), nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 2))


one("r2_seq_len_index", lambda torch: (lambda net: (len(net), type(net[1]).__name__, type(net[-1]).__name__))(_mlp(torch)))
one("r2_seq_slice_type", lambda torch: (lambda s: (type(s).__name__, len(s), type(s[0]).__name__))(_mlp(torch)[1:3]))
one("r2_seq_iteration", lambda torch: [type(m).__name__ for m in _mlp(torch)])
one("r2_seq_index_out_of_range", lambda torch: _mlp(torch)[4])
one("r2_seq_named_parameters", lambda torch: [(n, tuple(p.shape)) for n, p in _mlp(torch).named_parameters()])
one("r2_seq_named_modules", lambda torch: [(n, type(m).__name__) for n, m in _mlp(torch).named_modules()])
one("r2_seq_named_children", lambda torch: [n for n, _ in _mlp(torch).named_children()])
one("r2_seq_children_count", lambda torch: len(list(_mlp(torch).children())))
one("r2_seq_state_dict_keys", lambda torch: list(_mlp(torch).state_dict().keys()))
one("r2_seq_param_count", lambda torch: sum(p.numel() for p in _mlp(torch).parameters()))
one("r2_seq_param_requires_grad", lambda torch: [p.requires_grad for p in _mlp(torch).parameters()])
one("r2_parameter_is_tensor", lambda torch: (isinstance(torch.nn.Parameter(torch.zeros(2)), torch.Tensor),
                                             torch.nn.Parameter(torch.zeros(2)).requires_grad,
                                             torch.nn.Parameter(torch.zeros(2), requires_grad=False).requires_grad))
one("r2_parameter_is_leaf", lambda torch: torch.nn.Parameter(torch.zeros(2)).is_leaf)
one("r2_parameter_arith_is_tensor", lambda torch: type(torch.nn.Parameter(torch.zeros(2)) * 2).__name__)
one("r2_linear_shapes_no_bias", lambda torch: (lambda l: (tuple(l.weight.shape), l.bias is None))(torch.nn.Linear(3, 2, bias=False)))
one("r2_linear_attrs", lambda torch: (lambda l: (l.in_features, l.out_features))(torch.nn.Linear(3, 2)))
one("r2_conv_attrs", lambda torch: (lambda c: (c.in_channels, c.out_channels, c.kernel_size, c.stride, c.padding,
                                                tuple(c.weight.shape), tuple(c.bias.shape)))(torch.nn.Conv2d(1, 6, 5, padding=2)))
one("r2_linear_repr", lambda torch: repr(torch.nn.Linear(3, 2)))
one("r2_conv_repr", lambda torch: repr(torch.nn.Conv2d(1, 6, kernel_size=5, padding=2)))
one("r2_bn_repr", lambda torch: repr(torch.nn.BatchNorm2d(6)))
one("r2_pool_repr", lambda torch: (repr(torch.nn.AvgPool2d(kernel_size=2, stride=2)), repr(torch.nn.MaxPool2d(2))))
one("r2_seq_repr", lambda torch: repr(torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.Sigmoid())))
one("r2_flatten_repr", lambda torch: repr(torch.nn.Flatten()))
one("r2_train_returns_self", lambda torch: (lambda n: (n.train() is n, n.eval() is n, n.train(False) is n))(_mlp(torch)))
one("r2_eval_flags_children", lambda torch: [m.training for m in _mlp(torch).eval().modules()])
one("r2_train_false_flags", lambda torch: [m.training for m in _mlp(torch).train(False).modules()])
one("r2_apply_returns_self", lambda torch: (lambda n: n.apply(lambda m: None) is n)(_mlp(torch)))
one("r2_zero_grad_module", lambda torch: (lambda n: (n(T(torch, 2, 4)).sum().backward(), n.zero_grad(),
                                                     [p.grad is None for p in n.parameters()])[2])(_mlp(torch)))
one("r2_module_to_float64", lambda torch: [p.dtype for p in _mlp(torch).to(torch.float64).parameters()])
one("r2_module_to_returns_self", lambda torch: (lambda n: n.to(torch.float64) is n)(_mlp(torch)))
one("r2_bn_to_double_buffers", lambda torch: [(n, b.dtype) for n, b in torch.nn.BatchNorm2d(2).double().named_buffers()])
one("r2_shared_layer_params_dedup", lambda torch: (lambda l: len(list(torch.nn.Sequential(l, l).parameters())))(
    torch.nn.Linear(2, 2)))
one("r2_shared_layer_state_dict", lambda torch: (lambda l: list(torch.nn.Sequential(l, l).state_dict().keys()))(
    torch.nn.Linear(2, 2)))
one("r2_plain_tensor_attr_not_param", lambda torch: _custom_module_params(torch))


def _custom_module_params(torch):
    class Net(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.w = torch.nn.Parameter(torch.ones(2))
            self.scale = torch.ones(2)
            self.sub = torch.nn.Linear(2, 1)

    net = Net()
    return [n for n, _ in net.named_parameters()], list(net.state_dict().keys())


@case
def r2_load_state_dict_unexpected_raises(torch):
    net = torch.nn.Linear(2, 2)
    sd = dict(net.state_dict())
    sd["extra"] = torch.zeros(1)
    net.load_state_dict(sd)


@case
def r2_load_state_dict_shape_mismatch_raises(torch):
    net = torch.nn.Linear(2, 2)
    net.load_state_dict({"weight": torch.zeros(3, 2), "bias": torch.zeros(2)})


@case
def r2_load_state_dict_non_strict_result(torch):
    net = torch.nn.Linear(2, 2)
    result = net.load_state_dict({"weight": torch.zeros(2, 2), "extra": torch.zeros(1)}, strict=False)
    return list(result.missing_keys), list(result.unexpected_keys), net.weight


@case
def r2_load_state_dict_copies(torch):
    a, b = torch.nn.Linear(2, 2), torch.nn.Linear(2, 2)
    b.load_state_dict(a.state_dict())
    with torch.no_grad():
        a.weight.fill_(3.0)
    return bool(torch.equal(a.weight, b.weight)), b.weight.requires_grad


@case
def r2_state_dict_values_detached(torch):
    net = torch.nn.Linear(2, 2)
    return [v.requires_grad for v in net.state_dict().values()]


@case
def r2_init_returns_tensor(torch):
    w = torch.empty(3, 4)
    nn = torch.nn
    return (nn.init.xavier_uniform_(w) is w, nn.init.zeros_(w) is w, nn.init.normal_(w, std=0.01) is w,
            nn.init.constant_(w, 0.5) is w, nn.init.kaiming_normal_(w) is w, nn.init.uniform_(w) is w)


@case
def r2_init_on_parameter_keeps_grad_flag(torch):
    layer = torch.nn.Linear(3, 4)
    torch.nn.init.normal_(layer.weight, std=0.01)
    torch.nn.init.zeros_(layer.bias)
    return layer.weight.requires_grad, layer.bias, layer.weight.is_leaf


@case
def r2_xavier_stats(torch):
    w = torch.empty(300, 200)
    torch.nn.init.xavier_normal_(w)
    return round(float(w.std()) / math.sqrt(2.0 / 500), 1)


@case
def r2_kaiming_uniform_bound(torch):
    w = torch.empty(100, 50)
    torch.nn.init.kaiming_uniform_(w, nonlinearity="relu")
    return round(float(w.abs().max()) / math.sqrt(6.0 / 50), 1)


@case
def r2_linear_init_stats(torch):
    layer = torch.nn.Linear(400, 300)
    bound = 1 / math.sqrt(400)
    return (round(float(layer.weight.abs().max()) / bound, 1), round(float(layer.bias.abs().max()) / bound, 1),
            round(float(layer.weight.std()) / (bound / math.sqrt(3)), 1))


@case
def r2_conv_init_stats(torch):
    conv = torch.nn.Conv2d(16, 32, 3)
    bound = 1 / math.sqrt(16 * 9)
    return (round(float(conv.weight.abs().max()) / bound, 1), round(float(conv.bias.abs().max()) / bound, 1))


one("r2_ce_loss_unbatched", lambda torch: torch.nn.CrossEntropyLoss()(T(torch, 4), torch.tensor(2)))
one("r2_ce_loss_target_2d_raises", lambda torch: torch.nn.CrossEntropyLoss()(T(torch, 3, 4), torch.tensor([[1], [2], [0]])))
one("r2_ce_loss_sum_grad", lambda torch: _ce_grad(torch, "sum"))
one("r2_ce_loss_none_grad", lambda torch: _ce_grad(torch, "none"))
one("r2_ce_loss_mean_grad", lambda torch: _ce_grad(torch, "mean"))
one("r2_ce_loss_empty_batch", lambda torch: torch.nn.functional.cross_entropy(torch.zeros(0, 3), torch.zeros(0, dtype=torch.long)))
one("r2_ce_loss_repr", lambda torch: repr(torch.nn.CrossEntropyLoss()))
one("r2_ce_loss_reduction_attr", lambda torch: torch.nn.CrossEntropyLoss(reduction="sum").reduction)
one("r2_mse_loss_sum", lambda torch: torch.nn.MSELoss(reduction="sum")(T(torch, 2, 3), T(torch, 2, 3, seed=1)))
one("r2_mse_loss_shape_mismatch_broadcast", lambda torch: torch.nn.functional.mse_loss(T(torch, 3, 1), T(torch, 3, seed=1)))
one("r2_bce_loss", lambda torch: torch.nn.BCELoss()(torch.sigmoid(T(torch, 4)), torch.tensor([0.0, 1.0, 1.0, 0.0])))
one("r2_bce_with_logits", lambda torch: torch.nn.BCEWithLogitsLoss()(T(torch, 4), torch.tensor([0.0, 1.0, 1.0, 0.0])))
one("r2_l1_loss", lambda torch: torch.nn.L1Loss()(T(torch, 4), T(torch, 4, seed=1)))
one("r2_flatten_module_default", lambda torch: torch.nn.Flatten()(T(torch, 2, 3, 4)).shape)
one("r2_flatten_module_1d_input", lambda torch: torch.nn.Flatten()(T(torch, 5)).shape)
one("r2_unflatten_module", lambda torch: torch.nn.Unflatten(1, (2, 2))(T(torch, 3, 4)).shape)
one("r2_dropout_eval_is_input", lambda torch: (lambda d, x: d.eval()(x) is x)(torch.nn.Dropout(0.5), T(torch, 3)))
one("r2_dropout_p_attr", lambda torch: torch.nn.Dropout(0.3).p)
one("r2_relu_module_int", lambda torch: torch.nn.ReLU()(torch.tensor([-1, 2])))
one("r2_sigmoid_module_grad", lambda torch: torch.nn.Sigmoid()(T(torch, 3, grad=True)))
one("r2_softmax_module_dim_attr", lambda torch: torch.nn.Softmax(dim=1).dim)
one("r2_softmax_rows_sum", lambda torch: torch.nn.Softmax(dim=1)(T(torch, 3, 4)).sum(dim=1))
one("r2_leaky_relu", lambda torch: torch.nn.LeakyReLU(0.1)(T(torch, 4)))
one("r2_gelu", lambda torch: torch.nn.GELU()(T(torch, 4)))
one("r2_F_leaky_relu", lambda torch: torch.nn.functional.leaky_relu(T(torch, 4), 0.2))
one("r2_F_gelu", lambda torch: torch.nn.functional.gelu(T(torch, 4)))
one("r2_F_relu6", lambda torch: torch.nn.functional.relu6(T(torch, 4, low=-8, high=8)))
one("r2_F_softplus", lambda torch: torch.nn.functional.softplus(T(torch, 4)))
one("r2_F_sigmoid_int", lambda torch: torch.nn.functional.sigmoid(torch.tensor([0, 1])))
one("r2_F_dropout_eval_values", lambda torch: torch.nn.functional.dropout(T(torch, 4), 0.5, training=False))
one("r2_F_normalize", lambda torch: torch.nn.functional.normalize(T(torch, 3, 4), dim=1))
one("r2_F_pad", lambda torch: torch.nn.functional.pad(T(torch, 2, 2), (1, 1)))
one("r2_F_conv2d_stride_tuple", lambda torch: torch.nn.functional.conv2d(T(torch, 1, 1, 5, 5), T(torch, 2, 1, 3, 3, seed=1),
                                                                          stride=(2, 1), padding=1))
one("r2_F_avg_pool_stride_default", lambda torch: torch.nn.functional.avg_pool2d(T(torch, 1, 1, 4, 4), 2))
one("r2_F_max_pool_tuple_kernel", lambda torch: torch.nn.functional.max_pool2d(T(torch, 1, 1, 4, 6), (2, 3)))
one("r2_adaptive_avg_pool", lambda torch: torch.nn.AdaptiveAvgPool2d((1, 1))(T(torch, 2, 3, 4, 4)).shape)
one("r2_global_avg_by_mean", lambda torch: T(torch, 2, 3, 4, 4).mean(dim=(2, 3)))


def _ce_grad(torch, reduction):
    z = T(torch, 4, 3, grad=True)
    loss = torch.nn.CrossEntropyLoss(reduction=reduction)(z, torch.tensor([0, 2, 1, 2]))
    loss.sum().backward()
    return loss, z.grad


@case
def r2_bn1d_3d_input(torch):
    bn = torch.nn.BatchNorm1d(3)
    y = bn(T(torch, 4, 3, 5))
    return y, bn.running_mean, bn.running_var


@case
def r2_bn_running_stats_one_step(torch):
    bn = torch.nn.BatchNorm2d(3, momentum=0.2)
    bn(T(torch, 4, 3, 2, 2))
    return bn.running_mean, bn.running_var, bn.num_batches_tracked


@case
def r2_bn_params(torch):
    bn = torch.nn.BatchNorm2d(3)
    return ([n for n, _ in bn.named_parameters()], [n for n, _ in bn.named_buffers()], bn.weight, bn.bias,
            bn.eps, bn.momentum)


@case
def r2_bn_no_grad_forward_updates(torch):
    bn = torch.nn.BatchNorm1d(2)
    with torch.no_grad():
        bn(T(torch, 5, 2))
    return bn.running_mean


# optim
one("r2_sgd_default_lr", lambda torch: torch.optim.SGD([torch.nn.Parameter(torch.zeros(2))]).param_groups[0]["lr"])
one("r2_adam_default_lr", lambda torch: torch.optim.Adam([torch.nn.Parameter(torch.zeros(2))]).param_groups[0]["lr"])
one("r2_optimizer_param_group_params", lambda torch: (lambda p: torch.optim.SGD([p], lr=0.1).param_groups[0]["params"][0] is p)(
    torch.nn.Parameter(torch.zeros(2))))
one("r2_optimizer_defaults_momentum", lambda torch: torch.optim.SGD([torch.nn.Parameter(torch.zeros(2))], lr=0.1).defaults["momentum"])
one("r2_sgd_non_param_tensor_raises", lambda torch: torch.optim.SGD([torch.zeros(2)], lr=0.1))
one("r2_sgd_empty_params_raises", lambda torch: torch.optim.SGD([], lr=0.1))


@case
def r2_sgd_lr_edit_takes_effect(torch):
    p = torch.nn.Parameter(torch.ones(2))
    opt = torch.optim.SGD([p], lr=0.1)
    p.grad = torch.ones(2)
    opt.step()
    for g in opt.param_groups:
        g["lr"] = 1.0
    opt.step()
    return p


@case
def r2_sgd_weight_decay_step(torch):
    p = torch.nn.Parameter(torch.tensor([1.0, -2.0]))
    opt = torch.optim.SGD([p], lr=0.1, weight_decay=0.5)
    p.grad = torch.tensor([0.5, 0.5])
    opt.step()
    return p


@case
def r2_zero_grad_default_none(torch):
    p = torch.nn.Parameter(torch.ones(2))
    opt = torch.optim.SGD([p], lr=0.1)
    p.grad = torch.ones(2)
    opt.zero_grad()
    return p.grad


@case
def r2_training_loop_lenet_like(torch):
    nn = torch.nn
    net = nn.Sequential(nn.Conv2d(1, 2, 3, padding=1), nn.BatchNorm2d(2), nn.Sigmoid(), nn.AvgPool2d(2, 2),
                        nn.Flatten(), nn.Linear(8, 3))
    setw(torch, net[0].weight, A(2, 1, 3, 3, seed=1))
    setw(torch, net[0].bias, A(2, seed=2))
    setw(torch, net[5].weight, A(3, 8, seed=3))
    setw(torch, net[5].bias, A(3, seed=4))
    opt = torch.optim.SGD(net.parameters(), lr=0.5)
    loss_fn = nn.CrossEntropyLoss()
    x, y = T(torch, 4, 1, 4, 4), torch.tensor([0, 1, 2, 1])
    losses = []
    for _ in range(3):
        opt.zero_grad()
        loss = loss_fn(net(x), y)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    net.eval()
    with torch.no_grad():
        acc = (net(x).argmax(dim=1) == y).float().mean().item()
    return losses, acc, net[1].running_mean


@case
def r2_optimizer_state_dict_roundtrip(torch):
    p = torch.nn.Parameter(torch.ones(2))
    opt = torch.optim.SGD([p], lr=0.1, momentum=0.9)
    p.grad = torch.ones(2)
    opt.step()
    sd = opt.state_dict()
    opt2 = torch.optim.SGD([p], lr=0.5, momentum=0.9)
    opt2.load_state_dict(sd)
    return opt2.param_groups[0]["lr"], sorted(sd.keys()), sd["state"][0]["momentum_buffer"]


# dtypes, devices and conversions
one("r2_float_is_float32", lambda torch: (torch.float is torch.float32, torch.long is torch.int64, torch.double is torch.float64,
                                          torch.int is torch.int32, torch.half is torch.float16))
one("r2_dtype_str", lambda torch: (str(torch.float32), repr(torch.int64)))
one("r2_tensor_dtype_str", lambda torch: str(T(torch, 2).dtype))
one("r2_dtype_itemsize", lambda torch: torch.float32.itemsize)
one("r2_element_size", lambda torch: (T(torch, 2).element_size(), torch.tensor([1]).element_size()))
one("r2_device_str", lambda torch: (str(T(torch, 2).device), T(torch, 2).device.type, T(torch, 2).is_cuda))
one("r2_device_equality", lambda torch: (torch.device("cpu") == torch.device("cpu"), T(torch, 2).device == torch.device("cpu"),
                                         str(torch.device("cpu"))))
one("r2_cpu_is_self", lambda torch: (lambda x: x.cpu() is x)(T(torch, 2)))
one("r2_to_cpu_string_is_self", lambda torch: (lambda x: x.to("cpu") is x)(T(torch, 2)))
one("r2_to_same_dtype_is_self", lambda torch: (lambda x: x.to(torch.float32) is x)(T(torch, 2)))
one("r2_to_copy_true", lambda torch: (lambda x: x.to(torch.float32, copy=True) is x)(T(torch, 2)))
one("r2_to_other_tensor", lambda torch: T(torch, 2).to(torch.tensor([1], dtype=torch.float64)).dtype)
one("r2_to_device_and_dtype_positional", lambda torch: T(torch, 2).to("cpu", torch.float64).dtype)
one("r2_type_string_arg", lambda torch: T(torch, 2).type("torch.DoubleTensor").dtype)
one("r2_type_no_arg_int", lambda torch: (torch.tensor([1]).type(), torch.tensor([True]).type(), T(torch, 1, dtype=np.float64).type()))
one("r2_long_of_negative_float", lambda torch: torch.tensor([-1.7, 2.9]).long())
one("r2_bool_of_nan", lambda torch: torch.tensor([float("nan"), 0.0]).bool())
one("r2_uint8_of_negative", lambda torch: torch.tensor([1.0, 2.0]).to(torch.uint8))
one("r2_float_of_requires_grad", lambda torch: T(torch, 2, dtype=np.float64, grad=True).float().requires_grad)
one("r2_item_types", lambda torch: (type(torch.tensor(1.5).item()).__name__, type(torch.tensor(2).item()).__name__,
                                    type(torch.tensor(True).item()).__name__,
                                    type(torch.tensor([1], dtype=torch.int32).item()).__name__))
one("r2_tolist_types", lambda torch: ([type(v).__name__ for v in torch.tensor([1.5, 2.0]).tolist()],
                                      [type(v).__name__ for v in torch.tensor([1, 2]).tolist()],
                                      [type(v).__name__ for v in torch.tensor([True]).tolist()]))
one("r2_tolist_0d", lambda torch: (torch.tensor(2.5).tolist(), type(torch.tensor(3).tolist()).__name__))
one("r2_item_float32_value", lambda torch: torch.tensor(0.1).item())
one("r2_float_of_1elem", lambda torch: (float(torch.tensor([2.5])), int(torch.tensor([[3.9]])), int(torch.tensor(-3.9))))
one("r2_float_of_many_raises", lambda torch: float(torch.tensor([1.0, 2.0])))
one("r2_numpy_dtype", lambda torch: (str(torch.tensor([1]).numpy().dtype), str(T(torch, 1).numpy().dtype),
                                     str(torch.tensor([True]).numpy().dtype)))
one("r2_is_tensor_checks", lambda torch: (torch.is_tensor(T(torch, 1)), torch.is_tensor(np.zeros(1)),
                                          isinstance(T(torch, 1), torch.Tensor)))
one("r2_is_floating_point_function", lambda torch: torch.is_floating_point(T(torch, 1)))
one("r2_python_sum_of_tensors", lambda torch: sum([T(torch, 2), T(torch, 2, seed=1)]))
one("r2_max_builtin_over_tensor", lambda torch: max(torch.tensor([1, 5, 3])))
one("r2_in_operator", lambda torch: (2 in torch.tensor([1, 2]), 5 in torch.tensor([1, 2])))
one("r2_sorted_builtin", lambda torch: [float(v) for v in sorted(torch.tensor([3.0, 1.0, 2.0]))])
one("r2_np_asarray_of_tensor", lambda torch: np.asarray(T(torch, 3)))
one("r2_np_mean_of_tensor_list", lambda torch: float(np.mean([torch.tensor(1.0).item(), torch.tensor(2.0).item()])))
one("r2_format_item", lambda torch: f"{torch.tensor(0.123456).item():.3f}")
one("r2_format_0d_tensor", lambda torch: f"{torch.tensor(0.123456):.3f}")
one("r2_hash_tensor", lambda torch: (lambda x: {x: 1}[x])(T(torch, 2)))
one("r2_bool_empty_raises", lambda torch: bool(torch.tensor([])))
one("r2_int_of_bool_tensor", lambda torch: int(torch.tensor(True)))
one("r2_get_default_dtype", lambda torch: torch.get_default_dtype())
one("r2_finfo_float32_eps", lambda torch: torch.finfo(torch.float32).eps)


# class-weighted, ignoring and smoothed class-index losses; tensor hooks
def _ce_variant(torch, fn_kwargs, reduction="mean", targets=(0, 2, -100, 1, 2), module=False):
    z = T(torch, 5, 3, grad=True)
    t = torch.tensor(list(targets))
    kwargs = dict(fn_kwargs)
    if "weight" in kwargs:
        kwargs["weight"] = torch.tensor(kwargs["weight"])
    if module:
        loss = torch.nn.CrossEntropyLoss(reduction=reduction, **kwargs)(z, t)
    else:
        loss = torch.nn.functional.cross_entropy(z, t, reduction=reduction, **kwargs)
    loss.sum().backward()
    return loss, z.grad


for _red in ("mean", "sum", "none"):
    one(f"r2_ce_ignore_index_{_red}", lambda torch, r=_red: _ce_variant(torch, {}, r))
    one(f"r2_ce_weight_{_red}", lambda torch, r=_red: _ce_variant(torch, {"weight": [0.2, 1.0, 3.0]}, r, (0, 2, 1, 1, 2)))
    one(f"r2_ce_weight_ignore_{_red}", lambda torch, r=_red: _ce_variant(torch, {"weight": [0.2, 1.0, 3.0],
                                                                                 "ignore_index": 1}, r))
    one(f"r2_ce_smoothing_{_red}", lambda torch, r=_red: _ce_variant(torch, {"label_smoothing": 0.2}, r))
    one(f"r2_ce_smoothing_weight_ignore_{_red}", lambda torch, r=_red: _ce_variant(
        torch, {"label_smoothing": 0.1, "weight": [0.5, 2.0, 1.0]}, r))
one("r2_ce_all_ignored_mean", lambda torch: _ce_variant(torch, {}, "mean", (-100,) * 5))
one("r2_ce_module_weight_ignore", lambda torch: _ce_variant(torch, {"weight": [0.2, 1.0, 3.0], "ignore_index": 2},
                                                            module=True))
one("r2_ce_module_smoothing", lambda torch: _ce_variant(torch, {"label_smoothing": 0.3}, "sum", module=True))
one("r2_ce_module_weight_state_dict", lambda torch: list(torch.nn.CrossEntropyLoss(weight=torch.ones(3)).state_dict()))
one("r2_ce_module_attrs", lambda torch: (lambda l: (l.ignore_index, l.label_smoothing, l.weight, l.reduction))(
    torch.nn.CrossEntropyLoss()))
one("r2_ce_bad_target_with_ignore", lambda torch: torch.nn.functional.cross_entropy(T(torch, 2, 3), torch.tensor([-1, 1])))
one("r2_ce_weight_wrong_size", lambda torch: torch.nn.functional.cross_entropy(T(torch, 2, 3), torch.tensor([0, 1]),
                                                                               weight=torch.ones(4)))


@case
def r2_nll_weight_ignore(torch):
    z = T(torch, 4, 3, grad=True)
    logp = torch.nn.functional.log_softmax(z, dim=1)
    loss = torch.nn.NLLLoss(weight=torch.tensor([1.0, 0.5, 2.0]), ignore_index=0)(logp, torch.tensor([0, 1, 2, 2]))
    loss.backward()
    return loss, z.grad


@case
def r2_nll_ignore_none(torch):
    logp = T(torch, 4, 3, grad=True)
    loss = torch.nn.functional.nll_loss(logp, torch.tensor([1, -100, 2, 0]), reduction="none")
    loss.sum().backward()
    return loss, logp.grad


@case
def r2_hook_remove(torch):
    x = T(torch, 3, grad=True)
    y = x * 2
    handle = y.register_hook(lambda g: g * 100)
    handle.remove()
    y.sum().backward()
    return x.grad


@case
def r2_hook_on_non_grad_raises(torch):
    return torch.zeros(2).register_hook(lambda g: g)


@case
def r2_hook_two_in_order(torch):
    x = T(torch, 3, grad=True)
    x.register_hook(lambda g: g + 1)
    x.register_hook(lambda g: g * 3)
    (x * 2).sum().backward()
    return x.grad


@case
def r2_hook_and_retain_grad(torch):
    x = T(torch, 3, grad=True)
    y = x * 2
    y.retain_grad()
    y.register_hook(lambda g: g * 5)
    (y * y).sum().backward()
    return y.grad, x.grad


@case
def r2_hook_with_autograd_grad(torch):
    x = T(torch, 3, grad=True)
    y = x ** 2
    y.register_hook(lambda g: g * 0.5)
    return torch.autograd.grad(y.sum(), x)


@case
def r2_hook_gradient_clipping_idiom(torch):
    layer = torch.nn.Linear(3, 2)
    setw(torch, layer.weight, A(2, 3, seed=1))
    setw(torch, layer.bias, A(2, seed=2))
    for p in layer.parameters():
        p.register_hook(lambda g: g.clamp(-0.1, 0.1))
    (layer(T(torch, 4, 3)) ** 2).sum().backward()
    return layer.weight.grad, layer.bias.grad


@case
def r2_hook_sees_summed_grad(torch):
    x = T(torch, 3, grad=True)
    y = x * 2
    seen = []
    y.register_hook(lambda g: seen.append(g.clone()))
    (y * 3 + y).sum().backward()
    return seen


@case
def r2_hook_create_graph(torch):
    x = T(torch, 3, grad=True)
    y = x ** 3
    y.register_hook(lambda g: g * x)
    (g,) = torch.autograd.grad(y.sum(), x, create_graph=True)
    g.sum().backward()
    return g, x.grad


# round three: the D2L book's own idioms and an ordinary training/evaluation loop
one("r3_cumsum_axis", lambda torch: torch.arange(6.0).reshape(2, 3).cumsum(axis=0))
one("r3_sum_axis_list", lambda torch: torch.arange(24.0).reshape(2, 3, 4).sum(axis=[0, 1]))
one("r3_mean_axis_keepdims", lambda torch: torch.arange(6.0).reshape(2, 3).mean(axis=1, keepdims=True))
one("r3_normalise_rows", lambda torch: (lambda A: A / A.sum(axis=1, keepdim=True))(torch.arange(6.0).reshape(2, 3) + 1))
one("r3_range_index", lambda torch: (lambda y_hat, y: -torch.log(y_hat[range(len(y_hat)), y]))(
    torch.tensor([[0.1, 0.3, 0.6], [0.3, 0.2, 0.5]]), torch.tensor([0, 2])))
one("r3_range_index_grad", lambda torch: _range_index_grad(torch))
one("r3_cat_dims", lambda torch: (lambda X, Y: (torch.cat((X, Y), dim=0).shape, torch.cat((X, Y), dim=1).shape))(
    torch.arange(12, dtype=torch.float32).reshape((3, 4)), torch.tensor([[2.0, 1, 4, 3], [1, 2, 3, 4], [4, 3, 2, 1]])))
one("r3_X_eq_Y", lambda torch: torch.arange(4.0) == torch.tensor([0.0, 2, 2, 3]))
one("r3_broadcast_column_row", lambda torch: torch.arange(3).reshape((3, 1)) + torch.arange(2).reshape((1, 2)))
one("r3_id_changes_out_of_place", lambda torch: (lambda X, Y: (lambda before: id(Y + X) == before)(id(Y)))(
    torch.ones(2), torch.ones(2)))
one("r3_slice_assign_keeps_id", lambda torch: (lambda Z, X: (lambda before: (Z.__setitem__(slice(None), X + X), id(Z) == before,
                                                                            Z)[1:])(id(Z)))(torch.zeros(3), torch.ones(3)))
one("r3_iadd_keeps_id", lambda torch: (lambda X, Y: (lambda before: (X.__iadd__(Y), id(X) == before)[1])(id(X)))(
    torch.ones(2), torch.ones(2)))
one("r3_numpy_roundtrip_types", lambda torch: (lambda A: (type(A).__name__, type(torch.tensor(A)).__name__))(
    torch.ones(2).numpy()))
one("r3_scalar_conversions", lambda torch: (lambda a: (a.item(), float(a), int(a)))(torch.tensor([3.5])))
one("r3_norms", lambda torch: (lambda u: (torch.norm(u), torch.abs(u).sum(), torch.norm(torch.ones((4, 9)))))(
    torch.tensor([3.0, -4.0])))
one("r3_dot_and_sum", lambda torch: (lambda x, y: (torch.dot(x, y), torch.sum(x * y)))(torch.arange(4.0), torch.ones(4)))
one("r3_matmul_vector", lambda torch: torch.matmul(torch.arange(6.0).reshape(2, 3), torch.tensor([1.0, 0.0, -1.0])))
one("r3_synthetic_data", lambda torch: _synthetic_data(torch))
one("r3_normal_mean_std_shape", lambda torch: (torch.normal(0, 1, (3, 2)).shape, torch.normal(0, 0.01, torch.Size([4])).shape,
                                                torch.normal(0, 1, (3, 2)).dtype))
one("r3_batch_indices", lambda torch: (lambda f: f[torch.tensor(list(range(4))[1:3])])(torch.arange(8.0).reshape(4, 2)))
one("r3_accuracy_cmp", lambda torch: (lambda y_hat, y: float((y_hat.argmax(axis=1).type(y.dtype) == y).type(y.dtype).sum()))(
    torch.tensor([[0.1, 0.3, 0.6], [0.3, 0.2, 0.5]]), torch.tensor([0, 2])))
one("r3_softmax_scratch", lambda torch: (lambda X: (lambda e: e / e.sum(1, keepdim=True))(torch.exp(X)))(T(torch, 2, 5)))
one("r3_grad_of_dot", lambda torch: _grad_of(torch, lambda x: 2 * torch.dot(x, x)))
one("r3_grad_after_zero", lambda torch: _grad_twice(torch))
one("r3_grad_of_sum_of_square_vector", lambda torch: _grad_of(torch, lambda x: (x * x).sum()))
one("r3_detach_u", lambda torch: _detach_u(torch))
one("r3_control_flow_grad", lambda torch: _control_flow(torch))
one("r3_randn_size_kw_scalar", lambda torch: torch.randn(size=(), requires_grad=True).shape)
one("r3_dropout_scratch", lambda torch: (lambda X: (lambda mask: (mask * X / (1.0 - 0.5)).dtype)(
    (torch.rand(X.shape) > 0.5).float()))(torch.arange(16, dtype=torch.float32).reshape((2, 8))))
one("r3_pool_scratch", lambda torch: _pool2d(torch))
one("r3_corr2d_scratch", lambda torch: _corr2d(torch))
one("r3_corr2d_kernel_grad_raises", lambda torch: _corr2d_grad(torch))
one("r3_chapter_moving_average", lambda torch: (lambda mm, mean: (0.9 * mm + (1.0 - 0.9) * mean).data)(
    torch.zeros(1, 3, 1, 1), T(torch, 1, 3, 1, 1)))
one("r3_weight_data_edits", lambda torch: _weight_data_edits(torch))
one("r3_apply_init_type_check", lambda torch: _apply_init(torch))
one("r3_shape_after_layers", lambda torch: _shape_table(torch))
one("r3_gamma_beta_reshape", lambda torch: (lambda bn: (bn.weight.reshape((-1,)), bn.bias.reshape((-1,))))(
    torch.nn.BatchNorm2d(3)))
one("r3_size_slicing", lambda torch: (T(torch, 2, 3, 4).size()[1:], T(torch, 2, 3, 4).size(0)))
one("r3_eval_loop", lambda torch: _eval_loop(torch))
one("r3_max_data_predicted", lambda torch: (lambda out: torch.max(out.data, 1)[1])(T(torch, 4, 3, grad=True)))
one("r3_pred_eq_view_as", lambda torch: (lambda out, target: (lambda pred: pred.eq(target.view_as(pred)).sum().item())(
    out.argmax(dim=1, keepdim=True)))(T(torch, 6, 3), torch.tensor([0, 1, 2, 0, 1, 2])))
one("r3_stack_mean_losses", lambda torch: torch.stack([torch.tensor(1.0), torch.tensor(2.0)]).mean())
one("r3_one_hot_float", lambda torch: torch.nn.functional.one_hot(torch.tensor([0, 2]), 3).float())
one("r3_sigmoid_threshold", lambda torch: (torch.sigmoid(T(torch, 5)) > 0.5).float())
one("r3_device_pick", lambda torch: str(torch.device("cuda" if torch.cuda.is_available() else "cpu")))
one("r3_clone_detach", lambda torch: (lambda x: (lambda y: (y.requires_grad, y.is_leaf))(x.clone().detach()))(
    T(torch, 2, grad=True)))
one("r3_clip_grad_norm", lambda torch: torch.nn.utils.clip_grad_norm_)
one("r3_pow_inplace", lambda torch: torch.tensor([2.0, 3.0]).pow_(2))
one("r3_sqrt_inplace", lambda torch: torch.tensor([4.0, 9.0]).sqrt_())
one("r3_exp_neg", lambda torch: torch.exp(-T(torch, 3)))
one("r3_masked_select", lambda torch: T(torch, 4).masked_select(T(torch, 4) > 0))
one("r3_max_keepdim_index", lambda torch: T(torch, 3, 4).max(1, keepdim=True)[1])
one("r3_train_loop_running_loss", lambda torch: _running_loss(torch))
one("r3_item_accumulate", lambda torch: (lambda l: (type(l.sum().item()).__name__, l.numel()))(T(torch, 4)))
one("r3_loss_none_sum_mean", lambda torch: (lambda l: (l.mean().item() * 3, float(l.sum())))(
    torch.nn.CrossEntropyLoss(reduction="none")(T(torch, 3, 4), torch.tensor([0, 1, 3]))))
one("r3_tensor_long_list", lambda torch: torch.tensor([1.0, 2.0], dtype=torch.long))
one("r3_ce_unbatched_1d", lambda torch: torch.nn.functional.cross_entropy(T(torch, 4, grad=True), torch.tensor(1)))
one("r3_ce_unbatched_none", lambda torch: torch.nn.functional.cross_entropy(T(torch, 4), torch.tensor(1), reduction="none"))
one("r3_linear_unbatched", lambda torch: _linear_unbatched(torch))


def _range_index_grad(torch):
    y_hat = T(torch, 3, 4, low=0.1, high=1.0, grad=True)
    (-torch.log(y_hat[range(3), torch.tensor([0, 3, 1])])).mean().backward()
    return y_hat.grad


def _synthetic_data(torch):
    torch.manual_seed(0)
    w, b = torch.tensor([2, -3.4]), 4.2
    X = torch.normal(0, 1, (100, len(w)))
    y = torch.matmul(X, w) + b
    y += torch.normal(0, 0.01, y.shape)
    return X.shape, y.reshape((-1, 1)).shape, X.dtype, y.dtype


def _grad_of(torch, f):
    x = torch.arange(4.0)
    x.requires_grad_(True)
    f(x).backward()
    return x.grad


def _grad_twice(torch):
    x = torch.arange(4.0, requires_grad=True)
    (2 * torch.dot(x, x)).backward()
    x.grad.zero_()
    x.sum().backward()
    return x.grad


def _detach_u(torch):
    x = torch.arange(4.0, requires_grad=True)
    y = x * x
    u = y.detach()
    z = u * x
    z.sum().backward()
    first = x.grad == u
    x.grad.zero_()
    y.sum().backward()
    return first, x.grad == 2 * x


def _control_flow(torch):
    def f(a):
        b = a * 2
        while b.norm() < 1000:
            b = b * 2
        c = b if b.sum() > 0 else 100 * b
        return c

    a = torch.tensor(0.3, requires_grad=True)
    d = f(a)
    d.backward()
    return a.grad == d / a


def _pool2d(torch):
    X = torch.tensor([[0.0, 1.0, 2.0], [3.0, 4.0, 5.0], [6.0, 7.0, 8.0]])
    Y = torch.zeros((2, 2))
    for i in range(2):
        for j in range(2):
            Y[i, j] = X[i: i + 2, j: j + 2].max()
    return Y


def _corr2d(torch):
    X, K = torch.arange(9.0).reshape(3, 3), torch.tensor([[0.0, 1.0], [2.0, 3.0]])
    Y = torch.zeros((2, 2))
    for i in range(2):
        for j in range(2):
            Y[i, j] = (X[i:i + 2, j:j + 2] * K).sum()
    return Y


def _corr2d_grad(torch):
    X, K = torch.arange(9.0).reshape(3, 3), torch.tensor([[0.0, 1.0], [2.0, 3.0]], requires_grad=True)
    Y = torch.zeros((2, 2))
    for i in range(2):
        for j in range(2):
            Y[i, j] = (X[i:i + 2, j:j + 2] * K).sum()
    Y.sum().backward()
    return K.grad


def _weight_data_edits(torch):
    net = torch.nn.Sequential(torch.nn.Linear(2, 1))
    net[0].weight.data.normal_(0, 0.01)
    net[0].bias.data.fill_(0)
    net[0].weight.data[:] += 1
    return net[0].bias, net[0].weight.requires_grad, bool((net[0].weight > 0.9).all())


def _apply_init(torch):
    def init_weights(m):
        if type(m) == torch.nn.Linear or type(m) == torch.nn.Conv2d:
            torch.nn.init.constant_(m.weight, 0.5)

    net = torch.nn.Sequential(torch.nn.Conv2d(1, 2, 3), torch.nn.Flatten(), torch.nn.Linear(2, 2))
    net.apply(init_weights)
    return net[0].weight.sum(), net[2].weight.sum()


def _shape_table(torch):
    nn = torch.nn
    net = nn.Sequential(nn.Conv2d(1, 6, kernel_size=5), nn.BatchNorm2d(6), nn.Sigmoid(), nn.AvgPool2d(kernel_size=2, stride=2),
                        nn.Flatten(), nn.Linear(6 * 12 * 12, 10))
    X = torch.rand(size=(1, 1, 28, 28), dtype=torch.float32)
    net.eval()
    rows = []
    for layer in net:
        X = layer(X)
        rows.append((layer.__class__.__name__, tuple(X.shape)))
    return rows


def _eval_loop(torch):
    net = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.ReLU(), torch.nn.Linear(4, 2))
    for i, p in enumerate(net.parameters()):
        setw(torch, p, A(*p.shape, seed=10 + i))
    net.eval()
    correct = total = 0
    with torch.no_grad():
        for seed in range(3):
            inputs, labels = T(torch, 5, 3, seed=seed), torch.tensor([0, 1, 1, 0, 1])
            outputs = net(inputs)
            _, predicted = torch.max(outputs.data, 1)
            total += labels.size(0)
            correct += (predicted == labels).sum().item()
    return correct, total, type(correct).__name__


def _running_loss(torch):
    net = torch.nn.Linear(3, 2)
    setw(torch, net.weight, A(2, 3, seed=1))
    setw(torch, net.bias, A(2, seed=2))
    optimizer = torch.optim.SGD(net.parameters(), lr=0.1, momentum=0.9)
    criterion = torch.nn.CrossEntropyLoss()
    running = 0.0
    for seed in range(4):
        inputs, labels = T(torch, 6, 3, seed=seed), torch.tensor([0, 1, 1, 0, 1, 0])
        optimizer.zero_grad()
        loss = criterion(net(inputs), labels)
        loss.backward()
        optimizer.step()
        running += loss.item() * inputs.size(0)
    return running, net.weight


def _linear_unbatched(torch):
    layer = torch.nn.Linear(3, 2)
    setw(torch, layer.weight, A(2, 3, seed=1))
    setw(torch, layer.bias, A(2, seed=2))
    return layer(T(torch, 3))


# writing tensors that require grad into others (PyTorch's CopySlices)
@case
def r4_rows_written_then_summed(torch):
    w = T(torch, 3, grad=True)
    Y = torch.zeros(2, 3)
    Y[0] = w * 2
    Y[1] = w ** 2
    (Y * torch.tensor(A(2, 3, seed=5))).sum().backward()
    return Y, Y.requires_grad, Y.is_leaf, w.grad


@case
def r4_overwrite_part_of_nonleaf(torch):
    w = T(torch, 4, grad=True)
    x = w * 2
    x[1:3] = 0.0
    (x * torch.tensor(A(4, seed=6))).sum().backward()
    return x, w.grad


@case
def r4_mask_write(torch):
    w = T(torch, 5, grad=True)
    y = torch.zeros(5)
    y[w.detach() > 0] = w[w.detach() > 0] * 3
    y.sum().backward()
    return y, w.grad


@case
def r4_float64_value_into_float32(torch):
    w = T(torch, 2, dtype=np.float64, grad=True)
    y = torch.zeros(3)
    y[:2] = w * 2
    (y * torch.arange(3.0)).sum().backward()
    return y, w.grad


@case
def r4_broadcast_value(torch):
    w = T(torch, 3, grad=True)
    y = torch.zeros(4, 3)
    y[1:3] = w
    (y * torch.tensor(A(4, 3, seed=7))).sum().backward()
    return w.grad


@case
def r4_repeated_index_write(torch):
    w = T(torch, 3, grad=True)
    y = torch.zeros(4)
    y[[0, 2, 3]] = w
    (y * torch.arange(4.0)).sum().backward()
    return y, w.grad


@case
def r4_write_then_exp_output_raises(torch):
    w = T(torch, 3, grad=True)
    y = w.exp()
    y[0] = 1.0
    y.sum().backward()
    return w.grad


@case
def r4_view_before_write(torch):
    w = T(torch, 3, grad=True)
    Y = torch.zeros(2, 3)
    row = Y[1]
    Y[1] = w
    (row * 2).sum().backward()
    return w.grad


@case
def r4_write_into_view(torch):
    w = T(torch, 3, grad=True)
    Y = torch.zeros(2, 3)
    Y[1][0] = w[0]
    Y.sum().backward()
    return w.grad


@case
def r4_double_backward_through_write(torch):
    w = T(torch, 3, grad=True)
    y = torch.zeros(4)
    y[1:] = w ** 3
    (g,) = torch.autograd.grad(y.sum(), w, create_graph=True)
    g.sum().backward()
    return g, w.grad


@case
def r4_leaf_requiring_grad_write_raises(torch):
    w = T(torch, 3, grad=True)
    w[0] = 1.0


@case
def r4_leaf_requiring_grad_write_no_grad(torch):
    w = T(torch, 3, grad=True)
    with torch.no_grad():
        w[0] = 1.0
    return w, w.is_leaf, w.requires_grad


@case
def r4_write_after_use_elsewhere(torch):
    w = T(torch, 3, grad=True)
    y = torch.zeros(3)
    z = y + 1
    y[0] = w[0]
    (z.sum() + y.sum()).backward()
    return w.grad, z


@case
def r4_copy_into_fresh(torch):
    w = T(torch, 3, grad=True)
    y = torch.zeros(3)
    y.copy_(w * 2)
    y.sum().backward()
    return w.grad


# round five: modules, optimisers, images and odds and ends of training scripts
one("r5_factory_requires_grad_under_no_grad", lambda torch: _no_grad_call(torch, lambda: torch.ones(2, requires_grad=True)).requires_grad)
one("r5_tensor_requires_grad_under_no_grad", lambda torch: _no_grad_call(torch, lambda: torch.tensor([1.0], requires_grad=True)).is_leaf)
one("r5_image_scale", lambda torch: torch.tensor([[0, 128, 255]], dtype=torch.uint8).float() / 255)
one("r5_uint8_div", lambda torch: torch.tensor([0, 128, 255], dtype=torch.uint8) / 255)
one("r5_uint8_sub_wraps", lambda torch: torch.tensor([0, 1], dtype=torch.uint8) - 2)
one("r5_normalize_channels", lambda torch: (T(torch, 2, 3, 2, 2) - torch.tensor([0.5, 0.4, 0.3]).view(1, 3, 1, 1))
    / torch.tensor([0.2, 0.2, 0.2]).view(1, 3, 1, 1))
one("r5_int_lt_float", lambda torch: torch.tensor([1, 2, 3]) < 2.5)
one("r5_int_eq_bool", lambda torch: torch.tensor([1, 0]) == torch.tensor([True, False]))
one("r5_type_float32", lambda torch: torch.tensor([1, 2]).type(torch.float32))
one("r5_where_0d_tensors", lambda torch: torch.where(torch.tensor([True, False]), torch.tensor(1.0), torch.tensor(0)))
one("r5_stack_0d_int", lambda torch: torch.stack([torch.tensor(1), torch.tensor(2)]))
one("r5_matmul_float64_float32_raises", lambda torch: T(torch, 2, 2, dtype=np.float64) @ T(torch, 2, 2))
one("r5_matmul_int", lambda torch: torch.tensor([[1, 2]]) @ torch.tensor([[3], [4]]))
one("r5_max_of_two_ints_float", lambda torch: torch.max(torch.tensor([1, 5]), torch.tensor([2.5, 0.5])))
one("r5_mean_float16", lambda torch: torch.ones(4, dtype=torch.float16).mean())
one("r5_sum_keepdim_0d", lambda torch: torch.tensor(2.0).sum(0, keepdim=True))
one("r5_argmax_keepdim_no_dim", lambda torch: T(torch, 2, 3).argmax(keepdim=True))
one("r5_softmax_int_raises", lambda torch: torch.softmax(torch.tensor([1, 2]), dim=0))
one("r5_log_softmax_dim_neg", lambda torch: torch.log_softmax(T(torch, 2, 3), -1))
one("r5_seq_nested_repr", lambda torch: repr(torch.nn.Sequential(torch.nn.Sequential(torch.nn.Linear(2, 2)), torch.nn.ReLU())))
one("r5_seq_del_item", lambda torch: (lambda s: (s.__delitem__(0), len(s), type(s[0]).__name__)[1:])(
    torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.ReLU())))
one("r5_seq_setitem", lambda torch: (lambda s: (s.__setitem__(1, torch.nn.Tanh()), type(s[1]).__name__)[1])(
    torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.ReLU())))
one("r5_seq_insert_extend", lambda torch: (lambda s: (s.insert(0, torch.nn.Tanh()), s.extend([torch.nn.ReLU()]),
                                                     [type(m).__name__ for m in s])[2])(torch.nn.Sequential(torch.nn.Linear(2, 2))))
one("r5_module_getattr_missing", lambda torch: torch.nn.Linear(2, 2).nonexistent)
one("r5_module_delattr_param", lambda torch: (lambda l: (delattr(l, "bias"), [n for n, _ in l.named_parameters()])[1])(
    torch.nn.Linear(2, 2)))
one("r5_module_set_param_none", lambda torch: (lambda l: (setattr(l, "bias", None), l.bias, [n for n, _ in l.named_parameters()])[1:])(
    torch.nn.Linear(2, 2)))
one("r5_module_assign_tensor_to_param_raises", lambda torch: setattr(torch.nn.Linear(2, 2), "weight", torch.zeros(2, 2)))
one("r5_module_assign_parameter", lambda torch: (lambda l: (setattr(l, "weight", torch.nn.Parameter(torch.zeros(2, 2))),
                                                           l.weight.sum())[1])(torch.nn.Linear(2, 2)))
one("r5_named_buffers_bn", lambda torch: [n for n, _ in torch.nn.Sequential(torch.nn.BatchNorm1d(2)).named_buffers()])
one("r5_buffers_count", lambda torch: len(list(torch.nn.BatchNorm2d(3).buffers())))
one("r5_register_buffer_persistent_false", lambda torch: _buffer_non_persistent(torch))
one("r5_requires_grad_false_module_params", lambda torch: [p.requires_grad for p in torch.nn.Linear(2, 2).requires_grad_(False).parameters()])
one("r5_freeze_then_count", lambda torch: _freeze_count(torch))
one("r5_linear_weight_t", lambda torch: torch.nn.Linear(3, 2).weight.t().shape)
one("r5_linear_in_out_features_int", lambda torch: torch.nn.Linear(3.0, 2))
one("r5_conv_tuple_kernel", lambda torch: torch.nn.Conv2d(1, 2, (3, 5), padding=(1, 2)).weight.shape)
one("r5_conv_stride2_shape", lambda torch: torch.nn.Conv2d(1, 2, 3, stride=2, padding=1)(torch.zeros(1, 1, 7, 7)).shape)
one("r5_maxpool_stride1", lambda torch: torch.nn.MaxPool2d(3, stride=1, padding=1)(T(torch, 1, 1, 4, 4)))
one("r5_avgpool_tuple", lambda torch: torch.nn.AvgPool2d((2, 1))(T(torch, 1, 1, 4, 4)))
one("r5_bn_momentum_attr_change", lambda torch: _bn_momentum_change(torch))
one("r5_bn_eps_effect", lambda torch: torch.nn.BatchNorm1d(2, eps=0.5)(T(torch, 4, 2)))
one("r5_bn_train_stats_unbiased", lambda torch: (lambda bn: (bn(T(torch, 3, 2)), bn.running_var)[1])(torch.nn.BatchNorm1d(2, momentum=1.0)))
one("r5_bn_input_channels_mismatch", lambda torch: torch.nn.BatchNorm2d(3)(torch.zeros(2, 4, 2, 2)))
one("r5_bn_reset_running_stats", lambda torch: (lambda bn: (bn(T(torch, 4, 2)), bn.reset_running_stats(), bn.running_mean,
                                                           bn.num_batches_tracked)[2:])(torch.nn.BatchNorm1d(2)))
one("r5_adam_step_values", lambda torch: _adam_two_steps(torch))
one("r5_adam_weight_decay_l2", lambda torch: _adam_two_steps(torch, weight_decay=0.1))
one("r5_sgd_momentum_first_step", lambda torch: _sgd_momentum(torch))
one("r5_param_groups_two_lrs", lambda torch: _two_groups(torch))
one("r5_optimizer_zero_grad_after_no_backward", lambda torch: (lambda p: (torch.optim.SGD([p], lr=1).zero_grad(), p.grad)[1])(
    torch.nn.Parameter(torch.ones(1))))
one("r5_optimizer_repr_type", lambda torch: type(torch.optim.SGD([torch.nn.Parameter(torch.ones(1))], lr=1)).__name__)
one("r5_optimizer_state_empty", lambda torch: len(torch.optim.SGD([torch.nn.Parameter(torch.ones(1))], lr=1).state))
one("r5_lr_negative_raises", lambda torch: torch.optim.Adam([torch.nn.Parameter(torch.ones(1))], lr=-1))
one("r5_adam_betas_bad", lambda torch: torch.optim.Adam([torch.nn.Parameter(torch.ones(1))], betas=(1.0, 0.999)))
one("r5_state_dict_save_load_values", lambda torch: _state_copy(torch))
one("r5_grad_accum_over_microbatches", lambda torch: _microbatches(torch))
one("r5_detach_numpy_idiom", lambda torch: T(torch, 3, grad=True).detach().cpu().numpy())
one("r5_tolist_requires_grad", lambda torch: T(torch, 2, grad=True).tolist())
one("r5_item_requires_grad", lambda torch: (T(torch, 2, grad=True) * 2).sum().item())
one("r5_bool_of_comparison", lambda torch: bool(torch.tensor(2.0) > 1))
one("r5_if_on_tensor", lambda torch: "yes" if torch.tensor([1.0]) else "no")
one("r5_chained_compare_raises", lambda torch: 0 < T(torch, 3) < 1)
one("r5_tensor_in_list_index", lambda torch: [10, 20, 30][torch.tensor(1)])
one("r5_range_with_tensor", lambda torch: list(range(torch.tensor(3))))
one("r5_numpy_index_with_tensor", lambda torch: np.arange(5)[torch.tensor([1, 3]).numpy()].tolist())
one("r5_mean_of_list_floats", lambda torch: sum([torch.tensor(1.5).item(), 2.5]) / 2)
one("r5_round_float", lambda torch: round(torch.tensor(2.567).item(), 2))
one("r5_len_of_dataset_like", lambda torch: len(torch.zeros(7, 3)))


def _buffer_non_persistent(torch):
    class M(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.register_buffer("a", torch.zeros(1))
            self.register_buffer("b", torch.ones(1), persistent=False)

    m = M()
    return list(m.state_dict()), [n for n, _ in m.named_buffers()]


def _freeze_count(torch):
    net = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Linear(4, 2))
    for p in net[0].parameters():
        p.requires_grad = False
    return sum(p.numel() for p in net.parameters() if p.requires_grad)


def _bn_momentum_change(torch):
    bn = torch.nn.BatchNorm1d(2)
    bn.momentum = 0.5
    bn(T(torch, 4, 2))
    return bn.running_mean


def _adam_two_steps(torch, **kw):
    p = torch.nn.Parameter(torch.tensor(A(3, seed=1)))
    opt = torch.optim.Adam([p], lr=0.1, **kw)
    for seed in (2, 3):
        opt.zero_grad()
        (p * torch.tensor(A(3, seed=seed))).sum().backward()
        opt.step()
    return p


def _sgd_momentum(torch):
    p = torch.nn.Parameter(torch.tensor([1.0, 2.0]))
    opt = torch.optim.SGD([p], lr=0.1, momentum=0.9, dampening=0.5)
    for _ in range(3):
        p.grad = torch.tensor([1.0, -1.0])
        opt.step()
    return p


def _two_groups(torch):
    a, b = torch.nn.Parameter(torch.ones(2)), torch.nn.Parameter(torch.ones(2))
    opt = torch.optim.SGD([{"params": [a]}, {"params": [b], "lr": 0.5}], lr=0.1, momentum=0.0)
    a.grad, b.grad = torch.ones(2), torch.ones(2)
    opt.step()
    return a, b, [g["lr"] for g in opt.param_groups]


def _state_copy(torch):
    src, dst = torch.nn.Linear(2, 2), torch.nn.Linear(2, 2)
    setw(torch, src.weight, A(2, 2, seed=4))
    sd = {k: v.clone() for k, v in src.state_dict().items()}
    dst.load_state_dict(sd)
    return dst.weight, dst.bias.requires_grad


def _microbatches(torch):
    layer = torch.nn.Linear(3, 1)
    setw(torch, layer.weight, A(1, 3, seed=1))
    setw(torch, layer.bias, A(1, seed=2))
    opt = torch.optim.SGD(layer.parameters(), lr=0.1)
    opt.zero_grad()
    for seed in range(3):
        loss = (layer(T(torch, 4, 3, seed=seed)) ** 2).mean() / 3
        loss.backward()
    grads = (layer.weight.grad.clone(), layer.bias.grad.clone())
    opt.step()
    return grads, layer.weight


@case
def r6_detach_inplace_nonleaf(torch):
    y = T(torch, 3, grad=True) * 2
    return y.detach_() is y, y.requires_grad, y.is_leaf, y.grad_fn is None


one("r6_detach_inplace_view_raises", lambda torch: (T(torch, 3, grad=True) * 2)[1:].detach_())
one("r6_detach_inplace_leaf", lambda torch: T(torch, 3, grad=True).detach_().requires_grad)
one("r6_zeros_like_requires_grad_kw", lambda torch: torch.zeros_like(T(torch, 2), requires_grad=True).is_leaf)
one("r6_data_assign_shape_change", lambda torch: (lambda x: (setattr(x, "data", torch.zeros(4)), x.shape, x.requires_grad)[1:])(
    T(torch, 3, grad=True)))
one("r6_grad_shape_broadcast_bias", lambda torch: _bias_grad_shape(torch))
one("r6_autograd_backward_raises", lambda torch: torch.autograd.backward)
one("r6_grad_of_int_pow_float", lambda torch: _grad_of(torch, lambda x: (x ** 2.5).sum()))
one("r6_inplace_on_detached_changes_original", lambda torch: (lambda x: (x.detach().zero_(), x)[1])(T(torch, 3, grad=True)))


def _bias_grad_shape(torch):
    b = torch.zeros(1, 3, requires_grad=True)
    (T(torch, 4, 3) + b).sum().backward()
    return b.grad


# =========================================================================================
# Beyond the chapter: gradient clipping, autograd.backward, activations, losses, rearranging ops,
# padding, adaptive pooling, in-place math, finfo/iinfo


def _value_and_grad(torch, f, *shape, seed=0, **kw):
    """f(x) and d sum(f(x) * u)/dx for a fixed x and a fixed upstream u."""
    x = T(torch, *shape, seed=seed, grad=True, **kw)
    y = f(x)
    (y * torch.tensor(A(*y.shape, seed=seed + 50))).sum().backward()
    return y, x.grad


def _clipped(torch, max_norm, norm_type=2.0, grads=((3.0, -4.0, 0.5), (0.0, 12.0), None), **kw):
    params = []
    for g in grads:
        p = torch.zeros(2 if g is None else len(g), requires_grad=True)
        if g is not None:
            p.grad = torch.tensor(g)
        params.append(p)
    total = torch.nn.utils.clip_grad_norm_(params, max_norm, norm_type, **kw)
    return total, [p.grad for p in params]


def _clip_value(torch):
    p = torch.zeros(3, requires_grad=True)
    p.grad = torch.tensor([3.0, -4.0, 0.5])
    return torch.nn.utils.clip_grad_value_([p], 1.0), p.grad


def _backward_several(torch, **kw):
    x, y = T(torch, 3, grad=True), T(torch, 3, seed=1, grad=True)
    torch.autograd.backward([(x * y).sum(), (x * x).sum()], **kw)
    return x.grad, y.grad


for _name, _args in (("l2", (1.0,)), ("inf", (10.0, "inf")), ("l1_small", (100.0, 1)), ("p3", (0.5, 3.0)),
                     ("zero_norm", (10.0, 0)), ("neg_max_norm", (-1.0,))):
    one(f"x_clip_grad_norm_{_name}", lambda torch, a=_args: _clipped(torch, *a))
one("x_clip_grad_norm_no_grads", lambda torch: _clipped(torch, 1.0, grads=(None,)))
one("x_clip_grad_norm_tensor_param", lambda torch: (lambda p: (torch.nn.utils.clip_grad_norm_(p, 0.1), p.grad))(
    (lambda p: (setattr(p, "grad", torch.tensor([0.3, 0.4])), p)[1])(torch.zeros(2, requires_grad=True))))
one("x_clip_grad_norm_nan_error", lambda torch: _clipped(torch, 1.0, grads=((1.0, float("nan")),),
                                                          error_if_nonfinite=True))
one("x_clip_grad_norm_nan", lambda torch: _clipped(torch, 1.0, grads=((1.0, float("nan")),)))
one("x_clip_grad_norm_foreach_false", lambda torch: _clipped(torch, 1.0, foreach=False))
one("x_clip_grad_norm_bad_norm_type", lambda torch: _clipped(torch, 1.0, "x"))
one("x_clip_grad_value", _clip_value)
one("x_autograd_backward_two_roots", _backward_several)
one("x_autograd_backward_inputs", lambda torch: _backward_several(torch, inputs=[T(torch, 1)] * 0 or None))
one("x_autograd_backward_grad_tensors", lambda torch: (lambda x: (torch.autograd.backward(
    [x * 2, x.sum()], [torch.tensor(A(3, seed=3)), None]), x.grad)[1])(T(torch, 3, grad=True)))
one("x_autograd_backward_only_inputs", lambda torch: (lambda x, y: (torch.autograd.backward(
    (x * y).sum(), inputs=[y]), x.grad, y.grad)[1:])(T(torch, 3, grad=True), T(torch, 3, seed=1, grad=True)))
one("x_autograd_backward_nonleaf_input", lambda torch: (lambda h: (torch.autograd.backward(
    (h * h).sum(), inputs=h), h.grad)[1])(T(torch, 3, grad=True) * 2))
one("x_autograd_backward_no_grad_raises", lambda torch: torch.autograd.backward(torch.ones(2).sum()))
one("x_autograd_backward_empty_inputs", lambda torch: torch.autograd.backward(T(torch, 3, grad=True).sum(), inputs=[]))
one("x_autograd_backward_create_graph", lambda torch: (lambda x: (torch.autograd.backward(
    (x ** 3).sum(), create_graph=True), torch.autograd.grad(x.grad.sum(), x))[1])(T(torch, 3, grad=True)))

_F_ACTIVATIONS = {
    "leaky_relu": lambda F, x: F.leaky_relu(x), "leaky_relu_slope": lambda F, x: F.leaky_relu(x, 0.2),
    "leaky_relu_neg_slope": lambda F, x: F.leaky_relu(x, negative_slope=-0.5),
    "elu": lambda F, x: F.elu(x), "elu_alpha": lambda F, x: F.elu(x, alpha=0.5), "silu": lambda F, x: F.silu(x),
    "gelu": lambda F, x: F.gelu(x), "gelu_tanh": lambda F, x: F.gelu(x, approximate="tanh"),
    "softplus": lambda F, x: F.softplus(x), "softplus_beta": lambda F, x: F.softplus(x, beta=3, threshold=2),
    "relu6": lambda F, x: F.relu6(x * 4), "normalize": lambda F, x: F.normalize(x),
    "normalize_dim0_p1": lambda F, x: F.normalize(x, p=1, dim=0), "normalize_inf": lambda F, x: F.normalize(x, float("inf")),
    "normalize_p3": lambda F, x: F.normalize(x, 3.0, -1), "normalize_eps": lambda F, x: F.normalize(x * 1e-3, eps=1.0),
}
for _name, _f in _F_ACTIVATIONS.items():
    one(f"x_F_{_name}", lambda torch, f=_f: _value_and_grad(torch, lambda x: f(torch.nn.functional, x), 3, 4, low=-4, high=4))
    one(f"x_F_{_name}_float64", lambda torch, f=_f: f(torch.nn.functional, T(torch, 2, 5, seed=2, dtype=np.float64)))
one("x_F_relu6_kinks", lambda torch: _value_and_grad(torch, torch.nn.functional.relu6, 4, low=0, high=0) + (
    (lambda x: (torch.nn.functional.relu6(x).sum().backward(), x.grad)[1])(
        torch.tensor([0.0, 6.0, 3.0, -1.0, 7.0], requires_grad=True)),))
one("x_F_elu_at_zero", lambda torch: (lambda x: (torch.nn.functional.elu(x, 0.5).sum().backward(), x.grad)[1])(
    torch.zeros(2, requires_grad=True)))
one("x_F_softplus_extremes", lambda torch: _value_and_grad(torch, torch.nn.functional.softplus, 6, low=-120, high=120))
one("x_F_elu_large", lambda torch: _value_and_grad(torch, torch.nn.functional.elu, 6, low=-200, high=200))
one("x_F_normalize_zero_row", lambda torch: (lambda x: (torch.nn.functional.normalize(x).sum().backward(), x.grad)[1])(
    torch.zeros(2, 3, requires_grad=True)))
one("x_F_normalize_1d_default_dim_raises", lambda torch: torch.nn.functional.normalize(T(torch, 3)))
one("x_F_leaky_relu_int_raises", lambda torch: torch.nn.functional.leaky_relu(torch.tensor([1, -2])))
one("x_F_relu6_int", lambda torch: torch.nn.functional.relu6(torch.tensor([-1, 3, 9])))
one("x_F_gelu_bad_approximate", lambda torch: torch.nn.functional.gelu(T(torch, 2), approximate="exact"))
one("x_F_gelu_positional_approximate", lambda torch: torch.nn.functional.gelu(T(torch, 2), "tanh"))
one("x_F_leaky_relu_inplace", lambda torch: torch.nn.functional.leaky_relu(T(torch, 3), 0.1, True))
one("x_torch_erf", lambda torch: _value_and_grad(torch, torch.erf, 5))
one("x_torch_log1p", lambda torch: _value_and_grad(torch, torch.log1p, 5, low=-0.9, high=3))
one("x_log1p_tiny", lambda torch: torch.tensor([1e-10, -1e-12], dtype=torch.float64).log1p())
one("x_erf_method_int", lambda torch: torch.tensor([0, 1]).erf())
for _module, _f in (("LeakyReLU", lambda nn: nn.LeakyReLU(0.3)), ("ELU", lambda nn: nn.ELU()), ("GELU", lambda nn: nn.GELU()),
                    ("GELU_tanh", lambda nn: nn.GELU("tanh")), ("SiLU", lambda nn: nn.SiLU()),
                    ("ReLU6", lambda nn: nn.ReLU6()), ("Softplus", lambda nn: nn.Softplus(2.0, 10.0))):
    one(f"x_nn_{_module}", lambda torch, f=_f: (lambda m: (repr(m), m(T(torch, 2, 3))))(f(torch.nn)))
one("x_nn_LeakyReLU_in_sequential", lambda torch: (lambda net: (setw(torch, net[0].weight, A(4, 3, seed=1)),
                                                                setw(torch, net[0].bias, A(4, seed=2)),
                                                                net(T(torch, 2, 3)))[2])(
    torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.LeakyReLU(), torch.nn.GELU(), torch.nn.Linear(4, 1))[:3]))


def _loss_and_grads(torch, loss, x_args=(4, 3), target=None, **kw):
    x = T(torch, *x_args, grad=True, low=-3, high=3)
    t = T(torch, *x_args, seed=1, low=0, high=1, grad=True) if target is None else target(torch)
    out = loss(torch.nn.functional, x, t, **kw)
    (out * torch.tensor(A(*out.shape, seed=9))).sum().backward()
    return out, x.grad, t.grad


_F_LOSSES = {
    "l1_loss": lambda F, x, t, **kw: F.l1_loss(x, t, **kw),
    "smooth_l1_loss": lambda F, x, t, **kw: F.smooth_l1_loss(x, t, **kw),
    "smooth_l1_loss_beta": lambda F, x, t, **kw: F.smooth_l1_loss(x, t, beta=0.3, **kw),
    "smooth_l1_loss_beta0": lambda F, x, t, **kw: F.smooth_l1_loss(x, t, beta=0.0, **kw),
    "huber_loss": lambda F, x, t, **kw: F.huber_loss(x, t, **kw),
    "l1_loss_weight": lambda F, x, t, **kw: F.l1_loss(x, t, weight=t.detach() * 2 + 0.1, **kw),
    "huber_loss_weight": lambda F, x, t, **kw: F.huber_loss(x, t, weight=t * 3, **kw),
    "huber_loss_delta": lambda F, x, t, **kw: F.huber_loss(x, t, delta=0.4, **kw),
    "bce": lambda F, x, t, **kw: F.binary_cross_entropy(x.sigmoid(), t, **kw),
    "bce_weight": lambda F, x, t, **kw: F.binary_cross_entropy(x.sigmoid(), t, weight=t.detach() + 0.5, **kw),
    "bce_logits": lambda F, x, t, **kw: F.binary_cross_entropy_with_logits(x * 10, t, **kw),
    "bce_logits_pos_weight": lambda F, x, t, **kw: F.binary_cross_entropy_with_logits(
        x, t, pos_weight=t.new_tensor([3.0, 1.0, 0.2]), **kw),
    "bce_logits_both_weights": lambda F, x, t, **kw: F.binary_cross_entropy_with_logits(
        x, t, weight=t.new_tensor([[0.5], [1.0], [2.0], [1.5]]), pos_weight=t.new_tensor([2.0, 1.0, 0.5]), **kw),
}
for _name, _loss in _F_LOSSES.items():
    for _reduction in ("mean", "sum", "none"):
        one(f"x_F_{_name}_{_reduction}", lambda torch, f=_loss, r=_reduction: _loss_and_grads(torch, f, reduction=r))
one("x_F_bce_exact_zero_one", lambda torch: (lambda p: (lambda out: (out.sum().backward(), out, p.grad)[1:])(
    torch.nn.functional.binary_cross_entropy(p, torch.tensor([0.0, 1.0, 1.0, 0.0]), reduction="none")))(
    torch.tensor([0.0, 0.3, 0.0, 1.0], requires_grad=True)))
one("x_F_bce_out_of_range", lambda torch: torch.nn.functional.binary_cross_entropy(torch.tensor([1.5]), torch.tensor([1.0])))
one("x_F_bce_target_shape", lambda torch: torch.nn.functional.binary_cross_entropy(T(torch, 2, low=0, high=1), T(torch, 2, 1, low=0, high=1)))
one("x_F_bce_int_target", lambda torch: torch.nn.functional.binary_cross_entropy(T(torch, 2, low=0, high=1), torch.tensor([1, 0])))
one("x_F_bce_logits_target_shape", lambda torch: torch.nn.functional.binary_cross_entropy_with_logits(T(torch, 2), T(torch, 2, 1)))
one("x_F_bce_logits_extreme", lambda torch: _loss_and_grads(
    torch, lambda F, x, t, **kw: F.binary_cross_entropy_with_logits(x * 100, t, **kw), reduction="none"))
one("x_F_l1_loss_broadcast_warns", lambda torch: torch.nn.functional.l1_loss(T(torch, 3), T(torch, 2, 1)))
one("x_F_smooth_l1_negative_beta", lambda torch: torch.nn.functional.smooth_l1_loss(T(torch, 3), T(torch, 3), beta=-1.0))
one("x_F_l1_loss_weight_shape", lambda torch: torch.nn.functional.l1_loss(T(torch, 3), T(torch, 3), weight=torch.ones(1)))
one("x_F_huber_zero_delta", lambda torch: torch.nn.functional.huber_loss(T(torch, 3), T(torch, 3), delta=0.0))
one("x_F_l1_loss_bad_reduction", lambda torch: torch.nn.functional.l1_loss(T(torch, 3), T(torch, 3), reduction="avg"))
for _module, _f in (("L1Loss", lambda nn, t: nn.L1Loss()), ("L1Loss_sum", lambda nn, t: nn.L1Loss(reduction="sum")),
                    ("SmoothL1Loss", lambda nn, t: nn.SmoothL1Loss(beta=0.5)), ("HuberLoss", lambda nn, t: nn.HuberLoss(delta=2.0)),
                    ("BCEWithLogitsLoss", lambda nn, t: nn.BCEWithLogitsLoss(pos_weight=t.tensor([2.0, 1.0, 0.5]))),
                    ("BCEWithLogitsLoss_none", lambda nn, t: nn.BCEWithLogitsLoss(reduction="none"))):
    one(f"x_nn_{_module}", lambda torch, f=_f: (lambda m: (repr(m), m(T(torch, 4, 3), T(torch, 4, 3, seed=1, low=0, high=1)),
                                                             sorted(m.state_dict())))(f(torch.nn, torch)))
one("x_nn_BCELoss_weight", lambda torch: (lambda m: (repr(m), list(m.state_dict()), m(
    T(torch, 4, 3, low=0.01, high=0.99), T(torch, 4, 3, seed=1, low=0, high=1))))(torch.nn.BCELoss(weight=torch.tensor([1.0, 2.0, 0.5]))))
one("x_nn_BCEWithLogitsLoss_train_step", lambda torch: (lambda lin: (
    setw(torch, lin.weight, A(1, 3, seed=1)), setw(torch, lin.bias, A(1, seed=2)),
    torch.nn.BCEWithLogitsLoss()(lin(T(torch, 5, 3)).squeeze(1), (T(torch, 5, seed=3) > 0).float()).backward(),
    lin.weight.grad, lin.bias.grad)[3:])(torch.nn.Linear(3, 1)))

_REARRANGE = {
    "flip_method": lambda torch, x: x.flip(0, 2), "flip_tuple": lambda torch, x: x.flip((1,)),
    "torch_flip_dims_kw": lambda torch, x: torch.flip(x, dims=[-1]), "torch_flip_list": lambda torch, x: torch.flip(x, [0, 1]),
    "roll": lambda torch, x: x.roll(1, 1), "roll_flat": lambda torch, x: torch.roll(x, 5),
    "roll_multi": lambda torch, x: torch.roll(x, (1, -2), (0, 2)), "roll_negative_dim": lambda torch, x: x.roll(-7, -1),
    "narrow": lambda torch, x: x.narrow(2, 1, 2), "narrow_negative_start": lambda torch, x: torch.narrow(x, 1, -2, 2),
    "narrow_zero_length": lambda torch, x: x.narrow(0, 2, 0),
    "narrow_tensor_start": lambda torch, x: x.narrow(2, torch.tensor(1), 3),
    "tile": lambda torch, x: x.tile(2), "tile_tuple": lambda torch, x: torch.tile(x, (2, 1, 1, 1)),
    "tile_varargs": lambda torch, x: x.tile(1, 2, 1),
    "repeat_interleave": lambda torch, x: x.repeat_interleave(2),
    "repeat_interleave_dim": lambda torch, x: x.repeat_interleave(3, dim=1),
    "repeat_interleave_tensor": lambda torch, x: x.repeat_interleave(torch.tensor([2, 0, 1]), dim=1),
    "repeat_interleave_0d_tensor": lambda torch, x: torch.repeat_interleave(x, torch.tensor(2), dim=-1),
    "hstack": lambda torch, x: torch.hstack([x, x * 2]), "vstack": lambda torch, x: torch.vstack([x[0], x[1, :1]]),
    "hstack_1d": lambda torch, x: torch.hstack([x[0, 0], x[1, 1]]),
    "vstack_1d": lambda torch, x: torch.vstack([x[0, 0], x[1, 1], x[1, 2]]),
    "pad": lambda torch, x: torch.nn.functional.pad(x, (1, 2)),
    "pad_value": lambda torch, x: torch.nn.functional.pad(x, (1, 1, 2, 0), value=7.0),
    "pad_list": lambda torch, x: torch.nn.functional.pad(x, [0, 1, 1, 0, 1, 1]),
    "pad_negative": lambda torch, x: torch.nn.functional.pad(x, (-1, 1, 1, -2)),
    "pad_reflect": lambda torch, x: torch.nn.functional.pad(x, (2, 1), mode="reflect"),
    "pad_reflect_2d": lambda torch, x: torch.nn.functional.pad(x, (3, 1, 2, 0), mode="reflect"),
    "pad_replicate": lambda torch, x: torch.nn.functional.pad(x, (5, 1), mode="replicate"),
    "pad_replicate_2d": lambda torch, x: torch.nn.functional.pad(x, (1, 1, 1, 1), mode="replicate"),
    "pad_circular": lambda torch, x: torch.nn.functional.pad(x, (2, 1), mode="circular"),
    "pad_circular_2d": lambda torch, x: torch.nn.functional.pad(x, (1, 2, 1, 1), mode="circular"),
    "pad_reflect_negative": lambda torch, x: torch.nn.functional.pad(x, (-1, 2), mode="reflect"),
}
for _name, _f in _REARRANGE.items():
    one(f"x_{_name}", lambda torch, f=_f: _value_and_grad(torch, lambda x: f(torch, x), 2, 3, 4))
one("x_flip_int_dims_raises", lambda torch: torch.flip(T(torch, 2, 3), 0))
one("x_flip_repeated_dim", lambda torch: T(torch, 2, 3).flip(0, 0))
one("x_flip_is_copy", lambda torch: (lambda x: (x.flip(0).add_(1), x)[1])(T(torch, 3)))
one("x_narrow_is_view", lambda torch: (lambda x: (x.narrow(1, 1, 2).add_(100), x)[1])(T(torch, 3, 4)))
one("x_narrow_out_of_range", lambda torch: T(torch, 3, 4).narrow(1, 3, 2))
one("x_narrow_start_out_of_range", lambda torch: T(torch, 3, 4).narrow(1, 5, 0))
one("x_roll_misaligned", lambda torch: T(torch, 3, 4).roll((1, 2), 0))
one("x_roll_int", lambda torch: torch.arange(6).reshape(2, 3).roll(1, 0))
one("x_repeat_interleave_counts", lambda torch: torch.repeat_interleave(torch.tensor([1, 0, 3])))
one("x_repeat_interleave_bad_size", lambda torch: T(torch, 3, 4).repeat_interleave(torch.tensor([1, 2]), dim=0))
one("x_repeat_interleave_negative", lambda torch: T(torch, 3).repeat_interleave(-1))
one("x_repeat_interleave_int_tensor", lambda torch: torch.arange(3).repeat_interleave(2))
one("x_tile_int", lambda torch: torch.arange(3).tile((2, 2)))
one("x_hstack_mixed_dtypes", lambda torch: torch.hstack([torch.arange(2), T(torch, 2)]))
one("x_pad_odd_length", lambda torch: torch.nn.functional.pad(T(torch, 3, 4), (1,)))
one("x_pad_too_long", lambda torch: torch.nn.functional.pad(T(torch, 3, 4), (1,) * 6))
one("x_pad_float_pad", lambda torch: torch.nn.functional.pad(T(torch, 3, 4), (1.5, 1)))
one("x_pad_int_value", lambda torch: torch.nn.functional.pad(torch.arange(4), (1, 2), value=3.7))
one("x_pad_unknown_mode", lambda torch: torch.nn.functional.pad(T(torch, 1, 3, 4), (1, 1), mode="symmetric"))
one("x_pad_reflect_too_wide", lambda torch: torch.nn.functional.pad(T(torch, 1, 3, 4), (4, 0), mode="reflect"))
one("x_pad_reflect_1d_input", lambda torch: torch.nn.functional.pad(T(torch, 4), (1, 1), mode="reflect"))
one("x_pad_reflect_value", lambda torch: torch.nn.functional.pad(T(torch, 1, 3, 4), (1, 1), mode="reflect", value=2.0))
one("x_pad_negative_too_much", lambda torch: torch.nn.functional.pad(T(torch, 3, 4), (-3, -2)))


def _scatter_case(torch, add, src_shape=(3, 2), dim=1, index=((0, 1), (2, 0), (1, 3))):
    x, src = T(torch, 3, 4, grad=True), T(torch, *src_shape, seed=1, grad=True)
    idx = torch.tensor(index)
    y = x.scatter_add(dim, idx, src) if add else x.scatter(dim, idx, src)
    (y * torch.tensor(A(3, 4, seed=5))).sum().backward()
    return y, x.grad, src.grad


one("x_scatter_src", lambda torch: _scatter_case(torch, False))
one("x_scatter_add_src", lambda torch: _scatter_case(torch, True))
one("x_scatter_add_repeated", lambda torch: _scatter_case(torch, True, index=((0, 0), (1, 1), (3, 3))))
one("x_scatter_dim0", lambda torch: _scatter_case(torch, False, (2, 4), 0, ((2, 0, 1, 2), (1, 1, 0, 0))))
one("x_scatter_add_dim0", lambda torch: _scatter_case(torch, True, (2, 4), 0, ((2, 0, 1, 2), (2, 1, 0, 2))))
one("x_scatter_src_larger_than_index", lambda torch: T(torch, 3, 4).scatter(1, torch.tensor([[0], [2], [1]]), T(torch, 3, 3)))
one("x_scatter_add_src_larger_than_index", lambda torch: T(torch, 3, 4).scatter_add(0, torch.tensor([[0, 2, 1, 1]]), T(torch, 2, 5)))
one("x_scatter_value", lambda torch: torch.zeros(3, 4).scatter(1, torch.tensor([[0, 1], [2, 0], [1, 3]]), 5.0))
one("x_scatter_value_kw", lambda torch: torch.zeros(3, 4).scatter(1, torch.tensor([[3], [2], [1]]), value=-1.0))
one("x_torch_scatter", lambda torch: torch.scatter(torch.zeros(2, 3), 0, torch.tensor([[1, 0, 1]]), T(torch, 1, 3)))
one("x_torch_scatter_add", lambda torch: torch.scatter_add(torch.zeros(2, 3), 1, torch.tensor([[1, 1], [0, 2]]), T(torch, 2, 2)))
one("x_scatter_int", lambda torch: torch.zeros(2, 3, dtype=torch.long).scatter(1, torch.tensor([[2], [0]]), 7))
one("x_scatter_one_hot", lambda torch: torch.zeros(3, 4).scatter(1, torch.tensor([2, 0, 3]).unsqueeze(1), 1.0))
one("x_scatter_index_out_of_range", lambda torch: torch.zeros(3, 4).scatter(1, torch.tensor([[4], [0], [1]]), 1.0))
one("x_scatter_negative_index", lambda torch: torch.zeros(3, 4).scatter(1, torch.tensor([[-1], [0], [1]]), 1.0))
one("x_scatter_float_index", lambda torch: torch.zeros(3, 4).scatter(1, torch.tensor([[1.0], [0.0], [1.0]]), 1.0))
one("x_scatter_dtype_mismatch", lambda torch: torch.zeros(3, 4).scatter(1, torch.tensor([[1], [0], [1]]),
                                                                           torch.ones(3, 1, dtype=torch.float64)))
one("x_scatter_index_rank", lambda torch: torch.zeros(3, 4).scatter(1, torch.tensor([1, 0, 1]), 1.0))
one("x_scatter_src_too_small", lambda torch: torch.zeros(3, 4).scatter(1, torch.tensor([[1, 2], [0, 1], [1, 3]]), torch.ones(3, 1)))
one("x_scatter_inplace_one_hot", lambda torch: torch.zeros(3, 4).scatter_(1, torch.tensor([2, 0, 3]).unsqueeze(1), 1))
one("x_scatter_inplace_returns_self", lambda torch: (lambda x: (x.scatter_(0, torch.tensor([1, 0]), T(torch, 2)) is x, x))(
    torch.zeros(3)))
one("x_scatter_add_inplace", lambda torch: torch.ones(2, 3).scatter_add_(1, torch.tensor([[0, 0], [2, 1]]), T(torch, 2, 2)))
one("x_scatter_inplace_leaf_raises", lambda torch: torch.zeros(3, requires_grad=True).scatter_(0, torch.tensor([1]), 1.0))
one("x_scatter_inplace_int_value", lambda torch: torch.zeros(2, 2, dtype=torch.long).scatter_(1, torch.tensor([[1], [0]]), 2.7))
one("x_scatter_add_number_raises", lambda torch: torch.zeros(3, 4).scatter_add(1, torch.tensor([[1], [0], [1]]), 1.0))

for _size in (1, 2, 3, (2, 3), (None, 2), (7, 5), (4, None)):
    one(f"x_F_adaptive_avg_pool2d_{_size}".replace(" ", ""), lambda torch, s=_size: _value_and_grad(
        torch, lambda x: torch.nn.functional.adaptive_avg_pool2d(x, s), 2, 3, 5, 7))
one("x_nn_AdaptiveAvgPool2d_3d", lambda torch: (lambda m: (repr(m), m(T(torch, 3, 4, 6))))(torch.nn.AdaptiveAvgPool2d((2, 3))))
one("x_nn_AdaptiveAvgPool2d_flatten_head", lambda torch: (lambda net: net(T(torch, 2, 3, 8, 8)))(
    torch.nn.Sequential(torch.nn.AdaptiveAvgPool2d(1), torch.nn.Flatten())))
one("x_nn_AdaptiveAvgPool2d_repr_none", lambda torch: repr(torch.nn.AdaptiveAvgPool2d((None, 2))))
one("x_F_adaptive_avg_pool2d_2d_raises", lambda torch: torch.nn.functional.adaptive_avg_pool2d(T(torch, 5, 7), 2))
one("x_F_adaptive_avg_pool2d_int_raises", lambda torch: torch.nn.functional.adaptive_avg_pool2d(torch.ones(1, 1, 4, 4, dtype=torch.long), 2))
one("x_F_adaptive_avg_pool2d_three_sizes", lambda torch: torch.nn.functional.adaptive_avg_pool2d(T(torch, 1, 1, 4, 4), (2, 2, 2)))
one("x_F_adaptive_avg_pool2d_negative", lambda torch: torch.nn.functional.adaptive_avg_pool2d(T(torch, 1, 1, 4, 4), -1))
one("x_nn_Unflatten", lambda torch: (lambda m: (repr(m), _value_and_grad(torch, m, 3, 4)))(torch.nn.Unflatten(1, (2, 2))))
one("x_nn_Unflatten_list_minus_one", lambda torch: (lambda m: (repr(m), m(T(torch, 3, 4)).shape))(torch.nn.Unflatten(-1, [2, -1])))
one("x_nn_Unflatten_bad_sizes", lambda torch: torch.nn.Unflatten(1, (2, 3))(T(torch, 3, 4)))

for _name, _f in (("pow_", lambda x: x.pow_(2)), ("pow_tensor", lambda x: x.pow_(x.new_tensor([1.0, 0.5, 2.0]))),
                  ("sqrt_", lambda x: x.sqrt_()), ("exp_", lambda x: x.exp_()), ("log_", lambda x: x.log_()),
                  ("log1p_", lambda x: x.log1p_()), ("rsqrt_", lambda x: x.rsqrt_()), ("abs_", lambda x: x.abs_()),
                  ("neg_", lambda x: x.neg_()), ("square_", lambda x: x.square_()),
                  ("reciprocal_", lambda x: x.reciprocal_()), ("sigmoid_", lambda x: x.sigmoid_()),
                  ("tanh_", lambda x: x.tanh_())):
    one(f"x_inplace_{_name}", lambda torch, f=_f: (lambda x: (f(x) is x, x))(T(torch, 3, low=0.5, high=3)))
one("x_inplace_sqrt_int_raises", lambda torch: torch.tensor([4, 9]).sqrt_())
one("x_inplace_pow_int", lambda torch: torch.tensor([4, 9]).pow_(2))
one("x_inplace_pow_int_float_raises", lambda torch: torch.tensor([4, 9]).pow_(0.5))
one("x_inplace_abs_int", lambda torch: torch.tensor([-4, 9]).abs_())
one("x_inplace_exp_leaf_raises", lambda torch: T(torch, 3, grad=True).exp_())
one("x_inplace_exp_no_grad_leaf", lambda torch: _exp_under_no_grad(torch))


def _exp_under_no_grad(torch):
    x = T(torch, 3, grad=True)
    with torch.no_grad():
        x.exp_()
    return x.detach(), x.requires_grad
one("x_inplace_pow_broadcast_raises", lambda torch: T(torch, 1).pow_(T(torch, 3)))
one("x_inplace_pow_float64_into_float32", lambda torch: T(torch, 3).pow_(T(torch, 3, dtype=np.float64, low=0, high=2)))

for _dtype in ("float16", "float32", "float64"):
    one(f"x_finfo_{_dtype}", lambda torch, d=_dtype: (lambda f: (f.bits, f.eps, f.max, f.min, f.tiny, f.smallest_normal,
                                                                 f.resolution, str(f.dtype)))(torch.finfo(getattr(torch, d))))
for _dtype in ("uint8", "int32", "int64"):
    one(f"x_iinfo_{_dtype}", lambda torch, d=_dtype: (lambda f: (f.bits, f.max, f.min, str(f.dtype)))(torch.iinfo(getattr(torch, d))))
one("x_finfo_default", lambda torch: torch.finfo().eps)
one("x_finfo_of_tensor_dtype", lambda torch: torch.finfo(T(torch, 2, dtype=np.float64).dtype).max)
one("x_finfo_int_raises", lambda torch: torch.finfo(torch.int64))
one("x_iinfo_float_raises", lambda torch: torch.iinfo(torch.float32))
one("x_iinfo_bool_raises", lambda torch: torch.iinfo(torch.bool))
one("x_clamp_with_finfo", lambda torch: T(torch, 3).clamp(min=torch.finfo(torch.float32).eps).log())


# =========================================================================================
# Comparison


class Raised:
    def __init__(self, exc, internal):
        self.exc, self.internal = exc, internal

    def __str__(self):
        return f"{type(self.exc).__name__}: {self.exc}".splitlines()[0][:160]


CLEAR_ERRORS = (TypeError, ValueError, RuntimeError, NotImplementedError, AttributeError, IndexError)


def run(fn, lib):
    try:
        return fn(lib)
    except Exception as exc:  # noqa: BLE001  (the verdict depends on what was raised)
        frames = traceback.extract_tb(exc.__traceback__)
        inside_numpy = (bool(frames) and "/numpy/" in frames[-1].filename.replace("\\", "/")
                        or type(exc).__module__.split(".")[0] in ("numpy", "cupy"))  # e.g. UFuncTypeError
        return Raised(exc, internal=inside_numpy or not isinstance(exc, CLEAR_ERRORS))


def canonical(x):
    """A comparable description: tensors become ('tensor', dtype, shape, requires_grad, float64 values)."""
    name = type(x).__name__
    if hasattr(x, "shape") and hasattr(x, "requires_grad") and not isinstance(x, np.ndarray):
        values = x.detach().cpu().numpy() if hasattr(x, "cpu") and "torch" in type(x).__module__ else x.numpy()
        return ("tensor", str(x.dtype).replace("torch.", ""), tuple(x.shape), bool(x.requires_grad),
                np.asarray(values))
    if isinstance(x, np.ndarray):
        return ("ndarray", str(x.dtype), x.shape, False, x)
    if isinstance(x, (tuple, list)):  # torch.Size, named tuples (max with dim) and plain tuples alike
        return (type(x) is list, tuple(canonical(v) for v in x))
    if "dtype" in name.lower() or name == "dtype":
        return ("dtype", str(x).replace("torch.", ""))
    if isinstance(x, (bool, int, float, str)) or x is None:
        return (type(x).__name__, x)
    return ("object", name)


def same(a, b):
    if isinstance(a, tuple) and len(a) == 5 and a[0] in ("tensor", "ndarray"):
        if not (isinstance(b, tuple) and len(b) == 5 and a[:4] == b[:4]):
            return False
        va, vb = a[4], b[4]
        if va.dtype.kind in "f":
            tol = 1e-10 if va.dtype == np.float64 else 2e-5
            return np.allclose(va, vb, rtol=tol, atol=tol, equal_nan=True)
        return np.array_equal(va, vb)
    if isinstance(a, tuple) and isinstance(b, tuple):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, float) and isinstance(b, float):
        return math.isclose(a, b, rel_tol=2e-5, abs_tol=1e-6) or (math.isnan(a) and math.isnan(b))
    return a == b


def brief(x):
    text = repr(x).replace("\n", " ")
    return text if len(text) < 200 else text[:200] + "..."


def verdict(fn, torch):
    expected, got = run(fn, torch), run(fn, minigrad)
    if isinstance(expected, Raised):
        if isinstance(got, Raised):
            if type(got.exc) is type(expected.exc) or isinstance(got.exc, AttributeError):
                return "same", f"both raise ({str(expected)[:60]} | {got})"
            if got.internal:
                return "INTERNAL", f"both raise, minigrad inside NumPy or unexpectedly ({str(expected)[:60]} | {got})"
            return "exc-type", f"both raise, another type ({str(expected)[:60]} | {got})"
        return "lenient", f"torch raises {expected}; minigrad returns {brief(got)}"
    if isinstance(got, Raised):
        return ("INTERNAL" if got.internal else "error"), str(got)
    if same(canonical(expected), canonical(got)):
        return "same", ""
    return "MISMATCH", f"torch {brief(expected)} | minigrad {brief(got)}"


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("-k", default="", help="only idioms whose name contains this (default: all)")
    p.add_argument("--problems", action="store_true", help="print only idioms that are not the same (default: print every idiom)")
    args = p.parse_args(argv)
    warnings.simplefilter("ignore")  # PyTorch's deprecation notes and NumPy's divide-by-zero are not verdicts
    try:
        import torch
    except ImportError as exc:
        p.error(f"PyTorch is not installed in {sys.executable} ({exc}); run this script with a Python that has it "
                "(CPU build: pip install torch==2.13.0 --index-url https://download.pytorch.org/whl/cpu)")
    counts = {}
    for name, fn in CASES:
        if args.k not in name:
            continue
        kind, detail = verdict(fn, torch)
        counts[kind] = counts.get(kind, 0) + 1
        if kind != "same" or not args.problems:
            print(f"{kind:9s} {name}" + (f": {detail}" if detail else ""))
    print("\n" + ", ".join(f"{k}: {v}" for k, v in sorted(counts.items())) + f" (of {sum(counts.values())})")
    return 1 if counts.get("MISMATCH") or counts.get("INTERNAL") else 0


if __name__ == "__main__":
    sys.exit(main())
