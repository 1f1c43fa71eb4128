"""The layers as PyTorch's ``torch.nn.modules``: one file per family."""
from minigrad.nn.modules.activation import (ELU, GELU, LeakyReLU, LogSoftmax, ReLU, ReLU6, Sigmoid, SiLU, Softmax,
                                            Softplus, Tanh)
from minigrad.nn.modules.batchnorm import BatchNorm, BatchNorm1d, BatchNorm2d, ChapterSyncBatchNorm, SyncBatchNorm
from minigrad.nn.modules.container import ModuleDict, ModuleList, Sequential
from minigrad.nn.modules.conv import Conv2d
from minigrad.nn.modules.dropout import Dropout
from minigrad.nn.modules.flatten import Flatten, Unflatten
from minigrad.nn.modules.lazy import (LazyBatchNorm1d, LazyBatchNorm2d, LazyConv2d, LazyLinear, UninitializedBuffer,
                                      UninitializedParameter)
from minigrad.nn.modules.linear import Identity, Linear
from minigrad.nn.modules.loss import (BCELoss, BCEWithLogitsLoss, CrossEntropyLoss, HuberLoss, L1Loss, MSELoss, NLLLoss,
                                      SmoothL1Loss)
from minigrad.nn.modules.module import IncompatibleKeys, Module, Parameter
from minigrad.nn.modules.normalization import LayerNorm
from minigrad.nn.modules.pooling import AdaptiveAvgPool2d, AvgPool2d, MaxPool2d
