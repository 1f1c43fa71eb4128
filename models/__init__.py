"""The networks of the D2L chapter "Batch Normalization", by name (``models/lenets.py``).

This folder is part of the repository, not of the installed ``minigrad`` package: the scripts and
tests import it from the checkout (they put the repository root on ``sys.path``).
"""
from models.lenets import lenet, lenet_bn, lenet_bn_scratch

MODELS = {"lenet-bn-scratch": lenet_bn_scratch, "lenet-bn": lenet_bn, "lenet": lenet}


def model_name(name):
    """The canonical (hyphenated) model name: ``lenet_bn_scratch`` and ``lenet-bn-scratch`` are the same model."""
    return name.strip().lower().replace("_", "-")
