"""Parity idioms: Dtypes and type promotion, devices, and conversion to Python and NumPy (item, tolist, numpy,
finfo/iinfo)."""
import numpy as np

from .common import Y3, T
from .compare import Idioms, test_idiom  # noqa: F401  (test_idiom runs once per idiom of this module)

idioms = Idioms()
one, case = idioms.one, idioms.case


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
one("dtype_aliases", lambda torch: (torch.zeros(2, dtype=torch.long), torch.zeros(2, dtype=torch.float),
                                    torch.zeros(2, dtype=torch.double), torch.zeros(2, dtype=torch.int),
                                    torch.zeros(2, dtype=torch.bool)))
one("to_long_alias", lambda torch: T(torch, 3).to(torch.long))
one("d2l_accuracy_type", lambda torch: float((T(torch, 3, 4).argmax(axis=1).type(torch.tensor(Y3).dtype)
                                             == torch.tensor(Y3)).type(torch.int64).sum()))
one("type_as_half", lambda torch: (T(torch, 3).type_as(torch.tensor([1.0], dtype=torch.float64)), T(torch, 3).half()))
one("promote_result_types", lambda torch: (torch.promote_types(torch.int32, torch.float32),
                                           torch.result_type(torch.tensor([1, 2]), 1.0)))
one("type_string", lambda torch: (T(torch, 2).type(), torch.tensor([1]).type(), T(torch, 2, dtype=np.float64).type()))
one("type_string_dtype", lambda torch: T(torch, 3).type("torch.DoubleTensor"))
one("format_0d", lambda torch: (f"{torch.tensor(0.123456):.3f}", f"{T(torch, 3, grad=True).sum():.2f}"))
one("format_1d_raises", lambda torch: f"{T(torch, 3):.3f}")
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


one("cuda_queries", lambda torch: (torch.cuda.is_available(), torch.cuda.device_count()))
one("device_choice_idiom", lambda torch: str(torch.device("cuda" if torch.cuda.is_available() else "cpu")))
one("to_non_blocking", lambda torch: T(torch, 2).to("cpu", non_blocking=True))
one("dtype_is_floating_point", lambda torch: (torch.float32.is_floating_point, torch.int64.is_floating_point))
one("finfo_eps", lambda torch: torch.finfo(torch.float32).eps)
one("default_dtype", lambda torch: torch.get_default_dtype())
one("numpy_scalars", lambda torch: (T(torch, 2) * np.float64(2.0), T(torch, 2) * np.float32(2.0),
                                    T(torch, 2) * np.int64(3), torch.tensor([1, 2]) * np.float64(0.5)))
one("tensor_of_numpy_scalar", lambda torch: (torch.tensor(np.float64(1.5)), torch.tensor(np.int32(3))))
one("linspace_dtype", lambda torch: torch.linspace(0, 1, 5, dtype=torch.float64))
one("clamp_tensor_bounds", lambda torch: T(torch, 4).clamp(min=torch.tensor(0.0), max=torch.tensor(0.5)))
one("pow_0d_int_exponent", lambda torch: (T(torch, 3).pow(torch.tensor(2)), 2 ** torch.tensor([1, 2]),
                                          torch.tensor([1, 2]) * True))
one("float_is_float32", lambda torch:
    (torch.float is torch.float32, torch.long is torch.int64, torch.double is torch.float64,
        torch.int is torch.int32, torch.half is torch.float16))
one("dtype_str", lambda torch: (str(torch.float32), repr(torch.int64)))
one("tensor_dtype_str", lambda torch: str(T(torch, 2).dtype))
one("dtype_itemsize", lambda torch: torch.float32.itemsize)
one("element_size", lambda torch: (T(torch, 2).element_size(), torch.tensor([1]).element_size()))
one("r2_device_str", lambda torch: (str(T(torch, 2).device), T(torch, 2).device.type, T(torch, 2).is_cuda))
one("device_equality", lambda torch:
    (torch.device("cpu") == torch.device("cpu"), T(torch, 2).device == torch.device("cpu"),
        str(torch.device("cpu"))))
one("cpu_is_self", lambda torch: (lambda x: x.cpu() is x)(T(torch, 2)))
one("to_cpu_string_is_self", lambda torch: (lambda x: x.to("cpu") is x)(T(torch, 2)))
one("to_same_dtype_is_self", lambda torch: (lambda x: x.to(torch.float32) is x)(T(torch, 2)))
one("to_copy_true", lambda torch: (lambda x: x.to(torch.float32, copy=True) is x)(T(torch, 2)))
one("to_other_tensor", lambda torch: T(torch, 2).to(torch.tensor([1], dtype=torch.float64)).dtype)
one("to_device_and_dtype_positional", lambda torch: T(torch, 2).to("cpu", torch.float64).dtype)
one("type_string_arg", lambda torch: T(torch, 2).type("torch.DoubleTensor").dtype)
one("type_no_arg_int", lambda torch:
    (torch.tensor([1]).type(), torch.tensor([True]).type(), T(torch, 1, dtype=np.float64).type()))
one("long_of_negative_float", lambda torch: torch.tensor([-1.7, 2.9]).long())
one("bool_of_nan", lambda torch: torch.tensor([float("nan"), 0.0]).bool())
one("uint8_of_negative", lambda torch: torch.tensor([1.0, 2.0]).to(torch.uint8))
one("float_of_requires_grad", lambda torch: T(torch, 2, dtype=np.float64, grad=True).float().requires_grad)
one("item_types", lambda torch: (type(torch.tensor(1.5).item()).__name__, type(torch.tensor(2).item()).__name__,
                                    type(torch.tensor(True).item()).__name__,
                                    type(torch.tensor([1], dtype=torch.int32).item()).__name__))
one("tolist_types", lambda torch: ([type(v).__name__ for v in torch.tensor([1.5, 2.0]).tolist()],
                                      [type(v).__name__ for v in torch.tensor([1, 2]).tolist()],
                                      [type(v).__name__ for v in torch.tensor([True]).tolist()]))
one("tolist_0d", lambda torch: (torch.tensor(2.5).tolist(), type(torch.tensor(3).tolist()).__name__))
one("item_float32_value", lambda torch: torch.tensor(0.1).item())
one("float_of_1elem", lambda torch: (float(torch.tensor([2.5])), int(torch.tensor([[3.9]])), int(torch.tensor(-3.9))))
one("float_of_many_raises", lambda torch: float(torch.tensor([1.0, 2.0])))
one("numpy_dtype", lambda torch: (str(torch.tensor([1]).numpy().dtype), str(T(torch, 1).numpy().dtype),
                                     str(torch.tensor([True]).numpy().dtype)))
one("is_tensor_checks", lambda torch: (torch.is_tensor(T(torch, 1)), torch.is_tensor(np.zeros(1)),
                                          isinstance(T(torch, 1), torch.Tensor)))
one("is_floating_point_function", lambda torch: torch.is_floating_point(T(torch, 1)))
one("python_sum_of_tensors", lambda torch: sum([T(torch, 2), T(torch, 2, seed=1)]))
one("max_builtin_over_tensor", lambda torch: max(torch.tensor([1, 5, 3])))
one("in_operator", lambda torch: (2 in torch.tensor([1, 2]), 5 in torch.tensor([1, 2])))
one("sorted_builtin", lambda torch: [float(v) for v in sorted(torch.tensor([3.0, 1.0, 2.0]))])
one("np_asarray_of_tensor", lambda torch: np.asarray(T(torch, 3)))
one("np_mean_of_tensor_list", lambda torch: float(np.mean([torch.tensor(1.0).item(), torch.tensor(2.0).item()])))
one("format_item", lambda torch: f"{torch.tensor(0.123456).item():.3f}")
one("format_0d_tensor", lambda torch: f"{torch.tensor(0.123456):.3f}")
one("hash_tensor", lambda torch: (lambda x: {x: 1}[x])(T(torch, 2)))
one("bool_empty_raises", lambda torch: bool(torch.tensor([])))
one("int_of_bool_tensor", lambda torch: int(torch.tensor(True)))
one("get_default_dtype", lambda torch: torch.get_default_dtype())
one("finfo_float32_eps", lambda torch: torch.finfo(torch.float32).eps)
one("uint8_div", lambda torch: torch.tensor([0, 128, 255], dtype=torch.uint8) / 255)
one("uint8_sub_wraps", lambda torch: torch.tensor([0, 1], dtype=torch.uint8) - 2)
one("int_lt_float", lambda torch: torch.tensor([1, 2, 3]) < 2.5)
one("int_eq_bool", lambda torch: torch.tensor([1, 0]) == torch.tensor([True, False]))
one("type_float32", lambda torch: torch.tensor([1, 2]).type(torch.float32))
one("matmul_float64_float32_raises", lambda torch: T(torch, 2, 2, dtype=np.float64) @ T(torch, 2, 2))
one("matmul_int", lambda torch: torch.tensor([[1, 2]]) @ torch.tensor([[3], [4]]))
one("bool_of_comparison", lambda torch: bool(torch.tensor(2.0) > 1))
one("round_float", lambda torch: round(torch.tensor(2.567).item(), 2))

for _dtype in ("float16", "float32", "float64"):
    one(f"finfo_{_dtype}", lambda torch, d=_dtype: (lambda f: (f.bits, f.eps, f.max, f.min, f.tiny, f.smallest_normal,
                                                                 f.resolution, str(f.dtype)))(
        torch.finfo(getattr(torch, d))))

for _dtype in ("uint8", "int32", "int64"):
    one(f"iinfo_{_dtype}", lambda torch, d=_dtype:
        (lambda f: (f.bits, f.max, f.min, str(f.dtype)))(torch.iinfo(getattr(torch, d))))

one("finfo_default", lambda torch: torch.finfo().eps)
one("finfo_of_tensor_dtype", lambda torch: torch.finfo(T(torch, 2, dtype=np.float64).dtype).max)
one("finfo_int_raises", lambda torch: torch.finfo(torch.int64))
one("iinfo_float_raises", lambda torch: torch.iinfo(torch.float32))
one("iinfo_bool_raises", lambda torch: torch.iinfo(torch.bool))
one("clamp_with_finfo", lambda torch: T(torch, 3).clamp(min=torch.finfo(torch.float32).eps).log())
