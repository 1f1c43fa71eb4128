"""minigrad.data: IDX parsing and checks, download through a file:// mirror, DataLoader, resize, real data."""
import gzip
import hashlib
import json

import numpy as np
import pytest

import minigrad
from minigrad import backend, data
from minigrad.data import DataLoader, DatasetError
from real_data import MISSING, REAL_DATA



def idx_bytes(array, magic=None):
    """The IDX encoding of a uint8 array (magic 0x0800 + ndim unless given)."""
    array = np.asarray(array, np.uint8)
    magic = 0x800 + array.ndim if magic is None else magic
    dims = b"".join(int(d).to_bytes(4, "big") for d in array.shape)
    return magic.to_bytes(4, "big") + dims + array.tobytes()


def write_idx(path, array, gz=None, **kwargs):
    """Write ``array`` as an IDX file, gzipped when the name ends in .gz; returns (path, raw sha256)."""
    raw = idx_bytes(array, **kwargs)
    path.write_bytes(gzip.compress(raw) if path.suffix == ".gz" else raw)
    return path, hashlib.sha256(raw).hexdigest()


def numbered_images(n, size=28):
    """n uint8 images whose pixels all equal their index (mod 256): a batch tells which examples it holds."""
    return np.broadcast_to((np.arange(n) % 256).astype(np.uint8)[:, None, None], (n, size, size)).copy()


@pytest.fixture
def fake_dataset(tmp_path, monkeypatch):
    """Four tiny gzipped Fashion-MNIST files (10 train, 6 test) with the module's checksums and counts patched."""
    folder = tmp_path / "fmnist"
    folder.mkdir()
    rng = np.random.default_rng(0)
    arrays, sums = {}, {}
    for split, n in (("train", 10), ("test", 6)):
        image_name, label_name = data.FILES[split]
        images, labels = rng.integers(0, 256, (n, 28, 28), dtype=np.uint8), rng.integers(0, 10, n).astype(np.uint8)
        _, sums[image_name] = write_idx(folder / f"{image_name}.gz", images)
        _, sums[label_name] = write_idx(folder / f"{label_name}.gz", labels)
        arrays[split] = images, labels
    monkeypatch.setattr(data, "SHA256", sums)
    monkeypatch.setattr(data, "COUNTS", {"train": 10, "test": 6})
    monkeypatch.delenv("MINIGRAD_DATA", raising=False)
    return folder, arrays


# -- read_idx ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["images-idx3-ubyte.gz", "images-idx3-ubyte"])
def test_read_idx_gzip_and_plain(tmp_path, name):
    images = np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4)
    path, digest = write_idx(tmp_path / name, images)
    out = data.read_idx(path, expected_sha256=digest, magic=data.IMAGES_MAGIC)
    assert out.dtype == np.uint8 and out.shape == (2, 3, 4)
    np.testing.assert_array_equal(out, images)
    labels = data.read_idx(write_idx(tmp_path / "labels", np.array([7, 0, 9]))[0])
    np.testing.assert_array_equal(labels, [7, 0, 9])


def test_read_idx_wrong_checksum(tmp_path):
    path, digest = write_idx(tmp_path / "x.gz", np.zeros((1, 2, 2)))
    with pytest.raises(DatasetError) as err:
        data.read_idx(path, expected_sha256="0" * 64)
    message = str(err.value)
    assert str(path) in message and digest in message and "0" * 64 in message and "re-download" in message


def test_read_idx_truncated_plain(tmp_path):
    path = tmp_path / "x"
    path.write_bytes(idx_bytes(np.ones((3, 4, 4)))[:-5])
    with pytest.raises(DatasetError, match="truncated") as err:
        data.read_idx(path)
    assert str(path) in str(err.value) and "48 data bytes" in str(err.value) and "holds 43" in str(err.value)
    path.write_bytes(b"\x00\x00\x08")
    with pytest.raises(DatasetError, match="truncated: 3 bytes"):
        data.read_idx(path)


def test_read_idx_truncated_gzip(tmp_path):
    path = tmp_path / "x.gz"
    path.write_bytes(gzip.compress(idx_bytes(np.arange(200).reshape(2, 10, 10)))[:-20])
    with pytest.raises(DatasetError, match="EOFError") as err:
        data.read_idx(path)
    assert str(path) in str(err.value) and "MINIGRAD_DATA" in str(err.value)


def test_read_idx_bad_gzip(tmp_path):
    path = tmp_path / "x.gz"
    path.write_bytes(b"this is not gzip data at all")
    with pytest.raises(DatasetError, match="BadGzipFile") as err:
        data.read_idx(path)
    assert str(path) in str(err.value) and err.value.__cause__ is None and err.value.__suppress_context__


def test_read_idx_wrong_magic(tmp_path):
    path, _ = write_idx(tmp_path / "x", np.zeros((2, 2, 2)), magic=0x00000D03)  # float64 type code
    with pytest.raises(DatasetError) as err:
        data.read_idx(path)
    assert "0x00000d03" in str(err.value) and "0x00000803 or 0x00000801" in str(err.value)
    labels, _ = write_idx(tmp_path / "labels", np.zeros(4))
    with pytest.raises(DatasetError, match="magic number 0x00000801, expected 0x00000803"):
        data.read_idx(labels, magic=data.IMAGES_MAGIC)


def test_read_idx_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="MINIGRAD_DATA") as err:
        data.read_idx(tmp_path / "nope.gz")
    assert str(tmp_path / "nope.gz") in str(err.value)


# -- load_fashion_mnist_arrays: root selection, checks, download --------------------------------------

def test_load_arrays_from_root(fake_dataset):
    folder, arrays = fake_dataset
    for train, split in ((True, "train"), (False, "test")):
        images, labels = data.load_fashion_mnist_arrays(folder, train=train, download=False)
        assert images.shape == (len(arrays[split][0]), 28, 28) and labels.dtype == np.int64
        np.testing.assert_array_equal(images, arrays[split][0])
        np.testing.assert_array_equal(labels, arrays[split][1])


def test_root_selection(fake_dataset, tmp_path, monkeypatch):
    folder, arrays = fake_dataset
    monkeypatch.setattr(data, "MIRRORS", [])
    monkeypatch.setenv("MINIGRAD_DATA", str(folder))
    assert data.data_root() == folder
    np.testing.assert_array_equal(data.load_fashion_mnist_arrays(train=False)[1], arrays["test"][1])
    monkeypatch.setenv("MINIGRAD_DATA", str(tmp_path / "empty"))
    assert data.data_root(folder) == folder  # an explicit root wins over the variable
    np.testing.assert_array_equal(data.load_fashion_mnist_arrays(folder, train=False)[1], arrays["test"][1])
    monkeypatch.delenv("MINIGRAD_DATA")
    monkeypatch.setenv("HOME", str(tmp_path))
    assert data.data_root() == tmp_path / ".cache/minigrad/fashion-mnist"


def test_plain_files_are_read_too(fake_dataset):
    folder, arrays = fake_dataset
    for name in data.FILES["test"]:
        gz = folder / f"{name}.gz"
        (folder / name).write_bytes(gzip.decompress(gz.read_bytes()))
        gz.unlink()
    np.testing.assert_array_equal(data.load_fashion_mnist_arrays(folder, train=False)[0], arrays["test"][0])


def test_wrong_count_and_shape(fake_dataset, monkeypatch):
    folder, _ = fake_dataset
    monkeypatch.setitem(data.COUNTS, "train", 60000)
    with pytest.raises(DatasetError, match="holds 10 examples, expected 60000 for the train split") as err:
        data.load_fashion_mnist_arrays(folder)
    assert str(folder / "train-images-idx3-ubyte.gz") in str(err.value)
    _, digest = write_idx(folder / "t10k-images-idx3-ubyte.gz", np.zeros((6, 14, 14)))
    monkeypatch.setitem(data.SHA256, "t10k-images-idx3-ubyte", digest)
    with pytest.raises(DatasetError, match="images are 14x14, expected 28x28"):
        data.load_fashion_mnist_arrays(folder, train=False)


def test_real_checksums_reject_other_files(fake_dataset, monkeypatch):
    folder, _ = fake_dataset
    monkeypatch.setitem(data.SHA256, "t10k-labels-idx1-ubyte", "0402a96d" + "0" * 56)
    with pytest.raises(DatasetError, match="expected 0402a96d0000") as err:
        data.load_fashion_mnist_arrays(folder, train=False)
    assert str(folder / "t10k-labels-idx1-ubyte.gz") in str(err.value)


def test_missing_files_offline(tmp_path, monkeypatch):
    empty_mirror = tmp_path / "mirror"
    empty_mirror.mkdir()
    monkeypatch.setattr(data, "MIRRORS", [empty_mirror.as_uri(), "nosuchscheme://x"])
    root = tmp_path / "cache"
    with pytest.raises(FileNotFoundError) as err:
        data.load_fashion_mnist_arrays(root)
    message = str(err.value)
    assert str(root / "train-images-idx3-ubyte.gz") in message and "MINIGRAD_DATA" in message
    assert empty_mirror.as_uri() + "/train-images-idx3-ubyte.gz: URLError" in message
    assert "nosuchscheme://x/train-images-idx3-ubyte.gz" in message
    assert not root.exists() or list(root.iterdir()) == []
    with pytest.raises(FileNotFoundError, match=r"download=False\). Set MINIGRAD_DATA"):
        data.load_fashion_mnist_arrays(root, download=False)


def test_download_from_mirror(fake_dataset, tmp_path, monkeypatch):
    mirror, arrays = fake_dataset
    empty = tmp_path / "empty"
    empty.mkdir()
    monkeypatch.setattr(data, "MIRRORS", [empty.as_uri(), mirror.as_uri() + "/"])  # the first mirror fails
    cache = tmp_path / "new" / "cache"
    images, labels = data.load_fashion_mnist_arrays(cache, train=True)
    np.testing.assert_array_equal(images, arrays["train"][0])
    np.testing.assert_array_equal(labels, arrays["train"][1])
    assert sorted(p.name for p in cache.iterdir()) == sorted(f"{n}.gz" for n in data.FILES["train"])
    assert (cache / "train-labels-idx1-ubyte.gz").read_bytes() == (mirror / "train-labels-idx1-ubyte.gz").read_bytes()
    monkeypatch.setattr(data, "MIRRORS", [])  # now cached: no download needed
    np.testing.assert_array_equal(data.load_fashion_mnist_arrays(cache)[0], arrays["train"][0])


def test_download_rejects_corrupt_copy(fake_dataset, tmp_path, monkeypatch):
    folder, _ = fake_dataset
    bad = tmp_path / "bad"
    bad.mkdir()
    write_idx(bad / "t10k-images-idx3-ubyte.gz", np.zeros((6, 28, 28)))  # valid IDX, wrong checksum
    (bad / "t10k-labels-idx1-ubyte.gz").write_bytes(b"\x1f\x8b garbage")
    monkeypatch.setattr(data, "MIRRORS", [bad.as_uri()])
    cache = tmp_path / "cache"
    with pytest.raises(FileNotFoundError, match="DatasetError: SHA-256 of the decompressed download") as err:
        data.load_fashion_mnist_arrays(cache, train=False)
    assert data.SHA256["t10k-images-idx3-ubyte"] in str(err.value)
    assert list(cache.iterdir()) == []  # nothing half-written or unverified is left
    (cache / "t10k-images-idx3-ubyte.gz").write_bytes((folder / "t10k-images-idx3-ubyte.gz").read_bytes())
    with pytest.raises(FileNotFoundError, match="BadGzipFile"):
        data.load_fashion_mnist_arrays(cache, train=False)
    assert [p.name for p in cache.iterdir()] == ["t10k-images-idx3-ubyte.gz"]


# -- DataLoader ----------------------------------------------------------------------------------------

def epoch_ids(loader):
    """The example indices of each batch of one epoch (images made by numbered_images)."""
    return [np.rint(X.array[:, 0, 0, 0] * 255).astype(int) for X, _ in loader]


def test_loader_batches(monkeypatch):
    images, labels = numbered_images(10), np.arange(10) % 3
    loader = DataLoader(images, labels, batch_size=4)
    assert len(loader) == 3 and loader.num_examples == 10
    batches = list(loader)
    assert [X.shape for X, _ in batches] == [(4, 1, 28, 28), (4, 1, 28, 28), (2, 1, 28, 28)]
    for X, y in batches:
        assert isinstance(X, minigrad.Tensor) and X.dtype == np.float32 and y.dtype == np.int64
        assert str(X.device) == "cpu" and str(y.device) == "cpu"
    X = np.concatenate([X.array for X, _ in batches])
    np.testing.assert_array_equal(X, images[:, None] / np.float32(255))
    np.testing.assert_array_equal(np.concatenate([y.array for _, y in batches]), labels)
    full = DataLoader(np.array([[[0, 255]]], np.uint8), np.array([1]), 1)
    np.testing.assert_array_equal(next(iter(full))[0].array, [[[[0.0, 1.0]]]])
    assert len(DataLoader(np.zeros((60000, 1, 1), np.uint8), np.zeros(60000, int), 256)) == 235


def test_loader_shuffle_sees_every_example_once():
    loader = DataLoader(numbered_images(23), np.arange(23), batch_size=5, shuffle=True, seed=1)
    for _ in range(2):
        ids = epoch_ids(loader)
        assert [len(b) for b in ids] == [5, 5, 5, 5, 3]
        assert sorted(np.concatenate(ids)) == list(range(23))
        for X, y in loader:  # labels travel with their images
            np.testing.assert_array_equal(np.rint(X.array[:, 0, 0, 0] * 255), y.array)
    assert loader.epoch == 4


def test_seeded_shuffle_is_reproducible_and_differs_between_epochs():
    def make(seed):
        return DataLoader(numbered_images(50), np.zeros(50, int), 50, shuffle=True, seed=seed)

    a, b = make(7), make(7)
    first, second = epoch_ids(a)[0], epoch_ids(a)[0]
    np.testing.assert_array_equal(epoch_ids(b)[0], first)
    np.testing.assert_array_equal(epoch_ids(b)[0], second)
    assert not np.array_equal(first, second) and not np.array_equal(first, np.arange(50))
    assert not np.array_equal(epoch_ids(make(8))[0], first)


def test_unseeded_shuffle_follows_minigrad_generator():
    loader = DataLoader(numbered_images(40), np.zeros(40, int), 40, shuffle=True)
    minigrad.manual_seed(3)
    order = epoch_ids(loader)[0]
    minigrad.manual_seed(3)
    np.testing.assert_array_equal(epoch_ids(loader)[0], order)
    np.testing.assert_array_equal(order, np.random.default_rng(3).permutation(40))


def test_state_dict_resumes_the_shuffle_order():
    def make(seed):
        return DataLoader(numbered_images(30), np.zeros(30, int), 8, shuffle=True, seed=seed)

    a = make(11)
    epoch_ids(a)
    state = json.loads(json.dumps(a.state_dict()))  # survives a JSON checkpoint
    assert state["epoch"] == 1 and state["rng_state"]["bit_generator"] == "PCG64"
    expected = np.concatenate(epoch_ids(a))
    b = make(99)
    b.load_state_dict(state)
    assert b.epoch == 1
    np.testing.assert_array_equal(np.concatenate(epoch_ids(b)), expected)
    assert b.epoch == 2


def test_loader_rejects_bad_input():
    with pytest.raises(ValueError, match="uint8"):
        DataLoader(np.zeros((2, 28, 28), np.float32), np.zeros(2, int), 1)
    with pytest.raises(ValueError, match="labels must be 2 integers"):
        DataLoader(np.zeros((2, 28, 28), np.uint8), np.zeros(3, int), 1)
    with pytest.raises(ValueError, match="positive int"):
        DataLoader(np.zeros((2, 28, 28), np.uint8), np.zeros(2, int), 0)
    with pytest.raises(ValueError, match="unknown device"):
        DataLoader(np.zeros((2, 28, 28), np.uint8), np.zeros(2, int), 1, device="tpu")


def test_loader_cuda_device():
    images, labels = numbered_images(5), np.arange(5)
    if not backend.cuda_is_available():
        with pytest.raises(RuntimeError, match="CUDA is not available"):
            DataLoader(images, labels, 2, device="cuda")
        return
    X, y = next(iter(DataLoader(images, labels, 2, device="cuda", resize=7)))
    assert str(X.device) == "cuda:0" and str(y.device) == "cuda:0"
    ref, _ = next(iter(DataLoader(images, labels, 2, resize=7)))
    np.testing.assert_array_equal(backend.to_numpy(X.array), ref.array)
    np.testing.assert_array_equal(backend.to_numpy(y.array), [0, 1])


# -- resize --------------------------------------------------------------------------------------------

def test_bilinear_resize_hand_values():
    x = np.array([[0, 1], [2, 3]], np.float32)
    expected = [[0.0, 0.25, 0.75, 1.0],
                [0.5, 0.75, 1.25, 1.5],
                [1.5, 1.75, 2.25, 2.5],
                [2.0, 2.25, 2.75, 3.0]]  # half-pixel centres, edges clamped (torch, align_corners=False)
    np.testing.assert_allclose(data.bilinear_resize(x, 4), expected, atol=1e-6)
    # rows 2 -> 1 average to [1, 2]; columns 2 -> 3 sample at 0 (clamped from -1/6), 0.5 and 1 (from 7/6)
    np.testing.assert_allclose(data.bilinear_resize(x[None, None], (1, 3)), [[[[1.0, 1.5, 2.0]]]], atol=1e-6)


def test_bilinear_resize_constant_and_identity():
    x = np.random.default_rng(0).random((3, 1, 28, 28), dtype=np.float32)
    np.testing.assert_array_equal(data.bilinear_resize(x, 28), x)
    constant = np.full((2, 1, 28, 28), 0.3, np.float32)
    out = data.bilinear_resize(constant, 224)
    assert out.shape == (2, 1, 224, 224) and out.dtype == np.float32
    np.testing.assert_allclose(out, 0.3, rtol=1e-6)


def test_loader_resize():
    images = numbered_images(5)
    loader = DataLoader(images, np.arange(5), 3, resize=64)
    X, y = next(iter(loader))
    assert X.shape == (3, 1, 64, 64) and X.dtype == np.float32
    np.testing.assert_allclose(X.array, np.arange(3)[:, None, None, None] / 255 * np.ones((1, 1, 64, 64)), atol=1e-6)


# -- load_fashion_mnist --------------------------------------------------------------------------------

def test_load_fashion_mnist(fake_dataset):
    folder, arrays = fake_dataset
    train_iter, test_iter = data.load_fashion_mnist(4, root=folder, seed=5, limit_test=5, resize=32)
    assert (len(train_iter), len(test_iter), train_iter.num_examples, test_iter.num_examples) == (3, 2, 10, 5)
    assert train_iter.shuffle and not test_iter.shuffle
    X, y = next(iter(test_iter))
    assert X.shape == (4, 1, 32, 32)
    np.testing.assert_array_equal(y.array, arrays["test"][1][:4])
    labels = np.concatenate([y.array for _, y in train_iter])
    order = np.random.default_rng(5).permutation(10)
    np.testing.assert_array_equal(labels, arrays["train"][1][order])
    train_iter, _ = data.load_fashion_mnist(256, root=folder, limit_train=3)
    assert [X.shape for X, _ in train_iter] == [(3, 1, 28, 28)]


def test_text_labels():
    assert len(data.FASHION_MNIST_CLASSES) == 10
    assert data.get_fashion_mnist_labels(minigrad.tensor(np.array([0, 9, 5]))) == ["t-shirt", "ankle boot", "sandal"]


# -- the real data ---------------------------------------------------------------------------------------

@pytest.mark.skipif(not REAL_DATA.is_dir(), reason=MISSING)
def test_real_fashion_mnist():
    train_images, train_labels = data.load_fashion_mnist_arrays(REAL_DATA, train=True, download=False)
    test_images, test_labels = data.load_fashion_mnist_arrays(REAL_DATA, train=False, download=False)
    assert train_images.shape == (60000, 28, 28) and test_images.shape == (10000, 28, 28)
    assert train_labels.min() == 0 and train_labels.max() == 9 and set(np.unique(test_labels)) == set(range(10))
    assert np.bincount(train_labels).tolist() == [6000] * 10
    assert abs(train_images.mean() / 255 - 0.2860) < 1e-3
    assert abs(test_images.mean() / 255 - 0.2868) < 1e-3
    loader = DataLoader(train_images, train_labels, 256, shuffle=True, seed=0)
    assert len(loader) == 235
    X, y = next(iter(loader))
    assert X.shape == (256, 1, 28, 28) and 0.0 <= X.array.min() and X.array.max() <= 1.0
