"""minigrad's thread count (set_num_threads, and the automatic choice from the free cores), with BLAS kept on one
thread (checked through OpenBLAS's own getter). The split over the threads: tests/test_split.py."""
import ctypes
import glob
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

import cpu_bounded
import minigrad

ROOT = Path(__file__).resolve().parents[1]


def _numpys_openblas_getter():
    """openblas_get_num_threads of the OpenBLAS bundled with NumPy, found here independently of minigrad/threads.py
    (from NumPy's own library folder, not from /proc/self/maps); None where NumPy has no bundled OpenBLAS."""
    libs = sorted(glob.glob(os.path.join(os.path.dirname(np.__file__), os.pardir, "numpy.libs", "*openblas*")))
    for path in libs:
        lib = ctypes.CDLL(path)  # already loaded by NumPy: the same library
        for name in ("scipy_openblas_get_num_threads64_", "openblas_get_num_threads64_", "openblas_get_num_threads"):
            if hasattr(lib, name):
                return getattr(lib, name)
    return None


requires_openblas = pytest.mark.skipif(_numpys_openblas_getter() is None,
                                       reason="NumPy here has no bundled OpenBLAS (numpy.libs/*openblas*)")


@requires_openblas
def test_set_num_threads_sets_minigrads_count_and_blas_stays_on_one_thread():
    getter = _numpys_openblas_getter()
    before = minigrad.get_num_threads()
    try:
        for n in (2, 1, 3):
            minigrad.set_num_threads(n)
            assert minigrad.get_num_threads() == n
            assert getter() == 1
    finally:
        minigrad.set_num_threads(before)
    assert minigrad.get_num_threads() == before


@requires_openblas
@cpu_bounded.hang_guard
@pytest.mark.parametrize("n", ["1", "2"])
def test_minigrad_num_threads_is_read_at_import(n):
    """README: MINIGRAD_NUM_THREADS=n sets minigrad's thread count when minigrad is imported; BLAS runs on one."""
    code = "import minigrad; from minigrad import threads; print(minigrad.get_num_threads(), threads._blas_threads())"
    env = dict(os.environ, MINIGRAD_NUM_THREADS=n, OPENBLAS_NUM_THREADS="3")  # minigrad's variable wins
    out = cpu_bounded.run([sys.executable, "-c", code], 60, cwd=ROOT, env=env, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == [n, "1"]


def test_numpys_openblas_is_found_on_linux():
    if not sys.platform.startswith("linux") or "openblas" not in str(np.show_config(mode="dicts")).lower():
        pytest.skip("NumPy here is not built with OpenBLAS on Linux")
    from minigrad import threads
    assert threads._openblas_functions(threads._SETTERS), "NumPy's OpenBLAS was not found among the loaded libraries"


def test_set_num_threads_rejects_zero():
    with pytest.raises(ValueError, match="at least 1"):
        minigrad.set_num_threads(0)


# -- the automatic choice ---------------------------------------------------------------------------------

from minigrad import backend, threads  # noqa: E402


@pytest.mark.parametrize("usable, cpus, others, expected", [
    (2, 2, 0.0, 2), (2, 2, 0.2, 2),     # an idle machine (a little background work): every core
    (2, 2, 0.5, 1), (2, 2, 1.0, 1),     # a neighbour on one core (0.5: sharing it with our spinning threads)
    (2, 2, 9.6, 1), (1, 1, 3.0, 1),     # never below 1, however busy
    (16, 16, 3.0, 13), (16, 16, 2.8, 13),
    (2, 16, 0.0, 2), (4, 16, 13.0, 3),  # never above the cores this process may use
])
def test_choose_threads_gives_the_free_cores(usable, cpus, others, expected):
    assert threads.choose_threads(usable, cpus, others) == expected


def test_busy_elsewhere_is_the_machine_minus_this_process():
    assert threads.busy_elsewhere((10.0, 100.0, 5.0), (12.0, 104.0, 7.0)) == 1.0   # 4 busy s - 2 own s over 2 s
    assert threads.busy_elsewhere((10.0, 100.0, 5.0), (12.0, 103.0, 8.0)) == 0.0   # never negative (tick rounding)
    assert threads.busy_elsewhere((10.0, 100.0, 5.0), (10.0, 101.0, 5.0)) == 0.0   # no time passed


@pytest.fixture
def automatic(monkeypatch):
    """The automatic choice switched on for the test (the suite runs with one fixed thread), restored after."""
    monkeypatch.setitem(threads._auto, "most", 2)
    monkeypatch.setattr(threads, "_usable_cores", lambda: 2)
    monkeypatch.setattr(threads.os, "cpu_count", lambda: 2)
    yield
    minigrad.set_num_threads(1)


def fake_load(monkeypatch, load, running):
    """The machine as use_automatic_threads() sees it: a 1-minute load average and the tasks running now."""
    monkeypatch.setattr(threads.os, "getloadavg", lambda: (load, load, load))
    monkeypatch.setattr(threads, "_procs_running", lambda: running)


def fake_machine(monkeypatch, readings):
    """cpu_reading() returning ``readings`` in turn: (seconds, machine busy seconds, own seconds)."""
    feed = iter(readings)
    monkeypatch.setattr(threads, "cpu_reading", lambda: next(feed))
    monkeypatch.setattr(threads.time, "monotonic", lambda: threads._auto["reading"][0] + threads.CHECK_SECONDS)


def test_adapt_follows_a_neighbour_that_comes_and_goes(automatic, monkeypatch):
    getter = minigrad.get_num_threads
    monkeypatch.setattr(threads.os, "getloadavg", lambda: (0.1, 0.1, 0.1))
    fake_machine(monkeypatch, [(0.0, 0.0, 0.0), (1.0, 1.9, 1.9), (2.0, 3.9, 2.9), (3.0, 5.9, 3.9), (4.0, 7.5, 5.5)])
    threads.use_automatic_threads()             # idle load average: both cores
    assert getter() == 2 and threads._auto["on"]
    backend.synchronize(None)                   # we used 1.9 of the 1.9 busy core-seconds: still idle
    assert getter() == 2
    backend.synchronize(None)                   # a neighbour took a core: 2.0 busy, 1.0 ours
    assert getter() == 1
    backend.synchronize(None)                   # it stays
    assert getter() == 1
    backend.synchronize(None)                   # it went: 1.6 busy, all ours
    assert getter() == 2


@pytest.mark.parametrize("load, running, expected", [
    (1.7, 1, 0),       # a neighbour stopped seconds ago: the average still counts it, nothing else runs
    (1.0, 2, 1.0),     # a steady neighbour: both say one core
    (0.3, 3, 0.3),     # two tasks started this instant: the average decides until adapt() looks
    (2.5, None, 2.5),  # no /proc/stat: the average alone
])
def test_busy_now_takes_the_lower_of_the_load_average_and_the_tasks_running_now(load, running, expected,
                                                                                 monkeypatch):
    fake_load(monkeypatch, load, running)
    assert threads.busy_now() == expected


@pytest.mark.skipif(not os.path.exists("/proc/stat"), reason="needs Linux's /proc/stat")
def test_procs_running_counts_this_process():
    assert threads._procs_running() >= 1


def test_import_after_a_neighbour_stopped_takes_both_cores(automatic, monkeypatch):
    """The lagging load average of a neighbour that has just stopped does not hold the count at one thread."""
    getter = minigrad.get_num_threads
    fake_load(monkeypatch, 1.7, 1)
    threads.use_automatic_threads()
    assert getter() == 2


def test_adapt_looks_at_most_once_per_check_interval(automatic, monkeypatch):
    calls = []
    monkeypatch.setattr(threads, "cpu_reading", lambda: calls.append(1) or (0.0, 0.0, 0.0))
    threads.use_automatic_threads()
    now = threads._auto["reading"][0]
    monkeypatch.setattr(threads.time, "monotonic", lambda: now + threads.CHECK_SECONDS / 2)
    for _ in range(100):
        threads.adapt()
    assert len(calls) == 1  # the first reading only


def test_an_explicit_count_turns_the_automatic_choice_off(automatic, monkeypatch):
    getter = minigrad.get_num_threads
    fake_load(monkeypatch, 5.0, 6)
    threads.use_automatic_threads()
    assert getter() == 1
    minigrad.set_num_threads(2)
    fake_machine(monkeypatch, [(1.0, 50.0, 0.0)])  # a very busy machine: would give 1 thread if looked at
    backend.synchronize(None)
    assert getter() == 2 and not threads._auto["on"]


@cpu_bounded.hang_guard
@pytest.mark.parametrize("value, auto", [("auto", "True"), ("", "True"), ("3", "False")])
def test_minigrad_num_threads_auto_or_a_number(value, auto):
    code = "import minigrad; from minigrad import threads; print(threads._auto['on'], minigrad.get_num_threads())"
    env = dict(os.environ, MINIGRAD_NUM_THREADS=value)
    out = cpu_bounded.run([sys.executable, "-c", code], 60, cwd=ROOT, env=env, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    on, n = out.stdout.split()
    assert on == auto
    assert 1 <= int(n) <= (3 if value == "3" else len(os.sched_getaffinity(0)))
    if value == "3":
        assert n == "3"


@cpu_bounded.hang_guard
@pytest.mark.parametrize("value", ["0", "two", "-1"])
def test_a_bad_minigrad_num_threads_names_the_variable(value):
    env = dict(os.environ, MINIGRAD_NUM_THREADS=value)
    out = cpu_bounded.run([sys.executable, "-c", "import minigrad"], 60, cwd=ROOT, env=env, capture_output=True,
                          text=True)
    assert out.returncode == 1
    assert (f"ValueError: MINIGRAD_NUM_THREADS={value!r}: expected a number of threads >= 1, or 'auto' (or unset) "
            "for the automatic choice") in out.stderr


def test_a_real_busy_neighbour_takes_a_core_from_the_automatic_choice(automatic, monkeypatch):
    """A real CPU-bound process beside this one, which sleeps: the machine's busy time minus ours counts it."""
    cores = len(os.sched_getaffinity(0))
    if cores != os.cpu_count():
        pytest.skip("this process may not use every CPU of the machine")
    monkeypatch.setattr(threads, "_usable_cores", lambda: cores)
    monkeypatch.setattr(threads.os, "cpu_count", lambda: cores)
    monkeypatch.setitem(threads._auto, "most", cores)
    loop = f"import os\nwhile os.getppid() == {os.getpid()}: pass"  # busy until killed, or this process is gone
    busy = subprocess.Popen([sys.executable, "-c", loop])
    try:
        time.sleep(0.5)
        threads.use_automatic_threads()
        time.sleep(1.5 * threads.CHECK_SECONDS)
        threads.adapt()
        assert threads._auto["threads"] <= max(1, cores - 1)
    finally:
        busy.kill()
        busy.wait()
