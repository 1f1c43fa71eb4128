"""minigrad.save / minigrad.load: round trips, atomic writes and clear errors."""
import os
import re

import numpy as np
import pytest

import minigrad
from minigrad import nn, optim


def checkpoint_like():
    minigrad.manual_seed(0)
    net = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.BatchNorm(4, num_dims=2), nn.Linear(4, 2))
    opt = optim.SGD(net.parameters(), lr=0.1, momentum=0.9)
    x = minigrad.tensor(np.random.default_rng(0).standard_normal((5, 3)).astype(np.float32))
    net(x).sum().backward()
    opt.step()
    rng = np.random.default_rng(42)
    rng.standard_normal(3)
    return net, opt, {
        "model": net.state_dict(),
        "optimizer": opt.state_dict(),
        "epoch": 7,
        "best_acc": 0.8125,
        "name": "lenet-bn-scratch",
        "note": None,
        "flags": [True, False],
        "history": [0.5, 0.25, {"nested": [1, 2, 3]}],
        "pair": (1, "two"),
        "array": np.arange(6, dtype=np.int32).reshape(2, 3),
        "float_array": np.linspace(0, 1, 5),
        "empty": np.zeros((0, 3)),
        "scalar_array": np.array(3.5),
        "np_scalar": np.float64(2.5),
        "np_int": np.int64(9),
        "rng": rng.bit_generator.state,
        "minigrad_rng": minigrad.get_rng_state(),
        7: "int key",
    }


def test_round_trip_of_a_nested_checkpoint(tmp_path):
    net, opt, obj = checkpoint_like()
    path = tmp_path / "ckpt.npz"
    minigrad.save(obj, path)
    back = minigrad.load(path)
    assert set(back) == set(obj)

    assert list(back["model"]) == list(obj["model"])
    for k, v in obj["model"].items():
        assert isinstance(back["model"][k], minigrad.Tensor)
        assert back["model"][k].dtype == v.dtype and back["model"][k].shape == v.shape
        np.testing.assert_array_equal(back["model"][k].numpy(), v.numpy())
    assert back["model"]["1.num_batches_tracked"].dtype == np.int64
    assert int(back["model"]["1.num_batches_tracked"].item()) == 1

    assert sorted(back["optimizer"]["state"]) == [0, 1, 2, 3, 4, 5, 6, 7]  # int keys stay int
    for i, s in obj["optimizer"]["state"].items():
        np.testing.assert_array_equal(back["optimizer"]["state"][i]["momentum_buffer"], s["momentum_buffer"])
    assert back["optimizer"]["param_groups"] == obj["optimizer"]["param_groups"]

    assert back["epoch"] == 7 and type(back["epoch"]) is int
    assert back["best_acc"] == 0.8125 and type(back["best_acc"]) is float
    assert back["name"] == "lenet-bn-scratch" and back["note"] is None
    assert back["flags"] == [True, False] and type(back["flags"][0]) is bool
    assert back["history"] == [0.5, 0.25, {"nested": [1, 2, 3]}]
    assert back["pair"] == (1, "two") and isinstance(back["pair"], tuple)
    for key in ("array", "float_array", "empty", "scalar_array"):
        assert isinstance(back[key], np.ndarray) and back[key].dtype == obj[key].dtype
        np.testing.assert_array_equal(back[key], obj[key])
    assert back["np_scalar"] == 2.5 and type(back["np_scalar"]) is float  # NumPy scalars come back as numbers
    assert back["np_int"] == 9 and type(back["np_int"]) is int
    assert back[7] == "int key"

    # the RNG states restore the same stream
    assert back["rng"] == obj["rng"]
    rng = np.random.default_rng()
    rng.bit_generator.state = back["rng"]
    expected = np.random.default_rng(42)
    expected.standard_normal(3)
    np.testing.assert_array_equal(rng.standard_normal(4), expected.standard_normal(4))
    minigrad.set_rng_state(back["minigrad_rng"])
    a = minigrad.rand(3).numpy()
    minigrad.set_rng_state(obj["minigrad_rng"])
    np.testing.assert_array_equal(a, minigrad.rand(3).numpy())

    # and the checkpoint loads into fresh objects
    minigrad.manual_seed(1)
    net2 = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.BatchNorm(4, num_dims=2), nn.Linear(4, 2))
    net2.load_state_dict(back["model"])
    opt2 = optim.SGD(net2.parameters(), lr=0.5)
    opt2.load_state_dict(back["optimizer"])
    assert opt2.param_groups[0]["momentum"] == 0.9
    for (k, v), (_, w) in zip(net.state_dict().items(), net2.state_dict().items()):
        np.testing.assert_array_equal(v.numpy(), w.numpy(), err_msg=k)


def test_save_accepts_str_paths_and_overwrites(tmp_path):
    path = str(tmp_path / "a.npz")
    minigrad.save({"x": 1}, path)
    minigrad.save({"x": 2}, path)
    assert minigrad.load(path) == {"x": 2}
    assert os.listdir(tmp_path) == ["a.npz"]


def test_special_floats_and_unicode(tmp_path):
    obj = {"inf": float("inf"), "nan": float("nan"), "text": "批量归一化", "big": 2 ** 100}
    minigrad.save(obj, tmp_path / "s.npz")
    back = minigrad.load(tmp_path / "s.npz")
    assert back["inf"] == float("inf") and np.isnan(back["nan"])
    assert back["text"] == "批量归一化" and back["big"] == 2 ** 100


def test_crash_during_save_keeps_the_previous_file(tmp_path, monkeypatch):
    path = tmp_path / "ckpt.npz"
    minigrad.save({"step": 1, "w": np.ones(3)}, path)
    before = path.read_bytes()

    def crashing_savez(file, *args, **kwargs):
        file.write(b"PK\x03\x04 half a checkpoint")
        raise OSError("disk full (simulated)")

    monkeypatch.setattr(np, "savez", crashing_savez)
    with pytest.raises(OSError, match="simulated"):
        minigrad.save({"step": 2, "w": np.zeros(3)}, path)
    monkeypatch.undo()

    assert path.read_bytes() == before
    assert sorted(os.listdir(tmp_path)) == ["ckpt.npz"]  # no temporary file left behind
    back = minigrad.load(path)
    assert back["step"] == 1
    np.testing.assert_array_equal(back["w"], np.ones(3))


def test_crash_during_first_save_leaves_nothing(tmp_path, monkeypatch):
    def crashing_savez(file, *args, **kwargs):
        file.write(b"garbage")
        raise KeyboardInterrupt

    monkeypatch.setattr(np, "savez", crashing_savez)
    with pytest.raises(KeyboardInterrupt):
        minigrad.save({"a": 1}, tmp_path / "new.npz")
    assert os.listdir(tmp_path) == []


def test_load_missing_file(tmp_path):
    path = tmp_path / "nope.npz"
    with pytest.raises(FileNotFoundError, match=re.escape(str(path))):
        minigrad.load(path)


def test_save_into_missing_folder(tmp_path):
    path = tmp_path / "no" / "such" / "dir" / "ckpt.npz"
    with pytest.raises(FileNotFoundError, match=re.escape(str(path.parent))):
        minigrad.save({"a": 1}, path)
    assert not path.parent.exists()


@pytest.mark.parametrize("kind", ["text", "npy", "foreign_npz", "truncated", "empty"])
def test_load_rejects_files_that_are_not_minigrad_checkpoints(tmp_path, kind):
    path = tmp_path / f"bad.{kind}"
    if kind == "text":
        path.write_text("this is not a checkpoint\n")
    elif kind == "npy":
        with open(path, "wb") as f:
            np.save(f, np.arange(4))
    elif kind == "foreign_npz":
        with open(path, "wb") as f:
            np.savez(f, weights=np.ones(3))
    elif kind == "truncated":
        minigrad.save({"w": np.arange(100.0)}, tmp_path / "good.npz")
        path.write_bytes((tmp_path / "good.npz").read_bytes()[:150])
    else:
        path.write_bytes(b"")
    with pytest.raises(ValueError, match=re.escape(str(path))):
        minigrad.load(path)


@pytest.mark.parametrize("obj,where", [
    ({"model": {"layer": object()}}, "['model']['layer']"),
    ({"items": [1, 2, {3, 4}]}, "['items'][2]"),
    ({"fn": len}, "['fn']"),
    ({("a", "b"): 1}, "obj"),
    ({1.5: "float key"}, "obj"),
])
def test_unsupported_objects_raise_type_error_naming_where(tmp_path, obj, where):
    path = tmp_path / "x.npz"
    with pytest.raises(TypeError) as info:
        minigrad.save(obj, path)
    assert where in str(info.value)
    assert not path.exists() and os.listdir(tmp_path) == []


def test_map_location_puts_tensors_on_the_cpu(tmp_path):
    minigrad.save({"t": minigrad.ones(2)}, tmp_path / "t.npz")
    t = minigrad.load(tmp_path / "t.npz", map_location="cpu")["t"]
    assert isinstance(t, minigrad.Tensor) and t.device == "cpu"
    np.testing.assert_array_equal(t.numpy(), [1.0, 1.0])


@pytest.mark.gpu
@pytest.mark.skipif(not minigrad.cuda.is_available(), reason="CUDA (CuPy and a GPU) is not available")
def test_gpu_state_dict_round_trip(tmp_path):
    net = nn.Sequential(nn.Linear(3, 2), nn.BatchNorm1d(2)).to("cuda")
    sd = net.state_dict()
    minigrad.save({"model": sd}, tmp_path / "gpu.npz")
    on_cpu = minigrad.load(tmp_path / "gpu.npz")["model"]
    on_gpu = minigrad.load(tmp_path / "gpu.npz", map_location="cuda")["model"]
    for k, v in sd.items():
        assert on_cpu[k].device == "cpu" and on_gpu[k].device == "cuda:0"
        np.testing.assert_array_equal(on_cpu[k].numpy(), v.numpy())
        np.testing.assert_array_equal(on_gpu[k].numpy(), v.numpy())
