"""minigrad: a deep-learning framework from first principles.

Tensors over NumPy (or CuPy) arrays with reverse-mode autograd whose every
backward is written by hand; PyTorch's names, no PyTorch.
"""
# the layers bottom-up (docs/architecture.md): ground, core, ops, autograd and nn, what builds on them
from minigrad import cuda, random
from minigrad.checks import missing_names
from minigrad.backend import Device as device  # noqa: N813 (torch.device)
from minigrad.backend import get_array_module
from minigrad.threads import get_num_threads, set_num_threads
from minigrad.random import get_rng_state, manual_seed, set_rng_state
from minigrad.typeinfo import finfo, iinfo
from minigrad.core import (Function, Tensor, bool_, enable_grad, float16, float32, float64, int32, int64,
                           is_grad_enabled, no_grad, set_grad_enabled, tensor, uint8)
from minigrad import ops
from minigrad.ops import (arange, as_tensor, empty, empty_like, eye, from_numpy, full, full_like, linspace, normal,
                          ones, ones_like, rand, rand_like, randint, randn, randn_like, zeros, zeros_like)
from minigrad.ops import (Size, abs, all, allclose, amax, amin, any, argmax, argmin, bmm, cat, chunk, clamp, clip,
                          clone, concat, concatenate, cos, dot, equal, exp, flatten, gather, log, logsumexp,
                          masked_fill, matmul, max, maximum, mean, min, minimum, mm, mul, neg, permute, pow, prod,
                          promote_types, relu, reshape, result_type, return_types, rsqrt, sigmoid, sin, split, sqrt,
                          square, squeeze, stack, std, sum, t, tanh, transpose, unsqueeze, var, where)
from minigrad.ops import (argsort, ceil, cumsum, floor, floor_divide, isclose, logical_not, masked_select, nonzero,
                          norm, reciprocal, remainder, round, sign, sort, topk, trunc, unbind, unflatten, unique)
from minigrad.ops import erf, log1p, log_softmax, softmax  # torch.softmax, torch.log_softmax are tensor ops
from minigrad.ops import flip, hstack, narrow, repeat_interleave, roll, scatter, scatter_add, tile, vstack
from minigrad.ops import cosh, meshgrid, sinh
from minigrad.ops import add_alpha as add, div_mode as div, sub_alpha as sub  # PyTorch's add/sub(alpha=), div
from minigrad import autograd, nn, optim, utils
from minigrad.gradcheck import GradcheckError, gradcheck, gradgradcheck
from minigrad.serialization import load, save

ops.install_tensor_methods()  # Tensor's op methods, attached once every layer is imported

__version__ = "0.1.0"

# PyTorch's short dtype names
float, double, half = float32, float64, float16  # noqa: A001
long, int, bool = int64, int32, bool_  # noqa: A001


def is_tensor(obj):
    return isinstance(obj, Tensor)


def eq(a, b): return a == b
def ne(a, b): return a != b
def lt(a, b): return a < b
def le(a, b): return a <= b
def gt(a, b): return a > b
def ge(a, b): return a >= b


def numel(x):
    return x.numel()


def is_floating_point(x):
    return x.is_floating_point()


def get_default_dtype():
    """float32, the dtype of Python floats in new tensors (minigrad has no ``set_default_dtype``)."""
    return float32


__getattr__ = missing_names("minigrad", "torch")  # a PyTorch name minigrad lacks: say so
