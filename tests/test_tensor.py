"""Tensor construction, dtypes, devices, conversions, comparisons and shape-naming errors."""
import numpy as np
import pytest

import minigrad
from minigrad import Tensor

CUDA = minigrad.cuda.is_available()


# ---------------------------------------------------------------------------
# Construction and dtypes

@pytest.mark.parametrize("data, dtype", [
    (1.5, minigrad.float32),
    ([1.0, 2.0], minigrad.float32),
    ([[1, 2.5]], minigrad.float32),       # mixed ints and floats: float
    (3, minigrad.int64),
    ([1, 2, 3], minigrad.int64),
    ([True, False], minigrad.bool_),
    (np.zeros(2), minigrad.float64),      # arrays keep their dtype
    (np.zeros(2, dtype=np.float16), minigrad.float16),
    (np.arange(3, dtype=np.int32), minigrad.int32),
    (np.float64(2.0), minigrad.float64),
], ids=repr)
def test_default_dtypes(data, dtype):
    t = minigrad.tensor(data)
    assert t.dtype == dtype
    np.testing.assert_array_equal(t.numpy(), np.asarray(data))
    assert isinstance(t.numpy(), np.ndarray)


@pytest.mark.parametrize("data", [[1, 2, 3], [[True, False]], [1.5, 2], ((1, 2), (3, 4))], ids=repr)
def test_tensor_class_makes_float32_from_python_data(data):
    """torch.Tensor is the float32 tensor type: torch.Tensor([1, 2]) holds 1.0 and 2.0."""
    t = Tensor(data)
    assert t.dtype == minigrad.float32
    np.testing.assert_array_equal(t.numpy(), np.asarray(data, dtype=np.float32))


@pytest.mark.parametrize("number", [3, 2.5, True], ids=repr)
def test_tensor_class_refuses_a_bare_number(number):
    """torch.Tensor(3) is an uninitialised tensor of 3 elements; minigrad does not read 3 as data."""
    with pytest.raises(TypeError, match="uninitialised"):
        Tensor(number)
    assert Tensor(number, dtype=minigrad.float64).shape == ()


def test_tensor_class_keeps_an_arrays_dtype():
    for arr in (np.zeros(2), np.arange(3, dtype=np.int32), np.float64(2.0)):
        assert Tensor(arr).dtype == np.asarray(arr).dtype


@pytest.mark.parametrize("dtype", ["float64", minigrad.float64, np.float64, np.dtype("float64"), float],
                         ids=repr)
def test_dtype_spellings(dtype):
    for make in (Tensor, minigrad.tensor):
        t = make([1, 2], dtype=dtype)
        assert t.dtype == np.float64
        assert t.tolist() == [1.0, 2.0]


def test_python_float_with_float64_dtype_keeps_precision():
    assert Tensor(0.1, dtype="float64").item() == 0.1


@pytest.mark.parametrize("dtype", ["not_a_dtype", "floaty64", object()], ids=repr)
def test_unknown_dtype_raises_type_error(dtype):
    with pytest.raises(TypeError, match="dtype"):
        Tensor([1.0], dtype=dtype)


def test_unconvertible_data_raises_type_error():
    with pytest.raises(TypeError):
        Tensor(["a", "b"])
    with pytest.raises(ValueError, match="inhomogeneous"):
        Tensor([[1, 2], [3]])  # ragged


def test_requires_grad_needs_a_floating_dtype():
    with pytest.raises(RuntimeError, match="int64"):
        minigrad.tensor([1, 2], requires_grad=True)
    with pytest.raises(RuntimeError):
        minigrad.tensor([1, 2]).requires_grad_()
    t = Tensor([1, 2], dtype=minigrad.float32, requires_grad=True)
    assert t.requires_grad and t.is_leaf and t.grad is None


def test_tensor_constructor_shares_numpy_memory_but_tensor_copies():
    arr = np.arange(3.0)
    shared = Tensor(arr)
    copied = minigrad.tensor(arr)
    copied_from_tensor = minigrad.tensor(shared)
    arr[0] = 42.0
    assert shared.numpy()[0] == 42.0
    assert copied.numpy()[0] == 0.0
    assert copied_from_tensor.numpy()[0] == 0.0
    assert copied.dtype == minigrad.float64  # an array keeps its dtype


def test_conversions():
    t = minigrad.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    assert t.shape == (2, 3) and isinstance(t.shape, tuple)
    assert t.ndim == 2 and t.dim() == 2 and len(t) == 2 and t.numel() == 6
    assert t.size() == (2, 3) and isinstance(t.size(), minigrad.Size) and t.size().numel() == 6
    assert t.size(1) == 3 and t.size(-2) == 2
    assert t.tolist() == [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]
    n = t.numpy()
    assert isinstance(n, np.ndarray) and n.dtype == np.float32
    np.testing.assert_array_equal(n, [[1, 2, 3], [4, 5, 6]])
    np.testing.assert_array_equal(np.asarray(t, dtype=np.float64), n)
    s = t.sum()
    assert s.shape == () and s.ndim == 0
    assert s.item() == 21.0 and isinstance(s.item(), float)
    assert float(s) == 21.0 and int(minigrad.tensor(7)) == 7
    assert minigrad.tensor([[3]]).item() == 3
    with pytest.raises(RuntimeError, match=r"\(2, 3\)"):  # PyTorch: RuntimeError
        t.item()
    with pytest.raises(TypeError):
        len(s)


def test_bool_of_tensors():
    assert bool(minigrad.tensor([1.0]))
    assert not bool(minigrad.tensor(0.0))
    with pytest.raises(RuntimeError, match="ambiguous"):
        bool(minigrad.tensor([1.0, 2.0]))


def test_zero_and_fill_in_place():
    t = minigrad.tensor([1.0, 2.0])
    assert t.fill_(3.0) is t and t.tolist() == [3.0, 3.0]
    assert t.zero_() is t and t.tolist() == [0.0, 0.0]


def test_repr_shows_values_and_autograd_state():
    assert repr(minigrad.tensor([1.0, 2.0])) == "tensor([1., 2.])"
    x = minigrad.tensor([1.0], dtype=minigrad.float64, requires_grad=True)
    assert "dtype=float64" in repr(x) and "requires_grad=True" in repr(x)
    assert "grad_fn=<MulBackward>" in repr(x * 2.0)


# ---------------------------------------------------------------------------
# Creation functions

def test_creation_functions():
    z = minigrad.zeros(2, 3)
    assert z.shape == (2, 3) and z.dtype == minigrad.float32 and z.tolist() == [[0.0] * 3] * 2
    assert minigrad.ones((2,), dtype=minigrad.float64).tolist() == [1.0, 1.0]
    assert minigrad.ones(2).dtype == minigrad.float32
    f = minigrad.full((2, 2), 7.0)
    assert f.shape == (2, 2) and f.dtype == minigrad.float32 and f.tolist() == [[7.0, 7.0]] * 2
    assert minigrad.arange(4).tolist() == [0, 1, 2, 3] and minigrad.arange(4).dtype == minigrad.int64
    assert minigrad.arange(1, 7, 2).tolist() == [1, 3, 5]
    like = minigrad.zeros_like(minigrad.tensor([1, 2]))
    assert like.dtype == minigrad.int64 and like.tolist() == [0, 0]
    w = minigrad.ones_like(minigrad.tensor([1.0]), requires_grad=True)
    assert w.requires_grad and w.tolist() == [1.0]


def test_random_creation_is_seeded():
    minigrad.manual_seed(3)
    a = minigrad.randn(3, 2)
    minigrad.manual_seed(3)
    b = minigrad.randn(3, 2)
    assert a.dtype == minigrad.float32 and a.shape == (3, 2)
    np.testing.assert_array_equal(a.numpy(), b.numpy())
    r = minigrad.rand(1000)
    assert 0.0 <= r.numpy().min() and r.numpy().max() < 1.0


# ---------------------------------------------------------------------------
# Devices

def test_cpu_device_compares_with_strings():
    t = minigrad.tensor([1.0])
    assert str(t.device) == "cpu"
    assert t.device == "cpu" and "cpu" == t.device
    assert t.device == minigrad.device("cpu")
    assert t.device != "cuda" and t.device != "bogus"
    assert t.to("cpu") is t and t.cpu() is t and t.to(device="cpu") is t
    assert t.to(minigrad.device("cpu")) is t


def test_device_parsing():
    d = minigrad.device("cuda:1")
    assert (d.type, d.index) == ("cuda", 1) and str(d) == "cuda:1"
    assert minigrad.device("cuda") == "cuda:0" and minigrad.device("cuda").index == 0
    assert minigrad.device("CPU").type == "cpu" and minigrad.device("cpu").index is None
    assert minigrad.device(d) == d and hash(minigrad.device("cuda:1")) == hash(d)
    assert minigrad.device("cuda:1") != minigrad.device("cuda:0")


@pytest.mark.parametrize("spec", ["gpu", "cuda:x", "cuda:-1", "cpu:0", "tpu:0", ""])
def test_bad_device_strings_raise_value_error(spec):
    with pytest.raises(ValueError, match="device"):
        minigrad.device(spec)


def test_device_of_wrong_type_raises_type_error():
    with pytest.raises(TypeError):
        minigrad.device(0)


def test_cuda_is_available_is_a_bool():
    assert isinstance(minigrad.cuda.is_available(), bool)
    assert isinstance(minigrad.cuda.device_count(), int)
    assert (minigrad.cuda.device_count() > 0) == minigrad.cuda.is_available()


@pytest.mark.skipif(CUDA, reason="CUDA is available here")
@pytest.mark.parametrize("make", [
    lambda: Tensor([1.0], device="cuda"),
    lambda: minigrad.tensor([1.0], device="cuda:0"),
    lambda: minigrad.zeros(2, device="cuda"),
    lambda: minigrad.tensor([1.0]).to("cuda"),
    lambda: minigrad.tensor([1.0]).cuda(),
], ids=["Tensor", "tensor", "zeros", "to", "cuda"])
def test_cuda_request_without_cuda_explains_itself(make):
    with pytest.raises(RuntimeError) as info:
        make()
    message = str(info.value)
    assert "CUDA is not available" in message
    assert "CuPy" in message
    assert "pip install" in message and "device='cpu'" in message
    assert minigrad.backend.cuda_unavailable_reason() in message


@pytest.mark.gpu
def test_tensor_moves_between_devices():
    x = minigrad.tensor([1.0, 2.0], dtype=minigrad.float64, requires_grad=True)
    y = x.to("cuda")
    assert y.device == "cuda:0" and y.dtype == minigrad.float64
    assert y.to("cuda") is y
    z = (y * y).cpu()
    assert z.device == "cpu"
    z.sum().backward()
    assert x.grad.device == "cpu"
    np.testing.assert_array_equal(x.grad.numpy(), [2.0, 4.0])
    with pytest.raises(RuntimeError, match="same device"):
        x + y


# ---------------------------------------------------------------------------
# Comparisons and argmax (no gradient)

def test_comparisons_return_bool_tensors_without_grad():
    x = minigrad.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = minigrad.tensor([3.0, 2.0, 1.0])
    cases = {
        (x < y): [True, False, False], (x <= y): [True, True, False],
        (x > y): [False, False, True], (x >= y): [False, True, True],
        (x == y): [False, True, False], (x != y): [True, False, True],
        (x > 1.5): [False, True, True], (x == 2): [False, True, False],
    }
    for result, expected in cases.items():
        assert isinstance(result, Tensor) and result.dtype == minigrad.bool_
        assert not result.requires_grad and result.grad_fn is None
        assert result.tolist() == expected


def test_argmax():
    x = minigrad.tensor([[1.0, 5.0, 2.0], [7.0, 0.0, 3.0]], requires_grad=True)
    assert x.argmax().item() == 3
    assert x.argmax(axis=1).tolist() == [1, 0]
    assert minigrad.argmax(x, axis=0).tolist() == [1, 0, 1]
    a = x.argmax(axis=1)
    assert a.dtype.kind == "i" and not a.requires_grad and a.grad_fn is None


def test_numpy_array_on_the_left_defers_to_tensor():
    x = minigrad.tensor([1.0, 2.0], dtype=minigrad.float64, requires_grad=True)
    y = np.array([10.0, 20.0]) * x
    assert isinstance(y, Tensor) and y.requires_grad
    assert y.tolist() == [10.0, 40.0]
    y.sum().backward()
    assert x.grad.tolist() == [10.0, 20.0]


# ---------------------------------------------------------------------------
# Errors that name the shapes

def test_matmul_shape_mismatch_names_both_shapes():
    a, b = minigrad.zeros(2, 3), minigrad.zeros(4, 5)
    with pytest.raises(RuntimeError) as info:  # shape errors are RuntimeErrors, as in PyTorch
        a @ b
    assert "(2, 3)" in str(info.value) and "(4, 5)" in str(info.value)
    with pytest.raises(RuntimeError, match=r"\(3,\).*\(4,\)"):
        minigrad.zeros(3) @ minigrad.zeros(4)
    with pytest.raises(RuntimeError, match=r"\(2, 3, 4\).*\(5, 4, 2\)"):
        minigrad.zeros(2, 3, 4) @ minigrad.zeros(5, 4, 2)  # batch dims 2 and 5
    with pytest.raises(RuntimeError, match=r"\(\)"):
        minigrad.tensor(1.0) @ minigrad.zeros(3)


@pytest.mark.parametrize("op", ["__add__", "__sub__", "__mul__", "__truediv__", "__pow__"])
def test_broadcast_mismatch_names_both_shapes(op):
    a, b = minigrad.ones(2, 3), minigrad.ones(4)
    with pytest.raises(RuntimeError) as info:
        getattr(a, op)(b)
    assert "(2, 3)" in str(info.value) and "(4,)" in str(info.value)


def test_reshape_to_incompatible_shape_names_both_shapes():
    t = minigrad.zeros(2, 3)
    with pytest.raises(RuntimeError) as info:
        t.reshape(4, 2)
    assert "(2, 3)" in str(info.value) and "(4, 2)" in str(info.value)


def test_other_shape_errors():
    with pytest.raises(IndexError, match="out of range"):  # error types as PyTorch
        minigrad.zeros(2, 3).sum(axis=2)
    with pytest.raises(RuntimeError, match="duplicate"):
        minigrad.zeros(2, 3, 4).permute(0, 0, 1)
    with pytest.raises(IndexError, match=r"\(2, 3\)"):
        minigrad.zeros(2, 3)[5]
    with pytest.raises(RuntimeError, match="cat"):
        minigrad.cat([minigrad.zeros(2, 3), minigrad.zeros(2, 4)])
    with pytest.raises(RuntimeError, match="stack"):
        minigrad.stack([minigrad.zeros(2, 3), minigrad.zeros(3, 2)])
