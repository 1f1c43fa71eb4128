"""Neural-network building blocks (``torch.nn``): the layers in ``modules/`` by family, their ops in ``_functions/``
(re-exported by ``functional``), initialisers in ``init``, DistributedDataParallel in ``parallel``."""
from minigrad.checks import missing_names
from minigrad.nn import functional, init, parallel, utils
from minigrad.nn.modules import (ELU, GELU, AdaptiveAvgPool2d, AvgPool2d, BatchNorm, BatchNorm1d, BatchNorm2d, BCELoss,
                                 BCEWithLogitsLoss, ChapterSyncBatchNorm, Conv2d, CrossEntropyLoss, Dropout, Flatten,
                                 HuberLoss, Identity, L1Loss, LayerNorm, LazyBatchNorm1d, LazyBatchNorm2d, LazyConv2d,
                                 LazyLinear, LeakyReLU, Linear, LogSoftmax, MaxPool2d, Module, ModuleDict, ModuleList,
                                 MSELoss, NLLLoss, Parameter, ReLU, ReLU6, Sequential, Sigmoid, SiLU, SmoothL1Loss,
                                 Softmax, Softplus, SyncBatchNorm, Tanh, UninitializedBuffer, UninitializedParameter,
                                 Unflatten)

__getattr__ = missing_names("minigrad.nn", "torch.nn")  # a PyTorch name minigrad lacks: say so
