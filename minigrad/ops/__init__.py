"""Tensor ops by family (each Function class right before its public function), and their face:
every op and Function class as ``minigrad.ops.<name>``.

Each op is a small Function subclass with two backwards: ``backward`` on raw arrays (the fast first-order
path) and ``backward_graph``, the same derivative built from Functions on Tensors, so that it can be
differentiated again to any order (``create_graph=True``). Where a gradient needs its own op (sigmoid's,
indexing's, broadcasting's), that op is a ``DerivativeFunction`` whose raw forward is the one body both
paths call, and whose own derivative is written once, as ``backward_graph``. The lower-case functions are
PyTorch's API over these ops: its arguments (``dim``, ``keepdim``; NumPy's ``axis``/``keepdims`` accepted as
aliases), results, dtype promotion and error types.
"""
import importlib

from minigrad.core import Size, Tensor
from minigrad.dtypes import promote_types
from minigrad.ops.activation import (LogSoftmax, ReLU, Sigmoid, SigmoidGrad, Tanh, log_softmax, relu, sigmoid, softmax,
                                     tanh)
from minigrad.ops.arithmetic import (Add, Div, Maximum, Minimum, Mul, Pow, Sub, add, add_alpha, div, div_mode,
                                     floor_divide, maximum, minimum, mul, pow, reciprocal, remainder, round, rsqrt,
                                     square, sub, sub_alpha)
from minigrad.ops.compare import (Unique, allclose, argsort, compare, equal, isclose, logical, masked_select, sort,
                                  topk, unique)
from minigrad.ops.conversion import Cast, Clone, ToDevice, clone, contiguous, result_type, type_of
from minigrad.ops.creation import (arange, as_tensor, empty, empty_like, eye, from_numpy, full, full_like, linspace,
                                   normal, ones, ones_like, rand, rand_like, randint, randn, randn_like, tensor, zeros,
                                   zeros_like)
from minigrad.ops.indexing import (GetItem, GetItemGrad, IndexPut, Where, gather, getitem, masked_fill, nonzero,
                                   scatter, scatter_add, where)
from minigrad.ops.linalg import MatMul, Norm2, bmm, dot, matmul, mm, norm
from minigrad.ops.pointwise import (Abs, Clamp, Cos, Cosh, Erf, Exp, Log, Log1p, Neg, Rounding, Sin, Sinh, Sqrt,
                                    StdSqrt, abs, ceil, clamp, clip, cos, cosh, erf, exp, floor, log, log1p,
                                    logical_not, neg, sign, sin, sinh, sqrt, trunc)
from minigrad.ops.reduction import (Cumsum, Max, Mean, Min, Prod, Sum, all, amax, amin, any, argmax, argmin, cumsum,
                                    logsumexp, max, mean, min, prod, std, sum, var)
from minigrad.ops.shape import (Concatenate, Flip, Reshape, Roll, Stack, Transpose, cat, chunk, concat, concatenate,
                                expand, flatten, flip, hstack, matrix_transpose, meshgrid, narrow, permute, repeat,
                                repeat_interleave, reshape, reverse_dims, roll, split, squeeze, stack, t, tile,
                                transpose, unbind, unflatten, unsqueeze, view, vstack)
from minigrad.ops.utils import (BroadcastTo, SumTo, check_same_dtype, check_sequence, floating, return_types, sum_to,
                                tensor_arg, unbroadcast, varargs, wrap_dims)

#: the op families whose functions and ``<Family>Methods`` classes become Tensor's methods
FAMILIES = ("conversion", "indexing", "shape", "pointwise", "activation", "arithmetic", "reduction", "linalg",
            "compare", "creation")


def install_tensor_methods():
    """Attach the ops to Tensor as its methods (Chainer's ``install_variable_arithmetics``): each family's
    ``TENSOR_FUNCTIONS`` under their own names, and the methods of its ``<Family>Methods`` class (operators,
    in-place forms, methods whose arguments differ from the function's). Called once by the package's face."""
    for family in (importlib.import_module(f"{__name__}.{name}") for name in FAMILIES):
        for name in getattr(family, "TENSOR_FUNCTIONS", ()):
            setattr(Tensor, name, getattr(family, name))
        methods = next((v for k, v in vars(family).items() if k.endswith("Methods") and isinstance(v, type)), None)
        for name, value in vars(methods).items() if methods else ():
            if name not in _CLASS_ATTRIBUTES:
                setattr(Tensor, name, value)


#: what every class has (__module__, __dict__, __doc__, ...) and __hash__ (None in a class that defines __eq__,
#: while Tensor keeps identity hashing): not methods to copy
_CLASS_ATTRIBUTES = set(vars(type("Empty", (), {}))) | {"__hash__"}
