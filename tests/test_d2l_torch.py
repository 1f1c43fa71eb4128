"""The current edition's networks on minigrad and on PyTorch with the same weights (skipped where torch is not
installed): the two BatchNorm LeNets of the batch-norm chapter (the loss before and after one SGD step, and in
eval mode with the running statistics), and
ResNet-18 and DenseNet of their chapters (the first loss). Each network is built twice from the book's own code
(its notebook's class cells), once with minigrad's names and once with PyTorch's; the lazy layers take their sizes
from a first forward, then minigrad's parameters and buffers (and the book's BatchNorm's moving statistics) are
copied into the PyTorch network."""
import json
from pathlib import Path

import numpy as np
import pytest

import minigrad
from minigrad import d2l

torch = pytest.importorskip("torch")

BOOK = Path(__file__).resolve().parents[2] / "shared" / "books" / "d2l-en-1.0.3" / "notebooks"
DEFINITIONS = ("def ", "class ", "@d2l.add_to_class")


class TorchClassifier(torch.nn.Module, d2l.HyperParameters):
    """What the networks need of the book's d2l.Classifier, in PyTorch (loss, forward, the optimiser)."""

    def forward(self, X):
        return self.net(X)

    def loss(self, Y_hat, Y):
        return torch.nn.functional.cross_entropy(Y_hat.reshape((-1, Y_hat.shape[-1])), Y.reshape((-1,)))

    def configure_optimizers(self):
        return torch.optim.SGD(self.parameters(), lr=self.lr)


def torch_init_cnn(module):
    if type(module) in (torch.nn.Linear, torch.nn.Conv2d):
        torch.nn.init.xavier_uniform_(module.weight)


def definitions(chapter):
    """The book's class and function cells of a chapter, run once with minigrad's names and once with torch's."""
    path = BOOK / chapter
    if not path.is_file():
        pytest.skip(f"the book's notebook is not at {path}")
    cells = ["".join(c["source"]) for c in json.loads(path.read_text())["cells"] if c["cell_type"] == "code"]
    code = [src for src in cells if src.startswith(DEFINITIONS)]
    torch_d2l = type("d2l", (), {"Classifier": TorchClassifier, "add_to_class": staticmethod(d2l.add_to_class),
                                 "init_cnn": staticmethod(torch_init_cnn)})
    spaces = ({"torch": minigrad, "nn": minigrad.nn, "F": minigrad.nn.functional, "d2l": d2l},
              {"torch": torch, "nn": torch.nn, "F": torch.nn.functional, "d2l": torch_d2l})
    for space in spaces:
        for src in code:
            exec(compile(src, str(path), "exec"), space)
    return spaces


def twins(chapter, name, X, **kwargs):
    """(minigrad network, torch network) of class ``name``, sized by a first forward of X, same weights and buffers."""
    ours_space, torch_space = definitions(chapter)
    minigrad.manual_seed(0)
    ours, theirs = ours_space[name](**kwargs), torch_space[name](**kwargs)
    ours.apply_init([X], d2l.init_cnn)
    with torch.no_grad():
        theirs(torch.from_numpy(X.numpy()))
    state = {k: torch.from_numpy(np.array(v.numpy())) for k, v in ours.state_dict().items()}
    theirs.load_state_dict(state, strict=True)
    for mine, other in zip(ours.modules(), theirs.modules()):  # the book's BatchNorm keeps its statistics
        for name in ("moving_mean", "moving_var"):                # in plain attributes, not in the state_dict
            if hasattr(mine, name):
                setattr(other, name, torch.from_numpy(np.array(getattr(mine, name).numpy())))
    return ours, theirs


def losses(ours, theirs, X, y):
    return (ours.loss(ours(X), y), theirs.loss(theirs(torch.from_numpy(X.numpy())), torch.from_numpy(y.numpy())))


@pytest.mark.parametrize("name", ["BNLeNetScratch", "BNLeNet"])
def test_the_bn_lenets_agree_with_pytorch_before_and_after_one_sgd_step(name):
    minigrad.manual_seed(1)
    X, y = minigrad.rand(32, 1, 28, 28), minigrad.randint(0, 10, (32,))
    ours, theirs = twins("chapter_convolutional-modern/batch-norm.ipynb", name, X[:8], lr=0.1)
    ours.train(), theirs.train()
    first = losses(ours, theirs, X, y)
    assert first[0].item() == pytest.approx(first[1].item(), abs=1e-4)
    for net, loss in zip((ours, theirs), first):
        opt = net.configure_optimizers()
        opt.zero_grad()
        loss.backward()
        opt.step()
    after = losses(ours, theirs, X, y)
    assert after[0].item() == pytest.approx(after[1].item(), abs=1e-4)
    assert after[0].item() < first[0].item() - 1e-3  # the step moved the weights (and the same way)
    # validation: eval mode, no graph, the running statistics of the forwards so far
    ours.eval(), theirs.eval()
    with minigrad.no_grad(), torch.no_grad():
        evaluated = losses(ours, theirs, X, y)
    assert evaluated[0].item() == pytest.approx(evaluated[1].item(), abs=1e-4)
    assert abs(evaluated[0].item() - after[0].item()) > 1e-3  # the running statistics are not the batch's


@pytest.mark.parametrize("chapter, name, kwargs", [
    ("chapter_convolutional-modern/resnet.ipynb", "ResNet18", {"lr": 0.01}),
    ("chapter_convolutional-modern/densenet.ipynb", "DenseNet", {"lr": 0.01}),
])
def test_resnet18_and_densenet_agree_with_pytorch_on_the_first_loss(chapter, name, kwargs):
    minigrad.manual_seed(2)
    X, y = minigrad.rand(4, 1, 96, 96), minigrad.randint(0, 10, (4,))
    ours, theirs = twins(chapter, name, X, **kwargs)
    ours.train(), theirs.train()
    ours_loss, torch_loss = losses(ours, theirs, X, y)
    assert ours_loss.item() == pytest.approx(torch_loss.item(), abs=1e-4)
    assert 0.5 < ours_loss.item() < 10  # a real loss of 10 classes, not a degenerate one
