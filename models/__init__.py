"""The networks of the D2L chapter "Batch Normalization" (``models/lenets.py``), and the chapter's modern CNNs
the benchmarks time (``models/resnet.py``, ``models/densenet.py``), by name.

This folder is part of the repository, not of the installed ``minigrad`` package: the scripts and
tests import it from the checkout (they put the repository root on ``sys.path``).
"""
from models.densenet import densenet
from models.lenets import lenet, lenet_bn, lenet_bn_scratch
from models.resnet import resnet18

MODELS = {"lenet-bn-scratch": lenet_bn_scratch, "lenet-bn": lenet_bn, "lenet": lenet}
# trained in the book on Fashion-MNIST resized to 96x96 (train_lenet.py's 28x28 is too small for DenseNet)
MODERN_CNNS = {"resnet18": resnet18, "densenet": densenet}


def model_name(name):
    """The canonical (hyphenated) model name: ``lenet_bn_scratch`` and ``lenet-bn-scratch`` are the same model."""
    return name.strip().lower().replace("_", "-")
