"""Every known difference between minigrad and PyTorch 2.13 among the parity idioms, with its reason.

idiom name -> (verdict, reason). Each row is a strict xfail: the idiom must still give exactly this
verdict; when minigrad changes so that it gives ``same``, the test fails (XPASS) until the row goes.
docs/pytorch.md explains each of these to users.
"""

KNOWN = {
    # clear errors: PyTorch features minigrad does not have, refused with a message that says so
    "conv2d_padding_same": ("error", "Conv2d takes an int padding only, not 'same'"),
    "avg_pool_count_include_pad_false": ("error", "avg_pool2d has no count_include_pad="),
    "max_pool_ceil_mode": ("error", "max_pool2d has no ceil_mode="),
    "F_cross_entropy_prob_targets": ("error", "cross_entropy takes class indices only, not class probabilities"),
    "cross_entropy_4d": ("error", "cross_entropy takes (N, K) logits only, not (N, K, d1, ...)"),
    "adam_amsgrad": ("error", "Adam has no amsgrad="),
    "adamw": ("error", "optim.AdamW is not implemented"),
    "d2l_mv_norm": ("error", "torch.mv is not implemented (use matmul)"),
    "FloatTensor": ("error", "torch.FloatTensor is not implemented (use tensor(..., dtype=float32))"),
    "LongTensor": ("error", "torch.LongTensor is not implemented (use tensor(..., dtype=int64))"),
    "Tensor_class_sizes": ("error", "Tensor(*sizes), an uninitialised tensor, is refused (use empty(*sizes))"),
    "cumprod": ("error", "Tensor.cumprod is not implemented"),
    "cumprod_int": ("error", "torch.cumprod is not implemented"),
    "median": ("error", "Tensor.median is not implemented"),
    "view_dtype": ("error", "view(dtype), reinterpreting memory as another dtype, is not implemented (use .to)"),
    "permute_dims_keyword": ("error", "permute takes its dims positionally, not as dims="),
    "reshape_shape_keyword": ("error", "reshape takes its shape positionally, not as shape="),
    "expand_size_keyword": ("error", "expand takes its sizes positionally, not as size="),
    "dtype_is_floating_point": ("error", "dtypes are NumPy dtypes: no dtype.is_floating_point "
                                         "(use x.is_floating_point())"),
    "sgd_non_param_tensor_raises": ("error", "an optimiser refuses a tensor that does not require grad "
                                             "(PyTorch accepts it and never updates it)"),
    "data_inplace_then_backward": ("error", "a change through .data bumps the tensor's version counter, so a "
                                            "backward that needs the old values raises (PyTorch's .data escapes "
                                            "the check and uses the new values)"),
    "view_before_write": ("error", "an in-place change recorded in the graph of a view, or of a tensor a view "
                                   "was taken of, is refused (PyTorch rewrites every view's graph)"),
    "write_into_view": ("error", "an in-place change recorded in the graph of a view is refused "
                                 "(PyTorch rewrites every view's graph)"),
    # lenient: PyTorch raises, minigrad returns the right result
    "numpy_requires_grad_raises": ("lenient", "x.numpy() on a tensor that requires grad returns the array"),
    # differences in form: the same values, another Python type or spelling
    "dtype_str": ("form", "dtypes are NumPy dtypes: str(minigrad.float32) is 'float32', not 'torch.float32'"),
    "tensor_dtype_str": ("form", "str(x.dtype) is 'float32', not 'torch.float32'"),
    "optimizer_state_dict_roundtrip": ("form", "an optimiser's state_dict()['state'] holds NumPy copies, "
                                               "not tensors"),
    "optimizer_defaults_momentum": ("form", "SGD's defaults are floats: momentum=0.0, PyTorch's 0"),
}

# tests/op_db.py's samples run in both libraries (tests/parity/test_op_db.py), by test id: PyTorch raises there
KNOWN_OPS = {
    "floor_divide-floor_divide_is_flat-gradgrad": "PyTorch has no derivative of floor_divide (its backward raises); "
                                                  "minigrad's is 0, the derivative almost everywhere",
}
