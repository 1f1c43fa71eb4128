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
"""
import importlib.util
import os

import numpy as np

from minigrad import backend
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


class _Group:
    """The default process group: an MPI communicator of its own and, for ``nccl``, an NCCL communicator."""

    def __init__(self, backend_name, comm, nccl_comm, local_rank):
        self.backend, self.comm, self.nccl, self.local_rank = backend_name, comm, nccl_comm, local_rank
        self.rank, self.world_size = comm.Get_rank(), comm.Get_size()


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


def init_process_group(backend=None, init_method=None, world_size=-1, rank=-1):
    """Join this process to the default group of all the processes of the MPI launch.

    ``backend``: ``"mpi"`` (the default) or ``"nccl"``. ``world_size`` and
    ``rank``, when given, must agree with the launch (they come from MPI).
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
    _group = _Group(name, comm, nccl_comm, local_rank)


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
    g.comm.Barrier()


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


def _in_place(g, a, mpi_call, nccl_call):
    """Run a collective on ``a`` in place: through NCCL for a CuPy array on an ``nccl`` group, else through
    MPI on a NumPy buffer (a CuPy array's values copied to the host and back)."""
    on_gpu = backend.get_array_module(a) is not np
    if on_gpu and g.nccl is not None:
        buf = _contiguous(a)
        nccl_call(buf, _nccl_dtype(buf.dtype), backend.load_cupy().cuda.get_current_stream().ptr)
    else:
        buf = backend.to_numpy(a) if on_gpu else _contiguous(a)
        mpi_call(buf)
    if buf is not a:
        a[...] = backend.to_device(buf, backend.device_of(a)) if on_gpu else buf
    return a


class AllReduceSum(Function):
    """y = the sum of x over all processes (every process gets it);  gx = the sum of gy over all processes
    (each process's y depends on every process's x). Linear, so closed under differentiation: the graph
    of its gradient is AllReduceSum again. Every process must apply it, in the same order (a collective)."""

    saves_inputs = saves_output = False

    def forward(self, x):
        return all_reduce_array(x.copy())

    def backward(self, gy):
        return all_reduce_array(gy.copy())

    def backward_graph(self, gy):
        return AllReduceSum()(gy)


def all_reduce_array(a, op=ReduceOp.SUM):
    """Combine the raw array ``a`` (NumPy or CuPy) element by element over all processes, in place."""
    g = _default_group("all_reduce")
    if op not in _OPS:
        raise ValueError(f"all_reduce: op must be one of ReduceOp.SUM, AVG, PRODUCT, MIN, MAX, got {op!r}")
    if op == ReduceOp.AVG and a.dtype.kind != "f":
        raise TypeError(f"all_reduce: ReduceOp.AVG needs a floating-point tensor, got dtype {a.dtype}")
    reduce_op = ReduceOp.SUM if op == ReduceOp.AVG else op
    MPI = _mpi()
    mpi_op = {"sum": MPI.SUM, "product": MPI.PROD, "min": MPI.MIN, "max": MPI.MAX}[reduce_op]

    def nccl_call(buf, dtype, stream):
        from cupy.cuda import nccl
        nccl_op = {"sum": nccl.NCCL_SUM, "product": nccl.NCCL_PROD, "min": nccl.NCCL_MIN,
                   "max": nccl.NCCL_MAX}[reduce_op]
        g.nccl.allReduce(buf.data.ptr, buf.data.ptr, buf.size, dtype, nccl_op, stream)
    _in_place(g, a, lambda buf: g.comm.Allreduce(MPI.IN_PLACE, buf, op=mpi_op), nccl_call)
    if op == ReduceOp.AVG and g.world_size > 1:
        a /= g.world_size
    return a


def broadcast_array(a, src=0):
    """Overwrite the raw array ``a`` in every process with its values in process ``src``."""
    g = _default_group("broadcast")
    if not 0 <= int(src) < g.world_size:
        raise ValueError(f"broadcast: src must be a rank in [0, {g.world_size - 1}], got {src}")
    _in_place(g, a, lambda buf: g.comm.Bcast(buf, root=int(src)),
              lambda buf, dtype, stream: g.nccl.bcast(buf.data.ptr, buf.size, dtype, int(src), stream))
    return a


def all_gather_array(a):
    """A new (world_size, *a.shape) array, same library and device as ``a``, holding every process's ``a``."""
    g = _default_group("all_gather")
    xp = backend.get_array_module(a)
    send = _contiguous(a)
    out = xp.empty((g.world_size,) + tuple(a.shape), dtype=a.dtype)
    if xp is not np and g.nccl is not None:
        stream = backend.load_cupy().cuda.get_current_stream().ptr
        g.nccl.allGather(send.data.ptr, out.data.ptr, send.size, _nccl_dtype(send.dtype), stream)
        return out
    host = np.empty(out.shape, dtype=a.dtype)
    g.comm.Allgather(backend.to_numpy(send), host)
    return host if xp is np else backend.to_device(host, backend.device_of(a))


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
