"""minigrad: a deep-learning framework from first principles.

Tensors over NumPy (or CuPy) arrays with reverse-mode autograd whose every
backward is written by hand; PyTorch's names, no PyTorch.
"""
from minigrad import cuda, random
from minigrad.backend import Device as device, get_array_module
from minigrad.core import (Function, Tensor, bool_, enable_grad, float16, float32, float64, int32, int64,
                           is_grad_enabled, no_grad, set_grad_enabled, tensor, uint8)
from minigrad.creation import arange, empty, full, ones, ones_like, rand, randn, zeros, zeros_like
from minigrad.gradcheck import GradcheckError, gradcheck, gradgradcheck
from minigrad.ops import (argmax, cat, exp, log, matmul, max, mean, relu, reshape, sigmoid, sqrt, stack, sum,
                          tanh, transpose)
from minigrad.threads import get_num_threads, set_num_threads
from minigrad.random import get_rng_state, manual_seed, set_rng_state
from minigrad.serialization import load, save
from minigrad import nn, optim  # noqa: E402  (they build on the names above)

__version__ = "0.1.0"
