"""The book's ResNet-18 and DenseNet (models/resnet.py, models/densenet.py): the output shapes the book's
notebooks print, checked against those notebooks (../shared/books), and one training step."""
import json
import re
from pathlib import Path

import numpy as np
import pytest

import minigrad
from minigrad.train import init_weights
from models import MODERN_CNNS, densenet, resnet18
from models.densenet import DenseBlock, transition_block
from models.resnet import Residual

NOTEBOOKS = Path(__file__).resolve().parents[2] / "shared" / "books" / "d2l-en-1.0.3" / "notebooks" / \
    "chapter_convolutional-modern"


def book_outputs(notebook, code):
    """The text the book's notebook printed for its code cell containing ``code``."""
    path = NOTEBOOKS / notebook
    if not path.is_file():
        pytest.skip(f"the book's notebook is not here: {path}")
    for cell in json.loads(path.read_text())["cells"]:
        if cell["cell_type"] == "code" and code in "".join(cell["source"]):
            return "".join("".join(out.get("text", "")) + "".join(out.get("data", {}).get("text/plain", ""))
                           for out in cell["outputs"])
    raise AssertionError(f"{notebook} has no code cell with {code!r}")


def torch_sizes(text):
    return [tuple(int(v) for v in size.split(",")) for size in re.findall(r"torch\.Size\(\[([\d, ]+)\]\)", text)]


def shapes_through(net, shape):
    minigrad.manual_seed(0)
    X = minigrad.rand(*shape)
    out = []
    for layer in net:
        X = layer(X)
        out.append(X.shape)
    return out


def test_resnet18_gives_the_books_layer_summary():
    printed = book_outputs("resnet.ipynb", "ResNet18().layer_summary((1, 1, 96, 96))")
    assert torch_sizes(printed) == shapes_through(resnet18(), (1, 1, 96, 96))
    assert len(torch_sizes(printed)) == 6


@pytest.mark.parametrize("code, block, channels", [
    ("blk = Residual(3)\n", lambda: Residual(3, 3), 3),
    ("blk = Residual(6, use_1x1conv=True, strides=2)", lambda: Residual(3, 6, use_1x1conv=True, strides=2), 6)])
def test_residual_blocks_give_the_books_shapes(code, block, channels):
    minigrad.manual_seed(0)
    (expected,) = torch_sizes(book_outputs("resnet.ipynb", code))
    assert block()(minigrad.randn(4, 3, 6, 6)).shape == expected
    assert expected[1] == channels


def test_dense_and_transition_blocks_give_the_books_shapes():
    minigrad.manual_seed(0)
    (dense,) = torch_sizes(book_outputs("densenet.ipynb", "blk = DenseBlock(2, 10)"))
    (transition,) = torch_sizes(book_outputs("densenet.ipynb", "blk = transition_block(10)"))
    blk = DenseBlock(2, 3, 10)
    Y = blk(minigrad.randn(4, 3, 8, 8))
    assert Y.shape == dense == (4, blk.out_channels, 8, 8)
    assert transition_block(blk.out_channels, 10)(Y).shape == transition


def test_densenet_channels_follow_the_books_arithmetic():
    """64 + 4*32 = 192, halved to 96; 96 + 128 = 224 -> 112; 112 + 128 = 240 -> 120; 120 + 128 = 248."""
    shapes = shapes_through(densenet(), (2, 1, 96, 96))
    assert shapes == [(2, 64, 24, 24), (2, 192, 24, 24), (2, 96, 12, 12), (2, 224, 12, 12), (2, 112, 6, 6),
                      (2, 240, 6, 6), (2, 120, 3, 3), (2, 248, 3, 3), (2, 10)]


@pytest.mark.parametrize("name", sorted(MODERN_CNNS))
def test_one_training_step_lowers_the_loss_on_its_batch(name):
    """Small images (the networks pool to 1x1 whatever the size) keep this quick."""
    minigrad.manual_seed(0)
    net = init_weights(MODERN_CNNS[name]())
    rng = np.random.default_rng(0)
    X, y = minigrad.tensor(rng.random((8, 1, 48, 48), dtype=np.float32)), minigrad.tensor(rng.integers(0, 10, 8))
    opt = minigrad.optim.SGD(net.parameters(), lr=0.01)  # the book trains both at lr 0.01
    loss_fn = minigrad.nn.CrossEntropyLoss()
    losses = []
    for _ in range(3):
        opt.zero_grad()
        loss = loss_fn(net(X), y)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert np.isfinite(losses).all() and losses[-1] < losses[0], losses
    assert all(p.grad is not None and np.isfinite(p.grad.numpy()).all() for p in net.parameters())
