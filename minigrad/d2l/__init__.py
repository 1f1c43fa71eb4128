"""Dive into Deep Learning's ``d2l`` library on minigrad: ``from minigrad import d2l`` stands in for
``from d2l import torch as d2l``.

- the current edition's class API (``minigrad.d2l.classes``): ``Module``, ``Classifier``, ``Trainer``,
  ``DataModule``, ``FashionMNIST``, ``ProgressBoard``, ``HyperParameters``, ``SGD``, ``init_cnn``,
  ``add_to_class``, ``show_images``;
- the older edition's helpers and the shared tools (``minigrad.d2l.classic``, where the environment
  switches are described): ``load_data_fashion_mnist``, ``train_ch6``, ``evaluate_accuracy_gpu``,
  ``accuracy``, ``Timer``, ``Accumulator``, ``Animator``, ``cpu``, ``gpu``, ``num_gpus``, ``try_gpu``,
  ``try_all_gpus``;
- the book's tensor aliases (``d2l.reshape``, ``d2l.randn``, ``d2l.matmul``, ``d2l.concat``, ...), for the
  functions minigrad has;
- the notebook tools (``minigrad.d2l.notebook``, ``python -m minigrad.d2l``): ``convert``, ``execute``,
  ``run_chapter``, ``run_notebook``.

A name of the book's library that minigrad does not provide raises an AttributeError saying so.
"""
import minigrad
from minigrad import nn
from minigrad.checks import missing_names
from minigrad.d2l.classes import (Classifier, DataModule, FashionMNIST, HyperParameters, Module, ProgressBoard,
                                  SGD, Trainer, add_to_class, init_cnn, show_images)
from minigrad.d2l.classic import (FIGURES_VAR, LIMIT_VAR, MAX_BATCHES_VAR, MAX_EPOCHS_VAR, Accumulator, Animator,
                                  Timer, accuracy, cpu, evaluate_accuracy_gpu, gpu, load_data_fashion_mnist,
                                  num_gpus, set_axes, train_ch6, try_all_gpus, try_gpu)
from minigrad.d2l.notebook import convert, execute, run_chapter, run_notebook
from minigrad.data import get_fashion_mnist_labels

nn_Module = nn.Module  # noqa: N816 (the book's name)

# The book's aliases of torch functions (d2l name -> minigrad name), looked up when first used.
FUNCTIONS = {name: name for name in (
    "ones_like", "ones", "zeros_like", "zeros", "tensor", "arange", "meshgrid", "sin", "sinh", "cos", "cosh",
    "tanh", "linspace", "exp", "log", "normal", "rand", "randn", "matmul", "int32", "int64", "float32", "stack",
    "abs", "eye", "sigmoid")}
FUNCTIONS.update(concat="cat", batch_matmul="bmm")

# The book's aliases of tensor methods: d2l.reshape(x, ...) is x.reshape(...), and so on.
METHODS = {"size": "numel", "reshape": "reshape", "to": "to", "reduce_sum": "sum", "argmax": "argmax",
           "astype": "type", "transpose": "t", "reduce_mean": "mean", "expand_dims": "unsqueeze",
           "swapaxes": "swapaxes", "repeat": "repeat"}


def _method(d2l_name, method):
    def call(x, *args, **kwargs):
        return getattr(x, method)(*args, **kwargs)
    call.__name__ = call.__qualname__ = d2l_name
    call.__doc__ = f"``x.{method}(*args, **kwargs)``, the book's alias ``d2l.{d2l_name}``."
    return call


globals().update({name: _method(name, method) for name, method in METHODS.items()})


def numpy(x, *args, **kwargs):
    """``x.detach().numpy(*args, **kwargs)``, the book's alias ``d2l.numpy``."""
    return x.detach().numpy(*args, **kwargs)


def __getattr__(name):
    if name in FUNCTIONS:
        try:
            return getattr(minigrad, FUNCTIONS[name])
        except AttributeError:
            raise AttributeError(f"module 'minigrad.d2l' has no attribute {name!r}: minigrad does not implement "
                                 f"torch.{FUNCTIONS[name]}, which d2l.{name} stands for") from None
    if name == "plt":
        from matplotlib import pyplot
        return pyplot
    return _missing(name)  # raises: minigrad does not implement d2l.<name>


_missing = missing_names("minigrad.d2l", "d2l")
