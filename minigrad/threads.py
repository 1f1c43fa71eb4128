"""minigrad's CPU threads: how many (the free cores, or ``set_num_threads(n)``), and ``split``, which runs the
large NumPy work of a step (convolutions, BatchNorm, ReLU, max-pooling) over them, a contiguous part each.

Why threads of minigrad's own: OpenBLAS's worker threads spin for ~0.1 s after each GEMM they share, so with BLAS
at two threads everything between the GEMMs (half a DenseNet step) ran on one core, and a thread of ours found the
second core taken. So BLAS runs on one thread; the large GEMMs are split here (by output rows or columns: as fast as
OpenBLAS's two threads), and the passes between them get the second core too. A mid-sized GEMM (LeNet's) still runs
on OpenBLAS's threads (``gemm``), whose spinning workers take it over faster than ours wake up; the two kinds of
threads take turns, whichever worked in the last 0.1 s keeping the cores (measured: docs/performance.md).

How many: on an idle 2-core machine two, but when another process holds a core, every split waits for a
descheduled thread (with OpenBLAS's spinning threads a step measured here fell to a third of its idle speed,
while one thread kept two thirds of it). So by default minigrad chooses the count itself: at import from the
load average (or the tasks running right now, when fewer: the average lags a minute behind a neighbour that has
stopped), then at most once a second (``adapt()``, called by ``backend.synchronize``, which the training loop
and the benchmarks call once a step) from ``/proc/stat``: the CPU time the rest of the machine used since the
last look, minus this process's own. minigrad gets the cores left free, at least 1 and at most BLAS's own count
at import (its cores, or ``OPENBLAS_NUM_THREADS``). ``MINIGRAD_NUM_THREADS=n`` at import or
``minigrad.set_num_threads(n)`` (the name ``torch.set_num_threads`` has) fixes the count instead and turns the
automatic choice off. Measurements: docs/performance.md.
"""
import contextvars
import ctypes
import math
import os
import queue
import re
import threading
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
    for setter in _BLAS_SETTERS:
        setter(n)


def _use_blas_threads(n):
    """BLAS's thread count from now on, set only when it changes."""
    if _pool.blas != n:
        _set_blas_threads(n)
        _pool.blas = n


def _set_count(n, **state):
    """minigrad's thread count (and other ``_auto`` state); BLAS back on one thread when it had more than that."""
    _auto.update(threads=n, **state)
    if _pool.blas > n:
        _use_blas_threads(1)


def _blas_threads():
    """BLAS's thread count (None when no OpenBLAS is found)."""
    getters = _openblas_functions(_GETTERS)
    return int(getters[0]()) if getters else None


def set_num_threads(n):
    """Let minigrad use ``n`` threads from now on; the automatic choice is turned off."""
    n = int(n)
    if n < 1:
        raise ValueError(f"set_num_threads: need at least 1 thread, got {n}")
    _set_count(n, on=False)


def get_num_threads():
    """The threads minigrad splits its work over (``split``)."""
    return _auto["threads"]


# ---------------------------------------------------------------------------
# the automatic choice

def choose_threads(usable, cpus, busy_elsewhere):
    """Threads when other processes keep ``busy_elsewhere`` of the machine's ``cpus`` busy: the cores left
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


def adapt():
    """Revisit the automatic thread count if ``CHECK_SECONDS`` have passed since the last look; a clock read
    otherwise. Does nothing after an explicit ``set_num_threads``."""
    if not _auto["on"] or time.monotonic() - _auto["reading"][0] < CHECK_SECONDS:
        return
    reading = cpu_reading()
    if reading is None:
        return
    others = busy_elsewhere(_auto["reading"], reading)
    _set_count(choose_threads(_usable_cores(), os.cpu_count() or 1, others), reading=reading)


def is_automatic():
    """Whether the thread count follows the load (the default), rather than a fixed ``set_num_threads``."""
    return _auto["on"]


def use_automatic_threads():
    """Turn the automatic choice (the default) back on after ``set_num_threads``: chosen now from ``busy_now()``,
    then revisited by ``adapt()``. Without ``/proc/stat`` the count is BLAS's from import."""
    first = cpu_reading()
    if first is None:
        _set_count(_auto["most"], on=False)
        return
    _set_count(choose_threads(_usable_cores(), os.cpu_count() or 1, busy_now()), on=True, reading=first)


# ---------------------------------------------------------------------------
# the split

#: the least work a part of a split gets, in values passed over (a GEMM's multiply-adds count 1/16 each, about
#: their time on one core). Measured here: handing a part to a waiting thread takes ~60 us (a thread's wake-up on
#: this VM), and ReLU over 2^22 float32 values split in two takes 1.7 against 2.9 ms, over 2^20 the same 0.5 ms
MIN_PART_WORK = 1 << 21
#: OpenBLAS's worker threads spin about 2^28 cycles (THREAD_TIMEOUT 28 in its blas_server.c, ~0.1 s here) after a
#: call they shared before they sleep; a split in that time would find the other core taken
SPIN_SECONDS = 0.1
#: OpenBLAS runs a GEMM of at most this many multiply-adds on one thread whatever its count (its interface/gemm.c)
OPENBLAS_ALONE_MACS = 65536 * 4


def split(fn, n, work, align=1):
    """``fn(lo, hi)`` over contiguous parts of ``range(n)``, one per thread (``get_num_threads``), cut at multiples
    of ``align``: this thread runs the first and waits for the others, whose exceptions it raises. Runs ``fn(0, n)``
    here alone when a part would get less than ``MIN_PART_WORK`` of ``work``, inside another split (a part's own
    splits), while another thread splits, or while OpenBLAS's threads may still spin (``gemm``). Each part runs in
    a copy of the caller's context (NumPy's ``errstate`` in it). The parts must write apart, and each value
    must not depend on where the cuts fall: then a split gives the values of one call."""
    parts = min(_auto["threads"], -(-n // align), work // MIN_PART_WORK)
    if (parts < 2 or getattr(_pool.local, "busy", False) or time.monotonic() < _pool.spinning_until
            or not _pool.lock.acquire(blocking=False)):
        fn(0, n)
        return
    try:
        _pool.local.busy = True
        _pool.split_until = time.monotonic() + SPIN_SECONDS
        _use_blas_threads(1)  # each part's BLAS calls on its own thread
        bounds = [min(n, -(-n // align) * k // parts * align) for k in range(parts + 1)]
        done = queue.SimpleQueue()  # this split's own: a part still running after an interrupt reports elsewhere
        for inbox, lo, hi in zip(_pool.inboxes(parts - 1), bounds[1:], bounds[2:]):
            inbox.put((contextvars.copy_context(), fn, lo, hi, done))
        errors = []
        try:
            fn(0, bounds[1])
        except BaseException as error:  # the other parts are still running: wait for them first
            errors.append(error)
        errors += [e for e in (done.get() for _ in range(parts - 1)) if e is not None]
        if errors:
            raise errors[0]
    finally:
        _pool.local.busy = False
        _pool.lock.release()


def gemm(part, n, macs):
    """A GEMM of ``macs`` multiply-adds given as ``part(lo, hi)``, the output's slice [lo, hi) of ``n``: split over
    minigrad's threads (``split``) when that large, else in one call on OpenBLAS's threads (as many as minigrad's),
    unless minigrad's split something in the last ``SPIN_SECONDS``: OpenBLAS's spinning workers take a mid-sized
    GEMM over faster than ours wake up, so LeNet's run there, and BLAS keeps that count for its other calls until
    the next split (measured: docs/performance.md)."""
    parts = min(_auto["threads"], n, macs // 16 // MIN_PART_WORK)
    if (parts >= 2 or _auto["threads"] < 2 or macs <= OPENBLAS_ALONE_MACS or getattr(_pool.local, "busy", False)
            or time.monotonic() < _pool.split_until):  # minigrad's threads hold the cores: a GEMM alone
        split(part, n, macs // 16)
        return
    _use_blas_threads(_auto["threads"])
    part(0, n)
    _pool.spinning_until = time.monotonic() + SPIN_SECONDS


def _serve(inbox):
    """A worker thread: runs the parts put in its inbox, reporting each one's exception or None."""
    _pool.local.busy = True  # its parts do not split again
    while True:
        context, fn, lo, hi, done = inbox.get()
        try:
            context.run(fn, lo, hi)
        except BaseException as error:
            done.put(error)
        else:
            done.put(None)


class _Pool:
    """The worker threads (daemons, started when first needed), one inbox each; one split at a time."""

    def __init__(self):
        self.workers, self.lock, self.local = [], threading.Lock(), threading.local()
        # monotonic seconds until which OpenBLAS's workers may spin, and until which minigrad's threads count as
        # working (a split less than SPIN_SECONDS ago): the other kind of thread runs no work in that time
        self.spinning_until = self.split_until = 0.0
        self.blas = 1  # BLAS's thread count now

    def inboxes(self, k):
        while len(self.workers) < k:
            inbox = queue.SimpleQueue()
            threading.Thread(target=_serve, args=(inbox,), name=f"minigrad-{len(self.workers) + 1}",
                             daemon=True).start()
            self.workers.append(inbox)
        return self.workers[:k]


_pool = _Pool()


def _after_fork():
    """A forked child has none of the parent's threads: it starts its own, BLAS on one thread."""
    global _pool
    _pool = _Pool()
    _set_blas_threads(1)


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork)

# on: choosing automatically; most: BLAS's own count at import; reading: the last cpu_reading(); threads: the count
_auto = {"on": False, "most": _blas_threads() or os.cpu_count() or 1, "reading": None, "threads": 1}
_BLAS_SETTERS = _openblas_functions(_SETTERS)
_set_blas_threads(1)  # BLAS's own threads only from a mid-sized GEMM (``gemm``) to the next split
#: whether BLAS runs on one thread, so that GEMMs may be split (not where NumPy's BLAS is not OpenBLAS)
SPLIT_GEMMS = _blas_threads() == 1

_env = os.environ.get("MINIGRAD_NUM_THREADS", "").strip()
if _env in ("", "auto"):
    use_automatic_threads()
elif _env.isdigit() and int(_env) >= 1:
    set_num_threads(int(_env))
else:
    raise ValueError(f"MINIGRAD_NUM_THREADS={_env!r}: expected a number of threads >= 1, or 'auto' (or unset) "
                     "for the automatic choice")
