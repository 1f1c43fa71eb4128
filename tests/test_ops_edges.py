"""Edge cases of minigrad/ops.py's PyTorch API that no other test reached (each found by a surviving mutant:
docs/testing.md): defaults, the less common argument forms, boundary gradients and exact error messages."""
import re
import warnings

import numpy as np
import pytest

import minigrad
from minigrad.autograd import grad


def test_flatten_defaults_to_all_dims():
    assert minigrad.flatten(minigrad.zeros(2, 3)).shape == (6,)


def test_split_leaves_the_remainder_in_the_last_chunk():
    chunks = minigrad.split(minigrad.arange(5), 2)
    assert [c.tolist() for c in chunks] == [[0, 1], [2, 3], [4]]


def test_clamp_gradient_is_one_on_the_bounds():
    x = minigrad.tensor([0.0, 1.0, 1.5, 2.0, 3.0], requires_grad=True)
    minigrad.clamp(x, min=1.0, max=2.0).sum().backward()
    assert x.grad.tolist() == [0.0, 1.0, 1.0, 1.0, 0.0]


def test_clamp_of_integers_with_float_bounds_is_float32():
    y = minigrad.clamp(minigrad.tensor([1, 2, 3]), min=1.5)
    assert y.dtype == np.float32 and y.tolist() == [1.5, 2.0, 3.0]


def test_where_with_the_condition_alone_gives_int64_indices():
    rows, cols = minigrad.where(minigrad.tensor([[True, False], [False, True]]))
    assert rows.dtype == cols.dtype == np.int64 and rows.tolist() == [0, 1] and cols.tolist() == [0, 1]


def test_argmax_of_a_scalar_is_an_int64_zero():
    i = minigrad.argmax(minigrad.tensor(3.0))
    assert i.dtype == np.int64 and i.shape == () and i.item() == 0


def test_max_of_two_tensors_is_the_elementwise_maximum():
    assert minigrad.max(minigrad.tensor([1.0, 5.0]), minigrad.tensor([3.0, 2.0])).tolist() == [3.0, 5.0]
    assert minigrad.min(minigrad.tensor([1.0, 5.0]), minigrad.tensor([3.0, 2.0])).tolist() == [1.0, 2.0]


def test_cat_skips_legacy_empty_1d_tensors_and_names_mismatched_shapes():
    assert minigrad.cat([minigrad.zeros(0), minigrad.ones(2, 3)]).shape == (2, 3)
    with pytest.raises(RuntimeError, match=re.escape("cat(): sizes of tensors must match except in dimension 0: "
                                                     "got shapes [(2, 3), (2, 4)]")):
        minigrad.cat([minigrad.ones(2, 3), minigrad.ones(2, 4)])


@pytest.mark.parametrize("kwargs", [{"dim": 1, "keepdim": True}, {"axis": 1, "keepdims": True}])
def test_amin_keeps_the_reduced_dim_when_asked(kwargs):
    x = minigrad.tensor([[3.0, 1.0, 2.0], [0.0, 5.0, 4.0]])
    y = minigrad.amin(x, **kwargs)
    assert y.shape == (2, 1) and y.tolist() == [[1.0], [0.0]]


def test_var_over_a_dim_and_biased():
    assert minigrad.var(minigrad.tensor([[1.0, 2.0], [3.0, 5.0]]), 0).tolist() == [2.0, 4.5]
    assert minigrad.var(minigrad.tensor([1.0, 2.0, 4.0]), unbiased=False).item() == pytest.approx(14 / 9, rel=1e-6)
    assert minigrad.var(minigrad.tensor([1.0, 2.0, 4.0]), unbiased=True).item() == pytest.approx(7 / 3, rel=1e-6)


@pytest.mark.parametrize("call,error,message", [
    (lambda: minigrad.ones(2, 3).expand(3), RuntimeError,
     "expand(): the number of sizes provided (1) must be greater or equal to the number of dimensions in the "
     "tensor (2)"),
    (lambda: minigrad.ones(2, 3).transpose(0, 5), IndexError,
     "transpose(): dimension out of range (expected to be in range of [-2, 1], but got 5)"),
    (lambda: minigrad.flatten(minigrad.ones(2, 3), 0, 2), IndexError,
     "flatten(): dimension out of range (expected to be in range of [-2, 1], but got 2)"),
    (lambda: minigrad.split(minigrad.ones(2, 3), 1, dim=2), IndexError,
     "split(): dimension out of range (expected to be in range of [-2, 1], but got 2)"),
    (lambda: minigrad.cat([minigrad.ones(2, 3)], dim=2), IndexError,
     "cat(): dimension out of range (expected to be in range of [-2, 1], but got 2)"),
    (lambda: minigrad.ones(2, 3).unsqueeze(4), IndexError,
     "unsqueeze(): dimension out of range (expected to be in range of [-3, 2], but got 4)"),
    (lambda: minigrad.ones(2, 3).gather(2, minigrad.zeros(2, 3, dtype=minigrad.int64)), IndexError,
     "gather(): dimension out of range (expected to be in range of [-2, 1], but got 2)"),
    (lambda: minigrad.amin(minigrad.ones(2, 3), 2), IndexError,
     "amin(): dimension out of range (expected to be in range of [-2, 1], but got 2)"),
    (lambda: minigrad.ones(2, 3).mean(2), IndexError,
     "mean(): dimension out of range (expected to be in range of [-2, 1], but got 2)"),
    (lambda: minigrad.ones(2, 3).max(dim=5), IndexError,
     "max(): dimension out of range (expected to be in range of [-2, 1], but got 5)"),
    (lambda: minigrad.ones(2, 3).max(dim=0, axis=0), TypeError,
     "max() got both 'dim' and its NumPy alias 'axis'; pass one of them"),
])
def test_errors_name_the_function_and_the_valid_range(call, error, message):
    with pytest.raises(error, match=re.escape(message)):
        call()


def test_max_on_empty_tensors_follows_pytorch():
    with pytest.raises(RuntimeError, match=re.escape("max(): expected a reduction dim to be specified for an input "
                                                     "with 0 elements (shape (0,))")):
        minigrad.zeros(0).max()
    values, indices = minigrad.zeros(0, 3).max(dim=1)
    assert values.shape == indices.shape == (0,)
    with pytest.raises(IndexError, match=re.escape("max(): expected reduction dim 0 to have non-zero size "
                                                   "(shape (0, 3))")):
        minigrad.zeros(0, 3).max(dim=0)


def test_max_over_dim_0_of_a_scalar_is_a_named_pair():
    result = minigrad.tensor(3.0).max(dim=0)
    assert type(result).__name__ == "max" and result.values.item() == 3.0 and result.indices.item() == 0


def test_any_and_argmin_over_a_dim():
    assert minigrad.any(minigrad.tensor([[True, False], [False, False]]), dim=1).tolist() == [True, False]
    assert minigrad.argmin(minigrad.tensor([[3.0, 1.0, 2.0], [0.0, 5.0, 4.0]]), dim=1).tolist() == [1, 0]


def test_equal_and_comparisons_with_none():
    assert minigrad.equal(minigrad.ones(2), minigrad.ones(2)) is True
    assert minigrad.equal(minigrad.ones(2), minigrad.zeros(2)) is False
    t = minigrad.tensor([1.0, 2.0])
    assert (t == None) is False and (t != None) is True  # noqa: E711 (Python's semantics, as PyTorch)


def test_var_with_dim_as_a_keyword():
    assert minigrad.var(minigrad.tensor([[1.0, 2.0], [3.0, 5.0]]), dim=0).tolist() == [2.0, 4.5]


def test_argmax_of_a_scalar_along_dim_0_is_an_int64_zero():
    i = minigrad.argmax(minigrad.tensor(3.0), dim=0)
    assert i.dtype == np.int64 and i.shape == () and i.item() == 0


def test_type_converts_to_a_dtype_or_a_type_name():
    assert minigrad.ones(2).type(minigrad.float64).dtype == np.float64
    assert minigrad.ones(2).type("torch.DoubleTensor").dtype == np.float64
    assert minigrad.ones(2).type() == "torch.FloatTensor"


def test_prod_second_derivative_over_an_empty_dim():
    """The graph-built gradient of prod over a dim of size 0: an empty gradient of the input's shape."""
    x = minigrad.zeros(2, 0, dtype=minigrad.float64, requires_grad=True)
    (g,) = grad([x.prod(dim=1).sum()], [x], create_graph=True)
    assert g.shape == (2, 0)


def test_amin_over_an_empty_dim():
    with pytest.raises(IndexError, match=re.escape("amin(): expected reduction dim 0 to have non-zero size "
                                                   "(shape (0, 3))")):
        minigrad.amin(minigrad.zeros(0, 3), 0)
    assert minigrad.amin(minigrad.zeros(0, 3), 1).shape == (0,)


@pytest.mark.parametrize("kwargs", [{"dim": 1, "keepdim": True}, {"dim": 1, "keepdims": True}])
def test_argmin_keeps_the_reduced_dim_when_asked(kwargs):
    i = minigrad.argmin(minigrad.tensor([[3.0, 1.0, 2.0], [0.0, 5.0, 4.0]]), **kwargs)
    assert i.shape == (2, 1) and i.tolist() == [[1], [0]]


def test_nonzero_as_tuple_gives_int64_indices():
    rows, cols = minigrad.nonzero(minigrad.tensor([[1, 0], [0, 1]]), as_tuple=True)
    assert rows.dtype == cols.dtype == np.int64 and rows.tolist() == [0, 1] and cols.tolist() == [0, 1]


def test_sum_with_a_dtype_converts_first():
    s = minigrad.sum(minigrad.tensor([1, 2]), dtype=minigrad.float64)
    assert s.dtype == np.float64 and s.item() == 3.0


def test_where_takes_a_numpy_condition():
    y = minigrad.where(np.array([True, False]), minigrad.tensor([1.0, 2.0]), minigrad.tensor([3.0, 4.0]))
    assert y.tolist() == [1.0, 4.0]


def test_maximum_splits_the_gradient_of_ties():
    """As PyTorch: where a == b each gets half of the gradient."""
    a = minigrad.tensor([1.0, 2.0], requires_grad=True)
    b = minigrad.tensor([1.0, 3.0], requires_grad=True)
    minigrad.maximum(a, b).sum().backward()
    assert a.grad.tolist() == [0.5, 0.0] and b.grad.tolist() == [0.5, 1.0]


def test_float32_gradients_of_round_and_of_clamps_graph_stay_float32():
    r = minigrad.tensor([1.5, 2.5], requires_grad=True)
    minigrad.round(r).sum().backward()
    assert r.grad.dtype == np.float32 and r.grad.tolist() == [0.0, 0.0]
    c = minigrad.tensor([0.5, 2.0], requires_grad=True)
    (g,) = grad([minigrad.clamp(c, max=1.0).sum()], [c], create_graph=True)
    assert g.dtype == np.float32 and g.tolist() == [1.0, 0.0]


def test_size_plus_a_tuple_is_a_size():
    s = minigrad.ones(2).size() + (3,)
    assert s == (2, 3) and type(s) is type(minigrad.ones(2).size())


@pytest.mark.parametrize("dtype", [np.int32, np.uint8, np.bool_])
def test_cumsum_of_small_integers_is_int64(dtype):
    assert minigrad.cumsum(minigrad.tensor(np.array([1, 0, 1], dtype=dtype)), 0).dtype == np.int64


def test_mean_of_an_empty_tensor_is_nan_without_a_warning():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert np.isnan(minigrad.zeros(0).mean().item())
        assert np.isnan(minigrad.zeros(2, 0).mean(dim=1).numpy()).all()


@pytest.mark.parametrize("dtype", [minigrad.float16, minigrad.float32, minigrad.float64])
@pytest.mark.parametrize("op, expected", [
    (minigrad.relu, [0.0, "g", 0.0, "g", "g"]),
    (lambda x: minigrad.clamp(x, min=0.0), [0.0, "g", "g", "g", 0.0]),
    (lambda x: minigrad.clamp(x, -0.5, 0.5), [0.0, 0.0, "g", 0.0, 0.0]),
])
@pytest.mark.parametrize("create_graph", [False, True])
def test_a_gradient_stopped_by_relu_or_clamp_is_zero_even_when_inf_or_nan(op, expected, dtype, create_graph):
    """PyTorch selects (threshold_backward, clamp_backward): gy where the value passes, else 0, whatever gy is;
    gy * mask would give NaN for an inf or NaN gy where the value is stopped. A NaN input passes its gradient
    through relu, not through clamp (PyTorch 2.13's values, the lists below). The dtype's largest value too: its
    square overflows the finite check of the CPU path, which must then still give g."""
    x = minigrad.tensor([-1.0, 2.0, 0.0, 3.0, float("nan")], dtype=dtype, requires_grad=True)
    for g in (float("inf"), float("-inf"), float("nan"), 1.5, float(np.finfo(dtype).max)):
        gy = minigrad.full((5,), g, dtype=dtype)
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # no "invalid value encountered in multiply"
            (gx,) = grad(op(x), [x], gy, create_graph=create_graph)
        assert gx.dtype == dtype
        want = np.array([g if e == "g" else e for e in expected], dtype=np.float64)
        np.testing.assert_array_equal(gx.numpy().astype(np.float64), want)


@pytest.mark.parametrize("create_graph", [False, True])
def test_maximum_and_minimum_give_a_loser_zero_gradient_even_when_it_is_inf_or_nan(create_graph):
    """PyTorch 2.13's values for x = [-1, 2, 0, 3, nan] against zeros: a loser gets 0, a tie half, NaN all."""
    expected = {  # (op, g): (gx, gzeros)
        ("maximum", "inf"): ([0, "inf", "inf", "inf", "inf"], ["inf", 0, "inf", 0, "inf"]),
        ("maximum", "nan"): ([0, "nan", "nan", "nan", "nan"], ["nan", 0, "nan", 0, "nan"]),
        ("maximum", "1.5"): ([0, 1.5, 0.75, 1.5, 1.5], [1.5, 0, 0.75, 0, 1.5]),
        ("minimum", "inf"): (["inf", 0, "inf", 0, "inf"], [0, "inf", "inf", "inf", "inf"]),
        ("minimum", "nan"): (["nan", 0, "nan", 0, "nan"], [0, "nan", "nan", "nan", "nan"]),
        ("minimum", "1.5"): ([1.5, 0, 0.75, 0, 1.5], [0, 1.5, 0.75, 1.5, 1.5]),
    }
    for (name, g), want in expected.items():
        x = minigrad.tensor([-1.0, 2.0, 0.0, 3.0, float("nan")], requires_grad=True)
        z = minigrad.zeros(5, requires_grad=True)
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            got = grad(getattr(minigrad, name)(x, z), [x, z], minigrad.full((5,), float(g)), create_graph=create_graph)
        for t, w in zip(got, want):
            np.testing.assert_array_equal(t.numpy(), np.array(w, dtype=float), err_msg=f"{name} {g}")
