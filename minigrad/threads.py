"""How many threads BLAS (NumPy's OpenBLAS) uses for minigrad's GEMMs: the free cores, or ``set_num_threads(n)``.

OpenBLAS's worker threads spin while they wait for work. On an idle 2-core
machine two threads make a LeNet-BN step about 15% faster, but when another
process holds a core, every GEMM waits for a descheduled spinning thread: with
one other busy process a step measured here fell to about a third of its idle
speed with two threads, while one thread kept two thirds of it.

So by default minigrad chooses the count itself: at import from the load
average (or the tasks running right now, when fewer: the average lags a minute
behind a neighbour that has stopped), then at most once a second (``adapt()``, called by
``backend.synchronize``, which the training loop and the benchmarks call once
a step) from ``/proc/stat``: the CPU time the rest of the machine used since
the last look, minus this process's own. BLAS gets the cores left free, at
least 1 and at most its own count at import (its cores, or
``OPENBLAS_NUM_THREADS``). ``MINIGRAD_NUM_THREADS=n`` at import or
``minigrad.set_num_threads(n)`` (the name ``torch.set_num_threads`` has) fixes
the count instead and turns the automatic choice off. Measurements:
docs/performance.md.
"""
import ctypes
import math
import os
import re
import time

_SETTERS = ("scipy_openblas_set_num_threads64_", "openblas_set_num_threads64_",
            "scipy_openblas_set_num_threads", "openblas_set_num_threads")
_GETTERS = ("scipy_openblas_get_num_threads64_", "openblas_get_num_threads64_",
            "scipy_openblas_get_num_threads", "openblas_get_num_threads")

CHECK_SECONDS = 1.0   # the automatic choice looks at the machine at most this often
_SLACK = 0.3          # a core counts as free when others use less than this much of it


def _openblas_functions(names):
    """The first of ``names`` found in each OpenBLAS library loaded in this process."""
    try:
        with open("/proc/self/maps") as f:
            paths = set(re.findall(r"(/\S*openblas\S*\.so\S*)", f.read()))
    except OSError:  # not Linux: BLAS is left as it is
        return []
    found = []
    for path in sorted(paths):
        try:
            lib = ctypes.CDLL(path)
        except OSError:
            continue
        name = next((n for n in names if hasattr(lib, n)), None)
        if name is not None:
            found.append(getattr(lib, name))
    return found


def _set_blas_threads(n):
    for setter in _openblas_functions(_SETTERS):
        setter(n)


def set_num_threads(n):
    """Let BLAS use ``n`` threads from now on; the automatic choice is turned off."""
    n = int(n)
    if n < 1:
        raise ValueError(f"set_num_threads: need at least 1 thread, got {n}")
    _auto["on"] = False
    _set_blas_threads(n)


def get_num_threads():
    """BLAS's thread count (the CPU count when no OpenBLAS is found)."""
    getters = _openblas_functions(_GETTERS)
    return int(getters[0]()) if getters else (os.cpu_count() or 1)


# ---------------------------------------------------------------------------
# the automatic choice

def choose_threads(usable, cpus, busy_elsewhere):
    """BLAS threads when other processes keep ``busy_elsewhere`` of the machine's ``cpus`` busy: the cores left
    free (one counts while others use less than ``_SLACK`` of it), at least 1 and at most ``usable``."""
    free = math.floor(cpus - busy_elsewhere + _SLACK)
    return max(1, min(usable, free))


def busy_elsewhere(before, after):
    """Cores kept busy by other processes between two ``cpu_reading()`` s: (machine busy - own) / wall, >= 0."""
    wall = after[0] - before[0]
    if wall <= 0:
        return 0.0
    return max(0.0, ((after[1] - before[1]) - (after[2] - before[2])) / wall)


def cpu_reading():
    """(monotonic seconds, busy CPU seconds of the whole machine, CPU seconds of this process); None without
    ``/proc/stat`` (not Linux)."""
    try:
        with open("/proc/stat") as f:
            ticks = [int(v) for v in f.readline().split()[1:9]]  # user nice system idle iowait irq softirq steal
    except (OSError, ValueError):
        return None
    own = os.times()
    busy = (sum(ticks) - ticks[3] - ticks[4]) / os.sysconf("SC_CLK_TCK")
    return time.monotonic(), busy, own.user + own.system


def _procs_running():
    """The tasks running on the machine at this instant, this one included (``/proc/stat``); None elsewhere."""
    try:
        with open("/proc/stat") as f:
            return next(int(line.split()[1]) for line in f if line.startswith("procs_running"))
    except (OSError, ValueError, IndexError, StopIteration):
        return None


def busy_now():
    """Cores other processes keep busy, at import: the 1-minute load average, or the tasks running right now
    besides this one when fewer (the average still counts a neighbour that stopped up to a minute ago)."""
    load = os.getloadavg()[0]
    running = _procs_running()
    return load if running is None else min(load, max(0, running - 1))


def _usable_cores():
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return max(1, min(cores, _auto["most"]))


def _apply(n):
    if n != _auto["threads"]:
        _set_blas_threads(n)
        _auto["threads"] = n


def adapt():
    """Revisit the automatic thread count if ``CHECK_SECONDS`` have passed since the last look; a clock read
    otherwise. Does nothing after an explicit ``set_num_threads``."""
    if not _auto["on"] or time.monotonic() - _auto["reading"][0] < CHECK_SECONDS:
        return
    reading = cpu_reading()
    if reading is None:
        return
    others = busy_elsewhere(_auto["reading"], reading)
    _auto["reading"] = reading
    _apply(choose_threads(_usable_cores(), os.cpu_count() or 1, others))


def is_automatic():
    """Whether the thread count follows the load (the default), rather than a fixed ``set_num_threads``."""
    return _auto["on"]


def use_automatic_threads():
    """Turn the automatic choice (the default) back on after ``set_num_threads``: chosen now from ``busy_now()``,
    then revisited by ``adapt()``. Without ``/proc/stat`` BLAS gets its count from import back."""
    first = cpu_reading()
    if first is None:
        _auto["on"] = False
        _set_blas_threads(_auto["most"])
        return
    _auto.update(on=True, reading=first, threads=None)
    _apply(choose_threads(_usable_cores(), os.cpu_count() or 1, busy_now()))


# on: choosing automatically; most: BLAS's own count at import; reading: the last cpu_reading(); threads: set
_auto = {"on": False, "most": get_num_threads(), "reading": None, "threads": None}

_env = os.environ.get("MINIGRAD_NUM_THREADS", "").strip()
if _env in ("", "auto"):
    use_automatic_threads()
elif _env.isdigit() and int(_env) >= 1:
    set_num_threads(int(_env))
else:
    raise ValueError(f"MINIGRAD_NUM_THREADS={_env!r}: expected a number of threads >= 1, or 'auto' (or unset) "
                     "for the automatic choice")
