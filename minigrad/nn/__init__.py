"""Neural-network building blocks (``torch.nn``)."""
from minigrad.nn import functional, init
from minigrad.nn.layers import (AvgPool2d, BatchNorm, BatchNorm1d, BatchNorm2d, Conv2d, CrossEntropyLoss, Flatten,
                                Linear, MaxPool2d, ReLU, Sigmoid, Tanh)
from minigrad.nn.module import Module, Parameter, Sequential
from minigrad.nn.sync_batchnorm import SyncBatchNorm  # noqa: E402  (builds on layers)
from minigrad.nn import parallel  # noqa: E402
