"""Model definitions built with minigrad."""
from models.lenet import lenet, lenet_bn, lenet_bn_scratch

MODELS = {"lenet-bn-scratch": lenet_bn_scratch, "lenet-bn": lenet_bn, "lenet": lenet}
