"""PyTorch's ``torch.nn.functional``: the layers' functional forms and their ops (a facade: they live in
``minigrad.nn._functions`` by family; softmax and log_softmax are tensor ops in ``minigrad.ops``)."""
from minigrad.checks import missing_names
from minigrad.nn._functions.activation import (elu, gelu, leaky_relu, normalize, relu, relu6, sigmoid, silu, softplus,
                                               tanh)
from minigrad.nn._functions.batchnorm import (BatchNormFunction, BatchNormGrad, FixedBatchNormFunction,
                                              SyncBatchNormFunction, batch_norm, check_batch_norm_input, d2l_batch_norm)
from minigrad.nn._functions.conv import ConvArgs, Conv2dFunction, Conv2dGradInput, Conv2dGradWeight, conv2d
from minigrad.nn._functions.dropout import DropoutFunction, check_dropout_p, dropout
from minigrad.nn._functions.linear import LinearFunction, linear
from minigrad.nn._functions.loss import (BinaryCrossEntropy, CrossEntropyFunction, binary_cross_entropy,
                                         binary_cross_entropy_with_logits, cross_entropy, huber_loss, l1_loss, mse_loss,
                                         nll_loss, one_hot, smooth_l1_loss)
from minigrad.nn._functions.normalization import LayerNormFunction, LayerNormGrad, layer_norm
from minigrad.nn._functions.padding import ConstantPad, ConstantPadGrad, pad
from minigrad.nn._functions.pooling import (AvgPool2dFunction, AvgPool2dGrad, MaxPool2dFunction, MaxPool2dGather,
                                            MaxPool2dGrad, adaptive_avg_pool2d, avg_pool2d, max_pool2d)
from minigrad.nn._utils import REDUCTIONS, in_place_or_not
from minigrad.ops.activation import LogSoftmax, log_softmax, softmax

__getattr__ = missing_names("minigrad.nn.functional", "torch.nn.functional")  # a PyTorch name minigrad lacks: say so
