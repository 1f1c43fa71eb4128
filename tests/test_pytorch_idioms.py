"""Common PyTorch idioms whose meaning minigrad once changed silently (found by the parity tests, tests/parity/);
references are NumPy or values written out here."""
import numpy as np
import pytest

import minigrad
from minigrad import nn


def leaf(values):
    return minigrad.tensor(np.asarray(values, dtype=np.float64), requires_grad=True)


# -- indexing ------------------------------------------------------------------------------------------------

def test_uint8_index_is_a_mask():
    x = minigrad.tensor([10.0, 20.0, 30.0])
    assert x[minigrad.tensor([1, 0, 1], dtype=minigrad.uint8)].tolist() == [10.0, 30.0]
    assert x[minigrad.tensor([1, 0, 1])].tolist() == [20.0, 10.0, 20.0]  # int64: positions


def test_empty_list_index_selects_nothing():
    out = minigrad.zeros(4, 2)[[]]
    assert out.shape == (0, 2) and out.dtype == minigrad.float32


# -- dtypes of reductions and arithmetic ----------------------------------------------------------------------

@pytest.mark.parametrize("dtype", [minigrad.uint8, minigrad.int32, minigrad.bool_], ids=str)
def test_sum_and_prod_of_small_integers_are_int64(dtype):
    values = np.array([[1, 1], [1, 0]]) if dtype == minigrad.bool_ else np.array([[200, 100], [3, 2]])
    x = minigrad.tensor(values.astype(dtype))
    assert x.sum().dtype == minigrad.int64 and x.sum().item() == values.sum()
    assert x.sum(0).tolist() == values.sum(0).tolist() and x.prod(1).dtype == minigrad.int64
    assert x.prod(1).tolist() == values.prod(1).tolist()


def test_minus_on_bool_raises_as_pytorch():
    mask = minigrad.tensor([True, False])
    for make in (lambda: 1 - mask, lambda: mask - mask, lambda: -mask, lambda: minigrad.tensor([1, 2]) - mask):
        with pytest.raises(RuntimeError, match="bool tensor"):
            make()
    assert (~mask).tolist() == [False, True] and mask.logical_not().tolist() == [False, True]


def test_sign_of_bool_and_argmax_of_bool():
    assert minigrad.tensor([True, False]).sign().tolist() == [True, False]
    with pytest.raises(RuntimeError, match="bool"):
        minigrad.tensor([False, True]).argmax()


def test_isclose_and_allclose_need_one_dtype():
    a, b = minigrad.tensor([1.0, 2.0, float("nan")]), minigrad.tensor([1.0 + 1e-7, 2.1, float("nan")])
    assert minigrad.isclose(a, b).tolist() == [True, False, False]
    assert a.isclose(b, equal_nan=True).tolist() == [True, False, True]
    assert not minigrad.allclose(a, b) and minigrad.allclose(a[:1], b[:1])
    with pytest.raises(RuntimeError, match="one dtype"):
        minigrad.allclose(minigrad.tensor([1, 2]), minigrad.tensor([1.0, 2.0]))


def test_reciprocal():
    assert minigrad.tensor([2, 4]).reciprocal().tolist() == [0.5, 0.25]
    assert minigrad.reciprocal(minigrad.tensor([2, 4])).dtype == minigrad.float32


# -- in-place writes -------------------------------------------------------------------------------------------

def test_add_inplace_of_a_value_that_requires_grad_is_recorded():
    """y.add_(w) with w requiring grad goes into the graph, as PyTorch's; under no_grad it is a plain change."""
    y, w = minigrad.zeros(3, dtype=minigrad.float64), leaf([1.0, 2.0, 3.0])
    assert y.add_(w, alpha=2) is y and y.tolist() == [2.0, 4.0, 6.0] and y._version == 1 and y.grad_fn is not None
    (y * minigrad.tensor([1.0, -1.0, 3.0], dtype=minigrad.float64)).sum().backward()
    assert w.grad.tolist() == [2.0, -2.0, 6.0]
    z = minigrad.zeros(3, dtype=minigrad.float64)
    with minigrad.no_grad():
        z.add_(w)
    assert z.tolist() == [1.0, 2.0, 3.0] and not z.requires_grad and z.grad_fn is None


@pytest.mark.parametrize("write", [
    lambda y, v: y.__setitem__(slice(1, 3), v),
    lambda y, v: y.__setitem__(minigrad.tensor([False, True, True, False]), v),
    lambda y, v: y.__setitem__([1, 2], v),
], ids=["slice", "mask", "list"])
def test_writing_a_value_that_requires_grad_is_recorded(write):
    """y[key] = v with v in a graph: y becomes part of it (PyTorch's CopySlices); v gets gy[key]."""
    w = leaf([1.0, 2.0])
    y = minigrad.zeros(4, dtype=minigrad.float64)
    write(y, w * 3)
    assert y.tolist() == [0.0, 3.0, 6.0, 0.0] and y.requires_grad and not y.is_leaf and y._version == 1
    (y * minigrad.tensor([1.0, 2.0, 5.0, 7.0], dtype=minigrad.float64)).sum().backward()
    assert w.grad.tolist() == [6.0, 15.0]


def test_recorded_writes_gradients_and_second_derivatives():
    rng = np.random.default_rng(5)

    def rows(a, b):
        y = minigrad.zeros(3, 4, dtype=minigrad.float64)
        y[0] = a ** 2           # a row
        y[1:, 1:3] = b.exp()    # a block, b broadcast over the rows
        y[2, 0] = 5.0           # a number into a tensor that is now in the graph
        return y * 2

    a, b = leaf(rng.normal(size=4)), leaf(rng.normal(size=2))
    assert minigrad.gradcheck(rows, (a, b)) and minigrad.gradgradcheck(rows, (a, b))

    def overwrite(x):
        y = x * 3
        y[:, 1] = 0.0            # part of a non-leaf overwritten: no gradient there
        return y

    x = leaf(rng.normal(size=(2, 3)))
    assert minigrad.gradcheck(overwrite, (x,))
    overwrite(x).sum().backward()
    assert x.grad.tolist() == [[3.0, 0.0, 3.0]] * 2

    def cast(v):  # a float64 value written into a float32 tensor; its gradient is float64 again
        y = minigrad.zeros(3)
        y[:2] = v
        return y

    v = leaf([1.0, 2.0])
    (cast(v) * minigrad.tensor([2.0, 3.0, 4.0])).sum().backward()
    assert v.grad.dtype == minigrad.float64 and v.grad.tolist() == [2.0, 3.0]


def test_copy_of_a_value_that_requires_grad_is_recorded():
    w = leaf([1.0, 2.0, 3.0])
    y = minigrad.zeros(3)
    assert y.copy_(w * 2) is y and y.dtype == minigrad.float32 and y.requires_grad
    (y * minigrad.tensor([1.0, 0.0, 2.0])).sum().backward()
    assert w.grad.tolist() == [2.0, 0.0, 4.0]


def test_recorded_write_refused_for_views_and_caught_at_backward_after_a_use_that_saved_it():
    w = leaf([1.0, 2.0, 3.0])
    y = minigrad.zeros(2, 3, dtype=minigrad.float64)
    row = y[1]  # a view taken before the write would not see it
    with pytest.raises(RuntimeError, match="view"):
        y[1] = w
    with pytest.raises(RuntimeError, match="view"):
        row[0] = w[0]  # a write into a view would not reach y's graph
    used = minigrad.zeros(3, dtype=minigrad.float64)
    z = used * w  # a recorded op refers to `used` and saved it: its backward raises after the write, as PyTorch's
    used[0] = w[0]
    assert used.tolist() == [1.0, 0.0, 0.0] and z.tolist() == [0.0, 0.0, 0.0]
    with pytest.raises(RuntimeError, match=r"input 0 of MulBackward .* is at version 1; expected version 0"):
        z.sum().backward()
    fresh = minigrad.zeros(3, dtype=minigrad.float64)
    plain = fresh + 1  # not recorded: nothing refers to `fresh` in a graph
    fresh[0] = w[0]
    assert plain.tolist() == [1.0, 1.0, 1.0] and fresh.requires_grad


def test_write_into_an_output_that_backward_reads_raises_at_backward():
    y = leaf([0.5, 1.0]).exp()  # exp's backward reads its output
    y[0] = 1.0
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.sum().backward()


def test_in_place_casting_and_broadcast_errors_are_runtime_errors():
    with pytest.raises(RuntimeError, match="int64"):
        minigrad.tensor([1, 2]).add_(1.5)
    with pytest.raises(RuntimeError, match="int64"):
        minigrad.tensor([1, 2]).div_(2)
    with pytest.raises(RuntimeError, match=r"shape \(3, 1\)"):
        minigrad.zeros(3, 1).add_(minigrad.ones(3, 3))


def test_masked_fill_in_place():
    x = minigrad.tensor([1.0, -2.0, 3.0])
    assert x.masked_fill_(x < 0, 0.0) is x and x.tolist() == [1.0, 0.0, 3.0] and x._version == 1
    n = minigrad.tensor([1, 2])
    n.masked_fill_(minigrad.tensor([True, False]), 2.7)
    assert n.tolist() == [2, 2] and n.dtype == minigrad.int64
    with pytest.raises(RuntimeError, match="leaf"):
        leaf([1.0]).masked_fill_(minigrad.tensor([True]), 0.0)


# -- clamp with tensor bounds ----------------------------------------------------------------------------------

def test_clamp_with_tensor_bounds_values():
    rng = np.random.default_rng(0)
    x, lo, hi = rng.normal(size=(3, 4)), rng.normal(size=4) - 0.5, rng.normal(size=(3, 1)) + 0.5
    got = minigrad.tensor(x).clamp(minigrad.tensor(lo), minigrad.tensor(hi))
    np.testing.assert_array_equal(got.numpy(), np.minimum(np.maximum(x, lo), hi))
    np.testing.assert_array_equal(minigrad.clamp(minigrad.tensor(x), min=minigrad.tensor(lo)).numpy(),
                                  np.maximum(x, lo))
    ints = minigrad.tensor([1, 5]).clamp(max=minigrad.tensor([2.5, 2.5]))
    assert ints.dtype == minigrad.float32 and ints.tolist() == [1.0, 2.5]
    assert minigrad.tensor([0.0, 3.0]).clamp(minigrad.tensor(2.0), minigrad.tensor(1.0)).tolist() == [1.0, 1.0]


def test_clamp_with_tensor_bounds_gradient():
    rng = np.random.default_rng(1)
    x, lo, hi = leaf(rng.normal(size=(3, 4))), leaf(rng.normal(size=4) - 0.5), leaf(rng.normal(size=(3, 1)) + 0.5)
    assert minigrad.gradcheck(lambda a, b, c: a.clamp(b, c), (x, lo, hi))
    # at a tie the value gets the gradient, the bound none (PyTorch's rule)
    x, lo = leaf([-1.0, 0.0, 1.0]), leaf([0.0, 0.0, 0.0])
    x.clamp(min=lo).sum().backward()
    assert x.grad.tolist() == [0.0, 1.0, 1.0] and lo.grad.tolist() == [1.0, 0.0, 0.0]


# -- sort, argsort, topk, unique -------------------------------------------------------------------------------

def test_sort_matches_a_stable_numpy_sort():
    x = np.array([[3.0, 1.0, 2.0, 1.0], [0.5, np.nan, -1.0, 0.5]])
    values, indices = minigrad.sort(minigrad.tensor(x))
    order = np.argsort(x, axis=1, kind="stable")
    np.testing.assert_array_equal(indices.numpy(), order)
    np.testing.assert_array_equal(values.numpy(), np.take_along_axis(x, order, 1))
    desc = minigrad.tensor(x).sort(dim=1, descending=True)
    # descending: NaN first (the largest), ties in their original order
    assert desc.indices.tolist() == [[0, 2, 1, 3], [1, 0, 3, 2]] and desc.values.dtype == minigrad.float64
    assert minigrad.tensor([2, 1, 2, 1, 0]).sort(descending=True, stable=True).indices.tolist() == [0, 2, 1, 3, 4]
    np.testing.assert_array_equal(minigrad.argsort(minigrad.tensor(x), dim=0).numpy(), np.argsort(x, 0, kind="stable"))


def test_topk_values_indices_and_gradient():
    x = np.array([[1.0, 5.0, 3.0, 4.0], [2.0, -1.0, 7.0, 0.0]])
    top = minigrad.tensor(x).topk(2)
    assert top.indices.tolist() == [[1, 3], [2, 0]] and top.values.tolist() == [[5.0, 4.0], [7.0, 2.0]]
    low = minigrad.topk(minigrad.tensor(x), 3, dim=1, largest=False)
    assert low.indices.tolist() == [[0, 2, 3], [1, 3, 0]]
    assert minigrad.tensor(x).topk(1, dim=0).indices.tolist() == [[1, 0, 1, 0]]
    with pytest.raises(RuntimeError, match="out of range"):
        minigrad.tensor(x).topk(5)
    rng = np.random.default_rng(2)
    assert minigrad.gradcheck(lambda a: a.topk(2, dim=1).values, (leaf(rng.normal(size=(3, 5))),))
    assert minigrad.gradcheck(lambda a: minigrad.sort(a, dim=0, descending=True).values,
                              (leaf(rng.normal(size=(4, 3))),))


def test_unique():
    x = np.array([[3, 1], [3, 2]])
    values, inverse, counts = minigrad.unique(minigrad.tensor(x), return_inverse=True, return_counts=True)
    ref_values, ref_inverse, ref_counts = np.unique(x, return_inverse=True, return_counts=True)
    assert values.tolist() == ref_values.tolist() and counts.tolist() == ref_counts.tolist()
    assert inverse.tolist() == ref_inverse.reshape(x.shape).tolist() and inverse.dtype == minigrad.int64
    assert minigrad.tensor([2.0, 1.0, 2.0]).unique().tolist() == [1.0, 2.0]
    with pytest.raises(NotImplementedError, match="dim="):
        minigrad.tensor([1]).unique(dim=0)


# -- shapes and attributes -------------------------------------------------------------------------------------

def test_unflatten_and_is_contiguous():
    x = minigrad.arange(24).reshape(2, 12)
    assert x.unflatten(1, (3, 4)).shape == (2, 3, 4) and minigrad.unflatten(x, -1, (-1, 6)).shape == (2, 2, 6)
    np.testing.assert_array_equal(x.unflatten(1, (3, 4)).numpy(), np.arange(24).reshape(2, 3, 4))
    assert x.is_contiguous() and not x.t().is_contiguous() and x.t().contiguous().is_contiguous()


def test_attributes():
    x = minigrad.zeros(2)
    assert x.element_size() == 4 and minigrad.tensor([1]).element_size() == 8
    assert x.is_cuda is False and minigrad.is_floating_point(x) and not minigrad.is_floating_point(minigrad.tensor([1]))
    assert minigrad.get_default_dtype() == minigrad.float32 == minigrad.tensor([0.5]).dtype


# -- modules -----------------------------------------------------------------------------------------------------

def test_state_dict_lists_a_shared_layer_under_each_name():
    layer = nn.Linear(2, 2)
    net = nn.Sequential(layer, nn.ReLU(), layer)
    assert list(net.state_dict()) == ["0.weight", "0.bias", "2.weight", "2.bias"]
    assert len(list(net.parameters())) == 2  # parameters() still lists each tensor once
    other = nn.Sequential(nn.Linear(2, 2), nn.ReLU(), nn.Linear(2, 2))
    other.load_state_dict(net.state_dict())
    np.testing.assert_array_equal(other[2].weight.numpy(), layer.weight.numpy())
    net.load_state_dict(other.state_dict())  # loading into the shared layer: both names land in one tensor
    with pytest.raises(RuntimeError, match="missing keys: 2.weight"):
        net.load_state_dict({"0.weight": layer.weight, "0.bias": layer.bias, "2.bias": layer.bias})


# -- cross_entropy / nll_loss with weight, ignore_index, label_smoothing ----------------------------------------

def reference_loss(z, t, weight=None, ignore_index=-100, smoothing=0.0, reduction="mean"):
    """PyTorch's documented formula, in NumPy: per sample (1-e) w[t] (-logp[t]) + e/K sum_k w_k (-logp[k]),
    0 for an ignored target; 'mean' divides by the sum of w[t] over the kept targets."""
    logp = z - z.max(1, keepdims=True)
    logp = logp - np.log(np.exp(logp).sum(1, keepdims=True))
    k = z.shape[1]
    w = np.ones(k) if weight is None else np.asarray(weight)
    kept = t != ignore_index
    safe = np.where(kept, t, 0)
    c = w[safe] * kept
    nll = -logp[np.arange(len(t)), safe] * c
    smooth = -(logp * w).sum(1) * kept
    per = (1 - smoothing) * nll + smoothing / k * smooth
    if reduction == "none":
        return per
    return per.sum() if reduction == "sum" else per.sum() / c.sum()


CASES = [dict(), dict(weight=[0.2, 1.0, 3.0]), dict(weight=[0.2, 1.0, 3.0], ignore_index=1), dict(smoothing=0.2),
         dict(smoothing=0.1, weight=[0.5, 2.0, 1.0], ignore_index=0)]


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("case", CASES, ids=lambda c: ",".join(c) or "ignore")
def test_cross_entropy_weight_ignore_index_label_smoothing(case, reduction):
    rng = np.random.default_rng(3)
    z, t = rng.normal(size=(6, 3)) * 2, np.array([0, 2, -100, 1, 2, 0])
    kwargs = {"ignore_index": case.get("ignore_index", -100), "label_smoothing": case.get("smoothing", 0.0),
              "weight": None if "weight" not in case else minigrad.tensor(case["weight"], dtype=minigrad.float64)}
    if kwargs["ignore_index"] != -100:
        t[2] = 0
    got = nn.functional.cross_entropy(leaf(z), minigrad.tensor(t), reduction=reduction, **kwargs)
    np.testing.assert_allclose(got.numpy(), reference_loss(z, t, case.get("weight"), kwargs["ignore_index"],
                                                           kwargs["label_smoothing"], reduction), rtol=1e-12)
    module = nn.CrossEntropyLoss(reduction=reduction, **kwargs)
    np.testing.assert_allclose(module(leaf(z), minigrad.tensor(t)).numpy(), got.numpy(), rtol=1e-14)
    assert minigrad.gradcheck(lambda a: nn.functional.cross_entropy(a, minigrad.tensor(t), reduction=reduction,
                                                                    **kwargs), (leaf(z),))
    assert minigrad.gradgradcheck(lambda a: nn.functional.cross_entropy(a, minigrad.tensor(t), reduction=reduction,
                                                                        **kwargs), (leaf(z),))


def test_nll_loss_weight_and_ignore_index():
    rng = np.random.default_rng(4)
    logp, t, w = rng.normal(size=(5, 4)), np.array([3, 0, 1, 1, 2]), np.array([1.0, 0.5, 2.0, 0.25])
    kept = t != 1
    per = -logp[np.arange(5), t] * w[t] * kept
    weight = minigrad.tensor(w)
    got = nn.functional.nll_loss(leaf(logp), minigrad.tensor(t), weight, ignore_index=1)
    np.testing.assert_allclose(got.numpy(), per.sum() / (w[t] * kept).sum(), rtol=1e-12)
    got = nn.NLLLoss(weight, ignore_index=1, reduction="none")(leaf(logp), minigrad.tensor(t))
    np.testing.assert_allclose(got.numpy(), per, rtol=1e-12)
    assert minigrad.gradcheck(lambda a: nn.functional.nll_loss(a, minigrad.tensor(t), weight, ignore_index=1),
                              (leaf(logp),))


def test_every_target_ignored_gives_nan_and_zero_gradients():
    z = leaf(np.ones((3, 2)))
    loss = nn.functional.cross_entropy(z, minigrad.tensor([-100, -100, -100]))
    loss.backward()
    assert np.isnan(loss.item()) and z.grad.tolist() == [[0.0, 0.0]] * 3


def test_class_index_loss_arguments_checked():
    z = minigrad.zeros(2, 3)
    with pytest.raises(IndexError, match=r"or be ignore_index=0, got values in \[-1, 2\]"):
        nn.functional.cross_entropy(z, minigrad.tensor([-1, 2]), ignore_index=0)
    assert list(nn.CrossEntropyLoss(weight=minigrad.ones(3)).state_dict()) == ["weight"]
    assert list(nn.CrossEntropyLoss().state_dict()) == []


# -- tensor hooks ----------------------------------------------------------------------------------------------

def test_register_hook_replaces_the_gradient_before_it_goes_on():
    x = leaf([1.0, 2.0, 3.0])
    y = x * 2
    y.retain_grad()
    seen = []
    y.register_hook(lambda g: seen.append(g.tolist()))
    y.register_hook(lambda g: g * 10)
    (y * 3 + y).sum().backward()  # two paths into y: the hook sees their sum, once
    assert seen == [[4.0, 4.0, 4.0]] and y.grad.tolist() == [40.0] * 3 and x.grad.tolist() == [80.0] * 3


def test_register_hook_on_a_leaf_handle_remove_and_refusals():
    x = leaf([1.0, -1.0])
    handle = x.register_hook(lambda g: g.clamp(-0.5, 0.5))
    (x * 4).sum().backward()
    assert x.grad.tolist() == [0.5, 0.5]
    handle.remove()
    (x * 4).sum().backward()
    assert x.grad.tolist() == [4.5, 4.5]
    with pytest.raises(RuntimeError, match="doesn't require gradient"):
        minigrad.zeros(2).register_hook(lambda g: g)
    handle = x.register_hook(lambda g: g.sum())
    with pytest.raises(RuntimeError, match=r"expected None or a tensor of shape \(2,\)"):
        (x * 1).sum().backward()
    handle.remove()
    # PyTorch: RuntimeError "hook '<lambda>' has changed the type of value (was torch.DoubleTensor got ...Float...)"
    x.register_hook(lambda g: g.float())
    with pytest.raises(RuntimeError, match=r"returned Tensor of shape \(2,\), dtype float32 on cpu; expected None "
                                           r"or a tensor of shape \(2,\), dtype float64 on cpu"):
        (x * 1).sum().backward()


def test_register_hook_with_autograd_grad_and_create_graph():
    x = leaf([1.0, 2.0])
    y = x ** 3
    y.register_hook(lambda g: g * x)  # a hook built from x: part of the graph with create_graph
    (g,) = minigrad.autograd.grad(y.sum(), x, create_graph=True)
    np.testing.assert_allclose(g.numpy(), 3 * np.array([1.0, 2.0]) ** 3)  # 3 x^2 * x
    g.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 9 * np.array([1.0, 2.0]) ** 2)


# -- the D2L book's spellings and other small forms ------------------------------------------------------------

def test_cumsum_takes_numpys_axis_as_the_book_writes():
    a = np.arange(6.0).reshape(2, 3)
    np.testing.assert_array_equal(minigrad.tensor(a).cumsum(axis=0).numpy(), a.cumsum(0))
    with pytest.raises(TypeError, match="'dim'"):
        minigrad.tensor(a).cumsum()


def test_masked_select_broadcasts_and_is_differentiable():
    x = np.array([[1.0, -2.0, 3.0], [-4.0, 5.0, -6.0]])
    mask = np.array([True, False, True])
    np.testing.assert_array_equal(minigrad.tensor(x).masked_select(minigrad.tensor(mask)).numpy(),
                                  np.broadcast_to(x, (2, 3))[np.broadcast_to(mask, (2, 3))])
    assert minigrad.gradcheck(lambda a: minigrad.masked_select(a, minigrad.tensor(x > 0)), (leaf(x),))


def test_cross_entropy_of_one_unbatched_sample():
    z = np.array([0.5, -1.0, 2.0, 0.0])
    expected = np.log(np.exp(z).sum()) - z[2]
    got = nn.functional.cross_entropy(leaf(z), minigrad.tensor(2))
    assert got.shape == () and np.isclose(got.item(), expected)
    assert nn.functional.cross_entropy(leaf(z), minigrad.tensor(2), reduction="none").shape == ()
    assert minigrad.gradcheck(lambda a: nn.functional.cross_entropy(a, minigrad.tensor(2)), (leaf(z),))


def test_integer_negative_power_and_python_number_errors_have_pytorchs_types():
    with pytest.raises(RuntimeError, match="Integers to negative integer powers"):
        minigrad.tensor([1, 2]) ** -1
    with pytest.raises(RuntimeError, match="Integers to negative integer powers"):
        minigrad.tensor([2, 3]) ** minigrad.tensor([1, -1])
    assert (minigrad.tensor([1.0, 2.0]) ** -1).tolist() == [1.0, 0.5]
    with pytest.raises(ValueError, match="only one element"):
        float(minigrad.tensor([1.0, 2.0]))
    with pytest.raises(ValueError, match="only one element"):
        int(minigrad.tensor([1, 2]))
    assert float(minigrad.tensor([[2.5]])) == 2.5 and int(minigrad.tensor(-3.9)) == -3


def test_sequential_editing_renumbers_as_pytorch():
    a, b, c, d = nn.Linear(2, 2), nn.ReLU(), nn.Tanh(), nn.Sigmoid()
    net = nn.Sequential(a, b)
    net[1] = c
    assert list(net._modules) == ["0", "1"] and net[1] is c
    net.insert(-1, b)  # before the last, as list.insert
    assert [m for m in net] == [a, b, c]
    net.extend([d])
    del net[0]
    assert [m for m in net] == [b, c, d] and list(net._modules) == ["0", "1", "2"]
    assert net.pop(1) is c and [m for m in net] == [b, d]
    assert [n for n, _ in nn.Sequential(a, b).named_parameters()] == ["0.weight", "0.bias"]
    with pytest.raises(IndexError):
        net.insert(5, c)


def test_batch_norm_reset_running_stats_and_parameters():
    bn = nn.BatchNorm1d(2)
    bn(minigrad.tensor(np.array([[1.0, 2.0], [3.0, 5.0]], dtype=np.float32)))
    with minigrad.no_grad():
        bn.weight.fill_(3.0)
    bn.reset_running_stats()
    assert bn.running_mean.tolist() == [0.0, 0.0] and bn.running_var.tolist() == [1.0, 1.0]
    assert bn.num_batches_tracked.item() == 0 and bn.weight.tolist() == [3.0, 3.0]
    bn.reset_parameters()
    assert bn.weight.tolist() == [1.0, 1.0] and bn.bias.tolist() == [0.0, 0.0] and bn.weight.requires_grad


def test_integer_tensor_as_a_python_index():
    assert [10, 20, 30][minigrad.tensor(1)] == 20 and list(range(minigrad.tensor([3]))) == [0, 1, 2]
    with pytest.raises(TypeError, match="integer tensors of a single element"):
        [1, 2][minigrad.tensor(1.0)]
    with pytest.raises(TypeError, match="integer tensors of a single element"):
        range(minigrad.tensor([1, 2]))


def test_softmax_of_integers_raises_unless_a_dtype_is_given():
    with pytest.raises(NotImplementedError, match="int64"):
        minigrad.softmax(minigrad.tensor([1, 2]), dim=0)
    got = nn.functional.softmax(minigrad.tensor([1, 2]), dim=0, dtype=minigrad.float64)
    np.testing.assert_allclose(got.numpy(), np.exp([1, 2]) / np.exp([1, 2]).sum(), rtol=1e-14)


def test_detach_in_place():
    x = leaf([1.0, 2.0])
    y = x * 2
    assert y.detach_() is y and not y.requires_grad and y.is_leaf and y.grad_fn is None
    assert x.detach_() is x and not x.requires_grad
    with pytest.raises(RuntimeError, match="views in-place"):
        (leaf([1.0, 2.0]) * 2)[1:].detach_()


def test_batchnorm_bias_false_keeps_the_scale_and_drops_the_shift_as_pytorch_2_13():
    bn = nn.BatchNorm2d(3, bias=False)
    assert [name for name, _ in bn.named_parameters()] == ["weight"] and bn.bias is None
    assert repr(bn) == "BatchNorm2d(3, eps=1e-05, momentum=0.1, affine=True, bias=False, track_running_stats=True)"
    assert repr(nn.BatchNorm1d(4, affine=False)) == (
        "BatchNorm1d(4, eps=1e-05, momentum=0.1, affine=False, bias=False, track_running_stats=True)")
    assert "bias=True" in repr(nn.SyncBatchNorm(3)) and nn.SyncBatchNorm(3, bias=False).bias is None
    x_np = np.random.default_rng(0).normal(2.0, 3.0, (4, 3, 2, 2))
    with minigrad.no_grad():
        bn.weight.copy_(minigrad.tensor([1.0, 2.0, -1.0]))
    y = bn(minigrad.tensor(x_np.astype(np.float32)))
    x_hat = (x_np - x_np.mean((0, 2, 3), keepdims=True)) / np.sqrt(x_np.var((0, 2, 3), keepdims=True) + 1e-5)
    np.testing.assert_allclose(y.numpy(), x_hat * np.array([1.0, 2.0, -1.0]).reshape(1, 3, 1, 1), atol=1e-5)
    y.sum().backward()
    assert bn.weight.grad.shape == (3,)
    converted = nn.SyncBatchNorm.convert_sync_batchnorm(nn.Sequential(nn.BatchNorm2d(3, bias=False)))
    assert converted[0].bias is None and [n for n, _ in converted.named_parameters()] == ["0.weight"]
    with pytest.raises(TypeError, match="bias must be a bool"):
        nn.BatchNorm2d(3, bias="no")
