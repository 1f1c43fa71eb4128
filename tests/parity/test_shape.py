"""Parity idioms: Shape operations: view/reshape, transpose/permute, squeeze/unsqueeze, expand/repeat,
cat/stack/split/chunk, flip/roll/narrow, sizes."""
from .common import T, value_and_grad
from .compare import Idioms, test_idiom  # noqa: F401  (test_idiom runs once per idiom of this module)

idioms = Idioms()
one, case = idioms.one, idioms.case


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
one("view_batch_flatten", lambda torch: (lambda x: x.view(x.size(0), -1))(T(torch, 2, 3, 4)))
one("reshape_column", lambda torch: T(torch, 4).reshape((-1, 1)))
one("flatten_0_1", lambda torch: T(torch, 2, 3, 4).flatten(0, 1))
one("cat_axis_alias", lambda torch: torch.cat([T(torch, 2, 2), T(torch, 2, 2, seed=1)], axis=1))
one("view_as_reshape_as", lambda torch: (T(torch, 2, 3).view_as(T(torch, 3, 2)),
                                         T(torch, 6).reshape_as(T(torch, 2, 3))))
one("concat_alias", lambda torch: torch.concat([T(torch, 2), T(torch, 2, seed=1)]))
one("nelement_ndimension", lambda torch: (T(torch, 2, 3).nelement(), T(torch, 2, 3).ndimension()))
one("split_sizes_list", lambda torch: T(torch, 5, 2).split([2, 3]))
one("split_dim1", lambda torch: T(torch, 2, 5).split(2, dim=1))
one("chunk_uneven", lambda torch: T(torch, 5).chunk(3))
one("repeat_more_dims", lambda torch: T(torch, 2, 3).repeat(2, 1, 2))
one("iterate_rows", lambda torch: [r.sum() for r in T(torch, 3, 2)])
one("list_and_unbind", lambda torch: (list(T(torch, 2, 2)), T(torch, 2, 3).unbind(1)))
one("len_0d_raises", lambda torch: len(torch.tensor(1.0)))
one("size_constructor", lambda torch: (torch.Size([2, 3]), torch.Size([2, 3]) == T(torch, 2, 3).shape,
                                       isinstance(T(torch, 2).shape, tuple)))
one("shape_numel", lambda torch: T(torch, 2, 3).shape.numel())
one("squeeze_dim_tuple", lambda torch: T(torch, 1, 3, 1, 2).squeeze(dim=(0, 2)))
one("unsqueeze_transpose_keywords", lambda torch: (T(torch, 3).unsqueeze(dim=1),
                                                   T(torch, 2, 3).transpose(dim0=0, dim1=1)))
one("permute_dims_keyword", lambda torch: T(torch, 2, 3).permute(dims=(1, 0)))
one("reshape_shape_keyword", lambda torch: T(torch, 2, 3).reshape(shape=(3, 2)))
one("cat_tensors_keyword", lambda torch: torch.cat(tensors=[T(torch, 2), T(torch, 1)], dim=0))
one("expand_size_keyword", lambda torch: T(torch, 1, 3).expand(size=(2, 3)))
one("T_on_3d", lambda torch: T(torch, 2, 3, 4).T.shape)
one("flatten_0d", lambda torch: torch.tensor(3.0).flatten())
one("squeeze_to_0d", lambda torch: T(torch, 1, 1).squeeze())
one("stack_0d", lambda torch: torch.stack([torch.tensor(1.0), torch.tensor(2.0)]))
one("view_slice_rows_contiguous", lambda torch: T(torch, 4, 3)[1:].view(-1))
one("view_sliced_columns_raises", lambda torch: T(torch, 4, 3)[:, 1:].view(-1))
one("view_sliced_columns_same_shape", lambda torch: T(torch, 4, 3)[:, 1:].view(4, 2))
one("view_after_permute_raises", lambda torch: T(torch, 2, 3, 4).permute(0, 2, 1).view(2, 12))
one("view_expand_raises", lambda torch: T(torch, 3, 1).expand(3, 4).view(-1))
one("view_unsqueeze_ok", lambda torch: T(torch, 3, 4).t().unsqueeze(0).view(1, 4, 3).shape)
one("is_contiguous", lambda torch: (T(torch, 2, 3).is_contiguous(), T(torch, 2, 3).t().is_contiguous(),
                                       T(torch, 2, 3).t().contiguous().is_contiguous()))
one("contiguous_then_view", lambda torch: T(torch, 2, 3).t().contiguous().view(-1))
one("reshape_transposed", lambda torch: T(torch, 2, 3).t().reshape(-1))
one("reshape_two_minus_one", lambda torch: T(torch, 2, 3).reshape(-1, -1))
one("reshape_zero_size", lambda torch: torch.zeros(0, 3).reshape(-1, 3).shape)
one("view_dtype", lambda torch: T(torch, 2).view(torch.int32))
one("view_size_object", lambda torch: (lambda x: x.view(x.size(0), -1).shape)(T(torch, 2, 3, 4)))
one("view_three", lambda torch: T(torch, 2, 3, 4).view(2, -1, 2).shape)
one("flatten_1", lambda torch: T(torch, 2, 3, 4).flatten(1).shape)
one("flatten_0_minus2", lambda torch: T(torch, 2, 3, 4).flatten(0, -2).shape)
one("torch_flatten_1", lambda torch: torch.flatten(T(torch, 2, 3, 4), 1).shape)
one("unflatten", lambda torch: T(torch, 2, 12).unflatten(1, (3, 4)).shape)
one("unflatten_minus1", lambda torch: T(torch, 2, 12).unflatten(1, (-1, 4)).shape)
one("squeeze_noop", lambda torch: T(torch, 2, 3).squeeze().shape)
one("squeeze_all_ones", lambda torch: T(torch, 1, 3, 1, 1).squeeze().shape)
one("squeeze_negative", lambda torch: T(torch, 2, 1).squeeze(-1).shape)
one("squeeze_out_of_range", lambda torch: T(torch, 2, 1).squeeze(2))
one("unsqueeze_minus1", lambda torch: T(torch, 2, 3).unsqueeze(-1).shape)
one("unsqueeze_end", lambda torch: T(torch, 2, 3).unsqueeze(2).shape)
one("unsqueeze_out_of_range", lambda torch: T(torch, 2, 3).unsqueeze(3))
one("unsqueeze_minus3", lambda torch: T(torch, 2, 3).unsqueeze(-3).shape)
one("expand_minus1_new_dims", lambda torch: T(torch, 3, 1).expand(2, -1, 4).shape)
one("expand_non1_raises", lambda torch: T(torch, 3, 2).expand(3, 4))
one("expand_minus1_leading_raises", lambda torch: T(torch, 3).expand(-1, 3))
one("expand_shares_memory", lambda torch: (lambda x: (x.expand(2, 3), x.fill_(1.0))[0])(torch.zeros(1, 3)))
one("repeat_fewer_dims_raises", lambda torch: T(torch, 2, 3).repeat(2))
one("repeat_1d", lambda torch: torch.tensor([1, 2]).repeat(3))
one("repeat_values", lambda torch: torch.tensor([[1, 2]]).repeat(2, 2))
one("r2_repeat_interleave", lambda torch: torch.tensor([1, 2]).repeat_interleave(2))
one("r2_tile", lambda torch: torch.tensor([1, 2]).tile((2,)))
one("transpose_same_dim", lambda torch: T(torch, 2, 3).transpose(0, 0).shape)
one("transpose_out_of_range", lambda torch: T(torch, 2, 3).transpose(0, 2))
one("permute_wrong_count", lambda torch: T(torch, 2, 3).permute(0))
one("permute_repeated", lambda torch: T(torch, 2, 3).permute(0, 0))
one("mT_3d", lambda torch: T(torch, 2, 3, 4).mT.shape)
one("T_1d", lambda torch: T(torch, 3).T)
one("t_1d", lambda torch: T(torch, 3).t())
one("t_3d_raises", lambda torch: T(torch, 2, 3, 4).t())
one("chunk_sizes_10_3", lambda torch: [c.shape for c in torch.arange(10).chunk(3)])
one("chunk_sizes_6_4", lambda torch: [c.shape for c in torch.arange(6).chunk(4)])
one("chunk_sizes_5_4", lambda torch: [c.shape for c in torch.arange(5).chunk(4)])
one("chunk_more_than_size", lambda torch: [c.shape for c in torch.arange(2).chunk(5)])
one("chunk_dim1", lambda torch: [c.shape for c in T(torch, 2, 5).chunk(2, dim=1)])
one("chunk_zero_raises", lambda torch: torch.arange(4).chunk(0))
one("split_int_uneven", lambda torch: [c.tolist() for c in torch.arange(5).split(2)])
one("split_list", lambda torch: [c.tolist() for c in torch.arange(5).split([1, 4])])
one("split_list_bad_raises", lambda torch: torch.arange(5).split([1, 3]))
one("torch_split_dim1", lambda torch: [c.shape for c in torch.split(T(torch, 2, 5), 2, dim=1)])
one("split_returns_tuple", lambda torch: type(torch.arange(4).split(2)).__name__)
one("chunk_returns_tuple", lambda torch: type(torch.arange(4).chunk(2)).__name__)
one("cat_int32_int64", lambda torch: torch.cat([torch.tensor([1], dtype=torch.int32), torch.tensor([2])]))
one("cat_bool_int", lambda torch: torch.cat([torch.tensor([True]), torch.tensor([2])]))
one("cat_float16_float32", lambda torch: torch.cat([torch.ones(1, dtype=torch.float16), torch.ones(1)]).dtype)
one("cat_legacy_empty", lambda torch: torch.cat([torch.tensor([]), T(torch, 2, 3)]).shape)
one("cat_shape_mismatch", lambda torch: torch.cat([T(torch, 2, 3), T(torch, 2, 4)]))
one("cat_tuple_input", lambda torch: torch.cat((T(torch, 1, 2), T(torch, 2, 2)), 0).shape)
one("cat_single", lambda torch: torch.cat([T(torch, 2)]))
one("cat_empty_list_raises", lambda torch: torch.cat([]))
one("cat_0d_raises", lambda torch: torch.cat([torch.tensor(1.0), torch.tensor(2.0)]))
one("stack_shapes_mismatch", lambda torch: torch.stack([T(torch, 2), T(torch, 3)]))
one("stack_negative_dim", lambda torch: torch.stack([T(torch, 2, 3), T(torch, 2, 3)], dim=-1).shape)
one("stack_int_bool", lambda torch: torch.stack([torch.tensor([1]), torch.tensor([True])]))
one("r2_hstack", lambda torch: torch.hstack([T(torch, 2), T(torch, 3)]).shape)
one("r2_vstack", lambda torch: torch.vstack([T(torch, 2), T(torch, 2)]).shape)
one("unbind_dim1", lambda torch: [u.shape for u in T(torch, 2, 3).unbind(1)])
one("r2_narrow", lambda torch: T(torch, 4, 3).narrow(0, 1, 2))
one("flip", lambda torch: T(torch, 3).flip(0))
one("r2_roll", lambda torch: torch.arange(4).roll(1))
one("size_negative", lambda torch: T(torch, 2, 3).size(-1))
one("size_is_tuple", lambda torch: (isinstance(T(torch, 2, 3).size(), tuple), T(torch, 2, 3).size() == (2, 3),
                                       list(T(torch, 2, 3).shape)))
one("size_out_of_range", lambda torch: T(torch, 2, 3).size(2))
one("numel_0d", lambda torch: torch.tensor(1.0).numel())
one("torch_numel", lambda torch: torch.numel(T(torch, 2, 3)))
one("dim_0d", lambda torch: torch.tensor(1.0).dim())
one("len_dims", lambda torch: len(T(torch, 4, 2)))
one("shape_unpack", lambda torch: (lambda n, c: n * c)(*T(torch, 4, 2).shape))
one("stack_0d_int", lambda torch: torch.stack([torch.tensor(1), torch.tensor(2)]))
one("len_of_dataset_like", lambda torch: len(torch.zeros(7, 3)))

_REARRANGE = {
    "flip_method": lambda torch, x: x.flip(0, 2), "flip_tuple": lambda torch, x: x.flip((1,)),
    "torch_flip_dims_kw": lambda torch, x: torch.flip(x, dims=[-1]),
    "torch_flip_list": lambda torch, x: torch.flip(x, [0, 1]),
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
    one(f"x_{_name}", lambda torch, f=_f: value_and_grad(torch, lambda x: f(torch, x), 2, 3, 4))

one("flip_int_dims_raises", lambda torch: torch.flip(T(torch, 2, 3), 0))
one("flip_repeated_dim", lambda torch: T(torch, 2, 3).flip(0, 0))
one("flip_is_copy", lambda torch: (lambda x: (x.flip(0).add_(1), x)[1])(T(torch, 3)))
one("narrow_is_view", lambda torch: (lambda x: (x.narrow(1, 1, 2).add_(100), x)[1])(T(torch, 3, 4)))
one("narrow_out_of_range", lambda torch: T(torch, 3, 4).narrow(1, 3, 2))
one("narrow_start_out_of_range", lambda torch: T(torch, 3, 4).narrow(1, 5, 0))
one("roll_misaligned", lambda torch: T(torch, 3, 4).roll((1, 2), 0))
one("roll_int", lambda torch: torch.arange(6).reshape(2, 3).roll(1, 0))
one("repeat_interleave_counts", lambda torch: torch.repeat_interleave(torch.tensor([1, 0, 3])))
one("repeat_interleave_bad_size", lambda torch: T(torch, 3, 4).repeat_interleave(torch.tensor([1, 2]), dim=0))
one("repeat_interleave_negative", lambda torch: T(torch, 3).repeat_interleave(-1))
one("repeat_interleave_int_tensor", lambda torch: torch.arange(3).repeat_interleave(2))
one("tile_int", lambda torch: torch.arange(3).tile((2, 2)))
one("hstack_mixed_dtypes", lambda torch: torch.hstack([torch.arange(2), T(torch, 2)]))
