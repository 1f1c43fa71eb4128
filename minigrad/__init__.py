"""minigrad: a deep-learning framework from first principles.

Tensors over NumPy (or CuPy) arrays with reverse-mode autograd whose every
backward is written by hand; PyTorch's names, no PyTorch.
"""
# the layers bottom-up: ground, core, ops, autograd, nn, what builds on nn (docs/architecture.md)
from minigrad import autograd, cuda, nn, ops, optim, random
from minigrad.backend import Device as device  # noqa: N813 (torch.device)
from minigrad.backend import get_array_module
from minigrad.core import (Function, Tensor, bool_, enable_grad, float16, float32, float64, int32, int64,
                           is_grad_enabled, no_grad, set_grad_enabled, tensor, uint8)
from minigrad.gradcheck import GradcheckError, gradcheck, gradgradcheck
from minigrad.ops import (  # torch.softmax, torch.log_softmax
    Size,
    abs,
    all,
    allclose,
    amax,
    amin,
    any,
    arange,
    argmax,
    argmin,
    argsort,
    as_tensor,
    bmm,
    cat,
    ceil,
    chunk,
    clamp,
    clip,
    clone,
    concat,
    concatenate,
    cos,
    cumsum,
    dot,
    empty,
    empty_like,
    equal,
    erf,
    exp,
    eye,
    flatten,
    flip,
    floor,
    floor_divide,
    from_numpy,
    full,
    full_like,
    gather,
    hstack,
    isclose,
    linspace,
    log,
    log1p,
    log_softmax,
    logical_not,
    logsumexp,
    masked_fill,
    masked_select,
    matmul,
    max,
    maximum,
    mean,
    min,
    minimum,
    mm,
    mul,
    narrow,
    neg,
    nonzero,
    norm,
    normal,
    ones,
    ones_like,
    permute,
    pow,
    prod,
    promote_types,
    rand,
    rand_like,
    randint,
    randn,
    randn_like,
    reciprocal,
    relu,
    remainder,
    repeat_interleave,
    reshape,
    result_type,
    return_types,
    roll,
    round,
    rsqrt,
    scatter,
    scatter_add,
    sigmoid,
    sign,
    sin,
    softmax,
    sort,
    split,
    sqrt,
    square,
    squeeze,
    stack,
    std,
    sum,
    t,
    tanh,
    tile,
    topk,
    transpose,
    trunc,
    unbind,
    unflatten,
    unique,
    unsqueeze,
    var,
    vstack,
    where,
    zeros,
    zeros_like,
)
from minigrad.ops import add_alpha as add  # PyTorch's add/sub(alpha=), div
from minigrad.ops import div_mode as div
from minigrad.ops import sub_alpha as sub
from minigrad.random import get_rng_state, manual_seed, set_rng_state
from minigrad.serialization import load, save
from minigrad.threads import get_num_threads, set_num_threads
from minigrad.typeinfo import finfo, iinfo

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


def __getattr__(name):
    # only reached for names minigrad lacks: say so, naming PyTorch's function
    raise AttributeError(f"module 'minigrad' has no attribute {name!r}: minigrad does not implement torch.{name} "
                         "(docs/pytorch.md lists what it supports)")
