"""A PyTorch name minigrad lacks gets the same answer from every package face: it says minigrad does not implement
it."""
import importlib

import pytest

FACES = [("minigrad", "torch", "fft"), ("minigrad.nn", "torch.nn", "TransformerEncoder"),
         ("minigrad.nn.functional", "torch.nn.functional", "gumbel_softmax"), ("minigrad.nn.utils", "torch.nn.utils",
                                                                             "spectral_norm"),
         ("minigrad.optim", "torch.optim", "RMSprop"), ("minigrad.autograd", "torch.autograd", "forward_ad"),
         ("minigrad.distributed", "torch.distributed", "all_to_all"), ("minigrad.utils", "torch.utils", "checkpoint"),
         ("minigrad.utils.data", "torch.utils.data", "Subset"), ("minigrad.d2l", "d2l", "Seq2Seq")]


@pytest.mark.parametrize("module, torch_module, name", FACES)
def test_a_missing_pytorch_name_says_minigrad_does_not_implement_it(module, torch_module, name):
    face = importlib.import_module(module)
    with pytest.raises(AttributeError) as exc:
        getattr(face, name)
    assert str(exc.value) == (f"module {module!r} has no attribute {name!r}: minigrad does not implement "
                              f"{torch_module}.{name} (docs/pytorch.md lists what it supports)")
    assert not hasattr(face, name)
    with pytest.raises(ImportError, match=f"cannot import name {name!r}"):  # from X import name, as Python says it
        exec(f"from {module} import {name}", {})


@pytest.mark.parametrize("module", [face for face, _, _ in FACES])
def test_private_names_get_the_plain_error_so_that_tools_probing_them_are_not_misled(module):
    face = importlib.import_module(module)
    with pytest.raises(AttributeError) as exc:
        face.__wrapped__
    assert str(exc.value) == f"module {module!r} has no attribute '__wrapped__'"


def test_the_names_minigrad_has_are_untouched():
    import minigrad
    from minigrad import nn, optim
    assert minigrad.softmax is minigrad.ops.softmax and nn.Linear.__name__ == "Linear"
    assert optim.SGD.__name__ == "SGD" and nn.functional.conv2d.__name__ == "conv2d"
