"""``minigrad.save`` / ``minigrad.load``: nested dicts of tensors and plain values in one NumPy .npz file.

Arrays are stored as .npz members; the structure around them (dicts, lists,
numbers, strings) as a JSON member named ``__minigrad__``. The file is written
to a temporary name in the same folder and renamed into place, so an
interrupted save never leaves a half-written checkpoint. No pickle is used.
"""
import json
import os
import tempfile
import zipfile

import numpy as np

from minigrad import backend
from minigrad.core import Tensor

_META = "__minigrad__"


def _encode(obj, arrays, where):
    if isinstance(obj, np.generic):  # before the array test: NumPy scalars have __array_interface__ too
        return obj.item()
    if isinstance(obj, Tensor) or hasattr(obj, "__array_interface__") or hasattr(obj, "__cuda_array_interface__"):
        key = f"a{len(arrays)}"
        arrays[key] = backend.to_numpy(obj.array if isinstance(obj, Tensor) else obj)
        return {"__tensor__" if isinstance(obj, Tensor) else "__array__": key}
    if obj is None or isinstance(obj, (bool, int, float, str)):
        return obj
    if isinstance(obj, dict):
        return {"__dict__": [[k, _encode(v, arrays, f"{where}[{k!r}]")] for k, v in obj.items()
                             if _check_key(k, where)]}
    if isinstance(obj, (list, tuple)):
        items = [_encode(v, arrays, f"{where}[{i}]") for i, v in enumerate(obj)]
        return {"__tuple__" if isinstance(obj, tuple) else "__list__": items}
    raise TypeError(f"minigrad.save: cannot store {type(obj).__name__} at {where}: "
                    "only tensors, arrays, dicts, lists, tuples, numbers, strings and None")


def _check_key(key, where):
    if not isinstance(key, (str, int)) or isinstance(key, bool):
        raise TypeError(f"minigrad.save: dict keys must be str or int, got {type(key).__name__} in {where}")
    return True


def _decode(obj, arrays, device):
    if isinstance(obj, dict):
        if "__tensor__" in obj:
            array = arrays[obj["__tensor__"]]
            return Tensor(array if device is None else backend.to_device(array, device))
        if "__array__" in obj:
            return arrays[obj["__array__"]]
        if "__dict__" in obj:
            return {k: _decode(v, arrays, device) for k, v in obj["__dict__"]}
        if "__tuple__" in obj:
            return tuple(_decode(v, arrays, device) for v in obj["__tuple__"])
        return [_decode(v, arrays, device) for v in obj["__list__"]]
    return obj


def save(obj, path):
    """Write ``obj`` (a state_dict, or a dict holding several) to ``path`` atomically."""
    arrays = {}
    meta = json.dumps(_encode(obj, arrays, "obj"))
    arrays[_META] = np.frombuffer(meta.encode("utf-8"), dtype=np.uint8)
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise FileNotFoundError(f"minigrad.save: folder {folder!r} does not exist (for {path!r})")
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=os.path.basename(path) + ".", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            np.savez(f, **arrays)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise


def load(path, map_location=None):
    """Read what ``save`` wrote; tensors come back on the CPU, or on ``map_location`` (a device)."""
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"minigrad.load: no checkpoint file at {path!r}")
    try:
        data = np.load(path, allow_pickle=False)
        if not isinstance(data, np.lib.npyio.NpzFile):  # a bare .npy array
            raise ValueError("it holds a single .npy array")
        with data:
            arrays = {k: data[k] for k in data.files}
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as exc:  # BadZipFile: truncated or corrupt
        raise ValueError(f"minigrad.load: {path!r} is not a readable .npz checkpoint ({exc})") from None
    if _META not in arrays:
        raise ValueError(f"minigrad.load: {path!r} is an .npz file but not one written by minigrad.save")
    meta = json.loads(arrays.pop(_META).tobytes().decode("utf-8"))
    return _decode(meta, arrays, map_location)
