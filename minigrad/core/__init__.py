"""The autograd core: Tensor, Function, grad mode and the backward engine.

A Tensor wraps one NumPy or CuPy array. Applying a Function to tensors runs its ``forward`` on their raw arrays;
when gradients are enabled and some input requires grad, the output remembers the Function (``grad_fn``) and the
Function remembers its inputs. ``Tensor.backward`` walks that graph from the output back to the leaves in reverse
topological order (no recursion), calling each Function's hand-written ``backward`` once with the gradient of its
output. The core imports nothing above it: the ops attach Tensor's other methods from above.
"""
from minigrad.core.engine import (accumulate_grad_and_run_hooks, backward, backward_pass, queue_backward_callback,
                                  run_backward)
from minigrad.core.function import DerivativeFunction, Function, as_tensors
from minigrad.core.grad_mode import enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from minigrad.core.tensor import HookHandle, Size, Tensor, parse_to_args, tensor, zero_grads
from minigrad.dtypes import bool_, float16, float32, float64, int32, int64, resolve_dtype, uint8

Tensor.backward = backward  # the engine's entry point, as a method (the engine builds on Tensor)
