"""Neural-network building blocks (``torch.nn``)."""
from minigrad.nn import functional, init, utils
from minigrad.nn.layers import (AvgPool2d, BatchNorm, BatchNorm1d, BatchNorm2d, Conv2d, CrossEntropyLoss, Dropout,
                                Flatten, Identity, Linear, LogSoftmax, MaxPool2d, MSELoss, NLLLoss, ReLU, Sigmoid,
                                Softmax, Tanh)
from minigrad.nn.module import Module, ModuleDict, ModuleList, Parameter, Sequential
from minigrad.nn.sync_batchnorm import SyncBatchNorm  # noqa: E402  (builds on layers)
from minigrad.nn import parallel  # noqa: E402
from minigrad.nn.activations import ELU, GELU, LeakyReLU, ReLU6, SiLU, Softplus  # noqa: E402
from minigrad.nn.losses import BCELoss, BCEWithLogitsLoss, HuberLoss, L1Loss, SmoothL1Loss  # noqa: E402
from minigrad.nn.layers import Unflatten  # noqa: E402
from minigrad.nn.adaptive_pool import AdaptiveAvgPool2d  # noqa: E402
from minigrad.nn.lazy import (LazyBatchNorm1d, LazyBatchNorm2d, LazyConv2d, LazyLinear,  # noqa: E402
                              UninitializedBuffer, UninitializedParameter)
from minigrad.nn.layer_norm import LayerNorm  # noqa: E402
