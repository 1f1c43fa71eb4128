"""How an idiom's result in PyTorch and in minigrad is compared, and the verdict a test asserts.

Each idiom is a function of one argument named ``torch``: it is called once with PyTorch and once
with minigrad (``torch.nn``, ``torch.nn.functional``, ``torch.optim``, ``torch.autograd`` resolve to
minigrad's), on the same NumPy inputs, and its result (tensors: dtype, shape, values,
requires_grad; tuples; Python numbers with their type) is compared. Verdicts:

- ``same``:      the same result, or both raise the same exception type (or minigrad an
                 AttributeError for a name it lacks);
- ``exc-type``:  both raise, with different exception types;
- ``error``:     minigrad raises a clear error (TypeError, ValueError, RuntimeError,
                 NotImplementedError, AttributeError, IndexError) where PyTorch works;
- ``lenient``:   PyTorch raises, minigrad returns a result;
- ``form``:      a MISMATCH that known.py lists as a difference in form only (``str(dtype)``, ...);
- ``MISMATCH``:  both return, with different results: a silent change of meaning;
- ``INTERNAL``:  minigrad fails with another exception, or inside NumPy, or with NumPy's own error.

An idiom must be ``same`` unless known.py lists it with its verdict and reason; a listed idiom is a
strict xfail (tests/parity/conftest.py), so that a fix shows as XPASS and fails until its row goes.
"""
import importlib
import math
import pkgutil
import traceback
import warnings
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip(
    "torch", reason="the PyTorch parity tests need PyTorch: pip install -e '.[parity]' (CPU wheel: add "
    "--extra-index-url https://download.pytorch.org/whl/cpu)")

import minigrad  # noqa: E402  (after the skip: nothing of minigrad is needed without PyTorch)
import minigrad.autograd  # noqa: E402,F401  (torch.autograd is importable as torch's attribute)
import minigrad.autograd.functional  # noqa: E402,F401

from .known import KNOWN  # noqa: E402

VERDICTS = ("same", "exc-type", "error", "lenient", "form", "MISMATCH", "INTERNAL")
CLEAR_ERRORS = (TypeError, ValueError, RuntimeError, NotImplementedError, AttributeError, IndexError)


class Raised:
    def __init__(self, exc, internal):
        self.exc, self.internal = exc, internal

    def __str__(self):
        return f"{type(self.exc).__name__}: {self.exc}".splitlines()[0][:160]


def run(fn, lib):
    try:
        return fn(lib)
    except Exception as exc:  # noqa: BLE001  (the verdict depends on what was raised)
        frames = traceback.extract_tb(exc.__traceback__)
        inside_numpy = (bool(frames) and "/numpy/" in frames[-1].filename.replace("\\", "/")
                        or type(exc).__module__.split(".")[0] in ("numpy", "cupy"))  # e.g. UFuncTypeError
        return Raised(exc, internal=inside_numpy or not isinstance(exc, CLEAR_ERRORS))


def canonical(x):
    """A comparable description: tensors become ('tensor', dtype, shape, requires_grad, float64 values)."""
    name = type(x).__name__
    if hasattr(x, "shape") and hasattr(x, "requires_grad") and not isinstance(x, np.ndarray):
        values = x.detach().cpu().numpy() if hasattr(x, "cpu") and "torch" in type(x).__module__ else x.numpy()
        return ("tensor", str(x.dtype).replace("torch.", ""), tuple(x.shape), bool(x.requires_grad),
                np.asarray(values))
    if isinstance(x, np.ndarray):
        return ("ndarray", str(x.dtype), x.shape, False, x)
    if isinstance(x, (tuple, list)):  # torch.Size, named tuples (max with dim) and plain tuples alike
        return (type(x) is list, tuple(canonical(v) for v in x))
    if "dtype" in name.lower() or name == "dtype":
        return ("dtype", str(x).replace("torch.", ""))
    if isinstance(x, (bool, int, float, str)) or x is None:
        return (type(x).__name__, x)
    return ("object", name)


def same(a, b):
    if isinstance(a, tuple) and len(a) == 5 and a[0] in ("tensor", "ndarray"):
        if not (isinstance(b, tuple) and len(b) == 5 and a[:4] == b[:4]):
            return False
        va, vb = a[4], b[4]
        if va.dtype.kind in "f":
            tol = 1e-10 if va.dtype == np.float64 else 2e-5
            return np.allclose(va, vb, rtol=tol, atol=tol, equal_nan=True)
        return np.array_equal(va, vb)
    if isinstance(a, tuple) and isinstance(b, tuple):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, float) and isinstance(b, float):
        return math.isclose(a, b, rel_tol=2e-5, abs_tol=1e-6) or (math.isnan(a) and math.isnan(b))
    return a == b


def brief(x):
    text = repr(x).replace("\n", " ")
    return text if len(text) < 200 else text[:200] + "..."


def verdict(fn):
    """(verdict, detail) of one idiom run in PyTorch and in minigrad; MISMATCH here, ``form`` is known.py's word."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # PyTorch's deprecation notes and NumPy's divide-by-zero are not verdicts
        expected, got = run(fn, torch), run(fn, minigrad)
    if isinstance(expected, Raised):
        if isinstance(got, Raised):
            if type(got.exc) is type(expected.exc) or isinstance(got.exc, AttributeError):
                return "same", f"both raise ({str(expected)[:60]} | {got})"
            if got.internal:
                return "INTERNAL", f"both raise, minigrad inside NumPy or unexpectedly ({str(expected)[:60]} | {got})"
            return "exc-type", f"both raise, another type ({str(expected)[:60]} | {got})"
        return "lenient", f"torch raises {expected}; minigrad returns {brief(got)}"
    if isinstance(got, Raised):
        return ("INTERNAL" if got.internal else "error"), str(got)
    if same(canonical(expected), canonical(got)):
        return "same", ""
    return "MISMATCH", f"torch {brief(expected)} | minigrad {brief(got)}"


class KnownDifferenceError(Exception):
    """Raised by a listed idiom that still gives its listed verdict (the xfail it is marked with expects it)."""


class Idiom:
    def __init__(self, name, fn):
        self.name, self.fn, self._verdict = name, fn, None

    def verdict(self):
        """The verdict and its detail, computed once (the figures test reads it again)."""
        if self._verdict is None:
            kind, detail = verdict(self.fn)
            if kind == "MISMATCH" and KNOWN.get(self.name, ("",))[0] == "form":
                kind = "form"
            self._verdict = kind, detail
        return self._verdict

    def check(self):
        kind, detail = self.verdict()
        listed = KNOWN.get(self.name)
        if listed and kind == listed[0]:
            raise KnownDifferenceError(f"{kind}: {detail}")
        if listed:
            assert kind == "same", (f"{self.name}: {kind} ({detail}), but tests/parity/known.py lists it as "
                                    f"{listed[0]}: update its row")
        assert kind == "same", f"{self.name}: {kind}: {detail}"


class Idioms:
    """The idioms of one family module: ``one(name, fn)`` or the ``@case`` decorator adds one."""

    def __init__(self):
        self.by_name = {}

    def one(self, name, fn):
        assert name not in self.by_name, f"two idioms named {name}"
        self.by_name[name] = Idiom(name, fn)

    def case(self, fn):
        self.one(fn.__name__, fn)
        return fn


def test_idiom(idiom):
    """Each family module imports this test: conftest.py runs it once per idiom the module defines."""
    idiom.check()


def families():
    """{family module name: its Idioms}, every test module of this package that defines ``idioms``."""
    out = {}
    for info in pkgutil.iter_modules([str(Path(__file__).parent)]):
        if info.name.startswith("test_"):
            module = importlib.import_module(f"{__package__}.{info.name}")
            if isinstance(getattr(module, "idioms", None), Idioms):
                out[info.name[len("test_"):]] = module.idioms
    return out


def all_idioms():
    idioms = [i for family in families().values() for i in family.by_name.values()]
    names = Counter(i.name for i in idioms)
    assert max(names.values()) == 1, [n for n, c in names.items() if c > 1]
    return idioms


def counts(idioms=None):
    """Counter of verdicts over every idiom (runs those not run yet in this process)."""
    return Counter(i.verdict()[0] for i in (all_idioms() if idioms is None else idioms))


def figures(c):
    """The figures README.md and docs/pytorch.md quote, as a sentence made from live counts."""
    return (f"{sum(c.values()):,} idioms: {c['same']:,} the same, {c['error']} clear errors, "
            f"{c['form']} differences in form, {c['lenient']} lenient, {c['exc-type']} with another "
            f"exception type, {c['MISMATCH']} silently different, {c['INTERNAL']} internal failures")
