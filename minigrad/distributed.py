"""Collective communication between processes, shaped like ``torch.distributed``.

Launch one process per worker with MPI and call ``init_process_group`` in each:

    mpiexec -n 2 python -m mpi4py train.py      # -m mpi4py: an exception on one rank ends the whole job

    import minigrad.distributed as dist
    dist.init_process_group("mpi")               # or "nccl" for CuPy tensors on GPUs
    dist.all_reduce(t, op=dist.ReduceOp.AVG)     # t changed in place, as in PyTorch

Backends. ``"mpi"`` runs every collective through mpi4py on NumPy buffers
(CuPy arrays go through host memory). ``"nccl"`` runs collectives on CuPy
arrays through NCCL (``cupy.cuda.nccl``; the communicator's unique id is
broadcast over MPI, each process takes the GPU ``local_rank % device_count``)
and NumPy arrays still through MPI. Ranks and the world size come from the
MPI launcher. Only the default group (``group=None``) and synchronous calls
(``async_op=False``) exist. Needs ``pip install -e '.[mpi]'`` (mpi4py + mpich).

Processes that disagree. Before any data moves, every collective sends each
other process a fingerprint of the call (operation, call number, dtype, shape,
reduce op or source, NCCL or MPI; data up to 4 KiB travels with it) and
compares what it receives: a difference
is a RuntimeError in every process that names each side, and a process that
does not arrive within the timeout (``init_process_group(timeout=...)``, else
``MINIGRAD_COLLECTIVE_TIMEOUT`` seconds, else 10 minutes) is a RuntimeError in
the processes that wait, naming it. See docs/distributed.md.
"""
import datetime
import importlib.util
import os
import time

import numpy as np

from minigrad import backend
from minigrad.checks import missing_names
from minigrad.core import Function, Tensor

_INSTALL = "pip install -e '.[mpi]'"


class ReduceOp:
    """How ``all_reduce`` combines the processes' values (PyTorch's names)."""

    SUM = "sum"
    AVG = "avg"
    PRODUCT = "product"
    MIN = "min"
    MAX = "max"


_OPS = (ReduceOp.SUM, ReduceOp.AVG, ReduceOp.PRODUCT, ReduceOp.MIN, ReduceOp.MAX)
_REDUCTIONS = {ReduceOp.SUM: (np.add, "SUM", "NCCL_SUM"), ReduceOp.PRODUCT: (np.multiply, "PROD", "NCCL_PROD"),
               ReduceOp.MIN: (np.minimum, "MIN", "NCCL_MIN"), ReduceOp.MAX: (np.maximum, "MAX", "NCCL_MAX")}


_DEFAULT_TIMEOUT = datetime.timedelta(minutes=10)
_TIMEOUT_VARIABLE = "MINIGRAD_COLLECTIVE_TIMEOUT"
_FINGERPRINT_TAG = 7207  # the point-to-point messages of the fingerprints (collectives never match them)
_OP_CODES = {"all_reduce": 1, "broadcast": 2, "all_gather": 3, "barrier": 4, "all_gather_object": 5}
_SPIN_SECONDS = 0.05  # a waiting process polls (yielding the core) this long, then sleeps between polls
_INLINE_BYTES = 4096  # data up to this size travels with the fingerprints: one exchange, no second collective


class _Group:
    """The default process group: an MPI communicator of its own and, for ``nccl``, an NCCL communicator;
    every process's last message (``seen``, one row per rank: a fingerprint of 8 integers, then up to
    ``_INLINE_BYTES`` of data), this process's own row (``mine``) and the persistent requests that exchange
    them with every other process."""

    def __init__(self, backend_name, mpi, comm, nccl_comm, local_rank, timeout):
        self.backend, self.mpi, self.comm, self.nccl, self.local_rank = backend_name, mpi, comm, nccl_comm, local_rank
        self.rank, self.world_size = comm.Get_rank(), comm.Get_size()
        self.timeout, self.calls, self.failure, self.payload_views = timeout, 0, None, {}
        self.seen = np.zeros((self.world_size, 8 + _INLINE_BYTES // 8), dtype=np.int64)
        self.mine = self.seen[self.rank]
        self.peers = [r for r in range(self.world_size) if r != self.rank]
        self.requests = [comm.Send_init(self.mine, r, _FINGERPRINT_TAG) for r in self.peers] + \
            [comm.Recv_init(self.seen[r], r, _FINGERPRINT_TAG) for r in self.peers]


_group = None


def _mpi():
    """mpi4py's MPI module (importing it initialises MPI), or a RuntimeError saying how to install it."""
    try:
        from mpi4py import MPI
    except (ImportError, RuntimeError, OSError) as exc:
        raise RuntimeError(f"minigrad.distributed needs mpi4py and an MPI library ({type(exc).__name__}: {exc}); "
                           f"install them with {_INSTALL}") from None
    return MPI


def is_available():
    """True when mpi4py is installed (without importing it: that would initialise MPI)."""
    return importlib.util.find_spec("mpi4py") is not None


_LAUNCH_SIZE_VARIABLES = ("PMI_SIZE", "OMPI_COMM_WORLD_SIZE", "MV2_COMM_WORLD_SIZE", "PMIX_SIZE")


def launched_world_size():
    """How many processes the MPI launcher started, 1 without one; read from the launcher's environment
    (MPICH's and Slurm's PMI_SIZE, Open MPI's OMPI_COMM_WORLD_SIZE, ...) without initialising MPI."""
    for name in _LAUNCH_SIZE_VARIABLES:
        if os.environ.get(name, "").isdigit():
            return int(os.environ[name])
    return 1


def is_initialized():
    """True between ``init_process_group`` and ``destroy_process_group``."""
    return _group is not None


def _default_group(what):
    if _group is None:
        raise RuntimeError(
            f"{what}: the default process group is not initialised; call "
            "minigrad.distributed.init_process_group('mpi') first, in every process of an MPI launch "
            f"(mpiexec -n K python -m mpi4py script.py; needs {_INSTALL})")
    return _group


def _check_group(group, async_op, what):
    if group is not None:
        raise ValueError(f"{what}: only the default process group (group=None) is supported, got {group!r}")
    if async_op:
        raise ValueError(f"{what}: async_op=True is not supported; the collectives are synchronous")
    return _default_group(what)


def _timeout_seconds(timeout):
    """The collective timeout in seconds: ``timeout`` (a ``datetime.timedelta``), else the environment's
    MINIGRAD_COLLECTIVE_TIMEOUT (seconds), else 10 minutes."""
    if timeout is not None:
        if not isinstance(timeout, datetime.timedelta):
            raise TypeError(f"init_process_group: timeout must be a datetime.timedelta, as in PyTorch, got "
                            f"{type(timeout).__name__} {timeout!r} (e.g. timeout=datetime.timedelta(minutes=30))")
        seconds, given = timeout.total_seconds(), f"timeout={timeout!r}"
    elif _TIMEOUT_VARIABLE in os.environ:
        text = os.environ[_TIMEOUT_VARIABLE]
        try:
            seconds = float(text)
        except ValueError:
            seconds = float("nan")
        given = f"{_TIMEOUT_VARIABLE}={text!r}"
    else:
        return _DEFAULT_TIMEOUT.total_seconds()
    if not seconds > 0:
        raise ValueError(f"init_process_group: {given}: the collective timeout must be a positive number of "
                         "seconds (inf: never)")
    return seconds


def init_process_group(backend=None, init_method=None, timeout=None, world_size=-1, rank=-1):
    """Join this process to the default group of all the processes of the MPI launch.

    ``backend``: ``"mpi"`` (the default) or ``"nccl"``. ``timeout``: how long a
    collective waits for the other processes before it raises (a
    ``datetime.timedelta``; default ``MINIGRAD_COLLECTIVE_TIMEOUT`` seconds, else
    10 minutes). ``world_size`` and ``rank``, when given, must agree with the
    launch (they come from MPI).
    """
    global _group
    if _group is not None:
        raise RuntimeError("init_process_group: the default process group is already initialised "
                           "(call destroy_process_group first)")
    name = "mpi" if backend is None else str(backend).lower()
    if name not in ("mpi", "nccl"):
        raise ValueError(f"init_process_group: backend must be 'mpi' or 'nccl', got {backend!r}")
    if init_method is not None:
        raise ValueError(f"init_process_group: the processes find each other through the MPI launcher, "
                         f"so init_method must be None, got {init_method!r}")
    seconds = _timeout_seconds(timeout)
    MPI = _mpi()
    world = MPI.COMM_WORLD
    for arg, given, actual in (("world_size", world_size, world.Get_size()), ("rank", rank, world.Get_rank())):
        if given not in (-1, None) and int(given) != actual:
            raise ValueError(f"init_process_group: {arg}={given}, but the MPI launch gives this process {arg} "
                             f"{actual} (mpiexec -n sets the world size)")
    comm = world.Dup()  # a communicator of its own: never mixed up with the user's MPI messages
    local = comm.Split_type(MPI.COMM_TYPE_SHARED)
    local_rank = local.Get_rank()
    local.Free()
    nccl_comm = _nccl_communicator(comm, local_rank) if name == "nccl" else None
    _group = _Group(name, MPI, comm, nccl_comm, local_rank, seconds)


def _nccl_communicator(comm, local_rank):
    """An NCCL communicator over the MPI processes, on GPU ``local_rank % device_count``."""
    reason = backend.cuda_unavailable_reason()
    if reason is not None:
        raise RuntimeError(f"init_process_group(backend='nccl') needs CuPy and a CUDA device: {reason}; "
                           "use backend='mpi' on CPUs")
    cupy = backend.load_cupy()
    try:
        from cupy.cuda import nccl
    except ImportError as exc:
        raise RuntimeError(f"init_process_group(backend='nccl'): this CuPy has no NCCL ({exc}); "
                           "install NCCL for CuPy or use backend='mpi'") from None
    cupy.cuda.Device(local_rank % cupy.cuda.runtime.getDeviceCount()).use()
    uid = comm.bcast(nccl.get_unique_id() if comm.Get_rank() == 0 else None, root=0)
    return nccl.NcclCommunicator(comm.Get_size(), uid, comm.Get_rank())


def destroy_process_group(group=None):
    """Leave the default group (a later ``init_process_group`` may start a new one)."""
    global _group
    g = _check_group(group, False, "destroy_process_group")
    if g.nccl is not None:
        g.nccl.destroy()
    for request in g.requests:
        request.Free()
    g.comm.Free()
    _group = None


def get_rank(group=None):
    """This process's index in the group, 0 .. world_size - 1."""
    return _check_group(group, False, "get_rank").rank


def get_world_size(group=None):
    """How many processes the group has."""
    return _check_group(group, False, "get_world_size").world_size


def barrier(group=None, async_op=False):
    """Wait until every process has reached this call."""
    g = _check_group(group, async_op, "barrier")
    if g.nccl is not None:
        backend.load_cupy().cuda.get_current_stream().synchronize()
    _agree(g, "barrier")  # returns once every process has sent its fingerprint of this call: a barrier


# ---------------------------------------------------------------------------
# The check before every collective: the same call in every process, and every process there in time

def _shape_code(shape):
    """A number that tells shapes apart (the same in every process and Python version, unlike hash())."""
    code = len(shape)
    for n in shape:
        code = (code * 1_000_003 + n) % (1 << 61)
    return code


def _payloads(g, host):
    """The (world_size, *host.shape) view of the data in every process's message, for a NumPy array ``host``
    (kept for the group's last 64 dtypes and shapes)."""
    key = host.dtype, host.shape
    if key not in g.payload_views:
        if len(g.payload_views) == 64:
            g.payload_views.clear()
        rows = g.seen[:, 8:].view(np.uint8)[:, :host.nbytes].view(host.dtype)
        g.payload_views[key] = rows.reshape((g.world_size,) + host.shape)
    return g.payload_views[key]


def _agree(g, op, array=None, detail=0, nccl=False, what=None, payload=None):
    """Exchange this call's fingerprint (``op``, call number, ``array``'s dtype, ndim, size and shape,
    ``detail``: the reduce op or source rank, ``nccl``: whether the data goes through NCCL), and ``payload``
    (a small NumPy array, then in ``_payloads``) with every other process, waiting at most the group's
    timeout; a RuntimeError in every process when the fingerprints differ."""
    if g.failure is not None:
        raise RuntimeError(f"{op}: the process group failed earlier and cannot run collectives any more "
                           f"({g.failure}); end the job (python -m mpi4py does on an uncaught error)")
    g.calls += 1
    if array is None:
        g.mine[:8] = (_OP_CODES[op], detail, g.calls, 0, 0, 0, 0, 0)
    else:
        dtype = array.dtype
        g.mine[:8] = (_OP_CODES[op], detail, g.calls, ord(dtype.kind) << 8 | dtype.itemsize, nccl,
                      array.ndim, array.size, _shape_code(array.shape))
    if payload is not None:
        _payloads(g, payload)[g.rank] = payload
    if not g.peers:
        return
    g.mpi.Prequest.Startall(g.requests)
    if not g.mpi.Request.Testall(g.requests):
        _wait(g, lambda: _describe(g, op, array, detail, nccl, what))
    if g.seen[:, :8].tobytes() != g.mine[:8].tobytes() * g.world_size:
        _disagree(g, _describe(g, op, array, detail, nccl, what))


def _describe(g, op, array, detail, nccl, what):
    """The call as the messages name it: ``all_reduce(float32, shape (6,), op=ReduceOp.SUM) as call #12``."""
    args = [] if array is None else [str(array.dtype), f"shape {tuple(array.shape)}"]
    if op == "all_reduce":
        args.append(f"op=ReduceOp.{_OPS[detail].upper()}")
    elif op == "broadcast":
        args.append(f"src={detail}")
    if nccl:
        args.append("CuPy through NCCL")
    return f"{op}({', '.join(args)}){f' for {what}' if what else ''} as call #{g.calls}"


def describe_ranks(ranks):
    """'rank 2' or 'ranks 0, 1 and 3', for messages."""
    return f"rank {ranks[0]}" if len(ranks) == 1 else f"ranks {', '.join(map(str, ranks[:-1]))} and {ranks[-1]}"


def _disagree(g, mine):
    """Every process found the same difference in the fingerprints, so every process is here: gather the
    descriptions of the calls and raise the same RuntimeError everywhere (no data was exchanged)."""
    callers = {}
    for r, description in enumerate(g.comm.allgather(mine)):
        callers.setdefault(description, []).append(r)
    sides = " while ".join(f"{describe_ranks(ranks)} called {description}" for description, ranks in callers.items())
    raise RuntimeError(
        f"processes disagree on a collective: {sides}. Every process must call the same collectives in the same "
        "order, on tensors of the same shape and dtype: look for a collective that only some processes reach "
        "(under `if rank == 0:`, after a rank-dependent break) or a model or batch that differs between them. "
        f"No data was exchanged (raised in every process; this is rank {g.rank})")


def _wait(g, describe):
    """Poll the fingerprint exchange until it completes: yielding the core between polls (as MPICH's own
    waits do) for 50 ms, then sleeping 1 ms between polls; past the timeout, a RuntimeError naming the ranks
    whose messages have not come."""
    start = time.monotonic()
    while not g.mpi.Request.Testall(g.requests):
        waited = time.monotonic() - start
        if waited > g.timeout:
            missing = sorted({r for r, request in zip(g.peers * 2, g.requests) if not request.Test()})
            g.failure = f"rank {g.rank} timed out in {describe()}"
            raise RuntimeError(
                f"{describe()} waited {g.timeout:g} s, the collective timeout, for {describe_ranks(missing)}, "
                f"which did not reach it: {'they' if len(missing) > 1 else 'it'} stopped, finished early, skipped this "
                "collective (one under `if rank == 0:`) or is still busy. If it is only slow, raise the timeout: "
                f"init_process_group(timeout=datetime.timedelta(seconds=...)) or {_TIMEOUT_VARIABLE}=seconds "
                f"(raised in every process that waits; this is rank {g.rank})")
        if waited < _SPIN_SECONDS:
            os.sched_yield()
        else:
            time.sleep(0.001)


# ---------------------------------------------------------------------------
# Collectives on raw arrays (the package's own callers: DistributedDataParallel, SyncBatchNorm)

def _nccl_dtype(dtype):
    from cupy.cuda import nccl
    names = {"float16": "NCCL_FLOAT16", "float32": "NCCL_FLOAT32", "float64": "NCCL_FLOAT64",
             "int8": "NCCL_INT8", "uint8": "NCCL_UINT8", "int32": "NCCL_INT32", "int64": "NCCL_INT64"}
    if dtype.name not in names:
        raise TypeError(f"NCCL collectives take {', '.join(names)} arrays, got {dtype}")
    return getattr(nccl, names[dtype.name])


def _contiguous(a):
    return a if a.flags.c_contiguous else backend.get_array_module(a).ascontiguousarray(a)


def _route(g, a):
    """How a collective moves ``a``: (through NCCL (a CuPy array on an ``nccl`` group), else the NumPy array
    to send (a CuPy array's values copied to the host), whether it is small enough to travel with the
    fingerprints)."""
    via_nccl = g.nccl is not None and backend.get_array_module(a) is not np
    host = a if via_nccl or isinstance(a, np.ndarray) else backend.to_numpy(a)
    return via_nccl, host, not via_nccl and a.nbytes <= _INLINE_BYTES


def _in_place(g, a, op, detail, what, combine, mpi_call, nccl_call):
    """Check the call (``_agree``), then run a collective on ``a`` in place (``_route``): through NCCL, by
    ``combine`` of every process's values (a (world_size, *a.shape) array) when they travelled with the
    fingerprints, else through MPI (a CuPy array's values copied back to the device)."""
    via_nccl, host, small = _route(g, a)
    _agree(g, op, a, detail, via_nccl, what, host if small else None)
    if via_nccl:
        buf = _contiguous(a)
        nccl_call(buf, _nccl_dtype(buf.dtype), backend.load_cupy().cuda.get_current_stream().ptr)
    elif small:
        buf = combine(_payloads(g, host))
    else:
        buf = _contiguous(host)
        mpi_call(buf)
    if buf is not a:
        a[...] = buf if isinstance(a, np.ndarray) else backend.to_device(buf, backend.device_of(a))
    return a


class AllReduceSum(Function):
    """y = the sum of x over all processes (every process gets it);  gx = the sum of gy over all processes
    (each process's y depends on every process's x). Linear, so closed under differentiation: the graph
    of its gradient is AllReduceSum again. Every process must apply it, in the same order (a collective)."""

    saves_inputs = saves_output = False

    def forward(self, x):
        return all_reduce_array(x.copy(), what="AllReduceSum")

    def backward(self, gy):
        return all_reduce_array(gy.copy(), what="AllReduceSum's backward")

    def backward_graph(self, gy):
        return AllReduceSum()(gy)


def all_reduce_array(a, op=ReduceOp.SUM, what=None):
    """Combine the raw array ``a`` (NumPy or CuPy) element by element over all processes, in place.
    ``what``: the caller's name for the values, for the message when the processes disagree."""
    g = _default_group("all_reduce")
    if op not in _OPS:
        raise ValueError(f"all_reduce: op must be one of ReduceOp.SUM, AVG, PRODUCT, MIN, MAX, got {op!r}")
    if op == ReduceOp.AVG and a.dtype.kind != "f":
        raise TypeError(f"all_reduce: ReduceOp.AVG needs a floating-point tensor, got dtype {a.dtype}")
    ufunc, mpi_name, nccl_name = _REDUCTIONS[ReduceOp.SUM if op == ReduceOp.AVG else op]

    def nccl_call(buf, dtype, stream):
        from cupy.cuda import nccl
        g.nccl.allReduce(buf.data.ptr, buf.data.ptr, buf.size, dtype, getattr(nccl, nccl_name), stream)
    _in_place(g, a, "all_reduce", _OPS.index(op), what, lambda values: ufunc.reduce(values, axis=0),
              lambda buf: g.comm.Allreduce(g.mpi.IN_PLACE, buf, op=getattr(g.mpi, mpi_name)), nccl_call)
    if op == ReduceOp.AVG and g.world_size > 1:
        a /= g.world_size
    return a


def broadcast_array(a, src=0, what=None):
    """Overwrite the raw array ``a`` in every process with its values in process ``src``; ``what`` as in
    ``all_reduce_array``."""
    g = _default_group("broadcast")
    if not 0 <= int(src) < g.world_size:
        raise ValueError(f"broadcast: src must be a rank in [0, {g.world_size - 1}], got {src}")
    _in_place(g, a, "broadcast", int(src), what, lambda values: values[int(src)],
              lambda buf: g.comm.Bcast(buf, root=int(src)),
              lambda buf, dtype, stream: g.nccl.bcast(buf.data.ptr, buf.size, dtype, int(src), stream))
    return a


def all_gather_array(a, what=None):
    """A new (world_size, *a.shape) array, same library and device as ``a``, holding every process's ``a``;
    ``what`` as in ``all_reduce_array``."""
    g = _default_group("all_gather")
    via_nccl, host, small = _route(g, a)
    _agree(g, "all_gather", a, 0, via_nccl, what, host if small else None)
    if via_nccl:
        send = _contiguous(a)
        out = backend.get_array_module(a).empty((g.world_size,) + tuple(a.shape), dtype=a.dtype)
        stream = backend.load_cupy().cuda.get_current_stream().ptr
        g.nccl.allGather(send.data.ptr, out.data.ptr, send.size, _nccl_dtype(send.dtype), stream)
        return out
    if small:
        gathered = _payloads(g, host).copy()
    else:
        gathered = np.empty((g.world_size,) + tuple(a.shape), dtype=a.dtype)
        g.comm.Allgather(_contiguous(host), gathered)
    return gathered if isinstance(a, np.ndarray) else backend.to_device(gathered, backend.device_of(a))


def gather_objects(obj, what):
    """Every process's ``obj`` (any picklable value), in rank order: checked and timed like the others."""
    g = _default_group("all_gather_object")
    _agree(g, "all_gather_object", what=what)
    return g.comm.allgather(obj)


# ---------------------------------------------------------------------------
# PyTorch's tensor API

def _array_of(tensor, what):
    if not isinstance(tensor, Tensor):
        raise TypeError(f"{what}: expected a minigrad Tensor, got {type(tensor).__name__}")
    if tensor.dtype.kind not in "iuf":
        raise TypeError(f"{what}: expected a numeric tensor, got dtype {tensor.dtype}")
    return tensor.array


def all_reduce(tensor, op=ReduceOp.SUM, group=None, async_op=False):
    """Replace ``tensor``'s values, in place, by their combination (``op``) over all processes."""
    _check_group(group, async_op, "all_reduce")
    all_reduce_array(_array_of(tensor, "all_reduce"), op)
    tensor._vc[0] += 1


def broadcast(tensor, src, group=None, async_op=False):
    """Copy process ``src``'s values of ``tensor`` into ``tensor`` in every process, in place."""
    _check_group(group, async_op, "broadcast")
    broadcast_array(_array_of(tensor, "broadcast"), src)
    tensor._vc[0] += 1


def all_gather(tensor_list, tensor, group=None, async_op=False):
    """Fill ``tensor_list[i]`` (world_size tensors shaped like ``tensor``) with process i's ``tensor``."""
    g = _check_group(group, async_op, "all_gather")
    array = _array_of(tensor, "all_gather")
    if len(tensor_list) != g.world_size:
        raise ValueError(f"all_gather: tensor_list must hold world_size = {g.world_size} tensors, "
                         f"got {len(tensor_list)}")
    for i, t in enumerate(tensor_list):
        if not isinstance(t, Tensor) or t.shape != tensor.shape or t.dtype != tensor.dtype:
            raise ValueError(f"all_gather: tensor_list[{i}] must be a tensor of shape {tensor.shape} and dtype "
                             f"{tensor.dtype}, got {getattr(t, 'shape', type(t).__name__)} "
                             f"{getattr(t, 'dtype', '')}")
    gathered = all_gather_array(array)
    for t, values in zip(tensor_list, gathered):
        t.array[...] = values if t.device == tensor.device else backend.to_device(values, t.device)
        t._vc[0] += 1

__getattr__ = missing_names("minigrad.distributed", "torch.distributed")  # a PyTorch name minigrad lacks: say so
