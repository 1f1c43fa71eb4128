"""PyTorch's ``torch.nn.functional``: the layers' functional forms and their ops (a facade: they live in
``minigrad.nn._functions`` by family; softmax and log_softmax are tensor ops in ``minigrad.ops``)."""
from minigrad.ops.activation import LogSoftmax, log_softmax, softmax
from minigrad.nn._functions.linear import LinearFunction, linear
from minigrad.nn._functions.conv import Conv2dGradWeight, Conv2dGradInput, Conv2dFunction, conv2d
from minigrad.nn._functions.pooling import AvgPool2dGrad, AvgPool2dFunction, MaxPool2dGather, MaxPool2dGrad, MaxPool2dFunction, avg_pool2d, max_pool2d, adaptive_avg_pool2d
from minigrad.nn._functions.batchnorm import BatchNormGrad, BatchNormFunction, FixedBatchNormFunction, check_batch_norm_input, batch_norm, d2l_batch_norm, SyncBatchNormFunction
from minigrad.nn._functions.activation import sigmoid, tanh, relu, leaky_relu, elu, silu, gelu, softplus, relu6, normalize
from minigrad.nn._functions.loss import CrossEntropyFunction, cross_entropy, nll_loss, mse_loss, one_hot, l1_loss, smooth_l1_loss, huber_loss, BinaryCrossEntropy, binary_cross_entropy, binary_cross_entropy_with_logits
from minigrad.nn._functions.dropout import DropoutFunction, check_dropout_p, dropout
from minigrad.nn._functions.padding import ConstantPadGrad, ConstantPad, pad
from minigrad.nn._utils import REDUCTIONS, in_place_or_not
