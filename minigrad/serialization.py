"""``minigrad.save`` / ``minigrad.load``: nested dicts of tensors and plain values in one NumPy .npz file.

Arrays are stored as .npz members; the structure around them (dicts, lists,
numbers, strings) as a JSON member named ``__minigrad__``. The file is written
to a temporary name in the same folder and renamed into place (with the
permissions a plain ``open`` would give it), so an interrupted save never
leaves a half-written checkpoint. No pickle is used; ``load`` refuses any file
that is not such a checkpoint with a ValueError saying what is wrong.
"""
import json
import math
import os
import stat
import tempfile
import zipfile

import numpy as np

from minigrad import backend
from minigrad.core import Tensor
from minigrad.nn import Parameter  # serialization sits above nn (a Parameter stays a Parameter)

_META = "__minigrad__"


def _encode(obj, arrays, where):
    if isinstance(obj, np.generic):  # before the array test: NumPy scalars have __array_interface__ too
        return obj.item()
    if isinstance(obj, Tensor) or hasattr(obj, "__array_interface__") or hasattr(obj, "__cuda_array_interface__"):
        key = f"a{len(arrays)}"
        arrays[key] = backend.to_numpy(obj.array if isinstance(obj, Tensor) else obj)
        if arrays[key].dtype.hasobject:  # it would need pickle, which load (rightly) refuses
            raise TypeError(f"minigrad.save: cannot store the array of Python objects (dtype object) at {where}")
        if isinstance(obj, Tensor) and (obj.requires_grad or _is_parameter(obj)):  # kept, as torch.save keeps them
            return {"__tensor__": [key, {"requires_grad": obj.requires_grad, "parameter": _is_parameter(obj)}]}
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


def _is_parameter(t):
    return isinstance(t, Parameter)


def _check_key(key, where):
    if not isinstance(key, (str, int)) or isinstance(key, bool):
        raise TypeError(f"minigrad.save: dict keys must be str or int, got {type(key).__name__} in {where}")
    return True


class _Malformed(ValueError):
    """What is wrong inside a checkpoint file; ``load`` adds the path."""


_MARKERS = ("__tensor__", "__array__", "__dict__", "__tuple__", "__list__")


def _decode(obj, arrays, device, where="obj"):
    """The object that ``_encode`` described by ``obj``; _Malformed (naming ``where``) when it is not such a
    description."""
    if obj is None or isinstance(obj, (bool, int, float, str)):
        return obj
    if not isinstance(obj, dict) or len(obj) != 1 or next(iter(obj)) not in _MARKERS:
        raise _Malformed(f"the entry at {where} is {type(obj).__name__} {str(obj)[:60]}, expected a value or "
                         f"a one-key dict with one of {', '.join(_MARKERS)}")
    (kind, value), = obj.items()
    if kind in ("__tensor__", "__array__"):
        flags = {"requires_grad": False, "parameter": False}
        if kind == "__tensor__" and isinstance(value, list):  # [key, flags]: a tensor that requires grad, a Parameter
            if len(value) != 2 or not isinstance(value[1], dict) or not value[1].keys() <= flags.keys() \
                    or not all(isinstance(v, bool) for v in value[1].values()):
                raise _Malformed(f"the tensor at {where} is {str(value)[:60]}, expected [array name, "
                                 "{'requires_grad': bool, 'parameter': bool}]")
            value, flags = value[0], {**flags, **value[1]}
        if not isinstance(value, str) or value not in arrays:
            raise _Malformed(f"the entry at {where} names the array {value!r}, which the file does not hold")
        array = arrays[value]
        if kind == "__array__":
            return array
        if array.dtype.kind not in "biuf":
            raise _Malformed(f"the tensor at {where} is an array of dtype {array.dtype}, not numbers")
        if flags["requires_grad"] and array.dtype.kind != "f":
            raise _Malformed(f"the tensor at {where} requires grad but has dtype {array.dtype} "
                             "(only floating-point tensors can require gradients)")
        array = array if device is None else backend.to_device(array, device)
        if flags["parameter"]:
            return Parameter(Tensor(array), requires_grad=flags["requires_grad"])
        return Tensor(array, requires_grad=flags["requires_grad"])
    if not isinstance(value, list):
        raise _Malformed(f"the entry at {where} ({kind}) holds {type(value).__name__}, expected a list")
    if kind == "__dict__":
        if not all(isinstance(item, list) and len(item) == 2 and isinstance(item[0], (str, int))
                   and not isinstance(item[0], bool) for item in value):
            raise _Malformed(f"the dict at {where} is not a list of [key, value] pairs with str or int keys")
        return {k: _decode(v, arrays, device, f"{where}[{k!r}]") for k, v in value}
    items = [_decode(v, arrays, device, f"{where}[{i}]") for i, v in enumerate(value)]
    return tuple(items) if kind == "__tuple__" else items


def _new_file_mode(path):
    """The permissions ``open(path, "w")`` would give: an existing file's own, else 0o666 less the umask."""
    try:
        return stat.S_IMODE(os.stat(path).st_mode)
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def save(obj, path):
    """Write ``obj`` (a state_dict, or a dict holding several) to ``path`` atomically."""
    arrays = {}
    try:
        meta = json.dumps(_encode(obj, arrays, "obj"))
    except RecursionError:
        raise ValueError("minigrad.save: obj is nested too deeply, or contains itself") from None
    arrays[_META] = np.frombuffer(meta.encode("utf-8"), dtype=np.uint8)
    path = os.fspath(path)
    if os.path.isdir(path) or path.endswith(("/", os.sep)):
        raise IsADirectoryError(f"minigrad.save: {path!r} names a folder; give the checkpoint's file name")
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise FileNotFoundError(f"minigrad.save: folder {folder!r} does not exist (for {path!r})")
    mode = _new_file_mode(path)
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=os.path.basename(path) + ".", suffix=".tmp")
    try:
        os.fchmod(fd, mode)  # mkstemp's 0600 would outlive the rename
        with os.fdopen(fd, "wb") as f:
            np.savez(f, **arrays)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise


def _read_npy(member, name, size):
    """The array stored as the .npy member ``member`` of ``size`` bytes: its header is checked against
    that size before any array is allocated, so a header claiming more than the file holds costs nothing."""
    version = np.lib.format.read_magic(member)
    if version not in ((1, 0), (2, 0)):  # 3.0 (UTF-8 field names) is never written for minigrad's arrays
        raise _Malformed(f"its member {name!r} is an .npy file of format version {version}, expected 1.0 or 2.0")
    read_header = np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
    shape, fortran_order, dtype = read_header(member)
    if dtype.hasobject:
        raise _Malformed(f"its member {name!r} holds Python objects (dtype {dtype}), which would need pickle")
    count = math.prod(shape)
    # count <= size: elements of zero bytes (dtype V0) cannot claim a huge shape either
    if any(isinstance(n, bool) or n < 0 for n in shape) or count * dtype.itemsize != size - member.tell() \
            or count > size:
        raise _Malformed(f"its member {name!r} claims a {dtype} array of shape {shape} but holds "
                         f"{size - member.tell()} bytes of data")
    data = member.read(size - member.tell())
    if member.read(1) or len(data) != count * dtype.itemsize:  # reading to the end also checks the CRC
        raise _Malformed(f"its member {name!r} does not hold the {size} bytes its zip entry says")
    if not data:
        return np.empty(shape, dtype)
    array = np.frombuffer(bytearray(data), dtype=dtype, count=count)  # bytearray: a writable copy
    return array.reshape(shape[::-1]).T if fortran_order else array.reshape(shape)


def _read_arrays(f, file_size):
    """The arrays of the .npz archive open as ``f``, by member name less ``.npy``; _Malformed for anything
    ``np.savez`` does not write: a member that is not .npy, compressed, repeated or larger than the file."""
    with zipfile.ZipFile(f) as archive:
        members = archive.infolist()
        names = [m.filename for m in members]
        if len(set(names)) != len(names):
            raise _Malformed("its zip directory names a member twice")
        if sum(m.file_size for m in members) > file_size:
            raise _Malformed(f"its members claim {sum(m.file_size for m in members)} bytes in all, "
                             f"more than the file's {file_size}")
        arrays = {}
        for m in members:
            if not m.filename.endswith(".npy"):
                raise _Malformed(f"its member {m.filename!r} is not an .npy array (minigrad.save writes only those)")
            if m.compress_type != zipfile.ZIP_STORED or m.compress_size != m.file_size:
                raise _Malformed(f"its member {m.filename!r} is compressed (minigrad.save stores members as they are)")
            with archive.open(m) as member:
                arrays[m.filename[:-4]] = _read_npy(member, m.filename, m.file_size)
        return arrays


def load(path, map_location=None):
    """Read what ``save`` wrote; tensors come back on the CPU, or on ``map_location`` (a device).

    Any file that is not such a checkpoint (not a zip, a foreign .npz, corrupt metadata,
    metadata naming an array the file lacks, sizes that do not add up) raises
    ``ValueError("<path> is not a valid minigrad checkpoint: <what is wrong>")``; no array is
    allocated before its size is checked against the file's.
    """
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"minigrad.load: no checkpoint file at {path!r}")
    if map_location is not None:
        map_location = backend.Device(map_location)  # a bad name fails here, not after the file is read
    try:
        with open(path, "rb") as f:
            head = f.read(6)
            if head.startswith(b"\x93NUMPY"):
                raise _Malformed("it holds a single .npy array, not an .npz archive")
            if not head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
                raise _Malformed(f"not an .npz (zip) archive: it starts with {head!r}")
            try:
                arrays = _read_arrays(f, os.fstat(f.fileno()).st_size)
            # what zipfile and NumPy raise for a damaged archive or header: BadZipFile, EOFError (truncated),
            # ValueError (a bad header), NotImplementedError (an unknown compression), RuntimeError (encrypted)
            except (OSError, EOFError, zipfile.BadZipFile, ValueError, NotImplementedError, RuntimeError) as exc:
                raise _Malformed(exc if isinstance(exc, _Malformed) else
                                 f"not a readable .npz archive ({type(exc).__name__}: {exc})") from None
        if _META not in arrays:
            raise _Malformed(f"an .npz archive without the {_META!r} member that minigrad.save writes "
                             f"(members: {', '.join(sorted(arrays)[:10])})")
        meta = arrays.pop(_META)
        try:
            if meta.dtype != np.uint8 or meta.ndim != 1:
                raise ValueError(f"{meta.dtype} array of shape {meta.shape}, expected uint8 bytes")
            meta = json.loads(meta.tobytes().decode("utf-8"))
            return _decode(meta, arrays, map_location)
        except (ValueError, RecursionError) as exc:  # UnicodeDecodeError and JSONDecodeError are ValueErrors
            if isinstance(exc, _Malformed):
                raise
            raise _Malformed(f"its {_META!r} metadata is not valid JSON text of minigrad.save "
                             f"({type(exc).__name__}: {exc})") from None
    except _Malformed as exc:
        raise ValueError(f"{path} is not a valid minigrad checkpoint: {exc}") from None
