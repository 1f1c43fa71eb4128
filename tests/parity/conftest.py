"""``test_idiom``, imported by each family module, runs once per idiom of the module; known.py's rows: strict xfails."""
import pytest

from .known import KNOWN


def pytest_generate_tests(metafunc):
    if "idiom" not in metafunc.fixturenames:
        return
    from .compare import KnownDifferenceError  # only here: a module without PyTorch was skipped before this
    params = []
    for name, idiom in metafunc.module.idioms.by_name.items():
        marks = ()
        if name in KNOWN:
            verdict, reason = KNOWN[name]
            marks = pytest.mark.xfail(strict=True, raises=KnownDifferenceError, reason=f"{verdict}: {reason}")
        params.append(pytest.param(idiom, id=name, marks=marks))
    metafunc.parametrize("idiom", params)
