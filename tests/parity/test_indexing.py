"""Parity idioms: Indexing and writing by index: slices, lists, masks, ellipsis, setitem, gather/scatter,
where/nonzero."""
import itertools

import numpy as np

import minigrad

from .common import A, T, value_and_grad
from .compare import Idioms, test_idiom, torch  # noqa: F401  (test_idiom runs once per idiom of this module)

idioms = Idioms()
one, case = idioms.one, idioms.case


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
one("negative_step_raises", lambda torch: T(torch, 4)[::-1])
one("bool_list_index", lambda torch: T(torch, 3)[[True, False, True]])
one("zero_d_tensor_index", lambda torch: T(torch, 3, 2)[torch.tensor(1)])
one("where_one_arg", lambda torch: torch.where(T(torch, 2, 3) > 0))
one("nonzero", lambda torch: (T(torch, 2, 3) > 0).nonzero())


@case
def mask_index_is_a_copy(torch):
    x = T(torch, 3, 4)
    y = x[x > 0]
    y.zero_()
    return x


one("nonzero_as_tuple", lambda torch: torch.nonzero(T(torch, 2, 3) > 0, as_tuple=True))
one("gather_3d_dim0", lambda torch: torch.gather(T(torch, 2, 3, 2), 0, torch.tensor([[[1, 0], [0, 1], [1, 1]]])))


@case
def setitem_shape_mismatch_raises(torch):
    x = T(torch, 3, 4)
    x[0] = torch.tensor([1.0, 2.0])
    return x


one("negative_list_index", lambda torch: T(torch, 4, 2)[[-1, 0]])
one("ellipsis_none", lambda torch: T(torch, 2, 3)[..., None].shape)
one("chained_advanced", lambda torch: T(torch, 3, 4)[[0, 1]][:, [1]])
one("tail_slice", lambda torch: T(torch, 5)[-2:])
one("index_list_rows", lambda torch: T(torch, 4, 3)[[0, 2]])
one("index_pairs_lists", lambda torch: T(torch, 4, 3)[[0, 3], [1, 2]])
one("index_columns_list", lambda torch: T(torch, 4, 3)[:, [0, 2]])
one("index_bool_list", lambda torch: T(torch, 3)[[True, False, True]])
one("index_slice_none", lambda torch: T(torch, 4, 3)[1:3, None].shape)
one("index_ellipsis_last", lambda torch: T(torch, 2, 3, 4)[..., 0])
one("index_ellipsis_none", lambda torch: T(torch, 2, 3)[None, ..., None].shape)
one("index_negative_slices", lambda torch: T(torch, 5)[-3:-1])
one("index_steps_2d", lambda torch: T(torch, 5, 7)[1::2, ::3])
one("index_0d_tensor", lambda torch: T(torch, 4, 3)[torch.tensor(1)])
one("index_2d_int_tensor", lambda torch: T(torch, 4, 3)[torch.tensor([[0, 1], [1, 2]])])
one("index_row_mask", lambda torch: T(torch, 4, 3)[torch.tensor([True, False, True, False])])
one("index_wrong_mask_size", lambda torch: T(torch, 4)[torch.tensor([True, False])])
one("index_float_tensor_raises", lambda torch: T(torch, 4)[torch.tensor([0.0, 1.0])])
one("index_float_raises", lambda torch: T(torch, 4)[1.0])
one("index_ndarray", lambda torch: T(torch, 4)[np.array([0, 3])])
one("index_int32_tensor", lambda torch: T(torch, 4)[torch.tensor([3, 1], dtype=torch.int32)])
one("index_uint8_tensor_mask", lambda torch: T(torch, 3)[torch.tensor([1, 0, 1], dtype=torch.uint8)])
one("index_mask_and_slice", lambda torch: T(torch, 4, 3)[torch.tensor([True, False, True, True]), 1:])
one("index_list_and_int", lambda torch: T(torch, 4, 3)[[0, 2], 1])
one("index_negative_list", lambda torch: T(torch, 4)[[-1, -2]])
one("index_out_of_range_list", lambda torch: T(torch, 4)[[0, 4]])
one("index_too_many", lambda torch: T(torch, 4)[0, 0])
one("index_empty_list", lambda torch: T(torch, 4, 2)[[]].shape)
one("index_slice_beyond", lambda torch: T(torch, 4)[2:10])
one("index_is_view_column", lambda torch: (lambda x: (x[:, 1].fill_(9.0), x)[1])(T(torch, 2, 3)))
one("setitem_row_broadcast", lambda torch: (lambda x: (x.__setitem__(0, 1.0), x)[1])(T(torch, 2, 3)))
one("r2_setitem_column_tensor", lambda torch:
    (lambda x: (x.__setitem__((slice(None), 0), torch.tensor([5.0, 6.0])), x)[1])(
    T(torch, 2, 3)))
one("setitem_mask_scalar", lambda torch: (lambda x: (x.__setitem__(x > 0, 0.0), x)[1])(T(torch, 3, 3)))
one("setitem_mask_values", lambda torch: (lambda x: (x.__setitem__(torch.tensor([True, False, True]),
                                                                       torch.tensor([7.0, 8.0])), x)[1])(T(torch, 3)))
one("setitem_list", lambda torch: (lambda x: (x.__setitem__([0, 2], -1.0), x)[1])(T(torch, 4)))
one("setitem_repeated_index", lambda torch: (lambda x: (x.__setitem__([0, 0], torch.tensor([1.0, 2.0])), x)[1])(
    torch.zeros(3)))
one("index_iadd_repeated", lambda torch: (lambda x: (x.__setitem__([0, 0], x[[0, 0]] + 1), x)[1])(torch.zeros(3)))
one("setitem_int_tensor_float_value", lambda torch: (lambda x: (x.__setitem__(0, 2.7), x)[1])(torch.tensor([1, 2])))
one("setitem_row_vector_broadcast", lambda torch: (lambda x: (x.__setitem__(slice(0, 2), torch.tensor([1.0, 2.0, 3.0])),
                                                                 x)[1])(torch.zeros(3, 3)))
one("setitem_shape_bad", lambda torch: (lambda x: x.__setitem__(slice(0, 2), torch.tensor([1.0, 2.0, 3.0])))(
    torch.zeros(3, 2)))
one("setitem_ellipsis", lambda torch: (lambda x: (x.__setitem__((Ellipsis, 0), 1.0), x)[1])(torch.zeros(2, 2, 2)))
one("setitem_chained", lambda torch: (lambda x: (x[1].__setitem__(0, 4.0), x)[1])(torch.zeros(2, 2)))


@case
def setitem_grad_value_into_plain(torch):
    w = T(torch, 2, grad=True)
    y = torch.zeros(3)
    y[1:] = w
    y.sum().backward()
    return y.requires_grad, w.grad


@case
def grad_through_bool_mask(torch):
    x = T(torch, 5, grad=True)
    x[x > 0].sum().backward()
    return x.grad


@case
def grad_through_list_index(torch):
    x = T(torch, 3, 2, grad=True)
    (x[[0, 0, 2]] * torch.tensor(A(3, 2, seed=4))).sum().backward()
    return x.grad


one("nonzero_2d", lambda torch: torch.tensor([[0, 1], [2, 0]]).nonzero())
one("nonzero_bool_function", lambda torch: torch.nonzero(torch.tensor([False, True, True])))
one("gather_out_of_range", lambda torch: T(torch, 2, 3).gather(1, torch.tensor([[0], [3]])))
one("gather_int32_index_raises", lambda torch: T(torch, 2, 3).gather(1, torch.tensor([[0], [1]], dtype=torch.int32)))
one("gather_labels_idiom", lambda torch: T(torch, 3, 4).gather(1, torch.tensor([2, 0, 3]).view(-1, 1)).squeeze(1))
one("scatter", lambda torch: torch.zeros(2, 3).scatter(1, torch.tensor([[1], [2]]), 1.0))
one("scatter_add", lambda torch: torch.zeros(3).scatter_add(0, torch.tensor([0, 0, 2]), torch.ones(3)))
one("where_0d_tensors", lambda torch: torch.where(torch.tensor([True, False]), torch.tensor(1.0), torch.tensor(0)))
one("tensor_in_list_index", lambda torch: [10, 20, 30][torch.tensor(1)])
one("numpy_index_with_tensor", lambda torch: np.arange(5)[torch.tensor([1, 3]).numpy()].tolist())


def _scatter_case(torch, add, src_shape=(3, 2), dim=1, index=((0, 1), (2, 0), (1, 3))):
    x, src = T(torch, 3, 4, grad=True), T(torch, *src_shape, seed=1, grad=True)
    idx = torch.tensor(index)
    y = x.scatter_add(dim, idx, src) if add else x.scatter(dim, idx, src)
    (y * torch.tensor(A(3, 4, seed=5))).sum().backward()
    return y, x.grad, src.grad


one("scatter_src", lambda torch: _scatter_case(torch, False))
one("scatter_add_src", lambda torch: _scatter_case(torch, True))
one("scatter_add_repeated", lambda torch: _scatter_case(torch, True, index=((0, 0), (1, 1), (3, 3))))
one("scatter_dim0", lambda torch: _scatter_case(torch, False, (2, 4), 0, ((2, 0, 1, 2), (1, 1, 0, 0))))
one("scatter_add_dim0", lambda torch: _scatter_case(torch, True, (2, 4), 0, ((2, 0, 1, 2), (2, 1, 0, 2))))
one("scatter_src_larger_than_index", lambda torch:
    T(torch, 3, 4).scatter(1, torch.tensor([[0], [2], [1]]), T(torch, 3, 3)))
one("scatter_add_src_larger_than_index", lambda torch:
    T(torch, 3, 4).scatter_add(0, torch.tensor([[0, 2, 1, 1]]), T(torch, 2, 5)))
one("scatter_value", lambda torch: torch.zeros(3, 4).scatter(1, torch.tensor([[0, 1], [2, 0], [1, 3]]), 5.0))
one("scatter_value_kw", lambda torch: torch.zeros(3, 4).scatter(1, torch.tensor([[3], [2], [1]]), value=-1.0))
one("torch_scatter", lambda torch: torch.scatter(torch.zeros(2, 3), 0, torch.tensor([[1, 0, 1]]), T(torch, 1, 3)))
one("torch_scatter_add", lambda torch:
    torch.scatter_add(torch.zeros(2, 3), 1, torch.tensor([[1, 1], [0, 2]]), T(torch, 2, 2)))
one("scatter_int", lambda torch: torch.zeros(2, 3, dtype=torch.long).scatter(1, torch.tensor([[2], [0]]), 7))
one("scatter_one_hot", lambda torch: torch.zeros(3, 4).scatter(1, torch.tensor([2, 0, 3]).unsqueeze(1), 1.0))
one("scatter_index_out_of_range", lambda torch: torch.zeros(3, 4).scatter(1, torch.tensor([[4], [0], [1]]), 1.0))
one("scatter_negative_index", lambda torch: torch.zeros(3, 4).scatter(1, torch.tensor([[-1], [0], [1]]), 1.0))
one("scatter_float_index", lambda torch: torch.zeros(3, 4).scatter(1, torch.tensor([[1.0], [0.0], [1.0]]), 1.0))
one("scatter_dtype_mismatch", lambda torch: torch.zeros(3, 4).scatter(1, torch.tensor([[1], [0], [1]]),
                                                                           torch.ones(3, 1, dtype=torch.float64)))
one("scatter_index_rank", lambda torch: torch.zeros(3, 4).scatter(1, torch.tensor([1, 0, 1]), 1.0))
one("scatter_src_too_small", lambda torch:
    torch.zeros(3, 4).scatter(1, torch.tensor([[1, 2], [0, 1], [1, 3]]), torch.ones(3, 1)))
one("scatter_inplace_one_hot", lambda torch: torch.zeros(3, 4).scatter_(1, torch.tensor([2, 0, 3]).unsqueeze(1), 1))
one("scatter_inplace_returns_self", lambda torch:
    (lambda x: (x.scatter_(0, torch.tensor([1, 0]), T(torch, 2)) is x, x))(
    torch.zeros(3)))
one("scatter_add_inplace", lambda torch:
    torch.ones(2, 3).scatter_add_(1, torch.tensor([[0, 0], [2, 1]]), T(torch, 2, 2)))
one("scatter_inplace_leaf_raises", lambda torch: torch.zeros(3, requires_grad=True).scatter_(0, torch.tensor([1]), 1.0))
one("scatter_inplace_int_value", lambda torch:
    torch.zeros(2, 2, dtype=torch.long).scatter_(1, torch.tensor([[1], [0]]), 2.7))
one("scatter_add_number_raises", lambda torch: torch.zeros(3, 4).scatter_add(1, torch.tensor([[1], [0], [1]]), 1.0))
# issue 26: integers beside index tensors (PyTorch applies the integers first)
one("index_int_slice_tensor", lambda torch: T(torch, 2, 3, 4)[0, :, torch.tensor([1, 0])])
one("index_tensor_slice_int", lambda torch: T(torch, 2, 3, 4)[torch.tensor([1, 0]), :, -1])
one("index_int_none_tensor", lambda torch: T(torch, 2, 3, 4)[1, None, torch.tensor([2, 0])])
one("index_int_ellipsis_bool", lambda torch: T(torch, 2, 3, 4)[0, ..., True])
one("grad_int_slice_tensor", lambda torch: value_and_grad(torch, lambda x: x[0, :, torch.tensor([3, 1, 3])], 2, 3, 4))


@case
def setitem_int_slice_tensor(torch):
    x = T(torch, 2, 3, 4)
    x[0, :, torch.tensor([1, 0])] = torch.tensor(A(3, 2, seed=2))
    return x


ATOMS = {"0": 0, "-1": -1, ":": slice(None), "1:": slice(1, None), "None": None, "...": Ellipsis, "idx": [1, 0],
         "idx2d": [[0], [1]], "mask2": [True, False], "idx0d": 1, "True": True, "range": range(2),
         "mask2x3": [[True, False, True], [False, True, True]]}


def _key(torch, names):
    tensors = {"idx", "idx2d", "mask2", "idx0d", "mask2x3"}
    return tuple(torch.tensor(ATOMS[n]) if n in tensors else ATOMS[n] for n in names)


def _index_everything(torch, names):
    """x[key]'s value and x's gradient, then t[key] = v plain and recorded (gradients of t and v)."""
    x = T(torch, 2, 3, 4, dtype=np.float64, grad=True)
    try:
        y = x[_key(torch, names)]
    except (IndexError, RuntimeError) as exc:  # PyTorch raises IndexError or RuntimeError, minigrad the same
        return type(exc).__name__
    u = A(*y.shape, seed=1, dtype=np.float64)
    (y * torch.tensor(u)).sum().backward()
    plain = T(torch, 2, 3, 4, dtype=np.float64)
    plain[_key(torch, names)] = torch.tensor(-u)
    base, v = T(torch, 2, 3, 4, dtype=np.float64, grad=True), torch.tensor(u, requires_grad=True)
    recorded = base * 1
    recorded[_key(torch, names)] = v
    (recorded * torch.tensor(A(2, 3, 4, seed=2, dtype=np.float64))).sum().backward()
    return [a.detach().numpy() for a in (y, x.grad, plain, recorded, base.grad, v.grad)]


def test_every_mix_of_up_to_three_index_kinds_matches_pytorch():
    """2,341 keys of one to three atoms (integers, slices, None, ..., int, bool and 0-d tensors, a bool scalar,
    a range)."""
    keys = [k for n in (1, 2, 3) for k in itertools.product(ATOMS, repeat=n) if k.count("...") <= 1]
    differ = []
    for names in keys:
        want, got = _index_everything(torch, names), _index_everything(minigrad, names)
        if isinstance(want, str) or isinstance(got, str):
            ok = isinstance(want, str) and isinstance(got, str)
        else:
            ok = all(w.shape == g.shape and np.array_equal(w, g) for w, g in zip(want, got))
        if not ok:
            differ.append(names)
    assert len(keys) == 2341 and not differ, differ[:10]
