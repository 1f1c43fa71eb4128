"""Fashion-MNIST for minigrad: d2l's ``load_data_fashion_mnist`` without torch.

The four IDX files are read with ``numpy.frombuffer`` and checked (magic number,
shape, count, SHA-256 of the decompressed bytes); missing ones are downloaded from
public mirrors into a cache folder. ``DataLoader`` turns uint8 images into float32
tensors in [0, 1] batch by batch, optionally resized, on the requested device.
"""
import functools
import gzip
import hashlib
import http.client
import math
import os
import tempfile
import urllib.request
import zlib
from pathlib import Path

import numpy as np
from tqdm import tqdm

from minigrad import backend
from minigrad import distributed as dist
from minigrad import random as _random
from minigrad.checks import check_int
from minigrad.core import Tensor

FASHION_MNIST_CLASSES = ("t-shirt", "trouser", "pullover", "dress", "coat",
                         "sandal", "shirt", "sneaker", "bag", "ankle boot")

# Tried in order for each missing file, as ``<mirror>/<name>.gz`` (tests use a file:// folder).
MIRRORS = [
    "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com",
    "https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion",
]

# SHA-256 of each file's decompressed bytes: the same for the official .gz downloads and plain copies.
SHA256 = {
    "train-images-idx3-ubyte": "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
    "train-labels-idx1-ubyte": "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
    "t10k-images-idx3-ubyte": "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
    "t10k-labels-idx1-ubyte": "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34",
}
FILES = {"train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
         "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")}
COUNTS = {"train": 60000, "test": 10000}
IMAGE_SHAPE = (28, 28)
IMAGES_MAGIC, LABELS_MAGIC = 0x00000803, 0x00000801  # unsigned bytes, 3 and 1 dimensions
ENV_VAR = "MINIGRAD_DATA"
DEFAULT_ROOT = "~/.cache/minigrad/fashion-mnist"

_FOLDER = (f"{ENV_VAR}, or pass --data-dir (the scripts) or root= (Python), to a folder holding the four "
           f"Fashion-MNIST files ({', '.join(name + '[.gz]' for name in SHA256)})")
_WHERE = f"Set {_FOLDER}."
_FIX = f"Delete it to re-download, or set {_FOLDER}."


class DatasetError(RuntimeError):
    """A dataset file is unreadable, corrupt, or not the file expected."""


def _file_bytes(path, gz):
    """The bytes of ``path``, gunzipped when ``gz``; failures become errors that name the file."""
    try:
        raw = path.read_bytes()
        return gzip.decompress(raw) if gz else raw
    except FileNotFoundError:
        raise FileNotFoundError(f"{path} does not exist. {_WHERE}") from None
    except (OSError, EOFError, zlib.error) as exc:
        raise DatasetError(f"cannot read {path} ({'gzip' if gz else 'plain'} file): "
                           f"{type(exc).__name__}: {exc}. {_FIX}") from None


def read_idx(path, expected_sha256=None, magic=None):
    """Read an unsigned-byte IDX file (gzipped when its name ends in ``.gz``) into a read-only uint8 array.

    ``magic`` (``IMAGES_MAGIC`` or ``LABELS_MAGIC``; default: either) and ``expected_sha256``
    (of the decompressed bytes) are checked when given; a problem raises ``DatasetError``.
    """
    path = Path(path)
    raw = _file_bytes(path, path.suffix == ".gz")
    allowed = (IMAGES_MAGIC, LABELS_MAGIC) if magic is None else (magic,)
    if len(raw) < 4:
        raise DatasetError(f"{path} is truncated: {len(raw)} bytes, shorter than an IDX header. {_FIX}")
    found = int.from_bytes(raw[:4], "big")
    if found not in allowed:
        expected = " or ".join(f"0x{m:08x}" for m in allowed)
        raise DatasetError(f"{path}: magic number 0x{found:08x}, expected {expected}; "
                           f"this is not the expected IDX file. {_FIX}")
    header = 4 + 4 * raw[3]
    if len(raw) < header:
        raise DatasetError(f"{path} is truncated: {len(raw)} bytes, its header alone needs {header}. {_FIX}")
    shape = tuple(int(d) for d in np.frombuffer(raw, ">u4", raw[3], 4))
    size, found_size = math.prod(shape), len(raw) - header
    if found_size != size:
        state = "truncated" if found_size < size else "too long"
        raise DatasetError(f"{path} is {state}: its header declares shape {shape}, i.e. {size} data bytes, "
                           f"but it holds {found_size}. {_FIX}")
    if expected_sha256 is not None:
        actual = hashlib.sha256(raw).hexdigest()
        if actual != expected_sha256:
            raise DatasetError(f"{path}: SHA-256 of the decompressed bytes is {actual}, expected "
                               f"{expected_sha256}; the file is corrupt or not this dataset's. {_FIX}")
    return np.frombuffer(raw, np.uint8, size, header).reshape(shape)


def data_root(root=None):
    """The dataset folder: ``root``, else ``$MINIGRAD_DATA``, else ``~/.cache/minigrad/fashion-mnist``."""
    return Path(root if root is not None else os.environ.get(ENV_VAR) or DEFAULT_ROOT).expanduser()


def _fetch(url, dest, sha256):
    """Download ``url`` to ``dest`` through a temp file in its folder, installed only once verified."""
    tmp = None
    try:
        with urllib.request.urlopen(url, timeout=60) as response:
            dest.parent.mkdir(parents=True, exist_ok=True)
            total = int(response.headers.get("Content-Length") or 0) or None
            with tempfile.NamedTemporaryFile("wb", dir=dest.parent, prefix=f".{dest.name}.",
                                             suffix=".part", delete=False) as out, \
                    tqdm(total=total, unit="B", unit_scale=True, desc=f"Downloading {dest.name}") as bar:
                tmp = out.name
                for chunk in iter(lambda: response.read(1 << 20), b""):
                    out.write(chunk)
                    bar.update(len(chunk))
        actual = hashlib.sha256(_file_bytes(Path(tmp), gz=True)).hexdigest()
        if actual != sha256:
            raise DatasetError(f"SHA-256 of the decompressed download is {actual}, expected {sha256}")
        os.replace(tmp, dest)
        tmp = None
    finally:
        if tmp is not None and os.path.exists(tmp):
            os.unlink(tmp)


def _find_or_download(root, name, download):
    """The path of ``name`` or ``name.gz`` in ``root``, downloading the .gz when neither exists."""
    for path in (root / name, root / f"{name}.gz"):
        if path.is_file():
            return path
    dest = root / f"{name}.gz"
    if not download:
        raise FileNotFoundError(f"neither {root / name} nor {dest} exists (download=False). {_WHERE}")
    failures = []
    for mirror in MIRRORS:
        url = f"{mirror.rstrip('/')}/{name}.gz"
        try:
            _fetch(url, dest, SHA256[name])
            return dest
        except (OSError, http.client.HTTPException, ValueError, DatasetError) as exc:
            failures.append(f"  {url}: {type(exc).__name__}: {exc}")
    raise FileNotFoundError(f"neither {root / name} nor {dest} exists, and no mirror served it"
                            + ("".join("\n" + f for f in failures) or " (MIRRORS is empty)") + f"\n{_WHERE}")


def load_fashion_mnist_arrays(root=None, train=True, download=True):
    """One split as (images uint8 (N, 28, 28), labels int64 (N,)), verified, downloaded if missing."""
    split = "train" if train else "test"
    root = data_root(root)
    (image_name, label_name), count = FILES[split], COUNTS[split]
    image_path = _find_or_download(root, image_name, download)
    label_path = _find_or_download(root, label_name, download)
    images = read_idx(image_path, SHA256[image_name], IMAGES_MAGIC)
    labels = read_idx(label_path, SHA256[label_name], LABELS_MAGIC)
    if images.shape[1:] != IMAGE_SHAPE:
        raise DatasetError(f"{image_path}: images are {images.shape[1]}x{images.shape[2]}, "
                           f"expected {IMAGE_SHAPE[0]}x{IMAGE_SHAPE[1]}. {_FIX}")
    for path, n in ((image_path, len(images)), (label_path, len(labels))):
        if n != count:
            raise DatasetError(f"{path} holds {n} examples, expected {count} for the {split} split "
                               f"(images: {len(images)}, labels: {len(labels)}). {_FIX}")
    return images, labels.astype(np.int64)


def get_fashion_mnist_labels(labels):
    """The text names of numeric labels (d2l's ``get_fashion_mnist_labels``): integers in [0, 10)."""
    values = np.asarray(backend.to_numpy(labels.array if isinstance(labels, Tensor) else labels)).ravel()
    if values.size and (values.dtype.kind not in "iu" or values.min() < 0
                        or values.max() >= len(FASHION_MNIST_CLASSES)):
        raise ValueError(f"get_fashion_mnist_labels: labels must be integers in [0, {len(FASHION_MNIST_CLASSES)}), "
                         f"got {values.dtype} values {values[:10].tolist()}")
    return [FASHION_MNIST_CLASSES[int(i)] for i in values]


@functools.lru_cache(maxsize=None)
def _interpolation_matrix(in_size, out_size):
    """(out_size, in_size) weights of linear interpolation with half-pixel centres (align_corners=False)."""
    src = np.maximum((np.arange(out_size) + 0.5) * (in_size / out_size) - 0.5, 0.0)
    low = np.minimum(src.astype(np.int64), in_size - 1)
    high = np.minimum(low + 1, in_size - 1)
    frac = src - low
    matrix = np.zeros((out_size, in_size), np.float32)
    np.add.at(matrix, (np.arange(out_size), low), 1.0 - frac)
    np.add.at(matrix, (np.arange(out_size), high), frac)
    matrix.flags.writeable = False
    return matrix


def bilinear_resize(images, size):
    """Resize float images (..., H, W) to ``size`` (an int or (h, w)) as torchvision's bilinear ``Resize``.

    Half-pixel centres, edges clamped; no antialiasing, so it matches torchvision when
    enlarging (d2l's 28 -> 224) and differs from it when shrinking.
    """
    height, width = (size, size) if isinstance(size, (int, np.integer)) else size
    height, width = (check_int(name, n, 1, "bilinear_resize") for name, n in (("height", height), ("width", width)))
    rows = _interpolation_matrix(images.shape[-2], int(height))
    cols = _interpolation_matrix(images.shape[-1], int(width))
    tall = np.matmul(rows, images)  # (..., h, W); then the columns as one large matrix product
    return (tall.reshape(-1, tall.shape[-1]) @ cols.T).reshape(tall.shape[:-1] + (cols.shape[0],))


class DistributedSampler:
    """One process's share of a dataset's indices, as ``torch.utils.data.DistributedSampler``.

    ``dataset``: a length or anything with ``len()``. Each epoch every process
    draws the same order, ``numpy.random.default_rng(seed + epoch).permutation``
    (``range`` without ``shuffle``; call ``set_epoch(epoch)`` before each epoch),
    and process ``rank`` takes positions rank, rank + R, rank + 2R, ... of it
    (R = ``num_replicas``): the shards are disjoint, and batch k of size B of
    every process together make positions [k*B*R, (k+1)*B*R), the k-th global
    batch of size B*R. As in torch, ``drop_last=False`` first pads the order to
    a multiple of R with its own first indices (a few examples twice), and
    ``drop_last=True`` drops the last ``len % R`` positions. ``num_replicas``
    and ``rank`` default to those of the process group.
    """

    def __init__(self, dataset, num_replicas=None, rank=None, shuffle=True, seed=0, drop_last=False):
        n = dataset if isinstance(dataset, (int, np.integer)) and not isinstance(dataset, bool) else len(dataset)
        num_replicas = dist.get_world_size() if num_replicas is None else num_replicas
        rank = dist.get_rank() if rank is None else rank
        if not isinstance(num_replicas, (int, np.integer)) or num_replicas < 1:
            raise ValueError(f"DistributedSampler: num_replicas must be a positive int, got {num_replicas!r}")
        if not isinstance(rank, (int, np.integer)) or not 0 <= rank < num_replicas:
            raise ValueError(f"DistributedSampler: invalid rank {rank!r}, rank should be in the interval "
                             f"[0, {num_replicas - 1}]")
        if n < 0:
            raise ValueError(f"DistributedSampler: a dataset length must be >= 0, got {n}")
        seed = check_int("seed", seed, 0, "DistributedSampler")  # NumPy's generators take seeds >= 0
        self.dataset_len, self.num_replicas, self.rank = int(n), int(num_replicas), int(rank)
        self.shuffle, self.seed, self.drop_last, self.epoch = shuffle, seed, drop_last, 0
        self.num_samples = n // num_replicas if drop_last else -(-n // num_replicas)
        self.total_size = self.num_samples * self.num_replicas

    def __iter__(self):
        n = self.dataset_len
        order = np.random.default_rng(self.seed + self.epoch).permutation(n) if self.shuffle else np.arange(n)
        if self.total_size > n:
            order = np.concatenate([order, np.resize(order, self.total_size - n)])
        return iter(order[self.rank:self.total_size:self.num_replicas].tolist())

    def __len__(self):
        return self.num_samples

    def set_epoch(self, epoch):
        """The epoch whose order to draw (the same ``epoch`` on every process gives the same order)."""
        self.epoch = check_int("epoch", epoch, 0, "DistributedSampler.set_epoch")


class DataLoader:
    """Mini-batches ``(X, y)`` of an in-memory image set, like torch's DataLoader.

    ``images``: uint8 (N, H, W) or (N, 1, H, W); ``labels``: N integers. X is float32
    (n, 1, H, W) in [0, 1] (bilinearly resized to ``resize`` when given), y int64 (n,),
    both on ``device``; the last, partial batch is kept. With ``shuffle``, each epoch draws
    a permutation from ``numpy.random.default_rng(seed)`` (minigrad's generator when seed
    is None); ``state_dict``/``load_state_dict`` save and restore it to resume the order.
    ``sampler`` (e.g. a ``DistributedSampler``), as in torch, gives the indices instead.
    """

    def __init__(self, images, labels, batch_size, shuffle=False, seed=None, device="cpu", resize=None,
                 sampler=None):
        images, labels = np.asarray(images), np.asarray(labels)
        if images.ndim == 3:
            images = images[:, None]
        if images.dtype != np.uint8 or images.ndim != 4 or images.shape[1] != 1:
            raise ValueError(f"images must be uint8 of shape (N, H, W) or (N, 1, H, W), "
                             f"got {images.dtype} of shape {images.shape}")
        if labels.shape != (len(images),) or labels.dtype.kind not in "iu":
            raise ValueError(f"labels must be {len(images)} integers (one per image), "
                             f"got {labels.dtype} of shape {labels.shape}")
        if labels.dtype == np.uint64 and labels.size and labels.max() > np.iinfo(np.int64).max:
            raise ValueError(f"labels must fit int64, got {labels.max()}")
        if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
            raise ValueError(f"batch_size must be a positive int, got {batch_size!r}")
        if resize is not None:
            sizes = resize if isinstance(resize, (tuple, list)) else (resize,)
            if len(sizes) not in (1, 2):
                raise ValueError(f"DataLoader: resize must be an int or a pair (h, w), got {resize!r}")
            for size in sizes:
                check_int("resize", size, 1, "DataLoader")
        if seed is not None:
            check_int("seed", seed, 0, "DataLoader")
        self.device = backend.Device(device)
        if self.device.type == "cuda":
            backend.check_cuda(self.device)
        self.images, self.labels = images, labels.astype(np.int64, copy=False)
        self.num_examples, self.batch_size, self.shuffle, self.resize = len(images), int(batch_size), shuffle, resize
        if not isinstance(shuffle, (bool, np.bool_)):
            raise TypeError(f"DataLoader: shuffle must be True or False, got {type(shuffle).__name__} {shuffle!r}")
        if sampler is not None and not (hasattr(sampler, "__iter__") and hasattr(sampler, "__len__")):
            raise TypeError(f"DataLoader: sampler must be an iterable of indices with a length (a list, a "
                            f"DistributedSampler), got {type(sampler).__name__}")
        if sampler is not None and shuffle:
            raise ValueError("DataLoader: sampler and shuffle=True are mutually exclusive (the sampler orders the "
                             "examples; DistributedSampler shuffles itself)")
        self.sampler = sampler
        self.epoch = 0  # epochs started
        self._rng = None if seed is None else np.random.default_rng(seed)

    def _generator(self):
        return self._rng if self._rng is not None else _random.default_generator()

    def __len__(self):
        return -(-(self.num_examples if self.sampler is None else len(self.sampler)) // self.batch_size)

    def __iter__(self):
        if self.sampler is not None:
            order = np.asarray(list(self.sampler))
            if order.size and (order.dtype.kind not in "iu" or order.min() < 0 or order.max() >= self.num_examples):
                raise IndexError(f"DataLoader: the sampler must give integer indices in [0, {self.num_examples}), "
                                 f"got {order.dtype} indices from {order.min()} to {order.max()}")
            order = order.astype(np.int64, copy=False)
        else:
            order = self._generator().permutation(self.num_examples) if self.shuffle else np.arange(self.num_examples)
        self.epoch += 1
        return self._batches(order)

    def _batches(self, order):
        for start in range(0, len(order), self.batch_size):
            index = order[start:start + self.batch_size]
            x = np.divide(self.images[index], np.float32(255), dtype=np.float32)
            if self.resize is not None:
                x = bilinear_resize(x, self.resize)
            yield (Tensor(backend.to_device(x, self.device)),
                   Tensor(backend.to_device(self.labels[index], self.device)))

    def state_dict(self):
        """The epoch counter and the shuffling generator's bit-generator state (JSON-serialisable)."""
        return {"epoch": self.epoch, "rng_state": self._generator().bit_generator.state}

    def load_state_dict(self, state):
        """Restore a ``state_dict``: the next epoch is shuffled as it would have been (with seed=None
        this sets minigrad's global generator). A state that is not one (not a dict, a key missing, a
        negative epoch, another generator's state) is refused before anything changes."""
        if not isinstance(state, dict):
            raise TypeError(f"DataLoader.load_state_dict: expected a dict with keys 'epoch' and 'rng_state' "
                            f"(from DataLoader.state_dict()), got {type(state).__name__}")
        missing = [key for key in ("epoch", "rng_state") if key not in state]
        if missing:
            raise ValueError(f"DataLoader.load_state_dict: the state has no {' and no '.join(map(repr, missing))} "
                             f"(expected DataLoader.state_dict()'s keys 'epoch' and 'rng_state', got {list(state)})")
        epoch = check_int("epoch", state["epoch"], 0, "DataLoader.load_state_dict")
        bit_generator = self._generator().bit_generator
        try:
            bit_generator.state = state["rng_state"]
        except (TypeError, ValueError, KeyError) as e:
            raise ValueError(f"DataLoader.load_state_dict: rng_state is not a state of the "
                             f"{type(bit_generator).__name__} generator: {type(e).__name__}: {e}") from None
        self.epoch = epoch


def load_fashion_mnist(batch_size, root=None, resize=None, device="cpu", seed=0,
                       limit_train=None, limit_test=None, download=True):
    """``(train_iter, test_iter)`` as d2l's ``load_data_fashion_mnist``: train shuffled with ``seed``,
    test in order; ``limit_train``/``limit_test`` keep only the first N examples (an int >= 1; None keeps
    them all)."""
    for name, limit in (("limit_train", limit_train), ("limit_test", limit_test)):
        if limit is not None:
            check_int(name, limit, 1, "load_fashion_mnist")
    loaders = []
    for train, limit in ((True, limit_train), (False, limit_test)):
        images, labels = load_fashion_mnist_arrays(root, train, download)
        loaders.append(DataLoader(images[:limit], labels[:limit], batch_size, shuffle=train,
                                  seed=seed if train else None, device=device, resize=resize))
    return tuple(loaders)
