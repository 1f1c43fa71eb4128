"""The current edition's class API (d2l 1.0.3): ``HyperParameters``, ``ProgressBoard``, ``Module``,
``DataModule``, ``Trainer``, ``Classifier``, ``FashionMNIST``, ``SGD``, ``init_cnn``, ``add_to_class``.

The same names, arguments and behaviour as the book's library, on minigrad: the images come from
``minigrad.data`` (its Fashion-MNIST reader and ``DataLoader``), the optimiser from ``minigrad.optim``,
gradient clipping from ``nn.utils.clip_grad_norm_``. Differences, all documented in docs/pytorch.md:
``DataModule``'s ``root`` defaults to minigrad's data folder (``$MINIGRAD_DATA``), ``num_workers`` changes
nothing (the data are in memory), a board plots at least every batch where the book's ``every_n`` would
round to 0, and the switches of ``minigrad.d2l.classic`` cut a run short (examples, batches, epochs).
"""
import collections
import inspect
import itertools

import numpy as np

import minigrad
from minigrad import nn, optim
from minigrad.d2l import classic
from minigrad.data import (IMAGE_SHAPE, DataLoader, bilinear_resize, data_root, get_fashion_mnist_labels,
                           load_fashion_mnist_arrays)
from minigrad.utils.data import DataLoader as TensorLoader
from minigrad.utils.data import TensorDataset


def add_to_class(Class):
    """A decorator that sets the function it decorates as an attribute of ``Class`` (the name becomes None)."""
    def wrapper(obj):
        setattr(Class, obj.__name__, obj)
    return wrapper


class HyperParameters:
    """``save_hyperparameters``: the caller's arguments become attributes (and ``self.hparams``)."""

    def save_hyperparameters(self, ignore=[]):
        """Every local of the calling function (its arguments, in ``__init__``) but ``self``, the names in
        ``ignore`` and those starting with ``_`` becomes an attribute; ``self.hparams`` holds them all."""
        caller = inspect.currentframe().f_back.f_locals
        skip = set(ignore) | {"self"}
        self.hparams = {k: v for k, v in caller.items() if k not in skip and not k.startswith("_")}
        for k, v in self.hparams.items():
            setattr(self, k, v)


Point = collections.namedtuple("Point", ["x", "y"])


class ProgressBoard(HyperParameters):
    """Curves drawn point by point: ``draw(x, y, label, every_n)`` plots the mean of every ``every_n`` points.

    In a notebook the figure is redrawn in place; elsewhere it is saved as
    ``$MINIGRAD_D2L_FIGURES/<title or board>_<n>.png`` (its path printed once). ``title``, set after
    construction (``Trainer`` sets the model's class name), heads the figure.
    """

    def __init__(self, xlabel=None, ylabel=None, xlim=None, ylim=None, xscale="linear", yscale="linear",
                 ls=["-", "--", "-.", ":"], colors=["C0", "C1", "C2", "C3"], fig=None, axes=None,
                 figsize=(3.5, 2.5), display=True):
        self.save_hyperparameters()
        self.title, self.path = None, None
        self.raw_points, self.data = collections.OrderedDict(), collections.OrderedDict()

    def draw(self, x, y, label, every_n=1):
        points = self.raw_points.setdefault(label, [])
        line = self.data.setdefault(label, [])
        points.append(Point(x, y))
        if len(points) != every_n:
            return
        line.append(Point(sum(p.x for p in points) / every_n, sum(p.y for p in points) / every_n))
        points.clear()
        if self.display:
            self._redraw()

    def _redraw(self):
        if self.fig is None:
            self.fig, (self.axes,) = classic.new_figure(self.figsize)
        self.axes.cla()
        for (label, line), ls, color in zip(self.data.items(), self.ls, self.colors):
            self.axes.plot([p.x for p in line], [p.y for p in line], linestyle=ls, color=color, label=label)
        if self.xlim:
            self.axes.set_xlim(self.xlim)
        if self.ylim:
            self.axes.set_ylim(self.ylim)
        self.axes.set_xlabel(self.xlabel)
        self.axes.set_ylabel(self.ylabel)
        self.axes.set_xscale(self.xscale)
        self.axes.set_yscale(self.yscale)
        self.axes.legend(fontsize="small", framealpha=0.6)  # the curves show through where they cross it
        if self.title:
            self.axes.set_title(self.title, fontsize="medium")
        if self.path is None and not classic.in_notebook():
            self.path = classic.figure_path(self.title or "board")
            print(f"curves: {self.path}")
        classic.show(self.fig, self.path)


class Module(nn.Module, HyperParameters):
    """The base class of the book's models: ``forward`` runs ``self.net``; ``training_step`` and
    ``validation_step`` compute ``loss`` on a batch and plot it on ``self.board``."""

    def __init__(self, plot_train_per_epoch=2, plot_valid_per_epoch=1):
        super().__init__()
        self.save_hyperparameters()
        self.board = ProgressBoard()

    def loss(self, y_hat, y):
        raise NotImplementedError(f"{type(self).__name__} defines no loss(y_hat, y) (d2l.Classifier has one)")

    def forward(self, X):
        if not hasattr(self, "net"):
            raise AssertionError(f"{type(self).__name__} has no self.net: set it in __init__ or define forward")
        return self.net(X)

    def plot(self, key, value, train):
        """Plot ``value`` as ``train_<key>`` (at the fraction of epochs done) or ``val_<key>`` (at the epoch's end)."""
        if not hasattr(self, "trainer"):
            raise AssertionError("Module.plot needs a trainer: call it from Trainer.fit")
        self.board.xlabel = "epoch"
        if train:
            x = self.trainer.train_batch_idx / self.trainer.num_train_batches
            n = self.trainer.num_train_batches / self.plot_train_per_epoch
        else:
            x = self.trainer.epoch + 1
            n = self.trainer.num_val_batches / self.plot_valid_per_epoch
        value = value.item() if isinstance(value, minigrad.Tensor) else float(value)
        self.board.draw(x, value, ("train_" if train else "val_") + key, every_n=max(int(n), 1))

    def training_step(self, batch):
        loss = self.loss(self(*batch[:-1]), batch[-1])
        self.plot("loss", loss, train=True)
        return loss

    def validation_step(self, batch):
        loss = self.loss(self(*batch[:-1]), batch[-1])
        self.plot("loss", loss, train=False)

    def configure_optimizers(self):
        return optim.SGD(self.parameters(), lr=self.lr)

    def apply_init(self, inputs, init=None):
        """Run ``forward(*inputs)`` once (lazy layers take their sizes), then ``self.net.apply(init)``."""
        self.forward(*inputs)
        if init is not None:
            self.net.apply(init)


class DataModule(HyperParameters):
    """The base class of the book's data: ``get_dataloader(train)`` gives the batches of one split.

    ``root``: the data folder (None: minigrad's, ``$MINIGRAD_DATA``); ``num_workers`` changes nothing.
    """

    def __init__(self, root=None, num_workers=4):
        self.save_hyperparameters()

    def get_dataloader(self, train):
        raise NotImplementedError(f"{type(self).__name__} defines no get_dataloader(train)")

    def train_dataloader(self):
        return self.get_dataloader(train=True)

    def val_dataloader(self):
        return self.get_dataloader(train=False)

    def get_tensorloader(self, tensors, train, indices=slice(0, None)):
        """Batches of ``self.batch_size`` rows of ``tensors[indices]`` (shuffled when ``train``)."""
        return TensorLoader(TensorDataset(*(a[indices] for a in tensors)), self.batch_size, shuffle=train)


class ImageSet:
    """One split of an image set: ``len()`` and ``[i]`` -> (float32 image (1, H, W) in [0, 1], int label)."""

    def __init__(self, images, labels, resize):
        self.images, self.labels, self.resize = images, labels, resize

    def __len__(self):
        return len(self.images)

    def __getitem__(self, i):
        X = np.divide(self.images[i][None], np.float32(255), dtype=np.float32)
        return minigrad.tensor(X if self.resize is None else bilinear_resize(X, self.resize)), int(self.labels[i])


class FashionMNIST(DataModule):
    """Fashion-MNIST at ``resize`` (h, w), in batches of ``batch_size``: float32 (n, 1, h, w) in [0, 1] and
    int64 labels; the training split reshuffled each epoch from minigrad's generator.

    ``self.train`` and ``self.val`` are the splits; ``$MINIGRAD_D2L_LIMIT`` keeps their first examples.
    A ``root`` holding the book's download (``root/FashionMNIST/raw``) is read as it is.
    """

    def __init__(self, batch_size=64, resize=(28, 28)):
        super().__init__()
        self.save_hyperparameters()
        folder = data_root(self.root)
        if (folder / "FashionMNIST" / "raw").is_dir():
            folder = folder / "FashionMNIST" / "raw"
        size = None if tuple(resize) == IMAGE_SHAPE else tuple(resize)
        splits = []
        for train, limit in zip((True, False), classic._limits()):
            images, labels = load_fashion_mnist_arrays(folder, train)
            splits.append(ImageSet(images[:limit], labels[:limit], size))
        self.train, self.val = splits

    def text_labels(self, indices):
        """The class names of the labels ``indices``."""
        return get_fashion_mnist_labels(indices)

    def get_dataloader(self, train):
        split = self.train if train else self.val
        return DataLoader(split.images, split.labels, self.batch_size, shuffle=train, resize=split.resize)

    def visualize(self, batch, nrows=1, ncols=8, labels=[]):
        X, y = batch
        show_images(X.squeeze(1), nrows, ncols, titles=labels or self.text_labels(y))


def show_images(imgs, num_rows, num_cols, titles=None, scale=1.5):
    """Images in a grid of ``num_rows`` x ``num_cols`` (titled), shown or saved as ``images_<n>.png``; the axes."""
    fig, axes = classic.new_figure((num_cols * scale, num_rows * scale), num_rows, num_cols)
    for i, (ax, img) in enumerate(zip(axes, imgs)):
        ax.imshow(img.numpy() if isinstance(img, minigrad.Tensor) else img)
        ax.axes.get_xaxis().set_visible(False)
        ax.axes.get_yaxis().set_visible(False)
        if titles:
            ax.set_title(titles[i])
    classic.show(fig, None if classic.in_notebook() else classic.figure_path("images"))
    return axes


class Trainer(HyperParameters):
    """Fits a ``Module`` to a ``DataModule``: ``max_epochs`` epochs of ``training_step`` + SGD step (gradients
    clipped to norm ``gradient_clip_val`` when > 0), then ``validation_step`` on every validation batch.

    ``num_gpus``: the first min(num_gpus, available) CUDA devices; the model and batches go to the first.
    ``$MINIGRAD_D2L_MAX_BATCHES`` and ``$MINIGRAD_D2L_MAX_EPOCHS`` cut the run short (quick runs, tests).
    """

    def __init__(self, max_epochs, num_gpus=0, gradient_clip_val=0):
        self.save_hyperparameters()
        self.gpus = [classic.gpu(i) for i in range(min(num_gpus, classic.num_gpus()))]

    def prepare_data(self, data):
        cap = classic._cap(classic.MAX_BATCHES_VAR)
        self.train_dataloader = data.train_dataloader()
        self.val_dataloader = data.val_dataloader()
        self.num_train_batches = min(len(self.train_dataloader), cap or len(self.train_dataloader))
        self.num_val_batches = 0 if self.val_dataloader is None else \
            min(len(self.val_dataloader), cap or len(self.val_dataloader))

    def prepare_model(self, model):
        model.trainer = self
        model.board.xlim = [0, self.max_epochs]
        model.board.title = type(model).__name__
        if self.gpus:
            model.to(self.gpus[0])
        self.model = model

    def fit(self, model, data):
        self.prepare_data(data)
        self.prepare_model(model)
        self.optim = model.configure_optimizers()
        self.epoch = self.train_batch_idx = self.val_batch_idx = 0
        for self.epoch in range(min(self.max_epochs, classic._cap(classic.MAX_EPOCHS_VAR) or self.max_epochs)):
            self.fit_epoch()

    def prepare_batch(self, batch):
        """The batch on the first GPU (when there is one)."""
        return [a.to(self.gpus[0]) for a in batch] if self.gpus else batch

    def fit_epoch(self):
        self.model.train()
        for batch in itertools.islice(self.train_dataloader, self.num_train_batches):
            loss = self.model.training_step(self.prepare_batch(batch))
            self.optim.zero_grad()
            with minigrad.no_grad():
                loss.backward()
                if self.gradient_clip_val > 0:
                    self.clip_gradients(self.gradient_clip_val, self.model)
                self.optim.step()
            self.train_batch_idx += 1
        if self.val_dataloader is None:
            return
        self.model.eval()
        for batch in itertools.islice(self.val_dataloader, self.num_val_batches):
            with minigrad.no_grad():
                self.model.validation_step(self.prepare_batch(batch))
            self.val_batch_idx += 1

    def clip_gradients(self, grad_clip_val, model):
        """Scale the gradients of ``model`` so that their joint norm is at most ``grad_clip_val``."""
        nn.utils.clip_grad_norm_([p for p in model.parameters() if p.requires_grad], grad_clip_val)


class Classifier(Module):
    """A ``Module`` for classification: cross-entropy ``loss``, ``accuracy``, and validation plots of both."""

    def validation_step(self, batch):
        Y_hat = self(*batch[:-1])
        self.plot("loss", self.loss(Y_hat, batch[-1]), train=False)
        self.plot("acc", self.accuracy(Y_hat, batch[-1]), train=False)

    def accuracy(self, Y_hat, Y, averaged=True):
        """The fraction (``averaged``) or the 0/1 flags of predictions (argmax of the last axis) equal to ``Y``."""
        preds = Y_hat.reshape((-1, Y_hat.shape[-1])).argmax(axis=1).type(Y.dtype)
        compare = (preds == Y.reshape(-1)).type(minigrad.float32)
        return compare.mean() if averaged else compare

    def loss(self, Y_hat, Y, averaged=True):
        return nn.functional.cross_entropy(Y_hat.reshape((-1, Y_hat.shape[-1])), Y.reshape((-1,)),
                                           reduction="mean" if averaged else "none")

    def layer_summary(self, X_shape):
        """Print each layer's class and output shape for a random input of ``X_shape``."""
        X = minigrad.randn(*X_shape)
        for layer in self.net:
            X = layer(X)
            print(layer.__class__.__name__, "output shape:\t", X.shape)


class SGD(HyperParameters):
    """Minibatch SGD written out, as the book's: ``step`` subtracts ``lr * grad`` in place (under no_grad)."""

    def __init__(self, params, lr):
        self.save_hyperparameters()

    def step(self):
        for param in self.params:
            param -= self.lr * param.grad

    def zero_grad(self):
        for param in self.params:
            if param.grad is not None:
                param.grad.zero_()


def init_cnn(module):
    """Xavier-uniform weights for a module that is exactly an ``nn.Linear`` or ``nn.Conv2d``."""
    if type(module) in (nn.Linear, nn.Conv2d):
        nn.init.xavier_uniform_(module.weight)
